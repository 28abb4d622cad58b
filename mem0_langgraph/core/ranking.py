"""Time-aware ranking of recalled memories: the current fact above the superseded one, newer above older.

Pure functions over `MemoryHit` lists, used by `Recaller` after the reranker and before the
thresholds and budgets. A memory's time is its ``said_at`` (else ``created_at``), see `timeinfo`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

from mem0_langgraph.backends.base import MemoryHit
from mem0_langgraph.core.supersede import STATUS_KEY, SUPERSEDED
from mem0_langgraph.core.timeinfo import when_of


def time_rank(hits: Sequence[MemoryHit], *, recency_weight: float, recency_band: float,
              superseded_penalty: float) -> list[MemoryHit]:
    """One query's hits re-scored by time: superseded ones lose ``superseded_penalty``; among the hits
    within ``recency_band`` of the best (the same subject), the newest gains ``recency_weight``, the
    oldest nothing, the rest in proportion to their time.

    Example:
        >>> old = MemoryHit("1", "I'm vegetarian.", 0.70, "2026-11-02T09:00:00+00:00", {"status": "superseded"})
        >>> new = MemoryHit("2", "Actually I eat fish again.", 0.66, "2026-11-04T09:00:00+00:00")
        >>> ranked = time_rank([old, new], recency_weight=0.05, recency_band=0.1, superseded_penalty=0.1)
        >>> [(h.id, round(h.score, 2)) for h in ranked]
        [('2', 0.71), ('1', 0.6)]
    """
    if not hits or (recency_weight == 0 and superseded_penalty == 0):
        return list(hits)
    top = max(h.score for h in hits)
    times = {h.id: when_of({**h.metadata, "created_at": h.created_at}) for h in hits}
    near = sorted(t.timestamp() for h in hits if h.score >= top - recency_band and (t := times[h.id]))
    out = []
    for h in hits:
        score = h.score
        t = times[h.id]
        if recency_weight and t is not None and len(near) > 1 and h.score >= top - recency_band:
            span = near[-1] - near[0]
            score += recency_weight * ((t.timestamp() - near[0]) / span if span else 0.0)
        if h.metadata.get(STATUS_KEY) == SUPERSEDED:
            score -= superseded_penalty
        out.append(h if score == h.score else dataclasses.replace(h, score=score))
    return sorted(out, key=lambda h: h.score, reverse=True)


def link_replacements(hits: Sequence[MemoryHit], fetched: Sequence[MemoryHit] = ()) -> list[MemoryHit]:
    """Rank each superseded memory right below what replaced it: the replacement inherits the score of
    the memory it replaces when that is higher (it answers the same thing, and is current).

    Args:
        hits: The recalled candidates (several queries' hits; an id may repeat, the best score counts).
        fetched: Replacements fetched because the search missed them.

    Example:
        >>> old = MemoryHit("1", "I'm vegetarian.", 0.70, metadata={"status": "superseded", "superseded_by": "2"})
        >>> new = MemoryHit("2", "Actually I eat fish again.", 0.43)
        >>> [(h.id, h.score) for h in link_replacements([old, new])]
        [('2', 0.7), ('1', 0.699)]
    """
    best: dict[str, MemoryHit] = {}
    for h in [*hits, *fetched]:
        if h.id not in best or h.score > best[h.id].score:
            best[h.id] = h
    for h in list(best.values()):
        r = best.get(str(h.metadata.get("superseded_by") or ""))
        if h.metadata.get(STATUS_KEY) == SUPERSEDED and r is not None and r.id != h.id:
            top = max(r.score, h.score)
            best[r.id] = dataclasses.replace(r, score=top)
            best[h.id] = dataclasses.replace(h, score=min(h.score, round(top - 0.001, 6)))
    return sorted(best.values(), key=lambda h: h.score, reverse=True)
