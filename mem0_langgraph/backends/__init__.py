"""Memory backends: the `MemoryBackend` interface, the mem0 adapter, the stores, and the factory that builds them.

- `MemoryBackend`, `MemoryHit`, `BaseBackend`, `ForwardingBackend` and the operation records (base.py)
- `Mem0Backend` (mem0.py): any mem0 object, sync or async, local or hosted.
- `create_memory`, `as_backend` (factory.py): the embedded offline default, Postgres or a Chroma
  server, and the one place where whatever a user passed as ``memory`` becomes a backend.
- `PerUserVectorStore` (per_user.py): each user's memories in a collection (table) of their own,
  so a recall's cost does not grow with a user's history; `postgres.py`, `chroma_server.py`:
  the engines behind it; `_servers.py`: local PostgreSQL / Chroma servers for tests and benchmarks.
- `LazyBackend`, `default_memory` (lazy.py): a backend opened on first use, off the event loop.
- `MemoryScope`, `reset_store` (scoped.py) and their records (records.py): managing one scope's memories.
- `LocalEmbeddings` (_embedding.py): the packaged MiniLM model, loaded once, cached by text.
"""
