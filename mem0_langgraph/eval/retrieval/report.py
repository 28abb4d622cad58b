"""The retrieval benchmark's report: `run_retrieval_eval`'s result as markdown, one table per part."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from mem0_langgraph.eval.locomo import LOCOMO_DEV_CONVERSATIONS


def to_markdown(result: Mapping[str, Any]) -> str:
    """Render `run_retrieval_eval`'s result as markdown: settings, skips, one table per part.

    Example:
        >>> part = {"n": 2, "recall@5": 0.5, "tokens@5": 120.0, "memories@5": 5.0, "by_category": {}}
        >>> result = {"dataset": "locomo", "split": "all", "limit": None, "seed": 0, "k_values": [5],
        ...           "search_k": 100, "min_score": 0.0, "max_tokens": 1000, "counts": {"questions": 2},
        ...           "skipped": {}, "baseline": None, "latency_ms": {"search_ms_p50": 50.0},
        ...           "rerankers": {"dense": {"rerank_ms_p50": 0.0, "rerank_ms_p95": 0.0, "parts": {"all": part}}}}
        >>> print(to_markdown(result).splitlines()[-1])
        | dense | 2 | 0.500 | 120 | 5.0 | 4.167 | 0.00 |
    """
    locomo = result["dataset"] == "locomo"
    ks = result["k_values"]
    c = result["counts"]
    lines = [
        f"Retrieval benchmark: {result['dataset']}, split {result['split']}"
        + (f", limit {result['limit']} (seed {result['seed']})" if result.get("limit") is not None else "")
        + f"; search_k {result['search_k']}, min_score {result['min_score']}, max_tokens {result['max_tokens']}.",
        "Counts: " + ", ".join(f"{k} {v}" for k, v in c.items()) + ".",
    ]
    if result.get("latency_ms", {}).get("search_ms_p50") is not None:
        p50 = result["latency_ms"]["search_ms_p50"]
        lines.append(f"mem0 search (search_k {result['search_k']}): p50 {p50:.0f} ms.")
    if result.get("skipped"):
        lines.append("Skipped: " + "; ".join(f"{k} ({v})" for k, v in result["skipped"].items()) + ".")
    if locomo and result.get("baseline"):
        b = result["baseline"]
        lines.append(f"README dense baseline (plain cosine top-k, n={b['n']}): "
                     + ", ".join(f"recall@{k} {b[f'recall@{k}']:.3f}" for k in (5, 10, 20) if f"recall@{k}" in b) + ".")
    if locomo and "dev_conversations" in result:
        lines.append(f"Rerankers were tuned on the dev half only (conversations 0-{LOCOMO_DEV_CONVERSATIONS - 1}); "
                     f"the holdout half ({LOCOMO_DEV_CONVERSATIONS}-9) was never used for tuning.")
    first = next(iter(result["rerankers"].values()))
    for part in first["parts"]:
        lines += ["", f"**{part}**", ""]
        cols = ([f"R@{k}" for k in ks] if locomo else [f"session R@{k} | turn R@{k}" for k in ks])
        per_token = [f"R@{ks[-1]} per 1k tokens"] if locomo else []
        header = ["reranker", "n", *cols, *[f"tokens@{k} | mem@{k}" for k in ks], *per_token, "rerank p50 ms"]
        lines.append("| " + " | ".join(header) + " |")
        lines.append("|" + "---|" * sum(h.count("|") + 1 for h in header))
        for name, r in result["rerankers"].items():
            m = r["parts"][part]
            cells = [name, str(m["n"])]
            for k in ks:
                cells += ([_num(m[f"recall@{k}"])] if locomo
                          else [_num(m[f"session_recall@{k}"]), _num(m[f"turn_recall@{k}"])])
            for k in ks:
                cells += [_num(m[f"tokens@{k}"], 0), _num(m[f"memories@{k}"], 1)]
            if locomo:
                recall, tokens = m[f"recall@{ks[-1]}"], m[f"tokens@{ks[-1]}"]
                cells.append(_num(recall * 1000 / tokens if recall is not None and tokens else None))
            cells.append(_num(r.get("rerank_ms_p50"), 2))
            lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _num(x: float | None, digits: int = 3) -> str:
    return "n/a" if x is None else f"{x:.{digits}f}"
