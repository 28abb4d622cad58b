"""The engine behind `BackgroundWriter`: per-scope lanes, a delay queue and one thread.

Writes are queued per scope (the user and agent ids; the session id only when
neither is set). The thread serves the scopes in turn, so one user's slow or
failing writes never hold up another's. A write that failed on the way waits in
a delay queue (its scope with it: a newer fact must not land before an older
one), while the thread goes on with other scopes; it never sleeps on a retry.

The thread ends after a short idle spell and the next write starts a new one, so
a writer holds a thread only while it has work: graphs built and dropped per
request never pile up threads, and an idle writer (with its backend) can be
garbage-collected.
"""

from __future__ import annotations

import heapq
import itertools
import logging
import threading
import time
from collections import Counter, deque
from collections.abc import Hashable, Mapping
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Literal

from mem0_langgraph.core._retry import Verdict, backoff_delay, classify

if TYPE_CHECKING:
    from mem0_langgraph.backends.base import MemoryBackend
    from mem0_langgraph.core._journal import Journal
    from mem0_langgraph.core.writer import WriteJob

logger = logging.getLogger("mem0_langgraph")

_IDLE_EXIT_S = 2.0  # the thread ends after this long with nothing to write; the next write starts one


@dataclass
class Entry:
    """A queued write: the job, its scope lane, the attempts so far, and whether it may have landed."""

    job: WriteJob
    lane: Hashable
    attempts: int = 0
    uncertain: bool = False
    """Replayed or retried: an earlier try may have landed, so check the backend before adding."""


def lane_of(ids: Mapping[str, str]) -> Hashable:
    """The ordering lane of a scope: its user and agent ids, or its session id when neither is set."""
    user, agent = ids.get("user_id"), ids.get("agent_id")
    return (user, agent) if user or agent else ("run", ids.get("run_id"))


class Lanes:
    """FIFO lanes served round-robin, with a delay queue for lanes whose head is backing off.

    Not thread-safe: `Worker` holds its lock around every call.
    """

    def __init__(self) -> None:
        self.count = 0
        self._lanes: dict[Hashable, deque[Entry]] = {}
        self._ready: deque[Hashable] = deque()
        self._delayed: list[tuple[float, int, Hashable]] = []
        self._seq = itertools.count()

    def put(self, entry: Entry) -> None:
        lane = self._lanes.get(entry.lane)
        if lane is None:  # a new lane is ready at once; a known one is ready, busy or delayed already
            lane = self._lanes[entry.lane] = deque()
            self._ready.append(entry.lane)
        lane.append(entry)
        self.count += 1

    def take(self, now: float) -> Entry | float | None:
        """The next write to try, else seconds until a delayed lane is due, else None (idle)."""
        while self._delayed and self._delayed[0][0] <= now:
            self._ready.append(heapq.heappop(self._delayed)[2])
        if self._ready:
            return self._lanes[self._ready.popleft()][0]
        return self._delayed[0][0] - now if self._delayed else None

    def finish(self, entry: Entry) -> None:
        """The lane's head is done (written or given up): the lane moves on."""
        lane = self._lanes[entry.lane]
        lane.popleft()
        self.count -= 1
        if lane:
            self._ready.append(entry.lane)
        else:
            del self._lanes[entry.lane]

    def defer(self, entry: Entry, until: float) -> None:
        """Park the lane (its head is ``entry``) until ``until``."""
        heapq.heappush(self._delayed, (until, next(self._seq), entry.lane))


class Worker:
    """Lanes, counters and the thread of one `BackgroundWriter` (see the module docstring)."""

    def __init__(self, backend: MemoryBackend, journal: Journal | None, *, max_queue: int, max_retries: int,
                 backoff_s: float, max_backoff_s: float, verbatim: bool) -> None:
        self.backend = backend
        self.journal = journal
        self.max_queue = max_queue
        self.max_retries = max_retries
        self.backoff_s = backoff_s
        self.max_backoff_s = max_backoff_s
        self.verbatim = verbatim
        self.failed: list[tuple[WriteJob, BaseException]] = []
        self.written = 0
        self.lanes = Lanes()
        # Reentrant: a SIGTERM handler may flush while the main thread is inside submit.
        self.cond = threading.Condition(threading.RLock())
        self.stopping = False
        self.running = False
        """Whether the thread is serving; set and cleared under the lock, unlike ``Thread.is_alive``."""
        self.thread: threading.Thread | None = None

    def put(self, entry: Entry, *, room: Literal["wait", "try", "force"] = "wait") -> bool:
        """Queue a write; True once queued.

        When the queue is full, ``"wait"`` blocks for room (back-pressure, never a drop),
        ``"try"`` returns False, and ``"force"`` queues anyway (replays and retries).
        """
        with self.cond:
            while self.lanes.count >= self.max_queue and room != "force" and not self.stopping:
                if room == "try":
                    return False
                self.cond.wait()
            self.lanes.put(entry)
            self.cond.notify_all()
            if not self.stopping and not self.running:
                self.running = True
                self.thread = threading.Thread(target=self._run, name="mem0-langgraph-writer", daemon=True)
                self.thread.start()
            return True

    def flush(self, timeout: float | None) -> bool:
        """Wait until nothing is pending; False on timeout, or when the thread stopped first."""
        deadline = None if timeout is None else time.monotonic() + timeout
        with self.cond:
            while self.lanes.count and (self.running or not self.stopping):
                remaining = None if deadline is None else deadline - time.monotonic()
                if remaining is not None and remaining <= 0:
                    return False
                self.cond.wait(remaining)
            return self.lanes.count == 0

    def stop(self, join_s: float) -> bool:
        """Let the write in progress finish, then end the thread; the rest stays journaled. True if it ended."""
        with self.cond:
            self.stopping = True
            self.cond.notify_all()
        thread = self.thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(join_s)
        return not self.running

    # -- the thread ----------------------------------------------------------------
    def _run(self) -> None:
        entry = None
        try:
            while (entry := self._next()) is not None:
                self._settle(entry, self._attempt(entry))
        finally:
            if entry is not None:  # a bug escaped (the write stays journaled): the next put starts a new thread
                with self.cond:
                    self.running = False
                    self.cond.notify_all()

    def _next(self) -> Entry | None:
        """The next write to try; None (and ``running`` cleared, under the lock) when the thread should end."""
        with self.cond:
            while not self.stopping:
                item = self.lanes.take(time.monotonic())
                if isinstance(item, Entry):
                    return item
                # Idle for a while: end the thread, so no writer holds a thread (or its backend) for nothing.
                if not self.cond.wait(_IDLE_EXIT_S if item is None else item) and item is None \
                        and not self.lanes.count:
                    break
            self.running = False
            self.cond.notify_all()  # flushers waiting on a stopped thread stop waiting
            return None

    def _attempt(self, entry: Entry) -> BaseException | None:
        """Write ``entry``'s job (or what of it has not landed yet); the error, or None once it is stored."""
        try:
            job = self._still_missing(entry.job) if entry.uncertain else entry.job
            if job is not None:
                self.backend.add(job.messages, ids=job.ids, metadata=job.metadata)
            return None
        except Exception as exc:  # any backend failure is classified in _settle; it must never end the thread
            return exc

    def _still_missing(self, job: WriteJob) -> WriteJob | None:
        """What of ``job`` is not in the backend yet (None: all of it landed), by its exchange key."""
        try:
            hits = self.backend.get_all(filters={**job.ids, "exchange_key": job.key}, limit=100)
        except Exception as exc:  # a backend that cannot filter on metadata: add anyway (at least once)
            if classify(exc).kind == "transient":
                raise
            logger.warning("mem0-langgraph: cannot check whether a replayed write landed (%s); adding it", exc)
            return job
        if not hits:
            return job
        if not self.verbatim:
            return None  # fact extraction landed something for this exchange: it ran
        # Stored verbatim, one memory per message (system ones skipped): a crash may have landed
        # some of them. Counted by role, as the store may have normalised the text.
        landed = Counter(h.metadata.get("role") for h in hits)
        missing = []
        for message in job.messages:
            role = message.get("role")
            if role != "system" and not landed[role]:
                missing.append(message)
            landed[role] -= 1
        return replace(job, messages=tuple(missing)) if missing else None

    def _settle(self, entry: Entry, exc: BaseException | None) -> None:
        """Record how the try went: done, retry later (its lane waits), or failed."""
        verdict = None if exc is None else classify(exc)
        self._journal_outcome(entry.job.key, verdict)
        with self.cond:
            if exc is None or verdict is None:
                self.lanes.finish(entry)
                self.written += 1
            elif verdict.kind == "transient" and entry.attempts < self.max_retries:
                entry.attempts += 1
                entry.uncertain = True
                delay = backoff_delay(entry.attempts, self.backoff_s, self.max_backoff_s)
                logger.warning("mem0-langgraph: write failed (attempt %d), retrying in %.2fs: %s",
                               entry.attempts, delay, verdict.reason)
                self.lanes.defer(entry, time.monotonic() + delay)
            else:
                self.lanes.finish(entry)
                self._give_up(entry, exc, verdict)
            self.cond.notify_all()

    def _journal_outcome(self, key: str, verdict: Verdict | None) -> None:
        if self.journal is None or (verdict is not None and verdict.kind == "transient"):
            return  # a transient failure stays pending: retried here, or replayed by the next writer
        try:
            if verdict is None:
                self.journal.done(key)
            else:
                self.journal.fail(key, verdict.reason)
        except Exception as exc:  # the row stays pending; a replay checks the backend first, so no duplicate
            logger.warning("mem0-langgraph: write journal update failed: %s", exc)

    def _give_up(self, entry: Entry, exc: BaseException, verdict: Verdict) -> None:
        if verdict.kind == "permanent":
            note = "mem0-langgraph: permanent error, not retried; marked failed in the write journal"
        else:  # still pending in the journal: the next writer on this data directory replays it
            note = f"mem0-langgraph: transient error, gave up after {entry.attempts + 1} attempts"
        exc.add_note(note)
        self.failed.append((entry.job, exc))
        logger.error("%s: %s", note, verdict.reason)
