"""The options every adapter shares, and the one place that builds recall + store from them.

`with_memory`, `Mem0Middleware` and `Mem0Memory` take the same options; they
pass them here, so defaults and validation live in `Recaller` and `Storer` only.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from typing_extensions import TypedDict, Unpack

from mem0_langgraph.backend import as_backend
from mem0_langgraph.errors import OnError
from mem0_langgraph.gate import RecallGate
from mem0_langgraph.recall import Recaller
from mem0_langgraph.rerank import Reranker
from mem0_langgraph.scopes import ScopeConfig
from mem0_langgraph.store import Storer, WritePolicy
from mem0_langgraph.writer import MemoryWriter


class MemoryOptions(TypedDict, total=False):
    """Options of the recall and store steps (all keyword-only, all optional)."""

    gate: RecallGate
    """The recall gate. Default `LearnedGate`."""
    scopes: ScopeConfig
    """Scope keys and levels. Default: user from ``user_id``, session from ``thread_id``;
    write user + session, search the user's memories."""
    top_k: int
    """Most memories handed to the model. Default 5."""
    search_k: int
    """Candidates fetched per query before reranking and filtering. Default 100."""
    min_score: float
    """Score threshold in the backend's units. Default 0.4 (cosine 0.25 on the embedded default)."""
    max_tokens: int
    """Token budget of the memories' text. Default 400."""
    recent_window: int
    """Messages before the newest one that the gate sees and recall dedupes against. Default 6."""
    reranker: Reranker
    """Re-scores recall candidates before the filters. Default `KeywordFusion`; None: off."""
    probe_band: tuple[float, float] | None
    """Gate scores ``[low, high)`` that probe memory before recalling (see `Recaller`).
    Default (0.1, 0.8); None: off."""
    probe_min_score: float
    """Score a probed memory needs. Default 0.45 (cosine 0.39 on the embedded default)."""
    writer: MemoryWriter
    """Where writes go. Default a `BackgroundWriter`."""
    sync_store: bool
    """Write inline, for scripts and tests. Default False."""
    write_policy: WritePolicy
    """Which exchanges are worth storing. Default `SkipTrivialTurns`."""
    store_roles: Sequence[str]
    """Sides of the exchange to store. Default ``("user", "assistant")``."""
    store_max_chars: int
    """Longer messages are cut to this many characters before storing. Default 8000."""
    on_error: OnError
    """``"warn"`` (default): log and answer without memory; ``"raise"``; ``"ignore"``."""


_RECALL = ("gate", "top_k", "search_k", "min_score", "max_tokens", "recent_window", "reranker", "probe_band",
           "probe_min_score")
_STORE = {"writer": "writer", "sync_store": "sync", "write_policy": "policy", "store_roles": "roles",
          "store_max_chars": "max_chars"}


def build_components(memory: Any = None, **options: Unpack[MemoryOptions]) -> tuple[Recaller, Storer]:
    """Build the `Recaller` and `Storer` of one adapter, sharing one backend and one scope config.

    Args:
        memory: Anything `as_backend` accepts (None: the embedded default).
        **options: `MemoryOptions`. ``None`` means "the default" for the gate, scopes, writer and
            write policy, and "off" for ``probe_band``.

    Raises:
        TypeError: An unknown option, naming the valid ones.

    Example:
        >>> import tempfile
        >>> from mem0_langgraph import create_memory
        >>> memory = create_memory(data_dir=tempfile.mkdtemp())  # the offline default
        >>> recaller, storer = build_components(memory, top_k=3, sync_store=True)
        >>> recaller.top_k, type(storer.writer).__name__, recaller.backend is storer.backend
        (3, 'SyncWriter', True)
        >>> build_components(memory, topk=3)  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        TypeError: unknown memory option(s) ['topk']; valid: gate, max_tokens, min_score, ...
    """
    unknown = sorted(set(options) - set(MemoryOptions.__annotations__))
    if unknown:
        raise TypeError(f"unknown memory option(s) {unknown}; valid: {', '.join(sorted(MemoryOptions.__annotations__))}")
    given = dict(options)
    backend = as_backend(memory)
    scopes = given.get("scopes") or ScopeConfig()
    on_error = given.get("on_error", "warn")
    recaller = Recaller(backend, scopes=scopes, on_error=on_error, **{k: given[k] for k in _RECALL if k in given})
    storer = Storer(backend, scopes=scopes, on_error=on_error, **{v: given[k] for k, v in _STORE.items() if k in given})
    return recaller, storer
