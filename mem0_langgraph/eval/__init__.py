"""Benchmarks of recall quality on public data (read by path, never shipped).

- `run_gate_eval`: recall-gate benchmark on LongMemEval-S; `to_markdown` renders it.
- `default_gates`: the gates it compares by default.
- `load_longmemeval`, `load_locomo`: loaders that skip and count known defects.
- `gate_examples`: the gate's positives and negatives for one side of the split.
- `split_of`: the deterministic train/held-out split by question id.
- `session_kind`: answer, generic or personal, from a LongMemEval session id.
"""

from mem0_langgraph.eval.data import (
    gate_examples,
    load_locomo,
    load_longmemeval,
    session_kind,
    split_of,
)
from mem0_langgraph.eval.gate import default_gates, run_gate_eval, to_markdown

__all__ = [
    "default_gates",
    "gate_examples",
    "load_locomo",
    "load_longmemeval",
    "run_gate_eval",
    "session_kind",
    "split_of",
    "to_markdown",
]
