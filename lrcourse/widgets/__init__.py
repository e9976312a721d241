"""Slider apps for the lessons, and the small machinery that keeps them instant.

Why it is built this way (measured in ``../shared/RECIPES.md``): redrawing a whole matplotlib
figure costs 40-130 ms, ~90% of it ticks and labels. So an app

1. builds its figure once (``with plt.ioff()`` so it is shown only where we display it),
2. marks the artists a slider moves as *animated* and keeps the axis limits fixed,
3. on each slider move recomputes (vectorised) and updates those artists in place, then
   *blits*: restores the cached static background and draws only the moving artists
   (about 10 ms), with a full redraw only when limits must change.

``display(controls, fig.canvas)`` shows the controls and the ipympl canvas in one output,
which also keeps ipympl's PNG fallback for nbval and exported HTML.

Each lesson's apps live in their own module (``lrcourse.widgets.stepsize`` for lesson 1, ...).
Apps are plain objects: tests set ``app.controls[name].value`` and read the artists' data.
"""
from __future__ import annotations

import warnings

import numpy as np

__all__ = ["BlitManager", "SliderApp", "new_figure", "log_slider", "float_slider", "int_slider"]


class BlitManager:
    """Redraw only the given artists on top of a cached background (matplotlib blitting).

    The background is cached on every full draw (``draw_event``), so resizes and full
    redraws keep it valid.
    """

    def __init__(self, canvas, artists=()):
        self.canvas = canvas
        self._background = None
        self._artists = []
        for a in artists:
            self.add(a)
        self.full_draws = 0
        self.blits = 0
        canvas.mpl_connect("draw_event", self._on_draw)

    def add(self, artist):
        """Manage one more moving artist (it is marked animated and kept out of the layout,
        so what it shows never changes the static background's geometry)."""
        from matplotlib.text import Text

        artist.set_animated(True)
        if not isinstance(artist, Text):  # titles keep their space in the layout
            artist.set_in_layout(False)
        self._artists.append(artist)
        return artist

    def _on_draw(self, event):
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
        """Blit the moving artists over the cached background (full draw the first time)."""
        if self._background is None:
            self.redraw()
            return
        self.blits += 1
        self.canvas.restore_region(self._background)
        self._draw_animated()
        self.canvas.blit(self.canvas.figure.bbox)


def new_figure(nrows=1, ncols=1, figsize=(9, 3.6), **kwargs):
    """A figure and axes for an app, not shown until the app displays it.

    Under ipympl (``%matplotlib widget``) the canvas is a widget: its header and footer are
    hidden and it is not resizable, so the layout (and the blit background) stays fixed.
    """
    import matplotlib.pyplot as plt

    with plt.ioff():
        fig, axes = plt.subplots(nrows, ncols, figsize=figsize, layout="constrained", **kwargs)
    canvas = fig.canvas
    if hasattr(canvas, "header_visible"):
        canvas.header_visible = False
        canvas.footer_visible = False
        canvas.toolbar_visible = "fade-in-fade-out"
        canvas.resizable = False
    return fig, axes


def log_slider(description, value, low, high, *, steps_per_decade=50, readout_format=".3g"):
    """A slider over [low, high] on a log scale (ipywidgets.FloatLogSlider)."""
    import ipywidgets as w

    _check_range(description, value, low, high, positive=True)
    return w.FloatLogSlider(
        value=value, base=10, min=np.log10(low), max=np.log10(high), step=1 / steps_per_decade,
        description=description, readout_format=readout_format, continuous_update=True,
        style={"description_width": "initial"}, layout={"width": "420px"},
    )


def float_slider(description, value, low, high, step=None, *, readout_format=".3g"):
    """A linear slider over [low, high] (ipywidgets.FloatSlider)."""
    import ipywidgets as w

    _check_range(description, value, low, high)
    return w.FloatSlider(
        value=value, min=low, max=high, step=step or (high - low) / 200, description=description,
        readout_format=readout_format, continuous_update=True,
        style={"description_width": "initial"}, layout={"width": "420px"},
    )


def int_slider(description, value, low, high, step=1):
    """An integer slider over [low, high] (ipywidgets.IntSlider)."""
    import ipywidgets as w

    _check_range(description, value, low, high)
    return w.IntSlider(
        value=value, min=low, max=high, step=step, description=description, continuous_update=True,
        style={"description_width": "initial"}, layout={"width": "420px"},
    )


def _check_range(name, value, low, high, positive=False):
    if not (np.isfinite(low) and np.isfinite(high) and low < high):
        raise ValueError(f"{name}: slider range must satisfy low < high, got [{low}, {high}]")
    if positive and low <= 0:
        raise ValueError(f"{name}: a log slider needs low > 0, got {low}")
    if not low <= value <= high:
        raise ValueError(f"{name}: value must be in [{low}, {high}], got {value}")


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
