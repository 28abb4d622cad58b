"""``mem0-langgraph chat``: the REPL on the real store with the offline echo model, driven through stdin."""

from __future__ import annotations

import io
import sys
import uuid

from mem0_langgraph.backends.scoped import MemoryScope
from mem0_langgraph.cli.chat import run_chat
from mem0_langgraph.cli.main import main


def chat(backend, user: str, lines: list[str], thread: str | None = None) -> tuple[list[dict], list[str]]:
    printed: list[str] = []
    feed = iter(lines)

    def read(prompt: str) -> str:
        try:
            return next(feed)
        except StopIteration:
            raise EOFError from None

    records = run_chat(user_id=user, thread_id=thread, memory=backend, read=read, out=printed.append)
    return records, printed


def test_second_session_recalls_the_first_and_why_explains_it(backend, user_id) -> None:
    chat(backend, user_id, ["Hi!", "I'm vegetarian and allergic to peanuts.", "/quit"], thread="monday")
    records, printed = chat(backend, user_id, ["What should I cook for dinner tonight?", "/why", "thanks!", "/why"],
                            thread="tuesday")
    dinner, thanks = records
    assert dinner["trace"]["recall"] and [m["memory"] for m in dinner["recalled"]] == [
        "I'm vegetarian and allergic to peanuts."]
    assert "vegetarian" in dinner["reply"] and "  (recalled 1 memory; /why for details)" in printed
    why_dinner, why_thanks = [p for p in printed if p.startswith("gate:")]
    assert why_dinner.startswith("gate: FIRED, score 0.") and "I'm vegetarian and allergic to peanuts." in why_dinner
    assert "latency: gate" in why_dinner and "search" in why_dinner and "whole turn" in why_dinner
    assert why_thanks.startswith("gate: quiet") and "recalled: nothing" in why_thanks
    assert not thanks["trace"]["recall"] and printed[-1] == "bye"


def test_memories_and_forget_act_on_this_user_only(backend, user_id) -> None:
    [bobs] = MemoryScope(backend, user_id=f"bob-{uuid.uuid4().hex[:6]}").add("Bob's secret.")
    _, printed = chat(backend, user_id, ["I play the cello on Sundays.", "/memories"])
    [listing] = [p for p in printed if "I play the cello" in p and not p.startswith("assistant")]
    mine = listing.split()[0]
    _, printed = chat(backend, user_id, [f"/forget {bobs.id}", f"/forget {mine}", "/forget", "/memories", "/nope"])
    assert f"error: no memory '{bobs.id}' for user_id={user_id}" in printed
    assert "forgot: I play the cello on Sundays." in printed
    assert "usage: /forget ID (ids are listed by /memories)" in printed
    assert "no memories yet" in printed and any(p.startswith("unknown command /nope") for p in printed)
    assert MemoryScope(backend, user_id=bobs.user_id).get(bobs.id).text == "Bob's secret."


def test_cli_chat_reads_stdin(capsys, tmp_path, monkeypatch) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.setattr(sys, "stdin", io.StringIO("I'm allergic to cats.\n/why\n/quit\n"))
    code = main(["chat", "--user-id", "zoe", "--thread-id", "t1", "--data-dir", str(tmp_path)])
    out = capsys.readouterr().out
    assert code == 0 and "model: offline echo model" in out and "user zoe, thread t1" in out
    assert "assistant: [offline echo model] memory context: none | user said: I'm allergic to cats." in out
    assert "stored: yes (queued)" in out and out.rstrip().endswith("bye")
    assert [r.text for r in MemoryScope(str_memory(tmp_path), user_id="zoe").list()] == ["I'm allergic to cats."]


def str_memory(path) -> object:
    from mem0_langgraph.backends.factory import create_memory

    return create_memory(data_dir=path)
