"""Mixed precision: bfloat16/float16 autocast in the training forward passes, loss scaling."""

import numpy as np
import pytest
import torch

from fir import DualNetSelector
from fir.data.synthetic import load_xor
from fir.optim import FlatOptimizer
from fir.training import PRECISIONS, _LossScaler, _Precision
from tests.conftest import TINY_DUALNET

TINY = {**TINY_DUALNET, "random_state": 0}


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(160, 12))
    y = (X[:, 0] + X[:, 1] > 0).astype(int)
    return X, y


@pytest.mark.parametrize("precision", ["bf16-mixed", "16-mixed"])
@pytest.mark.parametrize("gather", [True, False])
def test_mixed_precision_fits_are_finite(data, precision, gather):
    X, y = data
    sel = DualNetSelector(2, precision=precision, gather=gather, **TINY).fit(X, y)
    assert sel.support_.sum() == 2
    assert np.isfinite(sel.feature_importances_).all()
    assert np.isfinite(sel.history_.operator_loss).all()
    assert np.isfinite(sel.history_.selector_loss).all()
    assert np.isfinite(sel.history_.val_mopt_loss).all()
    assert sel.predict_proba(X).dtype == np.float64  # prediction stays float32 -> float64


def test_precision_32_is_plain_float32(data):
    X, y = data
    default = DualNetSelector(2, **TINY).fit(X, y)
    explicit = DualNetSelector(2, precision="32", **TINY).fit(X, y)
    assert np.array_equal(default.feature_importances_, explicit.feature_importances_)
    bf16 = DualNetSelector(2, precision="bf16-mixed", **TINY).fit(X, y)
    assert not np.array_equal(default.history_.operator_loss, bf16.history_.operator_loss)


def test_bf16_autocast_runs_the_matmuls_in_bfloat16():
    amp = _Precision("bf16-mixed", torch.device("cpu"))
    layer = torch.nn.Linear(4, 3)
    with amp.autocast():
        assert layer(torch.randn(2, 4)).dtype == torch.bfloat16
    with _Precision("32", torch.device("cpu")).autocast():
        assert layer(torch.randn(2, 4)).dtype == torch.float32


def test_unknown_precision_is_a_clear_error(data):
    X, y = data
    with pytest.raises(ValueError, match=r"precision='bf16'.*'bf16-mixed'"):
        DualNetSelector(2, precision="bf16", **TINY).fit(X, y)
    with pytest.raises(ValueError, match="precision"):
        _Precision("64", torch.device("cpu"))
    assert PRECISIONS[0] == "32"


def _linear_and_optimizer():
    net = torch.nn.Linear(3, 1)
    with torch.no_grad():
        net.weight.fill_(0.5)
        net.bias.zero_()
    return net, FlatOptimizer(net.parameters(), "sgd", lr=0.1)


def test_loss_scaler_unscales_before_the_step():
    net, opt = _linear_and_optimizer()
    ref, ref_opt = _linear_and_optimizer()
    x = torch.tensor([[1.0, 2.0, 3.0]])
    _LossScaler(init_scale=2.0**10).step(net(x).sum(), opt)
    ref_opt.zero_grad()
    ref(x).sum().backward()
    ref_opt.step()
    assert torch.equal(net.weight, ref.weight)  # a power-of-two scale is exact


def test_loss_scaler_skips_overflowing_steps_and_regrows():
    net, opt = _linear_and_optimizer()
    scaler = _LossScaler(init_scale=8.0, growth_interval=2)
    before = net.weight.detach().clone()
    scaler.step(net(torch.tensor([[1.0, float("inf"), 0.0]])).sum(), opt)
    assert torch.equal(net.weight, before) and scaler.scale == 4.0 and scaler.skipped == 1
    for _ in range(2):
        scaler.step(net(torch.ones(1, 3)).sum(), opt)
    assert scaler.scale == 8.0 and not torch.equal(net.weight, before)


@pytest.fixture
def one_thread():
    """One intra-op thread (these nets are small; more threads only contend), then restored."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.mark.slow
@pytest.mark.usefixtures("one_thread")
def test_bf16_selects_the_same_xor_features_as_float32():
    # The paper's XOR budget (defaults): shorter ones (Phase I of 1,500 or 3,000 batches) leave
    # fold 0 unsolved in float32 too, and then the two precisions pick different noise features.
    xor = load_xor(n_folds=1, seed=0)
    split = xor.splits[0]
    fits = {
        p: DualNetSelector(3, precision=p, device="cpu", random_state=0).fit(
            xor.X[split.train], xor.y[split.train], X_val=xor.X[split.val], y_val=xor.y[split.val]
        )
        for p in ("32", "bf16-mixed")
    }
    for fit in fits.values():
        assert np.flatnonzero(fit.support_).tolist() == [0, 1, 2]
    assert np.allclose(
        fits["32"].feature_importances_, fits["bf16-mixed"].feature_importances_, atol=0.01
    )
