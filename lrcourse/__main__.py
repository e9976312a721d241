"""Command line of the course: ``python -m lrcourse release`` and ``python -m lrcourse grade``.

Run ``python -m lrcourse --help`` (or ``... release --help``, ``... grade --help``).
The teacher's workflow is described in docs/teaching.md.
"""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

DESCRIPTION = """\
Tools for teachers of the lrcourse course.

  release   regenerate exercises/NN_slug/ from solutions/NN_slug/ (as nbgrader would)
  grade     run submitted notebooks and write a gradebook CSV plus feedback per student
"""

EPILOG = """\
examples:
  python -m lrcourse release
  python -m lrcourse release solutions/01_what_is_the_learning_rate
  python -m lrcourse grade solutions/01_what_is_the_learning_rate \\
      submissions/*/01_what_is_the_learning_rate.ipynb --out grades/01.csv

Grading runs each kernel in a bubblewrap sandbox (Linux) when bwrap is installed;
without it the students' code runs with your permissions (--sandbox require refuses
that): there, use a container or a virtual machine for submissions you do not trust.
See docs/teaching.md for what the sandbox covers.
"""

RELEASE_HELP = """\
Write exercises/NN_slug/NN_slug.ipynb from solutions/NN_slug/NN_slug.ipynb:
solution regions become '# YOUR CODE HERE' / 'raise NotImplementedError()',
hidden tests are removed, outputs are cleared; data files are copied (except
files named like *solution*). Files are rewritten only when they change.
"""

GRADE_HELP = """\
Execute each submission in a fresh kernel (in a temporary folder, never in
place) with the solution's test cells and hidden tests restored, and score
every graded test cell. With --out grades.csv it writes
  grades.csv          submission,student,question,points,max_points,status
                      (one row per submission and question)
  grades_totals.csv   student,points,max_points,percent (for your LMS)
  grades_report.md    for you: sandbox, seeds, tampering found, failures
  feedback/<assignment>/<student>.md  beside grades.csv, never inside the
                      submissions.
The student: nbgrader's submitted/<student>/<assignment>/<nb>.ipynb (and
autograded/) layouts are recognised; otherwise the folder holding the notebook,
or the file name for notebooks side by side in one folder; --student-level
says which path component it is. Two files with the same student are an error.
Each kernel runs in a bubblewrap sandbox (no network, no view of your files
beyond the lrcourse package and its own copy of the assignment's data, limits on
memory, processes, file size and CPU) and gets LRCOURSE_GRADE_SEED (recorded in
the report): the checks draw their hidden cases from it.
Statuses: passed, failed, error, timeout, kernel died, unreadable, tampered.
Exit code 0 whatever the students scored; 2 for a usage error.
"""


def _repo_root() -> Path:
    return Path(__file__).resolve().parent.parent


def _default_solutions() -> Path:
    here = Path.cwd() / "solutions"
    return here if here.is_dir() else _repo_root() / "solutions"


def _positive(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a number of seconds, got {text!r}") from None
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"must be > 0, got {text!r}")
    return value


def _integer(low: int):
    """An argparse type: an integer >= low."""
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"must be an integer, got {text!r}") from None
        if value < low:
            raise argparse.ArgumentTypeError(f"must be >= {low}, got {text!r}")
        return value
    return parse


_jobs, _seed, _level = _integer(1), _integer(0), _integer(0)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m lrcourse", description=DESCRIPTION, epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    rel = sub.add_parser("release", help="regenerate exercises/ from solutions/",
                         description=RELEASE_HELP,
                         formatter_class=argparse.RawDescriptionHelpFormatter)
    rel.add_argument("solution_dirs", nargs="*", metavar="SOLUTION_DIR",
                     help="solution folders to release (default: every folder in solutions/)")
    rel.add_argument("--exercises", metavar="DIR", default=None,
                     help="where the exercise folders go (default: the exercises/ folder "
                          "beside solutions/)")

    gr = sub.add_parser("grade", help="grade submitted notebooks into a CSV gradebook",
                        description=GRADE_HELP,
                        formatter_class=argparse.RawDescriptionHelpFormatter)
    gr.add_argument("solution", metavar="SOLUTION_DIR",
                    help="the assignment's solution folder (or its notebook)")
    gr.add_argument("submissions", nargs="+", metavar="SUBMISSION",
                    help="submitted notebooks; a folder stands for every .ipynb inside it")
    gr.add_argument("--out", required=True, metavar="FILE",
                    help="the gradebook to write, e.g. grades.csv")
    gr.add_argument("--timeout", type=_positive, default=60.0, metavar="S",
                    help="time limit per cell in seconds (default: 60)")
    gr.add_argument("--notebook-timeout", type=_positive, default=None, metavar="S",
                    help="wall-clock limit per notebook in seconds (default: 10 x --timeout)")
    gr.add_argument("--jobs", type=_jobs, default=None, metavar="N",
                    help="notebooks graded in parallel (default: number of CPU cores)")
    gr.add_argument("--format", choices=("csv", "json"), default="csv",
                    help="format of the gradebook written to --out and printed at the end "
                         "(default: csv, with a summary table)")
    gr.add_argument("--sandbox", choices=("auto", "require", "off"), default="auto",
                    help="run each kernel in a bubblewrap sandbox: auto (if bwrap works here, "
                         "else a loud warning), require (refuse without it), off")
    gr.add_argument("--seed", type=_seed, default=None, metavar="N",
                    help="base of the per-submission LRCOURSE_GRADE_SEED (default: random; "
                         "the seeds are in the report either way)")
    gr.add_argument("--student-level", type=_level, default=None, metavar="K",
                    help="which path component names the student, counted up from the "
                         "notebook: 0 its file name, 1 its folder, 2 the folder above, ... "
                         "(default: guessed, see above)")
    gr.add_argument("--memory", type=_jobs, default=None, metavar="MB",
                    help="memory limit of each sandboxed kernel in MB (default: 3072)")
    gr.add_argument("--quiet", action="store_true",
                    help="no progress bar and no summary table")
    return parser


# --------------------------------------------------------------------------- release
def cmd_release(args, parser) -> int:
    from .grading.release import release_folder

    if args.solution_dirs:
        dirs = [Path(d) for d in args.solution_dirs]
        for d in dirs:
            if not d.is_dir():
                parser.error(f"no such solution folder: {str(d)!r}")
    else:
        root = _default_solutions()
        dirs = sorted(d for d in root.glob("*") if d.is_dir() and not d.name.startswith("."))
        if not dirs:
            print(f"nothing to release: no folder in {root}")
            return 0
    for d in dirs:
        try:
            produced = release_folder(d, args.exercises)
        except (ValueError, FileNotFoundError) as e:
            print(f"release: {e}", file=sys.stderr)
            return 1
        for path, changed in produced.items():
            print(f"{'wrote     ' if changed else 'up to date'} {_show(path)}")
    return 0


def _show(path: Path) -> str:
    """The path relative to the current folder when it lies below it, else absolute."""
    try:
        rel = os.path.relpath(path)
    except ValueError:          # another drive (Windows)
        return str(path)
    return str(Path(path).resolve()) if rel.startswith("..") else rel


# --------------------------------------------------------------------------- grade
def expand_submissions(paths) -> list[str]:
    """Files as given; a folder becomes every .ipynb below it (sorted, no checkpoints)."""
    found = []
    for p in paths:
        if os.path.isdir(p):
            for dirpath, dirnames, filenames in os.walk(p):
                dirnames[:] = sorted(d for d in dirnames
                                     if d != ".ipynb_checkpoints" and not d.startswith("."))
                found += [os.path.join(dirpath, f) for f in sorted(filenames)
                          if f.endswith(".ipynb")]
        else:
            found.append(p)
    return found


def _inside(path: Path, folder: Path) -> bool:
    return path == folder or folder in path.parents


def cmd_grade(args, parser) -> int:
    from .grading.grade import (duplicate_students, grade, load_solution, resolve_sandbox,
                                student_names)
    from .grading.report import (json_document, output_paths, report_path, summary_table,
                                 write_reports)
    from .grading.sandbox import Limits

    try:
        solution = load_solution(args.solution)
    except (FileNotFoundError, ValueError) as e:
        parser.error(str(e))
    submissions = expand_submissions(args.submissions)
    if not submissions:
        parser.error("no submissions: the folders given hold no .ipynb file")
    out, totals, feedback = output_paths(args.out)
    student_dirs = {Path(os.path.abspath(s)).parent for s in submissions} | \
        {Path(os.path.abspath(p)) for p in args.submissions if os.path.isdir(p)}
    for target in (out.resolve().parent, feedback.resolve()):
        for d in student_dirs:
            if _inside(target, d.resolve()):
                parser.error(f"--out {args.out!r} would put files inside the submission folder "
                             f"{str(d)!r}; write the gradebook somewhere else")
    try:
        resolve_sandbox(args.sandbox)
    except RuntimeError as e:
        parser.error(str(e))
    seen, unique = set(), []
    for s in submissions:                       # the same file given twice: graded once
        key = os.path.realpath(s)
        if key in seen:
            print(f"warning: {s}: given twice, graded once", file=sys.stderr)
            continue
        seen.add(key)
        unique.append(s)
    submissions = unique
    try:
        students = student_names(submissions, solution.path.parent.name, args.student_level)
    except ValueError as e:
        parser.error(str(e))
    clashes = duplicate_students(submissions, students)
    if clashes:
        listing = "\n".join(f"  {name}: " + ", ".join(paths) for name, paths in clashes.items())
        parser.error("several submissions have the same student name (they would be merged):\n"
                     f"{listing}\nuse --student-level to say which path component names the "
                     "student, or rename the folders")
    missing = [s for s in submissions if not os.path.isfile(s)]
    for s in missing:
        print(f"warning: {s}: no such file (graded as unreadable)", file=sys.stderr)
    for gid in solution.manual:
        print(f"note: {gid} is a manually graded cell: not scored here", file=sys.stderr)

    progress = False if args.quiet else None
    limits = Limits() if args.memory is None else Limits(memory_mb=args.memory)
    run = grade(solution, submissions, timeout=args.timeout,
                notebook_timeout=args.notebook_timeout, jobs=args.jobs, progress=progress,
                sandbox=args.sandbox, seed=args.seed, students=students, limits=limits)
    write_reports(run, out, args.format)
    for sub in run.submissions:
        for note in sub.notes:
            print(f"{sub.student}: {note}", file=sys.stderr)

    if args.format == "json":
        import json
        print(json.dumps(json_document(run), indent=1, ensure_ascii=False))
    elif not args.quiet:
        print(summary_table(run))
        students = len({s.student for s in run.submissions})
        print(f"\nwrote {_show(out)}, {_show(totals)}, {_show(report_path(out))} and "
              f"{students} feedback file(s) in {_show(feedback / run.solution.path.stem)}/")
        if not run.sandbox:
            print("WARNING: graded without a sandbox (see above)")
    return 0


def main(argv=None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command == "release":
        return cmd_release(args, parser)
    if args.command == "grade":
        return cmd_grade(args, parser)
    parser.print_help()
    return 2


if __name__ == "__main__":
    sys.exit(main())
