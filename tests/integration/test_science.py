"""Science (slow): the dual-net recovers the informative features of the synthetic problems."""

import numpy as np
import pytest

from fir import DualNetSelector
from fir.data.synthetic import load_binary, load_regression, load_xor

# Paper budgets except Phase I and the batch budget, halved to keep the test near a minute.
BUDGET = dict(phase2_start=3000, max_batches=8000, device="cpu")


@pytest.mark.slow
@pytest.mark.parametrize(
    ("loader", "hidden", "relevant"),
    [
        (load_xor, (60, 30, 20), [0, 1, 2]),
        (load_regression, (100, 50, 25), [0, 1, 2, 3]),
        (load_binary, (60, 30, 20), [0, 1, 2, 3]),
    ],
)
def test_dual_net_recovers_the_relevant_features(loader, hidden, relevant):
    data = loader(n_folds=1, seed=0)
    split = data.splits[0]
    sel = DualNetSelector(5, operator_hidden=hidden, random_state=0, **BUDGET)
    sel.fit(
        data.X[split.train], data.y[split.train], X_val=data.X[split.val], y_val=data.y[split.val]
    )
    chosen = set(np.flatnonzero(sel.support_))
    assert set(relevant) <= chosen
    noise = np.setdiff1d(np.arange(10), relevant)
    assert sel.feature_importances_[relevant].min() > sel.feature_importances_[noise].max()


@pytest.mark.slow
@pytest.mark.parametrize("random_state", [1, 184])
def test_selector_bias_init_target_mean_recovers_xor_where_zero_init_fails(random_state):
    """The two random states (of 300) whose selectors start farthest from the XOR loss
    (scripts/selector_bias_init.py): from a zero output bias their fits end without X0-X2
    (checked when this test was written: selected [1, 6, 7, 8, 9] and [0, 1, 3, 4, 5]);
    starting the output at the first targets' mean, they find them, at the paper's budgets."""
    data = load_xor(n_folds=5, seed=0)
    split = data.splits[0]
    sel = DualNetSelector(
        5, random_state=random_state, selector_bias_init="target_mean", device="cpu"
    )
    sel.fit(
        data.X[split.train], data.y[split.train], X_val=data.X[split.val], y_val=data.y[split.val]
    )
    assert {0, 1, 2} <= set(np.flatnonzero(sel.support_))
    assert sel.score(data.X[split.test], data.y[split.test]) > 0.55
