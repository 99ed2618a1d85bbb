"""Aggregate fir-run output directories into a comparison table (CSV + Markdown).

Usage: python scripts/make_tables.py outputs/multirun/<date> --out outputs/tables
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from fir.aggregate import collect_runs, write_tables


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("root", type=Path, help="directory searched for run.json files")
    parser.add_argument("--out", type=Path, default=Path("outputs/tables"), help="output dir")
    parser.add_argument("--stem", default="comparison", help="file name stem")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(message)s")
    table, skipped = collect_runs(args.root)
    for run in skipped:
        logging.warning("skipped %s: %s", run.path, run.reason)
    paths = write_tables(table, args.out, args.stem)
    logging.info(
        "%d runs tabulated, %d skipped; wrote %s",
        len(table),
        len(skipped),
        ", ".join(map(str, paths)),
    )
    return 0 if len(table) else 1


if __name__ == "__main__":
    sys.exit(main())
