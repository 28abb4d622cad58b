"""The write journal: every accepted write is on disk before ``submit`` returns.

One SQLite file per data directory (``<data_dir>/journal.sqlite3``) in WAL mode
with ``synchronous=FULL``: a commit is fsynced, so an acknowledged write survives
kill -9 and power loss alike. It costs about 0.25 ms a commit on this machine
(NORMAL: 0.02 ms, but NORMAL in WAL mode may drop the last commits on power
loss, and the whole point is that an acknowledged write is never lost).

A row is one pending (or permanently failed) write of one *target* (the store
it goes to: a data directory can hold several collections), keyed by the
write's exchange key; a finished write's row is deleted. Several threads share
one connection behind a lock; several processes share the file through
SQLite's own locking (``busy_timeout``).

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
import os
import sqlite3
import threading
import time
import uuid
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

try:
    import fcntl
except ImportError:  # Windows: no flock, see the module docstring
    fcntl = None  # type: ignore[assignment]

JOURNAL_NAME = "journal.sqlite3"
_BUSY_TIMEOUT_S = 10.0  # another process committing: wait for it rather than fail the submit
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

    def add(self, key: str, payload: dict[str, Any]) -> bool:
        """Record a write durably. False when ``key`` is already pending (the same write, in flight)."""
        job = json.dumps(payload, default=str, ensure_ascii=False)
        with self._lock:
            return self._db.execute(_ADD, (self.target, key, self.owner, job, time.time())).rowcount > 0

    def done(self, key: str) -> None:
        """The write landed: forget it."""
        self._execute("DELETE FROM writes WHERE target = ? AND key = ?", (self.target, key))

    def fail(self, key: str, reason: str) -> None:
        """The write can never land: keep it, with the reason, and never replay it."""
        self._execute("UPDATE writes SET state = 'failed', reason = ?, updated = ? WHERE target = ? AND key = ?",
                      (reason, time.time(), self.target, key))

    def reopen(self, key: str) -> None:
        """Make a failed write pending again, owned by this journal (`retry_failed`)."""
        self._execute("UPDATE writes SET state = 'pending', owner = ?, reason = NULL, updated = ? "
                      "WHERE target = ? AND key = ?", (self.owner, time.time(), self.target, key))

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
        with self._lock:
            self._db.close()
            self._release()

    def _execute(self, sql: str, args: tuple[Any, ...]) -> None:
        with self._lock:
            self._db.execute(sql, args)

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
