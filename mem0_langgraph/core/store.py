"""Store-after: save what is worth remembering of the newest exchange, off the response path.

`Storer` holds the logic once for every adapter: find the newest human turn
and the AI reply after it, ask the write policy and the write gate what to keep
(the user's statement, the assistant's advice, or nothing), tag each kept message
with the scope ids, its category and when it was said, and hand it to a writer.
The writer writes through a `SupersedingBackend`, so older memories that a new one
replaces are marked in the background. `StoreNode` is the graph node; by default
its writer is a `BackgroundWriter`, so the turn only pays for the gate's regexes
and an enqueue.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections import OrderedDict
from collections.abc import Sequence
from typing import Any, Protocol, runtime_checkable

from langchain_core.messages import BaseMessage
from langchain_core.runnables import RunnableConfig
from typing_extensions import Unpack

from mem0_langgraph.backends.base import MemoryBackend
from mem0_langgraph.core._node import StateNode, aemit_trace, emit_trace
from mem0_langgraph.core._steps import Steps, call, run_async, run_sync
from mem0_langgraph.core._text import clip, is_trivial, last_of_type, message_text, scrub
from mem0_langgraph.core.entities import indexing
from mem0_langgraph.core.options import StorerOptions, resolve_options
from mem0_langgraph.core.scopes import Scope, ScopeConfig
from mem0_langgraph.core.state import RECALL_KEY, TRACE_KEY, TurnTrace, merge_trace
from mem0_langgraph.core.supersede import superseding
from mem0_langgraph.core.timeinfo import SAID_AT_KEY, iso, now_utc, said_at_of
from mem0_langgraph.core.writer import MemoryWriter, SyncWriter, WriteJob, shared_writer
from mem0_langgraph.errors import check_on_error, handle_memory_error
from mem0_langgraph.gates.write import Exchange, RuleWriteGate, WriteDecision, WriteGate

logger = logging.getLogger("mem0_langgraph")

TRACE_EVENT = "mem0_langgraph_store"
_RECENT_EXCHANGES = 4096  # exchange keys already stored, so a replayed node does not store twice


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
        backend: The `MemoryBackend` written to (built once by the adapter, see `as_backend`).
        **options: `StorerOptions`: ``scopes``, ``writer``, ``sync_store``, ``write_policy``, ``write_gate``,
            ``supersede``, ``store_roles``, ``store_max_chars``, ``store_metadata``, ``on_error``; each option's
            default and meaning is documented there, once. The old names ``sync``, ``policy``,
            ``roles``, ``max_chars`` and ``metadata`` still work, with a `DeprecationWarning`.

    Raises:
        TypeError: An unknown option.
        ValueError: ``writer`` with ``sync_store=True``, or bad ``store_roles``.
    """

    def __init__(self, backend: MemoryBackend, **options: Unpack[StorerOptions]) -> None:
        o = resolve_options(options, StorerOptions, where="Storer")
        if not isinstance(backend, MemoryBackend):
            raise TypeError(f"Storer needs a MemoryBackend (see as_backend), got {type(backend).__name__}")
        if o["writer"] is not None and o["sync_store"]:
            raise ValueError("pass either writer= or sync_store=True, not both")
        roles = tuple(o["store_roles"])
        if not roles or set(roles) - {"user", "assistant"}:
            raise ValueError(f"store_roles must be a non-empty subset of ('user', 'assistant'), got {roles}")
        self.backend = backend
        judge = o["supersede"]
        self.write_backend: MemoryBackend = indexing(backend if judge is None else superseding(
            backend, None if judge == "default" else judge))
        """What the writer writes through: ``backend``, wrapped to mark superseded memories unless off, and to
        keep the entity index (`IndexingBackend`)."""
        self.scopes: ScopeConfig = o["scopes"] or ScopeConfig()
        self.writer: MemoryWriter = o["writer"] or (SyncWriter(self.write_backend) if o["sync_store"]
                                                    else shared_writer(self.write_backend))
        self.policy: WritePolicy = o["write_policy"] or SkipTrivialTurns()
        self.gate: WriteGate = o["write_gate"] if o["write_gate"] is not None else RuleWriteGate()
        if not isinstance(self.gate, WriteGate):
            raise TypeError(f"write_gate must implement judge() and ajudge(), got {type(self.gate).__name__}")
        self.roles = roles
        self.max_chars: int = o["store_max_chars"]
        self.metadata: dict[str, Any] = dict(o["store_metadata"] or {})
        self.on_error = check_on_error(o["on_error"])
        self._stored: OrderedDict[tuple[Any, ...], None] = OrderedDict()

    def store(self, messages: Sequence[BaseMessage], config: RunnableConfig | None = None,
              runtime: Any = None, *, recalled: Sequence[Any] | None = None) -> TurnTrace:
        """Queue what the write gate keeps of the newest exchange; returns the store part of the turn's trace.

        Args:
            messages: The conversation; the newest human turn and the AI reply after it are judged.
            config: The run's config (scope ids, ``thread_id``).
            runtime: The LangGraph runtime (scope ids from its context).
            recalled: This turn's recalled memories (`RecalledMemory` dicts or texts): a reply that only
                repeats them is not stored.
        """
        trace: TurnTrace = {}
        try:
            return run_sync(self._steps(messages, config, runtime, trace, recalled))
        except Exception as exc:  # memory must not take the turn down; on_error decides
            return self._failed(trace, exc)

    async def astore(self, messages: Sequence[BaseMessage], config: RunnableConfig | None = None,
                     runtime: Any = None, *, recalled: Sequence[Any] | None = None) -> TurnTrace:
        """Async twin of `store`."""
        trace: TurnTrace = {}
        try:
            return await run_async(self._steps(messages, config, runtime, trace, recalled))
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
               trace: TurnTrace, recalled: Sequence[Any] | None) -> Steps[TurnTrace]:
        t0 = time.perf_counter()
        trace.update(stored=False, store_reason="")
        exchange = self._exchange(messages, recalled, trace)
        if exchange is not None:
            human_msg, ex = exchange
            decision = yield call(self.gate.judge, self.gate.ajudge, ex)
            trace["write"] = {"user": decision.user, "assistant": decision.assistant, "category": decision.category,
                              "reason": decision.reason, **({"expires": decision.expires} if decision.expires else {})}
            jobs = self._jobs(human_msg, ex, decision, config, runtime, trace)
            for job in jobs:
                yield call(self.writer.submit, self.writer.asubmit, job)
            if jobs:
                trace.update(stored=True, store_reason="queued")
                self._stored[jobs[0].key] = None
                while len(self._stored) > _RECENT_EXCHANGES:
                    self._stored.popitem(last=False)
        trace["latency_ms"] = {"store": round((time.perf_counter() - t0) * 1000, 3)}
        logger.debug("mem0-langgraph store: %s", trace["store_reason"])
        return trace

    def _exchange(self, messages: Sequence[BaseMessage], recalled: Sequence[Any] | None,
                  trace: TurnTrace) -> tuple[BaseMessage, Exchange] | None:
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
        if (reason := self.policy.skip_reason(human, ai)) is not None:
            trace["store_reason"] = f"skipped: {reason}"
            return None
        texts = tuple(str(m.get("memory", "")) if isinstance(m, dict) else str(m) for m in recalled or ())
        return human_msg, Exchange(user=human, assistant=ai, recalled=texts, said_at=said_at_of(human_msg) or now_utc())

    def _jobs(self, human_msg: BaseMessage, ex: Exchange, decision: WriteDecision, config: RunnableConfig | None,
              runtime: Any, trace: TurnTrace) -> list[WriteJob]:
        roles = [r for r in self.roles if r in decision.roles and (ex.user if r == "user" else ex.assistant)]
        if not roles:
            trace["store_reason"] = f"skipped: {decision.reason}" if not decision.store else \
                f"skipped: store_roles={self.roles} keep none of {decision.roles}"
            return []
        scope = self.scopes.resolve(config, runtime)
        thread = ((config or {}).get("configurable") or {}).get("thread_id")
        key = exchange_key(scope, thread, human_msg.id, ex.user, ex.assistant)
        if key in self._stored:
            trace["store_reason"] = "skipped: exchange already stored"
            return []
        ids = self.scopes.write_ids(scope)
        if len(ex.user) > self.max_chars:
            logger.info("mem0-langgraph store: message of %d characters cut to %d", len(ex.user), self.max_chars)
        said = iso(ex.said_at or now_utc())
        base = {**self.metadata, "source": "mem0_langgraph", "stored_at": iso(now_utc()),
                SAID_AT_KEY: said, "created_at": said}
        if human_msg.id:
            base["message_id"] = scrub(str(human_msg.id))  # ids are user input too: no lone surrogates into the store
        jobs = []
        for role in roles:
            meta = {**base, "category": decision.category or "fact"} if role == "user" else \
                {**base, "category": "advice"}
            if role == "user" and decision.expires:
                meta["expiration_date"] = decision.expires
            # One job per kept side: each has its own category; the user side keeps the exchange's key.
            job_key = key if role == roles[0] else f"{key}:{role}"
            meta["exchange_key"] = job_key
            text = clip(ex.user if role == "user" else ex.assistant, self.max_chars)
            jobs.append(WriteJob(messages=({"role": role, "content": text},), ids=ids, metadata=meta, key=job_key))
        return jobs


def exchange_key(scope: Scope, thread: Any, message_id: str | None, human: str, ai: str) -> str:
    """A key naming one exchange in one scope and thread: deduplication and idempotent replay use it.

    Two users (or two threads) whose messages share an id get different keys, and so does
    a message edited and resent under the same id.

    Example:
        >>> a = exchange_key(Scope(user_id="alice"), "t1", "m1", "I'm vegetarian", "Noted")
        >>> a == exchange_key(Scope(user_id="bob"), "t1", "m1", "I'm vegetarian", "Noted"), len(a)
        (False, 32)
    """
    parts = (scope.user_id, scope.agent_id, scope.run_id, thread, message_id, human, ai)
    raw = "\x1f".join("" if p is None else str(p) for p in parts)
    return hashlib.sha256(raw.encode("utf-8", "replace")).hexdigest()[:32]


class StoreNode(StateNode):
    """Store-after node: queues the newest exchange and adds the store trace.

    Takes ``memory`` (anything `as_backend` accepts) and `StorerOptions`, or a ready
    ``storer``; plus ``trace_key`` and ``name``. Call `flush` (or
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
        >>> update["memory_trace"]["write"]["category"]
        'preference'
        >>> [m["memory"] for m in memory.get_all(filters={"user_id": "alice", "run_id": "t1"})["results"]]
        ["I'm vegetarian"]
    """

    def __init__(self, memory: Any = None, *, storer: Storer | None = None, trace_key: str = TRACE_KEY,
                 name: str = "store_memories", **options: Unpack[StorerOptions]) -> None:
        if storer is not None and (memory is not None or options):
            raise TypeError("pass either storer= or memory= and options, not both")
        if storer is None:
            from mem0_langgraph.backends.factory import as_backend

            storer = Storer(as_backend(memory), **options)
        self.storer = storer
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
        part = self.storer.store(state.get("messages") or [], config, recalled=state.get(RECALL_KEY))
        emit_trace(TRACE_EVENT, dict(part), config)
        return self._update(state, part)

    async def _arun(self, state: dict, config: RunnableConfig) -> dict:
        part = await self.storer.astore(state.get("messages") or [], config, recalled=state.get(RECALL_KEY))
        await aemit_trace(TRACE_EVENT, dict(part), config)
        return self._update(state, part)
