"""The noisy quadratic model (Zhang et al. 2019), computed exactly.

The loss is ``f(theta) = 1/2 sum_i h_i theta_i^2``; a minibatch of size B gives the gradient
``h_i theta_i + noise`` with noise of variance ``c_i / B`` in coordinate i (Zhang et al. take
``c = h``: the gradient noise has the shape of the curvature). The model is simple enough that
the *expected* loss after t steps has no randomness left: each coordinate's second moments
(E theta^2, E theta v, E v^2) follow a linear recursion. With heavy-ball momentum beta
(torch's form: v <- beta v + g, theta <- theta - lr v) and a diagonal preconditioner
(coordinate i steps with ``lr * h_i^-p``, p = 0 plain SGD, p > 0 Adam-like):

    theta' = (1 - a h) theta - a beta v - a eps,    v' = h theta + beta v + eps,    a = lr h^-p,

so S' = A S A^T + (c/B) b b^T with A = [[1 - a h, -a beta], [h, beta]] and b = (-a, 1).

:func:`steps_to_target` finds the first step whose expected loss is at most a target, for whole
grids of rates, batch sizes and coordinates at once, by *binary lifting*: the recursion's affine
map is squared 2^k times once, then the step count is built bit by bit, most significant first
(exact for a loss that decreases with t; see the function). :func:`best_steps` then picks the
best rate for each batch size, which is how Zhang et al. (and McCandlish et al. 2018) measure
"steps to result" against the batch size: perfect scaling (steps ~ 1/B) up to a critical
batch, then no gain.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import _validate as v

__all__ = ["NoisyQuadratic", "expected_loss", "expected_loss_at", "scheduled_loss", "averaged_loss", "noise_scale", "steps_to_target", "best_steps",
           "BestSteps"]

_quiet = dict(over="ignore", invalid="ignore", divide="ignore", under="ignore")


@dataclass(frozen=True)
class NoisyQuadratic:
    """Curvatures ``h`` (d,), noise variances ``c`` (d,) of one example, start second moment ``m0``
    (E theta_i^2 at step 0, the same for every coordinate)."""

    h: np.ndarray
    c: np.ndarray
    m0: float = 1.0

    @classmethod
    def zhang(cls, dim=100, m0=1.0):
        """Zhang et al.'s model: h_i = 1/i (i = 1..dim) and c = h."""
        dim = v.integer("dim", dim, 1, 10**6)
        h = 1.0 / np.arange(1, dim + 1)
        return cls(h=h, c=h.copy(), m0=v.number("m0", m0, 0, low_open=True))

    def __post_init__(self):
        h = v.array("h", self.h, ndim=1, nonempty=True, low=0, low_open=True)
        c = v.array("c", self.c, shape=h.shape, low=0)
        object.__setattr__(self, "h", h)
        object.__setattr__(self, "c", c)
        object.__setattr__(self, "m0", v.number("m0", self.m0, 0, low_open=True))

    @property
    def start_loss(self):
        return 0.5 * float(np.sum(self.h)) * self.m0


def _grid(name, value, low=0.0, low_open=True, integer=False):
    a = np.asarray(v.array(name, value, low=low, low_open=low_open), dtype=float)
    if integer and np.any(a != np.round(a)):
        raise ValueError(f"{name} must hold whole numbers, got {value!r}")
    return a


def _settings(lr, batch_size, momentum, precondition):
    """The grid's four hyperparameters checked: rates >= 0, batch sizes >= 1, momentum in [0, 1),
    preconditioning powers >= 0 (numbers or arrays that broadcast together)."""
    lr, B = _grid("lr", lr, low_open=False), _grid("batch_size", batch_size, low=1, low_open=False)
    beta = _grid("momentum", momentum, low_open=False)
    if np.any(beta >= 1):
        raise ValueError(f"momentum must be in [0, 1), got {momentum!r}")
    return lr, B, beta, _grid("precondition", precondition, low_open=False)


def _affine(model, lr, batch_size, momentum, precondition):
    """The affine map of the second moments, as (..., d, 4, 4) matrices on (S11, S12, S22, 1)."""
    lr = np.asarray(lr, dtype=float)[..., None]            # broadcast against the coordinates
    B = np.asarray(batch_size, dtype=float)[..., None]
    beta = np.asarray(momentum, dtype=float)[..., None]
    h, c = model.h, model.c
    a = lr * h ** (-np.asarray(precondition, dtype=float)[..., None])
    a11, a12, a21, a22 = 1 - a * h, -a * beta, np.broadcast_to(h, a.shape), beta + 0 * a
    s2 = c / B + 0 * a
    G = np.zeros(np.broadcast_shapes(a11.shape, s2.shape, a22.shape) + (4, 4))
    G[..., 0, 0], G[..., 0, 1], G[..., 0, 2], G[..., 0, 3] = a11**2, 2 * a11 * a12, a12**2, a**2 * s2
    G[..., 1, 0], G[..., 1, 1], G[..., 1, 2], G[..., 1, 3] = a11 * a21, a11 * a22 + a12 * a21, a12 * a22, -a * s2
    G[..., 2, 0], G[..., 2, 1], G[..., 2, 2], G[..., 2, 3] = a21**2, 2 * a21 * a22, a22**2, s2
    G[..., 3, 3] = 1.0
    return G


def _start(model, shape):
    s = np.zeros(shape + (4,))
    s[..., 0], s[..., 3] = model.m0, 1.0
    return s


def _loss(model, s):
    return 0.5 * np.sum(model.h * s[..., 0], axis=-1)


def expected_loss(model, lr, batch_size, steps, *, momentum=0.0, precondition=0.0):
    """The expected loss at steps 0..steps, by running the recursion: shape (steps + 1, *grid)
    where the grid broadcasts ``lr``, ``batch_size``, ``momentum`` and ``precondition``."""
    _check_model(model)
    lr, B, beta, p = _settings(lr, batch_size, momentum, precondition)
    steps = v.integer("steps", steps, 0, 10**6)
    with np.errstate(**_quiet):
        G = _affine(model, lr, B, beta, p)
        s = _start(model, G.shape[:-2])
        out = np.empty((steps + 1,) + G.shape[:-3])
        out[0] = _loss(model, s)
        for t in range(1, steps + 1):
            s = np.einsum("...ij,...j->...i", G, s)
            out[t] = _loss(model, s)
    return out


def expected_loss_at(model, steps, lr, batch_size, *, momentum=0.0, precondition=0.0):
    """The expected loss at the given step numbers (increasing integers >= 0), shape
    (len(steps), *grid): the recursion jumps from one to the next with squared maps, so a
    geometric grid of steps up to 10^6 costs a few hundred small products, not 10^6 steps."""
    _check_model(model)
    steps = np.atleast_1d(_grid("steps", steps, low_open=False, integer=True))
    if steps.ndim != 1 or steps.size == 0 or np.any(np.diff(steps) < 0) or steps[-1] > 2**40:
        raise ValueError(f"steps must be a non-empty 1-D array of increasing whole numbers <= 2^40, got {steps!r}")
    lr, B, beta, p = _settings(lr, batch_size, momentum, precondition)
    with np.errstate(**_quiet):
        powers = [_affine(model, lr, B, beta, p)]
        for _ in range(int(steps[-1]).bit_length() - 1):
            powers.append(powers[-1] @ powers[-1])
        s = _start(model, powers[0].shape[:-2])
        out = np.empty((steps.size,) + powers[0].shape[:-3])
        now = 0
        for j, t in enumerate(steps.astype(np.int64)):
            gap, k = int(t) - now, 0
            while gap:
                if gap & 1:
                    s = np.einsum("...ij,...j->...i", powers[k], s)
                gap, k = gap >> 1, k + 1
            now = int(t)
            out[j] = _loss(model, s)
    return out


def _check_model(model):
    if not isinstance(model, NoisyQuadratic):
        raise TypeError(f"model must be a NoisyQuadratic (e.g. NoisyQuadratic.zhang()), got {type(model).__name__}")


def steps_to_target(model, target, lr, batch_size, *, momentum=0.0, precondition=0.0, max_steps=2**24):
    """The number of steps after which the expected loss is at most ``target``, for every point of
    the grid that ``lr``, ``batch_size``, ``momentum`` and ``precondition`` broadcast to (float
    array; ``inf`` where the loss never gets there within ``max_steps``, e.g. a noise floor above
    the target, or a diverging rate).

    Binary lifting: it finds the largest t whose loss is still above the target and returns
    t + 1, which is the first step below it when the loss decreases with t (gradient descent from
    m0 above the noise floor does; with momentum the expected loss may wiggle, and then the
    answer is a step below the target with every later power-of-two jump above it).
    """
    _check_model(model)
    target = v.number("target", target, 0, low_open=True)
    lr, B, beta, p = _settings(lr, batch_size, momentum, precondition)
    max_steps = v.integer("max_steps", max_steps, 1, 2**40)
    K = int(max_steps).bit_length()
    with np.errstate(**_quiet):
        G = _affine(model, lr, B, beta, p)
        powers = [G]
        for _ in range(K - 1):
            powers.append(powers[-1] @ powers[-1])
        s = _start(model, G.shape[:-2])
        above = _loss(model, s) > target
        t = np.zeros(G.shape[:-3])
        for k in range(K - 1, -1, -1):
            cand = np.einsum("...ij,...j->...i", powers[k], s)
            stay = (_loss(model, cand) > target) | ~np.isfinite(_loss(model, cand))
            stay &= above & (t + 2**k <= max_steps)
            s = np.where(stay[..., None, None], cand, s)
            t = np.where(stay, t + 2**k, t)
        final = np.einsum("...ij,...j->...i", powers[0], s)
        reached = ~above | ((_loss(model, final) <= target) & (t + 1 <= max_steps))
    return np.where(~above, 0.0, np.where(reached, t + 1, np.inf))


@dataclass
class BestSteps:
    """What :func:`best_steps` found, one entry per batch size: ``steps`` (the fewest steps to the
    target over the rates tried; inf if none gets there), ``lr`` (the rate that does it)."""

    batch_sizes: np.ndarray
    steps: np.ndarray
    lr: np.ndarray


def best_steps(model, target, batch_sizes, lrs, *, momentum=0.0, precondition=0.0, max_steps=2**24):
    """For each batch size, the fewest steps to ``target`` over the rates ``lrs`` (with the given
    momentum and preconditioning power, two numbers), and the rate that achieves them."""
    B = np.atleast_1d(_grid("batch_sizes", batch_sizes, low=1, low_open=False))
    lrs = np.atleast_1d(_grid("lrs", lrs))
    if B.ndim != 1 or B.size == 0:
        raise ValueError(f"batch_sizes must be a non-empty 1-D array, got shape {B.shape}")
    if lrs.ndim != 1 or lrs.size == 0:
        raise ValueError(f"lrs must be a non-empty 1-D array, got shape {lrs.shape}")
    momentum = v.number("momentum", momentum, 0, 1, high_open=True)
    precondition = v.number("precondition", precondition, 0)
    steps = steps_to_target(model, target, lrs[None, :], B[:, None], momentum=momentum, precondition=precondition,
                            max_steps=max_steps)
    k = np.argmin(steps, axis=1)
    best = steps[np.arange(B.size), k]
    return BestSteps(batch_sizes=B, steps=best, lr=np.where(np.isfinite(best), lrs[k], np.nan))


def scheduled_loss(model, lrs, batch_sizes):
    """The expected loss of plain SGD whose rate and batch size change every step: ``lrs`` and
    ``batch_sizes`` of length T (step k uses lrs[k] and batch_sizes[k]). Returns (T + 1,) losses."""
    _check_model(model)
    lrs = _grid("lrs", lrs, low_open=False)
    B = _grid("batch_sizes", batch_sizes, low=1, low_open=False)
    if lrs.ndim != 1 or lrs.shape != B.shape:
        raise ValueError(f"lrs and batch_sizes must be 1-D of the same length, got shapes {lrs.shape} and {B.shape}")
    m = np.full(model.h.shape, model.m0)
    out = np.empty(lrs.size + 1)
    out[0] = 0.5 * np.sum(model.h * m)
    with np.errstate(**_quiet):
        for k, (a, b) in enumerate(zip(lrs, B), start=1):
            m = (1 - a * model.h) ** 2 * m + a**2 * model.c / b
            out[k] = 0.5 * np.sum(model.h * m)
    return out


def averaged_loss(model, lrs, batch_sizes, weights):
    """The expected loss of plain SGD (``lrs``, ``batch_sizes`` as in :func:`scheduled_loss`) *and*
    of a running average of its iterates, ``avg_k = (1 - w_k) avg_(k-1) + w_k theta_k`` with
    ``avg_0 = theta_0`` and ``weights`` w of length T in [0, 1]: w constant is an exponential moving
    average, ``w_k = 1 / (k - s + 1)`` from step s on (0 before) the uniform average of the last
    iterates. Per coordinate the second moments m = E theta^2, q = E theta avg, a = E avg^2 follow

        m' = (1 - lr h)^2 m + lr^2 c / B,   p = (1 - lr h) q   (E theta' avg: the new noise is independent)
        q' = (1 - w) p + w m',              a' = (1 - w)^2 a + 2 w (1 - w) p + w^2 m'.

    Returns two (T + 1,) arrays: the loss of the iterates and of the average."""
    _check_model(model)
    lrs = _grid("lrs", lrs, low_open=False)
    B = _grid("batch_sizes", batch_sizes, low=1, low_open=False)
    w = _grid("weights", weights, low_open=False)
    if lrs.ndim != 1 or lrs.shape != B.shape or lrs.shape != w.shape:
        raise ValueError(f"lrs, batch_sizes and weights must be 1-D of the same length, got shapes "
                         f"{lrs.shape}, {B.shape} and {w.shape}")
    if np.any(w > 1):
        raise ValueError(f"weights must be in [0, 1], got a maximum of {w.max()}")
    h, c = model.h, model.c
    m = np.full(h.shape, model.m0)
    q, a = m.copy(), m.copy()
    loss, avg = np.empty(lrs.size + 1), np.empty(lrs.size + 1)
    loss[0] = avg[0] = 0.5 * np.sum(h * m)
    with np.errstate(**_quiet):
        for k, (lr, b, wk) in enumerate(zip(lrs, B, w), start=1):
            p = (1 - lr * h) * q
            m = (1 - lr * h) ** 2 * m + lr**2 * c / b
            a = (1 - wk) ** 2 * a + 2 * wk * (1 - wk) * p + wk**2 * m
            q = (1 - wk) * p + wk * m
            loss[k], avg[k] = 0.5 * np.sum(h * m), 0.5 * np.sum(h * a)
    return loss, avg


def noise_scale(model, m):
    """McCandlish et al.'s simple noise scale B_simple = tr(Sigma) / |G|^2 where the coordinates'
    second moments are ``m`` (so |G|^2 = sum h_i^2 m_i, the expected squared gradient norm of a
    noise-free point with those moments) and tr(Sigma) = sum c_i (one example's noise)."""
    _check_model(model)
    m = v.array("m", m, shape=model.h.shape, low=0)
    return float(np.sum(model.c) / np.sum(model.h**2 * m))
