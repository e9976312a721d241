"""A small benchmark of training algorithms in the spirit of AlgoPerf.

AlgoPerf (Dahl et al. 2023, "Benchmarking Neural Network Training Algorithms"; results in
Kasimbeg et al. 2025, "Accelerating neural network training: an analysis of the AlgoPerf
competition") scores a training algorithm by the *time it takes to reach a fixed target* on
each of several workloads, and summarises the scores with *performance profiles* (Dolan & Moré
2002). Externally tuned methods get the same small search budget on every workload; self-tuning
methods get none. This module does the same on four workloads that run in seconds here::

    from lrcourse import benchmark
    result = benchmark.run_benchmark()          # about 4.5 s of CPU
    print(result.table())                       # steps to target, methods x workloads
    rho = result.profile(taus)                  # (methods, len(taus))

**Time** is counted in steps (one gradient evaluation each), not seconds. Armijo's line search
also evaluates the loss at trial points: ``BenchmarkResult.extra_evals`` counts those.

**Workloads** (:func:`workloads`); each has a budget of steps and a target loss:

1. ``quadratic``: a rotated quadratic in 30 dimensions with condition number 1000 and noisy
   gradients (:class:`lrcourse.problems.Noisy`); scored on its exact loss.
2. ``logistic``: logistic regression on the standardised breast-cancer data, full batch;
   scored on the training loss (a convex problem: pure optimisation).
3. ``mlp``: lesson 8's digits MLP (16 hidden units, batches of 32); scored on the
   *validation* cross-entropy (the training loss reaches ~0 here), recorded every 5 steps.
4. ``stream``: linear regression on a stream whose true weights drift (lesson 9); scored on
   the tracking error 1/2 |x_t - w_t|^2 averaged over the last 50 steps (the excess prediction
   loss on the next sample). A method whose step shrinks as if the minimiser stood still
   stops following it.

**Targets.** Each target is the loss that the best *constant-rate* baseline (SGD with momentum
0.9 or Adam, best rate of the grid) has at 65 % of the budget, rounded up to two significant
digits: a tuned baseline reaches it by then at the latest (earlier where the scored loss does not
only fall: the MLP's validation loss rises again at large rates, the stream's error fluctuates).
:func:`calibrate_target` recomputes the stored ``TARGETS`` from the fixed seed 0, and the tests
check that they agree.

**Methods** (:func:`methods`). Externally tuned, each searching the same grid of rates
(:func:`rate_grid`: ``n_rates`` = 9 rates evenly spaced in log from 1e-3 to 10, half a decade
apart): SGD with momentum 0.9 at a constant rate or with cosine decay to 0 at the budget, Adam
at a constant rate or with warmup-stable-decay (5 % warmup, 20 % linear cool-down), and
schedule-free AdamW. All rates of one method run side by side in one call (a (K,) ``lr``;
:func:`lrcourse.run` where it can drive the optimizer). Self-tuning, with the defaults of their
reference implementations and no search: DoG, Prodigy, schedule-free AdamW, SPS and Armijo
(see :func:`methods` for what each uses and why).

**Scores.** For a tuned method the best rate of the grid counts (``times``), as in AlgoPerf's
external-tuning track, which scores the fastest of a fixed number of trials (five per study).
``search_cost`` adds the steps of *every* trial of the search (a trial stops at the target or
at the budget): the price of the tuning, which a self-tuning method does not pay. (AlgoPerf
itself does not add the trials up; it gives self-tuning submissions a longer time budget
instead. Here every method has the same budget.)
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from . import _validate as v
from . import data, models, online, optimizers, problems, schedules, selftuning
from .training import DIVERGENCE_FACTOR, run

__all__ = ["Workload", "Method", "Trial", "BenchmarkResult", "DriftingRegression", "workloads", "methods",
           "rate_grid", "time_to_target", "performance_profile", "run_method", "run_benchmark",
           "calibrate_target", "LR_RANGE", "TARGET_FRACTION", "TARGETS"]

#: The rates every externally tuned method searches: ``n_rates`` of them, log-spaced over this range.
LR_RANGE = (1e-3, 10.0)
#: Targets: the best constant-rate baseline's loss at this fraction of the budget (see calibrate_target).
TARGET_FRACTION = 0.65

_quiet = dict(over="ignore", invalid="ignore", divide="ignore", under="ignore")


# ----------------------------------------------------------------------------- workloads
class DriftingRegression:
    """Linear regression on a stream whose true weights drift: the problem of lesson 9 in d dims.

    At step t the learner sees one sample (a_t, y_t) with a_t ~ N(0, I) and
    y_t = a_t . w_t + noise * N(0, 1); the true weights w_t (``weights``, shape (steps+1, dim))
    are :func:`lrcourse.online.drifting_stream` random walks, one per coordinate, starting at
    ``w0`` (the learner starts at 0). The stream is fixed by ``seed``: every run sees the same one.

    It has a clock: ``stochastic_grad`` (and :meth:`sample`) serve sample t and advance it;
    ``loss(x)`` is the tracking error 1/2 |x - w_t|^2 at the current t, i.e. the expected excess
    loss of x on the next sample; :meth:`reset` sets the clock back to 0 (call it before a run).
    """

    def __init__(self, steps, dim=5, drift=0.02, noise=0.5, w0=1.0, seed=0):
        self.steps = v.integer("steps", steps, 1)
        self.dim = v.integer("dim", dim, 1)
        self.drift = v.number("drift", drift, 0)
        self.noise = v.number("noise", noise, 0, 1e100)       # the bounds of online.drifting_stream
        self.w0 = v.number("w0", w0, -1e100, 1e100)
        self.seed = v.integer("seed", seed, 0)
        theta, _ = online.drifting_stream(self.steps + 1, drift=self.drift, noise=0.0, runs=self.dim,
                                          theta0=self.w0, seed=self.seed)
        self.weights = theta.T                                    # (steps+1, dim): w_0 ... w_steps
        rng = np.random.default_rng(self.seed + 1)
        self.inputs = rng.standard_normal((self.steps, self.dim))
        self.targets = (np.sum(self.inputs * self.weights[:-1], axis=1)
                        + self.noise * rng.standard_normal(self.steps))
        self.x0 = np.zeros(self.dim)
        self.t = 0

    def reset(self):
        """Set the clock back to step 0."""
        self.t = 0

    def _x(self, x):
        return problems._as_x(x, self.dim)

    def loss(self, x):
        """Tracking error 1/2 |x - w_t|^2 at the current step t; shape x.shape[:-1]."""
        with np.errstate(**_quiet):
            return 0.5 * np.sum((self._x(x) - self.weights[self.t]) ** 2, axis=-1)

    def grad(self, x):
        """Gradient of :meth:`loss` (the expected gradient of the next sample's loss)."""
        with np.errstate(**_quiet):
            return self._x(x) - self.weights[self.t]

    def sample(self):
        """Sample t's loss and gradient functions (1/2 (a_t . x - y_t)^2, whose minimum is 0);
        advances the clock."""
        if self.t >= self.steps:
            raise ValueError(f"the stream has only {self.steps} samples; make it with steps >= the run's steps")
        a, y = self.inputs[self.t], self.targets[self.t]
        self.t += 1

        def loss(x):
            with np.errstate(**_quiet):
                return 0.5 * (self._x(x) @ a - y) ** 2

        def grad(x):
            with np.errstate(**_quiet):
                return (self._x(x) @ a - y)[..., None] * a

        return loss, grad

    def stochastic_grad(self, x, rng=None):
        """The gradient of sample t's loss at x (``rng`` is not used: the stream is fixed)."""
        return self.sample()[1](x)

    def __repr__(self):
        return (f"DriftingRegression(steps={self.steps}, dim={self.dim}, drift={self.drift:g}, "
                f"noise={self.noise:g}, w0={self.w0:g}, seed={self.seed})")


class _Validated:
    """A model trained on one data set and scored on another: gradients from ``train``, the
    recorded ``loss`` from ``scored`` (the same model on validation data)."""

    def __init__(self, train, scored):
        self.train, self.scored, self.x0 = train, scored, train.x0

    def loss(self, x):
        return self.scored.loss(x)

    def grad(self, x):
        return self.train.grad(x)

    def stochastic_grad(self, x, rng):
        return self.train.stochastic_grad(x, rng)

    def __repr__(self):
        return f"{self.train!r} scored on {self.scored.n} validation rows"


@dataclass
class Workload:
    """One workload: a problem, a budget of steps and a target loss.

    name : short name (a column of the tables).
    problem : an lrcourse problem or model (``loss``, ``grad``, optionally ``stochastic_grad``,
        ``x0``); ``problem.loss`` is what is scored.
    steps : the budget (number of steps).
    target : the loss to reach (see :func:`calibrate_target`).
    description : one line: what it is and what is scored.
    window : the scored loss is the mean of the last ``window`` recorded losses (1: the loss itself).
    loss_every : record the loss every this many steps (times to target are multiples of it).
    batches_per_epoch : for SPS and Armijo's ``n_batches_per_epoch`` (1 for full batch).
    """

    name: str
    problem: object
    steps: int
    target: float
    description: str
    window: int = 1
    loss_every: int = 1
    batches_per_epoch: int = 1

    def __post_init__(self):
        self.name = v.text("name", self.name)
        if not (callable(getattr(self.problem, "loss", None)) and callable(getattr(self.problem, "grad", None))
                and hasattr(self.problem, "x0")):
            raise TypeError(f"problem must have loss(x), grad(x) and x0 (e.g. lrcourse.problems.parabola()), "
                            f"got {type(self.problem).__name__}")
        self.steps = v.integer("steps", self.steps, 1)
        self.target = v.number("target", self.target)
        self.description = v.text("description", self.description)
        self.window = v.integer("window", self.window, 1)
        self.loss_every = v.integer("loss_every", self.loss_every, 1)
        self.batches_per_epoch = v.integer("batches_per_epoch", self.batches_per_epoch, 1)


#: The stored targets; calibrate_target(workload) recomputes each (tests/test_benchmark.py checks).
#: Regenerate with {w.name: calibrate_target(w) for w in workloads()} after changing a workload.
TARGETS = {"quadratic": 0.0061, "logistic": 0.036, "mlp": 0.21, "stream": 0.046}


def workloads():
    """The four workloads of the benchmark (a list of :class:`Workload`); see the module doc."""
    eig = np.geomspace(1e-3, 1.0, 30)[::-1]                                   # kappa = 1000, L = 1
    quad = problems.Noisy(problems.quadratic(eig, seed=0), sigma=0.02)

    cancer = data.load_breast_cancer()
    logistic = models.LogisticRegression(data.standardize(cancer.X), cancer.y)

    digits = data.load_digits()
    X_train, X_val, y_train, y_val = data.train_val_split(digits.X, digits.y, val_fraction=0.6, seed=0)
    X_train, X_val = data.standardize(X_train, X_val)
    net = models.MLP(X_train, y_train, hidden=(16,), batch_size=32, seed=0)
    mlp = _Validated(net, net.with_data(X_val, y_val))

    stream = DriftingRegression(400, dim=5, drift=0.02, noise=0.5, w0=1.0, seed=0)
    return [
        Workload("quadratic", quad, 300, TARGETS["quadratic"],
                 "rotated quadratic, dim 30, kappa 1000, gradient noise 0.02; exact loss"),
        Workload("logistic", logistic, 300, TARGETS["logistic"],
                 "logistic regression, breast cancer (569 x 30, standardised), full batch; training loss"),
        Workload("mlp", mlp, 300, TARGETS["mlp"],
                 "digits MLP 64-16-10, batches of 32 from 718 images; validation cross-entropy (1079 images)",
                 loss_every=5, batches_per_epoch=math.ceil(net.n / net.batch_size)),
        Workload("stream", stream, 400, TARGETS["stream"],
                 "linear regression, 5 weights drifting (random walk 0.02/step), noise 0.5, one sample "
                 "per step; tracking error over the last 50 steps",
                 window=50, batches_per_epoch=1),
    ]


# ----------------------------------------------------------------------------- methods
@dataclass
class Method:
    """A contestant: ``build(lr, workload)`` returns its optimizer.

    tuned : True for an externally tuned method: ``lr`` is then the (K,) grid of rates and the
        optimizer runs all K side by side; False for a self-tuning one (``lr`` is None).
    """

    name: str
    tuned: bool
    build: object
    description: str

    def __post_init__(self):
        self.name = v.text("name", self.name)
        self.tuned = v.flag("tuned", self.tuned)
        self.build = v.function("build", self.build, "a function (lr, workload) -> optimizer")
        self.description = v.text("description", self.description)


class _Scaled:
    """The schedule ``shape`` (peak 1) times the (K,) rates: a schedule giving (K,) arrays."""

    def __init__(self, rates, shape):
        self.rates, self.shape = rates, shape

    def __call__(self, k):
        return self.rates * self.shape(k)


def _cosine(lr, w):
    return optimizers.sgd(lr=_Scaled(lr, schedules.cosine(1.0, T_max=w.steps)), momentum=0.9)


def _wsd(lr, w):
    shape = schedules.wsd(1.0, total_steps=w.steps, warmup_steps=round(0.05 * w.steps),
                          decay_steps=round(0.2 * w.steps))
    return optimizers.adam(lr=_Scaled(lr, shape))


def methods():
    """The contestants (a list of :class:`Method`).

    Externally tuned (one grid of rates each, see :func:`rate_grid`):

    - ``SGD-m``: SGD with momentum 0.9, constant rate;
    - ``SGD-m cosine``: the same with cosine decay to 0 at the budget (the horizon is known);
    - ``Adam``: Adam (betas 0.9, 0.999), constant rate;
    - ``Adam WSD``: Adam with warmup-stable-decay: 5 % linear warmup, 20 % linear cool-down to 0;
    - ``SF-AdamW tuned``: schedule-free AdamW (no schedule, no horizon), only its rate searched,
      scored at the evaluation point x.

    Self-tuning, no search, the defaults of each reference implementation:

    - ``DoG`` (Ivgi et al. 2023): ``dog()``, c = lr = 1, reps_rel = 1e-6;
    - ``Prodigy`` (Mishchenko & Defazio 2023): ``prodigy()``, lr = 1, d0 = 1e-6;
    - ``SF-AdamW`` (Defazio et al. 2024): ``adamw_schedulefree()``, lr = 0.0025 (the reference's
      default; AlgoPerf's self-tuning track also runs one fixed setting on every workload),
      scored at the evaluation point x, not at the training point y;
    - ``SPS`` (Loizou et al. 2021): ``sps(n_batches_per_epoch=...)``, the reference's default
      "smooth_iter" variant, which assumes f* = 0 for every batch: exact for the quadratic (it
      gets the exact loss with the noisy gradient) and for one sample of the stream, a lower
      bound for the cross-entropies (whose minimum is unknown and > 0 for the full-batch
      logistic regression);
    - ``Armijo`` (Vaswani et al. 2019): ``armijo(n_batches_per_epoch=...)``, backtracking on the
      same batch's loss (its extra loss evaluations are counted apart).
    """
    return [
        Method("SGD-m", True, lambda lr, w: optimizers.sgd(lr=lr, momentum=0.9),
               "SGD, momentum 0.9, constant rate"),
        Method("SGD-m cosine", True, _cosine, "SGD, momentum 0.9, cosine decay to 0 at the budget"),
        Method("Adam", True, lambda lr, w: optimizers.adam(lr=lr), "Adam, constant rate"),
        Method("Adam WSD", True, _wsd, "Adam, warmup 5 %, stable, linear cool-down over the last 20 %"),
        Method("SF-AdamW tuned", True, lambda lr, w: selftuning.adamw_schedulefree(lr=lr),
               "schedule-free AdamW, its rate tuned on the grid, scored at x"),
        Method("DoG", False, lambda lr, w: selftuning.dog(), "DoG, defaults (c = 1)"),
        Method("Prodigy", False, lambda lr, w: selftuning.prodigy(), "Prodigy, defaults (lr = 1)"),
        Method("SF-AdamW", False, lambda lr, w: selftuning.adamw_schedulefree(),
               "schedule-free AdamW, defaults (lr = 0.0025), scored at x"),
        Method("SPS", False, lambda lr, w: selftuning.sps(n_batches_per_epoch=w.batches_per_epoch),
               "stochastic Polyak step, defaults (smooth_iter, f* = 0)"),
        Method("Armijo", False, lambda lr, w: selftuning.armijo(n_batches_per_epoch=w.batches_per_epoch),
               "stochastic Armijo line search, defaults"),
    ]


def rate_grid(n_rates=9, lr_range=LR_RANGE):
    """The rates every tuned method searches: ``np.geomspace(*lr_range, n_rates)``."""
    n_rates = v.integer("n_rates", n_rates, 1)
    low, high = v.interval("lr_range", lr_range, 0, low_open=True)
    return np.geomspace(low, high, n_rates) if n_rates > 1 else np.array([low])


# ----------------------------------------------------------------------------- scoring
def time_to_target(loss, target, loss_steps=None):
    """The first step whose loss is <= ``target``; ``np.inf`` if none.

    loss : (rows,) or (rows, K) recorded losses (K settings side by side); NaN and inf never
        reach the target (a diverged run counts only if it reached the target before).
    target : the loss to reach.
    loss_steps : the step of each row (default ``arange(rows)``), increasing, e.g.
        ``History.loss_steps``.

    Returns a float (one run) or a (K,) array.
    """
    loss = v.array("loss", loss, finite=False)
    if loss.ndim not in (1, 2) or loss.shape[0] == 0:
        raise ValueError(f"loss must have shape (rows,) or (rows, K) with rows >= 1, got shape {loss.shape}")
    target = v.number("target", target)
    if loss_steps is None:
        steps = np.arange(loss.shape[0], dtype=float)
    else:
        steps = v.array("loss_steps", loss_steps, shape=(loss.shape[0],), low=0)
        if np.any(np.diff(steps) <= 0):
            raise ValueError("loss_steps must be increasing")
    with np.errstate(invalid="ignore"):
        hit = loss <= target                              # False for NaN
    first = np.argmax(hit, axis=0)
    out = np.where(np.any(hit, axis=0), steps[first], np.inf)
    return float(out) if loss.ndim == 1 else out


def performance_profile(times, taus):
    """Performance profiles (Dolan & Moré 2002, "Benchmarking optimization software with
    performance profiles").

    times : (methods, workloads) steps to target, ``np.inf`` where a method failed.
    taus : 1-D array of factors >= 1.

    With r[m, w] = times[m, w] / min over methods of times[:, w] (r[:, w] = inf if nobody
    solved w), rho[m, j] is the fraction of workloads with r[m, w] <= taus[j]: the share of
    workloads a method solves within a factor tau of the best. Returns rho, (methods, len(taus)).
    """
    times = v.array("times", times, ndim=2, finite=False)
    if times.shape[0] == 0 or times.shape[1] == 0:
        raise ValueError(f"times must have at least one method and one workload, got shape {times.shape}")
    if np.any(np.isnan(times)) or np.any(times <= 0):
        raise ValueError("times must have every element > 0 (steps) or inf (not solved), got "
                         f"{times[np.isnan(times) | (times <= 0)].flat[0]!r}")
    taus = v.array("taus", taus, ndim=1, low=1, nonempty=True)
    best = times.min(axis=0)                                   # (workloads,)
    with np.errstate(invalid="ignore"):
        r = np.where(np.isinf(best), np.inf, times / best)     # inf / inf would be nan
    return np.mean(r[:, :, None] <= taus, axis=1)


# ----------------------------------------------------------------------------- running
@dataclass
class Trial:
    """One method on one workload: every setting of its grid (K = 1 for a self-tuning method).

    loss : (rows, K) the scored loss (windowed if the workload says so), diverged runs inf.
    loss_steps : (rows,) the step of each row.
    times : (K,) steps to target of each setting.
    rates : (K,) the rates tried, or None (self-tuning).
    extra_evals : (K,) loss evaluations besides one per step (Armijo's line search), else 0.
    """

    loss: np.ndarray
    loss_steps: np.ndarray
    times: np.ndarray
    rates: object
    extra_evals: np.ndarray


def _needs_own_loop(opt):
    return isinstance(opt, (selftuning.SPS, selftuning.SGDScheduleFree))


def _batch(problem, rng):
    """(loss, grad) functions of one batch, drawn by rng as ``stochastic_grad`` would draw it."""
    if isinstance(problem, DriftingRegression):
        return problem.sample()
    if isinstance(problem, _Validated):
        problem = problem.train
    if isinstance(problem, problems.Noisy):
        return problem.loss, lambda x: problem.stochastic_grad(x, rng)   # called once per step
    if hasattr(problem, "_minibatch"):
        idx = problem._minibatch(rng)
        part = problem if idx is None else problem.with_data(problem.X[idx], problem.y[idx])
        return part.loss, part.grad
    if hasattr(problem, "stochastic_grad"):      # a batch whose loss we cannot evaluate
        return None, lambda x: problem.stochastic_grad(x, rng)
    return problem.loss, problem.grad


def _stack(x, K):
    """x (an array or a dict of arrays) with a leading axis of K copies."""
    if isinstance(x, dict):
        return {k: np.broadcast_to(a, (K,) + np.shape(a)).copy() for k, a in x.items()}
    return np.broadcast_to(x, (K,) + np.shape(x)).copy()


def _finite(x, K):
    leaves = x.values() if isinstance(x, dict) else [x]
    ok = np.ones(K, dtype=bool)
    for a in leaves:
        ok &= np.isfinite(a).reshape(K, -1).all(axis=1)
    return ok


def _own_loop(workload, opt, seed):
    """Train with an optimizer :func:`lrcourse.run` cannot drive: SPS and Armijo get the batch
    loss (and a closure), schedule-free is scored at its evaluation point x = eval_params.
    Returns (loss (rows, K), loss_steps, extra evaluations (K,))."""
    problem, steps, every = workload.problem, workload.steps, workload.loss_every
    K = opt.n_settings or 1
    x = problem.x0 if opt.n_settings is None else _stack(problem.x0, K)
    state = opt.init(x)
    rng = np.random.default_rng(seed)
    rows = list(range(0, steps + 1, every)) + ([steps] if steps % every else [])
    losses = np.empty((len(rows), K))
    losses[0] = problem.loss(x)
    limit = DIVERGENCE_FACTOR * np.maximum(np.abs(losses[0]), 1e-12)
    dead = np.zeros(K, dtype=bool)
    row = 1
    with np.errstate(**_quiet):
        for t in range(steps):
            f, g = _batch(problem, rng)
            if f is None and isinstance(opt, selftuning.SPS):
                raise TypeError(f"{opt.name} needs the loss of each batch, which the benchmark cannot "
                                f"evaluate for a {type(problem).__name__}")
            x, state = selftuning._step_with(opt, x, state, f, g)
            if row < len(rows) and t + 1 == rows[row]:
                point = selftuning._evaluation_point(opt, x, state)
                loss = np.reshape(problem.loss(point), K)
                dead |= ~(np.abs(loss) <= limit) | ~_finite(point, K)
                losses[row] = np.where(dead, np.inf, loss)
                row += 1
    extra = np.reshape(state.get("n_evals", np.zeros(K)), K).astype(float)
    return losses, np.array(rows), extra


def _windowed(loss, window):
    """The mean of the last ``window`` rows (fewer at the start), column by column."""
    if window == 1:
        return loss
    with np.errstate(**_quiet):
        c = np.cumsum(loss, axis=0)
        c = np.concatenate([np.zeros((1,) + loss.shape[1:]), c])
        n = np.arange(1, loss.shape[0] + 1)
        lo = np.maximum(n - window, 0)
        out = (c[n] - c[lo]) / (n - lo)[:, None]
    return np.where(np.isnan(out), np.inf, out)


def run_method(workload, method, rates=None, seed=0):
    """Run one method on one workload: all ``rates`` at once for a tuned method (default the
    grid of :func:`rate_grid`), one run for a self-tuning one. Returns a :class:`Trial`."""
    if not isinstance(workload, Workload):
        raise TypeError(f"workload must be a benchmark.Workload, got {type(workload).__name__}")
    if not isinstance(method, Method):
        raise TypeError(f"method must be a benchmark.Method, got {type(method).__name__}")
    seed = v.integer("seed", seed, 0)
    if method.tuned:
        rates = rate_grid() if rates is None else np.atleast_1d(v.hyper("rates", rates, 0, low_open=True))
        opt = method.build(rates, workload)
    else:
        if rates is not None:
            raise ValueError(f"rates must be None for the self-tuning method {method.name!r}")
        opt = method.build(None, workload)
    if hasattr(workload.problem, "reset"):
        workload.problem.reset()
    if _needs_own_loop(opt):
        loss, loss_steps, extra = _own_loop(workload, opt, seed)
    else:
        h = run(workload.problem, opt, workload.steps, seed=seed, keep_params=False, progress=False,
                loss_every=workload.loss_every)
        loss, loss_steps = h.loss.reshape(h.loss.shape[0], -1), h.loss_steps
        extra = np.zeros(loss.shape[1])
    loss = _windowed(loss, workload.window)
    times = np.atleast_1d(time_to_target(loss, workload.target, loss_steps))
    return Trial(loss, np.asarray(loss_steps), times, rates, extra)


@dataclass
class BenchmarkResult:
    """What :func:`run_benchmark` measured. Rows follow ``methods``, columns ``workloads``.

    times : (M, W) steps to target, for a tuned method with the best rate of the grid; inf: failed.
    search_cost : (M, W) steps of every trial, each stopped at the target or the budget
        (= times for a self-tuning method that reached it, the budget if it did not).
    best_lr : (M, W) the rate that gave ``times`` (NaN for self-tuning methods or when no rate
        reached the target).
    extra_evals : (M, W) loss evaluations besides the steps (Armijo), of the run that counts.
    final_loss : (M, W) the scored loss at the budget of the run that counts (how close a
        method that failed came: compare with ``targets``).
    curves : {(method, workload): (loss_steps, loss)} the scored loss of the run that counts
        (the best rate; if none reached the target, the one with the lowest final loss).
    trials : {(method, workload): Trial} everything.
    grid : the rates every tuned method searched.
    """

    methods: list
    workloads: list
    tuned: np.ndarray
    times: np.ndarray
    search_cost: np.ndarray
    best_lr: np.ndarray
    extra_evals: np.ndarray
    final_loss: np.ndarray
    budgets: np.ndarray
    targets: np.ndarray
    grid: np.ndarray
    curves: dict = field(repr=False)
    trials: dict = field(repr=False)

    def profile(self, taus, charge_search=False):
        """Performance profiles (see :func:`performance_profile`) of ``times``, or of
        ``search_cost`` with ``charge_search=True``; shape (methods, len(taus))."""
        charge_search = v.flag("charge_search", charge_search)
        return performance_profile(self.search_cost if charge_search else self.times, taus)

    def winners(self, charge_search=False):
        """{workload: [the methods with the fewest steps to target]} ([] if nobody reached it)."""
        charge_search = v.flag("charge_search", charge_search)
        values = self.search_cost if charge_search else self.times
        return {w: [m for m, t in zip(self.methods, col) if np.isfinite(t) and t == col.min()]
                for w, col in zip(self.workloads, values.T)}

    def table(self, charge_search=False):
        """The table of steps to target as text ("-" where the target was not reached)."""
        charge_search = v.flag("charge_search", charge_search)
        values = self.search_cost if charge_search else self.times
        width = max(len(m) for m in self.methods) + 2
        lines = [" " * width + "".join(f"{w:>11s}" for w in self.workloads)]
        lines.append(" " * width + "".join(f"{f'({int(b)})':>11s}" for b in self.budgets))
        for m, row in zip(self.methods, values):
            lines.append(f"{m:<{width}s}" + "".join(f"{'-' if np.isinf(t) else int(t):>11}" for t in row))
        return "\n".join(lines)


def run_benchmark(workloads=None, methods=None, n_rates=9, seed=0):
    """Run every method on every workload and score it (see the module doc).

    workloads : list of :class:`Workload` (default :func:`workloads`).
    methods : list of :class:`Method` (default :func:`methods`).
    n_rates : the size of the grid every tuned method searches (:func:`rate_grid`).
    seed : seeds the batches and the gradient noise (the same for every method).

    Returns a :class:`BenchmarkResult`.
    """
    wls = _default_workloads() if workloads is None else _items("workloads", workloads, Workload)
    mets = _default_methods() if methods is None else _items("methods", methods, Method)
    grid = rate_grid(n_rates)
    seed = v.integer("seed", seed, 0)
    M, W = len(mets), len(wls)
    times, cost, best_lr, extra, final = (np.full((M, W), np.nan) for _ in range(5))
    curves, trials = {}, {}
    for i, m in enumerate(mets):
        for j, w in enumerate(wls):
            trial = run_method(w, m, grid if m.tuned else None, seed)
            trials[m.name, w.name] = trial
            k = int(np.argmin(trial.times))
            if np.isinf(trial.times[k]):
                k = int(np.argmin(np.where(np.isfinite(trial.loss[-1]), trial.loss[-1], np.inf)))
            times[i, j] = trial.times[k]
            cost[i, j] = np.sum(np.minimum(trial.times, w.steps)) if np.isfinite(trial.times).any() else np.inf
            if m.tuned and np.isfinite(trial.times[k]):
                best_lr[i, j] = grid[k]
            extra[i, j] = trial.extra_evals[k]
            final[i, j] = trial.loss[-1, k]
            curves[m.name, w.name] = (trial.loss_steps, trial.loss[:, k])
    return BenchmarkResult([m.name for m in mets], [w.name for w in wls], np.array([m.tuned for m in mets]),
                           times, cost, best_lr, extra, final, np.array([w.steps for w in wls]),
                           np.array([w.target for w in wls]), grid, curves, trials)


_default_workloads, _default_methods = workloads, methods  # run_benchmark's arguments hide the names


def _items(name, values, cls):
    if isinstance(values, (str, bytes, dict)) or not hasattr(values, "__iter__"):
        raise TypeError(f"{name} must be a list of benchmark.{cls.__name__}, got {type(values).__name__}")
    values = list(values)
    if not values:
        raise ValueError(f"{name} must not be empty")
    for i, item in enumerate(values):
        if not isinstance(item, cls):
            raise TypeError(f"{name}[{i}] must be a benchmark.{cls.__name__}, got {type(item).__name__}")
    names = [item.name for item in values]
    if len(set(names)) != len(names):
        raise ValueError(f"{name} must have distinct names, got {names}")
    return values


def calibrate_target(workload, fraction=TARGET_FRACTION, n_rates=9, seed=0):
    """The target of ``workload``, recomputed from ``seed``: the scored loss of the best constant-rate
    baseline at ``fraction`` of the budget, rounded *up* to two significant digits.

    The baselines are SGD with momentum 0.9 and Adam, each at every rate of :func:`rate_grid`
    (``n_rates``); the loss is read at the last recorded step <= ``fraction * steps``, and the
    lowest over the two grids is rounded up, so that this baseline reaches the target within
    that fraction of the budget."""
    if not isinstance(workload, Workload):
        raise TypeError(f"workload must be a benchmark.Workload, got {type(workload).__name__}")
    fraction = v.number("fraction", fraction, 0, 1, low_open=True)
    best = np.inf
    for m in [m for m in methods() if m.name in ("SGD-m", "Adam")]:     # constant rates
        trial = run_method(workload, m, rate_grid(n_rates), seed)
        row = np.flatnonzero(trial.loss_steps <= fraction * workload.steps)[-1]
        best = min(best, float(np.min(trial.loss[row])))        # inf (diverged) never wins
    if not np.isfinite(best) or best <= 0:
        raise ValueError(f"workload {workload.name!r} has no finite positive loss to calibrate on, got {best!r}")
    scale = 10.0 ** (math.floor(math.log10(best)) - 1)
    return math.ceil(best / scale - 1e-9) * scale
