"""RecallNode and StoreNode called directly with plain dict state, on the real embedded memory."""

from __future__ import annotations

import logging

import pytest
from langchain_core.messages import AIMessage, HumanMessage, SystemMessage, ToolMessage

from mem0_langgraph import AlwaysRecall, NeverRecall, RecallNode, StoreNode
from mem0_langgraph.backends._embedding import shared_embeddings
from mem0_langgraph.errors import MemoryBackendError, ScopeError
from tests.conftest import CountingBackend


def cfg(user_id: str, thread: str = "t1") -> dict:
    return {"configurable": {"user_id": user_id, "thread_id": thread}}


def remember(backend, user_id: str, *texts: str, thread: str = "t0") -> None:
    for text in texts:
        backend.add([{"role": "user", "content": text}], ids={"user_id": user_id, "run_id": thread})


def test_recall_finds_memory_and_replaces_key(backend, user_id) -> None:
    remember(backend, user_id, "I'm vegetarian and allergic to peanuts.", "My sister Ana lives in Porto.")
    node = RecallNode(memory=backend)
    update = node.invoke({"messages": [HumanMessage("Can you suggest a recipe for dinner?")],
                          "recalled_memories": [{"id": "old", "memory": "stale", "score": 1.0, "created_at": None}]},
                         cfg(user_id))
    texts = [m["memory"] for m in update["recalled_memories"]]
    assert texts[0] == "I'm vegetarian and allergic to peanuts."
    assert "stale" not in texts
    assert "messages" not in update  # never written to the history
    trace = update["memory_trace"]
    assert trace["recall"] and trace["memories"][0]["id"] == update["recalled_memories"][0]["id"]
    assert trace["latency_ms"]["search"] > 0


def test_gate_no_means_zero_searches_and_empty_recall(counting: CountingBackend, user_id) -> None:
    node = RecallNode(memory=counting)
    update = node.invoke({"messages": [HumanMessage("thanks!")]}, cfg(user_id))
    assert update["recalled_memories"] == [] and counting.calls.get("search", 0) == 0
    update = RecallNode(memory=counting, gate=NeverRecall()).invoke(
        {"messages": [HumanMessage("what is my name?")]}, cfg(user_id))
    assert update["recalled_memories"] == [] and counting.calls.get("search", 0) == 0


def test_drops_what_the_recent_window_already_says(backend, user_id) -> None:
    remember(backend, user_id, "My dog is called Biscuit.")
    node = RecallNode(memory=backend, gate=AlwaysRecall())
    state = {"messages": [HumanMessage("My dog is called Biscuit."), AIMessage("Cute!"),
                          HumanMessage("What is my dog called?")]}
    assert node.invoke(state, cfg(user_id))["recalled_memories"] == []


def test_threshold_count_and_token_budget(backend, user_id) -> None:
    facts = [f"Fact {i}: I collect vintage postcards from city number {i}." for i in range(8)]
    remember(backend, user_id, *facts)
    msg = {"messages": [HumanMessage("Tell me about my postcard collection")]}
    assert len(RecallNode(memory=backend, gate=AlwaysRecall(), top_k=3).invoke(msg, cfg(user_id))[
        "recalled_memories"]) == 3
    small = RecallNode(memory=backend, gate=AlwaysRecall(), max_tokens=20).invoke(msg, cfg(user_id))
    assert len(small["recalled_memories"]) == 1
    none = RecallNode(memory=backend, gate=AlwaysRecall(), min_score=0.99).invoke(msg, cfg(user_id))
    assert none["recalled_memories"] == [] and none["memory_trace"]["candidates"] > 0


def test_one_long_memory_cannot_take_the_whole_budget(backend, user_id) -> None:
    # A long pasted reply ranked first used to take 376 of 400 tokens and push a short, relevant
    # memory out; now each memory is clipped to a third of the budget and both are recalled.
    long_reply = "My postcard collection notes: " + "postcards from Lisbon and Porto, stamps and albums. " * 60
    remember(backend, user_id, long_reply, "I keep my postcard collection in a green album.")
    msg = {"messages": [HumanMessage("Where do I keep my postcard collection?")]}
    out = RecallNode(memory=backend, gate=AlwaysRecall(), max_tokens=380, reranker=None).invoke(msg, cfg(user_id))
    texts = [m["memory"] for m in out["recalled_memories"]]
    assert any("green album" in t for t in texts)
    assert any(t.startswith("My postcard collection notes") and t.endswith("…") for t in texts)
    assert all(len(t) <= 380 * 4 // 3 for t in texts)


def test_a_long_memory_reaches_the_model_as_the_part_the_question_is_about(backend, user_id) -> None:
    # Cutting a long chat turn to its head dropped the fact in its last sentence from what the model saw.
    turn = ("I'm signing up for a triathlon this fall and I need a training plan: " + "swim drills, bike intervals "
            "and long runs on the weekend, with a rest day after each hard session. " * 12
            + "By the way, our volleyball team, the Net Ninjas, is doing well with a 5-2 record.")
    remember(backend, user_id, turn)
    msg = {"messages": [HumanMessage("What is my record in the volleyball league?")]}
    [memory] = RecallNode(memory=backend, gate=AlwaysRecall(), max_tokens=150).invoke(msg, cfg(user_id))[
        "recalled_memories"]
    assert memory["memory"].startswith("…") and memory["memory"].endswith("with a 5-2 record.")
    assert len(memory["memory"]) <= 150 * 4 // 3


def test_scopes_isolate_users(backend, user_id) -> None:
    remember(backend, "someone-else-" + user_id, "I am afraid of spiders.")
    node = RecallNode(memory=backend, gate=AlwaysRecall(), min_score=0.0)
    update = node.invoke({"messages": [HumanMessage("What am I afraid of?")]}, cfg(user_id))
    assert all("spiders" not in m["memory"] for m in update["recalled_memories"])


def test_one_embedding_per_text_per_turn(backend, user_id) -> None:
    emb = shared_embeddings()
    text = f"Remember that my favourite colour is teal. ({user_id})"  # a statement: the write gate keeps it
    before = emb.encoded_texts
    RecallNode(memory=backend, gate=AlwaysRecall()).invoke({"messages": [HumanMessage(text)]}, cfg(user_id))
    StoreNode(memory=backend, sync_store=True).invoke(
        {"messages": [HumanMessage(text), AIMessage("")]}, cfg(user_id))
    # the search embedded the message; the store reused that vector
    assert emb.encoded_texts - before == 1


@pytest.mark.parametrize("messages, reason", [
    ([], "no human message"),
    ([SystemMessage("sys")], "no human message"),
    ([HumanMessage("   ")], "has no text"),
    ([HumanMessage(content=[{"type": "image_url", "image_url": {"url": "data:image/png;base64,AAAA"}}])],
     "has no text"),
    ([AIMessage("", tool_calls=[{"name": "t", "args": {}, "id": "c1"}]), ToolMessage("42", tool_call_id="c1")],
     "no human message"),
])
def test_bad_input_is_a_logged_skip(counting, user_id, messages, reason, caplog) -> None:
    caplog.set_level(logging.INFO, "mem0_langgraph")
    update = RecallNode(memory=counting, gate=AlwaysRecall()).invoke({"messages": messages}, cfg(user_id))
    assert update["recalled_memories"] == [] and reason in update["memory_trace"]["reason"]
    assert counting.calls.get("search", 0) == 0 and reason in caplog.text
    store = StoreNode(memory=counting, sync_store=True).invoke({"messages": messages}, cfg(user_id))
    assert store["memory_trace"]["stored"] is False and counting.calls.get("add", 0) == 0


def test_text_blocks_beside_images_are_used(backend, user_id) -> None:
    msg = HumanMessage(content=[{"type": "text", "text": "Do you remember my cat?"},
                                {"type": "image_url", "image_url": {"url": "data:image/png;base64,AAAA"}}])
    update = RecallNode(memory=backend, gate=AlwaysRecall()).invoke({"messages": [msg]}, cfg(user_id))
    assert update["memory_trace"]["queries"] == ["Do you remember my cat?"]


def test_huge_message_is_clipped_not_fatal(backend, user_id) -> None:
    huge = "Remember this about my garden: " + "tomatoes basil " * 7000  # ~105k characters
    node = StoreNode(memory=backend, sync_store=True, store_max_chars=8000)
    node.invoke({"messages": [HumanMessage(huge), AIMessage("Noted.")]}, cfg(user_id))
    stored = backend.get_all(filters={"user_id": user_id})
    assert stored and max(len(h.text) for h in stored) <= 8000
    update = RecallNode(memory=backend, gate=AlwaysRecall()).invoke({"messages": [HumanMessage(huge)]}, cfg(user_id))
    assert update["memory_trace"]["recall"] and len(update["memory_trace"]["queries"][0]) <= 1000


def test_store_writes_exchange_under_user_and_session(backend, user_id) -> None:
    node = StoreNode(memory=backend, sync_store=True)
    update = node.invoke({"messages": [HumanMessage("I'm moving to Berlin in May."), AIMessage("Exciting!")]},
                         cfg(user_id, "thread-9"))
    assert update["memory_trace"]["stored"]
    rows = {h.text: h.metadata for h in backend.get_all(filters={"user_id": user_id, "run_id": "thread-9"})}
    # The write gate keeps the user's plan; "Exciting!" is no advice, so it is not stored.
    assert set(rows) == {"I'm moving to Berlin in May."}
    meta = rows["I'm moving to Berlin in May."]
    assert meta["role"] == "user" and meta["category"] == "plan" and meta["said_at"]
    assert update["memory_trace"]["write"] == {"user": True, "assistant": False, "category": "plan",
                                               "reason": update["memory_trace"]["write"]["reason"]}


def test_store_skips_trivial_turns_and_duplicates(counting, user_id) -> None:
    node = StoreNode(memory=counting, sync_store=True)
    assert node.invoke({"messages": [HumanMessage("thanks!"), AIMessage("Any time.")]},
                       cfg(user_id))["memory_trace"]["store_reason"] == "skipped: trivial turn"
    state = {"messages": [HumanMessage("My bike is red.", id="h1"), AIMessage("Nice.")]}
    node.invoke(state, cfg(user_id))
    assert "already stored" in node.invoke(state, cfg(user_id))["memory_trace"]["store_reason"]
    assert counting.calls["add"] == 1


def test_store_merges_into_the_turn_trace(backend, user_id) -> None:
    prior = {"recall": True, "latency_ms": {"gate": 1.0, "search": 2.0}}
    update = StoreNode(memory=backend).invoke(
        {"messages": [HumanMessage("I play the cello."), AIMessage("Lovely.")], "memory_trace": prior},
        cfg(user_id))
    trace = update["memory_trace"]
    assert trace["recall"] and set(trace["latency_ms"]) == {"gate", "search", "store"}


@pytest.mark.parametrize("op", ["search", "insert"])
def test_chroma_failure_policies(backend, user_id, op, caplog, monkeypatch) -> None:
    def down(*args, **kwargs):
        raise ConnectionError("chroma down")

    monkeypatch.setattr(backend.memory.vector_store, op, down)  # fault injection inside mem0
    state = {"messages": [HumanMessage("Remember that I'm moving to Japan in May."), AIMessage("Noted.")]}

    def node(**kw):
        if op == "search":
            return RecallNode(memory=backend, gate=AlwaysRecall(), **kw)
        return StoreNode(memory=backend, sync_store=True, **kw)

    with pytest.raises(MemoryBackendError) as err:
        node(on_error="raise").invoke(state, cfg(user_id))
    assert err.value.operation in ("search", "add") and "chroma down" in str(err.value)
    caplog.set_level(logging.WARNING, "mem0_langgraph")
    update = node().invoke(state, cfg(user_id))
    assert "chroma down" in update["memory_trace"]["error"] and "answering without memory" in caplog.text
    caplog.clear()
    node(on_error="ignore").invoke(state, cfg(user_id))
    assert "answering without memory" not in caplog.text


def test_missing_scope_follows_on_error(backend) -> None:
    state = {"messages": [HumanMessage("What is my name?")]}
    with pytest.raises(ScopeError, match="present keys"):
        RecallNode(memory=backend, on_error="raise").invoke(state, {"configurable": {"thread_id": "t"}})
    update = RecallNode(memory=backend).invoke(state, {"configurable": {"thread_id": "t"}})
    assert update["recalled_memories"] == [] and "ScopeError" in update["memory_trace"]["error"]


async def test_async_nodes(backend, user_id) -> None:
    await StoreNode(memory=backend, sync_store=True).ainvoke(
        {"messages": [HumanMessage("My favourite tea is genmaicha."), AIMessage("Nice choice.")]}, cfg(user_id))
    update = await RecallNode(memory=backend).ainvoke(
        {"messages": [HumanMessage("Do you remember my favourite tea?")]}, cfg(user_id))
    assert any("genmaicha" in m["memory"] for m in update["recalled_memories"])


def test_invalid_options() -> None:
    from mem0_langgraph.errors import check_on_error

    with pytest.raises(ValueError, match="on_error"):
        check_on_error("explode")
    with pytest.raises(TypeError, match="MemoryBackend"):
        RecallNode(memory=object())
