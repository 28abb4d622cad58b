"""LongMemEval-S: its loader, and the gate's deterministic train/held-out split of its questions.

The loader skips each known defect explicitly and counts it in ``skipped``, so a
benchmark reports what it left out instead of crashing or hiding it.

The split lives here because two programs must agree on it: the gate's training
script (``scripts/train_gate.py``) trains only on the ``"train"`` side, and the
benchmarks report figures on the ``"holdout"`` side.
"""

from __future__ import annotations

import hashlib
import random
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from mem0_langgraph.eval.paths import read_json

SessionKind = Literal["answer", "generic", "personal"]
Split = Literal["train", "holdout", "all"]
ExampleKind = Literal["question", "generic", "personal"]

HOLDOUT_FRACTION = 0.3
"""Share of LongMemEval questions (by hashed id) kept out of every training step."""

_SPLIT_SALT = "mem0-langgraph/gate-split/v1"
# Generic sessions come from two public assistant logs and say so in their id.
# The data README's rule ("id ends in _<digits>") also matches the simulated
# sessions of *other* simulated users ("86c8f348_1"; 61 of them appear as
# "answer_..." elsewhere), which are as personal as the rest: see `session_kind`.
_GENERIC_PREFIXES = ("sharegpt_", "ultrachat_")


def split_of(question_id: str, *, holdout_fraction: float = HOLDOUT_FRACTION) -> Literal["train", "holdout"]:
    """Assign a question to ``"train"`` or ``"holdout"`` by a salted SHA-256 of its id.

    Deterministic across runs, machines and Python versions (unlike ``hash()``),
    and stable when questions are added or removed.

    Example:
        >>> split_of("6613b389"), split_of("6613b389") == split_of("6613b389")
        ('train', True)
    """
    digest = hashlib.sha256(f"{_SPLIT_SALT}:{question_id}".encode()).digest()
    return "holdout" if int.from_bytes(digest[:8], "big") / 2**64 < holdout_fraction else "train"


def session_kind(session_id: str) -> SessionKind:
    """Classify a LongMemEval haystack session by its id.

    ``answer_*`` sessions hold the evidence; ``sharegpt_*`` and ``ultrachat_*``
    are generic chats from public assistant logs; everything else (``3f2a9c1e``,
    ``86c8f348_1``) is a simulated chat about a user's life.

    Example:
        >>> [session_kind(s) for s in ("answer_aaf71ce2_3", "ultrachat_505518", "86c8f348_1")]
        ['answer', 'generic', 'personal']
    """
    if session_id.startswith("answer_"):
        return "answer"
    if session_id.startswith(_GENERIC_PREFIXES):
        return "generic"
    return "personal"


@dataclass(frozen=True)
class Turn:
    """One chat turn: ``role`` is ``"user"`` or ``"assistant"``."""

    role: str
    content: str
    has_answer: bool = False


@dataclass(frozen=True)
class Session:
    """One haystack session of a LongMemEval question."""

    session_id: str
    date: str
    turns: tuple[Turn, ...]

    @property
    def kind(self) -> SessionKind:
        return session_kind(self.session_id)


@dataclass(frozen=True)
class Question:
    """One LongMemEval question with its haystack."""

    question_id: str
    question_type: str
    question: str
    answer: str
    question_date: str
    sessions: tuple[Session, ...]
    answer_session_ids: tuple[str, ...]

    @property
    def is_abstention(self) -> bool:
        """Whether the answer is absent from the history (ids ending in ``_abs``)."""
        return self.question_id.endswith("_abs")


@dataclass(frozen=True)
class LongMemEval:
    """Loaded LongMemEval questions and what the loader left out (reason -> count)."""

    questions: tuple[Question, ...]
    skipped: dict[str, int]


def load_longmemeval(path: str | Path) -> LongMemEval:
    """Load LongMemEval (``.json`` or ``.json.gz``), skipping and counting defective parts.

    Skipped: items that are not objects or lack a question id or text, duplicate
    ids, sessions whose id and turn lists differ in length (the extra tail),
    turns without string ``role`` and ``content``.

    Args:
        path: The data file.

    Returns:
        The questions in file order, and the skip counts.

    Raises:
        FileNotFoundError: ``path`` does not exist.
        ValueError: the file is not a JSON list.
    """
    raw = read_json(path)
    if not isinstance(raw, list):
        raise ValueError(f"{path}: expected a JSON list of questions, got {type(raw).__name__}")
    skipped: Counter[str] = Counter()
    questions: list[Question] = []
    seen: set[str] = set()
    for item in raw:
        q = _question(item, skipped)
        if q is None:
            continue
        if q.question_id in seen:
            skipped["question: duplicate id"] += 1
            continue
        seen.add(q.question_id)
        questions.append(q)
    return LongMemEval(questions=tuple(questions), skipped=dict(skipped))


def _question(item: Any, skipped: Counter[str]) -> Question | None:
    if not isinstance(item, dict):
        skipped["question: not an object"] += 1
        return None
    qid, text = item.get("question_id"), item.get("question")
    if not isinstance(qid, str) or not qid:
        skipped["question: no id"] += 1
        return None
    if not isinstance(text, str) or not text.strip():
        skipped["question: no text"] += 1
        return None
    ids = item.get("haystack_session_ids") or []
    sessions_raw = item.get("haystack_sessions") or []
    dates = item.get("haystack_dates") or []
    if len(ids) != len(sessions_raw):
        skipped["session: ids and sessions differ in length"] += abs(len(ids) - len(sessions_raw))
    sessions = []
    for i, (sid, turns_raw) in enumerate(zip(ids, sessions_raw)):
        if not isinstance(sid, str) or not isinstance(turns_raw, list):
            skipped["session: malformed"] += 1
            continue
        turns = []
        for t in turns_raw:
            if isinstance(t, dict) and isinstance(t.get("role"), str) and isinstance(t.get("content"), str):
                turns.append(Turn(t["role"], t["content"], bool(t.get("has_answer", False))))
            else:
                skipped["turn: malformed"] += 1
        date = dates[i] if i < len(dates) and isinstance(dates[i], str) else ""
        sessions.append(Session(sid, date, tuple(turns)))
    answer = item.get("answer")
    return Question(
        question_id=qid,
        question_type=str(item.get("question_type", "")),
        question=text.strip(),
        answer="" if answer is None else str(answer),
        question_date=str(item.get("question_date", "")),
        sessions=tuple(sessions),
        answer_session_ids=tuple(s for s in item.get("answer_session_ids") or [] if isinstance(s, str)),
    )


@dataclass(frozen=True)
class GateExample:
    """One message for the recall gate: a question (positive) or a session's first user turn.

    Attributes:
        text: The message.
        kind: ``"question"`` (needs older context), ``"generic"`` (self-contained
            request from a public log) or ``"personal"`` (opens a simulated chat
            about the user: ambiguous, reported apart).
        question_ids: The questions whose item the text comes from (several for a
            generic session reused across haystacks).
        abstention: For questions: whether the answer is absent from the history.
    """

    text: str
    kind: ExampleKind
    question_ids: tuple[str, ...]
    abstention: bool = False


def first_user_turn(session: Session) -> tuple[str | None, str | None]:
    """The text that opens ``session`` as a user request, or ``(None, why)``.

    A session must open with a user turn: ShareGPT chunks that open with an
    assistant reply are continuations, and their first user turn is a follow-up
    that leans on the (missing) preceding chat, not a new request.
    """
    if not session.turns:
        return None, "session: empty"
    first = session.turns[0]
    if first.role != "user":
        if not any(t.role == "user" for t in session.turns):
            return None, "session: no user turn"
        return None, "session: opens with an assistant turn (a continuation)"
    if not first.content.strip():
        return None, "session: empty first user turn"
    return first.content.strip(), None


def gate_examples(
    questions: Sequence[Question],
    *,
    split: Split = "all",
    limit: int | None = None,
    seed: int = 0,
    holdout_fraction: float = HOLDOUT_FRACTION,
) -> tuple[list[GateExample], dict[str, int]]:
    """Build the gate's examples from LongMemEval for one side of the split.

    Positives are the questions; negatives are the first user turns of generic
    sessions; first turns of personal sessions come along as ``"personal"``.
    Evidence (``answer_*``) sessions are left out. Texts are deduplicated, and a
    text that occurs in any held-out question's haystack never lands on the
    ``"train"`` side, so no held-out negative is ever trained on.

    Args:
        questions: All loaded questions (the whole file, also for ``limit``: the
            held-out texts are collected from all of them).
        split: ``"train"``, ``"holdout"`` or ``"all"``.
        limit: Keep this many questions of the split (sampled with ``seed``) and
            the negatives of their haystacks.
        seed: Sampling seed for ``limit``.
        holdout_fraction: Passed to `split_of`.

    Returns:
        The examples (questions first, then negatives in haystack order) and skip counts.

    Raises:
        ValueError: unknown ``split`` or a negative ``limit``.
    """
    if split not in ("train", "holdout", "all"):
        raise ValueError(f"split must be 'train', 'holdout' or 'all', got {split!r}")
    if limit is not None and limit < 0:
        raise ValueError(f"limit must be >= 0, got {limit}")

    def side(q: Question) -> str:
        return split_of(q.question_id, holdout_fraction=holdout_fraction)

    chosen = [q for q in questions if split == "all" or side(q) == split]
    if limit is not None and limit < len(chosen):
        keep = set(random.Random(seed).sample(range(len(chosen)), limit))
        chosen = [q for i, q in enumerate(chosen) if i in keep]
    held_out_texts: set[str] = set()
    if split == "train":
        for q in questions:
            if side(q) == "holdout":
                held_out_texts.update(_opening_texts(q))

    skipped: Counter[str] = Counter()
    examples = [GateExample(q.question, "question", (q.question_id,), q.is_abstention) for q in chosen]
    negatives: dict[str, tuple[ExampleKind, list[str]]] = {}
    for q in chosen:
        for session in q.sessions:
            kind = session.kind
            if kind == "answer":
                continue
            text, why = first_user_turn(session)
            if text is None:
                skipped[f"{kind} {why}"] += 1
                continue
            if text in held_out_texts:
                skipped[f"{kind}: also in a held-out haystack"] += 1
                continue
            if text in negatives:
                seen_kind, qids = negatives[text]
                if seen_kind != kind:
                    skipped[f"{kind}: same text also opens a {seen_kind} session"] += 1
                elif q.question_id not in qids:
                    qids.append(q.question_id)
                continue
            negatives[text] = (kind, [q.question_id])
    examples.extend(GateExample(text, kind, tuple(qids)) for text, (kind, qids) in negatives.items())
    return examples, dict(skipped)


def _opening_texts(q: Question) -> Iterable[str]:
    for session in q.sessions:
        text, _ = first_user_turn(session)
        if text is not None:
            yield text
