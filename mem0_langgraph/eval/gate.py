"""The recall-gate benchmark on LongMemEval-S: does a gate fire when older context is needed, and only then?

Every message is decided alone (an empty recent window), as a first turn is.
Positives are the questions, which all need the user's history; negatives are
the openings of generic sessions, self-contained requests from public logs.
Openings of simulated personal sessions are reported apart: recall may help
there or not. See `gate_examples` for what is counted where and skipped.

A second family of sets (`gate_sets`) checks that a gate generalises beyond
LongMemEval's phrasing: the public-source set (LoCoMo and data bundled with
``inspect-evals``, built by ``scripts/build_gate_set.py``) and the project's
hand-written paraphrase families.

Run: ``mem0-langgraph eval gate [--set longmemeval|public|families|all] [--limit N]
[--split holdout|train|dev|all] [--out f.json]``.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from mem0_langgraph.eval._metrics import auc, percentile, rate, wilson
from mem0_langgraph.eval._report import report
from mem0_langgraph.eval.gate_sets import (
    DEFAULT_FAMILIES,
    DEFAULT_PUBLIC_SET,
    NEGATIVE_KINDS,
    POSITIVE_KINDS,
    SetRow,
    load_families,
    load_public_set,
)
from mem0_langgraph.eval.longmemeval import GateExample, Split, gate_examples, load_longmemeval
from mem0_langgraph.eval.paths import LONGMEMEVAL_FILE, add_data_dir_argument, existing_data_file
from mem0_langgraph.gates.base import AlwaysRecall, NeverRecall, RecallGate
from mem0_langgraph.gates.learned import LearnedGate
from mem0_langgraph.gates.rules import RuleGate

# Not a benchmark text: timing starts after the model has loaded and the code is warm.
_WARM_UP_TEXT = "Warm-up message for the gate benchmark, not timed."


def default_gates() -> dict[str, RecallGate]:
    """The gates the benchmark compares: the two baselines, `RuleGate` and `LearnedGate`."""
    return {
        "AlwaysRecall": AlwaysRecall(),
        "NeverRecall": NeverRecall(),
        "RuleGate": RuleGate(),
        "LearnedGate": LearnedGate(),
    }


def run_gate_eval(
    path: str | Path,
    *,
    gates: Mapping[str, RecallGate] | None = None,
    limit: int | None = None,
    seed: int = 0,
    split: Split = "holdout",
    progress: bool = True,
) -> dict[str, Any]:
    """Run each gate over the gate examples of LongMemEval-S and measure it.

    Only the ``"holdout"`` split (the default) gives out-of-sample figures for
    `LearnedGate`: its weights were trained on the ``"train"`` side.

    Args:
        path: ``longmemeval_s_dev.json.gz`` (or any LongMemEval-S file; `data_file` finds it).
        gates: Name -> gate. Default `default_gates()`.
        limit: Use this many questions of the split (sampled with ``seed``) and
            the session openings of their haystacks. Default: all.
        seed: Sampling seed for ``limit``.
        split: ``"holdout"``, ``"train"`` or ``"all"``.
        progress: Show tqdm progress bars (on stderr).

    Returns:
        A JSON-ready dict: ``dataset``, ``split``, ``limit``, ``seed``, ``counts``
        (questions, answerable questions, generic, personal), ``skipped`` (reason
        -> count, from loading and from building the examples) and ``gates``:
        per gate ``recall`` and ``recall_ci`` on questions (95 % Wilson),
        ``recall_answerable`` (without ``_abs`` questions), ``fire_rate_generic``
        and ``fire_rate_generic_ci``, ``fire_rate_personal``, ``auc`` (questions
        against generic openings by the gate's score; None when the score is
        constant) and ``latency_ms_p50`` / ``latency_ms_p95`` of ``decide``.

    Example:
        >>> result = run_gate_eval(data_file(LONGMEMEVAL_FILE),  # doctest: +SKIP
        ...                        gates={"never": NeverRecall()}, limit=2, progress=False)
        >>> result["counts"]["questions"], result["gates"]["never"]["recall"]  # doctest: +SKIP
        (2, 0.0)

        (Skipped in the doctest run: it needs the evaluation data; ``tests/test_eval_gate.py``
        runs it when the data is there.)
    """
    data = load_longmemeval(path)
    examples, skipped = gate_examples(data.questions, split=split, limit=limit, seed=seed)
    questions = [e for e in examples if e.kind == "question"]
    return {
        "dataset": Path(path).name,
        "split": split,
        "limit": limit,
        "seed": seed,
        "counts": {
            "questions": len(questions),
            "questions_answerable": sum(not e.abstention for e in questions),
            "generic": sum(e.kind == "generic" for e in examples),
            "personal": sum(e.kind == "personal" for e in examples),
        },
        "skipped": {**data.skipped, **skipped},
        "gates": {name: _measure(name, gate, examples, progress)
                  for name, gate in (gates if gates is not None else default_gates()).items()},
    }


def _decide_all(name: str, gate: RecallGate, texts: list[str], progress: bool) -> tuple[list[Any], list[float]]:
    """Each text decided alone (warm first), with the latency of each ``decide`` in ms."""
    from tqdm import tqdm

    gate.decide(_WARM_UP_TEXT, [])
    decisions, latencies = [], []
    for text in tqdm(texts, desc=name, unit="msg", disable=not progress, leave=False):
        start = time.perf_counter()
        decisions.append(gate.decide(text, []))
        latencies.append((time.perf_counter() - start) * 1000)
    return decisions, latencies


def _measure(name: str, gate: RecallGate, examples: list[GateExample], progress: bool) -> dict[str, Any]:
    decisions, latencies = _decide_all(name, gate, [e.text for e in examples], progress)
    fired: dict[str, list[bool]] = {"question": [], "answerable": [], "generic": [], "personal": []}
    scores: dict[str, list[float]] = {"question": [], "generic": []}
    for e, decision in zip(examples, decisions):
        fired[e.kind].append(decision.recall)
        if e.kind == "question" and not e.abstention:
            fired["answerable"].append(decision.recall)
        if e.kind in scores:
            scores[e.kind].append(decision.score)
    q, g = fired["question"], fired["generic"]
    return {
        "recall": rate(q),
        "recall_ci": wilson(sum(q), len(q)),
        "recall_answerable": rate(fired["answerable"]),
        "fire_rate_generic": rate(g),
        "fire_rate_generic_ci": wilson(sum(g), len(g)),
        "fire_rate_personal": rate(fired["personal"]),
        "auc": auc(scores["question"], scores["generic"]),
        "latency_ms_p50": percentile(latencies, 50),
        "latency_ms_p95": percentile(latencies, 95),
    }


def run_set_eval(
    which: str,
    path: str | Path,
    *,
    gates: Mapping[str, RecallGate] | None = None,
    split: str = "holdout",
    progress: bool = True,
) -> dict[str, Any]:
    """Run each gate over one of the second evaluation sets (`gate_sets`) and measure it.

    Recall counts the positive kinds (`POSITIVE_KINDS`), the generic fire rate the
    self-contained requests; ``personal`` (self-contained, about the user's life)
    and ``implicit`` (memory helps, the wording does not say so) are reported apart.

    Args:
        which: ``"public"`` (built by ``scripts/build_gate_set.py``) or ``"families"``.
        path: The set's JSONL file.
        gates: Name -> gate. Default `default_gates()`.
        split: ``"holdout"`` (default), ``"train"`` (public) or ``"dev"`` (families), or ``"all"``.
        progress: Show tqdm progress bars (on stderr).

    Returns:
        A JSON-ready dict: ``dataset``, ``split``, ``counts`` (rows per kind),
        ``recall_by_source`` per gate and ``gates``: per gate ``recall``,
        ``recall_ci``, ``fire_rate_generic``, ``fire_rate_generic_ci``,
        ``fire_rate_personal``, ``recall_implicit``, ``auc``, ``latency_ms_p50``
        and ``latency_ms_p95``.

    Raises:
        FileNotFoundError: The set is not at ``path``; the message says how to build it.
    """
    rows = (load_public_set if which == "public" else load_families)(path, split=split)  # type: ignore[arg-type]
    counts: dict[str, int] = {}
    for r in rows:
        counts[r.kind] = counts.get(r.kind, 0) + 1
    measured = {name: _measure_rows(name, gate, rows, progress)
                for name, gate in (gates if gates is not None else default_gates()).items()}
    return {"dataset": f"{which} ({Path(path).name})", "split": split, "counts": counts,
            "gates": {k: v[0] for k, v in measured.items()},
            "recall_by_source": {k: v[1] for k, v in measured.items()}}


def _measure_rows(name: str, gate: RecallGate, rows: list[SetRow],
                  progress: bool) -> tuple[dict[str, Any], dict[str, float | None]]:
    decisions, latencies = _decide_all(name, gate, [r.text for r in rows], progress)
    pos = [d for r, d in zip(rows, decisions) if r.kind in POSITIVE_KINDS]
    neg = [d for r, d in zip(rows, decisions) if r.kind in NEGATIVE_KINDS]
    q, g = [d.recall for d in pos], [d.recall for d in neg]
    by_source: dict[str, list[bool]] = {}
    for r, d in zip(rows, decisions):
        by_source.setdefault(f"{r.kind}:{r.source}", []).append(d.recall)
    return {
        "recall": rate(q),
        "recall_ci": wilson(sum(q), len(q)),
        "fire_rate_generic": rate(g),
        "fire_rate_generic_ci": wilson(sum(g), len(g)),
        "fire_rate_personal": rate([d.recall for r, d in zip(rows, decisions) if r.kind == "personal"]),
        "recall_implicit": rate([d.recall for r, d in zip(rows, decisions) if r.kind == "implicit"]),
        "auc": auc([d.score for d in pos], [d.score for d in neg]),
        "latency_ms_p50": percentile(latencies, 50),
        "latency_ms_p95": percentile(latencies, 95),
    }, {k: rate(v) for k, v in sorted(by_source.items())}


def set_to_markdown(result: Mapping[str, Any]) -> str:
    """Render `run_set_eval`'s result: one table of the gates, then recall / fire rate per source.

    Example:
        >>> row = {"recall": 0.5, "recall_ci": (0.1, 0.9), "fire_rate_generic": 0.0, "fire_rate_generic_ci": (0.0, 0.2),
        ...        "fire_rate_personal": None, "recall_implicit": None, "auc": None, "latency_ms_p50": 0.01,
        ...        "latency_ms_p95": 0.02}
        >>> print(set_to_markdown({"dataset": "families (f.jsonl)", "split": "holdout", "gates": {"g": row},
        ...                        "counts": {"question": 2, "generic": 5},
        ...                        "recall_by_source": {"g": {"question:family:follow_up": 0.5}}}).splitlines()[5])
        | g | 0.500 [0.100, 0.900] | 0.000 [0.000, 0.200] | n/a | n/a | n/a | 0.0 | 0.0 |
    """
    c = result["counts"]
    lines = [
        f"Gate benchmark: {result['dataset']}, split {result['split']}",
        "Rows: " + ", ".join(f"{c[k]} {k}" for k in sorted(c)) + ".",
        "",
        "| gate | recall (95% CI) | generic fire (95% CI) | personal fire | recall, implicit | AUC | p50 ms | p95 ms |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for name, m in result["gates"].items():
        lines.append(
            f"| {name} | {_with_ci(m['recall'], m['recall_ci'])} "
            f"| {_with_ci(m['fire_rate_generic'], m['fire_rate_generic_ci'])} | {_num(m['fire_rate_personal'])} "
            f"| {_num(m['recall_implicit'])} | {_num(m['auc'])} | {_num(m['latency_ms_p50'], 1)} "
            f"| {_num(m['latency_ms_p95'], 1)} |"
        )
    names = list(result["recall_by_source"])
    lines += ["", "Share fired per kind:source (recall on positives, fire rate on the rest):", "",
              "| kind:source | " + " | ".join(names) + " |", "|---|" + "---|" * len(names)]
    for source in next(iter(result["recall_by_source"].values()), {}):
        lines.append(f"| {source} | " + " | ".join(_num(result["recall_by_source"][n][source]) for n in names) + " |")
    return "\n".join(lines)


def to_markdown(result: Mapping[str, Any]) -> str:
    """Render `run_gate_eval`'s result as a short markdown report with one table.

    Example:
        >>> row = {"recall": 0.5, "recall_ci": (0.1, 0.9), "recall_answerable": 0.5, "fire_rate_generic": 0.0,
        ...        "fire_rate_generic_ci": (0.0, 0.2), "fire_rate_personal": None, "auc": None,
        ...        "latency_ms_p50": 0.01, "latency_ms_p95": 0.02}
        >>> print(to_markdown({"dataset": "x.json", "split": "all", "limit": 2, "seed": 0,
        ...                    "counts": {"questions": 2, "questions_answerable": 2, "generic": 5, "personal": 0},
        ...                    "skipped": {}, "gates": {"g": row}}).splitlines()[-1])
        | g | 0.500 [0.100, 0.900] | 0.500 | 0.000 [0.000, 0.200] | n/a | n/a | 0.0 | 0.0 |
    """
    c = result["counts"]
    lines = [
        f"Gate benchmark: {result['dataset']}, split {result['split']}"
        + (f", limit {result['limit']} (seed {result['seed']})" if result.get("limit") is not None else ""),
        (f"{c['questions']} questions ({c['questions_answerable']} answerable), "
        f"{c['generic']} generic openings, {c['personal']} personal openings."),
    ]
    if result.get("skipped"):
        lines.append("Skipped: " + "; ".join(f"{k} ({v})" for k, v in sorted(result["skipped"].items())) + ".")
    lines += [
        "",
        "| gate | recall (95% CI) | recall, answerable | generic fire (95% CI) | personal fire | AUC | p50 ms | p95 ms |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for name, m in result["gates"].items():
        lines.append(
            f"| {name} | {_with_ci(m['recall'], m['recall_ci'])} | {_num(m['recall_answerable'])} "
            f"| {_with_ci(m['fire_rate_generic'], m['fire_rate_generic_ci'])} | {_num(m['fire_rate_personal'])} "
            f"| {_num(m['auc'])} | {_num(m['latency_ms_p50'], 1)} | {_num(m['latency_ms_p95'], 1)} |"
        )
    return "\n".join(lines)


def _num(x: float | None, digits: int = 3) -> str:
    return "n/a" if x is None else f"{x:.{digits}f}"


def _with_ci(x: float | None, ci: tuple[float, float] | list[float] | None) -> str:
    return _num(x) if ci is None else f"{_num(x)} [{ci[0]:.3f}, {ci[1]:.3f}]"


def register(commands: Any) -> None:
    """Add ``gate`` to the ``eval`` command's sub-commands.

    Args:
        commands: What the ``eval`` parser's ``add_subparsers()`` returned.
    """
    gate = commands.add_parser("gate", help="recall-gate benchmark on LongMemEval-S and the second sets",
                               description="Recall on past-referencing turns and fire rate on self-contained ones, "
                                           "per gate.")
    add_data_dir_argument(gate, LONGMEMEVAL_FILE)
    gate.add_argument("--set", dest="which", choices=("longmemeval", "public", "families", "all"),
                      default="longmemeval", help="which set: LongMemEval-S (default), the public-source set, "
                                                  "the hand-written families, or all three")
    gate.add_argument("--set-path", type=Path, default=DEFAULT_PUBLIC_SET,
                      help=f"the public set built by scripts/build_gate_set.py (default {DEFAULT_PUBLIC_SET})")
    gate.add_argument("--families-path", type=Path, default=DEFAULT_FAMILIES,
                      help=f"the paraphrase families (default {DEFAULT_FAMILIES})")
    gate.add_argument("--limit", type=int, default=None,
                      help="LongMemEval questions to use (sampled with --seed; default all)")
    gate.add_argument("--seed", type=int, default=0, help="sampling seed for --limit (default 0)")
    gate.add_argument("--split", choices=("holdout", "train", "dev", "all"), default="holdout",
                      help="side of the split; only holdout is out of sample for LearnedGate (default). "
                           "train: LongMemEval and public; dev: families")
    gate.add_argument("--out", type=Path, default=None, help="also write the full result as JSON here")
    gate.add_argument("--no-progress", action="store_true", help="no progress bars")
    gate.set_defaults(func=run_gate_command)


def run_gate_command(args: argparse.Namespace) -> int:
    """Run ``eval gate``: print the markdown table(s), write JSON if asked; 2 when data is missing."""
    which = getattr(args, "which", "longmemeval")
    if args.limit is not None and args.limit < 1:
        print(f"error: --limit must be >= 1, got {args.limit}", file=sys.stderr)
        return 2
    wanted = ("longmemeval", "public", "families") if which == "all" else (which,)
    for name in wanted:
        ok = {"longmemeval": args.split != "dev", "public": args.split != "dev", "families": args.split != "train"}
        if not ok[name]:
            print(f"error: the {name} set has no {args.split} split", file=sys.stderr)
            return 2
    path = existing_data_file(LONGMEMEVAL_FILE, args.data_dir) if "longmemeval" in wanted else None
    if "longmemeval" in wanted and path is None:
        return 2
    paths = {"public": args.set_path, "families": args.families_path}
    for name in ("public", "families"):
        if name in wanted and not Path(paths[name]).is_file():
            # The loaders' messages say how to build or find the set.
            try:
                (load_public_set if name == "public" else load_families)(paths[name])
            except FileNotFoundError as exc:
                print(f"error: {exc}", file=sys.stderr)
            return 2
    results, tables = {}, []
    for name in wanted:
        if name == "longmemeval":
            results[name] = run_gate_eval(path, limit=args.limit, seed=args.seed, split=args.split,
                                          progress=not args.no_progress)
            tables.append(to_markdown(results[name]))
        else:
            results[name] = run_set_eval(name, paths[name], split=args.split, progress=not args.no_progress)
            tables.append(set_to_markdown(results[name]))
    return report("\n\n".join(tables), results[which] if which != "all" else results, args.out)
