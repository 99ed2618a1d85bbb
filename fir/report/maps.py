"""Image-dataset cells -> importance-map figures (Figure 3, supplement Figures V and VI).

Importances are read from ``features.csv`` and reshaped row-major to the ``image_shape`` of the
run's ``image_means.npz``; the class-mean images there are the backgrounds. Each map is
normalised by its largest absolute score (the paper normalises every method to one range).
Columns: the full map, the selected pixels, and the selection superimposed on each class's mean
image (``fir.imagemaps.superimpose``, supplement B.3); with more than ``MAX_BACKGROUNDS``
classes, on the mean of all class means instead. Colour bars give the importance scale and the
overlay's hue (``fir.imagemaps.overlay_colorbar``).
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
from matplotlib.axes import Axes  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from fir.imagemaps import labelled_colorbar, overlay_colorbar, superimpose  # noqa: E402
from fir.report.cells import Cell  # noqa: E402
from fir.report.figures import fold_scores  # noqa: E402
from fir.report.runs import ImageMeans  # noqa: E402
from fir.reporting import format_mean_std  # noqa: E402

MAX_BACKGROUNDS = 3
PANEL_INCHES = 1.6
CMAP = "RdBu_r"


def backgrounds(means: ImageMeans) -> dict[str, np.ndarray]:
    """The images to superimpose on, keyed by label."""
    if len(means.classes) <= MAX_BACKGROUNDS:
        return {f"on mean '{c}'": m for c, m in zip(means.classes, means.means, strict=True)}
    return {f"on mean of {len(means.classes)} classes": means.means.mean(axis=0)}


def _normalise(scores: np.ndarray) -> np.ndarray:
    top = np.nanmax(np.abs(scores)) if np.isfinite(scores).any() else 0.0
    return scores / top if top > 0 else scores


def _map_row(axes: list[Axes], scores: np.ndarray, selected: np.ndarray, means: ImageMeans) -> None:
    """Draw one row: full map, selected pixels, superimposed maps (scores normalised)."""
    shape = means.image_shape
    full = _normalise(scores).reshape(shape)
    chosen = np.where(selected.reshape(shape), full, np.nan)
    axes[0].imshow(full, cmap=CMAP, vmin=-1, vmax=1)
    axes[1].imshow(np.zeros(shape), cmap="gray", vmin=0, vmax=1)
    axes[1].imshow(chosen, cmap=CMAP, vmin=-1, vmax=1)
    for ax, background in zip(axes[2:], backgrounds(means).values(), strict=True):
        ax.imshow(superimpose(chosen.copy(), background))


def _map_grid(n_rows: int, means: ImageMeans) -> tuple[Figure, np.ndarray]:
    labels = ["full map", "selected", *backgrounds(means)]
    fig = Figure(
        figsize=(PANEL_INCHES * len(labels) + 0.8, PANEL_INCHES * n_rows + 0.7),
        layout="constrained",
    )
    axes = fig.subplots(n_rows, len(labels), squeeze=False)
    for ax, label in zip(axes[0], labels, strict=True):
        ax.set_title(label, fontsize=8)
    for ax in axes.ravel():
        ax.set_xticks([])
        ax.set_yticks([])
    return fig, axes


def _colorbar(fig: Figure, axes: np.ndarray) -> None:
    """The importance scale left of the first column, the overlay's hue right of the last."""
    labelled_colorbar(fig, axes[0, 0].images[0], list(axes[:, 0]), "normalised importance",
                      "left", fontsize=8)  # fmt: skip
    overlay_colorbar(fig, list(axes[:, 2:].ravel()), location="right", fontsize=8)


def methods_map_figure(cells: list[Cell]) -> Figure:
    """Figure 3 for one dataset and s: one row per method, its map averaged over folds; the
    selected pixels are those selected in at least one fold."""
    means = _means(cells[0])
    fig, axes = _map_grid(len(cells), means)
    for row, cell in zip(axes, cells, strict=True):
        scores, own = fold_scores(cell)
        _map_row(list(row), _nanmean(scores), _any_fold(cell), means)
        label = cell.label if own else f"{cell.label}\n(no scores:\nshare of folds)"
        row[0].set_ylabel(f"{label}\n{format_mean_std(cell.mean, cell.std, 3)}", fontsize=7)
    _colorbar(fig, axes)
    first = cells[0]
    title = f"{first.dataset_label}, s = {first.s}: importance maps, mean over folds"
    fig.suptitle(title, fontsize=9)
    return fig


def folds_map_figure(cell: Cell) -> Figure:
    """Supplement Figure V for one cell: one row per fold (of every pooled run), then the mean."""
    means = _means(cell)
    scores, _ = fold_scores(cell)
    labels = [f"seed {r.seed}, fold {k}" for r in cell.runs for k in range(r.n_folds)]
    fig, axes = _map_grid(len(labels) + 1, means)
    for row, fold_score, fold_sel, label, score in zip(
        axes, scores, cell.selected, labels, cell.scores, strict=False
    ):
        _map_row(list(row), fold_score, fold_sel, means)
        row[0].set_ylabel(f"{label}\n{cell.metric} {score:.3f}", fontsize=7)
    _map_row(list(axes[-1]), _nanmean(scores), _any_fold(cell), means)
    axes[-1, 0].set_ylabel(f"mean\n{format_mean_std(cell.mean, cell.std, 3)}", fontsize=7)
    _colorbar(fig, axes)
    fig.suptitle(f"{cell.dataset_label}, {cell.label}, s = {cell.s}: maps per fold", fontsize=9)
    return fig


def maps_by_s_figure(cells: list[Cell]) -> Figure:
    """Supplement Figure VI for one dataset and method: one column per s, the mean map (top)
    and the selected pixels superimposed on the mean image (bottom)."""
    means = _means(cells[0])
    background = means.means.mean(axis=0)
    fig = Figure(figsize=(PANEL_INCHES * len(cells) + 1.4, PANEL_INCHES * 2 + 0.8),
                 layout="constrained")  # fmt: skip
    axes = fig.subplots(2, len(cells), squeeze=False)
    for col, cell in zip(axes.T, cells, strict=True):
        scores, _ = fold_scores(cell)
        full = _normalise(_nanmean(scores)).reshape(means.image_shape)
        chosen = np.where(_any_fold(cell).reshape(means.image_shape), full, np.nan)
        col[0].imshow(full, cmap=CMAP, vmin=-1, vmax=1)
        col[1].imshow(superimpose(chosen, background))
        score = f"{cell.metric} {format_mean_std(cell.mean, cell.std, 3)}"
        col[0].set_title(f"s = {cell.s}\n{score}", fontsize=8)
    for ax in axes.ravel():
        ax.set_xticks([])
        ax.set_yticks([])
    axes[0, 0].set_ylabel("full map", fontsize=8)
    axes[1, 0].set_ylabel("selected, on mean image", fontsize=8)
    labelled_colorbar(fig, axes[0, 0].images[0], list(axes[0]), "normalised importance", "right")
    overlay_colorbar(fig, list(axes[1]), location="right")
    first = cells[0]
    fig.suptitle(f"{first.dataset_label}, {first.label}: maps for each s", fontsize=9)
    return fig


def _means(cell: Cell) -> ImageMeans:
    means = cell.image_means
    if means is None:
        raise ValueError(
            f"cell {cell.dataset}/{cell.label}/s={cell.s} has no image_means.npz: image maps "
            "need the class-mean images that fir-run writes for image datasets."
        )
    return means


def _nanmean(scores: np.ndarray) -> np.ndarray:
    """Column means over finite values; NaN for a column with none (no warning)."""
    finite = np.isfinite(scores)
    count = finite.sum(axis=0)
    total = np.where(finite, scores, 0.0).sum(axis=0)
    return np.where(count > 0, total / np.maximum(count, 1), np.nan)


def _any_fold(cell: Cell) -> np.ndarray:
    """(n_features,) bool: selected in at least one fold."""
    return np.asarray(np.any(cell.selected, axis=0), dtype=bool)
