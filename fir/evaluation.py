"""The k-fold protocol: splits, per-fold fitting on the training part only, scoring on test."""

from __future__ import annotations

import inspect
import logging
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from numbers import Integral

import numpy as np
import torch
from joblib import Parallel, delayed
from sklearn.base import BaseEstimator, clone
from sklearn.model_selection import KFold, StratifiedKFold, train_test_split
from sklearn.preprocessing import StandardScaler

from fir.data.base import Dataset, Split
from fir.metrics import rank_features, task_score
from fir.repro import derive_seed

log = logging.getLogger(__name__)


@dataclass
class FoldResult:
    """What one fold produced; the rows of ``folds.csv`` and ``features.csv`` come from here."""

    fold: int
    score: float
    selected: np.ndarray  # indices of the selected features, ascending
    importances: np.ndarray  # (n_features,), NaN where the method defines no score
    ranking: np.ndarray  # (n_features,), 1 = most important
    fit_time_s: float
    n_train: int
    n_val: int
    n_test: int
    extra: dict
    val_score: float = float("nan")  # the same metric on the validation part (NaN without one)
    wall_time_s: float = 0.0  # the whole fold: scaling, fit, downstream model, scoring
    history: dict[str, np.ndarray] | None = field(default=None, repr=False)  # learning curves
    split_sha256: str | None = None


def make_splits(dataset: Dataset, n_splits: int, val_fraction: float, seed: int) -> list[Split]:
    """The folds of the protocol for ``dataset``.

    * predefined splits (synthetic data: independent draws per fold) are used as they are;
    * with an official test split, k-fold over the other rows: 4/5 train, 1/5 validation, and
      every fold scored on the official test rows;
    * otherwise k-fold over all rows (stratified for classification), with a validation part
      of ``val_fraction`` carved from each training part (stratified too).
    """
    if dataset.splits is not None:
        if len(dataset.splits) != n_splits:
            raise ValueError(
                f"dataset {dataset.name!r} defines {len(dataset.splits)} folds but n_splits="
                f"{n_splits}; set the dataset's n_folds to match."
            )
        return check_splits(dataset, list(dataset.splits), n_splits, val_fraction)
    if n_splits < 2:
        raise ValueError(f"n_splits must be at least 2; got {n_splits}.")
    classify = dataset.task == "classification"
    _check_fold_count(dataset, n_splits, classify)
    kfold_cls = StratifiedKFold if classify else KFold
    kfold = kfold_cls(n_splits=n_splits, shuffle=True, random_state=derive_seed(seed, 2) % 2**32)
    if dataset.test_index is not None:
        test = np.asarray(dataset.test_index)
        pool = np.setdiff1d(np.arange(dataset.n_samples), test)
        y_pool = dataset.y[pool]
        splits = [
            Split(train=pool[tr], val=pool[va], test=test)
            for tr, va in kfold.split(pool, y_pool if classify else None)
        ]
        return check_splits(dataset, splits, n_splits, val_fraction)
    splits = []
    for k, (rest, test) in enumerate(kfold.split(dataset.X, dataset.y if classify else None)):
        y_rest = dataset.y[rest]
        train, val = train_test_split(
            rest,
            test_size=val_fraction,
            stratify=y_rest if classify and _can_stratify(y_rest, val_fraction) else None,
            random_state=derive_seed(seed, 3, k) % 2**32,
        )
        splits.append(Split(train=np.sort(train), val=np.sort(val), test=test))
    return check_splits(dataset, splits, n_splits, val_fraction)


def _check_fold_count(dataset: Dataset, n_splits: int, classify: bool) -> None:
    """k-fold needs k rows to split (outside an official test split), and stratified k-fold a
    class with at least k rows: otherwise an error that names n_splits and the fix."""
    pool = dataset.n_samples - (0 if dataset.test_index is None else len(dataset.test_index))
    if n_splits > pool:
        raise ValueError(
            f"n_splits={n_splits} is more than the {pool} rows of dataset {dataset.name!r} to "
            f"split; use fewer folds, e.g. n_splits=5."
        )
    if classify:
        _, counts = np.unique(dataset.y, return_counts=True)
        if n_splits > counts.max():
            raise ValueError(
                f"n_splits={n_splits} exceeds the {counts.max()} rows of the largest class of "
                f"dataset {dataset.name!r}: stratified folds need a class with at least "
                f"n_splits rows; use n_splits={min(5, int(counts.max()))} or fewer."
            )


def check_splits(
    dataset: Dataset, splits: list[Split], n_splits: int, val_fraction: float
) -> list[Split]:
    """``splits``, after checking that every fold can be fitted, stopped early and scored:
    at least 2 training rows, a validation and a test row, and (classification) every class
    of the fold's validation and test rows among its training rows. Raised before training,
    with the fix."""
    for k, split in enumerate(splits):
        fix = _split_fix(dataset, split, n_splits, val_fraction)
        if len(split.train) < 2 or len(split.val) < 1 or len(split.test) < 1:
            raise ValueError(
                f"dataset {dataset.name!r}: fold {k} gets {len(split.train)} training, "
                f"{len(split.val)} validation and {len(split.test)} test rows, too few to fit "
                f"and score a model {fix}."
            )
        if dataset.task != "classification":
            continue
        missing = np.setdiff1d(
            np.concatenate([dataset.y[split.val], dataset.y[split.test]]), dataset.y[split.train]
        )
        if len(missing):
            classes, counts = np.unique(dataset.y, return_counts=True)
            rows = dict(zip(classes.tolist(), counts.tolist(), strict=True))
            rare = ", ".join(
                f"{_class_name(dataset, c)!r} ({rows[c]} rows in the data)"
                for c in missing.tolist()
            )
            merge = "" if dataset.splits is not None else ", or drop or merge the rare classes"
            raise ValueError(
                f"dataset {dataset.name!r}: fold {k}'s training part has no rows of class {rare}, "
                f"so the fold could not learn what it is scored on {fix}"
                f"{merge}."
            )
    return splits


def _split_fix(dataset: Dataset, split: Split, n_splits: int, val_fraction: float) -> str:
    """The end of a fold-check error: the protocol's numbers and what to change."""
    if dataset.splits is not None:  # the dataset draws its own folds (synthetic data)
        return (
            "(the dataset draws its own folds). Give it more rows per fold (e.g. "
            f"dataset.n_train; this fold has {len(split.train)} training, {len(split.val)} "
            f"validation, {len(split.test)} test)"
        )
    fewer = "fewer folds (e.g. n_splits=2), or " if n_splits > 2 else ""
    return (
        f"(n_splits={n_splits}, val_fraction={val_fraction}, {dataset.n_samples} samples). "
        f"Use {fewer}more data"
    )


def _class_name(dataset: Dataset, code):
    """A class's name from the provenance's ``classes`` (a table's labels), else its value."""
    names = dataset.provenance.get("classes") if isinstance(dataset.provenance, dict) else None
    if isinstance(names, list) and isinstance(code, Integral) and 0 <= int(code) < len(names):
        return names[int(code)]
    return code


def _can_stratify(y: np.ndarray, fraction: float) -> bool:
    _, counts = np.unique(y, return_counts=True)
    n_val = int(np.ceil(fraction * len(y)))
    return counts.min() >= 2 and n_val >= len(counts) and len(y) - n_val >= len(counts)


def accepts_validation(selector: BaseEstimator) -> bool:
    """Whether ``selector.fit`` takes ``X_val``/``y_val`` (early stopping on our split)."""
    return "X_val" in inspect.signature(selector.fit).parameters


def fold_arrays(dataset: Dataset, split: Split) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The fold's training, validation and test rows of ``X``, standardised with a scaler fit
    on the training part when the dataset asks for it."""
    X_tr, X_va, X_te = dataset.X[split.train], dataset.X[split.val], dataset.X[split.test]
    if dataset.standardize:
        scaler = StandardScaler().fit(X_tr)
        X_tr, X_va, X_te = scaler.transform(X_tr), scaler.transform(X_va), scaler.transform(X_te)
    return X_tr, X_va, X_te


def run_fold(
    dataset: Dataset,
    split: Split,
    fold: int,
    selector: BaseEstimator,
    estimator: BaseEstimator | None,
) -> FoldResult:
    """Fit ``selector`` on the fold's training part and score it on the test part.

    The selector predicts itself when ``estimator`` is None (the dual-net's operator);
    otherwise a clone of ``estimator`` is fitted on the selected training columns.
    """
    fold_start = time.perf_counter()
    y = dataset.y
    X_tr, X_va, X_te = fold_arrays(dataset, split)
    y_tr, y_va, y_te = y[split.train], y[split.val], y[split.test]
    start = time.perf_counter()
    if accepts_validation(selector):
        selector.fit(X_tr, y_tr, X_val=X_va, y_val=y_va)
    else:
        selector.fit(X_tr, y_tr)
    fit_time = time.perf_counter() - start
    support = selector.get_support()
    if estimator is None:
        predict = selector.predict
    else:
        model = clone(estimator).fit(X_tr[:, support], y_tr)

        def predict(X_part: np.ndarray) -> np.ndarray:
            return model.predict(X_part[:, support])

    pred = predict(X_te)
    val_score = task_score(dataset.task, y_va, predict(X_va)) if len(y_va) else float("nan")
    importances = np.asarray(
        getattr(selector, "feature_importances_", np.full(dataset.n_features, np.nan)), dtype=float
    )
    ranking = np.asarray(getattr(selector, "ranking_", rank_features(support, importances)))
    history = getattr(selector, "history_", None)
    extra = {}
    curves = None
    if history is not None:
        curves = history_arrays(history)
        at_best = np.asarray(history.val_batch) == history.best_batch  # the restored weights
        best_loss = np.asarray(history.val_mopt_loss, dtype=float)[at_best]
        extra = {
            "n_batches": history.n_batches,
            "best_batch": history.best_batch,
            "stopped_early": history.stopped_early,
            "best_val_loss": float(best_loss[0]) if at_best.any() else float("nan"),
        }
        if getattr(selector, "stop_metric", "loss") == "accuracy":  # only such runs have it
            best_acc = np.asarray(history.val_mopt_accuracy, dtype=float)[at_best]
            extra["best_val_accuracy"] = float(best_acc[0]) if at_best.any() else float("nan")
        finetune = getattr(history, "finetune", None)
        if finetune is not None:  # only fine-tuned runs have these columns
            extra.update(
                finetune_batches=finetune.n_batches,
                finetune_best_batch=finetune.best_batch,
                finetune_val_loss_start=finetune.val_loss_start,
                finetune_val_loss=finetune.val_loss_best,
            )
    return FoldResult(
        fold=fold,
        score=task_score(dataset.task, y_te, pred),
        selected=np.flatnonzero(support),
        importances=importances,
        ranking=ranking,
        fit_time_s=fit_time,
        n_train=len(split.train),
        n_val=len(split.val),
        n_test=len(split.test),
        extra=extra,
        val_score=val_score,
        wall_time_s=time.perf_counter() - fold_start,
        history=curves,
    )


HISTORY_ARRAYS = (
    "operator_loss", "mopt_loss", "selector_batch", "selector_loss",
    "val_batch", "val_loss", "val_mopt_loss", "val_mopt_accuracy",
)  # fmt: skip
HISTORY_SCALARS = ("phase2_start", "n_batches", "best_batch", "stopped_early")


def history_arrays(history: object) -> dict[str, np.ndarray]:
    """A fit's ``history_`` as named arrays (``folds/fold_KK_history.npz``)."""
    arrays = {name: np.asarray(getattr(history, name)) for name in HISTORY_ARRAYS}
    arrays.update({name: np.asarray(getattr(history, name)) for name in HISTORY_SCALARS})
    return arrays


def cross_validate(
    dataset: Dataset,
    splits: list[Split],
    make_selector: Callable[[int], BaseEstimator],
    estimator: BaseEstimator | None,
    on_fold: Callable[[FoldResult], None] | None = None,
    n_jobs: int = 1,
    threads_per_job: int | None = None,
    done: dict[int, FoldResult] | None = None,
) -> list[FoldResult]:
    """Run every fold with a fresh selector from ``make_selector(fold)``; report each new
    result to ``on_fold`` as soon as it exists (in fold order). Folds in ``done`` (resumed from
    an earlier run) are taken as they are and not run again.

    With ``n_jobs > 1`` folds run in that many worker processes, each with ``threads_per_job``
    torch threads (default ``cpu_count // n_jobs``, so that they do not oversubscribe the cores).
    Every fold has its own seed, so on the CPU with the same thread count the results do not
    depend on ``n_jobs``.
    """
    if n_jobs < 1:
        raise ValueError(f"n_jobs={n_jobs} is invalid: use 1 (sequential) or more processes.")
    done = done or {}
    todo = [k for k in range(len(splits)) if k not in done]
    n_jobs = max(1, min(n_jobs, len(todo)))
    if n_jobs == 1:
        outputs = (run_fold(dataset, splits[k], k, make_selector(k), estimator) for k in todo)
    else:
        threads = threads_per_job or max(1, (os.cpu_count() or 1) // n_jobs)
        sinks = _log_sinks()
        outputs = Parallel(n_jobs=n_jobs, return_as="generator", pre_dispatch="n_jobs")(
            delayed(_run_fold_in_worker)(
                dataset, splits[k], k, make_selector(k), estimator, threads, sinks, os.getpid()
            )
            for k in todo
        )
    results = dict(done)
    for result in outputs:
        results[result.fold] = result
        if on_fold is not None:
            on_fold(result)
    return [results[k] for k in range(len(splits))]


def _run_fold_in_worker(
    dataset: Dataset,
    split: Split,
    fold: int,
    selector: BaseEstimator,
    estimator: BaseEstimator | None,
    threads: int,
    sinks: LogSinks | None = None,
    parent: int | None = None,
) -> FoldResult:
    """``run_fold`` in a worker process, with its torch thread count set and its ``fir`` log
    records sent where the parent's go (console and ``fir-run.log``). With ``parent`` (the pid
    of the process that dispatched the fold) the worker ends itself when that process is gone:
    a SIGKILL or the OOM killer gives fir-run no chance to stop its workers, which would
    otherwise train on for no one (their results cannot be saved)."""
    stop = threading.Event()
    if parent is not None:
        _end_if_orphaned(parent)
        threading.Thread(target=_watch_parent, args=(parent, stop), daemon=True).start()
    torch.set_num_threads(threads)
    handlers = _attach_log_sinks(sinks, fold) if sinks else []
    try:
        return run_fold(dataset, split, fold, selector, estimator)
    finally:
        stop.set()
        logging.captureWarnings(False)
        for name in LOGGERS:
            for handler in handlers:
                logging.getLogger(name).removeHandler(handler)
        for handler in handlers:
            handler.close()


PARENT_POLL_S = 1.0  # how often a fold worker checks that fir-run is still there


def _end_if_orphaned(parent: int) -> None:
    """End this worker process at once when ``parent`` is no longer its parent (it died and the
    worker was re-parented)."""
    if os.getppid() != parent:
        os._exit(1)


def _watch_parent(parent: int, stop: threading.Event) -> None:
    """A fold worker's watchdog thread: :func:`_end_if_orphaned` every ``PARENT_POLL_S``."""
    while not stop.wait(PARENT_POLL_S):
        _end_if_orphaned(parent)


@dataclass(frozen=True)
class LogSinks:
    """Where the parent process logs (picklable): a level, a format and files; ``stderr``
    also means the console."""

    level: int
    fmt: str | None
    files: tuple[str, ...]
    stream: bool


def _log_sinks() -> LogSinks:
    root = logging.getLogger()
    files = tuple(h.baseFilename for h in root.handlers if isinstance(h, logging.FileHandler))
    stream = any(
        type(h) is logging.StreamHandler for h in root.handlers
    )  # FileHandler subclasses StreamHandler
    fmt = next((h.formatter._fmt for h in root.handlers if h.formatter), None)
    return LogSinks(logging.getLogger("fir").getEffectiveLevel(), fmt, files, stream)


LOGGERS = ("fir", "py.warnings")  # what a fold worker sends where the parent logs


def _attach_log_sinks(sinks: LogSinks, fold: int) -> list[logging.Handler]:
    """Handlers on the worker's ``fir`` logger, and on its Python warnings, mirroring the
    parent's (a fresh loky worker has no logging configured; a reused one has ours from the
    previous fold, removed after it)."""
    handlers: list[logging.Handler] = [logging.FileHandler(f) for f in sinks.files]
    if sinks.stream:
        handlers.append(logging.StreamHandler())
    fmt = (sinks.fmt or "%(message)s").replace("%(message)s", f"[fold {fold + 1}] %(message)s")
    for handler in handlers:
        handler.setFormatter(logging.Formatter(fmt))
    logging.captureWarnings(True)
    for name in LOGGERS:
        logger = logging.getLogger(name)
        logger.setLevel(sinks.level if name == "fir" else logging.WARNING)
        logger.propagate = False
        for handler in handlers:
            logger.addHandler(handler)
    return handlers
