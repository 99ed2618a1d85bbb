"""Data files: look them up in the data directory, download what is missing, check sha256.

Every loader describes its files as :class:`RemoteFile` records and calls :func:`fetch` for each.
A file already in the data directory is used if its sha256 is one of the known-good values; a
missing one is downloaded with pooch (into a temporary folder beside it, moved into place only if
its hash is known-good). Loaders parse a fetched file inside :func:`reading`, so that a file
that cannot be parsed is an error naming it and the fix. Nothing here runs at import time.
"""

from __future__ import annotations

import hashlib
import logging
import shutil
import tarfile
import tempfile
import time
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pooch

CHECKSUM_OVERRIDE = "dataset.verify=false"


@dataclass(frozen=True)
class RemoteFile:
    """One data file of a dataset.

    Attributes
    ----------
    name : path relative to the dataset's folder in the data directory (and to ``base_url``)
    sha256 : known-good hashes of the file (a local or downloaded file must match one of them;
        the first is what the official ``base_url`` serves). Empty when no hash has been
        published (the hash of what was used is then only recorded).
    how_to_get : a sentence for the FileNotFoundError when the file cannot be downloaded
    values_sha256, read : for a source whose bytes vary in layout (separators, line ends) but
        not in content: a file is also known-good when ``read(path)``'s values hash (see
        :func:`values_sha256`) to one of ``values_sha256``
    """

    name: str
    sha256: tuple[str, ...] = ()
    how_to_get: str = ""
    values_sha256: tuple[str, ...] = ()
    read: Callable[[Path], np.ndarray] | None = None


@dataclass(frozen=True)
class FetchedFile:
    """A file ready to read, with what ``provenance`` records about it."""

    path: Path
    sha256: str
    url: str | None
    verified: bool  # True when the hash is one of the known-good values

    def record(self) -> dict:
        """The provenance entry of this file (written to ``run.json``)."""
        return {
            "path": str(self.path),
            "sha256": self.sha256,
            "url": self.url,
            "verified": self.verified,
        }


def data_path(data_dir: str | Path) -> Path:
    """The data directory (``paths.data_dir`` in the config) as an absolute path: ``~``
    expanded, a relative one taken from the current directory."""
    if not str(data_dir).strip():
        raise ValueError(
            "paths.data_dir is empty (FIR_DATA_DIR set to ''?): set FIR_DATA_DIR to the data "
            "directory (e.g. export FIR_DATA_DIR=$HOME/fir-data), or unset it for ~/.cache/fir."
        )
    return Path(data_dir).expanduser().absolute()


def sha256(path: Path) -> str:
    """Hex sha256 of a file."""
    return pooch.file_hash(str(path), alg="sha256")


def values_sha256(values: np.ndarray) -> str:
    """Hex sha256 of an array's shape and float64 values (C order): what a file holds, not
    how it is laid out."""
    values = np.ascontiguousarray(values, dtype=np.float64)
    return hashlib.sha256(repr(values.shape).encode() + values.tobytes()).hexdigest()


def is_known_good(remote: RemoteFile, path: Path, digest: str) -> bool:
    """Whether the file at ``path`` (sha256 ``digest``) is one of ``remote``'s known-good
    versions, by its bytes or, where ``remote`` has them, by its values."""
    if digest in remote.sha256:
        return True
    if not remote.values_sha256 or remote.read is None:
        return False
    try:
        values = remote.read(path)
    except (ValueError, OSError):
        return False
    return values_sha256(values) in remote.values_sha256


def _expected(remote: RemoteFile) -> str:
    text = " or ".join(remote.sha256)
    if remote.values_sha256:
        text += f" (or values with sha256 {' or '.join(remote.values_sha256)}, see values_sha256)"
    return text


# what parsing a bad file raises: numpy/pandas (ValueError), gzip and short reads (OSError,
# EOFError), npz and tar archives, a missing array in an npz (KeyError)
PARSE_ERRORS: tuple[type[Exception], ...] = (
    ValueError, OSError, EOFError, KeyError, zipfile.BadZipFile, tarfile.TarError,
)  # fmt: skip


@contextmanager
def reading(
    file: FetchedFile, layout: str, errors: tuple[type[Exception], ...] = ()
) -> Iterator[None]:
    """Parse ``file`` inside this block: a file that cannot be parsed (truncated, or another
    version) is a ValueError that names it, what was expected and how to replace it."""
    try:
        yield
    except PARSE_ERRORS + errors as exc:
        unchecked = (
            ""
            if file.verified
            else " Its sha256 was not checked against a known-good value (none is published, "
            "or dataset.verify=false)."
        )
        source = f" from {file.url}" if file.url else ""
        raise ValueError(
            f"{file.path} could not be read as {layout} ({type(exc).__name__}: {exc}).{unchecked}"
            f" The file may be truncated or a different version: delete it and run again to "
            f"download it{source}, or put a good copy there."
        ) from exc


def fetch(
    remote: RemoteFile,
    folder: Path,
    base_url: str | None,
    verify: bool = True,
) -> FetchedFile:
    """The local path of ``remote`` in ``folder``, downloaded from ``base_url`` when missing.

    Parameters
    ----------
    remote : the file and its known-good hashes
    folder : the dataset's folder, e.g. ``<data_dir>/glass``
    base_url : where the file is downloaded from (``base_url + remote.name``), or None when it
        cannot be downloaded
    verify : refuse a file whose sha256 is not known-good (the ``verify`` key of the dataset)

    Raises
    ------
    FileNotFoundError
        The file is missing and cannot be downloaded (no URL, or the server cannot be reached).
    ValueError
        The file's sha256 is not one of the known-good values (local or downloaded file).
    """
    path = folder / remote.name
    url = None if base_url is None else _join(base_url, remote.name)
    if _readable_file(path):
        digest = sha256(path)
        known = is_known_good(remote, path, digest)
        if verify and remote.sha256 and not known:
            raise ValueError(
                f"{path} has sha256 {digest}, which is not a known-good value for "
                f"{remote.name} (expected {_expected(remote)}). The file may be "
                f"corrupted or a different version: delete it to download it again"
                f"{'' if url is None else f' from {url}'}, or, if you trust it, skip the check "
                f"with {CHECKSUM_OVERRIDE} (e.g. fir-run dataset=<name> {CHECKSUM_OVERRIDE})."
            )
        return FetchedFile(path, digest, url, known)
    if url is None:
        raise FileNotFoundError(
            f"{path} does not exist and cannot be downloaded automatically. "
            f"{remote.how_to_get} Place it at {path} (the data directory is paths.data_dir, "
            "set by FIR_DATA_DIR)."
        )
    digest, known = _download(url, path, remote, verify)
    return FetchedFile(path, digest, url, known)


def _readable_file(path: Path) -> bool:
    """Whether ``path`` is a file this process can read (False when nothing is there). A
    folder it may not enter or a file it may not read is an error naming the path and the fix
    (Python's own names neither, through Hydra), as is a folder where the file should be."""
    try:
        if path.is_file():
            with path.open("rb"):
                return True
        there = path.exists()
    except PermissionError:
        raise PermissionError(
            f"cannot read {path}: permission denied. Ask the owner of the file (or of a folder "
            f"above it) for read access, or set FIR_DATA_DIR (paths.data_dir) to a copy you "
            f"can read."
        ) from None
    if there:
        raise IsADirectoryError(
            f"{path} is not a file (a folder?), so the data file cannot be read or downloaded "
            f"there. Move it away, or set FIR_DATA_DIR (paths.data_dir) to another directory."
        )
    return False


def _download(url: str, path: Path, remote: RemoteFile, verify: bool) -> tuple[str, bool]:
    """Download ``url`` to ``path`` through a temporary folder; (the sha256 of what was kept,
    whether it is known-good).

    The file is moved into place only when it is known-good (or when ``verify`` is off, or no
    hash is known), so a failed or corrupted download never leaves a file that a later run
    would read.
    """
    import requests  # pooch's own HTTP client; imported lazily like pooch does

    created = [p for p in [path.parent, *path.parent.parents] if not p.exists()]
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{path.name}.", dir=path.parent))
    except OSError as exc:  # a read-only data directory, or a file where a folder should be
        raise FileNotFoundError(
            f"{path} is missing and cannot be downloaded into {path.parent} ({exc.strerror or exc})"
            f". Set FIR_DATA_DIR (paths.data_dir) to a directory you can write to, or download "
            f"{url}{_hint(remote)} by hand and place it at {path}."
        ) from exc
    _remove_stale_staging(path, keep=staging)
    try:
        try:
            with _quiet(pooch.get_logger()):  # its "use this value as known_hash" advice
                pooch.retrieve(
                    url, known_hash=None, fname=path.name, path=staging, progressbar=False
                )
        except requests.exceptions.RequestException as exc:
            raise FileNotFoundError(
                f"{path} is missing and downloading it from {url} failed ({type(exc).__name__}: "
                f"{exc}). Download the file by hand from {url}{_hint(remote)} and place it at "
                f"{path} (the data directory is paths.data_dir, set by FIR_DATA_DIR), or "
                "download from a reachable copy with dataset.base_url=<URL of its folder>."
            ) from exc
        downloaded = staging / path.name
        digest = sha256(downloaded)
        known = is_known_good(remote, downloaded, digest)
        if verify and remote.sha256 and not known:
            raise ValueError(
                f"the file downloaded from {url} has sha256 {digest}, which does not match the "
                f"known sha256 {_expected(remote)}. Nothing was kept at {path}. Try "
                f"again later or from another copy (dataset.base_url=...); to accept it anyway "
                f"use {CHECKSUM_OVERRIDE}."
            )
        downloaded.chmod(0o644)  # a public data file, readable in a shared data directory
        downloaded.replace(path)
        return digest, known
    finally:
        shutil.rmtree(staging, ignore_errors=True)
        for folder in created:  # a failed first download leaves no empty folders behind
            if folder.is_dir() and not any(folder.iterdir()):
                folder.rmdir()


STALE_STAGING_S = 24 * 3600


def _remove_stale_staging(path: Path, keep: Path) -> None:
    """Remove the staging folders of downloads of ``path`` that were killed (SIGKILL leaves
    them) more than a day ago; a younger one may be another process's download in progress."""
    for old in path.parent.glob(f".{path.name}.*"):
        try:
            stale = old != keep and time.time() - old.stat().st_mtime > STALE_STAGING_S
        except FileNotFoundError:  # another process removed it meanwhile
            continue
        if stale and old.is_dir():
            shutil.rmtree(old, ignore_errors=True)


@contextmanager
def _quiet(logger: logging.Logger) -> Iterator[None]:
    """``logger`` at WARNING inside the block, its own level restored after."""
    level = logger.level
    logger.setLevel(logging.WARNING)
    try:
        yield
    finally:
        logger.setLevel(level)


def _hint(remote: RemoteFile) -> str:
    return f" ({remote.how_to_get.rstrip('.')})" if remote.how_to_get else ""


def _join(base_url: str, name: str) -> str:
    return f"{base_url.rstrip('/')}/{name}"


def provenance(source: str, files: list[FetchedFile], **facts: object) -> dict:
    """The ``Dataset.provenance`` record: the official home, every file used and its sha256."""
    return {"source": source, "files": [f.record() for f in files], **facts}
