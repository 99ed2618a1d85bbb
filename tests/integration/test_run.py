"""fir-run end to end: in process on a tiny profile, as a subprocess, and as a multirun."""

import json
import logging
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hydra import compose, initialize_config_dir

from fir.reporting import FEATURES_COLUMNS, FOLDS_COLUMNS
from fir.run import run

CONF = Path(__file__).resolve().parents[2] / "conf"


def tiny_cfg(*overrides: str):
    with initialize_config_dir(config_dir=str(CONF), version_base="1.3"):
        return compose(config_name="config", overrides=["profile=tiny", "verbose=0", *overrides])


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("run")
    summary = run(tiny_cfg("dataset=xor"), out)
    return out, summary


def test_run_writes_the_contract_files(tiny_run):
    out, summary = tiny_run
    for name in [
        "summary.json",
        "folds.csv",
        "features.csv",
        "run.json",
        "splits.npz",
        "figures/importance.png",
        "figures/importance.pdf",
    ]:
        assert (out / name).is_file(), name
    on_disk = json.loads((out / "summary.json").read_text())
    for key in [
        "dataset",
        "method",
        "s",
        "seed",
        "n_folds",
        "task",
        "metric",
        "test",
        "features",
        "wall_time_s",
        "device",
    ]:
        assert key in on_disk, key
    assert on_disk["dataset"] == "xor" and on_disk["method"] == "dualnet"
    assert on_disk["task"] == "classification" and on_disk["metric"] == "accuracy"
    assert on_disk["n_folds"] == 2 and len(on_disk["test"]["per_fold"]) == 2
    assert on_disk["test"]["mean"] == pytest.approx(np.mean(on_disk["test"]["per_fold"]))
    assert on_disk["test"]["std"] == pytest.approx(np.std(on_disk["test"]["per_fold"]))
    feats = on_disk["features"]
    assert [f["index"] for f in feats] == list(range(10))
    assert set(feats[0]) >= {"index", "name", "selected_folds", "importance_mean", "importance_std"}
    assert sum(f["selected_folds"] for f in feats) == 2 * 5

    folds = pd.read_csv(out / "folds.csv")
    assert list(folds.columns[: len(FOLDS_COLUMNS)]) == FOLDS_COLUMNS
    assert (folds["n_selected"] == 5).all()
    assert folds["score"].tolist() == pytest.approx(on_disk["test"]["per_fold"])
    features = pd.read_csv(out / "features.csv")
    assert list(features.columns) == FEATURES_COLUMNS
    assert len(features) == 2 * 10
    assert features.groupby("fold")["selected"].sum().tolist() == [5, 5]

    info = json.loads((out / "run.json").read_text())
    assert info["status"] == "completed"
    assert info["versions"]["torch"] and "commit" in info["git"]
    assert info["config"]["s"] == 5

    splits = np.load(out / "splits.npz")
    train0, test0 = splits["fold0_train"], splits["fold0_test"]
    assert len(train0) == 512 and len(test0) == 1024
    # every fold's sets are independent draws: no training row of fold 0 reappears in fold 1
    from fir.data.synthetic import load_xor

    data = load_xor(n_folds=2, seed=0)
    X0, X1 = data.X[train0], data.X[splits["fold1_train"]]
    assert not (X0[:, None, :] == X1[None, :, :]).all(-1).any()


def test_same_seed_gives_identical_results(tiny_run, tmp_path):
    out, summary = tiny_run
    again = run(tiny_cfg("dataset=xor"), tmp_path)
    assert again["features"] == summary["features"]
    assert again["test"] == summary["test"]


def test_bad_s_fails_before_training_and_marks_the_run_failed(tmp_path):
    with pytest.raises(ValueError, match=r"s=10 is invalid for dataset 'xor' with 10 features"):
        run(tiny_cfg("s=10"), tmp_path)
    info = json.loads((tmp_path / "run.json").read_text())
    assert info["status"] == "failed" and "s=10" in info["error"]
    assert not (tmp_path / "summary.json").exists()


def test_a_run_refused_before_its_first_fold_is_not_kept_as_an_earlier_run(tmp_path):
    """A second refused config in the same directory used to keep the first one's run.json
    (its config and error) beside the second one's log: a run that failed before it finished
    a fold is nothing to keep. A synthetic size that is not an integer names its key (it was
    Python's "'<' not supported between instances of 'str' and 'int'")."""
    with pytest.raises(Exception, match=r"dataset\.n_train must be a positive integer; got 'abc'"):
        run(tiny_cfg("dataset.n_train=abc"), tmp_path)
    with pytest.raises(Exception, match=r"dataset\.n_test must be a positive integer; got 1\.5"):
        run(tiny_cfg("dataset.n_test=1.5"), tmp_path)
    info = json.loads((tmp_path / "run.json").read_text())
    assert info["status"] == "failed" and "dataset.n_test" in info["error"]
    assert info["config"]["dataset"]["n_test"] == 1.5
    assert info["config"]["dataset"]["n_train"] != "abc"


@pytest.mark.parametrize(
    "record",
    ['{"status": "running"}', '{"config": {}}', "not json"],
    ids=["running", "other", "bad"],
)
def test_a_refused_run_keeps_a_run_that_may_be_live_or_is_not_fir_s(tmp_path, record):
    """Only a run fir recorded as failed or interrupted before any fold finished is replaced
    at once: a "running" one may be live (still in its first fold), and a run.json fir did not
    write is not fir's to clear."""
    (tmp_path / "run.json").write_text(record)
    for name in ("summary.json", "splits.npz"):
        (tmp_path / name).write_text("kept")
    with pytest.raises(ValueError, match=r"s=10 is invalid"):
        run(tiny_cfg("s=10"), tmp_path)
    assert (tmp_path / "run.json").read_text() == record
    assert all((tmp_path / n).read_text() == "kept" for n in ("summary.json", "splits.npz"))


def fir_run(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "fir.run", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_cli_single_run_and_errors(tmp_path):
    done = fir_run("profile=tiny", "dataset=binary", f"hydra.run.dir={tmp_path}/one", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "one" / "summary.json").is_file()
    assert (tmp_path / "one" / "fir-run.log").is_file()
    assert "mean" in (tmp_path / "one" / "fir-run.log").read_text()

    bad = fir_run("s=-1", f"hydra.run.dir={tmp_path}/bad", cwd=tmp_path)
    assert bad.returncode != 0 and "s=-1 is invalid" in bad.stderr
    # a selector argument's error names its config key, before the data is loaded
    bad = fir_run("dataset=table", "dataset.path=nope.csv", "dataset.target=y",
                  "method.selector.patience=0", f"hydra.run.dir={tmp_path}/bad",
                  cwd=tmp_path)  # fmt: skip
    assert bad.returncode == 1
    assert bad.stderr.startswith("fir-run: error: method.selector.patience must be a positive")
    unknown = fir_run("dataset=nope", cwd=tmp_path)
    assert unknown.returncode != 0 and "Available options in 'dataset'" in unknown.stderr
    # a loader's error, wrapped by hydra's instantiate, reads as the loader wrote it
    missing = fir_run("dataset=table", "dataset.path=nope.csv", "dataset.target=y",
                      f"hydra.run.dir={tmp_path}/missing", cwd=tmp_path)  # fmt: skip
    assert missing.returncode == 1
    assert missing.stderr.startswith("fir-run: error: dataset.path='nope.csv': no file")


def test_a_fresh_run_that_fails_removes_an_earlier_runs_results(tiny_run, tmp_path, monkeypatch):
    """A new run that fails in a directory that held a result must not leave that result
    looking like its own."""
    import fir.run

    def broken(*args, **kwargs):
        raise RuntimeError("fold 0 diverged")

    shutil.copytree(tiny_run[0], tmp_path / "run")
    monkeypatch.setattr(fir.run, "cross_validate", broken)
    with pytest.raises(RuntimeError, match="diverged"):
        run(tiny_cfg("seed=1"), tmp_path / "run")
    left = sorted(p.name for p in (tmp_path / "run").iterdir())
    assert "summary.json" not in left and "folds.csv" not in left and "figures" not in left
    info = json.loads((tmp_path / "run" / "run.json").read_text())
    assert info["status"] == "failed" and info["config"]["seed"] == 1


@pytest.fixture(scope="module")
def cli_run(tmp_path_factory) -> Path:
    """A completed run made by the CLI (with its .hydra files)."""
    out = tmp_path_factory.mktemp("cli") / "run"
    done = fir_run("profile=tiny", "verbose=0", "n_splits=2", f"hydra.run.dir={out}",
                   cwd=out.parent)  # fmt: skip
    assert done.returncode == 0, done.stderr
    return out


@pytest.mark.parametrize(
    "override",
    ["s=10", "n_splits=1", "method.selector.batch_size=0", "device=cuda:99", "dataset=nope"],
)
def test_a_refused_run_leaves_an_earlier_run_as_it_was(cli_run, tmp_path, override):
    """A config or data check that refuses the new run used to delete the completed run in
    its directory (results, folds, splits, figures) before it refused."""
    shutil.copytree(cli_run, tmp_path / "run")
    before = {p.relative_to(tmp_path): p.read_bytes() for p in (tmp_path / "run").rglob("*")
              if p.is_file()}  # fmt: skip
    out = fir_run("profile=tiny", "verbose=0", override, f"hydra.run.dir={tmp_path}/run",
                  cwd=tmp_path)  # fmt: skip
    assert out.returncode != 0
    after = {p.relative_to(tmp_path): p.read_bytes() for p in (tmp_path / "run").rglob("*")
             if p.is_file()}  # fmt: skip
    log = Path("run") / "fir-run.log"
    changed = {k for k in before.keys() | after.keys() if before.get(k) != after.get(k)}
    # .hydra is Hydra's record of this invocation, put back to the earlier run's; only the log
    # (that tells why the run did not start) and the lock (naming its last holder) change
    assert changed <= {log, Path("run") / ".fir-run.lock"}, changed
    if override != "dataset=nope":  # Hydra refuses that one before fir-run starts
        text = after[log].decode()
        assert "this run did not start: the earlier run in" in text
        assert "fir-run: error: " in text  # the error is in the log, not on the console only


def test_method_settings_that_follow_s_seed_and_device_cannot_differ_from_them(tmp_path):
    """method.selector.n_features_to_select=3 selected 3 features in a run recorded as s=5;
    method.selector.random_state was silently replaced by fold seeds drawn from seed."""
    for override, message in [
        ("method.selector.n_features_to_select=3",
         r"method.selector.n_features_to_select=3 differs from s=5: .* Set s=3 instead"),
        ("method.selector.random_state=7",
         r"method.selector.random_state=7 differs from seed=0: each fold's random_state is "
         r"drawn from seed"),
        ("method.selector.device=cpu", r"method.selector.device='cpu' differs from device="),
    ]:  # fmt: skip
        with pytest.raises(ValueError, match=message):
            run(tiny_cfg("dataset=xor", "device=auto", override), tmp_path / "r")
    run(tiny_cfg("dataset=xor", "n_splits=2", "method.selector.n_features_to_select=5"),
        tmp_path / "same")  # fmt: skip
    with pytest.raises(ValueError, match=r"seed=4294967296 is invalid: use an integer from 0"):
        run(tiny_cfg("dataset=xor", "seed=4294967296"), tmp_path / "r")


def test_cli_multirun_writes_one_directory_per_point(tmp_path):
    sweep = tmp_path / "sweep"
    done = fir_run(
        "-m",
        "profile=tiny",
        "dataset=xor,regression",
        "seed=0,1",
        f"hydra.sweep.dir={sweep}",
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    summaries = sorted(sweep.glob("*/*/*/summary.json"))
    assert len(summaries) == 4
    points = {
        (json.loads(p.read_text())["dataset"], json.loads(p.read_text())["seed"]) for p in summaries
    }
    assert points == {("xor", 0), ("xor", 1), ("regression", 0), ("regression", 1)}
    assert {p.parent.parent.parent.name for p in summaries} == {"xor", "regression"}
    regression = [json.loads(p.read_text()) for p in summaries if "regression" in str(p)][0]
    assert regression["metric"] == "mse" and regression["task"] == "regression"


def test_folds_in_parallel_give_the_same_results(tiny_run, tmp_path):
    _, summary = tiny_run
    root = logging.getLogger()
    handler = logging.FileHandler(tmp_path / "parent.log")
    root.addHandler(handler)
    level = root.level
    root.setLevel(logging.INFO)
    try:
        parallel = run(tiny_cfg("dataset=xor", "n_jobs=2", "verbose=1"), tmp_path / "run")
    finally:
        root.setLevel(level)
        root.removeHandler(handler)
        handler.close()
    assert parallel["features"] == summary["features"]
    assert parallel["test"] == summary["test"]
    # The workers' own log lines reach the parent's log file, tagged with their fold.
    text = (tmp_path / "parent.log").read_text()
    assert "[fold 1] fit done" in text and "[fold 2] fit done" in text


def test_json_files_are_strict_json_even_when_values_are_nan(tmp_path):
    """JSON has no NaN or Infinity (JSON.parse, jq and strict readers reject them)."""
    from fir.foldstore import load_folds
    from fir.reporting import write_json_atomic

    write_json_atomic(tmp_path / "a.json", {"x": float("nan"), "y": [1.0, float("inf")], "z": 2})
    text = (tmp_path / "a.json").read_text()
    assert json.loads(text, parse_constant=lambda c: pytest.fail(f"{c} in JSON")) == {
        "x": None, "y": [1.0, None], "z": 2,
    }  # fmt: skip

    out = tmp_path / "run"
    run(tiny_cfg("dataset=xor", "n_splits=2"), out)
    fold = out / "folds" / "fold_00.json"
    payload = json.loads(fold.read_text())
    payload["extra"]["best_val_loss"] = None  # as a diverged fit's NaN is now written
    fold.write_text(json.dumps(payload))
    (result,) = [r for k, r in load_folds(out / "folds", [payload["split_sha256"]]).items()]
    assert np.isnan(result.extra["best_val_loss"])


def test_a_failure_while_writing_outputs_marks_the_run_failed(tmp_path, monkeypatch):
    import fir.run

    def broken(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(fir.run, "_write_outputs", broken)
    with pytest.raises(OSError, match="disk full"):
        run(tiny_cfg("dataset=xor", "n_splits=2"), tmp_path)
    info = json.loads((tmp_path / "run.json").read_text())
    assert info["status"] == "failed" and info["error"] == "OSError: disk full"


def test_feature_names_with_dollar_signs_are_drawn_as_written(tmp_path):
    """A '$' in a user's column name would start mathtext; an unbalanced one broke the plot."""
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(rng.normal(size=(60, 3)), columns=["$alpha_{", "cost $", "b"])
    frame["label"] = (frame["b"] > 0).astype(int)
    frame.to_csv(tmp_path / "t.csv", index=False)
    out = tmp_path / "run"
    run(tiny_cfg("dataset=table", f"dataset.path={tmp_path / 't.csv'}", "dataset.target=label",
                 "s=1", "n_splits=2"), out)  # fmt: skip
    assert (out / "figures" / "importance.png").is_file()
    assert json.loads((out / "run.json").read_text())["status"] == "completed"


def test_baselines_take_the_task_from_the_dataset(tmp_path):
    """An integer-valued regression target (an age, a count) looks like classes to a guess
    from y; the dataset's task must decide (mRMR refuses regression, so it must fail here)."""
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(rng.normal(size=(80, 4)), columns=list("abcd"))
    frame["age"] = (30 + 10 * frame["a"]).round().astype(int)  # > 20 values: regression
    frame.to_csv(tmp_path / "age.csv", index=False)
    table = ("dataset=table", f"dataset.path={tmp_path / 'age.csv'}", "dataset.target=age", "s=2")
    with pytest.raises(ValueError, match="mrmr: got a regression target"):
        run(tiny_cfg(*table, "method=mrmr"), tmp_path / "mrmr")
    assert not (tmp_path / "mrmr" / "splits.npz").exists()  # refused before the folds were drawn
    assert json.loads((tmp_path / "mrmr" / "run.json").read_text())["status"] == "failed"
    summary = run(tiny_cfg(*table, "method=random_forest"), tmp_path / "rf")
    assert summary["metric"] == "mse"


def test_a_failed_sweep_point_does_not_stop_the_others(tmp_path):
    sweep = tmp_path / "sweep"
    done = fir_run(
        "-m", "profile=tiny", "verbose=0", "torch_threads=1", "s=10,3",
        f"hydra.sweep.dir={sweep}", cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 1
    assert "fir-run: error: s=10 is invalid" in done.stderr
    # the sweep ends with one line naming the point, not Hydra's traceback of fir's frames
    assert "Traceback" not in done.stderr, done.stderr
    assert f"fir-run: the sweep point in {sweep}/xor/dualnet/s10_" in done.stderr
    summaries = list(sweep.glob("*/*/*/summary.json"))
    assert [json.loads(p.read_text())["s"] for p in summaries] == [3]


def test_a_bad_downstream_model_argument_names_its_key_before_any_fold(tmp_path, monkeypatch):
    import fir.run

    def never(*args, **kwargs):
        raise AssertionError("no fold may run")

    monkeypatch.setattr(fir.run, "cross_validate", never)
    with pytest.raises(ValueError, match=r"^method\.estimator\.hidden='abc' is invalid"):
        run(tiny_cfg("method=lasso", "method.estimator.hidden=abc"), tmp_path / "a")
    with pytest.raises(ValueError, match=r"^estimator\.C=-1 is invalid"):
        run(tiny_cfg("estimator=svm", "estimator.C=-1"), tmp_path / "b")


def test_a_bad_baseline_argument_is_refused_before_the_data_is_read(tmp_path):
    with pytest.raises(ValueError, match=r"^method\.selector\.epochs=0 is invalid for DFSSelector"):
        run(tiny_cfg("method=dfs", "method.selector.epochs=0"), tmp_path)
    assert not (tmp_path / "splits.npz").exists()
    info = json.loads((tmp_path / "run.json").read_text())
    assert info["status"] == "failed" and info["dataset"] is None  # the data was never loaded


def test_warnings_reach_fir_run_log(tmp_path):
    """LASSO's all-zero warning (and scikit-learn's) went to the console only."""
    for jobs in (1, 2):
        out = tmp_path / f"jobs{jobs}"
        done = fir_run("profile=tiny", "method=lasso", "s=9", "n_splits=2", f"n_jobs={jobs}",
                       f"hydra.run.dir={out}", cwd=tmp_path)  # fmt: skip
        assert done.returncode == 0, done.stderr
        assert "UserWarning: lasso: only 0 of 10 coefficients" in (out / "fir-run.log").read_text()


def test_fir_run_takes_the_hydra_quoted_run_dir_that_resume_commands_print(tmp_path):
    from fir.config import hydra_override

    out = tmp_path / "josé's run"
    done = fir_run("profile=tiny", "verbose=0", hydra_override("hydra.run.dir", str(out)),
                   cwd=tmp_path)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert json.loads((out / "run.json").read_text())["status"] == "completed"


def test_the_resume_command_names_the_run_or_sweep_directory(monkeypatch):
    """After Ctrl-C in a multirun, "resume it with resume=true" started the sweep afresh in a
    new timestamped directory: points resume only inside their own hydra.sweep.dir."""
    from types import SimpleNamespace

    from hydra.types import RunMode

    from fir.run import resume_command

    monkeypatch.setattr(sys, "argv", ["fir-run", "-m", "seed=0,1", "resume=false",
                                      "hydra.sweep.dir=old"])  # fmt: skip
    sweep = SimpleNamespace(mode=RunMode.MULTIRUN, sweep=SimpleNamespace(dir="multirun/d 1"))
    assert resume_command(sweep, Path("multirun/d 1/0")) == (
        "fir-run -m seed=0,1 resume=true 'hydra.sweep.dir=multirun/d 1'"
    )
    monkeypatch.setattr(sys, "argv", ["fir-run", "s=3"])
    single = SimpleNamespace(mode=RunMode.RUN, sweep=None)
    assert resume_command(single, Path("outputs/run/a")) == (
        "fir-run s=3 resume=true hydra.run.dir=outputs/run/a"
    )
    # Hydra's lexer refuses non-ASCII letters unquoted (a working directory /home/josé/...)
    assert resume_command(single, Path("/home/josé/outputs/run/a")) == (
        "fir-run s=3 resume=true \"hydra.run.dir='/home/josé/outputs/run/a'\""
    )
    # hydra/launcher=joblib: the sweep's own process is interrupted, outside every job
    from fir.run import _sweep_resume_command

    assert _sweep_resume_command(["-m", "seed=0,1", "hydra.sweep.dir=my sweep"]) == (
        "fir-run -m seed=0,1 resume=true 'hydra.sweep.dir=my sweep'"
    )
    assert _sweep_resume_command(["-m", "seed=0,1"]) == (
        "fir-run -m seed=0,1 resume=true hydra.sweep.dir=<the sweep output dir above>"
    )
    assert _sweep_resume_command(["s=3"]) is None


def test_a_data_file_fir_run_cannot_use_is_one_line_naming_it(tmp_path):
    (tmp_path / "data" / "glass" / "glass.data").mkdir(parents=True)
    env = {**os.environ, "FIR_DATA_DIR": str(tmp_path / "data")}
    done = subprocess.run(
        [sys.executable, "-m", "fir.run", "profile=tiny", "dataset=glass",
         f"hydra.run.dir={tmp_path / 'run'}"],
        cwd=tmp_path, capture_output=True, text=True, timeout=300, env=env,
    )  # fmt: skip
    assert done.returncode == 1
    assert done.stderr.strip().splitlines() == [
        f"fir-run: error: {tmp_path}/data/glass/glass.data is not a file (a folder?), so the data "
        "file cannot be read or downloaded there. Move it away, or set FIR_DATA_DIR "
        "(paths.data_dir) to another directory."
    ]
