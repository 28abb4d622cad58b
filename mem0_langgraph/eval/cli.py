"""The ``eval`` command: one sub-command per benchmark, each added by the benchmark's own module.

``mem0-langgraph eval gate`` runs the recall-gate benchmark, ``eval latency``
the speed benchmark, ``eval retrieval`` the retrieval benchmark; each prints a
markdown table (and JSON with ``--out``). The main CLI adds the command with `register`.

To add a benchmark, give its module a ``register(commands)`` function and add
the module's name to `BENCHMARKS`::

    def register(commands):
        parser = commands.add_parser("load", help="...")  # the sub-command's name
        parser.add_argument("--out", type=Path, default=None, help="also write the full result as JSON here")
        parser.set_defaults(func=run_load_command)  # called with the parsed args; returns the exit code

Keep heavy imports inside the command function, so that ``mem0-langgraph --help``
stays fast; end the command with `mem0_langgraph.eval._report.report`.
"""

from __future__ import annotations

import importlib
from typing import Any

BENCHMARKS = (
    "mem0_langgraph.eval.gate",
    "mem0_langgraph.eval.retrieval",
    "mem0_langgraph.eval.latency",
    "mem0_langgraph.eval.load",
    "mem0_langgraph.eval.scale",
    "mem0_langgraph.eval.updates",
    "mem0_langgraph.eval.peer",
    "mem0_langgraph.eval.write_gate",
)
"""The modules that each add one ``eval`` sub-command, in the order ``--help`` lists them."""


def register(subparsers: Any) -> None:
    """Add the ``eval`` command, with one sub-command per module of `BENCHMARKS`, to a main CLI.

    Each leaf sets ``func``: the main CLI calls ``args.func(args)`` and exits
    with the int it returns.

    Args:
        subparsers: What ``ArgumentParser.add_subparsers()`` returned.
    """
    parser = subparsers.add_parser("eval", help="benchmarks on public evaluation data",
                                   description="Benchmarks on public evaluation data (read by path, never shipped).")
    commands = parser.add_subparsers(dest="eval_command", metavar="BENCHMARK", required=True)
    for name in BENCHMARKS:
        importlib.import_module(name).register(commands)
