"""The peer benchmark: ours against mem0's documented LangGraph pattern, same memory, same turns.

One process, one memory (one `create_memory` store). For each sampled LongMemEval-S user (an
answerable question; see `_peer_data` for how the history and the turns are chosen) the history, about
300 turns holding the evidence, is stored once through the product's import path (`import_messages`,
the default write gate unless ``write_gate="all"``) and shared by both systems. Then each system plays
the same turns: the self-contained requests, then the question.

- The peer first: per turn, mem0's search with its defaults, everything injected, the exchange added
  inline (see `Peer`). Its inline adds are deleted after its last turn, so ours never sees them.
- Then ours: the product's default recall step and store step (see `Ours`).

Measured per system: overhead per turn (mean, p50, p95 ms), tokens per turn, the share of
self-contained turns given any memory, and the share of questions whose evidence (a ``has_answer``
turn, matched by the injected text) reached the model; with the ratios ours vs the peer, per side of
the gate's split. For every question ours misses, the JSON says why (`diagnose`).

Run: ``mem0-langgraph eval peer [--users 8] [--split both] [--out f.json]``.
"""

from __future__ import annotations

import argparse
import subprocess
import tempfile
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

from mem0_langgraph.eval._metrics import percentile
from mem0_langgraph.eval._peer_data import SIDES, Case, build_cases
from mem0_langgraph.eval._report import report
from mem0_langgraph.eval.paths import LONGMEMEVAL_FILE, add_data_dir_argument, existing_data_file

TARGET = {"max_reach_gap": 0.05, "min_overhead_ratio": 5.0, "min_tokens_ratio": 20.0}
"""The issue's target: evidence reach at most 0.05 under the peer's, >= 5x cheaper in overhead, >= 20x in tokens."""
SYSTEMS = ("ours", "peer")
_WARM_UP = "Warm-up turn of the peer benchmark, not timed."


def run_peer_eval(path: str | Path, *, users: int = 8, split: Literal["dev", "holdout", "both"] = "both",
                  history_turns: int = 300, requests: int = 9, write_gate: Literal["default", "all"] = "default",
                  seed: int = 0, progress: bool = True, work_dir: str | Path | None = None) -> dict[str, Any]:
    """Store each user's history once, play the turns through both systems, and aggregate.

    Args:
        path: ``longmemeval_s_dev.json.gz``.
        users: Users sampled per side (0: all answerable questions of the side).
        split: ``"dev"`` (the gate's training side), ``"holdout"`` (never seen by `LearnedGate`) or ``"both"``.
        history_turns: About how many turns of history each user has.
        requests: Self-contained requests played before the question.
        write_gate: ``"default"``: the history is imported as a user of ours would (`RuleWriteGate`,
            supersession); ``"all"``: every non-trivial exchange, both sides (`StoreAll`).
        seed: Sampling seed.
        progress: Progress bars on stderr.
        work_dir: Where the temporary store goes (removed after).

    Returns:
        A JSON-ready dict: ``config``, ``sides`` (per side and ``"all"``: per system figures, ratios,
        target check) and ``rows`` (per user: turns of each system, evidence reached, ours' diagnosis).

    Raises:
        ValueError: An option out of range.
    """
    from mem0_langgraph.eval.longmemeval import load_longmemeval

    if users < 0 or history_turns < 1 or requests < 0 or write_gate not in ("default", "all"):
        raise ValueError("need users >= 0, history_turns >= 1, requests >= 0, write_gate 'default' or 'all'")
    if split not in ("dev", "holdout", "both"):
        raise ValueError(f"split must be 'dev', 'holdout' or 'both', got {split!r}")
    data = load_longmemeval(path)
    sides = SIDES if split == "both" else (split,)
    cases = build_cases(data.questions, users=users, sides=sides, history_turns=history_turns,
                        requests=requests, seed=seed)
    with tempfile.TemporaryDirectory(prefix="mem0-peer-", dir=work_dir) as tmp:
        rows = _play_all(cases, tmp, write_gate=write_gate, progress=progress)
    config = {"dataset": Path(path).name, "users_per_side": users, "split": split, "history_turns": history_turns,
              "requests": requests, "write_gate": write_gate, "seed": seed, "commit": _commit(),
              "peer": "mem0 Memory.search(message, filters={'user_id': ...}) with mem0's defaults (top_k 20, "
                      "threshold 0.1), all results injected, Memory.add([user, assistant], infer=False) inline; "
                      "its adds deleted after its turns",
              "ours": "build_components(on_error='raise') defaults: Recaller (LearnedGate, reranker, probe band, budget) + Storer "
                      "(default write gate, background writer: the turn pays the enqueue)"}
    summary = {side: summarise([r for r in rows if side == "all" or r["side"] == side])
               for side in (*sides, "all")}
    return {"config": config, "sides": summary, "rows": rows}


def _play_all(cases: Sequence[Case], directory: str, *, write_gate: str, progress: bool) -> list[dict[str, Any]]:
    from mem0_langgraph.backends.factory import create_memory
    from mem0_langgraph.backends.mem0 import Mem0Backend
    from mem0_langgraph.core.options import build_components
    from mem0_langgraph.eval._peer_play import FreshEmbeddings, Ours, Peer
    from mem0_langgraph.eval.retrieval._run import bar
    from mem0_langgraph.gates.base import DEFAULT_TOPIC_QUERIES

    memory = create_memory(data_dir=directory, collection="peer", infer=False)
    backend = Mem0Backend(memory, infer=False)
    # The product's defaults, except that a failing step stops the benchmark instead of being measured as
    # a turn without memory (on_error="warn" would log it and answer without memory).
    recaller, storer = build_components(backend, on_error="raise")
    fresh = FreshEmbeddings()
    # Untimed warm-up of both paths (weights, mem0's first search and add); the topic queries are
    # constants a running server has cached after its first turns.
    fresh.embeddings.embed_documents([q for _, q in DEFAULT_TOPIC_QUERIES])
    warm = Peer(memory, "peer-warm-up")
    warm.turn("request", _WARM_UP, "ok")
    warm.remove_added()
    Ours(recaller, storer, "peer-warm-up").recall("request", _WARM_UP)
    rows = []
    for case in bar(cases, "users", len(cases), progress, "user"):
        rows.append(_play(case, memory, backend, recaller, storer, fresh, write_gate=write_gate, progress=progress))
    return rows


def _play(case: Case, memory: Any, backend: Any, recaller: Any, storer: Any, fresh: Any, *, write_gate: str,
          progress: bool) -> dict[str, Any]:
    from mem0_langgraph.core._text import clip
    from mem0_langgraph.core.importer import import_messages
    from mem0_langgraph.core.timeinfo import iso, parse_time
    from mem0_langgraph.eval._peer_play import EvidenceIndex, Ours, Peer, diagnose
    from mem0_langgraph.eval.retrieval._run import bar, pre_embed
    from mem0_langgraph.gates.write import StoreAll

    keys_of_text: dict[str, list[tuple[str, int]]] = defaultdict(list)
    for s in case.sessions:
        for i, t in enumerate(s.turns):
            keys_of_text[clip(t.content.strip(), storer.max_chars)].append((s.session_id, i))
    pre_embed(keys_of_text)
    options = {"write_gate": StoreAll()} if write_gate == "all" else {}
    for s in bar(case.sessions, f"store {case.question.question_id}", len(case.sessions), progress, "session"):
        import_messages(case.messages(s), memory=backend, user_id=case.user_id, thread_id=s.session_id, **options)
    index = EvidenceIndex(keys_of_text)
    stored = backend.get_all(filters={"user_id": case.user_id}, limit=100_000)
    evidence = case.evidence
    evidence_ids = {h.id for h in stored if index.keys([h.text]) & evidence}
    fresh.settle()
    turns = [("request", r.text, r.reply) for r in case.requests]
    turns.append(("question", case.question.question, case.question.answer or "Noted."))

    played: dict[str, list[Any]] = {"ours": [], "peer": []}
    peer = Peer(memory, case.user_id)
    for kind, text, reply in turns:
        fresh.forget_played()
        played["peer"].append(peer.turn(kind, text, reply))
    peer.remove_added()
    asked = parse_time(case.question.question_date)
    ours = Ours(recaller, storer, case.user_id, said_at=iso(asked) if asked else None)
    diagnosis: dict[str, Any] = {}
    for kind, text, reply in turns:
        fresh.forget_played()
        turn, result = ours.recall(kind, text)
        if kind == "question":  # untimed, before the store step: the memory as the question saw it
            diagnosis = diagnose(recaller, ours.messages, ours.config, evidence_ids)
            diagnosis["trace"] = {k: result.trace.get(k) for k in ("recall", "score", "reason", "candidates")}
        ours.store(turn, reply, result)
        played["ours"].append(turn)
    row: dict[str, Any] = {"question_id": case.question.question_id, "side": case.side,
                           "question_type": case.question.question_type, "question": case.question.question,
                           "history_turns": case.turns, "memories_stored": len(stored),
                           "evidence_turns": len(evidence), "evidence_memories": len(evidence_ids)}
    for name in SYSTEMS:
        question = played[name][-1]
        row[name] = {"reached": bool(index.keys(question.texts) & evidence),
                     "turns": [p.as_dict() for p in played[name]]}
    row["ours"]["diagnosis"] = diagnosis
    return row


def summarise(rows: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Per system figures over ``rows``, the ratios ours vs the peer, and the target check."""
    out: dict[str, Any] = {"users": len(rows), "evidence_stored": sum(r["evidence_memories"] > 0 for r in rows)}
    for name in SYSTEMS:
        turns = [t for r in rows for t in r[name]["turns"]]
        requests = [t for t in turns if t["kind"] == "request"]
        parts = sorted({p for t in turns for p in t["parts"]})
        reached = [r[name]["reached"] for r in rows]
        out[name] = {
            "overhead_ms_mean": _mean([t["ms"] for t in turns]),
            "overhead_ms_p50": percentile([t["ms"] for t in turns], 50),
            "overhead_ms_p95": percentile([t["ms"] for t in turns], 95),
            "parts_ms_mean": {p: _mean([t["parts"].get(p, 0.0) for t in turns]) for p in parts},
            "tokens_per_turn": _mean([t["tokens"] for t in turns]),
            "tokens_per_request": _mean([t["tokens"] for t in requests]),
            "tokens_per_question": _mean([r[name]["turns"][-1]["tokens"] for r in rows]),
            "requests_given_memory": _mean([t["memories"] > 0 for t in requests]),
            "evidence_reached": sum(reached),
            "evidence_reach": _mean(reached),
        }
    ours, peer = out["ours"], out["peer"]
    out["ratios"] = {
        "overhead_peer_over_ours": _ratio(peer["overhead_ms_mean"], ours["overhead_ms_mean"]),
        "tokens_peer_over_ours": _ratio(peer["tokens_per_turn"], ours["tokens_per_turn"]),
        "reach_gap": None if not rows else round(peer["evidence_reach"] - ours["evidence_reach"], 4),
    }
    r = out["ratios"]
    out["target_met"] = bool(rows) and r["reach_gap"] <= TARGET["max_reach_gap"] and \
        (r["overhead_peer_over_ours"] or 0) >= TARGET["min_overhead_ratio"] and \
        (r["tokens_peer_over_ours"] or 0) >= TARGET["min_tokens_ratio"]
    out["ours_misses"] = [{"question_id": x["question_id"], "peer_reached": x["peer"]["reached"],
                           "stage": x["ours"]["diagnosis"].get("stage"),
                           "gate_score": x["ours"]["diagnosis"].get("gate_score")}
                          for x in rows if not x["ours"]["reached"]]
    return out


def _mean(values: Sequence[float]) -> float | None:
    return round(sum(values) / len(values), 4) if values else None


def _ratio(a: float | None, b: float | None) -> float | None:
    return round(a / b, 2) if a is not None and b else None


def _commit() -> str | None:
    """The checked-out commit of this package's repository (``+dirty`` with local changes), if any."""
    root = Path(__file__).resolve().parents[2]
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=root, capture_output=True, text=True,
                              timeout=10, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--", "mem0_langgraph"], cwd=root,
                               capture_output=True, text=True, timeout=10, check=False).stdout.strip()
    except (OSError, subprocess.SubprocessError):  # not a checkout (an installed wheel): no commit to name
        return None
    return head + ("+dirty" if dirty else "")


def to_markdown(result: dict[str, Any]) -> str:
    """One table per side, the ratios and target check, then ours' misses with the stage they fell at."""
    c = result["config"]
    lines = [(f"Peer benchmark: {c['dataset']}, {c['users_per_side']} users per side, ~{c['history_turns']}-turn "
              f"histories (write gate: {c['write_gate']}), {c['requests']} self-contained requests then the "
              f"question; commit {c['commit']}.")]
    for side, s in result["sides"].items():
        lines += ["", f"**{side}** ({s['users']} users; evidence stored for {s['evidence_stored']})", "",
                  ("| system | overhead ms mean / p50 / p95 | tokens / turn | requests given memory | "
                   "evidence reached |"), "|---|---|---|---|---|"]
        for name in SYSTEMS:
            m = s[name]
            lines.append(f"| {name} | {_n(m['overhead_ms_mean'], 1)} / {_n(m['overhead_ms_p50'], 1)} / "
                         f"{_n(m['overhead_ms_p95'], 1)} | {_n(m['tokens_per_turn'], 0)} | "
                         f"{_n(m['requests_given_memory'], 3)} | {m['evidence_reached']} of {s['users']} |")
        r = s["ratios"]
        lines.append(f"\nOurs vs peer: {_n(r['overhead_peer_over_ours'], 2)}x less overhead, "
                     f"{_n(r['tokens_peer_over_ours'], 1)}x fewer tokens, evidence reach gap {_n(r['reach_gap'], 3)} "
                     f"(target: gap <= {TARGET['max_reach_gap']}, >= {TARGET['min_overhead_ratio']:.0f}x, "
                     f">= {TARGET['min_tokens_ratio']:.0f}x): {'met' if s['target_met'] else 'not met'}.")
    misses = [x for x in result["rows"] if not x["ours"]["reached"]]
    if misses:
        lines += ["", "Ours missed the evidence on:"]
        for x in misses:
            d = x["ours"]["diagnosis"]
            lines.append(f"- {x['question_id']} ({x['side']}, peer {'reached' if x['peer']['reached'] else 'missed'}"
                         f"): {d.get('stage')}; gate {d.get('gate_score')}; {x['question'][:90]!r}")
    return "\n".join(lines)


def _n(x: float | None, digits: int) -> str:
    return "n/a" if x is None else f"{x:,.{digits}f}"


def register(commands: Any) -> None:
    """Add ``peer`` to the ``eval`` command's sub-commands.

    Args:
        commands: What the ``eval`` parser's ``add_subparsers()`` returned.
    """
    p = commands.add_parser("peer", help="ours vs mem0's LangGraph pattern: overhead, tokens, evidence reach",
                            description=__doc__.split("\n\n")[0])
    add_data_dir_argument(p, LONGMEMEVAL_FILE)
    p.add_argument("--users", type=int, default=8, help="users per side of the split (default 8; 0: all)")
    p.add_argument("--split", choices=("both", "dev", "holdout"), default="both",
                   help="side of the gate's split: dev (trained on), holdout (never seen) or both (default)")
    p.add_argument("--history-turns", type=int, default=300, help="turns of history per user (default 300)")
    p.add_argument("--requests", type=int, default=9, help="self-contained requests before the question (default 9)")
    p.add_argument("--write-gate", choices=("default", "all"), default="default",
                   help="how the history is imported: the default write gate, or every exchange (default: default)")
    p.add_argument("--seed", type=int, default=0, help="sampling seed (default 0)")
    p.add_argument("--out", type=Path, default=None, help="also write the full result as JSON here")
    p.add_argument("--no-progress", action="store_true", help="no progress bars")
    p.set_defaults(func=_command)


def _command(args: argparse.Namespace) -> int:
    path = existing_data_file(LONGMEMEVAL_FILE, args.data_dir)
    if path is None:
        return 2
    result = run_peer_eval(path, users=args.users, split=args.split, history_turns=args.history_turns,
                           requests=args.requests, write_gate=args.write_gate, seed=args.seed,
                           progress=not args.no_progress)
    return report(to_markdown(result), result, args.out)
