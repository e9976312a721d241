"""Checks for assignment 5: momentum and Nesterov."""
from __future__ import annotations

import numpy as np

from .. import optimizers
from . import call, expect, expect_close, passed

__all__ = ["check_heavy_ball_step", "check_polyak_settings", "check_is_stable", "check_to_heavy_ball"]


def _quadratic_grad(lam):
    lam = np.asarray(lam, dtype=float)
    return lambda x: lam * np.asarray(x, dtype=float)


def check_heavy_ball_step(heavy_ball_step):
    """heavy_ball_step(x, x_prev, grad, alpha, beta) -> (x - alpha grad(x) + beta (x - x_prev), x)."""
    x, x_prev = np.array([1.0, -2.0]), np.array([1.5, -1.0])
    grad = _quadratic_grad([1.0, 0.1])
    got = call(heavy_ball_step, x, x_prev, grad, 0.5, 0.9)
    expect(isinstance(got, (tuple, list)) and len(got) == 2,
           f"heavy_ball_step should return the pair (x_new, x), got {got!r}")
    x_new, x_old = got
    expect_close(x_old, x, "the second value returned (the new x_prev)",
                 "Return the current x as the second value, so the next call gets it as x_prev.")
    want = x - 0.5 * grad(x) + 0.9 * (x - x_prev)
    expect_close(x_new, want, "heavy_ball_step(x=[1, -2], x_prev=[1.5, -1], ...)",
                 "A gradient step of size alpha, plus beta times the last move x − x_prev "
                 "(the ball keeps going the way it was going).")
    expect(np.array_equal(x, [1.0, -2.0]) and np.array_equal(x_prev, [1.5, -1.0]),
           "heavy_ball_step must not modify x or x_prev in place.")
    # 40 steps from rest must follow lrcourse's (PyTorch's) SGD with momentum exactly
    grad = _quadratic_grad([1.0, 0.01])
    opt = optimizers.sgd(lr=1.2, momentum=0.8)
    p = np.array([-1.8, 0.8])
    state = opt.init(p)
    x = x_prev = p.copy()
    for t in range(40):
        p, state = opt.step(p, grad(p), state)
        x, x_prev = call(heavy_ball_step, x, x_prev, grad, 1.2, 0.8)
    expect_close(x, p, "x after 40 heavy-ball steps from rest (x_prev = x0)",
                 "Each call must use the x_prev returned by the previous call.", rtol=1e-10)
    passed("heavy_ball_step is Polyak's heavy ball, and matches SGD with momentum step for step.")


def check_polyak_settings(polyak_settings):
    """polyak_settings(L, mu) -> ((2 / (sqrt L + sqrt mu))^2, ((sqrt L - sqrt mu) / (sqrt L + sqrt mu))^2)."""
    for L, mu in [(1.0, 0.01), (25.0, 1.0), (4.0, 4.0), (2.0, 0.5)]:
        got = call(polyak_settings, L, mu)
        expect(isinstance(got, (tuple, list)) and len(got) == 2,
               f"polyak_settings should return a pair (alpha, beta), got {got!r}")
        alpha, beta = got
        sL, smu = np.sqrt(L), np.sqrt(mu)
        expect_close(alpha, (2 / (sL + smu)) ** 2, f"alpha for L={L}, mu={mu}",
                     "Polyak's alpha is built from √L and √μ; for L = μ it must reduce to gradient descent's "
                     "one-step rate 1/L.")
        expect_close(beta, ((sL - smu) / (sL + smu)) ** 2, f"beta for L={L}, mu={mu}",
                     "Polyak's beta is the square of the heavy ball's best rate; it is 0 when L = μ and "
                     "approaches 1 as κ grows.")
    passed("polyak_settings gives Polyak's optimal heavy-ball settings.")


def check_is_stable(is_stable):
    """is_stable(lr, beta, lam) -> True iff 0 < lr lam < 2 + 2 beta (heavy ball, 0 <= beta < 1)."""
    cases = [(1.9, 0.0, 1.0, True), (2.1, 0.0, 1.0, False), (3.0, 0.6, 1.0, True), (3.0, 0.4, 1.0, False),
             (0.5, 0.9, 7.0, True), (0.5, 0.9, 8.0, False), (0.01, 0.99, 100.0, True), (0.1, 0.5, 40.0, False)]
    for lr, beta, lam, want in cases:
        got = call(is_stable, lr, beta, lam)
        expect(isinstance(got, (bool, np.bool_)),
               f"is_stable should return True or False, got {type(got).__name__} {got!r}")
        expect(bool(got) == want, f"is_stable(lr={lr}, beta={beta}, lam={lam}) returned {got}. Plain gradient descent "
               "(beta = 0) needs lr·λ < 2; momentum widens that range. Look at the stability section of lesson 5, "
               "or at what happens to the recursion when the iterate flips sign every step.")
    passed("is_stable knows the heavy ball's stability region.")


def check_to_heavy_ball(to_heavy_ball):
    """to_heavy_ball(lr, momentum, dampening) -> (lr (1 - dampening), momentum)."""
    grad = _quadratic_grad([1.0, 0.05])
    for lr, momentum, dampening in [(0.1, 0.9, 0.0), (0.1, 0.9, 0.9), (0.5, 0.5, 0.2)]:
        got = call(to_heavy_ball, lr, momentum, dampening)
        expect(isinstance(got, (tuple, list)) and len(got) == 2,
               f"to_heavy_ball should return a pair (alpha, beta), got {got!r}")
        alpha, beta = (float(g) for g in got)
        opt = optimizers.sgd(lr=lr, momentum=momentum, dampening=dampening)
        xs = [np.array([-1.8, 0.8])]
        state = opt.init(xs[0])
        for _ in range(30):
            x, state = opt.step(xs[-1], grad(xs[-1]), state)
            xs.append(x)
        xs = np.array(xs)
        predicted = xs[1:-1] - alpha * grad(xs[1:-1]) + beta * (xs[1:-1] - xs[:-2])
        expect(np.allclose(predicted, xs[2:], rtol=1e-10, atol=1e-14),
               f"to_heavy_ball(lr={lr}, momentum={momentum}, dampening={dampening}) = ({alpha:.4g}, {beta:.4g}) does "
               "not reproduce SGD's iterates from the second step on. Write the buffer update for two consecutive "
               "steps, p_t − p_(t+1) = lr·b_(t+1), and eliminate the buffer.")
    passed("to_heavy_ball translates PyTorch's (lr, momentum, dampening) into Polyak's (alpha, beta).")
