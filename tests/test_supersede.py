"""Newer supersedes older: the judges, and SupersedingBackend on the real embedded memory."""

from __future__ import annotations

import logging

from langchain_core.language_models import GenericFakeChatModel

from mem0_langgraph.backends.base import MemoryHit
from mem0_langgraph.core.store import Storer
from mem0_langgraph.core.supersede import LLMJudge, RuleJudge, SupersedingBackend, superseding
from tests.conftest import CountingBackend


def rows(backend, user_id):
    return {h.text: h for h in backend.get_all(filters={"user_id": user_id})}


def test_rule_judge() -> None:
    judge = RuleJudge()
    veg = MemoryHit("1", "I'm vegetarian.", 0.45)
    assert [s.old_id for s in judge.judge(MemoryHit("2", "I'm not vegetarian anymore."), [veg])] == ["1"]
    assert judge.judge(MemoryHit("2", "I love hiking."), [veg]) == []  # no cue, not similar
    assert judge.judge(MemoryHit("2", "Actually the deadline moved."), [MemoryHit("1", "I'm vegetarian.", 0.3)]) == []
    restated = judge.judge(MemoryHit("2", "I live in Porto."), [MemoryHit("1", "I live in Porto!", 0.9)])
    assert restated and "restated" in restated[0].reason


def test_rule_judge_leaves_small_talk_questions_and_other_speakers_alone() -> None:
    """On LoCoMo (two people chatting) the cue words are everywhere ("new", "now", "started"): a fifth of the
    turns were marked superseded, evidence among them; these are the cases that did it."""
    judge = RuleJudge()
    thanks = MemoryHit("1", "Joanna: Thanks Nate! A mix of emotions for sure.", 0.6)
    assert judge.judge(MemoryHit("2", "Joanna: Thanks, Nate! I'll keep you updated."), [thanks]) == []  # small talk
    told = MemoryHit("1", "Calvin: I just went to a music festival in Tokyo.", 0.7)
    assert judge.judge(MemoryHit("2", "Dave: How was the festival in Tokyo? See anything new?"), [told]) == []
    assert judge.judge(MemoryHit("2", "Dave: I went to a new music festival in Tokyo now."), [told]) == []  # another speaker
    moved = judge.judge(MemoryHit("2", "Calvin: I moved to Berlin now."), [MemoryHit("1", "Calvin: I live in Tokyo.", 0.45)])
    assert [s.old_id for s in moved] == ["1"]


def test_llm_judge_and_its_fallback() -> None:
    older = [MemoryHit("a", "I live in Lisbon.", 0.6), MemoryHit("b", "My sister lives in Porto.", 0.5)]
    judge = LLMJudge(GenericFakeChatModel(messages=iter(['{"replaced": [1, 7], "reason": "moved"}', "no idea"])))
    assert [(s.old_id, s.reason) for s in judge.judge(MemoryHit("n", "I moved to Berlin."), older)] == [("a", "llm: moved")]
    # unusable reply: the rules decide ("moved to" is a cue, "live"/"moved" share the home topic)
    assert [s.old_id for s in judge.judge(MemoryHit("n", "I moved to Berlin, I live in Mitte now."), older)] == ["a"]


def test_newer_statement_marks_the_older_one_and_unrelated_ones_stay(backend, user_id) -> None:
    wrapper = SupersedingBackend(backend)
    wrapper.add([{"role": "user", "content": "I live in Lisbon."}], ids={"user_id": user_id, "run_id": "t"},
                metadata={"said_at": "2026-01-10T10:00:00+00:00", "created_at": "2026-01-10T10:00:00+00:00"})
    wrapper.add([{"role": "user", "content": "My sister lives in Porto."}], ids={"user_id": user_id},
                metadata={"said_at": "2026-01-10T11:00:00+00:00"})
    wrapper.add([{"role": "user", "content": "My favourite band is Radiohead."}], ids={"user_id": user_id},
                metadata={"said_at": "2026-01-11T10:00:00+00:00"})
    wrapper.add([{"role": "user", "content": "I moved to Berlin last month, I live in Kreuzberg now."}],
                ids={"user_id": user_id, "run_id": "t2"}, metadata={"said_at": "2026-03-01T10:00:00+00:00"})
    got = rows(backend, user_id)
    old, band, sister = got["I live in Lisbon."], got["My favourite band is Radiohead."], got["My sister lives in Porto."]
    new = got["I moved to Berlin last month, I live in Kreuzberg now."]
    assert old.metadata["status"] == "superseded" and old.metadata["superseded_by"] == new.id
    assert old.metadata["superseded_at"].startswith("2026-03-01") and "status" not in band.metadata
    assert "status" not in sister.metadata  # another person's home is another subject
    assert wrapper.marked == 1


def test_an_older_statement_imported_later_does_not_supersede_a_newer_one(backend, user_id) -> None:
    """Order of arrival does not matter, only when things were said: the result is what time order gives."""
    wrapper = SupersedingBackend(backend)
    wrapper.add([{"role": "user", "content": "Actually I now work at Acme as a designer."}], ids={"user_id": user_id},
                metadata={"said_at": "2026-05-01T10:00:00+00:00"})
    wrapper.add([{"role": "user", "content": "I work at Acme as a designer."}], ids={"user_id": user_id},
                metadata={"said_at": "2025-01-01T10:00:00+00:00"})
    memories = rows(backend, user_id)
    newer, older = memories["Actually I now work at Acme as a designer."], memories["I work at Acme as a designer."]
    assert "status" not in newer.metadata  # the newer one stays current
    assert older.metadata.get("status") == "superseded" and older.metadata["superseded_by"] == newer.id


def test_assistant_advice_never_supersedes_or_is_superseded(backend, user_id) -> None:
    wrapper = SupersedingBackend(backend)
    wrapper.add([{"role": "assistant", "content": "Try the vegetarian tasting menu at Prado."}],
                ids={"user_id": user_id}, metadata={"category": "advice"})
    wrapper.add([{"role": "user", "content": "Actually I'm not vegetarian anymore."}], ids={"user_id": user_id})
    assert wrapper.marked == 0


def test_a_failing_supersede_step_never_fails_the_add(backend, user_id, caplog) -> None:
    def fail(op: str):
        return ConnectionError("search down") if op == "search" else None

    wrapper = SupersedingBackend(CountingBackend(backend, fail=fail))
    wrapper.base = wrapper.inner  # route the supersede step through the failing wrapper
    caplog.set_level(logging.WARNING, "mem0_langgraph")
    assert wrapper.add([{"role": "user", "content": "I'm vegan."}], ids={"user_id": user_id})
    assert "supersede: skipped" in caplog.text


async def test_async_path(backend, user_id) -> None:
    wrapper = SupersedingBackend(backend)
    await wrapper.aadd([{"role": "user", "content": "I drive a red Fiat."}], ids={"user_id": user_id},
                       metadata={"said_at": "2026-01-01T00:00:00+00:00"})
    await wrapper.aadd([{"role": "user", "content": "I drive a red Fiat."}], ids={"user_id": user_id},
                       metadata={"said_at": "2026-02-01T00:00:00+00:00"})
    assert wrapper.marked == 1  # the same statement restated: the newer one is current


def test_store_steps_share_one_wrapper_and_off_means_off(backend) -> None:
    # The store step writes through the entity index, which wraps the supersession wrapper.
    assert Storer(backend, sync_store=True).write_backend.inner is superseding(backend)
    assert Storer(backend, sync_store=True, supersede=None).write_backend.inner is backend


def test_a_write_that_lands_after_a_newer_one_is_the_superseded_one(backend, user_id) -> None:
    """Two workers at once: the newer statement landed first (its step could not see the older one yet),
    so the older one's step marks itself superseded; exactly one stays current."""
    ids = {"user_id": user_id, "run_id": "w"}
    backend.add([{"role": "user", "content": "I moved to Berlin last month."}], ids=ids,
                metadata={"said_at": "2026-03-02T09:00:00+00:00"})  # worker B, newer, landed first
    SupersedingBackend(backend).add([{"role": "user", "content": "I just moved to Lisbon."}], ids=ids,
                                    metadata={"said_at": "2026-03-01T09:00:00+00:00"})  # worker A, older, lands now
    memories = rows(backend, user_id)
    lisbon, berlin = memories["I just moved to Lisbon."], memories["I moved to Berlin last month."]
    assert lisbon.metadata.get("status") == "superseded" and lisbon.metadata["superseded_by"] == berlin.id
    assert berlin.metadata.get("status") != "superseded"
