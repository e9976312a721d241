"""Checks for assignment 2: curvature and conditioning.

Each check tests one question's contract, as the prompt states it. ``hidden=False`` (the test
cell a learner runs): fixed cases plus a few random ones from a fixed seed. ``hidden=True`` (the
grader): more random cases from the grader's seed, the same contract.
"""
from __future__ import annotations

import math

import numpy as np

from . import case_rng, case_text, close, fail, forbid, is_hidden, log_uniform, numbers, passed, run_answer

__all__ = ["check_best_lr_and_rate", "check_steps_needed", "check_diverging_directions", "check_rate_from_losses",
           "check_regression_lr"]

_THEORY = ("lrcourse.theory.contraction", "lrcourse.theory.max_stable_lr", "lrcourse.theory.best_constant_lr",
           "lrcourse.theory.best_contraction", "lrcourse.theory.steps_to_reach")


def _spectrum(rng, size=None):
    """Random positive eigenvalues, in no particular order, condition numbers up to ~1e3."""
    n = int(rng.integers(1, 7)) if size is None else size
    return log_uniform(rng, 0.05, 50.0, n)


def _as(lam, as_list):
    return [float(v) for v in lam] if as_list else np.array(lam, dtype=float)


# ------------------------------------------------------------------------------------------ Q1
def _pair(got, case):
    if not (isinstance(got, (tuple, list)) and len(got) == 2):
        fail("the answer of best_lr_and_rate", case, "a pair (lr, rate)", got)
    return got


def check_best_lr_and_rate(best_lr_and_rate, hidden=False):
    """best_lr_and_rate(eigenvalues) -> (the fastest constant rate, its per-step error factor)."""
    hidden = is_hidden(hidden)
    rng = case_rng("best_lr_and_rate", hidden)
    cases = [("on sorted eigenvalues", [1.0, 0.1]), ("on three eigenvalues", [4.0, 1.0, 0.5]),
             ("on unsorted eigenvalues", [0.3, 30.0, 3.0]), ("on equal eigenvalues", [2.0, 2.0]),
             ("on a single eigenvalue", [5.0])]
    cases += [("on random eigenvalues", list(_spectrum(rng))) for _ in range(25 if hidden else 3)]
    with forbid(*_THEORY, within=best_lr_and_rate):
        for i, (kind, lam) in enumerate(cases):
            as_list = i % 3 == 1
            case = case_text(kind + (" given as a list" if as_list else " given as an array"),
                             f"eigenvalues = {np.round(lam, 4).tolist()}", hidden)
            lr, rate = _pair(run_answer(best_lr_and_rate, _as(lam, as_list), case=case), case)
            L, mu = max(lam), min(lam)
            close(lr, 2 / (L + mu), "the learning rate returned by best_lr_and_rate", case,
                  "The fastest constant rate makes the steepest and the flattest directions shrink by the same factor "
                  "per step (one of them flipping sign). The eigenvalues come in any order.")
            close(rate, (L - mu) / (L + mu), "the rate returned by best_lr_and_rate", case,
                  "The rate is the factor by which the error shrinks per step in its slowest direction at that "
                  "learning rate: a number in [0, 1).")
    passed("best_lr_and_rate balances the steepest and the flattest direction.")


# ------------------------------------------------------------------------------------------ Q2
def _expected_steps(lam, lr, tol):
    """The smallest t >= 1 with max |1 - lr lam|^t <= tol, or inf (computed by repeated multiplication)."""
    rate = float(np.max(np.abs(1 - lr * np.asarray(lam, dtype=float))))
    if rate >= 1:
        return math.inf
    if rate == 0:
        return 1
    t = math.ceil(math.log(tol) / math.log(rate))
    return t


def check_steps_needed(steps_needed, hidden=False):
    """steps_needed(eigenvalues, lr, tol) -> smallest whole t with max_i |1 - lr lam_i|^t <= tol, or inf."""
    hidden = is_hidden(hidden)
    rng = case_rng("steps_needed", hidden)
    cases = [("", [1.0, 0.1], 1.0, 1e-3), ("at the best constant rate", [1.0, 0.1], 2 / 1.1, 1e-6),
             ("", [4.0, 1.0], 0.25, 1e-2), ("when every factor is 0", [2.0], 0.5, 1e-3),
             ("when the steep direction is the slow one", [0.5, 5.0], 0.38, 1e-4),
             ("when a direction grows", [1.0, 0.1], 2.5, 1e-3),
             ("when a direction keeps its size (lr·λ = 2)", [1.0, 0.5], 2.0, 1e-3),
             ("when lr = 0", [1.0, 0.1], 0.0, 1e-3)]
    while len(cases) < (33 if hidden else 12):
        lam = _spectrum(rng)
        edge = 2 / lam.max()
        lr = float(rng.uniform(0.02, 1.0) * edge) if rng.random() < 0.8 else float(rng.uniform(1.01, 1.5) * edge)
        tol = float(log_uniform(rng, 1e-10, 0.5))
        if _expected_steps(lam, lr, tol) <= 20_000:   # answers a loop can still simulate quickly
            cases.append(("on a random case", list(lam), lr, tol))
    with forbid(*_THEORY, within=steps_needed):
        for i, (kind, lam, lr, tol) in enumerate(cases):
            as_list = i % 3 == 2
            kind = (kind + " " if kind else "") + ("with a list of eigenvalues" if as_list else "with an array of "
                                                   "eigenvalues")
            case = case_text(kind, f"eigenvalues = {np.round(lam, 4).tolist()}, lr = {lr:.4g}, tol = {tol:.3g}",
                             hidden)
            got = run_answer(steps_needed, _as(lam, as_list), lr, tol, case=case)
            a = float(numbers(got, "the number of steps returned by steps_needed", case, ()))
            want = _expected_steps(lam, lr, tol)
            if want == math.inf:
                if a != math.inf:
                    fail("the number of steps returned by steps_needed", case, "math.inf", got,
                         "At this rate some direction never shrinks (its factor is 1 or more in size), so no number "
                         "of steps is enough.")
                continue
            if not abs(a - want) < 1e-9:
                fail("the number of steps returned by steps_needed", case, want, got,
                     "After t steps the error along eigenvalue λ is multiplied by (1 − lr·λ)^t; every direction, the "
                     "slowest included, must be below tol, and the answer is the smallest whole number of steps.")
    passed("steps_needed predicts how long gradient descent takes, and when it never gets there.")


# ------------------------------------------------------------------------------------------ Q3
def check_diverging_directions(diverging_directions, hidden=False):
    """diverging_directions(eigenvalues, lr) -> one bool per eigenvalue, True where |1 - lr lam| > 1."""
    hidden = is_hidden(hidden)
    rng = case_rng("diverging_directions", hidden)
    lam = [10.0, 1.0, 0.1]
    cases = [("", lam, 0.1), ("", lam, 0.25), ("with a direction exactly on the edge (lr·λ = 2)", lam, 0.2),
             ("", lam, 25.0), ("on unsorted eigenvalues", [0.1, 10.0, 1.0], 5.0), ("when lr = 0", lam, 0.0),
             ("near the edge (lr·λ just above 2)", [4.0, 1.0], 2.002 / 4), ("near the edge (lr·λ just below 2)",
                                                                          [4.0, 1.0], 1.998 / 4),
             ("on a single eigenvalue", [3.0], 1.0)]
    for _ in range(25 if hidden else 4):
        lam_r = _spectrum(rng)
        pick = float(rng.choice(lam_r))
        lr = float(2 / pick * rng.choice([1.001, 0.999])) if rng.random() < 0.5 else float(log_uniform(rng, 0.01, 10))
        cases.append(("on a random case" + (" near the edge" if abs(lr * pick - 2) < 0.01 else ""), list(lam_r), lr))
    part = "the answer of diverging_directions"
    with forbid(*_THEORY, within=diverging_directions):
        for i, (kind, lam_c, lr) in enumerate(cases):
            as_list = i % 3 == 1
            kind = (kind + " " if kind else "") + ("with a list of eigenvalues" if as_list else "with an array of "
                                                   "eigenvalues")
            case = case_text(kind, f"eigenvalues = {np.round(lam_c, 4).tolist()}, lr = {lr:.4g}", hidden)
            got = run_answer(diverging_directions, _as(lam_c, as_list), lr, case=case)
            want = np.abs(1 - lr * np.array(lam_c)) > 1
            try:
                arr = np.asarray(got)
            except Exception:  # noqa: BLE001 - anything numpy cannot read
                arr = None
            if arr is None or arr.shape != want.shape or arr.dtype != bool:
                fail(part, case, f"{len(lam_c)} booleans (a numpy bool array or a list of True/False)", got)
            if arr.tolist() != want.tolist():
                fail(part, case, want.tolist(), arr.tolist(),
                     "A direction grows when one step multiplies its error by a factor larger than 1 in size; a "
                     "factor of exactly -1 keeps its size (it bounces). Keep the order of the eigenvalues.")
    passed("diverging_directions finds the directions that blow up (the steepest go first).")


# ------------------------------------------------------------------------------------------ Q4
def _gd_losses(lam, lr, steps, x0):
    lam, x = np.asarray(lam, dtype=float), np.asarray(x0, dtype=float)
    t = np.arange(steps + 1)[:, None]
    return 0.5 * np.sum(lam * (x * (1 - lr * lam) ** t) ** 2, axis=1)


def _want_rate(losses, m):
    losses = np.asarray(losses, dtype=float)
    return (losses[-1] / losses[-1 - m]) ** (1 / (2 * m))


def check_rate_from_losses(rate_from_losses, hidden=False):
    """rate_from_losses(losses, m): the constant per-step error factor that explains the loss drop
    over the last m steps (the loss being quadratic in the error)."""
    hidden = is_hidden(hidden)
    rng = case_rng("rate_from_losses", hidden)
    cases = [("on a run whose slow direction dominates", [1.0, 0.1], 0.5, 400, 50, [1.0, 1.0]),
             ("on a run where two directions still mix", [1.0, 0.9], 0.5, 30, 10, [1.0, 1.0]),
             ("when m = 1", [4.0, 1.0], 0.1, 40, 1, [1.0, 2.0]),
             ("when m covers the whole run", [3.0, 0.2], 0.3, 25, 25, [0.5, 1.0]),
             ("on an oscillating run", [4.0, 1.0], 0.45, 60, 20, [1.0, 1.0])]
    for _ in range(20 if hidden else 3):
        lam = _spectrum(rng, int(rng.integers(1, 5)))
        lr = float(rng.uniform(0.05, 0.95) * 2 / lam.max())
        T = int(rng.integers(5, 80))
        if not np.all(_gd_losses(lam, lr, T, np.ones(len(lam))) > 1e-200):
            continue
        cases.append(("on a random run", list(lam), lr, T, int(rng.integers(1, T + 1)), list(rng.normal(0, 1, len(lam)))))
    with forbid(*_THEORY, within=rate_from_losses):
        for i, (kind, lam, lr, T, m, x0) in enumerate(cases):
            losses = _gd_losses(lam, lr, T, x0)
            as_list = i % 3 == 1
            kind += " given as a list" if as_list else " given as an array"
            case = case_text(kind, f"{T + 1} losses of GD on eigenvalues {np.round(lam, 3).tolist()} at lr = {lr:.3g}, "
                             f"m = {m}", hidden)
            got = run_answer(rate_from_losses, losses.tolist() if as_list else losses.copy(), m, case=case)
            close(got, _want_rate(losses, m), "the rate returned by rate_from_losses", case,
                  "Use only the loss at the end and the loss m steps before it. The loss of a quadratic is "
                  "proportional to the error squared, and m steps at a constant factor r shrink the error by r^m.")
    passed("rate_from_losses reads the contraction factor off a loss curve.")


# ------------------------------------------------------------------------------------------ Q5
def _design(rng, n, d):
    """A data matrix with columns of different scales, correlated, with non-zero means."""
    Z = rng.normal(0, 1, (n, d)) @ (np.eye(d) + 0.6 * rng.normal(0, 1, (d, d)) / np.sqrt(d))
    return Z * log_uniform(rng, 0.3, 3.0, d) + rng.normal(0, 1, d)


def _regression_task(X, s):
    """(steps, factor) such that the rates within a band around the best one pass (s in (0, 1) sets the band)."""
    lam = np.linalg.eigvalsh(X.T @ X / len(X))
    L, mu = lam.max(), lam.min()
    best = (L - mu) / (L + mu)
    q = best + s * (1 - best)
    steps = int(np.clip(np.ceil(np.log(1e-4) / np.log(q) / 2), 1, 60))
    return lam, steps, float(q ** (-2 * steps))


def _regression_shrink(lr, X, steps):
    """Run GD on f(w) = |X w - y|^2 / (2 n) from several starts (each eigenvector among them) and return
    the largest (f - f*) after the steps relative to the start."""
    A = X.T @ X / len(X)
    _, Q = np.linalg.eigh(A)
    E = np.concatenate([Q, np.ones((len(A), 1)) / np.sqrt(len(A))], axis=1)   # error vectors, one per column
    gap0 = 0.5 * np.sum(E * (A @ E), axis=0)
    with np.errstate(all="ignore"):
        for _ in range(steps):
            E = E - lr * (A @ E)
        gap = 0.5 * np.sum(E * (A @ E), axis=0)
    ratio = gap / gap0
    return float(np.max(ratio)) if np.all(np.isfinite(ratio)) else math.inf


def check_regression_lr(regression_lr, hidden=False):
    """regression_lr(X, steps, factor): a rate with which GD on the least-squares loss of data X shrinks
    f - f* at least ``factor`` times within ``steps`` steps from every start."""
    hidden = is_hidden(hidden)
    rng = case_rng("regression_lr", hidden)
    X1 = np.array([[1.0, 0.0], [1.0, 1.0], [1.0, 2.0], [1.0, 3.0]])
    cases = [("on a line fit (a column of ones and one feature)", X1, 0.3),
             ("on features with very different scales", np.array([[1.0, 10.0], [2.0, -20.0], [0.0, 30.0], [1.0, 5.0],
                                                                   [3.0, 0.0]]), 0.3)]
    for _ in range(15 if hidden else 3):
        d = int(rng.integers(2, 6))
        cases.append(("on random data", _design(rng, int(rng.integers(d + 1, 4 * d)), d), float(rng.uniform(0.15, 0.4))))
    part = "the outcome of the rate returned by regression_lr"
    with forbid(*_THEORY, within=regression_lr):
        for kind, X, s in cases:
            lam, steps, factor = _regression_task(X, s)
            case = case_text(kind, f"X of shape {X.shape}, steps = {steps}, factor = {factor:.3g}", hidden)
            got = numbers(run_answer(regression_lr, X.copy(), steps, factor, case=case),
                          "the rate returned by regression_lr", case, ())
            lr = float(got)
            if not (lr > 0 and np.isfinite(lr)):
                fail("the rate returned by regression_lr", case, "a positive learning rate", lr)
            ratio = _regression_shrink(lr, X, steps)
            if not ratio <= (1 + 1e-6) / factor:
                fail(part, case, "f - f* shrunk at least factor times within the steps from every start" if hidden
                     else f"f - f* shrunk at least {factor:.3g} times in {steps} steps from every start",
                     f"only {1 / ratio:.3g}-fold from the worst start" if 0 < ratio < math.inf else "it grew",
                     "Write the loss as a quadratic in w: which matrix holds its curvatures, and which of its numbers "
                     "limit the rate and set the speed? Then choose the rate as lesson 2 does.")
    passed("regression_lr finds the curvatures of a least-squares loss and picks a rate that gets there in time.")
