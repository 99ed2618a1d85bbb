"""Greedy forward selection with an MLP wrapper (paper's FS baseline)."""

from __future__ import annotations

import logging
from collections.abc import Sequence

import numpy as np
from sklearn.base import clone
from sklearn.model_selection import train_test_split
from sklearn.utils.validation import validate_data

from fir.baselines.base import (
    BaseSelector,
    check_s,
    order_from_scores,
    resolve_task,
)
from fir.baselines.models import make_mlp
from fir.checks import check_validation, restores_on_failure, validate_xy
from fir.metrics import task_score

log = logging.getLogger(__name__)


class ForwardSelector(BaseSelector):
    """Greedy forward selection: add, one at a time, the feature whose addition gives the best
    validation score of an MLP trained on the selected columns.

    Earlier picks rank higher (``ranking_`` is the order of selection; the features never
    picked follow by their score in the last round). No per-feature score:
    ``feature_importances_`` is NaN. Validation uses ``(X_val, y_val)`` when ``fit`` gets
    them, else a held-out ``validation_fraction`` of the training data.

    Parameters
    ----------
    n_features_to_select : int or None, default=None
        ``s``; None selects half the features.
    task : {"auto", "classification", "regression"}, default="auto"
    hidden : sequence of int, default=(60, 30, 20)
        Hidden sizes of the wrapped MLP (sigmoid, Adam, early stopping;
        :func:`fir.baselines.models.make_mlp`).
    max_iter : int, default=500
        Epoch budget of each wrapped MLP.
    validation_fraction : float, default=0.2
    random_state : int or None
    """

    method_name = "forward"

    def __init__(
        self,
        n_features_to_select: int | None = None,
        *,
        task: str = "auto",
        hidden: Sequence[int] = (60, 30, 20),
        max_iter: int = 500,
        validation_fraction: float = 0.2,
        random_state: int | None = None,
    ) -> None:
        self.n_features_to_select = n_features_to_select
        self.task = task
        self.hidden = hidden
        self.max_iter = max_iter
        self.validation_fraction = validation_fraction
        self.random_state = random_state

    @restores_on_failure
    def fit(self, X, y, X_val=None, y_val=None):
        """Select ``s`` features greedily."""
        self.check_params()
        X, y = validate_xy(self, self.method_name, X, y, dtype=np.float64)
        X_val, y_val = check_validation(self.method_name, X_val, y_val)
        s = check_s(self.method_name, self.n_features_to_select, X.shape[1])
        self.task_ = resolve_task(self.method_name, self.task, y)
        rng = np.random.default_rng(self.random_state)
        if X_val is None:
            X, X_val, y, y_val = train_test_split(
                X,
                y,
                test_size=self.validation_fraction,
                random_state=int(rng.integers(2**31 - 1)),
            )
        else:
            X_val = validate_data(self, X_val, reset=False, dtype=np.float64)
        # the MLP's early stopping holds out 10 % of the training rows: on very few rows that
        # hold-out would be empty (or miss a class), so it trains its max_iter epochs instead
        n_classes = len(np.unique(y)) if self.task_ == "classification" else 1
        model = make_mlp(
            self.task_,
            self.hidden,
            max_iter=self.max_iter,
            early_stopping=int(np.ceil(0.1 * len(y))) >= max(2, n_classes),
            random_state=int(rng.integers(2**31 - 1)),
        )
        sign = 1.0 if self.task_ == "classification" else -1.0  # higher is better
        chosen: list[int] = []
        self.scores_path_: list[float] = []
        while True:
            rest = [j for j in range(X.shape[1]) if j not in chosen]
            scores = np.array(
                [
                    sign
                    * task_score(
                        self.task_,
                        y_val,
                        clone(model).fit(X[:, chosen + [j]], y).predict(X_val[:, chosen + [j]]),
                    )
                    for j in rest
                ]
            )
            best = order_from_scores(scores, rng)  # ties at random, never by column index
            if len(chosen) == s:
                break
            chosen.append(rest[best[0]])
            self.scores_path_.append(float(sign * scores[best[0]]))
            log.debug("forward: picked feature %d (score %.4f)", chosen[-1], scores[best[0]])
        self._set_order(chosen + [rest[i] for i in best], s)
        return self
