"""Text helpers shared by the gate, recall and store paths.

Pure functions, no I/O: extracting the text of a LangChain message (string or
content blocks), normalising it for comparisons, recognising trivial turns and
estimating tokens.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from langchain_core.messages import BaseMessage

_WS = re.compile(r"\s+")
SENTENCE = re.compile(r"(?<=[.!?])\s+|\n+")
"""Where a memory's text splits into sentences (`excerpt`, and the subject sentence in `time_rank`)."""
_PUNCT = re.compile(r"[^\w\s']+", re.UNICODE)

# Words that make up trivial turns: greetings, thanks, acknowledgements and
# sign-offs. A turn made only of these (at most _TRIVIAL_MAX_WORDS words)
# carries nothing worth recalling for or storing.
_TRIVIAL_WORDS = frozenset(
    """
    hi hello hey heya hiya yo howdy greetings morning afternoon evening good night gm gn there
    everyone folks guys again
    thanks thank thx ty tysm cheers appreciated appreciate much so very lot a you
    ok okay k kk okey sure fine great cool nice perfect awesome excellent lovely wonderful
    got it noted understood sounds makes sense right alright yes yeah yep yup no nope nah
    bye goodbye later see ya cya ttyl take care welcome np problem lol haha hahaha wow
    oh ah hmm hm indeed true exactly agreed done that's thats it's its all for now
    """.split()
)
_TRIVIAL_MAX_WORDS = 6

CHARS_PER_TOKEN = 4
"""Rough English average used for token budgets; exact counts need the model's tokenizer."""


def message_text(message: BaseMessage | Any) -> str:
    """Return the plain text of a message, ignoring non-text content blocks.

    Args:
        message: A LangChain message (or anything with a ``content`` attribute).

    Returns:
        The text parts joined by newlines, stripped; ``""`` when there is none
        (an image-only message, a tool call without text).

    Example:
        >>> from langchain_core.messages import HumanMessage
        >>> message_text(HumanMessage(content=[{"type": "text", "text": "Look:"},
        ...                                    {"type": "image_url", "image_url": {"url": "x"}}]))
        'Look:'
    """
    content = getattr(message, "content", message)
    return content_text(content)


def content_text(content: Any) -> str:
    """Return the text of a message ``content`` (a string or a list of blocks), always valid UTF-8.

    Example:
        >>> content_text("bad \\ud800 surrogate")
        'bad \\ufffd surrogate'
    """
    return scrub(_content_text(content))


def scrub(text: str) -> str:
    """Replace lone surrogates (text no encoder accepts) with U+FFFD; leave everything else as is."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        # Through UTF-16: a pair written as two code points joins into its character.
        return text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")
    return text


def _content_text(content: Any) -> str:
    if isinstance(content, str):
        return content.strip()
    if isinstance(content, list):
        parts: list[str] = []
        for block in content:
            if isinstance(block, str):
                parts.append(block)
            elif isinstance(block, dict) and block.get("type") == "text":
                text = block.get("text")
                if isinstance(text, str):
                    parts.append(text)
        return "\n".join(p.strip() for p in parts if p.strip())
    return ""


def normalise(text: str) -> str:
    """Lower-case, drop punctuation and collapse whitespace, for comparisons.

    Example:
        >>> normalise("  I'm   Vegetarian! ")
        "i'm vegetarian"
    """
    return _WS.sub(" ", _PUNCT.sub(" ", text.lower())).strip()


def is_trivial(text: str) -> bool:
    """Whether a turn is a greeting, thanks, acknowledgement or empty.

    Example:
        >>> is_trivial("Thanks a lot!"), is_trivial("ok"), is_trivial("I'm vegetarian")
        (True, True, False)
    """
    words = normalise(text).split()
    if not words:
        return True
    return len(words) <= _TRIVIAL_MAX_WORDS and all(w in _TRIVIAL_WORDS for w in words)


def estimate_tokens(text: str) -> int:
    """Estimate the token count of ``text`` (about four characters a token)."""
    return len(text) // CHARS_PER_TOKEN + 1


def clip(text: str, max_chars: int) -> str:
    """Cut ``text`` to at most ``max_chars`` characters, marking the cut.

    Example:
        >>> clip("abcdefghij", 6)
        'abcde…'
    """
    if len(text) <= max_chars:
        return text
    return text[: max_chars - 1] + "…"


def head_tail(text: str, max_chars: int) -> str:
    """Keep the start and the end of a long text: where questions usually sit."""
    if len(text) <= max_chars:
        return text
    half = max_chars // 2
    return text[:half] + "\n…\n" + text[-half:]


def contained_in(needle: str, haystacks: Iterable[str]) -> bool:
    """Whether normalised ``needle`` occurs in any of the normalised ``haystacks``."""
    n = normalise(needle)
    return bool(n) and any(n in h for h in haystacks)


def last_of_type(messages: Sequence[Any], type_: str, *, with_text: bool = True) -> int | None:
    """Index of the newest message of LangChain ``type_`` (``"human"``, ``"ai"``), or None."""
    for i in range(len(messages) - 1, -1, -1):
        m = messages[i]
        if getattr(m, "type", None) == type_ and (not with_text or message_text(m)):
            return i
    return None


def is_question(sentence: str) -> bool:
    """Does ``sentence`` ask rather than state (ends in "?", closing quotes or brackets aside)?

    Example:
        >>> is_question('Is it "done?"'), is_question("It is done.")
        (True, False)
    """
    return sentence.rstrip(" )\"'").endswith("?")


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """``(start, end)`` of each sentence of ``text`` (split at `SENTENCE`), without the whitespace between.

    Example:
        >>> text = "I moved. Now in Porto! Bye"
        >>> [text[a:b] for a, b in sentence_spans(text)]
        ['I moved.', 'Now in Porto!', 'Bye']
    """
    spans, start = [], 0
    for m in SENTENCE.finditer(text):
        if text[start:m.start()].strip():
            spans.append((start, m.start()))
        start = m.end()
    if text[start:].strip():
        spans.append((start, len(text.rstrip())))
    return spans
