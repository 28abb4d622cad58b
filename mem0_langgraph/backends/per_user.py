"""`PerUserVectorStore`: one collection per user, so a recall's cost does not grow with a user's history.

Chroma and pgvector both answer a filtered query (``where user_id = ...``) by
scanning the rows that match the filter, so a firing recall costs time in
proportion to the memories the user has (Chroma, 400 results: 9 / 25 / 70 ms at
1,000 / 5,000 / 20,000 rows of the user, against 6 / 6 / 8 ms on a collection
holding only that user's rows; see ``mem0_langgraph/eval/scale.py``). This mem0
vector store routes every operation to a collection of its own per user (a
Chroma collection, a Postgres table), each with its own HNSW index, and asks the
engine for no user filter at all.

It wraps mem0's own store classes; mem0 keeps doing the embedding, scoring and
history. By-id operations (``get`` / ``update`` / ``delete``) find a memory's
collection in a small directory collection shared by every worker (cached per
process). A collection written by an older version (every user in the one
collection named ``base``) stays readable: searches and listings include it, with
its old filtered cost, until its memories are deleted.

Writes carrying an ``exchange_key`` in their payload are idempotent: a record
whose exchange, role and text are already stored is skipped, so a retried or
replayed write never lands twice.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping
from typing import Any

logger = logging.getLogger("mem0_langgraph")

ROUTE_KEYS = ("user_id", "agent_id", "run_id")
"""A memory lives in the collection of the first of these ids its payload has."""
_OPEN_STORES = 4096
_KNOWN_IDS = 200_000
_DIRECTORY_VECTOR = [1.0]
_INDEX_NOT_ON_DISK = "Nothing found on disk"
_RETRY_S = 0.05


def scope_collection(base: str, payload: Mapping[str, Any]) -> str:
    """The collection name of a payload's (or a filter's) scope: ``<base>_<u|a|r><16 hex>``.

    Hashed so every id is a valid Chroma name and Postgres identifier, whatever its characters.
    """
    for key in ROUTE_KEYS:
        value = payload.get(key)
        if value not in (None, ""):
            digest = hashlib.sha256(str(value).encode("utf-8")).hexdigest()[:16]
            return f"{base}_{key[0]}{digest}"
    raise ValueError(f"a memory needs one of {', '.join(ROUTE_KEYS)} to be stored")


class PerUserVectorStore:
    """A mem0 vector store that keeps each user's memories in a collection of its own.

    Args:
        open_collection: ``(name, create) -> store or None``: mem0's store for one
            collection (``ChromaDB``, ``PGVector``), created when ``create`` is true,
            None when it does not exist and ``create`` is false.
        list_collections: Names of the existing collections (for reads without a user id).
        base: The collection name the user chose; scope collections are ``<base>_...``.
        directory: A store over a one-dimensional collection mapping memory id to collection.
        legacy: The single collection of an older layout, still holding memories, or None.
        score: Maps the engine's similarity to the embedded default's units, or None.
    """

    def __init__(self, *, open_collection: Callable[[str, bool], Any], list_collections: Callable[[], Iterable[str]],
                 base: str, directory: Any, legacy: Any = None,
                 score: Callable[[float], float] | None = None) -> None:
        self._open = open_collection
        self._list_collections = list_collections
        self.base = base
        self.collection_name = base
        self.directory = directory
        self.legacy = legacy
        self._score = score
        self._stores: OrderedDict[str, Any] = OrderedDict()
        self._where: OrderedDict[str, str] = OrderedDict()  # memory id -> collection name
        self._lock = threading.Lock()

    # -- routing -----------------------------------------------------------
    def _store(self, name: str, *, create: bool) -> Any:
        with self._lock:
            store = self._stores.get(name)
            if store is not None:
                self._stores.move_to_end(name)
                return store
        store = self._open(name, create)
        if store is not None:
            with self._lock:
                self._stores[name] = store
                while len(self._stores) > _OPEN_STORES:
                    self._stores.popitem(last=False)
        return store

    def _remember(self, ids: Iterable[str], name: str) -> None:
        with self._lock:
            for i in ids:
                self._where[str(i)] = name
                self._where.move_to_end(str(i))
            while len(self._where) > _KNOWN_IDS:
                self._where.popitem(last=False)

    def _read_targets(self, filters: Mapping[str, Any] | None) -> list[tuple[Any, dict[str, Any] | None]]:
        """The stores a read must ask, each with the filter to pass it."""
        filters = dict(filters or {})
        targets: list[tuple[Any, dict[str, Any] | None]] = []
        if filters.get("user_id") not in (None, ""):
            store = self._store(scope_collection(self.base, filters), create=False)
            rest = {k: v for k, v in filters.items() if k != "user_id"}
            if store is not None:
                targets.append((store, rest or None))
        else:
            # No user id: memories may sit in any scope collection. Rare (the core always
            # reads a user's memories); costs one query per collection.
            for name in self.list_cols():
                store = self._store(name, create=False)
                if store is not None:
                    targets.append((store, filters or None))
        if self.legacy is not None:
            targets.append((self.legacy, filters or None))
        return targets

    def _store_of(self, vector_id: str) -> Any:
        with self._lock:
            name = self._where.get(str(vector_id))
        if name is None:
            entry = self.directory.get(vector_id=str(vector_id))
            name = ((entry.payload or {}).get("collection") if entry is not None else None)
            if name is not None:
                self._remember([vector_id], name)
        if name is not None:
            return self._store(name, create=False)
        if self.legacy is not None and self.legacy.get(vector_id=str(vector_id)) is not None:
            return self.legacy
        return None

    # -- mem0's VectorStoreBase surface --------------------------------------
    def insert(self, vectors: list[list[float]], payloads: list[dict] | None = None,
               ids: list[str] | None = None) -> None:
        payloads = payloads or [{} for _ in vectors]
        ids = ids or []
        groups: dict[str, list[int]] = {}
        for i, payload in enumerate(payloads):
            groups.setdefault(scope_collection(self.base, payload), []).append(i)
        for name, rows in groups.items():
            store = self._store(name, create=True)
            rows = self._not_yet_stored(store, [payloads[i] for i in rows], rows)
            if not rows:
                continue
            chosen = [ids[i] for i in rows]
            # Directory first: a memory is never in a collection without its directory entry.
            self.directory.insert(vectors=[_DIRECTORY_VECTOR] * len(rows), ids=chosen,
                                  payloads=[{"collection": name}] * len(rows))
            store.insert(vectors=[vectors[i] for i in rows], payloads=[payloads[i] for i in rows], ids=chosen)
            self._remember(chosen, name)

    def _not_yet_stored(self, store: Any, payloads: list[dict], rows: list[int]) -> list[int]:
        """Drop the records of an exchange that is already stored (a retried or replayed write)."""
        keys = {p.get("exchange_key") for p in payloads} - {None}
        if not keys:
            return rows
        present: set[tuple[Any, Any, Any]] = set()
        for key in keys:
            for hit in _rows(store.list(filters={"exchange_key": key}, top_k=100)):
                p = hit.payload or {}
                present.add((key, p.get("role"), p.get("hash")))
        kept = [r for r, p in zip(rows, payloads) if (p.get("exchange_key"), p.get("role"), p.get("hash")) not in present]
        if len(kept) < len(rows):
            logger.debug("mem0-langgraph: %d record(s) of an exchange already stored, not written again",
                        len(rows) - len(kept))
        return kept

    def search(self, query: str, vectors: list[float], top_k: int = 5, filters: dict | None = None) -> list[Any]:
        results: list[Any] = []
        for store, where in self._read_targets(filters):
            try:
                results.extend(store.search(query=query, vectors=vectors, top_k=top_k, filters=where))
            except Exception as exc:  # only Chroma's not-yet-persisted index is retried; the rest propagates
                if _INDEX_NOT_ON_DISK not in str(exc):
                    raise
                # Embedded Chroma, many threads: a query on a collection created moments ago can
                # find its HNSW segment not yet on disk (seen 4 times in 2,000 turns). Once more.
                time.sleep(_RETRY_S)
                results.extend(store.search(query=query, vectors=vectors, top_k=top_k, filters=where))
        if self._score is not None:
            for r in results:
                if r.score is not None:
                    r.score = self._score(r.score)
        results.sort(key=lambda r: -(r.score or 0.0))
        return results[:top_k]

    def keyword_search(self, query: str, top_k: int = 5, filters: dict | None = None) -> None:
        # Dense only on every store, as on the embedded default, so scores and
        # min_score mean the same everywhere; KeywordFusion reranks with keywords.
        return None

    def list(self, filters: dict | None = None, top_k: int | None = 100) -> list[list[Any]]:
        out: list[Any] = []
        for store, where in self._read_targets(filters):
            rows = _rows(store.list(filters=where, top_k=top_k))
            out.extend(rows)
            if store is not self.legacy:
                self._remember([r.id for r in rows], store.collection_name)
        return [out[:top_k] if top_k else out]

    def get(self, vector_id: str) -> Any:
        store = self._store_of(vector_id)
        return store.get(vector_id=vector_id) if store is not None else None

    def update(self, vector_id: str, vector: list[float] | None = None, payload: dict | None = None) -> None:
        store = self._store_of(vector_id)
        if store is None:
            raise ValueError(f"memory {vector_id} not found")
        store.update(vector_id=vector_id, vector=vector, payload=payload)

    def delete(self, vector_id: str) -> None:
        store = self._store_of(vector_id)
        if store is None:
            return
        store.delete(vector_id=vector_id)
        if store is not self.legacy:
            self.directory.delete(vector_id=vector_id)
        with self._lock:
            self._where.pop(str(vector_id), None)

    def search_batch(self, queries: list, vectors_list: list, top_k: int = 1, filters: dict | None = None) -> list:
        return [self.search(q, v, top_k, filters) for q, v in zip(queries, vectors_list)]

    def list_cols(self) -> list[str]:
        """The scope collections (not the id directory, not an old single collection)."""
        prefix = f"{self.base}_"
        return [n for n in self._list_collections()
                if n.startswith(prefix) and len(n) == len(prefix) + 17 and n[len(prefix)] in "uar"]

    def col_info(self) -> dict[str, Any]:
        return {"name": self.base, "collections": len(self.list_cols())}

    def create_col(self, name: str, vector_size: int | None = None, distance: str | None = None) -> Any:
        return self._store(name, create=True)

    def delete_col(self) -> None:
        for name in self.list_cols():
            store = self._store(name, create=False)
            if store is not None:
                store.delete_col()
        if self.legacy is not None:
            self.legacy.delete_col()
        with self._lock:
            self._stores.clear()
            self._where.clear()

    def reset(self) -> None:
        """Delete every memory of every scope, and empty the id directory (mem0's ``reset``)."""
        self.delete_col()
        self.directory.reset()
        self.legacy = None


def _rows(listing: Any) -> list[Any]:
    """mem0 stores return ``[[rows]]`` or ``[rows]`` from ``list``."""
    if isinstance(listing, (list, tuple)) and listing and isinstance(listing[0], (list, tuple)):
        return list(listing[0])
    return list(listing or [])
