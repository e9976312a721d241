"""Checks for assignment 1: what the learning rate is.

Each check tests one question's contract, as the prompt states it. ``hidden=False`` (the test
cell a learner runs): fixed cases plus a few random ones from a fixed seed. ``hidden=True`` (the
grader): more random cases from the grader's seed, the same contract.
"""
from __future__ import annotations

import numpy as np

from . import case_rng, case_text, close, fail, forbid, is_hidden, kinds, log_uniform, numbers, passed, run_answer

__all__ = ["check_gd_step", "check_largest_stable_lr", "check_classify", "check_choose_lr"]

_THEORY = ("lrcourse.theory.max_stable_lr", "lrcourse.theory.regime", "lrcourse.theory.contraction")


# ------------------------------------------------------------------------------------------ Q1
_GRADS = {  # name -> (gradient, whether it is a parabola's)
    "a parabola's gradient 3x": lambda z: 3.0 * np.asarray(z, dtype=float),
    "np.sin": np.sin,
    "the quartic's gradient x^3": lambda z: np.asarray(z, dtype=float) ** 3,
    "np.tanh": np.tanh,
}


def check_gd_step(gd_step, hidden=False):
    """gd_step(x, grad, lr) returns the next iterate of gradient descent, for numbers and arrays,
    without changing x."""
    hidden = is_hidden(hidden)
    rng = case_rng("gd_step", hidden)
    hint = "One step moves x against the gradient grad(x), by lr times the gradient."
    cases = [("", 1.0, "a parabola's gradient 3x", 0.1), ("", -2.0, "np.sin", 0.5),
             ("when lr = 0", 0.5, "a parabola's gradient 3x", 0.0),
             ("on an array", np.array([1.0, -2.0, 3.0]), "np.sin", 0.1)]
    for _ in range(25 if hidden else 4):
        shape = [(), (int(rng.integers(1, 6)),), (2, 3)][int(rng.integers(0, 3))]
        x = rng.normal(0, 2, shape)
        cases.append(("" if x.ndim == 0 else "on a random array", float(x) if x.ndim == 0 else x,
                      list(_GRADS)[int(rng.integers(0, len(_GRADS)))], float(rng.uniform(0, 2))))
    with forbid(*_THEORY, within=gd_step):
        for kind, x, gname, lr in cases:
            grad = _GRADS[gname]
            for how, xin in (kinds(x) if np.ndim(x) == 0 else {"": x}).items():
                case = case_text(f"{how} {kind} with grad = {gname}".strip().replace("  ", " "),
                                 f"x = {np.round(x, 3).tolist()}, lr = {lr:.3g}", hidden)
                xin = np.array(xin) if isinstance(xin, np.ndarray) else xin
                got = run_answer(gd_step, xin, grad, lr, case=case)
                close(got, x - lr * grad(x), "the new iterate returned by gd_step", case,
                      hint + ("" if gname.startswith("a parabola") else " Use the grad function you are given."))
    # a gradient that is not elementwise: grad(x) = A x
    A = np.array([[2.0, 1.0], [1.0, 3.0]])
    x = rng.normal(0, 1, 2) if hidden else np.array([1.0, -1.0])
    case = case_text("on an array with a gradient that mixes coordinates (grad(x) = A @ x)", "", hidden)
    close(run_answer(gd_step, x.copy(), lambda z: A @ z, 0.2, case=case), x - 0.2 * A @ x,
          "the new iterate returned by gd_step", case, hint + " Use the grad function you are given.")
    passed("gd_step moves x by -lr * grad(x), on numbers and arrays, and leaves x alone.")


# ------------------------------------------------------------------------------------------ Q2
def check_largest_stable_lr(largest_stable_lr, hidden=False):
    """largest_stable_lr(L): the edge between converging and diverging rates, for a positive number
    L or elementwise for an array of them."""
    hidden = is_hidden(hidden)
    rng = case_rng("largest_stable_lr", hidden)
    values = [1.0, 4.0, 0.5, 3, 250.0] + list(log_uniform(rng, 1e-3, 1e3, 30 if hidden else 3))
    arrays = [np.array([0.5, 2.0, 10.0])] + [log_uniform(rng, 1e-2, 1e2, int(rng.integers(2, 7)))
                                               for _ in range(5 if hidden else 1)]
    part = "the rate returned by largest_stable_lr"
    with forbid(*_THEORY, within=largest_stable_lr):
        for L in values:
            case = case_text("on a number L" if not isinstance(L, int) else "on an integer L", f"L = {L:.4g}", hidden)
            got = float(numbers(run_answer(largest_stable_lr, L, case=case), part, case, ()))
            if abs(got * L - 1) < 1e-6:
                fail(part, case, got=got, hint="That rate reaches the minimum in one step, but larger rates still "
                     "converge: try a rate slightly above it on the lesson's slider.")
            close(got, 2.0 / L, part, case, "At the edge the iterate jumps between +x0 and -x0 forever: which lr "
                  "makes one step multiply x by -1? Above it |x| grows, below it |x| shrinks.")
        for L in arrays:
            case = case_text("on a numpy array of curvatures (elementwise)", f"L = {np.round(L, 3).tolist()}", hidden)
            close(run_answer(largest_stable_lr, L, case=case), 2.0 / L, part, case,
                  "For an array L, return the array of the edges, one per curvature (numpy works elementwise).")
    passed("largest_stable_lr(L) is the edge between converging and diverging, for numbers and arrays.")


# ------------------------------------------------------------------------------------------ Q3
REGIMES = ("monotone", "one step", "oscillating", "bouncing", "diverging")


def _iterates(lr, L, x0, n):
    xs = [x0]
    for _ in range(n - 1):
        xs.append(xs[-1] - lr * (L * xs[-1]))
    return np.array(xs)


_ROUNDED = "whose edge is exact only up to rounding"


def _regime_cases(rng, hidden):
    """(lr L, regime, kind of case) for the fixed edges and random interiors."""
    fixed = [(0.3, "monotone", ""), (1.0, "one step", ""), (1.6, "oscillating", ""), (2.0, "bouncing", ""),
             (2.4, "diverging", ""), (0.001, "monotone", "when lr·L is tiny"),
             (0.999, "monotone", "near lr·L = 1"), (1.001, "oscillating", "near lr·L = 1"),
             (1.999, "oscillating", "near lr·L = 2"), (2.001, "diverging", "near lr·L = 2"),
             (0.99999, "monotone", "very near lr·L = 1"), (1.00001, "oscillating", "very near lr·L = 1"),
             (1.99999, "oscillating", "very near lr·L = 2"), (2.00001, "diverging", "very near lr·L = 2")]
    for _ in range(10 if hidden else 3):
        fixed += [(rng.uniform(0.01, 0.99), "monotone", ""), (rng.uniform(1.01, 1.99), "oscillating", ""),
                  (rng.uniform(2.01, 4.0), "diverging", ""), (1.0, "one step", _ROUNDED), (2.0, "bouncing", _ROUNDED)]
    return fixed


def check_classify(classify, hidden=False):
    """classify(xs) names the regime of a run of gradient descent on a parabola from its iterates
    (a list or an array of at least 2 numbers, x0 != 0), deciding with a tolerance of 1e-6."""
    hidden = is_hidden(hidden)
    rng = case_rng("classify", hidden)
    visible_fixed = [(1.0, 1.0, 12, "array"), (49.0, -3.0, 8, "list"), (0.02, 5.0, 2, "array"), (49.0, 0.7, 6, "array")]
    count = 0
    with forbid(*_THEORY, within=classify):
        for lrL, want, edge in _regime_cases(rng, hidden):
            if count < len(visible_fixed) and not hidden:
                L, x0, n, as_type = visible_fixed[count % len(visible_fixed)]
            elif edge == _ROUNDED:
                L = 49.0 * 2.0 ** int(rng.integers(-6, 7))      # lr = 1/L or 2/L and L do not multiply back exactly
                x0 = float(rng.choice([-1, 1]) * log_uniform(rng, 1e-2, 1e2))
                n, as_type = int(rng.integers(2, 16)), ["array", "list"][int(rng.integers(0, 2))]
            else:
                L = float(log_uniform(rng, 1e-2, 1e2))
                x0 = float(rng.choice([-1, 1]) * log_uniform(rng, 1e-2, 1e2))
                n, as_type = int(rng.integers(2, 16)), ["array", "list"][int(rng.integers(0, 2))]
            count += 1
            xs = _iterates(lrL / L, L, x0, n)
            kind = f"on {'an' if want[0] == 'o' else 'a'} {want} run" + (f" {edge}" if edge else "")
            if n == 2:
                kind += " with only 2 iterates"
            if as_type == "list":
                kind += " given as a list"
            detail = f"L = {L:.3g}, lr = {lrL / L:.4g}, x0 = {x0:.3g}, {n} iterates"
            case = case_text(kind, detail, hidden)
            arg = xs.tolist() if as_type == "list" else xs
            got = run_answer(classify, arg, case=case)
            if not isinstance(got, str):
                fail("the regime returned by classify", case, "a string such as 'monotone'", got)
            if got != want:
                fail("the regime returned by classify", case, repr(want), repr(got),
                     "Look at the ratio of consecutive iterates: its sign (does x_t flip sign?) and its size compared "
                     "with 1 (does |x_t| shrink, stay or grow?). Iterates are computed in floating point: decide "
                     "'exactly 0' or 'exactly -1' with the tolerance of the prompt.")
    passed("classify tells the five regimes apart, near their edges too.")


# ------------------------------------------------------------------------------------------ Q4
def _measurements(rng, n, L, c, f_star):
    ws = c + rng.uniform(-3, 3, n) * rng.uniform(0.2, 2)
    while len(np.unique(np.round(ws, 6))) < n:
        ws = c + rng.uniform(-3, 3, n)
    return ws, L / 2 * (ws - c) ** 2 + f_star


def _shrinks_enough(lr, L, c, steps, factor):
    """Run gradient descent on f(w) = L/2 (w - c)^2 (+ f*) with this rate and return
    (gap after the steps / gap at the start, whether it met 1 / factor)."""
    w = c + 1.0
    for _ in range(steps):
        w = w - lr * L * (w - c)
        if not np.isfinite(w):
            return np.inf, False
    ratio = (w - c) ** 2
    return ratio, ratio <= (1 + 1e-6) / factor


def check_choose_lr(choose_lr, hidden=False):
    """choose_lr(ws, losses, steps, factor): from losses measured at a few weights of an unknown 1-D
    quadratic, a learning rate with which gradient descent shrinks f - f* by ``factor`` within ``steps``."""
    hidden = is_hidden(hidden)
    rng = case_rng("choose_lr", hidden)
    cases = [("on three evenly spaced, sorted measurements", np.array([0.0, 1.0, 2.0]), 4.0, 0.5, 0.2, 3, 1e4),
             ("on unsorted, unevenly spaced measurements", np.array([2.5, -1.0, 0.5, 4.0]), 0.3, 1.0, 2.0, 5, 1e6)]
    for _ in range(20 if hidden else 4):
        n, L = int(rng.integers(3, 8)), float(log_uniform(rng, 1e-2, 1e2))
        c, f_star = float(rng.uniform(-5, 5)), float(rng.uniform(0, 3))
        steps, q = int(rng.integers(1, 31)), float(rng.uniform(0.05, 0.45))
        ws, _ = _measurements(rng, n, L, c, f_star)
        cases.append(("on random measurements", ws, L, c, f_star, steps, float(q ** (-2 * steps))))
    part = "the outcome of the rate returned by choose_lr"
    with forbid(*_THEORY, within=choose_lr):
        for i, (kind, ws, L, c, f_star, steps, factor) in enumerate(cases):
            losses = L / 2 * (ws - c) ** 2 + f_star
            as_list = i % 2 == 1
            kind_full = kind + (" given as lists" if as_list else " given as arrays")
            case = case_text(kind_full, f"{len(ws)} points, steps = {steps}, factor = {factor:.3g}", hidden)
            args = (ws.tolist(), losses.tolist()) if as_list else (ws.copy(), losses.copy())
            got = numbers(run_answer(choose_lr, *args, steps, factor, case=case), "the rate returned by choose_lr",
                          case, ())
            lr = float(got)
            if not lr > 0 or not np.isfinite(lr):
                fail("the rate returned by choose_lr", case, "a positive learning rate", lr)
            ratio, ok = _shrinks_enough(lr, L, c, steps, factor)
            if not ok:
                fail(part, case, "f - f* shrunk at least factor times within the steps" if hidden else
                     f"f - f* shrunk at least {factor:.3g} times in {steps} steps",
                     f"only {1 / ratio:.3g}-fold" if 0 < ratio < np.inf else "it did not shrink",
                     "Estimate the curvature L from the measurements (the loss is a parabola in w: what is its "
                     "second derivative?), then pick the rate whose factor |1 - lr·L| per step is small enough; "
                     "check your estimate on the measurements before trusting it.")
    passed("choose_lr reads the curvature off the measurements and picks a rate that gets there in time.")
