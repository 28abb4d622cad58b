"""`Mem0Memory`: gated mem0 memory for classic LangChain chains (``langchain_classic``).

A thin adapter over `Recaller` and `Storer` with the ``BaseMemory`` interface,
for ``ConversationChain``, ``LLMChain`` and friends. Classic chains have no run
config, so the scope is set on the memory object itself (``user_id``,
``agent_id``, ``run_id``). Like ``ZepMemory``, it reads the input from
``input_key`` (or the single non-memory input) and the answer from
``output_key`` (or the single output).

This module imports ``langchain_classic`` (``pip install "mem0-langgraph[classic]"``);
``mem0_langgraph`` loads it only when ``Mem0Memory`` is first used.
"""

from __future__ import annotations

from typing import Any

from langchain_core.messages import AIMessage, BaseMessage, HumanMessage
from langchain_core.runnables import RunnableConfig
from pydantic import Field, PrivateAttr

try:
    from langchain_classic.base_memory import BaseMemory
    from langchain_classic.memory.utils import get_prompt_input_key
except ImportError as exc:  # an optional integration: name the extra that provides it
    raise ImportError('Mem0Memory needs langchain-classic: pip install "mem0-langgraph[classic]"') from exc

from mem0_langgraph.backends.base import MemoryBackend
from mem0_langgraph.backends.factory import as_backend
from mem0_langgraph.core.options import build_components
from mem0_langgraph.core.recall import Recaller, RecallResult
from mem0_langgraph.core.render import DEFAULT_MEMORY_PROMPT, render_memories
from mem0_langgraph.core.scopes import Scope, ScopeConfig
from mem0_langgraph.core.store import Storer


class Mem0Memory(BaseMemory):
    """Gated long-term memory for classic chains, on mem0.

    ``load_memory_variables`` runs the recall gate on the chain's input and, when
    it fires, searches this scope's memories; the result is one quoted memory
    block (a string, or a list with one ``SystemMessage`` when
    ``return_messages=True``), empty when there is nothing to recall.
    ``save_context`` stores the exchange (in the background by default; call
    `flush` before reading back in the same process). Each object with the
    default writer gets its own writer thread at its first write: when you make
    one per session, share one ``writer=BackgroundWriter(backend)`` between them.

    Attributes:
        memory: A mem0 ``Memory`` / ``MemoryClient``, a mem0 config dict, a `MemoryBackend`,
            or None for the embedded offline default (`create_memory`); normalised once
            into a `MemoryBackend`.
        user_id: The user whose memories are read and written. Required by the default scopes.
        agent_id: The agent id: when set, memories are written and searched for this user
            with this agent. Default None.
        run_id: The session id; stored exchanges are tagged with it. Default None.
        memory_key: The chain input variable the memories fill. Default ``"history"``.
        input_key: The input holding the user's message. Default: the single input
            that is not a memory variable.
        output_key: The output holding the answer. Default: the single output, else ``"output"``.
        return_messages: Return a list of messages instead of a string. Default False.
        memory_prompt: The framing sentence of the memory block.
        options: The `MemoryOptions` given (gate, scopes, recall limits, store options,
            ``on_error``), each applied; their defaults are documented there, once. ``on_error``
            applies to recall and store; `clear` always raises. Unknown keys raise the same
            ``TypeError`` as `with_memory`.

    Example:
        >>> import tempfile
        >>> from mem0_langgraph import create_memory
        >>> backend = create_memory(data_dir=tempfile.mkdtemp())  # the offline default
        >>> memory = Mem0Memory(memory=backend, user_id="alice", store_roles=("user",), sync_store=True)
        >>> memory.memory_variables
        ['history']
        >>> memory.save_context({"input": "I'm vegetarian"}, {"output": "Noted!"})
        >>> print(memory.load_memory_variables({"input": "What should I cook tonight?"})["history"])
        Memories from earlier conversations with this user, ...
        <memories>
        - [...] "I'm vegetarian"
        </memories>
        >>> memory.load_memory_variables({"input": "thanks!"})  # the gate says no: no search
        {'history': ''}
        >>> memory.clear()  # deletes this user's memories in the backend
        >>> memory.load_memory_variables({"input": "What should I cook tonight?"})
        {'history': ''}
    """

    memory: Any = None
    user_id: str | None = None
    agent_id: str | None = None
    run_id: str | None = None
    memory_key: str = "history"
    input_key: str | None = None
    output_key: str | None = None
    return_messages: bool = False
    memory_prompt: str = DEFAULT_MEMORY_PROMPT
    options: dict[str, Any] = Field(default_factory=dict)

    _recaller: Recaller = PrivateAttr()
    _storer: Storer = PrivateAttr()
    _config: RunnableConfig = PrivateAttr()
    _recalled: list[Any] = PrivateAttr(default_factory=list)

    def __init__(self, **data: Any) -> None:
        """Build the shared backend, recaller and storer; check the options and the scope now.

        Keyword arguments that are not fields of this class are `MemoryOptions`; they are
        collected into ``options`` and applied.

        Raises:
            TypeError: An unknown option.
            ScopeError: A required scope id (``user_id`` by default) is missing or malformed.
        """
        options = {k: data.pop(k) for k in list(data) if k not in type(self).model_fields}
        options.update(data.pop("options", None) or {})
        super().__init__(**data, options=options)
        # Set up after pydantic's validation, so a ScopeError reaches the caller as itself.
        backend: MemoryBackend = as_backend(self.memory)
        self.memory = backend  # copies of this object (configurable fields) share the backend
        scope = Scope(user_id=self.user_id, agent_id=self.agent_id, run_id=self.run_id)  # validates the ids
        scopes: ScopeConfig = options.get("scopes") or ScopeConfig()
        ids = {scopes.user_key: scope.user_id, scopes.agent_key: scope.agent_id, scopes.run_key: scope.run_id}
        self._config = {"configurable": {k: v for k, v in ids.items() if v is not None}}
        scopes.resolve(self._config)  # raises ScopeError naming the missing id
        for level in ("user", "agent", "run"):
            if scope.get(level) is not None and level not in scopes.write_levels + scopes.search_levels:
                raise ValueError(f"{level}_id={scope.get(level)!r} is set but scopes= neither writes nor searches the "
                                 f"{level!r} level; add it to write_levels / search_levels, or drop the id")
        # A classic chain hands over one input, not a message window: recent_window=0 unless set.
        self._recaller, self._storer = build_components(backend, **{"recent_window": 0, **options})

    @property
    def memory_variables(self) -> list[str]:
        """The one chain input this memory fills: ``[memory_key]``."""
        return [self.memory_key]

    # -- recall --------------------------------------------------------------
    def load_memory_variables(self, inputs: dict[str, Any]) -> dict[str, Any]:
        """Recall for the chain's input: ``{memory_key: text or messages}``, empty when the gate says no."""
        return self._variables(self._recaller.recall(self._question(inputs), self._config))

    async def aload_memory_variables(self, inputs: dict[str, Any]) -> dict[str, Any]:
        """Async twin of `load_memory_variables`."""
        return self._variables(await self._recaller.arecall(self._question(inputs), self._config))

    def _question(self, inputs: dict[str, Any]) -> list[BaseMessage]:
        key = self.input_key or get_prompt_input_key(inputs, self.memory_variables)
        return [_as_message(inputs[key], HumanMessage)]

    def _variables(self, result: RecallResult) -> dict[str, Any]:
        self._recalled = list(result.memories)  # save_context's write gate skips a reply that only repeats them
        note = render_memories(result.memories, prompt=self.memory_prompt)
        if self.return_messages:
            return {self.memory_key: [note] if note is not None else []}
        return {self.memory_key: note.content if note is not None else ""}

    # -- store ---------------------------------------------------------------
    def save_context(self, inputs: dict[str, Any], outputs: dict[str, Any]) -> None:
        """Store the exchange (the input and the answer) under this scope."""
        self._storer.store(self._exchange(inputs, outputs), self._config, recalled=self._recalled)

    async def asave_context(self, inputs: dict[str, Any], outputs: dict[str, Any]) -> None:
        """Async twin of `save_context`."""
        await self._storer.astore(self._exchange(inputs, outputs), self._config, recalled=self._recalled)

    def _exchange(self, inputs: dict[str, Any], outputs: dict[str, Any]) -> list[BaseMessage]:
        human = self._question(inputs)[0]
        if self.output_key is not None:
            out_key = self.output_key
        elif len(outputs) == 1:
            out_key = next(iter(outputs))
        elif "output" in outputs:
            out_key = "output"
        else:
            raise ValueError(f"Mem0Memory got several outputs {sorted(outputs)}; set output_key= to the answer's key")
        return [human, _as_message(outputs[out_key], AIMessage)]

    def flush(self, timeout: float | None = None) -> bool:
        """Wait until every queued write is done; False on timeout."""
        return self._storer.flush(timeout)

    async def aflush(self, timeout: float | None = None) -> bool:
        """Async twin of `flush`."""
        return await self._storer.aflush(timeout)

    # -- clear ---------------------------------------------------------------
    def clear(self) -> None:
        """Delete every memory this object can recall. Destructive and permanent.

        With the default scopes that is ALL of ``user_id``'s memories (from every
        session and app sharing the store), not only this conversation's. Pending
        writes are flushed first, so none lands after the clear. Failures always
        raise `MemoryBackendError`, whatever ``on_error`` says.
        """
        self._storer.flush()
        self._recaller.backend.delete_all(ids=self._clear_ids())

    async def aclear(self) -> None:
        """Async twin of `clear`. Destructive and permanent."""
        await self._storer.aflush()
        await self._recaller.backend.adelete_all(ids=self._clear_ids())

    def _clear_ids(self) -> dict[str, str]:
        scopes = self._recaller.scopes
        return scopes.search_filters(scopes.resolve(self._config))


def _as_message(value: Any, cls: type[BaseMessage]) -> BaseMessage:
    """A chain value as a message: messages pass through, strings and content blocks are wrapped.

    None is no text (never the word "None"); any other value, a list with items that are
    not content blocks included, becomes its ``str()``, as a prompt template would format it.

    Example:
        >>> _as_message(None, HumanMessage).content, _as_message(["tea", 2], HumanMessage).content
        ('', "['tea', 2]")
    """
    if isinstance(value, BaseMessage):
        return value
    if value is None:
        return cls(content="")
    if isinstance(value, str) or (isinstance(value, list) and all(isinstance(b, (str, dict)) for b in value)):
        return cls(content=value)
    return cls(content=str(value))
