"""Records -> matplotlib Figures (Agg backend). Callers save them."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

# Figure 2's colours, the same in a run's importance.png and in fir-report's figures: a feature
# selected in every fold, in some folds, in none.
ALL_FOLDS, SOME_FOLDS, NO_FOLD = "#1f77b4", "#d62728", "#b0b0b0"


def fold_colors(selected_folds: np.ndarray, n_folds: int) -> list[str]:
    """The colour of each feature from the number of folds that selected it."""
    return [ALL_FOLDS if k == n_folds else SOME_FOLDS if k > 0 else NO_FOLD for k in selected_folds]


def plain(text: str) -> str:
    """``text`` drawn as written: a ``$`` (in a user's column name) would start mathtext, and
    an unbalanced one stops the figure from being drawn."""
    return str(text).replace("$", r"\$")


def importance_figure(summary: dict, max_features: int = 40, title: str | None = None) -> Figure:
    """Mean +- std feature importance over folds (the paper's Figure 2); for a method without
    scores (RFE, BAHSIC, CCM, mRMR, forward selection), the share of folds that selected each
    feature.

    Features selected in every fold are drawn in blue, in some folds in red, in none in grey
    (the colours of ``fir-report``'s Figure 2). With more than ``max_features`` features, the
    highest-scoring (or most often selected) ones are shown, in index order, and the y label
    says so.
    """
    n_folds = summary["n_folds"]
    scored = [f for f in summary["features"] if f["importance_mean"] is not None]
    feats = scored or list(summary["features"])
    rank_by = "importance_mean" if scored else "selected_folds"
    top = len(feats) > max_features
    if top:
        best = sorted(feats, key=lambda f: -f[rank_by])[:max_features]
        feats = sorted(best, key=lambda f: f["index"])
    fig, ax = plt.subplots(figsize=(max(4.0, 0.35 * len(feats) + 1.5), 3.2), layout="constrained")
    x = np.arange(len(feats))
    colors = fold_colors(np.array([f["selected_folds"] for f in feats]), n_folds)
    if scored:
        mean = np.array([f["importance_mean"] for f in feats])
        std = np.array([f["importance_std"] or 0.0 for f in feats])
        ax.bar(x, mean, yerr=std, color=colors, capsize=2, error_kw={"lw": 0.8})
        ax.axhline(0, color="black", lw=0.6)
        ylabel = "importance (mean ± std)"
    else:
        ax.bar(x, [f["selected_folds"] / n_folds for f in feats], color=colors)
        ax.set_ylim(0, 1.3)  # room for the legend above the bars of every fold
        ylabel = "share of folds selecting it\n(this method gives no scores)"
    if top:
        ylabel += f"\n(top {max_features} of {len(summary['features'])} features)"
    ax.set_xticks(x, [plain(f["name"]) for f in feats], rotation=90 if len(feats) > 12 else 0)
    ax.set_ylabel(ylabel, fontsize=8)
    test = summary["test"]
    ax.set_title(
        title
        or f"{plain(summary['dataset'])} · {summary['method']} · s={summary['s']} · "
        f"{summary['metric']} {test['mean']:.3f} ± {test['std']:.3f}",
        fontsize=9,
    )
    shown = set(colors)
    labels = {
        ALL_FOLDS: f"selected in all {n_folds} folds",
        SOME_FOLDS: "in some folds",
        NO_FOLD: "in no fold",
    }
    handles = [plt.Rectangle((0, 0), 1, 1, color=c) for c in labels if c in shown]
    ax.legend(handles, [labels[c] for c in labels if c in shown], fontsize=7, loc="best")
    return fig
