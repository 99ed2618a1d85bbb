"""Training histories -> learning-curve figures (supplement Figures II, III, IV and VII).

Each fold's ``folds/fold_KK_history.npz`` holds per-batch operator losses, per-step selector
losses and per-validation losses and accuracy. Folds stop at different batches (early
stopping), so at each batch the mean ± std is over the folds still training: each fold is
interpolated linearly between the batches it logged (never beyond its first and last one), and a
mean is drawn only where at least ``MIN_FOLD_SHARE`` of the folds contribute, so one fold's
extra last step is no point of its own. Per-batch operator losses are smoothed by a moving
average (the window is in the axis label). The Phase I/II boundary is a dashed line; several
values of s of one dataset and method share the panels, as in Figure IV. The selector panel's
y range spans the ``Y_PERCENTILES`` of all it draws (its first steps can be far larger).
"""

from __future__ import annotations

import logging
import math
import textwrap
import zipfile
from dataclasses import dataclass
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
from matplotlib.axes import Axes  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from fir.report.cells import Cell  # noqa: E402
from fir.report.palette import Style, distinct_styles  # noqa: E402

log = logging.getLogger(__name__)

HISTORY_FIELDS = (
    "operator_loss", "mopt_loss", "selector_batch", "selector_loss", "val_batch",
    "val_loss", "val_mopt_loss", "val_mopt_accuracy", "phase2_start",
)  # fmt: skip
SMOOTHING_POINTS = 200  # a curve is smoothed down to about this many independent points
MIN_FOLD_SHARE = 0.5  # a mean is drawn where at least this share of folds (rounded up) has one
Y_PERCENTILES = (1.0, 99.0)  # the selector panel's y range: these percentiles of what it draws
# (panel title, x array (None: the batch index), y array, what one point is, y axis label)
PANELS = (
    ("(a) selector loss", "selector_batch", "selector_loss", "selector steps", "selector loss"),
    ("(b) operator training loss, all masks", None, "operator_loss", "batches", "training loss"),
    ("(c) operator training loss, $m_{opt}$", None, "mopt_loss", "batches", "training loss"),
    ("(d) operator validation loss, all masks", "val_batch", "val_loss", "validations",
     "validation loss"),
    ("(e) operator validation loss, $m_{opt}$", "val_batch", "val_mopt_loss", "validations",
     "validation loss"),
    ("(f) validation accuracy, $m_{opt}$", "val_batch", "val_mopt_accuracy", "validations",
     "validation accuracy"),
)  # fmt: skip
NOT_RECORDED = {
    "val_loss": "not recorded: run with\nmethod.selector.val_masks=all",
    "val_mopt_accuracy": "no accuracy recorded\n(regression, or no validation)",
}


@dataclass
class Curve:
    """A curve's mean and std over folds at each x, and how many folds reached x."""

    x: np.ndarray
    mean: np.ndarray
    std: np.ndarray
    n: np.ndarray


def read_histories(cell: Cell) -> tuple[list[dict[str, np.ndarray]], list[str]]:
    """The histories of every fold of every run in ``cell``, and a note per unreadable file.

    A run's repeats (``Cell.repeats``: the same training) may stand in for it fold by fold: the
    first readable history that recorded the all-mask validation loss is taken, else the
    first readable one, so a repeat made for its learning curves is not wasted.
    """
    histories, notes = [], []
    for run in cell.runs:
        sources = [run, *(r for r, of in cell.repeats if of is run)]
        folds = sorted({fold for source in sources for fold in source.history_paths})
        for fold in folds:
            readable, errors = [], []
            for path in (src.history_paths[fold] for src in sources if fold in src.history_paths):
                try:
                    readable.append(_read_history(path))
                except (OSError, ValueError, KeyError, zipfile.BadZipFile) as exc:
                    errors.append(f"{path}: unreadable history ({exc})")
            fate = f"fold {fold} left out" if not readable else "a repeat's copy used"
            for error in errors:
                notes.append(f"{error}; {fate}")
                log.warning("%s", notes[-1])
            if readable:
                full = [h for h in readable if np.isfinite(h["val_loss"]).any()]
                histories.append((full or readable)[0])
    return histories, notes


def _read_history(path: Path) -> dict[str, np.ndarray]:
    with np.load(path) as npz:
        missing = [k for k in HISTORY_FIELDS if k not in npz.files]
        if missing:
            raise ValueError(f"lacks array(s) {', '.join(missing)}")
        return {k: np.asarray(npz[k]) for k in npz.files}


def fold_curve(histories: list[dict[str, np.ndarray]], x_key: str | None, y_key: str,
               window: int = 1, min_share: float = MIN_FOLD_SHARE) -> Curve:  # fmt: skip
    """Mean ± std over folds of ``y_key`` against ``x_key`` (the batch index when None),
    each fold smoothed by a moving average of ``window`` points first.

    The x values are the union of the folds' logged x; each fold is interpolated onto those
    within its own first and last x (``on_grid``). ``n`` counts the folds with a value at each
    x; mean and std are NaN where ``n`` is below ``min_share`` of the folds that have any value
    (rounded up, at least 1).
    """
    xs, ys = [], []
    for h in histories:
        y = np.asarray(h[y_key], dtype=float)
        x = np.arange(len(y)) if x_key is None else np.asarray(h[x_key], dtype=int)
        xs.append(x)
        ys.append(moving_average(y, window))
    grid = np.unique(np.concatenate(xs)) if xs else np.array([], dtype=int)
    table = np.full((len(ys), len(grid)), np.nan)  # (n_folds, n_x)
    for row, x, y in zip(table, xs, ys, strict=True):
        row[:] = on_grid(grid, x, y)
    finite = np.isfinite(table)
    n = finite.sum(axis=0)
    need = max(1, math.ceil(min_share * finite.any(axis=1).sum() - 1e-9))
    filled = np.where(finite, table, 0.0)
    mean = np.where(n >= need, filled.sum(axis=0) / np.maximum(n, 1), np.nan)
    var = np.where(finite, (table - mean) ** 2, 0.0).sum(axis=0) / np.maximum(n, 1)
    return Curve(grid, mean, np.where(n >= need, np.sqrt(var), np.nan), n)


def on_grid(grid: np.ndarray, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """``y`` (logged at ``x``) at each point of the sorted ``grid``: its own value where it was
    logged, linear between the two logged neighbours elsewhere (NaN next to a NaN), NaN before
    its first and after its last x."""
    out = np.full(len(grid), np.nan)
    if len(x) == 0:
        return out
    order = np.argsort(x, kind="stable")
    x, y = x[order], y[order]
    inside = (grid >= x[0]) & (grid <= x[-1])
    out[inside] = np.interp(grid[inside], x, y)
    out[np.searchsorted(grid, x)] = y
    return out


def moving_average(y: np.ndarray, window: int) -> np.ndarray:
    """Trailing mean of the finite values among the last ``window`` points (NaN where none)."""
    if window <= 1:
        return y
    finite = np.isfinite(y)
    total = np.cumsum(np.where(finite, y, 0.0))
    count = np.cumsum(finite)
    total[window:] = total[window:] - total[:-window]
    count[window:] = count[window:] - count[:-window]
    return np.where(finite & (count > 0), total / np.maximum(count, 1), np.nan)


def learning_curve_figure(cells: list[Cell]) -> tuple[Figure, list[str]]:
    """Figures II-IV for one dataset and method: six panels (``PANELS``), one line per s with a
    ±std band over folds; the notes list history files that could not be read. The selector
    panel's y axis spans ``Y_PERCENTILES`` of everything it draws, Phase I and II (its first
    steps can be far larger); its title says so when some of it is off the scale."""
    fig = Figure(figsize=(13.0, 6.6), layout="constrained")
    axes = fig.subplots(2, 3, sharex=True).ravel()
    notes: list[str] = []
    drawn = np.zeros(len(PANELS), dtype=bool)
    windows: dict[int, int] = {}
    selector_curves: list[Curve] = []
    styles = distinct_styles(len(cells))
    for k, cell in enumerate(cells):
        histories, unread = read_histories(cell)
        notes += unread
        if not histories:
            continue
        style, label = styles[k], f"s = {cell.s} ({len(histories)} folds)"
        starts = sorted({int(h["phase2_start"]) for h in histories if h["phase2_start"] >= 0})
        for i, (ax, (_, x_key, y_key, _, _)) in enumerate(zip(axes, PANELS, strict=True)):
            window = max(1, max(len(h[y_key]) for h in histories) // SMOOTHING_POINTS)
            windows[i] = max(window, windows.get(i, 1))
            curve = fold_curve(histories, x_key, y_key, window)
            drawn[i] |= _draw(ax, curve, style, label)
            for start in starts:
                ax.axvline(start, color=style.color, ls="--", lw=0.8)
            if i == 0:
                selector_curves.append(curve)
    for i, (ax, (title, _, y_key, unit, y_label)) in enumerate(zip(axes, PANELS, strict=True)):
        smoothing = f" (moving average over {windows[i]} {unit})" if windows.get(i, 1) > 1 else ""
        ax.set_title(title, fontsize=9)
        ax.xaxis.set_tick_params(labelbottom=True)
        ax.set_xlabel("batch" + smoothing, fontsize=8)
        ax.set_ylabel(y_label, fontsize=8)
        if not drawn[i]:
            ax.text(0.5, 0.5, NOT_RECORDED.get(y_key, "not recorded"), ha="center",
                    va="center", transform=ax.transAxes, fontsize=8)  # fmt: skip
    if _limit_to(axes[0], selector_curves):
        low, high = Y_PERCENTILES
        axes[0].set_title(f"{axes[0].get_title()} (y range: {low:g}-{high:g}th percentile)",
                          fontsize=9)  # fmt: skip
    if drawn[0]:
        axes[0].legend(fontsize=7)
    first = cells[0]
    fig.suptitle(
        textwrap.fill(
            f"{first.dataset_label}, {first.label}: learning curves, mean ± std over the folds "
            f"still training (at least {MIN_FOLD_SHARE:.0%} of them; each interpolated between its "
            "logged batches); dashed: start of Phase II",
            190,
        ),
        fontsize=9,
    )
    return fig, notes


def _limit_to(ax: Axes, curves: list[Curve]) -> bool:
    """Set ``ax``'s y range to ``Y_PERCENTILES`` of every value drawn for ``curves`` (means and
    band edges) with a 10% margin; True when some drawn value lies outside that range."""
    values = np.concatenate([np.concatenate([c.mean, c.mean - c.std, c.mean + c.std])
                             for c in curves] or [np.array([])])  # fmt: skip
    values = values[np.isfinite(values)]
    if not values.size:
        return False
    low, high = np.percentile(values, Y_PERCENTILES)
    pad = 0.1 * (high - low) if high > low else max(0.1 * abs(high), 0.05)
    ax.set_ylim(low - pad, high + pad)
    return bool(values.min() < low - pad or values.max() > high + pad)


def _draw(ax: Axes, curve: Curve, style: Style, label: str) -> bool:
    """Plot ``curve`` with its band; False when it has no finite value."""
    ok = np.isfinite(curve.mean)
    if not ok.any():
        return False
    ax.plot(curve.x[ok], curve.mean[ok], color=style.color, ls=style.linestyle, lw=0.9,
            label=label)  # fmt: skip
    ax.fill_between(curve.x[ok], (curve.mean - curve.std)[ok], (curve.mean + curve.std)[ok],
                    color=style.color, alpha=0.2, lw=0)  # fmt: skip
    return True
