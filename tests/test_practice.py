"""Lesson 8: the Monitored wrapper, new_head, the sweep app, and the checks of assignment 8."""
from __future__ import annotations

import functools
import warnings

import numpy as np
import pytest

import lrcourse
from lrcourse import data, optimizers, problems
from lrcourse.checks import ex08
from lrcourse.models import MLP
from lrcourse.widgets.practice import LRSweepApp, Monitored, new_head, sweep


@pytest.fixture(scope="module")
def digits():
    ds = data.load_digits()
    X_tr, X_va, y_tr, y_va = data.train_val_split(ds.X[:400], ds.y[:400], val_fraction=0.5, seed=0)
    X_tr, X_va = data.standardize(X_tr, X_va)
    net = MLP(X_tr, y_tr, hidden=(8,), batch_size=20, seed=0)
    return net, net.with_data(X_va, y_va)


# ---------------------------------------------------------------- Monitored
def test_monitored_records_metrics_every_few_steps_for_all_settings():
    quad = problems.quadratic([1.0, 4.0])
    mon = Monitored(quad, every=3, first=lambda x: x[..., 0], loss2=quad.loss)
    lrs = np.array([0.1, 0.2])
    h = lrcourse.run(mon, optimizers.sgd(lr=lrs), 10)
    assert np.array_equal(mon.steps, [0, 3, 6, 9])
    vals = mon.values
    assert vals["first"].shape == (4, 2)
    assert np.allclose(vals["first"], h.params[[0, 3, 6, 9], :, 0])
    assert np.allclose(vals["loss2"], h.loss[[0, 3, 6, 9]])
    plain = lrcourse.run(quad, optimizers.sgd(lr=lrs), 10)
    assert np.allclose(plain.loss, h.loss)  # the wrapper does not change training


def test_monitored_passes_the_stochastic_gradient_through(digits):
    net, val = digits
    mon = Monitored(net, every=5, acc=val.accuracy)
    assert hasattr(mon, "stochastic_grad")
    a = lrcourse.run(mon, optimizers.sgd(lr=0.1), 10, seed=3)
    b = lrcourse.run(net, optimizers.sgd(lr=0.1), 10, seed=3)
    assert np.allclose(a.loss, b.loss)
    assert not hasattr(Monitored(problems.parabola()), "stochastic_grad")
    mon.reset()
    assert mon.steps.size == 0


def test_monitored_validates():
    with pytest.raises(ValueError, match="every must be an integer >= 1"):
        Monitored(problems.parabola(), every=0)
    with pytest.raises(TypeError, match="metric 'acc' must be a function"):
        Monitored(problems.parabola(), acc=3)
    with pytest.raises(TypeError, match="problem must have loss, grad and x0"):
        Monitored(object())


# ---------------------------------------------------------------- new_head and sweep
def test_new_head_copies_the_body_and_draws_a_fresh_head(digits):
    net, _ = digits
    other = MLP(net.X, net.y % 3, hidden=(8,), batch_size=20, seed=0, n_classes=3)
    pretrained = net.x0
    p = new_head(pretrained, other, seed=2)
    assert np.array_equal(p["W1"], pretrained["W1"]) and p["W1"] is not pretrained["W1"]
    assert p["W2"].shape == (8, 3) and np.array_equal(p["W2"], other.init_params(2)["W2"])
    pk = new_head(pretrained, other, seed=2, n_settings=4)
    assert pk["W1"].shape == (4, 64, 8) and np.all(pk["W1"] == pretrained["W1"])
    assert pk["W2"].shape == (4, 8, 3) and not np.allclose(pk["W2"][0], pk["W2"][1])
    wider = MLP(net.X, net.y, hidden=(9,), batch_size=20)
    with pytest.raises(ValueError, match=r"pretrained\['W1'\] must have shape \(64, 9\)"):
        new_head(pretrained, wider)


def test_sweep_monitors_training_and_validation(digits):
    net, val = digits
    r = sweep(net, val, optimizers.adam, np.array([1e-3, 1e-2]), steps=20, every=5)
    assert np.array_equal(r["steps"], [0, 5, 10, 15, 20])
    assert r["val_acc"].shape == (5, 2) and r["train_acc"].shape == (5, 2)
    assert np.allclose(r["val_loss"][-1], val.loss(r["history"].final))
    assert np.allclose(r["train_acc"][-1], net.accuracy(r["history"].final))
    assert r["history"].loss[-1, 1] < r["history"].loss[-1, 0]


# ---------------------------------------------------------------- the app
@pytest.fixture(scope="module")
def app(digits):
    net, val = digits
    return LRSweepApp(net, val, lrs=np.geomspace(1e-3, 3.0, 6), steps=30, every=10)


def test_every_rate_and_optimizer_renders_silently(app):
    slider, buttons = app.controls["lr"], app.controls["optimizer"]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for name in buttons.options:
            buttons.value = name
            for e in np.linspace(slider.min, slider.max, 8):
                before = app.blit.blits + app.blit.full_draws
                slider.value = 10**e
                assert app.blit.blits + app.blit.full_draws == before + 1
                assert app.optimizer == name and app.lr in app.lrs
                lo, hi = app.ax_l.get_ylim()
                for line in (app.train_line, app.val_line):
                    y = np.asarray(line.get_ydata(), dtype=float)
                    assert np.all(np.isnan(y) | ((y >= lo) & (y <= hi)))


def test_app_shows_the_chosen_run_and_marks_divergence(app):
    app.controls["optimizer"].value = "SGD + momentum 0.9"
    app.controls["lr"].value = 0.01
    r = app.results["SGD + momentum 0.9"]
    k = app.k
    assert app.lr == pytest.approx(app.lrs[k]) and abs(np.log(app.lr / 0.01)) < 0.9
    assert np.allclose(app.train_line.get_ydata(), r["history"].loss[:, k])
    dead = r["history"].diverged
    assert dead.any() and np.allclose(app.val_acc.get_ydata()[~dead], r["val_acc"][-1, ~dead])
    assert np.isnan(app.val_acc.get_ydata()[dead]).all() and np.isnan(app.train_acc.get_ydata()[dead]).all()
    assert np.allclose(app.dead.get_xdata(), app.lrs[dead])           # diverged rates: a cross, no accuracy
    app.controls["lr"].value = 3.0
    assert r["history"].diverged[app.k]
    assert "diverged at step" in app.status.value and len(app.cross.get_xdata()) == 1
    assert "no meaningful accuracy" in app.status.value


# ---------------------------------------------------------------- the checks of assignment 8
def _suggest_lr(lrs, losses):
    lrs, losses = np.asarray(lrs, dtype=float), np.asarray(losses, dtype=float)
    bad = ~np.isfinite(losses)
    stop = int(np.argmax(bad)) if bad.any() else losses.size
    avg, smoothed = 0.0, []
    for i, loss in enumerate(losses[:stop]):
        avg = 0.98 * avg + 0.02 * loss
        smoothed.append(avg / (1 - 0.98 ** (i + 1)))
    return float(lrs[int(np.argmin(smoothed))] / 10)


def _warmup_cosine(t, peak, w, T):
    t = np.asarray(t, dtype=float)
    return np.where(t < w, peak * (t + 1) / w, peak * (1 + np.cos(np.pi * (t - w) / (T - w))) / 2)


def _discriminative(make, lr, names, factor=2.6):
    top = max(int(n[1:]) for n in names)
    return {n: make(lr=lr / factor ** (top - int(n[1:]))) for n in names}


def _todo(*args):
    raise NotImplementedError()


def test_checks_pass_the_reference_answers(capsys):
    ex08.check_suggest_lr(_suggest_lr)
    ex08.check_warmup_cosine(_warmup_cosine)
    ex08.check_discriminative(_discriminative)
    assert capsys.readouterr().out.count("✔") == 3


@pytest.mark.parametrize("check, wrong, hint", [
    (ex08.check_suggest_lr, _todo, "not written yet"),
    (ex08.check_suggest_lr, lambda lrs, l: float(lrs[np.nanargmin(np.where(np.isfinite(l), l, np.nan))] / 10), "Smooth"),
    (ex08.check_suggest_lr, lambda lrs, l: 10 * _suggest_lr(lrs, l), "too high"),
    (ex08.check_warmup_cosine, lambda t, p, w, T: _warmup_cosine(np.asarray(t) - 1, p, w, T), "warmup part"),
    (ex08.check_warmup_cosine, lambda t, p, w, T: np.where(np.asarray(t) < w, p * (np.asarray(t) + 1) / w, p), "decay"),
    (ex08.check_discriminative, lambda m, lr, names, factor=2.6: {n: m(lr=lr) for n in names}, "W2 and W1"),
    (ex08.check_discriminative, lambda m, lr, names, factor=2.6: _discriminative(optimizers.sgd, lr, names, factor),
     "function you were given"),
    (ex08.check_discriminative, lambda m, lr, names, factor=2.0: _discriminative(m, lr, names, factor), "2.6"),
])
def test_checks_reject_wrong_answers_with_a_hint(check, wrong, hint):
    with pytest.raises(AssertionError, match=hint):
        check(wrong)


def _choose_lr(net, steps):
    lrs = np.geomspace(1e-4, 10, 41)
    final = 0.0
    for seed in (0, 1):
        h = lrcourse.run(net, optimizers.sgd(lr=lrs, momentum=0.9), steps, progress=False, loss_every=steps, seed=seed)
        final = final + np.where(np.isfinite(h.loss[-1]), h.loss[-1], np.inf)
    return float(lrs[np.argmin(final)])


def test_choose_lr_check_grades_by_outcome(capsys, monkeypatch):
    ex08.check_choose_lr(_choose_lr)
    monkeypatch.setenv("LRCOURSE_GRADE_SEED", "3")
    ex08.check_choose_lr(_choose_lr, hidden=True)
    assert capsys.readouterr().out.count("✔") == 2
    with pytest.raises(AssertionError, match="Measure instead of guessing"):
        ex08.check_choose_lr(lambda net, steps: 0.1)                  # diverges on the rescaled inputs
    with pytest.raises(AssertionError, match="starting weights"):
        ex08.check_choose_lr(lambda net, steps: (net.x0["W1"].fill(0.0), 0.05)[1])


def test_suggest_lr_check_stops_at_a_nan_and_ignores_what_follows():
    def filtering(lrs, losses):                                        # drops non-finite losses, keeps going
        ok = np.isfinite(losses)
        return _suggest_lr(np.asarray(lrs)[ok], np.asarray(losses)[ok])
    with pytest.raises(AssertionError, match="nan, then 0"):
        ex08.check_suggest_lr(filtering)
