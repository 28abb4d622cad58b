"""Process exit and SIGTERM for the background writers: finish cleanly, leave the rest journaled.

At exit the writers get a short drain, then each thread finishes the write in
progress and ends, before the interpreter tears down: a thread still inside
torch at teardown aborts the process (rc 134, "terminate called without an
active exception"). What is left stays in the write journal and is written when
a writer next opens the same data directory. The hook runs with
``threading._register_atexit`` (as ``concurrent.futures`` does), before
``atexit`` handlers, so Chroma and the model are still up while it drains.

On SIGTERM, when the application installed no handler of its own, the same
happens, then the default action (death by SIGTERM) is restored and re-raised.
The handler is installed when the first writer is created in the main thread
(Python only lets the main thread set one); an application that installs its
own later replaces it, and its clean exit still runs the exit hook.
"""

from __future__ import annotations

import atexit
import logging
import os
import signal
import threading
import time
import weakref
from typing import Any

from mem0_langgraph.core._worker import Worker

logger = logging.getLogger("mem0_langgraph")

_EXIT_DRAIN_S = 2.0  # a script's last few writes land; a long backlog waits in the journal
_SIGTERM_DRAIN_S = 2.0  # orchestrators allow ~10-30 s between SIGTERM and SIGKILL
_STOP_JOIN_S = 10.0  # the write in progress (one mem0 add) gets this long to finish

_LIVE: weakref.WeakSet[Worker] = weakref.WeakSet()
_LOCK = threading.Lock()
_exit_hooked = False
_sigterm_checked = False


def register(worker: Worker) -> None:
    """Track ``worker`` for `stop_all`, `live` and the exit and SIGTERM hooks (installed on first use)."""
    global _exit_hooked, _sigterm_checked
    with _LOCK:
        _LIVE.add(worker)
        if not _exit_hooked:
            _exit_hooked = True
            try:
                threading._register_atexit(_at_exit)  # type: ignore[attr-defined]
            except (AttributeError, RuntimeError):  # another Python, or already shutting down
                atexit.register(_at_exit)
        if not _sigterm_checked and threading.current_thread() is threading.main_thread():
            # Signal handlers can only be set from the main thread; an app's own handler wins.
            _sigterm_checked = True
            if signal.getsignal(signal.SIGTERM) is signal.SIG_DFL:
                signal.signal(signal.SIGTERM, _on_sigterm)


def unregister(worker: Worker) -> None:
    """Stop tracking a closed writer."""
    _LIVE.discard(worker)


def live() -> list[Worker]:
    """Every tracked writer engine of this process."""
    return list(_LIVE)


def stop_all(drain_s: float) -> int:
    """Drain every writer for up to ``drain_s`` in all, then stop them; returns the writes left unwritten."""
    workers = live()
    deadline = time.monotonic() + drain_s
    for worker in workers:
        worker.flush(max(0.0, deadline - time.monotonic()))
    left = lost = 0
    for worker in workers:
        if not worker.stop(_STOP_JOIN_S):
            logger.error("mem0-langgraph: a memory write did not finish within %.0fs of shutdown", _STOP_JOIN_S)
        if worker.journal is not None:
            worker.journal.wait_idle(1.0)  # commit the last "done" marks, so the next start checks less
        if worker.journal is None:
            lost += worker.lanes.count
        else:
            left += worker.lanes.count
    if left:
        logger.warning("mem0-langgraph: %d memory writes left in the write journal; the next writer on the "
                       "same data directory writes them", left)
    if lost:
        logger.error("mem0-langgraph: %d memory writes lost at shutdown (writer without a journal)", lost)
    return left + lost


def _at_exit() -> None:
    stop_all(_EXIT_DRAIN_S)


def _on_sigterm(signum: int, frame: Any) -> None:
    stop_all(_SIGTERM_DRAIN_S)
    signal.signal(signum, signal.SIG_DFL)
    os.kill(os.getpid(), signum)  # the previous behaviour: die by SIGTERM, with its exit status
