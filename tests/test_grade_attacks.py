"""Attacks and torture against ``python -m lrcourse grade``: every cheat scores 0 on the
question it cheats (or is flagged ``tampered``), no file outside the grader's temporary
copies changes, before or after it exits, and honest work keeps its exact score.

One sandboxed grading run (CLI, 2 jobs) of all attack submissions, laid out as nbgrader's
``submitted/<student>/<assignment>/<assignment>.ipynb``, is shared by most tests. The
assignment is a tiny fixture (tests/grading_fixtures.py: gd_step 2 points with a hidden
expected value, largest_stable_lr 3 points through lrcourse.checks imported by the read-only
setup cell, total 1 point with a hidden assert without a message).
"""
from __future__ import annotations

import csv
import hashlib
import os
import time
from pathlib import Path

import nbformat
import pytest

import grading_fixtures as fx
from lrcourse.__main__ import main
from lrcourse.grading import sandbox
from lrcourse.grading.grade import duplicate_students, student_names

needs_bwrap = pytest.mark.skipif(not sandbox.available(),
                                 reason="bubblewrap (bwrap) is not installed or not usable")
PKG = sandbox.package_dir()
Q = ["test_step", "test_rate", "test_total"]
FULL = {"test_step": ("2", "passed"), "test_rate": ("3", "passed"), "test_total": ("1", "passed")}
WRONG_STEP = "def gd_step(x, g, lr):\n    return x + lr * g"


def attacks(root: Path, out: Path, marker: str) -> dict:
    """student -> notebook (or callable making one). Paths a cheat would aim at are baked in."""
    honest_nb = root / "submitted" / "honest" / fx.ATTACK / f"{fx.ATTACK}.ipynb"
    solution_nb = root / "solutions" / fx.ATTACK / f"{fx.ATTACK}.ipynb"
    snoop = f'''import os, glob, json
found = None
candidates = [{str(solution_nb)!r}]
for pid in ["self", str(os.getppid()), "1"] + [p.split("/")[2] for p in glob.glob("/proc/[0-9]*")]:
    for part in ("cwd", "root"):
        candidates.append(f"/proc/{{pid}}/{{part}}/solutions/{fx.ATTACK}/{fx.ATTACK}.ipynb")
    try:
        words = open(f"/proc/{{pid}}/cmdline", "rb").read().split(b"\\0")
        candidates += [w.decode() + "/{fx.ATTACK}.ipynb" for w in words if b"solutions" in w]
    except OSError:
        pass
for c in candidates:
    try:
        nb = json.load(open(c))
        found = c
        break
    except (OSError, ValueError):
        pass
if found:
    src = [c for c in nb["cells"] if c["metadata"].get("nbgrader", {{}}).get("grade_id") == "answer_step"][0]["source"]
    exec("".join(src))
else:
    {WRONG_STEP.replace(chr(10), chr(10) + "    ")}'''
    writer = f'''import os
for target in [{str(solution_nb)!r}, {str(honest_nb)!r}, {str(out)!r},
               {str(out.parent / "feedback" / fx.ATTACK / "honest.md")!r},
               {str(PKG / "grading" / f"pwned_{marker}.py")!r},
               {str(root / "solutions" / fx.ATTACK / f"pwned_{marker}.txt")!r},
               {str(out.parent / f"pwned_{marker}.txt")!r}]:
    try:
        with open(target, "w") as f:
            f.write("pwned")
    except OSError:
        pass
''' + fx.ATTACK_CORRECT["answer_step"]
    detached = f'''import os, subprocess
cmd = "sleep 4; echo hacked > {out}; echo hacked > {out.parent / f'late_{marker}.txt'}"
subprocess.Popen(["sh", "-c", cmd], start_new_session=True, stdout=subprocess.DEVNULL,
                 stderr=subprocess.DEVNULL)
if os.fork() == 0:          # a classic double-forked daemon
    os.setsid()
    if os.fork() == 0:
        import time
        time.sleep(4)
        try:
            open({str(out)!r}, "w").write("hacked")
        except OSError:
            pass
    os._exit(0)
''' + fx.ATTACK_CORRECT["answer_step"]
    return {
        "honest": fx.attack_notebook(),
        "Zoë Müller": fx.attack_notebook(),
        "v3 notebook": nbformat.convert(fx.attack_notebook(), 3),
        "wrong": fx.attack_notebook(answer_step=WRONG_STEP),
        # a transformer that blanks the cells testing gd_step (static name and hidden name)
        "transformer": fx.attack_notebook(answer_step="""ip = get_ipython()
ip.input_transformers_cleanup.append(lambda lines: [] if any("gd_step" in l for l in lines) else lines)
""" + WRONG_STEP),
        "transformer_hidden": fx.attack_notebook(answer_step="""ip = get_ipython()
getattr(ip, "input_transformers_" + "clean" + "up").append(
    lambda lines: [] if any("gd_step" in l for l in lines) else lines)
""" + WRONG_STEP),
        "allclose": fx.attack_notebook(answer_step="""import numpy as np
np.allclose = lambda *a, **k: True
np.isclose = lambda *a, **k: True
""" + WRONG_STEP),
        "allclose_at_call": fx.attack_notebook(answer_step="""import importlib
def gd_step(x, g, lr):
    m = importlib.import_module("num" + "py")
    setattr(m, "allc" + "lose", lambda *a, **k: True)
    setattr(m, "isc" + "lose", lambda *a, **k: True)
    return x + lr * g"""),
        "checks_patched": fx.attack_notebook(answer_rate="""import importlib
c = importlib.import_module("lrcourse.che" + "cks")
setattr(c, "exp" + "ect", lambda *a, **k: None)
def largest_stable_lr(L):
    return 1.0 / L"""),
        "rebound_name": fx.attack_notebook(answer_rate="""import types
checks = types.SimpleNamespace(expect=lambda *a, **k: None)
def largest_stable_lr(L):
    return 1.0 / L"""),
        "always_equal": fx.attack_notebook(answer_total="""class Total(float):
    def __eq__(self, other):
        return True
total = Total(3.0)"""),
        "frame_reader": fx.attack_notebook(answer_step="""import inspect
def gd_step(x, g, lr):
    frame = inspect.currentframe().f_back
    while frame is not None:
        if "expected" in frame.f_locals:
            return frame.f_locals["expected"]
        if "expected" in frame.f_globals:
            return frame.f_globals["expected"]
        frame = frame.f_back
    return x + lr * g"""),
        "globals_peek": fx.attack_notebook(answer_step="""def gd_step(x, g, lr):
    return globals().get("expected", x + lr * g)"""),
        "post_run_cell": fx.attack_notebook(answer_step="""def clear(result):
    result.error_in_exec = None
get_ipython().events.register("post_run_cell", clear)
""" + WRONG_STEP),
        "post_run_cell_hidden": fx.attack_notebook(answer_step="""def clear(result):
    result.error_in_exec = None
ev = get_ipython().events
getattr(ev, "reg" + "ister")("post_run_" + "cell", clear)
""" + WRONG_STEP),
        "traceback_hidden": fx.attack_notebook(answer_step="""sh = get_ipython()
setattr(sh, "show" + "traceback", lambda *a, **k: None)
""" + WRONG_STEP),
        "timeout_name": fx.attack_notebook(answer_step="""class LrcourseCellTimeout(Exception):
    pass
def gd_step(x, g, lr):
    raise LrcourseCellTimeout("")"""),
        "forged_verdict": fx.attack_notebook(answer_step="""import os
for fd in os.listdir("/proc/self/fd"):
    try:
        if "audit" in os.readlink(f"/proc/self/fd/{fd}"):
            os.write(int(fd), b"LRC-VERDICT 00 ('x', True, '', ())\\n")
    except OSError:
        pass
""" + WRONG_STEP),
        "fake_runner": fx.attack_notebook(answer_step="""import sys
for name, m in list(sys.modules.items()):
    if "side" in name and hasattr(m, "run_test"):
        m.run_test = lambda *a, **k: None
""" + WRONG_STEP),
        "proc_snoop": fx.attack_notebook(answer_step=snoop),
        "solutions_import": fx.attack_notebook(answer_step=f"""import sys, json
sys.path[:0] = [{str(root)!r}, {str(PKG.parent)!r}]
try:
    nb = json.load(open({str(solution_nb)!r}))
    exec("".join(nb["cells"][3]["source"]))
except OSError:
    {WRONG_STEP.replace(chr(10), chr(10) + "    ")}"""),
        "checks_reach": fx.attack_notebook(answer_step="""from lrcourse.checks import expect
def gd_step(x, g, lr):
    return x - lr * g"""),
        "writer": fx.attack_notebook(answer_step=writer),
        "detached": fx.attack_notebook(answer_step=detached),
        "kill_parent": fx.attack_notebook(answer_step="""import os, signal
for pid in (os.getppid(), 1):
    try:
        os.kill(pid, signal.SIGKILL)
    except OSError:
        pass
""" + fx.ATTACK_CORRECT["answer_step"]),
        "kill_self": fx.attack_notebook(answer_total="""import os, signal
os.kill(os.getpid(), signal.SIGKILL)
total = float(sum(NUMBERS))"""),
        "fork_bomb": fx.attack_notebook(answer_total="""import os, time
forks = 0
for _ in range(5000):
    try:
        pid = os.fork()
    except OSError:
        break
    if pid == 0:
        time.sleep(30)
        os._exit(0)
    forks += 1
total = float(sum(NUMBERS)) if forks < 1000 else -1.0"""),
        "memory_hog": fx.attack_notebook(answer_total="""import numpy as np
try:
    hog = np.ones(2 * 10**8)          # 1.6 GB: over the 1 GB limit of this run
    capped = False
except MemoryError:
    capped = True
total = float(sum(NUMBERS)) if capped else -1.0"""),
        "big_print": fx.attack_notebook(answer_step='print("x" * 50_000_000)\n'
                                                    + fx.ATTACK_CORRECT["answer_step"],
                                        answer_total='raise ValueError("y" * 5_000_000)'),
    }


# student -> {question: (points, status)} for the questions that differ from full marks;
# a set of statuses means any of them is right (both give 0 points)
# a change that stays (an IPython hook, a transformer, a replaced test runner) taints every
# question tested after it
TAINTED = {q: ("0", "tampered") for q in Q}
EXPECTED = {
    "honest": {}, "Zoë Müller": {}, "v3 notebook": {},
    "wrong": {"test_step": ("0", "failed")},
    "transformer": TAINTED,
    "transformer_hidden": TAINTED,
    "allclose": {"test_step": ("0", "tampered")},
    "allclose_at_call": {"test_step": ("0", "tampered")},
    "checks_patched": {"test_rate": ("0", "tampered")},
    "rebound_name": {"test_rate": ("0", "tampered")},
    "always_equal": {"test_total": ("0", "tampered")},
    "frame_reader": {"test_step": ("0", "tampered")},
    "globals_peek": {"test_step": ("0", "failed")},
    "post_run_cell": TAINTED,
    "post_run_cell_hidden": TAINTED,
    "traceback_hidden": TAINTED,
    "timeout_name": {"test_step": ("0", "failed")},
    "forged_verdict": {"test_step": ("0", "tampered")},
    "fake_runner": TAINTED,
    "proc_snoop": {"test_step": ("0", "failed")},
    "solutions_import": {"test_step": ("0", "failed")},
    "checks_reach": {"test_step": ("0", "tampered")},
    "writer": {}, "detached": {}, "kill_parent": {},
    "kill_self": {"test_total": ("0", "kernel died")},
    "fork_bomb": {}, "memory_hog": {},
    "big_print": {"test_total": ("0", "error")},
}


def digest(folder: Path) -> dict:
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def read_csv(path):
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.reader(f))


@pytest.fixture(scope="module")
def attacked(tmp_path_factory):
    root = tmp_path_factory.mktemp("course")
    fx.write_attack_assignment(root)
    out = root / "results" / "grades.csv"
    marker = hashlib.sha256(str(root).encode()).hexdigest()[:10]
    subs = []
    for student, nb in attacks(root, out, marker).items():
        path = root / "submitted" / student / fx.ATTACK / f"{fx.ATTACK}.ipynb"
        path.parent.mkdir(parents=True)
        nbformat.write(nb, str(path), version=nb.nbformat)
        subs.append(str(path))
    assert len(subs) == len(EXPECTED)
    before = {"solutions": digest(root / "solutions"), "submitted": digest(root / "submitted")}
    t0 = time.monotonic()
    code = main(["grade", str(root / "solutions" / fx.ATTACK), str(root / "submitted"),
                 "--out", str(out), "--timeout", "8", "--jobs", "2", "--quiet",
                 "--sandbox", "require", "--memory", "1024", "--seed", "3"])
    seconds = time.monotonic() - t0
    right_after = out.read_bytes()
    time.sleep(6)                          # the detached processes would strike now
    return {"root": root, "out": out, "code": code, "before": before, "marker": marker,
            "right_after": right_after, "seconds": seconds, "rows": read_csv(out)}


@needs_bwrap
def test_every_submission_graded_and_exit_code_zero(attacked):
    assert attacked["code"] == 0
    assert attacked["rows"][0] == ["submission", "student", "question", "points",
                                   "max_points", "status"]
    students = [r[1] for r in attacked["rows"][1:]]
    assert sorted(set(students)) == sorted(EXPECTED)        # nbgrader layout: named right
    assert len(students) == 3 * len(EXPECTED)


@needs_bwrap
@pytest.mark.parametrize("student", list(EXPECTED))
def test_cheats_score_zero_and_honest_work_keeps_its_score(attacked, student):
    got = {r[2]: (r[3], r[5]) for r in attacked["rows"][1:] if r[1] == student}
    for q in Q:
        points, status = EXPECTED[student].get(q, FULL[q])
        assert got[q][0] == points, (student, q, got[q])
        assert got[q][1] in (status if isinstance(status, set) else {status}), (student, q, got[q])


@needs_bwrap
def test_no_file_outside_the_graders_copies_changes(attacked):
    root, marker = attacked["root"], attacked["marker"]
    assert digest(root / "solutions") == attacked["before"]["solutions"]
    assert digest(root / "submitted") == attacked["before"]["submitted"]
    assert not list(PKG.rglob(f"pwned_{marker}*"))
    assert not list(root.rglob(f"pwned_{marker}*")) and not list(root.rglob(f"late_{marker}*"))
    assert attacked["out"].read_bytes() == attacked["right_after"]   # nothing after exit
    assert b"hacked" not in attacked["out"].read_bytes()


@needs_bwrap
def test_teacher_report_lists_tampering_and_seeds(attacked):
    report = (attacked["out"].parent / "grades_report.md").read_text(encoding="utf-8")
    assert "Sandbox: bubblewrap" in report
    for student in ("allclose", "frame_reader", "post_run_cell_hidden", "always_equal"):
        line = next(x for x in report.splitlines() if x.startswith(f"| {student} |"))
        assert "tampered" in line and line.split("|")[3].strip().isdigit()


@needs_bwrap
def test_feedback_per_assignment_with_unicode_names_bounded_and_no_hidden_literals(attacked):
    folder = attacked["out"].parent / "feedback" / fx.ATTACK
    assert sorted(p.name for p in folder.iterdir()) == sorted(f"{s}.md" for s in EXPECTED)
    assert "Student: **Zoë Müller**" in (folder / "Zoë Müller.md").read_text(encoding="utf-8")
    assert max(p.stat().st_size for p in folder.iterdir()) < 100_000
    big = (folder / "big_print.md").read_text(encoding="utf-8")
    assert "ValueError: yyy" in big and "y" * 1000 not in big
    wrong = (folder / "wrong.md").read_text(encoding="utf-8")
    assert "gd_step should return x - lr * g" in wrong
    assert "3.0 - 0.25" not in wrong and "expected" not in wrong
    total = (folder / "always_equal.md").read_text(encoding="utf-8")
    assert "10.0" not in total


@needs_bwrap
def test_hidden_assert_without_message_is_described_not_quoted(tmp_path):
    fx.write_attack_assignment(tmp_path)
    sub = tmp_path / "subs" / "ann" / f"{fx.ATTACK}.ipynb"
    fx.write_notebook(fx.attack_notebook(answer_total="total = 9.0"), sub)
    out = tmp_path / "out" / "g.csv"
    assert main(["grade", str(tmp_path / "solutions" / fx.ATTACK), str(sub), "--out", str(out),
                 "--quiet", "--jobs", "1", "--timeout", "20"]) == 0
    text = (out.parent / "feedback" / fx.ATTACK / "ann.md").read_text()
    assert "| test_total | 0 / 1 | failed | a hidden test of test_total failed |" in text
    assert "10.0" not in text


def test_a_killed_worker_costs_only_its_submission_without_sandbox(tmp_path, capsys):
    """Without the sandbox a kernel can kill the grading process above it: that submission
    gets 'error', the others are graded and the gradebook is written."""
    fx.write_attack_assignment(tmp_path)
    subs = []
    for student, nb in [("killer", fx.attack_notebook(answer_step="import os\n"
                                                       "os.kill(os.getppid(), 9)")),
                        ("honest", fx.attack_notebook())]:
        path = tmp_path / "subs" / student / f"{fx.ATTACK}.ipynb"
        fx.write_notebook(nb, path)
        subs.append(str(path))
    out = tmp_path / "out" / "g.csv"
    assert main(["grade", str(tmp_path / "solutions" / fx.ATTACK), *subs, "--out", str(out),
                 "--quiet", "--jobs", "2", "--timeout", "20", "--sandbox", "off"]) == 0
    rows = {(r[1], r[2]): (r[3], r[5]) for r in read_csv(out)[1:]}
    assert {rows[("killer", q)] for q in Q} == {("0", "error")}
    assert {q: rows[("honest", q)] for q in Q} == FULL
    assert "WITHOUT a sandbox" in capsys.readouterr().err


# --------------------------------------------------------------------------- names, layouts
def test_student_names_from_nbgrader_layouts_flat_folders_and_levels(tmp_path):
    a = fx.ATTACK
    paths = [f"course/submitted/alice/{a}/{a}.ipynb", f"course/autograded/bob/{a}/{a}.ipynb",
             f"sub/carol/{a}/{a}.ipynb", f"sub/dave/{a}.ipynb", "flat/Zoë Müller.ipynb",
             "flat/eve smith.ipynb"]
    assert student_names(paths, a) == ["alice", "bob", "carol", "dave", "Zoë Müller",
                                       "eve smith"]
    assert student_names([f"x/s1/alice/{a}.ipynb"], a, level=2) == ["s1"]
    assert student_names([f"x/s1/alice/{a}.ipynb"], a, level=0) == [a]
    with pytest.raises(ValueError):
        student_names(["a.ipynb"], a, level=9)


def test_duplicate_student_names_are_an_error_that_lists_them(tmp_path, capsys):
    fx.write_attack_assignment(tmp_path)
    subs = []
    for section in ("section A", "section B"):
        path = tmp_path / section / "alice" / f"{fx.ATTACK}.ipynb"
        fx.write_notebook(fx.attack_notebook(), path)
        subs.append(str(path))
    assert duplicate_students(subs, ["alice", "alice"]) == {"alice": subs}
    with pytest.raises(SystemExit) as e:
        main(["grade", str(tmp_path / "solutions" / fx.ATTACK), *subs,
              "--out", str(tmp_path / "g.csv")])
    assert e.value.code == 2
    err = capsys.readouterr().err
    assert "alice" in err and "section A" in err and "section B" in err
    assert not (tmp_path / "g.csv").exists()
    # told which component is the student, they are kept apart
    assert student_names(subs, fx.ATTACK, level=2) == ["section A", "section B"]


def test_sandbox_require_refuses_without_bubblewrap(tmp_path, monkeypatch, capsys):
    fx.write_attack_assignment(tmp_path)
    sub = tmp_path / "s" / "ann" / f"{fx.ATTACK}.ipynb"
    fx.write_notebook(fx.attack_notebook(), sub)
    monkeypatch.setattr(sandbox, "_WORKS", False)
    with pytest.raises(SystemExit) as e:
        main(["grade", str(tmp_path / "solutions" / fx.ATTACK), str(sub), "--out",
              str(tmp_path / "g.csv"), "--sandbox", "require"])
    assert e.value.code == 2 and "bubblewrap" in capsys.readouterr().err
    assert not (tmp_path / "g.csv").exists()


@needs_bwrap
def test_sandbox_command_hides_the_course_and_limits_the_kernel(tmp_path):
    work, ipc = tmp_path / "w", tmp_path / "i"
    work.mkdir()
    ipc.mkdir()
    cmd = sandbox.command(["true"], workdir=str(work), ipcdir=str(ipc), uid=None, env={},
                          limits=sandbox.Limits())
    joined = " ".join(cmd)
    for flag in ("--unshare-pid", "--unshare-net", "--die-with-parent", "--clearenv",
                 "--as=", "--nproc=", "--fsize=", "--cpu="):
        assert flag in joined
    binds = [cmd[k + 1] for k, x in enumerate(cmd) if x in ("--bind", "--ro-bind")]
    ro = [cmd[k + 1] for k, x in enumerate(cmd) if x == "--ro-bind"]
    assert str(PKG) in ro                      # the package alone, read-only
    solutions = str(PKG.parent / "solutions")
    assert not any(solutions == b or solutions.startswith(b + "/") for b in binds)
