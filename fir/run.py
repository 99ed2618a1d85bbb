"""``fir-run``: validate -> instantiate -> cross-validate -> write the run directory."""

from __future__ import annotations

import importlib.metadata
import logging
import os
import platform
import shlex
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any

import hydra
import matplotlib.pyplot as plt
import numpy as np
import torch
from hydra.core.hydra_config import HydraConfig
from hydra.errors import CompactHydraException, InstantiationException
from hydra.types import RunMode
from hydra.utils import instantiate
from omegaconf import DictConfig, OmegaConf
from sklearn.base import BaseEstimator, clone

import fir
from fir.baselines.base import BaseSelector, resolve_task
from fir.config import (
    CONF_DIR,
    hydra_override,
    register_configs,
    shell_quote,
    validate_dataset,
    validate_run_config,
)
from fir.data.base import Dataset
from fir.evaluation import FoldResult, cross_validate, make_splits
from fir.foldstore import (
    FOLDS_DIR,
    load_folds,
    save_fold,
    split_sha256,
    splits_sha256,
)
from fir.imagemaps import image_map_figures
from fir.metrics import metric_name
from fir.plotting import importance_figure
from fir.reporting import (
    DISK_FULL_ERRNOS,
    FEATURES_CSV,
    FIGURES_DIR,
    FOLDS_CSV,
    IMAGE_MEANS_NPZ,
    RUN_JSON,
    SPLITS_NPZ,
    SUMMARY_JSON,
    atomic_write,
    features_frame,
    finite_or_none,
    folds_frame,
    results_table,
    summarise,
    write_csv_atomic,
    write_json_atomic,
    write_npz_atomic,
    write_splits,
)
from fir.repro import derive_seed, resolve_device
from fir.rundir import (
    find_resumable,
    open_run_dir,
    remove_leftover_temp_files,
    replace_earlier_run,
    restore_hydra_files,
    run_dir_lock,
)

log = logging.getLogger("fir.run")
PACKAGES = (  # besides fir itself
    "torch",
    "numpy",
    "scikit-learn",
    "pandas",
    "hydra-core",
    "omegaconf",
    "matplotlib",
)

register_configs()


def run(cfg: DictConfig, out_dir: Path, hydra_dir: Path | None = None) -> dict[str, Any]:
    """Run one configuration into ``out_dir`` and return its summary (``summary.json``).

    Each fold's result is written to ``out_dir/folds/`` as soon as the fold ends. With
    ``resume=true``, a completed run of the same config in ``out_dir`` is returned as it is and
    a partial one continues from its completed folds; otherwise earlier fold files are removed.

    ``hydra_dir`` is where Hydra saved this invocation's config (``.hydra``), before this
    function could look at ``out_dir``. A fresh run keeps a copy of it in ``folds/hydra``; a
    resume that is refused, or that finds the run completed, puts the copy back, so that
    ``.hydra`` keeps describing the invocation that made the directory's results.

    The process holds ``out_dir`` while it runs (:func:`fir.rundir.run_dir_lock`): a second
    ``run`` into it meanwhile is an error before it reads or clears anything.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    with run_dir_lock(out_dir, hydra_dir):
        remove_leftover_temp_files(out_dir)
        return _run(cfg, out_dir, hydra_dir)


def _run(cfg: DictConfig, out_dir: Path, hydra_dir: Path | None) -> dict[str, Any]:
    """:func:`run`, while this process holds ``out_dir``."""
    started = time.perf_counter()
    folds_dir = out_dir / FOLDS_DIR
    completed, preloaded, earlier = open_run_dir(cfg, out_dir, hydra_dir)
    if completed is not None:
        return completed
    meta = {
        "dataset": None,
        "method": cfg.method.get("name"),
        "s": int(cfg.s),
        "seed": int(cfg.seed),
        "device": str(cfg.device),
    }
    run_info: dict[str, Any] = {
        **meta,
        "status": "running",
        "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "config": OmegaConf.to_container(cfg, resolve=True),
        "versions": _versions(),
        "git": _git_state(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpu_count": os.cpu_count(),
        "choices": _hydra_choices(),
    }
    if not earlier:
        write_json_atomic(out_dir / RUN_JSON, run_info)
    try:
        validate_run_config(cfg)
        device = resolve_device(cfg.device)
        meta["device"] = run_info["device"] = str(device)
        if cfg.torch_threads is not None:
            torch.set_num_threads(cfg.torch_threads)
        selector: BaseEstimator = instantiate(cfg.method.selector, _convert_="all")
        _check_selector_params(selector)
        dataset: Dataset = (
            preloaded if preloaded is not None else instantiate(cfg.dataset, _convert_="all")
        )
        meta["dataset"] = run_info["dataset"] = dataset.name
        validate_dataset(dataset, int(cfg.s))
        if selector.get_params().get("task") == "auto":
            # the dataset knows its task; guessing it from y calls an integer-valued
            # regression target (ages, counts) classes
            selector.set_params(task=dataset.task)
        _check_selector_task(selector, dataset)
        top = cfg.get("estimator") is not None
        estimator = _instantiate_estimator(
            cfg.estimator if top else cfg.method.get("estimator"),
            dataset.task,
            "estimator" if top else "method.estimator",
        )
        splits = make_splits(dataset, int(cfg.n_splits), float(cfg.val_fraction), int(cfg.seed))
        if earlier:  # every check passed: this run replaces the earlier one
            earlier = False  # an interrupt from here on leaves this run's record, not the old
            replace_earlier_run(out_dir, hydra_dir)
            write_json_atomic(out_dir / RUN_JSON, run_info)
        write_splits(out_dir / SPLITS_NPZ, splits)
        split_hashes = [split_sha256(s) for s in splits]
        run_info["split_sha256"] = splits_sha256(splits)
        done = load_folds(folds_dir, split_hashes) if cfg.resume else {}
        run_info["resumed_folds"] = sorted(done)
        run_info["folds"] = [_fold_record(done[k]) for k in sorted(done)]
        run_info["data"] = {
            "n_samples": dataset.n_samples,
            "n_features": dataset.n_features,
            "provenance": dataset.provenance,
        }
        log.info(
            "%s on %s (%d samples x %d features, %s), s=%d, seed=%d, %d folds, device %s",
            meta["method"],
            dataset.name,
            dataset.n_samples,
            dataset.n_features,
            dataset.task,
            cfg.s,
            cfg.seed,
            len(splits),
            device,
        )

        def make_selector(fold: int) -> BaseEstimator:
            est = clone(selector)
            if "random_state" in est.get_params():
                est.set_params(random_state=derive_seed(int(cfg.seed), 4, fold) % 2**32)
            return est

        metric = metric_name(dataset.task)
        if done:
            log.info(
                "resuming: folds %s completed earlier, running the other %d",
                [k + 1 for k in sorted(done)],
                len(splits) - len(done),
            )

        def on_fold(result: FoldResult) -> None:
            save_fold(folds_dir, result, split_hashes[result.fold])
            run_info["folds"] = sorted(
                [*run_info["folds"], _fold_record(result, split_hashes[result.fold])],
                key=lambda rec: rec["fold"],
            )
            write_json_atomic(out_dir / RUN_JSON, run_info)
            _log_fold(result, len(splits), metric)

        results = cross_validate(
            dataset,
            splits,
            make_selector,
            estimator,
            on_fold=on_fold,
            n_jobs=int(cfg.n_jobs),
            threads_per_job=cfg.torch_threads,
            done=done,
        )
        summary = summarise(results, dataset, meta, time.perf_counter() - started)
        _write_outputs(out_dir, results, dataset, summary)
        _finish(out_dir, run_info, "completed", started)
    except BaseException as exc:
        if earlier:  # refused before it started: the earlier run stays as it was
            restore_hydra_files(folds_dir, hydra_dir)
            log.warning("this run did not start: the earlier run in %s is left as it was",
                        out_dir)  # fmt: skip
            raise
        status = "interrupted" if isinstance(exc, KeyboardInterrupt) else "failed"
        try:
            _finish(out_dir, run_info, status, started, error=_describe(exc))
        except OSError as record_error:  # a full disk: the run's own error is the news
            log.warning("could not record status %r in %s: %s", status,
                        out_dir / RUN_JSON, record_error)  # fmt: skip
        raise
    log.info("results (%s):\n%s", metric, results_table(results, metric))
    log.info("wrote %s", out_dir)
    return summary


def _check_selector_params(selector: BaseEstimator) -> None:
    """A selector's own hyperparameter checks, before any data is loaded, with the config key."""
    check = getattr(selector, "check_params", None)
    if check is None:
        return
    try:
        check()
    except (ValueError, TypeError) as exc:
        raise type(exc)(f"method.selector.{exc}") from None


def _check_selector_task(selector: BaseEstimator, dataset: Dataset) -> None:
    """A baseline that cannot handle the dataset's task (mRMR on a regression target) fails
    here, before the folds are drawn and written, not in the first fold."""
    if isinstance(selector, BaseSelector):
        task = selector.get_params().get("task", "auto")
        resolve_task(selector.method_name, task, dataset.y, selector.supported_tasks)


def _describe(exc: BaseException) -> str:
    """``run.json``'s ``error``: the exception's type and message (Ctrl-C has no message)."""
    message = str(exc)
    return f"{type(exc).__name__}: {message}" if message else type(exc).__name__


def _fold_record(result: FoldResult, split_hash: str | None = None) -> dict[str, Any]:
    """A fold's line in ``run.json``: its score, selection, times and split hash."""
    return {
        "fold": result.fold,
        "score": result.score,
        "val_score": finite_or_none(result.val_score),
        "selected": result.selected.tolist(),
        "fit_time_s": result.fit_time_s,
        "wall_time_s": result.wall_time_s,
        "split_sha256": split_hash or result.split_sha256,
    }


def _instantiate_estimator(
    node: DictConfig | None, task: str, key: str = "estimator"
) -> BaseEstimator | None:
    """The downstream model, or None when the selector predicts itself. A ``task: ???`` key in
    the node is the one runtime value a method config may ask for; it is filled here. An
    invalid argument is an error naming its config key (``key``.<argument>)."""
    if node is None:
        return None
    extra = {"task": task} if OmegaConf.is_missing(node, "task") else {}
    try:
        return instantiate(node, **extra, _convert_="all")
    except InstantiationException as exc:
        cause = exc.__cause__
        if isinstance(cause, ValueError):
            raise ValueError(f"{key}.{cause}") from None
        raise


def _log_fold(result: FoldResult, n_folds: int, metric: str) -> None:
    extra = result.extra
    detail = ""
    if "n_batches" in extra:
        how = "early stop" if extra["stopped_early"] else "budget"
        detail = (
            f" ({extra['n_batches']:,} batches, {how}, best val loss of m_opt "
            f"{extra['best_val_loss']:.4f})"
        )
        if "best_val_accuracy" in extra:
            detail = f"{detail[:-1]}, accuracy {extra['best_val_accuracy']:.4f})"
    if "finetune_batches" in extra:
        detail += (
            f", fine-tuned {extra['finetune_batches']:,} batches (val loss "
            f"{extra['finetune_val_loss_start']:.4f} -> {extra['finetune_val_loss']:.4f})"
        )
    log.info(
        "fold %d/%d: %s %.4f, selected %s, %.1f s%s",
        result.fold + 1,
        n_folds,
        metric,
        result.score,
        result.selected.tolist(),
        result.fit_time_s,
        detail,
    )


def _write_outputs(
    out_dir: Path, results: list[FoldResult], dataset: Dataset, summary: dict
) -> None:
    """The contract files and figures, each written atomically: a kill or a full disk leaves
    the whole file or none, never one cut mid-row that a copied run would carry."""
    write_csv_atomic(out_dir / FOLDS_CSV, folds_frame(results, dataset))
    write_csv_atomic(out_dir / FEATURES_CSV, features_frame(results, dataset))
    write_json_atomic(out_dir / SUMMARY_JSON, summary)
    fig_dir = out_dir / FIGURES_DIR
    fig_dir.mkdir(exist_ok=True)
    figures = {"importance": importance_figure(summary)}
    if dataset.image_shape is not None:
        importances = np.vstack([r.importances for r in results])  # (n_folds, d)
        selected = np.zeros_like(importances, dtype=bool)
        for k, r in enumerate(results):
            selected[k, r.selected] = True
        figures.update(image_map_figures(dataset, importances, selected))
        _write_image_means(out_dir / IMAGE_MEANS_NPZ, dataset)
    for stem, fig in figures.items():
        for ext in ("png", "pdf"):
            atomic_write(fig_dir / f"{stem}.{ext}", partial(fig.savefig, format=ext, dpi=150))
        plt.close(fig)


def _write_image_means(path: Path, dataset: Dataset) -> None:
    """Class-mean images of the non-test rows, so reports can superimpose maps without data."""
    assert dataset.image_shape is not None
    rows = np.arange(dataset.n_samples)
    if dataset.test_index is not None:
        rows = np.setdiff1d(rows, dataset.test_index)
    classes = np.unique(dataset.y[rows])
    means = np.stack([dataset.X[rows][dataset.y[rows] == c].mean(axis=0) for c in classes])
    arrays = {
        "classes": classes,
        "means": means.reshape(len(classes), *dataset.image_shape),
        "image_shape": np.asarray(dataset.image_shape),
    }
    write_npz_atomic(path, arrays)


def _finish(
    out_dir: Path, info: dict, status: str, started: float, error: str | None = None
) -> None:
    info["status"] = status
    info["finished_at"] = datetime.now(UTC).isoformat(timespec="seconds")
    info["wall_time_s"] = time.perf_counter() - started
    if error is not None:
        info["error"] = error
    write_json_atomic(out_dir / RUN_JSON, info)


def _hydra_choices() -> dict[str, str | None]:
    """The config group choices (dataset, method, profile, launcher, ...) when run by Hydra;
    empty when ``run`` is called directly."""
    if not HydraConfig.initialized():
        return {}
    return {
        k: (None if v is None else str(v)) for k, v in HydraConfig.get().runtime.choices.items()
    }


def _versions() -> dict[str, str | None]:
    versions: dict[str, str | None] = {"fir": fir.__version__}  # not an install's stale metadata
    for name in PACKAGES:
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            versions[name] = None
    return versions


def _git_state(root: Path | None = None) -> dict[str, Any]:
    """Commit and dirty flag of the checkout ``fir`` runs from, ``root`` (default: the folder
    that holds the package); None outside a git checkout, and for an installed fir inside
    someone else's repository (a venv in a project's tree)."""
    root = (root or Path(__file__).parent.parent).resolve()
    try:
        commit = subprocess.run(
            ["git", "-C", str(root), "rev-parse", "--show-toplevel", "HEAD"],
            capture_output=True,
            text=True,
            timeout=10,
        )
        lines = commit.stdout.split("\n")
        if commit.returncode != 0 or len(lines) < 2 or Path(lines[0]).resolve() != root:
            return {"commit": None, "dirty": None}
        status = subprocess.run(
            ["git", "-C", str(root), "status", "--porcelain", "--untracked-files=no"],
            capture_output=True,
            text=True,
            timeout=10,
        )
        return {"commit": lines[1].strip(), "dirty": bool(status.stdout.strip())}
    except (OSError, subprocess.TimeoutExpired):
        return {"commit": None, "dirty": None}


@hydra.main(version_base="1.3", config_path=str(CONF_DIR), config_name="config")
def _hydra_main(cfg: DictConfig) -> float:
    hydra_cfg = HydraConfig.get()
    if cfg.torch_threads is None:
        cfg.torch_threads = launcher_threads(hydra_cfg.launcher, os.cpu_count() or 1)
    out_dir = Path(hydra_cfg.runtime.output_dir)
    hydra_dir = out_dir / hydra_cfg.output_subdir if hydra_cfg.output_subdir else None
    if cfg.resume and _timestamped_run_dir(hydra_cfg):
        resumed = find_resumable(out_dir, cfg)
        if resumed != out_dir:
            log.info("resume=true: continuing the run in %s", resumed)
            out_dir = resumed
            _log_also_to(out_dir / f"{hydra_cfg.job.name}.log")
    try:
        with _warnings_logged():
            summary = run(cfg, out_dir, hydra_dir)
    except KeyboardInterrupt as exc:
        # for main()'s last line; nothing to resume when a single run stopped before it began
        exc.began = hydra_cfg.mode == RunMode.MULTIRUN or (out_dir / RUN_JSON).is_file()
        exc.resume_command = resume_command(hydra_cfg, out_dir)
        raise
    except (ValueError, TypeError, OSError, InstantiationException) as exc:
        # A bad config, bad data, or a file missing or unreadable: the message names the fix, so
        # no traceback (HYDRA_FULL_ERROR=1 still shows one). run.json already says "failed". A
        # loader's error reaches here wrapped by hydra.utils.instantiate: its own message is the
        # news.
        cause = exc.__cause__ if isinstance(exc, InstantiationException) else exc
        one_line = isinstance(cause, ONE_LINE_ERRORS) or _disk_full(cause)
        if os.environ.get("HYDRA_FULL_ERROR") == "1" or not one_line:
            raise
        if _disk_full(cause):
            cause = _disk_full_message(cause, out_dir, resume_command(hydra_cfg, out_dir))
        print(f"fir-run: error: {cause}", file=sys.stderr)
        _log_to_files(f"fir-run: error: {cause}")
        if hydra_cfg.mode == RunMode.MULTIRUN:
            # Hydra records the failed point and runs the others; the sweep then ends with
            # its first failure. (SystemExit would end the whole sweep here.)
            raise RunFailed(f"fir-run: the sweep point in {out_dir} failed: {cause}") from None
        sys.exit(1)
    return validation_objective(summary)


def _disk_full(exc: BaseException | None) -> bool:
    """Whether ``exc`` says the disk or the user's quota is full."""
    return isinstance(exc, OSError) and exc.errno in DISK_FULL_ERRNOS


def _disk_full_message(exc: OSError, out_dir: Path, command: str | None) -> str:
    """One line for a run stopped by a full disk: where, what is kept, and how to continue."""
    n_done = len(list((out_dir / FOLDS_DIR).glob("fold_*.json")))
    kept = f"the {n_done} completed fold(s) in {out_dir / FOLDS_DIR} are kept" if n_done else (
        "no fold had completed"
    )  # fmt: skip
    how = f"continue with: {command}" if command else "continue with resume=true"
    return f"{exc.strerror} writing {exc.filename or out_dir}; {kept}. Free space, then {how}"


@contextmanager
def _warnings_logged() -> Iterator[None]:
    """Python warnings (LASSO's all-zero coefficients, scikit-learn's convergence warnings) go
    through logging while a run lasts, so that they reach ``fir-run.log`` as well as the
    console."""
    logging.captureWarnings(True)
    try:
        yield
    finally:
        logging.captureWarnings(False)


def _log_to_files(message: str, level: int = logging.ERROR) -> None:
    """``message`` into the job's log files only (the console has it already)."""
    record = log.makeRecord(log.name, level, __file__, 0, message, None, None)
    for handler in logging.getLogger().handlers:
        if isinstance(handler, logging.FileHandler):
            handler.handle(record)


def resume_command(hydra_cfg: DictConfig, out_dir: Path | None) -> str | None:
    """The command that continues an interrupted invocation where it wrote: the same
    arguments with ``resume=true`` and the run's directory ``out_dir`` (the sweep's, for a
    multirun: points resume only inside the same ``hydra.sweep.dir``); None when a single
    run's directory is not known."""
    multirun = hydra_cfg.mode == RunMode.MULTIRUN
    if not multirun and out_dir is None:
        return None
    place = (
        hydra_override("hydra.sweep.dir", str(hydra_cfg.sweep.dir))
        if multirun
        else hydra_override("hydra.run.dir", str(out_dir))
    )
    command = shlex.join(["fir-run", *_rerun_args(sys.argv[1:]), "resume=true"])
    return f"{command} {shell_quote(place)}"


RERUN_DROPPED = ("resume=", "hydra.sweep.dir=", "hydra.run.dir=")


def _rerun_args(args: list[str]) -> list[str]:
    """An invocation's arguments ``args`` without those a resume command sets itself."""
    return [a for a in args if not a.lstrip("+~").startswith(RERUN_DROPPED)]


def _timestamped_run_dir(hydra_cfg: DictConfig) -> bool:
    """True for a single run in the default, timestamped ``hydra.run.dir``: only then does
    ``resume=true`` look for the newest earlier run of the same config beside it. A directory
    named on the command line, and every multirun point, are resumed where they are."""
    if hydra_cfg.mode != RunMode.RUN:
        return False
    named = {o.split("=", 1)[0].lstrip("+~") for o in hydra_cfg.overrides.hydra}
    return "hydra.run.dir" not in named


def _log_also_to(path: Path) -> None:
    """Add the job log's file handler for ``path`` (the resumed run's own log)."""
    handler = logging.FileHandler(path)
    first = next((h for h in logging.getLogger().handlers if h.formatter is not None), None)
    if first is not None:
        handler.setFormatter(first.formatter)
    logging.getLogger().addHandler(handler)


def validation_objective(summary: dict[str, Any]) -> float:
    """What a sweeper minimises: the validation loss, never a test score. For accuracy it is
    the validation error (1 - mean validation accuracy), for regression the mean validation MSE;
    NaN when the folds have no validation part."""
    mean = summary.get("validation", {}).get("mean")
    if mean is None:
        return float("nan")
    return 1.0 - float(mean) if summary["metric"] == "accuracy" else float(mean)


def launcher_threads(launcher: DictConfig, cpu_count: int) -> int | None:
    """Torch threads per job when ``torch_threads`` is unset: under ``hydra/launcher=joblib``
    with k parallel jobs, ``cpu_count // k`` so that jobs do not oversubscribe the cores; None
    (torch's default) with other launchers."""
    if "JoblibLauncher" not in str(launcher.get("_target_", "")):
        return None
    n_jobs = launcher.get("n_jobs") or -1
    jobs = n_jobs if n_jobs > 0 else max(1, cpu_count + 1 + n_jobs)
    return max(1, cpu_count // jobs)


def _sweep_resume_command(args: list[str]) -> str | None:
    """For a multirun interrupted in its own process (``hydra/launcher=joblib``, where no job
    saw the interrupt): the resume command, naming the sweep directory when the arguments do,
    else pointing at the one Hydra printed ("sweep output dir"). None for a single run."""
    if not {"-m", "--multirun"} & set(args):
        return None
    named = [a.split("=", 1)[1] for a in args if a.lstrip("+~").startswith("hydra.sweep.dir=")]
    place = shlex.quote(f"hydra.sweep.dir={named[-1]}") if named else (
        "hydra.sweep.dir=<the sweep output dir above>"
    )  # fmt: skip
    return f"{shlex.join(['fir-run', *_rerun_args(args), 'resume=true'])} {place}"


# Errors whose message says what is wrong and the fix: fir-run prints them as one line.
ONE_LINE_ERRORS = (ValueError, TypeError, FileNotFoundError, PermissionError, IsADirectoryError)


class RunFailed(CompactHydraException):
    """A sweep point that failed with a clear error (bad config or data); the message says
    which point and why. Hydra ends the sweep with this one line, without a traceback."""


class Terminated(KeyboardInterrupt):
    """SIGTERM (``kill PID``, ``timeout``, a scheduler), raised where the run is so that it ends
    as Ctrl-C does: ``run.json`` says ``"interrupted"``, fold worker processes are stopped
    rather than left running on their own, and finished folds can be resumed."""


def _raise_terminated(signum: int, frame: Any) -> None:
    raise Terminated(f"received {signal.Signals(signum).name}")


def main() -> None:
    """Console entry point ``fir-run``; exits with 128 + 15 on SIGTERM and 128 + 2 on Ctrl-C,
    after cleaning up, with one line (no traceback) saying how to resume."""
    previous = signal.signal(signal.SIGTERM, _raise_terminated)
    try:
        _hydra_main()
    except KeyboardInterrupt as exc:
        terminated = isinstance(exc, Terminated)
        if os.environ.get("HYDRA_FULL_ERROR") == "1" and not terminated:
            raise
        # a job sets it; with hydra/launcher=joblib the sweep's process is interrupted instead
        command = getattr(exc, "resume_command", None) or _sweep_resume_command(sys.argv[1:])
        how = f"resume it with: {command}" if command else "resume it with resume=true"
        stopped = f"the run stopped ({how})"
        if not getattr(exc, "began", True):
            stopped = "the run had not begun: there is nothing to resume"
        line = f"fir-run: {exc if terminated else 'interrupted'}; {stopped}."
        print(line, file=sys.stderr)
        _log_to_files(line)
        sys.exit(128 + (signal.SIGTERM if terminated else signal.SIGINT))
    finally:
        signal.signal(signal.SIGTERM, previous)


if __name__ == "__main__":
    main()
