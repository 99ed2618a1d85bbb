"""Losses, the selector objective and the flat optimizer."""

import math

import pytest
import torch

from fir.nets import SelectorMLP
from fir.optim import FlatOptimizer
from fir.training import TrainConfig, row_losses, selector_objective


def test_weighted_selector_loss_by_hand():
    pred = torch.tensor([1.0, 2.0, 3.0, 4.0])
    target = torch.tensor([0.0, 0.0, 1.0, 5.0])
    weights = torch.tensor([1.0, 1.0, 5.0, 10.0])
    # squared: sum w * (p - t)^2 / 2 over n = (1*1 + 1*4 + 5*4 + 10*1) / 2 / 4
    assert selector_objective(pred, target, weights, "squared").item() == pytest.approx(35 / 8)
    # absolute: sum w * |p - t| / n = (1 + 2 + 10 + 10) / 4
    assert selector_objective(pred, target, weights, "absolute").item() == pytest.approx(23 / 4)
    with pytest.raises(ValueError, match="selector_loss='huber'"):
        selector_objective(pred, target, weights, "huber")


def test_row_losses_per_sample_and_mask():
    out = torch.tensor([[[0.0, 0.0], [2.0, 0.0]]])  # (1 sample, 2 masks, 2 classes)
    ce = row_losses(out, torch.tensor([0]), "multiclass")
    assert ce.shape == (1, 2)
    assert ce[0, 0].item() == pytest.approx(math.log(2))
    assert ce[0, 1].item() == pytest.approx(math.log(1 + math.exp(-2)))
    bce = row_losses(torch.zeros(3, 2, 1), torch.tensor([0.0, 1.0, 1.0]), "binary")
    assert torch.allclose(bce, torch.full((3, 2), math.log(2)))
    mse = row_losses(torch.ones(2, 2, 1), torch.tensor([0.0, 3.0]), "regression")
    assert torch.equal(mse, torch.tensor([[1.0, 1.0], [4.0, 4.0]]))


def test_phase2_layout_counts():
    cfg = TrainConfig(s=5, mask_batch_size=32, exploit_fraction=0.5)
    assert cfg.n_random == 16  # rows 0..15 random, 16 m_opt, 17 m_best, 18..31 perturbed


@pytest.mark.parametrize("name", ["adam", "nadam", "sgd"])
def test_flat_optimizer_matches_torch_optim(name):
    def make():
        net = SelectorMLP(6, (5, 4))
        net.reset_parameters(torch.Generator().manual_seed(0))
        return net

    ours, ref = make(), make()
    flat = FlatOptimizer(ours.parameters(), name, lr=0.01)
    kwargs = {"lr": 0.01}
    torch_cls = {"adam": torch.optim.Adam, "nadam": torch.optim.NAdam, "sgd": torch.optim.SGD}
    if name != "sgd":
        kwargs["eps"] = 1e-7
    if name == "nadam":
        kwargs["momentum_decay"] = 4e-3
    ref_opt = torch_cls[name](ref.parameters(), **kwargs)
    g = torch.Generator().manual_seed(1)
    for _ in range(25):
        x = torch.rand(16, 6, generator=g)
        flat.zero_grad()
        ours(x).square().mean().backward()
        flat.step()
        ref_opt.zero_grad()
        ref(x).square().mean().backward()
        ref_opt.step()
    for a, b in zip(ours.parameters(), ref.parameters(), strict=True):
        assert torch.allclose(a, b, atol=1e-6)
    # parameters really are views of the flat buffer, and state_dict round-trips keep them so
    state = {k: v.clone() for k, v in ours.state_dict().items()}
    ours.load_state_dict(state)
    assert ours.net[0].weight.data_ptr() == flat.flat.data_ptr()


def test_flat_optimizer_rejects_unknown_names():
    with pytest.raises(ValueError, match="optimizer='rmsprop'"):
        FlatOptimizer(SelectorMLP(2, (2,)).parameters(), "rmsprop")
