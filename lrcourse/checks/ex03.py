"""Checks for assignment 3: stochastic gradients and batch size."""
from __future__ import annotations

import itertools

import numpy as np

from . import call, expect, expect_close, passed

__all__ = ["check_noise_floor", "check_minibatch_noise", "check_goyal_lr", "check_robbins_monro"]


def _number(value, what):
    try:
        return float(value)
    except (TypeError, ValueError):
        raise AssertionError(f"{what} should return a number, got {value!r}") from None


def check_noise_floor(noise_floor):
    """noise_floor(lr, L, sigma): the stationary E[f] of SGD on f = L/2 x^2 with gradient noise sigma."""
    for lr, L, sigma in [(0.1, 1.0, 1.0), (0.5, 2.0, 0.3), (1.9, 1.0, 1.0)]:
        got = _number(call(noise_floor, lr, L, sigma), "noise_floor")
        want = lr * sigma**2 / (2 * (2 - lr * L))
        expect(got > 0, f"noise_floor({lr}, {L}, {sigma}) = {got}: the noise keeps x away from 0, so the "
               "average loss stays above 0.")
        if abs(got / want - 1) < 1e-9:
            continue
        small = lr * sigma**2 / 4
        if abs(got / small - 1) < 1e-9 and lr * L > 0.05:
            raise AssertionError(f"noise_floor({lr}, {L}, {sigma}) = {got:.6g} is the small-rate approximation of "
                                 "the lesson. Here you need the exact value: keep every term of E[x_(t+1)^2].")
        raise AssertionError(f"noise_floor({lr}, {L}, {sigma}) = {got:.6g} is not right. Write x_(t+1) = (1 - lr L) x_t "
                             "- lr xi_t, take E[x^2] on both sides (xi has mean 0, variance sigma^2 and is independent "
                             "of x_t), set E[x_(t+1)^2] = E[x_t^2], solve, and remember f = L/2 x^2.")
    lr = np.array([0.1, 0.4])
    got = call(noise_floor, lr, 1.0, 1.0)
    expect_close(got, lr / (2 * (2 - lr)), "noise_floor(np.array([0.1, 0.4]), 1.0, 1.0)",
                 "It should work elementwise on arrays of rates (use numpy operations, no if/for on lr).")
    passed("noise_floor matches the stationary loss of SGD on a noisy parabola.")


def _exact(G, B):
    """E||g_B - g||^2 by listing every batch of B distinct rows."""
    g = G.mean(axis=0)
    return float(np.mean([np.sum((G[list(c)].mean(axis=0) - g) ** 2)
                          for c in itertools.combinations(range(len(G)), B)]))


def check_minibatch_noise(minibatch_noise):
    """minibatch_noise(G, B): E||g_B - g||^2 for B distinct rows of G drawn uniformly."""
    G = np.array([[1.0, 0.0], [0.0, 2.0], [-1.0, 1.0], [3.0, -1.0], [0.5, 0.5], [-2.0, 0.0]])
    G_before = G.copy()
    for B in (1, 2, 3, 6):
        got = _number(call(minibatch_noise, G, B), "minibatch_noise")
        want = _exact(G, B)
        if B == 6:
            expect(abs(got) < 1e-12, f"minibatch_noise(G, {len(G)}) = {got:.6g}: a batch of all N rows is the full "
                   "gradient, so there is no noise at all.")
        elif abs(got - want) > 1e-9 * max(1.0, want):
            trace = np.mean(np.sum((G - G.mean(axis=0)) ** 2, axis=1))
            hint = ("That is the value for rows drawn *with* replacement; the batch holds B distinct rows."
                    if np.isclose(got, trace / B) else
                    "Compute tr(Sigma) = mean_i ||g_i - g||^2 (divide by N), then the 1/B law with the "
                    "finite-population correction of the lesson.")
            raise AssertionError(f"minibatch_noise(G, {B}) = {got:.6g} is not right for this 6-row G. {hint}")
    expect(np.array_equal(G, G_before), "minibatch_noise must not modify G.")
    passed("minibatch_noise gives the exact noise of sampling without replacement.")


def _goyal(epoch, batch_size):
    target = 0.1 * batch_size / 256
    if epoch < 5:
        return 0.1 + (target - 0.1) * epoch / 5
    return target * 0.1 ** sum(epoch >= m for m in (30, 60, 80))


def check_goyal_lr(goyal_lr):
    """goyal_lr(epoch, batch_size): Goyal et al.'s rate with gradual warmup and step decay."""
    cases = [(0.0, 256), (0.0, 8192), (2.5, 8192), (5.0, 8192), (29.9, 1024), (30.0, 1024), (45.0, 512),
             (60.0, 8192), (79.5, 8192), (80.0, 8192), (89.0, 2048)]
    for epoch, B in cases:
        got = _number(call(goyal_lr, epoch, B), "goyal_lr")
        want = _goyal(epoch, B)
        if np.isclose(got, want, rtol=1e-9, atol=1e-15):
            continue
        if epoch < 5:
            hint = ("During the first 5 epochs the rate climbs in a straight line from 0.1 (at epoch 0) to "
                    "0.1 * B / 256 (at epoch 5); epoch may be a fraction.")
        elif epoch in (30.0, 60.0, 80.0):
            hint = "At a milestone epoch the new, divided rate already applies."
        else:
            hint = "After the warmup: 0.1 * B / 256, divided by 10 at epochs 30, 60 and 80."
        raise AssertionError(f"goyal_lr({epoch}, {B}) = {got:.6g} is not right. {hint}")
    passed("goyal_lr follows the linear scaling rule, the 5-epoch warmup and the decays at 30, 60, 80.")


_RM_OPTIONS = {
    "a": "0.1 (constant)",
    "b": "1 / (t + 1)",
    "c": "1 / sqrt(t + 1)",
    "d": "1 / (t + 1)**2",
    "e": "0.1 * 0.99**t",
    "f": "10 / (t + 100)",
}
_RM_ANSWER = frozenset({"b", "f"})


def check_robbins_monro(answer):
    """answer: the set of letters of the schedules that satisfy both Robbins-Monro conditions."""
    if isinstance(answer, str):
        answer = set(answer.replace(",", " ").split()) if len(answer) > 1 else {answer}
    try:
        got = {str(a).strip().lower() for a in answer}
    except TypeError:
        raise AssertionError(f"answer should be a set of letters such as {{'a', 'c'}}, got {answer!r}") from None
    unknown = got - set(_RM_OPTIONS)
    expect(not unknown, f"answer holds letters that are not options: {sorted(unknown)}; use a to f.")
    expect(got == _RM_ANSWER, f"{sorted(got)} is not right. For each option ask two questions: does the sum of the "
           "rates grow without bound, and does the sum of their squares stay finite? Compare with sum 1/t^p, "
           "which is finite exactly when p > 1; a geometric series is always finite.")
    passed("Right: only those schedules have an infinite sum of rates and a finite sum of squares.")
