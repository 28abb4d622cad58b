"""Time-aware ranking of recalled memories: the current fact above the superseded one, newer above older.

Measured on LongMemEval knowledge-update (``eval updates``): lifting the newer of two memories on the
same subject (shared content words) above the older one took "latest evidence recalled ahead of older"
from 0.50 to 0.83 on the train side (0.36 to 0.64 held out); a flat recency bonus within a score band
did nothing (0.50). Only the best ten are reordered, and a newer memory may score up to
``recency_band`` (default 0.3) below, and long messages that share four content words are on one
subject: on the train side's stored haystacks 19/19 (0.2.0's default: 17/19), with LoCoMo dev
evidence recall@10 unchanged (reordering the best 30 cost it 0.045).

Pure functions over `MemoryHit` lists, used by `Recaller` after the reranker and before the
thresholds and budgets. A memory's time is its ``said_at`` (else ``created_at``), see `timeinfo`.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Sequence

from mem0_langgraph.backends.base import MemoryHit
from mem0_langgraph.core.supersede import _SPEAKER, _VOCATIVE, STATUS_KEY, SUPERSEDED
from mem0_langgraph.core.timeinfo import when_of


_MIN_SHARED = 3
"""Content words two memories must share to be on the same subject with ``recency_overlap``: two short
chat turns share a word or two without being about one thing (LoCoMo dev R@5 0.502 -> 0.543 at band 0.3)."""
_MANY_SHARED = 4
"""Content words that make two memories one subject whatever their overlap: long messages share a small part
of their words even when they say the same thing ("living in my apartment in Harajuku for 3 months now")."""
_PAIR_WINDOW = 10
"""Only the best hits are reordered: the newer of two memories moves above the older one, but nothing from
below them moves in. With 30, a newer memory from far below pushed recalled ones out: on LoCoMo dev (turns
dated by session) evidence recall@10 fell from 0.638 to 0.574; with 10 it stays 0.638 (the default top_k)."""
_STOP = frozenset("the a an and or of to in on for with is are was were be been it this that you your i me my we our "
                  "as at by from so if but not no do does did have has had can could would should will just about "
                  "i'm i've i'd what which who how when where there their they some any very much more also "
                  "really like get got many currently current now still latest recent recently total number tell "
                  "remind know".split())


def time_rank(hits: Sequence[MemoryHit], *, recency_overlap: float | None, recency_band: float,
              superseded_penalty: float) -> list[MemoryHit]:
    """One query's hits re-ranked by time.

    Superseded memories lose ``superseded_penalty``. Then, going down the ranking, a memory that is
    newer than one ranked above it, on the same subject (they share at least ``recency_overlap`` of
    the smaller one's content words) and scoring within ``recency_band`` of it, moves just above it:
    the newer statement of the same thing comes first.

    Example:
        >>> old = MemoryHit("1", "I'm on page 200 of A Short History of Nearly Everything.", 0.62,
        ...                 "2023-05-20T21:24:00+00:00")
        >>> new = MemoryHit("2", "Now on page 220 of A Short History of Nearly Everything!", 0.58,
        ...                 "2023-05-29T09:12:00+00:00")
        >>> other = MemoryHit("3", "I'm reading a lot of fiction lately.", 0.61, "2023-06-01T00:00:00+00:00")
        >>> ranked = time_rank([old, other, new], recency_overlap=0.2, recency_band=0.1, superseded_penalty=0.1)
        >>> [h.id for h in ranked]
        ['2', '1', '3']
    """
    out = sorted((dataclasses.replace(h, score=h.score - superseded_penalty)
                  if h.metadata.get(STATUS_KEY) == SUPERSEDED and superseded_penalty else h for h in hits),
                 key=lambda h: h.score, reverse=True)
    if recency_overlap is None or len(out) < 2:
        return out
    head = out[:_PAIR_WINDOW]
    times = [when_of({**h.metadata, "created_at": h.created_at}) for h in head]
    words = [_content(h.text) for h in head]
    for j in range(1, len(head)):
        b, tb = head[j], times[j]
        for i in range(j):
            a, ta = head[i], times[i]
            if (tb is not None and ta is not None and tb > ta and a.score - b.score <= recency_band
                    and _same_subject(words[i], words[j], recency_overlap)):
                head[j] = dataclasses.replace(b, score=a.score + 1e-4)
                break
    return sorted(head, key=lambda h: h.score, reverse=True) + out[_PAIR_WINDOW:]


def _content(text: str) -> set[str]:
    """Stemmed content words, without a transcript's speaker label and the name of whoever is addressed."""
    text = _SPEAKER.sub("", text, count=1)
    names = {n.lower() for m in _VOCATIVE.finditer(text) for n in m.groups() if n}
    return {_stem(w) for w in re.findall(r"[a-z0-9][a-z0-9']+", text.lower()) if w not in _STOP and w not in names}


def _stem(word: str) -> str:
    for suffix in ("ing", "ed", "es", "s"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[: -len(suffix)]
    return word


def _same_subject(a: set[str], b: set[str], min_overlap: float) -> bool:
    shared = len(a & b)
    return shared >= _MANY_SHARED or (shared >= _MIN_SHARED and _overlap(a, b) >= min_overlap)


def _overlap(a: set[str], b: set[str]) -> float:
    return len(a & b) / min(len(a), len(b)) if a and b else 0.0


def link_replacements(hits: Sequence[MemoryHit], fetched: Sequence[MemoryHit] = ()) -> list[MemoryHit]:
    """Rank each superseded memory right below what replaced it: the replacement inherits the score of
    the memory it replaces when that is higher (it answers the same thing, and is current).

    Args:
        hits: The recalled candidates (several queries' hits; an id may repeat, the best score counts).
        fetched: Replacements fetched because the search missed them.

    Example:
        >>> old = MemoryHit("1", "I'm vegetarian.", 0.70, metadata={"status": "superseded", "superseded_by": "2"})
        >>> new = MemoryHit("2", "Actually I eat fish again.", 0.43)
        >>> [(h.id, h.score) for h in link_replacements([old, new])]
        [('2', 0.7), ('1', 0.699)]
    """
    best: dict[str, MemoryHit] = {}
    for h in [*hits, *fetched]:
        if h.id not in best or h.score > best[h.id].score:
            best[h.id] = h
    for h in list(best.values()):
        r = best.get(str(h.metadata.get("superseded_by") or ""))
        if h.metadata.get(STATUS_KEY) == SUPERSEDED and r is not None and r.id != h.id:
            top = max(r.score, h.score)
            best[r.id] = dataclasses.replace(r, score=top)
            best[h.id] = dataclasses.replace(h, score=min(h.score, round(top - 0.001, 6)))
    return sorted(best.values(), key=lambda h: h.score, reverse=True)
