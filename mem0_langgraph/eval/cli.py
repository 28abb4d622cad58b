"""The ``eval`` command: benchmarks on the public evaluation data.

``mem0-langgraph eval gate`` runs the recall-gate benchmark, ``eval latency``
the speed benchmark, ``eval retrieval`` the retrieval benchmark; each prints a
markdown table (and JSON with ``--out``). The main CLI adds the command with `register`.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from mem0_langgraph.eval._report import report
from mem0_langgraph.eval.data import DATA_ENV, DEFAULT_DATA_DIR, data_dir

LONGMEMEVAL_FILE = "longmemeval_s_dev.json.gz"


def register(subparsers: Any) -> None:
    """Add the ``eval`` command (with its ``gate`` sub-command) to a main CLI.

    Each leaf sets ``func``: the main CLI calls ``args.func(args)`` and exits
    with the int it returns.

    Args:
        subparsers: What ``ArgumentParser.add_subparsers()`` returned.
    """
    parser = subparsers.add_parser("eval", help="benchmarks on public evaluation data",
                                   description="Benchmarks on public evaluation data (read by path, never shipped).")
    commands = parser.add_subparsers(dest="eval_command", metavar="BENCHMARK", required=True)

    gate = commands.add_parser("gate", help="recall-gate benchmark on LongMemEval-S",
                               description="Recall on questions and fire rate on session openings, per gate.")
    gate.add_argument("--data-dir", type=Path, default=None,
                      help=f"folder holding {LONGMEMEVAL_FILE} (default: ${DATA_ENV}, else {DEFAULT_DATA_DIR})")
    gate.add_argument("--limit", type=int, default=None, help="questions to use (sampled with --seed; default all)")
    gate.add_argument("--seed", type=int, default=0, help="sampling seed for --limit (default 0)")
    gate.add_argument("--split", choices=("holdout", "train", "all"), default="holdout",
                      help="side of the question split; only holdout is out of sample for LearnedGate (default)")
    gate.add_argument("--out", type=Path, default=None, help="also write the full result as JSON here")
    gate.add_argument("--no-progress", action="store_true", help="no progress bars")
    gate.set_defaults(func=run_gate_command)

    from mem0_langgraph.eval.latency import register_latency
    from mem0_langgraph.eval.retrieval import register_retrieval

    register_latency(commands)
    register_retrieval(commands)


def run_gate_command(args: argparse.Namespace) -> int:
    """Run ``eval gate``: print the markdown table, write JSON if asked; 2 when data is missing."""
    path = data_dir(args.data_dir) / LONGMEMEVAL_FILE
    if not path.is_file():
        print(f"error: {path} not found; pass --data-dir or set {DATA_ENV} "
              "(see ../shared/data/README.md)", file=sys.stderr)
        return 2
    if args.limit is not None and args.limit < 1:
        print(f"error: --limit must be >= 1, got {args.limit}", file=sys.stderr)
        return 2
    from mem0_langgraph.eval.gate import run_gate_eval, to_markdown

    result = run_gate_eval(path, limit=args.limit, seed=args.seed, split=args.split, progress=not args.no_progress)
    return report(to_markdown(result), result, args.out)


def main(argv: list[str] | None = None) -> int:
    """Stand-alone entry point with the same command shape as the main CLI."""
    parser = argparse.ArgumentParser(prog="mem0-langgraph")
    register(parser.add_subparsers(dest="command", metavar="COMMAND", required=True))
    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
