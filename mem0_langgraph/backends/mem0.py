"""`Mem0Backend`: the `MemoryBackend` over any mem0 object, sync or async, local or hosted.

Each operation is split into a pure "prepare" (the mem0 method and its
arguments), one call made the sync or the async way, and a pure "process"
(parse the result), so the twins differ only in how they call. It adapts
``Memory``, ``AsyncMemory`` and the hosted ``MemoryClient`` /
``AsyncMemoryClient``, and bridges sync and async both ways.
"""

from __future__ import annotations

import asyncio
import inspect
import threading
from pathlib import Path
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, TypeVar

from mem0_langgraph.backends.base import (
    Add,
    BaseBackend,
    Delete,
    DeleteAll,
    Get,
    GetAll,
    History,
    MemoryHit,
    Op,
    Search,
    Update,
)
from mem0_langgraph.errors import MemoryBackendError, WrongModeError

T = TypeVar("T")

INFER_ATTR = "_mem0_langgraph_infer"
"""Attribute `create_memory` sets on the mem0 object: whether ``add`` should run LLM fact extraction."""
DATA_DIR_ATTR = "_mem0_langgraph_data_dir"
"""Attribute `create_memory` sets on the mem0 object: its data directory (the write journal lives there)."""

class Mem0Backend(BaseBackend):
    """`MemoryBackend` over a mem0 object, sync or async, local or hosted.

    Args:
        memory: ``mem0.Memory``, ``mem0.AsyncMemory``, ``mem0.MemoryClient`` or ``mem0.AsyncMemoryClient``.
        infer: Run mem0's LLM fact extraction on ``add``. Default: what `create_memory`
            decided for this object (True with an OpenAI key, False without), else True.

    Raises:
        TypeError: ``memory`` has no ``search`` / ``add``.
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
        self.data_dir: Path | None = getattr(memory, DATA_DIR_ATTR, None)
        """The data directory `create_memory` used; None for a memory built elsewhere."""

    def __repr__(self) -> str:
        return f"Mem0Backend({type(self.memory).__name__}, infer={self.infer})"

    # -- prepare: the mem0 call of each operation, and how to read its result --
    def _prepare(self, op: Op) -> tuple[str, tuple, dict, Callable[[Any], Any]]:
        if isinstance(op, Search):
            _need_ids(op.filters, "search")
            return "search", (op.query,), {"filters": dict(op.filters), "top_k": op.limit}, _hits
        if isinstance(op, Add):
            _need_ids(op.ids, "add")
            return ("add", ([dict(m) for m in op.messages],),
                    {**op.ids, "metadata": dict(op.metadata or {}), "infer": self.infer}, _added_ids)
        if isinstance(op, GetAll):
            _need_ids(op.filters, "get_all")
            return "get_all", (), {"filters": dict(op.filters), "top_k": op.limit}, _hits
        if isinstance(op, Get):
            return "get", (op.memory_id,), {}, _one_hit
        if isinstance(op, Update):
            kwargs: dict[str, Any] = {}
            if op.text is not None:
                kwargs["text"] = op.text
            if op.metadata is not None:
                kwargs["metadata"] = dict(op.metadata)
            return "update", (op.memory_id,), kwargs, _none
        if isinstance(op, Delete):
            return "delete", (op.memory_id,), {}, _none
        if isinstance(op, DeleteAll):
            _need_ids(op.ids, "delete_all")
            return "delete_all", (), dict(op.ids), _none
        if isinstance(op, History):
            return "history", (op.memory_id,), {}, _history
        raise TypeError(f"unknown backend operation {type(op).__name__}")

    # -- the one line that differs ----------------------------------------
    def run(self, op: Op) -> Any:
        name, args, kwargs, process = self._prepare(op)
        fn = getattr(self.memory, name)
        try:
            result = _LoopThread.get().run(fn(*args, **kwargs)) if self.is_async else fn(*args, **kwargs)
        except WrongModeError:
            raise
        except Exception as exc:  # any backend failure surfaces as one error type
            raise MemoryBackendError(f"mem0 {name} failed: {type(exc).__name__}: {exc}", operation=name) from exc
        return process(result)

    async def arun(self, op: Op) -> Any:
        name, args, kwargs, process = self._prepare(op)
        fn = getattr(self.memory, name)
        try:
            result = await fn(*args, **kwargs) if self.is_async else await asyncio.to_thread(fn, *args, **kwargs)
        except Exception as exc:  # any backend failure surfaces as one error type
            raise MemoryBackendError(f"mem0 {name} failed: {type(exc).__name__}: {exc}", operation=name) from exc
        return process(result)


# -- process: pure parsing of mem0's replies ----------------------------------


def _need_ids(ids: Mapping[str, Any], op: str) -> None:
    if not ids:
        raise ValueError(f"{op} needs at least one of user_id, agent_id, run_id")


def _rows(result: Any) -> list[Any]:
    return result.get("results", []) if isinstance(result, Mapping) else (result or [])


def _hit(row: Mapping[str, Any]) -> MemoryHit | None:
    text = row.get("memory") or row.get("data") or ""
    if not text:
        return None
    meta = {k: v for k, v in row.items() if k not in ("id", "memory", "score", "created_at", "metadata")}
    meta.update(row.get("metadata") or {})
    return MemoryHit(id=str(row.get("id")), text=str(text), score=float(row.get("score") or 0.0),
                     created_at=row.get("created_at"), metadata=meta)


def _hits(result: Any) -> list[MemoryHit]:
    return [h for row in _rows(result) if isinstance(row, Mapping) and (h := _hit(row)) is not None]


def _one_hit(result: Any) -> MemoryHit | None:
    return _hit(result) if isinstance(result, Mapping) else None


def _added_ids(result: Any) -> list[str]:
    return [str(r["id"]) for r in _rows(result) if isinstance(r, Mapping) and "id" in r]


def _history(result: Any) -> list[dict[str, Any]]:
    return [dict(r) for r in _rows(result) if isinstance(r, Mapping)]


def _none(result: Any) -> None:
    return None


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
            raise WrongModeError("a sync call on an async mem0 object from inside its own loop: use the async "
                                 "method (asearch, aadd, ...) there")
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result()  # type: ignore[arg-type]


