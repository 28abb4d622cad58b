"""Scopes: which user, agent and session a turn's memories belong to.

mem0 keeps memories at three levels (``user_id``, ``agent_id``, ``run_id``).
The ids come from the run, never from globals: ``config["configurable"]`` and
the LangGraph runtime context, under key names you choose. ``run_id`` defaults
to LangGraph's ``thread_id``, so one checkpointed thread is one mem0 session.
"""

from __future__ import annotations

import unicodedata
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from mem0_langgraph.errors import ScopeError

Level = Literal["user", "agent", "run"]
LEVELS: tuple[Level, ...] = ("user", "agent", "run")

_MAX_ID_CHARS = 256
_RUNTIME_KEY = "__pregel_runtime"  # where LangGraph keeps the Runtime inside configurable


@dataclass(frozen=True)
class Scope:
    """The resolved ids of one turn. ``None`` means the level is absent.

    Example:
        >>> Scope(user_id="alice", run_id="t1").ids(("user", "run"))
        {'user_id': 'alice', 'run_id': 't1'}
    """

    user_id: str | None = None
    agent_id: str | None = None
    run_id: str | None = None

    def __post_init__(self) -> None:
        for level in LEVELS:
            value = self.get(level)
            if value is not None:
                object.__setattr__(self, f"{level}_id", validate_id(value, level, f"{level}_id"))

    def get(self, level: Level) -> str | None:
        """Return the id at ``level``."""
        return getattr(self, f"{level}_id")

    def ids(self, levels: Sequence[Level]) -> dict[str, str]:
        """The mem0 id arguments (``{"user_id": ...}``) for the present ``levels``."""
        return {f"{lv}_id": v for lv in levels if (v := self.get(lv)) is not None}


@dataclass(frozen=True)
class ScopeConfig:
    """Where scope ids are read from and which levels are written and searched.

    Attributes:
        user_key: Key of the user id in ``configurable`` / the runtime context. Default ``"user_id"``.
        agent_key: Key of the agent id. Default ``"agent_id"``.
        run_key: Key of the session id. Default ``"thread_id"`` (LangGraph's thread).
        write_levels: Levels a stored exchange is tagged with, when present. Default user +
            agent + session: an ``agent_id`` in the run's config takes effect.
        search_levels: Levels a recall filters on, when present (all must match). Default
            user + agent: the user's long-term memory across every session (with this agent,
            when the run names one).
        required: Levels that must be present; a missing one raises `ScopeError`.
            Other levels are used when present and left out when not. Default user.
        defaults: Fallback ids per level, for single-user apps and scripts.

    Example:
        >>> cfg = ScopeConfig()
        >>> cfg.resolve({"configurable": {"user_id": "alice", "thread_id": "t1"}})
        Scope(user_id='alice', agent_id=None, run_id='t1')
        >>> cfg.resolve({"configurable": {"thread_id": "t1"}})
        Traceback (most recent call last):
        ...
        mem0_langgraph.errors.ScopeError: no user id: looked for 'user_id' in config['configurable'] and the runtime context; present keys: ['thread_id']
    """

    user_key: str = "user_id"
    agent_key: str = "agent_id"
    run_key: str = "thread_id"
    write_levels: tuple[Level, ...] = ("user", "agent", "run")
    search_levels: tuple[Level, ...] = ("user", "agent")
    required: tuple[Level, ...] = ("user",)
    defaults: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for name in ("write_levels", "search_levels", "required"):
            levels = tuple(getattr(self, name))
            bad = [lv for lv in levels if lv not in LEVELS]
            if bad:
                raise ValueError(f"ScopeConfig.{name} has unknown levels {bad}; use any of {list(LEVELS)}")
            object.__setattr__(self, name, levels)
        if not self.write_levels or not self.search_levels:
            raise ValueError("ScopeConfig needs at least one write level and one search level")
        bad_defaults = [k for k in self.defaults if k not in LEVELS]
        if bad_defaults:
            raise ValueError(f"ScopeConfig.defaults has unknown levels {bad_defaults}; use any of {list(LEVELS)}")

    def key(self, level: Level) -> str:
        """The configuration key read for ``level``."""
        return {"user": self.user_key, "agent": self.agent_key, "run": self.run_key}[level]

    def resolve(self, config: Mapping[str, Any] | None = None, runtime: Any = None) -> Scope:
        """Read the scope of this run from the runtime context and ``configurable``.

        The runtime context wins over ``configurable`` when both name a level.

        Args:
            config: The ``RunnableConfig`` of the run.
            runtime: A LangGraph ``Runtime``; taken from ``config`` when not given.

        Returns:
            The resolved `Scope`.

        Raises:
            ScopeError: A required level is missing, or an id is not a usable string.
        """
        configurable: Mapping[str, Any] = (config or {}).get("configurable") or {}
        if runtime is None:
            runtime = configurable.get(_RUNTIME_KEY)
        context = getattr(runtime, "context", None)
        available = [k for k in configurable if not k.startswith("__")] + _context_keys(context)
        ids: dict[str, str | None] = {}
        for level in LEVELS:
            key = self.key(level)
            raw = _context_get(context, key)
            if raw is None:
                raw = configurable.get(key)
            if raw is None:
                raw = self.defaults.get(level)
            ids[level] = None if raw is None else validate_id(raw, level, key, available)
            if ids[level] is None and level in self.required:
                raise ScopeError(
                    f"no {level} id: looked for {key!r} in config['configurable'] and the runtime "
                    f"context; present keys: {sorted(set(available))}",
                    level=level,
                    key=key,
                    available=available,
                )
        return Scope(user_id=ids["user"], agent_id=ids["agent"], run_id=ids["run"])

    def write_ids(self, scope: Scope) -> dict[str, str]:
        """The ids a stored exchange is tagged with."""
        return scope.ids(self.write_levels)

    def search_filters(self, scope: Scope) -> dict[str, str]:
        """The mem0 ``filters`` of a recall."""
        return scope.ids(self.search_levels)


def _context_keys(context: Any) -> list[str]:
    if context is None:
        return []
    if isinstance(context, Mapping):
        return [str(k) for k in context]
    if hasattr(context, "__dataclass_fields__"):
        return list(context.__dataclass_fields__)
    return [k for k in getattr(context, "__dict__", {}) if not k.startswith("_")]


def _context_get(context: Any, key: str) -> Any:
    if context is None:
        return None
    if isinstance(context, Mapping):
        return context.get(key)
    return getattr(context, key, None)


def validate_id(raw: Any, level: str = "user", key: str = "user_id", available: Sequence[str] = ()) -> str:
    """Check a scope id and return it; every id is matched exactly, so none may widen a filter.

    Refused, with a `ScopeError`: non-strings (ints and UUIDs are accepted as their text), empty ids,
    ids over 256 characters, any whitespace (inner, leading or trailing: ``"alice "`` is not
    ``"alice"``, and NBSP counts), control, format and surrogate characters, ``*`` (mem0's
    wildcard) and a leading ``$`` (filter operators). Case and unicode form are kept as they
    are: ``"Alice"`` and ``"alice"`` are two users.

    Example:
        >>> validate_id("alice@example.com")
        'alice@example.com'
        >>> validate_id("*")
        Traceback (most recent call last):
        ...
        mem0_langgraph.errors.ScopeError: user id 'user_id' must not contain '*' or start with '$' (a wildcard or operator would widen the search), got '*'
    """
    if isinstance(raw, uuid.UUID):  # LangGraph's checkpointers accept UUID thread ids
        raw = str(raw)
    if isinstance(raw, bool) or not isinstance(raw, (str, int)):
        raise ScopeError(f"{level} id {key!r} must be a string, got {type(raw).__name__}",
                         level=level, key=key, available=available)
    value = str(raw)
    if not value or len(value) > _MAX_ID_CHARS:
        raise ScopeError(f"{level} id {key!r} must be 1-{_MAX_ID_CHARS} characters, got {len(value)}",
                         level=level, key=key, available=available)
    if "*" in value or value.startswith("$"):
        raise ScopeError(f"{level} id {key!r} must not contain '*' or start with '$' (a wildcard or operator "
                         f"would widen the search), got {value[:40]!r}", level=level, key=key, available=available)
    bad = next((c for c in value if c.isspace() or unicodedata.category(c)[0] == "C"), None)
    if bad is not None:
        raise ScopeError(f"{level} id {key!r} must not contain whitespace or control characters, got "
                         f"{value[:40]!r} (U+{ord(bad):04X})", level=level, key=key, available=available)
    return value


def hits_in_scope(hits: Sequence[Any], filters: Mapping[str, Any]) -> list[Any]:
    """The fetched memories that exist and whose scope ids (in their metadata) match ``filters`` exactly.

    A memory fetched by id (a replacement, an index match, a linked memory) is recalled only from the
    turn's own scope: an id in metadata, set by the judge or by anyone who can write metadata, must
    never pull in another session's, agent's or user's memory.
    """
    return [h for h in hits
            if h is not None and all(str(h.metadata.get(k)) == str(v) for k, v in filters.items())]
