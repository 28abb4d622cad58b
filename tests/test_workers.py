"""Four worker processes, overlapping users, one shared store (Postgres, then a Chroma server).

Every acknowledged write lands exactly once, each worker recalls what the others
stored, users stay isolated, and four updates of one user's home written at once
leave exactly one current fact. One test, so the four model loads are paid once.
"""

from __future__ import annotations

import multiprocessing
import queue

import pytest
from _servers import chroma, postgres  # noqa: F401 (fixtures)
from _worker_child import MOVER, run, word

from mem0_langgraph import create_memory
from mem0_langgraph.backends.factory import as_backend

pytestmark = pytest.mark.integration

WORKERS = 4
USERS = ["ann-1", "bob-2", "cyd-3"]
TURNS = 1


def test_four_workers_share_one_store(postgres, chroma, tmp_path):  # noqa: F811
    stores = [("postgres", postgres.url), ("chroma", chroma.url)]
    ctx = multiprocessing.get_context("spawn")
    barrier, results = ctx.Barrier(WORKERS), ctx.Queue()
    procs = [ctx.Process(target=run, args=(w, stores, USERS, TURNS, str(tmp_path), barrier, results))
             for w in range(WORKERS)]
    for p in procs:
        p.start()
    try:
        outs = [results.get(timeout=420) for _ in procs]
    except queue.Empty:
        pytest.fail("a worker did not report within 7 minutes")
    finally:
        for p in procs:
            p.join(30)
            if p.is_alive():
                p.kill()
    assert [o["error"] for o in outs if "error" in o] == []

    for kind, url in stores:
        backend = as_backend(create_memory(data_dir=tmp_path / f"check-{kind}", collection="workers",
                                           **{f"{kind}_url": url}))
        for user in USERS:
            mine = {f"My code word is {word(w, user, t)}" for w in range(WORKERS) for t in range(TURNS)}
            stored = [h.text for h in backend.get_all(filters={"user_id": user}, limit=1000)
                      if h.metadata.get("role") == "user"]
            # Exactly once, and nothing of another user's.
            assert sorted(stored) == sorted(mine), (kind, user)
            for out in outs:
                assert out[f"{kind}_flushed"], (kind, out["worker"])
                recalled = {t for t in out[f"{kind}_recalled"][user] if t.startswith("My code word")}
                assert recalled == mine, (kind, user, out["worker"])  # every worker sees every worker's writes

        # Four workers told MOVER "I just moved to <city>" at the same moment: all four are kept (never
        # deleted), and whatever the order the writes landed in, exactly one is current.
        moves = [h for h in backend.get_all(filters={"user_id": MOVER}, limit=1000) if h.metadata.get("role") == "user"]
        assert len(moves) == WORKERS, (kind, [h.text for h in moves])
        current = [h.text for h in moves if h.metadata.get("status") != "superseded"]
        assert len(current) == 1, (kind, current)
