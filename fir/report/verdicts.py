"""The paper's targets (``fir.report.paper``) checked against our cells: one ``Verdict`` per
target, dataset and value of s, each naming every run it used.

A verdict is ``met``, ``partial`` (met by the methods that were run, fewer than the claim
names: e.g. "best of 10 methods" with 2 run), ``not met`` or ``not run`` (the runs the check
needs do not exist). When
several runs fall in one cell they are pooled (``fir.report.cells``) and all are listed. Verdicts
use the runs of one budget (a Hydra profile: ``default`` is the paper's, ``quick`` a reduced one);
runs made with another profile are left out of every verdict and listed on its row as excluded.
Cells are keyed by the dataset's label (``Cell.dataset_label``): variants of one dataset name
(other data: ``fir.report.cells``) are checked separately, each on a row of its own.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from fir.report.cells import PAPER_PROFILES, Cell, missing_scores_note
from fir.report.paper import Target
from fir.report.runs import RunRecord
from fir.reporting import format_mean_std, format_score

MET, PARTIAL, NOT_MET, NOT_RUN = "met", "partial", "not met", "not run"
PAPER_BUDGET = "default"  # the Hydra profile with the paper's budgets
PAPER_FOLDS = 5
CellIndex = dict[tuple[str, str, int], Cell]


@dataclass
class Context:
    """What every check may look at: the cells with the paper's budgets by (dataset label,
    method, s), the cells left out for their profile, the root run paths are shown relative
    to, and the dataset name of each dataset label."""

    cells: CellIndex
    excluded: dict[tuple[str, str, int], list[Cell]]
    root: Path
    names: dict[str, str] = field(default_factory=dict)  # dataset label -> dataset name

    @classmethod
    def build(cls, cells: list[Cell], root: Path, budget: str = PAPER_BUDGET) -> Context:
        index: CellIndex = {}
        excluded: dict[tuple[str, str, int], list[Cell]] = {}
        wanted = budget_profiles(budget)
        names = {cell.dataset_label: cell.dataset for cell in cells}
        for cell in cells:
            key = (cell.dataset_label, cell.method, cell.s)
            if cell.profile in wanted:
                if key in index:  # profile "default" and not recorded: pool them openly
                    index[key] = Cell(
                        cell.dataset,
                        cell.method,
                        cell.s,
                        None,
                        runs=index[key].runs + cell.runs,
                        repeats=index[key].repeats + cell.repeats,
                        variant=cell.variant,
                    )
                else:
                    index[key] = cell
            else:
                excluded.setdefault(key, []).append(cell)
        return cls(index, excluded, Path(root), names)


@dataclass
class Verdict:
    """One row of ``REPRODUCTION.md``."""

    key: str
    claim: str
    source: str
    dataset: str
    s: str
    paper: str
    ours: str
    difference: str
    verdict: str
    runs: list[str] = field(default_factory=list)  # "run dir: method, seed, mean ± std"
    note: str = ""


def budget_profiles(budget: str) -> tuple[str | None, ...]:
    """The Hydra ``profile`` values whose runs a verdict at ``budget`` uses: the paper's budget
    (``default``) also takes runs that do not record their profile."""
    return PAPER_PROFILES if budget in PAPER_PROFILES else (budget,)


def evaluate_targets(
    targets: list[Target], cells: list[Cell], root: Path, budget: str = PAPER_BUDGET
) -> list[Verdict]:
    """Every target checked against the ``cells`` run at ``budget`` (a Hydra profile; the
    others are listed as left out); run directories shown relative to ``root``."""
    ctx = Context.build(cells, root, budget)
    rows: list[Verdict] = []
    for target in targets:
        rows += _evaluate(target, ctx)
    return rows


def _evaluate(target: Target, ctx: Context) -> list[Verdict]:
    labels = sorted({key[0] for key in [*ctx.cells, *ctx.excluded]})
    present = [
        label for d in target.datasets for label in labels if ctx.names.get(label, label) == d
    ]
    if not present:
        return [_not_run(target, ctx, "/".join(target.datasets), target.s, "no run")]
    rows = []
    for dataset in present:
        mine = {k[2]: c for k, c in ctx.cells.items() if k[0] == dataset and k[1] == target.method}
        if target.kind == "curve_reaches":
            rows.append(_curve_reaches(target, dataset, list(mine.values()), ctx))
            continue
        wanted = sorted(mine) if target.s is None else [s for s in target.s if s in mine]
        if not wanted:
            where = "" if target.s is None else f" at s = {_s_label(target.s)}"
            why = f"no {target.method} run{where}"
            rows.append(_not_run(target, ctx, dataset, target.s, why))
            continue
        missing = [] if target.s is None else [s for s in target.s if s not in mine]
        for s in wanted:
            row = CHECKS[target.kind](target, mine[s], ctx)
            if missing:
                row.note = _join(row.note, f"not run at s = {_s_label(tuple(missing))}")
            rows.append(row)
    return rows


def _relevant_all_folds(target: Target, cell: Cell, ctx: Context) -> Verdict:
    row = _row(target, cell, ctx)
    if not cell.informative:
        return _unchecked(row, "summary.json names no relevant features")
    found, n = int(cell.relevant_found() or 0), cell.n_folds
    per_feature = cell.selected[:, cell.informative].sum(axis=0)
    names = [cell.feature_names[j] for j in cell.informative]
    row.ours = (
        f"{found}/{n} folds ("
        + ", ".join(f"{name} {int(k)}/{n}" for name, k in zip(names, per_feature, strict=True))
        + ")"
    )
    row.difference = f"{found - n:+d} folds"
    row.verdict = MET if found == n else NOT_MET
    return row


def _irrelevant_negative(target: Target, cell: Cell, ctx: Context) -> Verdict:
    row = _row(target, cell, ctx)
    if not cell.informative:
        return _unchecked(row, "summary.json names no relevant features")
    imp = cell.importances
    if not np.isfinite(imp).any():
        return _unchecked(row, f"{cell.method} gives no importance scores")
    mean = np.array([np.nanmean(col) if np.isfinite(col).any() else np.nan for col in imp.T])
    relevant = np.zeros(len(mean), dtype=bool)
    relevant[cell.informative] = True
    noise = mean[~relevant]
    n_negative = int((noise < 0).sum())
    row.ours = (
        f"{n_negative}/{len(noise)} irrelevant < 0 (max {np.nanmax(noise):+.3f}; "
        f"smallest relevant {np.nanmin(mean[relevant]):+.3f})"
    )
    row.difference = f"max irrelevant {np.nanmax(noise):+.3f}"
    row.verdict = MET if n_negative == len(noise) else NOT_MET
    return row


def _competes(target: Target, cell: Cell, method: str) -> bool:
    """Whether ``method`` is ranked against ``cell``'s: a method the target names (any when it
    names none), and neither the cell's own nor its selection rescored by another model
    (``dualnet+svm``: the same selector)."""
    if method == cell.method or method.startswith(f"{cell.method}+"):
        return False
    return not target.others or method in target.others


def _best_of(target: Target, cell: Cell, ctx: Context) -> Verdict:
    group = [
        c for (d, m, s), c in ctx.cells.items()
        if d == cell.dataset_label and s == cell.s and _competes(target, cell, m)
    ]  # fmt: skip
    candidates = [
        k for k in ctx.excluded
        if k[0] == cell.dataset_label and k[2] == cell.s and _competes(target, cell, k[1])
    ]  # fmt: skip
    row = _row(target, cell, ctx, others=group, also=candidates)
    rescored = sorted(
        m for (d, m, s) in ctx.cells
        if d == cell.dataset_label and s == cell.s and m.startswith(f"{cell.method}+")
    )  # fmt: skip
    if rescored:
        row.note = _join(row.note, f"{', '.join(rescored)} not ranked (the same selector, "
                                   "rescored by another model)")  # fmt: skip
    if not group:
        wanted = ", ".join(target.others) or "any other method"
        return _unchecked(row, f"nothing to rank against: no run of {wanted} at this s")
    sign = 1.0 if cell.higher_is_better else -1.0
    ranked = sorted([cell, *group], key=lambda c: -sign * c.mean)
    rank = 1 + sum(sign * (c.mean - cell.mean) > 0 for c in group)
    best_other = ranked[0] if ranked[0] is not cell else ranked[1]
    row.ours = f"rank {rank} of {len(group) + 1} run: " + "; ".join(
        f"{c.method} {format_mean_std(c.mean, c.std)}" for c in ranked
    )
    gap = format_score(cell.mean - best_other.mean, sign=True, like=cell.mean)
    row.difference = f"{gap} vs {best_other.method}"
    claimed = target.n_methods or len(target.others) + 1
    run = len(group) + 1
    row.verdict = NOT_MET if rank != 1 else MET if run >= claimed else PARTIAL
    row.note = _join(f"{run} of the claim's {claimed} methods run", row.note)
    if target.others:
        absent = [m for m in target.others if m not in {c.method for c in group}]
        if absent:
            row.note = _join(row.note, f"not run: {', '.join(absent)}")
    return row


def _at_least(target: Target, cell: Cell, ctx: Context) -> Verdict:
    row = _row(target, cell, ctx)
    value = _value(target)
    row.ours = format_mean_std(cell.mean, cell.std)
    row.difference = format_score(cell.mean - value, sign=True, like=value)
    ok = (
        cell.mean >= value - target.tolerance
        if cell.higher_is_better
        else cell.mean <= value + target.tolerance
    )
    row.verdict = MET if ok else NOT_MET
    return row


def _curve_reaches(target: Target, dataset: str, mine: list[Cell], ctx: Context) -> Verdict:
    if not mine:
        return _not_run(target, ctx, dataset, None, f"no {target.method} run")
    sign = 1.0 if mine[0].higher_is_better else -1.0
    best = max(mine, key=lambda c: sign * c.mean)
    value = _value(target)
    s_run = ", ".join(str(c.s) for c in sorted(mine, key=lambda c: c.s))
    also = [k for k in ctx.excluded if k[0] == dataset and k[1] == target.method]
    row = _row(target, best, ctx, others=[c for c in mine if c is not best], also=also)
    row.s = s_run
    row.ours = f"best over s: {format_mean_std(best.mean, best.std)} at s = {best.s}"
    row.difference = format_score(best.mean - value, sign=True, like=value)
    row.verdict = MET if sign * (best.mean - value) >= 0 else NOT_MET
    return row


def _versus(target: Target, cell: Cell, ctx: Context) -> Verdict:
    """``comparable`` and ``above``: our cell against each method in ``target.others``."""
    others = [ctx.cells.get((cell.dataset_label, m, cell.s)) for m in target.others]
    present = [c for c in others if c is not None]
    row = _row(target, cell, ctx, others=present)
    if len(present) < len(others):
        absent = [m for m, c in zip(target.others, others, strict=True) if c is None]
        return _unchecked(row, f"no run of {', '.join(absent)} at s = {cell.s}")
    sign = 1.0 if cell.higher_is_better else -1.0
    oks, parts, diffs = [], [], []
    for other in present:
        gap = sign * (cell.mean - other.mean)
        slack = max(cell.std, other.std) if target.kind == "comparable" else 0.0
        oks.append(gap >= -slack if target.kind == "comparable" else gap > 0)
        parts.append(f"{other.method} {format_mean_std(other.mean, other.std)}")
        diffs.append(
            f"{format_score(cell.mean - other.mean, sign=True, like=cell.mean)} vs {other.method}"
        )
    row.ours = f"{format_mean_std(cell.mean, cell.std)} vs " + "; ".join(parts)
    row.difference = "; ".join(diffs)
    row.verdict = MET if all(oks) else NOT_MET
    return row


def _time_at_most(target: Target, cell: Cell, ctx: Context) -> Verdict:
    """Our 5-fold training time: ``PAPER_FOLDS`` times the mean fit time per fold (the sum of
    the fit times for a 5-fold run)."""
    row = _row(target, cell, ctx)
    per_fold, value = float(cell.fit_times.mean()), _value(target)
    total = PAPER_FOLDS * per_fold
    devices = sorted({str(r.summary.get("device", "?")) for r in cell.runs})
    row.ours = f"{total:.1f} s ({PAPER_FOLDS} × {per_fold:.1f} s per fold; {', '.join(devices)})"
    row.difference = f"{total - value:+.1f} s"
    row.verdict = MET if total <= value else NOT_MET
    return row


CHECKS: dict[str, Callable[[Target, Cell, Context], Verdict]] = {
    "relevant_all_folds": _relevant_all_folds,
    "irrelevant_negative": _irrelevant_negative,
    "best_of": _best_of,
    "at_least": _at_least,
    "comparable": _versus,
    "above": _versus,
    "time_at_most": _time_at_most,
}


def _row(
    target: Target,
    cell: Cell,
    ctx: Context,
    others: list[Cell] | None = None,
    also: list[tuple[str, str, int]] | None = None,
) -> Verdict:
    """A verdict row for ``cell`` listing its runs, ``others``' and the runs left out for their
    profile at the keys of these cells and at ``also``; not yet judged."""
    cells = [cell, *(others or [])]
    runs = [_run_line(r, ctx.root) for c in cells for r in c.runs]
    runs += [
        f"repeat of {_relative(of.path, ctx.root)}, counted once: {_run_line(r, ctx.root)}"
        for c in cells
        for r, of in c.repeats
    ]
    keys = list(dict.fromkeys([(c.dataset_label, c.method, c.s) for c in cells] + (also or [])))
    excluded = _excluded_runs(ctx, keys)
    notes = []
    per_run = {r.n_folds for r in cell.runs}
    if per_run != {PAPER_FOLDS}:
        notes.append(f"{'/'.join(map(str, sorted(per_run)))} folds per run (the paper: 5)")
    if len(cell.runs) > 1:
        notes.append(f"{len(cell.runs)} runs pooled (seeds {', '.join(map(str, cell.seeds))})")
    differing = cell.config_differences()
    if differing:
        notes.append(f"pooled runs differ in {', '.join(differing)}")
    if missing := missing_scores_note(cell, ctx.root):
        notes.append(missing)
    if cell.repeats:
        notes.append(
            f"{len(cell.repeats)} run(s) repeat a listed run (same seed, splits and results) "
            "and are counted once"
        )
    if excluded:
        notes.append(f"{len(excluded)} run(s) with other budgets left out (profile)")
    return Verdict(
        key=target.key, claim=target.claim, source=target.source, dataset=cell.dataset_label,
        s=str(cell.s), paper=_paper_text(target), ours="", difference="", verdict=NOT_RUN,
        runs=runs + excluded, note="; ".join(notes),
    )  # fmt: skip


def _excluded_runs(ctx: Context, keys: list[tuple[str, str, int]]) -> list[str]:
    """Lines for the runs at ``keys`` left out for their profile."""
    return [
        f"left out, profile={c.profile}: {_run_line(r, ctx.root)}"
        for key in keys
        for c in ctx.excluded.get(key, [])
        for r in c.runs
    ]


def _relative(path: Path, root: Path) -> Path:
    try:
        return path.relative_to(root)
    except ValueError:
        return path


def _run_line(record: RunRecord, root: Path) -> str:
    mean, std = float(record.scores.mean()), float(record.scores.std())
    path = _relative(record.path, root)
    return f"{path} ({record.method}, seed {record.seed}: {format_mean_std(mean, std)})"


def _not_run(
    target: Target, ctx: Context, dataset: str, s: tuple[int, ...] | None, why: str
) -> Verdict:
    """A ``not run`` row; runs of the target's method left out for their profile are listed."""
    keys = [
        k for k in ctx.excluded
        if (k[0] == dataset or ctx.names.get(k[0], k[0]) in dataset.split("/"))
        and k[1] == target.method and (s is None or k[2] in s)
    ]  # fmt: skip
    excluded = _excluded_runs(ctx, keys)
    if excluded:
        why = _join(why, f"only runs with other budgets (profile): {len(excluded)} left out")
    return Verdict(
        key=target.key, claim=target.claim, source=target.source, dataset=dataset,
        s=_s_label(s), paper=_paper_text(target), ours="—", difference="—", verdict=NOT_RUN,
        runs=excluded, note=why,
    )  # fmt: skip


def _unchecked(row: Verdict, why: str) -> Verdict:
    row.ours, row.difference, row.verdict = row.ours or "—", "—", NOT_RUN
    row.note = _join(why, row.note)
    return row


def _paper_text(target: Target) -> str:
    if target.paper_text:
        return target.paper_text
    if target.value is None:
        return ""
    if target.kind == "time_at_most":
        return f"{target.value:g} s"
    tol = f" ± {target.tolerance:.4f}" if target.tolerance else ""
    return f"{target.value:.4f}{tol}"


def _value(target: Target) -> float:
    if target.value is None:
        raise ValueError(f"Target {target.key!r} of kind {target.kind!r} needs a value.")
    return target.value


def _s_label(s: tuple[int, ...] | None) -> str:
    return "any" if s is None else ", ".join(map(str, s))


def _join(*parts: str) -> str:
    return "; ".join(p for p in parts if p)
