"""Lesson 3: minibatch gradient noise, the noise floor of SGD, and the batch-size app.

What lesson 3 measures with these tools, on a real model (logistic regression on the
breast-cancer data):

* a minibatch of B distinct rows drawn uniformly out of N (as :func:`lrcourse.data.sample_batch`
  draws them, *without* replacement) gives an unbiased gradient g_B whose noise is

      E ||g_B - g||^2 = tr(Sigma) / B * (N - B) / (N - 1),

  where tr(Sigma) = mean_i ||g_i - g||^2 is the variance of the per-example gradients g_i
  and (N - B) / (N - 1) the finite-population correction (1 with replacement; 0 at B = N);
* near a minimum, SGD with a small constant rate lr does not converge: it keeps jiggling
  around the minimiser, at an average excess loss (the *noise floor*) of about

      E[f(w) - f*] ~= lr * E ||g_B - g||^2 / 4,

  proportional to lr and to 1/B (first order in lr; it grows faster near the stability limit).

:func:`sweep_batch_sizes` trains one run per batch size, each vectorised over K rates, and
:class:`BatchNoiseApp` shows the result with a batch-size slider (precomputed, so instant).
"""
from __future__ import annotations

import copy
import math
from dataclasses import dataclass

import numpy as np

from .. import _validate as v
from ..models import LinearRegression, LogisticRegression
from ..optimizers import sgd
from ..plots import DIVERGED_COLOR, divergence_points, mark_divergence
from ..training import run
from . import BlitManager, SliderApp, _look, new_figure

__all__ = [
    "minimize",
    "per_example_gradients",
    "gradient_noise",
    "minibatch_noise",
    "predicted_floor",
    "BatchSweep",
    "sweep_batch_sizes",
    "ScalingRuns",
    "linear_scaling_runs",
    "BatchNoiseApp",
    "choice_slider",
]


# ------------------------------------------------------------------ the exact minimum
def minimize(model, tol=1e-12, max_steps=100):
    """The minimiser of a smooth, strictly convex model by Newton's method: ``(w_star, f_star)``.

    Newton steps w <- w - H(w)^{-1} grad(w), halved while they do not lower the loss; stops
    when ||grad|| <= tol * max(1, ||grad(x0)||). Needs ``grad``, ``hessian``, ``loss`` and
    ``x0`` (e.g. :class:`~lrcourse.models.LogisticRegression` with ``l2 > 0``, or
    :class:`~lrcourse.models.LinearRegression`). ``w_star`` has shape (dim,).
    """
    tol = v.number("tol", tol, 0, low_open=True)
    max_steps = v.integer("max_steps", max_steps, 1)
    w = np.array(model.x0, dtype=float)
    f, g = float(model.loss(w)), model.grad(w)
    stop = tol * max(1.0, float(np.linalg.norm(g)))
    for _ in range(max_steps):
        if np.linalg.norm(g) <= stop:
            return w, f
        step = np.linalg.solve(model.hessian(w), g)
        t = 1.0
        while float(model.loss(w - t * step)) > f + 1e-12 * abs(f) and t > 1e-10:  # rounding slack
            t /= 2
        w = w - t * step
        f, g = float(model.loss(w)), model.grad(w)
    if np.linalg.norm(g) <= stop:
        return w, f
    raise ValueError(f"model: Newton's method did not reach ||grad|| <= {stop:.3g} in {max_steps} steps "
                     f"(got {np.linalg.norm(g):.3g}); is the loss strictly convex (l2 > 0)?")


# ------------------------------------------------------------------ gradient noise
def per_example_gradients(model, w):
    """The gradient of each row's own loss at ``w``, shape (N, dim); their mean is ``model.grad(w)``.

    Row i of a linear or logistic model has loss gradient r_i * a_i (+ the l2 term), with
    a_i = [x_i, 1] and the residual r_i = prediction - target (least squares), p_i - y_i
    (binary) or p_i - onehot(y_i) (softmax, then g_i = a_i r_i^T flattened like ``w``).
    """
    if not isinstance(model, (LinearRegression, LogisticRegression)):
        raise TypeError(f"model must be a LinearRegression or LogisticRegression, got {type(model).__name__}")
    w = np.asarray(w, dtype=float)
    if w.shape != (model.dim,):
        raise ValueError(f"w must have shape ({model.dim},), got shape {w.shape}")
    A = model.A
    if isinstance(model, LinearRegression):
        G = (model.predict(w) - model.y)[:, None] * A
    elif model.binary:
        G = (model.predict_proba(w)[:, 1] - model.y)[:, None] * A
    else:
        R = model.predict_proba(w)
        R[np.arange(model.n), model.y] -= 1.0
        G = (A[:, :, None] * R[:, None, :]).reshape(model.n, model.dim)
    return G + model.l2 * model.penalized * w


def gradient_noise(model, w, batch_sizes, draws=1000, seed=0):
    """Measured noise of minibatch gradients at ``w``: mean of ||g_B - g||^2 over ``draws`` batches.

    For each B in ``batch_sizes`` (ints in [1, N]) it draws ``draws`` minibatches of B distinct
    rows, uniformly as :func:`lrcourse.data.sample_batch` does (the first B rows of ``draws``
    random permutations, shared by all B), averages their per-example gradients and returns
    the mean squared distance to the full gradient, shape (len(batch_sizes),).
    """
    G = per_example_gradients(model, w)
    n = G.shape[0]
    sizes = _batch_sizes(batch_sizes, n)
    draws = v.integer("draws", draws, 2)
    seed = v.integer("seed", seed, 0)
    rng = np.random.default_rng(seed)
    order = np.argsort(rng.random((draws, n)), axis=1)  # each row: a random permutation of the rows
    g = G.mean(axis=0)
    noise = np.empty(sizes.size)
    for i, B in enumerate(sizes):
        pick = np.zeros((draws, n))
        np.put_along_axis(pick, order[:, :B], 1.0 / B, axis=1)  # pick @ G = minibatch means
        noise[i] = np.mean(np.sum((pick @ G - g) ** 2, axis=1))
    return noise


def minibatch_noise(trace_cov, n, batch_size, replace=False):
    """Predicted E||g_B - g||^2 = trace_cov / B * (n - B) / (n - 1); without the correction
    (n - B) / (n - 1) when the B rows are drawn with replacement. Broadcasts over batch_size."""
    trace_cov = v.number("trace_cov", trace_cov, 0)
    n = v.integer("n", n, 1)
    replace = v.flag("replace", replace)
    B = np.asarray(batch_size, dtype=float)
    bad = ~np.isfinite(B) | (B < 1) | (B != np.round(B))
    if not replace:
        bad |= B > n
    if np.any(bad):
        where = ">= 1" if replace else f"in [1, {n}]"
        raise ValueError(f"batch_size must hold integers {where}, got {batch_size!r}")
    fpc = 1.0 if replace else (n - B) / max(n - 1, 1)
    return trace_cov / B * fpc


def predicted_floor(lr, trace_cov, n, batch_size):
    """First-order noise floor of SGD with constant rate lr: E[f - f*] ~= lr * E||g_B - g||^2 / 4.

    Shapes broadcast (e.g. lr (K,) against batch_size (nB, 1))."""
    lr = np.asarray(lr, dtype=float)
    if not np.all(np.isfinite(lr)) or np.any(lr < 0):
        raise ValueError(f"lr must be >= 0 and finite, got {lr!r}")
    return lr * minibatch_noise(trace_cov, n, batch_size) / 4


def _batch_sizes(batch_sizes, n):
    sizes = np.atleast_1d(np.asarray(batch_sizes))
    if sizes.ndim != 1 or sizes.size == 0 or sizes.dtype.kind not in "iu":
        raise TypeError(f"batch_sizes must be a non-empty 1-D list of integers, got {batch_sizes!r}")
    if sizes.min() < 1 or sizes.max() > n:
        raise ValueError(f"batch_sizes must be in [1, {n}], got {sizes.tolist()}")
    return sizes.astype(int)


# ------------------------------------------------------------------ the sweep over B and lr
@dataclass
class BatchSweep:
    """SGD runs of one model for every (batch size, learning rate) pair.

    batch_sizes (nB,), lrs (K,); gaps (nB, steps+1, K): f(w_t) - f* (inf after divergence);
    floors (nB, K): the measured noise floor, mean gap over the last ``tail`` steps;
    predicted (nB, K): :func:`predicted_floor`; noise (nB,): predicted E||g_B - g||^2 at w*;
    n rows, trace_cov = tr(Sigma) at w*, f_star, w_star.
    """

    batch_sizes: np.ndarray
    lrs: np.ndarray
    gaps: np.ndarray
    floors: np.ndarray
    predicted: np.ndarray
    noise: np.ndarray
    n: int
    trace_cov: float
    f_star: float
    w_star: np.ndarray
    tail: int

    @property
    def steps(self):
        return self.gaps.shape[1] - 1


def sweep_batch_sizes(model, batch_sizes, lrs, steps, *, tail=None, seed=0, progress=None):
    """Train ``model`` with plain SGD for each batch size, all rates ``lrs`` side by side.

    One :func:`lrcourse.run` per batch size (vectorised over the K rates, the same minibatches
    for all K), from ``model.x0``. The floor is the mean gap over the last ``tail`` steps
    (default steps // 3). A tqdm bar shows when the sweep takes more than a second
    (``progress`` True/False forces it). Returns a :class:`BatchSweep`.
    """
    w_star, f_star = minimize(model)
    sizes = _batch_sizes(batch_sizes, model.n)
    lrs = v.hyper("lrs", np.atleast_1d(np.asarray(lrs, dtype=float)), 0, low_open=True)
    steps = v.integer("steps", steps, 2)
    tail = steps // 3 if tail is None else v.integer("tail", tail, 1, steps)
    G = per_example_gradients(model, w_star)
    trace_cov = float(np.mean(np.sum((G - G.mean(axis=0)) ** 2, axis=1)))
    gaps = np.empty((sizes.size, steps + 1, lrs.size))
    for i, B in enumerate(_progress(sizes, progress)):
        m = copy.copy(model)
        m.batch_size = int(B)
        h = run(m, sgd(lr=lrs), steps, seed=seed, keep_params=False, progress=False)
        gaps[i] = np.maximum(h.loss - f_star, 0.0)
    floors = gaps[:, -tail:, :].mean(axis=1)
    predicted = predicted_floor(lrs, trace_cov, model.n, sizes[:, None])
    noise = minibatch_noise(trace_cov, model.n, sizes)
    return BatchSweep(sizes, lrs, gaps, floors, predicted, noise, model.n, trace_cov, f_star, w_star, tail)


def _progress(items, progress):
    if progress is False:
        return items
    from tqdm.auto import tqdm

    return tqdm(items, unit="batch size", delay=0 if progress else 1.0, leave=False)


# ------------------------------------------------------------------ the linear scaling rule
@dataclass
class ScalingRuns:
    """Training for the same number of epochs at several batch sizes (:func:`linear_scaling_runs`).

    batch_sizes (nB,); lrs (nB,): the scaled rates base_lr * B / base_batch; settings: the
    names of the K = 3 columns ("fixed", "scaled", "scaled + warmup"); epoch_loss (nB,
    epochs+1, 3): the full training loss at the end of each epoch (inf once diverged);
    final (nB, 3): mean loss over the last epoch's steps; diverged_at (nB, 3): the step, or -1.
    """

    batch_sizes: np.ndarray
    lrs: np.ndarray
    settings: tuple
    epoch_loss: np.ndarray
    final: np.ndarray
    diverged_at: np.ndarray
    base_batch: int
    base_lr: float
    epochs: int
    warmup_epochs: int


def linear_scaling_runs(model, batch_sizes, base_batch, base_lr, epochs, warmup_epochs=5, *, seed=0,
                        progress=None):
    """Train ``model`` for ``epochs`` epochs at each batch size B, three ways side by side.

    "fixed": rate ``base_lr`` whatever B; "scaled": the linear scaling rule
    lr = base_lr * B / base_batch (Goyal et al. 2017); "scaled + warmup": the same with their
    gradual warmup, linear from ``base_lr`` to the scaled rate over ``warmup_epochs`` epochs.
    An epoch is ceil(N / B) steps. One :func:`lrcourse.run` per B (the three settings on the
    same minibatches); a tqdm bar shows when the whole takes more than a second.
    """
    from ..schedules import constant, warmup

    sizes = _batch_sizes(batch_sizes, model.n)
    base_batch = v.integer("base_batch", base_batch, 1)
    base_lr = v.number("base_lr", base_lr, 0, low_open=True)
    epochs = v.integer("epochs", epochs, 1)
    warmup_epochs = v.integer("warmup_epochs", warmup_epochs, 0, epochs)
    lrs = base_lr * sizes / base_batch
    epoch_loss = np.empty((sizes.size, epochs + 1, 3))
    final = np.empty((sizes.size, 3))
    diverged_at = np.empty((sizes.size, 3), dtype=int)
    for i, B in enumerate(_progress(sizes, progress)):
        per_epoch = math.ceil(model.n / B)
        steps = epochs * per_epoch
        ramp = warmup(constant(lrs[i]), warmup_epochs * per_epoch, start_factor=min(1.0, base_lr / lrs[i]))
        rates = np.stack([np.full(steps, base_lr), np.full(steps, lrs[i]), ramp(np.arange(steps))])
        m = copy.copy(model)
        m.batch_size = int(B)
        h = run(m, sgd(lr=lambda k: rates[:, k]), steps, seed=seed, keep_params=False, progress=False)
        epoch_loss[i] = h.loss[::per_epoch]
        final[i] = h.loss[-per_epoch:].mean(axis=0)
        diverged_at[i] = h.diverged_at
    return ScalingRuns(sizes, lrs, ("fixed", "scaled", "scaled + warmup"), epoch_loss, final, diverged_at,
                       base_batch, base_lr, epochs, warmup_epochs)


# ------------------------------------------------------------------ the app
def choice_slider(description, options, value):
    """A slider over a fixed list of numbers (ipywidgets.SelectionSlider), readout ``%g``."""
    import ipywidgets as w

    options = [float(o) if isinstance(o, float) else o for o in options]
    if value not in options:
        raise ValueError(f"{description}: value must be one of {options}, got {value!r}")
    return w.SelectionSlider(
        options=[(f"{o:g}", o) for o in options], value=value, description=description, **_look())


class BatchNoiseApp(SliderApp):
    """The noise floor of SGD, with a batch-size slider and a learning-rate slider.

    Left: the loss gap f(w_t) - f* of the chosen run (grey: full-batch GD at the same rate,
    dashed: the predicted floor lr E||g_B - g||^2 / 4). Middle: the measured floor against
    the rate at this batch size. Right: the measured floor against the batch size at this
    rate. Everything comes from ``sweep`` (a :class:`BatchSweep`), so a move costs a blit.
    """

    def __init__(self, sweep, batch_size=None, lr=None):
        if not isinstance(sweep, BatchSweep):
            raise TypeError(f"sweep must be a BatchSweep (from sweep_batch_sizes), got {type(sweep).__name__}")
        self.sweep = s = sweep
        sizes = [int(B) for B in s.batch_sizes]
        rates = [float(r) for r in s.lrs]
        batch_size = sizes[len(sizes) // 2] if batch_size is None else batch_size
        if lr is None:
            lr = rates[len(rates) // 2]
        else:  # the swept rate nearest to lr
            lr = rates[int(np.argmin(np.abs(np.log(s.lrs) - np.log(v.number("lr", lr, 0, low_open=True)))))]
        self.controls = {"batch_size": choice_slider("batch size B", sizes, batch_size),
                         "lr": choice_slider("learning rate", rates, lr)}
        self._gd = sizes.index(s.n) if s.n in sizes else None
        self._noisy = np.array([B < s.n for B in sizes])
        self._build()
        self._start()

    def _build(self):
        s = self.sweep
        self.fig, (self.ax_gap, self.ax_lr, self.ax_b) = new_figure(1, 3, figsize=(8.25, 3.1))
        floors = s.floors[self._noisy]
        floors = floors[np.isfinite(floors) & (floors > 0)]
        low = 10 ** np.floor(np.log10(max(floors.min(), 1e-12))) / 10 if floors.size else 1e-8
        high = max(np.max(s.gaps[:, 0]), floors.max() if floors.size else 0.0, 1e-12)
        self.ylim = (low, 10 ** np.ceil(np.log10(high)))
        ax = self.ax_gap
        ax.set(yscale="log", ylim=self.ylim, xlim=(0, s.steps), xlabel="step",
               title="loss gap f(w_t) − f*")
        ax.title.set_fontsize(10)
        (self.gd_line,) = ax.plot([], [], color="0.6", lw=1, label="full batch (GD)")
        (self.sgd_line,) = ax.plot([], [], color="C0", lw=0.8, label="SGD")
        (self.floor_line,) = ax.plot([], [], color="C3", ls="--", lw=1.5, label="predicted floor")
        ax.legend(loc="upper right", fontsize=8)
        self.cross = mark_divergence(ax, -1)

        ax = self.ax_lr
        span = (s.lrs.min() / 1.5, s.lrs.max() * 1.5)
        ax.set(xscale="log", yscale="log", xlim=span, ylim=self.ylim, xlabel="learning rate",
               title="floor vs learning rate (this B)")
        ax.title.set_fontsize(10)
        (self.lr_pred,) = ax.plot([], [], color="C3", ls="--", lw=1.2, label="predicted")
        (self.lr_meas,) = ax.plot([], [], "o", color="C0", ms=4, label="measured")
        (self.lr_here,) = ax.plot([], [], "o", mfc="none", mec="k", ms=10, mew=1.5)
        ax.set_ylabel("floor (mean gap at the end)")
        ax.legend(loc="upper left", fontsize=8)

        ax = self.ax_b
        noisy = s.batch_sizes[self._noisy]
        ax.set(xscale="log", yscale="log", xlim=(noisy.min() / 1.5, noisy.max() * 1.5), ylim=self.ylim,
               xlabel="batch size B", title="floor vs batch size (this lr)")
        ax.title.set_fontsize(10)
        (self.b_pred,) = ax.plot([], [], color="C3", ls="--", lw=1.2)
        (self.b_meas,) = ax.plot([], [], "o", color="C1", ms=4)
        (self.b_here,) = ax.plot([], [], "o", mfc="none", mec="k", ms=10, mew=1.5)

        self.blit = BlitManager(self.fig.canvas)
        for a in (self.gd_line, self.sgd_line, self.floor_line, self.cross, self.lr_pred, self.lr_meas,
                  self.lr_here, self.b_pred, self.b_meas, self.b_here):
            self.blit.add(a)

    def _shown(self, y):
        """Values as drawn: capped at the top of the frame (diverged -> NaN, not drawn)."""
        y = np.asarray(y, dtype=float)
        return np.where(np.isfinite(y), np.minimum(y, self.ylim[1]), np.nan)

    def update(self, batch_size, lr):
        s = self.sweep
        i = int(np.flatnonzero(s.batch_sizes == batch_size)[0])
        k = int(np.argmin(np.abs(s.lrs - lr)))
        t = np.arange(s.steps + 1)
        gap = s.gaps[i, :, k]
        self.sgd_line.set_data(t, self._shown(np.where(gap > 0, gap, np.nan)))
        if self._gd is not None:
            gd = s.gaps[self._gd, :, k]
            self.gd_line.set_data(t, self._shown(np.where(gd > 0, gd, np.nan)))
        p = s.predicted[i, k]
        self.floor_line.set_data([0, s.steps], self._shown([p, p]) if p > 0 else [np.nan, np.nan])
        diverged = np.flatnonzero(~np.isfinite(gap))
        self.cross.set_data(*divergence_points(self.ax_gap, diverged[0] if diverged.size else -1))

        self.lr_meas.set_data(s.lrs, self._shown(s.floors[i]))
        self.lr_pred.set_data(s.lrs, self._shown(s.predicted[i]))
        self.lr_here.set_data([s.lrs[k]], self._shown([s.floors[i, k]]))
        noisy = self._noisy
        self.b_meas.set_data(s.batch_sizes[noisy], self._shown(s.floors[noisy, k]))
        self.b_pred.set_data(s.batch_sizes[noisy], self._shown(s.predicted[noisy, k]))
        here = [s.floors[i, k]] if noisy[i] else [np.nan]
        self.b_here.set_data([batch_size], self._shown(here))

        self.status.value = self.describe(i, k)
        return False

    def describe(self, i, k):
        """The status line for batch-size index i and rate index k."""
        s = self.sweep
        B, lr, floor = int(s.batch_sizes[i]), float(s.lrs[k]), float(s.floors[i, k])
        if not np.isfinite(floor):
            return f"<span style='color:{DIVERGED_COLOR}'>B = {B}, lr = {lr:g}: diverged</span>"
        if B == s.n:
            return (f"B = N = {B}: full-batch gradient descent, no noise: the gap keeps falling "
                    f"({s.gaps[i, -1, k]:.1e} after {s.steps} steps)")
        if floor >= s.gaps[i, 0, k]:
            return (f"<span style='color:{DIVERGED_COLOR}'>B = {B}, lr = {lr:g}: no floor: SGD ends worse than "
                    f"it started (mean gap {floor:.2e} against {s.gaps[i, 0, k]:.2e} at the start): "
                    f"the rate is too large for this batch</span>")
        ratio = floor / s.predicted[i, k]
        return (f"B = {B} ({s.n / B:.3g} steps per epoch), lr = {lr:g}: floor measured {floor:.2e}, "
                f"predicted lr·E‖g_B − g‖²/4 = {s.predicted[i, k]:.2e} (ratio {ratio:.2f})")
