"""Tests of lrcourse.data: the shipped datasets, splitting, scaling and minibatches.

``make_npz`` below is the script that made ``lrcourse/data/*.npz`` from the copies of the
UCI files inside scikit-learn's wheel (see lrcourse/data/SOURCES.md). Re-run it with::

    python -c "import sys; sys.path.insert(0, 'tests'); import test_data; test_data.make_npz()"
"""
from __future__ import annotations

import gzip
import importlib.util
from pathlib import Path

import numpy as np
import pytest

from lrcourse import data
from lrcourse.data import (
    load_breast_cancer,
    load_digits,
    minibatches,
    sample_batch,
    standardize,
    train_val_split,
)

_MEASUREMENTS = ["radius", "texture", "perimeter", "area", "smoothness", "compactness",
                 "concavity", "concave points", "symmetry", "fractal dimension"]
CANCER_FEATURES = ([f"mean {m}" for m in _MEASUREMENTS] + [f"{m} error" for m in _MEASUREMENTS]
                   + [f"worst {m}" for m in _MEASUREMENTS])


def sklearn_data_dir():
    """Folder of scikit-learn's bundled data files, found without importing sklearn."""
    spec = importlib.util.find_spec("sklearn")
    if spec is None or spec.origin is None:
        return None
    folder = Path(spec.origin).parent / "datasets" / "data"
    return folder if (folder / "digits.csv.gz").exists() else None


def read_sources(src):
    """The two datasets as arrays, parsed from scikit-learn's copies of the UCI files."""
    with gzip.open(src / "digits.csv.gz", "rt") as f:
        digits = np.loadtxt(f, delimiter=",")
    cancer = np.loadtxt(src / "breast_cancer.csv", delimiter=",", skiprows=1)
    return {
        "digits": dict(
            pixels=digits[:, :64].astype(np.uint8),
            labels=digits[:, 64].astype(np.uint8),
            feature_names=np.array([f"pixel_{r}_{c}" for r in range(8) for c in range(8)]),
            target_names=np.array([str(k) for k in range(10)]),
        ),
        "breast_cancer": dict(
            data=cancer[:, :30],
            target=cancer[:, 30].astype(np.uint8),
            feature_names=np.array(CANCER_FEATURES),
            target_names=np.array(["malignant", "benign"]),
        ),
    }


def make_npz(src=None, out=data.DATA_DIR):
    """Write lrcourse/data/{digits,breast_cancer}.npz from scikit-learn's data folder."""
    src = Path(src) if src is not None else sklearn_data_dir()
    for name, arrays in read_sources(src).items():
        np.savez_compressed(Path(out) / f"{name}.npz", **arrays)


# ---------------------------------------------------------------- the datasets
def test_shipped_files_equal_their_source():
    src = sklearn_data_dir()
    if src is None:
        pytest.skip("scikit-learn (the source of the raw files) is not installed")
    for name, arrays in read_sources(src).items():
        with np.load(data.DATA_DIR / f"{name}.npz", allow_pickle=False) as f:
            assert sorted(f.files) == sorted(arrays)
            for key, a in arrays.items():
                assert f[key].dtype == a.dtype, key
                np.testing.assert_array_equal(f[key], a, err_msg=key)


def test_data_files_are_small_and_documented():
    files = list(data.DATA_DIR.glob("*.npz"))
    assert {f.name for f in files} == {"digits.npz", "breast_cancer.npz"}
    assert sum(f.stat().st_size for f in files) < 1_000_000
    sources = (data.DATA_DIR / "SOURCES.md").read_text()
    for word in ("CC BY 4.0", "10.24432/C50P49", "10.24432/C5DW2B", "make_npz"):
        assert word in sources


def test_digits():
    ds = load_digits()
    assert ds.X.shape == (1797, 64) and ds.X.dtype == np.float64
    assert ds.y.shape == (1797,) and ds.y.dtype == np.int64
    assert ds.X.min() == 0 and ds.X.max() == 16 and np.all(ds.X == np.round(ds.X))
    # class counts of the UCI test file optdigits.tes
    np.testing.assert_array_equal(np.bincount(ds.y), [178, 182, 177, 183, 181, 182, 181, 179, 174, 180])
    assert ds.n_samples == 1797 and ds.n_features == 64 and ds.n_classes == 10
    assert ds.feature_names[9] == "pixel_1_1" and ds.target_names[3] == "3"
    assert "CC BY 4.0" in ds.description
    # first image (a zero), row by row as in the UCI file
    np.testing.assert_array_equal(ds.X[0].reshape(8, 8)[1], [0, 0, 13, 15, 10, 15, 5, 0])
    assert ds.y[0] == 0


def test_breast_cancer():
    ds = load_breast_cancer()
    assert ds.X.shape == (569, 30) and ds.X.dtype == np.float64
    assert ds.y.dtype == np.int64
    np.testing.assert_array_equal(np.bincount(ds.y), [212, 357])
    assert ds.target_names == ("malignant", "benign")
    assert ds.feature_names[3] == "mean area" and ds.feature_names[-1] == "worst fractal dimension"
    assert ds.X[0, 0] == 17.99 and ds.X[0, 3] == 1001.0 and ds.y[0] == 0
    assert "Dataset('Breast cancer" in repr(ds)


def test_loads_return_fresh_arrays():
    a = load_digits()
    a.X[:] = -1
    b = load_digits()
    assert b.X.min() == 0 and b.X is not a.X
    with pytest.raises(AttributeError):
        b.X = None  # frozen


# ---------------------------------------------------------------- splitting
def test_split_sizes_stratified_and_deterministic():
    ds = load_digits()
    Xtr, Xva, ytr, yva = train_val_split(ds.X, ds.y, val_fraction=0.2, seed=0)
    assert Xtr.shape == (1437, 64) and Xva.shape == (360, 64)
    assert ytr.shape == (1437,) and yva.shape == (360,)
    # every row used exactly once, labels still with their rows
    both = np.vstack([np.c_[Xtr, ytr], np.c_[Xva, yva]])
    whole = np.c_[ds.X, ds.y]
    np.testing.assert_array_equal(both[np.lexsort(both.T)], whole[np.lexsort(whole.T)])
    # stratified: each class's validation share within rounding of 20 %
    counts = np.bincount(ds.y)
    assert np.all(np.abs(np.bincount(yva, minlength=10) - 0.2 * counts) < 1)
    # deterministic in seed, different for another seed
    again = train_val_split(ds.X, ds.y, val_fraction=0.2, seed=0)
    np.testing.assert_array_equal(again[0], Xtr)
    np.testing.assert_array_equal(again[3], yva)
    other = train_val_split(ds.X, ds.y, val_fraction=0.2, seed=1)
    assert not np.array_equal(other[3], yva)
    # training rows are shuffled, not sorted by class
    assert np.any(np.diff(ytr) < 0)


def test_split_regression_targets_not_stratified():
    X = np.arange(20.0).reshape(10, 2)
    y = np.linspace(0, 1, 10)
    Xtr, Xva, ytr, yva = train_val_split(X, y, val_fraction=0.3, seed=3)
    assert Xva.shape == (3, 2) and ytr.shape == (7,)
    np.testing.assert_allclose(Xtr[:, 0] / 18, ytr, rtol=1e-15)  # rows stay paired
    Xtr2, Xva2, *_ = train_val_split(X, y, val_fraction=0.3, seed=3, stratify=False)
    np.testing.assert_array_equal(Xva2, Xva)


def test_split_stratifies_small_classes_exactly():
    y = np.array([0] * 6 + [1] * 3 + [2] * 1)
    X = np.arange(10.0)[:, None]
    _, _, ytr, yva = train_val_split(X, y, val_fraction=0.25, seed=0)
    # ceil(2.5) = 3 of 10 in validation: quotas 1.8, 0.9, 0.3 -> 2, 1, 0 by largest remainder
    np.testing.assert_array_equal(np.bincount(yva, minlength=3), [2, 1, 0])
    np.testing.assert_array_equal(np.bincount(ytr, minlength=3), [4, 2, 1])


@pytest.mark.parametrize(
    "kwargs, error, words",
    [
        (dict(val_fraction=0.0), ValueError, "val_fraction must be in (0, 1), got 0.0"),
        (dict(val_fraction=1), ValueError, "val_fraction must be in (0, 1)"),
        (dict(val_fraction=float("nan")), ValueError, "val_fraction"),
        (dict(val_fraction="0.2"), TypeError, "val_fraction must be a real number"),
        (dict(val_fraction=0.95), ValueError, "at least one row"),
        (dict(seed=-1), ValueError, "seed must be an integer >= 0, got -1"),
        (dict(seed=1.5), TypeError, "seed must be an integer"),
        (dict(stratify="yes"), TypeError, "stratify must be True or False"),
        (dict(y=np.zeros(5)), ValueError, "y must have shape (10,) to match X, got shape (5,)"),
        (dict(X=np.zeros(10)), ValueError, "X must be a non-empty 2-D array"),
        (dict(X=np.full((10, 2), np.nan)), ValueError, "X must contain finite numbers"),
        (dict(y=np.r_[0.5, np.zeros(9)], stratify=True), ValueError, "y must hold class labels"),
    ],
)
def test_split_bad_inputs(kwargs, error, words):
    args = dict(X=np.zeros((10, 2)), y=np.arange(10) % 2)
    args.update(kwargs)
    with pytest.raises(error) as info:
        train_val_split(**args)
    assert words in str(info.value)


# ---------------------------------------------------------------- scaling
def test_standardize_uses_training_statistics_only():
    rng = np.random.default_rng(0)
    Xtr = rng.normal(3.0, 2.0, (50, 3))
    Xtr[:, 2] = 7.0  # constant column
    Xva = rng.normal(0.0, 1.0, (20, 3))
    Str, Sva = standardize(Xtr, Xva)
    np.testing.assert_allclose(Str[:, :2].mean(0), 0, atol=1e-12)
    np.testing.assert_allclose(Str[:, :2].std(0), 1, rtol=1e-12)
    np.testing.assert_array_equal(Str[:, 2], 0)
    m, s = Xtr.mean(0), Xtr.std(0)
    np.testing.assert_allclose(Sva[:, :2], (Xva[:, :2] - m[:2]) / s[:2], rtol=1e-12)
    np.testing.assert_allclose(Sva[:, 2], Xva[:, 2] - 7.0)
    alone = standardize(Xtr)
    assert isinstance(alone, np.ndarray)
    np.testing.assert_array_equal(alone, Str)
    with pytest.raises(ValueError, match=r"X_other\[1\] must have 3 columns"):
        standardize(Xtr, Xva, np.zeros((4, 2)))


# ---------------------------------------------------------------- minibatches
def test_minibatches_cover_an_epoch():
    rng = np.random.default_rng(0)
    batches = minibatches(10, 4, rng)
    assert [len(b) for b in batches] == [4, 4, 2]
    np.testing.assert_array_equal(np.sort(np.concatenate(batches)), np.arange(10))
    assert [len(b) for b in minibatches(10, 4, rng, drop_last=True)] == [4, 4]
    # the same seed gives the same epoch
    first = np.concatenate(minibatches(10, 3, np.random.default_rng(5)))
    np.testing.assert_array_equal(first, np.concatenate(minibatches(10, 3, np.random.default_rng(5))))


def test_sample_batch_distinct_rows():
    idx = sample_batch(100, 30, np.random.default_rng(1))
    assert idx.shape == (30,) and len(set(idx.tolist())) == 30
    assert idx.min() >= 0 and idx.max() < 100


@pytest.mark.parametrize(
    "call, error, words",
    [
        (lambda r: sample_batch(10, 11, r), ValueError, "batch_size must be an integer in [1, 10], got 11"),
        (lambda r: sample_batch(10, 0, r), ValueError, "batch_size must be an integer in [1, 10], got 0"),
        (lambda r: sample_batch(10, 2.0, r), TypeError, "batch_size must be an integer"),
        (lambda r: sample_batch(10, 2, 0), TypeError, "rng must be a numpy Generator"),
        (lambda r: minibatches(0, 1, r), ValueError, "n must be an integer >= 1, got 0"),
        (lambda r: minibatches(5, 2, r, drop_last=1), TypeError, "drop_last must be True or False"),
    ],
)
def test_minibatch_bad_inputs(call, error, words):
    with pytest.raises(error) as info:
        call(np.random.default_rng(0))
    assert words in str(info.value)
