"""Time of a memory: when it was said, how it is written down, and how long it holds.

mem0 2.2 OSS rejects ``timestamp=`` on ``add`` and ``reference_date=`` on
``search`` (Platform-only), so the time a message was said travels in the
memory's metadata (``said_at``, also written as mem0's own ``created_at``), and
ranking and rendering read it back from there. Statements that hold for a short
while ("I'm in Lisbon this week") get mem0's ``expiration_date``, which OSS does
honour: expired memories are hidden from search unless asked for.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date, datetime, timedelta, timezone
from typing import Any

from mem0_langgraph.core._text import is_question, sentence_spans

SAID_AT_KEY = "said_at"
"""Metadata key of the time the user (or assistant) said the stored text: ISO 8601, UTC."""
TIMESTAMP_KEYS = ("said_at", "timestamp", "created_at", "time", "date")
"""Where `said_at_of` looks for a message's time (``additional_kwargs``, ``response_metadata``, a dict)."""

_LME_DATE = re.compile(r"^(\d{4})/(\d{2})/(\d{2})(?: \(\w+\))?(?: (\d{2}):(\d{2}))?$")
_TEMPORARY = re.compile(
    r"\b(I'm|I am|we're|we are|I'll be|we'll be)\b[^.?!]{0,60}?\b(this week|today|tonight|this weekend|"
    r"for the (?:week|weekend|day)|until (?:monday|tuesday|wednesday|thursday|friday|saturday|sunday))\b",
    re.IGNORECASE)
_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


def parse_time(value: Any) -> datetime | None:
    """A timezone-aware UTC datetime from ISO 8601 text, a ``datetime``, a ``date``, epoch seconds, or
    LongMemEval's ``"2023/05/20 (Sat) 21:24"``; None when it is none of these. Naive times are taken as UTC.

    Example:
        >>> parse_time("2026-11-02T09:30:00+01:00").isoformat()
        '2026-11-02T08:30:00+00:00'
        >>> parse_time("2023/05/20 (Sat) 21:24").isoformat(), parse_time("soon")
        ('2023-05-20T21:24:00+00:00', None)
    """
    if isinstance(value, datetime):
        dt = value
    elif isinstance(value, date):
        dt = datetime(value.year, value.month, value.day)
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        try:
            return datetime.fromtimestamp(float(value), timezone.utc)
        except (OverflowError, OSError, ValueError):
            return None
    elif isinstance(value, str) and value.strip():
        text = value.strip()
        m = _LME_DATE.match(text)
        if m:
            y, mo, d, hh, mm = m.groups()
            dt = datetime(int(y), int(mo), int(d), int(hh or 0), int(mm or 0))
        else:
            try:
                dt = datetime.fromisoformat(text.replace("Z", "+00:00"))
            except ValueError:
                return None
    else:
        return None
    return (dt.replace(tzinfo=timezone.utc) if dt.tzinfo is None else dt).astimezone(timezone.utc)


def said_at_of(message: Any) -> datetime | None:
    """The time a message was said, when it carries one: a LangChain message's ``additional_kwargs`` or
    ``response_metadata``, or a dict's own keys (`TIMESTAMP_KEYS`); None when unknown.

    Example:
        >>> from langchain_core.messages import HumanMessage
        >>> said_at_of(HumanMessage("hi", additional_kwargs={"timestamp": "2026-11-02T10:00:00Z"})).isoformat()
        '2026-11-02T10:00:00+00:00'
        >>> said_at_of(HumanMessage("hi")) is None
        True
    """
    sources: list[Mapping[str, Any]] = []
    if isinstance(message, Mapping):
        sources.append(message)
    for attr in ("additional_kwargs", "response_metadata"):
        extra = getattr(message, attr, None)
        if isinstance(extra, Mapping):
            sources.append(extra)
    for source in sources:
        for key in TIMESTAMP_KEYS:
            if key in source and (dt := parse_time(source[key])) is not None:
                return dt
    return None


def now_utc() -> datetime:
    """The current time, UTC."""
    return datetime.now(timezone.utc)


def iso(dt: datetime) -> str:
    """ISO 8601 in UTC, the form stored in ``said_at`` (and mem0's ``created_at``)."""
    return dt.astimezone(timezone.utc).isoformat()


def when_of(memory: Mapping[str, Any]) -> datetime | None:
    """When a memory (a `RecalledMemory`, a `MemoryHit`'s metadata or a mem0 row) was said: ``said_at``,
    else ``created_at``; None when neither is readable."""
    meta = memory.get("metadata") if isinstance(memory.get("metadata"), Mapping) else {}
    for value in (memory.get(SAID_AT_KEY), meta.get(SAID_AT_KEY), memory.get("created_at")):
        if (dt := parse_time(value)) is not None:
            return dt
    return None


def hit_time(hit: Any) -> datetime | None:
    """`when_of` a `MemoryHit`: its metadata's ``said_at``, else its ``created_at``."""
    return when_of({**hit.metadata, "created_at": hit.created_at})


def format_when(value: Any) -> str:
    """A time as a model reads it without effort: ``2026-11-02 Mon 09:30 UTC``; ``undated`` when unknown.

    Example:
        >>> format_when("2026-11-02T09:30:00+00:00"), format_when(None)
        ('2026-11-02 Mon 09:30 UTC', 'undated')
    """
    dt = parse_time(value)
    return dt.strftime("%Y-%m-%d %a %H:%M UTC") if dt is not None else "undated"


def expiry_of(text: str, said_at: datetime) -> str | None:
    """The last day a short-lived statement holds, ``YYYY-MM-DD``; None for a lasting one.

    "I'm in Lisbon this week" holds until that week's Sunday; "today" / "tonight" until the next day
    (a late answer still sees it); "this weekend" until Sunday; "until Friday" until that Friday.

    Only a message that says nothing lasting expires: when one of its statements holds longer ("I'm
    planning a trip this weekend. By the way, I just signed up for the rewards program."), the whole
    memory stays, or the lasting fact would vanish with the plan (on LongMemEval's train side 9 of 300
    evidence turns were hidden that way by the time they were asked about). Questions state nothing.

    Example:
        >>> monday = datetime(2026, 11, 2, 9, tzinfo=timezone.utc)
        >>> expiry_of("I'm in Lisbon this week for a conference.", monday), expiry_of("I'm vegetarian.", monday)
        ('2026-11-08', None)
        >>> expiry_of("I'm in Lisbon this week. Any tips? By the way, I adopted a cat.", monday) is None
        True
    """
    statements = [text[a:b] for a, b in sentence_spans(text) if not is_question(text[a:b])]
    found = [m for s in statements if (m := _TEMPORARY.search(s))]
    if not found or len(found) < len(statements):
        return None  # nothing temporary, or something lasting besides it
    m = found[0]
    phrase = m.group(2).lower()
    day = said_at.date()
    if phrase in ("today", "tonight", "for the day"):
        end = day + timedelta(days=1)
    elif phrase.startswith("until "):
        target = _WEEKDAYS.index(phrase.split()[1])
        end = day + timedelta(days=(target - day.weekday()) % 7 or 7)
    else:  # this week, this weekend, for the week / weekend
        end = day + timedelta(days=6 - day.weekday())
    return end.isoformat()
