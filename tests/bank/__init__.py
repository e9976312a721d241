"""The mutation bank of the assignments: wrong and right answers, graded like submissions.

Format. ``tests/bank/exNN.py`` (NN = the assignment's number) defines::

    BANK = {
        "<grade_id of a solution cell>": {
            "wrong": {"<name>": "<source>", ...},    # >= 8 plausible mistakes
            "right": {"<name>": "<source>", ...},    # >= 3 other correct answers
        },
        ...                                        # one entry per solution cell
    }

where a source is the whole new content of that solution cell: what a learner would have typed
in place of the skeleton (``def gd_step(x, grad, lr): ...``).

Notebooks. A submission is built from the EXERCISE notebook (as a learner gets it): every solution
cell is filled with the solution's own code (its ``### BEGIN/END SOLUTION`` markers dropped),
except the cells under test. Questions are independent, so notebook ``i`` carries the ``i``-th
variant of every question at once: an assignment needs max(#variants per question) notebooks.
Each notebook goes in its own folder, named after the "student" (``v00``, ``v01``, ...).
"""
from __future__ import annotations

import csv
import importlib
import json
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[2]
SOLUTIONS, EXERCISES = ROOT / "solutions", ROOT / "exercises"
MIN_WRONG, MIN_RIGHT = 8, 3
_MARKER = re.compile(r"^[ \t]*### (BEGIN|END) SOLUTION[ \t]*\n?", re.MULTILINE)


def define(header, body):
    """The source of a function: ``header`` (its ``def`` line) and ``body`` (indented here).
    Banks use ``functools.partial(define, "def f(x):")`` for each question."""
    return header + "\n" + "\n".join("    " + line for line in body.strip("\n").split("\n")) + "\n"


def assignments():
    """The assignment folders ``NN_slug`` of the solutions, in order."""
    return sorted(p.name for p in SOLUTIONS.iterdir() if p.is_dir() and re.match(r"\d\d_", p.name))


def load_bank(slug):
    """The BANK of assignment ``slug`` (``"01_what_is_the_learning_rate"``), or None if it has none yet."""
    if not (Path(__file__).parent / f"ex{slug[:2]}.py").is_file():
        return None
    return importlib.import_module(f"{__name__}.ex{slug[:2]}").BANK


def _meta(cell):
    return cell.get("metadata", {}).get("nbgrader", {})


def notebook_path(folder, slug):
    return folder / slug / f"{slug}.ipynb"


def solution_answers(slug):
    """{solution cell grade_id: its source without the markers} and
    {solution cell grade_id: grade_id of the graded test cell right after it}."""
    nb = nbformat.read(notebook_path(SOLUTIONS, slug), as_version=4)
    answers, question_of, last = {}, {}, None
    for cell in nb.cells:
        meta = _meta(cell)
        if meta.get("solution") and cell.cell_type == "code":
            answers[meta["grade_id"]] = _MARKER.sub("", cell.source)
            last = meta["grade_id"]
        elif meta.get("grade") and cell.cell_type == "code":
            if last is not None:
                question_of[last] = meta["grade_id"]
            last = None
    return answers, question_of


@dataclass
class Variant:
    answer_id: str      # grade_id of the solution cell
    question: str       # grade_id of its graded test cell
    kind: str           # "wrong" or "right"
    name: str
    source: str


@dataclass
class Built:
    student: str
    path: Path
    variants: list[Variant] = field(default_factory=list)


def variants(bank, question_of):
    """{answer grade_id: [Variant, ...]} with wrong ones first."""
    out = {}
    for answer_id, entry in bank.items():
        out[answer_id] = [Variant(answer_id, question_of[answer_id], kind, name, source)
                          for kind in ("wrong", "right") for name, source in entry.get(kind, {}).items()]
    return out


def build(slug, bank, folder):
    """Write the submissions of ``bank`` under ``folder``; return the list of Built notebooks."""
    answers, question_of = solution_answers(slug)
    per_answer = variants(bank, question_of)
    exercise = nbformat.read(notebook_path(EXERCISES, slug), as_version=4)
    built = []
    for i in range(max((len(vs) for vs in per_answer.values()), default=0)):
        nb = nbformat.from_dict(json.loads(json.dumps(exercise)))
        b = Built(f"v{i:02d}", Path(folder) / f"v{i:02d}" / f"{slug}.ipynb")
        for cell in nb.cells:
            gid = _meta(cell).get("grade_id")
            if not (_meta(cell).get("solution") and cell.cell_type == "code"):
                continue
            vs = per_answer.get(gid, [])
            if i < len(vs):
                cell.source = vs[i].source
                b.variants.append(vs[i])
            else:
                cell.source = answers[gid]
        b.path.parent.mkdir(parents=True, exist_ok=True)
        for extra in (EXERCISES / slug).iterdir():        # data files beside the notebook, if any
            if extra.is_file() and extra.suffix != ".ipynb":
                shutil.copy(extra, b.path.parent / extra.name)
        nbformat.write(nb, b.path)
        built.append(b)
    return built


def read_grades(csv_path):
    """{(student, question): (points, max_points, status)} from the grader's CSV."""
    with open(csv_path, newline="") as f:
        return {(r["student"], r["question"]): (float(r["points"]), float(r["max_points"]), r["status"])
                for r in csv.DictReader(f)}


def _test_errors(nb):
    """{graded test cell grade_id: the first line of its error, or None} of an executed notebook."""
    out = {}
    for cell in nb.cells:
        if _meta(cell).get("grade") and cell.cell_type == "code":
            errors = [o for o in cell.get("outputs", []) if o.get("output_type") == "error"]
            out[_meta(cell)["grade_id"]] = f"{errors[0]['ename']}: {errors[0]['evalue']}" if errors else None
    return out


def _execute_many(paths, timeout):
    """Run notebooks one after the other in ONE kernel, with a clean namespace (``%reset -f``) and
    the notebook's folder as working directory for each; a fresh kernel after a crash.
    Returns [{test id: error or None}, ...]."""
    from nbclient import NotebookClient
    from nbformat.v4 import new_code_cell

    results, todo = [], list(paths)
    while todo:
        first = nbformat.read(todo[0], as_version=4)
        client = NotebookClient(first, timeout=timeout, allow_errors=True, interrupt_on_timeout=True,
                                kernel_name="python3", resources={"metadata": {"path": str(Path(todo[0]).parent)}})
        try:
            with client.setup_kernel():
                while todo:
                    path = todo[0]
                    nb = nbformat.read(path, as_version=4)
                    client.nb = nb
                    reset = new_code_cell(f"%reset -f\nimport os\nos.chdir({str(Path(path).parent)!r})")
                    client.execute_cell(reset, 0)
                    for i, cell in enumerate(nb.cells):
                        if cell.cell_type == "code":
                            client.execute_cell(cell, i)
                    results.append(_test_errors(nb))
                    todo.pop(0)
        except Exception as e:  # noqa: BLE001 - a dead kernel: blame this notebook, go on with a fresh one
            if todo:
                nb = nbformat.read(todo.pop(0), as_version=4)
                results.append({gid: f"kernel failed: {type(e).__name__}" for gid in _test_errors(nb)})
    return results


def run_visible(paths, jobs=2, timeout=60):
    """Execute the notebooks as a learner would (visible checks only), ``jobs`` kernels side by side;
    {path: {graded test cell grade_id: error text or None}}."""
    from concurrent.futures import ProcessPoolExecutor
    from multiprocessing import get_context

    chunks = [list(paths[i::jobs]) for i in range(jobs)]
    with ProcessPoolExecutor(jobs, mp_context=get_context("spawn")) as pool:
        done = list(pool.map(_execute_many, chunks, [timeout] * jobs))
    return {path: result for chunk, results in zip(chunks, done) for path, result in zip(chunk, results)}
