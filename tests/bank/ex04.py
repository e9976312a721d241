"""Mutation bank of assignment 4 (format: tests/bank/__init__.py)."""
from functools import partial

from . import define

_cos = partial(define, "def cosine_lr(t, lr, T_max, eta_min=0.0):")
_wc = partial(define, "def warmup_cosine(t, peak_lr, warmup_steps, total_steps):")
_oc = partial(define, "def one_cycle_momentum(t, total_steps, pct_start):")
_ds = partial(define, "def design_schedule(eigenvalues, sigma, x0, steps, target):")

_COS = "t = np.asarray(t, dtype=float)\nreturn eta_min + (lr - eta_min) * (1 + np.cos(np.pi * t / T_max)) / 2"

_WC = """
t = np.asarray(t, dtype=float)
ramp = peak_lr * t / max(warmup_steps, 1)
after = peak_lr * (1 + np.cos(np.pi * (t - warmup_steps) / (total_steps - warmup_steps))) / 2
return np.where(t < warmup_steps, ramp, after)
"""

_OC = """
t = np.asarray(t, dtype=float)
peak, last = pct_start * total_steps - 1, total_steps - 1
half_cosine = lambda a, b, p: b + (a - b) * (1 + np.cos(np.pi * p)) / 2
return np.where(t <= peak, half_cosine(0.95, 0.85, t / peak), half_cosine(0.85, 0.95, (t - peak) / (last - peak)))
"""

_DS = """
t = np.arange(steps)
peaks = np.geomspace(0.01, 1.99, 100)[:, None] / np.max(eigenvalues)
cosines = peaks * (1 + np.cos(np.pi * t / steps)) / 2
losses = ex04.expected_final_loss(cosines, eigenvalues, sigma, x0)
return cosines[np.argmin(losses)]
"""

BANK = {
    "cosine_lr": {
        "wrong": {
            "stops at T_max": _cos("t = np.asarray(t, dtype=float)\nreturn np.where(t <= T_max, eta_min + (lr - eta_min) * (1 + np.cos(np.pi * t / T_max)) / 2, eta_min)"),
            "T_max off by one": _cos(_COS.replace("t / T_max", "t / (T_max + 1)")),
            "ignores eta_min": _cos("t = np.asarray(t, dtype=float)\nreturn lr * (1 + np.cos(np.pi * t / T_max)) / 2"),
            "eta_min added on top": _cos("t = np.asarray(t, dtype=float)\nreturn eta_min + lr * (1 + np.cos(np.pi * t / T_max)) / 2"),
            "upside down": _cos(_COS.replace("(1 + np.cos", "(1 - np.cos")),
            "no pi": _cos(_COS.replace("np.pi * t / T_max", "t / T_max")),
            "integer division": _cos("t = np.asarray(t)\nreturn eta_min + (lr - eta_min) * (1 + np.cos(np.pi * (t // T_max))) / 2"),
            "if on an array": _cos("if t > T_max:\n    t = T_max\nreturn eta_min + (lr - eta_min) * (1 + np.cos(np.pi * t / T_max)) / 2"),
            "math.cos": _cos("import math\nreturn eta_min + (lr - eta_min) * (1 + math.cos(math.pi * t / T_max)) / 2"),
            "forbidden library shortcut": _cos("return schedules.cosine(lr, T_max, eta_min)(np.asarray(t))"),
            "quarter cosine": _cos(_COS.replace("(1 + np.cos(np.pi * t / T_max)) / 2", "np.cos(np.pi * t / (2 * T_max))")),
            "lists not converted": _cos("return eta_min + (lr - eta_min) * (1 + np.cos(np.pi * (t if not isinstance(t, list) else t[0]) / T_max)) / 2"),
        },
        "right": {
            "the formula": _cos(_COS),
            "sin squared": _cos("t = np.asarray(t, dtype=float)\nreturn lr - (lr - eta_min) * np.sin(np.pi * t / (2 * T_max)) ** 2"),
            "loop": _cos("import math\nif np.ndim(t) == 0:\n    return eta_min + (lr - eta_min) * (1 + math.cos(math.pi * t / T_max)) / 2\n"
                         "return np.array([cosine_lr(s, lr, T_max, eta_min) for s in np.asarray(t)])"),
        },
    },
    "warmup_cosine": {
        "wrong": {
            "cosine counter not restarted": _wc(_WC.replace("(t - warmup_steps) / (total_steps - warmup_steps)", "t / total_steps")),
            "cosine over all steps": _wc(_WC.replace("(total_steps - warmup_steps)", "total_steps")),
            "torch LinearLR convention": _wc(_WC.replace("peak_lr * t / max(warmup_steps, 1)", "peak_lr * (t + 1) / max(warmup_steps, 1)")),
            "ramp one step short": _wc(_WC.replace("max(warmup_steps, 1)", "max(warmup_steps - 1, 1)")),
            "divides by warmup_steps = 0": _wc("ramp = peak_lr * t / warmup_steps\nt = np.asarray(t, dtype=float)\n"
                                               "after = peak_lr * (1 + np.cos(np.pi * (t - warmup_steps) / (total_steps - warmup_steps))) / 2\n"
                                               "return np.where(t < warmup_steps, ramp, after)"),
            "forbidden library shortcut": _wc("return schedules.warmup(schedules.cosine(peak_lr, total_steps - warmup_steps), warmup_steps)(np.asarray(t))"),
            "no warmup": _wc("t = np.asarray(t, dtype=float)\nreturn peak_lr * (1 + np.cos(np.pi * t / total_steps)) / 2"),
            "if on an array": _wc("if t < warmup_steps:\n    return peak_lr * t / warmup_steps\n"
                                  "return peak_lr * (1 + np.cos(np.pi * (t - warmup_steps) / (total_steps - warmup_steps))) / 2"),
            "warmup from a tenth": _wc(_WC.replace("peak_lr * t / max(warmup_steps, 1)", "peak_lr * (0.1 + 0.9 * t / max(warmup_steps, 1))")),
            "ends at half the peak": _wc(_WC.replace("(1 + np.cos(", "(3 + np.cos(").replace(")) / 2", ")) / 4")),
        },
        "right": {
            "the formula": _wc(_WC),
            "clip": _wc("t = np.asarray(t, dtype=float)\nw = warmup_steps\nphase = np.clip((t - w) / (total_steps - w), 0, 1)\n"
                        "cos = peak_lr * (1 + np.cos(np.pi * phase)) / 2\nreturn np.where(t < w, peak_lr * t / max(w, 1), cos)"),
            "loop": _wc("import math\ndef one(s):\n    if s < warmup_steps:\n        return peak_lr * s / warmup_steps\n"
                        "    return peak_lr * (1 + math.cos(math.pi * (s - warmup_steps) / (total_steps - warmup_steps))) / 2\n"
                        "if np.ndim(t) == 0:\n    return one(t)\nreturn np.array([one(s) for s in np.asarray(t)])"),
        },
    },
    "milestones": {
        "wrong": {
            "none": "milestones = []\n",
            "too early": "milestones = [5]\n",
            "too late": "milestones = [280]\n",
            "four of them": "milestones = [100, 200, 250, 290]\n",
            "negative": "milestones = [-1]\n",
            "not a whole step": "milestones = [100.5]\n",
            "a string": 'milestones = "100"\n',
            "the last step": "milestones = [299]\n",
            "decays twice at once": "milestones = [100, 100]\n",
            "two early drops": "milestones = [30, 100]\n",
        },
        "right": {
            "one drop": "milestones = [100]\n",
            "an int": "milestones = 100\n",
            "a float": "milestones = [100.0]\n",
            "two drops": "milestones = (80, 290)\n",
            "an array": "milestones = np.array([70])\n",
        },
    },
    "one_cycle_momentum": {
        "wrong": {
            "phase ends at pct*T": _oc(_OC.replace("pct_start * total_steps - 1", "pct_start * total_steps")),
            "last step at total_steps": _oc(_OC.replace("last = pct_start * total_steps - 1, total_steps - 1", "last = pct_start * total_steps - 1, total_steps")),
            "linear phases": _oc("t = np.asarray(t, dtype=float)\npeak, last = pct_start * total_steps - 1, total_steps - 1\n"
                                 "return np.where(t <= peak, 0.95 - 0.1 * t / peak, 0.85 + 0.1 * (t - peak) / (last - peak))"),
            "swapped ends": _oc(_OC.replace("half_cosine(0.95, 0.85, t / peak), half_cosine(0.85, 0.95,", "half_cosine(0.85, 0.95, t / peak), half_cosine(0.95, 0.85,")),
            "constant": _oc("return np.full(np.shape(t), 0.9)"),
            "integer phase boundary": _oc(_OC.replace("pct_start * total_steps - 1,", "int(pct_start * total_steps) - 1,")),
            "forbidden library shortcut": _oc("return schedules.one_cycle(1.0, total_steps, pct_start=pct_start).momentum(np.asarray(t))"),
            "ignores pct_start": _oc(_OC.replace("pct_start * total_steps - 1", "0.3 * total_steps - 1")),
            "one phase over all steps": _oc("t = np.asarray(t, dtype=float)\nreturn 0.9 + 0.05 * np.cos(2 * np.pi * t / (total_steps - 1))"),
            "if on an array": _oc("peak, last = pct_start * total_steps - 1, total_steps - 1\nif t <= peak:\n    return 0.9 + 0.05 * np.cos(np.pi * t / peak)\n"
                                  "return 0.9 - 0.05 * np.cos(np.pi * (t - peak) / (last - peak))"),
        },
        "right": {
            "the formula": _oc(_OC),
            "0.9 plus or minus": _oc("t = np.asarray(t, dtype=float)\npeak = pct_start * total_steps - 1\n"
                                     "up = 0.9 + 0.05 * np.cos(np.pi * t / peak)\n"
                                     "down = 0.9 - 0.05 * np.cos(np.pi * (t - peak) / (total_steps - 1 - peak))\nreturn np.where(t <= peak, up, down)"),
            "loop": _oc("import math\npeak, last = pct_start * total_steps - 1, total_steps - 1\nout = []\nfor s in np.asarray(t):\n"
                        "    if s <= peak:\n        out.append(0.85 + 0.1 * (1 + math.cos(math.pi * s / peak)) / 2)\n"
                        "    else:\n        out.append(0.95 - 0.1 * (1 + math.cos(math.pi * (s - peak) / (last - peak))) / 2)\nreturn np.array(out)"),
        },
    },
    "design_schedule": {
        "wrong": {
            "best constant rate": _ds("peaks = np.geomspace(0.01, 1.99, 100)[:, None] / np.max(eigenvalues)\n"
                                      "flat = np.repeat(peaks, steps, axis=1)\nreturn flat[np.argmin(ex04.expected_final_loss(flat, eigenvalues, sigma, x0))]"),
            "cosine from 1/L": _ds("t = np.arange(steps)\nreturn (1 + np.cos(np.pi * t / steps)) / 2 / np.max(eigenvalues)"),
            "cosine near the edge": _ds("t = np.arange(steps)\nreturn 1.9 * (1 + np.cos(np.pi * t / steps)) / 2 / np.max(eigenvalues)"),
            "greedy per step": _ds("lam, m = np.asarray(eigenvalues, float), np.asarray(x0, float) ** 2\nrates = []\nfor _ in range(steps):\n"
                                   "    lr = np.sum(lam**2 * m) / np.sum(lam * (lam**2 * m + sigma**2))\n"
                                   "    m = (1 - lr * lam) ** 2 * m + lr**2 * sigma**2\n    rates.append(lr)\nreturn np.array(rates)"),
            "tuned on the wrong problem": _ds(_DS.replace("ex04.expected_final_loss(cosines, eigenvalues, sigma, x0)", "ex04.expected_final_loss(cosines)")),
            "one rate short": _ds(_DS.replace("return cosines[np.argmin(losses)]", "return cosines[np.argmin(losses)][:-1]")),
            "step decay at half": _ds("t = np.arange(steps)\nreturn np.where(t < steps // 2, 1.0, 0.1) / np.max(eigenvalues)"),
            "quick final decay": _ds("t = np.arange(steps)\nlr = 1 / np.max(eigenvalues)\nreturn np.where(t < steps - steps // 10, lr, lr * (steps - t) / (steps // 10))"),
            "tuned on the flat curvature": _ds("t = np.arange(steps)\nreturn (1 + np.cos(np.pi * t / steps)) / 2 / np.min(eigenvalues)"),
            "worst cosine": _ds(_DS.replace("np.argmin(losses)", "np.argmax(losses)")),
        },
        "right": {
            "cosine search": _ds(_DS),
            "linear search": _ds("t = np.arange(steps)\npeaks = np.geomspace(0.01, 1.99, 150)[:, None] / np.max(eigenvalues)\n"
                                 "lines = peaks * (1 - t / steps)\nreturn lines[np.argmin(ex04.expected_final_loss(lines, eigenvalues, sigma, x0))]"),
            "best of cosine and linear, refined": _ds("t = np.arange(steps)\nL = np.max(eigenvalues)\n"
                                                      "def best(peaks):\n    shapes = np.concatenate([peaks * (1 + np.cos(np.pi * t / steps)) / 2, peaks * (1 - t / steps)])\n"
                                                      "    return shapes[np.argmin(ex04.expected_final_loss(shapes, eigenvalues, sigma, x0))]\n"
                                                      "coarse = best(np.geomspace(0.01, 1.99, 30)[:, None] / L)\n"
                                                      "return best(np.geomspace(coarse[0] / 1.3, min(coarse[0] * 1.3, 1.99 / L), 30)[:, None])"),
        },
    },
}
