"""Lesson 6: the helpers of lrcourse.widgets.adaptive against hand-written loops and closed
forms, and its two apps driven in-process at every slider's extremes."""
import warnings

import numpy as np
import pytest

from lrcourse import data, models, optimizers, problems
from lrcourse.widgets import adaptive
from lrcourse.widgets.adaptive import (AdamNoBiasCorrection, EffectiveLRApp, OptimizerRaceApp, adam_first_step,
                                       effective_lr_history, online_counterexample, scaled, uncorrected_ratio)


# ---------------------------------------------------------------------------- Adam's first step
def test_adam_first_step_is_lr_for_every_gradient_scale():
    g = np.geomspace(1e-6, 1e6, 25) * np.resize([1, -1], 25)
    opt = optimizers.adam(lr=1e-3)
    x1, _ = opt.step(np.zeros(25), g, opt.init(np.zeros(25)))
    np.testing.assert_allclose(np.abs(x1), 1e-3 * np.abs(g) / (np.abs(g) + 1e-8), rtol=1e-12)
    np.testing.assert_allclose(np.abs(x1), adam_first_step(g), rtol=1e-12)
    assert np.all(np.abs(x1) >= 0.99e-3) and np.all(np.abs(x1) <= 1e-3)
    assert np.all(np.sign(x1) == -np.sign(g))


def _adam_loop(grads, lr, b1, b2, eps, correct):
    """Adam written out with Python floats, one coordinate."""
    x, m, v, xs = 0.0, 0.0, 0.0, []
    for t, g in enumerate(grads, start=1):
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        if correct:
            x -= lr * (m / (1 - b1**t)) / ((v / (1 - b2**t)) ** 0.5 + eps)
        else:
            x -= lr * m / (v**0.5 + eps)
        xs.append(x)
    return np.array(xs)


def test_adam_without_bias_correction_against_a_hand_loop():
    grads = np.random.default_rng(0).standard_normal(40) * 3
    opt = AdamNoBiasCorrection(lr=0.01)
    x, state, xs = np.zeros(1), opt.init(np.zeros(1)), []
    for g in grads:
        x, state = opt.step(x, np.array([g]), state)
        xs.append(x[0])
    np.testing.assert_allclose(xs, _adam_loop(grads, 0.01, 0.9, 0.999, 1e-8, False), rtol=1e-12)
    np.testing.assert_allclose(opt.effective_lr(state), 0.01 / (np.sqrt(state["exp_avg_sq"]) + 1e-8), rtol=1e-12)
    # first step: lr (1 - beta1) / sqrt(1 - beta2) = 3.162 lr once |g| >> eps
    np.testing.assert_allclose(adam_first_step(5.0, 0.01, bias_correction=False), 0.01 * 0.1 / np.sqrt(0.001), rtol=1e-6)
    np.testing.assert_allclose(abs(xs[0]), adam_first_step(grads[0], 0.01, bias_correction=False), rtol=1e-12)


def test_uncorrected_ratio_is_the_ratio_of_the_steps():
    g = np.full(300, 2.0)
    with_c = _adam_loop(g, 1e-3, 0.9, 0.999, 0.0, True)
    without = _adam_loop(g, 1e-3, 0.9, 0.999, 0.0, False)
    steps_c, steps_u = -np.diff(np.r_[0.0, with_c]), -np.diff(np.r_[0.0, without])
    np.testing.assert_allclose(steps_c, 1e-3, rtol=1e-12)
    np.testing.assert_allclose(steps_u / steps_c, uncorrected_ratio(np.arange(1, 301)), rtol=1e-10)
    r = uncorrected_ratio(np.arange(1, 1000))
    assert np.argmax(r) + 1 == 12 and abs(r.max() - 6.5685) < 1e-3
    np.testing.assert_allclose(r[0], np.sqrt(10), rtol=1e-12)
    with pytest.raises(ValueError, match="t must have every element finite and >= 1"):
        uncorrected_ratio(0)


# ---------------------------------------------------------------------------- AMSGrad counterexample
def _online_loop(C, steps, alpha, b1, b2, amsgrad, x0=0.0, eps=1e-8):
    """Reddi et al.'s online problem with torch's Adam/AMSGrad, written out in Python floats."""
    x, m, v, vmax, xs = x0, 0.0, 0.0, 0.0, [x0]
    for t in range(1, steps + 1):
        g = C if t % 3 == 1 else -1.0
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        vmax = max(vmax, v)
        den = ((vmax if amsgrad else v) ** 0.5) / (1 - b2**t) ** 0.5 + eps
        x = x - (alpha / t**0.5) / (1 - b1**t) * m / den
        x = min(max(x, -1.0), 1.0)
        xs.append(x)
    return np.array(xs)


@pytest.mark.parametrize("C", [3.0, 10.0, 101.0])
def test_reddi_counterexample_with_the_papers_settings(C):
    b2 = 1 / (1 + C**2)
    adam = online_counterexample(C, steps=3000, alpha=0.5)
    ams = online_counterexample(C, steps=3000, alpha=0.5, amsgrad=True)
    np.testing.assert_allclose(adam.x, _online_loop(C, 3000, 0.5, 0.0, b2, False), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(ams.x, _online_loop(C, 3000, 0.5, 0.0, b2, True), rtol=1e-10, atol=1e-12)
    assert adam.x[-1] > 0.99 and np.all(adam.x[-300:] > 0.9)        # Adam ends at +1, the worst point
    assert ams.x[-1] < -0.99 and np.all(ams.x[-300:] < -0.9)        # AMSGrad at the optimum -1
    # average regret: Adam's stays about (C - 2) / 3 * 2 per step, AMSGrad's vanishes
    assert adam.avg_regret[-1] > 0.2 * C and ams.avg_regret[-1] < 0.1


def test_default_betas_do_not_fail_on_the_counterexample():
    for C in (3.0, 10.0, 101.0):
        r = online_counterexample(C, steps=3000, alpha=0.5, betas=(0.9, 0.999))
        np.testing.assert_allclose(r.x, _online_loop(C, 3000, 0.5, 0.9, 0.999, False), rtol=1e-10, atol=1e-12)
        assert r.x[-1] < -0.99


def test_counterexample_vectorised_over_C_equals_one_by_one():
    Cs = np.array([3.0, 10.0, 101.0])
    both = online_counterexample(Cs, steps=600)
    assert both.x.shape == (601, 3) and both.avg_regret.shape == (600, 3)
    for k, C in enumerate(Cs):
        np.testing.assert_allclose(both.x[:, k], online_counterexample(C, steps=600).x, rtol=1e-12)


def test_counterexample_validates():
    with pytest.raises(ValueError, match=r"C must be in \(2, 1e\+100\], got 2.0"):
        online_counterexample(2.0)
    with pytest.raises(ValueError, match=r"x0 must be in \[-1, 1\], got 3.0"):
        online_counterexample(10.0, x0=3.0)


# ---------------------------------------------------------------------------- scaled, effective rates
def test_scaled_problem():
    p = problems.Rosenbrock()
    s = scaled(p, 100.0)
    x = np.array([[0.3, -0.2], [1.0, 1.0]])
    np.testing.assert_allclose(s.loss(x), 100 * p.loss(x))
    np.testing.assert_allclose(s.grad(x), 100 * p.grad(x))
    np.testing.assert_array_equal(s.minimizer, p.minimizer)
    with pytest.raises(ValueError, match="factor must be > 0"):
        scaled(p, 0.0)


def test_effective_lr_history_matches_the_optimizer():
    p = problems.quadratic([100.0, 1.0], x0=[1.0, 1.0])
    rates, losses = effective_lr_history(p, optimizers.adagrad(lr=0.5), 30)
    assert rates.shape == (30, 2) and losses.shape == (31,)
    # AdaGrad: rate = lr / sqrt(sum of g^2); rebuild the gradients from a run
    opt, x, G = optimizers.adagrad(lr=0.5), p.x0.copy(), np.zeros(2)
    state = opt.init(x)
    for t in range(30):
        g = p.grad(x)
        G += g * g
        x, state = opt.step(x, g, state)
        np.testing.assert_allclose(rates[t], 0.5 / (np.sqrt(G) + 1e-10), rtol=1e-12)
    with pytest.raises(TypeError, match="adaptive"):
        effective_lr_history(p, optimizers.sgd(0.1), 3)


# ---------------------------------------------------------------------------- the apps
@pytest.fixture(scope="module")
def race():
    return OptimizerRaceApp(lr=0.01, steps=60)


def test_race_shows_the_precomputed_runs(race):
    race.controls["problem"].value = "valley along the axes"
    race.controls["factor"].value = 1.0
    race.controls["lr"].value = 0.1
    res = race.results("valley along the axes", 1.0)
    j = int(np.argmin(np.abs(race.lr_grid - 0.1)))
    for name, (paths, losses, div) in res.items():
        x, y = race.paths[name].get_data()
        np.testing.assert_allclose(x, np.clip(paths[:, j, 0], -2, 2))
        # the run itself: the same optimizer run alone gives the same path
    h = adaptive.run(scaled(race.problems["valley along the axes"][0], 1.0), optimizers.adam(race.lr_grid[j]), 60)
    np.testing.assert_allclose(res["Adam"][0][:, j], h.params, rtol=1e-12)


def test_race_adaptive_paths_do_not_see_the_loss_scale(race):
    race.controls["problem"].value = "Rosenbrock"
    race.controls["lr"].value = 0.01
    paths = {}
    for f in (0.01, 100.0):
        race.controls["factor"].value = f
        paths[f] = {name: np.array(line.get_data()) for name, line in race.paths.items()}
    for name in ("RMSprop", "Adam"):
        np.testing.assert_allclose(paths[0.01][name], paths[100.0][name], atol=1e-3, equal_nan=True)
    assert not np.allclose(paths[0.01]["SGD"], paths[100.0]["SGD"], atol=1e-3, equal_nan=True)


def test_race_every_slider_position_renders_silently(race):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for problem in race.problems:
            race.controls["problem"].value = problem
            for f in (0.01, 1.0, 100.0):
                race.controls["factor"].value = f
                for e in np.linspace(-4, 1, 9):
                    race.controls["lr"].value = 10**e
                    for line in race.paths.values():
                        x, y = line.get_data()
                        assert np.all(np.isnan(x) | ((x >= -2) & (x <= 2)))
        race.controls["lr"].value = 10.0                          # SGD diverges: marked, not crashed
        assert race.finals["SGD"][1] > 0 and "diverged" in race.status.value
        assert len(race.cross.get_data()[0]) >= 1


def test_race_blits_on_lr_moves_and_redraws_on_problem_change(race):
    race.controls["problem"].value = "valley along the axes"
    blits, full = race.blit.blits, race.blit.full_draws
    race.controls["lr"].value = 0.02
    assert race.blit.blits == blits + 1 and race.blit.full_draws == full
    race.controls["problem"].value = "Rosenbrock"
    assert race.blit.full_draws == full + 1


@pytest.fixture(scope="module")
def eff():
    return EffectiveLRApp(steps=60)


def test_effective_rates_fall_like_one_over_the_feature_size(eff):
    eff.controls["optimizer"].value = "Adam"
    eff.controls["step"].value = 20
    x, y = eff.points.get_data()
    np.testing.assert_allclose(y, eff.histories["Adam"][0][19])
    np.testing.assert_array_equal(x, eff.feature_size)
    for name in ("AdaGrad", "RMSprop", "Adam"):
        slope = np.polyfit(np.log(eff.feature_size), np.log(eff.histories[name][0][19]), 1)[0]
        assert -1.1 < slope < -0.9, (name, slope)


def test_effective_rate_app_matches_the_optimizers(eff):
    ds = data.load_breast_cancer()
    m = models.LogisticRegression(ds.X, ds.y)
    opt = optimizers.adam(lr=0.03)
    x, state = m.x0.copy(), opt.init(m.x0)
    for _ in range(5):
        x, state = opt.step(x, m.grad(x), state)
    np.testing.assert_allclose(eff.histories["Adam"][0][4], opt.effective_lr(state), rtol=1e-12)


def test_effective_rate_app_renders_every_step_silently(eff):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for name in ("AdaGrad", "RMSprop", "Adam"):
            eff.controls["optimizer"].value = name
            for s in (1, 2, 30, 60):
                eff.controls["step"].value = s
                assert np.all(np.isfinite(eff.rates)) and "step" in eff.status.value
                assert eff.marker.get_data()[0][0] == s


def test_apps_validate_arguments():
    with pytest.raises(ValueError, match="problem must be one of"):
        OptimizerRaceApp(problem="banana")
    with pytest.raises(ValueError, match="steps"):
        EffectiveLRApp(steps=1)


def test_effective_rate_step_moves_blit_and_toggles_redraw(eff):
    eff.controls["optimizer"].value = "Adam"
    full, blits = eff.blit.full_draws, eff.blit.blits
    eff.controls["step"].value = 7
    assert eff.blit.full_draws == full and eff.blit.blits == blits + 1
    eff.controls["optimizer"].value = "AdaGrad"
    assert eff.blit.full_draws == full + 1
    t, y = eff.curves.get_data()
    rates = eff.histories["AdaGrad"][0]
    np.testing.assert_allclose(y[~np.isnan(y)], rates.T.ravel())
