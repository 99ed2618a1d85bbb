"""Per-batch cost of DualNetSelector training on the XOR settings, and a whole-fit time.

Prints mean milliseconds per operator batch (selector steps, optimal-mask searches and
validation included) for Phase I, Phase II and the whole fit, at the paper's XOR settings
(data batch 32 x mask batch 32, operator 20-60-30-20-4, selector 10-100-50-10-1).

    python scripts/bench_step.py                 # CPU, torch's default threads
    python scripts/bench_step.py --threads 1 --device cuda

Phase I is timed on a fit whose last selector window (8 batches) is already Phase II, since a
fit must reach Phase II; Phase II on a fit that enters it after the first window. Phase II is
also timed with ``fused_step=False`` (autograd operator steps), in the same run, for the ratio.
"""

from __future__ import annotations

import argparse
import json
import platform
import time

import torch

from fir import DualNetSelector
from fir.data.synthetic import load_xor


def fit_ms_per_batch(data, split, **params) -> tuple[float, DualNetSelector]:
    sel = DualNetSelector(5, random_state=0, **params)
    start = time.perf_counter()
    sel.fit(
        data.X[split.train], data.y[split.train], X_val=data.X[split.val], y_val=data.y[split.val]
    )
    elapsed = time.perf_counter() - start
    return 1e3 * elapsed / sel.history_.n_batches, sel


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--threads", type=int, default=None, help="torch intra-op threads")
    parser.add_argument("--batches", type=int, default=2000, help="batches per phase measurement")
    parser.add_argument("--json", default=None, help="also write the figures to this JSON file")
    parser.add_argument(
        "--no-full-fit", action="store_true", help="skip the whole fit at the paper's budget"
    )
    args = parser.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    data = load_xor(n_folds=1, seed=0)
    split = data.splits[0]
    common = dict(device=args.device, patience=10**9)
    fit_ms_per_batch(data, split, phase2_start=64, max_batches=200, **common)  # warm-up
    phase1, _ = fit_ms_per_batch(
        data, split, phase2_start=args.batches - 8, max_batches=args.batches, **common
    )
    phase2, _ = fit_ms_per_batch(data, split, phase2_start=8, max_batches=args.batches, **common)
    autograd2, _ = fit_ms_per_batch(
        data, split, phase2_start=8, max_batches=args.batches, fused_step=False, **common
    )
    results = {
        "device": args.device,
        "threads": torch.get_num_threads(),
        "cpu": platform.processor() or platform.machine(),
        "torch": torch.__version__,
        "phase1_ms_per_batch": round(phase1, 3),
        "phase2_ms_per_batch": round(phase2, 3),
        "phase2_autograd_ms_per_batch": round(autograd2, 3),
        "autograd_over_default": round(autograd2 / phase2, 2),
        "reference_ms_per_batch": 30.0,
    }
    if not args.no_full_fit:
        full_ms, sel = fit_ms_per_batch(data, split, device=args.device)
        results["full_fit_ms_per_batch"] = round(full_ms, 3)
        results["full_fit_batches"] = int(sel.history_.n_batches)
        results["full_fit_s"] = round(full_ms * sel.history_.n_batches / 1e3, 2)
        results["speedup_vs_reference"] = round(30.0 / full_ms, 1)
    for key, value in results.items():
        print(f"{key:>28}: {value}")
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(results, fh, indent=2)
    return results


if __name__ == "__main__":
    main()
