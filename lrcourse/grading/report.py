"""Gradebook files from a grading run: grades CSV/JSON, per-student totals, feedback, summary.

With ``--out grades.csv`` the files are::

    grades.csv          one row per submission and question:
                        submission,student,question,points,max_points,status
    grades_totals.csv   one row per student (for a learning-management system):
                        student,points,max_points,percent
    grades_report.md    for the teacher: sandbox or not, each submission's seed
                        (LRCOURSE_GRADE_SEED), tampering found, grader failures
    feedback/<assignment>/<student>.md   per student: each question, points, status,
                        what went wrong (the student's name kept as it is: unicode, spaces)

Every file is written atomically (a temporary file in the same folder, then ``os.replace``)
and only when its content changes; the content has no timestamps, so grading the same
submissions again leaves the files byte-identical (the report and the JSON gradebook hold
the seeds: identical again with ``--seed``).
"""
from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

from .. import _validate as v
from .grade import GradeRun
from .release import write_if_changed

__all__ = ["GRADE_COLUMNS", "TOTAL_COLUMNS", "grade_rows", "total_rows", "output_paths",
           "write_reports", "summary_table", "json_document", "feedback_markdown",
           "teacher_report", "report_path"]

GRADE_COLUMNS = ("submission", "student", "question", "points", "max_points", "status")
TOTAL_COLUMNS = ("student", "points", "max_points", "percent")


def _run(run) -> GradeRun:
    """Check a grading run (what :func:`lrcourse.grading.grade` returns)."""
    if not isinstance(run, GradeRun):
        raise TypeError(f"run must be a GradeRun (the result of grade(...)), got {v._describe(run)}")
    return run


def num(x: float) -> str:
    """Points as text: 2.0 -> '2', 1.5 -> '1.5' (stable, no float noise)."""
    x = round(float(x), 6)
    return str(int(x)) if x == int(x) else f"{x:g}"


def grade_rows(run: GradeRun, detail: bool = False) -> list[dict]:
    """One dict per submission and question, in command-line then solution order."""
    _run(run)
    detail = v.flag("detail", detail)
    rows = []
    for sub in run.submissions:
        for r in sub.results:
            row = {"submission": sub.submission, "student": sub.student,
                   "question": r.question, "points": num(r.points),
                   "max_points": num(r.max_points), "status": r.status}
            if detail:
                row["detail"] = r.detail
            rows.append(row)
    return rows


def total_rows(run: GradeRun) -> list[dict]:
    """One row per student (first-seen order); several submissions of a student add up."""
    _run(run)
    totals: dict[str, list[float]] = {}
    for sub in run.submissions:
        t = totals.setdefault(sub.student, [0.0, 0.0])
        t[0] += sub.points
        t[1] += sub.max_points
    return [{"student": s, "points": num(p), "max_points": num(m),
             "percent": f"{100 * p / m:.1f}" if m else "0.0"}
            for s, (p, m) in totals.items()]


def _csv_text(columns, rows) -> str:
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=list(columns), lineterminator="\n",
                       extrasaction="ignore")
    w.writeheader()
    w.writerows(rows)
    return buf.getvalue()


FEEDBACK_LIMIT = 100_000      # characters of feedback per student at most


def output_paths(out) -> tuple[Path, Path, Path]:
    """(gradebook, totals CSV, feedback folder) for ``--out``; feedback files go to
    ``<feedback folder>/<assignment>/``."""
    out = v.path("out", out)
    return out, out.with_name(out.stem + "_totals.csv"), out.parent / "feedback"


def report_path(out) -> Path:
    """The teacher's report beside the gradebook."""
    out = v.path("out", out)
    return out.with_name(out.stem + "_report.md")


def _safe_name(name: str) -> str:
    """A file name for a student: the name as it is (unicode, spaces), without path
    separators, control characters or a leading dot."""
    safe = re.sub(r"[/\\\x00-\x1f\x7f]+", "_", name).strip().lstrip(".")
    return safe[:120] or "student"


def _md(text: str) -> str:
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")


def feedback_markdown(run: GradeRun, student: str) -> str:
    """The feedback page of one student: a table of questions per submission."""
    _run(run)
    v.text("student", student)
    assignment = run.solution.path.stem
    subs = [s for s in run.submissions if s.student == student]
    lines = [f"# Feedback: {assignment}", "", f"Student: **{student}**", ""]
    for sub in subs:
        lines += [f"Submission: `{sub.submission}`", "",
                  f"Total: **{num(sub.points)} / {num(sub.max_points)}** points", "",
                  "| Question | Points | Status | What went wrong |",
                  "| --- | --- | --- | --- |"]
        for r in sub.results:
            lines.append(f"| {_md(r.question)} | {num(r.points)} / {num(r.max_points)} "
                         f"| {r.status} | {_md(r.detail)} |")
        lines.append("")
        if sum(len(x) for x in lines) > FEEDBACK_LIMIT:
            lines.append("(feedback cut short: too long)")
            break
    lines += ["Statuses: *passed*; *failed* (your code ran but the test found a wrong result); "
              "*error* (your code raised an error, or the answer is missing); *timeout* "
              f"(a cell ran longer than {num(run.timeout)} s and was stopped); *kernel died* "
              "(Python crashed or ran out of memory); *unreadable* (the file is not a "
              "notebook); *tampered* (the code changed the grader's tools or read the tests' "
              "internals: no points). Run your notebook top to bottom (Restart & Run All) to check it.", ""]
    return "\n".join(lines)


def _number(text: str):
    """'2' -> 2, '1.5' -> 1.5: points as JSON numbers."""
    value = float(text)
    return int(value) if value == int(value) else value


def json_document(run: GradeRun) -> dict:
    """The gradebook for tools: the same rows as the CSVs (plus each question's ``detail``),
    with points as numbers."""
    _run(run)
    grades = grade_rows(run, detail=True)
    totals = total_rows(run)
    for row in grades + totals:
        for key in ("points", "max_points", "percent"):
            if key in row:
                row[key] = _number(row[key])
    return {
        "assignment": run.solution.path.stem,
        "solution": str(run.solution.path),
        "sandbox": run.sandbox,
        "timeout": run.timeout,
        "notebook_timeout": run.notebook_timeout,
        "questions": [{"question": q.grade_id, "max_points": _number(num(q.max_points))}
                      for q in run.solution.questions],
        "grades": grades,
        "totals": totals,
        "submissions": [{"submission": s.submission, "student": s.student, "seed": s.seed,
                         "notes": list(s.notes)} for s in run.submissions],
        "notes": list(run.notes),
    }


def teacher_report(run: GradeRun) -> str:
    """What the teacher should know about a run: sandbox, seeds, tampering, failures."""
    _run(run)
    lines = [f"# Grading report: {run.solution.path.stem}", "",
             f"Sandbox: {'bubblewrap (each kernel isolated)' if run.sandbox else 'NONE'}", ""]
    lines += [f"- {n}" for n in run.notes]
    tampered = [s for s in run.submissions if any(r.status == "tampered" for r in s.results)]
    lines += ["", f"Tampering found in {len(tampered)} submission(s).", ""]
    lines += ["| Student | Submission | Seed | Notes |", "| --- | --- | --- | --- |"]
    for s in run.submissions:
        notes = "<br>".join(_md(n) for n in s.notes) or ""
        lines.append(f"| {_md(s.student)} | `{_md(s.submission)}` | {s.seed} | {notes} |")
    lines += ["", "Reproduce a submission's hidden cases: run its kernel with "
              "LRCOURSE_GRADE_SEED set to its seed.", ""]
    return "\n".join(lines)


def write_reports(run: GradeRun, out, fmt: str = "csv") -> list[Path]:
    """Write the gradebook (CSV or JSON), the totals CSV and the feedback files.

    Returns the paths written (or already up to date).
    """
    _run(run)
    fmt = v.choice("fmt", fmt, ("csv", "json"))
    out, totals, feedback = output_paths(out)
    if fmt == "csv":
        text = _csv_text(GRADE_COLUMNS, grade_rows(run))
    else:
        text = json.dumps(json_document(run), indent=1, ensure_ascii=False) + "\n"
    write_if_changed(out, text.encode("utf-8"))
    write_if_changed(totals, _csv_text(TOTAL_COLUMNS, total_rows(run)).encode("utf-8"))
    report = report_path(out)
    write_if_changed(report, teacher_report(run).encode("utf-8"))
    written = [out, totals, report]
    used: set[str] = set()
    folder = feedback / _safe_name(run.solution.path.stem)
    for student in dict.fromkeys(s.student for s in run.submissions):
        name, k = _safe_name(student), 2
        base = name
        while name.casefold() in used:
            name, k = f"{base}-{k}", k + 1
        used.add(name.casefold())
        path = folder / f"{name}.md"
        write_if_changed(path, feedback_markdown(run, student).encode("utf-8"))
        written.append(path)
    return written


_SHORT = {"passed": "", "failed": "failed", "error": "error", "timeout": "timeout",
          "kernel died": "died", "unreadable": "unreadable", "tampered": "tampered"}


def summary_table(run: GradeRun) -> str:
    """Students x questions as fixed-width text: points, and the status when not passed."""
    _run(run)
    questions = run.solution.questions
    header = ["student"] + [f"{q.grade_id} ({num(q.max_points)})" for q in questions] + \
             [f"total ({num(run.solution.max_points)})"]
    counts: dict[str, int] = {}
    for s in run.submissions:
        counts[s.student] = counts.get(s.student, 0) + 1
    table = [header]
    for s in run.submissions:
        label = s.student if counts[s.student] == 1 else f"{s.student}/{Path(s.submission).name}"
        row = [label]
        for r in s.results:
            row.append(num(r.points) + (f" {_SHORT[r.status]}" if _SHORT[r.status] else ""))
        row.append(num(s.points))
        table.append(row)
    widths = [max(len(row[c]) for row in table) for c in range(len(header))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip() for row in table]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)
