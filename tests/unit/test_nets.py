"""Operator and selector nets: shapes, the [x*m, m] input, the gathered first layer."""

import pytest
import torch
from torch import nn

from fir.masks import mask_index, random_masks
from fir.nets import MaskedInput, OperatorConfig, SelectorMLP, build_operator

CPU = torch.device("cpu")


def test_masked_input_equals_a_dense_layer_on_the_concatenation():
    g = torch.Generator().manual_seed(0)
    layer = MaskedInput(6, 4)
    layer.reset_parameters(g)
    x = torch.randn(5, 6, generator=g)
    masks = random_masks(3, 6, 2, g, CPU)
    dense = nn.Linear(12, 4)
    with torch.no_grad():
        dense.weight.copy_(torch.cat([layer.weight_x, layer.weight_m]).T)
        dense.bias.copy_(layer.bias.detach() + torch.randn(4))
        layer.bias.copy_(dense.bias)
    concat = torch.cat([x[:, None] * masks[None], masks.expand(5, 3, 6)], dim=-1)  # (5, 3, 12)
    assert torch.allclose(layer(x, masks), dense(concat), atol=1e-6)


@pytest.mark.parametrize(("d", "s"), [(10, 2), (300, 7), (64, 63)])
def test_gathered_first_layer_equals_dense_values_and_gradients(d, s):
    g = torch.Generator().manual_seed(d)
    op = build_operator(OperatorConfig(n_features=d, n_outputs=3, hidden=(8, 5)))
    op.reset_parameters(g)
    x = torch.randn(7, d, generator=g)
    masks = random_masks(4, d, s, g, CPU)
    out_dense = op(x, masks)
    grads_dense = torch.autograd.grad(out_dense.square().sum(), list(op.parameters()))
    out_gather = op(x, masks, mask_index(masks, s))
    grads_gather = torch.autograd.grad(out_gather.square().sum(), list(op.parameters()))
    assert out_dense.shape == out_gather.shape == (7, 4, 3)
    assert torch.allclose(out_dense, out_gather, atol=1e-5)
    for a, b in zip(grads_dense, grads_gather, strict=True):
        assert torch.allclose(a, b, atol=1e-5)


def test_operator_distinguishes_a_selected_zero_from_a_removed_feature():
    op = build_operator(OperatorConfig(n_features=3, n_outputs=1, hidden=(4,)))
    op.reset_parameters(torch.Generator().manual_seed(0))
    x = torch.zeros(1, 3)
    on = torch.tensor([[1.0, 0.0, 0.0]])
    off = torch.tensor([[0.0, 0.0, 0.0]])
    assert not torch.allclose(op(x, on), op(x, off))


def test_cnn_operator_shapes_and_two_channels():
    cfg = OperatorConfig(
        n_features=32 * 32,
        n_outputs=15,
        hidden=(30, 30),
        activation="relu",
        kind="cnn",
        image_shape=(32, 32),
    )
    op = build_operator(cfg)
    op.reset_parameters(torch.Generator().manual_seed(0))
    assert op.features[0].in_channels == 2
    x = torch.rand(3, 1024)
    masks = random_masks(4, 1024, 30, torch.Generator().manual_seed(1), CPU)
    assert op(x, masks).shape == (3, 4, 15)


def test_cnn_operator_errors_name_the_fix():
    with pytest.raises(ValueError, match="image_shape"):
        build_operator(OperatorConfig(n_features=100, n_outputs=2, kind="cnn"))
    with pytest.raises(ValueError, match="100 features"):
        build_operator(OperatorConfig(n_features=100, n_outputs=2, kind="cnn", image_shape=(8, 8)))
    with pytest.raises(ValueError, match="'mlp' or 'cnn'"):
        build_operator(OperatorConfig(n_features=4, n_outputs=2, kind="rnn"))


def test_selector_maps_masks_to_one_score_each():
    net = SelectorMLP(10, (100, 50, 10))
    net.reset_parameters(torch.Generator().manual_seed(0))
    assert net(torch.rand(32, 10)).shape == (32,)
    sizes = [m.out_features for m in net.modules() if isinstance(m, nn.Linear)]
    assert sizes == [100, 50, 10, 1]


def test_initialisation_is_glorot_uniform_with_zero_bias_and_seeded():
    a = SelectorMLP(10, (100,))
    b = SelectorMLP(10, (100,))
    a.reset_parameters(torch.Generator().manual_seed(5))
    b.reset_parameters(torch.Generator().manual_seed(5))
    for pa, pb in zip(a.parameters(), b.parameters(), strict=True):
        assert torch.equal(pa, pb)
    w = a.net[0].weight
    bound = (6 / (10 + 100)) ** 0.5
    assert w.abs().max() <= bound and w.abs().max() > 0.9 * bound
    assert torch.count_nonzero(a.net[0].bias) == 0
