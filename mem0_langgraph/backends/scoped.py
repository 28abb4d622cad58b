"""`MemoryScope`: manage one user's, agent's or session's memories, and nothing else.

A scope is the set of ids you give (``user_id``, ``agent_id``, ``run_id``); a
memory belongs to it when it carries every one of them, so a user scope sees
that user's memories of every session, and a user + session scope only that
session's. Listing and search are filtered by the backend; ``get``, ``update``,
``history`` and ``delete`` take a memory id, so they first read the memory and
check its scope ids: an id of another scope is refused exactly like an id that
does not exist (`MemoryNotFoundError`), and no input reaches another user's
memory. mem0 never changes a memory's scope ids after it is created, so the
check cannot go stale between the read and the act.

Every method has an async twin (``aadd``, ``alist``, ...) derived from the same
step generator (see ``core/_steps.py``). Wiping the whole store is not a scope
operation: it is `reset_store`, behind ``confirm=True``.
"""

from __future__ import annotations

import inspect
from collections.abc import Mapping, Sequence
from typing import Any

from mem0_langgraph.backends.base import ForwardingBackend, MemoryBackend, MemoryHit
from mem0_langgraph.backends.mem0 import Mem0Backend, _LoopThread
from mem0_langgraph.backends.records import SCOPE_KEYS, MemoryChange, MemoryRecord
from mem0_langgraph.core._steps import Steps, call, run_async, run_sync
from mem0_langgraph.core.scopes import LEVELS, Level, Scope, ScopeConfig
from mem0_langgraph.errors import MemoryNotFoundError, ScopeError

_MAX_ID_CHARS = 128
_LIST_ALL = 100_000  # "every memory of the scope", for delete_all's count and exports


class MemoryScope:
    """A view of the memories of one user, agent or session: add, list, search, get, update, history, delete.

    Args:
        memory: Anything `as_backend` accepts: a mem0 ``Memory``, a `MemoryBackend`, or
            None for the embedded offline default.
        user_id: The user. Any combination of the three ids works; at least one is required.
        agent_id: The agent.
        run_id: The session (LangGraph's ``thread_id`` in `ScopeConfig`'s default).

    Raises:
        ScopeError: No id given, or an id that `Scope` refuses (``*``, whitespace, ...).

    Example:
        >>> import tempfile
        >>> from mem0_langgraph import create_memory
        >>> memory = create_memory(data_dir=tempfile.mkdtemp())  # the offline default
        >>> alice = MemoryScope(memory, user_id="alice")
        >>> [rec] = alice.add("I'm vegetarian.", metadata={"category": "diet"})
        >>> rec.text, rec.user_id, rec.metadata["category"]
        ("I'm vegetarian.", 'alice', 'diet')
        >>> alice.update(rec.id, text="I'm vegan.").text
        "I'm vegan."
        >>> [(c.event, c.new_text) for c in alice.history(rec.id)]
        [('ADD', "I'm vegetarian."), ('UPDATE', "I'm vegan.")]
        >>> MemoryScope(memory, user_id="bob").delete(rec.id)  # another user's id reads as unknown
        Traceback (most recent call last):
        ...
        mem0_langgraph.errors.MemoryNotFoundError: no memory '...' for user_id=bob
        >>> alice.delete_all(), alice.list()
        (1, [])
    """

    def __init__(self, memory: Any = None, *, user_id: str | None = None, agent_id: str | None = None,
                 run_id: str | None = None) -> None:
        from mem0_langgraph.backends.factory import as_backend

        self.scope = Scope(user_id=user_id, agent_id=agent_id, run_id=run_id)
        self.ids: dict[str, str] = self.scope.ids(LEVELS)
        if not self.ids:
            raise ScopeError("MemoryScope needs at least one of user_id, agent_id, run_id",
                             level="user", key="user_id")
        self.backend: MemoryBackend = as_backend(memory)

    @classmethod
    def for_run(cls, memory: Any, config: Mapping[str, Any] | None, runtime: Any = None, *,
                scopes: ScopeConfig | None = None, levels: Sequence[Level] | None = None) -> MemoryScope:
        """The scope of a run, read from its ``configurable`` / runtime context by `ScopeConfig.resolve`.

        Args:
            memory: As for the constructor (a ready `MemoryBackend` is reused, not rebuilt).
            config: The run's ``RunnableConfig``.
            runtime: A LangGraph ``Runtime`` (taken from ``config`` when not given).
            scopes: Where ids come from. Default `ScopeConfig()`.
            levels: Which resolved levels make the scope. Default ``scopes.search_levels``
                (the user's memories, in the default).

        Raises:
            ScopeError: A required id is missing from the run, naming the keys that were present.
        """
        scopes = scopes or ScopeConfig()
        scope = scopes.resolve(config, runtime)
        return cls(memory, **scope.ids(tuple(levels) if levels is not None else scopes.search_levels))

    def __repr__(self) -> str:
        return f"MemoryScope({', '.join(f'{k}={v!r}' for k, v in self.ids.items())})"

    # -- the public twins: one step generator each ---------------------------
    def add(self, content: str | Sequence[Mapping[str, str]], *,
            metadata: Mapping[str, Any] | None = None) -> list[MemoryRecord]:
        """Store text (as a user message) or chat messages in this scope; returns the new memories.

        Raises:
            ValueError: Nothing to store.
        """
        return run_sync(self._add(content, metadata))

    async def aadd(self, content: str | Sequence[Mapping[str, str]], *,
                   metadata: Mapping[str, Any] | None = None) -> list[MemoryRecord]:
        """Async twin of `add`."""
        return await run_async(self._add(content, metadata))

    def list(self, *, limit: int = 100) -> list[MemoryRecord]:
        """This scope's memories (at most ``limit``)."""
        return run_sync(self._list(limit))

    async def alist(self, *, limit: int = 100) -> list[MemoryRecord]:
        """Async twin of `list`."""
        return await run_async(self._list(limit))

    def search(self, query: str, *, limit: int = 5) -> list[MemoryRecord]:
        """This scope's memories most similar to ``query``, best first, with ``score`` set."""
        return run_sync(self._search(query, limit))

    async def asearch(self, query: str, *, limit: int = 5) -> list[MemoryRecord]:
        """Async twin of `search`."""
        return await run_async(self._search(query, limit))

    def get(self, memory_id: str) -> MemoryRecord:
        """One memory of this scope. Raises `MemoryNotFoundError` for unknown or foreign ids."""
        return run_sync(self._get(memory_id))

    async def aget(self, memory_id: str) -> MemoryRecord:
        """Async twin of `get`."""
        return await run_async(self._get(memory_id))

    def update(self, memory_id: str, *, text: str | None = None,
               metadata: Mapping[str, Any] | None = None) -> MemoryRecord:
        """Change a memory's text and/or merge metadata into it; returns it as it is now.

        Raises:
            MemoryNotFoundError: Unknown id, or one of another scope.
            ValueError: Neither ``text`` nor ``metadata``, empty text, or metadata naming scope ids.
        """
        return run_sync(self._update(memory_id, text, metadata))

    async def aupdate(self, memory_id: str, *, text: str | None = None,
                      metadata: Mapping[str, Any] | None = None) -> MemoryRecord:
        """Async twin of `update`."""
        return await run_async(self._update(memory_id, text, metadata))

    def history(self, memory_id: str) -> list[MemoryChange]:
        """A memory's changes, oldest first (only while it exists: a deleted memory's owner can't be checked)."""
        return run_sync(self._history(memory_id))

    async def ahistory(self, memory_id: str) -> list[MemoryChange]:
        """Async twin of `history`."""
        return await run_async(self._history(memory_id))

    def delete(self, memory_id: str) -> MemoryRecord:
        """Delete one memory of this scope; returns what was deleted."""
        return run_sync(self._delete(memory_id))

    async def adelete(self, memory_id: str) -> MemoryRecord:
        """Async twin of `delete`."""
        return await run_async(self._delete(memory_id))

    def delete_all(self) -> int:
        """Delete every memory of this scope (only this scope); returns how many there were."""
        return run_sync(self._delete_all())

    async def adelete_all(self) -> int:
        """Async twin of `delete_all`."""
        return await run_async(self._delete_all())

    # -- steps: prepare, one backend call, process ---------------------------
    def _add(self, content: Any, metadata: Mapping[str, Any] | None) -> Steps[list[MemoryRecord]]:
        if isinstance(content, str):
            content = [{"role": "user", "content": content}]
        messages = [dict(m) for m in content if str(m.get("content") or "").strip()]
        if not messages:
            raise ValueError("nothing to store: give non-empty text or messages with content")
        b = self.backend
        new_ids = yield call(b.add, b.aadd, messages, ids=self.ids, metadata=_checked_metadata(metadata))
        hits = yield [call(b.get, b.aget, i) for i in new_ids]
        return [MemoryRecord.from_hit(h) for h in hits if h is not None]

    def _list(self, limit: int) -> Steps[list[MemoryRecord]]:
        if limit < 1:
            raise ValueError(f"limit must be >= 1, got {limit}")
        b = self.backend
        hits = yield call(b.get_all, b.aget_all, filters=self.ids, limit=limit)
        return [MemoryRecord.from_hit(h) for h in hits if self._owns(h)]

    def _search(self, query: str, limit: int) -> Steps[list[MemoryRecord]]:
        if not query.strip():
            raise ValueError("query must not be empty")
        if limit < 1:
            raise ValueError(f"limit must be >= 1, got {limit}")
        b = self.backend
        hits = yield call(b.search, b.asearch, query, filters=self.ids, limit=limit)
        return [MemoryRecord.from_hit(h, scored=True) for h in hits if self._owns(h)]

    def _get(self, memory_id: str) -> Steps[MemoryRecord]:
        if not _plausible_id(memory_id):
            raise MemoryNotFoundError(str(memory_id), self.ids)
        b = self.backend
        hit = yield call(b.get, b.aget, memory_id)
        if hit is None or not self._owns(hit):
            raise MemoryNotFoundError(memory_id, self.ids)
        return MemoryRecord.from_hit(hit)

    def _update(self, memory_id: str, text: str | None,
                metadata: Mapping[str, Any] | None) -> Steps[MemoryRecord]:
        if text is None and metadata is None:
            raise ValueError("update needs text= or metadata=")
        if text is not None and not text.strip():
            raise ValueError("text must not be empty: to remove a memory, delete it")
        metadata = _checked_metadata(metadata)
        yield from self._get(memory_id)  # ownership first
        b = self.backend
        yield call(b.update, b.aupdate, memory_id, text=text, metadata=metadata)
        return (yield from self._get(memory_id))

    def _history(self, memory_id: str) -> Steps[list[MemoryChange]]:
        yield from self._get(memory_id)
        b = self.backend
        rows = yield call(b.history, b.ahistory, memory_id)
        return [MemoryChange(memory_id=memory_id, event=str(r.get("event", "")), old_text=r.get("old_memory"),
                             new_text=r.get("new_memory"), at=r.get("updated_at") or r.get("created_at"))
                for r in rows]

    def _delete(self, memory_id: str) -> Steps[MemoryRecord]:
        record = yield from self._get(memory_id)
        b = self.backend
        yield call(b.delete, b.adelete, memory_id)
        return record

    def _delete_all(self) -> Steps[int]:
        b = self.backend
        hits = yield call(b.get_all, b.aget_all, filters=self.ids, limit=_LIST_ALL)
        if hits:
            yield call(b.delete_all, b.adelete_all, ids=self.ids)
        return len(hits)

    def _owns(self, hit: MemoryHit) -> bool:
        """Whether ``hit`` carries every id of this scope (checked here too, not only by the filter)."""
        return all(str(hit.metadata.get(k)) == v for k, v in self.ids.items())


def reset_store(memory: Any, *, confirm: bool = False) -> None:
    """Delete every memory of every user, agent and session in ``memory``'s store, and its history.

    Flush any background writer first (``flush_all()``), or a queued write lands after the reset.

    Args:
        memory: A mem0 ``Memory`` / ``AsyncMemory``, or a `Mem0Backend` (or a wrapper around one).
        confirm: Must be True: a reset cannot be undone.

    Raises:
        ValueError: ``confirm`` is not True.
        TypeError: The store has no ``reset`` (a hosted ``MemoryClient`` is reset from its dashboard).

    Example:
        >>> import tempfile
        >>> from mem0_langgraph import create_memory
        >>> memory = create_memory(data_dir=tempfile.mkdtemp())  # the offline default
        >>> _ = MemoryScope(memory, user_id="alice").add("I'm vegetarian.")
        >>> reset_store(memory)
        Traceback (most recent call last):
        ...
        ValueError: reset_store deletes every memory of every user in this store and cannot be undone; pass confirm=True
        >>> reset_store(memory, confirm=True)
        >>> MemoryScope(memory, user_id="alice").list()
        []
    """
    if confirm is not True:
        raise ValueError("reset_store deletes every memory of every user in this store and cannot be undone; "
                         "pass confirm=True")
    raw = memory
    while isinstance(raw, ForwardingBackend):
        raw = raw.inner
    if isinstance(raw, Mem0Backend):
        raw = raw.memory
    reset = getattr(raw, "reset", None)
    if not callable(reset):
        raise TypeError(f"{type(raw).__name__} has no reset(); pass a mem0 Memory or AsyncMemory")
    if inspect.iscoroutinefunction(reset):
        _LoopThread.get().run(reset())
    else:
        reset()


def _plausible_id(memory_id: Any) -> bool:
    return (isinstance(memory_id, str) and 0 < len(memory_id) <= _MAX_ID_CHARS
            and not any(c.isspace() for c in memory_id))


def _checked_metadata(metadata: Mapping[str, Any] | None) -> dict[str, Any] | None:
    if metadata is None:
        return None
    clash = sorted(set(metadata) & set(SCOPE_KEYS))
    if clash:
        raise ValueError(f"metadata must not name scope ids {clash}: a memory's scope is set by the MemoryScope")
    return dict(metadata)
