"""Core speed benchmark: import, gate, recall node (1,000 memories) and store node.

Prints medians and p95 (ms) with a baseline measured in the same run, and
optionally writes JSON. Run from the repository root:

    python benchmarks/bench_core.py [--memories 1000] [--out bench.json]

Targets (issue "Core"): import < 1.5 s without torch/mem0/chromadb; RuleGate p50 < 1 ms;
RecallNode p50 < 60 ms firing and < 2 ms quiet with 1,000 memories; StoreNode adds < 2 ms p50.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("MEM0_TELEMETRY", "False")

FIRING = [
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
]
QUIET = [
    "thanks!", "ok", "Hello there!", "Write a Python function that reverses a list.",
    "Explain how HTTP caching works.", "What is the capital of France?", "cool, got it",
    "Translate 'good morning' into Spanish.", "How do I set up a virtual environment?", "bye",
]
TOPICS = ["cooking", "travel", "music", "work", "family", "sport", "books", "health", "pets", "movies"]


def pct(samples: list[float], q: float) -> float:
    s = sorted(samples)
    return s[min(len(s) - 1, int(round(q * (len(s) - 1))))]


def summary(samples_ms: list[float]) -> dict[str, float]:
    return {"p50_ms": round(statistics.median(samples_ms), 3), "p95_ms": round(pct(samples_ms, 0.95), 3),
            "n": len(samples_ms)}


def timed(fn: Callable[[], object], repeat: int) -> list[float]:
    out = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        out.append((time.perf_counter() - t) * 1000)
    return out


def bench_import(runs: int) -> dict:
    code = ("import time, sys; t = time.perf_counter(); import mem0_langgraph; "
            "print(time.perf_counter() - t, ','.join(m for m in ('torch', 'mem0', 'chromadb') if m in sys.modules))")
    times, heavy = [], set()
    for _ in range(runs):
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
        times.append(float(out[0]) * 1000)
        heavy.update(out[1].split(",") if len(out) > 1 else [])
    return {**summary(times), "heavy_modules_imported": sorted(heavy)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--memories", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=5, help="passes over the query lists")
    parser.add_argument("--out")
    args = parser.parse_args()
    results: dict[str, object] = {"import": bench_import(7)}

    from langchain_core.messages import AIMessage, HumanMessage

    from mem0_langgraph import AlwaysRecall, RecallNode, RuleGate, StoreNode, create_memory
    from mem0_langgraph.backend import Mem0Backend

    gate = RuleGate()
    texts = FIRING + QUIET
    gate_ms = [t for _ in range(200) for t in timed(lambda: [gate.decide(x, []) for x in texts], 1)]
    results["rule_gate_decide"] = summary([t / len(texts) for t in gate_ms])

    directory = tempfile.mkdtemp(prefix="mem0-bench-")
    t0 = time.perf_counter()
    backend = Mem0Backend(create_memory(data_dir=directory, collection="bench"))
    results["cold_start_create_memory_s"] = round(time.perf_counter() - t0, 2)
    user = f"bench-{uuid.uuid4().hex[:6]}"
    t0 = time.perf_counter()
    for i in range(args.memories):  # the product's own write path, not a bulk insert
        backend.add([{"role": "user", "content": f"Note {i} about my {TOPICS[i % len(TOPICS)]}: item {i * 7 % 97}"}],
                    ids={"user_id": user, "run_id": f"s{i // 50}"})
    results["seed_memories"] = {"count": args.memories, "seconds": round(time.perf_counter() - t0, 1)}
    config = {"configurable": {"user_id": user, "thread_id": "bench"}}

    def node_ms(node: RecallNode, queries: list[str], suffix: bool) -> list[float]:
        out = []
        for r in range(args.repeat):
            for q in queries:
                # A fresh suffix per pass keeps the embedding cache from hiding the model's cost.
                text = f"{q} (pass {r})" if suffix else q
                out += timed(lambda: node.invoke({"messages": [HumanMessage(text)]}, config), 1)
        return out

    recall = RecallNode(memory=backend, gate=gate)
    node_ms(recall, FIRING[:2], True)  # warm-up
    results["recall_node_firing"] = summary(node_ms(recall, FIRING, True))
    results["recall_node_quiet"] = summary(node_ms(recall, QUIET, False))
    every_turn = RecallNode(memory=backend, gate=AlwaysRecall())
    results["baseline_search_every_turn_on_quiet"] = summary(node_ms(every_turn, QUIET, True))

    store = StoreNode(memory=backend)  # background writer
    store_sync = StoreNode(memory=backend, sync=True)

    def store_ms(node: StoreNode) -> list[float]:
        out = []
        for i in range(40):
            state = {"messages": [HumanMessage(f"Fact {i}: I like {TOPICS[i % 10]} a lot"), AIMessage("Noted.")]}
            out += timed(lambda: node.invoke(state, config), 1)
            node.flush()  # outside the timing: the next turn starts with an empty queue
        return out

    results["store_node_background"] = summary(store_ms(store))
    results["baseline_store_inline"] = summary(store_ms(store_sync))
    q = results["recall_node_quiet"]["p50_ms"]  # type: ignore[index]
    b = results["baseline_search_every_turn_on_quiet"]["p50_ms"]  # type: ignore[index]
    s = results["store_node_background"]["p50_ms"]  # type: ignore[index]
    si = results["baseline_store_inline"]["p50_ms"]  # type: ignore[index]
    results["ratios"] = {"quiet_turn_vs_search_every_turn": round(b / q, 1), "inline_store_vs_background": round(si / s, 1)}

    print(f"{'measure':44} {'p50 ms':>9} {'p95 ms':>9}")
    for k, v in results.items():
        if isinstance(v, dict) and "p50_ms" in v:
            print(f"{k:44} {v['p50_ms']:9.3f} {v['p95_ms']:9.3f}")
    print(json.dumps({k: v for k, v in results.items() if not (isinstance(v, dict) and "p50_ms" in v)}, indent=1))
    if args.out:
        with open(args.out, "w") as f:
            json.dump(results, f, indent=1)


if __name__ == "__main__":
    main()
