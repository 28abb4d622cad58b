"""Small numpy metrics shared by the benchmarks and the gate's training script."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np


def rate(flags: Sequence[bool]) -> float | None:
    """Share of true flags; None when there are none to count."""
    return float(np.mean(flags)) if len(flags) else None


def wilson(successes: int, n: int, z: float = 1.96) -> tuple[float, float] | None:
    """Wilson score interval (95 % by default) for a proportion; None when ``n`` is 0.

    Example:
        >>> [round(x, 3) for x in wilson(67, 70)]
        [0.881, 0.985]
    """
    if n == 0:
        return None
    p = successes / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return max(0.0, centre - half), min(1.0, centre + half)


def auc(positive: Sequence[float], negative: Sequence[float]) -> float | None:
    """Area under the ROC curve (Mann-Whitney, ties count half); None if a side is empty
    or all scores are equal (the scorer ranks nothing).

    Example:
        >>> auc([0.9, 0.8, 0.4], [0.1, 0.4, 0.2])
        0.9444444444444444
    """
    pos, neg = np.asarray(positive, dtype=np.float64), np.asarray(negative, dtype=np.float64)
    if not len(pos) or not len(neg):
        return None
    both = np.concatenate([pos, neg])
    if np.all(both == both[0]):
        return None
    order = np.argsort(both, kind="mergesort")
    ranks = np.empty(len(both))
    sorted_scores = both[order]
    # Average ranks over ties.
    starts = np.r_[0, np.flatnonzero(np.diff(sorted_scores)) + 1]
    ends = np.r_[starts[1:], len(both)]
    for s, e in zip(starts, ends):
        ranks[order[s:e]] = (s + e + 1) / 2
    u = ranks[: len(pos)].sum() - len(pos) * (len(pos) + 1) / 2
    return float(u / (len(pos) * len(neg)))


def percentile(values: Sequence[float], q: float) -> float | None:
    """The ``q``-th percentile (linear interpolation); None for no values."""
    return float(np.percentile(values, q)) if len(values) else None
