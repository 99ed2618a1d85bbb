"""Kernel filters, hand-written in PyTorch: HSIC, BAHSIC (Song et al. 2012) and CCM
(Chen et al. 2017, conditional covariance minimisation; the authors' code is TensorFlow 1)."""

from __future__ import annotations

import numpy as np
import torch
from sklearn.preprocessing import LabelEncoder

from fir.baselines.base import BaseSelector, check_s, order_from_scores, resolve_task
from fir.checks import restores_on_failure, validate_xy
from fir.repro import make_generators, resolve_device

DTYPE = torch.float64


def centre(K: torch.Tensor) -> torch.Tensor:
    """``H K H`` with ``H = I - 1/m``: double centring of a Gram matrix ``(m, m)``."""
    return K - K.mean(0, keepdim=True) - K.mean(1, keepdim=True) + K.mean()


def sq_dists(X: torch.Tensor) -> torch.Tensor:
    """Squared Euclidean distances ``(m, m)`` between the rows of ``X`` ``(m, d)``."""
    sq = X.square().sum(1)
    return (sq[:, None] + sq[None, :] - 2 * X @ X.T).clamp_min(0.0)


def median_sigma(D: torch.Tensor) -> float:
    """Median heuristic: the median distance between distinct rows (1 if all coincide)."""
    m = D.shape[0]
    off = D[~torch.eye(m, dtype=torch.bool, device=D.device)]
    sigma = float(off.sqrt().median()) if off.numel() else 1.0
    return sigma if sigma > 0 else 1.0


def label_gram(y: np.ndarray, task: str, device: torch.device) -> torch.Tensor:
    """Kernel on the target: the normalised delta kernel ``1/m_c`` for classes (BAHSIC's
    choice for classification), the linear kernel on the standardised target for regression."""
    if task == "classification":
        codes = LabelEncoder().fit_transform(y)
        onehot = np.eye(codes.max() + 1)[codes]  # (m, C)
        onehot = onehot / np.sqrt(onehot.sum(0, keepdims=True))
        Y = torch.as_tensor(onehot, dtype=DTYPE, device=device)
    else:
        yy = np.asarray(y, dtype=np.float64)
        Y = torch.as_tensor(
            ((yy - yy.mean()) / (yy.std() or 1.0))[:, None], dtype=DTYPE, device=device
        )
    return Y @ Y.T


def hsic(K: torch.Tensor, L: torch.Tensor) -> float:
    """Biased HSIC estimate ``tr(K H L H) / (m - 1)^2``."""
    m = K.shape[0]
    return float((K * centre(L)).sum() / (m - 1) ** 2)


class BAHSICSelector(BaseSelector):
    """Backward elimination by HSIC (paper's BAHSIC baseline).

    Starting from all features, each iteration drops the ``fraction`` of the remaining features
    (at least one, never going below ``s``) whose removal keeps the HSIC between the Gaussian
    kernel on X (width: median heuristic on the remaining features) and the label kernel (the
    normalised delta kernel for classes, linear for regression) highest. Gives an order, not a
    score: ``feature_importances_`` is NaN; the features kept rank first (by how much HSIC
    drops without them), then the eliminated ones, last eliminated first.

    Parameters
    ----------
    n_features_to_select : int or None, default=None
        ``s``; None selects half the features.
    task : {"auto", "classification", "regression"}, default="auto"
    fraction : float, default=0.1
        Share of the remaining features removed per iteration.
    chunk : int, default=64
        Candidate removals evaluated together (memory ``chunk * m^2``).
    device : str, default="auto"
    """

    method_name = "bahsic"

    def __init__(
        self,
        n_features_to_select: int | None = None,
        *,
        task: str = "auto",
        fraction: float = 0.1,
        chunk: int = 64,
        device: str = "auto",
    ) -> None:
        self.n_features_to_select = n_features_to_select
        self.task = task
        self.fraction = fraction
        self.chunk = chunk
        self.device = device

    @restores_on_failure
    def fit(self, X, y):
        """Eliminate features backward until ``s`` remain."""
        self.check_params()
        X, y = validate_xy(self, self.method_name, X, y, dtype=np.float64)
        s = check_s(self.method_name, self.n_features_to_select, X.shape[1])
        self.task_ = resolve_task(self.method_name, self.task, y)
        device = resolve_device(self.device)
        Xt = torch.tensor(X, dtype=DTYPE, device=device)  # a copy: X may be read-only (pandas)
        Lc = centre(label_gram(y, self.task_, device))
        remaining = list(range(X.shape[1]))
        eliminated: list[int] = []
        while True:
            scores = self._removal_scores(Xt, remaining, Lc)
            if len(remaining) == s:
                break
            n_drop = min(max(1, int(self.fraction * len(remaining))), len(remaining) - s)
            drop = [remaining[i] for i in order_from_scores(scores)[:n_drop]]
            eliminated.extend(drop)  # least useful first
            remaining = [j for j in remaining if j not in drop]
        kept = [remaining[i] for i in order_from_scores(-scores)]
        self._set_order(kept + eliminated[::-1], s)
        return self

    def _removal_scores(self, X: torch.Tensor, remaining: list[int], Lc: torch.Tensor):
        """HSIC of the remaining set without each of its features ``(len(remaining),)``."""
        m = X.shape[0]
        Xs = X[:, remaining]  # (m, n)
        D = sq_dists(Xs)  # (m, m)
        sigma = median_sigma(D)
        out = np.empty(len(remaining))
        for start in range(0, len(remaining), self.chunk):
            cols = Xs[:, start : start + self.chunk]  # (m, c)
            Dj = (cols.T[:, :, None] - cols.T[:, None, :]).square()  # (c, m, m)
            K = torch.exp(-(D[None] - Dj).clamp_min(0.0) / (2 * sigma**2))  # (c, m, m)
            out[start : start + cols.shape[1]] = (
                ((K * Lc[None]).sum((1, 2)) / (m - 1) ** 2).cpu().numpy()
            )
        return out


def project_capped_simplex(v: torch.Tensor, s: float, iters: int = 60) -> torch.Tensor:
    """Euclidean projection of ``v`` onto ``{w : 0 <= w <= 1, sum(w) = s}`` (bisection)."""
    lo, hi = float(v.min()) - 1.0, float(v.max())
    for _ in range(iters):
        tau = (lo + hi) / 2
        if float((v - tau).clamp(0.0, 1.0).sum()) > s:
            lo = tau
        else:
            hi = tau
    return (v - (lo + hi) / 2).clamp(0.0, 1.0)


class CCMSelector(BaseSelector):
    """Conditional covariance minimisation (paper's CCM baseline), in PyTorch.

    Minimises ``tr(Lc (Kc(w) + m * epsilon * I)^-1)`` over ``0 <= w <= 1, sum(w) = s``, where
    ``Kc(w)`` is the centred Gaussian Gram matrix of ``X * w`` (width: median heuristic at
    ``w = s / d``) and ``Lc`` the centred linear kernel of the one-hot (or standardised
    continuous) target; projected gradient descent with step halving, so the objective never
    increases. The ``s`` largest weights are selected. CCM orders features rather than scoring
    them (paper, section 4.1): ``feature_importances_`` is NaN, the weights are in ``weights_``.

    Parameters
    ----------
    n_features_to_select : int or None, default=None
        ``s``; None selects half the features.
    task : {"auto", "classification", "regression"}, default="auto"
    epsilon : float, default=0.001
        Regulariser (paper: 0.001 classification, 0.1 regression).
    max_iter : int, default=300
    lr : float, default=0.1
        Initial step (adapted: halved on an increase, grown by 10 % on success).
    tol : float, default=1e-7
        Stop when the relative decrease is below ``tol``.
    max_samples : int or None, default=None
        Subsample this many rows (the cost is cubic in the number of rows).
    device : str, default="auto"
    random_state : int or None

    Attributes
    ----------
    weights_ : ndarray of shape (n_features,)
    objective_history_ : list of float
        The objective at the start and after each accepted step.
    n_iter_ : int
        Gradient steps tried, the last of them possibly one that found no descent (which ends
        the search); at most ``max_iter``.
    """

    method_name = "ccm"

    def __init__(
        self,
        n_features_to_select: int | None = None,
        *,
        task: str = "auto",
        epsilon: float = 0.001,
        max_iter: int = 300,
        lr: float = 0.1,
        tol: float = 1e-7,
        max_samples: int | None = None,
        device: str = "auto",
        random_state: int | None = None,
    ) -> None:
        self.n_features_to_select = n_features_to_select
        self.task = task
        self.epsilon = epsilon
        self.max_iter = max_iter
        self.lr = lr
        self.tol = tol
        self.max_samples = max_samples
        self.device = device
        self.random_state = random_state

    @restores_on_failure
    def fit(self, X, y):
        """Optimise the feature weights and keep the ``s`` largest."""
        self.check_params()
        X, y = validate_xy(self, self.method_name, X, y, dtype=np.float64)
        s = check_s(self.method_name, self.n_features_to_select, X.shape[1])
        self.task_ = resolve_task(self.method_name, self.task, y)
        device = resolve_device(self.device)
        rng, _ = make_generators(self.random_state, torch.device("cpu"))
        if self.max_samples is not None and len(X) > self.max_samples:
            rows = rng.choice(len(X), self.max_samples, replace=False)
            X, y = X[rows], np.asarray(y)[rows]
        Xt = torch.tensor(X, dtype=DTYPE, device=device)  # a copy: X may be read-only (pandas)
        m, d = Xt.shape
        Lc = centre(label_gram(y, self.task_, device))
        w = torch.full((d,), s / d, dtype=DTYPE, device=device)
        sigma = median_sigma(sq_dists(Xt * w))
        objective = self._objective_fn(Xt, Lc, sigma)
        lr, value = self.lr, objective(w)
        history = [float(value)]
        n_iter = 0  # gradient steps tried (one that finds no descent ends the search)
        for _ in range(self.max_iter):
            n_iter += 1
            w_var = w.clone().requires_grad_(True)
            (grad,) = torch.autograd.grad(objective(w_var), w_var)
            while lr > 1e-12:
                cand = project_capped_simplex(w - lr * grad / (grad.norm() + 1e-12), s)
                new = objective(cand)
                if new <= value:
                    break
                lr /= 2
            if lr <= 1e-12:
                break
            w, lr, previous, value = cand, lr * 1.1, value, new
            history.append(float(value))
            if float(previous - value) <= self.tol * abs(float(previous)):
                break
        self.weights_ = w.cpu().numpy()
        self.objective_history_ = history
        self.n_iter_ = n_iter
        self._set_order(order_from_scores(self.weights_, rng), s)
        return self

    def _objective_fn(self, X: torch.Tensor, Lc: torch.Tensor, sigma: float):
        m = X.shape[0]
        eye = torch.eye(m, dtype=DTYPE, device=X.device)

        def objective(w: torch.Tensor) -> torch.Tensor:
            Kc = centre(torch.exp(-sq_dists(X * w) / (2 * sigma**2)))  # (m, m)
            chol = torch.linalg.cholesky(Kc + m * self.epsilon * eye)
            return torch.cholesky_solve(Lc, chol).diagonal().sum()

        return objective
