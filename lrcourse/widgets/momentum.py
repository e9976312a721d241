"""Lesson 5's apps: gradient descent, heavy ball and Nesterov on an ill-conditioned quadratic
(sliders for lr and momentum beta), and a map of the convergence rate over (lr, beta).

Both apps run every setting their sliders can reach in one vectorised call of
:func:`lrcourse.run` per method when they are built; a slider move only looks results up.

The update rules are PyTorch's (``lrcourse.optimizers.sgd``): with b the buffer,

    heavy ball:  b <- beta b + g,             x <- x - lr b
    Nesterov:    b <- beta b + g,             x <- x - lr (g + beta b)

and the heavy ball is exactly Polyak's x <- x - lr g + beta (x - x_prev) (lesson 5 shows it).
On a quadratic each eigen-direction with curvature lam is a linear recursion in
(x_t, x_{t-1}) whose characteristic polynomial is

    heavy ball:  z^2 - (1 + beta - lr lam) z + beta
    Nesterov:    z^2 - (1 + beta)(1 - lr lam) z + beta (1 - lr lam)

and the error shrinks per step by the largest root modulus (:func:`momentum_rate`).
"""
from __future__ import annotations

import numpy as np

from .. import optimizers, problems, theory
from .. import _validate as v
from ..plots import DIVERGED_COLOR, clip_path, divergence_points, mark_divergence
from ..training import run
from . import BlitManager, SliderApp, float_slider, log_slider, log_visible, nearest, new_figure, slider_grid
from .noise import choice_slider
from .conditioning import DiagonalQuadratics, ellipses, measured_rate

__all__ = ["momentum_rate", "MomentumApp", "RateMapApp"]

_quiet = dict(over="ignore", invalid="ignore", divide="ignore", under="ignore")


def momentum_rate(lr, beta, lam, nesterov=False):
    """Error contraction per step of heavy ball (or Nesterov) momentum along curvature ``lam``.

    The spectral radius max |z| over the roots z of the characteristic polynomial (module
    docstring): the error behaves like |z|^t (times t for a double root). Below 1 the method
    converges; ``beta = 0`` gives gradient descent's |1 - lr lam|. Arguments broadcast.
    """
    lr = v.array("lr", lr, low=0)
    beta = v.array("beta", beta, low=0, high=1, high_open=True)
    lam = v.array("lam", lam, low=0)
    a = lr * lam
    if v.flag("nesterov", nesterov):
        trace, det = (1 + beta) * (1 - a), beta * (1 - a)
    else:
        trace, det = 1 + beta - a, beta + 0 * a
    root = np.sqrt(trace**2 - 4 * det + 0j)
    return np.maximum(np.abs(trace + root), np.abs(trace - root)) / 2


def _quadratic_rate(lr, beta, mu, L, nesterov=False):
    """Rate on a quadratic with curvatures in [mu, L]: the worse of its two extreme directions."""
    return np.maximum(momentum_rate(lr, beta, mu, nesterov), momentum_rate(lr, beta, L, nesterov))


# ----------------------------------------------------------------------------- app 1: three paths
class MomentumApp(SliderApp):
    """GD, heavy ball and Nesterov on f = 1/2 (mu x^2 + L y^2) (L = 1, kappa = L/mu fixed),
    with sliders for lr and the momentum beta and a button that sets Polyak's optimal values.

    Parameters
    ----------
    kappa : condition number; lr, beta : starting slider values; steps : steps shown;
    x0 : start (flat, steep).
    """

    L = 1.0

    def __init__(self, kappa=100.0, lr=0.5, beta=0.5, steps=100, x0=(-1.8, 0.8)):
        import ipywidgets as w

        self.kappa = v.number("kappa", kappa, 1, 1e6)
        self.mu = self.L / self.kappa
        lr = v.number("lr", lr, 0.1, 10.0)
        beta = v.number("beta", beta, 0.0, 0.99)
        self.steps = v.integer("steps", steps, 1, 1000)
        self.x0 = v.array("x0", x0, shape=(2,)).copy()
        self.controls = {
            "lr": log_slider("learning rate", lr, 0.1, 10.0, steps_per_decade=40),
            "beta": float_slider("momentum β", beta, 0.0, 0.99, 0.01, readout_format=".2f"),
        }
        self.lr_grid = slider_grid(self.controls["lr"])
        self.beta_grid = slider_grid(self.controls["beta"])
        self._precompute()
        self.polyak = tuple(float(p) for p in theory.polyak_momentum(self.L, self.mu))
        self.button = w.Button(description="Polyak's settings", tooltip="lr = (2/(√L+√μ))², β = ((√κ−1)/(√κ+1))²")
        self.button.on_click(lambda _: self.set_polyak())
        self._build()
        self._start()

    def _precompute(self):
        """Heavy ball on every (beta, lr) of the sliders, Nesterov on every beta > 0: two runs."""
        problem = problems.quadratic([self.mu, self.L], x0=self.x0)
        B, LR = np.meshgrid(self.beta_grid, self.lr_grid, indexing="ij")
        hb = run(problem, optimizers.sgd(lr=LR.ravel(), momentum=B.ravel()), self.steps, progress=False)
        nag = run(problem, optimizers.sgd(lr=LR[1:].ravel(), momentum=B[1:].ravel(), nesterov=True),
                  self.steps, progress=False)
        nb, nl = B.shape
        self.hb_paths = hb.params.reshape(self.steps + 1, nb, nl, 2)
        self.hb_div = hb.diverged_at.reshape(nb, nl)
        # Nesterov with beta = 0 is gradient descent: reuse the heavy ball's first row
        self.nag_paths = np.concatenate([self.hb_paths[:, :1], nag.params.reshape(self.steps + 1, nb - 1, nl, 2)], 1)
        self.nag_div = np.concatenate([self.hb_div[:1], nag.diverged_at.reshape(nb - 1, nl)], 0)

    def set_polyak(self):
        """Move the sliders to Polyak's optimal lr and beta, or rather to the slider position
        with the best rate around them (the optimum sits just below the stability edge, 1% at
        kappa = 100, so plain rounding to the grid can land outside it)."""
        alpha, beta = self.polyak
        near = (np.abs(self.beta_grid - beta) < 0.035)[:, None] & (np.abs(np.log(self.lr_grid / alpha)) < 0.1)
        if not near.any():  # Polyak's point lies off the sliders: take the best position there is
            near[:] = True
        B, LR = np.meshgrid(self.beta_grid, self.lr_grid, indexing="ij")
        rate = np.where(near, _quadratic_rate(LR, B, self.mu, self.L), np.inf)
        k = np.unravel_index(np.argmin(rate), rate.shape)
        self.controls["beta"].value = float(B[k])
        self.controls["lr"].value = float(LR[k])

    def widget(self):
        import ipywidgets as w

        return w.VBox(list(self.controls.values()) + [self.button, self.status])

    def _build(self):
        self.fig, (self.ax_xy, self.ax_loss) = new_figure(1, 2, figsize=(8.25, 3.3), width_ratios=[1.35, 1])
        self.lim = ((-2.0, 2.0), (-1.0, 1.0))
        ax = self.ax_xy
        ax.plot(*ellipses(0.5 * self.L * np.geomspace(0.03, 2.0, 9) ** 2, self.mu, self.L), color="0.75", lw=0.8)
        ax.plot([0], [0], "+", color="k", ms=10)
        ax.plot(*self.x0, "o", color="k", ms=4)
        ax.set_xlim(*self.lim[0])
        ax.set_ylim(*self.lim[1])
        ax.set_aspect("equal")
        ax.set_xlabel("flat direction x (curvature μ)")
        ax.set_ylabel("steep direction y (curvature L)")
        ax.set_title(f"κ = {self.kappa:g}: three paths from the same start", fontsize=10)
        ax = self.ax_loss
        ax.set_yscale("log")
        ax.set_xlim(0, self.steps)
        ax.set_ylim(1e-16, 1e3)
        ax.set_xlabel("step t")
        ax.set_title("loss f(x_t)", fontsize=10)

        self.blit = BlitManager(self.fig.canvas)
        style = {"gd": ("0.55", "gradient descent"), "hb": ("C1", "heavy ball"), "nag": ("C2", "Nesterov")}
        self.paths, self.losses = {}, {}
        for key, (color, label) in style.items():
            (self.paths[key],) = self.ax_xy.plot([], [], "o-", color=color, ms=2, lw=1, label=label)
            (self.losses[key],) = self.ax_loss.plot([], [], color=color, lw=1.5, label=label)
            self.blit.add(self.paths[key])
            self.blit.add(self.losses[key])
        self.cross = self.blit.add(mark_divergence(self.ax_loss, -1))
        self.ax_loss.legend(handles=list(self.losses.values()), loc="lower left", fontsize=8)

    def update(self, lr, beta):
        i = nearest(self.beta_grid, beta)
        j = nearest(self.lr_grid, lr, log=True)
        self.lr, self.beta = lr, beta = self.lr_grid[j], self.beta_grid[i]
        runs = {"gd": (self.hb_paths[:, 0, j], self.hb_div[0, j]),
                "hb": (self.hb_paths[:, i, j], self.hb_div[i, j]),
                "nag": (self.nag_paths[:, i, j], self.nag_div[i, j])}
        t = np.arange(self.steps + 1)
        with np.errstate(**_quiet):
            for key, (p, _) in runs.items():
                self.paths[key].set_data(clip_path(p[:, 0], *self.lim[0]), clip_path(p[:, 1], *self.lim[1]))
                self.losses[key].set_data(t, log_visible(0.5 * (self.mu * p[:, 0] ** 2 + self.L * p[:, 1] ** 2)))
        self.diverged = {key: int(d) for key, (_, d) in runs.items()}
        self.cross.set_data(*divergence_points(self.ax_loss, list(self.diverged.values())))
        self.status.value = self.describe(lr, beta)
        return False

    def describe(self, lr, beta):
        """The status line: effective rate, stability and predicted rates of the three methods."""
        rates = {name: float(_quadratic_rate(lr, b, self.mu, self.L, nesterov))
                 for name, b, nesterov in [("GD", 0.0, False), ("heavy ball", beta, False), ("Nesterov", beta, True)]}
        shown = ", ".join(
            f"{name} <span style='color:{DIVERGED_COLOR if r >= 1 else 'black'}'>"
            f"{'×' + format(r, '.3g') if r < 1 else 'diverges (×' + format(r, '.3g') + ')'}</span>"
            for name, r in rates.items())
        alpha_p, beta_p = self.polyak
        return (f"lr = {lr:.3g}, β = {beta:.2f}: effective rate lr/(1−β) = {lr / (1 - beta):.3g}; "
                f"heavy ball stable iff lr·L = {lr * self.L:.3g} &lt; 2+2β = {2 + 2 * beta:.3g}. "
                f"Error per step: {shown}. Polyak: lr = {alpha_p:.3g}, β = {beta_p:.3g} → "
                f"×{float(theory.heavy_ball_contraction(self.kappa)):.3g}.")


# ----------------------------------------------------------------------------- app 2: the rate map
class RateMapApp(SliderApp):
    """Measured convergence rate of the heavy ball over (lr x beta), one map per condition number.

    Every (kappa, beta, lr) setting runs in ONE vectorised run (a :class:`DiagonalQuadratics`
    gives each setting its own curvatures); the rate is measured from the loss with
    :func:`~lrcourse.widgets.conditioning.measured_rate`. The kappa slider picks a map.
    Overlays: the heavy ball's stability edge lr L = 2 + 2 beta (white dashed), Nesterov's
    lr L = (2 + 2 beta)/(1 + 2 beta) (white dotted), Polyak's optimum (star) and the best
    plain GD rate 2/(L + mu) at beta = 0 (circle).
    """

    L = 1.0

    def __init__(self, kappas=(10, 30, 100, 300, 1000), kappa=100, steps=200, n_lr=49, n_beta=40,
                 lr_range=(0.01, 10.0), x0=(-1.8, 0.8)):
        self.kappas = tuple(float(k) for k in v.array("kappas", kappas, ndim=1, low=1, nonempty=True))
        if len(set(self.kappas)) != len(self.kappas) or list(self.kappas) != sorted(self.kappas):
            raise ValueError(f"kappas must be increasing, got {list(self.kappas)}")
        kappa = v.number("kappa", kappa, 1)
        if kappa not in self.kappas:
            raise ValueError(f"kappa must be one of kappas {list(self.kappas)}, got {kappa!r}")
        self.steps = v.integer("steps", steps, 40, 5000)
        n_lr, n_beta = v.integer("n_lr", n_lr, 2, 500), v.integer("n_beta", n_beta, 2, 500)
        self.lrs = np.geomspace(*v.interval("lr_range", lr_range, 0, 1e6, low_open=True), n_lr)
        x0 = v.array("x0", x0, shape=(2,))
        self.betas = np.linspace(0, 0.975, n_beta)
        nk = len(self.kappas)
        K, B, LR = np.meshgrid(self.kappas, self.betas, self.lrs, indexing="ij")
        lam = np.stack([self.L / K.ravel(), np.full(K.size, self.L)], axis=1)
        h = run(DiagonalQuadratics(lam, x0), optimizers.sgd(lr=LR.ravel(), momentum=B.ravel()), self.steps,
                keep_params=False, progress=False)
        self.rates = measured_rate(h.loss).reshape(nk, n_beta, n_lr)
        self.controls = {"kappa": choice_slider("condition number κ", self.kappas, float(kappa))}
        self._build()
        self._start()

    def _build(self):
        from matplotlib.colors import FuncNorm
        import matplotlib.pyplot as plt

        self.fig, ax = new_figure(1, 1, figsize=(7.5, 3.8))
        self.ax = ax
        norm = FuncNorm((lambda r: -np.log10(1 - np.minimum(r, 1 - 1e-12)), lambda y: 1 - 10.0 ** -y),
                        vmin=0.5, vmax=0.999)
        cmap = plt.get_cmap("viridis").with_extremes(bad=DIVERGED_COLOR)
        self.mesh = ax.pcolormesh(self.lrs, self.betas, self.shown(self.kappas[0]), norm=norm, cmap=cmap,
                                  shading="auto")
        bar = self.fig.colorbar(self.mesh, ax=ax, label="error × r per step  (red: r ≥ 1)")
        bar.set_ticks([0.5, 0.8, 0.9, 0.95, 0.99, 0.999])
        ax.set_xscale("log")
        ax.set_xlabel("learning rate")
        ax.set_ylabel("momentum β")
        ax.set_title("heavy ball: measured convergence rate", fontsize=10)
        self.blit = BlitManager(self.fig.canvas)
        self.blit.add(self.mesh)
        b = np.linspace(0, 0.975, 100)
        for artist in (
            ax.plot((2 + 2 * b) / self.L, b, "--", color="w", lw=1.2)[0],
            ax.plot((2 + 2 * b) / (1 + 2 * b) / self.L, b, ":", color="w", lw=1.5)[0],
        ):
            self.blit.add(artist)
        (self.star,) = ax.plot([], [], "*", color="w", mec="k", ms=14)
        (self.gd,) = ax.plot([], [], "o", color="w", mec="k", ms=7, clip_on=False)
        self.blit.add(self.star)
        self.blit.add(self.gd)
        self.kappa_label = ax.text(0.02, 0.95, "", transform=ax.transAxes, color="w", va="top", fontsize=10)
        self.blit.add(self.kappa_label)                                # which map is shown (the title is static)
        ax.set_xlim(self.lrs[0], self.lrs[-1])
        ax.set_ylim(0, 0.975)

    def shown(self, kappa):
        """The measured map for ``kappa``, with r >= 1 (no convergence) as NaN (drawn red)."""
        r = self.rates[self.kappas.index(kappa)]
        return np.where(r < 1, r, np.nan)

    def update(self, kappa):
        self.kappa = kappa
        self.mesh.set_array(self.shown(kappa).ravel())
        mu = self.L / kappa
        alpha, beta = (float(p) for p in theory.polyak_momentum(self.L, mu))
        self.star.set_data([alpha], [beta])
        self.gd.set_data([float(theory.best_constant_lr(self.L, mu))], [0.0])
        self.kappa_label.set_text(f"κ = {kappa:g}")
        r = self.rates[self.kappas.index(kappa)]
        b, l = np.unravel_index(np.argmin(r), r.shape)
        self.status.value = (
            f"κ = {kappa:g}: best measured rate {r[b, l]:.3f} at lr = {self.lrs[l]:.3g}, β = {self.betas[b]:.3g} "
            f"(Polyak ★: lr = {alpha:.3g}, β = {beta:.3g}, rate (√κ−1)/(√κ+1) = "
            f"{float(theory.heavy_ball_contraction(kappa)):.3f}); best plain GD ●: "
            f"{float(theory.best_contraction(kappa)):.3f}")
        return False
