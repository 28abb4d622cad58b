"""The retrieval benchmark: is the evidence among the memories we inject, and at what token cost?

Everything runs through the product's own paths on the embedded default: each
turn is stored with a `Storer` (``sync_store=True``) into a fresh Chroma
collection, and each question is answered by a `Recaller` with `AlwaysRecall`,
the reranker under test, and the real ``min_score``, dedup, ``top_k`` and token
budget. Measured per question: evidence recall at each ``k`` (share of the
evidence turns whose text is among the ``k`` injected memories) and the tokens
of the rendered memory message.

How each dataset is stored and scored is its runner's business
(`run_locomo`, `run_longmemeval`); this module checks the options, builds the
store, picks the runner, and adds the ``eval retrieval`` command.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import uuid
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Literal

from mem0_langgraph.core.rerank import KeywordFusion, Reranker
from mem0_langgraph.eval._report import report
from mem0_langgraph.eval.paths import (
    LOCOMO_FILE,
    LONGMEMEVAL_FILE,
    add_data_dir_argument,
    data_dir,
    existing_data_file,
    missing_file_error,
)
from mem0_langgraph.eval.retrieval.report import to_markdown

Dataset = Literal["locomo", "longmemeval"]
Split = Literal["dev", "holdout", "all"]

DEFAULT_SEARCH_K = 100
"""Candidates fetched per question: the product's default ``search_k``."""
_FILES: dict[str, str] = {"locomo": LOCOMO_FILE, "longmemeval": LONGMEMEVAL_FILE}


def default_rerankers() -> dict[str, Reranker | None]:
    """What the benchmark compares: the dense baseline (no reranker), `KeywordFusion` alone (0.2's default),
    then with the entity index's candidates (``index_k``), with entity links (``link_k``), and with dates
    (``temporal``): the product's default. Each variant's recaller options are in `VARIANT_OPTIONS`."""
    fusion = KeywordFusion()
    return {"dense": None, "keyword_fusion": fusion, "kf+entity_index": fusion, "kf+entity_links": fusion,
            "default": fusion}


VARIANT_OPTIONS: dict[str, dict[str, Any]] = {
    "dense": {"index_k": 0, "link_k": 0, "temporal": False},
    "keyword_fusion": {"index_k": 0, "link_k": 0, "temporal": False},
    "kf+entity_index": {"link_k": 0, "temporal": False},
    "kf+entity_links": {"temporal": False},
}
"""Recaller options per compared variant (the rest: the product's defaults); a name not listed runs the defaults."""


def run_retrieval_eval(
    data_dir: str | Path,
    *,
    dataset: Dataset = "locomo",
    limit: int | None = None,
    seed: int = 0,
    split: Split = "all",
    rerankers: Mapping[str, Reranker | None] | None = None,
    k_values: Sequence[int] = (5, 10),
    max_tokens: int = 1000,
    search_k: int = DEFAULT_SEARCH_K,
    min_score: float = 0.0,
    conversations: Sequence[int] | None = None,
    work_dir: str | Path | None = None,
    progress: bool = True,
    write_gate: str = "all",
    question_types: Sequence[str] | None = None,
) -> dict[str, Any]:
    """Store a dataset through `Storer`, recall through `Recaller`, and score evidence recall and tokens.

    Args:
        data_dir: Folder holding ``locomo10.json`` / ``longmemeval_s_dev.json.gz``.
        dataset: ``"locomo"`` or ``"longmemeval"``.
        limit: LoCoMo: at most this many scored questions per conversation; LongMemEval:
            this many questions; both sampled with ``seed``. None: LoCoMo all,
            LongMemEval 30. 0: all.
        seed: Sampling seed.
        split: ``"dev"``, ``"holdout"`` or ``"all"``. LoCoMo: conversations 0-4 /
            5-9 (figures are also reported per half). LongMemEval: the gate's
            question split (`split_of`: ``"train"`` side as dev).
        rerankers: Name -> reranker (None: the backend's dense scores). Default `default_rerankers()`.
        k_values: ``top_k`` values to score; each is its own `Recaller`. Default 5 and 10.
        max_tokens: The recaller's token budget for the memories' text. Default 1000.
        search_k: Candidates fetched per question. Default 100, as the product's.
        min_score: The recaller's score threshold. Default 0.0, as the data README's
            baseline; the product's default is 0.4.
        conversations: LoCoMo only: these conversation indices instead of the split's.
        work_dir: Where the temporary Chroma store goes (a fresh sub-folder, removed after).
            Default: the system temp folder.
        progress: Show tqdm progress bars (on stderr).
        write_gate: ``"all"`` (default): every non-trivial turn is stored (`StoreAll`), so the figures
            measure retrieval over the whole history; ``"default"``: through the product's write gate
            (`RuleWriteGate`), so they measure what a user's memory actually holds.
        question_types: LongMemEval only: sample only questions of these types (``"temporal-reasoning"``, ...).

    Returns:
        A JSON-ready dict: the settings, ``counts``, ``skipped`` (reason -> count,
        from loading, storing and scoring), ``baseline`` (LoCoMo), ``latency_ms``
        (search p50/p95) and ``rerankers``: per name ``rerank_ms_p50`` /
        ``rerank_ms_p95`` and ``parts`` (``dev`` / ``holdout`` / ``all`` for
        LoCoMo, ``all`` for LongMemEval), each with ``n``, ``recall@k`` (LoCoMo) or
        ``session_recall@k`` and ``turn_recall@k`` (LongMemEval), ``tokens@k``
        and ``memories@k`` (means per question), and per-category breakdowns.

    Raises:
        FileNotFoundError: the data file is missing.
        ValueError: an invalid option.
    """
    if dataset not in _FILES:
        raise ValueError(f"dataset must be 'locomo' or 'longmemeval', got {dataset!r}")
    if split not in ("dev", "holdout", "all"):
        raise ValueError(f"split must be 'dev', 'holdout' or 'all', got {split!r}")
    if limit is not None and limit < 0:
        raise ValueError(f"limit must be >= 0 (0: all), got {limit}")
    k_values = tuple(sorted(set(k_values)))
    if not k_values or k_values[0] < 1 or k_values[-1] > search_k:
        raise ValueError(f"need 1 <= k <= search_k={search_k} for every k, got {k_values}")
    rerankers = dict(rerankers) if rerankers is not None else default_rerankers()
    if not rerankers:
        raise ValueError("rerankers must name at least one reranker (None for dense)")
    path = Path(data_dir) / _FILES[dataset]
    if not path.is_file():
        raise missing_file_error(path)
    settings = {"dataset": dataset, "split": split, "limit": limit, "seed": seed, "k_values": list(k_values),
                "search_k": search_k, "min_score": min_score, "max_tokens": max_tokens, "write_gate": write_gate,
                "question_types": list(question_types) if question_types else None}
    with tempfile.TemporaryDirectory(prefix="mem0-retrieval-", dir=work_dir) as tmp:
        from mem0_langgraph.backends.factory import create_memory
        from mem0_langgraph.backends.mem0 import Mem0Backend
        from mem0_langgraph.eval.retrieval._run import Run
        from mem0_langgraph.eval.retrieval.locomo import run_locomo
        from mem0_langgraph.eval.retrieval.longmemeval import run_longmemeval

        collection = f"retrieval-{uuid.uuid4().hex[:12]}"
        backend = Mem0Backend(create_memory(data_dir=tmp, collection=collection, infer=False))
        run = Run(backend, rerankers, k_values, search_k=search_k, min_score=min_score, max_tokens=max_tokens,
                  progress=progress, write_gate=write_gate, options=VARIANT_OPTIONS)
        if dataset == "locomo":
            body = run_locomo(run, path, limit=limit, seed=seed, split=split, conversations=conversations)
        else:
            body = run_longmemeval(run, path, limit=limit, seed=seed, split=split, question_types=question_types)
    return {**settings, **body}


def register(commands: Any) -> None:
    """Add ``retrieval`` to the ``eval`` command's sub-commands.

    Args:
        commands: What the ``eval`` parser's ``add_subparsers()`` returned.
    """
    p = commands.add_parser("retrieval", help="evidence recall and injected tokens on LoCoMo / LongMemEval-S",
                            description="Store a dataset through Storer, recall through Recaller, and score "
                                        "evidence recall@k and injected tokens per reranker.")
    p.add_argument("--dataset", choices=("locomo", "longmemeval"), default="locomo", help="default locomo")
    add_data_dir_argument(p, LOCOMO_FILE, LONGMEMEVAL_FILE)
    p.add_argument("--limit", type=int, default=None,
                   help="locomo: questions per conversation; longmemeval: questions (default 30); 0: all")
    p.add_argument("--seed", type=int, default=0, help="sampling seed for --limit (default 0)")
    p.add_argument("--split", choices=("dev", "holdout", "all"), default="all",
                   help="locomo: conversations 0-4 (dev, tuned on) / 5-9 (holdout); default all, reported per half")
    p.add_argument("--search-k", type=int, default=DEFAULT_SEARCH_K,
                   help=f"candidates per question (default {DEFAULT_SEARCH_K})")
    p.add_argument("--min-score", type=float, default=0.0,
                   help="recall score threshold (default 0.0; product default 0.4)")
    p.add_argument("--max-tokens", type=int, default=1000, help="token budget of the memories (default 1000)")
    p.add_argument("--k", type=int, nargs="+", default=[5, 10], help="top_k values to score (default 5 10)")
    p.add_argument("--write-gate", choices=("all", "default"), default="all",
                   help="all: store every non-trivial turn, retrieval over the whole history (default); "
                        "default: through the product's write gate, what a user's memory actually holds")
    p.add_argument("--question-type", nargs="+", default=None, dest="question_types",
                   help="longmemeval: only questions of these types (e.g. temporal-reasoning)")
    p.add_argument("--out", type=Path, default=None, help="also write the full result as JSON here")
    p.add_argument("--no-progress", action="store_true", help="no progress bars")
    p.set_defaults(func=run_retrieval_command)


def run_retrieval_command(args: argparse.Namespace) -> int:
    """Run ``eval retrieval``: print the markdown report, write JSON if asked; 2 on bad input."""
    folder = data_dir(args.data_dir)
    if existing_data_file(_FILES[args.dataset], folder) is None:
        return 2
    try:
        result = run_retrieval_eval(folder, dataset=args.dataset, limit=args.limit, seed=args.seed, split=args.split,
                                    k_values=args.k, search_k=args.search_k, min_score=args.min_score,
                                    max_tokens=args.max_tokens, progress=not args.no_progress,
                                    write_gate=args.write_gate, question_types=args.question_types)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return report(to_markdown(result), result, args.out)
