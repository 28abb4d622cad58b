"""The two systems of the peer benchmark, one turn at a time, and how a turn is scored and diagnosed.

- `Peer`: mem0's documented LangGraph pattern (docs.mem0.ai/integrations/langgraph): on every turn
  ``memory.search(message, filters={"user_id": ...})`` with mem0's defaults (``top_k`` 20, ``threshold``
  0.1), every result injected as ``- {memory}`` lines under "Relevant information from previous
  conversations:", and the exchange added inline after the reply (``memory.add([...], user_id=...)``;
  ``infer=False`` here, as there is no LLM key offline). Its overhead is the search plus the add.
- `Ours`: the product's default recall and store steps (`build_components` with no options: `LearnedGate`,
  reranker, probe band, budget; the store step's default background writer). Its overhead is the recall
  step plus the store step as the turn pays for it (write gate and enqueue); the queued write is flushed
  outside the timing, before the next turn. The played turns carry the question's date as their time
  (the history keeps its sessions' dates), so the product resolves "two weeks ago" as the user meant it;
  the peer pattern passes no time (mem0's example does not).

Before each timed turn, every embedding the played turns left in the shared embedding cache is evicted, so
each system pays for embedding its own new message, as on a real turn. Tokens are `estimate_tokens` of the
injected memory text: ours, the message `render_memories` builds; the peer, its context block.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

PEER_CONTEXT_HEADER = "Relevant information from previous conversations:\n"
"""The line mem0's LangGraph example puts before the search results."""


@dataclass
class Played:
    """One system's turn: overhead, its parts, what was injected."""

    kind: str
    ms: float
    parts: dict[str, float]
    tokens: int
    texts: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "ms": round(self.ms, 3), "parts": {k: round(v, 3) for k, v in self.parts.items()},
                "tokens": self.tokens, "memories": len(self.texts)}


class FreshEmbeddings:
    """Keeps the shared embedding cache as it was after storing: a played turn is always embedded anew."""

    def __init__(self) -> None:
        from mem0_langgraph.backends._embedding import shared_embeddings

        self.embeddings = shared_embeddings()
        self.warm: set[str] = set()

    def settle(self) -> None:
        """Take what is cached now (the history, the constant topic queries) as warm."""
        self.warm = set(self.embeddings._cache)  # the benchmark's own view of the cache, read-only here

    def forget_played(self) -> None:
        """Evict every text cached since `settle`."""
        emb = self.embeddings
        with emb._lock:  # the cache's own lock: a background write may embed at the same time
            for key in [k for k in emb._cache if k not in self.warm]:
                del emb._cache[key]


class Peer:
    """mem0's documented LangGraph pattern for one user (see the module docstring)."""

    def __init__(self, memory: Any, user_id: str) -> None:
        self.memory = memory
        self.user_id = user_id
        self.added: list[str] = []

    def turn(self, kind: str, text: str, reply: str) -> Played:
        from mem0_langgraph.core._text import estimate_tokens

        t0 = time.perf_counter()
        found = self.memory.search(text, filters={"user_id": self.user_id})
        t1 = time.perf_counter()
        context = PEER_CONTEXT_HEADER + "".join(f"- {m['memory']}\n" for m in found["results"])
        t2 = time.perf_counter()
        added = self.memory.add([{"role": "user", "content": text}, {"role": "assistant", "content": reply}],
                                user_id=self.user_id, infer=False)
        t3 = time.perf_counter()
        self.added += [str(r["id"]) for r in added.get("results", [])]
        return Played(kind, (t1 - t0 + t3 - t2) * 1000, {"search": (t1 - t0) * 1000, "add": (t3 - t2) * 1000},
                      estimate_tokens(context), [str(m["memory"]) for m in found["results"]])

    def remove_added(self) -> None:
        """Delete what this user's inline adds wrote, so the other system never sees it."""
        import logging

        log = logging.getLogger("mem0.memory.main")
        level = log.level
        log.setLevel(logging.WARNING)  # mem0 logs every delete at INFO: benchmark clean-up, not news
        try:
            for memory_id in self.added:
                self.memory.delete(memory_id)
        finally:
            log.setLevel(level)
        self.added.clear()


class Ours:
    """The product's default recall and store steps for one user, in one thread."""

    def __init__(self, recaller: Any, storer: Any, user_id: str, *, said_at: str | None = None) -> None:
        self.recaller = recaller
        self.storer = storer
        self.config = {"configurable": {"user_id": user_id, "thread_id": f"{user_id}/played"}}
        self.messages: list[Any] = []
        self.said_at = said_at
        """When the played turns are said (ISO 8601; the question's date), so "last week" reads right."""

    def recall(self, kind: str, text: str) -> tuple[Played, Any]:
        """The recall step of a turn (timed); returns the turn so far and the `RecallResult`."""
        from langchain_core.messages import HumanMessage

        from mem0_langgraph.core._text import estimate_tokens
        from mem0_langgraph.core.render import render_memories

        self.messages.append(HumanMessage(text, additional_kwargs={"timestamp": self.said_at} if self.said_at else {}))
        t0 = time.perf_counter()
        result = self.recaller.recall(self.messages, self.config)
        ms = (time.perf_counter() - t0) * 1000
        message = render_memories(result.memories)
        tokens = estimate_tokens(str(message.content)) if message is not None else 0
        return Played(kind, ms, {"recall": ms}, tokens, [str(m["memory"]) for m in result.memories]), result

    def store(self, played: Played, reply: str, result: Any) -> None:
        """The store step of the turn (timed: what the turn pays), then the queued write, flushed untimed."""
        from langchain_core.messages import AIMessage

        self.messages.append(AIMessage(reply))
        t0 = time.perf_counter()
        self.storer.store(self.messages, self.config, recalled=result.memories)
        ms = (time.perf_counter() - t0) * 1000
        played.parts["store"] = ms
        played.ms += ms
        self.storer.flush()


class EvidenceIndex:
    """Which history turns an injected memory text is: by its normalised text, or as a clip of it.

    Example:
        >>> index = EvidenceIndex({"I moved to Lyon in May.": [("s1", 0)], "Try the museum.": [("s1", 1)]})
        >>> index.keys(["i moved to lyon in may", "I moved to…"]), index.keys(["Something else"])
        ({('s1', 0)}, set())
    """

    def __init__(self, keys_of_text: Mapping[str, Sequence[tuple[str, int]]]) -> None:
        from mem0_langgraph.core._text import normalise

        self._norm = normalise
        self.by_text: dict[str, set[tuple[str, int]]] = {}
        for text, keys in keys_of_text.items():
            self.by_text.setdefault(normalise(text), set()).update(keys)

    def keys(self, texts: Iterable[str]) -> set[tuple[str, int]]:
        """The turns whose stored text these injected texts are (a clipped text matches the text it starts)."""
        out: set[tuple[str, int]] = set()
        for text in texts:
            norm = self._norm(text)
            if norm in self.by_text:
                out |= self.by_text[norm]
            elif text.endswith("…") and len(norm) > 20:
                head = self._norm(text[:-1])
                for stored, keys in self.by_text.items():
                    if stored.startswith(head):
                        out |= keys
        return out


def diagnose(recaller: Any, messages: Sequence[Any], config: Mapping[str, Any], evidence_ids: set[str]
             ) -> dict[str, Any]:
    """Why ours did or did not inject an evidence memory: the turn's recall run again, untimed, and watched.

    A shallow copy of the product's `Recaller` runs its own pipeline (whatever it is at run time) on the
    same messages, with three taps: the dense search's results per query, the reranker's input (after the
    probe filter and any index candidates) and output, and what `Recaller.select` got (the hits over
    ``min_score`` after every re-ranking step) and kept. The stage is where the evidence dropped out.
    """
    import copy

    from mem0_langgraph.core._text import estimate_tokens
    from mem0_langgraph.core.timeinfo import SAID_AT_KEY

    taps: dict[str, list[Any]] = {"search": [], "rerank_in": [], "rerank_out": [], "select_in": [], "select_out": []}
    watched = copy.copy(recaller)

    def search_all(queries: Sequence[str], filters: dict[str, str]) -> list[list[Any]]:
        out = recaller._search_all(queries, filters)
        taps["search"] = out
        return out

    def select(hits: Sequence[Any], window: Sequence[str], question: str = "") -> list[Any]:
        chosen = recaller.select(hits, window, question)
        taps["select_in"], taps["select_out"] = list(hits), chosen
        return chosen

    watched._search_all = search_all
    watched.select = select
    if recaller.reranker is not None:
        watched.reranker = _TappedReranker(recaller.reranker, taps)
    result = watched.recall(messages, config)
    trace = result.trace
    band = recaller.probe_band
    score = float(trace.get("score", 0.0))
    probing = "; probe:" in str(trace.get("reason", ""))  # the recaller notes a memory-aware search there
    out: dict[str, Any] = {"gate_score": round(score, 4), "gate_fired": bool(taps["search"]) and not probing,
                           "gate_reason": trace.get("reason"),
                           "probe_band": list(band) if band else None, "probing": probing,
                           "min_score": recaller.min_score, "probe_min_score": recaller.probe_min_score,
                           "top_k": recaller.top_k, "max_tokens": recaller.max_tokens,
                           "queries": trace.get("queries"), "evidence_memories": len(evidence_ids)}
    if not evidence_ids:
        return {**out, "stage": "evidence not stored (the write gate kept no evidence turn)"}
    if not taps["search"]:
        return {**out, "stage": "gate: no search"}
    unique: dict[str, Any] = {}
    for h in taps["select_in"]:
        if h.id not in unique or h.score > unique[h.id].score:
            unique[h.id] = h
    order = sorted(unique.values(), key=lambda h: h.score, reverse=True)
    position = next((i for i, h in enumerate(order) if h.id in evidence_ids), None)
    raw = [_where(hits, evidence_ids) for hits in taps["search"]]
    reranked = [_where(hits, evidence_ids) for hits in taps["rerank_out"]]
    out.update(candidates=[len(h) for h in taps["search"]], evidence_in_search=raw,
               after_probe_and_index=[len(h) for h in taps["rerank_in"]], evidence_after_rerank=reranked,
               over_min_score=len(order), evidence_position=position,
               evidence_score=round(order[position].score, 4) if position is not None else None,
               evidence_chars=len(order[position].text) if position is not None else None,
               # What ranked above the evidence once every re-ranking step had run (a newer or a long memory?).
               above_evidence=[{"score": round(h.score, 4), "chars": len(h.text), "said_at": h.metadata.get(SAID_AT_KEY),
                                "superseded": bool(h.metadata.get("superseded_by"))}
                               for h in order[:min(position, recaller.top_k)]] if position is not None else None,
               selected=len(taps["select_out"]),
               selected_tokens=sum(estimate_tokens(m["memory"]) for m in taps["select_out"]))
    in_rerank = any(h.id in evidence_ids for hits in taps["rerank_in"] for h in hits)
    if any(m["id"] in evidence_ids for m in taps["select_out"]):
        stage = "reached"
    elif not any(r is not None for r in raw) and not in_rerank:
        stage = "evidence not among the candidates"
    elif probing and recaller.reranker is not None and not in_rerank:
        stage = "probe: evidence under probe_min_score"
    elif position is None:
        stage = "evidence under min_score after reranking"
    elif position < recaller.top_k:
        stage = "cut by the token budget (longer memories ranked above it)"
    else:
        stage = f"ranked below top_k (position {position} of {len(order)} over min_score)"
    return {**out, "stage": stage}


class _TappedReranker:
    """A reranker that records what it was given and what it returned."""

    def __init__(self, inner: Any, taps: dict[str, list[Any]]) -> None:
        self.inner = inner
        self.taps = taps

    def rerank(self, query: str, hits: Sequence[Any]) -> list[Any]:
        out = self.inner.rerank(query, hits)
        self.taps["rerank_in"].append(list(hits))
        self.taps["rerank_out"].append(out)
        return out


def _where(hits: Sequence[Any], evidence_ids: set[str]) -> dict[str, Any] | None:
    """Best rank (0-based) and score of an evidence memory among ``hits``; None when absent."""
    for rank, h in enumerate(hits):
        if h.id in evidence_ids:
            return {"rank": rank, "score": round(h.score, 4)}
    return None
