"""Memory tools: LangChain's standard tool suites, and a scope that only the run decides, in a real agent loop."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from typing import Any

import pytest
from langchain.agents import create_agent
from langchain_core.language_models import GenericFakeChatModel
from langchain_core.messages import AIMessage, ToolCall, ToolMessage
from langchain_tests.integration_tests import ToolsIntegrationTests
from langchain_tests.unit_tests import ToolsUnitTests
from langgraph.checkpoint.memory import InMemorySaver

from mem0_langgraph.adapters.tools import (
    ForgetTool,
    RememberTool,
    SearchMemoriesTool,
    memory_tools,
)
from mem0_langgraph.backends.scoped import MemoryScope
from mem0_langgraph.core.scopes import ScopeConfig
from mem0_langgraph.errors import ScopeError

STANDARD_USER = f"standard-tools-{uuid.uuid4().hex[:8]}"
EXAMPLES: dict[type, dict[str, Any]] = {
    RememberTool: {"text": "I prefer short answers."},
    SearchMemoriesTool: {"query": "answer style", "limit": 3},
    ForgetTool: {"memory_id": "00000000-0000-0000-0000-000000000000"},
}


class _Standard:
    """Shared constructor for the standard suites: the real backend; the user id as the app's default.

    The suites invoke tools without a run config, so the scope comes from `ScopeConfig.defaults`,
    the way a single-user script would set it.
    """

    tool_class: type

    @pytest.fixture(autouse=True)
    def _backend(self, backend: Any) -> None:
        self._memory = backend

    @property
    def tool_constructor(self) -> type:
        return self.tool_class

    @property
    def tool_constructor_params(self) -> dict[str, Any]:
        return {"memory": self._memory, "scopes": ScopeConfig(defaults={"user": STANDARD_USER})}

    @property
    def tool_invoke_params_example(self) -> dict[str, Any]:
        return EXAMPLES[self.tool_class]


class TestRememberUnit(_Standard, ToolsUnitTests):
    tool_class = RememberTool


class TestRememberIntegration(_Standard, ToolsIntegrationTests):
    tool_class = RememberTool


class TestSearchMemoriesUnit(_Standard, ToolsUnitTests):
    tool_class = SearchMemoriesTool


class TestSearchMemoriesIntegration(_Standard, ToolsIntegrationTests):
    tool_class = SearchMemoriesTool


class TestForgetUnit(_Standard, ToolsUnitTests):
    tool_class = ForgetTool


class TestForgetIntegration(_Standard, ToolsIntegrationTests):
    tool_class = ForgetTool


# -- scope comes from the run, never from the model --------------------------------


class ToolCallingFake(GenericFakeChatModel):
    """Scripted replies; accepts bound tools (create_agent binds them)."""

    def bind_tools(self, tools: Any, **kwargs: Any) -> ToolCallingFake:
        return self


def _call(name: str, args: dict[str, Any], call_id: str) -> AIMessage:
    return AIMessage("", tool_calls=[ToolCall(name=name, args=args, id=call_id, type="tool_call")])


def test_schemas_offer_no_scope_argument(backend) -> None:
    for tool in memory_tools(backend):
        props = tool.get_input_schema().model_json_schema()["properties"]
        assert not set(props) & {"user_id", "agent_id", "run_id", "thread_id", "config"}, tool.name
    assert [t.name for t in memory_tools(backend)] == ["remember", "search_memories", "forget"]


def test_a_user_id_in_the_model_arguments_is_ignored(backend, user_id) -> None:
    victim = f"victim-{uuid.uuid4().hex[:6]}"
    remember = RememberTool(memory=backend)
    remember.invoke({"text": "I like jazz.", "user_id": victim}, {"configurable": {"user_id": user_id}})
    assert [r.text for r in MemoryScope(backend, user_id=user_id).list()] == ["I like jazz."]
    assert MemoryScope(backend, user_id=victim).list() == []


def test_agent_loop_remembers_searches_and_cannot_forget_another_users_memory(backend, user_id) -> None:
    bob = MemoryScope(backend, user_id=f"bob-{uuid.uuid4().hex[:6]}")
    [bobs] = bob.add("My bank PIN hint is my cat's name.")
    script = iter([
        _call("remember", {"text": "Training for a marathon in April."}, "c1"),
        _call("search_memories", {"query": "running goals"}, "c2"),
        _call("forget", {"memory_id": bobs.id}, "c3"),  # a confused or injected model aims at bob
        AIMessage("Noted your marathon."),
    ])
    agent = create_agent(ToolCallingFake(messages=script), tools=memory_tools(backend),
                         checkpointer=InMemorySaver())
    out = agent.invoke({"messages": [("user", "Remember that I'm training for a marathon.")]},
                       {"configurable": {"user_id": user_id, "thread_id": "run-1"}})
    tool_messages = {m.tool_call_id: m for m in out["messages"] if isinstance(m, ToolMessage)}
    assert tool_messages["c1"].content.startswith("Remembered: 'Training for a marathon in April.'")
    found = json.loads(tool_messages["c2"].content)
    assert [m["memory"] for m in found] == ["Training for a marathon in April."]
    assert tool_messages["c3"].status == "error" and "no memory" in tool_messages["c3"].content
    assert bob.get(bobs.id).text == bobs.text  # still there
    [mine] = MemoryScope(backend, user_id=user_id).list()
    assert mine.run_id == "run-1" and mine.metadata["source"] == "mem0_langgraph.tools"
    assert out["messages"][-1].content == "Noted your marathon."


@dataclass
class Ctx:
    user_id: str


async def test_async_agent_reads_the_scope_from_the_runtime_context(backend, user_id) -> None:
    [old] = MemoryScope(backend, user_id=user_id).add("Lives in Lisbon.")
    script = iter([_call("forget", {"memory_id": old.id}, "c1"), AIMessage("Forgotten.")])
    agent = create_agent(ToolCallingFake(messages=script), tools=memory_tools(backend), context_schema=Ctx)
    out = await agent.ainvoke({"messages": [("user", "Forget where I live.")]}, context=Ctx(user_id=user_id))
    [msg] = [m for m in out["messages"] if isinstance(m, ToolMessage)]
    assert msg.status == "success" and msg.content == "Forgot: 'Lives in Lisbon.'"
    assert MemoryScope(backend, user_id=user_id).list() == []


def test_a_run_without_a_user_is_an_application_error(backend) -> None:
    with pytest.raises(ScopeError, match="no user id"):
        SearchMemoriesTool(memory=backend).invoke({"query": "anything"}, {"configurable": {"thread_id": "t"}})
    bad = SearchMemoriesTool(memory=backend).invoke(
        ToolCall(name="search_memories", args={"query": "  "}, id="c", type="tool_call"),
        {"configurable": {"user_id": "carol"}})
    assert bad.status == "error" and "empty" in bad.content  # the model can fix this one
