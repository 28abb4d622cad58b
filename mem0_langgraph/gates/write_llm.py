"""`LLMWriteGate`: a chat model decides what of an exchange is worth remembering, and its category.

One model call per non-trivial exchange, on the store step (after the answer, but inside the
turn): an opt-in for apps that already pay for a model per turn. In cascade mode the cheap
`RuleWriteGate` decides first and the model is asked only when the rules are unsure of the
user's message. A failed call or an unusable reply falls back to the cheap gate's verdict.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from mem0_langgraph.core._steps import Steps, call, model_call, run_async, run_sync
from mem0_langgraph.core._text import clip, head_tail, is_trivial
from mem0_langgraph.gates.write import CATEGORIES, Exchange, RuleWriteGate, WriteDecision, WriteGate

logger = logging.getLogger("mem0_langgraph")

DEFAULT_WRITE_GATE_PROMPT = """\
You decide what an assistant with long-term memory should remember from one exchange with a user.

Keep the user's message when it says something about the user that may matter later: facts, \
preferences, plans, events, people, feelings, or an explicit "remember that ...". Do not keep \
self-contained requests or questions that reveal nothing about the user.
Keep the assistant's reply only when it is advice or a recommendation given to this user (they may \
later ask "what did you recommend?"), never when it only repeats what was already known.

Categories: {categories}.

User: {user}
Assistant: {assistant}

Reply with only a JSON object: {{"keep_user": true or false, "keep_assistant": true or false, \
"category": "one of the categories", "reason": "a few words"}}"""
"""The prompt; fields ``{user}``, ``{assistant}`` and ``{categories}``."""

_MAX_CHARS = 3000


class LLMWriteGate:
    """Ask a chat model which sides of the exchange to keep, and the user message's category.

    Args:
        model: A LangChain chat model or an ``init_chat_model`` string.
        prompt: Default `DEFAULT_WRITE_GATE_PROMPT`.
        cascade: A cheap gate consulted first; the model is asked only when its user score is in
            ``band``. Default None: the model judges every non-trivial exchange.
        band: ``(low, high)`` of the cascade gate's score sent to the model. Default (0.2, 0.8).

    Example:
        >>> from langchain_core.language_models import GenericFakeChatModel
        >>> model = GenericFakeChatModel(messages=iter([
        ...     '{"keep_user": true, "keep_assistant": false, "category": "plan", "reason": "a trip"}']))
        >>> LLMWriteGate(model).judge(Exchange("Lisbon in May, finally!", "Enjoy!"))
        WriteDecision(user=True, assistant=False, reason='llm: a trip', category='plan', score=1.0, \
expires=None, roles=('user',))
    """

    def __init__(self, model: Any, *, prompt: str = DEFAULT_WRITE_GATE_PROMPT, cascade: WriteGate | None = None,
                 band: tuple[float, float] = (0.2, 0.8)) -> None:
        if isinstance(model, str):
            from langchain.chat_models import init_chat_model

            model = init_chat_model(model)
        if not 0.0 <= band[0] <= band[1] <= 1.0:
            raise ValueError(f"band must be (low, high) with 0 <= low <= high <= 1, got {band}")
        self.model = model
        self.prompt = prompt
        self.cascade = cascade
        self.band = band
        self._rules = RuleWriteGate()

    def judge(self, exchange: Exchange) -> WriteDecision:
        return run_sync(self._steps(exchange))

    async def ajudge(self, exchange: Exchange) -> WriteDecision:
        return await run_async(self._steps(exchange))

    def _steps(self, exchange: Exchange) -> Steps[WriteDecision]:
        if is_trivial(exchange.user):
            return WriteDecision(user=False, assistant=False, reason="trivial turn")
        cheap = None
        if self.cascade is not None:
            cheap = yield call(self.cascade.judge, self.cascade.ajudge, exchange)
            if not self.band[0] <= cheap.score < self.band[1]:
                return cheap
        text = self.prompt.format(user=json.dumps(head_tail(exchange.user, _MAX_CHARS), ensure_ascii=False),
                                  assistant=json.dumps(head_tail(exchange.assistant, _MAX_CHARS), ensure_ascii=False),
                                  categories=", ".join(CATEGORIES[:-1]))
        reply = yield model_call(self.model, text)
        try:
            body = str(reply.content)
            data = json.loads(body[body.index("{"):body.rindex("}") + 1])
            keep_user, keep_ai = bool(data.get("keep_user")), bool(data.get("keep_assistant"))
        except Exception as exc:  # a failed call or no verdict: the cheap gate decides
            logger.warning("mem0-langgraph write gate: LLM reply unusable (%s); using the rules", exc)
            return cheap or self._rules.judge(exchange)
        category = str(data.get("category") or "fact").lower()
        if category not in CATEGORIES[:-1]:
            category = "fact"
        why = " ".join(str(data.get("reason") or "").split()) or ("keep" if keep_user or keep_ai else "skip")
        expires = self._rules.judge(exchange).expires if keep_user else None
        return WriteDecision(user=keep_user, assistant=keep_ai and bool(exchange.assistant.strip()),
                             reason=f"llm: {clip(why, 200)}", category=category if keep_user else None,
                             score=1.0 if keep_user else 0.0, expires=expires)

