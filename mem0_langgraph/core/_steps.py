"""Write I/O logic once, run it sync or async.

A step function is a generator that yields `Call` objects (or lists of them,
run concurrently in async mode) and receives their results. `run_sync` and
`run_async` are the only places where sync and async differ, so recall and
store logic has no copy-pasted twin.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Generator
from dataclasses import dataclass, field
from typing import Any, TypeVar, Union

R = TypeVar("R")


@dataclass(frozen=True)
class Call:
    """One I/O call with a sync and an async implementation."""

    sync: Callable[..., Any]
    async_: Callable[..., Awaitable[Any]]
    args: tuple[Any, ...] = ()
    kwargs: dict[str, Any] = field(default_factory=dict)


def call(sync: Callable[..., Any], async_: Callable[..., Awaitable[Any]], *args: Any, **kwargs: Any) -> Call:
    """Build a `Call`."""
    return Call(sync, async_, args, kwargs)


def model_call(runnable: Any, input: Any) -> Call:
    """A `Call` that invokes ``runnable`` (a chat model or any Runnable), sync or async, and returns
    the exception instead of raising it: the step decides the fallback (an LLM gate or judge falls
    back to its rules)."""
    return Call(_invoke_or_error, _ainvoke_or_error, (runnable, input))


def _invoke_or_error(runnable: Any, input: Any) -> Any:
    try:
        return runnable.invoke(input)
    except Exception as exc:  # any provider failure is returned: the caller's step falls back
        return exc


async def _ainvoke_or_error(runnable: Any, input: Any) -> Any:
    try:
        return await runnable.ainvoke(input)
    except Exception as exc:  # any provider failure is returned: the caller's step falls back
        return exc


Op = Union[Call, "list[Call]"]
Steps = Generator[Op, Any, R]


def run_sync(steps: Steps[R]) -> R:
    """Drive ``steps`` making every call synchronously."""
    try:
        op = next(steps)
        while True:
            if isinstance(op, list):
                result: Any = [c.sync(*c.args, **c.kwargs) for c in op]
            else:
                result = op.sync(*op.args, **op.kwargs)
            op = steps.send(result)
    except StopIteration as done:
        return done.value


async def run_async(steps: Steps[R]) -> R:
    """Drive ``steps`` awaiting every call; a list of calls runs concurrently."""
    try:
        op = next(steps)
        while True:
            if isinstance(op, list):
                result: Any = list(await asyncio.gather(*(c.async_(*c.args, **c.kwargs) for c in op)))
            else:
                result = await op.async_(*op.args, **op.kwargs)
            op = steps.send(result)
    except StopIteration as done:
        return done.value
