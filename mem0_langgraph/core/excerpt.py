"""What of a long memory reaches the model: the sentences the question is about.

A stored chat turn can run to thousands of characters, and the fact a question needs is often in its
last sentence ("... By the way, our volleyball team is 5-2 now."). Recall gives each memory at most a
share of its token budget; cutting the head off would hand the model the part that does not answer.
`excerpt` keeps the sentence that shares the most of the question's words, grown with its neighbours
up to the limit, and marks each cut with an ellipsis. Pure Python; no model call.
"""

from __future__ import annotations

from mem0_langgraph.core._text import clip, sentence_spans
from mem0_langgraph.core.rerank import keyword_terms, question_terms

_CUT = "…"


def excerpt(text: str, max_chars: int, question: str) -> str:
    """``text`` if it fits in ``max_chars``, else the part of it that ``question`` is about.

    The sentence that shares the most of the question's content words (the first one on a tie, the
    head of the text when none shares any) is kept, then the sentences after and before it in turn
    while they fit; a cut is marked with "…". The result is never longer than ``max_chars``.

    Example:
        >>> text = ("I'm signing up for a triathlon this fall and need a training plan for swimming, cycling "
        ...         "and running. By the way, our volleyball team is doing well with a 5-2 record.")
        >>> excerpt(text, 90, "What is my record in the volleyball league?")
        '…By the way, our volleyball team is doing well with a 5-2 record.'
        >>> excerpt(text, 60, "What's the weather like?")
        "I'm signing up for a triathlon this fall and need a trainin…"
    """
    if len(text) <= max_chars:
        return text
    if max_chars < 2:
        return text[:max(0, max_chars)]
    asked = question_terms(question)
    spans = sentence_spans(text) if asked else []
    shared = [len(asked.intersection(keyword_terms(text[a:b]))) for a, b in spans]
    if not shared or max(shared) == 0:
        return clip(text, max_chars)
    best = shared.index(max(shared))
    first = last = best
    room = max_chars - 2 * len(_CUT)
    if spans[best][1] - spans[best][0] > room:
        return _marked(text, *spans[best], max_chars)
    grew = True
    while grew:
        grew = False
        if last + 1 < len(spans) and spans[last + 1][1] - spans[first][0] <= room:
            last, grew = last + 1, True
        if first > 0 and spans[last][1] - spans[first - 1][0] <= room:
            first, grew = first - 1, True
    return _marked(text, spans[first][0], spans[last][1], max_chars)


def _marked(text: str, start: int, end: int, max_chars: int) -> str:
    head = _CUT if start > 0 else ""
    tail = _CUT if end < len(text.rstrip()) else ""
    body = text[start:end]
    if len(head) + len(body) + len(tail) > max_chars:
        return head + clip(body, max_chars - len(head))
    return head + body + tail
