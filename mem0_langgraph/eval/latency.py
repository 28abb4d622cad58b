"""Latency benchmark: import, gates, recall node (1,000 memories), store node, cold start.

Medians and p95 in milliseconds, with the baselines measured in the same run
(search on every turn; store inline). The store is seeded through the product's
own write path. Run: ``mem0-langgraph eval latency [--memories 1000] [--out f.json]``.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from typing import Any

from mem0_langgraph.eval._metrics import percentile
from mem0_langgraph.eval._report import report

FIRING = (
    "Can you suggest something I could cook for dinner tonight?",
    "What's my sister's name again?",
    "Do you remember what I told you about my job?",
    "What did we decide last time about the trip?",
    "Any gift ideas for my partner's birthday?",
    "Where do I live again?",
    "Remind me which books I said I liked.",
    "What should I watch this weekend?",
    "As I mentioned earlier, I'm training for a race. Any tips?",
    "Do you know my favourite cuisine?",
)
"""Turns where older context matters (handwritten for timing only, never for training)."""
QUIET = (
    "Write a Python function that reverses a list.", "Explain how HTTP caching works.",
    "What is the capital of France?", "Translate 'good morning' into Spanish.",
    "How do I set up a virtual environment?", "Summarise the plot of Hamlet in three lines.",
    "What is the time complexity of binary search?", "Convert 30 degrees Celsius to Fahrenheit.",
    "Write a haiku about autumn.", "What does HTTP status 429 mean?",
)
"""Self-contained turns (not trivial ones: those short-circuit every gate)."""
_TOPICS = ("cooking", "travel", "music", "work", "family", "sport", "books", "health", "pets", "movies")


def summary(samples_ms: list[float]) -> dict[str, float]:
    return {"p50_ms": round(statistics.median(samples_ms), 3), "p95_ms": round(percentile(samples_ms, 95), 3),
            "n": len(samples_ms)}


def _timed(fn: Callable[[], object]) -> float:
    t = time.perf_counter()
    fn()
    return (time.perf_counter() - t) * 1000


def bench_import(runs: int = 7) -> dict[str, Any]:
    """``import mem0_langgraph`` in fresh interpreters, and which heavy modules it loaded."""
    code = ("import time, sys; t = time.perf_counter(); import mem0_langgraph; "
            "print(time.perf_counter() - t, ','.join(m for m in ('torch', 'mem0', 'chromadb', 'numpy') "
            "if m in sys.modules))")
    times, heavy = [], set()
    for _ in range(runs):
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
        times.append(float(out[0]) * 1000)
        heavy.update(out[1].split(",") if len(out) > 1 else [])
    return {**summary(times), "heavy_modules_imported": sorted(heavy)}


def run_latency_eval(*, memories: int = 1000, passes: int = 5, progress: bool = True) -> dict[str, Any]:
    """Measure everything; returns ``{name: {"p50_ms", "p95_ms", "n"} | facts}``."""
    from langchain_core.messages import AIMessage, HumanMessage
    from tqdm.auto import tqdm

    from mem0_langgraph import (
        AlwaysRecall,
        RecallNode,
        RuleGate,
        StoreNode,
        create_memory,
    )
    from mem0_langgraph.backends.mem0 import Mem0Backend
    from mem0_langgraph.core.entities import indexing
    from mem0_langgraph.gates.learned import LearnedGate

    results: dict[str, Any] = {"import": bench_import()}
    directory = tempfile.mkdtemp(prefix="mem0-bench-")
    t0 = time.perf_counter()
    backend = Mem0Backend(create_memory(data_dir=directory, collection="bench"))
    results["cold_start_create_memory_s"] = round(time.perf_counter() - t0, 2)

    def fresh(texts: tuple[str, ...], tag: str) -> list[str]:
        # A new suffix per pass keeps the embedding cache from hiding the model's cost.
        return [f"{t} ({tag} {p})" for p in range(passes) for t in texts]

    rule, learned = RuleGate(), LearnedGate()
    learned.decide("warm-up", [])
    for name, gate in (("gate_rule", rule), ("gate_learned", learned)):
        results[name] = summary([_timed(lambda t=t: gate.decide(t, [])) for t in fresh(FIRING + QUIET, name)])

    user = f"bench-{uuid.uuid4().hex[:6]}"
    t0 = time.perf_counter()
    # Seeded through the entity index, as the store step writes: recall's index lookup then times real work.
    seed = indexing(backend)
    for i in tqdm(range(memories), desc="seed memories", disable=not progress):
        seed.add([{"role": "user", "content": f"Note {i} about my {_TOPICS[i % 10]}: item {i * 7 % 97}"}],
                    ids={"user_id": user, "run_id": f"s{i // 50}"})
    results["seed_memories"] = {"count": memories, "seconds": round(time.perf_counter() - t0, 1)}
    config = {"configurable": {"user_id": user, "thread_id": "bench"}}

    def node_ms(node: RecallNode, texts: list[str]) -> list[float]:
        return [_timed(lambda t=t: node.invoke({"messages": [HumanMessage(t)]}, config)) for t in texts]

    for name, gate in (("learned", learned), ("rule", rule)):
        node = RecallNode(memory=backend, gate=gate)
        node_ms(node, [f"{FIRING[0]} warm-up"])
        results[f"recall_node_{name}_firing"] = summary(node_ms(node, fresh(FIRING, f"fire-{name}")))
        results[f"recall_node_{name}_quiet"] = summary(node_ms(node, fresh(QUIET, f"quiet-{name}")))
    results["baseline_search_every_turn"] = summary(
        node_ms(RecallNode(memory=backend, gate=AlwaysRecall()), fresh(QUIET, "always")))

    def store_ms(node: StoreNode, tag: str) -> list[float]:
        # New text per node: an exchange already stored is recognised and not written again, which
        # would time a shortcut instead of a write.
        out = []
        for i in range(40):
            state = {"messages": [HumanMessage(f"Fact {i} ({tag}): I like {_TOPICS[i % 10]} a lot"),
                                  AIMessage("Noted.")]}
            out.append(_timed(lambda s=state: node.invoke(s, config)))
            node.flush()  # outside the timing: each turn starts with an empty queue
        return out

    results["store_node_background"] = summary(store_ms(StoreNode(memory=backend), "background"))
    results["baseline_store_inline"] = summary(store_ms(StoreNode(memory=backend, sync_store=True), "inline"))
    return results


def to_markdown(result: dict[str, Any]) -> str:
    """The timings as a markdown table, then the facts."""
    rows = ["| measure | p50 ms | p95 ms | n |", "|---|---|---|---|"]
    facts = []
    for name, v in result.items():
        if isinstance(v, dict) and "p50_ms" in v:
            rows.append(f"| {name} | {v['p50_ms']:.3f} | {v['p95_ms']:.3f} | {v['n']} |")
        else:
            facts.append(f"- {name}: {v}")
    return "\n".join(rows + [""] + facts)


def register(commands: Any) -> None:
    """Add ``latency`` to the ``eval`` command's sub-commands.

    Args:
        commands: What the ``eval`` parser's ``add_subparsers()`` returned.
    """
    parser = commands.add_parser("latency", help="latency of import, gates, recall and store nodes",
                                 description=__doc__)
    parser.add_argument("--memories", type=int, default=1000, help="memories in the store (default 1000)")
    parser.add_argument("--passes", type=int, default=5, help="passes over the turn lists (default 5)")
    parser.add_argument("--out", help="also write the result as JSON here")
    parser.add_argument("--no-progress", action="store_true", help="no progress bars")
    parser.set_defaults(func=_run_command)


def _run_command(args: Any) -> int:
    result = run_latency_eval(memories=args.memories, passes=args.passes, progress=not args.no_progress)
    return report(to_markdown(result), result, args.out)
