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
    with pytest.raises(ValueError, match=r"\['label'\] are not numeric.*dataset\.features"):
        load_table(path, target="value", features=["a", "label"])
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
    with pytest.raises(ValueError, match="pip install pyarrow"):
        load_table(tmp_path / "d.parquet", target="label")


def test_a_missing_parquet_engine_is_a_one_line_value_error(tmp_path, monkeypatch):
    """fir-run prints a ValueError as one line; an ImportError escaped as a traceback."""

    def no_engine(*args, **kwargs):
        raise ImportError("Unable to find a usable engine.\nA suitable version is required.")

    monkeypatch.setattr(pd, "read_parquet", no_engine)
    (tmp_path / "d.parquet").write_bytes(b"PAR1")
    with pytest.raises(ValueError, match=r"d\.parquet.*pip install pyarrow.*CSV or NPZ") as err:
        load_table(tmp_path / "d.parquet", target="label")
    assert "\n" not in str(err.value) and "usable engine" in str(err.value)
    assert isinstance(err.value.__cause__, ImportError)


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


def test_exclude_leaves_columns_out_before_the_features_are_chosen(frame, tmp_path, caplog):
    frame.insert(0, "sample id", [f"s{i}" for i in range(30)])
    frame.to_csv(tmp_path / "d.csv", index=False)
    # the non-numeric error names the columns in an override that can be pasted
    with pytest.raises(ValueError, match=r"dataset\.exclude=\['sample id',label\]"):
        load_table(tmp_path / "d.csv", target="value")
    ds = load_table(tmp_path / "d.csv", target="value", exclude=["sample id", "label", "c"])
    assert ds.feature_names == ["a", "b"] and ds.X.shape == (30, 2)
    assert ds.provenance["excluded"] == ["sample id", "c", "label"]
    one = load_table(tmp_path / "d.csv", target="label", exclude="sample id")  # one name
    assert one.feature_names == ["a", "b", "c", "value"]
    both = load_table(tmp_path / "d.csv", target="label", features=["a"], exclude=["sample id"])
    assert both.feature_names == ["a"]
    with pytest.raises(ValueError, match=r"dataset\.exclude names columns \['zz'\].*'label'"):
        load_table(tmp_path / "d.csv", target="label", exclude=["sample id", "zz"])
    with pytest.raises(ValueError, match=r"dataset\.exclude includes the target 'label'"):
        load_table(tmp_path / "d.csv", target="label", exclude=["label"])
    with pytest.raises(ValueError, match=r"features and dataset\.exclude both name \['a'\]"):
        load_table(tmp_path / "d.csv", target="label", features=["a", "b"], exclude=["a"])
    frame.to_csv(tmp_path / "i.csv")  # a saved index, excluded: no warning about it
    with caplog.at_level("WARNING"):
        ds = load_table(tmp_path / "i.csv", "label", exclude=["Unnamed: 0", "sample id", "c"])
    assert ds.feature_names == ["a", "b", "value"] and "Unnamed" not in caplog.text


def test_exclude_in_an_npz(tmp_path):
    X = np.random.default_rng(0).normal(size=(10, 3))
    y, ids = np.arange(10) % 2, np.arange(100, 110)
    np.savez(tmp_path / "m.npz", X=X, feature_names=np.array(["p", "q", "r"]), y=y, id=ids)
    ds = load_table(tmp_path / "m.npz", target="y", exclude=["id", "q"], n_folds=2)
    assert ds.feature_names == ["p", "r"] and np.array_equal(ds.X, X[:, [0, 2]])
    np.savez(tmp_path / "c.npz", a=X[:, 0], b=X[:, 1], y=y, id=ids)
    ds = load_table(tmp_path / "c.npz", target="y", exclude="id", n_folds=2)
    assert ds.feature_names == ["a", "b"]


def test_a_row_id_feature_is_warned_about_and_kept(frame, tmp_path, caplog):
    frame["shuffled"] = np.random.default_rng(1).permutation(30)
    frame["steps"] = np.arange(30) // 2  # increasing, but not one value per row
    frame["time"] = np.linspace(0.5, 10, 30)  # increasing, but not integers
    frame.to_csv(tmp_path / "d.csv", index=False)
    with caplog.at_level("WARNING"):
        ds = load_table(tmp_path / "d.csv", target="label")
    assert "c" in ds.feature_names  # not dropped
    (record,) = [r for r in caplog.records if "row ID" in r.getMessage()]
    assert "['c']" in record.getMessage() and "dataset.exclude=[c]" in record.getMessage()
    caplog.clear()
    with caplog.at_level("WARNING"):
        load_table(tmp_path / "d.csv", target="label", exclude=["c"])
        load_table(tmp_path / "d.csv", target="label", features=["a", "c"])
    (record,) = [r for r in caplog.records if "row ID" in r.getMessage()]  # named: warned too
    assert "remove them from dataset.features" in record.getMessage()
    # a whole-valued float column of an NPZ matrix is an ID as well
    X = np.column_stack([np.arange(1.0, 11.0), np.random.default_rng(0).normal(size=10)])
    np.savez(tmp_path / "m.npz", X=X, y=np.arange(10) % 2)
    caplog.clear()
    with caplog.at_level("WARNING"):
        load_table(tmp_path / "m.npz", target="y", n_folds=2)
    assert "['X0']" in caplog.text and "X1" not in caplog.text


def test_npz_arrays_that_are_not_1d(tmp_path):
    rng = np.random.default_rng(0)
    y = np.arange(10) % 2
    X = rng.normal(size=(10, 2))
    np.savez(tmp_path / "col.npz", X=X, y=y[:, None])  # a (n, 1) target is a column
    ds = load_table(tmp_path / "col.npz", target="y", n_folds=2)
    assert ds.feature_names == ["X0", "X1"] and np.array_equal(ds.y, y)
    names = np.array(["p", "q"])
    np.savez(tmp_path / "named.npz", X=X, feature_names=names, y=y[:, None])
    assert load_table(tmp_path / "named.npz", target="y", n_folds=2).feature_names == ["p", "q"]
    np.savez(tmp_path / "cube.npz", X=rng.normal(size=(10, 2, 3)), y=y)
    with pytest.raises(ValueError, match=r"cube\.npz: the array 'X' has shape \(10, 2, 3\)"):
        load_table(tmp_path / "cube.npz", target="y", n_folds=2)
    np.savez(tmp_path / "wide.npz", X=X, y=y, Z=rng.normal(size=(10, 3)))
    with pytest.raises(ValueError, match=r"the array 'Z' has shape \(10, 3\).*1-D"):
        load_table(tmp_path / "wide.npz", target="y", n_folds=2)
    np.savez(tmp_path / "flat.npz", a=X[:, 0], y=y, feature_names=np.array(["a"]))
    with pytest.raises(ValueError, match=r"feature_names names the columns of a 2-D array 'X'"):
        load_table(tmp_path / "flat.npz", target="y", n_folds=2)


def test_repeated_feature_names_are_an_error(frame, tmp_path):
    frame.to_csv(tmp_path / "d.csv", index=False)
    with pytest.raises(ValueError, match=r"dataset\.features names \['a'\] more than once"):
        load_table(tmp_path / "d.csv", target="label", features=["a", "a", "b"])
    (tmp_path / "h.csv").write_text("g0,g0,g1,g0.1,label\n" + "1,2,3,4,0\n5,6,7,8,1\n" * 5)
    with pytest.raises(ValueError, match=r"h\.csv: the header repeats the column names \['g0'\]"):
        load_table(tmp_path / "h.csv", target="label", n_folds=2)
    (tmp_path / "ok.csv").write_text("g0,g0.1,label\n" + "1,2,0\n5,6,1\n" * 5)  # own names
    assert load_table(tmp_path / "ok.csv", "label", n_folds=2).feature_names == ["g0", "g0.1"]
    X, y = np.ones((10, 3)), np.arange(10) % 2
    np.savez(tmp_path / "m.npz", X=X, feature_names=np.array(["p", "q", "p"]), y=y)
    with pytest.raises(ValueError, match=r"m\.npz: the column names \['p'\] occur more than once"):
        load_table(tmp_path / "m.npz", target="y", n_folds=2)
    np.savez(tmp_path / "n.npz", X=X, feature_names=np.array(["p", "q", "y"]), y=y)
    with pytest.raises(ValueError, match=r"\['y'\] occur more than once"):
        load_table(tmp_path / "n.npz", target="y", n_folds=2)


def test_nan_messages_give_0_based_rows(frame, tmp_path):
    frame["label"] = frame["label"].astype(object)
    frame.loc[7, "label"] = np.nan
    frame.to_csv(tmp_path / "d.csv", index=False)
    with pytest.raises(ValueError, match=r"missing values \(first in data row 7, 0-based\)"):
        load_table(tmp_path / "d.csv", target="label", features=["a"])


def test_a_missing_relative_path_names_the_directory_it_was_taken_from(tmp_path, monkeypatch):
    """Under hydra.job.chdir=true the current directory is the run's, not the user's."""
    run_dir = tmp_path / "outputs" / "run"
    run_dir.mkdir(parents=True)
    monkeypatch.chdir(run_dir)
    with pytest.raises(FileNotFoundError) as err:
        load_table("data.csv", target="label")
    message = str(err.value)
    assert f"no file at {run_dir.resolve() / 'data.csv'}" in message
    assert f"current directory, {run_dir.resolve()}" in message
    assert "hydra.job.chdir=true" in message and "${hydra:runtime.cwd}/data.csv" in message
    assert "directory you run fir-run from" not in message
    with pytest.raises(FileNotFoundError) as err:
        load_table(tmp_path / "nope.csv", target="label")
    assert "current directory" not in str(err.value)


def write(path, text: str | bytes):
    (path.write_bytes if isinstance(text, bytes) else path.write_text)(text)
    return path


TABLE = "a,b,label\n" + "".join(f"{i * 0.5},{-i},{i % 2}\n" for i in range(12))


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("semi.csv", TABLE.replace(",", ";"),
         r"semi\.csv: read as CSV \(','-separated\) it has a single column.*';'-separated; save "
         r"it with commas, e\.g\. pd\.read_csv\(path, sep=';'\)"),
        ("tabs.csv", TABLE.replace(",", "\t"), r"'\\t'-separated; rename it \.tsv"),
        ("latin.csv", TABLE.replace("label", "étiquette").encode("latin-1"),
         r"dataset\.path=.*latin\.csv.*: not UTF-8 text \(invalid continuation byte b'\\xe9'\); "
         r"save the table as UTF-8"),
        ("ragged.csv", TABLE + "1,2,3,4\n",
         r"dataset\.path=.*ragged\.csv.*Expected 3 fields in line 14, saw 4 \(read as CSV, "
         r"separator ','\); every line needs as many fields as the header line"),
        ("header.csv", "a,b,label\n", r"header\.csv: a header line \(\['a', 'b', 'label'\]\) but "
         r"no data rows"),
        ("headerless.csv", TABLE.split("\n", 1)[1].replace("0.0,0,0", "0.25,-1.5,1"),
         r"dataset\.target='label' is not a column of headerless\.csv, whose first line holds "
         r"numbers \(\['0\.25', '-1\.5', '1'\]\): the file seems to have no header line\. Add "
         r"a header line"),
        ("zeros.csv", TABLE.split("\n", 1)[1], r"zeros\.csv: the header repeats the column "
         r"names \['0'\].*Its first line holds numbers: if the file has no header line, add one"),
        ("empty.npz", b"", r"dataset\.path=.*empty\.npz.*: not an NPZ file \(it is empty\)"),
        ("text.npz", TABLE, r"text\.npz.*: not an NPZ file \(an NPZ is a zip archive; this is "
         r"not one\); save the table with np\.savez"),
        ("cut.npz", b"PK\x03\x04" + b"\0" * 20, r"cut\.npz.*: a damaged NPZ file \(BadZipFile"),
    ],
)  # fmt: skip
def test_a_file_in_the_wrong_format_says_what_is_wrong_and_the_fix(tmp_path, name, content,
                                                                   message):  # fmt: skip
    """Each used to give a bare reader error (a codec or tokenizer message, Hydra's EOFError
    or BadZipFile), a wrong diagnosis ('not numeric', 'pickled data'), or a suggested target
    taken from a data row or that Hydra cannot parse."""
    with pytest.raises(ValueError, match=message):
        load_table(write(tmp_path / name, content), target="label")


def test_gzipped_text_spaces_after_commas_and_quoted_suggestions(tmp_path):
    import gzip

    plain = load_table(write(tmp_path / "t.csv", TABLE), target="label")
    for path in (tmp_path / "t.csv.gz", tmp_path / "named.csv"):  # gzip bytes, any name
        write(path, gzip.compress(TABLE.encode()))
        ds = load_table(path, target="label")
        np.testing.assert_array_equal(ds.X, plain.X)
        assert ds.feature_names == ["a", "b"]
    spaced = load_table(write(tmp_path / "s.csv", TABLE.replace(",", ", ")), target="label")
    assert spaced.feature_names == ["a", "b"]  # was " b", and the target " label"
    np.testing.assert_array_equal(spaced.X, plain.X)
    write(tmp_path / "q.csv", TABLE.replace("label", "my label"))
    with pytest.raises(ValueError, match=r"Set e\.g\. dataset\.target='my label'\.$"):
        load_table(tmp_path / "q.csv", target="label")
    with pytest.raises(ValueError, match=r"unknown file type '\.npz\.gz'"):
        load_table(write(tmp_path / "x.npz.gz", b""), target="label")


def test_a_numeric_header_is_read_as_names_with_a_warning(tmp_path, caplog):
    """Numbers can be real names (wavelengths); only a header of distinct integers (0, 1, ...
    or gene IDs) is taken without a word."""
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(rng.normal(size=(12, 3)), columns=["532.5", "533.0", "533.5"])
    frame["label"] = [0, 1] * 6
    frame.to_csv(tmp_path / "spectra.csv", index=False)
    with caplog.at_level("WARNING"):
        ds = load_table(tmp_path / "spectra.csv", target="label")
    assert ds.n_samples == 12 and "if the file has no header line" in caplog.text
    caplog.clear()
    frame.columns = ["101", "205", "7", "label"]
    frame.to_csv(tmp_path / "genes.csv", index=False)
    with caplog.at_level("WARNING"):
        load_table(tmp_path / "genes.csv", target="label")
    assert "header" not in caplog.text
