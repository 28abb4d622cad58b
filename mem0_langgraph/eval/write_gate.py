"""The write-gate benchmark on LongMemEval-S: are evidence turns kept, and generic chat left out?

Every turn of every distinct haystack session of the chosen questions is judged as the store
step would judge it (the user turn with the assistant reply after it). Reported per side of the
gate split: the share of evidence turns (``has_answer``) kept, the share of turns of generic
sessions (``sharegpt_*`` / ``ultrachat_*``) stored, and of personal sessions; the trade-off over
the assistant policy and the threshold; store growth (memories per 100 turns) of the haystacks
and of the demo conversation, before (`StoreAll`) and after (`RuleWriteGate`). No store and no
model: the default gate is regexes.

Run: ``mem0-langgraph eval write-gate [--split train|holdout|all] [--out f.json]``.
"""

from __future__ import annotations

import argparse
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from mem0_langgraph.eval._report import report
from mem0_langgraph.eval.longmemeval import Session, load_longmemeval, split_of
from mem0_langgraph.eval.paths import LONGMEMEVAL_FILE, add_data_dir_argument, existing_data_file
from mem0_langgraph.gates.write import Exchange, RuleWriteGate, StoreAll, WriteGate

CURVE = tuple((policy, threshold) for policy in ("never", "advice", "always") for threshold in (0.4, 0.5, 0.6))
"""``(assistant policy, threshold)`` points of the trade-off curve; the default is ("advice", 0.5)."""


def judge_sessions(sessions: Sequence[Session], gate: WriteGate) -> dict[str, Any]:
    """Counts of turns judged and kept, by session kind and role, and of evidence turns."""
    c: Counter[str] = Counter()
    for s in sessions:
        turns = s.turns
        for i, t in enumerate(turns):
            if t.role != "user":
                continue
            reply = turns[i + 1] if i + 1 < len(turns) and turns[i + 1].role == "assistant" else None
            d = gate.judge(Exchange(t.content.strip(), reply.content.strip() if reply else ""))
            sides = [("user", t, d.user)] + ([("assistant", reply, d.assistant)] if reply else [])
            for role, turn, kept in sides:
                for group in (s.kind, "all") + (("evidence",) if turn.has_answer else ()):
                    c[f"{group}/{role}/n"] += 1
                    c[f"{group}/{role}/kept"] += kept
    out: dict[str, Any] = {}
    for group in ("evidence", "generic", "personal", "answer", "all"):
        n = c[f"{group}/user/n"] + c[f"{group}/assistant/n"]
        kept = c[f"{group}/user/kept"] + c[f"{group}/assistant/kept"]
        out[group] = {"turns": n, "kept": kept / n if n else None,
                      "user_kept": _share(c, group, "user"), "assistant_kept": _share(c, group, "assistant")}
    out["memories_per_100_turns"] = 100 * out["all"]["kept"] if out["all"]["kept"] is not None else None
    return out


def _share(c: Counter[str], group: str, role: str) -> float | None:
    n = c[f"{group}/{role}/n"]
    return c[f"{group}/{role}/kept"] / n if n else None


def run_write_gate_eval(path: str | Path, *, splits: Sequence[str] = ("train", "holdout"),
                        curve: bool = True) -> dict[str, Any]:
    """Judge every distinct session of each side's haystacks with the default gate, the baseline and the curve."""
    data = load_longmemeval(path)
    result: dict[str, Any] = {"skipped": data.skipped, "sides": {}}
    for side in splits:
        sessions: dict[str, Session] = {}
        for q in data.questions:
            if side == "all" or split_of(q.question_id) == side:
                sessions.update((s.session_id, s) for s in q.sessions)
        chosen = list(sessions.values())
        part: dict[str, Any] = {"sessions": len(chosen), "before (StoreAll)": judge_sessions(chosen, StoreAll()),
                                "after (RuleWriteGate)": judge_sessions(chosen, RuleWriteGate())}
        if curve:
            part["curve"] = {f"{p}@{t}": judge_sessions(chosen, RuleWriteGate(assistant=p, threshold=t))
                             for p, t in CURVE}
        result["sides"][side] = part
    result["demo"] = demo_growth()
    return result


def demo_growth() -> dict[str, Any]:
    """Memories per 100 turns of the demo conversation (user + assistant stored, as in the Quickstart),
    with the echo model's replies, before and after; no store needed (the gate is pure)."""
    from mem0_langgraph.cli.demo import SCRIPT

    out = {}
    for name, gate in (("before (StoreAll)", StoreAll()), ("after (RuleWriteGate)", RuleWriteGate())):
        kept = 0
        for _, text in SCRIPT:
            reply = f"[offline echo model] memory context: none | user said: {text}"
            d = gate.judge(Exchange(text, reply))
            kept += d.user + d.assistant
        out[name] = {"turns": 2 * len(SCRIPT), "memories": kept, "memories_per_100_turns": 50 * kept / len(SCRIPT)}
    return out


def to_markdown(result: dict[str, Any]) -> str:
    """The tables the README shows."""
    def f(x: float | None) -> str:
        return "n/a" if x is None else f"{x:.3f}"

    lines = ["| side | gate | evidence kept (user / assistant / all) | generic stored | personal stored | "
             "memories per 100 turns |", "|---|---|---|---|---|---|"]
    for side, part in result["sides"].items():
        for name in ("before (StoreAll)", "after (RuleWriteGate)"):
            r = part[name]
            ev = r["evidence"]
            lines.append(f"| {side} ({part['sessions']} sessions) | {name} | {f(ev['user_kept'])} / "
                         f"{f(ev['assistant_kept'])} / **{f(ev['kept'])}** | **{f(r['generic']['kept'])}** | "
                         f"{f(r['personal']['kept'])} | {r['memories_per_100_turns']:.1f} |")
    for side, part in result["sides"].items():
        if "curve" in part:
            lines += ["", f"Trade-off ({side}): assistant policy @ threshold -> evidence kept, generic stored", "",
                      "| point | evidence kept | evidence (assistant) | generic stored |", "|---|---|---|---|"]
            for point, r in part["curve"].items():
                lines.append(f"| {point} | {f(r['evidence']['kept'])} | {f(r['evidence']['assistant_kept'])} | "
                             f"{f(r['generic']['kept'])} |")
    lines += ["", "| demo conversation | memories | per 100 turns |", "|---|---|---|"]
    for name, r in result["demo"].items():
        lines.append(f"| {name} | {r['memories']} of {r['turns']} turns | {r['memories_per_100_turns']:.1f} |")
    return "\n".join(lines)


def register(commands: Any) -> None:
    """Add ``write-gate`` to the ``eval`` command."""
    p = commands.add_parser("write-gate", help="write gate: evidence kept vs generic chat stored, store growth",
                            description=__doc__.split("\n\n")[0])
    add_data_dir_argument(p, LONGMEMEVAL_FILE)
    p.add_argument("--split", choices=("train", "holdout", "all", "both"), default="both",
                   help="side of the gate split (default: both, reported apart)")
    p.add_argument("--no-curve", action="store_true", help="skip the trade-off curve")
    p.add_argument("--out", type=Path, default=None, help="also write the full result as JSON here")
    p.set_defaults(func=_command)


def _command(args: argparse.Namespace) -> int:
    path = existing_data_file(LONGMEMEVAL_FILE, args.data_dir)
    if path is None:
        return 2
    splits = ("train", "holdout") if args.split == "both" else (args.split,)
    result = run_write_gate_eval(path, splits=splits, curve=not args.no_curve)
    return report(to_markdown(result), result, args.out)
