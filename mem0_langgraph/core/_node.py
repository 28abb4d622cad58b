"""Base of our graph nodes: a LangChain `Runnable` with a sync and an async body.

Being a Runnable (not a bare function) lets ``StateGraph.add_node`` run a node
natively in both ``invoke`` and ``ainvoke``, and gives each call its own traced
run, so callback handlers and LangSmith see what memory did.
"""

from __future__ import annotations

import logging
from typing import Any

from langchain_core.runnables import Runnable, RunnableConfig

logger = logging.getLogger("mem0_langgraph")


class StateNode(Runnable[dict, dict]):
    """A state-in, update-out node. Subclasses implement `_run` and `_arun`."""

    name: str | None = None

    def invoke(self, input: dict, config: RunnableConfig | None = None, **kwargs: Any) -> dict:
        return self._call_with_config(self._run, input, config, run_type="chain")

    async def ainvoke(self, input: dict, config: RunnableConfig | None = None, **kwargs: Any) -> dict:
        return await self._acall_with_config(self._arun, input, config, run_type="chain")

    def _run(self, state: dict, config: RunnableConfig) -> dict:
        raise NotImplementedError

    async def _arun(self, state: dict, config: RunnableConfig) -> dict:
        raise NotImplementedError


def emit_trace(name: str, data: dict[str, Any], config: RunnableConfig) -> None:
    """Send a trace to callback handlers as a custom event; never fail the turn for it."""
    if not (config or {}).get("callbacks"):
        return
    try:
        from langchain_core.callbacks import dispatch_custom_event

        dispatch_custom_event(name, data, config=config)
    except Exception as exc:  # tracing is best effort: a handler bug must not break the turn
        logger.debug("mem0-langgraph: could not dispatch %s: %s", name, exc)


async def aemit_trace(name: str, data: dict[str, Any], config: RunnableConfig) -> None:
    """Async twin of `emit_trace`."""
    if not (config or {}).get("callbacks"):
        return
    try:
        from langchain_core.callbacks import adispatch_custom_event

        await adispatch_custom_event(name, data, config=config)
    except Exception as exc:  # tracing is best effort: a handler bug must not break the turn
        logger.debug("mem0-langgraph: could not dispatch %s: %s", name, exc)
