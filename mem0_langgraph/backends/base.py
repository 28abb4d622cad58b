"""The memory backend interface: one small surface between the core and a memory store.

In the spirit of LangGraph's ``BaseStore`` (only ``batch`` / ``abatch`` are
abstract, every other method is derived), a `BaseBackend` implements two
methods, ``run(op)`` and ``arun(op)``, over a handful of frozen operation
records (`Search`, `Add`, `GetAll`, `Get`, `Update`, `Delete`, `DeleteAll`,
`History`); ``search`` / ``asearch`` and the rest are derived from them. A
wrapper (a test double, the benchmark's search cache, a timing probe) subclasses
`ForwardingBackend` and overrides only what it changes: ``run`` / ``arun`` to see
every operation, or one method such as ``search``.

``filters`` and ``ids`` use mem0's keys (``user_id``, ``agent_id``, ``run_id``),
and every id is exact-match: a backend never widens a filter.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, Union, runtime_checkable


@dataclass(frozen=True)
class MemoryHit:
    """One memory returned by a search, a listing or a get.

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


# -- operations ----------------------------------------------------------------


@dataclass(frozen=True)
class Search:
    """Search one scope's memories for ``query``; returns ``list[MemoryHit]``, best first."""

    query: str
    filters: Mapping[str, Any]
    limit: int


@dataclass(frozen=True)
class Add:
    """Store ``messages`` under the scope ``ids``; returns the new memory ids."""

    messages: Sequence[Mapping[str, str]]
    ids: Mapping[str, str]
    metadata: Mapping[str, Any] | None = None


@dataclass(frozen=True)
class GetAll:
    """List one scope's memories (at most ``limit``); returns ``list[MemoryHit]``."""

    filters: Mapping[str, Any]
    limit: int = 100


@dataclass(frozen=True)
class Get:
    """One memory by id; returns a `MemoryHit` or None."""

    memory_id: str


@dataclass(frozen=True)
class Update:
    """Change a memory's text and/or metadata (merged into what it has); returns None."""

    memory_id: str
    text: str | None = None
    metadata: Mapping[str, Any] | None = None


@dataclass(frozen=True)
class Delete:
    """Delete one memory by id; returns None."""

    memory_id: str


@dataclass(frozen=True)
class DeleteAll:
    """Delete every memory of the scope ``ids``; returns None."""

    ids: Mapping[str, str]


@dataclass(frozen=True)
class History:
    """A memory's change history (oldest first); returns a list of dicts."""

    memory_id: str


Op = Union[Search, Add, GetAll, Get, Update, Delete, DeleteAll, History]
"""Every operation a backend runs."""


@runtime_checkable
class MemoryBackend(Protocol):
    """What the core needs from a memory store: the operations above, sync and async."""

    def run(self, op: Op) -> Any: ...

    async def arun(self, op: Op) -> Any: ...

    def search(self, query: str, *, filters: Mapping[str, Any], limit: int) -> list[MemoryHit]: ...

    async def asearch(self, query: str, *, filters: Mapping[str, Any], limit: int) -> list[MemoryHit]: ...

    def add(self, messages: Sequence[Mapping[str, str]], *, ids: Mapping[str, str],
            metadata: Mapping[str, Any] | None = None) -> list[str]: ...

    async def aadd(self, messages: Sequence[Mapping[str, str]], *, ids: Mapping[str, str],
                   metadata: Mapping[str, Any] | None = None) -> list[str]: ...

    def get_all(self, *, filters: Mapping[str, Any], limit: int = 100) -> list[MemoryHit]: ...

    async def aget_all(self, *, filters: Mapping[str, Any], limit: int = 100) -> list[MemoryHit]: ...

    def delete_all(self, *, ids: Mapping[str, str]) -> None: ...

    async def adelete_all(self, *, ids: Mapping[str, str]) -> None: ...


class BaseBackend(ABC):
    """A backend from two methods: ``run(op)`` and ``arun(op)``; the named methods are derived."""

    @abstractmethod
    def run(self, op: Op) -> Any:
        """Run one operation synchronously and return its result."""

    @abstractmethod
    async def arun(self, op: Op) -> Any:
        """Async twin of `run`."""

    def search(self, query: str, *, filters: Mapping[str, Any], limit: int) -> list[MemoryHit]:
        return self.run(Search(query, filters, limit))

    async def asearch(self, query: str, *, filters: Mapping[str, Any], limit: int) -> list[MemoryHit]:
        return await self.arun(Search(query, filters, limit))

    def add(self, messages: Sequence[Mapping[str, str]], *, ids: Mapping[str, str],
            metadata: Mapping[str, Any] | None = None) -> list[str]:
        return self.run(Add(tuple(messages), ids, metadata))

    async def aadd(self, messages: Sequence[Mapping[str, str]], *, ids: Mapping[str, str],
                   metadata: Mapping[str, Any] | None = None) -> list[str]:
        return await self.arun(Add(tuple(messages), ids, metadata))

    def get_all(self, *, filters: Mapping[str, Any], limit: int = 100) -> list[MemoryHit]:
        return self.run(GetAll(filters, limit))

    async def aget_all(self, *, filters: Mapping[str, Any], limit: int = 100) -> list[MemoryHit]:
        return await self.arun(GetAll(filters, limit))

    def get(self, memory_id: str) -> MemoryHit | None:
        return self.run(Get(memory_id))

    async def aget(self, memory_id: str) -> MemoryHit | None:
        return await self.arun(Get(memory_id))

    def update(self, memory_id: str, *, text: str | None = None, metadata: Mapping[str, Any] | None = None) -> None:
        self.run(Update(memory_id, text, metadata))

    async def aupdate(self, memory_id: str, *, text: str | None = None,
                      metadata: Mapping[str, Any] | None = None) -> None:
        await self.arun(Update(memory_id, text, metadata))

    def delete(self, memory_id: str) -> None:
        self.run(Delete(memory_id))

    async def adelete(self, memory_id: str) -> None:
        await self.arun(Delete(memory_id))

    def delete_all(self, *, ids: Mapping[str, str]) -> None:
        self.run(DeleteAll(ids))

    async def adelete_all(self, *, ids: Mapping[str, str]) -> None:
        await self.arun(DeleteAll(ids))

    def history(self, memory_id: str) -> list[dict[str, Any]]:
        return self.run(History(memory_id))

    async def ahistory(self, memory_id: str) -> list[dict[str, Any]]:
        return await self.arun(History(memory_id))


class ForwardingBackend(BaseBackend):
    """A backend that hands every operation to ``inner``: subclass it and override what you change.

    Example:
        >>> class Counting(ForwardingBackend):
        ...     def __init__(self, inner):
        ...         super().__init__(inner)
        ...         self.ops = []
        ...     def run(self, op):
        ...         self.ops.append(type(op).__name__)
        ...         return super().run(op)
        >>> class Empty(BaseBackend):
        ...     def run(self, op): return []
        ...     async def arun(self, op): return []
        >>> counting = Counting(Empty())
        >>> counting.search("my diet", filters={"user_id": "alice"}, limit=5), counting.ops
        ([], ['Search'])
    """

    def __init__(self, inner: MemoryBackend) -> None:
        self.inner = inner

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.inner!r})"

    def run(self, op: Op) -> Any:
        return self.inner.run(op)

    async def arun(self, op: Op) -> Any:
        return await self.inner.arun(op)


def innermost(backend: MemoryBackend) -> MemoryBackend:
    """The backend under every `ForwardingBackend`-style wrapper (anything with an ``inner`` backend).

    Example:
        >>> class Empty(BaseBackend):
        ...     def run(self, op): return []
        ...     async def arun(self, op): return []
        >>> store = Empty()
        >>> innermost(ForwardingBackend(ForwardingBackend(store))) is store
        True
    """
    for _ in range(16):  # a bound, not a depth anyone reaches: a wrapper cycle must not hang a write
        inner = getattr(backend, "inner", None)
        if not isinstance(inner, MemoryBackend):
            return backend
        backend = inner
    return backend
