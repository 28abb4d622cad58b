"""Isolation under concurrency, on the real embedded store: nobody recalls anybody else's memory.

Fifty users, from a thread pool and from ``asyncio.gather``, each store a unique secret
through a `with_memory` graph and then ask for it. Every recalled memory must belong to the
asker (checked on the stored record, ``backend.get(id)``), every asker must get their own
secret back, and the echo model's reply must hold no other user's secret. The users include
ids that differ only in case (``Alice`` / ``alice``), in unicode form (NFC / NFD ``José``)
and in dotted / dotless i or ß / ss; ``"alice "`` is refused with `ScopeError`, never merged
with ``alice``. The agent level (``configurable["agent_id"]``) and the session level
(``thread_id``, with a `ScopeConfig` that searches the run) are isolated the same way. A
``"*"`` id (mem0's wildcard) is refused by every adapter before any I/O, so it reads and
deletes nothing.
"""

from __future__ import annotations

import asyncio
import unicodedata
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from langchain.agents import create_agent
from langchain_core.messages import HumanMessage
from langchain_core.runnables import ConfigurableField

from mem0_langgraph import AlwaysRecall, EchoChatModel, Mem0Middleware, Mem0Retriever, ScopeConfig, with_memory
from mem0_langgraph.adapters.classic_memory import Mem0Memory
from mem0_langgraph.adapters.tools import memory_tools
from mem0_langgraph.backends.mem0 import Mem0Backend
from mem0_langgraph.errors import ScopeError
from tests.conftest import CountingBackend

pytestmark = pytest.mark.integration

QUESTION = "What is my secret code word? I asked you to remember it."
FLUSH_S = 120.0
# Recall is forced (AlwaysRecall) so the test is about scopes, not about the gate's judgement;
# the generous timeout keeps a search slowed by 50 concurrent turns on a small machine from
# turning into a fail-open turn without memory.
OPTIONS: dict[str, Any] = {"gate": AlwaysRecall(), "recall_timeout_s": 60.0}


def secret_fact(token: str) -> str:
    return f"Please remember: my secret code word is {token}."


def users_with_lookalikes(n: int = 50) -> list[str]:
    """``n`` distinct user ids, among them pairs that differ only in case or unicode form."""
    tag = uuid.uuid4().hex[:6]
    jose = f"José-{tag}"
    lookalikes = [
        f"Alice-{tag}", f"alice-{tag}", f"ALICE-{tag}",
        unicodedata.normalize("NFC", jose), unicodedata.normalize("NFD", jose),
        f"i-{tag}", f"ı-{tag}", f"İ-{tag}",
        f"ss-{tag}", f"ß-{tag}",
        f"alice@example.com-{tag}", f"🙂-{tag}", f"o'brien\";--{tag}", ("u" * 256 + tag)[-256:],
    ]
    users = lookalikes + [f"user{i:02d}-{tag}" for i in range(n - len(lookalikes))]
    assert len(set(users)) == n == len(users)
    return users


def config(user: str | None, **more: Any) -> dict:
    ids = {"user_id": user} if user is not None else {}
    return {"configurable": {**ids, "thread_id": "t-iso", **more}}


def check_own_recall(backend: Mem0Backend, out: dict, token: str, owner: dict[str, str],
                     others: list[str]) -> None:
    """Every recalled memory is the asker's (on the stored record), the secret is among them, none leaks."""
    trace = out["memory_trace"]
    assert "error" not in trace, trace["error"]
    recalled = out["recalled_memories"]
    for memory in recalled:
        stored = backend.get(memory["id"])
        assert stored is not None
        for key, value in owner.items():
            assert stored.metadata.get(key) == value, (key, value, stored.metadata.get(key), memory["memory"])
    assert any(token in m["memory"] for m in recalled), (token, [m["memory"] for m in recalled])
    reply = out["messages"][-1].content
    assert token in reply and not [t for t in others if t in reply]


# -- 50 users at once ---------------------------------------------------------------
def test_fifty_users_in_threads(backend: Mem0Backend) -> None:
    """Each thread stores a secret (written inline) and asks for it at once, while 49 others do the same."""
    graph = with_memory(EchoChatModel(), memory=backend, sync_store=True, **OPTIONS).compile()
    users = users_with_lookalikes()
    tokens = {u: f"zq{uuid.uuid4().hex[:10]}" for u in users}

    def turn(user: str) -> dict:
        graph.invoke({"messages": [HumanMessage(secret_fact(tokens[user]))]}, config(user))
        return graph.invoke({"messages": [HumanMessage(QUESTION)]}, config(user))

    with ThreadPoolExecutor(max_workers=8) as pool:
        outs = dict(zip(users, pool.map(turn, users)))
    for user, out in outs.items():
        check_own_recall(backend, out, tokens[user], {"user_id": user}, [t for u, t in tokens.items() if u != user])


async def test_fifty_users_with_asyncio_gather(backend: Mem0Backend) -> None:
    """All 50 store at once through the background writer, it drains, then all 50 ask at once."""
    graph = with_memory(EchoChatModel(), memory=backend, **OPTIONS).compile()
    writer = graph.builder.nodes["store"].runnable.storer.writer
    users = users_with_lookalikes()
    tokens = {u: f"zq{uuid.uuid4().hex[:10]}" for u in users}

    stores = await asyncio.gather(*(graph.ainvoke({"messages": [HumanMessage(secret_fact(tokens[u]))]}, config(u))
                                    for u in users))
    assert all(out["memory_trace"]["stored"] for out in stores)
    assert await writer.aflush(timeout=FLUSH_S), "the background writer did not drain"
    assert not getattr(writer, "failed", [])
    outs = await asyncio.gather(*(graph.ainvoke({"messages": [HumanMessage(QUESTION)]}, config(u)) for u in users))
    for user, out in zip(users, outs):
        check_own_recall(backend, out, tokens[user], {"user_id": user}, [t for u, t in tokens.items() if u != user])


def test_whitespace_variant_is_refused_not_merged(backend: Mem0Backend) -> None:
    """``"alice "`` (and NBSP, zero-width, tab variants) never reads or writes ``alice``'s memories."""
    alice = f"alice-{uuid.uuid4().hex[:6]}"
    token = f"zq{uuid.uuid4().hex[:10]}"
    backend.add([{"role": "user", "content": secret_fact(token)}], ids={"user_id": alice})
    before = sorted(h.id for h in backend.get_all(filters={"user_id": alice}))
    counting = CountingBackend(backend)
    lenient = with_memory(EchoChatModel(), memory=counting, sync_store=True, **OPTIONS).compile()
    strict = with_memory(EchoChatModel(), memory=counting, sync_store=True, on_error="raise", **OPTIONS).compile()
    for variant in (f"{alice} ", f" {alice}", f"{alice}\u00a0", f"{alice}\u200b", f"{alice}\t", f"{alice}\n"):
        with pytest.raises(ScopeError, match="whitespace or control"):
            strict.invoke({"messages": [HumanMessage(QUESTION)]}, config(variant))
        out = lenient.invoke({"messages": [HumanMessage(secret_fact("zqimpostor"))]}, config(variant))
        assert out["recalled_memories"] == [] and "ScopeError" in out["memory_trace"]["error"]
        assert token not in out["messages"][-1].content
    assert counting.calls == {}  # refused before any search or write
    assert sorted(h.id for h in backend.get_all(filters={"user_id": alice})) == before


# -- every scope level, concurrently ---------------------------------------------------
LEVELS: dict[str, tuple[ScopeConfig, Callable[[str, str], dict], Callable[[str, str], dict[str, str]]]] = {
    # name: (scopes, run config of owner o, the ids each memory recalled by o must carry)
    "agent": (ScopeConfig(), lambda base, o: config(base, agent_id=o),
              lambda base, o: {"user_id": base, "agent_id": o}),
    "session": (ScopeConfig(search_levels=("user", "run")), lambda base, o: config(base, thread_id=o),
                lambda base, o: {"user_id": base, "run_id": o}),
    "session only": (ScopeConfig(required=("run",), write_levels=("run",), search_levels=("run",)),
                     lambda base, o: config(None, thread_id=o), lambda base, o: {"run_id": o}),
}


@pytest.mark.parametrize("level", [
    "agent",
    "session",
    "session only",
])
def test_each_scope_level_is_isolated(backend: Mem0Backend, level: str) -> None:
    """Ten agents of one user, ten sessions of one user, ten user-less sessions: all store, then all ask."""
    scopes, run_config, owner_ids = LEVELS[level]
    graph = with_memory(EchoChatModel(), memory=backend, sync_store=True, scopes=scopes, **OPTIONS).compile()
    base = f"iso-{uuid.uuid4().hex[:6]}"
    owners = [f"{level.replace(' ', '-')}-{i}-{base}" for i in range(8)] + [f"Case-{base}", f"case-{base}"]
    tokens = {o: f"zq{uuid.uuid4().hex[:10]}" for o in owners}

    def store(owner: str) -> dict:
        return graph.invoke({"messages": [HumanMessage(secret_fact(tokens[owner]))]}, run_config(base, owner))

    def ask(owner: str) -> dict:
        return graph.invoke({"messages": [HumanMessage(QUESTION)]}, run_config(base, owner))

    with ThreadPoolExecutor(max_workers=5) as pool:
        assert all(out["memory_trace"]["stored"] for out in pool.map(store, owners))
        outs = dict(zip(owners, pool.map(ask, owners)))
    for owner, out in outs.items():
        check_own_recall(backend, out, tokens[owner], owner_ids(base, owner),
                         [t for o, t in tokens.items() if o != owner])


@pytest.mark.parametrize("level", ["session", "agent"])
def test_a_newer_memory_elsewhere_never_reaches_this_scope(backend: Mem0Backend, level: str) -> None:
    """The minimal, sequential form: a newer secret in session 2 (or without agent) supersedes session 1's
    (agent A's); session 1 (agent A) must still recall only its own."""
    user = f"iso-{uuid.uuid4().hex[:6]}"
    if level == "session":
        scopes, mine, elsewhere = ScopeConfig(search_levels=("user", "run")), config(user, thread_id="s1"), \
            config(user, thread_id="s2")
    else:
        scopes, mine, elsewhere = ScopeConfig(), config(user, agent_id="agent-a"), config(user)
    graph = with_memory(EchoChatModel(), memory=backend, sync_store=True, scopes=scopes, **OPTIONS).compile()
    graph.invoke({"messages": [HumanMessage(secret_fact("zqmine"))]}, mine)
    graph.invoke({"messages": [HumanMessage(secret_fact("zqelsewhere"))]}, elsewhere)
    out = graph.invoke({"messages": [HumanMessage(QUESTION)]}, mine)
    owner = {"user_id": user, **({"run_id": "s1"} if level == "session" else {"agent_id": "agent-a"})}
    check_own_recall(backend, out, "zqmine", owner, ["zqelsewhere"])


def test_superseded_by_metadata_cannot_reach_another_user(backend: Mem0Backend) -> None:
    from mem0_langgraph.backends.scoped import MemoryScope

    victim, mallory = f"victim-{uuid.uuid4().hex[:6]}", f"mallory-{uuid.uuid4().hex[:6]}"
    [victim_id] = backend.add([{"role": "user", "content": secret_fact("zqvictim")}], ids={"user_id": victim})
    MemoryScope(backend, user_id=mallory).add(secret_fact("zqmallory"),
                                             metadata={"status": "superseded", "superseded_by": victim_id})
    graph = with_memory(EchoChatModel(), memory=backend, sync_store=True, **OPTIONS).compile()
    out = graph.invoke({"messages": [HumanMessage(QUESTION)]}, config(mallory))
    check_own_recall(backend, out, "zqmallory", {"user_id": mallory}, ["zqvictim"])


# -- "*" through every adapter ---------------------------------------------------------
def test_wildcard_ids_are_refused_by_every_adapter(backend: Mem0Backend) -> None:
    """``*`` at any level never reads or deletes another user's memories: `ScopeError` before any I/O."""
    victim = f"victim-{uuid.uuid4().hex[:6]}"
    token = f"zq{uuid.uuid4().hex[:10]}"
    backend.add([{"role": "user", "content": secret_fact(token)}], ids={"user_id": victim})
    before = sorted(h.id for h in backend.get_all(filters={"user_id": victim}))
    counting = CountingBackend(backend)
    ask = {"messages": [HumanMessage(QUESTION)]}
    wildcards = [config("*"), config(victim, agent_id="*"), config(victim, thread_id="*"), config("$ne")]

    graph = with_memory(EchoChatModel(), memory=counting, sync_store=True, **OPTIONS)
    agent_mw = Mem0Middleware(counting, sync_store=True, **OPTIONS)
    for on_error in ("raise", "warn"):
        apps = [graph.compile() if on_error == "warn" else with_memory(
                    EchoChatModel(), memory=counting, sync_store=True, on_error="raise", **OPTIONS).compile(),
                create_agent(EchoChatModel(), middleware=[agent_mw if on_error == "warn" else Mem0Middleware(
                    counting, sync_store=True, on_error="raise", **OPTIONS)])]
        for app in apps:
            for cfg in wildcards:
                if on_error == "raise":
                    with pytest.raises(ScopeError):
                        app.invoke(ask, cfg)
                    with pytest.raises(ScopeError):
                        asyncio.run(app.ainvoke(ask, cfg))
                else:
                    out = app.invoke(ask, cfg)
                    assert token not in out["messages"][-1].content and "ScopeError" in out["memory_trace"]["error"]

    for ids in ({"user_id": "*"}, {"user_id": victim, "agent_id": "*"}, {"run_id": "*"}, {"user_id": "$ne"}):
        with pytest.raises(ScopeError):
            Mem0Retriever(memory=counting, **ids)
        with pytest.raises(ScopeError):
            Mem0Memory(memory=counting, **ids).clear()
    per_request = Mem0Retriever(memory=counting, user_id="nobody").configurable_fields(
        user_id=ConfigurableField(id="user_id"))
    with pytest.raises(ScopeError):
        per_request.invoke("secret code word", config("*"))
    for tool in memory_tools(counting):
        args = {"text": "x", "query": "secret", "memory_id": before[0]}
        with pytest.raises(ScopeError):
            tool.invoke({k: v for k, v in args.items() if k in tool.args}, config("*"))

    assert counting.calls == {}  # nothing searched, listed, written or deleted
    assert sorted(h.id for h in backend.get_all(filters={"user_id": victim})) == before


def test_clear_deletes_only_its_own_lookalike(backend: Mem0Backend) -> None:
    """Mem0Memory.clear() of ``alice`` leaves ``Alice``, ``ALICE`` and the NFC / NFD ``José`` pair alone."""
    tag = uuid.uuid4().hex[:6]
    jose = f"José-{tag}"
    users = [f"alice-{tag}", f"Alice-{tag}", f"ALICE-{tag}", unicodedata.normalize("NFC", jose),
             unicodedata.normalize("NFD", jose)]
    for user in users:
        backend.add([{"role": "user", "content": secret_fact(f"zq-{user}")}], ids={"user_id": user})
    for cleared in (users[0], users[3]):
        Mem0Memory(memory=backend, user_id=cleared).clear()
    left = {u: [h.text for h in backend.get_all(filters={"user_id": u})] for u in users}
    assert left[users[0]] == [] and left[users[3]] == []
    assert all(left[u] == [secret_fact(f"zq-{u}")] for u in (users[1], users[2], users[4]))
