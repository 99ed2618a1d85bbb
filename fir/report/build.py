"""``build_report``: run directories -> tables, figures, ``REPRODUCTION.md`` and an index.

Output layout (``out_dir``): ``report.md`` (what was written and skipped, and why),
``REPRODUCTION.md`` + ``reproduction.csv``, ``skipped.csv`` (runs left out), ``tables/``
(CSV, Markdown, LaTeX) and ``figures/`` (PNG and PDF). Figures are drawn only from runs that
exist; each figure family the runs cannot feed is listed as skipped with the reason.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
from matplotlib.figure import Figure

from fir.aggregate import SkippedRun
from fir.config import shell_quote
from fir.report import curves, figures, maps
from fir.report.cells import Cell, group_cells
from fir.report.paper import ENHANCER_PROMOTER, TARGETS
from fir.report.reproduction import REPRODUCTION_CSV, REPRODUCTION_MD, write_reproduction
from fir.report.runs import RunRecord, load_runs
from fir.report.tables import relative, write_all_tables
from fir.report.verdicts import PAPER_BUDGET, Verdict, evaluate_targets
from fir.reporting import write_text_atomic

log = logging.getLogger(__name__)

REPORT_MD = "report.md"
SKIPPED_CSV = "skipped.csv"
TABLES_DIR = "tables"
FIGURES_DIR = "figures"
# the files the last fir-report wrote into its --out directory, one relative path per line:
# those the next invocation did not write again are removed once it has written its own, so
# that no stale table or figure is left behind (a report that fails removes none of them)
MANIFEST = ".fir-report-files"
INCOMPLETE = "# fir-report (incomplete)"  # report.md's heading while a report is being written
# figures of tabular datasets other than enhancer-promoter: Figure 5's kind, no paper figure
NAMED_IMPORTANCE = "Named-feature importance (no paper figure)"


class NoRunsError(FileNotFoundError):
    """The directory holds no run at all (no ``run.json`` or ``summary.json`` below it)."""


class OutputDirError(NotADirectoryError):
    """The output directory (``--out``) cannot be a directory (it is a file, say)."""


@dataclass
class FigureEntry:
    """One figure written: its paper counterpart, what it shows and its files."""

    paper: str
    shows: str
    paths: list[Path]


@dataclass
class Report:
    """What ``build_report`` read and wrote."""

    root: Path
    out_dir: Path
    records: list[RunRecord]
    skipped_runs: list[SkippedRun]
    tables: list[Path] = field(default_factory=list)
    tables_skipped: list[tuple[str, str]] = field(default_factory=list)
    figures: list[FigureEntry] = field(default_factory=list)
    figures_skipped: list[tuple[str, str]] = field(default_factory=list)
    verdicts: list[Verdict] = field(default_factory=list)
    documents: list[Path] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def build_report(root: Path, out_dir: Path | None = None, budget: str = PAPER_BUDGET) -> Report:
    """Read every run under ``root`` and write the report into ``out_dir`` (default
    ``root/report``); ``REPRODUCTION.md``'s verdicts use the runs made at ``budget`` (a Hydra
    profile). Raises NoRunsError when ``root`` holds no run directory at all."""
    root = Path(root)
    if not root.is_dir():
        raise NoRunsError(f"DIR={root} is not a directory; pass a fir-run output directory.")
    out_dir = report_dir(root, out_dir)
    records, skipped = load_runs(root)
    if not records and not skipped:
        raise NoRunsError(
            f"DIR={root} holds no run (no run.json or summary.json below it); pass the "
            "directory fir-run wrote to (e.g. outputs/ or outputs/multirun/<date>)."
        )
    log.info("%d runs found under %s: %d completed, %d skipped", len(records) + len(skipped),
             root, len(records), len(skipped))  # fmt: skip
    report = Report(root=root, out_dir=out_dir, records=records, skipped_runs=skipped)
    report.notes = [f"{relative(r.path, root)}: {note}" for r in records for note in r.notes]
    _make_out_dir(out_dir)
    previous = _previous_outputs(out_dir)
    _mark_incomplete(out_dir, root)
    cells = list(group_cells(records).values())
    report.notes += _variant_notes(cells, root)
    for cell in cells:
        if differing := cell.config_differences():
            log.warning(
                "%s / %s / s=%d pools %d runs whose configs differ in %s; to compare such "
                "variants, report them from separate directories",
                cell.dataset_label, cell.label, cell.s, len(cell.runs), ", ".join(differing),
            )  # fmt: skip
    report.tables, report.tables_skipped = write_all_tables(
        cells, records, root, out_dir / TABLES_DIR
    )
    _draw_figures(report, cells)
    report.verdicts = evaluate_targets(TARGETS, cells, root, budget)
    report.documents = write_reproduction(
        report.verdicts, records, len(skipped), root, out_dir, budget
    )
    report.documents.append(_write_skipped(report))
    report.documents.append(_write_index(report))
    written = [*report.tables, *(p for f in report.figures for p in f.paths), *report.documents]
    _remove_stale(previous - {p.resolve() for p in written})
    (out_dir / MANIFEST).write_text("".join(f"{relative(p, out_dir)}\n" for p in written))
    return report


def report_dir(root: Path, out_dir: Path | None) -> Path:
    """Where the report of ``root`` goes: ``out_dir`` (``--out``), or ``root/report``."""
    return Path(root) / "report" if out_dir is None else Path(out_dir)


def is_incomplete(out_dir: Path) -> bool:
    """Whether ``out_dir`` holds a report that began and did not finish (``report.md`` is
    :func:`_mark_incomplete`'s notice)."""
    try:
        with (out_dir / REPORT_MD).open("rb") as fh:
            return fh.read(len(INCOMPLETE)) == INCOMPLETE.encode()
    except OSError:
        return False


def _make_out_dir(out_dir: Path) -> None:
    """Create ``out_dir``; OutputDirError (one line, naming ``--out``) when it cannot be."""
    if out_dir.exists() and not out_dir.is_dir():
        raise OutputDirError(
            f"--out {out_dir} is a file, not a directory; pass a directory (created when "
            f"missing), e.g. --out {out_dir.with_suffix('')}_report"
        )
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputDirError(
            f"--out {out_dir} cannot be created ({exc.strerror or exc}); pass a directory "
            "that can be written"
        ) from exc


def _mark_incomplete(out_dir: Path, root: Path) -> None:
    """Replace ``out_dir``'s ``report.md`` by a notice that this report is being written, and
    remove the previous ``REPRODUCTION.md`` and ``reproduction.csv``: until the last step
    writes them again, the folder mixes this invocation's tables and figures with the previous
    one's, and a kill or a failure must not leave it looking finished (or its verdicts stale).
    """
    notice = (
        f"{INCOMPLETE}\n\n"
        f"fir-report began writing this folder from the runs under `{root}` at "
        f"{datetime.now(UTC).isoformat(timespec='seconds')} and has not finished: it is still "
        "running, or it was interrupted or failed. Its tables and figures may mix this "
        "invocation's and the previous one's, and REPRODUCTION.md is written last. Run "
        f"`fir-report {shell_quote(str(root))} --out {shell_quote(str(out_dir))}` again.\n"
    )
    write_text_atomic(out_dir / REPORT_MD, notice)
    for name in (REPRODUCTION_MD, REPRODUCTION_CSV):
        (out_dir / name).unlink(missing_ok=True)


def _previous_outputs(out_dir: Path) -> set[Path]:
    """The files an earlier fir-report listed in ``out_dir``'s manifest (only those inside
    ``out_dir``), resolved."""
    manifest = out_dir / MANIFEST
    if not manifest.is_file():
        return set()
    root = out_dir.resolve()
    paths = {(out_dir / line).resolve() for line in manifest.read_text().splitlines() if line}
    return {p for p in paths if p.is_relative_to(root)}


def _remove_stale(paths: set[Path]) -> None:
    """Remove the earlier report's files this one did not write again: runs removed since, or
    another budget, leave no stale file."""
    for path in paths:
        if path.is_file():
            path.unlink()


def _variant_notes(cells: list[Cell], root: Path) -> list[str]:
    """One warning (logged and returned as a note) per dataset name whose runs differ in their
    data and are reported as separate datasets, naming a run directory of each."""
    variants: dict[str, dict[str, Path]] = {}
    for cell in cells:
        if cell.variant:
            variants.setdefault(cell.dataset, {}).setdefault(cell.dataset_label, cell.runs[0].path)
    notes = []
    for dataset, labels in variants.items():
        shown = "; ".join(f"'{label}' (e.g. {relative(path, root)})"
                          for label, path in labels.items())  # fmt: skip
        notes.append(
            f"runs of dataset '{dataset}' differ in task, number or names of features, so they "
            f"are not pooled but reported as {len(labels)} datasets: {shown}; to name them "
            "yourself, run with dataset.name=<name>, or report them from separate directories"
        )
        log.warning("%s", notes[-1])
    return notes


@dataclass
class Drawn:
    """A figure drawn by a family: file stem, paper figure, what it shows, notes."""

    stem: str
    paper: str
    shows: str
    figure: Figure
    notes: list[str] = field(default_factory=list)


FigureFamily = Callable[[list[Cell]], Iterator[Drawn]]


def _draw_figures(report: Report, cells: list[Cell]) -> None:
    """Draw every figure family; record what was written and which families were skipped."""
    families: list[tuple[str, str, FigureFamily]] = [
        ("Figure 2", "no run of a dataset with known relevant features", _fig2),
        ("Figures 3, V", "no run with image_means.npz (an image dataset)", _fig3_v),
        ("Figure VI", "no image dataset run by one method at two or more values of s", _fig6),
        ("Figures 4, VIII", "no dataset run at two or more values of s", _fig4),
        ("Figures 5, IX", "no run of enhancer-promoter", _fig5),
        ("Figure X", "no enhancer-promoter run by one method at two or more values of s", _figx),
        (NAMED_IMPORTANCE, "no run of another tabular dataset without known relevant "
         "features", _named),
        ("Figures II-IV, VII", "no run with training histories (folds/fold_KK_history.npz)",
         _fig_curves),
    ]  # fmt: skip
    fig_dir = report.out_dir / FIGURES_DIR
    for paper, why_not, family in families:
        count = 0
        for drawn in family(cells):
            paths = figures.save_figure(drawn.figure, fig_dir, drawn.stem)
            report.figures.append(FigureEntry(drawn.paper, drawn.shows, paths))
            report.notes += drawn.notes
            count += 1
        if count == 0:
            report.figures_skipped.append((paper, why_not))
        log.info("%s: %s", paper, f"{count} figure(s)" if count else f"skipped ({why_not})")


def _by(cells: list[Cell], key: Callable[[Cell], tuple]) -> dict[tuple, list[Cell]]:
    groups: dict[tuple, list[Cell]] = {}
    for cell in cells:
        groups.setdefault(key(cell), []).append(cell)
    return groups


def _fig2(cells: list[Cell]) -> Iterator[Drawn]:
    synthetic = [c for c in cells if c.informative]
    for (dataset, s), group in _by(synthetic, lambda c: (c.dataset_label, c.s)).items():
        yield Drawn(_stem("fig2", dataset, f"s{s}"), "Figure 2",
                    f"{dataset}, s = {s}: normalised importance of each method's top features",
                    figures.synthetic_importance_figure(group))  # fmt: skip


def _fig3_v(cells: list[Cell]) -> Iterator[Drawn]:
    images = [c for c in cells if c.image_means is not None]
    for (dataset, s), group in _by(images, lambda c: (c.dataset_label, c.s)).items():
        yield Drawn(_stem("fig3", dataset, f"s{s}", "maps"), "Figure 3",
                    f"{dataset}, s = {s}: mean importance map of each method",
                    maps.methods_map_figure(group))  # fmt: skip
        for cell in group:
            yield Drawn(_stem("figV", dataset, cell.slug, f"s{s}", "fold_maps"), "Figure V",
                        f"{dataset}, {cell.label}, s = {s}: importance map of every fold",
                        maps.folds_map_figure(cell))  # fmt: skip


def _fig6(cells: list[Cell]) -> Iterator[Drawn]:
    images = [c for c in cells if c.image_means is not None]
    for (dataset, slug), group in _by(images, lambda c: (c.dataset_label, c.slug)).items():
        if len(group) >= 2:
            group = sorted(group, key=lambda c: c.s)
            yield Drawn(_stem("figVI", dataset, slug, "maps_by_s"), "Figure VI",
                        f"{dataset}, {group[0].label}: importance maps for s = {_s_list(group)}",
                        maps.maps_by_s_figure(group))  # fmt: skip


def _fig4(cells: list[Cell]) -> Iterator[Drawn]:
    panels = {
        dataset: group
        for (dataset,), group in _by(cells, lambda c: (c.dataset_label,)).items()
        if len({c.s for c in group}) >= 2
    }
    if panels:
        yield Drawn("fig4_metric_vs_s", "Figures 4, VIII",
                    "test metric against s, one panel per dataset: " + ", ".join(panels),
                    figures.metric_vs_s_figure(panels))  # fmt: skip


def _tabular(cells: list[Cell]) -> list[Cell]:
    return [c for c in cells if c.image_means is None and not c.informative]


def _fig5(cells: list[Cell], paper: bool = True) -> Iterator[Drawn]:
    """Figures 5/IX (enhancer-promoter; ``paper=False``: the same figure for every other
    tabular dataset, which has no paper figure)."""
    tabular = [c for c in _tabular(cells) if (c.dataset in ENHANCER_PROMOTER) == paper]
    for (dataset, s), group in _by(tabular, lambda c: (c.dataset_label, c.s)).items():
        yield Drawn(_stem("fig5" if paper else "importance", dataset, f"s{s}",
                          "importance" if paper else "named"),
                    "Figures 5, IX" if paper else NAMED_IMPORTANCE,
                    f"{dataset}, s = {s}: importance of each method's top features, named",
                    figures.named_importance_figure(group))  # fmt: skip


def _figx(cells: list[Cell], paper: bool = True) -> Iterator[Drawn]:
    """Figure X (enhancer-promoter; ``paper=False``: every other tabular dataset)."""
    tabular = [c for c in _tabular(cells) if (c.dataset in ENHANCER_PROMOTER) == paper]
    for (dataset, slug), group in _by(tabular, lambda c: (c.dataset_label, c.slug)).items():
        if len(group) >= 2:
            group = sorted(group, key=lambda c: c.s)
            yield Drawn(_stem("figX" if paper else "importance", dataset, slug,
                              "importance_by_s"),
                        "Figure X" if paper else f"{NAMED_IMPORTANCE} by s",
                        f"{dataset}, {group[0].label}: top features at s = {_s_list(group)}",
                        figures.importance_by_s_figure(group))  # fmt: skip


def _named(cells: list[Cell]) -> Iterator[Drawn]:
    yield from _fig5(cells, paper=False)
    yield from _figx(cells, paper=False)


def _fig_curves(cells: list[Cell]) -> Iterator[Drawn]:
    recorded = [c for c in cells if any(r.history_paths for r in c.runs)]
    for (dataset, slug), group in _by(recorded, lambda c: (c.dataset_label, c.slug)).items():
        group = sorted(group, key=lambda c: c.s)
        fig, notes = curves.learning_curve_figure(group)
        yield Drawn(_stem("figII", dataset, slug, "learning_curves"), "Figures II-IV, VII",
                    f"{dataset}, {group[0].label}: learning curves for s = {_s_list(group)}",
                    fig, notes)  # fmt: skip


def _s_list(cells: list[Cell]) -> str:
    return ", ".join(str(c.s) for c in cells)


def _stem(*parts: str) -> str:
    """A file stem from ``parts``: characters other than letters, digits, ``._-`` become ``-``."""
    return "_".join(re.sub(r"[^A-Za-z0-9._-]+", "-", str(p)).strip("-") for p in parts)


def _write_skipped(report: Report) -> Path:
    """``skipped.csv``: every run directory left out, and why (header only when none)."""
    path = report.out_dir / SKIPPED_CSV
    rows = [(relative(s.path, report.root), s.reason) for s in report.skipped_runs]
    pd.DataFrame(rows, columns=["run_dir", "reason"]).to_csv(path, index=False)
    return path


def _write_index(report: Report) -> Path:
    """``report.md``: counts, the documents, tables and figures written, and what was skipped."""
    out = report.out_dir
    lines = [
        "# fir-report",
        "",
        f"Runs under `{report.root}`: {len(report.records)} completed and reported, "
        f"{len(report.skipped_runs)} skipped. The files below were written by this invocation.",
        "",
        "- [REPRODUCTION.md](REPRODUCTION.md): the paper's numbers and ours, with verdicts",
        "",
        "## Tables",
        "",
        *[f"- [{relative(p, out)}]({relative(p, out)})" for p in report.tables],
        *[f"- {name}: not written ({why})" for name, why in report.tables_skipped],
        "",
        "## Figures",
        "",
        *[f"- {e.paper}: {e.shows}: "
          + ", ".join(f"[{p.suffix[1:]}]({relative(p, out)})" for p in e.paths)
          for e in report.figures],
        "",
        "Not drawn:",
        "",
        *([f"- {paper}: {why}" for paper, why in report.figures_skipped] or ["- none"]),
        "",
        "## Skipped runs",
        "",
        *([f"- `{relative(s.path, report.root)}`: {s.reason}" for s in report.skipped_runs]
          or ["- none"]),
        "",
    ]  # fmt: skip
    if report.notes:
        lines += ["## Notes", "", *[f"- {note}" for note in report.notes], ""]
    path = out / REPORT_MD
    write_text_atomic(path, "\n".join(lines))  # over the notice
    return path
