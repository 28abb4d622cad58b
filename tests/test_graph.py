"""with_memory end to end: real mem0 + Chroma + local MiniLM; only the LLM is a fake."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from typing import Any

from langchain_core.language_models import GenericFakeChatModel
from langchain_core.messages import AIMessage, HumanMessage, SystemMessage
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.graph import START, MessagesState, StateGraph

from mem0_langgraph import EchoChatModel, with_memory
from mem0_langgraph.core.render import MEMORY_MESSAGE_ID
from tests.conftest import CountingBackend

EARLY = ["Hi!", "Quick intro about me: I'm vegetarian, and I'm allergic to peanuts.", "Thanks!"]
STRETCH = ["How do I reverse a list in Python?", "What is a Python decorator?",
           "Write a SQL query that counts orders per customer.", "What does HTTP 429 mean?",
           "How do I set up a virtual environment?"]


def chat(graph, user_id: str, thread: str, text: str) -> dict[str, Any]:
    return graph.invoke({"messages": [HumanMessage(text)]},
                        {"configurable": {"user_id": user_id, "thread_id": thread}})


def test_scenario_recalls_old_preference_only_when_it_matters(backend, user_id) -> None:
    counting = CountingBackend(backend)
    graph = with_memory(EchoChatModel(), memory=counting, sync_store=True).compile(checkpointer=InMemorySaver())
    for text in EARLY:
        chat(graph, user_id, "monday", text)
    for text in STRETCH:
        out = chat(graph, user_id, "tuesday", text)
        # An unsure gate may probe memory, but nothing unrelated reaches the model.
        assert out["memory_trace"]["recall"] is False and out["recalled_memories"] == []
        assert "memory context: none" in out["messages"][-1].content

    out = chat(graph, user_id, "tuesday", "Can you suggest something I could cook for dinner tonight?")
    assert out["memory_trace"]["recall"] is True
    assert any("vegetarian" in m["memory"] for m in out["recalled_memories"])
    assert "vegetarian" in out["messages"][-1].content  # the memory reached the model

    searches = counting.calls["search"]
    out = chat(graph, user_id, "tuesday", "thanks")
    assert counting.calls["search"] == searches and out["recalled_memories"] == []
    assert "memory context: none" in out["messages"][-1].content


def test_recalled_memories_never_enter_the_checkpointed_history(backend, user_id) -> None:
    backend.add([{"role": "user", "content": "My partner is called Sam."}], ids={"user_id": user_id})
    saver = InMemorySaver()
    graph = with_memory(EchoChatModel(), memory=backend, sync_store=True).compile(checkpointer=saver)
    config = {"configurable": {"user_id": user_id, "thread_id": "t"}}
    for text in ["What is my partner's name?", "Do you remember my partner?", "thanks"]:
        graph.invoke({"messages": [HumanMessage(text)]}, config)
    for snapshot in graph.get_state_history(config):
        for m in snapshot.values.get("messages", []):
            assert m.id != MEMORY_MESSAGE_ID and not isinstance(m, SystemMessage)
            assert "<memories>" not in str(m.content)
    final = graph.get_state(config).values
    assert len(final["messages"]) == 6  # three human turns, three replies: nothing else
    assert final["recalled_memories"] == []  # replaced by the last turn's (quiet) recall


def test_node_function_that_returns_all_messages_is_stripped(backend, user_id) -> None:
    backend.add([{"role": "user", "content": "I prefer tabs over spaces."}], ids={"user_id": user_id})
    seen: list[list] = []

    def node(state: MessagesState, config) -> dict:
        seen.append(list(state["messages"]))
        assert config["configurable"]["user_id"] == user_id  # LangGraph's config injection still works
        return {"messages": [*state["messages"], AIMessage("ok")]}

    graph = with_memory(node, memory=backend, sync_store=True).compile(checkpointer=InMemorySaver())
    out = chat(graph, user_id, "t", "Remember my preference about tabs and spaces?")
    assert seen[0][0].id == MEMORY_MESSAGE_ID and "tabs" in seen[0][0].content
    assert [m.type for m in out["messages"]] == ["human", "ai"]


class AsyncDiffersModel(GenericFakeChatModel):
    """Replies "sync:" or "async:" so a test proves which path ran."""

    def _generate(self, messages, stop=None, run_manager=None, **kwargs):
        from langchain_core.outputs import ChatGeneration, ChatResult

        return ChatResult(generations=[ChatGeneration(message=AIMessage(f"sync: {len(messages)}"))])

    async def _agenerate(self, messages, stop=None, run_manager=None, **kwargs):
        from langchain_core.outputs import ChatGeneration, ChatResult

        return ChatResult(generations=[ChatGeneration(message=AIMessage(f"async: {len(messages)}"))])


async def test_async_invoke_and_stream(backend, user_id) -> None:
    backend.add([{"role": "user", "content": "I run every morning at 6."}], ids={"user_id": user_id})
    model = AsyncDiffersModel(messages=iter([]))
    graph = with_memory(model, memory=backend, sync_store=True).compile(checkpointer=InMemorySaver())
    config = {"configurable": {"user_id": user_id, "thread_id": "a"}}
    out = await graph.ainvoke({"messages": [HumanMessage("When do I usually go running?")]}, config)
    assert out["messages"][-1].content == "async: 2"  # memory message + the question
    assert out["memory_trace"]["recall"] and out["memory_trace"]["write"]["user"] is False  # a question: not stored
    steps = [list(chunk) async for chunk in graph.astream({"messages": [HumanMessage("thanks")]}, config)]
    assert [s[0] for s in steps] == ["recall", "agent", "store"]
    sync_out = graph.invoke({"messages": [HumanMessage("What do I do every morning?")]}, config)
    assert sync_out["messages"][-1].content.startswith("sync:")


def test_works_as_a_subgraph(backend, user_id) -> None:
    inner = with_memory(EchoChatModel(), memory=backend, sync_store=True).compile()
    parent = StateGraph(MessagesState)
    parent.add_node("assistant", inner)
    parent.add_edge(START, "assistant")
    graph = parent.compile(checkpointer=InMemorySaver())
    out = chat(graph, user_id, "p", "I'm learning the cello.")
    assert out["messages"][-1].content.startswith("[offline echo model]")
    assert [m.type for m in out["messages"]] == ["human", "ai"]


def test_trace_reaches_callbacks_and_model_metadata(backend, user_id) -> None:
    from langchain_core.callbacks import BaseCallbackHandler

    class Spy(BaseCallbackHandler):
        def __init__(self) -> None:
            self.events: list[tuple[str, Any]] = []
            self.model_metadata: list[dict] = []

        def on_custom_event(self, name, data, **kwargs) -> None:
            self.events.append((name, data))

        def on_chat_model_start(self, serialized, messages, *, metadata=None, **kwargs) -> None:
            self.model_metadata.append(metadata or {})

    backend.add([{"role": "user", "content": "My cat is named Miso."}], ids={"user_id": user_id})
    spy = Spy()
    graph = with_memory(EchoChatModel(), memory=backend, sync_store=True).compile()
    graph.invoke({"messages": [HumanMessage("What's my cat's name?")]},
                 {"configurable": {"user_id": user_id}, "callbacks": [spy]})
    names = [n for n, _ in spy.events]
    assert names == ["mem0_langgraph_recall", "mem0_langgraph_store"]
    recall = spy.events[0][1]
    assert recall["recall"] and recall["memories"] and "gate" in recall["latency_ms"]
    assert spy.model_metadata[0]["mem0_recall"] is True
    assert spy.model_metadata[0]["mem0_memory_ids"] == [m["id"] for m in recall["memories"]]


def test_background_store_is_off_the_path_and_flushes(backend, user_id) -> None:
    from mem0_langgraph import BackgroundWriter

    writer = BackgroundWriter(backend)
    graph = with_memory(EchoChatModel(), memory=backend, writer=writer).compile()
    out = chat(graph, user_id, "bg", "I have two kids, Lia and Tomas.")
    assert out["memory_trace"]["store_reason"] == "queued"
    assert writer.flush(timeout=30) and writer.failed == []
    assert any("Lia" in h.text for h in backend.get_all(filters={"user_id": user_id}))
    writer.close()


def test_memories_survive_a_process_restart(tmp_path) -> None:
    script = textwrap.dedent("""
        import json, sys
        from langchain_core.messages import HumanMessage
        from mem0_langgraph import EchoChatModel, create_memory, with_memory
        memory = create_memory(data_dir=sys.argv[1], collection="restart")
        graph = with_memory(EchoChatModel(), memory=memory).compile()   # background writer
        cfg = {"configurable": {"user_id": "alice", "thread_id": sys.argv[2]}}
        out = graph.invoke({"messages": [HumanMessage(sys.argv[3])]}, cfg)
        print(json.dumps([m["memory"] for m in out["recalled_memories"]]))
    """)
    env_run = lambda *args: subprocess.run([sys.executable, "-c", script, str(tmp_path), *args],  # noqa: E731
                                           capture_output=True, text=True, timeout=300)
    first = env_run("t1", "Note for later: my blood type is O negative.")
    assert first.returncode == 0, first.stderr
    # The first process exited right after queueing: the exit flush must have written it.
    second = env_run("t2", "Do you remember my blood type?")
    assert second.returncode == 0, second.stderr
    assert any("O negative" in m for m in json.loads(second.stdout.strip().splitlines()[-1]))


def test_scope_from_langgraph_runtime_context(backend, user_id) -> None:
    from dataclasses import dataclass

    @dataclass
    class Context:
        user_id: str

    backend.add([{"role": "user", "content": "My hometown is Braga."}], ids={"user_id": user_id})
    graph = with_memory(EchoChatModel(), memory=backend, sync_store=True, context_schema=Context).compile()
    out = graph.invoke({"messages": [HumanMessage("Do you remember my hometown?")]}, context=Context(user_id=user_id))
    assert any("Braga" in m["memory"] for m in out["recalled_memories"])


async def test_user_supplied_async_memory(data_dir, user_id) -> None:
    from mem0_langgraph import create_memory

    amemory = create_memory(data_dir=data_dir, collection="tests-async", async_mode=True)
    graph = with_memory(EchoChatModel(), memory=amemory, sync_store=True).compile()
    config = {"configurable": {"user_id": user_id, "thread_id": "x"}}
    await graph.ainvoke({"messages": [HumanMessage("I keep bees on my balcony.")]}, config)
    out = graph.invoke({"messages": [HumanMessage("Remember my hobby on the balcony?")]}, config)  # sync over async
    assert any("bees" in m["memory"] for m in out["recalled_memories"])


def test_memory_aware_probe_fires_only_when_the_store_holds_something(backend, user_id) -> None:
    # "Tabs or spaces?" is a turn the learned gate is unsure of (score between the probe floor and
    # its threshold): recall iff a memory clearly matches.
    question = "Tabs or spaces?"
    graph = with_memory(EchoChatModel(), memory=backend, sync_store=True).compile()
    empty = chat(graph, user_id, "p", question)
    assert "probe" in empty["memory_trace"]["reason"]
    assert empty["memory_trace"]["recall"] is False and empty["recalled_memories"] == []
    backend.add([{"role": "user", "content": "I always indent with tabs, never spaces."}], ids={"user_id": user_id})
    out = chat(graph, user_id, "p", question)
    assert out["memory_trace"]["recall"] is True and "probe" in out["memory_trace"]["reason"]
    assert any("tabs" in m["memory"] for m in out["recalled_memories"])
    off = with_memory(EchoChatModel(), memory=backend, sync_store=True, probe_band=None).compile()
    assert chat(off, user_id, "p", question)["recalled_memories"] == []


def test_unsure_food_request_fires_only_for_a_user_with_food_memories(backend, user_id) -> None:
    graph = with_memory(EchoChatModel(), memory=backend, sync_store=True, store_roles=("user",)).compile()
    foodie, other = user_id, user_id + "-other"
    backend.add([{"role": "user", "content": "I'm vegan and I love Thai curries."}], ids={"user_id": foodie})
    backend.add([{"role": "user", "content": "My sister Ana lives in Porto."}], ids={"user_id": other})
    yes = chat(graph, foodie, "d", "What's a good curry recipe?")
    assert yes["memory_trace"]["recall"] and any("vegan" in m["memory"] for m in yes["recalled_memories"])
    no = chat(graph, other, "d", "What's a good curry recipe?")
    assert no["memory_trace"]["recall"] is False and no["recalled_memories"] == []
    assert "probe" in no["memory_trace"]["reason"]
