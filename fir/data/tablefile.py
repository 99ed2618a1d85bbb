"""Reading a user's table file (CSV, TSV, Parquet, NPZ) into a DataFrame, with errors that name
the file and the fix; :mod:`fir.data.table` chooses the target and features from it."""

from __future__ import annotations

import re
import zipfile
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
SEPARATORS = {"csv": ",", "tsv": "\t"}
GZIP_MAGIC = b"\x1f\x8b"
ZIP_MAGIC = b"PK"  # an NPZ is a zip archive


def clip(items: list, n: int = 20) -> str:
    """``items`` for a message: the first ``n``, and how many there are in all."""
    return str(items) if len(items) <= n else f"{items[:n]}[:{n}] of {len(items)}"


def repeated_names(names: list[str]) -> list[str]:
    """The names that occur more than once, in order of first occurrence."""
    return [n for n, k in Counter(names).items() if k > 1]


def file_kind(file: Path) -> tuple[str | None, bool]:
    """(the reader for ``file``'s extension, or None; whether it ends in ``.gz``)."""
    suffixes = [x.lower() for x in file.suffixes]
    gzipped = suffixes[-1:] == [".gz"]
    suffix = (suffixes[-2] if len(suffixes) >= 2 else "") if gzipped else file.suffix.lower()
    return READERS.get(suffix), gzipped


def read_table(file: Path) -> pd.DataFrame:
    """The file as a DataFrame, by its extension (``.csv.gz`` and ``.tsv.gz``: gzipped text)."""
    kind, gzipped = file_kind(file)
    if kind is None or (gzipped and kind not in SEPARATORS):
        raise ValueError(
            f"dataset.path={str(file)!r}: unknown file type {''.join(file.suffixes[-2:])!r}; "
            f"use one of {sorted(READERS)} (.csv.gz and .tsv.gz for gzipped text)."
        )
    if kind in SEPARATORS:
        return _read_text(file, kind)
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


def _read_text(file: Path, kind: str) -> pd.DataFrame:
    """A CSV/TSV file (gzipped when its bytes say so, whatever its name), UTF-8, with a header
    line; spaces after a separator are dropped (``a, b`` names ``b``). A header that repeats
    a name is an error (pandas would rename the copies ``name.1``, ``name.2``, ... and use
    them as further features)."""
    sep = SEPARATORS[kind]
    with open(file, "rb") as fh:
        compression = "gzip" if fh.read(2) == GZIP_MAGIC else None
    read = {"sep": sep, "skipinitialspace": True, "compression": compression}
    try:
        frame = pd.read_csv(file, **read)
    except pd.errors.EmptyDataError:
        raise ValueError(
            f"dataset.path={str(file)!r}: the file is empty (no header, no rows); give a "
            "table with a header line and one row per sample."
        ) from None
    except UnicodeDecodeError as exc:
        raise ValueError(
            f"dataset.path={str(file)!r}: not UTF-8 text ({exc.reason} "
            f"{exc.object[exc.start : exc.start + 1]!r}); save the table as UTF-8 (e.g. "
            "pd.read_csv(path, encoding='latin-1').to_csv(new_path, index=False))."
        ) from None
    except pd.errors.ParserError as exc:
        raise ValueError(
            f"dataset.path={str(file)!r}: {str(exc).strip().rstrip('.')} (read as {kind.upper()}"
            f", separator {sep!r}); every line needs as many fields as the header line."
        ) from None
    _check_separator(frame, file, kind)
    if any(re.fullmatch(r".+\.\d+", str(c)) for c in frame.columns):  # maybe renamed copies
        header = pd.read_csv(file, header=None, nrows=1, dtype=str, **read).iloc[0]
        names = [str(h) for h in header.dropna()]
        repeated = repeated_names(names)
        if repeated:
            hint = (
                " Its first line holds numbers: if the file has no header line, add one."
                if looks_headerless(file, names)
                else ""
            )
            raise ValueError(
                f"{file.name}: the header repeats the column names {clip(repeated)}; give "
                f"every column its own name.{hint}"
            )
    if frame.empty:
        raise ValueError(
            f"{file.name}: a header line ({clip([str(c) for c in frame.columns])}) but no data "
            "rows; give one row per sample below the header."
        )
    return frame


def _check_separator(frame: pd.DataFrame, file: Path, kind: str) -> None:
    """One column whose name holds another separator: the file is not in ``kind``'s format."""
    if frame.shape[1] != 1:
        return
    name = str(frame.columns[0])
    found = [sep for sep in (";", "\t", ",", "|") if sep in name and sep != SEPARATORS[kind]]
    if found:
        fix = (
            "rename it .tsv (or .tsv.gz), which fir reads as tab-separated"
            if found[0] == "\t"
            else f"save it with commas, e.g. pd.read_csv(path, sep={found[0]!r}).to_csv("
            "new_path, index=False) (with decimal=',' if its numbers have decimal commas)"
        )
        raise ValueError(
            f"{file.name}: read as {kind.upper()} ({SEPARATORS[kind]!r}-separated) it has a "
            f"single column, named {clip([name])}, but its header is {found[0]!r}-separated; "
            f"{fix}."
        )


def looks_headerless(file: Path, columns: list[str]) -> bool:
    """Whether a CSV/TSV's column names look like a data row: at least half of them (two or
    more) numbers, unless those are distinct integers (names such as 0, 1, ... or gene IDs).
    Numbers can be real names (wavelengths: 532.5), so this is a hint, never an error."""
    if file_kind(file)[0] not in SEPARATORS:
        return False
    numbers = [n.strip() for n in columns if _is_number(n)]
    if len(numbers) < max(2, len(columns) / 2):
        return False
    integers = all(re.fullmatch(r"[+-]?\d+", n) for n in numbers)
    return not (integers and len(set(numbers)) == len(numbers))


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _read_npz(file: Path) -> pd.DataFrame:
    with open(file, "rb") as fh:
        magic = fh.read(len(ZIP_MAGIC))
    if magic != ZIP_MAGIC:
        raise ValueError(
            f"dataset.path={str(file)!r}: not an NPZ file ("
            + ("it is empty" if not magic else "an NPZ is a zip archive; this is not one")
            + "); save the table with np.savez(path, X=X, y=y), or as CSV."
        )
    try:
        with open(file, "rb") as fh, np.load(fh, allow_pickle=False) as npz:
            arrays = {key: npz[key] for key in npz.files}
    except (zipfile.BadZipFile, EOFError, OSError) as exc:
        raise ValueError(
            f"dataset.path={str(file)!r}: a damaged NPZ file ({type(exc).__name__}: {exc}); "
            "save it again with np.savez."
        ) from None
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
