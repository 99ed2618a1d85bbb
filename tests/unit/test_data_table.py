"""The user-table loader: formats, task inference and the errors a bad file gives."""

from __future__ import annotations

import importlib.util

import numpy as np
import pandas as pd
import pytest

from fir.data.table import load_table


@pytest.fixture
def frame() -> pd.DataFrame:
    rng = np.random.default_rng(0)
    return pd.DataFrame(
        {
            "a": rng.normal(size=30),
            "b": rng.normal(size=30),
            "c": np.arange(30),
            "label": np.array(["x", "y", "z"])[np.arange(30) % 3],
            "value": rng.normal(size=30),
        }
    )


@pytest.mark.parametrize("suffix", [".csv", ".tsv", ".npz"])
def test_formats(frame, tmp_path, suffix):
    path = tmp_path / f"data{suffix}"
    if suffix == ".npz":
        arrays = {c: frame[c].to_numpy() for c in frame.columns}
        arrays["label"] = arrays["label"].astype(str)  # NPZ holds no object arrays
        np.savez(path, **arrays)
    else:
        frame.to_csv(path, sep="," if suffix == ".csv" else "\t", index=False)
    ds = load_table(path, target="label", features=["a", "c"])
    assert ds.name == "data" and ds.task == "classification"
    assert ds.feature_names == ["a", "c"] and ds.X.shape == (30, 2)
    assert ds.provenance["classes"] == ["x", "y", "z"]
    np.testing.assert_allclose(ds.X[:, 0], frame["a"])
    assert np.array_equal(ds.y, np.arange(30) % 3)


def test_npz_with_a_matrix(tmp_path):
    X = np.arange(20.0).reshape(10, 2)
    np.savez(tmp_path / "m.npz", X=X, feature_names=np.array(["p", "q"]), y=np.arange(10) % 2)
    ds = load_table(tmp_path / "m.npz", target="y", n_folds=2)
    assert ds.feature_names == ["p", "q"] and np.array_equal(ds.X, X)


def test_task_inference(frame, tmp_path):
    frame.drop(columns="label").to_csv(tmp_path / "d.csv", index=False)
    assert load_table(tmp_path / "d.csv", target="value").task == "regression"
    assert load_table(tmp_path / "d.csv", target="c", n_folds=1).task == "regression"  # 30 values
    frame["c"] = np.arange(30) % 4
    frame.drop(columns="label").to_csv(tmp_path / "d.csv", index=False)
    ds = load_table(tmp_path / "d.csv", target="c")
    assert ds.task == "classification" and ds.feature_names == ["a", "b", "value"]
    forced = load_table(tmp_path / "d.csv", target="c", task="regression")
    assert forced.task == "regression" and forced.y.dtype == np.float64


def test_errors(frame, tmp_path):
    path = tmp_path / "d.csv"
    frame.to_csv(path, index=False)
    with pytest.raises(FileNotFoundError, match=r"dataset\.path='.*nope\.csv': no file"):
        load_table(tmp_path / "nope.csv", target="label")
    with pytest.raises(ValueError, match=r"target='lab'.*\['a', 'b', 'c', 'label', 'value'\]"):
        load_table(path, target="lab")
    with pytest.raises(ValueError, match=r"feature columns \['label'\] are not numeric"):
        load_table(path, target="value")
    with pytest.raises(ValueError, match=r"\['zz'\]"):
        load_table(path, target="label", features=["a", "zz"])
    with pytest.raises(ValueError, match="task='ranking'"):
        load_table(path, target="label", features=["a"], task="ranking")
    with pytest.raises(ValueError, match=r"fewer than the 50 folds"):
        load_table(path, target="label", features=["a"], n_folds=50)
    with pytest.raises(ValueError, match=r"fewer rows than the 11 folds"):
        load_table(path, target="label", features=["a"], n_folds=11)


def test_non_finite_values_and_single_class(frame, tmp_path):
    frame.loc[[4, 9], "a"] = np.nan
    frame.loc[7, "b"] = np.inf
    frame.to_csv(tmp_path / "d.csv", index=False)
    with pytest.raises(ValueError, match=r"3 NaN/inf values \(first in data row 4"):
        load_table(tmp_path / "d.csv", target="label", features=["a", "b"])
    frame["one"] = 1
    frame.to_csv(tmp_path / "d.csv", index=False)
    with pytest.raises(ValueError, match="1 class"):
        load_table(tmp_path / "d.csv", target="one", features=["c"])


@pytest.mark.skipif(
    importlib.util.find_spec("pyarrow") is not None
    or importlib.util.find_spec("fastparquet") is not None,
    reason="a Parquet engine is installed",
)
def test_parquet_without_an_engine_names_the_install(tmp_path):
    (tmp_path / "d.parquet").write_bytes(b"PAR1")
    with pytest.raises(ImportError, match="pip install pyarrow"):
        load_table(tmp_path / "d.parquet", target="label")


def test_unknown_suffix(tmp_path):
    (tmp_path / "d.xlsx").write_bytes(b"")
    with pytest.raises(ValueError, match=r"'\.xlsx'"):
        load_table(tmp_path / "d.xlsx", target="label")


def test_numeric_column_names_and_a_single_feature(tmp_path):
    """Hydra reads dataset.target=3 and dataset.features=ab as an int and a str."""
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(rng.normal(size=(20, 3)), columns=["0", "1", "2"])
    frame["3"] = [0, 1] * 10
    frame.to_csv(tmp_path / "num.csv", index=False)
    ds = load_table(tmp_path / "num.csv", target=3, features=[0, "2"])
    assert ds.feature_names == ["0", "2"] and ds.n_features == 2
    words = pd.DataFrame({"ab": rng.normal(size=20), "a": 1.0, "b": 2.0, "label": [0, 1] * 10})
    words.to_csv(tmp_path / "words.csv", index=False)
    assert load_table(tmp_path / "words.csv", "label", features="ab").feature_names == ["ab"]
    assert load_table(tmp_path / "num.csv", 3, features=1).feature_names == ["1"]


def test_a_saved_row_index_is_left_out_unless_named(frame, tmp_path, caplog):
    """DataFrame.to_csv() writes the index as an unnamed column; on rows sorted by class it
    would give the label away, as glass's Id does."""
    path = tmp_path / "indexed.csv"
    frame.to_csv(path)  # index=True: a column "Unnamed: 0"
    with caplog.at_level("WARNING"):
        ds = load_table(path, target="label")
    assert ds.feature_names == ["a", "b", "c", "value"] and "Unnamed: 0" in caplog.text
    kept = load_table(path, target="label", features=["Unnamed: 0", "a"])
    assert kept.feature_names == ["Unnamed: 0", "a"]


def test_empty_and_pickled_files_name_the_file(tmp_path):
    (tmp_path / "empty.csv").write_text("")
    with pytest.raises(ValueError, match=r"dataset\.path=.*empty\.csv.*empty"):
        load_table(tmp_path / "empty.csv", "y")
    np.savez(tmp_path / "obj.npz", X=np.array([[1, "a"]] * 10, dtype=object), y=np.arange(10))
    with pytest.raises(ValueError, match=r"dataset\.path=.*obj\.npz.*np\.savez"):
        load_table(tmp_path / "obj.npz", "y")


def test_a_continuous_target_as_classes_gives_a_short_error(tmp_path):
    frame = pd.DataFrame({"x": np.arange(100.0), "y": np.linspace(0, 1, 100)})
    frame.to_csv(tmp_path / "cont.csv", index=False)
    with pytest.raises(ValueError, match=r"100 of the 100 classes.*and 90 more.*task=regression"):
        load_table(tmp_path / "cont.csv", "y", task="classification")
