"""Writers: how stored exchanges reach the backend, durably and off the response path.

`BackgroundWriter` (the default) records each write in a journal on disk
(SQLite, fsynced) before ``submit`` returns, then writes it on a background
thread. An acknowledged write therefore survives kill -9, SIGTERM and a slow
exit: whatever is still pending is replayed when a writer next opens the same
data directory, and the replay first asks the backend whether the write landed
(by its exchange key), so a crash between the add and its "done" mark never
stores it twice. Failures are classified: a permanent one (mem0 rejecting the
input) fails at once into ``failed``; a transient one is retried with backoff
from a delay queue, per scope, so one user's failing write never holds up
another's. See `_journal`, `_worker`, `_retry` and `_shutdown` for each part.

`SyncWriter` writes inline, for scripts and tests. Both follow `MemoryWriter`.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import os
import sqlite3
import threading
import time
import weakref
from collections.abc import Mapping
from concurrent.futures import Future
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal, Protocol, runtime_checkable

from mem0_langgraph.backends.base import MemoryBackend
from mem0_langgraph.core import _shutdown
from mem0_langgraph.core._journal import JOURNAL_NAME, Journal
from mem0_langgraph.core._retry import backoff_delay, classify
from mem0_langgraph.core._worker import Entry, Worker, lane_of
from mem0_langgraph.errors import MemoryBackendError

logger = logging.getLogger("mem0_langgraph")

_CLOSE_TIMEOUT_S = 30.0
_STOP_JOIN_S = 10.0  # close(): the write in progress gets this long to finish


@dataclass(frozen=True)
class WriteJob:
    """One exchange to store: the messages, the scope ids, metadata and the exchange's key.

    ``key`` names the exchange (see `exchange_key`): writes with the same key are the same
    write. A job without one gets a key derived from its content when submitted.
    """

    messages: tuple[Mapping[str, str], ...]
    ids: Mapping[str, str]
    metadata: Mapping[str, Any] = field(default_factory=dict)
    key: str = ""


@runtime_checkable
class MemoryWriter(Protocol):
    """Where `StoreNode` hands its writes."""

    def submit(self, job: WriteJob) -> None:
        """Accept a write. Once this returns, the write is the writer's to keep."""
        ...

    async def asubmit(self, job: WriteJob) -> None:
        """Async twin of `submit`."""
        ...

    def flush(self, timeout: float | None = None) -> bool:
        """Wait until every accepted write is done; False on timeout."""
        ...

    async def aflush(self, timeout: float | None = None) -> bool:
        """Async twin of `flush`."""
        ...


class SyncWriter:
    """Write inline, retrying transient errors: for scripts, tests and notebooks.

    A permanent error (mem0 rejecting the input) and a transient one that survives the
    retries propagate to the caller (the store step then applies its ``on_error``).
    """

    def __init__(self, backend: MemoryBackend, *, max_retries: int = 2, backoff_s: float = 0.2) -> None:
        self.backend = backend
        self.max_retries = max_retries
        self.backoff_s = backoff_s

    def submit(self, job: WriteJob) -> None:
        for attempt in range(1, self.max_retries + 2):
            try:
                self.backend.add(job.messages, ids=job.ids, metadata=job.metadata)
                return
            except Exception as exc:  # transient ones are retried; the rest, and the last, propagate
                time.sleep(self._delay_or_raise(exc, attempt))

    async def asubmit(self, job: WriteJob) -> None:
        for attempt in range(1, self.max_retries + 2):
            try:
                await self.backend.aadd(job.messages, ids=job.ids, metadata=job.metadata)
                return
            except Exception as exc:  # transient ones are retried; the rest, and the last, propagate
                await asyncio.sleep(self._delay_or_raise(exc, attempt))

    def flush(self, timeout: float | None = None) -> bool:
        return True

    async def aflush(self, timeout: float | None = None) -> bool:
        return True

    def _delay_or_raise(self, exc: Exception, attempt: int) -> float:
        if attempt > self.max_retries or classify(exc).kind == "permanent":
            raise exc
        return backoff_delay(attempt, self.backoff_s, self.backoff_s * 2**self.max_retries)


class BackgroundWriter:
    """Journal each write durably, then write it on a background thread, with retries per scope.

    Args:
        backend: Where writes go.
        max_queue: Pending writes held before ``submit`` waits for room. Default 1000.
        max_retries: Retries of a transiently failing write before it goes to ``failed``
            (it stays journaled, so the next writer on the data directory tries again). Default 5.
        backoff_s: First retry delay, doubled each retry, with jitter. Default 0.5.
        max_backoff_s: Cap on the retry delay. Default 30.
        journal: The journal file; default ``<data_dir>/journal.sqlite3`` of the backend's data
            directory (``$MEM0_LANGGRAPH_DATA_DIR`` or ``~/.mem0_langgraph`` when it has none).
            ``False`` keeps writes in memory only (lost on a crash).

    Raises:
        ValueError: ``max_queue`` < 1 or ``max_retries`` < 0.

    Example:
        >>> import tempfile
        >>> from mem0_langgraph import Mem0Backend, create_memory
        >>> backend = Mem0Backend(create_memory(data_dir=tempfile.mkdtemp()))  # the offline default
        >>> writer = BackgroundWriter(backend)
        >>> writer.submit(WriteJob(messages=({"role": "user", "content": "I'm vegetarian"},), ids={"user_id": "u"}))
        >>> writer.flush(timeout=30), writer.written, writer.journal_path.name
        (True, 1, 'journal.sqlite3')
        >>> [hit.text for hit in backend.get_all(filters={"user_id": "u"})]
        ["I'm vegetarian"]
    """

    def __init__(self, backend: MemoryBackend, *, max_queue: int = 1000, max_retries: int = 5,
                 backoff_s: float = 0.5, max_backoff_s: float = 30.0,
                 journal: str | os.PathLike[str] | Literal[False] | None = None) -> None:
        if max_queue < 1:
            raise ValueError(f"max_queue must be >= 1, got {max_queue}")
        if max_retries < 0:
            raise ValueError(f"max_retries must be >= 0, got {max_retries}")
        self.backend = backend
        self._journal = _open_journal(backend, journal)
        self.journal_path: Path | None = self._journal.path if self._journal else None
        """The journal file, or None when writes are kept in memory only."""
        self._worker = worker = Worker(backend, self._journal, max_queue=max_queue, max_retries=max_retries,
                                       backoff_s=backoff_s, max_backoff_s=max_backoff_s,
                                       verbatim=_find(backend, "infer") is False)
        self._closed = False
        _shutdown.register(worker)
        if self._journal is not None:
            self._replay(self._journal)

    @property
    def failed(self) -> list[tuple[WriteJob, BaseException]]:
        """Writes that failed permanently, or transiently after every retry, with their error."""
        return self._worker.failed

    @property
    def written(self) -> int:
        """Writes completed (replayed ones found already stored included)."""
        return self._worker.written

    @property
    def pending(self) -> int:
        """Writes accepted and not yet finished (waiting, in progress or backing off)."""
        return self._worker.lanes.count

    def submit(self, job: WriteJob) -> None:
        job, added = self._journal_add(job)
        try:
            new = added is None or added.result()
        except sqlite3.Error as exc:
            raise self._journal_error(exc) from exc
        if new:
            self._worker.put(Entry(job, lane_of(job.ids)))

    async def asubmit(self, job: WriteJob) -> None:
        job, added = self._journal_add(job)
        entry = Entry(job, lane_of(job.ids))
        try:
            # Shielded: a cancelled turn does not cancel the commit, so the journal and the queue agree.
            new = added is None or await asyncio.shield(asyncio.wrap_future(added))
        except sqlite3.Error as exc:
            raise self._journal_error(exc) from exc
        except asyncio.CancelledError:  # the commit goes on: queue the write once it is journaled
            if added is not None:
                added.add_done_callback(lambda f: f.exception() is None and f.result()
                                        and self._worker.put(entry, room="force"))
            raise
        if new and not self._worker.put(entry, room="try"):
            await asyncio.to_thread(self._worker.put, entry)

    def flush(self, timeout: float | None = None) -> bool:
        """Wait until every accepted write landed (or failed) and the journal says so; False on timeout."""
        deadline = None if timeout is None else time.monotonic() + timeout
        if not self._worker.flush(timeout):
            return False
        remaining = _STOP_JOIN_S if deadline is None else max(0.0, deadline - time.monotonic())
        return self._journal is None or self._journal.wait_idle(remaining)

    async def aflush(self, timeout: float | None = None) -> bool:
        """Async twin of `flush` (waits on a thread, never on the event loop)."""
        return await asyncio.to_thread(self.flush, timeout)

    def retry_failed(self) -> int:
        """Queue the writes in ``failed`` again; returns how many."""
        with self._worker.cond:
            jobs = [job for job, _ in self.failed]
            self.failed.clear()
        for job in jobs:
            if self._journal is not None:
                self._journal.reopen(job.key)
            self._worker.put(Entry(job, lane_of(job.ids), uncertain=True), room="force")
        return len(jobs)

    def close(self, timeout: float | None = _CLOSE_TIMEOUT_S) -> bool:
        """Flush for up to ``timeout``, then stop the thread; what is left stays journaled.

        Returns:
            Whether every write landed.
        """
        if self._closed:
            return self.pending == 0 and not self.failed
        done = self._worker.flush(timeout)
        self._closed = True
        if self._worker.stop(_STOP_JOIN_S) and self._journal is not None:
            self._journal.close()  # only once the thread is out: it still uses the journal until then
        _shutdown.unregister(self._worker)
        return done and not self.failed

    def _journal_add(self, job: WriteJob) -> tuple[WriteJob, Future[bool] | None]:
        """``job`` keyed, and its journal commit (None without a journal); the commit says False
        when the same write is already pending."""
        if self._closed:
            raise RuntimeError("BackgroundWriter is closed; create a new one")
        job = _keyed(job)
        if self._journal is None:
            return job, None
        payload = {"messages": [dict(m) for m in job.messages], "ids": dict(job.ids), "metadata": dict(job.metadata)}
        return job, self._journal.add(job.key, payload)

    def _journal_error(self, exc: Exception) -> MemoryBackendError:
        return MemoryBackendError(f"write journal {self.journal_path} failed: {exc}", operation="journal")

    def _replay(self, journal: Journal) -> None:
        try:
            rows = journal.claim()
        except sqlite3.Error as exc:  # e.g. locked past the busy timeout: new writes still work
            logger.warning("mem0-langgraph: could not replay the write journal %s: %s", journal.path, exc)
            return
        for key, payload in rows:
            job = WriteJob(messages=tuple(payload["messages"]), ids=payload["ids"], metadata=payload["metadata"],
                           key=key)
            self._worker.put(Entry(job, lane_of(job.ids), uncertain=True), room="force")
        if rows:
            logger.info("mem0-langgraph: replaying %d journaled memory writes from %s", len(rows), journal.path)


def _keyed(job: WriteJob) -> WriteJob:
    """``job`` with a key (derived from its content when it has none), also in its metadata.

    The replay finds a landed write by ``metadata["exchange_key"]``, so every write carries it.
    """
    key = job.key
    if not key:
        raw = json.dumps([[dict(m) for m in job.messages], dict(job.ids), dict(job.metadata)],
                         sort_keys=True, default=str)
        key = hashlib.sha256(raw.encode()).hexdigest()[:32]
    if job.key == key and job.metadata.get("exchange_key") == key:
        return job
    return replace(job, key=key, metadata={**job.metadata, "exchange_key": key})


def _find(backend: Any, name: str) -> Any:
    """Attribute ``name`` of ``backend`` or of the backends it wraps (``ForwardingBackend.inner``)."""
    for _ in range(8):
        value = getattr(backend, name, None)
        if value is not None or not hasattr(backend, "inner"):
            return value
        backend = backend.inner
    return None


def _target(backend: Any) -> str:
    """The store a backend writes to, as the journal names it: one data directory may hold several
    collections, and each one's writes are replayed only into it.

    A backend that knows its collection before it opens (a lazy one) says so in ``collection``.
    """
    memory = _find(backend, "memory")
    collection = _find(backend, "collection") or getattr(getattr(memory, "vector_store", None),
                                                         "collection_name", None)
    return f"collection:{collection}" if collection else type(memory or backend).__qualname__


def _open_journal(backend: Any, journal: str | os.PathLike[str] | Literal[False] | None) -> Journal | None:
    if journal is False:
        return None
    if journal is None:
        from mem0_langgraph.backends.factory import resolve_data_dir

        journal = Path(_find(backend, "data_dir") or resolve_data_dir()) / JOURNAL_NAME
    try:
        return Journal(Path(journal), _target(backend))
    except (OSError, sqlite3.Error) as exc:  # fail open: memory still works, only without crash safety
        logger.warning("mem0-langgraph: write journal %s unavailable (%s); memory writes are not crash-safe",
                       journal, exc)
        return None


_SHARED_ATTR = "_mem0_langgraph_writer"
_SHARED_WEAK: weakref.WeakKeyDictionary[Any, weakref.ref[BackgroundWriter]] = weakref.WeakKeyDictionary()
_SHARED_LOCK = threading.Lock()


def shared_writer(backend: MemoryBackend) -> BackgroundWriter:
    """The one `BackgroundWriter` of ``backend``: every graph, node and middleware on it shares it.

    A graph built per request therefore adds no thread, and one writer keeps each scope's
    writes in order. The writer is kept on the backend object itself: the pair is a
    cycle the garbage collector frees once nothing else holds the backend (the writer's
    thread ends when idle), so a backend built per request does not leak either.
    """
    with _SHARED_LOCK:
        # vars(), not getattr(): a wrapper forwarding unknown attributes must not share its inner backend's writer.
        writer = vars(backend).get(_SHARED_ATTR) if hasattr(backend, "__dict__") else None
        if writer is None:
            ref = _SHARED_WEAK.get(backend)
            writer = ref() if ref is not None else None
        if writer is None or writer._closed:
            writer = BackgroundWriter(backend)
            try:
                setattr(backend, _SHARED_ATTR, writer)
            except AttributeError:  # __slots__ or frozen: held weakly, so it lives as long as its users
                _SHARED_WEAK[backend] = weakref.ref(writer)
        return writer


def flush_all(timeout: float | None = None) -> bool:
    """Flush every live `BackgroundWriter` of this process (within ``timeout`` in all)."""
    deadline = None if timeout is None else time.monotonic() + timeout
    # A list, not a generator: every writer is flushed even after one has timed out.
    return all([w.flush(None if deadline is None else max(0.0, deadline - time.monotonic()))  # noqa: C419
                for w in _shutdown.live()])
