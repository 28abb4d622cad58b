"""The peer benchmark: both systems on a real memory, evidence matched from the injected text, a tiny real run.

Real mem0 + Chroma + the local model throughout; nothing is mocked.
"""

from __future__ import annotations

import doctest
import json
import os
from pathlib import Path
from typing import Any

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("MEM0_TELEMETRY", "False")

from mem0_langgraph.cli.main import main
from mem0_langgraph.core.options import build_components
from mem0_langgraph.eval import _peer_data, _peer_play, peer
from mem0_langgraph.eval._peer_play import PEER_CONTEXT_HEADER, EvidenceIndex, Ours, Peer
from mem0_langgraph.eval.paths import LONGMEMEVAL_FILE

DATA_DIR = Path(os.environ.get("MEM0_LANGGRAPH_DATA") or Path(__file__).resolve().parents[2] / "shared" / "data")
needs_data = pytest.mark.skipif(not (DATA_DIR / LONGMEMEVAL_FILE).is_file(),
                                reason=f"evaluation data not found at {DATA_DIR / LONGMEMEVAL_FILE}")
FACTS = ("I moved to Lyon in May for my new job at the museum.", "My sister Ana is a nurse in Porto.",
         "I'm allergic to peanuts.", "I play the cello every Sunday.")


@pytest.mark.parametrize("module", [_peer_data, _peer_play])
def test_doctests(module: object) -> None:
    assert doctest.testmod(module, raise_on_error=True).attempted > 0


@pytest.mark.parametrize("kwargs", [{"users": -1}, {"history_turns": 0}, {"split": "train"},
                                    {"write_gate": "rules"}])
def test_invalid_options_fail_before_any_work(tmp_path: Path, kwargs: dict) -> None:
    with pytest.raises(ValueError):
        peer.run_peer_eval(tmp_path / "absent.json.gz", **kwargs)


def _seed(memory: Any, user_id: str) -> None:
    for fact in FACTS:
        memory.add([{"role": "user", "content": fact}], user_id=user_id, infer=False)


def test_peer_injects_every_hit_and_its_inline_adds_are_removed(memory: Any, user_id: str) -> None:
    _seed(memory, user_id)
    before = {m["id"] for m in memory.get_all(filters={"user_id": user_id})["results"]}
    player = Peer(memory, user_id)
    turn = player.turn("question", "Where did I move to in May?", "To Lyon.")
    assert len(turn.texts) == len(FACTS)  # mem0's defaults: top 20, threshold 0.1: everything here
    assert set(turn.parts) == {"search", "add"} and turn.ms == pytest.approx(sum(turn.parts.values()))
    assert turn.tokens > sum(len(f) for f in FACTS) // 4 + len(PEER_CONTEXT_HEADER) // 4
    assert len(memory.get_all(filters={"user_id": user_id})["results"]) == len(FACTS) + 2  # the exchange, inline
    player.remove_added()
    assert {m["id"] for m in memory.get_all(filters={"user_id": user_id})["results"]} == before


def test_evidence_is_matched_from_the_text_each_system_injected(memory: Any, user_id: str) -> None:
    _seed(memory, user_id)
    index = EvidenceIndex({fact: [("s1", i)] for i, fact in enumerate(FACTS)})
    recaller, storer = build_components(memory, sync_store=True)
    ours = Ours(recaller, storer, user_id)
    quiet, _ = ours.recall("request", "Write a Python function that reverses a list.")
    assert quiet.texts == [] and quiet.tokens == 0  # the gate stays quiet: nothing injected, nothing counted
    asked, result = ours.recall("question", "Which city did I move to in May?")
    assert ("s1", 0) in index.keys(asked.texts)
    assert asked.tokens > len(FACTS[0]) // 4
    ours.store(asked, "You moved to Lyon.", result)
    assert set(asked.parts) == {"recall", "store"}
    peer_turn = Peer(memory, user_id).turn("question", "Which city did I move to in May?", "Lyon.")
    assert index.keys(peer_turn.texts) >= {("s1", i) for i in range(len(FACTS))}
    assert index.keys(["Which city did I move to in May?", "You moved to Lyon."]) == set()  # played text: no evidence


@needs_data
def test_tiny_run_through_the_command(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "peer.json"
    code = main(["eval", "peer", "--data-dir", str(DATA_DIR), "--users", "1", "--split", "holdout",
                 "--history-turns", "40", "--requests", "2", "--no-progress", "--out", str(out)])
    printed = capsys.readouterr().out
    assert code == 0 and "| ours |" in printed and "| peer |" in printed
    result = json.loads(out.read_text())
    assert result["config"]["write_gate"] == "default" and result["config"]["requests"] == 2
    assert list(result["sides"]) == ["holdout", "all"]
    (row,) = result["rows"]
    assert row["side"] == "holdout" and row["history_turns"] >= 40 and row["evidence_turns"] >= 1
    for name in ("ours", "peer"):
        assert [t["kind"] for t in row[name]["turns"]] == ["request", "request", "question"]
        assert all(t["ms"] > 0 for t in row[name]["turns"])
    requests = [(o, p) for o, p in zip(row["ours"]["turns"], row["peer"]["turns"]) if o["kind"] == "request"]
    assert all(p["tokens"] > o["tokens"] for o, p in requests)  # the peer injects on every turn
    assert all(min(20, row["memories_stored"]) <= p["memories"] <= 20 for _, p in requests)
    s = result["sides"]["holdout"]
    assert s["users"] == 1 and s["peer"]["requests_given_memory"] == 1.0
    assert s["ratios"]["tokens_peer_over_ours"] > 1
    assert s["ratios"]["reach_gap"] == s["peer"]["evidence_reach"] - s["ours"]["evidence_reach"]
    diagnosis = row["ours"]["diagnosis"]
    assert (diagnosis["stage"] == "reached") == row["ours"]["reached"]
    assert diagnosis["trace"]["score"] == diagnosis["gate_score"]
