"""Import a past conversation: an existing log stored through the same write path and write gate.

`import_messages` pairs each user message with the assistant reply after it and hands the
exchange to a `Storer`, exactly as a live turn would be: the write gate decides what to keep,
each kept message keeps its original time (``said_at``), newer statements supersede older ones
as they land (the log is stored in its own order, oldest first), and an exchange imported once
is skipped when the same log is imported again.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from langchain_core.messages import AIMessage, HumanMessage
from typing_extensions import Unpack

from mem0_langgraph.core._text import content_text
from mem0_langgraph.core.options import StorerOptions
from mem0_langgraph.core.scopes import Scope
from mem0_langgraph.core.store import Storer, exchange_key
from mem0_langgraph.core.timeinfo import iso, parse_time

_ROLES = {"user": "user", "human": "user", "assistant": "assistant", "ai": "assistant"}
_EXISTING_LIMIT = 100_000


@dataclass
class ImportReport:
    """What `import_messages` did.

    Attributes:
        messages: Messages read.
        exchanges: User turns (with the assistant reply after each) judged.
        stored_user: User messages stored.
        stored_assistant: Assistant replies stored (advice).
        categories: Stored user messages per category.
        skipped: Reason -> count, for exchanges and messages left out.
    """

    messages: int = 0
    exchanges: int = 0
    stored_user: int = 0
    stored_assistant: int = 0
    categories: Counter[str] = field(default_factory=Counter)
    skipped: Counter[str] = field(default_factory=Counter)

    @property
    def stored(self) -> int:
        """Memories stored."""
        return self.stored_user + self.stored_assistant

    def as_dict(self) -> dict[str, Any]:
        """JSON-safe form."""
        return {"messages": self.messages, "exchanges": self.exchanges, "stored": self.stored,
                "stored_user": self.stored_user, "stored_assistant": self.stored_assistant,
                "categories": dict(self.categories), "skipped": dict(self.skipped)}


def import_messages(messages: Iterable[Mapping[str, Any]], *, memory: Any, user_id: str,
                    thread_id: str | None = None, agent_id: str | None = None,
                    on_exchange: Callable[[int], None] | None = None,
                    **options: Unpack[StorerOptions]) -> ImportReport:
    """Store an existing conversation log through the write gate; returns what was stored and skipped.

    Args:
        messages: Dicts with ``role`` (``user`` / ``assistant``; ``human`` / ``ai`` too; ``system`` is
            skipped), ``content`` (text or content blocks) and optional ``timestamp`` (ISO 8601 or
            ``datetime``; also read from ``said_at``, ``created_at``, ``time``, ``date``). A message
            without a time gets the previous message's time, else now.
        memory: Anything `as_backend` accepts.
        user_id: Whose memories these become.
        thread_id: The session the log was (mem0 ``run_id``). Default none.
        agent_id: The agent it was with. Default none.
        on_exchange: Called after each exchange with how many have been judged (a progress bar).
        **options: `StorerOptions` (``write_gate``, ``supersede``, ``store_roles``, ``store_metadata``,
            ...). Default writes inline (``sync_store=True``) unless a ``writer`` is given.

    Returns:
        An `ImportReport`.

    Example:
        >>> import tempfile
        >>> from mem0_langgraph import create_memory
        >>> memory = create_memory(data_dir=tempfile.mkdtemp())  # the offline default
        >>> log = [{"role": "user", "content": "I'm vegetarian.", "timestamp": "2025-03-03T09:00:00Z"},
        ...        {"role": "assistant", "content": "Noted!"},
        ...        {"role": "user", "content": "How do I reverse a list in Python?"},
        ...        {"role": "assistant", "content": "Use reversed()."}]
        >>> report = import_messages(log, memory=memory, user_id="alice")
        >>> report.stored, dict(report.categories), dict(report.skipped)
        (1, {'preference': 1}, {'reveals nothing about the user': 1})
        >>> [h["created_at"][:10] for h in memory.get_all(filters={"user_id": "alice"})["results"]]
        ['2025-03-03']
        >>> dict(import_messages(log, memory=memory, user_id="alice").skipped)  # again: nothing new
        {'already imported': 1, 'reveals nothing about the user': 1}
    """
    from mem0_langgraph.backends.factory import as_backend

    if not isinstance(user_id, str) or not user_id.strip():
        raise ValueError("import_messages needs a user_id")
    if "writer" not in options:
        options.setdefault("sync_store", True)
    backend = as_backend(memory)
    storer = Storer(backend, **options)
    scope = Scope(user_id=user_id, agent_id=agent_id, run_id=thread_id)
    config = {"configurable": {k: v for k, v in (("user_id", user_id), ("agent_id", agent_id),
                                                  ("thread_id", thread_id)) if v is not None}}
    ids = {k: v for k, v in (("user_id", user_id), ("agent_id", agent_id)) if v is not None}
    existing = {str(h.metadata.get("exchange_key")) for h in backend.get_all(filters=ids, limit=_EXISTING_LIMIT)}
    report = ImportReport()
    for n, (index, human, ai) in enumerate(_exchanges(messages, report), 1):
        key = exchange_key(scope, thread_id, human.id, _text(human), _text(ai) if ai is not None else "")
        if key in existing or f"{key}:assistant" in existing:
            report.skipped["already imported"] += 1
        else:
            trace = storer.store([human, ai] if ai is not None else [human], config)
            if "error" in trace:
                report.skipped[f"error: {trace['error']}"] += 1
            write = trace.get("write") or {}
            if trace.get("stored"):
                report.stored_user += bool(write.get("user") and "user" in storer.roles)
                report.stored_assistant += bool(write.get("assistant") and "assistant" in storer.roles)
                if write.get("user") and "user" in storer.roles:
                    report.categories[str(write.get("category"))] += 1
            else:
                reason = str(trace.get("store_reason") or "not stored").removeprefix("skipped: ")
                report.skipped[reason.split("; reply:")[0]] += 1
        report.exchanges += 1
        if on_exchange is not None:
            on_exchange(n)
    storer.flush()
    return report


def _text(message: Any) -> str:
    return content_text(message.content)


def _exchanges(messages: Iterable[Mapping[str, Any]], report: ImportReport) -> Iterable[tuple[int, Any, Any]]:
    """``(index, HumanMessage, AIMessage | None)`` per user turn, with times and stable ids."""
    pending: tuple[int, HumanMessage] | None = None
    replies: list[str] = []
    last_time: str | None = None
    for index, raw in enumerate(messages):
        report.messages += 1
        if not isinstance(raw, Mapping):
            report.skipped["message: not an object"] += 1
            continue
        role = _ROLES.get(str(raw.get("role", "")).lower())
        text = content_text(raw.get("content"))
        if role is None:
            report.skipped[f"message: role {raw.get('role')!r}"] += 1
            continue
        if not text:
            report.skipped["message: no text"] += 1
            continue
        when = next((t for k in ("timestamp", "said_at", "created_at", "time", "date")
                     if (t := parse_time(raw.get(k))) is not None), None)
        stamp = iso(when) if when is not None else last_time
        last_time = stamp or last_time
        if role == "user":
            if pending is not None:
                yield pending[0], pending[1], AIMessage("\n\n".join(replies)) if replies else None
            digest = hashlib.sha256(f"{index}\x1f{stamp}\x1f{text}".encode("utf-8", "replace")).hexdigest()[:16]
            extra = {"timestamp": stamp} if stamp else {}
            pending, replies = (index, HumanMessage(text, id=f"import-{digest}", additional_kwargs=extra)), []
        elif pending is None:
            report.skipped["message: assistant reply with no user message before it"] += 1
        else:
            replies.append(text)
    if pending is not None:
        yield pending[0], pending[1], AIMessage("\n\n".join(replies)) if replies else None
