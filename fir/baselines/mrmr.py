"""mRMR with the MIQ (mutual-information quotient) scheme (Peng, Long & Ding 2005).

Written here: the paper used PyMRMR (a C++ wrapper, not installable on current Python from the
registry), and the maintained ``mrmr-selection`` package implements F-statistic / correlation
variants, not the mutual-information MIQ scheme.
"""

from __future__ import annotations

import numpy as np
from sklearn.utils.validation import validate_data

from fir.baselines.base import BaseSelector, check_s, resolve_task


def discretise(X: np.ndarray, threshold: float) -> np.ndarray:
    """Three states per column: below ``mean - t*std``, between, above ``mean + t*std``
    (Peng et al.'s discretisation of continuous features)."""
    mu, sd = X.mean(0), X.std(0)
    return (X > mu - threshold * sd).astype(np.int64) + (X > mu + threshold * sd)


def mutual_information(a: np.ndarray, b: np.ndarray) -> float:
    """Mutual information (nats) of two discrete integer vectors, from their joint counts."""
    _, ia = np.unique(a, return_inverse=True)
    _, ib = np.unique(b, return_inverse=True)
    joint = np.zeros((ia.max() + 1, ib.max() + 1))
    np.add.at(joint, (ia, ib), 1.0)
    p = joint / joint.sum()
    pa, pb = p.sum(1, keepdims=True), p.sum(0, keepdims=True)
    nz = p > 0
    return float((p[nz] * np.log(p[nz] / (pa @ pb)[nz])).sum())


def _codes(a: np.ndarray) -> tuple[np.ndarray, int]:
    """``a``'s values as codes ``0..k-1`` and ``k``."""
    values, codes = np.unique(a, return_inverse=True)
    return codes.reshape(a.shape), len(values)


def mutual_information_columns(states: list[np.ndarray], v: np.ndarray) -> np.ndarray:
    """Mutual information (nats) of the discrete vector ``v`` with every column at once.

    ``states[b]`` is the ``(n, d)`` indicator (float32) of the columns taking state ``b``. The
    joint counts of ``v`` with all ``d`` columns are ``len(states)`` matrix products, so a
    greedy mRMR step costs one pass over the data, not ``d`` calls of
    :func:`mutual_information` (whose values these equal, tested).
    """
    codes, k = _codes(v)
    onehot = np.zeros((len(codes), k), dtype=np.float32)
    onehot[np.arange(len(codes)), codes] = 1.0
    # Counts are integers <= n, exact in float32 (n < 2**24).
    joint = np.stack([onehot.T @ ind for ind in states], axis=1).astype(np.float64)  # (k, B, d)
    p = joint / len(codes)
    expected = p.sum(1, keepdims=True) * p.sum(0, keepdims=True)
    nz = p > 0
    terms = np.zeros_like(p)
    terms[nz] = p[nz] * np.log(p[nz] / expected[nz])
    return terms.sum((0, 1))


def miq_order(Xd: np.ndarray, y: np.ndarray, eps: float = 1e-12) -> list[int]:
    """Greedy MIQ order of all columns of the discrete ``Xd``: first the most relevant, then
    each time ``argmax I(x; y) / mean_{j in S} I(x; x_j)``; ties go to the lower index.

    Each step adds the mutual information of the last chosen column with every column in one
    vectorised call, so the whole order costs ``O(n d^2)`` arithmetic in matrix products.
    """
    d = Xd.shape[1]
    codes, n_states = _codes(Xd)
    states = [(codes == b).astype(np.float32) for b in range(n_states)]
    relevance = mutual_information_columns(states, y)
    redundancy = np.zeros(d)  # running sum of I(x; x_j) over the selected j
    chosen = np.zeros(d, dtype=bool)
    order = [int(np.argmax(relevance))]
    chosen[order[0]] = True
    while len(order) < d:
        redundancy += mutual_information_columns(states, Xd[:, order[-1]])
        rest = np.flatnonzero(~chosen)
        quotient = relevance[rest] / (redundancy[rest] / len(order) + eps)
        order.append(int(rest[np.argmax(quotient)]))
        chosen[order[-1]] = True
    return order


class MRMRSelector(BaseSelector):
    """mRMR, MIQ scheme, on features discretised to three states (paper's mRMR baseline).

    Classification only (the target must be discrete). Gives an order, not a score:
    ``feature_importances_`` is NaN and ``ranking_`` is the greedy order.

    Parameters
    ----------
    n_features_to_select : int
    task : {"auto", "classification"}, default="auto"
    threshold : float, default=1.0
        Discretisation at ``mean +- threshold * std``.
    """

    method_name = "mrmr"

    def __init__(
        self, n_features_to_select: int | None = None, *, task: str = "auto", threshold: float = 1.0
    ) -> None:
        self.n_features_to_select = n_features_to_select
        self.task = task
        self.threshold = threshold

    def fit(self, X, y):
        """Discretise, then order the features greedily by MIQ."""
        X, y = validate_data(self, X, y, dtype=np.float64)
        s = check_s(self.method_name, self.n_features_to_select, X.shape[1])
        self.task_ = resolve_task(self.method_name, self.task, y, ("auto", "classification"))
        self._set_order(miq_order(discretise(X, self.threshold), np.asarray(y)), s)
        return self
