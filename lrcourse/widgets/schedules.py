"""Lesson 4: the schedule builder app, and the tools of the schedule race.

* :func:`stack`: K schedules side by side, a callable of the step returning (K,) rates, so one
  :func:`lrcourse.run` races K schedules on the same minibatches;
* :func:`run_with_plateau`: SGD driven by :class:`~lrcourse.schedules.ReduceLROnPlateau`,
  which needs a metric after every epoch and so cannot be a callable of the step;
* :func:`torch_momentum`: the momentum torch's ``OneCycleLR`` and ``CyclicLR`` set behind
  your back (``cycle_momentum=True`` by default, even for SGD created with momentum 0);
* :func:`quadratic_sgd`: SGD on a noisy quadratic in closed form, fast enough to rerun on
  every slider move: the expected loss exactly, and one sample run;
* :class:`ScheduleBuilderApp`: pick a schedule, set its parameters, watch the curve and a
  training run follow.
"""
from __future__ import annotations

import math

import numpy as np

from .. import _validate as v
from .. import schedules as S
from ..optimizers import sgd
from ..plots import DIVERGED_COLOR, divergence_points, mark_divergence
from ..training import DIVERGENCE_FACTOR, History, run
from . import BlitManager, SliderApp, float_slider, int_slider, log_slider, new_figure

__all__ = [
    "stack",
    "run_with_plateau",
    "race",
    "race_plot",
    "schedule_grid",
    "torch_momentum",
    "quadratic_sgd",
    "SCHEDULES",
    "build_schedule",
    "ScheduleBuilderApp",
]


# ------------------------------------------------------------------ K schedules at once
class stack:
    """K schedules side by side: ``stack(schedules)(t)`` is the (K,) array ``[s(t) for s in schedules]``.

    Give it as ``lr`` to an optimizer and :func:`lrcourse.run` trains K settings at once, one
    per schedule; with the models of :mod:`lrcourse.models` all K see the same minibatches (a
    fair race; a ``problems.Noisy`` draws separate noise per setting). The first ``steps``
    values are tabulated once, so each step costs an index, not K calls.
    """

    def __init__(self, schedules, steps=0):
        if isinstance(schedules, (str, bytes)) or not hasattr(schedules, "__iter__"):
            raise TypeError(f"schedules must be a list of schedules, got {type(schedules).__name__}")
        self.schedules = [S._is_schedule(f"schedules[{i}]", s) for i, s in enumerate(schedules)]
        if not self.schedules:
            raise ValueError("schedules must hold at least one schedule, got []")
        self.steps = v.integer("steps", steps, 0)
        t = np.arange(self.steps)
        self.table = np.stack([np.asarray(s(t), dtype=float) for s in self.schedules])  # (K, steps)

    def __call__(self, t):
        if isinstance(t, (int, np.integer)) and 0 <= t < self.steps:
            return self.table[:, t].copy()
        return np.stack([np.asarray(s(t), dtype=float) for s in self.schedules])


# ------------------------------------------------------------------ ReduceLROnPlateau
def run_with_plateau(problem, plateau, steps, epoch_len, *, seed=0, x0=None):
    """Plain SGD whose rate a :class:`~lrcourse.schedules.ReduceLROnPlateau` sets once per epoch.

    Trains ``epoch_len`` steps at ``plateau.lr``, then calls ``plateau.step(metric)`` with the
    epoch's mean training loss (the usual metric is a validation loss; it must be something
    measured, which is why this schedule is not a function of the step), and so on for
    ``steps`` steps in all. Epoch e draws its minibatches with seed ``seed + e``. Returns a
    :class:`~lrcourse.training.History` (``params`` None); ``plateau`` is left in its final state.
    """
    if not isinstance(plateau, S.ReduceLROnPlateau):
        raise TypeError(f"plateau must be a schedules.ReduceLROnPlateau, got {type(plateau).__name__}")
    steps = v.integer("steps", steps, 0)
    epoch_len = v.integer("epoch_len", epoch_len, 1)
    seed = v.integer("seed", seed, 0)
    x = problem.x0 if x0 is None else x0
    loss0 = float(problem.loss(x))
    limit = DIVERGENCE_FACTOR * max(abs(loss0), 1e-12)  # the same rule as run(), from the first step on
    losses, rates, diverged_at, done = [np.atleast_1d(loss0)], [], -1, 0
    for epoch in range(math.ceil(steps / epoch_len)):
        n = min(epoch_len, steps - done)
        lr = plateau.lr
        h = run(problem, sgd(lr=lr), n, x0=x, seed=seed + epoch, keep_params=False, progress=False)
        blown = np.flatnonzero(~(np.abs(h.loss[1:]) <= limit))
        rates.append(np.full(n, lr))
        if blown.size:
            diverged_at = done + int(blown[0]) + 1
            losses.append(np.r_[h.loss[1:blown[0] + 1], np.full(steps - diverged_at + 1, np.inf)])
            rates.append(np.full(steps - done - n, lr))
            break
        losses.append(h.loss[1:])
        x, done = h.final, done + n
        plateau.step(float(np.mean(h.loss[1:])))
    loss = np.concatenate([np.atleast_1d(a) for a in losses])
    lr = np.concatenate(rates) if rates else np.zeros(0)
    return History(loss=loss, params=None, final=x, lr=lr, diverged_at=int(diverged_at))


# ------------------------------------------------------------------ the race
def race(problem, racers, steps, *, seeds=(0, 1, 2), plateau=None, epoch_len=None, f_star=0.0, last=20):
    """Train ``problem`` with plain SGD under each schedule of ``racers`` (a dict name -> schedule),
    the same number of ``steps`` each, for each seed.

    All schedules of one seed run in one :func:`lrcourse.run` (:class:`stack`: K settings, on the
    same minibatches for a model of :mod:`lrcourse.models`). ``plateau``, a function returning a fresh ReduceLROnPlateau, adds a racer
    "ReduceLROnPlateau" run by :func:`run_with_plateau` with ``epoch_len``. The score is the loss
    minus ``f_star``, averaged over the ``last`` steps. Returns ``(names, scores)`` with scores
    of shape (len(seeds), K).
    """
    if not isinstance(racers, dict) or not racers:
        raise TypeError(f"racers must be a non-empty dict name -> schedule, got {type(racers).__name__}")
    steps = v.integer("steps", steps, 1)
    last = v.integer("last", last, 1, steps)
    names, scores = list(racers), []
    for seed in seeds:
        h = run(problem, sgd(lr=stack(list(racers.values()), steps)), steps, seed=seed, keep_params=False,
                progress=False)
        row = list(h.loss[-last:].mean(axis=0))
        if plateau is not None:
            p = run_with_plateau(problem, plateau(), steps, epoch_len, seed=seed)
            row.append(p.loss[-last:].mean())
        scores.append(np.array(row) - f_star)
    if plateau is not None:
        names.append("ReduceLROnPlateau")
    return names, np.array(scores)


def race_plot(ax, names, scores):
    """One row per racer (best on top, log scale): a dot per seed, a grey line over their range and a
    circle at their mean. No bars: on a log axis a bar's length would depend on where the axis starts.
    Returns the order."""
    mean = scores.mean(axis=0)
    order = np.argsort(mean)
    rows = np.arange(len(names))
    ax.hlines(rows, scores.min(axis=0)[order], scores.max(axis=0)[order], color="0.75", lw=3)
    ax.plot(mean[order], rows, "o", color="C0", ms=7, mfc="none", mew=1.5)
    for seed_scores in scores:
        ax.plot(seed_scores[order], rows, "k.", ms=4)
    ax.set(xscale="log", yticks=rows, yticklabels=[names[i] for i in order])
    ax.invert_yaxis()
    return order


def schedule_grid(rates, ncols=5, panel=(1.65, 1.6)):
    """Small multiples: one panel per schedule, ``rates`` a dict name -> array of rates per step."""
    import matplotlib.pyplot as plt

    nrows = -(-len(rates) // ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(panel[0] * ncols, panel[1] * nrows), sharex=True,
                             sharey=True, layout="constrained", squeeze=False)
    for ax, (name, r) in zip(axes.flat, rates.items()):
        ax.plot(np.arange(len(r)), r, lw=1.5)
        ax.set_title(name, fontsize=9)
    for ax in axes.flat[len(rates):]:
        ax.axis("off")
    for ax in axes[-1]:
        ax.set_xlabel("step")
    return fig


# ------------------------------------------------------------------ torch's hidden momentum
def torch_momentum(schedule, t, base_momentum=None, max_momentum=None):
    """The momentum torch sets at step ``t`` when ``schedule`` runs as OneCycleLR or CyclicLR.

    Both torch schedulers have ``cycle_momentum=True`` by default: they overwrite the
    optimizer's momentum (or Adam's beta1) at every step, moving it *against* the rate, even
    when the optimizer was created with momentum 0. ``schedule`` is a
    :class:`~lrcourse.schedules.one_cycle` (momentum 0.95 -> 0.85 -> 0.95 by default) or a
    :class:`~lrcourse.schedules.cyclic` (0.9 <-> 0.8). ``t``: int step or int array.
    Same numbers as torch's ``param_groups[0]["momentum"]`` after t scheduler steps.
    """
    if isinstance(schedule, S.one_cycle):
        base = 0.85 if base_momentum is None else base_momentum
        top = 0.95 if max_momentum is None else max_momentum
    elif isinstance(schedule, S.cyclic):
        base = 0.8 if base_momentum is None else base_momentum
        top = 0.9 if max_momentum is None else max_momentum
    else:
        raise TypeError(f"schedule must be a schedules.one_cycle or schedules.cyclic, got {type(schedule).__name__}")
    base = v.number("base_momentum", base, 0)
    top = v.number("max_momentum", top, 0)
    if isinstance(schedule, S.one_cycle):
        return schedule.momentum(t, base, top)
    m = _cyclic_momentum(schedule, S._steps(t), base, top)
    return m if isinstance(t, (np.ndarray, list, tuple)) else float(m)


def _cyclic_momentum(s, t, base, top):
    """torch: momentum = max - (max - base) * height * scale, the rate's triangle upside down."""
    up = float(s.step_size_up)
    down = up if s.step_size_down is None else float(s.step_size_down)
    length = up + down
    cycle = np.floor(1 + t / length)
    x = 1.0 + t / length - cycle
    r = up / length
    height = np.where(x <= r, x / r, (x - 1) / (r - 1))
    scale = {"triangular": 1.0, "triangular2": 1 / 2.0 ** (cycle - 1)}.get(s.mode)
    if scale is None:
        scale = s.gamma ** t
    return top - (top - base) * height * scale


# ------------------------------------------------------------------ SGD on a noisy quadratic
def quadratic_sgd(lr, eigenvalues, sigma, x0, seed=0, steps=None, epoch_len=None):
    """SGD on f(x) = 1/2 sum_i lambda_i x_i^2 with gradient noise sigma * N(0, I).

    ``lr``: the rates of each step (a 1-D array, one per step), or a
    :class:`~lrcourse.schedules.ReduceLROnPlateau` that sees the mean loss of this run after
    every ``epoch_len`` steps (then give ``steps``). Returns ``(expected, sample, rates)``:
    the expected loss E f(x_t) exactly, from m <- (1 - lr lambda_i)^2 m + lr^2 sigma^2 per
    axis (m = E x_i^2), and the loss of one run with noise from ``np.random.default_rng(seed)``
    (both shape (steps+1,)), and the rates used (steps,). The run is the same as
    ``lrcourse.run(problems.Noisy(problems.quadratic(eigenvalues, x0=x0), sigma), sgd(rates),
    steps, seed=seed).loss``, only fast enough (~1 ms for 200 steps) to redo on every slider
    move. A diverging run gives inf, not a warning.
    """
    lam = np.asarray(eigenvalues, dtype=float)
    x = np.array(x0, dtype=float)
    if lam.ndim != 1 or x.shape != lam.shape:
        raise ValueError(f"x0 must match eigenvalues, got shapes {x.shape} and {lam.shape}")
    sigma = v.number("sigma", sigma, 0)
    plateau = lr if isinstance(lr, S.ReduceLROnPlateau) else None
    if plateau is None:
        rates = np.array(lr, dtype=float)
        if rates.ndim != 1:
            raise ValueError(f"lr must be a 1-D array of rates (one per step), got shape {rates.shape}")
        steps = rates.size
    else:
        steps = v.integer("steps", steps, 0)
        epoch_len = v.integer("epoch_len", epoch_len, 1)
        rates = np.empty(steps)
    kicks = sigma * np.random.default_rng(v.integer("seed", seed, 0)).standard_normal((steps, lam.size))
    m, xs = np.empty((steps + 1, lam.size)), np.empty((steps + 1, lam.size))  # E x_t^2 and x_t, per axis
    m[0], xs[0] = x**2, x
    loss = lambda x: 0.5 * np.sum(lam * x**2, axis=-1)                 # f(x), per row of x
    moments = lambda eta: ((1 - eta * lam) ** 2, eta**2 * sigma**2)     # m <- shrink * m + spread
    with np.errstate(over="ignore", invalid="ignore"):
        if plateau is None:  # every coefficient up front: the loop is two multiply-adds per step
            shrink, spread = moments(rates[:, None])
        for t in range(steps):
            if plateau is not None:
                if t > 0 and t % epoch_len == 0:
                    plateau.step(float(np.mean(loss(xs[t - epoch_len + 1:t + 1]))))
                rates[t] = plateau.lr
                shrink_t, spread_t = moments(rates[t])
            else:
                shrink_t, spread_t = shrink[t], spread[t]
            m[t + 1] = shrink_t * m[t] + spread_t
            xs[t + 1] = xs[t] - rates[t] * (lam * xs[t] + kicks[t])
        expected, sample = 0.5 * np.sum(lam * m, axis=1), loss(xs)
    finite = lambda a: np.where(np.isfinite(a), a, np.inf)
    return finite(expected), finite(sample), rates


# ------------------------------------------------------------------ the schedule builder
#: name -> (parameter names shown, one-line description). The builder's sliders, by name:
#: lr, gamma, step_size, milestone1, milestone2, decay (per-step gamma), start_factor,
#: end_factor, total_iters, power, T_max, eta_min, T_0, T_mult, base_lr, step_size_up,
#: mode, pct_start, div_factor, final_div_factor, anneal_strategy, three_phase,
#: warmup_steps, decay_steps, final_lr, factor, patience, epoch_len.
SCHEDULES = {
    "constant": (("lr",), "the same rate at every step"),
    "step": (("lr", "step_size", "gamma"), "multiply by gamma every step_size steps (StepLR)"),
    "multistep": (("lr", "milestone1", "milestone2", "gamma"), "multiply by gamma at each milestone (MultiStepLR)"),
    "exponential": (("lr", "decay"), "multiply by gamma at every step (ExponentialLR)"),
    "linear": (("lr", "start_factor", "end_factor", "total_iters"), "straight line between two factors (LinearLR)"),
    "polynomial": (("lr", "total_iters", "power"), "(1 − t/total_iters)^power down to 0 (PolynomialLR)"),
    "cosine": (("lr", "T_max", "eta_min"), "half a cosine from lr to eta_min over T_max steps (CosineAnnealingLR)"),
    "cosine_warm_restarts": (("lr", "T_0", "T_mult", "eta_min"), "cosine cycles that restart at lr (SGDR)"),
    "cyclic": (("base_lr", "lr", "step_size_up", "mode", "decay"), "triangles between base_lr and max_lr (CyclicLR)"),
    "one_cycle": (("lr", "pct_start", "div_factor", "final_div_factor", "anneal_strategy", "three_phase"),
                  "up to max_lr, then far below the start (OneCycleLR)"),
    "warmup": (("lr", "warmup_steps", "start_factor"), "linear warmup, then cosine to 0 over the rest"),
    "sequential": (("lr", "warmup_steps", "start_factor", "decay"), "LinearLR warmup, then ExponentialLR (SequentialLR)"),
    "wsd": (("lr", "warmup_steps", "decay_steps", "final_lr"), "warmup, stable, then a short linear decay"),
    "plateau": (("lr", "factor", "patience", "epoch_len"), "cut by factor when the epoch loss stops improving"),
}


def build_schedule(name, steps, p):
    """The schedule ``name`` of :data:`SCHEDULES` for a budget of ``steps``, from parameters ``p``
    (a dict of the builder's slider values). ``plateau`` gives a fresh ReduceLROnPlateau."""
    v.choice("name", name, tuple(SCHEDULES))
    lr = p["lr"]
    if name == "constant":
        return S.constant(lr)
    if name == "step":
        return S.step(lr, p["step_size"], p["gamma"])
    if name == "multistep":
        return S.multistep(lr, [p["milestone1"], p["milestone2"]], p["gamma"])
    if name == "exponential":
        return S.exponential(lr, p["decay"])
    if name == "linear":
        return S.linear(lr, p["start_factor"], p["end_factor"], p["total_iters"])
    if name == "polynomial":
        return S.polynomial(lr, p["total_iters"], p["power"])
    if name == "cosine":
        return S.cosine(lr, p["T_max"], p["eta_min"])
    if name == "cosine_warm_restarts":
        return S.cosine_warm_restarts(lr, p["T_0"], p["T_mult"], p["eta_min"])
    if name == "cyclic":
        return S.cyclic(p["base_lr"], lr, p["step_size_up"], mode=p["mode"], gamma=p["decay"])
    if name == "one_cycle":
        return S.one_cycle(lr, steps, p["pct_start"], p["anneal_strategy"], p["div_factor"],
                           p["final_div_factor"], p["three_phase"])
    if name == "warmup":
        w = p["warmup_steps"]
        return S.warmup(S.cosine(lr, max(steps - w, 1)), w, p["start_factor"])
    if name == "sequential":
        w = max(p["warmup_steps"], 1)
        return S.sequential([S.linear(lr, p["start_factor"], 1.0, w), S.exponential(lr, p["decay"])], [w])
    if name == "wsd":
        return S.wsd(lr, steps, p["warmup_steps"], p["decay_steps"], p["final_lr"])
    return S.ReduceLROnPlateau(lr, factor=p["factor"], patience=p["patience"])


def _controls(steps, lr, lr_max):
    import ipywidgets as w

    T = steps
    c = {
        "schedule": w.Dropdown(options=list(SCHEDULES), value="cosine", description="schedule",
                               style={"description_width": "initial"}),
        "lr": log_slider("lr (peak)", lr, lr_max / 300, lr_max),
        "gamma": float_slider("gamma (per decay)", 0.3, 0.0, 1.0, 0.01),
        "step_size": int_slider("step_size", T // 3, 1, T),
        "milestone1": int_slider("milestone 1", T // 2, 0, T),
        "milestone2": int_slider("milestone 2", 3 * T // 4, 0, T),
        "decay": float_slider("gamma (per step)", 0.98, 0.9, 1.0, 0.001, readout_format=".3f"),
        "start_factor": float_slider("start_factor", 0.1, 0.01, 1.0, 0.01),
        "end_factor": float_slider("end_factor", 0.0, 0.0, 1.0, 0.01),
        "total_iters": int_slider("total_iters", T, 1, T),
        "power": float_slider("power", 1.0, 0.1, 4.0, 0.05),
        "T_max": int_slider("T_max", T, 1, 2 * T),
        "eta_min": float_slider("eta_min", 0.0, 0.0, lr_max, lr_max / 200),
        "T_0": int_slider("T_0", T // 4, 1, T),
        "T_mult": int_slider("T_mult", 1, 1, 4),
        "base_lr": log_slider("base_lr", lr / 10, lr_max / 1000, lr_max),
        "step_size_up": int_slider("step_size_up", T // 4, 1, T),
        "mode": w.Dropdown(options=["triangular", "triangular2", "exp_range"], value="triangular",
                           description="mode", style={"description_width": "initial"}),
        "pct_start": float_slider("pct_start", 0.3, 0.05, 0.95, 0.01),
        "div_factor": log_slider("div_factor", 25.0, 1.0, 1e3),
        "final_div_factor": log_slider("final_div_factor", 1e4, 1.0, 1e5),
        "anneal_strategy": w.Dropdown(options=["cos", "linear"], value="cos", description="anneal_strategy",
                                      style={"description_width": "initial"}),
        "three_phase": w.Checkbox(value=False, description="three_phase"),
        "warmup_steps": int_slider("warmup_steps", T // 10, 0, T),
        "decay_steps": int_slider("decay_steps", T // 5, 0, T),
        "final_lr": float_slider("final_lr", 0.0, 0.0, lr_max, lr_max / 200),
        "factor": float_slider("factor", 0.3, 0.05, 0.95, 0.01),
        "patience": int_slider("patience (epochs)", 2, 0, 20),
        "epoch_len": int_slider("epoch length (steps)", 10, 1, 50),
    }
    return c


class ScheduleBuilderApp(SliderApp):
    """Pick a schedule, set its parameters, see the rate and an SGD run follow.

    The task is SGD on a noisy 2-D quadratic, f(x) = (lambda_1 x_1^2 + lambda_2 x_2^2) / 2 with
    gradient noise ``sigma``, for ``steps`` steps. Left: the rate at each step (dotted: the
    stability limit 2 / lambda_max). Right: the loss of one run (thin), its exact expectation
    (bold) and, for comparison, the expected loss of the constant rate ``lr`` (grey).
    Only the sliders of the chosen schedule are shown.
    """

    def __init__(self, schedule="cosine", steps=200, lr=0.5, lr_max=3.0, eigenvalues=(1.0, 0.1),
                 sigma=0.3, x0=(2.0, 2.0), seed=0):
        self.steps = v.integer("steps", steps, 4, 100_000)
        self.lam = np.array(eigenvalues, dtype=float)
        if self.lam.shape != (2,) or np.any(self.lam <= 0):
            raise ValueError(f"eigenvalues must be two numbers > 0, got {eigenvalues!r}")
        self.sigma = v.number("sigma", sigma, 0)
        self.x0 = np.array(x0, dtype=float)
        self.seed = v.integer("seed", seed, 0)
        lr_max = v.number("lr_max", lr_max, 0, low_open=True)
        self.controls = _controls(self.steps, v.number("lr", lr, lr_max / 300, lr_max), lr_max)
        self.controls["schedule"].value = v.choice("schedule", schedule, tuple(SCHEDULES))
        self.controls["schedule"].observe(self._show_relevant, names="value")
        self.controls["mode"].observe(self._show_relevant, names="value")
        self.lr_max = lr_max
        self._build()
        self._show_relevant()
        self._start()

    def _build(self):
        T = self.steps
        self.fig, (self.ax_lr, self.ax_loss) = new_figure(1, 2, figsize=(8.25, 3.1))
        ax = self.ax_lr
        ax.set(xlim=(0, T), ylim=(0, 1.05 * self.lr_max), xlabel="step t", title="learning rate")
        ax.title.set_fontsize(10)
        limit = 2 / self.lam.max()
        ax.axhline(limit, color=DIVERGED_COLOR, ls=":", lw=1)
        ax.text(T, limit, "2/L ", color=DIVERGED_COLOR, ha="right", va="bottom", fontsize=8)
        f0 = 0.5 * np.sum(self.lam * self.x0**2)
        floor = 0.25 * self.sigma**2 * self.lr_max / 300 * self.lam.size
        ax = self.ax_loss
        ax.set(yscale="log", xlim=(0, T), ylim=(10 ** np.floor(np.log10(floor)) / 10, 100 * f0), xlabel="step t",
               title="loss of SGD on a noisy quadratic")
        ax.title.set_fontsize(10)
        self.blit = BlitManager(self.fig.canvas)
        (self.rate_line,) = self.ax_lr.plot([], [], color="C0", lw=1.8)
        (self.ref_line,) = ax.plot([], [], color="0.6", ls="--", lw=1.2, label="constant lr (expected)")
        (self.sample_line,) = ax.plot([], [], color="C0", lw=0.6, alpha=0.6, label="one run")
        (self.expected_line,) = ax.plot([], [], color="C0", lw=2, label="expected")
        ax.legend(loc="upper right", fontsize=8)
        self.cross = mark_divergence(ax, -1)
        for a in (self.rate_line, self.ref_line, self.sample_line, self.expected_line, self.cross):
            self.blit.add(a)
        self._reference = (None, None)

    def _show_relevant(self, change=None):
        """Show the sliders the chosen schedule uses (gamma of cyclic only in mode exp_range)."""
        name = self.controls["schedule"].value
        shown = set(SCHEDULES[name][0]) | {"schedule"}
        if name == "cyclic" and self.controls["mode"].value != "exp_range":
            shown.discard("decay")  # CyclicLR ignores gamma in the triangular modes
        for key, widget in self.controls.items():
            widget.layout.display = None if key in shown else "none"
        if change is not None:
            self.refresh()

    def _on_change(self, change):
        if change["owner"] in (self.controls["schedule"], self.controls["mode"]):
            return  # _show_relevant refreshes
        self.refresh()

    def rates(self, name, values):
        """The rates of the first ``steps`` steps and the schedule (None for plateau, whose rates
        come from its run); raises ValueError for parameters the schedule rejects."""
        s = build_schedule(name, self.steps, values)
        if isinstance(s, S.ReduceLROnPlateau):
            return None, s
        return s(np.arange(self.steps)), s

    def update(self, schedule, **values):
        T, t = self.steps, np.arange(self.steps + 1)
        try:
            rates, s = self.rates(schedule, values)
        except ValueError as err:
            self.status.value = f"<span style='color:{DIVERGED_COLOR}'>{schedule}: {err}</span>"
            return False
        if rates is None:  # plateau: its rates depend on the run's own losses
            expected, sample, rates = quadratic_sgd(s, self.lam, self.sigma, self.x0, self.seed, T, values["epoch_len"])
        else:
            expected, sample, _ = quadratic_sgd(rates, self.lam, self.sigma, self.x0, self.seed)
        if self._reference[0] != values["lr"]:  # the constant-rate curve only depends on lr
            self._reference = (values["lr"], quadratic_sgd(np.full(T, values["lr"]), self.lam, self.sigma, self.x0)[0])
        reference = self._reference[1]
        self.schedule, self.rates_now, self.expected, self.sample = s, rates, expected, sample
        top = self.ax_loss.get_ylim()[1]
        shown = lambda y: np.where(np.isfinite(y), np.minimum(y, top), np.nan)
        self.rate_line.set_data(np.arange(T), np.minimum(rates, 1.05 * self.lr_max))
        self.ref_line.set_data(t, shown(reference))
        self.sample_line.set_data(t, shown(sample))
        self.expected_line.set_data(t, shown(expected))
        blown = np.flatnonzero(~np.isfinite(sample) | (sample > top))
        diverged = blown.size > 0 and not sample[-1] < top  # a loss that leaves the frame and comes back did not
        self.cross.set_data(*divergence_points(self.ax_loss, blown[0] if diverged else -1))
        self.status.value = self.describe(schedule, rates, expected, reference, diverged, left=blown.size > 0)
        return False

    def describe(self, name, rates, expected, reference, diverged, left=False):
        """The status line: what the schedule does and how it ends against the constant rate.
        ``left``: the run's loss went above the frame at some step (and, unless ``diverged``, came back)."""
        text = SCHEDULES[name][1]
        if diverged:
            return (f"<span style='color:{DIVERGED_COLOR}'>{name}: {text}. This run diverged: the rate went "
                    f"above 2/L = {2 / self.lam.max():g}.</span>")
        if left:
            text += (f". The loss jumped above the frame while the rate was above 2/L = {2 / self.lam.max():g}, "
                     f"and came back down")
        top = self.ax_loss.get_ylim()[1]
        if not reference[-1] < top:
            versus = "the constant rate lr diverges"
        else:
            versus = f"constant lr: {reference[-1]:.2e}, {reference[-1] / expected[-1]:.3g}× that"
        return f"{name}: {text}. Last rate {rates[-1]:.3g}; expected final loss {expected[-1]:.2e} ({versus})"
