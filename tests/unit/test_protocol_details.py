"""The k-fold protocol's details (disjoint parts, seeds, fractions, fold checks, per-fold
scaling, the recorded best validation loss) and DualNetSelector's internal holdout."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

from fir import DualNetSelector
from fir.data.base import Dataset, Split
from fir.evaluation import HISTORY_ARRAYS, fold_arrays, make_splits, run_fold
from fir.reporting import folds_frame
from tests.conftest import TINY_DUALNET


def dataset(y, task="classification", X=None, **kw) -> Dataset:
    y = np.asarray(y)
    X = np.random.default_rng(0).normal(size=(len(y), 3)) if X is None else X
    return Dataset("t", X, y, task, ["a", "b", "c"], **kw)


@pytest.mark.parametrize("task", ["classification", "regression"])
def test_kfold_parts_are_disjoint_and_the_test_parts_partition_the_rows(task):
    """A test row that is also a training row would score the fold on data it was fitted on."""
    y = np.arange(50) % 2 if task == "classification" else np.linspace(0, 1, 50)
    splits = make_splits(dataset(y, task), 5, 0.2, seed=0)
    assert len(splits) == 5
    for split in splits:
        parts = [set(split.train.tolist()), set(split.val.tolist()), set(split.test.tolist())]
        assert not parts[0] & parts[1] and not parts[0] & parts[2] and not parts[1] & parts[2]
        assert parts[0] | parts[1] | parts[2] == set(range(50))
    tests = np.concatenate([split.test for split in splits])
    assert np.array_equal(np.sort(tests), np.arange(50))  # every row tested exactly once


def test_kfold_folds_follow_the_seed():
    """Ignoring the seed would give every seed of a sweep the same test folds."""
    data = dataset(np.arange(60) % 3)
    tests = {
        seed: [split.test.tolist() for split in make_splits(data, 5, 0.2, seed=seed)]
        for seed in (0, 1)
    }
    again = [split.test.tolist() for split in make_splits(data, 5, 0.2, seed=0)]
    assert again == tests[0]
    assert tests[0] != tests[1]


@pytest.mark.parametrize(("val_fraction", "n_val"), [(0.2, 16), (0.25, 20)])
def test_val_fraction_sets_the_validation_part_of_each_training_part(val_fraction, n_val):
    """An ignored val_fraction would early-stop on a validation part of another size."""
    splits = make_splits(dataset(np.arange(100) % 2), 5, val_fraction, seed=0)
    for split in splits:
        assert (len(split.train), len(split.val), len(split.test)) == (80 - n_val, n_val, 20)


@pytest.mark.filterwarnings("ignore:The least populated class in y:UserWarning")  # scikit-learn's
def test_a_class_rarer_than_the_fold_count_is_accepted_when_every_fold_can_learn_it():
    """Stratified k-fold needs one class with n_splits rows (the largest), not every class;
    checking the smallest would refuse data every fold can learn."""
    y = np.array([0] * 20 + [1] * 3)
    splits = make_splits(dataset(y), 5, 0.2, seed=0)
    assert len(splits) == 5
    for split in splits:
        assert set(y[split.train].tolist()) == {0, 1}
    with pytest.raises(ValueError, match=r"n_splits=21 exceeds the 20 rows of the largest class"):
        make_splits(dataset(y), 21, 0.2, seed=0)


@pytest.mark.parametrize("part", ["val", "test"])
def test_predefined_folds_with_a_class_missing_from_training_are_refused(part):
    """A class only in the validation part (or only in the test part) cannot be learnt: the
    fold must be refused before training, whichever part holds it."""
    y = np.array([0, 1] * 6 + [2])
    fine = Split(train=np.arange(8), val=np.array([8, 9]), test=np.array([10, 11]))
    rows = {"val": np.array([8, 12]), "test": np.array([10, 12])}
    bad = Split(
        train=np.arange(8),
        val=rows["val"] if part == "val" else np.array([8, 9]),
        test=rows["test"] if part == "test" else np.array([10, 11]),
    )
    with pytest.raises(ValueError, match=r"fold 1's training part has no rows of class 2 "):
        make_splits(dataset(y, splits=[fine, bad]), 2, 0.2, seed=0)
    assert len(make_splits(dataset(y, splits=[fine, fine]), 2, 0.2, seed=0)) == 2


@pytest.fixture
def shifted():
    """40 rows whose validation and test rows lie far from the training rows."""
    rng = np.random.default_rng(1)
    X = rng.normal(loc=[5.0, -3.0, 10.0], scale=[2.0, 0.5, 4.0], size=(40, 3))
    X[24:] += [100.0, -50.0, 20.0]
    split = Split(train=np.arange(24), val=np.arange(24, 32), test=np.arange(32, 40))
    return X, split


def test_fold_arrays_standardise_every_part_with_the_training_statistics(shifted):
    """A scaler fit on all rows leaks the test rows into training; an unscaled test part is
    scored in other units than the model was fitted in."""
    X, split = shifted
    data = dataset(np.arange(40) % 2, X=X, standardize=True)
    X_tr, X_va, X_te = fold_arrays(data, split)
    mean, std = X[split.train].mean(axis=0), X[split.train].std(axis=0)
    np.testing.assert_allclose(X_tr.mean(axis=0), 0.0, atol=1e-12)
    np.testing.assert_allclose(X_tr.std(axis=0), 1.0)
    np.testing.assert_allclose(X_va, (X[split.val] - mean) / std)
    np.testing.assert_allclose(X_te, (X[split.test] - mean) / std)


def test_fold_arrays_without_standardize_are_the_rows_as_they_are(shifted):
    """standardize=false (e.g. pixels) must keep the user's values."""
    X, split = shifted
    data = dataset(np.arange(40) % 2, X=X, standardize=False)
    X_tr, X_va, X_te = fold_arrays(data, split)
    assert np.array_equal(X_tr, X[:24])
    assert np.array_equal(X_va, X[24:32])
    assert np.array_equal(X_te, X[32:])


class _Recorded:
    """A selector with a hand-made learning curve: validation losses 0.9, 0.3, 0.6 at batches
    8, 16, 24, with the weights of batch 16 restored."""

    def fit(self, X, y, X_val=None, y_val=None):
        self.history_ = SimpleNamespace(
            **{name: np.zeros(3) for name in HISTORY_ARRAYS},
            phase2_start=8,
            n_batches=24,
            best_batch=16,
            stopped_early=True,
        )
        self.history_.val_batch = np.array([8, 16, 24])
        self.history_.val_mopt_loss = np.array([0.9, 0.3, 0.6])
        return self

    def get_support(self):
        return np.array([True, False, False])

    def predict(self, X):
        return np.zeros(len(X), dtype=int)


def test_best_val_loss_is_the_validation_loss_of_the_restored_weights():
    """folds.csv's best_val_loss must be the loss at best_batch, not the last validation's."""
    y = np.arange(30) % 2
    data = dataset(y)
    split = Split(train=np.arange(20), val=np.arange(20, 25), test=np.arange(25, 30))
    result = run_fold(data, split, 0, _Recorded(), None)
    assert result.extra["best_batch"] == 16
    assert result.extra["best_val_loss"] == 0.3
    assert folds_frame([result], data)["best_val_loss"].tolist() == [0.3]


def tiny(**kw) -> DualNetSelector:
    return DualNetSelector(**{**TINY_DUALNET, "random_state": 0, **kw})


def test_default_s_is_half_the_features_rounded_down():
    """The docstring's 'half of the features' (as the baselines count it): 3 of 7, not 4."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(64, 7))
    sel = tiny(n_features_to_select=None).fit(X, (X[:, 0] > 0).astype(int))
    assert sel.get_support().sum() == 3
    assert sel.transform(X).shape == (64, 3)


class _Drawn(Exception):
    """Raised by the holdout spy: the split is all these tests need, not the training."""


@pytest.fixture
def holdout(monkeypatch):
    """The (X, X_val, y, y_val) of each fit's internal holdout; the fit stops there."""
    drawn = []
    original = DualNetSelector._holdout

    def spy(self, *args):
        drawn.append(original(self, *args))
        raise _Drawn

    monkeypatch.setattr(DualNetSelector, "_holdout", spy)

    def draw(X, y, **kw):
        with pytest.raises(_Drawn):
            tiny(n_features_to_select=2, **kw).fit(X, y)
        return drawn[-1]

    return draw


@pytest.fixture(scope="module")
def three_classes():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(100, 4))
    y = np.repeat([0, 1, 2], [70, 20, 10])
    return X, y


@pytest.mark.parametrize("seed", range(4))
def test_internal_holdout_is_stratified_by_class(holdout, three_classes, seed):
    """An unstratified holdout can leave a rare class out of the early-stopping rows."""
    X, y = three_classes
    _, _, y_fit, y_val = holdout(X, y, random_state=seed)
    assert np.bincount(y_val).tolist() == [14, 4, 2]
    assert np.bincount(y_fit).tolist() == [56, 16, 8]


def test_internal_holdout_follows_random_state(holdout, three_classes):
    """A holdout drawn the same way for every random_state would make seeds less independent
    than documented."""
    X, y = three_classes
    first = holdout(X, y, random_state=0)[1]
    again = holdout(X, y, random_state=0)[1]
    other = holdout(X, y, random_state=1)[1]
    assert np.array_equal(first, again)
    assert not np.array_equal(np.sort(first, axis=0), np.sort(other, axis=0))


@pytest.mark.parametrize(("fraction", "n_val"), [(0.2, 20), (0.3, 30)])
def test_internal_holdout_size_is_validation_fraction(holdout, three_classes, fraction, n_val):
    """An ignored validation_fraction would train on fewer (or more) rows than asked."""
    X, y = three_classes
    X_fit, X_val, y_fit, y_val = holdout(X, y, validation_fraction=fraction)
    assert (len(X_val), len(y_val), len(X_fit), len(y_fit)) == (n_val, n_val, 100 - n_val,
                                                                 100 - n_val)  # fmt: skip
