"""1000 learning rates x 200 steps of gradient descent on a 2-D quadratic, three ways.

1. lrcourse, vectorised: one run() with lr an array of shape (1000,);
2. lrcourse, one by one: 1000 run() calls;
3. a torch.optim.SGD loop, one model per learning rate (only when torch is installed).
Prints the wall times and the ratios, checks that all three agree, and writes JSON to
benchmarks/results/sweep.json.  Run: `make bench` or `.venv/bin/python benchmarks/sweep.py`.
"""
import json
import platform
import time
import warnings
from pathlib import Path

import numpy as np

import lrcourse
from lrcourse import optimizers, problems

K, STEPS = 1000, 200
quad = problems.quadratic([1.0, 0.05], angle=0.4)
lrs = np.geomspace(1e-3, 4.0, K)


def best_of(f, repeat):
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        out = f()
        times.append(time.perf_counter() - t)
    return min(times), out


def vectorised():
    return lrcourse.run(quad, optimizers.sgd(lr=lrs), STEPS, progress=False)


def one_by_one():
    return [lrcourse.run(quad, optimizers.sgd(lr=float(lr)), STEPS, progress=False) for lr in lrs]


def torch_loop():
    import torch

    A = torch.tensor(quad.A)
    finals = []
    for lr in lrs:
        x = torch.tensor(quad.x0, requires_grad=True)
        opt = torch.optim.SGD([x], lr=float(lr))
        for _ in range(STEPS):
            opt.zero_grad()
            loss = 0.5 * x @ A @ x
            loss.backward()
            opt.step()
        finals.append(x.detach().numpy().copy())
    return np.array(finals)


def main():
    with warnings.catch_warnings():
        warnings.simplefilter("error")          # no warning may escape, diverging runs included
        t_vec, h = best_of(vectorised, 5)
        t_one, hs = best_of(one_by_one, 1)
    for k in range(0, K, 97):
        np.testing.assert_allclose(h.loss[:, k], hs[k].loss, rtol=1e-12)
    result = {"machine": platform.processor() or platform.machine(), "K": K, "steps": STEPS,
              "vectorised_s": t_vec, "one_by_one_s": t_one, "diverged": int(h.diverged.sum())}
    print(f"{K} rates x {STEPS} steps: vectorised {t_vec * 1e3:.1f} ms, one by one {t_one:.2f} s "
          f"-> {t_one / t_vec:.0f}x; {result['diverged']} settings diverged (flagged, no warning)")
    try:
        import torch  # noqa: F401
    except ImportError:
        print("torch not installed: skipping the torch.optim loop")
    else:
        t_torch, finals = best_of(torch_loop, 1)
        ok = ~h.diverged
        np.testing.assert_allclose(h.final[ok], finals[ok], rtol=1e-10, atol=1e-300)
        result["torch_loop_s"] = t_torch
        print(f"torch.optim loop {t_torch:.2f} s -> vectorised is {t_torch / t_vec:.0f}x faster; "
              "final parameters agree (rtol 1e-10) for every non-diverged setting")
    out = Path(__file__).parent / "results"
    out.mkdir(exist_ok=True)
    (out / "sweep.json").write_text(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
