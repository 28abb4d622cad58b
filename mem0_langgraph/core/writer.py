"""Writers: how stored exchanges reach the backend, off the response path or inline.

`BackgroundWriter` (the default) queues each write and returns at once; a
daemon thread writes with retries and exponential backoff. The queue is bounded:
when it is full, ``submit`` waits for room (back-pressure) rather than drop an
acknowledged write. ``flush()`` / ``aflush()`` wait for the queue to drain, and
every live writer is flushed at interpreter exit. Writes that still fail after
all retries are kept in ``failed`` (and logged) for `retry_failed`.

`SyncWriter` writes inline, for scripts and tests. Both follow `MemoryWriter`,
so a durable journaled writer can replace them.
"""

from __future__ import annotations

import asyncio
import atexit
import logging
import queue
import threading
import time
import weakref
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from mem0_langgraph.backends.base import MemoryBackend

logger = logging.getLogger("mem0_langgraph")

_EXIT_FLUSH_TIMEOUT_S = 30.0


@dataclass(frozen=True)
class WriteJob:
    """One exchange to store: the messages, the scope ids, metadata and the exchange's key.

    ``key`` names the exchange (see `exchange_key`): writes with the same key are the same write.
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
    """Write inline, with the same retries: for scripts, tests and notebooks.

    Errors that survive the retries propagate to the caller (the store step
    then applies its ``on_error``).
    """

    def __init__(self, backend: MemoryBackend, *, max_retries: int = 2, backoff_s: float = 0.2) -> None:
        self.backend = backend
        self.max_retries = max_retries
        self.backoff_s = backoff_s

    def submit(self, job: WriteJob) -> None:
        for attempt in range(self.max_retries + 1):
            try:
                self.backend.add(job.messages, ids=job.ids, metadata=job.metadata)
                return
            except Exception:  # retried below; the last failure propagates
                if attempt == self.max_retries:
                    raise
                time.sleep(self.backoff_s * 2**attempt)

    async def asubmit(self, job: WriteJob) -> None:
        for attempt in range(self.max_retries + 1):
            try:
                await self.backend.aadd(job.messages, ids=job.ids, metadata=job.metadata)
                return
            except Exception:  # retried below; the last failure propagates
                if attempt == self.max_retries:
                    raise
                await asyncio.sleep(self.backoff_s * 2**attempt)

    def flush(self, timeout: float | None = None) -> bool:
        return True

    async def aflush(self, timeout: float | None = None) -> bool:
        return True


class BackgroundWriter:
    """Write on a daemon thread with a bounded queue, retries and backoff.

    Args:
        backend: Where writes go.
        max_queue: Pending writes held before ``submit`` waits. Default 1000.
        max_retries: Retries of a failed write before it goes to ``failed``. Default 5.
        backoff_s: First retry delay, doubled each retry. Default 0.5.
        max_backoff_s: Cap on the retry delay. Default 30.

    Example:
        >>> import tempfile
        >>> from mem0_langgraph import Mem0Backend, create_memory
        >>> backend = Mem0Backend(create_memory(data_dir=tempfile.mkdtemp()))  # the offline default
        >>> writer = BackgroundWriter(backend)
        >>> writer.submit(WriteJob(messages=({"role": "user", "content": "I'm vegetarian"},), ids={"user_id": "u"}))
        >>> writer.flush(timeout=30), writer.written
        (True, 1)
        >>> [hit.text for hit in backend.get_all(filters={"user_id": "u"})]
        ["I'm vegetarian"]
    """

    def __init__(self, backend: MemoryBackend, *, max_queue: int = 1000, max_retries: int = 5,
                 backoff_s: float = 0.5, max_backoff_s: float = 30.0) -> None:
        if max_queue < 1:
            raise ValueError(f"max_queue must be >= 1, got {max_queue}")
        self.backend = backend
        self.max_retries = max_retries
        self.backoff_s = backoff_s
        self.max_backoff_s = max_backoff_s
        self.failed: list[tuple[WriteJob, BaseException]] = []
        """Writes that failed after every retry, with their last error."""
        self.written = 0
        """Writes completed."""
        self._queue: queue.Queue[WriteJob | None] = queue.Queue(maxsize=max_queue)
        self._thread: threading.Thread | None = None
        self._start_lock = threading.Lock()
        self._closed = False
        _LIVE_WRITERS.add(self)

    @property
    def pending(self) -> int:
        """Writes accepted and not yet finished."""
        return self._queue.unfinished_tasks

    def submit(self, job: WriteJob) -> None:
        if self._closed:
            raise RuntimeError("BackgroundWriter is closed; create a new one")
        self._ensure_thread()
        self._queue.put(job)  # blocks when full: back-pressure instead of a lost write

    async def asubmit(self, job: WriteJob) -> None:
        if self._closed:
            raise RuntimeError("BackgroundWriter is closed; create a new one")
        self._ensure_thread()
        try:
            self._queue.put_nowait(job)
        except queue.Full:
            await asyncio.to_thread(self._queue.put, job)

    def flush(self, timeout: float | None = None) -> bool:
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._queue.all_tasks_done:
            while self._queue.unfinished_tasks:
                remaining = None if deadline is None else deadline - time.monotonic()
                if remaining is not None and remaining <= 0:
                    return False
                self._queue.all_tasks_done.wait(remaining)
        return True

    async def aflush(self, timeout: float | None = None) -> bool:
        return await asyncio.to_thread(self.flush, timeout)

    def retry_failed(self) -> int:
        """Queue the writes in ``failed`` again; returns how many."""
        jobs, self.failed = self.failed, []
        for job, _ in jobs:
            self.submit(job)
        return len(jobs)

    def close(self, timeout: float | None = _EXIT_FLUSH_TIMEOUT_S) -> bool:
        """Flush, then stop the thread. Returns whether everything was written."""
        done = self.flush(timeout)
        self._closed = True
        if self._thread is not None and self._thread.is_alive():
            self._queue.put(None)
            self._thread.join(timeout=1.0)
        _LIVE_WRITERS.discard(self)
        return done and not self.failed

    def _ensure_thread(self) -> None:
        if self._thread is not None and self._thread.is_alive():
            return
        with self._start_lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="mem0-langgraph-writer", daemon=True)
                self._thread.start()

    def _run(self) -> None:
        while True:
            job = self._queue.get()
            try:
                if job is None:
                    return
                self._write(job)
            finally:
                self._queue.task_done()

    def _write(self, job: WriteJob) -> None:
        delay = self.backoff_s
        for attempt in range(self.max_retries + 1):
            try:
                self.backend.add(job.messages, ids=job.ids, metadata=job.metadata)
                self.written += 1
                return
            except Exception as exc:  # a backend hiccup must not kill the writer thread
                if attempt == self.max_retries:
                    self.failed.append((job, exc))
                    logger.error("mem0-langgraph: write failed after %d attempts, kept in writer.failed: %s",
                                 attempt + 1, exc)
                    return
                logger.warning("mem0-langgraph: write failed (attempt %d), retrying in %.1fs: %s",
                               attempt + 1, delay, exc)
                time.sleep(delay)
                delay = min(delay * 2, self.max_backoff_s)


_LIVE_WRITERS: weakref.WeakSet[BackgroundWriter] = weakref.WeakSet()


@atexit.register
def _flush_at_exit() -> None:
    for writer in list(_LIVE_WRITERS):
        if writer.pending and not writer.flush(_EXIT_FLUSH_TIMEOUT_S):
            logger.error("mem0-langgraph: %d memory writes still pending at exit", writer.pending)


_SHARED: weakref.WeakKeyDictionary[Any, BackgroundWriter] = weakref.WeakKeyDictionary()
_SHARED_LOCK = threading.Lock()


def shared_writer(backend: MemoryBackend) -> BackgroundWriter:
    """The one `BackgroundWriter` of ``backend``: every graph, node and middleware on it shares it.

    A graph built per request therefore adds no thread; the writer lives as long as its backend.
    """
    with _SHARED_LOCK:
        writer = _SHARED.get(backend)
        if writer is None or writer._closed:
            writer = _SHARED[backend] = BackgroundWriter(backend)
        return writer


def flush_all(timeout: float | None = None) -> bool:
    """Flush every live `BackgroundWriter` of this process."""
    return all([w.flush(timeout) for w in list(_LIVE_WRITERS)])


