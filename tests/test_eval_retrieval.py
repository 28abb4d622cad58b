"""The retrieval benchmark: a tiny real LoCoMo run, a hand-made LongMemEval file, the report and the command.

Real mem0 + Chroma + the local model throughout; nothing is mocked.
"""

from __future__ import annotations

import argparse
import doctest
import gzip
import json
import os
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("MEM0_TELEMETRY", "False")

from mem0_langgraph.core.rerank import KeywordFusion  # noqa: E402
from mem0_langgraph.eval.paths import LOCOMO_FILE, LONGMEMEVAL_FILE  # noqa: E402
from mem0_langgraph.eval.retrieval import (  # noqa: E402
    _run,
    locomo,
    longmemeval,
    register,
    report,
    run_retrieval_command,
    run_retrieval_eval,
    to_markdown,
)

DATA_DIR = Path(os.environ.get("MEM0_LANGGRAPH_DATA") or Path(__file__).resolve().parents[2] / "shared" / "data")
needs_locomo = pytest.mark.skipif(not (DATA_DIR / LOCOMO_FILE).is_file(),
                                  reason=f"evaluation data not found at {DATA_DIR / LOCOMO_FILE} "
                                         "(set MEM0_LANGGRAPH_DATA)")


@pytest.mark.parametrize("module", [report, _run, locomo, longmemeval])
def test_doctests(module: object) -> None:
    assert doctest.testmod(module, raise_on_error=True).attempted > 0


@pytest.mark.parametrize("kwargs", [
    {"dataset": "msc"}, {"split": "train"}, {"limit": -1}, {"k_values": ()}, {"k_values": (0,)},
    {"k_values": (5, 200), "search_k": 100}, {"rerankers": {}},
])
def test_invalid_options_fail_before_any_work(tmp_path: Path, kwargs: dict) -> None:
    with pytest.raises(ValueError):
        run_retrieval_eval(tmp_path, **kwargs)


def test_missing_data_file_fails_before_the_store_is_built(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="locomo10.json"):
        run_retrieval_eval(tmp_path, work_dir=tmp_path)
    assert list(tmp_path.iterdir()) == []


@needs_locomo
def test_tiny_locomo_run(tmp_path: Path) -> None:
    # Conversation 1 (369 turns, the smallest) and 4 of its questions: about 15 s with the model load.
    result = run_retrieval_eval(DATA_DIR, conversations=[1], limit=4, seed=0, work_dir=tmp_path, progress=False)
    assert list(tmp_path.iterdir()) == []  # the temporary store is removed
    assert result["dataset"] == "locomo" and result["k_values"] == [5, 10]
    assert result["counts"] == {"turns": 369, "turns_stored": 369, "memories": 369, "conversations": 1,
                                "questions": 4}
    assert result["skipped"]["qa: left out by --limit"] == 81 - 4
    assert result["skipped"]["qa: category 5 (not scored)"] == 24
    assert result["baseline"]["recall@10"] == 0.454
    assert list(result["rerankers"]) == ["dense", "keyword_fusion", "kf+entity_index", "kf+entity_links", "default"]
    for name, r in result["rerankers"].items():
        assert list(r["parts"]) == ["dev"]  # conversation 1 is on the dev half
        m = r["parts"]["dev"]
        assert m["n"] == 4
        for k in (5, 10):
            assert 0.0 <= m[f"recall@{k}"] <= 1.0
            assert m[f"memories@{k}"] == k  # min_score 0: always k memories, far under the budget
            assert 0 < m[f"tokens@{k}"] <= 1000 + 150  # budget on the memories plus the framing prompt
        assert m["recall@5"] <= m["recall@10"]
        assert m["tokens@5"] < m["tokens@10"]
        assert sum(c["n"] for c in m["by_category"].values()) == 4
        assert r["rerank_ms_p50"] >= 0.0
    assert result["rerankers"]["dense"]["rerank_ms_p50"] == 0.0
    assert result["rerankers"]["keyword_fusion"]["rerank_ms_p50"] > 0.0
    text = to_markdown(result)
    assert "| dense | 4 |" in text and "| keyword_fusion | 4 |" in text and "README dense baseline" in text
    json.dumps(result)  # JSON-ready


def _lme_item(qid: str, sessions: dict[str, list[tuple[str, str, bool]]], answer_ids: list[str]) -> dict:
    return {
        "question_id": qid, "question_type": "single-session-user", "question": "Where did I park my car?",
        "answer": "level 3", "question_date": "2023/05/30",
        "haystack_session_ids": list(sessions), "haystack_dates": ["2023/05/20"] * len(sessions),
        "haystack_sessions": [[{"role": r, "content": c, **({"has_answer": True} if a else {})} for r, c, a in turns]
                              for turns in sessions.values()],
        "answer_session_ids": answer_ids,
    }


def test_longmemeval_on_a_hand_made_file(tmp_path: Path) -> None:
    sessions = {
        "sharegpt_x_0": [("assistant", "As I said above, use a join.", False), ("user", "Now sort the rows.", False),
                         ("assistant", "Add ORDER BY.", False)],
        "ultrachat_1": [("user", "Explain recursion briefly.", False), ("assistant", "A function calling itself.", False)],
        "answer_q1_1": [("user", "I parked my car on level 3 of the airport garage.", True),
                        ("assistant", "Noted, level 3 of the airport garage.", False),
                        ("user", "thanks!", False), ("assistant", "You're welcome.", False)],
    }
    folder = tmp_path / "data"
    folder.mkdir()
    with gzip.open(folder / LONGMEMEVAL_FILE, "wt", encoding="utf-8") as f:
        json.dump([_lme_item("q1", sessions, ["answer_q1_1"]), _lme_item("q2_abs", sessions, [])], f)
    result = run_retrieval_eval(folder, dataset="longmemeval", limit=0, k_values=(1, 5), search_k=20,
                                rerankers={"dense": None, "kw": KeywordFusion()}, work_dir=tmp_path, progress=False)
    skipped = result["skipped"]
    assert skipped["question: abstention (_abs, not scored)"] == 1
    assert skipped["turn: assistant turn with no user turn before it (Storer stores exchanges)"] == 1
    assert skipped["store: skipped: trivial turn"] == 1  # "thanks!" and its reply: the product's write policy
    assert result["counts"]["questions"] == 1
    assert result["counts"]["turns"] == 9 and result["counts"]["turns_stored"] == 6 == result["counts"]["memories"]
    for r in result["rerankers"].values():
        m = r["parts"]["all"]
        assert m["n"] == 1
        assert m["session_recall@5"] == 1.0 and m["turn_recall@5"] == 1.0
        assert m["session_recall@1"] == m["turn_recall@1"] == 1.0  # the evidence turn is the best match
        assert m["memories@5"] == 5 and m["tokens@5"] > m["tokens@1"] > 0
        assert list(m["by_category"]) == ["single-session-user"]
    assert "session R@5" in to_markdown(result)
    # Only the asked question types are sampled.
    none = run_retrieval_eval(folder, dataset="longmemeval", limit=0, k_values=(1,), search_k=20,
                              rerankers={"dense": None}, work_dir=tmp_path, progress=False,
                              question_types=["temporal-reasoning"])
    assert none["counts"]["questions"] == 0 and none["question_types"] == ["temporal-reasoning"]


def _parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="mem0-langgraph eval")
    register(parser.add_subparsers(dest="eval_command", required=True))
    return parser.parse_args(["retrieval", *argv])


def test_command_options() -> None:
    args = _parse()
    assert (args.dataset, args.limit, args.seed, args.split, args.search_k, args.k, args.out) == (
        "locomo", None, 0, "all", 100, [5, 10], None)
    assert args.func is run_retrieval_command
    args = _parse("--dataset", "longmemeval", "--limit", "0", "--seed", "3", "--k", "5", "10", "20",
                  "--out", "r.json", "--data-dir", "/x")
    assert (args.dataset, args.limit, args.seed, args.k, args.out, args.data_dir) == (
        "longmemeval", 0, 3, [5, 10, 20], Path("r.json"), Path("/x"))
    assert _parse().question_types is None
    assert _parse("--question-type", "temporal-reasoning").question_types == ["temporal-reasoning"]


def test_command_without_data_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run_retrieval_command(_parse("--data-dir", str(tmp_path))) == 2
    assert "not found" in capsys.readouterr().err


def test_command_with_bad_options_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / LOCOMO_FILE).write_text("[]", encoding="utf-8")
    assert run_retrieval_command(_parse("--data-dir", str(tmp_path), "--limit", "-2")) == 2
    assert "limit" in capsys.readouterr().err


def test_longmemeval_through_the_write_gate_counts_only_what_was_kept(tmp_path: Path) -> None:
    sessions = {
        "ultrachat_1": [("user", "Explain recursion briefly.", False), ("assistant", "A function calling itself.", False)],
        "answer_q1_1": [("user", "I parked my car on level 3 of the airport garage.", True),
                        ("assistant", "Noted, level 3 of the airport garage.", False)],
    }
    folder = tmp_path / "data"
    folder.mkdir()
    with gzip.open(folder / LONGMEMEVAL_FILE, "wt", encoding="utf-8") as f:
        json.dump([_lme_item("q1", sessions, ["answer_q1_1"])], f)
    result = run_retrieval_eval(folder, dataset="longmemeval", limit=0, k_values=(1,), search_k=20,
                                rerankers={"dense": None}, work_dir=tmp_path, progress=False, write_gate="default")
    # The user's statement is kept; the request and both replies (no advice asked for) are not.
    assert result["write_gate"] == "default" and result["counts"]["turns_stored"] == 1 == result["counts"]["memories"]
    assert result["rerankers"]["dense"]["parts"]["all"]["turn_recall@1"] == 1.0
