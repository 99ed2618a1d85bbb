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
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from fir.config import with_target_defaults
from fir.report.runs import ImageMeans, RunRecord

HIGHER_IS_BETTER = {"accuracy": True, "mse": False}
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


def group_cells(records: list[RunRecord]) -> dict[tuple[str, str, int, str | None], Cell]:
    """Runs grouped by (dataset, method, s, profile), sorted by dataset, s, method, profile;
    the runs of a cell by seed and path."""
    cells: dict[tuple[str, str, int, str | None], Cell] = {}
    for record in sorted(records, key=lambda r: (r.seed, str(r.path))):
        key = (record.dataset, record.method, record.s, record.profile)
        cell = cells.setdefault(key, Cell(*key, runs=[]))
        original = next((r for r in cell.runs if repeats(record, r)), None)
        if original is None:
            cell.runs.append(record)
        else:
            cell.repeats.append((record, original))
    order = sorted(cells, key=lambda k: (k[0], k[2], k[1], k[3] or ""))
    return {key: cells[key] for key in order}


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


def format_number(value: float | None, digits: int) -> str:
    """``value`` with ``digits`` decimals, or ``n/a`` when it is missing or not finite."""
    if value is None or not np.isfinite(value):
        return "n/a"
    return f"{value:.{digits}f}"


def format_mean_std(mean: float, std: float, digits: int = 4) -> str:
    """``mean ± std`` with ``digits`` decimals, or ``n/a`` when the mean is not finite."""
    if not np.isfinite(mean):
        return "n/a"
    return f"{mean:.{digits}f} ± {std:.{digits}f}"


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
