"""Exercises from solutions, and batch grading of submitted notebooks.

``release``: turn ``solutions/NN_slug/NN_slug.ipynb`` into the student version
``exercises/NN_slug/NN_slug.ipynb`` exactly as nbgrader's ``generate_assignment`` would.

``grade``: execute each submitted notebook in a fresh, sandboxed kernel with the solution's test
cells (and hidden tests) restored, and score every graded test cell.

Command line: ``python -m lrcourse release`` and ``python -m lrcourse grade`` (see
``python -m lrcourse --help`` and docs/teaching.md). Nothing here imports the widgets.
"""
from .grade import (STATUSES, GradeRun, Solution, SubmissionResult, grade, grade_submission,
                    load_solution, read_submission)
from .release import find_solution_notebook, release, release_folder, release_notebook
from .report import summary_table, write_reports

__all__ = [
    "release", "release_notebook", "release_folder", "find_solution_notebook",
    "grade", "grade_submission", "load_solution", "read_submission", "write_reports",
    "summary_table", "STATUSES", "Solution", "SubmissionResult", "GradeRun",
]
