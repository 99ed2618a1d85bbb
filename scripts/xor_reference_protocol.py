"""XOR test accuracy on fresh test rows against a test set that repeats the training rows.

Our folds draw training, validation and test sets independently; the reference code's XOR
example draws its sets from one seed (SPEC 1.2), so its held-out rows repeat training rows.
This fits the dual-net exactly as ``fir-run dataset=xor seed=SEED`` does (same folds, same
per-fold seeds, the paper's budgets) and scores each fold two ways: on the fold's 1,024 fresh
test rows (``fresh``, what ``fir-run`` reports), and on a 1,024-row test set whose first half is
the 512 training rows and whose second half is 512 fresh test rows (``overlapping``), as a test
set drawn from the training seed would be. It also prints the training accuracy and two oracles
on the fresh test rows: an RBF SVM (C = 1, gamma = "scale") given only X0-X2 (``svm_x012``),
and the Bayes rule of the generating distribution (``bayes``).

    python scripts/xor_reference_protocol.py --seed 0
    python scripts/xor_reference_protocol.py --seed 1 --oracles-only
"""

from __future__ import annotations

import argparse

import numpy as np
import torch
from sklearn.svm import SVC

from fir import DualNetSelector
from fir.data.synthetic import XOR_CORNERS, load_xor
from fir.repro import derive_seed

COLUMNS = ("fresh", "overlapping", "train", "svm_x012", "bayes")


def bayes_predict(X: np.ndarray) -> np.ndarray:
    """The Bayes rule of the XOR data: class c has the corners ``XOR_CORNERS[2c]`` and
    ``XOR_CORNERS[2c + 1]`` (equal shares) with unit-variance noise on X0..X2; the noise
    features carry nothing."""
    sq = ((X[:, None, :3] - XOR_CORNERS[None]) ** 2).sum(-1)  # (n, 8)
    likelihood = np.exp(-0.5 * sq).reshape(len(X), 4, 2).sum(-1)  # (n, 4)
    return likelihood.argmax(1)


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
    parser.add_argument(
        "--oracles-only", action="store_true", help="skip the dual-net fits (seconds)"
    )
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    data = load_xor(n_folds=args.folds, seed=args.seed)
    X, y = data.X, data.y
    rows: dict[str, list[float]] = {key: [] for key in (*COLUMNS, "half")}
    print("fold  selected       " + "".join(f"{key:>13}" for key in COLUMNS))
    for k, split in enumerate(data.splits):
        test, train = split.test, split.train
        svm = SVC().fit(X[train][:, :3], y[train])
        rows["svm_x012"].append(float((svm.predict(X[test][:, :3]) == y[test]).mean()))
        rows["bayes"].append(float((bayes_predict(X[test]) == y[test]).mean()))
        selected = "-"
        if not args.oracles_only:
            sel = DualNetSelector(
                5,
                phase2_start=args.budget[0],
                max_batches=args.budget[1],
                device="cpu",
                random_state=derive_seed(args.seed, 4, k) % 2**32,
            )
            sel.fit(X[train], y[train], X_val=X[split.val], y_val=y[split.val])
            half = test[: len(train)]  # the overlapping set's fresh half
            overlapping = np.concatenate([train, half])
            rows["fresh"].append(sel.score(X[test], y[test]))
            rows["overlapping"].append(sel.score(X[overlapping], y[overlapping]))
            rows["train"].append(sel.score(X[train], y[train]))
            rows["half"].append(sel.score(X[half], y[half]))
            selected = " ".join(map(str, np.flatnonzero(sel.support_)))
        values = [rows[key][-1] if rows[key] else float("nan") for key in COLUMNS]
        print(f"{k:>4}  {selected:<14}" + "".join(f"{v:>13.4f}" for v in values), flush=True)
    means = [np.mean(rows[key]) if rows[key] else float("nan") for key in COLUMNS]
    print("mean  " + " " * 14 + "".join(f"{v:>13.4f}" for v in means))
    return rows


if __name__ == "__main__":
    main()
