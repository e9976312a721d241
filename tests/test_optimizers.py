"""lrcourse.optimizers against torch.optim (golden values and live), vectorised runs, purity, checks."""
from __future__ import annotations

import copy
import importlib.util
import json
import warnings
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lrcourse import optimizers as O

HERE = Path(__file__).resolve().parent
_spec = importlib.util.spec_from_file_location("make_optimizers_golden", HERE / "golden" / "make_optimizers_golden.py")
gold = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(gold)

GOLDEN = np.load(gold.GOLDEN)
META = json.loads(str(GOLDEN["meta"]))
PROBLEMS = META["problems"]
CONFIGS = META["configs"]
SWEEP_CONFIGS = META["sweeps"]
FACTORY = {"sgd": O.sgd, "adagrad": O.adagrad, "rmsprop": O.rmsprop, "adam": O.adam, "adamw": O.adamw,
           "nadam": O.nadam, "radam": O.radam, "adamax": O.adamax, "adadelta": O.adadelta}


def our_trajectory(name, problem, config, steps):
    """Run lrcourse's optimizer like gold.torch_trajectory does torch's: (steps + 1, n) flat params."""
    kwargs = gold.scaled_kwargs(config, problem)
    factor = gold.lr_factor(config["schedule"])
    if factor is not None:
        base = kwargs["lr"]
        kwargs["lr"] = lambda k: base * factor(k)
    opt = FACTORY[config["opt"]](**kwargs)
    x = gold.x0(name, problem)
    state = opt.init(x)
    rows = [gold.flat(x)]
    for _ in range(steps):
        x, state = opt.step(x, gold.grad(name, problem, x), state)
        rows.append(gold.flat(x))
    assert state["step"] == steps
    return np.array(rows)


def assert_same_trajectory(ours, theirs, what):
    bad = ~np.isclose(ours, theirs, rtol=1e-10, atol=1e-12, equal_nan=True)  # (diverged alike: the same)
    if bad.any():
        k = int(np.argmax(bad.any(axis=1)))
        raise AssertionError(f"{what}: first differs from torch at step {k}: {ours[k]} vs {theirs[k]}")


# ----------------------------------------------------------------------------- torch
@pytest.mark.parametrize("name", list(PROBLEMS))
@pytest.mark.parametrize("index", range(len(CONFIGS)), ids=lambda i: f"{i}-{CONFIGS[i]['opt']}")
def test_matches_torch_golden(index, name):
    config = CONFIGS[index]
    ours = our_trajectory(name, PROBLEMS[name], config, META["steps"])
    assert_same_trajectory(ours, GOLDEN[name][index], f"{config} on {name}")


def test_golden_covers_every_flag():
    used = {(c["opt"], key) for c in CONFIGS for key in c["kwargs"]}
    for opt, cls in gold.TORCH_CLASS.items():
        signature = getattr(O, cls)._signature + ("maximize",) + (("decoupled_weight_decay",) if opt == "adam" else ())
        assert {(opt, key) for key in signature} <= used, opt
        assert sum(c["opt"] == opt for c in CONFIGS) >= 5
    assert {c["schedule"][0] for c in CONFIGS if c["schedule"]} == {"step", "inv", "warmup"}
    assert {s["opt"] for s in SWEEP_CONFIGS} >= {"nadam", "radam", "adamax", "adadelta"}


def k_settings(config, problem):
    """Our optimizer running the K settings of a sweep at once (lists become (K,) arrays)."""
    kwargs = gold.scaled_kwargs(config, problem)
    kwargs = {k: (tuple(np.array(c) if isinstance(c, list) else c for c in v) if k == "betas" else
                  np.array(v) if isinstance(v, list) else v) for k, v in kwargs.items()}
    factor = gold.lr_factor(config["schedule"])
    if factor is not None:
        base = kwargs["lr"]
        kwargs["lr"] = lambda k: base * factor(k)
    return FACTORY[config["opt"]](**kwargs)


@pytest.mark.parametrize("name", list(PROBLEMS))
@pytest.mark.parametrize("index", range(len(SWEEP_CONFIGS)), ids=lambda i: f"{i}-{SWEEP_CONFIGS[i]['opt']}")
def test_k_settings_match_torch_golden(index, name):
    """K settings in one run equal torch's K separate runs (same gradients, computed per setting)."""
    config, problem = SWEEP_CONFIGS[index], PROBLEMS[name]
    theirs = GOLDEN[f"sweep{index}/{name}"]
    K = theirs.shape[0]
    opt = k_settings(config, problem)
    assert opt.n_settings == K
    start = gold.x0(name, problem)
    x = ({k: np.broadcast_to(v, (K,) + v.shape).copy() for k, v in start.items()} if isinstance(start, dict)
         else np.broadcast_to(start, (K,) + start.shape).copy())
    per = lambda x, i: {k: v[i] for k, v in x.items()} if isinstance(x, dict) else x[i]  # noqa: E731
    state = opt.init(x)
    rows = [[gold.flat(per(x, i))] for i in range(K)]
    for _ in range(META["steps"]):
        grads = [gold.grad(name, problem, per(x, i)) for i in range(K)]
        g = ({k: np.stack([gi[k] for gi in grads]) for k in x} if isinstance(x, dict) else np.stack(grads))
        x, state = opt.step(x, g, state)
        for i in range(K):
            rows[i].append(gold.flat(per(x, i)))
    for i in range(K):
        assert_same_trajectory(np.array(rows[i]), theirs[i], f"setting {i} of {config} on {name}")


def test_matches_torch_live_random_configs():
    pytest.importorskip("torch")
    rng = np.random.default_rng(7)
    for _ in range(60):
        config = gold.random_config(rng)
        name = str(rng.choice(list(PROBLEMS)))
        theirs = gold.torch_trajectory(name, PROBLEMS[name], config, steps=20)
        ours = our_trajectory(name, PROBLEMS[name], config, steps=20)
        assert_same_trajectory(ours, theirs, f"{config} on {name}")


@pytest.mark.parametrize("config", [
    ("sgd", {"lr": 0.1}), ("sgd", {"lr": 0.1, "momentum": 0.9}), ("adagrad", {}),
    ("rmsprop", {}), ("rmsprop", {"momentum": 0.5, "centered": True}),
    ("adam", {}), ("adam", {"amsgrad": True}), ("adamw", {"amsgrad": True}),
    ("nadam", {}), ("radam", {}), ("adamax", {}), ("adadelta", {}),
], ids=str)
def test_state_uses_torch_buffer_names(config):
    torch = pytest.importorskip("torch")
    opt_name, kwargs = config
    t = torch.tensor([1.0, 2.0], dtype=torch.float64)
    topt = getattr(torch.optim, gold.TORCH_CLASS[opt_name])([t], foreach=False, **kwargs)
    t.grad = torch.ones(2, dtype=torch.float64)
    topt.step()
    torch_buffers = {k for k, v in topt.state[t].items() if k != "step" and v is not None}
    opt = FACTORY[opt_name](**kwargs)
    assert set(opt.buffers) == torch_buffers
    assert set(opt.init(np.zeros(2))) == {"optimizer", "step", *torch_buffers}


# ----------------------------------------------------------------------------- K settings
def elementwise_grad(x):
    """A non-linear gradient acting coordinate by coordinate (so K settings cannot mix).

    Only + - * / (correctly rounded), so one array or its slices give the very same numbers.
    """
    if isinstance(x, dict):
        return {k: elementwise_grad(v) for k, v in x.items()}
    if isinstance(x, list):
        return [elementwise_grad(v) for v in x]
    curvature = 0.5 + 3.5 * x * x / (1 + x * x)
    return curvature * (x - 1.0) + 0.3 * x / (1 + x * x)


def pick(value, i):
    """Setting i of a hyperparameter given for K settings (numbers are shared)."""
    if isinstance(value, tuple):
        return tuple(pick(v, i) for v in value)
    if isinstance(value, (list, np.ndarray)):
        return value[i]
    if callable(value):  # a schedule giving a number or K numbers
        return lambda k: float(np.broadcast_to(value(k), (3,))[i])
    return value


SWEEPS = [
    ("sgd", {"lr": [0.01, 0.05, 0.1]}),
    ("sgd", {"lr": [0.01, 0.05, 0.1], "momentum": 0.9}),
    ("sgd", {"lr": 0.05, "momentum": [0.0, 0.5, 0.9], "dampening": [0.3, 0.0, 0.1]}),
    ("sgd", {"lr": [0.01, 0.02, 0.03], "momentum": [0.5, 0.9, 0.95], "nesterov": True,
             "weight_decay": [0.0, 0.1, 0.01]}),
    ("sgd", {"lr": lambda k: np.array([0.1, 0.05, 0.02]) / (1 + k), "momentum": 0.8}),
    ("sgd", {"lr": lambda k: 0.05 / (1 + k), "momentum": [0.0, 0.5, 0.9]}),
    ("adagrad", {"lr": [0.1, 0.2, 0.3], "lr_decay": [0.0, 0.1, 0.01], "initial_accumulator_value": 0.1,
                 "eps": [1e-10, 1e-6, 1e-3]}),
    ("adagrad", {"lr": 0.1, "weight_decay": [0.0, 0.1, 0.3], "initial_accumulator_value": [0.0, 0.5, 1.0]}),
    ("rmsprop", {"lr": 0.01, "alpha": [0.9, 0.99, 0.5], "momentum": [0.0, 0.9, 0.5], "centered": True}),
    ("rmsprop", {"lr": [0.01, 0.02, 0.03], "weight_decay": 0.1, "eps": [1e-8, 1e-3, 1e-1]}),
    ("adam", {"lr": [0.01, 0.02, 0.05], "betas": ([0.8, 0.9, 0.0], 0.999), "weight_decay": [0.0, 0.1, 0.2],
              "amsgrad": True}),
    ("adam", {"lr": 0.01, "betas": (0.9, [0.9, 0.99, 0.999]), "eps": [1e-8, 1e-4, 1e-2]}),
    ("adamw", {"lr": [0.01, 0.02, 0.03], "weight_decay": [0.0, 0.1, 1.0]}),
    ("adamw", {"lr": lambda k: np.array([0.01, 0.02, 0.03]) * min(1, (k + 1) / 5), "amsgrad": True}),
    ("sgd", {"lr": [0.01, 0.05, 0.1], "momentum": 0.9, "maximize": True}),
    ("adam", {"lr": [0.01, 0.02, 0.05], "weight_decay": [0.0, 0.1, 0.5], "decoupled_weight_decay": True,
              "maximize": True}),
    ("nadam", {"lr": [0.002, 0.01, 0.05], "betas": ([0.9, 0.5, 0.0], 0.999), "momentum_decay": [0.004, 0.0, 0.1]}),
    ("nadam", {"lr": 0.01, "weight_decay": [0.0, 0.1, 0.3], "decoupled_weight_decay": True, "maximize": True}),
    ("radam", {"lr": [0.01, 0.02, 0.05], "betas": (0.9, [0.999, 0.5, 0.99]), "eps": [1e-8, 1e-4, 1e-2]}),
    ("radam", {"lr": 0.01, "weight_decay": [0.0, 0.1, 0.3], "decoupled_weight_decay": True}),
    ("adamax", {"lr": [0.002, 0.02, 0.05], "betas": ([0.9, 0.5, 0.0], [0.999, 0.9, 0.5]), "weight_decay": 0.1}),
    ("adadelta", {"lr": [1.0, 0.5, 2.0], "rho": [0.9, 0.0, 1.0], "eps": [1e-6, 1e-3, 1e-4], "maximize": True}),
    ("adadelta", {"lr": lambda k: np.array([1.0, 0.5, 0.1]) / (1 + k), "weight_decay": [0.0, 0.1, 0.01]}),
]


def start_params(K, kind):
    rng = np.random.default_rng(3)
    if kind == "array":
        return rng.standard_normal((K, 4))
    if kind == "dict":
        return {"w": rng.standard_normal((K, 2, 3)), "b": rng.standard_normal((K, 3))}
    return [rng.standard_normal((K, 3)), rng.standard_normal((K,))]


def leaves(tree):
    if isinstance(tree, dict):
        return [leaf for v in tree.values() for leaf in leaves(v)]
    if isinstance(tree, (list, tuple)):
        return [leaf for v in tree for leaf in leaves(v)]
    return [tree]


@pytest.mark.parametrize("kind", ["array", "dict", "list"])
@pytest.mark.parametrize("sweep", SWEEPS, ids=lambda s: s[0])
def test_k_settings_equal_separate_runs(sweep, kind):
    opt_name, kwargs = sweep
    K = 3
    opt = FACTORY[opt_name](**kwargs)
    assert opt.n_settings == K
    x = start_params(K, kind)
    state = opt.init(x)
    singles = [FACTORY[opt_name](**{k: pick(v, i) for k, v in kwargs.items()}) for i in range(K)]
    assert all(s.n_settings is None for s in singles)
    xs = [[leaf[i] for leaf in leaves(x)] for i in range(K)]
    states = [s.init(xi) for s, xi in zip(singles, xs)]
    for k in range(25):
        lr = opt.lr_at(k)
        assert lr.shape == (K,)
        np.testing.assert_array_equal(lr, [s.lr_at(k) for s in singles])
        x, state = opt.step(x, elementwise_grad(x), state)
        for i, s in enumerate(singles):
            xs[i], states[i] = s.step(xs[i], elementwise_grad(xs[i]), states[i])
    # equal up to one rounding: numpy's beta**t on an array may differ from Python's by one ulp
    for i in range(K):
        for ours, single in zip(leaves(x), xs[i]):
            np.testing.assert_allclose(ours[i], single, rtol=1e-14, atol=1e-15)
        for buffer in singles[i].buffers:  # (a setting with momentum 0 keeps no buffer of its own)
            for ours, single in zip(leaves(state[buffer]), leaves(states[i][buffer])):
                np.testing.assert_allclose(ours[i], single, rtol=1e-14, atol=1e-15)


def test_many_settings_is_one_array_computation():
    lrs = np.geomspace(1e-3, 1.0, 1000)
    opt = O.sgd(lr=lrs, momentum=0.9)
    x = np.ones((1000, 2))
    state = opt.init(x)
    x1, state = opt.step(x, x, state)
    np.testing.assert_allclose(x1[:, 0], 1 - lrs, rtol=1e-15)


# ----------------------------------------------------------------------------- purity
PURE = [
    O.sgd(0.1), O.sgd([0.1, 0.2], momentum=0.9, nesterov=True, weight_decay=0.1),
    O.adagrad(lr=[0.1, 0.3], initial_accumulator_value=0.1), O.rmsprop(momentum=[0.5, 0.9], centered=True),
    O.adam(lr=[0.01, 0.1], amsgrad=True, weight_decay=0.1), O.adamw(lr=[0.01, 0.1]),
    O.nadam(lr=[0.01, 0.1], weight_decay=0.1, maximize=True), O.radam(lr=[0.01, 0.1], decoupled_weight_decay=True,
                                                                        weight_decay=0.1),
    O.adamax(lr=[0.01, 0.1], weight_decay=0.1), O.adadelta(lr=[1.0, 0.5], rho=[0.9, 0.5], maximize=True),
]


@pytest.mark.parametrize("kind", ["array", "dict", "list"])
@pytest.mark.parametrize("opt", PURE, ids=repr)
def test_inputs_are_never_modified(opt, kind):
    K = opt.n_settings or 2
    x = start_params(K, kind)
    if opt.n_settings is None:
        x = x[0] if kind == "list" else x  # one setting: any shapes will do
    state = opt.init(x)
    for _ in range(3):
        g = elementwise_grad(x)
        saved = copy.deepcopy((x, g, state))
        new_x, new_state = opt.step(x, g, state)
        for before, after in zip(leaves(saved[:2]) + leaves([saved[2][b] for b in opt.buffers]),
                                 leaves((x, g)) + leaves([state[b] for b in opt.buffers])):
            assert np.array_equal(before, after)
        assert state["step"] == saved[2]["step"]
        # nothing returned shares memory with an input (a later in-place edit cannot leak)
        for out in leaves(new_x) + leaves([new_state[b] for b in opt.buffers]):
            inputs = leaves((x, g)) + leaves([state[b] for b in opt.buffers])
            assert not any(np.shares_memory(out, inp) for inp in inputs)
        assert type(new_x) is type(x) and new_state["step"] == state["step"] + 1
        x, state = new_x, new_state


def _optimizer_without_decay(draw):
    kind = draw(st.sampled_from(list(FACTORY)))
    unit = st.floats(0.0, 0.99)
    lr = draw(st.floats(0.0, 10.0))
    if kind == "sgd":
        momentum = draw(unit)
        nesterov = momentum > 0 and draw(st.booleans())
        return O.sgd(lr, momentum=momentum, dampening=0.0 if nesterov else draw(unit), nesterov=nesterov)
    eps = draw(st.floats(1e-12, 1e-2))
    if kind == "adagrad":
        return O.adagrad(lr, lr_decay=draw(st.floats(0, 1)), eps=eps,
                         initial_accumulator_value=draw(st.floats(0, 10)))
    if kind == "rmsprop":
        return O.rmsprop(lr, alpha=draw(st.floats(0, 1)), eps=eps, momentum=draw(unit), centered=draw(st.booleans()))
    if kind == "adadelta":
        return O.adadelta(lr, rho=draw(st.floats(0, 1)), eps=eps, maximize=draw(st.booleans()))
    betas = (draw(unit), draw(unit))
    if kind in ("adam", "adamw"):
        return FACTORY[kind](lr, betas=betas, eps=eps, weight_decay=0.0, amsgrad=draw(st.booleans()))
    if kind == "nadam":
        return O.nadam(lr, betas=betas, eps=eps, momentum_decay=draw(st.floats(0, 1)), maximize=draw(st.booleans()))
    return FACTORY[kind](lr, betas=betas, eps=eps, maximize=draw(st.booleans()))


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow], database=None)
@given(data=st.data())
def test_zero_gradient_without_weight_decay_leaves_params_unchanged(data):
    opt = _optimizer_without_decay(data.draw)
    shape = data.draw(st.sampled_from([(), (3,), (2, 3)]))
    values = data.draw(st.lists(st.floats(-1e6, 1e6), min_size=6, max_size=6))
    x = np.asarray(values)[: int(np.prod(shape))].reshape(shape)
    params = {"a": x, "b": [x + 1.0]}
    state = opt.init(params)
    p = params
    for _ in range(data.draw(st.integers(1, 4))):
        p, state = opt.step(p, {"a": np.zeros(shape), "b": [np.zeros(shape)]}, state)
    assert np.array_equal(p["a"], x) and np.array_equal(p["b"][0], x + 1.0)


# ----------------------------------------------------------------------------- lr, schedules
def test_lr_number_schedule_and_array():
    assert O.sgd(0.1).lr_at(0) == 0.1 and O.sgd(0.1).n_settings is None
    opt = O.sgd(lambda k: 0.5**k)
    assert [opt.lr_at(k) for k in range(3)] == [1.0, 0.5, 0.25]
    x, state = np.zeros(2), opt.init(np.zeros(2))
    for k in range(4):  # plain SGD with g = 1: each step moves by -lr(k)
        x, state = opt.step(x, np.ones(2), state)
        np.testing.assert_allclose(x, -sum(0.5**j for j in range(k + 1)), rtol=1e-15)
    swept = O.adam(lr=[0.1, 0.2], betas=(0.9, 0.99))
    assert swept.n_settings == 2 and swept.lr_at(5).tolist() == [0.1, 0.2]
    shared = O.adam(lr=0.1, betas=(0.9, [0.9, 0.99, 0.999]))
    assert shared.n_settings == 3 and shared.lr_at(0).tolist() == [0.1] * 3
    assert O.sgd(lambda k: np.full(4, 0.1)).n_settings == 4


def test_attributes_repr_and_frozen_arrays():
    opt = O.adam(lr=0.01)
    assert (opt.name, opt.lr, opt.betas, opt.eps) == ("adam", 0.01, (0.9, 0.999), 1e-8)
    assert (opt.weight_decay, opt.amsgrad, opt.buffers) == (0.0, False, ("exp_avg", "exp_avg_sq"))
    assert repr(opt) == "adam(lr=0.01, betas=(0.9, 0.999), eps=1e-08, weight_decay=0, amsgrad=False)"
    assert O.adamw().weight_decay == 0.01 and O.adamw().name == "adamw"
    assert O.sgd().lr == 0.001  # torch's default
    assert repr(O.adam(maximize=True, decoupled_weight_decay=True)).endswith(
        "amsgrad=False, maximize=True, decoupled_weight_decay=True)")
    assert repr(O.adamw(maximize=True)).endswith("amsgrad=False, maximize=True)")
    assert repr(O.nadam()) == ("nadam(lr=0.002, betas=(0.9, 0.999), eps=1e-08, weight_decay=0, momentum_decay=0.004, "
                               "decoupled_weight_decay=False)")
    assert repr(O.radam()) == ("radam(lr=0.001, betas=(0.9, 0.999), eps=1e-08, weight_decay=0, "
                               "decoupled_weight_decay=False)")
    assert repr(O.adamax()) == "adamax(lr=0.002, betas=(0.9, 0.999), eps=1e-08, weight_decay=0)"
    assert repr(O.adadelta()) == "adadelta(lr=1, rho=0.9, eps=1e-06, weight_decay=0)"
    assert repr(O.sgd(0.1, momentum=0.9, nesterov=True)) == (
        "sgd(lr=0.1, momentum=0.9, dampening=0, weight_decay=0, nesterov=True)")
    assert "alpha=0.99" in repr(O.rmsprop()) and "initial_accumulator_value=0" in repr(O.adagrad())
    assert "(K=5)" in repr(O.sgd(np.linspace(0.1, 0.5, 5)))
    lrs = np.array([0.1, 0.2])
    opt = O.sgd(lrs)
    lrs[0] = 99.0  # the optimizer kept its own copy
    assert opt.lr_at(0).tolist() == [0.1, 0.2]
    with pytest.raises(ValueError):
        opt.lr[0] = 1.0


# ----------------------------------------------------------------------------- effective lr
def run_steps(opt, x, steps, grad=elementwise_grad):
    state = opt.init(x)
    for _ in range(steps):
        x_prev, g = x, grad(x)
        x, state = opt.step(x, g, state)
    return x_prev, g, x, state


def test_effective_lr_first_step_closed_forms():
    g = np.array([0.5, -2.0, 4.0])
    x = np.zeros(3)
    for opt, expected in [
        (O.adam(lr=0.1, eps=1e-3), 0.1 / (np.abs(g) + 1e-3)),        # m_hat = g, v_hat = g^2
        (O.adagrad(lr=0.1, eps=1e-3), 0.1 / (np.abs(g) + 1e-3)),     # G = g^2
        (O.rmsprop(lr=0.1, alpha=0.75, eps=1e-3), 0.1 / (0.5 * np.abs(g) + 1e-3)),  # v = g^2 / 4
    ]:
        new_x, state = opt.step(x, g, opt.init(x))
        np.testing.assert_allclose(opt.effective_lr(state), expected, rtol=1e-14)
        np.testing.assert_allclose(new_x, -expected * g, rtol=1e-14)


@pytest.mark.parametrize("opt", [
    O.adagrad(lr=0.3, lr_decay=0.1, initial_accumulator_value=0.2), O.rmsprop(lr=0.01),
    O.rmsprop(lr=0.01, alpha=[0.9, 0.5], centered=True), O.adam(lr=[0.01, 0.05], betas=(0.8, 0.95)),
    O.adam(lr=lambda k: 0.02 / (k + 1), amsgrad=True), O.adamw(lr=0.02, weight_decay=0.3),
], ids=repr)
def test_effective_lr_explains_the_last_step(opt):
    x = start_params(opt.n_settings or 2, "dict")
    x_prev, g, x, state = run_steps(opt, x, 7)
    eff = opt.effective_lr(state)
    assert {k: v.shape for k, v in eff.items()} == {k: v.shape for k, v in x.items()}
    for key in x:
        if isinstance(opt, O.Adam):
            b1 = O._column(opt.betas[0], x[key].ndim)
            direction = state["exp_avg"][key] / (1 - b1**7)  # m_hat
            lr = O._column(opt.lr_at(6), x[key].ndim)
            start = x_prev[key] * (1 - lr * opt.weight_decay) if isinstance(opt, O.AdamW) else x_prev[key]
        else:
            direction, start = g[key], x_prev[key]
        np.testing.assert_allclose(x[key], start - eff[key] * direction, rtol=1e-12)


def test_effective_lr_needs_a_step():
    opt = O.adam()
    with pytest.raises(ValueError, match=r"state\['step'\] >= 1"):
        opt.effective_lr(opt.init(np.zeros(2)))


# ----------------------------------------------------------------------------- divergence
@pytest.mark.parametrize("opt", PURE + [O.adagrad(), O.rmsprop(momentum=0.9), O.sgd(2.0, momentum=0.5)], ids=repr)
def test_divergence_gives_inf_nan_without_warnings(opt):
    K = opt.n_settings or 2
    x = np.array([[1e308, -1e308, np.inf, np.nan, 1.0]] * K)
    g = np.array([[1e308, 1e308, 1.0, 1.0, np.inf]] * K)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        state = opt.init(x)
        for _ in range(3):
            x, state = opt.step(x, g, state)
        if hasattr(opt, "effective_lr"):
            opt.effective_lr(state)
    assert not np.isfinite(x).all()


# ----------------------------------------------------------------------------- argument checks
BAD_CALLS = [
    (lambda: O.sgd(-0.1), ValueError, "lr must be >= 0, got -0.1"),
    (lambda: O.sgd("fast"), TypeError, "lr must be"),
    (lambda: O.sgd(np.nan), ValueError, "lr must be"),
    (lambda: O.sgd([0.1, -0.1]), ValueError, "lr must have every element in >= 0"),
    (lambda: O.sgd(np.ones((2, 2))), ValueError, "lr must be a number or a non-empty 1-D array"),
    (lambda: O.sgd([]), ValueError, "lr must be"),
    (lambda: O.sgd(lambda k: -1.0), ValueError, "lr(0) must be >= 0"),
    (lambda: O.sgd(0.1, momentum=1.5), ValueError, "momentum must be in [0, 1), got 1.5"),
    (lambda: O.sgd(0.1, momentum=1.0), ValueError, "momentum must be in [0, 1)"),
    (lambda: O.sgd(0.1, momentum=-0.1), ValueError, "momentum must be in [0, 1)"),
    (lambda: O.sgd(0.1, momentum=None), TypeError, "momentum must be"),
    (lambda: O.sgd(0.1, dampening=1.5), ValueError, "dampening must be in [0, 1]"),
    (lambda: O.sgd(0.1, weight_decay=-1), ValueError, "weight_decay must be >= 0"),
    (lambda: O.sgd(0.1, nesterov=True), ValueError, "nesterov=True requires momentum > 0 and dampening == 0"),
    (lambda: O.sgd(0.1, momentum=0.9, dampening=0.1, nesterov=True), ValueError, "nesterov=True requires"),
    (lambda: O.sgd(0.1, momentum=[0.9, 0.0], nesterov=True), ValueError, "nesterov=True requires"),
    (lambda: O.sgd(0.1, nesterov=1), TypeError, "nesterov must be True or False"),
    (lambda: O.sgd([0.1, 0.2], momentum=[0.1, 0.2, 0.3]), ValueError, "lr has 2, momentum has 3"),
    (lambda: O.adagrad(lr_decay=-0.1), ValueError, "lr_decay must be >= 0"),
    (lambda: O.adagrad(initial_accumulator_value=-1.0), ValueError, "initial_accumulator_value must be >= 0"),
    (lambda: O.adagrad(eps=-1e-10), ValueError, "eps must be >= 0"),
    (lambda: O.rmsprop(alpha=1.5), ValueError, "alpha must be in [0, 1], got 1.5"),
    (lambda: O.rmsprop(momentum=1.0), ValueError, "momentum must be in [0, 1)"),
    (lambda: O.rmsprop(centered="yes"), TypeError, "centered must be True or False"),
    (lambda: O.rmsprop(eps=np.inf), ValueError, "eps must be >= 0"),
    (lambda: O.adam(betas=0.9), TypeError, "betas must be a pair"),
    (lambda: O.adam(betas=(0.9,)), ValueError, "betas must be a pair"),
    (lambda: O.adam(betas=(0.9, 0.99, 0.999)), ValueError, "betas must be a pair"),
    (lambda: O.adam(betas=(1.0, 0.999)), ValueError, "betas[0] must be in [0, 1), got 1.0"),
    (lambda: O.adam(betas=(0.9, -0.1)), ValueError, "betas[1] must be in [0, 1)"),
    (lambda: O.adam(betas=([0.9, 0.8], [0.9, 0.99, 0.999])), ValueError, "betas[0] has 2, betas[1] has 3"),
    (lambda: O.adam(eps=-1.0), ValueError, "eps must be >= 0"),
    (lambda: O.adam(weight_decay=-0.1), ValueError, "weight_decay must be >= 0"),
    (lambda: O.adam(amsgrad=None), TypeError, "amsgrad must be True or False"),
    (lambda: O.adamw(weight_decay=-0.01), ValueError, "weight_decay must be >= 0"),
    (lambda: O.adamw(lr=-1e-3), ValueError, "lr must be >= 0"),
    (lambda: O.sgd(0.1, maximize=1), TypeError, "maximize must be True or False"),
    (lambda: O.adam(maximize="yes"), TypeError, "maximize must be True or False"),
    (lambda: O.adam(decoupled_weight_decay=None), TypeError, "decoupled_weight_decay must be True or False"),
    (lambda: O.adamw(decoupled_weight_decay=True), TypeError, "unexpected keyword argument 'decoupled_weight_decay'"),
    (lambda: O.nadam(momentum_decay=-1e-3), ValueError, "momentum_decay must be >= 0"),
    (lambda: O.nadam(betas=(1.0, 0.9)), ValueError, "betas[0] must be in [0, 1)"),
    (lambda: O.nadam(decoupled_weight_decay=0), TypeError, "decoupled_weight_decay must be True or False"),
    (lambda: O.nadam(lr=[0.1, 0.2], momentum_decay=[0.1, 0.2, 0.3]), ValueError, "lr has 2, momentum_decay has 3"),
    (lambda: O.radam(betas=(0.9, 1.0)), ValueError, "betas[1] must be in [0, 1)"),
    (lambda: O.radam(eps=np.nan), ValueError, "eps must be >= 0"),
    (lambda: O.radam(weight_decay=-0.1), ValueError, "weight_decay must be >= 0"),
    (lambda: O.adamax(betas=(0.9,)), ValueError, "betas must be a pair"),
    (lambda: O.adamax(eps=-1e-8), ValueError, "eps must be >= 0"),
    (lambda: O.adadelta(rho=1.5), ValueError, "rho must be in [0, 1], got 1.5"),
    (lambda: O.adadelta(rho=[0.9, -0.1]), ValueError, "rho must have every element in [0, 1]"),
    (lambda: O.adadelta(lr=-1.0), ValueError, "lr must be >= 0"),
    (lambda: O.adadelta(maximize=None), TypeError, "maximize must be True or False"),
]


@pytest.mark.parametrize("call, error, text", BAD_CALLS, ids=[t for _, _, t in BAD_CALLS])
def test_bad_arguments(call, error, text):
    with pytest.raises(error) as info:
        call()
    assert text in str(info.value)


def test_accepts_what_torch_accepts():
    O.sgd(0.0), O.sgd(1e-12, momentum=0.0), O.adam(eps=0.0), O.rmsprop(alpha=0.0), O.rmsprop(alpha=1.0)
    O.adam(betas=(0.0, 0.0)), O.adam(betas=[0.9, 0.999]), O.adagrad(lr_decay=0.0), O.sgd(0.1, dampening=1.0)
    O.sgd(np.float32(0.1), momentum=np.float64(0.5)), O.sgd(1)
    O.adadelta(rho=0.0), O.adadelta(rho=1.0), O.nadam(momentum_decay=0.0), O.radam(betas=(0.0, 0.0))
    O.adamax(betas=(0.0, 0.0), eps=0.0), O.adam(decoupled_weight_decay=True, weight_decay=0.0)


def _sgd_state(x=np.zeros(3)):
    opt = O.sgd(0.1, momentum=0.9)
    return opt, opt.init(x)


BAD_STEPS = [
    (lambda o, s: o.step(np.zeros(3), np.zeros(4), s), ValueError, "grads has shape (4,) but params has shape (3,)"),
    (lambda o, s: o.step(np.zeros(3), [np.zeros(3)], s), ValueError, "grads must be an array like params"),
    (lambda o, s: o.step(np.zeros(3), np.array(["a", "b", "c"]), s), TypeError,
     "grads must be an array of real numbers"),
    (lambda o, s: o.step(np.zeros(4), np.zeros(4), s), ValueError, "state['momentum_buffer'] has shape (3,)"),
    (lambda o, s: o.step(np.zeros(3), np.zeros(3), None), TypeError, "state must be the dict returned by init"),
    (lambda o, s: o.step(np.zeros(3), np.zeros(3), {}), ValueError, "state must come from this sgd optimizer"),
    (lambda o, s: o.step(np.zeros(3), np.zeros(3), O.adam().init(np.zeros(3))), ValueError, "state must come from"),
    (lambda o, s: o.step(np.zeros(3), np.zeros(3), O.sgd(0.1).init(np.zeros(3))), ValueError,
     "missing ['momentum_buffer']"),
    (lambda o, s: o.lr_at(-1), ValueError, "k must be an integer >= 0"),
    (lambda o, s: o.lr_at(1.5), TypeError, "k must be an integer"),
]


@pytest.mark.parametrize("call, error, text", BAD_STEPS, ids=[t for _, _, t in BAD_STEPS])
def test_bad_step_calls(call, error, text):
    opt, state = _sgd_state()
    with pytest.raises(error) as info:
        call(opt, state)
    assert text in str(info.value)


def test_bad_structures_and_settings():
    opt = O.adam()
    params = {"w": np.zeros((2, 3)), "b": np.zeros(3)}
    state = opt.init(params)
    with pytest.raises(ValueError, match=r"grads must be a dict with keys \['w', 'b'\]"):
        opt.step(params, {"w": np.zeros((2, 3))}, state)
    with pytest.raises(ValueError, match=r"grads\['w'\] has shape \(3, 2\) but params\['w'\] has shape \(2, 3\)"):
        opt.step(params, {"w": np.zeros((3, 2)), "b": np.zeros(3)}, state)
    with pytest.raises(ValueError, match=r"params must carry a leading axis of size K=2"):
        O.sgd([0.1, 0.2]).init(np.zeros(3))
    with pytest.raises(ValueError, match=r"params must carry a leading axis of size K=2"):
        O.sgd([0.1, 0.2]).init({"w": np.zeros((2, 3)), "b": np.zeros(())})
    schedule = O.sgd(lambda k: 0.1 - 0.2 * k)  # becomes negative at step 1
    x, state = schedule.step(np.ones(2), np.ones(2), schedule.init(np.ones(2)))
    with pytest.raises(ValueError, match=r"lr\(1\) must be >= 0"):
        schedule.step(x, np.ones(2), state)
    growing = O.sgd(lambda k: np.full(2 + k, 0.1))
    with pytest.raises(ValueError, match=r"lr\(1\) returned 3 values, but the optimizer runs K=2"):
        growing.lr_at(1)
