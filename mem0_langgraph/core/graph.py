"""`with_memory`: wrap any LangGraph node or chat model in recall-before / store-after.

The returned (uncompiled) graph is ``START -> recall -> your node -> store -> END``.
Your node receives the recalled memories as a system message prepended to the
messages it is given, for that call only: the message is never returned into
state, so it cannot accumulate in the checkpointed history.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from langchain_core.runnables import Runnable, RunnableConfig
from langchain_core.runnables.config import merge_configs
from langgraph.graph import END, START, StateGraph
from typing_extensions import Unpack

from mem0_langgraph.core._node import StateNode
from mem0_langgraph.core.options import MemoryOptions, build_components
from mem0_langgraph.core.recall import RecallNode
from mem0_langgraph.core.render import (
    DEFAULT_MEMORY_PROMPT,
    MEMORY_MESSAGE_ID,
    inject_memories,
)
from mem0_langgraph.core.state import RECALL_KEY, TRACE_KEY, MemoryState
from mem0_langgraph.core.store import StoreNode


class MemoryAwareNode(StateNode):
    """Runs the user's node (or chat model) with this turn's memories prepended.

    Args:
        node: A chat model, any Runnable taking the state, or a node function
            ``(state)`` / ``(state, config)``, sync or async (LangGraph's injection
            of ``config``, ``runtime``, ``store`` applies as usual).
        recall_key: State key holding this turn's memories.
        trace_key: State key holding this turn's trace; a summary goes into the
            call's run metadata (``mem0_recall``, ``mem0_memory_ids``, ...).
        prompt: The framing sentence of the memory message.
    """

    def __init__(self, node: Any, *, recall_key: str = RECALL_KEY, trace_key: str = TRACE_KEY,
                 prompt: str = DEFAULT_MEMORY_PROMPT, name: str | None = None) -> None:
        from langchain_core.language_models import BaseLanguageModel

        self.is_model = isinstance(node, BaseLanguageModel)
        self.name = name or getattr(node, "name", None) or getattr(node, "__name__", None) or "agent"
        self.runnable: Runnable = _coerce(node, self.name)
        self.recall_key = recall_key
        self.trace_key = trace_key
        self.prompt = prompt

    def _prepare(self, state: dict, config: RunnableConfig) -> tuple[Any, RunnableConfig]:
        messages = inject_memories(state.get("messages") or [], state.get(self.recall_key), prompt=self.prompt)
        trace = state.get(self.trace_key) or {}
        metadata = {
            "mem0_recall": bool(trace.get("recall")),
            "mem0_gate_score": trace.get("score"),
            "mem0_gate_reason": trace.get("reason"),
            "mem0_memory_ids": [m.get("id") for m in trace.get("memories", [])],
        }
        child = merge_configs(config, {"metadata": metadata})
        return (messages if self.is_model else {**state, "messages": messages}), child

    def _process(self, result: Any) -> Any:
        if self.is_model:
            return {"messages": [result]}
        if isinstance(result, dict) and isinstance(result.get("messages"), Sequence):
            kept = [m for m in result["messages"] if getattr(m, "id", None) != MEMORY_MESSAGE_ID]
            result = {**result, "messages": kept}
            result.pop(self.recall_key, None)  # the recall node owns this key
        return result

    def _run(self, state: dict, config: RunnableConfig) -> Any:
        input_, child = self._prepare(state, config)
        return self._process(self.runnable.invoke(input_, child))

    async def _arun(self, state: dict, config: RunnableConfig) -> Any:
        input_, child = self._prepare(state, config)
        return self._process(await self.runnable.ainvoke(input_, child))


def with_memory(
    node: Any,
    *,
    memory: Any = None,
    memory_prompt: str = DEFAULT_MEMORY_PROMPT,
    state_schema: type = MemoryState,
    context_schema: type | None = None,
    node_name: str = "agent",
    **options: Unpack[MemoryOptions],
) -> StateGraph:
    """Wrap ``node`` in recall-before and store-after; returns an uncompiled `StateGraph`.

    Args:
        node: Your LLM node: a chat model, a Runnable, or a node function (sync or async).
        memory: A mem0 ``Memory`` / ``AsyncMemory`` / ``MemoryClient``, a mem0 config dict,
            a `MemoryBackend`, or None for the embedded offline default (`create_memory`).
        memory_prompt: The framing sentence of the memory message.
        state_schema: The graph state; must include `MemoryState`'s keys. Default `MemoryState`.
        context_schema: LangGraph runtime context schema (scope ids may live there).
        node_name: Name of your node in the graph. Default ``"agent"``.
        **options: `MemoryOptions`: gate, scopes, recall limits (``top_k``, ``search_k``,
            ``min_score``, ``max_tokens``, ``recent_window``), store options (``writer``,
            ``sync_store``, ``write_policy``, ``store_roles``, ``store_max_chars``) and ``on_error``.

    Returns:
        A `StateGraph` with nodes ``recall``, ``node_name`` and ``store``; compile it with
        any checkpointer.

    Example:
        >>> import tempfile
        >>> from mem0_langgraph import EchoChatModel, create_memory
        >>> memory = create_memory(data_dir=tempfile.mkdtemp())  # the offline default
        >>> graph = with_memory(EchoChatModel(), memory=memory, sync_store=True, store_roles=("user",)).compile()
        >>> alice = {"configurable": {"user_id": "alice", "thread_id": "t1"}}
        >>> _ = graph.invoke({"messages": [("user", "I'm vegetarian.")]}, alice)
        >>> out = graph.invoke({"messages": [("user", "What should I cook tonight?")]}, alice)
        >>> out["memory_trace"]["recall"], [m["memory"] for m in out["recalled_memories"]]
        (True, ["I'm vegetarian."])
        >>> [m.type for m in out["messages"]]  # the memory went to the model, not into the history
        ['human', 'ai']
    """
    recaller, storer = build_components(memory, **options)
    builder = StateGraph(state_schema, context_schema=context_schema)
    builder.add_node("recall", RecallNode(recaller=recaller))
    builder.add_node(node_name, MemoryAwareNode(node, prompt=memory_prompt, name=node_name))
    builder.add_node("store", StoreNode(storer=storer))
    builder.add_edge(START, "recall")
    builder.add_edge("recall", node_name)
    builder.add_edge(node_name, "store")
    builder.add_edge("store", END)
    return builder


def _coerce(node: Any, name: str) -> Runnable:
    """Turn a node function into a Runnable the way ``StateGraph.add_node`` does."""
    if isinstance(node, Runnable):
        return node
    if not callable(node):
        raise TypeError(f"node must be a chat model, a Runnable or a callable, got {type(node).__name__}")
    try:
        # LangGraph's own coercion keeps its injection of config / runtime / store.
        from langgraph._internal._runnable import coerce_to_runnable
    except ImportError:  # a future LangGraph moved it: plain RunnableLambda still injects config
        from langchain_core.runnables import RunnableLambda

        return RunnableLambda(node, name=name)
    return coerce_to_runnable(node, name=name, trace=True)
