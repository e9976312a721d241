"""Execute notebooks and keep only the outputs that nbval compares.

    python tools/refresh_outputs.py lessons/01_what_is_the_learning_rate.ipynb [...]
    python tools/refresh_outputs.py --convert lessons/05_momentum_and_nesterov.ipynb [...]

Each notebook is executed (in its own folder, python3 kernel of this environment); then every
output is cleared except those of *checked* cells, which keep their text outputs (stream and
text/plain only; figures and widgets are never compared). A cell is checked when it carries nbval's
cell tag ``nbval-check-output`` (the convention) or, during the transition, still starts with the
old ``# NBVAL_CHECK_OUTPUT`` comment. Run it after changing a lesson or solution, and commit the result.

``--convert`` first rewrites the notebook to the convention: the comment line is removed and the
cell gets the tag instead, and every cell made only of ``assert`` statements is collapsed for the
learner (cell metadata ``jupyter.source_hidden``). Then it refreshes as above.
"""
import ast
import sys
from pathlib import Path

import nbformat
from nbclient import NotebookClient

MARK = "NBVAL_CHECK_OUTPUT"      # the old comment marker, still honoured by nbval and here
TAG = "nbval-check-output"       # nbval's cell tag: compare this cell's output with the stored one


def has_mark(source):
    """True if a line of `source` is the comment ``# NBVAL_CHECK_OUTPUT`` (as nbval reads it)."""
    return any(line.strip().startswith("#") and line.strip().lstrip("#").strip() == MARK
               for line in source.splitlines())


def is_checked(cell):
    """True if nbval compares this code cell's output (tag, or the old comment)."""
    return cell.cell_type == "code" and (TAG in cell.metadata.get("tags", []) or has_mark(cell.source))


def is_hidden(cell):
    """True if the cell's source is collapsed for the learner (``jupyter.source_hidden``)."""
    return bool(cell.metadata.get("jupyter", {}).get("source_hidden", False))


def statements(source):
    """Top-level statements of a code cell (IPython magics and shell lines read as ``pass``)."""
    lines = ["pass" if line.lstrip().startswith(("%", "!")) else line for line in source.splitlines()]
    return ast.parse("\n".join(lines)).body


def is_assertion_only(source):
    """True if the cell is nothing but ``assert`` statements (and comments)."""
    body = statements(source)
    return bool(body) and all(isinstance(s, ast.Assert) for s in body)


def convert(nb):
    """Move the comment marker into the tag; collapse assertion-only cells. Returns (moved, hidden)."""
    moved = hidden = 0
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        if has_mark(cell.source):
            kept = [line for line in cell.source.splitlines() if not has_mark(line)]
            cell.source = "\n".join(kept).strip("\n")
            tags = cell.metadata.setdefault("tags", [])
            if TAG not in tags:
                tags.append(TAG)
            moved += 1
        if is_assertion_only(cell.source) and not is_hidden(cell):
            cell.metadata.setdefault("jupyter", {})["source_hidden"] = True
            hidden += 1
    return moved, hidden


def refresh(path, timeout=300):
    """Execute the notebook at `path`, keep the text outputs of checked cells only; returns their count."""
    path = Path(path)
    nb = nbformat.read(path, as_version=4)
    executed = nbformat.read(path, as_version=4)
    NotebookClient(executed, timeout=timeout, kernel_name="python3",
                   resources={"metadata": {"path": str(path.parent)}}).execute()
    for cell, done in zip(nb.cells, executed.cells):
        if cell.cell_type != "code":
            continue
        cell.execution_count = None
        cell.outputs = []
        if is_checked(cell):
            cell.execution_count = done.execution_count  # nbval ignores outputs of "unrun" cells
            for out in done.outputs:
                if out.output_type == "stream" and out.name == "stdout":
                    cell.outputs.append(out)
                elif out.output_type == "execute_result" and "text/plain" in out.get("data", {}):
                    out.data = {"text/plain": out.data["text/plain"]}
                    out.execution_count = done.execution_count
                    cell.outputs.append(out)
    nbformat.write(nb, path)
    return sum(is_checked(c) for c in nb.cells)


if __name__ == "__main__":
    args = sys.argv[1:]
    do_convert = "--convert" in args
    for p in (a for a in args if a != "--convert"):
        if do_convert:
            nb = nbformat.read(p, as_version=4)
            moved, hidden = convert(nb)
            nbformat.write(nb, p)
            print(f"{p}: {moved} comment(s) moved into the '{TAG}' tag, {hidden} assertion-only cell(s) collapsed")
        print(f"{p}: kept outputs of {refresh(p)} checked cell(s)")
