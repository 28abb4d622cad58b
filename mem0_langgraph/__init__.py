"""Gated long-term memory for LangGraph and LangChain apps, on mem0.

Public API (the folder each name lives in, in brackets):
    with_memory: wrap an LLM node in recall-before / store-after; returns a StateGraph. [core]
    RecallNode / Recaller: the recall-before node, and its logic (gate, search, filter, budget). [core]
    StoreNode / Storer: the store-after node, and its logic (write policy, writer). [core]
    MemoryState: graph state (messages + this turn's recall and trace). [core]
    MemoryOptions / RecallerOptions / StorerOptions: every option, its one name and default. [core]
    ScopeConfig / Scope: where user, agent and session ids come from. [core]
    BackgroundWriter / SyncWriter / MemoryWriter: how writes reach the backend; flush_all. [core]
    render_memories: the memory system message. [core]
    import_messages / ImportReport: bring a past conversation in through the write path, keeping its times. [core]
    SupersedingBackend / superseding / SupersedeJudge / RuleJudge / LLMJudge: newer facts supersede older. [core]
    Reranker: protocol of recall rerankers; KeywordFusion: the default (BM25 fused into dense). [core]
    RecallGate / RecallDecision: the gate protocol and its verdict. [gates]
    LearnedGate: the default gate (a small classifier over the local embedding; loaded lazily). [gates]
    RuleGate: the rule-based gate; AlwaysRecall / NeverRecall: baselines. [gates]
    LLMGate: a chat model decides the recall and rewrites the search queries. [gates]
    WriteGate / WriteDecision / Exchange: the write gate protocol, its verdict and its input. [gates]
    RuleWriteGate: the default write gate (rules, no model); StoreAll; LLMWriteGate. [gates]
    create_memory: a mem0 memory, offline by default (Chroma + local MiniLM). [backends]
    as_backend: whatever was passed as ``memory``, as a MemoryBackend (built once). [backends]
    MemoryBackend / BaseBackend / ForwardingBackend / MemoryHit: the backend interface. [backends]
    Mem0Backend: the backend over any mem0 object. [backends]
    Mem0Middleware: recall-before / store-after middleware for create_agent. [adapters]
    Mem0Memory: gated memory for classic chains (langchain_classic BaseMemory; loaded lazily). [adapters]
    Mem0Retriever: ungated retriever returning memories as Documents, for LCEL chains. [adapters]
    memory_tools / RememberTool / SearchMemoriesTool / ForgetTool: memory tools for agents, scoped by the run. [adapters]
    MemoryScope / MemoryRecord / MemoryChange: one scope's memories, managed (add, list, get, update, ...). [backends]
    reset_store: wipe a whole store, behind confirm=True. [backends]
    LazyBackend / default_memory: a backend opened on first use; the process's lazy embedded store. [backends]
    EchoChatModel: offline stand-in LLM that replies with what it was given. [cli]
    Errors: Mem0LangGraphError, ScopeError, MemoryBackendError, MemoryNotFoundError, LLMGateError,
        WrongModeError. [errors.py]
"""

from typing import TYPE_CHECKING, Any

from mem0_langgraph.adapters.middleware import Mem0Middleware
from mem0_langgraph.adapters.retriever import Mem0Retriever
from mem0_langgraph.adapters.tools import ForgetTool, RememberTool, SearchMemoriesTool, memory_tools
from mem0_langgraph.backends.base import BaseBackend, ForwardingBackend, MemoryBackend, MemoryHit
from mem0_langgraph.backends.factory import as_backend, create_memory
from mem0_langgraph.backends.lazy import LazyBackend, default_memory
from mem0_langgraph.backends.mem0 import Mem0Backend
from mem0_langgraph.backends.records import MemoryChange, MemoryRecord
from mem0_langgraph.backends.scoped import MemoryScope, reset_store
from mem0_langgraph.cli.echo_model import EchoChatModel
from mem0_langgraph.core.graph import with_memory
from mem0_langgraph.core.importer import ImportReport, import_messages
from mem0_langgraph.core.options import MemoryOptions, RecallerOptions, StorerOptions
from mem0_langgraph.core.recall import RecallNode, Recaller
from mem0_langgraph.core.render import render_memories
from mem0_langgraph.core.rerank import KeywordFusion, Reranker
from mem0_langgraph.core.scopes import Scope, ScopeConfig
from mem0_langgraph.core.state import MemoryState
from mem0_langgraph.core.store import StoreNode, Storer
from mem0_langgraph.core.supersede import LLMJudge, RuleJudge, SupersedeJudge, SupersedingBackend, superseding
from mem0_langgraph.core.writer import BackgroundWriter, MemoryWriter, SyncWriter, flush_all
from mem0_langgraph.errors import (
    LLMGateError,
    Mem0LangGraphError,
    MemoryBackendError,
    MemoryNotFoundError,
    ScopeError,
    WrongModeError,
)
from mem0_langgraph.gates.base import AlwaysRecall, NeverRecall, RecallDecision, RecallGate
from mem0_langgraph.gates.llm import LLMGate
from mem0_langgraph.gates.rules import RuleGate
from mem0_langgraph.gates.write import Exchange, RuleWriteGate, StoreAll, WriteDecision, WriteGate
from mem0_langgraph.gates.write_llm import LLMWriteGate

if TYPE_CHECKING:
    from mem0_langgraph.adapters.classic_memory import Mem0Memory
    from mem0_langgraph.gates.learned import LearnedGate

__all__ = [
    "AlwaysRecall",
    "BackgroundWriter",
    "BaseBackend",
    "EchoChatModel",
    "Exchange",
    "ForgetTool",
    "ForwardingBackend",
    "ImportReport",
    "KeywordFusion",
    "LLMGate",
    "LLMGateError",
    "LLMJudge",
    "LLMWriteGate",
    "LazyBackend",
    "LearnedGate",
    "Mem0Backend",
    "Mem0LangGraphError",
    "Mem0Memory",
    "Mem0Middleware",
    "Mem0Retriever",
    "MemoryBackend",
    "MemoryBackendError",
    "MemoryChange",
    "MemoryHit",
    "MemoryNotFoundError",
    "MemoryOptions",
    "MemoryRecord",
    "MemoryScope",
    "MemoryState",
    "MemoryWriter",
    "NeverRecall",
    "RecallDecision",
    "RecallGate",
    "RecallNode",
    "Recaller",
    "RecallerOptions",
    "RememberTool",
    "Reranker",
    "RuleGate",
    "RuleJudge",
    "RuleWriteGate",
    "Scope",
    "ScopeConfig",
    "ScopeError",
    "SearchMemoriesTool",
    "StoreAll",
    "StoreNode",
    "Storer",
    "StorerOptions",
    "SupersedeJudge",
    "SupersedingBackend",
    "SyncWriter",
    "WriteDecision",
    "WriteGate",
    "WrongModeError",
    "as_backend",
    "create_memory",
    "default_memory",
    "flush_all",
    "import_messages",
    "memory_tools",
    "render_memories",
    "reset_store",
    "superseding",
    "with_memory",
]

_LAZY = {
    # Mem0Memory subclasses langchain_classic's BaseMemory: importing it eagerly would make
    # every `import mem0_langgraph` load langchain_classic (an optional extra, and slow).
    "Mem0Memory": "mem0_langgraph.adapters.classic_memory",
    # LearnedGate needs numpy and its weights: loaded on first use, like the gate itself.
    "LearnedGate": "mem0_langgraph.gates.learned",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
