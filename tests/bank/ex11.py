"""Mutation bank of assignment 11 (see tests/bank/__init__.py for the format)."""

_NS = "def noise_scale(grads):\n"
_CB = "def critical_batch_fit(batch_sizes, steps):\n"

BANK = {
    "noise_scale": {
        "wrong": {
            "n_minus_1": _NS + "    g = np.asarray(grads, float); G = g.mean(0)\n"
                               "    if G @ G == 0:\n        return np.inf\n"
                               "    return float(np.sum((g - G) ** 2) / (len(g) - 1) / (G @ G))\n",
            "norm_not_squared": _NS + "    g = np.asarray(grads, float); G = g.mean(0)\n"
                                      "    if G @ G == 0:\n        return np.inf\n"
                                      "    return float(np.sum((g - G) ** 2) / len(g) / np.linalg.norm(G))\n",
            "second_moment": _NS + "    g = np.asarray(grads, float); G = g.mean(0)\n"
                                   "    if G @ G == 0:\n        return np.inf\n"
                                   "    return float(np.sum(g ** 2) / len(g) / (G @ G))\n",
            "inverted": _NS + "    g = np.asarray(grads, float); G = g.mean(0)\n"
                              "    t = np.sum((g - G) ** 2) / len(g)\n"
                              "    return float((G @ G) / t) if t else np.inf\n",
            "mean_not_trace": _NS + "    g = np.asarray(grads, float); G = g.mean(0)\n"
                                    "    if G @ G == 0:\n        return np.inf\n"
                                    "    return float(np.mean((g - G) ** 2) / (G @ G))\n",
            "flat_variance": _NS + "    g = np.asarray(grads, float); G = g.mean(0)\n"
                                   "    if G @ G == 0:\n        return np.inf\n"
                                   "    return float(np.var(g) * g.shape[1] / (G @ G))\n",
            "in_place": _NS + "    g = np.asarray(grads, float)\n    G = g.mean(0)\n    g -= G\n"
                              "    if G @ G == 0:\n        return np.inf\n"
                              "    return float(np.sum(g ** 2) / len(g) / (G @ G))\n",
            "zero_without_signal": _NS + "    g = np.asarray(grads, float); G = g.mean(0)\n"
                                         "    if G @ G == 0:\n        return 0.0\n"
                                         "    return float(np.sum((g - G) ** 2) / len(g) / (G @ G))\n",
            "rows_and_columns_swapped": _NS + "    g = np.asarray(grads, float).T; G = g.mean(0)\n"
                                              "    if G @ G == 0:\n        return np.inf\n"
                                              "    return float(np.sum((g - G) ** 2) / len(g) / (G @ G))\n",
        },
        "right": {
            "numpy_division_gives_inf": _NS + "    g = np.asarray(grads, float); G = g.mean(0)\n"
                                              "    return float(np.sum((g - G) ** 2) / len(g) / (G @ G))\n",
            "np_cov": _NS + "    g = np.asarray(grads, dtype=float)\n    G = g.mean(axis=0)\n"
                            "    if not np.any(G):\n        return np.inf\n"
                            "    C = np.atleast_2d(np.cov(g, rowvar=False, bias=True))\n"
                            "    return float(np.trace(C) / np.dot(G, G))\n",
            "loops": _NS + "    n, P = len(grads), len(grads[0])\n"
                           "    G = [sum(float(grads[i][j]) for i in range(n)) / n for j in range(P)]\n"
                           "    s = sum(G[j] ** 2 for j in range(P))\n"
                           "    if s == 0:\n        return float('inf')\n"
                           "    t = sum((float(grads[i][j]) - G[j]) ** 2 for i in range(n) for j in range(P)) / n\n"
                           "    return t / s\n",
            "second_moment_minus_signal": _NS + "    g = np.array(grads, dtype=float)\n    G = g.mean(0)\n"
                                                "    s = float(G @ G)\n"
                                                "    return np.inf if s == 0 else (np.mean(np.sum(g * g, 1)) - s) / s\n",
        },
    },
    "critical_batch_fit": {
        "wrong": {
            "fit_in_B": _CB + "    B = np.asarray(batch_sizes, float)\n"
                              "    b, a = np.polyfit(B, np.asarray(steps, float), 1)\n    return a, b / a\n",
            "slope_not_divided": _CB + "    x = 1 / np.asarray(batch_sizes, float)\n"
                                       "    b, a = np.polyfit(x, np.asarray(steps, float), 1)\n    return a, b\n",
            "swapped": _CB + "    x = 1 / np.asarray(batch_sizes, float)\n"
                             "    b, a = np.polyfit(x, np.asarray(steps, float), 1)\n    return b / a, a\n",
            "two_points": _CB + "    B = np.asarray(batch_sizes, float); S = np.asarray(steps, float)\n"
                                "    i, j = np.argmin(B), np.argmax(B)\n"
                                "    b = (S[i] - S[j]) / (1 / B[i] - 1 / B[j]); a = S[j] - b / B[j]\n"
                                "    return a, b / a\n",
            "e_min_over_s_min": _CB + "    B = np.asarray(batch_sizes, float); S = np.asarray(steps, float)\n"
                                      "    i, j = np.argmin(B), np.argmax(B)\n    return S[j], B[i] * S[i] / S[j]\n",
            "log_log": _CB + "    b, a = np.polyfit(np.log(batch_sizes), np.log(steps), 1)\n"
                             "    return float(np.exp(a)), float(-b)\n",
            "min_steps": _CB + "    x = 1 / np.asarray(batch_sizes, float); S = np.asarray(steps, float)\n"
                               "    b, a = np.polyfit(x, S, 1)\n    return S.min(), b / S.min()\n",
            "sorted_in_place_one": _CB + "    x = 1 / np.asarray(batch_sizes, float)\n"
                                         "    S = np.asarray(steps, float); S.sort()\n"
                                         "    b, a = np.polyfit(x, S, 1)\n    return a, b / a\n",
            "weighted": _CB + "    x = 1 / np.asarray(batch_sizes, float); S = np.asarray(steps, float)\n"
                              "    b, a = np.polyfit(x, S, 1, w=1 / S)\n    return a, b / a\n",
        },
        "right": {
            "lstsq": _CB + "    x = 1.0 / np.asarray(batch_sizes, dtype=float)\n"
                           "    A = np.column_stack([np.ones_like(x), x])\n"
                           "    (a, b), *_ = np.linalg.lstsq(A, np.asarray(steps, dtype=float), rcond=None)\n"
                           "    return float(a), float(b / a)\n",
            "normal_equations": _CB + "    x = [1.0 / b for b in batch_sizes]; y = [float(s) for s in steps]\n"
                                      "    n = len(x); mx = sum(x) / n; my = sum(y) / n\n"
                                      "    b = sum((u - mx) * (w - my) for u, w in zip(x, y)) / sum((u - mx) ** 2 for u in x)\n"
                                      "    a = my - b * mx\n    return a, b / a\n",
            "list_return": _CB + "    x = 1 / np.array(batch_sizes, dtype=float)\n"
                                 "    slope, intercept = np.polyfit(x, np.array(steps, dtype=float), deg=1)\n"
                                 "    return [intercept, slope / intercept]\n",
        },
    },
    "plan": {
        "wrong": {
            "batch_of_one": "plan = (1, 0.0159)\n",
            "huge_batch": "plan = (16384, 1.7)\n",
            "linear_scaling_too_far": "plan = (64, 0.0159 * 64)\n",
            "past_the_edge": "plan = (64, 2.1)\n",
            "fractional_batch": "plan = (64.5, 0.75)\n",
            "swapped": "plan = (0.75, 64)\n",
            "only_the_batch": "plan = 64\n",
            "past_the_knee": "plan = (128, 1.38)\n",
            "negative_rate": "plan = (64, -0.75)\n",
        },
        "right": {
            "by_hand": "plan = (64, 0.75)\n",
            "larger_batch": "plan = [80, 0.9]\n",
            "numpy_types": "plan = (np.int64(72), np.float64(0.85))\n",
            "searched": "model = nqm.NoisyQuadratic.zhang(100)\n"
                        "B = np.arange(50, 110, 2.0)\nlrs = np.geomspace(0.3, 1.5, 40)\n"
                        "st = nqm.steps_to_target(model, 0.01 * model.start_loss, lrs[None, :], B[:, None])\n"
                        "ok = (st <= 200) & (B[:, None] * st <= 13000)\n"
                        "i, j = np.argwhere(ok)[0]\nplan = (int(B[i]), float(lrs[j]))\n",
        },
    },
}
