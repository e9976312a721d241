"""Plot helpers shared by the lessons: loss curves, trajectories on contours, schedules and
divergence maps.

Each function draws on a given matplotlib ``Axes`` and returns the artists it made, so a
widget app can build a figure once and later move those artists (see
:mod:`lrcourse.widgets`). Diverged runs are marked with a cross where they blew up instead of
being silently dropped, and axis limits stay fixed so nothing jumps while a slider moves.
"""
from __future__ import annotations

import numbers

import numpy as np

from . import _validate as v

__all__ = [
    "loss_curves",
    "mark_divergence",
    "divergence_points",
    "first_nonfinite",
    "clip_path",
    "contours",
    "trajectory",
    "schedule_curves",
    "divergence_map",
    "DIVERGED_COLOR",
]

DIVERGED_COLOR = "#d62728"

#: Plot coordinates (limits, clipped paths) must lie within +-COORD_MAX: beyond that
#: matplotlib's transforms overflow.
COORD_MAX = 1e100

_quiet = dict(over="ignore", invalid="ignore", divide="ignore", under="ignore")


# ----------------------------------------------------------------------------- argument checks
def _axes(ax):
    from matplotlib.axes import Axes

    if not isinstance(ax, Axes):
        raise TypeError(f"ax must be a matplotlib Axes (e.g. fig, ax = plt.subplots()), got {type(ax).__name__}")
    return ax


def _limits(name, value, log=False):
    """A pair (low, high) of plot coordinates, low < high (both > 0 on a log axis)."""
    if log:
        return v.interval(name, value, 0, COORD_MAX, low_open=True)
    return v.interval(name, value, -COORD_MAX, COORD_MAX)


def _cmap(name, cmap, optional=False):
    """A colormap: a matplotlib Colormap or the name of a registered one (None if optional)."""
    import matplotlib
    from matplotlib.colors import Colormap

    if cmap is None and optional:
        return None
    if isinstance(cmap, Colormap):
        return cmap
    if not isinstance(cmap, str):
        raise TypeError(f"{name} must be a colormap name such as 'viridis', got {type(cmap).__name__} {cmap!r}")
    if cmap not in matplotlib.colormaps:
        raise ValueError(f"{name} must be a matplotlib colormap name such as 'viridis', got {cmap!r}")
    return matplotlib.colormaps[cmap]


def _steps_array(name, value):
    """diverged_at: an int or an int array, -1 meaning 'did not diverge'."""
    d = v.array(name, value, low=-1, high=2**53)
    if np.any(d != np.round(d)):
        raise ValueError(f"{name} must hold whole step numbers (-1 = did not diverge), got {value!r}")
    return d


def _finite(a):
    a = np.asarray(a, dtype=float)
    return np.where(np.isfinite(a), a, np.nan)


def first_nonfinite(losses):
    """Per column of ``losses`` ((steps+1,) or (steps+1, K)): the first step whose loss is not
    finite (where a run blew up), else -1."""
    losses = v.array("losses", losses, finite=False)
    if losses.ndim not in (1, 2) or losses.shape[0] == 0:
        raise ValueError(f"losses must have shape (steps+1,) or (steps+1, K), got shape {losses.shape}")
    cols = losses.reshape(losses.shape[0], -1)
    bad = ~np.isfinite(cols)
    first = np.where(bad.any(axis=0), np.argmax(bad, axis=0), -1)
    return first if losses.ndim > 1 else int(first[0])


# ----------------------------------------------------------------------------- loss curves
def loss_curves(ax, losses, labels=None, *, ylim=(1e-12, 1e4), log=True, diverged_at=None, **style):
    """Draw one loss curve per column of ``losses`` ((steps+1,) or (steps+1, K)).

    Non-finite values are left out and the y-axis is fixed to ``ylim`` (log scale by
    default), so a diverging run runs off the top instead of rescaling the plot; a cross at
    the top marks the step where each diverged run blew up: ``diverged_at`` (an int or a (K,)
    array, as in :class:`lrcourse.History`), by default the first non-finite loss.
    Returns the list of Line2D artists (one per column).
    """
    _axes(ax)
    losses = v.array("losses", losses, finite=False)
    if losses.ndim not in (1, 2) or losses.shape[0] == 0:
        raise ValueError(f"losses must have shape (steps+1,) or (steps+1, K), got shape {losses.shape}")
    cols = losses.reshape(losses.shape[0], -1)
    K = cols.shape[1]
    if labels is not None:
        if isinstance(labels, (str, bytes)) or not hasattr(labels, "__len__"):
            raise TypeError(f"labels must be a list of {K} strings (one per curve), "
                            f"got {type(labels).__name__} {labels!r}")
        if len(labels) != K:
            raise ValueError(f"labels must have one entry per curve (column of losses): {K}, got {len(labels)}")
    log = v.flag("log", log)
    lo, hi = _limits("ylim", ylim, log=log)
    if diverged_at is None:
        diverged_at = first_nonfinite(cols)
    diverged_at = _steps_array("diverged_at", diverged_at)
    if diverged_at.size not in (1, K):
        raise ValueError(f"diverged_at must have one entry per curve (column of losses): {K}, got {diverged_at.size}")
    steps = np.arange(cols.shape[0])
    with np.errstate(**_quiet):  # keep far-off points far off, but within what matplotlib can transform
        if log:  # (values <= 0 are left out by the log scale itself)
            shown = np.minimum(_finite(cols), hi * 1e100)
        else:
            shown = np.clip(_finite(cols), lo - 1e6 * (hi - lo), hi + 1e6 * (hi - lo))
    lines = []
    for k in range(K):
        label = None if labels is None else labels[k]
        (line,) = ax.plot(steps, shown[:, k], label=label, **style)
        lines.append(line)
    if log:
        ax.set_yscale("log")
    ax.set_ylim(lo, hi)
    ax.set_xlim(0, max(cols.shape[0] - 1, 1))
    ax.set_xlabel("step")
    ax.set_ylabel("loss")
    if np.any(diverged_at >= 0):
        mark_divergence(ax, diverged_at)
    return lines


def mark_divergence(ax, diverged_at, losses=None, *, marker=None, **style):
    """Put a cross at each diverged step, at the top of the y-axis (clipped, always visible).

    ``diverged_at`` is an int or an int array (-1 = did not diverge). ``losses`` is accepted
    for symmetry with :func:`loss_curves` and not needed. Returns one Line2D holding all
    crosses (update it later with :func:`divergence_points`).
    """
    x, y = divergence_points(ax, diverged_at)
    if losses is not None:
        v.array("losses", losses, finite=False)
    if marker is not None:
        from matplotlib.markers import MarkerStyle

        try:
            MarkerStyle(v.text("marker", marker))
        except ValueError:
            raise ValueError(f"marker must be a matplotlib marker such as 'x' or 'o', got {marker!r}") from None
    style = {"color": DIVERGED_COLOR, "linestyle": "none", "markersize": 10, "mew": 2, **style}
    (line,) = ax.plot(x, y, marker=marker or "x", clip_on=False, zorder=5, **style)
    line.set_in_layout(False)  # unclipped markers must not push the layout around
    return line


def divergence_points(ax, diverged_at):
    """x and y data for the crosses of :func:`mark_divergence`: at (step, top of the axis)."""
    _axes(ax)
    d = np.atleast_1d(_steps_array("diverged_at", diverged_at))
    d = d[d >= 0]
    lo, hi = ax.get_ylim()
    with np.errstate(**_quiet):
        top = hi / 10 ** (0.04 * np.log10(hi / lo)) if ax.get_yscale() == "log" else hi - 0.04 * (hi - lo)
    return d, np.full(d.shape, top)


def clip_path(points, lo, hi):
    """Clip coordinates to [lo, hi] (per coordinate) so a diverging path runs to the frame edge
    instead of overflowing the renderer; non-finite points become NaN (not drawn)."""
    p = v.array("points", points, finite=False)
    lo, hi = v.array("lo", lo), v.array("hi", hi)
    try:
        np.broadcast_shapes(p.shape, lo.shape, hi.shape)
    except ValueError:
        raise ValueError(f"lo and hi must be numbers or arrays that broadcast against points, got shapes "
                         f"{lo.shape} and {hi.shape} for points of shape {p.shape}") from None
    if np.any(lo > hi):
        raise ValueError(f"lo must be <= hi, got lo={lo.tolist()}, hi={hi.tolist()}")
    with np.errstate(invalid="ignore"):
        return np.where(np.isfinite(p), np.clip(p, lo, hi), np.nan)


# ----------------------------------------------------------------------------- 2-D problems
def contours(ax, problem, xlim, ylim, *, levels=20, n=200, log=True, cmap="viridis", **style):
    """Contour lines of a 2-D problem's loss over the box xlim x ylim (computed once, vectorised).

    With ``log=True`` the levels are spaced geometrically between the smallest and largest
    value above the minimum, which shows narrow valleys. Where the loss overflows (far from
    the minimum) no line is drawn. Returns the ContourSet (None for a flat function).
    """
    _axes(ax)
    if not callable(getattr(problem, "loss", None)):
        raise TypeError(f"problem must have a loss(x) method (e.g. lrcourse.problems.Rosenbrock()), "
                        f"got {type(problem).__name__}")
    dim = getattr(problem, "dim", np.size(getattr(problem, "x0", ())))
    if dim != 2:
        raise ValueError(f"problem must be 2-D to draw contours, got dim={dim}")
    xlim, ylim = _limits("xlim", xlim), _limits("ylim", ylim)
    if isinstance(levels, (numbers.Integral, np.integer)) and not isinstance(levels, (bool, np.bool_)):
        levels = v.integer("levels", levels, 1, 1000)
    else:
        levels = v.array("levels", levels, ndim=1, nonempty=True)
        if np.any(np.diff(levels) <= 0):
            raise ValueError(f"levels must be increasing, got {levels.tolist()}")
    n = v.integer("n", n, 2, 2000)
    log = v.flag("log", log)
    cmap = _cmap("cmap", cmap, optional=True)
    xs = np.linspace(*xlim, n)
    ys = np.linspace(*ylim, n)
    X, Y = np.meshgrid(xs, ys)
    with np.errstate(**_quiet):
        Z = np.asarray(problem.loss(np.stack([X, Y], axis=-1)), dtype=float) - getattr(problem, "min_loss", 0.0)
    if Z.shape != X.shape:
        raise ValueError(f"problem.loss must give one loss per point, shape {X.shape}, got shape {Z.shape}")
    finite = Z[np.isfinite(Z)]
    ax.set_xlim(*xlim)
    ax.set_ylim(*ylim)
    ax.set_aspect("equal", adjustable="box")
    if finite.size == 0 or finite.max() <= finite.min():
        return None  # flat (or nowhere finite): no contour line to draw
    positive = finite[finite > 0]
    if log and np.ndim(levels) == 0 and positive.size:
        levels = np.unique(np.geomspace(max(positive.min(), positive.max() * 1e-6), positive.max(), levels))
    return ax.contour(X, Y, np.ma.masked_invalid(Z), levels=levels, cmap=cmap, linewidths=0.8, **style)


def trajectory(ax, params, *, lim=None, diverged_at=None, **style):
    """Draw an optimisation path ``params`` of shape (steps+1, 2) as a line with markers.

    ``lim`` = ((xmin, xmax), (ymin, ymax)) clips a diverging path at the frame. The path is
    drawn up to the step where the run diverged, marked by a cross: ``diverged_at`` (as in
    :class:`lrcourse.History`), by default where it leaves finite numbers (or, without
    ``lim``, 1e8 times its start's scale). Returns the Line2D.
    """
    _axes(ax)
    p = v.array("params", params, finite=False)
    if p.ndim != 2 or p.shape[1] != 2 or p.shape[0] == 0:
        raise ValueError(f"params must have shape (steps+1, 2), got shape {p.shape}")
    with np.errstate(**_quiet):
        gone = ~np.all(np.isfinite(p), axis=1)
        if lim is None:
            scale = 1e8 * max(1.0, float(np.max(np.abs(p[0]))) if not gone[0] else 1.0)
            gone |= np.any(np.abs(p) > scale, axis=1)
    if diverged_at is not None:
        d = int(_steps_array("diverged_at", diverged_at).reshape(-1)[0]) if np.size(diverged_at) == 1 else None
        if d is None:
            raise ValueError(f"diverged_at must be one step number for one path, got {diverged_at!r}")
        if d >= p.shape[0]:
            raise ValueError(f"diverged_at must be a step of the path (< {p.shape[0]}) or -1, got {d}")
        if d >= 0:
            gone[d + 1:] = True  # draw up to the step that blew up, nothing after
    if lim is not None:
        if isinstance(lim, (str, bytes)) or not hasattr(lim, "__len__") or len(lim) != 2:
            raise TypeError(f"lim must be ((xmin, xmax), (ymin, ymax)), got {type(lim).__name__} {lim!r}")
        (x0, x1), (y0, y1) = _limits("lim[0]", lim[0]), _limits("lim[1]", lim[1])
        p = np.stack([clip_path(p[:, 0], x0, x1), clip_path(p[:, 1], y0, y1)], axis=-1)
    if gone.any():
        p = np.where(np.cumsum(gone)[:, None] > 0, np.nan, p)  # draw up to the blow-up only
    style = {"marker": "o", "markersize": 3, "linewidth": 1.2, **style}
    (line,) = ax.plot(p[:, 0], p[:, 1], **style)
    if gone.any():
        last = p[np.all(np.isfinite(p), axis=1)]
        if len(last):
            ax.plot(last[-1, 0], last[-1, 1], "x", color=DIVERGED_COLOR, markersize=10, mew=2, zorder=5)
    return line


# ----------------------------------------------------------------------------- schedules, maps
def schedule_curves(ax, schedules, steps, *, log=False, **style):
    """Plot learning-rate schedules: ``schedules`` maps label -> callable of the step, drawn
    for the steps 0 .. ``steps`` - 1 (rates that overflow are left out).

    Returns the Line2D artists in the order given.
    """
    _axes(ax)
    if not isinstance(schedules, dict) or not schedules:
        raise TypeError(f"schedules must be a non-empty dict {{label: schedule}}, "
                        f"got {type(schedules).__name__} {schedules!r}")
    for label, s in schedules.items():
        v.function(f"schedules[{label!r}]", s, "a schedule (a callable of the step t)")
    steps = v.integer("steps", steps, 1, 10**7)
    log = v.flag("log", log)
    t = np.arange(steps)
    lines = []
    for label, s in schedules.items():
        lr = v.array(f"schedules[{label!r}](t)", np.broadcast_to(s(t), t.shape), finite=False)
        with np.errstate(invalid="ignore"):  # rates beyond COORD_MAX (a schedule that overflows) are left out
            shown = np.where(np.abs(lr) <= COORD_MAX, lr, np.nan)
        (line,) = ax.plot(t, shown, label=label, **style)
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

    ``x`` and ``y`` are the grid's centres (or its edges, one more than the cells).
    Returns the QuadMesh (update its data with ``mesh.set_array(values.ravel())``).
    """
    from matplotlib.colors import LogNorm

    _axes(ax)
    xlog, ylog = v.flag("xlog", xlog), v.flag("ylog", ylog)
    x = v.array("x", x, ndim=1, nonempty=True, low=0 if xlog else None, low_open=xlog)
    y = v.array("y", y, ndim=1, nonempty=True, low=0 if ylog else None, low_open=ylog)
    values = v.array("values", values, finite=False, ndim=2)
    if values.shape not in ((y.size, x.size), (y.size - 1, x.size - 1)):
        raise ValueError(f"values must have shape (len(y), len(x)) = {(y.size, x.size)}, got shape {values.shape}")
    if len(x) < 2 or len(y) < 2 or np.any(np.diff(x) <= 0) or np.any(np.diff(y) <= 0):
        raise ValueError(f"x and y must each hold at least 2 increasing values, got {x.tolist()} and {y.tolist()}")
    xlabel, ylabel = v.text("xlabel", xlabel), v.text("ylabel", ylabel)
    vmin = v.number("vmin", vmin, 0, low_open=True)
    vmax = v.number("vmax", vmax, 0, low_open=True)
    if not vmin < vmax:
        raise ValueError(f"vmax must be > vmin, got vmin={vmin!r}, vmax={vmax!r}")
    cm = _cmap("cmap", cmap).with_extremes(over=DIVERGED_COLOR, bad=DIVERGED_COLOR, under="black")
    data = np.ma.masked_invalid(values)
    mesh = ax.pcolormesh(x, y, data, norm=LogNorm(vmin=vmin, vmax=vmax), cmap=cm, shading="auto")
    if xlog:
        ax.set_xscale("log")
    if ylog:
        ax.set_yscale("log")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    return mesh
