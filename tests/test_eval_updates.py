"""The knowledge-update benchmark on a hand-made LongMemEval file: the newer fact is recalled and current,
a reused store recalls again without storing again, and one side of the split runs alone."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

from mem0_langgraph.eval.longmemeval import split_of
from mem0_langgraph.eval.paths import LONGMEMEVAL_FILE
from mem0_langgraph.eval.updates import run_updates_eval, to_markdown


def _item(qid: str) -> dict:
    sessions = {
        "s_old": [("user", "My 5K personal best is 27:12, set at the spring race.", True), ("assistant", "Nice!", False)],
        "s_mid": [("user", "How do I reverse a list in Python?", False), ("assistant", "Use reversed().", False)],
        "s_new": [("user", "I ran a new 5K personal best of 25:50 at the autumn race!", True),
                  ("assistant", "Congratulations!", False)],
    }
    return {
        "question_id": qid, "question_type": "knowledge-update", "question": "What is my 5K personal best?",
        "answer": "25:50", "question_date": "2023/11/01",
        "haystack_session_ids": list(sessions),
        "haystack_dates": ["2023/04/02 (Sun) 10:00", "2023/06/01 (Thu) 10:00", "2023/10/08 (Sun) 10:00"],
        "haystack_sessions": [[{"role": r, "content": c, **({"has_answer": True} if a else {})} for r, c, a in turns]
                              for turns in sessions.values()],
        "answer_session_ids": ["s_old", "s_new"],
    }


def test_updates_on_a_hand_made_file_and_a_reused_store(tmp_path: Path) -> None:
    qid = "6613b389"  # a train-side id
    assert split_of(qid) == "train"
    path = tmp_path / LONGMEMEVAL_FILE
    with gzip.open(path, "wt", encoding="utf-8") as f:
        json.dump([_item(qid)], f)
    store = tmp_path / "store"
    first = run_updates_eval(path, progress=False, store_dir=store)
    after = first["sides"]["train"]["after (default) @ top_k 5, 400 tokens (default)"]
    assert first["questions"] == 1 and after["ok"] == 1.0 and after["latest_superseded"] == 0.0
    assert first["memories_per_100_turns"]["after"] < first["memories_per_100_turns"]["before"]
    again = run_updates_eval(path, progress=False, store_dir=store)
    assert again["memories_per_100_turns"] == first["memories_per_100_turns"]  # nothing stored twice
    assert again["rows"] == first["rows"]
    assert run_updates_eval(path, progress=False, split="holdout")["questions"] == 0
    assert "| after (default) @ top_k 5, 400 tokens (default) | 1.000 | n/a |" in to_markdown(first)
