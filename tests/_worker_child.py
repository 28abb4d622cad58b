"""One worker process of the multi-worker test: conversations for shared users on one shared store.

Run by `tests/test_workers.py` through multiprocessing (spawn), as a deployment runs
several worker processes: each loads its own model, its own pool or client, and its
own background writer, and shares only the store.
"""

from __future__ import annotations

import os
from typing import Any


MOVER = "mover-9"
"""A user every worker tells, at the same moment, that they moved: to a different city each."""
CITIES = ("Berlin", "Lisbon", "Osaka", "Quito", "Tallinn", "Hanoi", "Perth", "Oslo")


def word(worker: int, user: str, turn: int) -> str:
    """The unique code word worker ``worker`` tells ``user``'s memory on turn ``turn``."""
    return f"zq{worker}{user[-1]}{turn}x"


def run(worker: int, stores: list[tuple[str, str]], users: list[str], turns: int, data_dir: str,
        barrier: Any, results: Any) -> None:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("MEM0_TELEMETRY", "False")
    os.environ.pop("OPENAI_API_KEY", None)
    from mem0_langgraph import AlwaysRecall, EchoChatModel, create_memory, flush_all, with_memory
    from mem0_langgraph.backends.factory import as_backend

    out: dict[str, Any] = {"worker": worker}
    try:
        for kind, url in stores:
            memory = create_memory(data_dir=os.path.join(data_dir, f"w{worker}-{kind}"), collection="workers",
                                   **{f"{kind}_url": url})
            graph = with_memory(EchoChatModel(), memory=memory, gate=AlwaysRecall()).compile()
            barrier.wait(120)  # every worker writes at once, for the same users
            for turn in range(turns):
                for user in users:
                    config = {"configurable": {"user_id": user, "thread_id": f"w{worker}-{user}"}}
                    graph.invoke({"messages": [("user", f"My code word is {word(worker, user, turn)}")]}, config)
            graph.invoke({"messages": [("user", f"I just moved to {CITIES[worker]}.")]},
                         {"configurable": {"user_id": MOVER, "thread_id": f"w{worker}-move"}})
            out[f"{kind}_flushed"] = flush_all(timeout=120)  # acknowledged: every write landed
            barrier.wait(240)
            backend = as_backend(memory)
            out[f"{kind}_recalled"] = {
                user: sorted(h.text for h in backend.search("what is my code word", filters={"user_id": user},
                                                            limit=100))
                for user in users}
    except BaseException as exc:  # reported to the parent, which fails the test with it
        out["error"] = f"{type(exc).__name__}: {exc}"
        barrier.abort()
    results.put(out)
