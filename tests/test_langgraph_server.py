"""The graphs of ``langgraph.json`` in LangGraph's local API server (``langgraph dev``), through ``langgraph-sdk``.

The server binds 127.0.0.1 with no browser, no tunnel and no reload; its memory is the
embedded default in a temporary data directory.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from mem0_langgraph.backends._servers import free_port

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[1]
_START_TIMEOUT_S = 120
# No --allow-blocking: langgraph dev fails any synchronous I/O on its event loop, and
# the served graph must not do any.
_DEV_FLAGS: list[str] = []


class DevServer:
    def __init__(self, data_dir: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = data_dir.parent / "langgraph-dev.log"
        langgraph = Path(sys.executable).with_name("langgraph")
        env = {**os.environ, "MEM0_LANGGRAPH_DATA_DIR": str(data_dir), "HF_HUB_OFFLINE": "1",
               "MEM0_TELEMETRY": "False", "LANGSMITH_TRACING": "false", "LANGCHAIN_TRACING_V2": "false"}
        for key in ("OPENAI_API_KEY", "MEM0_LANGGRAPH_POSTGRES_URL", "MEM0_LANGGRAPH_CHROMA_URL"):
            env.pop(key, None)
        with open(self.log, "wb") as log:
            self.proc = subprocess.Popen(
                [str(langgraph), "dev", "--config", str(ROOT / "langgraph.json"), "--host", "127.0.0.1",
                 "--port", str(self.port), "--no-browser", "--no-reload", *_DEV_FLAGS],
                cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + _START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"langgraph dev exited: {self.log.read_text()[-3000:]}")
            try:
                with urllib.request.urlopen(f"{self.url}/ok", timeout=1):
                    return
            except OSError:
                time.sleep(0.3)
        self.stop()
        raise TimeoutError(f"langgraph dev did not start: {self.log.read_text()[-3000:]}")

    def stop(self) -> int:
        """Stop it as a process manager does (SIGTERM to its process group), and wait."""
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(60)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        return self.proc.returncode


@pytest.fixture
def dev_server(tmp_path: Path) -> Iterator[DevServer]:
    pytest.importorskip("langgraph_api", reason='needs pip install "mem0-langgraph[test]"')
    if not (ROOT / "langgraph.json").exists():
        pytest.skip("no langgraph.json")
    server = DevServer(tmp_path / "data")
    try:
        yield server
    finally:
        server.stop()


def _texts(values: dict) -> list[str]:
    return [str(m.get("content")) for m in values.get("messages", [])]


def test_memory_chat_in_langgraph_dev_recalls_across_turns_and_flushes_on_shutdown(dev_server, tmp_path):
    from langgraph_sdk import get_client

    user = f"user-{uuid.uuid4().hex[:8]}"

    async def conversation() -> tuple[dict, str]:
        client = get_client(url=dev_server.url)
        thread = await client.threads.create()
        config = {"configurable": {"user_id": user}}
        await client.runs.wait(thread["thread_id"], "memory_chat", config=config,
                               input={"messages": [{"role": "user", "content": "I'm vegetarian and allergic to nuts."}]})
        # The first turn's write is on the server's background writer: give it a moment.
        for _ in range(30):
            values = await client.runs.wait(
                thread["thread_id"], "memory_chat", config=config,
                input={"messages": [{"role": "user", "content": "Any ideas for dinner tonight?"}]})
            if (values.get("memory_trace") or {}).get("memories"):
                break
            await asyncio.sleep(1)
        last = await client.threads.create()
        await client.runs.wait(last["thread_id"], "memory_chat", config=config,
                               input={"messages": [{"role": "user", "content": "My sister Ana lives in Porto."}]})
        return values, last["thread_id"]

    values, _ = asyncio.run(conversation())
    assert values["memory_trace"]["memories"]  # the recall fired and found the first turn's memory
    assert "vegetarian" in _texts(values)[-1]  # the echo model got the memory and said it back

    # Shut down right after the last turn: the background writer flushes before the process exits.
    dev_server.stop()
    from mem0_langgraph.backends.factory import as_backend, create_memory

    stored = as_backend(create_memory(data_dir=tmp_path / "data")).get_all(filters={"user_id": user})
    assert "My sister Ana lives in Porto." in [h.text for h in stored]
