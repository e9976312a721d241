"""The gradient noise scale of a real model (McCandlish et al. 2018), from per-example gradients.

With per-example gradients g_i (i = 1..n) at the parameters x, the full-batch gradient is their
mean G and their covariance Sigma. A minibatch of B examples has gradient noise of covariance
about Sigma / B, so the noise is as large as the signal when B is about

    B_simple = tr(Sigma) / |G|^2,

the *simple noise scale*. McCandlish et al. model the critical batch size, past which a larger
batch no longer cuts the number of steps, by B_noise = tr(H Sigma) / G^T H G (equal to B_simple when
the Hessian H is a multiple of the identity), and find that it grows as training goes on and |G|
shrinks; B_simple is their cheap estimate of it.
"""
from __future__ import annotations

import numpy as np

from . import _validate as v
from .optimizers import _leaves

__all__ = ["per_example_grads", "simple_noise_scale", "critical_batch"]


def per_example_grads(model, x):
    """One flattened gradient per training row, shape (n, number of parameters): the gradient of
    ``model`` restricted to that row (``model.with_data(X[i:i+1], y[i:i+1]).grad(x)``)."""
    if not all(hasattr(model, a) for a in ("with_data", "X", "y", "grad")):
        raise TypeError(f"model must be a model of lrcourse.models (with data X, y and with_data), "
                        f"got {type(model).__name__}")
    one = model.with_data(model.X[:1], model.y[:1])  # validates x against the model once
    first = np.concatenate([np.ravel(a) for a in _leaves(one.grad(x), "model.grad(x)")])
    out = np.empty((model.n, first.size))
    out[0] = first
    for i in range(1, model.n):
        one._set_data(model.X[i:i + 1], model.y[i:i + 1])
        out[i] = np.concatenate([np.ravel(a) for a in _leaves(one.grad(x), "model.grad(x)")])
    return out


def simple_noise_scale(grads):
    """B_simple = tr(Sigma) / |G|^2 of per-example gradients ``grads`` (n, P): Sigma their covariance
    over the n examples (divided by n), G their mean. inf where G = 0."""
    g = v.array("grads", grads, ndim=2)
    if g.shape[0] < 2:
        raise ValueError(f"grads must hold at least 2 examples (rows), got shape {g.shape}")
    mean = g.mean(axis=0)
    trace = float(np.sum((g - mean) ** 2) / g.shape[0])
    signal = float(mean @ mean)
    return trace / signal if signal > 0 else float("inf")


def critical_batch(batch_sizes, steps):
    """Fit McCandlish et al.'s trade-off S(B) = S_min (1 + B_crit / B) to measured steps to a
    target at several batch sizes (least squares in 1/B). Returns (S_min, B_crit)."""
    B = v.array("batch_sizes", batch_sizes, ndim=1, low=0, low_open=True)
    if B.size < 2:
        raise ValueError(f"batch_sizes must hold at least 2 values, got {B.size}")
    S = v.array("steps", steps, shape=B.shape, low=0, low_open=True)
    slope, intercept = np.polyfit(1.0 / B, S, 1)
    if slope <= 0:
        raise ValueError("steps do not fall as the batch grows (fitted B_crit <= 0): check the measurements")
    if intercept <= 0:
        raise ValueError("steps do not level off with the batch size (fitted S_min <= 0): measure larger batches")
    return float(intercept), float(slope / intercept)
