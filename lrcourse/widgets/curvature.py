"""Lesson 10's apps: the curvature that moves.

* :class:`EdgeOfStabilityApp`: loss and sharpness of full-batch gradient descent on a network
  for a grid of rates (one vectorised run); the slider picks the rate, the dashed line is 2/lr.
* :class:`CatapultApp`: the two-layer linear network of :func:`lrcourse.stability.catapult`
  for a grid of rates lr * lambda0; the slider picks one.
"""
from __future__ import annotations

import numpy as np

from .. import _validate as v
from .. import optimizers, stability
from ..plots import DIVERGED_COLOR, divergence_points, mark_divergence
from . import BlitManager, SliderApp, grid_slider, log_visible, nearest, new_figure

__all__ = ["EdgeOfStabilityApp", "CatapultApp", "catapult_regime"]


def _grid(name, grid):
    grid = np.atleast_1d(v.array(name, grid, ndim=None, low=0, low_open=True))
    if grid.ndim != 1 or grid.size < 2:
        raise ValueError(f"{name} must be a 1-D array of at least 2 values (like np.geomspace), got shape {grid.shape}")
    return grid


class EdgeOfStabilityApp(SliderApp):
    """Full-batch gradient descent on ``model`` for every rate in ``lrs`` (evenly spaced on a log
    scale, like ``np.geomspace``), the sharpness measured every ``every`` steps.

    Left: the training loss of the chosen rate (log scale). Right: its sharpness, with the
    edge 2/lr dashed: the sharpness rises (progressive sharpening) until it meets the edge, then
    hovers there while the loss keeps falling, not monotonically (the edge of stability).
    """

    def __init__(self, model, lrs, steps=1500, every=50, lr=None):
        self.lrs = _grid("lrs", lrs)
        self.steps = v.integer("steps", steps, 1, 100_000)
        start = float(np.sqrt(self.lrs.min() * self.lrs.max())) if lr is None else lr
        slider = grid_slider("learning rate", start, self.lrs, name="lrs")  # checked before training
        self.result = stability.sharpness_run(model, optimizers.sgd(self.lrs), self.steps, every=every)
        self.controls = {"lr": slider}
        self._build()
        self._start()

    def _build(self):
        r = self.result
        self.fig, (self.ax_l, self.ax_s) = new_figure(1, 2, figsize=(8, 3.2))
        finite = r.loss[np.isfinite(r.loss)]
        self.ax_l.set_yscale("log")
        self.ax_l.set_xlim(0, self.steps)
        self.ax_l.set_ylim(finite.min() / 2, finite.max() * 2)
        self.ax_l.set_xlabel("step")
        self.ax_l.set_title("training loss", fontsize=10)
        top = max(np.nanmax(r.sharpness), 2 / self.lrs.min()) * 1.1
        self.ax_s.set_xlim(0, self.steps)
        self.ax_s.set_ylim(0, top)
        self.ax_s.set_xlabel("step")
        self.ax_s.set_title("sharpness (top Hessian eigenvalue)", fontsize=10)
        self.blit = BlitManager(self.fig.canvas)
        (self.loss_line,) = self.ax_l.plot([], [], color="C0", lw=1)
        self.cross = mark_divergence(self.ax_l, -1)
        (self.sharp_line,) = self.ax_s.plot([], [], "o-", color="C1", ms=2.5, lw=1.2, label="sharpness")
        (self.edge_line,) = self.ax_s.plot([], [], "--", color="k", lw=1, label="2 / lr")
        self.ax_s.legend(fontsize=8, loc="lower right")
        for artist in (self.loss_line, self.cross, self.sharp_line, self.edge_line):
            self.blit.add(artist)

    def update(self, lr):
        r = self.result
        k = nearest(self.lrs, lr, log=True)
        self.lr, self.k = float(self.lrs[k]), k
        loss = r.loss[:, k]
        self.loss_line.set_data(np.arange(loss.size), log_visible(loss))
        self.cross.set_data(*divergence_points(self.ax_l, r.diverged_at[k]))
        self.sharp_line.set_data(r.steps, r.sharpness[:, k])
        self.edge_line.set_data([0, self.steps], [2 / self.lr] * 2)
        if r.diverged_at[k] >= 0:
            self.status.value = (f"<span style='color:{DIVERGED_COLOR}'>lr = {self.lr:.3g}: diverged at step "
                                 f"{r.diverged_at[k]}</span>")
        else:
            last = r.sharpness[-1, k]
            self.status.value = (f"lr = {self.lr:.3g}: final sharpness {last:.3g}, 2/lr = {2 / self.lr:.3g} "
                                 f"(ratio {last * self.lr / 2:.3f}); loss {loss[0]:.3g} → {loss[-1]:.3g}")
        return False


def catapult_regime(result, k):
    """'lazy', 'catapult' or 'diverged' for column k of a :func:`stability.catapult` result: a
    catapult is a run whose loss first rises above its start and then converges."""
    if not hasattr(result, "loss") or not hasattr(result, "diverged_at"):
        raise TypeError(f"result must be what lrcourse.stability.catapult returns, got {type(result).__name__}")
    k = v.integer("k", k, 0, result.loss.shape[1] - 1)
    if result.diverged_at[k] >= 0:
        return "diverged"
    loss = result.loss[:, k]
    return "catapult" if np.nanmax(loss) > 1.01 * loss[0] else "lazy"


class CatapultApp(SliderApp):
    """The catapult of :func:`lrcourse.stability.catapult` for every rate c = lr * lambda0 in
    ``c_grid`` (evenly spaced on a log scale); the slider picks c.

    Left: the loss (log scale). Right: the curvature lambda_t / lambda0, with 2 / c dashed, the
    curvature below which a step of this rate is stable: a catapult ends below that line.
    """

    def __init__(self, c_grid=None, c=3.0, width=100, steps=120, seed=0):
        self.c_grid = np.geomspace(0.5, 6.0, 61) if c_grid is None else _grid("c_grid", c_grid)
        slider = grid_slider("lr · λ0", c, self.c_grid, name="c_grid")
        self.steps = v.integer("steps", steps, 1, 100_000)
        self.result = stability.catapult(self.c_grid, width=width, steps=self.steps, seed=seed)
        self.controls = {"c": slider}
        self._build()
        self._start()

    def _build(self):
        self.fig, (self.ax_l, self.ax_k) = new_figure(1, 2, figsize=(8, 3.2))
        self.ax_l.set_yscale("log")
        self.ax_l.set_xlim(0, self.steps)
        start = self.result.loss[0, 0]
        self.ax_l.set_ylim(1e-12 * start, 1e6 * start)
        self.ax_l.set_xlabel("step")
        self.ax_l.set_title("loss", fontsize=10)
        self.ax_k.set_xlim(0, self.steps)
        self.ax_k.set_ylim(0, 2.0)
        self.ax_k.set_xlabel("step")
        self.ax_k.set_title("curvature λ_t / λ0", fontsize=10)
        self.blit = BlitManager(self.fig.canvas)
        (self.loss_line,) = self.ax_l.plot([], [], color="C0", lw=1.2)
        self.cross = mark_divergence(self.ax_l, -1)
        (self.curv_line,) = self.ax_k.plot([], [], color="C1", lw=1.2, label="λ_t / λ0")
        (self.edge_line,) = self.ax_k.plot([], [], "--", color="k", lw=1, label="2 / (lr λ0)")
        self.ax_k.legend(fontsize=8, loc="upper right")
        for artist in (self.loss_line, self.cross, self.curv_line, self.edge_line):
            self.blit.add(artist)

    def update(self, c):
        r = self.result
        k = nearest(self.c_grid, c, log=True)
        self.c, self.k = float(self.c_grid[k]), k
        t = np.arange(self.steps + 1)
        lo, hi = self.ax_l.get_ylim()
        loss = r.loss[:, k]
        self.loss_line.set_data(t, np.where(np.isfinite(loss), np.clip(loss, lo, hi), np.nan))
        self.cross.set_data(*divergence_points(self.ax_l, r.diverged_at[k]))
        self.curv_line.set_data(t, np.clip(r.curvature[:, k] / r.lambda0, 0, 2.0))
        self.edge_line.set_data([0, self.steps], [2 / self.c] * 2)
        regime = catapult_regime(r, k)
        if regime == "diverged":
            text = f"<span style='color:{DIVERGED_COLOR}'>lr·λ0 = {self.c:.3g}: diverged at step {r.diverged_at[k]}</span>"
        else:
            text = (f"lr·λ0 = {self.c:.3g}: {regime}; loss peaked at {np.nanmax(loss) / loss[0]:.3g}× its start; "
                    f"final curvature {r.curvature[-1, k] / r.lambda0:.3f} λ0 (stable below {2 / self.c:.3f} λ0)")
        self.status.value = text
        return False
