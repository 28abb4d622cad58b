"""An example graph: a chat model wrapped in gated mem0 memory.

Import ``graph`` from here in your own app, or point ``langgraph dev`` at
``graphs/memory_chat.py:graph``. The model is OpenAI when ``OPENAI_API_KEY``
is set (``MEM0_LANGGRAPH_CHAT_MODEL`` picks which), else the offline echo model.
Pass ``user_id`` (and ``thread_id``) in ``configurable``.
"""

from __future__ import annotations

from mem0_langgraph import create_memory, with_memory
from mem0_langgraph.cli.demo import pick_model

graph = with_memory(pick_model(None).model, memory=create_memory()).compile()
