"""Learning-rate schedules: the rate as a function of the step ``t = 0, 1, 2, ...``.

Each constructor returns a callable ``s``. ``s(t)`` for an int step ``t >= 0`` gives a
float; ``s(np.arange(T))`` (any int array) gives a float64 array of the same shape, in
closed form. ``s(t)`` equals what the PyTorch scheduler named in each docstring reports
from ``get_last_lr()`` after ``t`` calls of ``scheduler.step()``, so an optimizer's k-th
step (k = 0, 1, ...) uses ``s(k)``.

Two schedules have no closed form, as in torch: ``multiplicative`` (a running product of
factors) and ``chained`` when it holds a schedule that torch updates recursively. They compute
their rates step by step, once (a table that grows as later steps are asked for), up to
``MAX_RECURSIVE_STEP``.
"""
from __future__ import annotations

import math

import numpy as np

from . import _validate as v

__all__ = [
    "Schedule", "constant", "step", "multistep", "exponential", "linear", "polynomial",
    "cosine", "cosine_warm_restarts", "cyclic", "one_cycle", "warmup", "sequential", "wsd",
    "ReduceLROnPlateau", "constant_lr", "lambda_lr", "multiplicative", "chained",
]

MAX_STEP = 2**53  # steps are exact integers in float64 up to here
MAX_RECURSIVE_STEP = 10**7  # schedules computed step by step keep a table of this many rates at most


def _steps(t):
    """Check a step ``t`` (int >= 0, or an int array of them); return it as an int64 array."""
    if isinstance(t, (np.ndarray, list, tuple)):
        arr = np.asarray(t)
        if arr.size == 0:
            return arr.astype(np.int64)
        if arr.dtype.kind not in "iu":
            raise TypeError(f"t must be an integer step >= 0 or an integer array of them, "
                            f"got an array of dtype {arr.dtype}")
        if arr.min() < 0 or arr.max() > MAX_STEP:
            bad = arr.min() if arr.min() < 0 else arr.max()
            raise ValueError(f"t must have every step in [0, {MAX_STEP}], got {bad!r}")
        return arr.astype(np.int64)
    return np.asarray(v.integer("t", t, 0, MAX_STEP), dtype=np.int64)


def _milestones(name, milestones, sort_check=False):
    """Check a sequence of milestone steps (ints >= 0 in a list, tuple, range or 1-D array; may
    be empty, and unsorted unless ``sort_check``); return it as a tuple of ints. A dict or a
    set is not a sequence of steps."""
    if not isinstance(milestones, (list, tuple, range, np.ndarray)) or (
            isinstance(milestones, np.ndarray) and milestones.ndim != 1):
        raise TypeError(f"{name} must be a list of integer steps, "
                        f"got {type(milestones).__name__} {milestones!r}")
    ms = tuple(v.integer(f"{name}[{i}]", m, 0, MAX_STEP) for i, m in enumerate(milestones))
    if sort_check and any(a > b for a, b in zip(ms, ms[1:])):
        raise ValueError(f"{name} must be non-decreasing, got {list(ms)}")
    return ms


def _call(name, fn, x, low=None):
    """``fn(x)`` for a Python int ``x`` (as torch calls it), checked to be a number >= low."""
    value = fn(int(x))
    if isinstance(value, np.ndarray) and value.size == 1:
        value = value.reshape(())
    return v.number(f"{name}({int(x)})", value, low)


def _call_each(name, fn, xs, low=None):
    """``fn`` at every value of the int array ``xs`` (called once per distinct value), as floats."""
    values, where = np.unique(xs, return_inverse=True)
    out = np.array([_call(name, fn, x, low) for x in values], dtype=np.float64)
    return out[where.reshape(xs.shape)]


def _is_schedule(name, s):
    """Check that ``s`` can serve as a schedule: a callable of the step ``t``."""
    if not callable(s) or isinstance(s, type):
        raise TypeError(f"{name} must be a schedule (a callable of the step t), "
                        f"got {type(s).__name__} {s!r}")
    return s


class Schedule:
    """A learning rate as a function of the step ``t``; subclasses give ``_lr(t)``.

    ``_lr`` receives a 1-D int64 array of steps ``t >= 0`` and returns the rates, same
    shape. Constructor arguments are kept as attributes, in the order of ``_args``.
    """

    _args: tuple = ()

    def __call__(self, t):
        return self._evaluate(t, self._lr)

    @staticmethod
    def _evaluate(t, f):
        """f over the checked steps t: a float for an int, an array shaped like t otherwise."""
        steps = _steps(t)
        flat = steps.reshape(-1)  # 1-D even for one step: numpy's 0-d maths may round differently
        with np.errstate(over="ignore", under="ignore", invalid="ignore", divide="ignore"):
            lr = np.broadcast_to(np.asarray(f(flat), dtype=np.float64), flat.shape)
        if isinstance(t, (np.ndarray, list, tuple)):
            return lr.reshape(steps.shape).copy()  # a fresh, writable array
        return float(lr[0])

    def _lr(self, t):
        raise NotImplementedError

    # How torch updates the rate when its scheduler is chained (see ``chained``): ``_torch_step(t,
    # lr)`` is torch's ``get_lr()`` at ``last_epoch = t`` (t = 0: the step made at construction)
    # when the optimizer's rate is ``lr`` now. None: torch's scheduler cannot be chained like this.
    _torch_step = None

    def __repr__(self):
        args = ", ".join(f"{name}={getattr(self, name)!r}" for name in self._args)
        return f"{type(self).__name__}({args})"


class _Factor(Schedule):
    """A schedule ``s(t) = lr * factor(t)`` whose torch scheduler multiplies the optimizer's rate
    by factor(t) / factor(t - 1) at each step: chained, such factors multiply."""

    def _lr(self, t):
        return self.lr * self._factor(t)

    def _factor(self, t):
        raise NotImplementedError


class _Recursive(Schedule):
    """A schedule computed step by step, ``lr_t = _next(t, lr_{t-1})``, as torch does; the rates
    are kept in a table that grows as later steps are asked for."""

    _table = np.zeros(0)  # rates of steps 0 .. _known - 1 (room to grow beyond)
    _known = 0

    def _next(self, t, lr):
        raise NotImplementedError

    def _lr(self, t):
        if t.size == 0:
            return np.zeros(0)
        last = int(t.max())
        if last >= MAX_RECURSIVE_STEP:
            raise ValueError(f"t must be < {MAX_RECURSIVE_STEP} for {type(self).__name__}: its rates are "
                             f"computed step by step (as torch does), got {last}")
        if last >= self._known:
            self._extend(last + 1)
        return self._table[t]

    def _extend(self, T):
        """Compute the rates up to step T - 1 (the table doubles when full: one step at a time is cheap)."""
        table = self._table
        if T > table.size:
            table = np.concatenate([table[: self._known], np.empty(max(T, 2 * table.size) - self._known)])
        lr = float(table[self._known - 1]) if self._known else None
        for k in range(self._known, T):
            lr = self._next(k, lr)
            table[k] = lr
        self._table, self._known = table, T


class constant(_Factor):
    """Constant rate: ``s(t) = lr`` for every step t.

    torch: ``ConstantLR(opt, factor=1.0)`` (or no scheduler at all).
    """

    _args = ("lr",)

    def __init__(self, lr):
        self.lr = v.number("lr", lr, 0)

    def _factor(self, t):
        return np.ones(t.shape)

    def _torch_step(self, t, lr):
        return lr


class constant_lr(_Factor):
    """A constant factor for the first steps: ``s(t) = lr * factor`` for ``t < total_iters``,
    then ``lr`` (t and total_iters in steps). A gentle start, or a step up of the rate.

    With ``total_iters=0`` the rate stays at ``lr * factor`` for ever, as torch reports it
    (torch scales by factor at step 0 and would undo it only at step total_iters).
    torch: ``ConstantLR(opt, factor, total_iters)``, same defaults; ``factor=0``, where torch
    divides by zero at total_iters, gives ``lr`` from there on.
    """

    _args = ("lr", "factor", "total_iters")

    def __init__(self, lr, factor=1.0 / 3, total_iters=5):
        self.lr = v.number("lr", lr, 0)
        self.factor = v.number("factor", factor, 0, 1)
        self.total_iters = v.integer("total_iters", total_iters, 0)

    def _factor(self, t):
        scaled = (t < self.total_iters) | (self.total_iters == 0)
        return np.where(scaled, self.factor, 1.0)

    def _torch_step(self, t, lr):
        if t == 0:
            return lr * self.factor
        if t != self.total_iters:
            return lr
        return lr * (1.0 / self.factor) if self.factor else self.lr


class step(_Factor):
    """Step decay: multiply by ``gamma`` every ``step_size`` steps.

    ``s(t) = lr * gamma ** (t // step_size)``  (t and step_size in steps).
    torch: ``StepLR(opt, step_size, gamma)``.
    """

    _args = ("lr", "step_size", "gamma")

    def __init__(self, lr, step_size, gamma=0.1):
        self.lr = v.number("lr", lr, 0)
        self.step_size = v.integer("step_size", step_size, 1)
        self.gamma = v.number("gamma", gamma, 0)

    def _factor(self, t):
        return self.gamma ** (t // self.step_size)

    def _torch_step(self, t, lr):
        return lr if t == 0 or t % self.step_size != 0 else lr * self.gamma


class multistep(_Factor):
    """Multi-step decay: multiply by ``gamma`` at each milestone step.

    ``s(t) = lr * gamma ** (number of milestones m with m <= t)``. Milestones are steps
    >= 0, in any order; a repeated milestone counts once per repetition and a milestone at
    0 already lowers s(0), as in torch.
    torch: ``MultiStepLR(opt, milestones, gamma)``.
    """

    _args = ("lr", "milestones", "gamma")

    def __init__(self, lr, milestones, gamma=0.1):
        self.lr = v.number("lr", lr, 0)
        self.milestones = _milestones("milestones", milestones)
        self.gamma = v.number("gamma", gamma, 0)
        self._sorted = np.sort(np.array(self.milestones, dtype=np.int64))

    def _factor(self, t):
        return self.gamma ** np.searchsorted(self._sorted, t, side="right")

    def _torch_step(self, t, lr):
        count = self.milestones.count(t)
        return lr * self.gamma**count if count else lr


class exponential(_Factor):
    """Exponential decay: ``s(t) = lr * gamma ** t`` (gamma is the factor per step).

    torch: ``ExponentialLR(opt, gamma)``.
    """

    _args = ("lr", "gamma")

    def __init__(self, lr, gamma):
        self.lr = v.number("lr", lr, 0)
        self.gamma = v.number("gamma", gamma, 0)

    def _factor(self, t):
        return self.gamma ** t

    def _torch_step(self, t, lr):
        return lr if t == 0 else lr * self.gamma


class linear(_Factor):
    """Linear change of the factor from ``start_factor`` to ``end_factor`` over ``total_iters`` steps.

    ``s(t) = lr * (start_factor + (end_factor - start_factor) * min(t, total_iters) / total_iters)``,
    then held at ``lr * end_factor`` (t and total_iters in steps). Used for warmup
    (start < end) or linear decay.
    torch: ``LinearLR(opt, start_factor, end_factor, total_iters)``.
    """

    _args = ("lr", "start_factor", "end_factor", "total_iters")

    def __init__(self, lr, start_factor=1.0 / 3, end_factor=1.0, total_iters=5):
        self.lr = v.number("lr", lr, 0)
        self.start_factor = v.number("start_factor", start_factor, 0, 1, low_open=True)
        self.end_factor = v.number("end_factor", end_factor, 0, 1)
        self.total_iters = v.integer("total_iters", total_iters, 1)

    def _factor(self, t):
        frac = np.minimum(t, self.total_iters) / self.total_iters
        return self.start_factor + (self.end_factor - self.start_factor) * frac

    def _torch_step(self, t, lr):
        a, b, n = self.start_factor, self.end_factor, self.total_iters
        if t == 0:
            return lr * a
        return lr if t > n else lr * (1.0 + (b - a) / (n * a + (t - 1) * (b - a)))


class polynomial(_Factor):
    """Polynomial decay to 0 over ``total_iters`` steps, then 0.

    ``s(t) = lr * (1 - min(t, total_iters) / total_iters) ** power`` (t, total_iters in steps).
    torch: ``PolynomialLR(opt, total_iters, power)``.
    """

    _args = ("lr", "total_iters", "power")

    def __init__(self, lr, total_iters=5, power=1.0):
        self.lr = v.number("lr", lr, 0)
        self.total_iters = v.integer("total_iters", total_iters, 1)
        self.power = v.number("power", power, 0)

    def _factor(self, t):
        return (1.0 - np.minimum(t, self.total_iters) / self.total_iters) ** self.power

    def _torch_step(self, t, lr):
        n = self.total_iters
        if t == 0 or t > n:
            return lr
        return lr * ((1.0 - t / n) / (1.0 - (t - 1) / n)) ** self.power


class lambda_lr(Schedule):
    """Any factor of the step: ``s(t) = lr * lr_lambda(t)``.

    ``lr_lambda`` is a function of an int step t >= 0 returning a number >= 0 (e.g.
    ``lambda t: 0.95 ** t`` or ``lambda t: min(1.0, (t + 1) / 100)``); it is called with Python
    ints, once per distinct step asked for.
    torch: ``LambdaLR(opt, lr_lambda)`` (one function; torch also takes one per param group).
    """

    _args = ("lr", "lr_lambda")

    def __init__(self, lr, lr_lambda):
        self.lr = v.number("lr", lr, 0)
        self.lr_lambda = v.function("lr_lambda", lr_lambda, "a function of the step t returning a factor")

    def _lr(self, t):
        return self.lr * _call_each("lr_lambda", self.lr_lambda, t, low=0)

    def _torch_step(self, t, lr):
        return self(t)  # torch sets lr * lr_lambda(t) from the initial lr, whatever the rate is now


class multiplicative(_Recursive):
    """A running product of factors: ``s(0) = lr`` and ``s(t) = s(t - 1) * lr_lambda(t)``.

    ``lr_lambda`` is a function of an int step t >= 1 returning a number >= 0; ``lambda t:
    0.95`` gives ``exponential(lr, 0.95)``. It is called once per step, in order (the rates are
    computed step by step and kept, up to ``MAX_RECURSIVE_STEP``).
    torch: ``MultiplicativeLR(opt, lr_lambda)``.
    """

    _args = ("lr", "lr_lambda")

    def __init__(self, lr, lr_lambda):
        self.lr = v.number("lr", lr, 0)
        self.lr_lambda = v.function("lr_lambda", lr_lambda, "a function of the step t returning a factor")

    def _next(self, t, lr):
        return self.lr if t == 0 else self._torch_step(t, lr)

    def _torch_step(self, t, lr):
        if t == 0:
            return lr
        return lr * _call("lr_lambda", self.lr_lambda, t, low=0)


class cosine(Schedule):
    """Cosine annealing from ``lr`` down to ``eta_min`` over ``T_max`` steps.

    ``s(t) = eta_min + (lr - eta_min) * (1 + cos(pi * t / T_max)) / 2`` (t, T_max in steps).
    Past ``T_max`` the formula simply continues, as in torch: the rate climbs back to ``lr``
    at ``2 T_max`` and repeats with period ``2 T_max`` (it does not stay at ``eta_min``).
    Loshchilov & Hutter 2017, "SGDR: Stochastic Gradient Descent with Warm Restarts".
    torch: ``CosineAnnealingLR(opt, T_max, eta_min)``.
    """

    _args = ("lr", "T_max", "eta_min")

    def __init__(self, lr, T_max, eta_min=0.0):
        self.lr = v.number("lr", lr, 0)
        self.T_max = v.integer("T_max", T_max, 1)
        self.eta_min = v.number("eta_min", eta_min, 0)

    def _lr(self, t):
        return self.eta_min + (self.lr - self.eta_min) * (1 + np.cos(np.pi * t / self.T_max)) / 2

    def _torch_step(self, t, lr):
        T, low = self.T_max, self.eta_min
        if t == 0:
            return lr
        if (t - 1 - T) % (2 * T) == 0:  # leaving the bottom: torch adds a step of the closed form
            return lr + (self.lr - low) * (1 - math.cos(math.pi / T)) / 2
        return (1 + math.cos(math.pi * t / T)) / (1 + math.cos(math.pi * (t - 1) / T)) * (lr - low) + low


class cosine_warm_restarts(Schedule):
    """Cosine annealing with warm restarts (SGDR): cycles of length T_0, T_0*T_mult, ...

    ``s(t) = eta_min + (lr - eta_min) * (1 + cos(pi * T_cur / T_i)) / 2`` where cycle n
    lasts ``T_i = T_0 * T_mult**n`` steps, starts at step ``T_0 * (T_mult**n - 1) / (T_mult - 1)``
    (``n * T_0`` when T_mult = 1), and ``T_cur`` counts the steps since it started.
    With T_mult = 1 the schedule repeats exactly every T_0 steps.
    Loshchilov & Hutter 2017, "SGDR: Stochastic Gradient Descent with Warm Restarts".
    torch: ``CosineAnnealingWarmRestarts(opt, T_0, T_mult, eta_min)``.
    """

    _args = ("lr", "T_0", "T_mult", "eta_min")

    def __init__(self, lr, T_0, T_mult=1, eta_min=0.0):
        self.lr = v.number("lr", lr, 0)
        self.T_0 = v.integer("T_0", T_0, 1)
        self.T_mult = v.integer("T_mult", T_mult, 1)
        self.eta_min = v.number("eta_min", eta_min, 0)

    def _lr(self, t):
        T_0, m = self.T_0, self.T_mult
        if m == 1:
            T_cur, T_i = t % T_0, T_0
        else:
            # cycle n = floor(log_m(1 + t (m - 1) / T_0)); the float log may be one off at a
            # restart, so correct it with the exact (integer-valued) cycle starts.
            def start(n):
                return T_0 * (float(m) ** n - 1) / (m - 1)
            n = np.floor(np.log1p(t * (m - 1) / T_0) / np.log(m))
            n = np.where(start(n) > t, n - 1, n)
            n = np.where(start(n + 1) <= t, n + 1, n)
            T_cur, T_i = t - start(n), T_0 * float(m) ** n
        return self.eta_min + (self.lr - self.eta_min) * (1 + np.cos(np.pi * T_cur / T_i)) / 2

    def _torch_step(self, t, lr):
        return self(t)  # torch sets the closed form from the initial lr, whatever the rate is now


class cyclic(Schedule):
    """Cyclical learning rate: triangles between ``base_lr`` and ``max_lr``.

    A cycle has ``step_size_up + step_size_down`` steps (``step_size_down=None`` means equal
    to ``step_size_up``). With ``cycle = floor(1 + t / cycle_length)`` and
    ``x = 1 + t / cycle_length - cycle`` in [0, 1), the height goes up as
    ``x / r`` then down as ``(x - 1) / (r - 1)`` where ``r = step_size_up / cycle_length``, and

        s(t) = base_lr + (max_lr - base_lr) * height * scale      (t, step sizes in steps),

    scale = 1 ("triangular"), ``1 / 2**(cycle - 1)`` ("triangular2": the amplitude halves
    each cycle) or ``gamma**t`` ("exp_range"). A function ``scale_fn`` replaces ``mode``
    (and gamma): scale = ``scale_fn(cycle)`` with ``scale_mode="cycle"`` (cycle = 1, 2, ...)
    or ``scale_fn(t)`` with ``scale_mode="iterations"``, called with Python ints.
    Only the rate is modelled: torch's CyclicLR also cycles momentum (between 0.8 and 0.9) by
    default, ``cycle_momentum=True``.
    Smith 2017, "Cyclical Learning Rates for Training Neural Networks".
    torch: ``CyclicLR(opt, base_lr, max_lr, step_size_up, step_size_down, mode, gamma,
    scale_fn, scale_mode)``.
    """

    _args = ("base_lr", "max_lr", "step_size_up", "step_size_down", "mode", "gamma", "scale_fn",
             "scale_mode")

    def __init__(self, base_lr, max_lr, step_size_up=2000, step_size_down=None,
                 mode="triangular", gamma=1.0, scale_fn=None, scale_mode="cycle"):
        self.base_lr = v.number("base_lr", base_lr, 0)
        self.max_lr = v.number("max_lr", max_lr, 0)
        self.step_size_up = v.integer("step_size_up", step_size_up, 1)
        self.step_size_down = (None if step_size_down is None
                               else v.integer("step_size_down", step_size_down, 0))
        self.mode = v.choice("mode", mode, ("triangular", "triangular2", "exp_range"))
        self.gamma = v.number("gamma", gamma, 0, 1)
        self.scale_fn = None if scale_fn is None else v.function(
            "scale_fn", scale_fn, "a function of the cycle (or step) returning a scale, or None")
        self.scale_mode = v.choice("scale_mode", scale_mode, ("cycle", "iterations"))

    def _lr(self, t):
        up = float(self.step_size_up)
        down = up if self.step_size_down is None else float(self.step_size_down)
        cycle_length = up + down
        r = up / cycle_length
        cycle = np.floor(1 + t / cycle_length)
        x = 1.0 + t / cycle_length - cycle
        height = np.where(x <= r, x / r, (x - 1) / (r - 1))
        if self.scale_fn is not None:
            at = cycle.astype(np.int64) if self.scale_mode == "cycle" else t
            scale = _call_each("scale_fn", self.scale_fn, at)
        elif self.mode == "triangular":
            scale = 1.0
        elif self.mode == "triangular2":
            scale = 1 / (2.0 ** (cycle - 1))
        else:
            scale = self.gamma ** t
        return self.base_lr + (self.max_lr - self.base_lr) * height * scale


class one_cycle(Schedule):
    """One-cycle policy: warm up to ``max_lr``, then anneal far below the start.

    Starts at ``initial = max_lr / div_factor``, rises to ``max_lr`` at step
    ``pct_start * total_steps - 1``, then falls to ``initial / final_div_factor`` at step
    ``total_steps - 1``. With ``three_phase=True`` it first comes back down to ``initial``
    at step ``2 * pct_start * total_steps - 2`` and only then anneals to the minimum.
    Within a phase from a to b, at fraction p of the phase's steps:
    ``b + (a - b) * (1 + cos(pi p)) / 2`` ("cos") or ``a + (b - a) p`` ("linear").

    Only the rate is modelled: torch's OneCycleLR also cycles momentum (or Adam's beta1)
    between 0.95 and 0.85 by default, ``cycle_momentum=True``.
    Past the end: torch raises after ``total_steps`` scheduler steps and reports an
    extrapolated value at ``t = total_steps`` (above the minimum for "cos", below it and
    possibly negative for "linear"); here ``s(t) = s(total_steps - 1)`` for every
    ``t >= total_steps - 1``. A warmup phase of zero length (``pct_start * total_steps == 1``,
    where torch divides by zero) ends at once: ``s(0) = max_lr``.
    Give ``total_steps``, or ``epochs`` and ``steps_per_epoch`` (keywords; total_steps =
    epochs * steps_per_epoch); as in torch, total_steps wins when both are given.
    Smith & Topin 2019, "Super-Convergence: Very Fast Training of Neural Networks Using
    Large Learning Rates".
    torch: ``OneCycleLR(opt, max_lr, total_steps, epochs, steps_per_epoch, pct_start,
    anneal_strategy, ...)``.
    """

    _args = ("max_lr", "total_steps", "pct_start", "anneal_strategy", "div_factor",
             "final_div_factor", "three_phase")

    def __init__(self, max_lr, total_steps=None, pct_start=0.3, anneal_strategy="cos",
                 div_factor=25.0, final_div_factor=1e4, three_phase=False, *, epochs=None,
                 steps_per_epoch=None):
        self.max_lr = v.number("max_lr", max_lr, 0)
        self.epochs = None if epochs is None else v.integer("epochs", epochs, 1)
        self.steps_per_epoch = None if steps_per_epoch is None else v.integer("steps_per_epoch", steps_per_epoch, 1)
        if total_steps is not None:
            self.total_steps = v.integer("total_steps", total_steps, 1)
        elif self.epochs is not None and self.steps_per_epoch is not None:
            self.total_steps = self.epochs * self.steps_per_epoch
        else:
            raise ValueError("total_steps must be given, or else both epochs and steps_per_epoch "
                             f"(got total_steps=None, epochs={epochs!r}, steps_per_epoch={steps_per_epoch!r})")
        self.pct_start = v.number("pct_start", pct_start, 0, 1)
        self.anneal_strategy = v.choice("anneal_strategy", anneal_strategy, ("cos", "linear"))
        self.div_factor = v.number("div_factor", div_factor, 0, low_open=True)
        self.final_div_factor = v.number("final_div_factor", final_div_factor, 0, low_open=True)
        self.three_phase = v.flag("three_phase", three_phase)

    def _phases(self, values):
        """(end step, start value, end value) of each phase, with the phase ends exactly as
        torch computes them; ``values`` gives (start, end) of each phase."""
        T, p = self.total_steps, self.pct_start
        ends = [float(p * T) - 1, float(2 * p * T) - 2, T - 1] if self.three_phase else [float(p * T) - 1, T - 1]
        return [(end, a, b) for end, (a, b) in zip(ends, values)]

    def _anneal(self, a, b, pct):
        if self.anneal_strategy == "cos":
            return b + (a - b) / 2.0 * (np.cos(np.pi * pct) + 1)
        return (b - a) * pct + a

    def _piecewise(self, t, phases):
        """Anneal from phase to phase; steps past the end hold the last value."""
        t = np.minimum(t, self.total_steps - 1)
        out = np.zeros(t.shape)
        done = np.zeros(t.shape, dtype=bool)
        start = 0.0
        for i, (end, a, b) in enumerate(phases):
            here = ~done & ((t <= end) | (i == len(phases) - 1))
            pct = (t - start) / (end - start) if end != start else np.ones(t.shape)
            out = np.where(here, self._anneal(a, b, pct), out)
            done |= here
            start = end
        return out

    def _lr(self, t):
        initial = self.max_lr / self.div_factor
        lowest = initial / self.final_div_factor
        if self.three_phase:
            values = [(initial, self.max_lr), (self.max_lr, initial), (initial, lowest)]
        else:
            values = [(initial, self.max_lr), (self.max_lr, lowest)]
        return self._piecewise(t, self._phases(values))

    def momentum(self, t, base_momentum=0.85, max_momentum=0.95):
        """The momentum (or Adam's beta1) torch's OneCycleLR sets at step ``t`` by default
        (``cycle_momentum=True``): it moves against the rate, from ``max_momentum`` down to
        ``base_momentum`` while the rate rises and back up while it falls (three_phase: back
        up, then held). Same calling convention as the schedule itself."""
        base = v.number("base_momentum", base_momentum, 0, 1)
        top = v.number("max_momentum", max_momentum, 0, 1)
        values = [(top, base), (base, top), (top, top)] if self.three_phase else [(top, base), (base, top)]
        return self._evaluate(t, lambda flat: self._piecewise(flat, self._phases(values)))


class warmup(Schedule):
    """Linear warmup in front of another schedule.

    ``s(t) = schedule(0) * (start_factor + (1 - start_factor) * t / warmup_steps)`` for
    ``t < warmup_steps``, then ``s(t) = schedule(t - warmup_steps)``: the wrapped schedule
    starts from its own step 0 when the warmup ends.
    Goyal et al. 2017, "Accurate, Large Minibatch SGD: Training ImageNet in 1 Hour".
    torch (for start_factor > 0): ``SequentialLR(opt, [LinearLR(opt, start_factor, 1.0,
    warmup_steps), S], milestones=[warmup_steps])``. torch ramps up to the optimizer's lr,
    not to S's first value, so the two agree when ``schedule(0) == lr`` (not, e.g., for a
    LinearLR S with start_factor < 1 or a MultiStepLR S with a milestone at 0).
    """

    _args = ("schedule", "warmup_steps", "start_factor")

    def __init__(self, schedule, warmup_steps, start_factor=0.0):
        self.schedule = _is_schedule("schedule", schedule)
        self.warmup_steps = v.integer("warmup_steps", warmup_steps, 0)
        self.start_factor = v.number("start_factor", start_factor, 0, 1)

    def _lr(self, t):
        w, f = self.warmup_steps, self.start_factor
        after = np.asarray(self.schedule(np.maximum(t - w, 0)), dtype=np.float64)
        if w == 0:
            return after
        ramp = np.asarray(self.schedule(np.zeros_like(t)), dtype=np.float64) * (f + (1 - f) * t / w)
        return np.where(t < w, ramp, after)


class sequential(Schedule):
    """Schedules one after another: ``schedules[k]`` runs from ``milestones[k-1]`` on.

    ``s(t) = schedules[k](t - milestones[k-1])`` where k is the number of milestones <= t
    (and milestones[-1] means 0): each later schedule starts from its own step 0 at its
    milestone. Milestones are non-decreasing steps >= 0, one fewer than schedules.
    torch: ``SequentialLR(opt, schedulers, milestones)`` (where all schedulers share the
    optimizer's lr; here each schedule carries its own).
    """

    _args = ("schedules", "milestones")

    def __init__(self, schedules, milestones):
        if isinstance(schedules, (str, bytes)) or not hasattr(schedules, "__iter__"):
            raise TypeError(f"schedules must be a list of schedules, "
                            f"got {type(schedules).__name__} {schedules!r}")
        self.schedules = tuple(_is_schedule(f"schedules[{i}]", s) for i, s in enumerate(schedules))
        if not self.schedules:
            raise ValueError(f"schedules must hold at least one schedule, got {schedules!r}")
        self.milestones = _milestones("milestones", milestones, sort_check=True)
        if len(self.milestones) != len(self.schedules) - 1:
            raise ValueError(f"milestones must have one entry fewer than schedules "
                             f"({len(self.schedules) - 1}), got {len(self.milestones)}")

    def _lr(self, t):
        k = np.searchsorted(np.array(self.milestones, dtype=np.int64), t, side="right")
        starts = np.array((0,) + self.milestones, dtype=np.int64)[k]
        lr = np.zeros(t.shape)
        for i, s in enumerate(self.schedules):
            mine = k == i
            if mine.any():
                lr[mine] = s(t[mine] - starts[mine])
        return lr


class chained(_Recursive):
    """Schedules applied together, as torch's ``ChainedScheduler`` steps its schedulers in turn.

    All schedules share one ``lr`` (in torch they drive one optimizer). At step 0, then at every
    step, each schedule in order updates the current rate the way its torch scheduler does:

    * ``constant``, ``constant_lr``, ``step``, ``multistep``, ``exponential``, ``linear`` and
      ``polynomial`` multiply it by the change of their own factor, so a chain of these is the
      product ``s(t) = lr * factor_1(t) * factor_2(t) * ...`` (computed in closed form), e.g.
      ``chained([constant_lr(lr, 0.1, 5), exponential(lr, 0.9)])(t) = lr * 0.9**t * (0.1 if t < 5 else 1)``;
    * ``cosine`` and ``multiplicative`` update it recursively from the current rate (torch's
      ``CosineAnnealingLR`` also adds a step computed from ``lr`` when it leaves ``eta_min``);
    * ``lambda_lr`` and ``cosine_warm_restarts`` set it from ``lr``, discarding what the
      schedules before them did at that step.

    With a schedule of the last two kinds the rates are computed step by step (up to
    ``MAX_RECURSIVE_STEP``). A ``chained`` inside the list is spliced in.
    torch: ``ChainedScheduler([S_1, S_2, ...])`` with the schedulers created in this order.
    """

    _args = ("schedules",)
    _kinds = (constant, constant_lr, step, multistep, exponential, linear, polynomial, cosine,
              cosine_warm_restarts, lambda_lr, multiplicative)

    def __init__(self, schedules):
        if isinstance(schedules, (str, bytes)) or not hasattr(schedules, "__iter__"):
            raise TypeError(f"schedules must be a list of schedules, "
                            f"got {type(schedules).__name__} {schedules!r}")
        self.schedules = tuple(schedules)
        parts = []
        for i, s in enumerate(self.schedules):
            if isinstance(s, chained):
                parts.extend(s._parts)
            elif isinstance(s, self._kinds):
                parts.append(s)
            else:
                names = ", ".join(k.__name__ for k in self._kinds)
                raise TypeError(f"schedules[{i}] must be one of the schedules torch can chain ({names}, "
                                f"chained), got {type(s).__name__} {s!r}")
        if not parts:
            raise ValueError(f"schedules must hold at least one schedule, got {schedules!r}")
        rates = {s.lr for s in parts}
        if len(rates) > 1:
            raise ValueError(f"schedules must all have the same lr (torch chains the schedulers of one "
                             f"optimizer), got lr = {sorted(rates)}")
        self._parts = tuple(parts)
        self.lr = parts[0].lr
        self._closed = all(isinstance(s, _Factor) for s in parts)

    def _lr(self, t):
        if self._closed:
            out = np.full(t.shape, self.lr)
            for s in self._parts:
                out = out * s._factor(t)
            return out
        return super()._lr(t)

    def _next(self, t, lr):
        lr = self.lr if t == 0 else lr
        for s in self._parts:
            lr = s._torch_step(t, lr)
        return lr


class wsd(Schedule):
    """Warmup-stable-decay: linear 0 -> lr, flat at lr, a cool-down lr -> final_lr at the end.

    With w = warmup_steps, d = decay_steps, D = total_steps - d (the decay start) and
    u = min(t - D, d) / d the fraction of the cool-down done:
    ``s(t) = lr * t / w`` for t < w, ``lr`` for w <= t < D, and
    ``final_lr + (lr - final_lr) * c(u)`` for t >= D, so ``s(total_steps) = final_lr``,
    held afterwards. Needs w + d <= total_steps. The cool-down's ``shape`` c(u):

    - ``"linear"``: ``1 - u``;
    - ``"1-sqrt"``: ``1 - sqrt(u)`` (drops fast, then slowly: Hägele et al. 2024, "Scaling Laws
      and Compute-Optimal Training Beyond Fixed Training Durations", found it better than linear);
    - ``"cosine"``: ``(1 + cos(pi u)) / 2``.

    Hu et al. 2024, "MiniCPM: Unveiling the Potential of Small Language Models with Scalable
    Training Strategies" (their decay was exponential). Because the stable phase does not depend
    on the horizon, a cool-down can branch off a constant-rate run at any step.
    torch has no class; for the linear shape, decay_steps >= 1 and final_lr <= lr it is
    ``SequentialLR(opt, [LinearLR(opt, eps, 1.0, w), ConstantLR(opt, 1.0), LinearLR(opt, 1.0,
    final_lr / lr, d)], milestones=[w, D])`` with eps -> 0 (torch needs start_factor > 0).
    """

    _args = ("lr", "total_steps", "warmup_steps", "decay_steps", "final_lr", "shape")
    shapes = ("linear", "1-sqrt", "cosine")

    def __init__(self, lr, total_steps, warmup_steps, decay_steps, final_lr=0.0, shape="linear"):
        self.lr = v.number("lr", lr, 0)
        self.total_steps = v.integer("total_steps", total_steps, 1)
        self.warmup_steps = v.integer("warmup_steps", warmup_steps, 0, self.total_steps)
        self.decay_steps = v.integer("decay_steps", decay_steps, 0, self.total_steps)
        self.final_lr = v.number("final_lr", final_lr, 0)
        if self.warmup_steps + self.decay_steps > self.total_steps:
            raise ValueError(
                f"warmup_steps + decay_steps must be <= total_steps ({self.total_steps}), "
                f"got {self.warmup_steps} + {self.decay_steps}")
        self.shape = v.choice("shape", shape, self.shapes)

    def _lr(self, t):
        w, d, lr = self.warmup_steps, self.decay_steps, self.lr
        decay_start = self.total_steps - d
        s = np.where(t < w, lr * t / max(w, 1), lr)
        if d == 0:
            return np.where(t >= decay_start, self.final_lr, s)
        u = np.clip((t - decay_start) / d, 0.0, 1.0)
        if self.shape == "linear":
            c = 1 - u
        elif self.shape == "1-sqrt":
            c = 1 - np.sqrt(u)
        else:
            c = (1 + np.cos(np.pi * u)) / 2
        decay = self.final_lr + (lr - self.final_lr) * c
        return np.where(t >= decay_start, decay, s)


class ReduceLROnPlateau:
    """Cut the rate by ``factor`` when a metric stops improving; ``.step(metrics)`` -> new lr.

    After each ``step(metrics)``: the metric counts as better when it beats the best so far
    by the threshold (mode "min", "rel": ``metric < best * (1 - threshold)``; "abs":
    ``metric < best - threshold``; mirrored for "max"), which resets the count of bad
    steps; otherwise that count grows. When it exceeds ``patience`` the rate becomes
    ``max(lr * factor, min_lr)`` (only if that lowers it by more than ``eps``), then the next
    ``cooldown`` steps ignore bad steps. A NaN metric is never better. ``.lr`` is the
    current rate (units: per optimizer step; the metric is usually measured per epoch).
    torch: ``ReduceLROnPlateau(opt, mode, factor, patience, threshold, threshold_mode,
    cooldown, min_lr, eps)`` for one parameter group; identical numbers.
    """

    _args = ("initial_lr", "mode", "factor", "patience", "threshold", "threshold_mode",
             "cooldown", "min_lr", "eps")

    def __init__(self, lr, mode="min", factor=0.1, patience=10, threshold=1e-4,
                 threshold_mode="rel", cooldown=0, min_lr=0.0, eps=1e-8):
        self.initial_lr = v.number("lr", lr, 0)
        self.mode = v.choice("mode", mode, ("min", "max"))
        self.factor = v.number("factor", factor, 0, 1, high_open=True)
        self.patience = v.integer("patience", patience, 0)
        self.threshold = v.number("threshold", threshold, 0)
        self.threshold_mode = v.choice("threshold_mode", threshold_mode, ("rel", "abs"))
        self.cooldown = v.integer("cooldown", cooldown, 0)
        self.min_lr = v.number("min_lr", min_lr, 0)
        self.eps = v.number("eps", eps, 0)
        self.lr = self.initial_lr
        self.best = np.inf if self.mode == "min" else -np.inf
        self.num_bad_epochs = 0
        self.cooldown_counter = 0
        self.last_epoch = 0

    def is_better(self, metric):
        """True when ``metric`` improves on ``self.best`` by more than the threshold."""
        if self.mode == "min" and self.threshold_mode == "rel":
            return metric < self.best * (1.0 - self.threshold)
        if self.mode == "min":
            return metric < self.best - self.threshold
        if self.threshold_mode == "rel":
            return metric > self.best * (self.threshold + 1.0)
        return metric > self.best + self.threshold

    def step(self, metrics):
        """Record one metric value (e.g. a validation loss); return the rate to use next.

        The argument is called ``metrics``, as in torch (``scheduler.step(metrics=val_loss)``)."""
        if isinstance(metrics, np.ndarray) and metrics.ndim == 0:
            metrics = metrics.item()
        if isinstance(metrics, (float, np.floating)) and not np.isfinite(metrics):
            current = float(metrics)  # a diverged run's NaN/inf loss is a result, not an error
        else:
            current = v.number("metrics", metrics)
        self.last_epoch += 1
        if self.is_better(current):
            self.best = current
            self.num_bad_epochs = 0
        else:
            self.num_bad_epochs += 1
        if self.cooldown_counter > 0:
            self.cooldown_counter -= 1
            self.num_bad_epochs = 0  # bad steps during cooldown do not count
        if self.num_bad_epochs > self.patience:
            new_lr = max(self.lr * self.factor, self.min_lr)
            if self.lr - new_lr > self.eps:
                self.lr = new_lr
            self.cooldown_counter = self.cooldown
            self.num_bad_epochs = 0
        return self.lr

    def __repr__(self):
        args = ", ".join(f"{name}={getattr(self, name)!r}" for name in self._args[1:])
        return f"ReduceLROnPlateau(lr={self.initial_lr!r}, {args})"
