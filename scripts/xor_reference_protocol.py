"""XOR test accuracy on fresh test rows against a test set that repeats the training rows.

Our folds draw training, validation and test sets independently; the reference code's XOR
example draws its sets from one seed (SPEC 1.2), so its held-out rows repeat training rows.
This fits the dual-net exactly as ``fir-run dataset=xor seed=SEED`` does (same folds, same
per-fold seeds, the paper's budgets) and scores each fold two ways: on the fold's 1,024 fresh
test rows (``fresh``, what ``fir-run`` reports), and on a 1,024-row test set whose first half is
the 512 training rows and whose second half is 512 fresh test rows (``overlapping``), as a test
set drawn from the training seed would be. It also prints the training accuracy.

    python scripts/xor_reference_protocol.py --seed 0
"""

from __future__ import annotations

import argparse

import numpy as np
import torch

from fir import DualNetSelector
from fir.data.synthetic import load_xor
from fir.repro import derive_seed


def main(argv: list[str] | None = None) -> dict[str, list[float]]:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seed", type=int, default=0, help="fir-run's seed")
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--threads", type=int, default=1, help="torch intra-op threads")
    parser.add_argument(
        "--budget",
        type=int,
        nargs=2,
        default=(6000, 15000),
        metavar=("E1", "MAX_BATCHES"),
        help="phase2_start and max_batches (the paper's: 6000 15000)",
    )
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    data = load_xor(n_folds=args.folds, seed=args.seed)
    rows: dict[str, list[float]] = {"fresh": [], "overlapping": [], "train": [], "half": []}
    print("fold  selected        fresh  overlapping  train")
    for k, split in enumerate(data.splits):
        sel = DualNetSelector(
            5,
            phase2_start=args.budget[0],
            max_batches=args.budget[1],
            device="cpu",
            random_state=derive_seed(args.seed, 4, k) % 2**32,
        )
        X, y = data.X, data.y
        sel.fit(X[split.train], y[split.train], X_val=X[split.val], y_val=y[split.val])
        half = split.test[: len(split.train)]
        overlapping = np.concatenate([split.train, half])
        rows["fresh"].append(sel.score(X[split.test], y[split.test]))
        rows["overlapping"].append(sel.score(X[overlapping], y[overlapping]))
        rows["train"].append(sel.score(X[split.train], y[split.train]))
        rows["half"].append(sel.score(X[half], y[half]))  # the overlapping set's fresh half
        selected = " ".join(map(str, np.flatnonzero(sel.support_)))
        print(
            f"{k:>4}  {selected:<14}  {rows['fresh'][-1]:.4f}  {rows['overlapping'][-1]:>11.4f}"
            f"  {rows['train'][-1]:.4f}",
            flush=True,
        )
    print(
        "mean  " + " " * 14 + "  "
        + "  ".join(f"{np.mean(rows[key]):.4f}".rjust(w) for key, w in
                    (("fresh", 6), ("overlapping", 11), ("train", 5)))
    )  # fmt: skip
    return rows


if __name__ == "__main__":
    main()
