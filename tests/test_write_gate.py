"""The write gate: unit checks of RuleWriteGate / StoreAll / LLMWriteGate, and the store step's trace and metadata."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
from langchain_core.language_models import GenericFakeChatModel
from langchain_core.messages import AIMessage, HumanMessage

from mem0_langgraph import StoreNode
from mem0_langgraph.gates.write import Exchange, RuleWriteGate, StoreAll, WriteGate, categorise, repeats_recalled
from mem0_langgraph.gates.write_llm import LLMWriteGate
from tests.conftest import CountingBackend

GATE = RuleWriteGate()


@pytest.mark.parametrize(("text", "category"), [
    ("I'm vegetarian.", "preference"),
    ("Actually I started eating fish again last month.", "preference"),
    ("My sister Ana lives in Porto.", "relationship"),
    ("I'm planning a trip to Japan next spring.", "plan"),
    ("I went to a pottery class yesterday.", "event"),
    ("I feel really anxious about the interview.", "emotion"),
    ("I work as a nurse at the city hospital.", "fact"),
    ("Remember that the gate code is 4512.", "fact"),
])
def test_statements_about_the_user_are_kept_with_a_category(text: str, category: str) -> None:
    decision = GATE.judge(Exchange(text, "Noted."))
    assert decision.user and not decision.assistant and decision.category == category


@pytest.mark.parametrize("text", [
    # chat between people leaves the subject out, or says when, or uses a verb the first rules lack
    "Joined a travel club and picked up new skills.", "Been busy volunteering at the homeless shelter.",
    "Had an audition for a writing gig two days ago.", "We even won a trophy!", "I really admire his work ethic.",
    "Caroline: I can't have dairy, so no ice cream for me.",
])
def test_chat_statements_that_leave_the_subject_out_are_kept(text: str) -> None:
    assert GATE.judge(Exchange(text, "")).user


@pytest.mark.parametrize("text", [
    "What happened in the news last week?", "Got any tips for a trip to Rome?",
    "How do I reverse a list in Python?", "Write a SQL query that counts orders per customer.",
    "Any ideas for dinner tonight?", "What does HTTP status 429 mean?", "thanks!", "Explain quantum tunnelling.",
])
def test_requests_and_questions_that_reveal_nothing_are_not_kept(text: str) -> None:
    assert GATE.judge(Exchange(text, "Sure: ...")).user is False


def test_assistant_advice_is_kept_but_not_an_echo_of_recalled_memories() -> None:
    advice = GATE.judge(Exchange("Any ideas for dinner tonight?", "Try a chickpea curry with spinach and rice."))
    assert advice.roles == ("assistant",) and "advice" in advice.reason
    echo = GATE.judge(Exchange("Any ideas for dinner tonight?", "You told me you're vegetarian and allergic to peanuts.",
                               recalled=("I'm vegetarian and allergic to peanuts.",)))
    assert echo.store is False and "repeats recalled" in echo.reason
    plain = GATE.judge(Exchange("What does HTTP 429 mean?", "Too Many Requests: the client is rate limited."))
    assert plain.store is False  # an answer to a self-contained question is not advice to this user
    assert RuleWriteGate(assistant="never").judge(Exchange("Any ideas for dinner?", "Try a curry tonight.")).store is False
    assert RuleWriteGate(assistant="always").judge(Exchange("What is 429?", "Too many requests, slow down.")).assistant


def test_repeats_recalled() -> None:
    assert repeats_recalled("I'm vegetarian.", ["I'm vegetarian."])
    assert not repeats_recalled("Since you eat fish again, grilled sardines with lemon.", ["I'm vegetarian."])


def test_temporary_statements_expire() -> None:
    monday = datetime(2026, 11, 2, 9, tzinfo=timezone.utc)
    decision = GATE.judge(Exchange("I'm in Lisbon this week for a conference.", "", said_at=monday))
    assert decision.user and decision.expires == "2026-11-08"
    assert RuleWriteGate(expire_temporary=False).judge(
        Exchange("I'm in Lisbon this week.", "", said_at=monday)).expires is None


def test_store_all_is_the_old_behaviour() -> None:
    assert StoreAll().judge(Exchange("How do I reverse a list?", "reversed()")).roles == ("user", "assistant")
    assert categorise("I love sushi") == "preference"
    assert isinstance(GATE, WriteGate) and isinstance(StoreAll(), WriteGate)


def test_llm_write_gate_and_its_fallback() -> None:
    reply = '{"keep_user": false, "keep_assistant": true, "category": "advice", "reason": "a recommendation"}'
    gate = LLMWriteGate(GenericFakeChatModel(messages=iter([reply, "not json"])))
    decision = gate.judge(Exchange("Which lens should I buy?", "The 35mm f/1.8 suits your street photography."))
    assert decision.roles == ("assistant",) and decision.reason == "llm: a recommendation"
    fallback = gate.judge(Exchange("I'm vegetarian.", "Noted."))  # unusable reply: the rules decide
    assert fallback.user and fallback.category == "preference"
    cascade = LLMWriteGate(GenericFakeChatModel(messages=iter([])), cascade=RuleWriteGate())
    assert cascade.judge(Exchange("How do I reverse a list in Python?", "")).store is False  # rules sure: no call


async def test_llm_write_gate_async() -> None:
    reply = '{"keep_user": true, "keep_assistant": false, "category": "plan", "reason": "a move"}'
    decision = await LLMWriteGate(GenericFakeChatModel(messages=iter([reply]))).ajudge(Exchange("Berlin in May!", ""))
    assert decision.user and decision.category == "plan"


def test_store_step_records_the_verdict_and_the_category(backend, user_id) -> None:
    counting = CountingBackend(backend)
    node = StoreNode(memory=counting, sync_store=True)
    cfg = {"configurable": {"user_id": user_id, "thread_id": "t"}}
    quiet = node.invoke({"messages": [HumanMessage("Write a SQL query that counts orders per customer."),
                                      AIMessage("SELECT customer_id, COUNT(*) FROM orders GROUP BY customer_id;")]}, cfg)
    assert quiet["memory_trace"]["stored"] is False and counting.calls.get("add", 0) == 0
    assert quiet["memory_trace"]["write"]["reason"].startswith("reveals nothing")
    both = node.invoke({"messages": [HumanMessage("I'm training for a marathon. Any tips for my long runs?"),
                                     AIMessage("Slow down to a conversational pace and fuel every 45 minutes.")]}, cfg)
    assert both["memory_trace"]["write"]["user"] and both["memory_trace"]["write"]["assistant"]
    rows = {h.text: h.metadata for h in backend.get_all(filters={"user_id": user_id})}
    assert rows["Slow down to a conversational pace and fuel every 45 minutes."]["category"] == "advice"
    advice = backend.search("marathon pace", filters={"user_id": user_id, "category": "advice"}, limit=5)
    assert [h.metadata["role"] for h in advice] == ["assistant"]  # categories are searchable by filter


def test_bad_write_gate_is_a_type_error(backend) -> None:
    with pytest.raises(TypeError, match="write_gate"):
        StoreNode(memory=backend, write_gate=object())
