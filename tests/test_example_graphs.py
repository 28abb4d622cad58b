"""The example graphs in graphs/ and langgraph.json: each loads as ``langgraph dev`` loads it, and remembers."""

from __future__ import annotations

import importlib.util
import json
import sys
import uuid
from pathlib import Path
from types import ModuleType

import pytest
from langgraph.checkpoint.memory import InMemorySaver

from mem0_langgraph import EchoChatModel
from mem0_langgraph.backends.scoped import MemoryScope

ROOT = Path(__file__).resolve().parent.parent
HEAVY = ("torch", "mem0", "chromadb", "sentence_transformers")


def load(name: str) -> ModuleType:
    """Import ``graphs/<name>.py`` by path, registered under a module name, as langgraph-api does."""
    modname = f"graphs__{name}"
    if modname not in sys.modules:
        spec = importlib.util.spec_from_file_location(modname, ROOT / "graphs" / f"{name}.py")
        module = importlib.util.module_from_spec(spec)
        sys.modules[modname] = module
        spec.loader.exec_module(module)
    return sys.modules[modname]


def turn(graph, text: str, user: str, thread: str) -> dict:
    return graph.invoke({"messages": [("user", text)]}, {"configurable": {"user_id": user, "thread_id": thread}})


def test_langgraph_json_names_every_graph_and_they_load_without_opening_a_store() -> None:
    config = json.loads((ROOT / "langgraph.json").read_text())
    assert set(config["graphs"]) == {"memory_chat", "learning_assistant", "customer_service"}
    code = ("import importlib.util, json, sys\n"
            "for gid, spec in json.load(open('langgraph.json'))['graphs'].items():\n"
            "    path, var = spec.split(':')\n"
            "    mod = path.replace('/', '__').replace('.py', '').lstrip('.')\n"
            "    s = importlib.util.spec_from_file_location(mod, path); m = importlib.util.module_from_spec(s)\n"
            "    sys.modules[mod] = m; s.loader.exec_module(m)\n"
            "    g = m.__dict__[var]\n"  # langgraph-api reads the module's __dict__, not getattr
            "    assert type(g).__name__ == 'CompiledStateGraph' and g.checkpointer is None, gid\n"
            f"print(','.join(x for x in {HEAVY!r} if x in sys.modules))\n")
    import subprocess

    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == ""  # no model, no mem0, no Chroma at import


def test_memory_chat_recalls_across_sessions(backend, user_id) -> None:
    graph = load("memory_chat").make_graph(memory=backend, model=EchoChatModel(), sync_store=True,
                                           store_roles=("user",), checkpointer=InMemorySaver())
    turn(graph, "I'm vegetarian and allergic to peanuts.", user_id, "monday")
    out = turn(graph, "What should I cook for dinner tonight?", user_id, "tuesday")
    assert out["memory_trace"]["recall"] and "vegetarian" in out["messages"][-1].content
    assert [n for n in graph.get_graph().nodes if not n.startswith("__")] == ["recall", "agent", "store"]


class SystemSpy(EchoChatModel):
    """The echo model, keeping the system prompt of every call (the tone, the plan)."""

    seen: list = []  # noqa: RUF012 -- a pydantic field; each test passes its own list

    def _generate(self, messages, stop=None, run_manager=None, **kwargs):
        self.seen.append(messages[0].content)
        return super()._generate(messages, stop, run_manager, **kwargs)


def test_learning_assistant_plans_from_the_learners_profile(backend, user_id) -> None:
    la = load("learning_assistant")
    tutor = SystemSpy(seen=[])
    graph = la.make_graph(memory=backend, model=tutor, checkpointer=InMemorySaver())
    first = turn(graph, "I'm a beginner in Spanish and I keep mixing up ser and estar.", user_id, "lesson-1")
    assert "plan" not in first  # nothing to plan from yet: the gate stayed quiet, no planning step ran
    turn(graph, "I learn best with flashcards.", user_id, "lesson-1")
    second = turn(graph, "What should I study next?", user_id, "lesson-2")
    assert second["memory_trace"]["recall"]
    assert second["profile"]["mistake"] == ["I'm a beginner in Spanish and I keep mixing up ser and estar."]
    assert second["plan"].startswith("Next step: a set of 10 flashcards on what you keep getting wrong")
    assert f"Plan for this turn: {second['plan']}" in tutor.seen[-1]  # the tutor was handed the plan
    explain = turn(graph, "Can you explain what a verb conjugation is?", user_id, "lesson-2")
    assert not explain["memory_trace"]["recall"] and "Plan for this turn" not in tutor.seen[-1]
    [mistake] = [r for r in MemoryScope(backend, user_id=user_id).list() if "ser and estar" in r.text]
    assert mistake.metadata == {"role": "user", "category": "learner_profile", "kinds": "mistake,level"}


def test_learning_assistant_latest_preference_wins(backend, user_id) -> None:
    la = load("learning_assistant")
    graph = la.make_graph(memory=backend, model=EchoChatModel())
    turn(graph, "I'm an intermediate learner of German.", user_id, "a")
    turn(graph, "I learn best with flashcards.", user_id, "a")
    turn(graph, "Actually I now prefer worked examples over flashcards.", user_id, "b")
    out = turn(graph, "What should I work on next?", user_id, "c")
    assert out["plan"].startswith("Next step: three worked examples")


def test_lexicon_tagger_reads_emotion_and_intensity_offline() -> None:
    tagger = load("customer_service").LexiconTagger()
    calm, angry, worried, happy, negated = (tagger.tag(t) for t in (
        "Where can I change my delivery address?",
        "This is RIDICULOUS. My order is late AGAIN and I'm furious!!",
        "I'm worried my payment was stolen.",
        "Wonderful, thank you, I'm so happy with the fix!",
        "I'm not happy with this."))
    assert (calm.emotion, calm.intensity) == ("neutral", 0.0)
    assert angry.mood == "frustrated" and angry.intensity == 1.0 and "furious" in angry.cues
    assert worried.mood == "worried" and happy.mood == "pleased"
    assert negated.emotion == "neutral"  # "not happy" is not joy


def test_customer_service_recalls_past_issues_and_escalates_repeated_frustration(backend, user_id) -> None:
    cs = load("customer_service")
    graph = cs.make_graph(memory=backend, model=EchoChatModel(), checkpointer=InMemorySaver())
    first = turn(graph, "My order #4411 arrived broken and I'm really annoyed.", user_id, "ticket-1")
    assert first["emotion"]["emotion"] == "anger" and not first["escalated"]
    assert first["mood"] == {"past_issues": 0, "frustrated_recently": 1, "last_emotion": None}
    second = turn(graph, "Any news about my replacement order?", user_id, "ticket-2")
    assert second["memory_trace"]["recall"] and "#4411" in second["messages"][-1].content  # recalled last issue
    assert "contacted us 1 time before; last time they were frustrated" in second["tone"]
    third = turn(graph, "It's still not here, this is ridiculous and awful!", user_id, "ticket-2")
    assert third["emotion"]["emotion"] in ("anger", "disgust") and not third["escalated"]
    fourth = turn(graph, "Unacceptable. I'm furious, the replacement is broken AGAIN!", user_id, "ticket-2")
    assert fourth["escalated"] and fourth["mood"]["frustrated_recently"] == 3
    assert fourth["messages"][-1].content.startswith("I'm sorry this has gone wrong 3 times")
    stored = sorted(MemoryScope(backend, user_id=user_id).list(), key=lambda r: r.created_at or "")
    assert [(r.metadata["category"], r.metadata["emotion"], r.metadata["escalated"]) for r in stored][-1] == (
        "support_issue", fourth["emotion"]["emotion"], True)
    assert all(isinstance(r.metadata["intensity"], float) for r in stored) and stored[-1].run_id == "ticket-2"


def test_customer_service_tone_follows_the_emotion(backend) -> None:
    cs = load("customer_service")
    spy = SystemSpy(seen=[])
    graph = cs.make_graph(memory=backend, model=spy)
    user = f"cust-{uuid.uuid4().hex[:6]}"
    turn(graph, "I'm worried my parcel got lost.", user, "t")
    turn(graph, "Thanks, that's wonderful news!", user, "t")
    assert cs.TONES["worried"] in spy.seen[0] and cs.TONES["pleased"] in spy.seen[1]
    assert "contacted us 1 time before; last time they were worried" in spy.seen[1]


@pytest.mark.parametrize("name", ["memory_chat", "learning_assistant", "customer_service"])
def test_module_docstring_examples(name) -> None:
    import doctest

    assert doctest.testmod(load(name), optionflags=doctest.ELLIPSIS).failed == 0
