"""Store-after: save the newest exchange to memory, off the response path.

`Storer` holds the logic once for every adapter: find the newest human turn
and the AI reply after it, ask the write policy, tag the exchange with the
scope ids and hand it to a writer. `StoreNode` is the graph node; by default its
writer is a `BackgroundWriter`, so the turn only pays for an enqueue.
"""

from __future__ import annotations

import logging
import time
from collections import OrderedDict
from collections.abc import Sequence
from datetime import datetime, timezone
from typing import Any, Protocol, runtime_checkable

from langchain_core.messages import BaseMessage
from langchain_core.runnables import RunnableConfig

from mem0_langgraph._node import StateNode, aemit_trace, emit_trace
from mem0_langgraph._steps import Steps, call, run_async, run_sync
from mem0_langgraph._text import clip, is_trivial, last_of_type, message_text
from mem0_langgraph.backend import MemoryBackend, as_backend
from mem0_langgraph.errors import OnError, check_on_error, handle_memory_error
from mem0_langgraph.scopes import ScopeConfig
from mem0_langgraph.state import TRACE_KEY, TurnTrace, merge_trace
from mem0_langgraph.writer import BackgroundWriter, MemoryWriter, SyncWriter, WriteJob

logger = logging.getLogger("mem0_langgraph")

TRACE_EVENT = "mem0_langgraph_store"
_RECENT_IDS = 256  # message ids already stored, so a replayed node does not store twice


@runtime_checkable
class WritePolicy(Protocol):
    """Decides whether an exchange is worth storing."""

    def skip_reason(self, human: str, ai: str) -> str | None:
        """Why to skip this exchange, or None to store it."""
        ...


class SkipTrivialTurns:
    """Skip empty turns, greetings, thanks and acknowledgements ("ok", "cool").

    Example:
        >>> SkipTrivialTurns().skip_reason("thanks!", "You're welcome.")
        'trivial turn'
        >>> SkipTrivialTurns().skip_reason("I'm vegetarian", "Noted.") is None
        True
    """

    def skip_reason(self, human: str, ai: str) -> str | None:
        return "trivial turn" if is_trivial(human) else None


class Storer:
    """The store logic shared by `StoreNode` and the LangChain adapters.

    Args:
        memory: A `MemoryBackend`, a mem0 object or config dict, or None for the embedded default.
        scopes: Where ids come from and which levels are written. Default `ScopeConfig()`.
        writer: Where writes go. Default: a `BackgroundWriter` (or a `SyncWriter` with ``sync=True``).
        sync: Write inline, for scripts and tests. Default False.
        policy: The write policy. Default `SkipTrivialTurns`.
        roles: Which sides of the exchange to store. Default ``("user", "assistant")``.
        max_chars: Longer messages are cut to this many characters before storing. Default 8000.
        metadata: Extra metadata stored with every memory.
        on_error: ``"warn"`` (default), ``"raise"`` or ``"ignore"``.
    """

    def __init__(
        self,
        memory: Any = None,
        *,
        scopes: ScopeConfig | None = None,
        writer: MemoryWriter | None = None,
        sync: bool = False,
        policy: WritePolicy | None = None,
        roles: Sequence[str] = ("user", "assistant"),
        max_chars: int = 8000,
        metadata: dict[str, Any] | None = None,
        on_error: OnError = "warn",
    ) -> None:
        if writer is not None and sync:
            raise ValueError("pass either writer= or sync=True, not both")
        bad = set(roles) - {"user", "assistant"}
        if bad or not roles:
            raise ValueError(f"roles must be a non-empty subset of ('user', 'assistant'), got {tuple(roles)}")
        self.backend: MemoryBackend = as_backend(memory)
        self.scopes = scopes or ScopeConfig()
        self.writer: MemoryWriter = writer or (SyncWriter(self.backend) if sync else BackgroundWriter(self.backend))
        self.policy: WritePolicy = policy or SkipTrivialTurns()
        self.roles = tuple(roles)
        self.max_chars = max_chars
        self.metadata = dict(metadata or {})
        self.on_error = check_on_error(on_error)
        self._stored_ids: OrderedDict[str, None] = OrderedDict()

    def store(self, messages: Sequence[BaseMessage], config: RunnableConfig | None = None,
              runtime: Any = None) -> TurnTrace:
        """Queue the newest exchange; returns the store part of the turn's trace."""
        trace: TurnTrace = {}
        try:
            return run_sync(self._steps(messages, config, runtime, trace))
        except Exception as exc:  # memory must not take the turn down; on_error decides
            return self._failed(trace, exc)

    async def astore(self, messages: Sequence[BaseMessage], config: RunnableConfig | None = None,
                     runtime: Any = None) -> TurnTrace:
        """Async twin of `store`."""
        trace: TurnTrace = {}
        try:
            return await run_async(self._steps(messages, config, runtime, trace))
        except Exception as exc:  # memory must not take the turn down; on_error decides
            return self._failed(trace, exc)

    def flush(self, timeout: float | None = None) -> bool:
        """Wait until every queued write is done."""
        return self.writer.flush(timeout)

    async def aflush(self, timeout: float | None = None) -> bool:
        """Async twin of `flush`."""
        return await self.writer.aflush(timeout)

    def _failed(self, trace: TurnTrace, exc: Exception) -> TurnTrace:
        trace.update(stored=False, store_reason="error")
        trace["error"] = handle_memory_error(self.on_error, exc, "memory store")
        return trace

    def _steps(self, messages: Sequence[BaseMessage], config: RunnableConfig | None, runtime: Any,
               trace: TurnTrace) -> Steps[TurnTrace]:
        t0 = time.perf_counter()
        trace.update(stored=False, store_reason="")
        job = self._job(messages, config, runtime, trace)
        if job is not None:
            yield call(self.writer.submit, self.writer.asubmit, job)
            trace.update(stored=True, store_reason="queued")
            human_id = job.metadata.get("message_id")
            if human_id:
                self._stored_ids[human_id] = None
                while len(self._stored_ids) > _RECENT_IDS:
                    self._stored_ids.popitem(last=False)
        trace["latency_ms"] = {"store": round((time.perf_counter() - t0) * 1000, 3)}
        logger.debug("mem0-langgraph store: %s", trace["store_reason"])
        return trace

    def _job(self, messages: Sequence[BaseMessage], config: RunnableConfig | None, runtime: Any,
             trace: TurnTrace) -> WriteJob | None:
        ai_idx = last_of_type(messages, "ai")
        human_idx = last_of_type(messages[:ai_idx] if ai_idx is not None else messages, "human", with_text=False)
        human_msg = messages[human_idx] if human_idx is not None else None
        human = message_text(human_msg) if human_msg is not None else ""
        if human_msg is None or not human:
            trace["store_reason"] = ("skipped: no human message" if human_msg is None
                                     else "skipped: human message has no text")
            logger.info("mem0-langgraph store: %s", trace["store_reason"])
            return None
        ai = message_text(messages[ai_idx]) if ai_idx is not None else ""
        if human_msg.id and human_msg.id in self._stored_ids:
            trace["store_reason"] = "skipped: exchange already stored"
            return None
        if (reason := self.policy.skip_reason(human, ai)) is not None:
            trace["store_reason"] = f"skipped: {reason}"
            return None
        ids = self.scopes.write_ids(self.scopes.resolve(config, runtime))
        turns = {"user": human, "assistant": ai}
        batch = tuple({"role": r, "content": clip(turns[r], self.max_chars)} for r in self.roles if turns[r])
        if len(human) > self.max_chars:
            logger.info("mem0-langgraph store: message of %d characters cut to %d", len(human), self.max_chars)
        metadata = {**self.metadata, "source": "mem0_langgraph",
                    "stored_at": datetime.now(timezone.utc).isoformat()}
        if human_msg.id:
            metadata["message_id"] = human_msg.id
        return WriteJob(messages=batch, ids=ids, metadata=metadata)


class StoreNode(StateNode):
    """Store-after node: queues the newest exchange and adds the store trace.

    Takes the options of `Storer`, plus ``trace_key``. Call `flush` (or
    ``aflush``) before reading memories back in the same process.

    Example:
        >>> import tempfile
        >>> from langchain_core.messages import AIMessage, HumanMessage
        >>> from mem0_langgraph import create_memory
        >>> memory = create_memory(data_dir=tempfile.mkdtemp())  # the offline default
        >>> node = StoreNode(memory=memory)  # background writer
        >>> update = node.invoke({"messages": [HumanMessage("I'm vegetarian"), AIMessage("Noted!")]},
        ...                      {"configurable": {"user_id": "alice", "thread_id": "t1"}})
        >>> node.flush(timeout=30), update["memory_trace"]["stored"]
        (True, True)
        >>> sorted(m["memory"] for m in memory.get_all(filters={"user_id": "alice", "run_id": "t1"})["results"])
        ["I'm vegetarian", 'Noted!']
    """

    def __init__(self, memory: Any = None, *, trace_key: str = TRACE_KEY, name: str = "store_memories",
                 **options: Any) -> None:
        self.storer: Storer = options.pop("storer", None) or Storer(memory, **options)
        self.trace_key = trace_key
        self.name = name

    def flush(self, timeout: float | None = None) -> bool:
        """Wait until every queued write is done; False on timeout."""
        return self.storer.flush(timeout)

    async def aflush(self, timeout: float | None = None) -> bool:
        """Async twin of `flush`."""
        return await self.storer.aflush(timeout)

    def _update(self, state: dict, part: TurnTrace) -> dict:
        return {self.trace_key: merge_trace(state.get(self.trace_key), part)}

    def _run(self, state: dict, config: RunnableConfig) -> dict:
        part = self.storer.store(state.get("messages") or [], config)
        emit_trace(TRACE_EVENT, dict(part), config)
        return self._update(state, part)

    async def _arun(self, state: dict, config: RunnableConfig) -> dict:
        part = await self.storer.astore(state.get("messages") or [], config)
        await aemit_trace(TRACE_EVENT, dict(part), config)
        return self._update(state, part)
