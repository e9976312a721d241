"""Solutions -> exercises: same result as nbgrader's generate step, no leaks, no drift."""
from __future__ import annotations

import copy
import os
from pathlib import Path

import nbformat
import pytest

from grading_fixtures import (ANSWER_MEAN, NAME, TEST_TOTAL, cell,
                              solution_notebook, write_assignment)
from lrcourse.__main__ import main
from lrcourse.grading.release import (CODE_STUB, TEXT_STUB, hidden_test_regions,
                                      notebook_text, release, release_folder,
                                      release_notebook, solution_regions)

REPO = Path(__file__).resolve().parent.parent
SOLUTIONS = sorted(d for d in (REPO / "solutions").glob("*") if d.is_dir()
                   and not d.name.startswith(".")) if (REPO / "solutions").is_dir() else []


def by_id(nb):
    return {c.metadata.get("nbgrader", {}).get("grade_id"): c for c in nb.cells}


# --------------------------------------------------------------------------- the rules
def test_solution_regions_become_stubs_at_their_indentation():
    ex = by_id(release_notebook(solution_notebook()))
    assert ex["answer_double"].source == (
        'def double(x):\n    """Twice x."""\n'
        "    # YOUR CODE HERE\n    raise NotImplementedError()")
    assert ex["answer_mean"].source == ANSWER_MEAN.split("    ### BEGIN")[0] + \
        "    # YOUR CODE HERE\n    raise NotImplementedError()"


def test_solution_cell_without_markers_is_replaced_entirely():
    ex = by_id(release_notebook(solution_notebook()))
    assert ex["answer_total"].source == CODE_STUB == "# YOUR CODE HERE\nraise NotImplementedError()"
    assert ex["explain"].source == TEXT_STUB == "YOUR ANSWER HERE"
    assert ex["explain"].cell_type == "markdown"


def test_hidden_tests_removed_and_visible_tests_kept():
    ex = by_id(release_notebook(solution_notebook()))
    assert ex["test_total"].source == (
        'assert isinstance(total, float), "total should be a float"\nprint("total: ok")')
    assert "HIDDEN" not in ex["test_total"].source
    assert hidden_test_regions(TEST_TOTAL) == [
        'assert total == 10.0, "total is not the sum of NUMBERS"']


def test_outputs_cleared_metadata_as_nbgrader_and_input_untouched():
    sol = solution_notebook()
    before = copy.deepcopy(sol)
    ex = release_notebook(sol)
    assert sol == before                                   # the input is not modified
    assert len(ex.cells) == len(sol.cells)
    assert [c.cell_type for c in ex.cells] == [c.cell_type for c in sol.cells]
    assert [c.id for c in ex.cells] == [c.id for c in sol.cells]
    for c in ex.cells:
        if c.cell_type == "code":
            assert c.outputs == [] and c.execution_count is None
    assert "celltoolbar" not in ex.metadata
    e = by_id(ex)
    assert e["answer_double"].metadata["deletable"] is False
    assert "editable" not in e["answer_double"].metadata       # answers stay editable
    assert e["test_double"].metadata["editable"] is False
    assert e["setup"].metadata["editable"] is False
    meta = e["test_double"].metadata["nbgrader"]
    assert meta["cell_type"] == "code" and len(meta["checksum"]) == 32
    assert meta["points"] == 2 and meta["grade"] is True and meta["solution"] is False
    assert "nbgrader" not in ex.cells[0].metadata              # plain cells stay plain


@pytest.mark.parametrize("bad, message", [
    (cell("code", "### BEGIN SOLUTION\nx = 1\n### END SOLUTION", grade_id="c"),
     "not a solution cell"),
    (cell("code", "### BEGIN HIDDEN TESTS\nassert 1\n### END HIDDEN TESTS", grade_id="c"),
     "not a graded cell"),
    (cell("code", "### BEGIN SOLUTION\nx = 1", grade_id="c", solution=True),
     "without a matching"),
    (cell("code", "### BEGIN SOLUTION\n### BEGIN SOLUTION\n### END SOLUTION",
          grade_id="c", solution=True), "nested"),
    (cell("code", "assert True", grade_id="test_double", grade=True, points=1),
     "'test_double' is used by cells"),
    (cell("code", "assert True", grade_id="c", grade=True, points=None), "points"),
])
def test_bad_solution_notebooks_are_refused_with_a_clear_message(bad, message):
    nb = solution_notebook()
    nb.cells.append(bad)
    with pytest.raises(ValueError, match=message):
        release_notebook(nb)


# --------------------------------------------------------------------------- nbgrader
NBGRADER_STEPS = ["LockCells", "ClearSolutions", "ClearOutput", "CheckCellMetadata",
                  "ComputeChecksums", "ClearHiddenTests", "ClearMarkScheme",
                  "ComputeChecksums", "CheckCellMetadata"]


def nbgrader_release(path):
    """nbgrader 0.9's generate_assignment preprocessors, in its order (minus the database)."""
    preprocessors = pytest.importorskip("nbgrader.preprocessors")
    nb = nbformat.read(str(path), as_version=4)
    resources = {}
    for name in NBGRADER_STEPS:
        nb, resources = getattr(preprocessors, name)().preprocess(nb, resources)
    return nb


@pytest.mark.parametrize("path", [None] + [d / f"{d.name}.ipynb" for d in SOLUTIONS],
                         ids=["fixture"] + [d.name for d in SOLUTIONS])
def test_release_equals_nbgrader_generate_assignment(path, tmp_path):
    pytest.importorskip("nbgrader")
    if path is None:
        path = write_assignment(tmp_path) / f"{NAME}.ipynb"
    theirs, ours = nbgrader_release(path), release(path)
    assert [c.cell_type for c in ours.cells] == [c.cell_type for c in theirs.cells]
    for k, (a, b) in enumerate(zip(ours.cells, theirs.cells)):
        assert a.source == b.source, f"cell {k}"
        assert a.metadata == b.metadata, f"cell {k}"
    assert notebook_text(ours) == notebook_text(theirs)     # byte for byte, in fact


# --------------------------------------------------------------------------- files
def test_release_folder_writes_exercise_and_data_but_no_solution_files(tmp_path):
    src = write_assignment(tmp_path)
    (src / ".ipynb_checkpoints").mkdir()
    (src / ".ipynb_checkpoints" / f"{NAME}-checkpoint.ipynb").write_text("{}")
    produced = release_folder(src)
    dest = tmp_path / "exercises" / NAME
    assert set(produced) == {dest / f"{NAME}.ipynb", dest / "numbers.txt",
                             dest / "extra" / "more.txt"}
    assert all(produced.values())
    assert sorted(p.relative_to(dest).as_posix() for p in dest.rglob("*") if p.is_file()) == \
        [f"{NAME}.ipynb", "extra/more.txt", "numbers.txt"]
    nb_file = dest / f"{NAME}.ipynb"
    # written exactly as nbformat.write writes it
    nbformat.write(release(src / f"{NAME}.ipynb"), str(tmp_path / "ref.ipynb"))
    assert nb_file.read_bytes() == (tmp_path / "ref.ipynb").read_bytes()
    assert nb_file.read_text().endswith("}\n")
    umask = os.umask(0)
    os.umask(umask)
    assert all(p.stat().st_mode & 0o777 == 0o666 & ~umask for p in produced)


def test_release_again_is_byte_identical_and_touches_nothing(tmp_path):
    src = write_assignment(tmp_path)
    first = release_folder(src)
    stamps = {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in first}
    again = release_folder(src)
    assert not any(again.values())
    assert {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in again} == stamps


def test_cli_release_default_and_explicit(tmp_path, monkeypatch, capsys):
    src = write_assignment(tmp_path)
    monkeypatch.chdir(tmp_path)
    assert main(["release"]) == 0                         # every folder of ./solutions
    assert (tmp_path / "exercises" / NAME / f"{NAME}.ipynb").is_file()
    assert "wrote" in capsys.readouterr().out
    assert main(["release", str(src), "--exercises", str(tmp_path / "out")]) == 0
    assert (tmp_path / "out" / NAME / "numbers.txt").read_text() == "1 2 3 4\n"
    capsys.readouterr()
    assert main(["release", str(src)]) == 0                # nothing changed: nothing written
    out = capsys.readouterr().out
    assert "wrote" not in out and out.count("up to date") == 3
    with pytest.raises(SystemExit) as e:
        main(["release", str(tmp_path / "nope")])
    assert e.value.code == 2


def test_nbgrader_config_points_at_solutions_and_exercises():
    text = (REPO / "nbgrader_config.py").read_text()
    config = {}

    class C:
        def __getattr__(self, name):
            return config.setdefault(name, type("Section", (), {})())
    env = {"get_config": C, "__file__": str(REPO / "nbgrader_config.py")}
    exec(compile(text, "nbgrader_config.py", "exec"), env)
    assert config["CourseDirectory"].source_directory == "solutions"
    assert config["CourseDirectory"].release_directory == "exercises"
    assert config["CourseDirectory"].root == str(REPO)


# --------------------------------------------------------------------------- the repo
def secret_lines(nb) -> set[str]:
    """Lines of answers and hidden tests that must never reach students (longer than 10
    characters and not also visible elsewhere, e.g. in a skeleton or a visible test)."""
    secret, public = set(), set()
    for c in nb.cells:
        meta = c.metadata.get("nbgrader", {})
        hidden = set(solution_regions(c.source)) | set(hidden_test_regions(c.source))
        if meta.get("solution") and not solution_regions(c.source):
            hidden |= set(c.source.split("\n"))
        hidden = {line.strip() for line in hidden}
        secret |= hidden
        public |= {line.strip() for line in c.source.split("\n")} - hidden
    return {line for line in secret - public if len(line) > 10}


def test_secret_lines_of_the_fixture_do_not_leak():
    sol = solution_notebook()
    secrets = secret_lines(sol)
    assert "return sum(values) / len(values)" in secrets
    assert 'assert total == 10.0, "total is not the sum of NUMBERS"' in secrets
    assert "total = float(sum(NUMBERS))" in secrets
    shown = {line.strip() for c in release_notebook(sol).cells for line in c.source.split("\n")}
    assert not secrets & shown


@pytest.mark.parametrize("src", SOLUTIONS or [None], ids=[d.name for d in SOLUTIONS] or ["none"])
def test_committed_exercises_equal_a_fresh_release_and_leak_nothing(src, tmp_path):
    """For every solutions/NN_slug/ of the repo (none yet is fine)."""
    for src in [src] if src is not None else []:
        fresh = release_folder(src, tmp_path)
        committed = REPO / "exercises" / src.name
        assert committed.is_dir(), f"exercises/{src.name} is missing: run python -m lrcourse release"
        for path in fresh:
            rel = path.relative_to(tmp_path / src.name)
            assert (committed / rel).is_file(), f"exercises/{src.name}/{rel} is missing"
            assert (committed / rel).read_bytes() == path.read_bytes(), \
                f"exercises/{src.name}/{rel} differs from its solution: run python -m lrcourse release"
        extra = {p.relative_to(committed) for p in committed.rglob("*") if p.is_file()
                 and ".ipynb_checkpoints" not in p.parts} - \
                {p.relative_to(tmp_path / src.name) for p in fresh}
        assert not extra, f"exercises/{src.name} has files no solution produces: {extra}"
        for nb_path in src.glob("*.ipynb"):
            secrets = secret_lines(nbformat.read(str(nb_path), as_version=4))
            ex = nbformat.read(str(committed / nb_path.name), as_version=4)
            shown = {line.strip() for c in ex.cells for line in c.source.split("\n")}
            assert not secrets & shown, f"{nb_path.name} leaks {sorted(secrets & shown)}"
            assert not any("BEGIN SOLUTION" in c.source or "HIDDEN TESTS" in c.source
                           for c in ex.cells)
