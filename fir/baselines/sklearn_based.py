"""Baselines built on scikit-learn: LASSO, random forest and RFE (supplement A.2)."""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np
from sklearn.ensemble import RandomForestClassifier, RandomForestRegressor
from sklearn.feature_selection import RFE
from sklearn.inspection import permutation_importance
from sklearn.linear_model import LassoCV, LogisticRegressionCV
from sklearn.model_selection import GridSearchCV
from sklearn.svm import SVC, SVR
from sklearn.utils.validation import check_is_fitted, validate_data

from fir.baselines.base import (
    BaseSelector,
    check_inner_cv,
    check_s,
    order_from_scores,
    resolve_task,
    target_scale,
)
from fir.checks import check_validation, restores_on_failure, validate_xy


def _seed(random_state) -> int | None:
    if random_state is None:
        return None
    return int(np.random.default_rng(random_state).integers(2**31 - 1))


class LassoSelector(BaseSelector):
    """LASSO with its penalty chosen by inner cross-validation over a grid (paper's LASSO).

    Regression: :class:`sklearn.linear_model.LassoCV`. Classification: L1-penalised logistic
    regression, :class:`sklearn.linear_model.LogisticRegressionCV` (``l1_ratios=(1,)``, saga).
    Importance is ``|coef_j|`` (summed over classes); the ``s`` largest are selected, so with
    fewer than ``s`` non-zero coefficients the rest are drawn at random (from
    ``random_state``) among the zeros.

    Parameters
    ----------
    n_features_to_select : int or None, default=None
        ``s``; None selects half the features.
    task : {"auto", "classification", "regression"}, default="auto"
    n_lambdas : int, default=20
        Size of the penalty grid (log-spaced; LassoCV's path, or ``Cs`` for the logistic model).
    cv : int, default=5
        Inner folds of the grid search.
    max_iter : int, default=5000
    random_state : int or None

    Attributes
    ----------
    estimator_ : LassoCV or LogisticRegressionCV
    lambda_ : float
        The cross-validated penalty.
    n_iter_ : int
        Solver iterations: for classification the most over the penalty search's fits (equal to
        ``max_iter``: one stopped before converging); for regression the final fit's.
    """

    method_name = "lasso"

    def __init__(
        self,
        n_features_to_select: int | None = None,
        *,
        task: str = "auto",
        n_lambdas: int = 20,
        cv: int = 5,
        max_iter: int = 5000,
        random_state: int | None = None,
    ) -> None:
        self.n_features_to_select = n_features_to_select
        self.task = task
        self.n_lambdas = n_lambdas
        self.cv = cv
        self.max_iter = max_iter
        self.random_state = random_state

    @restores_on_failure
    def fit(self, X, y):
        """Grid-search the penalty, fit, and select the ``s`` largest ``|coef|``."""
        self.check_params()
        X, y = validate_xy(self, self.method_name, X, y, dtype=np.float64)
        s = check_s(self.method_name, self.n_features_to_select, X.shape[1])
        self.task_ = resolve_task(self.method_name, self.task, y)
        check_inner_cv(self.method_name, self.cv, y, self.task_)
        seed = _seed(self.random_state)
        if self.task_ == "regression":
            model = LassoCV(
                alphas=self.n_lambdas, cv=self.cv, max_iter=self.max_iter, random_state=seed
            ).fit(X, y)
            self.lambda_ = float(model.alpha_)
            coef = np.abs(model.coef_)
        else:
            model = LogisticRegressionCV(
                Cs=self.n_lambdas,
                l1_ratios=(1.0,),
                solver="saga",
                cv=self.cv,
                scoring="neg_log_loss",
                max_iter=self.max_iter,
                random_state=seed,
                use_legacy_attributes=False,
            ).fit(X, y)
            self.lambda_ = float(1.0 / np.ravel(model.C_)[0])
            coef = np.abs(np.atleast_2d(model.coef_)).sum(0)
        self.estimator_ = model
        # solver iterations: classification, the most of the penalty search's fits (= max_iter:
        # one stopped early); regression, the final fit's (LassoCV keeps no path counts)
        self.n_iter_ = int(np.max(model.n_iter_))
        n_nonzero = int(np.count_nonzero(coef))
        if n_nonzero < s:
            warnings.warn(
                f"lasso: only {n_nonzero} of {len(coef)} coefficients are non-zero at the "
                f"cross-validated penalty (lambda={self.lambda_:.3g}), so {s - n_nonzero} of the "
                f"s={s} selected features are drawn at random among the zero ones. A linear "
                "model may not see these features' effect (e.g. XOR); compare with a "
                "non-linear method.",
                UserWarning,
                stacklevel=3,  # fit, its wrapper
            )
        self._set_scores(coef, s)
        return self


class RandomForestSelector(BaseSelector):
    """Random forest with (trees, depth) grid-searched by inner CV; permutation importance
    (paper's RF baseline). Prediction uses the best forest on all features, as in the paper.

    Parameters
    ----------
    n_features_to_select : int or None, default=None
        ``s``; None selects half the features.
    task : {"auto", "classification", "regression"}, default="auto"
    n_estimators_grid : sequence of int, default=(50, 100, 150, 220)
    max_depth_grid : sequence of int, default=(7, 12, 18, 24)
        The paper searches 50..220 trees and depth 7..24 (supplement Table IV); this
        coarser grid spans the same range at about a twentieth of the cost.
    cv : int, default=3
    n_repeats : int, default=10
        Permutations per feature for the importance.
    random_state : int or None

    Attributes
    ----------
    estimator_ : RandomForestClassifier or RandomForestRegressor
        The best forest, refitted on all of ``(X, y)``; for regression it is fitted on the
        standardised target ``(y - target_mean_) / target_std_`` (a tree stops splitting where
        the variance falls below about 1e-16, so a target of scale 1e-8 would grow no tree), and
        :meth:`predict` returns its predictions in the target's units.
    best_params_ : dict
    target_mean_, target_std_ : float
        Regression only: the target's scaling.
    """

    method_name = "random_forest"

    def __init__(
        self,
        n_features_to_select: int | None = None,
        *,
        task: str = "auto",
        n_estimators_grid: Sequence[int] = (50, 100, 150, 220),
        max_depth_grid: Sequence[int] = (7, 12, 18, 24),
        cv: int = 3,
        n_repeats: int = 10,
        random_state: int | None = None,
    ) -> None:
        self.n_features_to_select = n_features_to_select
        self.task = task
        self.n_estimators_grid = n_estimators_grid
        self.max_depth_grid = max_depth_grid
        self.cv = cv
        self.n_repeats = n_repeats
        self.random_state = random_state

    @restores_on_failure
    def fit(self, X, y, X_val=None, y_val=None):
        """Grid-search the forest on ``(X, y)``; permutation importance on ``(X_val, y_val)``
        when given (held-out data), else on ``(X, y)``."""
        self.check_params()
        X, y = validate_xy(self, self.method_name, X, y, dtype=np.float64)
        X_val, y_val = check_validation(self.method_name, X_val, y_val)
        s = check_s(self.method_name, self.n_features_to_select, X.shape[1])
        self.task_ = resolve_task(self.method_name, self.task, y)
        check_inner_cv(self.method_name, self.cv, y, self.task_)
        _check_float32_range(self.method_name, X, "X")
        seed = _seed(self.random_state)
        regression = self.task_ == "regression"
        if regression:  # the forest's splits and R^2 are the same on the standardised target
            self.target_mean_, self.target_std_ = target_scale(y)
            y = (y - self.target_mean_) / self.target_std_
        cls = RandomForestRegressor if regression else RandomForestClassifier
        search = GridSearchCV(
            cls(random_state=seed),
            {
                "n_estimators": list(self.n_estimators_grid),
                "max_depth": list(self.max_depth_grid),
            },
            cv=self.cv,
        ).fit(X, y)
        self.estimator_ = search.best_estimator_
        self.best_params_ = search.best_params_
        if self.task_ == "classification":
            self.classes_ = self.estimator_.classes_
        if X_val is None:
            X_val, y_val = X, y
        else:
            X_val = validate_data(self, X_val, reset=False, dtype=np.float64)
            _check_float32_range(self.method_name, X_val, "X_val")
            if regression:
                y_val = (np.asarray(y_val, dtype=np.float64) - self.target_mean_) / self.target_std_
        perm = permutation_importance(  # R^2 or accuracy: unchanged by the target's scaling
            self.estimator_, X_val, np.asarray(y_val), n_repeats=self.n_repeats, random_state=seed
        )
        self._set_scores(perm.importances_mean, s)
        return self

    def predict(self, X) -> np.ndarray:
        """Predictions of the best forest (all features), in the target's units."""
        check_is_fitted(self, "estimator_")
        X = validate_data(self, X, reset=False, dtype=np.float64)
        _check_float32_range(self.method_name, X, "X")
        pred = self.estimator_.predict(X)
        if self.task_ == "regression":
            return pred * self.target_std_ + self.target_mean_
        return pred


def _check_float32_range(method: str, X: np.ndarray, name: str) -> None:
    """scikit-learn's trees hold X as float32."""
    big, limit = float(np.max(np.abs(X), initial=0.0)), float(np.finfo(np.float32).max)
    if big > limit:
        raise ValueError(
            f"{method}: {name} holds values up to {big:.3g}, beyond float32's range "
            f"({limit:.3g}) in which scikit-learn's trees hold data; rescale "
            "the features (e.g. StandardScaler, or dataset.standardize=true in fir-run)."
        )


class RFESelector(BaseSelector):
    """Recursive feature elimination with a linear SVM (C = 1) (paper's RFE baseline).

    Wraps :class:`sklearn.feature_selection.RFE`. ``ranking_`` is made strict: the selected
    features by decreasing ``|w|`` of the final linear SVM, then the eliminated ones, the last
    eliminated first (ties within one ``step`` by index). No per-feature score
    (``feature_importances_`` is NaN).

    Parameters
    ----------
    n_features_to_select : int or None, default=None
        ``s``; None selects half the features.
    task : {"auto", "classification", "regression"}, default="auto"
    C : float, default=1.0
    step : int, default=1
        Features removed per iteration (the paper uses 5 on TOX-171 and yale).
    """

    method_name = "rfe"

    def __init__(
        self,
        n_features_to_select: int | None = None,
        *,
        task: str = "auto",
        C: float = 1.0,
        step: int = 1,
    ) -> None:
        self.n_features_to_select = n_features_to_select
        self.task = task
        self.C = C
        self.step = step

    @restores_on_failure
    def fit(self, X, y):
        """Eliminate features recursively down to ``s``."""
        self.check_params()
        X, y = validate_xy(self, self.method_name, X, y, dtype=np.float64)
        s = check_s(self.method_name, self.n_features_to_select, X.shape[1])
        self.task_ = resolve_task(self.method_name, self.task, y)
        if self.task_ == "classification":
            svm = SVC(kernel="linear", C=self.C)
        else:
            svm = SVR(kernel="linear", C=self.C)
            mean, std = target_scale(y)
            y = (y - mean) / std  # C and the SVR's margin of 0.1 are in the target's units
        rfe = RFE(svm, n_features_to_select=s, step=self.step).fit(X, y)
        self.rfe_ = rfe
        weight = np.square(np.atleast_2d(rfe.estimator_.coef_)).sum(0)  # (s,)
        selected = np.flatnonzero(rfe.support_)[order_from_scores(weight)]
        rest = np.flatnonzero(~rfe.support_)
        rest = rest[np.lexsort((rest, rfe.ranking_[rest]))]
        self._set_order(np.concatenate([selected, rest]), s)
        return self
