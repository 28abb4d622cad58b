"""``mem0-langgraph memories ...`` on a real store in a temp folder: tables, JSON, confirmations, one-line errors."""

from __future__ import annotations

import io
import json
import subprocess
import sys

import pytest

from mem0_langgraph.cli.main import main

COMMANDS = ["list", "search", "show", "history", "add", "edit", "delete", "delete-all", "export", "import", "reset"]


@pytest.fixture(scope="module")
def store(tmp_path_factory) -> str:
    return str(tmp_path_factory.mktemp("cli-store"))


def cli(capsys, *argv: str, stdin: str = "") -> tuple[int, str, str]:
    """Run ``mem0-langgraph`` in this process (the model loads once per test session)."""
    old = sys.stdin
    sys.stdin = io.StringIO(stdin)
    try:
        code = main(list(argv))
    except SystemExit as exit_:  # argparse: --help, or a usage error
        code = int(exit_.code or 0)
    finally:
        sys.stdin = old
    out, err = capsys.readouterr()
    return code, out, err


def add(capsys, store: str, text: str, *scope: str) -> str:
    code, out, _ = cli(capsys, "memories", "add", text, *scope, "--data-dir", store, "--json")
    assert code == 0
    return json.loads(out)[0]["id"]


def test_every_command_has_help(capsys) -> None:
    helps = [["--help"], ["memories", "--help"], ["chat", "--help"], *[["memories", c, "--help"] for c in COMMANDS]]
    for argv in helps:
        code, out, _ = cli(capsys, *argv)
        assert code == 0 and out.startswith("usage: mem0-langgraph"), argv


@pytest.mark.parametrize("argv, message", [
    (["memories", "list"], "give at least one of --user-id, --agent-id, --run-id"),
    (["memories", "list", "--user-id", "a b"], "must not contain whitespace"),
    (["memories", "list", "--user-id", "*"], "must not contain '*'"),
    (["memories", "list", "--user-id", "alice", "--limit", "0"], "must be at least 1"),
    (["memories", "add", "x", "--user-id", "alice", "--metadata", "[1]"], "must be a JSON object"),
    (["memories", "edit", "some-id", "--user-id", "alice"], "edit needs --text and/or --metadata"),
    (["memories", "frobnicate"], "invalid choice"),
    (["chat"], "required: --user-id"),
    (["chat", "--user-id", "bad id"], "must not contain whitespace"),
    (["chat", "--user-id", "alice", "--model", "nosuchprovider:model"], "cannot use model"),
    (["memories", "list", "--user-id", "alice", "--data-dir", "/nonexistent/mem0-store"], "no memory store at"),
])
def test_bad_arguments_give_one_error_line_and_a_nonzero_exit(capsys, argv, message) -> None:
    code, _, err = cli(capsys, *argv)  # each fails before the store or the model loads
    errors = [ln for ln in err.splitlines() if "error:" in ln]
    assert code != 0 and len(errors) == 1 and message in errors[0], err


def test_the_installed_entry_point_fails_cleanly() -> None:
    done = subprocess.run([sys.executable, "-m", "mem0_langgraph.cli.main", "memories", "show", "x", "--user-id", "*"],
                          capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=120, check=False)
    assert done.returncode == 2 and done.stdout == "" and "Traceback" not in done.stderr
    assert done.stderr.strip().startswith("mem0-langgraph memories show: error: user id")


def test_add_list_search_show_edit_history_as_tables_and_json(capsys, store) -> None:
    mid = add(capsys, store, "I'm vegetarian.", "--user-id", "alice", "--metadata", '{"category": "diet"}')
    add(capsys, store, "My flight leaves at nine.", "--user-id", "alice", "--run-id", "trip")
    add(capsys, store, "I like jazz.", "--user-id", "bob")
    scope = ("--user-id", "alice", "--data-dir", store)

    code, out, _ = cli(capsys, "memories", "list", *scope)
    assert code == 0 and out.splitlines()[0].split() == ["id", "created", "scope", "memory"]
    assert "I'm vegetarian." in out and "user=alice run=trip" in out and "jazz" not in out
    code, out, _ = cli(capsys, "memories", "list", "--run-id", "trip", "--data-dir", store, "--json")
    assert [m["text"] for m in json.loads(out)] == ["My flight leaves at nine."]

    code, out, _ = cli(capsys, "memories", "search", "what do I eat", *scope, "--json", "--limit", "1")
    [hit] = json.loads(out)
    assert hit["id"] == mid and hit["score"] > 0 and hit["metadata"]["category"] == "diet"

    code, out, _ = cli(capsys, "memories", "edit", mid, "--text", "I'm vegan.", "--metadata", '{"since": "2026"}',
                       *scope)
    assert code == 0 and "I'm vegan." in out and "metadata.since" in out and "metadata.category  diet" in out
    code, out, _ = cli(capsys, "memories", "show", mid, *scope, "--json")
    assert json.loads(out)["text"] == "I'm vegan."
    code, out, _ = cli(capsys, "memories", "history", mid, *scope)
    assert [ln.split()[2] for ln in out.splitlines()[1:]] == ["ADD", "UPDATE"] and "-> \"I'm vegan.\"" in out


def test_another_users_id_is_unknown_to_every_command(capsys, store) -> None:
    mid = add(capsys, store, "My PIN hint is my cat.", "--user-id", "carol")
    for command in (["show", mid], ["history", mid], ["edit", mid, "--text", "x"], ["delete", mid, "--yes"]):
        code, out, err = cli(capsys, "memories", *command, "--user-id", "mallory", "--data-dir", store)
        assert code == 1 and out == "" and err.strip() == \
            f"mem0-langgraph memories {command[0]}: error: no memory '{mid}' for user_id=mallory"
    code, out, _ = cli(capsys, "memories", "show", mid, "--user-id", "carol", "--data-dir", store, "--json")
    assert json.loads(out)["text"] == "My PIN hint is my cat."


def test_destructive_commands_ask_first(capsys, store) -> None:
    mid = add(capsys, store, "I live in Lisbon.", "--user-id", "dave")
    add(capsys, store, "I work nights.", "--user-id", "dave", "--run-id", "s1")
    scope = ("--user-id", "dave", "--data-dir", store)
    for answer in ("", "n\n", "maybe\n"):
        code, _, err = cli(capsys, "memories", "delete", mid, *scope, stdin=answer)
        assert code == 1 and "[y/N]" in err and "not confirmed; nothing deleted" in err
    code, out, _ = cli(capsys, "memories", "delete", mid, *scope, stdin="y\n")
    assert code == 0 and out.strip() == f"deleted {mid}"
    code, _, err = cli(capsys, "memories", "delete-all", *scope, stdin="no\n")
    assert code == 1 and "Delete all 1 memory of user=dave?" in err
    code, out, _ = cli(capsys, "memories", "delete-all", *scope, "--yes", "--json")
    assert json.loads(out) == {"deleted": 1, "scope": {"user_id": "dave"}}
    assert cli(capsys, "memories", "list", *scope)[1].strip() == "(no memories)"


def test_export_writes_a_versioned_document(capsys, store, tmp_path) -> None:
    add(capsys, store, "Allergic to peanuts.", "--user-id", "erin")
    add(capsys, store, "Prefers tea.", "--user-id", "erin", "--run-id", "morning")
    target = tmp_path / "erin.json"
    code, out, _ = cli(capsys, "memories", "export", "--user-id", "erin", "--data-dir", store, "--out", str(target))
    assert code == 0 and out.strip() == f"exported 2 memories of user=erin to {target}"
    doc = json.loads(target.read_text())
    assert (doc["format"], doc["version"], doc["scope"], doc["count"]) == (
        "mem0-langgraph/memories", 1, {"user_id": "erin"}, 2)
    assert sorted(m["text"] for m in doc["memories"]) == ["Allergic to peanuts.", "Prefers tea."]
    assert {m["run_id"] for m in doc["memories"]} == {None, "morning"}
    code, out, _ = cli(capsys, "memories", "export", "--user-id", "erin", "--data-dir", store)
    assert json.loads(out)["count"] == 2  # standard output by default, for pipes


def test_reset_wipes_the_whole_store_only_when_confirmed(capsys, tmp_path) -> None:
    store = str(tmp_path / "reset-store")
    add(capsys, store, "Note one.", "--user-id", "frank")
    add(capsys, store, "Note two.", "--agent-id", "helper")
    code, _, err = cli(capsys, "memories", "reset", "--data-dir", store, stdin="")
    assert code == 1 and "Delete EVERY memory of every user" in err
    assert "Note one." in cli(capsys, "memories", "list", "--user-id", "frank", "--data-dir", store)[1]
    code, out, _ = cli(capsys, "memories", "reset", "--data-dir", store, "--yes")
    assert code == 0 and out.strip() == "the store is empty"
    for scope in (("--user-id", "frank"), ("--agent-id", "helper")):
        assert cli(capsys, "memories", "list", *scope, "--data-dir", store)[1].strip() == "(no memories)"
