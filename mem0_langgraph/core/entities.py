"""Entity links: per scope, which memories mention which names, things, numbers and words.

Dense search compares a question with each memory as a whole and, at ``search_k`` candidates,
never sees a memory that shares the question's rare names but little of its phrasing ("which city
have both Jean and John visited?" against "took a short trip last week to Rome"). `EntityIndex`
keeps, per data directory, an inverted index from each memory's terms to the memory: its content
words (stemmed, as `keyword_terms`) and its entities (`extract_entities`: capitalised names and
multiword names, quoted titles, numbers and years). `Recaller` asks it for the memories of the
turn's scope that best match the question's terms and entities (BM25 over the whole scope) and
that the dense search missed, and hands them to the reranker with the others.

The index is kept on the write path by `IndexingBackend`, a `ForwardingBackend` the store step
writes through (on the background writer, never on the response path): an `Add` indexes the new
memories, an `Update` with text re-indexes one, `Delete` / `DeleteAll` remove. It is SQLite
(``<data_dir>/entities.sqlite3``, WAL), one file per data directory, rows per store (collection)
and scope ids; a lookup matches the search filters exactly (``user_id``, ``agent_id``,
``run_id``), so no scope sees another's memories. A memory deleted behind its back (another
process, mem0 directly) is dropped when a lookup fetches it and finds it gone.

Entities are found by a light, offline method (regexes, no model, no download): mem0 2.2's own
entity extraction needs spaCy and a downloaded model, which the offline default cannot assume.
"""

from __future__ import annotations

import logging
import math
import re
import sqlite3
import threading
from collections import Counter
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from mem0_langgraph.backends.base import (
    Add,
    Delete,
    DeleteAll,
    ForwardingBackend,
    Get,
    MemoryBackend,
    Op,
    Update,
    innermost,
)
from mem0_langgraph.core._steps import Steps, call, run_async, run_sync
from mem0_langgraph.core.rerank import _STOPWORDS, keyword_terms

logger = logging.getLogger("mem0_langgraph")

INDEX_NAME = "entities.sqlite3"
"""File name of the entity index in a data directory."""
SCOPE_KEYS = ("user_id", "agent_id", "run_id")

_K1, _B = 1.2, 0.75  # BM25, as KeywordFusion's
_NAME = re.compile(r"\b[A-Z][\w'&-]*(?:\s+(?:(?:of|the|de|la|van|von|and|&)\s+)?[A-Z][\w'&-]*)*")
_QUOTED = re.compile(r"[\"“]([^\"”]{3,60})[\"”]|(?<!\w)'([^']{3,60})'(?!\w)")
_NUMBER = re.compile(r"\b\d+(?:[.,]\d+)?\b")
_NOT_NAMES = frozenset("""i i'm i've i'd i'll the a an my we our you your he she it they this that these those what
when where who why how which yes no oh hey hi hello thanks thank wow great sure ok okay well so and but or if
just really it's that's there's let's don't can't awesome cool nice good glad sounds congrats congratulations
sorry love haha lol omg please also same definitely absolutely totally""".split())


def extract_entities(text: str) -> list[str]:
    """The entities ``text`` mentions, lower-cased, in order, once each.

    Capitalised words and runs of them ("New York City", "Charlotte's Web"), minus sentence-initial
    function words; quoted titles; numbers and years. Multiword names also count word by word, so
    "Rome" meets "a trip to Rome in May".

    Example:
        >>> extract_entities('Melanie: We read "Nothing is Impossible" in New York in 2022!')
        ['nothing is impossible', 'melanie', 'nothing', 'impossible', 'new york', 'new', 'york', '2022']
        >>> extract_entities("thanks, that sounds great!")
        []
    """
    found: list[str] = []
    for m in _QUOTED.finditer(text):
        found.append(" ".join((m.group(1) or m.group(2)).lower().split()))
    for m in _NAME.finditer(text):
        words = [w[:-2] if w.endswith("'s") else w.rstrip("'") for w in m.group(0).split()]
        words = [w for w in words if w.lower() not in _NOT_NAMES] if len(words) == 1 else words
        if not words or (len(words) == 1 and words[0].lower() in _STOPWORDS):
            continue
        found.append(" ".join(words).lower())
        if len(words) > 1:
            found += [w.lower() for w in words if w.lower() not in _STOPWORDS]
    found += _NUMBER.findall(text)
    return list(dict.fromkeys(found))


_MID_SENTENCE_NAME = re.compile(r"(?<=[a-z0-9,;] )[A-Z][\w'&-]+")


def link_terms(text: str) -> list[str]:
    """The index terms of the entities a memory can link by: multiword and quoted names, and single
    capitalised words inside a sentence ("a trip to Rome"), not at its start ("Took a trip").

    Example:
        >>> link_terms("Took a short trip to Rome with Anna Lee; loved it.")
        ['rom', 'e:anna lee', 'anna', 'lee']
    """
    inner = {w[:-2].lower() if w.endswith("'s") else w.lower().rstrip("'") for w in _MID_SENTENCE_NAME.findall(text)}
    picked = [e for e in extract_entities(text) if (" " in e or e in inner) and not e.isdigit()]
    return list(dict.fromkeys(t for e in picked if (t := entity_term(e))))


def index_terms(text: str) -> Counter[str]:
    """What a memory is indexed under: its content words (as `keyword_terms`) and, prefixed ``e:``,
    its multiword and quoted entities (single-word ones are content words already).

    Example:
        >>> sorted(index_terms("Took a short trip to New York."))
        ['e:new york', 'new', 'short', 'took', 'trip', 'york']
    """
    terms = Counter(keyword_terms(text))
    terms.update(f"e:{e}" for e in extract_entities(text) if " " in e)
    return terms


def entity_term(entity: str) -> str | None:
    """The index term of one entity (`extract_entities`): ``e:``-prefixed when multiword, else its stem.

    Example:
        >>> entity_term("new york"), entity_term("Porto"), entity_term("the")
        ('e:new york', 'porto', None)
    """
    if " " in entity.strip():
        return "e:" + " ".join(entity.lower().split())
    terms = keyword_terms(entity)
    return terms[0] if terms else None


class EntityIndex:
    """The per-scope inverted index of memories' terms and entities, in one SQLite file.

    Thread-safe (one connection behind a lock); every method fails open to the caller's handler.

    Args:
        path: The SQLite file (``":memory:"`` for a private in-memory index).
        store: Which store's memories (a data directory may hold several collections).

    Example:
        >>> index = EntityIndex(":memory:")
        >>> index.add("m1", "Took a short trip last week to Rome.", {"user_id": "jon"})
        >>> index.add("m2", "Paris was lovely.", {"user_id": "gina"})
        >>> [mid for mid, _ in index.search("Which cities did Jon visit? Rome?", {"user_id": "jon"}, limit=5)]
        ['m1']
        >>> index.search("Rome", {"user_id": "gina"}, limit=5)
        []
    """

    def __init__(self, path: str | Path, store: str = "") -> None:
        self.path = str(path)
        self.store = store
        self._lock = threading.Lock()
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None, timeout=10)
        with self._lock:
            if self.path != ":memory:":
                self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.executescript("""
                CREATE TABLE IF NOT EXISTS docs (store TEXT, memory_id TEXT, user_id TEXT, agent_id TEXT,
                    run_id TEXT, length INTEGER, PRIMARY KEY (store, memory_id));
                CREATE TABLE IF NOT EXISTS postings (store TEXT, user_id TEXT, term TEXT, memory_id TEXT,
                    tf INTEGER);
                CREATE INDEX IF NOT EXISTS postings_term ON postings (store, user_id, term);
                CREATE INDEX IF NOT EXISTS postings_memory ON postings (store, memory_id);
                CREATE INDEX IF NOT EXISTS docs_scope ON docs (store, user_id, agent_id, run_id);
            """)

    def __repr__(self) -> str:
        return f"EntityIndex({self.path!r}, store={self.store!r})"

    def add(self, memory_id: str, text: str, ids: Mapping[str, Any]) -> None:
        """Index (or re-index) one memory under its scope ``ids``."""
        terms = index_terms(text)
        scope = [_id(ids.get(k)) for k in SCOPE_KEYS]
        with self._lock, self._db:
            self._remove(memory_id)
            self._db.execute("INSERT INTO docs VALUES (?, ?, ?, ?, ?, ?)",
                             (self.store, memory_id, *scope, sum(terms.values())))
            self._db.executemany("INSERT INTO postings VALUES (?, ?, ?, ?, ?)",
                                 [(self.store, scope[0], t, memory_id, n) for t, n in terms.items()])

    def remove(self, memory_id: str) -> None:
        """Forget one memory (a no-op when it is not indexed)."""
        with self._lock, self._db:
            self._remove(memory_id)

    def clear(self, ids: Mapping[str, Any]) -> None:
        """Forget every memory of the scope ``ids`` (as `DeleteAll` does)."""
        where, args = _scope_where(ids)
        with self._lock, self._db:
            rows = self._db.execute(f"SELECT memory_id FROM docs WHERE store = ?{where}", (self.store, *args))
            for (mid,) in rows.fetchall():
                self._remove(mid)

    def _remove(self, memory_id: str) -> None:
        self._db.execute("DELETE FROM postings WHERE store = ? AND memory_id = ?", (self.store, memory_id))
        self._db.execute("DELETE FROM docs WHERE store = ? AND memory_id = ?", (self.store, memory_id))

    def search(self, query: str, filters: Mapping[str, Any], *, limit: int, exclude: Iterable[str] = (),
               min_share: float = 0.0) -> list[tuple[str, float]]:
        """The ``limit`` memories of the scope ``filters`` that best match ``query``'s terms and entities.

        BM25 with document frequencies over the scope's own memories, so a name that every memory
        shares (the user's own) counts little and a rare one ("Rome", "LGBTQ") a lot.

        Args:
            query: The question (or a search query).
            filters: The search filters (scope ids), matched exactly.
            limit: At most this many.
            exclude: Ids left out (what the caller already has); they still count for ``min_share``.
            min_share: Only memories scoring at least this share of the best match's score, excluded ones
                included: a weak match of a memory the dense search already ranks is rarely worth a fetch.

        Returns:
            ``(memory_id, score)``, best first.
        """
        terms = sorted(index_terms(query))
        if not terms or limit < 1:
            return []
        where, args = _scope_where(filters, prefix="d.")
        marks = ",".join("?" * len(terms))
        user = _user_clause(filters)
        with self._lock:
            n, avg = self._db.execute(f"SELECT count(*), avg(length) FROM docs d WHERE d.store = ?{where}",
                                      (self.store, *args)).fetchone()
            if not n:
                return []
            rows = self._db.execute(
                f"SELECT p.memory_id, p.term, p.tf, d.length FROM postings p JOIN docs d "
                f"ON d.store = p.store AND d.memory_id = p.memory_id "
                f"WHERE p.store = ?{user[0]} AND p.term IN ({marks}){where}",
                (self.store, *user[1], *terms, *args)).fetchall()
        df = Counter(term for _, term, _, _ in rows)
        skip = set(exclude)
        scores: Counter[str] = Counter()
        for mid, term, tf, length in rows:
            idf = math.log(1.0 + (n - df[term] + 0.5) / (df[term] + 0.5))
            norm = _K1 * (1.0 - _B + _B * length / (avg or 1.0))
            scores[mid] += idf * tf * (_K1 + 1.0) / (tf + norm)
        floor = min_share * max(scores.values(), default=0.0)
        return [(mid, s) for mid, s in scores.most_common() if mid not in skip and s >= floor][:limit]

    def postings(self, terms: Iterable[str], filters: Mapping[str, Any]) -> dict[str, list[str]]:
        """For each of ``terms`` (see `entity_term`), the ids of the memories of the scope ``filters`` indexed
        under it (terms under no memory are left out)."""
        terms = sorted(set(terms))
        if not terms:
            return {}
        where, args = _scope_where(filters, prefix="d.")
        user = _user_clause(filters)
        with self._lock:
            rows = self._db.execute(
                f"SELECT p.term, p.memory_id FROM postings p JOIN docs d "
                f"ON d.store = p.store AND d.memory_id = p.memory_id "
                f"WHERE p.store = ?{user[0]} AND p.term IN ({','.join('?' * len(terms))}){where}",
                (self.store, *user[1], *terms, *args)).fetchall()
        out: dict[str, list[str]] = {}
        for term, mid in rows:
            out.setdefault(term, []).append(mid)
        return out

    def count(self, filters: Mapping[str, Any]) -> int:
        """How many memories of the scope ``filters`` are indexed."""
        where, args = _scope_where(filters)
        with self._lock:
            return int(self._db.execute(f"SELECT count(*) FROM docs WHERE store = ?{where}",
                                        (self.store, *args)).fetchone()[0])

    def close(self) -> None:
        """Close the SQLite connection."""
        with self._lock:
            self._db.close()


def _id(value: Any) -> str:
    return "" if value is None else str(value)


def _scope_where(filters: Mapping[str, Any], prefix: str = "") -> tuple[str, list[str]]:
    keys = [k for k in SCOPE_KEYS if filters.get(k) is not None]
    return "".join(f" AND {prefix}{k} = ?" for k in keys), [str(filters[k]) for k in keys]


def _user_clause(filters: Mapping[str, Any]) -> tuple[str, list[str]]:
    # The postings carry the user id so that a user's lookup reads only that user's rows.
    return (" AND p.user_id = ?", [str(filters["user_id"])]) if filters.get("user_id") is not None else ("", [])


class IndexingBackend(ForwardingBackend):
    """Writes through ``inner`` and keeps ``index`` in step: adds, text updates and deletes.

    A failed index step is logged and never fails the write (a retried add would store twice).

    Args:
        inner: The backend written to.
        index: The index kept.
    """

    def __init__(self, inner: MemoryBackend, index: EntityIndex) -> None:
        super().__init__(inner)
        self.index = index

    def run(self, op: Op) -> Any:
        result = self.inner.run(op)
        try:
            run_sync(self._steps(op, result))
        except Exception as exc:  # the write landed; the index is a recall aid and must not fail it
            logger.warning("mem0-langgraph entity index: skipped after an error: %s", exc)
        return result

    async def arun(self, op: Op) -> Any:
        result = await self.inner.arun(op)
        try:
            await run_async(self._steps(op, result))
        except Exception as exc:  # the write landed; the index is a recall aid and must not fail it
            logger.warning("mem0-langgraph entity index: skipped after an error: %s", exc)
        return result

    def _steps(self, op: Op, result: Any) -> Steps[None]:
        if isinstance(op, Add) and result:
            base = innermost(self.inner)
            hits = yield [call(base.run, base.arun, Get(mid)) for mid in result]
            for hit in hits:
                if hit is not None:
                    self.index.add(hit.id, hit.text, {**op.ids, **{k: hit.metadata[k] for k in SCOPE_KEYS
                                                                  if hit.metadata.get(k) is not None}})
        elif isinstance(op, Update) and op.text is not None:
            hit = yield call(self.inner.run, self.inner.arun, Get(op.memory_id))
            if hit is not None:
                self.index.add(hit.id, hit.text, hit.metadata)
        elif isinstance(op, Delete):
            self.index.remove(op.memory_id)
        elif isinstance(op, DeleteAll):
            self.index.clear(op.ids)


_INDEX_ATTR = "_mem0_langgraph_entity_index"
_WRAPPER_ATTR = "_mem0_langgraph_indexing"
_LOCK = threading.Lock()


def entity_index(backend: MemoryBackend) -> EntityIndex:
    """The one `EntityIndex` of ``backend``'s store: ``<data_dir>/entities.sqlite3`` when the backend
    knows its data directory, else a private in-memory index (it then lives as long as the backend).

    The index is kept on the innermost backend, so every wrapper over one store shares it.
    """
    base = innermost(backend)
    with _LOCK:
        index = vars(base).get(_INDEX_ATTR) if hasattr(base, "__dict__") else None
        if index is None:
            from mem0_langgraph.core.writer import _find, _target

            data_dir = _find(backend, "data_dir")
            index = EntityIndex(Path(data_dir) / INDEX_NAME if data_dir else ":memory:", _target(backend))
            try:
                setattr(base, _INDEX_ATTR, index)
            except AttributeError:  # __slots__: an index per call is still correct, only not shared
                pass
        return index


def indexing(backend: MemoryBackend) -> IndexingBackend:
    """The one `IndexingBackend` over ``backend`` (shared by every store step on it, and so is its writer)."""
    if isinstance(backend, IndexingBackend):
        return backend
    with _LOCK:
        wrapper = vars(backend).get(_WRAPPER_ATTR) if hasattr(backend, "__dict__") else None
    if wrapper is None:
        wrapper = IndexingBackend(backend, entity_index(backend))
        try:
            setattr(backend, _WRAPPER_ATTR, wrapper)
        except AttributeError:  # __slots__: a wrapper per call still indexes correctly
            pass
    return wrapper
