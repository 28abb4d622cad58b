"""Entity links and dates in recall, on the real embedded store (mem0 + Chroma + the local model)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from langchain_core.messages import HumanMessage

from mem0_langgraph import create_memory
from mem0_langgraph.backends.factory import as_backend
from mem0_langgraph.core.entities import INDEX_NAME, EntityIndex, entity_index
from mem0_langgraph.core.recall import Recaller
from mem0_langgraph.core.store import Storer
from mem0_langgraph.gates.base import AlwaysRecall
from mem0_langgraph.gates.write import StoreAll

NOW = datetime(2026, 11, 20, 12, tzinfo=timezone.utc)  # a Friday


@pytest.fixture()
def backend(tmp_path: Path):
    return as_backend(create_memory(data_dir=tmp_path))


def store(backend, user: str, texts: list[str], *, agent: str | None = None,
          said: list[datetime] | None = None) -> None:
    storer = Storer(backend, sync_store=True, write_gate=StoreAll(), store_roles=("user",), on_error="raise")
    for i, text in enumerate(texts):
        when = (said[i] if said else NOW - timedelta(days=30)).isoformat()
        configurable = {"user_id": user, "thread_id": f"{user}-{i}", **({"agent_id": agent} if agent else {})}
        message = HumanMessage(text, additional_kwargs={"timestamp": when})
        trace = storer.store([message], {"configurable": configurable})
        assert trace.get("stored"), trace


def recall(backend, question: str, user: str = "jon", *, agent: str | None = None, **options) -> list[str]:
    recaller = Recaller(backend, gate=AlwaysRecall(), on_error="raise", **options)
    turn = HumanMessage(question, additional_kwargs={"timestamp": NOW.isoformat()})
    configurable = {"user_id": user, **({"agent_id": agent} if agent else {})}
    return [m["memory"] for m in recaller.recall([turn], {"configurable": configurable}).memories]


SISTER = "My sister Maya moved to Porto for her new job."
ABOUT_PORTO = "Maya told me the hills of Porto are brutal and she misses the beach."
CROWD = ["My sister is looking for a job.", "My cousin moved house last spring.", "I think my new job is fine.",
         "My brother got a new job at a bank.", "I moved offices in March.", "A new job can be stressful for anyone.",
         "My sister loves cooking spicy food."]


def test_two_hop_answer_is_reached_only_through_the_entity_link(backend) -> None:
    store(backend, "jon", [SISTER, ABOUT_PORTO, *CROWD])
    question = "Where did my sister move for her new job, and how does she like it there?"
    narrow = {"search_k": 4, "top_k": 4, "min_score": 0.0}
    # Dense search (4 candidates) and the question's own words never reach what she said about Porto ...
    without = recall(backend, question, link_k=0, **narrow)
    assert SISTER in without and ABOUT_PORTO not in without
    # ... the hit naming Maya and Porto links to it, and it ranks below that hit.
    with_links = recall(backend, question, **narrow)
    assert SISTER in with_links and ABOUT_PORTO in with_links
    assert with_links.index(SISTER) < with_links.index(ABOUT_PORTO)


def test_index_candidates_reach_a_rare_name_dense_search_missed(backend) -> None:
    rome = "Took a short trip last week to Rome to clear my head."
    store(backend, "jon", [rome, "I visited Paris? No, never visited that city.", "Which city did I want to visit?",
                           "Which city should I visit next?", "I love visiting a new city by train."])
    question = "Which city did I visit, Rome or Paris?"
    narrow = {"search_k": 2, "top_k": 2, "min_score": 0.0, "link_k": 0}
    assert rome not in recall(backend, question, index_k=0, **narrow)
    assert rome in recall(backend, question, **narrow)


def test_what_did_i_do_last_week_prefers_last_weeks_memory(backend) -> None:
    texts = ["I went to a pottery class and made a bowl.", "I went hiking in the hills with Tom.",
             "I went to the cinema to see a thriller."]
    said = [NOW - timedelta(days=60), NOW - timedelta(days=8), NOW - timedelta(days=25)]  # hiking: last week
    store(backend, "jon", texts, said=said)
    assert recall(backend, "What did I do last week?", min_score=0.0)[0] == texts[1]
    # A "when" question lifts the memory that says when.
    cued = "Joined a climbing gym yesterday, so fun!"
    store(backend, "ann", ["I joined a climbing gym with friends.", cued], said=[NOW - timedelta(days=3)] * 2)
    question = "When did I join the climbing gym?"
    assert recall(backend, question, "ann", min_score=0.0, temporal=False)[0] != cued
    assert recall(backend, question, "ann", min_score=0.0)[0] == cued


def test_entity_index_respects_scopes_exactly(backend, tmp_path: Path) -> None:
    store(backend, "jon", ["Our cat Biscuit hates the vet in Gdansk."], agent="helper")
    store(backend, "gina", ["Biscuit is the name of my bakery in Gdansk."])
    store(backend, "jon", ["Biscuit chased a pigeon in Gdansk."], agent="other")
    index = entity_index(backend)
    assert index.path == str(tmp_path / INDEX_NAME)
    assert [index.count({"user_id": u}) for u in ("jon", "gina", "nobody")] == [2, 1, 0]
    for question in ("What about Biscuit in Gdansk?", "Gdansk"):
        assert not any("bakery" in m for m in recall(backend, question, "jon", min_score=0.0))
        helper = recall(backend, question, "jon", agent="helper", min_score=0.0)
        assert helper == ["Our cat Biscuit hates the vet in Gdansk."]
        assert recall(backend, question, "gina", min_score=0.0) == ["Biscuit is the name of my bakery in Gdansk."]
    ids = [mid for mid, _ in index.search("Biscuit Gdansk", {"user_id": "jon"}, limit=10)]
    assert len(ids) == 2
    # Deletes reach the index through the store's write path; the file persists per data directory.
    storer = Storer(backend, sync_store=True)
    storer.write_backend.delete(ids[0])
    storer.write_backend.delete_all(ids={"user_id": "gina"})
    reopened = EntityIndex(tmp_path / INDEX_NAME, index.store)
    assert [reopened.count({"user_id": u}) for u in ("jon", "gina")] == [1, 0]
    reopened.close()


async def test_async_recall_reaches_the_same_linked_memory(backend) -> None:
    store(backend, "jon", [SISTER, ABOUT_PORTO, *CROWD])
    recaller = Recaller(backend, gate=AlwaysRecall(), on_error="raise", search_k=4, top_k=4, min_score=0.0)
    turn = HumanMessage("Where did my sister move for her new job, and how does she like it there?")
    memories = (await recaller.arecall([turn], {"configurable": {"user_id": "jon"}})).memories
    assert ABOUT_PORTO in [m["memory"] for m in memories]
