"""Lesson 11's app: steps to a target against the batch size, in the noisy quadratic model.

:class:`CriticalBatchApp` computes, once, for every batch size of a grid and for each method
(plain SGD, heavy ball, preconditioned SGD), the best rate and the fewest steps to the target
(:func:`lrcourse.nqm.best_steps`), and the expected loss curve of that best run. The slider picks
the batch size. Left: the three loss curves against the step. Right: steps to the target against
the batch size (log-log) with the chosen batch marked: the straight part is perfect scaling (twice
the batch, half the steps), the flat part is past the critical batch.
"""
from __future__ import annotations

import numpy as np

from .. import _validate as v
from .. import nqm
from . import BlitManager, SliderApp, grid_slider, log_visible, nearest, new_figure

__all__ = ["CriticalBatchApp", "METHODS"]

#: name -> (momentum, preconditioning power)
METHODS = {"SGD": (0.0, 0.0), "heavy ball, β = 0.9": (0.9, 0.0), "preconditioned, p = 0.5": (0.0, 0.5)}


class CriticalBatchApp(SliderApp):
    """Steps to ``target`` (a fraction of the start loss) against the batch size, for each method of
    ``methods`` (name -> (momentum, precondition)), the rate tuned per batch size over ``lrs``."""

    def __init__(self, model=None, target=0.01, batch_sizes=None, lrs=None, methods=None, batch_size=16):
        self.model = nqm.NoisyQuadratic.zhang(100) if model is None else model
        if not isinstance(self.model, nqm.NoisyQuadratic):
            raise TypeError(f"model must be a NoisyQuadratic, got {type(self.model).__name__}")
        self.target = v.number("target", target, 0, 1, low_open=True, high_open=True) * self.model.start_loss
        self.batch_sizes = 2.0 ** np.arange(0, 15) if batch_sizes is None else np.atleast_1d(
            v.array("batch_sizes", batch_sizes, low=1))
        slider = grid_slider("batch size", batch_size, self.batch_sizes, name="batch_sizes", readout_format=".0f")
        self.lrs = np.geomspace(1e-3, 4, 40) if lrs is None else np.atleast_1d(v.array("lrs", lrs, low=0, low_open=True))
        self.methods = dict(METHODS if methods is None else methods)
        self.best = {name: nqm.best_steps(self.model, self.target, self.batch_sizes, self.lrs, momentum=mom,
                                          precondition=p) for name, (mom, p) in self.methods.items()}
        finite = np.concatenate([b.steps[np.isfinite(b.steps)] for b in self.best.values()])
        self.horizon = int(min(finite.max() * 1.5, 10**5)) if finite.size else 100
        mom = np.array([m for m, _ in self.methods.values()])[:, None]
        pre = np.array([p for _, p in self.methods.values()])[:, None]
        lr = np.stack([np.nan_to_num(b.lr, nan=0.0) for b in self.best.values()])
        self.t = np.unique(np.round(np.geomspace(1, self.horizon, 200)))
        self.curves = nqm.expected_loss_at(self.model, self.t, lr, self.batch_sizes[None, :],
                                           momentum=mom, precondition=pre)  # (n, methods, batches)
        self.controls = {"B": slider}
        self._build()
        self._start()

    def _build(self):
        self.fig, (self.ax_l, self.ax_s) = new_figure(1, 2, figsize=(8, 3.3))
        ax = self.ax_l
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlim(1, self.horizon)
        ax.set_ylim(self.target / 30, self.model.start_loss * 2)
        ax.axhline(self.target, color="0.5", ls=":", lw=1)
        ax.set_xlabel("step")
        ax.set_title("expected loss at the best rate (target dotted)", fontsize=10)
        ax = self.ax_s
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("batch size B")
        ax.set_title("steps to reach the target", fontsize=10)
        self.blit = BlitManager(self.fig.canvas)
        self.lines = {}
        for i, (name, best) in enumerate(self.best.items()):
            ax.plot(self.batch_sizes, best.steps, "o-", ms=3, lw=1.2, color=f"C{i}", label=name)
            (self.lines[name],) = self.ax_l.plot([], [], color=f"C{i}", lw=1.4)
            self.blit.add(self.lines[name])
        (self.marker,) = ax.plot([], [], "|", color="k", ms=60, mew=1)
        self.blit.add(self.marker)
        ax.legend(fontsize=7, loc="lower left")

    def update(self, B):
        k = nearest(self.batch_sizes, B, log=True)
        self.B, self.k = float(self.batch_sizes[k]), k
        parts = []
        for i, (name, best) in enumerate(self.best.items()):
            curve = self.curves[:, i, k] if np.isfinite(best.steps[k]) else np.full(self.t.size, np.nan)
            self.lines[name].set_data(self.t, log_visible(curve))
            steps = f"{best.steps[k]:.0f} steps (lr {best.lr[k]:.3g})" if np.isfinite(best.steps[k]) else "never"
            parts.append(f"{name}: {steps}")
        lo, hi = self.ax_s.get_ylim()
        self.marker.set_data([self.B], [np.sqrt(lo * hi)])
        self.status.value = f"B = {self.B:.0f}: " + "; ".join(parts)
        return False
