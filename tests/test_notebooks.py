"""Every notebook in notebooks/ runs offline in a clean kernel, and was saved with the output it produces."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat", reason='needs pip install "mem0-langgraph[test]"')
nbclient = pytest.importorskip("nbclient", reason='needs pip install "mem0-langgraph[test]"')

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
LONGMEMEVAL = "longmemeval_s_dev.json.gz"


def _outputs(nb) -> list[list[dict]]:
    return [cell.get("outputs", []) for cell in nb.cells if cell.cell_type == "code"]


def _errors(nb) -> list[str]:
    return [f"{o.get('ename')}: {o.get('evalue')}" for outs in _outputs(nb) for o in outs if o.output_type == "error"]


def test_the_six_demos_are_there() -> None:
    assert [p.name[:2] for p in NOTEBOOKS] == ["01", "02", "03", "04", "05", "06"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_runs_offline_and_its_saved_output_is_real(path: Path, tmp_path: Path, monkeypatch) -> None:
    saved = nbformat.read(path, as_version=4)
    assert not _errors(saved), f"{path.name} was saved with errors"
    if "load_longmemeval" in path.read_text():
        data = Path(os.environ.get("MEM0_LANGGRAPH_DATA") or ROOT.parent / "shared" / "data")
        if not (data / LONGMEMEVAL).exists():
            pytest.skip(f"{path.name} reads {LONGMEMEVAL}, not found in {data}")
    # The kernel inherits this environment: offline, no key (the echo model), nothing written under ~.
    for key in ("OPENAI_API_KEY", "LANGSMITH_API_KEY", "LANGCHAIN_API_KEY"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("MEM0_TELEMETRY", "False")
    monkeypatch.setenv("MEM0_LANGGRAPH_DATA_DIR", str(tmp_path / "default-store"))
    before = sorted(p.name for p in path.parent.iterdir())

    run = nbformat.read(path, as_version=4)
    nbclient.NotebookClient(run, timeout=600, kernel_name="python3",
                            resources={"metadata": {"path": str(path.parent)}}).execute()

    assert not _errors(run)
    for i, (kept, fresh) in enumerate(zip(_outputs(saved), _outputs(run))):
        assert bool(kept) == bool(fresh), f"{path.name}: code cell {i} was saved {'with' if kept else 'without'} output"
    assert sorted(p.name for p in path.parent.iterdir()) == before  # it cleans up after itself
