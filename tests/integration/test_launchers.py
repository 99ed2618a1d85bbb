"""Sweeps through Hydra's launchers and the Optuna sweeper: same results, resumable sweeps."""

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from hydra import compose, initialize_config_dir
from omegaconf import OmegaConf

from fir.run import launcher_threads, validation_objective

CONF = Path(__file__).resolve().parents[2] / "conf"


def sweep(sweep_dir: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "fir.run", "-m", "profile=tiny", "verbose=0",
         f"hydra.sweep.dir={sweep_dir}", *args],
        cwd=sweep_dir.parent,
        capture_output=True,
        text=True,
        timeout=600,
    )  # fmt: skip


def results(sweep_dir: Path) -> dict[int, dict]:
    """seed -> (test, features) of each run of the sweep, read from its summary.json."""
    out = {}
    for path in sweep_dir.rglob("summary.json"):
        summary = json.loads(path.read_text())
        out[summary["seed"]] = {"test": summary["test"], "features": summary["features"]}
    return out


def test_launcher_threads_divide_the_cores_among_joblib_jobs():
    joblib = OmegaConf.create({"_target_": "hydra_plugins...JoblibLauncher", "n_jobs": 2})
    assert launcher_threads(joblib, 8) == 4
    assert launcher_threads(OmegaConf.merge(joblib, {"n_jobs": -1}), 8) == 1  # all cores
    assert launcher_threads(OmegaConf.merge(joblib, {"n_jobs": -2}), 8) == 1  # 7 jobs
    assert launcher_threads(OmegaConf.merge(joblib, {"n_jobs": 16}), 8) == 1
    basic = OmegaConf.create({"_target_": "hydra._internal.core_plugins.BasicLauncher"})
    assert launcher_threads(basic, 8) is None


def test_validation_objective_is_a_loss_and_ignores_test():
    acc = {"metric": "accuracy", "validation": {"mean": 0.75}, "test": {"mean": 0.1}}
    assert validation_objective(acc) == pytest.approx(0.25)
    mse = {"metric": "mse", "validation": {"mean": 1.5}, "test": {"mean": 9.0}}
    assert validation_objective(mse) == 1.5


def test_joblib_and_submitit_launchers_match_the_basic_one(tmp_path):
    """Same seeds, same results; joblib's default (one job per core) gives each job 1 thread,
    as the other launchers are told explicitly."""
    runs = {}
    for name, args in [
        ("basic", ["hydra/launcher=basic", "torch_threads=1"]),
        ("joblib", ["hydra/launcher=joblib"]),
        ("submitit", ["hydra/launcher=submitit_local", "torch_threads=1"]),
    ]:
        done = sweep(tmp_path / name, *args, "seed=0,1")
        assert done.returncode == 0, done.stderr
        runs[name] = results(tmp_path / name)
        assert sorted(runs[name]) == [0, 1]
    assert runs["joblib"] == runs["basic"] and runs["submitit"] == runs["basic"]
    threads = {
        json.loads(p.read_text())["config"]["torch_threads"]
        for p in (tmp_path / "joblib").rglob("run.json")
    }
    assert threads == {1}


def test_rerunning_a_sweep_with_resume_skips_completed_points(tmp_path):
    first = sweep(tmp_path / "sw", "seed=0,1", "resume=true")
    assert first.returncode == 0, first.stderr
    stamps = {p: p.stat().st_mtime_ns for p in (tmp_path / "sw").rglob("summary.json")}
    again = sweep(tmp_path / "sw", "seed=0,1", "resume=true")
    assert again.returncode == 0, again.stderr
    assert {p: p.stat().st_mtime_ns for p in stamps} == stamps
    assert again.stdout.count("nothing to do") + again.stderr.count("nothing to do") == 2


def test_optuna_sweeper_minimises_the_validation_loss(tmp_path):
    done = sweep(tmp_path / "tune", "hydra/sweeper=tune", "hydra.sweeper.n_trials=3")
    assert done.returncode == 0, done.stderr
    best = yaml.safe_load((tmp_path / "tune" / "optimization_results.yaml").read_text())
    losses = [
        validation_objective(json.loads(p.read_text()))
        for p in (tmp_path / "tune").rglob("summary.json")
    ]
    assert len(losses) == 3
    assert best["best_value"] == pytest.approx(min(losses))


def test_slurm_launcher_config_composes():
    with initialize_config_dir(config_dir=str(CONF), version_base="1.3"):
        cfg = compose(
            config_name="config",
            overrides=["hydra/launcher=slurm", "hydra.launcher.partition=long"],
            return_hydra_config=True,
        )
    launcher = cfg.hydra.launcher
    assert launcher._target_.endswith("SlurmLauncher")
    assert launcher.partition == "long" and launcher.gpus_per_node == 1
    assert launcher.timeout_min == 240
