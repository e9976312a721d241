"""lrcourse.schedules against torch.optim.lr_scheduler (golden values and live), closed forms,
properties (hypothesis) and argument checks.

Tolerance: rtol 1e-12, plus an absolute 1e-13 x the case's largest rate. Most torch schedulers
update the rate recursively (lr_t = lr_{t-1} * ratio); near a rate that is exactly 0 in the
closed form (the bottom of a cosine, the end of a linear decay) torch's recursion leaves a
residue of a few 1e-17 where a relative test would be meaningless.
"""
from __future__ import annotations

import importlib.util
import json
import re
import warnings
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lrcourse import schedules as S

HERE = Path(__file__).resolve().parent
GOLDEN = json.loads((HERE / "golden" / "schedules.json").read_text())
CASES = GOLDEN["cases"]
_spec = importlib.util.spec_from_file_location("golden_functions", HERE / "golden" / "golden_functions.py")
functions = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(functions)


def build(spec):
    """An lrcourse schedule from a spec {"name", "kwargs"} (nested specs for warmup, sequential,
    chained; function specs {"fn", ...} for lr_lambda and scale_fn)."""
    name, kwargs = spec["name"], functions.resolve(spec["kwargs"])
    if name == "ReduceLROnPlateau":
        kwargs.pop("metrics")
    if name == "warmup":
        kwargs["schedule"] = build(kwargs["schedule"])
    if name in ("sequential", "chained"):
        kwargs["schedules"] = [build(s) for s in kwargs["schedules"]]
    return getattr(S, name)(**kwargs)


def our_lrs(spec, T):
    """Our rates for t = 0 .. T-1 (for ReduceLROnPlateau: the rate after each metric)."""
    s = build(spec)
    if spec["name"] == "ReduceLROnPlateau":
        return np.array([s.lr] + [s.step(m) for m in spec["kwargs"]["metrics"][: T - 1]])
    return s(np.arange(T))


def assert_close(ours, ref, what=""):
    ref = np.asarray(ref, dtype=float)
    peak = np.abs(ref).max() if ref.size else 0.0
    np.testing.assert_allclose(ours, ref, rtol=1e-12, atol=1e-13 * peak, err_msg=what)


# ----------------------------------------------------------------------------- golden (torch 2.13)
@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_matches_torch_golden(case):
    assert len(case["lrs"]) == case["T"]
    assert_close(our_lrs(case["ours"], case["T"]), case["lrs"], case["id"])


def test_golden_file_is_torch_2_13_and_covers_every_schedule():
    assert GOLDEN["torch_version"].startswith("2.13")
    names = {c["ours"]["name"] for c in CASES}
    assert names >= set(S.__all__) - {"Schedule"}


# ----------------------------------------------------------------------------- live torch
def _lr(rng):
    return float(rng.choice([0.0, 10 ** rng.uniform(-4, 0.5)], p=[0.05, 0.95]))


def _simple(rng, lr, T, starts_at_lr=False):
    """A random spec of a schedule that torch's SequentialLR can hold (with s(0) == lr if asked)."""
    names = ["constant", "step", "multistep", "exponential", "linear", "polynomial", "cosine",
             "cosine_warm_restarts", "constant_lr", "lambda_lr"]
    if starts_at_lr:  # torch's warmup chain ramps up to the optimizer's lr, ours to s(0)
        for name in ("linear", "constant_lr", "lambda_lr"):
            names.remove(name)
    name = str(rng.choice(names))
    kwargs = RANDOM[name](rng, T, lr=lr)
    if name == "constant_lr":  # (torch's SequentialLR restarts ConstantLR by its closed form, which
        kwargs["total_iters"] = max(kwargs["total_iters"], 1)  # ignores total_iters=0's lasting factor)
    if starts_at_lr and name == "multistep":
        kwargs["milestones"] = [m for m in kwargs["milestones"] if m > 0]
    return {"name": name, "kwargs": kwargs}


RANDOM = {  # name -> (rng, T, lr=None) -> our kwargs
    "constant": lambda rng, T, lr=None: {"lr": _lr(rng) if lr is None else lr},
    "step": lambda rng, T, lr=None: {
        "lr": _lr(rng) if lr is None else lr, "step_size": int(rng.integers(1, 20)),
        "gamma": float(rng.choice([1.0, 0.0, rng.uniform(0, 1.2)], p=[0.1, 0.05, 0.85]))},
    "multistep": lambda rng, T, lr=None: {
        "lr": _lr(rng) if lr is None else lr,
        "milestones": [int(m) for m in rng.integers(0, T + 1, size=rng.integers(0, 5))],
        "gamma": float(rng.uniform(0, 1))},
    "exponential": lambda rng, T, lr=None: {
        "lr": _lr(rng) if lr is None else lr, "gamma": float(rng.uniform(0.8, 1.05))},
    "linear": lambda rng, T, lr=None: {
        "lr": _lr(rng) if lr is None else lr, "start_factor": float(rng.uniform(1e-3, 1)),
        "end_factor": float(rng.choice([0.0, 1.0, rng.uniform(0, 1)])),
        "total_iters": int(rng.integers(1, T + 2))},
    "polynomial": lambda rng, T, lr=None: {
        "lr": _lr(rng) if lr is None else lr, "total_iters": int(rng.integers(1, T + 2)),
        "power": float(rng.choice([1.0, rng.uniform(0, 3)]))},
    "cosine": lambda rng, T, lr=None: {
        "lr": _lr(rng) if lr is None else lr, "T_max": int(rng.integers(1, max(T // 2, 2))),
        "eta_min": float(rng.choice([0.0, rng.uniform(0, 0.2)]))},
    "cosine_warm_restarts": lambda rng, T, lr=None: {
        "lr": _lr(rng) if lr is None else lr, "T_0": int(rng.integers(1, 30)),
        "T_mult": int(rng.integers(1, 4)), "eta_min": float(rng.choice([0.0, rng.uniform(0, 0.01)]))},
    "cyclic": lambda rng, T, lr=None: {
        "base_lr": _lr(rng), "max_lr": _lr(rng), "step_size_up": int(rng.integers(1, 20)),
        "step_size_down": None if rng.random() < 0.5 else int(rng.integers(0, 20)),
        "mode": str(rng.choice(["triangular", "triangular2", "exp_range"])),
        "gamma": float(rng.uniform(0.9, 1)),
        **({} if rng.random() < 0.5 else {"scale_fn": _function(rng, T),
                                           "scale_mode": str(rng.choice(["cycle", "iterations"]))})},
    "constant_lr": lambda rng, T, lr=None: {
        "lr": _lr(rng) if lr is None else lr, "factor": float(rng.choice([1.0, rng.uniform(1e-3, 1)])),
        "total_iters": int(rng.integers(0, T + 2))},
    "lambda_lr": lambda rng, T, lr=None: {"lr": _lr(rng) if lr is None else lr, "lr_lambda": _function(rng, T)},
    "multiplicative": lambda rng, T, lr=None: {
        "lr": _lr(rng) if lr is None else lr,
        "lr_lambda": {"fn": "piecewise", "until": int(rng.integers(0, T)), "then": float(rng.uniform(0.8, 1.05))}
        if rng.random() < 0.5 else _function(rng, T)},
}


def _function(rng, T):
    """A random function spec (see tests/golden/golden_functions.py) of the step, >= 0."""
    name = str(rng.choice(["power", "inverse", "warmup", "constant", "step_down", "cosine", "piecewise",
                           "sine", "halving"]))
    params = {"power": lambda: {"gamma": float(rng.uniform(0.8, 1.02))},
              "inverse": lambda: {"c": float(rng.uniform(0, 0.5))},
              "warmup": lambda: {"w": int(rng.integers(1, T + 1))},
              "constant": lambda: {"f": float(rng.uniform(0, 1.2))},
              "step_down": lambda: {"n": int(rng.integers(1, 20)), "gamma": float(rng.uniform(0, 1))},
              "cosine": lambda: {"T": int(rng.integers(1, T + 1))},
              "piecewise": lambda: {"until": int(rng.integers(0, T)), "then": float(rng.uniform(0, 1))},
              }.get(name, dict)()
    return {"fn": name, **params}


def _one_cycle(rng, T, lr=None):
    while True:
        kw = {"max_lr": _lr(rng), "total_steps": int(rng.integers(1, 200)),
              "pct_start": float(rng.choice([0.3, rng.uniform(0, 1)])),
              "anneal_strategy": str(rng.choice(["cos", "linear"])),
              "div_factor": float(rng.uniform(1, 100)),
              "final_div_factor": float(10 ** rng.uniform(0, 5)),
              "three_phase": bool(rng.random() < 0.5)}
        if rng.random() < 0.3:  # the length in epochs instead (and sometimes both: total_steps wins)
            kw.update(epochs=int(rng.integers(1, 10)), steps_per_epoch=int(rng.integers(1, 30)))
            if rng.random() < 0.7:
                del kw["total_steps"]
        if float(kw["pct_start"] * _total_steps(kw)) != 1.0:  # torch divides by zero there
            return kw


def _total_steps(kwargs):
    return kwargs["total_steps"] if "total_steps" in kwargs else kwargs["epochs"] * kwargs["steps_per_epoch"]


def _warmup(rng, T, lr=None):
    return {"schedule": _simple(rng, _lr(rng), T, starts_at_lr=True), "warmup_steps": int(rng.integers(0, 30)),
            "start_factor": float(rng.uniform(1e-3, 1))}


def _sequential(rng, T, lr=None):
    lr, n = _lr(rng), int(rng.integers(1, 4))
    return {"schedules": [_simple(rng, lr, T) for _ in range(n)],
            "milestones": sorted(int(m) for m in rng.integers(0, T, size=n - 1))}


def _wsd(rng, T, lr=None):
    total = int(rng.integers(1, T + 1))
    d = int(rng.integers(1, total + 1))
    lr = float(10 ** rng.uniform(-4, 0))
    return {"lr": lr, "total_steps": total, "warmup_steps": int(rng.integers(0, total - d + 1)),
            "decay_steps": d, "final_lr": float(rng.choice([0.0, lr * rng.uniform(0, 1)]))}


def _plateau(rng, T, lr=None):
    walk = np.cumsum(rng.normal(-0.02, 0.05, size=T - 1)) + 1
    metrics = [round(float(m), int(rng.integers(1, 4))) for m in walk]  # rounding makes ties
    if rng.random() < 0.2:
        metrics[int(rng.integers(0, T - 1))] = float("nan")
    return {"lr": float(10 ** rng.uniform(-8, 0)), "mode": str(rng.choice(["min", "max"])),
            "factor": float(rng.uniform(0, 0.99)), "patience": int(rng.integers(0, 5)),
            "threshold": float(rng.choice([0.0, 10 ** rng.uniform(-4, -1)])),
            "threshold_mode": str(rng.choice(["rel", "abs"])), "cooldown": int(rng.integers(0, 4)),
            "min_lr": float(rng.choice([0.0, 10 ** rng.uniform(-9, -2)])), "metrics": metrics}


def _chained(rng, T, lr=None):
    lr = _lr(rng)
    names = ["constant", "constant_lr", "step", "multistep", "exponential", "linear", "polynomial", "cosine",
             "cosine_warm_restarts", "lambda_lr", "multiplicative"]
    if rng.random() < 0.4:  # a chain torch computes with ratios only: the closed form here
        names = names[:7]
    return {"schedules": [{"name": name, "kwargs": RANDOM[name](rng, T, lr=lr)}
                          for name in rng.choice(names, size=int(rng.integers(1, 5)))]}


RANDOM.update({"one_cycle": _one_cycle, "warmup": _warmup, "sequential": _sequential,
               "wsd": _wsd, "ReduceLROnPlateau": _plateau, "chained": _chained})


@pytest.fixture(scope="module")
def gold():
    torch = pytest.importorskip("torch")
    if not torch.__version__.startswith("2.13"):
        pytest.skip(f"live parity is pinned to torch 2.13, found {torch.__version__}")
    path = HERE / "golden" / "make_schedules_golden.py"
    spec = importlib.util.spec_from_file_location("make_schedules_golden", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("name", list(RANDOM))
def test_matches_torch_live_on_random_configurations(gold, name):
    rng = np.random.default_rng(sum(map(ord, name)))
    for _ in range(50):
        T = int(rng.integers(2, 160))
        kwargs = RANDOM[name](rng, T)
        if name == "one_cycle":
            T = _total_steps(kwargs)  # torch raises past it
        spec = {"name": name, "kwargs": kwargs}
        tname, tkwargs = gold.torch_spec(name, kwargs)
        assert_close(our_lrs(spec, T), gold.torch_lrs(tname, tkwargs, T), f"{spec}")


# ----------------------------------------------------------------------------- closed forms
def test_calling_conventions():
    s = S.cosine(lr=0.1, T_max=10)
    assert type(s(3)) is float and type(s(np.int32(3))) is float
    assert s(np.uint8(3)) == s(3)
    grid = np.arange(12, dtype=np.int16).reshape(3, 4)
    out = s(grid)
    assert out.shape == (3, 4) and out.dtype == np.float64
    assert out[2, 3] == s(11)
    assert s(np.array(5)).shape == () and s(np.array(5)) == s(5)
    assert s([1, 2]).tolist() == [s(1), s(2)]
    assert s(np.array([], dtype=int)).shape == (0,)
    assert s(np.arange(3, dtype=np.uint64)).tolist() == [s(0), s(1), s(2)]


def test_wsd_closed_form():
    s = S.wsd(lr=1.0, total_steps=10, warmup_steps=2, decay_steps=4, final_lr=0.2)
    np.testing.assert_allclose(s(np.arange(13)),
                               [0, 0.5, 1, 1, 1, 1, 1, 0.8, 0.6, 0.4, 0.2, 0.2, 0.2], rtol=1e-15)
    no_decay = S.wsd(lr=1.0, total_steps=5, warmup_steps=2, decay_steps=0, final_lr=0.1)
    assert no_decay(np.arange(7)).tolist() == [0, 0.5, 1, 1, 1, 0.1, 0.1]


def test_wsd_cooldown_shapes_closed_form():
    t = np.arange(11)
    u = np.array([0, 0, 0, 0, 0, 0, 0.25, 0.5, 0.75, 1, 1])  # cool-down over steps 5..9 (fraction done)
    for shape, c in [("linear", 1 - u), ("1-sqrt", 1 - np.sqrt(u)), ("cosine", (1 + np.cos(np.pi * u)) / 2)]:
        s = S.wsd(lr=2.0, total_steps=9, warmup_steps=0, decay_steps=4, final_lr=0.5, shape=shape)
        np.testing.assert_allclose(s(t)[1:], (0.5 + 1.5 * c)[1:], rtol=1e-15)
        assert s(0) == 2.0 and s(9) == 0.5 and "shape=" in repr(s)
    one_minus_sqrt = S.wsd(1.0, 100, 0, 100, shape="1-sqrt")(np.arange(101))
    assert one_minus_sqrt[25] == 0.5 and np.all(one_minus_sqrt <= S.wsd(1.0, 100, 0, 100)(np.arange(101)))


def test_warmup_from_zero_closed_form():
    s = S.warmup(S.exponential(lr=0.4, gamma=0.5), warmup_steps=4)
    np.testing.assert_allclose(s(np.arange(7)), [0, 0.1, 0.2, 0.3, 0.4, 0.2, 0.1], rtol=1e-15)
    assert S.warmup(S.constant(0.3), 0)(np.arange(3)).tolist() == [0.3, 0.3, 0.3]


def test_warmup_and_sequential_take_plain_callables():
    s = S.sequential([lambda t: 0.1 / (1 + t), S.constant(0.01)], milestones=[3])
    np.testing.assert_allclose(s(np.arange(5)), [0.1, 0.05, 0.1 / 3, 0.01, 0.01], rtol=1e-15)
    w = S.warmup(lambda t: 0.2 + 0 * t, warmup_steps=2, start_factor=0.5)
    np.testing.assert_allclose(w(np.arange(4)), [0.1, 0.15, 0.2, 0.2], rtol=1e-15)


def test_cosine_is_periodic_past_T_max_like_torch():
    s = S.cosine(lr=0.1, T_max=7, eta_min=0.01)
    assert s(7) == pytest.approx(0.01, abs=1e-17)
    t = np.arange(50)
    np.testing.assert_allclose(s(t + 14), s(t), rtol=1e-12)


def test_cosine_warm_restarts_restart_points():
    s = S.cosine_warm_restarts(lr=1.0, T_0=3, T_mult=2)
    starts = [0, 3, 9, 21, 45, 93, 3 * (2**40 - 1)]
    assert all(s(t) == 1.0 for t in starts)
    assert all(s(t - 1) < 0.5 for t in starts[1:])
    big = S.cosine_warm_restarts(lr=1.0, T_0=1, T_mult=10)
    assert [big(t) for t in (0, 1, 11, 111, 1111, 11111)] == [1.0] * 6


def test_one_cycle_holds_its_last_value_past_total_steps():
    for strategy in ("cos", "linear"):
        s = S.one_cycle(max_lr=1.0, total_steps=20, anneal_strategy=strategy)
        lowest = 1.0 / 25 / 1e4
        assert s(19) == pytest.approx(lowest, rel=1e-12)
        assert s(np.arange(19, 200)).tolist() == [s(19)] * 181
        assert s(10**12) == s(19)


def test_one_cycle_zero_length_warmup_starts_at_max_lr():
    # torch raises ZeroDivisionError when pct_start * total_steps == 1
    s = S.one_cycle(max_lr=0.5, total_steps=10, pct_start=0.1)
    assert s(0) == 0.5 and 0 < s(1) < 0.5


def test_plateau_nan_metric_is_a_bad_step():
    p = S.ReduceLROnPlateau(lr=1.0, patience=0, factor=0.5)
    assert p.step(1.0) == 1.0
    assert p.step(float("nan")) == 0.5
    assert p.step(np.float64("inf")) == 0.25
    assert p.step(np.array(0.5)) == 0.25 and p.best == 0.5


def test_plateau_eps_rule_stops_tiny_reductions():
    p = S.ReduceLROnPlateau(lr=3e-8, patience=0, factor=0.5)
    lrs = [p.step(1.0) for _ in range(5)]
    assert lrs == [3e-8, 1.5e-8, 1.5e-8, 1.5e-8, 1.5e-8]  # 1.5e-8 -> 7.5e-9 is a change < eps


def test_no_warnings_where_values_overflow():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert S.exponential(lr=1.0, gamma=2.0)(5000) == np.inf
        assert S.exponential(lr=1.0, gamma=0.5)(5000) == 0.0
        assert np.all(np.isfinite(S.cyclic(0.1, 1.0, step_size_up=3, step_size_down=0)(np.arange(30))))
        assert S.cyclic(0.1, 1.0, step_size_up=1, mode="triangular2")(2**20) == 0.1


def test_repr_shows_the_arguments_and_evaluates_back():
    s = S.cosine(lr=0.1, T_max=100)
    assert repr(s) == "cosine(lr=0.1, T_max=100, eta_min=0.0)"
    nested = S.sequential([S.warmup(s, 5), S.multistep(0.1, [3, 1])], milestones=[50])
    assert repr(nested) == ("sequential(schedules=(warmup(schedule=cosine(lr=0.1, T_max=100, "
                            "eta_min=0.0), warmup_steps=5, start_factor=0.0), multistep(lr=0.1, "
                            "milestones=(3, 1), gamma=0.1)), milestones=(50,))")
    again = eval(repr(nested), vars(S))
    assert repr(again) == repr(nested) and again(np.arange(80)).tolist() == nested(np.arange(80)).tolist()
    p = S.ReduceLROnPlateau(lr=0.1, patience=3)
    assert repr(p).startswith("ReduceLROnPlateau(lr=0.1, mode='min', factor=0.1, patience=3,")
    assert S.one_cycle(1.0, 10).three_phase is False and S.cyclic(0.1, 1.0).step_size_down is None


# ----------------------------------------------------------------------------- issue 16 additions
def test_constant_lr_closed_form_and_torch_defaults():
    s = S.constant_lr(lr=0.3)
    assert (s.factor, s.total_iters) == (1 / 3, 5)
    np.testing.assert_allclose(s(np.arange(8)), [0.1] * 5 + [0.3] * 3, rtol=1e-15)
    assert S.constant_lr(0.3, 0.5, 0)(np.arange(4)).tolist() == [0.15] * 4  # torch never undoes it
    assert S.constant_lr(0.3, 0.0, 2)(np.arange(4)).tolist() == [0.0, 0.0, 0.3, 0.3]
    assert S.constant_lr(0.3, 1.0, 2)(np.arange(4)).tolist() == [0.3] * 4


def test_lambda_lr_calls_the_function_with_ints_once_per_step():
    seen = []

    def factor(t):
        seen.append(t)
        return 2.0**-t  # an int power of a float: a numpy int64 t would fail here

    s = S.lambda_lr(0.5, factor)
    assert s(np.array([3, 0, 3, 1])).tolist() == [0.0625, 0.5, 0.0625, 0.25]
    assert sorted(seen) == [0, 1, 3] and all(type(t) is int for t in seen)
    assert s(2) == 0.125 and type(s(2)) is float


def test_multiplicative_is_a_running_product_computed_once():
    calls = []

    def factor(t):
        calls.append(t)
        return 0.5 if t % 2 else 1.0

    s = S.multiplicative(8.0, factor)
    assert [s(k) for k in range(6)] == [8.0, 4.0, 4.0, 2.0, 2.0, 1.0]  # one step at a time, as an optimizer asks
    assert s(np.arange(6)).tolist() == [8.0, 4.0, 4.0, 2.0, 2.0, 1.0]
    assert calls == [1, 2, 3, 4, 5]  # each step's factor once, in order; never for step 0
    np.testing.assert_allclose(S.multiplicative(0.1, lambda t: 0.9)(np.arange(50)),
                               S.exponential(0.1, 0.9)(np.arange(50)), rtol=1e-13)
    big = S.multiplicative(1.0, lambda t: 1.0)
    assert big(10**5) == 1.0
    with pytest.raises(ValueError, match="^t must be <"):
        big(S.MAX_RECURSIVE_STEP)


def test_chained_of_factors_is_their_product_in_closed_form():
    lr = 0.2
    parts = [S.constant_lr(lr, 0.1, 5), S.exponential(lr, 0.9), S.step(lr, 3, 0.5)]
    s = S.chained(parts)
    t = np.arange(40)
    expected = lr * np.where(t < 5, 0.1, 1.0) * 0.9**t * 0.5 ** (t // 3)
    np.testing.assert_allclose(s(t), expected, rtol=1e-14)
    assert s._closed and s(2**40) == lr * 0.9**(2**40) * 0.5 ** (2**40 // 3)  # far steps: closed form
    nested = S.chained([S.chained(parts[:2]), parts[2]])
    assert nested(t).tolist() == s(t).tolist()


def test_chained_follows_torch_where_a_schedule_sets_the_rate():
    lr = 1.0
    # lambda_lr sets lr * f(t) whatever came before it; later ones still scale it
    after = S.chained([S.exponential(lr, 0.5), S.lambda_lr(lr, lambda t: 1.0 / (t + 1))])
    assert after(np.arange(4)).tolist() == [1.0, 0.5, 1 / 3, 0.25]
    before = S.chained([S.lambda_lr(lr, lambda t: 1.0 / (t + 1)), S.exponential(lr, 0.5)])
    assert before(np.arange(4)).tolist() == [1.0, 0.25, 1 / 6, 0.125]  # only this step's factor 0.5
    assert not after._closed and after(3) == 0.25


def test_cyclic_scale_fn_and_scale_mode():
    t = np.arange(60)
    halving = S.cyclic(0.01, 0.1, 4, 6, scale_fn=lambda c: 1 / (2.0 ** (c - 1)))
    np.testing.assert_allclose(halving(t), S.cyclic(0.01, 0.1, 4, 6, mode="triangular2")(t), rtol=1e-15)
    decay = S.cyclic(0.01, 0.1, 5, scale_fn=lambda k: 0.99**k, scale_mode="iterations")
    np.testing.assert_allclose(decay(t), S.cyclic(0.01, 0.1, 5, mode="exp_range", gamma=0.99)(t), rtol=1e-15)
    cycles = []
    S.cyclic(0.0, 1.0, 2, scale_fn=lambda c: cycles.append(c) or 1.0)(np.arange(9))
    assert sorted(cycles) == [1, 2, 3] and all(type(c) is int for c in cycles)


def test_one_cycle_from_epochs():
    t = np.arange(130)
    assert S.one_cycle(0.1, epochs=10, steps_per_epoch=13)(t).tolist() == S.one_cycle(0.1, 130)(t).tolist()
    assert S.one_cycle(0.1, 50, epochs=3, steps_per_epoch=7).total_steps == 50  # as torch: total_steps wins
    with pytest.raises(ValueError, match="total_steps must be given, or else both epochs and steps_per_epoch"):
        S.one_cycle(0.1, epochs=10)


# ----------------------------------------------------------------------------- properties
lrs = st.floats(0, 10)
unit = st.floats(0, 1)
small = st.integers(1, 60)


@st.composite
def simple_schedules(draw):
    """A valid schedule that never grows without bound (gamma <= 1)."""
    kind = draw(st.sampled_from(["constant", "step", "multistep", "exponential", "linear",
                                 "polynomial", "cosine", "cosine_warm_restarts", "cyclic",
                                 "one_cycle", "wsd", "constant_lr", "lambda_lr", "chained"]))
    lr = draw(lrs)
    if kind == "constant":
        return S.constant(lr)
    if kind == "constant_lr":
        return S.constant_lr(lr, draw(unit), draw(st.integers(0, 60)))
    if kind == "lambda_lr":
        c = draw(st.floats(0, 10))
        return S.lambda_lr(lr, lambda t: 1.0 / (1.0 + c * t))
    if kind == "chained":  # of schedules whose product is its closed form (any step, however far)
        return S.chained([S.exponential(lr, draw(unit)), S.constant_lr(lr, draw(unit), draw(small)),
                          S.multistep(lr, draw(st.lists(st.integers(0, 100), max_size=3)), draw(unit))])
    if kind == "step":
        return S.step(lr, draw(small), draw(unit))
    if kind == "multistep":
        return S.multistep(lr, draw(st.lists(st.integers(0, 100), max_size=5)), draw(unit))
    if kind == "exponential":
        return S.exponential(lr, draw(unit))
    if kind == "linear":
        return S.linear(lr, draw(st.floats(1e-6, 1)), draw(unit), draw(small))
    if kind == "polynomial":
        return S.polynomial(lr, draw(small), draw(st.floats(0, 5)))
    if kind == "cosine":
        return S.cosine(lr, draw(small), draw(lrs))
    if kind == "cosine_warm_restarts":
        return S.cosine_warm_restarts(lr, draw(small), draw(st.integers(1, 4)), draw(lrs))
    if kind == "cyclic":
        return S.cyclic(lr, draw(lrs), draw(small), draw(st.none() | st.integers(0, 60)),
                        draw(st.sampled_from(["triangular", "triangular2", "exp_range"])), draw(unit))
    if kind == "one_cycle":
        return S.one_cycle(lr, draw(st.integers(1, 300)), draw(unit),
                           draw(st.sampled_from(["cos", "linear"])), draw(st.floats(1, 1e3)),
                           draw(st.floats(1, 1e5)), draw(st.booleans()))
    total = draw(st.integers(1, 300))
    w = draw(st.integers(0, total))
    return S.wsd(lr, total, w, draw(st.integers(0, total - w)), draw(lrs))


@st.composite
def schedules(draw):
    kind = draw(st.sampled_from(["simple", "simple", "warmup", "sequential"]))
    if kind == "simple":
        return draw(simple_schedules())
    if kind == "warmup":
        return S.warmup(draw(simple_schedules()), draw(st.integers(0, 50)), draw(unit))
    parts = draw(st.lists(simple_schedules(), min_size=1, max_size=3))
    return S.sequential(parts, sorted(draw(st.lists(st.integers(0, 200), min_size=len(parts) - 1,
                                                    max_size=len(parts) - 1))))


steps = st.lists(st.integers(0, 2**53), min_size=1, max_size=20)


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(schedules(), steps)
def test_valid_schedules_are_finite_and_nonnegative(s, far):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        values = s(np.concatenate([np.arange(400), far]))
    assert np.all(np.isfinite(values)) and np.all(values >= 0)


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(schedules(), steps)
def test_array_call_equals_scalar_calls_exactly(s, ts):
    ts = ts + list(range(0, 300, 7))
    assert s(np.array(ts)).tolist() == [s(t) for t in ts]


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(lrs, small, lrs, st.integers(0, 10**6))
def test_warm_restarts_with_T_mult_1_repeat_exactly(lr, T_0, eta_min, t0):
    s = S.cosine_warm_restarts(lr, T_0, 1, eta_min)
    t = t0 + np.arange(2 * T_0)
    assert s(t + T_0).tolist() == s(t).tolist()


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(lrs, lrs, small, st.none() | st.integers(0, 60), st.integers(0, 10**4))
def test_triangular_cycles_repeat(base_lr, max_lr, up, down, t0):
    s = S.cyclic(base_lr, max_lr, up, down)
    period = up + (up if down is None else down)
    t = t0 + np.arange(period + 1)
    # t / period is rounded, so the phase x is exact only to ~1e-16 * t / period
    np.testing.assert_allclose(s(t + period), s(t), rtol=0, atol=1e-9 * abs(max_lr - base_lr))


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(lrs, small, unit, st.lists(st.integers(0, 300), max_size=6), st.floats(1e-6, 1), small,
       st.floats(0, 5))
def test_decaying_schedules_never_increase(lr, n, gamma, milestones, start, T, power):
    t = np.arange(400)
    decaying = [S.step(lr, n, gamma), S.multistep(lr, milestones, gamma), S.exponential(lr, gamma),
                S.polynomial(lr, T, power), S.linear(lr, start, start * gamma, T)]
    for s in decaying:
        assert np.all(np.diff(s(t)) <= 0), s
    cos = S.cosine(lr, T, eta_min=lr * gamma)
    assert np.all(np.diff(cos(np.arange(T + 1))) <= 0), cos


# ----------------------------------------------------------------------------- argument checks
nan, inf = float("nan"), float("inf")
c = S.constant(0.1)
BAD_CALLS = [
    (S.constant, dict(lr=-0.1), ValueError, "lr"),
    (S.constant, dict(lr=nan), ValueError, "lr"),
    (S.constant, dict(lr=inf), ValueError, "lr"),
    (S.constant, dict(lr="0.1"), TypeError, "lr"),
    (S.constant, dict(lr=True), TypeError, "lr"),
    (S.constant, dict(lr=None), TypeError, "lr"),
    (S.step, dict(lr=0.1, step_size=0), ValueError, "step_size"),
    (S.step, dict(lr=0.1, step_size=2.0), TypeError, "step_size"),
    (S.step, dict(lr=0.1, step_size=True), TypeError, "step_size"),
    (S.step, dict(lr=0.1, step_size=2, gamma=-0.5), ValueError, "gamma"),
    (S.multistep, dict(lr=0.1, milestones=5), TypeError, "milestones"),
    (S.multistep, dict(lr=0.1, milestones="12"), TypeError, "milestones"),
    (S.multistep, dict(lr=0.1, milestones=[1, -2]), ValueError, "milestones[1]"),
    (S.multistep, dict(lr=0.1, milestones=[1.5]), TypeError, "milestones[0]"),
    (S.multistep, dict(lr=0.1, milestones=[False]), TypeError, "milestones[0]"),
    (S.exponential, dict(lr=0.1, gamma=nan), ValueError, "gamma"),
    (S.exponential, dict(lr=0.1, gamma=None), TypeError, "gamma"),
    (S.exponential, dict(lr=0.1, gamma=-inf), ValueError, "gamma"),
    (S.linear, dict(lr=0.1, start_factor=0.0), ValueError, "start_factor"),
    (S.linear, dict(lr=0.1, start_factor=1.5), ValueError, "start_factor"),
    (S.linear, dict(lr=0.1, end_factor=-0.1), ValueError, "end_factor"),
    (S.linear, dict(lr=0.1, total_iters=0), ValueError, "total_iters"),
    (S.linear, dict(lr=0.1, total_iters=5.5), TypeError, "total_iters"),
    (S.polynomial, dict(lr=0.1, power=-1.0), ValueError, "power"),
    (S.polynomial, dict(lr=0.1, total_iters=0), ValueError, "total_iters"),
    (S.cosine, dict(lr=0.1, T_max=0), ValueError, "T_max"),
    (S.cosine, dict(lr=0.1, T_max=10.0), TypeError, "T_max"),
    (S.cosine, dict(lr=0.1, T_max=10, eta_min=-1e-3), ValueError, "eta_min"),
    (S.cosine, dict(lr=0.1, T_max=10, eta_min=nan), ValueError, "eta_min"),
    (S.cosine_warm_restarts, dict(lr=0.1, T_0=0), ValueError, "T_0"),
    (S.cosine_warm_restarts, dict(lr=0.1, T_0=5, T_mult=0), ValueError, "T_mult"),
    (S.cosine_warm_restarts, dict(lr=0.1, T_0=5, T_mult=1.5), TypeError, "T_mult"),
    (S.cyclic, dict(base_lr=-0.1, max_lr=0.2), ValueError, "base_lr"),
    (S.cyclic, dict(base_lr=0.1, max_lr=inf), ValueError, "max_lr"),
    (S.cyclic, dict(base_lr=0.1, max_lr=0.2, step_size_up=0), ValueError, "step_size_up"),
    (S.cyclic, dict(base_lr=0.1, max_lr=0.2, step_size_down=-1), ValueError, "step_size_down"),
    (S.cyclic, dict(base_lr=0.1, max_lr=0.2, step_size_down=2.0), TypeError, "step_size_down"),
    (S.cyclic, dict(base_lr=0.1, max_lr=0.2, mode="triangle"), ValueError, "mode"),
    (S.cyclic, dict(base_lr=0.1, max_lr=0.2, gamma=1.5), ValueError, "gamma"),
    (S.one_cycle, dict(max_lr=0.1, total_steps=0), ValueError, "total_steps"),
    (S.one_cycle, dict(max_lr=-0.1, total_steps=10), ValueError, "max_lr"),
    (S.one_cycle, dict(max_lr=0.1, total_steps=10, pct_start=1.2), ValueError, "pct_start"),
    (S.one_cycle, dict(max_lr=0.1, total_steps=10, anneal_strategy="cosine"), ValueError,
     "anneal_strategy"),
    (S.one_cycle, dict(max_lr=0.1, total_steps=10, div_factor=0), ValueError, "div_factor"),
    (S.one_cycle, dict(max_lr=0.1, total_steps=10, final_div_factor=-1.0), ValueError,
     "final_div_factor"),
    (S.one_cycle, dict(max_lr=0.1, total_steps=10, three_phase=1), TypeError, "three_phase"),
    (S.warmup, dict(schedule=0.1, warmup_steps=5), TypeError, "schedule"),
    (S.warmup, dict(schedule=S.constant, warmup_steps=5), TypeError, "schedule"),
    (S.warmup, dict(schedule=c, warmup_steps=-1), ValueError, "warmup_steps"),
    (S.warmup, dict(schedule=c, warmup_steps=5, start_factor=1.5), ValueError, "start_factor"),
    (S.sequential, dict(schedules=[], milestones=[]), ValueError, "schedules"),
    (S.sequential, dict(schedules=c, milestones=[]), TypeError, "schedules"),
    (S.sequential, dict(schedules=[c, "x"], milestones=[3]), TypeError, "schedules[1]"),
    (S.sequential, dict(schedules=[c, c], milestones=[]), ValueError, "milestones"),
    (S.sequential, dict(schedules=[c, c, c], milestones=[5, 3]), ValueError, "milestones"),
    (S.sequential, dict(schedules=[c, c], milestones=[-1]), ValueError, "milestones[0]"),
    (S.wsd, dict(lr=0.1, total_steps=0, warmup_steps=0, decay_steps=0), ValueError, "total_steps"),
    (S.wsd, dict(lr=0.1, total_steps=100, warmup_steps=101, decay_steps=0), ValueError,
     "warmup_steps"),
    (S.wsd, dict(lr=0.1, total_steps=100, warmup_steps=60, decay_steps=50), ValueError,
     "decay_steps"),
    (S.wsd, dict(lr=0.1, total_steps=100, warmup_steps=10, decay_steps=10, final_lr=-1.0),
     ValueError, "final_lr"),
    (S.wsd, dict(lr=0.1, total_steps=100, warmup_steps=10, decay_steps=10, shape="sqrt"),
     ValueError, "shape"),
    (S.constant_lr, dict(lr=0.1, factor=1.5), ValueError, "factor"),
    (S.constant_lr, dict(lr=0.1, factor=-0.1), ValueError, "factor"),
    (S.constant_lr, dict(lr=0.1, total_iters=-1), ValueError, "total_iters"),
    (S.constant_lr, dict(lr=0.1, total_iters=2.0), TypeError, "total_iters"),
    (S.lambda_lr, dict(lr=0.1, lr_lambda=0.9), TypeError, "lr_lambda"),
    (S.lambda_lr, dict(lr=-0.1, lr_lambda=abs), ValueError, "lr"),
    (S.multiplicative, dict(lr=0.1, lr_lambda=None), TypeError, "lr_lambda"),
    (S.multiplicative, dict(lr=0.1, lr_lambda=S.constant), TypeError, "lr_lambda"),
    (S.chained, dict(schedules=[]), ValueError, "schedules"),
    (S.chained, dict(schedules=c), TypeError, "schedules"),
    (S.chained, dict(schedules=[c, S.cyclic(0.1, 1.0)]), TypeError, "schedules[1]"),
    (S.chained, dict(schedules=[c, lambda t: 0.1]), TypeError, "schedules[1]"),
    (S.chained, dict(schedules=[c, S.sequential([c], [])]), TypeError, "schedules[1]"),
    (S.chained, dict(schedules=[c, S.exponential(0.2, 0.9)]), ValueError, "schedules"),
    (S.cyclic, dict(base_lr=0.1, max_lr=0.2, scale_fn=0.5), TypeError, "scale_fn"),
    (S.cyclic, dict(base_lr=0.1, max_lr=0.2, scale_mode="iteration"), ValueError, "scale_mode"),
    (S.one_cycle, dict(max_lr=0.1), ValueError, "total_steps"),
    (S.one_cycle, dict(max_lr=0.1, epochs=0, steps_per_epoch=10), ValueError, "epochs"),
    (S.one_cycle, dict(max_lr=0.1, epochs=3, steps_per_epoch=2.5), TypeError, "steps_per_epoch"),
    (S.ReduceLROnPlateau, dict(lr=-1.0), ValueError, "lr"),
    (S.ReduceLROnPlateau, dict(lr=0.1, mode="minimum"), ValueError, "mode"),
    (S.ReduceLROnPlateau, dict(lr=0.1, factor=1.0), ValueError, "factor"),
    (S.ReduceLROnPlateau, dict(lr=0.1, patience=-1), ValueError, "patience"),
    (S.ReduceLROnPlateau, dict(lr=0.1, patience=2.5), TypeError, "patience"),
    (S.ReduceLROnPlateau, dict(lr=0.1, threshold=-0.1), ValueError, "threshold"),
    (S.ReduceLROnPlateau, dict(lr=0.1, threshold_mode="relative"), ValueError, "threshold_mode"),
    (S.ReduceLROnPlateau, dict(lr=0.1, cooldown=-1), ValueError, "cooldown"),
    (S.ReduceLROnPlateau, dict(lr=0.1, min_lr=nan), ValueError, "min_lr"),
    (S.ReduceLROnPlateau, dict(lr=0.1, eps=-1.0), ValueError, "eps"),
]
BAD_STEPS = [(-1, ValueError), (1.5, TypeError), (True, TypeError), ("3", TypeError),
             (None, TypeError), (2**60, ValueError), (np.array([0.5]), TypeError),
             (np.array([3, -1]), ValueError), (np.array([True]), TypeError), ([0, 1.0], TypeError)]


def _names_argument(message, name):
    return re.search(rf"(^|[^\w\[]){re.escape(name)}($|[^\w\[])", message) is not None


@pytest.mark.parametrize("make, kwargs, error, name", BAD_CALLS,
                         ids=[f"{m.__name__}-{n}-{i}" for i, (m, _, _, n) in enumerate(BAD_CALLS)])
def test_bad_arguments_are_rejected_naming_the_argument(make, kwargs, error, name):
    with pytest.raises(error) as info:
        make(**kwargs)
    assert _names_argument(str(info.value), name), str(info.value)


@pytest.mark.parametrize("t, error", BAD_STEPS, ids=[repr(t) for t, _ in BAD_STEPS])
def test_bad_steps_are_rejected_naming_t(t, error):
    for s in (S.cosine(0.1, 10), S.sequential([c, c], [2])):
        with pytest.raises(error) as info:
            s(t)
        assert str(info.value).startswith("t must"), str(info.value)


@pytest.mark.parametrize("s, t, text", [
    (S.lambda_lr(0.1, lambda t: -1.0), 3, "lr_lambda(3) must be >= 0"),
    (S.lambda_lr(0.1, lambda t: "fast"), 0, "lr_lambda(0) must be a real number"),
    (S.multiplicative(0.1, lambda t: float("nan")), 2, "lr_lambda(1) must be >= 0"),
    (S.cyclic(0.1, 1.0, 3, scale_fn=lambda c: None), 0, "scale_fn(1) must be a real number"),
], ids=["negative", "text", "nan", "None"])
def test_bad_values_of_the_given_functions_are_rejected_naming_them(s, t, text):
    with pytest.raises((TypeError, ValueError)) as info:
        s(t)
    assert text in str(info.value)


@pytest.mark.parametrize("metric", ["0.5", None, True, [0.5]])
def test_bad_metric_is_rejected(metric):
    with pytest.raises(TypeError, match="^metrics must"):
        S.ReduceLROnPlateau(lr=0.1).step(metric)


def test_pytorch_edge_values_are_accepted():
    assert S.constant(0.0)(5) == 0.0
    assert S.step(0.1, 1, gamma=1.0)(100) == 0.1
    assert S.multistep(0.1, [])(100) == 0.1
    assert S.multistep(0.1, [5, 1, 5], gamma=0.5)(np.arange(7)).tolist() == [
        0.1, 0.05, 0.05, 0.05, 0.05, 0.0125, 0.0125]
    assert S.exponential(1e-300, 0.0)(np.arange(3)).tolist() == [1e-300, 0.0, 0.0]
    assert S.cyclic(0.0, 0.0)(10**6) == 0.0
    assert S.one_cycle(0.1, 1, pct_start=0)(0) == pytest.approx(0.1 / 25 / 1e4)  # as torch
    assert S.one_cycle(0.1, 1, pct_start=1)(0) == 0.1  # zero-length warmup (torch: 0/0)
    p = S.ReduceLROnPlateau(0.1, factor=0.0, patience=0, threshold=0.0, eps=0.0)
    assert [p.step(m) for m in (1.0, 1.0, 0.5)] == [0.1, 0.0, 0.0]


def test_one_cycle_momentum_moves_against_the_rate():
    s = S.one_cycle(1.0, total_steps=100, pct_start=0.3)
    t = np.arange(100)
    m, lr = s.momentum(t), s(t)
    peak = int(np.argmax(lr))
    assert m[0] == pytest.approx(0.95) and m[peak] == pytest.approx(0.85) and m[-1] == pytest.approx(0.95)
    assert np.all(np.diff(m[: peak + 1]) <= 1e-15) and np.all(np.diff(m[peak:]) >= -1e-15)
    assert s.momentum(5) == pytest.approx(m[5])
    with pytest.raises(ValueError, match="base_momentum"):
        s.momentum(3, base_momentum=1.5)


def test_reduce_on_plateau_step_takes_torchs_keyword():
    """torch: ``scheduler.step(metrics=val_loss)``; the same keyword here (review finding F9)."""
    p = S.ReduceLROnPlateau(0.1, factor=0.5, patience=0)
    assert p.step(metrics=1.0) == 0.1 and p.step(metrics=1.0) == 0.05
    with pytest.raises(TypeError, match="metrics"):
        p.step()
