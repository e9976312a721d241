"""Mutation bank of assignment 8 (practice on real data): format in tests/bank/__init__.py."""

SU = "def suggest_lr(lrs, losses):\n"
SMOOTH = """    avg, smoothed = 0.0, []
    for i, loss in enumerate(kept):
        avg = 0.98 * avg + 0.02 * loss
        smoothed.append(avg / (1 - 0.98 ** (i + 1)))
"""
TRUNCATE = """    lrs, losses = np.asarray(lrs, dtype=float), np.asarray(losses, dtype=float)
    bad = ~np.isfinite(losses)
    stop = int(np.argmax(bad)) if bad.any() else losses.size
    kept = losses[:stop]
"""
WC = "def warmup_cosine(t, peak, warmup_steps, total_steps):\n"
WC_HEAD = "    t = np.asarray(t, dtype=float)\n    w, T = warmup_steps, total_steps\n"
RAMP = "    ramp = peak * (t + 1) / max(w, 1)\n"
DECAY = "    decay = peak * (1 + np.cos(np.pi * (t - w) / (T - w))) / 2\n"
WC_TAIL = "    out = np.where(t < w, ramp, decay)\n    return float(out) if out.ndim == 0 else out\n"
DI = "def discriminative(make, lr, names, factor=2.6):\n"
CH = "def choose_lr(net, steps):\n"
SWEEP = """    lrs = np.geomspace(1e-4, 10, {n})
    final = 0.0
    for seed in {seeds}:
        h = lrcourse.run(net, optimizers.sgd(lr=lrs, momentum=0.9), steps, progress=False, loss_every=steps, seed=seed)
        final = final + np.where(np.isfinite(h.loss[-1]), h.loss[-1], np.inf)
    return float(lrs[np.argmin(final)]{post})
"""
RANGE_TEST = """    import functools
    from lrcourse import search
    rt = search.lr_range_test(net, functools.partial(optimizers.sgd, momentum=0.9), start_lr=1e-5, end_lr=10,
                              num_iter=100)
"""

BANK = {
    "suggest_lr": {
        "wrong": {
            "no_smoothing": SU + TRUNCATE + "    return float(lrs[np.argmin(kept)] / 10)\n",
            "not_a_tenth": SU + TRUNCATE + SMOOTH + "    return float(lrs[int(np.argmin(smoothed))])\n",
            "times_ten": SU + TRUNCATE + SMOOTH + "    return float(lrs[int(np.argmin(smoothed))] * 10)\n",
            "filters_instead_of_stopping": SU + "    lrs, losses = np.asarray(lrs, dtype=float), np.asarray(losses, dtype=float)\n"
                                                "    ok = np.isfinite(losses)\n    kept, lrs = losses[ok], lrs[ok]\n"
                                                + SMOOTH + "    return float(lrs[int(np.argmin(smoothed))] / 10)\n",
            "inf_only": SU + "    lrs, losses = np.asarray(lrs, dtype=float), np.asarray(losses, dtype=float)\n"
                             "    bad = losses == np.inf\n    stop = int(np.argmax(bad)) if bad.any() else losses.size\n"
                             "    kept = losses[:stop]\n" + SMOOTH + "    return float(lrs[int(np.argmin(smoothed))] / 10)\n",
            "no_bias_correction": SU + TRUNCATE + "    avg, smoothed = 0.0, []\n    for loss in kept:\n"
                                                  "        avg = 0.98 * avg + 0.02 * loss\n        smoothed.append(avg)\n"
                                                  "    return float(lrs[int(np.argmin(smoothed))] / 10)\n",
            "beta_0_9": SU + TRUNCATE + "    avg, smoothed = 0.0, []\n    for i, loss in enumerate(kept):\n"
                                        "        avg = 0.9 * avg + 0.1 * loss\n        smoothed.append(avg / (1 - 0.9 ** (i + 1)))\n"
                                        "    return float(lrs[int(np.argmin(smoothed))] / 10)\n",
            "index_off_by_one": SU + TRUNCATE + SMOOTH + "    return float(lrs[int(np.argmin(smoothed)) + 1] / 10)\n",
            "zero_for_non_finite": SU + "    lrs = np.asarray(lrs, dtype=float)\n"
                                        "    kept = np.nan_to_num(np.asarray(losses, dtype=float), nan=0.0, posinf=0.0, neginf=0.0)\n"
                                        + SMOOTH + "    return float(lrs[int(np.argmin(smoothed))] / 10)\n",
            "library_shortcut": "from lrcourse import search\n" + SU + TRUNCATE +
                                "    return float(lrs[int(np.argmin(search.smooth_losses(kept)))] / 10)\n",
        },
        "right": {
            "nanargmin_after_smoothing": SU + "    lrs, losses = np.asarray(lrs, dtype=float), np.asarray(losses, dtype=float)\n"
                                              "    bad = ~np.isfinite(losses)\n    stop = int(np.argmax(bad)) if bad.any() else losses.size\n"
                                              "    s = np.full(losses.size, np.nan)\n    avg = 0.0\n"
                                              "    for i in range(stop):\n        avg = 0.98 * avg + 0.02 * losses[i]\n"
                                              "        s[i] = avg / (1 - 0.98 ** (i + 1))\n"
                                              "    return float(lrs[np.nanargmin(s)] / 10)\n",
            "loop_break": SU + "    avg, best, pick = 0.0, np.inf, None\n    for i, (lr, loss) in enumerate(zip(lrs, losses)):\n"
                               "        if not np.isfinite(loss):\n            break\n"
                               "        avg = 0.98 * avg + 0.02 * loss\n        s = avg / (1 - 0.98 ** (i + 1))\n"
                               "        if s < best:\n            best, pick = s, lr\n    return pick / 10\n",
            "vectorised": SU + TRUNCATE + "    i = np.arange(kept.size)\n    W = np.tril(0.98 ** (i[:, None] - i[None, :]))\n"
                                          "    s = 0.02 * (W @ kept) / (1 - 0.98 ** (i + 1))\n"
                                          "    return np.float64(lrs[np.argmin(s)] * 0.1)\n",
        },
    },
    "warmup_cosine": {
        "wrong": {
            "ramp_off_by_one": WC + WC_HEAD + "    ramp = peak * t / max(w, 1)\n" + DECAY + WC_TAIL,
            "decay_to_last_step": WC + WC_HEAD + RAMP + "    decay = peak * (1 + np.cos(np.pi * (t - w) / (T - w - 1))) / 2\n" + WC_TAIL,
            "cosine_without_half": WC + WC_HEAD + RAMP + "    decay = peak * np.cos(np.pi / 2 * (t - w) / (T - w))\n" + WC_TAIL,
            "linear_decay": WC + WC_HEAD + RAMP + "    decay = peak * (1 - (t - w) / (T - w))\n" + WC_TAIL,
            "if_on_arrays": WC + "    if t < warmup_steps:\n        return peak * (t + 1) / warmup_steps\n"
                                 "    return peak * (1 + np.cos(np.pi * (t - warmup_steps) / (total_steps - warmup_steps))) / 2\n",
            "at_least_one_warmup_step": WC + "    t = np.asarray(t, dtype=float)\n    w, T = max(warmup_steps, 1), total_steps\n"
                                             + RAMP + DECAY + WC_TAIL,
            "decay_over_total": WC + WC_HEAD + RAMP + "    decay = peak * (1 + np.cos(np.pi * t / T)) / 2\n" + WC_TAIL,
            "ignores_peak": WC + WC_HEAD + "    ramp = (t + 1) / max(w, 1)\n    decay = (1 + np.cos(np.pi * (t - w) / (T - w))) / 2\n" + WC_TAIL,
            "warmup_from_start_factor": WC + WC_HEAD + "    ramp = peak * (0.1 + 0.9 * t / max(w, 1))\n" + DECAY + WC_TAIL,
            "array_for_a_number": WC + WC_HEAD + RAMP + DECAY + "    return np.atleast_1d(np.where(t < w, ramp, decay))\n",
            "library_shortcut": "from lrcourse import schedules\n" + WC +
                                "    s = schedules.warmup(schedules.cosine(peak, total_steps - warmup_steps), warmup_steps)\n"
                                "    return s(t)\n",
        },
        "right": {
            "piecewise_numbers": "import math\n" + WC + "    def one(k):\n        k = int(k)\n"
                                 "        if k < warmup_steps:\n            return peak * (k + 1) / warmup_steps\n"
                                 "        return peak * (1 + math.cos(math.pi * (k - warmup_steps) / (total_steps - warmup_steps))) / 2\n"
                                 "    if np.ndim(t) == 0:\n        return one(t)\n"
                                 "    return np.array([one(k) for k in np.ravel(t)]).reshape(np.shape(t))\n",
            "errstate": WC + "    t = np.asarray(t, dtype=float)\n    with np.errstate(divide='ignore', invalid='ignore'):\n"
                             "        ramp = peak * (t + 1) / warmup_steps\n"
                             "    decay = 0.5 * peak * (1 + np.cos(np.pi * (t - warmup_steps) / (total_steps - warmup_steps)))\n"
                             "    return np.where(t < warmup_steps, ramp, decay)\n",
            "sin_squared": WC + WC_HEAD + RAMP + "    decay = peak * np.cos(np.pi / 2 * (t - w) / (T - w)) ** 2\n" + WC_TAIL,
        },
    },
    "discriminative": {
        "wrong": {
            "top_gets_smallest": DI + "    return {n: make(lr=lr / factor ** int(n[1:])) for n in names}\n",
            "off_by_one": DI + "    top = max(int(n[1:]) for n in names)\n"
                               "    return {n: make(lr=lr / factor ** (top - int(n[1:]) + 1)) for n in names}\n",
            "multiplies": DI + "    top = max(int(n[1:]) for n in names)\n"
                               "    return {n: make(lr=lr * factor ** (top - int(n[1:]))) for n in names}\n",
            "same_rate": DI + "    return {n: make(lr=lr) for n in names}\n",
            "last_digit": DI + "    top = max(int(n[-1]) for n in names)\n"
                               "    return {n: make(lr=lr / factor ** (top - int(n[-1]))) for n in names}\n",
            "position_in_list": DI + "    L = len(names) // 2\n"
                                     "    return {n: make(lr=lr / factor ** (L - 1 - i // 2)) for i, n in enumerate(names)}\n",
            "biases_undamped": DI + "    top = max(int(n[1:]) for n in names)\n"
                                    "    return {n: make(lr=lr / factor ** (top - int(n[1:])) if n[0] == 'W' else lr) for n in names}\n",
            "default_factor_2": "def discriminative(make, lr, names, factor=2.0):\n    top = max(int(n[1:]) for n in names)\n"
                                "    return {n: make(lr=lr / factor ** (top - int(n[1:]))) for n in names}\n",
            "ignores_make": DI + "    top = max(int(n[1:]) for n in names)\n"
                                 "    return {n: optimizers.sgd(lr=lr / factor ** (top - int(n[1:]))) for n in names}\n",
            "sorts_names_in_place": DI + "    names.sort(key=lambda n: int(n[1:]))\n    top = int(names[-1][1:])\n"
                                         "    return {n: make(lr=lr / factor ** (top - int(n[1:]))) for n in names}\n",
        },
        "right": {
            "regex": "import re\n" + DI + "    layer = {n: int(re.fullmatch(r'[Wb](\\d+)', n).group(1)) for n in names}\n"
                                         "    L = max(layer.values())\n    out = {}\n"
                                         "    for n, l in layer.items():\n        out[n] = make(lr=lr * factor ** (l - L))\n    return out\n",
            "shared_per_layer": DI + "    top = max(int(n[1:]) for n in names)\n"
                                     "    per_layer = {l: make(lr=lr / factor ** (top - l)) for l in range(1, top + 1)}\n"
                                     "    return {n: per_layer[int(n[1:])] for n in names}\n",
            "sorted_copy": DI + "    ordered = sorted(names, key=lambda n: int(n.lstrip('Wb')))\n"
                                "    top = int(ordered[-1].lstrip('Wb'))\n    result = {}\n"
                                "    for n in ordered:\n        result[n] = make(lr=lr / factor ** (top - int(n.lstrip('Wb'))))\n"
                                "    return result\n",
        },
    },
    "choose_lr": {
        "wrong": {
            "sgd_default": CH + "    return 0.1\n",
            "adam_default": CH + "    return 1e-3\n",
            "range_test_bottom": CH + RANGE_TEST + "    return float(rt.suggestions['minimum'] * 10)\n",
            "range_test_valley": CH + RANGE_TEST + "    return float(rt.suggestions['valley'])\n",
            "largest_that_trains": CH + SWEEP.format(n=41, seeds="(0, 1)", post="").replace(
                "return float(lrs[np.argmin(final)])", "return float(lrs[np.isfinite(final)].max())"),
            "sweep_ten_times_too_low": CH + SWEEP.format(n=41, seeds="(0,)", post=" / 10"),
            "best_over_one_step": CH + SWEEP.format(n=41, seeds="(0,)", post="").replace(
                "steps, progress=False, loss_every=steps", "1, progress=False, loss_every=1"),
            "inverse_curvature_guess": CH + "    return 1.0 / (1 + float(np.mean([np.abs(v).mean() for v in net.x0.values()])))\n",
            "too_bold_sweep": CH + SWEEP.format(n=41, seeds="(0,)", post=" * 4"),
        },
        "right": {
            "sweep_other_seed": CH + SWEEP.format(n=41, seeds="(7, 8)", post=""),
            "range_test_then_sweep": CH + RANGE_TEST + """    around = rt.suggestions['minimum'] * np.geomspace(0.1, 10, 21)
    final = 0.0
    for seed in (3, 4):                                          # two draws of minibatches
        h = lrcourse.run(net, optimizers.sgd(lr=around, momentum=0.9), steps, progress=False, loss_every=steps,
                         seed=seed)
        final = final + np.where(np.isfinite(h.loss[-1]), h.loss[-1], np.inf)
    return float(around[np.argmin(final)])
""",
            "two_stage_sweep": CH + """    lrs = np.geomspace(1e-4, 10, 11)
    for _ in range(2):                                           # coarse, then fine around the best
        final = 0.0
        for seed in (0, 1):
            h = lrcourse.run(net, optimizers.sgd(lr=lrs, momentum=0.9), steps, progress=False, loss_every=steps,
                             seed=seed)
            final = final + np.where(np.isfinite(h.loss[-1]), h.loss[-1], np.inf)
        best = lrs[np.argmin(final)]
        lrs = best * np.geomspace(1 / 3, 3, 13)
    return float(best)
""",
        },
    },
}
