"""lrcourse.search: the range test, grid/random search, successive halving, Hyperband and the
Bayesian optimiser, against closed forms, literal transcriptions of the published algorithms
and brute force."""
import functools
import math
from fractions import Fraction

import numpy as np
import pytest

from lrcourse import data, models, optimizers, problems, search


# ---------------------------------------------------------------------------- the range test
def test_exponential_sweep_is_geometric_with_both_ends():
    lrs = search.exponential_sweep(1e-7, 10.0, 100)
    assert lrs.shape == (100,)
    assert lrs[0] == 1e-7 and math.isclose(lrs[-1], 10.0, rel_tol=1e-12)
    np.testing.assert_allclose(lrs[1:] / lrs[:-1], (1e8) ** (1 / 99), rtol=1e-12)


@pytest.mark.parametrize("kwargs, error, text", [
    (dict(start_lr=0.0, end_lr=1.0, num_iter=10), ValueError, "start_lr must be > 0, got 0.0"),
    (dict(start_lr=1.0, end_lr=0.5, num_iter=10), ValueError, "end_lr must be > start_lr = 1, got 0.5"),
    (dict(start_lr=1e-3, end_lr=1.0, num_iter=1), ValueError, "num_iter must be an integer >= 2, got 1"),
    (dict(start_lr=1e-3, end_lr=1.0, num_iter=10.0), TypeError, "num_iter must be an integer"),
    (dict(start_lr=float("nan"), end_lr=1.0, num_iter=10), ValueError, "start_lr"),
])
def test_exponential_sweep_validates(kwargs, error, text):
    with pytest.raises(error, match=text.replace("(", r"\(").replace(")", r"\)")):
        search.exponential_sweep(**kwargs)


def test_smooth_losses_is_debiased_ema():
    # a constant is left exactly unchanged (that is what the debiasing is for)
    np.testing.assert_allclose(search.smooth_losses(np.full(50, 3.0), 0.98), 3.0, rtol=1e-12)
    # beta = 0 smooths nothing
    x = np.random.default_rng(0).uniform(size=20)
    np.testing.assert_array_equal(search.smooth_losses(x, 0.0), x)
    # closed form: weighted average with weights beta^(i-j) (1 - beta) / (1 - beta^(i+1))
    beta, i = 0.9, np.arange(20)
    w = np.where(i[None, :] <= i[:, None], beta ** (i[:, None] - i[None, :]), 0.0) * (1 - beta)
    expected = w @ x / (1 - beta ** (i + 1))
    np.testing.assert_allclose(search.smooth_losses(x, beta), expected, rtol=1e-12)
    # trailing axes are smoothed independently
    both = search.smooth_losses(np.stack([x, 2 * x], axis=1), beta)
    np.testing.assert_allclose(both[:, 1], 2 * both[:, 0], rtol=1e-12)
    with pytest.raises(ValueError, match=r"beta must be in \[0, 1\), got 1.0"):
        search.smooth_losses(x, 1.0)


def _fastai_valley(lrs, losses):
    """fastai 2.7's valley(), transcribed literally (lists and loops) as the reference."""
    n = len(losses)
    max_start, max_end = 0, 0
    lds = [1] * n
    for i in range(1, n):
        for j in range(0, i):
            if (losses[i] < losses[j]) and (lds[i] < lds[j] + 1):
                lds[i] = lds[j] + 1
            if lds[max_end] < lds[i]:
                max_end = i
                max_start = max_end - lds[max_end]
    sections = (max_end - max_start) / 3
    idx = max_start + int(sections) + int(sections / 2)
    return float(lrs[idx])


def _fastai_steep(lrs, losses):
    grads = (losses[1:] - losses[:-1]) / (np.log(lrs[1:]) - np.log(lrs[:-1]))
    return float(lrs[grads.argmin()])


@pytest.mark.parametrize("seed", range(12))
def test_suggestions_match_fastai_on_noisy_range_test_curves(seed):
    rng = np.random.default_rng(seed)
    lrs = search.exponential_sweep(1e-6, 10.0, 80)
    x = np.log10(lrs)
    curve = 2.0 - 1.5 / (1 + np.exp(-(x + rng.uniform(2, 4)) * 3)) + np.exp(3 * (x - 0.5))
    losses = search.smooth_losses(curve + 0.05 * rng.standard_normal(80), 0.9)
    assert search.valley(lrs, losses) == _fastai_valley(list(lrs), list(losses))
    assert search.steepest(lrs, losses) == _fastai_steep(lrs, losses)
    assert search.minimum(lrs, losses) == lrs[np.argmin(losses)] / 10


def test_valley_on_a_clean_valley():
    lrs = np.geomspace(1e-4, 1, 13)
    losses = np.array([5, 5, 5, 5, 4, 3, 1, 0.8, 0.5, 0.4, 2, 9, 20.0])
    # longest falling chain: one of the 5s, then 4, 3, 1, 0.8, 0.5, 0.4 (7 points) ending at index 9;
    # start = 9 - 7 = 2, third = 7 / 3 -> index 2 + 2 + 1 = 5
    assert search.valley(lrs, losses) == lrs[5]
    assert search.steepest(lrs, losses) == lrs[5]     # the biggest drop, 3 -> 1, starts at index 5
    assert search.minimum(lrs, losses) == lrs[9] / 10


def _gd_with_rates(L, x0, lrs):
    x, out = x0, []
    for lr in lrs:
        x = x - lr * L * x
        out.append(L / 2 * x * x)
    return np.array(out)


def test_range_test_on_a_parabola_against_a_hand_loop():
    L = 4.0
    p = problems.parabola(L=L, x0=1.0)
    x0_before = p.x0.copy()
    rt = search.lr_range_test(p, optimizers.sgd, start_lr=1e-3, end_lr=10.0, num_iter=60, beta=0.9)
    lrs = search.exponential_sweep(1e-3, 10.0, 60)
    with np.errstate(over="ignore", invalid="ignore"):
        want = _gd_with_rates(L, 1.0, lrs)
    np.testing.assert_allclose(rt.all_lrs, lrs, rtol=1e-12)
    n = rt.lrs.size
    np.testing.assert_allclose(rt.losses, want[:n], rtol=1e-9)
    # the stop: the first smoothed loss above 4 x the best smoothed loss so far
    sm = search.smooth_losses(want[:n], 0.9)
    assert rt.stopped_at == n - 1 and sm[-1] > 4 * sm[:-1].min() and np.all(sm[1:-1] <= 4 * np.minimum.accumulate(sm)[:-2])
    assert rt.lrs[-1] > 2 / L                         # it blew up only past the 2/L threshold
    # weights restored: the test never touched the start and hands it back
    np.testing.assert_array_equal(p.x0, x0_before)
    np.testing.assert_array_equal(rt.params, x0_before)
    assert rt.params is not p.x0
    assert rt.start_loss == p.loss(p.x0)


def test_range_test_restores_dict_params_and_reads_minibatches():
    ds = data.load_digits()
    X = data.standardize(ds.X[:300])
    net = models.MLP(X, ds.y[:300], hidden=(8,), batch_size=16, seed=1)
    before = {k: a.copy() for k, a in net.x0.items()}
    rt = search.lr_range_test(net, functools.partial(optimizers.sgd, momentum=0.9), 1e-4, 10.0, 40)
    for k in before:
        np.testing.assert_array_equal(net.x0[k], before[k])
        np.testing.assert_array_equal(rt.params[k], before[k])
        assert rt.params[k] is not net.x0[k]
    assert 0 < rt.lrs.size <= 40
    assert all(1e-4 <= s <= 10 for s in rt.suggestions.values())
    same = search.lr_range_test(net, functools.partial(optimizers.sgd, momentum=0.9), 1e-4, 10.0, 40)
    np.testing.assert_array_equal(same.all_losses, rt.all_losses)       # seeded: same minibatches


def test_suggest_recomputes_without_training():
    p = problems.parabola(L=1.0)
    rt = search.lr_range_test(p, optimizers.sgd, 1e-3, 100.0, 50)
    again = rt.suggest()
    np.testing.assert_array_equal(again.smoothed, rt.smoothed)
    assert again.suggestions == rt.suggestions and again.stopped_at == rt.stopped_at
    loose = rt.suggest(beta=0.0, stop_factor=1e6)
    np.testing.assert_array_equal(loose.smoothed, loose.losses)
    raw = loose.all_losses
    first = int(np.argmax(~np.isfinite(raw) | (raw > 1e6 * np.minimum.accumulate(raw))))
    assert loose.stopped_at == first


def test_range_test_validates():
    p = problems.parabola()
    with pytest.raises(TypeError, match="optimizer must be a function of the learning rate"):
        search.lr_range_test(p, optimizers.sgd(0.1))
    with pytest.raises(ValueError, match=r"stop_factor must be > 1, got 1"):
        search.lr_range_test(p, stop_factor=1)
    with pytest.raises(ValueError, match="one setting"):
        search.lr_range_test(p, functools.partial(optimizers.sgd, momentum=[0.0, 0.9]))


def test_range_test_too_short_gives_nan_suggestions():
    rt = search.lr_range_test(problems.parabola(), optimizers.sgd, 1e-3, 1.0, 6)
    assert all(np.isnan(s) for s in rt.suggestions.values())


# ---------------------------------------------------------------------------- grid and random
SPACE = {"lr": (1e-4, 1.0, "log"), "momentum": (0.0, 0.9)}


def test_grid_points_and_random_samples():
    g = search.grid_points(SPACE, 3)
    assert g["lr"].size == 9
    np.testing.assert_allclose(np.unique(g["lr"]), [1e-4, 1e-2, 1.0])
    np.testing.assert_allclose(np.unique(g["momentum"]), [0.0, 0.45, 0.9])
    s = search.sample_space(SPACE, 1000, np.random.default_rng(0))
    assert np.all((s["lr"] >= 1e-4) & (s["lr"] <= 1)) and np.all((s["momentum"] >= 0) & (s["momentum"] <= 0.9))
    assert abs(np.median(np.log10(s["lr"])) + 2) < 0.2           # log-uniform: median near 1e-2
    assert np.unique(s["lr"]).size == 1000
    with pytest.raises(ValueError, match=r"space\['lr'\]\[0\] must be > 0"):
        search.grid_points({"lr": (0.0, 1.0, "log")}, 3)
    with pytest.raises(ValueError, match=r"space\['lr'\]\[2\] must be one of 'linear', 'log', got 'ln'"):
        search.grid_points({"lr": (1e-3, 1.0, "ln")}, 3)


def _bowl(configs, *extra):
    """Only lr matters: (log10 lr + 2)^2, plus a tiny momentum term."""
    return (np.log10(configs["lr"]) + 2) ** 2 + 1e-3 * configs["momentum"]


def test_grid_versus_random_when_one_hyperparameter_matters():
    grid = search.grid_search(_bowl, SPACE, 3)
    rand = search.random_search(_bowl, SPACE, 9, seed=0)
    assert np.unique(grid.configs["lr"]).size == 3 and np.unique(rand.configs["lr"]).size == 9
    assert grid.best == {"lr": 1e-2, "momentum": 0.0} and grid.best_loss == 0.0
    assert rand.best_loss == rand.losses.min() and rand.best_so_far()[-1] == rand.best_loss
    again = search.random_search(_bowl, SPACE, 9, seed=0)
    np.testing.assert_array_equal(again.configs["lr"], rand.configs["lr"])


def test_training_objective_is_one_vectorised_run():
    p = problems.conditioned(kappa=10.0)
    obj = search.training_objective(p, optimizers.sgd, steps=20, momentum=0.5)
    lrs = np.array([0.1, 0.5, 5.0])
    got = obj({"lr": lrs})
    for lr, value in zip(lrs[:2], got[:2]):
        one = obj({"lr": np.array([lr])})
        np.testing.assert_allclose(one, [value], rtol=1e-12)
    assert got[2] == np.inf                                      # diverged -> inf
    assert obj({"lr": lrs}, steps=0).tolist() == [p.loss(p.x0)] * 3
    with pytest.raises(ValueError, match="one common length K"):
        obj({"lr": np.array([0.1]), "momentum": np.array([0.1, 0.2])})


# ---------------------------------------------------------------------------- Hyperband
def _paper_schedule(R, eta):
    """Li et al. (2017), Algorithm 1, in exact rational arithmetic."""
    s_max = 0
    while eta ** (s_max + 1) <= R:
        s_max += 1
    B = (s_max + 1) * Fraction(R)
    out = []
    for s in range(s_max, -1, -1):
        n = math.ceil(B / R * Fraction(eta) ** s / (s + 1))
        r = Fraction(R) / Fraction(eta) ** s
        out.append([(math.floor(n / Fraction(eta) ** i), r * eta**i) for i in range(s + 1)])
    return out


def test_hyperband_brackets_of_the_paper():
    assert search.hyperband_schedule(81, 3) == [
        [(81, 1), (27, 3), (9, 9), (3, 27), (1, 81)],
        [(34, 3), (11, 9), (3, 27), (1, 81)],
        [(15, 9), (5, 27), (1, 81)],
        [(8, 27), (2, 81)],
        [(5, 81)],
    ]
    assert search.hyperband_schedule(1, 3) == [[(1, 1)]]


@pytest.mark.parametrize("R, eta", [(81, 3), (27, 3), (100, 3), (64, 2), (243, 3), (1000, 10), (10, 4), (2, 2)])
def test_hyperband_schedule_equals_exact_arithmetic(R, eta):
    got = search.hyperband_schedule(R, eta)
    want = _paper_schedule(R, eta)
    assert [[n for n, _ in b] for b in got] == [[n for n, _ in b] for b in want]
    for gb, wb in zip(got, want):
        for (_, r), (_, rw) in zip(gb, wb):
            assert math.isclose(r, float(rw), rel_tol=1e-12)


def test_hyperband_schedule_validates():
    with pytest.raises(ValueError, match=r"eta must be an integer >= 2, got 1"):
        search.hyperband_schedule(81, 1)
    with pytest.raises(TypeError, match="eta must be an integer"):
        search.hyperband_schedule(81, 3.0)
    with pytest.raises(ValueError, match=r"R must be >= 1, got 0.5"):
        search.hyperband_schedule(0.5)


def _budgeted(configs, r):
    """A loss that falls with the resource r and whose ranking is set by lr alone."""
    return (np.log10(configs["lr"]) + 2) ** 2 + 1.0 / r


def test_successive_halving_keeps_the_best_third():
    configs = search.sample_space(SPACE, 27, np.random.default_rng(3))
    b = search.successive_halving(_budgeted, configs, 1, eta=3)
    assert [(rung["n"], rung["r"]) for rung in b.rungs] == [(27, 1), (9, 3), (3, 9), (1, 27)]
    quality = (np.log10(configs["lr"]) + 2) ** 2
    order = np.argsort(quality)
    for rung, n in zip(b.rungs, (27, 9, 3, 1)):
        assert sorted(rung["index"]) == sorted(order[:n])         # the survivors are the best n
        np.testing.assert_allclose(rung["losses"], quality[rung["index"]] + 1 / rung["r"])
    assert b.best_index == order[0] and b.resource == 27 + 27 + 27 + 27
    capped = search.successive_halving(_budgeted, configs, 1, eta=3, max_resource=9)
    assert [(rung["n"], rung["r"]) for rung in capped.rungs] == [(27, 1), (9, 3), (3, 9)]


def test_hyperband_runs_every_bracket_and_counts():
    calls = []

    def objective(configs, r):
        calls.append((configs["lr"].size, r))
        return _budgeted(configs, r)

    hb = search.hyperband(objective, SPACE, 81, 3, seed=0)
    schedule = search.hyperband_schedule(81, 3)
    assert calls == [rung for bracket in schedule for rung in bracket]   # one vectorised call per rung
    assert hb.evaluations == sum(n for bracket in schedule for n, _ in bracket) == 206
    assert hb.resource == sum(n * r for bracket in schedule for n, r in bracket)
    assert hb.best_loss == min(float(rung["losses"].min()) for b in hb.brackets for rung in b.rungs)
    again = search.hyperband(_budgeted, SPACE, 81, 3, seed=0)
    assert again.best == hb.best


# ---------------------------------------------------------------------------- Bayesian optimisation
def test_gp_posterior_against_the_textbook_formulas():
    rng = np.random.default_rng(0)
    x, y, xs = rng.uniform(-3, 0, 6), rng.standard_normal(6), np.linspace(-4, 1, 50)
    ell, noise = 0.7, 1e-4
    K = np.exp(-0.5 * (x[:, None] - x[None, :]) ** 2 / ell**2) + noise * np.eye(6)
    ks = np.exp(-0.5 * (xs[:, None] - x[None, :]) ** 2 / ell**2)
    mean = ks @ np.linalg.inv(K) @ y
    var = 1 - np.einsum("ij,jk,ik->i", ks, np.linalg.inv(K), ks)
    m, s = search.gp_posterior(x, y, xs, ell, noise)
    np.testing.assert_allclose(m, mean, atol=1e-9)
    np.testing.assert_allclose(s, np.sqrt(var), atol=1e-6)
    m0, s0 = search.gp_posterior(x, y, x, ell, 1e-10)              # interpolates the data
    np.testing.assert_allclose(m0, y, atol=1e-4)
    assert np.all(s0 < 1e-3)
    _, far = search.gp_posterior(x, y, np.array([50.0]), ell, noise)
    np.testing.assert_allclose(far, 1.0)                           # prior std far from the data


def test_log_marginal_likelihood_against_slogdet():
    rng = np.random.default_rng(1)
    x, y = rng.uniform(-2, 0, 7), rng.standard_normal(7)
    for ell in (0.2, 1.0):
        K = np.exp(-0.5 * (x[:, None] - x[None, :]) ** 2 / ell**2) + 1e-3 * np.eye(7)
        want = -0.5 * y @ np.linalg.solve(K, y) - 0.5 * np.linalg.slogdet(K)[1] - 3.5 * np.log(2 * np.pi)
        np.testing.assert_allclose(search.log_marginal_likelihood(x, y, [ell], 1e-3), [want], rtol=1e-10)


def test_expected_improvement_against_quadrature():
    f = np.linspace(-40, 40, 800001)
    for mean, std, best, xi in [(0.0, 1.0, 0.0, 0.0), (1.0, 0.5, 0.2, 0.0), (-1.0, 2.0, 0.0, 0.1), (3.0, 0.3, 0.0, 0.0)]:
        density = np.exp(-0.5 * ((f - mean) / std) ** 2) / (std * np.sqrt(2 * np.pi))
        g = np.maximum(best - xi - f, 0) * density
        want = np.sum((g[1:] + g[:-1]) / 2 * np.diff(f))
        np.testing.assert_allclose(search.expected_improvement(mean, std, best, xi), want, rtol=1e-6, atol=1e-12)
    np.testing.assert_array_equal(search.expected_improvement(np.array([0.0, 2.0]), np.zeros(2), 1.0), [1.0, 0.0])
    np.testing.assert_allclose(search.normal_cdf([-40.0, 0.0, 1.0]), [0.0, 0.5, 0.8413447460685429], atol=1e-15)


def test_bayes_opt_finds_the_minimum_of_a_bowl_in_log_lr():
    def objective(lrs):
        return (np.log10(lrs) + 2.5) ** 2

    res = search.bayes_opt(objective, 1e-5, 1.0, n_init=3, n_iter=8, seed=0)
    assert res.lrs.size == 11 and res.means.shape == (8, 1000) and res.eis.shape == (8, 1000)
    assert abs(np.log10(res.best_lr) + 2.5) < 0.05
    # the first n_init points lie one in each third of the range
    thirds = np.floor((np.log10(res.lrs[:3]) + 5) / (5 / 3))
    assert thirds.tolist() == [0.0, 1.0, 2.0]
    again = search.bayes_opt(objective, 1e-5, 1.0, n_init=3, n_iter=8, seed=0)
    np.testing.assert_array_equal(again.lrs, res.lrs)


def test_bayes_opt_survives_diverged_evaluations():
    def objective(lrs):
        return np.where(lrs > 0.1, np.inf, (np.log10(lrs) + 2) ** 2)

    res = search.bayes_opt(objective, 1e-4, 10.0, n_init=4, n_iter=6, seed=2, length_scale=0.5)
    assert np.isinf(res.values).any() or res.lrs.max() <= 0.1
    assert np.all(np.isfinite(res.means)) and res.best_value < 0.05
    with pytest.raises(ValueError, match=r"high must be > low = 1, got 0.5"):
        search.bayes_opt(objective, 1.0, 0.5)
