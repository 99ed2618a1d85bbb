"""Runs grouped by (dataset, method, s): the unit of every table, figure and verdict.

Several runs of one cell (other seeds, repeated runs) are pooled openly: their folds are put
together, so a cell's mean and std are over all folds of all its runs (``std`` with ``ddof=0``,
as in ``summary.json``), and every run stays listed. Resolved configs that differ between the
pooled runs (beyond seeds, devices and verbosity) are named on the cell. Runs made with another
Hydra ``profile`` (e.g. ``tiny``: other budgets) are never pooled with the others: the profile is
part of a cell's key and shown beside the method name.

A run that *repeats* another of its cell (the same seed, the same split hashes, and the same
per-fold scores, selections and importances: e.g. a learning-curve preset re-running a figure's
point with only its validation logging changed) is counted once: it is kept aside in
``Cell.repeats``, listed, and its fold histories may stand in for the kept run's.

Runs that share a dataset name but not its data (a task and metric, or feature names, that
differ: e.g. two ``data.csv`` files, or one run with ``dataset.exclude``) are never pooled: each
kind is a dataset *variant* of its own, in the cell key and in the label shown for the dataset
(``data (regression)``, ``data (7 features)``, ``data (v3/data.csv)``; ``dataset_variants``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from fir.config import with_target_defaults
from fir.report.runs import ImageMeans, RunRecord

HIGHER_IS_BETTER = {"accuracy": True, "mse": False}
TASKS = {"accuracy": "classification", "mse": "regression"}  # a metric's task, when not recorded
PAPER_PROFILES = (None, "default")  # runs with the paper's budgets (None: not recorded)
# Config keys that may differ between pooled runs without making them different experiments.
POOLABLE_KEYS = {
    "seed", "random_state", "verbose", "device", "n_jobs", "torch_threads", "paths", "resume",
}  # fmt: skip


@dataclass
class Cell:
    """All completed runs of one dataset x method x s (x Hydra profile)."""

    dataset: str
    method: str
    s: int
    profile: str | None
    runs: list[RunRecord]
    repeats: list[tuple[RunRecord, RunRecord]] = field(default_factory=list)  # (repeat, of)
    variant: str = ""  # what sets this dataset's runs apart from others of its name ("": none)

    @property
    def dataset_label(self) -> str:
        """The dataset's name, with its variant when runs of that name differ in their data
        (``data (regression)``)."""
        return f"{self.dataset} ({self.variant})" if self.variant else self.dataset

    @property
    def label(self) -> str:
        """The method's name, with the profile when it is not the paper's (``dfs [tiny]``)."""
        return method_label(self.method, self.profile)

    @property
    def slug(self) -> str:
        """The label for file names: ``dfs`` or ``dfs_tiny``."""
        return self.method if self.paper_budgets else f"{self.method}_{self.profile}"

    @property
    def paper_budgets(self) -> bool:
        """Whether the runs used the default profile (the paper's budgets) or did not say."""
        return self.profile in PAPER_PROFILES

    @property
    def metric(self) -> str:
        return self.runs[0].metric

    @property
    def higher_is_better(self) -> bool:
        return higher_is_better(self.metric)

    @property
    def scores(self) -> np.ndarray:
        """Test metric of every fold of every run, shape (n_folds_total,)."""
        return np.concatenate([r.scores for r in self.runs])

    @property
    def mean(self) -> float:
        return float(self.scores.mean())

    @property
    def std(self) -> float:
        return float(self.scores.std())

    @property
    def n_folds(self) -> int:
        return len(self.scores)

    @property
    def val_scores(self) -> np.ndarray:
        """Finite validation metrics of all folds (empty when none were recorded)."""
        values = np.concatenate([r.val_scores for r in self.runs])
        return values[np.isfinite(values)]

    @property
    def fit_times(self) -> np.ndarray:
        return np.concatenate([r.fit_times for r in self.runs])

    @property
    def seeds(self) -> list[int]:
        return sorted({r.seed for r in self.runs})

    @property
    def informative(self) -> list[int] | None:
        return self.runs[0].informative

    @property
    def importances(self) -> np.ndarray:
        """(n_folds_total, n_features), NaN where the method gives no score."""
        return np.vstack([r.importances for r in self.runs])

    @property
    def selected(self) -> np.ndarray:
        """(n_folds_total, n_features) bool."""
        return np.vstack([r.selected for r in self.runs])

    @property
    def feature_names(self) -> list[str]:
        return self.runs[0].feature_names

    @property
    def image_means(self) -> ImageMeans | None:
        return next((r.image_means for r in self.runs if r.image_means is not None), None)

    def missing_scores(self) -> list[tuple[RunRecord, int]]:
        """(run, fold) of every fold whose test score is missing or not finite (diverged)."""
        return [(r, int(k)) for r in self.runs for k in np.flatnonzero(~np.isfinite(r.scores))]

    def relevant_found(self) -> int | None:
        """Folds in which every known relevant feature was selected (None when unknown)."""
        if not self.informative:
            return None
        return int(self.selected[:, self.informative].all(axis=1).sum())

    def stability(self) -> float:
        """Mean over the runs of each run's selection stability (pairwise Jaccard over folds)."""
        return float(np.mean([r.stability()[0] for r in self.runs]))

    def config_differences(self) -> list[str]:
        """Dotted config keys whose values differ between this cell's runs (and ``fir
        version`` when the runs were made by different versions, whose results may differ)."""
        configs = [_flatten(with_target_defaults(r.info.get("config") or {})) for r in self.runs]
        keys = sorted(set().union(*configs))
        differing = [k for k in keys if len({repr(c.get(k)) for c in configs}) > 1]
        versions = {(r.info.get("versions") or {}).get("fir") for r in self.runs}
        return differing + (["fir version"] if len(versions) > 1 else [])


def missing_scores_note(cell: Cell, root: Path) -> str:
    """A note naming the folds of ``cell`` without a test score (its mean is then n/a), with
    their run directories relative to ``root``; "" when every fold has one."""
    missing = cell.missing_scores()
    if not missing:
        return ""
    runs = [r for k, (r, _) in enumerate(missing) if all(r is not o for o, _ in missing[:k])]
    where = "; ".join(
        f"run {_relative(r.path, root)} fold {', '.join(str(k) for rr, k in missing if rr is r)}"
        for r in runs
    )
    return (
        f"{len(missing)} of {cell.n_folds} folds have no test score (diverged or not "
        f"recorded), so the pooled mean is n/a: {where}"
    )


def _relative(path: Path, root: Path) -> Path:
    try:
        return path.relative_to(root)
    except ValueError:
        return path


def method_label(method: str, profile: str | None) -> str:
    """``method``, with ``[profile]`` appended when the profile is not the paper's."""
    return method if profile in PAPER_PROFILES else f"{method} [{profile}]"


def higher_is_better(metric: str) -> bool:
    """Whether a larger value of ``metric`` is better; ValueError for an unknown metric."""
    if metric not in HIGHER_IS_BETTER:
        raise ValueError(
            f"summary.json metric={metric!r} is not one of {sorted(HIGHER_IS_BETTER)}; "
            "add its direction to fir.report.cells.HIGHER_IS_BETTER."
        )
    return HIGHER_IS_BETTER[metric]


CellKey = tuple[str, str, int, str | None, str]  # dataset, method, s, profile, variant


def group_cells(records: list[RunRecord]) -> dict[CellKey, Cell]:
    """Runs grouped by (dataset, method, s, profile, variant), sorted by dataset, variant, s,
    method, profile; the runs of a cell by seed and path."""
    variants = dataset_variants(records)
    cells: dict[CellKey, Cell] = {}
    for record in sorted(records, key=lambda r: (r.seed, str(r.path))):
        variant = variants[(record.dataset, _signature(record))]
        key = (record.dataset, record.method, record.s, record.profile, variant)
        cell = cells.setdefault(key, Cell(*key[:4], runs=[], variant=variant))
        original = next((r for r in cell.runs if repeats(record, r)), None)
        if original is None:
            cell.runs.append(record)
        else:
            cell.repeats.append((record, original))
    order = sorted(cells, key=lambda k: (k[0], k[4], k[2], k[1], k[3] or ""))
    return {key: cells[key] for key in order}


def _signature(record: RunRecord) -> tuple[str, tuple[str, ...]]:
    """What runs of one dataset name must share to be pooled: the metric (the task) and the
    feature names (their number and order)."""
    return record.metric, tuple(record.feature_names)


def dataset_variants(records: list[RunRecord]) -> dict[tuple[str, tuple], str]:
    """The variant label of each (dataset, signature) of ``records``: "" where a dataset name
    has one signature; else what tells its signatures apart: the task when the metrics differ,
    the number of features when it differs, then the shortest distinct end of the data file's
    path (``dataset.path``), and last ``variant k`` (ordered by their first run directory)."""
    groups: dict[str, dict[tuple, list[RunRecord]]] = {}
    for r in records:
        groups.setdefault(r.dataset, {}).setdefault(_signature(r), []).append(r)
    labels: dict[tuple[str, tuple], str] = {}
    for dataset, by_sig in groups.items():
        sigs = sorted(by_sig, key=lambda sig: min(str(r.path) for r in by_sig[sig]))
        parts: dict[tuple, list[str]] = {sig: [] for sig in sigs}
        if len({_task(by_sig[sig][0]) for sig in sigs}) > 1:
            for sig in sigs:
                parts[sig].append(_task(by_sig[sig][0]))
        if len({len(sig[1]) for sig in sigs}) > 1:
            for sig in sigs:
                parts[sig].append(f"{len(sig[1])} features")
        if len(sigs) > 1 and not _distinct(parts):
            paths = _path_ends([{_data_path(r) for r in by_sig[sig]} for sig in sigs])
            for sig, path in zip(sigs, paths, strict=True):
                parts[sig] += [path] if path else []
        if len(sigs) > 1 and not _distinct(parts):
            for k, sig in enumerate(sigs):
                parts[sig].append(f"variant {k + 1}")
        labels.update({(dataset, sig): ", ".join(parts[sig]) for sig in sigs})
    return labels


def _distinct(parts: dict[tuple, list[str]]) -> bool:
    labels = [", ".join(p) for p in parts.values()]
    return len(set(labels)) == len(labels)


def _task(record: RunRecord) -> str:
    return TASKS.get(record.metric) or str(record.summary.get("task") or record.metric)


def _data_path(record: RunRecord) -> str | None:
    dataset = (record.info.get("config") or {}).get("dataset")
    path = dataset.get("path") if isinstance(dataset, dict) else None
    return None if path is None else str(path)


def _path_ends(paths: list[set[str | None]]) -> list[str]:
    """The shortest end (last components) of each signature's one data path that tells them
    apart; all "" when some signature has no path or several."""
    if any(len(p) != 1 or None in p for p in paths):
        return [""] * len(paths)
    parts = [Path(str(next(iter(p)))).parts for p in paths]
    for n in range(1, max(map(len, parts)) + 1):
        ends = ["/".join(p[-n:]) for p in parts]
        if len(set(ends)) == len(ends):
            return ends
    return [""] * len(paths)


def repeats(run: RunRecord, other: RunRecord) -> bool:
    """Whether ``run`` repeats ``other``: the same seed and split hashes (recorded), and the
    same per-fold scores, selections and importances."""
    split = run.info.get("split_sha256")
    return (
        split is not None
        and split == other.info.get("split_sha256")
        and run.seed == other.seed
        and np.array_equal(run.scores, other.scores, equal_nan=True)
        and np.array_equal(run.selected, other.selected)
        and np.array_equal(run.importances, other.importances, equal_nan=True)
    )


def mean_std(values: np.ndarray) -> tuple[float, float]:
    """(mean, population std) of the finite values; (NaN, NaN) when there are none."""
    values = np.asarray(values, dtype=float)
    values = values[np.isfinite(values)]
    if values.size == 0:
        return float("nan"), float("nan")
    return float(values.mean()), float(values.std())


def _flatten(config: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """Nested config -> {dotted key: value}, leaving out ``POOLABLE_KEYS`` at any depth."""
    flat: dict[str, Any] = {}
    for key, value in config.items():
        if key in POOLABLE_KEYS:
            continue
        if isinstance(value, dict):
            flat.update(_flatten(value, f"{prefix}{key}."))
        else:
            flat[f"{prefix}{key}"] = value
    return flat
