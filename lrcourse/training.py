"""The one training loop: ``run(problem, optimizer, steps)``.

Every lesson trains through this function. It runs one setting, or K settings side by side
when a hyperparameter of the optimizer is a ``(K,)`` array (or ``x0`` carries a leading K
axis): a sweep over a thousand learning rates is one call and one array computation per
step.

Divergence is a result, not a crash: a setting whose loss stops being finite or grows past
``1e8 * max(|loss[0]|, 1e-12)`` is recorded in ``History.diverged_at`` and frozen there; no
numpy warning escapes.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import _validate as v

__all__ = ["run", "History", "DIVERGENCE_FACTOR"]

#: A loss above this many times the starting loss (or non-finite) counts as diverged.
DIVERGENCE_FACTOR = 1e8

_quiet = dict(over="ignore", invalid="ignore", divide="ignore", under="ignore")


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


def _tree_map(f, *trees):
    first = trees[0]
    if isinstance(first, dict):
        return {k: f(*(t[k] for t in trees)) for k in first}
    return f(*trees)


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


def _loss(problem, x, shape):
    """problem.loss(x) as a float array of the settings' shape (() or (K,))."""
    loss = np.asarray(problem.loss(x), dtype=float)
    if loss.shape != shape and loss.size != (shape[0] if shape else 1):
        raise ValueError(f"problem.loss(x) must return one loss per setting, shape {shape}, got shape {loss.shape}")
    return loss.reshape(shape)


def _lr_at(optimizer, t):
    if isinstance(optimizer, dict):
        return {k: o.lr_at(t) for k, o in optimizer.items()}
    return optimizer.lr_at(t)


def _select(mask, new, old):
    """Keep ``old`` where ``mask`` (shape (K,) or ()) is True, else take ``new``."""

    def leaf(n, o):
        m = mask.reshape(mask.shape + (1,) * (np.ndim(n) - mask.ndim))
        return np.where(m, o, n)

    return _tree_map(leaf, new, old)


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
        state = {k: o.init(x[k]) for k, o in optimizer.items()}
    else:
        state = optimizer.init(x)

    rng = np.random.default_rng(seed)
    gradient = (lambda p: problem.stochastic_grad(p, rng)) if hasattr(problem, "stochastic_grad") else problem.grad
    shape = () if K is None else (K,)

    with np.errstate(**_quiet):
        loss0 = _loss(problem, x, shape)
        limit = DIVERGENCE_FACTOR * np.maximum(np.abs(loss0), 1e-12)  # (a loss may be negative)
        loss_steps = np.unique(np.r_[np.arange(0, steps + 1, loss_every), steps])
        losses = np.empty((loss_steps.size,) + shape)
        losses[0] = loss0
        row = 1
        path = [x] if keep_params else None
        lrs = []
        diverged_at = np.full(shape, -1, dtype=int)
        bar = _progress_bar(steps, progress)
        for t in range(steps):
            lrs.append(_lr_at(optimizer, t))
            g = gradient(x)
            if isinstance(optimizer, dict):
                stepped = {k: o.step(x[k], g[k], state[k]) for k, o in optimizer.items()}
                x_new = {k: s[0] for k, s in stepped.items()}
                state = {k: s[1] for k, s in stepped.items()}
            else:
                x_new, state = optimizer.step(x, g, state)
            frozen = diverged_at >= 0
            x = _select(frozen, x_new, x) if frozen.any() else x_new
            if row < loss_steps.size and loss_steps[row] == t + 1:
                loss = _loss(problem, x, shape)
                blew_up = ~frozen & ~(np.isfinite(loss) & (np.abs(loss) <= limit))
                losses[row] = np.where(frozen, np.inf, np.where(np.isnan(loss), np.inf, loss))
                row += 1
            else:
                blew_up = ~frozen & _nonfinite(x, shape)
            diverged_at = np.where(blew_up, t + 1, diverged_at)
            if keep_params:
                path.append(x)
            if bar is not None:
                bar.update(1)
        if bar is not None:
            bar.close()

    params = None
    if keep_params:
        params = {k: np.stack([p[k] for p in path]) for k in x} if is_tree else np.stack(path)
    if isinstance(optimizer, dict):
        lr = {k: _stack_lr([l[k] for l in lrs], steps, shape) for k in optimizer}
    else:
        lr = _stack_lr(lrs, steps, shape)
    return History(
        loss=losses,
        params=params,
        final=x,
        lr=lr,
        diverged_at=int(diverged_at) if K is None else diverged_at,
        loss_steps=loss_steps,
    )


def _nonfinite(x, shape):
    """Per setting (shape ``shape``): does any parameter hold a NaN or an infinity?"""
    leaves = x.values() if isinstance(x, dict) else [x]
    bad = np.zeros(shape, dtype=bool)
    for a in leaves:
        bad |= ~np.isfinite(a).reshape(shape + (-1,)).all(axis=-1)
    return bad


def _stack_lr(lrs, steps, shape):
    """The rates of every step as one array (steps, [K]), a scalar rate repeated over K."""
    out = np.empty((steps,) + shape)
    for t, lr in enumerate(lrs):
        out[t] = lr
    return out


def _progress_bar(steps, progress):
    """A tqdm bar: forced on/off by ``progress``, else shown only if the run takes > 1 s."""
    if progress is False or steps == 0:
        return None
    from tqdm.auto import tqdm

    return tqdm(total=steps, unit="step", delay=0 if progress else 1.0, leave=False)
