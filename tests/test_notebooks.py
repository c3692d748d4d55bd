"""The analyst notebooks: committed without outputs, and each runs top to bottom on the demo index."""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
KERNEL = "gikai-test"


def test_the_three_notebooks_are_there():
    assert [p.name for p in NOTEBOOKS] == [
        "01_topic_trends.ipynb", "02_member_deep_dive.ipynb", "03_solution_to_members.ipynb"]
    assert (ROOT / "notebooks" / "README.md").exists()


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_committed_without_outputs(path):
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [], f"{path.name}: strip outputs before committing"
            assert cell.execution_count is None, f"{path.name}: strip execution counts before committing"
    assert "widgets" not in nb.metadata


@pytest.fixture(scope="module")
def venv_kernel(tmp_path_factory) -> Path:
    """A kernelspec that runs this interpreter (the project venv), whatever `python` is on PATH."""
    jupyter_path = tmp_path_factory.mktemp("jupyter")
    spec = jupyter_path / "kernels" / KERNEL
    spec.mkdir(parents=True)
    (spec / "kernel.json").write_text(json.dumps({
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "gikai (test)", "language": "python",
    }))
    return jupyter_path


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_runs(path, demo_db, venv_kernel, tmp_path, monkeypatch):
    monkeypatch.setenv("JUPYTER_PATH", str(venv_kernel))
    monkeypatch.setenv("GIKAI_DB_PATH", str(demo_db))
    monkeypatch.setenv("GIKAI_NOTEBOOK_OUT", str(tmp_path))
    monkeypatch.setenv("MPLBACKEND", "Agg")
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))
    nb = nbformat.read(path, as_version=4)
    started = time.monotonic()
    # Raises CellExecutionError (with the cell and traceback) on the first failing cell.
    NotebookClient(nb, timeout=120, kernel_name=KERNEL, resources={"metadata": {"path": str(path.parent)}}).execute()
    elapsed = time.monotonic() - started

    outputs = [out for cell in nb.cells if cell.cell_type == "code" for out in cell.outputs]
    assert not [out for out in outputs if out.output_type == "error"]
    stderr = "".join(out.text for out in outputs if out.output_type == "stream" and out.name == "stderr")
    assert "Glyph" not in stderr and "Traceback" not in stderr, stderr
    stdout = "".join(out.text for out in outputs if out.output_type == "stream" and out.name == "stdout")
    assert str(demo_db) in stdout  # the notebook used the index it was given
    if path.stem.startswith("03"):
        assert (tmp_path / "solution_members.csv").read_text(encoding="utf-8-sig").count("\n") > 1
    assert elapsed < 60, f"{path.name} took {elapsed:.0f} s"
