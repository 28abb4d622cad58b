"""Load benchmark: concurrent conversations through `with_memory` graphs, on threads and on asyncio.

Each variant (a thread per conversation; one event loop for all) runs the same
turns twice in the same process: through the graph without memory (the
baseline) and through ``with_memory(EchoChatModel(), memory=..., store_roles=("user",))``
on the embedded default. Reported per variant: turn latency p50 / p95 and the
memory overhead (the difference), the event loop's lag p95 (asyncio: how late a
10 ms ticker wakes), writes per second (first turn to drained writer), the
writers' largest queue, and lost / duplicated writes: every turn whose store
step said "queued" is read back from the store. Lost writes must be 0.
Run: ``mem0-langgraph eval load [--conversations 50] [--turns 20] [--out f.json]``.
"""

from __future__ import annotations

import asyncio
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from typing_extensions import Self

from mem0_langgraph.eval._metrics import percentile

STATEMENTS = (
    "I love hiking in the {n} hills near my home.",
    "My sister Ana moved to a flat on street {n} last month.",
    "I'm allergic to peanuts, since I was {n}.",
    "I work as a nurse on ward {n} at the city hospital.",
    "I'm planning a trip to Japan for {n} days next spring.",
    "My favourite band has played {n} concerts in my town.",
    "I started learning the cello, lesson {n} is on Friday.",
    "My dog Rex weighs {n} kilos and loves the beach.",
)
"""Statements about the user: the write gate keeps them (``{n}`` makes each one unique)."""
QUESTIONS = (
    "What should I cook for dinner tonight?",
    "Any ideas for my weekend?",
    "Where does my sister live again?",
)
"""Every fifth turn asks something instead: the recall gate fires, nothing is stored."""
_TICK_S = 0.01


def turn_text(conversation: int, turn: int) -> str:
    """The user's message of ``turn`` in ``conversation`` (unique per conversation and turn)."""
    if turn % 5 == 4:
        return QUESTIONS[(conversation + turn) % len(QUESTIONS)]
    return STATEMENTS[(conversation + turn) % len(STATEMENTS)].format(n=conversation * 1000 + turn)


def summary(samples_ms: list[float]) -> dict[str, float]:
    """p50 / p95 in milliseconds and the sample count."""
    return {"p50_ms": round(percentile(samples_ms, 50) or 0.0, 3),
            "p95_ms": round(percentile(samples_ms, 95) or 0.0, 3), "n": len(samples_ms)}


class _Turns:
    """What one run of all conversations measured: latencies, loop lags and the turns queued for storing."""

    def __init__(self) -> None:
        self.latencies_ms: list[float] = []
        self.lags_ms: list[float] = []
        self.steps_ms: dict[str, list[float]] = {}
        """The memory steps' own timings from the turn's trace: ``gate``, ``search``, ``store``."""
        self.queued: dict[str, Counter[str]] = {}
        self._lock = threading.Lock()

    def record(self, user: str, text: str, started: float, result: dict[str, Any]) -> None:
        trace = result.get("memory_trace") or {}
        with self._lock:
            self.latencies_ms.append((time.perf_counter() - started) * 1000)
            for step, ms in (trace.get("latency_ms") or {}).items():
                self.steps_ms.setdefault(step, []).append(ms)
            if trace.get("stored"):  # a question may be asked twice: count each queued write
                self.queued.setdefault(user, Counter())[text] += 1


def _config(user: str) -> dict[str, Any]:
    return {"configurable": {"user_id": user, "thread_id": f"{user}-chat"}}


def run_threads(graph: Any, users: list[str], turns: int) -> _Turns:
    """Every conversation on a thread of its own, its turns one after another (``graph.invoke``)."""
    out = _Turns()

    def conversation(c: int) -> None:
        for t in range(turns):
            text, started = turn_text(c, t), time.perf_counter()
            out.record(users[c], text, started, graph.invoke({"messages": [("user", text)]}, _config(users[c])))

    with ThreadPoolExecutor(max_workers=len(users)) as pool:
        list(pool.map(conversation, range(len(users))))
    return out


async def run_asyncio(graph: Any, users: list[str], turns: int) -> _Turns:
    """Every conversation as a task on one event loop (``graph.ainvoke``), with a ticker measuring loop lag."""
    out, loop, done = _Turns(), asyncio.get_running_loop(), asyncio.Event()

    async def ticker() -> None:
        while not done.is_set():
            start = loop.time()
            await asyncio.sleep(_TICK_S)
            out.lags_ms.append(max(0.0, loop.time() - start - _TICK_S) * 1000)

    async def conversation(c: int) -> None:
        for t in range(turns):
            text, started = turn_text(c, t), time.perf_counter()
            result = await graph.ainvoke({"messages": [("user", text)]}, _config(users[c]))
            out.record(users[c], text, started, result)

    tick = asyncio.create_task(ticker())
    await asyncio.gather(*(conversation(c) for c in range(len(users))))
    done.set()
    await tick
    return out


class _QueueWatch:
    """Samples the pending writes of every live writer on a thread; keeps the maximum."""

    def __init__(self, every_s: float = 0.005) -> None:
        from mem0_langgraph.core import _shutdown

        self._writers = _shutdown.live
        self.max_depth = 0
        self._every_s = every_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="load-queue-watch", daemon=True)

    def written(self) -> int:
        return sum(w.written for w in self._writers())

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stop.wait(self._every_s):
            self.max_depth = max(self.max_depth, sum(w.lanes.count for w in self._writers()))


def _graphs(backend: Any) -> tuple[Any, Any]:
    """The graph without memory and the same graph with memory, each with its own checkpointer."""
    from langchain_core.runnables import RunnableLambda
    from langgraph.checkpoint.memory import InMemorySaver
    from langgraph.graph import END, START, MessagesState, StateGraph

    from mem0_langgraph import EchoChatModel, with_memory

    model = EchoChatModel()

    async def areply(state: dict) -> dict:
        return {"messages": [await model.ainvoke(state["messages"])]}

    builder = StateGraph(MessagesState)
    builder.add_node("agent", RunnableLambda(lambda state: {"messages": [model.invoke(state["messages"])]},
                                             afunc=areply))
    builder.add_edge(START, "agent")
    builder.add_edge("agent", END)
    plain = builder.compile(checkpointer=InMemorySaver())
    memory = with_memory(model, memory=backend, store_roles=("user",)).compile(checkpointer=InMemorySaver())
    return plain, memory


def _variant(name: str, run: Callable[[Any, list[str], int], _Turns], backend: Any, *, conversations: int,
             turns: int, drain_timeout_s: float) -> dict[str, Any]:
    """Baseline, then memory, with the same turns; then drain the writer and read every queued write back."""
    from mem0_langgraph import flush_all

    plain, memory = _graphs(backend)
    tag = uuid.uuid4().hex[:6]
    baseline = run(plain, [f"load-{name}-{tag}-base-{c}" for c in range(conversations)], turns)
    run(memory, [f"load-{name}-{tag}-warm"], 2)  # gate weights, first collection: not part of the timings
    flush_all(drain_timeout_s)
    users = [f"load-{name}-{tag}-{c}" for c in range(conversations)]
    with _QueueWatch() as watch:
        written0, t0 = watch.written(), time.perf_counter()
        measured = run(memory, users, turns)
        turns_s = time.perf_counter() - t0
        drained = flush_all(drain_timeout_s)
        drain_s = time.perf_counter() - t0
        written = watch.written() - written0
    stored = {u: Counter(h.text for h in backend.get_all(filters={"user_id": u}, limit=10 * turns + 100))
              for u in users}
    queued = [(u, text, n) for u, texts in measured.queued.items() for text, n in texts.items()]
    result = {
        "baseline": summary(baseline.latencies_ms),
        "memory": summary(measured.latencies_ms),
        "memory_steps": {step: summary(ms) for step, ms in sorted(measured.steps_ms.items())},
        "queued_writes": sum(n for *_, n in queued),
        "turns_seconds": round(turns_s, 2),
        "drain_seconds": round(drain_s, 2),
        "drained": drained,
        "writes_per_s": round(written / drain_s, 2) if drain_s else None,
        "max_queue_depth": watch.max_depth,
        "lost_writes": sum(max(0, n - stored[u][text]) for u, text, n in queued),
        "duplicated_writes": sum(max(0, stored[u][text] - n) for u, text, n in queued),
    }
    for q in ("p50_ms", "p95_ms"):
        result[f"overhead_{q}"] = round(result["memory"][q] - result["baseline"][q], 3)
    if measured.lags_ms or baseline.lags_ms:
        result["loop_lag_p95_ms"] = {"baseline": summary(baseline.lags_ms)["p95_ms"],
                                     "memory": summary(measured.lags_ms)["p95_ms"]}
    return result


def run_load_eval(*, conversations: int = 50, turns: int = 20, variants: tuple[str, ...] = ("threads", "asyncio"),
                  backend: Any = None, data_dir: str | None = None, drain_timeout_s: float = 900.0) -> dict[str, Any]:
    """Run the benchmark; returns ``{variant: measures, "config": ...}``.

    Args:
        conversations: Concurrent conversations (one user each). Default 50.
        turns: Turns per conversation. Default 20.
        variants: ``"threads"`` and / or ``"asyncio"``.
        backend: The memory to load; default the embedded default in ``data_dir`` (a new temporary folder).
        data_dir: Where the embedded default lives when ``backend`` is None.
        drain_timeout_s: How long to wait for the writes to land before reading them back.
    """
    from mem0_langgraph import Mem0Backend, create_memory

    if conversations < 1 or turns < 1:
        raise ValueError("conversations and turns must be >= 1")
    t0 = time.perf_counter()
    if backend is None:
        backend = Mem0Backend(create_memory(data_dir=data_dir or tempfile.mkdtemp(prefix="mem0-load-"),
                                            collection="load"))
    results: dict[str, Any] = {"config": {"conversations": conversations, "turns": turns,
                                          "cold_start_s": round(time.perf_counter() - t0, 2)}}
    runners: dict[str, Callable[[Any, list[str], int], _Turns]] = {
        "threads": run_threads,
        "asyncio": lambda graph, users, n: asyncio.run(run_asyncio(graph, users, n)),
    }
    for name in variants:
        results[name] = _variant(name, runners[name], backend, conversations=conversations, turns=turns,
                                 drain_timeout_s=drain_timeout_s)
    return results


def to_markdown(result: dict[str, Any]) -> str:
    """One row per variant: latency with and without memory, overhead, loop lag, writes, losses."""
    cfg = result["config"]
    rows = [(f"{cfg['conversations']} conversations x {cfg['turns']} turns, `with_memory(EchoChatModel(), "
             "store_roles=(\"user\",))` on the embedded default; baseline = the same graph without memory."), "",
            ("| variant | turn p50 ms (base) | turn p95 ms (base) | overhead p50 / p95 ms | store step p50 / p95 ms "
             "| loop lag p95 ms (base) | writes/s | max queue | queued | lost | duplicated |"),
            "|---|---|---|---|---|---|---|---|---|---|---|"]
    for name, v in result.items():
        if name == "config":
            continue
        m, b = v["memory"], v["baseline"]
        lag = v.get("loop_lag_p95_ms")
        lag_text = f"{lag['memory']:.1f} ({lag['baseline']:.1f})" if lag else "-"
        store = v["memory_steps"].get("store", {"p50_ms": 0.0, "p95_ms": 0.0})
        rows.append(f"| {name} | {m['p50_ms']:.1f} ({b['p50_ms']:.1f}) | {m['p95_ms']:.1f} ({b['p95_ms']:.1f}) | "
                    f"{v['overhead_p50_ms']:.1f} / {v['overhead_p95_ms']:.1f} | "
                    f"{store['p50_ms']:.2f} / {store['p95_ms']:.2f} | {lag_text} | {v['writes_per_s']} | "
                    f"{v['max_queue_depth']} | {v['queued_writes']} | {v['lost_writes']} | {v['duplicated_writes']} |")
    rows.append("")
    for name, v in result.items():
        if name != "config":
            steps = ", ".join(f"{step} {t['p50_ms']:.1f} / {t['p95_ms']:.1f}" for step, t in v["memory_steps"].items())
            rows.append(f"- {name}: memory steps p50 / p95 ms: {steps}; turns took {v['turns_seconds']} s, "
                        f"writes drained after {v['drain_seconds']} s")
    return "\n".join(rows)


def register(commands: Any) -> None:
    """Add ``load`` to the ``eval`` sub-commands (what ``add_subparsers()`` returned)."""
    parser = commands.add_parser("load", help="concurrent conversations: overhead, loop lag, writes, lost writes",
                                 description=__doc__)
    parser.add_argument("--conversations", type=int, default=50, help="concurrent conversations (default 50)")
    parser.add_argument("--turns", type=int, default=20, help="turns per conversation (default 20)")
    parser.add_argument("--variants", nargs="+", choices=("threads", "asyncio"), default=["threads", "asyncio"],
                        help="which concurrency models to run (default both)")
    parser.add_argument("--data-dir", default=None, help="data directory of the memory (default: a new temp folder)")
    parser.add_argument("--drain-timeout", type=float, default=900.0,
                        help="seconds to wait for the writes to land before reading back (default 900)")
    parser.add_argument("--out", help="also write the result as JSON here")
    parser.set_defaults(func=_run_command)


def _run_command(args: Any) -> int:
    from mem0_langgraph.eval._report import report

    result = run_load_eval(conversations=args.conversations, turns=args.turns, variants=tuple(args.variants),
                           data_dir=args.data_dir, drain_timeout_s=args.drain_timeout)
    return report(to_markdown(result), result, args.out)
