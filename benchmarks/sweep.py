"""1000 learning rates x 200 steps of SGD with momentum 0.9 on a 2-D quadratic, four ways.

1. ``lrcourse.run`` vectorised: one call with ``lr`` a (1000,) array (K = 1000), and one call
   with a single rate (K = 1);
2. a bare numpy loop doing the same arithmetic (gradient ``(x - c) @ A``, momentum buffer,
   update, loss, keeping every step's loss and parameters) and nothing else: no argument
   checks, no divergence detection or freezing, no progress bar. Goal: run <= 1.3x of it, for
   K = 1000 and for K = 1. Also timed: the same loop calling the problem's public ``grad``
   and ``loss``: they check x and enter ``np.errstate`` at every call, which at K = 1 costs
   about as much as the arithmetic itself (run checks x once and then calls the problem's
   formulas, see ``lrcourse.problems._fast_path``);
3. 1000 ``run`` calls one by one (goal: the vectorised run >= 50x faster);
4. a ``torch.optim.SGD`` loop, one model per rate (goal: the vectorised run >= 600x faster).
   It runs when torch is importable here, or in the Python named by the environment variable
   ``LRCOURSE_TORCH_PYTHON`` (any interpreter with numpy and torch, e.g. a separate venv, since
   the course's own environment does not install torch); otherwise the script says it skipped.
   It takes about a minute of CPU, so it runs once (``LRCOURSE_TORCH_REPEATS=3`` for a median).

The machine may be busy: times are CPU times of this process (``time.process_time``: waiting
for a core does not count), each timing is repeated, run and the bare loop alternate within
every repeat (so load hits both alike), and the figures are medians (the ratios are medians of
the per-repeat ratios). Checks: run equals the bare loop bit for bit on every setting that did not
diverge, and torch to 1e-10; no warning escapes. Prints everything and writes
benchmarks/results/sweep.json. Run: ``make bench`` or ``.venv/bin/python benchmarks/sweep.py``.
"""
from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import time
import warnings
from pathlib import Path

import numpy as np

K, STEPS, MOMENTUM, SINGLE_LR = 1000, 200, 0.9, 0.1
EIGENVALUES, ANGLE = [1.0, 0.05], 0.4
GOALS = {"bare_ratio": 1.3, "one_by_one_speedup": 50, "torch_speedup": 600}
REPEATS = 21
TORCH_REPEATS = int(os.environ.get("LRCOURSE_TORCH_REPEATS", "1"))  # one torch loop takes ~1 min of CPU


def bare_loop(A, c, x0, lr, problem=None):
    """The same arithmetic as run(quad, sgd(lr, momentum=0.9), 200) in plain numpy.

    lr: a float (x0 of shape (dim,)) or a (K, 1) column (x0 of shape (K, dim)). With
    ``problem``, its ``grad`` and ``loss`` compute the same gradient and loss.
    """
    x = x0.copy()
    e = x - c
    losses = [0.5 * np.einsum("...i,ij,...j->...", e, A, e) if problem is None else problem.loss(x)]
    path = [x]
    b = None
    for t in range(STEPS):
        g = (x - c) @ A if problem is None else problem.grad(x)
        b = g.copy() if t == 0 else MOMENTUM * b + g
        x = x - lr * b
        if problem is None:
            e = x - c
            losses.append(0.5 * np.einsum("...i,ij,...j->...", e, A, e))
        else:
            losses.append(problem.loss(x))
        path.append(x)
    return np.array(losses), np.stack(path)


def torch_loop(A, x0, lrs):
    """torch.optim.SGD with momentum, one float64 model per rate; (seconds, final parameters)."""
    import torch

    torch.set_num_threads(1)
    A = torch.tensor(A)
    start = time.process_time()
    finals = []
    for lr in lrs:
        x = torch.tensor(x0, requires_grad=True)
        opt = torch.optim.SGD([x], lr=float(lr), momentum=MOMENTUM)
        for _ in range(STEPS):
            opt.zero_grad()
            loss = 0.5 * x @ A @ x
            loss.backward()
            opt.step()
        finals.append(x.detach().numpy().copy())
    return time.process_time() - start, np.array(finals)


def timed(f, number=1):
    """(CPU seconds per call, the last result)."""
    t = time.process_time()
    for _ in range(number):
        out = f()
    return (time.process_time() - t) / number, out


def compare(run_once, bare_once, number):
    """Median seconds of each and the median of their per-repeat ratios (run / bare)."""
    t_run, t_bare = [], []
    for i in range(REPEATS):
        pair = [(run_once, t_run), (bare_once, t_bare)]
        for f, times in (pair if i % 2 else pair[::-1]):  # alternate which goes first
            times.append(timed(f, number)[0])
    ratios = np.array(t_run) / np.array(t_bare)
    return float(np.median(t_run)), float(np.median(t_bare)), float(np.median(ratios)), ratios


def torch_timing(A, x0, lrs):
    """(seconds, finals, where) of the torch loop (median of TORCH_REPEATS), or None when torch is nowhere."""
    try:
        import torch  # noqa: F401
    except ImportError:
        other = os.environ.get("LRCOURSE_TORCH_PYTHON")
        if not other:
            return None
        code = ("import sys, json, numpy as np; sys.path.insert(0, sys.argv[1]); import sweep; "
                "a = json.loads(sys.stdin.read()); A, x0, lrs = np.array(a['A']), np.array(a['x0']), a['lrs']; "
                f"r = [sweep.torch_loop(A, x0, lrs) for _ in range({TORCH_REPEATS})]; "
                "print(json.dumps({'s': [t for t, _ in r], 'finals': r[0][1].tolist()}))")
        args = json.dumps({"A": A.tolist(), "x0": x0.tolist(), "lrs": lrs.tolist()})
        out = subprocess.run([other, "-c", code, str(Path(__file__).parent)], input=args, capture_output=True,
                             text=True, check=True).stdout
        res = json.loads(out)
        return float(np.median(res["s"])), np.array(res["finals"]), other
    runs = [torch_loop(A, x0, lrs) for _ in range(TORCH_REPEATS)]
    return float(np.median([t for t, _ in runs])), runs[0][1], sys.executable


def main():
    import lrcourse
    from lrcourse import optimizers, problems

    quad = problems.quadratic(EIGENVALUES, angle=ANGLE)
    lrs = np.geomspace(1e-3, 4.0, K)
    A, c, x0 = quad.A, quad.minimizer, quad.x0
    xs = np.broadcast_to(x0, (K, 2)).copy()
    result = {"machine": platform.processor() or platform.machine(), "python": platform.python_version(),
              "numpy": np.__version__, "K": K, "steps": STEPS, "momentum": MOMENTUM,
              "load_average": os.getloadavg()[0], "repeats": REPEATS}

    def vectorised():
        return lrcourse.run(quad, optimizers.sgd(lr=lrs, momentum=MOMENTUM), STEPS, progress=False)

    def single():
        return lrcourse.run(quad, optimizers.sgd(lr=SINGLE_LR, momentum=MOMENTUM), STEPS, progress=False)

    with warnings.catch_warnings(), np.errstate(all="ignore"):  # the bare loop overflows where lr > 3.8
        warnings.simplefilter("error")  # no warning may escape from run, diverging settings included
        h = vectorised()
        loss, path = bare_loop(A, c, xs, lrs[:, None])
        ok = ~h.diverged
        assert np.array_equal(h.loss[:, ok], loss[:, ok]) and np.array_equal(h.params[:, ok], path[:, ok])
        h1 = single()
        loss1, path1 = bare_loop(A, c, x0, SINGLE_LR)
        assert np.array_equal(h1.loss, loss1) and np.array_equal(h1.params, path1)
        print(f"run == bare numpy loop bit for bit (K = {K}: {ok.sum()} settings that did not diverge; K = 1); "
              f"{h.diverged.sum()} settings diverged (flagged, frozen, no warning)")

        for name, run_once, x, lr, number in [("K1000", vectorised, xs, lrs[:, None], 1),
                                              ("K1", single, x0, SINGLE_LR, 5)]:
            for kind, problem in (("bare", None), ("bare_problem", quad)):
                t_run, t_bare, ratio, ratios = compare(run_once, lambda: bare_loop(A, c, x, lr, problem), number)
                result[f"run_{name}_s"] = t_run  # (the last of the two medians)
                result[f"{kind}_{name}_s"], result[f"{kind}_ratio_{name}"] = t_bare, ratio
                what = "bare numpy loop" if problem is None else "the same through quad.grad/quad.loss"
                print(f"{name[1:]:>4} setting(s): run {t_run * 1e3:.2f} ms, {what} {t_bare * 1e3:.2f} ms -> "
                      f"{ratio:.2f}x (median of {REPEATS}, quartiles {np.percentile(ratios, 25):.2f}-"
                      f"{np.percentile(ratios, 75):.2f}" + (f"; goal <= {GOALS['bare_ratio']}x)" if problem is None
                                                            else ")"))

        t_vec = result["run_K1000_s"]
        one = [timed(lambda: [lrcourse.run(quad, optimizers.sgd(lr=float(lr), momentum=MOMENTUM), STEPS,
                                           progress=False) for lr in lrs])[0] for _ in range(3)]
        result["one_by_one_s"] = t_one = float(np.median(one))
        print(f"1000 runs one by one {t_one:.2f} s (median of 3) -> the vectorised run is {t_one / t_vec:.0f}x "
              f"faster (goal >= {GOALS['one_by_one_speedup']}x)")

    found = torch_timing(A, x0, lrs)
    if found is None:
        print("torch is not installed here and LRCOURSE_TORCH_PYTHON is not set: skipped the torch.optim loop "
              "(e.g. LRCOURSE_TORCH_PYTHON=/path/to/venv-with-torch/bin/python)")
    else:
        t_torch, finals, where = found
        np.testing.assert_allclose(h.final[ok], finals[ok], rtol=1e-10, atol=1e-300)
        result["torch_loop_s"], result["torch_python"] = t_torch, where
        result["torch_speedup"] = t_torch / t_vec
        print(f"torch.optim loop {t_torch:.2f} s (median of {TORCH_REPEATS}, {where}) -> the vectorised run is "
              f"{t_torch / t_vec:.0f}x faster (goal >= {GOALS['torch_speedup']}x); final parameters agree "
              "(rtol 1e-10) on every setting that did not diverge")
    out = Path(__file__).parent / "results"
    out.mkdir(exist_ok=True)
    (out / "sweep.json").write_text(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
