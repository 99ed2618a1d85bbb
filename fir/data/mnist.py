"""MNIST digit pairs (the paper's "3 vs 8"): the official split, pixels scaled to [0, 1]."""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np

from fir.data.base import Dataset
from fir.data.download import RemoteFile, data_path, fetch, provenance, reading

HOME = "http://yann.lecun.com/exdb/mnist/"
FOLDER = "mnist"
IMAGE_SHAPE = (28, 28)
# keras' mnist.npz (what NPZ_URL serves) and the byte-exact rebuild in the shared data folder
# (same arrays, different compression; see shared/data/PROVENANCE.md).
NPZ = RemoteFile(
    "mnist.npz",
    (
        "731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1",
        "06af5dfe73b70e3bc1c36439982b18a8d76803db9b544f6fdf838a37fbb01b64",
    ),
)
NPZ_URL = "https://storage.googleapis.com/tensorflow/tf-keras-datasets"
# The official idx files. yann.lecun.com refuses many automated downloads, so the default is the
# byte-identical mirror torchvision uses; the sha256 values are those of the official files.
IDX_URL = "https://ossci-datasets.s3.amazonaws.com/mnist"
IDX = {
    "x_train": RemoteFile(
        "train-images-idx3-ubyte.gz",
        ("440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",),
    ),
    "y_train": RemoteFile(
        "train-labels-idx1-ubyte.gz",
        ("3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",),
    ),
    "x_test": RemoteFile(
        "t10k-images-idx3-ubyte.gz",
        ("8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",),
    ),
    "y_test": RemoteFile(
        "t10k-labels-idx1-ubyte.gz",
        ("f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",),
    ),
}
FORMATS = ("npz", "idx")


def load_mnist_pair(
    data_dir: str | Path,
    digits: tuple[int, int] | list[int] = (3, 8),
    file_format: str = "npz",
    standardize: bool = False,
    base_url: str | None = None,
    verify: bool = True,
) -> Dataset:
    """Two MNIST digits from the official split; the official test rows become ``test_index``.

    Parameters
    ----------
    data_dir : the data directory; files are read from ``<data_dir>/mnist/``
    digits : the two digits kept (the paper: 3 and 8); ``y`` holds the digit itself
    file_format : "npz" (keras' ``mnist.npz``) or "idx" (the four official ``*.gz`` files)
    standardize : fit a scaler on each fold's training part (off: pixels are scaled to [0, 1],
        as in the paper, which keeps the importance maps comparable with the images)
    base_url : where missing files are downloaded from (default: keras' bucket for "npz", a
        mirror of the official files for "idx")
    verify : refuse files whose sha256 is not a known-good value
    """
    digits = [int(d) for d in digits]
    if len(digits) != 2 or digits[0] == digits[1] or not all(0 <= d <= 9 for d in digits):
        raise ValueError(f"dataset.digits={digits} must be two different digits 0..9, e.g. [3, 8].")
    folder = data_path(data_dir) / FOLDER
    if file_format == "npz":
        fetched = [fetch(NPZ, folder, NPZ_URL if base_url is None else base_url, verify)]
        with reading(fetched[0], f"keras' mnist.npz (arrays {', '.join(IDX)})"):
            with np.load(fetched[0].path) as npz:
                arrays = {key: npz[key] for key in IDX}
    elif file_format == "idx":
        url = IDX_URL if base_url is None else base_url
        fetched = [fetch(remote, folder, url, verify) for remote in IDX.values()]
        arrays = {}
        for key, file in zip(IDX, fetched, strict=True):
            with reading(file, "an idx file of unsigned bytes (gzipped)"):
                arrays[key] = read_idx(file.path)
    else:
        raise ValueError(f"dataset.file_format={file_format!r} must be one of {FORMATS}.")
    keep_train = np.isin(arrays["y_train"], digits)
    keep_test = np.isin(arrays["y_test"], digits)
    images = np.concatenate([arrays["x_train"][keep_train], arrays["x_test"][keep_test]])
    X = images.reshape(len(images), -1).astype(np.float64) / 255.0  # (n, 784), row-major pixels
    y = np.concatenate([arrays["y_train"][keep_train], arrays["y_test"][keep_test]]).astype(int)
    n_train = int(keep_train.sum())
    return Dataset(
        name=f"mnist{digits[0]}{digits[1]}",
        X=X,
        y=y,
        task="classification",
        feature_names=[f"px_{r}_{c}" for r in range(IMAGE_SHAPE[0]) for c in range(IMAGE_SHAPE[1])],
        image_shape=IMAGE_SHAPE,
        test_index=np.arange(n_train, len(y)),
        standardize=standardize,
        provenance=provenance(HOME, fetched, digits=digits, n_train=n_train),
    )


def read_idx(path: Path) -> np.ndarray:
    """An idx file (gzipped or not) as a uint8 array of its stated shape."""
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rb") as fh:
        raw = fh.read()
    magic = int.from_bytes(raw[:4], "big")
    if magic >> 8 != 0x08:  # 0x08: unsigned byte data
        raise ValueError(f"{path} is not an idx file of unsigned bytes (magic number {magic:#x}).")
    ndim = magic & 0xFF
    shape = [int.from_bytes(raw[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim)]
    data = np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim)
    if data.size != int(np.prod(shape)):
        raise ValueError(f"{path}: header says shape {shape} but holds {data.size} values.")
    return data.reshape(shape)
