"""Lesson 1's app: gradient descent on a 1-D function with a learning-rate slider.

Three panels, built once: the function with the zigzag path of the iterates, the iterate
x_t against the step, and the loss on a log scale (a cross where a run diverged).
"""
from __future__ import annotations

import numpy as np

from .. import optimizers, problems, theory
from .. import _validate as v
from ..plots import DIVERGED_COLOR, clip_path, divergence_points, mark_divergence
from ..training import History, run
from . import BlitManager, SliderApp, float_slider, log_slider, new_figure

__all__ = ["StepSizeApp", "describe", "describe_run"]


def describe(lr, L):
    """One line naming the regime of GD with rate lr on curvature L, with its numbers."""
    lr, L = v.number("lr", lr, 0), v.number("L", L)
    if L <= 0:
        return f"lr = {lr:.3g}: curvature 0 at the minimum, so no rate is too large there (and every rate is slow)"
    name = theory.regime(lr, L)
    c = float(theory.contraction(lr, L))
    return f"lr = {lr:.4g}, lr·L = {lr * L:.4g}: {name} (error × {c:.4g} per step)"


def describe_run(lr, history, min_loss=0.0):
    """One line saying what a run of GD on a non-quadratic 1-D function did (its own outcome, not a
    parabola's regime: the curvature at the minimum does not decide it)."""
    lr = v.number("lr", lr, 0)
    if not isinstance(history, History) or history.params is None or np.ndim(history.params) != 2:
        raise TypeError(f"history must be the History of one run of a 1-D problem (lrcourse.run), "
                        f"got {type(history).__name__}")
    x, gap = history.params[:, 0], history.loss - v.number("min_loss", min_loss)
    if history.diverged:
        return f"lr = {lr:.4g}: diverged at step {history.diverged_at}"
    if abs(x[-1]) > 1e-6 and abs(x[-1] + x[-2]) <= 1e-6 * abs(x[-1]):
        return (f"lr = {lr:.4g}: stuck on a 2-cycle between ±{abs(x[-1]):.4g}; "
                f"the loss stalls at {gap[-1]:.3g} (no divergence, no convergence)")
    return f"lr = {lr:.4g}: after {x.size - 1} steps x = {x[-1]:.3g}, loss {gap[0]:.3g} → {gap[-1]:.3g}"


class StepSizeApp(SliderApp):
    """Gradient descent x <- x - lr f'(x) on ``problem`` for ``steps`` steps, lr on a slider.

    With no ``problem``, the parabola f(x) = L/2 x^2 with a second slider for its curvature L,
    so the learner sees the thresholds 1/L and 2/L move with L.

    Parameters
    ----------
    problem : a 1-D problem (e.g. ``problems.pseudo_huber()``) or None for the parabola.
    lr : starting learning rate; lr_range : (low, high) of the log slider.
    L : starting curvature of the parabola (ignored with a problem).
    x0 : start (parabola only); steps : number of GD steps shown.
    """

    def __init__(self, problem=None, lr=0.3, lr_range=(0.01, 3.0), L=1.0, x0=1.0, steps=30):
        self.steps = v.integer("steps", steps, 1, 10_000)
        lo, hi = v.interval("lr_range", lr_range, 0, 1e6, low_open=True)
        lr = v.number("lr", lr)
        if not lo <= lr <= hi:
            raise ValueError(f"lr must be in lr_range [{lo:g}, {hi:g}] (the learning rate slider's ends), got {lr!r}")
        L = v.number("L", L, 0.25, 4.0) if problem is None else v.number("L", L, 0, low_open=True)  # slider range
        x0 = v.number("x0", x0, -1e6, 1e6)
        if problem is not None:
            if not all(hasattr(problem, a) for a in ("loss", "grad", "x0", "L")):
                raise TypeError(f"problem must be a 1-D problem with loss, grad, x0 and L "
                                f"(e.g. lrcourse.problems.pseudo_huber()), got {type(problem).__name__}")
            dim = getattr(problem, "dim", np.size(problem.x0))
            if dim != 1:
                raise ValueError(f"problem must be 1-D, got dim={dim}")
            v.number("problem.x0", float(np.ravel(problem.x0)[0]), -1e6, 1e6)
        self.problem = problem
        self._fixed = problem
        self._x0 = x0 if problem is None else float(np.ravel(problem.x0)[0])
        self.controls = {"lr": log_slider("learning rate", lr, lo, hi)}
        if problem is None:
            self.controls["L"] = float_slider("curvature L", L, 0.25, 4.0, 0.05)
        self._build()
        self._start()

    # -- the figure, built once ------------------------------------------------------
    def _build(self):
        self.fig, (self.ax_f, self.ax_x, self.ax_loss) = new_figure(1, 3, figsize=(8.25, 2.9))
        r = 2.5 * abs(self._x0) if self._x0 != 0 else 2.5  # a start at the minimum still gets a frame
        self._xlim = (-r, r)
        self._grid = np.linspace(-r, r, 400)
        (self.curve,) = self.ax_f.plot([], [], color="0.4", lw=1.5)
        self.ax_f.set_xlim(*self._xlim)
        self.ax_f.set_xlabel("x")
        self.ax_f.set_title("f(x) and the path of x_t", fontsize=10)

        self.ax_x.axhline(0, color="0.7", lw=0.8)
        self.ax_x.set_xlim(0, self.steps)
        self.ax_x.set_ylim(*self._xlim)
        self.ax_x.set_xlabel("step t")
        self.ax_x.set_title("iterate x_t", fontsize=10)

        self.ax_loss.set_yscale("log")
        self.ax_loss.set_xlim(0, self.steps)
        self.ax_loss.set_ylim(1e-16, 1e4)
        self.ax_loss.set_xlabel("step t")
        self.ax_loss.set_title("loss f(x_t) − f*", fontsize=10)

        self.blit = BlitManager(self.fig.canvas)
        (self.path,) = self.ax_f.plot([], [], "o-", color="C1", ms=3, lw=1)
        (self.iterates,) = self.ax_x.plot([], [], "o-", color="C1", ms=3, lw=1)
        (self.loss_line,) = self.ax_loss.plot([], [], "-", color="C0", lw=1.5)
        self.cross = mark_divergence(self.ax_loss, -1)
        for a in (self.path, self.iterates, self.loss_line, self.cross):
            self.blit.add(a)
        self._curve_key = None

    # -- one slider move -------------------------------------------------------------
    def update(self, lr, L=None):
        full = False
        if self._fixed is None:
            if self._curve_key != L:
                self.problem = problems.parabola(L=L, x0=self._x0)
                full = True
        elif self._curve_key is None:
            full = True
        if full:
            self._curve_key = L if self._fixed is None else "fixed"  # a fixed curve is drawn once
            f = self.problem.loss(self._grid[:, None])
            self.curve.set_data(self._grid, f)
            top = np.nanmax(np.where(np.isfinite(f), f, np.nan)) - getattr(self.problem, "min_loss", 0.0)
            top = top if top > 0 else 1.0
            low = getattr(self.problem, "min_loss", 0.0)
            self.ax_f.set_ylim(low - 0.05 * top, low + 1.05 * top)

        self.history = h = run(self.problem, optimizers.sgd(lr=lr), self.steps, progress=False)
        x = h.params[:, 0]
        t = np.arange(self.steps + 1)
        xc = clip_path(x, *self._xlim)
        with np.errstate(all="ignore"):
            fc = np.where(np.isfinite(x), self.problem.loss(xc[:, None]), np.nan)
        self.path.set_data(xc, fc)
        self.iterates.set_data(t, xc)
        gap = h.loss - getattr(self.problem, "min_loss", 0.0)
        self.loss_line.set_data(t, np.where(np.isfinite(gap) & (gap > 0), gap, np.nan))
        self.cross.set_data(*divergence_points(self.ax_loss, h.diverged_at))
        self.curvature = self.problem.L
        self.regime = theory.regime(lr, self.curvature) if self.curvature > 0 else "monotone"
        color = DIVERGED_COLOR if h.diverged else "black"
        if self._fixed is None:
            text = describe(lr, self.curvature)
        else:  # a non-quadratic function: say what the run did
            text = describe_run(lr, h, getattr(self.problem, "min_loss", 0.0))
            if self.curvature <= 0 and not h.diverged:
                text += " (curvature 0 at the minimum: no rate is too large there, every rate is slow near it)"
        self.status.value = f"<span style='color:{color}'>{text}</span>"
        return full
