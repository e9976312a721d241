"""Mutation bank of assignment 5 (momentum and Nesterov): format in tests/bank/__init__.py."""

HB = "def heavy_ball_step(x, x_prev, grad, alpha, beta):\n"
PS = "def polyak_settings(L, mu):\n"
ST = "def is_stable(lr, beta, lam):\n"
TH = "def to_heavy_ball(lr, momentum, dampening):\n"
TU = "def tune_heavy_ball(H, steps):\n"
POLYAK = """
def _polyak(L, mu):
    sL, smu = np.sqrt(L), np.sqrt(mu)
    return (2 / (sL + smu)) ** 2, ((sL - smu) / (sL + smu)) ** 2
"""

BANK = {
    "heavy_ball_step": {
        "wrong": {
            "momentum_sign": HB + "    return x - alpha * grad(x) - beta * (x - x_prev), x\n",
            "returns_old_prev": HB + "    return x - alpha * grad(x) + beta * (x - x_prev), x_prev\n",
            "swapped_pair": HB + "    return x, x - alpha * grad(x) + beta * (x - x_prev)\n",
            "in_place": HB + "    v = x - x_prev\n    x_old = np.copy(x)\n    x -= alpha * grad(x)\n"
                             "    x += beta * v\n    return x, x_old\n",
            "lr_on_momentum": HB + "    return x - alpha * (grad(x) + beta * (x - x_prev)), x\n",
            "effective_rate": HB + "    return x - alpha / (1 - beta) * grad(x) + beta * (x - x_prev), x\n",
            "nesterov_lookahead": HB + "    y = x + beta * (x - x_prev)\n    return y - alpha * grad(y), x\n",
            "no_momentum": HB + "    return x - alpha * grad(x), x\n",
            "grad_at_prev": HB + "    return x - alpha * grad(x_prev) + beta * (x - x_prev), x\n",
            "arrays_only": HB + "    x_new = x.copy()\n    x_new = x_new - alpha * grad(x) + beta * (x - x_prev)\n"
                                "    return x_new, x.copy()\n",
            "dampened": HB + "    return x - alpha * (1 - beta) * grad(x) + beta * (x - x_prev), x\n",
        },
        "right": {
            "velocity_first": HB + "    velocity = x - x_prev\n    x_new = x - alpha * grad(x) + beta * velocity\n"
                                   "    return x_new, x\n",
            "asarray": HB + "    x, x_prev = np.asarray(x, dtype=float), np.asarray(x_prev, dtype=float)\n"
                            "    return (1 + beta) * x - beta * x_prev - alpha * grad(x), x.copy()\n",
            "tuple_copy": HB + "    g = grad(x)\n    new = x + beta * (x - x_prev)\n    new = new - alpha * g\n"
                               "    return (new, np.copy(x))\n",
            "list_result": HB + "    return [x - alpha * grad(x) + beta * (x - x_prev), x]\n",
        },
    },
    "polyak_settings": {
        "wrong": {
            "beta_not_squared": PS + "    sL, smu = np.sqrt(L), np.sqrt(mu)\n"
                                     "    return (2 / (sL + smu)) ** 2, (sL - smu) / (sL + smu)\n",
            "alpha_not_squared": PS + "    sL, smu = np.sqrt(L), np.sqrt(mu)\n"
                                      "    return 2 / (sL + smu), ((sL - smu) / (sL + smu)) ** 2\n",
            "gd_rate": PS + "    sL, smu = np.sqrt(L), np.sqrt(mu)\n"
                            "    return 2 / (L + mu), ((sL - smu) / (sL + smu)) ** 2\n",
            "kappa_not_sqrt": PS + "    k = L / mu\n    return (2 / (np.sqrt(L) + np.sqrt(mu))) ** 2, ((k - 1) / (k + 1)) ** 2\n",
            "nesterov_settings": PS + "    s = np.sqrt(L / mu)\n    return 1 / L, (s - 1) / (s + 1)\n",
            "one_minus_ratio": PS + "    return (2 / (np.sqrt(L) + np.sqrt(mu))) ** 2, (1 - np.sqrt(mu / L)) ** 2\n",
            "integer_division": PS + "    sL, smu = np.sqrt(L), np.sqrt(mu)\n"
                                     "    return (2 // (sL + smu)) ** 2, ((sL - smu) / (sL + smu)) ** 2\n",
            "hard_coded": PS + "    table = {(1.0, 0.01): (3.305785123966942, 0.6694214876033057), (25, 1): (1 / 9, 4 / 9),\n"
                               "             (4.0, 4.0): (0.25, 0.0), (2.0, 0.5): (0.8888888888888886, 1 / 9),\n"
                               "             (0.5, 0.08): (4.081632653061224, 0.18367346938775514)}\n"
                               "    return table[(L, mu)]\n",
            "theory_shortcut": "from lrcourse import theory\n" + PS + "    return theory.polyak_momentum(L, mu)\n",
            "swapped_outputs": PS + "    sL, smu = np.sqrt(L), np.sqrt(mu)\n"
                                    "    return ((sL - smu) / (sL + smu)) ** 2, (2 / (sL + smu)) ** 2\n",
        },
        "right": {
            "kappa_form": PS + "    k = np.sqrt(L / mu)\n    return 4 / (L * (1 + 1 / k) ** 2), ((k - 1) / (k + 1)) ** 2\n",
            "math_sqrt": "import math\n" + PS + "    a = 4 / (math.sqrt(L) + math.sqrt(mu)) ** 2\n"
                                                "    r = (math.sqrt(L) - math.sqrt(mu)) / (math.sqrt(L) + math.sqrt(mu))\n"
                                                "    return a, r * r\n",
            "from_edges": PS + "    # 1 - sqrt(a mu) = sqrt(b) and sqrt(a L) - 1 = sqrt(b): solve for sqrt(a), then b\n"
                               "    root_a = 2 / (np.sqrt(L) + np.sqrt(mu))\n"
                               "    return float(root_a ** 2), float((1 - root_a * np.sqrt(mu)) ** 2)\n",
        },
    },
    "is_stable": {
        "wrong": {
            "gd_edge": ST + "    return bool(lr * lam < 2)\n",
            "edge_2_plus_beta": ST + "    return bool(lr * lam < 2 + beta)\n",
            "edge_inclusive_3pct": ST + "    return bool(lr * lam <= (2 + 2 * beta) * 1.03)\n",
            "edge_3pct_low": ST + "    return bool(lr * lam < 0.97 * (2 + 2 * beta))\n",
            "effective_rate": ST + "    return bool(lr * lam / (1 - beta) < 2)\n",
            "polyak_boundary": ST + "    return bool(lr * lam < (1 + np.sqrt(beta)) ** 2)\n",
            "nesterov_edge": ST + "    return bool(lr * lam < (2 + 2 * beta) / (1 + 2 * beta))\n",
            "returns_margin": ST + "    return 2 + 2 * beta - lr * lam\n",
            "squared": ST + "    return bool(lr * lam < 2 * (1 + beta) ** 2)\n",
            "simulated_short": ST + "    x = x_prev = 1.0\n    for _ in range(200):\n"
                                    "        x, x_prev = x - lr * lam * x + beta * (x - x_prev), x\n"
                                    "    return bool(abs(x) < 1)\n",
            "theory_shortcut": "from lrcourse import theory\n" + ST + "    return bool(theory.momentum_stable(lr, beta, lam))\n",
        },
        "right": {
            "roots": ST + "    z = np.roots([1.0, -(1 + beta - lr * lam), beta])\n    return bool(np.abs(z).max() < 1)\n",
            "abs_form": ST + "    return abs(1 + beta - lr * lam) < 1 + beta\n",
            "numpy_bool": ST + "    return np.less(lr * lam, 2 * (1 + beta))\n",
            "matrix": ST + "    M = np.array([[1 + beta - lr * lam, -beta], [1.0, 0.0]])\n"
                           "    return bool(np.abs(np.linalg.eigvals(M)).max() < 1)\n",
        },
    },
    "to_heavy_ball": {
        "wrong": {
            "ignores_dampening": TH + "    return lr, momentum\n",
            "effective_rate": TH + "    return lr * (1 - dampening) / (1 - momentum), momentum\n",
            "damps_beta": TH + "    return lr * (1 - dampening), momentum * (1 - dampening)\n",
            "dampening_not_complement": TH + "    return lr * dampening, momentum\n",
            "one_minus_momentum": TH + "    return lr * (1 - momentum), momentum\n",
            "divides": TH + "    return lr / (1 - dampening + 1e-12), momentum\n",
            "swapped": TH + "    return momentum, lr * (1 - dampening)\n",
            "beta_from_dampening": TH + "    return lr * (1 - dampening), dampening\n",
            "hard_coded": TH + "    return {0.0: (lr, momentum), 0.9: (lr * 0.1, momentum), 0.2: (lr * 0.8, momentum),\n"
                               "            0.5: (lr * 0.5, momentum)}[dampening]\n",
            "returns_one": TH + "    return lr * (1 - dampening) * momentum\n",
        },
        "right": {
            "numpy_floats": TH + "    return float(np.multiply(lr, 1 - dampening)), float(momentum)\n",
            "list": TH + "    return [lr - lr * dampening, momentum]\n",
            "from_buffer": TH + "    # x_t - x_(t+1) = lr b_(t+1) = momentum (x_(t-1) - x_t) + lr (1 - dampening) g_t\n"
                                "    alpha = lr * (1.0 - dampening)\n    beta = momentum\n    return alpha, beta\n",
        },
    },
    "tune_heavy_ball": {
        "wrong": {
            "diagonal_curvatures": POLYAK + TU + "    d = np.diag(H)\n    return _polyak(d.max(), d.min())\n",
            "gradient_descent": TU + "    lam = np.linalg.eigvalsh(H)\n    return 2 / (lam.max() + lam.min()), 0.0\n",
            "nesterov_settings": TU + "    lam = np.linalg.eigvalsh(H)\n    s = np.sqrt(lam.max() / lam.min())\n"
                                      "    return 1 / lam.max(), (s - 1) / (s + 1)\n",
            "beta_not_squared": TU + "    lam = np.linalg.eigvalsh(H)\n    sL, smu = np.sqrt(lam.max()), np.sqrt(lam.min())\n"
                                     "    return (2 / (sL + smu)) ** 2, (sL - smu) / (sL + smu)\n",
            "mean_for_mu": POLYAK + TU + "    lam = np.linalg.eigvalsh(H)\n    return _polyak(lam.max(), lam.mean())\n",
            "kappa_not_sqrt": TU + "    lam = np.linalg.eigvalsh(H)\n    k = lam.max() / lam.min()\n"
                                   "    return (2 / (np.sqrt(lam.max()) + np.sqrt(lam.min()))) ** 2, ((k - 1) / (k + 1)) ** 2\n",
            "too_bold": POLYAK + TU + "    lam = np.linalg.eigvalsh(H)\n    a, b = _polyak(lam.max(), lam.min())\n"
                                      "    return 1.05 * a, b\n",
            "default_settings": TU + "    return 0.01, 0.9\n",
            "effective_rate_kept": TU + "    lam = np.linalg.eigvalsh(H)\n    return 0.1 * (2 / (lam.max() + lam.min())), 0.9\n",
            "largest_eig_only": TU + "    L = np.linalg.eigvalsh(H).max()\n    return 1 / L, 0.9\n",
            "theory_shortcut": "from lrcourse import theory\n" + TU + "    lam = np.linalg.eigvalsh(H)\n"
                                                                   "    return theory.polyak_momentum(lam.max(), lam.min())\n",
        },
        "right": {
            "backed_off": POLYAK + TU + "    lam = np.linalg.eigvalsh(H)\n    a, b = _polyak(lam.max(), lam.min())\n"
                                        "    return 0.98 * a, b\n",
            "eig_svd": POLYAK + TU + "    s = np.linalg.svd(H, compute_uv=False)\n    return _polyak(s[0], s[-1])\n",
            "grid_search": TU + """    lam = np.linalg.eigvalsh(H)                      # simulate every eigen-direction on a grid

    def worst(lr, beta):                             # (a, b) grids -> worst |x_steps| over the directions
        x = np.ones(lr.shape + lam.shape)
        x_prev = x.copy()
        lr, beta = lr[..., None], beta[..., None]
        with np.errstate(all="ignore"):
            for _ in range(steps):
                x, x_prev = x - lr * lam * x + beta * (x - x_prev), x
            w = np.abs(x).max(axis=-1)
        return np.where(np.isfinite(w), w, np.inf)

    lr, beta = np.meshgrid(np.linspace(0.5, 4.0, 36) / lam.max(), np.linspace(0.0, 0.999, 200))
    w = worst(lr, beta)
    i = np.unravel_index(np.argmin(w), w.shape)
    dl, db = 0.1 / lam.max(), 0.005                  # then a finer grid around the best cell
    lr, beta = np.meshgrid(np.linspace(lr[i] - dl, lr[i] + dl, 41), np.clip(np.linspace(beta[i] - db, beta[i] + db, 41), 0, 0.9999))
    w = worst(lr, beta)
    i = np.unravel_index(np.argmin(w), w.shape)
    return float(lr[i]), float(beta[i])
""",
        },
    },
}
