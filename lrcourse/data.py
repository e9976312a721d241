"""Small real datasets that work offline, and the few helpers a training loop needs.

Two datasets ship inside the package (``lrcourse/data/*.npz``, provenance and licences in
``lrcourse/data/SOURCES.md``):

* :func:`load_digits`: 1797 handwritten digits, 8x8 pixels with values 0..16, 10 classes
  (UCI "Optical Recognition of Handwritten Digits", Alpaydin & Kaynak 1998, CC BY 4.0);
* :func:`load_breast_cancer`: 569 breast masses, 30 real features, 2 classes
  (UCI "Breast Cancer Wisconsin (Diagnostic)", Street, Wolberg & Mangasarian 1993, CC BY 4.0).

Typical use::

    ds = load_digits()
    X_train, X_val, y_train, y_val = train_val_split(ds.X, ds.y, val_fraction=0.2, seed=0)
    X_train, X_val = standardize(X_train, X_val)     # statistics of the training set only
"""
from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from . import _validate as v

__all__ = [
    "Dataset",
    "load_digits",
    "load_breast_cancer",
    "train_val_split",
    "standardize",
    "sample_batch",
    "minibatches",
]

DATA_DIR = Path(__file__).resolve().parent / "data"


@dataclass(frozen=True, eq=False)
class Dataset:
    """A dataset: ``X`` (n, d) float64 features, ``y`` (n,) int64 class labels 0..C-1.

    ``feature_names`` (d strings) and ``target_names`` (C strings, the meaning of each label)
    describe the columns; ``description`` says what the data are and where they come from.
    Every call of a ``load_*`` function returns fresh arrays: changing them is safe.
    """

    X: np.ndarray
    y: np.ndarray
    feature_names: tuple
    target_names: tuple
    description: str

    @property
    def n_samples(self) -> int:
        return self.X.shape[0]

    @property
    def n_features(self) -> int:
        return self.X.shape[1]

    @property
    def n_classes(self) -> int:
        return len(self.target_names)

    def __repr__(self):
        name = self.description.split("\n", 1)[0]
        return (f"Dataset({name!r}: X {self.X.shape[0]} x {self.X.shape[1]}, "
                f"{self.n_classes} classes)")


_DIGITS_TEXT = """\
Optical recognition of handwritten digits (UCI, 8x8 version)
1797 images of handwritten digits 0-9 written by 13 people, 10 classes of about 180 each.
Each 32x32 bitmap was divided into 4x4 blocks and the ink pixels counted in each block, so
X[i] holds 64 integers 0..16 (row by row: X[i].reshape(8, 8) is the image).
Source: E. Alpaydin and C. Kaynak (1998), UCI Machine Learning Repository,
https://doi.org/10.24432/C50P49 (the 'optdigits.tes' file). Licence: CC BY 4.0."""

_CANCER_TEXT = """\
Breast cancer Wisconsin (diagnostic)
569 fine-needle aspirates of breast masses: 212 malignant (y=0), 357 benign (y=1).
30 features: mean, standard error and worst value of ten measurements of the cell nuclei
(radius, texture, perimeter, area, ...). The columns have very different scales (area is in
the thousands, smoothness about 0.1): standardize them before gradient descent.
Source: W. N. Street, W. H. Wolberg and O. L. Mangasarian (1993), UCI Machine Learning
Repository, https://doi.org/10.24432/C5DW2B. Licence: CC BY 4.0."""


@functools.lru_cache(maxsize=None)
def _read(name):
    """Arrays of ``data/<name>.npz`` (read once per process, then kept read-only)."""
    with np.load(DATA_DIR / f"{name}.npz", allow_pickle=False) as f:
        arrays = {key: f[key] for key in f.files}
    for a in arrays.values():
        a.flags.writeable = False
    return arrays


def load_digits() -> Dataset:
    """The 8x8 handwritten digits: X (1797, 64) float64 pixel counts 0..16, y (1797,) 0..9."""
    a = _read("digits")
    return Dataset(
        X=a["pixels"].astype(np.float64),
        y=a["labels"].astype(np.int64),
        feature_names=tuple(str(s) for s in a["feature_names"]),
        target_names=tuple(str(s) for s in a["target_names"]),
        description=_DIGITS_TEXT,
    )


def load_breast_cancer() -> Dataset:
    """Breast cancer diagnosis: X (569, 30) float64, y (569,) with 0 = malignant, 1 = benign."""
    a = _read("breast_cancer")
    return Dataset(
        X=a["data"].astype(np.float64),
        y=a["target"].astype(np.int64),
        feature_names=tuple(str(s) for s in a["feature_names"]),
        target_names=tuple(str(s) for s in a["target_names"]),
        description=_CANCER_TEXT,
    )


# ---------------------------------------------------------------- argument checks for data
def _rng(name, rng):
    return v.generator(name, rng)


def as_features(name, X, n_features=None):
    """``X`` as a float64 (n, d) array with n >= 1 rows of finite numbers."""
    arr = v.array(name, X, finite=False)
    if arr.ndim != 2 or arr.shape[0] == 0 or arr.shape[1] == 0:
        raise ValueError(f"{name} must be a non-empty 2-D array (n_samples, n_features), got shape {arr.shape}")
    if n_features is not None and arr.shape[1] != n_features:
        raise ValueError(f"{name} must have {n_features} columns (features), got shape {arr.shape}")
    return _finite(name, arr)


def as_targets(name, y, n):
    """``y`` as a float64 (n,) array of finite numbers (regression targets; booleans count as 0/1)."""
    arr = v.array(name, y, finite=False, allow_bool=True)
    if arr.shape != (n,):
        raise ValueError(f"{name} must have shape ({n},) to match X, got shape {arr.shape}")
    return _finite(name, arr)


def _finite(name, arr):
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must contain finite numbers only, got NaN or inf")
    return arr


def as_labels(name, y, n, n_classes=None):
    """``y`` as an int64 (n,) array of class labels 0, 1, ..., n_classes - 1."""
    arr = as_targets(name, y, n)
    if np.any(arr != np.round(arr)) or np.any(arr < 0):
        raise ValueError(f"{name} must hold class labels 0, 1, 2, ... (whole numbers >= 0)")
    labels = arr.astype(np.int64)
    if n_classes is not None and labels.max() >= n_classes:
        raise ValueError(
            f"{name} must hold labels in 0..{n_classes - 1} ({n_classes} classes), got {labels.max()}"
        )
    return labels


# ---------------------------------------------------------------- splitting and scaling
def _stratified_counts(counts, n_val):
    """How many of each class go to validation: proportional, rounded to sum to n_val."""
    quota = counts * (n_val / counts.sum())
    take = np.floor(quota).astype(int)
    order = np.argsort(-(quota - take), kind="stable")  # largest remainders first
    take[order[: n_val - take.sum()]] += 1
    return take


def train_val_split(X, y, val_fraction=0.2, seed=0, stratify=None):
    """Split rows of (X, y) at random into a training and a validation part.

    ``ceil(val_fraction * n)`` rows go to validation. ``stratify`` (default: when ``y`` holds
    integer labels) keeps each class's share the same in both parts. The split depends only
    on ``seed``. Returns ``X_train, X_val, y_train, y_val`` (rows in shuffled order).
    """
    X = as_features("X", X)
    n = X.shape[0]
    as_targets("y", y, n)
    y_arr = np.asarray(y)
    val_fraction = v.number("val_fraction", val_fraction, 0, 1, low_open=True, high_open=True)
    seed = v.integer("seed", seed, 0)
    if stratify is None:
        stratify = y_arr.dtype.kind in "iub"
    stratify = v.flag("stratify", stratify)
    n_val = math.ceil(val_fraction * n - 1e-9)
    if not 1 <= n_val <= n - 1:
        raise ValueError(
            f"val_fraction must leave at least one row in each part, got {val_fraction!r} of {n} rows"
        )
    rng = np.random.default_rng(seed)
    if stratify:
        labels = as_labels("y", y_arr, n)
        classes, counts = np.unique(labels, return_counts=True)
        take = _stratified_counts(counts, n_val)
        val, train = [], []
        for c, k in zip(classes, take):
            rows = rng.permutation(np.flatnonzero(labels == c))
            val.append(rows[:k])
            train.append(rows[k:])
        val, train = np.concatenate(val), np.concatenate(train)
    else:
        rows = rng.permutation(n)
        val, train = rows[:n_val], rows[n_val:]
    train, val = rng.permutation(train), rng.permutation(val)
    return X[train], X[val], y_arr[train], y_arr[val]


def standardize(X_train, *X_other):
    """Shift and scale every column to mean 0 and standard deviation 1 *on the training set*.

    The same shift and scale (learnt from ``X_train`` only, so no information leaks from
    validation data) are applied to each array in ``X_other``. Constant columns are only
    shifted. Returns the scaled ``X_train`` alone, or a tuple ``(X_train, *X_other)``.
    """
    X_train = as_features("X_train", X_train)
    d = X_train.shape[1]
    others = [as_features(f"X_other[{i}]", X, d) for i, X in enumerate(X_other)]
    mean = X_train.mean(axis=0)
    std = X_train.std(axis=0)
    std[std == 0] = 1.0
    scaled = [(X - mean) / std for X in [X_train, *others]]
    return scaled[0] if not others else tuple(scaled)


# ---------------------------------------------------------------- minibatches
def sample_batch(n, batch_size, rng):
    """Indices of one minibatch: ``batch_size`` distinct rows out of ``n``, drawn by ``rng``."""
    n = v.integer("n", n, 1)
    batch_size = v.integer("batch_size", batch_size, 1, n)
    _rng("rng", rng)
    return rng.choice(n, size=batch_size, replace=False)


def minibatches(n, batch_size, rng, drop_last=False):
    """One epoch: a list of index arrays of ``batch_size`` rows covering all ``n`` rows once.

    The rows are shuffled by ``rng``; the last batch is smaller when ``batch_size`` does not
    divide ``n`` (left out with ``drop_last=True``, as in PyTorch's DataLoader).
    """
    n = v.integer("n", n, 1)
    batch_size = v.integer("batch_size", batch_size, 1, n)
    _rng("rng", rng)
    drop_last = v.flag("drop_last", drop_last)
    order = rng.permutation(n)
    stop = n - n % batch_size if drop_last else n
    return [order[start : start + batch_size] for start in range(0, stop, batch_size)]
