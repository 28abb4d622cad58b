"""import_messages and ``mem0-langgraph memories import`` on the real embedded memory."""

from __future__ import annotations

import argparse
import json
from datetime import datetime, timezone

from mem0_langgraph.cli.importer import read_messages, register, run_import
from mem0_langgraph.core.importer import import_messages
from mem0_langgraph.gates.write import StoreAll

LOG = [
    {"role": "system", "content": "You are helpful."},
    {"role": "user", "content": "I'm vegetarian.", "timestamp": "2025-01-06T09:00:00Z"},
    {"role": "assistant", "content": "Noted!"},
    {"role": "user", "content": "How do I reverse a list in Python?", "timestamp": "2025-01-07T10:00:00Z"},
    {"role": "assistant", "content": "Use reversed() or slicing."},
    {"role": "user", "content": "Any ideas for dinner tonight?", "timestamp": datetime(2025, 1, 8, 19, tzinfo=timezone.utc)},
    {"role": "assistant", "content": "How about a mushroom risotto with peas and parmesan?"},
    {"role": "user", "content": "Actually I started eating fish again last month.", "timestamp": "2025-03-01T12:00:00Z"},
    {"role": "assistant", "content": "Good to know."},
]


def test_import_keeps_times_gates_and_supersedes(backend, user_id) -> None:
    report = import_messages(LOG, memory=backend, user_id=user_id, thread_id="old-chat")
    assert (report.messages, report.exchanges, report.stored_user, report.stored_assistant) == (9, 4, 2, 1)
    assert dict(report.categories) == {"preference": 2}
    assert report.skipped["message: role 'system'"] == 1 and report.skipped["reveals nothing about the user"] == 1
    rows = {h.text: h for h in backend.get_all(filters={"user_id": user_id})}
    assert rows["I'm vegetarian."].created_at.startswith("2025-01-06T09:00")
    assert rows["How about a mushroom risotto with peas and parmesan?"].metadata["category"] == "advice"
    assert rows["How about a mushroom risotto with peas and parmesan?"].metadata["said_at"].startswith("2025-01-08T19")
    assert rows["I'm vegetarian."].metadata["status"] == "superseded"
    assert rows["I'm vegetarian."].metadata["run_id"] == "old-chat"
    again = import_messages(LOG, memory=backend, user_id=user_id, thread_id="old-chat")
    assert again.stored == 0 and again.skipped["already imported"] == 3
    assert len(backend.get_all(filters={"user_id": user_id})) == 3


def test_import_with_store_all_and_bad_rows(backend, user_id) -> None:
    rows = [{"role": "assistant", "content": "orphan"}, "junk", {"role": "user", "content": ""},
            {"role": "human", "content": "Explain HTTP 429."}, {"role": "ai", "content": "Too many requests."}]
    report = import_messages(rows, memory=backend, user_id=user_id, write_gate=StoreAll())
    assert report.stored == 2 and report.skipped["message: not an object"] == 1
    assert report.skipped["message: assistant reply with no user message before it"] == 1
    assert report.skipped["message: no text"] == 1


def test_read_json_and_jsonl(tmp_path) -> None:
    (tmp_path / "a.json").write_text(json.dumps({"messages": LOG[1:3]}, default=str))
    (tmp_path / "b.jsonl").write_text("\n".join(json.dumps(m, default=str) for m in LOG[1:3]))
    assert read_messages(tmp_path / "a.json") == read_messages(tmp_path / "b.jsonl")
    (tmp_path / "c.jsonl").write_text('{"role": "user"}\nnot json\n')
    try:
        read_messages(tmp_path / "c.jsonl")
    except ValueError as exc:
        assert "line 2" in str(exc)
    else:
        raise AssertionError("bad JSONL must fail")


def test_cli_import(tmp_path, capsys) -> None:
    log = tmp_path / "log.jsonl"
    log.write_text("\n".join(json.dumps(m, default=str) for m in LOG))
    parser = argparse.ArgumentParser()
    register(parser.add_subparsers(dest="cmd"))
    args = parser.parse_args(["import", str(log), "--user-id", "cli-user", "--data-dir", str(tmp_path / "store"),
                              "--json"])
    assert run_import(args) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["stored"] == 3 and out["categories"] == {"preference": 2}
    args = parser.parse_args(["import", str(log), "--user-id", "cli-user", "--data-dir", str(tmp_path / "store"),
                              "--no-progress"])
    assert run_import(args) == 0
    assert "stored 0 memories" in capsys.readouterr().out
