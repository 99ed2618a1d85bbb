"""Data files: look them up in the data directory, download what is missing, check sha256.

Every loader describes its files as :class:`RemoteFile` records and calls :func:`fetch` for each.
A file already in the data directory is used if its sha256 is one of the known-good values; a
missing one is downloaded with pooch (into a temporary folder beside it, moved into place only if
its hash is known-good).
Nothing here runs at import time.
"""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

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
    """

    name: str
    sha256: tuple[str, ...] = ()
    how_to_get: str = ""


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
    """The data directory with ``~`` expanded (``paths.data_dir`` in the config)."""
    return Path(data_dir).expanduser()


def sha256(path: Path) -> str:
    """Hex sha256 of a file."""
    return pooch.file_hash(str(path), alg="sha256")


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
    if path.is_file():
        digest = sha256(path)
        known = digest in remote.sha256
        if verify and remote.sha256 and not known:
            raise ValueError(
                f"{path} has sha256 {digest}, which is not a known-good value for "
                f"{remote.name} (expected {' or '.join(remote.sha256)}). The file may be "
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
    digest = _download(url, path, remote, verify)
    return FetchedFile(path, digest, url, digest in remote.sha256)


def _download(url: str, path: Path, remote: RemoteFile, verify: bool) -> str:
    """Download ``url`` to ``path`` through a temporary folder; the sha256 of what was kept.

    The file is moved into place only when its hash is one of ``remote.sha256`` (or when
    ``verify`` is off, or no hash is known), so a failed or corrupted download never leaves a
    file that a later run would read.
    """
    import requests  # pooch's own HTTP client; imported lazily like pooch does

    path.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{path.name}.", dir=path.parent))
    try:
        try:
            pooch.retrieve(url, known_hash=None, fname=path.name, path=staging, progressbar=False)
        except requests.exceptions.RequestException as exc:
            raise FileNotFoundError(
                f"{path} is missing and downloading it from {url} failed ({type(exc).__name__}: "
                f"{exc}). Download the file by hand from {url}{_hint(remote)} and place it at "
                f"{path} (the data directory is paths.data_dir, set by FIR_DATA_DIR), or "
                "download from a reachable copy with dataset.base_url=<URL of its folder>."
            ) from exc
        downloaded = staging / path.name
        digest = sha256(downloaded)
        if verify and remote.sha256 and digest not in remote.sha256:
            raise ValueError(
                f"the file downloaded from {url} has sha256 {digest}, which does not match the "
                f"known sha256 {' or '.join(remote.sha256)}. Nothing was kept at {path}. Try "
                f"again later or from another copy (dataset.base_url=...); to accept it anyway "
                f"use {CHECKSUM_OVERRIDE}."
            )
        downloaded.chmod(0o644)  # a public data file, readable in a shared data directory
        downloaded.replace(path)
        return digest
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _hint(remote: RemoteFile) -> str:
    return f" ({remote.how_to_get.rstrip('.')})" if remote.how_to_get else ""


def _join(base_url: str, name: str) -> str:
    return f"{base_url.rstrip('/')}/{name}"


def provenance(source: str, files: list[FetchedFile], **facts: object) -> dict:
    """The ``Dataset.provenance`` record: the official home, every file used and its sha256."""
    return {"source": source, "files": [f.record() for f in files], **facts}
