"""`RuleGate`: a recall gate of hand-written rules and no model (the default is `LearnedGate`).

It fires on references to the user's past, person, preferences or earlier
conversation, and on requests for personal recommendations; it stays silent on
greetings, thanks, acknowledgements and plainly self-contained requests. Each
rule has a weight; the score is the noisy-or of the rules that match, so two
weak hints add up and one strong hint suffices.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING

from mem0_langgraph.core._text import head_tail, is_trivial
from mem0_langgraph.gates.base import (
    DEFAULT_TOPIC_QUERIES,
    RecallDecision,
    SyncGate,
    default_queries,
    topic_queries,
)

if TYPE_CHECKING:
    from langchain_core.messages import BaseMessage

_I = re.IGNORECASE
_PERSONAL_NOUNS = (
    r"name|wife|husband|partner|girlfriend|boyfriend|spouse|kids?|children|son|daughter|baby|mom|mum|"
    r"dad|mother|father|parents?|brother|sister|siblings?|family|friends?|boss|colleagues?|team|"
    r"job|work|company|career|dog|cat|pets?|diet|allerg\w*|health|doctor|favou?rites?|preferences?|"
    r"birthday|anniversary|home|house|apartment|flat|city|hometown|car|bike|hobby|hobbies|"
    r"schedule|routine|budget|plans?|goals?|trip|vacation|wedding|school|class|degree|"
    r"neighbou?rhood|garden|collection|playlist|usual|order"
)

DEFAULT_RULES: tuple[tuple[str, float, str], ...] = (
    # Explicit memory or an earlier conversation.
    (r"\b(remember|recall|remind me|forgot|forget)\b", 0.8, "asks about memory"),
    (r"\b(earlier|previously|before|last time|the other day|a while ago|back then|"
     r"last (week|month|year|session|conversation|chat|time))\b", 0.55, "refers to an earlier time"),
    (r"\b(you|we) (said|told|mentioned|suggested|recommended|discussed|talked|agreed|decided|"
     r"gave|helped|figured)\b", 0.8, "refers to what was said before"),
    (r"\bdid (we|I|you) (discuss|talk|say|mention|decide|agree|settle|pick|choose)\b", 0.8,
     "refers to what was said before"),
    (r"\bI('ve| have)? (told|mentioned|said|shared|asked|explained)( you| to you)?\b", 0.75,
     "refers to what the user said before"),
    (r"\b(as|like) (I|we|you) (said|mentioned|discussed|noted)\b", 0.8, "refers to what was said before"),
    (r"\b(our|that) (conversation|chat|discussion|talk)\b", 0.7, "refers to an earlier conversation"),
    (r"\b(again|still|anymore|any more|as usual|same as)\b", 0.3, "implies continuity"),
    # The user's person and life.
    (rf"\b(my|our) ({_PERSONAL_NOUNS})\b", 0.6, "refers to the user's person or life"),
    (r"\b(what|who|where|when|which|how many|how much|how long|how old|do you know|did I|have I|am I|"
     r"was I)\b[^.?!]{0,40}\b(my|I|me|mine)\b[^.?!]*\?", 0.55, "asks about the user"),
    (r"\b(about me|know about me|my info|who am I|what's my|what is my|whats my)\b", 0.85,
     "asks about the user"),
    (r"\bI('m| am| was)? (usually|always|never|often)\b", 0.4, "states a habit"),
    # Preferences and personal recommendations.
    (r"\b(recommend|suggest|suggestions?|recommendations?|ideas? for|any ideas|advice on|"
     r"what should I|which should I|should I (try|get|buy|cook|eat|watch|read|visit|go))\b", 0.55,
     "asks for a personal recommendation"),
    (r"\b(for me|for us|suits? me|I('d)? (like|love|enjoy|prefer)|my (taste|style))\b", 0.35,
     "mentions the user's preferences"),
    (r"\b(dinner|lunch|breakfast|cook|recipe|restaurant|meal|eat|gift|present|weekend|holiday|"
     r"outfit|workout|book to read|movie to watch|show to watch)\b", 0.3, "personal-life topic"),
    (r"\b(continue|pick up|where (we|I) left off|follow[- ]up|update on|progress on)\b", 0.5,
     "continues earlier work"),
)
"""``(pattern, weight, reason)`` triples; override with ``RuleGate(rules=...)``."""


_MAX_GATE_CHARS = 4000  # long pastes: the question is usually at the start or the end


class RuleGate(SyncGate):
    """Fire on references to the user's past, person or preferences; stay quiet otherwise.

    Args:
        threshold: Minimum noisy-or score to recall. Default 0.5.
        rules: ``(regex, weight, reason)`` triples, matched case-insensitively.
            Default `DEFAULT_RULES`.
        topic_queries: ``(regex, query)`` pairs adding a search query when the message
            is on that topic. Default `DEFAULT_TOPIC_QUERIES`; pass ``()`` to search the
            message alone.

    Example:
        >>> gate = RuleGate()
        >>> gate.decide("Any ideas for dinner tonight? Remember my diet.", []).recall
        True
        >>> gate.decide("thanks!", []).recall
        False
        >>> gate.decide("Write a Python function that reverses a list.", []).recall
        False
    """

    def __init__(self, *, threshold: float = 0.5, rules: Sequence[tuple[str, float, str]] = DEFAULT_RULES,
                 topic_queries: Sequence[tuple[str, str]] = DEFAULT_TOPIC_QUERIES) -> None:
        if not 0.0 < threshold <= 1.0:
            raise ValueError(f"threshold must be in (0, 1], got {threshold}")
        for _, weight, _ in rules:
            if not 0.0 <= weight <= 1.0:
                raise ValueError(f"rule weights must be in [0, 1], got {weight}")
        self.threshold = threshold
        self._rules = [(re.compile(p, _I), w, r) for p, w, r in rules]
        self._topics = tuple(topic_queries)

    def decide(self, message: str, recent_messages: Sequence[BaseMessage]) -> RecallDecision:
        if is_trivial(message):
            return RecallDecision(recall=False, score=0.0, reason="trivial turn (greeting, thanks, ack)")
        text = head_tail(message, _MAX_GATE_CHARS)
        miss = 1.0
        reasons: list[str] = []
        for pattern, weight, reason in self._rules:
            if pattern.search(text):
                miss *= 1.0 - weight
                if reason not in reasons:
                    reasons.append(reason)
        score = round(1.0 - miss, 4)
        if score >= self.threshold:
            return RecallDecision(recall=True, score=score, reason="; ".join(reasons),
                                  queries=default_queries(message) + topic_queries(text, self._topics))
        why = "; ".join(reasons) + " (below threshold)" if reasons else "self-contained request"
        return RecallDecision(recall=False, score=score, reason=why)
