"""DualNetSelector: the scikit-learn contract, errors, determinism."""

import pickle
import warnings

import numpy as np
import pytest
import torch
from sklearn.base import clone, is_classifier, is_regressor
from sklearn.exceptions import NotFittedError
from sklearn.model_selection import StratifiedKFold, check_cv, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.svm import SVC

import fir.selector
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
    assert not hasattr(sel, "predict_proba")  # duck typing sees a regressor
    with pytest.raises(AttributeError, match="predict_proba"):
        sel.predict_proba(X)
    assert not hasattr(tiny(task="regression"), "predict_proba")
    assert hasattr(tiny(), "predict_proba")  # task='auto' is a classifier until fitted


def test_a_holdout_or_target_that_cannot_be_used_is_an_error_naming_its_argument(blobs):
    """They used to fail in train_test_split ('test_size=0.99 ... the resulting train set will
    be empty') or train on a target of inf (then predict -inf) without a word."""
    X, _ = blobs
    y = X[:, 0] * 2.0
    with pytest.raises(ValueError, match=r"validation_fraction=0\.99 of 120 rows holds out 119 "
                       r"for validation and leaves 1 for training \(at least 2"):  # fmt: skip
        tiny(validation_fraction=0.99).fit(X, y)
    with pytest.raises(ValueError, match=r"y's values \(up to .*e\+160\) are too large to "
                       r"standardise in float64; rescale y"):  # fmt: skip
        tiny(task="regression").fit(X, y * 1e160)
    with pytest.raises(ValueError, match=r"y holds values \(up to .*e\+40\) beyond float32's "
                       r"range.*standardize_target=True"):  # fmt: skip
        tiny(task="regression", standardize_target=False).fit(X, y * 1e40)
    assert np.isfinite(tiny(task="regression").fit(X, y * 1e30).predict(X[:3])).all()


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
        ({"n_features_to_select": 6}, None, r"below n_features = 6; got s=6.*smaller s, in 1..5"),
        ({"n_features_to_select": 0}, None, r"at least 1; got s=0.*Choose s in 1..5"),
        ({"n_features_to_select": -1}, None, r"at least 1; got s=-1"),
        ({"selector_loss": "l1"}, None, r"selector_loss='l1' is not supported"),
        ({"device": "gpu"}, None, r"device='gpu' is not supported"),
        ({"device": None}, None, r"device=None is not supported"),
        ({"operator_hidden": (0,)}, None, r"operator_hidden must be a list of positive integ"),
        ({"selector_hidden": (0,)}, None, r"selector_hidden must be a list of positive integ"),
        ({"operator_hidden": (2.5,)}, None, r"operator_hidden .*got \(2.5,\)"),
        ({"operator_hidden": (-1,)}, None, r"operator_hidden"),
        ({"operator_hidden": 16}, None, r"operator_hidden .*got 16"),
        ({"conv_kernels": "5"}, None, r"conv_kernels"),
        ({"image_shape": (32,)}, None, r"image_shape must be None or \[height, width\]"),
        ({"validation_fraction": "0.2"}, None, r"validation_fraction must be a number"),
        ({"validation_fraction": None}, None, r"validation_fraction .*got None"),
        ({"selector_weights": 10}, None, r"selector_weights must be three non-negative"),
        ({"selector_weights": (1, 2, "a")}, None, r"selector_weights .*got \(1, 2, 'a'\)"),
        ({"selector_weights": (-10, -5, -1)}, None, r"selector_weights"),
        ({"selector_weights": (0, 0, 0)}, None, r"not all zero"),
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


def test_params_are_checked_before_the_data(blobs):
    # fir-run calls check_params before loading a dataset: the same errors, without data;
    # fit checks them first too (bad parameters and bad data: the parameter is named)
    X, y = blobs
    X = X.copy()
    X[0, 0] = np.nan
    for params in (
        {"selector_loss": "l1"},
        {"operator_hidden": (0,)},
        {"device": "gpu"},
        {"random_state": "0"},  # was numpy's "SeedSequence expects int ... not 0" inside fit
    ):
        with pytest.raises(ValueError, match=next(iter(params))):
            tiny(**params).check_params()
        with pytest.raises(ValueError, match=next(iter(params))):
            tiny(**params).fit(X, y)


def test_one_feature_is_a_clear_error():
    X = np.arange(20.0)[:, None]
    with pytest.raises(ValueError, match="n_features = 1; .*at least 2 features"):
        tiny().fit(X, np.arange(20) % 2)


def test_a_failed_fit_leaves_the_estimator_as_it_was(blobs):
    X, y = blobs
    fresh = tiny(n_features_to_select=10)
    with pytest.raises(ValueError, match="s=10"):
        fresh.fit(X, y)
    assert not [k for k in vars(fresh) if k.endswith("_")]
    with pytest.raises(NotFittedError):
        fresh.predict(X)
    with pytest.raises(NotFittedError):
        fresh.score(X, y)

    fitted = tiny(n_features_to_select=2).fit(X, y)
    before = fitted.predict_proba(X)
    with pytest.raises(ValueError, match="s=5"):
        fitted.set_params(n_features_to_select=5).fit(X[:, :4], y)
    assert fitted.n_features_in_ == 6 and fitted.support_.shape == (6,)
    np.testing.assert_array_equal(fitted.predict_proba(X), before)


def test_task_errors_and_the_many_classes_warning(blobs):
    X, y = blobs
    continuous = X[:, 0] * 2.0
    with pytest.raises(ValueError, match="task='classification' needs class labels.*continuous"):
        tiny(n_features_to_select=2, task="classification").fit(X, continuous)
    with pytest.raises(ValueError, match="task='regression' needs a numeric y.*'b'"):
        tiny(n_features_to_select=2, task="regression").fit(X, np.array(["a", "b"])[y])
    counts = np.round(continuous * 10)  # a numeric target with integral values
    with pytest.warns(UserWarning, match=r"classification with \d+ classes in 120 samples.*"
                      "task='regression'"):  # fmt: skip
        assert tiny(n_features_to_select=2).fit(X, counts).task_ == "classification"
    assert tiny(n_features_to_select=2, task="regression").fit(X, counts).task_ == "regression"
    labels = np.array([f"c{k}" for k in range(30)])[np.arange(120) % 30]  # many string labels
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no advice to use task='regression' for strings
        assert tiny(n_features_to_select=2).fit(X, labels).task_ == "classification"


def test_scikit_learn_sees_a_classifier_unless_task_is_regression(blobs):
    X, y = blobs
    assert is_classifier(tiny()) and is_classifier(tiny(task="classification"))
    assert is_regressor(tiny(task="regression")) and not is_classifier(tiny(task="regression"))
    # so cross_val_score stratifies class labels (a sorted y no longer gives one-class folds)
    assert isinstance(check_cv(3, y, classifier=is_classifier(tiny())), StratifiedKFold)
    order = np.argsort(y, kind="stable")
    scores = cross_val_score(tiny(n_features_to_select=2), X[order], y[order], cv=2)
    assert scores.shape == (2,)


def test_probabilities_sum_to_one_and_score_takes_sample_weight():
    rng = np.random.default_rng(3)
    X = rng.normal(size=(90, 5))
    for y in ((X[:, 0] > 0).astype(int), np.argmax(X[:, :3], axis=1)):
        sel = tiny(n_features_to_select=3).fit(X, y)
        proba = sel.predict_proba(X)
        assert proba.dtype == np.float64
        np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=0, atol=1e-12)
        w = rng.uniform(size=len(y))
        correct = sel.predict(X) == y
        assert sel.score(X, y, sample_weight=w) == pytest.approx((w * correct).sum() / w.sum())


def test_gather_np_true_is_true(monkeypatch):
    rng = np.random.default_rng(2)
    X = rng.normal(size=(60, 10))  # 4 s > d: 'auto' would not gather
    y = (X[:, 0] > 0).astype(int)
    gathered = []
    train = fir.selector.train_dual_net

    def spy(*args):
        gathered.append(args[-2].gather)  # the TrainConfig
        return train(*args)

    monkeypatch.setattr(fir.selector, "train_dual_net", spy)
    for gather in (np.True_, True, "auto", np.False_):
        tiny(n_features_to_select=3, gather=gather).fit(X, y)
    assert gathered == [True, True, False, False]
    with pytest.raises(ValueError, match="gather=True needs operator='mlp'"):
        tiny(gather=np.True_, operator="cnn", image_shape=(4, 6)).check_params()


def test_a_gpu_pickle_loads_on_a_cpu_machine(blobs, monkeypatch):
    # The nets are pickled on the CPU; loading one fitted on a GPU where there is none falls
    # back to the CPU with a warning (tests/integration/test_gpu.py checks a real GPU fit).
    X, y = blobs
    sel = tiny(n_features_to_select=2).fit(X, y)
    state = sel.__getstate__()
    state["device_"] = torch.device("cuda:0")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    loaded = DualNetSelector.__new__(DualNetSelector)
    with pytest.warns(UserWarning, match="fitted on cuda:0.*loaded on the CPU"):
        loaded.__setstate__(state)
    assert loaded.device_ == torch.device("cpu")
    np.testing.assert_array_equal(loaded.predict_proba(X), sel.predict_proba(X))
    roundtrip = pickle.loads(pickle.dumps(sel))
    np.testing.assert_array_equal(roundtrip.predict_proba(X), sel.predict_proba(X))


def test_single_class_is_an_error(blobs):
    X, _ = blobs
    with pytest.raises(ValueError, match="at least 2"):
        tiny(n_features_to_select=2).fit(X, np.zeros(len(X), dtype=int))


def test_missing_or_mixed_labels_are_an_error_naming_the_row_or_types(blobs):
    """numpy cannot sort None, pd.NA or strings among numbers: these were a bare TypeError."""
    import pandas as pd

    X, _ = blobs
    labels = np.array(["a", "b"] * 60, dtype=object)
    missing = labels.copy()
    missing[[7, 30]] = None
    with pytest.raises(ValueError, match=r"^dualnet: y has 2 missing .*first at row 7; drop"):
        tiny(n_features_to_select=2).fit(X, missing)
    text = pd.Series(labels.tolist(), dtype="string")  # pandas < 3 may share labels' memory
    text[3] = pd.NA
    with pytest.raises(ValueError, match=r"^dualnet: y has 1 missing .*first at row 3; drop"):
        tiny(n_features_to_select=2).fit(X, text)
    with pytest.raises(ValueError, match=r"^dualnet: y mixes labels .*\(int 1, str 'a'\).*astype"):
        tiny(n_features_to_select=2).fit(X, np.where(np.arange(120) == 5, 1, labels))
    with pytest.raises(ValueError, match=r"^dualnet: y_val has 1 missing .*first at row 0;"):
        tiny(n_features_to_select=2).fit(X, labels, X_val=X[:10], y_val=missing[7:17])
    # Labels of one type, text included, fit as before.
    fitted = tiny(n_features_to_select=2).fit(X, pd.Series(labels, dtype="string"))
    assert fitted.classes_.tolist() == ["a", "b"]


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
