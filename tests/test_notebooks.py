"""The analyst notebooks: committed without outputs, and each runs top to bottom on the demo index."""

from __future__ import annotations

import csv
import json
import os
import sys
import time
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from index.frames import JAPANESE_FONT_FILES

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
    # The inline backend draws every figure into the outputs: with Agg nothing is drawn, so a missing
    # Japanese glyph (tofu boxes) would never warn and the check below could not see it.
    monkeypatch.setenv("MPLBACKEND", "module://matplotlib_inline.backend_inline")
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
    if any(Path(f).exists() for f in JAPANESE_FONT_FILES):  # Debian fonts-noto-cjk is installed here
        assert "font: Noto Sans CJK JP" in stdout, stdout
    # Every figure was drawn (with the Japanese font, so no Glyph warnings above).
    plots = sum("plt.subplots(" in cell.source for cell in nb.cells if cell.cell_type == "code")
    images = sum("image/png" in out.get("data", {}) for out in outputs)
    assert plots > 0 and images == plots, (plots, images)
    _check_results(path.stem, nb, tmp_path)
    assert elapsed < 60, f"{path.name} took {elapsed:.0f} s"


def _result_rows(nb, marker: str) -> list[list[str]]:
    """The text/plain result of the code cell whose source contains ``marker``, as whitespace-split lines."""
    cell = next(c for c in nb.cells if c.cell_type == "code" and marker in c.source)
    text = "".join(out.data["text/plain"] for out in cell.outputs if out.output_type == "execute_result")
    return [line.split() for line in text.splitlines()]


def _check_results(stem, nb, out_dir):
    """A few values the demo index fixes, read from the executed outputs."""
    if stem.startswith("01"):
        # What the index holds: 8 plenary days and 3 extraordinary records of 2020.
        summary = _result_rows(nb, "GROUP BY m.kind")
        assert [row[1:3] for row in summary[1:]] == [["本会議", "8"], ["臨時会", "3"]]
        leaf = _result_rows(nb, "leaf.head(15)")
        assert leaf[1][1:3] == ["health.infection", "感染症対策"]
    elif stem.startswith("02"):
        # The top member for 産後ケア, as GET /v1/members/search ranks her.
        info = {row[0]: row[1:] for row in _result_rows(nb, "pd.Series(info)") if row}
        assert info["member_id"] == ["130001-53df1e713ea1"] and info["name"] == ["森澤恭子"]
        assert info["n_questions"] == ["3"]
    elif stem.startswith("03"):
        with (out_dir / "solution_members.csv").open(encoding="utf-8-sig", newline="") as f:
            rows = list(csv.DictReader(f))
            header = list(rows[0])
        assert header == [
            "rank", "member_id", "name", "assembly", "score", "focus", "speech", "answers", "breadth", "posts",
            "topic", "matched_passages", "meetings", "matched_topics", "reason", "evidence_date", "evidence_meeting",
            "evidence_excerpt", "evidence_url", "answer_url"]
        assert [r["rank"] for r in rows] == [str(i) for i in range(1, 11)]  # LIMIT = 10
        # The stacked "score breakdown" is the whole score (speech, the largest part, used to be missing).
        for r in rows:
            parts = sum(float(r[k]) for k in ("focus", "speech", "answers", "breadth", "posts", "topic"))
            assert abs(parts - float(r["score"])) < 1e-3, r["name"]
        assert float(rows[0]["speech"]) > float(rows[0]["focus"])
        # The description names 産後ケア and LINE: 荒木ちはる's evidence takes up both, 森澤恭子's 産後ケア (three
        # meetings); with 病児保育 searched through 子育て (no passage says it) they are level at the top.
        top = {r["name"]: r for r in rows[:2]}
        assert set(top) == {"荒木ちはる", "森澤恭子"} and top["荒木ちはる"]["member_id"] == "130001-935165045de9"
        assert "産後ケア" in top["荒木ちはる"]["matched_topics"] and "LINE活用" in top["荒木ちはる"]["matched_topics"]
        assert "産後ケア" in top["森澤恭子"]["matched_topics"]
        assert all(r["assembly"] == "東京都議会" and r["evidence_url"] for r in rows)
        # By 会派: the groups of the top 30, largest total first; then one group's members alone.
        groups = _result_rows(nb, "by_party = (")
        assert groups[0] == ["members", "score", "best", "best_rank"] and len(groups) > 3
        totals = [float(row[2]) for row in groups[2:]]
        assert totals == sorted(totals, reverse=True)
        chosen = next(row[0] for row in groups[2:] if row[0] != "（会派不明）")
        one = _result_rows(nb, "one_party[[")
        assert len(one) > 1 and {row[3] for row in one[1:]} == {chosen}


def test_api_paths_named_in_notebooks_exist(demo_db):
    """The narrative sends analysts to API endpoints; each one it names must answer
    (03 used to name GET /v1/members/export, which is a 404: "member 'export' not found")."""
    import re

    from fastapi.testclient import TestClient

    from api.main import create_app

    named = set()
    for path in NOTEBOOKS:
        for cell in nbformat.read(path, as_version=4).cells:
            named |= set(re.findall(r"(GET|POST) (/v1/[\w./-]+)", cell.source))
    assert {("POST", "/v1/match"), ("GET", "/v1/members/search.csv")} <= named
    with TestClient(create_app(demo_db)) as client:
        for method, path in sorted(named):
            if method == "GET":
                response = client.get(path, params={"q": "産後ケア"})
            else:
                response = client.post(path, json={"description": "産後ケアのオンライン予約"})
            assert response.status_code == 200, (method, path, response.status_code, response.text[:200])


def test_narrative_matches_the_ranking():
    """03 said the description's topic words are added to the query; the match no longer does that
    (README: 種語を足さず), and the breakdown it describes must name every part of the score."""
    nb = nbformat.read(ROOT / "notebooks" / "03_solution_to_members.ipynb", as_version=4)
    text = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    assert "代表語で検索語を補います" not in text
    for part in ("focus", "speech", "answers", "breadth", "posts", "topic"):
        assert f"`{part}`" in text, part
