"""The hand-written operator step (fir.fused) against autograd, and how fit chooses it."""

import numpy as np
import pytest
import torch

import fir.training
from fir import DualNetSelector
from fir.fused import operator_step_grads, supports
from fir.masks import random_masks
from fir.nets import OperatorConfig, build_operator
from fir.optim import FlatOptimizer
from fir.training import row_losses

CPU = torch.device("cpu")
N_OUTPUTS = {"multiclass": 4, "binary": 1, "regression": 1}


def _targets(kind: str, n: int, g: torch.Generator) -> torch.Tensor:
    if kind == "multiclass":
        return torch.randint(0, 4, (n,), generator=g)
    if kind == "binary":
        return torch.randint(0, 2, (n,), generator=g).float()
    return torch.randn(n, generator=g)


@pytest.mark.parametrize("kind", ["multiclass", "binary", "regression"])
@pytest.mark.parametrize("activation", ["sigmoid", "tanh", "relu", "elu"])
@pytest.mark.parametrize("hidden", [(60, 30, 20), (7,)])
def test_fused_step_equals_autograd_losses_and_gradients(kind, activation, hidden):
    g = torch.Generator().manual_seed(len(hidden))
    d, n, n_masks = 10, 9, 6
    op = build_operator(OperatorConfig(d, N_OUTPUTS[kind], hidden, activation))
    op.reset_parameters(g)
    with torch.no_grad():  # nonzero biases, so that their gradients' routes are checked too
        for p in op.parameters():
            if p.dim() == 1:
                p.normal_(0.0, 0.5, generator=g)
    opt = FlatOptimizer(op.parameters(), "nadam")
    x = torch.randn(n, d, generator=g)
    masks = random_masks(n_masks, d, 4, g, CPU)
    y = _targets(kind, n, g)

    opt.zero_grad()
    expected = row_losses(op(x, masks), y, kind).mean(0)
    expected.mean().backward()
    expected_grads = [p.grad.clone() for p in op.parameters()]

    opt.grad.normal_(generator=g)  # stale values: the fused step must overwrite every gradient
    losses = operator_step_grads(op, x, masks, y, kind)
    assert losses.shape == (n_masks,)
    assert torch.allclose(losses, expected.detach(), rtol=1e-5, atol=1e-6)
    for (name, p), want in zip(op.named_parameters(), expected_grads, strict=True):
        assert want.abs().max() > 0, name
        assert torch.allclose(p.grad, want, rtol=1e-4, atol=1e-7), name


def test_supports_only_the_dense_float32_mlp():
    mlp = build_operator(OperatorConfig(16, 2))
    cnn = build_operator(
        OperatorConfig(
            16, 2, (4,), kind="cnn", image_shape=(4, 4), conv_channels=(2,), conv_kernels=(3,)
        )
    )
    assert supports(mlp, gather=False, precision="32")
    assert not supports(mlp, gather=True, precision="32")
    assert not supports(mlp, gather=False, precision="bf16-mixed")
    assert not supports(cnn, gather=False, precision="32")


def _xor_fit(**params) -> DualNetSelector:
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 8)).astype(np.float32)
    y = (X[:, 0] * X[:, 1] > 0).astype(int) + 2 * (X[:, 2] > 0)
    sel = DualNetSelector(
        3,
        operator_hidden=(16, 8),
        selector_hidden=(16, 8),
        phase2_start=96,
        max_batches=200,
        random_state=0,
        device="cpu",
        **params,
    )
    return sel.fit(X[:150], y[:150], X_val=X[150:], y_val=y[150:])


def _count_fused_steps(monkeypatch) -> list[int]:
    calls = [0]
    real = fir.training.operator_step_grads

    def counting(*args, **kwargs):
        calls[0] += 1
        return real(*args, **kwargs)

    monkeypatch.setattr(fir.training, "operator_step_grads", counting)
    return calls


@pytest.mark.parametrize(
    ("params", "fused"),
    [
        ({}, True),  # auto on a CPU with the dense MLP
        ({"fused_step": False}, False),
        ({"gather": True}, False),  # the gathered first layer stays on autograd
        ({"precision": "bf16-mixed"}, False),
        ({"fused_step": True, "lazy_first_layer": True}, True),
    ],
)
def test_fit_uses_the_fused_step_where_it_applies(monkeypatch, params, fused):
    calls = _count_fused_steps(monkeypatch)
    sel = _xor_fit(**params)
    assert (calls[0] == sel.history_.n_batches) if fused else calls[0] == 0


@pytest.mark.parametrize("lazy", [False, True])
def test_a_fused_fit_follows_the_autograd_fit(lazy):
    fused = _xor_fit(fused_step=True, lazy_first_layer=lazy)
    plain = _xor_fit(fused_step=False, lazy_first_layer=lazy)
    np.testing.assert_array_equal(fused.support_, plain.support_)
    np.testing.assert_allclose(fused.feature_importances_, plain.feature_importances_, atol=1e-5)
    np.testing.assert_allclose(
        fused.history_.operator_loss, plain.history_.operator_loss, rtol=1e-4
    )


@pytest.mark.parametrize(
    ("params", "match"),
    [
        ({"fused_step": "yes"}, "fused_step='yes' is not supported"),
        ({"fused_step": True, "gather": True}, "set gather=false"),
        ({"fused_step": True, "precision": "bf16-mixed"}, "precision='32'"),
        ({"fused_step": np.True_, "precision": "bf16-mixed"}, "precision='32'"),
        ({"fused_step": True, "operator": "cnn", "image_shape": (4, 4)}, "operator='mlp'"),
    ],
)
def test_bad_fused_step_settings_are_named(params, match):
    with pytest.raises(ValueError, match=match):
        DualNetSelector(2, **params).check_params()


@pytest.mark.parametrize("true", [True, np.True_])
def test_fused_step_true_with_an_auto_gathered_first_layer_is_an_error(true):
    X = np.random.default_rng(0).normal(size=(40, 12)).astype(np.float32)
    y = np.arange(40) % 2
    with pytest.raises(ValueError, match=r"gather='auto' gathers at s=3, d=12"):
        DualNetSelector(3, fused_step=true, max_batches=40, phase2_start=8).fit(X, y)
