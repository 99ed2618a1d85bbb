"""Shared pieces of the baseline selectors: validation of ``s`` and the task, and scores or
orders turned into ``support_`` and ``ranking_``."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.feature_selection import SelectorMixin
from sklearn.utils import ClassifierTags, RegressorTags
from sklearn.utils.metaestimators import available_if
from sklearn.utils.multiclass import type_of_target
from sklearn.utils.validation import check_is_fitted

from fir.baselines.params import Rule, check_baseline_params
from fir.checks import warn_if_many_classes
from fir.metrics import estimator_score

TASKS = ("auto", "classification", "regression")


def check_s(method: str, s: int | None, n_features: int) -> int:
    """``s`` as an int in ``[1, n_features)`` (None: half the features, as DualNetSelector and
    scikit-learn's RFE); otherwise an error naming method, value and fix."""
    if n_features < 2:
        raise ValueError(
            f"{method}: the data have n_features = {n_features}; selecting s of d features needs "
            "d >= 2 (s features selected, at least one left out)."
        )
    if s is None:
        return max(1, n_features // 2)
    if isinstance(s, bool) or not isinstance(s, int | np.integer):
        raise TypeError(
            f"{method}: n_features_to_select must be an int (the paper's s); got {s!r}. "
            f"Example: n_features_to_select=5 (fir-run s=5)."
        )
    if not 1 <= s < n_features:
        raise ValueError(
            f"{method}: n_features_to_select={s} is invalid for {n_features} features; it must "
            f"satisfy 1 <= s < {n_features}. Choose a smaller s, "
            f"e.g. s={max(1, min(5, n_features - 1))}."
        )
    return int(s)


def resolve_task(method: str, task: str, y: np.ndarray, supported: Sequence[str] = TASKS) -> str:
    """The task of ``y`` (``task="auto"`` infers it: a continuous target is regression).

    A task the method does not support is an error that names the method and an alternative.
    """
    if task not in TASKS:
        raise ValueError(f"{method}: task={task!r} is not one of {TASKS}.")
    if task == "auto":
        task = "regression" if type_of_target(y) == "continuous" else "classification"
        if task == "classification":
            warn_if_many_classes(y, stacklevel=4)  # resolve_task, fit, its wrapper
    if task == "classification" and len(np.unique(y)) < 2:
        raise ValueError(
            f"{method}: y holds only 1 class ({np.unique(y).tolist()}); feature selection "
            "for classification needs at least 2 classes."
        )
    if task not in supported:
        raise ValueError(
            f"{method}: got a {task} target, but {method} supports only "
            f"{' and '.join(t for t in supported if t != 'auto')}. Use a method that handles "
            f"{task} (e.g. method=ccm, method=bahsic or method=random_forest)"
            + (", or discretise y into classes first." if task == "regression" else ".")
        )
    return task


def check_inner_cv(method: str, cv: int, y: np.ndarray, task: str) -> None:
    """The ``cv`` inner folds of a grid search need ``cv`` rows (of some class, stratified:
    scikit-learn warns when only some classes have fewer, and fails when all do)."""
    if task == "classification":
        classes, counts = np.unique(y, return_counts=True)
        if np.all(counts < cv):
            raise ValueError(
                f"{method}: cv={cv} stratified inner folds need {cv} rows of some class; the "
                f"largest class has {int(counts.max())}. Lower cv (at least 2), or give more "
                "rows."
            )
    elif len(y) < cv:
        raise ValueError(
            f"{method}: cv={cv} inner folds need at least {cv} rows; got {len(y)}. Lower cv "
            "(at least 2), or give more rows."
        )


def target_scale(y: np.ndarray) -> tuple[float, float]:
    """(mean, std) that standardise a regression target (std 1 for a constant target). The
    baselines fit their nets, SVRs and LassoNet paths on ``(y - mean) / std``, as the dual-net
    does (``standardize_target``): a target in the thousands would otherwise swamp their
    fixed learning rates, penalties and SVR margins."""
    y = np.asarray(y, dtype=np.float64)
    std = float(y.std())
    return float(y.mean()), std if std > 0 else 1.0


def ranking_from_order(order: Sequence[int], n_features: int) -> np.ndarray:
    """Ranks (1 = most important) from ``order``: most important first, all features once."""
    order = np.asarray(order, dtype=np.int64)
    if sorted(order.tolist()) != list(range(n_features)):
        raise ValueError(f"internal error: order {order.tolist()} is not a permutation.")
    ranking = np.empty(n_features, dtype=np.int64)
    ranking[order] = np.arange(1, n_features + 1)
    return ranking


def order_from_scores(scores: np.ndarray, rng: np.random.Generator | None = None) -> np.ndarray:
    """Feature indices by decreasing score (NaN last). Ties are broken at random when ``rng``
    is given (so that e.g. all-zero LASSO coefficients do not favour the first columns),
    otherwise by index."""
    key = np.nan_to_num(np.asarray(scores, dtype=float), nan=-np.inf)
    tie = np.arange(len(key)) if rng is None else rng.permutation(len(key))
    return np.lexsort((tie, -key))


def _tie_seed(random_state) -> int | None:
    if random_state is None:
        return None
    if isinstance(random_state, np.random.Generator | np.random.RandomState):
        return int(np.random.default_rng(random_state).integers(2**31 - 1))
    return int(random_state) + 1


class BaseSelector(SelectorMixin, BaseEstimator):
    """Base of every baseline: ``support_`` and ``ranking_`` come from :meth:`_set_order`.

    Subclasses implement ``fit``, decorated with ``fir.checks.restores_on_failure``; they call
    :meth:`_set_scores` when the method scores every feature (top ``s`` of the scores) or
    :meth:`_set_order` when it only orders them (their ``feature_importances_`` are NaN).
    """

    method_name = "baseline"
    supported_tasks: Sequence[str] = TASKS
    param_rules: dict[str, Rule] = {}  # rules of fir.baselines.params.RULES this class replaces

    def __sklearn_tags__(self):
        # every baseline learns from y: fit(X) alone is scikit-learn's "requires y" error
        tags = super().__sklearn_tags__()
        tags.target_tags.required = True
        if hasattr(self, "predict"):  # it predicts with a model of its own, as DualNetSelector
            if getattr(self, "task", "auto") == "regression":
                tags.estimator_type = "regressor"
                tags.regressor_tags = RegressorTags()
            else:  # cross_val_score and GridSearchCV split class labels with StratifiedKFold
                tags.estimator_type = "classifier"
                tags.classifier_tags = ClassifierTags(poor_score=True)
        return tags

    @available_if(lambda self: hasattr(self, "predict"))
    def score(self, X, y, sample_weight=None) -> float:
        """Accuracy (classification) or R^2 (regression) of :meth:`predict`, for the baselines
        that predict with their own model (random forest, the neural ones)."""
        pred = self.predict(X)  # first: an unfitted estimator is a NotFittedError
        return estimator_score(self.task_, y, pred, sample_weight)

    def check_params(self) -> None:
        """Check the hyperparameters (``fir.baselines.params.RULES``) without data: ``fit``
        calls it first, and ``fir-run`` before it loads the data."""
        check_baseline_params(self)

    def _set_order(self, order: Sequence[int], s: int, scores: np.ndarray | None = None) -> None:
        d = self.n_features_in_
        self.ranking_ = ranking_from_order(order, d)
        self.support_ = self.ranking_ <= s
        self.feature_importances_ = (
            np.full(d, np.nan) if scores is None else np.asarray(scores, dtype=float)
        )

    def _set_scores(self, scores: np.ndarray, s: int) -> None:
        """Top ``s`` of ``scores``; ties broken at random from ``random_state`` if the method
        has one."""
        seed = getattr(self, "random_state", None)
        rng = np.random.default_rng(_tie_seed(seed))
        self._set_order(order_from_scores(scores, rng), s, scores)

    def _get_support_mask(self) -> np.ndarray:
        check_is_fitted(self, "support_")
        return self.support_
