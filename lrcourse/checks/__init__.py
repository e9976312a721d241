"""Exercise checks: what the visible test cells of the assignments call.

A check either prints a short confirmation or raises ``AssertionError`` with a hint that
helps without giving the answer away. One module per assignment (``ex01`` for assignment 1,
...); the helpers here keep their messages uniform.
"""
from __future__ import annotations

import inspect

import numpy as np

from .. import _validate as v

__all__ = ["passed", "expect", "expect_close", "call"]


def passed(message):
    """Show a one-line confirmation of a passed check."""
    v.text("message", message)
    print(f"✔ {message}")


def expect(condition, hint):
    """Fail with ``hint`` unless ``condition`` holds (a condition with no single truth value,
    such as an array, counts as not holding)."""
    v.text("hint", hint)
    try:
        holds = bool(condition)
    except (TypeError, ValueError):
        holds = False
    if not holds:
        raise AssertionError(hint)


def expect_close(actual, expected, what, hint="", rtol=1e-9, atol=1e-12):
    """Fail unless ``actual`` matches ``expected`` (numbers or arrays) within tolerance.

    ``actual`` is the learner's answer: anything that is not numbers fails the check.
    """
    e = v.array("expected", float(expected) if isinstance(expected, (bool, np.bool_)) else expected,
                finite=False, allow_bool=True)
    what, hint = v.text("what", what), v.text("hint", hint)
    rtol, atol = v.number("rtol", rtol, 0), v.number("atol", atol, 0)
    try:
        if isinstance(actual, (str, bytes)) or actual is None:
            raise TypeError
        a = np.asarray(actual, dtype=float)
    except (TypeError, ValueError):
        raise AssertionError(f"{what} should be a number or an array of numbers, got {actual!r}") from None
    if a.shape != e.shape:
        raise AssertionError(f"{what} should have shape {e.shape}, got {a.shape}. {hint}".strip())
    with np.errstate(all="ignore"):  # huge answers compare (and print) without overflow warnings
        if not np.allclose(a, e, rtol=rtol, atol=atol, equal_nan=True):
            raise AssertionError(f"{what} is not right: got {np.round(a, 6).tolist()}. {hint}".strip())


def call(function, *args, what=None):
    """Call a learner's function; turn 'not written yet' and a wrong signature into clear failures."""
    if what is not None:
        v.text("what", what)
    name = what or getattr(function, "__name__", "your function")
    if not callable(function):
        raise AssertionError(f"{name} should be a function, got {type(function).__name__}")
    try:
        inspect.signature(function).bind(*args)
    except TypeError as e:
        raise AssertionError(f"{name} cannot be called with {len(args)} argument(s): {e}") from None
    except ValueError:  # some built-ins have no signature: just call them
        pass
    try:
        return function(*args)
    except NotImplementedError:
        raise AssertionError(f"{name} is not written yet: replace `raise NotImplementedError()` with your code") from None
