"""Newer supersedes older: when a new memory updates or contradicts an older one, record it.

mem0 2.x does not do this, even with a key: its extraction only ever adds. So
after each write lands, `SupersedingBackend` (a `ForwardingBackend` the store
step writes through, so the work runs on the background writer, never on the
response path) searches the same user's (and agent's) older memories for the new
one's subject and asks a `SupersedeJudge` which of them it replaces. Each one is
marked, never deleted: ``status="superseded"``, ``superseded_by`` (the new id),
``superseded_at`` (when the newer was said); the new one lists what it
``supersedes``. mem0's history keeps both versions. Recall ranks the current fact
above the superseded one and the memory block says which is which.

`RuleJudge` (default) needs no model: an update cue ("actually", "no longer",
"now", "moved to", ...) on the same subject, or the same statement restated.
`LLMJudge` asks a chat model.
"""

from __future__ import annotations

import json
import logging
import re
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, Protocol, runtime_checkable

from mem0_langgraph.backends.base import (
    Add,
    ForwardingBackend,
    Get,
    MemoryBackend,
    MemoryHit,
    Op,
    Search,
    Update,
    innermost,
)
from mem0_langgraph.core._steps import Steps, call, model_call, run_async, run_sync
from mem0_langgraph.core._text import clip, is_question
from mem0_langgraph.core.roles import role_of
from mem0_langgraph.core.timeinfo import hit_time, iso, now_utc

logger = logging.getLogger("mem0_langgraph")

STATUS_KEY = "status"
"""Metadata key: ``"superseded"`` on a memory a newer one replaced (absent on current ones)."""
SUPERSEDED = "superseded"


@dataclass(frozen=True)
class Supersession:
    """One older memory that a newer one replaces."""

    old_id: str
    reason: str


@runtime_checkable
class SupersedeJudge(Protocol):
    """Decides which older memories a new memory updates or contradicts."""

    def judge(self, new: MemoryHit, older: Sequence[MemoryHit]) -> list[Supersession]:
        """The older memories (candidates of the same scope, most similar first) that ``new`` replaces."""
        ...

    async def ajudge(self, new: MemoryHit, older: Sequence[MemoryHit]) -> list[Supersession]:
        """Async twin of `judge`."""
        ...


_CUE = re.compile(r"\b(actually|no longer|not anymore|(n't|not) \w+ any ?more|any ?more|these days|from now on|"
                  r"instead|moved to|switched to|changed (my|to)|started|stopped|quit|gave up|now|recently|"
                  r"new|again|turned out|updated?|correction|I was wrong|not (a |an )?\w+ now)\b", re.IGNORECASE)
_TOPICS: tuple[frozenset[str], ...] = tuple(frozenset(t.split()) for t in (
    "vegetarian vegan pescatarian meat fish chicken beef pork eat eating ate diet food foods allergic dairy gluten",
    "live lives living lived moved move moving city apartment flat house home town neighbourhood neighborhood",
    "work works working job jobs company employer role position career office boss hired promoted fired quit",
    "married single divorced engaged dating boyfriend girlfriend partner wife husband fiance fiancee",
    "drink drinking alcohol coffee tea smoke smoking sober",
))
_STOP = frozenset("i i'm im me my we our you your the a an and or of to in on for with is are was were be been am it "
                  "this that at by from so if but not no do does did have has had just really also still again "
                  "actually now new about like than then there their they some any very much more can will "
                  # small talk shares these without sharing a subject
                  "hey thanks thank wow yeah yep sure great awesome cool nice glad sounds good fun amazing bye "
                  "later see keep updated appreciate support means lot hope".split())
_VOCATIVE = re.compile(r"\b(?:hey|hi|hello|thanks|thank you|wow|yeah|yes|no|bye|congrats|sorry|sure|ok|okay|oh|"
                       r"see you|talk to you),? ([A-Z][a-z]+)\b|,\s*([A-Z][a-z]+)\s*[!.,?]", re.IGNORECASE)


class RuleJudge:
    """Supersede on an update cue about the same subject, or the same statement restated; no model call.

    Args:
        restated_score: Similarity (backend units) at which a newer memory replaces an older one
            without any cue: the same statement said again, or the same slot with a new value.
            Default 0.75 (cosine 0.83 on the embedded default).
        cue_score: Similarity an older memory needs when the new one carries an update cue.
            Default 0.5 (cosine 0.5).
        topic_score: The floor when the two also share a content word or a topic ("vegetarian" and
            "fish" are both diet). Default 0.4 (cosine 0.25).
        max_chars: Only statements this short are judged (both the new and the older one): a long
            message says several things, and replacing all of them for one update is wrong. On
            LongMemEval's long turns, marks on longer texts cost knowledge-update accuracy (0.83 -> 0.63
            on the train side at 300 characters); recall orders those by time instead. Default 120.

    Example:
        >>> old = MemoryHit("1", "I'm vegetarian.", 0.45)
        >>> RuleJudge().judge(MemoryHit("2", "Actually I started eating fish again last month."), [old])
        [Supersession(old_id='1', reason='update cue on the same subject (diet)')]
        >>> RuleJudge().judge(MemoryHit("2", "I love hiking in the Alps."), [old])
        []
    """

    def __init__(self, *, restated_score: float = 0.75, cue_score: float = 0.5, topic_score: float = 0.4,
                 max_chars: int = 120) -> None:
        self.max_chars = max_chars
        self.restated_score = restated_score
        self.cue_score = cue_score
        self.topic_score = topic_score

    def judge(self, new: MemoryHit, older: Sequence[MemoryHit]) -> list[Supersession]:
        if len(new.text) > self.max_chars:
            return []
        speaker, statement = _statement(new.text)
        if not statement:
            return []  # a question or a greeting states nothing that could replace anything
        cue = _CUE.search(statement) is not None
        new_words = _content(statement)
        out = []
        people = _people(statement)
        for old in older:
            old_speaker, old_statement = _statement(old.text)
            if len(old.text) > self.max_chars or not old_statement or old_speaker != speaker:
                continue  # too long to replace whole, a question, or said by someone else
            if _people(old_statement) - people:
                continue  # the older one is about someone the new one does not name: another subject
            if old.score >= self.restated_score:
                out.append(Supersession(old.id, "restated or updated (same subject, newer)"))
                continue
            if not cue or old.score < self.topic_score:
                continue
            old_words = _content(old_statement)
            shared = sorted(new_words & old_words)
            topic = next((t for t in _TOPICS if new_words & t and old_words & t), None)
            # a similar statement needs one shared word or topic; a less similar one a topic or two words
            if topic or len(shared) >= (1 if old.score >= self.cue_score else 2):
                what = f"shares {shared[0]!r}" if shared else _topic_name(topic)
                out.append(Supersession(old.id, f"update cue on the same subject ({what})"))
        return out

    async def ajudge(self, new: MemoryHit, older: Sequence[MemoryHit]) -> list[Supersession]:
        return self.judge(new, older)


_PEOPLE = re.compile(r"\b(?:my|our) (wife|husband|partner|girlfriend|boyfriend|son|daughter|kids?|children|mom|mum|"
                     r"dad|mother|father|parents?|brother|sister|friend|boss|colleague|roommate|neighbou?r|"
                     r"dog|cat|grand\w+|aunt|uncle|cousin)\b", re.IGNORECASE)


_SPEAKER = re.compile(r"^\s*([A-Z][\w.'-]{0,30}(?: [A-Z][\w.'-]{0,30})?):\s+")
_NOT_SPEAKERS = frozenset("update note correction edit ps fyi reminder remember actually also".split())
_SENTENCE = re.compile(r"(?<=[.!?])\s+")


def _statement(text: str) -> tuple[str | None, str]:
    """``(speaker, statement)``: a transcript's speaker label ("Caroline: ...", else None) and the text
    without it and without its questions (a question states nothing that replaces a fact).

    Example:
        >>> _statement("Dave: Hey Calvin! How was the music thing in Tokyo?")
        ('dave', 'Hey Calvin!')
        >>> _statement("Note: I moved to Berlin. Any tips?")
        (None, 'Note: I moved to Berlin.')
    """
    speaker = None
    m = _SPEAKER.match(text)
    if m and m.group(1).lower() not in _NOT_SPEAKERS:
        speaker, text = m.group(1).lower(), text[m.end():]
    kept = [p for p in _SENTENCE.split(text.strip()) if p and not is_question(p)]
    return speaker, " ".join(kept).strip()


def _people(text: str) -> set[str]:
    return {m.lower() for m in _PEOPLE.findall(text)}


def _content(text: str) -> set[str]:
    """Content words, without small talk and without the name of whoever is addressed ("Thanks, Nate!")."""
    names = {n.lower() for m in _VOCATIVE.finditer(text) for n in m.groups() if n}
    return {w for w in re.findall(r"[a-z][a-z']+", text.lower()) if w not in _STOP and len(w) > 2 and w not in names}


def _topic_name(topic: frozenset[str] | None) -> str:
    names = ("diet", "home", "work", "relationship", "habits")
    return names[_TOPICS.index(topic)] if topic in _TOPICS else "topic"


DEFAULT_SUPERSEDE_PROMPT = """\
A user's long-term memory holds older statements. A new statement was just made. Which older statements \
does the new one update, correct or contradict (the same subject, a new value or a change), so that the \
older one is no longer current? Statements about different things, or that can both stay true, are not \
replaced.

New statement: {new}

Older statements:
{older}

Reply with only a JSON object: {{"replaced": [numbers of the replaced older statements], "reason": "a few words"}}"""
"""The `LLMJudge` prompt; fields ``{new}`` and ``{older}``."""


class LLMJudge:
    """A chat model judges which older memories a new one replaces (one call per new memory with candidates).

    Args:
        model: A LangChain chat model or an ``init_chat_model`` string.
        prompt: Default `DEFAULT_SUPERSEDE_PROMPT`.
        fallback: Used when the call fails or the reply is not JSON. Default `RuleJudge()`.

    Example:
        >>> from langchain_core.language_models import GenericFakeChatModel
        >>> judge = LLMJudge(GenericFakeChatModel(messages=iter(['{"replaced": [1], "reason": "diet changed"}'])))
        >>> judge.judge(MemoryHit("2", "I eat fish now."), [MemoryHit("1", "I'm vegetarian.", 0.45)])
        [Supersession(old_id='1', reason='llm: diet changed')]
    """

    def __init__(self, model: Any, *, prompt: str = DEFAULT_SUPERSEDE_PROMPT,
                 fallback: SupersedeJudge | None = None) -> None:
        if isinstance(model, str):
            from langchain.chat_models import init_chat_model

            model = init_chat_model(model)
        self.model = model
        self.prompt = prompt
        self.fallback = fallback or RuleJudge()

    def _steps(self, new: MemoryHit, older: Sequence[MemoryHit]) -> Steps[list[Supersession]]:
        if not older:
            return []
        listing = "\n".join(f"{i}. {json.dumps(clip(o.text, 500), ensure_ascii=False)}" for i, o in enumerate(older, 1))
        text = self.prompt.format(new=json.dumps(clip(new.text, 1000), ensure_ascii=False), older=listing)
        reply = yield model_call(self.model, text)
        try:
            body = str(reply.content)
            data = json.loads(body[body.index("{"):body.rindex("}") + 1])
            numbers = [int(n) for n in data.get("replaced") or []]
        except Exception as exc:  # a failed call or a reply that is no verdict: the rules decide instead
            logger.warning("mem0-langgraph supersede: LLM judge unusable (%s); falling back to rules", exc)
            return (yield call(self.fallback.judge, self.fallback.ajudge, new, older))
        why = " ".join(str(data.get("reason") or "replaced").split())
        return [Supersession(older[n - 1].id, f"llm: {clip(why, 200)}") for n in numbers if 1 <= n <= len(older)]


    def judge(self, new: MemoryHit, older: Sequence[MemoryHit]) -> list[Supersession]:
        return run_sync(self._steps(new, older))

    async def ajudge(self, new: MemoryHit, older: Sequence[MemoryHit]) -> list[Supersession]:
        return await run_async(self._steps(new, older))


_CANDIDATES = 10  # older memories searched per new memory


class SupersedingBackend(ForwardingBackend):
    """Writes through ``inner``; after each add lands, marks the older memories the new ones replace.

    Only `Add` changes; failures of the supersede step are logged and never fail the add (a retried add
    would store the memory twice). The add goes through ``inner``; the supersede step's own reads and
    marks go to the innermost backend (``inner.inner...``), so wrappers that watch or cache the recall
    path (counters, a benchmark's search cache) see only the write.

    Args:
        inner: The backend written to.
        judge: Default `RuleJudge()`.
    """

    def __init__(self, inner: MemoryBackend, judge: SupersedeJudge | None = None) -> None:
        super().__init__(inner)
        self.judge: SupersedeJudge = judge or DEFAULT_JUDGE
        self.base: MemoryBackend = innermost(inner)
        self.marked = 0
        """Older memories marked superseded so far (for tests and benchmarks)."""

    def run(self, op: Op) -> Any:
        result = self.inner.run(op)
        if isinstance(op, Add) and result:
            try:
                run_sync(self._steps(op, result))
            except Exception as exc:  # the add landed; a failed supersede must not make the writer retry it
                logger.warning("mem0-langgraph supersede: skipped after an error: %s", exc)
        return result

    async def arun(self, op: Op) -> Any:
        result = await self.inner.arun(op)
        if isinstance(op, Add) and result:
            try:
                await run_async(self._steps(op, result))
            except Exception as exc:  # the add landed; a failed supersede must not make the writer retry it
                logger.warning("mem0-langgraph supersede: skipped after an error: %s", exc)
        return result

    def _steps(self, op: Add, new_ids: Sequence[str]) -> Steps[None]:
        ids = dict(op.ids)
        filters = {k: v for k, v in ids.items() if k != "run_id"} or ids  # across sessions, same user / agent
        fresh = set(new_ids)
        for new_id in new_ids:
            new = yield call(self.base.run, self.base.arun, Get(new_id))
            if new is None or not _is_statement(new.metadata):
                continue
            said = hit_time(new) or now_utc()
            hits = yield call(self.base.run, self.base.arun, Search(new.text, filters, _CANDIDATES))
            current = [h for h in hits if h.id not in fresh and _is_statement(h.metadata)
                       and h.metadata.get(STATUS_KEY) != SUPERSEDED]
            older = [h for h in current if (hit_time(h) or said) <= said]
            # Another worker may already have stored a newer statement on this subject (it searched before
            # this one landed, so it could not mark it): then this one is the superseded one.
            newer = sorted((h for h in current if (hit_time(h) or said) > said),
                           key=hit_time, reverse=True)
            for later in newer:
                # The judge reads an older memory's score as its similarity to the newer: symmetric here.
                if (yield call(self.judge.judge, self.judge.ajudge, later, [replace(new, score=later.score)])):
                    yield call(self.base.run, self.base.arun, Update(new_id, None, {
                        STATUS_KEY: SUPERSEDED, "superseded_by": later.id,
                        "superseded_at": iso(hit_time(later) or said),
                        "superseded_reason": "a newer statement on the same subject was already stored"}))
                    self.marked += 1
                    break
            if not older:
                continue
            chosen = yield call(self.judge.judge, self.judge.ajudge, new, older)
            for s in chosen:
                yield call(self.base.run, self.base.arun, Update(s.old_id, None, {
                    STATUS_KEY: SUPERSEDED, "superseded_by": new_id, "superseded_at": iso(said),
                    "superseded_reason": s.reason}))
            if chosen:
                self.marked += len(chosen)
                yield call(self.base.run, self.base.arun,
                           Update(new_id, None, {"supersedes": ",".join(s.old_id for s in chosen)}))
                logger.debug("mem0-langgraph supersede: %s replaces %s", new_id, [s.old_id for s in chosen])


def _is_statement(metadata: Mapping[str, Any]) -> bool:
    # Assistant replies (advice) are kept as what was recommended, never as the user's current facts.
    return role_of(metadata) == "user"


DEFAULT_JUDGE = RuleJudge()
"""The judge every default store step shares (so they share one wrapper, and one background writer)."""

_WRAPPERS_ATTR = "_mem0_langgraph_superseding"
_LOCK = threading.Lock()


def superseding(backend: MemoryBackend, judge: SupersedeJudge | None = None) -> SupersedingBackend:
    """The one `SupersedingBackend` over ``backend`` for ``judge``: every store step on it shares it,
    and so shares its background writer (see `shared_writer`).

    Example:
        >>> from mem0_langgraph.backends.base import BaseBackend
        >>> class Empty(BaseBackend):
        ...     def run(self, op): return []
        ...     async def arun(self, op): return []
        >>> inner = Empty()
        >>> superseding(inner) is superseding(inner), superseding(superseding(inner)) is superseding(inner)
        (True, True)
    """
    if isinstance(backend, SupersedingBackend) and judge in (None, backend.judge):
        return backend
    judge = judge or DEFAULT_JUDGE
    with _LOCK:
        # Kept on the backend itself: a wrapper holds its backend, so a weak-keyed table would never let
        # either go; as an attribute the pair is one cycle the garbage collector frees with the backend.
        per_judge = backend.__dict__.setdefault(_WRAPPERS_ATTR, {})
        wrapper = per_judge.get(id(judge))
        if wrapper is None or wrapper.judge is not judge:
            wrapper = per_judge[id(judge)] = SupersedingBackend(backend, judge)
        return wrapper
