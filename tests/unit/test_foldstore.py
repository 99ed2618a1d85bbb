"""Per-fold result files: round trip, and nothing half-written or foreign is read as a result."""

import json

import numpy as np

from fir.data.base import Split
from fir.evaluation import FoldResult
from fir.foldstore import (
    fold_history_path,
    fold_json_path,
    load_folds,
    save_fold,
    split_sha256,
    splits_sha256,
)


def make_split(shift: int = 0) -> Split:
    return Split(train=np.arange(10) + shift, val=np.arange(10, 13), test=np.arange(13, 20))


def make_result(fold: int, history: bool = True) -> FoldResult:
    return FoldResult(
        fold=fold,
        score=0.75 + fold / 100,
        selected=np.array([1, 4]),
        importances=np.array([0.1, 0.5, np.nan, -0.2, 0.9]),
        ranking=np.array([3, 2, 5, 4, 1]),
        fit_time_s=1.5,
        n_train=10,
        n_val=3,
        n_test=7,
        extra={"n_batches": 96, "stopped_early": False, "best_val_loss": float("nan")},
        val_score=0.5,
        wall_time_s=1.75,
        history={"operator_loss": np.array([1.0, 0.5]), "phase2_start": np.array(48)}
        if history
        else None,
    )


def test_split_hash_depends_on_every_part():
    base = split_sha256(make_split())
    assert base == split_sha256(make_split())
    assert base != split_sha256(make_split(shift=1))
    moved = Split(train=np.arange(10), val=np.arange(10, 14), test=np.arange(14, 20))
    assert base != split_sha256(moved)  # one row moved from test to validation
    assert splits_sha256([make_split(), make_split(1)]) != splits_sha256(
        [make_split(1), make_split()]
    )


def test_round_trip_keeps_every_field(tmp_path):
    h = split_sha256(make_split())
    save_fold(tmp_path, make_result(0), h)
    save_fold(tmp_path, make_result(1, history=False), h)
    done = load_folds(tmp_path, [h, h])
    assert sorted(done) == [0, 1]
    got, want = done[0], make_result(0)
    assert got.score == want.score and got.val_score == want.val_score
    np.testing.assert_array_equal(got.selected, want.selected)
    np.testing.assert_array_equal(got.importances, want.importances)  # NaN survives as NaN
    np.testing.assert_array_equal(got.ranking, want.ranking)
    assert got.extra["n_batches"] == 96 and np.isnan(got.extra["best_val_loss"])
    assert got.wall_time_s == 1.75 and got.split_sha256 == h
    np.testing.assert_array_equal(got.history["operator_loss"], [1.0, 0.5])
    assert int(got.history["phase2_start"]) == 48
    assert done[1].history is None
    assert not list(tmp_path.glob(".*.tmp"))  # no temporary file left behind


def test_half_written_and_foreign_files_are_not_results(tmp_path):
    h0, h1, h2 = (split_sha256(make_split(k)) for k in range(3))
    save_fold(tmp_path, make_result(0), h0)
    save_fold(tmp_path, make_result(1), "another split")
    save_fold(tmp_path, make_result(2), h2)
    text = fold_json_path(tmp_path, 2).read_text()
    fold_json_path(tmp_path, 2).write_text(text[: len(text) // 2])  # cut mid-write
    # A history the JSON promises but that is gone: the fold is not complete.
    save_fold(tmp_path, make_result(3), h0)
    fold_history_path(tmp_path, 3).unlink()
    # A temporary file from a killed writer is never read.
    (tmp_path / ".fold_04.json.abc.tmp").write_text(json.dumps({"fold": 4}))
    done = load_folds(tmp_path, [h0, h1, h2, h0, h0])
    assert sorted(done) == [0]


def test_a_file_missing_a_field_is_ignored(tmp_path):
    h = split_sha256(make_split())
    path = save_fold(tmp_path, make_result(0), h)
    payload = json.loads(path.read_text())
    del payload["importances"]
    path.write_text(json.dumps(payload))
    assert load_folds(tmp_path, [h]) == {}


def test_a_file_recording_another_fold_is_ignored(tmp_path):
    h = split_sha256(make_split())
    save_fold(tmp_path, make_result(1, history=False), h)
    fold_json_path(tmp_path, 1).rename(fold_json_path(tmp_path, 0))
    assert load_folds(tmp_path, [h, h]) == {}
