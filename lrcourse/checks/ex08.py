"""Checks for assignment 8: practice on real data.

``hidden=True`` (the grader) runs the same contract on more cases, random ones drawn from the
grader's per-submission seed, and describes a failing case without its inputs.
"""
from __future__ import annotations

import functools

import numpy as np

from . import case_rng, close, expect, forbid, is_hidden, passed, run_answer

__all__ = ["check_suggest_lr", "check_warmup_cosine", "check_discriminative", "check_choose_lr", "final_losses",
           "practice_net"]

_SEARCH = ("lrcourse.search.smooth_losses", "lrcourse.search.minimum", "lrcourse.search.lr_range_test",
           "lrcourse.search.steepest", "lrcourse.search.valley")
_SCHEDULES = ("lrcourse.schedules.cosine", "lrcourse.schedules.warmup", "lrcourse.schedules.sequential",
              "lrcourse.schedules.linear", "lrcourse.schedules.one_cycle", "lrcourse.schedules.wsd")


def _smoothed(losses, beta=0.98):
    avg, out = 0.0, []
    for i, loss in enumerate(losses):
        avg = beta * avg + (1 - beta) * loss
        out.append(avg / (1 - beta ** (i + 1)))
    return np.array(out)


def _curve(n=120, blow_up=True, seed=0, centre=-2.5, noise=0.05):
    """A synthetic range test: the loss falls, bottoms out, then explodes (inf at the end)."""
    lrs = 1e-4 * (1e5) ** (np.arange(n) / (n - 1))
    x = np.log10(lrs)
    loss = 2.3 - 2.0 / (1 + np.exp(-3 * (x - centre))) + np.exp(3 * (x + 0.5))
    loss = loss + noise * np.random.default_rng(seed).standard_normal(n)
    if blow_up:
        loss[-8:] = np.inf
    return lrs, loss


def _reference(lrs, losses):
    losses = np.asarray(losses, dtype=float)
    bad = ~np.isfinite(losses)
    stop = int(np.argmax(bad)) if bad.any() else losses.size
    s = _smoothed(losses[:stop])
    return lrs[int(np.argmin(s))] / 10


def _one_rate(got, name="suggest_lr"):
    """The learner's answer as one float, or a failed check saying that one number was expected."""
    try:
        if isinstance(got, (str, bytes, bool, np.bool_)) or got is None:
            raise TypeError
        rate = np.asarray(got, dtype=float)
    except (TypeError, ValueError):
        rate = None
    expect(rate is not None and rate.ndim == 0,
           f"{name} should return one learning rate (a number), got {type(got).__name__} {got!r:.60}")
    return float(rate)


# ----------------------------------------------------------------------------- question 1
def check_suggest_lr(suggest_lr, hidden=False):
    """suggest_lr(lrs, losses): a tenth of the rate at the lowest smoothed loss (the part before the
    first non-finite loss only)."""
    hidden = is_hidden(hidden)
    rng = case_rng("suggest_lr", hidden)
    if hidden:
        cases = []
        for kind in ("no blow-up", "an inf", "a nan"):
            n = int(rng.integers(100, 200))
            lrs, loss = _curve(n, blow_up=False, seed=int(rng.integers(1 << 30)), centre=rng.uniform(-3.5, -2.5),
                               noise=rng.uniform(0.01, 0.1))
            if kind != "no blow-up":
                at = int(rng.integers(int(0.6 * n), int(0.7 * n)))
                loss[at:at + 2] = np.inf if kind == "an inf" else np.nan
                loss[at + 2:] = rng.uniform(0, 0.01, n - at - 2)               # garbage after the blow-up
            cases.append((lrs, loss, f"a random noisy range test with {kind}"))
    else:
        lrs, loss = _curve(blow_up=False)
        raw = lrs[int(np.argmin(loss))] / 10
        cases = [(lrs, loss, "a noisy range test")]
        got = _one_rate(run_answer(suggest_lr, lrs.copy(), loss.copy(), case="on a noisy range test"))
        expect(not np.isclose(got, raw) or np.isclose(raw, _reference(lrs, loss)),
               f"suggest_lr returned {got:.4g}: the minimum of the raw, noisy loss. Smooth the losses first.")
        expect(not np.isclose(got, _reference(lrs, loss) * 10), f"suggest_lr returned {got:.4g}, the rate at the "
               "minimum itself: the bottom of the curve is already too high a rate for training (too high).")
        lrs, loss = _curve(blow_up=True, seed=1)
        cases.append((lrs, loss, "a range test that blew up (inf at the end)"))
        lrs, loss = _curve(blow_up=False, seed=2)
        loss[70], loss[71:] = np.nan, 0.0
        cases.append((lrs, loss, "a range test whose loss became nan, then 0 (garbage)"))
    for lrs, loss, where in cases:
        with forbid(*_SEARCH):
            got = _one_rate(run_answer(suggest_lr, lrs.copy(), loss.copy(), case=f"on {where}"))
        expect(np.isfinite(got), f"suggest_lr returned {got} on {where}: ignore the losses from the first "
               "non-finite one on.")
        close(got, _reference(lrs, loss), f"suggest_lr on {where}", "", "Keep only the losses before the first non-finite one (inf or nan; nothing after it counts), "
                     "smooth them with the bias-corrected moving average (beta = 0.98) and take one tenth of the "
                     "rate where the smoothed loss is lowest.", rtol=1e-9, atol=1e-12)
    passed("suggest_lr reads a range test the way fastai's 'minimum' rule does.")


# ----------------------------------------------------------------------------- question 2
def _warmup_cosine(t, peak, w, T):
    t = np.asarray(t, dtype=float)
    with np.errstate(all="ignore"):
        ramp = peak * (t + 1) / max(w, 1)
        decay = peak * (1 + np.cos(np.pi * (t - w) / (T - w))) / 2
    return np.where(t < w, ramp, decay)


def check_warmup_cosine(warmup_cosine, hidden=False):
    """warmup_cosine(t, peak, warmup_steps, total_steps) for an int t or an int array, 0 <= w < T."""
    hidden = is_hidden(hidden)
    rng = case_rng("warmup_cosine", hidden)
    if hidden:
        T = int(rng.integers(20, 2000))
        settings = [(float(np.exp(rng.uniform(-7, 1))), int(rng.integers(1, T // 2)), T, "random settings"),
                    (float(np.exp(rng.uniform(-7, 1))), 0, T, "warmup_steps = 0"),
                    (float(np.exp(rng.uniform(-7, 1))), 1, T, "warmup_steps = 1")]
    else:
        settings = [(0.5, 5, 20, "peak 0.5, warmup_steps=5, total_steps=20"),
                    (0.1, 0, 10, "warmup_steps = 0 (no warmup), peak 0.1, total_steps=10")]
    for peak, w, T, where in settings:
        t = np.arange(T)
        with forbid(*_SCHEDULES):
            got = run_answer(warmup_cosine, t, peak, w, T, case=f"on an int array of steps ({where})")
        want = _warmup_cosine(t, peak, w, T)
        expect(np.shape(got) == (T,), f"warmup_cosine(np.arange({T}), ...) should return {T} rates, got shape "
               f"{np.shape(got)} ({where})")
        got = np.asarray(got, dtype=float)
        if w:
            close(got[:w], want[:w], f"the warmup part (steps 0 to warmup_steps - 1, {where})", "", "The rate grows linearly and reaches the peak at step warmup_steps - 1: step t uses "
                         "peak * (t + 1) / warmup_steps.", rtol=1e-9, atol=1e-12)
        close(got[w:], want[w:], f"the decay part (steps warmup_steps to total_steps - 1, {where})", "", "After the warmup a cosine goes from the peak (at t = warmup_steps) towards 0 (at t = "
                     "total_steps); with warmup_steps = 0 the decay starts at step 0.", rtol=1e-9, atol=1e-12)
        for step in (int(rng.integers(0, T)), w, T - 1):
            for kind, value in (("a Python int", int(step)), ("a numpy int", np.int64(step))):
                with forbid(*_SCHEDULES):
                    one = run_answer(warmup_cosine, value, peak, w, T, case=f"for {kind} step ({where})")
                expect(np.ndim(one) == 0, f"warmup_cosine for {kind} step should return one number, got shape "
                       f"{np.shape(one)} ({where})")
                close(one, want[step], f"warmup_cosine for {kind} step" + ("" if hidden else f" t={step}")
                             + f" ({where})", "", "It must also work for one int step.", rtol=1e-9, atol=1e-12)
    passed("warmup_cosine ramps up linearly, then decays along a half cosine.")


# ----------------------------------------------------------------------------- question 3
def check_discriminative(discriminative, hidden=False):
    """discriminative(make, lr, names, factor) -> {name: make(lr=lr / factor**(L - l))}."""
    from .. import optimizers

    hidden = is_hidden(hidden)
    rng = case_rng("discriminative", hidden)
    if hidden:
        L = int(rng.integers(2, 13))
        names = [f"{k}{l}" for l in range(1, L + 1) for k in "Wb"]
        order = rng.permutation(len(names))
        cases = [(functools.partial(optimizers.sgd, momentum=0.9), float(np.exp(rng.uniform(-7, 0))),
                  [names[i] for i in order], float(rng.uniform(1.2, 5)), "SGD", f"{L} random layers in random order"),
                 (optimizers.adam, float(np.exp(rng.uniform(-9, -3))), names[:4], None, "Adam",
                  "2 layers, the default factor")]
    else:
        names = ["W1", "b1", "W2", "b2", "W3", "b3"]
        cases = [(optimizers.sgd, 0.1, names, 2.0, "SGD", "names W1 .. b3, lr 0.1, factor 2"),
                 (optimizers.adam, 0.01, ["W1", "b1", "W2", "b2"], None, "Adam", "2 layers with the default factor"),
                 (optimizers.sgd, 1.0, [f"{k}{l}" for l in (10, 9, 11, 1, 2, 3, 4, 5, 6, 7, 8, 12) for k in "bW"], 1.5,
                  "SGD", "12 layers named in a shuffled order, factor 1.5")]
    for make, lr, names, factor, kind, where in cases:
        args = (make, lr, list(names)) + (() if factor is None else (factor,))
        got = run_answer(discriminative, *args, case=f"for {where}")
        expect(isinstance(got, dict), f"discriminative should return a dict {{name: optimizer}}, got "
               f"{type(got).__name__} ({where})")
        expect(sorted(got) == sorted(names), f"the dict should have one optimizer per name, got keys "
               f"{sorted(got)[:8]}{' ...' if len(got) > 8 else ''} ({where})")
        for name in names:
            expect(hasattr(got[name], "step") and hasattr(got[name], "lr_at"),
                   f"got[{name!r}] should be an optimizer made by the function you were given, got {got[name]!r:.60}")
            expect(type(got[name]).__name__ == kind, f"got[{name!r}] is {type(got[name]).__name__}: build each "
                   f"optimizer with the function you were given (here it makes {kind}) ({where}).")
        top = max(int(n[1:]) for n in names)
        f = 2.6 if factor is None else factor
        for name in sorted(names, key=lambda n: (-int(n[1:]), n)):
            l = int(name[1:])
            rate = float(got[name].lr_at(0))
            if factor is None and np.isclose(rate, lr / 2.0 ** (top - l)) and l < top:
                raise AssertionError("The default factor is ULMFiT's 2.6, not 2.")
            what = ("the rate of the top layer" if l == top else f"the rate of layer {l} ({name})") + f" ({where})"
            close(rate, lr / f ** (top - l), what, "", "The last (top) layer gets lr itself; each layer below gets the rate of the layer above "
                         "divided by factor (so W2 and W1 get lr / factor and lr / factor², for 3 layers); "
                         "a layer's bias uses the rate of its weights.", rtol=1e-9, atol=1e-12)
    passed("discriminative gives each layer its own rate, smaller for lower layers.")


# ----------------------------------------------------------------------------- question 4
GRID = np.geomspace(1e-4, 10.0, 26)
TOLERANCE = 2.0


def practice_net(seed, n=500, hidden=(32,), scale=1.0):
    """An MLP on ``n`` random digits (inputs standardised, then multiplied by ``scale``)."""
    from .. import data
    from ..models import MLP

    d = data.load_digits()
    idx = np.random.default_rng(seed).choice(len(d.y), n, replace=False)
    return MLP(data.standardize(d.X[idx]) * scale, d.y[idx], hidden=hidden, batch_size=32, seed=seed)


def final_losses(net, lrs, steps, seeds=(0, 1)):
    """The full training loss after ``steps`` steps of SGD with momentum 0.9, one per rate (inf if diverged),
    averaged over the minibatch draws of ``seeds``."""
    from .. import optimizers
    from ..training import run

    out = []
    for seed in seeds:
        h = run(net, optimizers.sgd(lr=np.atleast_1d(np.asarray(lrs, dtype=float)), momentum=0.9), steps,
                progress=False, loss_every=steps, seed=seed)
        last = np.asarray(h.loss, dtype=float)[-1]
        out.append(np.where(np.isfinite(last), last, np.inf))
    return np.mean(out, axis=0)


def check_choose_lr(choose_lr, hidden=False):
    """choose_lr(net, steps) -> an SGD-with-momentum rate whose training loss after ``steps`` steps is at
    most 2 x the lowest that any rate of a log grid from 1e-4 to 10 reaches."""
    hidden = is_hidden(hidden)
    rng = case_rng("choose_lr", hidden)
    if hidden:
        cases = [(practice_net(int(rng.integers(1 << 20)), hidden=(int(rng.integers(16, 65)),),
                               scale=float(np.exp(rng.uniform(np.log(0.3), np.log(5))))), 40,
                  "a random network on rescaled inputs"),
                 (practice_net(int(rng.integers(1 << 20)), hidden=(int(rng.integers(16, 65)),)), 40,
                  "a random network on standardised inputs")]
    else:
        cases = [(practice_net(0), 40, "an MLP (32 hidden units) on 500 standardised digits"),
                 (practice_net(3, scale=5.0), 40, "the same kind of MLP on inputs 5 times larger")]
    for net, steps, where in cases:
        x0 = {k: v.copy() for k, v in net.x0.items()}
        lr = _one_rate(run_answer(choose_lr, net, steps, case=f"on {where}"), "choose_lr")
        expect(all(np.array_equal(net.x0[k], x0[k]) for k in x0), f"choose_lr changed the network's starting "
               f"weights net.x0 ({where}): train copies (lrcourse.run does).")
        expect(np.isfinite(lr) and lr > 0, f"choose_lr returned {lr} for {where}: a learning rate is > 0.")
        grid = final_losses(net, GRID, steps)
        mine = float(final_losses(net, [lr], steps)[0])
        best = float(grid.min())
        expect(mine <= TOLERANCE * best,
               f"with lr = {lr:.3g} on {where}, the training loss after {steps} steps is "
               + ("inf (the run diverged)" if not np.isfinite(mine) else f"{mine:.3g}")
               + f", more than {TOLERANCE} times the best a constant rate reaches there ({best:.3g}, at a rate "
               + ("above" if lr < GRID[int(np.argmin(grid))] else "below") + " yours). Measure instead of guessing: "
               "a range test or a short sweep on this very network.")
    passed("choose_lr finds a rate that trains about as fast as the best constant rate.")
