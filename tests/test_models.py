"""Tests of lrcourse.models: exact gradients, the K axis, minibatches, curvature, errors."""
from __future__ import annotations

import warnings

import numpy as np
import pytest

from lrcourse.data import load_breast_cancer, load_digits, sample_batch, standardize, train_val_split
from lrcourse.models import MLP, LinearRegression, LogisticRegression


# ---------------------------------------------------------------- small real data
def digits_subset(n=40, d=8, classes=3, seed=0):
    """n standardized digit images of the first ``classes`` digits, d pixel columns."""
    ds = load_digits()
    keep = np.flatnonzero(ds.y < classes)[:n]
    cols = [19, 20, 26, 27, 34, 35, 42, 43][:d]  # central pixels, never constant
    return standardize(ds.X[keep][:, cols]), ds.y[keep]


def cancer_subset(n=60):
    ds = load_breast_cancer()
    return standardize(ds.X[:n, :6]), ds.y[:n]


# ---------------------------------------------------------------- finite differences
def fd_grad_flat(loss, x, h=1e-6):
    """Central differences of loss over the last axis of x (any leading axes), vectorised:
    all 2*dim perturbed points go through loss in one call, which exercises the K axis."""
    dim = x.shape[-1]
    E = h * np.eye(dim)
    up = loss(x[..., None, :] + E)
    down = loss(x[..., None, :] - E)
    return (up - down) / (2 * h)


def fd_grad_dict(loss, params, h=1e-6):
    """Central differences of loss with respect to every entry of a dict of arrays."""
    out = {}
    for key, a in params.items():
        g = np.zeros_like(a)
        for idx in np.ndindex(a.shape):
            for sign in (1, -1):
                p = {k: b.copy() for k, b in params.items()}
                p[key][idx] += sign * h
                g[idx] += sign * loss(p)[idx[: a.ndim - _core_ndim(key)]] / (2 * h)
        out[key] = g
    return out


def _core_ndim(key):
    return 2 if key.startswith("W") else 1


def random_params(model, lead, seed, scale=1.0):
    rng = np.random.default_rng(seed)
    return {k: scale * rng.standard_normal(lead + s) for k, s in model.shapes.items()}


def flat_models():
    Xd, yd = digits_subset()
    Xc, yc = cancer_subset()
    return {
        "linear": LinearRegression(Xc, Xc[:, 0] * 2 - yc + 0.5, batch_size=7, l2=0.3),
        "binary": LogisticRegression(Xc, yc, batch_size=7, l2=0.2),
        "softmax": LogisticRegression(Xd, yd, batch_size=5, l2=0.1),
    }


# ---------------------------------------------------------------- exact gradients
@pytest.mark.parametrize("name", ["linear", "binary", "softmax"])
def test_flat_gradients_match_finite_differences(name):
    model = flat_models()[name]
    rng = np.random.default_rng(1)
    for lead in [(), (3,)]:
        x = 0.5 * rng.standard_normal(lead + (model.dim,))
        g = model.grad(x)
        assert g.shape == x.shape
        np.testing.assert_allclose(g, fd_grad_flat(model.loss, x), rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("activation, loss", [("relu", "cross_entropy"), ("tanh", "cross_entropy"), ("tanh", "mse")])
def test_mlp_gradient_matches_finite_differences(activation, loss):
    X, y = digits_subset(n=30, d=6)
    model = MLP(X, y, hidden=(5, 4), activation=activation, batch_size=8, l2=0.05, loss=loss)
    for lead, seed in [((), 0), ((2,), 1)]:
        params = random_params(model, lead, seed)
        g = model.grad(params)
        fd = fd_grad_dict(model.loss, params)
        assert list(g) == ["W1", "b1", "W2", "b2", "W3", "b3"]
        for key in params:
            assert g[key].shape == params[key].shape
            np.testing.assert_allclose(g[key], fd[key], rtol=1e-6, atol=1e-9, err_msg=key)


def test_mlp_without_hidden_layer_is_softmax_regression():
    X, y = digits_subset()
    mlp = MLP(X, y, hidden=(), batch_size=5, l2=0.1)
    logreg = LogisticRegression(X, y, l2=0.1)
    W = np.random.default_rng(2).standard_normal((X.shape[1] + 1, 3))
    params = {"W1": W[:-1], "b1": W[-1]}
    np.testing.assert_allclose(mlp.loss(params), logreg.loss(W.ravel()), rtol=1e-13)
    g = logreg.grad(W.ravel()).reshape(W.shape)
    np.testing.assert_allclose(mlp.grad(params)["W1"], g[:-1], rtol=1e-12)
    np.testing.assert_allclose(mlp.grad(params)["b1"], g[-1], rtol=1e-12)


def test_against_torch_when_available():
    torch = pytest.importorskip("torch")
    X, y = digits_subset(n=30, d=6)
    for activation in ["relu", "tanh"]:
        model = MLP(X, y, hidden=(7,), activation=activation, batch_size=8)
        params = random_params(model, (), 3)
        t = {k: torch.tensor(a, requires_grad=True) for k, a in params.items()}
        act = torch.relu if activation == "relu" else torch.tanh
        logits = act(torch.tensor(X) @ t["W1"] + t["b1"]) @ t["W2"] + t["b2"]
        loss = torch.nn.functional.cross_entropy(logits, torch.tensor(y))
        loss.backward()
        np.testing.assert_allclose(model.loss(params), loss.item(), rtol=1e-12)
        g = model.grad(params)
        for k in params:
            np.testing.assert_allclose(g[k], t[k].grad.numpy(), rtol=1e-10, atol=1e-14)
    Xc, yc = cancer_subset()
    logreg = LogisticRegression(Xc, yc)
    w = np.random.default_rng(4).standard_normal(logreg.dim)
    tw = torch.tensor(w)
    z = torch.tensor(Xc) @ tw[:-1] + tw[-1]
    bce = torch.nn.functional.binary_cross_entropy_with_logits(z, torch.tensor(yc, dtype=torch.float64))
    np.testing.assert_allclose(logreg.loss(w), bce.item(), rtol=1e-12)


# ---------------------------------------------------------------- K settings side by side
@pytest.mark.parametrize("name", ["linear", "binary", "softmax"])
def test_flat_k_settings_equal_separate_runs(name):
    model = flat_models()[name]
    x = np.random.default_rng(5).standard_normal((4, model.dim))
    loss, grad = model.loss(x), model.grad(x)
    sgrad = model.stochastic_grad(x, np.random.default_rng(9))
    assert loss.shape == (4,) and grad.shape == (4, model.dim)
    for k in range(4):
        np.testing.assert_allclose(loss[k], model.loss(x[k]), rtol=1e-13)
        np.testing.assert_allclose(grad[k], model.grad(x[k]), rtol=1e-12, atol=1e-15)
        # the same seed draws the same minibatch: common random numbers across settings
        np.testing.assert_allclose(sgrad[k], model.stochastic_grad(x[k], np.random.default_rng(9)),
                                   rtol=1e-12, atol=1e-15)


def test_mlp_k_settings_equal_separate_runs():
    X, y = digits_subset()
    model = MLP(X, y, hidden=(6,), batch_size=5, l2=0.01)
    params = model.init_params(seed=7, n_settings=3)
    assert params["W1"].shape == (3, 8, 6) and params["b2"].shape == (3, 3)
    loss, grad = model.loss(params), model.grad(params)
    sgrad = model.stochastic_grad(params, np.random.default_rng(11))
    acc = model.accuracy(params)
    assert loss.shape == (3,) and acc.shape == (3,)
    for k in range(3):
        one = {key: a[k] for key, a in params.items()}
        np.testing.assert_allclose(loss[k], model.loss(one), rtol=1e-13)
        assert acc[k] == model.accuracy(one)
        single_sgrad = model.stochastic_grad(one, np.random.default_rng(11))
        for key in params:
            np.testing.assert_allclose(grad[key][k], model.grad(one)[key], rtol=1e-12, atol=1e-15)
            np.testing.assert_allclose(sgrad[key][k], single_sgrad[key], rtol=1e-12, atol=1e-15)
    # different settings really differ (different initial weights)
    assert not np.isclose(loss[0], loss[1])


# ---------------------------------------------------------------- minibatch gradients
@pytest.mark.parametrize("name", ["linear", "binary", "softmax"])
def test_stochastic_grad_is_the_gradient_on_the_drawn_rows(name):
    model = flat_models()[name]
    x = np.random.default_rng(6).standard_normal(model.dim)
    g = model.stochastic_grad(x, np.random.default_rng(3))
    idx = sample_batch(model.n, model.batch_size, np.random.default_rng(3))
    kw = {"n_classes": model.n_classes} if name != "linear" else {}
    on_rows = type(model)(model.X[idx], model.y[idx], l2=model.l2, **kw)
    np.testing.assert_allclose(g, on_rows.grad(x), rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("name", ["linear", "softmax"])
def test_stochastic_grad_is_unbiased(name):
    model = flat_models()[name]
    x = np.random.default_rng(8).standard_normal(model.dim)
    rng = np.random.default_rng(0)
    draws = np.array([model.stochastic_grad(x, rng) for _ in range(3000)])
    err = draws.mean(0) - model.grad(x)
    se = draws.std(0) / np.sqrt(len(draws))
    assert np.all(np.abs(err) <= 4.5 * se + 1e-12)
    assert np.any(se > 0)  # minibatches do differ


def test_full_batch_stochastic_grad_is_exactly_grad():
    X, y = digits_subset()
    mlp = MLP(X, y, hidden=(4,), batch_size=len(y))
    p = mlp.x0
    g, sg = mlp.grad(p), mlp.stochastic_grad(p, np.random.default_rng(0))
    for k in p:
        np.testing.assert_array_equal(sg[k], g[k])
    for model in [LinearRegression(X, y), LogisticRegression(X, y)]:
        x = np.full(model.dim, 0.1)
        np.testing.assert_array_equal(model.stochastic_grad(x, np.random.default_rng(0)), model.grad(x))


# ---------------------------------------------------------------- curvature and minimiser
def test_linear_regression_minimizer_and_curvature():
    X, _ = cancer_subset()
    y = X @ np.arange(1.0, 7.0) + np.sin(np.arange(len(X)))
    model = LinearRegression(X, y)
    A = np.c_[X, np.ones(len(X))]
    w_lstsq = np.linalg.lstsq(A, y, rcond=None)[0]
    np.testing.assert_allclose(model.minimizer, w_lstsq, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(model.min_loss, 0.5 * np.mean((A @ w_lstsq - y) ** 2), rtol=1e-10)
    eig = np.linalg.eigvalsh(A.T @ A / len(X))
    np.testing.assert_allclose(model.L, eig[-1], rtol=1e-12)
    np.testing.assert_allclose(model.mu, eig[0], rtol=1e-10)
    np.testing.assert_allclose(model.kappa, eig[-1] / eig[0], rtol=1e-10)
    np.testing.assert_allclose(model.eigenvalues, eig[::-1], rtol=1e-10, atol=1e-14)
    # the Hessian is the derivative of the gradient
    x = np.random.default_rng(0).standard_normal(model.dim)
    np.testing.assert_allclose(model.hessian(), fd_grad_flat(model.grad, x).swapaxes(-1, -2),
                               rtol=1e-6, atol=1e-7)


def test_linear_regression_with_l2_and_a_singular_design():
    X, y = digits_subset(d=4)
    X = np.c_[X, np.zeros(len(X))]  # a blank pixel: the Hessian is singular
    plain = LinearRegression(X, y)
    assert plain.mu == 0.0 and plain.kappa == np.inf
    w = np.linalg.lstsq(np.c_[X, np.ones(len(X))], y, rcond=None)[0]  # minimum-norm solution
    np.testing.assert_allclose(plain.minimizer, w, rtol=1e-10, atol=1e-12)
    ridge = LinearRegression(X, y, l2=0.5)
    np.testing.assert_allclose(ridge.grad(ridge.minimizer), 0, atol=1e-12)
    assert ridge.mu == pytest.approx(0.5)  # the blank pixel's weight feels only the penalty
    assert ridge.min_loss > plain.min_loss


def test_gradient_descent_obeys_the_two_over_L_threshold():
    X, y = cancer_subset()
    model = LinearRegression(X, X[:, 1] - y)
    rates = np.array([1.0, 1.9, 2.1]) / model.L
    w = np.zeros((3, model.dim))
    for _ in range(300):
        w = w - rates[:, None] * model.grad(w)
    gap = model.loss(w) - model.min_loss
    assert gap[0] < 1e-3 and gap[1] < 1e-3 and gap[2] > 1e3


@pytest.mark.parametrize("name", ["binary", "softmax"])
def test_logistic_hessian_and_smoothness_bound(name):
    model = flat_models()[name]
    rng = np.random.default_rng(2)
    for scale in [0.0, 0.3, 3.0]:
        x = scale * rng.standard_normal(model.dim)
        H = model.hessian(x)
        np.testing.assert_allclose(H, fd_grad_flat(model.grad, x).swapaxes(-1, -2), rtol=1e-6, atol=1e-8)
        assert np.linalg.eigvalsh(H)[-1] <= model.L * (1 + 1e-12)
    if name == "binary":  # at w = 0 every p = 1/2 and the bound is attained
        np.testing.assert_allclose(np.linalg.eigvalsh(model.hessian(model.x0))[-1], model.L, rtol=1e-10)


# ---------------------------------------------------------------- evaluation helpers
def test_predictions_accuracy_and_validation_data():
    ds = load_digits()
    Xtr, Xva, ytr, yva = train_val_split(ds.X, ds.y, seed=0)
    Xtr, Xva = standardize(Xtr, Xva)
    model = MLP(Xtr, ytr, hidden=(32,), batch_size=32, seed=0)
    val = model.with_data(Xva, yva)
    assert val.n == 360 and val.batch_size == 32 and model.n == 1437
    p0 = model.x0
    for k in p0:
        np.testing.assert_array_equal(val.x0[k], p0[k])
    # plain SGD, 3 epochs: the network learns the digits
    rng, params = np.random.default_rng(0), p0
    for _ in range(3 * 1437 // 32):
        g = model.stochastic_grad(params, rng)
        params = {k: params[k] - 0.1 * g[k] for k in params}
    assert model.loss(params) < 0.3 * model.loss(p0)
    assert model.accuracy(params) > 0.9 and val.accuracy(params) > 0.9
    assert model.accuracy(params, Xva, yva) == val.accuracy(params)
    proba = model.predict_proba(params, Xva)
    np.testing.assert_allclose(proba.sum(-1), 1.0, rtol=1e-12)
    np.testing.assert_array_equal(model.predict(params, Xva), proba.argmax(-1))
    assert val.accuracy(params) == np.mean(model.predict(params, Xva) == yva)
    # the validation loss is the loss of a model built on the validation rows
    fresh = MLP(Xva, yva, hidden=(32,), n_classes=10)
    np.testing.assert_allclose(val.loss(params), fresh.loss(params), rtol=1e-13)


def test_with_data_keeps_the_classes():
    X, y = digits_subset()
    logreg = LogisticRegression(X, y)
    only_zeros = logreg.with_data(X[y == 0], y[y == 0])
    assert only_zeros.n_classes == 3 and only_zeros.dim == logreg.dim
    with pytest.raises(ValueError, match=r"y must hold labels in 0..2 \(3 classes\), got 5"):
        logreg.with_data(X, np.full(len(y), 5))
    with pytest.raises(ValueError, match="X must have 8 columns"):
        logreg.with_data(X[:, :3], y)
    lin = LinearRegression(X, y)
    np.testing.assert_allclose(lin.with_data(X[:10], y[:10]).L,
                               LinearRegression(X[:10], y[:10]).L, rtol=1e-12)


def test_binary_logistic_regression_separates_the_cancer_data():
    ds = load_breast_cancer()
    X = standardize(ds.X)
    model = LogisticRegression(X, ds.y)
    w = model.x0
    for _ in range(300):
        w = w - model.grad(w) / model.L
    assert model.accuracy(w) > 0.97
    np.testing.assert_allclose(model.predict_proba(w).sum(-1), 1.0)


def test_mlp_init_is_deterministic_and_scaled():
    X, y = digits_subset(d=8)
    relu = MLP(X, y, hidden=(400,), seed=3)
    again = MLP(X, y, hidden=(400,), seed=3)
    for k in relu.x0:
        np.testing.assert_array_equal(relu.x0[k], again.x0[k])
    assert relu.x0["W1"].std() == pytest.approx(np.sqrt(2 / 8), rel=0.05)   # He
    assert relu.x0["W2"].std() == pytest.approx(np.sqrt(2 / 400), rel=0.1)
    np.testing.assert_array_equal(relu.x0["b1"], 0)
    tanh = MLP(X, y, hidden=(400,), activation="tanh", seed=3)
    assert tanh.x0["W1"].std() == pytest.approx(np.sqrt(2 / 408), rel=0.05)  # Glorot
    assert relu.n_params == 8 * 400 + 400 + 400 * 3 + 3
    assert not np.array_equal(MLP(X, y, hidden=(400,), seed=4).x0["W1"], relu.x0["W1"])


# ---------------------------------------------------------------- divergence is quiet
def test_huge_parameters_give_inf_or_nan_without_warnings():
    X, y = digits_subset()
    mlp = MLP(X, y, hidden=(5,))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        big = {k: np.full_like(a, 1e200) for k, a in mlp.x0.items()}
        for p in [big, {k: -a for k, a in big.items()}]:
            assert not np.isfinite(mlp.loss(p))
            mlp.grad(p)
            mlp.stochastic_grad(p, np.random.default_rng(0))
            mlp.accuracy(p)
        for model in flat_models().values():
            x = np.full((2, model.dim), 1e300) * np.array([[1.0], [-1.0]])
            assert not np.any(np.isfinite(model.loss(x)))
            model.grad(x)
            model.stochastic_grad(x, np.random.default_rng(0))
    # large but finite logits are still handled exactly (stable log-sum-exp)
    logreg = LogisticRegression(X, y)
    W = np.zeros((9, 3))
    W[-1] = [800.0, 0.0, 0.0]  # bias: class 0 certain
    expected = np.mean(np.where(y == 0, 0.0, 800.0))
    np.testing.assert_allclose(logreg.loss(W.ravel()), expected, rtol=1e-12)


# ---------------------------------------------------------------- bad inputs
X_OK, Y_OK = np.random.default_rng(0).standard_normal((10, 3)), np.arange(10) % 3


@pytest.mark.parametrize(
    "make, error, words",
    [
        (lambda: LinearRegression(np.zeros(10), Y_OK), ValueError, "X must be a non-empty 2-D array"),
        (lambda: LinearRegression(X_OK, Y_OK[:5]), ValueError, "y must have shape (10,) to match X"),
        (lambda: LinearRegression(X_OK * np.nan, Y_OK), ValueError, "X must contain finite numbers"),
        (lambda: LinearRegression(X_OK, Y_OK, batch_size=0), ValueError,
         "batch_size must be an integer in [1, 10], got 0"),
        (lambda: LinearRegression(X_OK, Y_OK, batch_size=11), ValueError, "batch_size must be an integer in [1, 10]"),
        (lambda: LinearRegression(X_OK, Y_OK, l2=-1.0), ValueError, "l2 must be >= 0, got -1.0"),
        (lambda: LinearRegression(X_OK, Y_OK, l2="0"), TypeError, "l2 must be a real number"),
        (lambda: LogisticRegression(X_OK, Y_OK + 0.5), ValueError, "y must hold class labels"),
        (lambda: LogisticRegression(X_OK, Y_OK, n_classes=2), ValueError, "y must hold labels in 0..1"),
        (lambda: LogisticRegression(X_OK, Y_OK, batch_size=2.5), TypeError, "batch_size must be an integer"),
        (lambda: MLP(X_OK, Y_OK, hidden=(4, 0)), ValueError, "hidden[1] must be an integer >= 1, got 0"),
        (lambda: MLP(X_OK, Y_OK, hidden="4"), TypeError, "hidden must be a tuple of positive integers"),
        (lambda: MLP(X_OK, Y_OK, activation="sigmoid"), ValueError,
         "activation must be one of 'relu', 'tanh', got 'sigmoid'"),
        (lambda: MLP(X_OK, Y_OK, batch_size=32), ValueError, "batch_size must be an integer in [1, 10], got 32"),
        (lambda: MLP(X_OK, Y_OK, batch_size=4, seed=-2), ValueError, "seed must be an integer >= 0"),
        (lambda: MLP(X_OK, Y_OK, batch_size=4, l2=float("inf")), ValueError, "l2 must be >= 0"),
        (lambda: MLP(X_OK, Y_OK, batch_size=4, n_classes=1), ValueError, "n_classes must be an integer >= 2"),
    ],
)
def test_bad_constructor_arguments(make, error, words):
    with pytest.raises(error) as info:
        make()
    assert words in str(info.value)


def test_bad_parameters_and_calls():
    mlp = MLP(X_OK, Y_OK, hidden=(4,), batch_size=4)
    with pytest.raises(ValueError, match=r"params\['W1'\] must have shape \(\.\.\., 3, 4\), got shape \(4, 3\)"):
        mlp.loss({**mlp.x0, "W1": np.zeros((4, 3))})
    with pytest.raises(ValueError, match=r"params\['b1'\] must have shape \(2, 4\), got shape \(4,\)"):
        mlp.grad({**mlp.init_params(0, 2), "b1": np.zeros(4)})
    with pytest.raises(ValueError, match="params must have keys W1, b1, W2, b2"):
        mlp.loss({"W1": mlp.x0["W1"]})
    with pytest.raises(TypeError, match="params must be a dict"):
        mlp.loss(np.zeros(5))
    with pytest.raises(TypeError, match="rng must be a numpy Generator"):
        mlp.stochastic_grad(mlp.x0, 0)
    with pytest.raises(ValueError, match="X and y must be given together"):
        mlp.accuracy(mlp.x0, X_OK)
    lin = LinearRegression(X_OK, Y_OK)
    with pytest.raises(ValueError, match=r"x must have last axis of length 4, got shape \(3,\)"):
        lin.loss(np.zeros(3))
    with pytest.raises(ValueError, match="X must have 3 columns"):
        lin.predict(lin.x0, np.zeros((2, 2)))


def test_mlp_square_loss_is_half_the_squared_distance_to_the_one_hot_targets():
    X, y = digits_subset(n=30, d=6)
    model = MLP(X, y, hidden=(4,), activation="tanh", batch_size=8, loss="mse", l2=0.0)
    p = model.x0
    Z = np.tanh(X @ p["W1"] + p["b1"]) @ p["W2"] + p["b2"]
    Y = np.eye(model.n_classes)[y]
    assert model.loss(p) == pytest.approx(0.5 * np.mean(np.sum((Z - Y) ** 2, axis=1)), rel=1e-12)
    with pytest.raises(ValueError, match="loss"):
        MLP(X, y, batch_size=8, loss="hinge")
