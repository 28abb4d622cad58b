"""The scripted demo: preferences early, a long unrelated stretch, then a turn where they matter.

Replays a two-session conversation through `with_memory` on the embedded
default and prints, per turn, whether the gate fired and why, what was
recalled, the latencies and the model's reply.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

SCRIPT: tuple[tuple[str, str], ...] = (
    ("monday", "Hi there!"),
    ("monday", "Quick intro about me: I'm vegetarian, and I'm allergic to peanuts."),
    ("monday", "I live in Lisbon and I usually cook dinner for my partner, Sam."),
    ("monday", "Thanks!"),
    ("tuesday", "How do I reverse a list in Python?"),
    ("tuesday", "What's the difference between a process and a thread?"),
    ("tuesday", "Write a SQL query that counts orders per customer."),
    ("tuesday", "Explain what a Python decorator does."),
    ("tuesday", "How do I set up a virtual environment?"),
    ("tuesday", "What does HTTP status 429 mean?"),
    ("tuesday", "Give me a regex that matches an email address."),
    ("tuesday", "ok"),
    ("tuesday", "Can you suggest something I could cook for dinner tonight?"),
    ("tuesday", "Thanks, that's perfect!"),
    ("tuesday", "Bye!"),
)
"""``(session, user message)`` pairs; each session is its own LangGraph thread."""

USER_ID = "demo-user"


@dataclass(frozen=True)
class DemoModel:
    model: Any
    label: str
    echo: bool


def pick_model(name: str | None) -> DemoModel:
    """``--model`` via ``init_chat_model``; else OpenAI when a key is set; else the offline echo model."""
    if name:
        from langchain.chat_models import init_chat_model

        return DemoModel(init_chat_model(name), f"init_chat_model({name!r})", echo=False)
    if os.environ.get("OPENAI_API_KEY"):
        from langchain_openai import ChatOpenAI

        model = os.environ.get("MEM0_LANGGRAPH_CHAT_MODEL", "gpt-4.1-mini")
        return DemoModel(ChatOpenAI(model=model), f"OpenAI {model}", echo=False)
    from mem0_langgraph.cli.echo_model import EchoChatModel

    return DemoModel(EchoChatModel(), "offline echo model (no OPENAI_API_KEY, no --model): it replies with "
                     "exactly the memory context and message it was given", echo=True)


def run_demo(*, model: str | None = None, data_dir: str | None = None, keep: bool = False,
             out: Callable[[str], None] = print) -> list[dict[str, Any]]:
    """Replay `SCRIPT`; returns one record per turn (also what the tests check)."""
    from langgraph.checkpoint.memory import InMemorySaver

    from mem0_langgraph.backends.factory import create_memory
    from mem0_langgraph.backends.mem0 import Mem0Backend
    from mem0_langgraph.core.graph import with_memory
    from mem0_langgraph.core.writer import flush_all

    directory = data_dir or tempfile.mkdtemp(prefix="mem0-langgraph-demo-")
    chosen = pick_model(model)
    t0 = time.perf_counter()
    memory = create_memory(data_dir=directory, collection="demo")
    backend = Mem0Backend(memory)
    out(f"memory: {directory} (Chroma + local all-MiniLM-L6-v2), "
        f"{'LLM fact extraction' if backend.infer else 'stored verbatim (infer=False)'}; "
        f"ready in {time.perf_counter() - t0:.1f}s")
    out(f"model: {chosen.label}\n")
    # The echo model's replies are copies of its input: storing them would only store noise.
    roles = ("user",) if chosen.echo else ("user", "assistant")
    # The default writer (the backend's shared one, through the supersession step).
    graph = with_memory(chosen.model, memory=backend, store_roles=roles).compile(
        checkpointer=InMemorySaver())
    records = []
    try:
        for n, (session, text) in enumerate(SCRIPT, 1):
            config = {"configurable": {"user_id": USER_ID, "thread_id": f"demo-{session}"}}
            t = time.perf_counter()
            state = graph.invoke({"messages": [("user", text)]}, config)
            turn_ms = (time.perf_counter() - t) * 1000
            flush_all(timeout=60)  # demo only: make this turn's memory visible to the next
            trace = state.get("memory_trace", {})
            records.append({"turn": n, "session": session, "user": text, "trace": trace,
                            "recalled": state.get("recalled_memories", []),
                            "reply": state["messages"][-1].content})
            _print_turn(out, records[-1], turn_ms)
    finally:
        flush_all(timeout=60)
        if not keep and data_dir is None:
            shutil.rmtree(directory, ignore_errors=True)
    fired = [r["turn"] for r in records if r["trace"].get("recall")]
    probed = [r["turn"] for r in records if r["trace"].get("latency_ms", {}).get("search") and r["turn"] not in fired]
    out(f"memory reached the model on turns {fired} of {len(records)}; unsure turns that probed memory and "
        f"found nothing relevant: {probed}; no search on the rest.")
    return records


def _print_turn(out: Callable[[str], None], r: dict[str, Any], turn_ms: float) -> None:
    t = r["trace"]
    lat = t.get("latency_ms", {})
    out(f"[{r['turn']:>2}] ({r['session']}) user: {r['user']}")
    verdict = "FIRED" if t.get("recall") else "quiet"
    out(f"     gate: {verdict} score={t.get('score', 0):.2f} ({t.get('reason', '')})")
    for m in r["recalled"]:
        out(f"     recalled: {m['memory']!r} (score {m['score']:.2f})")
    out(f"     latency: gate {lat.get('gate', 0):.1f} ms, search {lat.get('search', 0):.1f} ms, "
        f"store {lat.get('store', 0):.1f} ms, whole turn {turn_ms:.0f} ms; stored: {t.get('store_reason', '')}")
    out(f"     reply: {r['reply']}\n")
