"""GPU (``gpu`` marker, skipped without CUDA): placement and CPU/GPU agreement."""

import pickle

import numpy as np
import pytest
import torch

from fir import DualNetSelector
from fir.data.synthetic import load_xor
from fir.fused import operator_step_grads
from fir.masks import random_masks
from fir.nets import OperatorConfig, build_operator
from fir.optim import FlatOptimizer
from fir.training import row_losses
from tests.conftest import requires_cuda

pytestmark = [pytest.mark.gpu, requires_cuda]


def fit(device: str) -> DualNetSelector:
    data = load_xor(n_folds=1, seed=0)
    split = data.splits[0]
    sel = DualNetSelector(5, device=device, random_state=0, phase2_start=3000, max_batches=8000)
    return sel.fit(
        data.X[split.train], data.y[split.train], X_val=data.X[split.val], y_val=data.y[split.val]
    )


def test_everything_lives_on_the_gpu():
    sel = fit("cuda")
    assert sel.device_.type == "cuda"
    assert all(p.is_cuda for p in sel.operator_.parameters())
    assert sel.mask_.is_cuda


def test_a_gpu_fit_pickles_and_loads_on_the_gpu_or_without_one(monkeypatch):
    data = load_xor(n_folds=1, seed=0)
    X = data.X[data.splits[0].test]
    sel = fit("cuda")
    blob = pickle.dumps(sel)
    assert sel.operator_.first.weight_x.is_cuda  # pickling leaves the fitted model in place
    again = pickle.loads(blob)
    assert again.device_.type == "cuda" and again.mask_.is_cuda
    np.testing.assert_array_equal(again.predict_proba(X), sel.predict_proba(X))
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.warns(UserWarning, match="loaded on the CPU"):
        cpu = pickle.loads(blob)
    assert cpu.device_.type == "cpu"
    np.testing.assert_allclose(cpu.predict_proba(X), sel.predict_proba(X), atol=1e-5)


def test_cpu_and_gpu_agree_on_the_relevant_features():
    cpu, gpu = fit("cpu"), fit("cuda")
    relevant = {0, 1, 2}
    assert relevant <= set(np.flatnonzero(cpu.support_))
    assert relevant <= set(np.flatnonzero(gpu.support_))


def test_the_fused_operator_step_equals_autograd_on_the_gpu():
    cuda = torch.device("cuda")
    g = torch.Generator(cuda).manual_seed(0)
    op = build_operator(OperatorConfig(10, 4)).to(cuda)
    op.reset_parameters(g)
    opt = FlatOptimizer(op.parameters(), "nadam")
    x = torch.randn(32, 10, generator=g, device=cuda)
    masks = random_masks(32, 10, 5, g, cuda)
    y = torch.randint(0, 4, (32,), generator=g, device=cuda)
    opt.zero_grad()
    expected = row_losses(op(x, masks), y, "multiclass").mean(0)
    expected.mean().backward()
    expected_grad = opt.grad.clone()
    losses = operator_step_grads(op, x, masks, y, "multiclass")
    assert torch.allclose(losses, expected.detach(), rtol=1e-5, atol=1e-6)
    assert torch.allclose(opt.grad, expected_grad, rtol=1e-4, atol=1e-7)
