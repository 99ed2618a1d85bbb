"""Scores of a fold and of a set of folds."""

from __future__ import annotations

from itertools import combinations

import numpy as np
from sklearn.metrics import accuracy_score, mean_squared_error, r2_score

METRICS = {"classification": "accuracy", "regression": "mse"}


def metric_name(task: str) -> str:
    """``accuracy`` for classification, ``mse`` for regression."""
    return METRICS[task]


def task_score(task: str, y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """The task's metric: accuracy (higher is better) or mean squared error (lower is better)."""
    if task == "classification":
        return float(accuracy_score(y_true, y_pred))
    return float(mean_squared_error(y_true, y_pred))


def estimator_score(task: str, y_true, y_pred, sample_weight=None) -> float:
    """A fitted estimator's ``score`` (scikit-learn's convention, higher is better): accuracy
    for classification, R^2 for regression."""
    if task == "regression":
        return float(r2_score(y_true, y_pred, sample_weight=sample_weight))
    return float(accuracy_score(y_true, y_pred, sample_weight=sample_weight))


def rank_features(support: np.ndarray, scores: np.ndarray) -> np.ndarray:
    """Ranks 1..d: selected features first, each group by decreasing score (NaN last)."""
    key = np.nan_to_num(np.asarray(scores, dtype=float), nan=-np.inf)
    order = np.lexsort((-key, ~np.asarray(support, dtype=bool)))
    ranking = np.empty(len(order), dtype=np.int64)
    ranking[order] = np.arange(1, len(order) + 1)
    return ranking


def support_recovery(selected: np.ndarray, informative: list[int] | None) -> tuple[float, float]:
    """(TPR, FDR) of a selected index set against the known informative features."""
    if not informative:
        return float("nan"), float("nan")
    chosen, truth = set(int(i) for i in selected), set(informative)
    tpr = len(chosen & truth) / len(truth)
    fdr = len(chosen - truth) / max(len(chosen), 1)
    return tpr, fdr


def mean_jaccard(selections: list[np.ndarray]) -> float:
    """Mean pairwise Jaccard index of the folds' selected sets (1 = the same set every fold)."""
    sets = [set(int(i) for i in sel) for sel in selections]
    pairs = list(combinations(sets, 2))
    if not pairs:
        return float("nan")
    return float(np.mean([len(a & b) / max(len(a | b), 1) for a, b in pairs]))
