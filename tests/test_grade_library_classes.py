"""The grader's check for classes with overridden comparisons: a learner who imports a library
module with dataclasses (lrcourse.stability) in an answer keeps full marks; a class of the
student's own, even one that claims to live in numpy, is still flagged."""
import csv
import subprocess
import sys
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
SLUG = "10_the_curvature_that_moves"


def _submission(folder, lr_fast_source):
    nb = nbformat.read(ROOT / "solutions" / SLUG / f"{SLUG}.ipynb", as_version=4)
    for cell in nb.cells:
        if cell.metadata.get("nbgrader", {}).get("grade_id") == "lr_fast":
            cell.source = lr_fast_source
    folder.mkdir(parents=True)
    nbformat.write(nb, folder / f"{SLUG}.ipynb")
    return folder / f"{SLUG}.ipynb"


def test_library_dataclasses_are_not_tampering_but_a_disguised_student_class_is(tmp_path):
    honest = _submission(tmp_path / "honest", "from lrcourse import stability, width\n"
                         "r = stability.catapult([1.0, 3.0], steps=3)\n"
                         "lr_fast = 3.0 / curvature.sharpness(ex10.fast_net())\n")
    sneaky = _submission(tmp_path / "sneaky", "class Rate(float):\n    __module__ = 'numpy'\n"
                         "    def __lt__(self, other):\n        return True\n"
                         "import numpy\nnumpy.Rate = Rate\nlr_fast = Rate(50.0)\n")
    out = tmp_path / "grades.csv"
    subprocess.run([sys.executable, "-m", "lrcourse", "grade", str(ROOT / "solutions" / SLUG), str(honest),
                    str(sneaky), "--out", str(out), "--jobs", "2"], check=True, capture_output=True, timeout=600)
    rows = {(r["student"], r["question"]): r for r in csv.DictReader(out.open())}
    assert rows[("honest", "test_lr_fast")]["status"] == "passed"
    assert rows[("sneaky", "test_lr_fast")]["points"] == "0"
