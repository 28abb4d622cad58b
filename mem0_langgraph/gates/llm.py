"""`LLMGate`: a chat model decides whether to recall, and rewrites the search queries.

The cheap gates read the words of the message; a chat model reads what the user
needs. "What should I cook tonight?" shares no words with "I'm vegetarian" or
"allergic to peanuts", so searching for the message alone misses them; the model
turns it into queries that find them ("dietary restrictions", "food preferences").
That costs one model call a turn, so in cascade mode a cheap gate (`LearnedGate`,
`RuleGate`) decides first and the model is asked only about the turns the cheap
gate is unsure of.

Models that support ``with_structured_output`` answer in a schema (`LLMGateVerdict`);
the others are asked for JSON in the prompt and their text is parsed. A failed call
or an unparsable reply never fails the turn unless ``on_error="raise"``: the gate
falls back to the cascade gate's decision, or else recalls with the message as the
query.
"""

from __future__ import annotations

import logging
import string
from collections.abc import Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import HumanMessage

from mem0_langgraph.core._steps import Steps, call, model_call, run_async, run_sync
from mem0_langgraph.core._text import (
    clip,
    head_tail,
    is_trivial,
    message_text,
    normalise,
)
from mem0_langgraph.errors import LLMGateError, OnError, check_on_error
from mem0_langgraph.gates._verdict import (
    _JSON_INSTRUCTIONS,
    LLMGateVerdict,
    verdict_of,
)
from mem0_langgraph.gates.base import (
    MAX_QUERY_CHARS,
    RecallDecision,
    RecallGate,
    default_queries,
)

if TYPE_CHECKING:
    from langchain_core.messages import BaseMessage
    from langchain_core.runnables import Runnable

logger = logging.getLogger("mem0_langgraph")

DEFAULT_LLM_GATE_PROMPT = """\
You decide whether an assistant with long-term memory should search its memory of the user \
before answering the newest message.

The memory holds facts about the user and earlier conversations: name, family and friends, \
job, home, diet and allergies, health, tastes, plans, past events, and what was said and \
decided before.

Search when the newest message refers to the user's past, person, preferences or earlier \
conversations, or asks for advice or recommendations that should fit the user. Do not search \
for greetings, thanks, general knowledge, or requests that the message and the recent \
conversation already answer fully.

When you search, give up to {max_queries} short search queries (a few words each) for the \
facts that would help, phrased the way such facts are stored. For example, "what should I \
cook tonight?" -> "dietary restrictions", "food preferences". Do not repeat the message.

Fields:
- recall: true to search memory, false otherwise.
- confidence: how likely (0 to 1) it is that facts about the user would improve the answer.
- queries: the search queries ([] when recall is false).
- reason: a few words on why.

Recent conversation:
{recent}

Newest user message:
{message}"""
"""The gate's prompt. Fields: ``{message}`` (required), ``{recent}`` and ``{max_queries}``;
write any other brace doubled (``{{``)."""

_PROMPT_FIELDS = frozenset({"message", "recent", "max_queries"})
_MAX_MESSAGE_CHARS = 4000  # long pastes: the question is usually at the start or the end
_RECENT_MESSAGES = 6
_MAX_RECENT_CHARS = 500
_MAX_REASON_CHARS = 300
_FALLBACK_SCORE = 0.5
"""Score of the no-cascade fallback: unknown. A `Recaller` with a probe band then keeps
only memories that clearly match, instead of everything the search returns."""
_ROLES = {"human": "user", "ai": "assistant"}


class LLMGate:
    """Ask a chat model whether older context would help, and what to search for.

    One model call a turn (none for trivial turns). With ``cascade``, a cheap gate
    decides first and the model is called only when the cheap score falls in
    ``band``; the cheap decision stands otherwise. ``score`` is the model's
    confidence that facts about the user would help (1.0 / 0.0 when it gives none),
    so a `Recaller` probe band treats an unsure model like an unsure cheap gate.

    Args:
        model: A chat model, or an ``init_chat_model`` string such as
            ``"openai:gpt-4.1-mini"`` (initialised once, here).
        prompt: The prompt, with ``{message}``, ``{recent}`` and ``{max_queries}``
            fields. Default `DEFAULT_LLM_GATE_PROMPT`.
        cascade: A cheap gate consulted first. Default None: the model decides every
            non-trivial turn.
        band: ``(low, high)``: the cheap gate's uncertain scores, ``low <= score < high``,
            the only ones sent to the model. Default (0.1, 0.8), the `Recaller` probe band.
        max_queries: Most rewritten queries kept after the message itself. Default 3.
        on_error: When the call fails or the reply is unparsable: ``"raise"`` an
            `LLMGateError`; or fall back (to the cascade gate's decision, else to
            recalling with the message as the query) and log a warning (``"warn"``,
            the default) or nothing (``"ignore"``).

    Raises:
        TypeError: ``model`` is neither a string nor a chat model, or ``cascade`` is
            not a gate.
        ValueError: A bad ``prompt``, ``band``, ``max_queries`` or ``on_error``.

    Example:
        >>> from langchain_core.language_models import GenericFakeChatModel
        >>> model = GenericFakeChatModel(messages=iter([
        ...     '{"recall": true, "confidence": 0.9, "queries": ["dietary restrictions", "food preferences"],'
        ...     ' "reason": "asks for a personal recommendation"}']))
        >>> decision = LLMGate(model).decide("What should I cook tonight?", [])
        >>> decision.recall, decision.score, decision.reason
        (True, 0.9, 'llm: asks for a personal recommendation')
        >>> decision.queries
        ['What should I cook tonight?', 'dietary restrictions', 'food preferences']

        In cascade mode a confident cheap gate answers alone (the model is not called):

        >>> from mem0_langgraph.gates.rules import RuleGate
        >>> LLMGate(model, cascade=RuleGate()).decide("thanks!", []).reason
        'cascade: cheap gate: trivial turn (greeting, thanks, ack)'
    """

    def __init__(
        self,
        model: str | BaseChatModel,
        *,
        prompt: str = DEFAULT_LLM_GATE_PROMPT,
        cascade: RecallGate | None = None,
        band: tuple[float, float] = (0.1, 0.8),
        max_queries: int = 3,
        on_error: OnError = "warn",
    ) -> None:
        if isinstance(model, str):
            from langchain.chat_models import init_chat_model

            model = init_chat_model(model)
        if not isinstance(model, BaseChatModel):
            raise TypeError(f"model must be a LangChain chat model or an init_chat_model string such as "
                            f"'openai:gpt-4.1-mini', got {type(model).__name__}")
        if cascade is not None and not isinstance(cascade, RecallGate):
            raise TypeError(f"cascade must be a gate with decide() and adecide() (e.g. LearnedGate()), "
                            f"got {type(cascade).__name__}")
        low, high = band
        if not 0.0 <= low <= high <= 1.0:
            raise ValueError(f"band must be (low, high) with 0 <= low <= high <= 1, got {band}")
        if isinstance(max_queries, bool) or not isinstance(max_queries, int) or max_queries < 0:
            raise ValueError(f"max_queries must be an int >= 0, got {max_queries!r}")
        _check_prompt(prompt)
        self.model = model
        self.prompt = prompt
        self.cascade = cascade
        self.band = (float(low), float(high))
        self.max_queries = max_queries
        self.on_error = check_on_error(on_error)
        self._runnable: Runnable[Any, Any]
        try:
            # include_raw: a reply that misses the schema comes back as data, not as an exception.
            self._runnable = model.with_structured_output(LLMGateVerdict, include_raw=True)
            self.structured_output = True
        except NotImplementedError:  # no tool calling or schema mode: ask for JSON in the prompt
            self._runnable = model
            self.structured_output = False

    def decide(self, message: str, recent_messages: Sequence[BaseMessage]) -> RecallDecision:
        """Decide for ``message`` (the newest user text) given the recent window; calls ``invoke``."""
        return run_sync(self._steps(message, recent_messages))

    async def adecide(self, message: str, recent_messages: Sequence[BaseMessage]) -> RecallDecision:
        """Async twin of `decide`; calls ``ainvoke``."""
        return await run_async(self._steps(message, recent_messages))

    def _steps(self, message: str, recent_messages: Sequence[BaseMessage]) -> Steps[RecallDecision]:
        cheap: RecallDecision | None = None
        if self.cascade is not None:
            cheap = yield call(self.cascade.decide, self.cascade.adecide, message, recent_messages)
            if not self.band[0] <= cheap.score < self.band[1]:
                return replace(cheap, reason=f"cascade: cheap gate: {cheap.reason}")
        elif is_trivial(message):
            return RecallDecision(recall=False, score=0.0, reason="trivial turn (greeting, thanks, ack)")
        reply = yield model_call(self._runnable, self.prepare(message, recent_messages))
        try:
            decision = self.process(message, reply)
        except LLMGateError as exc:
            return self._fallback(message, cheap, exc)
        if cheap is not None:
            decision = replace(decision, reason=f"cascade: cheap gate unsure ({cheap.score:.2f}); {decision.reason}")
        return decision

    def prepare(self, message: str, recent_messages: Sequence[BaseMessage]) -> list[BaseMessage]:
        """The messages sent to the model for this turn (pure)."""
        text = self.prompt.format(message=head_tail(message, _MAX_MESSAGE_CHARS),
                                  recent=_render_recent(recent_messages), max_queries=self.max_queries)
        if not self.structured_output:
            text = f"{text}\n\n{_JSON_INSTRUCTIONS}"
        return [HumanMessage(text)]

    def process(self, message: str, reply: Any) -> RecallDecision:
        """Turn the model's reply (or the exception its call raised) into a decision (pure).

        Raises:
            LLMGateError: The call failed or the reply is not a valid verdict.
        """
        if isinstance(reply, Exception):
            raise LLMGateError(f"LLM gate call failed: {type(reply).__name__}: {clip(str(reply), 200)}") from reply
        verdict = verdict_of(reply)
        extras = self._rewrites(message, verdict.queries)
        # A no-recall verdict keeps the model's queries when it gave some: a Recaller probe band may still search.
        queries = default_queries(message) + extras if verdict.recall or extras else []
        default = 1.0 if verdict.recall else 0.0
        score = default if verdict.confidence is None else round(min(1.0, max(0.0, verdict.confidence)), 4)
        why = " ".join(verdict.reason.split()) or ("recall" if verdict.recall else "no recall")
        return RecallDecision(recall=verdict.recall, score=score, reason=f"llm: {clip(why, _MAX_REASON_CHARS)}",
                              queries=queries)

    def _rewrites(self, message: str, queries: Sequence[str]) -> list[str]:
        seen = {normalise(message)}
        out: list[str] = []
        for q in queries:
            q = q.strip()[:MAX_QUERY_CHARS]
            key = normalise(q)
            if key and key not in seen:
                seen.add(key)
                out.append(q)
        return out[: self.max_queries]


    def _fallback(self, message: str, cheap: RecallDecision | None, exc: LLMGateError) -> RecallDecision:
        if self.on_error == "raise":
            raise exc
        if cheap is not None:
            decision = replace(cheap, reason=f"{exc}; fallback: cascade: cheap gate: {cheap.reason}")
        else:
            decision = RecallDecision(recall=True, score=_FALLBACK_SCORE, queries=default_queries(message),
                                      reason=f"{exc}; fallback: recall with the message as the query")
        if self.on_error == "warn":
            logger.warning("mem0-langgraph: %s", decision.reason)
        return decision


def _render_recent(messages: Sequence[BaseMessage]) -> str:
    lines = [f"{_ROLES[m.type]}: {clip(' '.join(message_text(m).split()), _MAX_RECENT_CHARS)}"
             for m in messages if getattr(m, "type", None) in _ROLES and message_text(m)]
    return "\n".join(lines[-_RECENT_MESSAGES:]) or "(none)"


def _check_prompt(prompt: str) -> None:
    try:
        fields = {name for _, name, _, _ in string.Formatter().parse(prompt) if name is not None}
    except ValueError as exc:
        raise ValueError(f"prompt is not a valid format string ({exc}); write literal braces doubled: {{{{ }}}}") \
            from exc
    if "message" not in fields:
        raise ValueError("prompt must contain {message}, where the newest user message goes")
    unknown = fields - _PROMPT_FIELDS
    if unknown:
        raise ValueError(f"prompt may only use the fields {sorted(_PROMPT_FIELDS)}, got {sorted(unknown)}; "
                         "write literal braces doubled: {{ }}")
