"""The knowledge-update benchmark on LongMemEval-S: is the latest evidence recalled, and shown as current?

For each ``knowledge-update`` question (abstentions left out) the haystack is stored twice through
`import_messages`, every turn with its real session date: once as before the write
gate (`StoreAll`, no supersession) and once with the defaults (`RuleWriteGate`, `RuleJudge`). The
question is then recalled (``AlwaysRecall``) at two budgets: ``top_k`` 10 and 1,000 tokens (the retrieval
benchmark's) and the product's default (``top_k`` 5, 400 tokens). A question counts as a success when
the evidence turn of the latest evidence session is among the recalled memories, is not marked
superseded, and comes before every recalled evidence turn of an older session. Recalled as `VARIANTS`
says: ``before`` as 0.1 did (no time order, no role lift, no penalty), ``after`` without time order,
and ``after`` with the defaults (tuned on the ``train`` side only; both sides reported).

Run: ``mem0-langgraph eval updates [--split train|holdout|all] [--limit N] [--out f.json]``. A full run
stores 35 haystacks twice (about an hour on two cores); ``--split`` runs one side, so the two sides
can run side by side and the tuned side alone is quicker to iterate on. ``--store DIR`` keeps the stores
there: a later run with the same DIR finds every exchange already imported and only recalls again (a
ranking change is measured in minutes; a write-gate or supersession change needs a new DIR).
"""

from __future__ import annotations

import argparse
import tempfile
from collections import defaultdict
from collections.abc import Hashable, Sequence
from pathlib import Path
from typing import Any

from mem0_langgraph.eval._report import report
from mem0_langgraph.eval.longmemeval import Question, load_longmemeval, split_of
from mem0_langgraph.eval.paths import LONGMEMEVAL_FILE, add_data_dir_argument, existing_data_file

VARIANTS: dict[str, tuple[str, dict[str, Any]]] = {
    "before": ("before", {"recency_overlap": None, "superseded_penalty": 0.0, "role_lift": 0.0}),
    "after, no time order": ("after", {"recency_overlap": None}),
    "after (default)": ("after", {}),
}
"""Name -> (store, recaller options over the defaults) of each compared recall."""
BUDGETS: dict[str, tuple[int, int]] = {"top_k 10, 1,000 tokens": (10, 1000), "top_k 5, 400 tokens (default)": (5, 400)}
"""Name -> (``top_k``, ``max_tokens``) of each measured budget."""
_SEARCH_K, _ALL = 100, 100_000


def _messages(q: Question) -> list[dict[str, Any]]:
    return [{"role": t.role, "content": t.content, "timestamp": s.date} for s in q.sessions for t in s.turns]


def _score(q: Question, memories: Sequence[dict[str, Any]], keys: dict[str, list[Hashable]]) -> dict[str, Any]:
    """``keys``: memory id -> the turns whose text it stores (by id: recall clips long memories)."""
    dates = {s.session_id: s.date for s in q.sessions}
    evidence = [(s.session_id, i) for s in q.sessions for i, t in enumerate(s.turns) if t.has_answer]
    latest_session = max((sid for sid, _ in evidence), key=lambda sid: _sortable(dates[sid]))
    latest = {e for e in evidence if e[0] == latest_session}
    older = {e for e in evidence if e[0] != latest_session}
    pos_latest, pos_older, superseded = None, None, False
    for pos, m in enumerate(memories):
        found = set(keys.get(m["id"], ()))
        if found & latest and pos_latest is None:
            pos_latest, superseded = pos, bool(m.get("superseded_by"))
        if found & older and pos_older is None:
            pos_older = pos
    ok = pos_latest is not None and not superseded and (pos_older is None or pos_latest < pos_older)
    return {"ok": ok, "latest_recalled": pos_latest is not None, "older_recalled": pos_older is not None,
            "latest_superseded": superseded}


def _sortable(date: str) -> str:
    from mem0_langgraph.core.timeinfo import parse_time

    dt = parse_time(date)
    return dt.isoformat() if dt else date


def run_updates_eval(path: str | Path, *, limit: int | None = None, progress: bool = True,
                     variants: dict[str, tuple[str, dict[str, Any]]] | None = None,
                     budgets: dict[str, tuple[int, int]] | None = None, split: str = "all",
                     store_dir: str | Path | None = None) -> dict[str, Any]:
    """Store each knowledge-update haystack before / after, recall the question, and aggregate per side
    (``split``: only the questions of that side of the split, ``"all"``: both)."""
    from langchain_core.messages import HumanMessage

    from mem0_langgraph.backends.factory import create_memory
    from mem0_langgraph.backends.mem0 import Mem0Backend
    from mem0_langgraph.core._text import clip
    from mem0_langgraph.core.importer import import_messages
    from mem0_langgraph.core.recall import Recaller
    from mem0_langgraph.eval.retrieval._run import SearchCache, bar, pre_embed
    from mem0_langgraph.gates.base import AlwaysRecall
    from mem0_langgraph.gates.write import StoreAll

    data = load_longmemeval(path)
    questions = [q for q in data.questions if q.question_type == "knowledge-update" and not q.is_abstention
                 and split in ("all", split_of(q.question_id))]
    questions = questions[:limit] if limit else questions
    data_dir = str(store_dir) if store_dir else tempfile.mkdtemp(prefix="mem0-langgraph-updates-")
    backend = Mem0Backend(create_memory(data_dir=data_dir, collection="updates"))
    cache = SearchCache(backend, _SEARCH_K)
    common = {"gate": AlwaysRecall(), "search_k": _SEARCH_K, "recent_window": 0, "on_error": "raise",
              "recall_timeout_s": None}
    recallers = {f"{name} @ {budget}": (store, Recaller(cache, **common, **options, top_k=k, max_tokens=tokens))
                 for budget, (k, tokens) in (budgets or BUDGETS).items()
                 for name, (store, options) in (variants or VARIANTS).items()}
    rows: list[dict[str, Any]] = []
    stored = {"before": 0, "after": 0}
    turns = 0
    for q in bar(questions, "questions", len(questions), progress, "q"):
        keys: dict[str, list[Hashable]] = defaultdict(list)
        by_id: dict[str, list[Hashable]] = {}
        for s in q.sessions:
            for i, t in enumerate(s.turns):
                keys[clip(t.content.strip(), 8000)].append((s.session_id, i))
        turns += sum(len(s.turns) for s in q.sessions)
        users = {name: f"{q.question_id}/{name}" for name in ("before", "after")}
        if not all(backend.get_all(filters={"user_id": u}, limit=1) for u in users.values()):
            pre_embed(list(keys) + [q.question])  # a new store (a reused one skips what it already has)
        for name, options in (("before", {"write_gate": StoreAll(), "supersede": None}), ("after", {})):
            import_messages(_messages(q), memory=backend, user_id=users[name], **options)
            held = backend.get_all(filters={"user_id": users[name]}, limit=_ALL)
            stored[name] += len(held)
            by_id.update((h.id, keys[h.text]) for h in held if h.text in keys)
        row: dict[str, Any] = {"question_id": q.question_id, "side": split_of(q.question_id)}
        for name, (store, recaller) in recallers.items():
            user = f"{q.question_id}/{store}"
            memories = recaller.recall([HumanMessage(q.question)], {"configurable": {"user_id": user}}).memories
            row[name] = _score(q, memories, by_id)
        rows.append(row)
    result: dict[str, Any] = {"questions": len(rows), "turns": turns,
                              "memories_per_100_turns": {k: 100 * v / max(1, turns) for k, v in stored.items()},
                              "sides": {}}
    for side in ("train", "holdout", "all"):
        sub = [r for r in rows if side == "all" or r["side"] == side]
        result["sides"][side] = {"n": len(sub), **{name: {m: _mean([r[name][m] for r in sub])
                                                          for m in ("ok", "latest_recalled", "older_recalled",
                                                                    "latest_superseded")}
                                                   for name in recallers}}
    result["rows"] = rows
    return result


def _mean(values: Sequence[bool]) -> float | None:
    return sum(values) / len(values) if values else None


def to_markdown(result: dict[str, Any]) -> str:
    """The table the README shows."""
    names = [k for k in result["sides"]["all"] if k != "n"]
    lines = ["| store / recall | " + " | ".join(f"{s} (n={result['sides'][s]['n']})" for s in ("train", "holdout"))
             + " | latest recalled (all) | latest marked superseded (all) |", "|---|---|---|---|---|"]
    for name in names:
        cells = [f"{result['sides'][s][name]['ok']:.3f}" if result["sides"][s][name]["ok"] is not None else "n/a"
                 for s in ("train", "holdout")]
        a = result["sides"]["all"][name]
        lines.append(f"| {name} | {' | '.join(cells)} | {a['latest_recalled']:.3f} | {a['latest_superseded']:.3f} |")
    growth = result["memories_per_100_turns"]
    lines.append(f"\nMemories per 100 haystack turns: before {growth['before']:.1f}, after {growth['after']:.1f} "
                 f"({result['questions']} haystacks, {result['turns']} turns).")
    return "\n".join(lines)


def register(commands: Any) -> None:
    """Add ``updates`` to the ``eval`` command."""
    p = commands.add_parser("updates", help="knowledge updates: latest evidence recalled and shown as current",
                            description=__doc__.split("\n\n")[0])
    add_data_dir_argument(p, LONGMEMEVAL_FILE)
    p.add_argument("--split", choices=("train", "holdout", "all"), default="all",
                   help="which side of the question split (default: both)")
    p.add_argument("--limit", type=int, default=None, help="only the first N questions (default: all)")
    p.add_argument("--store", type=Path, default=None, metavar="DIR",
                   help="keep the stored haystacks in DIR and reuse them on the next run (default: a temporary dir)")
    p.add_argument("--no-progress", action="store_true", help="no progress bars")
    p.add_argument("--out", type=Path, default=None, help="also write the full result as JSON here")
    p.set_defaults(func=_command)


def _command(args: argparse.Namespace) -> int:
    path = existing_data_file(LONGMEMEVAL_FILE, args.data_dir)
    if path is None:
        return 2
    result = run_updates_eval(path, limit=args.limit, progress=not args.no_progress, split=args.split,
                              store_dir=args.store)
    return report(to_markdown(result), result, args.out)
