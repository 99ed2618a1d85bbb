"""Cells and runs -> the report's tables, each as CSV (exact numbers), Markdown and LaTeX.

``main_results``: dataset × method × s with the test (and validation) metric mean ± std over
folds, folds, relevant features found, selection stability. ``runs``: one row per run.
``selection_stability`` and ``selection_frequency``: how stable the selections are across folds.
``runtime``: fit time per fold and wall time per run. ``table_v_rnaseq``: supplement Table V.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from fir.report.cells import Cell, mean_std, method_label, missing_scores_note
from fir.report.formats import write_table
from fir.report.paper import TABLE_V_DATASET, TABLE_V_ROWS, TABLE_V_S
from fir.report.runs import RunRecord
from fir.reporting import format_mean_std, format_score

TOP_FREQUENCY_ROWS = 15  # features per cell in the Markdown/LaTeX selection-frequency table


def relative(path: Path, root: Path) -> str:
    """``path`` relative to ``root`` when it lies below it, else as given."""
    try:
        return str(Path(path).relative_to(root))
    except ValueError:
        return str(path)


def main_results(cells: list[Cell], root: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(data, display) of the main results table: one row per cell."""
    rows, shown = [], []
    for c in cells:
        val_mean, val_std = mean_std(c.val_scores)
        found = c.relevant_found()
        rows.append({
            "dataset": c.dataset, "method": c.method, "profile": c.profile, "s": c.s,
            "metric": c.metric, "n_runs": len(c.runs), "seeds": " ".join(map(str, c.seeds)),
            "n_folds": c.n_folds,
            "mean": c.mean, "std": c.std, "val_mean": val_mean, "val_std": val_std,
            "relevant_found_folds": found, "selection_stability": c.stability(),
            "config_differences": " ".join(c.config_differences()),
            "run_dirs": " ".join(relative(r.path, root) for r in c.runs),
            "variant": c.variant,
        })  # fmt: skip
        shown.append({
            "dataset": c.dataset_label, "method": c.label, "s": c.s, "metric": c.metric,
            "test (mean ± std)": format_mean_std(c.mean, c.std),
            "validation (mean ± std)": format_mean_std(val_mean, val_std),
            "folds (runs)": f"{c.n_folds} ({len(c.runs)})",
            "all relevant selected": "n/a" if found is None else f"{found}/{c.n_folds}",
            "stability (Jaccard)": format_score(c.stability(), 3, fixed=True),
            "note": _note(c, root),
        })  # fmt: skip
    return pd.DataFrame(rows), pd.DataFrame(shown)


def runs_table(records: list[RunRecord], root: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(data, display): one row per completed run."""
    rows = []
    for r in sorted(records, key=lambda r: (r.dataset, r.s, r.method, r.seed, str(r.path))):
        val_mean, val_std = mean_std(r.val_scores)
        stability, source = r.stability()
        rows.append({
            "dataset": r.dataset, "method": r.method, "profile": r.profile, "s": r.s,
            "seed": r.seed, "metric": r.metric, "n_folds": r.n_folds,
            "mean": float(r.scores.mean()),
            "std": float(r.scores.std()), "val_mean": val_mean, "val_std": val_std,
            "selection_stability": stability, "stability_source": source,
            "fit_time_mean_s": float(r.fit_times.mean()), "wall_time_s": r.wall_time_s,
            "device": str(r.summary.get("device", "")), "run_dir": relative(r.path, root),
        })  # fmt: skip
    data = pd.DataFrame(rows)
    if data.empty:
        return data, data
    display = data[["dataset", "method", "s", "seed", "metric", "n_folds"]].copy()
    display["method"] = _labels(data)
    display["test (mean ± std)"] = _mean_std_column(data["mean"], data["std"])
    display["fit s / fold"] = data["fit_time_mean_s"].map(lambda v: format_score(v, 2, fixed=True))
    display["wall s"] = data["wall_time_s"].map(lambda v: format_score(v, 1, fixed=True))
    display["run"] = data["run_dir"]
    return data, display


def stability_table(records: list[RunRecord], root: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(data, display): each run's mean pairwise Jaccard index of its folds' selected sets
    (from summary.json, or recomputed from features.csv when absent)."""
    rows = []
    for r in sorted(records, key=lambda r: (r.dataset, r.s, r.method, r.seed, str(r.path))):
        stability, source = r.stability()
        rows.append({
            "dataset": r.dataset, "method": r.method, "profile": r.profile, "s": r.s,
            "seed": r.seed, "n_folds": r.n_folds, "selection_stability": stability,
            "source": source,
            "selected_in_any_fold": int(r.selected.any(axis=0).sum()),
            "selected_in_all_folds": int(r.selected.all(axis=0).sum()),
            "run_dir": relative(r.path, root),
        })  # fmt: skip
    data = pd.DataFrame(rows)
    if data.empty:
        return data, data
    display = data.drop(columns=["run_dir", "profile"]).copy()
    display["method"] = _labels(data)
    display["selection_stability"] = data["selection_stability"].map(
        lambda v: format_score(v, 3, fixed=True)
    )
    return data, display


def selection_frequency(cells: list[Cell]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(data, display): per cell and feature, in how many folds it was selected and its mean
    ± std importance; the display keeps each cell's ``TOP_FREQUENCY_ROWS`` most selected."""
    frames = []
    for c in cells:
        imp, sel = c.importances, c.selected
        stats = [mean_std(col) for col in imp.T]
        frames.append(pd.DataFrame({
            "dataset": c.dataset, "method": c.method, "profile": c.profile, "s": c.s,
            "index": np.arange(imp.shape[1]), "name": c.feature_names,
            "selected_folds": sel.sum(axis=0), "n_folds": c.n_folds,
            "frequency": sel.mean(axis=0),
            "importance_mean": [m for m, _ in stats], "importance_std": [s for _, s in stats],
            "variant": c.variant, "label": c.dataset_label, "shown": c.label,
        }))  # fmt: skip
    data = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    if data.empty:
        return data, data
    ranked = data[data["selected_folds"] > 0].sort_values(
        ["label", "s", "shown", "selected_folds", "importance_mean"],
        ascending=[True, True, True, False, False],
        kind="stable",
    )
    top = ranked.groupby(["label", "shown", "s"], sort=False).head(TOP_FREQUENCY_ROWS)
    display = top[["label", "shown", "s", "name"]].rename(
        columns={"label": "dataset", "shown": "method"}
    )
    display["selected (folds)"] = (
        top["selected_folds"].astype(str) + "/" + top["n_folds"].astype(str)
    )
    display["importance (mean ± std)"] = _mean_std_column(
        top["importance_mean"], top["importance_std"], 3
    )
    return data.drop(columns=["label", "shown"]), display


def runtime_table(cells: list[Cell]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(data, display): fit time per fold (mean ± std over folds), the 5-fold training time
    (sum of a run's fit times, mean over runs) and wall time per run, by cell."""
    rows = []
    for c in cells:
        fit_mean, fit_std = mean_std(c.fit_times)
        rows.append({
            "dataset": c.dataset, "method": c.method, "profile": c.profile, "s": c.s,
            "n_runs": len(c.runs),
            "device": " ".join(sorted({str(r.summary.get("device", "")) for r in c.runs})),
            "fit_time_per_fold_mean_s": fit_mean, "fit_time_per_fold_std_s": fit_std,
            "fit_time_per_run_s": float(np.mean([r.fit_times.sum() for r in c.runs])),
            "wall_time_per_run_s": mean_std(np.array([r.wall_time_s for r in c.runs]))[0],
            "variant": c.variant,
        })  # fmt: skip
    data = pd.DataFrame(rows)
    if data.empty:
        return data, data
    display = data[["dataset", "method", "s", "n_runs", "device"]].copy()
    display["dataset"] = [c.dataset_label for c in cells]  # the CSV: name and variant apart
    display["method"] = [c.label for c in cells]  # the CSV: method and profile apart
    display["fit s / fold (mean ± std)"] = _mean_std_column(
        data["fit_time_per_fold_mean_s"], data["fit_time_per_fold_std_s"], 2, fixed=True
    )
    display["fit s / run"] = data["fit_time_per_run_s"].map(
        lambda v: format_score(v, 1, fixed=True)
    )
    display["wall s / run"] = data["wall_time_per_run_s"].map(
        lambda v: format_score(v, 1, fixed=True)
    )
    return data, display


def table_v(cells: list[Cell]) -> tuple[pd.DataFrame, pd.DataFrame] | None:
    """(data, display) of supplement Table V (RNA-seq, s = 49): our methods, then the
    paper's rows; None when no run of that dataset and s exists."""
    ours = [c for c in cells if c.dataset == TABLE_V_DATASET and c.s == TABLE_V_S]
    if not ours:
        return None
    rows = [{
        "source": f"ours: {c.label}", "samples": c.runs[0].summary.get("n_samples"),
        "features": c.runs[0].summary.get("n_features"), "selected": str(c.s),
        "folds": c.n_folds, "accuracy_mean": c.mean, "accuracy_std": c.std,
    } for c in ours]  # fmt: skip
    rows += [{
        "source": f"paper Table V {ref}", "samples": n, "features": d, "selected": k,
        "folds": None, "accuracy_mean": acc, "accuracy_std": None,
    } for ref, n, d, _, k, _, acc in TABLE_V_ROWS]  # fmt: skip
    data = pd.DataFrame(rows)
    display = data[["source", "samples", "features", "selected"]].copy()
    display["accuracy"] = _mean_std_column(data["accuracy_mean"], data["accuracy_std"])
    return data, display


def write_all_tables(
    cells: list[Cell], records: list[RunRecord], root: Path, out_dir: Path
) -> tuple[list[Path], list[tuple[str, str]]]:
    """Write every table into ``out_dir``; return (paths written, [(table, why skipped)])."""
    written: list[Path] = []
    skipped: list[tuple[str, str]] = []
    specs = [
        ("main_results", "Main results: test metric over folds by dataset, method and s",
         main_results(cells, root)),
        ("runs", "Every completed run", runs_table(records, root)),
        ("selection_stability", "Selection stability: mean pairwise Jaccard index of the "
         "folds' selected sets", stability_table(records, root)),
        ("selection_frequency", "Selection frequency: the most often selected features of "
         "each cell", selection_frequency(cells)),
        ("runtime", "Run time: fit time per fold and wall time per run", runtime_table(cells)),
        ("table_v_rnaseq", f"Supplement Table V: {TABLE_V_DATASET} accuracy at s = {TABLE_V_S}",
         table_v(cells)),
    ]  # fmt: skip
    for stem, caption, frames in specs:
        if frames is None or frames[0].empty:
            absent = f"no run of {TABLE_V_DATASET} at s = {TABLE_V_S}"
            why = absent if frames is None else "no completed run"
            skipped.append((stem, why))
            continue
        written += write_table(frames[0], frames[1], out_dir, stem, caption)
    return written, skipped


def _labels(data: pd.DataFrame) -> list[str]:
    profiles = [p if isinstance(p, str) else None for p in data["profile"]]  # NaN: not recorded
    return [method_label(m, p) for m, p in zip(data["method"], profiles, strict=True)]


def _note(cell: Cell, root: Path) -> str:
    differing = cell.config_differences()
    notes = [f"runs differ in {', '.join(differing)}" if differing else "",
             missing_scores_note(cell, root)]  # fmt: skip
    return "; ".join(n for n in notes if n)


def _mean_std_column(
    means: pd.Series, stds: pd.Series, digits: int = 4, *, fixed: bool = False
) -> list[str]:
    """``mean ± std`` per row; the mean alone where the std is missing. Scores and importances
    as :func:`fir.reporting.format_score` writes them; ``fixed``: always ``digits`` decimals
    (times)."""
    return [
        format_mean_std(m, s, digits, fixed=fixed)
        if pd.notna(s)
        else format_score(m, digits, fixed=fixed)
        for m, s in zip(means, stds, strict=True)
    ]
