"""lrcourse.selftuning against the authors' reference implementations (golden values, and live when
lion-pytorch, schedulefree, prodigyopt and dog-optimizer are importable), K settings, purity, checks.

The live tests need torch and the four packages; the oracle venv has them but no pytest, so run
them with this venv's pytest and the oracle's packages appended to the path (after this venv's)::

    .venv/bin/python -c "import sys, pytest; sys.path.append('/work/oracle/lib/python3.11/site-packages'); \
sys.exit(pytest.main(['-q', 'tests/test_selftuning.py']))"
"""
from __future__ import annotations

import copy
import importlib.util
import inspect
import json
import warnings
from pathlib import Path

import numpy as np
import pytest

from lrcourse import selftuning as S

HERE = Path(__file__).resolve().parent
_spec = importlib.util.spec_from_file_location("make_selftuning_golden", HERE / "golden" / "make_selftuning_golden.py")
gold = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(gold)

GOLDEN = np.load(gold.GOLDEN)
META = json.loads(str(GOLDEN["meta"]))
CONFIGS = META["configs"]
SWEEPS = META["sweeps"]
AVERAGES = META["averages"]
PROBLEMS = gold.problems()
assert META["problems"] == list(PROBLEMS), "regenerate tests/golden/selftuning.npz"
FACTORY = {"lion": S.lion, "sgd_schedulefree": S.sgd_schedulefree, "adamw_schedulefree": S.adamw_schedulefree,
           "prodigy": S.prodigy, "dog": S.dog, "ldog": S.ldog}


def _array_kwargs(kwargs):
    """Lists (one value per setting; betas per component) as (K,) arrays."""
    return {k: (tuple(np.array(c) if isinstance(c, list) else c for c in v) if k == "betas" else
                np.array(v) if isinstance(v, list) else v) for k, v in kwargs.items()}


def gold_map(fn, *trees):
    """fn applied array by array to params trees of one structure (an array, a list or a dict)."""
    first = trees[0]
    if isinstance(first, dict):
        return {key: fn(*(t[key] for t in trees)) for key in first}
    if isinstance(first, list):
        return [fn(*items) for items in zip(*trees)]
    return fn(*trees)


def our_trajectory(name, problem, config, steps, K=None, average=None):
    """(y, x, averaged) like gold's reference runs: (steps + 1, n) each, or (K, steps + 1, n) with K
    settings; averaged by polynomial_decay_averager(**average) (NaN if average is None)."""
    opt = FACTORY[config["opt"]](**_array_kwargs(gold.scaled_kwargs(config, problem)))
    averager = None if average is None else S.polynomial_decay_averager(**_array_kwargs(average))
    x = gold.x0(name, problem)
    if K is not None:  # every array gets a leading axis of K copies
        x = gold_map(lambda v: np.broadcast_to(v, (K,) + v.shape).copy(), x)
    free = config["opt"] in gold.SCHEDULE_FREE
    state = opt.init(x)

    def flat(tree):
        if K is None:
            return gold.flat(tree)
        return np.concatenate([v.reshape(K, -1) for v in gold.leaves(tree)], axis=1)

    def evaluation(x, state):
        return flat(opt.eval_params(x, state)) if free else np.full(flat(x).shape, np.nan)

    def averaged(x, avg_state):
        return np.full(flat(x).shape, np.nan) if averager is None else flat(avg_state["average"])

    avg_state = None if averager is None else averager.init(x)
    ys, xs, avs = [flat(x)], [evaluation(x, state)], [averaged(x, avg_state)]
    for k in range(steps):
        if K is None:
            g = gold.grad(name, problem, x, k)
        else:  # the gradient of each setting's own point
            per = [gold.grad(name, problem, gold_map(lambda v: v[i], x), k) for i in range(K)]
            g = gold_map(lambda *vs: np.stack(vs), *per)
        x, state = opt.step(x, g, state)
        if averager is not None:
            avg_state = averager.step(x, avg_state)
        ys.append(flat(x))
        xs.append(evaluation(x, state))
        avs.append(averaged(x, avg_state))
    assert state["step"] == steps
    out = np.array(ys), np.array(xs), np.array(avs)
    return out if K is None else tuple(a.transpose(1, 0, 2) for a in out)


def assert_same(ours, theirs, what):
    bad = ~np.isclose(ours, theirs, rtol=1e-10, atol=1e-12, equal_nan=True)
    if bad.any():
        k = int(np.argmax(bad.reshape(-1, bad.shape[-1]).any(axis=1)))
        raise AssertionError(f"{what}: first differs from the reference at row {k}: "
                             f"{ours.reshape(-1, bad.shape[-1])[k]} vs {theirs.reshape(-1, bad.shape[-1])[k]}")


# ----------------------------------------------------------------------------- golden values
@pytest.mark.parametrize("name", list(PROBLEMS))
@pytest.mark.parametrize("index", range(len(CONFIGS)), ids=lambda i: f"{i}-{CONFIGS[i]['opt']}")
def test_matches_reference_golden(index, name):
    config = CONFIGS[index]
    ys, xs, _ = our_trajectory(name, PROBLEMS[name], config, META["steps"])
    assert_same(ys, GOLDEN[name][index], f"{config} on {name}")
    assert_same(xs, GOLDEN[f"{name}/x"][index], f"{config} on {name}, evaluation point x")


@pytest.mark.parametrize("name", list(PROBLEMS))
@pytest.mark.parametrize("j", range(len(SWEEPS)), ids=lambda j: f"{j}-{SWEEPS[j]['opt']}")
def test_k_settings_match_reference_golden(j, name):
    sweep = SWEEPS[j]
    K = len(gold.settings(sweep))
    ys, xs, _ = our_trajectory(name, PROBLEMS[name], sweep, META["steps"], K=K)
    assert_same(ys, GOLDEN[f"sweep{j}/{name}"], f"{sweep} on {name}")
    assert_same(xs, GOLDEN[f"sweep{j}/{name}/x"], f"{sweep} on {name}, evaluation point x")


@pytest.mark.parametrize("name", list(PROBLEMS))
@pytest.mark.parametrize("index", range(len(CONFIGS)), ids=lambda i: f"{i}-{CONFIGS[i]['opt']}")
def test_one_setting_as_k_equals_1_matches_reference_golden(index, name):
    """Each config with lr given as a (1,) array: params carry a leading axis of size 1."""
    config = copy.deepcopy(CONFIGS[index])
    default_lr = inspect.signature(FACTORY[config["opt"]]).parameters["lr"].default
    config["kwargs"]["lr"] = [config["kwargs"].get("lr", default_lr)]
    ys, xs, _ = our_trajectory(name, PROBLEMS[name], config, META["steps"], K=1)
    assert_same(ys[0], GOLDEN[name][index], f"{config} on {name}")
    assert_same(xs[0], GOLDEN[f"{name}/x"][index], f"{config} on {name}, evaluation point x")


@pytest.mark.parametrize("name", list(PROBLEMS))
@pytest.mark.parametrize("index", range(len(AVERAGES)), ids=lambda i: f"{i}-{AVERAGES[i]['run']['opt']}")
def test_average_matches_reference_golden(index, name):
    average = AVERAGES[index]
    _, _, avs = our_trajectory(name, PROBLEMS[name], average["run"], META["steps"], average=average["kwargs"])
    assert_same(avs, GOLDEN[f"{name}/average"][index], f"{average} on {name}")


@pytest.mark.parametrize("name", list(PROBLEMS))
def test_average_k_settings_match_reference_golden(name):
    average = META["average_sweep"]
    K = len(average["kwargs"]["gamma"])
    _, _, avs = our_trajectory(name, PROBLEMS[name], average["run"], META["steps"], K=K, average=average["kwargs"])
    assert_same(avs, GOLDEN[f"avsweep/{name}"], f"{average} on {name}")


def _our_signature(make):
    return [[p.name, p.default] for p in inspect.signature(make).parameters.values()]


@pytest.mark.parametrize("opt", list(META["signatures"]))
def test_same_arguments_and_defaults_as_the_reference(opt):
    """Names, order and defaults of the reference constructor (recorded by the golden script)."""
    make = {**FACTORY, "polynomial_decay_averager": S.polynomial_decay_averager}[opt]
    ours = json.loads(json.dumps(_our_signature(make)))  # tuples as lists, as in the recorded ones
    assert ours == META["signatures"][opt]


def test_golden_covers_every_argument():
    used = {(c["opt"], key) for c in CONFIGS for key in c["kwargs"]}
    for opt in FACTORY:
        assert {(opt, key) for key, _ in META["signatures"][opt]} <= used, opt
        assert {s["opt"] for s in SWEEPS} >= {opt}
    assert ("lion", "decoupled_weight_decay") in used
    assert {c["kwargs"]["slice_p"] for c in CONFIGS if "slice_p" in c["kwargs"]} >= {1, 2, 3, 7}
    assert any("slice_p" in s["kwargs"] for s in SWEEPS)
    gammas = [a["kwargs"].get("gamma", "default") for a in AVERAGES]
    assert {0.0, 2.5, 8.0, "default"} <= set(gammas)


def _live_available():
    return all(importlib.util.find_spec(m) is not None for m in ("torch", "lion_pytorch", "schedulefree",
                                                                 "prodigyopt", "dog"))


@pytest.mark.skipif(not _live_available(), reason="the reference packages (torch, lion-pytorch, schedulefree, "
                                                  "prodigyopt, dog-optimizer) are not importable")
@pytest.mark.parametrize("seed", range(3))
def test_matches_reference_live(seed):
    """Random configurations, run by the reference right now."""
    rng = np.random.default_rng(seed)
    u = lambda lo, hi: float(rng.uniform(lo, hi))  # noqa: E731
    foreach = [True, False, None][int(rng.integers(0, 3))]
    configs = [
        gold.C("lion", lr=u(1e-3, 0.03), betas=[u(0, 1), u(0.5, 1)], weight_decay=u(0, 0.3), use_triton=False),
        gold.C("sgd_schedulefree", lr=u(0.02, 0.2), momentum=u(0.1, 0.95), weight_decay=u(0, 0.2),
               warmup_steps=int(rng.integers(0, 10)), r=u(0, 2), weight_lr_power=u(0, 2), foreach=foreach),
        gold.C("adamw_schedulefree", lr=u(0.001, 0.05), betas=[u(0.1, 0.95), u(0.5, 0.999)], eps=10 ** u(-8, -3),
               weight_decay=u(0, 0.2), warmup_steps=int(rng.integers(0, 10)), r=u(0, 2), weight_lr_power=u(0, 2),
               foreach=foreach),
        gold.C("prodigy", lr=u(0.2, 1), betas=[u(0, 0.95), u(0.5, 0.999)], d0=10 ** u(-6, -2), d_coef=u(0.3, 1),
               weight_decay=u(0, 0.2), decouple=bool(rng.random() < 0.5),
               use_bias_correction=bool(rng.random() < 0.5), safeguard_warmup=bool(rng.random() < 0.5),
               slice_p=int(rng.integers(1, 6))),
        gold.C("dog", reps_rel=10 ** u(-6, -2), lr=u(0.5, 1), weight_decay=u(0, 0.2), eps=10 ** u(-8, -4)),
        gold.C("ldog", reps_rel=10 ** u(-6, -2), weight_decay=u(0, 0.2)),
    ]
    averages = [gold.A(configs[4], gamma=u(0, 20)), gold.A(configs[5], gamma=u(0, 20))]
    import logging
    logging.getLogger("dog").setLevel(logging.ERROR)
    for name, problem in PROBLEMS.items():
        for config in configs:
            theirs = gold.reference_trajectory(name, problem, config, steps=15)
            ours = our_trajectory(name, problem, config, 15)
            assert_same(ours[0], theirs[0], f"{config} on {name}")
            assert_same(ours[1], theirs[1], f"{config} on {name}, x")
        for average in averages:
            theirs = gold.reference_average(name, problem, average, steps=15)
            ours = our_trajectory(name, problem, average["run"], 15, average=average["kwargs"])[2]
            assert_same(ours, theirs, f"{average} on {name}")


@pytest.mark.skipif(not _live_available(), reason="the reference packages are not importable")
def test_signatures_recorded_in_the_golden_file_are_current():
    assert json.loads(json.dumps(gold.reference_signatures())) == META["signatures"]


# ----------------------------------------------------------------------------- behaviour
def test_lion_moves_every_coordinate_by_lr():
    opt = S.lion(lr=0.01)
    x = np.array([1.0, -2.0, 3.0])
    new, state = opt.step(x, np.array([1e-6, -5.0, 0.0]), opt.init(x))
    np.testing.assert_allclose(new - x, [-0.01, 0.01, 0.0], rtol=1e-15)
    np.testing.assert_allclose(state["exp_avg"], [1e-8, -0.05, 0.0], rtol=1e-12)


def test_schedule_free_x_is_the_running_average_of_z():
    """With r = 0, weight_lr_power = 0 and no warmup, c_t = 1/t: x_t is the plain mean of z_1..z_t."""
    A = np.diag([1.0, 4.0])
    opt = S.sgd_schedulefree(lr=0.1, momentum=0.9, weight_lr_power=0.0)
    y = np.array([1.0, -1.0])
    state = opt.init(y)
    zs = []
    for _ in range(20):
        y, state = opt.step(y, A @ y, state)
        zs.append(state["z"])
        np.testing.assert_allclose(opt.eval_params(y, state), np.mean(zs, axis=0), rtol=1e-12, atol=1e-15)
    # y interpolates between x and z: y = (1 - beta) z + beta x
    np.testing.assert_allclose(y, 0.1 * state["z"] + 0.9 * opt.eval_params(y, state), rtol=1e-12, atol=1e-15)


def test_prodigy_d_grows_to_the_distance_scale():
    """On f = |x - x*|^2 / 2 from 0 with |x*| = 10, d grows from 1e-6 to the order of the distance."""
    target = np.full(4, 5.0)
    opt = S.prodigy()
    x = np.zeros(4)
    state = opt.init(x)
    for _ in range(200):
        x, state = opt.step(x, x - target, state)
    assert 1.0 < state["d"] < 100.0
    assert np.linalg.norm(x - target) < 1.0


def test_dog_first_step_and_eta():
    x = np.array([3.0, 4.0])
    g = np.array([1.0, 2.0])
    opt = S.dog(reps_rel=1e-3, eps=0.0)
    new, state = opt.step(x, g, opt.init(x))
    eta = 1e-3 * (1 + 5.0) / np.sqrt(5.0)
    assert state["eta"] == pytest.approx(eta, rel=1e-15)
    np.testing.assert_allclose(new, x - eta * g, rtol=1e-15)
    new2, state2 = opt.step(new, g, state)
    assert state2["eta"] == pytest.approx(max(eta * np.sqrt(5), 6e-3) / np.sqrt(10.0), rel=1e-14)


def test_ldog_keeps_one_rate_per_array():
    x = {"a": np.array([1.0, 0.0]), "b": np.array([0.0, 10.0, 0.0])}
    g = {"a": np.array([1.0, 1.0]), "b": np.array([0.0, 1.0, 0.0])}
    opt = S.ldog(eps=0.0)
    _, state = opt.step(x, g, opt.init(x))
    np.testing.assert_allclose(state["eta"], [1e-6 * 2 / np.sqrt(2), 1e-6 * 11 / 1.0], rtol=1e-14)


def _loss_of(x):
    with np.errstate(all="ignore"):  # the test's own loss may overflow in the divergence test
        return 0.5 * sum(float(np.sum(v * v)) for v in S._leaves(x, "x"))


ALL = {**FACTORY, "sps": S.sps, "sps_max": lambda: S.sps(adapt_flag="constant", eta_max=2.0), "polyak": S.polyak,
       "armijo": S.armijo, "sgd_hd": lambda: S.sgd_hd(0.1, momentum=0.9), "adam_hd": S.adam_hd}


def _step(opt, x, g, state):
    """opt.step with what the method needs (the loss of f = |x|^2 / 2; a closure for Armijo)."""
    if opt.name == "armijo":
        return opt.step(x, g, state, loss=_loss_of(x), closure=_loss_of)
    if opt.name in ("sps", "polyak"):
        return opt.step(x, g, state, loss=_loss_of(x))
    return opt.step(x, g, state)


@pytest.mark.parametrize("make", list(ALL.values()), ids=list(ALL))
def test_pure_and_structured(make):
    opt = make()
    x = {"w": np.ones((2, 3)), "b": [np.zeros(2), np.array(1.5)]}
    g = {"w": np.full((2, 3), 0.5), "b": [np.ones(2), np.array(-1.0)]}
    state = opt.init(x)
    before = copy.deepcopy((x, g, state))
    new, new_state = _step(opt, x, g, state)
    new, new_state = _step(opt, new, g, new_state)
    np.testing.assert_equal((x, g, state), before)
    assert set(new) == {"w", "b"} and isinstance(new["b"], list) and new["b"][1].shape == ()
    assert new_state["step"] == 2 and new_state["optimizer"] == opt.name


@pytest.mark.parametrize("make", list(ALL.values()), ids=list(ALL))
def test_divergence_gives_nan_not_warnings(make):
    opt = make()
    x = np.array([1e308, -1.0])
    state = opt.init(x)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for g in (np.array([1e308, np.inf]), np.array([np.nan, 1.0])):
            x, state = _step(opt, x, g, state)
        if hasattr(opt, "eval_params"):
            opt.eval_params(x, state)
    assert not np.isfinite(x).all()


@pytest.mark.parametrize("bad, error", [
    (lambda: S.lion(lr=-1.0), ValueError),
    (lambda: S.lion(betas=(0.9,)), ValueError),
    (lambda: S.sgd_schedulefree(momentum=1.0), ValueError),
    (lambda: S.sgd_schedulefree(warmup_steps=1.5), TypeError),
    (lambda: S.adamw_schedulefree(betas=(0.0, 0.9)), ValueError),
    (lambda: S.prodigy(d0=0.0), ValueError),
    (lambda: S.prodigy(lr=0.0), ValueError),
    (lambda: S.prodigy(decouple="yes"), TypeError),
    (lambda: S.dog(reps_rel=0.0), ValueError),
    (lambda: S.dog(init_eta=-1.0), ValueError),
    (lambda: S.prodigy(lr=[1.0, 0.5], d0=[1e-6, 1e-3, 1e-4]), ValueError),
    (lambda: S.prodigy(slice_p=0), ValueError),
    (lambda: S.prodigy(slice_p=2.0), TypeError),
    (lambda: S.prodigy(slice_p=[1, 2]), TypeError),
    (lambda: S.prodigy(fsdp_in_use=True), ValueError),
    (lambda: S.prodigy(fsdp_in_use="no"), TypeError),
    (lambda: S.lion(use_triton=1), TypeError),
    (lambda: S.sgd_schedulefree(foreach="yes"), TypeError),
    (lambda: S.adamw_schedulefree(foreach=0), TypeError),
    (lambda: S.polynomial_decay_averager(gamma=-1.0), ValueError),
    (lambda: S.polynomial_decay_averager(gamma=np.inf), ValueError),
    (lambda: S.polynomial_decay_averager(gamma="8"), TypeError),
])
def test_bad_arguments(bad, error):
    with pytest.raises(error):
        bad()


def test_bad_arguments_are_named():
    for bad, name in ((lambda: S.prodigy(slice_p=0), "slice_p"),
                      (lambda: S.prodigy(fsdp_in_use=True), "fsdp_in_use"),
                      (lambda: S.lion(use_triton=1), "use_triton"),
                      (lambda: S.sgd_schedulefree(foreach="x"), "foreach"),
                      (lambda: S.polynomial_decay_averager(gamma=-1.0), "gamma")):
        with pytest.raises((TypeError, ValueError), match=name):
            bad()


def test_implementation_flags_change_nothing():
    """foreach and use_triton choose the reference's torch kernels: here the same run either way."""
    x, g = np.array([1.0, -2.0, 0.5]), np.array([0.3, 0.1, -1.0])
    for make, flags in ((S.sgd_schedulefree, dict(foreach=False)), (S.adamw_schedulefree, dict(foreach=None)),
                        (S.lion, dict(use_triton=True))):
        plain, flagged = make(), make(**flags)
        a = plain.step(x, g, plain.init(x))
        b = flagged.step(x, g, flagged.init(x))
        np.testing.assert_equal(a, b)


def test_prodigy_slice_p_keeps_every_slice_p_th_entry():
    x = {"w": np.arange(1.0, 8.0).reshape(7, 1), "b": np.array(2.0)}
    g = {"w": np.linspace(-1.0, 1.0, 7).reshape(7, 1), "b": np.array(0.5)}
    opt = S.prodigy(slice_p=3)
    state = opt.init(x)
    np.testing.assert_equal(state["p0"], {"w": np.array([1.0, 4.0, 7.0]), "b": np.array([2.0])})
    _, state = opt.step(x, g, state)
    # s = (d / d0) * dlr * g[::3] = 1e-6 * g[::3] on the first step (d = d0, lr = 1)
    np.testing.assert_allclose(state["s"]["w"], 1e-6 * np.array([-1.0, 0.0, 1.0]), rtol=1e-15, atol=1e-30)
    assert state["exp_avg"]["w"].shape == (7, 1)
    with pytest.raises(ValueError, match="state\\['p0'\\]"):  # a state of another slice_p
        opt.step(x, g, S.prodigy(slice_p=2).init(x))
    K = S.prodigy(lr=np.array([1.0, 0.5]), slice_p=2)
    assert K.init(np.ones((2, 5)))["p0"].shape == (2, 3)


def test_prodigy_slice_p_ignores_the_other_coordinates():
    """d is estimated from the sliced coordinates only: gradients elsewhere do not move it."""
    target = np.array([1.0, 5.0, 2.0, -3.0])
    opt = S.prodigy(slice_p=2)
    xa, xb = np.zeros(4), np.zeros(4)
    a, b = opt.init(xa), opt.init(xb)
    for _ in range(20):  # f = |x - target|^2 / 2, and for b 7 times steeper in the unsliced coordinates
        xa, a = opt.step(xa, xa - target, a)
        xb, b = opt.step(xb, (xb - target) * np.array([1.0, 7.0, 1.0, 7.0]), b)
        assert a["d"] == b["d"] and a["d_numerator"] == b["d_numerator"]
        np.testing.assert_equal(xa[::2], xb[::2])
    assert a["d"] > 1e-3 and not np.array_equal(xa, xb)


def test_averager_with_gamma_0_is_the_plain_mean_and_forgets_with_gamma():
    rng = np.random.default_rng(3)
    xs = rng.standard_normal((12, 4))
    flat = S.polynomial_decay_averager(gamma=0.0)
    state = flat.init(np.zeros(4))
    for t, x in enumerate(xs, start=1):
        state = flat.step(x, state)
        np.testing.assert_allclose(state["average"], xs[:t].mean(axis=0), rtol=1e-13, atol=1e-15)
        assert state["t"] == t + 1
    # gamma = 8: the weight of x_s in the average after T steps is w_s prod_{r > s} (1 - w_r)
    avg = S.polynomial_decay_averager()
    state = avg.init(np.zeros(4))
    for x in xs:
        state = avg.step(x, state)
    w = np.array([9.0 / (8 + s) for s in range(1, 13)])
    weights = np.array([w[s] * np.prod(1 - w[s + 1:]) for s in range(12)])
    assert weights.sum() == pytest.approx(1.0, rel=1e-14) and weights[-1] > 20 * weights[0]
    np.testing.assert_allclose(state["average"], weights @ xs, rtol=1e-12)


def test_averager_pure_structured_k_settings_and_checked():
    avg = S.polynomial_decay_averager(gamma=np.array([0.0, 8.0]))
    x = {"w": np.ones((2, 3)), "b": [np.zeros(2)]}
    state = avg.init(x)
    before = copy.deepcopy((x, state))
    new = avg.step({"w": np.full((2, 3), 3.0), "b": [np.ones(2)]}, state)
    new = avg.step({"w": np.full((2, 3), 5.0), "b": [np.ones(2)]}, new)
    np.testing.assert_equal((x, state), before)
    np.testing.assert_allclose(new["average"]["w"][:, 0], [4.0, (1 - 9 / 10) * 3.0 + 9 / 10 * 5.0], rtol=1e-15)
    assert repr(avg) == "polynomial_decay_averager(gamma=[0, 8] (K=2))"
    with pytest.raises(ValueError, match="leading axis"):
        avg.init(np.ones(3))
    with pytest.raises(ValueError, match="state"):
        avg.step(x, S.dog().init(x))
    with pytest.raises(ValueError, match="state\\['average'\\]"):
        avg.step(x, avg.init({"w": np.ones((2, 2)), "b": [np.zeros(2)]}))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        one = S.polynomial_decay_averager()
        diverged = one.step(np.array([np.inf, 1e308]), one.step(np.array([1.0, 1e308]), one.init(np.zeros(2))))
    assert not np.isfinite(diverged["average"]).all()


def test_bad_state_and_grads():
    opt = S.prodigy()
    x = np.ones(3)
    state = opt.init(x)
    with pytest.raises(ValueError, match="grads"):
        opt.step(x, np.ones(2), state)
    with pytest.raises(ValueError, match="prodigy"):
        opt.step(x, np.ones(3), S.dog().init(x))
    broken = dict(state)
    broken["d"] = "big"
    with pytest.raises(ValueError, match="state\\['d'\\]"):
        opt.step(x, np.ones(3), broken)
    with pytest.raises(ValueError, match="leading axis"):
        S.lion(lr=[0.1, 0.2]).init(np.ones(3))


# ----------------------------------------------------------------------------- Polyak, SPS, Armijo, hypergradient
def test_polyak_halves_a_one_dimensional_quadratic():
    """f = a x^2 / 2, f* = 0: gamma = f / f'^2 = 1 / (2a), so x_{t+1} = x_t / 2 exactly."""
    opt = S.polyak()
    x = np.array([3.0])
    state = opt.init(x)
    for t in range(30):
        new, state = opt.step(x, 4.0 * x, state, loss=2.0 * x[0] ** 2)
        assert state["step_size"] == pytest.approx(1 / 8, rel=1e-15)
        np.testing.assert_allclose(new, x / 2, rtol=1e-15)
        x = new


def test_polyak_distance_to_optimum_shrinks_as_the_theory_says():
    """Convex f with known f*: |x_{t+1} - x*|^2 <= |x_t - x*|^2 - (f(x_t) - f*)^2 / |g_t|^2 (Polyak's
    bound, with equality for the quadratic part's exact geometry not required)."""
    rng = np.random.default_rng(0)
    Q = rng.standard_normal((6, 6))
    A = Q @ Q.T + 0.1 * np.eye(6)
    xstar = rng.standard_normal(6)
    fstar = 1.5
    f = lambda x: 0.5 * (x - xstar) @ A @ (x - xstar) + fstar  # noqa: E731
    opt = S.polyak(fstar=fstar)
    x = xstar + 5.0
    state = opt.init(x)
    for _ in range(200):
        g = A @ (x - xstar)
        new, state = opt.step(x, g, state, loss=f(x))
        bound = np.sum((x - xstar) ** 2) - (f(x) - fstar) ** 2 / (g @ g)
        assert np.sum((new - xstar) ** 2) <= bound * (1 + 1e-9) + 1e-300
        x = new
    assert f(x) - fstar < 1e-3 * (f(xstar + 5.0) - fstar)


def test_sps_max_caps_the_step_and_stops_below_fstar():
    x = np.array([2.0, 0.0])
    g = np.array([1.0, 0.0])
    capped = S.sps(adapt_flag="constant", eta_max=0.3, c=0.5)
    new, state = capped.step(x, g, capped.init(x), loss=10.0)  # uncapped: 10 / (0.5 * 1) = 20
    assert state["step_size"] == 0.3
    np.testing.assert_allclose(new, [1.7, 0.0], rtol=1e-15)
    free = S.sps(adapt_flag="constant", eps=0.0)
    _, state = free.step(x, g, free.init(x), loss=10.0)
    assert state["step_size"] == 20.0
    below = S.sps(adapt_flag="constant", fstar=1.0)
    new, state = below.step(x, g, below.init(x), loss=0.5)
    assert state["step_size"] == 0.0 and np.array_equal(new, x)
    smooth = S.sps(n_batches_per_epoch=2, init_step_size=1.0, gamma=4.0, eps=0.0)  # cap 1 * 4^(1/2) = 2
    _, state = smooth.step(x, g, smooth.init(x), loss=10.0)
    assert state["step_size"] == 2.0


def test_sps_k_settings_match_one_at_a_time():
    cs, caps = np.array([0.5, 1.0, 0.2]), np.array([1.0, 0.5, 10.0])
    A = np.diag([1.0, 3.0])
    together = S.sps(c=cs, eta_max=caps, adapt_flag="constant")
    X = np.tile([1.0, -2.0], (3, 1))
    st = together.init(X)
    for _ in range(10):
        X, st = together.step(X, X @ A, st, loss=np.array([0.5 * r @ A @ r for r in X]))
    for i in range(3):
        opt = S.sps(c=cs[i], eta_max=caps[i], adapt_flag="constant")
        x = np.array([1.0, -2.0])
        s1 = opt.init(x)
        for _ in range(10):
            x, s1 = opt.step(x, A @ x, s1, loss=0.5 * x @ A @ x)
        np.testing.assert_allclose(X[i], x, rtol=1e-14)


def test_armijo_condition_holds_at_every_accepted_step():
    rng = np.random.default_rng(1)
    Q = rng.standard_normal((5, 5))
    A = Q @ Q.T + np.eye(5)
    f = lambda x: 0.5 * x @ A @ x  # noqa: E731
    opt = S.armijo(init_step_size=10.0, c=0.1, beta_b=0.5, n_batches_per_epoch=1)
    x = rng.standard_normal(5)
    state = opt.init(x)
    evals = 0
    for _ in range(40):
        g = A @ x
        eta_start = state["step_size"] * 2.0  # reset_option=1: times gamma^(1/1)
        new, state = opt.step(x, g, state, loss=f(x), closure=f)
        eta = state["step_size"]
        backtracks = round(np.log(eta / eta_start) / np.log(0.5))
        assert eta == pytest.approx(eta_start * 0.5**backtracks, rel=1e-12)
        assert f(new) <= f(x) - 0.1 * eta * (g @ g) + 1e-12 * abs(f(x))
        if backtracks > 0:  # the step before (eta / beta_b) was refused
            assert f(x - 2 * eta * g) > f(x) - 0.1 * 2 * eta * (g @ g)
        np.testing.assert_allclose(new, x - eta * g, rtol=1e-15)
        evals += backtracks + 1
        assert state["n_evals"] == evals
        x = new
    assert f(x) < 1e-6


def test_armijo_k_settings_search_each_on_its_own():
    f = lambda X: 0.5 * np.sum(X * X * np.array([1.0, 20.0]), axis=-1)  # noqa: E731
    opt = S.armijo(init_step_size=np.array([1.0, 0.01]), c=np.array([0.1, 0.5]))
    X = np.array([[1.0, 1.0], [1.0, 1.0]])
    st = opt.init(X)
    X2, st = opt.step(X, X * np.array([1.0, 20.0]), st, loss=f(X), closure=f)
    for i, (eta0, c) in enumerate([(1.0, 0.1), (0.01, 0.5)]):
        one = S.armijo(init_step_size=eta0, c=c)
        x2, s1 = one.step(X[i], X[i] * np.array([1.0, 20.0]), one.init(X[i]), loss=f(X[i]), closure=f)
        np.testing.assert_allclose(X2[i], x2, rtol=1e-15)
        assert st["n_evals"][i] == s1["n_evals"]


def test_sgd_hd_first_steps_by_hand_and_the_rate_update_sign():
    A = np.diag([1.0, 4.0])
    opt = S.sgd_hd(0.1, hypergrad_lr=0.01)
    x0 = np.array([1.0, 1.0])
    st = opt.init(x0)
    g0 = A @ x0
    x1, st = opt.step(x0, g0, st)  # no previous direction: lr unchanged
    assert st["lr"] == 0.1
    np.testing.assert_allclose(x1, x0 - 0.1 * g0, rtol=1e-15)
    g1 = A @ x1
    x2, st = opt.step(x1, g1, st)
    lr1 = 0.1 + 0.01 * g1 @ g0
    assert st["lr"] == pytest.approx(lr1, rel=1e-15)
    np.testing.assert_allclose(x2, x1 - lr1 * g1, rtol=1e-15)
    # a small rate: successive gradients agree, the rate grows; a too large one: they oppose, it shrinks
    for lr, grows in ((0.01, True), (0.45, False)):
        opt = S.sgd_hd(lr, hypergrad_lr=1e-3)
        x, st = np.array([1.0, 1.0]), opt.init(np.zeros(2))
        for _ in range(5):
            x, st = opt.step(x, A @ x, st)
        assert (st["lr"] > lr) == grows


def test_adam_hd_rate_update_by_hand():
    A = np.diag([1.0, 4.0])
    opt = S.adam_hd(0.1, betas=(0.5, 0.9), eps=1e-8, hypergrad_lr=0.01)
    x0 = np.array([1.0, -1.0])
    x1, st = opt.step(x0, A @ x0, opt.init(x0))
    assert st["lr"] == 0.1
    m, v = 0.5 * A @ x0, 0.1 * (A @ x0) ** 2
    g1 = A @ x1
    x2, st = opt.step(x1, g1, st)
    lr1 = 0.1 + 0.01 * (g1 @ (m / (np.sqrt(v) + 1e-8))) * np.sqrt(1 - 0.9) / (1 - 0.5)
    assert st["lr"] == pytest.approx(lr1, rel=1e-14)
    m, v = 0.5 * m + 0.5 * g1, 0.9 * v + 0.1 * g1**2
    np.testing.assert_allclose(x2, x1 - lr1 * np.sqrt(1 - 0.81) / (1 - 0.25) * m / (np.sqrt(v) + 1e-8), rtol=1e-14)


def test_hd_k_settings_match_one_at_a_time():
    A = np.diag([1.0, 4.0])
    for together, single in ((S.sgd_hd(np.array([0.05, 0.3]), momentum=np.array([0.0, 0.5]), hypergrad_lr=1e-3),
                              lambda i: S.sgd_hd([0.05, 0.3][i], momentum=[0.0, 0.5][i], hypergrad_lr=1e-3)),
                             (S.adam_hd(np.array([0.01, 0.1]), hypergrad_lr=np.array([1e-3, 1e-2])),
                              lambda i: S.adam_hd([0.01, 0.1][i], hypergrad_lr=[1e-3, 1e-2][i]))):
        X = np.array([[1.0, 1.0], [1.0, 1.0]])
        st = together.init(X)
        for _ in range(8):
            X, st = together.step(X, X @ A, st)
        for i in range(2):
            opt = single(i)
            x = np.array([1.0, 1.0])
            s1 = opt.init(x)
            for _ in range(8):
                x, s1 = opt.step(x, A @ x, s1)
            np.testing.assert_allclose(X[i], x, rtol=1e-14)
            assert st["lr"][i] == pytest.approx(s1["lr"], rel=1e-14)


def test_loss_arguments_checked():
    opt = S.sps()
    x = np.ones(2)
    with pytest.raises(TypeError):
        opt.step(x, x, opt.init(x))  # loss is required
    with pytest.raises(ValueError, match="loss"):
        opt.step(x, x, opt.init(x), loss=np.ones(3))
    arm = S.armijo()
    with pytest.raises(TypeError, match="closure"):
        arm.step(x, x, arm.init(x), loss=1.0, closure=3.0)
    with pytest.raises(ValueError, match="closure"):
        arm.step(x, x, arm.init(x), loss=1.0, closure=lambda p: p)
    with pytest.raises(ValueError, match="adapt_flag"):
        S.sps(adapt_flag="smooth")
    with pytest.raises(ValueError, match="reset_option"):
        S.armijo(reset_option=3)
    with pytest.raises(TypeError):
        S.sgd_hd(lambda k: 0.1)
