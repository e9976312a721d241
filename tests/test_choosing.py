"""Lesson 7's apps (lrcourse.widgets.choosing), driven in-process, and the loss-curve gallery."""
import functools
import warnings

import numpy as np
import pytest

from lrcourse import optimizers, problems, search
from lrcourse.widgets.choosing import LABELS, BayesOptApp, Curve, LossCurveQuiz, RangeTestApp, loss_curve_gallery


# ---------------------------------------------------------------------------- range test app
@pytest.fixture(scope="module")
def range_app():
    p = problems.Noisy(problems.conditioned(kappa=20.0, L=4.0), sigma=0.3)
    rt = search.lr_range_test(p, functools.partial(optimizers.sgd, momentum=0.5), 1e-4, 10.0, 80)
    lrs = np.geomspace(1e-4, 10, 12)
    truth = search.training_objective(p, functools.partial(optimizers.sgd, momentum=0.5), steps=80)({"lr": lrs})
    return RangeTestApp(rt, truth=(lrs, truth))


def test_range_app_rereads_the_test(range_app):
    range_app.controls["beta"].value = 0.5
    range_app.controls["stop_factor"].value = 10.0
    want = range_app.result.suggest(beta=0.5, stop_factor=range_app.controls["stop_factor"].value)
    x, y = range_app.smooth_line.get_data()
    np.testing.assert_array_equal(x, want.lrs)
    np.testing.assert_allclose(y, np.where(np.isfinite(want.smoothed), want.smoothed, np.nan))
    for name, line in range_app.vlines.items():
        assert line.get_xdata()[0] == want.suggestions[name]
        lr, loss = range_app.marks[name].get_data()
        assert lr[0] == want.suggestions[name] and np.isclose(loss[0], range_app.truth_at(lr[0]))
    assert "valley" in range_app.status.value and "#" in range_app.status.value   # colours as hex for HTML


def test_range_app_truth_interpolates_in_log_lr(range_app):
    lrs, losses = range_app.truth
    assert np.isclose(range_app.truth_at(lrs[3]), losses[3])
    mid = np.sqrt(lrs[3] * lrs[4])
    assert np.isclose(range_app.truth_at(mid), np.sqrt(losses[3] * losses[4]))


def test_range_app_every_slider_position_renders_silently(range_app):
    blits, full = range_app.blit.blits, range_app.blit.full_draws
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for beta in np.linspace(0, 0.99, 7):
            for factor in (1.5, 4.0, 30.0, 100.0):
                range_app.controls["beta"].value = float(beta)
                range_app.controls["stop_factor"].value = factor
                assert range_app.current.lrs.size >= 1
    assert range_app.blit.full_draws == full and range_app.blit.blits > blits


def test_range_app_without_truth_and_bad_arguments():
    rt = search.lr_range_test(problems.parabola(), optimizers.sgd, 1e-3, 10.0, 30)
    app = RangeTestApp(rt)
    assert app.truth is None and not app.marks
    with pytest.raises(TypeError, match="RangeTest"):
        RangeTestApp("not a test")
    with pytest.raises(ValueError, match="truth must be"):
        RangeTestApp(rt, truth=(np.ones(3), np.ones(4)))


# ---------------------------------------------------------------------------- Bayesian optimisation app
@pytest.fixture(scope="module")
def bo_app():
    f = lambda lrs: np.where(lrs > 3, np.inf, (np.log10(lrs) + 1.5) ** 2)      # noqa: E731
    res = search.bayes_opt(f, 1e-4, 10.0, n_init=3, n_iter=6, seed=1)
    grid = np.geomspace(1e-4, 10, 50)
    return BayesOptApp(res, truth=(grid, f(grid)))


def test_bayes_app_replays_each_step(bo_app):
    r = bo_app.result
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for k in range(r.means.shape[0]):
            bo_app.controls["k"].value = k
            x, mean = bo_app.mean_line.get_data()
            np.testing.assert_allclose(mean, r.means[k])
            np.testing.assert_allclose(bo_app.upper.get_data()[1], r.means[k] + 2 * r.stds[k])
            assert len(bo_app.points.get_data()[0]) == r.n_init + k
            star_x = bo_app.ei_star.get_data()[0][0]
            assert star_x == r.lrs[r.n_init + k] == 10 ** r.grid[np.argmax(r.eis[k])]
            assert np.isclose(np.max(bo_app.ei_line.get_data()[1]), 1.0) or r.eis[k].max() == 0


def test_bayes_app_bad_arguments(bo_app):
    with pytest.raises(TypeError, match="BayesResult"):
        BayesOptApp(bo_app.result.lrs)
    none = search.bayes_opt(lambda lrs: lrs, 1e-3, 1.0, n_init=2, n_iter=0)
    with pytest.raises(ValueError, match="n_iter >= 1"):
        BayesOptApp(none)


# ---------------------------------------------------------------------------- the gallery and the quiz
@pytest.fixture(scope="module")
def gallery():
    return loss_curve_gallery()


def test_gallery_curves_show_what_their_labels_say(gallery):
    assert [c.label for c in gallery] == ["too low"] * 2 + ["good"] * 2 + ["too high"] * 2 + ["noisy"] * 2 + ["plateau"] * 2
    by = {label: [c.loss for c in gallery if c.label == label] for label in LABELS}
    for loss in by["too low"]:
        assert np.all(np.diff(loss) < 0) and loss[-1] > 0.2 * loss[0]
    for loss in by["good"]:
        assert loss[-1] < 0.02 * loss[0]
        assert all(loss[-1] < 0.5 * low[-1] for low in by["too low"])
    for loss in by["too high"]:
        finite = loss[np.isfinite(loss)]
        assert not np.all(np.isfinite(loss)) or finite[-1] > 10 * finite.min()
    assert not np.all(np.isfinite(by["too high"][1]))                      # lr = 1 blows up
    for loss in by["noisy"]:
        assert np.mean(np.diff(loss) > 0) > 0.25 and loss[-1] < 0.3 * loss[0]
    for loss in by["plateau"]:
        assert np.all(loss[:30] > 0.95 * loss[0]) and loss[-1] < 0.2 * loss[0]
    # the quiz must not give the kind away: every curve as long, every start near ln 10
    assert {c.loss.size for c in gallery} == {201}
    assert np.allclose([c.loss[0] for c in gallery], np.log(10), atol=0.01)


def test_gallery_is_deterministic(gallery):
    again = loss_curve_gallery()
    for a, b in zip(gallery, again):
        np.testing.assert_array_equal(a.loss, b.loss)


def test_quiz_feedback_and_score(gallery):
    quiz = LossCurveQuiz(gallery, seed=3)
    first = quiz.curve
    assert "what does this curve say" in quiz.status.value
    y = quiz.line.get_data()[1]
    np.testing.assert_allclose(y, np.where(np.isfinite(first.loss), np.minimum(first.loss, quiz.top), quiz.top))
    wrong = next(label for label in LABELS if label != first.label)
    quiz.controls["answer"].value = wrong
    assert "Not quite" in quiz.status.value and LABELS[first.label] in quiz.status.value
    quiz.controls["answer"].value = first.label                          # a second try is not scored
    assert "Right" in quiz.status.value and quiz.score == (0, 1)
    quiz.next()
    assert quiz.controls["answer"].value is None and quiz.position == 1
    quiz.controls["answer"].value = quiz.curve.label
    assert quiz.score == (1, 2)
    for _ in range(len(gallery)):
        quiz.next()
    assert quiz.position == 1                                            # wraps around
    shown = sorted(quiz.order.tolist())
    assert shown == list(range(len(gallery)))


def test_quiz_bad_curves():
    with pytest.raises(ValueError, match="curves must be"):
        LossCurveQuiz([Curve("wobbly", np.ones(3), "")])
    with pytest.raises(ValueError, match="curves must be"):
        LossCurveQuiz([])
