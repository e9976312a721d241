"""Mutation bank of assignment 3 (format: tests/bank/__init__.py)."""
from functools import partial

from . import define

_nf = partial(define, "def noise_floor(lr, L, sigma):")
_mb = partial(define, "def minibatch_noise(G, B):")
_gy = partial(define, "def goyal_lr(epoch, batch_size):")
_ps = partial(define, "def plan_sgd(eigenvalues, sigma, x0, budget, target):")

_GOYAL = """
target = 0.1 * batch_size / 256
if epoch < 5:
    return 0.1 + (target - 0.1) * epoch / 5
return target * 0.1 ** sum(epoch >= m for m in (30, 60, 80))
"""

_TRACE = "G = np.asarray(G, dtype=float)\nN = len(G)\ntrace = np.mean(np.sum((G - G.mean(axis=0)) ** 2, axis=1))\n"

_PLAN = """
lam, x0 = np.asarray(eigenvalues, dtype=float), np.asarray(x0, dtype=float)
rates = np.geomspace(1e-4, 1.99, 600)[:, None] / lam.max()
best_loss, best_plan = np.inf, None
for B in np.unique(np.geomspace(1, budget, 60).astype(int)):
    T = budget // B
    a = (1 - rates * lam) ** 2
    m = a**T * x0**2 + rates**2 * sigma**2 / B * (1 - a**T) / (1 - a)
    loss = 0.5 * np.sum(lam * m, axis=1)
    i = int(np.argmin(loss))
    if loss[i] < best_loss:
        best_loss, best_plan = loss[i], (float(rates[i, 0]), int(B))
return best_plan
"""

BANK = {
    "noise_floor": {
        "wrong": {
            "first-order approximation": _nf("return lr * sigma**2 / 4"),
            "E[x^2] instead of the loss": _nf("return lr * sigma**2 / (L * (2 - lr * L))"),
            "forgets the 1/2 of the loss": _nf("return lr * sigma**2 / (2 - lr * L)"),
            "wrong sign": _nf("return lr * sigma**2 / (2 * (2 + lr * L))"),
            "sigma not squared": _nf("return lr * sigma / (2 * (2 - lr * L))"),
            "ignores L": _nf("return lr * sigma**2 / (2 * (2 - lr))"),
            "if on an array": _nf("if lr * L < 2:\n    return lr * sigma**2 / (2 * (2 - lr * L))\nreturn np.inf"),
            "lr squared": _nf("return lr**2 * sigma**2 / (2 * (2 - lr * L))"),
            "integer division": _nf("return lr * sigma**2 // (2 * (2 - lr * L))"),
            "math on arrays": _nf("import math\nreturn lr * math.pow(sigma, 2) / (2 * (2 - lr * L)) if not hasattr(lr, 'shape') else float(lr[0])"),
        },
        "right": {
            "the formula": _nf("return lr * sigma**2 / (2 * (2 - lr * L))"),
            "via E[x^2]": _nf("lr = np.asarray(lr, dtype=float)\nm = lr**2 * sigma**2 / (1 - (1 - lr * L) ** 2)\nreturn L / 2 * m"),
            "factored": _nf("return sigma**2 * lr / (4 - 2 * L * lr)"),
        },
    },
    "minibatch_noise": {
        "wrong": {
            "with replacement": _mb(_TRACE + "return trace / B"),
            "sample variance": _mb("G = np.asarray(G, float)\nN = len(G)\ntrace = np.sum((G - G.mean(axis=0)) ** 2) / (N - 1)\n"
                                   "return trace / B * (N - B) / (N - 1)"),
            "correction over N": _mb(_TRACE + "return trace / B * (N - B) / N"),
            "centres in place": _mb("G -= G.mean(axis=0)\nN = len(G)\nreturn np.mean(np.sum(G**2, axis=1)) / B * (N - B) / (N - 1)"),
            "mean over coordinates": _mb("G = np.asarray(G, float)\nN = len(G)\nv = np.mean(np.var(G, axis=0))\nreturn v / B * (N - B) / (N - 1)"),
            "norm not squared": _mb("G = np.asarray(G, float)\nN = len(G)\ntrace = np.mean(np.linalg.norm(G - G.mean(axis=0), axis=1))\n"
                                    "return trace / B * (N - B) / (N - 1)"),
            "integer division": _mb(_TRACE + "return trace / B * ((N - B) // (N - 1))"),
            "1/sqrt(B)": _mb(_TRACE + "return trace / np.sqrt(B) * (N - B) / (N - 1)"),
            "ignores the column means": _mb("G = np.asarray(G, float)\nN = len(G)\ntrace = np.mean(np.sum(G**2, axis=1))\n"
                                            "return trace / B * (N - B) / (N - 1)"),
            "returns per coordinate": _mb("G = np.asarray(G, float)\nN = len(G)\nreturn np.var(G, axis=0) / B * (N - B) / (N - 1)"),
        },
        "right": {
            "the formula": _mb(_TRACE + "return trace / B * (N - B) / (N - 1)"),
            "variance per column": _mb("G = np.asarray(G, float)\nN = len(G)\nreturn float(np.var(G, axis=0).sum()) * (N - B) / (B * (N - 1))"),
            "1/B - 1/N": _mb("G = np.asarray(G, float)\nN = len(G)\ns2 = np.sum((G - G.mean(axis=0)) ** 2) / (N - 1)\nreturn s2 * (1 / B - 1 / N)"),
        },
    },
    "goyal_lr": {
        "wrong": {
            "warmup from 0": _gy(_GOYAL.replace("return 0.1 + (target - 0.1) * epoch / 5", "return target * epoch / 5")),
            "milestone applies one epoch late": _gy(_GOYAL.replace("epoch >= m", "epoch > m")),
            "no decay": _gy(_GOYAL.replace("target * 0.1 ** sum(epoch >= m for m in (30, 60, 80))", "target")),
            "decay subtracts": _gy(_GOYAL.replace("target * 0.1 ** sum(epoch >= m for m in (30, 60, 80))",
                                                  "target * (1 - 0.1 * sum(epoch >= m for m in (30, 60, 80)))")),
            "integer batch ratio": _gy(_GOYAL.replace("0.1 * batch_size / 256", "0.1 * (batch_size // 256)")),
            "whole epochs only": _gy("epoch = int(epoch)\n" + _GOYAL),
            "warmup over 4 epochs": _gy(_GOYAL.replace("epoch / 5", "epoch / 4")),
            "hard-coded batch size": _gy(_GOYAL.replace("0.1 * batch_size / 256", "0.1 * 8192 / 256")),
            "warmup ends at the milestone rate": _gy(_GOYAL.replace("if epoch < 5:", "if epoch <= 5:").replace("epoch / 5", "epoch / 4.9")),
            "divided by 100": _gy(_GOYAL.replace("0.1 **", "0.01 **")),
        },
        "right": {
            "the formula": _gy(_GOYAL),
            "searchsorted": _gy("peak = 0.1 * batch_size / 256\nif epoch < 5:\n    return 0.1 * (1 - epoch / 5) + peak * epoch / 5\n"
                                "return peak / 10 ** int(np.searchsorted([30, 60, 80], epoch, side='right'))"),
            "if chain": _gy("peak = batch_size / 2560\nif epoch < 5:\n    return 0.1 + (peak - 0.1) * epoch / 5\nif epoch < 30:\n    return peak\n"
                            "if epoch < 60:\n    return peak / 10\nif epoch < 80:\n    return peak / 100\nreturn peak / 1000"),
        },
    },
    "robbins_monro": {
        "wrong": {
            "only b": 'answer = {"b"}\n',
            "only f": 'answer = {"f"}\n',
            "adds c": 'answer = {"b", "c", "f"}\n',
            "adds d": 'answer = {"b", "d", "f"}\n',
            "adds a": 'answer = {"a", "b", "f"}\n',
            "square-summable ones": 'answer = {"b", "d", "e", "f"}\n',
            "infinite sums only": 'answer = ["a", "b", "c", "f"]\n',
            "adds e": 'answer = "b, e, f"\n',
            "c only": 'answer = {"c"}\n',
        },
        "right": {
            "set": 'answer = {"b", "f"}\n',
            "string": 'answer = "b, f"\n',
            "list in capitals": 'answer = ["F", "B"]\n',
        },
    },
    "plan_sgd": {
        "wrong": {
            "one full-batch step at 1/L": _ps("return 1 / np.max(eigenvalues), budget"),
            "1/L with batch 1": _ps("return 1 / np.max(eigenvalues), 1"),
            "folklore": _ps("return 0.01, 1"),
            "same steps for every batch": _ps(_PLAN.replace("T = budget // B", "T = budget")),
            "ignores the noise": _ps(_PLAN.replace("+ rates**2 * sigma**2 / B * (1 - a**T) / (1 - a)", "")),
            "ignores the start": _ps(_PLAN.replace("a**T * x0**2 + ", "")),
            "swapped pair": _ps(_PLAN.replace("(float(rates[i, 0]), int(B))", "(int(B), float(rates[i, 0]))")),
            "ignores the flat direction": _ps(_PLAN.replace("lam, x0 = np.asarray(eigenvalues, dtype=float), np.asarray(x0, dtype=float)",
                                                            "lam, x0 = np.asarray(eigenvalues, dtype=float)[:1], np.asarray(x0, dtype=float)[:1]")),
            "linear scaling past the edge": _ps("B = budget // 10\nreturn 0.05 * B, B"),
            "noise floor formula only": _ps("L = np.max(eigenvalues)\nlr = 0.05 / L\nreturn lr, 1"),
        },
        "right": {
            "grid with a geometric sum": _ps(_PLAN),
            "simulated recursion": _ps("lam, x0 = np.asarray(eigenvalues, float), np.asarray(x0, float)\n"
                                       "rates = np.geomspace(1e-4, 1.99, 100)[:, None] / lam.max()\nbest = (np.inf, None)\n"
                                       "for B in [1, 4, 16, 64]:\n    if B > budget:\n        break\n"
                                       "    m = np.tile(x0**2, (len(rates), 1))\n    for _ in range(budget // B):\n"
                                       "        m = (1 - rates * lam) ** 2 * m + rates**2 * sigma**2 / B\n"
                                       "    loss = 0.5 * (m * lam).sum(axis=1)\n    i = int(np.argmin(loss))\n"
                                       "    if loss[i] < best[0]:\n        best = (loss[i], (float(rates[i, 0]), B))\nreturn best[1]"),
            "first plan under the target": _ps("lam, x0 = np.asarray(eigenvalues, float), np.asarray(x0, float)\n"
                                               "for B in np.unique(np.geomspace(1, budget, 80).astype(int)):\n"
                                               "    for lr in np.geomspace(1e-4, 1.99, 800) / lam.max():\n"
                                               "        a = (1 - lr * lam) ** 2\n        T = budget // B\n"
                                               "        m = a**T * x0**2 + lr**2 * sigma**2 / B * (1 - a**T) / (1 - a)\n"
                                               "        if 0.5 * np.sum(lam * m) <= target:\n            return lr, int(B)\nreturn None"),
        },
    },
}
