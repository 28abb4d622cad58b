"""`EchoChatModel`: an offline stand-in LLM that replies with what it was given.

Used by the demo when no API key or ``--model`` is available, and by tests: its
reply shows the memory message it received, so recall is visible end to end.
"""

from __future__ import annotations

from typing import Any

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatResult

from mem0_langgraph.core._text import message_text
from mem0_langgraph.core.render import MEMORY_MESSAGE_ID

ECHO_LABEL = "[offline echo model]"


class EchoChatModel(BaseChatModel):
    """Replies with the memory context it received and the last user message.

    Example:
        >>> from langchain_core.messages import HumanMessage
        >>> EchoChatModel().invoke([HumanMessage("hi")]).content
        '[offline echo model] memory context: none | user said: hi'
    """

    @property
    def _llm_type(self) -> str:
        return "echo"

    def _generate(self, messages: list[BaseMessage], stop: list[str] | None = None,
                  run_manager: CallbackManagerForLLMRun | None = None, **kwargs: Any) -> ChatResult:
        memory = next((message_text(m) for m in messages if m.id == MEMORY_MESSAGE_ID), "")
        memories = [ln[2:] for ln in memory.splitlines() if ln.startswith("- [")]
        last_user = next((message_text(m) for m in reversed(messages) if m.type == "human"), "")
        context = "; ".join(memories) if memories else "none"
        text = f"{ECHO_LABEL} memory context: {context} | user said: {last_user}"
        return ChatResult(generations=[ChatGeneration(message=AIMessage(content=text))])
