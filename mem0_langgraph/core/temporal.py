"""Dates in recall: "when did I ...", "what did I do last week", "in May", "two weeks ago".

A question's time expressions are resolved against the turn's own time (the human message's
``said_at``, else now) into a window; memories said inside it (by their ``said_at``) are lifted, and
those said shortly after it half as much (a memory says "last week" about the week before it was
said). A question that asks *when* something happened lifts memories that carry a time cue
("yesterday", "last Friday", "in 2022", "two weeks ago"): those are the ones that can answer it.

Lifts are shares of the distance to 1 (``s + w * (1 - s)``), as `KeywordFusion`'s, so scores stay in
the backend's [0, 1] units. Pure regexes and ``datetime``; no model call. English only.

Measured on LoCoMo dev conversations 0-4 (``eval retrieval``, temporal questions): see the README.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from mem0_langgraph.backends.base import MemoryHit
from mem0_langgraph.core.timeinfo import hit_time

_CUE_LIFT = 0.2  # share of (1 - s) a time-cued memory gains on a "when" question (LoCoMo dev: 0.1-0.3 tried)
_WINDOW_LIFT = 0.2  # share a memory said inside the question's window gains (0.1-0.3 tried)
_SLACK_DAYS = 14  # said up to this long after the window: it may still talk about it ("last week")

_MONTHS = ("january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
           "november", "december")
_MON = "|".join(_MONTHS + tuple(m[:3] for m in _MONTHS if m != "may") + ("sept",))
_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_NUMBERS = {"a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
            "eight": 8, "nine": 9, "ten": 10, "few": 3, "couple": 2, "couple of": 2}
_UNIT_DAYS = {"day": 1, "week": 7, "month": 30, "year": 365}
_SEASON_START = {"spring": 3, "summer": 6, "fall": 9, "autumn": 9, "winter": 12}

_ASKS_WHEN = re.compile(
    r"^\s*(?:when\b|since when\b|what (?:date|day|year|month|time)\b|which (?:year|month|day|date)\b|"
    r"how long (?:ago|has|have|had|did|was|were|since)\b|how many (?:days|weeks|months|years)\b)|"
    r"\bhow long ago\b|\b(?:what|which) (?:year|month|date)\b|\bwhat was the (?:date|day|year|month)\b|"
    r"\bhow many (?:days|weeks|months|years) "
    r"(?:passed|ago|before|after|between|since)\b", re.IGNORECASE)
_TIME_CUE = re.compile(
    r"\b(?:yesterday|today|tonight|tomorrow|the other day|over the weekend|earlier this \w+|"
    r"(?:last|this|next) (?:week|weekend|month|year|night|summer|winter|spring|fall|autumn|morning|"
    + "|".join(_WEEKDAYS) + r")|this past \w+|"
    r"(?:a|an|one|two|three|four|five|six|seven|eight|nine|ten|few|couple(?: of)?|\d+) (?:days?|weeks?|months?|years?) "
    r"ago|(?:in|since|during|back in|early|late|mid) (?:" + _MON + r"|(?:19|20)\d\d)|on (?:" + "|".join(_WEEKDAYS)
    + r")|(?:" + _MON + r")\.? \d{1,2}(?:st|nd|rd|th)?|\d{1,2}(?:st|nd|rd|th)? (?:of )?(?:" + _MON + r")|"
    r"(?:19|20)\d\d|\d{4}-\d{2}-\d{2}|\d{1,2}/\d{1,2}(?:/\d{2,4})?)\b", re.IGNORECASE)


@dataclass(frozen=True)
class TimeQuery:
    """What a question says about time.

    Attributes:
        asks_when: The question asks for a time ("when did I ...", "how long ago ...", "what year ...").
        window: ``[start, end)`` in UTC that the question's time expression names ("last week",
            "in May", "two weeks ago"), resolved against the turn's time; None when it names none.
    """

    asks_when: bool = False
    window: tuple[datetime, datetime] | None = None

    def __bool__(self) -> bool:
        return self.asks_when or self.window is not None


def parse_time_query(text: str, now: datetime) -> TimeQuery:
    """Read a question's time expressions, resolved against ``now`` (the turn's time).

    Understood: yesterday, today / tonight / this morning, this / last week, last weekend, last Saturday,
    last month, last year, N days / weeks / months / years ago, in / during <month> [year] (the
    latest such month not after ``now``), in <year>, during the summer (winter, ...).

    Example:
        >>> now = datetime(2023, 10, 20, 15, tzinfo=timezone.utc)  # a Friday
        >>> tq = parse_time_query("What did I do last week?", now)
        >>> tq.asks_when, [d.date().isoformat() for d in tq.window]
        (False, ['2023-10-09', '2023-10-16'])
        >>> [d.date().isoformat() for d in parse_time_query("When did I go camping in June?", now).window]
        ['2023-06-01', '2023-07-01']
        >>> parse_time_query("Who did I go with to the music event last Saturday?", now).window[0].date().isoformat()
        '2023-10-14'
        >>> parse_time_query("When did Caroline go to the support group?", now)
        TimeQuery(asks_when=True, window=None)
    """
    return TimeQuery(asks_when=bool(_ASKS_WHEN.search(text)), window=_window(text.lower(), now))


def has_time_cue(text: str) -> bool:
    """Whether ``text`` says when something happened ("yesterday", "last Friday", "in 2022", "May 7").

    Example:
        >>> has_time_cue("I went to a support group yesterday."), has_time_cue("I love pottery.")
        (True, False)
    """
    return _TIME_CUE.search(text) is not None


def time_lift(hits: Sequence[MemoryHit], query: TimeQuery, *, cue_lift: float = _CUE_LIFT,
              window_lift: float = _WINDOW_LIFT) -> list[MemoryHit]:
    """One query's hits, lifted by ``query``'s time expressions, best first.

    A memory said inside the window gains ``window_lift`` of its distance to 1 (half that when said
    up to two weeks after it); on a "when" question a memory with a time cue gains ``cue_lift``.
    Untimed memories (no ``said_at`` / ``created_at``) are never lifted by the window.

    Example:
        >>> now = datetime(2023, 10, 20, tzinfo=timezone.utc)
        >>> hits = [MemoryHit("1", "I cooked pasta.", 0.60, "2023-09-01T10:00:00+00:00"),
        ...         MemoryHit("2", "I cooked risotto.", 0.58, "2023-10-11T10:00:00+00:00")]
        >>> [h.id for h in time_lift(hits, parse_time_query("What did I cook last week?", now))]
        ['2', '1']
    """
    if not query:
        return list(hits)
    out = []
    for h in hits:
        s = h.score
        if query.window is not None:
            when = hit_time(h)
            start, end = query.window
            if when is not None and start <= when < end:
                s += window_lift * max(0.0, 1.0 - s)
            elif when is not None and end <= when < end + timedelta(days=_SLACK_DAYS):
                s += 0.5 * window_lift * max(0.0, 1.0 - s)
        if query.asks_when and has_time_cue(h.text):
            s += cue_lift * max(0.0, 1.0 - s)
        out.append(dataclasses.replace(h, score=s) if s != h.score else h)
    out.sort(key=lambda h: h.score, reverse=True)
    return out


def _window(text: str, now: datetime) -> tuple[datetime, datetime] | None:
    day = now.astimezone(timezone.utc).replace(hour=0, minute=0, second=0, microsecond=0)
    if re.search(r"\byesterday\b", text):
        return day - timedelta(days=1), day
    if re.search(r"\b(?:today|tonight|this morning)\b", text):
        return day, day + timedelta(days=1)
    if re.search(r"\blast week\b", text):
        start = day - timedelta(days=day.weekday() + 7)
        return start, start + timedelta(days=7)
    if re.search(r"\bthis week\b", text):
        return day - timedelta(days=day.weekday()), day + timedelta(days=1)
    if re.search(r"\blast weekend\b", text):
        saturday = day - timedelta(days=(day.weekday() - 5) % 7 or 7)
        return saturday, saturday + timedelta(days=2)
    m = re.search(r"\blast (" + "|".join(_WEEKDAYS) + r")\b", text)
    if m:
        back = (day.weekday() - _WEEKDAYS.index(m.group(1))) % 7 or 7
        return day - timedelta(days=back), day - timedelta(days=back - 1)
    if re.search(r"\blast month\b", text):
        first = day.replace(day=1)
        return (first - timedelta(days=1)).replace(day=1), first
    if re.search(r"\blast year\b", text):
        return day.replace(year=day.year - 1, month=1, day=1), day.replace(month=1, day=1)
    m = re.search(r"\b(an?|one|two|three|four|five|six|seven|eight|nine|ten|few|couple(?: of)?|\d+) "
                  r"(day|week|month|year)s? ago\b", text)
    if m:
        unit = _UNIT_DAYS[m.group(2)]
        n = _NUMBERS.get(m.group(1)) or int(m.group(1))
        centre, half = day - timedelta(days=n * unit), max(1, n * unit // 4)
        return centre - timedelta(days=half), centre + timedelta(days=half + 1)
    m = re.search(r"\b(?:in|during|of|since) (" + "|".join(_MONTHS) + r")(?:,? ((?:19|20)\d\d))?\b", text)
    if m:
        month = _MONTHS.index(m.group(1)) + 1
        year = int(m.group(2)) if m.group(2) else (day.year if month <= day.month else day.year - 1)
        return _month(year, month), _month(year + (month == 12), month % 12 + 1)
    m = re.search(r"\bin ((?:19|20)\d\d)\b", text)
    if m:
        year = int(m.group(1))
        return _month(year, 1), _month(year + 1, 1)
    m = re.search(r"\b(?:during|in|over|this|last) (?:the )?(summer|winter|spring|fall|autumn)\b", text)
    if m:
        month = _SEASON_START[m.group(1)]
        start = _month(day.year if month <= day.month else day.year - 1, month)
        return start, start + timedelta(days=92)
    return None


def _month(year: int, month: int) -> datetime:
    return datetime(year, month, 1, tzinfo=timezone.utc)
