"""Lesson 2's apps: gradient descent on 2-D quadratics of any condition number, a divergence
map over (learning rate, condition number), and gradient descent in Rosenbrock's valley.

Every app runs *all* the settings its sliders can reach in one vectorised call of
:func:`lrcourse.run` when it is built (the slider positions are the grid), so a slider move
only looks the result up and blits: no optimisation runs while the learner drags.

The quadratics are f(x) = 1/2 (mu x_1^2 + L x_2^2): the horizontal axis is the flat direction
(curvature mu), the vertical one the steep direction (curvature L), kappa = L / mu.
Gradient descent acts on each axis on its own, x_i <- (1 - lr lambda_i) x_i, which is why a
whole (lr x kappa) grid is one array computation: :class:`DiagonalQuadratics` gives each of
the K settings its own pair of curvatures.
"""
from __future__ import annotations

import numpy as np

from .. import optimizers, theory
from .. import _validate as v
from ..plots import DIVERGED_COLOR, clip_path, contours, divergence_map, divergence_points, mark_divergence
from ..training import run
from . import BlitManager, SliderApp, int_slider, log_slider, log_visible, nearest, new_figure, slider_grid

__all__ = [
    "DiagonalQuadratics",
    "sweep_lr_kappa",
    "measured_rate",
    "slider_grid",
    "nearest",
    "ellipses",
    "ConditioningApp",
    "DivergenceMapApp",
    "TrajectoryApp",
]

_quiet = dict(over="ignore", invalid="ignore", divide="ignore", under="ignore")


# ----------------------------------------------------------------------------- the problem family
class DiagonalQuadratics:
    """K quadratics side by side: f_k(x) = 1/2 sum_i lam[k, i] x_i^2, one per row of ``eigenvalues``.

    Row k of the parameters (shape (K, dim)) sees row k of the curvatures, so one run of
    :func:`lrcourse.run` with a K-setting optimizer trains K *different* problems at once
    (e.g. one per condition number). The eigenvectors are the coordinate axes, so each
    coordinate is an independent parabola: GD maps x_i to (1 - lr lam_i) x_i.

    Parameters
    ----------
    eigenvalues : array (K, dim) of curvatures >= 0.
    x0 : default start, shape (dim,) (the same for every setting).
    """

    def __init__(self, eigenvalues, x0):
        lam = v.array("eigenvalues", eigenvalues, ndim=2, low=0, nonempty=True).copy()
        x0 = v.array("x0", x0, shape=(lam.shape[1],)).copy()
        self.eigenvalues, self.x0 = lam, x0
        self.K, self.dim = lam.shape
        self.minimizer = np.zeros(self.dim)
        self.min_loss = 0.0
        self._half = np.full(self.dim, 0.5)

    @property
    def L(self):
        """Largest curvature of each setting, shape (K,)."""
        return self.eigenvalues.max(axis=1)

    @property
    def mu(self):
        """Smallest curvature of each setting, shape (K,)."""
        return self.eigenvalues.min(axis=1)

    def _check(self, x):
        x = np.asarray(x, dtype=float)
        if x.ndim < 2 or x.shape[-2:] != (self.K, self.dim):
            raise ValueError(f"x must have shape (..., {self.K}, {self.dim}) (one row per setting), got {x.shape}")
        return x

    def loss(self, x):
        """1/2 sum_i lam_i x_i^2 per setting: x (..., K, dim) -> (..., K)."""
        x = self._check(x)
        with np.errstate(**_quiet):
            return (self.eigenvalues * x * x) @ self._half

    def grad(self, x):
        """lam_i x_i per setting, same shape as x."""
        x = self._check(x)
        with np.errstate(**_quiet):
            return self.eigenvalues * x

    def __repr__(self):
        return f"DiagonalQuadratics(K={self.K}, dim={self.dim})"


def sweep_lr_kappa(lrs, kappas, steps, x0=(-1.8, 0.8), L=1.0, *, keep_params=False):
    """Gradient descent on f = 1/2 (mu x_1^2 + L x_2^2) for every (kappa, lr) pair, in one run.

    Parameters
    ----------
    lrs : (n_lr,) learning rates; kappas : (n_kappa,) condition numbers >= 1 (mu = L / kappa).
    steps : int, GD steps; x0 : start (flat, steep); L : the largest curvature.
    keep_params : keep every iterate (memory: (steps+1) x n_kappa x n_lr x 2 floats).

    Returns the :class:`~lrcourse.training.History` of K = n_kappa * n_lr settings, kappa-major:
    ``h.loss.reshape(steps + 1, n_kappa, n_lr)`` is the loss of (kappa_i, lr_j).
    """
    lrs = v.array("lrs", lrs, ndim=1, low=0, nonempty=True)
    kappas = v.array("kappas", kappas, ndim=1, low=1, nonempty=True)
    steps = v.integer("steps", steps, 0)
    L = v.number("L", L, 0, low_open=True)
    keep_params = v.flag("keep_params", keep_params)
    lam = np.stack([np.repeat(L / kappas, lrs.size), np.full(kappas.size * lrs.size, L)], axis=1)
    problem = DiagonalQuadratics(lam, x0)
    return run(problem, optimizers.sgd(lr=np.tile(lrs, kappas.size)), steps,
               keep_params=keep_params, progress=False)


def measured_rate(loss, window=20):
    """The error contraction per step measured from a loss history (rows = steps).

    On a quadratic the loss is quadratic in the error, so an error shrinking by r per step
    makes the loss shrink by r^2. We compare the largest loss of the last ``window`` steps with
    the largest loss of the ``window`` steps ending half-way, gap = T - T//2 steps apart:
    r = (ratio)^(1 / (2 gap)). Taking maxima over a window smooths the oscillation of
    momentum methods. ``loss`` of shape (T+1,) or (T+1, ...), minimum 0; returns inf where a
    run diverged and 0 where it reached the minimum exactly.
    """
    loss = v.array("loss", loss, low=0, finite=False)
    if loss.ndim == 0 or loss.shape[0] < 3:
        raise ValueError(f"loss must hold at least 3 steps (rows), got shape {loss.shape}")
    T = loss.shape[0] - 1
    window = v.integer("window", window, 1, T // 2)
    half = T // 2
    with np.errstate(**_quiet):
        late = loss[T + 1 - window:].max(axis=0)
        mid = loss[half + 1 - window:half + 1].max(axis=0)
        r = (late / mid) ** (1 / (2 * (T - half)))
    r = np.where(late == 0, 0.0, r)  # reached the minimum exactly
    return np.where(np.isfinite(late), r, np.inf)


def ellipses(levels, mu, L, n=120):
    """Contour lines of f = 1/2 (mu x^2 + L y^2) at the given loss levels, as one (x, y) pair of
    arrays with NaN between the ellipses (one Line2D draws them all, cheap to move)."""
    levels = v.array("levels", levels, ndim=1, low=0)
    mu = v.number("mu", mu, 0, low_open=True)
    L = v.number("L", L, 0, low_open=True)
    n = v.integer("n", n, 3, 10_000)
    t = np.append(np.linspace(0, 2 * np.pi, n), np.nan)
    r = np.sqrt(2 * levels)[:, None]
    x = (r / np.sqrt(mu) * np.cos(t)).ravel()
    y = (r / np.sqrt(L) * np.sin(t)).ravel()
    return x, y


# ----------------------------------------------------------------------------- app 1: a 2-D valley
class ConditioningApp(SliderApp):
    """GD on f = 1/2 (mu x^2 + L y^2) with sliders for the learning rate and kappa = L / mu (L = 1).

    Left: the contour lines and the path; right: the loss, split into its steep part
    1/2 L y^2 and its flat part 1/2 mu x^2 (each decays geometrically at its own factor).

    Parameters
    ----------
    lr, kappa : starting slider values; steps : GD steps shown; x0 : start (flat, steep).
    """

    L = 1.0
    lr_exponents = (-2.0, 0.5, 40)     # slider 10^-2 .. 10^0.5, 40 positions per decade
    kappa_exponents = (0.0, 3.0, 20)   # slider 1 .. 1000, 20 positions per decade

    def __init__(self, lr=0.5, kappa=10.0, steps=100, x0=(-1.8, 0.8)):
        lo, hi, per = self.lr_exponents
        lr = v.number("lr", lr, 10**lo, 10**hi)
        kappa = v.number("kappa", kappa, 10 ** self.kappa_exponents[0], 10 ** self.kappa_exponents[1])
        self.steps = v.integer("steps", steps, 1, 1000)
        self.x0 = v.array("x0", x0, shape=(2,)).copy()
        self.controls = {
            "lr": log_slider("learning rate", lr, 10**lo, 10**hi, steps_per_decade=per),
            "kappa": log_slider("condition number κ = L/μ", kappa, 10 ** self.kappa_exponents[0],
                                10 ** self.kappa_exponents[1], steps_per_decade=self.kappa_exponents[2]),
        }
        self.lr_grid = slider_grid(self.controls["lr"])
        self.kappa_grid = slider_grid(self.controls["kappa"])
        h = sweep_lr_kappa(self.lr_grid, self.kappa_grid, self.steps, self.x0, self.L, keep_params=True)
        shape = (self.steps + 1, self.kappa_grid.size, self.lr_grid.size)
        self.paths = h.params.reshape(shape + (2,))
        self.diverged_at = h.diverged_at.reshape(shape[1:])
        self._build()
        self._start()

    def _build(self):
        self.fig, (self.ax_xy, self.ax_loss) = new_figure(1, 2, figsize=(8.25, 3.3), width_ratios=[1.35, 1])
        self.lim = ((-2.0, 2.0), (-1.0, 1.0))
        ax = self.ax_xy
        ax.set_xlim(*self.lim[0])
        ax.set_ylim(*self.lim[1])
        ax.set_aspect("equal")
        ax.set_xlabel("flat direction x (curvature μ)")
        ax.set_ylabel("steep direction y (curvature L)")
        ax.plot([0], [0], "+", color="k", ms=10)
        ax.plot(*self.x0, "o", color="C1", ms=5)
        ax.set_title("contours of f and the GD path", fontsize=10)
        ax = self.ax_loss
        ax.set_yscale("log")
        ax.set_xlim(0, self.steps)
        ax.set_ylim(1e-16, 1e3)
        ax.set_xlabel("step t")
        ax.set_title("loss and its two parts", fontsize=10)

        self.blit = BlitManager(self.fig.canvas)
        (self.rings,) = self.ax_xy.plot([], [], color="0.75", lw=0.8)
        (self.path,) = self.ax_xy.plot([], [], "o-", color="C1", ms=2.5, lw=1)
        (self.total,) = self.ax_loss.plot([], [], color="C0", lw=2, label="f = steep + flat")
        (self.steep,) = self.ax_loss.plot([], [], "--", color="C3", lw=1.2, label="steep part ½Ly²")
        (self.flat,) = self.ax_loss.plot([], [], "--", color="C2", lw=1.2, label="flat part ½μx²")
        self.cross = mark_divergence(self.ax_loss, -1)
        self.ax_loss.legend(handles=[self.total, self.steep, self.flat], loc="upper right", fontsize=8)
        for a in (self.rings, self.path, self.total, self.steep, self.flat, self.cross):
            self.blit.add(a)
        # contour levels: ellipses whose steep semi-axis runs from 0.03 to 2
        self.levels = 0.5 * self.L * np.geomspace(0.03, 2.0, 9) ** 2

    def update(self, lr, kappa):
        i = nearest(self.kappa_grid, kappa, log=True)
        j = nearest(self.lr_grid, lr, log=True)
        self.lr, self.kappa = lr, kappa = self.lr_grid[j], self.kappa_grid[i]
        L, mu = self.L, self.L / kappa
        self.rings.set_data(*ellipses(self.levels, mu, L))
        p = self.paths[:, i, j]
        self.path.set_data(clip_path(p[:, 0], *self.lim[0]), clip_path(p[:, 1], *self.lim[1]))
        t = np.arange(self.steps + 1)
        with np.errstate(**_quiet):
            flat, steep = 0.5 * mu * p[:, 0] ** 2, 0.5 * L * p[:, 1] ** 2
        self.flat.set_data(t, log_visible(flat))
        self.steep.set_data(t, log_visible(steep))
        self.total.set_data(t, log_visible(flat + steep))
        self.cross.set_data(*divergence_points(self.ax_loss, self.diverged_at[i, j]))
        self.status.value = describe(lr, mu, L)
        return False


def describe(lr, mu, L):
    """One line of HTML: the two per-direction factors and what they mean."""
    fs, ff = 1 - lr * L, 1 - lr * mu
    rate = max(abs(fs), abs(ff))
    best = float(theory.best_constant_lr(L, mu))
    if rate < 1:
        slow = "steep" if abs(fs) > abs(ff) else "flat"
        verdict = (f"error × {rate:.3g} per step (set by the {slow} direction), "
                   f"{theory.steps_to_reach(rate, 1e-6):.0f} steps to shrink it 10⁶×")
        color = "black"
    else:
        verdict = "the steep direction grows: diverges" if abs(fs) >= 1 else "no progress"
        color = DIVERGED_COLOR
    return (f"<span style='color:{color}'>lr = {lr:.3g}, κ = {L / mu:.3g}: steep factor 1 − lr·L = {fs:.3g}, "
            f"flat factor 1 − lr·μ = {ff:.4g} → {verdict}. "
            f"Best constant rate 2/(L+μ) = {best:.3g} (factor {(L - mu) / (L + mu):.3g}).</span>")


# ----------------------------------------------------------------------------- app 2: the map
class DivergenceMapApp(SliderApp):
    """The loss ratio f(x_T) / f(x_0) over (learning rate x condition number), T on a slider.

    All n_lr x n_kappa settings run in one vectorised GD run when the app is built; the slider
    picks the step T shown. Red: the loss grew (or diverged). Dashed: lr = 2/L; dotted: the
    best constant rate lr = 2/(L + mu) = 2 / (1 + 1/kappa).
    """

    L = 1.0

    def __init__(self, steps=100, T=20, n_lr=100, n_kappa=60, lr_range=(0.01, 3.0), kappa_range=(1.0, 1000.0),
                 x0=(-1.8, 0.8)):
        self.steps = v.integer("steps", steps, 1, 5000)
        T = v.integer("T", T, 1, self.steps)
        n_lr = v.integer("n_lr", n_lr, 2, 1000)
        n_kappa = v.integer("n_kappa", n_kappa, 2, 1000)
        self.lrs = np.geomspace(*v.interval("lr_range", lr_range, 0, 1e6, low_open=True), n_lr)
        self.kappas = np.geomspace(*v.interval("kappa_range", kappa_range, 1, 1e12), n_kappa)
        self.x0 = v.array("x0", x0, shape=(2,)).copy()
        h = sweep_lr_kappa(self.lrs, self.kappas, self.steps, self.x0, self.L)
        with np.errstate(**_quiet):
            self.ratio = (h.loss / h.loss[0]).reshape(self.steps + 1, n_kappa, n_lr)
        self.diverged_at = h.diverged_at.reshape(n_kappa, n_lr)
        self.controls = {"T": int_slider("after T steps", T, 1, self.steps)}
        self._build()
        self._start()

    def _build(self):
        self.fig, ax = new_figure(1, 1, figsize=(7.5, 3.8))
        self.ax = ax
        self.mesh = divergence_map(ax, self.lrs, self.kappas, self.ratio[-1], vmin=1e-12, vmax=1.0,
                                   ylabel="condition number κ = L/μ")
        self.fig.colorbar(self.mesh, ax=ax, label="f(x_T) / f(x_0)   (red: grew)", extend="both")
        ax.set_title("loss after T steps of GD   (dashed: lr = 2/L, dotted: lr = 2/(L+μ))", fontsize=10)
        self.blit = BlitManager(self.fig.canvas)
        self.blit.add(self.mesh)
        # theory on top of the (animated) map, so animated too (text would cost ms per move: none)
        self.blit.add(ax.axvline(2 / self.L, color="w", ls="--", lw=1.2))
        self.blit.add(ax.plot(2 / (self.L + self.L / self.kappas), self.kappas, ":", color="w", lw=1.5)[0])

    def update(self, T):
        self.T = T
        r = self.ratio[T]
        self.mesh.set_array(r.ravel())  # NaN and inf are drawn red (bad, over)
        grew = ~(r <= 1)
        done = r < 1e-12
        lowest = self.lrs[np.any(grew, axis=0)].min() if grew.any() else np.nan
        self.status.value = (f"after T = {T} steps: {done.mean():.0%} of the settings shrank the loss 10¹²×, "
                             f"{grew.mean():.0%} made it grow; the smallest rate that made it grow is "
                             f"{lowest:.4g} (theory: anything above 2/L = {2 / self.L:g}, whatever κ)")
        return False


# ----------------------------------------------------------------------------- app 3: any 2-D problem
class TrajectoryApp(SliderApp):
    """GD on any 2-D problem (e.g. Rosenbrock) on its contour plot, with a learning-rate slider.

    One run over every slider position when built. Left: contours (log-spaced levels) and the
    path; right: the loss gap f(x_t) - f*. The status line compares lr with 2/L at the
    minimiser (``problem.L``) and, when the run ends on a 2-cycle, gives the curvature midway
    between its two points: GD on a non-quadratic settles where the local curvature is 2/lr.
    """

    def __init__(self, problem, lr=1e-3, lr_range=(1e-4, 1e-2), steps=3000, xlim=(-2.0, 2.0), ylim=(-1.0, 3.0),
                 steps_per_decade=25):
        if not all(hasattr(problem, a) for a in ("loss", "grad", "x0")):
            raise TypeError(f"problem must have loss, grad and x0 (e.g. lrcourse.problems.Rosenbrock()), "
                            f"got {type(problem).__name__}")
        if getattr(problem, "dim", np.size(problem.x0)) != 2:
            raise ValueError(f"problem must be 2-D, got dim={getattr(problem, 'dim', np.size(problem.x0))}")
        self.problem = problem
        lo, hi = v.interval("lr_range", lr_range, 0, 1e6, low_open=True)
        lr = v.number("lr", lr, lo, hi)
        self.steps = v.integer("steps", steps, 2, 100_000)
        steps_per_decade = v.integer("steps_per_decade", steps_per_decade, 1, 200)
        self.lim = (v.interval("xlim", xlim), v.interval("ylim", ylim))
        self.controls = {"lr": log_slider("learning rate", lr, lo, hi, steps_per_decade=steps_per_decade)}
        self.lr_grid = slider_grid(self.controls["lr"])
        self.history = run(problem, optimizers.sgd(lr=self.lr_grid), self.steps, progress=False)
        self._build()
        self._start()

    def _build(self):
        self.fig, (self.ax_xy, self.ax_loss) = new_figure(1, 2, figsize=(8.25, 3.5), width_ratios=[1, 1.1])
        contours(self.ax_xy, self.problem, *self.lim, levels=18, colors="0.7", cmap=None)
        self.ax_xy.plot(*self.problem.minimizer, "+", color="k", ms=10)
        self.ax_xy.plot(*self.problem.x0, "o", color="C1", ms=5)
        self.ax_xy.set_title(f"{self.problem!r}: contours and GD path", fontsize=10)
        self.ax_xy.set(xlabel="x", ylabel="y")
        ax = self.ax_loss
        ax.set_yscale("log")
        ax.set_xlim(0, self.steps)
        ax.set_ylim(1e-8, 1e4)
        ax.set_xlabel("step t")
        ax.set_title("loss f(x_t) − f*", fontsize=10)
        self.blit = BlitManager(self.fig.canvas)
        (self.path,) = self.ax_xy.plot([], [], "-", color="C1", lw=1)
        (self.last,) = self.ax_xy.plot([], [], "o", color="C3", ms=4)
        (self.loss_line,) = ax.plot([], [], color="C0", lw=1.5)
        self.cross = mark_divergence(ax, -1)
        for a in (self.path, self.last, self.loss_line, self.cross):
            self.blit.add(a)

    def update(self, lr):
        j = nearest(self.lr_grid, lr, log=True)
        self.lr = lr = self.lr_grid[j]
        h = self.history
        p = h.params[:, j]
        self.path.set_data(clip_path(p[:, 0], *self.lim[0]), clip_path(p[:, 1], *self.lim[1]))
        self.last.set_data(clip_path(p[-2:, 0], *self.lim[0]), clip_path(p[-2:, 1], *self.lim[1]))
        gap = h.loss[:, j] - self.problem.min_loss
        self.loss_line.set_data(np.arange(self.steps + 1), log_visible(gap))
        self.cross.set_data(*divergence_points(self.ax_loss, h.diverged_at[j]))
        self.status.value = self._describe(lr, p, gap, h.diverged_at[j])
        return False

    def _describe(self, lr, p, gap, diverged_at):
        L = getattr(self.problem, "L", None)
        text = f"lr = {lr:.3g}" + (f" = {lr * L / 2:.2f} × 2/L* (L* = {L:.4g}, the curvature at the minimum)" if L else "")
        if diverged_at >= 0:
            return f"<span style='color:{DIVERGED_COLOR}'>{text}: diverged at step {diverged_at}</span>"
        text += f"; loss after {self.steps} steps: {gap[-1]:.3g}"
        hessian = getattr(self.problem, "hessian", None)
        if hessian is not None and np.allclose(p[-1], p[-3]) and not np.allclose(p[-1], p[-2]):
            local = np.linalg.eigvalsh(hessian(p[-2:].mean(axis=0))).max()
            text += f"; stuck on a 2-cycle whose midpoint has curvature {local:.4g} ≈ 2/lr = {2 / lr:.4g}"
        return text
