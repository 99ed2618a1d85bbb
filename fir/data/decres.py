"""Enhancer-promoter data of the GM12878 cell line (200 bp regions), from the DECRES project.

Two releases by the same author (Y. Li):

* ``load_enhancer_promoter``: the paper's data, the 102-feature, 7-class DECRES files, merged
  into active enhancer / active promoter / background, balanced by down-sampling and
  log-transformed (paper, supplement C.1).
* ``load_enhancer_promoter_dfs``: the older 93-feature, 3-class release the DFS article used,
  already balanced and L2-normalised, its Train/Valid/Test files pooled for cross-validation.

Neither is standardised: the paper's preprocessing is the log transform only (C.1), and the
DFS release is L2-normalised by its author.
"""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import pandas as pd

from fir.data.base import Dataset
from fir.data.download import FetchedFile, RemoteFile, data_path, fetch, provenance, reading

HOME = "https://github.com/yifeng-li/DECRES (folder data/)"
BASE_URL = (
    "https://raw.githubusercontent.com/yifeng-li/DECRES/"
    "360408d8aa52ff2adf3294735d7232244913fc19/data"
)
FOLDER = "enhancer-promoter"
CLASSES = ("enhancer", "promoter", "background")  # y = index into this tuple
# The 7 DECRES classes -> the paper's 3 (supplement C.1)
MERGE = {
    "A-E": "enhancer",
    "A-P": "promoter",
    "A-X": "background",
    "I-E": "background",
    "I-P": "background",
    "I-X": "background",
    "UK": "background",
}
DATA = RemoteFile(
    "GM12878_200bp_Data.txt",
    (),  # DECRES publishes no checksum; the hash of the file used goes to provenance
    how_to_get="It is data/GM12878_200bp_Data.txt of https://github.com/yifeng-li/DECRES.",
)
LABELS = RemoteFile(
    "GM12878_200bp_Classes.txt",
    ("bb39d7a70e0b0926696e77d58909d9ea89d1564fcc7cd302690d0a4343ee0302",),
)
FEATURES = RemoteFile(
    "GM12878_Features.txt", ("21db1a09ebc281381feb08bd751a954bba97c43d0c2313ce7ec5ecb6bb1c5f28",)
)

DFS_HOME = "https://github.com/yifeng-li/deep_learning (commit 36b4d62, GM12878 3-class data)"
DFS_URL = (
    "https://raw.githubusercontent.com/yifeng-li/deep_learning/"
    "36b4d62ff2bdabd4a31bfca48af4a2f87b45374d/data"
)
DFS_FOLDER = f"{FOLDER}/legacy_3class_93feat"
DFS_HOW = (
    "It is data/{name} of https://github.com/yifeng-li/deep_learning (commit "
    "36b4d62ff2bdabd4a31bfca48af4a2f87b45374d); a copy compressed with 'gzip -9 -n' may be "
    "placed as {name}.gz instead."
)
DFS_MERGE = {
    "EnhancerActive": "enhancer",
    "PromoterActive": "promoter",
    "EnhancerInactive+PromoterInactive+Exon+Unknown": "background",
}
# sha256 of each part's Data and Classes files: (as published, .txt), (gzip -9 -n copy, .txt.gz)
DFS_PARTS = {
    "TrainSet": {
        "Data": (
            "51c93425b2dff75c2d789a9a1da7ab11b2510f6cfe3075983292b0979ae5b270",
            "50ae9f569bfe4c37e28ba2944662cd0f46d4b1bbef8699f8eec4156472267971",
        ),
        "Classes": (
            "ecb2aaac647e9d6394a552bf992b374fbe2852437acdaa6496ce1e51a0c03aff",
            "31c9ad630d502b54d5bcf95de2c0df7991cf658dcc987532708a1cf55be0c34e",
        ),
    },
    "ValidSet": {
        "Data": (
            "d2171c5eae6c15e64b61259b1270ebafa3def361dd320cf6d5a793b22df45cd8",
            "c6f17ad6690a4cb5e616c369f18fc465b9bfb1611b902e37be9b2a9629c2f64d",
        ),
        "Classes": (
            "d527f1774afa921f87cb4be0ee6e13270d7284ce17472d9fd780ecfe850d63e0",
            "122d0367d63efc838d5cde78d0198f44bf7e89987692941e7c90982cb0197a42",
        ),
    },
    "TestSet": {
        "Data": (
            "9c3a87e68cc8f01b784d4ae766e4faea2f33595d83027f73a92312f583d4a47c",
            "10b104710f6ae9ea83bfa7645040082ee7e186a523d01e738366a7b9bea22ec1",
        ),
        "Classes": (
            "0887f47288a41e1e30954f90e8a879490250a10684b63b8a8e732781002bce7d",
            "498ff6a37450f076dc0751815dc77aaa621ced9bd49f2efe54ee3db4c6914a50",
        ),
    },
}
DFS_FEATURES = RemoteFile(
    "GM12878_Features_Unique.txt",
    ("56bc712eb81845ccf695de4f4baeea76b8d2fcb0d79b1235d18d8019feef9edb",),
    how_to_get="It is data/GM12878_Features_Unique.txt of https://github.com/yifeng-li/"
    "deep_learning (commit 36b4d62ff2bdabd4a31bfca48af4a2f87b45374d).",
)


def load_enhancer_promoter(
    data_dir: str | Path,
    seed: int = 0,
    offset: float = 0.01,
    standardize: bool = False,
    base_url: str | None = None,
    verify: bool = True,
) -> Dataset:
    """The paper's enhancer-promoter data: 102 features, 3 balanced classes (2,878 each).

    Parameters
    ----------
    data_dir : the data directory; reads ``<data_dir>/enhancer-promoter/GM12878_*``
    seed : seeds the down-sampling of the larger classes to the smallest one's size
    offset : x <- log(x + offset); the paper uses 0.01
    standardize : fit a scaler on each fold's training part
    base_url : where missing files are downloaded from (default: DECRES on GitHub)
    verify : refuse files whose sha256 is not the known-good one (the data matrix has none)
    """
    folder = data_path(data_dir) / FOLDER
    url = base_url or BASE_URL
    fetched = [fetch(remote, folder, url, verify) for remote in (DATA, LABELS, FEATURES)]
    names = _lines(fetched[2].path)
    labels = _lines(fetched[1].path)
    # The data matrix has no published hash, so a truncated or altered copy is caught here.
    source = "" if fetched[0].url is None else f" from {fetched[0].url}"
    redo = (
        "The file has no published checksum: if it is a damaged download, delete "
        f"{fetched[0].path} to download it again{source}."
    )
    try:
        X = pd.read_csv(fetched[0].path, sep=r"\s+", header=None, dtype=np.float64).to_numpy()
    except (ValueError, pd.errors.ParserError) as exc:
        raise ValueError(
            f"{fetched[0].path} is not a whitespace-separated numeric matrix without a header "
            f"({exc}). {redo}"
        ) from None
    if X.shape != (len(labels), len(names)):
        raise ValueError(
            f"{fetched[0].path} is {X.shape[0]} x {X.shape[1]}, but {fetched[1].path.name} has "
            f"{len(labels)} labels and {fetched[2].path.name} {len(names)} feature names; the "
            f"three files must come from the same DECRES release. {redo}"
        )
    unknown = sorted(set(labels) - set(MERGE))
    if unknown:
        raise ValueError(f"{fetched[1].path}: unknown class codes {unknown}; known: {list(MERGE)}.")
    if (X.min(initial=np.inf) + offset) <= 0:
        raise ValueError(
            f"dataset.offset={offset}: log(x + offset) needs x + offset > 0, but the smallest "
            f"value of {fetched[0].path.name} is {X.min()}; raise the offset."
        )
    y = np.array([CLASSES.index(MERGE[label]) for label in labels])
    rows = balanced_rows(y, np.random.default_rng(seed))
    return Dataset(
        name="enhancer_promoter",
        X=np.log(X[rows] + offset),
        y=y[rows],
        task="classification",
        feature_names=names,
        standardize=standardize,
        provenance=provenance(
            HOME, fetched, classes=list(CLASSES), merge=MERGE, n_per_class=int(len(rows) // 3)
        ),
    )


def balanced_rows(y: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Sorted row indices with every class down-sampled to the smallest class's size."""
    classes, counts = np.unique(y, return_counts=True)
    n = counts.min()
    keep = [rng.choice(np.flatnonzero(y == c), size=n, replace=False) for c in classes]
    return np.sort(np.concatenate(keep))


def load_enhancer_promoter_dfs(
    data_dir: str | Path,
    standardize: bool = False,
    base_url: str | None = None,
    verify: bool = True,
) -> Dataset:
    """The DFS article's release: 6,468 rows (2,156 a class), 93 features, 3 classes.

    Already balanced and L2-normalised by its author; the Train, Valid and Test files are
    pooled (in that order) for the protocol's k-fold cross-validation. Not the paper's data:
    see docs/DATASETS.md.

    Parameters
    ----------
    data_dir : the data directory; reads ``<data_dir>/enhancer-promoter/legacy_3class_93feat/``
        (each Data and Classes file as published, ``.txt``, or gzipped, ``.txt.gz``)
    standardize : fit a scaler on each fold's training part
    base_url : where missing files are downloaded from (default: the author's repository on
        GitHub, at the commit the DFS article used)
    verify : refuse files whose sha256 is not the known-good one
    """
    folder = data_path(data_dir) / DFS_FOLDER
    url = base_url or DFS_URL
    fetched: list[FetchedFile] = [fetch(DFS_FEATURES, folder, url, verify)]
    names = _lines(fetched[0].path)
    blocks, labels = [], []
    for part, hashes in DFS_PARTS.items():
        data, cls = (_fetch_dfs(f"GM12878_200bp_{kind}_3Cl_l2normalized_{part}.txt",
                                hashes[kind], folder, url, verify)
                     for kind in ("Data", "Classes"))  # fmt: skip
        fetched += [data, cls]
        with reading(data, "a whitespace-separated numeric matrix without a header"):
            blocks.append(
                pd.read_csv(data.path, sep=r"\s+", header=None, dtype=np.float64).to_numpy()
            )
        labels += _lines(cls.path)
    X = np.vstack(blocks)
    unknown = sorted(set(labels) - set(DFS_MERGE))
    if unknown or X.shape != (len(labels), len(names)):
        raise ValueError(
            f"{folder}: the files do not fit together: X {X.shape}, {len(labels)} labels, "
            f"{len(names)} feature names, unknown classes {unknown} (known: {list(DFS_MERGE)})."
        )
    return Dataset(
        name="enhancer_promoter_dfs",
        X=X,
        y=np.array([CLASSES.index(DFS_MERGE[label]) for label in labels]),
        task="classification",
        feature_names=names,
        standardize=standardize,
        provenance=provenance(DFS_HOME, fetched, classes=list(CLASSES), merge=DFS_MERGE),
    )


def _fetch_dfs(
    name: str, hashes: tuple[str, str], folder: Path, url: str, verify: bool
) -> FetchedFile:
    """A DFS-release file: its gzipped copy when one is in ``folder`` (the shared data's
    layout), else the file as published, downloaded from ``url`` when missing."""
    txt, gz = hashes
    how = DFS_HOW.format(name=name)
    if (folder / f"{name}.gz").is_file():
        return fetch(RemoteFile(f"{name}.gz", (gz,), how), folder, None, verify)
    return fetch(RemoteFile(name, (txt,), how), folder, url, verify)


def _lines(path: Path) -> list[str]:
    """Non-empty stripped lines of a text file (gzipped when it ends in .gz)."""
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt") as handle:
        return [line.strip() for line in handle if line.strip()]
