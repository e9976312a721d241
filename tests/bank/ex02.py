"""Mutation bank of assignment 2 (format: tests/bank/__init__.py)."""
from functools import partial

from . import define

_best = partial(define, "def best_lr_and_rate(eigenvalues):")
_steps = partial(define, "def steps_needed(eigenvalues, lr, tol):")
_div = partial(define, "def diverging_directions(eigenvalues, lr):")
_rate = partial(define, "def rate_from_losses(losses, m):")
_reg = partial(define, "def regression_lr(X, steps, factor):")

_STEPS_OK = """
rate = np.max(np.abs(1 - lr * np.asarray(eigenvalues, dtype=float)))
if rate >= 1:
    return math.inf
if rate == 0:
    return 1
return math.ceil(math.log(tol) / math.log(rate))
"""

_EIG = "lam = np.linalg.eigvalsh(np.asarray(X, float).T @ np.asarray(X, float) / len(X))\n"

BANK = {
    "best_lr_and_rate": {
        "wrong": {
            "one-step rate of L": _best("L, mu = np.max(eigenvalues), np.min(eigenvalues)\nreturn 1 / L, 1 - mu / L"),
            "assumes sorted input": _best("lam = np.asarray(eigenvalues, float)\nL, mu = lam[0], lam[-1]\n"
                                          "return 2 / (L + mu), (L - mu) / (L + mu)"),
            "sorts in place": _best("eigenvalues.sort()\nL, mu = eigenvalues[-1], eigenvalues[0]\n"
                                    "return 2 / (L + mu), (L - mu) / (L + mu)"),
            "edge rate": _best("L, mu = np.max(eigenvalues), np.min(eigenvalues)\nreturn 2 / L, (L - mu) / (L + mu)"),
            "rate as kappa": _best("L, mu = np.max(eigenvalues), np.min(eigenvalues)\nreturn 2 / (L + mu), L / mu"),
            "wrong sign in the rate": _best("L, mu = np.max(eigenvalues), np.min(eigenvalues)\nreturn 2 / (L + mu), (mu - L) / (L + mu)"),
            "mean instead of extremes": _best("L, mu = np.max(eigenvalues), np.mean(eigenvalues)\nreturn 2 / (L + mu), (L - mu) / (L + mu)"),
            "only the learning rate": _best("L, mu = np.max(eigenvalues), np.min(eigenvalues)\nreturn 2 / (L + mu)"),
            "list methods": _best("L, mu = eigenvalues.max(), eigenvalues.min()\nreturn 2 / (L + mu), (L - mu) / (L + mu)"),
            "forbidden theory shortcut": _best("from lrcourse import theory\nL, mu = np.max(eigenvalues), np.min(eigenvalues)\n"
                                               "return theory.best_constant_lr(L, mu), theory.best_contraction(L / mu)"),
            "squared rate": _best("L, mu = np.max(eigenvalues), np.min(eigenvalues)\nreturn 2 / (L + mu), ((L - mu) / (L + mu)) ** 2"),
        },
        "right": {
            "max and min": _best("L, mu = np.max(eigenvalues), np.min(eigenvalues)\nreturn 2 / (L + mu), (L - mu) / (L + mu)"),
            "via kappa": _best("L, mu = max(eigenvalues), min(eigenvalues)\nkappa = L / mu\nreturn 2 / (L + mu), (kappa - 1) / (kappa + 1)"),
            "sorted copy": _best("lam = sorted(eigenvalues)\nlr = 2 / (lam[0] + lam[-1])\n"
                                 "return lr, max(abs(1 - lr * lam[0]), abs(1 - lr * lam[-1]))"),
        },
    },
    "steps_needed": {
        "wrong": {
            "floor": _steps(_STEPS_OK.replace("math.ceil", "math.floor")),
            "round": _steps(_STEPS_OK.replace("math.ceil(", "round(")),
            "slowest taken as the fastest": _steps(_STEPS_OK.replace("np.max(", "np.min(")),
            "bouncing not infinite": _steps(_STEPS_OK.replace("rate >= 1", "rate > 1")),
            "minus one instead of inf": _steps(_STEPS_OK.replace("return math.inf", "return -1")),
            "forgets the zero factor": _steps(_STEPS_OK.replace("if rate == 0:\n    return 1\n", "")),
            "off by one": _steps(_STEPS_OK.replace("math.ceil(math.log(tol) / math.log(rate))", "math.ceil(math.log(tol) / math.log(rate)) + 1")),
            "ignores tol": _steps(_STEPS_OK.replace("math.log(tol)", "math.log(1e-3)")),
            "kappa approximation": _steps("lam = np.asarray(eigenvalues, float)\nrate = np.max(np.abs(1 - lr * lam))\nif rate >= 1:\n    return math.inf\n"
                                          "return math.ceil(lam.max() / lam.min() / 2 * math.log(1 / tol))"),
            "forbidden theory shortcut": _steps("from lrcourse import theory\nrate = np.max(np.abs(1 - lr * np.asarray(eigenvalues, float)))\n"
                                                "return float(theory.steps_to_reach(rate, tol))"),
            "log of the error, not the factor": _steps(_STEPS_OK.replace("math.log(tol) / math.log(rate)", "math.log(tol) / math.log(1 - rate)")),
        },
        "right": {
            "the formula": _steps(_STEPS_OK),
            "log base": _steps("rate = max(abs(1 - lr * l) for l in eigenvalues)\nif rate >= 1:\n    return math.inf\n"
                               "return 1 if rate == 0 else math.ceil(math.log(tol, rate))"),
            "simulation": _steps("rate = float(np.max(np.abs(1 - lr * np.asarray(eigenvalues, float))))\nif rate >= 1:\n    return math.inf\n"
                                 "err, t = 1.0, 0\nwhile True:\n    err, t = err * rate, t + 1\n    if err <= tol * (1 + 1e-12):\n        return t"),
            "numpy float": _steps("rate = np.max(np.abs(1 - lr * np.array(eigenvalues)))\nif rate >= 1:\n    return np.inf\n"
                                  "return float(max(1, np.ceil(np.log(tol) / np.log(max(rate, 1e-300)))))"),
        },
    },
    "diverging_directions": {
        "wrong": {
            "bouncing counts as growing": _div("return np.abs(1 - lr * np.asarray(eigenvalues, float)) >= 1"),
            "one step rate as edge": _div("return lr * np.asarray(eigenvalues, float) > 1"),
            "all or nothing": _div("return np.full(len(eigenvalues), lr > 2 / np.max(eigenvalues))"),
            "ints instead of bools": _div("return (np.abs(1 - lr * np.asarray(eigenvalues, float)) > 1).astype(int)"),
            "divides by lr": _div("return np.asarray(eigenvalues, float) > 2 / lr"),
            "loose tolerance": _div("return np.abs(1 - lr * np.asarray(eigenvalues, float)) > 1.01"),
            "sorted output": _div("return np.abs(1 - lr * np.sort(np.asarray(eigenvalues, float))) > 1"),
            "in place": _div("lam = np.asarray(eigenvalues, dtype=float)\nlam *= lr\nreturn np.abs(1 - lam) > 1"),
            "wrong sign": _div("return np.abs(1 + lr * np.asarray(eigenvalues, float)) > 1"),
            "list methods": _div("return abs(1 - lr * eigenvalues) > 1"),
        },
        "right": {
            "factor": _div("return np.abs(1 - lr * np.asarray(eigenvalues, dtype=float)) > 1"),
            "product above two": _div("return lr * np.asarray(eigenvalues, float) > 2"),
            "list of bools": _div("return [abs(1 - lr * l) > 1 for l in eigenvalues]"),
        },
    },
    "rate_from_losses": {
        "wrong": {
            "forgets the square": _rate("return (losses[-1] / losses[-1 - m]) ** (1 / m)"),
            "ignores m": _rate("return (losses[-1] / losses[-2]) ** 0.5"),
            "whole curve": _rate("return (losses[-1] / losses[0]) ** (1 / (2 * (len(losses) - 1)))"),
            "off by one": _rate("return (losses[-1] / losses[-m]) ** (1 / (2 * m))"),
            "inverted": _rate("return (losses[-1 - m] / losses[-1]) ** (1 / (2 * m))"),
            "square instead of root": _rate("return (losses[-1] / losses[-1 - m]) ** (2 / m)"),
            "arithmetic mean of ratios": _rate("l = np.asarray(losses, float)[-1 - m:]\nreturn np.mean(np.sqrt(l[1:] / l[:-1]))"),
            "list arithmetic": _rate("return (losses[-1] / losses[-1 - m]) ** (1 / (2 * m)) if isinstance(losses, np.ndarray) else losses[-1] ** 0"),
            "integer exponent": _rate("return (losses[-1] / losses[-1 - m]) ** (1 // (2 * m))"),
            "loss difference": _rate("return 1 - (losses[-1 - m] - losses[-1]) / (2 * m * losses[-1 - m])"),
        },
        "right": {
            "the formula": _rate("losses = np.asarray(losses, dtype=float)\nreturn (losses[-1] / losses[-1 - m]) ** (1 / (2 * m))"),
            "logs": _rate("l = np.log(np.asarray(losses, float))\nreturn float(np.exp((l[-1] - l[-1 - m]) / (2 * m)))"),
            "geometric mean of square roots": _rate("l = np.asarray(losses, float)[len(losses) - 1 - m:]\n"
                                                    "return float(np.prod(np.sqrt(l[1:] / l[:-1])) ** (1 / m))"),
            "sqrt then root": _rate("T = len(losses) - 1\nreturn math.sqrt(losses[T] / losses[T - m]) ** (1 / m)"),
        },
    },
    "regression_lr": {
        "wrong": {
            "forgets 1/n": _reg("X = np.asarray(X, float)\nlam = np.linalg.eigvalsh(X.T @ X)\nreturn 2 / (lam.max() + lam.min())"),
            "one step rate of L": _reg(_EIG + "return 1 / lam.max()"),
            "the edge": _reg(_EIG + "return 2 / lam.max()"),
            "X X^T has zero eigenvalues": _reg("X = np.asarray(X, float)\nlam = np.linalg.eigvalsh(X @ X.T / len(X))\n"
                                               "return 2 / (lam.max() + lam.min())"),
            "singular values, not their squares": _reg("s = np.linalg.svd(np.asarray(X, float), compute_uv=False) / np.sqrt(len(X))\n"
                                                       "return 2 / (s.max() + s.min())"),
            "diagonal only": _reg("X = np.asarray(X, float)\nd = np.diag(X.T @ X) / len(X)\nreturn 2 / (d.max() + d.min())"),
            "centred features": _reg("X = np.asarray(X, float)\nlam = np.linalg.eigvalsh(np.cov(X.T, bias=True))\n"
                                     "return 2 / (lam.max() + lam.min())"),
            "trace": _reg("X = np.asarray(X, float)\nreturn 1 / np.trace(X.T @ X / len(X))"),
            "folklore": _reg("return 0.01"),
            "half of the 1/2n": _reg("X = np.asarray(X, float)\nlam = np.linalg.eigvalsh(X.T @ X / (2 * len(X)))\n"
                                     "return 2 / (lam.max() + lam.min())"),
            "normalises X in place": _reg("X /= np.abs(X).max()\nlam = np.linalg.eigvalsh(X.T @ X / len(X))\n"
                                          "return 2 / (lam.max() + lam.min()) / np.abs(X).max() ** 2"),
        },
        "right": {
            "eigvalsh": _reg(_EIG + "return 2 / (lam.max() + lam.min())"),
            "svd": _reg("s = np.linalg.svd(np.asarray(X, float), compute_uv=False)\nlam = s**2 / len(X)\nreturn 2 / (lam.max() + lam.min())"),
            "just inside the band": _reg(_EIG + "L, mu = lam.max(), lam.min()\nq = factor ** (-1 / (2 * steps))\n"
                                         "return 0.5 * ((1 - q) / mu + (1 + q) / L)"),
        },
    },
}
