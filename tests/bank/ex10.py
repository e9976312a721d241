"""Mutation bank of assignment 10 (see tests/bank/__init__.py for the format)."""

_HVP = "def hvp(grad, x, v, h):\n"
_TOP = "def top_eigenvalue(matvec, dim, iters):\n"

BANK = {
    "hvp": {
        "wrong": {
            "forward_difference": _HVP + "    x, v = np.asarray(x, float), np.asarray(v, float)\n"
                                         "    return (grad(x + h * v) - grad(x)) / h\n",
            "divides_by_h": _HVP + "    x, v = np.asarray(x, float), np.asarray(v, float)\n"
                                   "    return (grad(x + h * v) - grad(x - h * v)) / h\n",
            "forgets_v": _HVP + "    x = np.asarray(x, float)\n"
                                "    return (grad(x + h) - grad(x - h)) / (2 * h)\n",
            "wrong_sign": _HVP + "    x, v = np.asarray(x, float), np.asarray(v, float)\n"
                                 "    return (grad(x - h * v) - grad(x + h * v)) / (2 * h)\n",
            "in_place": _HVP + "    x = np.asarray(x, float); v = np.asarray(v, float)\n"
                               "    x += h * v\n    gp = grad(x)\n    x -= 2 * h * v\n    gm = grad(x)\n"
                               "    return (gp - gm) / (2 * h)\n",
            "assumes_quadratic": _HVP + "    x, v = np.asarray(x, float), np.asarray(v, float)\n"
                                        "    return grad(v)\n",
            "library_shortcut": _HVP + "    class P:\n        x0 = np.asarray(x, float)\n"
                                       "        def grad(self, z): return grad(z)\n"
                                       "    return curvature.hvp(P(), np.asarray(x, float), np.asarray(v, float))\n",
            "no_float_lists": _HVP + "    return (np.asarray(grad([a + h * b for a, b in zip(x, v)]))"
                                     " - grad(x)) / h\n",
            "step_not_scaled": _HVP + "    x, v = np.asarray(x, float), np.asarray(v, float)\n"
                                      "    return (grad(x + v) - grad(x - v)) / 2\n",
        },
        "right": {
            "lists_converted_late": _HVP + "    plus = [a + h * b for a, b in zip(x, v)]\n"
                                           "    minus = [a - h * b for a, b in zip(x, v)]\n"
                                           "    return (np.asarray(grad(np.array(plus))) - np.asarray(grad(np.array(minus))))"
                                           " * (0.5 / h)\n",
            "unit_direction_rescaled": _HVP + "    x, v = np.asarray(x, float), np.asarray(v, float)\n"
                                              "    n = np.linalg.norm(v)\n"
                                              "    if n == 0:\n        return np.zeros_like(x)\n"
                                              "    u = v / n\n"
                                              "    return n * (grad(x + h * n * u) - grad(x - h * n * u)) / (2 * h * n)\n",
            "copies_then_updates": _HVP + "    xp = np.array(x, dtype=float); xm = np.array(x, dtype=float)\n"
                                          "    xp += h * np.asarray(v, float); xm -= h * np.asarray(v, float)\n"
                                          "    return (grad(xp) - grad(xm)) / (2.0 * h)\n",
        },
    },
    "top_eigenvalue": {
        "wrong": {
            "ignores_iters": _TOP + "    v = np.ones(dim)\n    w = matvec(v)\n    return float(v @ w / (v @ v))\n",
            "no_normalising": _TOP + "    v = np.ones(dim)\n    for _ in range(iters):\n        v = matvec(v)\n"
                                     "    return float(v @ matvec(v) / (v @ v))\n",
            "returns_norm_unnormalised": _TOP + "    v = np.ones(dim)\n    for _ in range(iters):\n"
                                                "        w = matvec(v)\n        v = w / np.linalg.norm(w)\n"
                                                "    return float(np.linalg.norm(matvec(np.ones(dim))))\n",
            "builds_matrix": _TOP + "    A = np.column_stack([matvec(e) for e in np.eye(dim)])\n"
                                    "    return float(np.max(np.linalg.eigvalsh(A)))\n",
            "eig_shortcut_after_power": _TOP + "    A = np.array([matvec(e) for e in np.eye(dim)])\n"
                                               "    return float(max(np.linalg.eigvals(A).real))\n",
            "returns_vector": _TOP + "    v = np.ones(dim)\n    for _ in range(iters):\n"
                                     "        w = matvec(v)\n        v = w / np.linalg.norm(w)\n    return v\n",
            "one_iteration_short": _TOP + "    v = np.ones(dim)\n    for _ in range(min(iters, 3)):\n"
                                          "        w = matvec(v)\n        v = w / np.linalg.norm(w)\n"
                                          "    return float(v @ matvec(v))\n",
            "quotient_not_divided": _TOP + "    v = np.ones(dim)\n    for _ in range(iters):\n"
                                           "        v = matvec(v) / dim\n    return float(v @ matvec(v))\n",
            "smallest_by_inverse_guess": _TOP + "    v = np.ones(dim)\n    for _ in range(iters):\n"
                                                "        w = matvec(v)\n        v = w / np.linalg.norm(w)\n"
                                                "    return float(v @ matvec(v)) / dim\n",
            "too_many_products": _TOP + "    v = np.ones(dim)\n    for _ in range(2 * iters):\n"
                                        "        w = matvec(v)\n        v = w / np.linalg.norm(w)\n"
                                        "    return float(v @ matvec(v))\n",
        },
        "right": {
            "rayleigh_without_normalising_each_step_sum": _TOP + "    v = np.ones(dim)\n    for _ in range(iters):\n"
                                                                 "        w = matvec(v)\n        v = w / np.abs(w).max()\n"
                                                                 "    return float(v @ matvec(v) / (v @ v))\n",
            "norm_of_product": _TOP + "    v = np.ones(dim) / np.sqrt(dim)\n    lam = 0.0\n"
                                      "    for _ in range(iters):\n        w = matvec(v)\n"
                                      "        lam = np.linalg.norm(w)\n        v = w / lam\n    return float(lam)\n",
            "while_loop": _TOP + "    v, k, lam = np.ones(dim), 0, None\n    w = matvec(v)\n"
                                 "    while k < iters:\n        v = w / np.sqrt(w @ w)\n        w = matvec(v)\n"
                                 "        lam = v @ w\n        k += 1\n    return float(lam)\n",
        },
    },
    "lr_fast": {
        "wrong": {
            "quadratic_rule": "net = ex10.fast_net()\nlr_fast = 0.99 * 2 / curvature.sharpness(net)\n",
            "half_the_edge": "net = ex10.fast_net()\nlr_fast = 1 / curvature.sharpness(net)\n",
            "far_too_large": "lr_fast = 50.0\n",
            "negative": "lr_fast = -1.5\n",
            "zero": "lr_fast = 0\n",
            "a_string": "lr_fast = '0.8'\n",
            "an_array": "lr_fast = np.array([0.8, 0.9])\n",
            "keras_default": "lr_fast = 0.01\n",
            "nan": "lr_fast = float('nan')\n",
        },
        "right": {
            "catapult_2_6": "lr_fast = 2.6 / curvature.sharpness(ex10.fast_net())\n",
            "plain_number": "lr_fast = 0.75\n",
            "searched": "net = ex10.fast_net()\nlrs = np.geomspace(0.3, 1.5, 12)\n"
                        "h = lrcourse.run(net, optimizers.sgd(lrs), 200, progress=False, loss_every=200)\n"
                        "ok = (h.diverged_at < 0) & (h.loss[-1] < 0.075)\nlr_fast = float(lrs[ok][0])\n",
            "numpy_float": "lr_fast = np.float64(0.8)\n",
        },
    },
}
