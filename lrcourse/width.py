"""Learning rates across width: the standard parametrisation against muP (Yang et al. 2022).

An MLP of width n (lrcourse.models.MLP with hidden layers of n units) trained with SGD. In the
**standard parametrisation** ("sp") every weight starts with variance 1/fan_in and every layer
gets the same rate lr: the best rate then shrinks as the network grows, so a rate tuned on a
small model is wrong for the large one. In the **maximal-update parametrisation** ("mup",
Tensor Programs V, Table 3, SGD column, written relative to a base width n0 so that both agree
at n = n0), with r = n / n0:

=====================  ======================  =================
layer                  start variance          SGD rate
=====================  ======================  =================
input weights W1       1 / fan_in              lr * r
hidden weights         1 / fan_in              lr
output weights WL      1 / fan_in * (1 / r)    lr / r
hidden biases          0                       lr * r
output bias            0                       lr
=====================  ======================  =================

Every layer's update then changes its outputs by an amount that does not depend on the width, so
the best lr found at width n0 stays the best at every width ("muTransfer").
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import _validate as v
from . import optimizers
from .models import MLP
from .training import run

__all__ = ["PARAMETRIZATIONS", "init_params", "layer_rates", "WidthSweep", "width_sweep"]

PARAMETRIZATIONS = ("sp", "mup")


def _check(model, parametrization, base_width):
    if not isinstance(model, MLP) or not model.hidden:
        raise TypeError(f"model must be an lrcourse.models.MLP with at least one hidden layer, got {model!r}")
    parametrization = v.choice("parametrization", parametrization, PARAMETRIZATIONS)
    base_width = v.integer("base_width", base_width, 1)
    widths = set(model.hidden)
    if len(widths) != 1:
        raise ValueError(f"model must have hidden layers of one width, got {model.hidden}")
    return parametrization, model.hidden[0] / base_width


def init_params(model, parametrization="sp", base_width=32, seed=0, n_settings=None):
    """Start parameters of ``model`` in the given parametrisation (normal weights, zero biases);
    with ``n_settings`` = K, K copies of the same start, for a sweep over K rates."""
    parametrization, r = _check(model, parametrization, base_width)
    rng = np.random.default_rng(v.integer("seed", seed, 0))
    last = model.n_layers
    params = {}
    for l in range(1, last + 1):
        fan_in, fan_out = model.shapes[f"W{l}"]
        var = 1.0 / fan_in / (r if (parametrization == "mup" and l == last) else 1.0)
        params[f"W{l}"] = np.sqrt(var) * rng.standard_normal((fan_in, fan_out))
        params[f"b{l}"] = np.zeros(fan_out)
    if n_settings is not None:
        K = v.integer("n_settings", n_settings, 1)
        params = {key: np.repeat(a[None], K, axis=0) for key, a in params.items()}
    return params


def layer_rates(model, lr, parametrization="sp", base_width=32):
    """The rate of every layer, {name: lr * multiplier} (``lr`` a number or a (K,) array)."""
    parametrization, r = _check(model, parametrization, base_width)
    lr = v.hyper("lr", lr, 0)
    last = model.n_layers
    rates = {}
    for l in range(1, last + 1):
        if parametrization == "sp":
            w = b = 1.0
        elif l == 1:
            w, b = r, r
        elif l == last:
            w, b = 1.0 / r, 1.0
        else:
            w, b = 1.0, r
        rates[f"W{l}"], rates[f"b{l}"] = lr * w, lr * b
    return rates


@dataclass
class WidthSweep:
    """What :func:`width_sweep` found: ``final_loss`` (W, K) after the run (inf where it diverged),
    and the best rate per width ``best_lr`` (W,)."""

    widths: np.ndarray
    lrs: np.ndarray
    parametrization: str
    final_loss: np.ndarray
    best_lr: np.ndarray


def width_sweep(X, y, widths, lrs, parametrization="sp", *, steps=200, batch_size=32, base_width=32,
                activation="tanh", loss="mse", seed=0):
    """Train one-hidden-layer MLPs of each width on (X, y) with SGD at every rate of ``lrs`` (one
    vectorised run per width) and record the final training loss."""
    widths = np.atleast_1d(v.array("widths", widths, ndim=None, low=1, high=1e6))
    if widths.ndim != 1 or widths.size == 0 or np.any(widths != np.round(widths)):
        raise ValueError(f"widths must be a non-empty 1-D array of whole numbers, got {widths!r}")
    lrs = np.atleast_1d(v.hyper("lrs", lrs, 0, low_open=True))
    steps = v.integer("steps", steps, 1)
    final = np.full((widths.size, lrs.size), np.inf)
    for i, n in enumerate(widths.astype(int)):
        model = MLP(X, y, hidden=(int(n),), activation=activation, batch_size=batch_size, loss=loss, seed=seed)
        rates = layer_rates(model, lrs, parametrization, base_width)
        opt = {key: optimizers.sgd(rate) for key, rate in rates.items()}
        x0 = init_params(model, parametrization, base_width, seed, n_settings=lrs.size)
        h = run(model, opt, steps, x0=x0, seed=seed, progress=False, loss_every=steps)
        final[i] = np.where(h.diverged_at < 0, h.loss[-1], np.inf)
    return WidthSweep(widths=widths.astype(int), lrs=lrs, parametrization=parametrization, final_loss=final,
                      best_lr=lrs[np.argmin(final, axis=1)])
