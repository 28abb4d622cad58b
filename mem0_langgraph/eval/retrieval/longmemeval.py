"""The retrieval benchmark's LongMemEval-S runner: each haystack stored as exchanges, evidence recall per question.

A seeded sample of questions; each haystack is stored as user / assistant
exchanges (about 490 turns a question), scoped to the question (``user_id`` =
its id, ``thread_id`` = the session). Scored: recall of evidence sessions
(``answer_session_ids``) and of evidence turns (``has_answer``); abstention
(``_abs``) questions are left out. Nothing was tuned on it.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from mem0_langgraph.eval.longmemeval import load_longmemeval, split_of
from mem0_langgraph.eval.retrieval._run import Recalled, Run, bar, mean, pre_embed, sample

DEFAULT_LONGMEMEVAL_LIMIT = 30
"""Questions sampled when no ``limit`` is given (each haystack takes a while to store)."""


@dataclass(frozen=True)
class LongMemEvalRow:
    """One scored LongMemEval question.

    Attributes:
        question_type: LongMemEval's question type (``"single-session-user"``, ...).
        evidence_sessions: The ids of the evidence sessions.
        evidence_turns: The ``(session id, turn index)`` of the evidence turns.
        recalled: Per reranker and ``k``: what its recaller injected.
    """

    question_type: str
    evidence_sessions: frozenset[str]
    evidence_turns: frozenset[tuple[str, int]]
    recalled: Mapping[str, Mapping[int, Recalled]]

    def session_recall(self, name: str, k: int) -> float:
        """Share of the evidence sessions with a turn among the injected memories (0.0 when none is known)."""
        if not self.evidence_sessions:
            return 0.0
        sessions = {key[0] for key in self.recalled[name][k].found}
        return len(sessions & self.evidence_sessions) / len(self.evidence_sessions)

    def turn_recall(self, name: str, k: int) -> float | None:
        """Share of the evidence turns among the injected memories (None when none is marked).

        Example:
            >>> row = LongMemEvalRow("single-session-user", frozenset({"a", "b"}), frozenset({("a", 0)}),
            ...                      {"dense": {5: Recalled(frozenset({("a", 0), ("c", 2)}), 60, 5)}})
            >>> row.session_recall("dense", 5), row.turn_recall("dense", 5)
            (0.5, 1.0)
        """
        if not self.evidence_turns:
            return None
        return len(self.recalled[name][k].found & self.evidence_turns) / len(self.evidence_turns)


def run_longmemeval(run: Run, path: Path, *, limit: int | None, seed: int,
                    split: Literal["dev", "holdout", "all"], question_types: Sequence[str] | None = None
                    ) -> dict[str, Any]:
    """Store each sampled question's haystack, recall for the question, and aggregate.

    Args:
        run: The run's store and recallers.
        path: ``longmemeval_s_dev.json.gz``.
        limit: This many questions (sampled with ``seed``); None: `DEFAULT_LONGMEMEVAL_LIMIT`; 0: all.
        seed: Sampling seed.
        split: The gate's question split (`split_of`), its ``"train"`` side as ``"dev"``; or ``"all"``.
        question_types: Only questions of these types; None: all.

    Returns:
        The LongMemEval part of `run_retrieval_eval`'s result.
    """
    from langchain_core.messages import AIMessage, HumanMessage

    from mem0_langgraph.core._text import clip

    data = load_longmemeval(path)
    run.skipped.update({f"load: {k}": v for k, v in data.skipped.items()})
    side = {"dev": "train", "holdout": "holdout"}.get(split)
    pool = [q for q in data.questions if (side is None or split_of(q.question_id) == side)
            and (not question_types or q.question_type in question_types)]
    answerable = [q for q in pool if not q.is_abstention]
    run.skipped["question: abstention (_abs, not scored)"] += len(pool) - len(answerable)
    questions = sample(answerable, DEFAULT_LONGMEMEVAL_LIMIT if limit is None else limit, seed)
    storer = run.storer(("user", "assistant"))
    rows: list[LongMemEvalRow] = []
    counts: Counter[str] = Counter()
    for q in bar(questions, "questions", len(questions), run.progress, "q"):
        user_id = q.question_id
        keys_of_text: dict[str, list[Hashable]] = defaultdict(list)
        exchanges: list[tuple[str, list[tuple[int, Any]]]] = []
        said_at = {}
        for session in q.sessions:
            turns = session.turns
            said_at[session.session_id] = _iso(session.date)
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
        pre_embed(list(stored_text.values()) + [q.question])
        for sid, pair in bar(exchanges, f"store {user_id}", len(exchanges), run.progress, "exchange"):
            # Each turn carries its session's date, as a user's message carries its own time.
            when = {"timestamp": said_at[sid]} if said_at.get(sid) else {}
            messages = [HumanMessage(t.content, additional_kwargs=when) if t.role == "user"
                        else AIMessage(t.content, additional_kwargs=when) for _, t in pair]
            config = {"configurable": {"user_id": user_id, "thread_id": f"{user_id}/{sid}"}}
            kept = run.store(storer, messages, config)
            for i, t in pair:
                if t.role in kept and stored_text[(sid, i)]:
                    keys_of_text[stored_text[(sid, i)]].append((sid, i))
                    counts["turns_stored"] += 1
        counts["turns"] += sum(len(s.turns) for s in q.sessions)
        memory_keys = run.memory_keys(user_id, keys_of_text)
        counts["memories"] += len(memory_keys)
        evidence_turns = frozenset((s.session_id, i) for s in q.sessions for i, t in enumerate(s.turns) if t.has_answer)
        if not evidence_turns:
            run.skipped["question: no has_answer turn (turn recall not scored)"] += 1
        recalled = run.recall(q.question, user_id, memory_keys, asked_at=_iso(q.question_date))
        rows.append(LongMemEvalRow(q.question_type, frozenset(q.answer_session_ids), evidence_turns, recalled))
        if not q.answer_session_ids:
            run.skipped["question: no answer_session_ids (session recall counted 0)"] += 1
    counts["questions"] = len(questions)
    search_latency, rerank_latency = run.latency()
    return {
        "counts": dict(counts),
        "skipped": run.skipped_report(),
        "baseline": None,
        "latency_ms": search_latency,
        "rerankers": {name: {**rerank_latency[name], "parts": {"all": longmemeval_part(rows, name, run.k_values)}}
                      for name in run.recallers},
    }


def _iso(date: str) -> str | None:
    from mem0_langgraph.core.timeinfo import iso, parse_time

    dt = parse_time(date)
    return iso(dt) if dt is not None else None


def longmemeval_part(rows: Sequence[LongMemEvalRow], name: str, k_values: Sequence[int]) -> dict[str, Any]:
    """Figures for reranker ``name``: ``n``, ``session_recall@k``, ``turn_recall@k``, ``tokens@k``,
    ``memories@k``, and the recalls per question type."""

    def metrics(sub: Sequence[LongMemEvalRow]) -> dict[str, Any]:
        out: dict[str, Any] = {"n": len(sub)}
        for k in k_values:
            out[f"session_recall@{k}"] = mean([r.session_recall(name, k) for r in sub])
            out[f"turn_recall@{k}"] = mean([x for r in sub if (x := r.turn_recall(name, k)) is not None])
        return out

    out = metrics(rows)
    for k in k_values:
        out[f"tokens@{k}"] = mean([r.recalled[name][k].tokens for r in rows])
        out[f"memories@{k}"] = mean([r.recalled[name][k].memories for r in rows])
    types = sorted({r.question_type for r in rows})
    out["by_category"] = {t: metrics([r for r in rows if r.question_type == t]) for t in types}
    return out
