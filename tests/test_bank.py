"""The mutation bank (tests/bank/exNN.py, format in tests/bank/__init__.py), graded for real.

For each assignment with a bank: every question has >= 8 wrong and >= 3 right answers; the
submissions built from the exercise notebook are graded in ONE call of
``python -m lrcourse grade``; every wrong answer must lose points on its question and every
right answer must get full marks on its question. The same notebooks are then run as a learner
runs them (visible checks only): every right answer passes its visible check, and the share of
wrong answers the visible check alone rejects is printed and must be >= 80% per assignment.
"""
from __future__ import annotations

import os
import subprocess
import sys

import pytest

import bank as B

ASSIGNMENTS = B.assignments()
VISIBLE_SHARE = 0.8


def _grade(slug, built, out):
    """Grade the built notebooks in one call of ``python -m lrcourse grade``; (grades, its output)."""
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1")
    proc = subprocess.run([sys.executable, "-m", "lrcourse", "grade", str(B.SOLUTIONS / slug),
                           *map(str, (b.path for b in built)), "--out", str(out), "--jobs", "2",
                           "--timeout", "30", "--quiet",
                           # the hidden cases' seeds: fixed, so CI grades the same cases every run
                           # (set LRCOURSE_BANK_SEED to try others)
                           "--seed", os.environ.get("LRCOURSE_BANK_SEED", "20261205")],
                          cwd=B.ROOT, env=env, capture_output=True, text=True, timeout=900)
    assert out.is_file(), f"the grader wrote no CSV:\n{proc.stdout[-2000:]}\n{proc.stderr[-2000:]}"
    return B.read_grades(out), proc.stdout + proc.stderr


@pytest.mark.parametrize("slug", ASSIGNMENTS)
def test_bank_grades_wrong_answers_down_and_right_answers_full(slug, tmp_path, capsys):
    bank = B.load_bank(slug)
    if bank is None:
        pytest.skip(f"no tests/bank/ex{slug[:2]}.py yet")
    answers, question_of = B.solution_answers(slug)
    assert set(bank) == set(answers), f"the bank's questions {sorted(bank)} vs the solution's {sorted(answers)}"
    for answer_id, entry in bank.items():
        assert len(entry["wrong"]) >= B.MIN_WRONG, f"{answer_id}: only {len(entry['wrong'])} wrong answers"
        assert len(entry["right"]) >= B.MIN_RIGHT, f"{answer_id}: only {len(entry['right'])} right answers"

    built = B.build(slug, bank, tmp_path / "subs")
    grades, log = _grade(slug, built, tmp_path / "grades.csv")
    # A notebook whose right answer lost points while every question failed is graded once more
    # (the grader has failed a whole notebook with its own error); a right answer that really
    # fails fails again, and the grader's output is shown.
    def lost(b, question):
        points, max_points, _ = grades[(b.student, question)]
        return points < max_points

    flaky = [b for b in built if all(lost(b, q) for q in question_of.values())
             and any(v.kind == "right" and lost(b, v.question) for v in b.variants)]
    if flaky:
        again, log2 = _grade(slug, flaky, tmp_path / "grades_again.csv")
        grades.update(again)
        log += f"\n--- graded again: {[b.student for b in flaky]}\n" + log2
        with capsys.disabled():
            print(f"\n[bank {slug}] graded again after a failure on every question: {[b.student for b in flaky]}")

    visible = B.run_visible([b.path for b in built], jobs=2, timeout=60)

    problems, caught, wrong_total = [], 0, 0
    for b in built:
        for var in b.variants:
            points, max_points, status = grades[(b.student, var.question)]
            error = visible[b.path].get(var.question)
            label = f"{var.answer_id}/{var.kind}/{var.name}"
            if var.kind == "wrong":
                wrong_total += 1
                caught += error is not None
                if points >= max_points:
                    problems.append(f"{label}: a wrong answer got full marks ({points:g}/{max_points:g})")
            else:
                if points < max_points:
                    problems.append(f"{label}: a right answer lost points ({points:g}/{max_points:g}, {status})")
                if error is not None:
                    problems.append(f"{label}: a right answer fails its visible check: {error[:300]}")
    share = caught / wrong_total if wrong_total else 1.0
    with capsys.disabled():
        print(f"\n[bank {slug}] {wrong_total} wrong, {sum(len(e['right']) for e in bank.values())} right; "
              f"visible checks reject {caught}/{wrong_total} = {share:.0%} of the wrong answers")
    assert not problems, "\n".join(problems) + "\n--- the grader's output (tail):\n" + log[-3000:]
    assert share >= VISIBLE_SHARE, f"the visible checks reject only {share:.0%} of the wrong answers"
