"""Checks for assignment 5: momentum and Nesterov.

Every check tests one contract, the one its question states. ``hidden=False`` (the check cell)
runs fixed cases; ``hidden=True`` (the grader) runs more cases of the same kinds, drawn at random
from the seed the grader sets per submission, and describes a failing case without its inputs.
"""
from __future__ import annotations

import math

import numpy as np

from .. import optimizers
from . import case_rng, close, expect, forbid, is_hidden, passed, run_answer

__all__ = ["check_heavy_ball_step", "check_polyak_settings", "check_is_stable", "check_to_heavy_ball",
           "check_tune_heavy_ball"]

_THEORY = ("lrcourse.theory.polyak_momentum", "lrcourse.theory.momentum_stable",
           "lrcourse.theory.heavy_ball_contraction")


def _quadratic_grad(H):
    """The gradient x -> H x (H a vector: a diagonal Hessian), for a point or a batch of points."""
    H = np.asarray(H, dtype=float)
    if H.ndim == 1:
        return lambda x: H * np.asarray(x, dtype=float)
    return lambda x: np.asarray(x, dtype=float) @ H


def _rotated(eigenvalues, rng):
    """A symmetric matrix with the given eigenvalues and random eigenvectors."""
    n = len(eigenvalues)
    Q, _ = np.linalg.qr(rng.standard_normal((n, n)))
    return (Q * np.asarray(eigenvalues, dtype=float)) @ Q.T


def unchanged(a, kept):
    return np.array_equal(np.asarray(a), np.asarray(kept), equal_nan=True)


def _pair(got, name):
    expect(isinstance(got, (tuple, list)) and len(got) == 2,
           f"{name} should return a pair (two values), got {type(got).__name__} {got!r:.80}")
    return got


# ----------------------------------------------------------------------------- question 1
def check_heavy_ball_step(heavy_ball_step, hidden=False):
    """heavy_ball_step(x, x_prev, grad, alpha, beta) -> (x - alpha grad(x) + beta (x - x_prev), x),
    for numbers and arrays, inputs left unchanged; many calls follow SGD with momentum."""
    hidden = is_hidden(hidden)
    rng = case_rng("heavy_ball_step", hidden)
    if hidden:
        n = int(rng.integers(3, 7))
        cases = [("on a random array", rng.standard_normal(n), rng.standard_normal(n),
                  rng.uniform(0.1, 3.0, n), rng.uniform(0.05, 1.0), rng.uniform(0.1, 0.95)),
                 ("on plain numbers", float(rng.normal()), float(rng.normal()), rng.uniform(0.5, 2.0),
                  rng.uniform(0.05, 0.5), rng.uniform(0.1, 0.9))]
    else:
        cases = [("heavy_ball_step(x=[1, -2], x_prev=[1.5, -1], grad=x -> [1, 0.1]·x, alpha=0.5, beta=0.9)",
                  np.array([1.0, -2.0]), np.array([1.5, -1.0]), np.array([1.0, 0.1]), 0.5, 0.9),
                 ("heavy_ball_step(x=2.0, x_prev=1.0, grad=x -> 3x, alpha=0.1, beta=0.5) on plain numbers",
                  2.0, 1.0, 3.0, 0.1, 0.5)]
    for where, x, x_prev, lam, alpha, beta in cases:
        grad = _quadratic_grad(lam) if np.ndim(x) else (lambda z, lam=lam: lam * z)
        args = (x, x_prev)
        kept = [np.copy(a) for a in args]
        got = _pair(run_answer(heavy_ball_step, x, x_prev, grad, alpha, beta, case=f"({where})"), "heavy_ball_step")
        expect(all(unchanged(a, k) for a, k in zip(args, kept)),
               f"heavy_ball_step changed x or x_prev in place ({where}): compute new values instead of "
               "updating the inputs (no `x -= ...` or `x[...] = ...`).")
        x_new, x_old = got
        close(x_old, x, f"the second value returned ({where})", "", "Return the current x as the second value, so that the next call gets it as x_prev.", rtol=1e-9, atol=1e-12)
        close(x_new, x - alpha * grad(x) + beta * (x - x_prev), f"the new x ({where})", "", "A gradient step of size alpha at x, plus beta times the last move x − x_prev "
                     "(the ball keeps going the way it was going).", rtol=1e-9, atol=1e-12)
    # many steps from rest must follow lrcourse's (PyTorch's) SGD with momentum
    if hidden:
        n, steps = int(rng.integers(2, 6)), 60
        H = _rotated(np.geomspace(1.0, rng.uniform(0.01, 0.2), n), rng)
        lr, beta, x0 = rng.uniform(0.5, 1.5), rng.uniform(0.3, 0.9), rng.standard_normal(n)
        where = f"after {steps} heavy-ball steps from rest on a random quadratic"
    else:
        H, lr, beta, x0, steps = np.array([1.0, 0.01]), 1.2, 0.8, np.array([-1.8, 0.8]), 40
        where = "x after 40 heavy-ball steps from rest (x_prev = x0) on f = (x² + 0.01 y²)/2, alpha=1.2, beta=0.8"
    grad = _quadratic_grad(H)
    opt = optimizers.sgd(lr=lr, momentum=beta)
    p, state = x0.copy(), opt.init(x0)
    x = x_prev = x0.copy()
    for _ in range(steps):
        p, state = opt.step(p, grad(p), state)
        x, x_prev = _pair(run_answer(heavy_ball_step, x, x_prev, grad, lr, beta, case="(in a run of many steps)"), "heavy_ball_step")
    close(x, p, where, "", "Each call must use the x_prev returned by the previous call.", rtol=1e-8, atol=1e-12)
    passed("heavy_ball_step is Polyak's heavy ball, and matches SGD with momentum step for step.")


# ----------------------------------------------------------------------------- question 2
def _polyak(L, mu):
    sL, smu = math.sqrt(L), math.sqrt(mu)
    return (2 / (sL + smu)) ** 2, ((sL - smu) / (sL + smu)) ** 2


def check_polyak_settings(polyak_settings, hidden=False):
    """polyak_settings(L, mu) -> ((2 / (√L + √μ))², ((√L − √μ) / (√L + √μ))²) for numbers 0 < mu <= L."""
    hidden = is_hidden(hidden)
    rng = case_rng("polyak_settings", hidden)
    if hidden:
        cases = [(float(L), float(L / k)) for L, k in zip(rng.uniform(0.1, 50, 5), np.geomspace(1.5, 1e4, 5))]
        cases += [(int(rng.integers(2, 50)), 1), (3.0, 3.0)]
        cases = [(c, "a random well-conditioned case" if c[0] / c[1] < 10 else "a random ill-conditioned case")
                 for c in cases]
    else:
        cases = [(c, f"L={c[0]}, mu={c[1]}") for c in [(1.0, 0.01), (25, 1), (4.0, 4.0), (2.0, 0.5), (0.5, 0.08)]]
    for (L, mu), where in cases:
        with forbid(*_THEORY):
            got = _pair(run_answer(polyak_settings, L, mu, case=f"({where})"), "polyak_settings")
        alpha, beta = got
        want_alpha, want_beta = _polyak(L, mu)
        extra = " (here L = μ)" if L == mu else ""
        close(alpha, want_alpha, f"alpha for {where}{extra}", "", "Polyak's alpha is built from √L and √μ; for L = μ it must reduce to gradient descent's "
                     "one-step rate 1/L.", rtol=1e-7, atol=1e-12)
        close(beta, want_beta, f"beta for {where}{extra}", "", "Polyak's beta is the square of the heavy ball's best rate (√κ − 1)/(√κ + 1); it is 0 when "
                     "L = μ and approaches 1 as κ grows.", rtol=1e-7, atol=1e-12)
    passed("polyak_settings gives Polyak's optimal heavy-ball settings.")


# ----------------------------------------------------------------------------- question 3
def check_is_stable(is_stable, hidden=False):
    """is_stable(lr, beta, lam) -> True iff 0 < lr lam < 2 + 2 beta (heavy ball, 0 <= beta < 1)."""
    hidden = is_hidden(hidden)
    rng = case_rng("is_stable", hidden)
    if hidden:
        cases = []
        for _ in range(40):                       # anywhere in the region and around it
            lr, beta, lam = rng.uniform(0.05, 5.0), rng.uniform(0.0, 0.99), rng.uniform(0.2, 5.0)
            cases.append((lr, beta, lam, "a random setting"))
        for _ in range(30):                       # within 0.01 - 3 % of the edge, on both sides
            beta, lam = rng.uniform(0.0, 0.99), rng.uniform(0.2, 5.0)
            side = rng.choice([-1.0, 1.0])
            lr = (2 + 2 * beta) * (1 + side * np.exp(rng.uniform(np.log(1e-4), np.log(0.03)))) / lam
            cases.append((lr, beta, lam, f"a random setting just {'below' if side < 0 else 'above'} the stability edge"))
    else:
        cases = [(1.9, 0.0, 1.0), (2.1, 0.0, 1.0), (3.0, 0.6, 1.0), (3.0, 0.4, 1.0), (0.5, 0.9, 7.0), (0.5, 0.9, 8.0),
                 (0.01, 0.99, 100.0), (0.1, 0.5, 40.0), (2.0, 0.5, 1.49), (2.0, 0.5, 1.51), (0.35, 0.75, 10.1),
                 (0.35, 0.75, 9.9), (1.0, 0.0, 0.5), (1.0, 0.5, 2.9997), (1.0, 0.5, 3.0003)]
        cases = [c + (f"is_stable(lr={c[0]}, beta={c[1]}, lam={c[2]})",) for c in cases]
    for lr, beta, lam, where in cases:
        want = lr * lam < 2 + 2 * beta
        with forbid(*_THEORY):
            got = run_answer(is_stable, lr, beta, lam, case=f"({where})")
        expect(isinstance(got, (bool, np.bool_)), f"is_stable should return True or False, got "
               f"{type(got).__name__} {got!r:.60} (for {where})")
        expect(bool(got) == want, f"is_stable returned {bool(got)} for {where}; the heavy ball "
               f"{'converges' if want else 'does not converge'} there. Plain gradient descent (beta = 0) needs "
               "lr·λ < 2 and momentum widens that range: find exactly where a root of the recursion's "
               "characteristic polynomial reaches −1 (lesson 5, section 4).")
    passed("is_stable knows the heavy ball's stability region, right up to its edge.")


# ----------------------------------------------------------------------------- question 4
def _pytorch_iterates(lr, momentum, dampening, steps=30):
    grad = _quadratic_grad([1.0, 0.05])
    opt = optimizers.sgd(lr=lr, momentum=momentum, dampening=dampening)
    xs = [np.array([-1.8, 0.8])]
    state = opt.init(xs[0])
    for _ in range(steps):
        x, state = opt.step(xs[-1], grad(xs[-1]), state)
        xs.append(x)
    return np.array(xs), grad


def check_to_heavy_ball(to_heavy_ball, hidden=False):
    """to_heavy_ball(lr, momentum, dampening) -> (lr (1 - dampening), momentum), for 0 < momentum < 1
    and 0 <= dampening <= 1 (with momentum = 0 PyTorch ignores the dampening: not asked)."""
    hidden = is_hidden(hidden)
    rng = case_rng("to_heavy_ball", hidden)
    if hidden:
        cases = [(rng.uniform(0.01, 0.5), rng.uniform(0.1, 0.95), rng.uniform(0.05, 0.95), "random settings"),
                 (rng.uniform(0.01, 0.5), rng.uniform(0.1, 0.95), 0.0, "no dampening"),
                 (rng.uniform(0.01, 0.5), rng.uniform(0.01, 0.1), rng.uniform(0.1, 0.9), "a small momentum"),
                 (rng.uniform(0.01, 0.5), rng.uniform(0.1, 0.95), 1.0, "dampening = 1")]
    else:
        cases = [(0.1, 0.9, 0.0), (0.1, 0.9, 0.9), (0.5, 0.5, 0.2), (0.2, 0.3, 0.5)]
        cases = [c + (f"lr={c[0]}, momentum={c[1]}, dampening={c[2]}",) for c in cases]
    for lr, momentum, dampening, where in cases:
        got = _pair(run_answer(to_heavy_ball, lr, momentum, dampening, case=f"({where})"), "to_heavy_ball")
        try:
            alpha, beta = (float(g) for g in got)
        except (TypeError, ValueError):
            raise AssertionError(f"to_heavy_ball should return two numbers, got {got!r:.80}") from None
        xs, grad = _pytorch_iterates(lr, momentum, dampening)
        predicted = xs[1:-1] - alpha * grad(xs[1:-1]) + beta * (xs[1:-1] - xs[:-2])
        expect(np.allclose(predicted, xs[2:], rtol=1e-9, atol=1e-14),
               f"to_heavy_ball gave ({alpha:.4g}, {beta:.4g}) for {where}: that heavy ball does not reproduce "
               "SGD's iterates from the second step on. Write the buffer update for two consecutive steps, "
               "x_t − x_(t+1) = lr·b_(t+1), and eliminate the buffer.")
    passed("to_heavy_ball translates PyTorch's (lr, momentum, dampening) into Polyak's (alpha, beta).")


# ----------------------------------------------------------------------------- question 5
TOL = 1e-6


def _shrink(lr, beta, H, steps):
    """Worst distance ratio ||x_T|| / ||x_0|| of PyTorch's SGD with momentum over starts along each
    eigenvector of H (the worst starts: the error along each eigenvector evolves on its own)."""
    lam, Q = np.linalg.eigh(H)
    opt = optimizers.sgd(lr=lr, momentum=beta)
    x = Q.T.copy()                                  # one start per row
    state = opt.init(x)
    with np.errstate(all="ignore"):
        for _ in range(steps):
            x, state = opt.step(x, x @ H, state)
        ratio = np.linalg.norm(x, axis=1).max()
    return float(ratio) if np.isfinite(ratio) else np.inf


def budget(H):
    """The step budget of question 5 for Hessian H: 30% more than Polyak's settings need."""
    lam = np.linalg.eigvalsh(H)
    a, b = _polyak(lam.max(), lam.min())
    lo, hi = 1, 8
    while _shrink(a, b, H, hi) > TOL:
        lo, hi = hi, 2 * hi
    while lo < hi:                                  # first step count that reaches the target
        mid = (lo + hi) // 2
        lo, hi = (mid + 1, hi) if _shrink(a, b, H, mid) > TOL else (lo, mid)
    return int(math.ceil(1.3 * lo)) + 1


def check_tune_heavy_ball(tune_heavy_ball, hidden=False):
    """tune_heavy_ball(H, steps) -> (lr, momentum) with which SGD with momentum shrinks the distance to
    the minimum of x.H.x/2 a million-fold within ``steps`` steps, from every start."""
    hidden = is_hidden(hidden)
    rng = case_rng("tune_heavy_ball", hidden)
    if hidden:
        cases = []
        for kappa in (rng.uniform(5, 30), rng.uniform(50, 300), rng.uniform(500, 3000)):
            n = int(rng.integers(3, 7))
            L = float(np.exp(rng.uniform(-2, 3)))
            lam = np.r_[L, L / kappa, L / kappa ** rng.uniform(0, 1, n - 2)]
            cases.append((_rotated(lam, rng), f"a random {n}×{n} Hessian (condition number about {kappa:.0f})"))
    else:
        cases = [(_rotated([2.0, 0.02, 0.5], np.random.default_rng(5)), "the 3×3 Hessian H1 (κ = 100, rotated)"),
                 (np.array([[10.0, 0.0], [0.0, 0.025]]), "the diagonal Hessian H2 (κ = 400)"),
                 (_rotated([0.3, 0.012, 0.1, 0.05], np.random.default_rng(6)), "the 4×4 Hessian H3 (κ = 25)")]
    for H, where in cases:
        steps = budget(H)
        kept = H.copy()
        with forbid(*_THEORY):
            got = _pair(run_answer(tune_heavy_ball, H, steps, case=f"(on {where})"), "tune_heavy_ball")
        expect(np.array_equal(H, kept), f"tune_heavy_ball changed H in place ({where}).")
        try:
            lr, beta = (float(g) for g in got)
        except (TypeError, ValueError):
            raise AssertionError(f"tune_heavy_ball should return two numbers (lr, momentum), got {got!r:.80}") from None
        expect(lr > 0 and 0 <= beta < 1, f"tune_heavy_ball returned lr = {lr:.4g}, momentum = {beta:.4g} for {where}: "
               "the rate must be > 0 and the momentum in [0, 1).")
        ratio = _shrink(lr, beta, H, steps)
        expect(ratio <= TOL, f"with lr = {lr:.4g}, momentum = {beta:.4g} on {where}, the worst start is still "
               f"{ratio:.2g} of its distance away after the {steps} allowed steps (the target is 1e-6)"
               + (": the run diverges. Which direction is steepest? (H is not diagonal: look at its eigenvalues.)"
                  if not ratio < 1 else ". Which settings give the fastest heavy ball for curvatures in [μ, L]?"))
    passed("tune_heavy_ball: your settings reach the target within the budget, where gradient descent needs "
           "several times more steps.")

