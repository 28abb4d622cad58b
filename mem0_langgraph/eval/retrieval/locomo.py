"""The retrieval benchmark's LoCoMo runner: one memory per turn, evidence recall per question.

Each turn is stored as ``"Speaker: text"``, scoped to its conversation
(``user_id`` = the sample id, ``thread_id`` = the session). QA categories 1-4
with evidence are scored; figures are reported per half (`half_of`: dev,
tuned on, and holdout) and over both.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from mem0_langgraph.eval.locomo import (
    CATEGORY_NAMES,
    LOCOMO_DEV_CONVERSATIONS,
    Split,
    conversations_of,
    half_of,
    load_locomo,
)
from mem0_langgraph.eval.retrieval._run import Recalled, Run, bar, mean, pre_embed, sample

LOCOMO_BASELINE = {"n": 1536, "recall@5": 0.366, "recall@10": 0.454, "recall@20": 0.545}
"""Plain cosine top-k over all conversations, as the data folder's README.md reports it."""
SCORED_CATEGORIES = (1, 2, 3, 4)
"""QA categories scored: category 5 (adversarial) has no evidence to recall."""


@dataclass(frozen=True)
class LocomoRow:
    """One scored LoCoMo question.

    Attributes:
        part: The conversation's half, ``"dev"`` or ``"holdout"``.
        category: The QA category (1-4).
        evidence: The dialogue ids of the evidence turns.
        recalled: Per reranker and ``k``: what its recaller injected.
    """

    part: str
    category: int
    evidence: frozenset[str]
    recalled: Mapping[str, Mapping[int, Recalled]]

    def recall(self, name: str, k: int) -> float:
        """Share of the evidence turns among the memories reranker ``name`` injected at ``k``.

        Example:
            >>> row = LocomoRow("dev", 4, frozenset({"D1:1", "D1:2"}),
            ...                 {"dense": {5: Recalled(frozenset({"D1:2", "D3:4"}), 80, 5)}})
            >>> row.recall("dense", 5)
            0.5
        """
        return len(self.recalled[name][k].found & self.evidence) / len(self.evidence)


def run_locomo(run: Run, path: Path, *, limit: int | None, seed: int, split: Split,
               conversations: Sequence[int] | None) -> dict[str, Any]:
    """Store each chosen conversation, recall for its scored questions, and aggregate.

    Args:
        run: The run's store and recallers.
        path: ``locomo10.json``.
        limit: At most this many scored questions per conversation (sampled with
            ``seed`` + the conversation's index); None or 0: all.
        seed: Sampling seed.
        split: ``"dev"``, ``"holdout"`` or ``"all"``.
        conversations: These conversation indices instead of the split's.

    Returns:
        The LoCoMo part of `run_retrieval_eval`'s result.

    Raises:
        ValueError: a conversation index out of range.
    """
    from langchain_core.messages import HumanMessage

    data = load_locomo(path)
    run.skipped.update({f"load: {k}": v for k, v in data.skipped.items()})
    if conversations is None:
        conversations = conversations_of(split, len(data.conversations))
    bad = [i for i in conversations if not 0 <= i < len(data.conversations)]
    if bad:
        raise ValueError(f"no conversation {bad}; LoCoMo has 0..{len(data.conversations) - 1}")
    storer = run.storer(("user",))
    rows: list[LocomoRow] = []
    counts: Counter[str] = Counter()
    for ci in conversations:
        conv = data.conversations[ci]
        user_id = conv.sample_id or f"conversation-{ci}"
        scored = []
        for qa in conv.qa:
            if qa.category not in SCORED_CATEGORIES:
                run.skipped[f"qa: category {qa.category} (not scored)"] += 1
            elif not qa.evidence:
                run.skipped["qa: categories 1-4 without usable evidence (not scored)"] += 1
            else:
                scored.append(qa)
        questions = sample(scored, limit, seed + ci)
        run.skipped["qa: left out by --limit"] += len(scored) - len(questions)

        keys_of_text: dict[str, list[Hashable]] = defaultdict(list)
        turns = [(s, t) for s in conv.sessions for t in s.turns]
        pre_embed([f"{t.speaker}: {t.text}".strip() for _, t in turns] + [q.question for q in questions])
        for session, turn in bar(turns, f"store {user_id}", len(turns), run.progress, "turn"):
            if not turn.text.strip():
                run.skipped["turn: empty text (not stored)"] += 1
                continue
            text = f"{turn.speaker}: {turn.text}".strip()
            config = {"configurable": {"user_id": user_id, "thread_id": f"{user_id}/session_{session.index}"}}
            # Each turn carries its session's date, as a user's message carries its own time.
            when = locomo_time(session.date_time)
            message = HumanMessage(text, additional_kwargs={"timestamp": when} if when else {})
            if run.store(storer, [message], config):
                keys_of_text[text].append(turn.dia_id)
                counts["turns_stored"] += 1
        counts["turns"] += len(turns)
        memory_keys = run.memory_keys(user_id, keys_of_text)
        counts["memories"] += len(memory_keys)
        # Questions are asked as of the conversation's last session (LoCoMo gives no question dates).
        asked_at = max((w for s in conv.sessions if (w := locomo_time(s.date_time))), default=None)

        for qa in bar(questions, f"recall {user_id}", len(questions), run.progress, "q"):
            recalled = run.recall(qa.question, user_id, memory_keys, asked_at=asked_at)
            rows.append(LocomoRow(half_of(ci), qa.category, frozenset(qa.evidence), recalled))
        counts["conversations"] += 1
        counts["questions"] += len(questions)

    search_latency, rerank_latency = run.latency()
    halves = sorted({r.part for r in rows})
    parts = halves + (["all"] if len(halves) > 1 else [])
    return {
        "counts": dict(counts),
        "conversations": list(conversations),
        "dev_conversations": list(range(LOCOMO_DEV_CONVERSATIONS)),
        "skipped": run.skipped_report(),
        "baseline": LOCOMO_BASELINE,
        "latency_ms": search_latency,
        "rerankers": {
            name: {**rerank_latency[name],
                   "parts": {p: locomo_part([r for r in rows if p in ("all", r.part)], name, run.k_values)
                             for p in parts}}
            for name in run.recallers
        },
    }


def locomo_time(date_time: str) -> str | None:
    """A LoCoMo session's ``"1:56 pm on 8 May, 2023"`` as ISO 8601 UTC; None when it is not in that form.

    Example:
        >>> locomo_time("1:56 pm on 8 May, 2023"), locomo_time("")
        ('2023-05-08T13:56:00+00:00', None)
    """
    m = _LOCOMO_TIME.match(date_time or "")
    if m is None:
        return None
    hour, minute, half, day, month, year = m.groups()
    try:
        dt = datetime.strptime(f"{day} {month} {year} {int(hour) % 12 + (12 if half.lower() == 'pm' else 0)}:{minute}",
                               "%d %B %Y %H:%M")
    except ValueError:
        return None
    return dt.replace(tzinfo=timezone.utc).isoformat()


_LOCOMO_TIME = re.compile(r"\s*(\d{1,2}):(\d{2})\s*(am|pm)\s+on\s+(\d{1,2})\s+(\w+),?\s+(\d{4})", re.IGNORECASE)


def locomo_part(rows: Sequence[LocomoRow], name: str, k_values: Sequence[int]) -> dict[str, Any]:
    """One part's figures for reranker ``name``: ``n``, ``recall@k``, ``tokens@k``, ``memories@k``, per category.

    Example:
        >>> row = LocomoRow("dev", 4, frozenset({"D1:1"}), {"dense": {5: Recalled(frozenset({"D1:1"}), 80, 5)}})
        >>> part = locomo_part([row], "dense", [5])
        >>> part["n"], part["recall@5"], part["tokens@5"], part["memories@5"], part["by_category"]
        (1, 1.0, 80.0, 5.0, {'single-hop': {'n': 1, 'recall@5': 1.0}})
    """
    out: dict[str, Any] = {"n": len(rows)}
    for k in k_values:
        out[f"recall@{k}"] = mean([r.recall(name, k) for r in rows])
        out[f"tokens@{k}"] = mean([r.recalled[name][k].tokens for r in rows])
        out[f"memories@{k}"] = mean([r.recalled[name][k].memories for r in rows])
    out["by_category"] = {
        CATEGORY_NAMES[c]: {"n": len(sub), **{f"recall@{k}": mean([r.recall(name, k) for r in sub]) for k in k_values}}
        for c in SCORED_CATEGORIES if (sub := [r for r in rows if r.category == c])
    }
    return out
