"""The recall gate: decides per turn whether older context is needed.

A gate is anything with ``decide`` and ``adecide`` (the `RecallGate` protocol).
It sees the newest user message and the recent window, and returns a frozen
`RecallDecision`; only when ``recall`` is true does the recall step search
memory. Cheap gates (rules, a small classifier) inherit `SyncGate`, whose
``adecide`` just calls ``decide``; an LLM gate implements both.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING, Protocol, runtime_checkable

if TYPE_CHECKING:
    from langchain_core.messages import BaseMessage

MAX_QUERY_CHARS = 1000
"""Longest search query a gate should emit; the embedder truncates past ~256 tokens anyway."""


@dataclass(frozen=True)
class RecallDecision:
    """The gate's verdict for one turn.

    Attributes:
        recall: Whether to search memory this turn.
        score: The gate's confidence that older context is needed, in [0, 1].
        reason: A short human-readable why, for traces and logs.
        queries: Search queries to run when ``recall`` is true (usually the message itself).

    Example:
        >>> RecallDecision(recall=True, score=0.9, reason="refers to the past", queries=["my diet"])
        RecallDecision(recall=True, score=0.9, reason='refers to the past', queries=['my diet'])
    """

    recall: bool
    score: float
    reason: str
    queries: list[str] = field(default_factory=list)


@runtime_checkable
class RecallGate(Protocol):
    """Decides whether a turn needs older context."""

    def decide(self, message: str, recent_messages: Sequence[BaseMessage]) -> RecallDecision:
        """Decide for ``message`` (the newest user text) given the recent window."""
        ...

    async def adecide(self, message: str, recent_messages: Sequence[BaseMessage]) -> RecallDecision:
        """Async twin of `decide`."""
        ...


class SyncGate:
    """Base for gates that do no I/O: ``adecide`` delegates to ``decide``."""

    def decide(self, message: str, recent_messages: Sequence[BaseMessage]) -> RecallDecision:
        raise NotImplementedError

    async def adecide(self, message: str, recent_messages: Sequence[BaseMessage]) -> RecallDecision:
        return self.decide(message, recent_messages)


DEFAULT_TOPIC_QUERIES: tuple[tuple[str, str], ...] = (
    (r"\b(dinner|lunch|breakfast|cook\w*|recipes?|restaurants?|meals?|eat|food|snacks?|menu)\b",
     "my diet: vegetarian or vegan, food allergies, favourite foods and cuisines, foods I dislike"),
    (r"\b(gifts?|presents?|birthday|anniversary)\b", "my family and friends, their birthdays, hobbies and what they like"),
    (r"\b(trip|travel\w*|vacation|holiday|flights?|hotels?)\b",
     "where I live, places I have been or want to visit, how I like to travel"),
    (r"\b(books?|movies?|films?|shows?|series|music|songs?|podcasts?|games?)\b",
     "my hobbies and interests, favourite books, films, shows, music and games"),
    (r"\b(workouts?|exercise|gym|training|fitness)\b", "my health, injuries, exercise routine and fitness goals"),
)
"""``(pattern, query)``: a request on a personal-life topic also searches for the facts
that usually matter to it; plain similarity to "what should I cook?" misses "I'm vegetarian"."""
_MAX_EXTRA_QUERIES = 2


def topic_queries(message: str, topics: Sequence[tuple[str, str]] = DEFAULT_TOPIC_QUERIES) -> list[str]:
    """Extra search queries for the personal-life topics ``message`` is on (at most two).

    Example:
        >>> topic_queries("Any ideas for dinner?")
        ['my diet: vegetarian or vegan, food allergies, favourite foods and cuisines, foods I dislike']
    """
    return [q for p, q in topics if _compiled(p).search(message)][:_MAX_EXTRA_QUERIES]


@lru_cache(maxsize=256)
def _compiled(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern, re.IGNORECASE)


def default_queries(message: str) -> list[str]:
    """The message itself, clipped, as the one search query."""
    return [message[:MAX_QUERY_CHARS]] if message.strip() else []


class AlwaysRecall(SyncGate):
    """Search on every turn (what mem0's own LangGraph example and Zep do).

    Example:
        >>> AlwaysRecall().decide("hello", []).recall
        True
    """

    def decide(self, message: str, recent_messages: Sequence[BaseMessage]) -> RecallDecision:
        return RecallDecision(recall=True, score=1.0, reason="always recall", queries=default_queries(message))


class NeverRecall(SyncGate):
    """Never search: memory is written but not read (a baseline, or store-only apps).

    Example:
        >>> NeverRecall().decide("what is my name?", []).recall
        False
    """

    def decide(self, message: str, recent_messages: Sequence[BaseMessage]) -> RecallDecision:
        return RecallDecision(recall=False, score=0.0, reason="never recall", queries=[])
