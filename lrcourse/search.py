"""Choosing a learning rate: the LR range test, grid and random search, successive halving,
Hyperband and a small Bayesian optimiser (lesson 7).

Every method here evaluates an *objective*: a function you write that trains with the given
hyperparameters and returns a loss to minimise (lower is better). Objectives receive a
whole batch of settings at once, as a dict ``{name: (K,) array}``, so that one call of
:func:`lrcourse.run` with array hyperparameters trains all K settings side by side;
:func:`training_objective` builds such an objective from a problem and an optimizer.

* :func:`lr_range_test` -- Smith (2017)'s range test as fastai runs it: one short run whose
  rate grows exponentially, a smoothed loss, a stop on blow-up, suggested rates.
* :func:`grid_search`, :func:`random_search` -- Bergstra & Bengio (2012).
* :func:`hyperband_schedule`, :func:`successive_halving`, :func:`hyperband` -- Li et al.
  (2017): bandit methods that stop poor settings early; not Bayesian.
* :func:`gp_posterior`, :func:`expected_improvement`, :func:`bayes_opt` -- a Gaussian process
  with expected improvement over log10(lr) (Snoek, Larochelle & Adams 2012).

Diverged settings are results, not errors: a non-finite objective value counts as ``inf``.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from . import _validate as v
from . import optimizers as _optimizers
from . import schedules
from .training import run

__all__ = [
    "RangeTest", "lr_range_test", "exponential_sweep", "smooth_losses",
    "steepest", "valley", "minimum",
    "training_objective", "sample_space", "grid_points",
    "SearchResult", "grid_search", "random_search",
    "hyperband_schedule", "Bracket", "successive_halving", "HyperbandResult", "hyperband",
    "rbf_kernel", "gp_posterior", "log_marginal_likelihood", "normal_cdf", "expected_improvement",
    "BayesResult", "bayes_opt",
]

_quiet = dict(over="ignore", invalid="ignore", divide="ignore", under="ignore")


def _problem(name, problem):
    """Check that ``problem`` has loss(x), grad(x) and x0 (see lrcourse.problems)."""
    if not (callable(getattr(problem, "loss", None)) and callable(getattr(problem, "grad", None))
            and hasattr(problem, "x0")):
        raise TypeError(f"{name} must be a problem with loss(x), grad(x) and x0 (see lrcourse.problems), "
                        f"got {type(problem).__name__} {problem!r:.60}")
    return problem


def _rate_range(start_name, start, end_name, end):
    """Two rates 0 < start < end with a finite ratio; the messages name both."""
    start = v.number(start_name, start, 0, low_open=True)
    end = v.number(end_name, end, 0, low_open=True)
    if not end > start:
        raise ValueError(f"{end_name} must be > {start_name} = {start:g}, got {end!r}")
    if not np.isfinite(end / start):
        raise ValueError(f"{end_name} / {start_name} must be finite, got {end:g} / {start:g}")
    return start, end


# ============================================================================ the range test
def exponential_sweep(start_lr, end_lr, num_iter):
    """The rates of a range test: ``num_iter`` rates growing geometrically from ``start_lr`` to
    ``end_lr`` (both included), rate_i = start_lr * (end_lr / start_lr) ** (i / (num_iter - 1))."""
    start_lr, end_lr = _rate_range("start_lr", start_lr, "end_lr", end_lr)
    num_iter = v.integer("num_iter", num_iter, 2)
    return start_lr * (end_lr / start_lr) ** (np.arange(num_iter) / (num_iter - 1))


def smooth_losses(losses, beta=0.98):
    """Exponential moving average with bias correction, as fastai smooths the range test.

    avg_i = beta * avg_{i-1} + (1 - beta) * loss_i (avg_{-1} = 0), smoothed_i = avg_i / (1 - beta^(i+1)).
    The division removes the pull towards 0 of the zero start (as in Adam). ``losses`` has
    shape (n, ...) (any trailing axes are smoothed independently); ``beta`` in [0, 1), 0 = no
    smoothing. A non-finite loss makes every later smoothed value non-finite.
    """
    beta = v.number("beta", beta, 0, 1, high_open=True)
    losses = v.array("losses", losses, finite=False)
    if losses.ndim == 0:
        raise ValueError(f"losses must be an array of shape (n, ...), got a scalar {float(losses)!r}")
    out = np.empty_like(losses)
    avg = np.zeros(losses.shape[1:])
    with np.errstate(**_quiet):
        for i, loss in enumerate(losses):
            avg = beta * avg + (1 - beta) * loss
            out[i] = avg / (1 - beta ** (i + 1))
    return out


def _as_curve(lrs, losses):
    lrs = v.array("lrs", lrs, ndim=1, low=0, low_open=True)
    losses = v.array("losses", losses, finite=False)
    if losses.shape != lrs.shape:
        raise ValueError(f"losses must have the shape of lrs {lrs.shape}, got shape {losses.shape}")
    if lrs.size < 2:
        raise ValueError(f"lrs must hold at least 2 rates to suggest one, got {lrs.size}")
    return lrs, losses


def steepest(lrs, losses):
    """The rate where the (smoothed) loss falls fastest per unit of log(lr): the minimum of
    (loss_{i+1} - loss_i) / (log lr_{i+1} - log lr_i), taken at its left end (fastai's ``steep``)."""
    lrs, losses = _as_curve(lrs, losses)
    with np.errstate(**_quiet):
        slope = np.diff(losses) / np.diff(np.log(lrs))
    slope = np.where(np.isfinite(slope), slope, np.inf)
    return float(lrs[int(np.argmin(slope))])


def valley(lrs, losses):
    """fastai's (2.7) "valley" suggestion: the longest descending stretch of the loss curve.

    For every point i, lds[i] is the length of the longest chain of points j1 < j2 < ... < i
    with strictly falling losses (the longest decreasing subsequence ending at i). The
    longest chain, ending at ``end`` and of length ``lds[end]``, spans the valley
    [start, end] with start = end - lds[end]; the suggestion is the index
    start + int(len / 3) + int(len / 6) with len = end - start, about halfway along the
    descent: well before the bottom, where the rate is already too high. (In the degenerate
    case of a curve that never falls the index would be -1, which fastai wraps to the last
    rate; here it is clipped to the first.)
    """
    lrs, losses = _as_curve(lrs, losses)
    losses = np.where(np.isfinite(losses), losses, np.inf)
    n = losses.size
    lds = np.ones(n, dtype=int)
    for i in range(1, n):
        falling = losses[:i] > losses[i]
        if falling.any():
            lds[i] = lds[:i][falling].max() + 1
    end = int(np.argmax(lds))          # the first index of the longest chain, as fastai
    start = end - int(lds[end])
    sections = (end - start) / 3
    idx = max(start + int(sections) + int(sections / 2), 0)
    return float(lrs[idx])


def minimum(lrs, losses):
    """One tenth of the rate at the lowest (smoothed) loss (fastai's ``minimum``): the bottom of
    the curve is already too high a rate for training, ten times less is a safe guess."""
    lrs, losses = _as_curve(lrs, losses)
    finite = np.where(np.isfinite(losses), losses, np.inf)
    return float(lrs[int(np.argmin(finite))] / 10)


_SUGGESTIONS = {"valley": valley, "steepest": steepest, "minimum": minimum}


@dataclass
class RangeTest:
    """What :func:`lr_range_test` recorded.

    lrs : (n,) the rate of each step up to the stop (n <= num_iter). losses : (n,) the loss
        right after each of those steps. smoothed : (n,) their bias-corrected moving average.
    start_loss : the loss before the first step.
    stopped_at : index of the step where the smoothed loss blew up (> stop_factor x best so
        far, or not finite), or -1 when the sweep ran to the end.
    suggestions : {"valley", "steepest", "minimum"} -> suggested rate (fastai's rules, on the
        smoothed curve without its first num_iter // 10 and last 5 points); NaN when fewer
        than 2 points remain.
    params : the starting parameters, untouched: the test trains a copy, so the model "gets
        its weights back" by simply using these.
    all_lrs, all_losses : (num_iter,) the whole sweep before the cut (after a blow-up the run
        is frozen and its losses are inf), so :meth:`suggest` can redo the cut.
    """

    lrs: np.ndarray
    losses: np.ndarray
    smoothed: np.ndarray
    start_loss: float
    stopped_at: int
    suggestions: dict
    params: object
    all_lrs: np.ndarray
    all_losses: np.ndarray
    beta: float
    stop_factor: float

    @property
    def suggestion(self):
        """The valley rate (fastai's default suggestion)."""
        return self.suggestions["valley"]

    def suggest(self, beta=None, stop_factor=None, skip_start=None, skip_end=5):
        """The same sweep smoothed, cut and read with other settings (no training: a widget
        moves these on sliders). Returns a new RangeTest."""
        return _record(self.all_lrs, self.all_losses, self.start_loss, self.params,
                       self.beta if beta is None else beta,
                       self.stop_factor if stop_factor is None else stop_factor, skip_start, skip_end)


def _copy_params(x):
    if isinstance(x, dict):
        return {k: np.array(a, dtype=float) for k, a in x.items()}
    return np.array(x, dtype=float)


def _record(all_lrs, all_losses, start_loss, params, beta, stop_factor, skip_start, skip_end):
    """Smooth, find the stop, cut the curve there and compute the suggestions."""
    beta = v.number("beta", beta, 0, 1, high_open=True)
    stop_factor = v.number("stop_factor", stop_factor, 1, low_open=True)
    skip_end = v.integer("skip_end", skip_end, 0)
    num_iter = all_lrs.size
    skip_start = num_iter // 10 if skip_start is None else v.integer("skip_start", skip_start, 0)
    smoothed = smooth_losses(all_losses, beta)
    best = np.minimum.accumulate(np.where(np.isfinite(smoothed), smoothed, np.inf))
    with np.errstate(**_quiet):
        blown = ~np.isfinite(smoothed) | (smoothed > stop_factor * best)
    stopped_at = int(np.argmax(blown)) if blown.any() else -1
    n = stopped_at + 1 if stopped_at >= 0 else num_iter
    lrs, losses, smoothed = all_lrs[:n], all_losses[:n], smoothed[:n]
    # fastai drops the first tenth and the last 5 recorded points, then anything from a NaN on
    part_lr, part_loss = lrs[skip_start: max(n - skip_end, 0)], smoothed[skip_start: max(n - skip_end, 0)]
    bad = ~np.isfinite(part_loss)
    if bad.any():
        cut = int(np.argmax(bad))
        part_lr, part_loss = part_lr[:cut], part_loss[:cut]
    if part_lr.size >= 2:
        suggestions = {name: rule(part_lr, part_loss) for name, rule in _SUGGESTIONS.items()}
    else:
        suggestions = {name: float("nan") for name in _SUGGESTIONS}
    return RangeTest(lrs=lrs, losses=losses, smoothed=smoothed, start_loss=start_loss,
                     stopped_at=stopped_at, suggestions=suggestions, params=params,
                     all_lrs=all_lrs, all_losses=all_losses, beta=beta, stop_factor=stop_factor)


def _optimizer_factory(name, optimizer):
    """A constructor such as lrcourse.optimizers.sgd (a class) or a function returning an optimizer."""
    if not callable(optimizer) or (hasattr(optimizer, "init") and not isinstance(optimizer, type)):
        raise TypeError(f"{name} must be a function of the learning rate returning an optimizer "
                        f"(e.g. lrcourse.optimizers.sgd, not an optimizer object), got {type(optimizer).__name__}")
    return optimizer


def _make_optimizer(name, factory, **hyperparameters):
    """factory(**hyperparameters), checked to be an optimizer (init and step)."""
    opt = factory(**hyperparameters)
    if not (callable(getattr(opt, "init", None)) and callable(getattr(opt, "step", None))):
        raise TypeError(f"{name} must return an optimizer (with init and step, e.g. lrcourse.optimizers.sgd), "
                        f"got {type(opt).__name__} {opt!r:.60}")
    return opt


def _as_x0(x0):
    """A start given by the user: an array, or a dict of arrays (each checked)."""
    if isinstance(x0, dict):
        return {k: v.array(f"x0[{k!r}]", a) for k, a in x0.items()}
    return v.array("x0", x0)


def lr_range_test(problem, optimizer=_optimizers.sgd, start_lr=1e-7, end_lr=10.0, num_iter=100, x0=None,
                  *, beta=0.98, stop_factor=4.0, skip_start=None, skip_end=5, seed=0):
    """The learning-rate range test (Smith 2017), run the way fastai's ``lr_find`` runs it.

    Train once for ``num_iter`` steps while the rate grows exponentially from ``start_lr`` to
    ``end_lr`` (:func:`exponential_sweep`); record the loss after each step, smooth it
    (:func:`smooth_losses`, ``beta`` = 0.98 as fastai) and stop as soon as the smoothed loss
    exceeds ``stop_factor`` (4, fastai's rule) times the best smoothed loss so far, or stops
    being finite. On the remaining curve, without its first ``num_iter // 10`` and last
    ``skip_end`` points (fastai's trimming), suggest rates: :func:`valley` (fastai's default),
    :func:`steepest` and :func:`minimum`.

    Parameters
    ----------
    problem : a problem or model (``loss``, ``grad``, ``x0``; ``stochastic_grad`` is used when
        present, so the test sees minibatch noise like a real one).
    optimizer : a function of the rate returning an optimizer, e.g. ``optimizers.sgd`` or
        ``functools.partial(optimizers.sgd, momentum=0.9)``; it is called once, with ``lr``
        set to the exponential schedule. One setting only (no (K,) hyperparameters).
    start_lr, end_lr : the range, 0 < start_lr < end_lr. num_iter : steps (>= 2).
    x0 : start (default ``problem.x0``); never modified. seed : minibatch seed.

    Returns
    -------
    RangeTest, whose ``params`` are the untouched starting parameters ("weights restored").
    """
    _problem("problem", problem)
    optimizer = _optimizer_factory("optimizer", optimizer)
    start_lr, end_lr = _rate_range("start_lr", start_lr, "end_lr", end_lr)
    num_iter = v.integer("num_iter", num_iter, 2)
    v.number("beta", beta, 0, 1, high_open=True)
    v.number("stop_factor", stop_factor, 1, low_open=True)
    if skip_start is not None:
        v.integer("skip_start", skip_start, 0)
    v.integer("skip_end", skip_end, 0)
    seed = v.integer("seed", seed, 0)
    start = _copy_params(problem.x0 if x0 is None else _as_x0(x0))
    gamma = (end_lr / start_lr) ** (1 / (num_iter - 1))
    opt = _make_optimizer("optimizer", optimizer, lr=schedules.exponential(start_lr, gamma))
    if getattr(opt, "n_settings", None) is not None:
        raise ValueError(f"optimizer must run one setting (no (K,) hyperparameter arrays), got K={opt.n_settings}")
    h = run(problem, opt, num_iter, x0=_copy_params(start), seed=seed, keep_params=False, progress=False)
    if np.ndim(h.loss) != 1:
        raise ValueError("lr_range_test runs one setting: x0 must not carry a leading K axis")
    return _record(h.lr.copy(), h.loss[1:].copy(), float(h.loss[0]), start, beta, stop_factor, skip_start, skip_end)


# ============================================================================ objectives and spaces
def training_objective(problem, optimizer=_optimizers.sgd, steps=100, *, evaluate=None, seed=0, **fixed):
    """An objective for the searches: train ``problem`` and return the loss to minimise.

    ``objective(configs, steps=None)`` takes ``configs`` = {hyperparameter name: (K,) array}
    (names of ``optimizer``'s arguments, e.g. ``lr``, ``momentum``, ``weight_decay``), builds
    ``optimizer(**fixed, **configs)`` (K settings at once) and trains all K in one
    :func:`lrcourse.run` for ``steps`` steps (the argument overrides the default, which lets
    Hyperband give each setting its budget). It returns a (K,) array: ``evaluate(final
    params)`` (e.g. a validation loss; default: the training loss after the last step), with
    ``inf`` for settings that diverged.
    """
    _problem("problem", problem)
    optimizer = _optimizer_factory("optimizer", optimizer)
    default_steps = v.integer("steps", steps, 0)
    seed = v.integer("seed", seed, 0)
    if evaluate is not None:
        v.function("evaluate", evaluate, "a function of the final parameters")
    _make_optimizer("optimizer", optimizer, **({"lr": 1e-3} | fixed))     # fail now, not at the first call

    def objective(configs, steps=None):
        configs = _as_configs("configs", configs)
        n = default_steps if steps is None else v.integer("steps", steps, 0)
        K = next(iter(configs.values())).size
        opt = _make_optimizer("optimizer", optimizer, **fixed, **configs)
        if getattr(opt, "n_settings", None) != K:
            raise ValueError(f"configs must name array hyperparameters of optimizer, got {sorted(configs)}")
        h = run(problem, opt, n, seed=seed, keep_params=False, progress=False)
        with np.errstate(**_quiet):
            value = np.asarray(h.loss[-1] if evaluate is None else evaluate(h.final), dtype=float).reshape(K)
        return np.where(h.diverged | ~np.isfinite(value), np.inf, value)

    return objective


def _as_configs(name, configs):
    """configs as a dict name -> float (K,) array, all of the same K >= 1."""
    if not isinstance(configs, dict) or not configs:
        raise TypeError(f"{name} must be a non-empty dict {{hyperparameter: (K,) array}}, got {type(configs).__name__}")
    out = {key: np.atleast_1d(np.asarray(val, dtype=float)) for key, val in configs.items()}
    sizes = {key: a.shape for key, a in out.items()}
    if len(set(sizes.values())) != 1 or next(iter(sizes.values()))[0] == 0 or any(len(s) != 1 for s in sizes.values()):
        raise ValueError(f"{name} must hold 1-D arrays of one common length K >= 1, got shapes {sizes}")
    return out


def _check_space(space):
    """space = {name: (low, high) or (low, high, "log" | "linear")}; returns name -> (low, high, scale)."""
    if not isinstance(space, dict) or not space:
        raise TypeError(f"space must be a non-empty dict {{name: (low, high[, 'log'])}}, got {type(space).__name__} {space!r}")
    out = {}
    for name, spec in space.items():
        if not isinstance(spec, (tuple, list)) or len(spec) not in (2, 3):
            raise ValueError(f"space[{name!r}] must be (low, high) or (low, high, 'log'), got {spec!r}")
        scale = v.choice(f"space[{name!r}][2]", spec[2] if len(spec) == 3 else "linear", ("linear", "log"))
        low = v.number(f"space[{name!r}][0]", spec[0], 0 if scale == "log" else None, low_open=True)
        high = v.number(f"space[{name!r}][1]", spec[1], low, low_open=True)
        out[name] = (low, high, scale)
    return out


def sample_space(space, n, rng):
    """``n`` settings drawn independently and uniformly (on a log scale for "log" ranges).

    space : {name: (low, high) or (low, high, "log")}; rng : a numpy Generator.
    Returns {name: (n,) array}.
    """
    space = _check_space(space)
    n = v.integer("n", n, 1)
    v.generator("rng", rng)
    out = {}
    for name, (low, high, scale) in space.items():
        u = rng.uniform(size=n)
        out[name] = low * (high / low) ** u if scale == "log" else low + (high - low) * u
    return out


def grid_points(space, n_per_axis):
    """Every combination of ``n_per_axis`` evenly spaced values per hyperparameter (log-spaced
    for "log" ranges, ends included): {name: (n_per_axis ** d,) array}, first name slowest."""
    space = _check_space(space)
    n_per_axis = v.integer("n_per_axis", n_per_axis, 1)
    axes = []
    for low, high, scale in space.values():
        if n_per_axis == 1:
            axes.append(np.array([math.sqrt(low * high) if scale == "log" else (low + high) / 2]))
        else:
            axes.append(np.geomspace(low, high, n_per_axis) if scale == "log" else np.linspace(low, high, n_per_axis))
    mesh = np.meshgrid(*axes, indexing="ij")
    return {name: m.ravel() for name, m in zip(space, mesh)}


def _evaluate(objective, configs, *extra):
    """objective(configs, ...) as a (K,) float array, non-finite -> inf."""
    K = next(iter(configs.values())).size
    values = v.array("objective's result", objective(configs, *extra), finite=False)
    if values.shape not in ((K,), (K, 1)) and not (K == 1 and values.ndim == 0):
        raise ValueError(f"objective must return one value per setting, shape ({K},), got shape {values.shape}")
    values = values.reshape(K)
    return np.where(np.isfinite(values), values, np.inf)


def _check_objective(objective):
    return v.function("objective", objective, "a function of a dict of (K,) arrays")


@dataclass
class SearchResult:
    """What a grid or random search tried: ``configs`` {name: (K,) array} in the order tried,
    ``losses`` (K,) (inf = diverged), the best setting ``best`` {name: float} and ``best_loss``."""

    configs: dict
    losses: np.ndarray

    @property
    def best_index(self):
        return int(np.argmin(self.losses))

    @property
    def best(self):
        return {name: float(a[self.best_index]) for name, a in self.configs.items()}

    @property
    def best_loss(self):
        return float(self.losses[self.best_index])

    def best_so_far(self):
        """(K,) the best loss among the first k+1 settings tried (for random search's curve)."""
        return np.minimum.accumulate(self.losses)


def grid_search(objective, space, n_per_axis):
    """Try every point of a regular grid (:func:`grid_points`), all in one objective call.

    With d hyperparameters and K = n_per_axis ** d trials, each hyperparameter only ever takes
    n_per_axis distinct values: if only one of them matters, K - n_per_axis trials repeat what
    was already known about it (Bergstra & Bengio 2012).
    """
    _check_objective(objective)
    configs = grid_points(space, n_per_axis)
    return SearchResult(configs=configs, losses=_evaluate(objective, configs))


def random_search(objective, space, n_trials, seed=0):
    """Try ``n_trials`` settings drawn at random (:func:`sample_space`), all in one call.

    Every trial has a new value of *every* hyperparameter, so whichever hyperparameter turns
    out to matter is explored at n_trials values (Bergstra & Bengio 2012).
    """
    _check_objective(objective)
    n_trials = v.integer("n_trials", n_trials, 1)
    seed = v.integer("seed", seed, 0)
    configs = sample_space(space, n_trials, np.random.default_rng(seed))
    return SearchResult(configs=configs, losses=_evaluate(objective, configs))


# ============================================================================ successive halving, Hyperband
def _num(x):
    """A float that is (numerically) an integer as an int, for readable schedules."""
    r = round(x)
    return int(r) if abs(x - r) <= 1e-9 * max(1.0, abs(x)) else float(x)


def hyperband_schedule(R, eta=3):
    """The brackets of Hyperband (Li et al. 2017, Algorithm 1) as lists of rungs (n_i, r_i).

    R : the largest resource one setting may get (e.g. 81 units of training), a number >= 1.
    eta : the halving factor, an integer >= 2 (only the best 1/eta survive each rung).

    s_max = floor(log_eta(R)), B = (s_max + 1) R. Bracket s = s_max, ..., 0 starts
    n = ceil(B / R * eta^s / (s + 1)) settings with resource r = R eta^-s each, then runs
    successive halving: rung i = 0..s evaluates n_i = floor(n eta^-i) settings with
    r_i = r eta^i. For R = 81, eta = 3 (the paper's Table 1) the first bracket is
    (81, 1) (27, 3) (9, 9) (3, 27) (1, 81) and the last is (5, 81): plain random search.
    Every bracket spends about B in total; they differ in how aggressively they stop early.
    """
    R = v.number("R", R, 1)
    eta = v.integer("eta", eta, 2)
    s_max = 0
    while eta ** (s_max + 1) <= R * (1 + 1e-12):
        s_max += 1
    brackets = []
    for s in range(s_max, -1, -1):
        n = math.ceil((s_max + 1) * eta**s / (s + 1) - 1e-9)   # B / R * eta^s / (s + 1), exactly
        r = R / eta**s
        brackets.append([(n // eta**i, _num(r * eta**i)) for i in range(s + 1)])
    return brackets


@dataclass
class Bracket:
    """One run of successive halving. ``rungs`` is a list of dicts with keys ``n`` (settings),
    ``r`` (resource each), ``index`` (n_i,) the surviving settings' positions in ``configs``,
    and ``losses`` (n_i,) their objective values at that resource. ``best_index``: the setting
    with the lowest loss in the last rung; ``resource``: sum of n_i * r_i spent."""

    configs: dict
    rungs: list

    @property
    def best_index(self):
        last = self.rungs[-1]
        return int(last["index"][int(np.argmin(last["losses"]))])

    @property
    def best(self):
        return {name: float(a[self.best_index]) for name, a in self.configs.items()}

    @property
    def best_loss(self):
        return float(np.min(self.rungs[-1]["losses"]))

    @property
    def resource(self):
        return float(sum(rung["n"] * rung["r"] for rung in self.rungs))


def _halving(objective, configs, rungs, eta):
    """Run successive halving over the given rungs [(n_i, r_i)]: evaluate, keep the best 1/eta."""
    alive = np.arange(next(iter(configs.values())).size)
    done = []
    for i, (n_i, r_i) in enumerate(rungs):
        alive = alive[:n_i]
        chosen = {name: a[alive] for name, a in configs.items()}
        losses = _evaluate(objective, chosen, r_i)
        done.append({"n": int(alive.size), "r": r_i, "index": alive.copy(), "losses": losses})
        keep = np.argsort(losses, kind="stable")[: max(alive.size // eta, 1)]   # top floor(n_i / eta)
        alive = alive[keep]
    return Bracket(configs=configs, rungs=done)


def successive_halving(objective, configs, min_resource, eta=3, max_resource=None):
    """Successive halving (Jamieson & Talwalkar 2016): give every setting ``min_resource``,
    keep the best 1/eta, give those eta times more, ... until one is left or the next resource
    would exceed ``max_resource``.

    objective(configs, r) -> (K,) losses: trains each of the K settings with resource r (e.g.
    r steps) in one call. configs : {name: (n,) array}, the n starting settings.
    Returns a :class:`Bracket`.
    """
    _check_objective(objective)
    configs = _as_configs("configs", configs)
    r = v.number("min_resource", min_resource, 0, low_open=True)
    with np.errstate(over="ignore"):
        if not np.isfinite(r * float(v.integer("eta", eta, 2))):
            raise ValueError(f"min_resource must be small enough for min_resource * eta to be finite, got {r!r}")
    eta = v.integer("eta", eta, 2)
    R = math.inf if max_resource is None else v.number("max_resource", max_resource, r)
    n = next(iter(configs.values())).size
    rungs, i = [], 0
    while n // eta**i >= 1 and r * eta**i <= R * (1 + 1e-12) and np.isfinite(r * float(eta) ** (i + 1)):
        rungs.append((n // eta**i, _num(r * eta**i)))
        if n // eta**i == 1:
            break
        i += 1
    return _halving(objective, configs, rungs, eta)


#: Hyperband draws about R settings in its first bracket: R above this is refused.
MAX_SETTINGS = 1e6


@dataclass
class HyperbandResult:
    """Hyperband's brackets (:class:`Bracket`, most aggressive first) and the best setting.

    ``best``/``best_loss``: the setting with the smallest loss seen in any rung, as Algorithm 1
    of the paper returns, and ``best_resource`` the resource it had (usually, not always, R);
    ``resource``: total spent;
    ``evaluations``: the number of (setting, resource) trainings."""

    brackets: list
    R: float
    eta: int

    def _all(self):
        return [(loss, b, idx, rung["r"]) for b in self.brackets for rung in b.rungs
                for loss, idx in zip(rung["losses"], rung["index"])]

    @property
    def best_loss(self):
        return float(min(item[0] for item in self._all()))

    @property
    def best(self):
        loss, b, idx, r = min(self._all(), key=lambda item: item[0])
        return {name: float(a[idx]) for name, a in b.configs.items()}

    @property
    def best_resource(self):
        """The resource with which the best loss was reached."""
        return min(self._all(), key=lambda item: item[0])[3]

    @property
    def full_budget_best_loss(self):
        """The smallest loss among settings trained with the full resource R (the last rung of
        every bracket): the fair number to compare with a search that trains everything to R."""
        return float(min(b.rungs[-1]["losses"].min() for b in self.brackets))

    @property
    def full_budget_best(self):
        """The setting behind :attr:`full_budget_best_loss`."""
        b = min(self.brackets, key=lambda b: b.rungs[-1]["losses"].min())
        return b.best

    @property
    def resource(self):
        return float(sum(b.resource for b in self.brackets))

    @property
    def evaluations(self):
        return int(sum(rung["n"] for b in self.brackets for rung in b.rungs))


def hyperband(objective, space, R, eta=3, seed=0):
    """Hyperband (Li et al. 2017): successive halving run in every bracket of
    :func:`hyperband_schedule`, each on fresh random settings from ``space``.

    A bandit method: it learns nothing about *where* good settings are (the settings are
    random, as in random search); it only stops the poor ones early, hedging over how early
    by trying brackets from "many settings, tiny budgets" to "few settings, full budget".

    objective(configs, r) -> (K,) losses; space : as in :func:`random_search`; R, eta : as in
    :func:`hyperband_schedule`; seed : seeds the sampling.
    """
    _check_objective(objective)
    v.number("R", R, 1, MAX_SETTINGS)
    schedule = hyperband_schedule(R, eta)
    rng = np.random.default_rng(v.integer("seed", seed, 0))
    brackets = []
    for rungs in schedule:
        configs = sample_space(space, rungs[0][0], rng)
        brackets.append(_halving(objective, configs, rungs, eta))
    return HyperbandResult(brackets=brackets, R=float(R), eta=int(eta))


# ============================================================================ Bayesian optimisation
def rbf_kernel(a, b, length_scale):
    """Squared-exponential kernel k(a, b) = exp(-(a - b)^2 / (2 length_scale^2)), for 1-D inputs:
    a (n,), b (m,) -> (n, m). Points closer than about one length scale are strongly correlated."""
    a = v.array("a", a, ndim=1)[:, None]
    b = v.array("b", b, ndim=1)[None, :]
    length_scale = v.number("length_scale", length_scale, 0, low_open=True)
    with np.errstate(over="ignore", under="ignore"):
        return np.exp(-0.5 * ((a - b) / length_scale) ** 2)


def gp_posterior(x_train, y_train, x_test, length_scale=0.5, noise=1e-6):
    """Posterior mean and standard deviation of a Gaussian process at ``x_test``.

    Prior: f ~ GP(0, k) with the unit-variance :func:`rbf_kernel`; observations y = f(x) +
    N(0, noise). With K = k(X, X) + noise I = L L^T (Cholesky):
    mean = k(x*, X) K^-1 y and var = 1 - k(x*, X) K^-1 k(X, x*) (of f, without the noise).
    Standardise y first (zero mean, unit spread) so the unit prior variance fits.
    Shapes: x_train, y_train (n,), x_test (m,) -> mean, std (m,).
    """
    x_train, y_train = _training_points(x_train, y_train)
    x_test = v.array("x_test", x_test, ndim=1)
    length_scale = v.number("length_scale", length_scale, 0, low_open=True)
    noise = v.number("noise", noise, 0, low_open=True)
    L = np.linalg.cholesky(rbf_kernel(x_train, x_train, length_scale) + noise * np.eye(x_train.size))
    alpha = np.linalg.solve(L.T, np.linalg.solve(L, y_train))
    k_star = rbf_kernel(x_test, x_train, length_scale)            # (m, n)
    mean = k_star @ alpha
    w = np.linalg.solve(L, k_star.T)                              # (n, m)
    var = np.clip(1.0 - np.sum(w**2, axis=0), 0.0, None)
    return mean, np.sqrt(var)


def _training_points(x_train, y_train):
    x_train = v.array("x_train", x_train, ndim=1, nonempty=True)
    y_train = v.array("y_train", y_train, ndim=1, nonempty=True)
    if y_train.shape != x_train.shape:
        raise ValueError(f"y_train must have the shape of x_train {x_train.shape}, got shape {y_train.shape}")
    return x_train, y_train


def log_marginal_likelihood(x_train, y_train, length_scales, noise=1e-6):
    """log p(y | X, length_scale) of the GP above, for each of the given length scales (array in,
    array out): -1/2 y^T K^-1 y - sum(log diag L) - n/2 log(2 pi). Maximising it over a grid of
    length scales is "type-II maximum likelihood" (ML-II)."""
    x, y = _training_points(x_train, y_train)
    ls = v.array("length_scales", length_scales, ndim=1, nonempty=True, low=0, low_open=True)
    noise = v.number("noise", noise, 0, low_open=True)
    K = np.exp(-0.5 * ((x[None, :, None] - x[None, None, :]) / ls[:, None, None]) ** 2) + noise * np.eye(x.size)
    L = np.linalg.cholesky(K)                                      # (len(ls), n, n)
    z = np.linalg.solve(L, np.broadcast_to(y, (ls.size, x.size))[..., None])[..., 0]
    return -0.5 * np.sum(z**2, axis=-1) - np.sum(np.log(np.diagonal(L, axis1=-2, axis2=-1)), axis=-1) \
        - 0.5 * x.size * np.log(2 * np.pi)


_erfc = np.frompyfunc(math.erfc, 1, 1)


def normal_cdf(z):
    """Phi(z), the standard normal CDF, elementwise (via math.erfc: exact in the tails)."""
    z = v.array("z", z, finite=False)
    with np.errstate(invalid="ignore"):
        return np.asarray(0.5 * _erfc(-z / math.sqrt(2)), dtype=float)


def expected_improvement(mean, std, best, xi=0.0):
    """Expected improvement over ``best`` for *minimisation* (Mockus 1978; Jones et al. 1998).

    EI = E[max(best - xi - f, 0)] for f ~ N(mean, std^2):
    with d = best - xi - mean and z = d / std, EI = d Phi(z) + std phi(z); where std = 0,
    EI = max(d, 0). Large where the mean is low (exploitation) or the std is high
    (exploration); ``xi`` >= 0 asks for a margin of improvement. Arrays broadcast.
    """
    mean = v.array("mean", mean)
    std = v.array("std", std, low=0)
    best = v.number("best", best)
    xi = v.number("xi", xi, 0)
    try:
        np.broadcast_shapes(mean.shape, std.shape)
    except ValueError:
        raise ValueError(f"std must broadcast against mean {mean.shape}, got shape {std.shape}") from None
    with np.errstate(**_quiet):
        d = best - xi - mean
        z = np.where(std > 0, d / np.where(std > 0, std, 1.0), 0.0)
        pdf = np.exp(-0.5 * z**2) / math.sqrt(2 * math.pi)
        ei = d * normal_cdf(z) + std * pdf
        return np.where(std > 0, np.maximum(np.nan_to_num(ei, posinf=np.finfo(float).max), 0.0), np.maximum(d, 0.0))


@dataclass
class BayesResult:
    """What :func:`bayes_opt` did, in order.

    lrs (n,) the rates tried (the first ``n_init`` at random); values (n,) the objective there
    (inf = diverged); grid (G,) the log10(lr) grid where EI was maximised; and for each
    Bayesian step k (after the first n_init + k points): means, stds, eis (n_iter, G), the
    GP posterior (in the units of the objective) and EI behind the choice of point n_init + k;
    length_scales (n_iter,) in decades of lr.
    """

    lrs: np.ndarray
    values: np.ndarray
    grid: np.ndarray
    means: np.ndarray
    stds: np.ndarray
    eis: np.ndarray
    length_scales: np.ndarray
    n_init: int

    @property
    def best_index(self):
        return int(np.argmin(self.values))

    @property
    def best_lr(self):
        return float(self.lrs[self.best_index])

    @property
    def best_value(self):
        return float(self.values[self.best_index])

    def best_so_far(self):
        return np.minimum.accumulate(self.values)


#: ML-II candidates for the length scale, in decades of learning rate.
LENGTH_SCALES = np.geomspace(0.1, 3.0, 25)


def bayes_opt(objective, low=1e-5, high=1.0, n_init=3, n_iter=10, *, seed=0, length_scale=None,
              noise=1e-6, xi=0.01, grid_size=1000):
    """Minimise ``objective(lrs)`` over learning rates in [low, high] by Bayesian optimisation
    (Snoek, Larochelle & Adams 2012), in x = log10(lr).

    1. Evaluate ``n_init`` rates, one drawn uniformly in each of n_init equal slices of
       [log10 low, log10 high] (seeded), in one objective call.
    2. ``n_iter`` times: standardise the values seen (diverged ones are set to the worst
       finite value), fit a GP with the RBF kernel (length scale fixed, or chosen by ML-II
       from :data:`LENGTH_SCALES` when ``length_scale`` is None), compute
       :func:`expected_improvement` on ``grid_size`` points of x and evaluate the rate where it
       is largest.

    objective : function of a (K,) array of rates returning (K,) losses (lower is better).
    Returns a :class:`BayesResult`.
    """
    v.function("objective", objective, "a function of a (K,) array of rates")
    low, high = _rate_range("low", low, "high", high)
    n_init = v.integer("n_init", n_init, 1)
    n_iter = v.integer("n_iter", n_iter, 0)
    seed = v.integer("seed", seed, 0)
    if length_scale is not None:
        length_scale = v.number("length_scale", length_scale, 0, low_open=True)
    noise = v.number("noise", noise, 0, low_open=True)
    xi = v.number("xi", xi, 0)
    grid_size = v.integer("grid_size", grid_size, 2)

    a, b = math.log10(low), math.log10(high)
    grid = np.linspace(a, b, grid_size)
    rng = np.random.default_rng(seed)
    x = a + (b - a) * (np.arange(n_init) + rng.uniform(size=n_init)) / n_init
    y = _objective_values(objective, 10.0**x)
    means, stds, eis, scales = [], [], [], []
    for _ in range(n_iter):
        finite = np.isfinite(y)
        worst = y[finite].max() if finite.any() else 1.0
        z = np.where(finite, y, worst)
        center, spread = z.mean(), z.std() if z.std() > 0 else 1.0
        z = (z - center) / spread
        ell = length_scale
        if ell is None:
            ell = float(LENGTH_SCALES[int(np.argmax(log_marginal_likelihood(x, z, LENGTH_SCALES, noise)))])
        mean, std = gp_posterior(x, z, grid, ell, noise)
        ei = expected_improvement(mean, std, float(z.min()), xi)
        x_next = grid[int(np.argmax(ei))]
        means.append(center + spread * mean)
        stds.append(spread * std)
        eis.append(spread * ei)
        scales.append(ell)
        x = np.append(x, x_next)
        y = np.append(y, _objective_values(objective, np.array([10.0**x_next])))
    shape = (n_iter, grid_size)
    return BayesResult(lrs=10.0**x, values=y, grid=grid,
                       means=np.array(means).reshape(shape), stds=np.array(stds).reshape(shape),
                       eis=np.array(eis).reshape(shape), length_scales=np.array(scales), n_init=n_init)


def _objective_values(objective, lrs):
    values = np.asarray(objective(lrs), dtype=float)
    if values.size != lrs.size:
        raise ValueError(f"objective must return one value per rate, shape ({lrs.size},), got shape {values.shape}")
    values = values.reshape(lrs.size)
    return np.where(np.isfinite(values), values, np.inf)
