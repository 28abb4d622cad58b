"""The recall gate's second evaluation sets: the public-source set and the hand-written paraphrase families.

LongMemEval's questions share one phrasing; a gate tuned on them can miss the
other ways people point back ("you once taught me how to ...", "I don't like
cilantro, right?"). Two sets measure that:

- The *public* set (`DEFAULT_PUBLIC_SET`), derived from LoCoMo and from data
  bundled in the ``inspect-evals`` wheel by ``scripts/build_gate_set.py``. It is
  public data, so it is built by path outside the repository and never shipped.
  Rows carry a ``split``: the gate may train on ``train``; ``holdout`` is for figures.
- The *families* (`DEFAULT_FAMILIES`): paraphrase families the project wrote
  (``eval_data/gate/families.jsonl`` in a checkout), several phrasings per family,
  positives of the shapes above and self-contained contrasts. Never trained on.
  A third of the families (by salted hash) is ``dev``, looked at while designing
  features; the rest is ``holdout``.

``eval_data/gate/README.md`` documents sources, licences, sizes and defects.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

DEFAULT_PUBLIC_SET = Path("../shared-derived/gate_public.jsonl")
"""Where ``scripts/build_gate_set.py`` writes the public set (relative to the project root)."""
DEFAULT_FAMILIES = Path("eval_data/gate/families.jsonl")
"""The hand-written paraphrase families, in a checkout (relative to the project root)."""
BUILD_COMMAND = ("pip download --no-deps inspect-evals==0.26.0 -d /tmp/wheels && python scripts/build_gate_set.py "
                 "--inspect-evals /tmp/wheels/inspect_evals-0.26.0-py3-none-any.whl")
"""How to build the public set (see ``eval_data/gate/README.md``)."""

POSITIVE_KINDS = ("question", "refer_back")
"""Kinds counted in recall: they need the user's older context by construction."""
NEGATIVE_KINDS = ("generic",)
"""Kinds counted in the generic fire rate: self-contained requests."""

_FAMILY_SALT = "mem0-langgraph/gate-families/v1"
_FAMILY_DEV_FRACTION = 1 / 3

SetSplit = Literal["train", "holdout", "dev", "all"]


@dataclass(frozen=True)
class SetRow:
    """One turn of a gate set.

    Attributes:
        text: The user turn, decided alone.
        kind: ``question`` / ``refer_back`` (positives), ``generic`` (negatives),
            ``personal`` (self-contained but about the user's life) or ``implicit``
            (memory helps, the wording does not say so); the last two are reported apart.
        source: Where it came from (``locomo-qa``, ``freshqa``, ``family:<shape>``, ...).
        unit: The unit the split is drawn by (a conversation, a source id, a family).
        split: ``train`` / ``holdout`` (public set) or ``dev`` / ``holdout`` (families).
    """

    text: str
    kind: str
    source: str
    unit: str
    split: str


def missing_set_message(path: str | Path) -> str:
    """What ``eval gate`` prints when the public set is not there: the build command."""
    return f"{path} not found; build the public gate set first: {BUILD_COMMAND} (see eval_data/gate/README.md)"


def load_public_set(path: str | Path = DEFAULT_PUBLIC_SET, *, split: SetSplit = "holdout") -> list[SetRow]:
    """Rows of the public set on one side of its split (``"all"`` for both).

    Raises:
        FileNotFoundError: The set was not built; the message names the build command.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(missing_set_message(path))
    rows = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            d = json.loads(line)
            if split in ("all", d["split"]):
                rows.append(SetRow(text=d["text"], kind=d["kind"], source=d["source"], unit=d["unit"],
                                   split=d["split"]))
    return rows


def family_split(family: str) -> Literal["dev", "holdout"]:
    """``dev`` for a third of the families (salted SHA-256 of the name), else ``holdout``.

    Example:
        >>> family_split("book_club") == family_split("book_club")
        True
    """
    digest = hashlib.sha256(f"{_FAMILY_SALT}:{family}".encode()).digest()
    return "dev" if int.from_bytes(digest[:8], "big") / 2**64 < _FAMILY_DEV_FRACTION else "holdout"


def load_families(path: str | Path = DEFAULT_FAMILIES, *, split: SetSplit = "holdout") -> list[SetRow]:
    """The paraphrase families as rows: positives are kind ``question``, contrasts ``generic``.

    Raises:
        FileNotFoundError: No families file at ``path`` (it lives in a checkout, not in the package).
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path} not found; the families live in a checkout of the repository "
                                f"(eval_data/gate/families.jsonl): run from the project root or pass --families-path")
    rows = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            fam = json.loads(line)
            side = family_split(fam["family"])
            if split not in ("all", side):
                continue
            kind = "question" if fam["label"] == 1 else "generic"
            rows += [SetRow(text=t, kind=kind, source=f"family:{fam['shape']}", unit=fam["family"], split=side)
                     for t in fam["texts"]]
    return rows
