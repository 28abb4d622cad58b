"""Chroma stores: the embedded one on disk, or a Chroma server, each user in a collection of its own.

`chroma_client` connects to a server started with ``chroma run --path DIR --host
HOST --port PORT`` (or any Chroma deployment), with optional auth headers;
`chroma_store` builds the `PerUserVectorStore` mem0 is given, over mem0's own
``ChromaDB`` store, for a server client or an embedded ``PersistentClient``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from mem0_langgraph.backends.per_user import PerUserVectorStore

CHROMA_URL_ENV = "MEM0_LANGGRAPH_CHROMA_URL"
_DEFAULT_PORT = 8000


def parse_chroma_url(url: str) -> tuple[str, int, bool]:
    """``http(s)://host:port``, ``host:port`` or ``host`` -> (host, port, ssl).

    Example:
        >>> parse_chroma_url("http://127.0.0.1:8123"), parse_chroma_url("chroma.internal")
        (('127.0.0.1', 8123, False), ('chroma.internal', 8000, False))
    """
    parts = urlsplit(url if "://" in url else f"http://{url}")
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"chroma_url {url!r} is not a Chroma server address: use http://HOST:PORT")
    ssl = parts.scheme == "https"
    return parts.hostname, parts.port or (443 if ssl else _DEFAULT_PORT), ssl


def chroma_client(url: str, *, headers: Mapping[str, str] | None = None) -> Any:
    """A Chroma ``HttpClient`` for ``url``, telemetry off; ``headers`` carry auth (e.g. ``Authorization``)."""
    import chromadb
    from chromadb.config import Settings

    host, port, ssl = parse_chroma_url(url)
    return chromadb.HttpClient(host=host, port=port, ssl=ssl, headers=dict(headers or {}),
                               settings=Settings(anonymized_telemetry=False))


def embedded_client(path: str) -> Any:
    """The embedded default's on-disk Chroma client."""
    import chromadb
    from chromadb.config import Settings

    return chromadb.PersistentClient(path=path, settings=Settings(anonymized_telemetry=False))


def chroma_store(client: Any, *, collection: str) -> PerUserVectorStore:
    """The per-user vector store over Chroma collections named ``<collection>_...``."""
    from mem0.vector_stores.chroma import ChromaDB

    def open_collection(name: str, create: bool) -> Any:
        if not create:
            try:
                client.get_collection(name)
            except Exception:  # NotFoundError (server) or ValueError (older clients): it does not exist
                return None
        return ChromaDB(collection_name=name, client=client)

    def list_collections() -> list[str]:
        return [c if isinstance(c, str) else c.name for c in client.list_collections()]

    directory = ChromaDB(collection_name=f"{collection}_ids", client=client)
    legacy = open_collection(collection, False)
    legacy = legacy if legacy is not None and legacy.collection.count() else None
    return PerUserVectorStore(open_collection=open_collection, list_collections=list_collections, base=collection,
                              directory=directory, legacy=legacy)
