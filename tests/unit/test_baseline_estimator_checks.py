"""scikit-learn's estimator checks on every baseline selector (tiny budgets, s = 1: most checks
fit data with 2 features, and a selector keeps at least one feature out)."""

import numpy as np
import pytest
from sklearn.base import is_classifier, is_regressor
from sklearn.exceptions import NotFittedError
from sklearn.metrics import accuracy_score, r2_score
from sklearn.model_selection import GridSearchCV
from sklearn.utils.estimator_checks import parametrize_with_checks

import fir.baselines
from tests.unit.test_baselines import TINY as OWN
from tests.unit.test_baselines_peers import TINY as PEERS

SELECTORS = {**OWN, **PEERS}
PREDICTING = ("random_forest", "dfs", "avgrad", "stg", "concrete", "san_aggr", "san_global", "lime")
EXPECTED_FAILURES = {
    "forward": {
        "check_transformer_n_iter": (
            "max_iter is the budget of each of the many MLPs forward selection trains, not an "
            "iteration count of the selector's own"
        ),
    },
    **{
        name: {
            "check_classifiers_regression_target": (
                "the baselines that predict are classifiers to scikit-learn unless "
                "task='regression', but task='auto' (the default) reads a continuous y as "
                "regression instead of rejecting it, as DualNetSelector does"
            ),
        }
        for name in PREDICTING
    },
}


def _expected(est):
    name = next(n for n, make in SELECTORS.items() if type(make(1)) is type(est))
    return EXPECTED_FAILURES.get(name, {})


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.filterwarnings("ignore:lasso. only:UserWarning")  # all-zero coefficients, 2 features
@parametrize_with_checks(
    [SELECTORS[name](1) for name in sorted(SELECTORS)], expected_failed_checks=_expected
)
def test_sklearn_compatible(estimator, check):
    check(estimator)


def test_every_public_baseline_is_checked():
    public = {getattr(fir.baselines, name) for name in fir.baselines.__all__}
    assert {type(make(1)) for make in SELECTORS.values()} == public
    assert len(public) == 15


@pytest.mark.parametrize("name", ["random_forest", "dfs", "stg"])
def test_baselines_that_predict_score_like_dual_net(name):
    """RandomForestSelector and the neural baselines predict but had no score: GridSearchCV
    without a scoring argument refused them ("the estimator passed should have a 'score'
    method")."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(80, 6))
    y = (X[:, 0] + X[:, 1] > 0).astype(int)
    sel = SELECTORS[name](2).fit(X, y)
    assert sel.score(X, y) == accuracy_score(y, sel.predict(X))
    t = X[:, 0] * X[:, 1] + X[:, 2]
    reg = SELECTORS[name](2).fit(X, t)
    assert reg.score(X, t) == pytest.approx(r2_score(t, reg.predict(X)))
    assert list(sel.classes_) == [0, 1]
    search = GridSearchCV(SELECTORS[name](2), {"n_features_to_select": [1, 2]}, cv=2)
    assert search.fit(X, y).best_params_["n_features_to_select"] in (1, 2)
    # classifiers to scikit-learn unless task="regression", as DualNetSelector: cv=int then
    # splits class labels with StratifiedKFold
    assert is_classifier(SELECTORS[name](2))
    assert is_regressor(SELECTORS[name](2).set_params(task="regression"))


@pytest.mark.parametrize("name", ["random_forest", "dfs"])
def test_score_of_an_unfitted_baseline_is_not_fitted_error(name):
    with pytest.raises(NotFittedError):
        SELECTORS[name](2).score(np.zeros((4, 6)), [0, 1, 0, 1])


@pytest.mark.parametrize("name", ["lasso", "rfe", "mrmr", "ccm"])
def test_baselines_without_a_model_of_their_own_have_no_score(name):
    assert not hasattr(SELECTORS[name](2), "score")
    assert not is_classifier(SELECTORS[name](2))


@pytest.mark.parametrize("name", sorted(SELECTORS))
def test_fit_without_y_is_refused_as_scikit_learn_refuses_it(name):
    """fit(X, None) (what Pipeline(...).fit(X) passes) used to split X's rows into "X" and "y"
    ("too many values to unpack") or reach check_array with y_numeric; each baseline now says
    it requires y."""
    X = np.random.default_rng(0).normal(size=(20, 4))
    with pytest.raises(ValueError, match="requires y to be passed"):
        SELECTORS[name](1).fit(X, None)
