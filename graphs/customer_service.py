"""Emotion-aware customer service: tag each customer turn, recall past issues and mood, adapt tone, escalate.

Graph (``graph`` for ``langgraph dev``; `make_graph` for your own memory and model)::

    START -> tag_emotion -> recall -> mood -> (calm | frustrated again) -> reply | escalate -> store -> END

- ``tag_emotion``: the customer's emotion and its intensity, offline from the NRC
  emotion lexicon (``nrclex``, no corpus download), or by the chat model when an
  OpenAI key is set (`ModelTagger`, falling back to the lexicon).
- ``recall``: the gated `RecallNode`: past issues relevant to this message, only when
  the recall gate says older context helps. Its ``memory_trace`` (decision, score,
  reason, memory ids) is the node's output in LangGraph Studio.
- ``mood``: the customer's recent interactions (their memories with ``category:
  support_issue``), read by listing, not by similarity: escalation is a policy on the
  whole recent record, and must not depend on what one search happens to find.
- A conditional edge escalates to a human after `ESCALATE_AFTER` frustrated turns
  among the last `MOOD_WINDOW` (this one included); otherwise ``reply`` answers in a
  tone chosen from the emotion (`TONES`), with the recalled issues.
- ``store``: the customer's message, with ``{"category": "support_issue", "emotion",
  "intensity", "escalated"}`` as memory metadata (written through `MemoryScope`).

Invoke with ``{"configurable": {"user_id": customer_id, "thread_id": ticket_or_chat_id}}``.
Needs ``pip install "mem0-langgraph[examples]"`` (``nrclex``).
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import asdict, dataclass
from typing import Any, ClassVar, Literal

from langchain_core.messages import AIMessage, SystemMessage
from langchain_core.runnables import RunnableConfig
from langgraph.graph import END, START, StateGraph
from typing_extensions import NotRequired

from mem0_langgraph import MemoryState, RecallNode, ScopeConfig
from mem0_langgraph.backends.lazy import default_memory
from mem0_langgraph.backends.scoped import MemoryScope
from mem0_langgraph.core._text import last_of_type, message_text
from mem0_langgraph.core.render import inject_memories

CATEGORY = "support_issue"
ESCALATE_AFTER = 3
"""Frustrated turns, among the last `MOOD_WINDOW` (this one included), that hand the customer to a human."""
MOOD_WINDOW = 5
FRUSTRATION_INTENSITY = 0.4
"""A turn counts as frustrated when its emotion is anger or disgust at this intensity or more."""
SUPPORT_PROMPT = ("You are a customer-support agent for an online shop. Use what you remember about this customer's "
                  "past issues; never ask them to repeat what they already told us.")
TONES = {
    "frustrated": "The customer is frustrated. Apologise once, plainly; no cheerfulness. Give a concrete next step "
                  "and when it will happen.",
    "worried": "The customer is worried. Reassure them with facts: what happens next and when.",
    "upset": "The customer is upset. Acknowledge it briefly, then help.",
    "pleased": "The customer is in a good mood. Be warm and brief.",
    "neutral": "Be friendly and concise.",
}
MOODS = {"anger": "frustrated", "disgust": "frustrated", "fear": "worried", "sadness": "upset", "joy": "pleased",
         "trust": "pleased", "surprise": "neutral", "anticipation": "neutral", "neutral": "neutral"}
HANDOFF = ("I'm sorry this has gone wrong {n} times. I'm handing your case to a senior colleague now, with "
           "everything you've told us, so you won't have to explain it again. They'll contact you today.")
Emotion = Literal["anger", "disgust", "fear", "sadness", "joy", "trust", "surprise", "anticipation", "neutral"]


@dataclass(frozen=True)
class EmotionTag:
    """One customer turn's emotion: an NRC basic emotion (or ``"neutral"``), intensity in [0, 1], and why."""

    emotion: str
    intensity: float
    cues: tuple[str, ...] = ()

    @property
    def mood(self) -> str:
        """``frustrated``, ``worried``, ``upset``, ``pleased`` or ``neutral``: what the tone follows."""
        return MOODS.get(self.emotion, "neutral")


class LexiconTagger:
    """Offline emotion tagger over the NRC emotion lexicon shipped in ``nrclex`` (no corpus, no network).

    A word counts when the lexicon gives it a polarity, and only for the emotions of that polarity
    (``payment`` or ``change`` carry none). Feelings the customer names ("worried", "frustrated",
    `SELF_REPORTED`) count double and follow what they mean in a support chat (NRC files "worried"
    under sadness). Words after a negation ("not happy") are skipped. The emotion is the one most
    words carry (ties: anger, disgust, fear, sadness, joy, trust, in that order); intensity grows with
    those words, exclamation marks, capitals, intensifiers ("really") and, for negative emotions,
    signs of a repeated problem ("again", "still", "third time").

    Example:
        >>> tag = LexiconTagger().tag("This is RIDICULOUS, my order is late AGAIN!!")
        >>> tag.emotion, tag.mood, tag.intensity >= 0.8
        ('anger', 'frustrated', True)
        >>> LexiconTagger().tag("Where can I change my delivery address?").emotion
        'neutral'
    """

    NEGATIVE: ClassVar[tuple[str, ...]] = ("anger", "disgust", "fear", "sadness")
    POSITIVE: ClassVar[tuple[str, ...]] = ("joy", "trust")
    SELF_REPORTED: ClassVar[dict[str, str]] = {"worried": "fear", "worry": "fear", "concerned": "fear", "nervous": "fear", "anxious": "fear",
                     "scared": "fear", "frustrated": "anger", "frustrating": "anger", "annoyed": "anger",
                     "annoying": "anger", "angry": "anger", "furious": "anger", "fed": "anger", "sad": "sadness",
                     "upset": "sadness", "disappointed": "sadness", "happy": "joy", "glad": "joy", "pleased": "joy",
                     "great": "joy", "thanks": "joy", "thank": "joy", "grateful": "joy", "relieved": "joy"}
    _WORD = re.compile(r"[A-Za-z']+")
    _SUFFIXES = (("ing", ("", "e")), ("ed", ("", "e", "_")), ("es", ("", "e")), ("s", ("",)), ("ly", ("",)))
    _NEGATIONS = frozenset({"not", "no", "never", "nothing", "cannot", "without"})
    _INTENSIFIERS = frozenset({"very", "really", "so", "extremely", "totally", "absolutely", "completely", "incredibly"})
    _REPEATED = re.compile(r"\b(again|still|(second|third|fourth|fifth) time|once more|yet another|every time|"
                           r"twice|keeps?)\b", re.IGNORECASE)

    def __init__(self) -> None:
        try:
            from nrclex import NRCLex
        except ImportError as exc:
            raise ImportError('LexiconTagger needs nrclex: pip install "mem0-langgraph[examples]"') from exc
        self._lexicon: dict[str, list[str]] = NRCLex(None).__lexicon__

    def _entry(self, word: str) -> list[str]:
        # The lexicon lists lemmas: try the word, then its stem ("damaged" -> "damage", "annoys" -> "annoy").
        if word in self._lexicon:
            return self._lexicon[word]
        for suffix, endings in self._SUFFIXES:
            if word.endswith(suffix) and len(word) > len(suffix) + 2:
                stem = word[: -len(suffix)]
                for ending in endings:
                    candidate = stem[:-1] if ending == "_" else stem + ending  # "_": a doubled consonant
                    if candidate in self._lexicon:
                        return self._lexicon[candidate]
        return []

    def _weights(self, word: str) -> dict[str, int]:
        if word in self.SELF_REPORTED:
            return {self.SELF_REPORTED[word]: 2}
        entry = self._entry(word)
        allowed = (self.NEGATIVE if "negative" in entry else ()) + (self.POSITIVE if "positive" in entry else ())
        return {e: 1 for e in entry if e in allowed}

    def tag(self, text: str) -> EmotionTag:
        """Tag one message."""
        words = self._WORD.findall(text)
        lower = [w.lower() for w in words]
        counts: Counter[str] = Counter()
        cues: list[str] = []
        for i, word in enumerate(lower):
            weights = {} if word in self._INTENSIFIERS else self._weights(word)
            if not weights or any(w in self._NEGATIONS or w.endswith("n't") for w in lower[max(0, i - 3):i]):
                continue
            counts.update(weights)
            cues.append(word)
        if not counts:
            return EmotionTag("neutral", 0.0)
        order = self.NEGATIVE + self.POSITIVE
        emotion = max(order, key=lambda e: (counts[e], -order.index(e)))
        shouted = sum(1 for w in words if len(w) >= 3 and w.isupper())
        score = (0.3 + 0.2 * min(counts[emotion] - 1, 2) + 0.1 * min(text.count("!"), 3) + 0.15 * min(shouted, 2)
                 + 0.1 * any(w in self._INTENSIFIERS for w in lower)
                 + (0.15 if emotion in self.NEGATIVE and self._REPEATED.search(text) else 0.0))
        return EmotionTag(emotion, round(min(score, 1.0), 2), tuple(dict.fromkeys(cues)))


class ModelTagger:
    """Emotion tagging by a chat model (structured output); falls back to `LexiconTagger` on any failure."""

    def __init__(self, model: Any, fallback: LexiconTagger | None = None) -> None:
        from pydantic import BaseModel, Field

        class Tag(BaseModel):
            emotion: Emotion = Field(description="the customer's dominant emotion")
            intensity: float = Field(ge=0, le=1, description="0 calm ... 1 extreme")

        self._structured = model.with_structured_output(Tag)
        self._fallback = fallback or LexiconTagger()

    def tag(self, text: str) -> EmotionTag:
        try:
            out = self._structured.invoke([SystemMessage("Tag the emotion of this customer message."), ("user", text)])
            return EmotionTag(out.emotion, round(float(out.intensity), 2), ("model",))
        except Exception:  # noqa: BLE001 -- a provider or parsing failure must not drop the turn: the lexicon answers
            return self._fallback.tag(text)


class State(MemoryState):
    """`MemoryState` plus this turn's emotion, the customer's recent mood, the tone and the escalation."""

    emotion: NotRequired[dict[str, Any]]
    mood: NotRequired[dict[str, Any]]
    tone: NotRequired[str]
    escalated: NotRequired[bool]


def make_graph(*, memory: Any = None, model: Any = None, tagger: Any = None, scopes: ScopeConfig | None = None,
               checkpointer: Any = None, **recall_options: Any) -> Any:
    """Build and compile the customer-service graph.

    Args:
        memory: Anything `as_backend` accepts. Default: the embedded store, opened on first use.
        model: The chat model. Default: as the demo picks (OpenAI with a key, else the echo model).
        tagger: Anything with ``tag(text) -> EmotionTag``. Default: `ModelTagger` when an OpenAI key
            picked the model, else `LexiconTagger`.
        scopes: Where the customer and ticket ids come from. Default `ScopeConfig()`.
        checkpointer: Passed to ``compile``.
        **recall_options: `RecallerOptions` for the recall node (``gate``, ``top_k``, ...).
    """
    from mem0_langgraph import as_backend
    from mem0_langgraph.cli.demo import pick_model

    backend = as_backend(memory) if memory is not None else default_memory()
    if model is None:
        chosen = pick_model(None)
        model, tagger = chosen.model, tagger or (LexiconTagger() if chosen.echo else ModelTagger(chosen.model))
    tagger = tagger or LexiconTagger()
    scopes = scopes or ScopeConfig()

    def tag_emotion(state: State) -> dict[str, Any]:
        idx = last_of_type(state["messages"], "human")
        text = message_text(state["messages"][idx]) if idx is not None else ""
        return {"emotion": asdict(tagger.tag(text)) if text else asdict(EmotionTag("neutral", 0.0))}

    def mood(state: State, config: RunnableConfig) -> dict[str, Any]:
        past = [r for r in MemoryScope.for_run(backend, config, scopes=scopes).list(limit=1000)
                if r.metadata.get("category") == CATEGORY]
        past.sort(key=lambda r: r.created_at or "", reverse=True)
        recent = [_frustrated(r.metadata) for r in past[: MOOD_WINDOW - 1]] + [_frustrated(state["emotion"])]
        now = EmotionTag(state["emotion"]["emotion"], state["emotion"]["intensity"])
        last = past[0].metadata.get("emotion") if past else None
        times = f"{len(past)} time{'' if len(past) == 1 else 's'}"
        tone = TONES[now.mood] + (f" They have contacted us {times} before; last time they were "
                                  f"{MOODS.get(str(last), 'neutral')}." if past else "")
        return {"mood": {"past_issues": len(past), "frustrated_recently": sum(recent), "last_emotion": last},
                "tone": tone}

    def route(state: State) -> str:
        frustrated_now = _frustrated(state["emotion"])
        return "escalate" if frustrated_now and state["mood"]["frustrated_recently"] >= ESCALATE_AFTER else "reply"

    def reply(state: State, config: RunnableConfig) -> dict[str, Any]:
        messages = [SystemMessage(f"{SUPPORT_PROMPT}\n{state['tone']}"),
                    *inject_memories(state["messages"], state.get("recalled_memories"))]
        return {"messages": [model.invoke(messages, config)], "escalated": False}

    def escalate(state: State) -> dict[str, Any]:
        return {"messages": [AIMessage(HANDOFF.format(n=state["mood"]["frustrated_recently"]))], "escalated": True}

    def store(state: State, config: RunnableConfig) -> dict[str, Any]:
        idx = last_of_type(state["messages"], "human")
        text = message_text(state["messages"][idx]) if idx is not None else ""
        if text:
            e = state["emotion"]
            metadata = {"category": CATEGORY, "emotion": e["emotion"], "intensity": e["intensity"],
                        "escalated": bool(state.get("escalated"))}
            MemoryScope.for_run(backend, config, scopes=scopes, levels=scopes.write_levels).add(text, metadata=metadata)
        return {}

    builder = StateGraph(State)
    builder.add_node("tag_emotion", tag_emotion)
    builder.add_node("recall", RecallNode(memory=backend, scopes=scopes, **recall_options))
    builder.add_node("mood", mood)
    builder.add_node("reply", reply)
    builder.add_node("escalate", escalate)
    builder.add_node("store", store)
    builder.add_edge(START, "tag_emotion")
    builder.add_edge("tag_emotion", "recall")
    builder.add_edge("recall", "mood")
    builder.add_conditional_edges("mood", route, ["reply", "escalate"])
    builder.add_edge("reply", "store")
    builder.add_edge("escalate", "store")
    builder.add_edge("store", END)
    return builder.compile(checkpointer=checkpointer, name="customer_service")


def _frustrated(tag: Any) -> bool:
    return tag.get("emotion") in ("anger", "disgust") and float(tag.get("intensity") or 0) >= FRUSTRATION_INTENSITY


graph = make_graph()
"""The graph ``langgraph dev`` serves (see ``langgraph.json``); the store opens on its first turn."""
