"""Lesson 4's tools and app (lrcourse.widgets.schedules) and the checks of assignment 4."""
import warnings

import numpy as np
import pytest

import lrcourse
from lrcourse import data, models, optimizers, problems, schedules
from lrcourse.checks import ex03, ex04
from lrcourse.widgets import schedules as W

# torch 2.13.0 param_groups[0]["momentum"] after k scheduler steps (SGD created with momentum 0)
GOLDEN_ONE_CYCLE = [0.95, 0.9177302443521267, 0.8625744625914449, 0.8505584586887436, 0.856698729810778,
                    0.8688255099070633, 0.8852622412794547, 0.9037365046793212, 0.9216941869558779,
                    0.9366525935914912, 0.9465436874322102, 0.95]             # OneCycleLR(max_lr=1, total_steps=12)
GOLDEN_ONE_CYCLE_3 = [0.95, 0.9, 0.85, 0.9, 0.95, 0.95, 0.95, 0.95, 0.95, 0.95, 0.95, 0.95]
# ... (total_steps=12, pct_start=0.25, anneal_strategy="linear", three_phase=True)
GOLDEN_CYCLIC = [0.9, 0.8666666666666667, 0.8333333333333334, 0.8, 0.85, 0.9, 0.8833333333333333,
                 0.8666666666666667, 0.85, 0.875, 0.9, 0.8916666666666667]
# ... CyclicLR(base_lr=0.1, max_lr=1, step_size_up=3, step_size_down=2, mode="triangular2")


@pytest.fixture(autouse=True)
def _close_figures():
    """Apps make pyplot figures: close them, so no 'too many figures' warning reaches a strict test."""
    import matplotlib.pyplot as plt

    plt.close("all")
    yield
    plt.close("all")


# ------------------------------------------------------------------ stack
def test_stack_gives_each_schedule_side_by_side():
    ss = [schedules.cosine(1.0, 10), schedules.step(0.5, 3), schedules.constant(0.2)]
    st = W.stack(ss, steps=8)
    for t in (0, 5, 7, 8, 25):                         # inside and beyond the table
        assert np.allclose(st(t), [s(t) for s in ss])
    assert st(np.arange(12)).shape == (3, 12)
    assert np.allclose(st(np.arange(12))[1], ss[1](np.arange(12)))
    with pytest.raises(TypeError, match="schedules"):
        W.stack(schedules.constant(1.0))
    with pytest.raises(ValueError, match="schedules"):
        W.stack([])
    with pytest.raises(TypeError, match=r"schedules\[1\]"):
        W.stack([schedules.constant(1.0), 0.3])


def test_stacked_race_equals_separate_runs():
    ds = data.load_breast_cancer()
    model = models.LogisticRegression(data.standardize(ds.X), ds.y, batch_size=16, l2=0.1)
    ss = [schedules.cosine(1.0, 30), schedules.constant(0.3)]
    h = lrcourse.run(model, optimizers.sgd(lr=W.stack(ss, 30)), 30, seed=4)
    assert h.lr.shape == (30, 2)
    for k, s in enumerate(ss):
        alone = lrcourse.run(model, optimizers.sgd(lr=s), 30, seed=4)
        assert np.allclose(h.loss[:, k], alone.loss)


# ------------------------------------------------------------------ ReduceLROnPlateau
def test_run_with_plateau_matches_a_manual_loop():
    quad = problems.Noisy(problems.quadratic([1.0, 0.1], x0=[2.0, 2.0]), 0.3)
    h = W.run_with_plateau(quad, schedules.ReduceLROnPlateau(0.8, factor=0.5, patience=1), 95, 10, seed=3)
    assert h.loss.shape == (96,) and h.lr.shape == (95,) and h.diverged_at == -1
    p, x, losses, lrs = schedules.ReduceLROnPlateau(0.8, factor=0.5, patience=1), quad.x0, [quad.loss(quad.x0)], []
    for epoch in range(10):
        n = min(10, 95 - 10 * epoch)
        run = lrcourse.run(quad, optimizers.sgd(lr=p.lr), n, x0=x, seed=3 + epoch)
        losses += list(run.loss[1:])
        lrs += [p.lr] * n
        p.step(float(np.mean(run.loss[1:])))
        x = run.final
    assert np.allclose(h.loss, losses) and np.allclose(h.lr, lrs)
    assert np.all(np.diff(h.lr) <= 0) and h.lr[-1] < 0.8


def test_run_with_plateau_diverges_quietly_and_validates():
    quad = problems.Noisy(problems.quadratic([1.0, 0.1], x0=[2.0, 2.0]), 0.3)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        h = W.run_with_plateau(quad, schedules.ReduceLROnPlateau(2.5), 50, 10)
    assert h.diverged_at > 0 and np.isinf(h.loss[-1]) and h.loss.shape == (51,) and h.lr.shape == (50,)
    with pytest.raises(TypeError, match="plateau"):
        W.run_with_plateau(quad, schedules.constant(0.1), 10, 2)
    with pytest.raises(ValueError, match="epoch_len"):
        W.run_with_plateau(quad, schedules.ReduceLROnPlateau(0.1), 10, 0)


# ------------------------------------------------------------------ torch's momentum
def test_torch_momentum_matches_torch_golden_values():
    t = np.arange(12)
    assert np.allclose(W.torch_momentum(schedules.one_cycle(1.0, 12), t), GOLDEN_ONE_CYCLE, atol=1e-12)
    oc3 = schedules.one_cycle(1.0, 12, pct_start=0.25, anneal_strategy="linear", three_phase=True)
    assert np.allclose(W.torch_momentum(oc3, t), GOLDEN_ONE_CYCLE_3, atol=1e-12)
    cy = schedules.cyclic(0.1, 1.0, step_size_up=3, step_size_down=2, mode="triangular2")
    assert np.allclose(W.torch_momentum(cy, t), GOLDEN_CYCLIC, atol=1e-12)
    assert W.torch_momentum(schedules.one_cycle(1.0, 12), 3) == pytest.approx(GOLDEN_ONE_CYCLE[3])
    assert np.allclose(ex04._torch_one_cycle_momentum(t, 12, 0.3), GOLDEN_ONE_CYCLE, atol=1e-12)


def test_torch_momentum_live():
    torch = pytest.importorskip("torch")
    cases = [(schedules.one_cycle(2.0, 50, pct_start=0.4), torch.optim.lr_scheduler.OneCycleLR,
              dict(max_lr=2.0, total_steps=50, pct_start=0.4)),
             (schedules.cyclic(0.01, 0.5, 7, mode="exp_range", gamma=0.97), torch.optim.lr_scheduler.CyclicLR,
              dict(base_lr=0.01, max_lr=0.5, step_size_up=7, mode="exp_range", gamma=0.97))]
    for ours, cls, kw in cases:
        p = torch.nn.Parameter(torch.zeros(1))
        opt = torch.optim.SGD([p], lr=0.1)
        sched = cls(opt, **kw)
        seen = []
        for k in range(49):
            seen.append(opt.param_groups[0]["momentum"])
            opt.step()
            sched.step()
        assert np.allclose(W.torch_momentum(ours, np.arange(49)), seen, atol=1e-12)
        if isinstance(ours, schedules.one_cycle):
            assert np.allclose(ex04._torch_one_cycle_momentum(np.arange(49), 50, 0.4), seen, atol=1e-12)


def test_torch_momentum_validates():
    with pytest.raises(TypeError, match="schedule"):
        W.torch_momentum(schedules.cosine(1.0, 10), 3)
    with pytest.raises(ValueError, match="base_momentum"):
        W.torch_momentum(schedules.one_cycle(1.0, 10), 3, base_momentum=-0.1)


# ------------------------------------------------------------------ SGD on the noisy quadratic
def test_quadratic_sgd_is_lrcourse_run():
    rates = schedules.one_cycle(1.2, 80)(np.arange(80))
    expected, sample, used = W.quadratic_sgd(rates, [1.0, 0.05], 0.4, [1.5, -2.0], seed=9)
    quad = problems.Noisy(problems.quadratic([1.0, 0.05], x0=[1.5, -2.0]), 0.4)
    h = lrcourse.run(quad, optimizers.sgd(lr=lambda k: rates[k]), 80, seed=9)
    assert np.allclose(sample, h.loss, rtol=1e-12, atol=1e-15) and np.array_equal(used, rates)
    many = lrcourse.run(quad, optimizers.sgd(lr=lambda k: np.full(3000, rates[k])), 80, seed=2)
    assert np.allclose(many.loss.mean(axis=1), expected, rtol=0.08)


def test_quadratic_sgd_expected_loss_closed_form_and_divergence():
    L, sigma, lr = 2.0, 0.5, 0.6                        # the floor lr sigma^2 / (2 (2 - lr L)) of assignment 3
    expected, _, _ = W.quadratic_sgd(np.full(200, lr), [L], sigma, [0.0])
    assert expected[-1] == pytest.approx(lr * sigma**2 / (2 * (2 - lr * L)), rel=1e-12)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        expected, sample, _ = W.quadratic_sgd(np.full(2000, 2.5), [1.0, 0.1], 0.3, [2.0, 2.0])
    assert np.isinf(expected[-1]) and np.isinf(sample[-1])


def test_quadratic_sgd_with_plateau_is_consistent():
    p = schedules.ReduceLROnPlateau(1.0, factor=0.5, patience=2)
    expected, sample, rates = W.quadratic_sgd(p, [1.0, 0.1], 0.3, [2.0, 2.0], steps=200, epoch_len=10)
    assert rates.shape == (200,) and np.all(np.diff(rates) <= 0) and rates[-1] < 1.0
    again = W.quadratic_sgd(rates, [1.0, 0.1], 0.3, [2.0, 2.0])
    assert np.allclose(again[0], expected) and np.allclose(again[1], sample)
    changes = np.flatnonzero(np.diff(rates)) + 1
    assert np.all(changes % 10 == 0)                    # the rate only changes at epoch boundaries
    with pytest.raises(ValueError, match="x0"):
        W.quadratic_sgd([0.1], [1.0, 2.0], 0.3, [1.0])
    with pytest.raises(ValueError, match="lr"):
        W.quadratic_sgd(np.ones((2, 2)), [1.0], 0.3, [1.0])


# ------------------------------------------------------------------ the builder
def _values_to_try(widget):
    import ipywidgets as w

    if isinstance(widget, w.Dropdown):
        return list(widget.options)
    if isinstance(widget, w.Checkbox):
        return [True, False]
    if isinstance(widget, w.FloatLogSlider):               # min and max are exponents of 10
        return [10.0**widget.min, 10 ** ((widget.min + widget.max) / 2), 10.0**widget.max]
    return [widget.min, (widget.min + widget.max) / 2, widget.max]


@pytest.fixture
def builder():
    app = W.ScheduleBuilderApp(steps=60, lr=0.5)
    app.fig.canvas.draw()
    return app


def test_builder_shows_cyclic_gamma_only_where_it_acts(builder):
    app = builder
    app.controls["schedule"].value = "cyclic"
    decay, mode = app.controls["decay"], app.controls["mode"]
    for m in ("triangular", "triangular2", "exp_range"):
        mode.value = m
        assert (decay.layout.display != "none") == (m == "exp_range")
    before = app.rate_line.get_ydata().copy()
    decay.value = 0.95 if decay.value != 0.95 else 0.96
    assert not np.allclose(app.rate_line.get_ydata(), before)  # in exp_range gamma changes the rates
    mode.value = "triangular"


def test_builder_every_schedule_at_every_slider_extreme(builder):
    app = builder
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for name, (params, _) in W.SCHEDULES.items():
            app.controls["schedule"].value = name
            shown = {k for k, c in app.controls.items() if c.layout.display != "none"}
            inert = {"decay"} if name == "cyclic" and app.controls["mode"].value != "exp_range" else set()
            assert shown == set(params) - inert | {"schedule"}
            for param in params:
                widget = app.controls[param]
                start = widget.value
                for value in _values_to_try(widget):
                    widget.value = type(start)(value) if not isinstance(start, str) else value
                    status = app.status.value
                    assert name in status
                    rates = app.rate_line.get_ydata()
                    if "must" in status:                   # a combination the schedule rejects: said, not raised
                        continue
                    assert len(rates) == app.steps and np.all(np.isfinite(rates))
                    if name != "plateau":
                        want = W.build_schedule(name, app.steps, app.values())(np.arange(app.steps))
                        assert np.allclose(rates, np.minimum(want, 1.05 * app.lr_max))
                    assert ("diverged" in status) == (len(app.cross.get_xdata()) == 1)
                widget.value = start
    assert app.blit.blits > 0


def test_builder_marks_divergence_and_rejected_parameters(builder):
    app = builder
    app.controls["schedule"].value = "constant"
    app.controls["lr"].value = app.lr_max                   # 3 > 2/L
    assert "diverged" in app.status.value and len(app.cross.get_xdata()) == 1
    app.controls["lr"].value = 0.5
    assert "diverged" not in app.status.value and len(app.cross.get_xdata()) == 0
    assert np.allclose(app.expected, app._reference[1])     # constant: the same as its reference curve
    app.controls["schedule"].value = "wsd"
    app.controls["warmup_steps"].value = 50
    app.controls["decay_steps"].value = 50                  # 50 + 50 > 60 steps
    assert "warmup_steps + decay_steps" in app.status.value
    app.controls["warmup_steps"].value = 5
    assert "expected final loss" in app.status.value


def test_builder_validates():
    with pytest.raises(ValueError, match="schedule"):
        W.ScheduleBuilderApp(schedule="triangle")
    with pytest.raises(ValueError, match="eigenvalues"):
        W.ScheduleBuilderApp(eigenvalues=(1.0, -1.0))
    with pytest.raises(ValueError, match="lr"):
        W.ScheduleBuilderApp(lr=10.0, lr_max=3.0)
    with pytest.raises(ValueError, match="name"):
        W.build_schedule("nope", 10, {"lr": 0.1})


# ------------------------------------------------------------------ the checks of assignments 3 and 4
def _fails(check, answer):
    with pytest.raises(AssertionError):
        check(answer)


def _not_written(*args):
    raise NotImplementedError()


def test_ex03_checks():
    ex03.check_noise_floor(lambda lr, L, s: lr * s**2 / (2 * (2 - lr * L)))
    _fails(ex03.check_noise_floor, _not_written)
    _fails(ex03.check_noise_floor, lambda lr, L, s: lr * s**2 / 4)
    _fails(ex03.check_noise_floor, lambda lr, L, s: lr * s**2 / (2 - lr * L))
    ex03.check_minibatch_noise(lambda G, B: np.mean(np.sum((G - G.mean(0)) ** 2, 1)) / B * (len(G) - B) / (len(G) - 1))
    _fails(ex03.check_minibatch_noise, _not_written)
    _fails(ex03.check_minibatch_noise, lambda G, B: np.mean(np.sum((G - G.mean(0)) ** 2, 1)) / B)

    def goyal(epoch, B):
        target = 0.1 * B / 256
        return 0.1 + (target - 0.1) * epoch / 5 if epoch < 5 else target * 0.1 ** sum(epoch >= m for m in (30, 60, 80))

    ex03.check_goyal_lr(goyal)
    _fails(ex03.check_goyal_lr, _not_written)
    _fails(ex03.check_goyal_lr, lambda epoch, B: 0.1 * B / 256)
    _fails(ex03.check_goyal_lr, lambda epoch, B: goyal(epoch, B) if epoch < 5 else 0.1 * B / 256)
    ex03.check_robbins_monro({"b", "f"})
    ex03.check_robbins_monro("b, f")
    for wrong in ({"b"}, {"b", "c", "f"}, set(), None, {"z"}):
        _fails(ex03.check_robbins_monro, wrong)


def test_ex04_checks():
    cos = lambda t, lr, T, m=0.0: m + (lr - m) * (1 + np.cos(np.pi * np.asarray(t) / T)) / 2
    ex04.check_cosine_lr(cos)
    _fails(ex04.check_cosine_lr, _not_written)
    _fails(ex04.check_cosine_lr, lambda t, lr, T, m=0.0: np.where(np.asarray(t) <= T, cos(t, lr, T, m), m))

    def warm(t, p, w, T):
        t = np.asarray(t, float)
        return np.where(t < w, p * t / w, p * (1 + np.cos(np.pi * (t - w) / (T - w))) / 2)

    ex04.check_warmup_cosine(warm)
    _fails(ex04.check_warmup_cosine, _not_written)
    _fails(ex04.check_warmup_cosine, lambda t, p, w, T: np.where(np.asarray(t) < w, p * np.asarray(t) / w, cos(t, p, T)))
    ex04.check_milestones([100])
    ex04.check_milestones((80, 290))
    for bad in ([], [5], [280], [100, 200, 250, 290], [-1], "100", [100.5]):
        _fails(ex04.check_milestones, bad)
    ex04.check_one_cycle_momentum(lambda t, T, p: ex04._torch_one_cycle_momentum(t, T, p))
    _fails(ex04.check_one_cycle_momentum, _not_written)
    _fails(ex04.check_one_cycle_momentum, lambda t, T, p: np.full(np.shape(t), 0.9))


def test_expected_final_loss_is_the_exact_recursion():
    rates = schedules.multistep(1.0, [100], 0.1)(np.arange(300))
    expected, _, _ = W.quadratic_sgd(rates, [1.0, 0.02], 0.3, [3.0, 3.0])
    assert ex04.expected_final_loss(rates) == pytest.approx(expected[-1], rel=1e-12)
    assert ex04.expected_final_loss(np.ones(300)) == pytest.approx(0.0677, abs=1e-4)   # the prompt's 0.068


# ------------------------------------------------------------------ the race and the grid
def test_race_scores_each_schedule_like_its_own_run():
    ds = data.load_breast_cancer()
    quad = models.LogisticRegression(data.standardize(ds.X), ds.y, batch_size=16, l2=0.1)   # shared minibatches
    racers = {"cosine": schedules.cosine(0.5, 40), "constant": schedules.constant(0.5)}
    names, scores = W.race(quad, racers, 40, seeds=(0, 3), last=5, epoch_len=10,
                           plateau=lambda: schedules.ReduceLROnPlateau(0.5, patience=0))
    assert names == ["cosine", "constant", "ReduceLROnPlateau"] and scores.shape == (2, 3)
    alone = lrcourse.run(quad, optimizers.sgd(lr=racers["cosine"]), 40, seed=3)
    assert scores[1, 0] == pytest.approx(alone.loss[-5:].mean())
    p = W.run_with_plateau(quad, schedules.ReduceLROnPlateau(0.5, patience=0), 40, 10, seed=0)
    assert scores[0, 2] == pytest.approx(p.loss[-5:].mean())
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots()
    order = W.race_plot(ax, names, scores)
    assert sorted(order) == [0, 1, 2] and scores.mean(axis=0)[order[0]] == scores.mean(axis=0).min()
    assert [t.get_text() for t in ax.get_yticklabels()] == [names[i] for i in order]
    with pytest.raises(TypeError, match="racers"):
        W.race(quad, [schedules.constant(0.1)], 10)


def test_schedule_grid_has_one_panel_per_schedule():
    rates = {f"s{i}": np.linspace(1, 0, 20) * (i + 1) for i in range(7)}
    fig = W.schedule_grid(rates, ncols=3)
    visible = [ax for ax in fig.axes if ax.axison]
    assert len(fig.axes) == 9 and len(visible) == 7
    assert [ax.get_title() for ax in visible] == list(rates)
    assert np.allclose(visible[2].lines[0].get_ydata(), rates["s2"])


def test_builder_does_not_call_a_recovered_excursion_divergence():
    """Cyclic with a peak of 2.5 > 2/L: the loss jumps out of the frame, then comes back (review finding)."""
    app = W.ScheduleBuilderApp(schedule="cyclic", steps=200, lr=0.5)
    app.controls["lr"].value = 2.5                                  # the peak of the triangles
    assert np.isfinite(app.sample[-1]) and app.sample[-1] < app.ax_loss.get_ylim()[1]
    assert np.any(app.sample > app.ax_loss.get_ylim()[1])             # it did leave the frame
    assert "diverged" not in app.status.value and "came back" in app.status.value
    assert len(app.cross.get_xdata()) == 0 and f"{app.expected[-1]:.2e}" in app.status.value


def test_race_plot_draws_no_bars_on_its_log_axis():
    import matplotlib.pyplot as plt

    scores = np.array([[1e-3, 2e-2, 5e-4], [2e-3, 1e-2, 4e-4]])
    fig, ax = plt.subplots()
    order = W.race_plot(ax, ["a", "b", "c"], scores)
    assert list(order) == [2, 0, 1] and len(ax.patches) == 0 and ax.get_xscale() == "log"
    mean_line = [line for line in ax.lines if line.get_marker() == "o"][0]
    assert np.allclose(mean_line.get_xdata(), scores.mean(axis=0)[order])
    plt.close(fig)
