"""Mutation bank of assignment 6 (adaptive methods): format in tests/bank/__init__.py."""

AD = "def adam_step(x, g, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):\n"
MV = "    m = beta1 * m + (1 - beta1) * g\n    v = beta2 * v + (1 - beta2) * g * g\n"
FS = "def first_step_size(g, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8, bias_correction=True):\n"
AW = "def adamw_step(x, g, m, v, t, lr=1e-3, weight_decay=1e-2, beta1=0.9, beta2=0.999, eps=1e-8):\n"
AG = "def adagrad_rates(grads, lr=0.01, eps=1e-10):\n"
RM = "def rmsprop_rates(grads, lr=0.01, alpha=0.99, eps=1e-8):\n"
AG_OK = AG + "    grads = np.asarray(grads, dtype=float)\n    return lr / (np.sqrt(np.cumsum(grads**2)) + eps)\n\n\n"
RM_OK = RM + ("    v, rates = 0.0, []\n    for g in np.asarray(grads, dtype=float):\n"
              "        v = alpha * v + (1 - alpha) * g * g\n        rates.append(lr / (np.sqrt(v) + eps))\n"
              "    return np.array(rates)\n")
ID = "def identify_optimizer(grads, moves):\n"
UNITS = '''
def _average(a, beta, start=None):
    out, avg = [], np.zeros(a.shape[1]) if start is None else start
    for row in a:
        avg = beta * avg + (1 - beta) * row
        out.append(avg)
    return np.array(out)


def _units(grads, correct_adam=True, rms_start=None, square=True):
    t = np.arange(1, len(grads) + 1)[:, None]
    g2 = grads**2 if square else np.abs(grads)
    m_hat, v_hat = _average(grads, 0.9), _average(g2, 0.999)
    if correct_adam:
        m_hat, v_hat = m_hat / (1 - 0.9**t), v_hat / (1 - 0.999**t)
    return {"sgd": grads, "adagrad": grads / (np.sqrt(np.cumsum(g2, axis=0)) + 1e-10),
            "rmsprop": grads / (np.sqrt(_average(g2, 0.99, rms_start)) + 1e-8),
            "adam": m_hat / (np.sqrt(v_hat) + 1e-8)}


def _spread(units, moves):
    out = {}
    for name, u in units.items():
        with np.errstate(all="ignore"):
            ratio = -moves / u
        out[name] = np.std(np.log(ratio)) if np.all(ratio > 0) else np.inf
    return out

'''

BANK = {
    "adam_step": {
        "wrong": {
            "eps_inside_sqrt": AD + MV + "    return x - lr * (m / (1 - beta1**t)) / np.sqrt(v / (1 - beta2**t) + eps), m, v\n",
            "no_bias_correction": AD + MV + "    return x - lr * m / (np.sqrt(v) + eps), m, v\n",
            "correction_off_by_one": AD + MV + "    return x - lr * (m / (1 - beta1**(t + 1))) / (np.sqrt(v / (1 - beta2**(t + 1))) + eps), m, v\n",
            "abs_not_square": AD + "    m = beta1 * m + (1 - beta1) * g\n    v = beta2 * v + (1 - beta2) * np.abs(g)\n"
                                   "    return x - lr * (m / (1 - beta1**t)) / (np.sqrt(v / (1 - beta2**t)) + eps), m, v\n",
            "in_place": AD + "    m *= beta1\n    m += (1 - beta1) * g\n    v *= beta2\n    v += (1 - beta2) * g * g\n"
                             "    return x - lr * (m / (1 - beta1**t)) / (np.sqrt(v / (1 - beta2**t)) + eps), m, v\n",
            "betas_swapped": AD + "    m = beta2 * m + (1 - beta2) * g\n    v = beta1 * v + (1 - beta1) * g * g\n"
                                  "    return x - lr * (m / (1 - beta2**t)) / (np.sqrt(v / (1 - beta1**t)) + eps), m, v\n",
            "ascent": AD + MV + "    return x + lr * (m / (1 - beta1**t)) / (np.sqrt(v / (1 - beta2**t)) + eps), m, v\n",
            "only_m_corrected": AD + MV + "    return x - lr * (m / (1 - beta1**t)) / (np.sqrt(v) + eps), m, v\n",
            "paper_efficient_no_eps_hat": AD + MV + "    step = lr * np.sqrt(1 - beta2**t) / (1 - beta1**t)\n"
                                                    "    return x - step * m / (np.sqrt(v) + eps), m, v\n",
            "no_one_minus_beta": AD + "    m = beta1 * m + g\n    v = beta2 * v + g * g\n"
                                      "    return x - lr * (m / (1 - beta1**t)) / (np.sqrt(v / (1 - beta2**t)) + eps), m, v\n",
            "library_shortcut": "from lrcourse import optimizers\n" + AD +
                                "    opt = optimizers.adam(lr=lr, betas=(beta1, beta2), eps=eps)\n"
                                "    state = {'optimizer': 'adam', 'step': t - 1, 'exp_avg': m, 'exp_avg_sq': v}\n"
                                "    x, state = opt.step(x, g, state)\n    return x, state['exp_avg'], state['exp_avg_sq']\n",
        },
        "right": {
            "paper_efficient": AD + MV + "    step = lr * np.sqrt(1 - beta2**t) / (1 - beta1**t)\n"
                                         "    return x - step * m / (np.sqrt(v) + eps * np.sqrt(1 - beta2**t)), m, v\n",
            "numpy_ops": AD + "    m = np.add(np.multiply(beta1, m), np.multiply(1 - beta1, g))\n"
                              "    v = np.add(np.multiply(beta2, v), np.multiply(1 - beta2, np.square(g)))\n"
                              "    denom = np.sqrt(v / (1 - np.power(beta2, t))) + eps\n"
                              "    return x - lr * (m / (1 - np.power(beta1, t))) / denom, m, v\n",
            "copies_then_in_place": AD + "    x, m, v = x.copy(), m.copy(), v.copy()\n    m *= beta1\n    m += (1 - beta1) * g\n"
                                         "    v *= beta2\n    v += (1 - beta2) * g**2\n"
                                         "    x -= lr * (m / (1 - beta1**t)) / (np.sqrt(v / (1 - beta2**t)) + eps)\n"
                                         "    return x, m, v\n",
        },
    },
    "first_step_size": {
        "wrong": {
            "ignores_flag": FS + "    g = np.abs(np.asarray(g, dtype=float))\n    return lr * g / (g + eps)\n",
            "signed": FS + "    g = np.asarray(g, dtype=float)\n    m1, v1 = (1 - beta1) * g, (1 - beta2) * g * g\n"
                           "    if bias_correction:\n        m1, v1 = m1 / (1 - beta1), v1 / (1 - beta2)\n"
                           "    return lr * m1 / (np.sqrt(v1) + eps)\n",
            "eps_inside_sqrt": FS + "    g = np.abs(np.asarray(g, dtype=float))\n    m1, v1 = (1 - beta1) * g, (1 - beta2) * g * g\n"
                                    "    if bias_correction:\n        m1, v1 = m1 / (1 - beta1), v1 / (1 - beta2)\n"
                                    "    return lr * m1 / np.sqrt(v1 + eps)\n",
            "no_eps": FS + "    g = np.asarray(g, dtype=float)\n    size = lr if bias_correction else lr * (1 - beta1) / np.sqrt(1 - beta2)\n"
                           "    return size * np.ones_like(g)\n",
            "uncorrected_no_sqrt": FS + "    g = np.abs(np.asarray(g, dtype=float))\n"
                                        "    if bias_correction:\n        return lr * g / (g + eps)\n"
                                        "    return lr * (1 - beta1) * g / ((1 - beta2) * g + eps)\n",
            "arrays_only": FS + "    g = np.abs(g.copy())\n    m1, v1 = (1 - beta1) * g, (1 - beta2) * g * g\n"
                                "    if bias_correction:\n        m1, v1 = m1 / (1 - beta1), v1 / (1 - beta2)\n"
                                "    return lr * m1 / (np.sqrt(v1) + eps)\n",
            "in_place_abs": FS + "    if isinstance(g, np.ndarray):\n        np.abs(g, out=g)\n    else:\n        g = abs(g)\n"
                                 "    m1, v1 = (1 - beta1) * g, (1 - beta2) * g * g\n"
                                 "    if bias_correction:\n        m1, v1 = m1 / (1 - beta1), v1 / (1 - beta2)\n"
                                 "    return lr * m1 / (np.sqrt(v1) + eps)\n",
            "flag_inverted": FS + "    g = np.abs(np.asarray(g, dtype=float))\n    m1, v1 = (1 - beta1) * g, (1 - beta2) * g * g\n"
                                  "    if not bias_correction:\n        m1, v1 = m1 / (1 - beta1), v1 / (1 - beta2)\n"
                                  "    return lr * m1 / (np.sqrt(v1) + eps)\n",
            "corrects_only_m": FS + "    g = np.abs(np.asarray(g, dtype=float))\n    m1, v1 = (1 - beta1) * g, (1 - beta2) * g * g\n"
                                    "    if bias_correction:\n        m1 = m1 / (1 - beta1)\n"
                                    "    return lr * m1 / (np.sqrt(v1) + eps)\n",
        },
        "right": {
            "closed_form": FS + "    a = np.abs(np.asarray(g, dtype=float))\n    if bias_correction:\n"
                                "        return lr * a / (a + eps)\n"
                                "    return lr * (1 - beta1) * a / (np.sqrt(1 - beta2) * a + eps)\n",
            "simulate_one_step": FS + "    g = np.asarray(g, dtype=float)\n    m = (1 - beta1) * g\n    v = (1 - beta2) * g**2\n"
                                      "    if bias_correction:\n        m, v = m / (1 - beta1), v / (1 - beta2)\n"
                                      "    x1 = 0.0 - lr * m / (np.sqrt(v) + eps)\n    return np.abs(x1)\n",
            "python_numbers": "import math\n" + FS + "    if np.ndim(g) == 0:\n        a = abs(float(g))\n"
                              "        m1, v1 = (1 - beta1) * a, (1 - beta2) * a * a\n"
                              "        if bias_correction:\n            m1, v1 = m1 / (1 - beta1), v1 / (1 - beta2)\n"
                              "        return lr * m1 / (math.sqrt(v1) + eps)\n"
                              "    return np.array([first_step_size(x, lr, beta1, beta2, eps, bias_correction) for x in np.ravel(g)]).reshape(np.shape(g))\n",
        },
    },
    "effective_rates": {
        "wrong": {
            "adagrad_eps_inside_sqrt": AG + "    grads = np.asarray(grads, dtype=float)\n"
                                            "    return lr / np.sqrt(np.cumsum(grads**2) + eps)\n\n\n" + RM_OK,
            "adagrad_mean": AG + "    grads = np.asarray(grads, dtype=float)\n"
                                 "    return lr / (np.sqrt(np.cumsum(grads**2) / np.arange(1, grads.size + 1)) + eps)\n\n\n" + RM_OK,
            "adagrad_excludes_current": AG + "    grads = np.asarray(grads, dtype=float)\n"
                                             "    G = np.concatenate([[0.0], np.cumsum(grads**2)[:-1]])\n"
                                             "    return lr / (np.sqrt(G) + eps)\n\n\n" + RM_OK,
            "adagrad_in_place": AG + "    grads **= 2\n    return lr / (np.sqrt(np.cumsum(grads)) + eps)\n\n\n" + RM_OK,
            "rmsprop_bias_corrected": AG_OK + RM + "    v, rates = 0.0, []\n"
                                                   "    for t, g in enumerate(np.asarray(grads, dtype=float), start=1):\n"
                                                   "        v = alpha * v + (1 - alpha) * g * g\n"
                                                   "        rates.append(lr / (np.sqrt(v / (1 - alpha**t)) + eps))\n"
                                                   "    return np.array(rates)\n",
            "rmsprop_starts_at_first_g2": AG_OK + RM + "    grads = np.asarray(grads, dtype=float)\n    v, rates = grads[0]**2, []\n"
                                                       "    for g in grads:\n        v = alpha * v + (1 - alpha) * g * g\n"
                                                       "        rates.append(lr / (np.sqrt(v) + eps))\n    return np.array(rates)\n",
            "rmsprop_alpha_swapped": AG_OK + RM + "    v, rates = 0.0, []\n    for g in np.asarray(grads, dtype=float):\n"
                                                  "        v = (1 - alpha) * v + alpha * g * g\n"
                                                  "        rates.append(lr / (np.sqrt(v) + eps))\n    return np.array(rates)\n",
            "rmsprop_eps_inside_sqrt": AG_OK + RM + "    v, rates = 0.0, []\n    for g in np.asarray(grads, dtype=float):\n"
                                                    "        v = alpha * v + (1 - alpha) * g * g\n"
                                                    "        rates.append(lr / np.sqrt(v + eps))\n    return np.array(rates)\n",
            "rates_times_gradient": AG + "    grads = np.asarray(grads, dtype=float)\n"
                                         "    return lr * np.abs(grads) / (np.sqrt(np.cumsum(grads**2)) + eps)\n\n\n" + RM_OK,
            "arrays_only": AG + "    return lr / (np.sqrt(np.cumsum(grads * grads)) + eps)\n\n\n" + RM_OK,
            "library_shortcut": "from lrcourse import optimizers\n" + AG + "    opt = optimizers.adagrad(lr=lr, eps=eps)\n"
                                "    x, state, out = np.zeros(1), opt.init(np.zeros(1)), []\n"
                                "    for g in grads:\n        x, state = opt.step(x, np.array([g]), state)\n"
                                "        out.append(opt.effective_lr(state)[0])\n    return np.array(out)\n\n\n" + RM_OK,
        },
        "right": {
            "loops": AG + "    G, out = 0.0, []\n    for g in grads:\n        G = G + g * g\n"
                          "        out.append(lr / (G**0.5 + eps))\n    return np.array(out)\n\n\n"
                     + RM + "    v, out = 0.0, []\n    for g in grads:\n        v = alpha * v + (1 - alpha) * g**2\n"
                            "        out.append(lr / (v**0.5 + eps))\n    return np.array(out)\n",
            "vectorised_rmsprop": AG_OK + RM + "    g2 = np.asarray(grads, dtype=float) ** 2\n    T = g2.size\n"
                                               "    k = np.arange(T)\n    W = np.tril(alpha ** (k[:, None] - k[None, :]))\n"
                                               "    v = (1 - alpha) * (W @ g2)\n    return lr / (np.sqrt(v) + eps)\n",
            "lists": AG + "    G, out = 0.0, []\n    for g in list(grads):\n        G += float(g) ** 2\n"
                          "        out.append(lr / (np.sqrt(G) + eps))\n    return np.asarray(out)\n\n\n"
                     + RM + "    v, out = 0.0, []\n    for g in list(grads):\n        v *= alpha\n        v += (1 - alpha) * float(g) ** 2\n"
                            "        out.append(lr / (np.sqrt(v) + eps))\n    return np.asarray(out)\n",
        },
    },
    "adamw_step": {
        "wrong": {
            "l2_penalty": AW + "    g = g + weight_decay * x\n" + MV +
                              "    return x - lr * (m / (1 - beta1**t)) / (np.sqrt(v / (1 - beta2**t)) + eps), m, v\n",
            "decay_after_step": AW + MV + "    x = x - lr * (m / (1 - beta1**t)) / (np.sqrt(v / (1 - beta2**t)) + eps)\n"
                                          "    return x * (1 - lr * weight_decay), m, v\n",
            "decay_without_lr": AW + "    x = x * (1 - weight_decay)\n" + MV +
                                    "    return x - lr * (m / (1 - beta1**t)) / (np.sqrt(v / (1 - beta2**t)) + eps), m, v\n",
            "decay_wrong_sign": AW + "    x = x * (1 + lr * weight_decay)\n" + MV +
                                    "    return x - lr * (m / (1 - beta1**t)) / (np.sqrt(v / (1 - beta2**t)) + eps), m, v\n",
            "in_place": AW + "    x *= 1 - lr * weight_decay\n" + MV +
                             "    return x - lr * (m / (1 - beta1**t)) / (np.sqrt(v / (1 - beta2**t)) + eps), m, v\n",
            "ignores_decay": AW + MV + "    return x - lr * (m / (1 - beta1**t)) / (np.sqrt(v / (1 - beta2**t)) + eps), m, v\n",
            "no_bias_correction": AW + "    x = x * (1 - lr * weight_decay)\n" + MV +
                                       "    return x - lr * m / (np.sqrt(v) + eps), m, v\n",
            "eps_inside_sqrt": AW + "    x = x * (1 - lr * weight_decay)\n" + MV +
                                    "    return x - lr * (m / (1 - beta1**t)) / np.sqrt(v / (1 - beta2**t) + eps), m, v\n",
            "decay_normalised": AW + MV + "    v_hat = v / (1 - beta2**t)\n    step = (m / (1 - beta1**t)) / (np.sqrt(v_hat) + eps)\n"
                                         "    return x - lr * (step + weight_decay * x / (np.sqrt(v_hat) + eps)), m, v\n",
            "decay_squared": AW + "    x = x * (1 - lr * weight_decay) ** 2\n" + MV +
                                  "    return x - lr * (m / (1 - beta1**t)) / (np.sqrt(v / (1 - beta2**t)) + eps), m, v\n",
        },
        "right": {
            "subtract_decay": AW + MV + "    step = lr * (m / (1 - beta1**t)) / (np.sqrt(v / (1 - beta2**t)) + eps)\n"
                                        "    return x - lr * weight_decay * x - step, m, v\n",
            "copy_then_in_place": AW + "    x = x.copy()\n    x *= 1 - lr * weight_decay\n" + MV +
                                       "    x -= lr * (m / (1 - beta1**t)) / (np.sqrt(v / (1 - beta2**t)) + eps)\n    return x, m, v\n",
            "decay_inside_step": AW + MV + "    step = (m / (1 - beta1**t)) / (np.sqrt(v / (1 - beta2**t)) + eps)\n"
                                           "    return x - lr * (step + weight_decay * x), m, v\n",
            "paper_efficient": AW + "    x = (1 - lr * weight_decay) * x\n" + MV +
                                    "    c = np.sqrt(1 - beta2**t)\n"
                                    "    return x - lr * c / (1 - beta1**t) * m / (np.sqrt(v) + eps * c), m, v\n",
        },
    },
    "identify_optimizer": {
        "wrong": {
            "always_adam": ID + "    return 'adam'\n",
            "capitalised": UNITS + ID + "    s = _spread(_units(np.asarray(grads, float)), np.asarray(moves, float))\n"
                                        "    return {'sgd': 'SGD', 'adagrad': 'Adagrad', 'rmsprop': 'RMSprop', 'adam': 'Adam'}[min(s, key=s.get)]\n",
            "labels_swapped": UNITS + ID + "    s = _spread(_units(np.asarray(grads, float)), np.asarray(moves, float))\n"
                                           "    name = min(s, key=s.get)\n"
                                           "    return {'adagrad': 'rmsprop', 'rmsprop': 'adagrad'}.get(name, name)\n",
            "rmsprop_tf_start": UNITS + ID + "    grads = np.asarray(grads, float)\n"
                                             "    s = _spread(_units(grads, rms_start=grads[0] ** 2), np.asarray(moves, float))\n"
                                             "    return min(s, key=s.get)\n",
            "abs_not_square": UNITS + ID + "    s = _spread(_units(np.asarray(grads, float), square=False), np.asarray(moves, float))\n"
                                           "    return min(s, key=s.get)\n",
            "first_step_only": ID + "    g, d = np.asarray(grads, float)[0], np.asarray(moves, float)[0]\n"
                                    "    r = np.abs(d / g)\n    if np.ptp(r) < 1e-6 * r.mean():\n        return 'sgd'\n"
                                    "    return 'adam'\n",
            "closest_default_rate": UNITS + ID + "    grads, moves = np.asarray(grads, float), np.asarray(moves, float)\n"
                                                 "    defaults = {'sgd': 1e-3, 'adagrad': 1e-2, 'rmsprop': 1e-2, 'adam': 1e-3}\n"
                                                 "    err = {n: np.abs(moves + defaults[n] * u).sum() for n, u in _units(grads).items()}\n"
                                                 "    return min(err, key=err.get)\n",
            "shrinking_steps_means_adagrad": ID + "    grads, moves = np.asarray(grads, float), np.asarray(moves, float)\n"
                                                  "    r = np.abs(moves / grads)\n"
                                                  "    if np.allclose(r, r[0, 0]):\n        return 'sgd'\n"
                                                  "    size = np.abs(moves).mean(axis=1)\n"
                                                  "    if size[0] > 5 * size[1:].mean():\n        return 'rmsprop'\n"
                                                  "    return 'adagrad' if size[-1] < size[0] else 'adam'\n",
            "no_square_root": UNITS + ID + "    grads, moves = np.asarray(grads, float), np.asarray(moves, float)\n"
                                           "    units = {n: u for n, u in _units(grads).items()}\n"
                                           "    g2 = grads**2\n"
                                           "    units['adagrad'] = grads / (np.cumsum(g2, axis=0) + 1e-10)\n"
                                           "    units['rmsprop'] = grads / (_average(g2, 0.99) + 1e-8)\n"
                                           "    s = _spread(units, moves)\n    return min(s, key=s.get)\n",
            "sign_only": ID + "    grads, moves = np.asarray(grads, float), np.asarray(moves, float)\n"
                              "    if np.all(np.sign(moves) == -np.sign(grads)):\n"
                              "        r = np.abs(moves / grads)\n        return 'sgd' if np.ptp(r) < 1e-9 * r.max() else 'adagrad'\n"
                              "    return 'adam'\n",
        },
        "right": {
            "least_squares": UNITS + ID + "    grads, moves = np.asarray(grads, float), np.asarray(moves, float)\n"
                                          "    best, name = np.inf, None\n"
                                          "    for n, u in _units(grads).items():\n"
                                          "        lr = -np.sum(moves * u) / np.sum(u * u)\n"
                                          "        err = np.linalg.norm(moves + lr * u) / np.linalg.norm(moves)\n"
                                          "        if err < best:\n            best, name = err, n\n    return name\n",
            "max_ratio_spread": UNITS + ID + "    grads, moves = np.asarray(grads, float), np.asarray(moves, float)\n"
                                             "    spread = {}\n    for n, u in _units(grads).items():\n"
                                             "        r = np.abs(moves / u)\n        spread[n] = r.max() / r.min()\n"
                                             "    return min(spread, key=spread.get)\n",
            "torch_like_replay": ID + """    grads, moves = np.asarray(grads, float), np.asarray(moves, float)
    lr_guess = {}
    def replay(name, lr):                       # the optimizer's moves with rate lr, written out
        m = v = s = G = np.zeros(grads.shape[1])
        out = []
        for t, g in enumerate(grads, start=1):
            if name == 'sgd':
                out.append(-lr * g)
            elif name == 'adagrad':
                G = G + g * g
                out.append(-lr * g / (np.sqrt(G) + 1e-10))
            elif name == 'rmsprop':
                s = 0.99 * s + 0.01 * g * g
                out.append(-lr * g / (np.sqrt(s) + 1e-8))
            else:
                m, v = 0.9 * m + 0.1 * g, 0.999 * v + 0.001 * g * g
                out.append(-lr * (m / (1 - 0.9**t)) / (np.sqrt(v / (1 - 0.999**t)) + 1e-8))
        return np.array(out)
    errors = {}
    for name in ('sgd', 'adagrad', 'rmsprop', 'adam'):
        lr = moves[0, 0] / replay(name, 1.0)[0, 0]            # the first move fixes lr
        errors[name] = np.abs(replay(name, lr) - moves).max() / np.abs(moves).max()
    return min(errors, key=errors.get)
""",
        },
    },
}
