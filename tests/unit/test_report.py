"""fir-report on hand-made run directories: tables, figures, verdicts, skipped runs, exit codes.

Every fixture number is chosen so the expected means, stds, Jaccard indices and verdicts can be
computed by hand (the comments show how). Directory names carry no information: the report
must read what a run is from its files.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from fir.report.build import Report, build_report
from fir.report.cli import main

NAN = float("nan")
XOR_NAMES = [f"X{j}" for j in range(8)]


def make_run(
    root: Path,
    name: str,
    *,
    dataset: str,
    method: str,
    s: int,
    scores: list[float],
    selected: list[list[int]],
    importances: list[list[float]] | None = None,
    names: list[str] | None = None,
    seed: int = 0,
    metric: str = "accuracy",
    informative: list[int] | None = None,
    val_scores: list[float] | None = None,
    fit_times: list[float] | None = None,
    status: str = "completed",
    stability: bool = True,
) -> Path:
    """A run directory as fir-run writes it (contract v1 plus the validation block)."""
    run_dir = root / name
    run_dir.mkdir(parents=True)
    n_folds = len(scores)
    d = len(names) if names is not None else len(importances[0])
    names = names or [f"f{j}" for j in range(d)]
    imp = np.full((n_folds, d), NAN) if importances is None else np.array(importances, float)
    sel = np.zeros((n_folds, d), dtype=bool)
    for k, chosen in enumerate(selected):
        sel[k, chosen] = True
    fit_times = fit_times or [1.0] * n_folds
    info = {
        "status": status, "dataset": dataset, "method": method, "s": s, "seed": seed,
        "device": "cpu", "python": "3.11.7", "versions": {"fir": "0.1.0", "torch": "2.13.0"},
        "git": {"commit": "0123456789abcdef", "dirty": False}, "wall_time_s": 30.0,
        "config": {"method": {"name": method, "selector": {"random_state": seed}}, "s": s,
                   "seed": seed, "dataset": {"_target_": f"fir.data.load_{dataset}"}},
    }  # fmt: skip
    (run_dir / "run.json").write_text(json.dumps(info))
    features = [
        {"index": j, "name": names[j], "selected_folds": int(sel[:, j].sum()),
         "importance_mean": None, "importance_std": None}
        for j in range(d)
    ]  # fmt: skip
    summary = {
        "contract_version": 1, "dataset": dataset, "method": method, "s": s, "seed": seed,
        "device": "cpu", "n_folds": n_folds, "task": "classification", "metric": metric,
        "test": {"mean": float(np.mean(scores)), "std": float(np.std(scores)),
                 "per_fold": scores},
        "n_samples": 100, "n_features": d, "informative": informative,
        "fit_time_s": {"mean": float(np.mean(fit_times)), "total": float(np.sum(fit_times))},
        "features": features, "wall_time_s": 30.0,
    }  # fmt: skip
    if val_scores is not None:
        summary["validation"] = {"mean": None, "std": None, "per_fold": val_scores}
    if stability:
        summary["selection_stability"] = 0.123  # a marker: the report must take it as given
    (run_dir / "summary.json").write_text(json.dumps(summary))
    pd.DataFrame({
        "fold": range(n_folds), "score": scores, "metric": metric,
        "n_selected": [len(c) for c in selected],
        "selected": [" ".join(map(str, c)) for c in selected], "fit_time_s": fit_times,
        "n_train": 50, "n_val": 20, "n_test": 30, "tpr": NAN, "fdr": NAN,
    }).to_csv(run_dir / "folds.csv", index=False)  # fmt: skip
    pd.DataFrame({
        "fold": np.repeat(np.arange(n_folds), d), "index": np.tile(np.arange(d), n_folds),
        "name": names * n_folds, "importance": imp.ravel(), "rank": 1,
        "selected": sel.ravel(),
    }).to_csv(run_dir / "features.csv", index=False)  # fmt: skip
    return run_dir


def write_history(run_dir: Path, fold: int, n_batches: int, phase2_start: int) -> None:
    """A dual-net training history: losses falling with the batch index."""
    batches = np.arange(n_batches)
    mopt = np.where(batches >= phase2_start, 0.5 / (1 + batches), NAN)
    val_batch = np.arange(phase2_start, n_batches, 4)
    (run_dir / "folds").mkdir(exist_ok=True)
    n_val = len(val_batch)
    np.savez(
        run_dir / "folds" / f"fold_{fold:02d}_history.npz",
        operator_loss=1.0 / (1 + batches), mopt_loss=mopt,
        selector_batch=np.arange(7, n_batches, 8),
        selector_loss=np.linspace(1, 0.1, n_batches // 8),
        val_batch=val_batch, val_loss=np.full(n_val, NAN), val_mopt_loss=0.6 / (1 + val_batch),
        val_mopt_accuracy=np.linspace(0.5, 0.9, n_val), phase2_start=np.array(phase2_start),
        n_batches=np.array(n_batches), best_batch=np.array(n_batches - 4),
        stopped_early=np.array(True),
    )  # fmt: skip


def write_image_means(run_dir: Path) -> None:
    """Class-mean images of a 4 x 4 two-class image dataset (classes 3 and 8)."""
    means = np.stack([np.eye(4), np.fliplr(np.eye(4))])
    np.savez(run_dir / "image_means.npz", classes=np.array([3, 8]), means=means,
             image_shape=np.array([4, 4]))  # fmt: skip


XOR_DUALNET_IMP = [
    [0.5, 0.4, 0.3, -0.1, -0.2, -0.3, -0.3, -0.4],
    [0.3, 0.4, 0.5, -0.3, -0.2, 0.1, -0.1, -0.2],
]  # irrelevant X3..X7 have means -0.2, -0.2, -0.1, -0.2, -0.3: all negative


@pytest.fixture(scope="module")
def runs_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two methods on a synthetic dataset (two seeds of one), an image dataset, runs at two
    values of s, histories, and four runs that must be skipped. Built once: tests only read."""
    root = tmp_path_factory.mktemp("report") / "runs"
    xor = {"dataset": "xor", "s": 5, "names": XOR_NAMES, "informative": [0, 1, 2]}
    r = make_run(root, "a", method="dualnet", scores=[0.6, 0.5], seed=0, **xor,
                 selected=[[0, 1, 2, 3, 4], [0, 1, 2, 5, 6]], importances=XOR_DUALNET_IMP,
                 val_scores=[0.58, 0.52], fit_times=[10.0, 12.0], stability=False)  # fmt: skip
    write_history(r, 0, n_batches=40, phase2_start=16)
    write_history(r, 1, n_batches=32, phase2_start=16)
    make_run(root, "multirun/0", method="dualnet", scores=[0.7, 0.4], seed=1, **xor,
             selected=[[0, 1, 2, 3, 4]] * 2, importances=XOR_DUALNET_IMP,
             fit_times=[11.0, 13.0], stability=False)  # fmt: skip
    make_run(root, "multirun/1", method="ccm", scores=[0.4, 0.5], **xor,
             selected=[[0, 1, 3, 4, 5], [0, 1, 2, 3, 4]], stability=False)  # fmt: skip
    reg = {"dataset": "regression", "s": 5, "metric": "mse", "informative": [0, 1, 2, 3],
           "names": [f"X{j}" for j in range(6)]}  # fmt: skip
    make_run(root, "b", method="dualnet", scores=[1.9, 1.7], selected=[[0, 1, 2, 3, 4]] * 2,
             importances=[[0.4, 0.3, 0.2, 0.1, -0.1, -0.2]] * 2, **reg)  # fmt: skip
    make_run(root, "c", method="ccm", scores=[1.5, 1.7], selected=[[0, 1, 2, 3, 5]] * 2, **reg)
    image = {"dataset": "mnist38", "s": 3, "names": [f"px{j}" for j in range(16)]}
    for name, method, scores in (("d", "dualnet", [0.99, 0.995]),
                                 ("e", "random_forest", [0.98, 0.99])):  # fmt: skip
        run = make_run(root, name, method=method, scores=scores, **image,
                       selected=[[0, 5, 10], [0, 5, 15]],
                       importances=[np.linspace(1, -1, 16).tolist()] * 2)  # fmt: skip
        write_image_means(run)
    glass = {"dataset": "glass", "names": ["Id", "RI", "Na", "Mg", "Al"]}
    glass_runs = [("f", "dualnet", 2, [0.8, 0.9]), ("g", "dualnet", 4, [0.9, 1.0]),
                  ("h", "rfe", 2, [0.6, 0.7]), ("i", "rfe", 4, [0.7, 0.8])]  # fmt: skip
    for name, method, s, scores in glass_runs:
        make_run(root, name, method=method, s=s, scores=scores, **glass,
                 selected=[list(range(s))] * 2,
                 importances=[[0.5, 0.4, 0.3, 0.2, 0.1]] * 2)  # fmt: skip
    # A run with the tiny profile (other budgets): in the tables, left out of the verdicts.
    tiny = make_run(root, "n", method="dfs", scores=[0.9, 0.9], **xor,
                    selected=[[0, 1, 2, 3, 4]] * 2, importances=XOR_DUALNET_IMP)  # fmt: skip
    (tiny / ".hydra").mkdir()
    (tiny / ".hydra" / "hydra.yaml").write_text(
        "hydra:\n  runtime:\n    choices:\n      profile: tiny\n      method: dfs\n"
    )
    # To be skipped: a failed run with every file (its scores must not count), a half-written
    # run, a run with invalid JSON, and a summary without run.json.
    make_run(root, "j", method="dualnet", scores=[0.1, 0.1], status="failed", **xor,
             selected=[[0, 1, 2, 3, 4]] * 2, importances=XOR_DUALNET_IMP)  # fmt: skip
    half = root / "k"
    half.mkdir()
    (half / "run.json").write_text(json.dumps({"status": "running", "dataset": "xor"}))
    bad = make_run(root, "l", method="dualnet", scores=[0.9, 0.9], **xor,
                   selected=[[0, 1, 2, 3, 4]] * 2, importances=XOR_DUALNET_IMP)  # fmt: skip
    (bad / "summary.json").write_text('{"dataset": "xor", ')
    orphan = make_run(root, "m", method="dualnet", scores=[0.9, 0.9], **xor,
                      selected=[[0, 1, 2, 3, 4]] * 2, importances=XOR_DUALNET_IMP)  # fmt: skip
    (orphan / "run.json").unlink()
    return root


@pytest.fixture(scope="module")
def report(runs_dir: Path) -> Report:
    return build_report(runs_dir, runs_dir.parent / "out")


def _row(frame: pd.DataFrame, **where) -> pd.Series:
    mask = np.ones(len(frame), dtype=bool)
    for key, value in where.items():
        mask &= frame[key] == value
    assert mask.sum() == 1, f"{mask.sum()} rows match {where}"
    return frame[mask].iloc[0]


def test_skipped_runs_are_reported_and_not_counted(report, runs_dir):
    assert len(report.records) == 12
    reasons = {p.path.name: p.reason for p in report.skipped_runs}
    assert set(reasons) == {"j", "k", "l", "m"}
    assert "status is 'failed'" in reasons["j"]
    assert "status is 'running'" in reasons["k"]
    assert "unreadable contract file summary.json" in reasons["l"]
    assert "missing run.json" in reasons["m"]
    skipped = pd.read_csv(report.out_dir / "skipped.csv")
    assert sorted(skipped["run_dir"]) == ["j", "k", "l", "m"]
    index = (report.out_dir / "report.md").read_text()
    assert "12 completed and reported, 4 skipped" in index
    assert "`k`: run.json status is 'running'" in index


def test_main_results_pool_seeds_and_compute_stability(report):
    table = pd.read_csv(report.out_dir / "tables" / "main_results.csv")
    dual = _row(table, dataset="xor", method="dualnet")
    # folds 0.6, 0.5 (seed 0) and 0.7, 0.4 (seed 1): mean 0.55, std sqrt(0.0125)
    assert dual["n_runs"] == 2 and dual["n_folds"] == 4 and dual["seeds"] == "0 1"
    assert dual["mean"] == pytest.approx(0.55)
    assert dual["std"] == pytest.approx(np.sqrt(0.0125))
    assert dual["val_mean"] == pytest.approx(0.55) and dual["val_std"] == pytest.approx(0.03)
    assert dual["relevant_found_folds"] == 4
    # Jaccard: seed 0 {0..4} vs {0,1,2,5,6} = 3/7; seed 1 the same set twice = 1
    assert dual["selection_stability"] == pytest.approx((3 / 7 + 1) / 2)
    ccm = _row(table, dataset="xor", method="ccm")
    assert (ccm["mean"], ccm["std"]) == pytest.approx((0.45, 0.05))
    assert ccm["relevant_found_folds"] == 1  # fold 0 misses X2
    assert ccm["selection_stability"] == pytest.approx(4 / 6)
    tiny = _row(table, dataset="xor", method="dfs")
    assert (tiny["profile"], tiny["mean"]) == ("tiny", pytest.approx(0.9))
    glass = _row(table, dataset="glass", method="rfe", s=4)
    assert (glass["mean"], glass["std"]) == pytest.approx((0.75, 0.05))
    assert np.isnan(glass["relevant_found_folds"])
    md = (report.out_dir / "tables" / "main_results.md").read_text()
    assert (
        "| xor | dualnet | 5 | accuracy | 0.5500 ± 0.1118 | 0.5500 ± 0.0300 | 4 (2) | 4/4 |" in md
    )
    tex = (report.out_dir / "tables" / "main_results.tex").read_text()
    assert r"0.5500 $\pm$ 0.1118" in tex and r"\toprule" in tex


def test_stability_frequency_and_runtime_tables(report):
    tables = report.out_dir / "tables"
    stability = pd.read_csv(tables / "selection_stability.csv")
    seed0 = _row(stability, dataset="xor", method="dualnet", seed=0)
    assert seed0["selection_stability"] == pytest.approx(3 / 7)
    assert seed0["source"] == "features.csv"  # summary.json had none: recomputed
    given = _row(stability, dataset="regression", method="dualnet")
    assert given["selection_stability"] == pytest.approx(0.123)
    assert given["source"] == "summary.json"
    freq = pd.read_csv(tables / "selection_frequency.csv")
    x3 = _row(freq, dataset="xor", method="dualnet", name="X3")
    assert (x3["selected_folds"], x3["n_folds"], x3["frequency"]) == (3, 4, 0.75)
    assert x3["importance_mean"] == pytest.approx(-0.2)
    assert x3["importance_std"] == pytest.approx(0.1)
    runtime = pd.read_csv(tables / "runtime.csv")
    dual = _row(runtime, dataset="xor", method="dualnet")
    # fit times 10, 12 (seed 0) and 11, 13 (seed 1)
    assert dual["fit_time_per_fold_mean_s"] == pytest.approx(11.5)
    assert dual["fit_time_per_fold_std_s"] == pytest.approx(np.sqrt(1.25))
    assert dual["fit_time_per_run_s"] == pytest.approx(23.0)
    assert dual["wall_time_per_run_s"] == pytest.approx(30.0)
    # the CSVs name the method and its profile apart, as main_results.csv does ("dfs [tiny]"
    # is for the eye: Markdown and LaTeX)
    for frame in (runtime, freq):
        tiny = frame[frame["method"].str.startswith("dfs")]
        assert set(zip(tiny["method"], tiny["profile"], strict=True)) == {("dfs", "tiny")}
    assert "| dfs [tiny] |" in (tables / "runtime.md").read_text()
    assert "| dfs [tiny] |" in (tables / "selection_frequency.md").read_text()
    assert ("table_v_rnaseq", "no run of rnaseq at s = 49") in report.tables_skipped
    assert not (tables / "table_v_rnaseq.csv").exists()


def test_figures_written_and_skipped(report):
    figures = report.out_dir / "figures"
    expected = [
        "fig2_xor_s5", "fig2_regression_s5", "fig3_mnist38_s3_maps",
        "figV_mnist38_dualnet_s3_fold_maps", "figV_mnist38_random_forest_s3_fold_maps",
        "fig4_metric_vs_s", "importance_glass_s2_named", "importance_glass_s4_named",
        "importance_glass_dualnet_importance_by_s", "importance_glass_rfe_importance_by_s",
        "figII_xor_dualnet_learning_curves",
    ]  # fmt: skip
    for stem in expected:
        for ext in ("png", "pdf"):
            assert (figures / f"{stem}.{ext}").stat().st_size > 1000, f"{stem}.{ext}"
    assert len(list(figures.glob("*.png"))) == len(expected)
    # glass is not enhancer-promoter: its named-feature figures are not the paper's Figure 5
    skipped = [paper for paper, _ in report.figures_skipped]
    assert skipped == ["Figure VI", "Figures 5, IX", "Figure X"]
    index = (report.out_dir / "report.md").read_text()
    assert "Figure VI: no image dataset run by one method at two or more values of s" in index
    assert "- Named-feature importance (no paper figure): glass, s = 2:" in index
    assert "- Figures 5, IX: no run of enhancer-promoter" in index


def _verdicts(report) -> pd.DataFrame:
    return pd.read_csv(report.out_dir / "reproduction.csv", keep_default_na=False)


def test_reproduction_verdicts(report):
    rows = _verdicts(report)

    def verdict(claim_start: str, dataset: str) -> pd.Series:
        return _row(rows[rows["claim (paper)"].str.startswith(claim_start)], dataset=dataset)

    relevant = verdict("xor: the relevant features", "xor")
    assert relevant["verdict"] == "met"
    assert relevant["ours (mean ± std over folds)"].startswith("4/4 folds")
    assert "2 runs pooled (seeds 0, 1)" in relevant["note"]
    assert "2 folds per run (the paper: 5)" in relevant["note"]
    irrelevant = verdict("xor: irrelevant features", "xor")
    assert irrelevant["verdict"] == "met"
    assert "5/5 irrelevant < 0 (max -0.100" in irrelevant["ours (mean ± std over folds)"]
    best = verdict("xor: best accuracy", "xor")
    assert best["verdict"] == "partial"  # best of the 2 methods run, not of the paper's 10
    assert best["note"].startswith("2 of the claim's 10 methods run")
    assert best["difference"] == "+0.1000 vs ccm"
    assert "a (dualnet, seed 0: 0.5500 ± 0.0500)" in best["runs"]
    assert "multirun/0 (dualnet, seed 1: 0.5500 ± 0.1500)" in best["runs"]
    # dfs (0.9) ran with the tiny profile: listed, but not ranked
    assert "left out, profile=tiny: n (dfs, seed 0: 0.9000 ± 0.0000)" in best["runs"]
    assert best["ours (mean ± std over folds)"].startswith("rank 1 of 2 run: dualnet")
    # MSE: lower is better, so 1.8 (dualnet) ranks behind 1.6 (ccm)
    assert verdict("regression: best MSE", "regression")["verdict"] == "not met"
    assert verdict("regression: the relevant", "regression")["verdict"] == "met"
    rf = verdict("MNIST: RF", "mnist38")
    assert (rf["verdict"], rf["s"], rf["difference"]) == ("not met", "3", "-0.0034")
    mnist = verdict("MNIST 3 vs 8", "mnist38")
    assert mnist["verdict"] == "not run" and "no dualnet run at s = 85" in mnist["note"]
    glass = verdict("glass (ID kept)", "glass")
    assert glass["verdict"] == "met" and glass["s"] == "2, 4"
    assert glass["ours (mean ± std over folds)"] == "best over s: 0.9500 ± 0.0500 at s = 4"
    assert verdict("RNA-seq", "rnaseq")["verdict"] == "not run"
    assert verdict("binary: the relevant", "binary")["verdict"] == "not run"
    counts = rows["verdict"].value_counts()
    assert (counts["met"], counts["partial"], counts["not met"]) == (5, 1, 2)
    md = (report.out_dir / "REPRODUCTION.md").read_text()
    assert "**5 met, 1 partial, 2 not met," in md
    assert "- `partial`: the check passed on the runs present, but fewer methods" in md
    assert "| 3.11.7 | 2.13.0 | 0.1.0 | cpu | not recorded | 0123456789 | 12 |" in md


def image_runs_at_two_values_of_s(root: Path) -> None:
    image = {"dataset": "yale", "method": "dualnet", "names": [f"px{j}" for j in range(16)]}
    for s in (3, 6):
        run = make_run(root, f"r{s}", s=s, scores=[0.5, 0.6], selected=[list(range(s))] * 2,
                       importances=[np.arange(16.0).tolist()] * 2, **image)  # fmt: skip
        write_image_means(run)


def test_figure_vi_from_image_runs_at_two_values_of_s(tmp_path):
    image_runs_at_two_values_of_s(tmp_path / "runs")
    report = build_report(tmp_path / "runs", tmp_path / "out")
    assert (tmp_path / "out" / "figures" / "figVI_yale_dualnet_maps_by_s.png").is_file()
    assert (tmp_path / "out" / "figures" / "fig4_metric_vs_s.png").is_file()
    assert "Figure VI" not in [paper for paper, _ in report.figures_skipped]


def _set_split(run: Path, split: str | None) -> None:
    info = json.loads((run / "run.json").read_text())
    info["split_sha256"] = split
    (run / "run.json").write_text(json.dumps(info))


def test_a_repeated_run_is_counted_once(tmp_path):
    """Two runs with the same seed, splits and results (a learning-curve preset re-running a
    figure's point with val_masks=all) pool as one run; the repeat is listed and its
    all-mask validation history is the one drawn. A different seed, or an unrecorded split,
    is pooled as before."""
    xor = {"dataset": "xor", "method": "dualnet", "s": 5, "names": XOR_NAMES,
           "informative": [0, 1, 2], "selected": [[0, 1, 2, 3, 4], [0, 1, 3, 4, 5]],
           "importances": XOR_DUALNET_IMP}  # fmt: skip
    runs = tmp_path / "runs"
    first = make_run(runs, "fig2/xor", scores=[0.6, 0.5], **xor)
    again = make_run(runs, "learning_curves/xor", scores=[0.6, 0.5], **xor)
    other = make_run(runs, "seed1/xor", scores=[0.6, 0.5], seed=1, **xor)
    for run in (first, again, other):
        _set_split(run, "ab" * 32)
        for fold in (0, 1):
            write_history(run, fold, n_batches=64, phase2_start=32)
    with np.load(again / "folds" / "fold_01_history.npz") as npz:  # all-mask validation here
        arrays = {k: npz[k] for k in npz.files}
    arrays["val_loss"] = np.full_like(arrays["val_loss"], 0.25)
    np.savez(again / "folds" / "fold_01_history.npz", **arrays)

    from fir.report.cells import group_cells
    from fir.report.curves import read_histories
    from fir.report.runs import load_runs

    records = load_runs(runs)[0]
    (cell,) = group_cells(records).values()
    assert [r.path.parent.name for r in cell.runs] == ["fig2", "seed1"]
    assert [(r.path.parent.name, of.path.parent.name) for r, of in cell.repeats] == [
        ("learning_curves", "fig2")
    ]
    assert cell.n_folds == 4
    histories, notes = read_histories(cell)
    assert len(histories) == 4 and not notes
    assert np.isfinite(histories[1]["val_loss"]).all()  # the repeat's fold 1 stands in
    assert np.isnan(histories[0]["val_loss"]).all()

    report = build_report(runs, tmp_path / "out")
    row = _row(_verdicts(report)[lambda f: f["claim (paper)"].str.startswith("xor: the rel")],
               dataset="xor")  # fmt: skip
    assert "1 run(s) repeat a listed run (same seed, splits and results)" in row["note"]
    assert "repeat of fig2/xor, counted once: learning_curves/xor" in row["runs"]
    assert row["ours (mean ± std over folds)"].startswith("2/4 folds")  # not 3/6
    # without recorded splits nothing is taken for a repeat
    _set_split(first, None)
    _set_split(again, None)
    (cell,) = group_cells(load_runs(runs)[0]).values()
    assert len(cell.runs) == 3 and not cell.repeats


def test_cli_exit_codes(tmp_path, capsys):
    empty = tmp_path / "empty"
    empty.mkdir()
    assert main([str(empty)]) == 2
    assert "holds no run" in capsys.readouterr().err
    assert main([str(tmp_path / "missing")]) == 2
    assert "is not a directory" in capsys.readouterr().err
    with pytest.raises(SystemExit) as usage:  # a profile that does not exist
        main([str(empty), "--budget", "fast"])
    assert usage.value.code == 2
    err = capsys.readouterr().err
    assert "invalid choice: 'fast'" in err and "quick" in err
    runs = tmp_path / "runs"
    (runs / "x").mkdir(parents=True)
    (runs / "x" / "run.json").write_text("{not json")
    assert main([str(runs)]) == 1  # runs found, none reportable: the report says why
    assert pd.read_csv(runs / "report" / "skipped.csv")["run_dir"].tolist() == ["x"]
    assert "0 completed, 1 skipped" in capsys.readouterr().err
    make_run(runs, "y", dataset="glass", method="rfe", s=2, scores=[0.5, 0.7],
             selected=[[0, 1], [0, 2]], names=["Id", "RI", "Na"])  # fmt: skip
    assert main([str(runs), "--out", str(tmp_path / "out")]) == 0
    err = capsys.readouterr().err
    assert "2 runs found" in err and "1 completed, 1 skipped" in err
    assert "REPRODUCTION.md (0 met, 0 partial, 0 not met)" in err
    main_results = pd.read_csv(tmp_path / "out" / "tables" / "main_results.csv")
    assert main_results[["mean", "std"]].values.tolist() == [pytest.approx([0.6, 0.1])]
    assert main([str(runs), "-q"]) == 0  # warnings only: the skipped run
    err = capsys.readouterr().err
    assert "INFO" not in err and "WARNING fir.report.runs: skipping" in err


def test_verdicts_at_another_budget_use_only_that_profiles_runs(report, runs_dir, tmp_path):
    paper = report
    report = build_report(runs_dir, tmp_path / "out", budget="tiny")
    rows = _verdicts(report)
    relevant = _row(rows[rows["claim (paper)"].str.startswith("xor: the relevant")], dataset="xor")
    # The only tiny-profile run is dfs: the dual-net's claims have no run at this budget.
    assert relevant["verdict"] == "not run"
    md = (report.out_dir / "REPRODUCTION.md").read_text()
    assert "**Budget: `profile=tiny`** (reduced" in md
    assert "**Budget: the paper's**" in (paper.out_dir / "REPRODUCTION.md").read_text()


def test_a_cell_that_pools_different_configs_is_a_warning(tmp_path, caplog):
    for name, seed, patience in (("a", 0, 600), ("b", 1, 2000)):
        run_dir = make_run(tmp_path / "runs", name, dataset="glass", method="dualnet", s=2,
                           scores=[0.5, 0.7], selected=[[0, 1], [0, 2]], seed=seed,
                           names=["Id", "RI", "Na"])  # fmt: skip
        info = json.loads((run_dir / "run.json").read_text())
        info["config"]["method"]["selector"]["patience"] = patience
        (run_dir / "run.json").write_text(json.dumps(info))
    with caplog.at_level("WARNING", logger="fir.report"):
        build_report(tmp_path / "runs", tmp_path / "out")
    assert "glass / dualnet / s=2 pools 2 runs whose configs differ in " in caplog.text
    assert "method.selector.patience" in caplog.text


def test_a_report_written_again_into_its_folder_leaves_no_stale_file(tmp_path):
    image_runs_at_two_values_of_s(tmp_path / "runs")
    out = tmp_path / "out"
    build_report(tmp_path / "runs", out)
    stale = out / "figures" / "figVI_yale_dualnet_maps_by_s.png"
    assert stale.is_file()
    (out / "notes.txt").write_text("mine")  # a file the report did not write is kept
    shutil.rmtree(tmp_path / "runs" / "r6")  # one s left: no Figure VI any more
    report = build_report(tmp_path / "runs", out)
    assert not stale.is_file()
    assert (out / "notes.txt").read_text() == "mine"
    written = {*report.tables, *report.documents, *(p for f in report.figures for p in f.paths)}
    on_disk = {p for p in out.rglob("*") if p.is_file()} - {out / "notes.txt"}
    assert on_disk - written == {out / ".fir-report-files"}


def test_a_value_a_run_did_not_record_reads_n_a_in_the_markdown_tables(tmp_path):
    xor = {"dataset": "xor", "method": "dualnet", "s": 2, "names": ["X0", "X1", "X2"]}
    run = make_run(tmp_path / "runs", "xor", scores=[0.6, 0.5], selected=[[0, 1], [0, 1]], **xor)
    for name in ("run.json", "summary.json"):  # a run written before wall times were recorded
        info = json.loads((run / name).read_text())
        del info["wall_time_s"]
        (run / name).write_text(json.dumps(info))
    tables = build_report(tmp_path / "runs", tmp_path / "out").out_dir / "tables"
    runs_md = (tables / "runs.md").read_text()
    runtime_md = (tables / "runtime.md").read_text()
    assert "nan" not in runs_md + runtime_md
    assert "| n/a |" in runs_md and "| n/a |" in runtime_md


def test_a_cell_pooling_runs_of_two_fir_versions_says_so(tmp_path):
    from fir.report.cells import group_cells
    from fir.report.runs import load_runs

    xor = {"dataset": "xor", "method": "dualnet", "s": 2, "names": ["X0", "X1", "X2"]}
    make_run(tmp_path, "a", scores=[0.6, 0.5], selected=[[0, 1], [0, 1]], **xor)
    newer = make_run(tmp_path, "b", seed=1, scores=[0.6, 0.5], selected=[[0, 1], [0, 1]], **xor)
    (cell,) = group_cells(load_runs(tmp_path)[0]).values()
    assert "fir version" not in cell.config_differences()
    info = json.loads((newer / "run.json").read_text())
    info["versions"]["fir"] = "0.2.0"
    (newer / "run.json").write_text(json.dumps(info))
    (cell,) = group_cells(load_runs(tmp_path)[0]).values()
    assert cell.config_differences()[-1] == "fir version"
