"""Training histories -> learning-curve figures (supplement Figures II, III, IV and VII).

Each fold's ``folds/fold_KK_history.npz`` holds per-batch operator losses, per-step selector
losses and per-validation losses and accuracy. Folds stop at different batches (early
stopping), so at each batch the mean ± std is over the folds that reached it. Per-batch operator
losses are smoothed by a moving average (the window is in the axis label). The Phase I/II
boundary is a dashed line; several values of s of one dataset and method share the panels, as
in Figure IV.
"""

from __future__ import annotations

import logging
import zipfile
from dataclasses import dataclass
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
from matplotlib.axes import Axes  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from fir.report.cells import Cell  # noqa: E402

log = logging.getLogger(__name__)

HISTORY_FIELDS = (
    "operator_loss", "mopt_loss", "selector_batch", "selector_loss", "val_batch",
    "val_loss", "val_mopt_loss", "val_mopt_accuracy", "phase2_start",
)  # fmt: skip
SMOOTHING_POINTS = 200  # a curve is smoothed down to about this many independent points
# (panel title, x array (None: the batch index), y array, what one point is)
PANELS = (
    ("(a) selector loss", "selector_batch", "selector_loss", "selector steps"),
    ("(b) operator training loss, all masks", None, "operator_loss", "batches"),
    ("(c) operator training loss, $m_{opt}$", None, "mopt_loss", "batches"),
    ("(d) operator validation loss, all masks", "val_batch", "val_loss", "validations"),
    ("(e) operator validation loss, $m_{opt}$", "val_batch", "val_mopt_loss", "validations"),
    ("(f) validation accuracy, $m_{opt}$", "val_batch", "val_mopt_accuracy", "validations"),
)
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
               window: int = 1) -> Curve:  # fmt: skip
    """Mean ± std over folds of ``y_key`` against ``x_key`` (the batch index when None),
    each fold smoothed by a moving average of ``window`` points first."""
    xs, ys = [], []
    for h in histories:
        y = np.asarray(h[y_key], dtype=float)
        x = np.arange(len(y)) if x_key is None else np.asarray(h[x_key], dtype=int)
        xs.append(x)
        ys.append(moving_average(y, window))
    grid = np.unique(np.concatenate(xs)) if xs else np.array([], dtype=int)
    table = np.full((len(ys), len(grid)), np.nan)  # (n_folds, n_x)
    for row, x, y in zip(table, xs, ys, strict=True):
        row[np.searchsorted(grid, x)] = y
    finite = np.isfinite(table)
    n = finite.sum(axis=0)
    filled = np.where(finite, table, 0.0)
    mean = np.where(n > 0, filled.sum(axis=0) / np.maximum(n, 1), np.nan)
    var = np.where(finite, (table - mean) ** 2, 0.0).sum(axis=0) / np.maximum(n, 1)
    return Curve(grid, mean, np.where(n > 0, np.sqrt(var), np.nan), n)


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
    panel's y axis spans its Phase II values (its first steps are far larger)."""
    fig = Figure(figsize=(13.0, 6.6), layout="constrained")
    axes = fig.subplots(2, 3, sharex=True).ravel()
    notes: list[str] = []
    drawn = np.zeros(len(PANELS), dtype=bool)
    windows: dict[int, int] = {}
    phase2_curves: list[Curve] = []
    for k, cell in enumerate(cells):
        histories, unread = read_histories(cell)
        notes += unread
        if not histories:
            continue
        color, label = f"C{k % 10}", f"s = {cell.s} ({len(histories)} folds)"
        starts = sorted({int(h["phase2_start"]) for h in histories if h["phase2_start"] >= 0})
        for i, (ax, (_, x_key, y_key, _)) in enumerate(zip(axes, PANELS, strict=True)):
            window = max(1, max(len(h[y_key]) for h in histories) // SMOOTHING_POINTS)
            windows[i] = max(window, windows.get(i, 1))
            curve = fold_curve(histories, x_key, y_key, window)
            drawn[i] |= _draw(ax, curve, color, label)
            for start in starts:
                ax.axvline(start, color=color, ls="--", lw=0.8)
            if i == 0 and starts:
                phase2_curves.append(_after(curve, starts[0]))
    for i, (ax, (title, _, y_key, unit)) in enumerate(zip(axes, PANELS, strict=True)):
        smoothing = f" (moving average over {windows[i]} {unit})" if windows.get(i, 1) > 1 else ""
        ax.set_title(title, fontsize=9)
        ax.xaxis.set_tick_params(labelbottom=True)
        ax.set_xlabel("batch" + smoothing, fontsize=8)
        if not drawn[i]:
            ax.text(0.5, 0.5, NOT_RECORDED.get(y_key, "not recorded"), ha="center",
                    va="center", transform=ax.transAxes, fontsize=8)  # fmt: skip
    if _limit_to(axes[0], phase2_curves):
        axes[0].set_title(axes[0].get_title() + " (y range: Phase II)", fontsize=9)
    if drawn[0]:
        axes[0].legend(fontsize=7)
    first = cells[0]
    fig.suptitle(
        f"{first.dataset}, {first.label}: learning curves, mean ± std at each batch over the "
        "folds still training (dashed: start of Phase II)",
        fontsize=9,
    )
    return fig, notes


def _after(curve: Curve, start: int) -> Curve:
    keep = curve.x >= start
    return Curve(curve.x[keep], curve.mean[keep], curve.std[keep], curve.n[keep])


def _limit_to(ax: Axes, curves: list[Curve]) -> bool:
    """Set ``ax``'s y range to the bands of ``curves``; False when they hold no finite value."""
    low = [np.nanmin(c.mean - c.std) for c in curves if np.isfinite(c.mean).any()]
    high = [np.nanmax(c.mean + c.std) for c in curves if np.isfinite(c.mean).any()]
    if not low or max(high) <= min(low):
        return False
    pad = 0.1 * (max(high) - min(low))
    ax.set_ylim(min(low) - pad, max(high) + pad)
    return True


def _draw(ax: Axes, curve: Curve, color: str, label: str) -> bool:
    """Plot ``curve`` with its band; False when it has no finite value."""
    ok = np.isfinite(curve.mean)
    if not ok.any():
        return False
    ax.plot(curve.x[ok], curve.mean[ok], color=color, lw=0.9, label=label)
    ax.fill_between(curve.x[ok], (curve.mean - curve.std)[ok], (curve.mean + curve.std)[ok],
                    color=color, alpha=0.2, lw=0)  # fmt: skip
    return True
