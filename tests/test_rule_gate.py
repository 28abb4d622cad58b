from __future__ import annotations

import pytest

from mem0_langgraph import (
    AlwaysRecall,
    NeverRecall,
    RecallDecision,
    RecallGate,
    RuleGate,
)

FIRES = [
    "Can you suggest something I could cook for dinner tonight?",
    "What's my sister's name again?",
    "Do you remember what I told you about my job?",
    "What did we decide last time about the database schema?",
    "As I mentioned earlier, I'm training for a marathon. Any tips for this week?",
    "Where do I live?",
    "Any gift ideas for my wife's birthday?",
]
QUIET = [
    "hi", "Hello there!", "thanks!", "Thank you so much", "ok", "cool, got it", "bye",
    "Write a Python function that reverses a list.",
    "Explain how HTTP caching works.",
    "What is the capital of France?",
    "Translate 'good morning' into Spanish.",
    "How do I fix a TypeError: 'NoneType' object is not subscriptable?",
]


@pytest.mark.parametrize("text", FIRES)
def test_fires_on_personal_and_past_references(text: str) -> None:
    decision = RuleGate().decide(text, [])
    assert decision.recall, decision
    assert decision.queries[0] == text and decision.reason


@pytest.mark.parametrize("text", QUIET)
def test_quiet_on_trivial_and_self_contained(text: str) -> None:
    decision = RuleGate().decide(text, [])
    assert not decision.recall, decision
    assert decision.queries == []


def test_topic_adds_a_query_for_the_facts_that_matter() -> None:
    d = RuleGate().decide("Can you suggest a recipe for dinner?", [])
    assert any("diet" in q for q in d.queries[1:])
    assert RuleGate(topic_queries=()).decide("Can you suggest a recipe for dinner?", []).queries == [
        "Can you suggest a recipe for dinner?"]


def test_huge_message_is_handled_and_query_clipped() -> None:
    text = "Remember what my doctor said? " + "lorem ipsum " * 9000
    d = RuleGate().decide(text, [])
    assert d.recall and len(d.queries[0]) <= 1000


def test_decision_is_frozen_and_gates_follow_the_protocol() -> None:
    d = RecallDecision(recall=True, score=1.0, reason="r", queries=["q"])
    with pytest.raises(AttributeError):
        d.recall = False  # type: ignore[misc]
    for gate in (RuleGate(), AlwaysRecall(), NeverRecall()):
        assert isinstance(gate, RecallGate)


async def test_async_twin_matches() -> None:
    gate = RuleGate()
    for text in FIRES + QUIET:
        assert await gate.adecide(text, []) == gate.decide(text, [])


def test_invalid_options() -> None:
    with pytest.raises(ValueError):
        RuleGate(threshold=0)
    with pytest.raises(ValueError):
        RuleGate(rules=[("x", 2.0, "bad weight")])
