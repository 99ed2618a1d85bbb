"""Small UCI benchmarks of the paper's feature-selection comparison: glass and vowel.

Both are standardised on each fold's training part (``standardize=True``): the paper follows the
CCM protocol, whose kernel SVMs and our sigmoid MLPs both need features on one scale, and glass's
columns span three orders of magnitude (Id 1..214, RI about 1.5, Si about 72).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from fir.data.base import Dataset
from fir.data.download import RemoteFile, data_path, fetch, provenance, reading

UCI_URL = "https://archive.ics.uci.edu/ml/machine-learning-databases"

GLASS_HOME = "https://archive.ics.uci.edu/ml/datasets/glass+identification"
GLASS_URL = f"{UCI_URL}/glass"
GLASS = RemoteFile(
    "glass.data", ("dd67373f4baf2807345df02cbfef2093d342e61ad0d82a4fb79af43ef8ce449d",)
)
GLASS_FEATURES = ["Id", "RI", "Na", "Mg", "Al", "Si", "K", "Ca", "Ba", "Fe"]

VOWEL_HOME = "https://www.openml.org/d/307 (UCI Connectionist Bench, Vowel Recognition)"
VOWEL_URL = f"{UCI_URL}/undocumented/connectionist-bench/vowel"


def read_vowel(path: Path) -> np.ndarray:
    """``vowel-context.data`` as a (990, 14) array: train/test, speaker, sex, 10 features,
    class. The pinned copy separates values by ", "; the UCI archive's file is
    whitespace-separated: both are read (commas count as whitespace)."""
    table = np.loadtxt(path.read_text().replace(",", " ").splitlines(), ndmin=2)
    if table.shape[1] != 14:
        raise ValueError(
            f"expected 14 columns (train/test, speaker, sex, 10 features, class); got shape "
            f"{table.shape}"
        )
    return table


VOWEL = RemoteFile(
    "vowel-context.data",
    ("2e95c7be6c5800583b16d15ad36fd21f9681030b69bf96aa6aeab6f4f2f0726d",),
    # the same 990 x 14 values in any layout (the archive's whitespace-separated file included)
    values_sha256=("f34eb13d41928a0fc35f3608ce624858fa4d65fa43621363e9d78063a93751e2",),
    read=read_vowel,
)
VOWEL_CLASSES = ["hid", "hId", "hEd", "hAd", "hYd", "had", "hOd", "hod", "hUd", "hud", "hed"]


def load_glass(
    data_dir: str | Path,
    keep_id: bool = True,
    standardize: bool = True,
    base_url: str | None = None,
    verify: bool = True,
) -> Dataset:
    """UCI glass identification: 214 samples, 6 classes (type codes 1, 2, 3, 5, 6, 7).

    Parameters
    ----------
    data_dir : the data directory; reads ``<data_dir>/glass/glass.data``
    keep_id : keep the Id column as feature 0, as the paper (after CCM) does. The rows are
        sorted by class and Id is the row number, so Id alone gives the class away: ``False``
        gives the honest 9-feature problem (``dataset=glass_no_id``).
    standardize : fit a scaler on each fold's training part
    base_url : where a missing file is downloaded from (default: the UCI archive)
    verify : refuse a file whose sha256 is not the known-good one
    """
    fetched = fetch(GLASS, data_path(data_dir) / "glass", base_url or GLASS_URL, verify)
    with reading(fetched, "11 comma-separated columns (Id, 9 measurements, type)"):
        table = np.loadtxt(fetched.path, delimiter=",", ndmin=2)  # (214, 11)
        if table.shape[1] != len(GLASS_FEATURES) + 1:
            raise ValueError(f"got shape {table.shape}")
    first = 0 if keep_id else 1
    return Dataset(
        name="glass" if keep_id else "glass_no_id",
        X=table[:, first:-1],
        y=table[:, -1].astype(int),
        task="classification",
        feature_names=GLASS_FEATURES[first:],
        standardize=standardize,
        provenance=provenance(GLASS_HOME, [fetched], id_column_kept=keep_id),
    )


def load_vowel(
    data_dir: str | Path,
    standardize: bool = True,
    base_url: str | None = None,
    verify: bool = True,
) -> Dataset:
    """Deterding's vowel data: 990 samples, the 10 numeric features, 11 classes of 90.

    The columns train/test, speaker and sex of ``vowel-context.data`` are not features (the
    paper uses d = 10); the original speaker-based split is not used either (the paper's
    742 / 248 is its own split, so the protocol's stratified folds stand in for it).

    Parameters
    ----------
    data_dir : the data directory; reads ``<data_dir>/vowel/vowel-context.data``
    standardize : fit a scaler on each fold's training part
    base_url : where a missing file is downloaded from (default: the UCI archive)
    verify : refuse a file whose sha256 is not the known-good one
    """
    fetched = fetch(VOWEL, data_path(data_dir) / "vowel", base_url or VOWEL_URL, verify)
    with reading(fetched, "vowel-context data"):
        table = read_vowel(fetched.path)  # (990, 14)
    return Dataset(
        name="vowel",
        X=table[:, 3:13],
        y=table[:, 13].astype(int),
        task="classification",
        feature_names=[f"F{i}" for i in range(10)],
        standardize=standardize,
        provenance=provenance(VOWEL_HOME, [fetched], classes=VOWEL_CLASSES),
    )
