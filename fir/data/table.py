"""A user's own table: CSV, TSV, Parquet or NPZ, one row per sample, one target column.

``fir-run dataset=table dataset.path=data.csv dataset.target=label``
"""

from __future__ import annotations

import logging
import re
from pathlib import Path

import numpy as np
import pandas as pd

from fir.data.base import TASKS, Dataset
from fir.data.download import sha256

log = logging.getLogger(__name__)

READERS = {
    ".csv": "csv",
    ".tsv": "tsv",
    ".tab": "tsv",
    ".parquet": "parquet",
    ".pq": "parquet",
    ".npz": "npz",
}
MAX_CLASSES_INFERRED = 20  # an integer target with at most this many values is a class label


def load_table(
    path: str | Path,
    target: str | int,
    features: list[str] | str | int | None = None,
    task: str | None = None,
    n_folds: int = 5,
    standardize: bool = False,
    name: str | None = None,
) -> Dataset:
    """One table as a :class:`Dataset`.

    Parameters
    ----------
    path : a ``.csv``, ``.tsv``/``.tab``, ``.parquet``/``.pq`` or ``.npz`` file (relative to the
        current directory). An NPZ holds 1-D arrays as columns, and/or a 2-D ``X`` whose column
        names are ``feature_names`` when present (else ``X0``, ``X1``, ...).
    target : the target column (a number names a column called that number, e.g. ``3``)
    features : the feature columns (one name, or a list); None takes every other column except
        unnamed ones (``Unnamed: 0``: a saved row index, which can give the label away)
    task : "classification" or "regression"; None infers it (non-numeric targets, and integer
        targets with at most 20 distinct values, are classes)
    n_folds : the protocol's folds (``${n_splits}``): every class needs at least this many rows
    standardize : fit a scaler on each fold's training part
    name : the dataset's name in the results (default: the file's stem)
    """
    file = Path(path).expanduser().resolve()
    if not file.is_file():
        raise FileNotFoundError(
            f"dataset.path={str(path)!r}: no file at {file}. Give the path of your table "
            "(relative to the directory you run fir-run from), e.g. dataset.path=data.csv."
        )
    frame = read_table(file)
    columns = [str(c) for c in frame.columns]
    frame.columns = columns
    target = str(target)  # Hydra reads dataset.target=3 as the integer 3
    if target not in columns:
        raise ValueError(
            f"dataset.target={target!r} is not a column of {file.name}; its columns are "
            f"{_clip(columns)}. Set e.g. dataset.target={columns[-1]}."
        )
    feats = _feature_columns(features, columns, target, file)
    _check_features(feats, columns, target, frame, file)
    X = frame[feats].to_numpy(dtype=np.float64)
    _check_finite(X, file)
    task = infer_task(frame[target]) if task is None else task
    if task not in TASKS:
        raise ValueError(f"dataset.task={task!r} must be one of {TASKS} (or null to infer it).")
    if len(frame) < n_folds:
        raise ValueError(
            f"{file.name} has {len(frame)} rows, fewer than the {n_folds} folds of "
            "cross-validation (n_splits); add rows or lower n_splits."
        )
    y, classes = _target(frame[target], task, file, n_folds)
    return Dataset(
        name=name or file.stem,
        X=X,
        y=y,
        task=task,
        feature_names=feats,
        standardize=standardize,
        provenance={
            "source": "user table",
            "files": [{"path": str(file), "sha256": sha256(file), "url": None, "verified": False}],
            "target": target,
            "classes": classes,
        },
    )


def _clip(items: list, n: int = 20) -> str:
    """``items`` for a message: the first ``n``, and how many there are in all."""
    return str(items) if len(items) <= n else f"{items[:n]}[:{n}] of {len(items)}"


def _feature_columns(
    features: list[str] | str | int | None, columns: list[str], target: str, file: Path
) -> list[str]:
    """The feature columns: those named (one name or a list), else every column but the
    target and unnamed ones (pandas calls a header-less column ``Unnamed: N``; it is usually a
    row index saved by ``DataFrame.to_csv``, and a row index can give the label away)."""
    if features is not None:
        names = [features] if isinstance(features, str | int) else list(features)
        return [str(f) for f in names]
    unnamed = [c for c in columns if re.fullmatch(r"Unnamed: \d+", c) and c != target]
    if unnamed:
        log.warning(
            "%s: left out the unnamed column(s) %s (a saved row index?); list them in "
            "dataset.features to use them as features",
            file.name,
            unnamed,
        )
    return [c for c in columns if c != target and c not in unnamed]


def read_table(file: Path) -> pd.DataFrame:
    """The file as a DataFrame, by its extension."""
    kind = READERS.get(file.suffix.lower())
    if kind is None:
        raise ValueError(
            f"dataset.path={str(file)!r}: unknown file type {file.suffix!r}; use one of "
            f"{sorted(READERS)}."
        )
    if kind in ("csv", "tsv"):
        try:
            return pd.read_csv(file, sep="," if kind == "csv" else "\t")
        except pd.errors.EmptyDataError:
            raise ValueError(
                f"dataset.path={str(file)!r}: the file is empty (no header, no rows); give a "
                "table with a header line and one row per sample."
            ) from None
    if kind == "parquet":
        try:
            return pd.read_parquet(file)
        except ImportError as exc:
            raise ImportError(
                f"reading {file.name} needs a Parquet engine: pip install pyarrow ({exc})"
            ) from exc
    return _read_npz(file)


def _read_npz(file: Path) -> pd.DataFrame:
    try:
        with np.load(file, allow_pickle=False) as npz:
            arrays = {key: npz[key] for key in npz.files}
    except ValueError as exc:  # object arrays need pickle, which a data file must not run
        raise ValueError(
            f"dataset.path={str(file)!r}: {exc}. Save numeric (or string) arrays instead, e.g. "
            "np.savez(path, X=X.astype(float), y=y, feature_names=np.array(names, dtype=str))."
        ) from None
    columns: dict[str, np.ndarray] = {}
    if "X" in arrays and arrays["X"].ndim == 2:
        matrix = arrays.pop("X")
        names = arrays.pop("feature_names", None)
        names = [f"X{j}" for j in range(matrix.shape[1])] if names is None else names
        if len(names) != matrix.shape[1]:
            raise ValueError(
                f"{file.name}: feature_names has {len(names)} names for the "
                f"{matrix.shape[1]} columns of X."
            )
        columns.update({str(n): matrix[:, j] for j, n in enumerate(names)})
    columns.update({k: v for k, v in arrays.items() if v.ndim == 1})
    lengths = {k: len(v) for k, v in columns.items()}
    if not columns or len(set(lengths.values())) != 1:
        raise ValueError(
            f"{file.name}: an NPZ table needs 1-D arrays of one length (or a 2-D 'X'); got "
            f"lengths {lengths}."
        )
    return pd.DataFrame(columns)


def infer_task(target: pd.Series) -> str:
    """Classification for non-numeric or few-valued integer targets, else regression."""
    if not pd.api.types.is_numeric_dtype(target) or pd.api.types.is_bool_dtype(target):
        return "classification"
    values = target.dropna().to_numpy(dtype=np.float64)
    whole = bool(np.all(np.isfinite(values)) and np.all(values == np.round(values)))
    task = (
        "classification"
        if whole and len(np.unique(values)) <= MAX_CLASSES_INFERRED
        else "regression"
    )
    log.info("dataset.task inferred as %s from the target (set dataset.task to override)", task)
    return task


def _check_features(
    feats: list[str], columns: list[str], target: str, frame: pd.DataFrame, file: Path
) -> None:
    missing = [f for f in feats if f not in columns]
    if missing:
        raise ValueError(
            f"dataset.features names columns {missing} that {file.name} lacks; its columns are "
            f"{columns}."
        )
    if target in feats:
        raise ValueError(f"dataset.features includes the target {target!r}; remove it.")
    if not feats:
        raise ValueError(f"{file.name} has no feature column besides the target {target!r}.")
    bad = [f for f in feats if not pd.api.types.is_numeric_dtype(frame[f])]
    if bad:
        raise ValueError(
            f"{file.name}: feature columns {bad} are not numeric. Encode them as numbers, or "
            "leave them out with dataset.features=[...] listing the numeric columns."
        )


def _check_finite(X: np.ndarray, file: Path) -> None:
    bad = ~np.isfinite(X)
    if bad.any():
        first = int(np.flatnonzero(bad.any(axis=1))[0])
        raise ValueError(
            f"{file.name}: the features hold {int(bad.sum())} NaN/inf values (first in data row "
            f"{first}, 0-based); impute or drop them before running."
        )


def _target(
    column: pd.Series, task: str, file: Path, n_folds: int
) -> tuple[np.ndarray, list | None]:
    """y and, for classification, the class labels (y is their index)."""
    if column.isna().any():
        first = int(np.flatnonzero(column.isna().to_numpy())[0])
        raise ValueError(
            f"{file.name}: the target {column.name!r} has {int(column.isna().sum())} missing "
            f"values (first in data row {first}); drop those rows."
        )
    if task == "regression":
        if not pd.api.types.is_numeric_dtype(column):
            raise ValueError(
                f"dataset.task=regression but the target {column.name!r} is not numeric; "
                "use dataset.task=classification."
            )
        y = column.to_numpy(dtype=np.float64)
        if not np.isfinite(y).all():
            raise ValueError(f"{file.name}: the target {column.name!r} holds inf values.")
        return y, None
    classes, y, counts = np.unique(column.to_numpy(), return_inverse=True, return_counts=True)
    if len(classes) < 2:
        raise ValueError(
            f"{file.name}: the target {column.name!r} has {len(classes)} class "
            f"({classes.tolist()}); classification needs at least 2. Check dataset.target."
        )
    small = {str(c): int(n) for c, n in zip(classes, counts, strict=True) if n < n_folds}
    if small:
        items = list(small.items())
        shown = dict(items[:10])
        more = f" (and {len(items) - 10} more)" if len(items) > 10 else ""
        regression = (
            " If the target is a continuous value, use dataset.task=regression."
            if len(classes) > MAX_CLASSES_INFERRED
            else ""
        )
        raise ValueError(
            f"{file.name}: {len(small)} of the {len(classes)} classes of {column.name!r} have "
            f"fewer rows than the {n_folds} folds (n_splits) of stratified cross-validation: "
            f"{shown}{more}; merge or drop them, or lower n_splits.{regression}"
        )
    return y, [c.item() if isinstance(c, np.generic) else c for c in classes]
