"""Experiments of lesson 10: the curvature that moves while a network trains.

* :func:`sharpness_run` trains with any optimizer (K settings at once) and measures the
  sharpness every few steps: progressive sharpening and the edge of stability
  (Cohen et al. 2021) for gradient descent, heavy ball and Adam (Cohen et al. 2022).
* :func:`catapult` is the smallest model with a catapult phase (Lewkowycz et al. 2020): a
  two-layer linear network f = v.u / sqrt(m) fitted to one example, for many rates at once.
* :func:`warmup_sweep` measures the largest trainable peak rate against the warmup length
  (Gilmer et al. 2022; Kalra & Barkeshli 2024).

Each returns a small record of numpy arrays; divergence is a result (frozen and flagged),
never an exception or a warning.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import _validate as v
from . import curvature
from .optimizers import Optimizer, _leaves, _rebuild

__all__ = ["SharpnessRun", "sharpness_run", "Catapult", "catapult", "WarmupSweep", "warmup_sweep"]

_quiet = dict(over="ignore", invalid="ignore", divide="ignore", under="ignore")
_BLOWUP = 1e8  # a setting diverged once its loss exceeds this times its start loss (as in run)


def _settings(tree, lead):
    """Leaves of a parameter tree and a per-setting finite mask (leading axes ``lead``)."""
    return [np.all(np.isfinite(a), axis=tuple(range(lead, a.ndim))) for a in _leaves(tree, "params")]


def _broadcast(x0, K):
    """x0's leaves with a leading axis of K settings."""
    return _rebuild(x0, [np.repeat(np.asarray(a, float)[None], K, axis=0) for a in _leaves(x0, "x0")])


def _freeze(new, old, alive):
    """Per setting: the new parameters where ``alive``, else the old ones (a frozen run)."""
    leaves = [np.where(alive.reshape(alive.shape + (1,) * (a.ndim - alive.ndim)), a, b)
              for a, b in zip(_leaves(new, "params"), _leaves(old, "params"))]
    return _rebuild(old, leaves)


@dataclass
class SharpnessRun:
    """What :func:`sharpness_run` recorded.

    loss : (steps + 1, [K]) full loss at the start and after every step;
    steps : (n,) the steps at which the sharpness was measured;
    sharpness : (n, [K]) the sharpness there (preconditioned for Adam), NaN once diverged;
    diverged_at : int or (K,) ints, first step whose loss was not finite or blew up, else -1.
    """

    loss: np.ndarray
    steps: np.ndarray
    sharpness: np.ndarray
    diverged_at: object


def sharpness_run(problem, optimizer, steps, *, every=50, x0=None, preconditioned=False, tol=1e-3, iters=30):
    """Train ``problem`` with ``optimizer`` (full-batch gradients) and measure the sharpness.

    problem : an object with ``loss``, ``grad`` and ``x0`` (e.g. ``models.MLP``).
    optimizer : from :mod:`lrcourse.optimizers`; array hyperparameters give K settings, all
        starting from the same ``x0`` (default ``problem.x0``).
    steps : number of steps; every : measure the sharpness after every ``every`` steps.
    preconditioned : measure Adam's preconditioned sharpness (the optimizer must be adam or
        adamw), to be compared with ``curvature.edge(lr, "adam", beta1)``.
    tol, iters : the power iteration's tolerance and its cap per measurement. Each measurement
        starts from the previous eigenvector, so a few iterations refine it; at the edge of
        stability several eigenvalues crowd just under 2 / lr, and the estimate then lies
        among them (tested: within 1 % of the exact top eigenvalue).
    """
    if not (callable(getattr(problem, "loss", None)) and callable(getattr(problem, "grad", None))
            and hasattr(problem, "x0")):
        raise TypeError(f"problem must have loss(x), grad(x) and x0 (e.g. lrcourse.models.MLP), "
                        f"got {type(problem).__name__}")
    if not isinstance(optimizer, Optimizer):
        raise TypeError(f"optimizer must be an optimizer of lrcourse.optimizers, got {type(optimizer).__name__}")
    steps = v.integer("steps", steps, 1)
    every = v.integer("every", every, 1)
    preconditioned = v.flag("preconditioned", preconditioned)
    tol = v.number("tol", tol, 0, 1, low_open=True)
    iters = v.integer("iters", iters, 1)
    if preconditioned and optimizer.name not in ("adam", "adamw"):
        raise ValueError(f"preconditioned=True needs adam or adamw, got optimizer {optimizer.name!r}")
    K = optimizer.n_settings
    lead = 0 if K is None else 1
    if x0 is not None and curvature._leading(problem, x0, "x0")[1] != 0:
        raise ValueError("x0 must have the shape of problem.x0 (K settings all start from it)")
    x = problem.x0 if x0 is None else x0
    x = x if K is None else _broadcast(x, K)
    state = optimizer.init(x)
    shape = () if K is None else (K,)
    losses = np.full((steps + 1,) + shape, np.nan)
    with np.errstate(**_quiet):
        losses[0] = problem.loss(x)
    limit = _BLOWUP * np.maximum(np.abs(losses[0]), 1e-12)
    alive = np.isfinite(losses[0])
    diverged = np.where(alive, -1, 1)
    marks = np.arange(every, steps + 1, every)
    sharp = np.full((marks.size,) + shape, np.nan)
    vec = None
    with np.errstate(**_quiet):
        for t in range(1, steps + 1):
            new, state = optimizer.step(x, problem.grad(x), state)
            loss = problem.loss(new)
            ok = np.isfinite(loss) & (np.abs(loss) <= limit) & np.all(_settings(new, lead), axis=0)
            diverged = np.where(alive & ~ok, t, diverged)
            alive = alive & ok
            x = _freeze(new, x, alive) if lead else (new if alive else x)
            losses[t] = np.where(alive, loss, np.nan)
            if t % every == 0 and np.any(alive):
                p = None
                if preconditioned:
                    p = curvature.adam_preconditioner(state, betas=optimizer.betas, eps=optimizer.eps)
                s, vec = curvature.sharpness(problem, x, precondition=p, tol=tol, iters=iters, v0=vec,
                                              return_vector=True)
                sharp[t // every - 1] = np.where(alive, s, np.nan)
    return SharpnessRun(loss=losses, steps=marks, sharpness=sharp,
                        diverged_at=int(diverged) if lead == 0 else diverged)


@dataclass
class Catapult:
    """What :func:`catapult` recorded, one column per rate.

    lr_lambda0 : (K,) the rates, in units of 1/lambda0; lambda0 : the start curvature;
    loss : (steps + 1, K) the loss (f - y)^2 / 2; curvature : (steps + 1, K) the
    curvature lambda_t = (|u|^2 + |v|^2) / m (the tangent kernel, which equals the sharpness
    of the loss where the loss is 0); diverged_at : (K,) first step whose loss blew up, else -1.
    """

    lr_lambda0: np.ndarray
    lambda0: float
    loss: np.ndarray
    curvature: np.ndarray
    diverged_at: np.ndarray


def catapult(lr_lambda0, *, width=100, steps=200, y=0.0, seed=0):
    """Gradient descent on the smallest model with a catapult (Lewkowycz et al. 2020).

    The network f = v.u / sqrt(m) (two linear layers of width m = ``width``, input 1) is fitted
    to the target ``y`` with loss (f - y)^2 / 2, from a random start drawn by ``seed``. Its
    curvature lambda = (|u|^2 + |v|^2) / m changes as it trains: with y = 0, one step gives
    exactly lambda' = lambda + lr f^2 / m (lr lambda - 4), so lambda falls while lr lambda < 4
    and grows once lr lambda > 4, at any width. With rate lr = c / lambda0: for c < 2 the run
    converges with lambda almost unchanged (lazy); for 2 < c < 4 the loss first grows, lambda
    falls below 2 / lr, and the run converges (the catapult); for c > 4 it diverges.

    lr_lambda0 : a number or an array of K values of c = lr * lambda0, all run at once.
    """
    c = np.atleast_1d(v.array("lr_lambda0", lr_lambda0, low=0))
    if c.ndim != 1 or c.size == 0:
        raise ValueError(f"lr_lambda0 must be a number or a non-empty 1-D array, got shape {np.shape(lr_lambda0)}")
    m = v.integer("width", width, 1)
    steps = v.integer("steps", steps, 1)
    y = v.number("y", y)
    rng = np.random.default_rng(v.integer("seed", seed, 0))
    u0, w0 = rng.standard_normal(m), rng.standard_normal(m)
    lam0 = float((u0 @ u0 + w0 @ w0) / m)
    lr = (c / lam0)[:, None]
    u, w = np.repeat(u0[None], c.size, 0), np.repeat(w0[None], c.size, 0)
    loss = np.full((steps + 1, c.size), np.nan)
    lam = np.full((steps + 1, c.size), np.nan)
    diverged = np.full(c.size, -1)
    alive = np.ones(c.size, bool)
    with np.errstate(**_quiet):
        limit = _BLOWUP * max(0.5 * (u0 @ w0 / np.sqrt(m) - y) ** 2, 1e-12)
        for t in range(steps + 1):
            f = np.sum(u * w, axis=1) / np.sqrt(m)
            now = 0.5 * (f - y) ** 2
            bad = alive & ~(np.isfinite(now) & (now <= limit))
            diverged[bad] = t
            alive &= ~bad
            loss[t] = np.where(alive, now, np.nan)
            lam[t] = np.where(alive, np.sum(u * u + w * w, axis=1) / m, np.nan)
            r = ((f - y) / np.sqrt(m))[:, None]
            u, w = np.where(alive[:, None], u - lr * r * w, u), np.where(alive[:, None], w - lr * r * u, w)
    return Catapult(lr_lambda0=c, lambda0=lam0, loss=loss, curvature=lam, diverged_at=diverged)


@dataclass
class WarmupSweep:
    """What :func:`warmup_sweep` found.

    peaks : (K,) the peak rates tried; warmup : (W,) the warmup lengths;
    final_loss : (W, K) loss after the run (NaN where it diverged);
    trainable : (W, K) bool: finite and below ``target`` at the end;
    largest : (W,) the largest trainable peak rate per warmup length (NaN if none);
    sharpness : (W, n) sharpness of the run with peak ``track_peak`` at ``sharpness_steps``
        (NaN past the end of a shorter run, or once it diverged).
    """

    peaks: np.ndarray
    warmup: np.ndarray
    final_loss: np.ndarray
    trainable: np.ndarray
    largest: np.ndarray
    sharpness_steps: np.ndarray
    sharpness: np.ndarray


def warmup_sweep(problem, peaks, warmup, *, steps_after=300, target=None, track_peak=None, every=10):
    """Gradient descent with a linear warmup 0 -> peak over w steps, then ``steps_after`` steps at
    the peak, for every peak rate (all at once) and every warmup length w.

    peaks : (K,) peak rates; warmup : warmup lengths w >= 0 (w = 0: no warmup; the rate at
        step k < w is peak * (k + 1) / w, as with torch's LinearLR(start_factor=1/w,
        total_iters=w - 1)).
    target : a run is trainable if its final loss is finite and below ``target``
        (default: half the start loss).
    track_peak : also measure the sharpness every ``every`` steps of the run with this peak
        rate (one of ``peaks``), for each warmup length: what warmup does to the curvature.
    """
    if not (callable(getattr(problem, "loss", None)) and callable(getattr(problem, "grad", None))
            and hasattr(problem, "x0")):
        raise TypeError(f"problem must have loss(x), grad(x) and x0, got {type(problem).__name__}")
    peaks = v.array("peaks", peaks, ndim=1, nonempty=True, low=0, low_open=True)
    warmup = np.atleast_1d(v.array("warmup", warmup, low=0, high=1e7))
    if warmup.ndim != 1 or warmup.size == 0 or np.any(warmup != np.round(warmup)):
        raise ValueError(f"warmup must be whole numbers of steps in [0, 1e7] (one or a 1-D array), got {warmup!r}")
    warmup = warmup.astype(int)
    steps_after = v.integer("steps_after", steps_after, 1)
    every = v.integer("every", every, 1)
    x0 = _broadcast(problem.x0, peaks.size)
    with np.errstate(**_quiet):
        start = float(np.ravel(problem.loss(problem.x0))[0])
    target = 0.5 * start if target is None else v.number("target", target)
    track = None
    if track_peak is not None:
        track_peak = v.number("track_peak", track_peak, 0, low_open=True)
        hits = np.flatnonzero(np.isclose(peaks, track_peak, rtol=1e-12))
        if hits.size == 0:
            raise ValueError(f"track_peak must be one of peaks, got {track_peak!r}")
        track = int(hits[0])
    n_marks = int((warmup.max() + steps_after) // every)
    final = np.full((warmup.size, peaks.size), np.nan)
    sharp = np.full((warmup.size, n_marks), np.nan)
    with np.errstate(**_quiet):
        for i, w in enumerate(warmup):
            x, alive, vec = x0, np.ones(peaks.size, bool), None
            for k in range(w + steps_after):
                lr = peaks * (min(1.0, (k + 1) / w) if w > 0 else 1.0)
                g = _leaves(problem.grad(x), "problem.grad(x)", like=x)
                new = _rebuild(x, [a - lr.reshape((-1,) + (1,) * (a.ndim - 1)) * b
                                   for a, b in zip(_leaves(x, "x"), g)])
                alive &= np.all(_settings(new, 1), axis=0)
                x = _freeze(new, x, alive)
                if track is not None and (k + 1) % every == 0:
                    one = _rebuild(x, [a[track] for a in _leaves(x, "x")])
                    if alive[track]:
                        sharp[i, (k + 1) // every - 1], vec = curvature.sharpness(
                            problem, one, tol=1e-3, iters=30, v0=vec, return_vector=True)
            loss = problem.loss(x)
            final[i] = np.where(alive & np.isfinite(loss), loss, np.nan)
    trainable = np.isfinite(final) & (final < target)
    largest = np.array([peaks[row].max() if row.any() else np.nan for row in trainable])
    return WarmupSweep(peaks=peaks, warmup=warmup, final_loss=final, trainable=trainable, largest=largest,
                       sharpness_steps=every * np.arange(1, n_marks + 1), sharpness=sharp)
