"""Rerankers: re-score the recall candidates before thresholds and budgets.

The dense search of the embedded default returns ``search_k`` candidates per
query; a `Reranker` may re-order and re-score them (keyword evidence, recency,
neighbouring turns) before `Recaller` applies ``min_score``, dedup, ``top_k`` and
the token budget. Scores after reranking must stay comparable to ``min_score``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable

from mem0_langgraph.backend import MemoryHit


@runtime_checkable
class Reranker(Protocol):
    """Re-scores the candidates of one query."""

    def rerank(self, query: str, hits: Sequence[MemoryHit]) -> list[MemoryHit]:
        """Return ``hits`` re-scored (any order; `Recaller` sorts by score)."""
        ...
