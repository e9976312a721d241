"""Lesson 1's app, driven in-process by setting slider values."""
import warnings

import numpy as np
import pytest

from lrcourse import problems, theory
from lrcourse.widgets.stepsize import StepSizeApp


@pytest.fixture(scope="module")
def app():
    return StepSizeApp(lr=0.3, L=1.0, x0=1.0, steps=30)


def test_slider_moves_redraw_by_blitting(app):
    before = app.blit.blits
    app.controls["lr"].value = 1.5
    assert app.blit.blits == before + 1
    x, y = app.iterates.get_data()
    np.testing.assert_allclose(y, np.clip((1 - 1.5) ** np.arange(31), -2.5, 2.5))
    assert app.regime == "oscillating" and "oscillating" in app.status.value


@pytest.mark.parametrize("lr, regime", [(0.5, "monotone"), (1.0, "one step"), (1.5, "oscillating"),
                                        (2.0, "bouncing"), (2.5, "diverging")])
def test_regimes(app, lr, regime):
    app.controls["L"].value = 1.0
    app.controls["lr"].value = lr
    assert app.regime == regime
    assert app.history.diverged == (regime == "diverging")


def test_curvature_slider_moves_the_threshold(app):
    app.controls["lr"].value = 0.9
    app.controls["L"].value = 2.0
    assert app.regime == theory.regime(0.9, 2.0) == "oscillating"
    app.controls["L"].value = 2.5
    assert app.regime == "diverging"
    app.controls["lr"].value = 1.5        # |1 - lr L| = 2.75: blows past 1e8 within 30 steps
    cx, cy = app.cross.get_data()
    assert len(cx) == 1 and cx[0] == app.history.diverged_at


def test_every_slider_position_renders_silently(app):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for L in (app.controls["L"].min, 1.0, app.controls["L"].max):
            app.controls["L"].value = L
            for e in np.linspace(app.controls["lr"].min, app.controls["lr"].max, 15):
                app.controls["lr"].value = 10**e
                x, y = app.path.get_data()
                finite = np.isfinite(x)
                assert finite[0] and np.all(np.abs(x[finite]) <= 2.5)


def test_non_quadratic_app_has_lr_only():
    a = StepSizeApp(problem=problems.pseudo_huber(x0=3.0), lr=3.0, lr_range=(0.05, 5.0), steps=200)
    assert list(a.controls) == ["lr"]
    assert not a.history.diverged
    np.testing.assert_allclose(np.abs(a.history.params[-4:, 0]), np.sqrt(3.0**2 / 4 - 1))
    quartic = StepSizeApp(problem=problems.quartic(), lr=0.1)
    assert "curvature 0" in quartic.status.value


def test_bad_arguments():
    with pytest.raises(ValueError, match="steps"):
        StepSizeApp(steps=0)
    with pytest.raises(ValueError, match="1-D"):
        StepSizeApp(problem=problems.Rosenbrock())
    with pytest.raises(ValueError, match="learning rate"):
        StepSizeApp(lr=10.0, lr_range=(0.01, 3.0))


def test_fixed_problem_app_blits_after_the_first_draw():
    a = StepSizeApp(problem=problems.pseudo_huber(x0=3.0), lr=1.0, lr_range=(0.05, 5.0), steps=40)
    full = a.blit.full_draws
    for lr in (0.5, 2.5, 4.0):
        a.controls["lr"].value = lr
    assert a.blit.full_draws == full and a.blit.blits >= 3


def test_status_lines_say_what_the_run_did():
    huber = StepSizeApp(problem=problems.pseudo_huber(x0=3.0), lr=1.0, lr_range=(0.05, 5.0), steps=40)
    for lr in (2.51, 3.01, 3.97, 5.0):                 # lr·L > 2 at the minimum, yet no divergence: a 2-cycle
        huber.controls["lr"].value = lr
        cycle = np.sqrt(huber.controls["lr"].value ** 2 / 4 - 1)
        assert not huber.history.diverged and "2-cycle" in huber.status.value and "diverged" not in huber.status.value
        assert f"±{cycle:.4g}" in huber.status.value
    quartic = StepSizeApp(problem=problems.quartic(x0=2.0), lr=0.1, lr_range=(0.01, 3.0))
    quartic.controls["lr"].value = 0.6                  # above 2/x0² = 0.5: diverges from x0 = 2
    assert quartic.history.diverged and "diverged" in quartic.status.value
    parabola = StepSizeApp(lr=0.3, L=1.0)
    parabola.controls["lr"].value = 1.995               # not rounded to "lr·L = 2"
    assert "lr·L = 1.995" in parabola.status.value and "oscillating" in parabola.status.value
