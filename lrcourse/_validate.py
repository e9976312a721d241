"""Argument checks shared by the whole library.

Every public function calls these so that a bad argument fails early with a
message that names the argument exactly as spelled in the signature, the
allowed range and the value received, for example::

    ValueError: momentum must be in [0, 1), got 1.5

Bad *types* raise ``TypeError``; bad *values* (out of range, NaN, infinity,
wrong shape) raise ``ValueError``.
"""
from __future__ import annotations

import numbers

import numpy as np

__all__ = ["number", "integer", "hyper", "choice", "flag", "interval_text"]


def interval_text(low=None, high=None, low_open=False, high_open=False) -> str:
    """Human-readable interval, e.g. ``[0, 1)`` or ``> 0`` or ``a finite number``."""
    if low is None and high is None:
        return "a finite number"
    if high is None:
        return f"{'>' if low_open else '>='} {low:g}"
    if low is None:
        return f"{'<' if high_open else '<='} {high:g}"
    return f"{'(' if low_open else '['}{low:g}, {high:g}{')' if high_open else ']'}"


def _range_error(name, value, low, high, low_open, high_open):
    where = interval_text(low, high, low_open, high_open)
    if low is None and high is None:
        return ValueError(f"{name} must be a finite number, got {value!r}")
    if high is None or low is None:
        return ValueError(f"{name} must be {where}, got {value!r}")
    return ValueError(f"{name} must be in {where}, got {value!r}")


def _outside(x, low, high, low_open, high_open):
    """Boolean (array) that is True where x lies outside the interval or is not finite."""
    bad = ~np.isfinite(x)
    if low is not None:
        bad |= (x <= low) if low_open else (x < low)
    if high is not None:
        bad |= (x >= high) if high_open else (x > high)
    return bad


def number(name, value, low=None, high=None, *, low_open=False, high_open=False) -> float:
    """Check that ``value`` is one finite real number in the interval; return it as float."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {type(value).__name__} {value!r}")
    x = float(value)
    if _outside(x, low, high, low_open, high_open):
        raise _range_error(name, value, low, high, low_open, high_open)
    return x


def integer(name, value, low=None, high=None) -> int:
    """Check that ``value`` is an integer (not a bool, not 2.0) in ``[low, high]``."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer, got {type(value).__name__} {value!r}")
    v = int(value)
    if (low is not None and v < low) or (high is not None and v > high):
        if high is None:
            raise ValueError(f"{name} must be an integer >= {low}, got {value!r}")
        if low is None:
            raise ValueError(f"{name} must be an integer <= {high}, got {value!r}")
        raise ValueError(f"{name} must be an integer in [{low}, {high}], got {value!r}")
    return v


def hyper(name, value, low=None, high=None, *, low_open=False, high_open=False):
    """Check a hyperparameter that may be one number or a ``(K,)`` array of K settings.

    Returns a float for a scalar and a float64 array of shape ``(K,)`` for a sequence;
    every element must be finite and inside the interval.
    """
    if isinstance(value, (numbers.Real, np.floating, np.integer)) and not isinstance(
        value, (bool, np.bool_)
    ):
        return number(name, value, low, high, low_open=low_open, high_open=high_open)
    if isinstance(value, (str, bytes, bool, np.bool_)) or value is None:
        raise TypeError(
            f"{name} must be a real number or a 1-D array of them, got {type(value).__name__} {value!r}"
        )
    try:
        arr = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        raise TypeError(
            f"{name} must be a real number or a 1-D array of them, got {type(value).__name__} {value!r}"
        ) from None
    if arr.ndim == 0:
        return number(name, float(arr), low, high, low_open=low_open, high_open=high_open)
    if arr.ndim != 1 or arr.size == 0:
        raise ValueError(f"{name} must be a number or a non-empty 1-D array (K settings), got shape {arr.shape}")
    bad = _outside(arr, low, high, low_open, high_open)
    if bad.any():
        first = arr[np.argmax(bad)]
        where = interval_text(low, high, low_open, high_open)
        raise ValueError(f"{name} must have every element in {where}, got {first!r} among {arr.size} values")
    return arr


def choice(name, value, options):
    """Check that ``value`` is one of ``options`` (compared with ==)."""
    if value not in options:
        raise ValueError(f"{name} must be one of {', '.join(repr(o) for o in options)}, got {value!r}")
    return value


def flag(name, value) -> bool:
    """Check a boolean switch (True/False, not 0/1 strings)."""
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be True or False, got {type(value).__name__} {value!r}")
    return bool(value)
