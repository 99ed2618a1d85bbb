"""Cells -> the paper's bar and curve figures (Figures 2, 4, 5, VIII, IX, X).

Importance scores are normalised per method (divided by the largest absolute mean score, as the
paper does). A method that gives no scores gets an equal score of 1 for each feature it selected
in a fold, so its bar is the fraction of folds that selected the feature (the paper's "equal FIR
score ... for methods without FIR"); its axis reads "share of folds". So does a method whose
scores are all exactly 0 (e.g. a lasso with every coefficient 0): its selection is still shown.
Lines (Figure 4) take each method's fixed colour (``fir.report.palette``). Colours follow Figure 2:
blue = selected in every fold, red = in some folds, grey = in none. Every bar figure draws a
method's top features as Figure 2 does: most often selected first, then by importance.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402
from matplotlib.patches import Patch  # noqa: E402
from matplotlib.ticker import MaxNLocator  # noqa: E402

from fir.plotting import ALL_FOLDS, NO_FOLD, SOME_FOLDS, fold_colors, plain  # noqa: E402
from fir.report.cells import Cell, mean_std  # noqa: E402
from fir.report.palette import method_styles  # noqa: E402
from fir.reporting import format_mean_std  # noqa: E402

MAX_BARS = 60  # features per panel of the named-feature bar figures (Figures 5, IX)
TOP_ACROSS_S = 40  # features per panel when comparing values of s (Figure X)
MAX_COLUMNS = 5
FIGURE_DPI = 150
MIN_GRID_WIDTH = 5.4  # inches: Figure 2's one-row legend and wrapped title fit even with 1 panel
TITLE_CHARS_PER_INCH = 14  # characters of a 9 pt suptitle per inch of figure width (wrapping)
IMPORTANCE_LABEL, SHARE_LABEL = "normalised importance", "share of folds (no scores)"


def save_figure(fig: Figure, out_dir: Path, stem: str) -> list[Path]:
    """Save ``fig`` as ``<stem>.png`` and ``<stem>.pdf`` in ``out_dir``; return the paths."""
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = [out_dir / f"{stem}.{ext}" for ext in ("png", "pdf")]
    for path in paths:
        fig.savefig(path, dpi=FIGURE_DPI)
    return paths


def fold_scores(cell: Cell) -> tuple[np.ndarray, bool]:
    """(n_folds, d) scores of every fold, and whether they are the method's own scores (False:
    1 for each selected feature, 0 otherwise, for methods that give no scores, or only 0)."""
    imp = cell.importances
    finite = imp[np.isfinite(imp)]
    if finite.size and np.any(finite != 0):
        return imp, True
    return cell.selected.astype(float), False


def normalised_importance(cell: Cell) -> tuple[np.ndarray, np.ndarray, bool]:
    """Per-feature (mean, std) over folds divided by the largest |mean|, and whether these are
    the method's own scores. Without scores: the share of folds selecting each feature, with a
    std of 0 (not normalised, so a feature selected in every fold reads 1)."""
    scores, own = fold_scores(cell)
    stats = np.array([mean_std(col) for col in scores.T])  # (d, 2)
    mean, std = stats[:, 0], stats[:, 1]
    if not own:
        return mean, np.zeros_like(mean), own
    top = np.nanmax(np.abs(mean)) if np.isfinite(mean).any() else 0.0
    scale = top if top > 0 else 1.0
    return mean / scale, std / scale, own


def top_features(cell: Cell, mean: np.ndarray, n_top: int) -> np.ndarray:
    """Indices of the ``n_top`` features to draw: most often selected first, then by ``mean``
    (NaN last), then by index."""
    order = np.lexsort((-np.nan_to_num(mean, nan=-np.inf), -cell.selected.sum(axis=0)))
    return order[: min(n_top, len(order))]


def value_label(own: bool) -> str:
    """What a bar's height is: the normalised importance, or (no scores) the share of folds."""
    return IMPORTANCE_LABEL if own else SHARE_LABEL


def bars_show(cells: list[Cell]) -> str:
    """The suptitle's words for what the bars of ``cells`` show."""
    own = {fold_scores(cell)[1] for cell in cells}
    if own == {True}:
        return "mean ± std over folds"
    if own == {False}:
        return "share of folds selecting each feature"
    return "mean ± std over folds; methods without scores: share of folds"


def set_suptitle(fig: Figure, text: str, fontsize: float = 9) -> None:
    """``fig``'s suptitle, wrapped to the figure's width so that no part of it is cut off."""
    chars = max(30, int(fig.get_figwidth() * TITLE_CHARS_PER_INCH * 9 / fontsize))
    fig.suptitle(textwrap.fill(text, chars), fontsize=fontsize)


def selection_colors(cell: Cell, features: np.ndarray) -> list[str]:
    """Figure 2's colour of each feature: selected in all, some or no folds."""
    return fold_colors(cell.selected[:, features].sum(axis=0), cell.n_folds)


def legend_handles(n_folds_label: str = "every fold") -> list[Patch]:
    return [
        Patch(color=ALL_FOLDS, label=f"selected in {n_folds_label}"),
        Patch(color=SOME_FOLDS, label="selected in some folds"),
        Patch(color=NO_FOLD, label="selected in no fold"),
    ]


def _grid(n_panels: int, width: float, height: float, n_cols: int = MAX_COLUMNS,
          min_width: float = 0.0):  # fmt: skip
    """A constrained-layout Figure with ``n_panels`` axes in rows of at most ``n_cols``, each
    ``width`` wide, the figure at least ``min_width`` wide."""
    n_cols = max(1, min(n_cols, n_panels))
    n_rows = -(-n_panels // n_cols)
    fig = Figure(figsize=(max(width * n_cols, min_width), height * n_rows + 0.8),
                 layout="constrained")  # fmt: skip
    axes = fig.subplots(n_rows, n_cols, squeeze=False).ravel()
    for ax in axes[n_panels:]:
        ax.set_axis_off()
    return fig, axes[:n_panels]


def _score_label(cell: Cell) -> str:
    return f"{cell.metric} {format_mean_std(cell.mean, cell.std, 3)}"


def synthetic_importance_figure(cells: list[Cell]) -> Figure:
    """Figure 2 for one dataset and s: per method, the normalised importance of its top-s
    features (most often selected first, then by importance), relevant features in bold. Each
    panel's y axis says what its bars are (importance, or share of folds without scores)."""
    fig, axes = _grid(len(cells), 2.6, 2.5, min_width=MIN_GRID_WIDTH)
    for ax, cell in zip(axes, cells, strict=True):
        mean, std, own = normalised_importance(cell)
        top = top_features(cell, mean, cell.s)
        x = np.arange(len(top))
        ax.bar(x, mean[top], yerr=std[top] if own else None, color=selection_colors(cell, top),
               capsize=2, error_kw={"lw": 0.7})  # fmt: skip
        ax.axhline(0, color="black", lw=0.6)
        low, high = np.nan_to_num(mean[top] - std[top]), np.nan_to_num(mean[top] + std[top])
        ax.set_ylim(min(-0.2, float(low.min()) - 0.05), max(1.2, float(high.max()) + 0.05))
        ax.set_xticks(x, [plain(cell.feature_names[j]) for j in top], fontsize=8)
        for label, j in zip(ax.get_xticklabels(), top, strict=True):
            if cell.informative and j in cell.informative:
                label.set_fontweight("bold")
        ax.set_title(f"{cell.label}\n{_score_label(cell)}", fontsize=8)
        ax.set_ylabel(value_label(own), fontsize=8)
    first = cells[0]
    bold = "; relevant features in bold" if first.informative else ""
    set_suptitle(fig, f"{first.dataset_label}, s = {first.s}: top-{first.s} features per method "
                      f"({bars_show(cells)}{bold})")  # fmt: skip
    fig.legend(handles=legend_handles(), loc="outside lower center", ncols=3, fontsize=7)
    return fig


def metric_vs_s_figure(panels: dict[str, list[Cell]]) -> Figure:
    """Figures 4 and VIII: per dataset, the test metric against s, one line per method with a
    ±std band over folds (a method run at one s only is a point with an error bar). One legend
    below the panels names every method (a method has one style in every panel), so no legend
    covers a curve."""
    fig, axes = _grid(len(panels), 3.6, 2.9, n_cols=3)
    styles = method_styles([c.label for cells in panels.values() for c in cells])
    lines = set()  # labels drawn as a line in some panel; the others are points only
    for ax, (dataset, cells) in zip(axes, panels.items(), strict=True):
        for method in sorted({c.label for c in cells}):
            mine = sorted((c for c in cells if c.label == method), key=lambda c: c.s)
            s = np.array([c.s for c in mine])
            mean = np.array([c.mean for c in mine])
            std = np.array([c.std for c in mine])
            style = styles[method]
            if len(mine) == 1:
                ax.errorbar(s, mean, yerr=std, fmt=style.marker, color=style.color, capsize=3,
                            label=method)  # fmt: skip
                continue
            ax.plot(s, mean, marker=style.marker, ls=style.linestyle, color=style.color, ms=3,
                    label=method)  # fmt: skip
            lines.add(method)
            ax.fill_between(s, mean - std, mean + std, color=style.color, alpha=0.2, lw=0)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))  # s is a count
        ax.set_title(dataset, fontsize=9)
        ax.set_xlabel("s (features selected)")
        ax.set_ylabel(f"test {cells[0].metric} (mean ± std)")
    handles = [
        Line2D([], [], color=style.color, ls=style.linestyle if label in lines else "none",
               marker=style.marker, ms=4, label=label)
        for label, style in styles.items()
    ]  # fmt: skip
    fig.legend(handles=handles, loc="outside lower center", ncols=min(len(handles), 6),
               fontsize=7)  # fmt: skip
    set_suptitle(fig, "Test metric against the number of selected features")
    return fig


def _bars(ax, cell: Cell, n_top: int, title: str) -> None:
    """Vertical bars of ``cell``'s ``n_top`` top features (``top_features``), names below."""
    mean, std, own = normalised_importance(cell)
    order = top_features(cell, mean, n_top)
    x = np.arange(len(order))
    ax.bar(x, mean[order], yerr=std[order] if own else None, color=selection_colors(cell, order),
           capsize=1.5, error_kw={"lw": 0.5})  # fmt: skip
    ax.axhline(0, color="black", lw=0.6)
    ax.set_xticks(x, [plain(cell.feature_names[j]) for j in order], rotation=90, fontsize=6)
    ax.set_xlim(-0.7, len(order) - 0.3)
    ax.set_ylabel(value_label(own), fontsize=7)
    ax.set_title(title, fontsize=8)


def named_importance_figure(cells: list[Cell]) -> Figure:
    """Figures 5 and IX for one dataset and s: one row per method, the normalised importance
    of its top-s features (at most ``MAX_BARS``, chosen as in Figure 2) with their names."""
    n_top = min(cells[0].s, MAX_BARS, len(cells[0].feature_names))
    fig = Figure(figsize=(max(6.0, 0.16 * n_top + 1.5), 2.6 * len(cells) + 0.6),
                 layout="constrained")  # fmt: skip
    axes = fig.subplots(len(cells), 1, squeeze=False).ravel()
    for ax, cell in zip(axes, cells, strict=True):
        _bars(ax, cell, n_top, f"{cell.label}: {_score_label(cell)}")
    first = cells[0]
    set_suptitle(fig, f"{first.dataset_label}, s = {first.s}: top-{n_top} features per method "
                      f"({bars_show(cells)})")  # fmt: skip
    fig.legend(handles=legend_handles(), loc="outside lower center", ncols=3, fontsize=7)
    return fig


def importance_by_s_figure(cells: list[Cell]) -> Figure:
    """Figure X for one dataset and method: one row per s, the top ``TOP_ACROSS_S`` features
    (chosen as in Figure 2)."""
    n_top = min(TOP_ACROSS_S, len(cells[0].feature_names))
    fig = Figure(figsize=(max(6.0, 0.16 * n_top + 1.5), 2.6 * len(cells) + 0.6),
                 layout="constrained")  # fmt: skip
    axes = fig.subplots(len(cells), 1, squeeze=False).ravel()
    for ax, cell in zip(axes, cells, strict=True):
        _bars(ax, cell, n_top, f"s = {cell.s}: {_score_label(cell)}")
    first = cells[0]
    set_suptitle(fig, f"{first.dataset_label}, {first.label}: top-{n_top} features at each s "
                      f"({bars_show(cells)})")  # fmt: skip
    fig.legend(handles=legend_handles(), loc="outside lower center", ncols=3, fontsize=7)
    return fig
