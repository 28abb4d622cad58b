"""LangChain's own standard test suites (``langchain-tests``) against our surfaces, on the real store."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from langchain_tests.integration_tests import RetrieversIntegrationTests

from mem0_langgraph import Mem0Retriever

SEVEN_FACTS = (
    "I'm vegetarian and allergic to peanuts.",
    "My sister Ana lives in Porto.",
    "I play the cello on Sundays.",
    "I work as a nurse on night shifts.",
    "My dog is called Biscuit.",
    "I'm learning Japanese for a trip to Kyoto.",
    "My favourite food is mushroom risotto.",
)


@pytest.fixture(scope="class")
def seven_facts(backend: Any) -> str:
    user = f"standard-{uuid.uuid4().hex[:8]}"
    for fact in SEVEN_FACTS:
        backend.add([{"role": "user", "content": fact}], ids={"user_id": user})
    return user


class TestMem0RetrieverStandard(RetrieversIntegrationTests):
    """`RetrieversIntegrationTests` against `Mem0Retriever` over a memory with seven facts for one user."""

    @pytest.fixture(autouse=True)
    def _memory(self, backend: Any, seven_facts: str) -> None:
        self._backend, self._user = backend, seven_facts

    @property
    def retriever_constructor(self) -> type[Mem0Retriever]:
        return Mem0Retriever

    @property
    def retriever_constructor_params(self) -> dict[str, Any]:
        # min_score 0: the suite asks for exactly k documents whatever the query matches.
        return {"memory": self._backend, "user_id": self._user, "min_score": 0.0}

    @property
    def retriever_query_example(self) -> str:
        return "What do I eat?"
