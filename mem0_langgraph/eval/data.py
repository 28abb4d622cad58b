"""Loaders for the public evaluation data, and the gate's deterministic train/held-out split.

The data is read by path and never shipped: LongMemEval-S (``.json`` or
``.json.gz``) and LoCoMo (``locomo10.json``). Both have known defects; the
loaders skip or repair each one explicitly and count it in ``skipped``, so a
benchmark reports what it left out instead of crashing or hiding it.

The split lives here because two programs must agree on it: the gate's training
script trains only on the ``"train"`` side, and the benchmark reports figures on
the ``"holdout"`` side.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import random
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

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
_DIA_ID = re.compile(r"D(\d+):(\d+)")
_LOCOMO_SESSION = re.compile(r"session_(\d+)")


DATA_ENV = "MEM0_LANGGRAPH_DATA"
"""Environment variable naming the evaluation data folder."""
DEFAULT_DATA_DIR = Path("../shared/data")
"""Where the data sits beside a checkout of this repository."""


def data_dir(arg: Path | None = None) -> Path:
    """The data folder: the argument, else ``$MEM0_LANGGRAPH_DATA``, else ``../shared/data``."""
    if arg is not None:
        return Path(arg)
    env = os.environ.get(DATA_ENV)
    return Path(env) if env else DEFAULT_DATA_DIR


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


# --------------------------------------------------------------------------- LongMemEval


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
    raw = _read_json(path)
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


# --------------------------------------------------------------------------- LoCoMo


@dataclass(frozen=True)
class LocomoTurn:
    """One LoCoMo turn; ``blip_caption`` describes a shared image, when there is one."""

    dia_id: str
    speaker: str
    text: str
    blip_caption: str = ""


@dataclass(frozen=True)
class LocomoSession:
    """One LoCoMo session (``index`` N of ``session_N``)."""

    index: int
    date_time: str
    turns: tuple[LocomoTurn, ...]


@dataclass(frozen=True)
class LocomoQA:
    """One LoCoMo QA item.

    ``category``: 1 multi-hop, 2 temporal, 3 open-domain, 4 single-hop,
    5 adversarial (unanswerable; ``answer`` is then usually empty and
    ``adversarial_answer`` set). ``evidence`` holds only ids of turns that exist.
    """

    question: str
    answer: str
    evidence: tuple[str, ...]
    category: int
    adversarial_answer: str = ""


@dataclass(frozen=True)
class LocomoConversation:
    """One LoCoMo conversation between two speakers, with its QA items."""

    sample_id: str
    speaker_a: str
    speaker_b: str
    sessions: tuple[LocomoSession, ...]
    qa: tuple[LocomoQA, ...]


@dataclass(frozen=True)
class Locomo:
    """Loaded LoCoMo conversations and what the loader repaired or left out (reason -> count)."""

    conversations: tuple[LocomoConversation, ...]
    skipped: dict[str, int]


def load_locomo(path: str | Path) -> Locomo:
    """Load LoCoMo's ``locomo10.json``, handling its known defects.

    - ``session_N_date_time`` without ``session_N``: ignored, counted.
    - Evidence strings holding several ids (``"D8:6; D9:17"``): split, counted.
    - Malformed evidence ids (``"D"``, ``"D:11:26"``) and ids of turns that do
      not exist (``"D30:05"``, ``"D10:19"``): dropped, counted.
    - QA items left without evidence: kept with empty ``evidence`` (a retrieval
      benchmark skips them), counted.
    - Integer answers: converted to strings, counted.

    Args:
        path: The data file.

    Returns:
        The conversations in file order, and the counts.

    Raises:
        FileNotFoundError: ``path`` does not exist.
        ValueError: the file is not a JSON list.
    """
    raw = _read_json(path)
    if not isinstance(raw, list):
        raise ValueError(f"{path}: expected a JSON list of conversations, got {type(raw).__name__}")
    skipped: Counter[str] = Counter()
    conversations = []
    for item in raw:
        conv = item.get("conversation") if isinstance(item, dict) else None
        if not isinstance(conv, dict):
            skipped["conversation: malformed"] += 1
            continue
        sessions = _locomo_sessions(conv, skipped)
        dia_ids = {t.dia_id for s in sessions for t in s.turns}
        qa = [x for x in (_locomo_qa(q, dia_ids, skipped) for q in item.get("qa") or []) if x is not None]
        conversations.append(LocomoConversation(
            sample_id=str(item.get("sample_id", "")),
            speaker_a=str(conv.get("speaker_a", "")),
            speaker_b=str(conv.get("speaker_b", "")),
            sessions=tuple(sessions),
            qa=tuple(qa),
        ))
    return Locomo(conversations=tuple(conversations), skipped=dict(skipped))


def _locomo_sessions(conv: dict[str, Any], skipped: Counter[str]) -> list[LocomoSession]:
    sessions = []
    for key, turns_raw in conv.items():
        m = _LOCOMO_SESSION.fullmatch(key)
        if not m:
            if key.endswith("_date_time") and key[: -len("_date_time")] not in conv:
                skipped["session: date_time without a session"] += 1
            continue
        if not isinstance(turns_raw, list):
            skipped["session: malformed"] += 1
            continue
        turns = []
        for t in turns_raw:
            if isinstance(t, dict) and all(isinstance(t.get(k), str) for k in ("dia_id", "speaker", "text")):
                turns.append(LocomoTurn(t["dia_id"], t["speaker"], t["text"], str(t.get("blip_caption") or "")))
            else:
                skipped["turn: malformed"] += 1
        date = conv.get(f"{key}_date_time")
        sessions.append(LocomoSession(int(m.group(1)), date if isinstance(date, str) else "", tuple(turns)))
    sessions.sort(key=lambda s: s.index)
    return sessions


def _locomo_qa(q: Any, dia_ids: set[str], skipped: Counter[str]) -> LocomoQA | None:
    if not isinstance(q, dict) or not isinstance(q.get("question"), str) or not isinstance(q.get("category"), int):
        skipped["qa: malformed"] += 1
        return None
    evidence: list[str] = []
    for entry in q.get("evidence") or []:
        parts = re.split(r"[;,\s]+", str(entry).strip())
        if len(parts) > 1:
            skipped["qa: evidence string holding several ids (split)"] += 1
        for part in filter(None, parts):
            if not _DIA_ID.fullmatch(part):
                skipped["qa: malformed evidence id (dropped)"] += 1
            elif part not in dia_ids:
                skipped["qa: evidence id of no turn (dropped)"] += 1
            elif part not in evidence:
                evidence.append(part)
    if not evidence:
        skipped["qa: no evidence"] += 1
    answer = q.get("answer")
    if isinstance(answer, (int, float)) and not isinstance(answer, bool):
        skipped["qa: numeric answer (made a string)"] += 1
    return LocomoQA(
        question=q["question"].strip(),
        answer="" if answer is None else str(answer),
        evidence=tuple(evidence),
        category=q["category"],
        adversarial_answer=str(q.get("adversarial_answer") or ""),
    )


def _read_json(path: str | Path) -> Any:
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such data file (see ../shared/data/README.md for where to get it)")
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as f:
        return json.load(f)
