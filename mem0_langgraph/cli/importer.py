"""``mem0-langgraph memories import FILE --user-id ID``: store a past conversation through the write gate.

FILE is JSON (a list of messages, or an object with a ``messages`` list) or JSONL (one
message per line); each message has ``role``, ``content`` and an optional ``timestamp``
(ISO 8601). The same write path as a live turn: the write gate keeps what is worth
remembering, original times are kept, newer statements supersede older ones, and a log
imported twice is stored once. Prints what was stored and skipped (JSON with ``--json``).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

_HELP = "store a past conversation (JSON or JSONL messages) through the write gate, keeping its times"


def register(subparsers: Any) -> None:
    """Add ``import`` to the ``memories`` command's sub-commands (what its ``add_subparsers()`` returned)."""
    from mem0_langgraph.cli.memories import store_options

    p = subparsers.add_parser("import", help=_HELP, description=_HELP, parents=[store_options()])
    p.add_argument("file", type=Path, help="JSON or JSONL file of {role, content, timestamp?} messages ('-': stdin)")
    p.add_argument("--user-id", required=True, help="whose memories these become")
    p.add_argument("--thread-id", help="the session the log was (mem0 run_id)")
    p.add_argument("--agent-id", help="the agent it was with")
    p.add_argument("--store-all", action="store_true", help="store every non-trivial exchange (no write gate)")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.set_defaults(func=run_import)


def read_messages(path: Path | str) -> list[Any]:
    """The messages of a JSON or JSONL file (``-``: standard input).

    Raises:
        ValueError: The file is neither, naming the line that failed.
    """
    text = sys.stdin.read() if str(path) == "-" else Path(path).read_text(encoding="utf-8")
    stripped = text.strip()
    if not stripped:
        return []
    try:
        data = json.loads(stripped)
    except json.JSONDecodeError:
        data = None
        rows = []
        for n, line in enumerate(stripped.splitlines(), 1):
            if line.strip():
                try:
                    rows.append(json.loads(line))
                except json.JSONDecodeError as exc:
                    raise ValueError(f"{path}: line {n} is not JSON ({exc.msg}); expected JSON or JSONL") from None
        return rows
    if isinstance(data, dict) and isinstance(data.get("messages"), list):
        return data["messages"]
    if isinstance(data, list):
        return data
    if isinstance(data, dict):  # a JSONL file of one line
        return [data]
    raise ValueError(f"{path}: expected a list of messages or an object with a 'messages' list")


def run_import(args: argparse.Namespace) -> int:
    """The command: read, import with a progress bar, print the report. Returns the exit code."""
    from mem0_langgraph.backends.factory import create_memory, resolve_data_dir
    from mem0_langgraph.core.importer import import_messages

    try:
        messages = read_messages(args.file)
    except (OSError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    memory = create_memory(data_dir=resolve_data_dir(args.data_dir), collection=args.collection)
    options: dict[str, Any] = {}
    if args.store_all:
        from mem0_langgraph.gates.write import StoreAll

        options["write_gate"] = StoreAll()
    users = sum(1 for m in messages if isinstance(m, dict) and str(m.get("role", "")).lower() in ("user", "human"))
    bar = _bar(users, disabled=args.no_progress or args.json)
    report = import_messages(messages, memory=memory, user_id=args.user_id, thread_id=args.thread_id,
                             agent_id=args.agent_id, on_exchange=lambda n: bar.update(n - bar.n), **options)
    bar.close()
    if args.json:
        print(json.dumps(report.as_dict(), indent=2))
    else:
        cats = ", ".join(f"{k} {v}" for k, v in report.categories.most_common()) or "none"
        print(f"{report.messages} messages, {report.exchanges} exchanges: stored {report.stored} memories "
              f"({report.stored_user} from the user: {cats}; {report.stored_assistant} assistant advice)")
        for reason, count in report.skipped.most_common():
            print(f"  skipped {count}: {reason}")
    return 0


def _bar(total: int, *, disabled: bool) -> Any:
    try:
        from tqdm import tqdm
    except ImportError:  # tqdm comes with sentence-transformers; without it, no bar
        class _NoBar:
            n = 0

            def update(self, k: int) -> None:
                self.n += k

            def close(self) -> None:
                pass

        return _NoBar()
    return tqdm(total=total, unit="exchange", desc="import", disable=disabled, file=sys.stderr, leave=False)
