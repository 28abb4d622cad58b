"""Shared fixtures: one real embedded memory (mem0 + Chroma + local MiniLM) per test session.

Nothing here fakes mem0, Chroma or the embedder. Tests isolate themselves by
user id (``user_id`` fixture), not by separate stores, so the model loads once.
"""

from __future__ import annotations

import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("MEM0_TELEMETRY", "False")
os.environ.pop("OPENAI_API_KEY", None)  # tests run the offline default (infer=False)

import uuid
from collections.abc import Callable
from typing import Any

import pytest

from mem0_langgraph.backend import Mem0Backend, MemoryHit


@pytest.fixture(scope="session")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> str:
    return str(tmp_path_factory.mktemp("mem0-data"))


@pytest.fixture(scope="session")
def memory(data_dir: str) -> Any:
    from mem0_langgraph.factory import create_memory

    return create_memory(data_dir=data_dir, collection="tests")


@pytest.fixture(scope="session")
def backend(memory: Any) -> Mem0Backend:
    return Mem0Backend(memory)


@pytest.fixture
def user_id() -> str:
    return f"user-{uuid.uuid4().hex[:10]}"


class CountingBackend:
    """The real backend, with call counts and optional injected failures (fault injection)."""

    def __init__(self, inner: Mem0Backend, *, fail: Callable[[str], Exception | None] | None = None) -> None:
        self.inner = inner
        self.calls: dict[str, int] = {}
        self.fail = fail or (lambda op: None)

    def _hit(self, op: str) -> None:
        self.calls[op] = self.calls.get(op, 0) + 1
        exc = self.fail(op)
        if exc is not None:
            raise exc

    def search(self, query: str, *, filters: Any, limit: int) -> list[MemoryHit]:
        self._hit("search")
        return self.inner.search(query, filters=filters, limit=limit)

    async def asearch(self, query: str, *, filters: Any, limit: int) -> list[MemoryHit]:
        self._hit("search")
        return await self.inner.asearch(query, filters=filters, limit=limit)

    def add(self, messages: Any, *, ids: Any, metadata: Any = None) -> list[str]:
        self._hit("add")
        return self.inner.add(messages, ids=ids, metadata=metadata)

    async def aadd(self, messages: Any, *, ids: Any, metadata: Any = None) -> list[str]:
        self._hit("add")
        return await self.inner.aadd(messages, ids=ids, metadata=metadata)

    def get_all(self, *, filters: Any, limit: int = 100) -> list[MemoryHit]:
        self._hit("get_all")
        return self.inner.get_all(filters=filters, limit=limit)

    async def aget_all(self, *, filters: Any, limit: int = 100) -> list[MemoryHit]:
        self._hit("get_all")
        return await self.inner.aget_all(filters=filters, limit=limit)

    def delete_all(self, *, ids: Any) -> None:
        self._hit("delete_all")
        self.inner.delete_all(ids=ids)

    async def adelete_all(self, *, ids: Any) -> None:
        self._hit("delete_all")
        await self.inner.adelete_all(ids=ids)


@pytest.fixture
def counting(backend: Mem0Backend) -> CountingBackend:
    return CountingBackend(backend)


class CountingGate:
    """The real gate, with sync and async call counts."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.calls = 0
        self.async_calls = 0

    def decide(self, message, recent_messages):
        self.calls += 1
        return self.inner.decide(message, recent_messages)

    async def adecide(self, message, recent_messages):
        self.async_calls += 1
        return await self.inner.adecide(message, recent_messages)


class BrokenMem0:
    """The real mem0 Memory whose search and add fail, as when the vector store is unreachable."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner

    def search(self, *args: Any, **kwargs: Any) -> Any:
        raise ConnectionError("vector store unreachable")

    def add(self, *args: Any, **kwargs: Any) -> Any:
        raise ConnectionError("vector store unreachable")

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)
