"""fir.aggregate: completed runs are tabulated, malformed ones skipped and reported."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from fir.aggregate import collect_runs, comparison_markdown, write_tables


def _make_run(
    root: Path, name: str, method: str, status: str = "completed", tpr=(1.0, 0.5), info=None
):
    run_dir = root / name  # the directory name carries no information
    run_dir.mkdir(parents=True)
    info = {"status": status, "wall_time_s": 12.5, **(info or {})}
    (run_dir / "run.json").write_text(json.dumps(info))
    summary = {
        "dataset": "xor", "method": method, "s": 5, "seed": 0, "metric": "accuracy",
        "n_folds": 2, "test": {"mean": 0.5, "std": 0.1, "per_fold": [0.4, 0.6]},
        "informative": [0, 1, 2], "informative_selected_folds": {"0": 2, "1": 2, "2": 1},
        "fit_time_s": {"mean": 1.5, "total": 3.0}, "wall_time_s": 12.0,
    }  # fmt: skip
    (run_dir / "summary.json").write_text(json.dumps(summary))
    pd.DataFrame({"fold": [0, 1], "score": [0.4, 0.6], "tpr": list(tpr)}).to_csv(
        run_dir / "folds.csv", index=False
    )
    (run_dir / "features.csv").write_text("fold,index,name,importance,rank,selected\n")
    return run_dir


def test_collects_completed_and_skips_the_rest(tmp_path):
    _make_run(tmp_path, "a", "ccm")
    _make_run(tmp_path, "nested/b", "rfe", tpr=(1.0, 1.0))
    _make_run(tmp_path, "c", "lasso", status="running")
    broken = _make_run(tmp_path, "d", "mrmr")
    (broken / "folds.csv").unlink()
    half = _make_run(tmp_path, "e", "dfs")
    (half / "summary.json").write_text("{")
    table, skipped = collect_runs(tmp_path)
    assert table["method"].tolist() == ["ccm", "rfe"]
    assert table["relevant_found_folds"].tolist() == [1, 2]
    assert table["wall_time_s"].tolist() == [12.5, 12.5]
    reasons = {p.path.name: p.reason for p in skipped}
    assert set(reasons) == {"c", "d", "e"}
    assert "status is 'running'" in reasons["c"]
    assert "folds.csv" in reasons["d"]
    assert "unreadable" in reasons["e"]


def test_writes_csv_and_markdown(tmp_path):
    _make_run(tmp_path / "runs", "a", "ccm")
    table, _ = collect_runs(tmp_path / "runs")
    csv_path, md_path = write_tables(table, tmp_path / "out")
    assert pd.read_csv(csv_path)["method"].tolist() == ["ccm"]
    md = md_path.read_text()
    assert "| xor | ccm |  | 5 | 0 | accuracy | 0.5000 ± 0.1000 | 1/2 | 1.50 | 12.5 |" in md
    assert md == comparison_markdown(table)


def test_missing_root_is_an_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        collect_runs(tmp_path / "nope")


def test_variants_and_a_null_score_are_kept_apart_and_shown(tmp_path):
    svm = {"config": {"estimator": {"_target_": "fir.baselines.models.make_svm"}},
           "choices": {"estimator": "svm", "profile": "tiny"}}  # fmt: skip
    _make_run(tmp_path, "plain", "dualnet", info={"choices": {"profile": "tiny"}})
    _make_run(tmp_path, "svm", "dualnet", info=svm)
    diverged = _make_run(tmp_path, "nan", "lasso")
    summary = json.loads((diverged / "summary.json").read_text())
    summary["test"] = {"mean": None, "std": None, "per_fold": [None, None]}
    (diverged / "summary.json").write_text(json.dumps(summary))
    table, skipped = collect_runs(tmp_path)
    assert not skipped  # a null score is a result (n/a), not a broken run
    assert sorted(table["method"]) == ["dualnet", "dualnet+svm", "lasso"]
    assert table.set_index("method").loc["dualnet", "profile"] == "tiny"
    md = comparison_markdown(table)
    assert "| xor | lasso |  | 5 | 0 | accuracy | n/a |" in md
    assert "| xor | dualnet+svm | tiny |" in md
