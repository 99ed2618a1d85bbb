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
