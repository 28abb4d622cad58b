"""Properties of every adapter over hostile inputs, on the real embedded store (only the LLM is a fake).

Hypothesis draws what users and apps send: any unicode (lone surrogates, U+2028 / U+2029 /
U+0085, NUL and control characters), empty and 100,000-character strings, content-block
lists (text, image_url, unknown types, str items, and non-dict items in messages built
without validation), histories with no human turn, values of the wrong type, and hostile
scope ids. The properties, for ``on_error="warn"`` (the default):

- the turn answers (the echo model's reply comes back) and raises nothing, except a
  documented boundary error for an argument that is not a message or query at all;
- memory fails open only when it must: well-typed text and a valid scope never leave an
  error in the trace, whatever the characters;
- a turn without human text neither searches nor writes;
- a scope id reaches the backend exactly as given, or not at all (wildcards, operators,
  whitespace and invisible characters are refused with `ScopeError`);
- the background writer drains: ``flush(timeout=...)`` returns True and no write failed.
"""

from __future__ import annotations

import asyncio
import logging
import unicodedata
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from langchain.agents import create_agent
from langchain_core.documents import Document
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage, ToolMessage

from mem0_langgraph import AlwaysRecall, EchoChatModel, Mem0Middleware, Mem0Retriever, RecallNode, StoreNode
from mem0_langgraph.adapters.classic_memory import Mem0Memory
from mem0_langgraph.backends.base import Add, DeleteAll, ForwardingBackend, GetAll, Op, Search
from mem0_langgraph.backends.mem0 import Mem0Backend
from mem0_langgraph.cli.echo_model import ECHO_LABEL
from mem0_langgraph.core.graph import with_memory
from mem0_langgraph.core.render import MEMORY_MESSAGE_ID
from mem0_langgraph.core.writer import flush_all
from mem0_langgraph.errors import ScopeError

pytestmark = pytest.mark.integration

PROPERTY = settings(max_examples=30, deadline=None, database=None,  # no example files in the shared tree
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                           HealthCheck.large_base_example])
FLUSH_S = 60.0
FACT = "Please remember: I keep three bees named Ada, Bo and Cy."  # what any write gate keeps
# The recall timeout stays on (its thread pool is part of the path under test), but long
# enough that a busy shared machine never turns a slow search into a trace error.
OPTIONS: dict[str, Any] = {"recall_timeout_s": 30.0}

# -- strategies -----------------------------------------------------------------
SPECIALS = ["\ud800", "\udfff", "\udbff", "\ud83d\ude00", "\u2028", "\u2029", "\u0085", "\x00", "\x01", "\x1b",
            "\x7f", "\x0b", "\x0c", "\r\n", "\t", "\u200b", "\u200d", "\ufeff", "\u00a0", "\u202e", "e\u0301",
            "\U0010ffff", "漢", "🙂", "<", "</memories>", '"', "\\", "{", "}", "$ne", "*"]
WORDS = ["I", "my", "like", "remember", "allergic", "peanuts", "sister", "lives", "in", "Lisbon", "what",
         "should", "cook", "tonight", "?", "vegetarian", "cello", "thanks", "ok"]

piece = st.one_of(st.characters(exclude_categories=()), st.sampled_from(SPECIALS))  # surrogates included


def texts(min_size: int = 0, max_size: int = 40) -> st.SearchStrategy[str]:
    return st.lists(piece, min_size=min_size, max_size=max_size).map("".join)


short_text = texts()
sentence = st.lists(st.one_of(st.sampled_from(WORDS), texts(1, 4)), min_size=1, max_size=14).map(" ".join)
huge_text = texts(1, 8).map(lambda unit: (unit * (100_000 // len(unit) + 1))[:100_000])
text = st.one_of(st.just(""), short_text, sentence, huge_text)

block = st.one_of(
    st.builds(lambda t: {"type": "text", "text": t}, text),
    st.just({"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORw0KGgo="}}),
    st.builds(lambda k, v: {"type": k, "payload": v}, short_text, short_text),  # unknown block types
    st.builds(lambda t: {"text": t}, short_text),  # no "type" at all
    st.sampled_from([{"type": "text", "text": None}, {"type": "text", "text": 5}, {"type": "text"}]),
    text,  # bare str items are valid content
)
loose_item = st.sampled_from([None, 0, 7, 1.5, ["nested"], b"bytes"])  # not str, not dict
content = st.one_of(text, st.lists(block, max_size=4))
loose_content = st.lists(st.one_of(block, loose_item), min_size=1, max_size=4)


def _message(kind: str, value: Any) -> BaseMessage:
    cls, extra = {"human": (HumanMessage, {}), "ai": (AIMessage, {}), "system": (SystemMessage, {}),
                  "tool": (ToolMessage, {"tool_call_id": "call-1"})}[kind]
    if isinstance(value, list) and not all(isinstance(b, (str, dict)) for b in value):
        # Pydantic refuses non-dict blocks; a message deserialised without validation still has them.
        return cls.model_construct(content=value, **extra)
    return cls(content=value, **extra)


def messages_of(kinds: list[str]) -> st.SearchStrategy[BaseMessage]:
    plain = st.builds(_message, st.sampled_from(kinds), content)
    loose = st.builds(_message, st.sampled_from(kinds), loose_content)
    return st.one_of(plain, loose)


tool_call = st.just(AIMessage("", tool_calls=[{"name": "lookup", "args": {"q": "x"}, "id": "call-1"}]))
any_message = st.one_of(messages_of(["human", "ai", "system", "tool"]), tool_call)
no_human = st.lists(st.one_of(messages_of(["ai", "system", "tool"]), tool_call), max_size=4)
# What LangGraph's message reducer accepts besides messages: role dicts, (role, text) tuples, strings.
message_like = st.one_of(any_message, st.builds(lambda c: {"role": "user", "content": c}, text),
                         st.builds(lambda c: ("user", c), text), text)
history = st.one_of(st.lists(any_message, max_size=5), no_human,
                    st.lists(message_like, min_size=1, max_size=4))
wrong_items = st.lists(st.one_of(any_message, st.sampled_from([None, 0, 7, "I like tea", {"role": "user"},
                                                               ("user", "tea"), b"x", object()])), max_size=5)

# One input holding every hostile kind at once, run by every property (hypothesis draws the rest).
WORST_TEXT = ("I like tea \ud800\udfff\u2028\u2029\u0085\x00\x01\x1b </memories> \u200b\ufeff " * 2_000
              + "x" * 100_000)[:100_000]
WORST_BLOCKS = [{"type": "text", "text": WORST_TEXT[:200]}, {"type": "image_url", "image_url": {"url": "data:,"}},
                {"type": "x-unknown", "payload": "\ud800"}, {"text": "no type"}, {"type": "text", "text": None},
                "bare \u2028 str", 5, None, b"bytes"]
WORST_HISTORY = [SystemMessage("sys \u2029"), _message("human", WORST_BLOCKS), AIMessage("\x00"),
                 ToolMessage("\ud800", tool_call_id="call-1"), HumanMessage(WORST_TEXT)]

HOSTILE_IDS = ["*", "$ne", "$in", " alice", "alice ", "al ice", "alice\u00a0", "\u00a0alice", "al\u200bice",
               "\ufeffalice", "alice\x00", "alice\n", "alice\u2028", "", "a" * 257, "a" * 10_000, "a*", "\ud800",
               True, None, 1.5, {"$ne": "x"}, ["alice"]]
VALID_IDS = ["Alice", "alice", "José", "Jose\u0301", "a" * 256, "a$ne", "🙂", "o'brien\";--", 0, 7]
scope_id = st.one_of(st.sampled_from(HOSTILE_IDS + VALID_IDS), texts(0, 300))


def must_refuse(raw: Any, level: str = "user") -> bool:
    """The documented contract, restated: what no adapter may pass on as a scope id.

    None is "not set": refused only at the user level, the one the default scopes require.
    """
    if raw is None:
        return level == "user"
    if isinstance(raw, bool) or not isinstance(raw, (str, int)):
        return True
    value = str(raw)
    return (not value or len(value) > 256 or "*" in value or value.startswith("$")
            or any(c.isspace() or unicodedata.category(c)[0] == "C" for c in value))


# -- helpers --------------------------------------------------------------------
class RecordingBackend(ForwardingBackend):
    """The real backend, recording every operation it runs (to check the scope ids it was given)."""

    def __init__(self, inner: Mem0Backend) -> None:
        super().__init__(inner)
        self.ops: list[Op] = []

    def run(self, op: Op) -> Any:
        self.ops.append(op)
        return super().run(op)

    async def arun(self, op: Op) -> Any:
        self.ops.append(op)
        return await super().arun(op)

    def scopes_used(self) -> list[dict[str, Any]]:
        out = []
        for op in self.ops:
            if isinstance(op, (Search, GetAll)):
                out.append(dict(op.filters))
            elif isinstance(op, (Add, DeleteAll)):
                out.append(dict(op.ids))
        return out


@contextmanager
def warnings_logged() -> Iterator[list[logging.LogRecord]]:
    """Collect the package's warnings (a fail-open memory error logs one)."""
    records: list[logging.LogRecord] = []
    handler = logging.Handler(logging.WARNING)
    handler.emit = records.append  # type: ignore[method-assign]
    log = logging.getLogger("mem0_langgraph")
    log.addHandler(handler)
    try:
        yield records
    finally:
        log.removeHandler(handler)


def run_turn(graph: Any, state: dict, config: dict, mode: str) -> dict:
    if mode == "sync":
        return graph.invoke(state, config)
    return asyncio.run(graph.ainvoke(state, config))


def has_human_text(msgs: list[Any]) -> bool:
    """Whether LangGraph's reducer would yield a human message with text (the spec, restated simply)."""
    from langchain_core.messages import convert_to_messages

    from mem0_langgraph.core._text import message_text

    return any(m.type == "human" and message_text(m) for m in convert_to_messages(msgs))


def assert_answered(out: dict) -> None:
    last = out["messages"][-1]
    assert last.type == "ai" and last.content.startswith(ECHO_LABEL)
    assert all(getattr(m, "id", None) != MEMORY_MESSAGE_ID for m in out["messages"])  # never persisted


def assert_drained(*writers: Any) -> None:
    """Every background writer of the process drains in time, and none of ``writers`` lost a write."""
    assert flush_all(timeout=FLUSH_S), "a background writer did not drain"
    for writer in writers:
        assert not getattr(writer, "failed", []), writer.failed


def writer_of(graph: Any) -> Any:
    return graph.builder.nodes["store"].runnable.storer.writer


def cfg(user: Any = None, **more: Any) -> dict:
    return {"configurable": {"user_id": user, "thread_id": "t-prop", **more}}


# -- with_memory graphs ---------------------------------------------------------
def test_graph_turn_always_answers(backend: Mem0Backend) -> None:
    """Any history, sync or async, gated or always recalling: an answer, no trace error, a drained writer."""
    rec = RecordingBackend(backend)
    graphs = {gate: with_memory(EchoChatModel(), memory=rec, **({"gate": AlwaysRecall()} if gate else {}),
                                **OPTIONS).compile() for gate in (True, False)}

    @PROPERTY
    @example(msgs=WORST_HISTORY, mode="sync", always=True, user="prop-worst")
    @example(msgs=WORST_HISTORY, mode="async", always=True, user="prop-worst-async")
    @given(msgs=history, mode=st.sampled_from(["sync", "async"]), always=st.booleans(),
           user=st.uuids().map(lambda u: f"prop-{u.hex[:12]}"))
    def check(msgs: list[Any], mode: str, always: bool, user: str) -> None:
        assert flush_all(timeout=FLUSH_S)  # the last example's writes land before its ops are forgotten
        rec.ops.clear()
        out = run_turn(graphs[always], {"messages": msgs}, cfg(user), mode)
        assert_answered(out)
        trace = out["memory_trace"]
        assert "error" not in trace, trace["error"]
        assert {tuple(s.items()) for s in rec.scopes_used()} <= {(("user_id", user),),
                                                                  (("user_id", user), ("run_id", "t-prop"))}
        if not has_human_text(msgs):
            assert rec.ops == [] and trace["recall"] is False and trace["stored"] is False

    check()
    assert_drained(*(writer_of(g) for g in graphs.values()))


def test_graph_refuses_non_messages_at_the_boundary(backend: Mem0Backend) -> None:
    """Items that are not messages at all are refused by LangGraph's reducer, before memory runs."""
    graph = with_memory(EchoChatModel(), memory=backend, sync_store=True).compile()
    for junk in (None, 7, b"x", object()):
        with pytest.raises((TypeError, ValueError, NotImplementedError)):
            graph.invoke({"messages": [junk]}, cfg("prop-junk"))


# -- RecallNode / StoreNode, called directly with a plain dict state ------------
def test_nodes_tolerate_any_state(backend: Mem0Backend) -> None:
    """Nodes called directly take wrong-typed items, and even a non-list ``messages``, without raising."""
    recall, store = RecallNode(memory=backend, **OPTIONS), StoreNode(memory=backend)

    @PROPERTY
    @example(msgs=[*WORST_HISTORY, None, 7, {"role": "user"}, object()], mode="sync", user="prop-worst")
    @example(msgs=[*WORST_HISTORY, None, 7, {"role": "user"}, object()], mode="async", user="prop-worst")
    @given(msgs=st.one_of(wrong_items, st.sampled_from([None, 5, "I like tea", {"a": 1}])),
           mode=st.sampled_from(["sync", "async"]), user=st.uuids().map(lambda u: f"prop-{u.hex[:12]}"))
    def check(msgs: Any, mode: str, user: str) -> None:
        state = {"messages": msgs}
        if mode == "sync":
            update = recall.invoke(state, cfg(user))
            stored = store.invoke({**state, **update}, cfg(user))
        else:
            async def both() -> tuple[dict, dict]:
                up = await recall.ainvoke(state, cfg(user))
                return up, await store.ainvoke({**state, **up}, cfg(user))

            update, stored = asyncio.run(both())
        assert isinstance(update["recalled_memories"], list)
        assert isinstance(stored["memory_trace"].get("stored"), bool)
        if isinstance(msgs, list):  # a list whatever its items: memory must not fail on it
            assert "error" not in update["memory_trace"] and "error" not in stored["memory_trace"]

    check()
    assert store.flush(timeout=FLUSH_S)
    assert_drained(store.storer.writer)


# -- Mem0Middleware in create_agent --------------------------------------------
def test_middleware_agent_always_answers(backend: Mem0Backend) -> None:
    """create_agent with Mem0Middleware, sync and async, any history: an answer and a drained writer."""
    rec = RecordingBackend(backend)
    mw = Mem0Middleware(rec, **OPTIONS)
    prompts = {"none": None, "text": "You are a cook.",
               "blocks": SystemMessage(content=[{"type": "text", "text": "You are a cook."}, {"type": "x-cache"}])}
    agents = {name: create_agent(EchoChatModel(), system_prompt=p, middleware=[mw]) for name, p in prompts.items()}

    @PROPERTY
    @example(msgs=WORST_HISTORY, mode="sync", prompt="blocks", user="prop-worst")
    @example(msgs=WORST_HISTORY, mode="async", prompt="text", user="prop-worst")
    @given(msgs=history, mode=st.sampled_from(["sync", "async"]), prompt=st.sampled_from(list(agents)),
           user=st.uuids().map(lambda u: f"prop-{u.hex[:12]}"))
    def check(msgs: list[Any], mode: str, prompt: Any, user: str) -> None:
        assert mw.flush(timeout=FLUSH_S)  # the last example's writes land before its ops are forgotten
        rec.ops.clear()
        out = run_turn(agents[prompt], {"messages": msgs}, cfg(user), mode)
        assert_answered(out)
        trace = out.get("memory_trace") or {}
        assert "error" not in trace, trace["error"]
        if not has_human_text(msgs):
            assert rec.ops == []

    check()
    assert mw.flush(timeout=FLUSH_S)
    assert_drained(mw.storer.writer)


def test_middleware_hooks_tolerate_wrong_items(backend: Mem0Backend) -> None:
    """The hooks called directly (a unit test's plain dict state) take wrong-typed items."""
    mw = Mem0Middleware(backend, sync_store=True, **OPTIONS)

    @PROPERTY
    @example(msgs=[*WORST_HISTORY, None, 7, {"role": "user"}], mode="sync")
    @example(msgs=[*WORST_HISTORY, None, 7, {"role": "user"}], mode="async")
    @given(msgs=wrong_items, mode=st.sampled_from(["sync", "async"]))
    def check(msgs: list[Any], mode: str) -> None:
        state = {"messages": msgs}
        if mode == "sync":
            update = mw.before_model(state, None)
            after = mw.after_agent(state, None)
        else:
            update = asyncio.run(mw.abefore_model(state, None))
            after = asyncio.run(mw.aafter_agent(state, None))
        # Outside a run there is no config, so no user id: recall and store skip or record a ScopeError.
        assert update is None or isinstance(update["memory_trace"], dict)
        assert isinstance(after["memory_trace"], dict)

    check()


# -- Mem0Memory (classic chains) -----------------------------------------------
chain_value = st.one_of(content, loose_content, any_message, st.sampled_from([None, 0, 42, {"a": 1}, ["x", 1]]))


def test_classic_memory_load_and_save_any_value(backend: Mem0Backend) -> None:
    """load_memory_variables / save_context take any chain value and never raise; writes drain."""
    memories = {ret: Mem0Memory(memory=backend, user_id="prop-classic", return_messages=ret, **OPTIONS)
                for ret in (False, True)}

    @PROPERTY
    @example(question=WORST_TEXT, answer=WORST_BLOCKS, ret=False, mode="sync")
    @example(question=WORST_BLOCKS, answer=None, ret=True, mode="async")
    @given(question=chain_value, answer=chain_value, ret=st.booleans(), mode=st.sampled_from(["sync", "async"]))
    def check(question: Any, answer: Any, ret: bool, mode: str) -> None:
        memory = memories[ret]
        with warnings_logged() as warned:
            if mode == "sync":
                loaded = memory.load_memory_variables({"input": question})
                memory.save_context({"input": question}, {"output": answer})
            else:
                async def both() -> dict:
                    got = await memory.aload_memory_variables({"input": question})
                    await memory.asave_context({"input": question}, {"output": answer})
                    return got

                loaded = asyncio.run(both())
        assert list(loaded) == ["history"]
        assert isinstance(loaded["history"], list if ret else str)
        assert not warned, [r.getMessage() for r in warned]

    check()
    assert all(m.flush(timeout=FLUSH_S) for m in memories.values())
    assert_drained(*(m._storer.writer for m in memories.values()))


def test_classic_memory_none_is_not_stored_as_text(backend: Mem0Backend, user_id: str) -> None:
    """A None input or output is no text: the literal "None" must not become a memory."""
    memory = Mem0Memory(memory=backend, user_id=user_id, sync_store=True)
    memory.save_context({"input": None}, {"output": None})
    memory.save_context({"input": FACT}, {"output": None})
    assert [h.text for h in backend.get_all(filters={"user_id": user_id})] == [FACT]


# -- Mem0Retriever -------------------------------------------------------------
def test_retriever_any_text_query(backend: Mem0Backend) -> None:
    """Any string query returns Documents of this scope only, without a memory error."""
    user = "prop-retriever"
    backend.add([{"role": "user", "content": "I play the cello \u2028 on Sundays 😀"}], ids={"user_id": user})
    retriever = Mem0Retriever(memory=backend, user_id=user)

    @PROPERTY
    @example(query=WORST_TEXT, k=None, mode="sync")
    @example(query=WORST_TEXT, k=1, mode="async")
    @given(query=text, k=st.one_of(st.none(), st.integers(1, 8)), mode=st.sampled_from(["sync", "async"]))
    def check(query: str, k: int | None, mode: str) -> None:
        kwargs = {} if k is None else {"k": k}
        with warnings_logged() as warned:
            docs = (retriever.invoke(query, **kwargs) if mode == "sync"
                    else asyncio.run(retriever.ainvoke(query, **kwargs)))
        assert not warned, [r.getMessage() for r in warned]
        assert all(isinstance(d, Document) and d.metadata["scope"]["user_id"] == user for d in docs)
        assert len(docs) <= (k or retriever.k)

    check()


def test_retriever_scrubs_lone_surrogates(backend: Mem0Backend, user_id: str) -> None:
    """A lone surrogate in a query is replaced, as on the recall path, instead of failing the search."""
    backend.add([{"role": "user", "content": "I play the cello on Sundays."}], ids={"user_id": user_id})
    retriever = Mem0Retriever(memory=backend, user_id=user_id, on_error="raise")
    assert [d.page_content for d in retriever.invoke("cello \ud800")] == ["I play the cello on Sundays."]
    assert [d.page_content for d in asyncio.run(retriever.ainvoke("\udfffcello"))] == ["I play the cello on Sundays."]


def test_retriever_refuses_non_queries_at_the_boundary(backend: Mem0Backend) -> None:
    """A query that is not a string, or a bad k, is the caller's bug: a clear error, whatever on_error says."""
    retriever = Mem0Retriever(memory=backend, user_id="prop-retriever")
    for query in (None, 5, {"q": "x"}, ["cello"], b"cello"):
        with pytest.raises(TypeError, match="query must be a str"):
            retriever.invoke(query)  # type: ignore[arg-type]
    for k in (0, -1, True, 1.5, "2"):
        with pytest.raises(ValueError, match="k must be an int >= 1"):
            retriever.invoke("cello", k=k)
        with pytest.raises(ValueError, match="k must be an int >= 1"):
            asyncio.run(retriever.ainvoke("cello", k=k))


# -- hostile scope ids, every adapter ------------------------------------------
def test_scope_ids_reach_the_backend_exactly_or_not_at_all(backend: Mem0Backend) -> None:
    """A scope id (user, agent or session level) is used verbatim, or refused with ScopeError before any I/O."""
    rec = RecordingBackend(backend)
    graph = with_memory(EchoChatModel(), memory=rec, gate=AlwaysRecall(), sync_store=True, **OPTIONS).compile()
    agent = create_agent(EchoChatModel(), middleware=[Mem0Middleware(rec, gate=AlwaysRecall(), sync_store=True,
                                                                     **OPTIONS)])
    strict = with_memory(EchoChatModel(), memory=rec, sync_store=True, on_error="raise", **OPTIONS).compile()
    turn = {"messages": [HumanMessage(f"{FACT} What are their names?")]}
    key_of = {"user": "user_id", "agent": "agent_id", "run": "thread_id"}
    mem0_key = {"user": "user_id", "agent": "agent_id", "run": "run_id"}

    @PROPERTY
    @given(raw=scope_id, level=st.sampled_from(["user", "agent", "run"]),
           runner=st.sampled_from(["graph", "agraph", "agent", "aagent"]))
    def check(raw: Any, level: str, runner: str) -> None:
        config = {"configurable": {"user_id": "prop-ids", "thread_id": "t-ids", key_of[level]: raw}}
        rec.ops.clear()
        app = graph if "graph" in runner else agent
        out = run_turn(app, turn, config, "async" if runner.startswith("a") else "sync")
        assert_answered(out)
        trace = out["memory_trace"]
        if must_refuse(raw, level):
            assert rec.ops == [] and "ScopeError" in trace["error"] and out.get("recalled_memories", []) == []
            with pytest.raises(ScopeError):
                strict.invoke(turn, config)
        else:
            assert "error" not in trace, trace["error"]
            used = {s[mem0_key[level]] for s in rec.scopes_used() if mem0_key[level] in s}
            if raw is None:  # not set: the level is left out, never matched as a wildcard
                assert used == set() or level == "user"
            else:
                assert used <= {str(raw)}  # verbatim: not stripped, not case- or unicode-folded
                assert used or level == "run"  # the search names user and agent; the run only writes (once)
            for memory in out.get("recalled_memories", []):  # recall searches user (+ agent), not the run
                owner = backend.get(memory["id"])
                assert owner is not None
                assert owner.metadata.get("user_id") == (str(raw) if level == "user" else "prop-ids")
                if level == "agent" and raw is not None:
                    assert owner.metadata.get("agent_id") == str(raw)

    check()


def test_scope_ids_on_retriever_and_classic_memory(backend: Mem0Backend) -> None:
    """Mem0Retriever and Mem0Memory take their ids at construction: refused there, or used verbatim."""

    @PROPERTY
    @given(raw=scope_id, level=st.sampled_from(["user", "agent", "run"]))
    def check(raw: Any, level: str) -> None:
        ids = {"user_id": "prop-ids", f"{level}_id": raw}
        builders: list[Callable[[RecordingBackend], Any]] = [
            lambda b: Mem0Retriever(memory=b, **ids),
            lambda b: Mem0Memory(memory=b, sync_store=True, gate=AlwaysRecall(), **ids),
        ]
        for build in builders:
            rec = RecordingBackend(backend)
            if must_refuse(raw, level):
                # ScopeError for a string; a non-string is refused by pydantic first (also a ValueError).
                with pytest.raises(ScopeError if isinstance(raw, str) else ValueError):
                    build(rec)
                continue
            if not isinstance(raw, str):  # an int: the fields are typed str, so pydantic may refuse it
                try:
                    build(rec)
                except ValueError:
                    continue
            adapter = build(rec)
            if isinstance(adapter, Mem0Retriever):
                adapter.invoke("bees")
            else:
                adapter.save_context({"input": FACT}, {"output": "Noted."})
                adapter.load_memory_variables({"input": "What are my bees called?"})
            assert rec.ops and all(s.get(f"{level}_id", raw) == raw for s in rec.scopes_used())

    check()


# -- known bugs outside the adapters (see the report of issue 7) -----------------
@pytest.mark.parametrize("sync_store", [True, False])
def test_message_id_with_a_lone_surrogate_still_stores(backend: Mem0Backend, user_id: str, sync_store: bool) -> None:
    graph = with_memory(EchoChatModel(), memory=backend, sync_store=sync_store).compile()
    fact = HumanMessage(FACT, id="msg-\ud800")
    out = graph.invoke({"messages": [fact]}, cfg(user_id))
    assert flush_all(timeout=FLUSH_S)
    assert "error" not in out["memory_trace"], out["memory_trace"]["error"]
    assert backend.get_all(filters={"user_id": user_id})


def test_uuid_thread_id_keeps_memory_on(backend: Mem0Backend, user_id: str) -> None:
    import uuid

    from langgraph.checkpoint.memory import InMemorySaver

    graph = with_memory(EchoChatModel(), memory=backend, sync_store=True).compile(checkpointer=InMemorySaver())
    config = {"configurable": {"user_id": user_id, "thread_id": uuid.uuid4()}}
    out = graph.invoke({"messages": [HumanMessage(FACT)]}, config)
    assert "error" not in out["memory_trace"], out["memory_trace"]["error"]
