"""The values in the contract files (folds.csv, features.csv, summary.json, the comparison
table), rank_features' NaN rule and a table's task inference at the 20-class boundary."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from fir.aggregate import collect_runs, write_tables
from fir.data.base import Dataset
from fir.data.table import MAX_CLASSES_INFERRED, infer_task
from fir.evaluation import FoldResult
from fir.metrics import rank_features
from fir.reporting import features_frame, folds_frame, summarise


def fold(k, score, val_score, selected, importances) -> FoldResult:
    d = len(importances)
    support = np.zeros(d, dtype=bool)
    support[selected] = True
    return FoldResult(
        fold=k, score=score, selected=np.array(selected), importances=np.array(importances),
        ranking=rank_features(support, np.array(importances)), fit_time_s=1.0,
        n_train=10, n_val=5, n_test=5, extra={}, val_score=val_score,
    )  # fmt: skip


@pytest.fixture
def dataset() -> Dataset:
    X = np.zeros((20, 4))
    y = np.arange(20) % 2
    return Dataset("toy", X, y, "classification", ["a", "b", "c", "d"], informative=[0])


@pytest.fixture
def results() -> list[FoldResult]:
    return [
        fold(0, 0.9, 0.6, [0, 3], [0.5, -0.25, -2.0, 0.125]),
        fold(1, 0.8, 0.8, [1, 2], [-1.0, 3.0, 0.75, np.nan]),
    ]


def test_folds_csv_val_score_is_the_validation_score(dataset, results, tmp_path):
    """val_score holding the test score would hide the validation/test gap."""
    folds_frame(results, dataset).to_csv(tmp_path / "folds.csv", index=False)
    folds = pd.read_csv(tmp_path / "folds.csv")
    assert folds["score"].tolist() == [0.9, 0.8]
    assert folds["val_score"].tolist() == [0.6, 0.8]


def test_features_csv_keeps_signed_importances_and_marks_the_selected(dataset, results, tmp_path):
    """Absolute importances would rank a feature that hurts the loss as important; an inverted
    selected column would mark the unselected features."""
    features_frame(results, dataset).to_csv(tmp_path / "features.csv", index=False)
    features = pd.read_csv(tmp_path / "features.csv")
    first, second = features[features.fold == 0], features[features.fold == 1]
    assert first["importance"].tolist() == [0.5, -0.25, -2.0, 0.125]
    assert second["importance"].tolist()[:3] == [-1.0, 3.0, 0.75]
    assert np.isnan(second["importance"].tolist()[3])
    assert first["selected"].tolist() == [True, False, False, True]
    assert second["selected"].tolist() == [False, True, True, False]
    assert first["rank"].tolist() == [1, 3, 4, 2]  # selected first, by decreasing importance
    assert second["rank"].tolist() == [3, 1, 2, 4]  # the NaN last


def test_summary_validation_holds_the_mean_and_population_std(dataset, results):
    """validation.std must be the spread of the validation scores, not their mean."""
    summary = summarise(results, dataset, {}, wall_time_s=1.0)
    assert summary["validation"] == {
        "mean": pytest.approx(0.7),
        "std": pytest.approx(0.1),
        "per_fold": [0.6, 0.8],
    }
    assert summary["test"]["std"] == pytest.approx(0.05)


def test_rank_features_puts_nan_scores_last():
    """A method with no score for a feature must not rank it first."""
    assert rank_features(np.zeros(3, dtype=bool), np.array([np.nan, 1.0, 2.0])).tolist() == [
        3, 2, 1,
    ]  # fmt: skip
    support = np.array([True, True, False, False])
    scores = np.array([np.nan, 1.0, np.nan, 5.0])
    assert rank_features(support, scores).tolist() == [2, 1, 4, 3]


def _run(root: Path, name: str, informative: dict | None) -> None:
    run_dir = root / name
    run_dir.mkdir(parents=True)
    (run_dir / "run.json").write_text(json.dumps({"status": "completed", "wall_time_s": 3.0}))
    summary = {
        "dataset": "xor", "method": name, "s": 3, "seed": 0, "metric": "accuracy",
        "n_folds": 2, "test": {"mean": 0.5, "std": 0.1, "per_fold": [0.4, 0.6]},
        "informative": None if informative is None else [0, 1],
        "informative_selected_folds": informative,
        "fit_time_s": {"mean": 1.0, "total": 2.0}, "wall_time_s": 3.0,
    }  # fmt: skip
    (run_dir / "summary.json").write_text(json.dumps(summary))
    pd.DataFrame({"fold": [0, 1], "score": [0.4, 0.6], "tpr": [1.0, 0.5]}).to_csv(
        run_dir / "folds.csv", index=False
    )
    (run_dir / "features.csv").write_text("fold,index,name,importance,rank,selected\n")


def test_comparison_csv_keeps_the_informative_selection_counts_as_json(tmp_path):
    """Dropping the counts from the CSV loses which relevant features each run found."""
    _run(tmp_path / "runs", "ccm", {"0": 2, "1": 1})
    _run(tmp_path / "runs", "lasso", None)
    table, skipped = collect_runs(tmp_path / "runs")
    assert not skipped
    csv_path, _ = write_tables(table, tmp_path / "out")
    flat = pd.read_csv(csv_path).set_index("method")
    assert json.loads(flat.loc["ccm", "informative_selected_folds"]) == {"0": 2, "1": 1}
    assert pd.isna(flat.loc["lasso", "informative_selected_folds"])


@pytest.mark.parametrize(
    ("n_values", "task"),
    [(MAX_CLASSES_INFERRED, "classification"), (MAX_CLASSES_INFERRED + 1, "regression")],
)
def test_an_integer_target_with_up_to_20_values_is_a_class_label(n_values, task):
    """docs/DATASETS.md: integer targets with at most 20 values are classes; 21 a quantity."""
    assert MAX_CLASSES_INFERRED == 20
    target = pd.Series(np.arange(3 * n_values) % n_values)
    assert infer_task(target) == task
    assert infer_task(target.astype(float)) == task  # 3.0 is as whole as 3
