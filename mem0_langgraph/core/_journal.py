"""The write journal: every accepted write is on disk before ``submit`` returns.

One SQLite file per data directory (``<data_dir>/journal.sqlite3``) in WAL mode
with ``synchronous=FULL``: a commit is fsynced, so an acknowledged write survives
kill -9 and power loss alike. It costs about 0.25 ms a commit on this machine
(NORMAL: 0.02 ms, but NORMAL in WAL mode may drop the last commits on power
loss, and the whole point is that an acknowledged write is never lost).

A row is one pending (or permanently failed) write of one *target* (the store
it goes to: a data directory can hold several collections), keyed by the
write's exchange key; a finished write's row is deleted. Statements go through
one commit thread per journal (group commit): what queues up during one fsync
shares the next, so 50 concurrent conversations do not pay 50 fsyncs in a row,
and an event loop awaits the commit instead of blocking on the disk (under
load an fsync here took 1 ms at the median and 24 ms at p95). Several
processes share the file through SQLite's own locking (``busy_timeout``).

Ownership: each open journal has an owner token and holds an exclusive
``flock`` on ``<journal>-owners/<token>.lock`` while it is open. The kernel
drops that lock when the process dies, even on kill -9, so a writer opening the
journal can tell a dead owner's pending rows (claim them and replay them) from a
live writer's (leave them alone: that writer is still on them). Without
``fcntl`` (Windows) every other owner looks dead: use one writer per data
directory there.
"""

from __future__ import annotations

import json
import logging
import os
import sqlite3
import threading
import time
import uuid
import weakref
from collections.abc import Iterator
from concurrent.futures import Future
from contextlib import contextmanager
from pathlib import Path
from typing import Any

try:
    import fcntl
except ImportError:  # Windows: no flock, see the module docstring
    fcntl = None  # type: ignore[assignment]

logger = logging.getLogger("mem0_langgraph")

JOURNAL_NAME = "journal.sqlite3"
_BUSY_TIMEOUT_S = 10.0  # another process committing: wait for it rather than fail the submit
_MAX_BATCH = 500  # statements per transaction (one fsync)
_COMMITTER_IDLE_S = 2.0  # the commit thread ends after this long with nothing to commit
_FAILED_RETENTION_S = 30 * 24 * 3600.0  # permanently failed rows are kept a month, for inspection
_SCHEMA = """
CREATE TABLE IF NOT EXISTS writes (
    target  TEXT NOT NULL,
    key     TEXT NOT NULL,
    owner   TEXT NOT NULL,
    state   TEXT NOT NULL DEFAULT 'pending',  -- 'pending' or 'failed'
    job     TEXT NOT NULL,                    -- JSON: messages, ids, metadata
    reason  TEXT,
    updated REAL NOT NULL,
    PRIMARY KEY (target, key)
)"""
_ADD = """
INSERT INTO writes (target, key, owner, job, updated) VALUES (?, ?, ?, ?, ?)
ON CONFLICT (target, key) DO UPDATE
SET state = 'pending', owner = excluded.owner, job = excluded.job, reason = NULL, updated = excluded.updated
WHERE writes.state = 'failed'"""


class Journal:
    """The durable record of one writer's accepted writes (see the module docstring).

    Args:
        path: The SQLite file; its folder is created.
        target: Names the store the writes go to; only this target's rows are claimed.

    Raises:
        OSError, sqlite3.Error: The file cannot be created or opened.
    """

    def __init__(self, path: Path, target: str) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.target = target
        self.owner = uuid.uuid4().hex
        self._owners = path.with_name(path.name + "-owners")
        self._owners.mkdir(exist_ok=True)
        self._lock = threading.Lock()
        owner_file = self._owners / f"{self.owner}.lock"
        fd = _lock_file(owner_file, create=True)
        # A journal dropped without close() (its writer collected) still gives up ownership.
        self._release = weakref.finalize(self, _release, fd, owner_file)
        self._db = sqlite3.connect(path, timeout=_BUSY_TIMEOUT_S, isolation_level=None, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.execute(_SCHEMA)
        self._db.execute("DELETE FROM writes WHERE state = 'failed' AND updated < ?",
                         (time.time() - _FAILED_RETENTION_S,))
        self._queued: list[tuple[str, tuple[Any, ...], Future[bool] | None]] = []
        self._queued_cv = threading.Condition()
        self._committing = False
        self._committer: threading.Thread | None = None

    def add(self, key: str, payload: dict[str, Any]) -> Future[bool]:
        """Record a write durably; the future says False when ``key`` is already pending (the same write).

        Await it (``.result()`` or ``asyncio.wrap_future``) before acknowledging the write.
        """
        job = json.dumps(payload, default=str)  # ASCII: a lone surrogate in a message cannot break the journal
        return self._enqueue(_ADD, (self.target, key, self.owner, job, time.time()), Future())

    def done(self, key: str) -> None:
        """The write landed: forget it. Not waited for: a lost mark only costs the replay a check."""
        self._enqueue("DELETE FROM writes WHERE target = ? AND key = ?", (self.target, key), None)

    def fail(self, key: str, reason: str) -> None:
        """The write can never land: keep it, with the reason, and never replay it (not waited for)."""
        self._enqueue("UPDATE writes SET state = 'failed', reason = ?, updated = ? WHERE target = ? AND key = ?",
                      (reason, time.time(), self.target, key), None)

    def reopen(self, key: str) -> None:
        """Make a failed write pending again, owned by this journal (`retry_failed`); waits for the commit."""
        self._enqueue("UPDATE writes SET state = 'pending', owner = ?, reason = NULL, updated = ? "
                      "WHERE target = ? AND key = ?", (self.owner, time.time(), self.target, key), Future()).result()

    def wait_idle(self, timeout: float) -> bool:
        """Wait until every queued statement is committed (at exit); False on timeout."""
        deadline = time.monotonic() + timeout
        with self._queued_cv:
            while self._queued or self._committing:
                if not self._queued_cv.wait(max(0.0, deadline - time.monotonic())):
                    return False
        return True

    def claim(self) -> list[tuple[str, dict[str, Any]]]:
        """Take over the pending writes of dead owners; return every pending write now ours, oldest first."""
        with self._lock:
            others = [row[0] for row in self._db.execute(
                "SELECT DISTINCT owner FROM writes WHERE target = ? AND state = 'pending' AND owner <> ?",
                (self.target, self.owner))]
            for owner in others:
                with self._if_dead(owner) as dead:
                    if dead:
                        self._db.execute("UPDATE writes SET owner = ? WHERE target = ? AND owner = ? "
                                         "AND state = 'pending'", (self.owner, self.target, owner))
            rows = self._db.execute("SELECT key, job FROM writes WHERE target = ? AND owner = ? "
                                    "AND state = 'pending' ORDER BY rowid", (self.target, self.owner)).fetchall()
            self._sweep_owner_files()
        return [(key, json.loads(job)) for key, job in rows]

    def close(self) -> None:
        """Close the file and drop ownership: whatever is still pending is claimable by the next writer."""
        self.wait_idle(_BUSY_TIMEOUT_S)
        with self._lock:
            self._db.close()
            self._release()

    def _enqueue(self, sql: str, args: tuple[Any, ...], future: Future[bool] | None) -> Future[bool]:
        with self._queued_cv:
            self._queued.append((sql, args, future))
            self._queued_cv.notify_all()
            if self._committer is None:
                self._committer = threading.Thread(target=self._commit_loop, name="mem0-langgraph-journal",
                                                   daemon=True)
                self._committer.start()
        return future if future is not None else _DONE

    def _commit_loop(self) -> None:
        # Group commit: whatever queued up while the last fsync ran goes into the next
        # transaction, so concurrent writers share one fsync and no caller's thread (an
        # event loop above all) ever waits on the disk itself.
        while True:
            with self._queued_cv:
                while not self._queued:
                    if not self._queued_cv.wait(_COMMITTER_IDLE_S) and not self._queued:
                        self._committer = None
                        self._queued_cv.notify_all()
                        return
                batch, self._queued = self._queued[:_MAX_BATCH], self._queued[_MAX_BATCH:]
                self._committing = True
            # A caller that gave up (a cancelled future) gets nothing journaled.
            batch = [item for item in batch if item[2] is None or item[2].set_running_or_notify_cancel()]
            try:
                with self._lock:
                    self._db.execute("BEGIN IMMEDIATE")
                    try:
                        changed = [self._db.execute(sql, args).rowcount > 0 for sql, args, _ in batch]
                        self._db.execute("COMMIT")
                    except BaseException:
                        self._db.execute("ROLLBACK")
                        raise
            except Exception as exc:  # handed to every waiter: their submit fails, nothing is acknowledged
                for *_, future in batch:
                    if future is not None:
                        future.set_exception(exc)
                if any(future is None for *_, future in batch):
                    logger.warning("mem0-langgraph: write journal update failed: %s", exc)
            else:
                for (*_, future), did in zip(batch, changed):
                    if future is not None:
                        future.set_result(did)
            finally:
                with self._queued_cv:
                    self._committing = False
                    self._queued_cv.notify_all()

    @contextmanager
    def _if_dead(self, owner: str) -> Iterator[bool]:
        # Hold the dead owner's lock while claiming, so two writers starting together
        # cannot both see it dead and split its rows; then remove its file if it owns nothing.
        path = self._owners / f"{owner}.lock"
        try:
            fd = _lock_file(path, create=False)
        except FileNotFoundError:  # its file is gone: it closed or died and was swept
            yield True
            return
        if fd is None:
            yield False
            return
        try:
            yield True
            if self._db.execute("SELECT 1 FROM writes WHERE owner = ? LIMIT 1", (owner,)).fetchone() is None:
                path.unlink(missing_ok=True)
        finally:
            os.close(fd)

    def _sweep_owner_files(self) -> None:
        # Owners that died owning nothing (or whose rows were claimed) leave their lock files behind.
        for path in list(self._owners.glob("*.lock"))[:100]:
            if path.stem != self.owner:
                with self._if_dead(path.stem):
                    pass


_DONE: Future[bool] = Future()
_DONE.set_result(True)  # what fire-and-forget statements return


def _release(fd: int | None, path: Path) -> None:
    path.unlink(missing_ok=True)
    if fd is not None:
        os.close(fd)


def _lock_file(path: Path, *, create: bool) -> int | None:
    """An fd holding an exclusive flock on ``path``; None when another open file holds it."""
    fd = os.open(path, os.O_RDWR | (os.O_CREAT if create else 0), 0o600)
    if fcntl is None:
        return fd
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:  # held: that owner is alive
        os.close(fd)
        return None
    return fd
