"""Checks for assignment 11: batch size, noise and width.

Each check tests one question's contract, as the prompt states it. ``hidden=False`` (the test
cell a learner runs): fixed cases plus a few random ones from a fixed seed. ``hidden=True`` (the
grader): more random cases from the grader's seed, the same contract.
"""
from __future__ import annotations

import numpy as np

from .. import nqm  # imported with the checks, so the grader knows its classes before student code runs
from . import case_rng, case_text, close, fail, forbid, is_hidden, log_uniform, numbers, passed, run_answer

__all__ = ["check_noise_scale", "check_critical_batch_fit", "check_plan_batch", "PLAN_STEPS", "PLAN_EXAMPLES",
           "PLAN_TARGET"]

_LIBRARY = ("lrcourse.noisescale.simple_noise_scale", "lrcourse.noisescale.critical_batch",
            "lrcourse.noisescale.per_example_grads")


# ------------------------------------------------------------------------------------------ Q1
def _noise_scale(g):
    G = g.mean(axis=0)
    signal = G @ G
    return np.inf if signal == 0 else np.sum((g - G) ** 2) / g.shape[0] / signal


def check_noise_scale(noise_scale, hidden=False):
    """noise_scale(grads): tr(Sigma) / |G|^2 of per-example gradients (n, P), Sigma with 1/n; inf if G = 0."""
    hidden = is_hidden(hidden)
    rng = case_rng("noise_scale", hidden)
    part = "the noise scale returned by noise_scale"
    hint = ("B_simple = tr(Σ) / |G|², with G the mean of the rows, Σ their covariance (average over the n rows, "
            "dividing by n), tr(Σ) the sum of its diagonal.")
    cases = [("on 3 examples of 2 parameters", np.array([[1.0, 0.0], [0.0, 1.0], [2.0, 2.0]])),
             ("on examples that all agree (no noise)", np.tile([0.5, -1.0, 2.0], (4, 1))),
             ("when the mean gradient is 0", np.array([[1.0, -2.0], [-1.0, 2.0]]))]
    for _ in range(12 if hidden else 3):
        n, P = int(rng.integers(2, 40)), int(rng.integers(1, 30))
        scale = float(log_uniform(rng, 1e-3, 1e3))
        cases.append(("on random per-example gradients", scale * (rng.normal(0, 1, (n, P)) + rng.normal(0, 1, P))))
    with forbid(*_LIBRARY, within=noise_scale):
        for i, (kind, g) in enumerate(cases):
            as_list = i % 3 == 1
            case = case_text(kind + (" given as a list of lists" if as_list else ""), f"shape {g.shape}", hidden)
            got = numbers(run_answer(noise_scale, g.tolist() if as_list else g.copy(), case=case), part, case, ())
            want = _noise_scale(g)
            if np.isinf(want):
                if not (np.isinf(got) and got > 0):
                    fail(part, case, "inf (a mean gradient of 0 has no signal)", float(got))
                continue
            close(got, want, part, case, hint, rtol=1e-9, atol=1e-12)
    passed("noise_scale computes tr(Σ)/|G|² from per-example gradients.")


# ------------------------------------------------------------------------------------------ Q2
def _fit(B, S):
    slope, intercept = np.polyfit(1.0 / B, S, 1)
    return intercept, slope / intercept


def check_critical_batch_fit(critical_batch_fit, hidden=False):
    """critical_batch_fit(batch_sizes, steps): least squares of S on 1/B, S = S_min + S_min B_crit / B;
    returns (S_min, B_crit)."""
    hidden = is_hidden(hidden)
    rng = case_rng("critical_batch_fit", hidden)
    part = "the pair (S_min, B_crit) returned by critical_batch_fit"
    hint = ("Write S = a + b (1/B): a straight line in x = 1/B. Fit a and b by least squares over all points, "
            "then S_min = a and B_crit = b / a.")
    cases = [("on points exactly on the curve", np.array([1.0, 4, 16, 64, 256]), None, 20.0, 12.0)]
    for _ in range(10 if hidden else 3):
        B = np.sort(rng.choice(2.0 ** np.arange(0, 13), size=int(rng.integers(3, 9)), replace=False))
        cases.append(("on noisy measurements", B, float(rng.uniform(0.02, 0.15)),
                      float(log_uniform(rng, 5, 500)), float(log_uniform(rng, 2, 2000))))
    with forbid(*_LIBRARY, within=critical_batch_fit):
        for i, (kind, B, noise, S_min, B_crit) in enumerate(cases):
            S = S_min * (1 + B_crit / B)
            if noise is not None:
                S = S * np.exp(noise * rng.standard_normal(B.size))
            if i % 2 == 1:
                order = rng.permutation(B.size)
                B, S, kind = B[order], S[order], kind + ", unsorted"
            as_list = i % 3 == 2
            case = case_text(kind + (" given as lists" if as_list else ""), f"{B.size} batch sizes", hidden)
            args = (B.tolist(), S.tolist()) if as_list else (B.copy(), S.copy())
            got = run_answer(critical_batch_fit, *args, case=case)
            if not isinstance(got, (tuple, list)) or len(got) != 2:
                fail(part, case, "a pair (S_min, B_crit)", repr(got)[:60])
            close(np.array([float(numbers(x, part, case, ())) for x in got]), np.array(_fit(B, S)), part, case, hint,
                  rtol=1e-6, atol=1e-9)
    passed("critical_batch_fit fits McCandlish et al.'s S = S_min (1 + B_crit / B).")


# ------------------------------------------------------------------------------------------ Q3
PLAN_STEPS, PLAN_EXAMPLES, PLAN_TARGET = 200, 13_000, 0.01


def check_plan_batch(plan, hidden=False):
    """plan = (batch_size, lr): on NoisyQuadratic.zhang(100), SGD reaches PLAN_TARGET of the start loss
    within PLAN_STEPS steps, using at most PLAN_EXAMPLES examples (batch_size x steps)."""
    is_hidden(hidden)
    part = "your plan"
    if not isinstance(plan, (tuple, list)) or len(plan) != 2:
        fail(part, "as given", "a pair (batch_size, lr)", repr(plan)[:60])
    if any(isinstance(x, (bool, np.bool_)) for x in plan):
        fail(part, "as given", "a pair of numbers (batch_size, lr)", repr(plan)[:60])
    B = float(numbers(plan[0], "batch_size (the first entry of plan)", "in plan", ()))
    lr = float(numbers(plan[1], "lr (the second entry of plan)", "in plan", ()))
    if not (np.isfinite(B) and B >= 1 and B == round(B)):
        fail("batch_size (the first entry of plan)", "in plan", "a whole number of examples >= 1", B)
    if not (np.isfinite(lr) and lr > 0):
        fail("lr (the second entry of plan)", "in plan", "a positive learning rate", lr)
    model = nqm.NoisyQuadratic.zhang(100)
    steps = float(nqm.steps_to_target(model, PLAN_TARGET * model.start_loss, lr, B, max_steps=10**6))
    case = f"(batch {B:.0f}, lr {lr:.4g})"
    if not np.isfinite(steps):
        fail(part, case, f"the target {PLAN_TARGET:g} x start loss reached", "never reached (a noise floor above it, "
             "or a rate past the stability edge)")
    if steps > PLAN_STEPS:
        fail(part, case, f"at most {PLAN_STEPS} steps", f"{steps:.0f} steps",
             "A larger batch lets you take a larger rate: fewer steps, while the noise still limits you.")
    if B * steps > PLAN_EXAMPLES:
        fail(part, case, f"at most {PLAN_EXAMPLES} examples", f"{B * steps:.0f} examples ({steps:.0f} steps)",
             "Past the critical batch, a larger batch costs examples without saving steps: find the knee.")
    passed(f"batch {B:.0f} at lr {lr:.4g}: {steps:.0f} steps, {B * steps:.0f} examples.")
