"""The demo CLI's scripted conversation, on the embedded default with the offline echo model."""

from __future__ import annotations

from mem0_langgraph.cli.demo import SCRIPT, run_demo
from mem0_langgraph.cli.main import build_parser


def test_demo_recalls_preferences_on_the_dinner_turn_only(tmp_path, monkeypatch) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    lines: list[str] = []
    records = run_demo(data_dir=str(tmp_path), out=lines.append)
    assert len(records) == len(SCRIPT)
    by_text = {r["user"]: r for r in records}
    dinner = by_text["Can you suggest something I could cook for dinner tonight?"]
    assert dinner["trace"]["recall"]
    assert any("vegetarian" in m["memory"] for m in dinner["recalled"])
    assert "vegetarian" in dinner["reply"] and dinner["reply"].startswith("[offline echo model]")
    for quiet in ("Thanks, that's perfect!", "ok", "How do I reverse a list in Python?"):
        assert not by_text[quiet]["trace"]["recall"] and by_text[quiet]["recalled"] == []
    assert any("offline echo model" in ln for ln in lines)
    assert any("FIRED" in ln for ln in lines) and any("quiet" in ln for ln in lines)


def test_cli_parses_demo_options() -> None:
    args = build_parser().parse_args(["demo", "--model", "openai:gpt-4.1-mini", "--data-dir", "/tmp/x"])
    assert args.command == "demo" and args.model == "openai:gpt-4.1-mini" and args.data_dir == "/tmp/x"
