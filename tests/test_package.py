"""Package-level contracts: fast lazy import, public names, runnable docstring examples."""

from __future__ import annotations

import doctest
import importlib
import pkgutil
import subprocess
import sys

import pytest

import mem0_langgraph

REQUIRED = ["create_memory", "with_memory", "RecallNode", "StoreNode", "MemoryState", "RecallGate",
            "RecallDecision", "RuleGate", "AlwaysRecall", "NeverRecall"]


def test_public_names_are_exported() -> None:
    for name in REQUIRED:
        assert name in mem0_langgraph.__all__
        assert getattr(mem0_langgraph, name) is not None
    assert mem0_langgraph.__all__ == sorted(mem0_langgraph.__all__)


def test_import_loads_no_heavy_dependency() -> None:
    code = ("import sys, mem0_langgraph; "
            "print(','.join(m for m in ('torch','mem0','chromadb','sentence_transformers','langchain_classic') "
            "if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def _modules() -> list[str]:
    return sorted(m.name for m in pkgutil.walk_packages(mem0_langgraph.__path__, "mem0_langgraph.")
                  if not m.name.split(".")[-1].startswith("__"))


@pytest.mark.parametrize("name", _modules())
def test_docstring_examples_run(name: str) -> None:
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0
