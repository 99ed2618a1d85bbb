"""fir.aggregate: completed runs are tabulated, malformed ones skipped and reported."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from fir.aggregate import collect_runs, comparison_markdown, write_tables


def _make_run(root: Path, name: str, method: str, status: str = "completed", tpr=(1.0, 0.5)):
    run_dir = root / name  # the directory name carries no information
    run_dir.mkdir(parents=True)
    (run_dir / "run.json").write_text(json.dumps({"status": status, "wall_time_s": 12.5}))
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
    assert "| xor | ccm | 5 | 0 | accuracy | 0.5000 ± 0.1000 | 1/2 | 1.50 | 12.5 |" in md
    assert md == comparison_markdown(table)


def test_missing_root_is_an_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        collect_runs(tmp_path / "nope")
