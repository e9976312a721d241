"""Plot helpers shared by the lessons: loss curves, trajectories on contours, schedules and
divergence maps.

Each function draws on a given matplotlib ``Axes`` and returns the artists it made, so a
widget app can build a figure once and later move those artists (see
:mod:`lrcourse.widgets`). Diverged runs are marked with a cross where they blew up instead of
being silently dropped, and axis limits stay fixed so nothing jumps while a slider moves.
"""
from __future__ import annotations

import numpy as np

__all__ = [
    "loss_curves",
    "mark_divergence",
    "clip_path",
    "contours",
    "trajectory",
    "schedule_curves",
    "divergence_map",
    "DIVERGED_COLOR",
]

DIVERGED_COLOR = "#d62728"


def _finite(a):
    a = np.asarray(a, dtype=float)
    return np.where(np.isfinite(a), a, np.nan)


def loss_curves(ax, losses, labels=None, *, ylim=(1e-12, 1e4), log=True, **style):
    """Draw one loss curve per column of ``losses`` ((steps+1,) or (steps+1, K)).

    Non-finite values are left out; the y-axis is fixed to ``ylim`` (log scale by default).
    Returns the list of Line2D artists (one per column).
    """
    losses = np.asarray(losses, dtype=float)
    cols = losses.reshape(losses.shape[0], -1)
    steps = np.arange(cols.shape[0])
    lines = []
    for k in range(cols.shape[1]):
        label = None if labels is None else labels[k]
        (line,) = ax.plot(steps, _finite(cols[:, k]), label=label, **style)
        lines.append(line)
    if log:
        ax.set_yscale("log")
    ax.set_ylim(*ylim)
    ax.set_xlim(0, max(cols.shape[0] - 1, 1))
    ax.set_xlabel("step")
    ax.set_ylabel("loss")
    return lines


def mark_divergence(ax, diverged_at, losses=None, *, marker=None, **style):
    """Put a cross at each diverged step, at the top of the y-axis (clipped, always visible).

    ``diverged_at`` is an int or an int array (-1 = did not diverge). Returns one Line2D
    holding all crosses (update it later with :func:`divergence_points`).
    """
    x, y = divergence_points(ax, diverged_at)
    style = {"color": DIVERGED_COLOR, "linestyle": "none", "markersize": 10, "mew": 2, **style}
    (line,) = ax.plot(x, y, marker or "x", clip_on=False, zorder=5, **style)
    line.set_in_layout(False)  # unclipped markers must not push the layout around
    return line


def divergence_points(ax, diverged_at):
    """x and y data for the crosses of :func:`mark_divergence`: at (step, top of the axis)."""
    d = np.atleast_1d(np.asarray(diverged_at))
    d = d[d >= 0].astype(float)
    lo, hi = ax.get_ylim()
    top = hi / 10 ** (0.04 * np.log10(hi / lo)) if ax.get_yscale() == "log" else hi - 0.04 * (hi - lo)
    return d, np.full(d.shape, top)


def clip_path(points, lo, hi):
    """Clip coordinates to [lo, hi] (per coordinate) so a diverging path runs to the frame edge
    instead of overflowing the renderer; non-finite points become NaN (not drawn)."""
    p = np.asarray(points, dtype=float)
    with np.errstate(invalid="ignore"):
        return np.where(np.isfinite(p), np.clip(p, lo, hi), np.nan)


def contours(ax, problem, xlim, ylim, *, levels=20, n=200, log=True, cmap="viridis", **style):
    """Contour lines of a 2-D problem's loss over the box xlim x ylim (computed once, vectorised).

    With ``log=True`` the levels are spaced geometrically between the smallest and largest
    value above the minimum, which shows narrow valleys. Returns the ContourSet.
    """
    xs = np.linspace(*xlim, n)
    ys = np.linspace(*ylim, n)
    X, Y = np.meshgrid(xs, ys)
    Z = problem.loss(np.stack([X, Y], axis=-1)) - getattr(problem, "min_loss", 0.0)
    if log and np.isscalar(levels):
        positive = Z[Z > 0]
        levels = np.geomspace(max(positive.min(), positive.max() * 1e-6), positive.max(), levels)
    cs = ax.contour(X, Y, Z, levels=levels, cmap=cmap, linewidths=0.8, **style)
    ax.set_xlim(*xlim)
    ax.set_ylim(*ylim)
    ax.set_aspect("equal", adjustable="box")
    return cs


def trajectory(ax, params, *, lim=None, **style):
    """Draw an optimisation path ``params`` of shape (steps+1, 2) as a line with markers.

    ``lim`` = ((xmin, xmax), (ymin, ymax)) clips a diverging path at the frame. Returns the Line2D.
    """
    p = np.asarray(params, dtype=float)
    if lim is not None:
        p = np.stack([clip_path(p[:, 0], *lim[0]), clip_path(p[:, 1], *lim[1])], axis=-1)
    style = {"marker": "o", "markersize": 3, "linewidth": 1.2, **style}
    (line,) = ax.plot(p[:, 0], p[:, 1], **style)
    return line


def schedule_curves(ax, schedules, steps, *, log=False, **style):
    """Plot learning-rate schedules: ``schedules`` maps label -> callable of the step.

    Returns the Line2D artists in the order given.
    """
    t = np.arange(steps)
    lines = []
    for label, s in schedules.items():
        (line,) = ax.plot(t, s(t), label=label, **style)
        lines.append(line)
    if log:
        ax.set_yscale("log")
    ax.set_xlabel("step")
    ax.set_ylabel("learning rate")
    ax.set_xlim(0, max(steps - 1, 1))
    return lines


def divergence_map(ax, x, y, values, *, xlabel="learning rate", ylabel="", vmin=1e-10, vmax=1e2,
                   xlog=True, ylog=True, cmap="viridis"):
    """A heatmap of ``values`` (shape (len(y), len(x)), e.g. final loss) over a grid of two
    hyperparameters, log colour scale; non-finite or > vmax cells (diverged) in red.

    Returns the QuadMesh (update its data with ``mesh.set_array(values.ravel())``).
    """
    from matplotlib.colors import LogNorm
    import matplotlib.pyplot as plt

    cm = plt.get_cmap(cmap).with_extremes(over=DIVERGED_COLOR, bad=DIVERGED_COLOR, under="black")
    data = np.ma.masked_invalid(np.asarray(values, dtype=float))
    mesh = ax.pcolormesh(x, y, data, norm=LogNorm(vmin=vmin, vmax=vmax), cmap=cm, shading="auto")
    if xlog:
        ax.set_xscale("log")
    if ylog:
        ax.set_yscale("log")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    return mesh
