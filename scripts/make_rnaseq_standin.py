"""Write a generated stand-in for the UCI RNA-seq archive, to time ``fir-run dataset=rnaseq``
where the real data cannot be had (it is not in ../shared/data).

The archive has the official layout and shape (``TCGA-PANCAN-HiSeq-801x20531/{data,labels}.csv``:
801 samples, 20,531 genes, 267 of them constant, 5 classes named as UCI names them); the values
are noise except ``--informative`` genes whose mean depends on the class, so a selector has
something to find (``gene_0`` ... ``gene_<k-1>``). Its sha256 is not the official one: run with
``dataset.verify=false``.

    python scripts/make_rnaseq_standin.py /tmp/standin     # writes /tmp/standin/rna-seq/...
    fir-run dataset=rnaseq paths.data_dir=/tmp/standin dataset.verify=false
"""

from __future__ import annotations

import argparse
import io
import tarfile
from pathlib import Path

import numpy as np
import pandas as pd

from fir.data.rnaseq import ARCHIVE

SHAPE, N_CONSTANT = (801, 20531), 267
CLASSES = ("BRCA", "KIRC", "COAD", "LUAD", "PRAD")


def standin_frames(
    n_samples: int, n_genes: int, n_informative: int, seed: int
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(data, labels) as the UCI files hold them: a ``sample_N`` index, ``gene_N`` columns."""
    rng = np.random.default_rng(seed)
    y = rng.integers(len(CLASSES), size=n_samples)
    X = rng.gamma(2.0, 2.0, size=(n_samples, n_genes)).astype(np.float32)
    shift = rng.normal(scale=2.0, size=(len(CLASSES), n_informative)).astype(np.float32)
    X[:, :n_informative] += shift[y]
    constant = rng.choice(np.arange(n_informative, n_genes), N_CONSTANT, replace=False)
    X[:, constant] = 0.0
    samples = [f"sample_{i}" for i in range(n_samples)]
    data = pd.DataFrame(X, index=samples, columns=[f"gene_{j}" for j in range(n_genes)])
    labels = pd.DataFrame({"Class": np.asarray(CLASSES)[y]}, index=samples)
    return data, labels


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("data_dir", type=Path, help="writes DATA_DIR/rna-seq/<archive>")
    parser.add_argument("--informative", type=int, default=20)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    data, labels = standin_frames(*SHAPE, args.informative, args.seed)
    path = args.data_dir / "rna-seq" / ARCHIVE.name
    path.parent.mkdir(parents=True, exist_ok=True)
    with tarfile.open(path, "w:gz") as tar:
        for name, frame in (("data.csv", data), ("labels.csv", labels)):
            raw = frame.to_csv(float_format="%.4f").encode()
            info = tarfile.TarInfo(f"TCGA-PANCAN-HiSeq-801x20531/{name}")
            info.size = len(raw)
            tar.addfile(info, io.BytesIO(raw))
    print(
        f"wrote {path} ({path.stat().st_size / 2**20:.0f} MiB; not the official file: run "
        "with dataset.verify=false)"
    )


if __name__ == "__main__":
    main()
