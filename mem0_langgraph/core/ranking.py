"""Time-aware ranking of recalled memories: the current fact above the superseded one, newer above older.

Measured on LongMemEval knowledge-update (``eval updates``): lifting the newer of two memories on the
same subject (shared content words) above the older one took "latest evidence recalled ahead of older"
from 0.50 to 0.83 on the train side (0.36 to 0.64 held out); a flat recency bonus within a score band
did nothing (0.50). Only the best ten are reordered, and a newer memory may score up to
``recency_band`` (default 0.3) below (reordering the best 30 cost LoCoMo dev evidence recall@10 0.045).
What makes two memories one subject is the sentence of each that the question is about (two shared
content words), not the whole message: long messages share four words without stating the same thing,
and each newer chat turn of the latest session jumped above the fact. Moved memories are inserted in
time order (newest first, no ties). Train side at the product's top_k 5 / 400 tokens: 0.833 with
whole messages, 1.000 now (with `role_lift`); at top_k 10 / 1,000 tokens 0.958 -> 1.000.

Pure functions over `MemoryHit` lists, used by `Recaller` after the reranker and before the
thresholds and budgets. A memory's time is its ``said_at`` (else ``created_at``), see `timeinfo`.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Sequence

from mem0_langgraph.backends.base import MemoryHit
from mem0_langgraph.core._text import sentence_spans
from mem0_langgraph.core.rerank import keyword_terms, question_terms
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
_FOCUS_SHARED = 2
"""Content words the question's sentences of two memories must share to be one subject (see `focus_words`).
LongMemEval knowledge-update, train side, at the product's top_k 5 and 400 tokens: 0.833 with the
whole-message rule, 0.917 with 2, 0.875 with 3; LoCoMo dev: see the README."""
_STOP = frozenset("the a an and or of to in on for with is are was were be been it this that you your i me my we our "
                  "as at by from so if but not no do does did have has had can could would should will just about "
                  "i'm i've i'd what which who how when where there their they some any very much more also "
                  "really like get got many currently current now still latest recent recently total number tell "
                  "remind know".split())


def time_rank(hits: Sequence[MemoryHit], *, recency_overlap: float | None, recency_band: float,
              superseded_penalty: float, question: str | None = None) -> list[MemoryHit]:
    """One query's hits re-ranked by time.

    Superseded memories lose ``superseded_penalty``. Then, going down the ranking, a memory that is
    newer than one ranked above it, on the same subject and scoring within ``recency_band`` of it, moves
    just above it: the newer statement of the same thing comes first. Without a ``question`` two memories
    are on the same subject when they share at least ``recency_overlap`` of the smaller one's content
    words (see `_same_subject`); with one, when the sentences of each that best match the question share
    two content words (see `focus_words`): a long message says several things, and only the part the
    question is about decides.

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
    asked = question_terms(question) if question else None
    words = [focus_words(h.text, asked) if asked else _content(h.text) for h in head]

    def replaces(i: int, j: int) -> bool:  # is j a newer statement of what i says? (scores as ranked by search)
        ti, tj = times[i], times[j]
        return (ti is not None and tj is not None and tj > ti and head[i].score - head[j].score <= recency_band
                and (len(words[i] & words[j]) >= _FOCUS_SHARED if asked
                     else _same_subject(words[i], words[j], recency_overlap)))

    # Insertion, best first: each memory goes just above the best-ranked older one it replaces, so of
    # three statements of one thing the newest ends first, then the next newest (no ties between them).
    order: list[int] = []
    moved: set[int] = set()
    for j in range(len(head)):
        at = next((p for p, i in enumerate(order) if replaces(i, j)), None)
        if at is None:
            order.append(j)
        else:
            order.insert(at, j)
            moved.add(j)
    ranked: list[MemoryHit] = []
    for j in reversed(order):  # bottom up: a moved memory scores just above the one below it ...
        below = ranked[-1].score if ranked else head[j].score
        ranked.append(dataclasses.replace(head[j], score=below + 1e-4) if j in moved else head[j])
    ranked.reverse()
    ceiling = max(1.0, head[0].score)  # scores stay in the backend's [0, 1] units
    for k, h in enumerate(ranked):  # ... and never above the one above it (callers sort by score)
        if h.score > ceiling:
            ranked[k] = dataclasses.replace(h, score=ceiling)
        ceiling = ranked[k].score
    return [*ranked, *out[len(head):]]


def focus_words(text: str, asked: frozenset[str]) -> set[str]:
    """The content words of the sentence of ``text`` that shares the most of the question's words ``asked``
    (stems, see `keyword_terms`; the first such sentence on a tie); none when no sentence shares any
    (then the memory is on no subject of the question's).

    Example:
        >>> from mem0_langgraph.core.rerank import question_terms
        >>> sorted(focus_words("I love Lisbon. Our volleyball team is 5-2 now!",
        ...                    question_terms("What is my record in the volleyball league?")))
        ['team', 'volleyball']
        >>> focus_words("I took my dog hiking.", question_terms("What vegetables am I growing?"))
        set()
    """
    best, words = 0, set()
    for start, end in sentence_spans(text):
        sentence = text[start:end]
        shared = len(asked.intersection(keyword_terms(sentence)))
        if shared > best:
            best, words = shared, _content(sentence)
    return words


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
