"""fir.report's bar and learning-curve figures on hand-made cells: layout, labels, bars chosen,
y ranges and the folds behind each drawn mean."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.text import Text

from fir.report import curves, figures
from fir.report.cells import Cell
from fir.report.runs import RunRecord

NAMES = ["X0", "X1", "X2", "X3", "X4", "X5"]


def cell(
    method: str,
    selected: list[list[int]],
    importances: list[list[float]] | None = None,
    *,
    s: int = 3,
    dataset: str = "xor",
    history_paths: dict[int, Path] | None = None,
) -> Cell:
    """A cell of one run over ``len(selected)`` folds and 6 features (no scores when
    ``importances`` is None); X0 and X1 are the relevant features."""
    n = len(selected)
    chosen = np.zeros((n, len(NAMES)), dtype=bool)
    for k, features in enumerate(selected):
        chosen[k, features] = True
    imp = np.full(chosen.shape, np.nan) if importances is None else np.array(importances, float)
    summary = {"dataset": dataset, "method": method, "s": s, "seed": 0, "metric": "accuracy",
               "n_folds": n, "test": {"per_fold": [0.9] * n}, "informative": [0, 1]}  # fmt: skip
    run = RunRecord(
        path=Path("/runs") / method, info={"config": {"seed": 0}}, summary=summary,
        folds=pd.DataFrame({"fit_time_s": [1.0] * n}), importances=imp, selected=chosen,
        feature_names=NAMES, history_paths=history_paths or {},
    )  # fmt: skip
    return Cell(dataset, method, s, None, [run])


def drawn(fig: Figure):
    """Draw ``fig`` on an Agg canvas; return its renderer."""
    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    return canvas.get_renderer()


def inside(fig: Figure, artist, renderer) -> bool:
    box, page = artist.get_window_extent(renderer), fig.bbox
    return (
        box.x0 >= page.x0 - 0.5
        and box.x1 <= page.x1 + 0.5
        and box.y0 >= page.y0 - 0.5
        and (box.y1 <= page.y1 + 0.5)
    )


def suptitle(fig: Figure) -> Text:
    return next(t for t in fig.findobj(Text) if t.get_text() == fig.get_suptitle())


def bar_names(ax) -> list[str]:
    return [label.get_text() for label in ax.get_xticklabels()]


SCORED = cell("dualnet", [[0, 1, 2], [0, 1, 3]], [[3, 2, 1, 0, 0, 0], [3, 2, 0, 1, 0, 0]])
UNSCORED = cell("mrmr", [[0, 1, 2], [0, 2, 4]])


def test_fig2_title_and_legend_are_inside_the_figure_with_one_panel():
    for cells in ([SCORED], [UNSCORED, SCORED]):
        fig = figures.synthetic_importance_figure(cells)
        renderer = drawn(fig)
        title = suptitle(fig)
        assert "relevant features in bold" in title.get_text().replace("\n", " ")
        assert inside(fig, title, renderer), title.get_text()
        (legend,) = fig.legends
        assert inside(fig, legend, renderer)
        for ax in fig.axes:
            if ax.axison:
                assert inside(fig, ax.title, renderer) and inside(fig, ax.yaxis.label, renderer)


def test_fig2_labels_each_panel_by_what_its_bars_are():
    fig = figures.synthetic_importance_figure([UNSCORED, SCORED])
    unscored, scored = (ax.get_ylabel() for ax in fig.axes if ax.axison)
    assert "share of folds" in unscored and scored == "normalised importance"
    text = fig.get_suptitle().replace("\n", " ")
    assert "methods without scores: share of folds" in text


def test_named_bars_put_features_selected_in_some_fold_before_those_in_none():
    # X5 is never selected but scores above X2 and X3 (each selected in one fold)
    scored = cell("dualnet", [[0, 1, 2], [0, 1, 3]], [[3, 2, 1, 0, 0, 2.5], [3, 2, 0, 1, 0, 2.5]])
    fig5 = figures.named_importance_figure([scored])
    (ax,) = [ax for ax in fig5.axes if ax.axison]
    assert bar_names(ax) == ["X0", "X1", "X2"]  # not X5: selected in a fold before importance
    scored.s = 4
    fig5 = figures.named_importance_figure([scored])
    assert bar_names(fig5.axes[0]) == ["X0", "X1", "X2", "X3"]
    figx = figures.importance_by_s_figure([scored])
    assert bar_names(figx.axes[0])[:4] == ["X0", "X1", "X2", "X3"]  # then X5, X4


def test_bar_figures_of_methods_without_scores_say_share_of_folds():
    unscored = cell("rfe", [[0, 1, 2], [0, 2, 4]], s=3, dataset="glass")
    for fig in (figures.named_importance_figure([unscored]),
                figures.importance_by_s_figure([unscored])):  # fmt: skip
        text = fig.get_suptitle().replace("\n", " ")
        assert "share of folds" in text and "mean ± std" not in text
        assert "share of folds" in fig.axes[0].get_ylabel()
        assert bar_names(fig.axes[0])[:3] == ["X0", "X2", "X1"]


def write_history(path: Path, steps: np.ndarray, loss: np.ndarray, phase2: int) -> Path:
    n = int(steps.max()) + 1
    val = np.array([phase2, n - 1])
    np.savez(path, operator_loss=np.linspace(1, 0.5, n), mopt_loss=np.full(n, 0.6),
             selector_batch=steps, selector_loss=loss, val_batch=val, val_loss=np.full(2, np.nan),
             val_mopt_loss=np.array([0.7, 0.6]), val_mopt_accuracy=np.array([0.5, 0.6]),
             phase2_start=np.array(phase2))  # fmt: skip
    return path


def test_selector_panel_shows_phase_one_and_every_panel_has_a_y_label(tmp_path):
    steps = np.arange(7, 96, 8)  # 12 selector steps, Phase II from batch 48
    small, large = np.linspace(0.07, 0.01, 6), np.linspace(0.6, 1.2, 6)
    paths = {k: write_history(tmp_path / f"h{k}.npz", steps, np.r_[small, large] * (1 + k / 10), 48)
             for k in range(2)}  # fmt: skip
    fig, notes = curves.learning_curve_figure([cell("dualnet", [[0], [0]], history_paths=paths)])
    assert notes == []
    selector = fig.axes[0]
    low, high = selector.get_ylim()
    (line,) = selector.get_lines()[:1]
    y = np.asarray(line.get_ydata(), float)
    assert low <= y.min() and y.max() <= high  # Phase I's 0.01-0.08 as well as Phase II
    assert "percentile" not in selector.get_title()  # nothing is off the scale
    assert all(ax.get_ylabel() for ax in fig.axes)
    assert [ax.get_ylabel() for ax in fig.axes] == [panel[4] for panel in curves.PANELS]


def test_selector_panel_leaves_a_few_huge_first_steps_off_the_scale(tmp_path):
    steps = np.arange(7, 1600, 8)  # 200 steps
    loss = np.r_[[500.0, 200.0], np.linspace(1.0, 0.1, 198)]
    paths = {0: write_history(tmp_path / "h.npz", steps, loss, 800)}
    fig, _ = curves.learning_curve_figure([cell("dualnet", [[0]], history_paths=paths)])
    low, high = fig.axes[0].get_ylim()
    assert high < 10 and low < 0.1
    assert "percentile" in fig.axes[0].get_title()


def test_fold_curve_interpolates_a_lone_extra_step_and_needs_half_the_folds():
    steps = np.array([7, 15, 23, 31, 39, 47, 55, 63, 71, 79, 87, 95])
    folds = [{"b": steps, "y": np.full(12, 1.0)} for _ in range(3)]
    folds.append({"b": np.r_[steps[:10], 80], "y": np.r_[np.full(10, 3.0), 3.0]})
    curve = curves.fold_curve(folds, "b", "y")
    at80 = curve.x.tolist().index(80)
    assert curve.n[at80] == 4  # the three others interpolated between 79 and 87
    assert curve.mean[at80] == curve.mean[at80 - 1] == 1.5  # no spike from the lone fold
    # a fold that trains on alone: no mean drawn from fewer than half of the folds
    folds[0] = {"b": np.r_[steps, 103, 111], "y": np.full(14, 1.0)}
    folds[1] = {"b": steps[:9], "y": np.full(9, 1.0)}
    curve = curves.fold_curve(folds, "b", "y")
    need = math.ceil(curves.MIN_FOLD_SHARE * len(folds))
    drawn_at = np.isfinite(curve.mean)
    assert (curve.n[drawn_at] >= need).all()
    assert curve.x[drawn_at].max() == 95 and curve.n[curve.x == 111] == 1


def test_a_runs_importance_png_colours_features_as_the_reports_figure_2():
    from matplotlib.colors import to_hex

    from fir.plotting import importance_figure

    feats = [
        {"index": j, "name": name, "selected_folds": k, "importance_mean": 1.0 - j / 10,
         "importance_std": 0.1}
        for j, (name, k) in enumerate(zip(NAMES, [2, 2, 1, 1, 0, 0], strict=True))
    ]  # fmt: skip
    summary = {"dataset": "xor", "method": "dualnet", "s": 3, "n_folds": 2, "metric": "accuracy",
               "test": {"mean": 0.9, "std": 0.0}, "features": feats}  # fmt: skip
    ax = importance_figure(summary).axes[0]
    bars = [to_hex(p.get_facecolor()) for p in ax.patches]
    report = [to_hex(c) for c in figures.selection_colors(SCORED, np.arange(6))]  # 2, 2, 1, 1, 0, 0
    all_some_none = [figures.ALL_FOLDS] * 2 + [figures.SOME_FOLDS] * 2 + [figures.NO_FOLD] * 2
    assert bars == report == all_some_none
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend == ["selected in all 2 folds", "in some folds", "in no fold"]


def test_a_runs_importance_png_without_scores_shows_the_share_of_folds():
    from fir.plotting import importance_figure

    feats = [
        {"index": j, "name": f"g{j}", "selected_folds": k, "importance_mean": None,
         "importance_std": None}
        for j, k in enumerate([0, 4, 2, 0] * 15)
    ]  # fmt: skip
    summary = {"dataset": "t", "method": "rfe", "s": 3, "n_folds": 4, "metric": "accuracy",
               "test": {"mean": 0.9, "std": 0.0}, "features": feats}  # fmt: skip
    ax = importance_figure(summary, max_features=30).axes[0]
    heights = [p.get_height() for p in ax.patches]
    assert len(heights) == 30 and heights.count(1.0) == 15 and heights.count(0.5) == 15
    assert "share of folds" in ax.get_ylabel() and "top 30 of 60" in ax.get_ylabel()


def test_fig4_gives_every_label_its_own_style_and_each_method_a_fixed_colour():
    from fir.report.palette import METHOD_COLORS, distinct_styles

    methods = ["dualnet", "dfs", "avgrad", "forward", "lasso", "random_forest", "rfe",
               "bahsic", "mrmr", "ccm", "stg", "concrete", "mine", "theirs"]  # fmt: skip
    cells = [cell(m, [[0, 1, 2]], s=s) for m in methods for s in (3, 4)]
    cells += [cell("dfs", [[0, 1, 2]], s=s) for s in (3, 4)]
    for c in cells[-2:]:
        c.profile = "tiny"  # "dfs [tiny]": dfs's colour, another line style
    fig = figures.metric_vs_s_figure({"xor": cells})
    lines = {ln.get_label(): ln for ln in fig.axes[0].get_lines()}
    assert len(lines) == len(methods) + 1
    styles = {(ln.get_color(), ln.get_linestyle()) for ln in lines.values()}
    assert len(styles) == len(lines)  # no two labels look alike
    assert lines["dualnet"].get_color() == METHOD_COLORS["dualnet"] == "#d62728"
    assert lines["dfs [tiny]"].get_color() == lines["dfs"].get_color()
    alone = figures.metric_vs_s_figure({"xor": [cell("dualnet", [[0, 1, 2]], s=s)
                                                for s in (3, 4)]})  # fmt: skip
    assert alone.axes[0].get_lines()[0].get_color() == "#d62728"  # the same in every report
    assert len({(s.color, s.linestyle) for s in distinct_styles(40)}) == 40


def test_fig4_has_one_legend_below_the_panels_and_none_over_a_curve():
    """Per-panel legends covered curves (enhancer-promoter, yale): one figure legend now names
    every method once, with its style; a method run at one s only is a marker without a line."""
    panels = {
        "xor": [cell(m, [[0, 1, 2]], s=s) for m in ("dualnet", "lasso") for s in (3, 4)]
        + [cell("dfs", [[0, 1, 2]], s=3)],
        "binary": [cell(m, [[0, 1, 2]], s=s, dataset="binary") for m in ("dualnet", "rfe")
                   for s in (3, 4)],
    }  # fmt: skip
    fig = figures.metric_vs_s_figure(panels)
    renderer = drawn(fig)
    assert all(ax.get_legend() is None for ax in fig.axes)
    (legend,) = fig.legends
    assert inside(fig, legend, renderer)
    handles = {t.get_text(): h for t, h in zip(legend.get_texts(), legend.legend_handles,
                                                strict=True)}  # fmt: skip
    assert sorted(handles) == ["dfs", "dualnet", "lasso", "rfe"]
    drawn_line = {ln.get_label(): ln for ax in fig.axes for ln in ax.get_lines()}
    assert handles["dualnet"].get_color() == drawn_line["dualnet"].get_color()
    assert handles["dfs"].get_linestyle() == "None" and handles["lasso"].get_linestyle() == "-"
    top = min(ax.get_window_extent(renderer).y0 for ax in fig.axes if ax.axison)
    assert legend.get_window_extent(renderer).y1 <= top  # below every panel


def test_fig4_ticks_are_whole_values_of_s():
    fig = figures.metric_vs_s_figure({"xor": [cell("dualnet", [[0, 1, 2]], s=s) for s in (3, 4)]})
    drawn(fig)
    ticks = [t for t in fig.axes[0].get_xticks() if 3 <= t <= 4]
    assert ticks and all(float(t).is_integer() for t in ticks)


def test_a_method_scoring_every_feature_0_shows_its_selection_as_share_of_folds():
    zeros = cell("lasso", [[0, 1, 2], [0, 1, 3]], [[0.0] * 6, [0.0] * 6])
    mean, std, own = figures.normalised_importance(zeros)
    assert not own and mean[:4].tolist() == [1.0, 1.0, 0.5, 0.5]
    fig = figures.synthetic_importance_figure([zeros, SCORED])
    labels = [ax.get_ylabel() for ax in fig.axes if ax.axison]
    assert labels == [figures.SHARE_LABEL, figures.IMPORTANCE_LABEL]
