"""Child process of tests/test_durability.py: acknowledge writes through a real `StoreNode`, drain slowly.

Usage: ``python tests/_writer_child.py DATA_DIR N STORE``. Builds the embedded default on
DATA_DIR (collection ``durability``; STORE ``plain``: mem0's own Chroma store, which unlike
ours does not skip a write it already holds, so only the writer's replay check prevents a
duplicate), prints ``READY <sigterm handler>``, waits for a line on stdin (so the parent can
load while it does), then stores N exchanges for three users through ``StoreNode`` (the
shared `BackgroundWriter`), printing ``ACK <i> <user side kept> <assistant side kept>`` (what
the write gate kept) as each store step returns, then ``DONE``, and waits to be killed.
Every add sleeps 0.1 s *after* it lands, so a kill most likely falls between a write
landing and its journal row being marked done: the case a replay must not duplicate.
"""

from __future__ import annotations

import os
import signal
import sys
import time
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("MEM0_TELEMETRY", "False")
os.environ.pop("OPENAI_API_KEY", None)

USERS = ("alice", "bob", "carol")
SLOW_ADD_S = 0.1


def texts(i: int) -> tuple[str, str]:
    """The human and AI texts of exchange ``i`` (also what the parent looks for)."""
    return f"Fact {i}: my locker number is {1000 + i}", f"Noted, locker {1000 + i} (exchange {i})"


def open_memory(data_dir: str, store: str) -> Any:
    """The memory the child (and the parent, on restart) opens on ``data_dir``."""
    from pathlib import Path

    from mem0_langgraph import create_memory
    from mem0_langgraph.backends.factory import embedded_config

    if store == "plain":
        config = embedded_config(Path(data_dir), collection="durability")
        return create_memory(data_dir=data_dir, config=config, infer=False)
    return create_memory(data_dir=data_dir, collection="durability")


def main(data_dir: str, n: int, store: str) -> None:
    from langchain_core.messages import AIMessage, HumanMessage

    from mem0_langgraph import StoreNode
    from mem0_langgraph.backends.base import Add, ForwardingBackend
    from mem0_langgraph.backends.mem0 import Mem0Backend

    class SlowAdds(ForwardingBackend):
        def run(self, op: Any) -> Any:
            result = super().run(op)
            if isinstance(op, Add):
                time.sleep(SLOW_ADD_S)
            return result

    backend = SlowAdds(Mem0Backend(open_memory(data_dir, store)))
    node = StoreNode(memory=backend)
    handler = signal.getsignal(signal.SIGTERM)
    print("READY", getattr(handler, "__module__", handler), flush=True)
    sys.stdin.readline()
    for i in range(n):
        user = USERS[i % len(USERS)]
        human, ai = texts(i)
        update = node.invoke({"messages": [HumanMessage(human, id=f"m{i}"), AIMessage(ai)]},
                             {"configurable": {"user_id": user, "thread_id": "t"}})
        trace = update["memory_trace"]
        assert trace["stored"] is True, trace
        print("ACK", i, int(trace["write"]["user"]), int(trace["write"]["assistant"]), flush=True)
    print("DONE", flush=True)
    time.sleep(120)


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]), sys.argv[3])
