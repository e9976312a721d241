"""One training epoch of lesson 8's network: lrcourse vs the same network in PyTorch (CPU).

The network: ``lrcourse.models.MLP`` on ``lrcourse.data.load_digits()`` (1797 standardized 8x8
images, 10 classes), one hidden ReLU layer of 64 units, minibatches of 32, SGD with momentum
0.9 and lr 0.05, trained through ``lrcourse.run`` for one epoch (n // 32 = 56 steps).

PyTorch runs the same network (float64, the same initial weights, the same minibatch rows
drawn from the same numpy generator) with ``torch.optim.SGD``, so the final parameters agree
to rounding, which is checked. Two PyTorch loops are timed:

* ``torch``: the usual loop (forward, backward, step per minibatch), against
  ``run(..., loss_every=steps)``, which records the full-data loss once, at the end of the epoch;
* ``torch + full loss``: the same plus the loss on all 1797 rows after every step, against
  plain ``run`` (which records it after every step: the learning curve the lessons plot).

Goal: lrcourse time / torch time <= 1.0 for the same work. Best of 7 epochs each; one BLAS/torch thread (the
course's setting, see the Makefile). Skips the comparison when torch is not installed.
Run: ``make bench`` or ``.venv/bin/python benchmarks/mlp.py``. Writes benchmarks/results/mlp.json.
"""
from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import numpy as np

import lrcourse
from lrcourse import data, optimizers
from lrcourse.models import MLP

ROOT = Path(__file__).resolve().parents[1]
HIDDEN, BATCH, LR, MOMENTUM, SEED, REPEAT = 64, 32, 0.05, 0.9, 0, 7
GOAL_RATIO = 1.0


def network():
    digits = data.load_digits()
    X = data.standardize(digits.X)
    return MLP(X, digits.y, hidden=(HIDDEN,), batch_size=BATCH, seed=SEED)


def best_of(f, repeat=REPEAT):
    times, out = [], None
    for _ in range(repeat):
        t = time.perf_counter()
        out = f()
        times.append(time.perf_counter() - t)
    return min(times), out


def lrcourse_epoch(net, steps, loss_every=1):
    return lrcourse.run(net, optimizers.sgd(lr=LR, momentum=MOMENTUM), steps, seed=SEED, progress=False,
                        loss_every=loss_every)


def torch_epoch(net, steps, full_loss=False):
    """The same epoch in PyTorch: same start, same minibatch rows (drawn like MLP.stochastic_grad)."""
    import torch

    X, y = torch.from_numpy(net.X), torch.from_numpy(net.y)
    model = torch.nn.Sequential(torch.nn.Linear(net.d, HIDDEN), torch.nn.ReLU(),
                                torch.nn.Linear(HIDDEN, net.n_classes)).double()
    with torch.no_grad():  # torch's Linear holds W^T: (out, in)
        for layer, l in ((model[0], 1), (model[2], 2)):
            layer.weight.copy_(torch.from_numpy(net.x0[f"W{l}"].T))
            layer.bias.copy_(torch.from_numpy(net.x0[f"b{l}"]))
    opt = torch.optim.SGD(model.parameters(), lr=LR, momentum=MOMENTUM)
    loss_fn = torch.nn.CrossEntropyLoss()
    rng = np.random.default_rng(SEED)
    losses = []
    for _ in range(steps):
        idx = torch.from_numpy(data.sample_batch(net.n, BATCH, rng))
        opt.zero_grad()
        loss_fn(model(X[idx]), y[idx]).backward()
        opt.step()
        if full_loss:
            with torch.no_grad():
                losses.append(loss_fn(model(X), y).item())
    return model, losses


def main():
    sys.path.insert(0, str(ROOT / "tests"))
    from browser_util import machine_info

    net = network()
    steps = net.n // BATCH
    t_lr, h_epoch = best_of(lambda: lrcourse_epoch(net, steps, loss_every=steps))
    t_lr_full, h = best_of(lambda: lrcourse_epoch(net, steps))
    np.testing.assert_array_equal(h_epoch.final["W1"], h.final["W1"])
    result = {"benchmark": "mlp", "machine": machine_info(), "n": net.n, "hidden": HIDDEN, "batch": BATCH,
              "steps": steps, "lrcourse_s": t_lr, "lrcourse_full_loss_s": t_lr_full, "goal_ratio": GOAL_RATIO}
    print(f"One epoch of MLP(64 hidden) on digits ({net.n} rows, batch {BATCH}, {steps} steps), best of {REPEAT}:")
    print(f"  lrcourse.run(loss_every={steps})         {t_lr * 1e3:7.1f} ms  (full-data loss at the end of the epoch)")
    print(f"  lrcourse.run                        {t_lr_full * 1e3:7.1f} ms  (full-data loss after every step)")
    try:
        import torch
    except ImportError:
        print("  torch not installed: no comparison")
    else:
        torch.set_num_threads(1)
        t_torch, (model, _) = best_of(lambda: torch_epoch(net, steps))
        t_full, (_, losses) = best_of(lambda: torch_epoch(net, steps, full_loss=True))
        w1 = model[0].weight.detach().numpy().T
        np.testing.assert_allclose(h.final["W1"], w1, rtol=1e-7, atol=1e-9)
        np.testing.assert_allclose(h.loss[1:], losses, rtol=1e-7)
        result.update(torch_s=t_torch, torch_full_loss_s=t_full, ratio=t_lr / t_torch,
                      ratio_full_loss=t_lr_full / t_full, torch_threads=1)
        print(f"  torch {torch.__version__:29s} {t_torch * 1e3:7.1f} ms  -> ratio lrcourse/torch "
              f"{t_lr / t_torch:.2f} (goal <= {GOAL_RATIO:.1f}: {'ok' if t_lr / t_torch <= GOAL_RATIO else 'MISS'})")
        print(f"  torch + full loss every step        {t_full * 1e3:7.1f} ms  -> ratio lrcourse/torch "
              f"{t_lr_full / t_full:.2f} (same work as plain run)")
        print("  same start and minibatches: final weights and losses agree (rtol 1e-7)")
    out = ROOT / "benchmarks" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / "mlp.json").write_text(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
