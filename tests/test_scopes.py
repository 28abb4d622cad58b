from __future__ import annotations

from dataclasses import dataclass

import pytest

from mem0_langgraph import ScopeConfig
from mem0_langgraph.core.scopes import Scope
from mem0_langgraph.errors import ScopeError


class FakeRuntime:  # stands in for langgraph.runtime.Runtime: only .context is read
    def __init__(self, context: object) -> None:
        self.context = context


@dataclass
class Ctx:
    user_id: str
    agent_id: str | None = None


def test_reads_configurable_and_thread_id() -> None:
    scope = ScopeConfig().resolve({"configurable": {"user_id": "alice", "thread_id": "t1", "agent_id": "bot"}})
    assert scope == Scope(user_id="alice", agent_id="bot", run_id="t1")


def test_runtime_context_wins_over_configurable() -> None:
    cfg = {"configurable": {"user_id": "from-config"}}
    assert ScopeConfig().resolve(cfg, FakeRuntime(Ctx(user_id="from-context"))).user_id == "from-context"
    assert ScopeConfig().resolve(cfg, FakeRuntime({"user_id": "dict-context"})).user_id == "dict-context"


def test_key_names_are_configurable() -> None:
    cfg = ScopeConfig(user_key="customer", run_key="session")
    scope = cfg.resolve({"configurable": {"customer": "c9", "session": "s1"}})
    assert (scope.user_id, scope.run_id) == ("c9", "s1")


def test_missing_user_lists_available_keys() -> None:
    with pytest.raises(ScopeError) as err:
        ScopeConfig().resolve({"configurable": {"thread_id": "t", "tenant": "x"}}, FakeRuntime({"org": "o"}))
    assert err.value.level == "user"
    assert err.value.available == ["org", "tenant", "thread_id"]
    assert "tenant" in str(err.value) and "user_id" in str(err.value)


@pytest.mark.parametrize("bad", ["", "   ", "a" * 300, "bad\nid", 3.5, True, ["x"]])
def test_malformed_ids_raise(bad: object) -> None:
    with pytest.raises(ScopeError):
        ScopeConfig().resolve({"configurable": {"user_id": bad}})


def test_int_ids_are_accepted_as_strings() -> None:
    assert ScopeConfig().resolve({"configurable": {"user_id": 42}}).user_id == "42"


def test_levels_written_and_searched() -> None:
    cfg = ScopeConfig(write_levels=("user", "agent", "run"), search_levels=("user", "agent"))
    scope = Scope(user_id="u", agent_id="a", run_id="r")
    assert cfg.write_ids(scope) == {"user_id": "u", "agent_id": "a", "run_id": "r"}
    assert cfg.search_filters(scope) == {"user_id": "u", "agent_id": "a"}
    # absent optional levels are left out, not written as None
    assert ScopeConfig().write_ids(Scope(user_id="u")) == {"user_id": "u"}


def test_defaults_and_validation() -> None:
    assert ScopeConfig(defaults={"user": "solo"}).resolve({}).user_id == "solo"
    with pytest.raises(ValueError, match="unknown levels"):
        ScopeConfig(search_levels=("tenant",))  # type: ignore[arg-type]
