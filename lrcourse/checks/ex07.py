"""Checks for assignment 7: choosing a learning rate.

Reference values come from :mod:`lrcourse.search`.
"""
from __future__ import annotations

import math

import numpy as np

from .. import search
from . import call, expect, expect_close, passed

__all__ = ["check_sweep_and_smooth", "check_steepest_and_stop", "check_hyperband_brackets",
           "check_expected_improvement"]


def check_sweep_and_smooth(lr_sweep, smooth):
    """lr_sweep(start_lr, end_lr, num_iter) and smooth(losses, beta) as in fastai's range test."""
    for start, end, n in [(1e-7, 10.0, 100), (1e-3, 1.0, 4)]:
        expect_close(call(lr_sweep, start, end, n), search.exponential_sweep(start, end, n),
                     f"lr_sweep({start}, {end}, {n})",
                     "The rates grow by the same factor every step, from start_lr to end_lr, both included.",
                     rtol=1e-9)
    losses = np.array([2.0, 2.0, 1.5, 1.0, 1.2, 0.8, 3.0, 10.0])
    got = call(smooth, np.full(5, 3.0), 0.98)
    if np.allclose(got, 3.0 * (1 - 0.98 ** np.arange(1, 6)), rtol=1e-6):
        raise AssertionError("smooth of a constant loss 3 should stay 3: divide the moving average by "
                             "1 - beta^(i+1) (the bias correction).")
    expect_close(got, np.full(5, 3.0), "smooth([3, 3, 3, 3, 3], 0.98)", "A constant must come out unchanged.", rtol=1e-9)
    for beta in (0.0, 0.5, 0.98):
        expect_close(call(smooth, losses.copy(), beta), search.smooth_losses(losses, beta), f"smooth(losses, {beta})",
                     "avg = beta * avg + (1 - beta) * loss, starting from avg = 0; report avg / (1 - beta^(i+1)).",
                     rtol=1e-9)
    passed("lr_sweep is geometric and smooth is a bias-corrected moving average.")


def _stop(smoothed, factor):
    best = np.minimum.accumulate(smoothed)
    blown = ~np.isfinite(smoothed) | (smoothed > factor * best)
    return int(np.argmax(blown)) if blown.any() else -1


def check_steepest_and_stop(steepest_lr, stop_index):
    """steepest_lr(lrs, losses) (fastai's 'steep') and stop_index(smoothed, factor)."""
    lrs = np.geomspace(1e-4, 1, 9)
    losses = np.array([2.0, 1.9, 1.7, 1.2, 0.9, 0.8, 0.85, 1.5, 4.0])
    got = call(steepest_lr, lrs, losses)
    expect(isinstance(got, (float, np.floating)) and np.isfinite(got),
           f"steepest_lr should return one rate (a float), got {got!r}")
    if math.isclose(got, lrs[3], rel_tol=1e-12):
        raise AssertionError("steepest_lr returned the rate where the slope ends; fastai takes the left end of the "
                             "steepest segment (the rate at index i for the segment i -> i+1).")
    expect(math.isclose(got, search.steepest(lrs, losses), rel_tol=1e-12),
           f"steepest_lr gave {got:.3g}. Find where (loss[i+1] - loss[i]) / (log lr[i+1] - log lr[i]) is most "
           "negative and return lrs[i].")
    uneven = np.array([1e-4, 2e-4, 1e-3, 1.1e-3, 1e-2])
    expect(math.isclose(call(steepest_lr, uneven, np.array([3.0, 2.8, 2.0, 1.98, 1.0])),
                        search.steepest(uneven, np.array([3.0, 2.8, 2.0, 1.98, 1.0])), rel_tol=1e-12),
           "steepest_lr: divide each drop by the step in log(lr); the rates are not always evenly spaced.")
    for smoothed, factor in [(np.array([2.0, 1.5, 1.0, 2.0, 3.9, 4.1, 9.0]), 4.0), (np.array([2.0, 1.0, 0.5, 0.4]), 4.0),
                             (np.array([1.0, 0.8, 1.7, 2.0]), 2.0), (np.array([1.0, 0.5, np.inf, 1.0]), 4.0)]:
        got = call(stop_index, smoothed.copy(), factor)
        expect(got == _stop(smoothed, factor),
               f"stop_index({smoothed.tolist()}, {factor}) returned {got!r}. Stop at the first index where the "
               "value exceeds factor x the best value so far, or is not finite; return -1 if that never happens.")
    passed("steepest_lr and stop_index follow fastai's rules.")


def check_hyperband_brackets(hyperband_brackets):
    """hyperband_brackets(R, eta) -> list of brackets, each a list of (n_i, r_i) pairs."""
    for R, eta in [(81, 3), (27, 3), (243, 3), (64, 2), (1000, 10), (1, 3)]:
        got = call(hyperband_brackets, R, eta)
        want = search.hyperband_schedule(R, eta)
        try:
            got = [[(int(n), float(r)) for n, r in bracket] for bracket in got]
        except (TypeError, ValueError):
            raise AssertionError(f"hyperband_brackets({R}, {eta}) should return a list of lists of (n, r) pairs, "
                                 f"got {got!r}") from None
        if len(got) != len(want):
            raise AssertionError(f"hyperband_brackets({R}, {eta}) has {len(got)} brackets, expected s_max + 1 = "
                                 f"{len(want)}. s_max is the largest s with eta**s <= R; beware float logs "
                                 f"(math.log(243) / math.log(3) = {math.log(243) / math.log(3)!r}).")
        for s, (g, w) in enumerate(zip(got, want)):
            if [n for n, _ in g] != [n for n, _ in w] or not np.allclose([r for _, r in g], [r for _, r in w], rtol=1e-9):
                raise AssertionError(f"hyperband_brackets({R}, {eta}): bracket {s} is {g}. Start with "
                                     "n = ceil((s_max + 1) / (s + 1) * eta**s) settings of resource R / eta**s; "
                                     "then n_i = floor(n / eta**i), r_i = r * eta**i.")
    passed("hyperband_brackets reproduces the brackets of Li et al. (2017).")


def check_expected_improvement(expected_improvement):
    """expected_improvement(mean, std, best, xi) for minimisation, elementwise on arrays."""
    mean = np.array([0.0, 1.0, -1.0, 3.0, 0.5, 0.2])
    std = np.array([1.0, 0.5, 2.0, 0.3, 0.0, 0.0])
    for best, xi in [(0.0, 0.0), (0.2, 0.1)]:
        got = call(expected_improvement, mean.copy(), std.copy(), best, xi)
        want = search.expected_improvement(mean, std, best, xi)
        try:
            as_array = np.asarray(got, dtype=float)
        except (TypeError, ValueError):
            raise AssertionError(f"expected_improvement should return an array of numbers, got {got!r:.60}") from None
        if as_array.shape == want.shape and np.allclose(as_array, search.expected_improvement(-mean, std, -best, xi),
                                                        rtol=1e-6):
            raise AssertionError("That is the improvement for maximisation. We minimise the loss: improvement "
                                 "is max(best - xi - f, 0).")
        expect_close(got, want, f"expected_improvement(mean, std, best={best}, xi={xi})",
                     "With d = best - xi - mean and z = d / std: EI = d * Phi(z) + std * phi(z); where std = 0, "
                     "EI = max(d, 0).", rtol=1e-6, atol=1e-12)
    passed("expected_improvement matches the closed form, std = 0 included.")
