"""Lesson 12's apps: what a self-tuning method still asks of you, and cool-downs without a horizon.

:class:`GuessApp` runs each method over a whole grid of the one number it needs from you (the rate
for SGD, Adam and schedule-free AdamW; DoG's first movement ``reps_rel``; Prodigy's first distance
``d0``), once, vectorised over the grid. The slider picks your guess. Left: the loss after the run
against the guess, every method on one axis (a flat curve: the guess hardly matters). Right: the
loss curves at the chosen guess, with the best tuned SGD (constant or cosine) as the reference line.

:class:`CooldownApp` shows warmup-stable-decay in the noisy quadratic model, computed exactly
(:func:`lrcourse.nqm.scheduled_loss`): one constant-rate run, and a cool-down branched off it to end
at any step. Sliders: where the run ends, the cool-down's share of it, its shape. The dots are
cosine schedules, each tuned for its own horizon: the cost of not knowing the horizon is the gap.
"""
from __future__ import annotations

import numpy as np

from .. import _validate as v
from .. import nqm
from .. import optimizers as O
from .. import schedules as S
from .. import selftuning as ST
from ..training import run
from . import BlitManager, SliderApp, grid_slider, log_visible, nearest, new_figure

__all__ = ["GuessApp", "CooldownApp", "GUESS_METHODS", "guess_losses", "breast_cancer_problem", "trace"]

#: name -> (what the guess is, the optimizer for a (K,) array of guesses)
GUESS_METHODS = {
    "SGD, momentum 0.9": ("lr", lambda g: O.sgd(g, momentum=0.9)),
    "Adam": ("lr", lambda g: O.adam(g)),
    "schedule-free AdamW": ("lr", lambda g: ST.adamw_schedulefree(lr=g)),
    "DoG": ("reps_rel", lambda g: ST.dog(reps_rel=g)),
    "Prodigy": ("d0", lambda g: ST.prodigy(d0=g)),
}


def breast_cancer_problem(batch_size=None):
    """Logistic regression on the standardised breast-cancer data (569 x 30), from 0; full batch,
    or mini-batches of ``batch_size`` for the updates (the loss is always the full one)."""
    from .. import data, models

    d = data.load_breast_cancer()
    X = (d.X - d.X.mean(axis=0)) / d.X.std(axis=0)
    return models.LogisticRegression(X, d.y, batch_size=batch_size)


def trace(problem, opt, steps, record=None, *, seed=0):
    """Run ``opt`` (one setting, or K) on ``problem`` for ``steps`` steps, giving the methods that
    need it the loss (``sps``, ``polyak``) and a closure (``armijo``), and scoring schedule-free
    methods at their evaluation point x. A problem with ``stochastic_grad`` is trained on its
    mini-batch gradients (seeded by ``seed``; not for the methods that need the mini-batch loss).
    Returns the (full) losses at steps 0..steps, shape (steps + 1,) or (steps + 1, K), and, with
    ``record`` (a key of the state, e.g. ``"step_size"``, ``"eta"``, ``"lr"``, ``"d"``), its value
    after each step. A diverged run's losses are inf from its divergence on."""
    steps = v.integer("steps", steps, 1, 100_000)
    if not (callable(getattr(problem, "loss", None)) and callable(getattr(problem, "grad", None))
            and hasattr(problem, "x0")):
        raise TypeError(f"problem must have loss(x), grad(x) and x0 (e.g. lrcourse.problems.parabola()), "
                        f"got {type(problem).__name__}")
    if not (hasattr(opt, "init") and hasattr(opt, "step") and hasattr(opt, "name")):
        raise TypeError(f"opt must be an lrcourse optimizer, got {type(opt).__name__}")
    stochastic = hasattr(problem, "stochastic_grad")
    if isinstance(opt, ST.SPS) and stochastic:
        raise ValueError(f"opt {opt.name} needs the mini-batch loss, which problem does not give: "
                         f"use a deterministic problem")
    x = np.array(problem.x0, dtype=float)
    if getattr(opt, "n_settings", None) is not None:
        x = np.broadcast_to(x, (opt.n_settings,) + x.shape).copy()
    state = opt.init(x)
    if record is not None and (not isinstance(record, str) or record not in state):
        raise ValueError(f"record must be one of the state's keys {sorted(state)}, got {record!r}")
    rng = np.random.default_rng(v.integer("seed", seed, 0))
    gradient = (lambda p: problem.stochastic_grad(p, rng)) if stochastic else problem.grad
    losses, values = [problem.loss(x)], []
    with np.errstate(all="ignore"):
        for _ in range(steps):
            x, state = ST._step_with(opt, x, state, problem.loss, gradient)
            losses.append(problem.loss(ST._evaluation_point(opt, x, state)))
            if record is not None:
                values.append(np.copy(state[record]))
    losses = np.array(losses)
    bad = np.maximum.accumulate(~np.isfinite(losses) | (losses > 1e6 * np.abs(losses[0])), axis=0)
    losses = np.where(bad, np.inf, losses)
    return (losses, np.array(values)) if record is not None else losses


def guess_losses(problem, steps, guesses, methods=None):
    """name -> (steps + 1, K) losses of each method for each of the K ``guesses`` (inf once diverged)."""
    steps = v.integer("steps", steps, 1, 100_000)
    guesses = v.array("guesses", guesses, ndim=1, nonempty=True, low=0, low_open=True)
    methods = _methods(methods)
    out = {}
    for name, (_, make) in methods.items():
        opt = make(guesses)
        if hasattr(opt, "eval_params"):
            out[name] = trace(problem, opt, steps)
        else:
            out[name] = run(problem, opt, steps, progress=False, keep_params=False).loss
    return out


def _methods(methods):
    """``methods`` checked: None (all of GUESS_METHODS) or a non-empty dict like it."""
    if methods is None:
        return dict(GUESS_METHODS)
    if not isinstance(methods, dict):
        raise TypeError(f"methods must be a dict name -> (what, make) like GUESS_METHODS, got {type(methods).__name__}")
    if not methods:
        raise ValueError("methods must not be empty")
    for name, entry in methods.items():
        if not (isinstance(entry, tuple) and len(entry) == 2 and callable(entry[1])):
            raise TypeError(f"methods[{name!r}] must be a pair (what, make) with make(guesses) -> optimizer, "
                            f"got {entry!r}")
    return dict(methods)


def _on_grid(name, value, grid):
    """A slider's start ``value``, checked to lie on the span of ``grid`` (named as the caller's argument)."""
    return v.number(name, value, grid[0] * (1 - 1e-9), grid[-1] * (1 + 1e-9))


class GuessApp(SliderApp):
    """The loss after ``steps`` steps against the one number each method needs (``guesses``, a
    geometric grid), with the curves at the slider's guess; ``tuned`` is the reference: the best
    SGD-momentum run over the same grid of rates, constant or cosine (``tuned_name``)."""

    def __init__(self, problem=None, steps=200, guesses=None, guess=1e-3, methods=None):
        self.problem = breast_cancer_problem() if problem is None else problem
        self.steps = v.integer("steps", steps, 1, 100_000)
        self.guesses = np.geomspace(1e-6, 1e2, 33) if guesses is None else v.array(
            "guesses", guesses, ndim=1, nonempty=True, low=0, low_open=True)
        self.methods = _methods(methods)
        guess = _on_grid("guess", guess, self.guesses)
        slider = grid_slider("your guess", guess, self.guesses, name="guesses", readout_format=".0e")
        self.losses = guess_losses(self.problem, self.steps, self.guesses, self.methods)
        shape = S.cosine(1.0, self.steps)  # the cosine's shape, times each rate of the grid
        tuned = {"constant": run(self.problem, O.sgd(self.guesses, momentum=0.9), self.steps, progress=False,
                                 keep_params=False).loss,
                 "cosine": run(self.problem, O.sgd(lambda k: self.guesses * shape(k), momentum=0.9), self.steps,
                               progress=False, keep_params=False).loss}
        best = {name: int(np.argmin(np.where(np.isfinite(loss[-1]), loss[-1], np.inf))) for name, loss in tuned.items()}
        self.tuned_name = min(best, key=lambda name: tuned[name][-1, best[name]])
        self.tuned_lr = float(self.guesses[best[self.tuned_name]])
        self.tuned = tuned[self.tuned_name][:, best[self.tuned_name]]
        self.final = {name: loss[-1] for name, loss in self.losses.items()}
        self.controls = {"guess": slider}
        self._build()
        self._start()

    def _build(self):
        self.fig, (self.ax_f, self.ax_c) = new_figure(1, 2, figsize=(8.25, 3.4))
        start = float(self.tuned[0])
        low = 0.5 * float(self.tuned[-1])
        for ax in (self.ax_f, self.ax_c):
            ax.set_yscale("log")
            ax.set_ylim(low, 2 * start)
            ax.axhline(self.tuned[-1], color="0.4", ls="--", lw=1)
        ax = self.ax_f
        ax.set_xscale("log")
        ax.set_xlim(self.guesses[0], self.guesses[-1])
        ax.set_xlabel("your guess (lr, reps_rel or d0)")
        ax.set_title(f"loss after {self.steps} steps (dashed: tuned SGD)", fontsize=10)
        ax = self.ax_c
        ax.set_xlim(0, self.steps)
        ax.set_xlabel("step")
        ax.set_title("the runs at your guess", fontsize=10)
        self.blit = BlitManager(self.fig.canvas)
        self.curves = {}
        for i, name in enumerate(self.methods):
            self.ax_f.plot(self.guesses, np.clip(log_visible(self.final[name]), None, 1.9 * start), "o-", ms=2.5,
                           lw=1.2, color=f"C{i}", label=name)
            (self.curves[name],) = self.ax_c.plot([], [], color=f"C{i}", lw=1.4)
            self.blit.add(self.curves[name])
        self.marker = self.ax_f.axvline(self.guesses[0], color="k", lw=1)
        self.marker.set_animated(True)
        self.blit.add(self.marker)
        self.ax_f.legend(fontsize=7, loc="upper left")

    def update(self, guess):
        k = nearest(self.guesses, guess, log=True)
        self.k, self.guess = k, float(self.guesses[k])
        self.marker.set_xdata([self.guess, self.guess])
        t = np.arange(self.steps + 1)
        parts = []
        for name, loss in self.losses.items():
            self.curves[name].set_data(t, log_visible(loss[:, k]))
            parts.append(f"{name} {loss[-1, k]:.3g}" if np.isfinite(loss[-1, k]) else f"{name} diverged")
        self.status.value = f"guess {self.guess:.0e}: " + ", ".join(parts) + f"; tuned SGD ({self.tuned_name}) {self.tuned[-1]:.3g}"
        return False


class CooldownApp(SliderApp):
    """Warmup-stable-decay in the noisy quadratic ``model`` (default Zhang et al.'s, batch 8): a
    constant rate (slider ``lr``, 0.1 to 1.6) and a cool-down to 0 branched off to end at step
    ``end`` (default: the last but one of ``ends``), against cosine schedules tuned (over ``lrs``) for each horizon of ``ends``."""

    def __init__(self, model=None, batch_size=8, lr=0.283, ends=None, lrs=None, end=None, fraction=0.2,
                 shape="1-sqrt"):
        import ipywidgets as w

        self.model = nqm.NoisyQuadratic.zhang(100) if model is None else model
        if not isinstance(self.model, nqm.NoisyQuadratic):
            raise TypeError(f"model must be a NoisyQuadratic, got {type(self.model).__name__}")
        self.B = v.number("batch_size", batch_size, 1)
        self.peaks = np.geomspace(0.1, 1.6, 9)
        self.ends = np.geomspace(100, 1600, 5) if ends is None else v.array("ends", ends, ndim=1, nonempty=True,
                                                                            low=10)
        self.ends = np.round(self.ends).astype(int)
        self.lrs = np.geomspace(0.05, 2, 17) if lrs is None else v.array("lrs", lrs, ndim=1, nonempty=True, low=0,
                                                                          low_open=True)
        self.T = int(self.ends[-1])
        end = self.ends[-2 if self.ends.size > 1 else -1] if end is None else _on_grid("end", end, self.ends)
        lr = _on_grid("lr", lr, self.peaks)
        fraction = v.number("fraction", fraction, 0.05, 0.5)
        shape = v.choice("shape", shape, S.wsd.shapes)
        self.constants = np.stack([self._loss(np.full(self.T, lr)) for lr in self.peaks])
        self.cosine = np.array([min(self._loss(S.cosine(lr, T)(np.arange(T)))[-1] for lr in self.lrs)
                                for T in self.ends])
        self.controls = {
            "end": grid_slider("run ends at step", end, self.ends, name="ends", readout_format=".0f"),
            "lr": grid_slider("constant rate", lr, self.peaks, name="lr"),
            "fraction": w.FloatSlider(value=fraction, min=0.05, max=0.5,
                                      step=0.05, description="cool-down share", readout_format=".2f",
                                      continuous_update=True, style={"description_width": "initial"}),
            "shape": w.ToggleButtons(options=list(S.wsd.shapes), value=shape, description="shape"),
        }
        self._build()
        self._start()

    def _loss(self, lrs):
        return nqm.scheduled_loss(self.model, lrs, np.full(len(lrs), self.B))

    def _build(self):
        self.fig, (self.ax_r, self.ax_l) = new_figure(1, 2, figsize=(8.25, 3.3))
        t = np.arange(self.T + 1)
        ax = self.ax_r
        ax.set_xlim(0, self.T)
        ax.set_ylim(0, 1.05 * self.peaks[-1])
        ax.set_xlabel("step")
        ax.set_title("learning rate", fontsize=10)
        ax = self.ax_l
        ax.set_xscale("log")
        ax.set_yscale("log")
        first = min(50, self.T // 2)  # the loss axis starts here (T >= 10)
        ax.set_xlim(first, self.T)
        ax.set_ylim(0.5 * self.cosine.min(), 2 * self.constants[:, first].max())
        ax.set_xlabel("step")
        ax.set_title("expected loss", fontsize=10)
        ax.plot(self.ends, self.cosine, "s", color="C1", ms=4, label="cosine, tuned per horizon")
        self.blit = BlitManager(self.fig.canvas)
        (self.rate,) = self.ax_r.plot([], [], color="C0", lw=1.5)
        (self.constant,) = ax.plot([], [], color="0.6", lw=1, label="constant rate")
        (self.branch,) = ax.plot([], [], color="C0", lw=1.5, label="cool-down branch")
        (self.dot,) = ax.plot([], [], "o", color="C0", ms=5)
        for artist in (self.rate, self.constant, self.branch, self.dot):
            self.blit.add(artist)
        ax.legend(fontsize=7, loc="lower left")

    def schedule(self, lr, end, fraction, shape):
        """The rates of the WSD run that ends at ``end`` (no warmup: the model needs none)."""
        return S.wsd(lr, end, 0, max(1, int(round(fraction * end))), shape=shape)(np.arange(end))

    def update(self, end, lr, fraction, shape):
        k, j = nearest(self.ends, end, log=True), nearest(self.peaks, lr, log=True)
        T, self.lr = int(self.ends[k]), float(self.peaks[j])
        lrs = self.schedule(self.lr, T, fraction, shape)
        self.constant.set_data(np.arange(1, self.T + 1), self.constants[j, 1:])
        loss = self._loss(lrs)
        D = T - max(1, int(round(fraction * T)))
        self.rate.set_data(np.arange(T + 1), np.append(lrs, 0.0))
        self.branch.set_data(np.arange(D, T + 1), loss[D:])
        self.dot.set_data([T], [loss[-1]])
        self.end_loss, self.cosine_loss = float(loss[-1]), float(self.cosine[k])
        self.status.value = (f"ends at {T}: WSD {self.end_loss:.4f}, cosine tuned for {T} steps "
                             f"{self.cosine_loss:.4f} (ratio {self.end_loss / self.cosine_loss:.2f}); "
                             f"constant alone {self.constants[j, T]:.4f}")
        return False
