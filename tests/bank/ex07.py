"""Mutation bank of assignment 7 (choosing a learning rate): format in tests/bank/__init__.py."""

SW = "def lr_sweep(start_lr, end_lr, num_iter):\n"
SM = "def smooth(losses, beta=0.98):\n"
SW_OK = SW + "    return start_lr * (end_lr / start_lr) ** (np.arange(num_iter) / (num_iter - 1))\n\n\n"
SM_OK = SM + ("    avg, out = 0.0, []\n    for i, loss in enumerate(losses):\n"
              "        avg = beta * avg + (1 - beta) * loss\n        out.append(avg / (1 - beta ** (i + 1)))\n"
              "    return np.array(out)\n")
ST = "def steepest_lr(lrs, losses):\n"
SP = "def stop_index(smoothed, factor=4.0):\n"
ST_OK = ST + ("    lrs, losses = np.asarray(lrs, dtype=float), np.asarray(losses, dtype=float)\n"
              "    slopes = np.diff(losses) / np.diff(np.log(lrs))\n    return float(lrs[np.argmin(slopes)])\n\n\n")
SP_OK = SP + ("    best = np.inf\n    for i, value in enumerate(smoothed):\n        if not np.isfinite(value):\n"
              "            return i\n        best = min(best, value)\n        if value > factor * best:\n"
              "            return i\n    return -1\n")
HB = "def hyperband_brackets(R, eta=3):\n"
S_MAX = "    s_max = 0\n    while eta ** (s_max + 1) <= R:\n        s_max += 1\n"
EI = "def expected_improvement(mean, std, best, xi=0.0):\n"
EI_BODY = """    mean, std = np.asarray(mean, dtype=float), np.asarray(std, dtype=float)
    d = best - xi - mean
    out = np.maximum(d, 0.0)
    for i in np.ndindex(mean.shape):
        if std[i] > 0:
            z = d[i] / std[i]
            Phi = 0.5 * (1 + math.erf(z / math.sqrt(2)))
            phi = math.exp(-0.5 * z * z) / math.sqrt(2 * math.pi)
            out[i] = {value}
    return out
"""
HR = "def hyperband_R(budget, eta=3):\n"


def _cost(s_max="    s_max = 0\n        while eta ** (s_max + 1) <= R:\n            s_max += 1\n",
          n="-(-(s_max + 1) * eta**s // (s + 1))", r="R / eta**s", rung="(n // eta**i) * r * eta**i",
          rungs="range(s + 1)"):
    return (HR + "    def cost(R):\n    " + s_max.replace("\n    ", "\n    ") +
            f"        total = 0.0\n        for s in range(s_max, -1, -1):\n            n = {n}\n            r = {r}\n"
            f"            total += sum({rung} for i in {rungs})\n        return total\n\n")


LINEAR = "    R = 1\n    while cost(R + 1) <= budget:\n        R += 1\n    return R\n"

BANK = {
    "sweep_and_smooth": {
        "wrong": {
            "linear_sweep": SW + "    return np.linspace(start_lr, end_lr, num_iter)\n\n\n" + SM_OK,
            "sweep_misses_end": SW + "    return start_lr * (end_lr / start_lr) ** (np.arange(num_iter) / num_iter)\n\n\n" + SM_OK,
            "sweep_one_too_many": SW + "    return start_lr * (end_lr / start_lr) ** (np.arange(num_iter + 1) / num_iter)\n\n\n" + SM_OK,
            "no_bias_correction": SW_OK + SM + "    avg, out = 0.0, []\n    for loss in losses:\n"
                                              "        avg = beta * avg + (1 - beta) * loss\n        out.append(avg)\n"
                                              "    return np.array(out)\n",
            "correction_off_by_one": SW_OK + SM + "    avg, out = 0.0, []\n    for i, loss in enumerate(losses, start=1):\n"
                                                  "        avg = beta * avg + (1 - beta) * loss\n"
                                                  "        out.append(avg / (1 - beta ** (i + 1)))\n    return np.array(out)\n",
            "starts_at_first_loss": SW_OK + SM + "    avg, out = losses[0], []\n    for loss in losses:\n"
                                                 "        avg = beta * avg + (1 - beta) * loss\n        out.append(avg)\n"
                                                 "    return np.array(out)\n",
            "beta_swapped": SW_OK + SM + "    avg, out = 0.0, []\n    for i, loss in enumerate(losses):\n"
                                         "        avg = (1 - beta) * avg + beta * loss\n"
                                         "        out.append(avg / (1 - (1 - beta) ** (i + 1)))\n    return np.array(out)\n",
            "in_place": SW_OK + SM + "    avg = 0.0\n    for i in range(len(losses)):\n"
                                     "        avg = beta * avg + (1 - beta) * losses[i]\n"
                                     "        losses[i] = avg / (1 - beta ** (i + 1))\n    return np.asarray(losses, dtype=float)\n",
            "integer_exponent": SW + "    return start_lr * (end_lr / start_lr) ** (np.arange(num_iter) // (num_iter - 1))\n\n\n" + SM_OK,
            "library_shortcut": "from lrcourse import search\n" + SW + "    return search.exponential_sweep(start_lr, end_lr, num_iter)\n\n\n"
                                + SM + "    return search.smooth_losses(np.asarray(losses, dtype=float), beta)\n",
        },
        "right": {
            "geomspace": SW + "    return np.geomspace(start_lr, end_lr, num_iter)\n\n\n" + SM_OK,
            "logspace_vectorised": SW + "    return np.logspace(np.log10(start_lr), np.log10(end_lr), num_iter)\n\n\n"
                                   + SM + "    losses = np.asarray(losses, dtype=float)\n    i = np.arange(losses.size)\n"
                                          "    W = np.tril(beta ** (i[:, None] - i[None, :]))\n"
                                          "    return (1 - beta) * (W @ losses) / (1 - beta ** (i + 1))\n",
            "loop_ratio": SW + "    q = (end_lr / start_lr) ** (1 / (num_iter - 1))\n    rates = [start_lr]\n"
                               "    for _ in range(num_iter - 1):\n        rates.append(rates[-1] * q)\n    return np.array(rates)\n\n\n"
                          + SM + "    out = np.empty(len(losses))\n    avg = 0.0\n    for i, loss in enumerate(losses):\n"
                                 "        avg = beta * avg + (1 - beta) * loss\n        out[i] = avg / (1 - beta ** (i + 1))\n"
                                 "    return out\n",
        },
    },
    "steepest_and_stop": {
        "wrong": {
            "stop_no_nan_check": ST_OK + SP + "    best = np.inf\n    for i, value in enumerate(smoothed):\n"
                                              "        best = min(best, value)\n        if value > factor * best:\n"
                                              "            return i\n    return -1\n",
            "stop_greater_equal": ST_OK + SP + "    best = np.inf\n    for i, value in enumerate(smoothed):\n"
                                               "        if not np.isfinite(value):\n            return i\n"
                                               "        best = min(best, value)\n        if value >= factor * best:\n"
                                               "            return i\n    return -1\n",
            "stop_one_late": ST_OK + SP + "    best = np.inf\n    for i, value in enumerate(smoothed):\n"
                                          "        if not np.isfinite(value):\n            return i + 1\n"
                                          "        best = min(best, value)\n        if value > factor * best:\n"
                                          "            return i + 1\n    return -1\n",
            "stop_first_value": ST_OK + SP + "    for i, value in enumerate(smoothed):\n"
                                             "        if not np.isfinite(value) or value > factor * smoothed[0]:\n"
                                             "            return i\n    return -1\n",
            "stop_returns_none": ST_OK + SP + "    best = np.inf\n    for i, value in enumerate(smoothed):\n"
                                              "        if not np.isfinite(value):\n            return i\n"
                                              "        best = min(best, value)\n        if value > factor * best:\n"
                                              "            return i\n    return None\n",
            "stop_inf_only": ST_OK + SP + "    best = np.inf\n    for i, value in enumerate(smoothed):\n"
                                          "        if value == np.inf:\n            return i\n"
                                          "        best = min(best, value)\n        if value > factor * best:\n"
                                          "            return i\n    return -1\n",
            "steepest_no_log": ST + "    lrs, losses = np.asarray(lrs, dtype=float), np.asarray(losses, dtype=float)\n"
                                   "    return float(lrs[np.argmin(np.diff(losses))])\n\n\n" + SP_OK,
            "steepest_right_end": ST + "    lrs, losses = np.asarray(lrs, dtype=float), np.asarray(losses, dtype=float)\n"
                                       "    return float(lrs[np.argmin(np.diff(losses) / np.diff(np.log(lrs))) + 1])\n\n\n" + SP_OK,
            "steepest_linear_lr": ST + "    lrs, losses = np.asarray(lrs, dtype=float), np.asarray(losses, dtype=float)\n"
                                       "    return float(lrs[np.argmin(np.diff(losses) / np.diff(lrs))])\n\n\n" + SP_OK,
            "steepest_central": ST + "    lrs, losses = np.asarray(lrs, dtype=float), np.asarray(losses, dtype=float)\n"
                                     "    return float(lrs[np.argmin(np.gradient(losses, np.log(lrs)))])\n\n\n" + SP_OK,
            "steepest_min_loss": ST + "    return float(lrs[np.argmin(losses)])\n\n\n" + SP_OK,
        },
        "right": {
            "log10_loop": ST + "    best, pick = np.inf, None\n    for i in range(len(lrs) - 1):\n"
                               "        slope = (losses[i + 1] - losses[i]) / (np.log10(lrs[i + 1]) - np.log10(lrs[i]))\n"
                               "        if slope < best:\n            best, pick = slope, float(lrs[i])\n    return pick\n\n\n"
                          + SP + "    best = np.inf\n    for i, value in enumerate(smoothed):\n"
                                 "        if not (value > -np.inf and value < np.inf):\n            return i\n"
                                 "        if value > factor * min(best, value):\n            return i\n"
                                 "        best = min(best, value)\n    return -1\n",
            "vectorised": ST_OK + SP + "    s = np.asarray(smoothed, dtype=float)\n    finite = np.isfinite(s)\n"
                                       "    best = np.minimum.accumulate(np.where(finite, s, np.inf))\n"
                                       "    bad = ~finite | (s > factor * best)\n"
                                       "    return int(np.argmax(bad)) if bad.any() else -1\n",
            "best_before": ST_OK + SP + "    best = np.inf\n    for i, value in enumerate(smoothed):\n"
                                        "        if np.isnan(value) or np.isinf(value) or value > factor * best:\n"
                                        "            return i\n        best = min(best, value)\n    return -1\n",
        },
    },
    "hyperband_brackets": {
        "wrong": {
            "r_integer_division": HB + S_MAX + "    out = []\n    for s in range(s_max, -1, -1):\n"
                                               "        n = -(-(s_max + 1) * eta**s // (s + 1))\n        r = R // eta**s\n"
                                               "        out.append([(n // eta**i, r * eta**i) for i in range(s + 1)])\n    return out\n",
            "s_max_rounded_log": "import math\n" + HB + "    s_max = round(math.log(R) / math.log(eta))\n    out = []\n"
                                 "    for s in range(s_max, -1, -1):\n        n = math.ceil((s_max + 1) * eta**s / (s + 1))\n"
                                 "        r = R * eta**(-s)\n        out.append([(n // eta**i, r * eta**i) for i in range(s + 1)])\n"
                                 "    return out\n",
            "s_max_float_log": "import math\n" + HB + "    s_max = int(math.log(R) / math.log(eta))\n    out = []\n"
                               "    for s in range(s_max, -1, -1):\n        n = math.ceil((s_max + 1) * eta**s / (s + 1))\n"
                               "        r = R * eta**(-s)\n        out.append([(n // eta**i, r * eta**i) for i in range(s + 1)])\n"
                               "    return out\n",
            "n_truncated": HB + S_MAX + "    out = []\n    for s in range(s_max, -1, -1):\n"
                                        "        n = int((s_max + 1) * eta**s / (s + 1))\n        r = R / eta**s\n"
                                        "        out.append([(n // eta**i, r * eta**i) for i in range(s + 1)])\n    return out\n",
            "n_i_not_floored": HB + S_MAX + "    out = []\n    for s in range(s_max, -1, -1):\n"
                                            "        n = -(-(s_max + 1) * eta**s // (s + 1))\n        r = R / eta**s\n"
                                            "        out.append([(n / eta**i, r * eta**i) for i in range(s + 1)])\n    return out\n",
            "brackets_reversed": HB + S_MAX + "    out = []\n    for s in range(0, s_max + 1):\n"
                                              "        n = -(-(s_max + 1) * eta**s // (s + 1))\n        r = R / eta**s\n"
                                              "        out.append([(n // eta**i, r * eta**i) for i in range(s + 1)])\n    return out\n",
            "budget_off_by_one": HB + S_MAX + "    out = []\n    for s in range(s_max, -1, -1):\n"
                                              "        n = -(-s_max * eta**s // (s + 1))\n        r = R / eta**s\n"
                                              "        out.append([(n // eta**i, r * eta**i) for i in range(s + 1)])\n    return out\n",
            "missing_last_rung": HB + S_MAX + "    out = []\n    for s in range(s_max, -1, -1):\n"
                                              "        n = -(-(s_max + 1) * eta**s // (s + 1))\n        r = R / eta**s\n"
                                              "        out.append([(n // eta**i, r * eta**i) for i in range(max(s, 1))])\n    return out\n",
            "n_i_float_floor": "import math\n" + HB + S_MAX + "    out = []\n    for s in range(s_max, -1, -1):\n"
                               "        n = -(-(s_max + 1) * eta**s // (s + 1))\n        r = R / eta**s\n"
                               "        out.append([(math.floor(n * eta**(-i)), r * eta**i) for i in range(s + 1)])\n    return out\n",
            "eta_fixed_at_3": HB + "    eta = 3\n" + S_MAX + "    out = []\n    for s in range(s_max, -1, -1):\n"
                                   "        n = -(-(s_max + 1) * eta**s // (s + 1))\n        r = R / eta**s\n"
                                   "        out.append([(n // eta**i, r * eta**i) for i in range(s + 1)])\n    return out\n",
            "library_shortcut": "from lrcourse import search\n" + HB + "    return search.hyperband_schedule(R, eta)\n",
        },
        "right": {
            "float_resource": "import math\n" + HB + S_MAX + "    out = []\n    for s in range(s_max, -1, -1):\n"
                              "        n = math.ceil((s_max + 1) / (s + 1) * eta**s - 1e-9)\n        r = R * eta**(-s)\n"
                              "        out.append([(int(n // eta**i), r * eta**i) for i in range(s + 1)])\n    return out\n",
            "log_with_guard": "import math\n" + HB + "    s_max = int(math.log(R) / math.log(eta) + 1e-9)\n"
                              "    B = (s_max + 1) * R\n    out = []\n    for s in reversed(range(s_max + 1)):\n"
                              "        n = math.ceil(B / R * eta**s / (s + 1) - 1e-9)\n        r = R / eta**s\n"
                              "        rungs, n_i, r_i = [], n, r\n        for i in range(s + 1):\n"
                              "            rungs.append((n // eta**i, r_i))\n            r_i = r_i * eta\n"
                              "        out.append(rungs)\n    return out\n",
            "numpy": HB + S_MAX + "    out = []\n    for s in range(s_max, -1, -1):\n"
                                  "        n = -(-(s_max + 1) * eta**s // (s + 1))\n        i = np.arange(s + 1)\n"
                                  "        ns = n // eta ** i\n        rs = R / eta**s * float(eta) ** i\n"
                                  "        out.append(list(zip(ns.tolist(), rs.tolist())))\n    return out\n",
        },
    },
    "expected_improvement": {
        "wrong": {
            "maximisation": EI + EI_BODY.replace("d = best - xi - mean", "d = mean - best - xi").format(
                value="d[i] * Phi + std[i] * phi"),
            "xi_sign": EI + EI_BODY.replace("d = best - xi - mean", "d = best + xi - mean").format(
                value="d[i] * Phi + std[i] * phi"),
            "ignores_xi": EI + EI_BODY.replace("d = best - xi - mean", "d = best - mean").format(
                value="d[i] * Phi + std[i] * phi"),
            "no_std_zero_case": EI + "    mean, std = np.asarray(mean, dtype=float), np.asarray(std, dtype=float)\n"
                                     "    d = best - xi - mean\n    with np.errstate(all='ignore'):\n        z = d / std\n"
                                     "    erf = np.vectorize(math.erf)\n    Phi = 0.5 * (1 + erf(z / np.sqrt(2)))\n"
                                     "    phi = np.exp(-0.5 * z * z) / np.sqrt(2 * np.pi)\n    return d * Phi + std * phi\n",
            "pdf_cdf_swapped": EI + EI_BODY.format(value="d[i] * phi + std[i] * Phi"),
            "only_first_term": EI + EI_BODY.format(value="d[i] * Phi"),
            "variance_not_std": EI + EI_BODY.replace("z = d[i] / std[i]", "z = d[i] / std[i] ** 2").format(
                value="d[i] * Phi + std[i] * phi"),
            "std_zero_gives_zero": EI + EI_BODY.replace("out = np.maximum(d, 0.0)", "out = np.zeros_like(d)").format(
                value="d[i] * Phi + std[i] * phi"),
            "erf_without_sqrt2": EI + EI_BODY.replace("math.erf(z / math.sqrt(2))", "math.erf(z)").format(
                value="d[i] * Phi + std[i] * phi"),
            "library_shortcut": "from lrcourse import search\n" + EI + "    return search.expected_improvement(mean, std, best, xi)\n",
        },
        "right": {
            "vectorised_erf": EI + "    mean, std = np.asarray(mean, dtype=float), np.asarray(std, dtype=float)\n"
                                   "    d = best - xi - mean\n    safe = np.where(std > 0, std, 1.0)\n    z = d / safe\n"
                                   "    Phi = 0.5 * (1 + np.vectorize(math.erf)(z / np.sqrt(2)))\n"
                                   "    phi = np.exp(-0.5 * z**2) / np.sqrt(2 * np.pi)\n"
                                   "    return np.where(std > 0, d * Phi + std * phi, np.maximum(d, 0.0))\n",
            "erfc_form": EI + EI_BODY.replace("0.5 * (1 + math.erf(z / math.sqrt(2)))", "0.5 * math.erfc(-z / math.sqrt(2))").format(
                value="d[i] * Phi + std[i] * phi"),
            "flat_loop": EI + "    mean, std = np.asarray(mean, dtype=float), np.asarray(std, dtype=float)\n"
                              "    out = []\n    for m, s in zip(mean.ravel(), std.ravel()):\n        d = best - xi - m\n"
                              "        if s == 0:\n            out.append(max(d, 0.0))\n            continue\n"
                              "        z = d / s\n        out.append(d * 0.5 * (1 + math.erf(z / 2**0.5)) + s * math.exp(-z * z / 2) / (2 * math.pi)**0.5)\n"
                              "    return np.array(out).reshape(mean.shape)\n",
        },
    },
    "hyperband_budget": {
        "wrong": {
            "r_integer_division": _cost(r="R // eta**s") + LINEAR,
            "s_max_rounded_log": _cost(s_max="    s_max = round(math.log(R) / math.log(eta))\n") + LINEAR,
            "single_bracket_budget": HR + "    def cost(R):\n        s_max = 0\n        while eta ** (s_max + 1) <= R:\n"
                                          "            s_max += 1\n        return (s_max + 1) * R\n\n" + LINEAR,
            "paper_total_budget": HR + "    def cost(R):\n        s_max = 0\n        while eta ** (s_max + 1) <= R:\n"
                                       "            s_max += 1\n        return (s_max + 1) ** 2 * R\n\n" + LINEAR,
            "first_rungs_only": _cost(rungs="range(1)") + LINEAR,
            "counts_settings": _cost(rung="(n // eta**i)") + LINEAR,
            "one_too_far": _cost() + "    R = 1\n    while cost(R) <= budget:\n        R += 1\n    return R\n",
            "powers_only": _cost() + "    R = 1\n    while cost(R * eta) <= budget:\n        R *= eta\n    return R\n",
            "returns_cost": _cost() + "    R = 1\n    while cost(R + 1) <= budget:\n        R += 1\n    return cost(R)\n",
            "uses_question_3": HR + "    R = 1\n    while sum(n * r for b in hyperband_brackets(R + 1, 3) for n, r in b) <= budget:\n"
                                    "        R += 1\n    return R\n",
        },
        "right": {
            "linear": _cost() + LINEAR,
            "bisection_float_r": _cost(r="R * eta**(-s)") + "    lo, hi = 1, budget\n    while hi - lo > 1:\n"
                                                           "        mid = (lo + hi) // 2\n"
                                                           "        lo, hi = (mid, hi) if cost(mid) <= budget else (lo, mid)\n"
                                                           "    return int(lo)\n",
            "numpy_cost": HR + """    def cost(R):
        s_max = int(np.floor(np.log(R) / np.log(eta) + 1e-9))
        total = 0.0
        for s in range(s_max + 1):
            n = int(np.ceil((s_max + 1) * eta**s / (s + 1) - 1e-9))
            i = np.arange(s + 1)
            total += float(np.sum((n // eta**i) * (R / eta**s) * float(eta) ** i))
        return total

    R = 1
    while cost(2 * R) <= budget:
        R *= 2
    step = R // 2
    while step >= 1:
        if cost(R + step) <= budget:
            R += step
        step //= 2
    return np.int64(R)
""",
        },
    },
}

for _entry in BANK.values():                                    # the sources that use math get it imported
    for _kind in _entry.values():
        for _name, _src in _kind.items():
            if "math." in _src and "import math" not in _src:
                _kind[_name] = "import math\n" + _src
