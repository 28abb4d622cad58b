"""LoCoMo: its loader, and the dev / holdout split of its ten conversations.

The loader repairs or skips each known defect of ``locomo10.json`` explicitly and
counts it in ``skipped``, so a benchmark reports what it left out instead of
crashing or hiding it. Rerankers were tuned on the dev half (conversations 0-4)
only; the holdout half (5-9) was never used for tuning.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from mem0_langgraph.eval.paths import read_json

Half = Literal["dev", "holdout"]
Split = Literal["dev", "holdout", "all"]

LOCOMO_DEV_CONVERSATIONS = 5
"""LoCoMo conversations ``0 .. 4`` are the dev half (tuned on); the rest are held out."""
CATEGORY_NAMES = {1: "multi-hop", 2: "temporal", 3: "open-domain", 4: "single-hop", 5: "adversarial"}
"""What each QA ``category`` asks (5: unanswerable from the conversation)."""

_DIA_ID = re.compile(r"D(\d+):(\d+)")
_LOCOMO_SESSION = re.compile(r"session_(\d+)")


def half_of(index: int) -> Half:
    """The half conversation ``index`` belongs to.

    Example:
        >>> half_of(4), half_of(5)
        ('dev', 'holdout')
    """
    return "dev" if index < LOCOMO_DEV_CONVERSATIONS else "holdout"


def conversations_of(split: Split, count: int) -> list[int]:
    """The indices of the conversations on ``split``'s side, of ``count`` conversations.

    Example:
        >>> conversations_of("holdout", 10), len(conversations_of("all", 10))
        ([5, 6, 7, 8, 9], 10)
    """
    return [i for i in range(count) if split == "all" or half_of(i) == split]


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
    raw = read_json(path)
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
