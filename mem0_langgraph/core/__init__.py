"""The core: recall-before and store-after, once for every adapter.

- `Recaller` / `RecallNode` (recall.py): gate, search, rerank, filter, budget.
- `Storer` / `StoreNode` (store.py): write policy, scope ids, hand-off to a writer.
- `BackgroundWriter` / `SyncWriter` (writer.py): how writes reach the backend.
- `ScopeConfig` / `Scope` (scopes.py), `MemoryState` (state.py), `render_memories` (render.py),
  `KeywordFusion` (rerank.py), `MemoryOptions` (options.py), `with_memory` (graph.py).
"""
