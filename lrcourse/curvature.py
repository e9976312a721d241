"""Sharpness: the largest eigenvalue of the loss Hessian, measured where the run is.

On a quadratic, gradient descent with rate ``lr`` is stable iff ``lr < 2 / L`` (lesson 1), and
L never changes. On a network the curvature moves while it trains, so we measure it:
``sharpness(problem, x)`` runs power iteration on Hessian-vector products, each one a central
difference of two exact gradients,

    H v  ≈  (grad(x + h v) - grad(x - h v)) / (2 h),

so it needs nothing but the problem's ``grad`` and never forms the Hessian (a network with
3,000 weights would need a 3000 x 3000 matrix). It works for flat parameter vectors and for
a model's dict of layers, and for K settings at once (parameters with leading axes, as
``lrcourse.run`` keeps them): every setting gets its own eigenvector and its own answer.

**Preconditioned sharpness.** Adam steps ``x <- x - lr * m / p`` with the per-coordinate
denominator ``p``; the curvature it feels is that of ``diag(p)^-1 H``, whose eigenvalues equal
those of the symmetric ``diag(p)^-1/2 H diag(p)^-1/2``. ``sharpness(..., precondition=p)``
measures it, and ``adam_preconditioner(state, ...)`` builds ``p`` from an Adam state as Cohen
et al. (2022), "Adaptive gradient methods at the edge of stability", define it.

The stability edges these numbers are compared with (``edge``):

* gradient descent: 2 / lr (Cohen et al. 2021, "Gradient descent on neural networks typically
  occurs at the edge of stability");
* heavy-ball momentum beta: (2 + 2 beta) / lr (lesson 5's stability region);
* Adam: (2 + 2 beta1) / ((1 - beta1) lr), for the preconditioned sharpness (Cohen et al. 2022).
"""
from __future__ import annotations

import numpy as np

from . import _validate as v
from .optimizers import _leaves, _rebuild

__all__ = ["hvp", "sharpness", "adam_preconditioner", "edge"]

_quiet = dict(over="ignore", invalid="ignore", divide="ignore", under="ignore")


def _problem(problem):
    for attr in ("grad", "x0"):
        if not hasattr(problem, attr):
            raise TypeError(f"problem must have a grad(x) method and a start x0 (like lrcourse.problems), "
                            f"got {type(problem).__name__} without {attr!r}")
    return problem


def _leading(problem, x, name="x"):
    """The leaves of x and the number of leading (settings) axes, checked against problem.x0."""
    ref = _leaves(problem.x0, "problem.x0")
    try:
        leaves = _leaves(x, name)
    except (TypeError, ValueError) as e:
        raise type(e)(f"{e} (it must have the structure of problem.x0)") from None
    if len(leaves) != len(ref):
        raise ValueError(f"{name} must have the structure of problem.x0 ({len(ref)} arrays), got {len(leaves)}")
    lead = leaves[0].ndim - ref[0].ndim
    for i, (a, r) in enumerate(zip(leaves, ref)):
        if a.ndim - r.ndim != lead or a.shape[a.ndim - r.ndim:] != r.shape or a.shape[:lead] != leaves[0].shape[:lead]:
            raise ValueError(f"{name} array {i} has shape {a.shape}: it must be problem.x0's shape {r.shape} "
                             f"with the same leading axes as the others")
    return leaves, lead


def _like(name, tree, xs):
    """The leaves of ``tree``, which must have the structure and shapes of x (leaves ``xs``)."""
    leaves = _leaves(tree, name)
    if len(leaves) != len(xs) or any(a.shape != b.shape for a, b in zip(leaves, xs)):
        raise ValueError(f"{name} must have the structure and shapes of x {[b.shape for b in xs]}, "
                         f"got {[a.shape for a in leaves]}")
    return leaves


def _dot(a, b, lead):
    """Per-setting inner product of two lists of leaves: shape = the leading axes."""
    return sum(np.sum(x * y, axis=tuple(range(lead, x.ndim))) for x, y in zip(a, b))


def _expand(s, leaf, lead):
    """A per-setting value (leading axes) broadcast against one leaf."""
    return np.reshape(s, np.shape(s) + (1,) * (leaf.ndim - lead))


def _hvp_leaves(problem, like, xs, vs, lead, h):
    """H v for lists of leaves, by a central difference of exact gradients with step h."""
    plus = [x + _expand(h, x, lead) * d for x, d in zip(xs, vs)]
    minus = [x - _expand(h, x, lead) * d for x, d in zip(xs, vs)]
    with np.errstate(**_quiet):
        gp = _leaves(problem.grad(_rebuild(like, plus)), "problem.grad(x)", like=like)
        gm = _leaves(problem.grad(_rebuild(like, minus)), "problem.grad(x)", like=like)
        return [(a - b) / (2 * _expand(h, a, lead)) for a, b in zip(gp, gm)]


def _step_size(xs, vs, lead, rel):
    """The difference step: ``rel`` times the size of x (at least 1), per unit of |v|."""
    size = np.sqrt(_dot(xs, xs, lead) / max(1, sum(x[(0,) * lead].size for x in xs)))
    norm = np.sqrt(_dot(vs, vs, lead))
    return rel * np.maximum(size, 1.0) / np.where(norm > 0, norm, 1.0)


def hvp(problem, x, vector, rel_step=1e-5):
    """The Hessian of ``problem.loss`` at ``x`` times ``vector``, same structure as ``x``.

    A central difference of two exact gradients with step ``h = rel_step * max(1, rms(x)) / |vector|``
    per setting: exact for a quadratic, error O(h^2) otherwise.
    """
    problem = _problem(problem)
    xs, lead = _leading(problem, x)
    vs = _like("vector", vector, xs)
    rel = v.number("rel_step", rel_step, 0, 1, low_open=True)
    norm = np.sqrt(_dot(vs, vs, lead))
    safe = np.where(norm > 0, norm, 1.0)  # a zero vector gives H 0 = 0
    unit = [d / _expand(safe, d, lead) for d in vs]
    h = _step_size(xs, unit, lead, rel)
    return _rebuild(x, [hv * _expand(norm, hv, lead) for hv in _hvp_leaves(problem, x, xs, unit, lead, h)])


def _power(problem, like, xs, lead, scale, shift, vs, iters, tol, rel):
    """Power iteration on M = S H S - shift I with S = diag(scale), from unit vectors ``vs``.

    Returns the Rayleigh quotient v.Mv per setting (the eigenvalue of largest magnitude once
    converged) and the last unit vectors. Stops when every setting's residual
    |Mv - (v.Mv) v| is at most ``tol`` times |v.Mv|.
    """
    lam = np.full(xs[0].shape[:lead], np.nan)
    for _ in range(iters):
        sv = [s * d for s, d in zip(scale, vs)]
        hv = _hvp_leaves(problem, like, xs, sv, lead, _step_size(xs, sv, lead, rel))
        w = [s * a - _expand(shift, a, lead) * d for s, a, d in zip(scale, hv, vs)]  # (S H S - shift) v
        lam = _dot(vs, w, lead)
        residual = [a - _expand(lam, a, lead) * b for a, b in zip(w, vs)]
        norm = np.sqrt(_dot(w, w, lead))
        ok = np.isfinite(norm) & (norm > 0)
        safe = np.where(ok, norm, 1.0)
        vs = [np.where(_expand(ok, a, lead), a / _expand(safe, a, lead), b) for a, b in zip(w, vs)]
        with np.errstate(**_quiet):
            converged = ~ok | (np.sqrt(_dot(residual, residual, lead)) <= tol * np.abs(lam))
        if np.all(converged):
            break
    return lam, vs


def sharpness(problem, x=None, *, precondition=None, iters=300, tol=1e-4, seed=0, v0=None, rel_step=1e-5,
              return_vector=False):
    """The largest eigenvalue of the Hessian of ``problem.loss`` at ``x`` (default ``problem.x0``).

    x : parameters with the structure of ``problem.x0``, optionally with leading axes (K settings):
        the answer then has those leading axes, one sharpness per setting.
    precondition : None, or a positive array tree ``p`` shaped like ``x``: the largest
        eigenvalue of ``diag(p)^-1 H`` instead (see :func:`adam_preconditioner`).
    iters, tol : at most ``iters`` power-iteration steps; stop once every setting's residual
        |Hv - lambda v| is at most ``tol`` |lambda| (the eigenvalue's error is then about
        tol^2 lambda^2 / gap, far smaller than tol).
    seed : seed of the random start vectors (the answer does not depend on it beyond ``tol``).
    v0 : a start vector shaped like x (e.g. the vector returned at a nearby point: tracking the
        sharpness along a run then takes a few steps per point instead of dozens).
    rel_step : the finite-difference step, relative to the size of x (see :func:`hvp`).
    return_vector : also return the top eigenvector (unit length per setting, shaped like x).

    Power iteration converges at the rate lambda_2 / lambda_1 per step: two top eigenvalues
    within a fraction of a per cent of each other need more than ``iters`` steps, and the
    answer then lies between them. Power iteration finds the eigenvalue of largest magnitude; where that one is negative
    it runs again on H minus that eigenvalue, so the answer is always the largest (signed)
    eigenvalue. Non-finite parameters (a diverged run) give NaN.
    """
    problem = _problem(problem)
    x = problem.x0 if x is None else x
    xs, lead = _leading(problem, x)
    iters = v.integer("iters", iters, 1)
    tol = v.number("tol", tol, 0)
    rel = v.number("rel_step", rel_step, 0, 1, low_open=True)
    rng = np.random.default_rng(v.integer("seed", seed, 0))
    return_vector = v.flag("return_vector", return_vector)
    if precondition is None:
        scale = [np.ones_like(a) for a in xs]
    else:
        ps = _like("precondition", precondition, xs)
        for p in ps:
            if not np.all(p > 0):
                raise ValueError("precondition must be positive everywhere (Adam's denominators sqrt(v) + eps)")
        scale = [1.0 / np.sqrt(p) for p in ps]
    if v0 is None:
        vs = [rng.standard_normal(a.shape) for a in xs]
    else:
        vs = [np.array(a) for a in _like("v0", v0, xs)]
    norm = np.sqrt(_dot(vs, vs, lead))
    if not np.all(np.isfinite(norm) & (norm > 0)):
        raise ValueError("v0 must be finite and non-zero in every setting")
    vs = [a / _expand(norm, a, lead) for a in vs]
    zero = np.zeros(xs[0].shape[:lead])
    lam, vs = _power(problem, x, xs, lead, scale, zero, vs, iters, tol, rel)
    negative = lam < 0
    if np.any(negative):  # the dominant eigenvalue is negative: shift it to 0 and find the top
        shift = np.where(negative, lam, 0.0)
        start = [rng.standard_normal(a.shape) for a in xs]
        norm = np.sqrt(_dot(start, start, lead))
        top, top_vs = _power(problem, x, xs, lead, scale, shift,
                             [a / _expand(norm, a, lead) for a in start], iters, tol, rel)
        lam = np.where(negative, top + shift, lam)
        vs = [np.where(_expand(negative, a, lead), a, b) for a, b in zip(top_vs, vs)]
    finite = np.all([np.all(np.isfinite(a), axis=tuple(range(lead, a.ndim))) for a in xs], axis=0)
    lam = np.where(finite, lam, np.nan)
    lam = float(lam) if lead == 0 else lam
    return (lam, _rebuild(x, vs)) if return_vector else lam


def adam_preconditioner(state, betas=(0.9, 0.999), eps=1e-8):
    """Adam's preconditioner after ``state["step"]`` steps, as Cohen et al. (2022) define it.

    Adam's update is ``x <- x - lr * m_hat / (sqrt(v_hat) + eps)`` with ``m_hat = m / (1 - beta1^t)``;
    written as ``x <- x - lr * P^-1 m`` the diagonal is ``P = (1 - beta1^t) (sqrt(v_hat) + eps)``
    with ``v_hat = v / (1 - beta2^t)``. The preconditioned sharpness is the largest eigenvalue of
    ``P^-1 H``; Adam is stable while it stays below ``(2 + 2 beta1) / ((1 - beta1) lr)`` (:func:`edge`).

    state : a state of ``lrcourse.optimizers.adam`` (or adamw) after at least one step.
    betas, eps : the optimizer's (numbers, or (K,) arrays for K settings).
    Returns an array tree shaped like the parameters.
    """
    if not isinstance(state, dict) or "exp_avg_sq" not in state or "step" not in state:
        raise TypeError("state must be an Adam state (a dict with 'step' and 'exp_avg_sq'), "
                        f"got {type(state).__name__}")
    t = v.integer("state['step']", state["step"], 1)
    if not isinstance(betas, (tuple, list)) or len(betas) != 2:
        raise ValueError(f"betas must be a pair (beta1, beta2), got {betas!r}")
    b1 = v.hyper("betas[0]", betas[0], 0, 1, high_open=True)
    b2 = v.hyper("betas[1]", betas[1], 0, 1, high_open=True)
    eps = v.hyper("eps", eps, 0)
    leaves = _leaves(state["exp_avg_sq"], "state['exp_avg_sq']")
    lead = int(any(np.ndim(h) for h in (b1, b2, eps)))  # (K,) hyperparameters: K settings
    out = []
    for a in leaves:
        c1, c2, e = (_expand(np.asarray(h), a, lead) for h in (1 - np.asarray(b1) ** t, 1 - np.asarray(b2) ** t, eps))
        out.append(c1 * (np.sqrt(a / c2) + e))
    return _rebuild(state["exp_avg_sq"], out)


def edge(lr, method="gd", beta=0.0):
    """The sharpness at which a method's steps stop being stable (per setting for arrays).

    method "gd": 2 / lr; "momentum" (heavy ball with momentum ``beta``): (2 + 2 beta) / lr;
    "adam" (``beta`` = beta1, for the preconditioned sharpness): (2 + 2 beta) / ((1 - beta) lr).
    """
    lr = v.hyper("lr", lr, 0, low_open=True)
    method = v.choice("method", method, ("gd", "momentum", "adam"))
    beta = v.hyper("beta", beta, 0, 1, high_open=True)
    if method == "gd":
        return 2.0 / lr
    if method == "momentum":
        return (2.0 + 2.0 * beta) / lr
    return (2.0 + 2.0 * beta) / ((1.0 - beta) * lr)
