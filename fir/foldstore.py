"""Per-fold result files: written atomically as each fold ends, read back to resume a run.

A run directory holds ``folds/fold_KK.json`` for every completed fold and, for methods that
record a training history (the dual-net), ``folds/fold_KK_history.npz``. The history is written
first and the JSON last, each to a temporary name renamed into place, so a fold exists exactly
when its JSON does; a half-written or foreign file is never read as a result: a JSON that does
not parse, lacks a field, or belongs to a different split (``split_sha256``) is ignored and the
fold is computed again.
"""

from __future__ import annotations

import hashlib
import json
import logging
from pathlib import Path
from typing import Any

import numpy as np

from fir.data.base import Split
from fir.evaluation import FoldResult
from fir.reporting import finite_or_none, write_json_atomic, write_npz_atomic

log = logging.getLogger(__name__)

FOLDS_DIR = "folds"
FOLD_FIELDS = (
    "fold", "split_sha256", "score", "val_score", "selected", "importances", "ranking",
    "fit_time_s", "wall_time_s", "n_train", "n_val", "n_test", "extra",
)  # fmt: skip


def split_sha256(split: Split) -> str:
    """sha256 of a fold's train/val/test row indices (as int64, in that order)."""
    digest = hashlib.sha256()
    for part in (split.train, split.val, split.test):
        arr = np.ascontiguousarray(np.asarray(part, dtype=np.int64))
        digest.update(str(len(arr)).encode())
        digest.update(arr.tobytes())
    return digest.hexdigest()


def data_hashes(provenance: Any) -> list[str]:
    """The sha256 of every file a dataset's provenance records (sorted; empty for generated
    data, which the config and the split hashes identify)."""
    if isinstance(provenance, dict):
        own = [provenance["sha256"]] if isinstance(provenance.get("sha256"), str) else []
        return sorted(own + [h for v in provenance.values() for h in data_hashes(v)])
    if isinstance(provenance, list):
        return sorted(h for v in provenance for h in data_hashes(v))
    return []


def splits_sha256(splits: list[Split]) -> str:
    """One hash of all folds' indices (the ``split_sha256`` of ``run.json``)."""
    return hashlib.sha256("".join(split_sha256(s) for s in splits).encode()).hexdigest()


def fold_json_path(folds_dir: Path, fold: int) -> Path:
    return folds_dir / f"fold_{fold:02d}.json"


def fold_history_path(folds_dir: Path, fold: int) -> Path:
    return folds_dir / f"fold_{fold:02d}_history.npz"


def save_fold(folds_dir: Path, result: FoldResult, split_hash: str) -> Path:
    """Write one fold's files atomically (history first, the JSON that marks it done last)."""
    folds_dir.mkdir(parents=True, exist_ok=True)
    if result.history is not None:
        write_npz_atomic(fold_history_path(folds_dir, result.fold), result.history)
    payload = {
        "fold": result.fold,
        "split_sha256": split_hash,
        "score": result.score,
        "val_score": finite_or_none(result.val_score),
        "selected": [int(i) for i in result.selected],
        "importances": [finite_or_none(v) for v in np.asarray(result.importances, dtype=float)],
        "ranking": [int(r) for r in result.ranking],
        "fit_time_s": result.fit_time_s,
        "wall_time_s": result.wall_time_s,
        "n_train": result.n_train,
        "n_val": result.n_val,
        "n_test": result.n_test,
        "extra": result.extra,
        "has_history": result.history is not None,
    }
    path = fold_json_path(folds_dir, result.fold)
    # NaN (e.g. a diverged fit's best_val_loss) is written as null
    write_json_atomic(path, payload, indent=1)
    return path


def load_folds(folds_dir: Path, split_hashes: list[str]) -> dict[int, FoldResult]:
    """The completed folds in ``folds_dir`` whose split matches ``split_hashes[fold]``.

    Anything else (unparsable, incomplete, another split, a missing history the JSON promises)
    is logged and left out, so the fold runs again (logs count folds from 1, as fir-run's do;
    files and keys from 0).
    """
    done: dict[int, FoldResult] = {}
    for fold, expected in enumerate(split_hashes):
        path = fold_json_path(folds_dir, fold)
        if not path.is_file():
            continue
        try:
            result = _read_fold(path, folds_dir)
        except Exception as exc:  # noqa: BLE001 - any damage: the fold runs again
            log.warning(
                "ignoring %s (%s: %s); fold %d runs again", path, type(exc).__name__, exc, fold + 1
            )
            continue
        if result.fold != fold:
            log.warning("ignoring %s: it records fold %d", path, result.fold + 1)
        elif result.split_sha256 != expected:
            log.warning("ignoring %s: its split differs from this run's; fold %d runs again",
                        path, fold + 1)  # fmt: skip
        else:
            done[fold] = result
    return done


def clear_folds(folds_dir: Path) -> None:
    """Remove fold files of an earlier run in the same directory (a fresh, non-resumed run)."""
    if folds_dir.is_dir():
        for path in folds_dir.glob("fold_*"):
            path.unlink()


def _read_fold(path: Path, folds_dir: Path) -> FoldResult:
    payload = json.loads(path.read_text())
    missing = [k for k in FOLD_FIELDS if k not in payload]
    if missing:
        raise ValueError(f"missing fields {missing}")
    history = None
    if payload.get("has_history"):
        # our own handle: np.load leaks the one it opens when the archive is damaged
        with open(fold_history_path(folds_dir, payload["fold"]), "rb") as fh, np.load(fh) as npz:
            history = {k: npz[k] for k in npz.files}
    return FoldResult(
        fold=int(payload["fold"]),
        score=float(payload["score"]),
        selected=np.asarray(payload["selected"], dtype=np.int64),
        importances=np.array(
            [np.nan if v is None else v for v in payload["importances"]], dtype=float
        ),
        ranking=np.asarray(payload["ranking"], dtype=np.int64),
        fit_time_s=float(payload["fit_time_s"]),
        n_train=int(payload["n_train"]),
        n_val=int(payload["n_val"]),
        n_test=int(payload["n_test"]),
        extra={k: np.nan if v is None else v for k, v in payload["extra"].items()},
        val_score=np.nan if payload["val_score"] is None else float(payload["val_score"]),
        wall_time_s=float(payload["wall_time_s"]),
        history=history,
        split_sha256=str(payload["split_sha256"]),
    )
