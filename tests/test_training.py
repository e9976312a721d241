"""lrcourse.run: shapes, divergence as a result, vectorised == one by one, closed forms."""
import copy
import warnings

import numpy as np
import pytest

import lrcourse
from lrcourse import optimizers, problems, theory


def test_history_shapes_single_and_vectorised():
    p = problems.conditioned(kappa=10.0)
    h = lrcourse.run(p, optimizers.sgd(lr=0.1), steps=7)
    assert h.loss.shape == (8,) and h.params.shape == (8, 2) and h.lr.shape == (7,)
    assert isinstance(h.diverged_at, int) and h.diverged_at == -1
    hk = lrcourse.run(p, optimizers.sgd(lr=np.array([0.1, 0.2, 3.0])), steps=7)
    assert hk.loss.shape == (8, 3) and hk.params.shape == (8, 3, 2) and hk.lr.shape == (7, 3)
    assert hk.diverged_at.shape == (3,)
    np.testing.assert_array_equal(hk.params[0], np.broadcast_to(p.x0, (3, 2)))


def test_gd_on_parabola_matches_closed_form():
    L, lr, x0 = 3.0, 0.25, 2.0
    h = lrcourse.run(problems.parabola(L=L, x0=x0), optimizers.sgd(lr=lr), steps=30)
    t = np.arange(31)
    np.testing.assert_allclose(h.params[:, 0], x0 * (1 - lr * L) ** t, rtol=1e-12)
    np.testing.assert_allclose(h.loss, L / 2 * (x0 * (1 - lr * L) ** t) ** 2, rtol=1e-12)


def test_threshold_two_over_L_and_one_step_at_one_over_L():
    L = 4.0
    lrs = np.array([1 / L, 0.999 * 2 / L, 2 / L, 1.001 * 2 / L])
    h = lrcourse.run(problems.parabola(L=L), optimizers.sgd(lr=lrs), steps=20000)
    assert h.params[1, 0, 0] == 0.0                     # one step at 1/L
    assert h.loss[-1, 1] < h.loss[0, 1]                  # just below 2/L converges
    np.testing.assert_allclose(h.loss[:, 2], h.loss[0, 2])  # exactly 2/L bounces forever
    assert h.diverged_at[3] > 0 and h.diverged_at[:3].tolist() == [-1, -1, -1]


def test_vectorised_equals_one_by_one():
    p = problems.Rosenbrock()
    lrs = np.geomspace(1e-5, 3e-3, 9)
    moms = np.linspace(0.0, 0.9, 9)
    hk = lrcourse.run(p, optimizers.sgd(lr=lrs, momentum=moms, nesterov=False), steps=50)
    for k in range(9):
        h1 = lrcourse.run(p, optimizers.sgd(lr=float(lrs[k]), momentum=float(moms[k])), steps=50)
        np.testing.assert_array_equal(hk.loss[:, k], h1.loss)
        np.testing.assert_array_equal(hk.params[:, k], h1.params)


def test_divergence_flagged_frozen_and_silent():
    lrs = np.geomspace(1e-3, 1e3, 1000)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        h = lrcourse.run(problems.conditioned(kappa=100.0, L=1.0), optimizers.sgd(lr=lrs), steps=200)
    div = h.diverged
    assert div.sum() > 0 and (~div).sum() > 0
    assert np.all(lrs[div] > 2.0) and np.all(lrs[~div] <= 2.05)
    first = h.diverged_at[div]
    assert np.all(first >= 1)
    k = np.flatnonzero(div)[-1]
    d = h.diverged_at[k]
    assert np.all(np.isinf(h.loss[d + 1:, k]))
    np.testing.assert_array_equal(h.params[d:, k], np.broadcast_to(h.params[d, k], h.params[d:, k].shape))
    # the definition: first t >= 1 whose loss is non-finite or exceeds 1e8 * max(loss0, 1e-12)
    assert not np.any(h.loss[1:d, k] > 1e8 * h.loss[0, k])


def test_divergence_of_overflowing_run_without_warnings():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        h = lrcourse.run(problems.quartic(x0=10.0), optimizers.sgd(lr=np.array([1e-4, 10.0])), steps=50)
    assert h.diverged.tolist() == [False, True]


def test_schedule_lr_recorded_and_used():
    from lrcourse import schedules

    s = schedules.step(0.1, step_size=3, gamma=0.5)
    h = lrcourse.run(problems.parabola(), optimizers.sgd(lr=s), steps=9)
    np.testing.assert_allclose(h.lr, s(np.arange(9)))
    x = 1.0
    for t in range(9):
        x = x - s(t) * x
    assert h.params[-1, 0] == pytest.approx(x, rel=1e-14)


def test_stochastic_grad_is_used_and_seeded():
    noisy = problems.Noisy(problems.conditioned(kappa=4.0), sigma=0.5)
    a = lrcourse.run(noisy, optimizers.sgd(lr=0.1), steps=50, seed=3)
    b = lrcourse.run(noisy, optimizers.sgd(lr=0.1), steps=50, seed=3)
    c = lrcourse.run(noisy, optimizers.sgd(lr=0.1), steps=50, seed=4)
    exact = lrcourse.run(noisy.problem, optimizers.sgd(lr=0.1), steps=50)
    np.testing.assert_array_equal(a.loss, b.loss)
    assert not np.array_equal(a.loss, c.loss) and not np.array_equal(a.loss, exact.loss)


def test_noise_floor_matches_closed_form():
    # SGD on f = L/2 x^2 with gradient noise sigma: stationary E[x^2] = lr sigma^2 / (L (2 - lr L))
    L, lr, sigma, K = 1.0, 0.2, 1.0, 4000
    noisy = problems.Noisy(problems.parabola(L=L, x0=1.0), sigma=sigma)
    h = lrcourse.run(noisy, optimizers.sgd(lr=lr), steps=300, x0=np.ones((K, 1)), keep_params=False)
    floor = h.loss[100:].mean()
    assert floor == pytest.approx(L / 2 * lr * sigma**2 / (L * (2 - lr * L)), rel=0.05)


class _Layers:
    """A two-'layer' quadratic with dict params, for per-layer optimizers."""

    x0 = {"a": np.ones(2), "b": np.ones(3)}

    def loss(self, p):
        return 0.5 * (p["a"] ** 2).sum(-1) + 2.0 * (p["b"] ** 2).sum(-1)

    def grad(self, p):
        return {"a": p["a"], "b": 4.0 * p["b"]}


def test_dict_params_and_per_layer_optimizers():
    prob = _Layers()
    h = lrcourse.run(prob, {"a": optimizers.sgd(lr=0.5), "b": optimizers.sgd(lr=0.1)}, steps=5)
    assert h.params is None
    np.testing.assert_allclose(h.final["a"], 0.5**5 * np.ones(2))
    np.testing.assert_allclose(h.final["b"], 0.6**5 * np.ones(3))
    assert set(h.lr) == {"a", "b"} and h.lr["a"].shape == (5,)
    hk = lrcourse.run(prob, optimizers.sgd(lr=np.array([0.1, 0.5])), steps=5, keep_params=True)
    assert hk.params["b"].shape == (6, 2, 3) and hk.loss.shape == (6, 2)


@pytest.mark.parametrize(
    "kwargs, exc, words",
    [
        (dict(steps=-1), ValueError, "steps"),
        (dict(steps=2.5), TypeError, "steps"),
        (dict(steps=True), TypeError, "steps"),
        (dict(steps=5, seed=-1), ValueError, "seed"),
        (dict(steps=5, x0=[np.nan, 1.0]), ValueError, "x0"),
        (dict(steps=5, x0=[1.0, 2.0, 3.0]), ValueError, "x0"),
    ],
)
def test_run_rejects_bad_arguments(kwargs, exc, words):
    with pytest.raises(exc, match=words):
        lrcourse.run(problems.conditioned(kappa=2.0), optimizers.sgd(lr=0.1), **kwargs)


def test_run_rejects_non_problems_and_non_optimizers():
    with pytest.raises(TypeError, match="problem"):
        lrcourse.run(object(), optimizers.sgd(lr=0.1), 3)
    with pytest.raises(TypeError, match="optimizer"):
        lrcourse.run(problems.parabola(), "sgd", 3)


def test_inputs_not_modified():
    x0 = np.array([[1.0, 2.0], [3.0, 4.0]])
    copy = x0.copy()
    lrcourse.run(problems.conditioned(kappa=3.0), optimizers.sgd(lr=0.1), 5, x0=x0)
    np.testing.assert_array_equal(x0, copy)


def test_best_constant_rate_contraction_measured():
    L, mu = 1.0, 0.01
    p = problems.quadratic([L, mu], angle=0.3)
    lr = theory.best_constant_lr(L, mu)
    h = lrcourse.run(p, optimizers.sgd(lr=lr), steps=400)
    err = np.linalg.norm(h.params - p.minimizer, axis=-1)
    rate = (err[400] / err[200]) ** (1 / 200)
    assert rate == pytest.approx(theory.best_contraction(L / mu), rel=1e-9)


def test_loss_every_records_fewer_rows_and_same_trajectory():
    p = problems.conditioned(kappa=10.0)
    lrs = np.array([0.1, 0.5, 2.2])
    full = lrcourse.run(p, optimizers.sgd(lr=lrs), steps=25)
    sparse = lrcourse.run(p, optimizers.sgd(lr=lrs), steps=25, loss_every=10)
    assert sparse.loss_steps.tolist() == [0, 10, 20, 25] and sparse.steps == 25
    np.testing.assert_array_equal(sparse.loss[:, :2], full.loss[[0, 10, 20, 25], :2])
    np.testing.assert_array_equal(sparse.final[:2], full.final[:2])
    assert full.loss_steps.tolist() == list(range(26))
    # lr = 2.2 > 2/L grows by 1.2 per step: 25 steps stay below the 1e8 loss limit
    assert sparse.diverged.tolist() == full.diverged.tolist() == [False, False, False]


def test_loss_every_flags_nonfinite_parameters_between_records():
    h = lrcourse.run(problems.quartic(x0=10.0), optimizers.sgd(lr=np.array([1e-4, 10.0])), steps=50, loss_every=50)
    assert h.diverged.tolist() == [False, True] and 1 <= h.diverged_at[1] < 50
    assert np.isinf(h.loss[-1, 1]) and np.isfinite(h.loss[-1, 0])
    with pytest.raises(ValueError, match="loss_every"):
        lrcourse.run(problems.parabola(), optimizers.sgd(lr=0.1), 5, loss_every=0)


# ---------------------------------------------------------------- run's fast path == the public step
# run checks its arguments once and then applies each optimizer's update rule (_update) itself;
# these tests hold it to exactly what a loop over the public opt.step(params, grads, state) gives.
OPTIMIZERS = [
    lambda lr: optimizers.sgd(lr),
    lambda lr: optimizers.sgd(lr, momentum=0.9, nesterov=True, weight_decay=0.01),
    lambda lr: optimizers.sgd(lr, momentum=np.array([0.0, 0.5, 0.9]) if np.ndim(lr) else 0.5, dampening=0.1),
    lambda lr: optimizers.adam(lr, maximize=True),
    lambda lr: optimizers.adagrad(lr, lr_decay=0.01, initial_accumulator_value=0.1),
    lambda lr: optimizers.rmsprop(lr, centered=True, momentum=0.5, weight_decay=0.01),
    lambda lr: optimizers.adam(lr, amsgrad=True, weight_decay=0.01),
    lambda lr: optimizers.adamw(lr),
    lambda lr: optimizers.nadam(lr),
    lambda lr: optimizers.radam(lr),
    lambda lr: optimizers.adamax(lr),
    lambda lr: optimizers.adadelta(lr),
]


def _manual(problem, opt, steps, x):
    """The plain loop: every step through opt.step, which checks everything."""
    state, path = opt.init(x), [x]
    for _ in range(steps):
        x, state = opt.step(x, problem.grad(x), state)
        path.append(x)
    return path


@pytest.mark.parametrize("make", OPTIMIZERS)
@pytest.mark.parametrize("problem, lr", [(problems.Rosenbrock(), 1e-4), (problems.conditioned(20.0, dim=3), 0.05),
                                         (problems.Rosenbrock(), np.array([1e-5, 1e-4, 3e-4]))])
def test_run_steps_exactly_like_the_public_step(make, problem, lr):
    p = problem
    opt = make(lr)
    h = lrcourse.run(p, opt, 30, progress=False)
    assert not np.any(h.diverged)
    x = p.x0 if np.ndim(lr) == 0 else np.broadcast_to(p.x0, (3,) + p.x0.shape).copy()
    path = _manual(p, make(lr), 30, x)
    np.testing.assert_array_equal(h.params, np.stack(path))
    np.testing.assert_array_equal(h.lr, np.broadcast_to(lr, h.lr.shape))


def test_run_with_schedules_and_per_layer_optimizers_steps_like_the_public_step():
    from lrcourse import schedules

    prob = _Layers()
    opts = {"a": optimizers.adam(schedules.cosine(0.1, 10)), "b": optimizers.sgd(lambda k: 0.1 / (1 + k), momentum=0.9)}
    h = lrcourse.run(prob, opts, 12, keep_params=True)
    x = dict(prob.x0)
    states = {k: o.init(x[k]) for k, o in opts.items()}
    for t in range(12):
        g = prob.grad(x)
        for k, o in opts.items():
            x[k], states[k] = o.step(x[k], g[k], states[k])
            np.testing.assert_array_equal(h.params[k][t + 1], x[k])
    np.testing.assert_array_equal(h.lr["a"], [schedules.cosine(0.1, 10)(k) for k in range(12)])
    np.testing.assert_array_equal(h.lr["b"], [0.1 / (1 + k) for k in range(12)])


def test_a_bad_schedule_value_is_caught_before_the_first_step():
    with pytest.raises(ValueError, match=r"lr\(3\)"):
        lrcourse.run(problems.parabola(), optimizers.sgd(lambda k: 0.1 if k < 3 else -1.0), 10)
    two_from_step_1 = optimizers.sgd(lambda k: 0.1 if k == 0 else np.array([0.1, 0.2]),
                                     momentum=np.array([0.0, 0.1, 0.2]))
    with pytest.raises(ValueError, match=r"lr\(1\) returned 2 values"):
        lrcourse.run(problems.parabola(), two_from_step_1, 3)


def test_gradients_of_the_wrong_shape_are_named():
    class Wrong(problems.Quadratic):
        def grad(self, x):
            return np.zeros(3)

    with pytest.raises(ValueError, match=r"problem.grad\(x\)"):
        lrcourse.run(Wrong([1.0, 2.0]), optimizers.sgd(0.1), 3)


def test_an_optimizer_of_ones_own_goes_through_its_step():
    class HalfStep:
        """Any object with init, step and lr_at is an optimizer for run."""

        def init(self, x):
            return {"calls": 0}

        def lr_at(self, k):
            return 0.5

        def step(self, x, g, state):
            return x - 0.5 * g, {"calls": state["calls"] + 1}

    h = lrcourse.run(problems.parabola(L=1.0, x0=1.0), HalfStep(), 4)
    np.testing.assert_allclose(h.params[:, 0], 0.5 ** np.arange(5))
    np.testing.assert_array_equal(h.lr, 0.5)


def test_progress_bar_only_when_asked_or_slow(capsys):
    lrcourse.run(problems.parabola(), optimizers.sgd(0.1), 5, progress=True)
    assert "0/5" in capsys.readouterr().err
    lrcourse.run(problems.parabola(), optimizers.sgd(0.1), 5)  # fast: no bar
    lrcourse.run(problems.parabola(), optimizers.sgd(0.1), 5, progress=False)
    assert capsys.readouterr().err == ""


def test_diverged_settings_are_frozen_in_params_final_and_loss():
    """Frozen = recorded as at the step they diverged, while the others go on (K and one setting)."""
    p = problems.quadratic([1.0, 0.05], angle=0.4)
    lrs = np.array([0.1, 3.0, 5.0])
    for keep in (True, False):
        h = lrcourse.run(p, optimizers.sgd(lrs, momentum=0.9), 60, keep_params=keep)
        full = lrcourse.run(p, optimizers.sgd(lrs, momentum=0.9), 60)
        assert h.diverged.tolist() == [False, False, True]
        d = h.diverged_at[2]
        np.testing.assert_array_equal(h.final[2], full.params[d, 2])
        np.testing.assert_array_equal(h.final[:2], full.params[-1, :2])
        assert np.all(np.isinf(h.loss[d + 1:, 2])) and np.isfinite(h.loss[d, 2])
        one = lrcourse.run(p, optimizers.sgd(5.0, momentum=0.9), 60, keep_params=keep)
        assert one.diverged_at == d  # (a (K, 2) and a (2,) matrix product may differ in the last bit)
        np.testing.assert_allclose(one.final, h.final[2], rtol=1e-13)
        np.testing.assert_allclose(one.loss, h.loss[:, 2], rtol=1e-13)


def _public_only(p):
    """The same problem as a subclass whose loss and grad call the public ones (which check x at
    every call), so that run cannot take the built-in problems' unchecked formulas."""
    cls = type(p)
    checked = type(f"Checked{cls.__name__}", (cls,), {"loss": lambda self, x: cls.loss(self, x),
                                                       "grad": lambda self, x: cls.grad(self, x)})
    q = copy.copy(p)
    q.__class__ = checked
    return q


def _assert_same_history(a, b):
    for name in ("loss", "diverged_at", "loss_steps"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name), err_msg=name)
    for name in ("params", "final", "lr"):  # (arrays, or dicts of arrays)
        x, y = getattr(a, name), getattr(b, name)
        assert (x is None) == (y is None), name
        for k in (x if isinstance(x, dict) else [None] if x is not None else []):
            np.testing.assert_array_equal(x if k is None else x[k], y if k is None else y[k], err_msg=name)


@pytest.mark.parametrize("p", [problems.quadratic([1.0, 0.05], angle=0.4), problems.conditioned(100.0, dim=3),
                               problems.Rosenbrock(), problems.quartic(x0=3.0), problems.pseudo_huber()], ids=repr)
def test_unchecked_formulas_give_the_public_loss_and_grad_bit_for_bit(p):
    """run takes a built-in problem's formulas without the per-call checks: same numbers, bit for bit."""
    from lrcourse import schedules

    public = _public_only(p)
    assert problems._fast_path(p) is not None and problems._fast_path(public) is None
    makers = [lambda: optimizers.sgd(np.geomspace(1e-4, 1e9, 7), momentum=0.9), lambda: optimizers.sgd(0.01),
              lambda: optimizers.sgd(5.0), lambda: optimizers.adam(schedules.cosine(0.5, 40))]
    diverged = False
    for make in makers:
        for loss_every, keep in ((1, True), (3, False)):
            with warnings.catch_warnings():
                warnings.simplefilter("error")
                fast = lrcourse.run(p, make(), 40, keep_params=keep, loss_every=loss_every, progress=False)
                slow = lrcourse.run(public, make(), 40, keep_params=keep, loss_every=loss_every, progress=False)
            _assert_same_history(fast, slow)
            diverged |= bool(np.any(fast.diverged))
    assert diverged  # (the comparison covers diverging, overflowing settings too)


@pytest.mark.parametrize("loss_every", [1, 4])
def test_divergence_read_off_the_kept_params_equals_the_check_at_every_step(loss_every):
    """keep_params=True finds divergence after the loop, keep_params=False at every step: same result."""
    cases = [(problems.quartic(x0=3.0), lambda: optimizers.sgd(np.geomspace(1e-3, 3.0, 9))),
             (problems.quadratic([1.0, 0.05], angle=0.4), lambda: optimizers.sgd(5.0, momentum=0.9)),
             (problems.quartic(x0=10.0), lambda: optimizers.sgd(10.0)),  # overflows to inf, then NaN
             (_Layers(), lambda: optimizers.sgd(np.array([0.1, 0.6, 2.0]))),
             (_Layers(), lambda: {"a": optimizers.sgd(0.5), "b": optimizers.sgd(1.0, momentum=0.5)})]
    for p, make in cases:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            kept = lrcourse.run(p, make(), 30, keep_params=True, loss_every=loss_every)
            watched = lrcourse.run(p, make(), 30, keep_params=False, loss_every=loss_every)
        assert np.any(kept.diverged)
        kept.params = None
        _assert_same_history(kept, watched)
