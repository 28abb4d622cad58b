"""Command line: ``mem0-langgraph demo``, ``chat``, ``memories ...`` (and ``eval``, when the benchmark suite is installed)."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="mem0-langgraph", description=__doc__)
    parser.add_argument("-v", "--verbose", action="store_true", help="DEBUG logs of every gate, search and store")
    sub = parser.add_subparsers(dest="command", required=True)
    demo = sub.add_parser("demo", help="replay a scripted multi-session conversation on the embedded default")
    demo.add_argument("--model", help="any init_chat_model string, e.g. 'openai:gpt-4.1-mini' "
                      "(default: OpenAI when OPENAI_API_KEY is set, else an offline echo model)")
    demo.add_argument("--data-dir", help="keep memories here (default: a temporary folder, removed after)")
    demo.add_argument("--keep", action="store_true", help="keep the temporary data folder")
    demo.set_defaults(func=_demo)
    from mem0_langgraph.cli import chat, memories

    chat.register(sub)
    memories.register(sub)
    try:
        from mem0_langgraph.eval.cli import register
    except ImportError:  # the benchmark suite is optional
        pass
    else:
        register(sub)
    return parser


def _demo(args: argparse.Namespace) -> int:
    from mem0_langgraph.cli.demo import run_demo

    run_demo(model=args.model, data_dir=args.data_dir, keep=args.keep)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.INFO,
                        format="%(levelname)s %(name)s: %(message)s")
    for noisy in ("httpx", "chromadb", "sentence_transformers", "urllib3", "mem0.vector_stores"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    return int(args.func(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
