"""The latency benchmark runs end to end on a small store (timings are printed, never asserted)."""

from __future__ import annotations

from mem0_langgraph.cli.main import build_parser
from mem0_langgraph.eval.latency import run_latency_eval, to_markdown


def test_latency_eval_reports_every_measure() -> None:
    result = run_latency_eval(memories=20, passes=1, progress=False)
    for key in ("import", "gate_rule", "gate_learned", "recall_node_learned_firing", "recall_node_learned_quiet",
                "recall_node_rule_firing", "recall_node_rule_quiet", "baseline_search_every_turn",
                "store_node_background", "baseline_store_inline"):
        assert result[key]["n"] > 0 and 0 < result[key]["p50_ms"] <= result[key]["p95_ms"]
    assert result["import"]["heavy_modules_imported"] == []
    assert result["seed_memories"]["count"] == 20
    assert "| recall_node_learned_firing |" in to_markdown(result)


def test_cli_has_the_eval_commands() -> None:
    args = build_parser().parse_args(["eval", "latency", "--memories", "10"])
    assert args.memories == 10 and callable(args.func)
