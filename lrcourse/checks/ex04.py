"""Checks for assignment 4: learning-rate schedules."""
from __future__ import annotations

import numpy as np

from .. import schedules
from . import call, expect, expect_close, passed

__all__ = ["check_cosine_lr", "check_warmup_cosine", "check_milestones", "check_one_cycle_momentum",
           "expected_final_loss", "MILESTONE_TASK"]


def _array(value, what, shape):
    try:
        a = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        raise AssertionError(f"{what} should return numbers, got {value!r}") from None
    expect(a.shape == shape, f"{what} should return an array of shape {shape} for an array t, got shape {a.shape}. "
           "Use numpy operations that work elementwise (np.cos, np.where, np.minimum), no if/for on t.")
    return a


def check_cosine_lr(cosine_lr):
    """cosine_lr(t, lr, T_max, eta_min): torch's CosineAnnealingLR, also past T_max."""
    t = np.arange(0, 31)
    for lr, T_max, eta_min in [(1.0, 10, 0.0), (0.1, 7, 0.01)]:
        got = _array(call(cosine_lr, t, lr, T_max, eta_min), f"cosine_lr(t, {lr}, {T_max}, {eta_min})", t.shape)
        want = schedules.cosine(lr, T_max, eta_min)(t)
        inside = t <= T_max
        expect_close(got[inside], want[inside], f"cosine_lr(t, {lr}, {T_max}, {eta_min}) for t <= T_max",
                     "Start at lr, end at eta_min at t = T_max, half a cosine in between.")
        expect_close(got, want, f"cosine_lr(t, {lr}, {T_max}, {eta_min}) past T_max",
                     "Past T_max torch does not stop: the same formula continues (lesson 4, surprise 4).")
    got = call(cosine_lr, 5, 1.0, 10, 0.0)
    expect_close(got, 0.5, "cosine_lr(5, 1.0, 10, 0.0)", "It should also accept a single integer step.")
    passed("cosine_lr equals torch's CosineAnnealingLR, including past T_max.")


def check_warmup_cosine(warmup_cosine):
    """warmup_cosine(t, peak_lr, warmup_steps, total_steps): linear 0 -> peak, then cosine to 0."""
    for peak, w, total in [(1.0, 10, 50), (0.3, 25, 100)]:
        t = np.arange(total + 1)
        got = _array(call(warmup_cosine, t, peak, w, total), f"warmup_cosine(t, {peak}, {w}, {total})", t.shape)
        want = schedules.warmup(schedules.cosine(peak, total - w), w)(t)
        ramp = t < w
        expect_close(got[ramp], want[ramp], f"warmup_cosine(t, {peak}, {w}, {total}) during the warmup",
                     "The warmup is a straight line from 0 at t = 0 that would reach peak_lr at t = warmup_steps.")
        expect_close(got, want, f"warmup_cosine(t, {peak}, {w}, {total}) after the warmup",
                     "After the warmup a cosine goes from peak_lr (at t = warmup_steps) to 0 (at t = total_steps): "
                     "its own step counter starts at 0 when the warmup ends.")
    passed("warmup_cosine ramps up linearly, then anneals with a cosine to 0.")


#: The task of question 3: SGD on f(x) = (x1^2 + 0.02 x2^2) / 2 with gradient noise 0.3.
MILESTONE_TASK = dict(eigenvalues=(1.0, 0.02), sigma=0.3, x0=(3.0, 3.0), steps=300, lr=1.0, gamma=0.1,
                      target=0.017)


def _expected_per_axis(rates, eigenvalues, sigma, x0):
    """E[lambda_i x_i^2 / 2] per axis after the steps: m = E[x_i^2], m <- (1 - lr lambda_i)^2 m + lr^2 sigma^2."""
    lam, m = np.asarray(eigenvalues, float), np.asarray(x0, float) ** 2
    with np.errstate(over="ignore", invalid="ignore"):
        for lr in np.asarray(rates, float):
            m = (1 - lr * lam) ** 2 * m + lr**2 * sigma**2
        return 0.5 * lam * m


def expected_final_loss(rates, eigenvalues=(1.0, 0.02), sigma=0.3, x0=(3.0, 3.0)):
    """The exact expected loss of SGD on the noisy quadratic after the steps with these rates
    (one rate per step): per axis, m = E[x_i^2] obeys m <- (1 - lr lambda_i)^2 m + lr^2 sigma^2,
    and E f = sum_i lambda_i m_i / 2."""
    return float(np.sum(_expected_per_axis(rates, eigenvalues, sigma, x0)))


def check_milestones(milestones):
    """milestones: at most 3 steps for multistep(1.0, milestones, 0.1) so that the expected loss
    after 300 steps on the task is at most 0.017."""
    task = MILESTONE_TASK
    if isinstance(milestones, (int, np.integer)):
        milestones = [milestones]
    try:
        ms = [int(m) for m in milestones]
    except (TypeError, ValueError):
        raise AssertionError(f"milestones should be a list of integer steps, got {milestones!r}") from None
    expect(all(float(a) == b for a, b in zip(milestones, ms)), f"milestones should hold whole steps, got {milestones!r}")
    expect(len(ms) <= 3, f"use at most 3 milestones, got {len(ms)}")
    expect(all(0 <= m <= task["steps"] for m in ms), f"milestones must be steps between 0 and {task['steps']}, got {ms}")
    rates = schedules.multistep(task["lr"], ms, task["gamma"])(np.arange(task["steps"]))
    loss = expected_final_loss(rates, task["eigenvalues"], task["sigma"], task["x0"])
    constant = expected_final_loss(np.full(task["steps"], task["lr"]), task["eigenvalues"], task["sigma"], task["x0"])
    if loss > task["target"]:
        steep, flat = _expected_per_axis(rates, task["eigenvalues"], task["sigma"], task["x0"])
        hint = (f"Of it, {steep:.4f} is left in the steep direction (curvature 1) and {flat:.4f} in the flat one "
                "(curvature 0.02). The steep one settles within a few steps of any change of rate; the flat one needs "
                "about 1 / (2 lr 0.02) steps at rate lr to forget its start and the noise of earlier, larger rates.")
        raise AssertionError(f"milestones {ms}: expected loss after {task['steps']} steps {loss:.4f} > {task['target']} "
                             f"(a constant rate gives {constant:.4f}). {hint}")
    passed(f"milestones {ms}: expected final loss {loss:.4f} <= {task['target']} (constant rate: {constant:.4f}).")


def _torch_one_cycle_momentum(t, total_steps, pct_start, base=0.85, top=0.95):
    """torch's OneCycleLR momentum (two phases, cos): top -> base until step pct * T - 1, then base -> top."""
    t = np.minimum(np.asarray(t, float), total_steps - 1)
    peak, last = float(pct_start * total_steps) - 1, total_steps - 1
    cos = lambda a, b, pct: b + (a - b) * (1 + np.cos(np.pi * pct)) / 2
    with np.errstate(invalid="ignore", divide="ignore"):
        rising = cos(top, base, t / peak if peak > 0 else np.ones_like(t))
        falling = cos(base, top, (t - peak) / (last - peak))
    return np.where(t <= peak, rising, falling)


def check_one_cycle_momentum(one_cycle_momentum):
    """one_cycle_momentum(t, total_steps, pct_start): the momentum torch's OneCycleLR sets."""
    for total, pct in [(100, 0.3), (40, 0.25)]:
        t = np.arange(total)
        got = _array(call(one_cycle_momentum, t, total, pct), f"one_cycle_momentum(t, {total}, {pct})", t.shape)
        want = _torch_one_cycle_momentum(t, total, pct)
        up = t <= pct * total - 1
        expect(np.isclose(got[0], 0.95), f"one_cycle_momentum(0, {total}, {pct}) = {got[0]:.4g}: where the rate is "
               "lowest, at the start, the momentum is at its maximum.")
        expect_close(got[up], want[up], f"one_cycle_momentum(t, {total}, {pct}) while the rate rises",
                     "While the rate climbs (up to step pct_start * total_steps - 1) the momentum falls from 0.95 to "
                     "0.85 along a half cosine.")
        expect_close(got, want, f"one_cycle_momentum(t, {total}, {pct}) while the rate falls",
                     "From the peak to the last step (total_steps - 1) the momentum climbs back from 0.85 to 0.95 "
                     "along a half cosine.")
    passed("one_cycle_momentum matches the momentum torch's OneCycleLR sets at every step.")
