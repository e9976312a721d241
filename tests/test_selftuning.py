"""lrcourse.selftuning against the authors' reference implementations (golden values, and live when
lion-pytorch, schedulefree, prodigyopt and dog-optimizer are importable), K settings, purity, checks."""
from __future__ import annotations

import copy
import importlib.util
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
PROBLEMS = gold.problems()
FACTORY = {"lion": S.lion, "sgd_schedulefree": S.sgd_schedulefree, "adamw_schedulefree": S.adamw_schedulefree,
           "prodigy": S.prodigy, "dog": S.dog, "ldog": S.ldog}


def _array_kwargs(kwargs):
    """Lists (one value per setting; betas per component) as (K,) arrays."""
    return {k: (tuple(np.array(c) if isinstance(c, list) else c for c in v) if k == "betas" else
                np.array(v) if isinstance(v, list) else v) for k, v in kwargs.items()}


def our_trajectory(name, problem, config, steps, K=None):
    """(y, x) like gold.reference_trajectory: (steps + 1, n) each, or (K, steps + 1, n) with K settings."""
    opt = FACTORY[config["opt"]](**_array_kwargs(gold.scaled_kwargs(config, problem)))
    x = gold.x0(name, problem)
    if K is not None:
        x = {k: np.broadcast_to(v, (K,) + v.shape).copy() for k, v in x.items()} if isinstance(x, dict) else \
            np.broadcast_to(x, (K,) + x.shape).copy()
    free = config["opt"] in gold.SCHEDULE_FREE
    state = opt.init(x)

    def flat(tree):
        if K is None:
            return gold.flat(tree)
        leaves = tree.values() if isinstance(tree, dict) else [tree]
        return np.concatenate([v.reshape(K, -1) for v in leaves], axis=1)

    def evaluation(x, state):
        return flat(opt.eval_params(x, state)) if free else np.full(flat(x).shape, np.nan)

    ys, xs = [flat(x)], [evaluation(x, state)]
    for _ in range(steps):
        if K is None:
            g = gold.grad(name, problem, x)
        else:  # the gradient of each setting's own point
            per = [gold.grad(name, problem, {k: v[i] for k, v in x.items()} if isinstance(x, dict) else x[i])
                   for i in range(K)]
            g = {k: np.stack([p[k] for p in per]) for k in x} if isinstance(x, dict) else np.stack(per)
        x, state = opt.step(x, g, state)
        ys.append(flat(x))
        xs.append(evaluation(x, state))
    assert state["step"] == steps
    ys, xs = np.array(ys), np.array(xs)
    return (ys, xs) if K is None else (ys.transpose(1, 0, 2), xs.transpose(1, 0, 2))


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
    ys, xs = our_trajectory(name, PROBLEMS[name], config, META["steps"])
    assert_same(ys, GOLDEN[name][index], f"{config} on {name}")
    assert_same(xs, GOLDEN[f"{name}/x"][index], f"{config} on {name}, evaluation point x")


@pytest.mark.parametrize("name", list(PROBLEMS))
@pytest.mark.parametrize("j", range(len(SWEEPS)), ids=lambda j: f"{j}-{SWEEPS[j]['opt']}")
def test_k_settings_match_reference_golden(j, name):
    sweep = SWEEPS[j]
    K = len(gold.settings(sweep))
    ys, xs = our_trajectory(name, PROBLEMS[name], sweep, META["steps"], K=K)
    assert_same(ys, GOLDEN[f"sweep{j}/{name}"], f"{sweep} on {name}")
    assert_same(xs, GOLDEN[f"sweep{j}/{name}/x"], f"{sweep} on {name}, evaluation point x")


def test_golden_covers_every_argument():
    used = {(c["opt"], key) for c in CONFIGS for key in c["kwargs"]}
    for opt, make in FACTORY.items():
        assert {(opt, key) for key in make._signature if key != "init_eta" or opt in ("dog", "ldog")} <= used, opt
        assert {s["opt"] for s in SWEEPS} >= {opt}
    assert ("lion", "decoupled_weight_decay") in used


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
    configs = [
        gold.C("lion", lr=u(1e-3, 0.03), betas=[u(0, 1), u(0.5, 1)], weight_decay=u(0, 0.3)),
        gold.C("sgd_schedulefree", lr=u(0.02, 0.2), momentum=u(0.1, 0.95), weight_decay=u(0, 0.2),
               warmup_steps=int(rng.integers(0, 10)), r=u(0, 2), weight_lr_power=u(0, 2)),
        gold.C("adamw_schedulefree", lr=u(0.001, 0.05), betas=[u(0.1, 0.95), u(0.5, 0.999)], eps=10 ** u(-8, -3),
               weight_decay=u(0, 0.2), warmup_steps=int(rng.integers(0, 10)), r=u(0, 2), weight_lr_power=u(0, 2)),
        gold.C("prodigy", lr=u(0.2, 1), betas=[u(0, 0.95), u(0.5, 0.999)], d0=10 ** u(-6, -2), d_coef=u(0.3, 1),
               weight_decay=u(0, 0.2), decouple=bool(rng.random() < 0.5),
               use_bias_correction=bool(rng.random() < 0.5), safeguard_warmup=bool(rng.random() < 0.5)),
        gold.C("dog", reps_rel=10 ** u(-6, -2), lr=u(0.5, 1), weight_decay=u(0, 0.2), eps=10 ** u(-8, -4)),
        gold.C("ldog", reps_rel=10 ** u(-6, -2), weight_decay=u(0, 0.2)),
    ]
    import logging
    logging.getLogger("dog").setLevel(logging.ERROR)
    for config in configs:
        for name, problem in PROBLEMS.items():
            theirs = gold.reference_trajectory(name, problem, config, steps=15)
            ours = our_trajectory(name, problem, config, 15)
            assert_same(ours[0], theirs[0], f"{config} on {name}")
            assert_same(ours[1], theirs[1], f"{config} on {name}, x")


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


@pytest.mark.parametrize("make", list(FACTORY.values()), ids=list(FACTORY))
def test_pure_and_structured(make):
    opt = make()
    x = {"w": np.ones((2, 3)), "b": [np.zeros(2), np.array(1.5)]}
    g = {"w": np.full((2, 3), 0.5), "b": [np.ones(2), np.array(-1.0)]}
    state = opt.init(x)
    before = copy.deepcopy((x, g, state))
    new, new_state = opt.step(x, g, state)
    new, new_state = opt.step(new, g, new_state)
    np.testing.assert_equal((x, g, state), before)
    assert set(new) == {"w", "b"} and isinstance(new["b"], list) and new["b"][1].shape == ()
    assert new_state["step"] == 2 and new_state["optimizer"] == opt.name


@pytest.mark.parametrize("make", list(FACTORY.values()), ids=list(FACTORY))
def test_divergence_gives_nan_not_warnings(make):
    opt = make()
    x = np.array([1e308, -1.0])
    state = opt.init(x)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for g in (np.array([1e308, np.inf]), np.array([np.nan, 1.0])):
            x, state = opt.step(x, g, state)
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
])
def test_bad_arguments(bad, error):
    with pytest.raises(error):
        bad()


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
