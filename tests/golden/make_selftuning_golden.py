"""Golden values for lrcourse.selftuning: trajectories of the authors' reference implementations
(float64, torch 2.13): lion-pytorch's Lion, schedulefree's SGDScheduleFree and AdamWScheduleFree,
prodigyopt's Prodigy, dog-optimizer's DoG and LDoG, and dog-optimizer's PolynomialDecayAverager.

Run from the repository root with the oracle venv (torch and the four packages)::

    PYTHONPATH=. /work/oracle/bin/python tests/golden/make_selftuning_golden.py

It reuses the three problems of make_optimizers_golden.py (a 5-D quadratic, Rosenbrock, a
2-layer tanh network whose params are a dict) and their numpy gradients, adds "kick" (a list of
params, one all zero, with zero gradients on the first two steps: see ``problems``), runs every config of
CONFIGS for STEPS steps in torch.float64, and writes tests/golden/selftuning.npz: per problem
an array (n_configs, STEPS + 1, n) of the params (for schedule-free: the training point y) and,
under ``<problem>/x``, the schedule-free evaluation points x (what ``optimizer.eval()`` gives;
NaN for the other methods). SWEEPS are configs of K settings (lists: one value per setting;
betas: per component), run by the references one setting at a time. AVERAGES pair a run with
the averager's arguments; ``<problem>/average`` holds the averaged params after each step
(n_averages, STEPS + 1, n), ``avsweep/<problem>`` the same for AVERAGE_SWEEP (one gamma per
setting of a sweep). The meta entry also records the reference constructors' signatures
(argument names and defaults), which tests/test_selftuning.py compares with ours.

tests/test_selftuning.py imports this file (problems, x0, grad, leaves, flat, CONFIGS, SWEEPS, AVERAGES,
AVERAGE_SWEEP, settings, scaled_kwargs, reference_trajectory, reference_average, reference_signatures).
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
settings = base.settings  # a K-settings config as K single configs


def problems():
    """make_optimizers_golden's three problems, and "kick": params a list [zeros(3), a 2x2 matrix]
    (an all-zero array: Prodigy keeps p0 = 0 for it) whose gradient is zero for the first two steps
    (Prodigy returns early while sum|s| = 0; schedule-free and DoG see g = 0), then that of
    f = sum_i w_i |x_i - c_i|^2 / 2."""
    out = base.problems()
    rng = np.random.default_rng(15)
    out["kick"] = {"x0": [[0.0, 0.0, 0.0], rng.standard_normal((2, 2)).tolist()],
                   "c": [rng.standard_normal(3).tolist(), rng.standard_normal((2, 2)).tolist()],
                   "w": [0.5, 3.0], "sgd_lr_factor": 1.0, "quiet_steps": 2}
    return out


def x0(name, problem):
    if name == "kick":
        return [np.array(a, dtype=float) for a in problem["x0"]]
    return base.x0(name, problem)


def grad(name, problem, x, k):
    """The gradient at params x on the k-th step (k = 0, 1, ...)."""
    if name == "kick":
        if k < problem["quiet_steps"]:
            return [np.zeros_like(a) for a in x]
        return [w * (a - np.array(c)) for a, c, w in zip(x, problem["c"], problem["w"])]
    return base.grad(name, problem, x)


def leaves(x):
    """The arrays of params x in order: a dict's values, a list's items, or x itself."""
    return list(x.values()) if isinstance(x, dict) else list(x) if isinstance(x, list) else [x]


def flat(x):
    """All params in one 1-D array."""
    return np.concatenate([np.ravel(v) for v in leaves(x)])

SCHEDULE_FREE = ("sgd_schedulefree", "adamw_schedulefree")
# our name -> (module, class) of the reference
REFERENCE = {"lion": ("lion_pytorch", "Lion"), "sgd_schedulefree": ("schedulefree", "SGDScheduleFree"),
             "adamw_schedulefree": ("schedulefree", "AdamWScheduleFree"), "prodigy": ("prodigyopt", "Prodigy"),
             "dog": ("dog", "DoG"), "ldog": ("dog", "LDoG"),
             "polynomial_decay_averager": ("dog", "PolynomialDecayAverager")}
# lr multiplied by the problem's sgd_lr_factor (Rosenbrock needs a 100x smaller rate for plain SGD)
SCALED_LR = ("sgd_schedulefree",)


def C(opt, **kwargs):
    return {"opt": opt, "kwargs": kwargs, "schedule": None}


CONFIGS = [
    C("lion"),
    C("lion", lr=0.01),
    C("lion", lr=0.02, betas=[0.5, 0.9], weight_decay=0.1),
    C("lion", lr=0.01, betas=[0.0, 1.0], weight_decay=0.5, decoupled_weight_decay=True),
    C("lion", lr=0.01, use_triton=False),
    C("sgd_schedulefree", lr=0.1),
    C("sgd_schedulefree", lr=0.2, momentum=0.5, warmup_steps=5),
    C("sgd_schedulefree", lr=0.1, weight_decay=0.1, r=1.0, weight_lr_power=0.0),
    C("sgd_schedulefree", lr=0.05, momentum=0.95, warmup_steps=12, r=0.5, weight_lr_power=1.0),
    C("sgd_schedulefree", lr=0.1, weight_decay=0.1, warmup_steps=3, foreach=False),
    C("sgd_schedulefree", lr=0.2, momentum=0.5, foreach=None),
    C("adamw_schedulefree"),
    C("adamw_schedulefree", lr=0.05),
    C("adamw_schedulefree", lr=0.05, warmup_steps=10, weight_decay=0.05),
    C("adamw_schedulefree", lr=0.02, betas=[0.5, 0.99], eps=1e-4, r=0.5, weight_lr_power=1.0),
    C("adamw_schedulefree", lr=0.1, betas=[0.95, 0.9], warmup_steps=3, r=2.0, weight_lr_power=0.0,
      weight_decay=0.2),
    C("adamw_schedulefree", lr=0.05, warmup_steps=4, weight_decay=0.05, foreach=False),
    C("prodigy"),
    C("prodigy", d0=1e-3),
    C("prodigy", use_bias_correction=True),
    C("prodigy", safeguard_warmup=True, beta3=0.5),
    C("prodigy", betas=[0.0, 0.99]),
    C("prodigy", weight_decay=0.1),
    C("prodigy", weight_decay=0.1, decouple=False),
    C("prodigy", lr=0.5, d_coef=0.5, growth_rate=1.05, eps=1e-4),
    C("prodigy", lr=0.3, betas=[0.8, 0.95], d0=1e-4, use_bias_correction=True, safeguard_warmup=True),
    C("prodigy", fsdp_in_use=False, slice_p=1),
    # slice_p: d from every slice_p-th coordinate; sizes 5, 2, 6/3/3 (mlp), 3/4 (kick): not divisible
    C("prodigy", slice_p=2),
    C("prodigy", slice_p=3, d0=1e-4),
    C("prodigy", slice_p=2, betas=[0.0, 0.99], weight_decay=0.1, decouple=False, use_bias_correction=True),
    C("prodigy", slice_p=3, safeguard_warmup=True, beta3=0.9, weight_decay=0.05, growth_rate=1.1),
    C("prodigy", slice_p=7, lr=0.5, d_coef=2.0, eps=1e-6),  # larger than every array: one entry each
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
    C("prodigy", lr=[1.0, 0.5, 0.8], d0=[1e-6, 1e-3, 1e-4], betas=[[0.9, 0.0, 0.5], 0.999],
      safeguard_warmup=True, slice_p=3),
]


def A(run, **kwargs):
    """The averager with ``kwargs`` over the iterates of the optimizer config ``run``."""
    return {"run": run, "kwargs": kwargs}


AVERAGES = [
    A(C("dog")),
    A(C("dog", reps_rel=1e-3), gamma=0.0),
    A(C("dog", reps_rel=1e-4, weight_decay=0.1), gamma=2.5),
    A(C("ldog"), gamma=8.0),
    A(C("ldog", reps_rel=1e-3), gamma=100.0),
    A(C("prodigy"), gamma=1.0),
]
# K settings: one gamma per setting of the DoG sweep
AVERAGE_SWEEP = A(SWEEPS[4], gamma=[8.0, 0.0, 3.0])


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


def reference_trajectory(name, problem, config, steps=STEPS):
    """Run the reference optimizer on problem ``name`` in float64: (y, x), each (steps + 1, n);
    x (the schedule-free evaluation point) is NaN for the other methods."""
    ys, xs, _ = _in_float64(name, problem, config, steps, None)
    return ys, xs


def reference_average(name, problem, average, steps=STEPS):
    """The reference averager (``average``: an entry of AVERAGES) over the iterates of its run:
    (steps + 1, n), the averaged params before the first step and after each step."""
    return _in_float64(name, problem, average["run"], steps, average["kwargs"])[2]


def reference_signatures():
    """{our name: [[argument, default], ...]} of the reference constructors (without params/model)."""
    import inspect

    out = {}
    for ours, (module, cls) in REFERENCE.items():
        parameters = inspect.signature(getattr(importlib.import_module(module), cls).__init__).parameters
        out[ours] = [[p.name, p.default] for p in parameters.values() if p.name not in ("self", "params", "model")]
    return out


def _in_float64(name, problem, config, steps, average):
    import torch

    dtype = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    try:
        return _reference_trajectory(torch, name, problem, config, steps, average)
    finally:
        torch.set_default_dtype(dtype)


def _reference_trajectory(torch, name, problem, config, steps, average):
    module, cls = REFERENCE[config["opt"]]
    start = x0(name, problem)
    tensors = [torch.tensor(a, dtype=torch.float64) for a in leaves(start)]
    if average is not None:  # the averager takes a model: the same tensors as its parameters
        tensors = [torch.nn.Parameter(t) for t in tensors]
        model = torch.nn.Module()
        model.ps = torch.nn.ParameterList(tensors)
        averager = importlib.import_module("dog").PolynomialDecayAverager(model, **average)
    opt = getattr(importlib.import_module(module), cls)(tensors, **scaled_kwargs(config, problem))
    free = config["opt"] in SCHEDULE_FREE
    if free:
        opt.train()

    def as_params(values):  # arrays back into the structure of the start
        if isinstance(start, dict):
            return dict(zip(start, values))
        return list(values) if isinstance(start, list) else values[0]

    def current():
        return as_params([t.detach().numpy().copy() for t in tensors])

    def evaluation_point():  # what opt.eval() would put in the tensors, without touching them
        if not free:
            return np.full(ys[0].shape, np.nan)
        group = opt.param_groups[0]
        beta = group["momentum"] if "momentum" in group else group["betas"][0]
        xs = [torch.lerp(t, opt.state[t]["z"], 1 - 1 / beta) if "z" in opt.state[t] else t.clone() for t in tensors]
        return flat(as_params([t.detach().numpy().copy() for t in xs]))

    def averaged():
        if average is None:
            return np.full(ys[0].shape, np.nan)
        return np.concatenate([v.detach().numpy().ravel() for v in averager.averaged_model.state_dict().values()])

    ys = [flat(current())]
    xs = [evaluation_point()]
    avs = [averaged()]
    for k in range(steps):
        g = grad(name, problem, current(), k)
        for t, gi in zip(tensors, leaves(g)):
            t.grad = torch.tensor(gi, dtype=torch.float64)
        opt.step()
        if average is not None:
            averager.step()
        ys.append(flat(current()))
        xs.append(evaluation_point())
        avs.append(averaged())
    return np.array(ys), np.array(xs), np.array(avs)


def main():
    from importlib.metadata import version

    probs = problems()
    versions = {dist: version(dist) for dist in ("torch", "lion-pytorch", "schedulefree", "prodigyopt",
                                                  "dog-optimizer")}
    out = {"meta": np.array(json.dumps({"versions": versions, "steps": STEPS, "problems": list(probs),
                                        "configs": CONFIGS, "sweeps": SWEEPS, "averages": AVERAGES,
                                        "average_sweep": AVERAGE_SWEEP, "signatures": reference_signatures()}))}
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
        out[f"{name}/average"] = np.stack([reference_average(name, problem, a) for a in AVERAGES])
        runs = settings(AVERAGE_SWEEP["run"])
        out[f"avsweep/{name}"] = np.stack([reference_average(name, problem, A(run, gamma=gamma))
                                           for run, gamma in zip(runs, AVERAGE_SWEEP["kwargs"]["gamma"])])
        assert np.isfinite(out[f"{name}/average"]).all() and np.isfinite(out[f"avsweep/{name}"]).all(), name
    np.savez_compressed(GOLDEN, **out)
    print(f"wrote {GOLDEN} ({GOLDEN.stat().st_size / 1024:.0f} KB), {len(CONFIGS)} configs, "
          f"{len(SWEEPS)} sweeps and {len(AVERAGES) + 1} averages x {len(probs)} problems; {versions}")


if __name__ == "__main__":
    main()
