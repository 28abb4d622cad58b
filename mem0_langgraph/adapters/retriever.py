"""`Mem0Retriever`: mem0 memories as LangChain `Document`s, for LCEL chains.

A retriever is asked explicitly, so it is not gated: every query searches. It
returns at most ``k`` memories of one scope scoring at least ``min_score``, as
``Document(page_content=memory text, metadata={id, score, created_at, scope})``.
"""

from __future__ import annotations

from typing import Any

from langchain_core.callbacks import (
    AsyncCallbackManagerForRetrieverRun,
    CallbackManagerForRetrieverRun,
)
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever
from pydantic import Field

from mem0_langgraph.backends.base import MemoryBackend, MemoryHit
from mem0_langgraph.backends.factory import as_backend
from mem0_langgraph.core._steps import Steps, call, run_async, run_sync
from mem0_langgraph.core._text import scrub
from mem0_langgraph.core.options import DEFAULTS
from mem0_langgraph.core.rerank import DEFAULT_RERANKER
from mem0_langgraph.core.scopes import Scope
from mem0_langgraph.errors import OnError, ScopeError, handle_memory_error

_SCOPE_KEYS = ("user_id", "agent_id", "run_id")


class Mem0Retriever(BaseRetriever):
    """Search one scope's mem0 memories; ungated, sync and async.

    The scope is the ids you set: a memory must match all of them. For per-request
    scopes, make a field configurable:
    ``retriever.configurable_fields(user_id=ConfigurableField(id="user_id"))``.

    Attributes:
        memory: A mem0 ``Memory`` / ``MemoryClient``, a mem0 config dict, a `MemoryBackend`,
            or None for the embedded offline default (`create_memory`).
        user_id: Only this user's memories. Default None.
        agent_id: Only this agent's memories. Default None.
        run_id: Only this session's memories. Default None. At least one id is required.
        k: Most documents returned (LangChain's name for ``top_k``; ``invoke(query, k=2)``
            overrides it per call). Default 4.
        min_score: Hits scoring lower are dropped, in the backend's units. Default as in
            `RecallerOptions` (0.4).
        search_k: Candidates fetched before reranking. Default as in `RecallerOptions` (100).
        reranker: Re-scores candidates before ``min_score`` and ``k``. Default as in
            `RecallerOptions` (`KeywordFusion`); None keeps the backend's dense scores.
        on_error: ``"warn"`` (default): log and return no documents; ``"raise"``
            (`MemoryBackendError`); ``"ignore"``. A query that is not a string, or a bad
            ``k``, is the caller's bug and raises (``TypeError`` / ``ValueError``) in every mode.

    Example:
        >>> import tempfile
        >>> from mem0_langgraph import create_memory
        >>> memory = create_memory(data_dir=tempfile.mkdtemp())  # the offline default
        >>> for fact in ("I'm vegetarian.", "I play the cello."):
        ...     _ = memory.add(fact, user_id="alice", infer=False)
        >>> retriever = Mem0Retriever(memory=memory, user_id="alice", k=1)
        >>> [doc] = retriever.invoke("What food do I avoid?")
        >>> doc.page_content, sorted(doc.metadata), doc.metadata["scope"]
        ("I'm vegetarian.", ['created_at', 'id', 'scope', 'score'], {'user_id': 'alice'})
    """

    memory: Any = None
    user_id: str | None = None
    agent_id: str | None = None
    run_id: str | None = None
    k: int = Field(default=4, ge=1)
    min_score: float = DEFAULTS["min_score"]
    search_k: int = Field(default=DEFAULTS["search_k"], ge=1)
    reranker: Any = DEFAULTS["reranker"]
    on_error: OnError = DEFAULTS["on_error"]

    def __init__(self, **data: Any) -> None:
        """Check the options and the scope, and normalise the backend once.

        Raises:
            TypeError: An unknown keyword (the same error `with_memory` gives).
            ScopeError: None of ``user_id``, ``agent_id``, ``run_id`` is set, or one is malformed.
        """
        unknown = sorted(set(data) - set(type(self).model_fields))
        if unknown:
            raise TypeError(f"unknown memory option(s) {unknown}; valid: {', '.join(sorted(type(self).model_fields))}")
        super().__init__(**data)
        # Checked after pydantic's validation, so a ScopeError reaches the caller as itself.
        if not self._filters():
            raise ScopeError("Mem0Retriever needs at least one of user_id, agent_id, run_id",
                             level="user", key="user_id")
        if self.reranker == "default":
            self.reranker = DEFAULT_RERANKER
        self.memory = as_backend(self.memory)  # copies (configurable fields) share the backend

    @property
    def backend(self) -> MemoryBackend:
        """The `MemoryBackend` searched."""
        return self.memory

    def _filters(self) -> dict[str, str]:
        # Scope() refuses wildcards, operators and whitespace: an id is matched exactly, never widened.
        scope = Scope(user_id=self.user_id, agent_id=self.agent_id, run_id=self.run_id)
        return scope.ids(("user", "agent", "run"))

    def _get_relevant_documents(self, query: str, *, run_manager: CallbackManagerForRetrieverRun,
                                **kwargs: Any) -> list[Document]:
        query, k = self._arguments(query, **kwargs)  # the caller's mistakes raise, whatever on_error says
        try:
            return run_sync(self._steps(query, k))
        except Exception as exc:  # memory must not take the chain down; on_error decides
            return self._failed(exc)

    async def _aget_relevant_documents(self, query: str, *, run_manager: AsyncCallbackManagerForRetrieverRun,
                                       **kwargs: Any) -> list[Document]:
        query, k = self._arguments(query, **kwargs)  # the caller's mistakes raise, whatever on_error says
        try:
            return await run_async(self._steps(query, k))
        except Exception as exc:  # memory must not take the chain down; on_error decides
            return self._failed(exc)

    def _arguments(self, query: Any, k: int | None = None) -> tuple[str, int]:
        """Check a call's arguments; ``k`` given at call time (``invoke(query, k=2)``) overrides the field.

        Lone surrogates are replaced, as on the recall path: no embedder can encode them.

        Raises:
            TypeError: ``query`` is not a string, or an unknown keyword.
            ValueError: ``k`` is not an int >= 1.
        """
        if not isinstance(query, str):
            raise TypeError(f"query must be a str, got {type(query).__name__}")
        if k is not None and (isinstance(k, bool) or not isinstance(k, int) or k < 1):
            raise ValueError(f"k must be an int >= 1, got {k!r}")
        return scrub(query), k or self.k

    def _steps(self, query: str, k: int) -> Steps[list[Document]]:
        """Search ``search_k`` candidates (``k`` without a reranker), rerank, threshold, keep ``k``."""
        filters = self._filters()
        if not query.strip():
            return []
        limit = max(k, self.search_k) if self.reranker is not None else k
        hits = yield call(self.backend.search, self.backend.asearch, query, filters=filters, limit=limit)
        if self.reranker is not None:
            hits = self.reranker.rerank(query, hits)
        return self._documents(hits, filters, k)

    def _failed(self, exc: Exception) -> list[Document]:
        handle_memory_error(self.on_error, exc, "memory retrieval")
        return []

    def _documents(self, hits: list[MemoryHit], filters: dict[str, str], k: int) -> list[Document]:
        kept = sorted((h for h in hits if h.score >= self.min_score), key=lambda h: h.score, reverse=True)
        return [
            Document(
                id=h.id,
                page_content=h.text,
                metadata={
                    "id": h.id,
                    "score": h.score,
                    "created_at": h.created_at,
                    # The ids the backend stored with the memory, else the ones searched for.
                    "scope": {k: str(h.metadata[k]) for k in _SCOPE_KEYS if h.metadata.get(k)} or dict(filters),
                },
            )
            for h in kept[:k]
        ]
