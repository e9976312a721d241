"""In-kernel slider latency of every widget app: time from ``slider.value = v`` to the figure
redrawn, p50 and p95 over 50 moves. Goal: p50 <= 15 ms for every app.

Two sets of apps, each moved over 50 values of its FIRST SLIDER (the lesson's main slider; the
first control of an app without a slider) spread across the slider's whole range:

1. every ``SliderApp`` subclass in the ``lrcourse.widgets.*`` submodules, built with no
   arguments (an app that needs arguments is reported, not run);
2. every app the lessons build, with the lessons' own arguments: each lessons/NN_*.ipynb is
   executed in this process (an IPython shell, cells in order) and every ``SliderApp`` left
   in its namespace or output history is measured (``--no-lessons`` skips this part).

Setting ``value`` runs the app's observer synchronously: recompute, update the artists, blit
(or a full draw when limits change) and encode the frame that ipympl sends to the browser, so
the time of the assignment is the time of the whole redraw. The first move is included (and
shown in its own column): it is the first thing a learner does.

The figures use the ipympl backend (``%matplotlib widget``). Without a browser, ipympl also
re-encodes a full PNG for its ``_data_url`` trait on every frame until a frontend sends
``initialized`` (``canvas.syncing_data_url``); a connected JupyterLab turns that off at once,
so this benchmark sets ``canvas.syncing_data_url = False`` to measure what a learner gets.

Run: ``make bench`` or ``.venv/bin/python benchmarks/slider_latency.py [--moves 50]
[--no-lessons] [--strict]`` (``--strict``: exit status 1 when an app misses the goal).
Writes benchmarks/results/slider_latency.json.
"""
from __future__ import annotations

import argparse
import contextlib
import gc
import importlib
import inspect
import io
import json
import os
import pkgutil
import sys
import time
import traceback
import warnings
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
GOAL_P50_MS = 15.0


def discover():
    """(qualified name, class) of every SliderApp subclass defined in lrcourse.widgets.*,
    plus (module name, error text) for submodules that fail to import."""
    import lrcourse.widgets as widgets

    apps, broken = [], []
    for info in sorted(pkgutil.iter_modules(widgets.__path__), key=lambda m: m.name):
        name = f"{widgets.__name__}.{info.name}"
        try:
            module = importlib.import_module(name)
        except Exception as e:  # report a broken module, keep measuring the others
            broken.append((name, f"{type(e).__name__}: {e}"))
            continue
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if (issubclass(cls, widgets.SliderApp) and cls is not widgets.SliderApp
                    and cls.__module__ == name and not inspect.isabstract(cls)):
                apps.append((f"{name}.{cls.__name__}", cls))
    return apps, broken


def positions(control, n=50):
    """``n`` values for ``control`` spread over its whole range, each different from the one
    before (a discrete control with fewer values goes back and forth over them)."""
    if hasattr(control, "base"):  # FloatLogSlider: value = base ** exponent
        values = list(control.base ** np.linspace(control.min, control.max, n))
    elif hasattr(control, "options"):  # SelectionSlider, Dropdown, ToggleButtons: by index
        values = list(range(len(control.options)))
    elif isinstance(control.value, bool):
        values = [not control.value, control.value]
    elif isinstance(control.value, (int, np.integer)):
        values = sorted({int(round(x)) for x in np.linspace(control.min, control.max, n)})
    else:
        values = list(np.linspace(control.min, control.max, n))
    if len(values) < 2:
        return values
    cycle = values + values[-2:0:-1]  # up, then down without repeating the ends
    seq = [cycle[i % len(cycle)] for i in range(n + 1)]
    current = control.index if hasattr(control, "options") else control.value
    return seq[1:n + 1] if seq[0] == current else seq[:n]


def main_control(app):
    """(name, control): the app's first slider, the one its lesson shows with the figure and the
    browser test moves; the first control when the app has no slider (a quiz's buttons)."""
    for name, control in app.controls.items():
        if type(control).__name__.endswith("Slider"):
            return name, control
    return next(iter(app.controls.items()))


def set_control(control, value):
    if hasattr(control, "options"):
        control.index = value
    else:
        control.value = value


def redraws(app):
    blit = getattr(app, "blit", None)
    return (getattr(blit, "blits", 0), getattr(blit, "full_draws", 0))


def quiet_frames():
    """Stop ipympl's per-frame full-PNG ``_data_url`` sync, as a connected JupyterLab does."""
    from matplotlib._pylab_helpers import Gcf

    for manager in Gcf.get_all_fig_managers():
        if hasattr(manager.canvas, "syncing_data_url"):
            manager.canvas.syncing_data_url = False


def time_moves(app, row, moves=50):
    """Move ``app``'s first control ``moves`` times, timing each ``set``; fills ``row``."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        quiet_frames()
        name, control = main_control(app)
        row["control"] = f"{name} ({type(control).__name__})"
        b0, f0 = redraws(app)
        times = []
        gc.collect()
        for v in positions(control, moves):
            t = time.perf_counter()
            set_control(control, v)
            times.append((time.perf_counter() - t) * 1e3)
        b1, f1 = redraws(app)
    times = np.array(times)
    row.update(moves=len(times), p50_ms=float(np.percentile(times, 50)),
               p95_ms=float(np.percentile(times, 95)), first_ms=float(times[0]), max_ms=float(times.max()),
               blits=b1 - b0, full_draws=f1 - f0, meets_goal=float(np.percentile(times, 50)) <= GOAL_P50_MS,
               warnings=sorted({f"{w.category.__name__}: {w.message}" for w in caught
                                if "lrcourse" in str(w.filename) or not issubclass(w.category, DeprecationWarning)}))
    return row


def measure(cls, moves=50):
    """Build ``cls()`` and time ``moves`` moves of its first control (ms)."""
    import matplotlib.pyplot as plt

    row = {"app": f"{cls.__module__}.{cls.__name__}", "source": "no arguments"}
    try:
        inspect.signature(cls).bind()
    except TypeError as e:
        row["error"] = f"needs arguments: {e}"
        return row
    try:
        t = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            app = cls()
        row["build_ms"] = (time.perf_counter() - t) * 1e3
        time_moves(app, row, moves)
    except Exception as e:
        row["error"] = f"{type(e).__name__}: {e}"
        row["traceback"] = traceback.format_exc()
    finally:
        plt.close("all")
    return row


def lesson_apps(lesson):
    """Run ``lesson``'s code cells in an IPython shell in this process; returns
    ({label: app} for every SliderApp in its namespace or outputs, error text or None)."""
    import nbformat
    from IPython.core.interactiveshell import InteractiveShell

    from lrcourse.widgets import SliderApp

    shell = InteractiveShell.instance()
    shell.enable_gui = lambda gui=None: None  # %matplotlib widget needs no event loop here
    shell.reset(new_session=True)
    nb = nbformat.read(lesson, as_version=4)
    error, cwd = None, os.getcwd()
    os.chdir(lesson.parent)
    try:
        for i, cell in enumerate(c for c in nb.cells if c.cell_type == "code"):
            with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()), \
                    warnings.catch_warnings():
                warnings.simplefilter("ignore", DeprecationWarning)
                result = shell.run_cell(cell.source, store_history=True, silent=False)
            if not result.success:
                error = f"code cell {i + 1} failed: {result.error_in_exec or result.error_before_exec!r}"
                break
    finally:
        os.chdir(cwd)
    found = {}
    named = [(k, v) for k, v in shell.user_ns.items() if not k.startswith("_")]
    named += [(f"Out[{n}]", v) for n, v in shell.user_ns.get("Out", {}).items()]
    for label, obj in named:
        if isinstance(obj, SliderApp) and all(obj is not seen for seen in found.values()):
            found[f"{lesson.stem[:2]}: {label} = {type(obj).__name__}"] = obj
    return found, error


def measure_lessons(lessons, moves=50):
    import matplotlib.pyplot as plt

    rows = []
    for lesson in lessons:
        try:
            apps, error = lesson_apps(lesson)
        except Exception as e:
            apps, error = {}, f"{type(e).__name__}: {e}"
        if error:
            rows.append({"app": f"{lesson.stem[:2]}: (lesson)", "source": lesson.name, "error": error})
        for label, app in apps.items():
            row = {"app": label, "source": lesson.name}
            try:
                time_moves(app, row, moves)
            except Exception as e:
                row["error"] = f"{type(e).__name__}: {e}"
                row["traceback"] = traceback.format_exc()
            rows.append(row)
        plt.close("all")
    return rows


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--moves", type=int, default=50)
    parser.add_argument("--no-lessons", action="store_true", help="skip the apps built by the lessons")
    parser.add_argument("--strict", action="store_true", help="exit 1 if an app misses the goal")
    args = parser.parse_args(argv)

    import matplotlib

    matplotlib.use("module://ipympl.backend_nbagg")
    sys.path.insert(0, str(ROOT / "tests"))
    from browser_util import machine_info

    apps, broken = discover()
    rows = [measure(cls, args.moves) for _, cls in apps]
    rows += [{"app": name, "error": f"import failed: {err}"} for name, err in broken]
    if not args.no_lessons:
        lessons = sorted((ROOT / "lessons").glob("[0-9][0-9]_*.ipynb"))
        rows += measure_lessons(lessons, args.moves)

    print(f"In-kernel slider latency, ipympl backend, {args.moves} moves of the first slider "
          f"(goal p50 <= {GOAL_P50_MS:.0f} ms)")
    print(f"{'app':52s} {'control':30s} {'p50 ms':>7s} {'p95 ms':>7s} {'1st':>5s} {'max':>5s} {'blit/full':>9s}  goal")
    for r in rows:
        if "error" in r:
            print(f"{r['app'][:52]:52s} NOT MEASURED: {r['error']}")
            continue
        print(f"{r['app'][:52]:52s} {r['control'][:30]:30s} {r['p50_ms']:7.1f} {r['p95_ms']:7.1f} "
              f"{r['first_ms']:5.0f} {r['max_ms']:5.0f} {r['blits']:4d}/{r['full_draws']:<4d}  "
              f"{'ok' if r['meets_goal'] else 'MISS'}")
        for w in r["warnings"]:
            print(f"    warning: {w}")
    # an app class that needs arguments is not a miss when a lesson built it and it was measured
    measured = {r["app"].split(" = ")[-1] for r in rows if "p50_ms" in r and " = " in r["app"]}
    missed = [r["app"] for r in rows if not r.get("meets_goal")
              and not (r.get("error", "").startswith("needs arguments") and r["app"].rsplit(".", 1)[-1] in measured)]
    result = {"benchmark": "slider_latency", "goal_p50_ms": GOAL_P50_MS, "moves": args.moves,
              "machine": machine_info(), "apps": rows, "missed": missed}
    out = ROOT / "benchmarks" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / "slider_latency.json").write_text(json.dumps(result, indent=1))
    print(f"{len(rows) - len(missed)} of {len(rows)} apps meet the goal; "
          f"JSON in {(out / 'slider_latency.json').relative_to(ROOT)}")
    return 1 if args.strict and missed else 0


if __name__ == "__main__":
    sys.exit(main())
