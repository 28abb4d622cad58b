"""Memory tools for agents: ``remember``, ``search_memories`` and ``forget``.

The model chooses *what* to remember, search or forget; it never chooses *whose*.
Each tool reads the scope from the run that calls it (``config["configurable"]``
or the LangGraph runtime context, through `ScopeConfig.resolve` on the injected
``RunnableConfig``), so no argument a model writes can reach another user's
memories: ``forget`` of an id that belongs to someone else answers exactly as for
an id that does not exist. ``remember`` writes at `ScopeConfig.write_levels`
(user + session by default); ``search_memories`` and ``forget`` act on
`ScopeConfig.search_levels` (the user's memories).

Failures the model can act on (an unknown id, an empty query) come back to it
as an error `ToolMessage` (``handle_tool_error=True``); a run without a user id
raises `ScopeError`, since that is the application's bug, not the model's.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from langchain_core.runnables import RunnableConfig
from langchain_core.tools import BaseTool, ToolException
from pydantic import BaseModel, Field

from mem0_langgraph.backends.factory import as_backend
from mem0_langgraph.backends.records import MemoryRecord
from mem0_langgraph.backends.scoped import MemoryScope
from mem0_langgraph.core.scopes import ScopeConfig
from mem0_langgraph.errors import MemoryNotFoundError, ScopeError


class RememberInput(BaseModel):
    """Arguments of ``remember``."""

    text: str = Field(description="The fact to keep, as one self-contained sentence about the user.",
                      min_length=1, max_length=2000)


class SearchMemoriesInput(BaseModel):
    """Arguments of ``search_memories``."""

    query: str = Field(description="What to look for, e.g. 'food preferences'.", min_length=1, max_length=1000)
    limit: int = Field(default=5, ge=1, le=20, description="Most memories to return.")


class ForgetInput(BaseModel):
    """Arguments of ``forget``."""

    memory_id: str = Field(description="The id of the memory to delete, as given by search_memories.",
                           min_length=1, max_length=128)


class MemoryTool(BaseTool):
    """Base of the memory tools: the backend, where scope ids come from, and error handling.

    Attributes:
        memory: Anything `as_backend` accepts (normalised once, at construction); None: the
            embedded offline default.
        scopes: Where the scope ids are read from. Default `ScopeConfig()`.
    """

    memory: Any = None
    scopes: ScopeConfig = Field(default_factory=ScopeConfig)
    handle_tool_error: bool = True

    def __init__(self, **data: Any) -> None:
        super().__init__(**data)
        self.memory = as_backend(self.memory)

    def _scope(self, config: RunnableConfig | None, *, write: bool = False) -> MemoryScope:
        levels = self.scopes.write_levels if write else self.scopes.search_levels
        return MemoryScope.for_run(self.memory, config, scopes=self.scopes, levels=levels)


class RememberTool(MemoryTool):
    """``remember``: store a fact about the user of this run.

    Example:
        >>> import tempfile
        >>> from mem0_langgraph import create_memory
        >>> remember = RememberTool(memory=create_memory(data_dir=tempfile.mkdtemp()))  # the offline default
        >>> remember.invoke({"text": "Prefers metric units."}, {"configurable": {"user_id": "alice"}})
        "Remembered: 'Prefers metric units.' (id ...)"
    """

    name: str = "remember"
    description: str = ("Save a fact about the user for future conversations: a preference, a goal, or a "
                        "detail they asked you to keep. Give one self-contained sentence.")
    args_schema: type[BaseModel] = RememberInput

    def _run(self, text: str, config: RunnableConfig) -> str:
        with _tool_errors():
            return _remembered(self._scope(config, write=True).add(text, metadata=_TOOL_METADATA))

    async def _arun(self, text: str, config: RunnableConfig) -> str:
        with _tool_errors():
            return _remembered(await self._scope(config, write=True).aadd(text, metadata=_TOOL_METADATA))


class SearchMemoriesTool(MemoryTool):
    """``search_memories``: the user's memories most similar to a query, as JSON with their ids.

    Example:
        >>> import tempfile
        >>> from mem0_langgraph import create_memory
        >>> memory = create_memory(data_dir=tempfile.mkdtemp())  # the offline default
        >>> alice = {"configurable": {"user_id": "alice"}}
        >>> _ = RememberTool(memory=memory).invoke({"text": "Allergic to peanuts."}, alice)
        >>> found = SearchMemoriesTool(memory=memory).invoke({"query": "allergies"}, alice)
        >>> [m["memory"] for m in json.loads(found)]
        ['Allergic to peanuts.']
        >>> SearchMemoriesTool(memory=memory).invoke({"query": "allergies"}, {"configurable": {"user_id": "bob"}})
        '[]'
    """

    name: str = "search_memories"
    description: str = ("Search what you remember about the user. Returns a JSON list of memories "
                        "(id, memory, score, created_at), best match first.")
    args_schema: type[BaseModel] = SearchMemoriesInput

    def _run(self, query: str, config: RunnableConfig, limit: int = 5) -> str:
        with _tool_errors():
            return _found(self._scope(config).search(query, limit=limit))

    async def _arun(self, query: str, config: RunnableConfig, limit: int = 5) -> str:
        with _tool_errors():
            return _found(await self._scope(config).asearch(query, limit=limit))


class ForgetTool(MemoryTool):
    """``forget``: delete one of the user's memories by id; ids of other users read as unknown.

    Example:
        >>> import tempfile
        >>> from langchain_core.messages import ToolCall
        >>> from mem0_langgraph import create_memory
        >>> memory = create_memory(data_dir=tempfile.mkdtemp())  # the offline default
        >>> [rec] = MemoryScope(memory, user_id="alice").add("Lives in Lisbon.")
        >>> forget = ForgetTool(memory=memory)
        >>> call = ToolCall(name="forget", args={"memory_id": rec.id}, id="c1", type="tool_call")
        >>> msg = forget.invoke(call, {"configurable": {"user_id": "bob"}})  # bob's run cannot delete it
        >>> msg.status, msg.content.startswith("no memory")
        ('error', True)
        >>> forget.invoke(call, {"configurable": {"user_id": "alice"}}).content
        "Forgot: 'Lives in Lisbon.'"
    """

    name: str = "forget"
    description: str = ("Delete one memory about the user by its id (from search_memories), when the user "
                        "asks you to forget it or says it is wrong.")
    args_schema: type[BaseModel] = ForgetInput

    def _run(self, memory_id: str, config: RunnableConfig) -> str:
        with _tool_errors():
            return _forgot(self._scope(config).delete(memory_id))

    async def _arun(self, memory_id: str, config: RunnableConfig) -> str:
        with _tool_errors():
            return _forgot(await self._scope(config).adelete(memory_id))


def memory_tools(memory: Any = None, *, scopes: ScopeConfig | None = None) -> list[MemoryTool]:
    """``remember``, ``search_memories`` and ``forget`` over one backend, for ``create_agent(tools=...)``.

    Args:
        memory: Anything `as_backend` accepts; built once and shared by the three tools.
        scopes: Where scope ids come from and which levels are written and searched.
            Default `ScopeConfig()`.

    Example:
        >>> import tempfile
        >>> from mem0_langgraph import create_memory
        >>> [t.name for t in memory_tools(create_memory(data_dir=tempfile.mkdtemp()))]
        ['remember', 'search_memories', 'forget']
    """
    backend = as_backend(memory)
    kwargs: dict[str, Any] = {"memory": backend, "scopes": scopes or ScopeConfig()}
    return [RememberTool(**kwargs), SearchMemoriesTool(**kwargs), ForgetTool(**kwargs)]


_TOOL_METADATA = {"source": "mem0_langgraph.tools"}


@contextmanager
def _tool_errors() -> Iterator[None]:
    """Turn what the model can fix into a `ToolException` (shown to it); let scope bugs raise."""
    try:
        yield
    except ScopeError:
        raise
    except (MemoryNotFoundError, ValueError) as exc:
        raise ToolException(str(exc)) from exc


def _remembered(records: list[MemoryRecord]) -> str:
    if not records:
        return "Nothing new to remember: it is already known."
    return "; ".join(f"Remembered: {r.text!r} (id {r.id})" for r in records)


def _found(records: list[MemoryRecord]) -> str:
    return json.dumps([{"id": r.id, "memory": r.text, "score": round(r.score or 0.0, 4),
                        "created_at": r.created_at} for r in records], ensure_ascii=False)


def _forgot(record: MemoryRecord) -> str:
    return f"Forgot: {record.text!r}"
