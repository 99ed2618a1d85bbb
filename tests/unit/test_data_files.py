"""Loaders on generated files of the official layouts (DECRES 102-feature, RNA-Seq), and the
checksum rules of fir.data.download."""

from __future__ import annotations

import io
import shutil
import tarfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from fir.data.decres import CLASSES, load_enhancer_promoter
from fir.data.download import RemoteFile, data_path, fetch, sha256, values_sha256
from fir.data.rnaseq import ARCHIVE, load_rnaseq
from fir.data.uci import VOWEL, load_glass, load_vowel, read_vowel

DECRES_COUNTS = {"A-E": 5, "A-P": 7, "A-X": 6, "I-E": 6, "I-P": 6, "I-X": 6, "UK": 6}


def write_decres(folder: Path, n_features: int = 4, seed: int = 0) -> np.ndarray:
    """DECRES-layout files (tab-separated data, one label a line, one feature name a line)."""
    rng = np.random.default_rng(seed)
    labels = [code for code, n in DECRES_COUNTS.items() for _ in range(n)]
    X = rng.exponential(size=(len(labels), n_features))
    X[0, 0] = 0.0  # log(0 + 0.01) must stay finite
    folder.mkdir(parents=True, exist_ok=True)
    np.savetxt(folder / "GM12878_200bp_Data.txt", X, fmt="%.6f", delimiter="\t")
    (folder / "GM12878_200bp_Classes.txt").write_text("\n".join(labels) + "\n")
    (folder / "GM12878_Features.txt").write_text(
        "\n".join(f"TF{j}" for j in range(n_features)) + "\n"
    )
    return X


def test_enhancer_promoter_merges_balances_and_logs(tmp_path):
    X = write_decres(tmp_path / "enhancer-promoter")
    ds = load_enhancer_promoter(tmp_path, seed=1, verify=False)
    assert ds.X.shape == (15, 4) and ds.feature_names == ["TF0", "TF1", "TF2", "TF3"]
    assert np.bincount(ds.y).tolist() == [5, 5, 5]  # down-sampled to the 5 active enhancers
    assert CLASSES[0] == "enhancer"
    np.testing.assert_allclose(ds.X[ds.y == 0], np.log(X[:5] + 0.01), rtol=1e-5)
    assert np.isfinite(ds.X).all() and not ds.standardize
    again = load_enhancer_promoter(tmp_path, seed=1, verify=False)
    assert np.array_equal(ds.X, again.X)
    other = load_enhancer_promoter(tmp_path, seed=2, verify=False)
    assert not np.array_equal(ds.X, other.X)
    files = ds.provenance["files"]
    assert [Path(f["path"]).name for f in files][0] == "GM12878_200bp_Data.txt"
    assert files[0]["sha256"] == sha256(tmp_path / "enhancer-promoter" / "GM12878_200bp_Data.txt")


def test_enhancer_promoter_with_the_real_labels(tmp_path, shared_data_dir):
    """The official label and feature files (hash-verified) with a generated data matrix."""
    folder = tmp_path / "enhancer-promoter"
    folder.mkdir()
    for name in ("GM12878_200bp_Classes.txt", "GM12878_Features.txt"):
        shutil.copy(shared_data_dir / "enhancer-promoter" / name, folder / name)
    rng = np.random.default_rng(0)
    X = rng.integers(0, 50, size=(20878, 102))
    pd.DataFrame(X).to_csv(folder / "GM12878_200bp_Data.txt", sep="\t", header=False, index=False)
    ds = load_enhancer_promoter(tmp_path)
    assert ds.X.shape == (3 * 2878, 102)
    assert np.bincount(ds.y).tolist() == [2878] * 3
    assert ds.feature_names[0] == "ATF2" and len(set(ds.feature_names)) == 102
    verified = [f["verified"] for f in ds.provenance["files"]]
    assert verified == [False, True, True]  # DECRES publishes no hash for the data matrix


def test_enhancer_promoter_rejects_mismatched_files(tmp_path):
    write_decres(tmp_path / "enhancer-promoter")
    with open(tmp_path / "enhancer-promoter" / "GM12878_Features.txt", "a") as fh:
        fh.write("EXTRA\n")
    with pytest.raises(ValueError, match="5 feature names|same DECRES release"):
        load_enhancer_promoter(tmp_path, verify=False)


def write_rnaseq(path: Path, n_samples: int = 40, n_genes: int = 12, seed: int = 0) -> None:
    """A tar.gz of the UCI layout: TCGA-PANCAN-HiSeq-801x20531/{data,labels}.csv."""
    rng = np.random.default_rng(seed)
    samples = [f"sample_{i}" for i in range(n_samples)]
    data = pd.DataFrame(
        rng.gamma(2.0, size=(n_samples, n_genes)),
        index=samples,
        columns=[f"gene_{j}" for j in range(n_genes)],
    )
    data["gene_3"] = 0.0  # constant genes are dropped
    data["gene_7"] = 1.5
    classes = np.array(["BRCA", "KIRC", "COAD", "LUAD", "PRAD"])
    labels = pd.DataFrame({"Class": classes[np.arange(n_samples) % 5]}, index=samples)
    path.parent.mkdir(parents=True, exist_ok=True)
    with tarfile.open(path, "w:gz") as tar:
        for name, frame in (("data.csv", data), ("labels.csv", labels)):
            raw = frame.to_csv().encode()
            info = tarfile.TarInfo(f"TCGA-PANCAN-HiSeq-801x20531/{name}")
            info.size = len(raw)
            tar.addfile(info, io.BytesIO(raw))


def test_rnaseq_drops_constant_genes_and_standardises(tmp_path):
    write_rnaseq(tmp_path / "rna-seq" / ARCHIVE.name)
    ds = load_rnaseq(tmp_path, verify=False)
    assert ds.X.shape == (40, 10)
    assert "gene_3" not in ds.feature_names and "gene_7" not in ds.feature_names
    assert ds.standardize and ds.provenance["n_constant_dropped"] == 2
    assert ds.provenance["classes"] == ["BRCA", "COAD", "KIRC", "LUAD", "PRAD"]
    assert np.bincount(ds.y).tolist() == [8] * 5
    kept = load_rnaseq(tmp_path, drop_constant=False, verify=False)
    assert kept.X.shape == (40, 12)


def test_rnaseq_standin_script_writes_a_loadable_archive(tmp_path, monkeypatch):
    """scripts/make_rnaseq_standin.py (timing runs without the real data), at a small shape."""
    import importlib.util

    path = Path(__file__).resolve().parents[2] / "scripts" / "make_rnaseq_standin.py"
    spec = importlib.util.spec_from_file_location("make_rnaseq_standin", path)
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    monkeypatch.setattr(script, "SHAPE", (200, 400))
    script.main([str(tmp_path), "--informative", "5"])
    ds = load_rnaseq(tmp_path, verify=False)
    assert ds.X.shape == (200, 400 - script.N_CONSTANT)
    assert ds.provenance["n_constant_dropped"] == script.N_CONSTANT
    assert ds.feature_names[:5] == [f"gene_{j}" for j in range(5)]
    # the informative genes separate the classes; a noise gene does not
    means = pd.DataFrame(ds.X[:, :6]).groupby(ds.y).mean()
    assert means.iloc[:, :5].std().min() > 2 * means.iloc[:, 5].std()


def test_rnaseq_refuses_an_unknown_archive(tmp_path):
    write_rnaseq(tmp_path / "rna-seq" / ARCHIVE.name)
    with pytest.raises(ValueError, match=r"sha256.*dataset\.verify=false"):
        load_rnaseq(tmp_path)


def test_fetch_checks_local_hashes(tmp_path):
    (tmp_path / "a.txt").write_text("hello\n")
    digest = sha256(tmp_path / "a.txt")
    good = fetch(RemoteFile("a.txt", ("0" * 64, digest)), tmp_path, None)
    assert good.verified and good.sha256 == digest
    bad = RemoteFile("a.txt", ("f" * 64,))
    with pytest.raises(ValueError, match=rf"{digest}.*{'f' * 64}.*dataset\.verify=false"):
        fetch(bad, tmp_path, None)
    unchecked = fetch(bad, tmp_path, None, verify=False)
    assert not unchecked.verified and unchecked.sha256 == digest


def test_fetch_names_the_path_of_a_file_it_cannot_download(tmp_path):
    remote = RemoteFile("missing.txt", (), how_to_get="Ask its authors.")
    with pytest.raises(FileNotFoundError, match=r"missing\.txt.*Ask its authors.*FIR_DATA_DIR"):
        fetch(remote, tmp_path, None)


def test_a_data_directory_that_cannot_be_written_is_a_clear_error(tmp_path):
    """A read-only data directory (a shared copy) or a file in its place: the error names the
    directory and the fix, not the OS's bare errno."""
    not_a_dir = tmp_path / "data"
    not_a_dir.write_text("")
    remote = RemoteFile("glass.data", ("0" * 64,))
    with pytest.raises(FileNotFoundError, match=r"cannot be downloaded into .*data/glass.*FIR_"):
        fetch(remote, not_a_dir / "glass", "http://127.0.0.1:9/glass")


def test_the_data_directory_is_absolute_and_never_empty(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert data_path("data") == tmp_path / "data"
    assert data_path("~/x") == Path.home() / "x"
    with pytest.raises(ValueError, match=r"paths\.data_dir is empty.*FIR_DATA_DIR"):
        data_path("")


def test_a_file_that_cannot_be_parsed_is_named_with_the_fix(tmp_path, shared_data_dir):
    """With dataset.verify=false (or no published hash) a truncated file gets past the hash
    check; parsing it must still name the file and say how to replace it."""
    folder = tmp_path / "glass"
    folder.mkdir()
    lines = (shared_data_dir / "glass" / "glass.data").read_text().splitlines()
    (folder / "glass.data").write_text("\n".join(lines[:-1] + [lines[-1][:20]]) + "\n")
    with pytest.raises(ValueError, match=r"glass\.data could not be read as 11 comma.*"
                       r"not checked.*delete it and run again"):  # fmt: skip
        load_glass(tmp_path, verify=False)


def test_vowel_in_the_uci_layout_is_known_good_by_its_values(tmp_path, shared_data_dir):
    """The UCI archive's vowel-context.data is whitespace-separated; the pinned copy is not.
    The same values in either layout pass; one changed value does not."""
    text = (shared_data_dir / "vowel" / "vowel-context.data").read_text()
    folder = tmp_path / "vowel"
    folder.mkdir()
    (folder / "vowel-context.data").write_text(text.replace(", ", "  "))
    ds = load_vowel(tmp_path)
    assert ds.X.shape == (990, 10) and ds.provenance["files"][0]["verified"]
    assert values_sha256(read_vowel(folder / "vowel-context.data")) == VOWEL.values_sha256[0]
    (folder / "vowel-context.data").write_text(text.replace("-3.639", "-3.640", 1))
    with pytest.raises(ValueError, match=r"not a known-good value.*or values with sha256"):
        load_vowel(tmp_path)
