"""Chroma in client/server mode (``chroma run`` on 127.0.0.1), and opening a damaged embedded store."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pytest
from _servers import chroma  # noqa: F401 (fixture)

from mem0_langgraph.backends.chroma_server import parse_chroma_url
from mem0_langgraph.backends.factory import as_backend, create_memory
from mem0_langgraph.backends.mem0 import Mem0Backend
from mem0_langgraph.backends.per_user import scope_collection
from mem0_langgraph.errors import MemoryBackendError

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def server_memory(chroma, tmp_path_factory) -> Any:  # noqa: F811
    return create_memory(data_dir=tmp_path_factory.mktemp("cs-data"), chroma_url=chroma.url, collection="tests")


@pytest.fixture(scope="module")
def cs(server_memory: Any) -> Mem0Backend:
    return as_backend(server_memory)


def _exchange(text: str, reply: str = "Noted!") -> list[dict[str, str]]:
    return [{"role": "user", "content": text}, {"role": "assistant", "content": reply}]


def test_memories_live_on_the_server_one_collection_per_user(cs, chroma, user_id):  # noqa: F811
    import chromadb

    cs.add(_exchange("I'm vegetarian"), ids={"user_id": user_id, "run_id": "t1"})
    cs.add(_exchange("I'm a carnivore"), ids={"user_id": f"other-{user_id}"})
    assert [h.text for h in cs.search("what do I eat", filters={"user_id": user_id}, limit=5)] == [
        "I'm vegetarian", "Noted!"]
    client = chromadb.HttpClient(host="127.0.0.1", port=chroma.port)
    own = client.get_collection(scope_collection("tests", {"user_id": user_id}))
    assert sorted(m["data"] for m in own.get()["metadatas"]) == ["I'm vegetarian", "Noted!"]


def test_a_second_client_sees_what_the_first_stored(cs, chroma, tmp_path, user_id):  # noqa: F811
    ids = cs.add(_exchange("My sister is Ana"), ids={"user_id": user_id}, metadata={"exchange_key": "x1"})
    other_worker = as_backend(create_memory(data_dir=tmp_path, chroma_url=chroma.url, collection="tests"))
    assert {h.text for h in other_worker.search("sister", filters={"user_id": user_id}, limit=5)} == {
        "My sister is Ana", "Noted!"}
    assert other_worker.get(ids[0]).text == "My sister is Ana"  # by id, through the shared directory
    other_worker.add(_exchange("My sister is Ana"), ids={"user_id": user_id}, metadata={"exchange_key": "x1"})
    assert len(cs.get_all(filters={"user_id": user_id})) == 2  # the replay landed nowhere


def test_auth_headers_reach_the_server(chroma, tmp_path):  # noqa: F811
    memory = create_memory(data_dir=tmp_path, chroma_url=chroma.url, chroma_headers={"Authorization": "Bearer t"})
    assert memory.vector_store.directory.client.get_settings().chroma_server_host == "127.0.0.1"


def test_chroma_urls_parse_or_fail_with_the_fix():
    assert parse_chroma_url("https://chroma.example.com") == ("chroma.example.com", 443, True)
    assert parse_chroma_url("localhost:9000") == ("localhost", 9000, False)
    with pytest.raises(ValueError, match="http://HOST:PORT"):
        parse_chroma_url("ftp://x")


def test_server_away_and_back_turns_answer_and_the_write_lands_once(chroma, server_memory, user_id):  # noqa: F811
    from mem0_langgraph import EchoChatModel, with_memory

    graph = with_memory(EchoChatModel(), memory=server_memory, on_error="warn").compile()
    config = {"configurable": {"user_id": user_id, "thread_id": "t1"}}
    chroma.stop(keep_data=True)
    try:
        out = graph.invoke({"messages": [("user", "Remember that my flight is on Friday")]}, config)
        assert out["messages"][-1].type == "ai"  # the turn answered without memory
    finally:
        chroma.start()
    from mem0_langgraph.core.writer import flush_all

    assert flush_all(timeout=60)
    texts = [h.text for h in as_backend(server_memory).get_all(filters={"user_id": user_id})]
    assert texts.count("Remember that my flight is on Friday") == 1


def _damage(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"not a database " * 200)


@pytest.mark.parametrize("name", ["chroma/chroma.sqlite3", "history.db"])
def test_a_damaged_store_names_the_file_and_the_fix(tmp_path, name):
    _damage(tmp_path / name)
    with pytest.raises(MemoryBackendError) as info:
        create_memory(data_dir=tmp_path)
    assert info.value.operation == "open"
    assert str(tmp_path / name) in str(info.value) and "move it aside" in str(info.value)


def test_an_unreachable_chroma_server_names_itself(tmp_path):
    from mem0_langgraph.backends._servers import free_port

    with pytest.raises(MemoryBackendError, match="chroma run") as info:
        create_memory(data_dir=tmp_path, chroma_url=f"http://127.0.0.1:{free_port()}")
    assert info.value.operation == "open"


def test_memories_of_the_single_collection_layout_stay_readable(tmp_path, user_id):
    from mem0 import Memory

    from mem0_langgraph.backends.factory import embedded_config

    old = Memory.from_config(embedded_config(tmp_path, collection="legacy"))  # as version 0.2 stored them
    old_ids = [r["id"] for r in old.add([{"role": "user", "content": "I'm vegetarian"}], user_id=user_id,
                                        infer=False)["results"]]
    del old
    backend = as_backend(create_memory(data_dir=tmp_path, collection="legacy"))
    backend.add([{"role": "user", "content": "I'm training for a marathon"}], ids={"user_id": user_id})
    assert {h.text for h in backend.search("my diet and sport", filters={"user_id": user_id}, limit=5)} == {
        "I'm vegetarian", "I'm training for a marathon"}
    assert backend.get(old_ids[0]).text == "I'm vegetarian"
    backend.delete(old_ids[0])
    assert [h.text for h in backend.get_all(filters={"user_id": user_id})] == ["I'm training for a marathon"]
