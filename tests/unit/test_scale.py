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


def _lazy_run(name: str, rows_of, steps: int = 6, d: int = 40, s: int = 3, eps: float = 1e-7):
    """Train an operator ``steps`` steps on gathered masks with a lazy first layer, passing
    ``rows_of(index)`` as the rows to update; returns (operator, optimizer, indices used)."""
    op = _operator(d, seed=3)
    opt = FlatOptimizer(
        op.parameters(), name, lr=0.01, eps=eps, lazy=[op.first.weight_x, op.first.weight_m]
    )
    g = torch.Generator().manual_seed(4)
    used = []
    for _ in range(steps):
        masks = random_masks(5, d, s, g, CPU)
        index = mask_index(masks, s)
        opt.zero_grad()
        op(torch.randn(6, d, generator=g), masks, index, sparse_grad=True).square().sum().backward()
        opt.step(rows_of(index))
        used.append(index)
    return op, opt, used


@pytest.mark.parametrize("name", ["adam", "nadam"])
def test_lazy_step_over_every_row_is_the_dense_step(name):
    """Updating all rows lazily is the dense update, bit for bit (same arithmetic, gathered)."""
    every = lambda index: torch.arange(40)  # noqa: E731
    lazy_op, _, _ = _lazy_run(name, every)
    dense_op, _, _ = _lazy_run(name, lambda index: None)
    for a, b in zip(lazy_op.state_dict().values(), dense_op.state_dict().values(), strict=True):
        assert torch.equal(a, b)


def test_lazy_adam_is_sparse_adam_on_the_touched_rows():
    """Lazy rows follow torch.optim.SparseAdam (the reference LazyAdam); untouched rows and
    their moments never change; the other parameters get the dense update. (SparseAdam adds
    eps before the bias correction, Adam after it: a tiny eps makes that difference vanish.)"""
    op, opt, used = _lazy_run("adam", lambda index: index.unique(), eps=1e-10)
    ref = _operator(40, seed=3)
    w0 = {k: v.clone() for k, v in ref.state_dict().items()}
    emb = [ref.first.weight_x, ref.first.weight_m]
    sparse = torch.optim.SparseAdam(emb, lr=0.01, eps=1e-10)
    rest = [p for p in ref.parameters() if all(p is not e for e in emb)]
    dense = torch.optim.Adam(rest, lr=0.01, eps=1e-10)
    g = torch.Generator().manual_seed(4)
    for _ in range(6):
        masks = random_masks(5, 40, 3, g, CPU)
        for o in (sparse, dense):
            o.zero_grad(set_to_none=True)
        x = torch.randn(6, 40, generator=g)
        ref(x, masks, mask_index(masks, 3), sparse_grad=True).square().sum().backward()
        sparse.step()
        dense.step()
    for key, value in ref.state_dict().items():
        assert torch.allclose(op.state_dict()[key], value, atol=1e-6), key
    touched = torch.unique(torch.cat([i.flatten() for i in used]))
    untouched = torch.ones(40, dtype=torch.bool)
    untouched[touched] = False
    assert untouched.any()  # the test means something: some rows were never selected
    for key in ("first.weight_x", "first.weight_m"):
        assert torch.equal(op.state_dict()[key][untouched], w0[key][untouched])
        assert not torch.equal(op.state_dict()[key][touched], w0[key][touched])
    n = 40 * op.first.weight_x.shape[1]
    for moment in (opt.exp_avg, opt.exp_avg_sq):
        assert torch.all(moment[:n].view(40, -1)[untouched] == 0)
    assert torch.all(opt.grad[: 2 * n] == 0)  # the lazy step cleared the rows it read ...
    assert opt.grad[2 * n :].abs().sum() > 0  # ... the dense part's gradient is left
    opt.zero_grad()
    assert torch.all(opt.grad == 0)  # so zero_grad clears only the dense part


def _two_feature_problem():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 30)).astype(np.float32)
    return X, (X[:, 0] + X[:, 1] > 0).astype(int)


def _fit(lazy: bool, max_batches: int):
    from fir import DualNetSelector

    kw = dict(
        n_features_to_select=2,
        phase2_start=max_batches // 3,
        max_batches=max_batches,
        patience=10_000,
        operator_hidden=(16, 8),
        selector_hidden=(16, 8),
        random_state=0,
    )
    return DualNetSelector(lazy_first_layer=lazy, **kw).fit(*_two_feature_problem())


def test_lazy_first_layer_is_deterministic_and_not_the_dense_update():
    lazy, again, dense = _fit(True, 300), _fit(True, 300), _fit(False, 300)
    np.testing.assert_array_equal(lazy.feature_importances_, again.feature_importances_)
    assert not np.array_equal(lazy.feature_importances_, dense.feature_importances_)
    X, y = _two_feature_problem()
    from fir import DualNetSelector

    with pytest.raises(ValueError, match="lazy_first_layer=True needs operator='mlp'"):
        DualNetSelector(lazy_first_layer=True, operator="cnn", image_shape=(5, 6)).fit(X, y)
    with pytest.raises(ValueError, match="lazy_first_layer=True needs operator_optimizer"):
        DualNetSelector(lazy_first_layer=True, operator_optimizer="sgd").fit(X, y)


@pytest.mark.slow
def test_lazy_first_layer_finds_the_relevant_features():
    lazy, dense = _fit(True, 2400), _fit(False, 2400)
    assert set(lazy.get_support(indices=True)) == {0, 1}
    assert set(dense.get_support(indices=True)) == {0, 1}


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


def test_bench_dense_fused_mode_is_the_dense_layer_with_the_fused_step(bench):
    params = bench.method_params("xor")
    modes = {m: bench.train_config(bench.Config(100, m), params, 5, "32", 1, 2) for m in
             ("gathered", "dense", "dense_fused")}  # fmt: skip
    assert (modes["gathered"].gather, modes["gathered"].fused) == (True, False)
    assert (modes["dense"].gather, modes["dense"].fused) == (False, False)
    assert (modes["dense_fused"].gather, modes["dense_fused"].fused) == (False, True)
    args = bench.parse_args(["--dims", "1000", "--modes", "gathered", "dense_fused"])
    results = {
        bench.Config(1000, "gathered"): {"times": [10.0], "skip": None},
        bench.Config(1000, "dense_fused"): {"times": [30.0], "skip": None},
    }
    rows = {r["mode"]: r for r in bench.table_rows(results, args, "cpu")}
    assert rows["dense_fused"]["dense_over_gathered"] == 3.0


@pytest.mark.slow
def test_bench_grid_writes_its_tables_and_plot(bench, tmp_path):
    argv = ["--arch", "xor", "--dims", "40", "80", "--s", "5", "--reps", "2"]
    bench.main([*argv, "--out", str(tmp_path)])
    with open(tmp_path / "bench_scale_cpu_xor.csv") as fh:
        rows = list(csv.DictReader(fh))
    assert [(r["d"], r["mode"]) for r in rows] == [
        ("40", "gathered"), ("40", "lazy"), ("40", "dense"),
        ("80", "gathered"), ("80", "lazy"), ("80", "dense"),
    ]  # fmt: skip
    assert all(r["status"] == "ok" and float(r["ms_median"]) > 0 for r in rows)
    assert all(float(r["ms_min"]) <= float(r["ms_median"]) for r in rows)
    assert rows[0]["ratio_to_d1000"] == "1.0" and rows[0]["dense_over_gathered"] == ""
    assert rows[1]["dense_over_gathered"] == ""
    assert float(rows[5]["dense_over_gathered"]) > 0
    md = (tmp_path / "bench_scale_cpu_xor.md").read_text()
    assert "torch threads: 1" in md and "--dims 40 80" in md
    assert (tmp_path / "bench_scale_cpu_xor.png").stat().st_size > 0


def test_bench_skips_what_does_not_fit_in_memory(bench, monkeypatch):
    monkeypatch.setattr(bench, "available_bytes", lambda device: 1.0)
    args = bench.parse_args(["--arch", "xor", "--dims", "40", "--s", "5", "--reps", "1"])
    results = bench.run_grid(args, bench.method_params("xor"), CPU)
    rows = bench.table_rows(results, args, "cpu")
    assert all(r["status"] == "skipped" and r["note"].startswith("skipped") for r in rows)
