"""Mem0Retriever in LCEL chains: real mem0 + Chroma + local MiniLM; only the LLM is a fake."""

from __future__ import annotations

import doctest
import logging
from typing import Any

import pytest
from langchain_core.documents import Document
from langchain_core.output_parsers import StrOutputParser
from langchain_core.prompts import ChatPromptTemplate
from langchain_core.runnables import ConfigurableField, RunnablePassthrough

import mem0_langgraph.adapters.retriever as retriever_module
from mem0_langgraph import EchoChatModel
from mem0_langgraph.adapters.retriever import Mem0Retriever
from mem0_langgraph.backends.mem0 import Mem0Backend
from mem0_langgraph.errors import MemoryBackendError, ScopeError
from tests.conftest import CountingBackend

FACTS = ["I'm vegetarian and allergic to peanuts.", "My sister Ana lives in Porto.", "I play the cello on Sundays."]


class BrokenMem0:
    """The real mem0 Memory whose search fails, as when the vector store is unreachable."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner

    def search(self, *args: Any, **kwargs: Any) -> Any:
        raise ConnectionError("vector store unreachable")

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


def remember(backend: Mem0Backend, user_id: str, *texts: str, run_id: str = "t0") -> None:
    for text in texts:
        backend.add([{"role": "user", "content": text}], ids={"user_id": user_id, "run_id": run_id})


def test_documents_carry_text_and_metadata(backend, user_id) -> None:
    remember(backend, user_id, *FACTS)
    docs = Mem0Retriever(memory=backend, user_id=user_id).invoke("What foods should I avoid given my diet?")
    assert docs and docs[0].page_content == FACTS[0]
    meta = docs[0].metadata
    assert set(meta) == {"id", "score", "created_at", "scope"}
    assert docs[0].id == meta["id"] and isinstance(meta["id"], str) and meta["id"]
    assert isinstance(meta["score"], float) and meta["score"] >= 0.4
    assert isinstance(meta["created_at"], str) and meta["created_at"][:2] == "20"  # an ISO timestamp
    assert meta["scope"] == {"user_id": user_id, "run_id": "t0"}
    assert [d.metadata["score"] for d in docs] == sorted((d.metadata["score"] for d in docs), reverse=True)


def test_k_min_score_and_scope_isolation(backend, user_id) -> None:
    remember(backend, user_id, *FACTS)
    remember(backend, f"{user_id}-other", "I'm vegetarian too, and I love peanuts.")
    everything = Mem0Retriever(memory=backend, user_id=user_id, k=10, min_score=0.0).invoke("about me")
    assert sorted(d.page_content for d in everything) == sorted(FACTS)  # never the other user's memory
    assert len(Mem0Retriever(memory=backend, user_id=user_id, k=2, min_score=0.0).invoke("about me")) == 2
    assert Mem0Retriever(memory=backend, user_id=user_id, min_score=0.99).invoke("about me") == []
    other_run = Mem0Retriever(memory=backend, user_id=user_id, run_id="elsewhere", min_score=0.0)
    assert other_run.invoke("about me") == []  # every id set must match


async def test_async_matches_sync(backend, user_id) -> None:
    remember(backend, user_id, *FACTS)
    retriever = Mem0Retriever(memory=backend, user_id=user_id, min_score=0.0)
    sync_docs = retriever.invoke("Where does my sister live?")
    async_docs = await retriever.ainvoke("Where does my sister live?")
    assert [d.metadata["id"] for d in async_docs] == [d.metadata["id"] for d in sync_docs]
    assert async_docs[0].page_content == FACTS[1]


def test_in_an_lcel_chain(backend, user_id) -> None:
    remember(backend, user_id, *FACTS)
    retriever = Mem0Retriever(memory=backend, user_id=user_id, k=1)
    prompt = ChatPromptTemplate.from_messages([("human", "Known facts: {context}\nQuestion: {question}")])

    def join(docs: list[Document]) -> str:
        return "; ".join(d.page_content for d in docs)

    chain = {"context": retriever | join, "question": RunnablePassthrough()} | prompt | EchoChatModel() | StrOutputParser()
    answer = chain.invoke("Which city does my sister live in?")
    assert "Known facts: My sister Ana lives in Porto." in answer
    assert "cello" not in answer  # k=1


def test_ungated_every_query_searches(backend, user_id) -> None:
    counting = CountingBackend(backend)
    retriever = Mem0Retriever(memory=counting, user_id=user_id)
    retriever.invoke("thanks!")  # a recall gate would say no; an explicit retriever still searches
    assert counting.calls["search"] == 1
    assert retriever.invoke("   ") == [] and counting.calls["search"] == 1  # nothing to search for


def test_scope_per_request_with_configurable_fields(backend, user_id) -> None:
    remember(backend, user_id, FACTS[2])
    retriever = Mem0Retriever(memory=backend, user_id="nobody", min_score=0.0).configurable_fields(
        user_id=ConfigurableField(id="user_id"))
    docs = retriever.invoke("What instrument do I play?", {"configurable": {"user_id": user_id}})
    assert [d.page_content for d in docs] == [FACTS[2]]
    assert retriever.invoke("What instrument do I play?") == []


def test_failing_backend(memory, user_id, caplog) -> None:
    broken = Mem0Backend(BrokenMem0(memory))
    with pytest.raises(MemoryBackendError) as info:
        Mem0Retriever(memory=broken, user_id=user_id, on_error="raise").invoke("my diet?")
    assert info.value.operation == "search"
    with caplog.at_level(logging.WARNING, logger="mem0_langgraph"):
        assert Mem0Retriever(memory=broken, user_id=user_id).invoke("my diet?") == []
    assert any("memory retrieval failed" in r.getMessage() for r in caplog.records)


async def test_failing_backend_async(memory, user_id) -> None:
    broken = Mem0Backend(BrokenMem0(memory))
    with pytest.raises(MemoryBackendError):
        await Mem0Retriever(memory=broken, user_id=user_id, on_error="raise").ainvoke("my diet?")
    assert await Mem0Retriever(memory=broken, user_id=user_id, on_error="ignore").ainvoke("my diet?") == []


def test_invalid_options(backend) -> None:
    with pytest.raises(ScopeError, match="at least one of user_id"):
        Mem0Retriever(memory=backend)
    with pytest.raises(ValueError, match="greater than or equal to 1"):
        Mem0Retriever(memory=backend, user_id="u", k=0)
    with pytest.raises(ValueError, match="'raise', 'warn' or 'ignore'"):
        Mem0Retriever(memory=backend, user_id="u", on_error="explode")


def test_docstring_examples_run() -> None:
    result = doctest.testmod(retriever_module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0 and result.failed == 0
