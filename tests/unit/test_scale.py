"""Cost that follows s: the sparse-gradient gathered first layer, and the scaling benchmark."""

import csv
import importlib.util
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from fir.masks import mask_index, random_masks
from fir.nets import OperatorConfig, build_operator
from fir.optim import FlatOptimizer

CPU = torch.device("cpu")
BENCH = Path(__file__).resolve().parents[2] / "scripts" / "bench_scale.py"


def _operator(d: int, seed: int):
    op = build_operator(OperatorConfig(n_features=d, n_outputs=3, hidden=(8, 5)))
    op.reset_parameters(torch.Generator().manual_seed(seed))
    return op


def _flat_grads(d: int, s: int, mode: str, steps: int = 3) -> tuple[list, list]:
    """Outputs and flat gradients of ``steps`` training steps of ``mode`` (``dense``,
    ``gathered`` or ``sparse``), each step's gradient accumulated into a FlatOptimizer's zeroed
    buffer and applied, as the training loop does."""
    op = _operator(d, seed=d)
    opt = FlatOptimizer(op.parameters(), "nadam")
    g = torch.Generator().manual_seed(1)
    outs, grads = [], []
    for _ in range(steps):
        opt.zero_grad()
        x = torch.randn(7, d, generator=g)
        masks = random_masks(6, d, s, g, CPU)
        # masks share features, so rows are gathered (and their gradients summed) repeatedly
        masks[1] = masks[0]
        if mode == "dense":
            out = op(x, masks)
        else:
            out = op(x, masks, mask_index(masks, s), sparse_grad=mode == "sparse")
        out.square().sum().backward()
        for p in op.parameters():  # the gradients were accumulated into the flat buffer
            assert p.grad is not None and not p.grad.is_sparse
        assert op.first.weight_x.grad.data_ptr() == opt.grad.data_ptr()
        outs.append(out.detach())
        grads.append(opt.grad.clone())
        opt.step()
    return outs, grads


@pytest.mark.parametrize(("d", "s"), [(10, 2), (300, 7), (64, 63)])
def test_sparse_gathered_gradients_equal_the_dense_ones(d, s):
    out_dense, grad_dense = _flat_grads(d, s, "dense")
    out_gather, grad_gather = _flat_grads(d, s, "gathered")
    out_sparse, grad_sparse = _flat_grads(d, s, "sparse")
    for step in range(len(out_dense)):
        # the same bits as the gathered path with dense gradients (the path used before) ...
        assert torch.equal(out_sparse[step], out_gather[step])
        assert torch.equal(grad_sparse[step], grad_gather[step])
        # ... and the same values as the dense first layer, up to float32 summation order
        assert torch.allclose(out_sparse[step], out_dense[step], atol=1e-4)
        assert torch.allclose(grad_sparse[step], grad_dense[step], atol=1e-4)


def test_sparse_gradients_touch_only_the_gathered_rows():
    d, s = 50, 4
    op = _operator(d, seed=0)
    masks = random_masks(3, d, s, torch.Generator().manual_seed(2), CPU)
    index = mask_index(masks, s)
    out = op(torch.randn(5, d), masks, index, sparse_grad=True)
    (grad_x,) = torch.autograd.grad(out.sum(), [op.first.weight_x])
    assert grad_x.is_sparse
    touched = torch.unique(grad_x.coalesce().indices()[0])
    assert torch.equal(touched, torch.unique(index))


def test_sparse_grad_needs_the_gathered_path():
    op = _operator(6, seed=0)
    masks = random_masks(2, 6, 2, torch.Generator().manual_seed(0), CPU)
    with pytest.raises(ValueError, match="gathered path"):
        op(torch.randn(3, 6), masks, sparse_grad=True)


@pytest.fixture(scope="module")
def bench():
    """scripts/bench_scale.py as a module (scripts/ is not a package)."""
    spec = importlib.util.spec_from_file_location("bench_scale", BENCH)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up there
    try:
        spec.loader.exec_module(module)
        yield module
    finally:
        del sys.modules[spec.name]


def test_bench_reads_the_architectures_from_the_configs(bench):
    rnaseq = bench.method_params("rnaseq")
    assert rnaseq["operator_hidden"] == [1000, 500, 200]
    assert rnaseq["selector_hidden"] == [500, 250, 100]
    assert (rnaseq["batch_size"], rnaseq["mask_batch_size"]) == (32, 32)
    assert bench.method_params("xor")["operator_hidden"] == [60, 30, 20]


def test_bench_data_has_informative_columns(bench):
    X, y = bench.make_data(400, 30, seed=0)
    assert X.shape == (400, 30) and X.dtype == np.float32 and set(y) == set(range(5))
    gap = [abs(np.corrcoef(X[:, j], y == 0)[0, 1]) for j in range(30)]
    assert np.mean(gap[: bench.N_INFORMATIVE]) > 3 * np.mean(gap[bench.N_INFORMATIVE :])


def test_bench_table_ratios_by_hand(bench):
    args = bench.parse_args(["--dims", "1000", "20000", "--reps", "3"])
    results = {
        bench.Config(1000, "gathered"): {"times": [10.0, 12.0, 11.0], "skip": None},
        bench.Config(1000, "dense"): {"times": [20.0, 30.0, 25.0], "skip": None},
        bench.Config(20000, "gathered"): {"times": [15.0, 16.5, 18.0], "skip": None},
        bench.Config(20000, "dense"): {"times": [], "skip": "skipped (needs ~9 GiB)"},
    }
    rows = {(r["d"], r["mode"]): r for r in bench.table_rows(results, args, "cpu")}
    assert rows[1000, "gathered"]["ms_median"] == 11.0 and rows[1000, "gathered"]["ms_min"] == 10.0
    assert rows[1000, "dense"]["dense_over_gathered"] == round(25.0 / 11.0, 2)
    assert rows[20000, "gathered"]["ratio_to_d1000"] == 1.5
    assert rows[20000, "dense"]["status"] == "skipped"
    assert rows[20000, "dense"]["ms_median"] is None
    assert rows[20000, "dense"]["note"] == "skipped (needs ~9 GiB)"


@pytest.mark.slow
def test_bench_grid_writes_its_tables_and_plot(bench, tmp_path):
    argv = ["--arch", "xor", "--dims", "40", "80", "--s", "5", "--reps", "2"]
    bench.main([*argv, "--out", str(tmp_path)])
    with open(tmp_path / "bench_scale_cpu_xor.csv") as fh:
        rows = list(csv.DictReader(fh))
    assert [(r["d"], r["mode"]) for r in rows] == [
        ("40", "gathered"), ("40", "dense"), ("80", "gathered"), ("80", "dense"),
    ]  # fmt: skip
    assert all(r["status"] == "ok" and float(r["ms_median"]) > 0 for r in rows)
    assert all(float(r["ms_min"]) <= float(r["ms_median"]) for r in rows)
    assert rows[0]["ratio_to_d1000"] == "1.0" and rows[0]["dense_over_gathered"] == ""
    assert float(rows[3]["dense_over_gathered"]) > 0
    md = (tmp_path / "bench_scale_cpu_xor.md").read_text()
    assert "torch threads: 1" in md and "--dims 40 80" in md
    assert (tmp_path / "bench_scale_cpu_xor.png").stat().st_size > 0


def test_bench_skips_what_does_not_fit_in_memory(bench, monkeypatch):
    monkeypatch.setattr(bench, "available_bytes", lambda device: 1.0)
    args = bench.parse_args(["--arch", "xor", "--dims", "40", "--s", "5", "--reps", "1"])
    results = bench.run_grid(args, bench.method_params("xor"), CPU)
    rows = bench.table_rows(results, args, "cpu")
    assert all(r["status"] == "skipped" and r["note"].startswith("skipped") for r in rows)
