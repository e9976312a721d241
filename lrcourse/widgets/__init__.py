"""Slider apps for the lessons, and the small machinery that keeps them instant.

Why it is built this way (measured in ``../shared/RECIPES.md``): redrawing a whole matplotlib
figure costs 40-130 ms, ~90% of it ticks and labels. So an app

1. builds its figure once (``with plt.ioff()`` so it is shown only where we display it),
2. marks the artists a slider moves as *animated* and keeps the axis limits fixed,
3. on each slider move recomputes (vectorised) and updates those artists in place, then
   *blits*: restores the cached static background and draws only the moving artists
   (about 10 ms), with a full redraw only when limits must change.

Every frame sent to the browser is a whole picture (:func:`fast_frames`, applied by
:func:`new_figure` and :class:`BlitManager`): ipympl's frontend loads each frame into one image,
and a newer frame replaces one still loading, so a frame that only patches the previous one
(ipympl's "diff" frames) paints a wrong picture whenever the frame before it was dropped. Whole
frames are encoded about 4x faster than ipympl does, which pays for them.

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

    The background is captured only by this manager's own full render (:meth:`redraw`) of
    the canvas's buffer, so it never holds a moving artist or a stale picture. Any other draw
    of the figure (a save, ``draw_without_rendering``, someone's ``canvas.draw()``), adding an
    artist, or a change that makes the figure stale drops it, and the next :meth:`update`
    renders in full again.
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
        self._capturing = False
        canvas.mpl_connect("draw_event", self._on_draw)
        fast_frames(canvas)
        canvas._lrcourse_blit = self  # the browser's redraw requests go through redraw()

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
        self._background = None  # a background captured before may show this artist: take a new one
        return artist

    def _on_draw(self, event):
        if getattr(event, "canvas", self.canvas) is not self.canvas:
            return
        if self._capturing:  # our own full render into the canvas's buffer: no moving artist in it yet
            self._background = self.canvas.copy_from_bbox(self.canvas.figure.bbox)
        else:
            # Another draw: savefig (ipympl's PNG copy on display, a download) draws the moving
            # artists in, maybe at another size; draw_without_rendering clears the canvas's
            # buffer and paints nothing. Neither leaves a background to blit on.
            self._background = None
        if not self.canvas.is_saving():  # a save draws the moving artists itself
            self._draw_animated()

    def _draw_animated(self):
        """Draw the moving artists over the background, stacked as a full render stacks them.

        In each axes, matplotlib draws its artists by ``zorder`` (ties in the order they were
        added). So the moving artists are drawn in that order, together with the static ones
        a full render draws after them (a legend; markers, contours or text added later or with
        a higher zorder), which are drawn again. Left out: the axes' spines and tick labels (zorder 2.5, above
        lines), whose redraw would cost most of a full render; where a moving line crosses an
        axis line, it stays on top.
        """
        from matplotlib.axis import Axis
        from matplotlib.spines import Spine

        fig = self.canvas.figure
        by_axes = {}
        for a in self._artists:
            by_axes.setdefault(a.axes, []).append(a)
        for ax, moving in by_axes.items():
            if ax is None:  # a figure-level artist: nothing of an axes to stack with
                for a in moving:
                    fig.draw_artist(a)
                continue
            children = ax.get_children()
            place = {id(c): i for i, c in enumerate(children)}

            def order(c):  # matplotlib's drawing order within an axes
                return c.get_zorder(), place.get(id(c), len(place))

            first = min(order(a) for a in moving)
            over = [c for c in children
                    if order(c) > first and c.get_visible() and not c.get_animated()
                    and not isinstance(c, (Axis, Spine)) and c is not ax.patch and c is not ax.title]
            # Drawing a static artist again can place its parts again (a legend's box), which
            # marks the axes stale; passed on, that would mark the figure stale and, under
            # pyplot, ask the browser for a full redraw. So the axes pass nothing on meanwhile.
            was_stale, passes_on = ax.stale, ax.stale_callback
            ax.stale_callback = None
            try:
                for a in sorted(moving + over, key=order):
                    fig.draw_artist(a)
            finally:
                ax.stale_callback = passes_on
                if not was_stale:
                    ax.stale = False

    def redraw(self):
        """Full redraw (ticks, labels, background); use when axis limits change."""
        self.full_draws += 1
        self._capturing = True
        try:
            self.canvas.draw()
        finally:
            self._capturing = False

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
    this takes about 3 ms for an 825 x 330 one (~50 kB instead of ~30 kB: mostly white, which
    compresses well anyway).
    """
    h, w, _ = rgba.shape
    rows = np.zeros((h, 1 + 4 * w), np.uint8)  # each row: filter type 0 ("none"), then RGBA
    rows[:, 1:] = rgba.reshape(h, 4 * w)

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", w, h, 8, 6, 0, 0, 0)  # 8 bits per channel, RGBA
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(rows.tobytes(), level)) + chunk(b"IEND", b""))


#: The versions whose private frame machinery :func:`fast_frames` was written and tested for:
#: matplotlib's ``FigureCanvasWebAggCore`` (``get_diff_image``, ``handle_draw``, ``_png_is_old``,
#: ``_force_full``, ``_last_buff``, ``set_image_mode``) and ipympl's use of them (its frontend's
#: "full" image mode, its ``send_binary`` reading ``_last_buff``). Any other version gets the
#: canvas exactly as ipympl made it.
WRITTEN_FOR = {"matplotlib": "3.11.", "ipympl": "0.10.0"}


def _written_for(canvas):
    """True if this canvas's matplotlib (and ipympl, for ipympl's canvas) is a version
    :data:`WRITTEN_FOR` names: ``matplotlib`` starting with its prefix, ``ipympl`` equal."""
    import matplotlib

    if not matplotlib.__version__.startswith(WRITTEN_FOR["matplotlib"]):
        return False
    if type(canvas).__module__.split(".")[0] == "ipympl":
        import ipympl

        return getattr(ipympl, "__version__", None) == WRITTEN_FOR["ipympl"]
    return True


def _full_frame(canvas):
    """The frame ipympl sends the browser after a draw or a blit: always the whole picture.

    matplotlib's ``get_diff_image`` sends, after the first frame, a "diff": a PNG transparent
    where nothing changed, drawn over the previous frame. ipympl's frontend loads every frame
    into one image and a newer frame replaces one still loading, so under load some frames are
    never drawn; a diff that follows a dropped frame paints only what changed (after "Run all":
    a blank figure, or moving lines without axes). A whole frame does not depend on the one
    before, so the last frame sent, which is always drawn, shows exactly the canvas's buffer.
    Encoded by :func:`_png_bytes` (about 3 ms for an 820 x 330 frame).
    """
    if not canvas._png_is_old:
        return None
    pixels = np.asarray(canvas.get_renderer().buffer_rgba())
    canvas.set_image_mode("full")  # the browser clears the canvas, then draws the frame
    canvas._last_buff = pixels.view(np.uint32).squeeze(2).copy()  # ipympl's PNG copy reads this
    canvas._force_full = False
    canvas._png_is_old = False
    return _png_bytes(pixels)


def _handle_draw(canvas, event):
    """The browser asks for a redraw (when it connects, after ``draw_idle``, after a resize):
    a full render, as ipympl does; through the app's :meth:`BlitManager.redraw` when it has
    one, so that the render also gives the manager its background."""
    blit = getattr(canvas, "_lrcourse_blit", None)
    if blit is not None:
        blit.redraw()
    else:
        canvas.draw()


def fast_frames(canvas):
    """Send an ipympl canvas's frames whole, and encode them quickly (idempotent; returns the canvas).

    Its frames go through :func:`_full_frame` and the browser's redraw requests through
    :func:`_handle_draw`. A no-op for other canvases (Agg under tests, inline), and for a
    matplotlib or ipympl other than the versions in :data:`WRITTEN_FOR`: this replaces
    private methods of theirs, so a newer release keeps ipympl's own behaviour instead.
    """
    if not callable(getattr(canvas, "draw", None)) or not hasattr(canvas, "figure"):
        raise TypeError(f"canvas must be a matplotlib canvas (fig.canvas), got {type(canvas).__name__}")
    needed = ("get_diff_image", "handle_draw", "_png_is_old", "_force_full", "_last_buff", "set_image_mode")
    if (getattr(canvas, "_lrcourse_fast_frames", False) or not all(hasattr(canvas, a) for a in needed)
            or not _written_for(canvas)):
        return canvas
    canvas.get_diff_image = lambda: _full_frame(canvas)
    canvas.handle_draw = lambda event: _handle_draw(canvas, event)
    canvas._lrcourse_fast_frames = True
    return canvas


def new_figure(nrows=1, ncols=1, figsize=(8.25, 3.3), **kwargs):
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
