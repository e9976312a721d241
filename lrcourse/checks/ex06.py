"""Checks for assignment 6: adaptive methods.

The reference values come from :mod:`lrcourse.optimizers` (PyTorch's algorithms), never
from a copy of the answer. ``hidden=True`` (the grader) runs the same contract on more cases,
random ones drawn from the grader's per-submission seed, and describes a failing case without
its inputs.
"""
from __future__ import annotations

import numpy as np

from .. import optimizers
from . import case_rng, close, expect, forbid, is_hidden, passed, run_answer

__all__ = ["check_adam_step", "check_first_step_size", "check_effective_rates", "check_adamw_step",
           "check_identify_optimizer", "NAMES"]

_GRADS = np.array([[0.5, -2.0, 1e-3], [0.4, -1.0, 3e-3], [-0.3, 0.5, 2e-3], [0.2, 3.0, -1e-3], [0.1, -0.2, 5e-3]])
_RTOL = 1e-7
_OPTIMIZERS = ("lrcourse.optimizers.adam", "lrcourse.optimizers.adamw", "lrcourse.optimizers.adagrad",
               "lrcourse.optimizers.rmsprop")


def _reference(make, grads, x0):
    """Parameters and Adam buffers after each step of ``make()`` fed the given gradients."""
    opt = make()
    x, state = x0.copy(), opt.init(x0)
    out = []
    for g in grads:
        x, state = opt.step(x, g, state)
        out.append((x, state["exp_avg"], state["exp_avg_sq"]))
    return out


def _as_triple(result, what):
    if not (isinstance(result, (tuple, list)) and len(result) == 3):
        raise AssertionError(f"{what} should return a tuple (x, m, v), got {type(result).__name__}")
    return result


def _random_grads(rng, steps, shape):
    """Gradients whose coordinates have sizes spread from 1e-6 to 1e3 (Adam does not care; eps does)."""
    scale = np.exp(rng.uniform(np.log(1e-6), np.log(1e3), shape))
    return scale * rng.standard_normal((steps,) + shape)


def _adam_cases(rng, hidden):
    """(what, lr, beta1, beta2, eps, grads, x0) for the Adam-type checks."""
    if not hidden:
        tiny = np.array([[2e-7, -1e-6, 5e-8], [1e-7, -3e-7, 2e-7], [-1e-7, 4e-7, 1e-7]])
        return [("lr=0.01, beta1=0.9, beta2=0.999, eps=1e-8", 0.01, 0.9, 0.999, 1e-8, _GRADS, np.ones(3)),
                ("lr=0.1, beta1=0.5, beta2=0.9, eps=1e-8", 0.1, 0.5, 0.9, 1e-8, _GRADS, np.ones(3)),
                ("gradients of size 1e-7 to 1e-6 (eps=1e-8 matters here)", 0.01, 0.9, 0.999, 1e-8, tiny,
                 np.array([1.0, -2.0, 0.5]))]
    cases = []
    for shape in [(int(rng.integers(2, 6)),), (int(rng.integers(2, 4)), int(rng.integers(2, 4)))]:
        lr, b1, b2 = np.exp(rng.uniform(np.log(1e-4), np.log(0.3))), rng.uniform(0.5, 0.95), rng.uniform(0.9, 0.9999)
        eps = float(np.exp(rng.uniform(np.log(1e-8), np.log(1e-5))))
        cases.append((f"a random {'x'.join(map(str, shape))} array, gradients from 1e-6 to 1e3, random betas and eps",
                      lr, b1, b2, eps, _random_grads(rng, 25, shape), rng.standard_normal(shape)))
    return cases


def _unchanged(args, kept):
    return all(np.array_equal(a, k) for a, k in zip(args, kept))


def check_adam_step(adam_step, hidden=False):
    """adam_step(x, g, m, v, t, lr, beta1, beta2, eps) must be one step of Adam (t = 1, 2, ...)."""
    hidden = is_hidden(hidden)
    rng = case_rng("adam_step", hidden)
    for what, lr, b1, b2, eps, grads, x0 in _adam_cases(rng, hidden):
        want = _reference(lambda: optimizers.adam(lr=lr, betas=(b1, b2), eps=eps), grads, x0)
        x, m, v = x0.copy(), np.zeros_like(x0), np.zeros_like(x0)
        for t, (g, (wx, wm, wv)) in enumerate(zip(grads, want), start=1):
            args = [x.copy(), g.copy(), m.copy(), v.copy()]
            with forbid(*_OPTIMIZERS):
                result = _as_triple(run_answer(adam_step, *args, t, lr, b1, b2, eps, case=f"(step t={t}, {what})"), "adam_step")
            expect(_unchanged(args, (x, g, m, v)),
                   "adam_step modified one of its input arrays in place (x, g, m or v): return new arrays "
                   "instead (no `m *= ...` or `x -= ...`).")
            x_old, (x, m, v) = x, result
            where = f"step t={t} ({what})"
            close(m, wm, f"m after {where}", "", "m is a moving average of the gradients, started at 0.", rtol=_RTOL, atol=1e-12)
            close(v, wv, f"v after {where}", "", "v is a moving average of the squared gradients.", rtol=_RTOL, atol=1e-12)
            big = np.abs(grads[0]) > 1e3 * eps
            uncorrected = lr * (1 - b1) / np.sqrt(1 - b2)
            if t == 1 and big.any() and abs(uncorrected / lr - 1) > 0.05 and \
                    np.allclose(np.abs(x - x_old)[big], uncorrected, rtol=1e-2):
                raise AssertionError("The first step is about lr * (1 - beta1) / sqrt(1 - beta2): the bias "
                                     "correction is missing (divide m and v by 1 - beta^t before the step).")
            close(x, wx, f"x after {where}", "", "Use the bias-corrected m_hat and v_hat, and add eps after "
                         "the square root: x - lr * m_hat / (sqrt(v_hat) + eps).", rtol=_RTOL, atol=1e-14)
    passed("adam_step matches PyTorch's Adam, bias correction included.")


def _first_step(g, lr, b1, b2, eps, bias_correction):
    g = np.asarray(g, dtype=float)
    if bias_correction:
        opt = optimizers.adam(lr=lr, betas=(b1, b2), eps=eps)
        x1, _ = opt.step(np.zeros_like(g), g, opt.init(np.zeros_like(g)))
        return np.abs(x1)
    return lr * (1 - b1) * np.abs(g) / (np.sqrt((1 - b2) * g * g) + eps)


def check_first_step_size(first_step_size, hidden=False):
    """first_step_size(g, lr, beta1, beta2, eps, bias_correction) -> |x_1 - x_0|, elementwise for an
    array g, a number for a number g."""
    hidden = is_hidden(hidden)
    rng = case_rng("first_step_size", hidden)
    if hidden:
        g = _random_grads(rng, 1, (int(rng.integers(4, 9)),))[0]
        settings = [(float(np.exp(rng.uniform(-9, -1))), rng.uniform(0.0, 0.95), rng.uniform(0.5, 0.9999),
                     float(np.exp(rng.uniform(np.log(1e-8), np.log(1e-4))))) for _ in range(2)]
        numbers = [float(g[0]), -float(np.exp(rng.uniform(-16, -12)))]
        label = "a random array of gradients from 1e-6 to 1e3"
    else:
        g = np.geomspace(1e-6, 1e6, 7) * np.array([1, -1, 1, -1, 1, -1, 1])
        settings = [(1e-3, 0.9, 0.999, 1e-8), (0.1, 0.8, 0.99, 1e-6)]
        numbers = [-2.5, 3e-9]
        label = "g = [1e-6, -1e-5, ..., 1e6]"
    for lr, b1, b2, eps in settings:
        for corrected in (True, False):
            kept = g.copy()
            got = run_answer(first_step_size, g, lr, b1, b2, eps, corrected, case="(on an array g)")
            expect(np.array_equal(g, kept), "first_step_size modified g in place: compute with new arrays.")
            hint = ("With bias correction m_hat = g and sqrt(v_hat) = |g| after one step." if corrected else
                    "Without it, m_1 = (1 - beta1) g and v_1 = (1 - beta2) g^2. Return a size: it is >= 0.")
            where = (f"first_step_size({label}, lr={lr:.3g}, beta1={b1:.3g}, beta2={b2:.3g}, eps={eps:.3g}, "
                     f"bias_correction={corrected})") if not hidden else \
                f"first_step_size on {label}, random settings, bias_correction={corrected}"
            close(got, _first_step(g, lr, b1, b2, eps, corrected), where, "", hint, rtol=_RTOL, atol=1e-300)
    lr, b1, b2, eps = settings[0]
    for number in numbers:
        for corrected in (True, False):
            got = run_answer(first_step_size, number, lr, b1, b2, eps, corrected, case="(on a single number g)")
            what = ("a single number g" + (" much smaller than eps" if abs(number) < eps else "")
                    + f", bias_correction={corrected}")
            expect(np.ndim(got) == 0, f"first_step_size for {what} should return one number, got shape {np.shape(got)}")
            close(got, _first_step(number, lr, b1, b2, eps, corrected), f"first_step_size for {what}", "", "It must work for a plain number as well as for an array; mind eps for tiny gradients.", rtol=_RTOL, atol=1e-300)
    passed("first_step_size: about lr with bias correction, lr (1 - beta1) / sqrt(1 - beta2) without.")


def _rates(make, grads):
    opt = make()
    x, state = np.zeros(1), opt.init(np.zeros(1))
    out = []
    for g in grads:
        x, state = opt.step(x, np.array([g]), state)
        out.append(opt.effective_lr(state)[0])
    return np.array(out)


def check_effective_rates(adagrad_rates, rmsprop_rates, hidden=False):
    """adagrad_rates(grads, lr, eps) and rmsprop_rates(grads, lr, alpha, eps): the effective rate
    of each step for one coordinate fed the gradients ``grads`` (a 1-D array or a list, not modified)."""
    hidden = is_hidden(hidden)
    rng = case_rng("effective_rates", hidden)
    if hidden:
        cases = [(_random_grads(rng, int(rng.integers(5, 40)), (1,))[:, 0], "random gradients from 1e-6 to 1e3"),
                 (np.r_[0.0, _random_grads(rng, 6, (1,))[:, 0] * 1e-3], "a first gradient of 0, then tiny ones"),
                 (np.full(int(rng.integers(50, 300)), rng.uniform(0.5, 3.0)), "a long run of a constant gradient")]
        ada = [(float(np.exp(rng.uniform(-7, 0))), float(np.exp(rng.uniform(np.log(1e-10), np.log(1e-6)))))]
        rms = [(float(np.exp(rng.uniform(-7, 0))), rng.uniform(0.5, 0.999),
                float(np.exp(rng.uniform(np.log(1e-8), np.log(1e-5)))))]
    else:
        cases = [(np.array([1.0, -3.0, 0.5, 2.0, 0.0, 1e-3, 10.0, -1.0]), "grads = [1, -3, 0.5, 2, 0, 1e-3, 10, -1]"),
                 (np.array([0.0, 1e-6, -2e-6, 1e-6]), "grads = [0, 1e-6, -2e-6, 1e-6] (eps matters here)")]
        ada = [(0.1, 1e-10)]
        rms = [(0.01, 0.99, 1e-8), (0.01, 0.5, 1e-8)]
    for grads, what in cases:
        for lr, eps in ada:
            for as_list in (False, True):
                given = grads.tolist() if as_list else grads.copy()
                with forbid(*_OPTIMIZERS):
                    got = run_answer(adagrad_rates, given, lr, eps, case=f"(on {what})")
                expect(np.array_equal(np.asarray(given, dtype=float), grads),
                       "adagrad_rates modified grads in place: compute with new arrays.")
                kind = " given as a list" if as_list else ""
                where = f"adagrad_rates on {what}{kind}" + ("" if hidden else f", lr={lr}, eps={eps}")
                close(got, _rates(lambda: optimizers.adagrad(lr=lr, eps=eps), grads), where, "", "AdaGrad divides lr by the square root of the *sum* of all squared gradients so far, "
                             "this step's included, and adds eps after the square root.", rtol=_RTOL, atol=1e-300)
        for lr, alpha, eps in rms:
            for as_list in (False, True):
                given = grads.tolist() if as_list else grads.copy()
                with forbid(*_OPTIMIZERS):
                    got = run_answer(rmsprop_rates, given, lr, alpha, eps, case=f"(on {what})")
                expect(np.array_equal(np.asarray(given, dtype=float), grads),
                       "rmsprop_rates modified grads in place: compute with new arrays.")
                kind = " given as a list" if as_list else ""
                where = f"rmsprop_rates on {what}{kind}" + ("" if hidden else f", lr={lr}, alpha={alpha}, eps={eps}")
                close(got, _rates(lambda: optimizers.rmsprop(lr=lr, alpha=alpha, eps=eps), grads), where, "", "RMSprop's v starts at 0 and is a moving average: v = alpha v + (1 - alpha) g^2 (no bias "
                             "correction in PyTorch); the rate is lr / (sqrt(v) + eps).", rtol=_RTOL, atol=1e-300)
    passed("adagrad_rates and rmsprop_rates match PyTorch's effective rates.")


def check_adamw_step(adamw_step, hidden=False):
    """adamw_step(x, g, m, v, t, lr, weight_decay, beta1, beta2, eps) must be one step of AdamW."""
    hidden = is_hidden(hidden)
    rng = case_rng("adamw_step", hidden)
    if hidden:
        cases = [(what, lr, float(np.exp(rng.uniform(np.log(1e-3), np.log(0.5)))), b1, b2, eps, grads, x0)
                 for what, lr, b1, b2, eps, grads, x0 in _adam_cases(rng, True)]
        cases.append(("a zero gradient (pure decay), random settings", 0.01, rng.uniform(0.1, 1.0), 0.9, 0.999, 1e-8,
                      np.zeros((30, 2)), rng.standard_normal(2)))
    else:
        cases = [(f"lr={lr}, weight_decay={wd}", lr, wd, 0.9, 0.999, 1e-8, _GRADS, np.ones(3))
                 for lr, wd in [(0.01, 0.1), (0.1, 0.01)]]
        cases.append(("a zero gradient (pure decay), lr=0.01, weight_decay=1", 0.01, 1.0, 0.9, 0.999, 1e-8,
                      np.zeros((5, 2)), np.array([2.0, -1.0])))
    for what, lr, wd, b1, b2, eps, grads, x0 in cases:
        make = dict(lr=lr, weight_decay=wd, betas=(b1, b2), eps=eps)
        want = _reference(lambda: optimizers.adamw(**make), grads, x0)
        plain = _reference(lambda: optimizers.adam(**make), grads, x0)
        x, m, v = x0.copy(), np.zeros_like(x0), np.zeros_like(x0)
        for t, (g, (wx, wm, wv), (px, _, _)) in enumerate(zip(grads, want, plain), start=1):
            args = [x.copy(), g.copy(), m.copy(), v.copy()]
            with forbid(*_OPTIMIZERS):
                result = _as_triple(run_answer(adamw_step, *args, t, lr, wd, b1, b2, eps, case=f"(step t={t}, {what})"), "adamw_step")
            expect(_unchanged(args, (x, g, m, v)),
                   "adamw_step modified one of its input arrays in place (x, g, m or v): return new arrays "
                   "instead (no `x *= ...`).")
            x, m, v = result
            if t == 1 and not np.allclose(wx, px, rtol=1e-6) and np.allclose(x, px, rtol=1e-9):
                raise AssertionError("This is Adam with an L2 penalty (weight_decay * x added to the gradient). "
                                     "AdamW shrinks x itself and leaves the gradient alone.")
            where = f"step t={t} ({what})"
            close(m, wm, f"m after {where}", "", "The moving averages see the loss gradient only, not the decay.", rtol=_RTOL, atol=1e-300)
            close(v, wv, f"v after {where}", "", "The moving averages see the loss gradient only, not the decay.", rtol=_RTOL, atol=1e-300)
            close(x, wx, f"x after {where}", "", "Shrink x by (1 - lr * weight_decay), then take the Adam step "
                         "computed from m and v.", rtol=_RTOL, atol=1e-14)
    passed("adamw_step decouples the weight decay, as PyTorch's AdamW.")


# ----------------------------------------------------------------------------- question 5
NAMES = ("sgd", "adagrad", "rmsprop", "adam")
_MAKE = {"sgd": optimizers.sgd, "adagrad": optimizers.adagrad, "rmsprop": optimizers.rmsprop, "adam": optimizers.adam}
_TITLE = {"sgd": "SGD", "adagrad": "AdaGrad", "rmsprop": "RMSprop", "adam": "Adam"}


def mystery_run(name, rng, steps=None, n=None):
    """(grads, moves) of one run of optimizer ``name`` with PyTorch's defaults and a random lr."""
    steps = int(rng.integers(8, 30)) if steps is None else steps
    n = int(rng.integers(2, 6)) if n is None else n
    lr = float(np.exp(rng.uniform(np.log(1e-4), np.log(0.3))))
    grads = np.exp(rng.uniform(np.log(1e-2), np.log(1e2), n)) * rng.standard_normal((steps, n))
    grads += rng.uniform(-1, 1) * np.abs(grads).mean(axis=0)           # a drift: gradients keep a sign for a while
    opt = _MAKE[name](lr=lr)
    x = rng.standard_normal(n)
    state, moves = opt.init(x), []
    for g in grads:
        x_new, state = opt.step(x, g, state)
        moves.append(x_new - x)
        x = x_new
    return grads, np.array(moves)


def check_identify_optimizer(identify_optimizer, hidden=False):
    """identify_optimizer(grads, moves) -> the name in NAMES of the optimizer that made the moves."""
    hidden = is_hidden(hidden)
    rng = case_rng("identify_optimizer", hidden)
    names = list(NAMES) * (3 if hidden else 1)
    if hidden:
        rng.shuffle(names)
    for k, name in enumerate(names, start=1):
        grads, moves = mystery_run(name, rng)
        kept = grads.copy(), moves.copy()
        with forbid(*_OPTIMIZERS):
            got = run_answer(identify_optimizer, grads, moves, case="(on a run of an unknown optimizer)")
        expect(np.array_equal(grads, kept[0]) and np.array_equal(moves, kept[1]),
               "identify_optimizer modified grads or moves in place.")
        expect(isinstance(got, str) and got in NAMES,
               f"identify_optimizer should return one of the strings {list(NAMES)}, got {got!r:.60}")
        where = f"a run of {_TITLE[name]} with an unknown rate" + ("" if hidden else f" (visible run {k})")
        expect(got == name, f"identify_optimizer answered {got!r} for {where}. Each optimizer's move is "
               "-lr times a vector that you can compute from the gradients alone (with lr = 1): for which "
               "optimizer is the ratio move / that vector the same number at every step and coordinate?")
    passed(f"identify_optimizer recognised all {len(names)} runs.")
