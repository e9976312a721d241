"""Property-based tests (hypothesis) of the training loop and the schedules (issue 7).

run():
* K settings side by side give bit for bit what K separate runs give, on random problems,
  optimizers and hyperparameters (the vectorisation is a speed-up, never a change of any
  operation); the problems are evaluated one setting at a time there (``RowByRow`` says why),
  and a separate property bounds what a problem's own batched arithmetic (BLAS) changes;
* divergence is a result: over sweeps that reach absurd rates, every setting is flagged
  exactly by the definition (first step whose loss is non-finite or above 1e8 x |loss[0]|),
  frozen from there on, and no warning escapes.

Schedules (what tests/test_schedules.py does not already cover): cosine annealing repeats
with period 2 T_max, warm restarts decay within each cycle and restart at lr, triangular2
halves its amplitude each cycle, one_cycle rises then falls, wsd warms up, holds, decays,
warmup ramps up, ReduceLROnPlateau never raises the rate.

How many examples and which: the hypothesis profile (tests/conftest.py). Under CI (CI=true)
the examples are derandomised, the same on every run; locally they are random;
``HYPOTHESIS_PROFILE=explore`` tries 25x more.
"""
from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import lrcourse
from lrcourse import models, optimizers as O, problems, schedules as S
from lrcourse.training import DIVERGENCE_FACTOR

# max_examples and derandomize come from the profile (tests/conftest.py)
SETTINGS = settings(deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])

rng0 = np.random.default_rng(0)
_X = rng0.standard_normal((30, 3))
_Y = _X @ [1.0, -2.0, 0.5] + 0.1 * rng0.standard_normal(30)


# ============================================================================ strategies
@st.composite
def a_problem(draw):
    """A problem without per-setting noise (so one run per setting is reproducible)."""
    kind = draw(st.sampled_from(["parabola", "conditioned", "rosenbrock", "quartic", "pseudo_huber",
                                 "linear_regression"]))
    if kind == "parabola":
        return problems.parabola(L=draw(st.floats(0.1, 10)), x0=draw(st.floats(-5, 5)))
    if kind == "conditioned":
        return problems.conditioned(kappa=draw(st.floats(1, 1e3)), L=draw(st.floats(0.1, 10)),
                                    dim=draw(st.integers(1, 4)))
    if kind == "rosenbrock":
        return problems.Rosenbrock(x0=(draw(st.floats(-2, 2)), draw(st.floats(-1, 3))))
    if kind == "quartic":
        return problems.quartic(x0=draw(st.floats(-5, 5)))
    if kind == "pseudo_huber":
        return problems.pseudo_huber(delta=draw(st.floats(0.1, 10)), x0=draw(st.floats(-10, 10)))
    # minibatches drawn from run's seed: the same rows for all K settings and for one setting
    return models.LinearRegression(_X, _Y, batch_size=draw(st.integers(1, 30)))


rates = st.floats(1e-4, 10.0)
unit = st.floats(0.0, 0.99)


@st.composite
def an_optimizer_sweep(draw, K):
    """(factory, {hyperparameter: (K,) array}, fixed kwargs) of a random optimizer."""
    kind = draw(st.sampled_from(["sgd", "sgd_momentum", "nesterov", "adagrad", "rmsprop", "adam", "adamw"]))
    lrs = np.array(draw(st.lists(rates, min_size=K, max_size=K)))
    sweep, fixed = {"lr": lrs}, {}
    if kind in ("sgd_momentum", "nesterov"):
        sweep["momentum"] = np.array(draw(st.lists(st.floats(0.01, 0.99), min_size=K, max_size=K)))
        fixed["nesterov"] = kind == "nesterov"
        return O.sgd, sweep, fixed
    if kind == "sgd":
        sweep["weight_decay"] = np.array(draw(st.lists(st.floats(0, 1), min_size=K, max_size=K)))
        return O.sgd, sweep, fixed
    if kind == "adagrad":
        sweep["lr_decay"] = np.array(draw(st.lists(st.floats(0, 1), min_size=K, max_size=K)))
        return O.adagrad, sweep, fixed
    if kind == "rmsprop":
        sweep["alpha"] = np.array(draw(st.lists(unit, min_size=K, max_size=K)))
        fixed["centered"] = draw(st.booleans())
        fixed["momentum"] = draw(st.sampled_from([0.0, 0.5]))
        return O.rmsprop, sweep, fixed
    fixed["amsgrad"] = draw(st.booleans())
    fixed["betas"] = (draw(unit), draw(st.floats(0.5, 0.999)))
    return (O.adam if kind == "adam" else O.adamw), sweep, fixed


def quiet_run(*args, **kwargs):
    """lrcourse.run with every warning turned into an error (none may escape)."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        return lrcourse.run(*args, progress=False, **kwargs)


class RowByRow:
    """``problem`` evaluated one setting at a time: a (K, dim) call does exactly what K (dim,) calls do.

    Why the K-vs-single property needs it: for a batch of settings numpy may take another
    kernel than for one (BLAS gemm instead of gemv: another order of the sums), so a problem's
    batched gradient can differ from its single one in the last bit (LinearRegression's
    ``w @ A.T`` does; ``test_batched_problems_differ_from_single_ones_by_rounding_only`` bounds
    it). run and the optimizers then do the same operations in the same order on both, but an
    ill-conditioned update may amplify a last-bit difference without bound: centered RMSprop
    with alpha ~ 1e-7 subtracts v - gbar^2 from two numbers equal to 7 digits (relative rounding
    error ~ 1e-16 / alpha) and then steps by ~ lr / sqrt(alpha), 3000 x lr. Comparing through
    this wrapper tests exactly the claim "running K settings together changes no operation of
    run or of the optimizers", with no tolerance at all.
    """

    def __init__(self, problem):
        self.problem, self.x0 = problem, problem.x0
        if hasattr(problem, "stochastic_grad"):
            self.stochastic_grad = self._stochastic_grad

    def _rows(self, f, x):
        return f(x) if np.ndim(x) == np.ndim(self.x0) else np.array([f(row) for row in x])

    def loss(self, x):
        return self._rows(self.problem.loss, x)

    def grad(self, x):
        return self._rows(self.problem.grad, x)

    def _stochastic_grad(self, x, rng):
        """Every setting sees the same draw (as in the batched call): rewind rng before each row."""
        start = rng.bit_generator.state

        def one(row):
            rng.bit_generator.state = start
            return self.problem.stochastic_grad(row, rng)

        return self._rows(one, x)


def assert_same_run(together, k, alone):
    """Setting k of a K-settings History equals a single run, bit for bit (NaN where NaN)."""
    np.testing.assert_array_equal(together.lr[:, k], alone.lr)
    np.testing.assert_array_equal(together.loss[:, k], alone.loss, err_msg=f"setting {k}: losses differ")
    np.testing.assert_array_equal(together.params[:, k], alone.params, err_msg=f"setting {k}: params differ")
    assert together.diverged_at[k] == alone.diverged_at, f"setting {k}: flagged at another step"


# ============================================================================ run(): vectorised == singles
@SETTINGS
@given(st.data())
def test_k_settings_equal_k_single_runs(data):
    K = data.draw(st.integers(1, 5), label="K")
    problem = RowByRow(data.draw(a_problem(), label="problem"))
    factory, sweep, fixed = data.draw(an_optimizer_sweep(K), label="optimizer")
    steps = data.draw(st.integers(0, 12), label="steps")
    seed = data.draw(st.integers(0, 3), label="seed")
    together = quiet_run(problem, factory(**sweep, **fixed), steps, seed=seed)
    assert together.loss.shape == (steps + 1, K) and together.diverged_at.shape == (K,)
    for k in range(K):
        alone = quiet_run(problem, factory(**{n: float(a[k]) for n, a in sweep.items()}, **fixed), steps, seed=seed)
        assert_same_run(together, k, alone)


def test_k_settings_equal_single_runs_where_the_issue_saw_them_differ():
    """Issue 16's draw: centered RMSprop, alpha = [0, 0, 1.19e-7], lr 1, least squares."""
    problem = RowByRow(models.LinearRegression(_X, _Y, batch_size=7))
    alpha = np.array([0.0, 0.0, 1.19e-7])
    for momentum in (0.0, 0.5):
        together = quiet_run(problem, O.rmsprop(lr=np.ones(3), alpha=alpha, centered=True, momentum=momentum), 12)
        for k in range(3):
            alone = quiet_run(problem, O.rmsprop(lr=1.0, alpha=alpha[k], centered=True, momentum=momentum), 12)
            assert_same_run(together, k, alone)


@SETTINGS
@given(st.data())
def test_batched_problems_differ_from_single_ones_by_rounding_only(data):
    """A problem's (K, dim) gradient and loss vs its K (dim,) ones: equal up to the rounding of the
    sums in its matrix products, |fl(a . b) - a . b| <= n eps sum |a_i b_i| for n terms (Higham,
    Accuracy and Stability of Numerical Algorithms, 3.1), for each of the two computations."""
    problem = data.draw(a_problem(), label="problem")
    K = data.draw(st.integers(2, 6), label="K")
    spread = data.draw(st.floats(1e-3, 1e3), label="spread")
    rng = np.random.default_rng(data.draw(st.integers(0, 99), label="seed"))
    x = problem.x0 + spread * rng.standard_normal((K,) + problem.x0.shape)
    g, f = problem.grad(x), problem.loss(x)
    eps = np.finfo(float).eps
    if isinstance(problem, models.LinearRegression):
        A, n = problem.A, len(problem.y)
        r_err = (A.shape[1] + 1) * eps * (np.abs(x) @ np.abs(A.T) + np.abs(problem.y))  # residual sums
        r = np.abs(x @ A.T - problem.y) + r_err
        g_tol = 2 * ((n + 1) * eps * (r @ np.abs(A)) + r_err @ np.abs(A)) / n
        f_tol = 2 * (np.mean(2 * r * r_err + r_err ** 2, axis=-1) + (n + 1) * eps * np.mean(r ** 2, axis=-1))
    elif hasattr(problem, "A"):  # a quadratic: (x - c) @ A, and 1/2 e A e
        e = np.abs(x - problem.minimizer)
        d = e.shape[-1]
        g_tol = 2 * (d + 1) * eps * (e @ np.abs(problem.A))
        f_tol = 2 * (2 * d + 2) * eps * np.einsum("...i,ij,...j->...", e, np.abs(problem.A), e)
    elif isinstance(problem, problems.Rosenbrock):  # (a - x)^2 + b (y - x^2)^2 and its gradient, term by term
        a, b = problem.a, problem.b
        x1, x2 = x[..., 0], x[..., 1]
        t1, t2 = np.abs(a - x1), np.abs(x2) + x1 ** 2
        f_tol = 16 * eps * (t1 ** 2 + b * t2 ** 2)
        g_tol = 16 * eps * np.stack([2 * t1 + 4 * b * np.abs(x1) * t2, 2 * b * t2], axis=-1)
    else:  # a 1-D function: one term, a few roundings (numpy's SIMD and scalar paths may differ by ulps)
        g_tol, f_tol = 16 * eps * np.abs(g), 16 * eps * np.abs(f)
    for k in range(K):
        assert np.all(np.abs(g[k] - problem.grad(x[k])) <= g_tol[k]), f"setting {k}: gradients differ"
        assert abs(f[k] - problem.loss(x[k])) <= f_tol[k], f"setting {k}: losses differ"


# ============================================================================ run(): divergence is a result
def check_divergence_record(h):
    """diverged_at, the recorded losses and the frozen parameters agree with the definition."""
    loss = h.loss.reshape(h.loss.shape[0], -1)
    params = h.params.reshape(h.params.shape[0], loss.shape[1], -1)
    for k, d in enumerate(np.atleast_1d(h.diverged_at)):
        limit = DIVERGENCE_FACTOR * max(abs(loss[0, k]), 1e-12)
        ok = np.isfinite(loss[1:, k]) & (np.abs(loss[1:, k]) <= limit)
        if d < 0:
            assert ok.all(), f"setting {k}: a loss broke the limit but diverged_at = -1"
            continue
        assert d >= 1 and ok[: d - 1].all() and not ok[d - 1], f"setting {k}: {d} is not the first bad step"
        assert np.all(np.isinf(loss[d + 1:, k])), f"setting {k}: losses after the blow-up must be inf"
        frozen = params[d:, k]
        assert np.array_equal(frozen, np.broadcast_to(frozen[0], frozen.shape), equal_nan=True), \
            f"setting {k}: parameters moved after diverging at step {d}"


@SETTINGS
@given(st.data())
def test_diverging_sweeps_are_flagged_frozen_and_silent(data):
    problem = data.draw(a_problem(), label="problem")
    K = data.draw(st.integers(2, 40), label="K")
    top = data.draw(st.floats(1.0, 1e6), label="largest lr")
    factory, sweep, fixed = data.draw(an_optimizer_sweep(K), label="optimizer")
    sweep["lr"] = np.geomspace(1e-4, top, K)  # from harmless to absurd
    steps = data.draw(st.integers(1, 60), label="steps")
    h = quiet_run(problem, factory(**sweep, **fixed), steps)
    check_divergence_record(h)
    final = h.loss[-1]
    assert np.all(np.isfinite(final) | h.diverged), "a setting ended with a non-finite loss but was not flagged"


@SETTINGS
@given(L=st.floats(0.1, 10), x0=st.floats(-100, 100).filter(lambda x: abs(x) > 1e-3),
       ratio=st.floats(2.2, 1e4), steps=st.integers(300, 400))
def test_gd_above_two_over_L_diverges_on_a_parabola(L, x0, ratio, steps):
    """|1 - lr L| > 1.2 makes the loss grow by > 1.44 per step: past 1e8 within 60 steps."""
    lrs = np.array([0.5, 1.0, 1.9, ratio]) / L
    h = quiet_run(problems.parabola(L=L, x0=x0), O.sgd(lrs), steps)
    assert h.diverged.tolist() == [False, False, False, True]
    check_divergence_record(h)


@SETTINGS
@given(st.data())
def test_one_diverging_setting_does_not_disturb_the_others(data):
    problem = data.draw(a_problem(), label="problem")
    steps = data.draw(st.integers(1, 40), label="steps")
    calm = data.draw(st.floats(1e-4, 1e-2), label="calm lr")
    h = quiet_run(RowByRow(problem), O.sgd(np.array([calm, 1e6])), steps)
    assert_same_run(h, 0, quiet_run(RowByRow(problem), O.sgd(calm), steps))
    check_divergence_record(h)


# ============================================================================ schedules
lrs = st.floats(0, 10)
small = st.integers(1, 60)


@SETTINGS
@given(lrs, small, st.floats(0, 1), st.integers(0, 10**6))
def test_cosine_repeats_with_period_two_T_max(lr, T_max, frac, t0):
    s = S.cosine(lr, T_max, eta_min=lr * frac)
    t = t0 + np.arange(2 * T_max + 1)
    np.testing.assert_allclose(s(t + 2 * T_max), s(t), rtol=1e-9, atol=1e-12 * lr)


@SETTINGS
@given(lrs, small, st.integers(1, 4), st.floats(0, 1))
def test_warm_restarts_decay_within_each_cycle_and_restart_at_lr(lr, T_0, T_mult, frac):
    s = S.cosine_warm_restarts(lr, T_0, T_mult, eta_min=lr * frac)
    t = np.arange(2000)
    values = s(t)
    starts, T_i, start = [], T_0, 0
    while start < len(t):
        starts.append(start)
        start, T_i = start + T_i, T_i * T_mult
    for a, b in zip(starts, starts[1:] + [len(t)]):
        assert values[a] == pytest.approx(lr, rel=1e-12, abs=1e-300)
        assert np.all(np.diff(values[a:b]) <= 1e-15 * max(lr, 1e-300))
        assert np.all(values[a:b] >= lr * frac * (1 - 1e-12))


@SETTINGS
@given(st.floats(0, 1), st.floats(1e-3, 10), small, st.integers(1, 6))
def test_triangular2_halves_its_amplitude_every_cycle(base_lr, span, up, n):
    s = S.cyclic(base_lr, base_lr + span, step_size_up=up, mode="triangular2")
    period = 2 * up
    peaks = s(np.arange(n) * period + up)  # the top of each cycle
    np.testing.assert_allclose(peaks - base_lr, span / 2.0 ** np.arange(n), rtol=1e-9)
    values = s(np.arange(n * period))
    assert np.all(values >= base_lr - 1e-12) and np.all(values <= base_lr + span + 1e-12)


@SETTINGS
@given(st.floats(1e-6, 10), st.integers(2, 500), st.floats(0, 1), st.sampled_from(["cos", "linear"]),
       st.floats(1, 1e3), st.floats(1, 1e5))
def test_one_cycle_rises_to_max_lr_then_falls(max_lr, total, pct, strategy, div, final_div):
    s = S.one_cycle(max_lr, total, pct_start=pct, anneal_strategy=strategy, div_factor=div,
                    final_div_factor=final_div)
    values = s(np.arange(total + 20))
    peak = int(np.argmax(values))
    tol = 1e-12 * max_lr
    assert values[peak] <= max_lr * (1 + 1e-12)
    assert np.all(np.diff(values[: peak + 1]) >= -tol) and np.all(np.diff(values[peak:]) <= tol)
    if pct * total < total:  # (with pct_start = 1 the whole run is warmup, as in torch)
        assert values[-1] == pytest.approx(max_lr / div / final_div, rel=1e-9)


@SETTINGS
@given(st.floats(1e-6, 10), st.integers(1, 300), st.data())
def test_wsd_warms_up_holds_then_decays(lr, total, data):
    w = data.draw(st.integers(0, total), label="warmup_steps")
    d = data.draw(st.integers(0, total - w), label="decay_steps")
    final = data.draw(st.floats(0, 1), label="final fraction") * lr
    values = S.wsd(lr, total, w, d, final)(np.arange(total + 10))
    tol = 1e-12 * lr
    assert np.all(np.diff(values[:w]) >= -tol) and np.all(values[:w] <= lr)  # warmup: t < w
    assert np.all(values[w: total - d] == lr)  # stable
    assert np.all(np.diff(values[total - d: total + 1]) <= tol)  # decay, ends at final_lr
    assert np.all(values[total:] == pytest.approx(final, abs=tol))


@SETTINGS
@given(st.floats(1e-6, 10), st.integers(0, 50), st.floats(0, 1), st.integers(1, 60))
def test_warmup_ramps_up_to_the_schedule(lr, w, start, T_max):
    s = S.warmup(S.cosine(lr, T_max), w, start_factor=start)
    values = s(np.arange(w + T_max + 1))
    assert np.all(np.diff(values[: w + 1]) >= -1e-12 * lr)
    np.testing.assert_allclose(values[w:], S.cosine(lr, T_max)(np.arange(T_max + 1)), rtol=1e-12)


@SETTINGS
@given(st.floats(1e-6, 10), st.floats(0, 0.99), st.integers(0, 5), st.integers(0, 3), st.floats(0, 1e-3),
       st.lists(st.floats(-1e3, 1e3) | st.just(float("nan")) | st.just(float("inf")), min_size=1, max_size=60),
       st.sampled_from(["min", "max"]), st.sampled_from(["rel", "abs"]))
def test_reduce_on_plateau_never_raises_the_rate(lr, factor, patience, cooldown, min_frac, metrics, mode, tmode):
    p = S.ReduceLROnPlateau(lr, mode=mode, factor=factor, patience=patience, cooldown=cooldown,
                            min_lr=lr * min_frac, threshold_mode=tmode)
    seen = [lr]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for m in metrics:
            seen.append(p.step(m))
    assert np.all(np.diff(seen) <= 0) and min(seen) >= lr * min_frac * (1 - 1e-12)


@SETTINGS
@given(lrs, st.floats(1e-3, 1), st.floats(0, 1), st.integers(1, 60))
def test_linear_moves_monotonically_from_start_to_end(lr, start, end, total):
    values = S.linear(lr, start_factor=start, end_factor=end, total_iters=total)(np.arange(total + 10))
    steps = np.diff(values)
    tol = 1e-12 * max(lr, 1e-300)
    assert np.all(steps <= tol) if end <= start else np.all(steps >= -tol)
    assert values[-1] == pytest.approx(lr * end, rel=1e-9, abs=tol)


@SETTINGS
@given(st.data())
def test_schedules_as_learning_rates_give_the_rate_of_each_step(data):
    """run() records lr(k) for step k: the schedule's value, for one setting or broadcast to K."""
    s = data.draw(st.sampled_from([S.cosine(0.5, 7), S.step(0.3, 3, 0.5), S.one_cycle(0.8, 20),
                                   S.wsd(0.4, 30, 5, 10), S.cosine_warm_restarts(0.2, 4, 2)]), label="schedule")
    steps = data.draw(st.integers(0, 30), label="steps")
    h = quiet_run(problems.parabola(), O.sgd(s), steps)
    np.testing.assert_array_equal(h.lr, s(np.arange(steps)))
    assume(steps > 0)
    hk = quiet_run(problems.parabola(), O.sgd(s, momentum=np.array([0.0, 0.5, 0.9])), steps)
    np.testing.assert_array_equal(hk.lr, np.broadcast_to(s(np.arange(steps))[:, None], (steps, 3)))
