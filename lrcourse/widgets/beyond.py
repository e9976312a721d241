"""Lesson 9's apps: the learning rate under other names.

* :class:`LMSApp`: the step size mu of an LMS adaptive filter; the learning curve against
  its theory, and the misadjustment against mu with the four step-size limits.
* :class:`TDApp`: the step size alpha of TD(0) on the random walk; the estimated values
  and the error curve.
* :class:`TrackingApp`: a constant step against 1/t on a drifting stream with a jump.

The simulations are computed once for a grid of step sizes (one vectorised call each), and
each slider position is one point of that grid (:func:`~lrcourse.widgets.grid_slider`), so
every move shows another step size and costs a few ms.
"""
from __future__ import annotations

import numpy as np

from .. import _validate as v
from .. import online
from ..plots import DIVERGED_COLOR, divergence_points, mark_divergence
from . import BlitManager, SliderApp, grid_slider, log_visible, nearest, new_figure

__all__ = ["LMSApp", "TDApp", "TrackingApp"]


class LMSApp(SliderApp):
    """LMS system identification with a step-size slider.

    ``taps`` weights, AR(1) input correlation R with coefficient ``a`` (independent Gaussian
    regressors, so the theory is exact), noise floor J_min = noise^2. The simulation runs
    ``runs`` independent runs of ``steps`` steps for ``n_grid`` step sizes between
    ``mu_range``, all on the same data.

    Left: the learning curve (mean squared error over the runs, and its theory, dashed).
    Right: the misadjustment (J - J_min) / J_min against mu: theory (line), measured over
    the last quarter of the run (dots; only where the theory says the run has settled by
    then), with the limits 2/(3 tr R), the exact mean-square edge, 2/tr R and 2/lambda_max.
    """

    def __init__(self, mu=0.02, taps=8, a=0.8, steps=1000, runs=40, noise=0.1, mu_range=(0.002, 0.6),
                 n_grid=36, seed=0):
        self.taps = v.integer("taps", taps, 1, 64)
        self.a = v.number("a", a, -1, 1, low_open=True, high_open=True)
        self.steps = v.integer("steps", steps, 10, 100_000)
        self.runs = v.integer("runs", runs, 1, 10_000)
        self.noise = v.number("noise", noise, 0, low_open=True)
        n_grid = v.integer("n_grid", n_grid, 2, 1000)
        lo, hi = v.interval("mu_range", mu_range, 0, 10, low_open=True)
        self.R = online.ar1_covariance(self.taps, self.a)
        self.limits = online.lms_limits(self.R)
        rng = np.random.default_rng(v.integer("seed", seed, 0))
        self.w_true = rng.standard_normal(self.taps)
        X, d = online.system_identification(self.w_true, self.R, self.steps, self.runs, self.noise, seed=seed + 1)
        self.mus = np.geomspace(lo, hi, n_grid)
        self.result = online.lms(X, d, self.mus, w_true=self.w_true)
        self.mse = self.result.mse                                     # (steps, K)
        self.theory = online.lms_theory(self.mus, self.R, self.steps - 1, -self.w_true, self.noise)
        J = self.noise**2
        tail = self.mse[-self.steps // 4:]
        with np.errstate(all="ignore"):
            self.measured = np.where(np.all(np.isfinite(tail), axis=0), tail.mean(axis=0) / J - 1, np.inf)
        self.predicted = online.lms_misadjustment(self.mus, self.R)
        # a measurement means something only where the theory says the run has settled by then
        with np.errstate(all="ignore"):
            self.settled = np.isfinite(self.predicted) & (self.theory.mse[-self.steps // 4] - J <= 1.2 * J * self.predicted)
        self.controls = {"mu": grid_slider("step size μ", mu, self.mus)}
        self._build()
        self._start()

    def _build(self):
        self.fig, (self.ax_c, self.ax_m) = new_figure(1, 2, figsize=(8.25, 3.2))
        J = self.noise**2
        ax = self.ax_c
        ax.set_yscale("log")
        ax.set_xlim(0, self.steps)
        ax.set_ylim(0.1 * J, 1e3)
        ax.axhline(J, color="0.6", lw=0.8, ls=":")
        ax.set_xlabel("step t")
        ax.set_title("mean squared error E[e²] (dashed: theory)", fontsize=10)
        ax = self.ax_m
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlim(self.mus[0], self.mus[-1])
        ax.set_ylim(1e-2, 1e2)
        ax.plot(self.mus, log_visible(self.predicted), color="0.3", lw=1.2, label="theory")
        ax.plot(self.mus, log_visible(np.where(self.settled, self.measured, np.nan)), ".", color="C0", ms=4,
                label="measured (settled runs)")
        ax.plot(self.mus, self.mus * np.trace(self.R) / 2, color="0.6", lw=0.8, ls="--", label="μ tr R / 2")
        names = {"safe": "2/(3 tr R)", "mean_square": "MS edge", "trace": "2/tr R", "mean": "2/λmax"}
        for (key, label), color in zip(names.items(), ("C2", DIVERGED_COLOR, "C4", "C1")):
            ax.axvline(self.limits[key], color=color, lw=0.9, ls="-.")
            ax.text(self.limits[key], 1.3e-2, " " + label, rotation=90, fontsize=7, color=color, va="bottom")
        ax.set_xlabel("step size μ")
        ax.set_title("misadjustment (J − J_min) / J_min", fontsize=10)
        ax.legend(fontsize=7, loc="upper left")
        self.blit = BlitManager(self.fig.canvas)
        t = np.arange(self.steps)
        (self.curve,) = self.ax_c.plot(t, np.full(self.steps, np.nan), color="C0", lw=1.2)
        (self.theory_line,) = self.ax_c.plot(t, np.full(self.steps, np.nan), color="k", lw=1, ls="--")
        self.cross = mark_divergence(self.ax_c, -1)
        (self.marker,) = self.ax_m.plot([], [], "o", color="C3", ms=8, mfc="none", mew=2)
        for artist in (self.curve, self.theory_line, self.cross, self.marker):
            self.blit.add(artist)

    def update(self, mu):
        k = nearest(self.mus, mu, log=True)
        self.mu = m = float(self.mus[k])
        top = self.ax_c.get_ylim()[1]
        curve = self.mse[:, k]
        above = ~(curve <= top)
        # diverged: above the frame (or inf) from some step to the end, not just a passing spike
        self.diverged_at = int(np.flatnonzero(~above)[-1] + 1) if above[-1] and (~above).any() else (0 if above[-1] else -1)
        self.curve.set_ydata(np.where(curve <= top, curve, np.nan))
        th = self.theory.mse[:, k]
        self.theory_line.set_ydata(np.where(th <= top, th, np.nan))
        self.cross.set_data(*divergence_points(self.ax_c, self.diverged_at))
        y = self.measured[k] if np.isfinite(self.measured[k]) and self.measured[k] > 0 else 1e2
        self.marker.set_data([m], [min(max(y, 1e-2), 1e2)])
        lim = self.limits
        mean_ok = m < lim["mean"]
        ms_ok = np.isfinite(self.predicted[k])
        self.regime = "stable" if ms_ok else ("mean only" if mean_ok else "diverges")
        measured = ("blew up" if not np.isfinite(self.measured[k]) else f"{self.measured[k]:.3g}" if self.settled[k]
                    else f"{self.measured[k]:.3g} (not settled after {self.steps} steps)")
        text = (f"μ = {m:.3g}: mean {'converges' if mean_ok else 'diverges'} (μ·λmax = {m * 2 / lim['mean']:.2f}), "
                f"mean square {'stable' if ms_ok else 'UNSTABLE'}; misadjustment theory {self.predicted[k]:.3g}, "
                f"measured {measured}, μ tr R/2 = {m * np.trace(self.R) / 2:.3g}")
        color = "black" if ms_ok else DIVERGED_COLOR
        self.status.value = f"<span style='color:{color}'>{text}</span>"
        return False


class TDApp(SliderApp):
    """TD(0) on the 5-state random walk with a slider for the step size alpha.

    ``schedule`` picks constant steps or per-state decaying steps alpha / n**power. Left:
    the estimates after the last episode (one run, dots; mean over runs, line) against the
    true values 1/6..5/6. Right: the RMS error over the states against episodes (mean over
    ``runs``), with the curves of a few reference step sizes in grey.
    """

    def __init__(self, alpha=0.1, episodes=100, runs=100, power=0.0, alpha_range=(0.01, 1.0), n_grid=41, seed=0):
        self.episodes = v.integer("episodes", episodes, 1, 100_000)
        self.runs = v.integer("runs", runs, 1, 10_000)
        self.power = v.number("power", power, 0)
        lo, hi = v.interval("alpha_range", alpha_range, 0, 10, low_open=True)
        self.alphas = np.geomspace(lo, hi, v.integer("n_grid", n_grid, 2, 1000))
        self.result = online.td0_random_walk(self.alphas, self.episodes, self.runs, power=self.power, seed=seed)
        self.rms = self.result.rms.mean(axis=-1)        # (episodes+1, K)
        self.controls = {"alpha": grid_slider("step size α", alpha, self.alphas)}
        self._build()
        self._start()

    def _build(self):
        self.fig, (self.ax_v, self.ax_e) = new_figure(1, 2, figsize=(8.25, 3.1))
        states = np.arange(1, 6)
        ax = self.ax_v
        ax.plot(states, self.result.true_values, "k-", lw=1, label="true 1/6 … 5/6")
        ax.axhline(0.5, color="0.7", lw=0.8, ls=":")
        ax.set_xticks(states, list("ABCDE"))
        ax.set_ylim(0, 1)
        ax.set_xlim(0.7, 5.3)
        ax.set_title(f"estimated values after {self.episodes} episodes", fontsize=10)
        ax = self.ax_e
        ep = np.arange(self.episodes + 1)
        for ref in (0.02, 0.1, 0.5):
            if self.alphas[0] <= ref <= self.alphas[-1]:
                k = nearest(self.alphas, ref, log=True)
                ax.plot(ep, self.rms[:, k], color="0.75", lw=1)
                ax.text(self.episodes, self.rms[-1, k], f" α={self.alphas[k]:.2g}", fontsize=7, color="0.5", va="center")
        ax.set_xlim(0, self.episodes * 1.12)
        ax.set_ylim(0, 0.3)
        ax.set_xlabel("episodes")
        ax.set_title("RMS error over the states (mean over runs)", fontsize=10)
        self.blit = BlitManager(self.fig.canvas)
        (self.one_run,) = self.ax_v.plot(states, np.full(5, np.nan), "o", color="C1", ms=5, label="one run")
        (self.mean_run,) = self.ax_v.plot(states, np.full(5, np.nan), "-", color="C0", lw=1.5, label="mean over runs")
        (self.curve,) = self.ax_e.plot(ep, np.full(ep.size, np.nan), color="C0", lw=1.5)
        self.ax_v.legend(fontsize=7, loc="upper left")
        for artist in (self.one_run, self.mean_run, self.curve):
            self.blit.add(artist)

    def update(self, alpha):
        k = nearest(self.alphas, alpha, log=True)
        self.alpha = float(self.alphas[k])
        values = self.result.values[k]
        self.one_run.set_ydata(values[0])
        self.mean_run.set_ydata(values.mean(axis=0))
        self.curve.set_ydata(np.minimum(self.rms[:, k], 0.3))
        best = int(np.argmin(self.rms[1:].mean(axis=0)))
        self.status.value = (f"α = {self.alpha:.3g}: RMS error {self.rms[-1, k]:.3f} after {self.episodes} episodes, "
                             f"{self.rms[1:, k].mean():.3f} on average over them (best average at "
                             f"α ≈ {self.alphas[best]:.2g})")
        return False


class TrackingApp(SliderApp):
    """Online estimation of a drifting mean: a constant step alpha (slider) against 1/t.

    The stream y_t = theta_t + noise (theta a random walk of step std ``drift``, plus a jump
    of ``jump`` half-way) is drawn once. Left: the stream, theta_t, the 1/t estimate and the
    constant-step estimate (moves with the slider). Right: the steady-state tracking error
    against alpha (theory, no jump) with the best step, the Kalman gain, marked.
    """

    def __init__(self, alpha=0.05, steps=1000, drift=0.02, noise=1.0, jump=2.0, alpha_range=(0.002, 1.0),
                 n_grid=200, seed=0):
        self.steps = v.integer("steps", steps, 10, 100_000)
        self.drift = v.number("drift", drift, 0, low_open=True)
        self.noise = v.number("noise", noise, 0, low_open=True)
        jump = v.number("jump", jump)
        lo, hi = v.interval("alpha_range", alpha_range, 0, 1, low_open=True)
        self.theta, self.y = online.drifting_stream(self.steps, self.drift, self.noise, runs=1,
                                                    jump_at=self.steps // 2, jump=jump, seed=seed)
        self.running_mean = online.track(self.y[0], 1.0, power=1.0)
        self.gain = online.kalman_gain(self.drift, self.noise)
        self.alphas = np.geomspace(lo, hi, v.integer("n_grid", n_grid, 2, 10_000))
        self.estimates = online.track(self.y[0], self.alphas)          # (steps, K): all at once
        self.controls = {"alpha": grid_slider("step size α", alpha, self.alphas)}
        self._build(lo, hi)
        self._start()

    def _build(self, lo, hi):
        self.fig, (self.ax_s, self.ax_e) = new_figure(1, 2, figsize=(8.25, 3.1), gridspec_kw={"width_ratios": [1.6, 1]})
        t = np.arange(1, self.steps + 1)
        ax = self.ax_s
        ax.plot(t, self.y[0], ".", color="0.8", ms=2)
        ax.plot(t, self.theta[0], color="k", lw=1.2, label="θ_t (truth)")
        ax.plot(t, self.running_mean, color="C2", lw=1.2, label="1/t step (running mean)")
        pad = 0.05 * np.ptp(self.y[0])
        ax.set_ylim(self.y[0].min() - pad, self.y[0].max() + pad)     # every estimate stays inside
        ax.set_xlim(1, self.steps)
        ax.set_xlabel("step t")
        ax.set_title("a drifting stream y_t and two online estimates", fontsize=10)
        ax = self.ax_e
        grid = np.geomspace(lo, hi * 0.999, 300)
        self._err_grid = (grid, online.tracking_error(grid, self.drift, self.noise))
        ax.loglog(*self._err_grid, color="0.3", lw=1.2)
        ax.axvline(self.gain, color="C2", lw=0.9, ls="-.")
        ax.text(self.gain, self._err_grid[1].max() / 2, " Kalman gain", fontsize=7, color="C2", rotation=90, va="top")
        ax.set_xlabel("constant step α")
        ax.set_title("steady-state error E[(w − θ)²]", fontsize=10)
        self.blit = BlitManager(self.fig.canvas)
        (self.estimate,) = self.ax_s.plot(t, np.full(self.steps, np.nan), color="C0", lw=1.2, label="constant step α")
        (self.marker,) = self.ax_e.plot([], [], "o", color="C0", ms=7)
        self.ax_s.legend(fontsize=7, loc="upper left")
        for artist in (self.estimate, self.marker):
            self.blit.add(artist)

    def update(self, alpha):
        k = nearest(self.alphas, alpha, log=True)
        self.alpha = a = float(self.alphas[k])
        self.w = self.estimates[:, k]
        self.estimate.set_ydata(self.w)
        self.marker.set_data([a], [online.tracking_error(a, self.drift, self.noise)])
        half = self.steps // 2
        err = lambda w: float(np.mean((w[half + 50:] - self.theta[0, half + 50:]) ** 2))
        self.status.value = (f"α = {a:.3g}: mean squared error after the jump {err(self.w):.3g} "
                             f"(1/t step: {err(self.running_mean):.3g}); theory without jump "
                             f"{online.tracking_error(a, self.drift, self.noise):.3g}, best α = {self.gain:.3g}")
        return False
