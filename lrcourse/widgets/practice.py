"""Lesson 8's tools and app: training a small network on real data.

* :class:`Monitored` wraps a model so that :func:`lrcourse.run` also records validation
  metrics (every ``every`` steps, for all K settings at once) without keeping every step's
  parameters.
* :func:`new_head`: start parameters for fine-tuning, the pretrained layers with a fresh last
  layer.
* :class:`LRSweepApp`: training and validation curves of a whole learning-rate sweep,
  computed once (one vectorised run per optimizer); the slider picks the rate.
"""
from __future__ import annotations

import numpy as np

from .. import _validate as v
from .. import optimizers as _optimizers
from ..plots import DIVERGED_COLOR, divergence_points, mark_divergence
from ..training import run
from . import BlitManager, SliderApp, grid_slider, nearest, new_figure

__all__ = ["Monitored", "new_head", "sweep", "LRSweepApp"]


class Monitored:
    """A problem that records metrics of its parameters while :func:`lrcourse.run` trains it.

    ``run`` calls ``loss(x)`` once at the start and once after every step; every ``every``-th
    call (steps 0, every, 2 every, ...) also evaluates each metric ``f(x)`` (e.g. the
    validation loss ``val_model.loss``) and stores it. Gradients and the loss are those of
    the wrapped ``problem``.

    problem : the model to train; every : int >= 1; metrics : name -> function of the
    parameters returning a number or a (K,) array.
    """

    def __init__(self, problem, every=10, **metrics):
        for attr in ("loss", "grad", "x0"):
            if not hasattr(problem, attr):
                raise TypeError(f"problem must have loss, grad and x0, got {type(problem).__name__}")
        for name, f in metrics.items():
            if not callable(f):
                raise TypeError(f"metric {name!r} must be a function of the parameters, got {type(f).__name__}")
        self.problem = problem
        self.every = v.integer("every", every, 1)
        self.metrics = metrics
        self.x0 = problem.x0
        if hasattr(problem, "stochastic_grad"):
            self.stochastic_grad = problem.stochastic_grad
        self.reset()

    def reset(self):
        """Forget what was recorded (before reusing the wrapper for another run)."""
        self.calls = 0
        self._steps = []
        self._values = {name: [] for name in self.metrics}

    def grad(self, x):
        return self.problem.grad(x)

    def loss(self, x):
        if self.calls % self.every == 0:
            self._steps.append(self.calls)
            with np.errstate(all="ignore"):
                for name, f in self.metrics.items():
                    self._values[name].append(np.asarray(f(x), dtype=float))
        self.calls += 1
        return self.problem.loss(x)

    @property
    def steps(self):
        """The steps at which the metrics were recorded, shape (n,)."""
        return np.array(self._steps)

    @property
    def values(self):
        """name -> array of shape (n, [K]): each metric at :attr:`steps`."""
        return {name: np.array(vals) for name, vals in self._values.items()}


def new_head(pretrained, model, seed=0, n_settings=None):
    """Parameters to fine-tune ``model``: every layer copied from ``pretrained`` except the last
    (``W{L}``, ``b{L}``), which is freshly initialised by ``model.init_params(seed)``.

    ``pretrained`` is a dict of one network's parameters whose hidden layers have the shapes
    of ``model``'s; with ``n_settings`` = K each array gets a leading K axis (the pretrained
    layers repeated, K different fresh heads).
    """
    last = model.n_layers
    fresh = model.init_params(seed, n_settings=n_settings)
    out = {}
    for key, shape in model.shapes.items():
        if key in (f"W{last}", f"b{last}"):
            out[key] = fresh[key]
            continue
        a = np.asarray(pretrained[key], dtype=float)
        if a.shape != shape:
            raise ValueError(f"pretrained[{key!r}] must have shape {shape} to fit the model, got {a.shape}")
        out[key] = a.copy() if n_settings is None else np.broadcast_to(a, (n_settings,) + shape).copy()
    return out


def sweep(model, val_model, optimizer, lrs, steps, every=10, seed=0):
    """Train one network per learning rate in ``lrs`` (one vectorised run) and monitor it.

    ``optimizer`` is a function of the rate (e.g. ``optimizers.adam``). Returns a dict with
    ``lrs``, ``history`` (the :class:`~lrcourse.training.History`), ``steps`` (the monitored
    steps) and the monitored curves ``train_acc``, ``val_loss``, ``val_acc`` of shape
    (n, K): the validation metrics on ``val_model``'s data, accuracy also on the training data.
    """
    lrs = v.hyper("lrs", lrs, 0, low_open=True)
    lrs = np.atleast_1d(lrs)
    mon = Monitored(model, every, train_acc=model.accuracy, val_loss=val_model.loss, val_acc=val_model.accuracy)
    h = run(mon, optimizer(lr=lrs), steps, seed=seed)
    return {"lrs": lrs, "history": h, "steps": mon.steps, **mon.values}


class LRSweepApp(SliderApp):
    """Training vs validation curves of a learning-rate sweep, for two optimizers.

    For each optimizer in ``optimizers`` (name -> function of the rate) one vectorised run
    trains a network per rate of ``lrs`` for ``steps`` steps (see :func:`sweep`). ``lrs`` must
    be evenly spaced on a log scale (``np.geomspace``): the slider has one position per
    trained rate, so every move shows another run. The buttons pick the optimizer.

    Left: training loss (every step) and validation loss (every ``every`` steps) of the chosen
    run; a red cross where it diverged. Right: final training and validation accuracy
    against the rate, the chosen rate marked; a diverged run has no accuracy worth showing
    (its parameters are whatever they were when it blew up): a red cross at the bottom instead.
    """

    def __init__(self, model, val_model, lrs=None, steps=300, optimizers=None, every=10, lr=None, seed=0):
        import functools

        import ipywidgets as w

        self.lrs = np.geomspace(1e-4, 1.0, 13) if lrs is None else np.atleast_1d(v.hyper("lrs", lrs, 0, low_open=True))
        self.steps = v.integer("steps", steps, 1, 100_000)
        start = float(np.sqrt(self.lrs.min() * self.lrs.max())) if lr is None else lr
        slider = grid_slider("learning rate", start, self.lrs, name="lrs")  # checked before training
        if optimizers is None:
            optimizers = {"SGD + momentum 0.9": functools.partial(_optimizers.sgd, momentum=0.9),
                          "Adam": _optimizers.adam}
        self.results = {name: sweep(model, val_model, opt, self.lrs, self.steps, every, seed)
                        for name, opt in optimizers.items()}
        self.controls = {"lr": slider,
                         "optimizer": w.ToggleButtons(options=list(self.results), description="optimizer")}
        self._build()
        self._start()

    def _build(self):
        self.fig, (self.ax_l, self.ax_a) = new_figure(1, 2, figsize=(8.25, 3.2))
        ax = self.ax_l
        ax.set_yscale("log")
        ax.set_xlim(0, self.steps)
        ax.set_ylim(1e-4, 1e2)
        ax.set_xlabel("step")
        ax.set_ylabel("loss")
        ax.set_title("loss: training (every step) and validation", fontsize=10)
        ax = self.ax_a
        ax.set_xscale("log")
        ax.set_xlim(self.lrs.min() / 1.5, self.lrs.max() * 1.5)
        ax.set_ylim(0, 1.02)
        ax.set_xlabel("learning rate")
        ax.set_ylabel("accuracy")
        ax.set_title(f"accuracy after {self.steps} steps", fontsize=10)
        self.blit = BlitManager(self.fig.canvas)
        (self.train_line,) = self.ax_l.plot([], [], color="C0", lw=1, label="training")
        (self.val_line,) = self.ax_l.plot([], [], "o-", color="C1", lw=1.5, ms=3, label="validation")
        self.cross = mark_divergence(self.ax_l, -1)
        (self.train_acc,) = self.ax_a.plot(self.lrs, np.full(self.lrs.size, np.nan), "o-", color="C0", ms=3,
                                           label="training")
        (self.val_acc,) = self.ax_a.plot(self.lrs, np.full(self.lrs.size, np.nan), "o-", color="C1", ms=3,
                                         label="validation")
        (self.marker,) = self.ax_a.plot([], [], "|", color="k", ms=200, mew=1)
        (self.dead,) = self.ax_a.plot([], [], "x", color=DIVERGED_COLOR, ms=7, mew=2, label="diverged")
        self.ax_l.legend(fontsize=7, loc="lower left")
        self.ax_a.legend(fontsize=7, loc="lower left")
        for artist in (self.train_line, self.val_line, self.cross, self.train_acc, self.val_acc, self.marker,
                       self.dead):
            self.blit.add(artist)

    def update(self, lr, optimizer):
        r = self.results[optimizer]
        k = nearest(self.lrs, lr, log=True)
        self.lr, self.optimizer, self.k = float(self.lrs[k]), optimizer, k
        h = r["history"]
        lo, hi = self.ax_l.get_ylim()
        train = h.loss[:, k]
        self.train_line.set_data(np.arange(train.size), np.where(np.isfinite(train), np.clip(train, lo, hi), np.nan))
        val = r["val_loss"][:, k]
        self.val_line.set_data(r["steps"], np.where(np.isfinite(val), np.clip(val, lo, hi), np.nan))
        self.cross.set_data(*divergence_points(self.ax_l, h.diverged_at[k]))
        dead = h.diverged_at >= 0
        self.train_acc.set_ydata(np.where(dead, np.nan, r["train_acc"][-1]))
        self.val_acc.set_ydata(np.where(dead, np.nan, r["val_acc"][-1]))
        self.dead.set_data(self.lrs[dead], np.full(dead.sum(), 0.03))
        self.marker.set_data([self.lr], [0.5])
        diverged = h.diverged_at[k] >= 0
        color = DIVERGED_COLOR if diverged else "black"
        if diverged:
            where = f"diverged at step {h.diverged_at[k]}; no meaningful accuracy"
        else:
            where = (f"final training loss {train[-1]:.3g}; accuracy training {r['train_acc'][-1, k]:.3f}, "
                     f"validation {r['val_acc'][-1, k]:.3f}")
        self.status.value = f"<span style='color:{color}'>{optimizer}, lr = {self.lr:.3g}: {where}</span>"
        return False
