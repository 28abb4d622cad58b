"""The peer benchmark's cases: per sampled LongMemEval user, a history holding the evidence, then the turns played.

Each case is one answerable LongMemEval-S question (its asker is the "user"):

- the history: every evidence session (``answer_session_ids``, or any session with a ``has_answer``
  turn), then other sessions of its haystack (seeded) until about ``history_turns`` turns, kept in
  their original (chronological) order;
- the played turns: ``requests`` self-contained requests, then the question. A request is the first
  user turn of a generic session (``sharegpt_`` / ``ultrachat_``, a public assistant log) from the
  haystack of *another* question on the same side of the gate's split, never one in this user's
  haystack, with the log's own assistant reply (what a store step or an inline add writes).
  Trivial openings ("hi", "thanks") are left out: they short-circuit every gate and are not requests.

Sides follow the gate's salted-hash split (`split_of`): ``"dev"`` is its training side, ``"holdout"``
the questions (and haystack texts) `LearnedGate` never saw.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from mem0_langgraph.eval.longmemeval import Question, Session, first_user_turn, split_of

Side = Literal["dev", "holdout"]
SIDES: tuple[Side, ...] = ("dev", "holdout")
_SPLIT_SIDE = {"train": "dev", "holdout": "holdout"}


@dataclass(frozen=True)
class Request:
    """A self-contained request: a generic session's opening and the reply the log gave it."""

    text: str
    reply: str
    session_id: str


@dataclass(frozen=True)
class Case:
    """One user of the benchmark: the stored history, the requests, the question."""

    question: Question
    side: Side
    sessions: tuple[Session, ...]
    requests: tuple[Request, ...]

    @property
    def user_id(self) -> str:
        return f"peer-{self.question.question_id}"

    @property
    def turns(self) -> int:
        """Turns in the stored history."""
        return sum(len(s.turns) for s in self.sessions)

    @property
    def evidence(self) -> frozenset[tuple[str, int]]:
        """``(session id, turn index)`` of the history's ``has_answer`` turns."""
        return frozenset((s.session_id, i) for s in self.sessions for i, t in enumerate(s.turns) if t.has_answer)

    def messages(self, session: Session) -> list[dict[str, Any]]:
        """One session as `import_messages` takes it, every turn with the session's date."""
        return [{"role": t.role, "content": t.content, "timestamp": session.date} for t in session.turns]


def side_of(question_id: str) -> Side:
    """The question's side of the gate's split, named as the benchmark reports it.

    Example:
        >>> side_of("6613b389")
        'dev'
    """
    return _SPLIT_SIDE[split_of(question_id)]  # type: ignore[return-value]


def history_sessions(q: Question, history_turns: int, seed: int) -> tuple[Session, ...]:
    """The evidence sessions plus seeded others until ``history_turns`` turns, in haystack order.

    Example:
        >>> from mem0_langgraph.eval.longmemeval import Turn
        >>> s = [Session(f"s{i}", "", (Turn("user", "x"), Turn("assistant", "y"))) for i in range(5)]
        >>> s[3] = Session("answer_1", "", (Turn("user", "I moved to Lyon", True),))
        >>> q = Question("q1", "single-session-user", "Where did I move?", "Lyon", "", tuple(s), ("answer_1",))
        >>> [x.session_id for x in history_sessions(q, 4, seed=0)]
        ['s2', 'answer_1', 's4']
    """
    evidence = set(q.answer_session_ids)
    keep = [i for i, s in enumerate(q.sessions) if s.session_id in evidence or any(t.has_answer for t in s.turns)]
    others = [i for i in range(len(q.sessions)) if i not in set(keep)]
    random.Random(f"{seed}:{q.question_id}").shuffle(others)
    total = sum(len(q.sessions[i].turns) for i in keep)
    for i in others:
        if total >= history_turns:
            break
        keep.append(i)
        total += len(q.sessions[i].turns)
    return tuple(q.sessions[i] for i in sorted(keep))


def request_pool(questions: Sequence[Question]) -> dict[str, Request]:
    """Text -> `Request`, for every non-trivial generic opening (with a reply) in these haystacks."""
    from mem0_langgraph.core._text import is_trivial

    pool: dict[str, Request] = {}
    for q in questions:
        for s in q.sessions:
            if s.kind != "generic":
                continue
            text, _ = first_user_turn(s)
            if text is None or text in pool or is_trivial(text):
                continue
            reply = s.turns[1].content.strip() if len(s.turns) > 1 and s.turns[1].role == "assistant" else ""
            pool[text] = Request(text, reply, s.session_id)
    return pool


def build_cases(questions: Sequence[Question], *, users: int, sides: Sequence[Side], history_turns: int,
                requests: int, seed: int) -> list[Case]:
    """Sample ``users`` answerable questions per side and build each one's `Case`.

    Args:
        questions: Every loaded question (the request pools come from all of a side's haystacks).
        users: Users (questions) per side; 0: all.
        sides: Which sides of the split.
        history_turns: About how many turns of history to store per user.
        requests: Self-contained requests played before the question.
        seed: Sampling seed (users, history sessions, requests).

    Raises:
        ValueError: A side has too few requests left for a user.
    """
    from mem0_langgraph.eval.retrieval._run import sample

    cases: list[Case] = []
    for side in sides:
        on_side = [q for q in questions if side_of(q.question_id) == side]
        pool = request_pool(on_side)
        chosen = sample([q for q in on_side if not q.is_abstention], users, seed)
        for q in chosen:
            own = {t.content.strip() for s in q.sessions for t in s.turns} | {s.session_id for s in q.sessions}
            allowed = [r for text, r in pool.items() if text not in own and r.session_id not in own]
            if len(allowed) < requests:
                raise ValueError(f"only {len(allowed)} self-contained requests left for {q.question_id}")
            picked = random.Random(f"{seed}:{q.question_id}:requests").sample(allowed, requests)
            cases.append(Case(q, side, history_sessions(q, history_turns, seed), tuple(picked)))
    return cases
