"""The options of the recall and store steps: one name, one default and one docstring each.

Every public surface (`with_memory`, `Mem0Middleware`, `Mem0Memory`, `RecallNode`,
`StoreNode`, `Recaller`, `Storer`) takes these options by these names and passes
them through; none restates a default. `MemoryOptions` is the whole set; the
recall side reads `RecallerOptions`, the store side `StorerOptions`. Defaults
live in `DEFAULTS`, next to the docstrings that state them.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from typing_extensions import TypedDict, Unpack

from mem0_langgraph.errors import OnError

if TYPE_CHECKING:
    from mem0_langgraph.core.recall import Recaller
    from mem0_langgraph.core.rerank import Reranker
    from mem0_langgraph.core.scopes import ScopeConfig
    from mem0_langgraph.core.store import Storer, WritePolicy
    from mem0_langgraph.core.supersede import SupersedeJudge
    from mem0_langgraph.core.writer import MemoryWriter
    from mem0_langgraph.gates.base import RecallGate
    from mem0_langgraph.gates.write import WriteGate


class SharedOptions(TypedDict, total=False):
    """Options both steps read."""

    scopes: ScopeConfig
    """Scope keys and levels. Default `ScopeConfig()`: user from ``user_id``, session from
    ``thread_id``; write user + session, search the user's memories."""
    on_error: OnError
    """``"warn"`` (default): log and answer without memory; ``"raise"``; ``"ignore"``."""


class RecallerOptions(SharedOptions, total=False):
    """Options of the recall step (`Recaller`, `RecallNode`)."""

    gate: RecallGate
    """The recall gate. Default `LearnedGate` (it beats `RuleGate` on the held-out benchmark;
    one embedding per non-trivial turn, which the search and the store then reuse)."""
    top_k: int
    """Most memories handed to the model. Default 5."""
    search_k: int
    """Candidates fetched per query before reranking and filtering. Default 100: a reranker
    can only lift evidence that dense search fetched."""
    min_score: float
    """Hits scoring lower are dropped, in the backend's units. Default 0.4: the embedded default
    (Chroma L2 on unit vectors) scores ``1 / (3 - 2 * cosine)``, so cosine above 0.25 passes."""
    max_tokens: int
    """Token budget of the memories' text (about 4 characters a token). Default 400."""
    recent_window: int
    """Messages before the newest one that the gate sees and recall dedupes against. Default 6."""
    reranker: Reranker | None
    """Re-scores each query's candidates before the filters. Default `KeywordFusion`; None: off."""
    probe_band: tuple[float, float] | None
    """Memory-aware decisions: a gate score in ``[low, high)`` is "unsure"; such a turn searches
    anyway and keeps only memories scoring ``probe_min_score`` or more. Default (0.1, 0.8); None: off."""
    probe_min_score: float
    """Score a probed memory needs. Default 0.45 (cosine 0.39 on the embedded default)."""
    recency_overlap: float | None
    """Newer first on the same subject: a memory newer (by ``said_at``) than one ranked above it, on the same
    subject and scoring within ``recency_band`` of it, moves just above it. Recall judges the subject by the
    sentence of each memory that the question is about (two shared content words, see `time_rank`); this
    value is the share of content words two whole memories must share when `time_rank` is called without
    a question. Default 0.2. None: off (no reordering by time)."""
    recency_band: float
    """How far below (in score units) a newer memory may score and still move above an older one on
    the same subject (only the best ten are reordered). Default 0.3 (LongMemEval knowledge-update,
    train side: 10/11 at 0.1, 11/11 at 0.3; LoCoMo dev R@10 unchanged, R@5 0.549 -> 0.543)."""
    superseded_penalty: float
    """Subtracted from the score of a memory a newer one superseded, so the current fact ranks first;
    it is still shown, marked superseded. Default 0.1."""
    index_k: int
    """Hybrid recall through entity links: per query, up to this many memories of the scope that best match
    the question's words and entities (names, titles, numbers; BM25 over the scope's whole entity index,
    see `EntityIndex`) and that the dense search missed join the candidates before reranking. Default 10;
    0: off (the index is still kept on the write path). LoCoMo evidence R@10 (``eval retrieval``, with
    `KeywordFusion`): dev 0.638 -> 0.677, held out 0.567 -> 0.615."""
    link_k: int
    """Entity links, second hop: per query, up to this many memories that share a rare entity (a name in at most
    5 of the scope's memories, one the question did not use) with the 3 best hits, ranked just below the
    hit that links to them ("what did my sister think of the city she moved to?": the hit naming the
    city leads to what she said about it). Default 2; 0: off. LoCoMo R@10: dev 0.677 -> 0.680, held out
    0.615 -> 0.615 (its multi-hop questions mostly gather one person's facts, which share no rare name)."""
    temporal: bool
    """Use dates: the question's time expressions ("last week", "in May", "two weeks ago"), resolved against
    the turn's own time, lift memories said then; a "when did ..." question lifts memories that say when
    (see `temporal`). Default True. LoCoMo temporal R@10: dev 0.803 -> 0.851, held out 0.632 -> 0.702."""
    role_lift: float
    """Whose words answer the question: a first-person question about the user's life lifts what the user
    said, one about what the assistant said ("what did you recommend?") lifts its replies, by this share of
    their distance to 1 (see `roles`). Default 0.2; 0: off. LongMemEval knowledge-update, train side, at
    top_k 5 and 400 tokens: 0.958 -> 1.000 (stored assistant replies about the same thing ranked above the
    user's own statement)."""
    recall_timeout_s: float | None
    """Longest a turn waits for the memory search; past it the turn answers without memory
    (per ``on_error``) and the search is abandoned. Default 1.0 (a firing search takes ~20-70 ms
    here; the margin covers a cold index on a busy machine). None: wait as long as it takes."""


class StorerOptions(SharedOptions, total=False):
    """Options of the store step (`Storer`, `StoreNode`)."""

    writer: MemoryWriter
    """Where writes go. Default: the backend's shared `BackgroundWriter`."""
    sync_store: bool
    """Write inline, for scripts and tests. Default False."""
    write_policy: WritePolicy
    """Which exchanges are worth storing at all, before the write gate. Default `SkipTrivialTurns`."""
    write_gate: WriteGate
    """What of an exchange is worth remembering (the user's statement, the assistant's advice), and its
    category. Default `RuleWriteGate` (regexes, no model call); `StoreAll()` stores every non-trivial
    exchange, both sides; `LLMWriteGate(model)` asks a chat model."""
    supersede: SupersedeJudge | None
    """Which older memories a new one replaces (marked superseded, never deleted; judged in the
    background writer after the write lands). Default `RuleJudge`; `LLMJudge(model)`; None: off."""
    store_roles: Sequence[str]
    """Sides of the exchange to store. Default ``("user", "assistant")``."""
    store_max_chars: int
    """Longer messages are cut to this many characters before storing. Default 8000."""
    store_metadata: Mapping[str, Any]
    """Extra static metadata stored with every memory. Default none."""


class MemoryOptions(RecallerOptions, StorerOptions, total=False):
    """Every option of the recall and store steps (all keyword-only, all optional).

    Taken by `with_memory`, `Mem0Middleware` and `Mem0Memory`; see `RecallerOptions`
    and `StorerOptions` for each option's default.
    """


DEFAULTS: dict[str, Any] = {
    "scopes": None,  # ScopeConfig()
    "on_error": "warn",
    "gate": None,  # LearnedGate(), built lazily: it loads numpy and its weights
    "top_k": 5,
    "search_k": 100,
    "min_score": 0.4,
    "max_tokens": 400,
    "recent_window": 6,
    "reranker": "default",  # KeywordFusion(); None turns reranking off
    "probe_band": (0.1, 0.8),
    "probe_min_score": 0.45,
    "recency_overlap": 0.2,
    "recency_band": 0.3,
    "superseded_penalty": 0.1,
    "recall_timeout_s": 1.0,
    "index_k": 10,
    "link_k": 2,
    "temporal": True,
    "role_lift": 0.2,
    "writer": None,  # the backend's shared BackgroundWriter (SyncWriter with sync_store=True)
    "sync_store": False,
    "write_policy": None,  # SkipTrivialTurns()
    "write_gate": None,  # RuleWriteGate()
    "supersede": "default",  # RuleJudge(); None turns supersession off
    "store_roles": ("user", "assistant"),
    "store_max_chars": 8000,
    "store_metadata": None,
}
"""The default of every option (None where the default is an object built on use)."""

DEPRECATED_NAMES = {"sync": "sync_store", "policy": "write_policy", "roles": "store_roles",
                    "max_chars": "store_max_chars", "metadata": "store_metadata"}
"""Old `StoreNode` / `Storer` names, accepted with a `DeprecationWarning` until 0.3."""


def resolve_options(options: Mapping[str, Any], schema: type, *, where: str = "memory") -> dict[str, Any]:
    """Check ``options`` against ``schema`` (a TypedDict above) and fill in every default.

    Args:
        options: What the caller passed.
        schema: `MemoryOptions`, `RecallerOptions` or `StorerOptions`.
        where: Named in the deprecation warning.

    Returns:
        Every key of ``schema`` with the caller's value or the default.

    Raises:
        TypeError: An unknown option, naming the valid ones.

    Example:
        >>> resolve_options({"top_k": 3}, RecallerOptions)["top_k"], resolve_options({}, RecallerOptions)["top_k"]
        (3, 5)
        >>> resolve_options({"topk": 3}, MemoryOptions)  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        TypeError: unknown memory option(s) ['topk']; valid: gate, index_k, link_k, max_tokens, ...
    """
    valid = schema.__annotations__
    given = dict(options)
    for old, new in DEPRECATED_NAMES.items():
        if old in given and new in valid:
            warnings.warn(f"{where}({old}=...) is deprecated; use {new}=... (the name every surface shares)",
                          DeprecationWarning, stacklevel=4)
            if new in given:
                raise TypeError(f"pass {new}= only, not both {old}= and {new}=")
            given[new] = given.pop(old)
    unknown = sorted(set(given) - set(valid))
    if unknown:
        raise TypeError(f"unknown memory option(s) {unknown}; valid: {', '.join(sorted(valid))}")
    return {key: given.get(key, DEFAULTS[key]) for key in valid}


def split_options(options: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Split `MemoryOptions` into the recall side's and the store side's (shared keys go to both)."""
    checked = resolve_options(options, MemoryOptions)
    return ({k: checked[k] for k in RecallerOptions.__annotations__},
            {k: checked[k] for k in StorerOptions.__annotations__})


def build_components(memory: Any = None, **options: Unpack[MemoryOptions]) -> tuple[Recaller, Storer]:
    """Build the `Recaller` and `Storer` of one adapter, sharing one backend and one scope config.

    The backend is built here, once (`as_backend`), and handed to both.

    Args:
        memory: Anything `as_backend` accepts (None: the embedded default).
        **options: `MemoryOptions`.

    Raises:
        TypeError: An unknown option, naming the valid ones.

    Example:
        >>> import tempfile
        >>> from mem0_langgraph import create_memory
        >>> memory = create_memory(data_dir=tempfile.mkdtemp())  # the offline default
        >>> recaller, storer = build_components(memory, top_k=3, sync_store=True)
        >>> recaller.top_k, type(storer.writer).__name__, recaller.backend is storer.backend
        (3, 'SyncWriter', True)
        >>> build_components(memory, topk=3)  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        TypeError: unknown memory option(s) ['topk']; valid: gate, index_k, link_k, max_tokens, ...
    """
    from mem0_langgraph.backends.factory import as_backend
    from mem0_langgraph.core.recall import Recaller
    from mem0_langgraph.core.scopes import ScopeConfig
    from mem0_langgraph.core.store import Storer

    recall, store = split_options(options)
    backend = as_backend(memory)
    scopes = recall.get("scopes") or ScopeConfig()
    recall["scopes"] = store["scopes"] = scopes
    return Recaller(backend, **recall), Storer(backend, **store)
