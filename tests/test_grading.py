"""The instructor grader: restoration, execution of broken submissions, gradebook files.

One kernel-heavy grading run of a torture set (every way a submission can break) is
shared by the tests through a module-scoped fixture; the other tests need no kernel or
grade one or two notebooks.
"""
from __future__ import annotations

import csv
import hashlib
import json
import os
from pathlib import Path

import nbformat
import pytest

import grading_fixtures as fx
from lrcourse.__main__ import main
from lrcourse.grading.grade import (assemble, grade, grade_submission, load_solution,
                                    read_submission)
from lrcourse.grading.release import release_folder

REPO = Path(__file__).resolve().parent.parent
COLUMNS = ["submission", "student", "question", "points", "max_points", "status"]
Q = ["test_double", "test_total", "test_mean"]          # 2, 3 and 1 points

# student -> (notebook or raw bytes, expected {question: (points, status)})
P, F, E, T, D, U = "passed", "failed", "error", "timeout", "kernel died", "unreadable"
WRONG_DOUBLE = "def double(x):\n    return 3 * x"
WRONG_TOTAL = "total = float(sum(NUMBERS[:2]))"           # passes the visible test only
STRIPPED = fx.student_notebook(answer_total=WRONG_TOTAL)
for _c in STRIPPED.cells:                                    # edited in a tool that drops metadata
    _c.metadata.pop("nbgrader", None)
TORTURE = {
    "solution": (fx.solution_notebook(), (2, P, 3, P, 1, P)),
    "untouched": (fx.exercise_notebook(), (0, E, 0, E, 0, E)),
    "syntax": (fx.student_notebook(answer_double="def double(x)\n    return 2 * x"),
               (0, E, 3, P, 1, P)),
    "exception": (fx.student_notebook(answer_total="total = sum(NUMBERS) / 0"),
                  (2, P, 0, E, 1, P)),
    "wrong": (fx.student_notebook(answer_double=WRONG_DOUBLE, answer_total=WRONG_TOTAL),
              (0, F, 0, F, 1, P)),
    "loop": (fx.student_notebook(answer_total="while True:\n    pass"), (2, P, 0, T, 1, P)),
    "loop_in_test": (fx.student_notebook(answer_mean="def mean(v):\n    while True:\n"
                                                     "        pass"), (2, P, 3, P, 0, T)),
    "dies": (fx.student_notebook(answer_double="import os\nos._exit(1)"), (0, D, 3, P, 1, P)),
    "calls_exit": (fx.student_notebook(answer_total="exit()"), (2, P, 0, D, 1, P)),
    "deleted_test": (fx.student_notebook(test_total=None), (2, P, 3, P, 1, P)),
    "edited_test": (fx.student_notebook(answer_double=WRONG_DOUBLE, test_double="pass"),
                    (0, F, 3, P, 1, P)),
    "emptied_test": (fx.student_notebook(answer_mean="def mean(v):\n    return 0",
                                         test_mean=""), (2, P, 3, P, 0, F)),
    "no_metadata": (STRIPPED, (2, P, 0, F, 1, P)),
    "extra_cells": (fx.insert_after(
        fx.insert_after(fx.student_notebook(), "answer_double",
                        nbformat.v4.new_markdown_cell("my notes"),
                        nbformat.v4.new_code_cell("raise RuntimeError('scratch work')")),
        "test_total", nbformat.v4.new_code_cell("helper = [n * 2 for n in NUMBERS]")),
        (2, P, 3, P, 1, P)),
    "warning": (fx.student_notebook(answer_total="import sys, warnings\n"
                                                 "warnings.warn('careful')\n"
                                                 "print('to stderr', file=sys.stderr)\n"
                                                 "total = float(sum(NUMBERS))"),
                (2, P, 3, P, 1, P)),
    "corrupt": (b'{"cells": [{"cell_type": "code", ', (0, U, 0, U, 0, U)),
    "empty": (b"", (0, U, 0, U, 0, U)),
    "not_a_notebook": (b'{"hello": "world"}', (0, U, 0, U, 0, U)),
}


def expected_rows(student):
    e = TORTURE[student][1]
    return {q: (str(e[2 * k]), e[2 * k + 1]) for k, q in enumerate(Q)}


def write_submission(root, student, content) -> str:
    """submissions/<student>/NAME.ipynb under root; return the path relative to root."""
    rel = os.path.join("submissions", student, f"{fx.NAME}.ipynb")
    path = Path(root, rel)
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        nbformat.write(content, str(path))
    return rel


def digest(folder: Path) -> dict:
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()} | \
        {p.relative_to(folder).as_posix(): "folder" for p in folder.rglob("*") if p.is_dir()}


def read_csv(path):
    with open(path, newline="") as f:
        return list(csv.reader(f))


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """Grade the torture set once through the CLI (2 jobs, 2 s per cell) from its folder."""
    root = tmp_path_factory.mktemp("course")
    solution = fx.write_assignment(root)
    subs = [write_submission(root, s, content) for s, (content, _) in TORTURE.items()]
    subs[0] = "./" + subs[0]                       # kept exactly as given, "./" included
    before = digest(root / "submissions")
    cwd = os.getcwd()
    os.chdir(root)
    try:
        code = main(["grade", os.path.relpath(solution, root), *subs, "--out",
                     "results/grades.csv", "--timeout", "2", "--jobs", "2", "--quiet"])
    finally:
        os.chdir(cwd)
    return {"root": root, "subs": subs, "code": code, "before": before,
            "rows": read_csv(root / "results" / "grades.csv")}


# --------------------------------------------------------------------------- torture set
def test_exit_code_zero_and_csv_columns_exact(graded):
    assert graded["code"] == 0
    assert graded["rows"][0] == COLUMNS


def test_rows_in_command_line_then_solution_order(graded):
    rows = graded["rows"][1:]
    assert [(r[0], r[2]) for r in rows] == [(s, q) for s in graded["subs"] for q in Q]
    assert rows[0][0] == f"./submissions/solution/{fx.NAME}.ipynb"
    assert [r[1] for r in rows[::3]] == list(TORTURE)         # student = parent folder
    assert {r[4] for r in rows if r[2] == "test_total"} == {"3"}


@pytest.mark.parametrize("student", list(TORTURE))
def test_torture_scores_and_statuses(graded, student):
    got = {r[2]: (r[3], r[5]) for r in graded["rows"][1:] if r[1] == student}
    assert got == expected_rows(student)


def test_submissions_are_never_modified(graded):
    assert digest(graded["root"] / "submissions") == graded["before"]


def test_totals_csv_for_a_learning_management_system(graded):
    rows = read_csv(graded["root"] / "results" / "grades_totals.csv")
    assert rows[0] == ["student", "points", "max_points", "percent"]
    totals = {r[0]: r[1:] for r in rows[1:]}
    assert list(totals) == list(TORTURE)
    assert totals["solution"] == ["6", "6", "100.0"]
    assert totals["dies"] == ["4", "6", "66.7"]
    assert totals["empty"] == ["0", "6", "0.0"]


def test_feedback_files_next_to_out_with_first_line_of_failure(graded):
    folder = graded["root"] / "results" / "feedback" / fx.NAME
    assert sorted(p.name for p in folder.iterdir()) == sorted(f"{s}.md" for s in TORTURE)
    wrong = (folder / "wrong.md").read_text()
    assert "| test_total | 0 / 3 | failed | AssertionError: total is not the sum of NUMBERS |" \
        in wrong
    assert "| test_double | 0 / 2 | failed | AssertionError: double(2) should be 4 |" in wrong
    assert "Total: **1 / 6** points" in wrong
    assert "SyntaxError" in (folder / "syntax.md").read_text()
    assert "ZeroDivisionError" in (folder / "exception.md").read_text()
    assert "NotImplementedError" in (folder / "untouched.md").read_text()
    assert "not valid JSON" in (folder / "corrupt.md").read_text()
    assert "empty file" in (folder / "empty.md").read_text()
    assert not any(p.suffix == ".md" for p in (graded["root"] / "submissions").rglob("*"))


# --------------------------------------------------------------------------- rerun, formats
def test_rerun_is_idempotent_and_json_format(tmp_path, capsys):
    solution = fx.write_assignment(tmp_path)
    subs = [str(tmp_path / write_submission(tmp_path, s, TORTURE[s][0]))
            for s in ("exception", "corrupt")]
    out = tmp_path / "out" / "grades.csv"
    args = ["grade", str(solution), *subs, "--out", str(out), "--jobs", "1", "--timeout", "10",
            "--seed", "7"]
    assert main(args) == 0
    table = capsys.readouterr().out
    assert "exception" in table and "0 error" in table and "0 unreadable" in table
    files = sorted(p for p in out.parent.rglob("*") if p.is_file())
    assert [p.relative_to(out.parent).as_posix() for p in files] == [
        f"feedback/{fx.NAME}/corrupt.md", f"feedback/{fx.NAME}/exception.md", "grades.csv",
        "grades_report.md", "grades_totals.csv"]
    first = {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in files}
    assert main(args) == 0                    # same result, files not even rewritten
    assert {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in files} == first

    capsys.readouterr()
    assert main([*args[:-6], "--out", str(tmp_path / "g.json"), "--format", "json",
                 "--jobs", "1", "--timeout", "10", "--seed", "7"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert json.loads((tmp_path / "g.json").read_text()) == printed
    assert printed["questions"] == [{"question": q, "max_points": p}
                                    for q, p in zip(Q, [2, 3, 1])]
    assert [(g["question"], g["points"], g["status"]) for g in printed["grades"]] == [
        ("test_double", 2, P), ("test_total", 0, E), ("test_mean", 1, P),
        ("test_double", 0, U), ("test_total", 0, U), ("test_mean", 0, U)]
    assert printed["grades"][1]["detail"].startswith("ZeroDivisionError")
    assert printed["grades"][1]["submission"] == subs[0]
    assert printed["totals"][0] == {"student": "exception", "points": 3, "max_points": 6,
                                    "percent": 50}


def test_wall_clock_cap_gives_timeout_to_the_remaining_questions(tmp_path):
    solution = load_solution(fx.write_assignment(tmp_path))
    path = tmp_path / write_submission(
        tmp_path, "slow", fx.student_notebook(answer_total="import time\ntime.sleep(30)"))
    result = grade_submission(solution, path, timeout=20, notebook_timeout=3)
    assert [(r.status, r.points) for r in result.results] == [(P, 2), (T, 0), (T, 0)]
    assert "3 s limit" in result.results[2].detail


def test_a_kernel_that_dies_while_starting_is_started_again(tmp_path, monkeypatch):
    import importlib

    G = importlib.import_module("lrcourse.grading.grade")  # the module (lrcourse.grading.grade is also a function)
    real, calls = G._Kernel._start_once, []

    async def flaky(self):
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("Kernel died before replying to kernel_info")
        return await real(self)

    monkeypatch.setattr(G._Kernel, "_start_once", flaky)
    solution = load_solution(fx.write_assignment(tmp_path))
    path = tmp_path / write_submission(tmp_path, "lucky", fx.student_notebook())
    result = grade_submission(solution, path, timeout=20, notebook_timeout=60)
    assert len(calls) == 2
    assert {r.status for r in result.results} == {"passed"}


# --------------------------------------------------------------------------- usage errors
def test_help_is_clear(capsys):
    with pytest.raises(SystemExit) as e:
        main(["--help"])
    assert e.value.code == 0
    text = capsys.readouterr().out
    assert "release" in text and "grade" in text and "not trust" in text
    with pytest.raises(SystemExit):
        main(["grade", "--help"])
    text = capsys.readouterr().out
    for option in ("--out", "--timeout", "--jobs", "--format", "--notebook-timeout"):
        assert option in text


def test_usage_errors_exit_2(tmp_path, capsys):
    solution = fx.write_assignment(tmp_path)
    sub = tmp_path / write_submission(tmp_path, "alice", fx.student_notebook())
    (tmp_path / "nothing").mkdir()
    cases = [
        ["grade", str(tmp_path / "no_such_solution"), str(sub), "--out", str(tmp_path / "g.csv")],
        ["grade", str(solution), str(tmp_path / "nothing"), "--out", str(tmp_path / "g.csv")],
        ["grade", str(solution), str(sub), "--out", str(sub.parent / "g.csv")],
        ["grade", str(solution), str(tmp_path / "submissions"), "--out",
         str(tmp_path / "submissions" / "g.csv")],
        ["grade", str(solution), str(sub), "--out", str(tmp_path / "g.csv"), "--timeout", "-1"],
        ["grade", str(solution), str(sub)],
    ]
    for argv in cases:
        with pytest.raises(SystemExit) as e:
            main(argv)
        assert e.value.code == 2, argv
    assert not (tmp_path / "g.csv").exists()
    assert [p.name for p in sub.parent.iterdir()] == [sub.name]


# --------------------------------------------------------------------------- no kernel
def solution_for(tmp_path):
    return load_solution(fx.write_assignment(tmp_path))


def ids_of(cells):
    return [c.metadata.get("nbgrader", {}).get("grade_id") or c.source[:11] for c in cells]


def test_questions_points_and_tested_answers(tmp_path):
    sol = solution_for(tmp_path)
    assert [(q.grade_id, q.max_points, q.answer_id) for q in sol.questions] == [
        ("test_double", 2.0, "answer_double"), ("test_total", 3.0, "answer_total"),
        ("test_mean", 1.0, "answer_mean")]
    assert sol.manual == ["explain"]
    assert sorted(rel for _, rel in sol.data_files) == ["extra/more.txt", "numbers.txt"]


def test_restores_edited_emptied_and_deleted_tests_with_hidden_tests(tmp_path):
    sol = solution_for(tmp_path)
    nb = fx.student_notebook(test_double="pass", test_mean="", test_total=None, setup=None)
    cells, tests, answers = assemble(sol, nb)
    assert fx.grade_ids(cells) == fx.grade_ids(fx.solution_notebook())   # solution order
    original = {c.metadata.get("nbgrader", {}).get("grade_id"): c.source
                for c in fx.solution_notebook().cells}
    for q in Q:
        assert cells[tests[q]].source == original[q]          # hidden tests included
        assert ids_of(cells)[answers[q]] == q.replace("test_", "answer_")
    assert "BEGIN HIDDEN TESTS" in cells[tests["test_total"]].source
    assert cells[tests["setup"]].source == fx.SETUP           # read-only cell back too
    assert cells[answers["test_double"]].source == fx.CORRECT["answer_double"]


def test_extra_cells_stay_in_place_and_a_deleted_test_follows_its_answer(tmp_path):
    sol = solution_for(tmp_path)
    note = nbformat.v4.new_code_cell("scratch = 1")
    nb = fx.insert_after(fx.student_notebook(test_double=None), "answer_double", note)
    cells, tests, answers = assemble(sol, nb)
    k = answers["test_double"]
    assert ids_of(cells)[k:k + 3] == ["answer_double", "test_double", "scratch = 1"]
    assert len(cells) == len(nb.cells) + 1


def test_deleted_answer_is_an_error_and_moved_cells_fall_back_sensibly(tmp_path):
    sol = solution_for(tmp_path)
    nb = fx.student_notebook(answer_mean=None)
    cells, tests, answers = assemble(sol, nb)
    assert answers["test_mean"] is None
    # a test cell whose metadata was lost is found by its content, not duplicated
    nb = fx.student_notebook()
    for c in nb.cells:
        c.metadata.pop("nbgrader", None)
    cells, tests, answers = assemble(sol, nb)
    assert len(cells) == len(nb.cells)
    assert "BEGIN HIDDEN TESTS" in cells[tests["test_total"]].source
    assert cells[answers["test_total"]].source == fx.CORRECT["answer_total"]


@pytest.mark.parametrize("content, why", [
    (b"", "empty file"), (b"  \n", "empty file"), (b"{oops", "not valid JSON"),
    (b'{"hello": 1}', "not a Jupyter notebook"), (b"[1, 2]", "not a Jupyter notebook"),
    (b'{"nbformat": 4, "nbformat_minor": 5, "cells": 3, "metadata": {}}',
     "not a readable notebook"),
    (b"\xff\xfe\x00", "not a text file"),
])
def test_unreadable_files_are_recognised(tmp_path, content, why):
    path = tmp_path / "x.ipynb"
    path.write_bytes(content)
    nb, reason = read_submission(path)
    assert nb is None and why in reason
    assert read_submission(tmp_path / "missing.ipynb") == (None, "file not found")


def test_unreadable_only_run_needs_no_kernel(tmp_path):
    run = grade(fx.write_assignment(tmp_path), [tmp_path / "nope.ipynb"], jobs=1,
                progress=False)
    assert [(r.status, r.points) for r in run.submissions[0].results] == [(U, 0)] * 3
    assert run.submissions[0].student == tmp_path.name


# --------------------------------------------------------------------------- the repo
REPO_SOLUTIONS = sorted(d for d in (REPO / "solutions").glob("[0-9]*") if d.is_dir()) \
    if (REPO / "solutions").is_dir() else []


@pytest.mark.parametrize("src", REPO_SOLUTIONS, ids=[d.name for d in REPO_SOLUTIONS])
def test_repo_exercise_scores_zero_and_solution_full_marks(src, tmp_path):
    """Each exercise, untouched, earns 0 points without crashing; its solution earns all."""
    exercise = release_folder(src, tmp_path)
    ex_nb = next(p for p in exercise if p.suffix == ".ipynb")
    sol_nb = src / f"{src.name}.ipynb"
    run = grade(src, [ex_nb, sol_nb], timeout=120, jobs=2, progress=False)
    untouched, solved = run.submissions
    assert untouched.points == 0
    assert {r.status for r in untouched.results} <= {E, F}, untouched.results
    assert solved.points == solved.max_points > 0, solved.results
    assert {r.status for r in solved.results} == {P}


def test_a_huge_file_is_unreadable_without_being_read(tmp_path):
    path = tmp_path / "huge.ipynb"
    with open(path, "wb") as f:
        f.truncate(65 * 2**20)                      # sparse: no disk used
    nb, why = read_submission(path)
    assert nb is None and "too large" in why


def test_setup_imports_are_the_read_only_cells_imports(tmp_path):
    from lrcourse.grading.grade import setup_imports
    sol = load_solution(fx.write_assignment(tmp_path))
    assert setup_imports(sol) == ""                         # its setup cell imports nothing
    folder = fx.write_attack_assignment(tmp_path / "attack")
    assert setup_imports(load_solution(folder)) == "import numpy as np\nfrom lrcourse import checks"
