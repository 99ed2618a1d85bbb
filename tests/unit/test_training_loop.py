"""The training loop's bookkeeping: Phase II layout and weights, early stopping, budgets."""

import numpy as np
import pytest
import torch

from fir import DualNetSelector
from fir.masks import masks_from_index
from fir.training import TrainConfig, _EarlyStopping, _window_masks
from tests.conftest import TINY_DUALNET

CPU = torch.device("cpu")
TINY = {**TINY_DUALNET, "random_state": 0}


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(160, 6))
    y = (X[:, 0] + X[:, 1] > 0).astype(int)
    return X, y


def test_phase2_mask_batch_layout():
    cfg = TrainConfig(s=3, mask_batch_size=10, exploit_fraction=0.5, n_flips=1, selector_period=4)
    m_opt = masks_from_index(torch.tensor([[0, 1, 2]]), 8)[0]
    m_best = masks_from_index(torch.tensor([[5, 6, 7]]), 8)[0]
    masks = _window_masks(cfg, 8, m_opt, m_best, torch.Generator().manual_seed(0), CPU)
    assert masks.shape == (4, 10, 8)
    n_random = cfg.n_random
    assert n_random == 5
    assert (masks[:, n_random] == m_opt).all()
    assert (masks[:, n_random + 1] == m_best).all()
    assert torch.equal(masks.sum(-1), torch.full((4, 10), 3.0))
    perturbed = masks[:, n_random + 2 :]
    flips = (perturbed != m_opt).sum(-1)  # one switched off and one switched on
    assert torch.equal(flips, torch.full_like(flips, 2))
    phase1 = _window_masks(cfg, 8, None, None, torch.Generator().manual_seed(0), CPU)
    assert phase1.shape == (4, 10, 8) and torch.equal(phase1.sum(-1), torch.full((4, 10), 3.0))


@pytest.mark.parametrize("weights", [(10.0, 5.0, 1.0), (2.0, 0.5, 3.0)])
def test_selector_weights_sit_on_the_m_opt_m_best_and_other_rows(monkeypatch, data, weights):
    import fir.training as training

    seen = []
    original = training.selector_objective

    def spy(pred, target, weights, kind):
        seen.append(weights.clone())
        return original(pred, target, weights, kind)

    monkeypatch.setattr(training, "selector_objective", spy)
    X, y = data
    DualNetSelector(2, selector_weights=weights, **TINY).fit(X, y)
    phase1, phase2 = seen[0].view(8, 8), seen[-1].view(-1, 8)
    w_best, w_opt, w_other = weights
    assert (phase1 == 1).all()  # Phase I is unweighted
    assert (phase2[:, 4] == w_opt).all() and (phase2[:, 5] == w_best).all()
    assert (phase2[:, [0, 1, 2, 3, 6, 7]] == w_other).all()


def test_early_stopping_restores_the_best_operator(data):
    X, y = data
    sel = DualNetSelector(2, **{**TINY, "max_batches": 4000, "patience": 64, "val_period": 8})
    sel.fit(X[:120], y[:120], X_val=X[120:], y_val=y[120:])
    h = sel.history_
    assert h.stopped_early and h.n_batches < 4000
    assert h.n_batches - 1 - h.best_batch >= 64
    best = h.val_batch.tolist().index(h.best_batch)
    # best_batch is the lowest validation loss (test_training_details.py checks that the
    # restored weights reproduce it)
    assert h.val_mopt_loss[best] == pytest.approx(np.nanmin(h.val_mopt_loss))


def test_patience_counts_from_the_first_validation_and_skips_non_finite_losses():
    stopper = _EarlyStopping(patience=10)
    op = torch.nn.Linear(1, 1)
    assert not stopper.update(float("nan"), 100, op)
    assert not stopper.update(float("nan"), 105, op)
    assert stopper.update(float("nan"), 110, op)
    assert stopper.best_state is None
    stopper = _EarlyStopping(patience=10)
    stopper.update(1.0, 50, op)
    assert not stopper.update(0.5, 55, op)
    assert stopper.best_batch == 55 and stopper.update(0.7, 65, op)


def test_early_stopping_snapshots_reuse_their_tensors_and_keep_the_best_weights():
    """Each improvement copies the weights into the tensors of the first snapshot (a fresh
    d-wide clone at every improvement cost new pages); later changes do not leak into it."""
    op = torch.nn.Linear(3, 2)
    stopper = _EarlyStopping(patience=100)
    stopper.update(1.0, 0, op)
    first = {k: v.data_ptr() for k, v in stopper.best_state.items()}
    with torch.no_grad():
        op.weight.add_(1.0)
    stopper.update(0.5, 8, op)  # an improvement: these weights
    best = {k: v.clone() for k, v in op.state_dict().items()}
    assert {k: v.data_ptr() for k, v in stopper.best_state.items()} == first
    with torch.no_grad():
        op.weight.add_(1.0)
    stopper.update(0.7, 16, op)  # no improvement: the snapshot keeps the weights of batch 8
    assert all(torch.equal(stopper.best_state[k], best[k]) for k in best)
    stopper.restore(op)
    assert all(torch.equal(op.state_dict()[k], best[k]) for k in best)


def test_gathered_validation_follows_s_and_equals_the_dense_one(monkeypatch):
    """With the gathered first layer, validation and fine-tuning evaluate the operator on the
    masks' s columns too (their cost followed d), with the dense path's losses."""
    import fir.training as training

    rng = np.random.default_rng(1)
    X = rng.normal(size=(200, 40))
    y = (X[:, 0] * X[:, 1] > 0).astype(int)
    calls = []
    original = training.evaluate_masks

    def spy(operator, X, y, masks, kind, max_elements=1 << 24, index=None):
        calls.append(index)
        dense = original(operator, X, y, masks, kind, max_elements)
        out = original(operator, X, y, masks, kind, max_elements, index=index)
        torch.testing.assert_close(out, dense, rtol=1e-5, atol=1e-6)
        return out

    monkeypatch.setattr(training, "evaluate_masks", spy)
    params = {**TINY, "max_batches": 96, "finetune_batches": 16}
    DualNetSelector(3, **params, gather=True).fit(X, y)
    assert calls and all(i is not None and i.shape[-1] == 3 for i in calls)
    calls.clear()
    DualNetSelector(3, **params, gather=False).fit(X, y)
    assert calls and all(i is None for i in calls)


def test_accuracy_rule_prefers_accuracy_then_the_lower_loss():
    op = torch.nn.Linear(1, 1)
    stopper = _EarlyStopping(patience=10, metric="accuracy")
    stopper.update(0.9, 50, op, accuracy=0.5)
    stopper.update(0.4, 55, op, accuracy=0.4)  # lower loss, lower accuracy: no
    assert (stopper.best_batch, stopper.best) == (50, 0.9)
    stopper.update(1.2, 60, op, accuracy=0.6)  # higher accuracy despite a higher loss
    assert (stopper.best_batch, stopper.best, stopper.best_accuracy) == (60, 1.2, 0.6)
    stopper.update(1.3, 65, op, accuracy=0.6)  # a tie with a higher loss: no
    stopper.update(1.1, 69, op, accuracy=0.6)  # a tie with a lower loss: yes
    assert (stopper.best_batch, stopper.best) == (69, 1.1)
    assert not stopper.update(float("nan"), 75, op, accuracy=0.9)  # non-finite loss: no
    assert stopper.best_batch == 69 and stopper.update(1.0, 79, op, accuracy=0.5)


def test_stop_metric_accuracy_restores_the_most_accurate_operator(data):
    X, y = data
    params = {**TINY, "max_batches": 4000, "patience": 64, "val_period": 8}
    sel = DualNetSelector(2, **params, stop_metric="accuracy")
    sel.fit(X[:120], y[:120], X_val=X[120:], y_val=y[120:])
    h = sel.history_
    assert h.stopped_early and h.n_batches - 1 - h.best_batch >= 64
    acc, loss = h.val_mopt_accuracy, h.val_mopt_loss
    best = h.val_batch.tolist().index(h.best_batch)
    # the first validation of the highest accuracy, and among those the lowest loss
    top = np.flatnonzero(acc == acc.max())
    assert best == top[np.argmin(loss[top])]


def test_stop_metric_is_checked(data):
    X, y = data
    with pytest.raises(ValueError, match="stop_metric='acc' is not supported; use 'loss'"):
        DualNetSelector(2, **TINY, stop_metric="acc").fit(X, y)
    with pytest.raises(ValueError, match="stop_metric='accuracy' needs a classification"):
        DualNetSelector(2, **TINY, stop_metric="accuracy").fit(X, X[:, 0])


def test_a_budget_that_is_not_a_multiple_of_the_selector_period(data):
    X, y = data
    sel = DualNetSelector(2, **{**TINY, "max_batches": 45, "patience": 10**6}).fit(X, y)
    h = sel.history_
    assert h.n_batches == 45 and len(h.operator_loss) == 45
    assert h.selector_batch.tolist() == [7, 15, 23, 31, 39, 44]


@pytest.mark.parametrize(("phase2_start", "max_batches"), [(48, 48), (100, 48), (0, 8)])
def test_a_budget_without_phase_2_is_an_error(data, phase2_start, max_batches):
    X, y = data
    params = {**TINY, "phase2_start": phase2_start, "max_batches": max_batches}
    with pytest.raises(ValueError, match="leaves no Phase II"):
        DualNetSelector(2, **params).fit(X, y)


def test_phase2_start_zero_starts_after_one_window(data):
    X, y = data
    sel = DualNetSelector(2, **{**TINY, "phase2_start": 0}).fit(X, y)
    assert sel.history_.phase2_start == 8


def test_bad_validation_targets_are_clear_errors(data):
    X, y = data
    with pytest.raises(ValueError, match="inconsistent numbers of samples"):
        DualNetSelector(2, **TINY).fit(X[:100], y[:100], X_val=X[100:], y_val=y[100:110])
    yr = X[:, 0].copy()
    y_val = yr[100:].copy()
    y_val[3] = np.nan
    with pytest.raises(ValueError, match="y_val"):
        DualNetSelector(2, **TINY).fit(X[:100], yr[:100], X_val=X[100:], y_val=y_val)
    with pytest.raises(ValueError, match="y_val has labels not seen"):
        DualNetSelector(2, **TINY).fit(X[:100], y[:100], X_val=X[100:], y_val=y[100:] + 5)


def test_fit_leaves_the_global_torch_rng_alone_and_frees_the_flat_buffers(data):
    X, y = data
    before = torch.random.get_rng_state()
    sel = DualNetSelector(2, **TINY).fit(X, y)
    assert torch.equal(before, torch.random.get_rng_state())
    for p in sel.operator_.parameters():
        assert p.grad is None
        assert p.untyped_storage().nbytes() == p.numel() * p.element_size()


def test_gather_flag_is_strict(data):
    X, y = data
    with pytest.raises(ValueError, match="gather=0"):
        DualNetSelector(2, **{**TINY, "gather": 0}).fit(X, y)
    with pytest.raises(ValueError, match="gather=True needs operator='mlp'"):
        DualNetSelector(2, **{**TINY, "gather": True, "operator": "cnn"}).fit(X, y)


def test_a_failed_fit_leaves_no_fitted_state(data):
    X, y = data
    sel = DualNetSelector(2, **TINY)
    with pytest.raises(ValueError):
        sel.fit(X[:100], y[:100], X_val=X[100:], y_val=y[100:] + 5)
    assert not hasattr(sel, "classes_") and not hasattr(sel, "support_")


def test_mask_losses_checks_its_masks(data):
    X, y = data
    sel = DualNetSelector(2, **TINY).fit(X, y)
    masks = np.zeros((3, 6))
    masks[:, :2] = 1
    assert sel.mask_losses(X, y, masks).shape == (3,)
    with pytest.raises(ValueError, match=r"shape \(n_masks, 6\)"):
        sel.mask_losses(X, y, masks[0])
    with pytest.raises(ValueError, match="binary"):
        sel.mask_losses(X, y, masks * 0.5)


def test_only_accuracy_stopped_runs_add_best_val_accuracy_to_folds_csv(tmp_path):
    import pandas as pd
    from hydra import compose, initialize_config_dir

    from fir.run import run
    from tests.conftest import CONF_DIR

    base = ["profile=tiny", "verbose=0", "dataset=xor", "n_splits=2"]
    for metric in ("loss", "accuracy"):
        with initialize_config_dir(config_dir=str(CONF_DIR), version_base="1.3"):
            cfg = compose(
                config_name="config", overrides=[*base, f"method.selector.stop_metric={metric}"]
            )
        run(cfg, tmp_path / metric)
    plain = pd.read_csv(tmp_path / "loss" / "folds.csv")
    folds = pd.read_csv(tmp_path / "accuracy" / "folds.csv")
    assert "best_val_accuracy" not in plain.columns
    assert sorted(folds.columns) == sorted([*plain.columns, "best_val_accuracy"])
    assert folds["best_val_accuracy"].between(0, 1).all()


def test_selector_bias_init_target_mean_centres_the_first_predictions(monkeypatch, data):
    import fir.training as training

    calls: dict[str, list[tuple[torch.Tensor, torch.Tensor]]] = {}
    original = training.selector_objective

    def spy(pred, target, weights, kind):
        calls[init].append((pred.detach().clone(), target.clone()))
        return original(pred, target, weights, kind)

    monkeypatch.setattr(training, "selector_objective", spy)
    X, y = data
    for init in ("zero", "target_mean"):
        calls[init] = []
        DualNetSelector(2, **TINY, selector_bias_init=init).fit(X, y)
    (p0, t0), (p1, t1) = calls["zero"][0], calls["target_mean"][0]
    assert torch.equal(t0, t1)  # the same first window: the selector has not acted yet
    shift = float(t0.mean() - p0.mean())
    assert abs(shift) > 0.2  # zero starts off the targets' scale
    assert float(p1.mean()) == pytest.approx(float(t1.mean()), abs=1e-5)
    torch.testing.assert_close(p1 - p0, torch.full_like(p0, shift))  # a shift, nothing else
    # the net itself was shifted: the next window's predictions start from there too
    (q0, _), (q1, _) = calls["zero"][1], calls["target_mean"][1]
    assert float((q1 - q0).mean()) == pytest.approx(shift, abs=0.1)
    with pytest.raises(ValueError, match="selector_bias_init='mean' is not supported"):
        DualNetSelector(2, **TINY, selector_bias_init="mean").fit(X, y)
