"""The drift-with-update scenario of issue 9, end to end on the real embedded memory (only the LLM is a fake).

Monday "I'm vegetarian."; Wednesday "Actually I started eating fish again last month."; Friday
"Any ideas for dinner tonight?" must hand the model the fish as the current fact, the vegetarian
diet as superseded, and no stored assistant echo, with the Quickstart defaults (user and assistant stored).
"""

from __future__ import annotations

from typing import Any

from langchain_core.messages import HumanMessage
from langgraph.checkpoint.memory import InMemorySaver

from mem0_langgraph import EchoChatModel, with_memory
from tests.conftest import CountingBackend

MONDAY, WEDNESDAY, FRIDAY = "2026-11-02T09:15:00+00:00", "2026-11-04T18:30:00+00:00", "2026-11-06T19:00:00+00:00"


def say(graph: Any, user_id: str, thread: str, text: str, when: str) -> dict[str, Any]:
    message = HumanMessage(text, additional_kwargs={"timestamp": when})
    return graph.invoke({"messages": [message]}, {"configurable": {"user_id": user_id, "thread_id": thread}})


def test_fish_is_current_vegetarian_superseded_and_no_echo_comes_back(backend, user_id) -> None:
    counting = CountingBackend(backend)
    graph = with_memory(EchoChatModel(), memory=counting, sync_store=True).compile(checkpointer=InMemorySaver())
    say(graph, user_id, "monday", "I'm vegetarian.", MONDAY)
    say(graph, user_id, "monday", "How do I reverse a list in Python?", MONDAY)
    wednesday = say(graph, user_id, "wednesday", "Actually I started eating fish again last month.", WEDNESDAY)
    assert wednesday["memory_trace"]["write"]["category"] == "preference"

    stored = {h.text: h for h in backend.get_all(filters={"user_id": user_id})}
    assert set(stored) == {"I'm vegetarian.", "Actually I started eating fish again last month."}
    old, new = stored["I'm vegetarian."], stored["Actually I started eating fish again last month."]
    assert old.metadata["status"] == "superseded" and old.metadata["superseded_by"] == new.id
    assert old.metadata["superseded_at"].startswith("2026-11-04") and new.metadata["supersedes"] == old.id
    assert old.created_at.startswith("2026-11-02") and new.metadata["said_at"].startswith("2026-11-04")
    history = backend.history(old.id)
    assert [h["event"] for h in history] == ["ADD", "UPDATE"]  # nothing deleted; mem0's history keeps it

    for thread, day in (("friday", FRIDAY), ("saturday", "2026-11-07T19:00:00+00:00")):
        out = say(graph, user_id, thread, "Any ideas for dinner tonight?", day)
        recalled = out["recalled_memories"]
        assert [m["memory"] for m in recalled] == ["Actually I started eating fish again last month.",
                                                   "I'm vegetarian."]
        assert "superseded_by" not in recalled[0] and recalled[1]["superseded_by"] == new.id
        reply = out["messages"][-1].content  # the echo model shows exactly what reached the model
        fish, veg = reply.index("fish again"), reply.index("I'm vegetarian")
        assert fish < veg and "(superseded on 2026-11-04" in reply[fish:veg + 20]
        assert "2026-11-04 Wed 18:30 UTC" in reply
        assert out["memory_trace"]["write"]["assistant"] is False  # the echo only repeats recalled memories
        assert "repeats recalled" in out["memory_trace"]["write"]["reason"]
    roles = [h.metadata.get("role") for h in backend.get_all(filters={"user_id": user_id})]
    assert roles == ["user", "user"]  # no question, no request, no assistant echo was stored
