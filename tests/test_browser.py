"""Lesson 1 in a real browser: JupyterLab from this environment, driven in Debian's Chromium
by Python Playwright. All cells run without an error, and moving the first slider back and forth
with the keyboard repaints the figure with new pixels at every move.

Marked ``browser`` (deselect with ``-m "not browser"``); skipped with a message saying how to
enable it when /usr/bin/chromium or playwright is missing. ``LRCOURSE_BROWSER_LESSONS=all``
runs every lesson instead of lesson 1 only (slower: ~15 s per lesson).

The other tests here need no browser: they check what lrcourse.widgets does to make ipympl
figures fast (the frames sent after a blit, redraw requests, saving) and the discovery of the
slider-latency benchmark.
"""
from __future__ import annotations

import importlib.util
import io
import os
import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).parent))
import browser_util  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
LESSONS = sorted((ROOT / "lessons").glob("[0-9][0-9]_*.ipynb"))
if os.environ.get("LRCOURSE_BROWSER_LESSONS") != "all":
    LESSONS = LESSONS[:1]


@pytest.mark.browser
@pytest.mark.parametrize("lesson", LESSONS, ids=[p.stem[:2] for p in LESSONS])
def test_lesson_runs_and_its_slider_repaints_the_figure(lesson, tmp_path):
    reason = browser_util.why_no_browser()
    if reason:
        pytest.skip(f"browser test skipped: {reason}")
    root = browser_util.copy_notebooks([lesson], tmp_path / "root")  # never touch the repo copy
    shot = tmp_path / f"{lesson.stem}.png"
    with browser_util.jupyter_lab(root, tmp_path) as (base, token), browser_util.chromium(tmp_path) as page:
        try:
            nb = browser_util.Notebook(page, base, token, lesson.name)
            nb.run_all()
            problems = nb.problems()
            assert not problems, f"{lesson.name} in JupyterLab:\n" + "\n".join(problems)
            assert nb.find_app(), "no cell output shows a slider next to an ipympl figure"
            now, low, high = nb.slider_position()
            keys = ["ArrowLeft", "ArrowRight"] if high - now < (high - low) / 4 else ["ArrowRight", "ArrowLeft"]
            readout = nb.output.locator(".widget-readout").first
            nb.wait_quiet(quiet_ms=500)  # the figures' first draws are done
            for key in keys * 2:  # back and forth: every move repaints the figure with something new
                before_value, before_pixels = readout.inner_text(), nb.canvas_png()
                ms = nb.move_and_time(key)
                assert ms is not None, f"{key} did not repaint the figure"
                nb.wait_quiet()
                assert readout.inner_text() != before_value, f"{key}: the slider did not move"
                assert nb.canvas_png() != before_pixels, f"{key}: the figure did not change"
            nb.output.screenshot(path=str(shot))
            problems = nb.problems()  # the moves ran Python in the kernel too
            assert not problems, "after moving the slider:\n" + "\n".join(problems)
        except BaseException:
            page.screenshot(path=str(tmp_path / "failure.png"), full_page=True)
            print(f"screenshot: {tmp_path / 'failure.png'}; server log: {tmp_path / 'jupyterlab.log'}")
            raise
    assert shot.stat().st_size > 0
    log = (tmp_path / "jupyterlab.log").read_text(errors="replace")
    assert "lrcourse: kernel websockets send without Nagle's delay" in log, (
        "the server did not load lrcourse.server_extension (slider frames arrive up to 40 ms late)")


# -- no browser needed ---------------------------------------------------------------------
def _decode(png):
    from PIL import Image

    return np.asarray(Image.open(io.BytesIO(png)).convert("RGBA"))


def _composite(screen, frame, mode):
    """What ipympl's frontend does with a frame: "full" replaces, "diff" draws the image at the
    top-left corner over the previous one (transparent pixels keep what was there)."""
    if mode == "full":
        return frame.copy()
    h, w, _ = frame.shape
    out = screen.copy()
    opaque = frame[..., 3] != 0
    out[:h, :w][opaque] = frame[opaque]
    return out


def test_blitted_frames_rebuild_the_figure_exactly():
    """lrcourse.widgets.fast_frames: cropped, quickly encoded diff frames give the browser the
    same pixels as matplotlib's own frames."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.backends.backend_webagg_core import FigureCanvasWebAggCore
    from matplotlib.figure import Figure

    from lrcourse.widgets import BlitManager

    fig = Figure(figsize=(6, 2.5), dpi=80)
    canvas = FigureCanvasWebAggCore(fig)
    ax = fig.subplots()
    ax.set_xlim(0, 1)
    ax.set_ylim(-1.2, 1.2)
    blit = BlitManager(canvas)
    assert canvas.get_diff_image.__name__ == "<lambda>", "fast_frames did not hook the canvas"
    (line,) = ax.plot([], [], "o-")
    blit.add(line)
    x = np.linspace(0, 1, 40)

    def frame():
        canvas._png_is_old = True  # what canvas.draw()/blit() set before asking for the image
        return canvas.get_diff_image(), canvas._current_image_mode

    FigureCanvasAgg.draw(canvas)  # full render (WebAgg's draw also pushes to clients)
    png, mode = frame()
    assert mode == "full"
    screen = _decode(png)
    for k, lr in enumerate([0.3, 1.5, 1.9, 0.1, 0.1]):
        line.set_data(x, np.cos(np.pi * lr * np.arange(40) / 4) * (1 - x / 2))
        canvas.restore_region(blit._background)
        blit._draw_animated()
        png, mode = frame()
        assert mode == "diff"
        screen = _composite(screen, _decode(png), mode)
        np.testing.assert_array_equal(screen, np.asarray(canvas.buffer_rgba()), err_msg=f"frame {k}")
    assert _decode(png).shape[:2] == (1, 1)  # nothing changed in the last frame: a 1-pixel no-op


def test_saving_an_app_figure_leaves_its_blitting_intact(tmp_path):
    """savefig (ipympl's PNG copy on display, the toolbar's download) draws the moving artists
    too; the blit background must stay clean (no ghost of the old path after the next move),
    and saving to another format must work."""
    from lrcourse.widgets.stepsize import StepSizeApp

    app = StepSizeApp(lr=0.3)
    app.fig.savefig(tmp_path / "app.png")
    app.fig.savefig(tmp_path / "app.pdf")
    app.controls["lr"].value = 1.9  # blitted over the cached background
    blitted = np.asarray(app.fig.canvas.buffer_rgba()).copy()
    app.blit.redraw()
    np.testing.assert_array_equal(blitted, np.asarray(app.fig.canvas.buffer_rgba()))


@pytest.mark.filterwarnings("ignore:Passing unrecognized arguments:DeprecationWarning")  # ipympl's Toolbar
def test_browser_redraw_requests_render_only_when_something_changed():
    """ipympl's frontend asks for a full redraw when it connects and after draw_idle; an app's
    canvas answers with the frame it has unless something drawn normally changed."""
    import matplotlib
    from matplotlib.figure import Figure

    from lrcourse.widgets import BlitManager

    backend = matplotlib.get_backend()
    try:
        from ipympl.backend_nbagg import Canvas, FigureManager
    finally:
        matplotlib.use(backend)  # importing ipympl makes it pyplot's backend: undo that
    fig = Figure(figsize=(4, 2), dpi=72)
    canvas = Canvas(fig)
    FigureManager(canvas, 0)
    canvas.syncing_data_url = False
    ax = fig.subplots()
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    blit = BlitManager(canvas)
    (line,) = ax.plot([0, 1], [0, 1])
    blit.add(line)
    renders = []
    canvas.mpl_connect("draw_event", lambda event: renders.append(canvas.is_saving()))
    blit.update()  # the first update renders fully
    canvas._repr_mimebundle_()  # display: ipympl saves a PNG copy
    assert renders == [False, True] and not fig.stale
    line.set_data([0, 1], [1, 0])
    blit.update()
    canvas.handle_event({"type": "draw"})  # nothing but the animated line changed: no render
    assert len(renders) == 2
    frame = np.asarray(canvas.buffer_rgba()).copy()
    blit.redraw()
    np.testing.assert_array_equal(frame, np.asarray(canvas.buffer_rgba()))  # = a full render
    ax.set_xlim(0, 2)  # limits changed: the request renders
    canvas.handle_event({"type": "draw"})
    assert len(renders) == 4


def test_png_bytes_round_trip():
    from lrcourse.widgets import _png_bytes

    rgba = np.random.default_rng(0).integers(0, 256, size=(7, 5, 4), dtype=np.uint8)
    np.testing.assert_array_equal(_decode(_png_bytes(rgba)), rgba)


def test_slider_latency_benchmark_finds_lesson_1_app():
    spec = importlib.util.spec_from_file_location("slider_latency", ROOT / "benchmarks" / "slider_latency.py")
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    apps, broken = bench.discover()
    names = [name for name, _ in apps]
    assert "lrcourse.widgets.stepsize.StepSizeApp" in names
    from lrcourse.widgets.stepsize import StepSizeApp

    app = StepSizeApp()
    lr = app.controls["lr"]
    values = bench.positions(lr, 50)
    assert len(values) == 50 and values[0] != lr.value
    assert all(a != b for a, b in zip(values, values[1:]))
    assert min(values) == pytest.approx(lr.base ** lr.min) and max(values) == pytest.approx(lr.base ** lr.max)


def test_fast_frames_hooks_only_web_canvases():
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.backends.backend_webagg_core import FigureCanvasWebAggCore
    from matplotlib.figure import Figure

    from lrcourse.widgets import fast_frames

    agg = FigureCanvasAgg(Figure())
    assert fast_frames(agg) is agg and not hasattr(agg, "_lrcourse_fast_frames")
    web = FigureCanvasWebAggCore(Figure())
    assert fast_frames(web) is web and web._lrcourse_fast_frames
    with pytest.raises(TypeError, match="canvas"):
        fast_frames(42)
