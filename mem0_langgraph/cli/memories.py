"""``mem0-langgraph memories ...``: look at and manage the memories of one user, agent or session.

Every command works on one scope (``--user-id`` / ``--agent-id`` / ``--run-id``, at
least one) through `MemoryScope`, so an id of another scope is refused as unknown.
Output is a table, or JSON with ``--json``; destructive commands ask first unless
``--yes``. Errors are one line on stderr and a non-zero exit: 2 for bad arguments,
1 for a failed operation (an unknown id, a store that does not exist).
"""

from __future__ import annotations

import argparse
import json
import logging
import shutil
import sys
from collections.abc import Callable, Sequence
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

EXPORT_FORMAT = "mem0-langgraph/memories"
EXPORT_VERSION = 1
_LEVEL_OPTIONS = (("--user-id", "user_id", "the user"), ("--agent-id", "agent_id", "the agent"),
                  ("--run-id", "run_id", "the session (a LangGraph thread_id)"))
DESCRIPTION = ("Look at and manage the memories of one user, agent or session: give at least one of "
               "--user-id, --agent-id, --run-id (together: memories that carry all of them). Ids of "
               "other users' memories are refused as unknown. Tables on a terminal, JSON with --json; "
               "delete, delete-all and reset ask first unless --yes.")


class CommandError(Exception):
    """A command failed in a way worth one line: ``code`` 2 for bad arguments, 1 otherwise."""

    def __init__(self, message: str, code: int = 1) -> None:
        super().__init__(message)
        self.code = code


def store_options() -> argparse.ArgumentParser:
    """The ``--data-dir`` / ``--collection`` options, shared with ``chat``."""
    from mem0_langgraph.backends.factory import (
        DATA_DIR_ENV,
        DEFAULT_COLLECTION,
        DEFAULT_DATA_DIR,
    )

    parent = argparse.ArgumentParser(add_help=False)
    parent.add_argument("--data-dir",
                        help=f"the memory store's folder (default: ${DATA_DIR_ENV} or {DEFAULT_DATA_DIR})")
    parent.add_argument("--collection", default=DEFAULT_COLLECTION, help="Chroma collection (default: %(default)s)")
    return parent


def open_memory(args: argparse.Namespace, *, must_exist: bool = True) -> Any:
    """The embedded memory at ``--data-dir``; a missing folder is an error when ``must_exist``."""
    from mem0_langgraph.backends.factory import create_memory, resolve_data_dir

    directory = resolve_data_dir(args.data_dir)
    if must_exist and not directory.is_dir():
        raise CommandError(f"no memory store at {directory}: nothing was stored there yet "
                           "(--data-dir or $MEM0_LANGGRAPH_DATA_DIR picks another)")
    try:
        return create_memory(data_dir=directory, collection=args.collection)
    except ValueError as exc:  # a bad collection name, or infer=True without a key
        raise CommandError(str(exc), code=2) from exc


def register(sub: Any) -> None:
    """Add ``memories`` and its commands to the ``mem0-langgraph`` parser (``import`` can join here)."""
    scope = argparse.ArgumentParser(add_help=False, parents=[store_options()])
    for flag, dest, what in _LEVEL_OPTIONS:
        scope.add_argument(flag, dest=dest, help=f"{what} whose memories to use")
    scope.add_argument("--json", action="store_true", help="print JSON instead of a table (for scripts)")
    yes = argparse.ArgumentParser(add_help=False)
    yes.add_argument("-y", "--yes", action="store_true", help="do not ask for confirmation")

    parser = sub.add_parser("memories", help="list, search, show, edit, delete or export memories",
                            description=DESCRIPTION)
    cmds = parser.add_subparsers(dest="memories_command", required=True, metavar="COMMAND")

    def add(name: str, func: Callable[..., Any], help: str, parents: Sequence[argparse.ArgumentParser] = ()) -> Any:
        p = cmds.add_parser(name, help=help, description=help, parents=[scope, *parents])
        p.set_defaults(func=lambda args: _run(args, func))
        return p

    add("list", _list, "list the scope's memories, newest first").add_argument(
        "--limit", type=_positive, default=100, help="at most this many (default: %(default)s)")
    p = add("search", _search, "the scope's memories most similar to a query")
    p.add_argument("query")
    p.add_argument("--limit", type=_positive, default=5, help="at most this many (default: %(default)s)")
    add("show", _show, "one memory, with its metadata").add_argument("memory_id")
    add("history", _history, "a memory's changes, oldest first").add_argument("memory_id")
    p = add("add", _add, "store a text as a memory of the scope")
    p.add_argument("text")
    p.add_argument("--metadata", type=_json_object, help='JSON object stored with it, e.g. \'{"category": "diet"}\'')
    p = add("edit", _edit, "change a memory's text and/or merge metadata into it")
    p.add_argument("memory_id")
    p.add_argument("--text", help="the new text")
    p.add_argument("--metadata", type=_json_object, help="JSON object merged into its metadata")
    add("delete", _delete, "delete one memory (asks first)", [yes]).add_argument("memory_id")
    add("delete-all", _delete_all, "delete every memory of the scope, only of the scope (asks first)", [yes])
    add("export", _export, "write the scope's memories as JSON, for backups and for import").add_argument(
        "--out", help="file to write (default: standard output)")
    from mem0_langgraph.cli import importer

    importer.register(cmds)  # memories import FILE: a past conversation, through the write gate
    p = cmds.add_parser("reset", help="delete EVERY memory of every user in the store (asks first)",
                        description="Delete every memory of every user, agent and session in the store, "
                                    "and its history. Cannot be undone.", parents=[store_options(), yes])
    p.set_defaults(func=lambda args: _run(args, _reset, scoped=False))


# -- commands: each returns what to print (a table or JSON) -------------------------


def _list(scope: Any, args: argparse.Namespace) -> Any:
    records = sorted(scope.list(limit=args.limit), key=lambda r: r.created_at or "", reverse=True)
    return [r.to_dict() for r in records] if args.json else _table(records)


def _search(scope: Any, args: argparse.Namespace) -> Any:
    records = scope.search(args.query, limit=args.limit)
    return [r.to_dict() for r in records] if args.json else _table(records, score=True)


def _show(scope: Any, args: argparse.Namespace) -> Any:
    rec = scope.get(args.memory_id)
    return rec.to_dict() if args.json else _card(rec)


def _history(scope: Any, args: argparse.Namespace) -> Any:
    changes = scope.history(args.memory_id)
    if args.json:
        return [c.to_dict() for c in changes]
    return _columns(["when", "event", "change"], [[_when(c.at), c.event, _change(c.old_text, c.new_text)]
                                                  for c in changes])


def _add(scope: Any, args: argparse.Namespace) -> Any:
    records = scope.add(args.text, metadata=args.metadata)
    return [r.to_dict() for r in records] if args.json else _table(records)


def _edit(scope: Any, args: argparse.Namespace) -> Any:
    rec = scope.update(args.memory_id, text=args.text, metadata=args.metadata)
    return rec.to_dict() if args.json else _card(rec)


def _delete(scope: Any, args: argparse.Namespace) -> Any:
    rec = scope.get(args.memory_id)
    _confirm(args, f"Delete memory {rec.id} ({_clip(rec.text, 60)!r})?")
    scope.delete(rec.id)
    return {"deleted": [rec.id]} if args.json else f"deleted {rec.id}"


def _delete_all(scope: Any, args: argparse.Namespace) -> Any:
    where = _where(scope.ids)
    count = len(scope.list(limit=100_000))
    if count:
        _confirm(args, f"Delete all {_n(count)} of {where}?")
    deleted = scope.delete_all() if count else 0
    return {"deleted": deleted, "scope": scope.ids} if args.json else f"deleted {_n(deleted)} of {where}"


def _export(scope: Any, args: argparse.Namespace) -> Any:
    records = scope.list(limit=100_000)
    doc = {"format": EXPORT_FORMAT, "version": EXPORT_VERSION, "exported_at": datetime.now(timezone.utc).isoformat(),
           "scope": scope.ids, "count": len(records), "memories": [r.to_dict() for r in records]}
    if not args.out:
        return doc
    Path(args.out).write_text(json.dumps(doc, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    done = {"exported": len(records), "out": args.out}
    return done if args.json else f"exported {_n(len(records))} of {_where(scope.ids)} to {args.out}"


def _reset(memory: Any, args: argparse.Namespace) -> Any:
    from mem0_langgraph.backends.factory import resolve_data_dir
    from mem0_langgraph.backends.scoped import reset_store

    _confirm(args, f"Delete EVERY memory of every user in {resolve_data_dir(args.data_dir)}? "
             "This cannot be undone.")
    reset_store(memory, confirm=True)
    return "the store is empty"


# -- running a command: scope first (fails fast, before the model loads), then the store ---------


def _run(args: argparse.Namespace, command: Callable[..., Any], *, scoped: bool = True) -> int:
    from mem0_langgraph.backends.scoped import MemoryScope
    from mem0_langgraph.core.scopes import Scope
    from mem0_langgraph.errors import (
        Mem0LangGraphError,
        MemoryNotFoundError,
        ScopeError,
    )

    name = f"mem0-langgraph memories {args.memories_command}"
    if not args.verbose:
        for logger in ("mem0_langgraph", "mem0"):
            logging.getLogger(logger).setLevel(logging.WARNING)
    try:
        if command is _edit and args.text is None and args.metadata is None:
            raise CommandError("edit needs --text and/or --metadata", code=2)
        ids = {dest: getattr(args, dest) for _, dest, _ in _LEVEL_OPTIONS if getattr(args, dest, None) is not None}
        if scoped:
            if not ids:
                raise CommandError("give at least one of --user-id, --agent-id, --run-id", code=2)
            Scope(**ids)  # validate the ids before the store (and the model) load
        memory = open_memory(args, must_exist=command is not _add)
        result = command(MemoryScope(memory, **ids) if scoped else memory, args)
    except CommandError as exc:
        return _fail(name, str(exc), exc.code)
    except ScopeError as exc:
        return _fail(name, str(exc), 2)
    except MemoryNotFoundError as exc:
        return _fail(name, str(exc), 1)
    except ValueError as exc:  # what the user gave was refused (empty text, a scope id in metadata)
        return _fail(name, str(exc), 2)
    except (OSError, Mem0LangGraphError) as exc:  # the store failed: one line, never a traceback
        return _fail(name, f"{type(exc).__name__}: {exc}", 1)
    except KeyboardInterrupt:
        return _fail(name, "interrupted", 130)
    except Exception as exc:  # a bug, not a user error: one line, the traceback with -v
        if args.verbose:
            raise
        return _fail(name, f"unexpected {type(exc).__name__}: {exc} (run with -v for the traceback)", 1)
    if isinstance(result, str):
        print(result)
    elif isinstance(result, (dict, list)) and (getattr(args, "json", False) or command is _export):
        print(json.dumps(result, indent=2, ensure_ascii=False))
    else:
        print(result)
    return 0


def _fail(name: str, message: str, code: int) -> int:
    print(f"{name}: error: {message.splitlines()[0] if message else 'failed'}", file=sys.stderr)
    return code


def _confirm(args: argparse.Namespace, question: str) -> None:
    if getattr(args, "yes", False):
        return
    sys.stderr.write(f"{question} [y/N] ")
    sys.stderr.flush()
    answer = sys.stdin.readline() if sys.stdin is not None else ""
    if answer.strip().lower() not in ("y", "yes"):
        raise CommandError("not confirmed; nothing deleted (pass --yes to skip the question)")


# -- formatting --------------------------------------------------------------------------


def _table(records: Sequence[Any], *, score: bool = False) -> str:
    if not records:
        return "(no memories)"
    head = ["id", "created", *(["score"] if score else []), "scope", "memory"]
    rows = [[r.id, _when(r.created_at), *([f"{r.score:.3f}"] if score else []), _where(_ids(r)), r.text]
            for r in records]
    return _columns(head, rows)


def _columns(head: list[str], rows: list[list[str]]) -> str:
    """Fixed-width columns; the last one is cut to the terminal's width."""
    widths = [max(len(str(x)) for x in col) for col in zip(head, *rows)][:-1]
    room = max(20, shutil.get_terminal_size((120, 24)).columns - sum(w + 2 for w in widths))
    lines = []
    for row in [head, *rows]:
        cells = [str(c).ljust(w) for c, w in zip(row, widths)] + [_clip(str(row[-1]), room)]
        lines.append("  ".join(cells).rstrip())
    return "\n".join(lines)


def _card(rec: Any) -> str:
    fields = [("id", rec.id), ("memory", rec.text), ("scope", _where(_ids(rec))), ("created", rec.created_at),
              ("updated", rec.updated_at)] + [(f"metadata.{k}", v) for k, v in sorted(rec.metadata.items())]
    return "\n".join(f"{k:<18} {v}" for k, v in fields if v is not None)


def _ids(rec: Any) -> dict[str, str]:
    return {k: v for k in ("user_id", "agent_id", "run_id") if (v := getattr(rec, k))}


def _where(ids: dict[str, str]) -> str:
    return " ".join(f"{k.removesuffix('_id')}={v}" for k, v in ids.items())


def _when(iso: str | None) -> str:
    return (iso or "")[:16].replace("T", " ")


def _change(old: str | None, new: str | None) -> str:
    return f"{_clip(old or '', 40)!r} -> {_clip(new or '', 40)!r}" if old and new else repr(_clip(new or old or "", 80))


def _n(count: int) -> str:
    return f"{count} {'memory' if count == 1 else 'memories'}"


def _clip(text: str, n: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= n else text[: max(1, n - 1)] + "…"


def _positive(raw: str) -> int:
    try:
        value = int(raw)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {raw!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def _json_object(raw: str) -> dict[str, Any]:
    try:
        value = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise argparse.ArgumentTypeError(f"not JSON: {exc.msg}") from None
    if not isinstance(value, dict):
        raise argparse.ArgumentTypeError("must be a JSON object, e.g. '{\"category\": \"diet\"}'")
    return value
