"""Details of Algorithm 1 that a fit's outputs alone do not show: which mask is m_best, which
m_opt each window trains and validates on, what is restored, recorded and drawn; the
perturbation and search limits; the nets' initialisation and CNN input; the estimator's final
search and regression predictions."""

import numpy as np
import pytest
import torch
from torch import nn

import fir.selector
import fir.training as training
from fir import DualNetSelector
from fir.masks import masks_from_index, optimal_mask, perturb, score_and_importance
from fir.nets import MaskedInput, OperatorConfig, SelectorMLP, build_operator
from fir.training import TrainConfig, _lazy_rows, _window_masks, random_rows
from tests.conftest import TINY_DUALNET

CPU = torch.device("cpu")
TINY = {**TINY_DUALNET, "random_state": 0}
# A selector fast enough that m_opt moves during Phase II (on this data: (0, 3), (0, 2), then
# (0, 1)), over 48 Phase II windows, in some of which m_best differs from m_opt: the m_opt and
# m_best columns can then be told apart.
MOVING = {**TINY, "selector_lr": 0.01, "max_batches": 400, "patience": 10**6, "val_period": 8}


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(160, 6))
    y = (X[:, 0] + X[:, 1] > 0).astype(int)
    return X, y


def record_windows(monkeypatch) -> list[dict]:
    """Spy on every window of a fit: the m_opt and m_best it was given, its mask batches, the
    selector's targets (the per-mask losses) and the evaluated validation masks and losses."""
    windows: list[dict] = []
    window_masks, objective, evaluate = (
        training._window_masks,
        training.selector_objective,
        training._evaluate_eval_mode,
    )

    def window_spy(cfg, d, m_opt, m_best, gen, device):
        masks = window_masks(cfg, d, m_opt, m_best, gen, device)
        clone = None if m_opt is None else m_opt.clone()
        best = None if m_best is None else m_best.clone()
        windows.append({"m_opt": clone, "m_best": best, "masks": masks.clone(), "val": []})
        return masks

    def objective_spy(pred, target, weights, kind):
        windows[-1]["target"] = target.clone()
        return objective(pred, target, weights, kind)

    def evaluate_spy(operator, X, y, masks, kind, index=None):
        loss, acc = evaluate(operator, X, y, masks, kind, index)
        windows[-1]["val"].append((masks.clone(), loss.clone()))
        return loss, acc

    monkeypatch.setattr(training, "_window_masks", window_spy)
    monkeypatch.setattr(training, "selector_objective", objective_spy)
    monkeypatch.setattr(training, "_evaluate_eval_mode", evaluate_spy)
    return windows


def phase2(windows: list[dict]) -> list[dict]:
    return [w for w in windows if w["m_opt"] is not None]


def differs(a: torch.Tensor, b: torch.Tensor) -> bool:
    return not torch.equal(a, b)


# ------------------------------------------------------------------------- training loop
def test_m_best_is_the_lowest_loss_mask_of_the_previous_window(monkeypatch, data):
    """m_best (weight 10 in the selector's loss) must be the window's best mask, not another."""
    windows = record_windows(monkeypatch)
    X, y = data
    DualNetSelector(2, **MOVING).fit(X, y)
    assert len(windows) == 50
    for w, nxt in zip(windows[:-1], windows[1:], strict=True):
        pooled = w["masks"].reshape(-1, 6)
        assert torch.equal(nxt["m_best"], pooled[w["target"].argmin()])
    assert windows[0]["m_best"] is None


def test_each_phase2_window_trains_on_the_latest_searched_m_opt(monkeypatch, data):
    """Phase II must search a new m_opt after every selector step and use it in the next
    window, not keep the first one."""
    searched = []
    search = training.optimal_mask

    def search_spy(*args):
        result = search(*args)
        searched.append(result.mask.clone())
        return result

    monkeypatch.setattr(training, "optimal_mask", search_spy)
    windows = record_windows(monkeypatch)
    X, y = data
    DualNetSelector(2, **MOVING).fit(X, y)
    given = [w["m_opt"] for w in phase2(windows)]
    # one search at the start of Phase II, then one after each selector step but the last
    assert len(searched) == len(given) == 48
    for a, b in zip(given, searched, strict=True):
        assert torch.equal(a, b)
    for w in phase2(windows):
        assert (w["masks"][:, 4] == w["m_opt"]).all()
    assert len({tuple(m.nonzero().flatten().tolist()) for m in given}) >= 3  # it did move


def test_history_mopt_loss_is_the_m_opt_column_of_each_batch(monkeypatch, data):
    """The learning curve of m_opt must record the m_opt row's training loss, not m_best's."""
    per_mask = []
    step = training._operator_step

    def step_spy(*args):
        out = step(*args)
        per_mask.append(out.clone())
        return out

    monkeypatch.setattr(training, "_operator_step", step_spy)
    windows = record_windows(monkeypatch)
    X, y = data
    h = DualNetSelector(2, **MOVING).fit(X, y).history_
    losses = torch.stack(per_mask).numpy()  # (n_batches, mask_batch_size)
    n_random = 4
    assert losses.shape == (400, 8) and h.phase2_start == 16
    assert np.isnan(h.mopt_loss[:16]).all()
    np.testing.assert_array_equal(h.mopt_loss[16:], losses[16:, n_random])
    np.testing.assert_allclose(h.operator_loss, losses.mean(1), rtol=1e-6)
    assert any(differs(w["m_opt"], w["m_best"]) for w in phase2(windows))


@pytest.mark.parametrize("val_masks", ["opt", "all"])
def test_validation_and_early_stopping_watch_the_m_opt_column(monkeypatch, data, val_masks):
    """Validation (and so early stopping) must follow m_opt, the paper's rule, in both modes;
    the m_best column sits beside it in the mask batch."""
    windows = record_windows(monkeypatch)
    X, y = data
    h = DualNetSelector(2, **MOVING, val_masks=val_masks).fit(X, y).history_
    validated = [(w, masks, loss) for w in phase2(windows) for masks, loss in w["val"]]
    assert len(validated) == len(h.val_batch) == 48
    n_random = 4
    for k, (w, masks, loss) in enumerate(validated):
        if val_masks == "opt":
            assert masks.shape == (1, 6) and torch.equal(masks[0], w["m_opt"])
            assert np.isnan(h.val_loss[k])
        else:
            assert torch.equal(masks, w["masks"][h.val_batch[k] % 8])
            assert torch.equal(masks[n_random], w["m_opt"])
            assert h.val_loss[k] == pytest.approx(float(loss.mean()), rel=1e-6)
        assert h.val_mopt_loss[k] == float(loss[n_random if val_masks == "all" else 0])
    assert sum(differs(w["m_opt"], w["m_best"]) for w, *_ in validated) >= 3


def test_val_masks_all_and_opt_watch_the_same_losses(data):
    """Evaluating the whole batch (the reference) or m_opt alone must give one m_opt curve."""
    X, y = data
    opt = DualNetSelector(2, **MOVING, val_masks="opt").fit(X, y).history_
    every = DualNetSelector(2, **MOVING, val_masks="all").fit(X, y).history_
    assert np.array_equal(opt.val_batch, every.val_batch)
    np.testing.assert_allclose(opt.val_mopt_loss, every.val_mopt_loss, rtol=1e-5)
    assert opt.best_batch == every.best_batch


def test_early_stopping_restores_the_weights_of_the_best_validation(monkeypatch, data):
    """After the fit the operator must be the one of best_batch: its loss on that batch's
    m_opt reproduces the best validation loss (the last weights do not)."""
    validated = []
    validate = training._validate

    def validate_spy(operator, X_val, y_val, masks, kind, cfg, index=None):
        validated.append(masks[cfg.n_random].clone())
        return validate(operator, X_val, y_val, masks, kind, cfg, index)

    monkeypatch.setattr(training, "_validate", validate_spy)
    X, y = data
    sel = DualNetSelector(2, **{**TINY, "max_batches": 4000, "patience": 64, "val_period": 8})
    sel.fit(X[:120], y[:120], X_val=X[120:], y_val=y[120:])
    h = sel.history_
    assert h.stopped_early and h.best_batch < h.val_batch[-1]
    best = h.val_batch.tolist().index(h.best_batch)
    m_opt = validated[best].numpy()[None]
    restored = sel.mask_losses(X[120:], y[120:], m_opt)[0]
    assert restored == pytest.approx(h.val_mopt_loss[best], rel=1e-5)
    assert h.val_mopt_loss[-1] != pytest.approx(h.val_mopt_loss[best], rel=1e-3)


def test_phase2_validates_from_its_first_batch_every_val_period(data):
    """Validations start at phase2_start and come every val_period batches after it."""
    X, y = data
    params = {**TINY, "max_batches": 80, "val_period": 8, "patience": 10**6}
    h = DualNetSelector(2, **params).fit(X, y).history_
    assert h.phase2_start == 16
    assert h.val_batch.tolist() == list(range(16, 80, 8))


def test_target_mean_shifts_the_selector_once_before_its_first_step(monkeypatch, data):
    """selector_bias_init="target_mean" is one shift at the start, not a re-centring at every
    selector step."""
    events = []
    shift, objective = SelectorMLP.shift_output, training.selector_objective

    def shift_spy(self, delta):
        events.append("shift")
        return shift(self, delta)

    def objective_spy(*args):
        events.append("step")
        return objective(*args)

    monkeypatch.setattr(SelectorMLP, "shift_output", shift_spy)
    monkeypatch.setattr(training, "selector_objective", objective_spy)
    X, y = data
    params = {**TINY, "patience": 10**6}  # all 6 windows of the 48 batches
    DualNetSelector(2, **params, selector_bias_init="target_mean").fit(X, y)
    assert events == ["shift"] + ["step"] * 6
    events.clear()
    DualNetSelector(2, **params).fit(X, y)
    assert events == ["step"] * 6


def test_training_batches_draw_every_training_row(monkeypatch, data):
    """Batches are drawn with replacement from all n rows; none (the last) may be left out."""
    drawn = []
    step = training._operator_step

    def step_spy(operator, opt, amp, x, *args):
        drawn.append(x[:, 0].clone())
        return step(operator, opt, amp, x, *args)

    monkeypatch.setattr(training, "_operator_step", step_spy)
    X, y = data
    X = X.copy()
    X[:10, 0] = np.arange(10)  # the training rows' ids
    y = y.copy()
    y[:10] = np.arange(10) % 2
    DualNetSelector(2, **TINY).fit(X[:10], y[:10], X_val=X[10:], y_val=y[10:])
    ids = torch.cat(drawn)
    assert len(ids) == 48 * 16
    assert sorted(ids.unique().tolist()) == list(range(10))


def test_lazy_rows_are_the_features_some_mask_selects():
    """A lazy step updates every first-layer row that any mask of the batch uses."""
    masks = torch.tensor([[1.0, 0, 1, 0, 0], [0, 1, 1, 0, 0], [0, 0, 1, 0, 0]])
    assert _lazy_rows(masks, None).tolist() == [0, 1, 2]
    assert _lazy_rows(masks, torch.tensor([[0, 2], [1, 2], [2, 2]])).tolist() == [0, 1, 2]


def test_the_dense_lazy_first_layer_trains_every_selected_row(monkeypatch, data):
    """With lazy_first_layer and the dense first layer, the rows the masks select are trained
    (with 'all masks select it' almost none would be)."""
    start = {}
    train = fir.selector.train_dual_net

    def train_spy(operator, *args):
        start["x"] = operator.first.weight_x.detach().clone()
        start["m"] = operator.first.weight_m.detach().clone()
        return train(operator, *args)

    monkeypatch.setattr(fir.selector, "train_dual_net", train_spy)
    X, y = data
    sel = DualNetSelector(2, **TINY, lazy_first_layer=True, gather=False).fit(X, y)
    first = sel.operator_.first
    assert (first.weight_x.detach() != start["x"]).any(1).all()
    assert (first.weight_m.detach() != start["m"]).any(1).all()


def test_exploit_fraction_sets_the_share_of_m_opt_m_best_and_perturbed_rows():
    """f is the exploitation share: (1 - f) |M'| rows are random (f = 0.5 cannot tell)."""
    assert random_rows(32, 0.25) == 24 and random_rows(32, 0.75) == 8
    cfg = TrainConfig(s=5, mask_batch_size=32, exploit_fraction=0.25, n_flips=1, selector_period=2)
    assert cfg.n_random == 24
    m_opt = masks_from_index(torch.tensor([[0, 1, 2, 3, 4]]), 12)[0]
    m_best = masks_from_index(torch.tensor([[7, 8, 9, 10, 11]]), 12)[0]
    masks = _window_masks(cfg, 12, m_opt, m_best, torch.Generator().manual_seed(0), CPU)
    assert (masks[:, 24] == m_opt).all() and (masks[:, 25] == m_best).all()
    flips = (masks[:, 26:] != m_opt).sum(-1)
    assert torch.equal(flips, torch.full((2, 6), 2))


def test_finetuning_validates_its_last_batch(monkeypatch, data):
    """Fine-tuning validates every val_period batches and at its last batch, whose weights may
    then be kept."""
    seen = []

    class Recording(training._EarlyStopping):
        def update(self, loss, batch, operator, accuracy=float("nan")):
            seen.append(batch)
            return super().update(loss, batch, operator, accuracy=accuracy)

    monkeypatch.setattr(training, "_EarlyStopping", Recording)
    X, y = data
    params = {**TINY, "val_period": 8, "finetune_batches": 10, "finetune_patience": 100}
    sel = DualNetSelector(2, **params).fit(X, y)
    assert seen[seen.index(0) :] == [0, 8, 10]
    assert sel.history_.finetune.n_batches == 10


# ------------------------------------------------------------------- masks and the search
def test_perturb_clips_flips_to_the_unselected_features():
    """With d - s < sp, one feature each way is all a copy can flip and keep s ones."""
    mask = masks_from_index(torch.tensor([[0, 1, 2, 4, 5]]), 6)[0]  # s = 5, d - s = 1
    copies = perturb(mask, 2, 200, torch.Generator().manual_seed(0))
    assert torch.equal(copies.sum(1), torch.full((200,), 5.0))
    assert (copies[:, 3] == 1).all()  # the one unselected feature is switched on
    assert torch.equal((copies != mask).sum(1), torch.full((200,), 2))


def test_search_makes_up_to_max_steps_swaps():
    """The search stops after max_steps accepted swaps, not one earlier."""
    g = torch.Generator().manual_seed(3)
    longest = 0
    for _ in range(20):
        target = (torch.rand(8, generator=g) > 0.6).float()
        w = torch.randn(8, 8, generator=g) * 0.5

        def score_fn(m, w=w, target=target):
            return ((m - target) ** 2).sum(-1) - 3.0 * m[..., 0] * m[..., 1] + ((m @ w) * m).sum(-1)

        full = optimal_mask(score_fn, 8, 3, max_steps=12, device=CPU)
        longest = max(longest, full.n_swaps)
        for k in range(full.n_swaps + 1):
            part = optimal_mask(score_fn, 8, 3, max_steps=k, device=CPU)
            assert part.n_swaps == k
            score, _ = score_and_importance(score_fn, part.mask[None])
            assert float(score[0]) == pytest.approx(part.score)
        assert torch.equal(part.mask, full.mask)
    assert longest >= 2


# ------------------------------------------------------------------------------ the nets
def test_masked_input_is_glorot_over_the_whole_2d_input():
    """The first layer is one Keras Dense layer on [x*m, m]: Glorot fan_in is 2d, not d."""
    layer = MaskedInput(50, 10)
    layer.reset_parameters(torch.Generator().manual_seed(0))
    bound = (6 / (2 * 50 + 10)) ** 0.5
    for w in (layer.weight_x, layer.weight_m):
        assert bound * 0.95 < w.abs().max() <= bound


def test_cnn_glorot_counts_the_kernel_in_its_fans():
    """A conv layer's Glorot fans are channels * kernel area (Keras), not channels alone."""
    cfg = OperatorConfig(
        n_features=144, n_outputs=2, hidden=(4,), kind="cnn", image_shape=(12, 12),
        conv_channels=(4,), conv_kernels=(5,),
    )  # fmt: skip
    op = build_operator(cfg)
    op.reset_parameters(torch.Generator().manual_seed(0))
    conv = op.features[0]
    assert isinstance(conv, nn.Conv2d) and conv.weight.shape == (4, 2, 5, 5)
    bound = (6 / (2 * 25 + 4 * 25)) ** 0.5
    assert bound * 0.95 < conv.weight.abs().max() <= bound
    assert torch.count_nonzero(conv.bias) == 0


def test_cnn_channels_are_the_masked_image_and_the_mask():
    """The CNN sees x * m and m: a selected zero pixel differs from a removed one."""
    cfg = OperatorConfig(
        n_features=64, n_outputs=1, hidden=(4,), kind="cnn", image_shape=(8, 8),
        conv_channels=(3,), conv_kernels=(3,),
    )  # fmt: skip
    op = build_operator(cfg)
    op.reset_parameters(torch.Generator().manual_seed(0))
    seen = []
    op.features[0].register_forward_pre_hook(lambda module, args: seen.append(args[0]))
    g = torch.Generator().manual_seed(1)
    x = torch.rand(2, 64, generator=g) + 0.5
    masks = (torch.rand(3, 64, generator=g) > 0.5).float()
    op(x, masks)
    image = seen[0].reshape(2, 3, 2, 64)
    assert torch.equal(image[:, :, 0], x[:, None] * masks[None])
    assert torch.equal(image[:, :, 1], masks.expand(2, 3, 64))
    zero, on, off = torch.zeros(1, 64), torch.ones(1, 64), torch.zeros(1, 64)
    assert not torch.allclose(op(zero, on), op(zero, off))


# --------------------------------------------------------------------------- the estimator
def test_final_search_uses_final_search_steps(monkeypatch, data):
    """final_search_steps bounds the final search; search_steps those during training."""
    steps = {"training": [], "final": []}
    for module, key in ((training, "training"), (fir.selector, "final")):
        search = module.optimal_mask

        def spy(score_fn, d, s, max_steps, device, search=search, key=key):
            steps[key].append(max_steps)
            return search(score_fn, d, s, max_steps, device)

        monkeypatch.setattr(module, "optimal_mask", spy)
    X, y = data
    DualNetSelector(2, **{**TINY, "search_steps": 3, "final_search_steps": 7}).fit(X, y)
    assert steps["final"] == [7]
    assert steps["training"] and set(steps["training"]) == {3}


def test_regression_predictions_are_in_the_targets_units(data):
    """predict undoes the target's standardisation, shift included: y = 2 x0 + 50."""
    X, _ = data
    y = 2.0 * X[:, 0] + 50.0
    sel = DualNetSelector(2, **TINY, task="regression").fit(X, y)
    pred = sel.predict(X)
    assert abs(pred.mean() - y.mean()) < 0.5 * y.std()
    # the operator's loss on the selected mask, in standardised units, is predict's MSE
    mse = sel.mask_losses(X, y, sel.support_[None].astype(np.float32))[0]
    assert np.mean((pred - y) ** 2) == pytest.approx(mse * sel.target_.scale**2, rel=1e-4)
