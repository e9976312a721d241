"""lrcourse.stability and lesson 10's apps, against closed forms on quadratics and the catapult
model's known phase boundaries (Lewkowycz et al. 2020)."""
import numpy as np
import pytest

import lrcourse
from lrcourse import curvature, models, optimizers, problems, stability
from lrcourse.widgets import curvature as wc


def test_sharpness_run_on_a_quadratic_sees_a_constant_sharpness_and_the_same_losses_as_run():
    q = problems.quadratic([4.0, 1.0], angle=0.4)
    lrs = np.array([0.1, 0.3, 0.6])  # the last one is past 2/L = 0.5
    r = stability.sharpness_run(q, optimizers.sgd(lrs, momentum=0.0), 60, every=10)
    h = lrcourse.run(q, optimizers.sgd(lrs), 60, progress=False)
    assert np.array_equal(r.diverged_at, h.diverged_at)
    alive = r.diverged_at == -1
    assert np.allclose(r.loss[:, alive], h.loss[:, alive], rtol=1e-12)
    assert np.allclose(r.sharpness[:, alive], 4.0, rtol=1e-6)
    assert np.isnan(r.sharpness[-1, ~alive]).all()
    assert list(r.steps) == [10, 20, 30, 40, 50, 60]


def test_sharpness_run_k_settings_equal_single_runs_and_adam_is_preconditioned():
    q = problems.quadratic([9.0, 1.0])
    both = stability.sharpness_run(q, optimizers.adam(np.array([0.01, 0.05])), 40, every=20, preconditioned=True)
    for k, lr in enumerate([0.01, 0.05]):
        one = stability.sharpness_run(q, optimizers.adam(lr), 40, every=20, preconditioned=True)
        assert np.allclose(both.loss[:, k], one.loss, rtol=1e-12)
        assert np.allclose(both.sharpness[:, k], one.sharpness, rtol=1e-4)
    # on a diagonal quadratic P^-1 H is diagonal: its top entry is the preconditioned sharpness
    opt = optimizers.adam(0.05)
    x, s = q.x0, opt.init(q.x0)
    for _ in range(40):
        x, s = opt.step(x, q.grad(x), s)
    P = curvature.adam_preconditioner(s)
    assert one.sharpness[-1] == pytest.approx(np.max(np.array([9.0, 1.0]) / P), rel=1e-4)


def test_catapult_phases_at_large_width():
    c = np.array([0.5, 1.5, 1.9, 2.3, 3.0, 3.7, 4.4, 6.0])
    r = stability.catapult(c, width=2000, steps=300, seed=1)
    regimes = [wc.catapult_regime(r, k) for k in range(c.size)]
    assert regimes == ["lazy"] * 3 + ["catapult"] * 3 + ["diverged"] * 2
    lazy, cat = slice(0, 3), slice(3, 6)
    assert np.allclose(r.curvature[-1, lazy], r.lambda0, rtol=0.02)  # hardly moves
    assert np.all(r.curvature[-1, cat] < 2 / (c[cat] / r.lambda0))     # ends below 2 / lr
    assert np.all(r.loss[-1, :6] < 1e-8 * max(r.loss[0, 0], 1e-12) + 1e-12)


def test_catapult_first_step_is_gradient_descent_on_the_two_layer_net():
    r = stability.catapult([1.0], width=3, steps=1, y=0.5, seed=2)
    rng = np.random.default_rng(2)
    u, w = rng.standard_normal(3), rng.standard_normal(3)
    lam0 = (u @ u + w @ w) / 3
    f = u @ w / np.sqrt(3)
    lr = 1.0 / lam0
    u1, w1 = u - lr * (f - 0.5) * w / np.sqrt(3), w - lr * (f - 0.5) * u / np.sqrt(3)
    assert r.lambda0 == pytest.approx(lam0)
    assert r.loss[1, 0] == pytest.approx(0.5 * (u1 @ w1 / np.sqrt(3) - 0.5) ** 2, rel=1e-12)
    assert r.curvature[1, 0] == pytest.approx((u1 @ u1 + w1 @ w1) / 3, rel=1e-12)


def test_warmup_sweep_on_a_parabola_matches_the_closed_form():
    L = 4.0
    p = problems.parabola(L=L, x0=1.0)
    peaks = np.geomspace(0.05, 2.0, 25)
    warm = stability.warmup_sweep(p, peaks, [0, 7, 30], steps_after=40, track_peak=peaks[3], every=5)
    for i, w in enumerate([0, 7, 30]):
        lr = [peaks * min(1.0, (k + 1) / w) if w else peaks for k in range(w + 40)]
        x = np.prod([1 - a * L for a in lr], axis=0)  # x_T = prod (1 - lr_k L) x0 on a parabola
        want = 0.5 * L * x**2
        ok = np.isfinite(warm.final_loss[i])
        assert np.allclose(warm.final_loss[i, ok], want[ok], rtol=1e-9)
    # without warmup the edge is 2/L exactly (no catapult on a parabola)
    assert warm.largest[0] < 2 / L < warm.largest[0] * peaks[1] / peaks[0]
    assert np.allclose(warm.sharpness[np.isfinite(warm.sharpness)], L, rtol=1e-6)


@pytest.mark.parametrize("call, match", [
    (lambda: stability.sharpness_run(object(), optimizers.sgd(0.1), 5), "problem"),
    (lambda: stability.sharpness_run(problems.parabola(), "sgd", 5), "optimizer"),
    (lambda: stability.sharpness_run(problems.parabola(), optimizers.sgd(0.1), 0), "steps"),
    (lambda: stability.sharpness_run(problems.parabola(), optimizers.sgd(0.1), 5, every=0), "every"),
    (lambda: stability.sharpness_run(problems.parabola(), optimizers.sgd(0.1), 5, preconditioned=True), "preconditioned"),
    (lambda: stability.catapult([]), "lr_lambda0"),
    (lambda: stability.catapult(-1.0), "lr_lambda0"),
    (lambda: stability.catapult(1.0, width=0), "width"),
    (lambda: stability.warmup_sweep(problems.parabola(), [0.1, 0.2], [1.5]), "warmup"),
    (lambda: stability.warmup_sweep(problems.parabola(), [0.1, 0.2], [5], track_peak=0.3), "track_peak"),
    (lambda: stability.warmup_sweep(problems.parabola(), [], [5]), "peaks"),
])
def test_bad_arguments_are_named(call, match):
    with pytest.raises((TypeError, ValueError), match=match):
        call()


def tiny_net():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((40, 5))
    y = (X[:, 0] > 0).astype(int) + (X[:, 1] > 0)
    return models.MLP(X, y, hidden=(6,), activation="tanh", batch_size=40, loss="mse", seed=0)


def test_edge_of_stability_app_every_position_shows_its_own_run():
    app = wc.EdgeOfStabilityApp(tiny_net(), lrs=np.geomspace(0.1, 0.4, 4), steps=60, every=20)
    seen = []
    for lr in app.lrs:
        app.controls["lr"].value = lr
        x, y = app.edge_line.get_data()
        assert y[0] == pytest.approx(2 / lr)
        seen.append(tuple(app.loss_line.get_data()[1][-3:]))
        assert "2/lr" in app.status.value or "diverged" in app.status.value
    assert len(set(seen)) == 4
    with pytest.raises(ValueError, match="lrs"):
        wc.EdgeOfStabilityApp(tiny_net(), lrs=[0.1])


def test_catapult_app_status_names_the_regime():
    app = wc.CatapultApp(steps=80)
    for c, word in [(1.0, "lazy"), (3.0, "catapult"), (5.0, "diverged")]:
        app.controls["c"].value = c
        assert word in app.status.value
        assert app.edge_line.get_data()[1][0] == pytest.approx(2 / app.c)
