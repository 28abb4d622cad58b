"""`Mem0Middleware`: gated long-term memory for ``langchain.agents.create_agent``.

A thin adapter over `Recaller` and `Storer`. Recall runs in ``before_model``
only when the newest human message differs from the one recalled last, so a
tool loop with several model calls runs the gate once and searches at most
once per user turn. The memories are kept in a private state key and added to
the system prompt of every model request of that turn in ``wrap_model_call``,
for that call only: they never enter the checkpointed ``messages``. The
exchange is stored in ``after_agent`` (through the background writer by
default). The turn's trace is in the ``memory_trace`` state key and is sent to
callback handlers as the custom events ``"mem0_langgraph_recall"`` and
``"mem0_langgraph_store"``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from langchain.agents.middleware.types import (
    AgentMiddleware,
    AgentState,
    ContextT,
    ModelRequest,
    ModelResponse,
    OmitFromInput,
    PrivateStateAttr,
    ResponseT,
)
from langchain_core.messages import BaseMessage, SystemMessage
from langchain_core.runnables import RunnableConfig
from langgraph.config import get_config
from typing_extensions import NotRequired, TypedDict, Unpack

from mem0_langgraph.core._node import aemit_trace, emit_trace
from mem0_langgraph.core._text import last_of_type, message_text
from mem0_langgraph.core.options import MemoryOptions, build_components
from mem0_langgraph.core.recall import TRACE_EVENT as RECALL_EVENT
from mem0_langgraph.core.recall import RecallResult
from mem0_langgraph.core.render import (
    DEFAULT_MEMORY_PROMPT,
    MEMORY_MESSAGE_ID,
    render_memories,
)
from mem0_langgraph.core.state import TRACE_KEY, RecalledMemory, TurnTrace, merge_trace
from mem0_langgraph.core.store import TRACE_EVENT as STORE_EVENT

TURN_KEY = "mem0_turn"
"""Private state key: the human message recalled for and the memories found for it."""


class TurnMemory(TypedDict):
    """What `Mem0Middleware` recalled for one user turn (JSON-safe, checkpointable)."""

    turn: str
    """The newest human message when recall ran: its id and a digest of its text ("" when none)."""
    memories: list[RecalledMemory]
    """The memories added to every model call of that turn."""


class Mem0State(AgentState[ResponseT]):
    """State added by `Mem0Middleware` to the agent's state.

    ``memory_trace`` is this turn's trace (replaced at every new user turn, in
    the agent's output, not an input). ``mem0_turn`` is private: it carries the
    recalled memories from ``before_model`` to ``wrap_model_call``.
    """

    memory_trace: NotRequired[Annotated[TurnTrace, OmitFromInput]]
    mem0_turn: NotRequired[Annotated[TurnMemory, PrivateStateAttr]]


class Mem0Middleware(AgentMiddleware[Mem0State[ResponseT], ContextT, ResponseT]):
    """Recall-before and store-after for ``create_agent``, gated and once per user turn.

    Scope ids come from the agent's runtime context (``create_agent(...,
    context_schema=...)``) or ``config["configurable"]``, as for the graph nodes.

    Args:
        memory: A mem0 ``Memory`` / ``AsyncMemory`` / ``MemoryClient``, a mem0 config dict,
            a `MemoryBackend`, or None for the embedded offline default (`create_memory`).
        memory_prompt: The framing sentence of the memory block. Default `DEFAULT_MEMORY_PROMPT`.
        **options: `MemoryOptions`, as for `with_memory`: gate, scopes, recall limits, store
            options and ``on_error`` (``"raise"`` raises `MemoryBackendError` / `ScopeError`
            out of the agent).

    Example:
        >>> import tempfile
        >>> from langchain.agents import create_agent
        >>> from mem0_langgraph import EchoChatModel, create_memory
        >>> memory = create_memory(data_dir=tempfile.mkdtemp())  # the offline default
        >>> _ = memory.add("User is vegetarian", user_id="alice", infer=False)
        >>> agent = create_agent(EchoChatModel(), system_prompt="You are a cook.",
        ...                      middleware=[Mem0Middleware(memory, sync_store=True, store_roles=("user",))])
        >>> out = agent.invoke({"messages": [("user", "What should I cook tonight?")]},
        ...                    {"configurable": {"user_id": "alice", "thread_id": "t1"}})
        >>> print(out["messages"][-1].content)
        [offline echo model] memory context: [...] "User is vegetarian" | user said: What should I cook tonight?
        >>> out["memory_trace"]["recall"], out["memory_trace"]["write"]["reason"]  # a request: nothing to keep
        (True, 'reveals nothing about the user; reply: advice given to the user')
        >>> [m.type for m in out["messages"]]  # the memories are not in the history
        ['human', 'ai']
    """

    state_schema = Mem0State  # type: ignore[assignment]

    def __init__(self, memory: Any = None, *, memory_prompt: str = DEFAULT_MEMORY_PROMPT,
                 **options: Unpack[MemoryOptions]) -> None:
        super().__init__()
        self.recaller, self.storer = build_components(memory, **options)
        self.memory_prompt = memory_prompt

    # -- recall: once per user turn ----------------------------------------
    def before_model(self, state: Mem0State[ResponseT], runtime: Any) -> dict[str, Any] | None:
        """Recall for the newest human message, unless this turn already did."""
        messages, turn = _turn(state)
        if turn is None:
            return None
        config = _run_config()
        result = self.recaller.recall(messages, config, runtime)
        emit_trace(RECALL_EVENT, dict(result.trace), config or {})
        return _recall_update(turn, result)

    async def abefore_model(self, state: Mem0State[ResponseT], runtime: Any) -> dict[str, Any] | None:
        """Async twin of `before_model`."""
        messages, turn = _turn(state)
        if turn is None:
            return None
        config = _run_config()
        result = await self.recaller.arecall(messages, config, runtime)
        await aemit_trace(RECALL_EVENT, dict(result.trace), config or {})
        return _recall_update(turn, result)

    # -- inject: every model call of the turn, never into state ------------
    def wrap_model_call(
        self,
        request: ModelRequest[ContextT],
        handler: Callable[[ModelRequest[ContextT]], ModelResponse[ResponseT]],
    ) -> ModelResponse[ResponseT]:
        """Call the model with this turn's memories added to the system prompt."""
        return handler(self._with_memories(request))

    async def awrap_model_call(
        self,
        request: ModelRequest[ContextT],
        handler: Callable[[ModelRequest[ContextT]], Awaitable[ModelResponse[ResponseT]]],
    ) -> ModelResponse[ResponseT]:
        """Async twin of `wrap_model_call`."""
        return await handler(self._with_memories(request))

    def _with_memories(self, request: ModelRequest[ContextT]) -> ModelRequest[ContextT]:
        turn = (request.state or {}).get(TURN_KEY) or {}
        note = render_memories(turn.get("memories") or [], prompt=self.memory_prompt)
        if note is None:
            return request
        return request.override(system_message=_merge_system(request.system_message, note))

    # -- store: once per run, after the final answer ------------------------
    def after_agent(self, state: Mem0State[ResponseT], runtime: Any) -> dict[str, Any] | None:
        """Queue the newest exchange (human turn and final answer) for storage."""
        config = _run_config()
        part = self.storer.store(state.get("messages") or [], config, runtime, recalled=_recalled(state))
        emit_trace(STORE_EVENT, dict(part), config or {})
        return _store_update(state, part)

    async def aafter_agent(self, state: Mem0State[ResponseT], runtime: Any) -> dict[str, Any] | None:
        """Async twin of `after_agent`."""
        config = _run_config()
        part = await self.storer.astore(state.get("messages") or [], config, runtime, recalled=_recalled(state))
        await aemit_trace(STORE_EVENT, dict(part), config or {})
        return _store_update(state, part)

    def flush(self, timeout: float | None = None) -> bool:
        """Wait until every queued write is done; False on timeout."""
        return self.storer.flush(timeout)

    async def aflush(self, timeout: float | None = None) -> bool:
        """Async twin of `flush`."""
        return await self.storer.aflush(timeout)


def _turn(state: Any) -> tuple[list[BaseMessage], str | None]:
    """The messages and this turn's key, or a None key when the turn was already recalled."""
    messages = list(state.get("messages") or [])
    idx = last_of_type(messages, "human", with_text=False)
    if idx is None:
        key = ""
    else:
        human = messages[idx]
        # The id names the turn (a hand-built state may have none: use the position);
        # the text digest makes an edited message a new turn.
        digest = hashlib.sha1(message_text(human).encode()).hexdigest()[:16]
        key = f"{human.id or idx}:{digest}"
    previous = state.get(TURN_KEY)
    if previous is not None and previous.get("turn") == key:
        return messages, None
    return messages, key


def _recalled(state: Any) -> list[RecalledMemory]:
    """This turn's recalled memories: the write gate does not store a reply that only repeats them."""
    return list((state.get(TURN_KEY) or {}).get("memories") or [])


def _recall_update(turn: str, result: RecallResult) -> dict[str, Any]:
    return {TURN_KEY: TurnMemory(turn=turn, memories=result.memories), TRACE_KEY: result.trace}


def _store_update(state: Any, part: TurnTrace) -> dict[str, Any]:
    return {TRACE_KEY: merge_trace(state.get(TRACE_KEY), part)}


def _merge_system(base: SystemMessage | None, note: SystemMessage) -> SystemMessage:
    """The app's system message followed by the memory block, as one system message.

    The app's prompt stays first (a cached prompt prefix stays valid); the result
    carries `MEMORY_MESSAGE_ID`, so tools and test models can recognise it.
    """
    if base is None:
        return note
    text = note.content if isinstance(note.content, str) else message_text(note)
    if isinstance(base.content, str):
        content: Any = f"{base.content}\n\n{text}" if base.content else text
    else:
        content = [*base.content, {"type": "text", "text": text}]
    return base.model_copy(update={"content": content, "id": MEMORY_MESSAGE_ID})


def _run_config() -> RunnableConfig | None:
    """The config of the graph run we are in, or None when a hook is called directly."""
    try:
        return get_config()
    except RuntimeError:  # outside a runnable context (a unit test calling a hook): no config
        return None
