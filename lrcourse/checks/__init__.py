"""Exercise checks: what the visible test cells of the assignments call.

A check either prints a short confirmation or raises ``AssertionError`` with a hint that
helps without giving the answer away. One module per assignment (``ex01`` for assignment 1,
...); the helpers here keep their messages uniform.

Each question has ONE contract, tested by its check in two modes: visible (the test cell a
learner runs: fixed cases plus random ones from a fixed seed) and hidden (``hidden=True``, in
the solution's hidden-test block: more random cases, seeded per submission by the grader through
``LRCOURSE_GRADE_SEED``). Building blocks: ``case_rng``, ``run_answer`` (calls the learner's
function; errors, ``if`` on arrays and in-place changes become clear failures), ``close`` and
``fail`` ("<part> failed <case>: expected ..., got ... . <hint>"), ``kinds`` (one input as a
number / list / array), ``forbid`` (library calls a prompt forbids).
"""
from __future__ import annotations

import contextlib
import copy
import importlib
import inspect
import os
import sys
import warnings
import zlib

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
    return run_answer(function, *args, name=name, may_modify=True)


# ============================================================================ contracts and cases
# The helpers below are what the check modules build on (they are not part of the fuzzed public
# API of ``__all__``). A check tests one *contract* per question: the visible check on fixed cases
# plus a few random ones from a fixed seed, the hidden test (``hidden=True``, run by the grader)
# on more random cases from a seed the grader sets per submission. Both use the same helpers, so
# they read the prompt the same way. Failures say which part of the contract failed, on what kind
# of case, what was expected and what came back; hidden failures never print their inputs.

#: The environment variable the grader sets (one value per submission) to seed hidden cases.
GRADE_SEED_ENV = "LRCOURSE_GRADE_SEED"

#: The tolerance of numeric answers, as the prompts state it.
RTOL, ATOL = 1e-6, 1e-9


def is_hidden(hidden):
    """True only for ``hidden=True`` (anything else a learner could pass counts as visible)."""
    return hidden is True or (isinstance(hidden, np.bool_) and bool(hidden))


def case_rng(question, hidden=False):
    """The random generator of a question's cases.

    Visible checks (``hidden=False``) get a fixed seed per question, so a learner sees the same
    cases every time. Hidden tests get a seed made of the grader's ``LRCOURSE_GRADE_SEED`` (one
    per submission) and the question's name; without that variable, a fresh random seed.
    """
    key = zlib.crc32(v.text("question", question).encode())
    if not is_hidden(hidden):
        return np.random.default_rng(key)
    seed = os.environ.get(GRADE_SEED_ENV, "").strip()
    if not seed:
        return np.random.default_rng()
    try:
        base = int(seed) % 2**63
    except ValueError:
        base = zlib.crc32(seed.encode())
    return np.random.default_rng([base, key])


def show(value, digits=6):
    """A short text for a number, an array or anything else a learner may return."""
    if isinstance(value, (bool, np.bool_, str, bytes)) or value is None:
        return repr(value)
    if isinstance(value, (list, tuple, np.ndarray)) and np.asarray(value, dtype=object).dtype == object and all(
            isinstance(b, (bool, np.bool_)) for b in np.ravel(np.asarray(value, dtype=object))):
        return str([bool(b) for b in np.ravel(np.asarray(value, dtype=object))])   # booleans as True/False
    try:
        a = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        text = repr(value)
        return text if len(text) <= 80 else text[:77] + "..."
    if a.ndim == 0:
        return f"{float(a):.{digits}g}"
    with np.printoptions(precision=digits, threshold=8, edgeitems=3, floatmode="maxprec"):
        text = np.array2string(a, separator=", ")
    return (text if len(text) <= 160 else text[:157] + "...") + ("" if isinstance(value, np.ndarray) else
                                                                 f" ({type(value).__name__})")


_NOTHING = object()


def fail(part, case, expected=_NOTHING, got=_NOTHING, hint=""):
    """Raise the failure "<part> failed <case>: expected ..., got .... <hint>".

    ``part`` is the part of the contract (``"the value of gd_step"``), ``case`` the kind of case
    (``"on an array input"``, ``"when warmup_steps = 0"``); expected and got are optional.
    """
    message = f"{part} failed {case}".strip()
    if expected is not _NOTHING:
        message += f": expected {expected if isinstance(expected, str) else show(expected)}"
        if got is not _NOTHING:
            message += f", got {got if isinstance(got, str) else show(got)}"
    elif got is not _NOTHING:
        message += f": got {got if isinstance(got, str) else show(got)}"
    message += "."
    if hint:
        message += " " + hint.strip()
    raise AssertionError(message)


def numbers(got, part, case, shape=None):
    """The learner's answer as a float array (``shape``: the shape it must have), or a failure."""
    if isinstance(got, (str, bytes, dict, set)) or got is None or callable(got):
        fail(part, case, "a number" if shape in (None, ()) else "an array of numbers", got,
             "Return numbers (a float or a numpy array), not " + type(got).__name__ + ".")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            a = np.asarray(got, dtype=float)
    except (TypeError, ValueError):
        fail(part, case, "a number or an array of numbers", got)
    if shape is not None and a.shape != tuple(shape):
        want = "a single number" if tuple(shape) == () else f"an array of shape {tuple(shape)}"
        fail(part, case, want, f"shape {a.shape}" if a.ndim else show(got),
             "A number in gives a number out; an array in gives an array of the same shape out."
             if tuple(shape) != () or a.ndim else "")
    return a


def close(got, expected, part, case, hint="", rtol=RTOL, atol=ATOL):
    """Fail unless the learner's ``got`` equals ``expected`` within the stated tolerance
    (same shape; inf and nan must match exactly)."""
    e = np.asarray(expected, dtype=float)
    a = numbers(got, part, case, e.shape)
    with np.errstate(all="ignore"):
        ok = np.allclose(a, e, rtol=rtol, atol=atol, equal_nan=True)
    if not ok:
        fail(part, case, e, a, hint)
    return a


def _copy(value):
    if isinstance(value, np.ndarray):
        return value.copy()
    if isinstance(value, list):
        return copy.deepcopy(value)
    return value


def _same(before, after):
    if isinstance(before, np.ndarray):
        return isinstance(after, np.ndarray) and before.shape == after.shape and np.array_equal(
            before, after, equal_nan=True)
    if isinstance(before, list):
        try:
            return before == after or np.array_equal(np.asarray(before), np.asarray(after), equal_nan=True)
        except Exception:  # noqa: BLE001 - lists that numpy cannot read
            return before == after
    return True


_AMBIGUOUS = "truth value of an array"


def run_answer(function, *args, name=None, case="", may_modify=False):
    """Call a learner's function on ``args`` (the case is described by ``case``).

    Turns every way it can go wrong into a failure that says what happened: not written yet, a
    wrong signature, an exception (an ``if`` on an array gets its own explanation), and a change
    of an array or list argument in place (unless ``may_modify``), checked before the answer is.
    """
    name = name or getattr(function, "__name__", "your function")
    if not callable(function):
        fail(name, case, "a function", type(function).__name__)
    try:
        params = list(inspect.signature(function).parameters)
        inspect.signature(function).bind(*args)
    except TypeError as e:
        raise AssertionError(f"{name} cannot be called with {len(args)} argument(s): {e}") from None
    except ValueError:  # some built-ins have no signature
        params = []
    before = [_copy(a) for a in args]
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with np.errstate(all="ignore"):
                result = function(*args)
    except NotImplementedError:
        raise AssertionError(f"{name} is not written yet: replace `raise NotImplementedError()` "
                             "with your code") from None
    except AssertionError:
        raise
    except Exception as e:  # noqa: BLE001 - any error of the learner's code becomes a hint
        text = str(e).splitlines()[0] if str(e) else ""
        hint = ""
        if _AMBIGUOUS in text:
            text = text.split(". Use a.any()")[0]
            hint = (" Your code uses an `if` (or `and`, `or`, `max`, `min`, `bool`) on an array: that has no single "
                    "truth value. Work elementwise with numpy (np.where, np.maximum, np.minimum, comparisons).")
        elif isinstance(e, ZeroDivisionError):
            hint = " Check which case divides by zero: the prompt says what to return there."
        raise AssertionError(f"{name} raised {type(e).__name__} {case}: {text}.{hint}".replace(" :", ":")) from None
    if not may_modify:
        for i, (b, a) in enumerate(zip(before, args)):
            if not _same(b, a):
                arg = params[i] if i < len(params) else f"argument {i + 1}"
                raise AssertionError(
                    f"{name} modified its input {arg} in place {case}. The prompt asks you not to modify {arg}: "
                    f"compute a new value (y = {arg} - ...) instead of updating it ({arg} -= ..., {arg}[...] = ...)."
                    .replace("  ", " "))
    return result


def kinds(value):
    """The same input as a Python number (or list) and as a numpy array: {description: value}."""
    a = np.asarray(value, dtype=float)
    if a.ndim == 0:
        return {"on a Python float": float(a), "on a numpy float": np.float64(a)}
    return {"on a list input": a.tolist(), "on a numpy array input": a.copy()}


@contextlib.contextmanager
def forbid(*dotted_names, within=None):
    """Inside the block, the library functions a prompt forbids raise an AssertionError that says so.

    ``dotted_names`` such as ``"lrcourse.schedules.cosine"``. Besides the module attribute, any
    name bound to the same object in ``__main__`` (the notebook) or in ``within``'s globals (a
    learner's function) is replaced too, so ``from lrcourse.schedules import cosine`` is caught.
    Everything is restored on leaving the block.
    """
    spaces = [vars(sys.modules["__main__"])] if "__main__" in sys.modules else []
    if within is not None and isinstance(getattr(within, "__globals__", None), dict):
        spaces.append(within.__globals__)
    patches = []                                   # (namespace, key, original)
    for dotted in dotted_names:
        module_name, _, attr = v.text("dotted_names", dotted).rpartition(".")
        module = importlib.import_module(module_name)
        if not hasattr(module, attr):      # a name the library no longer has cannot be used either
            continue
        original = getattr(module, attr)
        stand_in = _forbidden(dotted)
        patches.append((vars(module), attr, original, stand_in))
        for space in spaces:
            for key, value in list(space.items()):
                if value is original and space is not vars(module):
                    patches.append((space, key, original, stand_in))
    try:
        for space, key, _, stand_in in patches:
            space[key] = stand_in
        yield
    finally:
        for space, key, original, _ in reversed(patches):
            space[key] = original


def _forbidden(dotted):
    def forbidden(*args, **kwargs):
        raise AssertionError(f"the prompt asks you not to use {dotted}: write it yourself with numpy "
                             "(use the library only to compare against, outside your answer).")
    return forbidden


def case_text(kind, detail, hidden):
    """How a failure names its case: the kind of case ("on an array input"), plus its literal inputs
    (``detail``) only in a visible check; a hidden test never prints its inputs."""
    return kind if is_hidden(hidden) or not detail else f"{kind} ({detail})"


def log_uniform(rng, low, high, size=None):
    """Numbers spread evenly in log scale between ``low`` and ``high``."""
    return np.exp(rng.uniform(np.log(low), np.log(high), size))
