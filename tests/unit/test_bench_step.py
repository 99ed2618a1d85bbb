"""scripts/bench_step.py runs (it broke once when fit began to require a Phase II)."""

from tests.conftest import script_module


def test_bench_step_measures_both_phases(tmp_path):
    out = tmp_path / "bench.json"
    with script_module("bench_step") as bench_step:
        results = bench_step.main(
            ["--batches", "48", "--threads", "1", "--no-full-fit", "--json", str(out)]
        )
    assert results["phase1_ms_per_batch"] > 0 and results["phase2_ms_per_batch"] > 0
    assert results["phase2_autograd_ms_per_batch"] > 0 and results["autograd_over_default"] > 0
    assert "full_fit_ms_per_batch" not in results
    assert out.read_text().startswith("{")
