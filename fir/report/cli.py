"""``fir-report DIR [--out OUT] [--budget PROFILE]``: the report of every fir-run run in DIR.

Exit status: 0 when at least one completed run was reported, 1 when runs were found but none
could be reported (all skipped; the report still lists them), 2 when DIR holds no run at all or
is not a directory, or OUT cannot be a directory (and for command-line errors), 130 on Ctrl-C
(the report in OUT is then incomplete, and its report.md says so). ``--budget
paper`` is ``--budget default`` (the paper's budgets), as in ``scripts/reproduce_paper.sh``.
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from fir.config import CONF_DIR
from fir.report.build import (
    NoRunsError,
    OutputDirError,
    build_report,
    is_incomplete,
    report_dir,
)
from fir.report.verdicts import MET, NOT_MET, PARTIAL

log = logging.getLogger("fir.report")
EXIT_OK, EXIT_NOTHING_REPORTED, EXIT_NO_RUNS = 0, 1, 2
EXIT_INTERRUPTED = 130  # Ctrl-C, as a shell reports it
BUDGET_ALIASES = {"paper": "default"}  # scripts/reproduce_paper.sh's name for the profile


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="fir-report",
        description="Tables, figures and REPRODUCTION.md from fir-run output directories "
        "(single runs and multiruns, found by their run.json/summary.json).",
    )
    parser.add_argument("dir", type=Path, metavar="DIR", help="directory searched for runs")
    parser.add_argument(
        "--out", type=Path, default=None, help="output directory (default: DIR/report)"
    )
    parser.add_argument(
        "--budget",
        default="default",
        choices=sorted([*(p.stem for p in (CONF_DIR / "profile").glob("*.yaml")), *BUDGET_ALIASES]),
        metavar="PROFILE",
        help="the Hydra profile whose runs REPRODUCTION.md's verdicts use: default (the "
        "paper's budgets, the default; 'paper' is the same) or e.g. quick; runs of other "
        "profiles are left out",
    )
    parser.add_argument(
        "-q", "--quiet", action="store_true", help="only warnings and errors on stderr"
    )
    args = parser.parse_args(argv)
    args.budget = BUDGET_ALIASES.get(args.budget, args.budget)
    return args


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``fir-report``; returns the exit status. Progress goes to stderr through
    a handler on the ``fir`` logger that is removed again on return."""
    args = parse_args(argv)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    package_log = logging.getLogger("fir")
    level = package_log.level
    package_log.addHandler(handler)
    package_log.setLevel(logging.WARNING if args.quiet else logging.INFO)
    try:
        return report_command(args.dir, args.out, args.budget)
    finally:
        package_log.removeHandler(handler)
        package_log.setLevel(level)


def report_command(root: Path, out: Path | None, budget: str = "default") -> int:
    """Build the report of ``root`` into ``out``; log a summary; return the exit status."""
    try:
        report = build_report(root, out, budget)
    except (NoRunsError, OutputDirError) as exc:
        log.error("%s", exc)
        return EXIT_NO_RUNS
    except KeyboardInterrupt:
        out_dir = report_dir(root, out)
        if is_incomplete(out_dir):
            log.error("interrupted: the report in %s is incomplete (its report.md says so); "
                      "run fir-report again", out_dir)  # fmt: skip
        else:
            log.error("interrupted before the report was written: %s is as it was", out_dir)
        return EXIT_INTERRUPTED
    counts = {v: sum(r.verdict == v for r in report.verdicts) for v in (MET, PARTIAL, NOT_MET)}
    log.info(
        "%d runs reported, %d skipped; wrote %d table files, %d figures (%d families not drawn), "
        "%s (%d met, %d partial, %d not met) into %s",
        len(report.records), len(report.skipped_runs), len(report.tables),
        len(report.figures), len(report.figures_skipped), report.documents[0].name,
        counts[MET], counts[PARTIAL], counts[NOT_MET], report.out_dir,
    )  # fmt: skip
    return EXIT_OK if report.records else EXIT_NOTHING_REPORTED


if __name__ == "__main__":
    sys.exit(main())
