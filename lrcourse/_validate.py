"""Argument checks shared by the whole library.

Every public function calls these so that a bad argument fails early with a
message that names the argument exactly as spelled in the signature, the
allowed range and the value received, for example::

    ValueError: momentum must be in [0, 1), got 1.5

Bad *types* raise ``TypeError``; bad *values* (out of range, NaN, infinity,
wrong shape) raise ``ValueError``.

=============  ==============================================================
``number``     one finite real number in an interval (``lr``, ``momentum``)
``integer``    one integer in a range (``steps``, ``seed``); not a bool, not 2.0
``hyper``      a number or a (K,) array of them: K settings side by side
``array``      an array of real numbers of a given shape and range (``x0``, ``X``)
``interval``   a pair ``(low, high)`` with low < high (``xlim``, ``lr_range``)
``choice``     one of a few options (``mode="min"``)
``flag``       True or False
``function``   a callable (a schedule, a learner's answer)
``text``       a string; ``path`` a file-system path; ``generator`` a numpy Generator
=============  ==============================================================
"""
from __future__ import annotations

import numbers
import os
from pathlib import Path

import numpy as np

__all__ = ["number", "integer", "hyper", "array", "interval", "choice", "flag", "function", "text",
           "path", "generator", "interval_text"]


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
    return ~np.isfinite(x) | _beyond(x, low, high, low_open, high_open)


def _beyond(x, low, high, low_open, high_open):
    """Boolean (array) that is True where x lies outside the interval (NaN never does)."""
    bad = np.zeros(np.shape(x), dtype=bool)
    if low is not None:
        bad |= (x <= low) if low_open else (x < low)
    if high is not None:
        bad |= (x >= high) if high_open else (x > high)
    return bad


def _describe(value):
    """``type value`` for an error message, short even for big arrays."""
    if isinstance(value, np.ndarray):
        return f"an array of shape {value.shape} and dtype {value.dtype}"
    text = repr(value)
    return f"{type(value).__name__} {text if len(text) <= 60 else text[:57] + '...'}"


def number(name, value, low=None, high=None, *, low_open=False, high_open=False) -> float:
    """Check that ``value`` is one finite real number in the interval; return it as float."""
    if isinstance(value, np.ndarray) and value.ndim == 0 and value.dtype.kind in "iuf":
        value = value.item()  # a 0-d array holding one number counts as that number
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
    """Check that ``value`` is one of ``options`` (same type, compared with ==)."""
    for option in options:
        if isinstance(value, (bool, np.bool_)) != isinstance(option, (bool, np.bool_)):
            continue
        if option is None or value is None:
            if value is option:
                return value
            continue
        try:
            if isinstance(value, type(option)) and bool(value == option):
                return value
        except (TypeError, ValueError):  # e.g. an array: its == gives no single answer
            continue
    got = _describe(value) if isinstance(value, np.ndarray) else repr(value)
    raise ValueError(f"{name} must be one of {', '.join(repr(o) for o in options)}, got {got}")


def flag(name, value) -> bool:
    """Check a boolean switch (True/False, not 0/1 strings)."""
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be True or False, got {type(value).__name__} {value!r}")
    return bool(value)


def array(name, value, *, shape=None, ndim=None, low=None, high=None, low_open=False, high_open=False,
          finite=True, nonempty=False, allow_bool=False) -> np.ndarray:
    """Check an array of real numbers (a number, a list or a numpy array); return it as float64.

    ``shape`` is a tuple whose entries may be None (any length on that axis); ``ndim`` asks
    for a number of axes only. With ``finite`` every element must be finite (NaN and
    infinity are bad values), and inside the interval [``low``, ``high``] when given.
    Strings, None, dicts, functions, True/False and non-numeric arrays are bad types
    (``allow_bool`` accepts arrays of booleans, e.g. labels). The result may share memory
    with ``value``: copy it before storing it.
    """
    if type(value) is np.ndarray and value.dtype.kind == "f":  # the common case, checked fast
        arr = value.astype(float, copy=False)
    else:
        arr = _real_array(name, value, allow_bool)
    if ndim is not None and arr.ndim != ndim:
        raise ValueError(f"{name} must have {ndim} ax{'is' if ndim == 1 else 'es'}, got shape {arr.shape}")
    if shape is not None and (arr.ndim != len(shape) or any(
            want is not None and got != want for got, want in zip(arr.shape, shape))):
        want = "(" + ", ".join("n" if n is None else str(n) for n in shape) + ("," if len(shape) == 1 else "") + ")"
        raise ValueError(f"{name} must have shape {want}, got shape {arr.shape}")
    if nonempty and arr.size == 0:
        raise ValueError(f"{name} must not be empty, got shape {arr.shape}")
    if not finite and low is None and high is None:
        return arr  # any float will do (e.g. the parameters of a diverged run)
    bad = _outside(arr, low, high, low_open, high_open) if finite else _beyond(arr, low, high, low_open, high_open)
    if np.any(bad):
        where = interval_text(low, high, low_open, high_open)
        if finite:
            where = "finite" if low is None and high is None else f"finite and {where}"
        where = where if where.startswith(("finite", ">", "<")) else f"in {where}"
        first = arr[bad].flat[0]
        raise ValueError(f"{name} must have every element {where}, got {float(first)!r}"
                         + (f" among {arr.size} values" if arr.size > 1 else ""))
    return arr


def _real_array(name, value, allow_bool):
    """``value`` as a float64 array, or TypeError/ValueError naming ``name``."""
    kind = "a number or an array of real numbers"
    if isinstance(value, (str, bytes, dict, set)) or value is None or callable(value):
        raise TypeError(f"{name} must be {kind}, got {_describe(value)}")
    if isinstance(value, (bool, np.bool_)):  # True is a flag, not a number (allow_bool: arrays of them)
        raise TypeError(f"{name} must be {kind}, got {_describe(value)}")
    try:
        arr = np.asarray(value)
    except (TypeError, ValueError):  # e.g. ragged nested lists
        raise ValueError(f"{name} must be {kind} of a regular shape, got {_describe(value)}") from None
    kinds = "iuf" + ("b" if allow_bool else "")
    if arr.dtype.kind == "O":
        try:
            arr = arr.astype(float)
        except (TypeError, ValueError):
            raise TypeError(f"{name} must be {kind}, got {_describe(value)}") from None
    elif arr.dtype.kind not in kinds:
        raise TypeError(f"{name} must be {kind}, got {_describe(arr)}")
    return arr.astype(float, copy=False)


def interval(name, value, low=None, high=None, *, low_open=False, high_open=False) -> tuple:
    """Check a pair ``(a, b)`` of finite numbers with a < b, both in [low, high]; return floats."""
    if isinstance(value, (str, bytes, dict, set)) or not hasattr(value, "__len__"):
        raise TypeError(f"{name} must be a pair (low, high) of numbers, got {_describe(value)}")
    if len(value) != 2:
        raise ValueError(f"{name} must be a pair (low, high) of numbers, got {len(value)} values: {_describe(value)}")
    a = number(f"{name}[0]", value[0], low, high, low_open=low_open, high_open=high_open)
    b = number(f"{name}[1]", value[1], low, high, low_open=low_open, high_open=high_open)
    if not a < b:
        raise ValueError(f"{name} must have low < high, got {_describe(value)}")
    return a, b


def function(name, value, what="a function"):
    """Check that ``value`` is callable (and not a class); ``what`` says what was expected."""
    if not callable(value) or isinstance(value, type):
        raise TypeError(f"{name} must be {what}, got {_describe(value)}")
    return value


def text(name, value) -> str:
    """Check that ``value`` is a string."""
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a string, got {_describe(value)}")
    return value


def path(name, value) -> Path:
    """Check a file-system path (a string or a ``pathlib.Path``, not empty); return a Path."""
    if not isinstance(value, (str, os.PathLike)):
        raise TypeError(f"{name} must be a path (a string or a pathlib.Path), got {_describe(value)}")
    if str(value) == "":
        raise ValueError(f"{name} must be a path, got an empty string")
    return Path(value)


def generator(name, value) -> np.random.Generator:
    """Check a numpy random Generator (``np.random.default_rng(seed)``)."""
    if not isinstance(value, np.random.Generator):
        raise TypeError(f"{name} must be a numpy Generator (np.random.default_rng(seed)), got {_describe(value)}")
    return value
