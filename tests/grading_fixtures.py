"""Build small nbgrader-style notebooks for the release and grading tests.

``solution_notebook()`` is a tiny assignment with three autograded questions (2 + 3 + 1
points; the 3-point one has hidden tests), a read-only setup cell that reads a data file by
a relative path, a manually graded markdown answer and prompts in their own cells.
``student_notebook(**answers)`` is the released exercise with some answer cells filled in.
"""
from __future__ import annotations

import copy
import hashlib
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

NAME = "07_tiny_assignment"
DATA = "1 2 3 4\n"          # numbers.txt: total 10.0


def cell(kind, source, *, grade_id=None, solution=False, grade=False, locked=False,
         points=None, outputs=None):
    """A code or markdown cell with nbgrader v3 metadata when grade_id is given."""
    c = new_code_cell(source) if kind == "code" else new_markdown_cell(source)
    c.id = (grade_id or "cell") + "-" + hashlib.md5(source.encode()).hexdigest()[:8]
    if outputs is not None:
        c.outputs = outputs
        c.execution_count = 1
    if grade_id is not None:
        meta = {"grade": grade, "grade_id": grade_id, "locked": locked,
                "schema_version": 3, "solution": solution}
        if grade:
            meta["points"] = points
        c.metadata["nbgrader"] = meta
    return c


ANSWER_DOUBLE = '''def double(x):
    """Twice x."""
    ### BEGIN SOLUTION
    return 2 * x
    ### END SOLUTION'''

TEST_DOUBLE = '''assert double(2) == 4, "double(2) should be 4"
print("double: ok")'''

ANSWER_TOTAL = "total = float(sum(NUMBERS))"

TEST_TOTAL = '''assert isinstance(total, float), "total should be a float"
### BEGIN HIDDEN TESTS
assert total == 10.0, "total is not the sum of NUMBERS"
### END HIDDEN TESTS
print("total: ok")'''

ANSWER_MEAN = '''def mean(values):
    """Average of a non-empty list."""
    if not values:
        raise ValueError("empty list")
    ### BEGIN SOLUTION
    return sum(values) / len(values)
    ### END SOLUTION'''

TEST_MEAN = '''assert mean([1, 2, 3]) == 2, "mean([1, 2, 3]) should be 2"'''

SETUP = '''with open("numbers.txt") as f:
    NUMBERS = [float(x) for x in f.read().split()]'''

# the student's version of each answer cell, as written by a correct student
CORRECT = {"answer_double": "def double(x):\n    return x + x",
           "answer_total": "total = float(sum(NUMBERS))",
           "answer_mean": "def mean(values):\n    return sum(values) / len(values)"}


def solution_notebook() -> nbformat.NotebookNode:
    nb = new_notebook()
    nb.metadata = {"kernelspec": {"display_name": "Python 3", "language": "python",
                                  "name": "python3"},
                   "language_info": {"name": "python"}, "celltoolbar": "Create Assignment"}
    nb.cells = [
        cell("markdown", "# A tiny assignment\nThree questions."),
        cell("code", SETUP, grade_id="setup", locked=True),
        cell("markdown", "**Q1.** Write `double(x)`."),
        cell("code", ANSWER_DOUBLE, grade_id="answer_double", solution=True,
             outputs=[nbformat.v4.new_output("stream", name="stdout", text="hi\n")]),
        cell("code", TEST_DOUBLE, grade_id="test_double", grade=True, points=2,
             outputs=[nbformat.v4.new_output("stream", name="stdout", text="double: ok\n")]),
        cell("markdown", "**Q2.** Put the sum of `NUMBERS` in `total` (a float)."),
        cell("code", ANSWER_TOTAL, grade_id="answer_total", solution=True),
        cell("code", TEST_TOTAL, grade_id="test_total", grade=True, points=3),
        cell("markdown", "**Q3.** Why does the sum not depend on the order?"),
        cell("markdown", "Because addition is commutative.", grade_id="explain",
             solution=True, grade=True, points=1),
        cell("markdown", "**Q4.** Write `mean(values)`."),
        cell("code", ANSWER_MEAN, grade_id="answer_mean", solution=True),
        cell("code", TEST_MEAN, grade_id="test_mean", grade=True, points=1),
        cell("code", "print('the end')"),
    ]
    return nb


def write_notebook(nb, path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, str(path))
    return path


def write_assignment(root) -> Path:
    """solutions/NAME/ under ``root`` with the notebook, numbers.txt and a private file."""
    folder = Path(root) / "solutions" / NAME
    write_notebook(solution_notebook(), folder / f"{NAME}.ipynb")
    (folder / "numbers.txt").write_text(DATA)
    (folder / "grading_solution_notes.txt").write_text("private\n")
    (folder / "extra").mkdir()
    (folder / "extra" / "more.txt").write_text("more\n")
    return folder


def exercise_notebook() -> nbformat.NotebookNode:
    from lrcourse.grading.release import release_notebook
    return release_notebook(solution_notebook())


def grade_ids(nb) -> list:
    """grade_id of each cell (None for plain cells); nb may also be a list of cells."""
    cells = nb if isinstance(nb, list) else nb.cells
    return [c.metadata.get("nbgrader", {}).get("grade_id") for c in cells]


def student_notebook(answers=None, **changes) -> nbformat.NotebookNode:
    """The exercise with answer cells filled in: ``answers`` maps grade_id -> new source
    (default: the correct answers). ``changes`` maps grade_id -> new source for any cell,
    or None to delete that cell."""
    nb = copy.deepcopy(exercise_notebook())
    sources = dict(CORRECT if answers is None else answers)
    sources.update(changes)
    kept = []
    for c in nb.cells:
        gid = c.metadata.get("nbgrader", {}).get("grade_id")
        if gid in sources:
            if sources[gid] is None:
                continue
            c.source = sources[gid]
        kept.append(c)
    nb.cells = kept
    return nb


def insert_after(nb, grade_id, *cells) -> nbformat.NotebookNode:
    """A copy of nb with extra cells right after the cell with this grade_id."""
    nb = copy.deepcopy(nb)
    k = grade_ids(nb).index(grade_id) + 1
    nb.cells[k:k] = list(cells)
    return nb


# --------------------------------------------------------------------------- attack fixture
ATTACK = "08_attack_target"

ATTACK_ANSWER_STEP = '''def gd_step(x, g, lr):
    ### BEGIN SOLUTION
    return x - lr * g
    ### END SOLUTION'''

ATTACK_TEST_STEP = '''import numpy as np
assert np.allclose(gd_step(np.array([1.0, 2.0]), np.array([0.5, -1.0]), 0.1), [0.95, 2.1]), \\
    "gd_step should return x - lr * g"
### BEGIN HIDDEN TESTS
expected = 3.0 - 0.25 * 4.0
assert np.isclose(gd_step(3.0, 4.0, 0.25), expected), "gd_step is wrong on plain numbers"
### END HIDDEN TESTS'''

ATTACK_ANSWER_RATE = '''def largest_stable_lr(L):
    ### BEGIN SOLUTION
    return 2.0 / L
    ### END SOLUTION'''

ATTACK_TEST_RATE = '''checks.expect(abs(largest_stable_lr(4.0) - 0.5) < 1e-12, "largest_stable_lr(4) is not the threshold")'''

ATTACK_SETUP = "import numpy as np\nfrom lrcourse import checks\n" + SETUP

ATTACK_ANSWER_TOTAL = "total = float(sum(NUMBERS))"

ATTACK_TEST_TOTAL = '''assert total is not None, "set total"
### BEGIN HIDDEN TESTS
assert total == 10.0
### END HIDDEN TESTS'''

ATTACK_CORRECT = {"answer_step": "def gd_step(x, g, lr):\n    return x - lr * g",
                  "answer_rate": "def largest_stable_lr(L):\n    return 2 / L",
                  "answer_total": "total = float(sum(NUMBERS))"}


def attack_solution_notebook() -> nbformat.NotebookNode:
    """A tiny assignment for the attack tests: numpy comparisons (with a hidden expected
    value), a call into lrcourse.checks imported by the read-only setup cell, and a hidden
    assert without a message."""
    nb = new_notebook()
    nb.metadata = {"kernelspec": {"display_name": "Python 3", "language": "python",
                                  "name": "python3"}, "language_info": {"name": "python"}}
    nb.cells = [
        cell("markdown", "# Attack target"),
        cell("code", ATTACK_SETUP, grade_id="setup", locked=True),
        cell("markdown", "**Q1.** `gd_step`"),
        cell("code", ATTACK_ANSWER_STEP, grade_id="answer_step", solution=True),
        cell("code", ATTACK_TEST_STEP, grade_id="test_step", grade=True, points=2),
        cell("markdown", "**Q2.** `largest_stable_lr`"),
        cell("code", ATTACK_ANSWER_RATE, grade_id="answer_rate", solution=True),
        cell("code", ATTACK_TEST_RATE, grade_id="test_rate", grade=True, points=3),
        cell("markdown", "**Q3.** `total`"),
        cell("code", ATTACK_ANSWER_TOTAL, grade_id="answer_total", solution=True),
        cell("code", ATTACK_TEST_TOTAL, grade_id="test_total", grade=True, points=1),
    ]
    return nb


def write_attack_assignment(root) -> Path:
    folder = Path(root) / "solutions" / ATTACK
    write_notebook(attack_solution_notebook(), folder / f"{ATTACK}.ipynb")
    (folder / "numbers.txt").write_text(DATA)
    return folder


def attack_notebook(**changes) -> nbformat.NotebookNode:
    """The attack assignment's exercise with the correct answers, then ``changes``
    (grade_id -> source) applied."""
    from lrcourse.grading.release import release_notebook
    nb = release_notebook(attack_solution_notebook())
    sources = dict(ATTACK_CORRECT, **changes)
    for c in nb.cells:
        gid = c.metadata.get("nbgrader", {}).get("grade_id")
        if gid in sources:
            c.source = sources[gid]
    return nb
