"""Gated long-term memory for LangGraph and LangChain apps, on mem0.

Public API:
    create_memory: a mem0 memory, offline by default (Chroma + local MiniLM).
    with_memory: wrap an LLM node in recall-before / store-after; returns a StateGraph.
    RecallNode: recall-before node (gate, search, filter, budget).
    StoreNode: store-after node (write policy, background writer).
    MemoryState: graph state (messages + this turn's recall and trace).
    RecallGate: protocol of recall gates; RecallDecision: a gate's verdict.
    RuleGate: the default gate (rules); AlwaysRecall / NeverRecall: baselines.
    ScopeConfig / Scope: where user, agent and session ids come from.
    MemoryBackend / Mem0Backend: the backend interface and its mem0 adapter.
    BackgroundWriter / SyncWriter / MemoryWriter: how writes reach the backend; flush_all.
    render_memories: the memory system message; EchoChatModel: offline stand-in LLM.
    Errors: ScopeError, MemoryBackendError, InvalidMessageError, Mem0LangGraphError.
"""

from mem0_langgraph.backend import Mem0Backend, MemoryBackend, MemoryHit
from mem0_langgraph.echo_model import EchoChatModel
from mem0_langgraph.errors import InvalidMessageError, Mem0LangGraphError, MemoryBackendError, ScopeError
from mem0_langgraph.factory import create_memory
from mem0_langgraph.gate import AlwaysRecall, NeverRecall, RecallDecision, RecallGate
from mem0_langgraph.graph import with_memory
from mem0_langgraph.recall import RecallNode, Recaller
from mem0_langgraph.render import render_memories
from mem0_langgraph.rule_gate import RuleGate
from mem0_langgraph.scopes import Scope, ScopeConfig
from mem0_langgraph.state import MemoryState
from mem0_langgraph.store import StoreNode, Storer
from mem0_langgraph.writer import BackgroundWriter, MemoryWriter, SyncWriter, flush_all

__all__ = [
    "AlwaysRecall",
    "BackgroundWriter",
    "EchoChatModel",
    "InvalidMessageError",
    "Mem0Backend",
    "Mem0LangGraphError",
    "MemoryBackend",
    "MemoryBackendError",
    "MemoryHit",
    "MemoryState",
    "MemoryWriter",
    "NeverRecall",
    "RecallDecision",
    "RecallGate",
    "RecallNode",
    "Recaller",
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
