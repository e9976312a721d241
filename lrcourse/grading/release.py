"""Solutions -> exercises, the way nbgrader 0.9's ``generate_assignment`` does it.

``solutions/NN_slug/NN_slug.ipynb`` is the single source of assignment NN. Releasing it
produces the student version ``exercises/NN_slug/NN_slug.ipynb``:

* in a cell marked ``metadata.nbgrader.solution``, each ``### BEGIN SOLUTION`` ...
  ``### END SOLUTION`` region becomes ``# YOUR CODE HERE`` / ``raise NotImplementedError()``
  at the marker's indentation; a solution code cell without markers is replaced entirely by
  those two lines, a markdown solution cell by ``YOUR ANSWER HERE``;
* ``### BEGIN HIDDEN TESTS`` ... ``### END HIDDEN TESTS`` blocks are removed;
* outputs and execution counts are cleared (and the ``collapsed``/``scrolled`` keys);
* the cell metadata gets what nbgrader adds: ``deletable``/``editable`` locks and, under
  ``metadata.nbgrader``, a ``checksum`` and ``cell_type`` (so the exercise also works with
  nbgrader's own autograder), and ``metadata.celltoolbar`` is dropped.

The same steps in the same order as nbgrader (LockCells, ClearSolutions, ClearOutput,
ClearHiddenTests, ComputeChecksums), so the output equals nbgrader's cell by cell. Other files
of the solution folder (data files) are copied, except anything named like ``*solution*``.
Notebooks are written with nbformat (sorted keys, indent 1, trailing newline) and only when
their bytes change, so releasing twice is a no-op.
"""
from __future__ import annotations

import copy
import fnmatch
import hashlib
import os
import re
import tempfile
from pathlib import Path

import nbformat

from .. import _validate as v

__all__ = [
    "release",
    "release_notebook",
    "release_folder",
    "find_solution_notebook",
    "solution_regions",
    "hidden_test_regions",
    "CODE_STUB",
    "TEXT_STUB",
]

CODE_STUB = "# YOUR CODE HERE\nraise NotImplementedError()"
TEXT_STUB = "YOUR ANSWER HERE"
BEGIN_SOLUTION, END_SOLUTION = "BEGIN SOLUTION", "END SOLUTION"
BEGIN_HIDDEN, END_HIDDEN = "BEGIN HIDDEN TESTS", "END HIDDEN TESTS"

# Never copied from a solution folder into an exercise (nbgrader's default ignore list,
# plus anything named like a solution, plus hidden files).
IGNORED = (".ipynb_checkpoints", "__pycache__", "*.pyc", "feedback", ".*", "*solution*")


# --------------------------------------------------------------------------- nbgrader flags
def nbgrader_meta(cell) -> dict:
    """The cell's ``metadata.nbgrader`` dict ({} when absent or malformed)."""
    meta = cell.get("metadata", {}).get("nbgrader", {})
    return meta if isinstance(meta, dict) else {}


def is_solution(cell) -> bool:
    return bool(nbgrader_meta(cell).get("solution", False))


def is_grade(cell) -> bool:
    return bool(nbgrader_meta(cell).get("grade", False))


def is_locked(cell) -> bool:
    """nbgrader's rule: graded test cells and read-only cells are locked, answers never."""
    meta = nbgrader_meta(cell)
    if not meta or is_solution(cell):
        return False
    return is_grade(cell) or bool(meta.get("locked", False))


def checksum(cell) -> str:
    """nbgrader's ``compute_checksum``: md5 of source, type, flags, grade_id and points."""
    meta = nbgrader_meta(cell)
    m = hashlib.md5()
    for part in (cell.source, cell.cell_type, str(is_grade(cell)), str(is_solution(cell)),
                 str(is_locked(cell)), meta["grade_id"]):
        m.update(part.encode("utf-8"))
    if is_grade(cell):
        m.update(str(float(meta["points"])).encode("utf-8"))
    return m.hexdigest()


# --------------------------------------------------------------------------- regions
def _regions(source: str, begin: str, end: str, what: str):
    """Yield (begin_line, end_line) index pairs of the ``begin``..``end`` regions."""
    start = None
    for i, line in enumerate(source.split("\n")):
        if begin in line:
            if start is not None:
                raise ValueError(f"nested '### {begin}' markers")
            start = i
        elif end in line:
            if start is not None:
                yield start, i
            start = None
    if start is not None:
        raise ValueError(f"'### {begin}' without a matching '### {end}' in {what}")


def solution_regions(source: str) -> list[str]:
    """The lines strictly between each BEGIN/END SOLUTION pair (the answers)."""
    lines = v.text("source", source).split("\n")
    return [line for a, b in _regions(source, BEGIN_SOLUTION, END_SOLUTION, "a cell")
            for line in lines[a + 1:b]]


def hidden_test_regions(source: str) -> list[str]:
    """The lines strictly between each BEGIN/END HIDDEN TESTS pair."""
    lines = v.text("source", source).split("\n")
    return [line for a, b in _regions(source, BEGIN_HIDDEN, END_HIDDEN, "a cell")
            for line in lines[a + 1:b]]


def _replace_regions(source: str, begin: str, end: str, stub: str | None) -> tuple[str, bool]:
    """nbgrader's line scan: drop each begin..end region, put ``stub`` (indented) in its place.

    Lines containing the end marker are dropped even outside a region, as nbgrader does.
    """
    out, inside, found = [], False, False
    for line in source.split("\n"):
        if begin in line:
            if inside:
                raise ValueError(f"nested '### {begin}' markers")
            inside = found = True
            if stub is not None:
                indent = re.match(r"\s*", line).group(0)
                out.extend(indent + s for s in stub.split("\n"))
        elif end in line:
            inside = False
        elif not inside:
            out.append(line)
    if inside:
        raise ValueError(f"'### {begin}' without a matching '### {end}'")
    return "\n".join(out), found


# --------------------------------------------------------------------------- release
def _notebook(name, nb):
    """Check that ``nb`` is a notebook as nbformat reads it (a NotebookNode with cells and metadata)."""
    if not isinstance(nb, nbformat.NotebookNode):
        raise TypeError(f"{name} must be a notebook (nbformat.read(path, as_version=4)), "
                        f"got {v._describe(nb)}")
    if not isinstance(nb.get("cells"), list) or not isinstance(nb.get("metadata"), dict):
        raise ValueError(f"{name} must be a notebook with a list of cells and a metadata dict")
    return nb


def _existing(name, path, what="file"):
    """Check a path argument that must exist (``what``: "file" or "folder"); return a Path."""
    p = v.path(name, path)
    if not (p.is_dir() if what == "folder" else p.is_file()):
        raise ValueError(f"{name} must be an existing {what}, got {str(path)!r}")
    return p


def _check_solution_notebook(nb) -> None:
    """The checks nbgrader makes before it generates an assignment, with clear messages."""
    language = nb.metadata.get("kernelspec", {}).get("language", "python")
    if language != "python":
        raise ValueError(f"only python notebooks can be released, got language {language!r}")
    seen = {}
    for i, cell in enumerate(nb.cells):
        meta = nbgrader_meta(cell)
        if not meta:
            continue
        where = f"cell {i}"
        if is_solution(cell) or is_grade(cell) or meta.get("locked", False):
            gid = meta.get("grade_id")
            if not isinstance(gid, str) or not gid:
                raise ValueError(f"{where} is an nbgrader cell without a grade_id")
            if gid in seen:
                raise ValueError(f"grade_id {gid!r} is used by cells {seen[gid]} and {i}")
            seen[gid] = i
            where = f"cell {i} ({gid!r})"
        if is_grade(cell):
            try:
                float(meta["points"])
            except (KeyError, TypeError, ValueError):
                raise ValueError(f"graded {where} needs numeric metadata.nbgrader.points") from None


def release_notebook(solution_nb) -> nbformat.NotebookNode:
    """The exercise (student) version of a solution notebook, as a new NotebookNode.

    ``solution_nb`` is not modified. Raises ValueError for markers outside the cells
    nbgrader allows them in (a solution region in a non-solution cell, hidden tests in a
    non-graded cell), unbalanced markers, missing or duplicate grade_ids.
    """
    nb = copy.deepcopy(_notebook("solution_nb", solution_nb))
    _check_solution_notebook(nb)
    for i, cell in enumerate(nb.cells):
        where = f"cell {i} ({nbgrader_meta(cell).get('grade_id', 'no grade_id')})"
        # LockCells
        if is_solution(cell):
            cell.metadata["deletable"] = False
        elif is_grade(cell) or is_locked(cell):
            cell.metadata["deletable"] = False
            cell.metadata["editable"] = False
        # ClearSolutions
        stub = CODE_STUB if cell.cell_type == "code" else TEXT_STUB
        try:
            source, replaced = _replace_regions(cell.source, BEGIN_SOLUTION, END_SOLUTION, stub)
        except ValueError as e:
            raise ValueError(f"{where}: {e}") from None
        if replaced and not is_solution(cell):
            raise ValueError(f"{where} has a '### BEGIN SOLUTION' region but is not a "
                             "solution cell (metadata.nbgrader.solution)")
        if is_solution(cell) and not replaced:
            source = stub
        cell.source = source
        # ClearOutput
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
            cell.metadata.pop("collapsed", None)
            cell.metadata.pop("scrolled", None)
        # ClearHiddenTests
        try:
            cell.source, removed = _replace_regions(cell.source, BEGIN_HIDDEN, END_HIDDEN, None)
        except ValueError as e:
            raise ValueError(f"{where}: {e}") from None
        if removed and not is_grade(cell):
            raise ValueError(f"{where} has a '### BEGIN HIDDEN TESTS' region but is not a "
                             "graded cell (metadata.nbgrader.grade)")
        # ComputeChecksums
        if is_grade(cell) or is_solution(cell) or is_locked(cell):
            cell.metadata.nbgrader["checksum"] = checksum(cell)
            cell.metadata.nbgrader["cell_type"] = cell.cell_type
    nb.metadata.pop("celltoolbar", None)
    return nb


def release(solution_nb_path) -> nbformat.NotebookNode:
    """Read a solution notebook file and return its exercise version (nothing is written)."""
    path = _existing("solution_nb_path", solution_nb_path, "file")
    return release_notebook(nbformat.read(os.fspath(path), as_version=4))


def notebook_text(nb) -> str:
    """The exact text nbformat.write would put in a file (sorted keys, indent 1, final newline)."""
    text = nbformat.writes(nb)
    return text if text.endswith("\n") else text + "\n"


def _new_file_mode() -> int:
    """The mode open() would give a new file: 0o666 minus the umask."""
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


def write_if_changed(path: Path, data: bytes) -> bool:
    """Atomically write ``data`` to ``path`` unless it already holds exactly these bytes.

    The bytes go to a temporary file in the same folder, which then replaces ``path``, so a
    reader never sees half a file. The file keeps its mode (a new one gets the usual one).
    """
    path = Path(path)
    if path.is_file() and path.read_bytes() == data:
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    mode = path.stat().st_mode & 0o7777 if path.is_file() else _new_file_mode()
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return True


def _ignored(name: str) -> bool:
    return any(fnmatch.fnmatch(name.lower(), pattern) for pattern in IGNORED)


def assignment_files(solution_dir) -> list[Path]:
    """Files of a solution folder that go to students as they are (data files), sorted.

    Everything except notebooks, hidden files, checkpoints, caches and ``*solution*`` names.
    """
    root = Path(solution_dir)
    found = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if not _ignored(d))
        for name in sorted(filenames):
            if not _ignored(name) and not name.endswith(".ipynb"):
                found.append(Path(dirpath) / name)
    return found


def solution_notebooks(solution_dir) -> list[Path]:
    """The notebooks of a solution folder that are released (top level, not ``*solution*``)."""
    return sorted(p for p in Path(solution_dir).glob("*.ipynb") if not _ignored(p.name))


def find_solution_notebook(solution) -> Path:
    """The solution notebook of an assignment: ``DIR/DIR.ipynb``, else DIR's only notebook.

    ``solution`` may also be the path of the notebook itself. Raises ValueError naming
    ``solution`` when there is no such folder or notebook, or no single notebook in it.
    """
    path = v.path("solution", solution)
    if path.is_file():
        return path
    if not path.is_dir():
        raise ValueError(f"solution must be an existing solution folder or notebook, got {str(solution)!r}")
    named = path / f"{path.resolve().name}.ipynb"
    if named.is_file():
        return named
    notebooks = sorted(p for p in path.glob("*.ipynb"))
    if len(notebooks) == 1:
        return notebooks[0]
    raise ValueError(
        f"solution {str(solution)!r} should hold {named.name} (or exactly one notebook), "
        f"found {[p.name for p in notebooks]}")


def release_folder(solution_dir, exercises_root=None) -> dict[Path, bool]:
    """Release one assignment folder; return {path produced: whether its bytes changed}.

    ``solutions/NN_slug/`` goes to ``exercises/NN_slug/`` (``exercises_root`` defaults to
    the ``exercises`` folder beside the folder holding ``solution_dir``). Existing files
    are rewritten only when their content changes; files are never deleted.
    """
    src = _existing("solution_dir", solution_dir, "folder")
    if exercises_root is not None:
        v.path("exercises_root", exercises_root)
    notebooks = solution_notebooks(src)
    if not notebooks:
        raise ValueError(f"solution_dir must hold a notebook to release, found none in {str(solution_dir)!r}")
    root = Path(exercises_root) if exercises_root is not None else \
        src.resolve().parent.parent / "exercises"
    dest = root / src.resolve().name
    written = {}
    for nb_path in notebooks:
        target = dest / nb_path.name
        try:
            text = notebook_text(release(nb_path))
        except ValueError as e:
            raise ValueError(f"{nb_path}: {e}") from None
        written[target] = write_if_changed(target, text.encode("utf-8"))
    for f in assignment_files(src):
        target = dest / f.relative_to(src)
        written[target] = write_if_changed(target, f.read_bytes())
    return written
