"""The three synthetic problems of the paper (from the CCM paper, section 4.1).

Each fold of the protocol draws its own independent training, validation and test sets from a
fold-specific seed; the loaders return all folds' rows stacked, with the folds as predefined
splits, so the evaluation code treats them like any other dataset.
"""

from __future__ import annotations

from collections.abc import Callable
from numbers import Integral

import numpy as np

from fir.data.base import Dataset, Split
from fir.repro import derive_seed

Generator = Callable[[int, np.random.Generator], tuple[np.ndarray, np.ndarray]]


XOR_CORNERS = np.array(
    [
        [1, 1, 1],
        [-1, -1, -1],
        [1, 1, -1],
        [-1, -1, 1],
        [1, -1, -1],
        [-1, 1, 1],
        [-1, 1, -1],
        [1, -1, 1],
    ],
    dtype=float,
)  # consecutive pairs {v, -v} form the 4 classes, grouped by (v0 v2, v1 v2)


def xor_sample(n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """4-way XOR (CCM section 4.1): each class is a pair of opposite corners {v, -v} of
    {-1,+1}^3; x = corner + N(0, I) on X0..X2 and 7 standard normal noise features.

    As in the CCM and reference generators, the 8 corners get equal shares of the ``n`` rows
    (then shuffled), and the noise has unit variance: that is the data whose Bayes optimum is
    about 0.600. (Reading "N(v, 0.5 I)" as a covariance of 0.5 would give an optimum of 0.78.)
    """
    X = rng.normal(size=(n, 10))
    corner = np.repeat(np.arange(8), np.diff(np.linspace(0, n, 9).astype(int)))  # (n,)
    X[:, :3] += XOR_CORNERS[corner]
    order = rng.permutation(n)
    return X[order], (corner // 2)[order]


def regression_sample(n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Y = -2 sin(2 X0) + max(X1, 0) + X2 + exp(-X3) + eps, X ~ N(0, I10), eps ~ N(0, 1)."""
    X = rng.normal(size=(n, 10))
    y = -2 * np.sin(2 * X[:, 0]) + np.maximum(X[:, 1], 0) + X[:, 2] + np.exp(-X[:, 3])
    return X, y + rng.normal(size=n)


def binary_sample(n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """ "Orange skin": Y = -1 for X ~ N(0, I10); Y = +1 where X0..X3 are standard normal
    conditioned on 9 <= sum X_i^2 <= 16, X4..X9 ~ N(0, I6). Half the rows of each class."""
    y = np.where(np.arange(n) < n // 2, -1, 1)
    X = rng.normal(size=(n, 10))
    pos = np.flatnonzero(y == 1)
    while pos.size:  # rejection sampling of the shell, vectorised over the rows still to fill
        cand = rng.normal(size=(pos.size, 4))
        r2 = (cand**2).sum(axis=1)
        ok = (r2 >= 9) & (r2 <= 16)
        X[pos[ok], :4] = cand[ok]
        pos = pos[~ok]
    order = rng.permutation(n)
    return X[order], y[order]


def _make(
    name: str,
    sample: Generator,
    task: str,
    informative: list[int],
    n_train: int,
    n_val: int,
    n_test: int,
    n_folds: int,
    seed: int,
) -> Dataset:
    for key, value in {
        "n_train": n_train,
        "n_val": n_val,
        "n_test": n_test,
        "n_folds": n_folds,
    }.items():
        if isinstance(value, bool) or not isinstance(value, Integral) or value < 1:
            raise ValueError(f"dataset.{key} must be a positive integer; got {value!r}.")
    per_fold = n_train + n_val + n_test
    blocks = [
        sample(per_fold, np.random.default_rng(derive_seed(seed, 1, k))) for k in range(n_folds)
    ]
    X = np.vstack([b[0] for b in blocks])
    y = np.concatenate([b[1] for b in blocks])
    splits = []
    for k in range(n_folds):
        base = k * per_fold
        splits.append(
            Split(
                train=np.arange(base, base + n_train),
                val=np.arange(base + n_train, base + n_train + n_val),
                test=np.arange(base + n_train + n_val, base + per_fold),
            )
        )
    return Dataset(
        name=name,
        X=X,
        y=y,
        task=task,
        feature_names=[f"X{i}" for i in range(X.shape[1])],
        informative=informative,
        splits=splits,
        provenance={"generator": f"fir.data.synthetic.{sample.__name__}", "seed": seed},
    )


def load_xor(n_train=512, n_val=256, n_test=1024, n_folds=5, seed=0) -> Dataset:
    """4-way XOR, d = 10, relevant X0..X2 (independent draws per fold)."""
    return _make(
        "xor", xor_sample, "classification", [0, 1, 2], n_train, n_val, n_test, n_folds, seed
    )


def load_regression(n_train=512, n_val=256, n_test=1024, n_folds=5, seed=0) -> Dataset:
    """Nonlinear regression, d = 10, relevant X0..X3 (independent draws per fold)."""
    return _make(
        "regression",
        regression_sample,
        "regression",
        [0, 1, 2, 3],
        n_train,
        n_val,
        n_test,
        n_folds,
        seed,
    )


def load_binary(n_train=512, n_val=256, n_test=1024, n_folds=5, seed=0) -> Dataset:
    """Binary "orange skin" classification, d = 10, relevant X0..X3 (independent draws per fold)."""
    return _make(
        "binary",
        binary_sample,
        "classification",
        [0, 1, 2, 3],
        n_train,
        n_val,
        n_test,
        n_folds,
        seed,
    )
