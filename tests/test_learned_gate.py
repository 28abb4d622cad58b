"""LearnedGate on the real packaged model and weights (no fakes): the first test loads MiniLM (~10 s)."""

from __future__ import annotations

import doctest
import os
import subprocess
import sys

import numpy as np
import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("MEM0_TELEMETRY", "False")

from mem0_langgraph.backends._embedding import shared_embeddings  # noqa: E402
from mem0_langgraph.gates import learned as learned_gate  # noqa: E402
from mem0_langgraph.gates.base import RecallGate  # noqa: E402
from mem0_langgraph.gates.learned import (  # noqa: E402
    CHEAP_FEATURES,
    DEFAULT_WEIGHTS_PATH,
    FEATURE_NAMES,
    LearnedGate,
    cheap_features,
    gate_query,
)

# Handwritten for this test only; the gate never trains on invented examples.
PERSONAL_PAST = [
    "What did I tell you about my sister's wedding plans?",
    "Can you remind me which restaurant you recommended for my anniversary last time?",
    "How many books did I say I had read this year?",
    "Where did I go on my trip to Japan last spring?",
]
# The shapes issue 8 found the LongMemEval-trained gate missing, in this test's own words
# (not the evaluation families of eval_data/gate, not anything trained on).
ISSUE_SHAPES = [
    "What did you recommend to me for a weekend in Edinburgh?",
    "You once taught me how to make cold brew, what ratio did you say?",
    "What advice did you give me about my landlord dispute?",
    "I once shared my grandfather's chili recipe with you, what spices were in it?",
    "I don't like olives, right?",
    "How many people are in my climbing group?",
    "I wanted to follow up on our previous conversation about my knee injury.",
]
# The same surfaces without any need for the user's past: they must stay quiet.
ISSUE_CONTRASTS = [
    "Can you recommend a good weekend itinerary for Edinburgh?",
    "Teach me how to make cold brew coffee.",
    "How many people are in a string quartet?",
    "Write a follow-up email after a sales call.",
]
TRIVIAL = ["thanks!", "ok", "Hi there", "got it, thank you so much"]
GENERIC = [
    "Write a Python function that reverses a list.",
    "Explain how photosynthesis works.",
    "Translate 'good morning' into French.",
    "What is the capital of Australia?",
    "Summarize the main causes of the French Revolution in three bullet points.",
]


@pytest.fixture(scope="module")
def gate() -> LearnedGate:
    return LearnedGate()


@pytest.mark.parametrize("message", PERSONAL_PAST)
def test_fires_on_personal_past_questions(gate: LearnedGate, message: str) -> None:
    decision = gate.decide(message, [])
    assert decision.recall, decision
    assert decision.queries[0] == message  # topic queries may follow
    assert decision.reason.startswith("classifier: p=")


@pytest.mark.parametrize("message", ISSUE_SHAPES)
def test_fires_on_the_shapes_issue_8_found_missing(gate: LearnedGate, message: str) -> None:
    assert gate.decide(message, []).recall, gate.decide(message, [])


@pytest.mark.parametrize("message", ISSUE_CONTRASTS)
def test_quiet_on_the_same_surfaces_when_self_contained(gate: LearnedGate, message: str) -> None:
    assert not gate.decide(message, []).recall, gate.decide(message, [])


@pytest.mark.parametrize(("message", "cue"), [
    ("What did you recommend to me for Rome?", "cue_you_did"),
    ("I once shared my recipe with you, what cheese was in it?", "cue_i_told_you"),
    ("How many records are in my collection?", "cue_own_count"),
    ("Circling back to the budget we set up together.", "cue_earlier_talk"),
])
def test_cue_features_match_their_shape(message: str, cue: str) -> None:
    features = dict(zip(CHEAP_FEATURES, cheap_features(message)))
    assert features[cue] == 1.0
    plain = dict(zip(CHEAP_FEATURES, cheap_features("Explain how tides work.")))
    assert not any(v for k, v in plain.items() if k.startswith("cue_"))


@pytest.mark.parametrize("message", GENERIC)
def test_quiet_on_generic_requests(gate: LearnedGate, message: str) -> None:
    decision = gate.decide(message, [])
    assert not decision.recall, decision
    assert decision.queries == []
    assert decision.reason.endswith("(below threshold)")


@pytest.mark.parametrize("message", TRIVIAL)
def test_trivial_turns_skip_the_embedding(gate: LearnedGate, message: str) -> None:
    embedder = shared_embeddings()
    before = embedder.encoded_texts
    decision = gate.decide(message, [])
    assert (decision.recall, decision.score) == (False, 0.0)
    assert gate.score(message) == 0.0
    assert embedder.encoded_texts == before


def test_uses_the_shared_embedder_so_the_search_reuses_the_vector(gate: LearnedGate) -> None:
    message = "Which hiking boots did I end up buying after we compared them?"
    embedder = shared_embeddings()
    decision = gate.decide(message, [])
    before = embedder.encoded_texts
    embedder.embed_query(decision.queries[0])  # what the search does next
    gate.decide(message, [])
    assert embedder.encoded_texts == before
    assert gate_query(message) == decision.queries[0]


def test_loads_the_packaged_weights(gate: LearnedGate) -> None:
    assert gate.weights_path == DEFAULT_WEIGHTS_PATH and DEFAULT_WEIGHTS_PATH.is_file()
    with np.load(DEFAULT_WEIGHTS_PATH, allow_pickle=False) as f:
        assert tuple(f["feature_names"].tolist()) == FEATURE_NAMES
        assert f["coef"].shape == (len(FEATURE_NAMES),)
        assert gate.threshold == pytest.approx(float(f["threshold"]))
        assert len(str(f["training_data_sha256"])) == 64
        assert str(f["trained_on"])[:2] == "20"
        # What it was trained on is recorded, and the hand-written families are not part of it.
        assert "LongMemEval" in str(f["training_data"]) and "families: never" in str(f["training_data"])
    assert 0.0 < gate.threshold < 1.0


def test_threshold_override(gate: LearnedGate) -> None:
    message = "Explain how photosynthesis works."
    p = gate.score(message)
    assert not gate.decide(message, []).recall
    low = LearnedGate(threshold=p / 2)
    assert low.threshold == p / 2
    assert low.decide(message, []).recall
    assert low.score(message) == pytest.approx(p)
    assert not LearnedGate(threshold=1.0).decide(PERSONAL_PAST[0], []).recall


@pytest.mark.parametrize("bad", [-0.1, 1.5])
def test_rejects_thresholds_outside_unit_interval(bad: float) -> None:
    with pytest.raises(ValueError, match="threshold must be in"):
        LearnedGate(threshold=bad)


def test_missing_weights_name_the_training_script(tmp_path) -> None:
    with pytest.raises(FileNotFoundError, match="train_gate.py"):
        LearnedGate(weights_path=tmp_path / "none.npz").score("Where did I park?")


async def test_adecide_equals_decide(gate: LearnedGate) -> None:
    for message in PERSONAL_PAST[:2] + GENERIC[:2] + TRIVIAL[:1]:
        assert await gate.adecide(message, []) == gate.decide(message, [])


def test_is_a_recall_gate(gate: LearnedGate) -> None:
    assert isinstance(gate, RecallGate)


def test_docstring_examples() -> None:
    result = doctest.testmod(learned_gate, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0 and result.failed == 0


def test_import_loads_neither_torch_nor_weights() -> None:
    code = ("import sys, mem0_langgraph.gates.learned as m; "
            "print('torch' in sys.modules, 'sentence_transformers' in sys.modules, m._load_weights.cache_info().currsize)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         cwd=os.path.dirname(os.path.dirname(__file__))).stdout.split()
    assert out == ["False", "False", "0"]
