"""Optimizers that set their own step size: Lion, schedule-free SGD and AdamW, Prodigy, DoG
and L-DoG, in numpy.

Each follows its authors' reference implementation on PyPI operation by operation, with the
same argument names and defaults, so a run here matches it in float64 up to rounding
(tests/test_selftuning.py compares them):

=====================  ==============================================  ============================
here                   paper                                           reference (PyPI)
=====================  ==============================================  ============================
``lion``               Chen et al. 2023, "Symbolic Discovery of         ``lion-pytorch`` ``Lion``
                       Optimization Algorithms"
``sgd_schedulefree``   Defazio et al. 2024, "The Road Less Scheduled"   ``schedulefree``
``adamw_schedulefree``                                                  ``SGDScheduleFree``,
                                                                        ``AdamWScheduleFree``
``prodigy``            Mishchenko & Defazio 2023, "Prodigy: An          ``prodigyopt`` ``Prodigy``
                       Expeditiously Adaptive Parameter-Free Learner"
``dog``, ``ldog``      Ivgi et al. 2023, "DoG is SGD's Best Friend"     ``dog-optimizer`` ``DoG``,
                                                                        ``LDoG``
``sps``, ``polyak``    Loizou et al. 2021, "Stochastic Polyak           github IssamLaradji/sps
                       Step-size for SGD"; Polyak 1987                  (not on PyPI)
``armijo``             Vaswani et al. 2019, "Painless Stochastic        github IssamLaradji/sls
                       Gradient"                                        (not on PyPI)
``sgd_hd``,            Baydin et al. 2018, "Online Learning Rate        github gbaydin/
``adam_hd``            Adaptation with Hypergradient Descent"           hypergradient-descent
=====================  ==============================================  ============================

The last three rows have no package on PyPI; they follow the authors' repositories and are
tested against their formulas, not run against the originals. ``polynomial_decay_averager``
averages the iterates as ``dog-optimizer``'s ``PolynomialDecayAverager`` (Shamir & Zhang 2013),
the average Ivgi et al. 2023 report DoG's results for.

Arguments of the references that choose a torch implementation of the same formulas are accepted
and ignored (schedule-free's ``foreach``, Lion's ``use_triton``); Prodigy's ``fsdp_in_use``, for
models sharded over several processes, must stay False.

The interface is the one of :mod:`lrcourse.optimizers`::

    opt = prodigy()
    state = opt.init(x)                      # x: one array, or a list/dict of arrays (layers)
    for k in range(100):
        x, state = opt.step(x, grad(x), state)

``init`` and ``step`` are pure functions (inputs never modified). A hyperparameter given as a
``(K,)`` array runs K settings side by side; every parameter array then carries a leading axis
of size K (see :mod:`lrcourse.optimizers`). Divergence gives inf/nan, never warnings.

Unlike the optimizers of :mod:`lrcourse.optimizers`, Prodigy, DoG and the schedule-free methods
look at *all* parameter arrays at once (a norm, a dot product over the whole model), and their
state holds a few numbers besides the per-array buffers (``opt.scalars`` lists them): one
float each, or a ``(K,)`` array with K settings.

**Methods that need the loss.** ``sps`` and ``polyak`` take the loss at the params,
``step(params, grads, state, loss=f(params))``; ``armijo`` also a closure that evaluates the same
(mini-batch) loss at trial params, ``step(params, grads, state, loss=f(params), closure=f)``.
With K settings the loss (and the closure's value) is a (K,) array, one loss per setting.

**Schedule-free: two points.** ``sgd_schedulefree`` and ``adamw_schedulefree`` keep the
*training* point y as the params (the gradient is evaluated at y, as the reference does in
``.train()`` mode); the point to evaluate or deploy is x, ``opt.eval_params(params, state)``
(the reference's ``.eval()``). ``lrcourse.run`` drives the methods that need only gradients
(all but ``sps``, ``polyak`` and ``armijo``); for schedule-free it records the loss at y, not x.
"""
from __future__ import annotations

import numpy as np

from lrcourse._validate import choice, flag, hyper, integer
from lrcourse.optimizers import Optimizer, _column, _describe, _fmt, _frozen, _leaves, _pow, _rebuild

__all__ = ["lion", "sgd_schedulefree", "adamw_schedulefree", "prodigy", "dog", "ldog", "polynomial_decay_averager",
           "sps", "polyak", "armijo", "sgd_hd", "adam_hd",
           "Lion", "SGDScheduleFree", "AdamWScheduleFree", "Prodigy", "DoG", "LDoG", "PolynomialDecayAverager",
           "SPS", "Polyak", "Armijo", "SGDHD", "AdamHD"]


def _betas(betas, high_open=True):
    """A pair (beta1, beta2) of numbers or (K,) arrays in [0, 1) (or [0, 1] if not high_open)."""
    if isinstance(betas, (str, bytes)) or not hasattr(betas, "__len__"):
        raise TypeError(f"betas must be a pair (beta1, beta2), got {type(betas).__name__} {betas!r}")
    if len(betas) != 2:
        raise ValueError(f"betas must be a pair (beta1, beta2), got {len(betas)} values: {betas!r}")
    return tuple(_frozen(hyper(f"betas[{i}]", b, 0, 1, high_open=high_open)) for i, b in enumerate(betas))


def _lerp(a, b, w):
    """torch.lerp(a, b, w): a + w (b - a) for |w| < 0.5, else b - (b - a)(1 - w) (same value, rounded
    from the nearer end)."""
    return np.where(np.abs(w) < 0.5, a + w * (b - a), b - (b - a) * (1 - w))


def _first_max(a, b):
    """Python's max(a, b) element by element: b only where b > a (a NaN b is ignored)."""
    return np.where(b > a, b, a)


def _first_min(a, b):
    """Python's min(a, b) element by element: b only where b < a."""
    return np.where(b < a, b, a)


def _col(value, ndim):
    """A per-setting number as a column against a (K, ...) leaf (0-d results become floats first)."""
    return _column(value if np.ndim(value) else float(value), ndim)


def _plain(value):
    """0-d results back to a Python float (one setting); (K,) arrays stay arrays."""
    return float(value) if np.ndim(value) == 0 else np.asarray(value, dtype=float)


# ----------------------------------------------------------------------------- Lion
class Lion(Optimizer):
    """Lion: the sign of an interpolated momentum (Chen et al. 2023, "Symbolic Discovery of
    Optimization Algorithms", Algorithm 2).

    ``lion_pytorch.Lion``'s algorithm, m the momentum (buffer ``exp_avg``)::

        p <- p * (1 - lr * weight_decay)       (decoupled_weight_decay=True: weight_decay / lr0,
                                                lr0 the constructor's lr, so the decay is lr-free)
        c  = beta1 * m + (1 - beta1) * g
        p <- p - lr * sign(c)                  (every coordinate moves by exactly lr)
        m <- beta2 * m + (1 - beta2) * g

    Its step has the same size lr in every coordinate whatever the gradient's scale, so its
    lr is typically 3-10x smaller than AdamW's (default 1e-4).

    ``use_triton`` is accepted and ignored: in the reference it swaps in a Triton GPU kernel that
    computes the same update; numpy has one implementation.
    """

    name = "lion"
    _signature = ("lr", "betas", "weight_decay")
    _shown_if_set = ("decoupled_weight_decay",)
    decoupled_weight_decay = False

    def __init__(self, lr=1e-4, betas=(0.9, 0.99), weight_decay=0.0, use_triton=False, decoupled_weight_decay=False):
        self.use_triton = flag("use_triton", use_triton)  # an implementation choice of the reference: ignored
        self.betas = _betas(betas, high_open=False)
        self.weight_decay = _frozen(hyper("weight_decay", weight_decay, 0))
        self.decoupled_weight_decay = flag("decoupled_weight_decay", decoupled_weight_decay)
        self._setup(lr, beta1=self.betas[0], beta2=self.betas[1], weight_decay=self.weight_decay)
        self._lr0 = self.lr_at(0)
        if self.decoupled_weight_decay and np.any(self._lr0 == 0):
            raise ValueError("lr must be > 0 with decoupled_weight_decay=True (the decay is divided by it)")

    def _buffer_names(self):
        return ("exp_avg",)

    def _update(self, p, g, s, k, h):
        wd = h.weight_decay / _col(self._lr0, p.ndim) if self.decoupled_weight_decay else h.weight_decay
        p = p * (1.0 - h.lr * wd)
        update = np.sign(s["exp_avg"] * h.beta1 + (1 - h.beta1) * g)
        p = p + (-h.lr) * update
        return p, {"exp_avg": s["exp_avg"] * h.beta2 + (1 - h.beta2) * g}


# ----------------------------------------------------------------------------- whole-model base
class _Whole(Optimizer):
    """An optimizer whose step looks at all parameter arrays at once, and whose state keeps a few
    numbers (``scalars``) besides the per-array buffers."""

    scalars: tuple = ()

    def _initial_scalars(self):
        return {}

    def init(self, params):
        """A fresh state for ``params`` (one array, or a list/dict of arrays); see the module doc."""
        state = super().init(params)
        state.update(self._initial_scalars())
        return state

    def step(self, params, grads, state):
        """One update: returns ``(new_params, new_state)``; the inputs are left untouched."""
        return self._run(params, grads, state)

    def _run(self, params, grads, state, **extra):
        P = self._param_leaves(params)
        G = _leaves(grads, "grads", like=params)
        k, buffers = self._read_state(state, params)
        missing = [key for key in self.scalars if key not in state]
        if missing:
            raise ValueError(f"state must come from this {self.name} optimizer's init(params), missing {missing}")
        scalars = {key: self._scalar(key, state[key]) for key in self.scalars}
        lr = self.lr_at(k)
        with np.errstate(all="ignore"):
            P, buffers, scalars = self._step_all(P, G, buffers, scalars, k, lr, **extra)
        new_state = {"optimizer": self.name, "step": k + 1}
        new_state.update({b: _rebuild(params, buffers[b]) for b in self.buffers})
        new_state.update({key: _plain(v) for key, v in scalars.items()})
        return _rebuild(params, P), new_state

    def _scalar(self, key, value):
        arr = np.asarray(value)
        want = () if self.n_settings is None else (self.n_settings,)
        if arr.dtype.kind not in "biuf" or arr.shape != want:
            raise ValueError(f"state[{key!r}] must be {'a number' if not want else f'an array of shape {want}'}, "
                             f"got {_describe(value)}")
        return arr.astype(float) if want else float(arr)

    def _per_setting(self, value):
        """A scalar hyperparameter or the lr as a float (one setting) or a (K,) array."""
        if self.n_settings is None:
            return value
        return np.broadcast_to(value, (self.n_settings,)).astype(float)

    def _sum(self, a):
        """Sum of one leaf's entries, per setting: a float, or (K,) with K settings."""
        if self.n_settings is None:
            return a.sum()
        return a.reshape(self.n_settings, -1).sum(axis=1)

    def _step_all(self, P, G, buffers, scalars, k, lr):  # pragma: no cover - every subclass defines it
        raise NotImplementedError


# ----------------------------------------------------------------------------- schedule-free
class SGDScheduleFree(_Whole):
    """Schedule-free SGD (Defazio et al. 2024, "The Road Less Scheduled", Algorithm 1).

    ``schedulefree.SGDScheduleFree``'s algorithm. Three sequences: z (plain SGD steps, buffer
    ``z``), x (the weighted average of the z's: where the model is evaluated) and y, between
    them, where the gradient is taken (the params here). With t = k + 1 and beta = momentum::

        lr_t  = lr * min(1, t / warmup_steps)            (linear warmup, if warmup_steps > 0)
        lr_max <- max(lr_max, lr_t)
        w_t   = t^r * lr_max^weight_lr_power             (the weight of z_{t+1} in the average)
        W    <- W + w_t;   c = w_t / W                   (c = 1/t for r = 0 and no warmup)
        g    <- g + weight_decay * y                     (at y)
        y    <- (1 - c) y + c z + lr_t (beta (1 - c) - 1) g
        z    <- z - lr_t g

    The evaluation point is x = (y - (1 - beta) z) / beta, i.e. lerp(y, z, 1 - 1/beta)
    (``eval_params``; the reference's ``optimizer.eval()``). The state's ``weight_sum`` is W,
    ``lr_max`` the largest warmed-up rate so far (starts at -1, as in the reference).

    ``foreach`` (True, False or None) is accepted and ignored: in the reference it chooses between
    torch's multi-tensor kernels and a loop over the arrays, the same formulas either way. Its
    default there is ``hasattr(torch, "_foreach_mul_")``, True in every recent torch.
    """

    name = "sgd_schedulefree"
    _signature = ("lr", "momentum", "weight_decay", "warmup_steps", "r", "weight_lr_power")
    _shown_if_set = ()
    scalars = ("weight_sum", "lr_max")
    _beta_name = "momentum"

    def __init__(self, lr=1.0, momentum=0.9, weight_decay=0.0, warmup_steps=0, r=0.0, weight_lr_power=2.0,
                 foreach=True):
        self.momentum = _frozen(hyper("momentum", momentum, 0, 1, low_open=True, high_open=True))
        self._sf_setup(lr, weight_decay, warmup_steps, r, weight_lr_power, foreach, momentum=self.momentum)

    def _sf_setup(self, lr, weight_decay, warmup_steps, r, weight_lr_power, foreach, **numeric):
        self.foreach = None if foreach is None else flag("foreach", foreach)  # the reference's kernels: ignored
        self.weight_decay = _frozen(hyper("weight_decay", weight_decay, 0))
        self.warmup_steps = integer("warmup_steps", warmup_steps, 0)
        self.r = _frozen(hyper("r", r, 0))
        self.weight_lr_power = _frozen(hyper("weight_lr_power", weight_lr_power, 0))
        self._setup(lr, weight_decay=self.weight_decay, r=self.r, weight_lr_power=self.weight_lr_power, **numeric)

    def _buffer_names(self):
        return ("z",)

    def _initial_buffer(self, buffer, p):
        return p.copy() if buffer == "z" else np.zeros_like(p)

    def _initial_scalars(self):
        return {"weight_sum": _plain(self._per_setting(0.0)), "lr_max": _plain(self._per_setting(-1.0))}

    def _average_weight(self, scalars, k, lr):
        """The warmed-up rate lr_t and c = w_t / W of step k; updates weight_sum and lr_max."""
        h = self._hypers(1, lr)
        lr_t = h.lr * ((k + 1) / self.warmup_steps if k < self.warmup_steps else 1.0)
        lr_max = _first_max(lr_t, scalars["lr_max"])  # Python's max(lr, lr_max)
        weight = _pow(float(k + 1), h.r) * _pow(lr_max, h.weight_lr_power)
        weight_sum = scalars["weight_sum"] + weight
        c = np.where(weight_sum == 0, 0.0, weight / np.where(weight_sum == 0, 1.0, weight_sum))
        return lr_t, c, {"weight_sum": weight_sum, "lr_max": lr_max}

    def _direction(self, p, g, s, k, h):
        """The gradient step's direction (SGD: g itself) and the new buffers besides z."""
        return g, {}

    def _step_all(self, P, G, buffers, scalars, k, lr):
        lr_t, c, scalars = self._average_weight(scalars, k, lr)
        new_P, new_b = [], {b: [] for b in self.buffers}
        for i, (y, g) in enumerate(zip(P, G)):
            h = self._hypers(y.ndim, lr)
            lr_i, c_i, beta = _col(lr_t, y.ndim), _col(c, y.ndim), getattr(h, self._beta_name)
            g, extra = self._direction(y, g, {b: buffers[b][i] for b in self.buffers}, k, h)
            if self._decays:
                g = g + h.weight_decay * y
            z = buffers["z"][i]
            y = _lerp(y, z, c_i)
            y = y + lr_i * (beta * (1 - c_i) - 1) * g
            new_P.append(y)
            new_b["z"].append(z - lr_i * g)
            for b, v in extra.items():
                new_b[b].append(v)
        return new_P, new_b, scalars

    def eval_params(self, params, state):
        """The evaluation point x = lerp(y, z, 1 - 1/beta) for the training point y = ``params``
        (what the reference's ``optimizer.eval()`` puts in the model); same structure as params."""
        P = self._param_leaves(params)
        _, buffers = self._read_state(state, params)
        out = []
        with np.errstate(all="ignore"):
            for y, z in zip(P, buffers["z"]):
                beta = getattr(self._hypers(y.ndim, self.lr_at(0)), self._beta_name)
                out.append(_lerp(y, z, 1 - 1 / beta))
        return _rebuild(params, out)


class AdamWScheduleFree(SGDScheduleFree):
    """Schedule-free AdamW (Defazio et al. 2024, "The Road Less Scheduled", Algorithm 1 with
    Adam's preconditioner); it won the self-tuning track of AlgoPerf 2024.

    ``schedulefree.AdamWScheduleFree``'s algorithm: schedule-free SGD (see ``SGDScheduleFree``,
    beta1 in the role of momentum) applied to the gradient divided by Adam's denominator,
    weight decay added *after* the division::

        v    <- beta2 v + (1 - beta2) g^2                 (buffer exp_avg_sq)
        g    <- g / (sqrt(v / (1 - beta2^t)) + eps) + weight_decay * y
        y    <- (1 - c) y + c z + lr_t (beta1 (1 - c) - 1) g
        z    <- z - lr_t g

    No first moment: the averaging plays its part. ``eval_params`` gives x = lerp(y, z, 1 - 1/beta1).
    ``foreach`` is accepted and ignored, as for ``SGDScheduleFree``.
    """

    name = "adamw_schedulefree"
    _signature = ("lr", "betas", "eps", "weight_decay", "warmup_steps", "r", "weight_lr_power")
    _beta_name = "beta1"

    def __init__(self, lr=0.0025, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, warmup_steps=0, r=0.0,
                 weight_lr_power=2.0, foreach=True):
        self.betas = _betas(betas)
        if np.any(np.asarray(self.betas[0]) == 0):
            raise ValueError("betas[0] must be > 0 (the evaluation point divides by it), got 0")
        self.eps = _frozen(hyper("eps", eps, 0))
        self._sf_setup(lr, weight_decay, warmup_steps, r, weight_lr_power, foreach, beta1=self.betas[0],
                       beta2=self.betas[1], eps=self.eps)

    def _buffer_names(self):
        return ("z", "exp_avg_sq")

    def _direction(self, p, g, s, k, h):
        v = s["exp_avg_sq"] * h.beta2 + (1 - h.beta2) * g * g
        denom = np.sqrt(v / (1 - _pow(h.beta2, k + 1))) + h.eps
        return g / denom, {"exp_avg_sq": v}


# ----------------------------------------------------------------------------- Prodigy
class Prodigy(_Whole):
    """Prodigy: Adam whose rate d is an estimate of the distance to the solution, grown from d0
    (Mishchenko & Defazio 2023, "Prodigy: An Expeditiously Adaptive Parameter-Free Learner",
    Algorithm 3 as implemented in ``prodigyopt.Prodigy``, version 1.1).

    With d the current estimate, t = k + 1, x0 the starting params, bc = sqrt(1 - beta2^t) /
    (1 - beta1^t) if use_bias_correction else 1, dlr = d * lr * bc, and a[::n] every n-th entry of
    the flattened array a (n = slice_p)::

        g    <- g + weight_decay * p                     (only if decouple=False)
        m    <- beta1 m + d (1 - beta1) g                (buffer exp_avg)
        v    <- beta2 v + d^2 (1 - beta2) g^2            (buffer exp_avg_sq)
        s    <- beta3 s + (d / d0) * dlr * g[::n]        (safeguard_warmup: (d / d0) * d * g[::n])
        num  <- beta3 num + (d / d0) * dlr * <g[::n], x0[::n] - p[::n]>   (the state's d_numerator)
        d_hat = d_coef * num / sum|s|                    (sums over all params)
        d    <- max(d, d_hat)  while d is still d0
        d_max <- max(d_max, d_hat);   d_new = min(d_max, d * growth_rate)
        p    <- p - weight_decay * dlr * p               (only if decouple=True)
        p    <- p - dlr * m / (sqrt(v) + d_new * eps)    (beta1 = 0: p - dlr * d_new * g / (...))

    dlr and the moments use the d from before the step, the denominator uses d_new; beta3 =
    sqrt(beta2) if None; the state keeps d, d_max, d_numerator and k. While sum|s| = 0 (e.g. zero
    gradients) the reference returns before the update: params, d and its step counter k stay, the
    buffers move; so here.

    ``slice_p`` saves memory: the buffers ``s`` and ``p0`` (x0[::n]) hold only every slice_p-th entry
    of each flattened array, so with slice_p > 1 d is estimated from a subsample of the coordinates
    (the authors suggest about 11 for large models; 1, the default, is the method of the paper).
    They are 1-D per array, (K, m) with K settings. ``fsdp_in_use`` must stay False: in the reference
    it sums these statistics over the processes of a sharded (FSDP) model with torch.distributed;
    here one process sees every array.
    """

    name = "prodigy"
    _signature = ("lr", "betas", "beta3", "eps", "weight_decay", "decouple", "use_bias_correction",
                  "safeguard_warmup", "d0", "d_coef", "growth_rate", "slice_p")
    _shown_if_set = ()
    scalars = ("d", "d_max", "d_numerator", "k")
    _sliced = ("p0", "s")  # buffers holding every slice_p-th entry of the flattened arrays

    def __init__(self, lr=1.0, betas=(0.9, 0.999), beta3=None, eps=1e-8, weight_decay=0.0, decouple=True,
                 use_bias_correction=False, safeguard_warmup=False, d0=1e-6, d_coef=1.0, growth_rate=float("inf"),
                 fsdp_in_use=False, slice_p=1):
        if flag("fsdp_in_use", fsdp_in_use):
            raise ValueError("fsdp_in_use must be False: in prodigyopt it sums the d statistics over the processes "
                             "of a sharded (FSDP) model with torch.distributed; here one process sees every array")
        self.fsdp_in_use = False
        self.slice_p = integer("slice_p", slice_p, 1)
        self.betas = _betas(betas)
        self.beta3 = None if beta3 is None else _frozen(hyper("beta3", beta3, 0, 1))
        self.eps = _frozen(hyper("eps", eps, 0, low_open=True))
        self.weight_decay = _frozen(hyper("weight_decay", weight_decay, 0))
        self.decouple = flag("decouple", decouple)
        self.use_bias_correction = flag("use_bias_correction", use_bias_correction)
        self.safeguard_warmup = flag("safeguard_warmup", safeguard_warmup)
        self.d0 = _frozen(hyper("d0", d0, 0, low_open=True))
        self.d_coef = _frozen(hyper("d_coef", d_coef, 0, low_open=True))
        self.growth_rate = (float("inf") if isinstance(growth_rate, float) and growth_rate == float("inf")
                            else _frozen(hyper("growth_rate", growth_rate, 0, low_open=True)))
        beta3 = np.sqrt(self.betas[1]) if self.beta3 is None else self.beta3
        if self.beta3 is None and not isinstance(beta3, np.ndarray):
            beta3 = float(beta3)
        self._setup(lr, beta1=self.betas[0], beta2=self.betas[1], beta3=beta3, eps=self.eps,
                    weight_decay=self.weight_decay, d0=self.d0, d_coef=self.d_coef, growth_rate=self.growth_rate)
        if not callable(self.lr) and np.any(np.asarray(self.lr) <= 0):
            raise ValueError(f"lr must be > 0 (Prodigy's d is scaled by it), got {self.lr!r}")

    def _buffer_names(self):
        return ("p0", "s", "exp_avg", "exp_avg_sq")

    def _initial_buffer(self, buffer, p):
        if buffer == "p0":
            return self._slice(p).copy()
        return np.zeros_like(self._slice(p) if buffer == "s" else p)

    def _slice(self, a):
        """Every slice_p-th entry of the flattened array (per setting with K settings): the
        reference's ``p.flatten()[::slice_p]``."""
        if self.n_settings is None:
            return a.reshape(-1)[::self.slice_p]
        return a.reshape(self.n_settings, -1)[:, ::self.slice_p]

    def _read_state(self, state, params):
        """As for every optimizer, but p0 and s are checked against the sliced params."""
        if not isinstance(state, dict) or any(b not in state for b in self._sliced):
            return super()._read_state(state, params)  # not a state of this optimizer: its error
        # the base class checks the rest (p0 and s stood in for by params), then p0 and s here
        k, buffers = super()._read_state({**state, **{b: params for b in self._sliced}}, params)
        sliced = _rebuild(params, [self._slice(p) for p in self._param_leaves(params)])
        buffers.update({b: _leaves(state[b], f"state[{b!r}]", like=sliced) for b in self._sliced})
        return k, buffers

    def _initial_scalars(self):
        d0 = _plain(self._per_setting(self.d0))
        return {"d": d0, "d_max": d0, "d_numerator": _plain(self._per_setting(0.0)),
                "k": _plain(self._per_setting(0.0))}

    def _step_all(self, P, G, buffers, scalars, k, lr):
        h = self._hypers(1, lr)
        d, d_max, kk = scalars["d"], scalars["d_max"], scalars["k"]
        bc = (_pow(1 - _pow(h.beta2, kk + 1), 0.5) / (1 - _pow(h.beta1, kk + 1)) if self.use_bias_correction
              else 1.0)
        dlr = d * h.lr * bc
        d_numerator = scalars["d_numerator"] * h.beta3
        delta_numerator, d_denom = 0.0, 0.0
        G2, new_b = [], {b: [] for b in self.buffers}
        for i, (p, g) in enumerate(zip(P, G)):
            n, hp = p.ndim, self._hypers(p.ndim, lr)
            col = lambda v: _col(v, n)  # noqa: E731
            if self._decays and not self.decouple:
                g = g + hp.weight_decay * p
            G2.append(g)
            sliced_g, sliced_p = self._slice(g), self._slice(p)
            delta_numerator = delta_numerator + (d / h.d0) * dlr * self._sum(sliced_g * (buffers["p0"][i] - sliced_p))
            m = buffers["exp_avg"][i] * hp.beta1 + col(d * (1 - h.beta1)) * g
            v = buffers["exp_avg_sq"][i] * hp.beta2 + col(d * d * (1 - h.beta2)) * g * g
            alpha = (d / h.d0) * d if self.safeguard_warmup else (d / h.d0) * dlr
            s = buffers["s"][i] * _col(h.beta3, sliced_g.ndim) + _col(alpha, sliced_g.ndim) * sliced_g
            d_denom = d_denom + self._sum(np.abs(s))
            for b, value in (("p0", buffers["p0"][i]), ("s", s), ("exp_avg", m), ("exp_avg_sq", v)):
                new_b[b].append(value)

        moves = d_denom != 0  # the reference returns early where sum|s| = 0
        global_numerator = d_numerator + delta_numerator
        d_hat = h.d_coef * global_numerator / np.where(moves, d_denom, 1.0)
        d_new = np.where(d == h.d0, _first_max(d, d_hat), d)
        d_max_new = _first_max(d_max, d_hat)
        d_new = _first_min(d_max_new, d_new * h.growth_rate)

        new_P = []
        for p, g, m, v in zip(P, G2, new_b["exp_avg"], new_b["exp_avg_sq"]):
            n, hp = p.ndim, self._hypers(p.ndim, lr)
            col = lambda v: _col(v, n)  # noqa: E731
            denom = np.sqrt(v) + col(d_new * h.eps)
            q = p
            if self._decays and self.decouple:
                q = q + col(-h.weight_decay * dlr) * q
            q = np.where(hp.beta1 > 0, q + col(-dlr) * (m / denom), q + col(-dlr * d_new) * (g / denom))
            new_P.append(np.where(col(moves), q, p))
        scalars = {"d": np.where(moves, d_new, d), "d_max": np.where(moves, d_max_new, d_max),
                   "d_numerator": np.where(moves, global_numerator, scalars["d_numerator"]),
                   "k": np.where(moves, kk + 1, kk)}
        return new_P, new_b, scalars


# ----------------------------------------------------------------------------- DoG
class DoG(_Whole):
    """DoG, distance over gradients (Ivgi et al. 2023, "DoG is SGD's Best Friend: A Parameter-Free
    Dynamic Step Size Schedule", Algorithm 1), as ``dog.DoG`` of ``dog-optimizer`` computes it.

    SGD whose rate is the largest distance travelled from the start x0 (buffer ``x0``) over the
    root of the summed squared gradient norms, norms over all params together::

        g    <- g + weight_decay * p                           (L2)
        rbar  = reps_rel * (1 + |x0|)    on the first step,  then  rbar <- max(rbar, |p - x0|)
        G     = |g|^2 + eps              on the first step,  then  G    <- G + |g|^2
        eta   = lr * rbar / sqrt(G)                            (first step: init_eta if given)
        p    <- p - eta * g

    ``lr`` is the paper's c (1 recommended). The state keeps ``rbar``, ``G`` and ``eta`` (the step
    size just used). The authors evaluate an average of the iterates, not the last one
    (``polynomial_decay_averager``, their ``PolynomialDecayAverager``). If G is 0 (zero gradients,
    eps=0) the reference stops with an assertion; here eta becomes nan.
    """

    name = "dog"
    _signature = ("reps_rel", "lr", "weight_decay", "eps", "init_eta")
    _shown_if_set = ()
    scalars = ("rbar", "G", "eta")

    def __init__(self, reps_rel=1e-6, lr=1.0, weight_decay=0.0, eps=1e-8, init_eta=None):
        self.init_eta = None if init_eta is None else _frozen(hyper("init_eta", init_eta, 0, low_open=True))
        self.reps_rel = _frozen(hyper("reps_rel", reps_rel, 0, low_open=init_eta is None))
        self.weight_decay = _frozen(hyper("weight_decay", weight_decay, 0))
        self.eps = _frozen(hyper("eps", eps, 0))
        numeric = dict(reps_rel=0.0 if init_eta is not None else self.reps_rel, weight_decay=self.weight_decay,
                       eps=self.eps)
        if init_eta is not None:
            numeric["init_eta"] = self.init_eta
        self._setup(lr, **numeric)
        if not callable(self.lr) and np.any(np.asarray(self.lr) <= 0):
            raise ValueError(f"lr must be > 0 (DoG's c; 1 is recommended), got {self.lr!r}")

    def _buffer_names(self):
        return ("x0",)

    def _initial_buffer(self, buffer, p):
        return p.copy()

    def _initial_scalars(self):
        zero = _plain(self._per_setting(0.0))
        return {"rbar": zero, "G": zero, "eta": zero}

    def _norms(self, arrays):
        """Per-array norms (one row per array; each a float or (K,))."""
        return [np.sqrt(self._sum(a * a)) for a in arrays]

    def _combine(self, values, how):
        """Global DoG: one number over all arrays (norm of the norms, or sum)."""
        stacked = np.array(values)
        return np.sqrt((stacked * stacked).sum(axis=0)) if how == "norm" else stacked.sum(axis=0)

    def _step_all(self, P, G, buffers, scalars, k, lr):
        h = self._hypers(1, lr)
        if self._decays:
            G = [g + self._hypers(p.ndim, lr).weight_decay * p for p, g in zip(P, G)]
        squares = [self._sum(g * g) for g in G]
        if k == 0:
            rbar = h.reps_rel * (1 + self._combine(self._norms(P), "norm"))
            total = self._combine(squares, "sum") + h.eps
        else:
            dist = self._combine(self._norms([p - x0 for p, x0 in zip(P, buffers["x0"])]), "norm")
            rbar = np.maximum(scalars["rbar"], dist)  # torch.maximum: a nan propagates
            total = scalars["G"] + self._combine(squares, "sum")
        eta = h.lr * rbar / np.sqrt(total)
        if k == 0 and self.init_eta is not None:
            eta = eta * 0 + h.init_eta
        etas = self._spread(eta, len(P))
        new_P = [p + _col(-e, p.ndim) * g for p, g, e in zip(P, G, etas)]
        return new_P, buffers, {"rbar": rbar, "G": total, "eta": eta}

    def _spread(self, eta, n):
        return [eta] * n


class LDoG(DoG):
    """L-DoG, layer-wise DoG (Ivgi et al. 2023, section 3.3), as ``dog.LDoG``: DoG's formula for
    each parameter array on its own (norms per array). The state's ``rbar``, ``G`` and ``eta``
    have one entry per array: shape (n_arrays,), or (n_arrays, K) with K settings.
    """

    name = "ldog"

    def _combine(self, values, how):
        return np.array(values)

    def _initial_scalars(self):
        return {}

    def init(self, params):
        """A fresh state for ``params`` (one array, or a list/dict of arrays)."""
        state = super().init(params)
        n = len(self._param_leaves(params))
        shape = (n,) if self.n_settings is None else (n, self.n_settings)
        state.update({key: np.zeros(shape) for key in self.scalars})
        return state

    def _scalar(self, key, value):
        arr = np.asarray(value)
        if arr.dtype.kind not in "biuf" or arr.ndim != (1 if self.n_settings is None else 2):
            raise ValueError(f"state[{key!r}] must be an array with one row per parameter array, "
                             f"got {_describe(value)}")
        return arr.astype(float)

    def _spread(self, eta, n):
        return list(eta)


# ----------------------------------------------------------------------------- iterate averaging
class PolynomialDecayAverager:
    """Polynomial-decay averaging of the iterates (Shamir & Zhang 2013, "Stochastic Gradient Descent
    for Non-smooth Optimization"), as ``dog.PolynomialDecayAverager(model, gamma=8.)`` of
    ``dog-optimizer``. Ivgi et al. 2023 report DoG's and L-DoG's results for this average with
    gamma = 8: without a decaying step size the last iterate keeps jumping, the average settles.

    Starting from the params given to ``init`` and t = 1, each call of ``step`` after an optimizer
    step does::

        w    = (gamma + 1) / (gamma + t)        (w = 1 at t = 1: the average restarts at x_1)
        xbar <- (1 - w) xbar + w x_t
        t    <- t + 1

    After t steps x_s weighs about (gamma + 1) s^gamma / t^(gamma + 1) in the average: gamma = 0 is
    the plain mean of x_1..x_t, a larger gamma puts the weight on the late iterates. Use::

        avg = polynomial_decay_averager()
        avg_state = avg.init(x)
        for k in range(100):
            x, state = opt.step(x, grad(x), state)
            avg_state = avg.step(x, avg_state)      # avg_state["average"]: the averaged params

    ``step`` is pure. A ``(K,)`` gamma averages K runs side by side (params with a leading axis K).
    """

    name = "polynomial_decay_averager"

    def __init__(self, gamma=8.0):
        self.gamma = _frozen(hyper("gamma", gamma, 0))
        self.n_settings = self.gamma.size if isinstance(self.gamma, np.ndarray) else None

    def __repr__(self):
        return f"{self.name}(gamma={_fmt(self.gamma)})"

    def _params(self, params):
        leaves = _leaves(params, "params")
        if self.n_settings is not None and any(p.ndim == 0 or p.shape[0] != self.n_settings for p in leaves):
            raise ValueError(f"params must carry a leading axis of size K={self.n_settings} (gamma has "
                             f"{self.n_settings} values), got shapes {[p.shape for p in leaves]}")
        return leaves

    def init(self, params):
        """A fresh state: t = 1 and the average at ``params`` (a copy)."""
        return {"averager": self.name, "t": 1, "average": _rebuild(params, [p.copy() for p in self._params(params)])}

    def step(self, params, state):
        """The state after averaging in ``params`` (the iterate after the optimizer's step)."""
        leaves = self._params(params)
        if not isinstance(state, dict) or state.get("averager") != self.name or "average" not in state:
            raise ValueError(f"state must come from this averager's init(params), got {_describe(state)}")
        t = integer("state['t']", state.get("t"), 1)
        average = _leaves(state["average"], "state['average']", like=params)
        w = (self.gamma + 1) / (self.gamma + t)
        with np.errstate(all="ignore"):
            new = [a * _col(1 - w, a.ndim) + _col(w, a.ndim) * p for a, p in zip(average, leaves)]
        return {"averager": self.name, "t": t + 1, "average": _rebuild(params, new)}


# ----------------------------------------------------------------------------- Polyak / SPS
class SPS(_Whole):
    """Stochastic Polyak step-size (Loizou et al. 2021, "Stochastic Polyak Step-size for SGD: An
    Adaptive Learning Rate for Fast Convergence"), as ``Sps`` of the authors' repository
    github.com/IssamLaradji/sps (not on PyPI; same argument names and defaults).

    It needs the loss at the current params: ``step(params, grads, state, loss=f_i(x))``, where
    ``loss`` is the (mini-batch) loss at ``params`` whose gradient is ``grads`` (a float, or a (K,)
    array with K settings). With |g| the norm of all gradients together::

        adapt_flag="constant"    (SPS_max, the paper's method)
            gamma = (loss - fstar) / (c |g|^2 + eps),  0 if loss < fstar,  min(eta_max, gamma) if eta_max
        adapt_flag="smooth_iter" (the reference's default; it ignores fstar)
            gamma = min(gamma_prev * gamma_**(1 / n_batches_per_epoch), loss / (c |g|^2 + eps))
        gamma = 0 if |g| < 1e-8
        p    <- p - gamma * g

    where gamma_ is the argument ``gamma`` (the growth factor per epoch) and gamma_prev the last
    step size (state ``step_size``, starting at ``init_step_size``). ``fstar`` (f_i*, the best
    loss of the batch; 0 for models that can interpolate) replaces the reference's
    ``fstar_flag``, which reads it from the batch; ``step(..., fstar=...)`` overrides it for
    one step. The state keeps ``step_size`` and ``grad_norm``.
    """

    name = "sps"
    _signature = ("n_batches_per_epoch", "init_step_size", "c", "gamma", "eta_max", "adapt_flag", "fstar", "eps")
    _shown_if_set = ()
    scalars = ("step_size", "grad_norm")

    def __init__(self, n_batches_per_epoch=500, init_step_size=1.0, c=0.5, gamma=2.0, eta_max=None,
                 adapt_flag="smooth_iter", fstar=0.0, eps=1e-8):
        self.adapt_flag = choice("adapt_flag", adapt_flag, ("constant", "smooth_iter"))
        self.n_batches_per_epoch = integer("n_batches_per_epoch", n_batches_per_epoch, 1)
        self.init_step_size = _frozen(hyper("init_step_size", init_step_size, 0))
        self.c = _frozen(hyper("c", c, 0, low_open=True))
        self.gamma = _frozen(hyper("gamma", gamma, 0, low_open=True))
        self.eta_max = None if eta_max is None else _frozen(hyper("eta_max", eta_max, 0))
        self.fstar = _frozen(hyper("fstar", fstar))
        self.eps = _frozen(hyper("eps", eps, 0))
        numeric = dict(init_step_size=self.init_step_size, c=self.c, gamma=self.gamma, fstar=self.fstar, eps=self.eps)
        if eta_max is not None:
            numeric["eta_max"] = self.eta_max
        self._setup(0.0, **numeric)

    def _initial_scalars(self):
        return {"step_size": _plain(self._per_setting(self.init_step_size)),
                "grad_norm": _plain(self._per_setting(0.0))}

    def _loss(self, name, value):
        """A loss value: one number, or (K,) with K settings (NaN and inf allowed: divergence)."""
        want = () if self.n_settings is None else (self.n_settings,)
        what = "one number" if not want else f"an array of shape {want}"
        if value is None or isinstance(value, (str, bytes, bool, np.bool_, dict)) or callable(value):
            raise TypeError(f"{name} must be {what} (the loss at params), got {_describe(value)}")
        try:
            arr = np.asarray(value, dtype=float)
        except (TypeError, ValueError):
            raise TypeError(f"{name} must be {what} (the loss at params), got {_describe(value)}") from None
        if arr.shape != want:
            raise ValueError(f"{name} must be {what} (the loss at params), got {_describe(value)}")
        return arr

    def step(self, params, grads, state, *, loss, fstar=None):
        """One step with the loss at ``params`` (``loss``, required); ``fstar`` overrides the
        constructor's f* for this step. Returns ``(new_params, new_state)``."""
        loss = self._loss("loss", loss)
        fstar = None if fstar is None else self._loss("fstar", fstar)
        return self._run(params, grads, state, loss=loss, fstar=fstar)

    def _grad_norm(self, G):
        return np.sqrt(sum(self._sum(g * g) for g in G))

    def _step_all(self, P, G, buffers, scalars, k, lr, loss, fstar):
        h = self._hypers(1, lr)
        fstar = h.fstar if fstar is None else fstar
        norm = self._grad_norm(G)
        if self.adapt_flag == "constant":
            gamma = (loss - fstar) / (h.c * norm**2 + h.eps)
            gamma = np.where(loss < fstar, 0.0, gamma)
            if self.eta_max is not None:
                gamma = _first_min(h.eta_max, gamma)  # Python's min(eta_max, gamma)
        else:
            gamma = loss / (h.c * norm**2 + h.eps)
            gamma = _first_min(h.gamma ** (1.0 / self.n_batches_per_epoch) * scalars["step_size"], gamma)
        gamma = np.where(norm < 1e-8, 0.0, gamma)
        new_P = [p + _col(-gamma, p.ndim) * g for p, g in zip(P, G)]
        return new_P, buffers, {"step_size": gamma, "grad_norm": norm}


class Polyak(SPS):
    """Polyak's step (Polyak 1987, "Introduction to Optimization", section 5.3), the deterministic
    ancestor of SPS: gamma = (f(x) - f*) / |g|^2, p <- p - gamma * g, with the optimal value f*
    known (``fstar``). It is ``SPS(c=1, eps=0, adapt_flag="constant", eta_max=eta_max)``; call
    ``step(params, grads, state, loss=f(params))``.
    """

    name = "polyak"
    _signature = ("fstar", "eta_max")

    def __init__(self, fstar=0.0, eta_max=None):
        super().__init__(c=1.0, eta_max=eta_max, adapt_flag="constant", fstar=fstar, eps=0.0)


# ----------------------------------------------------------------------------- Armijo line search
class Armijo(SPS):
    """Stochastic Armijo line search, SGD whose step is backtracked until the mini-batch loss
    decreases enough (Vaswani et al. 2019, "Painless Stochastic Gradient: Interpolation,
    Line-Search, and Convergence Rates"), as ``Sls(line_search_fn="armijo")`` of the authors'
    repository github.com/IssamLaradji/sls (not on PyPI; same argument names and defaults).

    It re-evaluates the loss of the *same* mini-batch at trial points, so its step needs the loss
    and a closure: ``step(params, grads, state, loss=f_i(x), closure=f_i)``, ``closure(trial)`` the
    loss at trial params (same structure; a (K,) array with K settings). With |g| the norm of all
    gradients together and eta the step size kept in the state (``step_size``)::

        eta <- eta * gamma**(1 / n_batches_per_epoch)   (reset_option=1; 0: keep; 2: init_step_size)
        if |g| >= 1e-8:
            up to 100 times:
                if closure(p - eta g) <= loss - c * eta * |g|^2:   accept, p <- p - eta g
                else: eta <- beta_b * eta
            none accepted: p <- p - 1e-6 g

    The state also counts the closure's evaluations (``n_evals``), the cost of the search.
    """

    name = "armijo"
    _signature = ("n_batches_per_epoch", "init_step_size", "c", "beta_b", "gamma", "reset_option")
    scalars = ("step_size", "grad_norm", "n_evals")

    def __init__(self, n_batches_per_epoch=500, init_step_size=1.0, c=0.1, beta_b=0.9, gamma=2.0, reset_option=1):
        self.reset_option = integer("reset_option", reset_option, 0, 2)  # 0 keep, 1 grow, 2 reset
        self.n_batches_per_epoch = integer("n_batches_per_epoch", n_batches_per_epoch, 1)
        self.init_step_size = _frozen(hyper("init_step_size", init_step_size, 0))
        self.c = _frozen(hyper("c", c, 0))
        self.beta_b = _frozen(hyper("beta_b", beta_b, 0, 1, low_open=True, high_open=True))
        self.gamma = _frozen(hyper("gamma", gamma, 0, low_open=True))
        self._setup(0.0, init_step_size=self.init_step_size, c=self.c, beta_b=self.beta_b, gamma=self.gamma)

    def _initial_scalars(self):
        zero = _plain(self._per_setting(0.0))
        return {"step_size": _plain(self._per_setting(self.init_step_size)), "grad_norm": zero, "n_evals": zero}

    def step(self, params, grads, state, *, loss, closure):
        """One step: ``loss`` the loss at ``params``, ``closure(trial)`` the same mini-batch's loss
        at trial params. Returns ``(new_params, new_state)``."""
        loss = self._loss("loss", loss)
        if not callable(closure):
            raise TypeError(f"closure must be a function of the params returning the loss, got {_describe(closure)}")
        return self._run(params, grads, state, loss=loss, closure=lambda leaves: self._loss(
            "closure(params)", closure(_rebuild(params, leaves))))

    def _step_all(self, P, G, buffers, scalars, k, lr, loss, closure):
        h = self._hypers(1, lr)
        eta = scalars["step_size"]
        if self.reset_option == 1:
            eta = eta * h.gamma ** (1.0 / self.n_batches_per_epoch)
        elif self.reset_option == 2:
            eta = self._per_setting(h.init_step_size)
        norm = self._grad_norm(G)
        searching = norm >= 1e-8
        found = ~searching
        accepted = list(P)
        evals = np.zeros_like(norm, dtype=float)
        for _ in range(100):
            if not np.any(searching & ~found):
                break
            trial = [p - _col(eta, p.ndim) * g for p, g in zip(P, G)]
            with np.errstate(all="ignore"):
                loss_next = closure(trial)
            active = searching & ~found
            evals = evals + active
            ok = active & (loss_next - (loss - eta * h.c * norm**2) <= 0)
            accepted = [np.where(_col(ok, p.ndim), t, a) for p, t, a in zip(P, trial, accepted)]
            found = found | ok
            eta = np.where(active & ~ok, eta * h.beta_b, eta)
        failed = searching & ~found
        accepted = [np.where(_col(failed, p.ndim), p - 1e-6 * g, a) for p, g, a in zip(P, G, accepted)]
        return accepted, buffers, {"step_size": eta, "grad_norm": norm,
                                   "n_evals": scalars["n_evals"] + evals}


# ----------------------------------------------------------------------------- hypergradient descent
class SGDHD(_Whole):
    """SGD with hypergradient descent on its learning rate (Baydin et al. 2018, "Online Learning
    Rate Adaptation with Hypergradient Descent"), as ``SGDHD`` of the authors' repository
    github.com/gbaydin/hypergradient-descent (same argument names and defaults; not on PyPI).

    The derivative of f(x_t) with respect to the rate that made x_t is -g_t . u_{t-1} (u the last
    update direction), so the rate descends it; with g the gradient of all params together::

        g   <- g + weight_decay * p
        lr  <- lr + hypergrad_lr * <g, u_prev>          (u_prev = 0 on the first step)
        b   <- g on the first step, else momentum * b + (1 - dampening) * g   (if momentum != 0)
        u    = g + momentum * b (nesterov), b (momentum), or g
        p   <- p - lr * u;   u_prev <- u

    The rate grows while successive directions agree and shrinks when they oppose (the state's
    ``lr``; it may even turn negative, as in the reference). ``lr`` has no default, as in the
    reference.
    """

    name = "sgd_hd"
    _signature = ("lr", "momentum", "dampening", "weight_decay", "nesterov", "hypergrad_lr")
    _shown_if_set = ()
    scalars = ("lr",)

    def __init__(self, lr, momentum=0.0, dampening=0.0, weight_decay=0.0, nesterov=False, hypergrad_lr=1e-6):
        if callable(lr):
            raise TypeError("lr must be a number or a (K,) array (the method adapts it), not a schedule")
        self.momentum = _frozen(hyper("momentum", momentum, 0))
        self.dampening = _frozen(hyper("dampening", dampening, 0))
        self.weight_decay = _frozen(hyper("weight_decay", weight_decay, 0))
        self.nesterov = flag("nesterov", nesterov)
        self.hypergrad_lr = _frozen(hyper("hypergrad_lr", hypergrad_lr, 0))
        if self.nesterov and (np.any(self.momentum <= 0) or np.any(self.dampening != 0)):
            raise ValueError("nesterov=True requires a momentum > 0 and dampening = 0")
        self._setup(lr, momentum=self.momentum, dampening=self.dampening, weight_decay=self.weight_decay,
                    hypergrad_lr=self.hypergrad_lr)

    def _buffer_names(self):
        return ("grad_prev", "momentum_buffer")

    def _initial_scalars(self):
        return {"lr": _plain(self._per_setting(self.lr))}

    def _step_all(self, P, G, buffers, scalars, k, lr, **extra):
        h = self._hypers(1, lr)
        if self._decays:
            G = [g + _col(h.weight_decay, p.ndim) * p for p, g in zip(P, G)]
        hypergrad = sum(self._sum(g * u) for g, u in zip(G, buffers["grad_prev"]))
        lr = scalars["lr"] + h.hypergrad_lr * hypergrad
        new_P, new_b = [], {"grad_prev": [], "momentum_buffer": []}
        for p, g, b in zip(P, G, buffers["momentum_buffer"]):
            hp = self._hypers(p.ndim, lr)
            b = g if k == 0 else b * hp.momentum + (1 - hp.dampening) * g
            if self.nesterov:
                u = g + hp.momentum * b
            else:
                u = np.where(hp.momentum != 0, b, g)
            new_P.append(p + _col(-lr, p.ndim) * u)
            new_b["grad_prev"].append(u)
            new_b["momentum_buffer"].append(b)
        return new_P, new_b, {"lr": lr}


class AdamHD(_Whole):
    """Adam with hypergradient descent on its learning rate (Baydin et al. 2018), as ``AdamHD`` of
    github.com/gbaydin/hypergradient-descent. For each parameter array in turn (the rate is
    updated array by array, as in the reference), t = 1, 2, ... the step::

        g   <- g + weight_decay * p
        lr  <- lr + hypergrad_lr * <g, m / (sqrt(v) + eps)> * sqrt(1 - beta2^(t-1)) / (1 - beta1^(t-1))
                                                          (from t = 2 on; m, v of the previous step)
        m   <- beta1 m + (1 - beta1) g;   v <- beta2 v + (1 - beta2) g^2
        p   <- p - lr * sqrt(1 - beta2^t) / (1 - beta1^t) * m / (sqrt(v) + eps)

    i.e. the rate follows the agreement of the new gradient with the last Adam direction.
    """

    name = "adam_hd"
    _signature = ("lr", "betas", "eps", "weight_decay", "hypergrad_lr")
    _shown_if_set = ()
    scalars = ("lr",)

    def __init__(self, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, hypergrad_lr=1e-8):
        if callable(lr):
            raise TypeError("lr must be a number or a (K,) array (the method adapts it), not a schedule")
        self.betas = _betas(betas)
        self.eps = _frozen(hyper("eps", eps, 0))
        self.weight_decay = _frozen(hyper("weight_decay", weight_decay, 0))
        self.hypergrad_lr = _frozen(hyper("hypergrad_lr", hypergrad_lr, 0))
        self._setup(lr, beta1=self.betas[0], beta2=self.betas[1], eps=self.eps, weight_decay=self.weight_decay,
                    hypergrad_lr=self.hypergrad_lr)

    def _buffer_names(self):
        return ("exp_avg", "exp_avg_sq")

    def _initial_scalars(self):
        return {"lr": _plain(self._per_setting(self.lr))}

    def _step_all(self, P, G, buffers, scalars, k, lr, **extra):
        h = self._hypers(1, lr)
        t = k + 1
        lr = scalars["lr"]
        new_P, new_b = [], {"exp_avg": [], "exp_avg_sq": []}
        for p, g, m, v in zip(P, G, buffers["exp_avg"], buffers["exp_avg_sq"]):
            hp = self._hypers(p.ndim, lr)
            if self._decays:
                g = g + hp.weight_decay * p
            if t > 1:
                hypergrad = (self._sum(g * (m / (np.sqrt(v) + hp.eps))) * np.sqrt(1 - _pow(h.beta2, t - 1))
                             / (1 - _pow(h.beta1, t - 1)))
                lr = lr + h.hypergrad_lr * hypergrad
            m = m * hp.beta1 + (1 - hp.beta1) * g
            v = v * hp.beta2 + (1 - hp.beta2) * g * g
            step_size = lr * np.sqrt(1 - _pow(h.beta2, t)) / (1 - _pow(h.beta1, t))
            new_P.append(p + _col(-step_size, p.ndim) * (m / (np.sqrt(v) + hp.eps)))
            new_b["exp_avg"].append(m)
            new_b["exp_avg_sq"].append(v)
        return new_P, new_b, {"lr": lr}


# The public constructors, named like the lessons write them.
lion = Lion
sgd_schedulefree = SGDScheduleFree
adamw_schedulefree = AdamWScheduleFree
prodigy = Prodigy
dog = DoG
ldog = LDoG
polynomial_decay_averager = PolynomialDecayAverager
sps = SPS
polyak = Polyak
armijo = Armijo
sgd_hd = SGDHD
adam_hd = AdamHD


def _step_with(opt, params, state, loss, grad):
    """One step of ``opt`` with what it needs: the gradient ``grad(params)``, and for SPS and Polyak
    also ``loss(params)``, for Armijo also ``loss`` itself as its closure (computed in that order)."""
    g = grad(params)
    if isinstance(opt, Armijo):
        return opt.step(params, g, state, loss=loss(params), closure=loss)
    if isinstance(opt, SPS):
        return opt.step(params, g, state, loss=loss(params))
    return opt.step(params, g, state)


def _evaluation_point(opt, params, state):
    """Where a run of ``opt`` is scored: schedule-free's x (``eval_params``), else the params."""
    return opt.eval_params(params, state) if isinstance(opt, SGDScheduleFree) else params
