"""fir-report never pools runs of different data, ranks a method only against other selectors,
says how many of a claim's methods ran and which folds have no score, and keeps the previous
report when a new one fails."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from fir.report import build
from fir.report.build import build_report
from fir.report.cells import group_cells
from fir.report.paper import TARGETS, Target
from fir.report.tables import main_results
from tests.unit.test_report import make_run
from tests.unit.test_report_parts import ROOT, record, verdicts


def _set_data(run: Path, path: str, task: str | None = None) -> None:
    """Record ``dataset.path`` (and the task) as fir-run does for ``dataset=table``."""
    info = json.loads((run / "run.json").read_text())
    info["config"]["dataset"]["path"] = path
    (run / "run.json").write_text(json.dumps(info))
    if task is not None:
        summary = json.loads((run / "summary.json").read_text())
        summary["task"] = task
        (run / "summary.json").write_text(json.dumps(summary))


def _table_run(root: Path, name: str, names: list[str], path: str, **kwargs) -> Path:
    kwargs = {"method": "dualnet", "scores": [0.6, 0.8], "selected": [[0, 1], [0, 2]], **kwargs}
    run = make_run(root, name, dataset="data", s=2, names=names, **kwargs)
    _set_data(run, path)
    return run


def test_runs_with_other_feature_counts_are_separate_datasets_not_a_crash(tmp_path, caplog):
    # dataset.exclude=[c3]: the same file, one feature fewer
    _table_run(tmp_path / "runs", "all", ["c0", "c1", "c2", "c3"], "/d/v3/data.csv")
    _table_run(tmp_path / "runs", "excl", ["c0", "c1", "c2"], "/d/v3/data.csv", seed=1)
    with caplog.at_level("WARNING", logger="fir.report"):
        report = build_report(tmp_path / "runs", tmp_path / "out")
    tables = tmp_path / "out" / "tables"
    data = pd.read_csv(tables / "main_results.csv")
    assert data["dataset"].tolist() == ["data", "data"]  # the name as recorded; variant apart
    assert sorted(data["variant"]) == ["3 features", "4 features"]
    assert data["n_runs"].tolist() == [1, 1]
    md = (tables / "main_results.md").read_text()
    assert "| data (3 features) | dualnet |" in md and "| data (4 features) | dualnet |" in md
    assert "'data (4 features)' (e.g. all)" in caplog.text
    assert "'data (3 features)' (e.g. excl)" in caplog.text
    assert "dataset.name=<name>" in caplog.text
    assert any("not pooled" in note for note in report.notes)


def test_runs_with_other_tasks_are_never_averaged_together(tmp_path):
    names = ["c0", "c1", "c2"]
    _table_run(tmp_path, "clf", names, "/d/v2/data.csv")
    reg = _table_run(tmp_path, "reg", names, "/d/v2/data.csv", scores=[0.2, 0.22],
                     metric="mse", seed=1)  # fmt: skip
    _set_data(reg, "/d/v2/data.csv", task="regression")
    cells = list(group_cells(build.load_runs(tmp_path)[0]).values())
    assert [(c.dataset_label, c.metric, c.mean) for c in cells] == [
        ("data (classification)", "accuracy", pytest.approx(0.7)),
        ("data (regression)", "mse", pytest.approx(0.21)),
    ]


def test_runs_with_other_feature_names_keep_their_own_names(tmp_path):
    _table_run(tmp_path / "runs", "v1", ["a|b", "x", "very_long_name"], "/d/v1/data.csv")
    _table_run(tmp_path / "runs", "v3", ["z0", "z1", "z2"], "/d/v3/data.csv")
    report = build_report(tmp_path / "runs", tmp_path / "out")
    freq = pd.read_csv(tmp_path / "out" / "tables" / "selection_frequency.csv")
    chosen = freq[freq["selected_folds"] > 0].groupby("variant")["name"].apply(list).to_dict()
    assert chosen == {
        "v1/data.csv": ["a|b", "x", "very_long_name"],
        "v3/data.csv": ["z0", "z1", "z2"],
    }
    stems = {p.stem for f in report.figures for p in f.paths}
    assert {"importance_data-v1-data.csv_s2_named", "importance_data-v3-data.csv_s2_named"} <= stems


def test_one_signature_per_name_keeps_the_plain_name():
    cells = group_cells([record("a", "dualnet", [0.5]), record("b", "lasso", [0.6])])
    assert {c.dataset_label for c in cells.values()} == {"data"}


def test_a_failed_report_removes_only_the_previous_verdicts_and_says_it_is_incomplete(
    tmp_path, monkeypatch
):
    _table_run(tmp_path / "runs", "a", ["c0", "c1", "c2"], "/d/data.csv")
    out = tmp_path / "out"
    first = build_report(tmp_path / "runs", out)
    before = {p for p in out.rglob("*") if p.is_file()}
    assert len(before) == len(first.tables) + 2 * len(first.figures) + len(first.documents) + 1

    def fail(*args, **kwargs):
        raise RuntimeError("drawing failed")

    monkeypatch.setattr(build, "_draw_figures", fail)
    with pytest.raises(RuntimeError, match="drawing failed"):
        build_report(tmp_path / "runs", out)
    # no stale table or figure is removed (the manifest is the previous one's), but the
    # verdicts, written last, are gone until a report finishes, and report.md says why
    verdicts = {out / "REPRODUCTION.md", out / "reproduction.csv"}
    assert verdicts <= before
    assert {p for p in out.rglob("*") if p.is_file()} == before - verdicts
    assert (out / "report.md").read_text().startswith("# fir-report (incomplete)")


def test_a_methods_own_rescored_selection_is_not_a_competitor():
    target = Target("b", "claim", "src", "best_of", ("data",), n_methods=3)
    svm = record("svm", "dualnet", [0.95])
    svm.info = {"config": {"estimator": {"_target_": "fir.baselines.models.make_svm"}}}
    (row,) = verdicts([target], [record("own", "dualnet", [0.9]), svm,
                                 record("l", "lasso", [0.5])])  # fmt: skip
    assert row.ours == "rank 1 of 2 run: dualnet 0.9000 ± 0.0000; lasso 0.5000 ± 0.0000"
    assert "dualnet+svm not ranked (the same selector" in row.note
    assert row.verdict == "partial" and "2 of the claim's 3 methods run" in row.note


def test_best_of_ten_with_two_run_is_partial_not_met():
    (target,) = [t for t in TARGETS if t.key == "xor.best"]
    rows = verdicts([target], [record("d", "dualnet", [0.9], dataset="xor", s=5),
                               record("l", "lasso", [0.5], dataset="xor", s=5)])  # fmt: skip
    assert (rows[0].verdict, rows[0].note.split(";")[0]) == (
        "partial",
        "2 of the claim's 10 methods run",
    )


def test_folds_without_a_score_are_named():
    diverged = record("nullscore", "dualnet", [float("nan"), 0.5, 0.6])
    cell = Cell_of([diverged, record("ok", "dualnet", [0.5], seed=1)])
    _, shown = main_results([cell], ROOT)
    note = "1 of 4 folds have no test score (diverged or not recorded), so the pooled mean is n/a"
    assert shown["note"][0] == f"{note}: run nullscore fold 0"
    target = Target("t", "claim", "src", "at_least", ("data",), s=(3,), value=0.5)
    (row,) = verdicts([target], [diverged])
    assert "run nullscore fold 0" in row.note
    assert np.isnan(cell.mean)


def Cell_of(records):  # noqa: N802 - reads as a constructor
    (cell,) = group_cells(records).values()
    return cell
