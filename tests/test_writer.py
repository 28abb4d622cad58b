"""BackgroundWriter and SyncWriter against the real backend, with injected failures; error classes."""

from __future__ import annotations

import sqlite3
import threading

import pytest

from mem0_langgraph import BackgroundWriter, SyncWriter
from mem0_langgraph.core._retry import classify
from mem0_langgraph.core.writer import WriteJob
from tests.conftest import CountingBackend


def job(user_id: str, text: str) -> WriteJob:
    return WriteJob(messages=({"role": "user", "content": text},), ids={"user_id": user_id})


def test_retries_transient_failures_then_writes(backend, user_id) -> None:
    failures = iter([ConnectionError("blip"), ConnectionError("blip")])
    flaky = CountingBackend(backend, fail=lambda op: next(failures, None) if op == "add" else None)
    writer = BackgroundWriter(flaky, backoff_s=0.01)
    writer.submit(job(user_id, "I speak Portuguese and Japanese."))
    assert writer.flush(timeout=30)
    assert flaky.calls["add"] == 3 and writer.written == 1 and writer.failed == []
    assert [h.text for h in backend.get_all(filters={"user_id": user_id})] == ["I speak Portuguese and Japanese."]
    writer.close()


def test_permanent_failure_is_kept_not_lost_and_can_be_retried(backend, user_id) -> None:
    down = {"on": True}
    flaky = CountingBackend(backend, fail=lambda op: ConnectionError("down") if down["on"] else None)
    writer = BackgroundWriter(flaky, max_retries=1, backoff_s=0.01)
    writer.submit(job(user_id, "My flight is on Friday."))
    assert writer.flush(timeout=30)
    assert len(writer.failed) == 1 and "down" in str(writer.failed[0][1])
    down["on"] = False
    assert writer.retry_failed() == 1 and writer.flush(timeout=30) and writer.failed == []
    assert backend.get_all(filters={"user_id": user_id})[0].text == "My flight is on Friday."
    writer.close()


def test_full_queue_applies_back_pressure_instead_of_dropping(backend, user_id) -> None:
    gate = threading.Event()
    slow = CountingBackend(backend, fail=lambda op: None if gate.wait(10) else TimeoutError())
    writer = BackgroundWriter(slow, max_queue=1)
    texts = [f"note {i} about my garden" for i in range(4)]
    done = threading.Event()

    def produce() -> None:
        for t in texts:
            writer.submit(job(user_id, t))
        done.set()

    threading.Thread(target=produce, daemon=True).start()
    assert not done.wait(0.5)  # the producer waits for room: nothing is dropped
    gate.set()
    assert done.wait(30) and writer.flush(timeout=60)
    assert sorted(h.text for h in backend.get_all(filters={"user_id": user_id})) == texts
    writer.close()


def test_flush_timeout_reports_false(backend, user_id) -> None:
    gate = threading.Event()
    slow = CountingBackend(backend, fail=lambda op: None if gate.wait(10) else TimeoutError())
    writer = BackgroundWriter(slow)
    writer.submit(job(user_id, "pending write"))
    assert writer.flush(timeout=0.05) is False and writer.pending == 1
    gate.set()
    assert writer.flush(timeout=30) and writer.pending == 0
    writer.close()


async def test_async_submit_and_flush(backend, user_id) -> None:
    writer = BackgroundWriter(backend)
    await writer.asubmit(job(user_id, "I live near the river."))
    assert await writer.aflush(timeout=30)
    sync = SyncWriter(backend)
    await sync.asubmit(job(user_id, "I work nights."))
    texts = {h.text for h in backend.get_all(filters={"user_id": user_id})}
    assert texts == {"I live near the river.", "I work nights."}
    writer.close()


def _caused_by(cause: BaseException) -> BaseException:
    from mem0_langgraph.errors import MemoryBackendError

    try:
        raise MemoryBackendError(f"mem0 add failed: {cause}", operation="add") from cause
    except MemoryBackendError as exc:
        return exc


class _Status(Exception):
    def __init__(self, status_code: int) -> None:
        super().__init__(f"HTTP {status_code}")
        self.status_code = status_code


@pytest.mark.parametrize(("cause", "kind"), [
    (ValueError("user_id must not contain whitespace"), "permanent"),
    (TypeError("messages must be a list"), "permanent"),
    (UnicodeEncodeError("utf-8", "\ud800", 0, 1, "surrogates not allowed"), "permanent"),
    (ConnectionError("vector store unreachable"), "transient"),
    (TimeoutError("embedding timed out"), "transient"),
    (OSError("disk I/O error"), "transient"),
    (sqlite3.OperationalError("database is locked"), "transient"),
    (_Status(503), "transient"),
    (_Status(429), "transient"),
    (_Status(400), "permanent"),
    (RuntimeError("something odd"), "transient"),  # unknown: retried a bounded number of times
])
def test_failures_are_classified_through_the_backend_wrapper(cause: BaseException, kind: str) -> None:
    assert classify(_caused_by(cause)).kind == kind


def test_mem0_own_errors_are_classified_by_their_code() -> None:
    from mem0.exceptions import (
        MemoryError,
        NetworkError,
        RateLimitError,
        ValidationError,
    )

    assert classify(_caused_by(ValidationError("bad metadata", error_code="VAL_002"))).kind == "permanent"
    assert classify(_caused_by(RateLimitError("slow down", "RATE_001"))).kind == "transient"
    assert classify(_caused_by(NetworkError("reset", "NET_001"))).kind == "transient"
    assert classify(_caused_by(MemoryError("server error", "HTTP_502"))).kind == "transient"


def test_sync_writer_raises_a_permanent_error_at_once(backend) -> None:
    counting = CountingBackend(backend)
    with pytest.raises(Exception, match="whitespace|invalid|user_id"):
        SyncWriter(counting, backoff_s=0.01).submit(job("not a valid id", "mem0 rejects this"))
    assert counting.calls["add"] == 1
