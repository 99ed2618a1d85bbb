"""Records -> matplotlib Figures (Agg backend). Callers save them."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

SELECTED_COLOR = "#d62728"
OTHER_COLOR = "#7f7f7f"


def plain(text: str) -> str:
    """``text`` drawn as written: a ``$`` (in a user's column name) would start mathtext, and
    an unbalanced one stops the figure from being drawn."""
    return str(text).replace("$", r"\$")


def importance_figure(summary: dict, max_features: int = 40, title: str | None = None) -> Figure:
    """Mean +- std feature importance over folds (the paper's Figure 2).

    Features selected in every fold are drawn in red, the others in grey. With more than
    ``max_features`` features, the ones with the highest mean importance are shown.
    """
    feats = [f for f in summary["features"] if f["importance_mean"] is not None]
    n_folds = summary["n_folds"]
    if len(feats) > max_features:
        feats = sorted(feats, key=lambda f: -f["importance_mean"])[:max_features]
        feats = sorted(feats, key=lambda f: f["index"])
    fig, ax = plt.subplots(figsize=(max(4.0, 0.35 * len(feats) + 1.5), 3.2), layout="constrained")
    if not feats:
        ax.text(0.5, 0.5, "this method gives no importance scores", ha="center", va="center")
        ax.set_axis_off()
        return fig
    x = np.arange(len(feats))
    mean = np.array([f["importance_mean"] for f in feats])
    std = np.array([f["importance_std"] or 0.0 for f in feats])
    in_all = np.array([f["selected_folds"] == n_folds for f in feats])
    colors = np.where(in_all, SELECTED_COLOR, OTHER_COLOR)
    ax.bar(x, mean, yerr=std, color=colors, capsize=2, error_kw={"lw": 0.8})
    ax.axhline(0, color="black", lw=0.6)
    ax.set_xticks(x, [plain(f["name"]) for f in feats], rotation=90 if len(feats) > 12 else 0)
    ax.set_ylabel("importance (mean ± std)")
    test = summary["test"]
    ax.set_title(
        title
        or f"{plain(summary['dataset'])} · {summary['method']} · s={summary['s']} · "
        f"{summary['metric']} {test['mean']:.3f} ± {test['std']:.3f}",
        fontsize=9,
    )
    handles = [
        plt.Rectangle((0, 0), 1, 1, color=SELECTED_COLOR),
        plt.Rectangle((0, 0), 1, 1, color=OTHER_COLOR),
    ]
    ax.legend(handles, [f"selected in all {n_folds} folds", "otherwise"], fontsize=7, loc="best")
    return fig
