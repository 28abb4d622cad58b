"""The ``eval scale`` benchmark: recall cost against a user's history, and throughput across workers.

Two measurements, on each store (``embedded``: Chroma on disk; ``chroma``: a Chroma
server; ``postgres``: PostgreSQL + pgvector). Servers are started locally
(``chroma run`` on 127.0.0.1, PostgreSQL on a unix socket) unless ``--chroma-url`` /
``--postgres-url`` point at running ones.

**Recall cost** (``--sizes``, ``--others``): one user holds N memories and each of
``others`` users holds N more; a firing recall (`RecallNode`, gate `AlwaysRecall`,
the default recall options: ``search_k=100``, so mem0 asks the store for 400 rows)
runs 20 memory-seeking questions, three passes after a warm-up, so the query
embeddings are cached and what is timed is the store, mem0 and the reranker. The
memories are 200 real sentences' MiniLM embeddings copied with Gaussian noise
(σ 0.03 per dimension, re-normalised), written straight into the vector store:
embedding 100,000 texts would take an hour on a small machine. ``--layout shared``
runs the same on mem0's plain single-collection store (a ``user_id`` filter), for
comparison with the per-user layout.

**Throughput** (``--concurrency``, ``--processes``): C conversations at once, as
threads spread over P worker processes, each turn through `with_memory` around the
offline echo model with the default gate and background writer; turn overhead is
the graph's wall time per turn (the echo model costs ~0), writes per second is the
acknowledged exchanges (flushed) divided by the wall time until the last flush.
The embedded store serves one process, so it runs only with P = 1.
"""

from __future__ import annotations

import contextlib
import hashlib
import multiprocessing
import queue
import statistics
import tempfile
import time
import uuid
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from mem0_langgraph.eval._metrics import percentile
from mem0_langgraph.eval._report import report

STORES = ("embedded", "chroma", "postgres")
QUESTIONS = (
    "What did I tell you about my diet?", "Where do I live now?", "What's my sister's name?",
    "Which car do I drive?", "What was the name of my first pet?", "When is my flight?",
    "What do I do for work?", "Which languages do I speak?", "What are my hobbies?",
    "Do I have any allergies?", "Where did I go on holiday last year?", "What is my favourite film?",
    "How old are my kids?", "What did I say about my back pain?", "Which gym do I go to?",
    "What is my budget for the new laptop?", "Who is my manager?", "What music do I like?",
    "What did I plan for the weekend?", "Which team do I support?",
)
_SENTENCE_STEMS = ("I live in {}", "My favourite food is {}", "I work as a {}", "My sister is called {}",
                   "I drive a {}", "I'm allergic to {}", "I play {} on weekends", "My flight to {} is on Friday",
                   "I speak {}", "My manager is {}")
_WORDS = ("Lisbon", "sushi", "nurse", "Ana", "Volvo", "peanuts", "tennis", "Oslo", "Spanish", "Maria",
          "Berlin", "tacos", "teacher", "Ben", "bicycle", "pollen", "chess", "Rome", "French", "Tom",
          "Kyoto", "curry", "pilot", "Eva")
_NOISE = 0.03
_BATCH = 2000


@contextlib.contextmanager
def servers(kinds: Sequence[str], *, chroma_url: str | None = None, postgres_url: str | None = None
            ) -> Iterator[dict[str, str | None]]:
    """URL per store kind, starting local servers for those not given."""
    from mem0_langgraph.backends._servers import LocalChroma, LocalPostgres

    with contextlib.ExitStack() as stack:
        urls: dict[str, str | None] = {"embedded": None}
        if "chroma" in kinds:
            urls["chroma"] = chroma_url or stack.enter_context(LocalChroma()).url
        if "postgres" in kinds:
            urls["postgres"] = postgres_url or stack.enter_context(LocalPostgres()).url
        yield urls


def open_memory(kind: str, url: str | None, data_dir: str | Path, collection: str) -> Any:
    """`create_memory` on one store kind."""
    from mem0_langgraph.backends.factory import create_memory

    extra = {f"{kind}_url": url} if kind != "embedded" else {}
    return create_memory(data_dir=data_dir, collection=collection, **extra)


# -- recall cost ------------------------------------------------------------------


def _synthetic(count: int, seed: int) -> tuple[list[str], Any]:
    """``count`` texts and unit vectors: real sentence embeddings plus Gaussian noise."""
    import numpy as np

    from mem0_langgraph.backends._embedding import shared_embeddings

    rng = np.random.default_rng(seed)
    stems = [s.format(w) for s in _SENTENCE_STEMS for w in _WORDS][:200]
    base = shared_embeddings().encode(stems)
    pick = rng.integers(0, len(stems), size=count)
    vectors = base[pick] + rng.normal(0, _NOISE, size=(count, base.shape[1])).astype("float32")
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    return [f"{stems[p]} (note {i})" for i, p in enumerate(pick)], vectors


def _fill(store: Any, user: str, count: int, seed: int) -> None:
    texts, vectors = _synthetic(count, seed)
    now = datetime.now(timezone.utc).isoformat()
    for start in range(0, count, _BATCH):
        chunk = range(start, min(count, start + _BATCH))
        store.insert(vectors=[vectors[i].tolist() for i in chunk], ids=[str(uuid.uuid4()) for _ in chunk],
                     payloads=[{"data": texts[i], "hash": hashlib.md5(texts[i].encode()).hexdigest(),
                                "user_id": user, "role": "user", "created_at": now, "updated_at": now}
                               for i in chunk])


def _plain_store(memory: Any, kind: str, collection: str) -> Any:
    """mem0's own single-collection store on the same engine (the layout before per-user collections)."""
    routed = memory.vector_store
    if kind == "postgres":
        from mem0_langgraph.backends.postgres import _pgvector_class

        return _pgvector_class()(dbname=None, collection_name=collection, embedding_model_dims=384, user=None,
                                 password=None, host=None, port=None, diskann=False, hnsw=True,
                                 connection_pool=routed.directory.connection_pool)
    from mem0.vector_stores.chroma import ChromaDB

    return ChromaDB(collection_name=collection, client=routed.directory.client)


def recall_curve(kind: str, url: str | None, *, sizes: Sequence[int], others: int, layout: str,
                 passes: int = 3) -> list[dict[str, Any]]:
    """Firing-recall and search latency for one user as its history grows through ``sizes``."""
    from langchain_core.messages import HumanMessage

    from mem0_langgraph import AlwaysRecall, RecallNode
    from mem0_langgraph.backends.factory import as_backend

    collection = f"sc{uuid.uuid4().hex[:8]}"
    memory = open_memory(kind, url, tempfile.mkdtemp(prefix="mem0lg-scale-"), collection)
    if layout == "shared":
        memory.vector_store = _plain_store(memory, kind, f"{collection}_flat")
    backend = as_backend(memory)
    node = RecallNode(memory=backend, gate=AlwaysRecall())
    users = ["target"] + [f"other{i}" for i in range(others)]
    rows, have = [], 0
    for size in sizes:
        for n, user in enumerate(users):
            _fill(memory.vector_store, user, size - have, seed=size * 100 + n)
        have = size
        config = {"configurable": {"user_id": "target", "thread_id": "scale"}}
        search_ms: list[float] = []
        recall_ms: list[float] = []
        for p in range(passes + 1):
            for q in QUESTIONS:
                t0 = time.perf_counter()
                backend.search(q, filters={"user_id": "target"}, limit=100)
                t1 = time.perf_counter()
                node.invoke({"messages": [HumanMessage(q)]}, config)
                t2 = time.perf_counter()
                if p:  # the first pass warms the embedding cache
                    search_ms.append((t1 - t0) * 1000)
                    recall_ms.append((t2 - t1) * 1000)
        rows.append({"store": kind, "layout": layout, "memories_per_user": size, "users": len(users),
                     "total_memories": size * len(users),
                     "search_p50_ms": round(statistics.median(search_ms), 1),
                     "search_p95_ms": round(percentile(search_ms, 95), 1),
                     "recall_p50_ms": round(statistics.median(recall_ms), 1),
                     "recall_p95_ms": round(percentile(recall_ms, 95), 1)})
    return rows


# -- throughput -------------------------------------------------------------------


def _worker(kind: str, url: str | None, data_dir: str, conversations: int, turns: int, worker: int,
            start: Any, results: Any) -> None:
    from mem0_langgraph import EchoChatModel, flush_all, with_memory

    memory = open_memory(kind, url, data_dir, "throughput")
    graph = with_memory(EchoChatModel(), memory=memory, store_roles=("user",)).compile()
    lines = [f"{stem.format(w)}." for stem in _SENTENCE_STEMS for w in _WORDS]

    def conversation(c: int) -> list[float]:
        config = {"configurable": {"user_id": f"w{worker}c{c}", "thread_id": f"w{worker}c{c}"}}
        times = []
        for t in range(turns):
            text = lines[(c * 7 + t) % len(lines)] if t % 2 == 0 else QUESTIONS[(c + t) % len(QUESTIONS)]
            t0 = time.perf_counter()
            graph.invoke({"messages": [("user", f"{text} ({worker}-{c}-{t})")]}, config)
            times.append((time.perf_counter() - t0) * 1000)
        return times

    graph.invoke({"messages": [("user", "warm up")]}, {"configurable": {"user_id": "warm", "thread_id": "w"}})
    flush_all(timeout=60)
    start.wait()
    t0 = time.perf_counter()
    with ThreadPoolExecutor(conversations) as pool:
        times = [ms for part in pool.map(conversation, range(conversations)) for ms in part]
    flushed = flush_all(timeout=300)
    results.put({"times": times, "writes": (turns + 1) // 2 * conversations, "seconds": time.perf_counter() - t0,
                 "flushed": flushed})


def throughput(kind: str, url: str | None, *, concurrency: int, processes: int, turns: int) -> dict[str, Any]:
    """Turn overhead and acknowledged writes per second for ``concurrency`` conversations over ``processes``."""
    ctx = multiprocessing.get_context("spawn")
    start, results = ctx.Barrier(processes), ctx.Queue()
    data_dir = tempfile.mkdtemp(prefix="mem0lg-tp-")
    per = [concurrency // processes + (1 if i < concurrency % processes else 0) for i in range(processes)]
    procs = [ctx.Process(target=_worker, args=(kind, url, str(Path(data_dir) / f"w{i}") if kind != "embedded"
                                               else data_dir, n, turns, i, start, results))
             for i, n in enumerate(per) if n]
    for p in procs:
        p.start()
    outs = []
    while len(outs) < len(procs):
        try:
            outs.append(results.get(timeout=5))
        except queue.Empty:
            if dead := [p.exitcode for p in procs if p.exitcode not in (None, 0)]:
                raise RuntimeError(f"a worker process died (exit codes {dead}); see its output above") from None
    for p in procs:
        p.join(60)
    times = [t for o in outs for t in o["times"]]
    return {"store": kind, "concurrency": concurrency, "processes": processes,
            "turn_p50_ms": round(statistics.median(times), 1), "turn_p95_ms": round(percentile(times, 95), 1),
            "writes_per_s": round(sum(o["writes"] for o in outs) / max(o["seconds"] for o in outs), 1),
            "all_flushed": all(o["flushed"] for o in outs)}


# -- the command ------------------------------------------------------------------


def run_scale_eval(*, stores: Sequence[str], sizes: Sequence[int], others: Sequence[int], layouts: Sequence[str],
                   concurrency: Sequence[int], processes: Sequence[int], turns: int,
                   chroma_url: str | None = None, postgres_url: str | None = None) -> dict[str, Any]:
    """Run both parts on every store; returns ``{"recall": [...], "throughput": [...]}``."""
    result: dict[str, Any] = {"recall": [], "throughput": []}
    with servers(stores, chroma_url=chroma_url, postgres_url=postgres_url) as urls:
        for kind in stores:
            for layout in layouts:
                for n in others:
                    if sizes:
                        result["recall"] += recall_curve(kind, urls[kind], sizes=sizes, others=n, layout=layout)
            for p in processes:
                for c in concurrency:
                    if (kind == "embedded" and p > 1) or c < p:
                        continue
                    result["throughput"].append(throughput(kind, urls[kind], concurrency=c, processes=p, turns=turns))
    return result


def to_markdown(result: dict[str, Any]) -> str:
    """Two tables: the recall-cost curve, then throughput."""
    lines = []
    if result["recall"]:
        lines += ["| store | layout | users | memories per user | search p50 / p95 ms | firing recall p50 / p95 ms |",
                  "|---|---|---|---|---|---|"]
        lines += [f"| {r['store']} | {r['layout']} | {r['users']} | {r['memories_per_user']:,} | "
                  f"{r['search_p50_ms']} / {r['search_p95_ms']} | {r['recall_p50_ms']} / {r['recall_p95_ms']} |"
                  for r in result["recall"]]
    if result["throughput"]:
        lines += ["", "| store | processes | conversations | turn p50 ms | turn p95 ms | writes/s |",
                  "|---|---|---|---|---|---|"]
        lines += [f"| {r['store']} | {r['processes']} | {r['concurrency']} | {r['turn_p50_ms']} | "
                  f"{r['turn_p95_ms']} | {r['writes_per_s']}{'' if r['all_flushed'] else ' (not all flushed)'} |"
                  for r in result["throughput"]]
    return "\n".join(lines)


def register(commands: Any) -> None:
    """Add ``scale`` to the ``eval`` command's sub-commands.

    Args:
        commands: What the ``eval`` parser's ``add_subparsers()`` returned.
    """
    parser = commands.add_parser("scale", help="recall cost against history size; throughput across workers",
                                 description=__doc__)
    parser.add_argument("--stores", nargs="+", choices=STORES, default=list(STORES))
    parser.add_argument("--sizes", nargs="*", type=int, default=[1000, 5000, 20000],
                        help="memories per user, cumulative (default 1000 5000 20000; none: skip the curve)")
    parser.add_argument("--others", nargs="+", type=int, default=[1, 4],
                        help="other users, each with as many memories (default 1 4)")
    parser.add_argument("--layout", nargs="+", choices=("per-user", "shared"), default=["per-user"],
                        help="per-user collections (the product) and/or mem0's single filtered collection")
    parser.add_argument("--concurrency", nargs="*", type=int, default=[1, 4, 16],
                        help="concurrent conversations (default 1 4 16; none: skip throughput)")
    parser.add_argument("--processes", nargs="+", type=int, default=[1, 4], help="worker processes (default 1 4)")
    parser.add_argument("--turns", type=int, default=10, help="turns per conversation (default 10)")
    parser.add_argument("--chroma-url", help="a running Chroma server (default: start one)")
    parser.add_argument("--postgres-url", help="a running PostgreSQL with pgvector (default: start one)")
    parser.add_argument("--out", help="also write the result as JSON here")
    parser.set_defaults(func=_run_command)


def _run_command(args: Any) -> int:
    result = run_scale_eval(stores=args.stores, sizes=args.sizes, others=args.others, layouts=args.layout,
                            concurrency=args.concurrency, processes=args.processes, turns=args.turns,
                            chroma_url=args.chroma_url, postgres_url=args.postgres_url)
    return report(to_markdown(result), result, args.out)
