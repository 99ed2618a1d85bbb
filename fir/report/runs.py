"""Run directories -> checked ``RunRecord``s, and the runs skipped with their reasons.

A run is any directory holding a ``run.json`` or a ``summary.json``; what it is (dataset, method,
s, seed) comes from those files, never from its path. A run that did not complete, or whose
contract files are missing, unreadable or inconsistent, is skipped and reported, not counted.
Optional files (``image_means.npz``, ``folds/fold_KK_history.npz``) that cannot be read leave
the run in the tables and are noted on the record.
"""

from __future__ import annotations

import logging
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from fir.aggregate import (
    RunFiles,
    SkippedRun,
    find_run_dirs,
    method_label,
    read_contract_csv,
    read_profile,
    read_run,
)
from fir.foldstore import FOLDS_DIR, fold_history_path
from fir.metrics import mean_jaccard
from fir.reporting import FEATURES_CSV, IMAGE_MEANS_NPZ

log = logging.getLogger(__name__)

FEATURE_FIELDS = ("fold", "index", "name", "importance", "selected")
IMAGE_MEANS_FIELDS = ("classes", "means", "image_shape")


@dataclass(frozen=True)
class ImageMeans:
    """Class-mean training images of an image dataset (``image_means.npz``)."""

    classes: np.ndarray  # (n_classes,)
    means: np.ndarray  # (n_classes, height, width)
    image_shape: tuple[int, int]


@dataclass
class RunRecord:
    """One completed run: its contract files, read and checked."""

    path: Path
    info: dict[str, Any]  # run.json
    summary: dict[str, Any]  # summary.json
    folds: pd.DataFrame  # folds.csv
    importances: np.ndarray  # (n_folds, n_features), NaN where the method gives no score
    selected: np.ndarray  # (n_folds, n_features) bool
    feature_names: list[str]
    profile: str | None = None  # the Hydra ``profile`` choice (None when not recorded)
    image_means: ImageMeans | None = None
    history_paths: dict[int, Path] = field(default_factory=dict)  # fold -> npz
    notes: list[str] = field(default_factory=list)  # optional files that could not be read

    @property
    def dataset(self) -> str:
        return str(self.summary["dataset"])

    @property
    def method(self) -> str:
        """The method's name; ``dualnet+svm`` when an ``estimator=`` model scored the folds
        (such runs are not the method's own predictions: they form cells of their own)."""
        return method_label(self.summary, self.info)

    @property
    def s(self) -> int:
        return int(self.summary["s"])

    @property
    def seed(self) -> int:
        return int(self.summary["seed"])

    @property
    def metric(self) -> str:
        return str(self.summary["metric"])

    @property
    def n_folds(self) -> int:
        return int(self.summary["n_folds"])

    @property
    def informative(self) -> list[int] | None:
        value = self.summary.get("informative")
        return None if value is None else [int(j) for j in value]

    @property
    def scores(self) -> np.ndarray:
        """Test metric per fold, shape (n_folds,)."""
        return np.asarray(self.summary["test"]["per_fold"], dtype=float)

    @property
    def val_scores(self) -> np.ndarray:
        """Validation metric per fold (NaN where not recorded), shape (n_folds,)."""
        per_fold = (self.summary.get("validation") or {}).get("per_fold")
        if per_fold is None:
            return np.full(self.n_folds, np.nan)
        return np.array([np.nan if v is None else v for v in per_fold], dtype=float)

    @property
    def fit_times(self) -> np.ndarray:
        """Fit time per fold in seconds, shape (n_folds,)."""
        return self.folds["fit_time_s"].to_numpy(dtype=float)

    @property
    def wall_time_s(self) -> float:
        value = self.info.get("wall_time_s", self.summary.get("wall_time_s"))
        return float("nan") if value is None else float(value)

    def stability(self) -> tuple[float, str]:
        """Mean pairwise Jaccard index of the folds' selections, and where it came from."""
        value = self.summary.get("selection_stability")
        if value is not None and np.isfinite(value):
            return float(value), "summary.json"
        return mean_jaccard([np.flatnonzero(row) for row in self.selected]), FEATURES_CSV


def load_runs(root: Path) -> tuple[list[RunRecord], list[SkippedRun]]:
    """Every run under ``root``: the completed, well-formed ones and the skipped ones."""
    records, skipped = [], []
    for run_dir in find_run_dirs(root):
        try:
            records.append(load_run_record(run_dir))
        except (ValueError, OSError) as exc:  # OSError: a file or folder it may not read
            skipped.append(SkippedRun(run_dir, str(exc)))
            log.warning("skipping %s: %s", run_dir, exc)
    return records, skipped


def load_run_record(run_dir: Path) -> RunRecord:
    """Read and check one run directory; ValueError says what is wrong with it."""
    files = read_run(run_dir)
    n_folds = int(files.summary["n_folds"])
    per_fold = files.summary["test"]["per_fold"]
    if len(per_fold) != n_folds or len(files.folds) != n_folds:
        raise ValueError(
            f"summary.json n_folds={n_folds} but test.per_fold has {len(per_fold)} and "
            f"folds.csv {len(files.folds)} rows"
        )
    if "fit_time_s" not in files.folds.columns:
        raise ValueError("folds.csv lacks column 'fit_time_s'")
    importances, selected, names = _read_features(files, n_folds)
    record = RunRecord(
        path=Path(run_dir),
        info=files.info,
        summary=files.summary,
        folds=files.folds,
        importances=importances,
        selected=selected,
        feature_names=names,
    )
    record.profile = read_profile(record.path, record.info, record.notes)
    record.image_means = _read_image_means(record)
    record.history_paths = _history_paths(record)
    return record


def _read_features(files: RunFiles, n_folds: int) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """(n_folds, d) importances and selections, and the feature names, from features.csv."""
    frame = read_contract_csv(files.path / FEATURES_CSV)
    absent = [c for c in FEATURE_FIELDS if c not in frame.columns]
    if absent:
        raise ValueError(f"{FEATURES_CSV} lacks column(s) {', '.join(absent)}")
    if frame.empty:
        raise ValueError(f"{FEATURES_CSV} has no rows")
    frame = frame.sort_values(["fold", "index"], kind="stable")
    folds = frame["fold"].unique()
    d = int(files.summary.get("n_features") or frame["index"].nunique())
    if len(folds) != n_folds or len(frame) != n_folds * d:
        raise ValueError(
            f"{FEATURES_CSV} has {len(frame)} rows for {len(folds)} folds; expected "
            f"{n_folds} folds x {d} features = {n_folds * d}"
        )
    importances = frame["importance"].to_numpy(dtype=float).reshape(n_folds, d)
    selected = frame["selected"].astype(str).str.lower().isin(["true", "1"]).to_numpy()
    names = frame["name"].astype(str).to_list()[:d]
    return importances, selected.reshape(n_folds, d), names


def _read_image_means(record: RunRecord) -> ImageMeans | None:
    """``image_means.npz`` when present and consistent with the run's features, else None."""
    path = record.path / IMAGE_MEANS_NPZ
    if not path.is_file():
        return None
    try:
        with np.load(path) as npz:
            missing = [k for k in IMAGE_MEANS_FIELDS if k not in npz.files]
            if missing:
                raise ValueError(f"lacks array(s) {', '.join(missing)}")
            shape = tuple(int(v) for v in npz["image_shape"])
            means = np.asarray(npz["means"], dtype=float)
            classes = np.asarray(npz["classes"])
    except (OSError, ValueError, zipfile.BadZipFile) as exc:
        record.notes.append(f"{IMAGE_MEANS_NPZ} unreadable ({exc}): no image maps")
        return None
    d = record.importances.shape[1]
    if len(shape) != 2 or shape[0] * shape[1] != d or means.shape != (len(classes), *shape):
        record.notes.append(
            f"{IMAGE_MEANS_NPZ} image_shape {shape} / means {means.shape} do not fit "
            f"{d} features and {len(classes)} classes: no image maps"
        )
        return None
    return ImageMeans(classes=classes, means=means, image_shape=(shape[0], shape[1]))


def _history_paths(record: RunRecord) -> dict[int, Path]:
    """The training-history file of every fold that has one."""
    folds_dir = record.path / FOLDS_DIR
    paths = {int(k): fold_history_path(folds_dir, int(k)) for k in record.folds["fold"]}
    return {k: p for k, p in paths.items() if p.is_file()}
