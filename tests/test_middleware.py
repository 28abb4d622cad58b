"""Mem0Middleware in create_agent: real mem0 + Chroma + local MiniLM; only the LLM is a fake."""

from __future__ import annotations

import doctest
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from langchain.agents import create_agent
from langchain.agents.middleware import AgentMiddleware, wrap_model_call
from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.language_models import GenericFakeChatModel
from langchain_core.messages import AIMessage, HumanMessage, SystemMessage, ToolMessage
from langchain_core.outputs import ChatGeneration, ChatResult
from langchain_core.tools import tool
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.runtime import Runtime

import mem0_langgraph.adapters.middleware as middleware_module
from mem0_langgraph import AlwaysRecall, EchoChatModel, NeverRecall, RuleGate
from mem0_langgraph.adapters.middleware import Mem0Middleware
from mem0_langgraph.backends.mem0 import Mem0Backend
from mem0_langgraph.core.render import MEMORY_MESSAGE_ID
from mem0_langgraph.errors import MemoryBackendError, ScopeError
from tests.conftest import BrokenMem0, CountingBackend, CountingGate

FACT = "I'm vegetarian and allergic to peanuts."
QUESTION = "Given my diet and allergies, what should I cook tonight? Check the weather first."
IMAGE_ONLY = [{"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORw0KGgo="}}]


# -- fakes for the LLM only ------------------------------------------------------
class ToolCallingFake(GenericFakeChatModel):
    """Scripted replies; accepts bound tools (create_agent binds them)."""

    def bind_tools(self, tools: Any, **kwargs: Any) -> ToolCallingFake:
        return self


class SyncAsyncFake(ToolCallingFake):
    """Sync calls read ``messages``, async calls read ``async_messages``: the reply proves the path."""

    async_messages: Iterator[AIMessage]

    async def _agenerate(self, messages, stop=None, run_manager=None, **kwargs) -> ChatResult:
        return ChatResult(generations=[ChatGeneration(message=next(self.async_messages))])


def tool_loop(final: str) -> list[AIMessage]:
    """Two tool rounds then an answer: three model calls in one user turn."""
    return [
        AIMessage("", tool_calls=[{"name": "get_weather", "args": {"city": "Lisbon"}, "id": "c1"}]),
        AIMessage("", tool_calls=[{"name": "get_weather", "args": {"city": "Porto"}, "id": "c2"}]),
        AIMessage(final),
    ]


@tool
def get_weather(city: str) -> str:
    """Get the weather of a city."""
    return f"Sunny in {city}"


def spy_middleware() -> tuple[AgentMiddleware, list]:
    """A ``@wrap_model_call`` spy; placed after ours, it sees the request the model gets."""
    seen: list = []

    @wrap_model_call
    def spy(request, handler):
        seen.append(request)
        return handler(request)

    return spy, seen


class AsyncSpy(AgentMiddleware):
    """The async twin of the spy (``@wrap_model_call`` on a sync function is sync only)."""

    def __init__(self) -> None:
        self.seen: list = []

    async def awrap_model_call(self, request, handler):
        self.seen.append(request)
        return await handler(request)


def cfg(user_id: str, thread: str = "t1") -> dict:
    return {"configurable": {"user_id": user_id, "thread_id": thread}}


def remember(backend: Mem0Backend, user_id: str, *texts: str) -> None:
    for text in texts:
        backend.add([{"role": "user", "content": text}], ids={"user_id": user_id, "run_id": "earlier"})


def system_text(request: Any) -> str:
    return request.system_message.text if request.system_message is not None else ""


# -- recall before, once per user turn ---------------------------------------------
def test_memory_reaches_every_model_call_of_the_turn_but_never_the_history(backend, user_id) -> None:
    remember(backend, user_id, FACT)
    gate = CountingGate(AlwaysRecall())
    counting = CountingBackend(backend)
    spy, seen = spy_middleware()
    memory = Mem0Middleware(counting, gate=gate, sync_store=True)
    saver = InMemorySaver()
    agent = create_agent(ToolCallingFake(messages=iter(tool_loop("Try a chickpea curry."))), tools=[get_weather],
                         system_prompt="You are a helpful cook.", middleware=[memory, spy], checkpointer=saver)

    out = agent.invoke({"messages": [HumanMessage(QUESTION)]}, cfg(user_id))

    assert len(seen) == 3  # three model calls in the tool loop ...
    assert gate.calls == 1 and counting.calls["search"] == 1  # ... one gate run, one search
    for request in seen:
        text = system_text(request)
        assert text.startswith("You are a helpful cook.")  # the app's prompt stays first
        assert FACT in text and "<memories>" in text
        assert request.system_message.id == MEMORY_MESSAGE_ID
        assert all(FACT not in str(m.content) for m in request.messages)
    assert [m.type for m in out["messages"]] == ["human", "ai", "tool", "ai", "tool", "ai"]
    assert out["messages"][-1].content == "Try a chickpea curry."
    for snapshot in agent.get_state_history(cfg(user_id)):
        for m in snapshot.values.get("messages", []):
            assert not isinstance(m, SystemMessage) and "<memories>" not in str(m.content)
    trace = out["memory_trace"]
    assert trace["recall"] is True and trace["memories"] and trace["stored"] is True
    assert set(trace["latency_ms"]) == {"gate", "search", "store"}
    stored = [h.text for h in backend.get_all(filters={"user_id": user_id, "run_id": "t1"})]
    assert QUESTION in stored and "Try a chickpea curry." in stored  # human turn + final answer only


def test_each_new_user_turn_runs_the_gate_once(backend, user_id) -> None:
    gate = CountingGate(AlwaysRecall())
    replies = [*tool_loop("first"), AIMessage("second")]
    agent = create_agent(ToolCallingFake(messages=iter(replies)), tools=[get_weather],
                         middleware=[Mem0Middleware(backend, gate=gate, sync_store=True)],
                         checkpointer=InMemorySaver())
    agent.invoke({"messages": [HumanMessage("Remember my favourite city?")]}, cfg(user_id))
    assert gate.calls == 1
    agent.invoke({"messages": [HumanMessage("And my favourite food?")]}, cfg(user_id))
    assert gate.calls == 2


def test_gate_says_no_means_zero_searches(backend, user_id) -> None:
    remember(backend, user_id, FACT)
    counting = CountingBackend(backend)
    spy, seen = spy_middleware()
    agent = create_agent(ToolCallingFake(messages=iter(tool_loop("Pasta."))), tools=[get_weather],
                         middleware=[Mem0Middleware(counting, gate=NeverRecall(), sync_store=True), spy])
    out = agent.invoke({"messages": [HumanMessage(QUESTION)]}, cfg(user_id))
    assert counting.calls.get("search", 0) == 0
    assert all(request.system_message is None for request in seen)
    assert out["memory_trace"]["recall"] is False and out["memory_trace"]["reason"] == "never recall"
    assert counting.calls["add"] == 1  # store-after still runs


def test_default_gate_end_to_end_store_then_recall(backend, user_id) -> None:
    """Turn 1 is stored by the middleware itself; a later session recalls it."""
    memory = Mem0Middleware(backend, sync_store=True)
    agent = create_agent(EchoChatModel(), middleware=[memory], checkpointer=InMemorySaver())
    agent.invoke({"messages": [HumanMessage(FACT)]}, cfg(user_id, "monday"))
    out = agent.invoke({"messages": [HumanMessage("Can you suggest something I could cook tonight?")]},
                       cfg(user_id, "tuesday"))
    assert "vegetarian" in out["messages"][-1].content  # the echo model saw the memory
    out = agent.invoke({"messages": [HumanMessage("thanks!")]}, cfg(user_id, "tuesday"))
    assert out["memory_trace"]["recall"] is False and "memory context: none" in out["messages"][-1].content
    assert out["memory_trace"]["store_reason"] == "skipped: trivial turn"


def test_scope_from_runtime_context(backend, user_id) -> None:
    @dataclass
    class Context:
        user_id: str

    remember(backend, user_id, "My cat is named Miso.")
    agent = create_agent(EchoChatModel(), middleware=[Mem0Middleware(backend, gate=AlwaysRecall(), sync_store=True)],
                         context_schema=Context)
    out = agent.invoke({"messages": [HumanMessage("What's my cat called?")]}, context=Context(user_id=user_id))
    assert "Miso" in out["messages"][-1].content


def test_trace_reaches_callbacks(backend, user_id) -> None:
    class Events(BaseCallbackHandler):
        def __init__(self) -> None:
            self.events: list[tuple[str, Any]] = []

        def on_custom_event(self, name, data, **kwargs) -> None:
            self.events.append((name, data))

    remember(backend, user_id, FACT)
    events = Events()
    agent = create_agent(EchoChatModel(), middleware=[Mem0Middleware(backend, sync_store=True)])
    agent.invoke({"messages": [HumanMessage("Any dinner ideas for me?")]},
                 {**cfg(user_id), "callbacks": [events]})
    assert [n for n, _ in events.events] == ["mem0_langgraph_recall", "mem0_langgraph_store"]
    assert events.events[0][1]["recall"] is True and events.events[1][1]["stored"] is True


# -- async ---------------------------------------------------------------------------
async def test_async_path(backend, user_id) -> None:
    remember(backend, user_id, FACT)
    gate = CountingGate(AlwaysRecall())
    counting = CountingBackend(backend)
    spy = AsyncSpy()
    memory = Mem0Middleware(counting, gate=gate)  # background writer: aflush before reading back
    model = SyncAsyncFake(messages=iter([AIMessage("sync answer")]), async_messages=iter(tool_loop("async answer")))
    agent = create_agent(model, tools=[get_weather], middleware=[memory, spy], checkpointer=InMemorySaver())

    out = await agent.ainvoke({"messages": [HumanMessage(QUESTION)]}, cfg(user_id, "async"))

    assert out["messages"][-1].content == "async answer"
    assert gate.async_calls == 1 and gate.calls == 0 and counting.calls["search"] == 1
    assert len(spy.seen) == 3 and all(FACT in system_text(r) for r in spy.seen)
    assert out["memory_trace"]["store_reason"] == "queued"
    assert await memory.aflush(timeout=60)
    stored = [h.text for h in await backend.aget_all(filters={"user_id": user_id, "run_id": "async"})]
    # The question says something about the user ("my diet"): kept; a two-word reply is no advice: not kept.
    assert QUESTION in stored and "async answer" not in stored


# -- bad input and failures ----------------------------------------------------------
@pytest.mark.parametrize(
    ("messages", "reason"),
    [
        ([AIMessage("Hello! How can I help?")], "skipped: no human message"),
        ([ToolMessage("42", tool_call_id="orphan")], "skipped: no human message"),
        ([HumanMessage(IMAGE_ONLY)], "skipped: newest human message has no text"),
    ],
    ids=["no-human-message", "tool-messages-only", "image-only"],
)
def test_turns_without_user_text_skip_memory_and_still_answer(backend, user_id, messages, reason) -> None:
    gate = CountingGate(AlwaysRecall())
    counting = CountingBackend(backend)
    agent = create_agent(ToolCallingFake(messages=iter([AIMessage("answer")])),
                         middleware=[Mem0Middleware(counting, gate=gate, sync_store=True)])
    out = agent.invoke({"messages": messages}, cfg(user_id))
    assert out["messages"][-1].content == "answer"
    assert gate.calls == 0 and counting.calls == {}
    assert out["memory_trace"]["reason"] == reason and out["memory_trace"]["stored"] is False


def test_failing_backend_raise_mode_raises_memory_backend_error(memory, user_id) -> None:
    mw = Mem0Middleware(Mem0Backend(BrokenMem0(memory)), gate=AlwaysRecall(), sync_store=True, on_error="raise")
    agent = create_agent(ToolCallingFake(messages=iter([AIMessage("answer")])), middleware=[mw])
    with pytest.raises(MemoryBackendError) as info:
        agent.invoke({"messages": [HumanMessage(QUESTION)]}, cfg(user_id))
    assert info.value.operation == "search"


async def test_failing_backend_raise_mode_async(memory, user_id) -> None:
    mw = Mem0Middleware(Mem0Backend(BrokenMem0(memory)), gate=AlwaysRecall(), sync_store=True, on_error="raise")
    agent = create_agent(SyncAsyncFake(messages=iter([]), async_messages=iter([AIMessage("a")])), middleware=[mw])
    with pytest.raises(MemoryBackendError):
        await agent.ainvoke({"messages": [HumanMessage(QUESTION)]}, cfg(user_id))


def test_failing_backend_warn_mode_logs_and_answers(memory, user_id, caplog) -> None:
    mw = Mem0Middleware(Mem0Backend(BrokenMem0(memory)), gate=AlwaysRecall(), sync_store=True)
    agent = create_agent(ToolCallingFake(messages=iter(tool_loop("still here"))), tools=[get_weather],
                         middleware=[mw])
    with caplog.at_level(logging.WARNING, logger="mem0_langgraph"):
        out = agent.invoke({"messages": [HumanMessage(QUESTION)]}, cfg(user_id))
    assert out["messages"][-1].content == "still here"
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert any("memory recall failed" in w for w in warnings)
    assert any("memory store failed" in w for w in warnings)
    assert "ConnectionError" in out["memory_trace"]["error"] and out["memory_trace"]["stored"] is False


def test_failing_backend_ignore_mode_is_silent(memory, user_id, caplog) -> None:
    mw = Mem0Middleware(Mem0Backend(BrokenMem0(memory)), gate=AlwaysRecall(), sync_store=True, on_error="ignore")
    agent = create_agent(ToolCallingFake(messages=iter([AIMessage("answer")])), middleware=[mw])
    with caplog.at_level(logging.WARNING, logger="mem0_langgraph"):
        out = agent.invoke({"messages": [HumanMessage(QUESTION)]}, cfg(user_id))
    assert out["messages"][-1].content == "answer"
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]


def test_missing_user_id(backend) -> None:
    def agent(on_error: str) -> Any:
        mw = Mem0Middleware(backend, gate=AlwaysRecall(), sync_store=True, on_error=on_error)
        return create_agent(ToolCallingFake(messages=iter([AIMessage("answer")])), middleware=[mw])

    with pytest.raises(ScopeError, match="no user id"):
        agent("raise").invoke({"messages": [HumanMessage(QUESTION)]}, {"configurable": {"thread_id": "t"}})
    out = agent("warn").invoke({"messages": [HumanMessage(QUESTION)]}, {"configurable": {"thread_id": "t"}})
    assert out["messages"][-1].content == "answer" and "ScopeError" in out["memory_trace"]["error"]


def test_invalid_options_name_the_fix(backend) -> None:
    with pytest.raises(ValueError, match="on_error must be one of"):
        Mem0Middleware(backend, on_error="explode")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="top_k"):
        Mem0Middleware(backend, top_k=0)
    with pytest.raises(ValueError, match="writer= or sync_store=True"):
        Mem0Middleware(backend, writer=object(), sync_store=True)  # type: ignore[arg-type]


# -- hooks called directly -----------------------------------------------------------
def test_hooks_with_plain_dict_state(backend, user_id) -> None:
    remember(backend, user_id, FACT)
    gate = CountingGate(RuleGate())
    mw = Mem0Middleware(backend, gate=gate, sync_store=True)
    runtime = Runtime(context={"user_id": user_id})
    state: dict[str, Any] = {"messages": [HumanMessage("Any dinner ideas for me?")]}  # no message ids

    update = mw.before_model(state, runtime)
    assert update is not None and update["memory_trace"]["recall"]
    state.update(update)
    assert mw.before_model(state, runtime) is None  # same turn: no second gate run
    assert gate.calls == 1
    assert any(FACT == m["memory"] for m in state["mem0_turn"]["memories"])
    assert "messages" not in update

    from langchain.agents.middleware import ModelRequest

    base = SystemMessage([{"type": "text", "text": "Be brief.", "cache_control": {"type": "ephemeral"}}])
    request = ModelRequest(model=EchoChatModel(), messages=state["messages"], system_message=base, state=state)
    sent: list = []
    mw.wrap_model_call(request, lambda r: sent.append(r) or AIMessage("ok"))
    blocks = sent[0].system_message.content
    assert blocks[0] == base.content[0] and FACT in blocks[1]["text"]  # a cached prefix stays intact
    assert request.system_message is base  # the original request is untouched

    state["messages"] = [*state["messages"], AIMessage("Try a lentil soup."), HumanMessage("And for lunch?")]
    update = mw.before_model(state, runtime)
    assert update is not None and gate.calls == 2  # a new turn recalls again
    state.update(update)
    assert mw.before_model(state, runtime) is None
    state["messages"][-1] = HumanMessage("And for breakfast?")  # the user edited the message
    assert mw.before_model(state, runtime) is not None and gate.calls == 3


def test_docstring_examples_run() -> None:
    result = doctest.testmod(middleware_module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0 and result.failed == 0
