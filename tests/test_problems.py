"""Problems: exact gradients (finite differences), curvature, minimisers, validation."""
import warnings

import numpy as np
import pytest

from lrcourse import problems, theory


def _fd_grad(p, x, h=1e-6):
    g = np.zeros_like(x)
    for i in range(x.shape[-1]):
        e = np.zeros_like(x)
        e[..., i] = h
        g[..., i] = (p.loss(x + e) - p.loss(x - e)) / (2 * h)
    return g


ALL = [
    problems.quadratic([3.0, 0.5], angle=0.7),
    problems.quadratic([5.0, 1.0, 0.1, 0.01], seed=1),
    problems.conditioned(kappa=50.0, L=2.0, dim=3),
    problems.parabola(L=2.5, x0=-1.0),
    problems.Rosenbrock(),
    problems.quartic(),
    problems.pseudo_huber(delta=0.5),
]


@pytest.mark.parametrize("p", ALL, ids=repr)
def test_gradient_matches_finite_differences_with_leading_axes(p):
    rng = np.random.default_rng(0)
    x = rng.uniform(-1.5, 1.5, size=(4, 3, p.x0.size))
    np.testing.assert_allclose(p.grad(x), _fd_grad(p, x), rtol=1e-6, atol=1e-6)
    assert p.loss(x).shape == (4, 3)
    assert p.loss(p.minimizer) == pytest.approx(p.min_loss)
    np.testing.assert_allclose(p.grad(p.minimizer), 0.0, atol=1e-12)


def test_quadratic_curvature_and_rotation():
    p = problems.quadratic([4.0, 0.25], angle=np.pi / 5)
    np.testing.assert_allclose(np.linalg.eigvalsh(p.hessian()), [0.25, 4.0])
    assert (p.L, p.mu, p.kappa) == (4.0, 0.25, 16.0)
    c = problems.conditioned(kappa=100.0, L=3.0, dim=4)
    assert c.L == pytest.approx(3.0) and c.kappa == pytest.approx(100.0)


def test_rosenbrock_hessian_at_minimum():
    r = problems.Rosenbrock()
    np.testing.assert_allclose(r.hessian(r.minimizer), [[802.0, -400.0], [-400.0, 200.0]])
    assert r.L == pytest.approx(1001.6, abs=0.1) and r.mu == pytest.approx(0.4, abs=0.01)


def test_overflow_is_silent():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for p in ALL:
            big = np.full(p.x0.shape, 1e200)
            assert not np.isfinite(p.loss(big)) or p.loss(big) > 1e100
            p.grad(big)


@pytest.mark.parametrize("p", ALL, ids=repr)
def test_unchecked_formulas_equal_the_public_loss_and_grad(p):
    """run's fast path (the formulas without the checks of x) gives the public numbers bit for bit,
    overflow included; public loss and grad still check x; a subclass with its own loss gets none."""
    loss, grad = problems._fast_path(p)
    x = np.random.default_rng(1).uniform(-2, 2, size=(5, p.x0.size))
    x[0] = 1e200  # overflows to inf (and inf - inf = NaN in some gradients)
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("error")
        np.testing.assert_array_equal(loss(x), p.loss(x))
        np.testing.assert_array_equal(grad(x), p.grad(x))
    with pytest.raises(ValueError, match="last axis"):
        p.grad(np.zeros(p.x0.size + 1))
    with pytest.raises(TypeError, match="x"):
        p.loss("x")
    own = type("Own", (type(p),), {"loss": lambda self, x: 0.0})
    assert problems._fast_path(own.__new__(own)) is None
    assert problems._fast_path(problems.Noisy(p, 0.1)) is None


@pytest.mark.parametrize(
    "call, exc, name",
    [
        (lambda: problems.parabola(L=0), ValueError, "L"),
        (lambda: problems.parabola(L=np.nan), ValueError, "L"),
        (lambda: problems.parabola(L="1"), TypeError, "L"),
        (lambda: problems.conditioned(kappa=0.5), ValueError, "kappa"),
        (lambda: problems.conditioned(kappa=10, dim=0), ValueError, "dim"),
        (lambda: problems.conditioned(kappa=10, dim=2.0), TypeError, "dim"),
        (lambda: problems.quadratic([1.0, -1.0]), ValueError, "eigenvalues"),
        (lambda: problems.quadratic([]), ValueError, "eigenvalues"),
        (lambda: problems.quadratic([1.0, 2.0, 3.0], angle=0.5), ValueError, "angle"),
        (lambda: problems.quadratic([1.0, 2.0], x0=[1.0]), ValueError, "x0"),
        (lambda: problems.Rosenbrock(b=0), ValueError, "b"),
        (lambda: problems.Noisy(problems.parabola(), sigma=-1), ValueError, "sigma"),
        (lambda: problems.Noisy(object(), sigma=1), TypeError, "problem"),
        (lambda: problems.pseudo_huber(delta=0), ValueError, "delta"),
    ],
)
def test_bad_arguments(call, exc, name):
    with pytest.raises(exc, match=name):
        call()


def test_theory_closed_forms():
    assert theory.max_stable_lr(4.0) == 0.5
    assert theory.best_constant_lr(1.0, 0.01) == pytest.approx(2 / 1.01)
    assert theory.best_contraction(100.0) == pytest.approx(99 / 101)
    assert theory.heavy_ball_contraction(100.0) == pytest.approx(9 / 11)
    a, b = theory.polyak_momentum(1.0, 0.01)
    assert a == pytest.approx((2 / 1.1) ** 2) and b == pytest.approx((0.9 / 1.1) ** 2)
    assert [theory.regime(r, 1.0) for r in (0.5, 1.0, 1.5, 2.0, 2.5)] == list(theory.REGIMES)
    assert theory.momentum_stable(3.0, 0.6, 1.0) and not theory.momentum_stable(3.3, 0.6, 1.0)
    with pytest.raises(ValueError, match="L"):
        theory.regime(0.1, 0.0)
    with pytest.raises(ValueError, match="lr"):
        theory.regime(-0.1, 1.0)
