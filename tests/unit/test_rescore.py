"""fir.rescore: a run's selected features scored by another model on the run's own folds."""

import json
import shutil

import numpy as np
import pandas as pd
import pytest
from hydra import compose, initialize_config_dir

from fir.rescore import main, rescore_run
from fir.run import run
from tests.conftest import CONF_DIR

SVM = "+method.estimator={_target_: fir.baselines.models.make_svm, task: classification}"


def tiny_run(out, *overrides):
    with initialize_config_dir(config_dir=str(CONF_DIR), version_base="1.3"):
        base = ["profile=tiny", "verbose=0", "dataset=binary"]
        cfg = compose(config_name="config", overrides=[*base, *overrides])
    run(cfg, out)
    return out


def test_rescore_equals_a_run_with_that_estimator(tmp_path):
    plain = tiny_run(tmp_path / "plain")
    with_svm = tiny_run(tmp_path / "svm", SVM)
    table = rescore_run(plain, "svm")
    folds = pd.read_csv(plain / "folds.csv")
    svm_folds = pd.read_csv(with_svm / "folds.csv")
    assert list(folds["selected"]) == list(svm_folds["selected"])  # same seed, same selection
    assert table["run_score"].tolist() == folds["score"].tolist()
    assert table["score"].tolist() == svm_folds["score"].tolist()
    assert (table["n_selected"] == 5).all() and (table["model"] == "svm").all()


@pytest.mark.filterwarnings("ignore:lasso. only 0 of 10:UserWarning")  # no linear effect on XOR
def test_the_estimator_group_replaces_the_methods_own_model(tmp_path):
    inline = pd.read_csv(tiny_run(tmp_path / "inline", SVM) / "folds.csv")
    grouped = pd.read_csv(tiny_run(tmp_path / "group", "estimator=svm") / "folds.csv")
    assert grouped["score"].tolist() == inline["score"].tolist()
    # a baseline's own downstream model (lasso: an MLP) is replaced, not merged into
    lasso = tiny_run(tmp_path / "lasso", "method=lasso", "estimator=svm")
    table = rescore_run(lasso, "svm")
    assert table["score"].tolist() == table["run_score"].tolist()


def test_cli_prints_and_writes_the_table(tmp_path, capsys):
    out = tiny_run(tmp_path / "run")
    table = main([str(out), "--model", "mlp", "--out", str(tmp_path / "mlp.csv")])
    assert "mlp on the selected features" in capsys.readouterr().out
    assert pd.read_csv(tmp_path / "mlp.csv").equals(table)


def test_incomplete_runs_are_clear_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"run.json is missing: rescore needs a completed"):
        rescore_run(tmp_path)
    out = tiny_run(tmp_path / "run")
    info = json.loads((out / "run.json").read_text())
    (out / "run.json").write_text(json.dumps({**info, "status": "interrupted"}))
    (out / "folds.csv").unlink()  # as an interrupted run has none: its status is the news
    with pytest.raises(ValueError, match=r"status 'interrupted'; rescore needs a completed run"):
        rescore_run(out)
    with pytest.raises(ValueError, match=r"model='knn' is not one of"):
        rescore_run(out, "knn")


def test_cli_errors_are_one_line_without_a_traceback(tmp_path, capsys):
    with pytest.raises(SystemExit) as stop:
        main([str(tmp_path / "nothing")])
    assert stop.value.code == 1
    assert capsys.readouterr().err.startswith("python -m fir.rescore: error: ")


def test_a_table_named_by_a_relative_path_rescores_from_anywhere(tmp_path, monkeypatch):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 4))
    frame = pd.DataFrame(X, columns=list("abcd")).assign(label=(X[:, 0] > 0).astype(int))
    (tmp_path / "work").mkdir()
    frame.to_csv(tmp_path / "work" / "data.csv", index=False)
    monkeypatch.chdir(tmp_path / "work")  # fir-run ran here, with dataset.path=data.csv
    with initialize_config_dir(config_dir=str(CONF_DIR), version_base="1.3"):
        cfg = compose(
            config_name="config",
            overrides=["profile=tiny", "verbose=0", "dataset=table", "dataset.path=data.csv",
                       "dataset.target=label", "s=2"],
        )  # fmt: skip
    run(cfg, tmp_path / "run")
    monkeypatch.chdir(tmp_path)  # rescored from elsewhere: run.json says where the file was
    assert len(rescore_run(tmp_path / "run", "svm")) == 2
    moved = tmp_path / "moved"  # the run and its data copied elsewhere, the original gone
    shutil.copytree(tmp_path / "run", moved / "run")
    shutil.move(tmp_path / "work" / "data.csv", moved / "data.csv")
    monkeypatch.chdir(moved)
    assert len(rescore_run(moved / "run", "svm")) == 2
    frame.assign(a=frame["a"] + 1).to_csv(moved / "data.csv", index=False)
    with pytest.raises(ValueError, match="differs from the data .* was run on"):
        rescore_run(moved / "run", "svm")
