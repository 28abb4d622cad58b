"""Shared fixtures: one real embedded memory (mem0 + Chroma + local MiniLM) per test session.

Nothing here fakes mem0, Chroma or the embedder. Tests isolate themselves by
user id (``user_id`` fixture), not by separate stores, so the model loads once.
"""

from __future__ import annotations

import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("MEM0_TELEMETRY", "False")
os.environ.pop("OPENAI_API_KEY", None)  # tests run the offline default (infer=False)

import re
import uuid
from collections.abc import Callable
from typing import Any

import pytest

from mem0_langgraph.backends.base import ForwardingBackend, MemoryHit, Op
from mem0_langgraph.backends.mem0 import Mem0Backend


@pytest.fixture(scope="session")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> str:
    return str(tmp_path_factory.mktemp("mem0-data"))


@pytest.fixture(scope="session")
def memory(data_dir: str) -> Any:
    from mem0_langgraph.backends.factory import create_memory

    return create_memory(data_dir=data_dir, collection="tests")


@pytest.fixture(scope="session")
def backend(memory: Any) -> Mem0Backend:
    return Mem0Backend(memory)


@pytest.fixture
def user_id() -> str:
    return f"user-{uuid.uuid4().hex[:10]}"


class CountingBackend(ForwardingBackend):
    """The real backend, with call counts per operation and optional injected failures (fault injection).

    Only ``run`` / ``arun`` are overridden: every derived method (search, add, ...) goes through them.
    """

    def __init__(self, inner: Mem0Backend, *, fail: Callable[[str], Exception | None] | None = None) -> None:
        super().__init__(inner)
        self.calls: dict[str, int] = {}
        self.fail = fail or (lambda op: None)

    def _hit(self, op: Op) -> None:
        name = re.sub(r"(?<!^)(?=[A-Z])", "_", type(op).__name__).lower()  # GetAll -> get_all
        self.calls[name] = self.calls.get(name, 0) + 1
        exc = self.fail(name)
        if exc is not None:
            raise exc

    def run(self, op: Op) -> Any:
        self._hit(op)
        return super().run(op)

    async def arun(self, op: Op) -> Any:
        self._hit(op)
        return await super().arun(op)


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
