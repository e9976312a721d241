"""Golden values for lrcourse.selftuning: trajectories of the authors' reference implementations
(float64, torch 2.13): lion-pytorch's Lion, schedulefree's SGDScheduleFree and AdamWScheduleFree,
prodigyopt's Prodigy, dog-optimizer's DoG and LDoG.

Run from the repository root with the oracle venv (torch and the four packages)::

    PYTHONPATH=. /work/oracle/bin/python tests/golden/make_selftuning_golden.py

It reuses the three problems of make_optimizers_golden.py (a 5-D quadratic, Rosenbrock, a
2-layer tanh network whose params are a dict) and their numpy gradients, runs every config of
CONFIGS for STEPS steps in torch.float64, and writes tests/golden/selftuning.npz: per problem
an array (n_configs, STEPS + 1, n) of the params (for schedule-free: the training point y) and,
under ``<problem>/x``, the schedule-free evaluation points x (what ``optimizer.eval()`` gives;
NaN for the other methods). SWEEPS are configs of K settings (lists: one value per setting;
betas: per component), run by the references one setting at a time.

tests/test_selftuning.py imports this file (CONFIGS, SWEEPS, settings, reference_trajectory).
"""
from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
GOLDEN = HERE / "selftuning.npz"
STEPS = 30
_spec = importlib.util.spec_from_file_location("make_optimizers_golden", HERE / "make_optimizers_golden.py")
base = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(base)
problems, x0, grad, flat = base.problems, base.x0, base.grad, base.flat

SCHEDULE_FREE = ("sgd_schedulefree", "adamw_schedulefree")
# our name -> (module, class) of the reference
REFERENCE = {"lion": ("lion_pytorch", "Lion"), "sgd_schedulefree": ("schedulefree", "SGDScheduleFree"),
             "adamw_schedulefree": ("schedulefree", "AdamWScheduleFree"), "prodigy": ("prodigyopt", "Prodigy"),
             "dog": ("dog", "DoG"), "ldog": ("dog", "LDoG")}
# lr multiplied by the problem's sgd_lr_factor (Rosenbrock needs a 100x smaller rate for plain SGD)
SCALED_LR = ("sgd_schedulefree",)


def C(opt, **kwargs):
    return {"opt": opt, "kwargs": kwargs}


CONFIGS = [
    C("lion"),
    C("lion", lr=0.01),
    C("lion", lr=0.02, betas=[0.5, 0.9], weight_decay=0.1),
    C("lion", lr=0.01, betas=[0.0, 1.0], weight_decay=0.5, decoupled_weight_decay=True),
    C("sgd_schedulefree", lr=0.1),
    C("sgd_schedulefree", lr=0.2, momentum=0.5, warmup_steps=5),
    C("sgd_schedulefree", lr=0.1, weight_decay=0.1, r=1.0, weight_lr_power=0.0),
    C("sgd_schedulefree", lr=0.05, momentum=0.95, warmup_steps=12, r=0.5, weight_lr_power=1.0),
    C("adamw_schedulefree"),
    C("adamw_schedulefree", lr=0.05),
    C("adamw_schedulefree", lr=0.05, warmup_steps=10, weight_decay=0.05),
    C("adamw_schedulefree", lr=0.02, betas=[0.5, 0.99], eps=1e-4, r=0.5, weight_lr_power=1.0),
    C("adamw_schedulefree", lr=0.1, betas=[0.95, 0.9], warmup_steps=3, r=2.0, weight_lr_power=0.0,
      weight_decay=0.2),
    C("prodigy"),
    C("prodigy", d0=1e-3),
    C("prodigy", use_bias_correction=True),
    C("prodigy", safeguard_warmup=True, beta3=0.5),
    C("prodigy", betas=[0.0, 0.99]),
    C("prodigy", weight_decay=0.1),
    C("prodigy", weight_decay=0.1, decouple=False),
    C("prodigy", lr=0.5, d_coef=0.5, growth_rate=1.05, eps=1e-4),
    C("prodigy", lr=0.3, betas=[0.8, 0.95], d0=1e-4, use_bias_correction=True, safeguard_warmup=True),
    C("dog"),
    C("dog", reps_rel=1e-3),
    C("dog", init_eta=0.01),
    C("dog", reps_rel=1e-4, weight_decay=0.1, eps=1e-4),
    C("dog", lr=0.5, reps_rel=1e-2),
    C("ldog"),
    C("ldog", reps_rel=1e-3, weight_decay=0.05),
    C("ldog", init_eta=0.02, lr=0.8, eps=1e-4),
]

SWEEPS = [
    C("lion", lr=[0.001, 0.01, 0.02], betas=[[0.9, 0.5, 0.0], 0.99], weight_decay=[0.0, 0.1, 0.3]),
    C("sgd_schedulefree", lr=[0.05, 0.1, 0.2], momentum=[0.9, 0.5, 0.8], weight_decay=[0.0, 0.1, 0.0],
      warmup_steps=4, r=[0.0, 1.0, 0.5]),
    C("adamw_schedulefree", lr=[0.0025, 0.05, 0.02], betas=[[0.9, 0.5, 0.95], 0.999], weight_lr_power=[2.0, 0.0, 1.0],
      warmup_steps=5),
    C("prodigy", lr=[1.0, 0.5, 0.3], betas=[[0.9, 0.0, 0.8], [0.999, 0.99, 0.9]], d0=[1e-6, 1e-3, 1e-4],
      weight_decay=[0.0, 0.1, 0.05]),
    C("dog", reps_rel=[1e-6, 1e-3, 1e-2], lr=[1.0, 0.5, 1.0], weight_decay=[0.0, 0.1, 0.0]),
    C("ldog", reps_rel=[1e-6, 1e-3, 1e-4], eps=[1e-8, 1e-4, 1e-6]),
]


def scaled_kwargs(config, problem):
    """The keyword arguments on this problem (lists -> tuples for betas; schedule-free SGD's lr scaled)."""
    kwargs = dict(config["kwargs"])
    if config["opt"] in SCALED_LR:
        kwargs.setdefault("lr", 1.0)
        kwargs["lr"] = (kwargs["lr"] * problem["sgd_lr_factor"] if np.ndim(kwargs["lr"]) == 0
                        else [lr * problem["sgd_lr_factor"] for lr in kwargs["lr"]])
    if "betas" in kwargs:
        kwargs["betas"] = tuple(kwargs["betas"])
    return kwargs


def settings(config):
    """A K-settings config (lists of K values; betas per component) as K single configs."""
    def pick(key, value, i):
        if key == "betas":
            return [c[i] if isinstance(c, list) else c for c in value]
        return value[i] if isinstance(value, list) else value

    kwargs = config["kwargs"]
    (K,) = {len(c) for key, v in kwargs.items() for c in (v if key == "betas" else [v]) if isinstance(c, list)}
    return [{"opt": config["opt"], "kwargs": {key: pick(key, v, i) for key, v in kwargs.items()}} for i in range(K)]


def reference_trajectory(name, problem, config, steps=STEPS):
    """Run the reference optimizer on problem ``name`` in float64: (y, x), each (steps + 1, n);
    x (the schedule-free evaluation point) is NaN for the other methods."""
    import torch

    dtype = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    try:
        return _reference_trajectory(torch, name, problem, config, steps)
    finally:
        torch.set_default_dtype(dtype)


def _reference_trajectory(torch, name, problem, config, steps):
    module, cls = REFERENCE[config["opt"]]
    start = x0(name, problem)
    keys = list(start) if isinstance(start, dict) else None
    tensors = [torch.tensor(a, dtype=torch.float64) for a in ([start[k] for k in keys] if keys else [start])]
    opt = getattr(importlib.import_module(module), cls)(tensors, **scaled_kwargs(config, problem))
    free = config["opt"] in SCHEDULE_FREE
    if free:
        opt.train()

    def current():
        values = [t.detach().numpy().copy() for t in tensors]
        return dict(zip(keys, values)) if keys else values[0]

    def evaluation_point():  # what opt.eval() would put in the tensors, without touching them
        if not free:
            return np.full(ys[0].shape, np.nan)
        group = opt.param_groups[0]
        beta = group["momentum"] if "momentum" in group else group["betas"][0]
        xs = [torch.lerp(t, opt.state[t]["z"], 1 - 1 / beta) if "z" in opt.state[t] else t.clone() for t in tensors]
        values = [t.detach().numpy().copy() for t in xs]
        return flat(dict(zip(keys, values)) if keys else values[0])

    ys = [flat(current())]
    xs = [evaluation_point()]
    for _ in range(steps):
        g = grad(name, problem, current())
        for t, gi in zip(tensors, [g[k] for k in keys] if keys else [g]):
            t.grad = torch.tensor(gi, dtype=torch.float64)
        opt.step()
        ys.append(flat(current()))
        xs.append(evaluation_point())
    return np.array(ys), np.array(xs)


def main():
    import torch

    probs = problems()
    versions = {}
    for module in ("torch", "lion_pytorch", "schedulefree", "prodigyopt", "dog"):
        from importlib.metadata import version
        dist = {"lion_pytorch": "lion-pytorch", "prodigyopt": "prodigyopt", "dog": "dog-optimizer"}.get(module, module)
        versions[dist] = version(dist)
    out = {"meta": np.array(json.dumps({"versions": versions, "torch": torch.__version__, "steps": STEPS,
                                        "configs": CONFIGS, "sweeps": SWEEPS}))}
    for name, problem in probs.items():
        runs = [reference_trajectory(name, problem, c) for c in CONFIGS]
        out[name] = np.stack([y for y, _ in runs])
        out[f"{name}/x"] = np.stack([x for _, x in runs])
        for i, (y, _) in enumerate(runs):
            assert np.isfinite(y).all(), (name, CONFIGS[i])
        for j, sweep in enumerate(SWEEPS):
            runs = [reference_trajectory(name, problem, c) for c in settings(sweep)]
            out[f"sweep{j}/{name}"] = np.stack([y for y, _ in runs])
            out[f"sweep{j}/{name}/x"] = np.stack([x for _, x in runs])
            assert np.isfinite(out[f"sweep{j}/{name}"]).all(), (name, sweep)
    np.savez_compressed(GOLDEN, **out)
    print(f"wrote {GOLDEN} ({GOLDEN.stat().st_size / 1024:.0f} KB), {len(CONFIGS)} configs and "
          f"{len(SWEEPS)} sweeps x {len(probs)} problems; {versions}")


if __name__ == "__main__":
    main()
