"""Named functions for the golden cases that take one (``lr_lambda``, ``scale_fn``).

JSON cannot hold a function, so a case holds ``{"fn": name, **parameters}`` where a function
goes; ``resolve`` turns such dicts into the functions, for torch (make_schedules_golden.py)
and for lrcourse (tests/test_schedules.py) alike. No torch here.
"""
from __future__ import annotations

import math

FUNCTIONS = {
    "power": lambda gamma: lambda t: gamma**t,                          # 0.95 ** t
    "inverse": lambda c: lambda t: 1.0 / (1.0 + c * t),                 # 1 / (1 + c t)
    "warmup": lambda w: lambda t: min(1.0, (t + 1) / w),                # linear warmup over w steps
    "constant": lambda f: lambda t: f,                                  # the same factor every step
    "step_down": lambda n, gamma: lambda t: gamma ** (t // n),           # StepLR as a lambda
    "cosine": lambda T: lambda t: 0.5 * (1 + math.cos(math.pi * min(t, T) / T)),
    "piecewise": lambda until, then: lambda t: 1.0 if t < until else then,
    "sine": lambda: lambda x: 0.5 * (1 + math.sin(x * math.pi / 2)),   # torch's CyclicLR doc example
    "halving": lambda: lambda x: 1 / (2.0 ** (x - 1)),                  # "triangular2" as a scale_fn
}


def make(spec):
    """The function a spec ``{"fn": name, **parameters}`` stands for."""
    params = {key: value for key, value in spec.items() if key != "fn"}
    return FUNCTIONS[spec["fn"]](**params)


def resolve(kwargs):
    """``kwargs`` with every function spec replaced by its function."""
    return {key: make(value) if isinstance(value, dict) and "fn" in value else value
            for key, value in kwargs.items()}
