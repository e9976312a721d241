"""Grading speed: ``python -m lrcourse grade`` against nbgrader 0.9.6's ``autograde`` on the
same submissions of assignment 1.

nbgrader is never a dependency of the course: it lives in its own virtual environment
(default /tmp/nbgrader-venv, created here when missing with
``python3 -m venv /tmp/nbgrader-venv && /tmp/nbgrader-venv/bin/pip install nbgrader==0.9.6``).
Its kernels run this environment's Python (a kernelspec named python3 on JUPYTER_PATH), so both
graders execute the notebooks with the same packages.

Submissions (N, default 30): a third are the solution, a third the untouched exercise, a third
the solution with its first answer put back to the skeleton. Both graders get the same files
in nbgrader's layout ``submitted/<student>/<assignment>/<assignment>.ipynb``.
Printed: wall seconds of each, and the ratio nbgrader / lrcourse (above 1: lrcourse is faster).

Run: ``.venv/bin/python benchmarks/grading.py [--n 30] [--jobs 2] [--sandbox auto]``.
Writes benchmarks/results/grading.json.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
ASSIGNMENT = "01_what_is_the_learning_rate"


def nbgrader_venv(path: Path) -> Path:
    """The nbgrader executable of the separate environment (created when missing)."""
    exe = path / "bin" / "nbgrader"
    if not exe.exists():
        subprocess.run(["python3", "-m", "venv", str(path)], check=True)
        subprocess.run([str(path / "bin" / "pip"), "install", "-q", "nbgrader==0.9.6"], check=True)
    return exe


def make_submissions(course: Path, n: int) -> list[str]:
    """Write n submissions in nbgrader's layout; return their paths."""
    from lrcourse.grading.release import assignment_files, release_notebook

    src = ROOT / "solutions" / ASSIGNMENT
    solution = nbformat.read(src / f"{ASSIGNMENT}.ipynb", as_version=4)
    exercise = release_notebook(solution)
    half = nbformat.from_dict(json.loads(json.dumps(solution)))
    first_answer = next(k for k, c in enumerate(exercise.cells)
                        if c.metadata.get("nbgrader", {}).get("solution") and c.cell_type == "code")
    half.cells[first_answer] = exercise.cells[first_answer]
    kinds = [solution, exercise, half]
    paths = []
    for k in range(n):
        folder = course / "submitted" / f"student{k:03d}" / ASSIGNMENT
        folder.mkdir(parents=True)
        nbformat.write(kinds[k % 3], str(folder / f"{ASSIGNMENT}.ipynb"))
        for f in assignment_files(src):
            target = folder / f.relative_to(src)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(f, target)
        paths.append(str(folder / f"{ASSIGNMENT}.ipynb"))
    shutil.copytree(src, course / "source" / ASSIGNMENT)
    return paths


def run_nbgrader(exe: Path, course: Path, timeout: float) -> float:
    jupyter = course / "jupyter"
    spec = jupyter / "kernels" / "python3"
    spec.mkdir(parents=True)
    (spec / "kernel.json").write_text(json.dumps({
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "Python 3 (lrcourse)", "language": "python"}))
    (course / "nbgrader_config.py").write_text(
        "c = get_config()\n"
        f"c.CourseDirectory.root = {str(course)!r}\n"
        f"c.CourseDirectory.db_url = 'sqlite:///{course}/gradebook.db'\n"
        f"c.Execute.timeout = {int(timeout)}\n")
    env = dict(os.environ, JUPYTER_PATH=str(jupyter), OPENBLAS_NUM_THREADS="1",
               OMP_NUM_THREADS="1", PATH=f"{exe.parent}{os.pathsep}{os.environ['PATH']}")
    subprocess.run([str(exe), "generate_assignment", ASSIGNMENT, "--force"], cwd=course, env=env,
                   check=True, capture_output=True)
    t = time.perf_counter()
    r = subprocess.run([str(exe), "autograde", ASSIGNMENT, "--create", "--force"], cwd=course,
                       env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - t
    if r.returncode != 0:
        print(r.stdout[-3000:], r.stderr[-3000:], file=sys.stderr)
        raise SystemExit("nbgrader autograde failed")
    return seconds


def run_lrcourse(course: Path, subs: list[str], jobs: int, sandbox: str, timeout: float):
    out = course / "lrcourse_out" / "grades.csv"
    t = time.perf_counter()
    subprocess.run([sys.executable, "-m", "lrcourse", "grade", str(ROOT / "solutions" / ASSIGNMENT),
                    *subs, "--out", str(out), "--jobs", str(jobs), "--quiet", "--sandbox", sandbox,
                    "--timeout", str(timeout), "--seed", "1"], check=True, cwd=ROOT,
                   env=dict(os.environ, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1"))
    seconds = time.perf_counter() - t
    with open(out, newline="") as f:
        totals = {}
        import csv
        for row in csv.DictReader(f):
            totals[row["student"]] = totals.get(row["student"], 0) + float(row["points"])
    return seconds, totals


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--n", type=int, default=30, help="number of submissions (default 30)")
    p.add_argument("--jobs", type=int, default=2, help="lrcourse --jobs (default 2)")
    p.add_argument("--sandbox", default="auto", choices=("auto", "require", "off"))
    p.add_argument("--timeout", type=float, default=120.0, help="seconds per cell, both graders")
    p.add_argument("--nbgrader-venv", type=Path, default=Path("/tmp/nbgrader-venv"))
    args = p.parse_args(argv)
    exe = nbgrader_venv(args.nbgrader_venv)
    with tempfile.TemporaryDirectory(prefix="grading-bench-") as tmp:
        course = Path(tmp)
        subs = make_submissions(course, args.n)
        lr_s, totals = run_lrcourse(course, subs, args.jobs, args.sandbox, args.timeout)
        print(f"lrcourse --jobs {args.jobs}: {lr_s:.1f} s", flush=True)
        lr1_s, _ = run_lrcourse(course, subs, 1, args.sandbox, args.timeout)
        print(f"lrcourse --jobs 1: {lr1_s:.1f} s", flush=True)
        nb_s = run_nbgrader(exe, course, args.timeout)
    result = {"submissions": args.n, "sandbox": args.sandbox, "lrcourse_jobs": args.jobs,
              "lrcourse_s": round(lr_s, 1), "lrcourse_jobs1_s": round(lr1_s, 1),
              "nbgrader_s": round(nb_s, 1), "ratio": round(nb_s / lr_s, 2),
              "ratio_jobs1": round(nb_s / lr1_s, 2),
              "lrcourse_points": sorted(set(totals.values()))}
    print(f"{args.n} submissions of {ASSIGNMENT}")
    print(f"  lrcourse grade (--jobs {args.jobs}, --sandbox {args.sandbox}): {lr_s:6.1f} s")
    print(f"  lrcourse grade (--jobs 1):                      {lr1_s:6.1f} s")
    print(f"  nbgrader 0.9.6 autograde (sequential):          {nb_s:6.1f} s")
    print(f"  ratio nbgrader / lrcourse: {result['ratio']:.2f} (jobs 1: {result['ratio_jobs1']:.2f})")
    (ROOT / "benchmarks" / "results").mkdir(exist_ok=True)
    (ROOT / "benchmarks" / "results" / "grading.json").write_text(json.dumps(result, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
