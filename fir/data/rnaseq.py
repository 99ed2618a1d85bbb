"""UCI gene expression cancer RNA-Seq (TCGA PANCAN HiSeq): 801 samples, 20,531 genes, 5 tumours.

The paper drops the 267 genes that are constant over all samples (20,264 left) and standardises;
here the scaler is fitted on each fold's training part (``standardize=True``). The archive is
read in place (no unpacking to disk).
"""

from __future__ import annotations

import tarfile
from pathlib import Path

import numpy as np
import pandas as pd

from fir.data.base import Dataset
from fir.data.download import RemoteFile, data_path, fetch, provenance, reading

HOME = "https://archive.ics.uci.edu/ml/datasets/gene+expression+cancer+RNA-Seq"
BASE_URL = "https://archive.ics.uci.edu/ml/machine-learning-databases/00401"
ARCHIVE = RemoteFile(
    "TCGA-PANCAN-HiSeq-801x20531.tar.gz",
    ("e6ea3628f9656efa2d7cf382bf5a403e2cc214df3d90312b1928f5650b43a559",),
    how_to_get="It is TCGA-PANCAN-HiSeq-801x20531.tar.gz of the UCI page " + HOME + ".",
)
MEMBERS = ("data.csv", "labels.csv")


def load_rnaseq(
    data_dir: str | Path,
    drop_constant: bool = True,
    standardize: bool = True,
    base_url: str | None = None,
    verify: bool = True,
) -> Dataset:
    """RNA-Seq PANCAN: classes BRCA, COAD, KIRC, LUAD, PRAD (y = index in that sorted order).

    Parameters
    ----------
    data_dir : the data directory; reads ``<data_dir>/rna-seq/TCGA-PANCAN-HiSeq-801x20531.tar.gz``
    drop_constant : drop genes constant over all samples, as the paper does
    standardize : fit a scaler on each fold's training part
    base_url : where a missing archive is downloaded from (default: the UCI archive)
    verify : refuse an archive whose sha256 is not the known-good one
    """
    fetched = fetch(ARCHIVE, data_path(data_dir) / "rna-seq", base_url or BASE_URL, verify)
    with reading(fetched, "the UCI archive (a tar.gz of data.csv and labels.csv)"):
        data, labels = _read_archive(fetched.path)
    missing = data.index.difference(labels.index)
    if "Class" not in labels.columns or len(missing):
        raise ValueError(
            f"{fetched.path}: labels.csv needs a 'Class' column and a row for every sample of "
            f"data.csv; columns {list(labels.columns)}, {len(missing)} samples without a label."
        )
    X = data.to_numpy(dtype=np.float64)
    names = [str(c) for c in data.columns]
    n_constant = 0
    if drop_constant:
        varying = np.ptp(X, axis=0) > 0
        n_constant = int((~varying).sum())
        X, names = X[:, varying], [n for n, keep in zip(names, varying, strict=True) if keep]
    classes, y = np.unique(labels.loc[data.index, "Class"].astype(str), return_inverse=True)
    return Dataset(
        name="rnaseq",
        X=X,
        y=y,
        task="classification",
        feature_names=names,
        standardize=standardize,
        provenance=provenance(
            HOME, [fetched], classes=classes.tolist(), n_constant_dropped=n_constant
        ),
    )


def _read_archive(path: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """data.csv and labels.csv of the archive, indexed by sample id."""
    frames = {}
    with tarfile.open(path, "r:*") as tar:
        for member in tar.getmembers():
            base = Path(member.name).name
            if member.isfile() and base in MEMBERS:
                handle = tar.extractfile(member)
                if handle is not None:
                    frames[base] = pd.read_csv(handle, index_col=0)
    absent = [m for m in MEMBERS if m not in frames]
    if absent:
        raise ValueError(
            f"{path} holds no {' or '.join(absent)}: expected the UCI archive with "
            "TCGA-PANCAN-HiSeq-801x20531/data.csv and labels.csv."
        )
    return frames["data.csv"], frames["labels.csv"]
