"""Which write failures are worth retrying, and how long to wait before the next try.

A write that can never succeed (mem0 rejecting the input, a wrong type, text
that cannot be encoded) must fail at once: retrying it only delays every other
write. A write that failed on the way (network, a busy database, a 5xx or a 429)
is retried with exponential backoff and jitter. The backend wraps mem0's errors
(`MemoryBackendError` with the original as ``__cause__``), so the whole cause
chain is read, outermost first, and the first error that says something decides.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Literal

Kind = Literal["permanent", "transient"]

_TRANSIENT_NAMES = ("timeout", "connection", "connect", "network", "ratelimit", "unavailable", "temporar",
                    "overloaded")
_PERMANENT_NAMES = ("invalid", "validation", "authentication", "permission", "configuration", "quota")
# mem0's own errors (mem0.exceptions) carry an ``error_code``; its prefix says which kind it is.
_MEM0_CODES: dict[str, Kind] = {"VAL": "permanent", "AUTH": "permanent", "CFG": "permanent", "DEPS": "permanent",
                                "QUOTA": "permanent", "RATE": "transient", "NET": "transient"}
_TRANSIENT_STATUS = frozenset({408, 425, 429})


@dataclass(frozen=True)
class Verdict:
    """How a failure is handled: ``kind`` and the one-line ``reason`` logged and journaled."""

    kind: Kind
    reason: str


def classify(exc: BaseException) -> Verdict:
    """Classify a write failure as permanent (fail now) or transient (retry later).

    Unknown errors count as transient: retrying a bounded number of times costs
    little, while failing a write that would have landed loses it.

    Example:
        >>> classify(RuntimeError("mem0 add failed")).kind
        'transient'
        >>> err = RuntimeError("mem0 add failed")
        >>> err.__cause__ = ValueError("user_id must be a non-empty string")
        >>> classify(err)
        Verdict(kind='permanent', reason='ValueError: user_id must be a non-empty string')
        >>> import sqlite3
        >>> classify(sqlite3.OperationalError("database is locked")).kind
        'transient'
    """
    for err in _chain(exc):
        kind = _kind(err)
        if kind is not None:
            return Verdict(kind, f"{type(err).__name__}: {err}"[:500])
    return Verdict("transient", f"unclassified {type(exc).__name__}: {exc}"[:500])


def backoff_delay(attempt: int, first_s: float, cap_s: float) -> float:
    """Seconds before retry number ``attempt`` (1-based): doubling from ``first_s``, capped, jittered.

    The jitter draws from the upper half of the interval, so writers that failed
    together (one database blip) do not all come back in the same instant.
    """
    delay = min(cap_s, first_s * 2 ** max(0, attempt - 1))
    return delay * random.uniform(0.5, 1.0)


def _chain(exc: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    err: BaseException | None = exc
    while err is not None and id(err) not in seen:
        seen.add(id(err))
        yield err
        err = err.__cause__ or err.__context__


def _kind(err: BaseException) -> Kind | None:
    status = _http_status(err)
    if status is not None:
        return "transient" if status in _TRANSIENT_STATUS or status >= 500 else "permanent"
    code = getattr(err, "error_code", None)
    if isinstance(code, str) and code.split("_")[0] in _MEM0_CODES:
        return _MEM0_CODES[code.split("_")[0]]
    text = str(err).lower()
    if "database is locked" in text or "database is busy" in text:  # SQLite, also as wrapped by Chroma
        return "transient"
    # ConnectionError and TimeoutError are OSErrors too; UnicodeError is a ValueError.
    if isinstance(err, OSError):
        return "transient"
    name = type(err).__name__.lower()
    if any(word in name for word in _TRANSIENT_NAMES):  # httpx / openai / requests timeouts, connections
        return "transient"
    if isinstance(err, (ValueError, TypeError)):  # pydantic's ValidationError is a ValueError
        return "permanent"
    if any(word in name for word in _PERMANENT_NAMES) or "invalid" in text:
        return "permanent"
    return None


def _http_status(err: BaseException) -> int | None:
    # openai / anthropic errors carry ``status_code``; httpx and requests errors a ``response``;
    # mem0's hosted client an ``error_code`` such as "HTTP_503".
    code = getattr(err, "error_code", None)
    if isinstance(code, str) and code.startswith("HTTP_") and code[5:].isdigit():
        return int(code[5:])
    for holder in (err, getattr(err, "response", None)):
        status = getattr(holder, "status_code", None)
        if isinstance(status, int) and 400 <= status < 600:
            return status
    return None
