"""Slider apps for the lessons, and the small machinery that keeps them instant.

Why it is built this way (measured in ``../shared/RECIPES.md``): redrawing a whole matplotlib
figure costs 40-130 ms, ~90% of it ticks and labels. So an app

1. builds its figure once (``with plt.ioff()`` so it is shown only where we display it),
2. marks the artists a slider moves as *animated* and keeps the axis limits fixed,
3. on each slider move recomputes (vectorised) and updates those artists in place, then
   *blits*: restores the cached static background and draws only the moving artists
   (about 10 ms), with a full redraw only when limits must change.

ipympl's own share is cut too (:func:`fast_frames`, applied by :func:`new_figure` and
:class:`BlitManager`): each frame sent to the browser is cropped and encoded about 4x faster,
and the browser's redraw requests (several per figure when a notebook opens) render the
figure only if something changed.

``display(controls, fig.canvas)`` shows the controls and the ipympl canvas in one output,
which also keeps ipympl's PNG fallback for nbval and exported HTML.

Each lesson's apps live in their own module (``lrcourse.widgets.stepsize`` for lesson 1, ...).
Apps are plain objects: tests set ``app.controls[name].value`` and read the artists' data.
"""
from __future__ import annotations

import struct
import warnings
import zlib

import numpy as np

from .. import _validate as v

__all__ = ["slider_grid", "nearest", "log_visible", "BlitManager", "SliderApp", "new_figure", "log_slider",
           "grid_slider", "float_slider", "int_slider", "fast_frames"]


class BlitManager:
    """Redraw only the given artists on top of a cached background (matplotlib blitting).

    The background is cached on every full draw (``draw_event``), so resizes and full
    redraws keep it valid.
    """

    def __init__(self, canvas, artists=()):
        blitting = ("mpl_connect", "copy_from_bbox", "restore_region", "blit")
        if not all(callable(getattr(canvas, m, None)) for m in blitting):
            raise TypeError(f"canvas must be a matplotlib canvas that can blit (fig.canvas), "
                            f"got {type(canvas).__name__}")
        from matplotlib.artist import Artist

        if (isinstance(artists, (str, bytes)) or not hasattr(artists, "__iter__")
                or not all(isinstance(a, Artist) for a in artists)):
            raise TypeError(f"artists must be a list of matplotlib artists, got {type(artists).__name__} {artists!r}")
        self.canvas = canvas
        self._background = None
        self._artists = []
        for a in artists:
            self.add(a)
        self.full_draws = 0
        self.blits = 0
        canvas.mpl_connect("draw_event", self._on_draw)
        fast_frames(canvas)
        canvas._lrcourse_blit = self  # lets the canvas rebuild a frame without a full render

    def add(self, artist):
        """Manage one more moving artist (it is marked animated and kept out of the layout,
        so what it shows never changes the static background's geometry)."""
        from matplotlib.artist import Artist
        from matplotlib.text import Text

        if not isinstance(artist, Artist):
            raise TypeError(f"artist must be a matplotlib artist (a line, text, mesh, ...), "
                            f"got {type(artist).__name__}")
        artist.set_animated(True)
        if not isinstance(artist, Text):  # titles keep their space in the layout
            artist.set_in_layout(False)
        self._artists.append(artist)
        return artist

    def _on_draw(self, event):
        # savefig (ipympl's PNG fallback on display, the toolbar's download, a PDF) draws the
        # animated artists into its output: keep the clean background and draw nothing.
        if self.canvas.is_saving() or getattr(event, "canvas", self.canvas) is not self.canvas:
            return
        self._background = self.canvas.copy_from_bbox(self.canvas.figure.bbox)
        self._draw_animated()

    def _draw_animated(self):
        fig = self.canvas.figure
        for a in self._artists:
            fig.draw_artist(a)

    def redraw(self):
        """Full redraw (ticks, labels, background); use when axis limits change."""
        self.full_draws += 1
        self.canvas.draw()

    def update(self):
        """Blit the moving artists over the cached background. Full draw the first time, and
        whenever something drawn normally changed since (the figure is *stale*: limits, a
        static artist, the layout after saving to another format), so that the background is
        never out of date; moving the animated artists never makes the figure stale."""
        if self._background is None or self.canvas.figure.stale:
            self.redraw()
            return
        self.blits += 1
        self._repaint()
        self.canvas.blit(self.canvas.figure.bbox)

    def _repaint(self):
        """Background, then the moving artists, into the canvas's buffer (no message sent)."""
        self.canvas.restore_region(self._background)
        self._draw_animated()


def _png_bytes(rgba, level=1):
    """Encode an (h, w, 4) uint8 RGBA image as PNG: no row filters, zlib ``level``.

    Pillow's default (adaptive filters, level 6) takes 8-20 ms for a 1000 x 300 frame here;
    this takes 2-4 ms, and a blitted frame is mostly transparent zeros, which compress well
    anyway (~15 kB instead of ~9 kB).
    """
    h, w, _ = rgba.shape
    rows = np.zeros((h, 1 + 4 * w), np.uint8)  # each row: filter type 0 ("none"), then RGBA
    rows[:, 1:] = rgba.reshape(h, 4 * w)

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", w, h, 8, 6, 0, 0, 0)  # 8 bits per channel, RGBA
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(rows.tobytes(), level)) + chunk(b"IEND", b""))


def _diff_image(canvas):
    """What ipympl sends the browser after a draw or a blit, made cheaper (same pixels).

    matplotlib's ``FigureCanvasWebAggCore.get_diff_image`` sends the whole frame (``full``)
    or, in ``diff`` mode, a frame-sized PNG that is transparent where nothing changed; the
    browser draws it at the top-left corner over the previous frame. Two savings: the diff is
    cropped to the rows and columns up to the last changed pixel (drawn at the same corner,
    so the result is identical), and it is encoded by :func:`_png_bytes`.
    """
    if not canvas._png_is_old:
        return None
    pixels = np.asarray(canvas.get_renderer().buffer_rgba())
    buff = pixels.view(np.uint32).squeeze(2)  # one uint32 per pixel: compare whole pixels
    if canvas._force_full or buff.shape != canvas._last_buff.shape or (pixels[:, :, 3] != 255).any():
        canvas.set_image_mode("full")
        output = buff
    else:
        canvas.set_image_mode("diff")
        changed = buff != canvas._last_buff
        rows, cols = np.flatnonzero(changed.any(axis=1)), np.flatnonzero(changed.any(axis=0))
        h, w = (rows[-1] + 1, cols[-1] + 1) if rows.size else (1, 1)
        output = np.where(changed[:h, :w], buff[:h, :w], 0)
    canvas._last_buff = buff.copy()
    canvas._force_full = False
    canvas._png_is_old = False
    return _png_bytes(output.view(np.uint8).reshape(*output.shape, 4))


def _handle_draw(canvas, event):
    """The browser asks for a redraw (when it connects, after ``draw_idle``, after a resize).

    ipympl renders the whole figure again each time: 100-1000 ms for an app's figure, several
    times per figure when a notebook opens, which delays the first slider moves. Render again
    only if something drawn normally changed (``figure.stale``; moving artists are animated
    and never make it stale) or the size or dpi changed; else rebuild the frame from the
    blit background (what a full render would give) and send it.
    """
    fig = canvas.figure
    w, h = fig.bbox.size
    blit = getattr(canvas, "_lrcourse_blit", None)
    if (fig.stale or canvas.manager is None or getattr(canvas, "_lastKey", None) != (w, h, fig.dpi)
            or blit is None or blit._background is None):
        canvas.draw()
    else:
        blit._repaint()
        canvas._png_is_old = True
        canvas.manager.refresh_all()


def fast_frames(canvas):
    """Make an ipympl canvas cheaper to update (idempotent; returns the canvas).

    Its frames go through :func:`_diff_image` and the browser's redraw requests through
    :func:`_handle_draw`. Displaying it (ipympl saves a PNG copy for notebooks and exported
    HTML) no longer marks the figure stale, since saving changes nothing on screen: so the
    browser's first redraw requests cost no full render either. A no-op for other canvases
    (Agg under tests, inline) and for a matplotlib whose web canvas lacks the private
    attributes this relies on.
    """
    if not callable(getattr(canvas, "draw", None)) or not hasattr(canvas, "figure"):
        raise TypeError(f"canvas must be a matplotlib canvas (fig.canvas), got {type(canvas).__name__}")
    needed = ("get_diff_image", "handle_draw", "_png_is_old", "_force_full", "_last_buff", "set_image_mode")
    if getattr(canvas, "_lrcourse_fast_frames", False) or not all(hasattr(canvas, a) for a in needed):
        return canvas
    canvas.get_diff_image = lambda: _diff_image(canvas)
    canvas.handle_draw = lambda event: _handle_draw(canvas, event)
    show = getattr(canvas, "_repr_mimebundle_", None)  # ipympl's display: a PNG copy too
    if show is not None:
        def _repr_mimebundle_(**kwargs):
            stale = canvas.figure.stale
            bundle = show(**kwargs)
            canvas.figure.stale = stale
            return bundle

        canvas._repr_mimebundle_ = _repr_mimebundle_
    canvas._lrcourse_fast_frames = True
    return canvas


def new_figure(nrows=1, ncols=1, figsize=(9, 3.6), **kwargs):
    """A figure and axes for an app, not shown until the app displays it.

    Under ipympl (``%matplotlib widget``) the canvas is a widget: its header and footer are
    hidden and it is not resizable, so the layout (and the blit background) stays fixed.
    """
    import matplotlib.pyplot as plt

    nrows = v.integer("nrows", nrows, 1, 10)
    ncols = v.integer("ncols", ncols, 1, 10)
    figsize = _figsize(figsize)
    with plt.ioff():
        fig, axes = plt.subplots(nrows, ncols, figsize=figsize, layout="constrained", **kwargs)
    canvas = fig.canvas
    if hasattr(canvas, "header_visible"):
        canvas.header_visible = False
        canvas.footer_visible = False
        canvas.toolbar_visible = "fade-in-fade-out"
        canvas.resizable = False
        fast_frames(canvas)
    return fig, axes


def _figsize(figsize):
    """(width, height) in inches, each in (0, 50]."""
    if isinstance(figsize, (str, bytes)) or not hasattr(figsize, "__len__") or len(figsize) != 2:
        raise TypeError(f"figsize must be a pair (width, height) in inches, got {type(figsize).__name__} {figsize!r}")
    return tuple(v.number(f"figsize[{i}]", size, 0, 50, low_open=True) for i, size in enumerate(figsize))


def _look():
    """What every course slider shares: live updates while dragging, a wide track, full labels."""
    return {"continuous_update": True, "style": {"description_width": "initial"}, "layout": {"width": "420px"}}


def log_slider(description, value, low, high, *, steps_per_decade=50, readout_format=".3g"):
    """A slider over [low, high] on a log scale (ipywidgets.FloatLogSlider), 0 < low < high."""
    import ipywidgets as w

    value, low, high = _check_range(description, value, low, high, positive=True)
    steps_per_decade = v.integer("steps_per_decade", steps_per_decade, 1, 10_000)
    return w.FloatLogSlider(
        value=value, base=10, min=np.log10(low), max=np.log10(high), step=1 / steps_per_decade,
        description=description, readout_format=v.text("readout_format", readout_format), **_look())


def grid_slider(description, value, grid, *, readout_format=".3g", name="grid"):
    """A log slider whose positions are exactly the points of ``grid`` (ipywidgets.FloatLogSlider).

    For apps that precompute one result per point of a geometric grid (``np.geomspace``): each
    key press or drag step moves to the next point, so every move shows a different result and
    the readout always shows the value drawn. ``value`` snaps to the nearest grid point.
    A slider finer than the grid would let several positions show the same picture. ``name``
    is what error messages call ``grid`` (the caller's argument).
    """
    import ipywidgets as w

    v.text("description", description)
    name = v.text("name", name)
    grid = v.array(name, grid, ndim=1, low=0, high=SLIDER_MAX, low_open=True)
    if grid.size < 2:
        raise ValueError(f"{name} must have at least 2 points ({description} slider), got {grid.size}")
    exponents = np.log10(grid)
    step = (exponents[-1] - exponents[0]) / (grid.size - 1)
    if not (step > 0 and np.allclose(np.diff(exponents), step, rtol=1e-6, atol=1e-12)):
        raise ValueError(f"{name} must increase evenly on a log scale, like np.geomspace ({description} slider), "
                         f"got {grid[:4]}{'...' if grid.size > 4 else ''}")
    value = v.number("value", value, 0, SLIDER_MAX, low_open=True)
    if not grid[0] * (1 - 1e-9) <= value <= grid[-1] * (1 + 1e-9):
        raise ValueError(f"value must be in [{grid[0]:g}, {grid[-1]:g}] ({description} slider), got {value!r}")
    return w.FloatLogSlider(
        value=float(grid[nearest(grid, value, log=True)]), base=10, min=float(exponents[0]),
        max=float(exponents[-1]), step=float(step), description=description,
        readout_format=v.text("readout_format", readout_format), **_look())


def float_slider(description, value, low, high, step=None, *, readout_format=".3g"):
    """A linear slider over [low, high] (ipywidgets.FloatSlider); ``step`` defaults to 1/200 of it."""
    import ipywidgets as w

    value, low, high = _check_range(description, value, low, high)
    step = (high - low) / 200 if step is None else v.number("step", step, 0, high - low, low_open=True)
    return w.FloatSlider(
        value=value, min=low, max=high, step=step, description=description,
        readout_format=v.text("readout_format", readout_format), **_look())


def int_slider(description, value, low, high, step=1):
    """An integer slider over [low, high] (ipywidgets.IntSlider)."""
    import ipywidgets as w

    value, low, high = _check_range(description, value, low, high, integer=True)
    step = v.integer("step", step, 1, high - low)
    return w.IntSlider(
        value=value, min=low, max=high, step=step, description=description, **_look())


#: Slider ends must lie within +-SLIDER_MAX (ipywidgets sends them to the browser as numbers).
SLIDER_MAX = 1e15


def _check_range(description, value, low, high, positive=False, integer=False):
    """Check a slider's label, ends and starting value; return (value, low, high)."""
    v.text("description", description)
    check = v.integer if integer else v.number
    low = check("low", low, -SLIDER_MAX, SLIDER_MAX)
    high = check("high", high, -SLIDER_MAX, SLIDER_MAX)
    if positive and low <= 0:
        raise ValueError(f"low must be > 0 for a log slider ({description}), got {low!r}")
    if not low < high:
        raise ValueError(f"high must be > low ({description}: slider range [{low!r}, {high!r}])")
    value = check("value", value)
    if not low <= value <= high:
        raise ValueError(f"value must be in [{low:g}, {high:g}] ({description} slider), got {value!r}")
    return value, low, high


class SliderApp:
    """Base class of the lessons' apps: controls + a figure built once + blitted updates.

    A subclass builds its figure and artists in ``__init__`` (using :func:`new_figure` and
    ``self.blit.add(artist)`` for the artists that move), fills ``self.controls`` (an ordered
    dict name -> widget, the first one shown next to the figure) and calls ``self._start()``.
    It implements ``update(**values)``: recompute and set the artists' data (and, if it
    likes, ``self.status.value``, an HTML line shown under the controls); return True when
    axis limits changed and a full redraw is needed.
    """

    fig = None
    controls: dict

    def _start(self):
        import ipywidgets as w

        self.blit = getattr(self, "blit", None) or BlitManager(self.fig.canvas)
        # A status line under the controls: text in HTML costs nothing to redraw,
        # while text inside the figure is re-rasterised on every move.
        self.status = getattr(self, "status", None) or w.HTML(layout={"min_height": "1.6em"})
        for widget in self.controls.values():
            widget.observe(self._on_change, names="value")
        self.refresh()

    def values(self):
        """The current control values as a dict name -> value."""
        return {name: widget.value for name, widget in self.controls.items()}

    def _on_change(self, change):
        self.refresh()

    def refresh(self):
        """Recompute from the controls and repaint (blit, or full draw when limits changed)."""
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore", RuntimeWarning)
            full = self.update(**self.values())
        if full:
            self.blit.redraw()
        else:
            self.blit.update()

    def update(self, **values):  # pragma: no cover - every app overrides it
        raise NotImplementedError

    def widget(self):
        """The controls as one ipywidgets box (without the figure)."""
        import ipywidgets as w

        return w.VBox(list(self.controls.values()) + [self.status])

    def show(self):
        """Display the controls and the figure in the current cell output."""
        from IPython.display import display

        canvas = self.fig.canvas
        display(self.widget(), canvas if hasattr(canvas, "_model_id") else self.fig)

    def _ipython_display_(self):
        self.show()


def slider_grid(slider):
    """Every value an ipywidgets Float(Log)Slider or IntSlider can take, as an array."""
    if not all(hasattr(slider, a) for a in ("min", "max", "step")):
        raise TypeError(f"slider must be an ipywidgets slider with min, max and step, got {type(slider).__name__}")
    n = int(np.floor((slider.max - slider.min) / slider.step + 1e-9)) + 1
    exponents = slider.min + slider.step * np.arange(n)
    return slider.base ** exponents if hasattr(slider, "base") else exponents


def nearest(grid, value, log=False):
    """Index of the grid point closest to ``value`` (in log distance if ``log``)."""
    log = v.flag("log", log)
    grid = v.array("grid", grid, ndim=1, nonempty=True, low=0 if log else None, low_open=log)
    value = v.number("value", value, 0 if log else None, low_open=log)
    if log:
        return int(np.argmin(np.abs(np.log(grid) - np.log(value))))
    return int(np.argmin(np.abs(grid - value)))


def log_visible(y):
    """Values a log axis can show: non-finite and <= 0 become NaN (not drawn)."""
    y = v.array("y", y, finite=False)
    return np.where(np.isfinite(y) & (y > 0), y, np.nan)
