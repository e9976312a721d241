"""The learning rate outside deep learning: adaptive filters, TD learning, tracking, and
stochastic approximation (lesson 9).

The same update appears under four names::

    estimate <- estimate + step_size * (target - prediction) * direction

* the LMS adaptive filter (Widrow & Hoff 1960): ``w <- w + mu * e * x`` with e = d - w.x;
* TD(0) (Sutton 1988): ``V(s) <- V(s) + alpha * (r + V(s') - V(s))``;
* online tracking of a drifting quantity: ``w <- w + alpha_t * (y_t - w)``;
* stochastic approximation (Robbins & Monro 1951): ``theta <- theta - a_n * Y_n``.

Every simulation here runs K step sizes side by side (a ``(K,)`` array of step sizes) and
many independent runs at once, with *common random numbers*: all K step sizes see the same
data, so differences between them are due to the step size, not to luck. Outputs put time
first, then K (only when the step size was an array), then runs.

Divergence is a result, not a crash: an unstable step size gives ``inf`` values, never a
numpy warning. The numbers that set the size of simulated data or a start value (``drift``,
``noise``, ``jump``, ``theta0``, ``v0``, and ``w0`` of :func:`track`) must be at most 1e100
in size, so that the data themselves stay finite.
"""
from __future__ import annotations

from typing import NamedTuple

import numpy as np

from . import _validate as v

__all__ = [
    "step_sizes",
    "ar1_covariance",
    "lms_limits",
    "lms_misadjustment",
    "lms_theory",
    "LMSTheory",
    "system_identification",
    "lms",
    "LMSResult",
    "random_walk_values",
    "td0_random_walk",
    "TDResult",
    "drifting_stream",
    "track",
    "tracking_error",
    "kalman_gain",
    "robbins_monro",
]

_quiet = dict(over="ignore", invalid="ignore", divide="ignore", under="ignore")

#: An error larger than this counts as blown up: the run is frozen and reported as inf.
_BLOWN = 1e100
#: The largest size allowed for the data of a simulation (noise, drift, jumps, start values).
_HUGE = 1e100


# ----------------------------------------------------------------------------- helpers
def _settings(*named):
    """Broadcast hyperparameters (floats or (K,) arrays) to a common K; K is None if all scalar."""
    sizes = {name: np.size(a) for name, a in named if isinstance(a, np.ndarray)}
    if len(set(sizes.values())) > 1:
        listed = ", ".join(f"{name} has {k}" for name, k in sizes.items())
        raise ValueError(f"step-size arrays must all have the same number K of settings, got: {listed}")
    return next(iter(sizes.values()), None)


def _column(a, K, ndim):
    """a (float or (K,)) shaped to broadcast against arrays of shape (K, ...) with ndim axes."""
    a = np.broadcast_to(np.asarray(a, dtype=float), () if K is None else (K,))
    return a.reshape(a.shape + (1,) * (ndim - a.ndim))


def _size(name, value, low=0.0):
    """A number for the size of simulated data: finite, >= low (if given) and at most 1e100 in size."""
    value = v.number(name, value, low)  # the usual message first, e.g. "noise must be >= 0"
    return v.number(name, value, -_HUGE if low is None else low, _HUGE)


def _rng(seed):
    return np.random.default_rng(v.integer("seed", seed, 0))


def _inf_for_nan(a):
    return np.where(np.isnan(a), np.inf, a)


def step_sizes(alpha, steps, power=0.0):
    """The step sizes a_n = alpha / n**power for n = 1, ..., steps.

    power = 0 is a constant step; power = 1 is alpha / n. The Robbins-Monro conditions
    (sum a_n = inf, sum a_n^2 < inf) hold exactly for 1/2 < power <= 1.

    alpha : number > 0, or (K,) array; power : number >= 0, or (K,) array.
    Returns shape (steps,) or (steps, K).
    """
    alpha = v.hyper("alpha", alpha, 0, low_open=True)
    power = v.hyper("power", power, 0)
    steps = v.integer("steps", steps, 1)
    K = _settings(("alpha", alpha), ("power", power))
    n = np.arange(1, steps + 1, dtype=float)
    if K is not None:
        n = n[:, None]
    with np.errstate(**_quiet):  # a huge power: n**power = inf, a_n = 0 for n >= 2
        return alpha / n**power


# ----------------------------------------------------------------------------- LMS
def ar1_covariance(order, a=0.0, variance=1.0):
    """Covariance R of ``order`` consecutive samples of an AR(1) signal: R_ij = variance * a^|i-j|.

    This is the input correlation matrix of an LMS filter with ``order`` taps fed by a
    coloured signal u_t = a u_(t-1) + noise; a = 0 gives white input, R = variance * I.
    The closer |a| is to 1, the more spread out the eigenvalues of R.
    """
    order = v.integer("order", order, 1)
    a = v.number("a", a, -1, 1, low_open=True, high_open=True)
    variance = v.number("variance", variance, 0, low_open=True)
    lags = np.abs(np.subtract.outer(np.arange(order), np.arange(order)))
    return variance * a**lags


def _as_covariance(R):
    R = v.array("R", R)
    if R.ndim != 2 or R.shape[0] != R.shape[1] or R.shape[0] == 0:
        raise ValueError(f"R must be a square matrix (taps x taps), got shape {R.shape}")
    with np.errstate(**_quiet):  # huge entries: compared without overflow warnings
        symmetric = np.allclose(R, R.T)
    if not symmetric:
        raise ValueError("R must be a finite symmetric matrix (a covariance)")
    lam = np.linalg.eigvalsh(R)
    if lam[0] < -1e-12 * max(lam[-1], 1e-300) or lam[-1] <= 0:
        raise ValueError(f"R must be positive semi-definite and non-zero, got eigenvalues from {lam[0]:.3g} to {lam[-1]:.3g}")
    return R, np.clip(lam, 0, None)


def lms_limits(R):
    """The step-size limits of LMS for input correlation matrix R (eigenvalues lambda_i).

    Returns a dict:

    * ``"mean"``: 2 / lambda_max. The *mean* weight error obeys E[eps'] = (I - mu R) E[eps],
      which converges iff 0 < mu < 2 / lambda_max (Widrow et al. 1976).
    * ``"trace"``: 2 / trace(R), the classic mean-square rule of thumb (Haykin, *Adaptive
      Filter Theory*), derived with small-step approximations.
    * ``"mean_square"``: the exact mean-square stability edge for independent Gaussian
      regressors (Feuer & Weinstein 1985): the mu in (0, 1/lambda_max) where
      sum_i mu lambda_i / (1 - mu lambda_i) = 2. It lies between ``"safe"`` and ``"trace"``.
    * ``"safe"``: 2 / (3 trace(R)), a sufficient condition for Gaussian data (Horowitz &
      Senne 1981).
    """
    _, lam = _as_covariance(R)
    lam = lam[lam > 0]
    f = lambda mu: np.sum(mu * lam / (1 - mu * lam)) - 2.0  # increasing on (0, 1/lambda_max)
    lo, hi = 0.0, 1.0 / lam.max()
    for _ in range(200):  # bisection: f(lo) < 0 <= f(hi)
        mid = 0.5 * (lo + hi)
        if f(mid) < 0:
            lo = mid
        else:
            hi = mid
    return {"mean": float(2 / lam.max()), "trace": float(2 / lam.sum()), "mean_square": float(0.5 * (lo + hi)),
            "safe": float(2 / (3 * lam.sum()))}


def lms_misadjustment(mu, R):
    """Steady-state misadjustment J_excess / J_min of LMS with step ``mu`` (number or array).

    Exact for independent zero-mean Gaussian regressors (Feuer & Weinstein 1985): with
    S = sum_i mu lambda_i / (2 (1 - mu lambda_i)), the misadjustment is S / (1 - S), and
    ``inf`` where mu is not mean-square stable. For small mu it is about mu trace(R) / 2.
    """
    _, lam = _as_covariance(R)
    mu = np.asarray(v.hyper("mu", mu, 0, low_open=True), dtype=float)
    with np.errstate(**_quiet):
        x = mu[..., None] * lam
        S = np.sum(x / (2 * (1 - x)), axis=-1)
        stable = (x.max(axis=-1) < 1) & (S < 1)
        out = np.where(stable, S / (1 - S), np.inf)
    return float(out) if out.ndim == 0 else out


class LMSTheory(NamedTuple):
    """Theoretical LMS learning curves (independent Gaussian regressors), shapes (steps+1, [K]).

    mse : E[e_t^2], the mean squared a-priori error at step t (J_min + excess).
    msd : E[||w_t - w_o||^2], the mean squared weight error.
    mean_error : ||E[w_t] - w_o||, the size of the *mean* weight error.
    """

    mse: np.ndarray
    msd: np.ndarray
    mean_error: np.ndarray


def lms_theory(mu, R, steps, w0_error, noise=0.0):
    """Expected learning curves of LMS with step(s) ``mu`` on data with correlation ``R``.

    For independent Gaussian regressors x_t ~ N(0, R) and d_t = w_o.x_t + v_t (noise
    variance noise^2 = J_min), the weight error eps = w - w_o has, in the eigenbasis of R
    (eigenvalues lambda_i, k_i = E[eps_i^2]) the exact recursions::

        E[eps_i]' = (1 - mu lambda_i) E[eps_i]
        k_i'      = (1 - 2 mu lambda_i + 2 mu^2 lambda_i^2) k_i + mu^2 lambda_i (sum_j lambda_j k_j + J_min)

    (Gaussian fourth moments; Feuer & Weinstein 1985). The first converges iff
    mu < 2/lambda_max, the second needs a smaller mu (see :func:`lms_limits`).

    mu : number > 0 or (K,) array; steps : int >= 0; w0_error : (taps,) the start w_0 - w_o;
    noise : standard deviation of v_t, in [0, 1e100]. Returns :class:`LMSTheory`.
    """
    R, _ = _as_covariance(R)
    mu = v.hyper("mu", mu, 0, low_open=True)
    steps = v.integer("steps", steps, 0)
    noise = _size("noise", noise)
    e0 = v.array("w0_error", w0_error, shape=(R.shape[0],))
    lam, Q = np.linalg.eigh(R)
    lam = np.clip(lam, 0, None)
    K = _settings(("mu", mu))
    m = _column(mu, K, 1 + (K is not None))  # (K, 1) or scalar
    mean = np.broadcast_to(Q.T @ e0, (() if K is None else (K,)) + lam.shape).copy()
    k = mean**2
    J_min = noise**2
    shape = (steps + 1,) + (() if K is None else (K,))
    mse, msd, mean_err = np.empty(shape), np.empty(shape), np.empty(shape)
    with np.errstate(**_quiet):
        for t in range(steps + 1):
            excess = np.sum(lam * k, axis=-1)
            mse[t], msd[t] = J_min + excess, np.sum(k, axis=-1)
            mean_err[t] = np.sqrt(np.sum(mean**2, axis=-1))
            mean = (1 - m * lam) * mean
            k = (1 - 2 * m * lam + 2 * m**2 * lam**2) * k + m**2 * lam * (excess[..., None] + J_min)
    return LMSTheory(_inf_for_nan(mse), _inf_for_nan(msd), _inf_for_nan(mean_err))


def system_identification(w_true, R, steps, runs=1, noise=0.1, seed=0):
    """Data for identifying an unknown system w_true by LMS: d_t = w_true . x_t + v_t.

    The regressors x_t are independent N(0, R) vectors (R: e.g. :func:`ar1_covariance`),
    so the theory of :func:`lms_theory` is exact; v_t is white noise of std ``noise`` (at
    most 1e100), the floor J_min = noise^2 of the mean squared error.

    Returns X of shape (runs, steps, taps) and d of shape (runs, steps).
    """
    R, _ = _as_covariance(R)
    w_true = v.array("w_true", w_true, ndim=1)
    if w_true.shape != (R.shape[0],):
        raise ValueError(f"w_true must have shape ({R.shape[0]},) to match R, got shape {w_true.shape}")
    steps = v.integer("steps", steps, 1)
    runs = v.integer("runs", runs, 1)
    noise = _size("noise", noise)
    rng = _rng(seed)
    lam, Q = np.linalg.eigh(R)
    root = Q * np.sqrt(np.clip(lam, 0, None))  # root @ root.T = R
    with np.errstate(**_quiet):  # huge R or w_true: inf data, not a warning
        X = rng.standard_normal((runs, steps, R.shape[0])) @ root.T
        d = X @ w_true + noise * rng.standard_normal((runs, steps))
    return X, d


class LMSResult(NamedTuple):
    """What :func:`lms` saw. error : (steps, [K,] runs) the a-priori errors e_t = d_t - w_t.x_t;
    w : ([K,] runs, taps) the final weights; msd : (steps+1, [K,] runs) ||w_t - w_true||^2
    (None when w_true was not given). A run whose error passed 1e100 is frozen there and
    its errors are ``inf`` from then on."""

    error: np.ndarray
    w: np.ndarray
    msd: object

    @property
    def mse(self):
        """The learning curve: mean over runs of e_t^2, shape (steps, [K]) (inf once a run blew up)."""
        with np.errstate(**_quiet):
            return np.mean(self.error**2, axis=-1)


def lms(X, d, mu, w0=None, w_true=None):
    """The LMS adaptive filter (Widrow & Hoff 1960), for K step sizes and many runs at once.

    Each step t: e_t = d_t - w.x_t, then w <- w + mu * e_t * x_t: a stochastic gradient
    step on the squared error e_t^2 / 2 with learning rate mu.

    X : (runs, steps, taps) input vectors (or (steps, taps): one run); d : (runs, steps)
    (or (steps,)) desired outputs; mu : number > 0 or (K,) array (every step size sees the same data);
    w0 : (taps,) start (default 0); w_true : (taps,) to record the weight error.
    Returns :class:`LMSResult`.
    """
    X = v.array("X", X)
    d = v.array("d", d)
    if X.ndim == 2:  # one run
        X, d = X[None], d[None]
    if X.ndim != 3 or d.shape != X.shape[:2] or X.shape[1] == 0:
        raise ValueError(f"X must have shape (runs, steps, taps) and d shape (runs, steps), got {X.shape} and {d.shape}")
    runs, steps, taps = X.shape
    mu = v.hyper("mu", mu, 0, low_open=True)
    K = _settings(("mu", mu))
    lead = (() if K is None else (K,)) + (runs,)
    w = np.zeros(lead + (taps,)) if w0 is None else np.broadcast_to(_vector("w0", w0, taps), lead + (taps,)).copy()
    target = None if w_true is None else _vector("w_true", w_true, taps)
    m = _column(mu, K, len(lead))  # broadcasts against e of shape lead
    errors = np.empty((steps,) + lead)
    msd = None if target is None else np.empty((steps + 1,) + lead)
    blown = np.zeros(lead, dtype=bool)                      # runs that blew up are frozen
    with np.errstate(**_quiet):
        for t in range(steps):
            if msd is not None:
                msd[t] = np.where(blown, np.inf, np.sum((w - target) ** 2, axis=-1))
            x = X[:, t, :]                                  # (runs, taps), shared by all K
            e = d[:, t] - np.sum(w * x, axis=-1)            # a-priori error, shape lead
            blown |= ~(np.abs(e) < _BLOWN)
            e = np.where(blown, 0.0, e)
            w = w + (m * e)[..., None] * x                  # w <- w + mu e x
            errors[t] = np.where(blown, np.inf, e)
        if msd is not None:
            msd[steps] = np.where(blown, np.inf, np.sum((w - target) ** 2, axis=-1))
    return LMSResult(errors, w, msd)


def _vector(name, a, n):
    a = v.array(name, a)
    if a.shape != (n,):
        raise ValueError(f"{name} must be an array of shape ({n},), got shape {a.shape}")
    return a


# ----------------------------------------------------------------------------- TD(0)
def random_walk_values(n_states=5):
    """True values of the random walk of Sutton & Barto (2018, Example 6.2): states 1..n,
    start in the middle, step left or right with probability 1/2, reward 1 only on leaving
    at the right end. V(i) = P(leave right from i) = i / (n + 1): 1/6, ..., 5/6 for n = 5."""
    n_states = v.integer("n_states", n_states, 1)
    return np.arange(1, n_states + 1) / (n_states + 1)


class TDResult(NamedTuple):
    """What :func:`td0_random_walk` saw. rms : (episodes+1, [K,] runs) the root-mean-square
    error of V over the states after each episode (row 0: the start); values : ([K,] runs,
    n_states) the final estimates; true_values : (n_states,). A run whose estimates blew up
    has ``inf`` there."""

    rms: np.ndarray
    values: np.ndarray
    true_values: np.ndarray


def td0_random_walk(alpha, episodes=100, runs=100, power=0.0, n_states=5, v0=0.5, seed=0):
    """TD(0) prediction on the random walk (Sutton 1988; Sutton & Barto 2018, Example 6.2).

    After each move s -> s' with reward r (undiscounted; terminal states have value 0)::

        V(s) <- V(s) + alpha_n * (r + V(s') - V(s)),   alpha_n = alpha / n**power

    where n counts the updates of state s so far (n = 1 at the first), so power = 0 is a
    constant step and power = 1 a per-state 1/n step. All K step sizes see the same walks.

    alpha : number > 0 or (K,) array; power : number >= 0 or (K,) array; episodes, runs :
    ints >= 1; n_states : odd number of non-terminal states; v0 : initial estimate of every state
    (|v0| <= 1e100). A step size so large that V blows up gives an ``inf`` error.
    Returns :class:`TDResult`.
    """
    alpha = v.hyper("alpha", alpha, 0, low_open=True)
    power = v.hyper("power", power, 0)
    episodes = v.integer("episodes", episodes, 1)
    runs = v.integer("runs", runs, 1)
    n_states = v.integer("n_states", n_states, 1)
    if n_states % 2 == 0:
        raise ValueError(f"n_states must be odd (the walk starts in the middle state), got {n_states}")
    v0 = _size("v0", v0, None)
    rng = _rng(seed)
    K = _settings(("alpha", alpha), ("power", power))
    lead = (() if K is None else (K,)) + (runs,)
    a, p = _column(alpha, K, len(lead)), _column(power, K, len(lead))
    true = random_walk_values(n_states)
    V = np.full(lead + (n_states + 2,), v0)
    V[..., 0] = V[..., -1] = 0.0                      # terminal states: value 0
    start = (n_states + 1) // 2
    state = np.full(runs, start)
    done = np.zeros(runs, dtype=int)                  # episodes finished per run
    visits = np.zeros((runs, n_states + 2))
    rms = np.empty((episodes + 1,) + lead)
    rms[0] = np.sqrt(np.mean((V[..., 1:-1] - true) ** 2, axis=-1))
    idx = np.arange(runs)
    with np.errstate(**_quiet):  # a step size so large that V blows up: inf, not a warning
        while np.any(done < episodes):
            live = done < episodes
            nxt = state + np.where(rng.random(runs) < 0.5, -1, 1)
            r = (nxt == n_states + 1).astype(float)
            visits[idx, state] += live
            step = np.where(live, a / np.maximum(visits[idx, state], 1) ** p, 0.0)
            V[..., idx, state] += step * (r + V[..., idx, nxt] - V[..., idx, state])   # TD(0)
            ended = live & ((nxt == 0) | (nxt == n_states + 1))
            if ended.any():
                err = np.sqrt(np.mean((V[..., ended, 1:-1] - true) ** 2, axis=-1))   # ([K,] n_ended)
                rms[(done[ended] + 1,) + ((slice(None),) if K is not None else ()) + (np.flatnonzero(ended),)] = (
                    err.T if K is not None else err)
                done = done + ended
            state = np.where(ended | ~live, start, nxt)
    return TDResult(_inf_for_nan(rms), _inf_for_nan(V[..., 1:-1]), true)


# ----------------------------------------------------------------------------- tracking
def drifting_stream(steps, drift=0.01, noise=1.0, runs=1, jump_at=None, jump=0.0, theta0=0.0, seed=0):
    """A stream y_t = theta_t + v_t whose mean theta_t drifts (a random walk), and may jump.

    theta_t = theta_(t-1) + drift * N(0, 1) (plus ``jump`` at step ``jump_at``);
    v_t = noise * N(0, 1). The simplest online-learning problem: estimate theta_t as it moves.
    drift and noise are standard deviations in [0, 1e100]; |jump|, |theta0| <= 1e100.

    Returns theta and y, both of shape (runs, steps).
    """
    steps = v.integer("steps", steps, 1)
    drift = _size("drift", drift)
    noise = _size("noise", noise)
    runs = v.integer("runs", runs, 1)
    jump = _size("jump", jump, None)
    theta0 = _size("theta0", theta0, None)
    if jump_at is not None:
        jump_at = v.integer("jump_at", jump_at, 0, steps - 1)
    rng = _rng(seed)
    moves = drift * rng.standard_normal((runs, steps))
    moves[:, 0] = 0.0
    if jump_at is not None:
        moves[:, jump_at] += jump
    theta = theta0 + np.cumsum(moves, axis=1)
    return theta, theta + noise * rng.standard_normal((runs, steps))


def track(y, alpha, power=0.0, w0=0.0):
    """Online estimate of a stream: w_t = w_(t-1) + a_t (y_t - w_(t-1)), a_t = alpha / t**power.

    An SGD step on (w - y_t)^2 / 2 (LMS with input 1). A constant a_t = alpha is an
    exponential moving average that forgets the past at rate alpha; a_t = 1/t (alpha = 1,
    power = 1) is the running mean of everything seen, which stops following a moving target.

    y : (runs, steps) or (steps,); alpha : number in (0, 2) or (K,) array; power >= 0;
    w0 : the start (|w0| <= 1e100). Returns w of shape (steps, [K,] runs) (or (steps, [K]) for
    a 1-D y): w_t after seeing y_t (inf where it blew up).
    """
    y = v.array("y", y)
    single = y.ndim == 1
    if single:
        y = y[None]
    if y.ndim != 2 or y.shape[1] == 0:
        raise ValueError(f"y must be an array of shape (runs, steps) or (steps,), got shape {y.shape}")
    alpha = v.hyper("alpha", alpha, 0, 2, low_open=True, high_open=True)
    power = v.number("power", power, 0)
    w0 = _size("w0", w0, None)
    runs, steps = y.shape
    K = _settings(("alpha", alpha))
    a = step_sizes(alpha, steps, power)               # (steps, [K])
    lead = (() if K is None else (K,)) + (runs,)
    w = np.full(lead, w0)
    out = np.empty((steps,) + lead)
    with np.errstate(**_quiet):
        for t in range(steps):
            w = w + _column(a[t], K, len(lead)) * (y[:, t] - w)
            out[t] = w
    out = _inf_for_nan(out)
    return out[..., 0] if single else out


def tracking_error(alpha, drift, noise):
    """Steady-state mean squared error E[(w_t - theta_t)^2] of :func:`track` with a constant
    step ``alpha`` on :func:`drifting_stream` (no jump)::

        ((1 - alpha)^2 drift^2 + alpha^2 noise^2) / (alpha (2 - alpha))

    Small alpha: lag error ~ drift^2 / (2 alpha); large alpha: noise error ~ alpha noise^2 / 2.
    """
    alpha = np.asarray(v.hyper("alpha", alpha, 0, 2, low_open=True, high_open=True), dtype=float)
    drift = v.number("drift", drift, 0)
    noise = v.number("noise", noise, 0)
    with np.errstate(**_quiet):  # an error beyond the float range is inf
        out = (((1 - alpha) * drift) ** 2 + (alpha * noise) ** 2) / (alpha * (2 - alpha))
    return float(out) if out.ndim == 0 else out


def kalman_gain(drift, noise):
    """The best constant step for tracking a random walk in noise: the steady-state Kalman
    gain of the local-level model, the root in (0, 1) of a^2 / (1 - a) = drift^2 / noise^2.
    Exponential smoothing with this step is the optimal filter (Muth 1960); it minimises
    :func:`tracking_error`, where the error equals gain * noise^2."""
    drift = v.number("drift", drift, 0, low_open=True)
    noise = v.number("noise", noise, 0, low_open=True)
    with np.errstate(**_quiet):  # h beyond the float range: the gain is 0 (as 2 / (1 + inf))
        h = np.float64(noise) / drift  # 1 / sqrt(r), r = drift^2 / noise^2
        # the root (-r + sqrt(r^2 + 4 r)) / 2, written without cancellation for large r
        return float(2 / (1 + np.sqrt(1 + 4 * h * h)))


# ----------------------------------------------------------------------------- Robbins-Monro
def robbins_monro(response, theta0, alpha, steps, power=1.0, runs=1, seed=0):
    """Stochastic approximation (Robbins & Monro 1951): find the root of an increasing M(theta)
    from noisy measurements only: theta_(n+1) = theta_n - a_n Y_n with E[Y_n] = M(theta_n)
    and a_n = alpha / n**power. Converges with probability 1 under sum a_n = inf,
    sum a_n^2 < inf (1/2 < power <= 1) and mild conditions on M and the noise.

    response : function (theta, rng) -> noisy Y of theta's shape ([K,] runs);
    theta0 : number, the start (|theta0| <= 1e100); alpha : number > 0 or (K,) array; power :
    number >= 0 or (K,) array (K settings: any mix of constants and decays). Returns theta,
    shape (steps+1, [K,] runs).
    """
    if not callable(response):
        raise TypeError(f"response must be a function (theta, rng) -> noisy measurement, got {type(response).__name__}")
    theta0 = _size("theta0", theta0, None)
    steps = v.integer("steps", steps, 1)
    runs = v.integer("runs", runs, 1)
    a = step_sizes(alpha, steps, power)
    K = None if a.ndim == 1 else a.shape[1]
    rng = _rng(seed)
    lead = (() if K is None else (K,)) + (runs,)
    theta = np.empty((steps + 1,) + lead)
    theta[0] = theta0
    with np.errstate(**_quiet):
        for n in range(steps):
            Y = np.asarray(response(theta[n].copy(), rng), dtype=float)
            if Y.shape != lead:
                raise ValueError(f"response must return an array of shape {lead} (theta's shape), got {Y.shape}")
            theta[n + 1] = theta[n] - _column(a[n], K, len(lead)) * Y
    return _inf_for_nan(theta)
