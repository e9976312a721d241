"""Lessons read as lessons: no test clutter in what the learner sees (issue 13, item 5).

The rules (CONTRIBUTING.md, "The teaching notebook"):
* checked outputs carry nbval's cell tag ``nbval-check-output``, not a ``# NBVAL_CHECK_OUTPUT`` comment,
  and every checked cell has a stored output to compare with;
* a cell the learner sees holds at most one ``assert`` (one short line); more checks go into a
  check cell whose source is collapsed (``jupyter.source_hidden``), and only check cells are collapsed;
* the learner-facing code of a cell is at most MAX_LINES lines of at most MAX_WIDTH characters;
* a figure fits the notebook column: ``figsize=(w, h)`` with w <= MAX_FIG_WIDTH inches.
"""
import ast
import importlib.util
import re
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("refresh_outputs", ROOT / "tools" / "refresh_outputs.py")
refresh_outputs = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(refresh_outputs)

# Lessons that follow the convention (all of them, at the time of writing). Add a new lesson here.
LESSONS = [
    "01_what_is_the_learning_rate.ipynb",
    "02_curvature_and_conditioning.ipynb",
    "03_stochastic_gradients_and_batch_size.ipynb",
    "04_schedules.ipynb",
    "05_momentum_and_nesterov.ipynb",
    "06_adaptive_methods.ipynb",
    "07_choosing_a_learning_rate.ipynb",
    "08_practice_on_real_data.ipynb",
    "09_beyond_deep_learning.ipynb",
    "10_the_curvature_that_moves.ipynb",
    "11_batch_size_noise_and_width.ipynb",
    "12_learning_rates_without_tuning.ipynb",
]

MAX_LINES = 15          # non-blank lines of a cell the learner sees (longer code belongs in the library)
MAX_WIDTH = 100         # characters per line: the code column of an ~850 px notebook shows about 100
MAX_HIDDEN_LINES = 30   # a collapsed check cell stays short too
MAX_FIG_WIDTH = 8.3     # inches at dpi 100: an ~850 px notebook column
FIGSIZE = re.compile(r"figsize\s*=\s*\(\s*([0-9.]+)\s*,")


def n_asserts(source):
    return sum(isinstance(node, ast.Assert) for node in ast.walk(ast.Module(refresh_outputs.statements(source), [])))


def problems(nb):
    """Every way `nb` breaks the rules, as readable strings (empty when it follows them)."""
    found = []
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        where = f"cell {i} ({cell.source.strip().splitlines()[0][:40] if cell.source.strip() else 'empty'!r})"
        lines = [line for line in cell.source.splitlines() if line.strip()]
        if refresh_outputs.has_mark(cell.source):
            found.append(f"{where}: '# {refresh_outputs.MARK}' comment; use the '{refresh_outputs.TAG}' tag")
        if refresh_outputs.is_checked(cell) and not cell.outputs:
            found.append(f"{where}: checked but no stored output (run tools/refresh_outputs.py)")
        for w in FIGSIZE.findall(cell.source):
            if float(w) > MAX_FIG_WIDTH:
                found.append(f"{where}: figsize width {w} > {MAX_FIG_WIDTH} inches")
            if int(float(w) * 100) != round(float(w) * 100):  # 8.2 * 100 = 819.99..: the browser paints 819 px
                found.append(f"{where}: figsize width {w} times dpi 100 falls just short of a whole pixel")
        asserts = n_asserts(cell.source)
        if refresh_outputs.is_hidden(cell):
            if asserts == 0:
                found.append(f"{where}: collapsed but checks nothing (collapse only check cells)")
            if len(lines) > MAX_HIDDEN_LINES:
                found.append(f"{where}: check cell of {len(lines)} lines > {MAX_HIDDEN_LINES}")
            continue
        if refresh_outputs.is_assertion_only(cell.source) and len(lines) > 1:
            found.append(f"{where}: assertion-only cell not collapsed")
        if asserts > 1:
            found.append(f"{where}: {asserts} asserts in a cell the learner reads; move them to a collapsed check cell")
        if len(lines) > MAX_LINES:
            found.append(f"{where}: {len(lines)} lines > {MAX_LINES}")
        for line in lines:
            if len(line) > MAX_WIDTH:
                found.append(f"{where}: line of {len(line)} characters > {MAX_WIDTH}: {line[:50]}...")
    return found


@pytest.mark.parametrize("lesson", LESSONS)
def test_lesson_follows_the_notebook_rules(lesson):
    nb = nbformat.read(ROOT / "lessons" / lesson, as_version=4)
    assert problems(nb) == []


def test_listed_lessons_exist():
    names = {p.name for p in (ROOT / "lessons").glob("*.ipynb")}
    assert set(LESSONS) <= names


def _cell(source, hidden=False, tags=(), outputs=()):
    cell = nbformat.v4.new_code_cell(source)
    if hidden:
        cell.metadata["jupyter"] = {"source_hidden": True}
    if tags:
        cell.metadata["tags"] = list(tags)
    cell.outputs = list(outputs)
    return cell


def _nb(*cells):
    return nbformat.v4.new_notebook(cells=list(cells))


def test_the_rules_catch_each_kind_of_clutter():
    out = [nbformat.v4.new_output("stream", name="stdout", text="1\n")]
    assert problems(_nb(_cell("x = 1\nprint(x)"))) == []
    assert problems(_nb(_cell("print(1)", tags=[refresh_outputs.TAG], outputs=out))) == []
    assert problems(_nb(_cell("assert 1 == 1\nassert 2 == 2", hidden=True))) == []
    assert problems(_nb(_cell("%matplotlib widget\nx = 1\nassert x == 1"))) == []
    bad = {
        "comment": _cell("# NBVAL_CHECK_OUTPUT\nprint(1)", outputs=out),
        "no output": _cell("print(1)", tags=[refresh_outputs.TAG]),
        "wide figure": _cell("fig = plt.figure(figsize=(10, 3))"),
        "visible asserts": _cell("assert 1 == 1\nassert 2 == 2"),
        "two asserts in teaching code": _cell("x = 1\nassert x == 1\ny = 2\nassert y == 2"),
        "long cell": _cell("\n".join(f"x{i} = {i}" for i in range(MAX_LINES + 1))),
        "wide line": _cell("x = " + "1 + " * 30 + "1"),
        "hidden teaching code": _cell("x = 1", hidden=True),
    }
    for name, cell in bad.items():
        assert problems(_nb(cell)), name


def test_convert_moves_the_comment_into_the_tag_and_collapses_asserts():
    nb = _nb(_cell("# NBVAL_CHECK_OUTPUT\nprint(1)"), _cell("assert 1 == 1\n# why\nassert 2 == 2"),
             _cell("x = 1\nassert x == 1"))
    assert refresh_outputs.convert(nb) == (1, 1)
    printing, checks, teaching = nb.cells
    assert printing.source == "print(1)" and printing.metadata["tags"] == [refresh_outputs.TAG]
    assert refresh_outputs.is_checked(printing) and not refresh_outputs.is_hidden(printing)
    assert refresh_outputs.is_hidden(checks) and not refresh_outputs.is_hidden(teaching)
    assert refresh_outputs.convert(nb) == (0, 0)          # idempotent
