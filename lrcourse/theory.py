"""Closed-form results about step sizes on quadratics, used by the lessons and their tests.

Gradient descent on f(x) = 1/2 x^T A x with rate ``lr`` maps the error along an eigenvector
with eigenvalue lambda to (1 - lr * lambda) times itself, so everything below follows from
the numbers |1 - lr * lambda| for lambda between mu and L.
All functions accept numbers or numpy arrays (broadcast elementwise).
"""
from __future__ import annotations

import numpy as np

from . import _validate as v

__all__ = [
    "contraction",
    "regime",
    "REGIMES",
    "max_stable_lr",
    "best_constant_lr",
    "best_contraction",
    "steps_to_reach",
    "polyak_momentum",
    "heavy_ball_contraction",
    "momentum_stable",
]

#: The five regimes of gradient descent on a parabola of curvature L, in order of lr * L.
REGIMES = ("monotone", "one step", "oscillating", "bouncing", "diverging")


_quiet = dict(over="ignore", under="ignore")  # huge but valid arguments give inf or 0, silently


def _pos(name, x):
    return v.array(name, x, low=0, low_open=True)


def contraction(lr, L):
    """|1 - lr * L|: the factor by which one GD step shrinks the error along curvature L.

    Below 1 the iterates converge (linearly, at this rate per step); above 1 they diverge.
    """
    lr = v.array("lr", lr, low=0)
    L = _pos("L", L)
    with np.errstate(**_quiet):
        return np.abs(1 - lr * L)


def regime(lr, L, rtol=1e-9):
    """Name the behaviour of GD with rate ``lr`` on f(x) = L/2 x^2 (see :data:`REGIMES`).

    monotone (lr < 1/L), one step (lr = 1/L), oscillating but converging (1/L < lr < 2/L),
    bouncing with constant amplitude (lr = 2/L), diverging (lr > 2/L). ``rtol`` decides
    when lr * L counts as exactly 1 or 2.
    """
    lr = v.number("lr", lr, 0)
    L = v.number("L", L, 0, low_open=True)
    rtol = v.number("rtol", rtol, 0)
    with np.errstate(**_quiet):
        r = lr * L
    if abs(r - 1) <= rtol:
        return "one step"
    if abs(r - 2) <= rtol * 2:
        return "bouncing"
    return "monotone" if r < 1 else "oscillating" if r < 2 else "diverging"


def max_stable_lr(L):
    """2 / L: gradient descent converges on every quadratic with curvature <= L iff lr < 2/L."""
    L = _pos("L", L)
    with np.errstate(**_quiet):
        return 2 / L


def best_constant_lr(L, mu):
    """2 / (L + mu): the constant rate that minimises max(|1 - lr mu|, |1 - lr L|)."""
    L, mu = _pos("L", L), _pos("mu", mu)
    with np.errstate(**_quiet):
        return 2 / (L + mu)


def best_contraction(kappa):
    """(kappa - 1) / (kappa + 1): the error contraction per step at the best constant rate."""
    kappa = v.array("kappa", kappa, low=1)
    return (kappa - 1) / (kappa + 1)


def steps_to_reach(rate, tol):
    """Steps for an error that contracts by ``rate`` per step to shrink by a factor ``tol``:
    ceil(log(tol) / log(rate)). For the best constant rate this grows like kappa/2 * log(1/tol)."""
    rate = v.array("rate", rate, low=0)
    tol = v.number("tol", tol, 0, 1, low_open=True, high_open=True)
    with np.errstate(divide="ignore", **_quiet):
        return np.where(rate < 1, np.ceil(np.log(tol) / np.log(np.maximum(rate, 1e-300))), np.inf)


def polyak_momentum(L, mu):
    """Polyak's (1964) optimal heavy-ball settings on a quadratic with curvatures in [mu, L].

    Returns (alpha, beta) = ((2 / (sqrt(L) + sqrt(mu)))^2, ((sqrt(kappa) - 1) / (sqrt(kappa) + 1))^2)
    for the textbook update x <- x - alpha grad + beta (x - x_prev).
    """
    sL, smu = np.sqrt(_pos("L", L)), np.sqrt(_pos("mu", mu))
    with np.errstate(**_quiet):
        return (2 / (sL + smu)) ** 2, ((sL - smu) / (sL + smu)) ** 2


def heavy_ball_contraction(kappa):
    """(sqrt(kappa) - 1) / (sqrt(kappa) + 1): the heavy ball's rate with Polyak's settings,
    against (kappa - 1) / (kappa + 1) for plain gradient descent."""
    sk = np.sqrt(v.array("kappa", kappa, low=1))
    return (sk - 1) / (sk + 1)


def momentum_stable(lr, beta, lam):
    """True where the heavy ball with rate lr and momentum beta converges along curvature lam:
    0 < lr * lam < 2 + 2 beta (for 0 <= beta < 1; False for any other beta)."""
    lr, beta, lam = v.array("lr", lr, low=0), v.array("beta", beta), v.array("lam", lam)
    with np.errstate(**_quiet):
        return (lr * lam > 0) & (lr * lam < 2 + 2 * beta) & (beta >= 0) & (beta < 1)
