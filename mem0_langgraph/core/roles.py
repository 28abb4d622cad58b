"""Who said it: a question about the user's own life is answered by what the user said; one about what
the assistant said ("what did you recommend?") by the assistant's replies.

Stored assistant replies are long and on topic, so dense search often ranks a reply about sneakers
above the user's own "I keep my old sneakers under the bed". `asked_role` reads which side a question
asks about, and `role_lift` lifts the memories of that side by a share of their distance to 1 (as
`KeywordFusion` does), so scores stay in the backend's [0, 1] units. A memory without a role (written
straight into mem0, or extracted by its LLM) counts as the user's. Pure regexes; no model call.
English only.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping, Sequence
from typing import Any, Literal

from mem0_langgraph.backends.base import MemoryHit

Role = Literal["user", "assistant"]

_ASKS_ASSISTANT = re.compile(
    # what the assistant said before: "you recommended", "did you say", "our previous chat about ..."; not
    # "what I told you" (the user's words) nor "did you know I ..."
    r"\b(?:you|your)\b(?:(?!\b(?:I|we|me)\b)[^.?!]){0,40}?\b(?:recommended|suggested|said|told|mentioned|gave|"
    r"provided|listed|named|shared|advised|proposed|came up with|wrote|explained|described|showed)\b|"
    r"\bdid you (?:say|tell|recommend|suggest|mention|give|list|name|share|advise|propose|write|explain)\b|"
    r"\b(?:our|the|that) (?:previous|last|earlier|past) (?:conversation|chat|discussion|talk|session)s?\b|"
    r"\bwe (?:talked|discussed|chatted|spoke) about\b", re.IGNORECASE)
_FIRST_PERSON = re.compile(r"\b(?:I|my|me|mine|myself|I'm|I've|I'd|I'll)\b", re.IGNORECASE)


def asked_role(text: str) -> Role | None:
    """Whose words answer ``text``: ``"assistant"`` for what the assistant said or recommended,
    ``"user"`` for a first-person question about the user's own life, None otherwise (a question
    about someone else, or no question at all).

    Example:
        >>> asked_role("Can you remind me which hiking boots you recommended?")
        'assistant'
        >>> asked_role("Where do I keep my old sneakers?")
        'user'
        >>> asked_role("When did Caroline go to the support group?") is None
        True
    """
    if _ASKS_ASSISTANT.search(text):
        return "assistant"
    if _FIRST_PERSON.search(text):
        return "user"
    return None


def role_of(metadata: Mapping[str, Any]) -> Role:
    """The side a memory was said by: ``"assistant"`` for a stored reply (role or ``advice`` category),
    else ``"user"`` (also for a memory that names no role).

    Example:
        >>> role_of({"role": "assistant"}), role_of({"category": "advice"}), role_of({})
        ('assistant', 'assistant', 'user')
    """
    return "assistant" if metadata.get("role") == "assistant" or metadata.get("category") == "advice" else "user"


def role_lift(hits: Sequence[MemoryHit], role: Role | None, lift: float) -> list[MemoryHit]:
    """One query's hits, those said by ``role`` lifted by ``lift`` of their distance to 1, best first.

    Example:
        >>> hits = [MemoryHit("1", "Store sneakers in a cool, dry place.", 0.70, metadata={"role": "assistant"}),
        ...         MemoryHit("2", "I keep my old sneakers under the bed.", 0.66, metadata={"role": "user"})]
        >>> [(h.id, round(h.score, 3)) for h in role_lift(hits, "user", 0.2)]
        [('2', 0.728), ('1', 0.7)]
    """
    if role is None or lift <= 0:
        return list(hits)
    out = [dataclasses.replace(h, score=h.score + lift * max(0.0, 1.0 - h.score)) if role_of(h.metadata) == role
           else h for h in hits]
    out.sort(key=lambda h: h.score, reverse=True)
    return out
