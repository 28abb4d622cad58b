"""The memory backend: one small interface between our nodes and mem0.

Everything the recall and store paths need from a memory store is here:
``search``, ``add``, ``get_all`` and ``delete_all``, each with an async twin.
`Mem0Backend` adapts any mem0 object (``Memory``, ``AsyncMemory``, the hosted
``MemoryClient`` / ``AsyncMemoryClient``) and bridges sync and async both ways;
another store (a shared Chroma server, a journaled writer) only needs to
implement `MemoryBackend`.
"""

from __future__ import annotations

import asyncio
import inspect
import threading
from collections.abc import Awaitable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar, runtime_checkable

from mem0_langgraph.errors import MemoryBackendError

T = TypeVar("T")

INFER_ATTR = "_mem0_langgraph_infer"
"""Attribute `create_memory` sets on the mem0 object: whether ``add`` should run LLM fact extraction."""


@dataclass(frozen=True)
class MemoryHit:
    """One memory returned by a search or a listing.

    Attributes:
        id: The backend's memory id.
        text: The memory text.
        score: Relevance in the backend's units (higher is better); 0.0 for listings.
        created_at: ISO timestamp, when the backend has one.
        metadata: Everything else the backend returned (role, scope ids, custom metadata).
    """

    id: str
    text: str
    score: float = 0.0
    created_at: str | None = None
    metadata: Mapping[str, Any] = field(default_factory=dict)


@runtime_checkable
class MemoryBackend(Protocol):
    """What the nodes need from a memory store. ``ids`` / ``filters`` use mem0's keys
    (``user_id``, ``agent_id``, ``run_id``)."""

    def search(self, query: str, *, filters: Mapping[str, str], limit: int) -> list[MemoryHit]: ...

    async def asearch(self, query: str, *, filters: Mapping[str, str], limit: int) -> list[MemoryHit]: ...

    def add(self, messages: Sequence[Mapping[str, str]], *, ids: Mapping[str, str],
            metadata: Mapping[str, Any] | None = None) -> list[str]: ...

    async def aadd(self, messages: Sequence[Mapping[str, str]], *, ids: Mapping[str, str],
                   metadata: Mapping[str, Any] | None = None) -> list[str]: ...

    def get_all(self, *, filters: Mapping[str, str], limit: int = 100) -> list[MemoryHit]: ...

    async def aget_all(self, *, filters: Mapping[str, str], limit: int = 100) -> list[MemoryHit]: ...

    def delete_all(self, *, ids: Mapping[str, str]) -> None: ...

    async def adelete_all(self, *, ids: Mapping[str, str]) -> None: ...


class Mem0Backend:
    """`MemoryBackend` over a mem0 object, sync or async, local or hosted.

    Each operation is split into a pure "prepare" (the mem0 call and its
    arguments), one call made the sync or the async way, and a pure "process"
    (parse the result), so the twins differ only in how they call.

    Args:
        memory: ``mem0.Memory``, ``mem0.AsyncMemory``, ``mem0.MemoryClient`` or ``mem0.AsyncMemoryClient``.
        infer: Run mem0's LLM fact extraction on ``add``. Default: what `create_memory`
            decided for this object (True with an OpenAI key, False without), else True.
    """

    def __init__(self, memory: Any, *, infer: bool | None = None) -> None:
        for name in ("search", "add"):
            if not callable(getattr(memory, name, None)):
                raise TypeError(
                    f"memory must be a mem0 Memory, AsyncMemory, MemoryClient or a MemoryBackend; "
                    f"{type(memory).__name__} has no {name}()"
                )
        self.memory = memory
        self.infer = bool(getattr(memory, INFER_ATTR, True)) if infer is None else infer
        self.is_async = inspect.iscoroutinefunction(memory.search)

    def __repr__(self) -> str:
        return f"Mem0Backend({type(self.memory).__name__}, infer={self.infer})"

    # -- prepare / process -------------------------------------------------
    def _search_call(self, query: str, filters: Mapping[str, str], limit: int) -> tuple[str, tuple, dict]:
        if not filters:
            raise ValueError("search needs at least one of user_id, agent_id, run_id in filters")
        return "search", (query,), {"filters": dict(filters), "top_k": limit}

    def _add_call(self, messages: Sequence[Mapping[str, str]], ids: Mapping[str, str],
                  metadata: Mapping[str, Any] | None) -> tuple[str, tuple, dict]:
        if not ids:
            raise ValueError("add needs at least one of user_id, agent_id, run_id")
        return "add", ([dict(m) for m in messages],), {**ids, "metadata": dict(metadata or {}), "infer": self.infer}

    def _get_all_call(self, filters: Mapping[str, str], limit: int) -> tuple[str, tuple, dict]:
        if not filters:
            raise ValueError("get_all needs at least one of user_id, agent_id, run_id in filters")
        return "get_all", (), {"filters": dict(filters), "top_k": limit}

    def _delete_all_call(self, ids: Mapping[str, str]) -> tuple[str, tuple, dict]:
        if not ids:
            raise ValueError("delete_all needs at least one of user_id, agent_id, run_id")
        return "delete_all", (), dict(ids)

    @staticmethod
    def _hits(result: Any) -> list[MemoryHit]:
        rows = result.get("results", []) if isinstance(result, Mapping) else (result or [])
        hits = []
        for row in rows:
            text = row.get("memory") or row.get("data") or ""
            if not text:
                continue
            meta = {k: v for k, v in row.items() if k not in ("id", "memory", "score", "created_at", "metadata")}
            meta.update(row.get("metadata") or {})
            hits.append(MemoryHit(id=str(row.get("id")), text=str(text), score=float(row.get("score") or 0.0),
                                  created_at=row.get("created_at"), metadata=meta))
        return hits

    @staticmethod
    def _added_ids(result: Any) -> list[str]:
        rows = result.get("results", []) if isinstance(result, Mapping) else (result or [])
        return [str(r["id"]) for r in rows if isinstance(r, Mapping) and "id" in r]

    # -- the one line that differs ----------------------------------------
    def _call(self, op: tuple[str, tuple, dict]) -> Any:
        name, args, kwargs = op
        fn = getattr(self.memory, name)
        try:
            if self.is_async:
                return _LoopThread.get().run(fn(*args, **kwargs))
            return fn(*args, **kwargs)
        except Exception as exc:  # any backend failure surfaces as one error type
            raise MemoryBackendError(f"mem0 {name} failed: {type(exc).__name__}: {exc}", operation=name) from exc

    async def _acall(self, op: tuple[str, tuple, dict]) -> Any:
        name, args, kwargs = op
        fn = getattr(self.memory, name)
        try:
            if self.is_async:
                return await fn(*args, **kwargs)
            return await asyncio.to_thread(fn, *args, **kwargs)
        except Exception as exc:  # any backend failure surfaces as one error type
            raise MemoryBackendError(f"mem0 {name} failed: {type(exc).__name__}: {exc}", operation=name) from exc

    # -- the interface -----------------------------------------------------
    def search(self, query: str, *, filters: Mapping[str, str], limit: int) -> list[MemoryHit]:
        return self._hits(self._call(self._search_call(query, filters, limit)))

    async def asearch(self, query: str, *, filters: Mapping[str, str], limit: int) -> list[MemoryHit]:
        return self._hits(await self._acall(self._search_call(query, filters, limit)))

    def add(self, messages: Sequence[Mapping[str, str]], *, ids: Mapping[str, str],
            metadata: Mapping[str, Any] | None = None) -> list[str]:
        return self._added_ids(self._call(self._add_call(messages, ids, metadata)))

    async def aadd(self, messages: Sequence[Mapping[str, str]], *, ids: Mapping[str, str],
                   metadata: Mapping[str, Any] | None = None) -> list[str]:
        return self._added_ids(await self._acall(self._add_call(messages, ids, metadata)))

    def get_all(self, *, filters: Mapping[str, str], limit: int = 100) -> list[MemoryHit]:
        return self._hits(self._call(self._get_all_call(filters, limit)))

    async def aget_all(self, *, filters: Mapping[str, str], limit: int = 100) -> list[MemoryHit]:
        return self._hits(await self._acall(self._get_all_call(filters, limit)))

    def delete_all(self, *, ids: Mapping[str, str]) -> None:
        self._call(self._delete_all_call(ids))

    async def adelete_all(self, *, ids: Mapping[str, str]) -> None:
        await self._acall(self._delete_all_call(ids))


def as_backend(memory: Any = None) -> MemoryBackend:
    """Normalise what a user passed as ``memory`` into a `MemoryBackend`.

    Args:
        memory: ``None`` (the embedded default, see `create_memory`), a mem0 config
            dict, a mem0 ``Memory`` / ``AsyncMemory`` / ``MemoryClient`` /
            ``AsyncMemoryClient``, or a `MemoryBackend`.

    Returns:
        The backend, shared by whoever holds it.
    """
    if isinstance(memory, MemoryBackend):
        return memory
    if memory is None or isinstance(memory, Mapping):
        from mem0_langgraph.factory import create_memory

        memory = create_memory(config=memory) if memory is not None else create_memory()
    return Mem0Backend(memory)


class _LoopThread:
    """One private event loop on a daemon thread, to call async mem0 objects from sync code."""

    _instance: _LoopThread | None = None
    _lock = threading.Lock()

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="mem0-langgraph-loop", daemon=True)
        self.thread.start()

    @classmethod
    def get(cls) -> _LoopThread:
        with cls._lock:
            if cls._instance is None:
                cls._instance = cls()
            return cls._instance

    def run(self, coro: Awaitable[T]) -> T:
        if threading.current_thread() is self.thread:
            raise RuntimeError("sync backend call from inside the backend's own loop")
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result()  # type: ignore[arg-type]


