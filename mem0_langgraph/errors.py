"""Every exception the package raises, in one place.

Each subclasses a builtin so callers can catch broadly (``ValueError``,
``RuntimeError``) or precisely, and carries structured attributes for logs.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Literal

OnError = Literal["raise", "warn", "ignore"]
"""What a memory failure does to the turn: re-raise it, log a warning and go on
without memory (the default everywhere), or go on silently."""


class Mem0LangGraphError(Exception):
    """Base class of every error raised by ``mem0_langgraph``."""


class ScopeError(Mem0LangGraphError, ValueError):
    """A scope id (user, agent or session) is missing or malformed.

    Attributes:
        level: The scope level at fault (``"user"``, ``"agent"`` or ``"run"``).
        key: The configuration key that was looked up.
        available: The keys that were present in ``configurable`` and the runtime context.
    """

    def __init__(self, message: str, *, level: str, key: str, available: Iterable[str] = ()) -> None:
        self.level = level
        self.key = key
        self.available = sorted(set(available))
        super().__init__(message)


class MemoryBackendError(Mem0LangGraphError, RuntimeError):
    """The memory backend (mem0, Chroma, the embedder) failed during an operation.

    Attributes:
        operation: ``"search"``, ``"add"``, ``"delete"`` or ``"get_all"``.
    """

    def __init__(self, message: str, *, operation: str) -> None:
        self.operation = operation
        super().__init__(message)


class WrongModeError(Mem0LangGraphError, TypeError):
    """A sync method was called where only the async one works, or the reverse.

    Raised when sync code calls an async mem0 object from inside the loop that runs it.
    """


class LLMGateError(Mem0LangGraphError, RuntimeError):
    """The `LLMGate`'s model call failed, or its reply was not a valid decision.

    Attributes:
        reply: The model's raw reply text when it could not be parsed; None when the
            call itself failed (the provider's exception is the ``__cause__``).
    """

    def __init__(self, message: str, *, reply: str | None = None) -> None:
        self.reply = reply
        super().__init__(message)


class MemoryNotFoundError(Mem0LangGraphError, LookupError):
    """No memory with this id in this scope: it does not exist, or it belongs to another scope.

    The two cases read the same on purpose, so a caller cannot probe other users' ids.

    Attributes:
        memory_id: The id asked for.
        scope: The scope ids it was looked up in.
    """

    def __init__(self, memory_id: str, scope: Mapping[str, str]) -> None:
        self.memory_id = memory_id
        self.scope = dict(scope)
        where = ", ".join(f"{k}={v}" for k, v in self.scope.items())
        super().__init__(f"no memory {memory_id[:80]!r} for {where}")


_ON_ERROR_MODES = ("raise", "warn", "ignore")


def check_on_error(on_error: str) -> OnError:
    """Validate an ``on_error`` option, naming the allowed values."""
    if on_error not in _ON_ERROR_MODES:
        raise ValueError(f"on_error must be one of {list(_ON_ERROR_MODES)}, got {on_error!r}")
    return on_error  # type: ignore[return-value]


def handle_memory_error(on_error: OnError, exc: BaseException, what: str) -> str:
    """Apply the ``on_error`` policy to a memory failure.

    Re-raises for ``"raise"``; logs a warning for ``"warn"``; stays silent for
    ``"ignore"``. Returns a one-line description for the turn's trace.
    """
    if on_error == "raise":
        raise exc
    text = f"{what} failed: {type(exc).__name__}: {exc}"
    if on_error == "warn":
        import logging

        logging.getLogger("mem0_langgraph").warning("mem0-langgraph: %s; answering without memory", text)
    return text
