"""Checks for assignment 3: stochastic gradients and batch size.

Each check tests one question's contract, as the prompt states it. ``hidden=False`` (the test
cell a learner runs): fixed cases plus a few random ones from a fixed seed. ``hidden=True`` (the
grader): more random cases from the grader's seed, the same contract.
"""
from __future__ import annotations

import itertools
import re

import numpy as np

from . import case_rng, case_text, close, fail, is_hidden, log_uniform, numbers, passed, run_answer

__all__ = ["check_noise_floor", "check_minibatch_noise", "check_goyal_lr", "check_robbins_monro", "check_plan_sgd"]


# ------------------------------------------------------------------------------------------ Q1
def _floor(lr, L, sigma):
    lr = np.asarray(lr, dtype=float)
    return lr * sigma**2 / (2 * (2 - lr * L))


def check_noise_floor(noise_floor, hidden=False):
    """noise_floor(lr, L, sigma): the exact stationary E[f] of SGD on f = L/2 x^2 with gradient noise
    of variance sigma^2, for a number lr or elementwise for an array of rates."""
    hidden = is_hidden(hidden)
    rng = case_rng("noise_floor", hidden)
    cases = [("", 0.1, 1.0, 1.0), ("with L != 1", 0.5, 2.0, 0.3), ("near the stability edge (lr·L close to 2)", 1.9, 1.0, 1.0),
             ("when there is no noise (sigma = 0)", 0.3, 2.0, 0.0), ("with integer arguments", 1, 1, 2),
             ("on an array of rates", np.array([0.1, 0.4, 1.5]), 1.0, 1.0),
             ("on an array of rates with L != 1", np.array([0.05, 0.2]), 3.0, 0.5)]
    for _ in range(20 if hidden else 3):
        L = float(log_uniform(rng, 0.1, 10))
        lr = rng.uniform(0.001, 1.99, int(rng.integers(1, 5))) / L
        cases.append(("on random numbers" if len(lr) == 1 else "on a random array of rates",
                      float(lr[0]) if len(lr) == 1 else lr, L, float(rng.uniform(0, 3))))
    for kind, lr, L, sigma in cases:
        case = case_text(kind, f"lr = {np.round(lr, 4).tolist()}, L = {L:.4g}, sigma = {sigma:.4g}", hidden)
        got = run_answer(noise_floor, lr.copy() if isinstance(lr, np.ndarray) else lr, L, sigma, case=case)
        want = _floor(lr, L, sigma)
        a = numbers(got, "the noise floor returned by noise_floor", case, np.shape(want))
        small = np.asarray(lr, float) * sigma**2 / 4
        hint = ("Write x_(t+1) = (1 - lr L) x_t - lr xi_t, take E[x^2] on both sides (xi has mean 0, variance sigma^2 "
                "and is independent of x_t), ask when E[x_(t+1)^2] = E[x_t^2], and remember f = L/2 x^2.")
        if sigma > 0 and np.allclose(a, small, rtol=1e-6) and not np.allclose(want, small, rtol=1e-6):
            hint = "That is the lesson's first-order approximation; here you need the exact value: keep every term."
        close(a, want, "the noise floor returned by noise_floor", case, hint)
    passed("noise_floor matches the stationary loss of SGD on a noisy parabola, for numbers and arrays.")


# ------------------------------------------------------------------------------------------ Q2
def _exact(G, B):
    """E||g_B - g||^2 by listing every batch of B distinct rows (small N only)."""
    g = G.mean(axis=0)
    return float(np.mean([np.sum((G[list(c)].mean(axis=0) - g) ** 2)
                          for c in itertools.combinations(range(len(G)), B)]))


def _closed(G, B):
    N = len(G)
    trace = np.mean(np.sum((G - G.mean(axis=0)) ** 2, axis=1))
    return trace / B * (N - B) / (N - 1)


def check_minibatch_noise(minibatch_noise, hidden=False):
    """minibatch_noise(G, B): E||g_B - g||^2 for B distinct rows of G drawn uniformly, G not modified."""
    hidden = is_hidden(hidden)
    rng = case_rng("minibatch_noise", hidden)
    G6 = np.array([[1.0, 0.0], [0.0, 2.0], [-1.0, 1.0], [3.0, -1.0], [0.5, 0.5], [-2.0, 0.0]])
    cases = [("", G6, B) for B in (1, 2, 3)] + [("when B = N (the whole data)", G6, 6),
                                                 ("on a single column", G6[:, :1], 2),
                                                 ("when N = 2", G6[:2], 1)]
    for _ in range(12 if hidden else 3):
        N, d = int(rng.integers(2, 9)), int(rng.integers(1, 5))
        G = rng.normal(0, 1, (N, d)) * log_uniform(rng, 0.1, 10, d) + rng.normal(0, 3, d)
        cases.append(("on a random G", G, int(rng.integers(1, N + 1))))
    for _ in range(4 if hidden else 1):   # larger N: check against the closed form
        N, d = int(rng.integers(30, 200)), int(rng.integers(1, 6))
        G = rng.normal(0, 1, (N, d)) * log_uniform(rng, 0.1, 10, d)
        cases.append(("on a large random G", G, int(rng.integers(1, N + 1))))
    for kind, G, B in cases:
        case = case_text(kind or "on a small G", f"G of shape {G.shape}, B = {B}", hidden)
        got = run_answer(minibatch_noise, G.copy(), B, case=case)
        want = _exact(G, B) if len(G) <= 10 else _closed(G, B)
        a = float(numbers(got, "the noise returned by minibatch_noise", case, ()))
        trace = np.mean(np.sum((G - G.mean(axis=0)) ** 2, axis=1))
        hint = ("Compute tr(Sigma) = mean_i ||g_i - g||^2 (divide by N), then the 1/B law with the finite-population "
                "correction of the lesson.")
        if B < len(G) and np.isclose(a, trace / B, rtol=1e-6):
            hint = "That is the value for rows drawn *with* replacement; the batch holds B distinct rows."
        if B == len(G):
            hint = "A batch of all N rows is the full gradient: no noise at all."
        close(a, want, "the noise returned by minibatch_noise", case, hint, atol=1e-12)
    passed("minibatch_noise gives the exact noise of sampling without replacement.")


# ------------------------------------------------------------------------------------------ Q3
def _goyal(epoch, batch_size):
    target = 0.1 * batch_size / 256
    if epoch < 5:
        return 0.1 + (target - 0.1) * epoch / 5
    return target * 0.1 ** sum(epoch >= m for m in (30, 60, 80))


def check_goyal_lr(goyal_lr, hidden=False):
    """goyal_lr(epoch, batch_size): Goyal et al.'s rate with gradual warmup and step decay."""
    hidden = is_hidden(hidden)
    rng = case_rng("goyal_lr", hidden)
    cases = [(0.0, 256), (0.0, 8192), (2.5, 8192), (5.0, 8192), (29.9, 1024), (30.0, 1024), (45.0, 512), (60.0, 8192),
             (79.5, 8192), (80.0, 8192), (89.0, 2048), (3.0, 1000), (90.0, 300), (4.75, 256), (1, 4096)]
    for _ in range(30 if hidden else 4):
        epoch = float(rng.choice([rng.uniform(0, 5), rng.uniform(5, 90), float(rng.integers(0, 91))]))
        cases.append((epoch, int(rng.choice([256 * int(rng.integers(1, 64)), int(rng.integers(256, 20000))]))))
    for epoch, B in cases:
        if epoch < 5:
            kind = "during the warmup" + (" at a fractional epoch" if epoch != int(epoch) else "")
        elif epoch in (5.0, 30.0, 60.0, 80.0):
            kind = "exactly at a milestone epoch" if epoch != 5 else "exactly at the end of the warmup"
        else:
            kind = "after the warmup"
        kind += " with a batch size that is not a multiple of 256" if B % 256 else ""
        case = case_text(kind, f"epoch = {epoch}, batch_size = {B}", hidden)
        got = run_answer(goyal_lr, epoch, B, case=case)
        if epoch < 5:
            hint = ("During the first 5 epochs the rate climbs in a straight line from 0.1 (at epoch 0) to "
                    "0.1 * B / 256 (at epoch 5); epoch may be a fraction and B any integer >= 256.")
        elif epoch in (30.0, 60.0, 80.0):
            hint = "At a milestone epoch the new, divided rate already applies."
        else:
            hint = "After the warmup: 0.1 * B / 256, divided by 10 at epochs 30, 60 and 80."
        close(got, _goyal(epoch, B), "the rate returned by goyal_lr", case, hint)
    passed("goyal_lr follows the linear scaling rule, the 5-epoch warmup and the decays at 30, 60, 80.")


# ------------------------------------------------------------------------------------------ Q4
_RM_OPTIONS = {
    "a": "0.1 (constant)",
    "b": "1 / (t + 1)",
    "c": "1 / sqrt(t + 1)",
    "d": "1 / (t + 1)**2",
    "e": "0.1 * 0.99**t",
    "f": "10 / (t + 100)",
}
_RM_ANSWER = frozenset({"b", "f"})


def _letters(answer):
    """A set of letters from a set, list or tuple of letters, or a string such as 'b, f'; None if unreadable."""
    if isinstance(answer, str):
        return set(re.findall(r"[a-z]", answer.lower()))
    if isinstance(answer, (set, frozenset, list, tuple)) and all(isinstance(a, str) for a in answer):
        return {a.strip().lower() for a in answer}
    return None


def check_robbins_monro(answer, hidden=False):
    """answer: the letters of the schedules that satisfy both Robbins-Monro conditions (a set, a list or
    a string of letters)."""
    hidden = is_hidden(hidden)
    case = "on your answer"
    got = _letters(answer)
    if got is None:
        fail("the answer", case, "a set of letters such as {'a', 'c'}", answer)
    unknown = got - set(_RM_OPTIONS)
    if unknown:
        fail("the answer", case, "letters from a to f", sorted(unknown))
    if got != _RM_ANSWER:
        fail("the answer", case, "the right set of letters", str(sorted(got)),
             "For each option ask two questions: does the sum of the rates grow without bound, and does the sum of "
             "their squares stay finite? Compare with sum 1/t^p, which is finite exactly when p > 1; a geometric "
             "series is always finite.")
    passed("Right: only those schedules have an infinite sum of rates and a finite sum of squares.")


# ------------------------------------------------------------------------------------------ Q5
def _expected_losses(lr, batch_size, eigenvalues, sigma, x0, budget):
    """The exact expected loss of SGD on f(x) = sum_i eigenvalues_i x_i^2 / 2 after budget // batch_size steps,
    each gradient coordinate carrying independent noise of variance sigma^2 / batch_size, for an array of rates:
    per axis m = E[x_i^2] obeys m <- (1 - lr lambda_i)^2 m + lr^2 sigma^2 / B, and E f = sum_i lambda_i m_i / 2."""
    lam, x0 = np.asarray(eigenvalues, dtype=float), np.asarray(x0, dtype=float)
    lr = np.asarray(lr, dtype=float)[..., None]
    steps = int(budget) // int(batch_size)
    a = (1 - lr * lam) ** 2
    with np.errstate(all="ignore"):
        geometric = np.where(np.abs(a - 1) < 1e-12, float(steps), -np.expm1(steps * np.log(a)) / (1 - a))
        m = a**steps * x0**2 + lr**2 * sigma**2 / batch_size * geometric
        loss = 0.5 * np.sum(lam * m, axis=-1)
    return np.where(np.isfinite(loss), loss, np.inf)


def _best_plan(lam, sigma, x0, budget):
    """The smallest expected loss over a grid of batch sizes and rates, refined around the best rate of each
    batch size (an upper bound of the optimum, close to it)."""
    best = np.inf
    for B in np.unique(np.geomspace(1, budget, 60).astype(int)):
        lrs = np.geomspace(1e-4, 1.999, 600) / np.max(lam)
        losses = _expected_losses(lrs, B, lam, sigma, x0, budget)
        i = int(np.argmin(losses))
        fine = np.geomspace(lrs[max(i - 1, 0)], lrs[min(i + 1, len(lrs) - 1)], 200)
        best = min(best, float(np.min(losses)), float(np.min(_expected_losses(fine, B, lam, sigma, x0, budget))))
    return best


def _plan_cases(rng, hidden):
    cases = [("on the quadratic of the prompt", [1.0, 0.01], 1.0, [3.0, 3.0], 20000, 0.0085),
             ("on a steep, small-noise problem", [50.0, 2.0], 0.2, [1.0, -1.0], 5000, None)]
    for _ in range(6 if hidden else 2):
        d = int(rng.integers(2, 4))
        L = float(log_uniform(rng, 0.2, 20))
        lam = L * np.concatenate([[1.0], log_uniform(rng, 1e-3, 0.3, d - 1)])
        x0 = rng.choice([-1.0, 1.0], d) * rng.uniform(1, 5, d)
        cases.append(("on a random problem", list(lam), float(log_uniform(rng, 0.1, 3)), list(x0),
                      int(log_uniform(rng, 1000, 50000)), None))
    out = []
    for kind, lam, sigma, x0, budget, target in cases:
        if target is None:
            target = float(_best_plan(lam, sigma, x0, budget) * rng.uniform(1.4, 1.9))
        out.append((kind, lam, sigma, x0, budget, target))
    return out


def check_plan_sgd(plan_sgd, hidden=False):
    """plan_sgd(eigenvalues, sigma, x0, budget, target) -> (lr, batch_size) whose expected loss after
    budget // batch_size steps is at most target."""
    hidden = is_hidden(hidden)
    rng = case_rng("plan_sgd", hidden)
    for kind, lam, sigma, x0, budget, target in _plan_cases(rng, hidden):
        case = case_text(kind, f"eigenvalues = {np.round(lam, 4).tolist()}, sigma = {sigma:.3g}, "
                         f"x0 = {np.round(x0, 3).tolist()}, budget = {budget}, target = {target:.4g}", hidden)
        got = run_answer(plan_sgd, np.array(lam), sigma, np.array(x0), budget, target, case=case)
        if not (isinstance(got, (tuple, list)) and len(got) == 2):
            fail("the answer of plan_sgd", case, "a pair (lr, batch_size)", got)
        lr = float(numbers(got[0], "the learning rate returned by plan_sgd", case, ()))
        B = float(numbers(got[1], "the batch size returned by plan_sgd", case, ()))
        if not (lr > 0 and np.isfinite(lr)):
            fail("the learning rate returned by plan_sgd", case, "a positive number", lr)
        if not (B == int(B) and 1 <= B <= budget):
            fail("the batch size returned by plan_sgd", case, f"a whole number between 1 and the budget", got[1])
        loss = float(_expected_losses(lr, int(B), lam, sigma, x0, budget))
        if not loss <= target * (1 + 1e-6):
            fail("the outcome of plan_sgd", case, "an expected final loss <= target" if hidden else
                 f"an expected final loss <= {target:.4g}", f"{loss / target:.3g} times the target" if hidden else
                 f"{loss:.4g}",
                 "Two things cost loss: the start not yet forgotten (too few steps, or a too small rate) and the "
                 "noise floor (too large a rate for the batch). Per axis you can follow E[x_i^2] step by step as in "
                 "question 1, with noise variance sigma^2 / B, and compare candidate plans.")
    passed("plan_sgd balances the steps, the rate and the batch size within the budget.")
