"""Batch grading of submitted notebooks against a solution notebook.

For each submission (never modified: it is read once into memory):

1. **Read** it. Empty, non-JSON or non-notebook files get status ``unreadable``.
2. **Restore** the graded test cells (with their hidden tests) and the read-only cells from
   the solution, by ``grade_id``: an edited or emptied one is replaced, a deleted one is
   reinserted right after the cell carrying the preceding ``grade_id`` of the solution.
   The student's answers and extra cells stay where they are.
3. **Execute** the result in a fresh ``python3`` kernel of this environment, started in a
   temporary folder holding the assignment's data files. Each cell has a time limit
   (``timeout``), the whole notebook a wall-clock cap (``notebook_timeout``).
   A cell that runs too long is interrupted (like the stop button); if the kernel does not
   come back, or if it dies (``os._exit``, a crash, out of memory), a fresh kernel is
   started, the earlier cells are run again without the culprit, and grading goes on with
   the next cell. So a broken answer costs only the questions it breaks.
4. **Score** each graded test cell: it passes when it runs without raising (stderr and
   warnings don't matter) and is then worth its ``metadata.nbgrader.points``.

Statuses per question: ``passed``; ``failed`` (the test raised although the answer it
tests ran); ``error`` (the answer raised, e.g. the skeleton's NotImplementedError, is empty
or missing); ``timeout``; ``kernel died``; ``unreadable``.

This executes student code with the grader's permissions: it is not a sandbox.
"""
from __future__ import annotations

import asyncio
import copy
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import traceback
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from multiprocessing import get_context
from pathlib import Path
from time import monotonic

import nbformat

from .. import _validate as v
from .release import (_notebook, assignment_files, find_solution_notebook, is_grade, is_locked,
                      is_solution, nbgrader_meta, release_notebook)

__all__ = [
    "STATUSES", "Question", "Solution", "QuestionResult", "SubmissionResult", "GradeRun",
    "load_solution", "read_submission", "assemble", "grade_submission", "grade",
]

STATUSES = ("passed", "failed", "error", "timeout", "kernel died", "unreadable")
DEFAULT_TIMEOUT = 60.0          # seconds per cell
NOTEBOOK_TIMEOUT_FACTOR = 10    # default wall-clock cap = 10 x the cell limit
_TIMEOUT_SENTINEL = "LrcourseCellTimeout"
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


# =========================================================================== the solution
@dataclass
class Question:
    """One autograded test cell of the solution: its grade_id, points and the answer it tests."""
    grade_id: str
    max_points: float
    answer_id: str | None   # grade_id of the solution cell just before it (None: no answer)


@dataclass
class Solution:
    path: Path                       # the solution notebook
    nb: nbformat.NotebookNode
    questions: list[Question]
    restored: dict[str, nbformat.NotebookNode]   # grade_id -> cell restored into submissions
    released_source: dict[str, str]  # grade_id -> source as handed out (for content matching)
    data_files: list[tuple[Path, str]]           # (file, relative path) copied beside a run
    manual: list[str] = field(default_factory=list)  # manually graded cells (not scored)

    @property
    def max_points(self) -> float:
        return sum(q.max_points for q in self.questions)


def _grade_id(cell) -> str | None:
    gid = nbgrader_meta(cell).get("grade_id")
    return gid if isinstance(gid, str) and gid else None


def load_solution(solution) -> Solution:
    """Read a solution folder (or notebook) and list its questions in notebook order.

    A question is a code cell with ``grade: true, solution: false``; it tests the nearest
    solution cell before it. Cells with ``grade: true, solution: true`` are manually graded
    and not scored here. Raises TypeError / ValueError (naming ``solution``) for a bad solution.
    """
    path = find_solution_notebook(solution)
    nb = nbformat.read(os.fspath(path), as_version=4)
    released = release_notebook(nb)            # also validates markers and grade_ids
    questions, restored, manual, answer = [], {}, [], None
    for cell in nb.cells:
        gid = _grade_id(cell)
        if is_solution(cell):
            if cell.cell_type == "code":
                answer = gid
            if is_grade(cell):
                manual.append(gid)
        elif is_locked(cell):
            restored[gid] = _fresh(cell)
            if is_grade(cell) and cell.cell_type == "code":
                points = float(nbgrader_meta(cell)["points"])
                questions.append(Question(gid, points, answer))
    if not questions:
        raise ValueError(f"{path} has no graded test cell (metadata.nbgrader grade: true, "
                         "solution: false): nothing to grade")
    released_source = {_grade_id(c): c.source for c in released.cells if _grade_id(c)}
    folder = path.parent
    data = [(f, f.relative_to(folder).as_posix()) for f in assignment_files(folder)]
    return Solution(path, nb, questions, restored, released_source, data, manual)


def _fresh(cell):
    """A copy of a cell with outputs and execution count cleared."""
    cell = copy.deepcopy(cell)
    if cell.cell_type == "code":
        cell.outputs, cell.execution_count = [], None
    return cell


# =========================================================================== reading
def read_submission(path) -> tuple[nbformat.NotebookNode | None, str]:
    """(notebook, "") or (None, why it could not be read). Never raises for bad content
    (only for a ``path`` that is not a path at all)."""
    path = v.path("path", path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return None, "file not found"
    except OSError as e:
        return None, f"cannot read the file ({e.strerror or e})"
    if not data.strip():
        return None, "empty file"
    try:
        text = data.decode("utf-8-sig")
        obj = json.loads(text)
    except UnicodeDecodeError:
        return None, "not a text file (not UTF-8)"
    except ValueError as e:
        return None, f"not valid JSON ({e})"
    if not isinstance(obj, dict) or not isinstance(obj.get("nbformat"), int):
        return None, "JSON but not a Jupyter notebook (no 'nbformat' field)"
    try:
        nb = nbformat.reads(text, as_version=4, capture_validation_error={})
        cells = nb.get("cells")
        if not isinstance(cells, list):
            raise ValueError("no list of cells")
        nb.cells = [_normalised(c) for c in cells]
    except Exception as e:  # nbformat raises many kinds of errors on odd JSON
        return None, f"not a readable notebook ({type(e).__name__}: {e})"
    return nb, ""


def _normalised(cell):
    """A cell with str source, dict metadata and a known type; raises ValueError if hopeless."""
    if not isinstance(cell, dict):
        raise ValueError("a cell is not a JSON object")
    cell = nbformat.from_dict(cell)
    source = cell.get("source", "")
    if isinstance(source, list):
        source = "".join(str(s) for s in source)
    if not isinstance(source, str):
        raise ValueError("a cell's source is not text")
    cell["source"] = source
    if not isinstance(cell.get("metadata"), dict):
        cell["metadata"] = nbformat.NotebookNode()
    if cell.get("cell_type") not in ("code", "markdown", "raw"):
        cell["cell_type"] = "raw"
    if cell.cell_type == "code":
        cell["outputs"], cell["execution_count"] = [], None
    return cell


# =========================================================================== restoring
@dataclass
class _Entry:
    cell: nbformat.NotebookNode
    grade_id: str | None     # for anchoring deleted cells
    restored: bool           # True: the solution's version, False: the student's cell


def assemble(solution: Solution, student_nb):
    """The notebook to execute: the student's cells with the solution's test cells restored.

    Returns ``(cells, tests, answers)``: the list of cells, {question grade_id: index of its
    test cell} and {question grade_id: index of the answer cell it tests, or None}.
    """
    _solution(solution)
    _notebook("student_nb", student_nb)
    restored = solution.restored
    by_id = {}                                   # restored grade_id -> student cell index
    for i, cell in enumerate(student_nb.cells):
        gid = _grade_id(cell)
        if gid in restored and gid not in by_id:
            by_id[gid] = i
    # a test cell whose metadata was lost (copy-pasted, other editor): match it by content
    for gid in restored:
        if gid in by_id:
            continue
        wanted = {solution.released_source.get(gid, "").strip(), restored[gid].source.strip()}
        for i, cell in enumerate(student_nb.cells):
            if (cell.cell_type == "code" and _grade_id(cell) is None and i not in by_id.values()
                    and cell.source.strip() in wanted):
                by_id[gid] = i
                break
    at = {i: gid for gid, i in by_id.items()}
    entries = []
    for i, cell in enumerate(student_nb.cells):
        if i in at:
            entries.append(_Entry(_fresh(restored[at[i]]), at[i], True))
        else:
            gid = _grade_id(cell)
            entries.append(_Entry(cell, None if gid in restored else gid, False))

    # reinsert deleted cells, in solution order, after the preceding grade_id present
    order = [_grade_id(c) for c in solution.nb.cells]
    for k, gid in enumerate(order):
        if gid not in restored or gid in by_id:
            continue
        present = [e.grade_id for e in entries]
        pos = None
        for before in reversed(order[:k]):
            if before is not None and before in present:
                pos = present.index(before) + 1
                break
        if pos is None:        # nothing before it: as near the top as in the solution
            pos = min(k, len(entries))
            for after in order[k + 1:]:
                if after is not None and after in present:
                    pos = min(pos, present.index(after))
                    break
        entries.insert(pos, _Entry(_fresh(restored[gid]), gid, True))
        by_id[gid] = -1                                   # placed

    cells = [e.cell for e in entries]
    tests = {e.grade_id: i for i, e in enumerate(entries) if e.restored}
    answers = {}
    for q in solution.questions:
        t = tests[q.grade_id]
        answers[q.grade_id] = None
        if q.answer_id is None:
            continue
        mine = [i for i, e in enumerate(entries) if not e.restored and e.grade_id == q.answer_id]
        if mine:
            answers[q.grade_id] = mine[0]
            continue
        # answer cell without its metadata: the nearest plain code cell before the test
        for i in range(t - 1, -1, -1):
            e = entries[i]
            if e.restored and e.grade_id in {x.grade_id for x in solution.questions}:
                break                                     # that is the previous question
            if not e.restored and e.cell.cell_type == "code" and e.grade_id is None:
                answers[q.grade_id] = i
                break
    return cells, tests, answers


# =========================================================================== executing
@dataclass
class Outcome:
    """What happened to one cell: ok, error, timeout, died, cap (stopped or not run: the
    notebook's wall-clock limit), empty (nothing to run) or skip (not a code cell).
    ``_Kernel.run`` also reports exit and stalled, which ``_execute`` resolves."""
    kind: str
    detail: str = ""


def _first_line(ename: str, evalue: str) -> str:
    text = f"{ename}: {evalue}" if evalue else ename
    lines = _ANSI.sub("", text).strip().splitlines()
    return lines[0].strip() if lines else ename


def _this_python_kernelspec_manager():
    """A KernelSpecManager whose 'python3' is always this interpreter's ipykernel.

    A user-level or system 'python3' kernelspec could point at another Python; grading
    must run with the packages of the environment the grader runs in.
    """
    from jupyter_client.kernelspec import KernelSpec, KernelSpecManager

    class ThisPython(KernelSpecManager):
        def get_kernel_spec(self, kernel_name):
            return KernelSpec(argv=[sys.executable, "-m", "ipykernel_launcher", "-f",
                                    "{connection_file}"],
                              display_name="Python 3", language="python", resource_dir="")

    return ThisPython()


class _Kernel:
    """One kernel driven through nbclient, one cell at a time, restartable."""

    def __init__(self, workdir: str):
        self.workdir = workdir
        self.client = None
        self.limit = DEFAULT_TIMEOUT

    async def start(self, attempts=3):
        """Start a fresh kernel. One that dies before answering (seen on a loaded machine:
        "Kernel died before replying to kernel_info") has run nothing of the student's, so it
        is started again rather than blamed on the submission."""
        for attempt in range(attempts):
            try:
                return await self._start_once()
            except RuntimeError:
                await self.stop()
                if attempt == attempts - 1:
                    raise

    async def _start_once(self):
        from jupyter_client.manager import AsyncKernelManager
        from nbclient import NotebookClient

        runner = self

        class Client(NotebookClient):
            def process_message(self, msg, cell, cell_index):
                kind = msg.get("msg_type")
                if kind == "execute_input":
                    runner.started = True
                elif kind == "status" and msg["content"].get("execution_state") == "idle":
                    runner.idle_at = monotonic()
                return super().process_message(msg, cell, cell_index)

            def output(self, outs, msg, display_id, cell_index):
                # keep only errors: a flood of prints or figures must not fill memory
                if msg.get("msg_type") == "error":
                    return super().output(outs, msg, display_id, cell_index)
                return None

        def on_executed(cell, cell_index, execute_reply):
            runner.reply = execute_reply

        km = AsyncKernelManager(kernel_name="python3",
                                kernel_spec_manager=_this_python_kernelspec_manager())
        self.client = Client(
            nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("")]), km=km,
            kernel_name="python3", allow_errors=True, interrupt_on_timeout=True,
            error_on_timeout={"ename": _TIMEOUT_SENTINEL, "evalue": "", "traceback": []},
            timeout_func=lambda cell: self.limit, record_timing=False,
            store_widget_state=False, iopub_timeout=4, startup_timeout=60,
            on_cell_executed=on_executed, resources={"metadata": {"path": self.workdir}})
        # the kernel's own stdout/stderr (not the cells' output) would only add noise
        await self.client.async_start_new_kernel(cwd=self.workdir, stdout=subprocess.DEVNULL,
                                                 stderr=subprocess.DEVNULL)
        await self.client.async_start_new_kernel_client()

    async def stop(self):
        client, self.client = self.client, None
        if client is None:
            return
        try:
            if client.kc is not None:
                client.kc.stop_channels()
        finally:
            try:
                await client.km.shutdown_kernel(now=True)
            except Exception:  # already dead and gone: nothing to shut down
                pass

    async def restart(self):
        await self.stop()
        await self.start()

    async def run(self, source: str, limit: float) -> Outcome:
        """Execute one cell with a time limit; never raises for anything the code does.

        Kinds: ok, error, timeout, died, exit (the cell called exit(): the kernel stops a
        moment later), stalled (the kernel never started the cell: a lost message, not the
        student's fault). A kernel that dies is blamed on the cell being run; the only
        usual way to kill it later, exit(), is recognised by its reply.
        """
        from nbclient.exceptions import CellTimeoutError, DeadKernelError

        self.limit = max(limit, 0.5)
        self.started, self.idle_at, self.reply = False, None, None
        cell = nbformat.v4.new_code_cell(source)
        t0 = monotonic()
        try:
            await self.client.async_execute_cell(cell, 0)
        except DeadKernelError:
            return Outcome("died")
        except CellTimeoutError:
            return Outcome("timeout")
        content = (self.reply or {}).get("content", {})
        errors = [o for o in cell.get("outputs", []) if o.get("output_type") == "error"]
        if content.get("ename") == _TIMEOUT_SENTINEL:
            interrupted = any(o.get("ename") == "KeyboardInterrupt" for o in errors)
            if (self.idle_at is not None and self.idle_at < t0 + self.limit - 0.05
                    and not interrupted):
                # it had finished: only the reply got lost (a known kernel hiccup)
                if errors:
                    return Outcome("error", _first_line(errors[0].get("ename", "Error"),
                                                        errors[0].get("evalue", "")))
                return Outcome("ok")
            return Outcome("timeout" if self.started else "stalled")
        if any(isinstance(p, dict) and p.get("source") == "ask_exit"
               for p in content.get("payload", []) or []):
            return Outcome("exit")               # exit()/quit(): the kernel stops soon after
        if content.get("status") == "error":
            return Outcome("error", _first_line(content.get("ename", "Error"),
                                                content.get("evalue", "")))
        return Outcome("ok")

    async def responsive(self, limit: float) -> bool:
        """After an interrupt: does the kernel answer a trivial request within ``limit`` s?"""
        return (await self.run("pass", limit)).kind == "ok"


async def _execute(cells, workdir, timeout, notebook_timeout) -> list[Outcome]:
    """Run every code cell in order, one Outcome per cell.

    A cell that hangs is interrupted; if the kernel then answers, execution goes on in it.
    If it does not answer, or the kernel dies (or the cell called exit()), that cell becomes
    a *culprit*: a fresh kernel is started, every earlier cell except the culprits is run
    again (to rebuild the state), and execution goes on with the next cell. Once the
    wall-clock cap is spent, the cells not run get the kind ``cap``.
    """
    outcomes = [Outcome("skip") if c.cell_type != "code" else
                Outcome("empty") if not c.source.strip() else None for c in cells]
    todo = [i for i, o in enumerate(outcomes) if o is None]
    culprits = set()           # cells never to run again (they hung or killed the kernel)
    kernel = _Kernel(workdir)
    await kernel.start()
    deadline = monotonic() + notebook_timeout
    grace = min(10.0, max(2.0, timeout))

    def left():
        return deadline - monotonic()

    async def run(i) -> Outcome | None:
        """Run cell i within both limits; None when the notebook's time is spent."""
        if left() <= 0:
            return None
        limit = min(timeout, left())
        r = await kernel.run(cells[i].source, limit)
        if r.kind == "timeout" and limit < timeout:
            return Outcome("cap", f"the notebook ran longer than its {notebook_timeout:g} s "
                                  "limit")
        return r

    async def fresh_kernel(upto) -> bool:
        """New kernel; rerun the cells before ``upto`` except culprits. False: out of time."""
        while True:
            await kernel.restart()
            for j in todo:
                if j >= upto:
                    return True
                if j in culprits:
                    continue
                r = await run(j)
                if r is None or r.kind == "cap":
                    return False
                if r.kind in ("died", "exit") or (
                        r.kind in ("timeout", "stalled") and not await kernel.responsive(grace)):
                    culprits.add(j)
                    break
            else:
                return True

    try:
        for i in todo:
            r = await run(i)
            if r is not None and r.kind == "stalled":
                if not await fresh_kernel(i):
                    break
                r = await run(i)                  # this cell gets one more chance
                if r is not None and r.kind == "stalled":
                    r = Outcome("timeout")
            if r is None:
                break
            outcomes[i] = Outcome("died") if r.kind == "exit" else r
            if r.kind == "cap":
                break
            if r.kind in ("died", "exit") or (
                    r.kind == "timeout" and not await kernel.responsive(grace)):
                culprits.add(i)
                if not await fresh_kernel(i + 1):
                    break
    finally:
        await kernel.stop()
    for i in todo:
        if outcomes[i] is None:
            outcomes[i] = Outcome("cap", f"not run: the notebook ran longer than its "
                                         f"{notebook_timeout:g} s limit")
    return outcomes


def _run_async(coro):
    """asyncio.run, also from inside a running event loop (e.g. called in a notebook)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coro)
    from concurrent.futures import ThreadPoolExecutor
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coro).result()


# =========================================================================== scoring
@dataclass
class QuestionResult:
    question: str
    points: float
    max_points: float
    status: str
    detail: str = ""      # first line of what went wrong ("" when passed)


@dataclass
class SubmissionResult:
    submission: str       # the path exactly as given
    student: str          # its parent folder's name
    results: list[QuestionResult]

    @property
    def points(self) -> float:
        return sum(r.points for r in self.results)

    @property
    def max_points(self) -> float:
        return sum(r.max_points for r in self.results)


def student_name(submission) -> str:
    """The name of the folder holding the submission (``submissions/alice/x.ipynb`` -> alice)."""
    return Path(os.path.abspath(submission)).parent.name


def _still_skeleton(source: str) -> bool:
    """Does the answer still hold the skeleton's ``raise NotImplementedError()``?"""
    return any(line.strip() == "raise NotImplementedError()" for line in source.split("\n"))


def _score(q: Question, test: Outcome, answer: Outcome | None, missing_answer: bool,
           timeout: float, answer_source: str = "") -> QuestionResult:
    def result(status, detail=""):
        return QuestionResult(q.grade_id, q.max_points if status == "passed" else 0.0,
                              q.max_points, status, detail)

    if test.kind == "ok":
        return result("passed")
    if test.kind == "cap":
        return result("timeout", test.detail)
    if test.kind == "timeout":
        return result("timeout", f"the test ran longer than the {timeout:g} s limit "
                                 "(an endless loop in your code?)")
    if test.kind == "died":
        return result("kernel died", "the Python kernel died while running the test "
                                     "(os._exit, a crash, or too much memory)")
    # the test raised: whose fault?
    if missing_answer:
        return result("error", f"your answer cell ({q.answer_id}) is missing")
    if answer is not None:
        if answer.kind == "timeout":
            return result("timeout", f"your answer ran longer than the {timeout:g} s limit "
                                     "and was stopped")
        if answer.kind == "cap":
            return result("timeout", answer.detail)
        if answer.kind == "died":
            return result("kernel died", "the Python kernel died while running your answer "
                                         "(os._exit, a crash, or too much memory)")
        if answer.kind == "error":
            return result("error", answer.detail)
        if answer.kind == "empty":
            return result("error", "your answer cell is empty")
    if test.detail.split(":")[0] == "NotImplementedError":
        return result("error", "NotImplementedError: the answer is not written yet "
                               "(the skeleton's 'raise NotImplementedError()' is still there)")
    if _still_skeleton(answer_source):      # a check may have turned it into an AssertionError
        return result("error", test.detail)
    return result("failed", test.detail)


def _solution(solution) -> Solution:
    """Check a loaded solution (what :func:`load_solution` returns)."""
    if not isinstance(solution, Solution):
        raise TypeError(f"solution must be a Solution (load_solution(folder)), got {v._describe(solution)}")
    return solution


def _timeouts(timeout, notebook_timeout) -> tuple[float, float]:
    """Check the limits in seconds (finite, > 0); the notebook's defaults to 10 x the cell's."""
    timeout = v.number("timeout", timeout, 0, low_open=True)
    if notebook_timeout is None:
        return timeout, NOTEBOOK_TIMEOUT_FACTOR * timeout
    return timeout, v.number("notebook_timeout", notebook_timeout, 0, low_open=True)


def _unreadable(solution: Solution, submission: str, why: str) -> SubmissionResult:
    return SubmissionResult(submission, student_name(submission), [
        QuestionResult(q.grade_id, 0.0, q.max_points, "unreadable", why)
        for q in solution.questions])


def grade_submission(solution: Solution, submission, timeout: float = DEFAULT_TIMEOUT,
                     notebook_timeout: float | None = None) -> SubmissionResult:
    """Grade one submitted notebook (path as given by the user). Never modifies it."""
    _solution(solution)
    v.path("submission", submission)
    submission = os.fspath(submission)
    timeout, notebook_timeout = _timeouts(timeout, notebook_timeout)
    nb, why = read_submission(submission)
    if nb is None:
        return _unreadable(solution, submission, why)
    cells, tests, answers = assemble(solution, nb)
    workdir = tempfile.mkdtemp(prefix="lrcourse-grade-")
    try:
        for f, rel in solution.data_files:
            target = Path(workdir, rel)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(f, target)
        outcomes = _run_async(_execute(cells, workdir, timeout, notebook_timeout))
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    results = []
    for q in solution.questions:
        a = answers[q.grade_id]
        results.append(_score(q, outcomes[tests[q.grade_id]],
                              outcomes[a] if a is not None else None,
                              q.answer_id is not None and a is None, timeout,
                              cells[a].source if a is not None else ""))
    return SubmissionResult(submission, student_name(submission), results)


def _grade_safely(solution, submission, timeout, notebook_timeout) -> SubmissionResult:
    """grade_submission, turning a failure of the grader itself into rows (not a crash)."""
    try:
        return grade_submission(solution, submission, timeout, notebook_timeout)
    except Exception as e:
        print(f"lrcourse grade: could not grade {submission}:\n{traceback.format_exc()}",
              file=sys.stderr)
        return SubmissionResult(submission, student_name(submission), [
            QuestionResult(q.grade_id, 0.0, q.max_points, "kernel died",
                           f"the grader failed to run this notebook ({type(e).__name__}: {e})")
            for q in solution.questions])


@dataclass
class GradeRun:
    solution: Solution
    submissions: list[SubmissionResult]   # in the order given
    timeout: float
    notebook_timeout: float


def grade(solution, submissions, *, timeout: float = DEFAULT_TIMEOUT,
          notebook_timeout: float | None = None, jobs: int | None = None,
          progress: bool | None = None) -> GradeRun:
    """Grade many submissions, ``jobs`` at a time (default: one per CPU core).

    ``solution``: a solution folder, notebook path, or a loaded ``Solution``.
    ``submissions``: a list of notebook paths, kept exactly as given. Results keep that order.
    ``timeout``, ``notebook_timeout``: limits in seconds per cell and per notebook (finite, > 0).
    ``jobs``: an integer >= 1 (None: one per CPU core).
    ``progress``: True or False: show a tqdm bar on stderr (None: only on a terminal).
    """
    from tqdm.auto import tqdm

    timeout, notebook_timeout = _timeouts(timeout, notebook_timeout)
    if jobs is not None:
        jobs = v.integer("jobs", jobs, 1)
    if progress is not None:
        progress = v.flag("progress", progress)
    try:
        if isinstance(submissions, (str, bytes, os.PathLike, dict)):
            raise TypeError
        subs = list(submissions)
    except TypeError:  # one path, or not a collection at all
        raise TypeError(f"submissions must be a list of notebook paths, got {v._describe(submissions)}") from None
    for k, s in enumerate(subs):
        v.path(f"submissions[{k}]", s)
    subs = [os.fspath(s) for s in subs]
    sol = solution if isinstance(solution, Solution) else load_solution(solution)
    jobs = max(1, min(jobs or os.cpu_count() or 1, len(subs) or 1))
    results: list[SubmissionResult | None] = [None] * len(subs)
    bar = tqdm(total=len(subs), desc="grading", unit="notebook", file=sys.stderr,
               disable=(None if progress is None else not progress))
    try:
        if jobs == 1:
            for k, s in enumerate(subs):
                results[k] = _grade_safely(sol, s, timeout, notebook_timeout)
                bar.update()
        else:
            with ProcessPoolExecutor(jobs, mp_context=get_context("spawn")) as pool:
                futures = {pool.submit(_grade_safely, sol, s, timeout, notebook_timeout): k
                           for k, s in enumerate(subs)}
                for fut in as_completed(futures):
                    results[futures[fut]] = fut.result()
                    bar.update()
    finally:
        bar.close()
    return GradeRun(sol, results, timeout, notebook_timeout)
