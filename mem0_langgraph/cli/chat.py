"""``mem0-langgraph chat``: a REPL on the embedded default, with the memory's decisions on demand.

Each message goes through `with_memory` (recall-before, your model, store-after).
Commands: ``/why`` (the last turn's gate decision, score, reason, recalled
memories and latencies), ``/memories`` (this user's memories), ``/forget ID``,
``/help`` and ``/quit`` (or Ctrl-D). The model is chosen as in the demo:
``--model``, else OpenAI when ``OPENAI_API_KEY`` is set, else the offline echo model.
"""

from __future__ import annotations

import argparse
import sys
import time
import uuid
from collections.abc import Callable
from typing import Any

DESCRIPTION = ("Chat in the terminal with gated long-term memory on the embedded default. Each message is "
               "recalled for only when the recall gate says older context helps; /why shows that decision. "
               "Model: --model, else OpenAI when OPENAI_API_KEY is set, else an offline echo model that "
               "replies with the memory context it was given.")
HELP = ("commands: /why (the last turn's memory decision)  /memories (what is remembered about you)  "
        "/forget ID  /help  /quit")


def register(sub: Any) -> None:
    """Add ``chat`` to the ``mem0-langgraph`` parser."""
    from mem0_langgraph.cli.memories import store_options

    p = sub.add_parser("chat", parents=[store_options()], help="chat in the terminal with gated long-term memory",
                       description=DESCRIPTION)
    p.add_argument("--user-id", required=True, help="whose memories to recall and store")
    p.add_argument("--thread-id", help="the conversation (and mem0 session) id (default: a new one per chat)")
    p.add_argument("--model", help="any init_chat_model string, e.g. 'openai:gpt-4.1-mini' (default: OpenAI when "
                                   "OPENAI_API_KEY is set, else an offline echo model)")
    p.set_defaults(func=_main)


def _main(args: argparse.Namespace) -> int:
    import logging

    from mem0_langgraph.cli.memories import CommandError, open_memory
    from mem0_langgraph.core.scopes import Scope
    from mem0_langgraph.errors import ScopeError

    if not args.verbose:
        for logger in ("mem0_langgraph", "mem0"):
            logging.getLogger(logger).setLevel(logging.WARNING)
    try:
        Scope(user_id=args.user_id, run_id=args.thread_id)  # refuse bad ids before the model loads
        chosen = _pick(args.model)
        memory = open_memory(args, must_exist=False)
    except (CommandError, ScopeError, ValueError, ImportError) as exc:
        print(f"mem0-langgraph chat: error: {str(exc).splitlines()[0]}", file=sys.stderr)
        return 2
    run_chat(user_id=args.user_id, thread_id=args.thread_id, model=chosen, memory=memory)
    return 0


def _pick(name: str | None) -> Any:
    from mem0_langgraph.cli.demo import pick_model

    try:
        return pick_model(name)
    except Exception as exc:  # init_chat_model raises many types for a bad provider string or a missing package
        raise ValueError(f"cannot use model {name!r}: {exc}") from exc


def run_chat(*, user_id: str, thread_id: str | None = None, model: Any = None, memory: Any = None,
             read: Callable[[str], str] = input, out: Callable[[str], None] = print) -> list[dict[str, Any]]:
    """Run the REPL until ``/quit`` or end of input; returns one record per chat turn.

    Args:
        user_id: Whose memories are recalled and stored.
        thread_id: The conversation id (also the mem0 session). Default: a new one.
        model: A `pick_model` result, a chat model, or None to pick as the demo does.
        memory: Anything `as_backend` accepts. Default: the embedded store.
        read: Reads a line (``input``); EOFError or KeyboardInterrupt ends the chat.
        out: Prints a line.
    """
    from langgraph.checkpoint.memory import InMemorySaver

    from mem0_langgraph.backends.factory import as_backend
    from mem0_langgraph.backends.scoped import MemoryScope
    from mem0_langgraph.cli.demo import DemoModel, pick_model
    from mem0_langgraph.core.graph import with_memory
    from mem0_langgraph.core.writer import BackgroundWriter

    chosen = model if isinstance(model, DemoModel) else (
        pick_model(None) if model is None else DemoModel(model, type(model).__name__, echo=False))
    thread_id = thread_id or f"chat-{uuid.uuid4().hex[:8]}"
    backend = as_backend(memory)
    mine = MemoryScope(backend, user_id=user_id)
    writer = BackgroundWriter(backend)
    # The echo model's replies are copies of its input: storing them would only store noise.
    roles = ("user",) if chosen.echo else ("user", "assistant")
    graph = with_memory(chosen.model, memory=backend, writer=writer, store_roles=roles).compile(
        checkpointer=InMemorySaver())
    config = {"configurable": {"user_id": user_id, "thread_id": thread_id}}
    out(f"model: {chosen.label}")
    out(f"user {user_id}, thread {thread_id} (resume its memories with --thread-id {thread_id}); {HELP}")
    records: list[dict[str, Any]] = []
    try:
        while True:
            try:
                line = read("you> ").strip()
            except (EOFError, KeyboardInterrupt):
                break
            if not line:
                continue
            if line.startswith("/"):
                if _command(line, records, mine, writer, out) == "quit":
                    break
                continue
            # Read your own writes: the last turn's store ran while the user typed, so this
            # costs nothing by hand; with piped input it keeps a fact from racing its question.
            writer.flush(timeout=30)
            t0 = time.perf_counter()
            try:
                state = graph.invoke({"messages": [("user", line)]}, config)
            except Exception as exc:  # noqa: BLE001 -- a model or network failure ends the turn, not the chat
                out(f"error: {type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}")
                continue
            trace = state.get("memory_trace", {})
            records.append({"user": line, "reply": state["messages"][-1].content, "trace": trace,
                            "recalled": state.get("recalled_memories", []),
                            "turn_ms": (time.perf_counter() - t0) * 1000})
            out(f"assistant: {records[-1]['reply']}")
            if records[-1]["recalled"]:
                n = len(records[-1]["recalled"])
                out(f"  (recalled {n} {'memory' if n == 1 else 'memories'}; /why for details)")
    finally:
        writer.close()
    out("bye")
    return records


def _command(line: str, records: list[dict[str, Any]], mine: Any, writer: Any,
             out: Callable[[str], None]) -> str | None:
    from mem0_langgraph.errors import MemoryBackendError, MemoryNotFoundError

    name, _, arg = line.partition(" ")
    arg = arg.strip()
    if name in ("/quit", "/exit", "/q"):
        return "quit"
    if name == "/help":
        out(HELP)
    elif name == "/why":
        out(why(records[-1]) if records else "no turn yet: say something first")
    elif name in ("/memories", "/forget"):
        writer.flush(timeout=60)  # show what this chat just stored too
        try:
            if name == "/memories":
                records_ = sorted(mine.list(), key=lambda r: r.created_at or "")
                out("\n".join(f"{r.id}  {(r.created_at or '')[:16].replace('T', ' ')}  {r.text}" for r in records_)
                    or "no memories yet")
            elif not arg:
                out("usage: /forget ID (ids are listed by /memories)")
            else:
                out(f"forgot: {mine.delete(arg).text}")
        except MemoryNotFoundError as exc:
            out(f"error: {exc}")
        except MemoryBackendError as exc:
            out(f"error: the memory store failed: {exc}")
    else:
        out(f"unknown command {name}; {HELP}")
    return None


def why(record: dict[str, Any]) -> str:
    """The ``/why`` report of one turn: the gate's decision and why, what was recalled, and the latencies.

    Example:
        >>> print(why({"trace": {"recall": False, "score": 0.02, "reason": "trivial turn", "stored": False,
        ...                      "store_reason": "skipped: trivial turn", "latency_ms": {"gate": 0.1}},
        ...            "recalled": [], "turn_ms": 3.0}))
        gate: quiet, score 0.02 (trivial turn)
        recalled: nothing
        stored: no (skipped: trivial turn)
        latency: gate 0.1 ms, search 0.0 ms, store 0.0 ms, whole turn 3 ms
    """
    t = record["trace"]
    lat = t.get("latency_ms", {})
    lines = [(f"gate: {'FIRED' if t.get('recall') else 'quiet'}, score {t.get('score', 0.0):.2f} "
              f"({t.get('reason', '')})")]
    if t.get("queries") and lat.get("search"):
        lines.append("searched: " + "; ".join(repr(q) for q in t["queries"]))
    recalled = record.get("recalled") or []
    if recalled:
        lines.append("recalled:")
    elif t.get("candidates"):
        lines.append(f"recalled: nothing of {t['candidates']} candidates (below the score threshold, or "
                     "already in this conversation)")
    else:
        lines.append("recalled: nothing")
    lines += [f"  - {m['memory']!r} (score {m['score']:.2f}, id {m['id']})" for m in recalled]
    if t.get("error"):
        lines.append(f"error survived: {t['error']}")
    lines.append(f"stored: {'yes' if t.get('stored') else 'no'} ({t.get('store_reason', '')})")
    lines.append(f"latency: gate {lat.get('gate', 0.0):.1f} ms, search {lat.get('search', 0.0):.1f} ms, "
                 f"store {lat.get('store', 0.0):.1f} ms, whole turn {record.get('turn_ms', 0.0):.0f} ms")
    return "\n".join(lines)
