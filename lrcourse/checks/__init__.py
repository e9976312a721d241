"""Exercise checks: what the visible test cells of the assignments call.

A check either prints a short confirmation or raises ``AssertionError`` with a hint that
helps without giving the answer away. One module per assignment (``ex01`` for assignment 1,
...); the helpers here keep their messages uniform.
"""
from __future__ import annotations

import numpy as np

__all__ = ["passed", "expect", "expect_close", "call"]


def passed(message):
    """Show a one-line confirmation of a passed check."""
    print(f"✔ {message}")


def expect(condition, hint):
    """Fail with ``hint`` unless ``condition`` holds."""
    if not condition:
        raise AssertionError(hint)


def expect_close(actual, expected, what, hint="", rtol=1e-9, atol=1e-12):
    """Fail unless ``actual`` matches ``expected`` (numbers or arrays) within tolerance."""
    try:
        a = np.asarray(actual, dtype=float)
    except (TypeError, ValueError):
        raise AssertionError(f"{what} should be a number or an array of numbers, got {actual!r}") from None
    e = np.asarray(expected, dtype=float)
    if a.shape != e.shape:
        raise AssertionError(f"{what} should have shape {e.shape}, got {a.shape}. {hint}".strip())
    if not np.allclose(a, e, rtol=rtol, atol=atol, equal_nan=True):
        raise AssertionError(f"{what} is not right: got {np.round(a, 6).tolist()}. {hint}".strip())


def call(function, *args, what=None):
    """Call a learner's function; turn 'not written yet' into a clear failure."""
    name = what or getattr(function, "__name__", "your function")
    if not callable(function):
        raise AssertionError(f"{name} should be a function, got {type(function).__name__}")
    try:
        return function(*args)
    except NotImplementedError:
        raise AssertionError(f"{name} is not written yet: replace `raise NotImplementedError()` with your code") from None
