"""Mutation bank of assignment 1 (format: tests/bank/__init__.py)."""
from functools import partial

from . import define

_gd = partial(define, "def gd_step(x, grad, lr):")
_lsl = partial(define, "def largest_stable_lr(L):")
_cl = partial(define, "def classify(xs):")
_ch = partial(define, "def choose_lr(ws, losses, steps, factor):")

_CLASSIFY_OK = """
xs = np.asarray(xs, dtype=float)
r = xs[1] / xs[0]
if abs(r) <= 1e-6:
    return "one step"
if r > 0:
    return "monotone"
if abs(r + 1) <= 1e-6:
    return "bouncing"
return "oscillating" if r > -1 else "diverging"
"""

BANK = {
    "gd_step": {
        "wrong": {
            "wrong sign": _gd("return x + lr * grad(x)"),
            "ignores lr": _gd("return x - grad(x)"),
            "assumes the parabola L = 1": _gd("return x - lr * x"),
            "in place": _gd("x -= lr * grad(x)\nreturn x"),
            "returns the step": _gd("return lr * grad(x)"),
            "normalised gradient": _gd("g = grad(x)\nreturn x - lr * g / (np.abs(g) + 1e-12)"),
            "integer division": _gd("return x - (lr * grad(x)) // 1"),
            "float() breaks arrays": _gd("return float(x - lr * grad(x))"),
            "hard-coded lr for arrays": _gd("if np.ndim(x) == 0:\n    return x - lr * grad(x)\nreturn x - 0.1 * grad(x)"),
            "in-place on a view": _gd("y = np.asarray(x)\ny[...] = y - lr * grad(y)\nreturn y"),
        },
        "right": {
            "the formula": _gd("return x - lr * grad(x)"),
            "numpy subtract": _gd("return np.subtract(x, lr * np.asarray(grad(x)))"),
            "copy then update": _gd("y = np.array(x, dtype=float)\ny -= lr * np.asarray(grad(x), dtype=float)\nreturn y"),
        },
    },
    "largest_stable_lr": {
        "wrong": {
            "one step rate": _lsl("return 1 / L"),
            "times instead of over": _lsl("return 2 * L"),
            "L squared": _lsl("return 2 / L**2"),
            "integer division": _lsl("return 2 // L"),
            "hard-coded 2": _lsl("return 2.0"),
            "a bit below the edge": _lsl("return 1.98 / L"),
            "off by one in the denominator": _lsl("return 2 / (L + 1)"),
            "half of L": _lsl("return L / 2"),
            "rounded": _lsl("return round(2 / L, 2)"),
            "forbidden theory shortcut": _lsl("from lrcourse import theory\nreturn theory.max_stable_lr(L)"),
            "if on an array": _lsl("if L > 0:\n    return 2 / L\nreturn 0.0"),
            "square root": _lsl("return np.sqrt(2 / L)"),
        },
        "right": {
            "the formula": _lsl("return 2 / L"),
            "power": _lsl("return 2.0 * L ** -1.0"),
            "numpy divide": _lsl("return np.divide(2.0, L)"),
            "as an array": _lsl("L = np.asarray(L, dtype=float)\nreturn 2.0 / L"),
        },
    },
    "classify": {
        "wrong": {
            "exact zero test": _cl(_CLASSIFY_OK.replace("abs(r) <= 1e-6", "r == 0")),
            "exact bounce test": _cl(_CLASSIFY_OK.replace("abs(r + 1) <= 1e-6", "r == -1")),
            "tolerance too loose": _cl(_CLASSIFY_OK.replace("abs(r + 1) <= 1e-6", "abs(r + 1) <= 0.01")),
            "tolerance 1e-4": _cl(_CLASSIFY_OK.replace("1e-6", "1e-4")),
            "needs three iterates": _cl("xs = np.asarray(xs, dtype=float)\nr = xs[2] / xs[1]\n" + _CLASSIFY_OK.split("r = xs[1] / xs[0]\n")[1]),
            "only looks at sizes": _cl("xs = np.abs(np.asarray(xs, dtype=float))\nif xs[1] <= 1e-6 * xs[0]:\n    return 'one step'\n"
                                       "if np.isclose(xs[1], xs[0]):\n    return 'bouncing'\nreturn 'monotone' if xs[1] < xs[0] else 'diverging'"),
            "first and last only": _cl("xs = np.asarray(xs, dtype=float)\nr = xs[-1] / xs[0]\n" + _CLASSIFY_OK.split("r = xs[1] / xs[0]\n")[1]),
            "swapped labels": _cl(_CLASSIFY_OK.replace('"oscillating" if r > -1 else "diverging"', '"diverging" if r > -1 else "oscillating"')),
            "x0 assumed 1": _cl("r = xs[1]\n" + _CLASSIFY_OK.split("r = xs[1] / xs[0]\n")[1]),
            "list not accepted": _cl(_CLASSIFY_OK.replace("xs = np.asarray(xs, dtype=float)\n", "xs = xs * 1.0\n")),
            "differences instead of ratios": _cl("xs = np.asarray(xs, dtype=float)\nr = xs[1] - xs[0]\n" + _CLASSIFY_OK.split("r = xs[1] / xs[0]\n")[1]),
            "forbidden theory shortcut": _cl("from lrcourse import theory\nxs = np.asarray(xs, dtype=float)\n"
                                             "return theory.regime(1 - xs[1] / xs[0], 1.0)"),
            "edge test with a loose constant": _cl(_CLASSIFY_OK.replace('return "oscillating" if r > -1 else "diverging"',
                                                                        'return "oscillating" if r > -1.01 else "diverging"')),
        },
        "right": {
            "the ratio": _cl(_CLASSIFY_OK),
            "isclose": _cl("xs = np.asarray(xs, dtype=float)\nr = xs[1] / xs[0]\nif np.isclose(r, 0, atol=1e-6):\n    return 'one step'\n"
                           "if np.isclose(r, -1, rtol=0, atol=1e-6):\n    return 'bouncing'\n"
                           "return ('monotone' if r > 0 else 'oscillating') if abs(r) < 1 else 'diverging'"),
            "recover lr L": _cl("a = 1 - xs[1] / xs[0]   # lr * L\nif abs(a - 1) <= 1e-6:\n    return 'one step'\n"
                                "if abs(a - 2) <= 1e-6:\n    return 'bouncing'\nif a < 1:\n    return 'monotone'\n"
                                "return 'oscillating' if a < 2 else 'diverging'"),
            "table of ranges": _cl("r = float(xs[1]) / float(xs[0])\nfor low, high, name in [(-1e-6, 1e-6, 'one step'), (-1 - 1e-6, -1 + 1e-6, 'bouncing'),\n"
                                   "                        (0, 1, 'monotone'), (-1, 0, 'oscillating')]:\n"
                                   "    if low <= r <= high:\n        return name\nreturn 'diverging'"),
        },
    },
    "choose_lr": {
        "wrong": {
            "forgets the factor 2 of L/2": _ch("return 1.0 / np.polyfit(ws, losses, 2)[0]"),
            "the edge 2/L": _ch("return 2.0 / (2 * np.polyfit(ws, losses, 2)[0])"),
            "folklore 0.01": _ch("return 0.01"),
            "hard-coded to the first visible case": _ch("return 0.25"),
            "slope of two points": _ch("ws, losses = np.asarray(ws, float), np.asarray(losses, float)\n"
                                       "return abs(ws[1] - ws[0]) / abs(losses[1] - losses[0])"),
            "assumes evenly spaced sorted points": _ch("ws, losses = np.asarray(ws, float), np.asarray(losses, float)\n"
                                                       "h = ws[1] - ws[0]\nL = (losses[2] - 2 * losses[1] + losses[0]) / h**2\nreturn 1 / L"),
            "half the best rate": _ch("return 0.5 / (2 * np.polyfit(ws, losses, 2)[0])"),
            "integer division": _ch("return 1 // (2 * np.polyfit(ws, losses, 2)[0])"),
            "sorts the input in place": _ch("order = np.argsort(ws)\nws.sort()\nlosses[:] = np.asarray(losses)[order]\n"
                                            "return 1.0 / (2 * np.polyfit(ws, losses, 2)[0])"),
            "1 over the largest loss": _ch("return 1.0 / max(losses)"),
            "1.8 over L": _ch("return 1.8 / (2 * np.polyfit(ws, losses, 2)[0])"),
        },
        "right": {
            "polyfit": _ch("return 1.0 / (2 * np.polyfit(ws, losses, 2)[0])"),
            "divided differences": _ch("w, f = np.asarray(ws, float)[:3], np.asarray(losses, float)[:3]\n"
                                       "d01 = (f[1] - f[0]) / (w[1] - w[0])\nd12 = (f[2] - f[1]) / (w[2] - w[1])\n"
                                       "L = 2 * (d12 - d01) / (w[2] - w[0])\nreturn 1 / L"),
            "least squares": _ch("w = np.asarray(ws, float)\nA = np.stack([w**2, w, np.ones_like(w)], axis=1)\n"
                                 "a = np.linalg.lstsq(A, np.asarray(losses, float), rcond=None)[0][0]\nreturn 1 / (2 * a)"),
            "just inside the target": _ch("L = 2 * np.polyfit(ws, losses, 2)[0]\nq = float(factor) ** (-1 / (2 * steps))\n"
                                          "return (1 - q / 2) / L"),
        },
    },
}
