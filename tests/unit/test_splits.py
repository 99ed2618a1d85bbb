"""The protocol's folds: every fold can be fitted, stopped early and scored, or a clear error
before training."""

import numpy as np
import pytest

from fir.data.base import Dataset
from fir.evaluation import make_splits


def dataset(y, task="classification", classes=None) -> Dataset:
    y = np.asarray(y)
    X = np.random.default_rng(0).normal(size=(len(y), 3))
    provenance = {"classes": classes} if classes else {}
    return Dataset("t", X, y, task, ["a", "b", "c"], provenance=provenance)


def test_a_rare_class_names_its_label_and_the_fix():
    # 12 classes of 2 rows: the stratified folds leave some classes out of a training part
    y = np.repeat(np.arange(12), 2)
    names = [f"type{k}" for k in range(12)]
    with pytest.raises(ValueError, match=r"training part has no rows of class 'type\d+' \(2 rows"
                       r".*n_splits=2.*drop or merge the rare classes"):  # fmt: skip
        make_splits(dataset(y, classes=names), 2, 0.2, seed=0)


def test_too_few_rows_is_a_clear_error():
    with pytest.raises(ValueError, match=r"fold 0 gets 1 training, 1 validation and 2 test rows"):
        make_splits(dataset([0, 0, 1, 1]), 2, 0.2, seed=0)
    with pytest.raises(ValueError, match=r"too few to fit and score.*n_splits=2"):
        make_splits(dataset([0.1, 0.5, 0.3, 0.9], task="regression"), 2, 0.2, seed=0)


def test_enough_rows_pass():
    splits = make_splits(dataset(np.repeat(np.arange(3), 10)), 2, 0.2, seed=0)
    for split in splits:
        assert set(np.unique(np.repeat(np.arange(3), 10)[split.train])) == {0, 1, 2}


def test_the_fix_suggests_fewer_folds_only_when_there_are_more_than_two():
    y = np.repeat(np.arange(12), 2)
    with pytest.raises(ValueError, match=r"Use more data, or drop") as two:
        make_splits(dataset(y), 2, 0.2, seed=0)
    assert "fewer folds" not in str(two.value)
    with pytest.raises(ValueError, match=r"Use fewer folds \(e.g. n_splits=2\), or more data"):
        make_splits(dataset([0.1, 0.5, 0.3, 0.9], task="regression"), 3, 0.2, seed=0)


def test_a_dataset_that_draws_its_own_folds_is_told_to_draw_more_rows():
    from fir.data.synthetic import load_xor

    with pytest.raises(ValueError, match=r"draws its own folds.*dataset.n_train; this fold has 3 "
                       r"training"):  # fmt: skip
        make_splits(load_xor(n_folds=2, seed=0, n_train=3), 2, 0.2, seed=0)


def test_more_folds_than_rows_or_than_the_largest_class_names_n_splits():
    """These used to be scikit-learn's own errors, which never name n_splits' fix."""
    y = [0] * 7 + [1] * 5
    with pytest.raises(ValueError, match=r"n_splits=8 exceeds the 7 rows of the largest class of "
                       r"dataset 't'.*use n_splits=5 or fewer"):  # fmt: skip
        make_splits(dataset(y), 8, 0.2, seed=0)
    with pytest.raises(ValueError, match=r"n_splits=13 is more than the 12 rows of dataset 't'"):
        make_splits(dataset(np.linspace(0, 1, 12), task="regression"), 13, 0.2, seed=0)
