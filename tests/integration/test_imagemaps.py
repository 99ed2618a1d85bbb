"""Importance maps of image datasets: figure keys, orientation and the B.3 colouring."""

from __future__ import annotations

import numpy as np
import pytest
from matplotlib.colors import rgb_to_hsv

from fir.data.base import Dataset
from fir.imagemaps import (
    MAX_HUE_DEG,
    class_mean_images,
    image_map_figures,
    overlay_colormap,
    superimpose,
)


def _images(n_per_class: int = 6) -> Dataset:
    """8 x 6 images: class 0 is bright in the top-left corner, class 1 in the bottom-right."""
    rng = np.random.default_rng(0)
    X = rng.uniform(0, 0.1, size=(2 * n_per_class, 8, 6))
    X[:n_per_class, :2, :2] = 1.0
    X[n_per_class:, -2:, -2:] = 1.0
    y = np.repeat([0, 1], n_per_class)
    return Dataset(
        name="toy",
        X=X.reshape(len(X), -1),
        y=y,
        task="classification",
        feature_names=[f"px{j}" for j in range(48)],
        image_shape=(8, 6),
    )


def test_keys_and_panels(tmp_path):
    ds = _images()
    rng = np.random.default_rng(1)
    importances = rng.normal(size=(3, 48))
    selected = np.zeros((3, 48), dtype=bool)
    selected[:, :5] = True
    figures = image_map_figures(ds, importances, selected)
    assert sorted(figures) == ["map_fold0", "map_fold1", "map_fold2", "map_mean"]
    fig = figures["map_mean"]
    titles = [ax.get_title() for ax in fig.axes if ax.get_title()]
    assert titles == ["full map", "selected (5)", "class 0", "class 1"]
    fig.savefig(tmp_path / "map_mean.png")
    assert (tmp_path / "map_mean.png").stat().st_size > 1000


def test_maps_are_row_major_and_upright():
    ds = _images()
    means = class_mean_images(ds)
    assert means["0"][0, 0] > 0.9 and means["0"][-1, -1] < 0.2  # top-left stays top-left
    importances = np.zeros((1, 48))
    importances[0, 0] = 1.0  # pixel (row 0, column 0)
    figures = image_map_figures(ds, importances, importances > 0)
    full = figures["map_fold0"].axes[0].get_images()[0].get_array()
    assert full.shape == (8, 6) and full[0, 0] == 1.0 and full.sum() == 1.0


def test_methods_without_scores_are_drawn_from_their_selection():
    """RFE, BAHSIC, mRMR and CCM rank without scores (NaN importances): their maps were
    blank. They show the selection, and over folds how often each pixel was chosen."""
    ds = _images()
    selected = np.zeros((2, 48), dtype=bool)
    selected[:, 0] = True  # both folds
    selected[0, 7] = True  # one fold
    figures = image_map_figures(ds, np.full((2, 48), np.nan), selected)
    mean = figures["map_mean"].axes[0].get_images()[0].get_array()
    assert mean[0, 0] == 1.0 and mean[1, 1] == 0.5 and np.nansum(mean) == 1.5
    fold = figures["map_fold1"].axes[0].get_images()[0].get_array()
    assert fold[0, 0] == 1.0 and fold[1, 1] == 0.0
    assert "selection shown" in figures["map_mean"]._suptitle.get_text()


def test_superimpose_follows_b3():
    background = np.linspace(0, 1, 12).reshape(3, 4)
    scores = np.full((3, 4), np.nan)
    scores[0, 0], scores[1, 1], scores[2, 2] = 2.0, 1.0, -1.0
    hsv = rgb_to_hsv(superimpose(scores, background))
    assert hsv[0, 0, 0] == pytest.approx(0.0)  # the top score is red
    assert hsv[1, 1, 0] * 360 == pytest.approx(MAX_HUE_DEG / 2)  # half the top: 135 degrees
    grey = np.ones((3, 4), dtype=bool)
    grey[0, 0] = grey[1, 1] = False
    assert np.allclose(hsv[grey][:, 1], 0)  # negative and unscored pixels: background only
    np.testing.assert_allclose(hsv[2, 3, 2], 1.0)  # value is the (normalised) background


def test_overlay_colour_bar_is_the_hue_scale_of_superimpose():
    """The overlay colour bar must read as superimpose draws: a score at a share of the top score
    has that share's colour (on a white background, the brightness of the bar)."""
    levels = np.array([0.05, 0.25, 0.5, 0.75, 1.0])
    scores = np.concatenate([[np.nan], levels * 3.0])[None, :]  # a dark pixel, then white ones
    background = np.concatenate([[0.0], np.ones(5)])[None, :]
    drawn = rgb_to_hsv(superimpose(scores, background))[0, 1:]
    bar = rgb_to_hsv(overlay_colormap()(levels)[:, :3])
    np.testing.assert_allclose(bar[:, 0], drawn[:, 0], atol=1 / 255)
    np.testing.assert_allclose(bar[:, 1:], drawn[:, 1:], atol=1e-6)


def _colour_bar_labels(fig) -> list[str]:
    return sorted(ax.get_xlabel() or ax.get_ylabel() for ax in fig.axes if not ax.get_title()
                  and (ax.get_xlabel() or ax.get_ylabel()))  # fmt: skip


def test_every_map_figure_has_an_importance_and_an_overlay_colour_bar():
    ds = _images()
    importances = np.random.default_rng(2).normal(size=(2, 48))
    figures = image_map_figures(ds, importances, importances > 1)
    assert _colour_bar_labels(figures["map_fold0"]) == ["importance", "overlay: score / top score"]
    assert _colour_bar_labels(figures["map_mean"]) == [
        "importance (mean over folds)",
        "overlay: score / top score",
    ]
    unscored = image_map_figures(ds, np.full((2, 48), np.nan), importances > 1)
    assert _colour_bar_labels(unscored["map_mean"])[0] == "overlay: score / top score"
    assert _colour_bar_labels(unscored["map_mean"])[1] == "share of folds selecting"


def test_rejects_bad_input():
    ds = _images()
    with pytest.raises(ValueError, match=r"\(n_folds, 48\)"):
        image_map_figures(ds, np.zeros((2, 47)), np.zeros((2, 47), dtype=bool))
    flat = Dataset("flat", ds.X, ds.y, "classification", ds.feature_names)
    with pytest.raises(ValueError, match="no image_shape"):
        image_map_figures(flat, np.zeros((1, 48)), np.zeros((1, 48), dtype=bool))


def test_yale_maps_are_upright(shared_data_dir, tmp_path):
    from fir.data.scikit_feature import load_yale

    ds = load_yale(shared_data_dir)
    backgrounds = class_mean_images(ds)
    assert len(backgrounds) == 15
    face = backgrounds["1"]
    # left-right mirror symmetry beats up-down symmetry in an upright face
    centred = face - face.mean()
    lr = (centred * centred[:, ::-1]).sum()
    ud = (centred * centred[::-1, :]).sum()
    assert lr > ud
    figures = image_map_figures(ds, np.ones((1, 1024)), np.ones((1, 1024), dtype=bool))
    assert len([ax for ax in figures["map_fold0"].axes if ax.get_images()]) == 17
