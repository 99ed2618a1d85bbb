"""GPU (``gpu`` marker, skipped without CUDA): placement and CPU/GPU agreement."""

import numpy as np
import pytest

from fir import DualNetSelector
from fir.data.synthetic import load_xor
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


def test_cpu_and_gpu_agree_on_the_relevant_features():
    cpu, gpu = fit("cpu"), fit("cuda")
    relevant = {0, 1, 2}
    assert relevant <= set(np.flatnonzero(cpu.support_))
    assert relevant <= set(np.flatnonzero(gpu.support_))
