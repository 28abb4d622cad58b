"""Time: when a memory was said, how ranking and rendering use it, and expiry ("this week")."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from langchain_core.messages import AIMessage, HumanMessage

from mem0_langgraph import AlwaysRecall, RecallNode, StoreNode
from mem0_langgraph.backends.base import BaseBackend, MemoryHit
from mem0_langgraph.core.recall import Recaller
from mem0_langgraph.core.render import render_memories
from mem0_langgraph.core.timeinfo import expiry_of, format_when, parse_time, said_at_of


class Empty(BaseBackend):
    def run(self, op):
        return []

    async def arun(self, op):
        return []


def test_parse_and_format() -> None:
    assert parse_time("2026-11-02T09:30:00Z") == datetime(2026, 11, 2, 9, 30, tzinfo=timezone.utc)
    assert parse_time(datetime(2026, 11, 2, 9, 30)).tzinfo is timezone.utc  # naive is taken as UTC
    assert parse_time(0).year == 1970 and parse_time(None) is None and parse_time("next tuesday") is None
    assert format_when("2023/05/20 (Sat) 21:24") == "2023-05-20 Sat 21:24 UTC"
    assert said_at_of({"role": "user", "content": "x", "timestamp": "2026-01-01"}).year == 2026


def test_expiry() -> None:
    friday = datetime(2026, 11, 6, 12, tzinfo=timezone.utc)
    assert expiry_of("I'm working from home today.", friday) == "2026-11-07"
    assert expiry_of("We're at the lake this weekend.", friday) == "2026-11-08"
    assert expiry_of("I'm in Lisbon until Tuesday.", friday) == "2026-11-10"
    assert expiry_of("I moved to Lisbon.", friday) is None
    # a lasting fact said with the plan keeps the whole memory (it used to vanish with the weekend)
    assert expiry_of("I'm at the lake this weekend. Any tips for fishing? By the way, I signed up for the "
                     "rewards program at ShopRite.", friday) is None
    assert expiry_of("We're at the lake this weekend. Any tips for fishing?", friday) == "2026-11-08"


def test_newer_statement_on_the_same_subject_moves_above_the_older_one() -> None:
    r = Recaller(Empty(), gate=AlwaysRecall(), reranker=None, recency_overlap=0.2, recency_band=0.1)
    old = MemoryHit("old", "My 5K personal best is 27:12.", 0.62, "2023-01-01T00:00:00+00:00")
    new = MemoryHit("new", "My new 5K personal best is 25:50!", 0.58, "2023-06-01T00:00:00+00:00")
    far = MemoryHit("far", "I ran a race in Porto.", 0.60, "2023-07-01T00:00:00+00:00")  # newer, another subject
    low = MemoryHit("low", "My 5K personal best goal is 25:00.", 0.30, "2023-08-01T00:00:00+00:00")  # too far below
    assert [h.id for h in r.rank_by_time([old, far, new, low])] == ["new", "old", "far", "low"]
    off = Recaller(Empty(), gate=AlwaysRecall(), reranker=None, recency_overlap=None, superseded_penalty=0.0)
    assert [h.id for h in off.rank_by_time([old, far, new, low])] == ["old", "far", "new", "low"]


def test_a_newer_memory_from_below_the_best_ten_does_not_push_a_recalled_one_out() -> None:
    """On LoCoMo (turns dated by session) lifting newer memories from as far as rank 30 cost evidence
    recall@10 0.064; only the best ten are reordered now."""
    from mem0_langgraph.core.ranking import time_rank

    hits = [MemoryHit(f"m{i}", f"Caroline went to the support group meeting number {i}.", 0.70 - 0.005 * i,
                      f"2023-01-{i + 1:02d}T00:00:00+00:00") for i in range(10)]
    late = MemoryHit("late", "Caroline went to the support group meeting again.", 0.64, "2023-12-01T00:00:00+00:00")
    ranked = [h.id for h in time_rank([*hits, late], recency_overlap=0.2, recency_band=0.1, superseded_penalty=0.1)]
    assert set(ranked[:10]) == {h.id for h in hits} and ranked[10] == "late"
    ranked = [h.id for h in time_rank([*hits[:9], late], recency_overlap=0.2, recency_band=0.1, superseded_penalty=0.1)]
    assert ranked.index("late") < ranked.index("m0")  # within the best ten, the newer statement comes first


def test_long_messages_that_share_four_words_are_one_subject() -> None:
    from mem0_langgraph.core.ranking import time_rank

    old = MemoryHit("old", "I'm still getting used to living in Tokyo, but I love the independence of my new studio "
                    "apartment in Harajuku; it's been a month now, and the neighbourhood cafes, the parks, the quiet "
                    "side streets and the vintage shops are wonderful.", 0.64, "2023-04-11T08:03:00+00:00")
    new = MemoryHit("new", "I'll check out Minato Mirai 21 and the Red Brick Warehouse on my day trip to Yokohama. By "
                    "the way, I've been living in my apartment in Harajuku for three months now.", 0.52,
                    "2023-10-15T20:50:00+00:00")
    assert [h.id for h in time_rank([old, new], recency_overlap=0.2, recency_band=0.3, superseded_penalty=0.1)] == [
        "new", "old"]


def test_message_time_is_kept_and_rendered(backend, user_id) -> None:
    cfg = {"configurable": {"user_id": user_id, "thread_id": "t"}}
    said = HumanMessage("I adopted a cat named Miso.", additional_kwargs={"timestamp": "2025-03-14T08:05:00+00:00"})
    StoreNode(memory=backend, sync_store=True).invoke({"messages": [said, AIMessage("Congratulations!")]}, cfg)
    [hit] = backend.get_all(filters={"user_id": user_id})
    assert hit.metadata["said_at"] == "2025-03-14T08:05:00+00:00" and hit.created_at.startswith("2025-03-14T08:05")
    out = RecallNode(memory=backend, gate=AlwaysRecall()).invoke({"messages": [HumanMessage("What is my cat called?")]},
                                                                   cfg)
    [memory] = out["recalled_memories"]
    assert memory["said_at"] == "2025-03-14T08:05:00+00:00" and memory["category"] == "event"
    text = render_memories(out["recalled_memories"]).content
    assert '- [2025-03-14 Fri 08:05 UTC] "I adopted a cat named Miso."' in text
    assert "newer one is current" in text and "Current time: " in text


def test_a_statement_for_this_week_is_not_recalled_after_it(backend, user_id) -> None:
    cfg = {"configurable": {"user_id": user_id, "thread_id": "t"}}
    long_ago = (datetime.now(timezone.utc) - timedelta(days=30)).isoformat()
    node = StoreNode(memory=backend, sync_store=True)
    out = node.invoke({"messages": [HumanMessage("I'm in Lisbon this week for a conference.",
                                                 additional_kwargs={"timestamp": long_ago})]}, cfg)
    assert out["memory_trace"]["write"]["expires"]
    node.invoke({"messages": [HumanMessage("I'm in Lisbon this week, at the Web Summit.")]}, cfg)
    hits = backend.search("Where am I this week?", filters={"user_id": user_id}, limit=10)
    assert [h.text for h in hits] == ["I'm in Lisbon this week, at the Web Summit."]  # last month's has expired
    assert len(backend.memory.get_all(filters={"user_id": user_id}, show_expired=True)["results"]) == 2


def test_only_the_part_a_question_asks_about_makes_two_long_messages_one_subject() -> None:
    """Long messages share many words without stating the same thing; with the question, only the sentence
    each one says about it counts (LongMemEval knowledge-update at top_k 5: 0.833 -> 0.917, train side)."""
    from mem0_langgraph.core.ranking import time_rank

    question = "What is my current record in the volleyball league?"
    old = MemoryHit("old", "I'm signing up for a triathlon in the fall and want a training plan for my fitness "
                    "level. By the way, we've been doing well in the volleyball league, we're 3-2 so far!", 0.66,
                    "2023-06-16T12:33:00+00:00")
    other = MemoryHit("other", "I'm also thinking of starting a recreational basketball league at my office for "
                      "my fitness and training, any tips for the fall?", 0.62, "2023-06-30T14:20:00+00:00")
    new = MemoryHit("new", "Any tips on how to train for a triathlon this fall? I'm feeling confident lately: our "
                    "volleyball team is doing well with a 5-2 record.", 0.55, "2023-06-30T14:25:00+00:00")
    ranked = time_rank([old, other, new], recency_overlap=0.2, recency_band=0.3, superseded_penalty=0.1,
                       question=question)
    assert [h.id for h in ranked] == ["new", "old", "other"]
    whole = [h.id for h in time_rank([old, other, new], recency_overlap=0.2, recency_band=0.3, superseded_penalty=0.1)]
    assert whole.index("other") < whole.index("old")  # on whole messages, chat about another league jumps the fact


def test_of_three_statements_of_one_thing_the_newest_comes_first_then_the_next() -> None:
    from mem0_langgraph.core.ranking import time_rank

    first = MemoryHit("first", "I wake up at 8:30 on Saturdays.", 0.70, "2023-05-01T00:00:00+00:00")
    second = MemoryHit("second", "These days I wake up at 8:00 on Saturdays.", 0.66, "2023-05-10T00:00:00+00:00")
    third = MemoryHit("third", "Now I wake up at 7:30 on Saturdays.", 0.64, "2023-05-20T00:00:00+00:00")
    ranked = time_rank([first, second, third], recency_overlap=0.2, recency_band=0.3, superseded_penalty=0.1,
                       question="What time do I wake up on Saturdays?")
    assert [h.id for h in ranked] == ["third", "second", "first"]
    assert ranked[0].score > ranked[1].score > ranked[2].score


def test_a_moved_memory_never_scores_above_the_unrelated_one_above_it() -> None:
    from mem0_langgraph.core.ranking import time_rank

    x = MemoryHit("x", "I play chess on Sundays.", 0.70, "2023-01-01T00:00:00+00:00")
    y = MemoryHit("y", "I wake up at 8:30 on Saturdays.", 0.70, "2023-01-01T00:00:00+00:00")
    z = MemoryHit("z", "Now I wake up at 7:30 on Saturdays.", 0.60, "2023-02-01T00:00:00+00:00")
    top = MemoryHit("top", "I wake up at 9 on Saturdays.", 1.0, "2022-12-01T00:00:00+00:00")
    later = MemoryHit("later", "These days I wake up at 7 on Saturdays.", 0.95, "2023-03-01T00:00:00+00:00")
    for hits in ([x, y, z], [top, later, x]):
        ranked = time_rank(hits, recency_overlap=0.2, recency_band=0.3, superseded_penalty=0.1,
                           question="What time do I wake up on Saturdays?")
        scores = [h.score for h in ranked]
        assert scores == sorted(scores, reverse=True) and max(scores) <= 1.0
    ranked = time_rank([x, y, z], recency_overlap=0.2, recency_band=0.3, superseded_penalty=0.1,
                       question="What time do I wake up on Saturdays?")
    assert [h.id for h in ranked] == ["x", "z", "y"]


def test_a_newer_statement_of_change_from_below_the_best_ten_comes_up_above_the_fact_it_updates() -> None:
    """Dense search ranks a long message by everything it says: the update can sit far below the older fact."""
    from mem0_langgraph.core.ranking import time_rank

    question = "What type of vehicle model am I currently working on?"
    old = MemoryHit("old", "Any tips on weathering effects for my current project, a Ford Mustang Shelby model?", 0.62,
                    "2023-05-20T15:14:00+00:00")
    chat = [MemoryHit(f"c{i}", f"I'm thinking about a side hustle number {i} for my schedule.", 0.60 - 0.01 * i,
                      "2023-05-27T00:00:00+00:00") for i in range(10)]
    new = MemoryHit("new", "I have just wrapped up a model and switched to a Ford F-150 pickup truck. Any advice on "
                    "decals for curved surfaces?", 0.45, "2023-05-26T04:47:00+00:00")
    ranked = [h.id for h in time_rank([old, *chat, new], recency_overlap=0.2, recency_band=0.3,
                                      superseded_penalty=0.1, question=question)]
    assert ranked[:2] == ["new", "old"] and len(ranked) == 12
    # no statement of change ("I'm adding decals to my Ford model"): it stays where search put it
    plain = MemoryHit("new", "I'm adding decals to my Ford F-150 pickup truck model.", 0.45,
                      "2023-05-26T04:47:00+00:00")
    ranked = [h.id for h in time_rank([old, *chat, plain], recency_overlap=0.2, recency_band=0.3,
                                      superseded_penalty=0.1, question=question)]
    assert ranked[-1] == "new"
    # nor does an assistant reply that says "switched to", or a change about another subject
    reply = MemoryHit("new", "Since you just switched to a Ford F-150 pickup model, try decals.", 0.45,
                      "2023-05-26T04:47:00+00:00", metadata={"role": "assistant"})
    other = MemoryHit("new", "I just switched to a standing desk at work, my back model posture is better.", 0.45,
                      "2023-05-26T04:47:00+00:00")
    for h in (reply, other):
        ranked = [x.id for x in time_rank([old, *chat, h], recency_overlap=0.2, recency_band=0.3,
                                          superseded_penalty=0.1, question=question)]
        assert ranked[-1] == "new"


def test_a_new_value_for_the_same_slot_is_the_same_subject() -> None:
    """"level 150" after "level 100": the sentences share one content word, the slot says they are one subject."""
    from mem0_langgraph.core.ranking import time_rank

    question = "What is my goal for my Apex Legends level?"
    old = MemoryHit("old", "Can you recommend a mouse for FPS games like Apex Legends? I'm determined to reach "
                    "level 100 before the end of the year.", 0.64, "2023-06-16T04:38:00+00:00")
    new = MemoryHit("new", "We'll just play for fun this weekend. But I'm still aiming to hit level 150 eventually.",
                    0.59, "2023-09-30T12:45:00+00:00")
    same = MemoryHit("new", "We'll just play for fun this weekend. I still want to hit level 100 eventually.", 0.59,
                     "2023-09-30T12:45:00+00:00")
    assert [h.id for h in time_rank([old, new], recency_overlap=0.2, recency_band=0.3, superseded_penalty=0.1,
                                    question=question)] == ["new", "old"]
    assert [h.id for h in time_rank([old, same], recency_overlap=0.2, recency_band=0.3, superseded_penalty=0.1,
                                    question=question)] == ["old", "new"]  # the same value: nothing changed


def test_a_pull_never_lifts_a_superseded_or_outdated_statement_and_keeps_every_hit_once() -> None:
    from mem0_langgraph.core.ranking import time_rank

    question = "What model am I working on?"
    old = MemoryHit("old", "My current project is a Ford Mustang model.", 0.62, "2023-05-20T00:00:00+00:00")
    chat = [MemoryHit(f"c{i}", f"Some other chat number {i}.", 0.60 - 0.01 * i) for i in range(9)]
    stale = MemoryHit("stale", "I switched to a Ford pickup model now.", 0.45, "2023-05-26T00:00:00+00:00",
                      metadata={"status": "superseded", "superseded_by": "x"})
    ranked = time_rank([old, *chat, stale], recency_overlap=0.2, recency_band=0.3, superseded_penalty=0.1,
                       question=question)
    assert ranked[-1].id == "stale" and ranked[-1].score < 0.45  # stays below, with its penalty
    # the head already holds a later statement on the subject: an in-between change is not pulled over it
    later = MemoryHit("later", "Finished the pickup. My current project is a Ford Bronco model.", 0.55,
                      "2023-06-30T00:00:00+00:00")
    between = MemoryHit("between", "I switched to a Ford pickup model now.", 0.45, "2023-05-26T00:00:00+00:00")
    hits = [old, later, *chat[:8], between]
    ranked = time_rank(hits, recency_overlap=0.2, recency_band=0.3, superseded_penalty=0.1, question=question)
    assert ranked[-1].id == "between" and ranked[0].id == "later"
    assert sorted(h.id for h in ranked) == sorted(h.id for h in hits)
    scores = [h.score for h in ranked]
    assert scores == sorted(scores, reverse=True) and max(scores) <= 1.0


def test_numbers_next_to_words_the_question_does_not_ask_about_make_no_slot() -> None:
    """A time of day or a count of something else is no slot: only the question's words are units."""
    from mem0_langgraph.core.ranking import slot_values
    from mem0_langgraph.core.rerank import question_terms

    asked = question_terms("When is my yoga class, and what level am I at?")
    assert slot_values("My yoga class is at 6 pm on Tuesdays.", asked) == {}
    assert slot_values("Is level 120 hard? I'm at level 100 in yoga class.", asked) == {"level": frozenset({"100"})}
