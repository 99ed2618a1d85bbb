"""Aggregate fir-run output directories into a comparison table (CSV + Markdown).

Usage: python scripts/make_tables.py outputs/multirun/<date> --out outputs/tables

Exit status: 0 when runs were tabulated, 1 when runs were found but all were skipped (the
tables are still written, header only) or none was found (nothing written), 2 when the root
does not exist.
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from fir.aggregate import collect_runs, find_run_dirs, write_tables

log = logging.getLogger("make_tables")
EXIT_OK, EXIT_NOTHING_TABULATED, EXIT_NO_ROOT = 0, 1, 2


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("root", type=Path, help="directory searched for run.json files")
    parser.add_argument("--out", type=Path, default=Path("outputs/tables"), help="output dir")
    parser.add_argument("--stem", default="comparison", help="file name stem")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(message)s")
    try:
        table, skipped = collect_runs(args.root)  # logs each skipped run once
    except FileNotFoundError as exc:
        log.error("%s", exc)
        return EXIT_NO_ROOT
    if table.empty and not find_run_dirs(args.root):
        log.warning(
            "%s holds no run (no run.json or summary.json below it); nothing written. Pass "
            "the directory fir-run wrote to (e.g. outputs/ or outputs/multirun/<date>).",
            args.root,
        )
        return EXIT_NOTHING_TABULATED
    paths = write_tables(table, args.out, args.stem)
    log.info(
        "%d runs tabulated, %d skipped; wrote %s",
        len(table),
        len(skipped),
        ", ".join(map(str, paths)),
    )
    return EXIT_OK if len(table) else EXIT_NOTHING_TABULATED


if __name__ == "__main__":
    sys.exit(main())
