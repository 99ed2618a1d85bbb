"""Global LIME (Ribeiro, Singh & Guestrin 2016; aggregation of van der Linden, Haned &
Kanoulas 2019): instance explanations of a trained MLP from the ``lime`` package, aggregated.

An operator-shaped MLP (the paper: 102-300-200-50-3 on enhancer-promoter) is trained on all
features with the shared deep-baseline loop. ``n_instances`` training rows, drawn from
``random_state``, are explained by ``lime.lime_tabular.LimeTabularExplainer`` with
``n_samples`` perturbations each (classification: the predicted class; regression: the
output). With ``|w_ij|`` the weight of feature ``j`` in the explanation of row ``i``:

* ``aggregation="homogeneity"`` (the paper's "homogeneity-weighted"): per class ``c``,
  ``A_cj = sum_{i predicted c} |w_ij|``; ``p_cj = A_cj / sum_c A_cj``; the importance is
  ``(1 - H(p_j) / log C) * mean_i |w_ij|`` with ``H`` the Shannon entropy, so a feature whose
  importance concentrates on few classes is up-weighted. Regression (one "class") and runs
  where the rows explained fall in one predicted class reduce to the average.
* ``aggregation="average"``: ``mean_i |w_ij|`` (GALE's global average importance).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import numpy as np
import torch
from torch import nn

from fir.baselines.deep import _DeepBase
from fir.baselines.torch_base import mlp

log = logging.getLogger(__name__)
AGGREGATIONS = ("homogeneity", "average")


def homogeneity_weighted(weights: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """Importance ``(d,)`` from explanation weights ``(m, d)`` and explained labels ``(m,)``."""
    absw = np.abs(weights)  # (m, d)
    average = absw.mean(0)  # (d,)
    classes = np.unique(labels)
    if len(classes) < 2:
        return average
    per_class = np.stack([absw[labels == c].sum(0) for c in classes])  # (C, d)
    total = per_class.sum(0)
    p = np.divide(per_class, total, out=np.full_like(per_class, 1 / len(classes)), where=total > 0)
    entropy = -(p * np.log(np.where(p > 0, p, 1.0))).sum(0)  # (d,)
    return (1.0 - entropy / np.log(len(classes))) * average


class LimeSelector(_DeepBase):
    """Global LIME: aggregated ``lime`` explanations of a trained MLP (paper's LIME baseline).

    Explaining a row costs ``n_samples`` net evaluations plus a weighted ridge fit, so the
    default explains a random subset of ``n_instances`` training rows rather than every row
    (the paper does not say how many it explained); ``n_instances=None`` explains all of them.

    Parameters
    ----------
    n_features_to_select : int or None, default=None
        ``s``; the top ``s`` of the aggregated importance are selected. None selects half the
        features.
    n_samples : int, default=500
        Perturbations per explanation (the paper's value; LIME's ``num_samples``).
    n_instances : int or None, default=200
        How many training rows to explain (at most all of them); None explains all.
    aggregation : {"homogeneity", "average"}, default="homogeneity"
        How explanations become one global score (see the module docstring).
    task, hidden, activation, epochs, batch_size, lr, patience, validation_fraction, device,
    random_state
        The MLP and its training, as :class:`fir.baselines.deep.AvGradSelector`.

    Attributes
    ----------
    support_, ranking_, feature_importances_ : ndarray of shape (n_features,)
    explanations_ : ndarray of shape (n_explained, n_features)
        The signed LIME weights of the explained rows.
    net_ : torch.nn.Module
    """

    method_name = "lime"

    def __init__(
        self,
        n_features_to_select: int | None = None,
        *,
        n_samples: int = 500,
        n_instances: int | None = 200,
        aggregation: str = "homogeneity",
        task: str = "auto",
        hidden: Sequence[int] = (60, 30, 20),
        activation: str = "sigmoid",
        epochs: int = 300,
        batch_size: int = 32,
        lr: float = 1e-2,
        patience: int = 50,
        validation_fraction: float = 0.2,
        device: str = "auto",
        random_state: int | np.random.Generator | None = None,
    ) -> None:
        super().__init__(
            n_features_to_select,
            task=task,
            hidden=hidden,
            activation=activation,
            epochs=epochs,
            batch_size=batch_size,
            lr=lr,
            patience=patience,
            validation_fraction=validation_fraction,
            device=device,
            random_state=random_state,
        )
        self.n_samples = n_samples
        self.n_instances = n_instances
        self.aggregation = aggregation

    def check_params(self) -> None:
        super().check_params()
        if self.aggregation not in AGGREGATIONS:
            raise ValueError(
                f"aggregation={self.aggregation!r} is invalid for LimeSelector: it must be one "
                f"of {AGGREGATIONS}."
            )

    def _build_net(self, d: int, n_out: int, gen: torch.Generator) -> nn.Module:
        return mlp([d, *self.hidden, n_out], self.activation, gen)

    def _predict_numpy(self, X: np.ndarray) -> np.ndarray:
        with torch.no_grad():
            out = self.net_(torch.as_tensor(X, dtype=torch.float32, device=self.device_))
            if self.task_ == "classification":
                return torch.softmax(out, dim=1).double().cpu().numpy()  # (n, C)
            return out[:, 0].double().cpu().numpy()  # (n,)

    def _finish(self, X: torch.Tensor, y: torch.Tensor, s: int) -> None:
        from lime.lime_tabular import LimeTabularExplainer

        Xn = X.double().cpu().numpy()
        n, d = Xn.shape
        m = n if self.n_instances is None else min(int(self.n_instances), n)
        rows = torch.randperm(n, generator=self._gen, device=self.device_)[:m].cpu().numpy()
        seed = int(torch.randint(2**31 - 1, (1,), generator=self._gen, device=self.device_))
        mode = "classification" if self.task_ == "classification" else "regression"
        explainer = LimeTabularExplainer(Xn, mode=mode, random_state=seed)
        weights, labels = np.zeros((m, d)), np.zeros(m, dtype=np.int64)
        for k, i in enumerate(rows):
            exp = explainer.explain_instance(
                Xn[i],
                self._predict_numpy,
                num_features=d,
                num_samples=int(self.n_samples),
                top_labels=1 if mode == "classification" else None,
            )
            label = next(iter(exp.local_exp))
            labels[k] = label
            for j, w in exp.local_exp[label]:
                weights[k, j] = w
        log.debug("lime: explained %d of %d training rows", m, n)
        self.explanations_ = weights
        if self.aggregation == "homogeneity":
            scores = homogeneity_weighted(weights, labels)
        else:
            scores = np.abs(weights).mean(0)
        self._set_scores(scores, s)
