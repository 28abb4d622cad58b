"""BackgroundWriter durability on the real store: crashes, replays, error classes, fairness, threads.

The crash test runs two child processes (tests/_writer_child.py) that acknowledge
writes through a real `StoreNode` on a slowed backend, kills one with SIGKILL and
the other with SIGTERM, then opens each data directory again here: every
acknowledged write must be stored exactly once. The children start with the
module and load the model while the other tests run; the crash test comes last.
"""

from __future__ import annotations

import gc
import os
import queue
import signal
import sqlite3
import subprocess
import sys
import threading
import time
import weakref
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from langchain_core.messages import AIMessage, HumanMessage

from mem0_langgraph import (
    BackgroundWriter,
    EchoChatModel,
    ForwardingBackend,
    Mem0Backend,
    StoreNode,
    with_memory,
)
from mem0_langgraph.backends.base import Add
from mem0_langgraph.core import _journal
from mem0_langgraph.core._journal import Journal
from mem0_langgraph.core.writer import WriteJob, _keyed, _target, shared_writer
from tests._writer_child import USERS, open_memory, texts

CHILD = Path(__file__).with_name("_writer_child.py")
ACKED = 45
STORES = {"SIGKILL": "plain", "SIGTERM": "default"}


class Child:
    """A child process whose stdout lines arrive on a queue."""

    def __init__(self, data_dir: Path, store: str) -> None:
        env = {**os.environ, "HF_HUB_OFFLINE": "1", "MEM0_TELEMETRY": "False"}
        self.proc = subprocess.Popen([sys.executable, str(CHILD), str(data_dir), str(ACKED), store], env=env,
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                     cwd=CHILD.parent.parent)
        self.lines: queue.Queue[str] = queue.Queue()
        self.stderr: list[str] = []
        threading.Thread(target=self._pump, args=(self.proc.stdout, self.lines.put), daemon=True).start()
        threading.Thread(target=self._pump, args=(self.proc.stderr, self.stderr.append), daemon=True).start()

    @staticmethod
    def _pump(stream: Any, sink: Any) -> None:
        for line in stream:
            sink(line.rstrip("\n"))

    def wait_for(self, word: str, timeout: float) -> list[str]:
        seen, deadline = [], time.monotonic() + timeout
        while not seen or seen[-1].split()[0] != word:
            try:
                seen.append(self.lines.get(timeout=0.5))
            except queue.Empty:
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    self.proc.kill()
                    pytest.fail(f"child never printed {word}; stderr:\n" + "\n".join(self.stderr[-30:]))
        return seen


@pytest.fixture(scope="module", autouse=True)
def children(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Any:
    """The crash test's two children, started with the module when that test is selected."""
    if not any(item.name == test_kill9_and_sigterm_lose_no_acknowledged_write_and_store_none_twice.__name__
               for item in request.session.items):
        yield None
        return
    root = tmp_path_factory.mktemp("crash")
    # SIGKILL on mem0's own store (nothing but the replay check stops a duplicate), SIGTERM on ours.
    kids = {name: (root / name, store, Child(root / name, store)) for name, store in STORES.items()}
    yield kids
    for *_, child in kids.values():
        child.proc.kill()
        child.proc.wait(30)


def journal_states(path: Path) -> Counter[str]:
    with sqlite3.connect(path) as db:
        return Counter(state for (state,) in db.execute("SELECT state FROM writes"))


def job(user_id: str, text: str, **kw: Any) -> WriteJob:
    return WriteJob(messages=({"role": "user", "content": text},), ids={"user_id": user_id}, **kw)


class Faulty(ForwardingBackend):
    """The real backend, failing chosen adds with ``fail(text)`` and recording the order of adds that land."""

    def __init__(self, inner: Any, fail: Any) -> None:
        super().__init__(inner)
        self.fail = fail
        self.landed: list[tuple[str, float]] = []
        self.tries: Counter[str] = Counter()

    def run(self, op: Any) -> Any:
        if isinstance(op, Add):
            text = op.messages[0]["content"]
            self.tries[text] += 1
            if (exc := self.fail(text, self.tries[text])) is not None:
                raise exc
            result = super().run(op)
            self.landed.append((text, time.monotonic()))
            return result
        return super().run(op)


def test_a_permanent_error_fails_at_once_and_another_scope_lands_within_a_second(backend, user_id,
                                                                                  tmp_path) -> None:
    faulty = Faulty(backend, lambda text, n: None)
    writer = BackgroundWriter(faulty, journal=tmp_path / "j.sqlite3")
    start = time.monotonic()
    writer.submit(job("not a valid id", "mem0 rejects this user id"))  # mem0's own ValueError
    writer.submit(job(user_id, "I keep bees."))
    assert writer.flush(timeout=10)
    assert [text for text, _ in faulty.landed] == ["I keep bees."] and faulty.landed[0][1] - start < 1.0
    assert faulty.tries["mem0 rejects this user id"] == 1
    [(failed_job, error)] = writer.failed
    assert failed_job.ids == {"user_id": "not a valid id"} and "permanent error" in error.__notes__[-1]
    assert journal_states(tmp_path / "j.sqlite3") == {"failed": 1}
    writer.close()
    again = BackgroundWriter(faulty, journal=tmp_path / "j.sqlite3")
    assert again.pending == 0  # a permanent failure is never replayed
    again.close()


def test_transient_errors_back_off_per_scope_without_stalling_others_or_reordering(backend, user_id,
                                                                                   tmp_path) -> None:
    other = f"{user_id}-other"
    faulty = Faulty(backend, lambda text, n: ConnectionError("blip") if text == "A1" and n <= 2 else None)
    writer = BackgroundWriter(faulty, backoff_s=0.3, journal=tmp_path / "j.sqlite3")
    for text, user in (("A1", user_id), ("A2", user_id), ("B1", other)):
        writer.submit(job(user, text))
    assert writer.flush(timeout=20) and writer.failed == []
    order = [text for text, _ in faulty.landed]
    assert order == ["B1", "A1", "A2"] and faulty.tries["A1"] == 3  # B1 did not wait for A1's backoff
    assert [h.text for h in backend.get_all(filters={"user_id": user_id})].count("A1") == 1
    writer.close()


@pytest.fixture(scope="module")
def plain_backend(tmp_path_factory: pytest.TempPathFactory) -> Mem0Backend:
    """mem0's own Chroma store: unlike ours it stores a write it already holds again."""
    return Mem0Backend(open_memory(str(tmp_path_factory.mktemp("plain")), "plain"))


def test_replay_checks_the_backend_so_a_write_that_landed_is_not_stored_twice(plain_backend, user_id,
                                                                               tmp_path) -> None:
    backend, path = plain_backend, tmp_path / "j.sqlite3"
    both = WriteJob(messages=({"role": "user", "content": "I moved to Lyon."},
                              {"role": "assistant", "content": "Lyon, noted."}), ids={"user_id": user_id})
    whole, half, never = _keyed(both), _keyed(job(user_id, "I play the oboe.")), _keyed(job(user_id, "I row."))
    crashed = Journal(path, _target(backend))  # a writer that died after these adds, before "done"
    for j in (whole, half, never):
        crashed.add(j.key, {"messages": [dict(m) for m in j.messages], "ids": dict(j.ids),
                            "metadata": dict(j.metadata)})
    backend.add(whole.messages[:1], ids=whole.ids, metadata=whole.metadata)  # only the user half landed
    backend.add(half.messages, ids=half.ids, metadata=half.metadata)
    crashed.close()
    writer = BackgroundWriter(backend, journal=path)
    assert writer.pending == 3 and writer.flush(timeout=30) and writer.written == 3
    texts = sorted(h.text for h in backend.get_all(filters={"user_id": user_id}))
    assert texts == ["I moved to Lyon.", "I play the oboe.", "I row.", "Lyon, noted."]
    assert journal_states(path) == {}
    writer.close()


def test_a_live_writers_pending_writes_are_not_claimed_by_another(backend, user_id, tmp_path) -> None:
    gate = threading.Event()
    slow = Faulty(backend, lambda text, n: None if gate.wait(10) else TimeoutError())
    first = BackgroundWriter(slow, journal=tmp_path / "j.sqlite3")
    for i in range(3):
        first.submit(job(user_id, f"pending {i}"))
    second = BackgroundWriter(backend, journal=tmp_path / "j.sqlite3")
    assert second.pending == 0  # the first writer is alive: its rows stay its own
    gate.set()
    assert first.flush(timeout=30) and len(backend.get_all(filters={"user_id": user_id})) == 3
    first.close(), second.close()


def test_building_50_graphs_adds_one_writer_and_a_dropped_writer_ends_its_thread(backend, user_id) -> None:
    def ours() -> int:  # the writer's thread and its journal's commit thread; both end when idle
        return sum(t.name.startswith("mem0-langgraph-") for t in threading.enumerate())

    before, total = ours(), threading.active_count()
    config = {"configurable": {"user_id": user_id, "thread_id": "t"}}
    for i in range(50):
        with_memory(EchoChatModel(), memory=backend).compile()
        node = StoreNode(memory=backend)
        if i % 5 == 0:  # a write through every fifth: enough to start (and reuse) the writer's thread
            node.invoke({"messages": [HumanMessage(f"My bike number {i}"), AIMessage("ok")]}, config)
    assert node.flush(timeout=60)
    assert ours() <= before + 2 and threading.active_count() <= total + 2
    writers = {id(StoreNode(memory=backend).storer.writer) for _ in range(5)}
    assert writers == {id(node.storer.writer)} == {id(shared_writer(node.storer.write_backend))}

    writer = BackgroundWriter(backend, journal=False)
    writer.submit(job(user_id, "a write before the writer is dropped"))
    thread, dropped = writer._worker.thread, weakref.ref(writer)
    del writer
    thread.join(10)  # it writes what it holds, then ends once idle
    gc.collect()
    assert not thread.is_alive() and dropped() is None
    texts = [h.text for h in backend.get_all(filters={"user_id": user_id}, limit=200)]
    assert "a write before the writer is dropped" in texts  # written before its thread ended


def test_the_journal_is_safe_with_several_processes_and_threads(tmp_path: Path) -> None:
    # The journal module alone (no package import): each process starts in a fraction of a second.
    code = ("import importlib.util, sys, threading; from pathlib import Path\n"
            "spec = importlib.util.spec_from_file_location('journal', sys.argv[3])\n"
            "mod = importlib.util.module_from_spec(spec); spec.loader.exec_module(mod)\n"
            "j = mod.Journal(Path(sys.argv[1]), 't')\n"
            "def add(t): [j.add(f'{sys.argv[2]}-{t}-{i}', {'i': i}).result() for i in range(100)]\n"
            "ts = [threading.Thread(target=add, args=(t,)) for t in range(3)]\n"
            "[t.start() for t in ts]; [t.join() for t in ts]; j.close()\n")
    path = tmp_path / "journal.sqlite3"
    module = Path(_journal.__file__)
    procs = [subprocess.Popen([sys.executable, "-c", code, str(path), str(p), str(module)]) for p in range(2)]
    assert [p.wait(60) for p in procs] == [0, 0]
    assert journal_states(path) == {"pending": 600}


def test_kill9_and_sigterm_lose_no_acknowledged_write_and_store_none_twice(children: Any) -> None:
    for name, (*_, child) in children.items():
        ready = child.wait_for("READY", 120)[-1]
        assert "mem0_langgraph" in ready, f"our SIGTERM handler is installed in a plain app: {ready}"
        child.proc.stdin.write("go\n")
        child.proc.stdin.flush()
    expected = {}
    for name, (*_, child) in children.items():
        acks = [line.split()[1:] for line in child.wait_for("DONE", 60) if line.startswith("ACK")]
        assert len(acks) == ACKED
        # The write gate decides which sides of an exchange are kept; every kept side must land once.
        expected[name] = [text for i, *kept in acks for text, keep in zip(texts(int(i)), kept) if keep == "1"]
        assert len(expected[name]) >= ACKED
    time.sleep(0.5)  # a few writes land; most likely one sits between its add and its "done"
    children["SIGKILL"][-1].proc.kill()
    children["SIGTERM"][-1].proc.send_signal(signal.SIGTERM)
    for name, (*_, child) in children.items():
        assert child.proc.wait(30) == -getattr(signal, name)
        assert not any("terminate called" in line for line in child.stderr), child.stderr[-10:]

    for name, (data_dir, store, _) in children.items():
        left = journal_states(data_dir / "journal.sqlite3")["pending"]
        assert left > 0, f"{name}: nothing was pending at the kill, so nothing was tested"
        backend = Mem0Backend(open_memory(str(data_dir), store))
        writer = BackgroundWriter(backend)  # opening the data directory replays the journal
        assert writer.flush(timeout=60) and writer.failed == []
        writer.close()
        stored = Counter(h.text for u in USERS for h in backend.get_all(filters={"user_id": u}, limit=1000))
        missing = [t for t in expected[name] if stored[t] == 0]
        twice = [t for t in expected[name] if stored[t] > 1]
        assert (missing, twice) == ([], []), f"{name}: {len(missing)} missing, {len(twice)} duplicated"
        assert sum(stored.values()) == len(expected[name])
        assert journal_states(data_dir / "journal.sqlite3")["pending"] == 0, name
