"""DualNetSelector: the scikit-learn contract, errors, determinism."""

import numpy as np
import pytest
import torch
from sklearn.base import clone
from sklearn.model_selection import cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.svm import SVC

from fir import DualNetSelector
from tests.conftest import TINY_DUALNET

TINY = TINY_DUALNET


def tiny(**kw) -> DualNetSelector:
    return DualNetSelector(**{**TINY, "random_state": 0, **kw})


@pytest.fixture(scope="module")
def blobs():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(120, 6))
    y = (X[:, 0] + X[:, 1] > 0).astype(int)
    return X, y


def test_selects_exactly_s_and_scores_every_feature(blobs):
    X, y = blobs
    sel = tiny(n_features_to_select=3).fit(X, y)
    assert sel.get_support().sum() == 3
    assert sel.transform(X).shape == (120, 3)
    assert sel.feature_importances_.shape == (6,)
    assert np.isfinite(sel.feature_importances_).all()
    assert sorted(sel.ranking_) == list(range(1, 7))
    assert set(np.flatnonzero(sel.ranking_ <= 3)) == set(np.flatnonzero(sel.support_))
    selected_imp = sel.feature_importances_[sel.support_]
    ranks = sel.ranking_[sel.support_]
    assert list(selected_imp[np.argsort(ranks)]) == sorted(selected_imp, reverse=True)


def test_same_seed_same_support_and_importances(blobs):
    X, y = blobs
    a, b = tiny(n_features_to_select=2).fit(X, y), tiny(n_features_to_select=2).fit(X, y)
    assert np.array_equal(a.support_, b.support_)
    assert np.array_equal(a.feature_importances_, b.feature_importances_)
    c = tiny(n_features_to_select=2, random_state=1).fit(X, y)
    assert not np.array_equal(a.feature_importances_, c.feature_importances_)


def test_predict_proba_score_and_history(blobs):
    X, y = blobs
    sel = tiny(n_features_to_select=2).fit(X, y)
    assert set(sel.predict(X)) <= {0, 1}
    proba = sel.predict_proba(X)
    assert proba.shape == (120, 2) and np.allclose(proba.sum(1), 1)
    assert 0 <= sel.score(X, y) <= 1
    h = sel.history_
    assert h.operator_loss.shape == (h.n_batches,)
    assert np.isnan(h.mopt_loss[: h.phase2_start]).all()
    assert np.isfinite(h.mopt_loss[h.phase2_start :]).all()
    assert len(h.selector_loss) == -(-h.n_batches // 8)
    assert len(h.val_batch) == len(h.val_mopt_loss) >= 1


def test_multiclass_labels_and_explicit_validation_set():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(150, 5))
    y = np.array(["a", "b", "c"])[np.argmax(X[:, :3], axis=1)]
    sel = tiny(n_features_to_select=3).fit(X[:100], y[:100], X_val=X[100:], y_val=y[100:])
    assert set(sel.predict(X)) <= {"a", "b", "c"}
    assert sel.predict_proba(X).shape == (150, 3)


def test_regression_and_val_masks_all(blobs):
    X, _ = blobs
    y = X[:, 0] * 2.0 + 0.1
    sel = tiny(n_features_to_select=2, val_masks="all").fit(X, y)
    assert sel.task_ == "regression"
    assert sel.predict(X).dtype == np.float64
    assert np.isfinite(sel.history_.val_loss).all()
    with pytest.raises(AttributeError, match="classification"):
        sel.predict_proba(X)


def test_internal_holdout_standardises_the_target_on_the_training_part(blobs, monkeypatch):
    # The held-out rows judge early stopping, so their targets must not enter the scaling.
    X, _ = blobs
    y = X[:, 0] * 2.0 + 0.1
    held = {}
    holdout = DualNetSelector._holdout

    def spy(self, *args):
        held["split"] = holdout(self, *args)
        return held["split"]

    monkeypatch.setattr(DualNetSelector, "_holdout", spy)
    sel = tiny(n_features_to_select=2).fit(X, y)
    y_train = held["split"][2]
    assert len(y_train) < len(y)
    assert sel.target_.shift == pytest.approx(y_train.mean())
    assert sel.target_.scale == pytest.approx(y_train.std())
    assert sel.target_.shift != pytest.approx(y.mean())


def test_gathered_training_matches_dense_training():
    rng = np.random.default_rng(2)
    X = rng.normal(size=(100, 24))
    y = (X[:, 0] > 0).astype(int)
    dense = tiny(n_features_to_select=3, gather=False).fit(X, y)
    gather = tiny(n_features_to_select=3, gather=True).fit(X, y)
    assert np.array_equal(dense.support_, gather.support_)
    assert np.allclose(dense.feature_importances_, gather.feature_importances_, atol=1e-4)


def test_sklearn_composition(blobs):
    X, y = blobs
    pipe = make_pipeline(tiny(n_features_to_select=2), SVC())
    scores = cross_val_score(pipe, X, y, cv=2)
    assert scores.shape == (2,)
    assert clone(tiny(n_features_to_select=2)).get_params()["n_features_to_select"] == 2


@pytest.mark.parametrize(
    ("params", "X_fix", "match"),
    [
        ({"n_features_to_select": 6}, None, r"1 <= s < n_features = 6; got s=6"),
        ({"n_features_to_select": 0}, None, r"got s=0"),
        ({"n_features_to_select": 2.5}, None, r"must be an integer"),
        ({"n_features_to_select": 2, "mask_batch_size": 2}, None, r"mask_batch_size=2"),
        ({"n_features_to_select": 2, "exploit_fraction": 1.0}, None, r"exploit_fraction"),
        ({"n_features_to_select": 2, "selector_loss": "huber"}, None, r"selector_loss='huber'"),
        ({"n_features_to_select": 2, "operator_optimizer": "rmsprop"}, None, r"rmsprop"),
        (
            {"n_features_to_select": 2, "operator_activation": "swish"},
            None,
            r"operator_activation='swish' is not supported",
        ),
        (
            {"n_features_to_select": 2, "lazy_first_layer": "maybe"},
            None,
            r"lazy_first_layer='maybe' is not supported; use true or false",
        ),
        ({"n_features_to_select": 2, "operator": "rnn"}, None, r"operator='rnn'"),
        ({"n_features_to_select": 2}, "nan", r"NaN"),
        ({"n_features_to_select": 2, "operator_lr": -1}, None, r"operator_lr=-1 is invalid"),
        ({"n_features_to_select": 2, "selector_lr": 1e38}, None, r"selector_lr=1e\+38 is inv"),
        ({"n_features_to_select": 2, "selector_optimizer": "adamw"}, None, r"selector_optim"),
        (  # weights that blow up to inf - inf = NaN: stop, naming the key, not a silent fit
            {
                "n_features_to_select": 2,
                "operator_activation": "relu",
                "operator_lr": 1000,
                "operator_optimizer": "sgd",
            },
            "scale",
            r"training diverged.*operator_lr=1000",
        ),
    ],
)
def test_bad_input_is_a_clear_error(blobs, params, X_fix, match):
    X, y = blobs
    if X_fix == "nan":
        X = X.copy()
        X[3, 2] = np.nan
    elif X_fix == "scale":
        X = X * 1e3
    with pytest.raises((ValueError, TypeError), match=match):
        tiny(**params).fit(X, y)


def test_single_class_is_an_error(blobs):
    X, _ = blobs
    with pytest.raises(ValueError, match="at least 2"):
        tiny(n_features_to_select=2).fit(X, np.zeros(len(X), dtype=int))


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the no-CUDA error")
def test_cuda_without_cuda_is_a_clear_error(blobs):
    X, y = blobs
    with pytest.raises(ValueError, match="CUDA is not available.*device=auto or device=cpu"):
        tiny(n_features_to_select=2, device="cuda").fit(X, y)


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.DataConversionWarning")
def test_validation_targets_as_a_column_and_y_val_alone(blobs):
    """A column-vector y_val failed only when Phase II began; y_val without X_val was ignored."""
    X, y = blobs
    n = len(X) // 2
    column = tiny(n_features_to_select=2).fit(X[:n], y[:n], X[n:], y[n:, None])
    flat = tiny(n_features_to_select=2).fit(X[:n], y[:n], X[n:], y[n:])
    np.testing.assert_array_equal(column.feature_importances_, flat.feature_importances_)
    assert flat.mask_losses(X, y[:, None], np.eye(X.shape[1])[:2]).shape == (2,)
    with pytest.raises(ValueError, match="y_val without X_val"):
        tiny(n_features_to_select=2).fit(X, y, y_val=y)
