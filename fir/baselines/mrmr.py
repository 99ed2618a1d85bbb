"""mRMR with the MIQ (mutual-information quotient) scheme (Peng, Long & Ding 2005).

Written here: the paper used PyMRMR (a C++ wrapper, not installable on current Python from the
registry), and the maintained ``mrmr-selection`` package implements F-statistic / correlation
variants, not the mutual-information MIQ scheme.
"""

from __future__ import annotations

import numpy as np

from fir.baselines.base import BaseSelector, check_s, resolve_task
from fir.checks import restores_on_failure, validate_xy


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


class DiscreteColumns:
    """The columns of a discrete ``Xd`` (n, d), ready for :meth:`mutual_information` with any
    discrete vector against all ``d`` columns at once.

    ``I(v; x) = H(v) + H(x) - H(v, x)``, each entropy from integer counts as
    ``log n - sum(c log c) / n``: the columns' entropies are computed once, and the joint counts
    of ``v`` with every column are one matrix product with the columns' state indicators. A
    greedy mRMR step then costs one pass over the data instead of ``d`` calls of
    :func:`mutual_information` (whose values these equal, tested).
    """

    def __init__(self, Xd: np.ndarray) -> None:
        self.n, self.d = Xd.shape
        codes, self.n_states = _codes(Xd)
        # (n, n_states * d) indicators; counts are integers <= n, exact in float32 (n < 2**24)
        self.indicators = np.concatenate([codes == b for b in range(self.n_states)], axis=1).astype(
            np.float32
        )
        counts = np.rint(self.indicators.sum(0)).astype(np.int64)
        self.clogc = np.zeros(self.n + 1)  # c log c for every possible count, 0 log 0 = 0
        self.clogc[1:] = np.arange(1, self.n + 1) * np.log(np.arange(1, self.n + 1))
        self.entropy = self._entropy(counts.reshape(self.n_states, self.d))  # (d,)

    def _entropy(self, counts: np.ndarray) -> np.ndarray:
        """Entropy (nats) from counts summed over all but the last axis."""
        return np.log(self.n) - self.clogc[counts].reshape(-1, counts.shape[-1]).sum(0) / self.n

    def mutual_information(self, v: np.ndarray) -> np.ndarray:
        """``I(v; x_j)`` (nats) for every column ``j``: shape (d,)."""
        codes, k = _codes(v)
        onehot = np.zeros((self.n, k), dtype=np.float32)
        onehot[np.arange(self.n), codes] = 1.0
        joint = np.rint(onehot.T @ self.indicators).astype(np.int64)  # (k, n_states * d)
        h_v = self._entropy(np.bincount(codes, minlength=k)[:, None])[0]
        return h_v + self.entropy - self._entropy(joint.reshape(k * self.n_states, self.d))


def miq_order(Xd: np.ndarray, y: np.ndarray, eps: float = 1e-12) -> list[int]:
    """Greedy MIQ order of all columns of the discrete ``Xd``: first the most relevant, then
    each time ``argmax I(x; y) / mean_{j in S} I(x; x_j)``; ties go to the lower index.

    Each step adds the mutual information of the last chosen column with every column in one
    vectorised call (:class:`DiscreteColumns`): the whole order is ``d`` matrix products.
    """
    columns = DiscreteColumns(Xd)
    relevance = columns.mutual_information(y)
    redundancy = np.zeros(columns.d)  # running sum of I(x; x_j) over the selected j
    chosen = np.zeros(columns.d, dtype=bool)
    order = [int(np.argmax(relevance))]
    chosen[order[0]] = True
    while len(order) < columns.d:
        redundancy += columns.mutual_information(Xd[:, order[-1]])
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
    n_features_to_select : int or None, default=None
        ``s``; None selects half the features.
    task : {"auto", "classification"}, default="auto"
    threshold : float, default=1.0
        Discretisation at ``mean +- threshold * std``.
    """

    method_name = "mrmr"
    supported_tasks = ("auto", "classification")

    def __init__(
        self, n_features_to_select: int | None = None, *, task: str = "auto", threshold: float = 1.0
    ) -> None:
        self.n_features_to_select = n_features_to_select
        self.task = task
        self.threshold = threshold

    @restores_on_failure
    def fit(self, X, y):
        """Discretise, then order the features greedily by MIQ."""
        self.check_params()
        X, y = validate_xy(self, self.method_name, X, y, dtype=np.float64)
        s = check_s(self.method_name, self.n_features_to_select, X.shape[1])
        self.task_ = resolve_task(self.method_name, self.task, y, self.supported_tasks)
        self._set_order(miq_order(discretise(X, self.threshold), np.asarray(y)), s)
        return self
