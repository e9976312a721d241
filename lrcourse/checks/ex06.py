"""Checks for assignment 6: adaptive methods.

The reference values come from :mod:`lrcourse.optimizers` (PyTorch's algorithms), never
from a copy of the answer.
"""
from __future__ import annotations

import numpy as np

from .. import optimizers
from . import call, expect, expect_close, passed

__all__ = ["check_adam_step", "check_first_step_size", "check_effective_rates", "check_adamw_step"]

_GRADS = np.array([[0.5, -2.0, 1e-3], [0.4, -1.0, 3e-3], [-0.3, 0.5, 2e-3], [0.2, 3.0, -1e-3], [0.1, -0.2, 5e-3]])


def _reference(make, grads, x0):
    """Parameters and Adam buffers after each step of ``make()`` fed the given gradients."""
    opt = make()
    x, state = x0.copy(), opt.init(x0)
    out = []
    for g in grads:
        x, state = opt.step(x, g, state)
        out.append((x, state["exp_avg"], state["exp_avg_sq"]))
    return out


def _as_triple(result, what):
    if not (isinstance(result, tuple) and len(result) == 3):
        raise AssertionError(f"{what} should return a tuple (x, m, v), got {type(result).__name__}")
    return result


def check_adam_step(adam_step):
    """adam_step(x, g, m, v, t, lr, beta1, beta2, eps) must be one step of Adam (t = 1, 2, ...)."""
    for lr, b1, b2 in [(0.01, 0.9, 0.999), (0.1, 0.5, 0.9)]:
        want = _reference(lambda: optimizers.adam(lr=lr, betas=(b1, b2)), _GRADS, np.ones(3))
        x, m, v = np.ones(3), np.zeros(3), np.zeros(3)
        for t, (g, (wx, wm, wv)) in enumerate(zip(_GRADS, want), start=1):
            args = [x.copy(), g.copy(), m.copy(), v.copy()]
            result = _as_triple(call(adam_step, *args, t, lr, b1, b2, 1e-8), "adam_step")
            expect(all(np.array_equal(a, b) for a, b in zip(args, (x, g, m, v))),
                   "adam_step must not modify its inputs in place: return new arrays.")
            x_old, (x, m, v) = x, result
            where = f"step t={t} (lr={lr}, beta1={b1}, beta2={b2})"
            expect_close(m, wm, f"m after {where}", "m is a moving average of the gradients, started at 0.", rtol=1e-9)
            expect_close(v, wv, f"v after {where}", "v is a moving average of the squared gradients.", rtol=1e-9)
            if t == 1 and np.allclose(np.abs(x - x_old), lr * (1 - b1) / np.sqrt(1 - b2), rtol=1e-2):
                raise AssertionError("The first step is about lr * (1 - beta1) / sqrt(1 - beta2): the bias "
                                     "correction is missing (divide m and v by 1 - beta^t before the step).")
            expect_close(x, wx, f"x after {where}", "Use the bias-corrected m_hat and v_hat, and add eps after "
                         "the square root: x - lr * m_hat / (sqrt(v_hat) + eps).", rtol=1e-9)
    passed("adam_step matches PyTorch's Adam, bias correction included.")


def _first_step(g, lr, b1, b2, eps, bias_correction):
    if bias_correction:
        opt = optimizers.adam(lr=lr, betas=(b1, b2), eps=eps)
        x1, _ = opt.step(np.zeros_like(g), g, opt.init(np.zeros_like(g)))
        return np.abs(x1)
    return lr * (1 - b1) * np.abs(g) / (np.sqrt((1 - b2) * g * g) + eps)


def check_first_step_size(first_step_size):
    """first_step_size(g, lr, beta1, beta2, eps, bias_correction) -> |x_1 - x_0| (arrays in, arrays out)."""
    g = np.geomspace(1e-6, 1e6, 7) * np.array([1, -1, 1, -1, 1, -1, 1])
    for lr, b1, b2, eps in [(1e-3, 0.9, 0.999, 1e-8), (0.1, 0.8, 0.99, 1e-6)]:
        for corrected in (True, False):
            got = call(first_step_size, g, lr, b1, b2, eps, corrected)
            hint = ("With bias correction m_hat = g and sqrt(v_hat) = |g| after one step." if corrected else
                    "Without it, m_1 = (1 - beta1) g and v_1 = (1 - beta2) g^2. Return a size: it is >= 0.")
            expect_close(got, _first_step(g, lr, b1, b2, eps, corrected),
                         f"first_step_size(g, lr={lr}, beta1={b1}, beta2={b2}, eps={eps}, bias_correction={corrected})",
                         hint, rtol=1e-9)
    passed("first_step_size: about lr with bias correction, lr (1 - beta1) / sqrt(1 - beta2) without.")


def _rates(make, grads):
    opt = make()
    x, state = np.zeros(1), opt.init(np.zeros(1))
    out = []
    for g in grads:
        x, state = opt.step(x, np.array([g]), state)
        out.append(opt.effective_lr(state)[0])
    return np.array(out)


def check_effective_rates(adagrad_rates, rmsprop_rates):
    """adagrad_rates(grads, lr, eps) and rmsprop_rates(grads, lr, alpha, eps): the effective rate
    of each step for one coordinate fed the gradients ``grads`` (T,)."""
    grads = np.array([1.0, -3.0, 0.5, 2.0, 0.0, 1e-3, 10.0, -1.0])
    got = call(adagrad_rates, grads.copy(), 0.1, 1e-10)
    expect_close(got, _rates(lambda: optimizers.adagrad(lr=0.1, eps=1e-10), grads), "adagrad_rates(grads, 0.1, 1e-10)",
                 "AdaGrad divides lr by the square root of the *sum* of all squared gradients so far (plus eps).",
                 rtol=1e-9)
    for alpha in (0.99, 0.5):
        got = call(rmsprop_rates, grads.copy(), 0.01, alpha, 1e-8)
        expect_close(got, _rates(lambda: optimizers.rmsprop(lr=0.01, alpha=alpha, eps=1e-8), grads),
                     f"rmsprop_rates(grads, 0.01, alpha={alpha}, 1e-8)",
                     "RMSprop's v starts at 0 and is a moving average: v = alpha v + (1 - alpha) g^2 (no bias "
                     "correction in PyTorch); the rate is lr / (sqrt(v) + eps).", rtol=1e-9)
    passed("adagrad_rates and rmsprop_rates match PyTorch's effective rates.")


def check_adamw_step(adamw_step):
    """adamw_step(x, g, m, v, t, lr, weight_decay, beta1, beta2, eps) must be one step of AdamW."""
    for lr, wd in [(0.01, 0.1), (0.1, 0.01)]:
        want = _reference(lambda: optimizers.adamw(lr=lr, weight_decay=wd), _GRADS, np.ones(3))
        plain = _reference(lambda: optimizers.adam(lr=lr, weight_decay=wd), _GRADS, np.ones(3))
        x, m, v = np.ones(3), np.zeros(3), np.zeros(3)
        for t, (g, (wx, wm, wv), (px, _, _)) in enumerate(zip(_GRADS, want, plain), start=1):
            x, m, v = _as_triple(call(adamw_step, x, g, m, v, t, lr, wd, 0.9, 0.999, 1e-8), "adamw_step")
            if t == 1 and np.allclose(x, px, rtol=1e-9):
                raise AssertionError("This is Adam with an L2 penalty (weight_decay * x added to the gradient). "
                                     "AdamW shrinks x itself and leaves the gradient alone.")
            expect_close(m, wm, f"m after step t={t} (lr={lr}, weight_decay={wd})",
                         "The moving averages see the loss gradient only, not the decay.", rtol=1e-9)
            expect_close(x, wx, f"x after step t={t} (lr={lr}, weight_decay={wd})",
                         "Shrink x by (1 - lr * weight_decay), then take the Adam step.", rtol=1e-9)
    passed("adamw_step decouples the weight decay, as PyTorch's AdamW.")
