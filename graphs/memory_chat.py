"""A plain memory chatbot: a chat model wrapped by `with_memory` (recall-before, store-after).

Graph: ``START -> recall -> agent -> store -> END``. The recall gate's decision is the
``recall`` node's output (``memory_trace``: decision, score, reason, memory ids,
latencies), so LangGraph Studio shows it for every turn, and it rides along as run
metadata (``mem0_recall``, ``mem0_memory_ids``) on the model call.

``graph`` is what ``langgraph dev`` serves (see ``langgraph.json``): the model is
OpenAI when ``OPENAI_API_KEY`` is set (``MEM0_LANGGRAPH_CHAT_MODEL`` picks which),
else the offline echo model; the store is the embedded default under
``$MEM0_LANGGRAPH_DATA_DIR`` or ``~/.mem0_langgraph``, opened on the first turn, not at
import. `make_graph` builds one on your own memory and model. Invoke with
``{"configurable": {"user_id": "...", "thread_id": "..."}}``.
"""

from __future__ import annotations

from typing import Any

from mem0_langgraph import with_memory
from mem0_langgraph.backends.lazy import default_memory


def make_graph(*, memory: Any = None, model: Any = None, checkpointer: Any = None, **options: Any) -> Any:
    """Build and compile the chatbot.

    Args:
        memory: Anything `as_backend` accepts. Default: the embedded store, opened on first use.
        model: The chat model. Default: as the demo picks (OpenAI with a key, else the echo model).
        checkpointer: Passed to ``compile``.
        **options: `MemoryOptions` (gate, scopes, recall limits, store options).
    """
    from mem0_langgraph.cli.demo import pick_model

    if model is None:
        chosen = pick_model(None)
        # The echo model's replies are copies of its input: storing them would only store noise.
        model = chosen.model
        if chosen.echo:
            options.setdefault("store_roles", ("user",))
    return with_memory(model, memory=memory if memory is not None else default_memory(), **options).compile(
        checkpointer=checkpointer, name="memory_chat")


graph = make_graph()
"""The graph ``langgraph dev`` serves; the store opens on its first turn."""
