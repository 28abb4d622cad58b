"""The retrieval benchmark: evidence recall and injected tokens on LoCoMo and LongMemEval-S.

- `run_retrieval_eval`: store a dataset, recall per question, score it (`benchmark`).
- `default_rerankers`: what it compares by default: dense, then `KeywordFusion`.
- `DEFAULT_SEARCH_K`: candidates fetched per question (100, as the product's).
- `to_markdown`: the result as markdown, one table per part (`report`).
- `register`: adds ``mem0-langgraph eval retrieval`` to the ``eval`` command.
- `run_retrieval_command`: what that command runs.

The runners, one per dataset, are `locomo` and `longmemeval`; the machinery they
share (the store, the recallers, the search cache) is in ``_run``.
"""

from mem0_langgraph.eval.retrieval.benchmark import (
    DEFAULT_SEARCH_K,
    default_rerankers,
    register,
    run_retrieval_command,
    run_retrieval_eval,
)
from mem0_langgraph.eval.retrieval.report import to_markdown

__all__ = [
    "DEFAULT_SEARCH_K",
    "default_rerankers",
    "register",
    "run_retrieval_command",
    "run_retrieval_eval",
    "to_markdown",
]
