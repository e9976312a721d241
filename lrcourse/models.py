"""Models on real data, as *problems* with exact gradients (see :mod:`lrcourse.problems`).

Each model has ``loss(x)`` (the mean loss over the whole dataset), ``grad(x)`` (its exact
gradient), a default start ``x0`` and ``stochastic_grad(x, rng)``: the gradient on one
minibatch of ``batch_size`` rows drawn by ``rng``, which :func:`lrcourse.run` uses for SGD.
Parameters may carry leading axes (K settings trained side by side); one call evaluates all
K on the *same* minibatch (common random numbers), so differences between settings are
due to the settings, not to luck.

* :class:`LinearRegression`: least squares; knows its Hessian, ``L``, ``mu``, minimiser.
* :class:`LogisticRegression`: binary or softmax cross-entropy; knows a bound ``L``.
* :class:`MLP`: a small neural network (softmax classifier), parameters in a dict.

The l2 penalty ``l2/2 * ||weights||^2`` acts on weights, never on biases.
A diverging run gives ``inf`` or ``nan`` losses, never a numpy warning.
"""
from __future__ import annotations

import copy
import functools

import numpy as np

from . import _validate as v
from .data import as_features, as_labels, as_targets, sample_batch
from .problems import _as_x, _quiet

__all__ = ["LinearRegression", "LogisticRegression", "MLP"]


def _with_ones(X):
    """The design matrix A = [X, 1] (n, d+1): the last weight is the bias."""
    return np.hstack([X, np.ones((X.shape[0], 1))])


def _logsumexp(Z):
    """log sum_c exp(Z[..., c]) without overflow (shift by the row maximum)."""
    m = np.max(Z, axis=-1, keepdims=True)
    m = np.where(np.isfinite(m), m, 0.0)
    return np.log(np.sum(np.exp(Z - m), axis=-1)) + m[..., 0]


def _softmax(Z):
    m = np.max(Z, axis=-1, keepdims=True)
    m = np.where(np.isfinite(m), m, 0.0)
    E = np.exp(Z - m)
    return E / np.sum(E, axis=-1, keepdims=True)


def _sigmoid(z):
    return 0.5 * (1.0 + np.tanh(0.5 * z))  # = 1 / (1 + exp(-z)), never overflows


class _DataModel:
    """What all models share: data, minibatches, evaluation on other data."""

    def _init_classes(self, X, y, n_classes):
        """Set the data of a classifier; C = n_classes or max(y) + 1 (at least 2)."""
        self.n_classes = None if n_classes is None else v.integer("n_classes", n_classes, 2)
        self._set_data(X, y)
        if self.n_classes is None:
            self.n_classes = max(int(self.y.max()) + 1, 2)

    def _minibatch(self, rng):
        """Row indices of one minibatch drawn by rng, or None for all rows (batch_size == n)."""
        v.generator("rng", rng)
        return None if self.batch_size == self.n else sample_batch(self.n, self.batch_size, rng)

    def with_data(self, X, y):
        """The same model (hyperparameters, classes, ``x0``) on other data, e.g. a validation
        set: ``model.with_data(X_val, y_val).loss(x)``. ``batch_size`` is capped at the new
        number of rows."""
        new = copy.copy(self)
        new.__dict__.pop("_curvature", None)  # forget what was computed from the old data
        new._set_data(X, y)
        new.batch_size = min(self.batch_size, new.n)
        return new


class _Classifier:
    """accuracy and predict from predict_proba."""

    def predict(self, x, X=None):
        """Most probable class, shape (..., n) (on ``X`` if given, else the training rows)."""
        self._params(x, "x")
        return np.argmax(self.predict_proba(x, X), axis=-1)

    def accuracy(self, x, X=None, y=None):
        """Fraction of rows classified correctly, shape = the leading axes of the parameters
        (on ``X, y`` if given, else the training rows)."""
        if X is None and y is None:
            X, y = self.X, self.y
        elif X is None or y is None:
            raise ValueError("X and y must be given together (or neither, for the training data)")
        else:
            X = as_features("X", X, self.d)
            y = as_labels("y", y, X.shape[0], self.n_classes)
        self._params(x, "x")
        return np.mean(self.predict(x, X) == y, axis=-1)


class _FlatModel(_DataModel):
    """loss, grad and stochastic_grad for parameters x of shape (..., dim) on A = [X, 1]."""

    def _params(self, x, name):
        return _as_x(x, self.dim, name)

    def loss(self, x):
        """Mean loss over the whole dataset; shape x.shape[:-1]."""
        with np.errstate(**_quiet):
            return self._loss(_as_x(x, self.dim), self.A, self.y)

    def grad(self, x):
        """Exact gradient of :meth:`loss`; same shape as x."""
        with np.errstate(**_quiet):
            return self._grad(_as_x(x, self.dim), self.A, self.y)

    def stochastic_grad(self, x, rng):
        """Gradient of the mean loss on one minibatch of ``batch_size`` rows drawn by ``rng``.

        All leading (K) settings see the same rows. An unbiased estimate of :meth:`grad`;
        exactly :meth:`grad` when ``batch_size`` is the number of rows.
        """
        x = _as_x(x, self.dim)
        idx = self._minibatch(rng)
        A, y = (self.A, self.y) if idx is None else (self.A[idx], self.y[idx])
        with np.errstate(**_quiet):
            return self._grad(x, A, y)


class LinearRegression(_FlatModel):
    """Least squares: f(w) = 1/(2n) ||A w - y||^2 + l2/2 ||w[:-1]||^2 with A = [X, 1].

    Parameters ``w`` are a flat vector of shape (..., d+1): the d weights, then the bias.
    The loss is a quadratic with constant Hessian H = A^T A / n (+ l2 on the weights), so
    gradient descent converges iff lr < 2 / L, L = the largest eigenvalue of H (``L``);
    ``mu`` is the smallest, ``minimizer`` and ``min_loss`` the least-squares solution.

    X : (n, d) features; y : (n,) targets; batch_size : rows per stochastic gradient
    (None = all n); l2 : penalty >= 0 on the weights (not the bias).
    """

    def __init__(self, X, y, batch_size=None, l2=0.0):
        self._set_data(X, y)
        self.batch_size = self.n if batch_size is None else v.integer("batch_size", batch_size, 1, self.n)
        self.l2 = v.number("l2", l2, 0)
        self.d = self.X.shape[1]
        self.dim = self.d + 1
        self.penalized = np.r_[np.ones(self.d), 0.0]  # 1 for weights, 0 for the bias
        self.x0 = np.zeros(self.dim)

    def _set_data(self, X, y):
        self.X = as_features("X", X, getattr(self, "d", None))
        self.y = as_targets("y", y, self.X.shape[0])
        self.A = _with_ones(self.X)
        self.n = self.X.shape[0]

    def _loss(self, w, A, y):
        r = w @ A.T - y  # residuals, (..., m)
        return 0.5 * np.mean(r**2, axis=-1) + 0.5 * self.l2 * np.sum(self.penalized * w**2, axis=-1)

    def _grad(self, w, A, y):
        r = w @ A.T - y
        return r @ A / len(y) + self.l2 * self.penalized * w

    def predict(self, w, X=None):
        """Predictions A w, shape (..., n) (on ``X`` if given, else the training rows)."""
        A = self.A if X is None else _with_ones(as_features("X", X, self.d))
        with np.errstate(**_quiet):
            return _as_x(w, self.dim, "w") @ A.T

    # ---- curvature and minimiser (computed once, on first use)
    @functools.cached_property
    def _curvature(self):
        H = self.A.T @ self.A / self.n + self.l2 * np.diag(self.penalized)
        eig = np.linalg.eigvalsh(H)[::-1]
        # least squares on [A; sqrt(n l2) P] w = [y; 0]: the minimum-norm minimiser
        B = np.vstack([self.A, np.sqrt(self.n * self.l2) * np.diag(self.penalized)])
        w_star = np.linalg.lstsq(B, np.r_[self.y, np.zeros(self.dim)], rcond=None)[0]
        return H, eig, w_star

    def hessian(self, x=None):
        """The Hessian H = A^T A / n + l2 diag(1, ..., 1, 0), shape (d+1, d+1), the same at every x."""
        return self._curvature[0].copy()

    @property
    def eigenvalues(self):
        """Eigenvalues of the Hessian, largest first: the curvatures along its axes."""
        return self._curvature[1].copy()

    @property
    def L(self):
        """Largest Hessian eigenvalue: gradient descent diverges for lr > 2 / L."""
        return float(self._curvature[1][0])

    @property
    def mu(self):
        """Smallest Hessian eigenvalue (0 when H is singular up to rounding)."""
        low = float(self._curvature[1][-1])
        return low if low > 1e-12 * self.L else 0.0

    @property
    def kappa(self):
        """Condition number L / mu (inf when mu = 0)."""
        return self.L / self.mu if self.mu > 0 else np.inf

    @property
    def minimizer(self):
        """The least-squares solution (minimum norm if several), shape (d+1,)."""
        return self._curvature[2].copy()

    @property
    def min_loss(self):
        """The smallest loss, loss(minimizer)."""
        return float(self.loss(self._curvature[2]))

    def __repr__(self):
        return f"LinearRegression(n={self.n}, d={self.d}, batch_size={self.batch_size}, l2={self.l2:g})"


class LogisticRegression(_FlatModel, _Classifier):
    """Logistic regression: mean cross-entropy of class probabilities, + l2/2 ||weights||^2.

    Two classes (binary): ``w`` has shape (..., d+1) (weights, then bias); the probability
    of class 1 is sigmoid(A w) with A = [X, 1].
    C > 2 classes (softmax): ``w`` has shape (..., (d+1) * C), the matrix W of shape
    (d+1, C) flattened row by row (``w.reshape(..., d+1, C)``; its last row holds the C
    biases); probabilities softmax(A W).

    The loss is convex and L-smooth with ``L`` = lambda_max(A^T A / n) / 4 (binary) or / 2
    (softmax; Bohning's bound) + l2: gradient descent with lr < 2 / L cannot diverge.

    X : (n, d) features; y : (n,) labels 0..C-1; batch_size : rows per stochastic gradient
    (None = all n); l2 : penalty >= 0 on the weights (not the biases); n_classes : C
    (default: max(y) + 1).
    """

    def __init__(self, X, y, batch_size=None, l2=0.0, n_classes=None):
        self._init_classes(X, y, n_classes)
        self.batch_size = self.n if batch_size is None else v.integer("batch_size", batch_size, 1, self.n)
        self.l2 = v.number("l2", l2, 0)
        self.d = self.X.shape[1]
        self.binary = self.n_classes == 2
        width = 1 if self.binary else self.n_classes
        self.dim = (self.d + 1) * width
        self.penalized = np.repeat(np.r_[np.ones(self.d), 0.0], width)
        self.x0 = np.zeros(self.dim)

    def _set_data(self, X, y):
        self.X = as_features("X", X, getattr(self, "d", None))
        self.y = as_labels("y", y, self.X.shape[0], self.n_classes)
        self.A = _with_ones(self.X)
        self.n = self.X.shape[0]

    def _scores(self, w, A):
        """Logits: (..., m) for binary, (..., m, C) for softmax."""
        if self.binary:
            return w @ A.T
        return A @ w.reshape(*w.shape[:-1], self.d + 1, self.n_classes)

    def _loss(self, w, A, y):
        Z = self._scores(w, A)
        if self.binary:  # -log p(y) = log(1 + e^z) - y z
            nll = np.logaddexp(0.0, Z) - y * Z
        else:
            nll = _logsumexp(Z) - Z[..., np.arange(len(y)), y]
        return np.mean(nll, axis=-1) + 0.5 * self.l2 * np.sum(self.penalized * w**2, axis=-1)

    def _grad(self, w, A, y):
        Z = self._scores(w, A)
        if self.binary:
            g = (_sigmoid(Z) - y) @ A / len(y)
        else:
            P = _softmax(Z)
            P[..., np.arange(len(y)), y] -= 1.0  # dloss/dZ = P - onehot(y)
            g = (A.T @ P / len(y)).reshape(w.shape)
        return g + self.l2 * self.penalized * w

    def predict_proba(self, w, X=None):
        """Class probabilities, shape (..., n, C) (on ``X`` if given, else the training rows)."""
        A = self.A if X is None else _with_ones(as_features("X", X, self.d))
        with np.errstate(**_quiet):
            Z = self._scores(_as_x(w, self.dim, "w"), A)
            if self.binary:
                p1 = _sigmoid(Z)
                return np.stack([1.0 - p1, p1], axis=-1)
            return _softmax(Z)

    def hessian(self, x):
        """The exact Hessian at one parameter vector x (shape (dim,)): (dim, dim)."""
        w = _as_x(x, self.dim)
        if w.ndim != 1:
            raise ValueError(f"x must be one parameter vector of shape ({self.dim},), got shape {w.shape}")
        A, n = self.A, self.n
        with np.errstate(**_quiet):
            if self.binary:
                p = _sigmoid(A @ w)
                H = (A.T * (p * (1 - p))) @ A / n
            else:  # 1/n sum_i a_i a_i^T kron (diag(p_i) - p_i p_i^T), in the layout of w
                P = _softmax(self._scores(w, A))
                B = (A[:, :, None] * P[:, None, :]).reshape(n, self.dim)  # rows a_i kron p_i
                H = -(B.T @ B) / n
                blocks = H.reshape(self.d + 1, self.n_classes, self.d + 1, self.n_classes)  # a view
                for c in range(self.n_classes):
                    blocks[:, c, :, c] += (A.T * P[:, c]) @ A / n
        return H + self.l2 * np.diag(self.penalized)

    @functools.cached_property
    def _curvature(self):
        return float(np.linalg.eigvalsh(self.A.T @ self.A / self.n)[-1])

    @property
    def L(self):
        """Smoothness bound: the Hessian's largest eigenvalue never exceeds L, for any w."""
        return self._curvature * (0.25 if self.binary else 0.5) + self.l2

    def __repr__(self):
        return (f"LogisticRegression(n={self.n}, d={self.d}, n_classes={self.n_classes}, "
                f"batch_size={self.batch_size}, l2={self.l2:g})")


_ACTIVATIONS = ("relu", "tanh")
_LOSSES = ("cross_entropy", "mse")


class MLP(_DataModel, _Classifier):
    """A multilayer perceptron that classifies with softmax and cross-entropy (or squared error).

    Layer l computes H_l = act(H_{l-1} W_l + b_l) with H_0 = X, act = ReLU or tanh; the
    last layer gives the logits Z = H W + b and probabilities softmax(Z). Parameters are a
    dict {"W1": (d, h1), "b1": (h1,), "W2": (h1, h2), ...}; every array may carry the same
    leading axes, e.g. (K, d, h1) and (K, h1) for K networks trained side by side.

    loss(params) : mean cross-entropy over all rows + l2/2 * sum of ||W_l||^2, shape (..);
        with ``loss="mse"``: the mean over rows of 1/2 ||Z - onehot(y)||^2 instead of the
        cross-entropy (the square loss of Cohen et al. 2021, whose sharpness rises clearly).
    grad(params) : exact gradient (backpropagation), a dict shaped like params.
    stochastic_grad(params, rng) : the gradient on ``batch_size`` rows drawn by ``rng``,
        the same rows for all K networks.

    X : (n, d) features; y : (n,) labels 0..C-1; hidden : widths of the hidden layers
    (() gives softmax regression); activation : "relu" or "tanh"; batch_size : rows per
    stochastic gradient; l2 : weight penalty >= 0; seed : seed of ``x0``, the initial
    weights (He-normal for ReLU, Glorot-normal for tanh; biases 0); n_classes : C
    (default max(y) + 1); loss : "cross_entropy" or "mse".
    """

    def __init__(self, X, y, hidden=(32,), activation="relu", batch_size=32, l2=0.0, seed=0,
                 n_classes=None, loss="cross_entropy"):
        self.hidden = _hidden(hidden)
        self.activation = v.choice("activation", activation, _ACTIVATIONS)
        self.loss_name = v.choice("loss", loss, _LOSSES)
        self._init_classes(X, y, n_classes)
        self.batch_size = v.integer("batch_size", batch_size, 1, self.n)
        self.l2 = v.number("l2", l2, 0)
        self.seed = v.integer("seed", seed, 0)
        self.d = self.X.shape[1]
        self.sizes = (self.d, *self.hidden, self.n_classes)
        self.n_layers = len(self.sizes) - 1
        self.shapes = {}
        for l, (fan_in, fan_out) in enumerate(zip(self.sizes[:-1], self.sizes[1:]), start=1):
            self.shapes[f"W{l}"] = (fan_in, fan_out)
            self.shapes[f"b{l}"] = (fan_out,)
        self.n_params = sum(int(np.prod(s)) for s in self.shapes.values())
        self.x0 = self.init_params(self.seed)

    def _set_data(self, X, y):
        self.X = as_features("X", X, getattr(self, "d", None))
        self.y = as_labels("y", y, self.X.shape[0], self.n_classes)
        self.n = self.X.shape[0]

    def init_params(self, seed=0, n_settings=None):
        """Random initial parameters from ``seed``: He (ReLU) or Glorot (tanh) normal weights,
        zero biases. With ``n_settings`` = K: K different networks, arrays with a leading K."""
        seed = v.integer("seed", seed, 0)
        lead = () if n_settings is None else (v.integer("n_settings", n_settings, 1),)
        rng = np.random.default_rng(seed)
        params = {}
        for l in range(1, self.n_layers + 1):
            fan_in, fan_out = self.shapes[f"W{l}"]
            gain = 2.0 / fan_in if self.activation == "relu" else 2.0 / (fan_in + fan_out)
            params[f"W{l}"] = np.sqrt(gain) * rng.standard_normal(lead + (fan_in, fan_out))
            params[f"b{l}"] = np.zeros(lead + (fan_out,))
        return params

    # ---- parameters
    def _check(self, params, name="params"):
        """params as a dict of float arrays of the layer shapes, all with the same leading axes."""
        if not isinstance(params, dict):
            raise TypeError(f"{name} must be a dict with keys {', '.join(self.shapes)}, got {type(params).__name__}")
        if set(params) != set(self.shapes):
            raise ValueError(f"{name} must have keys {', '.join(self.shapes)}, got {', '.join(map(str, params))}")
        out, lead = {}, None
        for key, shape in self.shapes.items():
            a = v.array(f"{name}[{key!r}]", params[key], finite=False)
            k = a.ndim - len(shape)
            if k < 0 or a.shape[k:] != shape or (lead is not None and a.shape[:k] != lead):
                axes = ["..."] if lead is None else list(lead)
                want = "(" + ", ".join(str(n) for n in [*axes, *shape]) + ")"
                raise ValueError(f"{name}[{key!r}] must have shape {want}, got shape {a.shape}")
            lead = a.shape[:k]
            out[key] = a
        return out

    _params = _check

    # ---- the network
    def _act(self, Z):
        """act(Z), computed in place (Z is a fresh array)."""
        return np.maximum(Z, 0.0, out=Z) if self.activation == "relu" else np.tanh(Z, out=Z)

    def _act_slope(self, H):
        """act'(Z) written with H = act(Z): 1 where H > 0 (ReLU), or 1 - H^2 (tanh)."""
        return H > 0 if self.activation == "relu" else 1.0 - H**2

    def _forward(self, p, X):
        """Hidden activations [H_0 = X, H_1, ...] and the logits Z, shape (..., m, C)."""
        H = [X]
        for l in range(1, self.n_layers):
            Z = H[-1] @ p[f"W{l}"]
            Z += p[f"b{l}"][..., None, :]
            H.append(self._act(Z))
        L = self.n_layers
        return H, H[-1] @ p[f"W{L}"] + p[f"b{L}"][..., None, :]

    def _penalty(self, p):
        return sum(np.sum(p[f"W{l}"] ** 2, axis=(-2, -1)) for l in range(1, self.n_layers + 1))

    def _loss(self, p, X, y):
        _, Z = self._forward(p, X)
        if self.loss_name == "mse":
            Z[..., np.arange(len(y)), y] -= 1.0
            per_row = 0.5 * np.sum(Z**2, axis=-1)
        else:
            per_row = _logsumexp(Z) - Z[..., np.arange(len(y)), y]
        return np.mean(per_row, axis=-1) + 0.5 * self.l2 * self._penalty(p)

    def _grad(self, p, X, y):
        H, Z = self._forward(p, X)
        dZ = Z if self.loss_name == "mse" else _softmax(Z)
        dZ[..., np.arange(len(y)), y] -= 1.0
        dZ /= len(y)  # dloss/dZ = (Z - onehot(y)) / m, or (softmax(Z) - onehot(y)) / m
        g = {}
        for l in range(self.n_layers, 0, -1):
            W = p[f"W{l}"]
            g[f"W{l}"] = np.swapaxes(H[l - 1], -1, -2) @ dZ + self.l2 * W
            g[f"b{l}"] = np.sum(dZ, axis=-2)
            if l > 1:
                dZ = dZ @ np.swapaxes(W, -1, -2)
                dZ *= self._act_slope(H[l - 1])
        return {key: g[key] for key in self.shapes}

    # ---- the problem protocol
    def loss(self, params):
        """Mean cross-entropy over all rows (+ the l2 penalty); shape = the leading axes."""
        p = self._check(params)
        with np.errstate(**_quiet):
            return self._loss(p, self.X, self.y)

    def grad(self, params):
        """Exact gradient of :meth:`loss` by backpropagation: a dict shaped like params."""
        p = self._check(params)
        with np.errstate(**_quiet):
            return self._grad(p, self.X, self.y)

    def stochastic_grad(self, params, rng):
        """Gradient on one minibatch of ``batch_size`` rows drawn by ``rng`` (the same rows for
        every leading setting); exactly :meth:`grad` when ``batch_size`` equals the row count."""
        p = self._check(params)
        idx = self._minibatch(rng)
        X, y = (self.X, self.y) if idx is None else (self.X[idx], self.y[idx])
        with np.errstate(**_quiet):
            return self._grad(p, X, y)

    def predict_proba(self, params, X=None):
        """Class probabilities, shape (..., n, C) (on ``X`` if given, else the training rows)."""
        p = self._check(params)
        X = self.X if X is None else as_features("X", X, self.d)
        with np.errstate(**_quiet):
            return _softmax(self._forward(p, X)[1])

    def __repr__(self):
        return (f"MLP(sizes={self.sizes}, activation={self.activation!r}, loss={self.loss_name!r}, "
                f"batch_size={self.batch_size}, l2={self.l2:g}, seed={self.seed})")


def _hidden(hidden):
    """hidden as a tuple of positive ints (an int h means (h,))."""
    if isinstance(hidden, (int, np.integer)) and not isinstance(hidden, (bool, np.bool_)):
        hidden = (hidden,)
    if not isinstance(hidden, (tuple, list)):
        raise TypeError(f"hidden must be a tuple of positive integers, got {type(hidden).__name__} {hidden!r}")
    return tuple(v.integer(f"hidden[{i}]", h, 1) for i, h in enumerate(hidden))
