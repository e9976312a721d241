"""Objectives with exact gradients, for watching the learning rate at work.

A *problem* is any object with

* ``loss(x)``: the objective over the last axis of ``x``; ``x`` of shape ``(..., dim)``
  gives losses of shape ``(...)``, so K settings (shape ``(K, dim)``) are evaluated at once;
* ``grad(x)``: the exact gradient, same shape as ``x``;
* ``x0``: the default start, shape ``(dim,)``;
* optionally ``stochastic_grad(x, rng)``: a noisy gradient that :func:`lrcourse.run` uses
  instead of ``grad`` (it still records the exact ``loss``).

The built-in problems also know their minimiser (``minimizer``, ``min_loss``) and, where
it is known, their curvature: ``L`` (largest Hessian eigenvalue, the *smoothness*) and
``mu`` (smallest, the *strong convexity*). Overflow of a diverging iterate gives ``inf``,
never a warning.
"""
from __future__ import annotations

import numpy as np

from . import _validate as v

__all__ = [
    "Quadratic",
    "quadratic",
    "parabola",
    "conditioned",
    "Rosenbrock",
    "Scalar1D",
    "quartic",
    "pseudo_huber",
    "Noisy",
]

_quiet = dict(over="ignore", invalid="ignore", divide="ignore", under="ignore")


def _as_x0(name, x0, dim, per=""):
    """A start or a centre: ``dim`` finite numbers (a plain number for dim 1), as a fresh array.

    ``per`` says where ``dim`` comes from, for the error message (e.g. "one per eigenvalue").
    """
    x = v.array(name, x0)
    x = x.reshape(1) if x.ndim == 0 else x
    if x.shape != (dim,):
        raise ValueError(f"{name} must have shape ({dim},){per}, got shape {x.shape}")
    return np.array(x)


def _as_x(x, dim, name="x"):
    """Parameters of shape (..., dim) as floats; NaN and inf are allowed (a diverged run)."""
    x = v.array(name, x, finite=False)
    if x.ndim == 0 or x.shape[-1] != dim:
        raise ValueError(f"{name} must have last axis of length {dim}, got shape {x.shape}")
    return x


class _Formulas:
    """The built-in problems: ``loss`` and ``grad`` check x, silence numpy's overflow warnings
    and evaluate the formulas ``_loss(x)`` and ``_grad(x)`` each subclass writes.

    :func:`lrcourse.run` checks x once, silences the warnings once for the whole run and then
    calls the formulas directly at every step (see :func:`_fast_path`): the same arithmetic,
    without the checks that cost as much as the arithmetic itself on small problems.
    """

    dim: int

    def loss(self, x):
        x = _as_x(x, self.dim)
        with np.errstate(**_quiet):
            return self._loss(x)

    def grad(self, x):
        x = _as_x(x, self.dim)
        with np.errstate(**_quiet):
            return self._grad(x)


def _fast_path(problem):
    """``(loss, grad)`` without the checks, for a built-in problem whose ``loss`` and ``grad``
    are :class:`_Formulas`'s; else None. They need x a float array of shape (..., dim), and
    the caller's ``np.errstate`` for diverging x."""
    cls = type(problem)
    if isinstance(problem, _Formulas) and cls.loss is _Formulas.loss and cls.grad is _Formulas.grad:
        return problem._loss, problem._grad
    return None


def rotation(angle):
    """2-D rotation matrix by ``angle`` radians, shape (2, 2)."""
    c, s = np.cos(angle), np.sin(angle)
    return np.array([[c, -s], [s, c]])


class Quadratic(_Formulas):
    """f(x) = 1/2 (x - c)^T A (x - c) with A = Q diag(eigenvalues) Q^T.

    The Hessian is A everywhere, so gradient descent with rate ``lr`` multiplies the error
    along eigenvector i by (1 - lr * lambda_i) each step: it converges iff
    lr < 2 / L with L = max lambda_i.

    Parameters
    ----------
    eigenvalues : sequence of float, each >= 0 (curvatures along the principal axes).
    angle : float, radians; rotates the axes (2-D only; for dim > 2 use ``seed``).
    seed : int or None; dim > 2: a random orthogonal Q from this seed (None: Q = I).
    center : the minimiser c, shape (dim,) (default 0).
    x0 : the default start, shape (dim,) (default: ones, then rotated with the axes).
    """

    def __init__(self, eigenvalues, angle=0.0, seed=None, center=None, x0=None):
        lam = v.array("eigenvalues", eigenvalues, low=0)
        lam = np.array(lam.reshape(1) if lam.ndim == 0 else lam)
        if lam.ndim != 1 or lam.size == 0:
            raise ValueError(f"eigenvalues must be a non-empty 1-D sequence, got shape {lam.shape}")
        dim = lam.size
        angle = v.number("angle", angle)
        seed = None if seed is None else v.integer("seed", seed, 0)
        if angle != 0.0 and dim != 2:
            raise ValueError(f"angle rotates 2-D quadratics only, got {dim} eigenvalues (use seed for dim > 2)")
        if dim == 2:
            Q = rotation(angle)
        elif seed is not None:
            Q, _ = np.linalg.qr(np.random.default_rng(seed).standard_normal((dim, dim)))
        else:
            Q = np.eye(dim)
        self.eigenvalues = lam
        self.Q = Q
        self.A = (Q * lam) @ Q.T
        self.dim = dim
        per = " (one entry per eigenvalue in eigenvalues)"
        self.minimizer = np.zeros(dim) if center is None else _as_x0("center", center, dim, per)
        self.min_loss = 0.0
        default = self.minimizer + Q @ np.ones(dim)
        self.x0 = default if x0 is None else _as_x0("x0", x0, dim, per)

    @property
    def L(self):
        """Largest eigenvalue: the curvature of the steepest direction."""
        return float(self.eigenvalues.max())

    @property
    def mu(self):
        """Smallest eigenvalue: the curvature of the flattest direction."""
        return float(self.eigenvalues.min())

    @property
    def kappa(self):
        """Condition number L / mu (inf when mu = 0)."""
        return self.L / self.mu if self.mu > 0 else np.inf

    def _loss(self, x):
        e = x - self.minimizer
        return 0.5 * np.einsum("...i,ij,...j->...", e, self.A, e)

    def _grad(self, x):
        return (x - self.minimizer) @ self.A

    def hessian(self, x=None):
        """The Hessian A, shape (dim, dim) (the same at every x)."""
        return self.A.copy()

    def __repr__(self):
        return f"Quadratic(eigenvalues={self.eigenvalues.tolist()})"


def quadratic(eigenvalues, angle=0.0, seed=None, center=None, x0=None):
    """A :class:`Quadratic` with the given Hessian eigenvalues (see there)."""
    return Quadratic(eigenvalues, angle=angle, seed=seed, center=center, x0=x0)


def parabola(L=1.0, x0=1.0):
    """The 1-D parabola f(x) = L/2 x^2 (curvature L everywhere), started at ``x0``."""
    L = v.number("L", L, 0, low_open=True)
    x0 = v.number("x0", x0)
    return Quadratic([L], x0=[x0])


def conditioned(kappa, L=1.0, dim=2, angle=0.0, x0=None):
    """A quadratic with largest curvature ``L`` and condition number ``kappa`` = L / mu.

    The ``dim`` eigenvalues are spaced geometrically from L / kappa to L.
    """
    kappa = v.number("kappa", kappa, 1)
    L = v.number("L", L, 0, low_open=True)
    dim = v.integer("dim", dim, 1)
    lam = L / kappa ** np.linspace(0, 1, dim)[::-1] if dim > 1 else np.array([L])
    return Quadratic(np.sort(lam)[::-1], angle=angle, x0=x0)


class Rosenbrock(_Formulas):
    """f(x, y) = (a - x)^2 + b (y - x^2)^2, minimised at (a, a^2) with f = 0.

    A curved, narrow valley (Rosenbrock 1960). At the minimum with a=1, b=100 the Hessian
    has eigenvalues about 1001.6 (across the valley) and 0.4 (along it): kappa ~ 2500, so
    the steep walls cap the rate (lr < 2/1001.6) while the flat floor sets the speed.
    """

    dim = 2

    def __init__(self, a=1.0, b=100.0, x0=(-1.2, 1.0)):
        self.a = v.number("a", a, -1e100, 1e100)  # the minimiser (a, a^2) must be finite
        self.b = v.number("b", b, 0, low_open=True)
        self.x0 = _as_x0("x0", x0, 2)
        self.minimizer = np.array([self.a, self.a**2])
        self.min_loss = 0.0

    def _loss(self, x):
        return (self.a - x[..., 0]) ** 2 + self.b * (x[..., 1] - x[..., 0] ** 2) ** 2

    def _grad(self, x):
        u, w = x[..., 0], x[..., 1]
        r = w - u**2
        return np.stack([-2 * (self.a - u) - 4 * self.b * u * r, 2 * self.b * r], axis=-1)

    def hessian(self, x):
        """The Hessian at x, shape (..., 2, 2)."""
        x = _as_x(x, 2)
        u, w = x[..., 0], x[..., 1]
        with np.errstate(**_quiet):
            h11 = 2 - 4 * self.b * (w - u**2) + 8 * self.b * u**2
            h12 = -4 * self.b * u
        h22 = np.full_like(u, 2 * self.b)
        return np.stack([np.stack([h11, h12], -1), np.stack([h12, h22], -1)], -2)

    @property
    def L(self):
        """Largest Hessian eigenvalue at the minimiser (the local smoothness there)."""
        return float(np.linalg.eigvalsh(self.hessian(self.minimizer)).max())

    @property
    def mu(self):
        """Smallest Hessian eigenvalue at the minimiser."""
        return float(np.linalg.eigvalsh(self.hessian(self.minimizer)).min())

    def __repr__(self):
        return f"Rosenbrock(a={self.a:g}, b={self.b:g})"


class Scalar1D(_Formulas):
    """A 1-D objective given by f, f' and f'' as numpy functions (x has shape (..., 1))."""

    dim = 1

    def __init__(self, name, f, df, d2f, x0, minimizer=0.0):
        self.name = v.text("name", name)
        self._f, self._df, self._d2f = (v.function(n, fn, "a numpy function of x")
                                        for n, fn in (("f", f), ("df", df), ("d2f", d2f)))
        self.x0 = _as_x0("x0", x0, 1)
        self.minimizer = np.array([v.number("minimizer", minimizer)])
        with np.errstate(**_quiet):
            self.min_loss = float(f(self.minimizer[0]))

    def _loss(self, x):
        return self._f(x[..., 0])

    def _grad(self, x):
        return self._df(x)

    def curvature(self, x):
        """f''(x), the local L: the largest stable rate *here* is 2 / f''(x)."""
        x = v.array("x", x, finite=False)
        with np.errstate(**_quiet):
            return self._d2f(x)

    @property
    def L(self):
        """Curvature at the minimiser: the rate limit for iterates that are already close."""
        return float(self.curvature(self.minimizer[0]))

    def __repr__(self):
        return f"{self.name}(x0={self.x0[0]:g})"


def quartic(x0=2.0):
    """f(x) = x^4 / 4: curvature 3x^2 grows away from 0, so a rate that is stable near the
    minimum diverges from a far start (and any rate is 'too small' close to 0)."""
    x0 = v.number("x0", x0)
    return Scalar1D("quartic", lambda x: x**4 / 4, lambda x: x**3, lambda x: 3 * x**2, [x0])


def pseudo_huber(delta=1.0, x0=3.0):
    """f(x) = delta^2 (sqrt(1 + (x/delta)^2) - 1): a parabola of curvature 1 near 0 and a
    line of slope delta far away, so a large rate is harmless far out and only the local
    curvature near the minimum (1) limits it: stable for lr < 2."""
    d = v.number("delta", delta, 0, low_open=True)
    x0 = v.number("x0", x0)
    return Scalar1D(
        "pseudo_huber",
        lambda x: x**2 / (np.sqrt(1 + (x / d) ** 2) + 1),  # = d^2 (sqrt(1 + (x/d)^2) - 1), without cancellation
        lambda x: x / np.sqrt(1 + (x / d) ** 2),
        lambda x: (1 + (x / d) ** 2) ** -1.5,
        [x0],
    )


class Noisy:
    """A problem whose gradients carry Gaussian noise: g(x) = grad(x) + sigma * N(0, I).

    Models a stochastic gradient with noise variance sigma^2 per coordinate; the exact
    ``loss`` is unchanged. :func:`lrcourse.run` draws the noise from its ``seed``.
    """

    def __init__(self, problem, sigma):
        if not (callable(getattr(problem, "loss", None)) and callable(getattr(problem, "grad", None))
                and hasattr(problem, "x0")):
            raise TypeError(f"problem must have loss(x), grad(x) and x0 (e.g. lrcourse.problems.parabola()), "
                            f"got {type(problem).__name__}")
        self.problem = problem
        self.sigma = v.number("sigma", sigma, 0)
        self.x0, self.dim = problem.x0, np.size(problem.x0)
        for attr in ("minimizer", "min_loss", "L", "mu", "hessian"):
            if hasattr(problem, attr):
                setattr(self, attr, getattr(problem, attr))

    def loss(self, x):
        return self.problem.loss(x)

    def grad(self, x):
        return self.problem.grad(x)

    def stochastic_grad(self, x, rng):
        """The exact gradient plus sigma times standard normal noise drawn by ``rng``."""
        v.generator("rng", rng)
        g = self.problem.grad(x)
        return g + self.sigma * rng.standard_normal(np.shape(g))

    def __repr__(self):
        return f"Noisy({self.problem!r}, sigma={self.sigma:g})"
