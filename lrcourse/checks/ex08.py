"""Checks for assignment 8: practice on real data."""
from __future__ import annotations

import numpy as np

from . import call, expect, expect_close, passed

__all__ = ["check_suggest_lr", "check_warmup_cosine", "check_discriminative"]


def _smoothed(losses, beta=0.98):
    avg, out = 0.0, []
    for i, loss in enumerate(losses):
        avg = beta * avg + (1 - beta) * loss
        out.append(avg / (1 - beta ** (i + 1)))
    return np.array(out)


def _curve(n=120, blow_up=True, seed=0):
    """A synthetic range test: the loss falls, bottoms out, then explodes (inf at the end)."""
    lrs = 1e-4 * (1e5) ** (np.arange(n) / (n - 1))
    x = np.log10(lrs)
    loss = 2.3 - 2.0 / (1 + np.exp(-3 * (x + 2.5))) + np.exp(3 * (x + 0.5))
    loss = loss + 0.05 * np.random.default_rng(seed).standard_normal(n)
    if blow_up:
        loss[-8:] = np.inf
    return lrs, loss


def _reference(lrs, losses):
    losses = np.asarray(losses, dtype=float)
    bad = ~np.isfinite(losses)
    stop = int(np.argmax(bad)) if bad.any() else losses.size
    s = _smoothed(losses[:stop])
    return lrs[int(np.argmin(s))] / 10


def _one_rate(got):
    """The learner's answer as one float, or a failed check saying that one number was expected."""
    try:
        if isinstance(got, (str, bytes, bool, np.bool_)) or got is None:
            raise TypeError
        rate = np.asarray(got, dtype=float)
    except (TypeError, ValueError):
        rate = None
    expect(rate is not None and rate.ndim == 0,
           f"suggest_lr should return one learning rate (a number), got {type(got).__name__} {got!r}")
    return float(rate)


def check_suggest_lr(suggest_lr):
    """suggest_lr(lrs, losses): a tenth of the rate at the lowest smoothed loss (finite part only)."""
    lrs, loss = _curve(blow_up=False)
    got = _one_rate(call(suggest_lr, lrs, loss))
    raw = lrs[int(np.argmin(loss))] / 10
    want = _reference(lrs, loss)
    expect(not np.isclose(got, raw) or np.isclose(raw, want),
           f"suggest_lr returned {got}: the minimum of the raw, noisy loss. Smooth the losses first.")
    expect(not np.isclose(got, want * 10), f"suggest_lr returned {got}, the rate at the minimum itself: "
           "the bottom of the curve is already too high a rate for training.")
    expect_close(got, want, "suggest_lr on a noisy range test", "Smooth with the bias-corrected moving average "
                 "(beta = 0.98) and take one tenth of the rate where it is lowest.", rtol=1e-9)
    lrs, loss = _curve(blow_up=True, seed=1)
    with np.errstate(all="ignore"):
        got = _one_rate(call(suggest_lr, lrs, loss))
    expect(np.isfinite(got), f"suggest_lr returned {got} on a range test that blew up at the end: ignore the "
           "losses from the first non-finite one on.")
    expect_close(got, _reference(lrs, loss), "suggest_lr on a range test that blew up",
                 "Only the finite part before the blow-up counts.", rtol=1e-9)
    passed("suggest_lr reads a range test the way fastai's 'minimum' rule does.")


def _warmup_cosine(t, peak, w, T):
    t = np.asarray(t, dtype=float)
    ramp = peak * (t + 1) / w
    decay = peak * (1 + np.cos(np.pi * (t - w) / (T - w))) / 2
    return np.where(t < w, ramp, decay)


def check_warmup_cosine(warmup_cosine):
    """warmup_cosine(t, peak, warmup_steps, total_steps) for int t or int arrays."""
    t = np.arange(20)
    got = call(warmup_cosine, t, 0.5, 5, 20)
    want = _warmup_cosine(t, 0.5, 5, 20)
    expect(np.shape(got) == (20,), f"warmup_cosine(np.arange(20), ...) should return 20 rates, got shape {np.shape(got)}")
    expect_close(got[:5], want[:5], "the warmup part (steps 0-4 of warmup_steps=5, peak 0.5)",
                 "The rate grows linearly and reaches the peak at step warmup_steps - 1: step t uses peak * (t + 1) / warmup_steps.")
    expect_close(got[5:], want[5:], "the decay part (steps 5-19, total_steps=20)",
                 "After the warmup a cosine goes from the peak (at t = warmup_steps) towards 0 (at t = total_steps).")
    one = call(warmup_cosine, 7, 0.5, 5, 20)
    expect_close(one, want[7], "warmup_cosine(7, 0.5, 5, 20) for a single int step", "It must also work for one int step.")
    passed("warmup_cosine ramps up linearly, then decays along a half cosine.")


def check_discriminative(discriminative):
    """discriminative(make, lr, names, factor) -> {name: make(lr=lr / factor**(L - l))}."""
    from .. import optimizers

    names = ["W1", "b1", "W2", "b2", "W3", "b3"]
    got = call(discriminative, optimizers.sgd, 0.1, names, 2.0)
    expect(isinstance(got, dict), f"discriminative should return a dict {{name: optimizer}}, got {type(got).__name__}")
    expect(sorted(got) == sorted(names), f"the dict should have one optimizer per name {names}, got keys {sorted(got)}")
    for name in names:
        expect(hasattr(got[name], "step") and hasattr(got[name], "lr_at"),
               f"got[{name!r}] should be an optimizer made by the function you were given, got {got[name]!r}")
    rates = {name: float(got[name].lr_at(0)) for name in names}
    expect_close(rates["W3"], 0.1, "the rate of the top layer (W3)", "The last (top) layer gets lr itself.")
    expect_close([rates["W2"], rates["W1"]], [0.05, 0.025], "the rates of W2 and W1 with factor 2",
                 "Each layer below gets the rate of the layer above divided by factor.")
    expect_close([rates["b1"], rates["b2"], rates["b3"]], [rates["W1"], rates["W2"], rates["W3"]],
                 "the rates of the biases", "A layer's bias uses the same rate as its weights.")
    two = call(discriminative, optimizers.adam, 0.01, ["W1", "b1", "W2", "b2"])
    expect_close(float(two["W1"].lr_at(0)), 0.01 / 2.6, "W1's rate with the default factor",
                 "The default factor is ULMFiT's 2.6.")
    expect(type(two["W1"]).__name__ == "Adam", "Build each optimizer with the function you were given (here adam).")
    passed("discriminative gives each layer its own rate, smaller for lower layers.")
