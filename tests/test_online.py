"""Tests of lrcourse.online (lesson 9): LMS, TD(0), tracking, Robbins-Monro.

Numbers are checked against closed forms recomputed here independently (eigenvalues with
numpy, a plain-Python loop for each update rule, the sample mean for a 1/n step, ...).
"""
from __future__ import annotations

import warnings

import numpy as np
import pytest

from lrcourse import online as on


# ---------------------------------------------------------------- step sizes
def test_step_sizes_constant_and_decaying():
    assert np.allclose(on.step_sizes(0.3, 4), 0.3)
    assert np.allclose(on.step_sizes(2.0, 4, power=1.0), [2, 1, 2 / 3, 0.5])
    a = on.step_sizes(np.array([1.0, 2.0]), 3, power=0.5)
    assert a.shape == (3, 2)
    assert np.allclose(a[:, 1], 2 / np.sqrt([1, 2, 3]))


@pytest.mark.parametrize("kwargs, error, text", [
    (dict(alpha=0.0, steps=3), ValueError, "alpha must be > 0"),
    (dict(alpha=0.1, steps=0), ValueError, "steps must be an integer >= 1"),
    (dict(alpha=0.1, steps=3, power=-1.0), ValueError, "power must be >= 0"),
    (dict(alpha="0.1", steps=3), TypeError, "alpha"),
    (dict(alpha=[0.1, 0.2], steps=3, power=[1.0, 2.0, 3.0]), ValueError, "same number K"),
])
def test_step_sizes_validates(kwargs, error, text):
    with pytest.raises(error, match=text):
        on.step_sizes(**kwargs)


# ---------------------------------------------------------------- LMS: limits and theory
def test_ar1_covariance_is_toeplitz():
    R = on.ar1_covariance(4, 0.5, variance=2.0)
    assert np.allclose(R[0], 2 * 0.5 ** np.arange(4))
    assert np.allclose(R, R.T) and np.allclose(np.diag(R), 2.0)
    assert np.allclose(on.ar1_covariance(3), np.eye(3))
    with pytest.raises(ValueError, match=r"a must be in \(-1, 1\), got 1.0"):
        on.ar1_covariance(3, 1.0)


def test_lms_limits_recomputed_from_eigenvalues():
    R = on.ar1_covariance(8, 0.8)
    lam = np.linalg.eigvalsh(R)
    lim = on.lms_limits(R)
    assert lim["mean"] == pytest.approx(2 / lam.max())
    assert lim["trace"] == pytest.approx(2 / np.trace(R)) == pytest.approx(0.25)
    assert lim["safe"] == pytest.approx(2 / (3 * 8))
    mu = lim["mean_square"]
    assert np.sum(mu * lam / (1 - mu * lam)) == pytest.approx(2.0, abs=1e-9)
    assert lim["safe"] < mu < lim["trace"] < lim["mean"]


def test_white_input_mean_square_edge_closed_form():
    # R = I (M taps): M mu / (1 - mu) = 2  =>  mu = 2 / (M + 2)
    for M in (1, 4, 10):
        assert on.lms_limits(np.eye(M))["mean_square"] == pytest.approx(2 / (M + 2), rel=1e-10)


def _second_moment_matrix(mu, lam):
    """The linear map k -> k' of the exact Gaussian recursion (noise-free part)."""
    return np.diag(1 - 2 * mu * lam + 2 * mu**2 * lam**2) + mu**2 * np.outer(lam, lam)


def test_mean_square_edge_is_where_the_recursion_turns_unstable():
    R = on.ar1_covariance(6, 0.7)
    lam = np.linalg.eigvalsh(R)
    edge = on.lms_limits(R)["mean_square"]
    radius = lambda mu: np.abs(np.linalg.eigvals(_second_moment_matrix(mu, lam))).max()
    assert radius(0.999 * edge) < 1 < radius(1.001 * edge)


def test_misadjustment_exact_and_small_step_limit():
    R = on.ar1_covariance(5, 0.6)
    lam = np.linalg.eigvalsh(R)
    mu = np.array([1e-4, 0.05, 0.1])
    S = np.sum(mu[:, None] * lam / (2 * (1 - mu[:, None] * lam)), axis=1)
    assert np.allclose(on.lms_misadjustment(mu, R), S / (1 - S))
    assert on.lms_misadjustment(1e-4, R) == pytest.approx(1e-4 * np.trace(R) / 2, rel=1e-3)
    assert on.lms_misadjustment(1.1 * on.lms_limits(R)["mean_square"], R) == np.inf


def test_lms_theory_fixed_point_is_the_misadjustment():
    R = on.ar1_covariance(4, 0.5)
    mu, noise = 0.05, 0.3
    th = on.lms_theory(mu, R, 4000, w0_error=np.ones(4), noise=noise)
    assert th.mse[-1] / noise**2 - 1 == pytest.approx(on.lms_misadjustment(mu, R), rel=1e-6)
    assert th.mse[0] == pytest.approx(noise**2 + np.ones(4) @ R @ np.ones(4))
    assert th.msd[0] == pytest.approx(4.0)


def test_lms_theory_mean_converges_below_2_over_lambda_max_only():
    R = on.ar1_covariance(4, 0.5)
    lim = on.lms_limits(R)
    mus = np.array([0.5 * lim["mean"], 0.99 * lim["mean"], 1.01 * lim["mean"]])
    th = on.lms_theory(mus, R, 3000, w0_error=np.ones(4))
    assert th.mean_error.shape == (3001, 3)
    assert th.mean_error[-1, 0] < 1e-12 and th.mean_error[-1, 1] < th.mean_error[0, 1]
    assert th.mean_error[-1, 2] > 1e3
    # between the two limits: the mean converges, the mean square blows up
    mid = 0.5 * (lim["trace"] + lim["mean"])
    th = on.lms_theory(mid, R, 3000, w0_error=np.ones(4))
    assert th.mean_error[-1] < 1e-6 and th.mse[-1] > 1e6


def test_lms_theory_matches_a_plain_loop():
    R = on.ar1_covariance(3, 0.4)
    lam, Q = np.linalg.eigh(R)
    e0 = np.array([1.0, -0.5, 0.2])
    mu, J = 0.1, 0.04
    k = (Q.T @ e0) ** 2
    mse = []
    for _ in range(20):
        mse.append(J + lam @ k)
        k = [(1 - 2 * mu * l + 2 * mu**2 * l**2) * ki + mu**2 * l * (lam @ k + J) for l, ki in zip(lam, k)]
        k = np.array(k)
    th = on.lms_theory(mu, R, 19, e0, noise=np.sqrt(J))
    assert np.allclose(th.mse, mse)


# ---------------------------------------------------------------- LMS: simulation
def test_lms_matches_a_plain_loop_for_each_step_size():
    rng = np.random.default_rng(3)
    X = rng.standard_normal((2, 30, 3))
    d = rng.standard_normal((2, 30))
    mus = np.array([0.01, 0.1])
    res = on.lms(X, d, mus, w0=[0.1, 0.2, 0.3], w_true=np.zeros(3))
    assert res.error.shape == (30, 2, 2) and res.w.shape == (2, 2, 3) and res.msd.shape == (31, 2, 2)
    for k, mu in enumerate(mus):
        for r in range(2):
            w = np.array([0.1, 0.2, 0.3])
            for t in range(30):
                e = d[r, t] - w @ X[r, t]
                assert res.error[t, k, r] == pytest.approx(e)
                w = w + mu * e * X[r, t]
            assert np.allclose(res.w[k, r], w)
            assert res.msd[-1, k, r] == pytest.approx(w @ w)


def test_lms_one_run_and_scalar_step():
    X = np.ones((5, 1))
    d = np.full(5, 2.0)
    res = on.lms(X, d, 0.5)
    # w_t: 0, 1, 1.5, 1.75, ...  errors 2, 1, 0.5, ...
    assert np.allclose(res.error[:, 0], [2, 1, 0.5, 0.25, 0.125])
    assert res.mse.shape == (5,)


def test_lms_simulation_agrees_with_theory_and_blows_up_past_the_edge():
    R = on.ar1_covariance(4, 0.6)
    w_true = np.array([1.0, -0.5, 0.25, 0.1])
    lim = on.lms_limits(R)
    X, d = on.system_identification(w_true, R, steps=1500, runs=300, noise=0.1, seed=1)
    mus = np.array([0.05, 0.5 * (lim["trace"] + lim["mean"])])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        res = on.lms(X, d, mus, w_true=w_true)
        mse = res.mse
    measured = mse[-500:, 0].mean() / 0.01 - 1
    assert measured == pytest.approx(on.lms_misadjustment(0.05, R), rel=0.15)
    assert mse[-1, 1] > 1e6  # mean-square unstable, although the mean converges
    assert np.isinf(res.error).any() or np.abs(res.error).max() > 1e100


def test_system_identification_statistics():
    R = on.ar1_covariance(3, 0.5)
    X, d = on.system_identification([1.0, 0.0, 0.0], R, steps=20000, runs=2, noise=0.5, seed=0)
    assert X.shape == (2, 20000, 3) and d.shape == (2, 20000)
    assert np.allclose(np.cov(X.reshape(-1, 3).T), R, atol=0.03)
    assert np.var(d - X[..., 0]) == pytest.approx(0.25, rel=0.05)


@pytest.mark.parametrize("call, error, text", [
    (lambda: on.lms(np.ones((4, 2)), np.ones(4), 0.0), ValueError, "mu must be > 0"),
    (lambda: on.lms(np.ones((4, 2)), np.ones(3), 0.1), ValueError, "X must have shape"),
    (lambda: on.lms(np.ones((4, 2)), np.ones(4), 0.1, w0=[1.0]), ValueError, "w0 must be"),
    (lambda: on.lms_limits(np.ones((2, 3))), ValueError, "R must be a square"),
    (lambda: on.lms_limits(-np.eye(2)), ValueError, "positive semi-definite"),
    (lambda: on.lms_theory(0.1, np.eye(2), 5, w0_error=[1.0]), ValueError, "w0_error"),
    (lambda: on.system_identification([1.0], np.eye(2), 5), ValueError, "w_true"),
    (lambda: on.system_identification([1.0, 2.0], np.eye(2), 5, noise=-1.0), ValueError, "noise must be >= 0"),
])
def test_lms_validates(call, error, text):
    with pytest.raises(error, match=text):
        call()


# ---------------------------------------------------------------- TD(0)
def test_random_walk_true_values():
    assert np.allclose(on.random_walk_values(), [1 / 6, 2 / 6, 3 / 6, 4 / 6, 5 / 6])
    assert np.allclose(on.random_walk_values(3), [0.25, 0.5, 0.75])


def _td0_plain(alpha, power, walks, n_states=5, v0=0.5):
    """TD(0) on given episodes (lists of visited states incl. the terminal), plain Python."""
    V = [0.0] + [v0] * n_states + [0.0]
    visits = [0] * (n_states + 2)
    rms = []
    true = np.arange(1, n_states + 1) / (n_states + 1)
    for episode in walks:
        for s, s2 in zip(episode[:-1], episode[1:]):
            r = 1.0 if s2 == n_states + 1 else 0.0
            visits[s] += 1
            V[s] += alpha / visits[s] ** power * (r + V[s2] - V[s])
        rms.append(np.sqrt(np.mean((np.array(V[1:-1]) - true) ** 2)))
    return np.array(V[1:-1]), np.array(rms)


def test_td0_first_episode_only_moves_the_state_next_to_the_exit():
    # with V = 0.5 everywhere, TD errors are 0 until the walk leaves: only the last state moves
    res = on.td0_random_walk(0.1, episodes=1, runs=50, seed=4)
    changed = np.abs(res.values - 0.5) > 1e-12
    assert np.all(changed.sum(axis=1) == 1)
    moved = res.values[changed]
    assert np.allclose(np.sort(np.unique(np.round(moved, 12))), [0.45, 0.55])
    assert np.all(res.values[:, 0][changed[:, 0]] == pytest.approx(0.45))
    assert np.all(res.values[:, 4][changed[:, 4]] == pytest.approx(0.55))


def test_td0_matches_plain_loop_on_recovered_walks():
    """The vectorised runs (constant and 1/n steps, two alphas) agree with a plain loop on the
    same walks, regenerated here with the same generator calls (one rng.random(runs) per move)."""
    seed, episodes, runs = 7, 6, 3
    rng = np.random.default_rng(seed)
    walks = [[] for _ in range(runs)]
    state = np.full(runs, 3)
    done = np.zeros(runs, dtype=int)
    current = [[3] for _ in range(runs)]
    while np.any(done < episodes):
        live = done < episodes
        nxt = state + np.where(rng.random(runs) < 0.5, -1, 1)
        for r in np.flatnonzero(live):
            current[r].append(int(nxt[r]))
        ended = live & ((nxt == 0) | (nxt == 6))
        for r in np.flatnonzero(ended):
            walks[r].append(current[r])
            current[r] = [3]
        done = done + ended
        state = np.where(ended | ~live, 3, nxt)
    for power in (0.0, 1.0):
        alphas = np.array([0.1, 0.5])
        res = on.td0_random_walk(alphas, episodes=episodes, runs=runs, power=power, seed=seed)
        assert res.rms.shape == (episodes + 1, 2, runs) and res.values.shape == (2, runs, 5)
        for k, a in enumerate(alphas):
            for r in range(runs):
                V, rms = _td0_plain(a, power, walks[r])
                assert np.allclose(res.values[k, r], V)
                assert np.allclose(res.rms[1:, k, r], rms)


def test_td0_constant_step_plateaus_and_decaying_step_keeps_improving():
    const = on.td0_random_walk(np.array([0.05, 0.15]), episodes=300, runs=100, seed=0).rms.mean(-1)
    # Sutton & Barto, Example 6.2: smaller alpha learns slower but ends lower
    assert const[10, 0] > const[10, 1] and const[300, 0] < const[300, 1]
    assert abs(const[300, 1] - const[100, 1]) < 0.01  # a plateau set by the noise
    decaying = on.td0_random_walk(1.0, episodes=300, runs=100, power=0.7, seed=0).rms.mean(-1)
    assert decaying[300] < 0.7 * decaying[100] and decaying[300] < const[300].min()


def test_td0_mixed_schedules_in_one_call_equal_separate_calls():
    both = on.td0_random_walk(np.array([0.1, 1.0]), episodes=20, runs=5, power=np.array([0.0, 1.0]), seed=3)
    const = on.td0_random_walk(0.1, episodes=20, runs=5, seed=3)
    decay = on.td0_random_walk(1.0, episodes=20, runs=5, power=1.0, seed=3)
    assert np.allclose(both.rms[:, 0], const.rms) and np.allclose(both.rms[:, 1], decay.rms)
    with pytest.raises(ValueError, match="same number K"):
        on.td0_random_walk(np.array([0.1, 0.2]), power=np.array([0.0, 0.5, 1.0]))


def test_td0_validates():
    with pytest.raises(ValueError, match="n_states must be odd"):
        on.td0_random_walk(0.1, n_states=4)
    with pytest.raises(ValueError, match="alpha must be > 0"):
        on.td0_random_walk(0.0)
    with pytest.raises(TypeError, match="episodes must be an integer"):
        on.td0_random_walk(0.1, episodes=2.5)


# ---------------------------------------------------------------- tracking
def test_track_constant_step_is_an_exponential_moving_average():
    y = np.array([1.0, 2.0, 3.0])
    w = on.track(y, 0.5)
    assert np.allclose(w, [0.5, 1.25, 2.125])
    assert np.allclose(on.track(y, 1.0, power=1.0), [1.0, 1.5, 2.0])  # 1/t: the running mean


def test_track_shapes_and_common_data():
    _, y = on.drifting_stream(50, runs=3, seed=1)
    w = on.track(y, np.array([0.1, 0.2]))
    assert w.shape == (50, 2, 3)
    assert np.allclose(w[:, 0, :], on.track(y, 0.1))


def test_tracking_error_formula_against_simulation_and_kalman_gain():
    q, s = 0.05, 1.0
    theta, y = on.drifting_stream(6000, drift=q, noise=s, runs=100, seed=2)
    alphas = np.array([0.02, 0.05, 0.2])
    w = on.track(y, alphas)
    measured = np.mean((w[1000:] - theta.T[1000:, None, :]) ** 2, axis=(0, 2))
    assert np.allclose(measured, on.tracking_error(alphas, q, s), rtol=0.1)
    g = on.kalman_gain(q, s)
    assert g**2 / (1 - g) == pytest.approx(q**2 / s**2)
    assert on.tracking_error(g, q, s) == pytest.approx(g * s**2)
    grid = np.linspace(1e-3, 0.9, 200001)
    assert grid[np.argmin(on.tracking_error(grid, q, s))] == pytest.approx(g, abs=1e-5)


def test_drifting_stream_jump():
    theta, y = on.drifting_stream(10, drift=0.0, noise=0.0, jump_at=4, jump=2.0, theta0=1.0)
    assert np.allclose(theta, [[1, 1, 1, 1, 3, 3, 3, 3, 3, 3]]) and np.allclose(y, theta)
    with pytest.raises(ValueError, match="jump_at must be an integer in"):
        on.drifting_stream(10, jump_at=10)
    with pytest.raises(ValueError, match=r"alpha must be in \(0, 2\)"):
        on.track([1.0, 2.0], 2.0)


# ---------------------------------------------------------------- Robbins-Monro
def test_robbins_monro_with_one_over_n_is_the_sample_mean():
    rng = np.random.default_rng(5)
    draws = 3.0 + rng.standard_normal((40, 2))

    def response(theta, rng, it=iter(draws)):
        return theta - next(it)  # M(theta) = theta - 3, observed with noise

    theta = on.robbins_monro(response, 10.0, 1.0, 40, power=1.0, runs=2)
    assert np.allclose(theta[1:], np.cumsum(draws, axis=0) / np.arange(1, 41)[:, None])


def test_robbins_monro_quantile_and_summable_steps_stall():
    q, root = 0.9, 1.2815515655446004  # the 0.9-quantile of N(0, 1)

    def response(theta, rng):
        return (rng.standard_normal(theta.shape) <= theta) - q

    theta = on.robbins_monro(response, 0.0, np.array([5.0, 1.0]), 5000, power=np.array([1.0, 1.5]), runs=100)
    assert theta.shape == (5001, 2, 100)
    assert abs(theta[-1, 0].mean() - root) < 0.1 and theta[-1, 0].std() < 0.5 * theta[500, 0].std()
    # sum a_n < inf: the iterate cannot travel far enough and stalls short of the root
    assert theta[-1, 1].mean() < root - 0.4


def test_robbins_monro_validates():
    with pytest.raises(TypeError, match="response must be a function"):
        on.robbins_monro(3.0, 0.0, 1.0, 5)
    with pytest.raises(ValueError, match="response must return an array of shape"):
        on.robbins_monro(lambda th, rng: np.zeros(3), 0.0, 1.0, 5, runs=2)


# ---------------------------------------------------------------- lesson 9's apps
@pytest.fixture(scope="module")
def apps():
    from lrcourse.widgets.beyond import LMSApp, TDApp, TrackingApp

    small = dict(steps=300, runs=10, n_grid=12)
    return {"lms": LMSApp(**small), "td": TDApp(episodes=30, runs=10, n_grid=9), "track": TrackingApp(steps=300)}


@pytest.mark.parametrize("name", ["lms", "td", "track"])
def test_every_slider_position_renders_silently(apps, name):
    app = apps[name]
    slider = next(iter(app.controls.values()))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for e in np.linspace(slider.min, slider.max, 9):
            before = app.blit.blits + app.blit.full_draws
            slider.value = 10**e
            assert app.blit.blits + app.blit.full_draws == before + 1
            assert app.status.value
            for artist in app.blit._artists:  # nothing runs out of the frame: clipped, or NaN
                x, y = artist.get_data()
                y = np.asarray(y, dtype=float)
                hi = artist.axes.get_ylim()[1]
                assert np.all(np.isnan(y) | (y <= hi * (1 + 1e-9)))
                if artist.axes.get_yscale() == "linear":
                    assert np.all(np.isnan(y) | (y >= artist.axes.get_ylim()[0]))


def test_lms_app_regimes_follow_the_limits(apps):
    app = apps["lms"]
    lim = app.limits
    app.controls["mu"].value = 0.02
    assert app.regime == "stable" and app.diverged_at == -1
    k = int(np.argmin(np.abs(app.mus - app.mu)))
    assert np.allclose(app.curve.get_ydata(), app.result.mse[:, k])
    app.controls["mu"].value = 0.5 * (lim["trace"] + lim["mean"])
    assert app.regime == "mean only" and "UNSTABLE" in app.status.value
    app.controls["mu"].value = 10 ** app.controls["mu"].max
    assert app.mu > lim["mean"] and app.regime == "diverges" and app.diverged_at > 0
    assert len(app.cross.get_xdata()) == 1


def test_lms_app_counts_only_settled_stable_runs_as_measured(apps):
    from lrcourse.widgets.beyond import LMSApp

    long = LMSApp(steps=1000, runs=10, n_grid=12)
    assert long.settled[np.isfinite(long.predicted)].any()
    assert not np.any(long.settled & ~np.isfinite(long.predicted))  # past the mean-square edge nothing settles
    app = apps["lms"]
    app.controls["mu"].value = app.mus[0]                          # the smallest step has not settled in 300 steps
    assert not app.settled[0] and "not settled" in app.status.value


def test_td_app_shows_the_chosen_step(apps):
    app = apps["td"]
    app.controls["alpha"].value = 0.1
    k = int(np.argmin(np.abs(np.log(app.alphas / app.alpha))))
    assert np.allclose(app.curve.get_ydata(), np.minimum(app.result.rms.mean(-1)[:, k], 0.3))
    assert np.allclose(app.mean_run.get_ydata(), app.result.values[k].mean(0))


def test_tracking_app_estimate_is_the_ema(apps):
    app = apps["track"]
    app.controls["alpha"].value = 0.1
    assert np.allclose(app.estimate.get_ydata(), on.track(app.y[0], app.alpha))
    assert app.gain == pytest.approx(on.kalman_gain(0.02, 1.0))


# ---------------------------------------------------------------- the checks of assignment 9
from lrcourse.checks import ex09  # noqa: E402


def _lms_step(w, x, d, mu):
    e = d - w @ x
    return w + mu * e * x, e


def _limits(R):
    return 2 / np.linalg.eigvalsh(R).max(), 2 / np.trace(R)


def _td0(V, s, r, s_next, alpha, done, gamma=1.0):
    V = np.array(V, dtype=float)
    V[s] += alpha * ((r if done else r + gamma * V[s_next]) - V[s])
    return V


def _rm_ok(p):
    return 0.5 < p <= 1


def _todo(*args):
    raise NotImplementedError()


def test_ex09_checks_pass_the_reference_answers(capsys):
    ex09.check_lms_step(_lms_step)
    ex09.check_lms_step_limits(_limits)
    ex09.check_td0_update(_td0)
    ex09.check_robbins_monro_ok(_rm_ok)
    assert capsys.readouterr().out.count("✔") == 4


def _td0_in_place(V, s, r, s_next, alpha, done, gamma=1.0):
    V[s] += alpha * ((r if done else r + gamma * V[s_next]) - V[s])
    return V


@pytest.mark.parametrize("check, wrong, hint", [
    (ex09.check_lms_step, _todo, "not written yet"),
    (ex09.check_lms_step, lambda w, x, d, mu: (w - mu * (d - w @ x) * x, d - w @ x), "Move w along"),
    (ex09.check_lms_step, lambda w, x, d, mu: (w + mu * (d - w @ x) * x, w @ x - d), "error"),
    (ex09.check_lms_step_limits, lambda R: (1 / np.linalg.eigvalsh(R).max(), 2 / np.trace(R)), "first value"),
    (ex09.check_lms_step_limits, lambda R: (2 / np.linalg.eigvalsh(R).max(), 1 / np.trace(R)), "second value"),
    (ex09.check_td0_update, _td0_in_place, "in place"),
    (ex09.check_td0_update, lambda V, s, r, s2, a, done, g=1.0: _td0(V, s, r, s2, a, False, g), "no future"),
    (ex09.check_td0_update, lambda V, s, r, s2, a, done, g=1.0: _td0(V, s, r, s2, a, done), "gamma"),
    (ex09.check_robbins_monro_ok, lambda p: 0.5 <= p <= 1, "returned True"),
    (ex09.check_robbins_monro_ok, lambda p: p <= 1, "returned True"),
    (ex09.check_robbins_monro_ok, lambda p: 0.5 < p, "returned True"),
])
def test_ex09_checks_reject_wrong_answers_with_a_hint(check, wrong, hint):
    with pytest.raises(AssertionError, match=hint):
        check(wrong)


def _lms_gain(R, M):
    lam = np.linalg.eigvalsh(R)
    lo, hi = 0.0, 1.0 / lam.max()
    for _ in range(200):                                  # S = M / (1 + M), S increasing below 1 / lambda_max
        mid = 0.5 * (lo + hi)
        S = np.sum(mid * lam / (2 * (1 - mid * lam)))
        lo, hi = (mid, hi) if S < M / (1 + M) else (lo, mid)
    return 0.5 * (lo + hi)


def test_ex09_lms_gain_check_grades_the_exact_misadjustment(capsys, monkeypatch):
    ex09.check_lms_gain(_lms_gain)
    for seed in range(5):                                 # hidden cases, one draw per grader seed
        monkeypatch.setenv("LRCOURSE_GRADE_SEED", str(seed))
        ex09.check_lms_gain(_lms_gain, hidden=True)
    assert capsys.readouterr().out.count("✔") == 6
    R = on.ar1_covariance(8, a=0.8)                       # the reference agrees with lrcourse.online
    assert on.lms_misadjustment(_lms_gain(R, 0.3), R) == pytest.approx(0.3, rel=1e-9)
    with pytest.raises(AssertionError, match="small-step approximation"):
        ex09.check_lms_gain(lambda R, M: 2 * M / np.trace(R))
    with pytest.raises(AssertionError, match="not mean-square stable"):
        ex09.check_lms_gain(lambda R, M: 0.999 / np.linalg.eigvalsh(R).max())
    with pytest.raises(AssertionError, match="not allowed|not to use"):
        ex09.check_lms_gain(lambda R, M: on.lms_limits(R)["safe"])


def test_ex09_hidden_failures_do_not_print_their_inputs(monkeypatch):
    monkeypatch.setenv("LRCOURSE_GRADE_SEED", "7")
    with pytest.raises(AssertionError) as failure:
        ex09.check_lms_step_limits(lambda R: (2 / np.linalg.eigvalsh(R).max(), 2 / np.sum(R)), hidden=True)
    assert "random correlation matrix" in str(failure.value) and "[[" not in str(failure.value)
