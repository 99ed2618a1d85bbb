"""Reading a user's table file (CSV, TSV, Parquet, NPZ) into a DataFrame, with errors that name
the file and the fix; :mod:`fir.data.table` chooses the target and features from it."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import numpy as np
import pandas as pd

READERS = {
    ".csv": "csv",
    ".tsv": "tsv",
    ".tab": "tsv",
    ".parquet": "parquet",
    ".pq": "parquet",
    ".npz": "npz",
}


def clip(items: list, n: int = 20) -> str:
    """``items`` for a message: the first ``n``, and how many there are in all."""
    return str(items) if len(items) <= n else f"{items[:n]}[:{n}] of {len(items)}"


def repeated_names(names: list[str]) -> list[str]:
    """The names that occur more than once, in order of first occurrence."""
    return [n for n, k in Counter(names).items() if k > 1]


def read_table(file: Path) -> pd.DataFrame:
    """The file as a DataFrame, by its extension."""
    kind = READERS.get(file.suffix.lower())
    if kind is None:
        raise ValueError(
            f"dataset.path={str(file)!r}: unknown file type {file.suffix!r}; use one of "
            f"{sorted(READERS)}."
        )
    if kind in ("csv", "tsv"):
        return _read_text(file, sep="," if kind == "csv" else "\t")
    if kind == "parquet":
        try:
            return pd.read_parquet(file)
        except ImportError as exc:  # a ValueError: fir-run prints it as a one-line error
            first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
            raise ValueError(
                f"dataset.path={str(file)!r}: reading Parquet needs the pyarrow package "
                f"({first}); pip install pyarrow, or save the table as CSV or NPZ."
            ) from exc
    return _read_npz(file)


def _read_text(file: Path, sep: str) -> pd.DataFrame:
    """A CSV/TSV file; a header that repeats a name is an error (pandas would rename the copies
    ``name.1``, ``name.2``, ... and use them as further features)."""
    try:
        frame = pd.read_csv(file, sep=sep)
    except pd.errors.EmptyDataError:
        raise ValueError(
            f"dataset.path={str(file)!r}: the file is empty (no header, no rows); give a "
            "table with a header line and one row per sample."
        ) from None
    if any(re.fullmatch(r".+\.\d+", str(c)) for c in frame.columns):  # maybe renamed copies
        header = pd.read_csv(file, sep=sep, header=None, nrows=1, dtype=str).iloc[0]
        repeated = repeated_names([str(h) for h in header.dropna()])
        if repeated:
            raise ValueError(
                f"{file.name}: the header repeats the column names {clip(repeated)}; give "
                "every column its own name."
            )
    return frame


def _read_npz(file: Path) -> pd.DataFrame:
    try:
        with np.load(file, allow_pickle=False) as npz:
            arrays = {key: npz[key] for key in npz.files}
    except ValueError as exc:  # object arrays need pickle, which a data file must not run
        raise ValueError(
            f"dataset.path={str(file)!r}: {exc}. Save numeric (or string) arrays instead, e.g. "
            "np.savez(path, X=X.astype(float), y=y, feature_names=np.array(names, dtype=str))."
        ) from None
    pairs = _npz_matrix(arrays, file)
    for key, array in arrays.items():
        if array.ndim == 2 and array.shape[1] == 1:
            array = array[:, 0]  # a column saved as (n, 1), e.g. y[:, None]
        if array.ndim != 1:
            raise ValueError(
                f"{file.name}: the array {key!r} has shape {array.shape}; an NPZ table holds "
                "1-D arrays (one per column) and optionally a 2-D 'X' (one column per feature). "
                f"Save {key!r} as 1-D, or as X."
            )
        pairs.append((key, array))
    repeated = repeated_names([n for n, _ in pairs])
    if repeated:
        raise ValueError(
            f"{file.name}: the column names {clip(repeated)} occur more than once (in "
            "feature_names, or as both a feature name and an array); give each its own name."
        )
    lengths = {k: len(v) for k, v in pairs}
    if not pairs or len(set(lengths.values())) != 1:
        raise ValueError(
            f"{file.name}: an NPZ table needs 1-D arrays of one length (or a 2-D 'X'); got "
            f"lengths {lengths}."
        )
    return pd.DataFrame(dict(pairs))


def _npz_matrix(arrays: dict[str, np.ndarray], file: Path) -> list[tuple[str, np.ndarray]]:
    """The columns of a 2-D ``X`` (popped from ``arrays`` with its ``feature_names``), named by
    ``feature_names`` or ``X0``, ``X1``, ..."""
    if "X" not in arrays or arrays["X"].ndim < 2:  # a 1-D X is a column like any other
        if "feature_names" in arrays:
            raise ValueError(
                f"{file.name}: feature_names names the columns of a 2-D array 'X', which the "
                "file lacks; save the features as X (rows are samples), or drop feature_names."
            )
        return []
    matrix = arrays.pop("X")
    if matrix.ndim != 2:
        raise ValueError(
            f"{file.name}: the array 'X' has shape {matrix.shape}; it must be 2-D (samples x "
            "features). Reshape it, e.g. X.reshape(len(X), -1), before np.savez."
        )
    saved = arrays.pop("feature_names", None)
    names = [f"X{j}" for j in range(matrix.shape[1])] if saved is None else list(saved)
    if len(names) != matrix.shape[1]:
        raise ValueError(
            f"{file.name}: feature_names has {len(names)} names for the "
            f"{matrix.shape[1]} columns of X."
        )
    return [(str(n), matrix[:, j]) for j, n in enumerate(names)]
