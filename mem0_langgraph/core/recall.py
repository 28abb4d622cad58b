"""Recall-before: gate, search, filter, budget; and `RecallNode`, the graph node.

`Recaller` holds the logic once, for every adapter (this node, the agent
middleware, the LangChain memory class): run the gate on the newest human
message; when it fires, search the configured scopes, add what the scope's entity
index matches that dense search missed (``index_k``), rerank, lift what the side the
question asks about said (``role_lift``), lift by the question's dates (``temporal``),
follow entity links from the best hits (``link_k``), rank by time (newer statements of
the question's subject first); drop hits under the score threshold, duplicates and
memories already in the recent window; cap by count and by a token budget, a long memory
cut to the part the question is about. `RecallNode` writes the result to a state key that is
replaced every turn, never to ``messages``.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from langchain_core.messages import BaseMessage
from langchain_core.runnables import RunnableConfig
from typing_extensions import Unpack

from mem0_langgraph.backends.base import Get, MemoryBackend, MemoryHit
from mem0_langgraph.core import entities as _entities
from mem0_langgraph.core._node import StateNode, aemit_trace, emit_trace
from mem0_langgraph.core._steps import Steps, call, run_async, run_sync
from mem0_langgraph.core._text import (
    CHARS_PER_TOKEN,
    contained_in,
    estimate_tokens,
    last_of_type,
    message_text,
    normalise,
)
from mem0_langgraph.core.excerpt import excerpt
from mem0_langgraph.core.expand import index_steps, link_steps
from mem0_langgraph.core.options import RecallerOptions, resolve_options
from mem0_langgraph.core.ranking import link_replacements, time_rank
from mem0_langgraph.core.rerank import DEFAULT_RERANKER, Reranker
from mem0_langgraph.core.roles import asked_role, role_lift
from mem0_langgraph.core.scopes import ScopeConfig, hits_in_scope
from mem0_langgraph.core.state import RECALL_KEY, TRACE_KEY, RecalledMemory, TurnTrace
from mem0_langgraph.core.temporal import parse_time_query, time_lift
from mem0_langgraph.core.timeinfo import SAID_AT_KEY, now_utc, said_at_of
from mem0_langgraph.errors import (
    MemoryBackendError,
    check_on_error,
    handle_memory_error,
)
from mem0_langgraph.gates.base import MAX_QUERY_CHARS, RecallGate, default_queries, topic_queries

logger = logging.getLogger("mem0_langgraph")

_MAX_MEMORY_CHARS = 1500  # one stored paste must not eat the whole budget
_MAX_BUDGET_SHARE = 3  # nor may one memory take more than a third of max_tokens: a long reply ranked 0.0001
# above the evidence used to take 376 of 400 tokens and push the evidence out (eval peer, held out)
TRACE_EVENT = "mem0_langgraph_recall"


@dataclass
class RecallResult:
    """This turn's memories and trace."""

    memories: list[RecalledMemory] = field(default_factory=list)
    trace: TurnTrace = field(default_factory=dict)  # type: ignore[assignment]


class Recaller:
    """The recall logic shared by `RecallNode` and the LangChain adapters.

    Args:
        backend: The `MemoryBackend` searched (built once by the adapter, see `as_backend`).
        **options: `RecallerOptions`: ``gate``, ``scopes``, ``top_k``, ``search_k``, ``min_score``,
            ``max_tokens``, ``recent_window``, ``reranker``, ``probe_band``, ``probe_min_score``,
            ``index_k``, ``temporal``, ``on_error``, ...; each option's default and meaning is documented
            there, once.

    Raises:
        TypeError: An unknown option, or a gate that is not a `RecallGate`.
        ValueError: An option out of range.
    """

    def __init__(self, backend: MemoryBackend, **options: Unpack[RecallerOptions]) -> None:
        o = resolve_options(options, RecallerOptions, where="Recaller")
        if not isinstance(backend, MemoryBackend):
            raise TypeError(f"Recaller needs a MemoryBackend (see as_backend), got {type(backend).__name__}")
        if o["top_k"] < 1 or o["search_k"] < o["top_k"]:
            raise ValueError(f"need 1 <= top_k <= search_k, got top_k={o['top_k']}, search_k={o['search_k']}")
        if o["max_tokens"] < 1 or o["recent_window"] < 0:
            raise ValueError("max_tokens must be >= 1 and recent_window >= 0")
        probe_band = o["probe_band"]
        if probe_band is not None and not 0.0 <= probe_band[0] <= probe_band[1]:
            raise ValueError(f"probe_band must be (low, high) with 0 <= low <= high, got {probe_band}")
        self.backend = backend
        self.gate: RecallGate = o["gate"] if o["gate"] is not None else _default_gate()
        if not isinstance(self.gate, RecallGate):
            raise TypeError(f"gate must implement decide() and adecide(), got {type(self.gate).__name__}")
        self.scopes: ScopeConfig = o["scopes"] or ScopeConfig()
        self.top_k: int = o["top_k"]
        self.search_k: int = o["search_k"]
        self.min_score: float = o["min_score"]
        self.max_tokens: int = o["max_tokens"]
        self.recent_window: int = o["recent_window"]
        self.on_error = check_on_error(o["on_error"])
        self.reranker: Reranker | None = DEFAULT_RERANKER if o["reranker"] == "default" else o["reranker"]
        self.probe_band: tuple[float, float] | None = probe_band
        self.probe_min_score: float = o["probe_min_score"]
        self.recency_overlap: float | None = o["recency_overlap"]
        self.recency_band: float = o["recency_band"]
        self.superseded_penalty: float = o["superseded_penalty"]
        if min(self.recency_overlap or 0.0, self.recency_band, self.superseded_penalty) < 0:
            raise ValueError("recency_overlap, recency_band and superseded_penalty must be >= 0")
        timeout = o["recall_timeout_s"]
        if timeout is not None and timeout <= 0:
            raise ValueError(f"recall_timeout_s must be > 0 or None, got {timeout}")
        self.recall_timeout_s: float | None = timeout
        if o["index_k"] < 0:
            raise ValueError(f"index_k must be >= 0, got {o['index_k']}")
        self.index_k: int = o["index_k"]
        self.temporal: bool = bool(o["temporal"])
        if o["link_k"] < 0:
            raise ValueError(f"link_k must be >= 0, got {o['link_k']}")
        self.link_k: int = o["link_k"]
        if not 0.0 <= o["role_lift"] <= 1.0:
            raise ValueError(f"role_lift must be in [0, 1], got {o['role_lift']}")
        self.role_lift: float = o["role_lift"]
        self._index: _entities.EntityIndex | None = None

    def recall(self, messages: Sequence[BaseMessage], config: RunnableConfig | None = None,
               runtime: Any = None) -> RecallResult:
        """Run the gate and, when it fires, the search, for the newest human message."""
        result = RecallResult()
        try:
            return run_sync(self._steps(messages, config, runtime, result))
        except Exception as exc:  # memory must not take the turn down; on_error decides
            return self._failed(result, exc)

    async def arecall(self, messages: Sequence[BaseMessage], config: RunnableConfig | None = None,
                      runtime: Any = None) -> RecallResult:
        """Async twin of `recall`."""
        result = RecallResult()
        try:
            return await run_async(self._steps(messages, config, runtime, result))
        except Exception as exc:  # memory must not take the turn down; on_error decides
            return self._failed(result, exc)

    def _failed(self, result: RecallResult, exc: Exception) -> RecallResult:
        result.memories = []
        result.trace["error"] = handle_memory_error(self.on_error, exc, "memory recall")
        return result

    def _steps(self, messages: Sequence[BaseMessage], config: RunnableConfig | None, runtime: Any,
               result: RecallResult) -> Steps[RecallResult]:
        trace = result.trace
        trace.update(recall=False, score=0.0, reason="", queries=[], memories=[], candidates=0,
                     latency_ms={"gate": 0.0, "search": 0.0})
        idx = last_of_type(messages, "human", with_text=False)
        text = message_text(messages[idx]) if idx is not None else ""
        if not text:
            trace["reason"] = ("skipped: no human message" if idx is None
                               else "skipped: newest human message has no text")
            logger.info("mem0-langgraph recall: %s", trace["reason"])
            return result
        recent = list(messages[max(0, idx - self.recent_window):idx])

        t0 = time.perf_counter()
        decision = yield call(self.gate.decide, self.gate.adecide, text, recent)
        trace["latency_ms"]["gate"] = _ms(t0)
        trace.update(recall=decision.recall, score=float(decision.score), reason=decision.reason,
                     queries=list(decision.queries))
        logger.debug("mem0-langgraph gate: recall=%s score=%.3f reason=%s", decision.recall, decision.score,
                     decision.reason)
        probing = self.probe_band is not None and self.probe_band[0] <= decision.score < self.probe_band[1]
        if not (decision.recall or probing):
            return result
        queries = list(decision.queries) or default_queries(text) + topic_queries(text)
        if not queries:
            return result

        filters = self.scopes.search_filters(self.scopes.resolve(config, runtime))
        t0 = time.perf_counter()
        per_query: list[list[MemoryHit]] = yield call(self._search_all, self._asearch_all, queries, filters)
        candidates = sum(len(h) for h in per_query)
        if probing:
            # Memory-aware: a turn the gate is unsure about recalls only what clearly matches,
            # judged on the backend's own similarity, before any reranker lifts a shared word.
            per_query = [[h for h in hits if h.score >= self.probe_min_score] for hits in per_query]
        if self.index_k and not probing:
            per_query = yield from index_steps(self, queries, filters, per_query)
        if self.reranker is not None:
            per_query = [self.reranker.rerank(q, hits) for q, hits in zip(queries, per_query)]
        question = text[:MAX_QUERY_CHARS]  # what role, subject and excerpt read of a 100,000-character message
        if self.role_lift:
            role = asked_role(question)
            per_query = [role_lift(hits, role, self.role_lift) for hits in per_query]
        if self.temporal and (asked := parse_time_query(text, said_at_of(messages[idx]) or now_utc())):  # type: ignore[index]
            per_query = [time_lift(hits, asked) for hits in per_query]
        if self.link_k and not probing:
            per_query = yield from link_steps(self, text, filters, per_query)
        per_query = [self.rank_by_time(hits, question) for hits in per_query]
        flat = [h for hits in per_query for h in hits if h.score >= self.min_score]
        # A superseded memory never reaches the model without what replaced it: fetch the replacements
        # the search missed (one get each, only when a superseded memory is recalled).
        have = {h.id for h in flat}
        missing = sorted({r for h in flat if (r := h.metadata.get("superseded_by")) and r not in have})
        fetched = (yield [call(self.backend.run, self.backend.arun, Get(r)) for r in missing]) if missing else []
        flat = link_replacements(flat, hits_in_scope(fetched, filters))
        trace["latency_ms"]["search"] = _ms(t0)
        window = [normalise(message_text(m)) for m in recent] + [normalise(text)]
        result.memories = self.select(flat, window, question)
        if probing:
            trace.update(queries=queries, recall=bool(result.memories),
                         reason=f"{decision.reason}; probe: {len(result.memories)} memories at score >= "
                                f"{self.probe_min_score}")
        trace["candidates"] = candidates
        trace["memories"] = [{"id": m["id"], "score": round(m["score"], 4)} for m in result.memories]
        logger.debug("mem0-langgraph recall: %d candidates -> %d memories in %.1f ms", trace["candidates"],
                     len(result.memories), trace["latency_ms"]["search"])
        return result

    def entity_index(self) -> _entities.EntityIndex:
        """The entity index of this recaller's store (see `entity_index`), opened on first use."""
        if self._index is None:
            self._index = _entities.entity_index(self.backend)
        return self._index

    def _search_all(self, queries: Sequence[str], filters: dict[str, str]) -> list[list[MemoryHit]]:
        if self.recall_timeout_s is None:
            return [self.backend.search(q, filters=filters, limit=self.search_k) for q in queries]
        futures = [_search_pool().submit(self.backend.search, q, filters=filters, limit=self.search_k)
                   for q in queries]
        deadline = time.monotonic() + self.recall_timeout_s
        try:
            return [f.result(timeout=max(0.0, deadline - time.monotonic())) for f in futures]
        except concurrent.futures.TimeoutError:
            for f in futures:
                f.cancel()
            raise self._timed_out() from None

    async def _asearch_all(self, queries: Sequence[str], filters: dict[str, str]) -> list[list[MemoryHit]]:
        searches = asyncio.gather(*(self.backend.asearch(q, filters=filters, limit=self.search_k) for q in queries))
        try:
            return list(await asyncio.wait_for(searches, self.recall_timeout_s))
        except asyncio.TimeoutError:
            raise self._timed_out() from None

    def _timed_out(self) -> MemoryBackendError:
        return MemoryBackendError(f"memory search took longer than recall_timeout_s={self.recall_timeout_s}s; "
                                  "answering without it", operation="search")

    def rank_by_time(self, hits: Sequence[MemoryHit], question: str | None = None) -> list[MemoryHit]:
        """One query's hits re-scored by time, with this recaller's options (see `time_rank`); ``question``
        decides which part of a long memory is its subject."""
        return time_rank(hits, recency_overlap=self.recency_overlap, recency_band=self.recency_band,
                         superseded_penalty=self.superseded_penalty, question=question)

    def select(self, hits: Sequence[MemoryHit], window: Sequence[str], question: str = "") -> list[RecalledMemory]:
        """Threshold, dedupe, drop what the recent window already says, cap by count and tokens; a memory
        longer than its share of the budget is cut to the part ``question`` is about (see `excerpt`)."""
        best: dict[str, MemoryHit] = {}
        for h in hits:
            if h.score >= self.min_score and (h.id not in best or h.score > best[h.id].score):
                best[h.id] = h
        chosen: list[RecalledMemory] = []
        seen_texts: set[str] = set()
        budget = self.max_tokens
        max_chars = min(_MAX_MEMORY_CHARS, max(80, self.max_tokens * CHARS_PER_TOKEN // _MAX_BUDGET_SHARE))
        for h in sorted(best.values(), key=lambda h: h.score, reverse=True):
            key = normalise(h.text)
            if not key or key in seen_texts or contained_in(h.text, window):
                continue
            text = excerpt(h.text, max_chars, question)
            cost = estimate_tokens(text)
            if cost > budget:
                continue
            seen_texts.add(key)
            budget -= cost
            chosen.append(_recalled(h, text))
            if len(chosen) == self.top_k:
                break
        return chosen


class RecallNode(StateNode):
    """Recall-before node: puts this turn's memories in ``state["recalled_memories"]``.

    The key is replaced every turn (an empty list when the gate says no), and
    nothing is added to ``messages``. The turn's trace goes to ``memory_trace``
    and to callback handlers as the custom event ``"mem0_langgraph_recall"``.
    Takes ``memory`` (anything `as_backend` accepts) and `RecallerOptions`, or a ready
    ``recaller``; plus ``recall_key``, ``trace_key`` and ``name``.

    Example:
        >>> import tempfile
        >>> from langchain_core.messages import HumanMessage
        >>> from mem0_langgraph import create_memory
        >>> memory = create_memory(data_dir=tempfile.mkdtemp())  # the offline default
        >>> _ = memory.add("I'm vegetarian and allergic to peanuts.", user_id="alice", infer=False)
        >>> node = RecallNode(memory=memory)
        >>> update = node.invoke({"messages": [HumanMessage("What should I cook tonight?")]},
        ...                      {"configurable": {"user_id": "alice"}})
        >>> [m["memory"] for m in update["recalled_memories"]]
        ["I'm vegetarian and allergic to peanuts."]
        >>> node.invoke({"messages": [HumanMessage("thanks!")]}, {"configurable": {"user_id": "alice"}})["recalled_memories"]
        []
    """

    def __init__(self, memory: Any = None, *, recaller: Recaller | None = None, recall_key: str = RECALL_KEY,
                 trace_key: str = TRACE_KEY, name: str = "recall_memories",
                 **options: Unpack[RecallerOptions]) -> None:
        if recaller is not None and (memory is not None or options):
            raise TypeError("pass either recaller= or memory= and options, not both")
        if recaller is None:
            from mem0_langgraph.backends.factory import as_backend

            recaller = Recaller(as_backend(memory), **options)
        self.recaller = recaller
        self.recall_key = recall_key
        self.trace_key = trace_key
        self.name = name

    def _update(self, result: RecallResult) -> dict:
        return {self.recall_key: result.memories, self.trace_key: result.trace}

    def _run(self, state: dict, config: RunnableConfig) -> dict:
        result = self.recaller.recall(state.get("messages") or [], config)
        emit_trace(TRACE_EVENT, dict(result.trace), config)
        return self._update(result)

    async def _arun(self, state: dict, config: RunnableConfig) -> dict:
        result = await self.recaller.arecall(state.get("messages") or [], config)
        await aemit_trace(TRACE_EVENT, dict(result.trace), config)
        return self._update(result)


def _recalled(hit: MemoryHit, text: str) -> RecalledMemory:
    meta = hit.metadata
    memory = RecalledMemory(id=hit.id, memory=text, score=hit.score, created_at=hit.created_at)
    said = meta.get(SAID_AT_KEY)
    memory.update({k: v for k, v in (("said_at", said), ("category", meta.get("category")), ("role", meta.get("role")),
                                     ("superseded_by", meta.get("superseded_by")),
                                     ("superseded_at", meta.get("superseded_at"))) if v})  # type: ignore[typeddict-item]
    return memory


def _default_gate() -> RecallGate:
    # Imported here: the learned gate pulls numpy, and `import mem0_langgraph` stays light.
    from mem0_langgraph.gates.learned import LearnedGate

    return LearnedGate()


_POOL: concurrent.futures.ThreadPoolExecutor | None = None
_POOL_LOCK = threading.Lock()


def _search_pool() -> concurrent.futures.ThreadPoolExecutor:
    # Sync searches run here so a turn can stop waiting at recall_timeout_s; a hung search
    # occupies one worker until it returns, never the turn.
    global _POOL
    with _POOL_LOCK:
        if _POOL is None:
            _POOL = concurrent.futures.ThreadPoolExecutor(max_workers=8, thread_name_prefix="mem0-langgraph-search")
        return _POOL


def _ms(t0: float) -> float:
    return round((time.perf_counter() - t0) * 1000, 3)
