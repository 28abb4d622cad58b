"""The key path end to end: mem0's own fact extraction (infer=True) and an LLM supersede judge, against a
loopback OpenAI-compatible stub server that answers mem0's prompts and ours. Everything else is real
(mem0, Chroma, the local embedding model, the graph)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from langchain_core.messages import HumanMessage

from mem0_langgraph import EchoChatModel, with_memory
from mem0_langgraph.backends.mem0 import Mem0Backend
from mem0_langgraph.core.supersede import LLMJudge

FACTS = {"I'm vegetarian.": "User is vegetarian",
         "Actually I started eating fish again last month.": "User started eating fish again last month"}


def answer(body: dict[str, Any]) -> str:
    """What the stub model says: mem0's extraction gets facts, our supersede judge a verdict."""
    messages = body["messages"]
    prompt = "\n".join(m["content"] if isinstance(m["content"], str) else json.dumps(m["content"]) for m in messages)
    if "## New Messages" in prompt:  # mem0's additive extraction (system: ADDITIVE_EXTRACTION_PROMPT)
        new = str(messages[-1]["content"]).split("## New Messages", 1)[1].split("## Observation Date", 1)[0]
        return json.dumps({"memory": [{"text": fact} for said, fact in FACTS.items() if said in new]})
    if "Older statements:" in prompt:  # LLMJudge
        older = prompt.split("Older statements:", 1)[1]
        replaced = [n for n, line in enumerate([ln for ln in older.splitlines() if ln[:1].isdigit()], 1)
                    if "vegetarian" in line and "fish" in prompt.split("Older statements:")[0]]
        return json.dumps({"replaced": replaced, "reason": "the diet changed"})
    raise AssertionError(f"unexpected prompt: {prompt[:200]}")


class Handler(BaseHTTPRequestHandler):
    server: Stub

    def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self.server.requests.append(body)
        data = json.dumps({"id": "chatcmpl-stub", "object": "chat.completion", "created": 0,
                           "model": body.get("model", "stub"),
                           "choices": [{"index": 0, "finish_reason": "stop", "logprobs": None,
                                        "message": {"role": "assistant", "content": answer(body)}}],
                           "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2}}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        pass


class Stub(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), Handler)
        self.requests: list[dict[str, Any]] = []


@pytest.fixture
def stub(monkeypatch: pytest.MonkeyPatch) -> Iterator[Stub]:
    server = Stub()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    monkeypatch.setenv("OPENAI_API_KEY", "test-key")
    monkeypatch.setenv("OPENAI_BASE_URL", f"http://127.0.0.1:{server.server_address[1]}/v1")
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def test_key_path_extracts_facts_and_the_llm_judge_supersedes(stub: Stub, tmp_path) -> None:
    from langchain_openai import ChatOpenAI

    from mem0_langgraph import create_memory

    memory = create_memory(data_dir=tmp_path, collection="infer")  # a key is set: fact extraction on
    backend = Mem0Backend(memory)
    assert backend.infer is True
    judge = LLMJudge(ChatOpenAI(model="stub", max_retries=0, timeout=10))
    graph = with_memory(EchoChatModel(), memory=backend, sync_store=True, supersede=judge).compile()

    def say(text: str, when: str, thread: str) -> dict[str, Any]:
        return graph.invoke({"messages": [HumanMessage(text, additional_kwargs={"timestamp": when})]},
                            {"configurable": {"user_id": "alice", "thread_id": thread}})

    say("I'm vegetarian.", "2026-11-02T09:15:00+00:00", "monday")
    say("How do I reverse a list in Python?", "2026-11-02T09:20:00+00:00", "monday")  # the write gate: no call
    say("Actually I started eating fish again last month.", "2026-11-04T18:30:00+00:00", "wednesday")

    extraction = [r for r in stub.requests if "## New Messages" in json.dumps(r["messages"])]
    assert len(extraction) == 2 and all(r["response_format"] == {"type": "json_object"} for r in extraction)
    rows = {h.text: h for h in backend.get_all(filters={"user_id": "alice"})}
    assert set(rows) == set(FACTS.values())  # mem0's extracted facts, not the raw messages
    old, new = rows["User is vegetarian"], rows["User started eating fish again last month"]
    assert old.metadata["category"] == "preference" and old.created_at.startswith("2026-11-02T09:15")
    assert old.metadata["status"] == "superseded" and old.metadata["superseded_by"] == new.id
    assert old.metadata["superseded_reason"] == "llm: the diet changed"
    assert [h["event"] for h in backend.history(old.id)] == ["ADD", "UPDATE"]

    out = say("Any ideas for dinner tonight?", "2026-11-06T19:00:00+00:00", "friday")
    assert [m["memory"] for m in out["recalled_memories"]] == [new.text, old.text]
    reply = out["messages"][-1].content
    assert reply.index("eating fish") < reply.index("(superseded on 2026-11-04")
    assert len([r for r in stub.requests if "## New Messages" in json.dumps(r["messages"])]) == 2  # echo not stored
