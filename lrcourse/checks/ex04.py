"""Checks for assignment 4: learning-rate schedules.

Each check tests one question's contract, as the prompt states it. ``hidden=False`` (the test
cell a learner runs): fixed cases plus a few random ones from a fixed seed. ``hidden=True`` (the
grader): more random cases from the grader's seed, the same contract. The prompts ask for the
schedules written with numpy: ``lrcourse.schedules`` is switched off while a learner's function runs.
"""
from __future__ import annotations

import numpy as np

from . import case_rng, case_text, close, fail, forbid, is_hidden, log_uniform, numbers, passed, run_answer

__all__ = ["check_cosine_lr", "check_warmup_cosine", "check_milestones", "check_one_cycle_momentum",
           "check_design_schedule", "expected_final_loss", "MILESTONE_TASK"]

#: Every schedule of the library: the prompts ask for numpy code instead.
_SCHEDULES = tuple(f"lrcourse.schedules.{name}" for name in (
    "constant", "step", "multistep", "exponential", "linear", "polynomial", "cosine", "cosine_warm_restarts",
    "cyclic", "one_cycle", "warmup", "sequential", "wsd"))


def _t_kinds(rng, hidden, top):
    """Step inputs: an int, a numpy integer, a list and integer arrays in [0, top]."""
    arrays = [np.arange(top + 1)] + [np.sort(rng.integers(0, top + 1, int(rng.integers(1, 12))))
                                     for _ in range(3 if hidden else 1)]
    return ([("on an integer step", int(rng.integers(0, top + 1))),
             ("on a numpy integer step", np.int64(rng.integers(0, top + 1)))]
            + [("on an integer array of steps", a) for a in arrays])


# ------------------------------------------------------------------------------------------ Q1
def _cosine(t, lr, T_max, eta_min):
    return eta_min + (lr - eta_min) * (1 + np.cos(np.pi * np.asarray(t, dtype=float) / T_max)) / 2


def check_cosine_lr(cosine_lr, hidden=False):
    """cosine_lr(t, lr, T_max, eta_min): torch's CosineAnnealingLR, also past T_max, for an int or an array t."""
    hidden = is_hidden(hidden)
    rng = case_rng("cosine_lr", hidden)
    settings = [(1.0, 10, 0.0), (0.1, 7, 0.01), (0.5, 1, 0.0)]
    settings += [(float(log_uniform(rng, 1e-3, 2)), int(rng.integers(1, 200)), 0.0) for _ in range(6 if hidden else 1)]
    settings += [(lr, T, float(rng.uniform(0, 0.5) * lr)) for lr, T, _ in settings[3:]]
    with forbid(*_SCHEDULES, within=cosine_lr):
        for lr, T_max, eta_min in settings:
            for kind, t in _t_kinds(rng, hidden, 3 * T_max):
                beyond = np.any(np.asarray(t) > T_max)
                kind_full = kind + (" past T_max" if beyond else "") + (" with eta_min > 0" if eta_min else "")
                case = case_text(kind_full, f"t = {np.asarray(t).tolist() if np.ndim(t) == 0 or np.size(t) < 8 else 'np.arange(' + str(np.size(t)) + ')'}"
                                 f", lr = {lr:.4g}, T_max = {T_max}, eta_min = {eta_min:.4g}", hidden)
                tin = t.copy() if isinstance(t, np.ndarray) else t
                got = run_answer(cosine_lr, tin, lr, T_max, eta_min, case=case)
                close(got, _cosine(t, lr, T_max, eta_min), "the rate returned by cosine_lr", case,
                      "Start at lr, reach eta_min at t = T_max along half a cosine, and past T_max keep following the "
                      "same formula, as torch does (lesson 4, surprise 4).")
        case = case_text("when eta_min is left at its default", "cosine_lr(5, 1.0, 10)", hidden)
        close(run_answer(cosine_lr, 5, 1.0, 10, case=case), 0.5, "the rate returned by cosine_lr", case,
              "eta_min has the default value 0.0.")
        t = [0, 3, 12]
        case = case_text("on a list of steps", "t = [0, 3, 12], lr = 1.0, T_max = 6, eta_min = 0.0", hidden)
        close(run_answer(cosine_lr, t, 1.0, 6, 0.0, case=case), _cosine(t, 1.0, 6, 0.0), "the rate returned by cosine_lr",
              case, "A list of steps is read like an array: convert it with np.asarray.")
    passed("cosine_lr equals torch's CosineAnnealingLR, including past T_max, for numbers, lists and arrays.")


# ------------------------------------------------------------------------------------------ Q2
def _warmup_cosine(t, peak, w, total):
    t = np.asarray(t, dtype=float)
    with np.errstate(all="ignore"):
        ramp = peak * t / max(w, 1)
    after = peak * (1 + np.cos(np.pi * (t - w) / (total - w))) / 2
    return np.where(t < w, ramp, after)


def check_warmup_cosine(warmup_cosine, hidden=False):
    """warmup_cosine(t, peak_lr, warmup_steps, total_steps): linear 0 -> peak over the warmup, then a cosine
    from peak (at warmup_steps) to 0 (at total_steps); warmup_steps = 0 means no warmup."""
    hidden = is_hidden(hidden)
    rng = case_rng("warmup_cosine", hidden)
    settings = [(1.0, 10, 50), (0.3, 25, 100), (2.0, 0, 60), (0.5, 1, 60)]
    for _ in range(8 if hidden else 2):
        total = int(rng.integers(2, 400))
        w = int(rng.choice([0, 1, int(rng.integers(0, total))]))
        settings.append((float(log_uniform(rng, 1e-3, 3)), w, total))
    with forbid(*_SCHEDULES, within=warmup_cosine):
        for peak, w, total in settings:
            for kind, t in _t_kinds(rng, hidden, total):
                kind_full = kind + (" when warmup_steps = 0" if w == 0 else " when warmup_steps = 1" if w == 1 else "")
                case = case_text(kind_full, f"t = {np.asarray(t).tolist() if np.size(t) < 8 else 'np.arange(' + str(np.size(t)) + ')'}, "
                                 f"peak_lr = {peak:.4g}, warmup_steps = {w}, total_steps = {total}", hidden)
                tin = t.copy() if isinstance(t, np.ndarray) else t
                got = run_answer(warmup_cosine, tin, peak, w, total, case=case)
                want = _warmup_cosine(t, peak, w, total)
                during = np.asarray(t) < w
                hint = ("During the warmup the rate is a straight line from 0 at t = 0 that would reach peak_lr at "
                        "t = warmup_steps." if np.any(during) and not np.allclose(
                            np.asarray(numbers(got, "the rate returned by warmup_cosine", case, want.shape))[during],
                            want[during], rtol=1e-6, atol=1e-9) else
                        "After the warmup a cosine goes from peak_lr (at t = warmup_steps) to 0 (at t = total_steps): "
                        "its own step counter starts at 0 when the warmup ends. With warmup_steps = 0 it is the whole "
                        "schedule.")
                close(got, want, "the rate returned by warmup_cosine", case, hint)
    passed("warmup_cosine ramps up linearly, then anneals with a cosine to 0, with or without a warmup.")


# ------------------------------------------------------------------------------------------ Q3
#: The task of question 3: SGD on f(x) = (x1^2 + 0.02 x2^2) / 2 with gradient noise 0.3.
MILESTONE_TASK = dict(eigenvalues=(1.0, 0.02), sigma=0.3, x0=(3.0, 3.0), steps=300, lr=1.0, gamma=0.1,
                      target=0.017)


def _expected_per_axis(rates, eigenvalues, sigma, x0):
    """E[lambda_i x_i^2 / 2] per axis after the steps: m = E[x_i^2], m <- (1 - lr lambda_i)^2 m + lr^2 sigma^2.
    ``rates`` may be a 2-D array (one schedule per row): then one row of results per schedule."""
    lam, m = np.asarray(eigenvalues, float), np.asarray(x0, float) ** 2
    rates = np.asarray(rates, float)
    m = np.broadcast_to(m, rates.shape[:-1] + lam.shape).copy()
    with np.errstate(over="ignore", invalid="ignore"):
        for k in range(rates.shape[-1]):
            lr = rates[..., k, None]
            m = (1 - lr * lam) ** 2 * m + lr**2 * sigma**2
        return 0.5 * lam * m


def expected_final_loss(rates, eigenvalues=(1.0, 0.02), sigma=0.3, x0=(3.0, 3.0)):
    """The exact expected loss of SGD on the noisy quadratic after the steps with these rates
    (one rate per step): per axis, m = E[x_i^2] obeys m <- (1 - lr lambda_i)^2 m + lr^2 sigma^2,
    and E f = sum_i lambda_i m_i / 2. A 2-D ``rates`` (one schedule per row) gives one loss per row."""
    losses = np.sum(_expected_per_axis(rates, eigenvalues, sigma, x0), axis=-1)
    return float(losses) if np.ndim(losses) == 0 else losses


def _milestone_steps(milestones):
    """The milestones as a list of ints, or None if they are not whole steps (an int, a float such as 100.0,
    a list, tuple or array of them)."""
    if isinstance(milestones, (str, bytes, dict, set)) or milestones is None:
        return None
    values = [milestones] if np.ndim(milestones) == 0 else list(np.ravel(np.asarray(milestones, dtype=object)))
    out = []
    for m in values:
        if isinstance(m, (bool, np.bool_)) or not isinstance(m, (int, float, np.integer, np.floating)):
            return None
        if not np.isfinite(m) or float(m) != int(m):
            return None
        out.append(int(m))
    return out


def check_milestones(milestones, hidden=False):
    """milestones: at most 3 whole steps for a multistep schedule (1.0, gamma 0.1, torch's MultiStepLR: a
    step listed twice decays twice) so that the expected loss after 300 steps on the task is at most 0.017."""
    hidden = is_hidden(hidden)
    task = MILESTONE_TASK
    case = "on your milestones"
    ms = _milestone_steps(milestones)
    if ms is None:
        fail("the milestones", case, "a list of whole steps such as [50, 150]", milestones)
    if len(ms) > 3:
        fail("the milestones", case, "at most 3 of them", f"{len(ms)}")
    if not all(0 <= m <= task["steps"] for m in ms):
        fail("the milestones", case, f"steps between 0 and {task['steps']}", ms)
    t = np.arange(task["steps"])
    rates = task["lr"] * task["gamma"] ** np.sum(t[:, None] >= np.array(ms, dtype=float).reshape(1, -1), axis=1)
    loss = expected_final_loss(rates, task["eigenvalues"], task["sigma"], task["x0"])
    constant = expected_final_loss(np.full(task["steps"], task["lr"]), task["eigenvalues"], task["sigma"], task["x0"])
    if not loss <= task["target"] * (1 + 1e-6):
        steep, flat = _expected_per_axis(rates, task["eigenvalues"], task["sigma"], task["x0"])
        fail("the expected loss after 300 steps", case, f"<= {task['target']}", f"{loss:.4f}",
             f"(A constant rate gives {constant:.4f}.) Of it, {steep:.4f} is left in the steep direction (curvature 1) "
             f"and {flat:.4f} in the flat one (curvature 0.02). The steep one settles within a few steps of any change "
             "of rate; the flat one needs about 1 / (2 lr 0.02) steps at rate lr to forget its start and the noise "
             "of earlier, larger rates.")
    passed(f"milestones {ms}: expected final loss {loss:.4f} <= {task['target']} (constant rate: {constant:.4f}).")


# ------------------------------------------------------------------------------------------ Q4
def _torch_one_cycle_momentum(t, total_steps, pct_start, base=0.85, top=0.95):
    """torch's OneCycleLR momentum (two phases, cos): top -> base until step pct * T - 1, then base -> top."""
    t = np.minimum(np.asarray(t, float), total_steps - 1)
    peak, last = float(pct_start * total_steps) - 1, total_steps - 1
    cos = lambda a, b, pct: b + (a - b) * (1 + np.cos(np.pi * pct)) / 2
    with np.errstate(invalid="ignore", divide="ignore"):
        rising = cos(top, base, t / peak if peak > 0 else np.ones_like(t))
        falling = cos(base, top, (t - peak) / (last - peak))
    return np.where(t <= peak, rising, falling)


def check_one_cycle_momentum(one_cycle_momentum, hidden=False):
    """one_cycle_momentum(t, total_steps, pct_start): the momentum torch's OneCycleLR sets, for an integer
    array t of steps in [0, total_steps - 1]."""
    hidden = is_hidden(hidden)
    rng = case_rng("one_cycle_momentum", hidden)
    settings = [(100, 0.3), (40, 0.25), (10, 0.5)]
    while len(settings) < (12 if hidden else 5):
        total, pct = int(rng.integers(6, 2000)), float(rng.uniform(0.1, 0.9))
        if pct * total - 1 >= 1 and total - pct * total >= 1:
            settings.append((total, pct))
    with forbid(*_SCHEDULES, within=one_cycle_momentum):
        for total, pct in settings:
            for kind, t in [("on every step", np.arange(total)),
                            ("on a few steps", np.sort(rng.integers(0, total, 5)))]:
                case = case_text(kind, f"total_steps = {total}, pct_start = {pct:.3g}", hidden)
                got = run_answer(one_cycle_momentum, t.copy(), total, pct, case=case)
                a = numbers(got, "the momentum returned by one_cycle_momentum", case, t.shape)
                want = _torch_one_cycle_momentum(t, total, pct)
                up = t <= pct * total - 1
                if t[0] == 0 and not np.isclose(a[0], 0.95):
                    fail("the momentum returned by one_cycle_momentum", case + " at step 0", 0.95, a[0],
                         "Where the rate is lowest, at the start, the momentum is at its maximum.")
                close(a[up], want[up], "the momentum returned by one_cycle_momentum while the rate rises", case,
                      "While the rate climbs (up to step pct_start * total_steps - 1) the momentum falls from 0.95 to "
                      "0.85 along a half cosine.")
                close(a, want, "the momentum returned by one_cycle_momentum while the rate falls", case,
                      "From the peak to the last step (total_steps - 1) the momentum climbs back from 0.85 to 0.95 "
                      "along a half cosine.")
    passed("one_cycle_momentum matches the momentum torch's OneCycleLR sets at every step.")


# ------------------------------------------------------------------------------------------ Q5
def _decaying_best(lam, sigma, x0, steps):
    """The smallest expected final loss of a cosine or a linear decay to 0 over a grid of peak rates."""
    t = np.arange(steps)
    peaks = np.geomspace(0.01, 1.99, 120)[:, None] / np.max(lam)
    shapes = np.concatenate([peaks * (1 + np.cos(np.pi * t / steps)) / 2, peaks * (1 - t / steps)])
    return float(np.min(np.sum(_expected_per_axis(shapes, lam, sigma, x0), axis=-1)))


def _design_cases(rng, hidden):
    cases = [("on the task of question 3 with 300 steps", [1.0, 0.02], 0.3, [3.0, 3.0], 300, None),
             ("on a three-direction problem", [4.0, 0.5, 0.1], 0.5, [1.0, -2.0, 3.0], 800, None)]
    for _ in range(5 if hidden else 2):
        d = int(rng.integers(2, 4))
        L = float(log_uniform(rng, 0.2, 5))
        kappa = float(log_uniform(rng, 5, 50))
        lam = L * np.concatenate([[1.0], np.sort(log_uniform(rng, 1 / kappa, 1, d - 1))[::-1][:-1], [1 / kappa]])
        steps = int(min(2000, kappa * rng.uniform(20, 60)))
        x0 = rng.choice([-1.0, 1.0], d) * rng.uniform(1, 5, d)
        cases.append(("on a random problem", list(lam), float(log_uniform(rng, 0.1, 1)), list(x0), steps, None))
    return [(kind, lam, sigma, x0, steps, 1.15 * _decaying_best(lam, sigma, x0, steps))
            for kind, lam, sigma, x0, steps, _ in cases]


def check_design_schedule(design_schedule, hidden=False):
    """design_schedule(eigenvalues, sigma, x0, steps, target) -> one rate per step whose exact expected final
    loss on that noisy quadratic is at most target."""
    hidden = is_hidden(hidden)
    rng = case_rng("design_schedule", hidden)
    for kind, lam, sigma, x0, steps, target in _design_cases(rng, hidden):
        case = case_text(kind, f"eigenvalues = {np.round(lam, 4).tolist()}, sigma = {sigma:.3g}, "
                         f"x0 = {np.round(x0, 3).tolist()}, steps = {steps}, target = {target:.4g}", hidden)
        got = run_answer(design_schedule, np.array(lam), sigma, np.array(x0), steps, target, case=case)
        rates = numbers(got, "the schedule returned by design_schedule", case, (steps,))
        if not np.all(np.isfinite(rates) & (rates >= 0)):
            fail("the schedule returned by design_schedule", case, f"{steps} finite rates >= 0",
                 "negative or non-finite rates")
        loss = expected_final_loss(rates, lam, sigma, x0)
        if not loss <= target * (1 + 1e-6):
            fail("the outcome of design_schedule", case, "an expected final loss <= target" if hidden else
                 f"an expected final loss <= {target:.4g}", f"{loss / target:.3g} times the target" if hidden else
                 f"{loss:.4g}",
                 "Lesson 4's race: decay, end low, and come down slowly enough for the flattest direction to follow; "
                 "then tune the peak for the problem at hand (ex04.expected_final_loss scores a candidate exactly).")
    passed("design_schedule beats the target on every problem: a decay tuned to the problem.")
