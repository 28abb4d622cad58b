"""Every option, through every adapter, takes effect; unknown ones fail the same way everywhere."""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import pytest

from mem0_langgraph import (
    KeywordFusion,
    Mem0Middleware,
    Mem0Retriever,
    MemoryOptions,
    RuleGate,
    ScopeConfig,
    StoreNode,
    SyncWriter,
    with_memory,
)
from mem0_langgraph.adapters.classic_memory import Mem0Memory
from mem0_langgraph.cli.echo_model import EchoChatModel
from mem0_langgraph.core.options import DEFAULTS, RecallerOptions, StorerOptions
from mem0_langgraph.core.store import SkipTrivialTurns
from mem0_langgraph.gates.write import StoreAll

GATE, SCOPES, RERANKER, POLICY = RuleGate(threshold=0.7), ScopeConfig(user_key="uid"), KeywordFusion(weight=0.5), \
    SkipTrivialTurns()
WRITE_GATE = StoreAll()

# option -> (a value unlike the default, how to read it back from (recaller, storer))
CASES: dict[str, tuple[Any, Callable[[Any, Any], Any]]] = {
    "gate": (GATE, lambda r, s: r.gate),
    "scopes": (SCOPES, lambda r, s: (r.scopes, s.scopes)),
    "top_k": (3, lambda r, s: r.top_k),
    "search_k": (40, lambda r, s: r.search_k),
    "min_score": (0.55, lambda r, s: r.min_score),
    "max_tokens": (123, lambda r, s: r.max_tokens),
    "recent_window": (2, lambda r, s: r.recent_window),
    "reranker": (None, lambda r, s: r.reranker),
    "probe_band": (None, lambda r, s: r.probe_band),
    "probe_min_score": (0.6, lambda r, s: r.probe_min_score),
    "recall_timeout_s": (0.25, lambda r, s: r.recall_timeout_s),
    "recency_overlap": (0.3, lambda r, s: r.recency_overlap),
    "recency_band": (0.05, lambda r, s: r.recency_band),
    "superseded_penalty": (0.25, lambda r, s: r.superseded_penalty),
    "index_k": (3, lambda r, s: r.index_k),
    "link_k": (0, lambda r, s: r.link_k),
    "temporal": (False, lambda r, s: r.temporal),
    "role_lift": (0.5, lambda r, s: r.role_lift),
    "write_gate": (WRITE_GATE, lambda r, s: s.gate),
    # off: writes go straight to the backend (through the entity index's wrapper only)
    "supersede": (None, lambda r, s: s.write_backend.inner is s.backend),
    "writer": ("writer", lambda r, s: s.writer),
    "sync_store": (True, lambda r, s: isinstance(s.writer, SyncWriter)),
    "write_policy": (POLICY, lambda r, s: s.policy),
    "store_roles": (("user",), lambda r, s: s.roles),
    "store_max_chars": (10, lambda r, s: s.max_chars),
    "store_metadata": ({"app": "tests"}, lambda r, s: s.metadata),
    "on_error": ("ignore", lambda r, s: (r.on_error, s.on_error)),
}


def expected(name: str, value: Any) -> Any:
    if name == "scopes":
        return (value, value)
    if name == "on_error":
        return (value, value)
    if name in ("sync_store", "supersede"):
        return True
    if name == "store_roles":
        return tuple(value)
    if name == "store_metadata":
        return dict(value)
    return value


def components(adapter: str, backend: Any, **options: Any) -> tuple[Any, Any]:
    if adapter == "with_memory":
        nodes = with_memory(EchoChatModel(), memory=backend, **options).nodes
        return nodes["recall"].runnable.recaller, nodes["store"].runnable.storer
    if adapter == "middleware":
        mw = Mem0Middleware(backend, **options)
        return mw.recaller, mw.storer
    memory = Mem0Memory(memory=backend, user_id="u", **options)
    return memory._recaller, memory._storer


def test_cases_cover_every_option() -> None:
    assert set(CASES) == set(MemoryOptions.__annotations__)
    for name, (value, _) in CASES.items():
        assert value != DEFAULTS[name] or name == "writer", name


@pytest.mark.parametrize("adapter", ["with_memory", "middleware", "classic"])
@pytest.mark.parametrize("name", sorted(CASES))
def test_every_option_takes_effect_in_every_adapter(backend, adapter: str, name: str) -> None:
    value, read = CASES[name]
    if name == "writer":
        value = SyncWriter(backend)
    recaller, storer = components(adapter, backend, **{name: value})
    assert read(recaller, storer) == expected(name, value)


def test_the_classic_memory_bug_is_gone(backend) -> None:
    """The reported case: these options used to vanish silently."""
    m = Mem0Memory(memory=backend, user_id="a", reranker=None, probe_band=None, store_max_chars=10)
    assert m._recaller.reranker is None and m._recaller.probe_band is None and m._storer.max_chars == 10
    assert Mem0Memory(memory=backend, user_id="a")._recaller.recent_window == 0  # a chain has no window


@pytest.mark.parametrize("build", [
    lambda b: with_memory(EchoChatModel(), memory=b, topk=3),
    lambda b: Mem0Middleware(b, topk=3),
    lambda b: Mem0Memory(memory=b, user_id="u", topk=3),
    lambda b: Mem0Retriever(memory=b, user_id="u", topk=3),
    lambda b: StoreNode(memory=b, top_k=3),
], ids=["with_memory", "middleware", "classic", "retriever", "store_node"])
def test_unknown_options_fail_with_one_error(backend, build) -> None:
    with pytest.raises(TypeError, match=r"unknown memory option\(s\) \['top_?k'\]; valid: "):
        build(backend)


def test_retriever_applies_what_applies(backend) -> None:
    r = Mem0Retriever(memory=backend, user_id="u", k=2, min_score=0.5, search_k=30, reranker=None, on_error="ignore")
    assert (r.k, r.min_score, r.search_k, r.reranker, r.on_error) == (2, 0.5, 30, None, "ignore")
    assert isinstance(Mem0Retriever(memory=backend, user_id="u").reranker, KeywordFusion)  # one default


def test_old_store_names_still_work_with_a_warning(backend) -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        node = StoreNode(memory=backend, sync=True, roles=("user",), max_chars=50, policy=POLICY, metadata={"a": 1})
    storer = node.storer
    assert isinstance(storer.writer, SyncWriter) and storer.roles == ("user",) and storer.max_chars == 50
    assert storer.policy is POLICY and storer.metadata == {"a": 1}
    assert sum(issubclass(w.category, DeprecationWarning) for w in caught) == 5
    with pytest.raises(TypeError, match="not both"):
        StoreNode(memory=backend, sync=True, sync_store=True)


def test_option_sides_partition_the_whole_set() -> None:
    shared = {"scopes", "on_error"}
    assert set(RecallerOptions.__annotations__) & set(StorerOptions.__annotations__) == shared
    assert set(RecallerOptions.__annotations__) | set(StorerOptions.__annotations__) == set(MemoryOptions.__annotations__)
