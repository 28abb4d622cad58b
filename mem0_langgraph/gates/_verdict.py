"""The `LLMGate`'s verdict: its schema, and parsing it out of a model's reply (pure functions)."""

from __future__ import annotations

import json
import math
import re
from typing import Any

from pydantic import BaseModel, Field, field_validator

from mem0_langgraph.core._text import clip, message_text
from mem0_langgraph.errors import LLMGateError

_JSON_INSTRUCTIONS = (
    'Reply with only a JSON object and no other text, like {"recall": true, "confidence": 0.9, '
    '"queries": ["dietary restrictions"], "reason": "asks for a personal recommendation"}'
)
"""Appended to the prompt for models without structured output."""

_FENCE = re.compile(r"```(?:json)?\s*(.*?)```", re.DOTALL | re.IGNORECASE)


class LLMGateVerdict(BaseModel):
    """Whether to search the user's long-term memory before answering, and for what."""

    recall: bool = Field(description="True to search memory before answering.")
    confidence: float | None = Field(
        default=None, description="How likely (0 to 1) it is that facts about the user would improve the answer.")
    queries: list[str] = Field(
        default_factory=list, description="A few short search queries for the facts that would help; [] when "
                                          "recall is false.")
    reason: str = Field(default="", description="A few words on why.")

    @field_validator("queries", mode="before")
    @classmethod
    def _listify(cls, value: Any) -> Any:
        # Small models write one query as a bare string, or mix in nulls: keep what is usable.
        if value is None:
            return []
        if isinstance(value, str):
            return [value]
        if isinstance(value, list):
            return [q for q in value if isinstance(q, str)]
        return value

    @field_validator("confidence", mode="before")
    @classmethod
    def _number_or_none(cls, value: Any) -> Any:
        # "high" or NaN is no confidence at all; the verdict itself is still usable.
        try:
            number = float(value)
        except (TypeError, ValueError):
            return None
        return None if math.isnan(number) else number

    @field_validator("reason", mode="before")
    @classmethod
    def _text(cls, value: Any) -> Any:
        return "" if value is None else str(value)


def parse_verdict(text: str) -> LLMGateVerdict:
    """Parse a model's JSON reply, tolerating code fences and text around the object.

    Raises:
        ValueError: No JSON object in ``text``, or one without a valid ``recall``.

    Example:
        >>> parse_verdict('Sure! ```json\\n{"recall": true, "queries": "my diet"}\\n```').queries
        ['my diet']
    """
    fenced = _FENCE.search(text)
    body = fenced.group(1) if fenced else text
    start, end = body.find("{"), body.rfind("}")
    if start < 0 or end < start:
        raise ValueError("no JSON object in the reply")
    return LLMGateVerdict.model_validate(json.loads(body[start:end + 1]))


def verdict_of(reply: Any) -> LLMGateVerdict:
    """The verdict in a structured (``include_raw``) or plain-text reply.

    Raises:
        LLMGateError: The reply holds no valid verdict.
    """
    if isinstance(reply, dict) and "raw" in reply:
        if isinstance(reply.get("parsed"), LLMGateVerdict):
            return reply["parsed"]
        # The model answered in text instead of the schema, or broke it: try the text before giving up.
        text, error = message_text(reply["raw"]), reply.get("parsing_error")
    else:
        text, error = message_text(reply), None
    try:
        return parse_verdict(text)
    except ValueError as exc:
        why = error or exc
        raise LLMGateError(f"LLM gate reply is not a valid decision ({type(why).__name__}: "
                           f"{clip(str(why), 200)}); reply: {clip(text, 200)!r}", reply=text) from why
