"""Mem0Memory in classic chains: real mem0 + Chroma + local MiniLM; only the LLM is a fake."""

from __future__ import annotations

import doctest
import logging
import subprocess
import sys

import pytest
from langchain_classic.chains import ConversationChain, LLMChain
from langchain_core._api import suppress_langchain_deprecation_warning
from langchain_core.messages import SystemMessage
from langchain_core.prompts import ChatPromptTemplate, MessagesPlaceholder

import mem0_langgraph
import mem0_langgraph.adapters.classic_memory as classic_module
from mem0_langgraph import AlwaysRecall, EchoChatModel, NeverRecall, RuleGate
from mem0_langgraph.adapters.classic_memory import Mem0Memory
from mem0_langgraph.backends.mem0 import Mem0Backend
from mem0_langgraph.core.render import MEMORY_MESSAGE_ID
from mem0_langgraph.errors import MemoryBackendError, ScopeError
from tests.conftest import BrokenMem0, CountingBackend, CountingGate

FACT = "I'm vegetarian and allergic to peanuts."
DINNER = "Can you suggest something I could cook for dinner tonight?"
IMAGE_ONLY = [{"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORw0KGgo="}}]


def conversation(memory: Mem0Memory) -> ConversationChain:
    with suppress_langchain_deprecation_warning():  # classic chains are deprecated upstream; used on purpose
        return ConversationChain(llm=EchoChatModel(), memory=memory)


def stored(backend: Mem0Backend, user_id: str) -> list[str]:
    return [h.text for h in backend.get_all(filters={"user_id": user_id})]


def test_conversation_chain_end_to_end(backend, user_id) -> None:
    memory = Mem0Memory(memory=backend, user_id=user_id, run_id="monday", sync_store=True)
    chain = conversation(memory)
    chain.invoke({"input": FACT})
    assert FACT in stored(backend, user_id)  # save_context ran through the Storer

    later = conversation(Mem0Memory(memory=backend, user_id=user_id, run_id="tuesday"))
    out = later.invoke({"input": DINNER})
    assert "<memories>" in out["history"] and "vegetarian" in out["history"]
    assert "vegetarian" in out["response"]  # the memory was in the prompt the model got
    assert later.invoke({"input": "thanks!"})["history"] == ""  # the gate says no
    assert later.memory.flush(timeout=60)
    texts = stored(backend, user_id)
    # The write gate: a request reveals nothing about the user (not kept), the answer to it is advice
    # given to this user (kept), and trivial turns are not stored at all.
    assert DINNER not in texts and "thanks!" not in texts
    assert any(t.startswith("[offline echo model]") and DINNER in t for t in texts)


def test_llm_chain_with_messages(backend, user_id) -> None:
    backend.add([{"role": "user", "content": FACT}], ids={"user_id": user_id})
    prompt = ChatPromptTemplate.from_messages([MessagesPlaceholder("memories"), ("human", "{question}")])
    memory = Mem0Memory(memory=backend, user_id=user_id, memory_key="memories", input_key="question",
                        return_messages=True, sync_store=True)
    with suppress_langchain_deprecation_warning():
        chain = LLMChain(llm=EchoChatModel(), prompt=prompt, memory=memory)
    out = chain.invoke({"question": DINNER})
    [note] = out["memories"]
    assert isinstance(note, SystemMessage) and note.id == MEMORY_MESSAGE_ID
    assert "vegetarian" in out["text"] and out["text"].endswith(f"user said: {DINNER}")
    assert memory.load_memory_variables({"question": "ok"}) == {"memories": []}


def test_gate_says_no_means_zero_searches(backend, user_id) -> None:
    counting = CountingBackend(backend)
    memory = Mem0Memory(memory=counting, user_id=user_id, gate=NeverRecall(), sync_store=True)
    assert memory.load_memory_variables({"input": "What is my name?"}) == {"history": ""}
    assert counting.calls.get("search", 0) == 0


async def test_async_chain(backend, user_id) -> None:
    backend.add([{"role": "user", "content": FACT}], ids={"user_id": user_id})
    gate = CountingGate(RuleGate())
    memory = Mem0Memory(memory=backend, user_id=user_id, run_id="async", gate=gate)
    chain = conversation(memory)
    out = await chain.ainvoke({"input": DINNER})
    assert "vegetarian" in out["response"]
    assert gate.async_calls == 1 and gate.calls == 0
    assert await memory.aflush(timeout=60)
    texts = [h.text for h in await backend.aget_all(filters={"user_id": user_id, "run_id": "async"})]
    assert DINNER not in texts and any(DINNER in t for t in texts)  # the advice given is kept, the request not


def test_clear_deletes_only_this_scope(backend, user_id) -> None:
    other = f"{user_id}-other"
    backend.add([{"role": "user", "content": FACT}], ids={"user_id": user_id, "run_id": "a"})
    backend.add([{"role": "user", "content": FACT}], ids={"user_id": other})
    memory = Mem0Memory(memory=backend, user_id=user_id, run_id="b", gate=AlwaysRecall())
    memory.save_context({"input": "My sister Ana lives in Porto."}, {"response": "Nice!"})  # queued
    memory.clear()  # flushes the queued write first, then deletes every memory it could recall
    assert stored(backend, user_id) == []
    assert stored(backend, other) == [FACT]
    assert memory.load_memory_variables({"input": "Where does my sister live?"}) == {"history": ""}


async def test_aclear(backend, user_id) -> None:
    backend.add([{"role": "user", "content": FACT}], ids={"user_id": user_id})
    memory = Mem0Memory(memory=backend, user_id=user_id)
    await memory.aclear()
    assert stored(backend, user_id) == []


def test_image_only_input_skips_memory(backend, user_id) -> None:
    gate = CountingGate(AlwaysRecall())
    counting = CountingBackend(backend)
    memory = Mem0Memory(memory=counting, user_id=user_id, gate=gate, sync_store=True)
    assert memory.load_memory_variables({"input": IMAGE_ONLY}) == {"history": ""}
    memory.save_context({"input": IMAGE_ONLY}, {"output": "A cat picture."})
    assert gate.calls == 0 and counting.calls == {}


def test_failing_backend(memory, user_id, caplog) -> None:
    broken = Mem0Backend(BrokenMem0(memory))
    loud = Mem0Memory(memory=broken, user_id=user_id, gate=AlwaysRecall(), sync_store=True, on_error="raise")
    with pytest.raises(MemoryBackendError) as info:
        loud.load_memory_variables({"input": DINNER})
    assert info.value.operation == "search"
    with pytest.raises(MemoryBackendError):
        loud.save_context({"input": FACT}, {"output": "Noted."})

    quiet = Mem0Memory(memory=broken, user_id=user_id, gate=AlwaysRecall(), sync_store=True)
    chain = conversation(quiet)
    with caplog.at_level(logging.WARNING, logger="mem0_langgraph"):
        out = chain.invoke({"input": DINNER})  # the chain still answers
    assert out["response"].startswith("[offline echo model]") and out["history"] == ""
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert any("memory recall failed" in w for w in warnings) and any("memory store failed" in w for w in warnings)


def test_bad_configuration(backend) -> None:
    with pytest.raises(ScopeError, match="no user id"):
        Mem0Memory(memory=backend)
    with pytest.raises(ValueError, match="top_k"):
        Mem0Memory(memory=backend, user_id="u", top_k=0)
    memory = Mem0Memory(memory=backend, user_id="u", sync_store=True)
    with pytest.raises(ValueError, match="set output_key="):
        memory.save_context({"input": FACT}, {"a": "1", "b": "2"})
    with pytest.raises(ValueError, match="One input key expected"):
        memory.load_memory_variables({"input": FACT, "topic": "food"})


def test_exported_lazily() -> None:
    assert mem0_langgraph.Mem0Memory is Mem0Memory
    code = "import sys, mem0_langgraph; print('langchain_classic' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_docstring_examples_run() -> None:
    result = doctest.testmod(classic_module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0 and result.failed == 0
