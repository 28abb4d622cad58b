"""`LazyBackend`: a backend opened on first use, never at import and never on the event loop.

A module that LangGraph's server loads (``langgraph.json`` names ``graphs/x.py:graph``)
must build its graph at import, but opening the embedded store loads torch and the
model (seconds). `LazyBackend` defers that to the first operation, in a worker
thread under ``arun``; `warm` starts it in the background right away, so a served
graph's first turn does not spend its recall timeout waiting for the model.
`default_memory` is the one lazy embedded store of a process, shared by every graph
that uses it.
"""

from __future__ import annotations

import asyncio
import sys
import threading
from collections.abc import Callable
from typing import Any

from mem0_langgraph.backends.base import BaseBackend, MemoryBackend, Op


class LazyBackend(BaseBackend):
    """A `MemoryBackend` that builds its real backend on the first operation.

    Args:
        open: Builds the real backend. Default: ``as_backend(None)``, the embedded store
            under ``$MEM0_LANGGRAPH_DATA_DIR`` (or ``~/.mem0_langgraph``).
        data_dir: The real backend's data directory, known before it is built (the
            background writer keeps its journal there). Default: the embedded store's
            with the default ``open``, else None.
        collection: Its collection, likewise (the journal replays each collection's writes
            into it only). Default: the embedded store's with the default ``open``, else None.

    Example:
        >>> import tempfile
        >>> from mem0_langgraph import create_memory, as_backend
        >>> lazy = LazyBackend(lambda: as_backend(create_memory(data_dir=tempfile.mkdtemp())))
        >>> lazy.opened
        False
        >>> lazy.get_all(filters={"user_id": "alice"}), lazy.opened
        ([], True)
    """

    def __init__(self, open: Callable[[], MemoryBackend] | None = None, *, data_dir: Any = None,
                 collection: str | None = None) -> None:
        if open is None:
            from mem0_langgraph.backends.factory import DEFAULT_COLLECTION, resolve_data_dir

            data_dir = data_dir or resolve_data_dir()
            collection = collection or DEFAULT_COLLECTION
        self._open_fn = open or _open_default
        self.data_dir = data_dir
        self.collection = collection
        """The collection the real backend writes to, when known before it opens (the journal names it)."""
        self._backend: MemoryBackend | None = None
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"LazyBackend(opened={self.opened})"

    @property
    def opened(self) -> bool:
        """Whether the real backend has been built."""
        return self._backend is not None

    @property
    def backend(self) -> MemoryBackend:
        """The real backend (built now if it was not yet)."""
        with self._lock:
            if self._backend is None:
                self._backend = self._open_fn()
            return self._backend

    def warm(self) -> threading.Thread:
        """Start building the real backend in a background thread; returns the thread."""
        thread = threading.Thread(target=lambda: self.backend, name="mem0-langgraph-open", daemon=True)
        thread.start()
        return thread

    def run(self, op: Op) -> Any:
        return self.backend.run(op)

    async def arun(self, op: Op) -> Any:
        backend = self._backend or await asyncio.to_thread(lambda: self.backend)  # never load a model on the loop
        return await backend.arun(op)


def _open_default() -> MemoryBackend:
    from mem0_langgraph.backends.factory import as_backend

    return as_backend(None)


_DEFAULT: LazyBackend | None = None
_DEFAULT_LOCK = threading.Lock()


def default_memory() -> LazyBackend:
    """The process's lazy embedded store, shared by every graph that asks for it.

    Under LangGraph's API server (``langgraph dev`` / ``langgraph up``), it starts
    opening in the background as soon as it is asked for.
    """
    global _DEFAULT
    with _DEFAULT_LOCK:
        if _DEFAULT is None:
            _DEFAULT = LazyBackend()
            if "langgraph_api" in sys.modules:  # being served: warm up before the first turn arrives
                _DEFAULT.warm()
        return _DEFAULT
