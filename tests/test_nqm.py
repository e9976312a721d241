"""lrcourse.nqm: the noisy quadratic model's expected loss, against a closed form, a Monte Carlo
simulation, and brute-force iteration of the recursion."""
import numpy as np
import pytest

from lrcourse import nqm


def test_sgd_expected_loss_matches_the_closed_form():
    m = nqm.NoisyQuadratic(h=np.array([1.0, 0.3, 0.05]), c=np.array([0.5, 0.2, 0.1]), m0=2.0)
    lr, B, T = 0.4, 4, 30
    got = nqm.expected_loss(m, lr, B, T)
    r = (1 - lr * m.h) ** 2
    floor = lr**2 * m.c / B / (1 - r)
    t = np.arange(T + 1)[:, None]
    want = 0.5 * np.sum(m.h * (floor + r**t * (m.m0 - floor)), axis=1)
    assert np.allclose(got, want, rtol=1e-12)


@pytest.mark.parametrize("momentum, precondition", [(0.0, 0.0), (0.8, 0.0), (0.5, 0.5)])
def test_expected_loss_matches_a_monte_carlo_simulation(momentum, precondition):
    rng = np.random.default_rng(0)
    m = nqm.NoisyQuadratic(h=np.array([1.0, 0.2]), c=np.array([1.0, 0.2]), m0=1.0)
    lr, B, T, n = 0.3, 2, 25, 200_000
    a = lr * m.h ** (-precondition)
    theta = rng.standard_normal((n, 2)) * np.sqrt(m.m0)
    v = np.zeros((n, 2))
    sim = [0.5 * np.mean(np.sum(m.h * theta**2, axis=1))]
    for _ in range(T):
        g = m.h * theta + rng.standard_normal((n, 2)) * np.sqrt(m.c / B)
        v = momentum * v + g
        theta = theta - a * v
        sim.append(0.5 * np.mean(np.sum(m.h * theta**2, axis=1)))
    exact = nqm.expected_loss(m, lr, B, T, momentum=momentum, precondition=precondition)
    assert np.allclose(sim, exact, rtol=0.02)


def test_averaged_loss_matches_a_monte_carlo_simulation():
    """A schedule, a batch size that changes, an EMA and then a uniform tail average."""
    rng = np.random.default_rng(1)
    m = nqm.NoisyQuadratic(h=np.array([1.0, 0.1]), c=np.array([1.0, 0.3]), m0=2.0)
    T, n = 30, 200_000
    lrs, B = np.linspace(0.8, 0.2, T), np.where(np.arange(T) < 15, 2.0, 8.0)
    k = np.arange(1, T + 1)
    w = np.where(k < 10, 0.3, 1.0 / np.maximum(k - 10 + 1, 1))
    theta = rng.standard_normal((n, 2)) * np.sqrt(m.m0)
    avg = theta.copy()
    sim, sim_avg = [], []
    for t in range(T):
        theta = theta - lrs[t] * (m.h * theta + rng.standard_normal((n, 2)) * np.sqrt(m.c / B[t]))
        avg = (1 - w[t]) * avg + w[t] * theta
        sim.append(0.5 * np.mean(np.sum(m.h * theta**2, axis=1)))
        sim_avg.append(0.5 * np.mean(np.sum(m.h * avg**2, axis=1)))
    loss, averaged = nqm.averaged_loss(m, lrs, B, w)
    assert np.allclose(loss, nqm.scheduled_loss(m, lrs, B), rtol=1e-14)
    assert np.allclose(loss[1:], sim, rtol=0.02) and np.allclose(averaged[1:], sim_avg, rtol=0.02)
    tail = np.where(np.arange(1, 201) > 100, 1.0 / np.maximum(np.arange(1, 201) - 100, 1), 0.0)
    const, const_avg = nqm.averaged_loss(m, np.full(200, 0.5), np.full(200, 2.0), tail)
    assert const_avg[-1] < 0.5 * const[-1]  # at a constant rate, the tail average beats the last iterate
    assert np.allclose(nqm.averaged_loss(m, lrs, B, np.ones(T))[1], loss, rtol=1e-14)  # w = 1: no averaging


@pytest.mark.parametrize("momentum, precondition", [(0.0, 0.0), (0.9, 0.0), (0.0, 0.5)])
def test_steps_to_target_equals_brute_force(momentum, precondition):
    m = nqm.NoisyQuadratic.zhang(20)
    lrs, B = np.array([0.02, 0.3, 1.0, 1.9, 2.1]), np.array([1, 8, 64])
    target = 0.05 * m.start_loss
    got = nqm.steps_to_target(m, target, lrs[None, :], B[:, None], momentum=momentum, precondition=precondition,
                              max_steps=4000)
    L = nqm.expected_loss(m, lrs[None, :], B[:, None], 4000, momentum=momentum, precondition=precondition)
    hit = L <= target
    want = np.where(hit.any(0), np.argmax(hit, axis=0).astype(float), np.inf)
    assert np.array_equal(got, want)
    assert np.isfinite(got).sum() >= 3  # the test means something: several settings get there


def test_a_noise_floor_above_the_target_is_never_reached_and_a_start_below_it_takes_zero_steps():
    m = nqm.NoisyQuadratic(h=np.array([1.0]), c=np.array([1.0]))
    floor = 0.5 * 0.5 / (2 - 0.5)  # 1/2 h * lr/(B (2 - lr h)) at lr = 0.5, B = 1
    assert nqm.steps_to_target(m, 0.9 * floor, 0.5, 1) == np.inf
    assert np.isfinite(nqm.steps_to_target(m, 1.1 * floor, 0.5, 1))
    assert nqm.steps_to_target(m, 2 * m.start_loss, 0.5, 1) == 0


def test_zhang_model_shows_perfect_scaling_then_a_critical_batch_pushed_out_by_momentum_and_preconditioning():
    m = nqm.NoisyQuadratic.zhang(100)
    Bs, lrs = 2.0 ** np.arange(0, 15), np.geomspace(1e-3, 4, 40)
    target = 0.01 * m.start_loss
    sgd = nqm.best_steps(m, target, Bs, lrs)
    mom = nqm.best_steps(m, target, Bs, lrs, momentum=0.9)
    pre = nqm.best_steps(m, target, Bs, lrs, precondition=0.5)
    assert 1.8 < sgd.steps[0] / sgd.steps[1] < 2.2 and 1.8 < sgd.steps[2] / sgd.steps[3] < 2.2  # perfect scaling
    assert sgd.steps[-1] == sgd.steps[-2] and sgd.steps[-1] > 50                             # no gain past the knee
    assert abs(mom.steps[0] / sgd.steps[0] - 1) < 0.05      # momentum buys nothing at small batch ...
    assert mom.steps[-1] < 0.75 * sgd.steps[-1]              # ... and fewer steps at large batch
    assert pre.steps[-1] < 0.25 * sgd.steps[-1]              # preconditioning pushes the knee much further
    small = slice(0, 5)
    slope = np.polyfit(np.log(Bs[small]), np.log(sgd.lr[small]), 1)[0]
    assert 0.8 < slope < 1.2                                 # the best SGD rate grows ~ linearly with B at first


@pytest.mark.parametrize("call, match", [
    (lambda: nqm.NoisyQuadratic(h=np.array([1.0, -1.0]), c=np.array([1.0, 1.0])), "h"),
    (lambda: nqm.NoisyQuadratic(h=np.array([1.0]), c=np.array([1.0, 1.0])), "c"),
    (lambda: nqm.NoisyQuadratic.zhang(0), "dim"),
    (lambda: nqm.expected_loss("model", 0.1, 1, 5), "model"),
    (lambda: nqm.expected_loss(nqm.NoisyQuadratic.zhang(3), 0.1, 0.5, 5), "batch_size"),
    (lambda: nqm.expected_loss(nqm.NoisyQuadratic.zhang(3), 0.1, 1, 5, momentum=1.0), "momentum"),
    (lambda: nqm.steps_to_target(nqm.NoisyQuadratic.zhang(3), 0.0, 0.1, 1), "target"),
    (lambda: nqm.steps_to_target(nqm.NoisyQuadratic.zhang(3), 0.1, -0.1, 1), "lr"),
    (lambda: nqm.best_steps(nqm.NoisyQuadratic.zhang(3), 0.1, [[1, 2]], [0.1]), "batch_sizes"),
    (lambda: nqm.averaged_loss(nqm.NoisyQuadratic.zhang(3), [0.1, 0.1], [1, 1], [0.5, 1.5]), "weights"),
    (lambda: nqm.averaged_loss(nqm.NoisyQuadratic.zhang(3), [0.1, 0.1], [1, 1], [0.5]), "weights"),
])
def test_bad_arguments_are_named(call, match):
    with pytest.raises((TypeError, ValueError), match=match):
        call()
