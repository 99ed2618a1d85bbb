"""Fold records -> the run directory's contract files (CSV/JSON). Names live here as constants.

The contract (documented in the README) is read by reports, sweeps and users' scripts: extend it,
never rename or drop a field silently.
"""

from __future__ import annotations

import errno
import json
import os
import tempfile
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

import numpy as np
import pandas as pd

from fir.data.base import Dataset, Split
from fir.evaluation import FoldResult
from fir.metrics import mean_jaccard, metric_name, support_recovery

SUMMARY_JSON = "summary.json"
RUN_JSON = "run.json"
FOLDS_CSV = "folds.csv"
FEATURES_CSV = "features.csv"
SPLITS_NPZ = "splits.npz"
IMAGE_MEANS_NPZ = "image_means.npz"
FIGURES_DIR = "figures"
CONTRACT_VERSION = 1
# a full disk or quota: a run it stopped keeps its completed folds, and resume=true continues it
DISK_FULL_ERRNOS = (errno.ENOSPC, errno.EDQUOT)

FOLDS_COLUMNS = [
    "fold", "score", "metric", "n_selected", "selected", "fit_time_s",
    "n_train", "n_val", "n_test", "tpr", "fdr", "val_score", "wall_time_s",
]  # fmt: skip
FEATURES_COLUMNS = ["fold", "index", "name", "importance", "rank", "selected"]


def atomic_write(path: Path, write: Callable[[IO[bytes]], object]) -> None:
    """Call ``write`` on a temporary file beside ``path``, then rename it over ``path``: readers
    see the old file or the whole new one, never a part (a kill leaves only a ``.tmp`` file)."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            write(fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o644)  # mkstemp's 0600 would hide results from collaborators
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


TEMP_GLOB = ".*.tmp"  # atomic_write's temporary names: .<name>.<random>.tmp


def remove_temp_files(directory: Path) -> list[Path]:
    """Remove the temporary files :func:`atomic_write` left in ``directory`` when a kill cut a
    write short (only the caller may be writing there: a run holds its directory's lock);
    return what was removed."""
    removed = []
    for path in directory.glob(TEMP_GLOB):
        if path.is_file() and not path.is_symlink():
            path.unlink(missing_ok=True)
            removed.append(path)
    return removed


def write_text_atomic(path: Path, text: str) -> None:
    """Write ``text`` (UTF-8) to ``path`` atomically (see :func:`atomic_write`)."""
    atomic_write(path, lambda fh: fh.write(text.encode()))


def write_csv_atomic(path: Path, frame: pd.DataFrame) -> None:
    """Write ``frame`` as CSV (no index) to ``path`` atomically (see :func:`atomic_write`)."""
    atomic_write(path, lambda fh: frame.to_csv(fh, index=False))


def write_npz_atomic(path: Path, arrays: dict[str, Any]) -> None:
    """Write ``arrays`` as a compressed ``.npz`` to ``path`` atomically (:func:`atomic_write`)."""
    atomic_write(path, lambda fh: np.savez_compressed(fh, **arrays))


def write_json_atomic(path: Path, payload: dict[str, Any], indent: int = 2) -> None:
    """Write ``payload`` as JSON to ``path`` atomically (see :func:`atomic_write`); NaN and
    infinities anywhere in it are written as null (:func:`json_safe`)."""
    write_text_atomic(path, dumps_json(payload, indent))


def dumps_json(payload: Any, indent: int = 2) -> str:
    """Strict JSON text of ``payload`` (NaN and infinities as null) with a final newline."""
    return (
        json.dumps(json_safe(payload), indent=indent, default=json_default, allow_nan=False) + "\n"
    )


def json_safe(obj: Any) -> Any:
    """``obj`` with every non-finite float, at any depth, replaced by None: JSON has no NaN or
    Infinity (Python writes them, but ``JSON.parse``, ``jq`` and strict readers reject them)."""
    if isinstance(obj, float | np.floating):
        return float(obj) if np.isfinite(obj) else None
    if isinstance(obj, dict):
        return {k: json_safe(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [json_safe(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return json_safe(obj.tolist())
    return obj


def json_default(obj: Any) -> Any:
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    if isinstance(obj, Path):
        return str(obj)
    raise TypeError(f"not JSON serialisable: {type(obj).__name__}")


def folds_frame(results: list[FoldResult], dataset: Dataset) -> pd.DataFrame:
    """One row per fold."""
    rows = []
    for r in results:
        tpr, fdr = support_recovery(r.selected, dataset.informative)
        rows.append(
            {
                "fold": r.fold,
                "score": r.score,
                "metric": metric_name(dataset.task),
                "n_selected": len(r.selected),
                "selected": " ".join(str(int(i)) for i in r.selected),
                "fit_time_s": r.fit_time_s,
                "n_train": r.n_train,
                "n_val": r.n_val,
                "n_test": r.n_test,
                "tpr": tpr,
                "fdr": fdr,
                "val_score": r.val_score,
                "wall_time_s": r.wall_time_s,
                **r.extra,
            }
        )
    return pd.DataFrame(rows, columns=FOLDS_COLUMNS + sorted({k for r in results for k in r.extra}))


def features_frame(results: list[FoldResult], dataset: Dataset) -> pd.DataFrame:
    """One row per (fold, feature): importance, rank (1 = best) and whether it was selected."""
    d = dataset.n_features
    frames = []
    for r in results:
        selected = np.zeros(d, dtype=bool)
        selected[r.selected] = True
        frames.append(
            pd.DataFrame(
                {
                    "fold": r.fold,
                    "index": np.arange(d),
                    "name": dataset.feature_names,
                    "importance": r.importances,
                    "rank": r.ranking,
                    "selected": selected,
                }
            )
        )
    return pd.concat(frames, ignore_index=True)[FEATURES_COLUMNS]


def summarise(
    results: list[FoldResult], dataset: Dataset, meta: dict[str, Any], wall_time_s: float
) -> dict[str, Any]:
    """``summary.json``: the run's identity, its test metric over folds and per-feature stats.

    ``std`` is the population standard deviation over folds (``ddof=0``).
    """
    scores = np.array([r.score for r in results])
    val_scores = np.array([r.val_score for r in results], dtype=float)
    imp = np.vstack([r.importances for r in results])  # (n_folds, d)
    sel = np.zeros_like(imp, dtype=bool)
    for k, r in enumerate(results):
        sel[k, r.selected] = True
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN columns: methods with no score
        imp_mean, imp_std = np.nanmean(imp, axis=0), np.nanstd(imp, axis=0)
    features = [
        {
            "index": j,
            "name": dataset.feature_names[j],
            "selected_folds": int(sel[:, j].sum()),
            "importance_mean": finite_or_none(imp_mean[j]),
            "importance_std": finite_or_none(imp_std[j]),
        }
        for j in range(dataset.n_features)
    ]
    informative = dataset.informative
    return {
        "contract_version": CONTRACT_VERSION,
        **meta,
        "n_folds": len(results),
        "task": dataset.task,
        "metric": metric_name(dataset.task),
        "test": {
            "mean": float(scores.mean()),
            "std": float(scores.std()),
            "per_fold": scores.tolist(),
        },
        "validation": {  # the same metric on each fold's validation part (null without one)
            "mean": finite_or_none(val_scores.mean()),
            "std": finite_or_none(val_scores.std()),
            "per_fold": [finite_or_none(v) for v in val_scores],
        },
        "n_samples": dataset.n_samples,
        "n_features": dataset.n_features,
        "informative": informative,
        "informative_selected_folds": (
            None if informative is None else {str(j): int(sel[:, j].sum()) for j in informative}
        ),
        "selection_stability": mean_jaccard([r.selected for r in results]),
        "fit_time_s": {
            "mean": float(np.mean([r.fit_time_s for r in results])),
            "total": float(np.sum([r.fit_time_s for r in results])),
        },
        "features": features,
        "wall_time_s": wall_time_s,
    }


def finite_or_none(value: float | None) -> float | None:
    """``value`` as a float, or None for None/NaN/inf (JSON has no NaN)."""
    return None if value is None or not np.isfinite(value) else float(value)


def write_splits(path: Path, splits: list[Split]) -> None:
    """Every fold's train/val/test row indices, as ``fold{k}_{part}`` arrays."""
    arrays = {}
    for k, split in enumerate(splits):
        arrays[f"fold{k}_train"], arrays[f"fold{k}_val"] = split.train, split.val
        arrays[f"fold{k}_test"] = split.test
    write_npz_atomic(path, arrays)


def read_splits(path: Path) -> list[Split]:
    """The folds :func:`write_splits` wrote, in order."""
    with np.load(path) as arrays:
        n_folds = sum(name.endswith("_train") for name in arrays.files)
        return [
            Split(*(arrays[f"fold{k}_{part}"] for part in ("train", "val", "test")))
            for k in range(n_folds)
        ]


def format_score(
    value: float | None,
    digits: int = 4,
    *,
    sign: bool = False,
    like: float | None = None,
    fixed: bool = False,
) -> str:
    """``value`` with ``digits`` decimals, or with ``digits`` significant digits in scientific
    notation where decimals would hide it (non-zero below ``10**-(digits - 1)``: an MSE of
    5e-18 on a target in nanometres) or run long (``1e6`` and over); ``n/a`` when missing or
    not finite. ``like``: choose the notation by this value instead (a difference of two
    scores is written as the scores are); ``fixed``: always decimals (times, stabilities)."""
    if value is None or not np.isfinite(value):
        return "n/a"
    plus = "+" if sign else ""
    scale = abs(value if like is None or not np.isfinite(like) else like)
    if not fixed and scale != 0 and not 10.0 ** -(digits - 1) <= scale < 1e6:
        return f"{value:{plus}.{digits - 1}e}"
    return f"{value:{plus}.{digits}f}"


def format_mean_std(mean: float, std: float, digits: int = 4, *, fixed: bool = False) -> str:
    """``mean ± std`` as :func:`format_score` writes the mean (the std in the mean's notation,
    so the two read alike), or ``n/a`` when the mean is not finite."""
    if mean is None or not np.isfinite(mean):
        return "n/a"
    text = format_score(mean, digits, fixed=fixed)
    if "e" in text and np.isfinite(std):
        return f"{text} ± {std:.{digits - 1}e}"
    return f"{text} ± {std:.{digits}f}"


def results_table(results: list[FoldResult], metric: str) -> str:
    """Plain-text table of per-fold results and mean +- std, for the console."""
    lines = [f"{'fold':>4}  {metric:>9}  {'fit s':>7}  selected"]
    for r in results:
        sel = " ".join(str(int(i)) for i in r.selected)
        score = format_score(r.score)
        lines.append(f"{r.fold:>4}  {score:>9}  {r.fit_time_s:>7.1f}  {_clip(sel, 60)}")
    scores = np.array([r.score for r in results])
    mean, std = format_mean_std(scores.mean(), scores.std()).split(" ± ")
    lines.append(f"{'mean':>4}  {mean:>9}  +- {std} (std over {len(results)} folds)")
    return "\n".join(lines)


def _clip(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 3] + "..."
