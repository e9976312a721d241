"""Batch grading of submitted notebooks against a solution notebook.

For each submission (never modified: it is read once into memory):

1. **Read** it (nbformat v3 and every v4.x are converted to the current v4). Empty,
   non-JSON or non-notebook files get status ``unreadable``.
2. **Restore** the graded test cells (with their hidden tests) and the read-only cells from
   the solution, by ``grade_id``: an edited or emptied one is replaced, a deleted one is
   reinserted right after the cell carrying the preceding ``grade_id`` of the solution.
   The student's answers and extra cells stay where they are.
3. **Execute** the result in a fresh ``python3`` kernel of this environment, inside a
   bubblewrap sandbox (sandbox.py) when available, started in a temporary folder holding
   the assignment's data files, with ``LRCOURSE_GRADE_SEED`` set (a seed per submission).
   The kernel's first cell, before any student code, installs ``kernel_side`` (pristine
   references, an audit hook, a verdict key). Each cell has a time limit (``timeout``), the
   whole notebook a wall-clock cap (``notebook_timeout``). A cell that runs too long is
   interrupted (like the stop button); if the kernel does not come back, or if it dies
   (``os._exit``, a crash, out of memory), a fresh kernel is started, the earlier cells are
   run again without the culprit, and grading goes on with the next cell. So a broken
   answer costs only the questions it breaks.
4. **Score** each graded test cell from its signed verdict (``kernel_side.run_test``), not
   from the kernel's reply, error names or printed text: it passes when it ran without
   raising (stderr and warnings don't matter) and nothing was tampered with, and is then
   worth its ``metadata.nbgrader.points``.

Statuses per question: ``passed``; ``failed`` (the test raised although the answer it
tests ran); ``error`` (the answer raised, e.g. the skeleton's NotImplementedError, is empty
or missing; or the grader could not grade the notebook); ``timeout``; ``kernel died``;
``unreadable``; ``tampered`` (0 points: library functions, IPython hooks or the grader's
tools were changed, frames or interpreter internals inspected, comparisons overridden;
detected in the kernel and by reading the student's cells: heuristics, see kernel_side.py).

Submissions are graded in worker processes: one killed by a submission costs only that
submission (status ``error``).
"""
from __future__ import annotations

import ast
import asyncio
import copy
import hashlib
import json
import os
import re
import secrets
import shutil
import subprocess
import sys
import tempfile
import traceback
from dataclasses import dataclass, field
from multiprocessing import get_context
from pathlib import Path
from time import monotonic

import nbformat

from .. import _validate as v
from . import sandbox
from .sandbox import Limits
from .release import (_notebook, assignment_files, find_solution_notebook, is_grade, is_locked,
                      is_solution, nbgrader_meta, release_notebook)

__all__ = [
    "STATUSES", "Question", "Solution", "QuestionResult", "SubmissionResult", "GradeRun",
    "load_solution", "read_submission", "assemble", "grade_submission", "grade",
    "student_names", "duplicate_students", "suspicious", "resolve_sandbox", "Options",
]

STATUSES = ("passed", "failed", "error", "timeout", "kernel died", "unreadable", "tampered")
DEFAULT_TIMEOUT = 60.0          # seconds per cell
NOTEBOOK_TIMEOUT_FACTOR = 10    # default wall-clock cap = 10 x the cell limit
DETAIL_LIMIT = 500              # characters of a failure message kept for feedback
AUDIT_READ_LIMIT = 4 * 2**20    # bytes of the kernel's audit file read per cell
MAX_NOTEBOOK_BYTES = 64 * 2**20  # a larger submission is 'unreadable' (not read into memory)
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


def setup_imports(solution: Solution) -> str:
    """The top-level import statements of the solution's read-only cells (``import numpy as
    np``, ``from lrcourse.checks import ex01``): each test runs them again, so a student who
    rebinds such a name (``ex01 = something_else``) cannot change what the test calls."""
    lines = []
    for gid, cell in _solution(solution).restored.items():
        if cell.cell_type != "code" or is_grade(cell):
            continue
        try:
            tree = ast.parse(cell.source)
        except SyntaxError:
            continue
        lines += [ast.unparse(n) for n in tree.body if isinstance(n, (ast.Import, ast.ImportFrom))
                  and not (isinstance(n, ast.ImportFrom) and n.module == "__future__")]
    return "\n".join(dict.fromkeys(lines))


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
        if path.stat().st_size > MAX_NOTEBOOK_BYTES:
            return None, f"file too large (over {MAX_NOTEBOOK_BYTES // 2**20} MB)"
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
        # v3 (and older v4.x) are converted; v3's node class is not nbformat's: rebuild
        nb = nbformat.from_dict(nbformat.reads(text, as_version=4, capture_validation_error={}))
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
    ``_Kernel.run`` also reports exit and stalled, which ``_execute`` resolves.
    ``tamper``: what the in-kernel checks reported while this cell (and, for a test cell, the
    student cells since the previous test) ran."""
    kind: str
    detail: str = ""
    tamper: list = field(default_factory=list)


@dataclass
class Options:
    """How kernels are run: sandboxed or not, their limits, the seed they are given."""
    sandbox: bool = False
    limits: Limits = field(default_factory=Limits)
    seed: int | None = None


def _first_line(ename: str, evalue: str) -> str:
    text = f"{ename}: {evalue}" if evalue else ename
    lines = _ANSI.sub("", text).strip().splitlines()
    return lines[0].strip()[:DETAIL_LIMIT] if lines else ename


def _this_python_kernelspec_manager(argv):
    """A KernelSpecManager whose 'python3' runs ``argv`` (this interpreter's ipykernel,
    perhaps inside the sandbox), interrupted by message (a signal would hit bwrap).

    A user-level or system 'python3' kernelspec could point at another Python; grading
    must run with the packages of the environment the grader runs in.
    """
    from jupyter_client.kernelspec import KernelSpec, KernelSpecManager

    class ThisPython(KernelSpecManager):
        def get_kernel_spec(self, kernel_name):
            return KernelSpec(argv=list(argv), display_name="Python 3", language="python",
                              resource_dir="", interrupt_mode="message")

    return ThisPython()


def _kernel_env(opts: Options, pythonpath: str) -> dict:
    env = {"PATH": os.pathsep.join([os.path.dirname(sys.executable), "/usr/local/bin",
                                    "/usr/bin", "/bin"]),
           "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8", "PYTHONPATH": pythonpath,
           "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
           "PYDEVD_DISABLE_FILE_VALIDATION": "1", "USER": "student", "LOGNAME": "student"}
    if opts.seed is not None:
        env["LRCOURSE_GRADE_SEED"] = str(opts.seed)
    if "MPLBACKEND" in os.environ:
        env["MPLBACKEND"] = os.environ["MPLBACKEND"]
    return env


class _Kernel:
    """One kernel driven through nbclient, one cell at a time, restartable.

    Each kernel gets a fresh write-only descriptor on the run's audit file (outside the
    sandbox): the first cell installs ``kernel_side``, which writes its verdict key there;
    test verdicts and tamper events follow on the same file."""

    def __init__(self, base: str, opts: Options):
        self.base, self.opts = base, opts
        self.workdir = os.path.join(base, "work")
        self.ipcdir = os.path.join(base, "ipc")
        self.audit = os.path.join(base, "audit.log")
        self.client = None
        self.limit = DEFAULT_TIMEOUT
        self.key = None
        self.offset = 0
        self.verdicts: dict[str, list] = {}
        self.events: list[str] = []
        self.uid = None

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

    def _command(self):
        if self.opts.sandbox:
            kernel_side = f"{sandbox.PACKAGE_MOUNT}/lrcourse/grading/kernel_side.py"
            env = _kernel_env(self.opts, sandbox.PACKAGE_MOUNT)
            env.update(HOME="/tmp", MPLCONFIGDIR="/tmp/matplotlib", IPYTHONDIR="/tmp/ipython",
                       JUPYTER_RUNTIME_DIR="/tmp/jupyter", JUPYTER_CONFIG_DIR="/tmp/jupyter",
                       JUPYTER_DATA_DIR="/tmp/jupyter")
            argv = sandbox.command([sys.executable, "-m", "ipykernel_launcher", "-f",
                                    "{connection_file}"], workdir=self.workdir,
                                   ipcdir=self.ipcdir, uid=self.uid, env=env,
                                   limits=self.opts.limits)
            return argv, kernel_side, None
        kernel_side = os.path.join(sandbox.package_dir(), "grading", "kernel_side.py")
        env = dict(os.environ)
        env.update(_kernel_env(self.opts, os.pathsep.join(
            [str(sandbox.package_dir().parent)] + [p for p in [os.environ.get("PYTHONPATH")]
                                                     if p])))
        env["PATH"] = os.environ.get("PATH", env["PATH"])
        return ([sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
                kernel_side, env)

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
                if msg.get("msg_type") == "error" and len(outs) < 3:
                    content = msg.get("content", {})
                    outs.append({"output_type": "error",
                                 "ename": str(content.get("ename", "Error"))[:200],
                                 "evalue": str(content.get("evalue", ""))[:DETAIL_LIMIT]})
                return None

            async def _async_handle_timeout(self, timeout, cell=None):
                runner.timed_out = True          # our own timer, not a name in the reply
                return await super()._async_handle_timeout(timeout, cell)

        def on_executed(cell, cell_index, execute_reply):
            runner.reply = execute_reply

        class Manager(AsyncKernelManager):
            def write_connection_file(self, **kw):
                super().write_connection_file(**kw)
                if runner.uid is not None:            # the kernel runs as its own user
                    os.chown(self.connection_file, runner.uid, runner.uid)

        for d in (self.workdir, self.ipcdir):
            os.makedirs(d, exist_ok=True)
        if self.opts.sandbox and self.uid is None:
            self.uid = sandbox.prepare([self.workdir, self.ipcdir])
        argv, kernel_side, env = self._command()
        km = Manager(kernel_name="python3", kernel_spec_manager=_this_python_kernelspec_manager(argv))
        if self.opts.sandbox:
            km.transport = "ipc"                      # no network inside the sandbox
            km.ip = os.path.join(self.ipcdir, "k")
            km.connection_file = os.path.join(self.ipcdir, "kernel.json")
        self.client = Client(
            nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("")]), km=km,
            kernel_name="python3", allow_errors=True, interrupt_on_timeout=True,
            error_on_timeout={"ename": "Timeout", "evalue": "", "traceback": []},
            timeout_func=lambda cell: self.limit, record_timing=False,
            store_widget_state=False, iopub_timeout=4, startup_timeout=60,
            on_cell_executed=on_executed, resources={"metadata": {"path": self.workdir}})
        fd = os.open(self.audit, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            kw = {"env": env} if env is not None else {}
            # the kernel's own stdout/stderr (not the cells' output) would only add noise
            await self.client.async_start_new_kernel(cwd=self.workdir, stdout=subprocess.DEVNULL,
                                                     stderr=subprocess.DEVNULL, pass_fds=(fd,),
                                                     **kw)
        finally:
            os.close(fd)
        await self.client.async_start_new_kernel_client()
        self.key = None
        prelude = (
            "def __lrcourse_prelude():\n"
            "    import importlib.util, sys\n"
            f"    spec = importlib.util.spec_from_file_location('lrcourse_kernel_side', "
            f"{kernel_side!r})\n"
            "    module = importlib.util.module_from_spec(spec)\n"
            "    sys.modules['lrcourse_kernel_side'] = module\n"
            "    spec.loader.exec_module(module)\n"
            f"    module.install({fd}, {sandbox.library_roots()!r})\n"
            "__lrcourse_prelude()\n"
            "del __lrcourse_prelude\n")
        r = await self.run(prelude, 120)
        self._read()
        if r.kind != "ok" or self.key is None:
            raise RuntimeError(f"the grader's setup cell failed in the kernel ({r.kind}: "
                               f"{r.detail})")

    def _read(self):
        """Read what the kernel wrote to the audit file since last time."""
        import hmac
        try:
            with open(self.audit, "rb") as f:
                f.seek(self.offset)
                data = f.read(AUDIT_READ_LIMIT)
        except OSError:
            return
        end = data.rfind(b"\n") + 1
        self.offset += end
        for raw in data[:end].split(b"\n"):
            line = raw.decode("utf-8", "replace")
            if line.startswith("LRC-KEY ") and self.key is None:
                self.key = bytes.fromhex(line[8:].strip())
            elif line.startswith("LRC-EVENT "):
                if len(self.events) < 50:
                    self.events.append("suspicious call: " + line[10:].strip()[:200])
            elif line.startswith("LRC-VERDICT ") and self.key is not None:
                parts = line.split(" ", 2)
                if len(parts) != 3:
                    continue
                mac = hmac.new(self.key, parts[2].encode(), "sha256").hexdigest()
                if not hmac.compare_digest(mac, parts[1]):
                    self.events.append("a forged test verdict was written")
                    continue
                try:
                    nonce, ok, message, tamper = ast.literal_eval(parts[2])
                except (ValueError, SyntaxError):
                    continue
                self.verdicts.setdefault(nonce, []).append((ok, message, list(tamper)))

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
        usual way to kill it later, exit(), is recognised by its reply. (The reply can be
        forged by student code: it only decides whose fault a failed test is, never
        whether a test passed; see :meth:`run_test`.)
        """
        from nbclient.exceptions import CellTimeoutError, DeadKernelError

        self.limit = max(limit, 0.5)
        self.started, self.idle_at, self.reply, self.timed_out = False, None, None, False
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
        if self.timed_out:
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
        if errors:
            return Outcome("error", _first_line(errors[0].get("ename", "Error"),
                                                errors[0].get("evalue", "")))
        if content.get("status") == "error":
            return Outcome("error", _first_line(str(content.get("ename", "Error")),
                                                str(content.get("evalue", ""))))
        return Outcome("ok")

    async def run_test(self, source: str, name: str, limit: float, imports: str = "") -> Outcome:
        """Run a test cell through ``kernel_side.run_test`` and decide from its signed
        verdict alone: ok only with exactly one valid verdict saying so. ``imports``: the
        import statements of the solution's read-only cells, run again for the test."""
        import secrets
        nonce = secrets.token_hex(16)
        code = ("__import__('sys').modules['lrcourse_kernel_side'].run_test("
                f"{nonce!r}, {name!r}, {source!r}, {imports!r})")
        r = await self.run(code, limit)
        self._read()
        if r.kind in ("timeout", "died", "exit", "stalled"):
            return r
        found = self.verdicts.pop(nonce, [])
        if len(found) != 1:     # run_test always reports once, unless something stopped it
            return Outcome("error", "the test did not report its result",
                           ["the test's verdict never arrived: the kernel's machinery was "
                            "changed (input transformers, run_test replaced, ...)"] if not found
                           else ["more than one verdict for one test"])
        ok, message, tamper = found[0]
        if ok:
            return Outcome("ok", "", tamper)
        return Outcome("error", _first_line(message, ""), tamper)

    def take_events(self) -> list[str]:
        self._read()
        events, self.events = self.events, []
        return events

    async def responsive(self, limit: float) -> bool:
        """After an interrupt: does the kernel answer a trivial request within ``limit`` s?"""
        return (await self.run("pass", limit)).kind == "ok"


async def _execute(cells, tests, base, timeout, notebook_timeout, opts,
                   imports: str = "") -> list[Outcome]:
    """Run every code cell in order, one Outcome per cell (test cells, the indices in
    ``tests`` mapped to their names, through ``_Kernel.run_test``).

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
    kernel = _Kernel(base, opts)
    await kernel.start()
    deadline = monotonic() + notebook_timeout
    grace = min(10.0, max(2.0, timeout))
    pending: list[str] = []    # tamper events since the last test

    def left():
        return deadline - monotonic()

    async def run(i) -> Outcome | None:
        """Run cell i within both limits; None when the notebook's time is spent."""
        if left() <= 0:
            return None
        limit = min(timeout, left())
        if i in tests:
            r = await kernel.run_test(cells[i].source, tests[i], limit, imports)
        else:
            r = await kernel.run(cells[i].source, limit)
        pending.extend(kernel.take_events())
        if i in tests:
            r.tamper = list(dict.fromkeys(pending + r.tamper))
            pending.clear()
        if r.kind == "timeout" and limit < timeout:
            return Outcome("cap", f"the notebook ran longer than its {notebook_timeout:g} s "
                                  "limit", r.tamper)
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
                    r = Outcome("timeout", "", r.tamper)
            if r is None:
                break
            outcomes[i] = Outcome("died", "", r.tamper) if r.kind == "exit" else r
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
    student: str          # the student's name (see student_names)
    results: list[QuestionResult]
    seed: int | None = None                          # LRCOURSE_GRADE_SEED of its kernels
    notes: list[str] = field(default_factory=list)   # for the teacher's report

    @property
    def points(self) -> float:
        return sum(r.points for r in self.results)

    @property
    def max_points(self) -> float:
        return sum(r.max_points for r in self.results)


def student_name(submission) -> str:
    """The name of the folder holding the submission (``submissions/alice/x.ipynb`` -> alice)."""
    return Path(os.path.abspath(submission)).parent.name


def student_names(submissions, assignment: str | None = None, level: int | None = None):
    """The student of each submission path.

    ``level``: which path component names the student, counted up from the notebook
    (0: the file name without .ipynb, 1: its folder, 2: the folder above, ...). None: guess
    it: nbgrader's ``submitted/<student>/<assignment>/<nb>.ipynb`` and ``autograded/...``
    layouts give the folder after ``submitted``/``autograded``; a folder named after the
    assignment gives the folder above it; notebooks side by side in one folder (a flat
    folder) are named by their file names; otherwise the folder holding the notebook.
    """
    paths = [Path(os.path.abspath(s)) for s in submissions]
    if level is not None:
        level = v.integer("level", level, 0)
        names = []
        for p in paths:
            parts = p.with_suffix("").parts if level == 0 else p.parts
            if level >= len(p.parts) - 1:
                raise ValueError(f"level={level}: {p} has no folder that high up")
            names.append(p.stem if level == 0 else parts[-1 - level])
        return names
    by_folder: dict[Path, int] = {}
    for p in paths:
        by_folder[p.parent] = by_folder.get(p.parent, 0) + 1
    names = []
    for p in paths:
        parts = p.parts
        mark = max((k for k, x in enumerate(parts) if x in ("submitted", "autograded")),
                   default=None)
        if mark is not None and len(parts) - mark >= 4:
            names.append(parts[mark + 1])
        elif assignment and p.parent.name == assignment and len(parts) >= 3:
            names.append(parts[-3])
        elif by_folder[p.parent] > 1 and p.stem != assignment:
            names.append(p.stem)
        else:
            names.append(p.parent.name)
    return names


def duplicate_students(submissions, names) -> dict[str, list[str]]:
    """{student: [paths]} for every name given to different files."""
    seen: dict[str, dict[str, str]] = {}
    for s, n in zip(submissions, names):
        seen.setdefault(n, {}).setdefault(os.path.realpath(s), s)
    return {n: list(files.values()) for n, files in seen.items() if len(files) > 1}


def _still_skeleton(source: str) -> bool:
    """Does the answer still hold the skeleton's ``raise NotImplementedError()``?"""
    return any(line.strip() == "raise NotImplementedError()" for line in source.split("\n"))


# what honest answers never need; a hit makes the next question 'tampered' (a heuristic)
_SUSPICIOUS = [
    (re.compile(r"\b_getframe\b|\bcurrentframe\b|\bf_back\b|\bf_locals\b|\bf_globals\b|"
                r"\btb_frame\b|\bgi_frame\b|\binspect\s*\.\s*(stack|trace|getouterframes)\b"),
     "reads the frames of the code calling it (frame inspection)"),
    (re.compile(r"\bdef\s+(__eq__|__ne__|__lt__|__le__|__gt__|__ge__|__bool__|__array_ufunc__|"
                r"__array_function__|__instancecheck__)\b"),
     "defines a class with overridden comparisons"),
    (re.compile(r"\binput_transformers_(cleanup|post)\b|\bast_transformers\b|"
                r"\bevents\s*\.\s*register\b|\bpost_run_cell\b|\bpre_run_cell\b|"
                r"\bpost_execute\b|\bset_custom_exc\b|\bshowtraceback\b|\bexcepthook\b|"
                r"\bdisplayhook\b"), "changes IPython's machinery (hooks, transformers)"),
    (re.compile(r"\bgc\s*\.\s*get_(objects|referrers|referents)\b|\bctypes\b|"
                r"\bsys\s*\.\s*(settrace|setprofile|addaudithook)\b|\b__code__\s*=[^=]|"
                r"\blrcourse_kernel_side\b|\bkernel_side\b"),
     "uses interpreter internals (gc, ctypes, trace hooks, code objects)"),
    (re.compile(r"\b(np|numpy|math|builtins|__builtins__)\s*\.\s*\w+\s*=[^=]|"
                r"\bsetattr\s*\(\s*(np|numpy|math|builtins|__builtins__|lrcourse|checks|ex\d+)\b|"
                r"\bex\d+\s*\.\s*\w+\s*=[^=]|"
                r"\bsys\s*\.\s*modules\s*\["), "replaces library functions (monkey-patching)"),
    (re.compile(r"\b__closure__\b|\bcell_contents\b|\b__globals__\b|\b__defaults__\b|\b__kwdefaults__\b"),
     "reads or changes what a function closes over (closures, globals, defaults)"),
    (re.compile(r"\bex\d+\s*\.\s*_\w|\bcase_rng\b|\bLRCOURSE_GRADE_SEED\b"),
     "uses the checks' private references or the grader's seed"),
]
_CHECKS = re.compile(r"\blrcourse\s*\.\s*checks\b|\bfrom\s+lrcourse\s+import\b[^\n]*\bchecks\b")


def suspicious(source: str, answer: bool = False) -> list[str]:
    """Why a student's cell looks like an attempt to fool the grader (static, heuristic)."""
    found = [why for rx, why in _SUSPICIOUS if rx.search(source)]
    if answer and _CHECKS.search(source):
        found.append("reaches into lrcourse.checks from an answer (where the references live)")
    return found


def _hidden_message(q: Question, detail: str, hidden: bool) -> str:
    """A failed test's message for feedback: never the test's source or literal inputs."""
    if detail in ("", "AssertionError") or detail.startswith("AssertionError: \n"):
        return (f"a hidden test of {q.grade_id} failed" if hidden
                else f"a test of {q.grade_id} failed")
    return detail


def _score(q: Question, test: Outcome, answer: Outcome | None, missing_answer: bool,
           timeout: float, answer_source: str = "", static: list | None = None,
           hidden: bool = False) -> QuestionResult:
    def result(status, detail=""):
        return QuestionResult(q.grade_id, q.max_points if status == "passed" else 0.0,
                              q.max_points, status, detail[:DETAIL_LIMIT])

    tamper = list(dict.fromkeys((static or []) + list(test.tamper)))
    if tamper:
        return result("tampered", "; ".join(tamper))
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
    detail = _hidden_message(q, test.detail, hidden)
    if _still_skeleton(answer_source):      # a check may have turned it into an AssertionError
        return result("error", detail)
    return result("failed", detail)


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


def _all_rows(solution: Solution, submission: str, student: str, status: str, why: str,
              seed=None) -> SubmissionResult:
    return SubmissionResult(submission, student, [
        QuestionResult(q.grade_id, 0.0, q.max_points, status, why[:DETAIL_LIMIT])
        for q in solution.questions], seed)


def grade_submission(solution: Solution, submission, timeout: float = DEFAULT_TIMEOUT,
                     notebook_timeout: float | None = None, *, student: str | None = None,
                     options: Options | None = None) -> SubmissionResult:
    """Grade one submitted notebook (path as given by the user). Never modifies it.

    ``options``: sandbox, limits and seed of its kernels (default: no sandbox, a random seed).
    """
    _solution(solution)
    v.path("submission", submission)
    submission = os.fspath(submission)
    timeout, notebook_timeout = _timeouts(timeout, notebook_timeout)
    if options is not None and not isinstance(options, Options):
        raise TypeError(f"options must be an Options, got {v._describe(options)}")
    opts = options if options is not None else Options(seed=secrets.randbelow(2**31))
    student = student_name(submission) if student is None else v.text("student", student)
    nb, why = read_submission(submission)
    if nb is None:
        return _all_rows(solution, submission, student, "unreadable", why, opts.seed)
    cells, tests, answers = assemble(solution, nb)
    restored = {i for i in tests.values()}
    base = tempfile.mkdtemp(prefix="lrcourse-grade-")
    try:
        os.chmod(base, 0o711)
        work = os.path.join(base, "work")
        os.makedirs(work)
        for f, rel in solution.data_files:
            target = Path(work, rel)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(f, target)
            os.chmod(target, 0o644)
        by_index = {i: gid for gid, i in tests.items()
                    if gid in {q.grade_id for q in solution.questions}}
        outcomes = _run_async(_execute(cells, by_index, base, timeout, notebook_timeout, opts,
                                       setup_imports(solution)))
    finally:
        shutil.rmtree(base, ignore_errors=True)
    # static look at the student's own cells: a hit counts against the next question
    answer_cells = {a for a in answers.values() if a is not None}
    order = sorted((i, q) for q, i in tests.items() if q in by_index.values())
    static: dict[str, list[str]] = {}
    for i, cell in enumerate(cells):
        if i in restored or cell.cell_type != "code":
            continue
        hits = suspicious(cell.source, answer=i in answer_cells)
        nxt = next((q for t, q in order if t > i), None)
        if hits and nxt is not None:
            static.setdefault(nxt, []).extend(f"your code {h}" for h in hits)
    results, notes = [], []
    for q in solution.questions:
        a = answers[q.grade_id]
        test_cell = cells[tests[q.grade_id]]
        r = _score(q, outcomes[tests[q.grade_id]], outcomes[a] if a is not None else None,
                   q.answer_id is not None and a is None, timeout,
                   cells[a].source if a is not None else "",
                   list(dict.fromkeys(static.get(q.grade_id, []))),
                   "BEGIN HIDDEN TESTS" in test_cell.source)
        if r.status == "tampered":
            notes.append(f"{q.grade_id}: tampered: {r.detail}")
        results.append(r)
    return SubmissionResult(submission, student, results, opts.seed, notes)


def _grade_safely(solution, submission, timeout, notebook_timeout, student=None,
                  options=None) -> SubmissionResult:
    """grade_submission, turning a failure of the grader itself into rows (not a crash)."""
    try:
        return grade_submission(solution, submission, timeout, notebook_timeout,
                                student=student, options=options)
    except Exception as e:
        print(f"lrcourse grade: could not grade {submission}:\n{traceback.format_exc()}",
              file=sys.stderr)
        name = student if student is not None else student_name(submission)
        result = _all_rows(solution, submission, name, "error",
                           f"the grader failed to run this notebook ({type(e).__name__}: {e})",
                           getattr(options, "seed", None))
        result.notes.append(f"grader failure: {type(e).__name__}: {e}")
        return result


def _worker(conn, solution, timeout, notebook_timeout):
    """A grading process: grade the submissions it is sent until it is sent None."""
    try:
        while True:
            task = conn.recv()
            if task is None:
                return
            k, submission, student, options = task
            conn.send((k, _grade_safely(solution, submission, timeout, notebook_timeout,
                                        student, options)))
    except (EOFError, OSError, KeyboardInterrupt):
        return


def _pool(solution, tasks, jobs, timeout, notebook_timeout, done):
    """Grade ``tasks`` [(k, submission, student, options)] in ``jobs`` worker processes.

    A worker that dies (killed by a submission, out of memory) costs only the submission it
    was grading, which gets the status ``error``; a fresh worker takes its place. ``done``
    is called with (k, result) as results come in."""
    from multiprocessing.connection import wait

    ctx = get_context("spawn")
    queue = list(reversed(tasks))
    workers = {}                      # connection -> [process, task or None, started]
    limit = notebook_timeout * 2 + 180

    def spawn():
        parent, child = ctx.Pipe()
        p = ctx.Process(target=_worker, args=(child, solution, timeout, notebook_timeout),
                        daemon=True)
        p.start()
        child.close()
        workers[parent] = [p, None, 0.0]

    def feed(conn):
        w = workers[conn]
        w[1] = queue.pop() if queue else None
        w[2] = monotonic()
        try:
            conn.send(w[1])
        except OSError:              # the worker died between two notebooks: not their fault
            if w[1] is not None:
                queue.append(w[1])
                w[1] = None
            lost(conn, "")

    def lost(conn, why):
        p, task, _ = workers.pop(conn)
        if p.is_alive():
            p.kill()
        p.join(5)
        conn.close()
        if task is not None:
            k, submission, student, options = task
            r = _all_rows(solution, submission, student, "error", why, options.seed)
            r.notes.append(f"error: {why}")
            done(k, r)
        if queue:
            spawn()
            feed(list(workers)[-1])

    for _ in range(min(jobs, len(tasks))):
        spawn()
    for conn in list(workers):
        feed(conn)
    while any(w[1] is not None for w in workers.values()):
        busy = {c: w for c, w in workers.items() if w[1] is not None}
        ready = wait(list(busy) + [w[0].sentinel for w in busy.values()], timeout=5)
        for conn, w in list(busy.items()):
            if conn in ready:
                try:
                    k, result = conn.recv()
                except (EOFError, OSError):
                    lost(conn, "the grading process died while grading this notebook "
                               "(killed by the notebook?)")
                    continue
                done(k, result)
                feed(conn)
            elif w[0].sentinel in ready or not w[0].is_alive():
                lost(conn, "the grading process died while grading this notebook "
                           "(killed by the notebook?)")
            elif monotonic() - w[2] > limit:
                lost(conn, f"grading this notebook took longer than {limit:g} s")
    for conn, w in list(workers.items()):
        try:
            conn.send(None)
        except OSError:
            pass
        w[0].join(10)
        if w[0].is_alive():
            w[0].kill()
        conn.close()


@dataclass
class GradeRun:
    solution: Solution
    submissions: list[SubmissionResult]   # in the order given
    timeout: float
    notebook_timeout: float
    sandbox: bool = False
    notes: list[str] = field(default_factory=list)   # for the teacher's report


def resolve_sandbox(mode: str) -> tuple[bool, str]:
    """(sandboxed?, a warning or "") for --sandbox auto|require|off."""
    mode = v.choice("sandbox", mode, sandbox.SANDBOX_MODES)
    if mode == "off":
        return False, ("WARNING: grading WITHOUT a sandbox (--sandbox off): students' code "
                       "runs with your permissions and can read the solutions and change files.")
    if sandbox.available():
        return True, ""
    if mode == "require":
        raise RuntimeError("--sandbox require: bubblewrap (bwrap) is missing or does not work "
                           "here (Debian/Ubuntu: apt-get install bubblewrap)")
    return False, ("WARNING: bubblewrap (bwrap) is missing or does not work here: grading "
                   "WITHOUT a sandbox. Students' code runs with your permissions and can read "
                   "the solutions and change files. Install bubblewrap (apt-get install "
                   "bubblewrap) or pass --sandbox require to refuse to run without it.")


def submission_seed(base: int | None, submission: str) -> int:
    """The LRCOURSE_GRADE_SEED of a submission: random, or derived from ``base`` and the
    path (so --seed reproduces every submission's hidden cases)."""
    if base is None:
        return secrets.randbelow(2**31)
    digest = hashlib.sha256(f"{base}:{submission}".encode()).digest()
    return int.from_bytes(digest[:4], "big") % 2**31


def grade(solution, submissions, *, timeout: float = DEFAULT_TIMEOUT,
          notebook_timeout: float | None = None, jobs: int | None = None,
          progress: bool | None = None, sandbox: str = "auto", seed: int | None = None,
          students=None, limits: Limits | None = None) -> GradeRun:
    """Grade many submissions, ``jobs`` at a time (default: one per CPU core).

    ``solution``: a solution folder, notebook path, or a loaded ``Solution``.
    ``submissions``: a list of notebook paths, kept exactly as given. Results keep that order.
    ``timeout``, ``notebook_timeout``: limits in seconds per cell and per notebook (finite, > 0).
    ``jobs``: an integer >= 1 (None: one per CPU core).
    ``progress``: True or False: show a tqdm bar on stderr (None: only on a terminal).
    ``sandbox``: "auto" (bubblewrap when it works here, else a loud warning), "require"
    (RuntimeError without it) or "off".
    ``seed``: base of the per-submission seeds (None: random ones); ``students``: the name
    of each submission's student (None: :func:`student_names`); ``limits``: the kernels'
    resource limits in the sandbox.
    """
    from tqdm.auto import tqdm

    timeout, notebook_timeout = _timeouts(timeout, notebook_timeout)
    if jobs is not None:
        jobs = v.integer("jobs", jobs, 1)
    if progress is not None:
        progress = v.flag("progress", progress)
    if seed is not None:
        seed = v.integer("seed", seed, 0)
    if limits is not None and not isinstance(limits, Limits):
        raise TypeError(f"limits must be a sandbox.Limits, got {v._describe(limits)}")
    try:
        if isinstance(submissions, (str, bytes, os.PathLike, dict)):
            raise TypeError
        subs = list(submissions)
    except TypeError:  # one path, or not a collection at all
        raise TypeError(f"submissions must be a list of notebook paths, got {v._describe(submissions)}") from None
    for k, s in enumerate(subs):
        v.path(f"submissions[{k}]", s)
    subs = [os.fspath(s) for s in subs]
    sandboxed, warning = resolve_sandbox(sandbox)
    sol = solution if isinstance(solution, Solution) else load_solution(solution)
    if students is None:
        names = student_names(subs, sol.path.parent.name)
    else:
        if not isinstance(students, (list, tuple)):
            raise TypeError(f"students must be a list of names, got {v._describe(students)}")
        names = [v.text(f"students[{k}]", n) for k, n in enumerate(students)]
        if len(names) != len(subs):
            raise ValueError(f"students must name each of the {len(subs)} submissions, "
                             f"got {len(names)} names")
    jobs = max(1, min(jobs or os.cpu_count() or 1, len(subs) or 1))
    results: list[SubmissionResult | None] = [None] * len(subs)
    if limits is None:           # CPU seconds: enough for the whole notebook, not more
        limits = Limits(cpu_s=int(min(notebook_timeout, 1e7) * 1.2) + 60)
    tasks = [(k, s, names[k], Options(sandboxed, limits, submission_seed(seed, s)))
             for k, s in enumerate(subs)]
    bar = tqdm(total=len(subs), desc="grading", unit="notebook", file=sys.stderr,
               disable=(None if progress is None else not progress))

    def done(k, result):
        results[k] = result
        bar.update()

    if warning:
        print(warning, file=sys.stderr)
    try:
        if jobs == 1 and sandboxed:          # the sandbox keeps the grader out of reach
            for k, s, name, opts in tasks:
                done(k, _grade_safely(sol, s, timeout, notebook_timeout, name, opts))
        elif tasks:
            _pool(sol, tasks, jobs, timeout, notebook_timeout, done)
    finally:
        bar.close()
    notes = [warning] if warning else []
    return GradeRun(sol, results, timeout, notebook_timeout, sandboxed, notes)
