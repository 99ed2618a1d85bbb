"""Feature importance maps for image datasets (paper Figure 3, supplement B.3).

For each fold, and for the mean over folds, one figure with
* the full importance map (every pixel's score; red > 0 > blue, symmetric around 0),
* the selected-features map (the scores of the selected pixels only),
* the selected-features map superimposed on each class's mean image (supplement B.3): in HSV,
  the hue (0 to 270 degrees, red = most important) encodes the normalised importance, the value
  is the mean image; pixels with no positive score keep the grey background.

Each figure has two colour bars: the importance of the first two panels, and the overlay's hue.

Methods with no importance scores are drawn from their selection (the map of the mean over
folds is then how often each pixel was selected).
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
from matplotlib.cm import ScalarMappable  # noqa: E402
from matplotlib.colors import ListedColormap, Normalize, hsv_to_rgb  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from fir.data.base import Dataset  # noqa: E402

MAX_HUE_DEG = 270.0  # supplement B.3: the hue spans [0, 270] degrees
MIN_VALUE = 0.35  # coloured pixels on a black background would be invisible at value 0
PANEL_INCHES = 1.9
MAX_COLUMNS = 6


def image_map_figures(
    dataset: Dataset, importances: np.ndarray, selected_masks: np.ndarray
) -> dict[str, Figure]:
    """Importance-map figures, keyed by file stem: ``map_fold<k>`` per fold and ``map_mean``.

    Parameters
    ----------
    dataset : a dataset with ``image_shape``; its class-mean images are the backgrounds
    importances : (n_folds, n_features) scores, larger = more important; a fold whose scores
        are all NaN (a method with no scores) is drawn from its selection
    selected_masks : (n_folds, n_features) bool, the features each fold selected

    Returns
    -------
    dict mapping a file stem to a Figure; the caller saves and closes them.
    """
    if dataset.image_shape is None:
        raise ValueError(f"dataset {dataset.name!r} has no image_shape: it has no image maps.")
    importances = np.atleast_2d(np.asarray(importances, dtype=float))
    selected = np.atleast_2d(np.asarray(selected_masks, dtype=bool))
    expected = (importances.shape[0], dataset.n_features)
    if importances.shape != expected or selected.shape != expected:
        raise ValueError(
            f"importances {importances.shape} and selected_masks {selected.shape} must both be "
            f"(n_folds, {dataset.n_features}) for dataset {dataset.name!r}."
        )
    backgrounds = class_mean_images(dataset)
    # A method that gives an order but no score (RFE, BAHSIC, mRMR, CCM) has NaN importances:
    # its maps show the selection instead (1 = selected; over folds, the share of folds).
    unscored = ~np.isfinite(importances).any(axis=1)
    importances = np.where(unscored[:, None], selected.astype(float), importances)
    note = " · no importance scores: selection shown"
    figures = {}
    for k in range(len(importances)):
        title = f"{dataset.name} · fold {k} · {int(selected[k].sum())} selected"
        title += note if unscored[k] else ""
        figures[f"map_fold{k}"] = _map_figure(
            dataset, importances[k], selected[k], backgrounds, title,
            "selected" if unscored[k] else "importance",
        )  # fmt: skip
    mean = np.nanmean(importances, axis=0) if np.isfinite(importances).any() else importances[0]
    any_fold = selected.any(axis=0)
    title = (
        f"{dataset.name} · mean over {len(importances)} fold(s) · "
        f"{int(any_fold.sum())} pixels selected in at least one fold"
    ) + (note if unscored.all() else "")
    label = "share of folds selecting" if unscored.all() else "importance (mean over folds)"
    figures["map_mean"] = _map_figure(dataset, mean, any_fold, backgrounds, title, label)
    return figures


def class_mean_images(dataset: Dataset) -> dict[str, np.ndarray]:
    """The mean image of each class (the whole data for regression), in row-major pixels."""
    shape = dataset.image_shape
    if dataset.task != "classification":
        return {"all": dataset.X.mean(axis=0).reshape(shape)}
    return {
        str(c): dataset.X[dataset.y == c].mean(axis=0).reshape(shape) for c in np.unique(dataset.y)
    }


def superimpose(scores: np.ndarray, background: np.ndarray) -> np.ndarray:
    """RGB image (h, w, 3): positive ``scores`` as hue over a grey ``background`` (B.3).

    Scores are divided by their maximum; 1 maps to hue 0 (red), a score near 0 to 270 degrees
    (violet). Pixels whose score is not positive (or NaN) show the background only.
    """
    span = np.ptp(background)
    value = (background - background.min()) / span if span > 0 else np.zeros_like(background)
    positive = np.nan_to_num(scores, nan=0.0) > 0
    top = scores[positive].max() if positive.any() else 1.0
    level = np.where(positive, np.nan_to_num(scores, nan=0.0) / top, 0.0)
    hsv = np.stack(
        [
            (1.0 - level) * MAX_HUE_DEG / 360.0,
            positive.astype(float),
            np.where(positive, np.maximum(value, MIN_VALUE), value),
        ],
        axis=-1,
    )  # (h, w, 3)
    return hsv_to_rgb(hsv)


def overlay_colormap() -> ListedColormap:
    """The hue scale of ``superimpose`` at full brightness: 0 (violet) to 1 (red)."""
    level = np.linspace(0.0, 1.0, 256)
    hsv = np.stack(
        [(1.0 - level) * MAX_HUE_DEG / 360.0, np.ones_like(level), np.ones_like(level)], axis=-1
    )
    return ListedColormap(hsv_to_rgb(hsv), name="fir_overlay")


def labelled_colorbar(
    fig: Figure, mappable, axes, label: str, location: str, fontsize: float = 7
) -> None:
    """A colour bar of ``mappable`` beside ``axes``, its label and ticks at ``fontsize``."""
    aspect = 30 if location in ("top", "bottom") else 20
    bar = fig.colorbar(mappable, ax=axes, location=location, shrink=0.8, aspect=aspect)
    bar.set_label(label, fontsize=fontsize)
    bar.ax.tick_params(labelsize=fontsize)


def overlay_colorbar(fig: Figure, axes, location: str = "bottom", fontsize: float = 7) -> None:
    """A colour bar for the superimposed panels ``axes``: the hue of ``superimpose``."""
    overlay = ScalarMappable(Normalize(0.0, 1.0), overlay_colormap())
    labelled_colorbar(fig, overlay, axes, "overlay: score / top score", location, fontsize)


def _map_figure(
    dataset: Dataset,
    scores: np.ndarray,
    selected: np.ndarray,
    backgrounds: dict[str, np.ndarray],
    title: str,
    value_label: str,
) -> Figure:
    shape = dataset.image_shape
    full = scores.reshape(shape)
    chosen = np.where(selected, scores, np.nan).reshape(shape)
    n_panels = 2 + len(backgrounds)
    n_cols = min(MAX_COLUMNS, n_panels)
    n_rows = -(-n_panels // n_cols)
    fig = Figure(figsize=(PANEL_INCHES * n_cols, PANEL_INCHES * n_rows + 0.5), layout="constrained")
    axes = fig.subplots(n_rows, n_cols, squeeze=False).ravel()
    limit = float(np.nanmax(np.abs(full))) if np.isfinite(full).any() else 1.0
    axes[0].imshow(full, cmap="RdBu_r", vmin=-limit, vmax=limit)
    axes[0].set_title("full map", fontsize=8)
    axes[1].imshow(np.zeros(shape), cmap="gray", vmin=0, vmax=1)
    axes[1].imshow(chosen, cmap="RdBu_r", vmin=-limit, vmax=limit)
    axes[1].set_title(f"selected ({int(selected.sum())})", fontsize=8)
    for ax, (label, background) in zip(axes[2:], backgrounds.items(), strict=False):
        ax.imshow(superimpose(chosen.copy(), background))
        ax.set_title(f"class {label}", fontsize=8)
    for ax in axes:
        ax.set_xticks([])
        ax.set_yticks([])
    for ax in axes[n_panels:]:
        ax.set_axis_off()
    labelled_colorbar(fig, axes[0].images[0], list(axes[:2]), value_label, "bottom")
    overlay_colorbar(fig, list(axes[2:n_panels]))
    fig.suptitle(title, fontsize=9)
    return fig
