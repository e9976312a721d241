"""Golden values for lrcourse.optimizers: trajectories of torch.optim (float64, torch 2.13).

Run from the repository root (needs torch; writes tests/golden/optimizers.npz)::

    .venv/bin/python tests/golden/make_optimizers_golden.py

Three fixed problems (a 5-D quadratic with a random SPD matrix, the 2-D Rosenbrock function,
and a 2-layer tanh network whose parameters are a dict of arrays) and ~100 optimizer
configurations covering every flag (hand-picked, then RANDOM_PER_OPTIMIZER seeded random ones
for each optimizer added by issue 16), each run for STEPS steps. SWEEPS are configurations of
K settings at once (hyperparameters given as lists): torch runs each setting on its own, and
the file stores them under ``sweep<j>/<problem>`` with shape (K, STEPS + 1, n). Gradients are
computed in numpy by ``grad`` below, for torch and for lrcourse alike, so only the optimizers
are compared.

tests/test_optimizers.py imports this file: ``problems``, ``grad``, ``flat``, ``lr_factor``,
``settings``, ``random_config`` and ``torch_trajectory`` are shared with its live torch test.
torch is imported only inside ``torch_trajectory``.
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np

STEPS = 30
HERE = Path(__file__).resolve().parent
GOLDEN = HERE / "optimizers.npz"
TORCH_CLASS = {"sgd": "SGD", "adagrad": "Adagrad", "rmsprop": "RMSprop", "adam": "Adam", "adamw": "AdamW",
               "nadam": "NAdam", "radam": "RAdam", "adamax": "Adamax", "adadelta": "Adadelta"}
RANDOM_PER_OPTIMIZER = 6


# ----------------------------------------------------------------------------- problems
def problems():
    """The three test problems as plain data (lists of floats, exact through JSON)."""
    rng = np.random.default_rng(20240611)
    Q = rng.standard_normal((5, 5))
    A = Q @ Q.T / 5 + 0.5 * np.eye(5)  # SPD, eigenvalues in about [0.5, 3]
    A = (A + A.T) / 2
    mlp_x0 = {
        "W1": rng.standard_normal((2, 3)) * 0.8,
        "b1": np.zeros(3),
        "W2": rng.standard_normal((3, 1)) * 0.8,
    }
    X = rng.standard_normal((8, 2))
    Y = np.sin(X[:, :1] * 1.5) + 0.3 * X[:, 1:]
    tolist = lambda tree: {k: v.tolist() for k, v in tree.items()}  # noqa: E731
    return {
        # sgd_lr_factor: plain SGD (and RAdam) on Rosenbrock needs a 100x smaller rate than on the others
        "quad5": {"A": A.tolist(), "b": rng.standard_normal(5).tolist(),
                  "x0": rng.standard_normal(5).tolist(), "sgd_lr_factor": 1.0},
        "rosen2": {"x0": [-1.2, 1.0], "sgd_lr_factor": 0.01},
        "mlp": {"X": X.tolist(), "Y": Y.tolist(), "x0": tolist(mlp_x0), "sgd_lr_factor": 1.0},
    }


def x0(name, problem):
    """Starting params: an array, or a dict of arrays for the network."""
    if name == "mlp":
        return {k: np.array(v, dtype=float) for k, v in problem["x0"].items()}
    return np.array(problem["x0"], dtype=float)


def grad(name, problem, x):
    """Exact gradient of problem ``name`` at params ``x`` (numpy, float64)."""
    if name == "quad5":  # f = x.A.x / 2 - b.x
        return np.array(problem["A"]) @ x - np.array(problem["b"])
    if name == "rosen2":  # f = (1 - x)^2 + 100 (y - x^2)^2
        u, v = x
        return np.array([-2 * (1 - u) - 400 * u * (v - u * u), 200 * (v - u * u)])
    X, Y = np.array(problem["X"]), np.array(problem["Y"])  # f = mean((tanh(X W1 + b1) W2 - Y)^2) / 2
    h = np.tanh(X @ x["W1"] + x["b1"])
    dout = (h @ x["W2"] - Y) / len(X)
    dz = (dout @ x["W2"].T) * (1 - h * h)
    return {"W1": X.T @ dz, "b1": dz.sum(axis=0), "W2": h.T @ dout}


def flat(x):
    """All params in one 1-D array (dict values in insertion order)."""
    leaves = x.values() if isinstance(x, dict) else [x]
    return np.concatenate([np.ravel(v) for v in leaves])


# ----------------------------------------------------------------------------- configs
def lr_factor(schedule):
    """The multiplier of the base lr at step k for a schedule spec, as a function of k."""
    if schedule is None:
        return None
    kind = schedule[0]
    if kind == "step":  # torch StepLR(step_size, gamma)
        _, size, gamma = schedule
        return lambda k: gamma ** (k // size)
    if kind == "inv":  # torch LambdaLR(lambda k: 1 / (1 + c k))
        return lambda k: 1.0 / (1.0 + schedule[1] * k)
    if kind == "warmup":  # torch LambdaLR(lambda k: min(1, (k + 1) / w))
        return lambda k: min(1.0, (k + 1) / schedule[1])
    raise ValueError(f"unknown schedule {schedule!r}")


def scaled_kwargs(config, problem):
    """The optimizer's keyword arguments on this problem (the lr of sgd, and of radam, whose first
    steps are plain momentum steps, scaled for Rosenbrock)."""
    kwargs = dict(config["kwargs"])
    if config["opt"] in ("sgd", "radam"):
        kwargs.setdefault("lr", 0.001)  # torch's default for both
        kwargs["lr"] = (kwargs["lr"] * problem["sgd_lr_factor"] if np.ndim(kwargs["lr"]) == 0
                        else [lr * problem["sgd_lr_factor"] for lr in kwargs["lr"]])
    if "betas" in kwargs:
        kwargs["betas"] = tuple(kwargs["betas"])
    return kwargs


def C(opt, schedule=None, **kwargs):
    return {"opt": opt, "kwargs": kwargs, "schedule": schedule}


CONFIGS = [
    C("sgd", lr=0.05),
    C("sgd", lr=0.0),
    C("sgd", lr=0.05, momentum=0.9),
    C("sgd", lr=0.05, momentum=0.9, dampening=0.5),
    C("sgd", lr=0.03, momentum=0.9, nesterov=True),
    C("sgd", lr=0.05, weight_decay=0.1),
    C("sgd", lr=0.04, momentum=0.8, weight_decay=0.05, nesterov=True),
    C("sgd", lr=0.05, momentum=0.5, dampening=0.1, weight_decay=0.01),
    C("sgd", ["step", 10, 0.5], lr=0.05, momentum=0.9),
    C("sgd", ["inv", 0.1], lr=0.08),
    C("adagrad", lr=0.1),
    C("adagrad", lr=0.3, lr_decay=0.05),
    C("adagrad", lr=0.1, initial_accumulator_value=0.5),
    C("adagrad", lr=0.1, weight_decay=0.1, eps=1e-6),
    C("adagrad", lr=0.2, lr_decay=0.01, initial_accumulator_value=0.1, weight_decay=0.01),
    C("adagrad", ["step", 7, 0.3], lr=0.2),
    C("rmsprop"),
    C("rmsprop", lr=0.02, alpha=0.9),
    C("rmsprop", lr=0.01, centered=True),
    C("rmsprop", lr=0.005, momentum=0.9),
    C("rmsprop", lr=0.005, alpha=0.95, momentum=0.5, centered=True, weight_decay=0.05),
    C("rmsprop", lr=0.02, eps=1e-3, weight_decay=0.1),
    C("rmsprop", ["inv", 0.2], lr=0.02, alpha=0.8),
    C("adam", lr=0.01),
    C("adam"),
    C("adam", lr=0.02, betas=[0.5, 0.9]),
    C("adam", lr=0.02, betas=[0.0, 0.99]),
    C("adam", lr=0.01, amsgrad=True),
    C("adam", lr=0.01, weight_decay=0.1),
    C("adam", lr=0.03, betas=[0.8, 0.95], eps=1e-4, weight_decay=0.05, amsgrad=True),
    C("adam", ["step", 8, 0.5], lr=0.05),
    C("adam", ["warmup", 10], lr=0.05),
    C("adamw", lr=0.01),
    C("adamw", lr=0.01, weight_decay=0.0),
    C("adamw", lr=0.02, weight_decay=0.1),
    C("adamw", lr=0.02, weight_decay=0.5, amsgrad=True),
    C("adamw", lr=0.03, betas=[0.8, 0.95], eps=1e-6, weight_decay=0.05),
    C("adamw", ["warmup", 10], lr=0.05, weight_decay=0.1),
    C("adamw", ["inv", 0.1], lr=0.05, weight_decay=0.2, amsgrad=True),
    # ---- issue 16: maximize everywhere, Adam's decoupled_weight_decay, NAdam, RAdam, Adamax, Adadelta
    C("sgd", lr=0.002, momentum=0.9, weight_decay=0.05, maximize=True),
    C("adagrad", lr=0.1, weight_decay=0.1, maximize=True),
    C("rmsprop", lr=0.005, centered=True, momentum=0.5, maximize=True),
    C("adam", lr=0.01, amsgrad=True, weight_decay=0.1, maximize=True),
    C("adam", lr=0.02, weight_decay=0.1, decoupled_weight_decay=True),
    C("adamw", lr=0.01, maximize=True),
    C("nadam"),
    C("nadam", lr=0.01, momentum_decay=0.0),
    C("nadam", lr=0.01, betas=[0.5, 0.9], momentum_decay=0.1),
    C("nadam", lr=0.02, weight_decay=0.1),
    C("nadam", lr=0.02, weight_decay=0.1, decoupled_weight_decay=True),
    C("nadam", lr=0.005, eps=1e-4, maximize=True),
    C("nadam", ["warmup", 10], lr=0.05),
    C("radam"),
    C("radam", lr=0.02, betas=[0.8, 0.99]),   # rectified from step 6 on
    C("radam", lr=0.01, betas=[0.9, 0.5]),    # rho_inf = 3 < 5: never rectified
    C("radam", lr=0.02, weight_decay=0.1),
    C("radam", lr=0.02, weight_decay=0.1, decoupled_weight_decay=True),
    C("radam", lr=0.01, eps=1e-4, maximize=True),
    C("radam", ["step", 8, 0.5], lr=0.05, betas=[0.9, 0.95]),
    C("adamax"),
    C("adamax", lr=0.02, betas=[0.5, 0.9]),
    C("adamax", lr=0.01, weight_decay=0.1, eps=1e-4),
    C("adamax", lr=0.01, maximize=True),
    C("adamax", ["inv", 0.1], lr=0.05, betas=[0.0, 0.99]),
    C("adadelta"),
    C("adadelta", lr=0.5, rho=0.5),
    C("adadelta", rho=0.99, eps=1e-4),
    C("adadelta", weight_decay=0.1),
    C("adadelta", lr=2.0, maximize=True),
    C("adadelta", ["step", 5, 0.5], lr=1.0, rho=0.0),
    C("adadelta", lr=0.002, rho=1.0),  # v stays 0: plain gradient steps
]


def random_config(rng, opt=None):
    """A random torch-compatible configuration of ``opt`` (default: any); every flag has a fair chance."""
    u = lambda lo, hi: float(rng.uniform(lo, hi))  # noqa: E731
    coin = lambda: bool(rng.random() < 0.5)  # noqa: E731
    opt = opt or str(rng.choice(list(TORCH_CLASS)))
    kw = {}
    if opt == "sgd":
        kw["lr"] = u(0.005, 0.06)
        if coin():
            kw["momentum"] = u(0.05, 0.95)
            if coin():
                kw["nesterov"] = True
        if "nesterov" not in kw and coin():
            kw["dampening"] = u(0, 1)
    elif opt == "adagrad":
        kw["lr"] = u(0.01, 0.3)
        if coin():
            kw["lr_decay"] = u(0, 0.2)
        if coin():
            kw["initial_accumulator_value"] = u(0, 1)
    elif opt == "rmsprop":
        kw.update(lr=u(0.001, 0.03), alpha=u(0.5, 0.999), centered=coin())
        if coin():
            kw["momentum"] = u(0.0, 0.9)
    elif opt == "adadelta":
        kw.update(lr=u(0.1, 2.0), rho=u(0, 1))
    else:
        kw.update(lr=u(0.001, 0.05), betas=[u(0, 0.99), u(0.5, 0.9999)])
        if opt in ("adam", "adamw"):
            kw["amsgrad"] = coin()
        if opt == "nadam" and coin():
            kw["momentum_decay"] = 10 ** u(-4, -0.5)
        if opt in ("nadam", "radam") or (opt == "adam" and coin()):
            kw["decoupled_weight_decay"] = coin()
    if opt != "sgd" and coin():
        kw["eps"] = 10 ** u(-10 if opt == "adagrad" else -8, -2)
    if coin():
        kw["weight_decay"] = u(0, 0.3)
    if rng.random() < 0.3:
        kw["maximize"] = True
    schedule = [None, ["step", int(rng.integers(1, 10)), u(0.1, 0.9)], ["inv", u(0, 0.5)],
                ["warmup", int(rng.integers(1, 12))]][int(rng.integers(4))]
    return {"opt": opt, "kwargs": kw, "schedule": schedule}


_rng = np.random.default_rng(16)
CONFIGS += [random_config(_rng, opt) for opt in ("nadam", "radam", "adamax", "adadelta")
            for _ in range(RANDOM_PER_OPTIMIZER)]

# K settings at once: a list is one value per setting (betas: per component)
SWEEPS = [
    C("sgd", lr=[0.001, 0.002, 0.003], momentum=[0.0, 0.9, 0.5], maximize=True),
    C("adam", ["warmup", 10], lr=[0.01, 0.05, 0.02], betas=[0.9, [0.99, 0.999, 0.9]], weight_decay=0.1,
      decoupled_weight_decay=True),
    C("nadam", lr=[0.002, 0.01, 0.03], momentum_decay=[0.004, 0.0, 0.1], weight_decay=[0.0, 0.1, 0.05],
      decoupled_weight_decay=True),
    C("radam", lr=[0.01, 0.02, 0.05], betas=[[0.9, 0.5, 0.8], [0.999, 0.9, 0.99]], weight_decay=0.05),
    C("adamax", lr=[0.002, 0.02, 0.05], betas=[[0.9, 0.5, 0.0], 0.999], eps=[1e-8, 1e-4, 1e-2], maximize=True),
    C("adadelta", ["inv", 0.1], lr=[1.0, 0.5, 2.0], rho=[0.9, 0.5, 0.99], eps=[1e-6, 1e-4, 1e-3],
      weight_decay=[0.0, 0.1, 0.01]),
]


def settings(config):
    """A K-settings config (lists of K values; for betas, per component) as K single configs."""
    def pick(key, value, i):
        if key == "betas":
            return [c[i] if isinstance(c, list) else c for c in value]
        return value[i] if isinstance(value, list) else value

    kwargs = config["kwargs"]
    (K,) = {len(c) for key, v in kwargs.items() for c in (v if key == "betas" else [v]) if isinstance(c, list)}
    return [{"opt": config["opt"], "schedule": config["schedule"],
             "kwargs": {key: pick(key, v, i) for key, v in kwargs.items()}} for i in range(K)]


# ----------------------------------------------------------------------------- torch
def torch_trajectory(name, problem, config, steps=STEPS):
    """Run torch.optim on problem ``name`` in float64; returns (steps + 1, n) flat params.

    Schedules step after the optimizer (StepLR, or LambdaLR with ``lr_factor``), so step k
    uses base_lr * factor(k). The default dtype is float64 meanwhile: NAdam keeps its
    ``mu_product`` in it (float32 otherwise, a 1e-7 difference).
    """
    import torch

    dtype = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    try:
        return _torch_trajectory(torch, name, problem, config, steps)
    finally:
        torch.set_default_dtype(dtype)


def _torch_trajectory(torch, name, problem, config, steps):
    start = x0(name, problem)
    keys = list(start) if isinstance(start, dict) else None
    arrays = [start[k] for k in keys] if keys else [start]
    tensors = [torch.tensor(a, dtype=torch.float64) for a in arrays]
    opt = getattr(torch.optim, TORCH_CLASS[config["opt"]])(tensors, foreach=False, **scaled_kwargs(config, problem))
    schedule = config["schedule"]
    if schedule is None:
        sched = None
    elif schedule[0] == "step":
        sched = torch.optim.lr_scheduler.StepLR(opt, step_size=schedule[1], gamma=schedule[2])
    else:
        sched = torch.optim.lr_scheduler.LambdaLR(opt, lr_factor(schedule))

    def current():
        values = [t.detach().numpy().copy() for t in tensors]
        return dict(zip(keys, values)) if keys else values[0]

    rows = [flat(current())]
    for _ in range(steps):
        g = grad(name, problem, current())
        for t, gi in zip(tensors, [g[k] for k in keys] if keys else [g]):
            t.grad = torch.tensor(gi, dtype=torch.float64)
        opt.step()
        if sched is not None:
            sched.step()
        rows.append(flat(current()))
    return np.array(rows)


def main():
    import torch

    probs = problems()
    out = {"meta": np.array(json.dumps({"torch": torch.__version__, "steps": STEPS,
                                        "problems": probs, "configs": CONFIGS, "sweeps": SWEEPS}))}
    for name, problem in probs.items():
        out[name] = np.stack([torch_trajectory(name, problem, c) for c in CONFIGS])
        assert np.isfinite(out[name]).all(), name
        for j, sweep in enumerate(SWEEPS):
            out[f"sweep{j}/{name}"] = np.stack([torch_trajectory(name, problem, c) for c in settings(sweep)])
            assert np.isfinite(out[f"sweep{j}/{name}"]).all(), (name, sweep)
    np.savez_compressed(GOLDEN, **out)
    print(f"wrote {GOLDEN} ({GOLDEN.stat().st_size / 1024:.0f} KB), {len(CONFIGS)} configs and "
          f"{len(SWEEPS)} sweeps x {len(probs)} problems")


if __name__ == "__main__":
    main()
