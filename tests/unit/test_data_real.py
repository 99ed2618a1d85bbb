"""The paper's datasets from the shared data directory: shapes, classes, preprocessing."""

from __future__ import annotations

import shutil

import numpy as np
import pytest

from fir.data.decres import load_enhancer_promoter, load_enhancer_promoter_dfs
from fir.data.mnist import load_mnist_pair
from fir.data.scikit_feature import load_tox171, load_yale
from fir.data.uci import load_glass, load_vowel
from fir.evaluation import make_splits

# loader, kwargs, (n_samples, n_features), class counts (label -> rows)
CASES = {
    "glass": (
        load_glass,
        {},
        (214, 10),
        {1: 70, 2: 76, 3: 17, 5: 13, 6: 9, 7: 29},
    ),
    "glass_no_id": (
        load_glass,
        {"keep_id": False},
        (214, 9),
        {1: 70, 2: 76, 3: 17, 5: 13, 6: 9, 7: 29},
    ),
    "vowel": (load_vowel, {}, (990, 10), dict.fromkeys(range(11), 90)),
    "tox171": (load_tox171, {}, (171, 5748), {1: 45, 2: 45, 3: 39, 4: 42}),
    "yale": (load_yale, {}, (165, 1024), dict.fromkeys(range(1, 16), 11)),
    "enhancer_promoter_dfs": (
        load_enhancer_promoter_dfs,
        {},
        (6468, 93),
        {0: 2156, 1: 2156, 2: 2156},
    ),
    "mnist38": (load_mnist_pair, {}, (11982 + 1984, 784), {3: 6131 + 1010, 8: 5851 + 974}),
}


@pytest.mark.parametrize("name", list(CASES))
def test_shapes_classes_and_provenance(name, shared_data_dir):
    loader, kwargs, shape, counts = CASES[name]
    ds = loader(shared_data_dir, **kwargs)
    assert ds.name == name
    assert ds.X.shape == shape
    assert ds.X.dtype == np.float64 and np.isfinite(ds.X).all()
    labels, n = np.unique(ds.y, return_counts=True)
    assert dict(zip(labels.tolist(), n.tolist(), strict=True)) == counts
    assert ds.task == "classification"
    files = ds.provenance["files"]
    assert files and all(len(f["sha256"]) == 64 and f["verified"] for f in files)
    # the paper's protocol fits every dataset: 5 folds, each with every class in training
    for seed in (0, 1, 2):
        assert len(make_splits(ds, 5, 0.2, seed=seed)) == 5


def test_mnist_official_split_and_scaling(shared_data_dir):
    ds = load_mnist_pair(shared_data_dir)
    test = ds.test_index
    assert len(test) == 1984 and test[0] == 11982 and test[-1] == ds.n_samples - 1
    assert ds.image_shape == (28, 28)
    assert ds.X.min() == 0.0 and ds.X.max() == 1.0
    splits = make_splits(ds, 5, 0.2, seed=0)
    for split in splits:
        assert np.array_equal(split.test, test)
        assert len(split.train) + len(split.val) == 11982
        assert not np.isin(split.train, test).any() and not np.isin(split.val, test).any()


def test_mnist_npz_and_idx_agree_on_the_test_part(shared_data_dir, tmp_path):
    """The idx reader against the npz: only the official test files are all present here."""
    from fir.data.mnist import IDX, read_idx

    x_test = read_idx(shared_data_dir / "mnist" / IDX["x_test"].name)
    y_test = read_idx(shared_data_dir / "mnist" / IDX["y_test"].name)
    with np.load(shared_data_dir / "mnist" / "mnist.npz") as npz:
        assert np.array_equal(x_test, npz["x_test"])
        assert np.array_equal(y_test, npz["y_test"])


def test_glass_id_column_is_kept_first(shared_data_dir):
    with_id = load_glass(shared_data_dir)
    without = load_glass(shared_data_dir, keep_id=False)
    assert with_id.feature_names[0] == "Id" and "Id" not in without.feature_names
    assert np.array_equal(with_id.X[:, 0], np.arange(1, 215))
    assert np.array_equal(with_id.X[:, 1:], without.X)
    assert with_id.standardize and without.standardize


def _symmetry(image: np.ndarray, axis: int) -> float:
    """Correlation of an image with its mirror image along ``axis``."""
    a = image - image.mean()
    b = np.flip(a, axis=axis)
    return float((a * b).sum() / (a * a).sum())


def test_yale_faces_are_upright(shared_data_dir):
    ds = load_yale(shared_data_dir)
    assert ds.image_shape == (32, 32)
    mean_face = ds.X.mean(axis=0).reshape(ds.image_shape)
    # A face is mirror-symmetric left-right, not up-down; a transposed face is the opposite.
    assert _symmetry(mean_face, axis=1) > _symmetry(mean_face, axis=0) + 0.2
    # eyes (dark) are above the mouth: the upper half's darkest row is above the image centre
    rows = mean_face[:, 8:24].mean(axis=1)
    assert np.argmin(rows[4:16]) + 4 < 16


def test_tox171_is_standardised_per_fold(shared_data_dir):
    ds = load_tox171(shared_data_dir)
    assert ds.standardize and ds.X.max() > 1000


def test_dfs_release_is_balanced_and_l2_normalised(shared_data_dir):
    ds = load_enhancer_promoter_dfs(shared_data_dir)
    norms = np.linalg.norm(ds.X, axis=1)
    # rows are unit length up to the file's 6 significant digits; a few rows are all zero
    assert np.mean(np.abs(norms - 1) < 0.01) > 0.99
    assert ds.feature_names[:3] == ["ATF2", "ATF3", "BATF"]
    assert not ds.standardize


def test_vowel_reads_the_whitespace_separated_uci_layout(shared_data_dir, tmp_path):
    """The pinned copy is comma-separated; readers of the UCI archive's file parse it by
    whitespace. Both give the same table (the unpinned layout needs verify=False)."""
    (tmp_path / "vowel").mkdir()
    text = (shared_data_dir / "vowel" / "vowel-context.data").read_text()
    (tmp_path / "vowel" / "vowel-context.data").write_text(text.replace(",", " "))
    ref, spaced = load_vowel(shared_data_dir), load_vowel(tmp_path, verify=False)
    np.testing.assert_array_equal(ref.X, spaced.X)
    np.testing.assert_array_equal(ref.y, spaced.y)


def test_a_damaged_decres_matrix_says_to_delete_it(shared_data_dir, tmp_path):
    """The DECRES data matrix has no published hash: a truncated copy must name itself and
    the fix, not just fail to line up with the labels."""
    folder = tmp_path / "enhancer-promoter"
    folder.mkdir()
    for name in ("GM12878_200bp_Classes.txt", "GM12878_Features.txt"):
        shutil.copy(shared_data_dir / "enhancer-promoter" / name, folder / name)
    matrix = folder / "GM12878_200bp_Data.txt"
    matrix.write_text("1 2 3\n4 5 6\n")
    with pytest.raises(ValueError, match=r"is 2 x 3.*delete .*GM12878_200bp_Data\.txt"):
        load_enhancer_promoter(tmp_path)
    matrix.write_text("ATF2 CTCF\n1 2\n")
    with pytest.raises(ValueError, match=r"not a whitespace-separated numeric.*delete"):
        load_enhancer_promoter(tmp_path)
