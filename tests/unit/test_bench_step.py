"""scripts/bench_step.py runs (it broke once when fit began to require a Phase II)."""

import importlib.util
import sys
from pathlib import Path

import torch

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "bench_step.py"


def test_bench_step_measures_both_phases(tmp_path):
    spec = importlib.util.spec_from_file_location("bench_step", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    threads = torch.get_num_threads()
    try:
        spec.loader.exec_module(module)
        out = tmp_path / "bench.json"
        results = module.main(
            ["--batches", "48", "--threads", "1", "--no-full-fit", "--json", str(out)]
        )
    finally:
        del sys.modules[spec.name]
        torch.set_num_threads(threads)
    assert results["phase1_ms_per_batch"] > 0 and results["phase2_ms_per_batch"] > 0
    assert "full_fit_ms_per_batch" not in results
    assert out.read_text().startswith("{")
