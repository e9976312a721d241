"""Lesson 6's helpers and apps: adaptive methods (AdaGrad, RMSprop, Adam, AdamW, AMSGrad).

Helpers (numpy, used by the lesson and its tests):

* :class:`AdamNoBiasCorrection` -- Adam without the bias correction of its moments;
* :func:`adam_first_step` -- the size of Adam's first step in closed form;
* :func:`uncorrected_ratio` -- how much larger the uncorrected step is, step by step;
* :func:`scaled` -- a problem with its loss multiplied by a constant;
* :func:`online_counterexample` -- Reddi et al. (2018)'s online problem, run with projection;
* :func:`effective_lr_history` -- every step's per-coordinate rates ``optimizer.effective_lr``.

Apps:

* :class:`OptimizerRaceApp` -- five optimizers with one shared learning-rate slider and a
  slider that multiplies the loss, on three 2-D problems;
* :class:`EffectiveLRApp` -- AdaGrad's, RMSprop's and Adam's per-parameter rates on logistic
  regression with raw (unscaled) features, step by step.

Both apps run every setting their sliders can reach when they are built (or when a toggle
first shows a problem); a slider move only looks results up and blits.
"""
from __future__ import annotations

import numpy as np

from .. import _validate as v
from .. import data, models, optimizers, problems
from ..plots import DIVERGED_COLOR, clip_path, divergence_points, mark_divergence
from ..training import run
from . import BlitManager, SliderApp, _look, log_slider, log_visible, nearest, new_figure, slider_grid

__all__ = [
    "AdamNoBiasCorrection", "adam_first_step", "uncorrected_ratio", "scaled", "Scaled",
    "OnlineRun", "online_counterexample", "effective_lr_history",
    "OptimizerRaceApp", "EffectiveLRApp",
]

_quiet = dict(over="ignore", invalid="ignore", divide="ignore", under="ignore")


# ============================================================================ helpers
class AdamNoBiasCorrection(optimizers.Adam):
    """Adam *without* bias correction: p <- p - lr * m / (sqrt(v) + eps).

    m and v start at 0, so early on they are (1 - beta1^t) and (1 - beta2^t) times the averages
    they estimate; Kingma & Ba (2015, section 3) divide by those factors. Without that the
    first step is lr (1 - beta1) / sqrt(1 - beta2) = 3.16 lr with the default betas (see
    :func:`uncorrected_ratio`). Same arguments as :func:`lrcourse.optimizers.adam`.
    """

    name = "adam_no_bias_correction"

    def _update(self, p, g, s, k, h):
        if np.any(h.weight_decay != 0):
            g = g + h.weight_decay * p
        m = h.beta1 * s["exp_avg"] + (1 - h.beta1) * g
        v = h.beta2 * s["exp_avg_sq"] + (1 - h.beta2) * (g * g)
        new = {"exp_avg": m, "exp_avg_sq": v}
        if self.amsgrad:
            v = new["max_exp_avg_sq"] = np.maximum(s["max_exp_avg_sq"], v)
        return p - h.lr * m / (np.sqrt(v) + h.eps), new

    def effective_lr(self, state):
        """lr / (sqrt(v) + eps) of the last step (no correction)."""
        v_name = "max_exp_avg_sq" if self.amsgrad else "exp_avg_sq"
        return self._per_coordinate(state, lambda h, t, v: h.lr / (np.sqrt(v) + h.eps), v_name)


def adam_first_step(g, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, bias_correction=True):
    """|x_1 - x_0| for Adam's first step from a gradient g (elementwise, closed form).

    With m_1 = (1 - beta1) g and v_1 = (1 - beta2) g^2:
    corrected (torch): lr |g| / (|g| + eps), about lr *whatever the scale of g*;
    uncorrected: lr (1 - beta1) |g| / (sqrt(1 - beta2) |g| + eps).
    """
    g = np.abs(v.array("g", g))
    lr = v.number("lr", lr, 0)
    b1, b2 = _betas(betas)
    eps = v.number("eps", eps, 0)
    bias_correction = v.flag("bias_correction", bias_correction)
    with np.errstate(**_quiet):
        if bias_correction:
            return lr * g / (np.sqrt((1 - b2) * g * g) / np.sqrt(1 - b2) + eps)
        return lr * (1 - b1) * g / (np.sqrt((1 - b2) * g * g) + eps)


def uncorrected_ratio(t, betas=(0.9, 0.999)):
    """(1 - beta1^t) / sqrt(1 - beta2^t): the uncorrected Adam step divided by the corrected one
    at step t = 1, 2, ... for a constant gradient (eps = 0). 3.16 at t = 1 with the defaults."""
    t = v.array("t", t, low=1)
    b1, b2 = _betas(betas)
    return (1 - b1**t) / np.sqrt(1 - b2**t)


def _betas(betas):
    """Adam's (beta1, beta2), each a number in [0, 1)."""
    if isinstance(betas, (str, bytes, dict)) or not hasattr(betas, "__len__"):
        raise TypeError(f"betas must be a pair (beta1, beta2), got {type(betas).__name__} {betas!r:.40}")
    if len(betas) != 2:
        raise ValueError(f"betas must be a pair (beta1, beta2), got {len(betas)} values")
    return (v.number("betas[0]", betas[0], 0, 1, high_open=True),
            v.number("betas[1]", betas[1], 0, 1, high_open=True))


class Scaled:
    """``problem`` with its loss multiplied by ``factor`` > 0: same minimiser, every gradient
    (and curvature) ``factor`` times larger, like measuring the loss in other units."""

    def __init__(self, problem, factor):
        _problem("problem", problem)
        self.problem = problem
        self.factor = v.number("factor", factor, 0, low_open=True)
        self.x0 = problem.x0
        for attr in ("minimizer", "dim"):
            if hasattr(problem, attr):
                setattr(self, attr, getattr(problem, attr))
        self.min_loss = self.factor * getattr(problem, "min_loss", 0.0)

    def loss(self, x):
        return self.factor * self.problem.loss(x)

    def grad(self, x):
        g = self.problem.grad(x)
        if isinstance(g, dict):
            return {k: self.factor * a for k, a in g.items()}
        return self.factor * g

    def __repr__(self):
        return f"Scaled({self.problem!r}, factor={self.factor:g})"


def scaled(problem, factor):
    """A :class:`Scaled` problem: loss x ``factor``."""
    return Scaled(problem, factor)


class OnlineRun:
    """The iterates ``x`` (steps+1, [K]) of an online run and its average regret
    ``avg_regret`` (steps, [K]): (1/T) sum_{t<=T} f_t(x_t) - f_t(-1) after T steps."""

    def __init__(self, x, avg_regret):
        self.x, self.avg_regret = x, avg_regret


def online_counterexample(C=10.0, steps=3000, alpha=0.5, betas=None, amsgrad=False, x0=0.0, eps=1e-8):
    """Reddi, Kale & Kumar (2018), section 3: online linear losses on F = [-1, 1],

        f_t(x) = C x  if t mod 3 == 1,   else  -x        (t = 1, 2, ...),

    whose sum is minimised at x = -1 (every 3 steps it adds (C - 2) x). Runs Adam (or AMSGrad)
    from :mod:`lrcourse.optimizers` with step alpha / sqrt(t) (a schedule), projecting x onto
    [-1, 1] after each step. ``betas`` defaults to the paper's (0, 1 / (1 + C^2)).
    C may be a (K,) array (K problems side by side, each with its default beta2).
    Returns an :class:`OnlineRun`.
    """
    C = v.hyper("C", C, 2, 1e100, low_open=True)
    steps = v.integer("steps", steps, 1)
    alpha = v.number("alpha", alpha, 0, low_open=True)
    amsgrad = v.flag("amsgrad", amsgrad)
    x0 = v.number("x0", x0, -1, 1)
    if betas is None:
        betas = (0.0, 1 / (1 + C**2))
    opt = optimizers.adam(lr=lambda k: alpha / np.sqrt(k + 1), betas=betas, eps=eps, amsgrad=amsgrad)
    K = opt.n_settings if opt.n_settings is not None else (np.size(C) if np.ndim(C) else None)
    shape = () if K is None else (K,)
    x = np.full(shape + (1,), x0)
    C_col = np.broadcast_to(np.asarray(C, dtype=float), shape)[..., None]
    state = opt.init(x)
    xs, regret = [x[..., 0]], []
    for k in range(steps):
        g = C_col if (k + 1) % 3 == 1 else -np.ones_like(x)
        regret.append((g * (x + 1))[..., 0])            # f_t(x_t) - f_t(-1) = g (x_t + 1)
        x, state = opt.step(x, g, state)
        x = np.clip(x, -1.0, 1.0)                       # the projection onto F
        xs.append(x[..., 0])
    regret = np.array(regret)
    T = np.arange(1, steps + 1).reshape((steps,) + (1,) * len(shape))
    return OnlineRun(np.array(xs), np.cumsum(regret, axis=0) / T)


def effective_lr_history(problem, optimizer, steps, x0=None):
    """Train with an adaptive optimizer and record ``optimizer.effective_lr(state)`` after every
    step: the per-coordinate rate lr / (sqrt(v) + eps) (or AdaGrad's) that step used.

    Returns (rates, losses): rates (steps, [K,] dim) and losses (steps + 1, [K]) (full loss).
    A small loop (lrcourse.run keeps no optimizer states).
    """
    _problem("problem", problem)
    steps = v.integer("steps", steps, 1)
    if not callable(getattr(optimizer, "effective_lr", None)):
        raise TypeError(f"optimizer must be adaptive (have effective_lr), got {optimizer!r:.60}")
    x = np.array(v.array("x0", problem.x0 if x0 is None else x0, shape=np.shape(problem.x0)))
    state = optimizer.init(x)
    rates, losses = [], [problem.loss(x)]
    with np.errstate(**_quiet):
        for _ in range(steps):
            x, state = optimizer.step(x, problem.grad(x), state)
            rates.append(optimizer.effective_lr(state))
            losses.append(problem.loss(x))
    return np.array(rates), np.array(losses)


# ============================================================================ small shared bits
def _problem(name, problem):
    if not (callable(getattr(problem, "loss", None)) and callable(getattr(problem, "grad", None))
            and hasattr(problem, "x0")):
        raise TypeError(f"{name} must be a problem with loss(x), grad(x) and x0, got {type(problem).__name__}")
    return problem


# ============================================================================ app 1: the race
RACE_OPTIMIZERS = {
    "SGD": lambda lr: optimizers.sgd(lr),
    "SGD + momentum 0.9": lambda lr: optimizers.sgd(lr, momentum=0.9),
    "AdaGrad": lambda lr: optimizers.adagrad(lr),
    "RMSprop": lambda lr: optimizers.rmsprop(lr),
    "Adam": lambda lr: optimizers.adam(lr),
}
RACE_COLORS = ("0.45", "C1", "C2", "C4", "C0")


def race_problems():
    """The race's problems: name -> (problem, ((xmin, xmax), (ymin, ymax)))."""
    return {
        "valley along the axes": (problems.quadratic([0.01, 1.0], x0=[-1.8, 0.8]), ((-2.0, 2.0), (-1.0, 1.0))),
        "the same valley, rotated 45°": (problems.quadratic([0.01, 1.0], angle=np.pi / 4, x0=[-1.8, 0.8]),
                                         ((-2.0, 2.0), (-1.0, 1.0))),
        "Rosenbrock": (problems.Rosenbrock(), ((-2.0, 2.0), (-1.0, 3.0))),
    }


class OptimizerRaceApp(SliderApp):
    """SGD, SGD with momentum, AdaGrad, RMSprop and Adam race on the same 2-D problem with the
    *same* learning rate (a slider), for ``steps`` steps.

    A second slider multiplies the loss by a factor (10^-2 .. 10^2), like changing its units:
    SGD's step is lr x gradient and changes with it, while the adaptive methods divide the
    gradient by its own running size, so their paths barely move. A toggle picks the problem:
    a valley along the axes (where per-coordinate rates help), the same valley rotated 45°
    (where they cannot: the steep direction mixes both coordinates) and Rosenbrock.
    """

    def __init__(self, lr=0.01, factor=1.0, steps=200, problem="valley along the axes"):
        import ipywidgets as w

        self.steps = v.integer("steps", steps, 1, 2000)
        self.problems = race_problems()
        v.choice("problem", problem, tuple(self.problems))
        lr = v.number("lr", lr, 1e-4, 10.0)
        factor = v.number("factor", factor, 1e-2, 1e2)
        self.controls = {
            "lr": log_slider("learning rate (all five)", lr, 1e-4, 10.0, steps_per_decade=10),
            "factor": log_slider("loss × factor", factor, 1e-2, 1e2, steps_per_decade=1, readout_format=".0e"),
            "problem": w.ToggleButtons(options=tuple(self.problems), value=problem,
                                       style={"button_width": "190px"}),
        }
        self.lr_grid = slider_grid(self.controls["lr"])
        self._cache = {}
        self._build()
        self._shown = None
        self._start()

    def results(self, problem, factor):
        """Paths (steps+1, K, 2), losses / factor (steps+1, K) and diverged_at (K,) of every
        optimizer at every slider rate, for one problem and factor (computed once, cached)."""
        key = (problem, round(float(np.log10(factor))))
        if key not in self._cache:
            p = scaled(self.problems[problem][0], 10.0 ** key[1])
            out = {}
            for name, make in RACE_OPTIMIZERS.items():
                h = run(p, make(self.lr_grid), self.steps, progress=False)
                out[name] = (h.params, h.loss / p.factor, h.diverged_at)
            self._cache[key] = out
        return self._cache[key]

    def _build(self):
        self.fig, (self.ax_xy, self.ax_loss) = new_figure(1, 2, figsize=(8.25, 3.5), width_ratios=[1.2, 1])
        ax = self.ax_loss
        ax.set_yscale("log")
        ax.set_xlim(0, self.steps)
        ax.set_ylim(1e-12, 1e4)
        ax.set_xlabel("step t")
        ax.set_title("loss ÷ factor (the same units for every factor)", fontsize=10)
        self.blit = BlitManager(self.fig.canvas)
        self.paths, self.curves = {}, {}
        for (name, _), color in zip(RACE_OPTIMIZERS.items(), RACE_COLORS):
            (self.paths[name],) = self.ax_xy.plot([], [], "-", color=color, lw=1.3, label=name)
            (self.curves[name],) = self.ax_loss.plot([], [], color=color, lw=1.5, label=name)
            self.blit.add(self.paths[name])
            self.blit.add(self.curves[name])
        self.cross = self.blit.add(mark_divergence(self.ax_loss, -1))
        self.ax_loss.legend(handles=list(self.curves.values()), loc="lower left", fontsize=7)
        self._static = []

    def _draw_problem(self, name):
        """Contours, start and minimum of a problem (static; a full redraw follows)."""
        for artist in self._static:
            artist.remove()
        problem, (xl, yl) = self.problems[name]
        ax = self.ax_xy
        X, Y = np.meshgrid(np.linspace(*xl, 160), np.linspace(*yl, 160))
        Z = problem.loss(np.stack([X, Y], -1)) - problem.min_loss
        cs = ax.contour(X, Y, Z, levels=np.geomspace(max(Z.max() * 1e-5, 1e-4), Z.max(), 12),
                        colors="0.8", linewidths=0.7)
        start = ax.plot(*problem.x0, "o", color="k", ms=4)[0]
        goal = ax.plot(*problem.minimizer, "+", color="k", ms=10)[0]
        self._static = [cs, start, goal]
        ax.set_xlim(*xl)
        ax.set_ylim(*yl)
        ax.set_aspect("equal", adjustable="box")
        ax.set_title(name, fontsize=10)
        ax.set_xlabel("x₁")
        ax.set_ylabel("x₂")
        self._lim = (xl, yl)

    def update(self, lr, factor, problem):
        full = problem != self._shown
        if full:
            self._draw_problem(problem)
            self._shown = problem
        j = nearest(self.lr_grid, lr, log=True)
        self.lr = self.lr_grid[j]
        res = self.results(problem, factor)
        t = np.arange(self.steps + 1)
        xl, yl = self._lim
        diverged, finals = [], {}
        for name, (paths, losses, div) in res.items():
            p = paths[:, j]
            self.paths[name].set_data(clip_path(p[:, 0], *xl), clip_path(p[:, 1], *yl))
            self.curves[name].set_data(t, log_visible(losses[:, j]))
            if div[j] >= 0:
                diverged.append(int(div[j]))
            finals[name] = (float(losses[-1, j]), int(div[j]))
        self.finals = finals
        self.cross.set_data(*divergence_points(self.ax_loss, diverged))
        shown = ", ".join(
            f"<span style='color:{DIVERGED_COLOR}'>{name}: diverged</span>" if d >= 0 else f"{name}: {loss:.2g}"
            for name, (loss, d) in finals.items())
        self.status.value = f"lr = {self.lr:.3g}, loss × {factor:.0e}. Loss after {self.steps} steps: {shown}"
        return full


# ============================================================================ app 2: effective rates
ADAPTIVE = {
    "AdaGrad": lambda: optimizers.adagrad(lr=0.1),
    "RMSprop": lambda: optimizers.rmsprop(lr=0.003),
    "Adam": lambda: optimizers.adam(lr=0.03),
}


class EffectiveLRApp(SliderApp):
    """Per-parameter effective learning rates of AdaGrad, RMSprop and Adam on logistic regression
    with the breast-cancer data's *raw* features (scales from 0.005 to 1000).

    Left: at the step chosen on the slider, each weight's effective rate lr / (sqrt(v) + eps)
    against the size (root mean square) of its feature, on log axes. The points fall near a
    line of slope -1: the optimizer gives each weight a rate inversely proportional to its
    gradient's size, much as standardising the features would. Right: every weight's rate
    over the steps (a marker follows the slider). A toggle picks the optimizer.
    """

    def __init__(self, steps=300, optimizer="Adam"):
        import ipywidgets as w

        self.steps = v.integer("steps", steps, 2, 5000)
        v.choice("optimizer", optimizer, tuple(ADAPTIVE))
        ds = data.load_breast_cancer()
        self.model = models.LogisticRegression(ds.X, ds.y)
        self.feature_size = np.sqrt(np.mean(self.model.A**2, axis=0))   # the bias "feature" is 1
        self.histories = {name: effective_lr_history(self.model, make(), self.steps)
                          for name, make in ADAPTIVE.items()}
        self.controls = {
            "step": w.IntSlider(value=min(10, self.steps), min=1, max=self.steps, description="step t", **_look()),
            "optimizer": w.ToggleButtons(options=tuple(ADAPTIVE), value=optimizer),
        }
        self._build()
        self._shown = None
        self._start()

    def _build(self):
        self.fig, (self.ax_rate, self.ax_time) = new_figure(1, 2, figsize=(8.25, 3.3))
        allrates = np.concatenate([r.ravel() for r, _ in self.histories.values()])
        lo, hi = np.nanmin(allrates[allrates > 0]), np.nanmax(allrates)
        self._ylim = (10 ** np.floor(np.log10(lo)), 10 ** np.ceil(np.log10(hi)))
        ax = self.ax_rate
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlim(self.feature_size.min() / 2, self.feature_size.max() * 2)
        ax.set_ylim(*self._ylim)
        ax.set_xlabel("size of the weight's feature (RMS over the data)")
        ax.set_ylabel("effective learning rate")
        ax.set_title("each weight's own rate at step t", fontsize=10)
        ax = self.ax_time
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlim(1, self.steps)
        ax.set_ylim(*self._ylim)
        ax.set_xlabel("step t")
        ax.set_title("the 31 rates over the steps (optimizer of the toggle)", fontsize=10)
        self.blit = BlitManager(self.fig.canvas)
        (self.points,) = self.ax_rate.plot([], [], "o", color="C0", ms=4)
        (self.reference,) = self.ax_rate.plot([], [], "--", color="0.5", lw=1, label="∝ 1 / feature size")
        # all 31 rate curves in ONE static line, separated by NaNs (redrawn only on a toggle)
        (self.curves,) = self.ax_time.plot([], [], color="C0", lw=0.6, alpha=0.6)
        (self.marker,) = self.ax_time.plot([], [], color="C3", lw=1)
        for a in (self.points, self.reference, self.marker):
            self.blit.add(a)
        self.ax_rate.legend(handles=[self.reference], loc="lower left", fontsize=8)

    def _curve_data(self, name):
        """x, y of the 31 curves of one optimizer joined by NaN gaps."""
        rates, _ = self.histories[name]
        n, dim = rates.shape
        t = np.r_[np.arange(1, n + 1), np.nan]
        y = np.vstack([log_visible(rates), np.full((1, dim), np.nan)])
        return np.tile(t, dim), y.T.ravel()

    def update(self, step, optimizer):
        full = optimizer != self._shown
        if full:
            self.curves.set_data(*self._curve_data(optimizer))
            self._shown = optimizer
        rates, losses = self.histories[optimizer]
        r = rates[step - 1]
        self.rates = r
        self.points.set_data(self.feature_size, log_visible(r))
        # the best line of slope -1 through the points (geometric mean of rate x size)
        c = np.exp(np.nanmean(np.log(log_visible(r * self.feature_size))))
        s = np.array(self.ax_rate.get_xlim())
        self.reference.set_data(s, c / s)
        self.marker.set_data([step, step], self._ylim)
        spread = np.nanmax(r) / np.nanmin(r)
        self.status.value = (f"{optimizer}, step {step}: rates from {np.nanmin(r):.2g} to {np.nanmax(r):.2g} "
                             f"(a factor {spread:.2g}); training loss {losses[step]:.3g}")
        return full
