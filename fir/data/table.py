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
from fir.data.tablefile import clip, looks_headerless, read_table, repeated_names

log = logging.getLogger(__name__)

MAX_CLASSES_INFERRED = 20  # an integer target with at most this many values is a class label


def load_table(
    path: str | Path,
    target: str | int,
    features: list[str] | str | int | None = None,
    exclude: list[str] | str | int | None = None,
    task: str | None = None,
    n_folds: int = 5,
    standardize: bool = True,
    name: str | None = None,
) -> Dataset:
    """One table as a :class:`Dataset`.

    Parameters
    ----------
    path : a ``.csv``, ``.tsv``/``.tab``, ``.parquet``/``.pq`` or ``.npz`` file (a relative path
        is taken from the current directory). CSV and TSV: UTF-8, a header line, gzipped or
        not (``.csv.gz``). An NPZ holds 1-D (or one-column 2-D) arrays as
        columns, and/or a 2-D ``X`` whose column names are ``feature_names`` when present (else
        ``X0``, ``X1``, ...).
    target : the target column (a number names a column called that number, e.g. ``3``)
    features : the feature columns (one name, or a list); None takes every other column except
        unnamed ones (``Unnamed: 0``: a saved row index, which can give the label away)
    exclude : columns to leave out (one name, or a list), e.g. a sample ID; they are dropped
        before the features are chosen, so a column may not be in both lists
    task : "classification" or "regression"; None infers it (non-numeric targets, and integer
        targets with at most 20 distinct values, are classes)
    n_folds : the protocol's folds (``${n_splits}``): every class needs at least this many rows
    standardize : fit a scaler on each fold's training part (default: a table's columns are
        often in different units, which the MLPs, the RBF kernels and the L1 penalties all
        read as importance; false keeps values as they are, e.g. pixels in [0, 1])
    name : the dataset's name in the results (default: the file's stem)
    """
    file = _existing_file(path)
    frame = read_table(file)
    columns = [str(c) for c in frame.columns]
    repeated = repeated_names(columns)
    if repeated:
        raise ValueError(
            f"{file.name}: the column names {clip(repeated)} occur more than once (as read: "
            "numbers and their text are one name); give every column its own name."
        )
    frame.columns = columns
    target = str(target)  # Hydra reads dataset.target=3 as the integer 3
    headerless = looks_headerless(file, columns)
    if target not in columns and headerless:
        raise ValueError(
            f"dataset.target={target!r} is not a column of {file.name}, whose first line holds "
            f"numbers ({clip(columns, 5)}): the file seems to have no header line. Add a header "
            "line naming each column (the target's among them), e.g. f0,f1,...,label."
        )
    if headerless:
        log.warning(
            "%s: the column names are numbers (%s); if the file has no header line, its first "
            "sample was read as column names and is not in the data: add a header line",
            file.name,
            clip(columns, 5),
        )
    if target not in columns:
        raise ValueError(
            f"dataset.target={target!r} is not a column of {file.name}; its columns are "
            f"{clip(columns)}. Set e.g. dataset.target={_override_list([columns[-1]])[1:-1]}."
        )
    dropped = _excluded(exclude, columns, target, file)
    kept = [c for c in columns if c not in dropped]
    feats = _feature_columns(features, kept, target, file, dropped)
    _check_features(feats, kept, target, frame, file, named=features is not None)
    X = frame[feats].to_numpy(dtype=np.float64)
    _check_finite(X, file)
    _warn_row_ids(X, feats, file, named=features is not None)
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
            "excluded": [c for c in columns if c in dropped],
            "classes": classes,
        },
    )


def _existing_file(path: str | Path) -> Path:
    """``path`` made absolute (a relative one from the current directory), if a file is there."""
    given = Path(path).expanduser()
    file = given.resolve()
    if file.is_file():
        return file
    if given.is_absolute():
        fix = "Give the path of your table, e.g. dataset.path=/data/table.csv."
    else:
        fix = (
            f"A relative path is taken from the current directory, {Path.cwd()} (with "
            "hydra.job.chdir=true that is the run's output directory, not the one you ran "
            "fir-run from); give the table's absolute path, or "
            f"dataset.path='${{hydra:runtime.cwd}}/{given}'."
        )
    raise FileNotFoundError(f"dataset.path={str(path)!r}: no file at {file}. {fix}")


def _names(value: list[str] | str | int | None) -> list[str]:
    """A config value naming columns (None, one name, or a list) as a list of strings; Hydra
    reads a number as an int, e.g. dataset.features=[0,2]."""
    if value is None:
        return []
    return [str(v) for v in ([value] if isinstance(value, str | int) else list(value))]


def _override_list(names: list[str]) -> str:
    """``names`` as a Hydra override list, quoting those that would not read back as text."""
    plain = re.compile(r"[A-Za-z_][\w.-]*")
    words = {"true", "false", "null", "nan", "inf"}
    quoted = [
        n
        if plain.fullmatch(n) and n.lower() not in words
        else "'" + n.replace("\\", "\\\\").replace("'", "\\'") + "'"
        for n in names
    ]
    return "[" + ",".join(quoted) + "]"


def _check_known(key: str, names: list[str], columns: list[str], file: Path) -> None:
    """``names`` (the value of config ``key``) must all be columns of the file."""
    unknown = [n for n in names if n not in columns]
    if unknown:
        raise ValueError(
            f"{key} names columns {unknown} that {file.name} lacks; its columns are "
            f"{clip(columns)}. Remove them from {key}."
        )


def _excluded(
    exclude: list[str] | str | int | None, columns: list[str], target: str, file: Path
) -> set[str]:
    """The columns ``dataset.exclude`` leaves out, checked against the file."""
    names = _names(exclude)
    _check_known("dataset.exclude", names, columns, file)
    if target in names:
        raise ValueError(
            f"dataset.exclude includes the target {target!r}; remove it from dataset.exclude "
            "or choose another dataset.target."
        )
    return set(names)


def _feature_columns(
    features: list[str] | str | int | None,
    columns: list[str],
    target: str,
    file: Path,
    dropped: set[str],
) -> list[str]:
    """The feature columns: those named (one name or a list), else every column but the
    target, the excluded and unnamed ones (pandas calls a header-less column ``Unnamed: N``; it
    is usually a row index saved by ``DataFrame.to_csv``, and a row index can give the label
    away). ``columns`` are the file's columns less the excluded ones."""
    if features is not None:
        names = _names(features)
        repeated = repeated_names(names)
        if repeated:
            raise ValueError(
                f"dataset.features names {repeated} more than once; list each column once."
            )
        both = [n for n in names if n in dropped]
        if both:
            raise ValueError(
                f"dataset.features and dataset.exclude both name {both}; keep each column in "
                "one of them (dataset.features alone says which columns are used)."
            )
        return names
    unnamed = [c for c in columns if re.fullmatch(r"Unnamed: \d+", c) and c != target]
    if unnamed:
        log.warning(
            "%s: left out the unnamed column(s) %s (a saved row index?); list them in "
            "dataset.features to use them as features",
            file.name,
            unnamed,
        )
    return [c for c in columns if c != target and c not in unnamed]


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
    feats: list[str],
    columns: list[str],
    target: str,
    frame: pd.DataFrame,
    file: Path,
    named: bool,
) -> None:
    """``columns`` are the file's columns less the excluded ones; ``named``: the features were
    listed in dataset.features."""
    _check_known("dataset.features", feats, columns, file)
    if target in feats:
        raise ValueError(f"dataset.features includes the target {target!r}; remove it.")
    if not feats:
        raise ValueError(f"{file.name} has no feature column besides the target {target!r}.")
    bad = [f for f in feats if not pd.api.types.is_numeric_dtype(frame[f])]
    if bad:
        if named:
            fix = "remove them from dataset.features"
        elif len(bad) <= 20:
            fix = f"leave them out with dataset.exclude={_override_list(bad)}"
        else:
            fix = f"leave them out with dataset.exclude=[...] listing all {len(bad)}"
        raise ValueError(
            f"{file.name}: feature columns {clip(bad)} are not numeric. Encode them as "
            f"numbers, or {fix}."
        )


def _check_finite(X: np.ndarray, file: Path) -> None:
    bad = ~np.isfinite(X)
    if bad.any():
        first = int(np.flatnonzero(bad.any(axis=1))[0])
        raise ValueError(
            f"{file.name}: the features hold {int(bad.sum())} NaN/inf values (first in data row "
            f"{first}, 0-based); impute or drop them before running."
        )


def _warn_row_ids(X: np.ndarray, feats: list[str], file: Path, named: bool) -> None:
    """Warn about integer features that rise strictly from row to row: a row ID, which on rows
    sorted by class gives the label away (glass's Id). Rows are checked in growing blocks, so
    ordinary columns drop out after the first few rows and wide tables stay cheap."""
    candidates = np.arange(X.shape[1]) if len(X) >= 3 else np.arange(0)
    start, block = 0, 4
    while candidates.size and start < len(X) - 1:
        part = X[start : start + block + 1, candidates]
        rising = np.all(np.diff(part, axis=0) > 0, axis=0)
        whole = np.all(part == np.round(part), axis=0)
        candidates = candidates[rising & whole]
        start, block = start + block, block * 4
    if candidates.size == 0:
        return
    ids = [feats[j] for j in candidates]
    fix = (
        "remove them from dataset.features"
        if named
        else f"leave them out with dataset.exclude={_override_list(ids)}"
    )
    log.warning(
        "%s: the feature column(s) %s hold a distinct integer per row, in increasing order: a "
        "row ID? An ID can give the label away; unless they are real features, %s",
        file.name,
        clip(ids),
        fix,
    )


def _target(
    column: pd.Series, task: str, file: Path, n_folds: int
) -> tuple[np.ndarray, list | None]:
    """y and, for classification, the class labels (y is their index)."""
    if column.isna().any():
        first = int(np.flatnonzero(column.isna().to_numpy())[0])
        raise ValueError(
            f"{file.name}: the target {column.name!r} has {int(column.isna().sum())} missing "
            f"values (first in data row {first}, 0-based); drop those rows."
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
