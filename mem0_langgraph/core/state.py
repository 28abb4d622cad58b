"""Graph state: the messages plus this turn's recall, replaced every turn."""

from __future__ import annotations

from typing import Any

from langgraph.graph import MessagesState
from typing_extensions import NotRequired, TypedDict

RECALL_KEY = "recalled_memories"
TRACE_KEY = "memory_trace"


class RecalledMemory(TypedDict):
    """A memory handed to the model this turn (JSON-safe, so any checkpointer stores it)."""

    id: str
    memory: str
    score: float
    created_at: str | None
    said_at: NotRequired[str | None]
    """When it was said (ISO 8601, UTC), when known."""
    category: NotRequired[str | None]
    """Its category (``preference``, ``fact``, ``event``, ``plan``, ``relationship``, ``emotion``, ``advice``)."""
    role: NotRequired[str | None]
    """Who said it: ``"user"`` or ``"assistant"``; None for extracted facts."""
    superseded_by: NotRequired[str | None]
    """Id of the newer memory that replaced it; absent or None while it is current."""
    superseded_at: NotRequired[str | None]
    """When the newer memory was said."""


class WriteTrace(TypedDict, total=False):
    """The write gate's verdict for this turn."""

    user: bool
    """Whether the user's message was kept."""
    assistant: bool
    """Whether the assistant's reply was kept (as advice)."""
    category: str | None
    """The user message's category."""
    reason: str
    """Why."""
    expires: str
    """``YYYY-MM-DD`` after which the statement is no longer recalled ("this week")."""


class LatencyMs(TypedDict, total=False):
    gate: float
    """Time the recall gate took."""
    search: float
    """Time the memory search took (0 when the gate said no)."""
    store: float
    """Time the store step added to the turn (the enqueue, not the write)."""


class TurnTrace(TypedDict, total=False):
    """What memory did this turn: kept in state and sent to callbacks as run metadata."""

    recall: bool
    """The gate's decision."""
    score: float
    """The gate's score."""
    reason: str
    """Why the gate decided so, or why recall was skipped."""
    queries: list[str]
    """Search queries run."""
    memories: list[dict[str, Any]]
    """``{"id", "score"}`` of each memory handed to the model."""
    candidates: int
    """Hits returned by the search before thresholds, dedup and budgets."""
    stored: bool
    """Whether the exchange was queued for storage."""
    store_reason: str
    """Why it was or was not stored."""
    write: WriteTrace
    """The write gate's verdict: which sides were kept, the category, and why."""
    error: str
    """A memory failure that the turn survived (``on_error="warn"`` / ``"ignore"``)."""
    latency_ms: LatencyMs


class MemoryState(MessagesState):
    """State schema of `with_memory` graphs: ``messages`` plus this turn's recall.

    ``recalled_memories`` and ``memory_trace`` have no reducer: each turn's
    recall replaces the last one, so recalled text never accumulates in the
    checkpointed history, and never enters ``messages``.
    """

    recalled_memories: NotRequired[list[RecalledMemory]]
    memory_trace: NotRequired[TurnTrace]


def merge_trace(previous: TurnTrace | None, part: TurnTrace) -> TurnTrace:
    """This turn's trace with a later step's part merged in.

    Latencies are merged, not replaced, and so are errors: a recall error and a store error
    of the same turn are both kept, joined by ``"; "``.

    Example:
        >>> merge_trace({"recall": True, "latency_ms": {"gate": 0.1}}, {"stored": True, "latency_ms": {"store": 0.4}})
        {'recall': True, 'latency_ms': {'gate': 0.1, 'store': 0.4}, 'stored': True}
        >>> merge_trace({"error": "memory recall failed: X"}, {"error": "memory store failed: X"})["error"]
        'memory recall failed: X; memory store failed: X'
    """
    merged: dict[str, Any] = dict(previous or {})
    latency = {**merged.get("latency_ms", {}), **part.get("latency_ms", {})}
    error = "; ".join(e for e in (merged.get("error"), part.get("error")) if e)
    merged.update({k: v for k, v in part.items() if k != "latency_ms"}, latency_ms=latency)
    if error:
        merged["error"] = error
    return merged  # type: ignore[return-value]
