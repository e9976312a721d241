"""Optimizers in numpy: SGD (momentum, Nesterov), AdaGrad, RMSprop, Adam, AdamW, AMSGrad, NAdam,
RAdam, Adamax and Adadelta.

Each one follows PyTorch's algorithm (``torch.optim``, version 2.x) operation by operation,
with the same argument names and defaults, so a run here matches ``torch.optim`` in float64
up to rounding (the tests compare them). Every optimizer takes torch's keyword-only
``maximize=False``: with ``maximize=True`` it climbs, stepping along +g instead of -g (torch
negates the gradient first, before weight decay).

Usage::

    opt = adam(lr=0.01)
    state = opt.init(x)                      # x: one array, or a list/dict of arrays (layers)
    for k in range(100):
        x, state = opt.step(x, grad(x), state)

``init`` and ``step`` are pure functions: they never modify their inputs and return new arrays.

**The learning rate** ``lr`` may be

* a number;
* a schedule, i.e. any callable of the step number: the k-th call of ``step`` (k = 0, 1, ...)
  uses ``lr(k)``, as in PyTorch when the scheduler steps after the optimizer
  (``opt.lr_at(k)`` tells the rate of step k);
* a ``(K,)`` array: K settings side by side (next paragraph).

**Many settings at once.** Any hyperparameter given as a ``(K,)`` array (``lr``, ``momentum``,
``dampening``, a component of ``betas``, ``alpha``, ``eps``, ``weight_decay``, ...) makes the
optimizer run K settings side by side (``opt.n_settings == K``). Every parameter array then
carries a leading axis of size K: setting i lives in ``x[i]``. Arrays given for several
hyperparameters must have the same K; a number is shared by all K settings. A ``(K,)`` array
always means K settings, never one value per coordinate (per-layer rates: one optimizer per
layer).

**The state** is a dict::

    state["optimizer"]   the optimizer's name, e.g. "adam"
    state["step"]        number of steps taken so far (an int)
    state[buffer]        one array per parameter array (same structure and shapes as params)
                         under torch's names: "momentum_buffer" (sgd and rmsprop with momentum),
                         "sum" (adagrad), "square_avg" and "grad_avg" (rmsprop, centered),
                         "exp_avg", "exp_avg_sq", "max_exp_avg_sq" (adam/adamw, amsgrad,
                         nadam, radam), "mu_product" (nadam), "exp_inf" (adamax),
                         "acc_delta" (adadelta).
                         ``opt.buffers`` lists the buffers an optimizer keeps.

**Effective learning rates.** AdaGrad, RMSprop, Adam and AdamW have ``effective_lr(state)``:
the per-coordinate learning rate of the last step taken, with the structure and shapes of
params (see each class). NAdam, RAdam, Adamax and Adadelta do not (yet).

**Divergence is a result, not a crash:** huge or non-finite values give inf/nan, never
warnings or exceptions.
"""
from __future__ import annotations

from types import SimpleNamespace

import numpy as np

from lrcourse._validate import flag, hyper, integer

__all__ = ["sgd", "adagrad", "rmsprop", "adam", "adamw", "nadam", "radam", "adamax", "adadelta", "Optimizer",
           "SGD", "Adagrad", "RMSprop", "Adam", "AdamW", "NAdam", "RAdam", "Adamax", "Adadelta"]


# ----------------------------------------------------------------------------- params trees
def _leaves(tree, name, like=None):
    """The arrays of ``tree`` (one array, or a list/tuple/dict of them, nested) in a fixed order.

    With ``like`` (the params), also check that ``tree`` has the same structure and shapes,
    naming ``name`` in the error. Non-float arrays are converted to float64.
    """
    out = []

    def walk(node, ref, path):
        if isinstance(ref, dict):
            if not isinstance(node, dict) or node.keys() != ref.keys():
                raise ValueError(f"{name}{path} must be a dict with keys {list(ref)} like params{path}, "
                                 f"got {_describe(node)}")
            for key in ref:
                walk(node[key], ref[key], f"{path}[{key!r}]")
        elif isinstance(ref, (list, tuple)):
            if not isinstance(node, (list, tuple)) or len(node) != len(ref):
                raise ValueError(f"{name}{path} must be a list of {len(ref)} arrays like params{path}, "
                                 f"got {_describe(node)}")
            for i, (n, r) in enumerate(zip(node, ref)):
                walk(n, r, f"{path}[{i}]")
        else:
            if isinstance(node, (dict, list, tuple)):
                raise ValueError(f"{name}{path} must be an array like params{path}, got {_describe(node)}")
            arr = np.asarray(node)
            if arr.dtype.kind in "biu":
                arr = arr.astype(float)
            elif arr.dtype.kind != "f":
                raise TypeError(f"{name}{path} must be an array of real numbers, got {_describe(node)}")
            if like is not None and arr.shape != np.shape(ref):
                raise ValueError(f"{name}{path} has shape {arr.shape} but params{path} has shape {np.shape(ref)}")
            out.append(arr)

    walk(tree, tree if like is None else like, "")
    return out


def _rebuild(like, leaves):
    """Put ``leaves`` (in the order of ``_leaves``) back into the structure of ``like``."""
    it = iter(leaves)

    def build(ref):
        if isinstance(ref, dict):
            return {key: build(value) for key, value in ref.items()}
        if isinstance(ref, (list, tuple)):
            items = [build(value) for value in ref]
            return tuple(items) if isinstance(ref, tuple) else items
        return next(it)

    return build(like)


def _describe(x):
    if isinstance(x, np.ndarray):
        return f"an array of shape {x.shape}"
    if isinstance(x, dict):
        return f"a dict with keys {list(x)}"
    if isinstance(x, (list, tuple)):
        return f"a {type(x).__name__} of length {len(x)}"
    return f"{type(x).__name__} {x!r}"


# ----------------------------------------------------------------------------- hyperparameters
def _frozen(value):
    """A validated hyperparameter: floats stay floats, (K,) arrays become read-only copies."""
    if isinstance(value, np.ndarray):
        value = value.copy()
        value.flags.writeable = False
    return value


def _column(value, ndim):
    """A (K,) hyperparameter as shape (K, 1, ..., 1), so it broadcasts against (K, ...) arrays."""
    if isinstance(value, np.ndarray):
        return value.reshape((-1,) + (1,) * (ndim - 1))
    return value


def _any(condition):
    """``np.any(condition)`` for a hyperparameter compared with a number: a bool for a float, a
    bool array for (K,) settings. (np.any takes microseconds even for a bool; an optimizer is
    built once per run, and a short run notices.)"""
    return condition if isinstance(condition, bool) else bool(np.any(condition))


def _pow(base, exponent):
    """``base ** exponent`` by Python's pow, element by element for (K, 1, ...) columns.

    torch computes these scalars (beta^t, ...) with Python floats; numpy's vectorised pow may
    differ from them by an ulp, and RAdam's rho_t, a difference of nearly equal numbers,
    amplifies that a thousandfold. So K settings at once and one setting alone use the same pow.
    """
    if not isinstance(base, np.ndarray) and not isinstance(exponent, np.ndarray):
        return base**exponent
    b, e = np.broadcast_arrays(base, exponent)
    return np.array([x**y for x, y in zip(b.ravel().tolist(), e.ravel().tolist())]).reshape(b.shape)


def _fmt(value):
    if isinstance(value, np.ndarray):
        shown = [f"{v:g}" for v in value[:2]] + ["..."] + [f"{value[-1]:g}"] if value.size > 4 else [f"{v:g}" for v in value]
        return f"[{', '.join(shown)}] (K={value.size})"
    if isinstance(value, tuple):
        return "(" + ", ".join(_fmt(v) for v in value) + ")"
    if isinstance(value, (bool, np.bool_)):
        return repr(bool(value))
    if isinstance(value, float):
        return f"{value:g}"
    if callable(value):  # a schedule: its own repr if it has one, else its name
        text = repr(value)
        if text.startswith("<"):
            text = f"<{getattr(value, '__qualname__', type(value).__name__)}>"
        return text if len(text) <= 80 else f"<{type(value).__name__}>"
    return repr(value)


def _check_betas(betas):
    """Adam's betas: a pair (beta1, beta2), each a number or a (K,) array in [0, 1)."""
    if isinstance(betas, (str, bytes)) or not hasattr(betas, "__len__"):
        raise TypeError(f"betas must be a pair (beta1, beta2), got {type(betas).__name__} {betas!r}")
    if len(betas) != 2:
        raise ValueError(f"betas must be a pair (beta1, beta2), got {len(betas)} values: {betas!r}")
    return (_frozen(hyper("betas[0]", betas[0], 0, 1, high_open=True)),
            _frozen(hyper("betas[1]", betas[1], 0, 1, high_open=True)))


# ----------------------------------------------------------------------------- the base class
class Optimizer:
    """What every optimizer shares: the state bookkeeping, K settings, the learning rate.

    A subclass validates its hyperparameters, calls ``_setup`` and writes ``_update``: the
    update rule for one parameter array, readable next to its formula.
    """

    name = "optimizer"
    _signature: tuple = ("lr",)  # constructor arguments, for repr
    _shown_if_set: tuple = ("maximize",)  # keyword-only flags, in the repr only when True
    maximize = False
    _display = {"beta1": "betas[0]", "beta2": "betas[1]"}

    def _setup(self, lr, **numeric):
        """Store lr and the numeric hyperparameters (floats or (K,) arrays); find K."""
        if isinstance(lr, type):
            raise TypeError(f"lr must be a number, a (K,) array or a schedule, got the class {lr.__name__}: "
                            f"call it first, e.g. {lr.__name__}(...)")
        if callable(lr):
            self.lr = lr
            try:
                first = lr(0)
            except TypeError as e:
                raise TypeError(f"lr must be a schedule, a function of the step k, but lr(0) failed: {e}") from None
            first = hyper("lr(0)", first, 0)  # a schedule may also return (K,) arrays
        else:
            self.lr = first = _frozen(hyper("lr", lr, 0))
        self._numeric = {key: _frozen(value) for key, value in numeric.items()}
        sizes = {self._display.get(key, key): v.size
                 for key, v in {"lr": first, **self._numeric}.items() if isinstance(v, np.ndarray)}
        if len(set(sizes.values())) > 1:
            listed = ", ".join(f"{key} has {k}" for key, k in sizes.items())
            raise ValueError(f"hyperparameter arrays must all have the same number K of settings, got: {listed}")
        self.n_settings = next(iter(sizes.values()), None)
        self._decays = _any(self._numeric.get("weight_decay", 0.0) != 0)  # skip "+ 0 * p" as torch does
        self.buffers = self._buffer_names()

    def _buffer_names(self) -> tuple:
        return ()

    def __repr__(self):
        args = [f"{key}={_fmt(getattr(self, key))}" for key in self._signature]
        args += [f"{key}=True" for key in self._shown_if_set if getattr(self, key)]
        return f"{self.name}({', '.join(args)})"

    # -- learning rate
    def lr_at(self, k):
        """The learning rate used by the k-th call of ``step`` (k = 0, 1, ...).

        A float, or a (K,) array when the optimizer runs K settings. This is torch's
        ``param_group["lr"]`` (what a schedule sets); AdaGrad's ``lr_decay`` comes on top.
        """
        k = integer("k", k, 0)
        if callable(self.lr):
            value = hyper(f"lr({k})", self.lr(k), 0)
            if isinstance(value, np.ndarray) and value.size != self.n_settings:
                raise ValueError(f"lr({k}) returned {value.size} values, but the optimizer runs "
                                 f"K={self.n_settings} settings")
        else:
            value = self.lr
        if self.n_settings is not None:
            return np.broadcast_to(value, (self.n_settings,)).copy()
        return value

    # -- state
    def init(self, params):
        """A fresh state for ``params`` (one array, or a list/dict of arrays); see the module doc."""
        leaves = self._param_leaves(params)
        state = {"optimizer": self.name, "step": 0}
        for buffer in self.buffers:
            state[buffer] = _rebuild(params, [self._initial_buffer(buffer, p) for p in leaves])
        return state

    def _initial_buffer(self, buffer, p):
        return np.zeros_like(p)

    def step(self, params, grads, state):
        """One update: returns ``(new_params, new_state)``; the inputs are left untouched.

        ``grads`` has the structure and shapes of ``params``; ``state`` comes from ``init``
        (or the previous ``step``). The k-th step (k = ``state["step"]``) uses ``lr_at(k)``.
        """
        p_leaves = self._param_leaves(params)
        g_leaves = _leaves(grads, "grads", like=params)
        k, buffers = self._read_state(state, params)
        lr = self.lr_at(k)
        new_params, new_buffers = [], {buffer: [] for buffer in self.buffers}
        with np.errstate(all="ignore"):  # divergence gives inf/nan, not warnings
            for i, (p, g) in enumerate(zip(p_leaves, g_leaves)):
                s = {buffer: buffers[buffer][i] for buffer in self.buffers}
                p, s = self._update(p, g, s, k, self._hypers(p.ndim, lr))
                new_params.append(p)
                for buffer in self.buffers:
                    new_buffers[buffer].append(s[buffer])
        new_state = {"optimizer": self.name, "step": k + 1}
        for buffer in self.buffers:
            new_state[buffer] = _rebuild(params, new_buffers[buffer])
        return _rebuild(params, new_params), new_state

    def _update(self, p, g, s, k, h):  # pragma: no cover - every subclass defines it
        raise NotImplementedError

    # -- helpers
    def _hypers(self, ndim, lr):
        """Hyperparameters for one (K, ...) or (...) array of ``ndim`` axes: h.lr, h.momentum, ..."""
        values = {"lr": lr, **self._numeric}
        return SimpleNamespace(**{key: _column(v, ndim) for key, v in values.items()})

    def _param_leaves(self, params):
        leaves = _leaves(params, "params")
        if self.n_settings is not None:
            K = self.n_settings
            for p in leaves:
                if p.ndim == 0 or p.shape[0] != K:
                    raise ValueError(
                        f"params must carry a leading axis of size K={K} (this optimizer runs {K} settings), "
                        f"got an array of shape {p.shape}; e.g. np.broadcast_to(x, ({K},) + x.shape).copy()")
        return leaves

    def _read_state(self, state, params):
        """Check that ``state`` comes from this optimizer's ``init``; its step and buffer leaves."""
        if not isinstance(state, dict):
            raise TypeError(f"state must be the dict returned by init(params), got {_describe(state)}")
        missing = [key for key in ("optimizer", "step", *self.buffers) if key not in state]
        if state.get("optimizer") != self.name or missing:
            raise ValueError(f"state must come from this {self.name} optimizer's init(params) "
                             f"(got the state of {state.get('optimizer')!r}, missing {missing})")
        k = integer("state['step']", state["step"], 0)
        if params is None:  # no params at hand: the first buffer gives the structure
            params = state[self.buffers[0]]
        return k, {b: _leaves(state[b], f"state[{b!r}]", like=params) for b in self.buffers}

    def _per_coordinate(self, state, fn, *names):
        """``fn(h, t, *arrays)`` leaf by leaf on the buffers ``names`` after step t (for effective_lr)."""
        t, buffers = self._read_state(state, None)
        if t == 0:
            raise ValueError("effective_lr needs a state after at least one step (state['step'] >= 1), got 0")
        lr = self.lr_at(t - 1)
        out = []
        with np.errstate(all="ignore"):
            for arrays in zip(*(buffers[name] for name in names)):
                out.append(fn(self._hypers(arrays[0].ndim, lr), t, *arrays))
        return _rebuild(state[names[0]], out)


# ----------------------------------------------------------------------------- SGD
class SGD(Optimizer):
    """Stochastic gradient descent with optional momentum (heavy ball) and Nesterov momentum.

    ``torch.optim.SGD``'s algorithm, with p the parameters, g the gradient, b the buffer::

        g <- -g                                                 (maximize only)
        g <- g + weight_decay * p                               (L2 penalty)
        b <- g  on the first step,  else  b <- momentum * b + (1 - dampening) * g
        g <- g + momentum * b   (nesterov)   or   g <- b        (only if momentum != 0)
        p <- p - lr * g

    Torch's convention puts lr *outside* the buffer: on a flat slope the step grows to
    lr / (1 - momentum) * g (the effective rate of lesson 5). The default ``lr=0.001`` is torch's.
    """

    name = "sgd"
    _signature = ("lr", "momentum", "dampening", "weight_decay", "nesterov")

    def __init__(self, lr=0.001, momentum=0.0, dampening=0.0, weight_decay=0.0, nesterov=False, *, maximize=False):
        self.maximize = flag("maximize", maximize)
        self.momentum = momentum = _frozen(hyper("momentum", momentum, 0, 1, high_open=True))
        self.dampening = dampening = _frozen(hyper("dampening", dampening, 0, 1))
        self.weight_decay = weight_decay = _frozen(hyper("weight_decay", weight_decay, 0))
        self.nesterov = flag("nesterov", nesterov)
        if self.nesterov and (np.any(momentum <= 0) or np.any(dampening != 0)):
            raise ValueError("nesterov=True requires momentum > 0 and dampening == 0 (as in torch), "
                             f"got momentum={_fmt(momentum)}, dampening={_fmt(dampening)}")
        self._setup(lr, momentum=momentum, dampening=dampening, weight_decay=weight_decay)
        self._damped = _any(dampening != 0)  # else (1 - dampening) * g is g: skip the product
        self._some_without_momentum = _any(momentum == 0)  # else no np.where below

    def _buffer_names(self):
        return ("momentum_buffer",) if _any(self.momentum != 0) else ()

    def _update(self, p, g, s, k, h):
        g = -g if self.maximize else g
        if self._decays:
            g = g + h.weight_decay * p
        if self.buffers:
            damped = (1 - h.dampening) * g if self._damped else g
            b = g.copy() if k == 0 else h.momentum * s["momentum_buffer"] + damped
            s = {"momentum_buffer": b}
            d = g + h.momentum * b if self.nesterov else b
            # settings with momentum 0 skip the buffer, as in torch
            g = np.where(h.momentum != 0, d, g) if self._some_without_momentum else d
        return p - h.lr * g, s


# ----------------------------------------------------------------------------- AdaGrad
class Adagrad(Optimizer):
    """AdaGrad: each coordinate's rate shrinks with the sum of its squared gradients.

    ``torch.optim.Adagrad``'s algorithm, k = 0, 1, ... the step, G the accumulated sum
    (starting at ``initial_accumulator_value``)::

        g   <- -g                                       (maximize only)
        g   <- g + weight_decay * p
        clr  = lr / (1 + k * lr_decay)
        G   <- G + g^2
        p   <- p - clr * g / (sqrt(G) + eps)

    ``effective_lr(state)`` gives clr / (sqrt(G) + eps) of the last step.
    """

    name = "adagrad"
    _signature = ("lr", "lr_decay", "weight_decay", "initial_accumulator_value", "eps")

    def __init__(self, lr=0.01, lr_decay=0.0, weight_decay=0.0, initial_accumulator_value=0.0, eps=1e-10, *,
                 maximize=False):
        self.maximize = flag("maximize", maximize)
        self.lr_decay = _frozen(hyper("lr_decay", lr_decay, 0))
        self.weight_decay = _frozen(hyper("weight_decay", weight_decay, 0))
        self.initial_accumulator_value = _frozen(hyper("initial_accumulator_value", initial_accumulator_value, 0))
        self.eps = _frozen(hyper("eps", eps, 0))
        self._setup(lr, lr_decay=self.lr_decay, weight_decay=self.weight_decay,
                    initial_accumulator_value=self.initial_accumulator_value, eps=self.eps)

    def _buffer_names(self):
        return ("sum",)

    def _initial_buffer(self, buffer, p):
        return np.zeros_like(p) + _column(self.initial_accumulator_value, p.ndim)

    def _update(self, p, g, s, k, h):
        g = -g if self.maximize else g
        if self._decays:
            g = g + h.weight_decay * p
        clr = h.lr / (1 + k * h.lr_decay)
        G = s["sum"] + g * g
        return p - clr * (g / (np.sqrt(G) + h.eps)), {"sum": G}

    def effective_lr(self, state):
        """Per-coordinate rate of the last step, clr / (sqrt(G) + eps): p moved by -effective_lr * g.

        Same structure and shapes as params; needs ``state["step"] >= 1``.
        """
        def rate(h, t, G):
            clr = h.lr / (1 + (t - 1) * h.lr_decay)  # the last step was number t - 1 (from 0)
            return clr / (np.sqrt(G) + h.eps)

        return self._per_coordinate(state, rate, "sum")


# ----------------------------------------------------------------------------- RMSprop
class RMSprop(Optimizer):
    """RMSprop: divide by a moving average of squared gradients (optionally centered, with momentum).

    ``torch.optim.RMSprop``'s algorithm, v the average of g^2, gbar the average of g::

        g    <- -g                                              (maximize only)
        g    <- g + weight_decay * p
        v    <- alpha * v + (1 - alpha) * g^2
        gbar <- gbar + (1 - alpha) * (g - gbar)                 (centered only)
        den   = sqrt(v - gbar^2) + eps  (centered)  or  sqrt(v) + eps
        b    <- momentum * b + g / den;  p <- p - lr * b         (momentum > 0)
        p    <- p - lr * g / den                                 (otherwise)

    ``effective_lr(state)`` gives lr / den of the last step. Note eps sits outside the sqrt.
    """

    name = "rmsprop"
    _signature = ("lr", "alpha", "eps", "weight_decay", "momentum", "centered")

    def __init__(self, lr=0.01, alpha=0.99, eps=1e-8, weight_decay=0.0, momentum=0.0, centered=False, *,
                 maximize=False):
        self.maximize = flag("maximize", maximize)
        self.alpha = _frozen(hyper("alpha", alpha, 0, 1))
        self.eps = _frozen(hyper("eps", eps, 0))
        self.weight_decay = _frozen(hyper("weight_decay", weight_decay, 0))
        self.momentum = _frozen(hyper("momentum", momentum, 0, 1, high_open=True))
        self.centered = flag("centered", centered)
        self._setup(lr, alpha=self.alpha, eps=self.eps, weight_decay=self.weight_decay, momentum=self.momentum)

    def _buffer_names(self):
        names = ("square_avg",)
        if _any(self.momentum > 0):
            names += ("momentum_buffer",)
        if self.centered:
            names += ("grad_avg",)
        return names

    def _update(self, p, g, s, k, h):
        g = -g if self.maximize else g
        if self._decays:
            g = g + h.weight_decay * p
        new = {"square_avg": h.alpha * s["square_avg"] + (1 - h.alpha) * (g * g)}
        if self.centered:
            gbar = new["grad_avg"] = s["grad_avg"] + (1 - h.alpha) * (g - s["grad_avg"])
            den = np.sqrt(new["square_avg"] - gbar * gbar) + h.eps
        else:
            den = np.sqrt(new["square_avg"]) + h.eps
        if "momentum_buffer" in s:
            b = new["momentum_buffer"] = h.momentum * s["momentum_buffer"] + g / den
            return p - h.lr * b, new
        return p - h.lr * (g / den), new

    def effective_lr(self, state):
        """Per-coordinate rate of the last step, lr / (sqrt(v [- gbar^2]) + eps).

        Without momentum p moved by -effective_lr * g (with momentum, g / den enters the
        buffer). Same structure and shapes as params; needs ``state["step"] >= 1``.
        """
        if self.centered:
            return self._per_coordinate(
                state, lambda h, t, v, gbar: h.lr / (np.sqrt(v - gbar * gbar) + h.eps), "square_avg", "grad_avg")
        return self._per_coordinate(state, lambda h, t, v: h.lr / (np.sqrt(v) + h.eps), "square_avg")


# ----------------------------------------------------------------------------- Adam / AdamW
class _Moments(Optimizer):
    """What Adam, AdamW, NAdam, RAdam and Adamax share: betas, eps, weight decay (an L2 term in
    the gradient, or decoupled as AdamW's) and maximize, checked and applied as torch does."""

    decoupled_weight_decay = False

    def _moments_setup(self, lr, betas, eps, weight_decay, maximize, decoupled_weight_decay=False, **numeric):
        self.maximize = flag("maximize", maximize)
        self.decoupled_weight_decay = flag("decoupled_weight_decay", decoupled_weight_decay)
        self.betas = _check_betas(betas)
        self.eps = _frozen(hyper("eps", eps, 0))
        self.weight_decay = _frozen(hyper("weight_decay", weight_decay, 0))
        numeric = {key: _frozen(value) for key, value in numeric.items()}
        for key, value in numeric.items():
            setattr(self, key, value)
        self._setup(lr, beta1=self.betas[0], beta2=self.betas[1], eps=self.eps, weight_decay=self.weight_decay,
                    **numeric)

    def _gradient(self, p, g, h):
        """torch's first lines: g <- -g (maximize); then g <- g + weight_decay * p, or with
        decoupled_weight_decay p <- p * (1 - lr * weight_decay). Returns (p, g)."""
        g = -g if self.maximize else g
        if self._decays and self.decoupled_weight_decay:
            return p * (1 - h.lr * h.weight_decay), g
        if self._decays:
            return p, g + h.weight_decay * p
        return p, g


class Adam(_Moments):
    """Adam (and AMSGrad with ``amsgrad=True``), with L2 ``weight_decay`` added to the gradient.

    ``torch.optim.Adam``'s algorithm, t = k + 1 = 1, 2, ... the step::

        g   <- -g                                       (maximize only)
        g   <- g + weight_decay * p                     (L2; with decoupled_weight_decay=True, as
                                                         AdamW: p <- p * (1 - lr * weight_decay))
        m   <- beta1 * m + (1 - beta1) * g
        v   <- beta2 * v + (1 - beta2) * g^2
        vmax <- max(vmax, v);  use vmax for v           (amsgrad)
        m_hat = m / (1 - beta1^t),   v_hat = v / (1 - beta2^t)
        p   <- p - lr * m_hat / (sqrt(v_hat) + eps)

    eps is added *after* the square root and the bias correction (torch computes
    sqrt(v) / sqrt(1 - beta2^t) + eps). ``effective_lr(state)`` gives lr / (sqrt(v_hat) + eps).
    """

    name = "adam"
    _signature = ("lr", "betas", "eps", "weight_decay", "amsgrad")
    _shown_if_set = ("maximize", "decoupled_weight_decay")

    def __init__(self, lr=0.001, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, amsgrad=False, *,
                 maximize=False, decoupled_weight_decay=False):
        self.amsgrad = flag("amsgrad", amsgrad)
        self._moments_setup(lr, betas, eps, weight_decay, maximize, decoupled_weight_decay)

    def _buffer_names(self):
        return ("exp_avg", "exp_avg_sq") + (("max_exp_avg_sq",) if self.amsgrad else ())

    def _update(self, p, g, s, k, h):
        t = k + 1  # torch counts steps from 1
        p, g = self._gradient(p, g, h)  # maximize, then weight decay: L2 (Adam) or decoupled (AdamW)
        m = h.beta1 * s["exp_avg"] + (1 - h.beta1) * g
        v = h.beta2 * s["exp_avg_sq"] + (1 - h.beta2) * (g * g)
        new = {"exp_avg": m, "exp_avg_sq": v}
        if self.amsgrad:
            v = new["max_exp_avg_sq"] = np.maximum(s["max_exp_avg_sq"], v)
        step_size = h.lr / (1 - _pow(h.beta1, t))
        den = np.sqrt(v) / np.sqrt(1 - _pow(h.beta2, t)) + h.eps
        return p - step_size * (m / den), new

    def effective_lr(self, state):
        """Per-coordinate rate of the last step, lr / (sqrt(v_hat) + eps) (v_hat from vmax for amsgrad).

        p moved by -effective_lr * m_hat, with m_hat = m / (1 - beta1^t) (plus AdamW's decay).
        Same structure and shapes as params; needs ``state["step"] >= 1``.
        """
        v_name = "max_exp_avg_sq" if self.amsgrad else "exp_avg_sq"
        return self._per_coordinate(
            state, lambda h, t, v: h.lr / (np.sqrt(v) / np.sqrt(1 - _pow(h.beta2, t)) + h.eps), v_name)


class AdamW(Adam):
    """AdamW: Adam with decoupled weight decay, ``p <- p * (1 - lr * weight_decay)`` before the
    Adam step (the gradient is left alone), as in ``torch.optim.AdamW``. See ``Adam``."""

    name = "adamw"
    _shown_if_set = ("maximize",)

    def __init__(self, lr=0.001, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.01, amsgrad=False, *, maximize=False):
        super().__init__(lr, betas, eps, weight_decay, amsgrad, maximize=maximize, decoupled_weight_decay=True)


# ----------------------------------------------------------------------------- NAdam
class NAdam(_Moments):
    """NAdam: Adam with Nesterov momentum, and a momentum that warms up (Dozat 2016,
    "Incorporating Nesterov Momentum into Adam").

    ``torch.optim.NAdam``'s algorithm, t = k + 1 = 1, 2, ... the step, P the product of the
    momenta so far (buffer ``mu_product``, starting at 1; one number per setting, kept in an
    array shaped like the parameters as every buffer is)::

        g    <- -g                                      (maximize only)
        g    <- g + weight_decay * p                    (or, decoupled_weight_decay=True:
                                                         p <- p * (1 - lr * weight_decay))
        mu_t  = beta1 * (1 - 0.5 * 0.96^(t * momentum_decay))        (and mu_{t+1} alike)
        P    <- P * mu_t
        m    <- beta1 * m + (1 - beta1) * g
        v    <- beta2 * v + (1 - beta2) * g^2
        den   = sqrt(v / (1 - beta2^t)) + eps
        p    <- p - lr * (1 - mu_t) / (1 - P) * g / den
                  - lr * mu_{t+1} / (1 - P * mu_{t+1}) * m / den

    torch keeps ``mu_product`` in the default dtype (float32 unless
    ``torch.set_default_dtype(torch.float64)``); here it is float64, like everything else.
    """

    name = "nadam"
    _signature = ("lr", "betas", "eps", "weight_decay", "momentum_decay", "decoupled_weight_decay")

    def __init__(self, lr=0.002, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, momentum_decay=4e-3,
                 decoupled_weight_decay=False, *, maximize=False):
        self._moments_setup(lr, betas, eps, weight_decay, maximize, decoupled_weight_decay,
                            momentum_decay=hyper("momentum_decay", momentum_decay, 0))

    def _buffer_names(self):
        return ("mu_product", "exp_avg", "exp_avg_sq")

    def _initial_buffer(self, buffer, p):
        return np.ones_like(p) if buffer == "mu_product" else np.zeros_like(p)

    def _update(self, p, g, s, k, h):
        t = k + 1
        p, g = self._gradient(p, g, h)
        mu = h.beta1 * (1.0 - 0.5 * _pow(0.96, t * h.momentum_decay))
        mu_next = h.beta1 * (1.0 - 0.5 * _pow(0.96, (t + 1) * h.momentum_decay))
        P = s["mu_product"] * mu
        m = h.beta1 * s["exp_avg"] + (1 - h.beta1) * g
        v = h.beta2 * s["exp_avg_sq"] + (1 - h.beta2) * (g * g)
        den = np.sqrt(v / (1 - _pow(h.beta2, t))) + h.eps
        p = p + (-h.lr * (1.0 - mu) / (1.0 - P)) * (g / den)
        p = p + (-h.lr * mu_next / (1.0 - P * mu_next)) * (m / den)
        return p, {"mu_product": P, "exp_avg": m, "exp_avg_sq": v}


# ----------------------------------------------------------------------------- RAdam
class RAdam(_Moments):
    """RAdam: Adam whose adaptive step is switched on only once the variance of v can be
    estimated, and then rectified (Liu et al. 2020, "On the Variance of the Adaptive Learning
    Rate and Beyond"); before that it is SGD with momentum.

    ``torch.optim.RAdam``'s algorithm, t = k + 1 = 1, 2, ... the step::

        g    <- -g                                      (maximize only)
        g    <- g + weight_decay * p                    (or, decoupled_weight_decay=True:
                                                         p <- p * (1 - lr * weight_decay))
        m    <- beta1 * m + (1 - beta1) * g
        v    <- beta2 * v + (1 - beta2) * g^2
        m_hat = m / (1 - beta1^t)
        rho_inf = 2 / (1 - beta2) - 1,   rho_t = rho_inf - 2 t beta2^t / (1 - beta2^t)
        if rho_t > 5:
            r  = sqrt((rho_t - 4) (rho_t - 2) rho_inf / ((rho_inf - 4) (rho_inf - 2) rho_t))
            p <- p - lr * m_hat * sqrt(1 - beta2^t) / (sqrt(v) + eps) * r
        else:
            p <- p - lr * m_hat

    With the default beta2 = 0.999 the first five steps are plain momentum steps.
    """

    name = "radam"
    _signature = ("lr", "betas", "eps", "weight_decay", "decoupled_weight_decay")

    def __init__(self, lr=0.001, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, decoupled_weight_decay=False, *,
                 maximize=False):
        self._moments_setup(lr, betas, eps, weight_decay, maximize, decoupled_weight_decay)

    def _buffer_names(self):
        return ("exp_avg", "exp_avg_sq")

    def _update(self, p, g, s, k, h):
        t = k + 1
        p, g = self._gradient(p, g, h)
        m = h.beta1 * s["exp_avg"] + (1 - h.beta1) * g
        v = h.beta2 * s["exp_avg_sq"] + (1 - h.beta2) * (g * g)
        m_hat = m / (1 - _pow(h.beta1, t))
        bias2 = 1 - _pow(h.beta2, t)
        rho_inf = 2 / (1 - h.beta2) - 1
        rho_t = rho_inf - 2 * t * _pow(h.beta2, t) / bias2
        rectified = rho_t > 5.0  # (np.divide: where not rectified the ratio may be 0 / 0, unused)
        ratio = np.divide((rho_t - 4) * (rho_t - 2) * rho_inf, (rho_inf - 4) * (rho_inf - 2) * rho_t)
        r = _pow(np.where(rectified, ratio, 1.0), 0.5)
        adaptive = m_hat * h.lr * (_pow(bias2, 0.5) / (np.sqrt(v) + h.eps)) * r
        return p - np.where(rectified, adaptive, m_hat * h.lr), {"exp_avg": m, "exp_avg_sq": v}


# ----------------------------------------------------------------------------- Adamax
class Adamax(_Moments):
    """Adamax: Adam with the infinity norm in place of the root mean square (Kingma & Ba 2015,
    "Adam: A Method for Stochastic Optimization", section 7).

    ``torch.optim.Adamax``'s algorithm, t = k + 1 = 1, 2, ... the step, u the decaying maximum::

        g <- -g                                         (maximize only)
        g <- g + weight_decay * p
        m <- beta1 * m + (1 - beta1) * g
        u <- max(beta2 * u, |g| + eps)
        p <- p - lr / (1 - beta1^t) * m / u
    """

    name = "adamax"
    _signature = ("lr", "betas", "eps", "weight_decay")

    def __init__(self, lr=0.002, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, *, maximize=False):
        self._moments_setup(lr, betas, eps, weight_decay, maximize)

    def _buffer_names(self):
        return ("exp_avg", "exp_inf")

    def _update(self, p, g, s, k, h):
        t = k + 1
        p, g = self._gradient(p, g, h)  # maximize, then the L2 term
        m = h.beta1 * s["exp_avg"] + (1 - h.beta1) * g
        u = np.maximum(h.beta2 * s["exp_inf"], np.abs(g) + h.eps)
        clr = h.lr / (1 - _pow(h.beta1, t))
        return p - clr * (m / u), {"exp_avg": m, "exp_inf": u}


# ----------------------------------------------------------------------------- Adadelta
class Adadelta(Optimizer):
    """Adadelta: the step is rescaled by the RMS of past steps over the RMS of past gradients,
    so its units match the parameters' (Zeiler 2012, "ADADELTA: An Adaptive Learning Rate Method").

    ``torch.optim.Adadelta``'s algorithm, v the average of g^2, u the average of squared steps::

        g     <- -g                                     (maximize only)
        g     <- g + weight_decay * p
        v     <- rho * v + (1 - rho) * g^2
        delta  = sqrt(u + eps) / sqrt(v + eps) * g
        u     <- rho * u + (1 - rho) * delta^2
        p     <- p - lr * delta

    torch's default ``lr=1.0`` is the method as published; lr only scales delta.
    """

    name = "adadelta"
    _signature = ("lr", "rho", "eps", "weight_decay")

    def __init__(self, lr=1.0, rho=0.9, eps=1e-6, weight_decay=0.0, *, maximize=False):
        self.maximize = flag("maximize", maximize)
        self.rho = _frozen(hyper("rho", rho, 0, 1))
        self.eps = _frozen(hyper("eps", eps, 0))
        self.weight_decay = _frozen(hyper("weight_decay", weight_decay, 0))
        self._setup(lr, rho=self.rho, eps=self.eps, weight_decay=self.weight_decay)

    def _buffer_names(self):
        return ("square_avg", "acc_delta")

    def _update(self, p, g, s, k, h):
        g = -g if self.maximize else g
        if self._decays:
            g = g + h.weight_decay * p
        v = h.rho * s["square_avg"] + (1 - h.rho) * (g * g)
        delta = np.sqrt(s["acc_delta"] + h.eps) / np.sqrt(v + h.eps) * g
        u = h.rho * s["acc_delta"] + (1 - h.rho) * (delta * delta)
        return p - h.lr * delta, {"square_avg": v, "acc_delta": u}


# The public constructors, named like the lessons write them.
sgd = SGD
adagrad = Adagrad
rmsprop = RMSprop
adam = Adam
adamw = AdamW
nadam = NAdam
radam = RAdam
adamax = Adamax
adadelta = Adadelta
