"""Checks for assignment 9: the learning rate beyond deep learning.

``hidden=True`` (the grader) runs the same contract on more cases, random ones drawn from the
grader's per-submission seed, and describes a failing case without its inputs.
"""
from __future__ import annotations

import numpy as np

from . import case_rng, close, expect, forbid, is_hidden, passed, run_answer

__all__ = ["check_lms_step", "check_lms_step_limits", "check_td0_update", "check_robbins_monro_ok",
           "check_lms_gain", "misadjustment"]

_ONLINE = ("lrcourse.online.lms", "lrcourse.online.lms_limits", "lrcourse.online.lms_misadjustment",
           "lrcourse.online.lms_theory", "lrcourse.online.track")


def _pair(got, what):
    expect(isinstance(got, (tuple, list)) and len(got) == 2, f"{what} should return a pair (two values), got "
           f"{type(got).__name__} {got!r:.60}")
    return got


def _random_R(rng, n):
    """A random input correlation matrix: an AR(1) covariance, rotated, times a random power."""
    a = rng.uniform(-0.9, 0.9)
    R = a ** np.abs(np.subtract.outer(np.arange(n), np.arange(n)))
    Q, _ = np.linalg.qr(rng.standard_normal((n, n))) if rng.random() < 0.5 else (np.eye(n), None)
    return float(np.exp(rng.uniform(-2, 2))) * (Q @ R @ Q.T)


# ----------------------------------------------------------------------------- question 1
def check_lms_step(lms_step, hidden=False):
    """lms_step(w, x, d, mu) must return (w + mu e x, e) with e = d - w.x, leaving w and x alone."""
    hidden = is_hidden(hidden)
    rng = case_rng("lms_step", hidden)
    if hidden:
        cases = []
        for _ in range(4):
            n = int(rng.integers(1, 9))
            cases.append((rng.standard_normal(n), rng.standard_normal(n) * np.exp(rng.uniform(-2, 2)),
                          float(rng.normal() * 3), float(np.exp(rng.uniform(-6, -1))), f"random {n}-tap filters"))
    else:
        w, x = np.array([0.5, -1.0, 2.0]), np.array([1.0, 2.0, -1.0])
        cases = [(w, x, d, mu, f"lms_step(w=[0.5, -1, 2], x=[1, 2, -1], d={d}, mu={mu})")
                 for d, mu in [(1.0, 0.1), (-3.0, 0.01), (0.0, 0.5)]]
        cases.append((np.zeros(2), np.array([3.0, 4.0]), 5.0, 1 / 25, "lms_step(w=[0, 0], x=[3, 4], d=5, mu=1/25)"))
        cases.append((np.array([1.0]), np.array([2.0]), 1.0, 0.25, "a one-tap filter, lms_step([1], [2], d=1, mu=0.25)"))
    for w, x, d, mu, where in cases:
        with forbid(*_ONLINE):
            w_new, e = _pair(run_answer(lms_step, w.copy(), x.copy(), d, mu, case=f"for {where}"), "lms_step")
        want_e = d - w @ x
        close(e, want_e, f"the error e returned for {where}", "", "The error is the desired output minus the filter's output w·x before the update.", rtol=1e-9, atol=1e-12)
        close(w_new, w + mu * want_e * x, f"the new weights for {where}", "", "Move w along the input x, by the step size times the error (the update should reduce the "
                     "error on the same (x, d)).", rtol=1e-9, atol=1e-12)
    passed("lms_step makes one LMS update and returns the a-priori error.")


# ----------------------------------------------------------------------------- question 2
def check_lms_step_limits(lms_step_limits, hidden=False):
    """lms_step_limits(R) must return (2 / lambda_max(R), 2 / trace(R))."""
    hidden = is_hidden(hidden)
    rng = case_rng("lms_step_limits", hidden)
    if hidden:
        cases = [(_random_R(rng, int(rng.integers(2, 9))), "a random correlation matrix") for _ in range(3)]
    else:
        cases = [(np.array([[2.0, 0.5], [0.5, 1.0]]), "R = [[2, 0.5], [0.5, 1]]"),
                 (0.8 ** np.abs(np.subtract.outer(np.arange(4), np.arange(4))), "the 4×4 AR(1) matrix R_ij = 0.8^|i-j|"),
                 (np.diag([3.0, 1.0, 0.5]), "R = diag(3, 1, 0.5)")]
    for R, where in cases:
        with forbid(*_ONLINE):
            got = _pair(run_answer(lms_step_limits, R.copy(), case=f"for {where}"), "lms_step_limits")
        lam = np.linalg.eigvalsh(R)
        close(got[0], 2 / lam.max(), f"the first value (the limit for convergence in the mean) for {where}", "", "The mean weight error is multiplied by (I - mu R) at each step: when does that shrink "
                     "along every eigenvector?", rtol=1e-8, atol=1e-12)
        close(got[1], 2 / np.trace(R), f"the second value (the trace rule for the mean square) for {where}", "", "The rule of thumb uses the total input power, the sum of the eigenvalues.", rtol=1e-8, atol=1e-12)
    passed("lms_step_limits gives the mean limit and the trace rule.")


# ----------------------------------------------------------------------------- question 3
def _td0(V, s, r, s_next, alpha, done, gamma=1.0):
    V = np.array(V, dtype=float)
    target = r if done else r + gamma * V[s_next]
    V[s] += alpha * (target - V[s])
    return V


def check_td0_update(td0_update, hidden=False):
    """td0_update(V, s, r, s_next, alpha, done, gamma=1.0) must return a new V after one TD(0) update."""
    hidden = is_hidden(hidden)
    rng = case_rng("td0_update", hidden)
    if hidden:
        n = int(rng.integers(3, 12))
        V = rng.standard_normal(n)
        cases = []
        for kind in ("a random move", "a move into a terminal state", "a move back into the same state"):
            s = int(rng.integers(n))
            s_next = s if "same" in kind else int(rng.integers(n))
            gamma = float(rng.uniform(0.5, 1.0))
            cases.append((V, np.int64(s), float(rng.normal()), np.int64(s_next), float(rng.uniform(0.01, 1)),
                          "terminal" in kind, gamma, f"{kind} (random values, gamma < 1)"))
    else:
        V = np.array([0.0, 0.2, 0.5, 0.9, 0.0])
        V2 = np.array([0.0, 0.2, 0.5, 0.9, 0.7])
        cases = [(V, 2, 0.0, 3, 0.1, False, None, "td0_update(V, s=2, r=0, s_next=3, alpha=0.1, done=False)"),
                 (V2, 3, 1.0, 4, 0.5, True, None, "a step into a terminal state with reward 1 (V there is 0.7)"),
                 (V, 1, 0.5, 2, 0.2, False, 0.9, "V[1] with gamma = 0.9"),
                 (V, 2, 1.0, 2, 0.5, False, 0.9, "a move from state 2 back into state 2 (gamma = 0.9)")]
    for V, s, r, s_next, alpha, done, gamma, where in cases:
        args = (V.copy(), s, r, s_next, alpha, done) + (() if gamma is None else (gamma,))
        got = run_answer(td0_update, *args, case=f"for {where}")
        want = _td0(V, s, r, s_next, alpha, done, 1.0 if gamma is None else gamma)
        close(got, want, f"the new V for {where}", "", "Only V[s] changes: it moves a fraction alpha of the way towards the target r + gamma V[s_next] "
                     "(computed from V before the update); after the last step of an episode (done) there is no "
                     "future: the target is the reward alone.", rtol=1e-9, atol=1e-12)
    passed("td0_update moves V[s] towards the TD target.")


# ----------------------------------------------------------------------------- question 4
def check_robbins_monro_ok(robbins_monro_ok, hidden=False):
    """robbins_monro_ok(p) must say whether a_n = 1 / n**p satisfies both Robbins-Monro conditions."""
    hidden = is_hidden(hidden)
    rng = case_rng("robbins_monro_ok", hidden)
    if hidden:
        ps = list(rng.uniform(0, 3, 20)) + [0.5 + 1e-9, 0.5 - 1e-9, 1 - 1e-9, 1 + 1e-9, 1, 0.5, 0]
        cases = [(float(p), "a random p" if i < 20 else "p at or next to 1/2 or 1") for i, p in enumerate(ps)]
        cases += [(int(rng.integers(2, 5)), "an integer p > 1")]
    else:
        cases = [(p, f"robbins_monro_ok({p})") for p in (0.0, 0.3, 0.5, 0.51, 0.75, 1.0, 1, 1.01, 2.0, 0.500001)]
    for p, where in cases:
        got = run_answer(robbins_monro_ok, p, case=f"for {where}")
        want = 0.5 < p <= 1.0
        expect(isinstance(got, (bool, np.bool_)), f"robbins_monro_ok should return True or False, got "
               f"{type(got).__name__} {got!r:.40} (for {where})")
        expect(bool(got) == want, f"robbins_monro_ok returned {bool(got)} for {where}. Check both conditions for "
               "this p: is the sum of 1/n^p infinite (compare with the harmonic series)? Is the sum of the squares "
               "finite? Mind the end points exactly.")
    passed("robbins_monro_ok knows which 1/n^p sequences satisfy both conditions.")


# ----------------------------------------------------------------------------- question 5
def misadjustment(mu, R):
    """The exact steady-state misadjustment of LMS (independent Gaussian regressors, Feuer &
    Weinstein 1985): S / (1 - S) with S = sum_i mu l_i / (2 (1 - mu l_i)); inf where unstable."""
    lam = np.linalg.eigvalsh(np.asarray(R, dtype=float))
    x = mu * lam
    if x.max() >= 1:
        return np.inf
    S = float(np.sum(x / (2 * (1 - x))))
    return S / (1 - S) if S < 1 else np.inf


def check_lms_gain(lms_gain, hidden=False):
    """lms_gain(R, M) -> the step size mu whose exact steady-state misadjustment is M (rtol 1e-4)."""
    hidden = is_hidden(hidden)
    rng = case_rng("lms_gain", hidden)
    if hidden:
        cases = [(_random_R(rng, int(rng.integers(2, 9))), float(np.exp(rng.uniform(np.log(0.01), np.log(0.05)))),
                  "a random R and a small misadjustment (1-5%)"),
                 (_random_R(rng, int(rng.integers(2, 9))), float(np.exp(rng.uniform(np.log(0.2), np.log(10)))),
                  "a random R and a large misadjustment (20% to 1000%)"),
                 (float(np.exp(rng.uniform(-2, 2))) * np.eye(1), float(rng.uniform(0.05, 2)), "a one-tap filter")]
    else:
        ar = 0.8 ** np.abs(np.subtract.outer(np.arange(8), np.arange(8)))
        cases = [(ar, 0.1, "the lesson's 8-tap R (R_ij = 0.8^|i-j|), M = 10%"),
                 (ar, 0.01, "the lesson's 8-tap R, M = 1%"),
                 (np.diag([4.0, 1.0]), 2.0, "R = diag(4, 1), M = 200%"),
                 (np.array([[2.0]]), 0.5, "a one-tap filter with input power 2, M = 50%")]
    for R, M, where in cases:
        with forbid(*_ONLINE):
            got = run_answer(lms_gain, R.copy(), M, case=f"for {where}")
        try:
            if isinstance(got, (str, bytes, bool, np.bool_)) or got is None:
                raise TypeError
            mu = np.asarray(got, dtype=float)
        except (TypeError, ValueError):
            mu = None
        expect(mu is not None and mu.ndim == 0 and np.isfinite(mu) and mu > 0,
               f"lms_gain should return one step size mu > 0, got {type(got).__name__} {got!r:.60} (for {where})")
        mis = misadjustment(float(mu), R)
        if not np.isfinite(mis):
            raise AssertionError(f"lms_gain returned mu = {float(mu):.4g} for {where}: LMS is not mean-square stable "
                                 "there (the misadjustment is infinite). The formula is increasing only up to the "
                                 "edge where S reaches 1: look for mu below it.")
        expect(abs(mis / M - 1) <= 1e-4,
               f"with mu = {float(mu):.5g} for {where} the misadjustment is {mis:.5g}, not the {M:.5g} asked for"
               + (" (too large: take a smaller mu)." if mis > M else " (too small: take a larger mu).")
               + " Use the exact formula S/(1 - S), not the small-step approximation mu·tr(R)/2, and solve it for "
               "mu (it grows with mu: bisection works).")
    passed("lms_gain picks the step size for the misadjustment you asked for.")
