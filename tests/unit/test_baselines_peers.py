"""Unit tests of issue 4's peer methods: STG, concrete, SAN, LassoNet and global LIME."""

from __future__ import annotations

import pickle

import numpy as np
import pytest

from fir.baselines.concrete import ConcreteSelector, distinct_assignment
from fir.baselines.lassonet_wrapper import LassoNetSelector
from fir.baselines.lime_global import LimeSelector, homogeneity_weighted
from fir.baselines.san import SANAggregateSelector, SANGlobalSelector
from fir.baselines.stg import STGSelector

TORCH = {"hidden": (8,), "epochs": 3, "patience": 2, "device": "cpu", "random_state": 0}
SAN = {"hidden": 8, "epochs": 3, "device": "cpu", "random_state": 0}
TINY = {
    "stg": lambda s: STGSelector(s, **TORCH),
    "concrete": lambda s: ConcreteSelector(s, **TORCH),
    "san_aggr": lambda s: SANAggregateSelector(s, **SAN),
    "san_global": lambda s: SANGlobalSelector(s, **SAN),
    "lassonet": lambda s: LassoNetSelector(
        s,
        hidden=(4,),
        lambda_start=1.0,
        path_multiplier=2.0,
        n_iters=(5, 3),
        patience=(2, 2),
        device="cpu",
        random_state=0,
    ),
    "lime": lambda s: LimeSelector(s, n_samples=30, n_instances=3, **TORCH),
}


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(80, 6))
    y = (X[:, 0] + X[:, 1] > 0).astype(int)
    return X, y


@pytest.mark.parametrize("name", sorted(TINY))
@pytest.mark.parametrize("target", ["classification", "regression"])
def test_exactly_s_features_and_ranking(name, target, data):
    X, y = data
    if target == "regression":
        y = X[:, 0] * X[:, 1] + X[:, 2]
    sel = TINY[name](3).fit(X, y)
    assert sel.get_support().sum() == 3
    assert sorted(sel.ranking_) == list(range(1, 7))
    assert set(np.flatnonzero(sel.ranking_ <= 3)) == set(np.flatnonzero(sel.get_support()))
    assert sel.feature_importances_.shape == (6,)
    assert np.isfinite(sel.feature_importances_).all()
    assert sel.transform(X).shape == (80, 3)
    pickle.dumps(sel)  # no generator left behind


@pytest.mark.parametrize("name", sorted(TINY))
@pytest.mark.parametrize("s", [6, 9, 0])
def test_bad_s_names_method_and_fix(name, s, data):
    X, y = data
    with pytest.raises(ValueError, match=rf"{name}: n_features_to_select={s} .*1 <= s < 6"):
        TINY[name](s).fit(X, y)


@pytest.mark.parametrize("name", sorted(TINY))
def test_bad_task_names_method(name, data):
    X, y = data
    sel = TINY[name](2).set_params(task="ranking")
    with pytest.raises(ValueError, match=rf"{name}: task='ranking' is not one of"):
        sel.fit(X, y)


@pytest.mark.parametrize("name", ["stg", "concrete", "san_aggr", "lassonet"])
def test_same_seed_same_result(name, data):
    X, y = data
    a, b = TINY[name](2).fit(X, y), TINY[name](2).fit(X, y)
    np.testing.assert_allclose(a.feature_importances_, b.feature_importances_)


def test_distinct_assignment_resolves_collisions():
    # nodes 0 and 1 both prefer feature 2; node 1 is more confident and keeps it.
    probs = np.array([[0.1, 0.3, 0.6, 0.0], [0.0, 0.05, 0.9, 0.05], [0.7, 0.1, 0.1, 0.1]])
    assert distinct_assignment(probs).tolist() == [1, 2, 0]
    # all nodes identical (a fully collapsed layer): still distinct, ties by node then index
    same = np.tile([[0.4, 0.3, 0.2, 0.1]], (3, 1))
    assert distinct_assignment(same).tolist() == [0, 1, 2]


def test_concrete_never_picks_a_feature_twice():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(120, 5))
    X[:, 1:] *= 1e-3  # one useful feature: every node is drawn to feature 0
    y = (X[:, 0] > 0).astype(int)
    for seed in range(3):
        sel = ConcreteSelector(4, hidden=(8,), epochs=4, device="cpu", random_state=seed).fit(X, y)
        assert len(set(sel.selected_features_.tolist())) == 4
        assert sel.get_support().sum() == 4
        assert set(sel.selected_features_) == set(np.flatnonzero(sel.support_))
        assert sel.feature_importances_.sum() == pytest.approx(4.0)
        assert sel.predict(X).shape == (120,)


def test_stg_and_san_importances_have_their_meaning(data):
    X, y = data
    stg = TINY["stg"](2).fit(X, y)
    mu = stg.net_[0].mu.detach().numpy()
    np.testing.assert_allclose(stg.feature_importances_, mu, rtol=1e-6)
    np.testing.assert_allclose(stg.gates_, np.clip(mu + 0.5, 0, 1), rtol=1e-6)
    san = TINY["san_global"](2).fit(X, y)
    assert san.feature_importances_.sum() == pytest.approx(1.0, abs=1e-5)  # a softmax


def test_homogeneity_weighting_hand_computed():
    # feature 0 matters only for class 0, feature 1 equally for both classes.
    w = np.array([[2.0, 1.0], [2.0, 1.0], [0.0, 1.0], [0.0, 1.0]])
    labels = np.array([0, 0, 1, 1])
    np.testing.assert_allclose(homogeneity_weighted(w, labels), [1.0 * 1.0, 0.0 * 1.0])
    np.testing.assert_allclose(homogeneity_weighted(w, np.zeros(4, int)), [1.0, 1.0])


def test_lime_rejects_bad_settings(data):
    X, y = data
    with pytest.raises(ValueError, match="aggregation='max' is invalid for LimeSelector"):
        TINY["lime"](2).set_params(aggregation="max").fit(X, y)
    with pytest.raises(ValueError, match="n_instances=0 is invalid for LimeSelector"):
        TINY["lime"](2).set_params(n_instances=0).fit(X, y)
    sel = TINY["lime"](2).fit(X, y)
    assert sel.explanations_.shape == (3, 6)
