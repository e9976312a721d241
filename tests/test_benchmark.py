"""Tests of lrcourse.benchmark: scoring (time to target, performance profiles) against hand-computed
cases and a plain-loop reference, the workloads' targets, the fairness of the search, and the
training loops (against lrcourse.run and hand-written loops)."""
import dataclasses
import time

import numpy as np
import pytest

import lrcourse
from lrcourse import benchmark as B
from lrcourse import data, optimizers, problems, selftuning


@pytest.fixture(scope="module")
def measured():
    start = time.process_time()
    result = B.run_benchmark()
    return result, time.process_time() - start


@pytest.fixture(scope="module")
def result(measured):
    return measured[0]


def by_name(items, name):
    return next(item for item in items if item.name == name)


# ----------------------------------------------------------------------------- performance_profile
def profile_by_loops(times, taus):
    """The definition written out with loops (Dolan & Moré 2002)."""
    M, W = times.shape
    rho = np.zeros((M, len(taus)))
    for w in range(W):
        best = min(times[m, w] for m in range(M))
        for m in range(M):
            r = np.inf if best == np.inf else times[m, w] / best
            for j, tau in enumerate(taus):
                rho[m, j] += (r <= tau) / W
    return rho


@pytest.mark.parametrize("times, taus, expected", [
    # ratios [[1, 1], [2, 1]]
    ([[1, 2], [2, 2]], [1, 1.5, 2], [[1, 1, 1], [0.5, 0.5, 1]]),
    # a failure (inf) never counts, whatever tau
    ([[10, np.inf], [20, 5]], [1, 2, 100], [[0.5, 0.5, 0.5], [0.5, 1, 1]]),
    # nobody solves workload 0: it counts for nobody
    ([[np.inf, 4], [np.inf, 8]], [1, 2], [[0.5, 0.5], [0, 0.5]]),
    # ties: both are the best
    ([[5, 5], [5, 5]], [1], [[1], [1]]),
    # one method: ratio 1 wherever it solved
    ([[3, np.inf, 7]], [1, 10], [[2 / 3, 2 / 3]]),
    # tau exactly at the ratio counts (<=)
    ([[3], [6]], [1.999, 2.0], [[1, 1], [0, 1]]),
])
def test_performance_profile_hand_computed(times, taus, expected):
    rho = B.performance_profile(np.array(times, dtype=float), taus)
    assert rho.shape == (len(times), len(taus))
    np.testing.assert_allclose(rho, expected, rtol=0, atol=1e-15)


def test_performance_profile_matches_the_loops_on_random_tables():
    rng = np.random.default_rng(3)
    for _ in range(20):
        times = rng.integers(1, 50, size=(5, 7)).astype(float)
        times[rng.random(times.shape) < 0.3] = np.inf
        taus = np.sort(rng.uniform(1, 6, 9))
        np.testing.assert_allclose(B.performance_profile(times, taus), profile_by_loops(times, taus),
                                   rtol=0, atol=1e-12)


@pytest.mark.parametrize("times, taus, exc, words", [
    ([1.0, 2.0], [1], ValueError, "times must have 2 axes"),
    ([[1.0, 0.0]], [1], ValueError, "times must have every element > 0"),
    ([[1.0, np.nan]], [1], ValueError, "times must have every element > 0"),
    (np.zeros((0, 2)), [1], ValueError, "times must have at least one method"),
    ("fast", [1], TypeError, "times must be"),
    ([[1.0]], [0.5], ValueError, "taus must have every element"),
    ([[1.0]], [], ValueError, "taus must not be empty"),
    ([[1.0]], [[1, 2]], ValueError, "taus must have 1 axis"),
])
def test_performance_profile_rejects_bad_arguments(times, taus, exc, words):
    with pytest.raises(exc, match=words):
        B.performance_profile(times, taus)


# ----------------------------------------------------------------------------- time_to_target
def test_time_to_target_edge_cases():
    assert B.time_to_target([3, 2, 1, 0.5], 1.0) == 2.0            # equal counts
    assert B.time_to_target([3, 2, 1.5], 1.0) == np.inf            # never
    assert B.time_to_target([0.5, 2, 3], 1.0) == 0.0               # already at step 0
    assert B.time_to_target([np.nan, np.inf, 5.0, 0.5], 1.0) == 3.0  # NaN and inf never reach it
    assert B.time_to_target([5.0, 0.5, np.inf, np.inf], 1.0) == 1.0  # reached, then diverged
    assert B.time_to_target([5.0, 2.0, 0.5], 1.0, loss_steps=[0, 5, 10]) == 10.0
    assert B.time_to_target([-3.0], -2.0) == 0.0                   # negative losses are fine
    out = B.time_to_target(np.array([[3, 3, 3], [2, 0.9, np.nan], [1, 0.1, np.inf]]), 1.0)
    np.testing.assert_array_equal(out, [2, 1, np.inf])              # K settings, column by column
    assert isinstance(B.time_to_target([1.0], 2.0), float)


@pytest.mark.parametrize("kwargs, exc, words", [
    (dict(loss=np.ones((2, 2, 2)), target=1.0), ValueError, "loss must have shape"),
    (dict(loss=[], target=1.0), ValueError, "loss must have shape"),
    (dict(loss="loss", target=1.0), TypeError, "loss must be"),
    (dict(loss=[1.0, 2.0], target=np.nan), ValueError, "target must be a finite"),
    (dict(loss=[1.0, 2.0], target="low"), TypeError, "target must be a real number"),
    (dict(loss=[1.0, 2.0], target=1.0, loss_steps=[0, 1, 2]), ValueError, "loss_steps must have shape"),
    (dict(loss=[1.0, 2.0], target=1.0, loss_steps=[3, 3]), ValueError, "loss_steps must be increasing"),
    (dict(loss=[1.0, 2.0], target=1.0, loss_steps=[-1, 3]), ValueError, "loss_steps must have every"),
])
def test_time_to_target_rejects_bad_arguments(kwargs, exc, words):
    with pytest.raises(exc, match=words):
        B.time_to_target(**kwargs)


def test_windowed_loss_is_a_trailing_mean():
    rng = np.random.default_rng(0)
    loss = rng.random((30, 3))
    loss[20:, 2] = np.inf                                          # a diverged setting
    out = B._windowed(loss, 7)
    for t in range(30):
        np.testing.assert_allclose(out[t, :2], loss[max(0, t - 6):t + 1, :2].mean(axis=0), rtol=1e-12)
    assert np.all(np.isinf(out[20:, 2])) and np.all(np.isfinite(out[:20, 2]))
    assert B._windowed(loss, 1) is loss


# ----------------------------------------------------------------------------- the benchmark
def test_run_benchmark_is_fast(measured):
    result, cpu = measured
    print(f"\nrun_benchmark(): {cpu:.2f} s of CPU\n{result.table()}")
    assert cpu < 9.0  # about 4.5 s measured here; the lesson's budget allows 6


def test_every_tuned_method_searched_the_same_grid(result):
    grid = B.rate_grid()
    np.testing.assert_allclose(grid, 10.0 ** np.arange(-3, 1.01, 0.5), rtol=1e-12)
    np.testing.assert_array_equal(result.grid, grid)
    for m, tuned in zip(result.methods, result.tuned):
        for w in result.workloads:
            rates = result.trials[m, w].rates
            if tuned:
                np.testing.assert_array_equal(rates, grid)
                assert result.trials[m, w].times.shape == (len(grid),)
            else:
                assert rates is None and result.trials[m, w].times.shape == (1,)
    assert sum(result.tuned) >= 4 and sum(~result.tuned) >= 4


def test_scores_follow_from_the_trials(result):
    for i, m in enumerate(result.methods):
        for j, w in enumerate(result.workloads):
            times = result.trials[m, w].times
            assert result.times[i, j] == times.min()
            budget = result.budgets[j]
            cost = np.minimum(times, budget).sum() if np.isfinite(times).any() else np.inf
            assert result.search_cost[i, j] == cost
            if result.tuned[i] and np.isfinite(times.min()):
                assert result.best_lr[i, j] == result.grid[np.argmin(times)]
            else:
                assert np.isnan(result.best_lr[i, j])
            steps, loss = result.curves[m, w]
            assert B.time_to_target(loss, result.targets[j], steps) == result.times[i, j]
            assert result.final_loss[i, j] == loss[-1] and steps[-1] == budget
    taus = np.array([1.0, 1.5, 2.0, 4.0, 100.0])
    np.testing.assert_array_equal(result.profile(taus), B.performance_profile(result.times, taus))
    np.testing.assert_array_equal(result.profile(taus, charge_search=True),
                                  B.performance_profile(result.search_cost, taus))


def test_targets_are_reproducible_reachable_and_not_trivial(result):
    for j, w in enumerate(B.workloads()):
        assert w.target == pytest.approx(B.calibrate_target(w), rel=1e-12), w.name
        # the constant-rate baselines the target comes from reach it within 65 % of the budget
        baseline = [result.methods.index("SGD-m"), result.methods.index("Adam")]
        assert result.times[baseline, j].min() <= B.TARGET_FRACTION * w.steps
        # not at step 0, and nobody needs less than a fifth of the budget
        for (m, name), trial in result.trials.items():
            if name == w.name:
                assert np.all(trial.loss[0] > w.target), (m, name)
        assert result.times[:, j].min() > 0.2 * w.steps
        # the search is not trivial: some rate of the grid fails
        assert np.isinf(result.trials["Adam", w.name].times).any()


def test_calibrate_target_rounds_up_to_two_digits():
    w = B.workloads()[0]
    trial = B.run_method(w, by_name(B.methods(), "Adam"))
    row = np.flatnonzero(trial.loss_steps <= 0.65 * w.steps)[-1]
    trial_sgd = B.run_method(w, by_name(B.methods(), "SGD-m"))
    best = min(trial.loss[row].min(), trial_sgd.loss[row].min())
    target = B.calibrate_target(w)
    assert best <= target < best * 1.1 and float(f"{target:.2g}") == pytest.approx(target, rel=1e-12)


def test_run_benchmark_is_deterministic():
    ws = [dataclasses.replace(w, steps=80) for w in B.workloads() if w.name in ("quadratic", "mlp")]
    ms = [m for m in B.methods() if m.name in ("SGD-m", "SF-AdamW", "SPS", "Armijo")]
    a = B.run_benchmark(ws, ms, n_rates=3, seed=4)
    b = B.run_benchmark(ws, ms, n_rates=3, seed=4)
    for key in a.trials:
        np.testing.assert_array_equal(a.trials[key].loss, b.trials[key].loss)
    np.testing.assert_array_equal(a.times, b.times)
    c = B.run_benchmark(ws, ms, n_rates=3, seed=5)          # another seed: other batches and noise
    assert not np.array_equal(a.trials["SPS", "mlp"].loss, c.trials["SPS", "mlp"].loss)


# ----------------------------------------------------------------------------- the training loops
@pytest.mark.parametrize("name", ["quadratic", "mlp", "stream"])
def test_own_loop_sees_the_same_batches_as_run(name):
    """The loop for SPS, Armijo and schedule-free draws the batches and the noise exactly as
    lrcourse.run does: with an optimizer both can drive, the recorded losses agree."""
    w = by_name(B.workloads(), name)
    w.steps = 60
    opt = optimizers.sgd(lr=np.array([0.003, 0.03]), momentum=0.9)
    if hasattr(w.problem, "reset"):
        w.problem.reset()
    loss, steps, extra = B._own_loop(w, opt, seed=2)
    if hasattr(w.problem, "reset"):
        w.problem.reset()
    h = lrcourse.run(w.problem, opt, 60, seed=2, keep_params=False, loss_every=w.loss_every)
    np.testing.assert_array_equal(steps, h.loss_steps)
    np.testing.assert_allclose(loss, h.loss, rtol=1e-12)
    np.testing.assert_array_equal(extra, 0)


def test_schedule_free_is_scored_at_x_not_y():
    w = by_name(B.workloads(), "quadratic")
    trial = B.run_method(w, by_name(B.methods(), "SF-AdamW"), seed=1)
    opt, problem = selftuning.adamw_schedulefree(), w.problem
    y, state, rng = problem.x0, None, np.random.default_rng(1)
    state = opt.init(y)
    at_x, at_y = [problem.loss(y)], [problem.loss(y)]
    for _ in range(w.steps):
        y, state = opt.step(y, problem.stochastic_grad(y, rng), state)
        at_x.append(problem.loss(opt.eval_params(y, state)))
        at_y.append(problem.loss(y))
    np.testing.assert_allclose(trial.loss[:, 0], at_x, rtol=1e-12)
    assert np.max(np.abs(np.array(at_y) - at_x) / np.array(at_x)) > 1e-3  # y would give another curve


def test_sps_gets_the_loss_of_its_own_minibatch():
    w = by_name(B.workloads(), "mlp")
    w.steps = 25
    trial = B.run_method(w, by_name(B.methods(), "SPS"), seed=3)
    net, val = w.problem.train, w.problem.scored
    opt = selftuning.sps(n_batches_per_epoch=w.batches_per_epoch)
    x, rng = net.x0, np.random.default_rng(3)
    state, losses = opt.init(x), [val.loss(x)]
    for t in range(w.steps):
        idx = data.sample_batch(net.n, net.batch_size, rng)
        batch = net.with_data(net.X[idx], net.y[idx])
        x, state = opt.step(x, batch.grad(x), state, loss=batch.loss(x))
        if (t + 1) % 5 == 0:
            losses.append(val.loss(x))
    np.testing.assert_allclose(trial.loss[:, 0], losses, rtol=1e-12)


def test_winners(result):
    winners = result.winners()
    for j, w in enumerate(result.workloads):
        best = result.times[:, j].min()
        assert winners[w] == [m for i, m in enumerate(result.methods) if result.times[i, j] == best]
    times = np.array([[3.0, np.inf], [3.0, np.inf], [4.0, np.inf]])
    fake = dataclasses.replace(result, methods=["a", "b", "c"], workloads=["u", "v"], times=times,
                               search_cost=times + 1)
    assert fake.winners() == {"u": ["a", "b"], "v": []}


class _Stochastic:
    """A problem with a stochastic gradient whose batch loss the benchmark cannot evaluate."""

    x0 = np.ones(3)

    def loss(self, x):
        return 0.5 * np.sum(x**2, axis=-1)

    def grad(self, x):
        return np.array(x, dtype=float)

    def stochastic_grad(self, x, rng):
        return x + 0.01 * rng.standard_normal(np.shape(x))


def test_a_problem_without_batch_losses():
    w = B.Workload("plain", _Stochastic(), 50, 0.1, "a noisy parabola")
    with pytest.raises(TypeError, match="sps needs the loss of each batch"):
        B.run_method(w, by_name(B.methods(), "SPS"))
    trial = B.run_method(w, by_name(B.methods(), "SF-AdamW tuned"))   # needs gradients only
    assert np.isfinite(trial.times).any()


def test_armijo_counts_its_extra_loss_evaluations(result):
    i = result.methods.index("Armijo")
    assert np.all(result.extra_evals[i] >= 1)                     # at least one trial per search
    others = [k for k, m in enumerate(result.methods) if m != "Armijo"]
    assert np.all(result.extra_evals[others] == 0)


def test_drifting_regression_clock_and_gradients():
    s = B.DriftingRegression(50, dim=3, drift=0.1, noise=0.2, w0=1.0, seed=1)
    assert s.weights.shape == (51, 3) and np.all(s.weights[0] == 1.0)
    x = np.array([0.3, -0.2, 0.5])
    assert s.loss(x) == pytest.approx(0.5 * np.sum((x - s.weights[0]) ** 2))
    f, g = s.sample()                                              # sample 0, clock -> 1
    assert s.t == 1 and s.loss(x) == pytest.approx(0.5 * np.sum((x - s.weights[1]) ** 2))
    eps, e = 1e-6, np.eye(3)
    numeric = [(f(x + eps * e[i]) - f(x - eps * e[i])) / (2 * eps) for i in range(3)]
    np.testing.assert_allclose(g(x), numeric, rtol=1e-6)
    a, y = s.inputs[0], s.targets[0]
    assert f(x) == pytest.approx(0.5 * (a @ x - y) ** 2)
    s.reset()
    assert s.t == 0
    np.testing.assert_allclose(s.stochastic_grad(x), g(x))
    s.t = 50
    with pytest.raises(ValueError, match="only 50 samples"):
        s.sample()
    other = B.DriftingRegression(50, dim=3, drift=0.1, noise=0.2, w0=1.0, seed=1)
    np.testing.assert_array_equal(other.targets, s.targets)        # the stream is fixed by seed


# ----------------------------------------------------------------------------- argument checks
def test_bad_arguments_are_named():
    w, m = B.workloads()[0], B.methods()[0]
    with pytest.raises(ValueError, match="n_rates must be an integer >= 1"):
        B.run_benchmark(n_rates=0)
    with pytest.raises(TypeError, match=r"methods\[0\] must be a benchmark.Method"):
        B.run_benchmark(methods=["Adam"])
    with pytest.raises(TypeError, match="workloads must be a list"):
        B.run_benchmark(workloads="quadratic")
    with pytest.raises(ValueError, match="methods must have distinct names"):
        B.run_benchmark(methods=[m, m])
    with pytest.raises(ValueError, match="workloads must not be empty"):
        B.run_benchmark(workloads=[])
    with pytest.raises(ValueError, match="seed must be an integer >= 0"):
        B.run_benchmark(workloads=[w], methods=[m], seed=-1)
    with pytest.raises(ValueError, match="steps must be an integer >= 1"):
        dataclasses.replace(w, steps=0)
    with pytest.raises(TypeError, match="problem must have loss"):
        B.Workload("x", 3.0, 10, 1.0, "none")
    with pytest.raises(ValueError, match="target must be a finite"):
        dataclasses.replace(w, target=np.inf)
    with pytest.raises(TypeError, match="build must be a function"):
        B.Method("x", True, 3, "none")
    with pytest.raises(TypeError, match="tuned must be True or False"):
        B.Method("x", 1, m.build, "none")
    with pytest.raises(ValueError, match="rates must be None for the self-tuning method 'DoG'"):
        B.run_method(w, by_name(B.methods(), "DoG"), rates=[0.1])
    with pytest.raises(ValueError, match="rates must have every element"):
        B.run_method(w, m, rates=[0.1, 0.0])
    with pytest.raises(TypeError, match="workload must be a benchmark.Workload"):
        B.run_method(problems.parabola(), m)
    with pytest.raises(ValueError, match=r"fraction must be in \(0, 1\]"):
        B.calibrate_target(w, fraction=0.0)
    with pytest.raises(ValueError, match=r"lr_range must have low < high"):
        B.rate_grid(5, (1.0, 0.1))
    with pytest.raises(ValueError, match=r"lr_range\[0\] must be > 0"):
        B.rate_grid(5, (0.0, 0.1))
    result = B.run_benchmark([w], [m], n_rates=2)
    with pytest.raises(TypeError, match="charge_search must be True or False"):
        result.profile([1.0], charge_search="yes")
    with pytest.raises(ValueError, match="taus must have every element finite and >= 1"):
        result.profile([0.5])
