"""Unit tests of the baseline selectors (fir.baselines): contract, errors, hand-written parts."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
import torch
from sklearn.base import clone
from sklearn.svm import SVC, SVR

from fir.baselines.base import order_from_scores, ranking_from_order
from fir.baselines.concrete import ConcreteSelector
from fir.baselines.deep import AvGradSelector, DFSSelector
from fir.baselines.kernel import BAHSICSelector, CCMSelector, hsic, project_capped_simplex
from fir.baselines.lassonet_wrapper import LassoNetSelector
from fir.baselines.lime_global import LimeSelector
from fir.baselines.models import make_mlp, make_svm
from fir.baselines.mrmr import (
    DiscreteColumns,
    MRMRSelector,
    miq_order,
    mutual_information,
)
from fir.baselines.san import SANAggregateSelector
from fir.baselines.sklearn_based import LassoSelector, RandomForestSelector, RFESelector
from fir.baselines.stg import STGSelector
from fir.baselines.wrappers import ForwardSelector
from tests.unit.test_baselines_peers import TINY as PEERS

CONVERGENCE = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

TINY = {
    "dfs": lambda s: DFSSelector(s, hidden=(8,), epochs=3, device="cpu", random_state=0),
    "avgrad": lambda s: AvGradSelector(s, hidden=(8,), epochs=3, device="cpu", random_state=0),
    "forward": lambda s: ForwardSelector(s, hidden=(4,), max_iter=5, random_state=0),
    "lasso": lambda s: LassoSelector(s, n_lambdas=3, cv=2, random_state=0),
    "random_forest": lambda s: RandomForestSelector(
        s, n_estimators_grid=(5,), max_depth_grid=(3,), cv=2, n_repeats=2, random_state=0
    ),
    "rfe": lambda s: RFESelector(s),
    "bahsic": lambda s: BAHSICSelector(s, device="cpu"),
    "mrmr": lambda s: MRMRSelector(s),
    "ccm": lambda s: CCMSelector(s, max_iter=3, device="cpu", random_state=0),
}


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(80, 6))
    y = (X[:, 0] + X[:, 1] > 0).astype(int)
    return X, y


@CONVERGENCE
@pytest.mark.parametrize("name", sorted(TINY))
def test_exactly_s_features_and_ranking(name, data):
    X, y = data
    sel = TINY[name](3).fit(X, y)
    assert sel.get_support().sum() == 3
    assert sorted(sel.ranking_) == list(range(1, 7))
    assert set(np.flatnonzero(sel.ranking_ <= 3)) == set(np.flatnonzero(sel.get_support()))
    assert sel.feature_importances_.shape == (6,)
    assert sel.transform(X).shape == (80, 3)


@pytest.mark.parametrize("name", sorted(TINY))
@pytest.mark.parametrize("s", [6, 9, 0])
def test_bad_s_names_method_and_fix(name, s, data):
    X, y = data
    with pytest.raises(ValueError, match=rf"{name}: n_features_to_select={s} .*1 <= s < 6"):
        TINY[name](s).fit(X, y)


def test_mrmr_rejects_regression_with_alternative(data):
    X, _ = data
    with pytest.raises(ValueError, match=r"mrmr: got a regression target.*method=ccm"):
        MRMRSelector(2).fit(X, X[:, 0] * 1.5)


def test_hsic_hand_computed():
    # K = I, L = y y^T with y = (1, 0, 0): H y = (2/3, -1/3, -1/3), tr(K H L H) = 6/9,
    # HSIC = (2/3) / (m - 1)^2 = 1/6.
    K = torch.eye(3, dtype=torch.float64)
    y = torch.tensor([1.0, 0.0, 0.0], dtype=torch.float64)
    assert hsic(K, torch.outer(y, y)) == pytest.approx(1 / 6)


def test_mutual_information_hand_computed():
    y = np.array([0, 0, 0, 0, 1, 1, 1, 1])
    x = np.array([0, 0, 0, 1, 1, 1, 1, 0])
    # joint (3/8, 1/8; 1/8, 3/8), marginals 1/2: MI = 3/4 ln 1.5 + 1/4 ln 0.5
    expected = 0.75 * math.log(1.5) + 0.25 * math.log(0.5)
    assert mutual_information(x, y) == pytest.approx(expected)
    assert mutual_information(y, y) == pytest.approx(math.log(2))


def test_mrmr_picks_relevant_then_non_redundant():
    # y has 4 classes, two bits; x0 is bit 1, x1 a copy of x0 (redundant), x2 is bit 2.
    rng = np.random.default_rng(1)
    y = rng.integers(0, 4, 400)
    x0, x2 = (y // 2).astype(float), (y % 2).astype(float)
    X = np.column_stack([x0, x0.copy(), x2, rng.normal(size=(400, 2))])
    sel = MRMRSelector(2, threshold=0.0).fit(X, y)
    assert sel.ranking_[0] == 1  # ties in relevance go to the lower index
    assert sel.ranking_[2] == 2  # MIQ: relevant and not redundant beats the copy x1
    assert np.isnan(sel.feature_importances_).all()


def test_vectorised_mrmr_equals_the_pairwise_definition():
    rng = np.random.default_rng(0)
    Xd = rng.integers(0, 3, (60, 25))
    Xd[:, 7] = Xd[:, 2]  # a duplicate: equal scores, the tie goes to the lower index
    Xd[:, 9] = 1  # a constant column: no information
    y = rng.choice([3, 8, 11], 60)  # labels need not be codes
    columns = DiscreteColumns(Xd)
    pairwise = [mutual_information(Xd[:, j], y) for j in range(25)]
    np.testing.assert_allclose(columns.mutual_information(y), pairwise, atol=1e-12)
    np.testing.assert_allclose(
        columns.mutual_information(Xd[:, 4]),
        [mutual_information(Xd[:, j], Xd[:, 4]) for j in range(25)],
        atol=1e-12,
    )
    assert abs(columns.mutual_information(y)[9]) < 1e-12

    # the greedy order, written out as the definition (one MI call per pair)
    relevance = np.array(pairwise)
    order, redundancy = [int(np.argmax(relevance))], np.zeros(25)
    while len(order) < 25:
        rest = [j for j in range(25) if j not in order]
        for j in rest:
            redundancy[j] += mutual_information(Xd[:, j], Xd[:, order[-1]])
        quotient = relevance[rest] / (redundancy[rest] / len(order) + 1e-12)
        order.append(rest[int(np.argmax(quotient))])
    assert miq_order(Xd, y) == order


def test_ccm_objective_decreases():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(120, 6))
    y = (X[:, 0] * X[:, 1] > 0).astype(int)
    sel = CCMSelector(2, max_iter=30, device="cpu", random_state=0).fit(X, y)
    hist = np.array(sel.objective_history_)
    assert len(hist) > 2
    assert (np.diff(hist) <= 1e-9).all()
    assert hist[-1] < hist[0]
    assert sel.weights_.sum() == pytest.approx(2.0, abs=1e-6)
    assert ((sel.weights_ >= 0) & (sel.weights_ <= 1)).all()


def test_capped_simplex_projection():
    w = project_capped_simplex(torch.tensor([3.0, 0.5, -1.0, 0.2], dtype=torch.float64), 2.0)
    assert float(w.sum()) == pytest.approx(2.0, abs=1e-6)
    assert float(w.min()) >= 0 and float(w.max()) <= 1
    assert float(w[0]) == pytest.approx(1.0)


def test_dfs_input_weights_shrink_to_zero_on_noise():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 6))
    y = (X[:, 0] + X[:, 1] > 0).astype(int)
    sel = DFSSelector(
        2, lambda_=0.5, hidden=(8,), epochs=40, patience=40, device="cpu", random_state=0
    ).fit(X, y)
    w = np.abs(sel.input_weights_)
    assert set(np.flatnonzero(sel.support_)) == {0, 1}
    assert w[2:].max() <= 1e-3 < 0.5 < w[:2].min()


def test_torch_selector_is_reproducible(data):
    X, y = data
    a = AvGradSelector(2, hidden=(8,), epochs=3, device="cpu", random_state=3).fit(X, y)
    b = AvGradSelector(2, hidden=(8,), epochs=3, device="cpu", random_state=3).fit(X, y)
    np.testing.assert_allclose(a.feature_importances_, b.feature_importances_)


def test_ties_are_broken_at_random_not_by_index():
    scores = np.zeros(10)
    firsts = {int(order_from_scores(scores, np.random.default_rng(k))[0]) for k in range(20)}
    assert len(firsts) > 1
    assert order_from_scores(np.array([0.1, np.nan, 0.3])).tolist() == [2, 0, 1]
    assert ranking_from_order([2, 0, 1], 3).tolist() == [2, 3, 1]


def test_models_follow_task():
    assert isinstance(make_svm("classification"), SVC)
    assert isinstance(make_svm("regression").regressor, SVR)
    assert make_svm("classification").gamma == "scale"
    assert make_mlp("regression", hidden=(5,)).regressor.hidden_layer_sizes == (5,)
    with pytest.raises(ValueError, match="make_svm: task='auto'.*task: \\?\\?\\?"):
        make_svm("auto")


@pytest.mark.parametrize(
    ("factory", "kwargs", "message"),
    [
        (
            make_mlp,
            {"hidden": "abc"},
            r"hidden='abc' is invalid for make_mlp: it must be a non-empty list",
        ),
        (make_mlp, {"hidden": [60, 0]}, r"hidden=\[60, 0\] is invalid for make_mlp"),
        (make_mlp, {"hidden": [2.5]}, r"hidden=\[2.5\] is invalid"),
        (
            make_mlp,
            {"activation": "gelu"},
            r"activation='gelu' is invalid for make_mlp: it must be one of",
        ),
        (make_mlp, {"learning_rate_init": 0}, r"learning_rate_init=0 is invalid"),
        (make_mlp, {"max_iter": "10"}, r"max_iter='10' is invalid"),
        (make_svm, {"C": -1}, r"C=-1 is invalid for make_svm: it must be a positive number"),
        (make_svm, {"gamma": "none"}, r"gamma='none' is invalid"),
    ],
)
def test_downstream_model_arguments_are_checked_when_built(factory, kwargs, message):
    """They failed inside the first fold's fit, after its selector had trained, in
    scikit-learn's words (a numpy ufunc error for hidden='abc')."""
    with pytest.raises(ValueError, match=message):
        factory("classification", **kwargs)
    assert factory("classification") is not None


ACCEPTS_VALIDATION = ["dfs", "avgrad", "forward", "random_forest"]


@CONVERGENCE
@pytest.mark.filterwarnings("ignore::sklearn.exceptions.DataConversionWarning")
@pytest.mark.parametrize("name", ACCEPTS_VALIDATION)
def test_validation_data_both_or_neither_and_one_label_per_row(name, data):
    """Without y_val a regression net early-stopped on NaN losses and kept its untrained
    weights; a column-vector y_val must work as a column-vector y does."""
    X, y = data
    for given in ({"X_val": X[:20]}, {"y_val": y[:20]}):
        with pytest.raises(ValueError, match=rf"{name}: fit received .* pass both or neither"):
            TINY[name](2).fit(X[20:], y[20:], **given)
    with pytest.raises(ValueError, match="inconsistent numbers of samples"):
        TINY[name](2).fit(X[20:], y[20:], X_val=X[:20], y_val=y[:10])
    column = TINY[name](2).fit(X[20:], y[20:], X_val=X[:20], y_val=y[:20, None])
    flat = TINY[name](2).fit(X[20:], y[20:], X_val=X[:20], y_val=y[:20])
    np.testing.assert_array_equal(column.ranking_, flat.ranking_)


def test_dfs_lambda_parameter_is_not_fitted_state():
    """``lambda_`` ends in an underscore, which scikit-learn reads as fitted state."""
    from sklearn.exceptions import NotFittedError
    from sklearn.utils.validation import check_is_fitted

    with pytest.raises(NotFittedError):
        check_is_fitted(DFSSelector(2))


@CONVERGENCE
def test_forward_selection_breaks_ties_at_random():
    """Single-feature MLPs often tie (all predict the majority class); the first column must
    not win every tie, or the synthetic data's relevant X0 is favoured by its index."""
    X = np.zeros((60, 6))  # every candidate scores the same
    y = np.arange(60) % 2
    firsts = {
        int(
            np.argmin(
                ForwardSelector(1, hidden=(2,), max_iter=2, random_state=r).fit(X, y).ranking_
            )
        )
        for r in range(8)
    }
    assert len(firsts) > 1


def test_regression_baselines_do_not_depend_on_the_target_s_units():
    """A target in the thousands (a price, a count) must not swamp the baselines' fixed
    learning rates, SVR margins and LassoNet paths: they fit on the standardised target and
    predict in its units, so y * 1000 + 5000 gives the same selections and 1000x predictions."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 8))
    y = 2 * X[:, 0] + np.sin(2 * X[:, 1]) + X[:, 2] ** 2 + 0.1 * rng.normal(size=200)
    big = y * 1000 + 5000
    kw = {"n_features_to_select": 3, "task": "regression"}
    for make in (
        lambda: RFESelector(**kw),
        lambda: DFSSelector(**kw, epochs=20, random_state=0),
        lambda: STGSelector(**kw, epochs=20, random_state=0),
        lambda: AvGradSelector(**kw, epochs=20, random_state=0),
        lambda: ConcreteSelector(**kw, epochs=20, patience=20, random_state=0),
        lambda: SANAggregateSelector(**kw, epochs=5, random_state=0),
        lambda: LimeSelector(**kw, epochs=5, n_samples=30, n_instances=5, random_state=0),
        lambda: LassoNetSelector(
            **kw,
            hidden=(4,),
            lambda_start=1.0,
            path_multiplier=2.0,
            n_iters=(5, 3),
            patience=(2, 2),
            random_state=0,
        ),
    ):
        small_fit, big_fit = make().fit(X, y), make().fit(X, big)
        assert np.array_equal(small_fit.get_support(), big_fit.get_support()), make()
    dfs_small, dfs_big = (DFSSelector(**kw, epochs=20, random_state=0).fit(X, t) for t in (y, big))
    np.testing.assert_allclose(dfs_big.predict(X[:5]), dfs_small.predict(X[:5]) * 1000 + 5000,
                               rtol=1e-4)  # fmt: skip
    for model in (make_svm("regression"), make_mlp("regression", random_state=0)):
        r2_small = clone(model).fit(X[:150], y[:150]).score(X[150:], y[150:])
        r2_big = clone(model).fit(X[:150], big[:150]).score(X[150:], big[150:])
        assert r2_big == pytest.approx(r2_small, abs=1e-6) and r2_small > 0.5


def test_random_forest_finds_the_features_of_a_target_of_any_scale():
    """A tree stops splitting where the target's variance is below about 1e-16: on a target of
    scale 1e-9 the forest grew no tree, every importance was 0 and the selection was drawn at
    random. It fits on the standardised target and predicts in the target's units."""
    rng = np.random.default_rng(1)
    X = rng.normal(size=(200, 6))
    y = 2 * X[:, 0] + np.sin(3 * X[:, 1])
    for scale in (1e-9, 1.0, 1e9):
        forest = RandomForestSelector(
            2, task="regression", n_estimators_grid=(30,), max_depth_grid=(6,), random_state=0
        ).fit(X[:150], y[:150] * scale, X[150:], y[150:] * scale)
        assert np.flatnonzero(forest.get_support()).tolist() == [0, 1], scale
        assert forest.feature_importances_[0] > 1.0  # R^2 lost when X0 is permuted
        assert forest.score(X[150:], y[150:] * scale) > 0.8
        pred = forest.predict(X[:3]) / scale
        np.testing.assert_allclose(pred, forest.estimator_.predict(X[:3]) * forest.target_std_
                                   / scale + forest.target_mean_ / scale)  # fmt: skip


def test_random_forest_refuses_values_its_trees_cannot_hold(data):
    X, y = data
    with pytest.raises(ValueError, match=r"random_forest: X holds values up to 1e\+40, beyond "
                       r"float32's range.*rescale the features"):  # fmt: skip
        RandomForestSelector(2, n_estimators_grid=(5,), max_depth_grid=(2,)).fit(X * 0 + 1e40, y)


def test_too_few_rows_for_the_inner_folds_names_cv(data):
    """scikit-learn's message named its own n_splits, not the selector's cv."""
    X, _ = data
    cases = ((LassoSelector, 5, [0, 0, 0, 1, 1], 3), (RandomForestSelector, 3, [0, 0, 1, 1], 2))
    for make, cv, y, largest in cases:
        with pytest.raises(ValueError, match=rf"{make.method_name}: cv={cv} stratified inner "
                           rf"folds need {cv} rows of some class; the largest class has "
                           rf"{largest}\. Lower cv"):  # fmt: skip
            make(2, cv=cv).fit(X[: len(y)], np.array(y))
    with pytest.raises(ValueError, match=r"lasso: cv=5 inner folds need at least 5 rows; got 3"):
        LassoSelector(2, task="regression").fit(X[:3], X[:3, 0])


BAD_VALUES = {  # a value that breaks each rule
    "epochs": 0, "max_iter": -1, "n_lambdas": 0, "n_repeats": 0, "n_heads": 0,
    "n_instances": 0, "n_samples": 0, "chunk": 0, "cv": 1, "batch_size": 0, "max_samples": 1,
    "hidden": [0], "step": 0, "patience": 0, "n_iters": [5], "n_estimators_grid": [],
    "max_depth_grid": [0], "lr": -1, "C": 0, "M": -1, "sigma": 0, "epsilon": 0, "tol": 0,
    "threshold": -1, "start_temperature": 0, "end_temperature": 0, "path_multiplier": 1.0,
    "lambda_": -0.1, "lambda2": -1, "lam": -1, "alpha1": -1, "alpha2": float("nan"),
    "validation_fraction": 1.0, "fraction": 0, "dropout": 1.0, "random_state": "0",
}  # fmt: skip


def test_every_baseline_checks_its_arguments_before_the_data(data):
    """Each argument with a rule: a bad value is an error naming the key, the value and the
    default, raised by check_params (no data needed) and by fit; the default passes."""
    import fir.baselines
    from fir.baselines.params import RULES

    checked = set()
    for cls in (getattr(fir.baselines, name) for name in fir.baselines.__all__):
        defaults = cls().get_params()
        for name in set(defaults) & set(RULES):
            with pytest.raises(ValueError, match=rf"^{name}=.* is invalid for {cls.__name__}"):
                cls(2).set_params(**{name: BAD_VALUES[name]}).check_params()
            with pytest.raises(ValueError, match=rf"^{name}="):
                cls(2).set_params(**{name: BAD_VALUES[name]}).fit(*data)
            cls(2).set_params(**{name: defaults[name]}).check_params()
            checked.add(name)
    assert checked == set(RULES)  # every rule is exercised by some baseline


@pytest.mark.parametrize(
    "make, name, value",
    [
        (DFSSelector, "hidden", 8),  # its MLP needs a list
        (DFSSelector, "patience", [5, 2]),  # only LassoNet's patience is a pair
        (DFSSelector, "batch_size", None),  # only LassoNet's may be null (full batch)
        (SANAggregateSelector, "hidden", [4]),  # SAN's one dense layer: an int
        (ConcreteSelector, "end_temperature", 20.0),  # above start_temperature (10)
    ],
)
def test_an_argument_is_checked_in_the_form_its_own_class_takes(make, name, value):
    with pytest.raises(ValueError, match=rf"^{name}=.* is invalid for {make.__name__}"):
        make(2).set_params(**{name: value}).check_params()


def test_lassonet_takes_a_patience_pair_and_a_full_batch():
    LassoNetSelector(2, patience=[5, 2], batch_size=None).check_params()
    with pytest.raises(ValueError, match=r"^patience=5 is invalid for LassoNetSelector"):
        LassoNetSelector(2, patience=5).check_params()


def test_a_single_class_or_a_single_feature_is_refused_with_the_reason(data):
    X, y = data
    with pytest.raises(ValueError, match=r"dfs: y holds only 1 class"):
        DFSSelector(2, epochs=2).fit(X, np.zeros(len(X), dtype=int))
    with pytest.raises(ValueError, match=r"rfe: the data have n_features = 1; .* needs d >= 2"):
        RFESelector(1).fit(X[:, :1], y)


@CONVERGENCE
def test_forward_selection_runs_on_very_few_rows():
    """Its MLP's early-stopping hold-out (10 % of the training rows) would be empty or miss a
    class on 10 rows; it trains without early stopping there instead of failing."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(10, 4))
    for y in (np.array([0, 1] * 5), rng.normal(size=10)):
        assert ForwardSelector(2, max_iter=5, random_state=0).fit(X, y).get_support().sum() == 2


BAD_LABELS = {  # 80 labels, one missing or of another type in row 78
    "None": (["a", "b"] * 39 + [None, "a"], r"y has 1 missing values .*, the first at row 78;"),
    "pd.NA": (["a", "b"] * 39 + ["<NA>", "a"], r"y has 1 missing values .*, the first at row 78;"),
    "mixed": ([0, "b"] * 40, r"y mixes labels of types that cannot be ordered \(int 0, str 'b'\)"),
}


@pytest.mark.parametrize("label", sorted(BAD_LABELS))
@pytest.mark.parametrize("name", sorted({**TINY, **PEERS}))
def test_missing_or_mixed_labels_are_an_error_naming_the_row_or_types(name, label, data):
    """numpy cannot sort None, pd.NA or strings among numbers: these were a bare TypeError."""
    import pandas as pd

    X, _ = data
    values, message = BAD_LABELS[label]
    y = np.array(values, dtype=object)
    if label == "pd.NA":
        y = pd.Series(values, dtype="string").replace("<NA>", pd.NA)
    with pytest.raises(ValueError, match=rf"^{name}: {message}"):
        {**TINY, **PEERS}[name](2).fit(X, y)


@CONVERGENCE
@pytest.mark.parametrize("name", sorted({**TINY, **PEERS}))
def test_without_s_half_is_selected_and_global_rng_is_left_alone(name, data):
    """None means half the features, as for DualNetSelector and scikit-learn's RFE (it was the
    default and an error); the fit draws only from random_state, as DualNetSelector does."""
    X, y = data
    torch_state = torch.get_rng_state()
    numpy_state = np.random.get_state()[1].copy()  # noqa: NPY002 (the global state is the point)
    sel = {**TINY, **PEERS}[name](None).fit(X, y)
    assert sel.get_support().sum() == 3
    assert torch.equal(torch.get_rng_state(), torch_state)
    np.testing.assert_array_equal(np.random.get_state()[1], numpy_state)  # noqa: NPY002


@CONVERGENCE
@pytest.mark.parametrize("name", sorted({**TINY, **PEERS}))
def test_a_failed_fit_leaves_the_estimator_as_it_was(name, data):
    """Was: new feature names beside the old selection, so get_feature_names_out named the
    wrong columns and transform refused the data the selection was made on."""
    import pandas as pd

    X, y = data
    first = pd.DataFrame(X, columns=[f"a{i}" for i in range(6)])
    other = pd.DataFrame(X[:, :4], columns=[f"b{i}" for i in range(4)])
    make = {**TINY, **PEERS}[name]
    fresh = make(3)
    with pytest.raises(ValueError, match="only 1 class"):
        fresh.fit(first, np.zeros(len(y), dtype=int))
    assert vars(fresh) == vars(make(3))  # still unfitted

    sel = make(3).fit(first, y)
    state, names = dict(vars(sel)), sel.get_feature_names_out().tolist()
    with pytest.raises(ValueError, match="only 1 class"):
        sel.fit(other, np.zeros(len(y), dtype=int))
    assert vars(sel).keys() == state.keys()
    assert all(vars(sel)[k] is v for k, v in state.items())
    assert sel.get_feature_names_out().tolist() == names
    assert sel.transform(first).shape == (80, 3)


def test_baselines_warn_like_the_dual_net_when_discrete_y_looks_like_a_count(data):
    X, _ = data
    counts = np.arange(80) % 40  # 40 distinct integers in 80 rows
    with pytest.warns(UserWarning, match=r"40 classes in 80 samples.*task='regression'") as rec:
        MRMRSelector(2).fit(X, counts)
    assert rec[0].filename == __file__  # points at the caller's line
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        MRMRSelector(2, task="classification").fit(X, counts)


@pytest.mark.parametrize("name", ["dfs", "lassonet"])
def test_an_unseen_validation_label_names_y_val(name, data):
    X, y = data
    make = {**TINY, **PEERS}[name]
    with pytest.raises(ValueError, match=rf"{name}: y_val has labels not seen .*\[7\]"):
        make(2).fit(X[20:], y[20:], X_val=X[:20], y_val=np.where(np.arange(20) == 3, 7, y[:20]))


def test_lasso_says_when_its_selection_is_drawn_among_zero_coefficients():
    from fir.data.synthetic import xor_sample

    X, y = xor_sample(200, np.random.default_rng(0))  # no linear effect at all
    with pytest.warns(UserWarning, match=r"lasso: only 0 of 10 .* drawn at random") as rec:
        LassoSelector(5, n_lambdas=3, cv=2, random_state=0).fit(X, y)
    assert rec[0].filename == __file__
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a linear effect: enough non-zero coefficients
        LassoSelector(1, n_lambdas=3, cv=2, random_state=0).fit(X, (X[:, 0] > 0).astype(int))
