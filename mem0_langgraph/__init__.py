"""Gated long-term memory for LangGraph and LangChain apps, on mem0.

Public API:
    create_memory: a mem0 memory, offline by default (Chroma + local MiniLM).
    with_memory: wrap an LLM node in recall-before / store-after; returns a StateGraph.
    RecallNode: recall-before node (gate, search, filter, budget).
    StoreNode: store-after node (write policy, background writer).
    MemoryState: graph state (messages + this turn's recall and trace).
    RecallGate: protocol of recall gates; RecallDecision: a gate's verdict.
    LearnedGate: the default gate (a small classifier over the local embedding; loaded lazily).
    RuleGate: the rule-based gate; AlwaysRecall / NeverRecall: baselines.
    LLMGate: any chat model decides the recall and rewrites the search queries (optionally after a cheap gate).
    MemoryOptions: the options shared by with_memory, the middleware and Mem0Memory.
    Reranker: protocol of recall rerankers; KeywordFusion: the default (BM25 fused into dense).
    ScopeConfig / Scope: where user, agent and session ids come from.
    MemoryBackend / Mem0Backend: the backend interface and its mem0 adapter.
    BackgroundWriter / SyncWriter / MemoryWriter: how writes reach the backend; flush_all.
    render_memories: the memory system message; EchoChatModel: offline stand-in LLM.
    Mem0Middleware: recall-before / store-after middleware for langchain.agents.create_agent.
    Mem0Memory: gated memory for classic chains (langchain_classic BaseMemory; loaded lazily).
    Mem0Retriever: ungated retriever returning memories as Documents, for LCEL chains.
    Errors: ScopeError, MemoryBackendError, Mem0LangGraphError.
"""

from typing import TYPE_CHECKING, Any

from mem0_langgraph.backend import Mem0Backend, MemoryBackend, MemoryHit
from mem0_langgraph.echo_model import EchoChatModel
from mem0_langgraph.errors import Mem0LangGraphError, MemoryBackendError, ScopeError
from mem0_langgraph.factory import create_memory
from mem0_langgraph.gate import AlwaysRecall, NeverRecall, RecallDecision, RecallGate
from mem0_langgraph.graph import with_memory
from mem0_langgraph.llm_gate import LLMGate
from mem0_langgraph.middleware import Mem0Middleware
from mem0_langgraph.options import MemoryOptions
from mem0_langgraph.recall import RecallNode, Recaller
from mem0_langgraph.render import render_memories
from mem0_langgraph.rerank import KeywordFusion, Reranker
from mem0_langgraph.retriever import Mem0Retriever
from mem0_langgraph.rule_gate import RuleGate
from mem0_langgraph.scopes import Scope, ScopeConfig
from mem0_langgraph.state import MemoryState
from mem0_langgraph.store import StoreNode, Storer
from mem0_langgraph.writer import BackgroundWriter, MemoryWriter, SyncWriter, flush_all

if TYPE_CHECKING:
    from mem0_langgraph.classic_memory import Mem0Memory
    from mem0_langgraph.learned_gate import LearnedGate

__all__ = [
    "AlwaysRecall",
    "BackgroundWriter",
    "EchoChatModel",
    "KeywordFusion",
    "LLMGate",
    "LearnedGate",
    "Mem0Backend",
    "Mem0LangGraphError",
    "Mem0Memory",
    "Mem0Middleware",
    "Mem0Retriever",
    "MemoryBackend",
    "MemoryBackendError",
    "MemoryHit",
    "MemoryOptions",
    "MemoryState",
    "MemoryWriter",
    "NeverRecall",
    "RecallDecision",
    "RecallGate",
    "RecallNode",
    "Recaller",
    "Reranker",
    "RuleGate",
    "Scope",
    "ScopeConfig",
    "ScopeError",
    "StoreNode",
    "Storer",
    "SyncWriter",
    "create_memory",
    "flush_all",
    "render_memories",
    "with_memory",
]


def __getattr__(name: str) -> Any:
    # Mem0Memory subclasses langchain_classic's BaseMemory: importing it eagerly would make
    # every `import mem0_langgraph` load langchain_classic (an optional extra, and slow).
    if name == "Mem0Memory":
        from mem0_langgraph.classic_memory import Mem0Memory

        return Mem0Memory
    # LearnedGate needs numpy and its weights: loaded on first use, like the gate itself.
    if name == "LearnedGate":
        from mem0_langgraph.learned_gate import LearnedGate

        return LearnedGate
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
