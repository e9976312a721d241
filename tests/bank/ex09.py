"""Mutation bank of assignment 9 (the learning rate beyond deep learning): format in tests/bank/__init__.py."""

LS = "def lms_step(w, x, d, mu):\n"
LL = "def lms_step_limits(R):\n"
TD = "def td0_update(V, s, r, s_next, alpha, done, gamma=1.0):\n"
RM = "def robbins_monro_ok(p):\n"
LG = "def lms_gain(R, M):\n"
BISECT = """    lam = np.linalg.eigvalsh(R)
    lo, hi = 0.0, {hi}
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        S = np.sum(mid * lam / (2 * (1 - mid * lam)))
        if {value} < {target}:
            lo = mid
        else:
            hi = mid
    return 0.5 * (lo + hi)
"""

BANK = {
    "lms_step": {
        "wrong": {
            "update_sign": LS + "    e = d - w @ x\n    return w - mu * e * x, e\n",
            "error_sign": LS + "    e = w @ x - d\n    return w + mu * (d - w @ x) * x, e\n",
            "a_posteriori_error": LS + "    w_new = w + mu * (d - w @ x) * x\n    return w_new, d - w_new @ x\n",
            "in_place": LS + "    e = d - w @ x\n    w += mu * e * x\n    return w, e\n",
            "normalised": LS + "    e = d - w @ x\n    return w + mu * e * x / (x @ x), e\n",
            "no_input": LS + "    e = d - w @ x\n    return w + mu * e, e\n",
            "elementwise_error": LS + "    e = d - w * x\n    return w + mu * e * x, e\n",
            "squared_step": LS + "    e = d - w @ x\n    return w + mu**2 * e * x, e\n",
            "error_squared": LS + "    e = d - w @ x\n    return w + mu * e * abs(e) * x, e\n",
            "hard_coded_three_taps": LS + "    e = d - (w[0] * x[0] + w[1] * x[1] + w[2] * x[2])\n    return w + mu * e * x, e\n",
        },
        "right": {
            "loop": LS + "    y = 0.0\n    for wi, xi in zip(w, x):\n        y += wi * xi\n    e = d - y\n"
                         "    return np.array([wi + mu * e * xi for wi, xi in zip(w, x)]), e\n",
            "dot": LS + "    e = float(d - np.dot(w, x))\n    return w + (mu * e) * x, e\n",
            "copy_then_in_place": LS + "    w = w.copy()\n    e = d - np.sum(w * x)\n    w += mu * e * x\n    return w, e\n",
        },
    },
    "lms_step_limits": {
        "wrong": {
            "one_over_lambda": LL + "    lam = np.linalg.eigvalsh(R)\n    return 1 / lam.max(), 2 / np.trace(R)\n",
            "smallest_eigenvalue": LL + "    lam = np.linalg.eigvalsh(R)\n    return 2 / lam.min(), 2 / np.trace(R)\n",
            "largest_entry": LL + "    return 2 / np.max(R), 2 / np.trace(R)\n",
            "sum_of_entries": LL + "    lam = np.linalg.eigvalsh(R)\n    return 2 / lam.max(), 2 / np.sum(R)\n",
            "frobenius": LL + "    return 2 / np.linalg.norm(R), 2 / np.trace(R)\n",
            "safe_bound": LL + "    lam = np.linalg.eigvalsh(R)\n    return 2 / lam.max(), 2 / (3 * np.trace(R))\n",
            "trace_is_size": LL + "    lam = np.linalg.eigvalsh(R)\n    return 2 / lam.max(), 2 / len(R)\n",
            "swapped": LL + "    lam = np.linalg.eigvalsh(R)\n    return 2 / np.trace(R), 2 / lam.max()\n",
            "first_eigenvalue": LL + "    lam = np.linalg.eigvalsh(R)\n    return 2 / lam[0], 2 / np.trace(R)\n",
            "library_shortcut": "from lrcourse import online\n" + LL + "    lim = online.lms_limits(R)\n"
                                                                       "    return lim['mean'], lim['trace']\n",
        },
        "right": {
            "eigvals": LL + "    lam = np.linalg.eigvals(R).real\n    return 2 / max(lam), 2 / sum(np.diag(R))\n",
            "power_iteration": LL + "    v = np.ones(len(R)) + np.arange(len(R)) * 1e-3\n"
                                    "    for _ in range(5000):\n        v = R @ v\n        v = v / np.linalg.norm(v)\n"
                                    "    return 2 / (v @ R @ v), 2 / np.trace(R)\n",
            "spectral_norm": LL + "    return 2 / np.linalg.norm(R, 2), 2 / np.linalg.eigvalsh(R).sum()\n",
        },
    },
    "td0_update": {
        "wrong": {
            "in_place": TD + "    target = r if done else r + gamma * V[s_next]\n    V[s] += alpha * (target - V[s])\n    return V\n",
            "ignores_done": TD + "    V = np.array(V, dtype=float)\n    V[s] += alpha * (r + gamma * V[s_next] - V[s])\n    return V\n",
            "ignores_gamma": TD + "    V = np.array(V, dtype=float)\n    target = r if done else r + V[s_next]\n"
                                 "    V[s] += alpha * (target - V[s])\n    return V\n",
            "updates_next_state": TD + "    V = np.array(V, dtype=float)\n    target = r if done else r + gamma * V[s_next]\n"
                                       "    V[s_next] += alpha * (target - V[s_next])\n    return V\n",
            "wrong_sign": TD + "    V = np.array(V, dtype=float)\n    target = r if done else r + gamma * V[s_next]\n"
                              "    V[s] -= alpha * (target - V[s])\n    return V\n",
            "two_step_update": TD + "    V = np.array(V, dtype=float)\n    V[s] += alpha * (r - V[s])\n"
                                    "    if not done:\n        V[s] += alpha * gamma * V[s_next]\n    return V\n",
            "target_after_update": TD + "    V = np.array(V, dtype=float)\n    V[s] = (1 - alpha) * V[s]\n"
                                        "    V[s] += alpha * (r if done else r + gamma * V[s_next])\n    return V\n",
            "done_means_zero_value": TD + "    V = np.array(V, dtype=float)\n    target = r if done else r + gamma * V[s_next]\n"
                                          "    V[s] += alpha * (target - V[s])\n    if done:\n        V[s_next] = 0.0\n    return V\n",
            "gamma_on_reward": TD + "    V = np.array(V, dtype=float)\n    target = gamma * r if done else gamma * (r + V[s_next])\n"
                                    "    V[s] += alpha * (target - V[s])\n    return V\n",
            "alpha_squared": TD + "    V = np.array(V, dtype=float)\n    target = r if done else r + gamma * V[s_next]\n"
                                  "    V[s] += alpha**2 * (target - V[s])\n    return V\n",
        },
        "right": {
            "blend": TD + "    new = V.astype(float).copy()\n    future = 0.0 if done else gamma * V[s_next]\n"
                          "    new[s] = (1 - alpha) * V[s] + alpha * (r + future)\n    return new\n",
            "where": TD + "    delta = r + (0.0 if done else gamma * V[s_next]) - V[s]\n"
                          "    return np.where(np.arange(len(V)) == s, V + alpha * delta, V)\n",
            "list_copy": TD + "    out = [float(v) for v in V]\n    target = r + (not done) * gamma * V[s_next]\n"
                              "    out[s] = out[s] + alpha * (target - out[s])\n    return np.array(out)\n",
        },
    },
    "robbins_monro_ok": {
        "wrong": {
            "half_included": RM + "    return bool(0.5 <= p <= 1)\n",
            "one_excluded": RM + "    return bool(0.5 < p < 1)\n",
            "only_first_condition": RM + "    return bool(p <= 1)\n",
            "only_second_condition": RM + "    return bool(p > 0.5)\n",
            "any_decay": RM + "    return bool(0 < p <= 1)\n",
            "numerical_sum": RM + "    n = np.arange(1, 100001, dtype=float)\n    a = n ** (-float(p))\n"
                                  "    return bool(a.sum() > 10 and (a**2).sum() < 10)\n",
            "returns_int": RM + "    return int(0.5 < p <= 1)\n",
            "squares_confused": RM + "    return bool(0.25 < p <= 1)\n",
            "rounded": RM + "    p = round(p, 2)\n    return bool(0.5 < p <= 1)\n",
            "only_one": RM + "    return bool(p == 1)\n",
        },
        "right": {
            "two_conditions": RM + "    first = p <= 1          # sum 1/n^p diverges\n"
                                   "    second = 2 * p > 1      # sum 1/n^(2p) converges\n    return bool(first and second)\n",
            "numpy_bool": RM + "    return np.logical_and(np.greater(p, 0.5), np.less_equal(p, 1.0))\n",
            "not_form": RM + "    return not (p <= 0.5 or p > 1)\n",
        },
    },
    "lms_gain": {
        "wrong": {
            "small_step_approximation": LG + "    return 2 * M / np.trace(R)\n",
            "s_equals_m": LG + BISECT.format(hi="1.0 / lam.max()", value="S", target="M"),
            "no_factor_two": LG + BISECT.format(hi="1.0 / lam.max()", value="S", target="M / (1 + M)").replace(
                "(2 * (1 - mid * lam))", "(1 - mid * lam)"),
            "smallest_eigenvalue_only": LG + BISECT.format(hi="1.0 / lam.max()", value="S", target="M / (1 + M)").replace(
                "lam = np.linalg.eigvalsh(R)", "lam = np.linalg.eigvalsh(R)[:1]"),
            "percent": LG + BISECT.format(hi="1.0 / lam.max()", value="S", target="(M / 100) / (1 + M / 100)"),
            "diagonal_as_eigenvalues": LG + BISECT.format(hi="1.0 / lam.max()", value="S", target="M / (1 + M)").replace(
                "lam = np.linalg.eigvalsh(R)", "lam = np.diag(R).copy()"),
            "mean_limit_scaled": LG + "    return M / (1 + M) * 2 / np.linalg.eigvalsh(R).max()\n",
            "few_iterations": LG + BISECT.format(hi="1.0 / lam.max()", value="S", target="M / (1 + M)").replace(
                "range(200)", "range(8)"),
            "approximation_inverted_exactly_for_one_tap": LG + "    lam = np.linalg.eigvalsh(R)\n"
                                                               "    s = M / (1 + M)\n    return 2 * s / (1 + 2 * s) / lam.sum()\n",
            "library_shortcut": "from lrcourse import online\n" + LG + """    lo, hi = 0.0, online.lms_limits(R)['mean_square']
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        lo, hi = (mid, hi) if online.lms_misadjustment(mid, R) < M else (lo, mid)
    return 0.5 * (lo + hi)
""",
        },
        "right": {
            "bisection_on_misadjustment": LG + BISECT.format(hi="1.0 / lam.max()", value="(S / (1 - S) if S < 1 else np.inf)",
                                                             target="M"),
            "safeguarded_newton": LG + """    lam = np.linalg.eigvalsh(R)
    target = M / (1 + M)
    lo, hi = 0.0, 1.0 / lam.max()
    mu = 0.5 * hi
    for _ in range(100):                       # Newton steps, bisection when a step leaves the bracket
        x = mu * lam
        S = np.sum(x / (2 * (1 - x)))
        if S < target:
            lo = mu
        else:
            hi = mu
        new = mu - (S - target) / np.sum(lam / (2 * (1 - x) ** 2))
        mu = new if lo < new < hi else 0.5 * (lo + hi)
    return float(mu)
""",
            "grid_then_bisection": LG + """    lam = np.linalg.eigvalsh(R)

    def mis(mu):
        x = mu * lam
        S = np.sum(x / (2 * (1 - x)))
        return S / (1 - S) if (x.max() < 1 and S < 1) else np.inf

    mus = np.linspace(0, 1 / lam.max(), 1001)[1:-1]
    values = np.array([mis(m) for m in mus])
    k = int(np.argmax(values >= M))
    lo, hi = (mus[k - 1] if k else 0.0), mus[k]
    for _ in range(100):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if mis(mid) < M else (lo, mid)
    return (lo + hi) / 2
""",
        },
    },
}
