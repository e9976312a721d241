"""End-to-end slider latency in a real browser, for the main app of every lesson.

Every lessons/NN_*.ipynb is opened in JupyterLab (this environment's, on a free loopback port,
rooted at the repository as `make lab` does) in Debian's headless Chromium (1280 x 800, the file
browser open) driven by Python Playwright, all cells are run, and the FIRST
slider of the first cell output that shows a slider next to an ipympl figure is moved with the
keyboard (focus on the slider handle, arrow keys):

* latency: 30 moves back and forth (right, left, right, ...), each started once the kernel is
  idle and the previous frame is on screen (the first once nothing happened for 0.5 s, so the
  figures of the notebook have had their first draw); time from the key press to the next
  frame painted on the figure's canvas (measured in the page: keydown -> the canvas's
  drawImage -> the next animation frame), p50 and p95; a move that paints nothing within 5 s
  counts as missed, and one that paints the same pixels as before counts as unchanged
  ("same" in the table; compared after the timing);
* dragging: 30 presses 33 ms apart (a 1 s keyboard drag) in one direction (towards the side
  with more room); frames painted per second from the first press to the last frame. A slider
  with fewer positions than presses on that side stops early; the table says so;
* what is painted: after the drag, every figure of the notebook is compared with matplotlib's
  own render of it (tests/browser_util.py ``Figures``); "wrong" counts those that disagree.

Goals: p50 <= 60 ms, p95 <= 100 ms, >= 12 fps while dragging, no move missed or unchanged, no
wrong figure, no error output.
JupyterLab runs with lrcourse.server_extension (installed with lrcourse), which turns Nagle's
algorithm off on the kernel websocket; without it every other move waits up to 40 ms for the
browser's delayed acknowledgement. For comparison (RECIPES.md, measured without it): the
transport floor measured here is 16 ms (a label, no plot); ipympl with blitting 47 ms;
``interact`` with a full inline redraw 178 ms.

Each lesson gets a fresh server, kernel and browser. Screenshots of each app go to
benchmarks/results/browser/. Needs /usr/bin/chromium and playwright (see tests/browser_util.py).
Run: ``make bench`` or ``.venv/bin/python benchmarks/browser_latency.py [LESSON ...] [--strict]``.
Writes benchmarks/results/browser_latency.json. ``--without-server-extension`` measures the same
with the extension disabled (writes browser_latency_without_server_extension.json).
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
import traceback
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
import browser_util  # noqa: E402

GOALS = {"p50_ms": 60.0, "p95_ms": 100.0, "drag_fps": 12.0}
MOVES, DRAG_PRESSES, DRAG_INTERVAL = 30, 30, 0.033


WITHOUT_EXTENSION = ["--ServerApp.jpserver_extensions=lrcourse.server_extension=False"]


def measure(lesson, work, shots, server_args=()):
    """Open, run and drive one lesson; a dict of what was measured."""
    row = {"lesson": lesson.name}
    t = time.perf_counter()
    root, path = ((ROOT, lesson.relative_to(ROOT).as_posix()) if lesson.is_relative_to(ROOT)
                  else (lesson.parent, lesson.name))
    with browser_util.jupyter_lab(root, work, extra_args=server_args) as (base, token), \
            browser_util.chromium(work) as page:
        row["server_start_s"] = time.perf_counter() - t
        try:
            t = time.perf_counter()
            nb = browser_util.Notebook(page, base, token, path)
            browser_util.open_file_browser(page)
            row["open_s"] = time.perf_counter() - t
            row["run_all_s"] = nb.run_all()
            row["problems"] = nb.problems()
            if not nb.find_app():
                row["error"] = "no cell output shows a slider next to an ipympl figure"
                return row
            row["slider"] = nb.output.locator(".widget-slider .widget-label").first.inner_text()
            now, low, high = nb.slider_position()
            right_first = high - now >= now - low  # start towards the side with more room
            keys = ["ArrowRight", "ArrowLeft"] if right_first else ["ArrowLeft", "ArrowRight"]
            nb.wait_quiet(quiet_ms=500)  # figures that just came into view finish their first draw
            latencies, unchanged, pixels = [], 0, nb.canvas_png()
            for i in range(MOVES):
                latencies.append(nb.move_and_time(keys[i % 2]))
                nb.wait_quiet()  # (outside the timing) did the move change what the figure shows?
                before, pixels = pixels, nb.canvas_png()
                unchanged += pixels == before
            timed = np.array([x for x in latencies if x is not None])
            row.update(moves=MOVES, missed=latencies.count(None), unchanged=unchanged, latencies_ms=latencies,
                       first_move_ms=latencies[0])
            if timed.size:
                row.update(p50_ms=float(np.percentile(timed, 50)), p95_ms=float(np.percentile(timed, 95)))
            frames, seconds = nb.drag(keys[0], DRAG_PRESSES, DRAG_INTERVAL)
            row.update(drag_frames=frames, drag_s=seconds, drag_fps=frames / seconds if seconds else 0.0)
            nb.wait_quiet()
            figures = browser_util.Figures(nb).compare()
            row["figures"] = len(figures)
            row["wrong_figures"] = [f"cell {f['cell']}: {f['difference']:.1%} differs" for f in figures
                                    if f["difference"] > browser_util.AGREE]
            shots.mkdir(parents=True, exist_ok=True)
            nb.output.screenshot(path=str(shots / f"{lesson.stem}.png"))
            row["problems"] = nb.problems()  # the moves ran code in the kernel too
        except Exception as e:
            row["error"] = f"{type(e).__name__}: {e}"
            row["traceback"] = traceback.format_exc()
            shots.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(shots / f"{lesson.stem}-failure.png"), full_page=True)
            row["failure_screenshot"] = str(shots / f"{lesson.stem}-failure.png")
    log = (work / "jupyterlab.log").read_text(errors="replace")
    row["tcp_nodelay"] = "lrcourse: kernel websockets send without Nagle's delay" in log  # server_extension
    row["meets_goals"] = ("error" not in row and not row["problems"] and row["missed"] == 0
                          and not row["wrong_figures"]
                          and row["unchanged"] == 0 and row["p50_ms"] <= GOALS["p50_ms"]
                          and row["p95_ms"] <= GOALS["p95_ms"] and row["drag_fps"] >= GOALS["drag_fps"])
    return row


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("lessons", nargs="*", help="notebooks (default: lessons/[0-9][0-9]_*.ipynb)")
    parser.add_argument("--strict", action="store_true", help="exit 1 if a lesson misses a goal")
    parser.add_argument("--without-server-extension", action="store_true",
                        help="disable lrcourse.server_extension (Nagle's algorithm back on), to see what it saves")
    args = parser.parse_args(argv)
    reason = browser_util.why_no_browser()
    if reason:
        print(f"browser_latency: skipped: {reason}")
        return 0
    lessons = [Path(p).resolve() for p in args.lessons] or sorted((ROOT / "lessons").glob("[0-9][0-9]_*.ipynb"))
    out = ROOT / "benchmarks" / "results"
    rows = []
    for lesson in lessons:
        with tempfile.TemporaryDirectory(prefix="lrcourse-browser-") as tmp:
            rows.append(measure(lesson, Path(tmp), out / "browser",
                                WITHOUT_EXTENSION if args.without_server_extension else ()))
        r = rows[-1]
        print(f"  {lesson.name}: " + (r.get("error") or f"p50 {r['p50_ms']:.0f} ms, p95 {r['p95_ms']:.0f} ms, "
                                      f"{r['drag_fps']:.1f} fps"), flush=True)

    print(f"\nKey press -> painted frame in Chromium, first slider next to a figure "
          f"({MOVES} moves; drag = {DRAG_PRESSES} presses {DRAG_INTERVAL * 1000:.0f} ms apart). "
          f"Goals: p50 <= {GOALS['p50_ms']:.0f} ms, p95 <= {GOALS['p95_ms']:.0f} ms, >= {GOALS['drag_fps']:.0f} fps")
    print(f"{'lesson':44s} {'slider':18s} {'run all':>7s} {'p50':>5s} {'p95':>5s} {'1st':>5s} {'missed':>6s} "
          f"{'same':>4s} {'fps':>5s} {'wrong':>5s}  goals")
    for r in rows:
        if "error" in r and "p50_ms" not in r:
            print(f"{r['lesson']:44s} NOT MEASURED: {r['error']}")
        else:
            print(f"{r['lesson']:44s} {r['slider'][:18]:18s} {r['run_all_s']:6.1f}s {r['p50_ms']:5.0f} "
                  f"{r['p95_ms']:5.0f} {r['first_move_ms'] or float('nan'):5.0f} {r['missed']:6d} "
                  f"{r['unchanged']:4d} {r['drag_fps']:5.1f} {len(r.get('wrong_figures', [])):2d}/{r.get('figures', 0):<2d} "
                  f"{'ok' if r['meets_goals'] else 'MISS'}")
        for w in r.get("wrong_figures", []):
            print(f"    painted figure disagrees with matplotlib's render: {w}")
        for p in r.get("problems", []):
            print(f"    {p}")
        if r.get("drag_frames", DRAG_PRESSES) < DRAG_PRESSES:
            print(f"    the drag painted {r['drag_frames']} frames for {DRAG_PRESSES} presses: the slider reached its "
                  f"end (fps counts until the last frame)")
        if r.get("tcp_nodelay") is False:
            print("    the server did not load lrcourse.server_extension: Nagle's algorithm delays frames")
    missed = [r["lesson"] for r in rows if not r["meets_goals"]]
    result = {"benchmark": "browser_latency", "goals": GOALS, "moves": MOVES,
              "drag": {"presses": DRAG_PRESSES, "interval_s": DRAG_INTERVAL},
              "machine": browser_util.machine_info(), "lessons": rows, "missed": missed}
    out.mkdir(parents=True, exist_ok=True)
    name = "browser_latency_without_server_extension.json" if args.without_server_extension else "browser_latency.json"
    (out / name).write_text(json.dumps(result, indent=1))
    print(f"{len(rows) - len(missed)} of {len(rows)} lessons meet the goals; JSON in "
          f"{(out / name).relative_to(ROOT)}, screenshots in benchmarks/results/browser/")
    return 1 if args.strict and missed else 0


if __name__ == "__main__":
    sys.exit(main())
