"""The write gate: decides per exchange what is worth remembering, as the recall gate decides when to look.

Statements about the user (facts, preferences, plans, events, people, feelings)
and explicit "remember that ..." are kept; self-contained requests and questions
that reveal nothing about the user are not. The assistant's reply is kept where it
is advice or a recommendation given to this user ("what did you recommend me?"),
never where it only repeats the memories recalled for that turn. Each kept message
gets a category, stored in its metadata and searchable by filter.

A gate is anything with ``judge`` and ``ajudge`` (the `WriteGate` protocol).
`RuleWriteGate` (the default) costs a few regexes and no model call or embedding;
`StoreAll` is the old behaviour (a baseline); `LLMWriteGate` (gates/write_llm.py)
asks a chat model.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal, Protocol, runtime_checkable

from mem0_langgraph.core._text import head_tail, is_trivial, normalise

CATEGORIES = ("preference", "fact", "event", "plan", "relationship", "emotion", "advice")
"""The categories a kept memory gets (``metadata["category"]``); ``advice`` is the assistant's."""

AssistantPolicy = Literal["advice", "never", "always"]


@dataclass(frozen=True)
class Exchange:
    """One exchange as the write gate sees it.

    Attributes:
        user: The user's message text.
        assistant: The assistant's reply text (``""`` when there is none).
        recalled: The memories recalled for this turn (texts): a reply that only repeats them is not kept.
        said_at: When the user said it (for expiry of "this week" statements); None: unknown.
    """

    user: str
    assistant: str = ""
    recalled: tuple[str, ...] = ()
    said_at: datetime | None = None


@dataclass(frozen=True)
class WriteDecision:
    """The write gate's verdict for one exchange.

    Attributes:
        user: Store the user's message.
        assistant: Store the assistant's reply (as ``advice``).
        reason: A short why, for the turn's trace.
        category: The user message's category (one of `CATEGORIES`), when kept.
        score: How clearly the user message is about the user, in [0, 1].
        expires: ``YYYY-MM-DD``: the user's statement holds until this day ("I'm in Lisbon this week");
            mem0 hides it from recall afterwards (``expiration_date``). None: no end.

    Example:
        >>> WriteDecision(user=True, assistant=False, reason="states a preference", category="preference").store
        True
    """

    user: bool
    assistant: bool
    reason: str
    category: str | None = None
    score: float = 0.0
    expires: str | None = None
    roles: tuple[str, ...] = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "roles", tuple(r for r, keep in (("user", self.user),
                                                                 ("assistant", self.assistant)) if keep))

    @property
    def store(self) -> bool:
        """Whether anything of the exchange is stored."""
        return self.user or self.assistant


@runtime_checkable
class WriteGate(Protocol):
    """Decides what of an exchange is worth remembering."""

    def judge(self, exchange: Exchange) -> WriteDecision:
        """The verdict for ``exchange``."""
        ...

    async def ajudge(self, exchange: Exchange) -> WriteDecision:
        """Async twin of `judge`."""
        ...


class SyncWriteGate:
    """Base for write gates that do no I/O: ``ajudge`` delegates to ``judge``."""

    def judge(self, exchange: Exchange) -> WriteDecision:
        raise NotImplementedError

    async def ajudge(self, exchange: Exchange) -> WriteDecision:
        return self.judge(exchange)


class StoreAll(SyncWriteGate):
    """Store every non-trivial exchange, both sides (the behaviour before the write gate; a baseline).

    Example:
        >>> StoreAll().judge(Exchange("How do I reverse a list in Python?", "Use reversed().")).roles
        ('user', 'assistant')
    """

    def judge(self, exchange: Exchange) -> WriteDecision:
        if is_trivial(exchange.user):
            return WriteDecision(user=False, assistant=False, reason="trivial turn")
        return WriteDecision(user=True, assistant=bool(exchange.assistant.strip()), reason="store all",
                             category=categorise(exchange.user))


_I = re.IGNORECASE
_FAMILY = (r"wife|husband|partner|girlfriend|boyfriend|fianc[ée]e?|spouse|kids?|children|son|daughter|baby|"
           r"mom|mum|dad|mother|father|parents?|brother|sister|siblings?|grand\w+|aunt|uncle|cousin|niece|nephew|"
           r"family|friends?|best friend|boss|manager|colleagues?|coworkers?|co-workers?|roommates?|neighbou?rs?|"
           r"dog|cat|puppy|kitten|pets?")
_SELF = r"(?:I|I'm|I've|I'd|I'll|Im|Ive|we|we're|we've)"
DEFAULT_WRITE_RULES: tuple[tuple[str, float, str], ...] = (
    (r"\b(remember|note|keep in mind|don't forget|do not forget)\b[^.?!]{0,12}\b(that|this|:)|"
     r"\b(for (future|later) reference|note to self|please remember|remember:)", 1.0, "asks to remember"),
    (r"\b(I'm|I am|I was|I've been|I have been|Im)\b(?! (?:looking|trying|wondering|asking|curious|not sure|"
     r"interested in learning|getting an error|working on a (?:project|function|script|program)))", 0.55,
     "says something about the user"),
    (r"\bI('ve| have|'d| had)? ((just|recently|finally|already|usually|always|never|often|sometimes|still|"
     r"currently|now|also|really|mostly|rarely|actually|even) )?(used to|started|stopped|quit|moved|live|lived|"
     r"work|worked|grew up|was born|bought|got|went|visited|finished|attended|attend|joined|adopted|married|met|"
     r"love|like|enjoy|prefer|hate|dislike|can't stand|don't (?:eat|drink|like)|own|have (?:a|an|two|three|"
     r"been|had)|had|spent|tried|signed up|volunteer\w*|ran|run|play|played|take|took|collect|decided|plan|"
     r"planned|sold|made|read|watched|saw|seen|learned|noticed|found|lost|won|been|done|participated|"
     r"[a-z]+ed)\b", 0.6, "says something about the user"),
    (r"\b(we|we're|we've|we'd|we'll)( (just|usually|always|often|really|all|both|still|also|finally))? "
     r"(are|have|had|were|was|used to|love|like|prefer|enjoy|went|got|took|made|bought|moved|live|"
     r"started|decided|adopted|married|'re not|not|gonna|going to|plan|planned|spent|visited|tried|"
     r"roasted|played|watched|met|did|do)\b", 0.55, "says something about the user's household"),
    (r"\bI('d| would)? (typically|generally|want to|wanna|should|can't wait|hope to|'d say|would say|"
     r"guess|think I|need to|have to|love to|miss)\b|\b(helps|makes|made|gets|keeps|reminds|inspires) me\b",
     0.5, "says something about the user"),
    (rf"\b(my|our) ({_FAMILY})\b", 0.6, "mentions the user's people"),
    (r"\b(my|our)\b", 0.5, "mentions the user's things"),
    (r"\b(I'll|I will|I'm going to|I am going to|I'm planning|I am planning|I plan to|we're going|"
     r"we are going|we plan|I'm thinking of|I'm considering|I'm hoping to)\b", 0.45, "states a plan"),
    (r"\b(I|we) (feel|felt|am feeling|'m feeling)\b|\bI'm (so |really |very |a bit |kind of )?(happy|sad|"
     r"stressed|anxious|excited|worried|nervous|frustrated|upset|lonely|tired|exhausted|overwhelmed|"
     r"thrilled|proud|grateful|scared|bored)\b", 0.6, "shares a feeling"),
    (r"\b(vegetarian|vegan|pescatarian|allergic|gluten|lactose|kosher|halal)\b", 0.5, "states a diet"),
    (r"\bas an? ([a-z-]+ )?[a-z-]+(er|ist|or|ian|ent|ant|mom|dad|parent|student|nurse|chef|owner)\b[^?]{0,80},"
     r"|\b(someone|people) (in|of) (my|their) \d0s\b|\bI'm \d{2}\b", 0.5, "describes the user"),
    (r"\b(actually|no longer|not anymore|any more|these days|from now on|moved to|switched to|changed my)\b",
     0.35, "updates an earlier statement"),
    # Chat between people leaves the subject out ("Joined a travel club.", "Been busy with the shelter.")
    (r"(?:^|[.!?]\s+|: )(?:just |recently |finally |also |still )?(?:been|got|went|joined|started|picked|finished|"
     r"had|made|took|tried|bought|saw|found|signed|spent|learned|working on|trying out|thinking)\b(?![^.!?]*\?)", 0.5,
     "says what the user did"),
    (r"\b(yesterday|last (week|weekend|month|year|night|time)|tomorrow|next (week|month|weekend)|ago|"
     r"this (morning|week|weekend))\b(?![^.!?]*\?)", 0.5, "says when something happened"),  # not in a question
    (r"\b(I|we)('ve|'d)? ((really|also|even|both|all|just|probably|definitely|totally|actually|always|never) )?"
     r"(admire|chose|choose|did|said|told|bet|reassured|helped|teach|taught|drew|paint|painted|write|wrote|wear|"
     r"care|miss|missed|can't have|can't eat|can't wait|won|lost|beat|cook|bake|baked|grow|grew|build|built|"
     r"keep|kept|feel|felt)\b(?![^.!?]*\?)", 0.5, "says something about the user"),  # "should I cook ...?" asks
)
"""``(pattern, weight, reason)`` triples scored by noisy-or, like `RuleGate`'s."""

_ADVICE_REQUEST = re.compile(
    r"\b(recommend\w*|suggest\w*|ideas?|advice|advise|tips?|should I|should we|what would you|"
    r"which (one|is better|would)|help me (choose|pick|decide|plan|find)|any (good|great) |"
    r"where (can|should|could) I|what can I|how (can|should|do) I (improve|start|get better|prepare|choose)|"
    r"could you (find|pick|plan)|plan (a|my|our)|itinerary|options? for me)\b", _I)
_CATEGORY_RULES: tuple[tuple[str, str], ...] = (
    ("emotion", r"\b(I|we) (feel|felt|am feeling)\b|\bI'm (so |really |very |a bit )?(happy|sad|stressed|"
                r"anxious|excited|worried|nervous|frustrated|upset|lonely|overwhelmed|scared|proud|grateful)\b"),
    ("preference", r"\b(love|like|enjoy|prefer|hate|dislike|can't stand|favou?rite|fan of|into|vegetarian|"
                   r"vegan|pescatarian|allergic|don't eat|don't drink|started eating|stopped eating|taste)\b"),
    ("plan", r"\b(going to|gonna|planning|plan to|plans?|will be|I'll|next (week|month|year|weekend)|tomorrow|"
             r"(I'm|I am|we're|we are) (moving|starting|leaving|getting|having|visiting|flying|travell?ing|going)|"
             r"this (weekend|summer|winter|spring|fall|autumn)|upcoming|intend|hoping to|thinking of)\b"),
    ("event", r"\b(yesterday|last (week|month|year|night|weekend)|ago|just (got|finished|bought|moved|started|"
              r"came back|returned)|I (went|visited|bought|got|finished|attended|had|met|moved|started|won|"
              r"lost|graduated|married|adopted|ran|completed))\b"),
    ("relationship", rf"\b(my|our) ({_FAMILY})\b"),
)
_ECHO_STOP = frozenset("the a an and or of to in on for with is are was were be been it this that you your i me my "
                       "we our as at by from so if but not no do does did have has had can could would should "
                       "will just about here there what which who how when where told said mentioned "
                       "remember utc mon tue wed thu fri sat sun superseded newer statement assistant's advice "
                       "memory memories context current time".split())
_MAX_GATE_CHARS = 4000


def categorise(text: str) -> str:
    """The category of a user statement (one of `CATEGORIES` but ``advice``).

    Example:
        >>> [categorise(t) for t in ("I'm vegetarian.", "My sister Ana lives in Porto.", "I work as a nurse.")]
        ['preference', 'relationship', 'fact']
    """
    for name, pattern in _CATEGORY_RULES:
        if _compiled(pattern).search(text):
            return name
    return "fact"


_CACHE: dict[str, re.Pattern[str]] = {}


def _compiled(pattern: str) -> re.Pattern[str]:
    if pattern not in _CACHE:
        _CACHE[pattern] = re.compile(pattern, _I)
    return _CACHE[pattern]


def repeats_recalled(reply: str, recalled: Sequence[str], user: str = "", *, min_new: float = 0.35) -> bool:
    """Whether ``reply`` only repeats the recalled memories (and the user's words): an echo, not evidence.

    Example:
        >>> repeats_recalled('You told me: "I\\'m vegetarian." (2026-11-02)', ["I'm vegetarian."])
        True
        >>> repeats_recalled("Since you eat fish again, try grilled sardines with a tomato salad.", ["I'm vegetarian."])
        False
    """
    if not recalled:
        return False
    known = set(_words(" ".join(recalled))) | set(_words(user)) | _ECHO_STOP
    words = [w for w in _words(reply) if w not in _ECHO_STOP]
    if not words:
        return True
    new = sum(1 for w in words if w not in known)
    return new / len(words) < min_new or any(normalise(r) and normalise(r) in normalise(reply)
                                             and len(normalise(r)) > 0.6 * len(normalise(reply)) for r in recalled)


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z][a-z']+", text.lower())


class RuleWriteGate(SyncWriteGate):
    """Keep what the user says about themselves, and advice given to them; no model call, no embedding.

    Args:
        threshold: Noisy-or score of `DEFAULT_WRITE_RULES` a user message needs to be kept. Default 0.5.
        assistant: Which replies to keep: ``"advice"`` (default): replies to a request for advice or a
            recommendation, unless they only repeat recalled memories; ``"never"``; ``"always"`` (every
            non-empty reply that is not an echo).
        rules: ``(regex, weight, reason)`` triples. Default `DEFAULT_WRITE_RULES`.
        expire_temporary: Give statements that hold for a short while ("I'm in Lisbon this week") an
            expiration date, so they stop being recalled after it. Default True.

    Example:
        >>> gate = RuleWriteGate()
        >>> gate.judge(Exchange("I'm vegetarian.", "Noted!"))
        WriteDecision(user=True, assistant=False, reason='says something about the user; states a diet', \
category='preference', score=0.775, expires=None, roles=('user',))
        >>> gate.judge(Exchange("How do I reverse a list in Python?", "Use reversed().")).store
        False
        >>> gate.judge(Exchange("Any ideas for dinner tonight?", "Try a mushroom risotto with peas.")).roles
        ('assistant',)
    """

    def __init__(self, *, threshold: float = 0.5, assistant: AssistantPolicy = "advice",
                 rules: Sequence[tuple[str, float, str]] = DEFAULT_WRITE_RULES, expire_temporary: bool = True) -> None:
        if not 0.0 < threshold <= 1.0:
            raise ValueError(f"threshold must be in (0, 1], got {threshold}")
        if assistant not in ("advice", "never", "always"):
            raise ValueError(f"assistant must be 'advice', 'never' or 'always', got {assistant!r}")
        self.threshold = threshold
        self.assistant = assistant
        self.expire_temporary = expire_temporary
        self._rules = [(re.compile(p, _I), w, r) for p, w, r in rules]

    def score(self, text: str) -> tuple[float, list[str]]:
        """Noisy-or score of the user message, and the reasons that matched."""
        text = head_tail(text, _MAX_GATE_CHARS)
        miss, reasons = 1.0, []
        for pattern, weight, reason in self._rules:
            if pattern.search(text):
                miss *= 1.0 - weight
                if reason not in reasons:
                    reasons.append(reason)
        return round(1.0 - miss, 4), reasons

    def judge(self, exchange: Exchange) -> WriteDecision:
        if is_trivial(exchange.user):
            return WriteDecision(user=False, assistant=False, reason="trivial turn")
        score, reasons = self.score(exchange.user)
        keep_user = score >= self.threshold
        keep_ai, ai_why = self._assistant(exchange)
        why = "; ".join(reasons) if keep_user else ("reveals nothing about the user" if not reasons
                                                    else "; ".join(reasons) + " (below threshold)")
        if ai_why:
            why = f"{why}; reply: {ai_why}"
        return WriteDecision(user=keep_user, assistant=keep_ai, reason=why,
                             category=categorise(exchange.user) if keep_user else None, score=score,
                             expires=self._expires(exchange) if keep_user else None)

    def _assistant(self, exchange: Exchange) -> tuple[bool, str]:
        reply = exchange.assistant.strip()
        if not reply or self.assistant == "never":
            return False, ""
        if repeats_recalled(reply, exchange.recalled, exchange.user):
            return False, "only repeats recalled memories"
        if self.assistant == "always":
            return True, "kept"
        if is_trivial(reply) or len(_words(reply)) < 3:
            return False, ""
        if _ADVICE_REQUEST.search(head_tail(exchange.user, _MAX_GATE_CHARS)):
            return True, "advice given to the user"
        return False, ""

    def _expires(self, exchange: Exchange) -> str | None:
        if not self.expire_temporary or exchange.said_at is None:
            return None
        from mem0_langgraph.core.timeinfo import expiry_of

        return expiry_of(exchange.user, exchange.said_at)
