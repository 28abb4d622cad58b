"""Recall expansion through the entity index: the index's own candidates and the entity links.

Two steps of `Recaller`, kept here so the recall module stays one concern: `index_steps` adds, per
query, the memories of the scope that best match the question's words and entities (BM25 over the
whole scope, see `EntityIndex`) that the dense search missed; `link_steps` follows the rare entities
of the best hits to the other memories that mention them. Both fetch by id, keep only what belongs to
the turn's scope (as the search filters say) and is not expired, and run the sync or the async way
(`Steps`).
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from mem0_langgraph.backends.base import Get, MemoryHit
from mem0_langgraph.core._steps import Steps, call
from mem0_langgraph.core.entities import index_terms, link_terms
from mem0_langgraph.core.scopes import hits_in_scope
from mem0_langgraph.core.timeinfo import now_utc, parse_time

if TYPE_CHECKING:
    from mem0_langgraph.core.recall import Recaller

_MAX_CHARS = 1500  # what Recaller would inject of a memory: the part whose entities count
_INDEX_MIN_SHARE = 0.5  # index matches under half the best one's score are not fetched (LoCoMo dev: same recall,
# 3 fetches a query instead of 10)
_LINK_SOURCES = 3  # best hits per query whose entities lead to linked memories
_LINK_MAX_DF = 5  # an entity in more of the scope's memories than this links nothing
_LINK_GAP = 0.15  # a linked memory scores this much below the hit that links to it (LoCoMo dev: 0.05-0.15)


def index_steps(recaller: Recaller, queries: Sequence[str], filters: dict[str, str],
                per_query: list[list[MemoryHit]]) -> Steps[list[list[MemoryHit]]]:
    """Each query's hits plus up to ``recaller.index_k`` memories of the scope that share its rare words and
    entities but that the dense search missed; each gets the lowest dense score its query fetched, so only
    the reranker's keyword evidence lifts it."""
    excluded = [{h.id for h in hits} for hits in per_query]
    found = yield call(_index_search, _aindex_search, recaller, queries, filters, excluded)
    wanted = sorted({mid for ids in found for mid in ids})
    if not wanted:
        return per_query
    by_id = yield from _fetch(recaller, wanted, filters)
    out = []
    for hits, ids in zip(per_query, found):
        floor = min((h.score for h in hits), default=recaller.min_score)
        out.append([*hits, *(dataclasses.replace(by_id[m], score=floor) for m in ids if m in by_id)])
    return out


def link_steps(recaller: Recaller, text: str, filters: dict[str, str],
               per_query: list[list[MemoryHit]]) -> Steps[list[list[MemoryHit]]]:
    """Two hops: the rare entities of each query's best hits (names the question did not use) lead to up to
    ``recaller.link_k`` other memories that mention them, each ranked just below the hit that links to it."""
    asked = set(link_terms(text)) | set(index_terms(text))
    sources = [[(h, [t for t in link_terms(h.text[:_MAX_CHARS]) if t not in asked])
                for h in hits[:_LINK_SOURCES]] for hits in per_query]
    terms = sorted({t for src in sources for _, ts in src for t in ts})
    if not terms:
        return per_query
    postings = yield call(_postings, _apostings, recaller, terms, filters)
    linked: list[dict[str, float]] = []
    for hits, src in zip(per_query, sources):
        shown = {h.id for h in hits[:recaller.top_k]}
        best: dict[str, float] = {}
        for hit, ts in src:
            for t in ts:
                ids = postings.get(t, ())
                if len(ids) > _LINK_MAX_DF:
                    continue  # a common name links everything, so nothing
                for mid in ids:
                    if mid not in shown and best.get(mid, -1.0) < hit.score - _LINK_GAP:
                        best[mid] = hit.score - _LINK_GAP
        linked.append(dict(sorted(best.items(), key=lambda kv: kv[1], reverse=True)[:recaller.link_k]))
    known = {h.id: h for hits in per_query for h in hits}
    wanted = sorted({mid for links in linked for mid in links if mid not in known})
    known.update((yield from _fetch(recaller, wanted, filters)))
    out = []
    for hits, links in zip(per_query, linked):
        lifted = [dataclasses.replace(known[m], score=s) for m, s in links.items()
                  if m in known and known[m].score < s]
        out.append(sorted([*hits, *lifted], key=lambda h: h.score, reverse=True))
    return out


def _fetch(recaller: Recaller, ids: Sequence[str], filters: dict[str, str]) -> Steps[dict[str, MemoryHit]]:
    """The memories ``ids`` by id, those of the turn's scope that are not expired; ids deleted behind the
    index's back leave the index."""
    if not ids:
        return {}
    fetched = yield [call(recaller.backend.run, recaller.backend.arun, Get(mid)) for mid in ids]
    gone = [mid for mid, hit in zip(ids, fetched) if hit is None]
    if gone:
        index = recaller.entity_index()
        for mid in gone:
            index.remove(mid)
    now = now_utc()
    return {h.id: h for h in hits_in_scope(fetched, filters) if not _expired(h, now)}


def _postings(recaller: Recaller, terms: Sequence[str], filters: dict[str, str]) -> dict[str, list[str]]:
    return recaller.entity_index().postings(terms, filters)


async def _apostings(recaller: Recaller, terms: Sequence[str], filters: dict[str, str]) -> dict[str, list[str]]:
    return await asyncio.to_thread(_postings, recaller, terms, filters)


def _index_search(recaller: Recaller, queries: Sequence[str], filters: dict[str, str],
                  excluded: Sequence[set[str]]) -> list[list[str]]:
    index = recaller.entity_index()
    return [[mid for mid, _ in index.search(q, filters, limit=recaller.index_k, exclude=ex, min_share=_INDEX_MIN_SHARE)]
            for q, ex in zip(queries, excluded)]


async def _aindex_search(recaller: Recaller, queries: Sequence[str], filters: dict[str, str],
                         excluded: Sequence[set[str]]) -> list[list[str]]:
    return await asyncio.to_thread(_index_search, recaller, queries, filters, excluded)


def _expired(hit: MemoryHit, now: datetime) -> bool:
    # mem0 hides expired memories from search; a memory fetched by id must be hidden the same way.
    end = parse_time(hit.metadata.get("expiration_date"))
    return end is not None and end.date() < now.date()
