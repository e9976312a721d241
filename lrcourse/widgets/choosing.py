"""Lesson 7's apps: choosing a learning rate.

* :class:`RangeTestApp` -- a finished LR range test (:func:`lrcourse.search.lr_range_test`)
  re-read with sliders for the smoothing and the stop rule, next to the truth: the loss
  reached by constant-rate training at each rate.
* :class:`BayesOptApp` -- Bayesian optimisation (:func:`lrcourse.search.bayes_opt`) replayed
  one evaluation at a time: GP mean and band, expected improvement, the next point.
* :func:`loss_curve_gallery` and :class:`LossCurveQuiz` -- loss curves from real runs at
  controlled rates (too high, too low, good, plateau, noisy) and a quiz with feedback.

The slider apps never train: they re-read results computed once (the range test's raw
losses, the optimiser's stored posteriors), so a slider move costs a few milliseconds.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .. import _validate as v
from .. import data, models, optimizers
from ..search import BayesResult, RangeTest
from ..training import run
from . import BlitManager, SliderApp, _look, float_slider, log_slider, new_figure

__all__ = ["RangeTestApp", "BayesOptApp", "Curve", "loss_curve_gallery", "show_curve", "LABELS", "LossCurveQuiz"]

SUGGESTION_COLORS = {"valley": "C2", "steepest": "C1", "minimum": "C4"}


def _finite(y):
    y = np.asarray(y, dtype=float)
    return np.where(np.isfinite(y), y, np.nan)


def _curve_pair(name, pair):
    """(lrs, values): two 1-D arrays of one length >= 2, lrs > 0 (values may be inf: diverged)."""
    if isinstance(pair, (str, bytes, dict)) or not isinstance(pair, (tuple, list)):
        raise TypeError(f"{name} must be a pair (lrs, values) of arrays, got {type(pair).__name__}")
    if len(pair) != 2:
        raise ValueError(f"{name} must be a pair (lrs, values) of arrays, got {len(pair)} items")
    lrs = v.array(f"{name}[0]", pair[0], ndim=1, low=0, low_open=True)
    values = v.array(f"{name}[1]", pair[1], ndim=1, finite=False)
    if lrs.size < 2 or values.shape != lrs.shape:
        raise ValueError(f"{name} must be (lrs, values), two 1-D arrays of one length >= 2, got shapes "
                         f"{lrs.shape} and {values.shape}")
    return lrs, values


# ============================================================================ the range test
class RangeTestApp(SliderApp):
    """A range test re-read with other settings: sliders for the smoothing ``beta`` and the
    ``stop factor`` (stop once the smoothed loss exceeds factor x its best so far).

    Left: raw and smoothed loss against the rate (log axis), the stop (a cross) and the three
    suggestions (vertical lines). Right, if ``truth`` = (lrs, losses) is given: the loss that
    training at each *constant* rate reached, with the suggestions marked on it, so you can see
    how good each suggestion is.
    """

    def __init__(self, result, truth=None, truth_label="loss after constant-rate training"):
        if not isinstance(result, RangeTest):
            raise TypeError(f"result must be a RangeTest from lrcourse.search.lr_range_test, got {type(result).__name__}")
        self.result = result
        self.truth = None if truth is None else _curve_pair("truth", truth)
        self.truth_label = v.text("truth_label", truth_label)
        self.controls = {
            "beta": float_slider("smoothing β", result.beta, 0.0, 0.999, 0.001, readout_format=".3f"),
            "stop_factor": log_slider("stop when smoothed > factor × best", result.stop_factor, 1.5, 100.0,
                                      steps_per_decade=20, readout_format=".3g"),
        }
        self._build()
        self._start()

    def _build(self):
        ncols = 2 if self.truth is not None else 1
        self.fig, axes = new_figure(1, ncols, figsize=(8.25 if ncols == 2 else 6, 3.4))
        axes = np.atleast_1d(axes)
        self.ax = ax = axes[0]
        r = self.result
        finite = r.all_losses[np.isfinite(r.all_losses)]
        top = min(finite.max(), 2.2 * max(r.start_loss, np.min(finite)))
        bottom = 0.0 if finite.min() >= 0 else finite.min()
        ax.set_xscale("log")
        ax.set_xlim(r.all_lrs[0], r.all_lrs[-1])
        ax.set_ylim(bottom, top * 1.05)
        ax.set_xlabel("learning rate (growing during the test)")
        ax.set_ylabel("training loss")
        ax.set_title("LR range test", fontsize=10)
        ax.plot(r.all_lrs, np.clip(_finite(r.all_losses), None, top * 1.04), color="0.75", lw=1, label="raw")
        self.blit = BlitManager(self.fig.canvas)
        (self.smooth_line,) = ax.plot([], [], color="C0", lw=1.8, label="smoothed, up to the stop")
        (self.stop_mark,) = ax.plot([], [], "x", color="C3", ms=9, mew=2, label="stop")
        self.vlines = {name: ax.axvline(r.all_lrs[0], color=c, ls="--", lw=1.2, label=name)
                       for name, c in SUGGESTION_COLORS.items()}
        for a in (self.smooth_line, self.stop_mark, *self.vlines.values()):
            self.blit.add(a)
        ax.legend(loc="upper left", fontsize=7)
        self.marks = {}
        if self.truth is not None:
            self.ax_truth = at = axes[1]
            lrs, losses = self.truth
            at.set_xscale("log")
            at.set_yscale("log")
            at.plot(lrs, _finite(losses), "o-", color="0.3", ms=3, lw=1)
            ok = np.isfinite(losses)
            at.set_xlim(r.all_lrs[0], r.all_lrs[-1])
            at.set_ylim(losses[ok].min() / 2, losses[ok].max() * 2)
            at.set_xlabel("constant learning rate")
            at.set_title(self.truth_label, fontsize=10)
            for name, c in SUGGESTION_COLORS.items():
                (self.marks[name],) = at.plot([], [], "o", color=c, ms=9, mfc="none", mew=2)
                self.blit.add(self.marks[name])

    def truth_at(self, lr):
        """The truth curve interpolated (in log lr) at ``lr``: the loss a constant rate lr reaches."""
        lrs, losses = self.truth
        logl = np.log(np.where(np.isfinite(losses), losses, np.nanmax(losses[np.isfinite(losses)]) * 10))
        return float(np.exp(np.interp(np.log(lr), np.log(lrs), logl)))

    def update(self, beta, stop_factor):
        from matplotlib.colors import to_hex

        self.current = r = self.result.suggest(beta=beta, stop_factor=stop_factor)
        self.smooth_line.set_data(r.lrs, _finite(r.smoothed))
        if r.stopped_at >= 0:
            lo, hi = self.ax.get_ylim()
            self.stop_mark.set_data([r.lrs[-1]], [min(r.smoothed[-1], hi) if np.isfinite(r.smoothed[-1]) else hi])
        else:
            self.stop_mark.set_data([], [])
        parts = []
        for name, line in self.vlines.items():
            lr = r.suggestions[name]
            line.set_xdata([lr, lr] if np.isfinite(lr) else [np.nan, np.nan])
            text = f"{name} {lr:.2g}" if np.isfinite(lr) else f"{name}: too few points"
            if self.truth is not None and np.isfinite(lr):
                loss = self.truth_at(lr)
                self.marks[name].set_data([lr], [loss])
                text += f" (→ loss {loss:.3g})"
            elif self.truth is not None:
                self.marks[name].set_data([], [])
            parts.append(f"<span style='color:{to_hex(SUGGESTION_COLORS[name])}'>{text}</span>")
        stop = f"stopped at lr = {r.lrs[-1]:.2g}" if r.stopped_at >= 0 else "never stopped"
        self.status.value = f"β = {beta:.2f}: {stop}; suggestions: " + ", ".join(parts)
        return False


# ============================================================================ Bayesian optimisation
class BayesOptApp(SliderApp):
    """A finished :func:`lrcourse.search.bayes_opt` run replayed step by step.

    The slider k chooses how many Bayesian steps have been taken: the top panel shows the
    points evaluated so far, the GP posterior mean and its +-2 std band fitted to them, and
    (if ``truth`` = (lrs, values) is given) the true curve; the bottom panel shows the expected
    improvement whose maximum (a star) is the next rate to try.
    """

    def __init__(self, result, truth=None):
        import ipywidgets as w

        if not isinstance(result, BayesResult):
            raise TypeError(f"result must be a BayesResult from lrcourse.search.bayes_opt, got {type(result).__name__}")
        if result.means.shape[0] == 0:
            raise ValueError("result must hold at least one Bayesian step (n_iter >= 1)")
        self.result = result
        self.truth = None if truth is None else _curve_pair("truth", truth)
        n = result.means.shape[0]
        self.controls = {"k": w.IntSlider(value=0, min=0, max=n - 1, description="Bayesian step k", **_look())}
        self._build()
        self._start()

    def _build(self):
        r = self.result
        self.fig, (self.ax, self.ax_ei) = new_figure(2, 1, figsize=(8, 4.5), sharex=True,
                                                    gridspec_kw={"height_ratios": [2.2, 1]})
        x = 10.0**r.grid
        finite = r.values[np.isfinite(r.values)]
        band = np.concatenate([finite, (r.means - 2 * r.stds).ravel(), (r.means + 2 * r.stds).ravel()])
        lo, hi = np.percentile(band, 1), np.percentile(band, 99)
        pad = 0.1 * (hi - lo)
        ax = self.ax
        ax.set_xscale("log")
        ax.set_xlim(x[0], x[-1])
        ax.set_ylim(lo - pad, hi + pad)
        ax.set_ylabel("objective")
        ax.set_title("GP posterior over log10(lr), fitted to the points so far", fontsize=10)
        if self.truth is not None:
            ax.plot(self.truth[0], _finite(self.truth[1]), color="0.7", lw=1, label="truth (dense sweep)")
        self.ax_ei.set_xscale("log")
        self.ax_ei.set_ylim(0, 1.1)
        self.ax_ei.set_xlabel("learning rate")
        self.ax_ei.set_ylabel("EI / its max")
        self.blit = BlitManager(self.fig.canvas)
        (self.mean_line,) = ax.plot([], [], color="C0", lw=1.5, label="GP mean")
        (self.upper,) = ax.plot([], [], color="C0", lw=0.8, ls=":", label="mean ± 2 std")
        (self.lower,) = ax.plot([], [], color="C0", lw=0.8, ls=":")
        (self.points,) = ax.plot([], [], "o", color="k", ms=4, label="evaluated")
        (self.next_point,) = ax.plot([], [], "*", color="C3", ms=12, label="next")
        (self.ei_line,) = self.ax_ei.plot([], [], color="C3", lw=1.2)
        (self.ei_star,) = self.ax_ei.plot([], [], "*", color="C3", ms=12)
        for a in (self.mean_line, self.upper, self.lower, self.points, self.next_point, self.ei_line, self.ei_star):
            self.blit.add(a)
        ax.legend(loc="upper left", fontsize=7)

    def update(self, k):
        r = self.result
        n_seen = r.n_init + k
        x = 10.0**r.grid
        lo, hi = self.ax.get_ylim()
        mean, std, ei = r.means[k], r.stds[k], r.eis[k]
        self.mean_line.set_data(x, mean)
        self.upper.set_data(x, mean + 2 * std)
        self.lower.set_data(x, mean - 2 * std)
        seen = r.values[:n_seen]
        self.points.set_data(r.lrs[:n_seen], np.clip(np.where(np.isfinite(seen), seen, hi), lo, hi))
        nxt = r.lrs[n_seen]
        self.next_point.set_data([nxt], [np.clip(r.values[n_seen], lo, hi) if np.isfinite(r.values[n_seen]) else hi])
        scale = ei.max() if ei.max() > 0 else 1.0
        self.ei_line.set_data(x, ei / scale)
        self.ei_star.set_data([nxt], [ei.max() / scale])
        best = int(np.argmin(seen))
        self.status.value = (f"after {n_seen} evaluations: best lr {r.lrs[best]:.3g} (objective {seen[best]:.4g}); "
                             f"length scale {r.length_scales[k]:.2g} decades; EI is largest at lr = {nxt:.3g}, "
                             f"which gives {r.values[n_seen]:.4g}")
        return False


# ============================================================================ reading loss curves
#: The five kinds of loss curve, with what each means and what to do about it.
LABELS = {
    "too high": "The loss climbs, after a first drop or from the start, or blows up: the steps overshoot. "
                "Lower the rate, by 3-10x.",
    "too low": "The loss falls smoothly but slowly, almost a straight line: every step is safe and tiny. "
               "Raise the rate (try 3-10x).",
    "good": "A fast drop, then a slower tail: the rate is in the right range. Keep it (and decay it later).",
    "plateau": "Flat for a long stretch, then a drop: the start sits near a saddle point (here: tiny initial "
               "weights). Not a rate problem alone: wait, change the initialisation, or use momentum or Adam.",
    "noisy": "Falling on average, but with large step-to-step jumps: few examples per step at a sizeable rate. "
             "Lower the rate, enlarge the batch (lesson 3) or decay the rate; judge the trend, not one step.",
}


@dataclass
class Curve:
    """One loss curve of the gallery: ``label`` (a key of :data:`LABELS`), ``loss`` (steps+1,),
    and ``setting``, a short description of the run that made it."""

    label: str
    loss: np.ndarray
    setting: str


def loss_curve_gallery():
    """Ten loss curves from real runs at controlled rates, two of each kind of :data:`LABELS`.

    All on 600 handwritten digits (standardised pixels), deterministic (fixed seeds), 200 steps
    each and all starting at a loss of about ln 10 = 2.30, so that neither the length nor the
    start gives a curve's kind away in the quiz:

    * a ReLU network 64-16-10 whose output weights start 100 times smaller (so its first
      predictions are nearly uniform), SGD with momentum 0.9, batches of 32, at rates 0.001 and
      0.003 (too low), 0.03 and 0.06 (good), 0.3 and 1 (too high): one run;
    * softmax regression with batches of 1, plain SGD, at rates 0.1 and 0.2 (noisy): one run;
    * a tanh network 64-16-10 whose initial weights are scaled down 1000 times, full batch,
      plain SGD, at rates 0.15 and 0.3 (plateau): one run.

    Returns a list of :class:`Curve`, in that order.
    """
    ds = data.load_digits()
    X, y = data.standardize(ds.X[:600]), ds.y[:600]
    curves = []
    net = models.MLP(X, y, hidden=(16,), activation="relu", batch_size=32, seed=0)
    rates = np.array([0.001, 0.003, 0.03, 0.06, 0.3, 1.0])
    x0 = {key: (0.01 * a if key == "W2" else a) for key, a in net.x0.items()}   # start near ln 10
    h = run(net, optimizers.sgd(rates, momentum=0.9), 200, x0=x0, keep_params=False, progress=False, seed=0)
    for k, label in enumerate(["too low", "too low", "good", "good", "too high", "too high"]):
        curves.append(Curve(label, h.loss[:, k].copy(),
                            f"ReLU network on digits, output weights / 100, SGD momentum 0.9, batch 32, lr = {rates[k]:g}"))
    single = models.LogisticRegression(X, y, batch_size=1)
    rates = np.array([0.1, 0.2])
    h = run(single, optimizers.sgd(rates), 200, keep_params=False, progress=False, seed=1)
    for k in range(2):
        curves.append(Curve("noisy", h.loss[:, k].copy(), f"softmax regression on digits, SGD, batch 1, lr = {rates[k]:g}"))
    tanh_net = models.MLP(X, y, hidden=(16,), activation="tanh", batch_size=600, seed=0)
    x0 = {key: 1e-3 * a for key, a in tanh_net.x0.items()}
    rates = np.array([0.15, 0.3])
    h = run(tanh_net, optimizers.sgd(rates), 200, x0=x0, keep_params=False, progress=False)
    for k in range(2):
        curves.append(Curve("plateau", h.loss[:, k].copy(),
                            f"tanh network on digits, initial weights / 1000, full batch, SGD, lr = {rates[k]:g}"))
    return curves


def show_curve(ax, loss, top, **style):
    """Plot a loss curve on a linear axis from 0 to ``top``; values above (or diverged) are drawn
    at the top edge. Returns the Line2D."""
    if not callable(getattr(ax, "plot", None)):
        raise TypeError(f"ax must be a matplotlib Axes, got {type(ax).__name__}")
    y = v.array("loss", loss, ndim=1, finite=False)
    top = v.number("top", top, 0, low_open=True)
    (line,) = ax.plot(np.arange(y.size), np.where(np.isfinite(y), np.minimum(y, top), top), **style)
    return line


class LossCurveQuiz(SliderApp):
    """A quiz: one loss curve at a time; pick what it shows and get feedback at once.

    ``curves`` : a list of :class:`Curve` (default :func:`loss_curve_gallery`), shown in an
    order shuffled by ``seed``. Buttons: the five answers, and "next curve". The score counts
    first answers only.
    """

    def __init__(self, curves=None, seed=0):
        import ipywidgets as w

        if curves is not None and not isinstance(curves, (list, tuple)):
            raise TypeError(f"curves must be a list of Curve (e.g. loss_curve_gallery()), got {type(curves).__name__}")
        self.curves = list(loss_curve_gallery() if curves is None else curves)
        if not self.curves or not all(isinstance(c, Curve) and c.label in LABELS for c in self.curves):
            raise ValueError(f"curves must be a non-empty list of Curve with labels in {list(LABELS)}")
        seed = v.integer("seed", seed, 0)
        self.order = np.random.default_rng(seed).permutation(len(self.curves))
        self.position = 0
        self.answered = {}          # position -> first answer
        self.controls = {"answer": w.ToggleButtons(options=list(LABELS), value=None, description="This rate is:",
                                                   style={"button_width": "90px"})}
        self.next_button = w.Button(description="next curve ▶")
        self.next_button.on_click(lambda _: self.next())
        self._build()
        self._start()

    @property
    def curve(self):
        return self.curves[self.order[self.position]]

    @property
    def score(self):
        """(right, answered): first answers that were right, out of the curves answered."""
        right = sum(self.curves[self.order[p]].label == a for p, a in self.answered.items())
        return right, len(self.answered)

    def widget(self):
        import ipywidgets as w

        return w.VBox([self.controls["answer"], self.next_button, self.status])

    def _build(self):
        self.fig, self.ax = new_figure(1, 1, figsize=(6, 3.0))
        longest = max(c.loss.size for c in self.curves)
        self.top = 1.3 * max(float(c.loss[0]) for c in self.curves)
        self.ax.set_xlim(0, longest - 1)
        self.ax.set_ylim(0, self.top * 1.02)
        self.ax.set_xlabel("step")
        self.ax.set_ylabel("training loss")
        self.blit = BlitManager(self.fig.canvas)
        (self.line,) = self.ax.plot([], [], color="C0", lw=1.3)
        self.blit.add(self.line)

    def next(self):
        """Show the next curve (wrapping around) and clear the answer."""
        self.position = (self.position + 1) % len(self.curves)
        if self.controls["answer"].value is None:
            self.refresh()
        else:
            self.controls["answer"].value = None      # triggers refresh

    def update(self, answer):
        c = self.curve
        self.line.set_data(np.arange(c.loss.size), np.where(np.isfinite(c.loss), np.minimum(c.loss, self.top), self.top))
        right, total = self.score
        head = f"curve {self.position + 1} of {len(self.curves)}"
        if answer is None:
            self.status.value = f"{head}: what does this curve say about the learning rate? (score {right}/{total})"
            return False
        self.answered.setdefault(self.position, answer)
        right, total = self.score
        if answer == c.label:
            verdict = f"<b style='color:green'>Right: {c.label}.</b> {LABELS[c.label]}"
        else:
            verdict = (f"<b style='color:#d62728'>Not quite: this one is {c.label}.</b> {LABELS[c.label]} "
                       f"(<i>{answer}</i> would look like this: {LABELS[answer]})")
        self.status.value = f"{head} ({c.setting}). {verdict} Score {right}/{total}."
        return False
