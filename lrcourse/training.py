"""The one training loop: ``run(problem, optimizer, steps)``.

Every lesson trains through this function. It runs one setting, or K settings side by side
when a hyperparameter of the optimizer is a ``(K,)`` array (or ``x0`` carries a leading K
axis): a sweep over a thousand learning rates is one call and one array computation per
step.

Divergence is a result, not a crash: a setting whose loss stops being finite or grows past
``1e8 * max(|loss[0]|, 1e-12)`` is recorded in ``History.diverged_at`` and frozen there; no
numpy warning escapes.

Speed: the arguments are checked once per run, not at every step: before the loop, and the
problem's gradient at the first step. A built-in problem of :mod:`lrcourse.problems` is
evaluated through its formulas, without the checks of x its public ``loss`` and ``grad`` make
at every call (x is checked once, by the first loss). An optimizer of
:mod:`lrcourse.optimizers` is stepped through its update rule ``_update`` directly (its
``step`` is that rule plus the checks of its arguments); every rate of a schedule is computed
and checked before the loop. With every step's parameters kept (the default for arrays),
divergence is read off the losses and parameters once after the loop. A diverged setting
keeps being stepped (on meaningless numbers, without warnings) and is frozen in the record at
the end, which costs nothing per step. ``benchmarks/sweep.py`` measures what is left against a
bare numpy loop.
"""
from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from . import _validate as v
from . import problems
from .optimizers import Optimizer, _leaves
from .schedules import Schedule

__all__ = ["run", "History", "DIVERGENCE_FACTOR"]

#: A loss above this many times the starting loss (or non-finite) counts as diverged.
DIVERGENCE_FACTOR = 1e8

_quiet = dict(over="ignore", invalid="ignore", divide="ignore", under="ignore")
_FLOAT = np.dtype(np.float64)
_BIGGEST = np.finfo(float).max


@dataclass
class History:
    """What :func:`run` saw.

    Attributes
    ----------
    loss : array (steps+1,) or (steps+1, K): the loss at the start and after each step;
        ``inf`` from one step after a setting diverged.
    params : array (steps+1, [K,] dim), or a dict of such arrays for layered parameters,
        or None when ``keep_params=False``.
    final : the parameters after the last step (array or dict), diverged settings frozen.
    lr : array (steps,) or (steps, K): the learning rate each step used (a dict of such
        arrays when the optimizer was a dict of per-layer optimizers).
    diverged_at : int, or int array (K,): first step t >= 1 that diverged, else -1.
    loss_steps : int array: the step of each row of ``loss`` (``arange(steps+1)`` unless
        ``run(..., loss_every=k)`` recorded fewer).
    """

    loss: np.ndarray
    params: object
    final: object
    lr: object
    diverged_at: object
    loss_steps: object = None

    @property
    def diverged(self):
        """True (or a (K,) bool array) where the run diverged."""
        return np.asarray(self.diverged_at) >= 0

    @property
    def steps(self):
        """The number of steps the run took."""
        return int(self.loss_steps[-1]) if self.loss_steps is not None else self.loss.shape[0] - 1


def _settings_from(optimizer):
    opts = optimizer.values() if isinstance(optimizer, dict) else [optimizer]
    ks = {o.n_settings for o in opts if getattr(o, "n_settings", None) is not None}
    if len(ks) > 1:
        raise ValueError(f"optimizer: per-layer optimizers disagree on the number of settings K: {sorted(ks)}")
    return ks.pop() if ks else None


def _check_optimizer(optimizer):
    opts = optimizer.values() if isinstance(optimizer, dict) else [optimizer]
    for o in opts:
        if not (callable(getattr(o, "init", None)) and callable(getattr(o, "step", None))):
            raise TypeError(
                f"optimizer must have init(params) and step(params, grads, state) "
                f"(e.g. lrcourse.optimizers.sgd(0.1)), got {type(o).__name__}"
            )


def _start(problem, x0, K):
    """The starting parameters: x0 (or problem.x0) broadcast to a leading K axis if needed."""
    ref_tree = getattr(problem, "x0", x0)
    base = ref_tree if x0 is None else x0

    def leaf(ref, a, name):
        a = np.array(v.array(name, a))  # a fresh float copy: run never shares memory with x0
        ref = np.shape(ref)
        if K is not None and a.shape == ref:
            return np.broadcast_to(a, (K,) + ref).copy()
        allowed = [ref] if K is None else [(K,) + ref]
        if a.shape not in allowed:
            shapes = " or ".join(str(s) for s in ([ref] + allowed if K is not None else allowed))
            raise ValueError(f"{name} must have shape {shapes}, got shape {a.shape}")
        return a

    if isinstance(ref_tree, dict):
        if not isinstance(base, dict) or set(base) != set(ref_tree):
            raise ValueError(f"x0 must be a dict with the keys {sorted(ref_tree)}, got {type(base).__name__}")
        return {k: leaf(ref_tree[k], base[k], f"x0[{k!r}]") for k in ref_tree}
    if isinstance(base, dict):
        raise TypeError(f"x0 must be an array like problem.x0, got a dict with keys {sorted(base)}")
    return leaf(ref_tree, base, "x0")


def _loss(loss, shape):
    """A loss returned by the problem, as a float array of the settings' shape (() or (K,))."""
    if shape and type(loss) is np.ndarray and loss.shape == shape and loss.dtype is _FLOAT:
        return loss  # the common case, checked fast
    if not shape and isinstance(loss, float):
        return float(loss)
    loss = np.asarray(loss, dtype=float)
    if loss.shape != shape and loss.size != (shape[0] if shape else 1):
        raise ValueError(f"problem.loss(x) must return one loss per setting, shape {shape}, got shape {loss.shape}")
    return loss.reshape(shape) if shape else float(loss.reshape(()))


def _grads(g, x):
    """problem.grad(x) checked against the parameters x: float arrays of the same shapes."""
    if isinstance(x, dict):
        if isinstance(g, dict) and g.keys() == x.keys() and all(
                type(g[k]) is np.ndarray and g[k].dtype is _FLOAT and g[k].shape == x[k].shape for k in x):
            return g
        return dict(zip(x, _leaves(g, "problem.grad(x)", like=x)))
    if type(g) is np.ndarray and g.dtype is _FLOAT and g.shape == x.shape:
        return g  # the common case, checked fast
    return _leaves(g, "problem.grad(x)", like=x)[0]


def _rates(opt, steps):
    """Every step's rate of an lrcourse optimizer with a schedule, shape (steps,) or (steps, K).

    One vectorised call for an lrcourse schedule (it gives the numbers ``lr(k)`` gives one by
    one), else one call per step; checked once: numbers >= 0 (else ``lr_at(k)`` names the step).
    """
    lr = opt.lr
    if isinstance(lr, Schedule) and type(lr).__call__ is Schedule.__call__:
        rates = lr(np.arange(steps))
    else:
        values = [lr(k) for k in range(steps)]
        rates = np.array(values) if all(isinstance(r, float) for r in values) else None
    if rates is not None and rates.shape == (steps,) and np.all(rates >= 0) and np.all(np.isfinite(rates)):
        return rates
    return np.array([opt.lr_at(k) for k in range(steps)], dtype=float)


class _Plan:
    """One optimizer and the part of the parameters it moves (``key``: one layer, or None: all).

    ``Optimizer.step(params, grads, state)`` checks its arguments, reads the rate ``lr_at(k)``
    and applies the update rule ``_update(p, g, s, k, h)`` to each parameter array. Here the
    checks happen once (``init``, the rates up front, the gradients in ``run``) and each step
    calls ``_update`` alone, with hyperparameters ``h`` built once (a schedule's rate of step
    t is written into ``h.lr``). Any other object with ``init`` and ``step`` (or a subclass
    with its own ``step`` or ``lr_at``) goes through its ``step`` and ``lr_at`` every step.
    ``step(t, params, grads)`` returns the new parameters after step t (params, grads: this
    optimizer's part); it is one of the three methods below, chosen once.
    """

    def __init__(self, opt, params, key, steps):
        self.opt, self.key = opt, key
        state = opt.init(params)
        cls = type(opt)
        self.direct = (isinstance(opt, Optimizer) and cls.step is Optimizer.step and cls.lr_at is Optimizer.lr_at
                       and isinstance(state, dict) and state.get("step") == 0)
        if not self.direct:
            self.state, self.rates = state, []
            self.step = self._step_any
            return
        self.update = opt._update
        self.rates = _rates(opt, steps) if callable(opt.lr) else None
        lr = opt.lr if self.rates is None else 0.0  # (a schedule's rate is set at every step)
        buffers = opt.buffers
        if isinstance(params, dict):
            self.state = {n: {b: state[b][n] for b in buffers} for n in params}
            self.h = {n: opt._hypers(p.ndim, lr) for n, p in params.items()}
            self.columns = None if self.rates is None else {n: self._columns(p.ndim) for n, p in params.items()}
            self.step = self._step_layers
        else:
            self.state = {b: state[b] for b in buffers}
            self.h = opt._hypers(params.ndim, lr)
            self.columns = None if self.rates is None else self._columns(params.ndim)
            self.step = self._step_array

    def _columns(self, ndim):
        """The rates of a schedule, shaped so that ``columns[t]`` is step t's ``h.lr`` for ``ndim`` axes."""
        if self.rates.ndim == 1:  # one setting: step t's rate as a number
            return self.rates
        return self.rates.reshape(self.rates.shape + (1,) * (ndim - 1))  # (steps, K, 1, ...)

    def _step_array(self, t, params, grads):
        h = self.h
        if self.columns is not None:
            h.lr = self.columns[t]
        new, self.state = self.update(params, grads, self.state, t, h)
        return new

    def _step_layers(self, t, params, grads):
        new = {}
        for n in params:
            h = self.h[n]
            if self.columns is not None:
                h.lr = self.columns[n][t]
            new[n], self.state[n] = self.update(params[n], grads[n], self.state[n], t, h)
        return new

    def _step_any(self, t, params, grads):
        self.rates.append(self.opt.lr_at(t))
        new, self.state = self.opt.step(params, grads, self.state)
        return new

    def lr_record(self, steps, shape):
        """The rate of every step, shape (steps,) + shape."""
        out = np.empty((steps,) + shape)
        if self.direct and self.rates is None:
            out[...] = self.opt.lr_at(0)
        else:
            rates = np.asarray(self.rates, dtype=float)  # (steps,) or (steps, K)
            out[...] = rates.reshape((steps,) + (1,) * len(shape)) if rates.ndim == 1 else rates
        return out


def run(problem, optimizer, steps, x0=None, *, seed=0, keep_params=None, progress=None, loss_every=1):
    """Train ``problem`` with ``optimizer`` for ``steps`` steps and record what happened.

    Parameters
    ----------
    problem : object with ``loss(x)``, ``grad(x)`` and ``x0`` (see :mod:`lrcourse.problems`);
        if it has ``stochastic_grad(x, rng)`` that is used for the updates instead of ``grad``.
    optimizer : an optimizer from :mod:`lrcourse.optimizers`, or for dict parameters a dict
        ``{name: optimizer}`` giving each layer its own (e.g. discriminative) rate.
    steps : int >= 0, the number of updates.
    x0 : start, shape (dim,) or (K, dim) (default ``problem.x0``); broadcast to K settings.
    seed : int, seeds the noise of ``stochastic_grad`` (same seed, same run).
    keep_params : keep every step's parameters (default: True for arrays, False for dicts).
    progress : show a tqdm progress bar; default None shows one only if the run lasts > 1 s.
    loss_every : int >= 1, record the (full) loss only every ``loss_every`` steps and after
        the last one. For a network on a data set the full loss costs more than the step
        itself; a training loop that reports it once an epoch does this. Between records a
        setting counts as diverged as soon as its parameters stop being finite.
        ``History.loss_steps`` tells which steps the rows of ``loss`` belong to.

    Returns
    -------
    History
    """
    if not (callable(getattr(problem, "loss", None)) and callable(getattr(problem, "grad", None))):
        raise TypeError(f"problem must have loss(x) and grad(x) methods (e.g. lrcourse.problems.parabola()), "
                        f"got {type(problem).__name__}")
    if not hasattr(problem, "x0") and x0 is None:
        raise TypeError(f"problem must have an x0 attribute (or pass x0), got {type(problem).__name__}")
    _check_optimizer(optimizer)
    steps = v.integer("steps", steps, 0)
    seed = v.integer("seed", seed, 0)
    loss_every = v.integer("loss_every", loss_every, 1)
    if progress is not None:
        progress = v.flag("progress", progress)
    ref = getattr(problem, "x0", x0)
    if isinstance(optimizer, dict) and not isinstance(ref, dict):
        raise TypeError("optimizer may be a dict of per-layer optimizers only for dict parameters")

    K = _settings_from(optimizer)
    if K is None and x0 is not None and not isinstance(x0, dict) and not isinstance(ref, dict):
        start = v.array("x0", x0)
        if start.ndim == np.ndim(ref) + 1 and hasattr(problem, "x0"):
            K = start.shape[0]  # x0 of shape (K, dim): K starts, one setting each
    x = _start(problem, x0, K)
    is_tree = isinstance(x, dict)
    if keep_params is None:
        keep_params = not is_tree
    keep_params = v.flag("keep_params", keep_params)

    if isinstance(optimizer, dict):
        if set(optimizer) != set(x):
            raise ValueError(f"optimizer dict must have the parameter names {sorted(x)}, got {sorted(optimizer)}")
        plans = [_Plan(o, x[k], k, steps) for k, o in optimizer.items()]
    else:
        plans = [_Plan(optimizer, x, None, steps)]
    single = plans[0] if len(plans) == 1 and plans[0].key is None else None

    # A built-in problem's formulas without its checks of x (problems._fast_path): x is checked
    # once by the first problem.loss(x), and stays a float array of that shape while only
    # lrcourse optimizers' update rules move it.
    fast = None if is_tree or not all(plan.direct for plan in plans) else problems._fast_path(problem)
    loss_of = problem.loss if fast is None else fast[0]
    if hasattr(problem, "stochastic_grad"):
        rng = np.random.default_rng(seed)
        gradient = lambda p: problem.stochastic_grad(p, rng)  # noqa: E731
    else:
        gradient = problem.grad if fast is None else fast[1]
    shape = () if K is None else (K,)
    loss_steps = np.arange(0, steps + 1, loss_every)  # the steps whose loss is recorded
    if loss_steps[-1] != steps:
        loss_steps = np.append(loss_steps, steps)
    rows = loss_steps.tolist() + [-1]  # (as Python ints: compared at every step; -1: no more)
    losses = np.empty((len(loss_steps),) + shape)
    record = _Record(x, shape, keep_params)
    path = record.path

    with np.errstate(**_quiet):
        losses[0] = loss0 = _loss(problem.loss(x), shape)
        limit = DIVERGENCE_FACTOR * np.maximum(np.abs(loss0), 1e-12)  # (a loss may be negative)
        limit = np.minimum(limit, _BIGGEST)  # so that |loss| <= limit is False for inf (and NaN)
        if not shape:
            limit = float(limit)  # one setting: the checks below compare Python floats
        row = 1  # the row of losses to fill next, at step rows[row]
        bar = _Bar(steps, progress) if progress is not False and steps else None
        check_grads = True
        lean = single is not None and single.step == single._step_array  # one lrcourse optimizer, one array
        if lean:  # the common case: its update rule is called right here (what _step_array does)
            update, h, columns, state = single.update, single.h, single.columns, single.state
        for t in range(steps):
            g = gradient(x)
            if check_grads:  # at step 0; later only if step 0's needed converting (e.g. lists or ints)
                checked = _grads(g, x)
                check_grads, g = checked is not g, checked
            if lean:
                if columns is not None:
                    h.lr = columns[t]
                x, state = update(x, g, state, t, h)
            elif single is not None:
                x = single.step(t, x, g)
            else:
                x = dict(x)
                for plan in plans:
                    x[plan.key] = plan.step(t, x[plan.key], g[plan.key])
            recorded = t + 1 == rows[row]
            if recorded:
                loss = loss_of(x)
                if shape or type(loss) is not np.float64:  # (one setting's loss as numpy gives it: nothing to check)
                    loss = _loss(loss, shape)
                losses[row] = loss
                row += 1
            if path is not None:
                path.append(x)  # (divergence is read off these and the losses after the loop)
            else:
                record.watch(t + 1, abs(loss) <= limit if recorded else ~_nonfinite(x, shape), x)
            if bar is not None:
                bar.update(t)
        if bar is not None:
            bar.close()
        if path is not None:
            record.find(losses, loss_steps, limit)

    lr = {p.key: p.lr_record(steps, shape) for p in plans}
    lr = lr if isinstance(optimizer, dict) else lr[None]
    diverged_at = record.diverged_at
    params, final = record.result(x)
    if (diverged_at >= 0).any():  # the diverged settings' losses: inf after their step, and a NaN there too
        dead = np.atleast_1d(diverged_at >= 0)
        by_setting = losses.reshape(len(loss_steps), -1)  # a view, one column per setting
        gone = by_setting[:, dead]
        gone[loss_steps[:, None] > np.atleast_1d(diverged_at)[dead]] = np.inf
        gone[1:][np.isnan(gone[1:])] = np.inf
        by_setting[:, dead] = gone
    return History(
        loss=losses,
        params=params,
        final=final,
        lr=lr,
        diverged_at=int(diverged_at) if K is None else diverged_at,
        loss_steps=loss_steps,
    )


class _Record:
    """The parameters of every step (if kept), where each setting diverged, and its parameters there.

    A setting diverged at the first step t >= 1 whose recorded loss is not within ``limit``
    (NaN and inf are not), or, at a step whose loss was not recorded, whose parameters are not
    all finite. With every step's parameters kept, ``find`` reads that off the losses and the
    parameters once after the loop, which costs nothing per step; else ``watch`` checks each
    step as it comes and keeps a copy of the parameters where a setting diverged.
    """

    def __init__(self, x, shape, keep):
        self.shape, self.path, self.frozen = shape, ([x] if keep else None), None
        self.params = None
        self.diverged_at = np.full(shape, -1)  # () or (K,): the step each setting diverged at, else -1

    def watch(self, step, ok, x):
        """After ``step``: ``ok`` tells which settings are still fine (a bool, or (K,) bools)."""
        new = np.logical_not(ok) & (self.diverged_at < 0)  # a diverged setting stays diverged
        if new.any():
            self.diverged_at[new] = step
            if self.frozen is None:
                self.frozen = _tree_map(np.copy, x)
            elif self.shape:
                for name, a in (x.items() if isinstance(x, dict) else [(None, x)]):
                    (self.frozen[name] if name is not None else self.frozen)[new] = a[new]

    def find(self, losses, loss_steps, limit):
        """After the loop, with every step's parameters kept: the same as ``watch`` at every step."""
        path = self.path
        self.params = params = ({k: np.stack([p[k] for p in path]) for k in path[0]} if isinstance(path[0], dict)
                                else np.stack(path))
        bad = ~(np.abs(losses) <= limit)  # at the steps whose loss was recorded (NaN is not <= limit)
        if len(loss_steps) < len(path):  # in between: parameters that are not all finite
            between = _nonfinite(params, (len(path),) + self.shape)
            between[loss_steps] = bad
            bad = between
        bad[0] = False
        if not bad.any():
            return  # (diverged_at stays -1 everywhere)
        self.diverged_at = at = np.where(bad.any(axis=0), bad.argmax(axis=0), -1)
        if not self.shape:
            self.frozen = _tree_map(lambda a: a[at], params)
        else:  # setting i's row at[i] (any row for the settings that did not diverge: unused)
            self.frozen = _tree_map(lambda a: a[np.maximum(at, 0), np.arange(len(at))], params)

    def result(self, x):
        """(params, final), every diverged setting frozen at its step."""
        diverged_at = self.diverged_at
        dead = diverged_at >= 0
        params = self.params
        if not dead.any():
            return params, x
        final = _tree_map(lambda a, f: _where(dead, f, a), x, self.frozen)
        if params is not None and not self.shape:
            params = _tree_map(lambda a, f: _where(np.arange(len(a)) > diverged_at, f, a), params, self.frozen)
        elif params is not None:  # only the diverged settings' columns
            after = np.arange(len(self.path))[:, None] > diverged_at[dead]

            def fix(a, f):
                a[:, dead] = _where(after, f[dead], a[:, dead])
                return a

            params = _tree_map(fix, params, self.frozen)
        return params, final


def _where(mask, a, b):
    """a where mask (of shape () or (..., K)) is True, else b; mask broadcast over the parameter axes."""
    return np.where(mask.reshape(mask.shape + (1,) * (np.ndim(b) - mask.ndim)), a, b)


def _tree_map(f, *trees):
    first = trees[0]
    if isinstance(first, dict):
        return {k: f(*(t[k] for t in trees)) for k in first}
    return f(*trees)


def _nonfinite(x, shape):
    """Per setting (shape ``shape``): does any parameter hold a NaN or an infinity?"""
    leaves = x.values() if isinstance(x, dict) else [x]
    bad = np.zeros(shape, dtype=bool)
    for a in leaves:
        bad |= ~np.isfinite(a).reshape(shape + (-1,)).all(axis=-1)
    return bad


class _Bar:
    """A tqdm bar: shown from the start with ``progress=True``, else (None) once the run has taken 1 s."""

    def __init__(self, steps, progress):
        self.steps, self.bar, self.start = steps, None, time.perf_counter()
        if progress:
            self._open()

    def _open(self):
        from tqdm.auto import tqdm

        self.bar = tqdm(total=self.steps, unit="step", leave=False)

    def update(self, t):
        """Step t (from 0) is done."""
        if self.bar is not None:
            self.bar.update(1)
        elif time.perf_counter() - self.start > 1.0:
            self._open()
            self.bar.update(t + 1)

    def close(self):
        if self.bar is not None:
            self.bar.close()
