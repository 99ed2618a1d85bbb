"""Reporting and metrics on hand-made records."""

import numpy as np
import pandas as pd
import pytest

from fir.data.base import Dataset
from fir.evaluation import FoldResult
from fir.metrics import mean_jaccard, rank_features, support_recovery, task_score
from fir.reporting import (
    FEATURES_COLUMNS,
    features_frame,
    folds_frame,
    format_mean_std,
    format_score,
    results_table,
    summarise,
)
from fir.repro import derive_seed, make_generators


def fold(k, score, selected, importances):
    d = len(importances)
    support = np.zeros(d, dtype=bool)
    support[selected] = True
    return FoldResult(
        fold=k, score=score, selected=np.array(selected), importances=np.array(importances),
        ranking=rank_features(support, np.array(importances)), fit_time_s=1.0 + k,
        n_train=10, n_val=5, n_test=5, extra={},
    )  # fmt: skip


@pytest.fixture
def dataset():
    X = np.zeros((20, 3))
    return Dataset("toy", X, np.arange(20) % 2, "classification", ["a", "b", "c"], informative=[0])


def test_summary_means_stds_and_selection_counts(dataset):
    results = [fold(0, 0.5, [0, 1], [1.0, np.nan, -1.0]), fold(1, 0.7, [0, 2], [3.0, 2.0, -1.0])]
    summary = summarise(results, dataset, {"dataset": "toy", "method": "m"}, wall_time_s=2.0)
    assert summary["test"] == {"mean": pytest.approx(0.6), "std": pytest.approx(0.1),
                               "per_fold": [0.5, 0.7]}  # fmt: skip
    a, b, c = summary["features"]
    assert (a["importance_mean"], a["importance_std"]) == (2.0, 1.0)
    assert (b["importance_mean"], b["importance_std"]) == (2.0, 0.0)  # NaN folds are skipped
    assert (c["importance_mean"], c["importance_std"]) == (-1.0, 0.0)
    assert [f["selected_folds"] for f in summary["features"]] == [2, 1, 1]
    assert summary["informative_selected_folds"] == {"0": 2}
    assert summary["selection_stability"] == pytest.approx(1 / 3)
    assert summary["fit_time_s"] == {"mean": 1.5, "total": 3.0}


def test_all_nan_scores_become_null(dataset):
    results = [fold(0, 0.5, [0], [np.nan] * 3), fold(1, 0.5, [1], [np.nan] * 3)]
    summary = summarise(results, dataset, {}, wall_time_s=0.0)
    assert all(f["importance_mean"] is None for f in summary["features"])


def test_frames(dataset):
    results = [fold(0, 0.5, [0, 1], [1.0, 0.5, -1.0]), fold(1, 0.7, [2, 0], [3.0, 2.0, 4.0])]
    folds = folds_frame(results, dataset)
    assert folds["selected"].tolist() == ["0 1", "2 0"]
    assert folds["tpr"].tolist() == [1.0, 1.0] and folds["fdr"].tolist() == [0.5, 0.5]
    features = features_frame(results, dataset)
    assert list(features.columns) == FEATURES_COLUMNS
    assert features[features.fold == 1]["rank"].tolist() == [2, 3, 1]
    assert isinstance(features, pd.DataFrame) and len(features) == 6


def test_metrics_by_hand():
    assert task_score("classification", np.array([1, 0, 1, 1]), np.array([1, 1, 1, 0])) == 0.5
    assert task_score("regression", np.array([0.0, 2.0]), np.array([1.0, 0.0])) == 2.5
    assert support_recovery(np.array([0, 1, 5]), [0, 1, 2]) == (pytest.approx(2 / 3), 1 / 3)
    assert np.isnan(support_recovery(np.array([0]), None)[0])
    assert mean_jaccard([np.array([0, 1]), np.array([1, 2]), np.array([0, 1])]) == pytest.approx(
        (1 / 3 + 1 + 1 / 3) / 3
    )
    assert rank_features(np.array([False, True, True]), np.array([9.0, 1.0, 2.0])).tolist() == [
        3, 2, 1,
    ]  # fmt: skip


def test_seeds_and_generators_are_reproducible():
    assert derive_seed(0, 1, 2) == derive_seed(0, 1, 2)
    assert len({derive_seed(0, 4, k) for k in range(5)}) == 5
    import torch

    r1, g1 = make_generators(7, torch.device("cpu"))
    r2, g2 = make_generators(7, torch.device("cpu"))
    assert r1.integers(1000) == r2.integers(1000)
    assert torch.equal(torch.rand(3, generator=g1), torch.rand(3, generator=g2))


def test_scores_too_small_or_large_for_4_decimals_are_written_in_scientific_notation(dataset):
    """An MSE of 5e-18 (a target in nanometres) was '0.0000 +- 0.0000', as was a constant
    predictor's next to it; one of 5e12 ran to 17 characters."""
    assert [format_score(v) for v in (0.0, 0.93021, 1.85942, 0.001, -2.5)] == [
        "0.0000", "0.9302", "1.8594", "0.0010", "-2.5000"]  # fmt: skip
    assert [format_score(v) for v in (4.8771e-18, 9.9e-4, 5181668965306.08, 1e6)] == [
        "4.877e-18", "9.900e-04", "5.182e+12", "1.000e+06"]  # fmt: skip
    assert format_score(float("nan")) == format_score(None) == "n/a"
    assert format_score(0.0002, sign=True, like=0.93) == "+0.0002"  # a gap between accuracies
    assert format_score(-3e-19, sign=True, like=5e-18) == "-3.000e-19"
    assert format_mean_std(5e-18, 1e-19) == "5.000e-18 ± 1.000e-19"
    assert format_mean_std(0.9, 0.01) == "0.9000 ± 0.0100"
    table = results_table([fold(0, 4.9e-18, [0], [1.0] * 3), fold(1, 5.1e-18, [1], [1.0] * 3)],
                          "mse")  # fmt: skip
    assert "4.900e-18" in table and "mean  5.000e-18  +- 1.000e-19 (std over 2 folds)" in table
