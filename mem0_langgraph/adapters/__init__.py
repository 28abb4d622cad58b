"""Adapters: the core behind LangChain's interfaces.

- `Mem0Middleware` (middleware.py): for ``langchain.agents.create_agent``.
- `Mem0Memory` (classic_memory.py): a ``langchain_classic`` ``BaseMemory`` (optional extra).
- `Mem0Retriever` (retriever.py): an ungated ``BaseRetriever``.
"""
