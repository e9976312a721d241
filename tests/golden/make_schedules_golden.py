"""Write tests/golden/schedules.json: the rates PyTorch's schedulers report, for the schedule tests.

Run from the repository root (needs torch 2.13.0, CPU build)::

    .venv/bin/python tests/golden/make_schedules_golden.py

Each case pairs an lrcourse schedule ``ours = {"name", "kwargs"}`` with the torch scheduler
``torch = {"name", "kwargs"}`` that should give the same rates, and stores ``lrs[t]`` =
``scheduler.get_last_lr()[0]`` after ``t`` calls of ``scheduler.step()``, t = 0 .. T-1.
Nested schedules (warmup, sequential, chained) hold specs of the same form in their kwargs.
Where a function goes (``lr_lambda``, ``scale_fn``) a spec holds ``{"fn": name, ...}``, made
into the function by golden_functions.py for both sides.

``torch_lrs`` and ``torch_spec`` are also imported by tests/test_schedules.py, which runs
them live on random configurations when torch is installed: the torch side is written once.
"""
from __future__ import annotations

import importlib.util
import json
import pathlib
import warnings

import numpy as np
import torch
from torch.optim import SGD
from torch.optim import lr_scheduler as L

OUT = pathlib.Path(__file__).with_name("schedules.json")
_spec = importlib.util.spec_from_file_location("golden_functions", OUT.with_name("golden_functions.py"))
functions = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(functions)
WSD_EPS = 1e-300  # torch's LinearLR needs start_factor > 0; wsd warms up from exactly 0


def _optimizer(lr):
    # momentum so that CyclicLR / OneCycleLR can cycle it (they do by default)
    return SGD([torch.zeros(1, requires_grad=True)], lr=lr, momentum=0.9)


def _scheduler(opt, name, kwargs):
    if name == "SequentialLR":
        subs = [_scheduler(opt, s["name"], s["kwargs"]) for s in kwargs["schedulers"]]
        return L.SequentialLR(opt, subs, milestones=list(kwargs["milestones"]))
    if name == "ChainedScheduler":  # created in order: each makes its step 0 on the rate so far
        subs = [_scheduler(opt, s["name"], s["kwargs"]) for s in kwargs["schedulers"]]
        return L.ChainedScheduler(subs, optimizer=opt)
    return getattr(L, name)(opt, **functions.resolve(kwargs))


def torch_lrs(name, kwargs, T):
    """``get_last_lr()[0]`` after t = 0 .. T-1 steps of torch scheduler ``name`` (a list of floats).

    ``kwargs`` holds the scheduler's arguments plus ``lr``, the optimizer's rate. For
    ``SequentialLR`` it holds ``schedulers`` (a list of ``{"name", "kwargs"}`` without lr)
    and ``milestones``; ``ChainedScheduler`` holds ``schedulers`` only. For
    ``ReduceLROnPlateau`` it holds ``metrics``: the rate after each ``step(metric)``, so
    T = len(metrics) + 1.
    """
    kwargs = dict(kwargs)
    opt = _optimizer(kwargs.pop("lr"))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a torch warning here means a mis-driven scheduler
        if name == "ReduceLROnPlateau":
            metrics = kwargs.pop("metrics")
            sched = L.ReduceLROnPlateau(opt, **kwargs)
            lrs = [sched.get_last_lr()[0]]
            for m in metrics[: T - 1]:
                opt.step()
                sched.step(m)
                lrs.append(sched.get_last_lr()[0])
            return [float(x) for x in lrs]
        sched = _scheduler(opt, name, kwargs)
        lrs = [sched.get_last_lr()[0]]
        for _ in range(T - 1):
            opt.step()
            sched.step()
            lrs.append(sched.get_last_lr()[0])
    return [float(x) for x in lrs]


def torch_spec(name, kwargs):
    """The torch scheduler spec ``(name, kwargs with lr)`` equal to lrcourse schedule ``name(**kwargs)``.

    Nested schedules are specs ``{"name", "kwargs"}``. Raises ValueError where torch cannot
    express the schedule (warmup from 0, sequential parts with different lr, ...).
    """
    k = dict(kwargs)
    simple = {
        "constant": ("ConstantLR", lambda: {"factor": 1.0}),
        "constant_lr": ("ConstantLR", lambda: {key: k[key] for key in ("factor", "total_iters") if key in k}),
        "lambda_lr": ("LambdaLR", lambda: {"lr_lambda": k["lr_lambda"]}),
        "multiplicative": ("MultiplicativeLR", lambda: {"lr_lambda": k["lr_lambda"]}),
        "step": ("StepLR", lambda: {"step_size": k["step_size"], "gamma": k.get("gamma", 0.1)}),
        "multistep": ("MultiStepLR", lambda: {"milestones": list(k["milestones"]),
                                              "gamma": k.get("gamma", 0.1)}),
        "exponential": ("ExponentialLR", lambda: {"gamma": k["gamma"]}),
        "linear": ("LinearLR", lambda: {key: k[key] for key in
                                        ("start_factor", "end_factor", "total_iters") if key in k}),
        "polynomial": ("PolynomialLR", lambda: {key: k[key] for key in ("total_iters", "power")
                                                if key in k}),
        "cosine": ("CosineAnnealingLR", lambda: {"T_max": k["T_max"],
                                                 "eta_min": k.get("eta_min", 0.0)}),
        "cosine_warm_restarts": ("CosineAnnealingWarmRestarts", lambda: {
            "T_0": k["T_0"], "T_mult": k.get("T_mult", 1), "eta_min": k.get("eta_min", 0.0)}),
    }
    if name in simple:
        cls, args = simple[name]
        return cls, {"lr": k["lr"], **args()}
    if name == "cyclic":
        return "CyclicLR", {"lr": k["base_lr"], **k}
    if name == "one_cycle":
        return "OneCycleLR", {"lr": k["max_lr"], **k}
    if name == "warmup":
        if k.get("start_factor", 0.0) <= 0:
            raise ValueError("torch's LinearLR needs start_factor > 0")
        inner = k["schedule"]
        warm = {"name": "linear", "kwargs": {"lr": inner["kwargs"]["lr"],
                                             "start_factor": k["start_factor"],
                                             "end_factor": 1.0,
                                             "total_iters": max(k["warmup_steps"], 1)}}
        return torch_spec("sequential", {"schedules": [warm, inner],
                                         "milestones": [k["warmup_steps"]]})
    if name == "sequential":
        parts = [torch_spec(s["name"], s["kwargs"]) for s in k["schedules"]]
        lrs = {p[1]["lr"] for p in parts}
        # (MultiplicativeLR restarts from the rate so far at its milestone, ChainedScheduler fails)
        if len(lrs) != 1 or any(p[0] in ("CyclicLR", "OneCycleLR", "SequentialLR", "MultiplicativeLR",
                                         "ChainedScheduler") for p in parts):
            raise ValueError("torch's SequentialLR needs plain schedulers sharing one lr")
        subs = [{"name": cls, "kwargs": {a: b for a, b in kw.items() if a != "lr"}}
                for cls, kw in parts]
        return "SequentialLR", {"lr": lrs.pop(), "schedulers": subs,
                                "milestones": list(k["milestones"])}
    if name == "chained":
        parts = [torch_spec(s["name"], s["kwargs"]) for s in k["schedules"]]
        flat = []
        for cls, kw in parts:  # a chain in a chain is spliced in
            flat += kw["schedulers"] if cls == "ChainedScheduler" else [{"name": cls, "kwargs": kw}]
        lrs = {s["kwargs"].pop("lr") for s in flat if "lr" in s["kwargs"]} | {
            kw["lr"] for cls, kw in parts if cls == "ChainedScheduler"}
        if len(lrs) != 1:
            raise ValueError("torch's ChainedScheduler drives one optimizer: one lr")
        return "ChainedScheduler", {"lr": lrs.pop(), "schedulers": flat}
    if name == "wsd":
        lr, total, w, d = k["lr"], k["total_steps"], k["warmup_steps"], k["decay_steps"]
        final = k.get("final_lr", 0.0)
        if d < 1 or not 0 <= final <= lr or lr <= 0:
            raise ValueError("the torch chain needs decay_steps >= 1 and 0 <= final_lr <= lr")
        subs = [{"name": "LinearLR", "kwargs": {"start_factor": WSD_EPS, "end_factor": 1.0,
                                                "total_iters": max(w, 1)}},
                {"name": "ConstantLR", "kwargs": {"factor": 1.0}},
                {"name": "LinearLR", "kwargs": {"start_factor": 1.0, "end_factor": final / lr,
                                                "total_iters": d}}]
        return "SequentialLR", {"lr": lr, "schedulers": subs, "milestones": [w, total - d]}
    if name == "ReduceLROnPlateau":
        return "ReduceLROnPlateau", dict(k)
    raise ValueError(f"unknown schedule {name!r}")


def _s(name, **kwargs):
    return {"name": name, "kwargs": kwargs}


def _metrics(n, seed, kind):
    """A fixed metric sequence: falling, then a noisy plateau (rounded: exact in JSON)."""
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    curve = 1.0 / (1 + 0.2 * t) + 0.02 * rng.standard_normal(n)
    curve = np.where(t > n // 2, curve[n // 2] + 0.01 * rng.standard_normal(n), curve)
    if kind == "max":
        curve = 1 - curve
    return [round(float(x), 4) for x in curve]


def _f(name, **params):
    return {"fn": name, **params}


def new_cases():
    """ConstantLR, LambdaLR, MultiplicativeLR, ChainedScheduler, CyclicLR's scale_fn and
    OneCycleLR's epochs (issue 16)."""
    lr = 0.1
    chains = {
        "torch docs: ConstantLR, ExponentialLR": [_s("constant_lr", lr=1.0, factor=0.1, total_iters=2),
                                                 _s("exponential", lr=1.0, gamma=0.9)],
        "linear, step, polynomial": [_s("linear", lr=lr, start_factor=0.2, total_iters=10),
                                     _s("step", lr=lr, step_size=7, gamma=0.5),
                                     _s("polynomial", lr=lr, total_iters=50, power=2.0)],
        "multistep, constant_lr, linear decay to 0": [
            _s("multistep", lr=lr, milestones=[0, 5, 5, 30], gamma=0.5),
            _s("constant_lr", lr=lr, factor=0.25, total_iters=12),
            _s("linear", lr=lr, start_factor=1.0, end_factor=0.0, total_iters=40)],
        "cosine eta_min, exponential": [_s("cosine", lr=lr, T_max=30, eta_min=0.01),
                                        _s("exponential", lr=lr, gamma=0.99)],
        "exponential, cosine past T_max": [_s("exponential", lr=lr, gamma=0.99), _s("cosine", lr=lr, T_max=25)],
        "lambda_lr, exponential": [_s("lambda_lr", lr=lr, lr_lambda=_f("power", gamma=0.95)),
                                   _s("exponential", lr=lr, gamma=0.99)],
        "exponential, lambda_lr": [_s("exponential", lr=lr, gamma=0.99),
                                   _s("lambda_lr", lr=lr, lr_lambda=_f("warmup", w=10))],
        "multiplicative, multistep": [_s("multiplicative", lr=lr, lr_lambda=_f("piecewise", until=10, then=0.9)),
                                      _s("multistep", lr=lr, milestones=[0, 5, 5, 40], gamma=0.5)],
        "warm restarts, linear": [_s("cosine_warm_restarts", lr=lr, T_0=10, T_mult=2, eta_min=0.001),
                                  _s("linear", lr=lr, start_factor=0.5, total_iters=20)],
        "linear, warm restarts": [_s("linear", lr=lr, start_factor=0.5, total_iters=20),
                                  _s("cosine_warm_restarts", lr=lr, T_0=10, T_mult=2, eta_min=0.001)],
        "constant, cosine": [_s("constant", lr=lr), _s("cosine", lr=lr, T_max=20)],
        "one schedule": [_s("step", lr=lr, step_size=3, gamma=0.5)],
        "a chain in a chain": [_s("chained", schedules=[_s("constant_lr", lr=lr, factor=0.5, total_iters=4),
                                                         _s("cosine", lr=lr, T_max=15)]),
                               _s("exponential", lr=lr, gamma=0.97)],
    }
    return [
        ("constant_lr defaults", _s("constant_lr", lr=lr), 12),
        ("constant_lr torch docs", _s("constant_lr", lr=0.05, factor=0.5, total_iters=40), 60),
        ("constant_lr factor 1", _s("constant_lr", lr=lr, factor=1.0, total_iters=3), 10),
        ("constant_lr total_iters 0", _s("constant_lr", lr=lr, factor=0.5, total_iters=0), 10),
        ("constant_lr lr 0", _s("constant_lr", lr=0.0), 8),
        ("lambda_lr power", _s("lambda_lr", lr=lr, lr_lambda=_f("power", gamma=0.95)), 100),
        ("lambda_lr warmup", _s("lambda_lr", lr=0.5, lr_lambda=_f("warmup", w=10)), 30),
        ("lambda_lr inverse", _s("lambda_lr", lr=lr, lr_lambda=_f("inverse", c=0.1)), 50),
        ("lambda_lr cosine", _s("lambda_lr", lr=lr, lr_lambda=_f("cosine", T=30)), 40),
        ("lambda_lr zero", _s("lambda_lr", lr=lr, lr_lambda=_f("constant", f=0.0)), 5),
        ("multiplicative constant = exponential", _s("multiplicative", lr=lr,
                                                     lr_lambda=_f("constant", f=0.95)), 100),
        ("multiplicative piecewise", _s("multiplicative", lr=lr,
                                        lr_lambda=_f("piecewise", until=10, then=0.9)), 60),
        ("multiplicative inverse", _s("multiplicative", lr=1.0, lr_lambda=_f("inverse", c=0.05)), 40),
        ("multiplicative step_down", _s("multiplicative", lr=lr,
                                        lr_lambda=_f("step_down", n=5, gamma=0.9)), 30),
        *[(f"chained {name}", _s("chained", schedules=parts), 100) for name, parts in chains.items()],
        ("cyclic scale_fn sine (torch docs)", _s("cyclic", base_lr=0.01, max_lr=0.1, step_size_up=5,
                                                 scale_fn=_f("sine")), 60),
        ("cyclic scale_fn halving = triangular2", _s("cyclic", base_lr=0.01, max_lr=0.1, step_size_up=4,
                                                     step_size_down=6, scale_fn=_f("halving")), 50),
        ("cyclic scale_fn iterations", _s("cyclic", base_lr=0.01, max_lr=0.1, step_size_up=5,
                                          step_size_down=7, scale_fn=_f("power", gamma=0.99),
                                          scale_mode="iterations"), 60),
        ("cyclic scale_fn with mode ignored", _s("cyclic", base_lr=0.0, max_lr=0.2, step_size_up=3,
                                                 mode="exp_range", gamma=0.5,
                                                 scale_fn=_f("inverse", c=0.5)), 30),
        ("one_cycle epochs", _s("one_cycle", max_lr=0.1, epochs=10, steps_per_epoch=12), 120),
        ("one_cycle epochs three_phase linear", _s("one_cycle", max_lr=1.0, epochs=4, steps_per_epoch=25,
                                                   anneal_strategy="linear", three_phase=True), 100),
        ("one_cycle total_steps wins over epochs", _s("one_cycle", max_lr=0.1, total_steps=50, epochs=3,
                                                      steps_per_epoch=7), 50),
        ("sequential constant_lr, lambda_lr", _s("sequential", schedules=[
            _s("constant_lr", lr=lr, factor=0.5, total_iters=3),
            _s("lambda_lr", lr=lr, lr_lambda=_f("power", gamma=0.9))], milestones=[5]), 30),
    ]


def cases():
    """The golden configurations: (id, ours spec, T), plus raw-torch combinations."""
    c = [
        ("constant", _s("constant", lr=0.1), 20),
        ("constant lr=0", _s("constant", lr=0.0), 10),
        ("step", _s("step", lr=0.1, step_size=7, gamma=0.5), 60),
        ("step gamma=1", _s("step", lr=0.3, step_size=3, gamma=1.0), 20),
        ("step size 1", _s("step", lr=0.2, step_size=1, gamma=0.9), 80),
        ("step lr=0", _s("step", lr=0.0, step_size=2), 10),
        ("multistep", _s("multistep", lr=0.1, milestones=[10, 25]), 40),
        ("multistep empty", _s("multistep", lr=0.1, milestones=[], gamma=0.5), 20),
        ("multistep unsorted, repeated, 0", _s("multistep", lr=0.1, milestones=[12, 0, 5, 12],
                                               gamma=0.5), 30),
        ("exponential", _s("exponential", lr=0.1, gamma=0.95), 200),
        ("exponential gamma=1", _s("exponential", lr=0.1, gamma=1.0), 20),
        ("exponential growth", _s("exponential", lr=1e-5, gamma=1.1), 120),
        ("linear defaults", _s("linear", lr=0.1), 12),
        ("linear decay to 0", _s("linear", lr=0.1, start_factor=1.0, end_factor=0.0,
                                 total_iters=37), 60),
        ("linear warmup", _s("linear", lr=0.05, start_factor=0.01, end_factor=1.0,
                             total_iters=100), 150),
        ("polynomial defaults", _s("polynomial", lr=0.1), 10),
        ("polynomial 0.9", _s("polynomial", lr=0.1, total_iters=50, power=0.9), 80),
        ("polynomial 2", _s("polynomial", lr=1.0, total_iters=30, power=2.0), 40),
        ("cosine past T_max", _s("cosine", lr=0.1, T_max=50), 260),
        ("cosine T_max=1", _s("cosine", lr=0.1, T_max=1, eta_min=0.01), 10),
        ("cosine eta_min > lr", _s("cosine", lr=0.01, T_max=20, eta_min=0.05), 60),
        ("cosine eta_min", _s("cosine", lr=0.1, T_max=100, eta_min=1e-4), 230),
        ("warm restarts", _s("cosine_warm_restarts", lr=0.1, T_0=10), 45),
        ("warm restarts T_mult=2", _s("cosine_warm_restarts", lr=0.1, T_0=5, T_mult=2,
                                      eta_min=0.001), 160),
        ("warm restarts T_0=1 T_mult=3", _s("cosine_warm_restarts", lr=0.5, T_0=1, T_mult=3), 130),
        ("warm restarts T_0=1", _s("cosine_warm_restarts", lr=0.5, T_0=1), 5),
        ("cyclic triangular", _s("cyclic", base_lr=0.001, max_lr=0.006, step_size_up=10), 70),
        ("cyclic triangular2", _s("cyclic", base_lr=0.01, max_lr=0.1, step_size_up=5,
                                  step_size_down=15, mode="triangular2"), 100),
        ("cyclic exp_range", _s("cyclic", base_lr=0.01, max_lr=0.1, step_size_up=8,
                                mode="exp_range", gamma=0.99), 80),
        ("cyclic sawtooth", _s("cyclic", base_lr=0.0, max_lr=0.1, step_size_up=6,
                               step_size_down=0), 30),
        ("cyclic base > max", _s("cyclic", base_lr=0.1, max_lr=0.01, step_size_up=4), 20),
        ("one_cycle", _s("one_cycle", max_lr=0.1, total_steps=100), 100),
        ("one_cycle linear", _s("one_cycle", max_lr=0.1, total_steps=50, pct_start=0.25,
                                anneal_strategy="linear"), 50),
        ("one_cycle three_phase", _s("one_cycle", max_lr=1.0, total_steps=60, three_phase=True), 60),
        ("one_cycle three_phase linear", _s("one_cycle", max_lr=0.5, total_steps=40,
                                            pct_start=0.45, anneal_strategy="linear",
                                            div_factor=10.0, final_div_factor=100.0,
                                            three_phase=True), 40),
        ("one_cycle pct_start=0", _s("one_cycle", max_lr=0.1, total_steps=20, pct_start=0.0), 20),
        ("one_cycle total_steps=1", _s("one_cycle", max_lr=0.1, total_steps=1), 1),
        ("warmup cosine", _s("warmup", schedule=_s("cosine", lr=0.1, T_max=50), warmup_steps=10,
                             start_factor=0.1), 100),
        ("warmup exponential", _s("warmup", schedule=_s("exponential", lr=0.1, gamma=0.97),
                                  warmup_steps=5, start_factor=0.5), 40),
        ("warmup 0 steps", _s("warmup", schedule=_s("step", lr=0.1, step_size=4),
                              warmup_steps=0, start_factor=0.5), 20),
        ("sequential linear, cosine", _s("sequential", schedules=[
            _s("linear", lr=0.1, start_factor=0.1, end_factor=1.0, total_iters=10),
            _s("cosine", lr=0.1, T_max=40)], milestones=[10]), 80),
        ("sequential linear, cosine, exponential", _s("sequential", schedules=[
            _s("linear", lr=0.1, start_factor=0.5, total_iters=5),
            _s("cosine", lr=0.1, T_max=30, eta_min=0.001),
            _s("exponential", lr=0.1, gamma=0.9)], milestones=[5, 35]), 60),
        ("sequential milestone 0", _s("sequential", schedules=[
            _s("linear", lr=0.2, start_factor=0.25, total_iters=4),
            _s("cosine", lr=0.2, T_max=8)], milestones=[0]), 20),
        ("sequential repeated milestone", _s("sequential", schedules=[
            _s("constant", lr=0.2), _s("linear", lr=0.2, total_iters=4),
            _s("exponential", lr=0.2, gamma=0.8)], milestones=[5, 5]), 20),
        ("sequential linear, exponential", _s("sequential", schedules=[
            _s("linear", lr=0.1, start_factor=0.2, total_iters=6),
            _s("exponential", lr=0.1, gamma=0.95)], milestones=[6]), 40),
        ("sequential linear longer than milestone", _s("sequential", schedules=[
            _s("linear", lr=0.1, start_factor=0.2, total_iters=10),
            _s("exponential", lr=0.1, gamma=0.95)], milestones=[6]), 30),
        ("wsd", _s("wsd", lr=0.1, total_steps=100, warmup_steps=10, decay_steps=20,
                   final_lr=0.001), 120),
        ("wsd no warmup", _s("wsd", lr=0.1, total_steps=60, warmup_steps=0, decay_steps=30), 70),
        ("wsd no stable phase", _s("wsd", lr=0.3, total_steps=40, warmup_steps=15,
                                   decay_steps=25, final_lr=0.03), 50),
        ("plateau min rel", _s("ReduceLROnPlateau", lr=0.1, patience=2,
                               metrics=_metrics(60, 1, "min")), 61),
        ("plateau min abs cooldown min_lr", _s("ReduceLROnPlateau", lr=0.1, patience=1,
                                               factor=0.5, threshold=0.01, threshold_mode="abs",
                                               cooldown=3, min_lr=0.01,
                                               metrics=_metrics(60, 2, "min")), 61),
        ("plateau max rel", _s("ReduceLROnPlateau", lr=0.1, mode="max", patience=3, factor=0.3,
                               threshold=0.001, metrics=_metrics(60, 3, "max")), 61),
        ("plateau max abs patience 0", _s("ReduceLROnPlateau", lr=1.0, mode="max", patience=0,
                                          threshold=0.0, threshold_mode="abs", cooldown=1,
                                          metrics=_metrics(40, 4, "max")), 41),
        ("plateau eps rule", _s("ReduceLROnPlateau", lr=2e-7, patience=0, factor=0.5,
                                metrics=[1.0] * 12), 13),
    ]
    c += new_cases()
    out = [(name, spec, T, torch_spec(spec["name"], spec["kwargs"])) for name, spec, T in c]
    # Torch combinations with ConstantLR (no lrcourse twin class): ours is a nested sequential.
    lr = 0.05
    out.append(("torch ConstantLR, ExponentialLR (torch docs)",
                _s("sequential", schedules=[_s("constant", lr=lr * 0.1),
                                            _s("exponential", lr=lr, gamma=0.9)], milestones=[20]),
                50, ("SequentialLR", {"lr": lr, "milestones": [20], "schedulers": [
                    _s("ConstantLR", factor=0.1, total_iters=20), _s("ExponentialLR", gamma=0.9)]})))
    out.append(("torch ConstantLR ends before milestone",
                _s("sequential", schedules=[
                    _s("sequential", schedules=[_s("constant", lr=lr * 0.5), _s("constant", lr=lr)],
                       milestones=[3]),
                    _s("exponential", lr=lr, gamma=0.8)], milestones=[8]),
                30, ("SequentialLR", {"lr": lr, "milestones": [8], "schedulers": [
                    _s("ConstantLR", factor=0.5, total_iters=3), _s("ExponentialLR", gamma=0.8)]})))
    return out


def main():
    records = []
    for name, ours, T, (tname, tkwargs) in cases():
        records.append({"id": name, "ours": ours, "torch": {"name": tname, "kwargs": tkwargs},
                        "T": T, "lrs": torch_lrs(tname, tkwargs, T)})
    head = {"torch_version": torch.__version__,
            "note": "lrs[t] = scheduler.get_last_lr()[0] after t scheduler.step() calls; "
                    "written by tests/golden/make_schedules_golden.py"}
    lines = ",\n".join(json.dumps(r, separators=(",", ":")) for r in records)  # a case a line
    OUT.write_text(json.dumps(head)[:-1] + ', "cases": [\n' + lines + "\n]}\n")
    print(f"wrote {len(records)} cases, {sum(r['T'] for r in records)} rates, "
          f"{OUT.stat().st_size / 1024:.0f} KB to {OUT}")


if __name__ == "__main__":
    main()
