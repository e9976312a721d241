"""Lesson 3's tools (lrcourse.widgets.noise): gradient noise, noise floors, the batch-size app."""
import itertools
import warnings

import numpy as np
import pytest

import lrcourse
from lrcourse import data, models, optimizers, problems
from lrcourse.widgets import noise


@pytest.fixture(autouse=True)
def _close_figures():
    """Apps make pyplot figures: close them, so no 'too many figures' warning reaches a strict test."""
    import matplotlib.pyplot as plt

    plt.close("all")
    yield
    plt.close("all")


@pytest.fixture(scope="module")
def cancer():
    ds = data.load_breast_cancer()
    return data.standardize(ds.X), ds.y


@pytest.fixture(scope="module")
def logistic(cancer):
    X, y = cancer
    return models.LogisticRegression(X, y, l2=0.1)


def _small_regression(n=40, d=3, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d))
    y = X @ np.array([1.0, -2.0, 0.5]) + 0.3 * rng.standard_normal(n)
    return X, y


# ------------------------------------------------------------------ minimize
def test_minimize_finds_the_least_squares_solution():
    X, y = _small_regression()
    model = models.LinearRegression(X, y, l2=0.01)
    w, f = noise.minimize(model)
    assert np.allclose(w, model.minimizer, atol=1e-10)
    assert f == pytest.approx(model.min_loss, rel=1e-12)


def test_minimize_logistic_gradient_vanishes(logistic):
    w, f = noise.minimize(logistic)
    assert np.linalg.norm(logistic.grad(w)) < 1e-10
    assert f == pytest.approx(float(logistic.loss(w)))
    assert f < float(logistic.loss(w + 1e-3))


def test_minimize_rejects_bad_arguments(logistic):
    with pytest.raises(ValueError, match="tol"):
        noise.minimize(logistic, tol=0.0)
    with pytest.raises(ValueError, match="max_steps"):
        noise.minimize(logistic, max_steps=0)


# ------------------------------------------------------------------ per-example gradients
@pytest.mark.parametrize("kind", ["linear", "binary", "softmax"])
def test_per_example_gradients_average_to_the_gradient(kind, cancer):
    X, y = cancer
    rng = np.random.default_rng(1)
    if kind == "linear":
        model = models.LinearRegression(X, y.astype(float), l2=0.3)
    elif kind == "binary":
        model = models.LogisticRegression(X, y, l2=0.3)
    else:
        digits = data.load_digits()
        model = models.LogisticRegression(data.standardize(digits.X[:300]), digits.y[:300], l2=0.3)
    w = 0.1 * rng.standard_normal(model.dim)
    G = noise.per_example_gradients(model, w)
    assert G.shape == (model.n, model.dim)
    assert np.allclose(G.mean(axis=0), model.grad(w), atol=1e-12)
    # each row is the gradient of that row alone
    one = model.with_data(model.X[5:6], model.y[5:6])
    assert np.allclose(G[5], one.grad(w), atol=1e-12)


def test_minibatch_of_per_example_gradients_is_the_library_minibatch(logistic, cancer):
    X, y = cancer
    w = np.linspace(-0.2, 0.2, logistic.dim)
    G = noise.per_example_gradients(logistic, w)
    m = models.LogisticRegression(X, y, batch_size=16, l2=0.1)
    rows = data.sample_batch(m.n, 16, np.random.default_rng(3))
    assert np.allclose(m.stochastic_grad(w, np.random.default_rng(3)), G[rows].mean(axis=0))


def test_per_example_gradients_rejects_other_models(cancer):
    X, y = cancer
    with pytest.raises(TypeError, match="model"):
        noise.per_example_gradients(models.MLP(X, y), np.zeros(3))
    with pytest.raises(ValueError, match="w must have shape"):
        noise.per_example_gradients(models.LogisticRegression(X, y), np.zeros(3))


# ------------------------------------------------------------------ the 1/B law
def _exact_noise(G, B):
    """E||g_B - g||^2 by enumerating every batch of B distinct rows."""
    g = G.mean(axis=0)
    errs = [np.sum((G[list(rows)].mean(axis=0) - g) ** 2) for rows in itertools.combinations(range(len(G)), B)]
    return float(np.mean(errs))


def test_minibatch_noise_formula_is_exact_for_sampling_without_replacement():
    G = np.random.default_rng(0).standard_normal((7, 3))
    trace = np.mean(np.sum((G - G.mean(axis=0)) ** 2, axis=1))
    for B in range(1, 8):
        assert noise.minibatch_noise(trace, 7, B) == pytest.approx(_exact_noise(G, B), abs=1e-12)
    assert noise.minibatch_noise(trace, 7, 7) == 0.0
    assert noise.minibatch_noise(trace, 7, 3, replace=True) == pytest.approx(trace / 3)
    assert noise.minibatch_noise(trace, 7, 20, replace=True) == pytest.approx(trace / 20)


def test_minibatch_noise_broadcasts_and_validates():
    out = noise.minibatch_noise(2.0, 11, np.array([1, 2, 11]))
    assert np.allclose(out, [2.0, 0.9, 0.0])
    for bad in (0, 12, 2.5, np.inf):
        with pytest.raises(ValueError, match="batch_size"):
            noise.minibatch_noise(2.0, 11, bad)
    with pytest.raises(ValueError, match="trace_cov"):
        noise.minibatch_noise(-1.0, 11, 2)
    with pytest.raises(TypeError, match="replace"):
        noise.minibatch_noise(1.0, 11, 2, replace=1)


def test_measured_noise_matches_the_formula(logistic):
    w, _ = noise.minimize(logistic)
    sizes = np.array([1, 3, 30, 300, logistic.n])
    measured = noise.gradient_noise(logistic, w, sizes, draws=3000, seed=1)
    G = noise.per_example_gradients(logistic, w)
    trace = np.mean(np.sum((G - G.mean(axis=0)) ** 2, axis=1))
    predicted = noise.minibatch_noise(trace, logistic.n, sizes)
    assert np.allclose(measured[:-1], predicted[:-1], rtol=0.15)
    assert measured[-1] < 1e-25
    # same seed, same numbers; the draws are batches of distinct rows
    assert np.array_equal(measured, noise.gradient_noise(logistic, w, sizes, draws=3000, seed=1))


def test_gradient_noise_validates(logistic):
    w = np.zeros(logistic.dim)
    with pytest.raises(ValueError, match="batch_sizes"):
        noise.gradient_noise(logistic, w, [0, 4])
    with pytest.raises(ValueError, match="batch_sizes"):
        noise.gradient_noise(logistic, w, [logistic.n + 1])
    with pytest.raises(TypeError, match="batch_sizes"):
        noise.gradient_noise(logistic, w, [1.5])
    with pytest.raises(ValueError, match="draws"):
        noise.gradient_noise(logistic, w, [4], draws=1)


# ------------------------------------------------------------------ the noise floor
def test_predicted_floor_matches_sgd_on_least_squares():
    """On a quadratic the floor is lr/4 E||g_B - g||^2 to first order: check it at a small rate."""
    X, y = _small_regression(n=200)
    model = models.LinearRegression(X, y, l2=0.0)
    sweep = noise.sweep_batch_sizes(model, [4, 16, model.n], lrs=[0.05, 0.1], steps=1500, tail=1200,
                                    progress=False)
    ratio = sweep.floors[:2] / sweep.predicted[:2]
    assert np.all(np.abs(ratio - 1) < 0.25), ratio
    assert np.all(sweep.floors[-1] < 1e-12)             # full batch: no noise, no floor
    assert np.allclose(sweep.predicted[:, 1], 2 * sweep.predicted[:, 0])


def test_predicted_floor_values_and_validation():
    assert noise.predicted_floor(0.2, 3.0, 10, 1) == pytest.approx(0.2 * 3.0 / 4)
    assert np.allclose(noise.predicted_floor(np.array([0.1, 0.2]), 1.0, 10, np.array([[1], [10]])),
                       [[0.025, 0.05], [0.0, 0.0]])
    with pytest.raises(ValueError, match="lr"):
        noise.predicted_floor(-0.1, 1.0, 10, 2)


def test_sweep_shapes_and_seed(logistic):
    sweep = noise.sweep_batch_sizes(logistic, [8, 64], lrs=[0.1, 0.5, 1.0], steps=30, seed=2, progress=False)
    assert sweep.gaps.shape == (2, 31, 3) and sweep.floors.shape == (2, 3) and sweep.steps == 30
    assert sweep.tail == 10 and np.allclose(sweep.floors, sweep.gaps[:, -10:].mean(axis=1))
    again = noise.sweep_batch_sizes(logistic, [8, 64], lrs=[0.1, 0.5, 1.0], steps=30, seed=2, progress=False)
    assert np.array_equal(sweep.gaps, again.gaps)
    # each column is the run of that rate alone, on the same minibatches
    m = models.LogisticRegression(logistic.X, logistic.y, batch_size=8, l2=0.1)
    h = lrcourse.run(m, optimizers.sgd(lr=0.5), 30, seed=2, keep_params=False)
    assert np.allclose(sweep.gaps[0, :, 1], np.maximum(h.loss - sweep.f_star, 0))
    with pytest.raises(ValueError, match="lrs"):
        noise.sweep_batch_sizes(logistic, [8], lrs=[0.0], steps=10, progress=False)


def test_linear_scaling_runs(cancer):
    X, y = cancer
    model = models.LogisticRegression(X, y, l2=0.1)
    r = noise.linear_scaling_runs(model, [16, 64], base_batch=16, base_lr=0.2, epochs=3, warmup_epochs=1,
                                  seed=0, progress=False)
    assert np.allclose(r.lrs, [0.2, 0.8])
    assert r.epoch_loss.shape == (2, 4, 3) and r.final.shape == (2, 3)
    assert np.allclose(r.final[0], r.final[0, 0])       # at the base batch the three settings coincide
    assert not np.isclose(r.final[1, 0], r.final[1, 1])
    # the scaled column is a plain run at lr 0.8 for 3 epochs of ceil(569/64) = 9 steps
    m = models.LogisticRegression(X, y, batch_size=64, l2=0.1)
    h = lrcourse.run(m, optimizers.sgd(lr=0.8), 27, seed=0, keep_params=False)
    assert np.allclose(r.epoch_loss[1, :, 1], h.loss[::9])
    with pytest.raises(ValueError, match="warmup_epochs"):
        noise.linear_scaling_runs(model, [16], 16, 0.2, epochs=2, warmup_epochs=3, progress=False)


# ------------------------------------------------------------------ the app
@pytest.fixture(scope="module")
def diverging_sweep():
    """Least squares, where rates above 2/L diverge: the app must show those too."""
    X, y = _small_regression(n=60)
    model = models.LinearRegression(X, y)
    lrs = np.array([0.05, 0.3, 1.0, 3.0]) * 2 / model.L      # the last one is past 2/L
    return noise.sweep_batch_sizes(model, [1, 4, 16, model.n], lrs=lrs, steps=60, progress=False)


def test_app_renders_every_setting_without_warnings(diverging_sweep):
    s = diverging_sweep
    assert np.all(~np.isfinite(s.floors[:, -1]))          # the fixture does diverge
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        app = noise.BatchNoiseApp(s)
        app.fig.canvas.draw()
        for B in s.batch_sizes:
            for lr in s.lrs:
                app.controls["batch_size"].value = int(B)
                app.controls["lr"].value = float(lr)
                i, k = list(s.batch_sizes).index(B), list(s.lrs).index(lr)
                y = app.sgd_line.get_ydata()
                gap = s.gaps[i, :, k]
                shown = np.isfinite(gap) & (gap > 0)
                assert np.allclose(y[shown], np.minimum(gap[shown], app.ylim[1]))
                assert np.all(np.isnan(y[~shown]))
                crosses = app.cross.get_xdata()
                assert len(crosses) == (0 if np.all(np.isfinite(gap)) else 1)
                assert ("diverged" in app.status.value) == (not np.isfinite(s.floors[i, k]))
                assert np.allclose(app.lr_meas.get_xdata(), s.lrs)
    assert app.blit.blits > 0


def test_app_status_and_markers(logistic):
    sweep = noise.sweep_batch_sizes(logistic, [4, 32, logistic.n], lrs=[0.2, 0.8], steps=40, progress=False)
    app = noise.BatchNoiseApp(sweep, batch_size=32, lr=0.8)
    assert "B = 32" in app.status.value and "lr = 0.8" in app.status.value
    assert app.b_here.get_xdata()[0] == 32
    assert np.allclose(app.b_meas.get_xdata(), [4, 32])          # B = N has no floor to draw on a log axis
    assert app.floor_line.get_ydata()[0] == pytest.approx(sweep.predicted[1, 1])
    app.controls["batch_size"].value = logistic.n
    assert "full-batch" in app.status.value
    assert np.isnan(app.b_here.get_ydata()[0])


def test_app_validates(logistic):
    with pytest.raises(TypeError, match="sweep"):
        noise.BatchNoiseApp("not a sweep")
    sweep = noise.sweep_batch_sizes(logistic, [4, 32], lrs=[0.2, 0.8], steps=5, progress=False)
    with pytest.raises(ValueError, match="batch size"):
        noise.BatchNoiseApp(sweep, batch_size=5)
    with pytest.raises(ValueError, match="lr"):
        noise.BatchNoiseApp(sweep, lr=-1.0)
    assert noise.BatchNoiseApp(sweep, lr=0.7).controls["lr"].value == 0.8     # snapped to the nearest swept rate


def test_noisy_parabola_floor_closed_form():
    """The exact 1-D floor lr sigma^2 / (2 (2 - lr L)) of assignment 3, from 4000 independent runs."""
    L, sigma, lr = 2.0, 0.5, np.full(4000, 0.6)
    h = lrcourse.run(problems.Noisy(problems.parabola(L=L), sigma), optimizers.sgd(lr=lr), 60, seed=0,
                     keep_params=False)
    measured = h.loss[-20:].mean()
    assert measured == pytest.approx(0.6 * sigma**2 / (2 * (2 - 0.6 * L)), rel=0.05)


def test_app_says_when_sgd_ends_worse_than_it_started():
    """Lesson 3's B = 1, lr = 3.2: the mean gap at the end is above the start, which is no noise floor."""
    from lrcourse import data
    ds = data.load_breast_cancer()
    model = models.LogisticRegression(data.standardize(ds.X), ds.y, l2=0.1)
    sweep = noise.sweep_batch_sizes(model, [1, 64, model.n], lrs=[0.1, 3.2], steps=500, seed=0, progress=False)
    assert sweep.floors[0, 1] > sweep.gaps[0, 0, 1] and sweep.floors[1, 0] < sweep.gaps[1, 0, 0]
    app = noise.BatchNoiseApp(sweep, batch_size=1, lr=3.2)
    assert "no floor" in app.status.value and "worse than it started" in app.status.value
    app.controls["batch_size"].value = 64
    app.controls["lr"].value = 0.1
    assert "floor measured" in app.status.value and "no floor" not in app.status.value
