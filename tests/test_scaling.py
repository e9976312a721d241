"""Lesson 11's library: noise scale from per-example gradients, the muP parametrisation, the
scheduled NQM, and the critical-batch app."""
import numpy as np
import pytest

from lrcourse import data, models, noisescale, nqm, width
from lrcourse.widgets.batchsize import CriticalBatchApp


def small_softmax():
    d = data.load_digits()
    X = d.X[:120] / 16.0
    return models.LogisticRegression(X - X.mean(axis=0), d.y[:120])


def test_per_example_gradients_average_to_the_full_gradient_and_give_the_noise_scale():
    m = small_softmax()
    w = np.random.default_rng(0).normal(0, 0.1, m.dim)
    g = noisescale.per_example_grads(m, w)
    assert g.shape == (m.n, m.dim)
    assert np.allclose(g.mean(axis=0), m.grad(w), rtol=1e-10, atol=1e-12)
    # closed form for softmax regression: g_i = a_i (p_i - e_i)^T with a_i = (x_i, 1), in w's layout
    A = np.hstack([m.X, np.ones((m.n, 1))])
    R = m.predict_proba(w) - np.eye(m.n_classes)[m.y]
    assert np.allclose(g, np.einsum("ia,ic->iac", A, R).reshape(m.n, -1), rtol=1e-9, atol=1e-12)
    G = g.mean(axis=0)
    want = np.sum((g - G) ** 2) / m.n / (G @ G)
    assert noisescale.simple_noise_scale(g) == pytest.approx(want, rel=1e-12)


def test_noise_scale_of_identical_examples_is_zero_and_of_pure_noise_is_infinite():
    assert noisescale.simple_noise_scale(np.ones((5, 3))) == 0.0
    assert noisescale.simple_noise_scale(np.array([[1.0, -1.0], [-1.0, 1.0]])) == np.inf


def test_critical_batch_fit_recovers_mccandlish_curve():
    B = np.array([1, 2, 4, 8, 16, 64, 256.0])
    S = 30 * (1 + 12 / B)
    S_min, B_crit = noisescale.critical_batch(B, S)
    assert S_min == pytest.approx(30) and B_crit == pytest.approx(12)
    with pytest.raises(ValueError, match="fall"):
        noisescale.critical_batch([1, 2, 4], [1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match="level off"):
        noisescale.critical_batch([1, 2, 4], [30.0, 10.0, 1.0])


def test_mup_agrees_with_sp_at_the_base_width_and_scales_as_the_table_says():
    X = np.random.default_rng(0).standard_normal((20, 5))
    y = np.arange(20) % 3
    base = models.MLP(X, y, hidden=(8,), batch_size=20)
    wide = models.MLP(X, y, hidden=(32,), batch_size=20)
    for p in ("sp", "mup"):
        a = width.init_params(base, p, base_width=8, seed=1)
        b = width.init_params(base, "sp", base_width=8, seed=1)
        assert all(np.array_equal(a[k], b[k]) for k in a)
    assert width.layer_rates(base, 0.1, "mup", base_width=8) == width.layer_rates(base, 0.1, "sp", base_width=8)
    rates = width.layer_rates(wide, 0.1, "mup", base_width=8)
    assert rates == pytest.approx({"W1": 0.4, "b1": 0.4, "W2": 0.025, "b2": 0.1})
    big = width.init_params(models.MLP(X, y, hidden=(4096,), batch_size=20), "mup", base_width=8, seed=0)
    assert np.var(big["W2"]) == pytest.approx(1 / 4096 * 8 / 4096, rel=0.05)
    k = width.init_params(wide, "sp", n_settings=3)
    assert k["W1"].shape == (3, 5, 32) and np.array_equal(k["W1"][0], k["W1"][2])


def test_width_sweep_runs_and_reports_divergence_as_inf():
    d = data.load_digits()
    X = d.X[:100] / 16.0
    s = width.width_sweep(X - X.mean(axis=0), d.y[:100], [8, 16], [0.1, 100.0], "sp", steps=20, batch_size=10)
    assert s.final_loss.shape == (2, 2) and np.all(np.isfinite(s.final_loss[:, 0]))
    assert np.all(np.isinf(s.final_loss[:, 1])) and np.all(s.best_lr == 0.1)


def test_scheduled_loss_equals_expected_loss_for_a_constant_schedule():
    m = nqm.NoisyQuadratic.zhang(10)
    a = nqm.scheduled_loss(m, np.full(50, 0.3), np.full(50, 4))
    assert np.allclose(a, nqm.expected_loss(m, 0.3, 4, 50), rtol=1e-12)
    assert nqm.noise_scale(m, np.ones(10)) == pytest.approx(np.sum(m.c) / np.sum(m.h**2))


def test_expected_loss_at_jumps_match_the_step_by_step_recursion():
    m = nqm.NoisyQuadratic.zhang(30)
    t = np.array([0, 1, 5, 17, 100, 1000])
    mom = np.array([[0.0], [0.9]])
    a = nqm.expected_loss_at(m, t, np.array([0.1, 0.5]), 4, momentum=mom)
    b = nqm.expected_loss(m, np.array([0.1, 0.5]), 4, 1000, momentum=mom)[t]
    assert np.allclose(a, b, rtol=1e-10)
    with pytest.raises(ValueError, match="steps"):
        nqm.expected_loss_at(m, [5, 3], 0.1, 1)


def test_critical_batch_app_marks_each_batch_and_names_the_steps():
    app = CriticalBatchApp(model=nqm.NoisyQuadratic.zhang(20), batch_sizes=2.0 ** np.arange(0, 8),
                           lrs=np.geomspace(1e-2, 3, 15), batch_size=4)
    seen = set()
    for B in app.batch_sizes:
        app.controls["B"].value = B
        assert app.marker.get_data()[0][0] == B and f"B = {B:.0f}" in app.status.value
        seen.add(tuple(np.round(app.lines["SGD"].get_data()[1][:5], 12)))
    assert len(seen) == app.batch_sizes.size


@pytest.mark.parametrize("call, match", [
    (lambda: noisescale.per_example_grads("model", np.zeros(3)), "model"),
    (lambda: noisescale.simple_noise_scale(np.ones(3)), "grads"),
    (lambda: noisescale.simple_noise_scale(np.ones((1, 3))), "grads"),
    (lambda: width.init_params("net"), "model"),
    (lambda: width.layer_rates(models.MLP(np.ones((4, 2)), np.arange(4) % 2, hidden=(3,), batch_size=4), 0.1, "ntk"),
     "parametrization"),
    (lambda: width.width_sweep(np.ones((4, 2)), np.arange(4) % 2, [2.5], [0.1]), "widths"),
    (lambda: nqm.scheduled_loss(nqm.NoisyQuadratic.zhang(3), [0.1, 0.2], [1]), "batch_sizes"),
    (lambda: CriticalBatchApp(model="nqm"), "model"),
])
def test_bad_arguments_are_named(call, match):
    with pytest.raises((TypeError, ValueError), match=match):
        call()
