"""Checks for assignment 9: the learning rate beyond deep learning."""
from __future__ import annotations

import numpy as np

from . import call, expect, expect_close, passed

__all__ = ["check_lms_step", "check_lms_step_limits", "check_td0_update", "check_robbins_monro_ok"]


def _pair(got, what):
    expect(isinstance(got, tuple) and len(got) == 2, f"{what} should return a pair (two values), got {got!r}")
    return got


def check_lms_step(lms_step):
    """lms_step(w, x, d, mu) must return (w + mu e x, e) with e = d - w.x, leaving w alone."""
    w = np.array([0.5, -1.0, 2.0])
    x = np.array([1.0, 2.0, -1.0])
    for d, mu in [(1.0, 0.1), (-3.0, 0.01), (0.0, 0.5)]:
        w_new, e = _pair(call(lms_step, w, x, d, mu), "lms_step")
        want_e = d - w @ x
        expect_close(e, want_e, f"the error e returned by lms_step(w, x, d={d}, mu={mu})",
                     "The error is the desired output minus the filter's output before the update.")
        expect_close(w_new, w + mu * want_e * x, f"the new weights of lms_step(w, x, d={d}, mu={mu})",
                     "Move w along the input x, by the step size times the error.")
    expect(np.array_equal(w, [0.5, -1.0, 2.0]), "lms_step must not modify w in place: return a new array.")
    w_new, e = call(lms_step, np.zeros(2), np.array([3.0, 4.0]), 5.0, 1 / 25)
    expect_close(w_new, [0.6, 0.8], "lms_step on a second example",
                 "Check the sign: the update should reduce the error on the same (x, d).")
    passed("lms_step makes one LMS update and returns the a-priori error.")


def check_lms_step_limits(lms_step_limits):
    """lms_step_limits(R) must return (2 / lambda_max(R), 2 / trace(R))."""
    R = np.array([[2.0, 0.5], [0.5, 1.0]])
    lam = np.linalg.eigvalsh(R)
    got = _pair(call(lms_step_limits, R), "lms_step_limits")
    expect_close(got[0], 2 / lam.max(), "the first value (the limit for convergence in the mean)",
                 "The mean weight error is multiplied by (I - mu R) at each step: when does that shrink "
                 "along every eigenvector?", rtol=1e-8)
    expect_close(got[1], 2 / np.trace(R), "the second value (the trace rule for the mean square)",
                 "The rule of thumb uses the total input power, the sum of the eigenvalues.", rtol=1e-8)
    passed("lms_step_limits gives the mean limit and the trace rule.")


def check_td0_update(td0_update):
    """td0_update(V, s, r, s_next, alpha, done, gamma=1.0) must return a new V after one TD(0) update."""
    V = np.array([0.0, 0.2, 0.5, 0.9, 0.0])
    got = call(td0_update, V, 2, 0.0, 3, 0.1, False)
    expect_close(got, [0.0, 0.2, 0.5 + 0.1 * (0.9 - 0.5), 0.9, 0.0], "td0_update(V, s=2, r=0, s_next=3, alpha=0.1)",
                 "Only V[s] changes: it moves a fraction alpha of the way towards r + gamma V[s_next].")
    expect(np.array_equal(V, [0.0, 0.2, 0.5, 0.9, 0.0]), "td0_update must not modify V in place: return a new array.")
    V2 = np.array([0.0, 0.2, 0.5, 0.9, 0.7])
    got = call(td0_update, V2, 3, 1.0, 4, 0.5, True)
    expect_close(got[3], 0.9 + 0.5 * (1.0 - 0.9), "V[3] after a step into a terminal state with reward 1",
                 "After the last step of an episode there is no future: the target is the reward alone, "
                 "whatever V stores for the terminal state.")
    got = call(td0_update, V, 1, 0.5, 2, 0.2, False, 0.9)
    expect_close(got[1], 0.2 + 0.2 * (0.5 + 0.9 * 0.5 - 0.2), "V[1] with gamma = 0.9",
                 "Discount the next state's value by gamma.")
    passed("td0_update moves V[s] towards the TD target.")


def check_robbins_monro_ok(robbins_monro_ok):
    """robbins_monro_ok(p) must say whether a_n = 1 / n**p satisfies both Robbins-Monro conditions."""
    cases = {0.0: False, 0.3: False, 0.5: False, 0.51: True, 0.75: True, 1.0: True, 1.01: False, 2.0: False}
    for p, want in cases.items():
        got = call(robbins_monro_ok, p)
        expect(isinstance(got, (bool, np.bool_)), f"robbins_monro_ok({p}) should return True or False, got {got!r}")
        expect(bool(got) == want, f"robbins_monro_ok({p}) returned {got}. Check both conditions for this p: "
               "is the sum of 1/n^p infinite (compare with the harmonic series)? Is the sum of the squares finite?")
    passed("robbins_monro_ok knows which 1/n^p sequences satisfy both conditions.")
