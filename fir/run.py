"""``fir-run``: validate -> instantiate -> cross-validate -> write the run directory."""

from __future__ import annotations

import importlib.metadata
import logging
import os
import platform
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import hydra
import matplotlib.pyplot as plt
import numpy as np
import torch
from hydra.core.hydra_config import HydraConfig
from hydra.utils import instantiate
from omegaconf import DictConfig, OmegaConf
from sklearn.base import BaseEstimator, clone

from fir.config import register_configs, validate_dataset, validate_run_config
from fir.data.base import Dataset
from fir.evaluation import FoldResult, cross_validate, make_splits
from fir.imagemaps import image_map_figures
from fir.metrics import metric_name
from fir.plotting import importance_figure
from fir.reporting import (
    FEATURES_CSV,
    FIGURES_DIR,
    FOLDS_CSV,
    RUN_JSON,
    SPLITS_NPZ,
    SUMMARY_JSON,
    features_frame,
    folds_frame,
    results_table,
    summarise,
    write_json_atomic,
    write_splits,
)
from fir.repro import derive_seed, resolve_device

log = logging.getLogger("fir.run")
CONF_DIR = Path(__file__).resolve().parent.parent / "conf"
PACKAGES = (
    "fir",
    "torch",
    "numpy",
    "scikit-learn",
    "pandas",
    "hydra-core",
    "omegaconf",
    "matplotlib",
)

register_configs()


def run(cfg: DictConfig, out_dir: Path) -> dict[str, Any]:
    """Run one configuration into ``out_dir`` and return its summary (``summary.json``)."""
    started = time.perf_counter()
    out_dir.mkdir(parents=True, exist_ok=True)
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
        "started_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "config": OmegaConf.to_container(cfg, resolve=True),
        "versions": _versions(),
        "git": _git_state(),
        "python": platform.python_version(),
    }
    write_json_atomic(out_dir / RUN_JSON, run_info)
    try:
        validate_run_config(cfg)
        device = resolve_device(cfg.device)
        meta["device"] = run_info["device"] = str(device)
        if cfg.torch_threads is not None:
            torch.set_num_threads(cfg.torch_threads)
        dataset: Dataset = instantiate(cfg.dataset, _convert_="all")
        meta["dataset"] = run_info["dataset"] = dataset.name
        validate_dataset(dataset, int(cfg.s))
        selector: BaseEstimator = instantiate(cfg.method.selector, _convert_="all")
        estimator = _instantiate_estimator(cfg.method.get("estimator"), dataset.task)
        splits = make_splits(dataset, int(cfg.n_splits), float(cfg.val_fraction), int(cfg.seed))
        write_splits(out_dir / SPLITS_NPZ, splits)
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
        results = cross_validate(
            dataset,
            splits,
            make_selector,
            estimator,
            on_fold=lambda r: _log_fold(r, len(splits), metric),
            n_jobs=int(cfg.n_jobs),
            threads_per_job=cfg.torch_threads,
        )
    except KeyboardInterrupt:
        _finish(out_dir, run_info, "interrupted", started)
        raise
    except BaseException as exc:
        _finish(out_dir, run_info, "failed", started, error=f"{type(exc).__name__}: {exc}")
        raise
    wall = time.perf_counter() - started
    summary = summarise(results, dataset, meta, wall)
    _write_outputs(out_dir, results, dataset, summary)
    run_info["folds"] = [
        {
            "fold": r.fold,
            "score": r.score,
            "selected": r.selected.tolist(),
            "fit_time_s": r.fit_time_s,
        }
        for r in results
    ]
    _finish(out_dir, run_info, "completed", started)
    log.info("results (%s):\n%s", metric, results_table(results, metric))
    log.info("wrote %s", out_dir)
    return summary


def _instantiate_estimator(node: DictConfig | None, task: str) -> BaseEstimator | None:
    """The downstream model, or None when the selector predicts itself. A ``task: ???`` key in
    the node is the one runtime value a method config may ask for; it is filled here."""
    if node is None:
        return None
    if OmegaConf.is_missing(node, "task"):
        return instantiate(node, task=task, _convert_="all")
    return instantiate(node, _convert_="all")


def _log_fold(result: FoldResult, n_folds: int, metric: str) -> None:
    extra = result.extra
    detail = ""
    if "n_batches" in extra:
        how = "early stop" if extra["stopped_early"] else "budget"
        detail = (
            f" ({extra['n_batches']:,} batches, {how}, best val loss of m_opt "
            f"{extra['best_val_loss']:.4f})"
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
    folds_frame(results, dataset).to_csv(out_dir / FOLDS_CSV, index=False)
    features_frame(results, dataset).to_csv(out_dir / FEATURES_CSV, index=False)
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
    for stem, fig in figures.items():
        for ext in ("png", "pdf"):
            fig.savefig(fig_dir / f"{stem}.{ext}", dpi=150)
        plt.close(fig)


def _finish(
    out_dir: Path, info: dict, status: str, started: float, error: str | None = None
) -> None:
    info["status"] = status
    info["finished_at"] = datetime.now(timezone.utc).isoformat(timespec="seconds")
    info["wall_time_s"] = time.perf_counter() - started
    if error is not None:
        info["error"] = error
    write_json_atomic(out_dir / RUN_JSON, info)


def _versions() -> dict[str, str | None]:
    versions: dict[str, str | None] = {}
    for name in PACKAGES:
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            versions[name] = None
    return versions


def _git_state() -> dict[str, Any]:
    """Commit and dirty flag of the checkout ``fir`` runs from (None outside a git checkout)."""
    root = Path(__file__).resolve().parent.parent
    try:
        commit = subprocess.run(
            ["git", "-C", str(root), "rev-parse", "HEAD"],
            capture_output=True,
            text=True,
            timeout=10,
        )
        if commit.returncode != 0:
            return {"commit": None, "dirty": None}
        status = subprocess.run(
            ["git", "-C", str(root), "status", "--porcelain", "--untracked-files=no"],
            capture_output=True,
            text=True,
            timeout=10,
        )
        return {"commit": commit.stdout.strip(), "dirty": bool(status.stdout.strip())}
    except (OSError, subprocess.TimeoutExpired):
        return {"commit": None, "dirty": None}


@hydra.main(version_base="1.3", config_path=str(CONF_DIR), config_name="config")
def _hydra_main(cfg: DictConfig) -> float:
    try:
        summary = run(cfg, Path(HydraConfig.get().runtime.output_dir))
    except (ValueError, TypeError, FileNotFoundError) as exc:
        # A bad config, bad data or a missing file: the message names the fix, so no traceback
        # (HYDRA_FULL_ERROR=1 still shows one). run.json already says "failed".
        if os.environ.get("HYDRA_FULL_ERROR") == "1":
            raise
        print(f"fir-run: error: {exc}", file=sys.stderr)
        sys.exit(1)
    return float(summary["test"]["mean"])


def main() -> None:
    """Console entry point ``fir-run``."""
    _hydra_main()


if __name__ == "__main__":
    main()
