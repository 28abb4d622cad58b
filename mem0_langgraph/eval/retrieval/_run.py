"""The machinery every retrieval runner shares: the store, the recallers, the search cache, the timings.

A `Run` holds one temporary store, one `Recaller` per (reranker, ``k``) and what
was skipped. All recallers search through one `SearchCache`, so each question's
candidates are fetched once, ``search_k`` of them, and shared by every reranker
and ``k`` (dense top-``n`` is a prefix of dense top-``search_k``).
"""

from __future__ import annotations

import dataclasses
import random
import time
from collections import Counter
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from mem0_langgraph.backends.base import ForwardingBackend, MemoryBackend, MemoryHit, Op, Search
from mem0_langgraph.core.rerank import Reranker
from mem0_langgraph.eval._metrics import percentile

if TYPE_CHECKING:
    from mem0_langgraph.core.store import Storer

_GET_ALL_LIMIT = 100_000


@dataclass(frozen=True)
class Recalled:
    """What one recaller injected for one question.

    Attributes:
        found: The keys of the turns (LoCoMo dialogue ids, LongMemEval ``(session id,
            turn index)``) whose stored text is among the injected memories.
        tokens: Tokens of the rendered memory message (0 when nothing was injected).
        memories: How many memories were injected.
    """

    found: frozenset[Hashable]
    tokens: int
    memories: int


class SearchCache(ForwardingBackend):
    """The real backend, with each (query, filters) searched once with ``search_k`` and sliced for smaller limits.

    Only `Search` operations change; every other operation goes to ``inner`` as is.
    ``latencies_ms`` records the real searches only.

    Example:
        >>> from mem0_langgraph.backends.base import BaseBackend
        >>> class Numbers(BaseBackend):
        ...     def run(self, op): return [MemoryHit(str(i), f"memory {i}") for i in range(op.limit)]
        ...     async def arun(self, op): return self.run(op)
        >>> cache = SearchCache(Numbers(), search_k=10)
        >>> [h.id for h in cache.search("q", filters={"user_id": "u"}, limit=3)], len(cache.latencies_ms)
        (['0', '1', '2'], 1)
        >>> len(cache.search("q", filters={"user_id": "u"}, limit=5)), len(cache.latencies_ms)
        (5, 1)
    """

    def __init__(self, inner: MemoryBackend, search_k: int) -> None:
        super().__init__(inner)
        self.search_k = search_k
        self.latencies_ms: list[float] = []
        self._hits: dict[Hashable, list[MemoryHit]] = {}

    def run(self, op: Op) -> Any:
        if not isinstance(op, Search):
            return super().run(op)
        key = (op.query, tuple(sorted(op.filters.items())))
        hits = self._hits.get(key)
        if hits is None or (len(hits) < op.limit and len(hits) == self.search_k):
            start = time.perf_counter()
            hits = super().run(dataclasses.replace(op, limit=max(op.limit, self.search_k)))
            self.latencies_ms.append((time.perf_counter() - start) * 1000)
            self._hits[key] = hits
        return list(hits[: op.limit])

    async def arun(self, op: Op) -> Any:
        # The benchmark recalls synchronously; an async search still shares the cache and its timings.
        return self.run(op) if isinstance(op, Search) else await super().arun(op)


class Timed:
    """A reranker with its call times recorded."""

    def __init__(self, inner: Reranker) -> None:
        self.inner = inner
        self.latencies_ms: list[float] = []

    def rerank(self, query: str, hits: Sequence[MemoryHit]) -> list[MemoryHit]:
        start = time.perf_counter()
        out = self.inner.rerank(query, hits)
        self.latencies_ms.append((time.perf_counter() - start) * 1000)
        return out


class Run:
    """One benchmark run: the store, the storers, one `Recaller` per (reranker, k), the keys of stored texts."""

    def __init__(self, backend: MemoryBackend, rerankers: Mapping[str, Reranker | None], k_values: Sequence[int],
                 *, search_k: int, min_score: float, max_tokens: int, progress: bool, write_gate: str = "all",
                 options: Mapping[str, Mapping[str, Any]] | None = None) -> None:
        from mem0_langgraph.core.recall import Recaller
        from mem0_langgraph.gates.base import AlwaysRecall

        self.backend = backend
        self.cache = SearchCache(backend, search_k)
        self.k_values = tuple(k_values)
        self.progress = progress
        self.timers = {name: Timed(r) for name, r in rerankers.items() if r is not None}
        self.recallers = {
            name: {k: Recaller(self.cache, gate=AlwaysRecall(), top_k=k, search_k=search_k, min_score=min_score,
                               max_tokens=max_tokens, recent_window=0, on_error="raise",
                               # A benchmark waits for every search: on a busy machine one may pass the
                               # product's 1 s, and that is a measure of the machine, not of recall.
                               recall_timeout_s=None,
                               reranker=self.timers.get(name), **(options or {}).get(name, {}))
                   for k in self.k_values}
            for name in rerankers
        }
        self.skipped: Counter[str] = Counter()
        self.write_gate = write_gate

    def storer(self, roles: tuple[str, ...]) -> Storer:
        """A `Storer` that writes inline into the run's store, the product's write policy included."""
        from mem0_langgraph.core.store import Storer
        from mem0_langgraph.gates.write import StoreAll

        gate = StoreAll() if self.write_gate == "all" else None  # None: the product's default write gate
        return Storer(self.backend, sync_store=True, store_roles=roles, write_gate=gate, on_error="raise")

    def store(self, storer: Storer, messages: list[Any], config: dict[str, Any]) -> frozenset[str]:
        """Store one exchange; the roles whose text was kept (empty, with the reason counted, when none)."""
        trace = storer.store(messages, config)
        if not trace.get("stored"):
            self.skipped[f"store: {trace.get('store_reason') or 'not stored'}"] += 1
            return frozenset()
        decision = trace.get("write") or {}
        return frozenset(r for r in storer.roles if decision.get(r, True))

    def memory_keys(self, user_id: str, keys_of_text: Mapping[str, list[Hashable]]) -> dict[str, list[Hashable]]:
        """Memory id -> the turns its stored text came from, read back from the store."""
        out: dict[str, list[Hashable]] = {}
        for hit in self.backend.get_all(filters={"user_id": user_id}, limit=_GET_ALL_LIMIT):
            keys = keys_of_text.get(hit.text)
            if keys is None:
                self.skipped["memory: stored text of no turn (unscored)"] += 1
                continue
            out[hit.id] = list(keys)
        return out

    def recall(self, question: str, user_id: str, memory_keys: Mapping[str, list[Hashable]],
               asked_at: str | None = None) -> dict[str, dict[int, Recalled]]:
        """Per reranker and k: what its recaller injected for ``question`` (asked at ``asked_at``, ISO, if known)."""
        from langchain_core.messages import HumanMessage

        from mem0_langgraph.core._text import estimate_tokens
        from mem0_langgraph.core.render import render_memories

        config = {"configurable": {"user_id": user_id}}
        out: dict[str, dict[int, Recalled]] = {}
        for name, by_k in self.recallers.items():
            out[name] = {}
            for k, recaller in by_k.items():
                turn = HumanMessage(question, additional_kwargs={"timestamp": asked_at} if asked_at else {})
                memories = recaller.recall([turn], config).memories
                message = render_memories(memories)
                tokens = estimate_tokens(str(message.content)) if message is not None else 0
                found = frozenset(key for m in memories for key in memory_keys.get(m["id"], ()))
                out[name][k] = Recalled(found, tokens, len(memories))
        return out

    def latency(self) -> tuple[dict[str, float | None], dict[str, dict[str, float | None]]]:
        """Search latency (real searches only) and, per reranker, rerank latency (0 for none)."""
        search = {"search_ms_p50": percentile(self.cache.latencies_ms, 50),
                  "search_ms_p95": percentile(self.cache.latencies_ms, 95)}
        rerank: dict[str, dict[str, float | None]] = {}
        for name in self.recallers:
            times = self.timers[name].latencies_ms if name in self.timers else [0.0]
            rerank[name] = {"rerank_ms_p50": percentile(times, 50), "rerank_ms_p95": percentile(times, 95)}
        return search, rerank

    def skipped_report(self) -> dict[str, int]:
        """The skip counts, sorted by reason, zeros left out."""
        return {k: v for k, v in sorted(self.skipped.items()) if v}


def pre_embed(texts: Iterable[str]) -> None:
    """Embed ``texts`` in one batched pass; the adds and searches then hit the embedder's cache."""
    from mem0_langgraph.backends._embedding import shared_embeddings

    unique = list(dict.fromkeys(t for t in texts if t))
    shared_embeddings().embed_documents(unique)


def sample(items: Sequence[Any], limit: int | None, seed: int) -> list[Any]:
    """``limit`` of ``items`` (seeded, in their order); all of them for None or 0."""
    if not limit or limit >= len(items):
        return list(items)
    keep = set(random.Random(seed).sample(range(len(items)), limit))
    return [x for i, x in enumerate(items) if i in keep]


def mean(values: Sequence[float]) -> float | None:
    """The mean; None for no values."""
    return sum(values) / len(values) if values else None


def bar(iterable: Iterable[Any], desc: str, total: int | None, enabled: bool, unit: str) -> Iterable[Any]:
    """A tqdm progress bar on stderr (a no-op when not ``enabled``)."""
    from tqdm import tqdm

    return tqdm(iterable, desc=desc, total=total, unit=unit, disable=not enabled, leave=False)
