"""Recall-before: gate, search, filter, budget; and `RecallNode`, the graph node.

`Recaller` holds the logic once, for every adapter (this node, the agent
middleware, the LangChain memory class): run the gate on the newest human
message; when it fires, search the configured scopes; drop hits under the score
threshold, duplicates and memories already in the recent window; cap by count
and by a token budget. `RecallNode` writes the result to a state key that is
replaced every turn, never to ``messages``.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from langchain_core.messages import BaseMessage
from langchain_core.runnables import RunnableConfig

from mem0_langgraph._node import StateNode, aemit_trace, emit_trace
from mem0_langgraph._steps import Steps, call, run_async, run_sync
from mem0_langgraph._text import clip, contained_in, estimate_tokens, last_of_type, message_text, normalise
from mem0_langgraph.backend import MemoryBackend, MemoryHit, as_backend
from mem0_langgraph.errors import OnError, check_on_error, handle_memory_error
from mem0_langgraph.gate import RecallGate, default_queries, topic_queries
from mem0_langgraph.rerank import DEFAULT_RERANKER, Reranker
from mem0_langgraph.scopes import ScopeConfig
from mem0_langgraph.state import RECALL_KEY, TRACE_KEY, RecalledMemory, TurnTrace

logger = logging.getLogger("mem0_langgraph")

_MAX_MEMORY_CHARS = 1500  # one stored paste must not eat the whole budget
TRACE_EVENT = "mem0_langgraph_recall"


@dataclass
class RecallResult:
    """This turn's memories and trace."""

    memories: list[RecalledMemory] = field(default_factory=list)
    trace: TurnTrace = field(default_factory=dict)  # type: ignore[assignment]


class Recaller:
    """The recall logic shared by `RecallNode` and the LangChain adapters.

    Args:
        memory: A `MemoryBackend`, a mem0 object or config dict, or None for the embedded default.
        gate: The recall gate. Default `LearnedGate` (it beats `RuleGate` on the held-out
            benchmark; it costs one embedding per non-trivial turn, which the search and the
            store then reuse).
        scopes: Where ids come from and which levels are searched. Default `ScopeConfig()`.
        top_k: Most memories handed to the model. Default 5.
        search_k: Candidates fetched per query before reranking and filtering. Default 100:
            the reranker can only lift evidence that dense search fetched.
        min_score: Hits scoring lower are dropped, in the backend's units. The embedded
            default (Chroma L2 on unit vectors) scores ``1 / (3 - 2 * cosine)``, so the
            default 0.4 keeps hits with cosine above 0.25.
        max_tokens: Budget for the memories' text, estimated at 4 characters a token. Default 400.
        recent_window: Messages before the newest one that the gate sees and that
            recalled text is checked against. Default 6.
        on_error: ``"warn"`` (default): log and answer without memory; ``"raise"``; ``"ignore"``.
        reranker: Re-scores each query's candidates before the filters (see `Reranker`).
            Default `KeywordFusion` (LoCoMo evidence recall@10 0.454 -> 0.605); None keeps the
            backend's scores as they are.
        probe_band: Memory-aware decisions: a gate score in ``[low, high)`` means "unsure";
            such a turn searches anyway and recalls only memories scoring ``probe_min_score``
            or more, so it fires when the store clearly holds something relevant and stays
            quiet when it does not. Scores of ``high`` and above recall as usual; below ``low``
            nothing is searched. In gate-score units; None turns it off. Default (0.1, 0.8).
        probe_min_score: The stricter score a probed memory needs. Default 0.45 (cosine 0.39
            on the embedded default).
    """

    def __init__(
        self,
        memory: Any = None,
        *,
        gate: RecallGate | None = None,
        scopes: ScopeConfig | None = None,
        top_k: int = 5,
        search_k: int = 100,
        min_score: float = 0.4,
        max_tokens: int = 400,
        recent_window: int = 6,
        on_error: OnError = "warn",
        reranker: Reranker | None = DEFAULT_RERANKER,
        probe_band: tuple[float, float] | None = (0.1, 0.8),
        probe_min_score: float = 0.45,
    ) -> None:
        if top_k < 1 or search_k < top_k:
            raise ValueError(f"need 1 <= top_k <= search_k, got top_k={top_k}, search_k={search_k}")
        if max_tokens < 1 or recent_window < 0:
            raise ValueError("max_tokens must be >= 1 and recent_window >= 0")
        self.backend: MemoryBackend = as_backend(memory)
        self.gate: RecallGate = gate if gate is not None else _default_gate()
        if not isinstance(self.gate, RecallGate):
            raise TypeError(f"gate must implement decide() and adecide(), got {type(self.gate).__name__}")
        self.scopes = scopes or ScopeConfig()
        self.top_k = top_k
        self.search_k = search_k
        self.min_score = min_score
        self.max_tokens = max_tokens
        self.recent_window = recent_window
        self.on_error = check_on_error(on_error)
        self.reranker = reranker
        if probe_band is not None and not 0.0 <= probe_band[0] <= probe_band[1]:
            raise ValueError(f"probe_band must be (low, high) with 0 <= low <= high, got {probe_band}")
        self.probe_band = probe_band
        self.probe_min_score = probe_min_score

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
        per_query: list[list[MemoryHit]] = yield [
            call(self.backend.search, self.backend.asearch, q, filters=filters, limit=self.search_k)
            for q in queries
        ]
        candidates = sum(len(h) for h in per_query)
        if probing:
            # Memory-aware: a turn the gate is unsure about recalls only what clearly matches,
            # judged on the backend's own similarity, before any reranker lifts a shared word.
            per_query = [[h for h in hits if h.score >= self.probe_min_score] for hits in per_query]
        if self.reranker is not None:
            per_query = [self.reranker.rerank(q, hits) for q, hits in zip(queries, per_query)]
        trace["latency_ms"]["search"] = _ms(t0)
        window = [normalise(message_text(m)) for m in recent] + [normalise(text)]
        result.memories = self.select([h for hits in per_query for h in hits], window)
        if probing:
            trace.update(queries=queries, recall=bool(result.memories),
                         reason=f"{decision.reason}; probe: {len(result.memories)} memories at score >= "
                                f"{self.probe_min_score}")
        trace["candidates"] = candidates
        trace["memories"] = [{"id": m["id"], "score": round(m["score"], 4)} for m in result.memories]
        logger.debug("mem0-langgraph recall: %d candidates -> %d memories in %.1f ms", trace["candidates"],
                     len(result.memories), trace["latency_ms"]["search"])
        return result

    def select(self, hits: Sequence[MemoryHit], window: Sequence[str]) -> list[RecalledMemory]:
        """Threshold, dedupe, drop what the recent window already says, cap by count and tokens."""
        best: dict[str, MemoryHit] = {}
        for h in hits:
            if h.score >= self.min_score and (h.id not in best or h.score > best[h.id].score):
                best[h.id] = h
        chosen: list[RecalledMemory] = []
        seen_texts: set[str] = set()
        budget = self.max_tokens
        for h in sorted(best.values(), key=lambda h: h.score, reverse=True):
            key = normalise(h.text)
            if not key or key in seen_texts or contained_in(h.text, window):
                continue
            text = clip(h.text, _MAX_MEMORY_CHARS)
            cost = estimate_tokens(text)
            if cost > budget:
                continue
            seen_texts.add(key)
            budget -= cost
            chosen.append(RecalledMemory(id=h.id, memory=text, score=h.score, created_at=h.created_at))
            if len(chosen) == self.top_k:
                break
        return chosen


class RecallNode(StateNode):
    """Recall-before node: puts this turn's memories in ``state["recalled_memories"]``.

    The key is replaced every turn (an empty list when the gate says no), and
    nothing is added to ``messages``. The turn's trace goes to ``memory_trace``
    and to callback handlers as the custom event ``"mem0_langgraph_recall"``.
    Takes the options of `Recaller`, plus ``recall_key`` and ``trace_key``.

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

    def __init__(self, memory: Any = None, *, recall_key: str = RECALL_KEY, trace_key: str = TRACE_KEY,
                 name: str = "recall_memories", **options: Any) -> None:
        self.recaller = options.pop("recaller", None) or Recaller(memory, **options)
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


def _default_gate() -> RecallGate:
    # Imported here: the learned gate pulls numpy, and `import mem0_langgraph` stays light.
    from mem0_langgraph.learned_gate import LearnedGate

    return LearnedGate()


def _ms(t0: float) -> float:
    return round((time.perf_counter() - t0) * 1000, 3)
