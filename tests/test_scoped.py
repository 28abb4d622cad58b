"""`MemoryScope` and `reset_store` on the real embedded memory: three levels, and no way into another scope."""

from __future__ import annotations

import dataclasses
import uuid

import pytest

from mem0_langgraph.backends.factory import create_memory
from mem0_langgraph.backends.records import MemoryChange, MemoryRecord
from mem0_langgraph.backends.scoped import MemoryScope, reset_store
from mem0_langgraph.errors import MemoryNotFoundError, ScopeError


def _id(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


@pytest.fixture
def levels(backend, user_id):
    """One user's memories at the three levels, plus another user's, all in the shared store."""
    agent, other = _id("agent"), _id("bob")
    scopes = {
        "user": MemoryScope(backend, user_id=user_id),
        "t1": MemoryScope(backend, user_id=user_id, run_id=f"{user_id}-t1"),
        "t2": MemoryScope(backend, user_id=user_id, run_id=f"{user_id}-t2"),
        "agent": MemoryScope(backend, agent_id=agent),
        "other": MemoryScope(backend, user_id=other),
    }
    recs = {
        "user": scopes["user"].add("I'm vegetarian.", metadata={"category": "diet"})[0],
        "t1": scopes["t1"].add("Today I'm cooking for six people.")[0],
        "t2": scopes["t2"].add("My flight to Porto leaves at nine.")[0],
        "agent": scopes["agent"].add("Answer in British English.")[0],
        "other": scopes["other"].add("I'm allergic to shellfish.")[0],
    }
    return scopes, recs


def test_add_returns_typed_records_with_scope_ids_and_metadata(levels, user_id) -> None:
    _, recs = levels
    rec = recs["user"]
    assert isinstance(rec, MemoryRecord) and rec.text == "I'm vegetarian."
    assert (rec.user_id, rec.agent_id, rec.run_id) == (user_id, None, None)
    assert rec.metadata["category"] == "diet" and "hash" not in rec.metadata and rec.created_at
    assert (recs["t1"].user_id, recs["t1"].run_id) == (user_id, f"{user_id}-t1")
    assert recs["agent"].agent_id.startswith("agent-") and recs["agent"].user_id is None
    with pytest.raises(dataclasses.FrozenInstanceError):
        rec.text = "changed"  # type: ignore[misc]


def test_each_level_lists_only_its_memories(levels) -> None:
    scopes, recs = levels
    texts = {name: sorted(r.text for r in scope.list()) for name, scope in scopes.items()}
    # The user level sees every session of that user; a session sees itself; nobody sees bob or the agent.
    assert texts["user"] == sorted([recs["user"].text, recs["t1"].text, recs["t2"].text])
    assert texts["t1"] == [recs["t1"].text] and texts["t2"] == [recs["t2"].text]
    assert texts["agent"] == [recs["agent"].text] and texts["other"] == [recs["other"].text]


def test_search_ranks_within_the_scope_and_scores(levels) -> None:
    scopes, recs = levels
    hits = scopes["user"].search("what food do I avoid?")
    assert hits[0].id == recs["user"].id and hits[0].score is not None and hits[0].score > 0
    assert recs["other"].id not in {h.id for h in hits}  # bob's shellfish allergy stays bob's
    assert [h.id for h in scopes["other"].search("allergies")] == [recs["other"].id]
    with pytest.raises(ValueError, match="empty"):
        scopes["user"].search("   ")


@pytest.mark.parametrize("op", ["get", "update", "history", "delete"])
def test_ids_of_other_scopes_are_refused_and_left_untouched(levels, op) -> None:
    scopes, recs = levels
    attempts = [("other", "user"), ("user", "other"), ("t1", "t2"), ("agent", "user"), ("user", "agent"),
                ("t2", "user")]  # a session scope cannot reach the user's session-less memories
    for scope_name, victim in attempts:
        scope, target = scopes[scope_name], recs[victim]
        with pytest.raises(MemoryNotFoundError) as err:
            if op == "update":
                scope.update(target.id, text="hijacked")
            else:
                getattr(scope, op)(target.id)
        assert err.value.memory_id == target.id and "hijacked" not in str(err.value)
    for name, rec in recs.items():
        owner = scopes[name]
        assert owner.get(rec.id).text == rec.text  # all still there, unchanged


@pytest.mark.parametrize("bad", ["", " ", "*", "no-such-id", "x" * 500, "../../etc/passwd", "id with space"])
def test_unknown_or_malformed_ids_read_as_not_found(levels, bad) -> None:
    scopes, _ = levels
    with pytest.raises(MemoryNotFoundError):
        scopes["user"].get(bad)


def test_update_changes_text_and_merges_metadata_and_history_records_it(levels) -> None:
    scopes, recs = levels
    rec = scopes["user"].update(recs["user"].id, text="I'm vegan.", metadata={"confidence": "high"})
    assert rec.text == "I'm vegan." and rec.metadata["category"] == "diet" and rec.metadata["confidence"] == "high"
    assert rec.updated_at and rec.updated_at >= rec.created_at
    changes = scopes["user"].history(rec.id)
    assert all(isinstance(c, MemoryChange) for c in changes)
    assert [(c.event, c.old_text, c.new_text) for c in changes] == [
        ("ADD", None, "I'm vegetarian."), ("UPDATE", "I'm vegetarian.", "I'm vegan.")]
    # A memory of a session is reachable from its user's scope too (the user owns every session).
    assert scopes["user"].update(recs["t1"].id, text="Cooking for eight.").run_id == recs["t1"].run_id


def test_update_refuses_empty_or_scope_moving_changes(levels) -> None:
    scopes, recs = levels
    uid = recs["user"].id
    for kwargs in ({}, {"text": "  "}, {"metadata": {"user_id": "bob"}}, {"metadata": {"run_id": "x"}}):
        with pytest.raises(ValueError):
            scopes["user"].update(uid, **kwargs)
    assert scopes["user"].get(uid).user_id == recs["user"].user_id


def test_delete_and_delete_all_stay_inside_the_scope(levels) -> None:
    scopes, recs = levels
    assert scopes["user"].delete(recs["t2"].id).text == recs["t2"].text
    with pytest.raises(MemoryNotFoundError):
        scopes["user"].get(recs["t2"].id)
    assert scopes["t1"].delete_all() == 1
    assert [r.id for r in scopes["user"].list()] == [recs["user"].id]  # the session-less memory survives
    assert scopes["user"].delete_all() == 1 and scopes["user"].list() == [] and scopes["user"].delete_all() == 0
    assert [r.id for r in scopes["other"].list()] == [recs["other"].id]
    assert [r.id for r in scopes["agent"].list()] == [recs["agent"].id]


async def test_async_twins_do_the_same(backend) -> None:
    alice, bob = MemoryScope(backend, user_id=_id("alice")), MemoryScope(backend, user_id=_id("bob"))
    [rec] = await alice.aadd([{"role": "user", "content": "I play the cello."}, {"role": "assistant", "content": ""}])
    assert [r.id for r in await alice.alist()] == [rec.id]
    assert (await alice.asearch("music"))[0].id == rec.id
    assert (await alice.aupdate(rec.id, text="I play the viola.")).text == "I play the viola."
    assert [c.event for c in await alice.ahistory(rec.id)] == ["ADD", "UPDATE"]
    with pytest.raises(MemoryNotFoundError):
        await bob.adelete(rec.id)
    assert (await alice.aget(rec.id)).text == "I play the viola."
    assert (await alice.adelete(rec.id)).id == rec.id and await alice.adelete_all() == 0


def test_scope_ids_and_content_are_validated(backend) -> None:
    with pytest.raises(ScopeError, match="at least one"):
        MemoryScope(backend)
    for bad in ("*", "alice bob", "", "$ne", "alice\n"):
        with pytest.raises(ScopeError):
            MemoryScope(backend, user_id=bad)
    for empty in ("  ", [{"role": "user", "content": ""}], []):
        with pytest.raises(ValueError, match="nothing to store"):
            MemoryScope(backend, user_id="carol").add(empty)


def test_for_run_reads_the_scope_from_the_run(backend) -> None:
    scope = MemoryScope.for_run(backend, {"configurable": {"user_id": "carol", "thread_id": "t9"}})
    assert scope.ids == {"user_id": "carol"}
    scope = MemoryScope.for_run(backend, {"configurable": {"user_id": "carol", "thread_id": "t9"}},
                                levels=("user", "run"))
    assert scope.ids == {"user_id": "carol", "run_id": "t9"}
    with pytest.raises(ScopeError, match="present keys: \\['thread_id'\\]"):
        MemoryScope.for_run(backend, {"configurable": {"thread_id": "t9"}})


def test_reset_store_needs_confirmation_and_wipes_every_user(tmp_path) -> None:
    memory = create_memory(data_dir=tmp_path, collection="reset-test")  # its own store: never the shared one
    alice, bob = MemoryScope(memory, user_id="alice"), MemoryScope(memory, user_id="bob")
    alice.add("I'm vegetarian.")
    bob.add("I'm a night owl.")
    for confirm in (False, "yes", 1):
        with pytest.raises(ValueError, match="confirm=True"):
            reset_store(memory, confirm=confirm)  # type: ignore[arg-type]
    assert len(alice.list()) == 1
    reset_store(alice.backend, confirm=True)
    assert alice.list() == [] and bob.list() == []
    assert alice.add("Fresh start.")[0].text == "Fresh start."  # the store works after a reset
    with pytest.raises(TypeError, match="no reset"):
        reset_store(object(), confirm=True)
