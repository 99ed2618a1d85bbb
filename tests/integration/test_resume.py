"""No lost work: fold files as folds end, resume=true, and kills that never say 'completed'."""

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hydra import compose, initialize_config_dir

import fir
from fir.foldstore import fold_json_path
from fir.run import find_resumable, run

CONF = Path(__file__).resolve().parents[2] / "conf"
# Folds long enough (a few seconds each) to be killed in the middle of the second one.
SLOW_FOLDS = (
    "profile=tiny",
    "dataset=xor",
    "torch_threads=1",
    "method.selector.max_batches=2000",
    "method.selector.patience=100000",
)


def cfg(*overrides: str):
    with initialize_config_dir(config_dir=str(CONF), version_base="1.3"):
        return compose(config_name="config", overrides=["profile=tiny", "verbose=0", *overrides])


def fir_run(out: Path, *args: str) -> subprocess.Popen:
    """``fir-run`` in its own process group; its output goes to ``<out>.log``."""
    out.parent.mkdir(parents=True, exist_ok=True)
    with open(f"{out}.log", "a") as log:
        return subprocess.Popen(
            [sys.executable, "-m", "fir.run", f"hydra.run.dir={out}", *args],
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def output(out: Path) -> str:
    return Path(f"{out}.log").read_text()


def assert_same_results(a: Path, b: Path) -> None:
    sa, sb = (json.loads((d / "summary.json").read_text()) for d in (a, b))
    assert sa["test"] == sb["test"] and sa["validation"] == sb["validation"]
    assert sa["features"] == sb["features"]
    fa, fb = (pd.read_csv(d / "features.csv") for d in (a, b))
    pd.testing.assert_frame_equal(fa, fb)
    cols = ["fold", "score", "selected", "val_score", "n_batches", "best_batch"]
    pd.testing.assert_frame_equal(
        pd.read_csv(a / "folds.csv")[cols], pd.read_csv(b / "folds.csv")[cols]
    )


def test_completed_run_is_not_run_again(tmp_path):
    first = run(cfg("dataset=xor"), tmp_path)
    stamp = (tmp_path / "summary.json").stat().st_mtime_ns
    again = run(cfg("dataset=xor", "resume=true", "n_jobs=2"), tmp_path)  # n_jobs may differ
    assert again == first
    assert (tmp_path / "summary.json").stat().st_mtime_ns == stamp


def test_resume_reruns_only_missing_folds_and_matches(tmp_path):
    full, part = tmp_path / "full", tmp_path / "part"
    run(cfg("dataset=regression"), full)
    run(cfg("dataset=regression"), part)
    fold_json_path(part / "folds", 1).unlink()
    info = json.loads((part / "run.json").read_text())
    (part / "run.json").write_text(json.dumps({**info, "status": "running"}))
    (part / "summary.json").unlink()
    run(cfg("dataset=regression", "resume=true"), part)
    assert json.loads((part / "run.json").read_text())["resumed_folds"] == [0]
    assert_same_results(full, part)


def test_resume_refuses_a_different_config(tmp_path):
    run(cfg("dataset=xor"), tmp_path)
    with pytest.raises(ValueError, match=r"different config \(dataset.seed, .*, seed differ\)"):
        run(cfg("dataset=xor", "seed=1", "resume=true"), tmp_path)


def test_resume_accepts_a_run_recorded_before_a_selector_argument_existed(tmp_path):
    run(cfg("dataset=xor"), tmp_path)
    info = json.loads((tmp_path / "run.json").read_text())
    selector = info["config"]["method"]["selector"]
    for key in ("finetune_batches", "finetune_batch_size", "finetune_patience"):
        del selector[key]  # as a run.json written before Phase III was added
    (tmp_path / "run.json").write_text(json.dumps(info))
    run(cfg("dataset=xor", "resume=true"), tmp_path)  # the defaults: the same config
    with pytest.raises(ValueError, match=r"method.selector.finetune_batches differ"):
        run(cfg("dataset=xor", "resume=true", "method.selector.finetune_batches=8"), tmp_path)


def test_resume_accepts_another_data_directory(tmp_path, shared_data_dir):
    """paths.data_dir says where the files are, not what they are (the split hashes do); a
    loader argument the recorded config leaves out counts as its default."""
    run(cfg("dataset=glass", "method=mrmr", "s=3", f"paths.data_dir={shared_data_dir}"), tmp_path)
    info = json.loads((tmp_path / "run.json").read_text())
    info["status"] = "running"
    info["config"]["dataset"]["data_dir"] = "/somewhere/else"
    del info["config"]["dataset"]["verify"]  # as if recorded before glass.yaml named it
    (tmp_path / "run.json").write_text(json.dumps(info))
    (tmp_path / "summary.json").unlink()
    run(cfg("dataset=glass", "method=mrmr", "s=3", "resume=true",
            f"paths.data_dir={shared_data_dir}"), tmp_path)  # fmt: skip
    assert json.loads((tmp_path / "run.json").read_text())["resumed_folds"] == [0, 1]


def test_a_damaged_history_file_makes_its_fold_run_again(tmp_path):
    run(cfg("dataset=xor"), tmp_path)
    history = tmp_path / "folds" / "fold_01_history.npz"
    history.write_bytes(history.read_bytes()[: history.stat().st_size // 2])
    info = json.loads((tmp_path / "run.json").read_text())
    (tmp_path / "run.json").write_text(json.dumps({**info, "status": "running"}))
    (tmp_path / "summary.json").unlink()
    run(cfg("dataset=xor", "resume=true"), tmp_path)
    assert json.loads((tmp_path / "run.json").read_text())["resumed_folds"] == [0]


def test_resume_stays_in_a_named_run_dir_and_in_each_multirun_point(tmp_path):
    """Only the default, timestamped run dir looks for an earlier run beside it: a named
    hydra.run.dir, or a multirun point, must not continue (or return) a sibling's run."""
    a, b = tmp_path / "a", tmp_path / "b"
    for out in (a, b):
        done = subprocess.run(
            [sys.executable, "-m", "fir.run", "profile=tiny", "verbose=0", "resume=true",
             f"hydra.run.dir={out}"],
            cwd=tmp_path, capture_output=True, text=True, timeout=300,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
    assert json.loads((b / "run.json").read_text())["status"] == "completed"
    sweep = tmp_path / "sweep"
    done = subprocess.run(
        [sys.executable, "-m", "fir.run", "-m", "profile=tiny", "verbose=0", "resume=true",
         "torch_threads=1,2", f"hydra.sweep.dir={sweep}"],
        cwd=tmp_path, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert len(list(sweep.glob("*/*/*/run.json"))) == 2


def test_an_invocation_that_does_not_run_leaves_the_runs_hydra_files(tmp_path):
    """Hydra saves .hydra/ before fir-run sees the directory: a refused resume, or one that
    finds the run completed, must not leave it describing an invocation that made nothing."""
    out = tmp_path / "run"

    def fir_run_here(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "fir.run", "profile=tiny", "verbose=0",
             f"hydra.run.dir={out}", *args],
            cwd=tmp_path, capture_output=True, text=True, timeout=300,
        )  # fmt: skip

    assert fir_run_here().returncode == 0
    saved = {p.name: p.read_text() for p in (out / ".hydra").glob("*.yaml")}
    assert {"config.yaml", "hydra.yaml", "overrides.yaml"} <= set(saved)
    refused = fir_run_here("seed=1", "resume=true")
    assert refused.returncode == 1 and "different config (" in refused.stderr
    assert "seed=1" not in (out / ".hydra" / "overrides.yaml").read_text()
    assert fir_run_here("resume=true").returncode == 0  # completed: nothing to do
    assert {p.name: p.read_text() for p in (out / ".hydra").glob("*.yaml")} == saved
    assert json.loads((out / "run.json").read_text())["config"]["seed"] == 0


def test_without_resume_old_fold_files_are_discarded(tmp_path, caplog):
    run(cfg("dataset=xor"), tmp_path)
    run(cfg("dataset=xor", "seed=1"), tmp_path)  # a fresh run in the same directory
    assert "holds an earlier run: its results are replaced" in caplog.text
    info = json.loads((tmp_path / "run.json").read_text())
    assert info["resumed_folds"] == [] and info["config"]["seed"] == 1


def test_resume_finds_the_newest_sibling_run_of_the_same_config(tmp_path):
    base = tmp_path / "xor" / "dualnet" / "s5_seed0"
    old, other, new = base / "2026-01-01_00-00-00", base / "2026-01-02", base / "2026-01-03"
    run(cfg("dataset=xor"), old)
    run(cfg("dataset=xor", "method.selector.max_batches=80"), other)
    assert find_resumable(new, cfg("dataset=xor", "resume=true")) == old
    assert find_resumable(old, cfg("dataset=xor", "seed=3")) == old  # holds a run: stays
    assert find_resumable(new, cfg("dataset=xor", "seed=3")) == new  # nothing to resume


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory) -> Path:
    ref = tmp_path_factory.mktemp("resume") / "ref"
    assert fir_run(ref, *SLOW_FOLDS).wait(timeout=300) == 0, output(ref)
    return ref


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGINT], ids=["kill", "ctrl-c"])
def test_killed_mid_fold_then_resumed_equals_an_uninterrupted_run(uninterrupted, tmp_path, sig):
    ref, cut = uninterrupted, tmp_path / "cut"

    proc = fir_run(cut, *SLOW_FOLDS)
    deadline = time.monotonic() + 240
    while not fold_json_path(cut / "folds", 0).is_file():
        assert proc.poll() is None, output(cut)
        assert time.monotonic() < deadline, "fold 0 never finished"
        time.sleep(0.02)
    time.sleep(0.3)  # into fold 1's training
    assert proc.poll() is None, "the run ended before it could be interrupted"
    os.killpg(proc.pid, sig)
    proc.wait(timeout=60)
    info = json.loads((cut / "run.json").read_text())
    assert info["status"] == ("running" if sig == signal.SIGKILL else "interrupted")
    if sig == signal.SIGINT:  # one line that says how to go on, no traceback
        assert proc.returncode == 130
        assert "Traceback" not in output(cut)
        line = (f"fir-run: interrupted; the run stopped (resume it with: fir-run "
                f"{' '.join(SLOW_FOLDS)} resume=true hydra.run.dir={cut}).")  # fmt: skip
        assert line in output(cut)
        assert line in (cut / "fir-run.log").read_text()  # the log tells it too
    assert not (cut / "summary.json").exists()
    assert not fold_json_path(cut / "folds", 1).exists()

    resumed = fir_run(cut, *SLOW_FOLDS, "resume=true")
    assert resumed.wait(timeout=300) == 0, output(cut)
    info = json.loads((cut / "run.json").read_text())
    assert info["status"] == "completed" and info["resumed_folds"] == [0]
    assert [f["fold"] for f in info["folds"]] == [0, 1]
    assert_same_results(ref, cut)
    np.testing.assert_array_equal(
        np.load(ref / "folds" / "fold_01_history.npz")["operator_loss"],
        np.load(cut / "folds" / "fold_01_history.npz")["operator_loss"],
    )


def child_pids(pid: int) -> set[int]:
    """Live processes whose parent is ``pid`` (Linux /proc)."""
    kids = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:  # the process ended while we looked
            continue
        if int(fields[1]) == pid and fields[0] != "Z":
            kids.add(int(stat.parent.name))
    return kids


def training_with_workers(out: Path) -> tuple[subprocess.Popen, set[int]]:
    """fir-run with two fold workers, a second into the folds' training: (process, workers)."""
    proc = fir_run(out, *SLOW_FOLDS, "n_jobs=2")
    deadline = time.monotonic() + 120
    while len(workers := child_pids(proc.pid)) < 2 or not (out / "run.json").is_file():
        assert proc.poll() is None, output(out)
        assert time.monotonic() < deadline, "the fold workers never started"
        time.sleep(0.05)
    time.sleep(1.0)  # into the folds' training
    assert proc.poll() is None, "the run ended before it could be stopped"
    return proc, workers


def assert_workers_end(workers: set[int], seconds: float, what: str) -> None:
    """Every process of ``workers`` ends (or is a zombie) within ``seconds``; else kill them
    and fail."""
    deadline = time.monotonic() + seconds
    while alive := [p for p in workers if Path(f"/proc/{p}").exists() and not zombie(p)]:
        if time.monotonic() > deadline:
            for p in alive:
                os.kill(p, signal.SIGKILL)
            pytest.fail(f"fold workers {alive} outlived the {what} fir-run")
        time.sleep(0.05)


@pytest.mark.skipif(not Path("/proc/self/stat").is_file(), reason="reads /proc (Linux)")
def test_sigterm_to_fir_run_stops_its_fold_workers_and_says_interrupted(tmp_path):
    """``kill PID`` (or ``timeout``) reaches fir-run alone, not its loky fold workers: they must
    not keep training on their own, and run.json must not stay 'running'."""
    out = tmp_path / "run"
    proc, workers = training_with_workers(out)
    os.kill(proc.pid, signal.SIGTERM)  # the parent only, as `kill PID` does
    assert proc.wait(timeout=60) == 128 + signal.SIGTERM, output(out)
    assert_workers_end(workers, 10, "terminated")
    assert json.loads((out / "run.json").read_text())["status"] == "interrupted"
    assert not (out / "summary.json").exists()
    assert "received SIGTERM" in output(out)


@pytest.mark.skipif(not Path("/proc/self/stat").is_file(), reason="reads /proc (Linux)")
def test_fold_workers_end_when_fir_run_is_killed(tmp_path):
    """SIGKILL (the OOM killer, a hard scheduler kill) gives fir-run no chance to stop its
    workers: they used to train on, re-parented, for folds no one could save."""
    proc, workers = training_with_workers(tmp_path / "run")
    os.kill(proc.pid, signal.SIGKILL)  # the parent only
    proc.wait(timeout=60)
    assert_workers_end(workers, 15, "killed")


def zombie(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
    except OSError:
        return False


def write_table(path: Path, shift: float = 0.0) -> Path:
    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 4)) + shift
    frame = pd.DataFrame(X, columns=["a", "b", "c", "d"])
    frame["label"] = (X[:, 0] > shift).astype(int)
    frame.to_csv(path, index=False)
    return path


@pytest.mark.parametrize("partial", [False, True])
def test_resume_refuses_a_data_file_whose_content_changed(tmp_path, partial):
    """The config names the file, not its content: a resumed run must read the same bytes."""
    data = write_table(tmp_path / "data.csv")
    table = ("dataset=table", f"dataset.path={data}", "dataset.target=label", "s=2")
    out = tmp_path / "run"
    run(cfg(*table), out)
    if partial:  # as if killed after the first fold
        (out / "summary.json").unlink()
        fold_json_path(out / "folds", 1).unlink()
        info = json.loads((out / "run.json").read_text())
        (out / "run.json").write_text(json.dumps({**info, "status": "running"}))
    write_table(data, shift=1.0)
    record = (out / "run.json").read_text()
    with pytest.raises(ValueError, match="holds a run made on different data.*original files"):
        run(cfg(*table, "resume=true"), out)
    assert (out / "run.json").read_text() == record  # a refused resume leaves the run as it was
    write_table(data)  # the original bytes again: the run resumes (or is complete)
    summary = run(cfg(*table, "resume=true"), out)
    assert summary["n_folds"] == 2


def test_a_changed_sweep_finds_its_completed_points_again(tmp_path):
    """Multirun points are named by their overrides, not their position in the sweep."""
    sweep = tmp_path / "sweep"

    def sweep_run(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "fir.run", "-m", "profile=tiny", "verbose=0",
             "torch_threads=1", f"hydra.sweep.dir={sweep}", *args],
            cwd=tmp_path, capture_output=True, text=True, timeout=300,
        )  # fmt: skip

    assert sweep_run("seed=0,1").returncode == 0
    first = {p.parent.name: p.stat().st_mtime_ns for p in sweep.glob("*/*/*/summary.json")}
    done = sweep_run("seed=1,2", "resume=true", f"paths.data_dir={tmp_path}")  # no new point
    assert done.returncode == 0, done.stderr
    now = {p.parent.name: p.stat().st_mtime_ns for p in sweep.glob("*/*/*/summary.json")}
    assert len(first) == 2 and len(now) == 3  # seed 1 is not run twice into a new directory
    seed1 = next(name for name in first if "_seed1" in name)
    assert now[seed1] == first[seed1]
    assert "nothing to do" in (sweep / "xor" / "dualnet" / seed1 / "fir-run.log").read_text()


def test_a_run_that_failed_before_any_fold_resumes_with_a_fixed_config(tmp_path):
    """Nothing was done, so nothing can be mixed: the fixed config starts afresh there (it
    used to be refused as a different config that 'would replace its results')."""
    with pytest.raises(ValueError, match=r"method\.selector\.patience=0 is invalid"):
        run(cfg("dataset=xor", "method=dfs", "method.selector.patience=0"), tmp_path)
    summary = run(cfg("dataset=xor", "method=dfs", "resume=true"), tmp_path)
    assert summary["method"] == "dfs"
    info = json.loads((tmp_path / "run.json").read_text())
    assert info["status"] == "completed" and info["config"]["method"]["selector"]["patience"] == 2


def test_resume_keeps_a_running_run_with_no_finished_fold(tmp_path):
    """A ``running`` record may be a live run in its first fold: resume=true under another
    config is refused (it used to clear the record and start afresh there), and under the
    same config it resumes that run."""
    with pytest.raises(ValueError, match=r"method\.selector\.patience=0 is invalid"):
        run(cfg("dataset=xor", "method=dfs", "method.selector.patience=0"), tmp_path)
    info = json.loads((tmp_path / "run.json").read_text())
    (tmp_path / "run.json").write_text(json.dumps({**info, "status": "running"}))
    record = (tmp_path / "run.json").read_text()
    with pytest.raises(ValueError, match=r"different config \(method\.selector\.patience differ"):
        run(cfg("dataset=xor", "method=dfs", "resume=true"), tmp_path)
    assert (tmp_path / "run.json").read_text() == record
    same = ("dataset=xor", "method=dfs", "method.selector.patience=0", "resume=true")
    with pytest.raises(ValueError, match=r"method\.selector\.patience=0 is invalid"):
        run(cfg(*same), tmp_path)  # resumed, then refused by the checks as before


@pytest.mark.parametrize("content", [b'{"note": "mine"}', b"[1, 2]", b"not json", b"\xff\xfe"])
def test_resume_refuses_a_run_json_fir_did_not_write(tmp_path, content):
    """fir writes run.json atomically: one it cannot read as its record is someone else's."""
    (tmp_path / "run.json").write_bytes(content)
    with pytest.raises(ValueError, match=r"run\.json was not written by fir.*Move that file"):
        run(cfg("dataset=xor", "method=dfs", "resume=true"), tmp_path)
    assert (tmp_path / "run.json").read_bytes() == content


def test_resume_refuses_a_run_made_by_another_fir_version(tmp_path):
    run(cfg("dataset=xor"), tmp_path)
    info = json.loads((tmp_path / "run.json").read_text())
    info["status"], info["versions"]["fir"] = "running", "0.1.0"
    (tmp_path / "run.json").write_text(json.dumps(info))
    (tmp_path / "summary.json").unlink()
    with pytest.raises(
        ValueError, match=rf"made by fir 0\.1\.0, and this is fir {re.escape(fir.__version__)}"
    ):
        run(cfg("dataset=xor", "resume=true"), tmp_path)


def test_a_second_fir_run_into_a_live_runs_directory_is_refused(tmp_path):
    """There was no lock: a second fir-run (a job submitted twice, a requeue while the first
    still ran) cleared the live run's folds as an 'earlier run' and wrote its own config into
    run.json, and a later resume reported folds of two configs as one completed run."""
    out = tmp_path / "run"
    first = fir_run(out, *SLOW_FOLDS, "method.selector.max_batches=100000")  # killed below
    try:
        deadline = time.monotonic() + 120
        while not (out / "splits.npz").is_file():  # its checks passed and its folds are drawn
            assert first.poll() is None, output(out)
            assert time.monotonic() < deadline, "the first run never started its folds"
            time.sleep(0.1)
        time.sleep(0.5)
        kept = {name: (out / name).read_bytes() for name in ("run.json", "splits.npz")}
        hydra_files = {p.name: p.read_text() for p in (out / ".hydra").glob("*.yaml")}
        for extra in ([], ["resume=true"]):
            second = subprocess.run(
                [sys.executable, "-m", "fir.run", f"hydra.run.dir={out}", *SLOW_FOLDS,
                 "method.selector.operator_lr=0.01", *extra],
                capture_output=True, text=True, timeout=300,
            )  # fmt: skip
            assert second.returncode == 1, second.stderr
            assert re.search(
                rf"fir-run: error: {re.escape(str(out))} is in use by another fir-run "
                rf"\(pid {first.pid} on .*\)\. Wait for it to end",
                second.stderr,
            ), second.stderr
            assert first.poll() is None  # the first run goes on, its files untouched
            assert {name: (out / name).read_bytes() for name in kept} == kept
            info = json.loads((out / "run.json").read_text())
            assert info["status"] == "running"
            assert info["config"]["method"]["selector"]["operator_lr"] == 0.001
            assert {p.name: p.read_text() for p in (out / ".hydra").glob("*.yaml")} == (hydra_files)
    finally:
        first.kill()  # SIGKILL: the kernel releases its lock
        first.wait(timeout=60)
    from fir.rundir import run_dir_lock

    with run_dir_lock(out):  # free again: a resume could now continue the run
        pass


def test_the_run_dir_lock_names_its_holder_and_is_released(tmp_path):
    from fir.rundir import LOCK_FILE, run_dir_lock

    with run_dir_lock(tmp_path):
        holder = (tmp_path / LOCK_FILE).read_text()
        assert re.fullmatch(rf"pid {os.getpid()} on \S+, since \d{{4}}-\S+\n", holder)
        with pytest.raises(ValueError, match=rf"in use by another fir-run \(pid {os.getpid()}"):
            with run_dir_lock(tmp_path):  # another open file: flock conflicts in one process too
                pass
    with run_dir_lock(tmp_path):  # released when the holder's block ends
        pass
    run(cfg("dataset=xor"), tmp_path)  # and run() takes it, and releases it, itself
    run(cfg("dataset=xor", "resume=true"), tmp_path)
