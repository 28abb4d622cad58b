"""`LearnedGate`: a logistic regression over the message's MiniLM embedding and a few cheap features.

Rules miss the many ways people refer to their own past ("How old will Rachel be
when I get married?") and fire on plain requests that merely mention dinner. A
linear model over the sentence embedding catches both, and costs one embedding
per turn: the same cached `shared_embeddings` instance the search uses, asked for
exactly the text the search will ask for (the gate's query), so the search finds
the vector in the cache instead of embedding the message a second time.

The weights are a small ``.npz`` trained by ``scripts/train_gate.py`` on the
training side of the LongMemEval-S development half and of the public-source gate
set (LoCoMo, FreshQA, WritingBench, PersistBench; see ``eval_data/gate/README.md``),
so that it learns more than one benchmark's phrasing. A few cheap lexical cues
(`CHEAP_FEATURES`) name the shapes of pointing back that one embedding blurs:
"what did you recommend", "I once shared ... with you", "how many ... my", "our
previous conversation". Running the gate needs only numpy (and the
embedder).
"""

from __future__ import annotations

import asyncio
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from mem0_langgraph.backends._embedding import EMBEDDING_DIMS, shared_embeddings
from mem0_langgraph.core._text import is_trivial
from mem0_langgraph.gates.base import (
    RecallDecision,
    SyncGate,
    default_queries,
    topic_queries,
)
from mem0_langgraph.gates.rules import RuleGate

if TYPE_CHECKING:
    from langchain_core.embeddings import Embeddings
    from langchain_core.messages import BaseMessage

DEFAULT_WEIGHTS_PATH = Path(__file__).parent / "data" / "learned_gate.npz"
"""The weights shipped with the package."""

_I = re.IGNORECASE
_CUES: dict[str, re.Pattern[str]] = {
    # What the assistant said or did for the user before: "what did you recommend", "you once taught me".
    "cue_you_did": re.compile(
        r"\b(you|u)\s+(once\s+|already\s+|just\s+|previously\s+|earlier\s+|first\s+)?(recommended|suggested|told|"
        r"said|mentioned|gave|taught|showed|explained|wrote|made|drafted|created|designed|came up with|put together|"
        r"proposed|fixed|translated|helped|brainstormed|listed|picked|found|coached|walked me|pointed me)\b"
        r"|\bdid (you|u) (recommend|suggest|tell|say|mention|give|teach|show|explain|write|make|draft|create|design|"
        r"come up|propose|fix|translate|help|brainstorm|list|pick|find|think|call)\b", _I),
    # What the user told the assistant before: "I once shared X with you", "did I mention".
    "cue_i_told_you": re.compile(
        r"\b(I|we)\s+(once\s+|already\s+|previously\s+|just\s+|had\s+|have\s+)?(told|shared|sent|gave|showed|"
        r"mentioned|described|explained|asked)\b[^.?!]{0,60}\b(you|u)\b"
        r"|\b(did|have|had) I (ever )?(tell|mention|say|share|send|show|describe|ask|explain)\b"
        r"|\bI (said|mentioned|told)\b", _I),
    # A count or measure of the user's own things: "how many people are in my book club?".
    "cue_own_count": re.compile(r"\bhow (many|much|often|long|old|big)\b[^?.!]*\b(my|I|mine|I've|I'm|me)\b", _I),
    # An earlier conversation: "follow up on our previous conversation", "where we left off".
    "cue_earlier_talk": re.compile(
        r"\b(our|we|you and I)\b[^.?!]{0,40}\b(conversation|chat|discussion|discussed|talked|spoke|session|"
        r"went over|worked on|were working on|started|outlined|set up|left off)\b"
        r"|\b(follow(ing)?[- ]up on|circling back|circle back|pick(ing)? up where|back to (the|our|my)|"
        r"continu(e|ing) (our|the|my))\b", _I),
}

CHEAP_FEATURES = ("rule_score", "log_chars", "first_person", "first_person_plural", "second_person",
                  "question_mark", *_CUES)
"""Names of the hand-made features, in the order they follow the embedding.

The ``cue_*`` features are 0/1 matches of past-reference shapes that LongMemEval
phrases one way and users many ways; the classifier learns their weights."""

FEATURE_NAMES = tuple(f"emb_{i}" for i in range(EMBEDDING_DIMS)) + CHEAP_FEATURES
"""All feature names, in the order of `feature_vector`."""

_FIRST_PERSON = re.compile(r"\b(i|me|my|mine|myself)\b", re.IGNORECASE)
_FIRST_PERSON_PLURAL = re.compile(r"\b(we|us|our|ours|ourselves)\b", re.IGNORECASE)
_SECOND_PERSON = re.compile(r"\b(you|your|yours|yourself)\b", re.IGNORECASE)
_RULES = RuleGate()  # the default rules: the weights were trained on their scores


def gate_query(message: str) -> str:
    """The text the gate embeds: its own search query, so the search reuses the vector."""
    queries = default_queries(message)
    return queries[0] if queries else ""


def cheap_features(message: str) -> list[float]:
    """The hand-made features of ``message``, in `CHEAP_FEATURES` order.

    Example:
        >>> dict(zip(CHEAP_FEATURES, cheap_features("Did I tell you my sister's name?")))["question_mark"]
        1.0
    """
    query = gate_query(message)
    return [
        _RULES.decide(message, []).score,
        math.log1p(len(message)),
        math.log1p(len(_FIRST_PERSON.findall(query))),
        math.log1p(len(_FIRST_PERSON_PLURAL.findall(query))),
        math.log1p(len(_SECOND_PERSON.findall(query))),
        1.0 if "?" in query else 0.0,
        *(1.0 if pattern.search(query) else 0.0 for pattern in _CUES.values()),
    ]


def feature_vector(message: str, embedding: Sequence[float] | np.ndarray) -> np.ndarray:
    """The full feature row: the embedding of `gate_query` (message), then `cheap_features`."""
    return np.concatenate([np.asarray(embedding, dtype=np.float64), cheap_features(message)])


@dataclass(frozen=True)
class _Weights:
    coef: np.ndarray
    intercept: float
    mean: np.ndarray
    scale: np.ndarray
    threshold: float
    feature_names: tuple[str, ...]


@lru_cache(maxsize=8)
def _load_weights(path: str) -> _Weights:
    if not Path(path).is_file():
        raise FileNotFoundError(f"no LearnedGate weights at {path}; train them with scripts/train_gate.py")
    with np.load(path, allow_pickle=False) as f:
        w = _Weights(
            coef=f["coef"].astype(np.float64),
            intercept=float(f["intercept"]),
            mean=f["mean"].astype(np.float64),
            scale=f["scale"].astype(np.float64),
            threshold=float(f["threshold"]),
            feature_names=tuple(str(n) for n in f["feature_names"]),
        )
    if w.feature_names != FEATURE_NAMES:
        raise ValueError(f"{path} was trained on other features than this version computes; retrain it "
                         "with scripts/train_gate.py")
    return w


class LearnedGate(SyncGate):
    """Fire when a small classifier judges that the message needs the user's older context.

    Trivial turns (greetings, thanks, acknowledgements) are answered without
    embedding. Any other message is embedded once (cached by text) and scored
    by a logistic regression; ``score`` is its probability under balanced class
    priors, so read it as a ranking, not a calibrated frequency.

    Args:
        threshold: Minimum probability to recall. Default: the threshold stored
            with the weights (chosen by cross-validation on the training data).
        weights_path: An ``.npz`` written by ``scripts/train_gate.py``. Default
            `DEFAULT_WEIGHTS_PATH`.
        embeddings: The embedder, which must produce the all-MiniLM-L6-v2
            vectors the weights were trained on. Default `shared_embeddings()`,
            the instance the search uses, so its cache serves both.

    Raises:
        ValueError: ``threshold`` outside [0, 1].

    Example:
        >>> gate = LearnedGate()
        >>> gate.decide("What did I tell you about my sister's wedding plans?", []).recall
        True
        >>> gate.decide("thanks!", []).reason
        'trivial turn (greeting, thanks, ack)'
        >>> gate.decide("Explain how photosynthesis works.", []).recall
        False
    """

    def __init__(
        self,
        *,
        threshold: float | None = None,
        weights_path: str | Path | None = None,
        embeddings: Embeddings | None = None,
    ) -> None:
        if threshold is not None and not 0.0 <= threshold <= 1.0:
            raise ValueError(f"threshold must be in [0, 1] (or None for the trained one), got {threshold}")
        self._threshold = threshold
        self.weights_path = Path(weights_path) if weights_path is not None else DEFAULT_WEIGHTS_PATH
        self._embeddings = embeddings if embeddings is not None else shared_embeddings()

    @property
    def threshold(self) -> float:
        """The threshold in use: the constructor's, else the trained one (loads the weights)."""
        return self._threshold if self._threshold is not None else self._weights.threshold

    @property
    def _weights(self) -> _Weights:
        return _load_weights(str(self.weights_path))

    def score(self, message: str) -> float:
        """Probability that ``message`` needs older context (0.0 for trivial turns)."""
        return 0.0 if is_trivial(message) else self._predict(message)[0]

    def decide(self, message: str, recent_messages: Sequence[BaseMessage]) -> RecallDecision:
        if is_trivial(message):
            return RecallDecision(recall=False, score=0.0, reason="trivial turn (greeting, thanks, ack)")
        p, pushes = self._predict(message)
        recall = p >= self.threshold
        # Name what pushed hardest toward the verdict: the top push up for a recall, down for a skip.
        top = (max if recall else min)(pushes, key=pushes.__getitem__)
        reason = f"classifier: p={p:.2f}; most {'for' if pushes[top] >= 0 else 'against'}: {top} ({pushes[top]:+.2f})"
        if recall:
            return RecallDecision(recall=True, score=round(p, 4), reason=reason,
                                  queries=default_queries(message) + topic_queries(message))
        return RecallDecision(recall=False, score=round(p, 4), reason=reason + " (below threshold)")

    async def adecide(self, message: str, recent_messages: Sequence[BaseMessage]) -> RecallDecision:
        """Async twin of `decide`: the embedding runs in a worker thread, never on the event loop.

        Concurrent turns' embeddings are batched into one model call (see `LocalEmbeddings`).
        """
        if is_trivial(message):
            return self.decide(message, recent_messages)
        return await asyncio.to_thread(self.decide, message, recent_messages)

    def _predict(self, message: str) -> tuple[float, dict[str, float]]:
        """Probability, and each feature group's push on the logit relative to an average training row."""
        w = self._weights
        embedding = self._embeddings.embed_query(gate_query(message))
        if len(embedding) != EMBEDDING_DIMS:
            raise ValueError(f"LearnedGate's weights need {EMBEDDING_DIMS}-d all-MiniLM-L6-v2 embeddings, got "
                             f"{len(embedding)}-d from {type(self._embeddings).__name__}; pass embeddings=None")
        pushes = w.coef * (feature_vector(message, embedding) - w.mean) / w.scale
        z = w.intercept + float(pushes.sum())
        p = 1.0 / (1.0 + math.exp(-z)) if z > -500 else 0.0
        groups = {"embedding": float(pushes[:EMBEDDING_DIMS].sum())}
        groups.update(zip(CHEAP_FEATURES, pushes[EMBEDDING_DIMS:].tolist()))
        return p, groups
