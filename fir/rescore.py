"""Score a finished run's selected features with another model, on the run's own folds.

The dual-net predicts through its operator; the paper's feature-selection benchmarks score every
method's features with a kernel SVM instead. This re-reads a run directory (its config, its
``splits.npz`` and the per-fold selections in ``folds.csv``), reloads the dataset, fits a fresh
model on each fold's training part restricted to that fold's selected columns (after the same
scaling the run used) and scores it on the fold's test part. Nothing in the run directory is
changed.

    python -m fir.rescore outputs/run/mnist38/dualnet/s85_seed0/2026-...      # RBF SVM
    python -m fir.rescore RUN_DIR --model mlp --data-dir ../shared/data --out mlp.csv
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
from hydra.errors import InstantiationException
from hydra.utils import instantiate
from sklearn.base import BaseEstimator

from fir.baselines.models import make_mlp, make_svm
from fir.data.base import Dataset
from fir.evaluation import fold_arrays
from fir.foldstore import data_hashes
from fir.metrics import task_score
from fir.reporting import FOLDS_CSV, RUN_JSON, SPLITS_NPZ, format_mean_std, read_splits

MODELS: dict[str, Callable[[str], BaseEstimator]] = {"svm": make_svm, "mlp": make_mlp}


def rescore_run(
    run_dir: str | Path, model: str = "svm", data_dir: str | Path | None = None
) -> pd.DataFrame:
    """Per-fold ``score`` of ``model`` on each fold's selected features, beside the run's own
    ``run_score``; columns ``fold, n_selected, run_score, score, metric, model``."""
    run_dir = Path(run_dir)
    if model not in MODELS:
        raise ValueError(f"model={model!r} is not one of {sorted(MODELS)}.")

    def require(name: str) -> None:
        if not (run_dir / name).is_file():
            raise FileNotFoundError(
                f"{run_dir / name} is missing: rescore needs a completed fir-run directory "
                "(run.json, folds.csv and splits.npz)."
            )

    require(RUN_JSON)
    info = json.loads((run_dir / RUN_JSON).read_text())
    if info.get("status") != "completed":  # before the other files, which such a run lacks
        raise ValueError(
            f"{run_dir} holds a run with status {info.get('status')!r}; rescore needs a "
            "completed run (resume it with resume=true first)."
        )
    require(FOLDS_CSV)
    require(SPLITS_NPZ)
    node = dict(info["config"]["dataset"])
    if data_dir is not None and "data_dir" in node:
        node["data_dir"] = str(data_dir)
    provenance = (info.get("data") or {}).get("provenance")
    if isinstance(node.get("path"), str) and not Path(node["path"]).expanduser().is_absolute():
        # A user's table named relative to where fir-run ran: run.json records where that was.
        # If it is gone (the run and its data moved), the path is taken from here.
        files = (provenance or {}).get("files") or [{}]
        recorded = files[0].get("path")
        if recorded and Path(recorded).is_file():
            node["path"] = recorded
    try:
        dataset: Dataset = instantiate(node, _convert_="all")
    except InstantiationException as exc:  # a loader's own error is the news
        raise exc.__cause__ if isinstance(exc.__cause__, ValueError | OSError) else exc from None
    hashes = data_hashes(provenance)
    if hashes and hashes != data_hashes(dataset.provenance):
        raise ValueError(
            f"the data read now differs from the data {run_dir} was run on (sha256 in run.json's "
            "data.provenance): rescoring it would pair the run's selections with other rows. "
            "Point --data-dir at the original files (for a table given by a relative path, run "
            "rescore where that path finds the original file)."
        )
    folds = pd.read_csv(run_dir / FOLDS_CSV)
    splits = read_splits(run_dir / SPLITS_NPZ)
    rows = []
    for fold, run_score, selected in zip(
        folds["fold"], folds["score"], folds["selected"], strict=True
    ):
        columns = np.array(str(selected).split(), dtype=int)
        split = splits[int(fold)]
        X_tr, _, X_te = fold_arrays(dataset, split)  # scaled as the run did
        fitted = MODELS[model](dataset.task).fit(X_tr[:, columns], dataset.y[split.train])
        score = task_score(dataset.task, dataset.y[split.test], fitted.predict(X_te[:, columns]))
        rows.append(
            {
                "fold": int(fold),
                "n_selected": len(columns),
                "run_score": float(run_score),
                "score": float(score),
                "metric": folds["metric"].iloc[0],
                "model": model,
            }
        )
    return pd.DataFrame(rows)


def main(argv: list[str] | None = None) -> pd.DataFrame:
    parser = argparse.ArgumentParser(
        prog="python -m fir.rescore",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("run_dir", help="a completed fir-run directory")
    parser.add_argument("--model", default="svm", choices=sorted(MODELS))
    parser.add_argument(
        "--data-dir", default=None, help="read the data from here instead of the run's data_dir"
    )
    parser.add_argument("--out", default=None, help="also write the table to this CSV file")
    args = parser.parse_args(argv)
    try:
        table = rescore_run(args.run_dir, args.model, args.data_dir)
    except (OSError, ValueError) as exc:  # the message names the fix
        parser.exit(1, f"{parser.prog}: error: {exc}\n")
    print(table.to_string(index=False))
    run_score, score = (
        format_mean_std(table[c].mean(), table[c].std(ddof=0)).replace("±", "+-")
        for c in ("run_score", "score")
    )
    print(f"mean: run {run_score}, {args.model} on the selected features {score}")
    if args.out:
        table.to_csv(args.out, index=False)
    return table


if __name__ == "__main__":
    main(sys.argv[1:])
