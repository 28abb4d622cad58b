"""Benchmarks of recall quality on public data (read by path, never shipped).

- `DATA_ENV`: the environment variable naming the data folder.
- `LOCOMO_FILE`: LoCoMo's file name in the data folder.
- `LONGMEMEVAL_FILE`: LongMemEval-S's file name in the data folder.
- `data_dir`: the data folder: the argument, else ``$MEM0_LANGGRAPH_DATA``, else ``../shared/data``.
- `data_file`: one data file's path in that folder.
- `default_gates`: the gates the gate benchmark compares by default.
- `gate_examples`: the gate's positives and negatives for one side of the split.
- `load_locomo`: LoCoMo's loader; skips, repairs and counts known defects.
- `load_longmemeval`: LongMemEval-S's loader; skips and counts known defects.
- `run_gate_eval`: the recall-gate benchmark on LongMemEval-S.
- `run_retrieval_eval`: the retrieval benchmark on LoCoMo or LongMemEval-S.
- `session_kind`: answer, generic or personal, from a LongMemEval session id.
- `split_of`: the deterministic train/held-out split by question id.
- `to_markdown`: renders `run_gate_eval`'s result (``eval.retrieval.to_markdown`` renders the other).

Modules: `paths` (where the data is), `longmemeval` and `locomo` (a loader and
a split per dataset), one module per benchmark (`gate`, `latency`, the `retrieval`
package), and `cli` (the ``eval`` command that each benchmark adds itself to).
"""

from mem0_langgraph.eval.gate import default_gates, run_gate_eval, to_markdown
from mem0_langgraph.eval.locomo import load_locomo
from mem0_langgraph.eval.longmemeval import gate_examples, load_longmemeval, session_kind, split_of
from mem0_langgraph.eval.paths import DATA_ENV, LOCOMO_FILE, LONGMEMEVAL_FILE, data_dir, data_file
from mem0_langgraph.eval.retrieval import run_retrieval_eval

__all__ = [
    "DATA_ENV",
    "LOCOMO_FILE",
    "LONGMEMEVAL_FILE",
    "data_dir",
    "data_file",
    "default_gates",
    "gate_examples",
    "load_locomo",
    "load_longmemeval",
    "run_gate_eval",
    "run_retrieval_eval",
    "session_kind",
    "split_of",
    "to_markdown",
]
