"""The load benchmark, small, on the real embedded store: it runs, reads every write back, loses none."""

from __future__ import annotations

import argparse

from mem0_langgraph.eval.load import register, run_load_eval, to_markdown, turn_text


def test_a_small_load_run_loses_no_write_and_reports_every_measure(backend) -> None:
    result = run_load_eval(conversations=3, turns=3, backend=backend)
    for name in ("threads", "asyncio"):
        v = result[name]
        assert v["drained"] and v["queued_writes"] > 0
        assert (v["lost_writes"], v["duplicated_writes"]) == (0, 0)
        assert v["memory"]["n"] == v["baseline"]["n"] == 9 and v["writes_per_s"] > 0 and v["max_queue_depth"] >= 1
    assert result["asyncio"]["loop_lag_p95_ms"]["memory"] >= 0 and "loop_lag_p95_ms" not in result["threads"]
    table = to_markdown(result)
    assert "| threads |" in table and "| asyncio |" in table


def test_register_adds_the_load_command_with_its_size_flags() -> None:
    parser = argparse.ArgumentParser()
    register(parser.add_subparsers())
    args = parser.parse_args(["load", "--conversations", "2", "--turns", "4", "--variants", "asyncio"])
    assert (args.conversations, args.turns, args.variants) == (2, 4, ["asyncio"]) and callable(args.func)


def test_turn_texts_are_unique_statements_with_a_question_every_fifth_turn() -> None:
    texts = [turn_text(c, t) for c in range(50) for t in range(20) if t % 5 != 4]
    assert len(set(texts)) == len(texts)
    assert turn_text(0, 4).endswith("?")
