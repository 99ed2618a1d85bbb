"""Datasets of the ASU feature-selection repository (scikit-feature ``.mat`` files): TOX-171, Yale.

The repository's own site (featureselection.asu.edu) is gone; the files are downloaded from the
scikit-feature GitHub repository at a fixed commit, the copy whose sha256 is recorded here.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from scipy.io import loadmat
from scipy.io.matlab import MatReadError

from fir.data.base import Dataset
from fir.data.download import FetchedFile, RemoteFile, data_path, fetch, provenance, reading

HOME = "https://jundongl.github.io/scikit-feature/datasets.html"
BASE_URL = (
    "https://raw.githubusercontent.com/jundongl/scikit-feature/"
    "28e1f6a46fb2ad59d81269596b0d4c55b9335602/skfeature/data"
)
TOX171 = RemoteFile(
    "TOX-171.mat", ("f52f57e61775b7830c84750456d7fadfd220d1cc8eed26419c3390eb9216cc84",)
)
YALE = RemoteFile("Yale.mat", ("cccd29abd2c520dd5cc8ff7645b422c2bdadd59406a6b6a0239143d9d44afcf3",))
YALE_HOME = "http://www.cad.zju.edu.cn/home/dengcai/Data/FaceData.html"
YALE_SHAPE = (32, 32)


def _read_mat(
    remote: RemoteFile, folder: Path, base_url: str, verify: bool
) -> tuple[np.ndarray, np.ndarray, FetchedFile]:
    """X, y (1-based labels) and the fetched file of a scikit-feature ``.mat``."""
    fetched = fetch(remote, folder, base_url, verify)
    with reading(fetched, "a MATLAB .mat file", errors=(MatReadError,)):
        mat = loadmat(fetched.path)
    for key in ("X", "Y"):
        if key not in mat:
            raise ValueError(f"{fetched.path} has no variable {key!r} (found {sorted(mat)}).")
    return mat["X"], mat["Y"].ravel().astype(int), fetched


def load_tox171(
    data_dir: str | Path,
    standardize: bool = True,
    base_url: str | None = None,
    verify: bool = True,
) -> Dataset:
    """TOX-171 microarray data: 171 samples, 5,748 genes, 4 classes (labels 1..4).

    Standardised on each fold's training part: expression values range from 0.02 to 33,923,
    far outside what sigmoid MLPs and the filters' RBF kernels handle unscaled.

    Parameters
    ----------
    data_dir : the data directory; reads ``<data_dir>/tox-171/TOX-171.mat``
    standardize : fit a scaler on each fold's training part
    base_url : where a missing file is downloaded from (default: scikit-feature on GitHub)
    verify : refuse a file whose sha256 is not the known-good one
    """
    X, y, fetched = _read_mat(TOX171, data_path(data_dir) / "tox-171", base_url or BASE_URL, verify)
    return Dataset(
        name="tox171",
        X=X.astype(np.float64),
        y=y,
        task="classification",
        feature_names=[f"gene_{j}" for j in range(X.shape[1])],
        standardize=standardize,
        provenance=provenance(HOME, [fetched]),
    )


def load_yale(
    data_dir: str | Path,
    standardize: bool = False,
    base_url: str | None = None,
    verify: bool = True,
) -> Dataset:
    """Yale faces at 32 x 32: 165 images, 15 subjects of 11, pixels scaled to [0, 1].

    The ``.mat`` stores each image column-major (MATLAB order); the rows of ``X`` here are
    row-major, so ``X[i].reshape(32, 32)`` is the upright face. Pixels are only scaled to
    [0, 1], like MNIST, so that the CNN operator and the importance maps see images.

    Parameters
    ----------
    data_dir : the data directory; reads ``<data_dir>/yale/Yale.mat``
    standardize : fit a scaler on each fold's training part
    base_url : where a missing file is downloaded from (default: scikit-feature on GitHub)
    verify : refuse a file whose sha256 is not the known-good one
    """
    X, y, fetched = _read_mat(YALE, data_path(data_dir) / "yale", base_url or BASE_URL, verify)
    height, width = YALE_SHAPE
    if X.shape[1] != height * width:
        raise ValueError(f"{fetched.path}: expected {height * width} pixels a row; got {X.shape}.")
    upright = column_major_to_row_major(X, YALE_SHAPE)
    return Dataset(
        name="yale",
        X=upright.astype(np.float64) / 255.0,
        y=y,
        task="classification",
        feature_names=[f"px_{r}_{c}" for r in range(height) for c in range(width)],
        image_shape=YALE_SHAPE,
        standardize=standardize,
        provenance=provenance(YALE_HOME, [fetched], pixel_order="row-major (converted)"),
    )


def column_major_to_row_major(X: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """Rows of column-major (Fortran-order) images -> rows of row-major (C-order) images."""
    n = X.shape[0]
    height, width = shape
    return X.reshape(n, width, height).transpose(0, 2, 1).reshape(n, height * width)
