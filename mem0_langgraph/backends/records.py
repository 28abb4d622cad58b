"""What `MemoryScope` returns: typed, frozen, JSON-ready records of memories and their changes."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from mem0_langgraph.backends.base import MemoryHit
from mem0_langgraph.core.scopes import LEVELS

SCOPE_KEYS = tuple(f"{level}_id" for level in LEVELS)
"""mem0's scope id keys: ``user_id``, ``agent_id``, ``run_id``."""
_INTERNAL_KEYS = frozenset({"hash", "text_lemmatized", "updated_at", *SCOPE_KEYS})


@dataclass(frozen=True)
class MemoryRecord:
    """One memory as `MemoryScope` returns it.

    Attributes:
        id: The memory's id.
        text: The memory text.
        user_id: The user it belongs to, if any.
        agent_id: The agent it belongs to, if any.
        run_id: The session it belongs to, if any.
        created_at: ISO timestamp of creation.
        updated_at: ISO timestamp of the last change.
        score: Relevance for a search result (higher is better), None otherwise.
        metadata: The rest: ``role``, and what was stored with it (``category``, ...).
    """

    id: str
    text: str
    user_id: str | None = None
    agent_id: str | None = None
    run_id: str | None = None
    created_at: str | None = None
    updated_at: str | None = None
    score: float | None = None
    metadata: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def from_hit(cls, hit: MemoryHit, *, scored: bool = False) -> MemoryRecord:
        """Build a record from a backend `MemoryHit`."""
        meta = hit.metadata
        ids = {k: (str(meta[k]) if meta.get(k) is not None else None) for k in SCOPE_KEYS}
        return cls(id=hit.id, text=hit.text, **ids, created_at=hit.created_at,
                   updated_at=meta.get("updated_at"), score=hit.score if scored else None,
                   metadata={k: v for k, v in meta.items() if k not in _INTERNAL_KEYS})

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (what ``mem0-langgraph memories export`` writes)."""
        return {k: (dict(v) if isinstance(v, Mapping) else v) for k, v in asdict(self).items()}


@dataclass(frozen=True)
class MemoryChange:
    """One entry of a memory's history, oldest first.

    Attributes:
        memory_id: The memory changed.
        event: ``"ADD"``, ``"UPDATE"`` or ``"DELETE"``.
        old_text: The text before the change (None for an add).
        new_text: The text after it (None for a delete).
        at: ISO timestamp of the change.
    """

    memory_id: str
    event: str
    old_text: str | None
    new_text: str | None
    at: str | None

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return asdict(self)
