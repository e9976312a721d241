"""Execute notebooks and keep only the outputs that nbval compares.

    python tools/refresh_outputs.py lessons/01_what_is_the_learning_rate.ipynb [...]

Each notebook is executed (in its own folder, python3 kernel of this environment); then every
output is cleared except those of cells containing ``# NBVAL_CHECK_OUTPUT``, which keep their
text outputs (stream and text/plain only; figures and widgets are never compared). Run it after
changing a lesson or solution, and commit the result.
"""
import sys
from pathlib import Path

import nbformat
from nbclient import NotebookClient

MARK = "NBVAL_CHECK_OUTPUT"


def refresh(path, timeout=300):
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
        if MARK in cell.source:
            cell.execution_count = done.execution_count  # nbval ignores outputs of "unrun" cells
            for out in done.outputs:
                if out.output_type == "stream" and out.name == "stdout":
                    cell.outputs.append(out)
                elif out.output_type == "execute_result" and "text/plain" in out.get("data", {}):
                    out.data = {"text/plain": out.data["text/plain"]}
                    out.execution_count = done.execution_count
                    cell.outputs.append(out)
    nbformat.write(nb, path)
    return sum(MARK in c.source for c in nb.cells if c.cell_type == "code")


if __name__ == "__main__":
    for p in sys.argv[1:]:
        print(f"{p}: kept outputs of {refresh(p)} checked cell(s)")
