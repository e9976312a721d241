"""Checks for assignment 10: the curvature that moves.

Each check tests one question's contract, as the prompt states it. ``hidden=False`` (the test
cell a learner runs): fixed cases plus a few random ones from a fixed seed. ``hidden=True`` (the
grader): more random cases from the grader's seed, the same contract.
"""
from __future__ import annotations

import numpy as np

from . import case_rng, case_text, close, fail, forbid, is_hidden, log_uniform, numbers, passed, run_answer

__all__ = ["check_hvp", "check_top_eigenvalue", "check_lr_fast", "fast_net", "FAST_STEPS", "FAST_TARGET"]

_LIBRARY = ("lrcourse.curvature.hvp", "lrcourse.curvature.sharpness")
_EIG = ("numpy.linalg.eigvalsh", "numpy.linalg.eigh", "numpy.linalg.eig", "numpy.linalg.eigvals", "numpy.linalg.svd")


# ------------------------------------------------------------------------------------------ Q1
def _gradients(rng):
    """name -> (gradient function of x, 1-D), several kinds of functions of dimension d."""
    d = int(rng.integers(2, 7))
    Q = rng.standard_normal((d, d))
    A = Q @ Q.T + 0.1 * np.eye(d)
    B = rng.standard_normal((5, d))
    return d, {
        "a quadratic's gradient A x": lambda x: A @ np.asarray(x, dtype=float),
        "np.sin (elementwise)": lambda x: np.sin(np.asarray(x, dtype=float)),
        "the cubic's gradient x^3": lambda x: np.asarray(x, dtype=float) ** 3,
        "logistic regression's gradient (coordinates coupled)":
            lambda x: B.T @ (1 / (1 + np.exp(-(B @ np.asarray(x, dtype=float))))),
    }


def check_hvp(hvp, hidden=False):
    """hvp(grad, x, v, h): (grad(x + h v) - grad(x - h v)) / (2 h), an array like x, x and v unchanged."""
    hidden = is_hidden(hidden)
    rng = case_rng("hvp", hidden)
    part = "the vector returned by hvp"
    hint = ("Take the gradient a small step h forward along v and a small step backward, and divide their difference "
            "by the distance between the two points.")
    with forbid(*_LIBRARY, within=hvp):
        for i in range(12 if hidden else 4):
            d, grads = _gradients(rng)
            for name, grad in grads.items():
                x, v = rng.normal(0, 1, d), rng.normal(0, 1, d)
                h = float(log_uniform(rng, 1e-4, 1e-2)) if i else 1e-3
                as_list = i % 2 == 1
                kind = f"with grad = {name}, x and v given as {'lists' if as_list else 'arrays'}"
                case = case_text(kind, f"d = {d}, h = {h:.3g}", hidden)
                want = (grad(x + h * v) - grad(x - h * v)) / (2 * h)
                args = (x.tolist(), v.tolist()) if as_list else (x.copy(), v.copy())
                got = run_answer(hvp, grad, *args, h, case=case)
                close(got, want, part, case, hint + " Use the grad you are given, with the step along v.", rtol=1e-6,
                      atol=1e-9 * (1 + np.abs(want).max()))
        case = case_text("when v = 0", "", hidden)
        close(run_answer(hvp, lambda x: np.asarray(x) ** 3, np.ones(3), np.zeros(3), 1e-3, case=case), np.zeros(3),
              part, case, "Along v = 0 the gradient does not change: H 0 = 0.")
    passed("hvp takes a central difference of the gradient along v, and leaves x and v alone.")


# ------------------------------------------------------------------------------------------ Q2
def _spd(rng, d, top, gap):
    """A symmetric positive semidefinite d x d matrix with top eigenvalue ``top`` and the others at
    most ``gap * top``."""
    Q, _ = np.linalg.qr(rng.standard_normal((d, d)))
    rest = rng.uniform(0, gap * top, d - 1)
    return (Q * np.concatenate([[top], rest])) @ Q.T


class _Counted:
    """A matrix-vector product that counts its calls (the prompt allows iters + 1 of them)."""

    def __init__(self, A):
        self.A, self.calls = A, 0

    def __call__(self, v):
        self.calls += 1
        return self.A @ np.asarray(v, dtype=float)


def check_top_eigenvalue(top_eigenvalue, hidden=False):
    """top_eigenvalue(matvec, dim, iters): power iteration from np.ones(dim); the top eigenvalue of a
    positive semidefinite matrix with a clear gap, within 1e-6 relative, using at most iters + 1 products."""
    hidden = is_hidden(hidden)
    rng = case_rng("top_eigenvalue", hidden)
    part = "the eigenvalue returned by top_eigenvalue"
    hint = ("Repeat v <- A v / |A v|; the Rayleigh quotient v.(A v) / (v.v) then tends to the top eigenvalue. "
            "Normalise v at every step: A^k v itself overflows or underflows.")
    cases = [("on a 2 x 2 diagonal matrix", np.diag([3.0, 1.0]), 60),
             ("on a 1 x 1 matrix", np.array([[2.5]]), 5)]
    for _ in range(10 if hidden else 3):
        d = int(rng.integers(2, 40))
        top = float(log_uniform(rng, 1e-3, 1e4))
        cases.append(("on a random positive semidefinite matrix", _spd(rng, d, top, rng.uniform(0.1, 0.7)), 120))
    d = 300 if hidden else 150  # larger than iters: building the matrix column by column costs too many products
    cases.append(("on a large matrix (more rows than iterations)", _spd(rng, d, 50.0, 0.5), 100))
    wants = [float(np.max(np.linalg.eigvalsh(A))) for _, A, _ in cases]  # before the block forbids eigvalsh
    with forbid(*_LIBRARY, *_EIG, within=top_eigenvalue):
        for (kind, A, iters), want in zip(cases, wants):
            case = case_text(kind, f"dim = {len(A)}, iters = {iters}", hidden)
            matvec = _Counted(A)
            got = numbers(run_answer(top_eigenvalue, matvec, len(A), iters, case=case), part, case, ())
            if matvec.calls > iters + 1:
                fail("the number of matrix-vector products", case, f"at most iters + 1 = {iters + 1}",
                     str(matvec.calls), "Power iteration uses one product per iteration (plus one for the "
                     "Rayleigh quotient): do not build the matrix.")
            close(got, want, part, case, hint, rtol=1e-6, atol=0)
    passed("top_eigenvalue finds the top eigenvalue by power iteration, with one product per step.")


# ------------------------------------------------------------------------------------------ Q3
FAST_STEPS = 200
FAST_TARGET = 0.08


def fast_net():
    """Question 3's network: digits 300-499 (centred pixels), 16 tanh units, square loss, full batch."""
    from .. import data, models

    d = data.load_digits()
    X = d.X[300:500] / 16.0
    return models.MLP(X - X.mean(axis=0), d.y[300:500], hidden=(16,), activation="tanh", batch_size=200,
                      loss="mse", seed=3)


def check_lr_fast(lr_fast, hidden=False):
    """lr_fast: a rate with which full-batch gradient descent on fast_net() ends FAST_STEPS steps below
    FAST_TARGET without diverging. The same run decides, visible or hidden."""
    import lrcourse

    from .. import optimizers

    is_hidden(hidden)
    part = "the run with your lr_fast"
    case = f"({FAST_STEPS} steps of full-batch gradient descent on ex10.fast_net())"
    if isinstance(lr_fast, (bool, np.bool_)):
        fail("lr_fast", "as a number", "a learning rate (a number)", repr(lr_fast))
    lr = float(numbers(lr_fast, "lr_fast", "as a number", ()))
    if not (np.isfinite(lr) and lr > 0):
        fail("lr_fast", "as a number", "a positive learning rate", lr)
    h = lrcourse.run(fast_net(), optimizers.sgd(lr), FAST_STEPS, progress=False, loss_every=FAST_STEPS)
    if h.diverged_at >= 0:
        fail(part, case, "no divergence", f"divergence at step {h.diverged_at}", "That rate is too large even "
             "for a catapult.")
    if not h.loss[-1] < FAST_TARGET:
        fail(part, case, f"a final loss below {FAST_TARGET}", f"{h.loss[-1]:.4f}",
             "Measure the network's sharpness at the start: the rule lr < 2/sharpness is too timid here. "
             "Lesson 10 showed what a network does with a rate above it; try a few and measure.")
    passed(f"lr_fast = {lr:.4g} reaches loss {h.loss[-1]:.4f} < {FAST_TARGET} in {FAST_STEPS} steps.")
