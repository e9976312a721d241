"""Lesson 12's apps: the guess sweep (GuessApp) and warmup-stable-decay cool-downs (CooldownApp),
checked against the library computations they show (lrcourse.run, eval_params, nqm)."""
import numpy as np
import pytest

import lrcourse
import lrcourse.problems
from lrcourse import nqm, optimizers, schedules, selftuning
from lrcourse.widgets.selftuning import CooldownApp, GuessApp, breast_cancer_problem, guess_losses, trace


@pytest.fixture(scope="module")
def problem():
    return breast_cancer_problem()


@pytest.fixture(scope="module")
def guess_app(problem):
    return GuessApp(problem, steps=40, guesses=np.geomspace(1e-4, 1e0, 9), guess=1e-2)


def test_guess_losses_equal_single_runs_and_schedule_free_is_scored_at_x(problem):
    guesses = np.array([1e-3, 0.1])
    losses = guess_losses(problem, 30, guesses)
    for k, g in enumerate(guesses):
        sgd = lrcourse.run(problem, optimizers.sgd(g, momentum=0.9), 30, progress=False)
        assert np.allclose(losses["SGD, momentum 0.9"][:, k], sgd.loss, rtol=1e-12)
        opt, x = selftuning.adamw_schedulefree(lr=g), problem.x0.copy()
        state, at_x, at_y = opt.init(x), [problem.loss(x)], [problem.loss(x)]
        for _ in range(30):
            x, state = opt.step(x, problem.grad(x), state)
            at_x.append(problem.loss(opt.eval_params(x, state)))
            at_y.append(problem.loss(x))
        assert np.allclose(losses["schedule-free AdamW"][:, k], at_x, rtol=1e-10)
        assert not np.allclose(at_x, at_y, rtol=1e-3)  # so the test would catch scoring y


def test_guess_app_slider_moves_the_marker_and_the_curves(guess_app):
    seen = set()
    for g in guess_app.guesses:
        guess_app.controls["guess"].value = float(g)
        assert guess_app.marker.get_xdata()[0] == pytest.approx(g)
        y = guess_app.curves["Adam"].get_data()[1]
        assert np.allclose(y, guess_app.losses["Adam"][:, guess_app.k], equal_nan=True)
        seen.add(tuple(np.round(y[-5:], 12)))
        assert f"{g:.0e}" in guess_app.status.value
    assert len(seen) == guess_app.guesses.size


def test_guess_app_reference_is_the_best_tuned_sgd(guess_app, problem):
    best = min(lrcourse.run(problem, optimizers.sgd(g, momentum=0.9), 40, progress=False).loss[-1]
               for g in guess_app.guesses)
    cos = min(lrcourse.run(problem, optimizers.sgd(schedules.cosine(float(g), 40), momentum=0.9), 40,
                           progress=False).loss[-1] for g in guess_app.guesses)
    assert guess_app.tuned[-1] == pytest.approx(min(best, cos), rel=1e-10)


def test_cooldown_app_shows_the_exact_nqm_losses():
    model = nqm.NoisyQuadratic.zhang(20)
    app = CooldownApp(model=model, batch_size=4, ends=[50, 100, 200], lrs=np.geomspace(0.05, 1, 5), end=100)
    for shape in schedules.wsd.shapes:
        app.controls["shape"].value = shape
        app.controls["fraction"].value = 0.3
        rates = schedules.wsd(app.lr, 100, 0, 30, shape=shape)(np.arange(100))
        want = nqm.scheduled_loss(model, rates, np.full(100, 4.0))
        assert app.end_loss == pytest.approx(want[-1], rel=1e-12)
        assert np.allclose(app.branch.get_data()[1], want[70:], rtol=1e-12)
    cosine = min(nqm.scheduled_loss(model, schedules.cosine(lr, 200)(np.arange(200)), np.full(200, 4.0))[-1]
                 for lr in app.lrs)
    app.controls["end"].value = 200
    assert app.cosine_loss == pytest.approx(cosine, rel=1e-12)
    before = app.rate.get_data()[1].copy()
    app.controls["lr"].value = float(app.peaks[-1])
    assert not np.array_equal(before, app.rate.get_data()[1])


@pytest.mark.parametrize("call, match", [
    (lambda: CooldownApp(model="zhang"), "model"),
    (lambda: CooldownApp(model=nqm.NoisyQuadratic.zhang(5), ends=[50, 100], lrs=[0.1], fraction=0.9), "fraction"),
    (lambda: CooldownApp(model=nqm.NoisyQuadratic.zhang(5), ends=[50, 100], lrs=[0.1], end=400), "end"),
    (lambda: guess_losses(breast_cancer_problem(), 0, [0.1]), "steps"),
    (lambda: guess_losses(breast_cancer_problem(), 5, [-0.1]), "guesses"),
])
def test_bad_arguments_are_named(call, match):
    with pytest.raises((TypeError, ValueError), match=match):
        call()


def test_trace_gives_polyak_its_loss_and_armijo_its_closure():
    quad = lrcourse.problems.quadratic([1.0, 0.1], seed=0)
    loss, gamma = trace(quad, selftuning.polyak(), 5, record="step_size")
    x = quad.x0.copy()
    for k in range(5):
        g = quad.grad(x)
        step = quad.loss(x) / (g @ g)
        assert gamma[k] == pytest.approx(step, rel=1e-12)
        x = x - step * g
        assert loss[k + 1] == pytest.approx(quad.loss(x), rel=1e-12)
    armijo, evals = trace(quad, selftuning.armijo(n_batches_per_epoch=1), 5, record="n_evals")
    assert np.all(np.diff(armijo) < 0) and evals[-1] > 5  # it backtracked at least once
    many = trace(quad, selftuning.polyak(fstar=np.array([0.0, 1e-3])), 5)
    assert many.shape == (6, 2) and np.allclose(many[:, 0], loss, rtol=1e-12)


def test_trace_refuses_a_loss_method_on_mini_batches_and_marks_divergence(problem):
    with pytest.raises(ValueError, match="opt sps"):
        trace(breast_cancer_problem(batch_size=8), selftuning.sps(), 3)
    with pytest.raises(ValueError, match="record"):
        trace(problem, optimizers.sgd(0.1), 3, record="nothing")
    quad = lrcourse.problems.quadratic([1.0, 0.1], seed=0)
    loss = trace(quad, optimizers.sgd(np.array([0.5, 3.0])), 40)
    assert np.all(np.isfinite(loss[:, 0])) and np.isinf(loss[-1, 1])
