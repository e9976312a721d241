"""Lesson 2: the quadratic family, the lr x kappa sweep, the rate measurement, the three apps
(driven in-process by setting slider values) and the checks of assignment 2."""
from __future__ import annotations

import math
import warnings

import ipywidgets as w
import numpy as np
import pytest

from lrcourse import optimizers, problems, run, theory
from lrcourse.checks import ex02
from lrcourse.widgets.conditioning import (ConditioningApp, DiagonalQuadratics, DivergenceMapApp, TrajectoryApp,
                                           ellipses, measured_rate, nearest, slider_grid, sweep_lr_kappa)


# ----------------------------------------------------------------------------- DiagonalQuadratics
def test_family_rows_are_independent_quadratics():
    lam = np.array([[1.0, 0.1], [4.0, 2.0], [0.0, 3.0]])
    fam = DiagonalQuadratics(lam, x0=[1.0, -1.0])
    x = np.random.default_rng(0).normal(size=(5, 3, 2))            # leading axes, then (K, dim)
    for k in range(3):
        q = problems.quadratic(lam[k])
        np.testing.assert_allclose(fam.loss(x)[:, k], q.loss(x[:, k]), rtol=1e-14)
        np.testing.assert_allclose(fam.grad(x)[:, k], q.grad(x[:, k]), rtol=1e-14)
    np.testing.assert_array_equal(fam.L, [1.0, 4.0, 3.0])
    np.testing.assert_array_equal(fam.mu, [0.1, 2.0, 0.0])


def test_family_gradient_is_the_derivative_of_the_loss():
    fam = DiagonalQuadratics([[2.0, 0.5, 7.0]], x0=[1.0, 2.0, 3.0])
    x = np.array([[0.3, -1.2, 0.7]])
    eps = 1e-6
    numeric = [(fam.loss(x + eps * e) - fam.loss(x - eps * e))[0] / (2 * eps) for e in np.eye(3)[:, None, :]]
    np.testing.assert_allclose(fam.grad(x)[0], numeric, rtol=1e-7)


def test_family_overflows_without_warnings():
    fam = DiagonalQuadratics([[1.0, 1.0]], x0=[0.0, 0.0])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert fam.loss(np.array([[1e200, 0.0]]))[0] == np.inf


@pytest.mark.parametrize("kwargs, error, match", [
    (dict(eigenvalues=[1.0, 2.0], x0=[0.0, 0.0]), ValueError, "eigenvalues must have 2 axes"),
    (dict(eigenvalues=[[1.0, -2.0]], x0=[0.0, 0.0]), ValueError, "eigenvalues must have every element finite and >= 0"),
    (dict(eigenvalues=[[1.0, np.nan]], x0=[0.0, 0.0]), ValueError, "eigenvalues"),
    (dict(eigenvalues=[[1.0, 2.0]], x0=[0.0]), ValueError, r"x0 must have shape \(2,\)"),
    (dict(eigenvalues="big", x0=[0.0]), TypeError, "eigenvalues"),
])
def test_family_bad_arguments(kwargs, error, match):
    with pytest.raises(error, match=match):
        DiagonalQuadratics(**kwargs)


def test_family_rejects_points_of_the_wrong_shape():
    fam = DiagonalQuadratics([[1.0, 2.0], [3.0, 4.0]], x0=[0.0, 0.0])
    with pytest.raises(ValueError, match=r"x must have shape \(\.\.\., 2, 2\)"):
        fam.loss(np.zeros(2))


# ----------------------------------------------------------------------------- the sweep
def test_sweep_matches_the_closed_form_kappa_major():
    lrs, kappas, x0, T = np.array([0.1, 1.0, 1.9, 2.2]), np.array([1.0, 10.0, 100.0]), np.array([-1.8, 0.8]), 30
    h = sweep_lr_kappa(lrs, kappas, T, x0=x0, keep_params=True)
    paths = h.params.reshape(T + 1, 3, 4, 2)
    t = np.arange(T + 1)[:, None]
    for i, kappa in enumerate(kappas):
        for j, lr in enumerate(lrs):
            lam = np.array([1 / kappa, 1.0])
            expected = x0 * (1 - lr * lam) ** t
            np.testing.assert_allclose(paths[:, i, j], expected, rtol=1e-12, atol=1e-300)
    grew = (h.loss[-1] > h.loss[0]).reshape(3, 4)
    np.testing.assert_array_equal(grew, np.broadcast_to(lrs > 2, (3, 4)))


@pytest.mark.parametrize("kwargs, error, match", [
    (dict(lrs=[-0.1], kappas=[1.0], steps=3), ValueError, "lrs"),
    (dict(lrs=[0.1], kappas=[0.5], steps=3), ValueError, "kappas must have every element finite and >= 1"),
    (dict(lrs=[0.1], kappas=[1.0], steps=-1), ValueError, "steps"),
    (dict(lrs=[0.1], kappas=[1.0], steps=3, L=0.0), ValueError, "L must be > 0"),
    (dict(lrs=[0.1], kappas=[1.0], steps=3, keep_params="yes"), TypeError, "keep_params"),
])
def test_sweep_bad_arguments(kwargs, error, match):
    with pytest.raises(error, match=match):
        sweep_lr_kappa(**kwargs)


# ----------------------------------------------------------------------------- measured_rate
def test_measured_rate_is_exact_on_geometric_losses():
    t = np.arange(201)[:, None]
    rates = np.array([0.3, 0.9, 0.999])
    loss = 2.5 * rates ** (2 * t)
    np.testing.assert_allclose(measured_rate(loss), rates, rtol=1e-12)
    np.testing.assert_allclose(measured_rate(loss, window=1), rates, rtol=1e-12)


def test_measured_rate_inf_when_diverged_zero_when_exact():
    loss = np.ones((101, 3))
    loss[60:, 0] = np.inf
    loss[2:, 1] = 0.0
    r = measured_rate(loss)
    assert r[0] == np.inf and r[1] == 0.0 and r[2] == 1.0


@pytest.mark.parametrize("loss, window, match", [
    (np.ones(2), 1, "at least 3 steps"),
    (np.ones(11), 6, "window"),
    (-np.ones(11), 2, "loss"),
])
def test_measured_rate_bad_arguments(loss, window, match):
    with pytest.raises(ValueError, match=match):
        measured_rate(loss, window)


# ----------------------------------------------------------------------------- slider helpers
def test_slider_grids_hold_every_position():
    log = w.FloatLogSlider(value=1.0, base=10, min=-2, max=0.5, step=1 / 40)
    grid = slider_grid(log)
    assert grid.size == 101 and np.isclose(grid[0], 0.01) and np.isclose(grid[-1], 10**0.5)
    lin = w.FloatSlider(value=0.5, min=0.0, max=0.99, step=0.01)
    assert slider_grid(lin).size == 100 and np.isclose(slider_grid(lin)[-1], 0.99)
    assert nearest(grid, 0.5, log=True) == 68                      # 10^(-2 + 68/40) = 10^(-0.3) = 0.501
    assert nearest([0.0, 0.5, 1.0], 0.7) == 1
    with pytest.raises(TypeError, match="slider"):
        slider_grid(3.0)
    with pytest.raises(ValueError, match="value"):
        nearest(grid, -1.0, log=True)


def test_grid_slider_positions_are_the_grid_points():
    from lrcourse.widgets import grid_slider

    grid = np.geomspace(0.002, 0.6, 36)
    slider = grid_slider("mu", 0.02, grid)
    np.testing.assert_allclose(slider_grid(slider), grid, rtol=1e-12)  # one position per point, no more
    assert slider.value == grid[nearest(grid, 0.02, log=True)]          # snapped: the readout is what is drawn
    assert grid_slider("lr", 1.0, [1e-3, 1e-2, 1e-1, 1.0]).step == pytest.approx(1.0)
    with pytest.raises(ValueError, match="grid must increase evenly on a log scale"):
        grid_slider("lr", 0.1, [0.01, 0.1, 0.5])
    with pytest.raises(ValueError, match="lrs must increase evenly"):
        grid_slider("lr", 0.1, [1.0, 0.1, 0.01], name="lrs")
    with pytest.raises(ValueError, match="at least 2 points"):
        grid_slider("lr", 0.1, [0.1])
    with pytest.raises(ValueError, match=r"value must be in \[0.002, 0.6\]"):
        grid_slider("mu", 0.7, grid)


def test_ellipses_are_level_sets():
    levels, mu, L = np.array([0.01, 0.5, 2.0]), 0.1, 1.0
    x, y = ellipses(levels, mu, L, n=50)
    f = 0.5 * (mu * x**2 + L * y**2)
    np.testing.assert_allclose(f[np.isfinite(f)], np.repeat(levels, 50), rtol=1e-12)
    assert np.isnan(x).sum() == 3                                   # one break after each ellipse
    with pytest.raises(ValueError, match="mu must be > 0"):
        ellipses(levels, 0.0, L)


# ----------------------------------------------------------------------------- ConditioningApp
@pytest.fixture(scope="module")
def cond():
    return ConditioningApp(lr=0.5, kappa=10.0, steps=100)


def test_conditioning_path_is_the_closed_form(cond):
    cond.controls["kappa"].value = 10.0
    cond.controls["lr"].value = 1.0
    lr, kappa = cond.lr, cond.kappa                                  # the grid values actually used
    assert np.isclose(lr, 1.0) and np.isclose(kappa, 10.0)
    x, y = cond.path.get_data()
    t = np.arange(101)
    np.testing.assert_allclose(x, -1.8 * (1 - lr / kappa) ** t, rtol=1e-10)
    np.testing.assert_allclose(y[1:], 0.8 * (1 - lr) ** t[1:], atol=1e-15)
    _, flat = cond.flat.get_data()
    _, total = cond.total.get_data()
    np.testing.assert_allclose(flat, 0.5 / kappa * x**2, rtol=1e-12)
    assert np.all(total >= flat)
    assert "set by the flat direction" in cond.status.value


def test_conditioning_marks_divergence_past_two_over_L(cond):
    cond.controls["kappa"].value = 100.0
    cond.controls["lr"].value = 2.5
    cx, _ = cond.cross.get_data()
    assert len(cx) == 1 and "diverges" in cond.status.value
    x, y = cond.path.get_data()
    assert np.nanmax(np.abs(y)) <= 1.0 and np.nanmax(np.abs(x)) <= 2.0    # clipped to the frame
    cond.controls["lr"].value = 1.9
    assert len(cond.cross.get_data()[0]) == 0 and "diverges" not in cond.status.value


def test_conditioning_ellipses_follow_kappa(cond):
    cond.controls["kappa"].value = 1.0
    x1, _ = cond.rings.get_data()
    cond.controls["kappa"].value = 1000.0
    x2, _ = cond.rings.get_data()
    np.testing.assert_allclose(np.nanmax(x2) / np.nanmax(x1), np.sqrt(1000.0), rtol=1e-9)


def test_conditioning_every_slider_position_renders_silently(cond):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for kappa in np.linspace(cond.controls["kappa"].min, cond.controls["kappa"].max, 5):
            cond.controls["kappa"].value = 10**kappa
            for e in np.linspace(cond.controls["lr"].min, cond.controls["lr"].max, 9):
                before = cond.blit.blits
                cond.controls["lr"].value = 10**e
                assert cond.blit.blits == before + 1                 # a blit, not a full redraw
                x, y = cond.path.get_data()
                assert np.isfinite(x[0]) and np.all(np.abs(y[np.isfinite(y)]) <= 1.0)


def test_conditioning_bad_arguments():
    with pytest.raises(ValueError, match="lr must be in"):
        ConditioningApp(lr=5.0)
    with pytest.raises(ValueError, match="kappa"):
        ConditioningApp(kappa=0.5)
    with pytest.raises(ValueError, match="steps"):
        ConditioningApp(steps=0)


# ----------------------------------------------------------------------------- DivergenceMapApp
@pytest.fixture(scope="module")
def dmap():
    return DivergenceMapApp(steps=60, T=10, n_lr=40, n_kappa=20)


def test_map_is_the_closed_form(dmap):
    T = dmap.steps
    mu, (x0, y0), lr = 1 / dmap.kappas[:, None], (-1.8, 0.8), dmap.lrs
    closed = (mu * x0**2 * (1 - lr * mu) ** (2 * T) + y0**2 * (1 - lr) ** (2 * T)) / (mu * x0**2 + y0**2)
    measured = dmap.ratio[T]
    finite = np.isfinite(measured)
    np.testing.assert_allclose(measured[finite], closed[finite], rtol=1e-9)
    assert np.all(closed[~finite] > 1e8)
    np.testing.assert_array_equal((~(measured < 1)).any(axis=0), lr > 2)


def test_map_slider_redraws_the_mesh(dmap):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for T in (1, 2, 17, 33, dmap.steps):
            dmap.controls["T"].value = T
            np.testing.assert_array_equal(np.asarray(dmap.mesh.get_array()).ravel(), dmap.ratio[T].ravel())
            assert f"T = {T} steps" in dmap.status.value
    # diverged cells (inf) are drawn in the 'over' colour, red
    assert np.allclose(dmap.mesh.to_rgba(np.array([np.inf]))[0], dmap.mesh.cmap.get_over())


def test_map_bad_arguments():
    with pytest.raises(ValueError, match="T must be"):
        DivergenceMapApp(steps=10, T=11)
    with pytest.raises(ValueError, match="kappa_range"):
        DivergenceMapApp(kappa_range=(0.5, 10.0))
    with pytest.raises(TypeError, match="lr_range"):
        DivergenceMapApp(lr_range=3.0)


# ----------------------------------------------------------------------------- TrajectoryApp
def test_trajectory_on_rosenbrock_shows_the_run():
    app = TrajectoryApp(problems.Rosenbrock(), lr=1e-3, lr_range=(1e-4, 1e-2), steps=200, steps_per_decade=5)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for lr in app.lr_grid:
            app.controls["lr"].value = lr
            expected = run(problems.Rosenbrock(), optimizers.sgd(lr=app.lr), 200, progress=False)
            x, y = app.path.get_data()
            finite = np.isfinite(expected.params[:, 0])
            np.testing.assert_allclose(x[finite], np.clip(expected.params[finite, 0], -2, 2), rtol=1e-12)
            assert (len(app.cross.get_data()[0]) == 1) == bool(expected.diverged)
    assert "diverged" in app.status.value                            # lr = 0.01 blows up


def test_trajectory_names_a_two_cycle():
    # lr = 2/L on a quadratic: the steep coordinate bounces between +-y0, the flat one converges
    app = TrajectoryApp(problems.quadratic([1.0, 4.0], x0=[1.0, 1.0]), lr=0.5, lr_range=(0.5, 1.0), steps=200,
                        xlim=(-2, 2), ylim=(-2, 2))
    assert np.isclose(app.lr, 0.5)
    assert "2-cycle" in app.status.value and "curvature 4" in app.status.value


def test_trajectory_bad_arguments():
    with pytest.raises(ValueError, match="2-D"):
        TrajectoryApp(problems.parabola())
    with pytest.raises(TypeError, match="problem"):
        TrajectoryApp("rosenbrock")
    with pytest.raises(ValueError, match="lr must be in"):
        TrajectoryApp(problems.Rosenbrock(), lr=1.0)


# ----------------------------------------------------------------------------- assignment 2 checks
def best_lr_and_rate(eigenvalues):
    L, mu = np.max(eigenvalues), np.min(eigenvalues)
    return 2 / (L + mu), (L - mu) / (L + mu)


def steps_needed(eigenvalues, lr, tol):
    rate = np.max(np.abs(1 - lr * np.asarray(eigenvalues)))
    if rate >= 1:
        return math.inf
    return 1 if rate == 0 else math.ceil(math.log(tol) / math.log(rate))


def diverging_directions(eigenvalues, lr):
    return np.abs(1 - lr * np.asarray(eigenvalues)) > 1


def rate_from_losses(losses, m):
    return (losses[-1] / losses[-1 - m]) ** (1 / (2 * m))


def not_written(*args):
    raise NotImplementedError()


CHECKS = [
    (ex02.check_best_lr_and_rate, best_lr_and_rate,
     [lambda lam: (1 / np.max(lam), 1 - np.min(lam) / np.max(lam)),              # the one-step rate of L
      lambda lam: (2 / (lam[0] + lam[-1]), (lam[0] - lam[-1]) / (lam[0] + lam[-1])),  # assumes sorted input
      lambda lam: 2 / (np.max(lam) + np.min(lam))]),                            # not a pair
    (ex02.check_steps_needed, steps_needed,
     [lambda lam, lr, tol: math.floor(math.log(tol) / math.log(np.max(np.abs(1 - lr * np.asarray(lam))))),
      lambda lam, lr, tol: math.ceil(math.log(tol) / math.log(np.min(np.abs(1 - lr * np.asarray(lam))) + 1e-300)),
      lambda lam, lr, tol: steps_needed(lam, lr, tol) if np.max(np.abs(1 - lr * np.asarray(lam))) < 1 else -1]),
    (ex02.check_diverging_directions, diverging_directions,
     [lambda lam, lr: np.abs(1 - lr * np.asarray(lam)) >= 1,                    # counts bouncing as growing
      lambda lam, lr: lr * np.asarray(lam) > 1,
      lambda lam, lr: np.abs(1 - lr * np.asarray(lam)) > 1.5]),
    (ex02.check_rate_from_losses, rate_from_losses,
     [lambda losses, m: (losses[-1] / losses[-1 - m]) ** (1 / m),               # forgets loss ~ error^2
      lambda losses, m: (losses[-1] / losses[0]) ** (1 / (2 * (len(losses) - 1)))]),
]


@pytest.mark.parametrize("check, right, wrongs", CHECKS, ids=lambda c: getattr(c, "__name__", ""))
def test_checks_accept_the_answer_and_reject_mistakes(check, right, wrongs, capsys):
    check(right)
    assert "✔" in capsys.readouterr().out
    for wrong in wrongs:
        with pytest.raises(AssertionError):
            check(wrong)
    with pytest.raises(AssertionError, match="not written yet"):
        check(not_written)


def test_check_hints_do_not_give_the_answer_away():
    with pytest.raises(AssertionError) as info:
        ex02.check_best_lr_and_rate(lambda lam: (1.0, 0.5))
    assert "2 / (" not in str(info.value) and "(L + mu)" not in str(info.value)
