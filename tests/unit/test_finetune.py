"""Phase III (``finetune_batches``): the operator trained on the final mask alone."""

import numpy as np
import pandas as pd
import pytest
from hydra import compose, initialize_config_dir

from fir import DualNetSelector
from fir.run import run
from tests.conftest import CONF_DIR, TINY_DUALNET


def tiny(**kw) -> DualNetSelector:
    return DualNetSelector(**{**TINY_DUALNET, "random_state": 0, **kw})


@pytest.fixture(scope="module")
def xor_like():
    """A problem whose operator the tiny budget leaves undertrained: y = [x0 + x1 > 0]."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(900, 6)).astype(np.float32)
    y = (X[:, 0] + X[:, 1] > 0).astype(int)
    return X[:300], y[:300], X[300:450], y[300:450], X[450:], y[450:]


def test_finetuning_keeps_the_selection_and_lowers_the_validation_loss(xor_like):
    X, y, X_val, y_val, X_test, y_test = xor_like
    params = dict(n_features_to_select=2, phase2_start=64, max_batches=128, patience=10**6)
    plain = tiny(**params).fit(X, y, X_val=X_val, y_val=y_val)
    tuned = tiny(**params, finetune_batches=300, finetune_patience=300).fit(
        X, y, X_val=X_val, y_val=y_val
    )
    # the selection and the importances are Phase II's
    assert np.array_equal(plain.support_, tuned.support_)
    assert np.array_equal(plain.feature_importances_, tuned.feature_importances_)
    assert plain.history_.finetune is None
    ft = tuned.history_.finetune
    mask = tuned.support_.astype(np.float32)[None]
    before = plain.mask_losses(X_val, y_val, mask)[0]
    after = tuned.mask_losses(X_val, y_val, mask)[0]
    # it starts from Phase II's operator and keeps its best validated weights
    assert ft.val_loss_start == pytest.approx(before, rel=1e-5)
    assert after == pytest.approx(ft.val_loss_best, rel=1e-5)
    assert 0 < ft.best_batch <= ft.n_batches <= 300
    assert after < before - 0.05
    assert tuned.score(X_test, y_test) > plain.score(X_test, y_test) + 0.05


def test_finetuning_stops_on_patience_and_never_keeps_worse_weights(xor_like):
    X, y, X_val, y_val, *_ = xor_like
    sel = tiny(n_features_to_select=2, finetune_batches=5000, finetune_patience=32, val_period=8)
    sel.fit(X, y, X_val=X_val, y_val=y_val)
    ft = sel.history_.finetune
    assert ft.n_batches < 5000 and ft.n_batches - ft.best_batch <= 32 + 8
    assert ft.val_loss_best <= ft.val_loss_start


def test_finetuning_on_accuracy_keeps_the_most_accurate_operator(xor_like, monkeypatch):
    import fir.training as training

    seen = []  # (batch, loss, accuracy) of every fine-tuning validation

    class Recording(training._EarlyStopping):
        def update(self, loss, batch, operator, accuracy=float("nan")):
            seen.append((batch, loss, accuracy))
            return super().update(loss, batch, operator, accuracy=accuracy)

    X, y, X_val, y_val, *_ = xor_like
    params = {"n_features_to_select": 2, "stop_metric": "accuracy", "val_period": 8}
    before = tiny(**params).fit(X, y, X_val=X_val, y_val=y_val)
    monkeypatch.setattr(training, "_EarlyStopping", Recording)
    after = tiny(**params, finetune_batches=2000, finetune_patience=64)
    after.fit(X, y, X_val=X_val, y_val=y_val)
    ft = after.history_.finetune
    phase3 = seen[[b for b, *_ in seen].index(0) :]  # fine-tuning validates from batch 0
    batch, loss, acc = np.array(phase3).T
    top = np.flatnonzero(acc == acc.max())
    assert ft.best_batch == batch[top[np.argmin(loss[top])]] > 0
    assert np.array_equal(before.support_, after.support_)
    assert after.score(X_val, y_val) == pytest.approx(acc.max())
    assert after.score(X_val, y_val) >= before.score(X_val, y_val)


def test_finetuning_with_the_lazy_first_layer_leaves_unselected_rows_alone():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(200, 24)).astype(np.float32)
    y = (X[:, 0] + X[:, 1] > 0).astype(int)
    params = dict(n_features_to_select=3, gather=True, lazy_first_layer=True, val_period=8)
    plain = tiny(**params).fit(X, y)
    tuned = tiny(**params, finetune_batches=64, finetune_patience=64).fit(X, y)
    assert tuned.history_.finetune.best_batch > 0
    keep = ~tuned.support_
    for name in ("weight_x", "weight_m"):
        a = getattr(plain.operator_.first, name).detach().numpy()
        b = getattr(tuned.operator_.first, name).detach().numpy()
        assert np.array_equal(a[keep], b[keep]), name
        assert not np.array_equal(a[~keep], b[~keep]), name


@pytest.mark.parametrize(
    ("params", "match"),
    [
        ({"finetune_batches": -1}, r"finetune_batches must be a non-negative integer; got -1"),
        ({"finetune_batch_size": 0}, r"finetune_batch_size must be a positive integer; got 0"),
        ({"finetune_patience": 1.5}, r"finetune_patience must be a positive integer; got 1.5"),
    ],
)
def test_bad_finetuning_parameters_are_clear_errors(xor_like, params, match):
    X, y, *_ = xor_like
    with pytest.raises(ValueError, match=match):
        tiny(n_features_to_select=2, **params).fit(X, y)


def test_fine_tuned_runs_add_their_columns_to_folds_csv(tmp_path):
    overrides = ["profile=tiny", "verbose=0", "dataset=xor"]
    with initialize_config_dir(config_dir=str(CONF_DIR), version_base="1.3"):
        cfg = compose(
            config_name="config", overrides=[*overrides, "method.selector.finetune_batches=32"]
        )
    run(cfg, tmp_path)
    folds = pd.read_csv(tmp_path / "folds.csv")
    added = ["finetune_batches", "finetune_best_batch", "finetune_val_loss_start"]
    assert set(added + ["finetune_val_loss"]) <= set(folds.columns)
    assert (folds["finetune_batches"] <= 32).all()
    assert (folds["finetune_val_loss"] <= folds["finetune_val_loss_start"]).all()
