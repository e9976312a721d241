"""Checks for assignment 7: choosing a learning rate.

Reference values come from :mod:`lrcourse.search` (blocked while the learner's code runs).
``hidden=True`` (the grader) runs the same contract on more cases, random ones drawn from the
grader's per-submission seed, and describes a failing case without its inputs.
"""
from __future__ import annotations

import math

import numpy as np

from .. import search
from . import case_rng, close, expect, forbid, is_hidden, passed, run_answer

__all__ = ["check_sweep_and_smooth", "check_steepest_and_stop", "check_hyperband_brackets",
           "check_expected_improvement", "check_hyperband_budget", "hyperband_cost"]

_SEARCH = ("lrcourse.search.exponential_sweep", "lrcourse.search.smooth_losses", "lrcourse.search.steepest",
           "lrcourse.search.hyperband_schedule", "lrcourse.search.expected_improvement", "lrcourse.search.normal_cdf",
           "lrcourse.search.lr_range_test")


def _calm(function, *args):
    with forbid(*_SEARCH), np.errstate(all="ignore"):
        return run_answer(function, *args, case="in this check")


# ----------------------------------------------------------------------------- question 1
def check_sweep_and_smooth(lr_sweep, smooth, hidden=False):
    """lr_sweep(start_lr, end_lr, num_iter) and smooth(losses, beta) as in fastai's range test."""
    hidden = is_hidden(hidden)
    rng = case_rng("sweep_and_smooth", hidden)
    if hidden:
        sweeps = [(float(np.exp(rng.uniform(-18, -5))), float(np.exp(rng.uniform(-2, 3))), int(rng.integers(2, 300)),
                   "a random sweep")]
        sweeps.append((float(np.exp(rng.uniform(-5, 0))), float(np.exp(rng.uniform(0.1, 2))), 2, "a sweep of 2 rates"))
        n = int(rng.integers(2, 60))
        curves = [(rng.uniform(0.5, 3.0, n), float(beta), f"random losses, beta={'0' if beta == 0 else 'random'}")
                  for beta in (0.0, rng.uniform(0.3, 0.999))]
        curves.append((rng.uniform(0.5, 3.0, n).tolist(), 0.98, "random losses given as a list"))
    else:
        sweeps = [(1e-7, 10.0, 100, "lr_sweep(1e-7, 10.0, 100)"), (1e-3, 1.0, 4, "lr_sweep(1e-3, 1.0, 4)"),
                  (0.01, 0.1, 2, "lr_sweep(0.01, 0.1, 2)")]
        losses = np.array([2.0, 2.0, 1.5, 1.0, 1.2, 0.8, 3.0, 10.0])
        curves = [(losses.copy(), beta, f"smooth(losses, {beta})") for beta in (0.0, 0.5, 0.98)]
        curves.append((losses.tolist(), 0.9, "smooth(losses as a list, 0.9)"))
    for start, end, n, where in sweeps:
        got = _calm(lr_sweep, start, end, n)
        close(got, search.exponential_sweep(start, end, n), where, "", "The rates grow by the same factor every step, from start_lr to end_lr, both included.", rtol=1e-9, atol=1e-12)
    got = _calm(smooth, np.full(5, 3.0), 0.98)
    if np.allclose(np.asarray(got, dtype=float), 3.0 * (1 - 0.98 ** np.arange(1, 6)), rtol=1e-6):
        raise AssertionError("smooth of a constant loss 3 should stay 3: divide the moving average by "
                             "1 - beta^(i+1) (the bias correction).")
    close(got, np.full(5, 3.0), "smooth([3, 3, 3, 3, 3], 0.98)", "", "A constant must come out unchanged.", rtol=1e-9, atol=1e-12)
    for losses, beta, where in curves:
        kept = np.array(losses, dtype=float)
        got = _calm(smooth, losses, beta)
        expect(np.array_equal(np.asarray(losses, dtype=float), kept), "smooth modified losses in place: "
               "build a new array.")
        close(got, search.smooth_losses(kept, beta), where, "", "avg = beta * avg + (1 - beta) * loss, starting from avg = 0; report avg / (1 - beta^(i+1)) "
                     "with i = 0 for the first loss.", rtol=1e-9, atol=1e-12)
    passed("lr_sweep is geometric and smooth is a bias-corrected moving average.")


# ----------------------------------------------------------------------------- question 2
def _stop(smoothed, factor):
    smoothed = np.asarray(smoothed, dtype=float)
    with np.errstate(all="ignore"):
        best = np.fmin.accumulate(np.where(np.isfinite(smoothed), smoothed, np.inf))
        blown = ~np.isfinite(smoothed) | (smoothed > factor * best)
    return int(np.argmax(blown)) if blown.any() else -1


def check_steepest_and_stop(steepest_lr, stop_index, hidden=False):
    """steepest_lr(lrs, losses) (fastai's 'steep') and stop_index(smoothed, factor)."""
    hidden = is_hidden(hidden)
    rng = case_rng("steepest_and_stop", hidden)
    if hidden:
        curves = []
        for kind in ("evenly", "unevenly"):
            n = int(rng.integers(8, 80))
            x = np.sort(rng.uniform(-6, 1, n)) if kind == "unevenly" else np.linspace(-6, 1, n)
            x = x + np.arange(n) * 1e-9                               # strictly increasing
            centre = rng.uniform(-4, -1)
            curve = 2.3 - 2 / (1 + np.exp(-3 * (x - centre))) + np.exp(2 * (x - 0.5)) + 0.05 * rng.standard_normal(n)
            curves.append((10.0 ** x, curve, f"a random range test with {kind} spaced rates"))
        stops = []
        for kind in ("blows up", "never blows up", "nan", "inf", "-inf"):
            n = int(rng.integers(6, 40))
            s = np.exp(np.cumsum(rng.normal(-0.05, 0.1, n))) * rng.uniform(0.5, 3)
            factor = float(rng.uniform(1.5, 5))
            if kind == "blows up":
                s[int(rng.integers(3, n)):] *= factor * rng.uniform(1.05, 3)
            elif kind != "never blows up":
                s[int(rng.integers(1, n)):] = {"nan": np.nan, "inf": np.inf, "-inf": -np.inf}[kind]
            stops.append((s, factor, f"a random smoothed curve that {kind if 'blow' in kind else 'turns ' + kind}"))
    else:
        lrs = np.geomspace(1e-4, 1, 9)
        curves = [(lrs, np.array([2.0, 1.9, 1.7, 1.2, 0.9, 0.8, 0.85, 1.5, 4.0]), "steepest_lr(lrs = 1e-4 .. 1, losses)"),
                  (np.array([1e-4, 2e-4, 1e-3, 1.1e-3, 1e-2]), np.array([3.0, 2.8, 2.0, 1.98, 1.0]),
                   "steepest_lr with unevenly spaced rates [1e-4, 2e-4, 1e-3, 1.1e-3, 1e-2]")]
        stops = [(np.array([2.0, 1.5, 1.0, 2.0, 3.9, 4.1, 9.0]), 4.0), (np.array([2.0, 1.0, 0.5, 0.4]), 4.0),
                 (np.array([1.0, 0.8, 1.7, 2.0]), 2.0), (np.array([1.0, 0.5, np.inf, 1.0]), 4.0),
                 (np.array([2.0, 1.0, np.nan, 0.5]), 4.0), (np.array([1.0, 0.9, 1.8]), 2.0)]
        stops = [(s, f, f"stop_index({s.tolist()}, {f})") for s, f in stops]
    for lrs, losses, where in curves:
        got = _calm(steepest_lr, lrs.copy(), losses.copy())
        expect(isinstance(got, (float, np.floating)) and np.isfinite(got),
               f"steepest_lr should return one rate (a float), got {type(got).__name__} {got!r:.60}")
        want = search.steepest(lrs, losses)
        i = int(np.argmin(np.abs(lrs - want)))
        if i + 1 < lrs.size and math.isclose(got, lrs[i + 1], rel_tol=1e-12):
            raise AssertionError(f"steepest_lr returned the rate where the steepest segment ends ({where}); fastai "
                                 "takes its left end (the rate at index i for the segment i -> i+1).")
        expect(math.isclose(got, want, rel_tol=1e-12),
               f"steepest_lr gave {got:.4g} for {where}. Find where (loss[i+1] - loss[i]) / (log lr[i+1] - log lr[i]) "
               "is most negative and return lrs[i]; the rates are not always evenly spaced.")
    for smoothed, factor, where in stops:
        got = _calm(stop_index, smoothed.copy(), factor)
        expect(isinstance(got, (int, np.integer)) and not isinstance(got, bool),
               f"stop_index should return an int, got {type(got).__name__} {got!r:.60} for {where}")
        want = _stop(smoothed, factor)
        expect(got == want, f"stop_index returned {got!r} for {where}. Stop at the first index where the "
               "value exceeds factor x the smallest value so far, or is not finite (inf, -inf and nan all count: "
               "`nan > x` is False, so test np.isfinite); return -1 if that never happens.")
    passed("steepest_lr and stop_index follow fastai's rules.")


# ----------------------------------------------------------------------------- question 3
def _as_brackets(got, where):
    try:
        out = [[(float(n), float(r)) for n, r in bracket] for bracket in got]
    except (TypeError, ValueError):
        raise AssertionError(f"hyperband_brackets should return a list of lists of (n, r) pairs, got {got!r:.80} "
                             f"for {where}") from None
    for bracket in out:
        for n, _ in bracket:
            expect(n == int(n), f"hyperband_brackets gave a fractional number of settings n = {n} for {where}: "
                   "counts are whole numbers (floor them with integer arithmetic).")
    return [[(int(n), r) for n, r in bracket] for bracket in out]


def _hyperband_cases(rng, hidden):
    if not hidden:
        return [(R, eta, f"hyperband_brackets({R}, {eta})") for R, eta in
                [(81, 3), (27, 3), (243, 3), (64, 2), (1000, 10), (1, 3), (100, 3), (200, 3), (50, 2), (1000, 4),
                 (729, 3)]]
    cases = []
    for _ in range(6):
        eta = int(rng.integers(2, 6))
        cases.append((int(np.exp(rng.uniform(0, np.log(3000)))) + 1, eta, f"a random R with eta={eta}"))
    eta = int(rng.integers(2, 6))
    cases.append((eta ** int(rng.integers(2, 7)), eta, f"R a power of eta={eta}"))
    cases.append((eta ** int(rng.integers(2, 6)) - 1, eta, f"R just below a power of eta={eta}"))
    return cases


def check_hyperband_brackets(hyperband_brackets, hidden=False):
    """hyperband_brackets(R, eta) -> list of brackets, each a list of (n_i, r_i) pairs."""
    hidden = is_hidden(hidden)
    rng = case_rng("hyperband_brackets", hidden)
    for R, eta, where in _hyperband_cases(rng, hidden):
        got = _as_brackets(_calm(hyperband_brackets, R, eta), where)
        want = search.hyperband_schedule(R, eta)
        if len(got) != len(want):
            raise AssertionError(f"{where} has {len(got)} brackets, expected s_max + 1 = {len(want)}. s_max is the "
                                 "largest s with eta**s <= R (not a rounded logarithm); beware float logs "
                                 f"(math.log(243) / math.log(3) = {math.log(243) / math.log(3)!r}).")
        for s, (g, w) in enumerate(zip(got, want)):
            if [n for n, _ in g] != [n for n, _ in w] or not np.allclose([r for _, r in g], [r for _, r in w],
                                                                         rtol=1e-9):
                shown = g if not hidden else f"{len(g)} rungs"
                raise AssertionError(f"{where}: bracket {s} (s = {len(want) - 1 - s}) is {shown}, not right. Start with "
                                     "n = ceil((s_max + 1) / (s + 1) * eta**s) settings of resource r = R / eta**s "
                                     "(a real number when R is not a power of eta); then n_i = floor(n / eta**i), "
                                     "r_i = r * eta**i.")
    passed("hyperband_brackets reproduces the brackets of Li et al. (2017).")


# ----------------------------------------------------------------------------- question 4
def check_expected_improvement(expected_improvement, hidden=False):
    """expected_improvement(mean, std, best, xi) for minimisation, elementwise on arrays."""
    hidden = is_hidden(hidden)
    rng = case_rng("expected_improvement", hidden)
    if hidden:
        shape = (int(rng.integers(2, 5)), int(rng.integers(1, 4)))
        mean = rng.normal(0, 2, shape)
        std = np.where(rng.random(shape) < 0.25, 0.0, np.exp(rng.uniform(-4, 1, shape)))
        best = float(rng.normal())
        mean.flat[0], std.flat[0] = best - 1.0, 0.0                     # certain improvement
        mean.flat[1], std.flat[1] = best, 0.0                           # no improvement at all
        cases = [(mean, std, best, float(xi), f"random means and stds (some 0), xi={'0' if xi == 0 else 'random'}")
                 for xi in (0.0, rng.uniform(0.01, 0.5))]
    else:
        mean = np.array([0.0, 1.0, -1.0, 3.0, 0.5, 0.2, -2.0, -3.0, 0.0])
        std = np.array([1.0, 0.5, 2.0, 0.3, 0.0, 0.0, 0.1, 0.0, 0.0])
        cases = [(mean, std, best, xi, f"expected_improvement(mean, std, best={best}, xi={xi})")
                 for best, xi in [(0.0, 0.0), (0.2, 0.1), (-1.0, 0.5)]]
    for mean, std, best, xi, where in cases:
        kept = mean.copy(), std.copy()
        got = _calm(expected_improvement, mean, std, best, xi)
        expect(np.array_equal(mean, kept[0]) and np.array_equal(std, kept[1]),
               "expected_improvement modified mean or std in place.")
        want = search.expected_improvement(mean, std, best, xi)
        try:
            as_array = np.asarray(got, dtype=float)
        except (TypeError, ValueError):
            raise AssertionError(f"expected_improvement should return an array of numbers, got {got!r:.60}") from None
        if as_array.shape == want.shape and np.allclose(as_array, search.expected_improvement(-mean, std, -best, xi),
                                                        rtol=1e-6):
            raise AssertionError("That is the improvement for maximisation. We minimise the loss: improvement "
                                 "is max(best - xi - f, 0).")
        close(got, want, where, "", "With d = best - xi - mean and z = d / std: EI = d * Phi(z) + std * phi(z); "
                     "where std = 0, EI = max(d, 0).", rtol=1e-6, atol=1e-12)
    passed("expected_improvement matches the closed form, std = 0 included.")


# ----------------------------------------------------------------------------- question 5
def hyperband_cost(R, eta):
    """Units of resource one Hyperband run spends: the sum of n_i r_i over all rungs of all brackets."""
    return float(sum(n * r for bracket in search.hyperband_schedule(R, eta) for n, r in bracket))


def _largest_R(budget, eta):
    lo, hi = 1, 2                                    # the cost grows with R: double, then bisect
    while hyperband_cost(hi, eta) <= budget:
        lo, hi = hi, 2 * hi
    while hi - lo > 1:
        mid = (lo + hi) // 2
        lo, hi = (mid, hi) if hyperband_cost(mid, eta) <= budget else (lo, mid)
    return lo


def _clear_budget(budget, eta):
    """Move ``budget`` away from the cost of any R (so float rounding cannot decide the answer)."""
    R = _largest_R(budget, eta)
    low, high = hyperband_cost(R, eta), hyperband_cost(R + 1, eta)
    return budget if min(budget - low, high - budget) > 1e-6 * budget else int(round((low + high) / 2))


def check_hyperband_budget(hyperband_R, hidden=False):
    """hyperband_R(budget, eta) -> the largest integer R >= 1 whose Hyperband run costs at most budget."""
    hidden = is_hidden(hidden)
    rng = case_rng("hyperband_budget", hidden)
    if hidden:
        cases = []
        for _ in range(6):
            eta = int(rng.integers(2, 6))
            cases.append((int(np.exp(rng.uniform(np.log(30), np.log(1e6)))), eta, f"a random budget with eta={eta}"))
    else:
        cases = [(b, e, f"hyperband_R({b}, {e})") for b, e in [(1000, 3), (5000, 2), (20000, 4), (50, 3), (100000, 3),
                                                               (700, 5)]]
    for budget, eta, where in cases:
        budget = _clear_budget(budget, eta)
        got = _calm(hyperband_R, budget, eta)
        expect(isinstance(got, (int, np.integer)) and not isinstance(got, bool),
               f"hyperband_R should return an int, got {type(got).__name__} {got!r:.60} for {where}")
        want = _largest_R(budget, eta)
        if got == want:
            continue
        if got < 1:
            raise AssertionError(f"hyperband_R returned {got} for {where}: R is at least 1.")
        cost = hyperband_cost(got, eta)
        if cost > budget:
            raise AssertionError(f"hyperband_R returned R = {got} for {where}, but a Hyperband run with that R costs "
                                 f"{cost:.6g} units, more than the budget. The cost is the sum of n_i * r_i over "
                                 "every rung of every bracket.")
        raise AssertionError(f"hyperband_R returned R = {got} for {where}: its run costs {cost:.6g} units, within the "
                             "budget, but a larger R still fits. Return the largest R that fits (any integer, not only "
                             "powers of eta).")
    passed("hyperband_R sizes Hyperband to the budget.")
