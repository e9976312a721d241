"""Checks for assignment 1: what the learning rate is."""
from __future__ import annotations

import numpy as np

from . import call, expect, expect_close, passed

__all__ = ["check_gd_step", "check_largest_stable_lr", "check_classify"]


def _quadratic_grad(L):
    return lambda x: L * np.asarray(x, dtype=float)


def check_gd_step(gd_step):
    """gd_step(x, grad, lr) must return x - lr * grad(x), for numbers and arrays."""
    for x, L, lr in [(1.0, 1.0, 0.1), (-2.0, 3.0, 0.5), (0.5, 10.0, 0.0)]:
        got = call(gd_step, x, _quadratic_grad(L), lr)
        expect_close(got, x - lr * L * x, f"gd_step({x}, f' of L={L}, lr={lr})",
                     "One step moves x against the gradient, by lr times the gradient.")
    x = np.array([1.0, -2.0, 3.0])
    got = call(gd_step, x, np.sin, 0.1)
    expect_close(got, x - 0.1 * np.sin(x), "gd_step on an array with grad = np.sin",
                 "Use the grad function you are given; do not assume a parabola.")
    expect(np.array_equal(x, [1.0, -2.0, 3.0]), "gd_step must not modify its input x in place.")
    passed("gd_step moves x by -lr * grad(x).")


def check_largest_stable_lr(largest_stable_lr):
    """largest_stable_lr(L) must give the threshold between converging and diverging."""
    for L in (1.0, 4.0):
        got = call(largest_stable_lr, L)
        try:
            r = float(got) * L
        except (TypeError, ValueError):
            raise AssertionError(f"largest_stable_lr({L}) should return a number, got {got!r}") from None
        expect(abs(r - 1) > 1e-6, f"largest_stable_lr({L}) = {got}: that rate reaches the minimum in one step, "
               "but larger rates still converge. Try lr slightly above it on the slider.")
        expect(abs(r - 2) < 1e-9, f"largest_stable_lr({L}) = {got} is not right. At the threshold the iterate "
               "bounces between +x0 and -x0 forever: solve |1 - lr L| = 1.")
    passed("largest_stable_lr(L) is the edge between converging and diverging.")


def _run(lr, L, x0=1.0, steps=12):
    xs = [x0]
    for _ in range(steps):
        xs.append(xs[-1] - lr * L * xs[-1])
    return np.array(xs)


def check_classify(classify):
    """classify(xs) must name the regime of a run from its iterates."""
    cases = [(0.3, "monotone"), (1.0, "one step"), (1.6, "oscillating"), (2.0, "bouncing"), (2.4, "diverging")]
    for lr, want in cases:
        got = call(classify, _run(lr, 1.0))
        expect(isinstance(got, str), f"classify should return a string such as 'monotone', got {got!r}")
        expect(got == want, f"classify(iterates of lr·L = {lr}) returned {got!r}. Look at two things: does the "
               "sign of x_t alternate, and does |x_t| shrink, stay or grow?")
    passed("classify tells the five regimes apart.")
