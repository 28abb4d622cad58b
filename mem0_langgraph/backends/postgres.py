"""Memories in PostgreSQL with pgvector, through mem0's ``pgvector`` provider.

`postgres_store` builds the vector store `create_memory(postgres_url=...)` gives mem0:
one connection pool per process, a `PerUserVectorStore` over mem0's ``PGVector``
(a table per user, each with its HNSW index), scores mapped to the embedded
default's units so ``min_score`` means the same on every store.

What this adds to mem0's ``PGVector``, and why:

- ``hnsw.iterative_scan = relaxed_order`` on every connection: without it an HNSW
  scan stops at ``hnsw.ef_search`` (40) candidates, so mem0's over-fetch (400 rows
  for ``search_k=100``) silently returned 65 rows of 400 in our measurements.
- Tables are created under retry: two workers creating the same table at once
  collide in Postgres's catalog (``CREATE TABLE IF NOT EXISTS`` is not atomic).
- An index on the payload's ``exchange_key``, so idempotent writes look up their
  exchange without scanning the table.
- Existence is checked with ``to_regclass`` instead of listing every table.

Needs ``pip install "mem0-langgraph[postgres]"`` (psycopg 3 with its pool).
"""

from __future__ import annotations

import logging
from typing import Any

from mem0_langgraph.backends.per_user import PerUserVectorStore

logger = logging.getLogger("mem0_langgraph")

POSTGRES_URL_ENV = "MEM0_LANGGRAPH_POSTGRES_URL"
MAX_COLLECTION_CHARS = 25
"""Postgres names are at most 63 bytes; mem0 adds ``_<u><16 hex>_text_lemmatized_idx``."""
_POOL_SIZE = 8
_CREATE_RETRIES = 5
_INSTALL_HINT = 'the Postgres store needs psycopg 3 and its pool: pip install "mem0-langgraph[postgres]"'


def _pgvector_class() -> type:
    try:
        from mem0.vector_stores.pgvector import PGVector
    except ImportError as exc:
        raise ImportError(_INSTALL_HINT) from exc

    class PgvectorTable(PGVector):
        """mem0's ``PGVector`` made safe for several workers (see the module docstring)."""

        def __del__(self) -> None:
            # mem0's PGVector closes its pool when collected; ours is shared by every table.
            pass

        def _ensure_collection(self) -> None:
            if self._collection_ensured:
                return
            if not self.exists():
                self.create_col()
            self._collection_ensured = True

        def exists(self) -> bool:
            with self._get_cursor() as cur:
                cur.execute("SELECT to_regclass(%s)", (f'"{self.collection_name}"',))
                return cur.fetchone()[0] is not None

        def create_col(self) -> None:
            import psycopg
            from psycopg import sql

            for attempt in range(_CREATE_RETRIES):
                try:
                    super().create_col()
                    with self._get_cursor(commit=True) as cur:
                        cur.execute(sql.SQL("CREATE INDEX IF NOT EXISTS {} ON {} ((payload->>'exchange_key'))").format(
                            sql.Identifier(f"{self.collection_name}_xkey_idx"), self._col()))
                    return
                except (psycopg.errors.UniqueViolation, psycopg.errors.DuplicateTable,
                        psycopg.errors.DuplicateObject):
                    # Another worker is creating the same table; once it commits, IF NOT EXISTS holds.
                    logger.debug("mem0-langgraph: %s created concurrently (attempt %d)", self.collection_name, attempt)
            super().create_col()

    return PgvectorTable


class DetachedPool:
    """Stands in for a pool in the config mem0 validates; the store that uses the real one replaces mem0's."""

    def close(self) -> None:
        pass


def _configure(conn: Any) -> None:
    conn.execute("SET hnsw.iterative_scan = relaxed_order")
    conn.commit()


def open_pool(url: str, *, max_size: int = _POOL_SIZE) -> Any:
    """A psycopg connection pool for ``url``, each connection set for complete HNSW scans."""
    try:
        import psycopg
        from psycopg_pool import ConnectionPool
    except ImportError as exc:
        raise ImportError(_INSTALL_HINT) from exc
    # One plain connection first: a wrong URL or a server that is down fails now, with
    # the driver's own message, instead of after the pool's 30 s of silent retries.
    with psycopg.connect(url, autocommit=True) as conn:
        try:
            conn.execute("CREATE EXTENSION IF NOT EXISTS vector")
        except psycopg.errors.UniqueViolation:
            pass  # another worker created it at the same moment
    pool = ConnectionPool(url, min_size=1, max_size=max_size, configure=_configure, open=False,
                          name="mem0-langgraph")
    pool.open(wait=True, timeout=30)
    return pool


def cosine_to_default_units(cosine: float) -> float:
    """pgvector's score (cosine) in the embedded default's units, ``1 / (3 - 2 cosine)``.

    mem0 scores Chroma hits ``1 / (1 + L2²)``, which on unit vectors is ``1 / (3 - 2 cos)``;
    the recall thresholds (``min_score``, ``probe_min_score``) are in those units.
    """
    return 1.0 / (3.0 - 2.0 * cosine)


def postgres_store(pool: Any, *, collection: str, dims: int) -> PerUserVectorStore:
    """The per-user vector store over pgvector tables named ``<collection>_...``."""
    if len(collection) > MAX_COLLECTION_CHARS:
        raise ValueError(f"collection {collection!r} is too long for Postgres: use at most "
                         f"{MAX_COLLECTION_CHARS} characters")
    table_cls = _pgvector_class()

    def table(name: str, dimensions: int = dims, hnsw: bool = True) -> Any:
        return table_cls(dbname=None, collection_name=name, embedding_model_dims=dimensions, user=None,
                         password=None, host=None, port=None, diskann=False, hnsw=hnsw, connection_pool=pool)

    def open_collection(name: str, create: bool) -> Any:
        store = table(name)
        if create:
            store._ensure_collection()
        elif not store.exists():
            return None
        return store

    def list_collections() -> list[str]:
        with pool.connection() as conn:
            rows = conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = current_schema() "
                                "AND tablename LIKE %s", (f"{collection}\\_%",)).fetchall()
        return [r[0] for r in rows]

    directory = table(f"{collection}_ids", 1, hnsw=False)  # looked up by id only: no vector index to maintain
    directory._ensure_collection()
    legacy = table(collection)
    legacy = legacy if legacy.exists() and legacy.list(top_k=1)[0] else None
    return PerUserVectorStore(open_collection=open_collection, list_collections=list_collections, base=collection,
                              directory=directory, legacy=legacy, score=cosine_to_default_units)
