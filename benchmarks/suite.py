"""How long the course takes to load and to run: ``import lrcourse`` and every notebook.

* ``import lrcourse`` in a fresh interpreter (median of 7): goal <= 0.3 s, without importing
  matplotlib (plots and widgets load on demand).
* Every lessons/NN_*.ipynb and solutions/NN_*/NN_*.ipynb executed headless with nbclient in a
  fresh ``python3`` kernel of this environment (as nbval does in ``make test``), one after the
  other; wall time per notebook including the kernel start. Goals: each <= 20 s, all together
  <= 120 s (on the 2 cores of the reference machine). A notebook that raises counts as failed.

Run: ``make bench`` or ``.venv/bin/python benchmarks/suite.py [NOTEBOOK ...] [--strict]``.
Writes benchmarks/results/suite.json.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
GOALS = {"import_s": 0.3, "notebook_s": 20.0, "total_s": 120.0}
IMPORT_CODE = ("import sys, time; t = time.perf_counter(); import lrcourse; t = time.perf_counter() - t; "
               "print(t, 'matplotlib' in sys.modules)")


def import_time(repeat=7):
    """Median and minimum seconds of ``import lrcourse`` in a fresh interpreter, and whether
    matplotlib got imported."""
    times, mpl = [], False
    for _ in range(repeat):
        out = subprocess.run([sys.executable, "-c", IMPORT_CODE], capture_output=True, text=True,
                             check=True, cwd=ROOT).stdout.split()
        times.append(float(out[0]))
        mpl |= out[1] == "True"
    return float(np.median(times)), float(min(times)), mpl


def run_notebook(path, timeout=120):
    """Execute one notebook with nbclient; (seconds, error text or None)."""
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(nb, timeout=timeout, kernel_name="python3",
                            extra_arguments=["--IPKernelApp.log_level=ERROR"],  # no TCP warning
                            resources={"metadata": {"path": str(path.parent)}})
    t = time.perf_counter()
    try:
        client.execute()
        error = None
    except Exception as e:  # CellExecutionError, a timeout, a dead kernel
        error = f"{type(e).__name__}: {str(e).strip().splitlines()[-1] if str(e).strip() else ''}"
    return time.perf_counter() - t, error


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("notebooks", nargs="*", help="default: every lesson and solution")
    parser.add_argument("--strict", action="store_true", help="exit 1 if a goal is missed")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(ROOT / "tests"))
    from browser_util import machine_info

    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    os.environ.pop("MPLBACKEND", None)
    median, best, mpl = import_time()
    import_ok = median <= GOALS["import_s"] and not mpl
    print(f"import lrcourse: median {median:.3f} s, best {best:.3f} s, matplotlib imported: {mpl} "
          f"(goal <= {GOALS['import_s']} s without matplotlib: {'ok' if import_ok else 'MISS'})")

    notebooks = [Path(p).resolve() for p in args.notebooks] or (
        sorted((ROOT / "lessons").glob("[0-9][0-9]_*.ipynb")) + sorted((ROOT / "solutions").glob("[0-9][0-9]_*/*.ipynb")))
    rows = []
    print(f"\n{'notebook':64s} {'seconds':>8s}  goal (<= {GOALS['notebook_s']:.0f} s)")
    for nb in notebooks:
        seconds, error = run_notebook(nb)
        ok = error is None and seconds <= GOALS["notebook_s"]
        rows.append({"notebook": str(nb.relative_to(ROOT)), "seconds": seconds, "error": error, "meets_goal": ok})
        print(f"{rows[-1]['notebook'][:64]:64s} {seconds:8.1f}  {'ok' if ok else 'MISS'}{'  ' + error if error else ''}",
              flush=True)
    total = sum(r["seconds"] for r in rows)
    total_ok = total <= GOALS["total_s"]
    print(f"{'all ' + str(len(rows)) + ' notebooks, one after the other':64s} {total:8.1f}  "
          f"{'ok' if total_ok else 'MISS'} (goal <= {GOALS['total_s']:.0f} s)")
    missed = [r["notebook"] for r in rows if not r["meets_goal"]]
    result = {"benchmark": "suite", "goals": GOALS, "machine": machine_info(),
              "import": {"median_s": median, "best_s": best, "matplotlib_imported": mpl, "meets_goal": import_ok},
              "notebooks": rows, "total_s": total, "total_meets_goal": total_ok, "missed": missed}
    out = ROOT / "benchmarks" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / "suite.json").write_text(json.dumps(result, indent=1))
    print(f"JSON in {(out / 'suite.json').relative_to(ROOT)}")
    return 1 if args.strict and (missed or not total_ok or not import_ok) else 0


if __name__ == "__main__":
    sys.exit(main())
