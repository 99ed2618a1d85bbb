"""fir.report's parts on hand-made records: pooling, verdict rules, curves, formats, checks."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from fir.report.cells import Cell, group_cells, higher_is_better
from fir.report.curves import fold_curve, moving_average
from fir.report.formats import latex_escape, markdown_table
from fir.report.paper import Target
from fir.report.runs import RunRecord, load_run_record
from fir.report.tables import main_results, runtime_table
from fir.report.verdicts import evaluate_targets
from tests.unit.test_report import make_run, write_image_means

ROOT = Path("/runs")


def record(
    name: str,
    method: str,
    scores: list[float],
    *,
    dataset: str = "data",
    s: int = 3,
    seed: int = 0,
    metric: str = "accuracy",
    fit_times: list[float] | None = None,
    profile: str | None = None,
) -> RunRecord:
    """A completed run record without files (4 features, the first s selected in each fold)."""
    n = len(scores)
    selected = np.zeros((n, 4), dtype=bool)
    selected[:, :s] = True
    summary = {"dataset": dataset, "method": method, "s": s, "seed": seed, "metric": metric,
               "n_folds": n, "test": {"per_fold": scores}}  # fmt: skip
    return RunRecord(
        path=ROOT / name, info={"config": {"seed": seed}}, summary=summary,
        folds=pd.DataFrame({"fit_time_s": fit_times or [1.0] * n}),
        importances=np.full((n, 4), np.nan), selected=selected,
        feature_names=["a", "b", "c", "d"], profile=profile,
    )  # fmt: skip


def verdicts(targets: list[Target], records: list[RunRecord]) -> list:
    return evaluate_targets(targets, list(group_cells(records).values()), ROOT)


def test_at_least_uses_the_papers_std_as_tolerance():
    target = Target("t", "claim", "src", "at_least", ("data",), s=(3,), value=0.9, tolerance=0.02)
    (inside,) = verdicts([target], [record("r", "dualnet", [0.88, 0.88])])
    assert (inside.verdict, inside.ours, inside.difference) == ("met", "0.8800 ± 0.0000", "-0.0200")
    (outside,) = verdicts([target], [record("r", "dualnet", [0.87, 0.88])])
    assert outside.verdict == "not met"
    mse = Target("m", "claim", "src", "at_least", ("data",), s=(3,), value=1.8)
    (lower,) = verdicts([mse], [record("r", "dualnet", [1.5, 1.7], metric="mse")])
    assert lower.verdict == "met"  # for an error, "at least as good" means at most


def test_best_of_needs_another_method_and_ranks_only_the_named_ones():
    target = Target("b", "claim", "src", "best_of", ("data",), others=("ccm", "rfe"))
    (alone,) = verdicts([target], [record("r", "dualnet", [0.5])])
    assert alone.verdict == "not run" and "nothing to rank against" in alone.note
    rows = verdicts(
        [target],
        [record("r1", "dualnet", [0.6, 0.8]), record("r2", "ccm", [0.5, 0.7]),
         record("r3", "lasso", [0.9, 0.9])],
    )  # fmt: skip
    (row,) = rows
    # lasso is not one of the named methods; best of 2 but the claim names 3: partial
    assert row.verdict == "partial"
    assert row.ours == "rank 1 of 2 run: dualnet 0.7000 ± 0.1000; ccm 0.6000 ± 0.1000"
    assert "2 of the claim's 3 methods run" in row.note and "not run: rfe" in row.note
    rows = verdicts([target], [record("r1", "dualnet", [0.6, 0.8]), record("r2", "ccm", [0.5]),
                               record("r4", "rfe", [0.5])])  # fmt: skip
    assert rows[0].verdict == "met" and rows[0].note.startswith("3 of the claim's 3 methods")


def test_comparable_allows_one_std_and_above_is_strict():
    comparable = Target("c", "claim", "src", "comparable", ("data",), others=("ccm",))
    above = Target("a", "claim", "src", "above", ("data",), others=("ccm",))
    runs = [record("r1", "dualnet", [0.6, 0.8]), record("r2", "ccm", [0.7, 0.8])]
    row_c, row_a = verdicts([comparable, above], runs)
    # 0.70 vs 0.75: 0.05 behind, within the larger std (0.10); not above
    assert (row_c.verdict, row_c.difference) == ("met", "-0.0500 vs ccm")
    assert row_a.verdict == "not met"
    runs[1] = record("r2", "ccm", [0.9, 0.95])  # 0.225 behind: more than one std
    row_c, row_a = verdicts([comparable, above], runs)
    assert (row_c.verdict, row_a.verdict) == ("not met", "not met")
    runs[1] = record("r2", "ccm", [0.6, 0.7])
    row_c, row_a = verdicts([comparable, above], runs)
    assert (row_c.verdict, row_a.verdict) == ("met", "met")


def test_time_is_five_times_the_mean_fit_time_per_fold():
    target = Target("t", "claim", "src", "time_at_most", ("data",), value=100.0)
    (row,) = verdicts([target], [record("r", "dualnet", [0.5, 0.5], fit_times=[10.0, 30.0])])
    assert row.ours.startswith("100.0 s (5 × 20.0 s per fold")
    assert (row.verdict, row.difference) == ("met", "+0.0 s")
    assert "2 folds per run (the paper: 5)" in row.note


def test_runs_of_another_profile_are_left_out_and_listed():
    target = Target("t", "claim", "src", "at_least", ("data",), s=(3,), value=0.9)
    (row,) = verdicts([target], [record("r", "dualnet", [0.95], profile="tiny")])
    assert row.verdict == "not run"
    assert row.runs == ["left out, profile=tiny: r (dualnet, seed 0: 0.9500 ± 0.0000)"]
    cells = group_cells([record("r1", "dualnet", [0.9], profile="tiny"),
                         record("r2", "dualnet", [0.5], profile="default")])  # fmt: skip
    assert [c.label for c in cells.values()] == ["dualnet", "dualnet [tiny]"]


def test_seeds_are_pooled_and_config_differences_named():
    a, b = record("a", "dualnet", [0.6, 0.5], seed=0), record("b", "dualnet", [0.7, 0.4], seed=1)
    b.info = {"config": {"seed": 1, "method": {"selector": {"patience": 1000}}}}
    (cell,) = group_cells([a, b]).values()
    assert (cell.mean, cell.std, cell.n_folds) == pytest.approx((0.55, np.sqrt(0.0125), 4))
    assert cell.config_differences() == ["method.selector.patience"]


def test_an_argument_left_out_by_an_older_run_is_no_config_difference():
    a, b = record("a", "dualnet", [0.6], seed=0), record("b", "dualnet", [0.7], seed=1)
    selector = {"_target_": "fir.DualNetSelector", "patience": 600}
    a.info = {"config": {"method": {"selector": selector}}}
    b.info = {"config": {"method": {"selector": {**selector, "finetune_batches": 0}}}}
    (cell,) = group_cells([a, b]).values()
    assert cell.config_differences() == []
    b.info["config"]["method"]["selector"]["finetune_batches"] = 3000
    assert cell.config_differences() == ["method.selector.finetune_batches"]


def test_runs_scored_by_an_estimator_form_their_own_cell():
    own, svm = record("own", "dualnet", [0.98]), record("svm", "dualnet", [0.99], seed=1)
    svm.info = {"config": {"estimator": {"_target_": "fir.baselines.models.make_svm"}}}
    assert svm.method == "dualnet+svm"
    svm.info["choices"] = {"estimator": "rbf"}
    assert svm.method == "dualnet+rbf"
    assert sorted(c.method for c in group_cells([own, svm]).values()) == ["dualnet", "dualnet+rbf"]


def test_unknown_metric_and_target_kind_are_errors():
    with pytest.raises(ValueError, match="metric='auc' is not one of"):
        higher_is_better("auc")
    with pytest.raises(ValueError, match="kind='best' is not one of"):
        Target("k", "claim", "src", "best", ("data",))


def test_fold_curve_averages_the_folds_that_reached_each_batch():
    histories = [{"y": np.array([1.0, 2.0, 3.0, 4.0])}, {"y": np.array([3.0, 4.0])}]
    curve = fold_curve(histories, None, "y")
    assert curve.x.tolist() == [0, 1, 2, 3]
    assert curve.mean.tolist() == [2.0, 3.0, 3.0, 4.0]
    assert curve.std.tolist() == [1.0, 1.0, 0.0, 0.0]
    assert curve.n.tolist() == [2, 2, 1, 1]
    steps = [{"b": np.array([7, 15]), "y": np.array([1.0, 0.0])}, {"b": np.array([15]),
             "y": np.array([2.0])}]  # fmt: skip
    curve = fold_curve(steps, "b", "y")
    assert (curve.x.tolist(), curve.mean.tolist()) == ([7, 15], [1.0, 1.0])


def test_moving_average_skips_nan():
    y = np.array([1.0, 2.0, 3.0, np.nan, 5.0])
    out = moving_average(y, 2)
    np.testing.assert_allclose(out, [1.0, 1.5, 2.5, np.nan, 5.0])


def test_formats_escape_special_characters():
    assert latex_escape("a_b & 5% ± 1") == r"a\_b \& 5\% $\pm$ 1"
    md = markdown_table(pd.DataFrame({"x": ["a|b"], "y": [0.123456], "z": [None]}))
    assert md.splitlines()[2] == r"| a\|b | 0.1235 |  |"


def test_inconsistent_features_csv_is_an_error(tmp_path):
    run = make_run(tmp_path, "r", dataset="d", method="m", s=1, scores=[0.5, 0.5],
                   selected=[[0], [1]], names=["a", "b"])  # fmt: skip
    frame = pd.read_csv(run / "features.csv")
    frame.iloc[:-1].to_csv(run / "features.csv", index=False)
    with pytest.raises(ValueError, match="features.csv has 3 rows for 2 folds; expected"):
        load_run_record(run)
    (run / "summary.json").write_text(json.dumps({"dataset": "d"}))
    with pytest.raises(ValueError, match="summary.json lacks field"):
        load_run_record(run)


def test_image_means_that_do_not_fit_are_noted_not_used(tmp_path):
    run = make_run(tmp_path, "r", dataset="d", method="m", s=1, scores=[0.5],
                   selected=[[0]], names=[f"p{j}" for j in range(9)])  # fmt: skip
    write_image_means(run)  # 4 x 4 = 16 pixels, but the run has 9 features
    record = load_run_record(run)
    assert record.image_means is None
    assert "do not fit 9 features" in record.notes[0]


def test_cell_requires_image_means_for_maps():
    from fir.report.maps import methods_map_figure

    cell = Cell("d", "m", 1, None, [record("r", "m", [0.5])])
    with pytest.raises(ValueError, match="has no image_means.npz"):
        methods_map_figure([cell])


def test_report_maps_carry_an_importance_and_an_overlay_colour_bar(tmp_path):
    """Figures 3, V and VI superimpose a hue on the mean images: its scale is drawn too."""
    from fir.report.maps import folds_map_figure, maps_by_s_figure, methods_map_figure

    cells = []
    for s in (1, 2):
        run = make_run(tmp_path, f"r{s}", dataset="d", method="m", s=s, scores=[0.5, 0.6],
                       selected=[[0, 5][:s], [3, 5][:s]],
                       importances=[list(np.linspace(-1, 1, 16))] * 2)  # fmt: skip
        write_image_means(run)
        cells.append(Cell("d", "m", s, None, [load_run_record(run)]))
    for fig in (methods_map_figure(cells[:1]), folds_map_figure(cells[0]),
                maps_by_s_figure(cells)):  # fmt: skip
        labels = {ax.get_xlabel() or ax.get_ylabel() for ax in fig.axes}
        assert {"normalised importance", "overlay: score / top score"} <= labels


def test_table_v_lists_our_methods_then_the_papers_rows():
    from fir.report.tables import table_v

    cells = list(group_cells([
        record("r1", "dualnet", [0.99, 0.98], dataset="rnaseq", s=49),
        record("r2", "dualnet", [0.5], dataset="rnaseq", s=10),
    ]).values())  # fmt: skip
    data, display = table_v(cells)
    assert data["source"].tolist()[:2] == ["ours: dualnet", "paper Table V [20]"]
    assert data["accuracy_mean"].tolist()[-1] == pytest.approx(0.9938)
    assert display["accuracy"].tolist()[0] == "0.9850 ± 0.0050"
    assert len(data) == 1 + 9
    assert table_v([c for c in cells if c.s != 49]) is None  # no run at s = 49


def test_unreadable_history_is_noted_and_left_out(tmp_path):
    from fir.report.curves import read_histories

    run = make_run(tmp_path, "r", dataset="d", method="m", s=1, scores=[0.5, 0.5],
                   selected=[[0], [1]], names=["a", "b"])  # fmt: skip
    (run / "folds").mkdir()
    (run / "folds" / "fold_00_history.npz").write_bytes(b"not a zip file")
    np.savez(run / "folds" / "fold_01_history.npz", operator_loss=np.ones(3))
    cell = Cell("d", "m", 1, None, [load_run_record(run)])
    histories, notes = read_histories(cell)
    assert histories == []
    assert len(notes) == 2 and "lacks array(s) mopt_loss" in notes[1]


def test_tiny_scores_are_scientific_and_times_stay_in_decimals():
    """An MSE of 5e-18 (a target in nanometres) read '0.0000 ± 0.0000' beside a constant
    predictor's; times and stabilities keep their decimals."""
    tiny = record("a", "dualnet", [4.9e-18, 5.1e-18], metric="mse", fit_times=[0.004, 0.006])
    cells = list(group_cells([tiny]).values())
    shown = main_results(cells, ROOT)[1].iloc[0]
    assert shown["test (mean ± std)"] == "5.000e-18 ± 1.000e-19"
    assert shown["stability (Jaccard)"] == "1.000"
    times = runtime_table(cells)[1].iloc[0]
    assert times["fit s / fold (mean ± std)"] == "0.01 ± 0.00"
