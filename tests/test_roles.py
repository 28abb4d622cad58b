"""Who said it: questions about the user's life get the user's words first, questions about what the
assistant said get its replies first (on the real store, through `RecallNode`)."""

from __future__ import annotations

import pytest
from langchain_core.messages import AIMessage, HumanMessage

from mem0_langgraph import AlwaysRecall, RecallNode, StoreNode
from mem0_langgraph.core.roles import asked_role
from mem0_langgraph.gates.write import StoreAll


@pytest.mark.parametrize(("question", "role"), [
    ("Where do I keep my old sneakers?", "user"),
    ("How many Korean restaurants have I tried in my city?", "user"),
    ("Can you recommend a show for me to watch tonight?", "user"),  # a new request, answered by the user's tastes
    ("Can you remind me which hiking boots you recommended?", "assistant"),
    ("What was the third hotel you suggested for Lisbon?", "assistant"),
    ("In our previous chat about binaural beats, how many subjects were in the study?", "assistant"),
    ("Did you say the museum opens at nine?", "assistant"),
    ("Can you remind me what I told you about my dog's name?", "user"),  # the user's own words
    ("Do you remember where I parked?", "user"),
    ("Did you know I got promoted?", "user"),
    ("Can you suggest a workout given my knee injury?", "user"),
    ("When did Caroline go to the support group?", None),
])
def test_asked_role(question: str, role: str | None) -> None:
    assert asked_role(question) == role


SNEAKERS = ("I need to take care of my old sneakers, I've been keeping them under my bed for storage, and they're "
            "starting to smell. Any tips?")
ADVICE = ("To keep your old sneakers fresh while they're stored under a bed or in a closet, clean them before "
          "storing, stuff them with newspaper, use cedar shoe trees for your sneakers, and store old sneakers in "
          "a breathable bag away from damp.")


@pytest.fixture
def stored(backend, user_id):
    cfg = {"configurable": {"user_id": user_id, "thread_id": "t"}}
    StoreNode(memory=backend, sync_store=True, write_gate=StoreAll()).invoke(
        {"messages": [HumanMessage(SNEAKERS), AIMessage(ADVICE)]}, cfg)
    return cfg


def _recalled(backend, cfg, question: str, **options) -> list[str]:
    node = RecallNode(memory=backend, gate=AlwaysRecall(), top_k=1, **options)
    return [m["memory"] for m in node.invoke({"messages": [HumanMessage(question)]}, cfg)["recalled_memories"]]


def test_a_question_about_the_user_gets_what_the_user_said(backend, stored) -> None:
    question = "Where do I keep my old sneakers?"
    assert _recalled(backend, stored, question, role_lift=0.0) == [ADVICE]  # the long reply matches better
    assert _recalled(backend, stored, question) == [SNEAKERS]  # the default lifts what the user said


def test_a_question_about_the_assistant_lifts_its_reply(backend, stored) -> None:
    def scores(**options) -> dict[str, float]:
        node = RecallNode(memory=backend, gate=AlwaysRecall(), top_k=2, **options)
        out = node.invoke({"messages": [HumanMessage("What did you suggest for my old sneakers under my bed?")]}, stored)
        return {m["memory"]: m["score"] for m in out["recalled_memories"]}

    off, on = scores(role_lift=0.0), scores()
    assert on[ADVICE] > off[ADVICE] and on[SNEAKERS] == off[SNEAKERS]


def test_role_lift_out_of_range_is_refused(backend) -> None:
    with pytest.raises(ValueError, match="role_lift"):
        RecallNode(memory=backend, role_lift=1.5)
