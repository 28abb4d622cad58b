"""Recall gates: decide per turn whether older context is needed.

- `RecallGate`, `RecallDecision`, `AlwaysRecall`, `NeverRecall` (base.py)
- `RuleGate` (rules.py): weighted regexes, no model.
- `LearnedGate` (learned.py, the default): a logistic regression over the local embedding.
- `LLMGate` (llm.py): a chat model decides and rewrites the queries.
"""
