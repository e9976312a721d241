"""The repository's own consistency: dependencies in sync, every lesson linked, layout complete."""
import re
import subprocess
import sys
from pathlib import Path

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    tomllib = None

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _name(req):
    return re.split(r"[<>=!~ \[;]", req.strip(), maxsplit=1)[0].lower().replace("_", "-")


@pytest.mark.skipif(tomllib is None, reason="tomllib needs Python 3.11")
def test_environment_yml_matches_pyproject():
    deps = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    yml = (ROOT / "environment.yml").read_text().splitlines()
    start = yml.index("dependencies:") + 1
    section = [l for l in yml[start:] if l.startswith("  ")]
    conda = [l.strip()[2:] for l in section if l.startswith("  - ") and not l.strip().startswith("- pip")]
    conda = {_name(c): c.replace(" ", "") for c in conda if _name(c) not in ("python",)}
    assert {_name(d): d.replace(" ", "") for d in deps} == conda
    assert "      - -e ." in yml


def test_every_lesson_has_an_assignment_and_is_linked_from_the_index():
    index = (ROOT / "index.ipynb").read_text()
    lessons = sorted(p.stem for p in (ROOT / "lessons").glob("[0-9][0-9]_*.ipynb"))
    assert lessons, "no lessons"
    for slug in lessons:
        assert f"lessons/{slug}.ipynb" in index
        assert (ROOT / "solutions" / slug / f"{slug}.ipynb").exists(), f"no solution for {slug}"
        assert (ROOT / "exercises" / slug / f"{slug}.ipynb").exists(), f"no exercise for {slug}"


def test_import_lrcourse_does_not_load_matplotlib_or_widgets():
    code = "import sys, lrcourse; print(sorted(m for m in ('matplotlib', 'ipywidgets', 'torch') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_make_lab_copies_exercises_without_overwriting(tmp_path):
    from lrcourse.workspace import copy_exercises

    src = tmp_path / "exercises" / "01_x"
    src.mkdir(parents=True)
    (src / "01_x.ipynb").write_text("new")
    (src / "data.csv").write_text("1,2")
    mine = tmp_path / "my_work" / "01_x"
    mine.mkdir(parents=True)
    (mine / "01_x.ipynb").write_text("my answers")
    created = copy_exercises(tmp_path / "exercises", tmp_path / "my_work")
    assert created == [mine / "data.csv"]
    assert (mine / "01_x.ipynb").read_text() == "my answers"
    assert copy_exercises(tmp_path / "exercises", tmp_path / "my_work") == []
    with pytest.raises(ValueError, match="exercises"):
        copy_exercises(tmp_path / "nope", tmp_path / "my_work")


def test_notebooks_are_committed_without_stray_outputs():
    """Only cells tagged nbval-check-output (or marked NBVAL_CHECK_OUTPUT) may carry outputs (nbval compares them)."""
    import nbformat

    for path in sorted(list((ROOT / "lessons").glob("*.ipynb")) + list((ROOT / "solutions").glob("*/*.ipynb"))
                       + list((ROOT / "exercises").glob("*/*.ipynb")) + [ROOT / "index.ipynb"]):
        nb = nbformat.read(path, as_version=4)
        for cell in nb.cells:
            if cell.cell_type == "code" and cell.outputs:
                checked = "nbval-check-output" in cell.metadata.get("tags", []) or "NBVAL_CHECK_OUTPUT" in cell.source
                assert checked, f"{path.name}: outputs in an unchecked cell"
