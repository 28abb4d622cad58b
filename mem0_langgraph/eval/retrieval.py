"""The retrieval benchmark: is the evidence among the memories we inject, and at what token cost?

Everything runs through the product's own paths on the embedded default: each
turn is stored with a `Storer` (``sync=True``) into a fresh Chroma collection,
and each question is answered by a `Recaller` with `AlwaysRecall`, the
reranker under test, and the real ``min_score``, dedup, ``top_k`` and token
budget. Measured per question: evidence recall at each ``k`` (share of the
evidence turns whose text is among the ``k`` injected memories) and the tokens
of the rendered memory message.

- LoCoMo: one memory per turn, ``"Speaker: text"``, scoped to the conversation
  (``user_id`` = its sample id). QA categories 1-4 with evidence are scored.
  Conversations 0-4 are the dev half (rerankers were tuned there); 5-9 are held out.
- LongMemEval-S: a seeded sample of questions; each haystack is stored as user /
  assistant exchanges (about 490 turns a question). Scored: recall of evidence
  sessions (``answer_session_ids``) and of evidence turns (``has_answer``);
  abstention (``_abs``) questions are left out. Nothing was tuned on it.

Each question's candidates are fetched once, ``search_k`` of them, and shared by
every reranker and ``k`` (dense top-``n`` is a prefix of dense top-``search_k``).
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Hashable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, Literal

from mem0_langgraph.backends.base import MemoryBackend, MemoryHit
from mem0_langgraph.core.rerank import KeywordFusion, Reranker
from mem0_langgraph.eval._metrics import percentile
from mem0_langgraph.eval._report import report
from mem0_langgraph.eval.data import DATA_ENV, DEFAULT_DATA_DIR, data_dir

Dataset = Literal["locomo", "longmemeval"]
Split = Literal["dev", "holdout", "all"]

LOCOMO_FILE = "locomo10.json"
LONGMEMEVAL_FILE = "longmemeval_s_dev.json.gz"
LOCOMO_DEV_CONVERSATIONS = 5
"""LoCoMo conversations ``0 .. 4`` are the dev half (tuned on); the rest are held out."""
LOCOMO_BASELINE = {"n": 1536, "recall@5": 0.366, "recall@10": 0.454, "recall@20": 0.545}
"""Plain cosine top-k over all conversations, from ``../shared/data/README.md``."""
DEFAULT_SEARCH_K = 100
DEFAULT_LONGMEMEVAL_LIMIT = 30
SCORED_CATEGORIES = (1, 2, 3, 4)
CATEGORY_NAMES = {1: "multi-hop", 2: "temporal", 3: "open-domain", 4: "single-hop"}
_GET_ALL_LIMIT = 100_000


def default_rerankers() -> dict[str, Reranker | None]:
    """What the benchmark compares: the dense baseline (no reranker) first, then `KeywordFusion`."""
    return {"dense": None, "keyword_fusion": KeywordFusion()}


def run_retrieval_eval(
    data_dir: str | Path,
    *,
    dataset: Dataset = "locomo",
    limit: int | None = None,
    seed: int = 0,
    split: Split = "all",
    rerankers: Mapping[str, Reranker | None] | None = None,
    k_values: Sequence[int] = (5, 10),
    max_tokens: int = 1000,
    search_k: int = DEFAULT_SEARCH_K,
    min_score: float = 0.0,
    conversations: Sequence[int] | None = None,
    work_dir: str | Path | None = None,
    progress: bool = True,
) -> dict[str, Any]:
    """Store a dataset through `Storer`, recall through `Recaller`, and score evidence recall and tokens.

    Args:
        data_dir: Folder holding ``locomo10.json`` / ``longmemeval_s_dev.json.gz``.
        dataset: ``"locomo"`` or ``"longmemeval"``.
        limit: LoCoMo: at most this many scored questions per conversation; LongMemEval:
            this many questions; both sampled with ``seed``. None: LoCoMo all,
            LongMemEval 30. 0: all.
        seed: Sampling seed.
        split: ``"dev"``, ``"holdout"`` or ``"all"``. LoCoMo: conversations 0-4 /
            5-9 (figures are also reported per half). LongMemEval: the gate's
            question split (`split_of`: ``"train"`` side as dev).
        rerankers: Name -> reranker (None: the backend's dense scores). Default `default_rerankers()`.
        k_values: ``top_k`` values to score; each is its own `Recaller`.
        max_tokens: The recaller's token budget for the memories' text.
        search_k: Candidates fetched per question (mem0's ``top_k``).
        min_score: The recaller's score threshold. Default 0.0, as the README's
            baseline; the product's default is 0.4.
        conversations: LoCoMo only: these conversation indices instead of the split's.
        work_dir: Where the temporary Chroma store goes (a fresh sub-folder, removed after).
            Default: the system temp folder.
        progress: Show tqdm progress bars (on stderr).

    Returns:
        A JSON-ready dict: the settings, ``counts``, ``skipped`` (reason -> count,
        from loading, storing and scoring), ``baseline`` (LoCoMo), ``latency_ms``
        (search p50/p95) and ``rerankers``: per name ``rerank_ms_p50`` /
        ``rerank_ms_p95`` and ``parts`` (``dev`` / ``holdout`` / ``all`` for
        LoCoMo, ``all`` for LongMemEval), each with ``n``, ``recall@k`` (LoCoMo) or
        ``session_recall@k`` and ``turn_recall@k`` (LongMemEval), ``tokens@k``
        and ``memories@k`` (means per question), and per-category breakdowns.

    Raises:
        FileNotFoundError: the data file is missing.
        ValueError: an invalid option.
    """
    if dataset not in ("locomo", "longmemeval"):
        raise ValueError(f"dataset must be 'locomo' or 'longmemeval', got {dataset!r}")
    if split not in ("dev", "holdout", "all"):
        raise ValueError(f"split must be 'dev', 'holdout' or 'all', got {split!r}")
    if limit is not None and limit < 0:
        raise ValueError(f"limit must be >= 0 (0: all), got {limit}")
    k_values = tuple(sorted(set(k_values)))
    if not k_values or k_values[0] < 1 or k_values[-1] > search_k:
        raise ValueError(f"need 1 <= k <= search_k={search_k} for every k, got {k_values}")
    rerankers = dict(rerankers) if rerankers is not None else default_rerankers()
    if not rerankers:
        raise ValueError("rerankers must name at least one reranker (None for dense)")
    path = Path(data_dir) / (LOCOMO_FILE if dataset == "locomo" else LONGMEMEVAL_FILE)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such data file (see ../shared/data/README.md for where to get it)")
    settings = {"dataset": dataset, "split": split, "limit": limit, "seed": seed, "k_values": list(k_values),
                "search_k": search_k, "min_score": min_score, "max_tokens": max_tokens}
    with tempfile.TemporaryDirectory(prefix="mem0-retrieval-", dir=work_dir) as tmp:
        from mem0_langgraph.backends.factory import create_memory
        from mem0_langgraph.backends.mem0 import Mem0Backend

        collection = f"retrieval-{uuid.uuid4().hex[:12]}"
        backend = Mem0Backend(create_memory(data_dir=tmp, collection=collection, infer=False))
        run = _Run(backend, rerankers, k_values, search_k=search_k, min_score=min_score, max_tokens=max_tokens,
                   progress=progress)
        if dataset == "locomo":
            body = _run_locomo(run, path, limit=limit, seed=seed, split=split,
                               conversations=conversations)
        else:
            body = _run_longmemeval(run, path, limit=limit, seed=seed, split=split)
    return {**settings, **body}


# --------------------------------------------------------------------------- shared machinery


class _SearchCache:
    """The real backend; each (query, filters) is searched once with ``search_k`` and sliced for smaller limits."""

    def __init__(self, inner: MemoryBackend, search_k: int) -> None:
        self.inner = inner
        self.search_k = search_k
        self.latencies_ms: list[float] = []
        self._cache: dict[Hashable, list[MemoryHit]] = {}

    def search(self, query: str, *, filters: Mapping[str, str], limit: int) -> list[MemoryHit]:
        key = (query, tuple(sorted(filters.items())))
        hits = self._cache.get(key)
        if hits is None or (len(hits) < limit and len(hits) == self.search_k):
            start = time.perf_counter()
            hits = self.inner.search(query, filters=filters, limit=max(limit, self.search_k))
            self.latencies_ms.append((time.perf_counter() - start) * 1000)
            self._cache[key] = hits
        return list(hits[:limit])

    async def asearch(self, query: str, *, filters: Mapping[str, str], limit: int) -> list[MemoryHit]:
        return self.search(query, filters=filters, limit=limit)

    def add(self, messages: Any, *, ids: Any, metadata: Any = None) -> list[str]:
        return self.inner.add(messages, ids=ids, metadata=metadata)

    async def aadd(self, messages: Any, *, ids: Any, metadata: Any = None) -> list[str]:
        return await self.inner.aadd(messages, ids=ids, metadata=metadata)

    def get_all(self, *, filters: Mapping[str, str], limit: int = 100) -> list[MemoryHit]:
        return self.inner.get_all(filters=filters, limit=limit)

    async def aget_all(self, *, filters: Mapping[str, str], limit: int = 100) -> list[MemoryHit]:
        return await self.inner.aget_all(filters=filters, limit=limit)

    def delete_all(self, *, ids: Mapping[str, str]) -> None:
        self.inner.delete_all(ids=ids)

    async def adelete_all(self, *, ids: Mapping[str, str]) -> None:
        await self.inner.adelete_all(ids=ids)


class _Timed:
    """A reranker with its call times recorded."""

    def __init__(self, inner: Reranker) -> None:
        self.inner = inner
        self.latencies_ms: list[float] = []

    def rerank(self, query: str, hits: Sequence[MemoryHit]) -> list[MemoryHit]:
        start = time.perf_counter()
        out = self.inner.rerank(query, hits)
        self.latencies_ms.append((time.perf_counter() - start) * 1000)
        return out


class _Run:
    """One benchmark run: the store, the storers, one `Recaller` per (reranker, k), the keys of stored texts."""

    def __init__(self, backend: MemoryBackend, rerankers: Mapping[str, Reranker | None], k_values: Sequence[int],
                 *, search_k: int, min_score: float, max_tokens: int, progress: bool) -> None:
        from mem0_langgraph.core.recall import Recaller
        from mem0_langgraph.gates.base import AlwaysRecall

        self.backend = backend
        self.cache = _SearchCache(backend, search_k)
        self.k_values = tuple(k_values)
        self.progress = progress
        self.timers = {name: _Timed(r) for name, r in rerankers.items() if r is not None}
        self.recallers = {
            name: {k: Recaller(self.cache, gate=AlwaysRecall(), top_k=k, search_k=search_k, min_score=min_score,
                               max_tokens=max_tokens, recent_window=0, on_error="raise",
                               reranker=self.timers.get(name))
                   for k in self.k_values}
            for name in rerankers
        }
        self.skipped: Counter[str] = Counter()

    def storer(self, roles: tuple[str, ...]) -> Any:
        from mem0_langgraph.core.store import Storer

        return Storer(self.backend, sync=True, roles=roles, on_error="raise")

    def store(self, storer: Any, messages: list[Any], config: dict[str, Any]) -> bool:
        trace = storer.store(messages, config)
        if not trace.get("stored"):
            self.skipped[f"store: {trace.get('store_reason') or 'not stored'}"] += 1
            return False
        return True

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

    def recall(self, question: str, user_id: str, memory_keys: Mapping[str, list[Hashable]]
               ) -> dict[str, dict[int, tuple[set[Hashable], int, int]]]:
        """Per reranker and k: the turns recalled, the tokens injected and the memories injected."""
        from langchain_core.messages import HumanMessage

        from mem0_langgraph.core._text import estimate_tokens
        from mem0_langgraph.core.render import render_memories

        config = {"configurable": {"user_id": user_id}}
        out: dict[str, dict[int, tuple[set[Hashable], int, int]]] = {}
        for name, by_k in self.recallers.items():
            out[name] = {}
            for k, recaller in by_k.items():
                memories = recaller.recall([HumanMessage(question)], config).memories
                message = render_memories(memories)
                tokens = estimate_tokens(str(message.content)) if message is not None else 0
                found = {key for m in memories for key in memory_keys.get(m["id"], ())}
                out[name][k] = (found, tokens, len(memories))
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


def _pre_embed(texts: Iterable[str]) -> None:
    # One batched pass through the model; the adds and searches then hit the embedder's cache.
    from mem0_langgraph.backends._embedding import shared_embeddings

    unique = list(dict.fromkeys(t for t in texts if t))
    shared_embeddings().embed_documents(unique)


def _sample(items: Sequence[Any], limit: int | None, seed: int) -> list[Any]:
    if not limit or limit >= len(items):
        return list(items)
    keep = set(random.Random(seed).sample(range(len(items)), limit))
    return [x for i, x in enumerate(items) if i in keep]


def _mean(values: Sequence[float]) -> float | None:
    return sum(values) / len(values) if values else None


def _bar(iterable: Iterable[Any], desc: str, total: int | None, enabled: bool, unit: str) -> Iterable[Any]:
    from tqdm import tqdm

    return tqdm(iterable, desc=desc, total=total, unit=unit, disable=not enabled, leave=False)


# --------------------------------------------------------------------------- LoCoMo


def _run_locomo(run: _Run, path: Path, *, limit: int | None, seed: int, split: Split,
                conversations: Sequence[int] | None) -> dict[str, Any]:
    from langchain_core.messages import HumanMessage

    from mem0_langgraph.eval.data import load_locomo

    data = load_locomo(path)
    run.skipped.update({f"load: {k}": v for k, v in data.skipped.items()})
    if conversations is None:
        conversations = [i for i in range(len(data.conversations))
                         if split == "all" or (split == "dev") == (i < LOCOMO_DEV_CONVERSATIONS)]
    bad = [i for i in conversations if not 0 <= i < len(data.conversations)]
    if bad:
        raise ValueError(f"no conversation {bad}; LoCoMo has 0..{len(data.conversations) - 1}")
    storer = run.storer(("user",))
    # rows: (part, category, recall per reranker and k, tokens, memories)
    rows: list[tuple[str, int, dict[str, dict[int, tuple[float, int, int]]]]] = []
    counts = Counter()
    for ci in conversations:
        conv = data.conversations[ci]
        part = "dev" if ci < LOCOMO_DEV_CONVERSATIONS else "holdout"
        user_id = conv.sample_id or f"conversation-{ci}"
        scored = []
        for qa in conv.qa:
            if qa.category not in SCORED_CATEGORIES:
                run.skipped[f"qa: category {qa.category} (not scored)"] += 1
            elif not qa.evidence:
                run.skipped["qa: categories 1-4 without usable evidence (not scored)"] += 1
            else:
                scored.append(qa)
        questions = _sample(scored, limit, seed + ci)
        run.skipped["qa: left out by --limit"] += len(scored) - len(questions)

        keys_of_text: dict[str, list[Hashable]] = defaultdict(list)
        turns = [(s, t) for s in conv.sessions for t in s.turns]
        _pre_embed([f"{t.speaker}: {t.text}".strip() for _, t in turns] + [q.question for q in questions])
        for session, turn in _bar(turns, f"store {user_id}", len(turns), run.progress, "turn"):
            if not turn.text.strip():
                run.skipped["turn: empty text (not stored)"] += 1
                continue
            text = f"{turn.speaker}: {turn.text}".strip()
            config = {"configurable": {"user_id": user_id, "thread_id": f"{user_id}/session_{session.index}"}}
            if run.store(storer, [HumanMessage(text)], config):
                keys_of_text[text].append(turn.dia_id)
                counts["turns_stored"] += 1
        counts["turns"] += len(turns)
        memory_keys = run.memory_keys(user_id, keys_of_text)
        counts["memories"] += len(memory_keys)

        for qa in _bar(questions, f"recall {user_id}", len(questions), run.progress, "q"):
            evidence = set(qa.evidence)
            per = run.recall(qa.question, user_id, memory_keys)
            rows.append((part, qa.category, {
                name: {k: (len(found & evidence) / len(evidence), tokens, n) for k, (found, tokens, n) in by_k.items()}
                for name, by_k in per.items()}))
        counts["conversations"] += 1
        counts["questions"] += len(questions)

    search_latency, rerank_latency = run.latency()
    parts = sorted({r[0] for r in rows}) + (["all"] if len({r[0] for r in rows}) > 1 else [])
    return {
        "counts": dict(counts),
        "conversations": list(conversations),
        "dev_conversations": list(range(LOCOMO_DEV_CONVERSATIONS)),
        "skipped": {k: v for k, v in sorted(run.skipped.items()) if v},
        "baseline": LOCOMO_BASELINE,
        "latency_ms": search_latency,
        "rerankers": {
            name: {**rerank_latency[name],
                   "parts": {p: _locomo_part([r for r in rows if p in ("all", r[0])], name, run.k_values)
                             for p in parts}}
            for name in run.recallers
        },
    }


def _locomo_part(rows: list[tuple[str, int, dict[str, dict[int, tuple[float, int, int]]]]], name: str,
                 k_values: Sequence[int]) -> dict[str, Any]:
    out: dict[str, Any] = {"n": len(rows)}
    for k in k_values:
        out[f"recall@{k}"] = _mean([r[2][name][k][0] for r in rows])
        out[f"tokens@{k}"] = _mean([r[2][name][k][1] for r in rows])
        out[f"memories@{k}"] = _mean([r[2][name][k][2] for r in rows])
    out["by_category"] = {
        CATEGORY_NAMES[c]: {"n": len(sub), **{f"recall@{k}": _mean([r[2][name][k][0] for r in sub]) for k in k_values}}
        for c in SCORED_CATEGORIES if (sub := [r for r in rows if r[1] == c])
    }
    return out


# --------------------------------------------------------------------------- LongMemEval


def _run_longmemeval(run: _Run, path: Path, *, limit: int | None, seed: int, split: Split) -> dict[str, Any]:
    from langchain_core.messages import AIMessage, HumanMessage

    from mem0_langgraph.core._text import clip
    from mem0_langgraph.eval.data import load_longmemeval, split_of

    data = load_longmemeval(path)
    run.skipped.update({f"load: {k}": v for k, v in data.skipped.items()})
    side = {"dev": "train", "holdout": "holdout"}.get(split)
    pool = [q for q in data.questions if side is None or split_of(q.question_id) == side]
    answerable = [q for q in pool if not q.is_abstention]
    run.skipped["question: abstention (_abs, not scored)"] += len(pool) - len(answerable)
    questions = _sample(answerable, DEFAULT_LONGMEMEVAL_LIMIT if limit is None else limit, seed)
    storer = run.storer(("user", "assistant"))
    rows: list[tuple[str, dict[str, dict[int, tuple[float, float | None, int, int]]]]] = []
    counts = Counter()
    for q in _bar(questions, "questions", len(questions), run.progress, "q"):
        user_id = q.question_id
        keys_of_text: dict[str, list[Hashable]] = defaultdict(list)
        exchanges: list[tuple[str, list[tuple[int, Any]]]] = []
        for session in q.sessions:
            turns = session.turns
            for i, turn in enumerate(turns):
                if turn.role == "user":
                    pair = [(i, turn)]
                    if i + 1 < len(turns) and turns[i + 1].role == "assistant":
                        pair.append((i + 1, turns[i + 1]))
                    exchanges.append((session.session_id, pair))
                elif turn.role == "assistant" and (i == 0 or turns[i - 1].role != "user"):
                    run.skipped["turn: assistant turn with no user turn before it (Storer stores exchanges)"] += 1
                elif turn.role not in ("user", "assistant"):
                    run.skipped[f"turn: role {turn.role!r}"] += 1
        # What Storer stores of a turn: its stripped text, clipped.
        stored_text = {(sid, i): clip(t.content.strip(), storer.max_chars) for sid, pair in exchanges for i, t in pair}
        _pre_embed(list(stored_text.values()) + [q.question])
        for sid, pair in _bar(exchanges, f"store {user_id}", len(exchanges), run.progress, "exchange"):
            messages = [HumanMessage(t.content) if t.role == "user" else AIMessage(t.content) for _, t in pair]
            config = {"configurable": {"user_id": user_id, "thread_id": f"{user_id}/{sid}"}}
            if run.store(storer, messages, config):
                for i, _ in pair:
                    if stored_text[(sid, i)]:
                        keys_of_text[stored_text[(sid, i)]].append((sid, i))
                        counts["turns_stored"] += 1
        counts["turns"] += sum(len(s.turns) for s in q.sessions)
        memory_keys = run.memory_keys(user_id, keys_of_text)
        counts["memories"] += len(memory_keys)
        evidence_sessions = set(q.answer_session_ids)
        evidence_turns = {(s.session_id, i) for s in q.sessions for i, t in enumerate(s.turns) if t.has_answer}
        if not evidence_turns:
            run.skipped["question: no has_answer turn (turn recall not scored)"] += 1
        per = run.recall(q.question, user_id, memory_keys)
        rows.append((q.question_type, {
            name: {k: (len({key[0] for key in found} & evidence_sessions) / len(evidence_sessions)
                       if evidence_sessions else 0.0,
                       len(found & evidence_turns) / len(evidence_turns) if evidence_turns else None,
                       tokens, n)
                   for k, (found, tokens, n) in by_k.items()}
            for name, by_k in per.items()}))
        if not evidence_sessions:
            run.skipped["question: no answer_session_ids (session recall counted 0)"] += 1
    counts["questions"] = len(questions)
    search_latency, rerank_latency = run.latency()
    return {
        "counts": dict(counts),
        "skipped": {k: v for k, v in sorted(run.skipped.items()) if v},
        "baseline": None,
        "latency_ms": search_latency,
        "rerankers": {name: {**rerank_latency[name], "parts": {"all": _lme_part(rows, name, run.k_values)}}
                      for name in run.recallers},
    }


def _lme_part(rows: list[tuple[str, dict[str, dict[int, tuple[float, float | None, int, int]]]]], name: str,
              k_values: Sequence[int]) -> dict[str, Any]:
    def metrics(sub: list[Any]) -> dict[str, Any]:
        out: dict[str, Any] = {"n": len(sub)}
        for k in k_values:
            out[f"session_recall@{k}"] = _mean([r[1][name][k][0] for r in sub])
            out[f"turn_recall@{k}"] = _mean([x for r in sub if (x := r[1][name][k][1]) is not None])
        return out

    out = metrics(rows)
    for k in k_values:
        out[f"tokens@{k}"] = _mean([r[1][name][k][2] for r in rows])
        out[f"memories@{k}"] = _mean([r[1][name][k][3] for r in rows])
    out["by_category"] = {t: metrics([r for r in rows if r[0] == t]) for t in sorted({r[0] for r in rows})}
    return out


# --------------------------------------------------------------------------- report and command


def to_markdown(result: Mapping[str, Any]) -> str:
    """Render `run_retrieval_eval`'s result as markdown: settings, skips, one table per part.

    Example:
        >>> part = {"n": 2, "recall@5": 0.5, "tokens@5": 120.0, "memories@5": 5.0, "by_category": {}}
        >>> result = {"dataset": "locomo", "split": "all", "limit": None, "seed": 0, "k_values": [5],
        ...           "search_k": 100, "min_score": 0.0, "max_tokens": 1000, "counts": {"questions": 2},
        ...           "skipped": {}, "baseline": None, "latency_ms": {"search_ms_p50": 50.0},
        ...           "rerankers": {"dense": {"rerank_ms_p50": 0.0, "rerank_ms_p95": 0.0, "parts": {"all": part}}}}
        >>> print(to_markdown(result).splitlines()[-1])
        | dense | 2 | 0.500 | 120 | 5.0 | 4.167 | 0.00 |
    """
    locomo = result["dataset"] == "locomo"
    ks = result["k_values"]
    c = result["counts"]
    lines = [
        f"Retrieval benchmark: {result['dataset']}, split {result['split']}"
        + (f", limit {result['limit']} (seed {result['seed']})" if result.get("limit") is not None else "")
        + f"; search_k {result['search_k']}, min_score {result['min_score']}, max_tokens {result['max_tokens']}.",
        "Counts: " + ", ".join(f"{k} {v}" for k, v in c.items()) + ".",
    ]
    if result.get("latency_ms", {}).get("search_ms_p50") is not None:
        lines.append(f"mem0 search (search_k {result['search_k']}): p50 {result['latency_ms']['search_ms_p50']:.0f} ms.")
    if result.get("skipped"):
        lines.append("Skipped: " + "; ".join(f"{k} ({v})" for k, v in result["skipped"].items()) + ".")
    if locomo and result.get("baseline"):
        b = result["baseline"]
        lines.append(f"README dense baseline (plain cosine top-k, n={b['n']}): "
                     + ", ".join(f"recall@{k} {b[f'recall@{k}']:.3f}" for k in (5, 10, 20) if f"recall@{k}" in b) + ".")
    if locomo and "dev_conversations" in result:
        lines.append(f"Rerankers were tuned on the dev half only (conversations 0-{LOCOMO_DEV_CONVERSATIONS - 1}); "
                     f"the holdout half ({LOCOMO_DEV_CONVERSATIONS}-9) was never used for tuning.")
    first = next(iter(result["rerankers"].values()))
    for part in first["parts"]:
        lines += ["", f"**{part}**", ""]
        cols = ([f"R@{k}" for k in ks] if locomo else [f"session R@{k} | turn R@{k}" for k in ks])
        per_token = [f"R@{ks[-1]} per 1k tokens"] if locomo else []
        header = ["reranker", "n", *cols, *[f"tokens@{k} | mem@{k}" for k in ks], *per_token, "rerank p50 ms"]
        lines.append("| " + " | ".join(header) + " |")
        lines.append("|" + "---|" * sum(h.count("|") + 1 for h in header))
        for name, r in result["rerankers"].items():
            m = r["parts"][part]
            cells = [name, str(m["n"])]
            for k in ks:
                cells += ([_num(m[f"recall@{k}"])] if locomo
                          else [_num(m[f"session_recall@{k}"]), _num(m[f"turn_recall@{k}"])])
            for k in ks:
                cells += [_num(m[f"tokens@{k}"], 0), _num(m[f"memories@{k}"], 1)]
            if locomo:
                recall, tokens = m[f"recall@{ks[-1]}"], m[f"tokens@{ks[-1]}"]
                cells.append(_num(recall * 1000 / tokens if recall is not None and tokens else None))
            cells.append(_num(r.get("rerank_ms_p50"), 2))
            lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _num(x: float | None, digits: int = 3) -> str:
    return "n/a" if x is None else f"{x:.{digits}f}"


def register_retrieval(subparsers: Any) -> None:
    """Add the ``retrieval`` benchmark to the ``eval`` command's sub-commands.

    Args:
        subparsers: What the ``eval`` parser's ``add_subparsers()`` returned.
    """
    p = subparsers.add_parser("retrieval", help="evidence recall and injected tokens on LoCoMo / LongMemEval-S",
                              description="Store a dataset through Storer, recall through Recaller, and score "
                                          "evidence recall@k and injected tokens per reranker.")
    p.add_argument("--dataset", choices=("locomo", "longmemeval"), default="locomo", help="default locomo")
    p.add_argument("--data-dir", type=Path, default=None,
                   help=f"folder holding {LOCOMO_FILE} / {LONGMEMEVAL_FILE} (default: ${DATA_ENV}, else {DEFAULT_DATA_DIR})")
    p.add_argument("--limit", type=int, default=None,
                   help="locomo: questions per conversation; longmemeval: questions (default 30); 0: all")
    p.add_argument("--seed", type=int, default=0, help="sampling seed for --limit (default 0)")
    p.add_argument("--split", choices=("dev", "holdout", "all"), default="all",
                   help="locomo: conversations 0-4 (dev, tuned on) / 5-9 (holdout); default all, reported per half")
    p.add_argument("--search-k", type=int, default=DEFAULT_SEARCH_K, help=f"candidates per question (default {DEFAULT_SEARCH_K})")
    p.add_argument("--min-score", type=float, default=0.0, help="recall score threshold (default 0.0; product default 0.4)")
    p.add_argument("--max-tokens", type=int, default=1000, help="token budget of the memories (default 1000)")
    p.add_argument("--k", type=int, nargs="+", default=[5, 10], help="top_k values to score (default 5 10)")
    p.add_argument("--out", type=Path, default=None, help="also write the full result as JSON here")
    p.add_argument("--no-progress", action="store_true", help="no progress bars")
    p.set_defaults(func=run_retrieval_command)


def run_retrieval_command(args: argparse.Namespace) -> int:
    """Run ``eval retrieval``: print the markdown report, write JSON if asked; 2 on bad input."""
    folder = data_dir(args.data_dir)
    path = folder / (LOCOMO_FILE if args.dataset == "locomo" else LONGMEMEVAL_FILE)
    if not path.is_file():
        print(f"error: {path} not found; pass --data-dir or set {DATA_ENV} (see ../shared/data/README.md)",
              file=sys.stderr)
        return 2
    try:
        result = run_retrieval_eval(folder, dataset=args.dataset, limit=args.limit, seed=args.seed, split=args.split,
                                    k_values=args.k, search_k=args.search_k, min_score=args.min_score,
                                    max_tokens=args.max_tokens, progress=not args.no_progress)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return report(to_markdown(result), result, args.out)

