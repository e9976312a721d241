"""The first slider of every lesson changes its figure at every step.

The browser check moves each lesson's first slider (the one shown with its figure) back and
forth with the arrow keys and expects every move to repaint the figure with something new. An
app that precomputes results on a grid coarser than its slider would show the same picture for
several key presses (lessons 8 and 9 did, before ``widgets.grid_slider``). Each app here is
built as its lesson builds it, smaller where the lesson's version takes seconds.
"""
import functools
import importlib.util
import warnings
from pathlib import Path

import numpy as np
import pytest

from lrcourse import data, models, optimizers, problems, search
from lrcourse.widgets import slider_grid


def _lesson_01():
    from lrcourse.widgets.stepsize import StepSizeApp
    return StepSizeApp(lr=0.3, L=1.0, x0=1.0, steps=30)


def _lesson_02():
    from lrcourse.widgets.conditioning import ConditioningApp
    return ConditioningApp(lr=0.5, kappa=10.0, steps=100)


def _lesson_03():
    from lrcourse.widgets.noise import BatchNoiseApp, sweep_batch_sizes
    ds = data.load_breast_cancer()
    model = models.LogisticRegression(data.standardize(ds.X), ds.y, l2=0.1)
    sweep = sweep_batch_sizes(model, [1, 4, 16, 64, model.n], lrs=[0.1, 0.4], steps=60, seed=0, progress=False)
    return BatchNoiseApp(sweep, batch_size=16, lr=0.4)


def _lesson_04():
    from lrcourse.widgets.schedules import ScheduleBuilderApp
    return ScheduleBuilderApp(schedule="cosine", steps=200, lr=0.5)


def _lesson_05():
    from lrcourse.widgets.momentum import MomentumApp
    return MomentumApp(kappa=100.0, lr=0.5, beta=0.5, steps=100)


def _lesson_06():
    from lrcourse.widgets.adaptive import OptimizerRaceApp
    return OptimizerRaceApp(lr=0.01, factor=1.0, steps=200)


def _lesson_07():
    from lrcourse.widgets.choosing import RangeTestApp
    p = problems.Noisy(problems.conditioned(kappa=20.0, L=4.0), sigma=0.3)
    sgd = functools.partial(optimizers.sgd, momentum=0.5)
    rt = search.lr_range_test(p, sgd, 1e-4, 10.0, 80)
    lrs = np.geomspace(1e-4, 10, 12)
    return RangeTestApp(rt, truth=(lrs, search.training_objective(p, sgd, steps=80)({"lr": lrs})))


def _lesson_08():
    from lrcourse.models import MLP
    from lrcourse.widgets.practice import LRSweepApp
    digits = data.load_digits()
    X_train, X_val, y_train, y_val = data.train_val_split(digits.X, digits.y, val_fraction=0.6, seed=0)
    X_train, X_val = data.standardize(X_train, X_val)
    net = MLP(X_train, y_train, hidden=(16,), batch_size=32, seed=0)
    return LRSweepApp(net, net.with_data(X_val, y_val), lrs=np.geomspace(1e-3, 1, 10), steps=40, lr=0.05)


def _lesson_09():
    from lrcourse.widgets.beyond import LMSApp
    return LMSApp(mu=0.02, steps=300, runs=10)


def _lesson_10():
    from lrcourse.widgets.curvature import EdgeOfStabilityApp
    digits = data.load_digits()
    X = digits.X[:60] / 16.0
    net = models.MLP(X - X.mean(axis=0), digits.y[:60], hidden=(8,), activation="tanh", batch_size=60, loss="mse",
                     seed=0)
    return EdgeOfStabilityApp(net, lrs=np.geomspace(0.45, 0.9, 6), steps=60, every=20)


def _lesson_11():
    from lrcourse import nqm
    from lrcourse.widgets.batchsize import CriticalBatchApp
    return CriticalBatchApp(model=nqm.NoisyQuadratic.zhang(30), lrs=np.geomspace(1e-2, 3, 20), batch_size=16)


def _lesson_12():
    from lrcourse.widgets.selftuning import GuessApp, breast_cancer_problem
    return GuessApp(breast_cancer_problem(), steps=60, guess=1e-3)


# the same choice of "first slider" as the in-kernel benchmark (an app's first ...Slider control)
_spec = importlib.util.spec_from_file_location(
    "slider_latency", Path(__file__).resolve().parents[1] / "benchmarks" / "slider_latency.py")
slider_latency = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(slider_latency)

LESSONS = {f"{n:02d}": f for n, f in enumerate(
    [_lesson_01, _lesson_02, _lesson_03, _lesson_04, _lesson_05, _lesson_06, _lesson_07, _lesson_08, _lesson_09,
     _lesson_10, _lesson_11, _lesson_12], 1)}


def _positions(control):
    """Every value the control's arrow keys step through, in order."""
    if hasattr(control, "options"):
        return [value for _, value in control.options] if isinstance(control.options[0], tuple) \
            else list(control.options)
    return list(slider_grid(control))


@pytest.mark.parametrize("lesson", LESSONS)
def test_every_step_of_the_first_slider_changes_the_figure(lesson):
    import matplotlib.pyplot as plt

    app = LESSONS[lesson]()
    try:
        _, control = slider_latency.main_control(app)
        positions = _positions(control)
        pairs = range(len(positions) - 1)
        if len(positions) > 41:  # a spread of 40 neighbouring pairs over the whole range
            pairs = np.unique(np.linspace(0, len(positions) - 2, 40).astype(int))
        same = []
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            for i in pairs:
                control.value = positions[i]
                before = np.asarray(app.fig.canvas.buffer_rgba()).copy()
                control.value = positions[i + 1]
                if np.array_equal(before, np.asarray(app.fig.canvas.buffer_rgba())):
                    same.append(f"{positions[i]:.4g} -> {positions[i + 1]:.4g}")
        assert not same, f"{control.description}: these steps left the figure unchanged: {same}"
    finally:
        plt.close(app.fig)


def test_every_lesson_has_its_first_app_here():
    on_disk = {p.name[:2] for p in (Path(__file__).resolve().parents[1] / "lessons").glob("[0-9][0-9]_*.ipynb")}
    assert set(LESSONS) == on_disk
