"""Personalised learning assistant: remembers a learner's level, goals, style and mistakes, and plans the next step.

Graph (``graph`` for ``langgraph dev``; `make_graph` for your own memory and model)::

    START -> recall -(gate fired)-> plan_next_step -> tutor -> store_progress -> END
                    -(quiet)------------------------^

- ``recall``: the gated `RecallNode`. Its ``memory_trace`` (decision, score, reason,
  memory ids) is the node's output in LangGraph Studio, and the conditional edge
  after it shows which way the turn went: a self-contained question ("explain the
  subjunctive") goes straight to the tutor; "what should I study next?" plans first.
- ``plan_next_step``: reads the learner's profile (their memories tagged ``category:
  learner_profile``, newest first: level, goals, preferred style, past mistakes,
  progress) and proposes the next step from it (`propose_next_step`); the plan goes to
  the tutor as a system message and stays in ``state["plan"]``.
- ``tutor``: the chat model, with the plan and the recalled memories.
- ``store_progress``: the learner's message, tagged with what it tells about them
  (``kinds``: level, goal, style, mistake, progress; `learner_kinds`), written through
  `MemoryScope` with ``{"category": "learner_profile", "kinds": ...}``.

Invoke with ``{"configurable": {"user_id": learner_id, "thread_id": lesson_id}}``.
"""

from __future__ import annotations

import re
from typing import Any

from langchain_core.messages import SystemMessage
from langchain_core.runnables import RunnableConfig
from langgraph.graph import END, START, StateGraph
from typing_extensions import NotRequired

from mem0_langgraph import MemoryState, RecallNode, ScopeConfig
from mem0_langgraph.backends.lazy import default_memory
from mem0_langgraph.backends.records import MemoryRecord
from mem0_langgraph.backends.scoped import MemoryScope
from mem0_langgraph.core._text import is_trivial, last_of_type, message_text
from mem0_langgraph.core.render import inject_memories

CATEGORY = "learner_profile"
TUTOR_PROMPT = ("You are a patient language tutor. Teach at the learner's level, in their preferred style, and "
                "revisit their past mistakes. When a plan for the next step is given, follow it.")
KIND_PATTERNS: dict[str, re.Pattern[str]] = {
    "mistake": re.compile(r"\b(keep (mixing|forgetting|confusing|getting)|mix(ing|ed)? up|confus\w*|struggl\w*|"
                          r"mistakes?|trouble with|hard for me|got \w+ wrong)\b", re.IGNORECASE),
    "progress": re.compile(r"\b(finished|completed|done with|passed|mastered|i can now|got (it|them) right)\b", re.IGNORECASE),
    "goal": re.compile(r"\b(want to|my goal|aim to|hoping to|need to pass|exam|plan to|so that i can)\b", re.IGNORECASE),
    "style": re.compile(r"\b(learn best|i prefer|prefer(red)? style|flashcards?|examples?|visual|diagrams?|audio|"
                        r"podcasts?|step by step)\b", re.IGNORECASE),
    "level": re.compile(r"\b(beginner|intermediate|advanced|fluent|[abc][12]\b|just started|new to|level)\b", re.IGNORECASE),
}
_PREFERENCE = re.compile(r"\b(prefer|best with|i like|i love|i enjoy|rather)\b")
_FORMATS = (("flashcard", "a set of 10 flashcards"), ("example", "three worked examples"), ("visual", "a diagram"),
            ("diagram", "a diagram"), ("audio", "a short listening drill"), ("podcast", "a short listening drill"))


def learner_kinds(text: str) -> list[str]:
    """What a learner's message says about them: any of ``mistake``, ``progress``, ``goal``, ``style``, ``level``.

    Example:
        >>> learner_kinds("I'm a beginner and I keep mixing up ser and estar.")
        ['mistake', 'level']
        >>> learner_kinds("Can you explain the subjunctive?")
        []
    """
    return [kind for kind, pattern in KIND_PATTERNS.items() if pattern.search(text)]


def propose_next_step(profile: dict[str, list[str]]) -> str:
    """The next step of the learning plan, from the profile (newest first per kind).

    Example:
        >>> import textwrap
        >>> print(textwrap.fill(propose_next_step({"level": ["I'm a beginner."], "mistake": ["I mix up ser and estar."],
        ...                          "style": ["I learn best with short examples."]}), 110))
        Next step: three worked examples on what you keep getting wrong ("I mix up ser and estar."), pitched at your
        level ("I'm a beginner.").
    """
    if not profile.get("level") and not profile.get("goal"):
        return "Next step: tell me your level and your goal, and I'll plan your first lesson around them."
    style = " ".join(profile.get("style", [])[:1]).lower()
    # The format named first after a preference ("I now prefer worked examples over flashcards"), else the first named.
    liked = min((m.end() for m in [_PREFERENCE.search(style)] if m), default=0)
    named = sorted((style.find(key, liked) if key in style[liked:] else len(style) + style.find(key), f)
                   for key, f in _FORMATS if key in style)
    fmt = named[0][1] if named else "a 15-minute exercise"
    if profile.get("mistake"):
        focus = f'what you keep getting wrong ("{profile["mistake"][0]}")'
    elif profile.get("progress"):
        focus = f'the step after your latest progress ("{profile["progress"][0]}")'
    else:
        focus = "the basics your goal needs first"
    parts = [f"Next step: {fmt} on {focus}"]
    if profile.get("level"):
        parts.append(f'pitched at your level ("{profile["level"][0]}")')
    if profile.get("goal"):
        parts.append(f'toward your goal ("{profile["goal"][0]}")')
    return ", ".join(parts) + "."


def learner_profile(records: list[MemoryRecord]) -> dict[str, list[str]]:
    """Group a learner's profile memories by kind, newest first (a changed preference wins)."""
    profile: dict[str, list[str]] = {}
    for rec in sorted(records, key=lambda r: r.created_at or "", reverse=True):
        if rec.metadata.get("category") != CATEGORY:
            continue
        for kind in str(rec.metadata.get("kinds") or "").split(","):
            if kind:
                profile.setdefault(kind, []).append(rec.text)
    return profile


class State(MemoryState):
    """`MemoryState` plus the learner profile read this turn and the proposed next step."""

    profile: NotRequired[dict[str, list[str]]]
    plan: NotRequired[str]


def make_graph(*, memory: Any = None, model: Any = None, scopes: ScopeConfig | None = None,
               checkpointer: Any = None, **recall_options: Any) -> Any:
    """Build and compile the learning-assistant graph.

    Args:
        memory: Anything `as_backend` accepts. Default: the embedded store, opened on first use.
        model: The chat model. Default: as the demo picks (OpenAI with a key, else the echo model).
        scopes: Where the learner and lesson ids come from. Default `ScopeConfig()`.
        checkpointer: Passed to ``compile``.
        **recall_options: `RecallerOptions` for the recall node (``gate``, ``top_k``, ...).
    """
    from mem0_langgraph import as_backend
    from mem0_langgraph.cli.demo import pick_model

    backend = as_backend(memory) if memory is not None else default_memory()
    model = model if model is not None else pick_model(None).model
    scopes = scopes or ScopeConfig()

    def after_recall(state: State) -> str:
        return "plan_next_step" if (state.get("memory_trace") or {}).get("recall") else "tutor"

    def plan_next_step(state: State, config: RunnableConfig) -> dict[str, Any]:
        records = MemoryScope.for_run(backend, config, scopes=scopes).list(limit=500)
        profile = learner_profile(records)
        return {"profile": profile, "plan": propose_next_step(profile)}

    def tutor(state: State, config: RunnableConfig) -> dict[str, Any]:
        plan = state.get("plan") if (state.get("memory_trace") or {}).get("recall") else None
        system = TUTOR_PROMPT + (f"\nPlan for this turn: {plan}" if plan else "")
        messages = [SystemMessage(system), *inject_memories(state["messages"], state.get("recalled_memories"))]
        return {"messages": [model.invoke(messages, config)]}

    def store_progress(state: State, config: RunnableConfig) -> dict[str, Any]:
        idx = last_of_type(state["messages"], "human")
        text = message_text(state["messages"][idx]) if idx is not None else ""
        if text and not is_trivial(text):
            kinds = learner_kinds(text)
            metadata = {"category": CATEGORY if kinds else "lesson", "kinds": ",".join(kinds)}
            MemoryScope.for_run(backend, config, scopes=scopes, levels=scopes.write_levels).add(text, metadata=metadata)
        return {}

    builder = StateGraph(State)
    builder.add_node("recall", RecallNode(memory=backend, scopes=scopes, **recall_options))
    builder.add_node("plan_next_step", plan_next_step)
    builder.add_node("tutor", tutor)
    builder.add_node("store_progress", store_progress)
    builder.add_edge(START, "recall")
    builder.add_conditional_edges("recall", after_recall, ["plan_next_step", "tutor"])
    builder.add_edge("plan_next_step", "tutor")
    builder.add_edge("tutor", "store_progress")
    builder.add_edge("store_progress", END)
    return builder.compile(checkpointer=checkpointer, name="learning_assistant")


graph = make_graph()
"""The graph ``langgraph dev`` serves (see ``langgraph.json``); the store opens on its first turn."""
