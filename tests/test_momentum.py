"""Lesson 5: the momentum rate formula against the iteration matrices, runs and (when installed)
PyTorch; the two apps driven in-process; the checks of assignment 5."""
from __future__ import annotations

import importlib.util
import warnings

import numpy as np
import pytest

from lrcourse import optimizers, problems, run, theory
from lrcourse.checks import ex05
from lrcourse.widgets.conditioning import measured_rate
from lrcourse.widgets.momentum import MomentumApp, RateMapApp, momentum_rate

HAS_TORCH = importlib.util.find_spec("torch") is not None


# ----------------------------------------------------------------------------- momentum_rate
def _matrix_rate(lr, beta, lam, nesterov):
    """Spectral radius of the 2x2 map (x_t, x_{t-1}) -> (x_{t+1}, x_t)."""
    a = lr * lam
    if nesterov:
        M = np.array([[(1 + beta) * (1 - a), -beta * (1 - a)], [1.0, 0.0]])
    else:
        M = np.array([[1 + beta - a, -beta], [1.0, 0.0]])
    return np.abs(np.linalg.eigvals(M)).max()


@pytest.mark.parametrize("nesterov", [False, True])
def test_rate_is_the_spectral_radius(nesterov):
    rng = np.random.default_rng(1)
    lr, beta, lam = rng.uniform(0, 4, 200), rng.uniform(0, 0.99, 200), rng.uniform(0, 2, 200)
    got = momentum_rate(lr, beta, lam, nesterov=nesterov)
    want = [_matrix_rate(*args, nesterov) for args in zip(lr, beta, lam)]
    np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-9)     # double roots: ~sqrt(eps) sensitivity


def test_rate_without_momentum_is_gradient_descent():
    lr = np.linspace(0, 3, 31)
    np.testing.assert_allclose(momentum_rate(lr, 0.0, 1.0), np.abs(1 - lr), atol=1e-15)
    np.testing.assert_allclose(momentum_rate(lr, 0.0, 1.0, nesterov=True), np.abs(1 - lr), atol=1e-15)


def test_stability_edges():
    beta = np.linspace(0, 0.98, 50)
    for edge, nesterov in [(2 + 2 * beta, False), ((2 + 2 * beta) / (1 + 2 * beta), True)]:
        assert np.all(momentum_rate(0.99 * edge, beta, 1.0, nesterov) < 1)
        assert np.all(momentum_rate(1.01 * edge, beta, 1.0, nesterov) > 1)
    LR, B = np.meshgrid(np.linspace(0.01, 4, 80), beta)
    clear = np.abs(LR - (2 + 2 * B)) > 0.01
    np.testing.assert_array_equal((momentum_rate(LR, B, 1.0) < 1)[clear], theory.momentum_stable(LR, B, 1.0)[clear])


def test_polyak_and_nesterov_rates():
    for kappa in (4.0, 100.0, 1e4):
        mu, s = 1 / kappa, np.sqrt(kappa)
        alpha, beta = theory.polyak_momentum(1.0, mu)
        lam = np.geomspace(mu, 1.0, 7)                                 # every curvature in [mu, L]
        np.testing.assert_allclose(momentum_rate(alpha, beta, lam), (s - 1) / (s + 1), atol=1e-6)
        worst = max(momentum_rate(1.0, (s - 1) / (s + 1), lam, nesterov=True))
        assert np.isclose(worst, 1 - 1 / s)


def test_rate_matches_runs():
    rng = np.random.default_rng(2)
    lr, beta = rng.uniform(0.1, 3.0, 40), rng.uniform(0.0, 0.9, 40)
    keep = np.abs(lr - (2 + 2 * beta)) > 0.1
    lr, beta = lr[keep], beta[keep]
    for nesterov in (False, True):
        ok = beta > 0 if nesterov else np.ones_like(beta, bool)
        h = run(problems.parabola(L=1.0), optimizers.sgd(lr=lr[ok], momentum=beta[ok], nesterov=nesterov), 300,
                progress=False)
        predicted = momentum_rate(lr[ok], beta[ok], 1.0, nesterov)
        measured = measured_rate(h.loss)
        sel = (predicted > 0.4) & (predicted < 0.995)                 # no underflow, measurable in 300 steps
        np.testing.assert_allclose(measured[sel], predicted[sel], atol=5e-3)
        assert np.all((measured < 1)[~sel & (predicted > 1.01)] == False)  # noqa: E712


@pytest.mark.parametrize("kwargs, match", [
    (dict(lr=-1.0, beta=0.5, lam=1.0), "lr"),
    (dict(lr=1.0, beta=1.0, lam=1.0), r"beta must have every element finite and (in )?\[0, 1\)"),
    (dict(lr=1.0, beta=0.5, lam=np.nan), "lam"),
])
def test_rate_bad_values(kwargs, match):
    with pytest.raises(ValueError, match=match):
        momentum_rate(**kwargs)
    with pytest.raises(TypeError, match="nesterov"):
        momentum_rate(1.0, 0.5, 1.0, nesterov="yes")


# ----------------------------------------------------------------------------- the lesson's claims vs PyTorch
@pytest.mark.skipif(not HAS_TORCH, reason="torch not installed")
def test_torch_nesterov_iterates_are_the_lookahead_points():
    import torch

    A = np.diag([0.01, 1.0])
    x0, lr, beta, T = np.array([-1.8, 0.8]), 0.5, 0.9, 40
    p = torch.tensor(x0, dtype=torch.float64, requires_grad=True)
    opt = torch.optim.SGD([p], lr=lr, momentum=beta, nesterov=True)
    torch_path = [x0]
    for _ in range(T):
        opt.zero_grad()
        (0.5 * p @ torch.tensor(A) @ p).backward()
        opt.step()
        torch_path.append(p.detach().numpy().copy())
    x = x_prev = x0
    lookahead = [x0]
    for _ in range(T):
        y = x + beta * (x - x_prev)
        x, x_prev = y - lr * A @ y, x
        lookahead.append(x + beta * (x - x_prev))
    np.testing.assert_allclose(torch_path, lookahead, rtol=1e-12, atol=1e-14)


@pytest.mark.skipif(not HAS_TORCH, reason="torch not installed")
def test_torch_dampened_momentum_is_a_heavy_ball_after_the_first_step():
    import torch

    A = np.diag([0.05, 1.0])
    lr, m, d = 0.3, 0.8, 0.4
    p = torch.tensor([-1.8, 0.8], dtype=torch.float64, requires_grad=True)
    opt = torch.optim.SGD([p], lr=lr, momentum=m, dampening=d)
    xs = [p.detach().numpy().copy()]
    for _ in range(30):
        opt.zero_grad()
        (0.5 * p @ torch.tensor(A) @ p).backward()
        opt.step()
        xs.append(p.detach().numpy().copy())
    xs = np.array(xs)
    alpha, beta = lr * (1 - d), m                                       # what assignment 5 asks for
    np.testing.assert_allclose(xs[2:], xs[1:-1] - alpha * xs[1:-1] @ A + beta * (xs[1:-1] - xs[:-2]), rtol=1e-12)


# ----------------------------------------------------------------------------- MomentumApp
@pytest.fixture(scope="module")
def mapp():
    return MomentumApp(kappa=100.0, lr=0.5, beta=0.5, steps=60)


def test_momentum_app_paths_are_the_runs(mapp):
    mapp.controls["beta"].value = 0.7
    mapp.controls["lr"].value = 1.0
    lr, beta = mapp.lr, mapp.beta
    q = problems.quadratic([0.01, 1.0], x0=[-1.8, 0.8])
    for key, opt in [("gd", optimizers.sgd(lr=lr)), ("hb", optimizers.sgd(lr=lr, momentum=beta)),
                     ("nag", optimizers.sgd(lr=lr, momentum=beta, nesterov=True))]:
        h = run(q, opt, 60, progress=False)
        x, y = mapp.paths[key].get_data()
        np.testing.assert_allclose(x, np.clip(h.params[:, 0], -2, 2), rtol=1e-12, atol=1e-300)
        _, loss = mapp.losses[key].get_data()
        finite = np.isfinite(loss)
        np.testing.assert_allclose(loss[finite], h.loss[finite], rtol=1e-12)
    assert "effective rate lr/(1−β) = " + format(lr / (1 - beta), ".3g") in mapp.status.value


def test_momentum_app_beta_zero_is_gradient_descent(mapp):
    mapp.controls["beta"].value = 0.0
    mapp.controls["lr"].value = 1.5
    for key in ("hb", "nag"):
        np.testing.assert_array_equal(mapp.paths[key].get_data()[0], mapp.paths["gd"].get_data()[0])


def test_polyak_button_picks_a_fast_stable_setting(mapp):
    mapp.button.click()
    alpha, beta = theory.polyak_momentum(1.0, 0.01)
    assert abs(np.log(mapp.lr / alpha)) < 0.1 and abs(mapp.beta - beta) < 0.035
    rate = max(momentum_rate(mapp.lr, mapp.beta, [0.01, 1.0]))
    assert rate < 0.83                                                 # r* = 0.818 at the exact optimum
    assert np.isclose(mapp.lr, 10**0.5) and np.isclose(mapp.beta, 0.68)   # what lesson 5 tells the learner
    assert mapp.diverged["hb"] == -1 and mapp.diverged["gd"] > 0 and mapp.diverged["nag"] > 0
    assert len(mapp.cross.get_data()[0]) == 2
    assert mapp.button in mapp.widget().children


def test_momentum_app_every_slider_position_renders_silently(mapp):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for beta in np.linspace(0, 0.99, 6):
            mapp.controls["beta"].value = float(beta)
            for e in np.linspace(mapp.controls["lr"].min, mapp.controls["lr"].max, 7):
                before = mapp.blit.blits
                mapp.controls["lr"].value = 10**e
                assert mapp.blit.blits == before + 1
                for key in ("gd", "hb", "nag"):
                    x, y = mapp.paths[key].get_data()
                    assert np.all(np.abs(x[np.isfinite(x)]) <= 2) and np.all(np.abs(y[np.isfinite(y)]) <= 1)


def test_momentum_app_bad_arguments():
    with pytest.raises(ValueError, match="kappa"):
        MomentumApp(kappa=0.5)
    with pytest.raises(ValueError, match="beta must be in"):
        MomentumApp(beta=0.995)
    with pytest.raises(ValueError, match="lr must be in"):
        MomentumApp(lr=20.0)


# ----------------------------------------------------------------------------- RateMapApp
@pytest.fixture(scope="module")
def rmap():
    return RateMapApp(kappas=(10, 100), kappa=100, steps=200, n_lr=30, n_beta=20)


def test_rate_map_is_measured_and_matches_theory(rmap):
    LR, B = np.meshgrid(rmap.lrs, rmap.betas)
    for k, kappa in enumerate(rmap.kappas):
        predicted = np.maximum(momentum_rate(LR, B, 1 / kappa), momentum_rate(LR, B, 1.0))
        measured = rmap.rates[k]
        ok = np.isfinite(measured) & (predicted < 0.995) & (predicted > 0.3)
        assert np.median(np.abs(measured - predicted)[ok]) < 2e-3
        assert np.mean((measured < 1) != (predicted < 1)) < 0.02


def test_rate_map_slider_swaps_maps_and_moves_the_star(rmap):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for kappa in rmap.kappas:
            rmap.controls["kappa"].value = kappa
            shown = np.asarray(rmap.mesh.get_array()).ravel()
            np.testing.assert_array_equal(np.isnan(shown), ~(rmap.rates[rmap.kappas.index(kappa)] < 1).ravel())
            alpha, beta = theory.polyak_momentum(1.0, 1 / kappa)
            np.testing.assert_allclose(rmap.star.get_data(), [[alpha], [beta]])
            assert f"κ = {kappa:g}" in rmap.status.value
            assert rmap.kappa_label.get_text() == f"κ = {kappa:g}"      # shown on the map itself


def test_rate_map_bad_arguments():
    with pytest.raises(ValueError, match="kappa must be one of"):
        RateMapApp(kappas=(10, 100), kappa=30)
    with pytest.raises(ValueError, match="kappas must be increasing"):
        RateMapApp(kappas=(100, 10), kappa=10)
    with pytest.raises(ValueError, match="steps"):
        RateMapApp(steps=10)


# ----------------------------------------------------------------------------- assignment 5 checks
def heavy_ball_step(x, x_prev, grad, alpha, beta):
    return x - alpha * grad(x) + beta * (x - x_prev), x


def polyak_settings(L, mu):
    sL, smu = np.sqrt(L), np.sqrt(mu)
    return (2 / (sL + smu)) ** 2, ((sL - smu) / (sL + smu)) ** 2


def is_stable(lr, beta, lam):
    return bool(lr * lam < 2 + 2 * beta)


def to_heavy_ball(lr, momentum, dampening):
    return lr * (1 - dampening), momentum


def not_written(*args):
    raise NotImplementedError()


def _in_place(x, x_prev, grad, alpha, beta):
    x_prev -= x_prev                                                    # modifies its input
    return x - alpha * grad(x) + beta * x, x


CHECKS = [
    (ex05.check_heavy_ball_step, heavy_ball_step,
     [lambda x, xp, g, a, b: (x - a * g(x) - b * (x - xp), x),            # momentum with the wrong sign
      lambda x, xp, g, a, b: (x - a * g(x) + b * (x - xp), xp),           # hands back the old x_prev
      lambda x, xp, g, a, b: x - a * g(x) + b * (x - xp),                 # not a pair
      _in_place]),
    (ex05.check_polyak_settings, polyak_settings,
     [lambda L, mu: (2 / (np.sqrt(L) + np.sqrt(mu)), (np.sqrt(L) - np.sqrt(mu)) / (np.sqrt(L) + np.sqrt(mu))),
      lambda L, mu: (2 / (L + mu), ((np.sqrt(L) - np.sqrt(mu)) / (np.sqrt(L) + np.sqrt(mu))) ** 2)]),
    (ex05.check_is_stable, is_stable,
     [lambda lr, b, lam: bool(lr * lam < 2),
      lambda lr, b, lam: bool(lr * lam / (1 - b) < 2),
      lambda lr, b, lam: int(lr * lam < 2 + 2 * b)]),
    (ex05.check_to_heavy_ball, to_heavy_ball,
     [lambda lr, m, d: (lr, m),
      lambda lr, m, d: (lr / (1 - m), m),
      lambda lr, m, d: (lr * (1 - d), m * (1 - d))]),
]


@pytest.mark.parametrize("check, right, wrongs", CHECKS, ids=lambda c: getattr(c, "__name__", ""))
def test_checks_accept_the_answer_and_reject_mistakes(check, right, wrongs, capsys):
    check(right)
    assert "✔" in capsys.readouterr().out
    for wrong in wrongs:
        with pytest.raises(AssertionError):
            check(wrong)
    with pytest.raises(AssertionError, match="not written yet"):
        check(not_written)
