"""Checks for assignment 2: curvature and conditioning."""
from __future__ import annotations

import math

import numpy as np

from . import call, expect, expect_close, passed

__all__ = ["check_best_lr_and_rate", "check_steps_needed", "check_diverging_directions", "check_rate_from_losses"]


def _pair(got, what):
    expect(isinstance(got, (tuple, list)) and len(got) == 2,
           f"{what} should return a pair (lr, rate), got {got!r}")
    return got


def check_best_lr_and_rate(best_lr_and_rate):
    """best_lr_and_rate(eigenvalues) -> (2 / (L + mu), (L - mu) / (L + mu))."""
    for lam in ([1.0, 0.1], [4.0, 1.0, 0.5], [0.3, 30.0, 3.0], [2.0, 2.0]):
        lr, rate = _pair(call(best_lr_and_rate, np.array(lam)), f"best_lr_and_rate({lam})")
        L, mu = max(lam), min(lam)
        hint_sorted = " (The eigenvalues are not sorted.)" if lam == [0.3, 30.0, 3.0] else ""
        expect_close(lr, 2 / (L + mu), f"the learning rate for eigenvalues {lam}",
                     "The best constant rate makes the steepest and the flattest directions shrink by the "
                     "same factor per step (one of them flipping sign)." + hint_sorted)
        expect_close(rate, (L - mu) / (L + mu), f"the rate for eigenvalues {lam}",
                     "The rate is the factor by which the error shrinks per step in the slowest direction, "
                     "at that learning rate. It is a number in [0, 1)." + hint_sorted)
    passed("best_lr_and_rate balances the steepest and the flattest direction.")


def _expected_steps(lam, lr, tol):
    rate = np.max(np.abs(1 - lr * np.asarray(lam)))
    if rate >= 1:
        return math.inf
    if rate == 0:
        return 1
    return math.ceil(math.log(tol) / math.log(rate))


def check_steps_needed(steps_needed):
    """steps_needed(eigenvalues, lr, tol) -> smallest t with max_i |1 - lr lam_i|^t <= tol, or inf."""
    cases = [([1.0, 0.1], 1.0, 1e-3), ([1.0, 0.1], 2 / 1.1, 1e-6), ([4.0, 1.0], 0.25, 1e-2),
             ([2.0], 0.5, 1e-3), ([0.5, 5.0], 0.1, 1e-4)]
    for lam, lr, tol in cases:
        got = call(steps_needed, np.array(lam), lr, tol)
        want = _expected_steps(lam, lr, tol)
        try:
            ok = float(got) == want
        except (TypeError, ValueError):
            raise AssertionError(f"steps_needed should return a number, got {got!r}") from None
        expect(ok, f"steps_needed({lam}, lr={lr:.4g}, tol={tol:g}) returned {got!r}. After t steps the error along "
               "eigenvalue λ is multiplied by (1 − lr·λ)^t; you need the slowest direction to be below tol, "
               "and the answer is a whole number of steps.")
    for lam, lr in [([1.0, 0.1], 2.5), ([1.0], 2.0)]:
        got = call(steps_needed, np.array(lam), lr, 1e-3)
        expect(got == math.inf, f"steps_needed({lam}, lr={lr}, 1e-3) returned {got!r}: at this rate some direction "
               "never shrinks, so no number of steps is enough. Return math.inf (or np.inf).")
    passed("steps_needed predicts how long gradient descent takes, and when it never gets there.")


def check_diverging_directions(diverging_directions):
    """diverging_directions(eigenvalues, lr) -> bool array, True where |1 - lr lam| > 1."""
    lam = np.array([10.0, 1.0, 0.1])
    cases = [(0.1, [False, False, False]), (0.25, [True, False, False]), (0.2, [False, False, False]),
             (25.0, [True, True, True]), (5.0, [True, True, False])]
    for lr, want in cases:
        got = call(diverging_directions, lam.copy(), lr)
        try:
            arr = np.asarray(got)
        except Exception:  # pragma: no cover - anything numpy cannot read
            arr = None
        expect(arr is not None and arr.shape == lam.shape and arr.dtype == bool,
               f"diverging_directions should return a boolean array of shape {lam.shape}, got {got!r}")
        extra = " At lr·λ = 2 exactly the error bounces forever: it does not grow." if lr == 0.2 else ""
        expect(arr.tolist() == want, f"diverging_directions({lam.tolist()}, lr={lr}) returned {arr.tolist()}. "
               "A direction grows when one step multiplies its error by a factor larger than 1 in size." + extra)
    passed("diverging_directions finds the directions that blow up (the steepest go first).")


def _gd_losses(lam, lr, steps, x0):
    lam, x = np.asarray(lam, dtype=float), np.asarray(x0, dtype=float)
    t = np.arange(steps + 1)[:, None]
    xs = x * (1 - lr * lam) ** t
    return 0.5 * np.sum(lam * xs**2, axis=1)


def check_rate_from_losses(rate_from_losses):
    """rate_from_losses(losses, m) -> (losses[-1] / losses[-1 - m]) ** (1 / (2 m))."""
    for lam, lr, m in [([1.0, 0.1], 0.5, 50), ([4.0, 1.0], 0.1, 20), ([1.0, 0.01], 1.5, 100)]:
        losses = _gd_losses(lam, lr, 400, [1.0, 1.0])
        got = call(rate_from_losses, losses.copy(), m)
        want = np.max(np.abs(1 - lr * np.array(lam)))
        expect_close(got, want, f"rate_from_losses(GD losses on eigenvalues {lam} at lr={lr}, m={m})",
                     "The loss of a quadratic is proportional to the error squared, and m steps shrink the error "
                     "by rate**m. Use the last loss and the loss m steps before it.", rtol=1e-6)
    passed("rate_from_losses reads the contraction factor off a loss curve.")
