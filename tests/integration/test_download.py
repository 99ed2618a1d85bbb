"""Downloads through pooch, against a local HTTP server on 127.0.0.1 (no internet needed)."""

from __future__ import annotations

import functools
import gzip
import io
import os
import shutil
import socket
import tarfile
import threading
import time
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from fir.data.decres import load_enhancer_promoter, load_enhancer_promoter_dfs
from fir.data.download import sha256
from fir.data.mnist import NPZ, load_mnist_pair
from fir.data.rnaseq import ARCHIVE, load_rnaseq
from fir.data.scikit_feature import load_yale
from fir.data.uci import GLASS, load_glass


class QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format, *args):  # noqa: A002 - the base class's signature
        """Keep the test output clean."""


@pytest.fixture
def server_root(tmp_path, shared_data_dir) -> Path:
    """What the server serves: the shared data under shared/, generated files elsewhere."""
    root = tmp_path / "www"
    root.mkdir()
    os.symlink(shared_data_dir, root / "shared")
    return root


@pytest.fixture
def base_url(server_root):
    handler = functools.partial(QuietHandler, directory=str(server_root))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()
    thread.join()


def test_downloads_a_good_file_once(base_url, tmp_path):
    cache = tmp_path / "cache"
    ds = load_glass(cache, base_url=f"{base_url}/shared/glass")
    target = cache / "glass" / "glass.data"
    assert target.is_file() and sha256(target) == GLASS.sha256[0]
    (entry,) = ds.provenance["files"]
    assert entry["url"] == f"{base_url}/shared/glass/glass.data" and entry["verified"]
    assert ds.X.shape == (214, 10)
    # second load reads the cache: a dead URL does not matter any more
    again = load_glass(cache, base_url="http://127.0.0.1:9/none")
    assert np.array_equal(again.X, ds.X)


def test_a_mirror_may_serve_any_known_good_version(base_url, tmp_path):
    """mnist.npz has two known-good hashes (keras' file and the shared rebuild); a mirror
    serving the second is accepted, as the same file placed by hand is."""
    ds = load_mnist_pair(tmp_path, base_url=f"{base_url}/shared/mnist")
    target = tmp_path / "mnist" / "mnist.npz"
    assert sha256(target) == NPZ.sha256[1] and ds.provenance["files"][0]["verified"]
    assert sorted(p.name for p in target.parent.iterdir()) == ["mnist.npz"]  # no staging left
    assert target.stat().st_mode & 0o777 == 0o644  # readable in a shared data directory


def test_downloads_a_binary_file(base_url, tmp_path):
    ds = load_yale(tmp_path, base_url=f"{base_url}/shared/yale")
    assert ds.X.shape == (165, 1024) and ds.provenance["files"][0]["verified"]


def test_corrupted_download_leaves_nothing(base_url, server_root, tmp_path, shared_data_dir):
    bad = server_root / "corrupt"
    bad.mkdir()
    data = (shared_data_dir / "glass" / "glass.data").read_bytes()
    (bad / "glass.data").write_bytes(data.replace(b"1.52101", b"1.52102", 1))
    cache = tmp_path / "cache"
    with pytest.raises(ValueError, match=rf"{base_url}/corrupt/glass\.data.*{GLASS.sha256[0]}"):
        load_glass(cache, base_url=f"{base_url}/corrupt")
    folder = cache / "glass"
    assert not folder.exists() or list(folder.iterdir()) == []


def test_server_down_names_the_url_and_the_manual_route(tmp_path):
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    url = f"http://127.0.0.1:{port}/glass"
    with pytest.raises(FileNotFoundError, match=rf"{url}/glass\.data.*by hand.*glass\.data"):
        load_glass(tmp_path, base_url=url)
    assert not (tmp_path / "glass" / "glass.data").exists()


def test_missing_on_the_server(base_url, tmp_path):
    """The shared folder lacks the official training images: a 404 is a clear error too."""
    with pytest.raises(FileNotFoundError, match=r"train-images-idx3-ubyte\.gz.*by hand"):
        load_mnist_pair(tmp_path, file_format="idx", base_url=f"{base_url}/shared/mnist")


def _rnaseq_archive(path: Path) -> None:
    """A small tar.gz of the UCI layout (the real one is not available here)."""
    samples = [f"sample_{i}" for i in range(10)]
    data = pd.DataFrame(np.arange(40.0).reshape(10, 4), index=samples, columns=list("ABCD"))
    labels = pd.DataFrame({"Class": ["BRCA", "PRAD"] * 5}, index=samples)
    with tarfile.open(path, "w:gz") as tar:
        for name, frame in (("data.csv", data), ("labels.csv", labels)):
            raw = frame.to_csv().encode()
            info = tarfile.TarInfo(f"TCGA-PANCAN-HiSeq-801x20531/{name}")
            info.size = len(raw)
            tar.addfile(info, io.BytesIO(raw))


def test_unknown_archive_is_refused_unless_verify_is_off(base_url, server_root, tmp_path):
    (server_root / "uci").mkdir()
    _rnaseq_archive(server_root / "uci" / ARCHIVE.name)
    with pytest.raises(ValueError, match=r"does not match.*dataset\.verify=false"):
        load_rnaseq(tmp_path, base_url=f"{base_url}/uci")
    assert not (tmp_path / "rna-seq").exists() or list((tmp_path / "rna-seq").iterdir()) == []
    ds = load_rnaseq(tmp_path, base_url=f"{base_url}/uci", verify=False)
    assert ds.X.shape == (10, 4)
    (entry,) = ds.provenance["files"]
    assert not entry["verified"] and entry["sha256"] == sha256(tmp_path / "rna-seq" / ARCHIVE.name)


def test_file_without_a_published_hash_is_downloaded_and_recorded(
    base_url, server_root, shared_data_dir, tmp_path
):
    """DECRES publishes no checksum for its data matrix: it is downloaded and its hash kept."""
    decres = server_root / "decres"
    decres.mkdir()
    for name in ("GM12878_200bp_Classes.txt", "GM12878_Features.txt"):
        shutil.copy(shared_data_dir / "enhancer-promoter" / name, decres / name)
    X = np.random.default_rng(0).integers(0, 9, size=(20878, 102))
    pd.DataFrame(X).to_csv(decres / "GM12878_200bp_Data.txt", sep="\t", header=False, index=False)
    ds = load_enhancer_promoter(tmp_path, base_url=f"{base_url}/decres")
    assert ds.X.shape == (8634, 102)
    data, labels, names = ds.provenance["files"]
    assert data["sha256"] == sha256(decres / "GM12878_200bp_Data.txt") and not data["verified"]
    assert labels["verified"] and names["verified"]


def test_the_dfs_release_downloads_as_published(base_url, server_root, shared_data_dir, tmp_path):
    """The author's repository serves the DFS files uncompressed (the shared copy gzipped
    them byte for byte): each downloads, matches its pinned hash and loads as the copy does."""
    shared = shared_data_dir / "enhancer-promoter" / "legacy_3class_93feat"
    served = server_root / "dfs"
    served.mkdir()
    for path in shared.iterdir():
        if path.suffix == ".gz":
            (served / path.stem).write_bytes(gzip.decompress(path.read_bytes()))
        else:
            shutil.copy(path, served / path.name)
    ds = load_enhancer_promoter_dfs(tmp_path, base_url=f"{base_url}/dfs")
    assert ds.X.shape == (6468, 93) and all(f["verified"] for f in ds.provenance["files"])
    folder = tmp_path / "enhancer-promoter" / "legacy_3class_93feat"
    assert sorted(p.name for p in folder.iterdir()) == sorted(p.name for p in served.iterdir())
    copy = load_enhancer_promoter_dfs(shared_data_dir)
    assert np.array_equal(ds.X, copy.X) and np.array_equal(ds.y, copy.y)


def test_a_failed_download_leaves_no_folder_and_a_killed_one_is_swept(base_url, tmp_path):
    data_dir = tmp_path / "data"
    with pytest.raises(FileNotFoundError):
        load_glass(data_dir, base_url=f"{base_url}/nowhere")
    with pytest.raises(FileNotFoundError):  # two levels: enhancer-promoter/legacy_3class_93feat
        load_enhancer_promoter_dfs(data_dir, base_url=f"{base_url}/nowhere")
    assert not data_dir.exists()
    folder = tmp_path / "glass"
    killed, running = folder / ".glass.data.killed", folder / ".glass.data.running"
    for staging in (killed, running):
        staging.mkdir(parents=True)
        (staging / "glass.data").write_text("partial")
    day_ago = time.time() - 2 * 24 * 3600
    os.utime(killed, (day_ago, day_ago))
    load_glass(tmp_path, base_url=f"{base_url}/shared/glass")
    assert not killed.exists() and running.exists()  # a younger one may be another download


def test_a_folder_where_the_data_file_belongs_is_an_error_before_any_download(base_url, tmp_path):
    """It counted as missing: the file was downloaded, then failed to move into place with a
    bare IsADirectoryError (no path)."""
    (tmp_path / "glass" / "glass.data").mkdir(parents=True)
    with pytest.raises(IsADirectoryError, match=r"glass\.data is not a file .*Move it away"):
        load_glass(tmp_path, base_url=f"{base_url}/shared/glass")
    assert list((tmp_path / "glass").iterdir()) == [tmp_path / "glass" / "glass.data"]


def test_an_unreadable_data_file_names_its_path_and_the_fix(tmp_path, shared_data_dir, monkeypatch):
    """Through Hydra, fir-run showed only PermissionError(13, 'Permission denied')."""
    folder = tmp_path / "glass"
    folder.mkdir()
    shutil.copy(shared_data_dir / "glass" / "glass.data", folder / "glass.data")
    if os.geteuid() == 0:  # root reads any file: the open fails as it would for a user
        real_open = Path.open

        def refuse(self, *args, **kwargs):
            if self.name == "glass.data":
                raise PermissionError(13, "Permission denied", str(self))
            return real_open(self, *args, **kwargs)

        monkeypatch.setattr(Path, "open", refuse)
    else:
        (folder / "glass.data").chmod(0)
    with pytest.raises(PermissionError, match=r"cannot read .*glass\.data: .*FIR_DATA_DIR"):
        load_glass(tmp_path, base_url="http://127.0.0.1:9/none")
