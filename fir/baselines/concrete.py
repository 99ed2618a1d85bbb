"""Supervised concrete selector (Abid, Balin & Zou 2019), hand-written in PyTorch.

The concrete autoencoder's selector layer, trained against the labels instead of a
reconstruction: ``s`` concrete nodes, each a Gumbel-softmax over the ``d`` inputs with a
temperature annealed exponentially from ``start_temperature`` to ``end_temperature``, feed an
operator-shaped MLP that predicts ``y``. At evaluation each node takes its arg-max feature.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from fir.baselines.base import check_s
from fir.baselines.deep import _DeepBase
from fir.baselines.torch_base import mlp, release_generators


class ConcreteSelect(nn.Module):
    """``x (n, d) -> (n, k)``: node ``i`` outputs ``x @ softmax((logits_i + g) / T)``."""

    def __init__(self, n_features: int, k: int, gen: torch.Generator) -> None:
        super().__init__()
        logits = torch.empty(k, n_features)
        std = (2.0 / (k + n_features)) ** 0.5
        logits.normal_(0.0, std, generator=gen)  # Glorot normal, as the reference (Keras)
        self.logits = nn.Parameter(logits)
        self.temperature = 10.0
        self.gen: torch.Generator | None = gen
        self.register_buffer("fixed", torch.empty(0, dtype=torch.long))  # resolved features

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.fixed.numel():
            return x[:, self.fixed]  # (n, k)
        if self.training and self.gen is not None:
            u = torch.rand(self.logits.shape, generator=self.gen, device=x.device)
            gumbel = -torch.log(-torch.log(u.clamp_min(1e-10)))  # (k, d)
            w = torch.softmax((self.logits + gumbel) / self.temperature, dim=1)  # (k, d)
        else:
            w = F.one_hot(self.logits.argmax(1), self.logits.shape[1]).to(x.dtype)  # (k, d)
        return x @ w.T  # (n, k)


def distinct_assignment(probs: np.ndarray) -> np.ndarray:
    """One distinct feature per node from selection probabilities ``(k, d)``, ``k <= d``.

    Greedy and deterministic: (node, feature) pairs are taken by decreasing probability (ties
    by node, then feature index); a pair is kept when neither its node nor its feature is taken
    yet. A node whose arg-max is unique keeps it; a node that lost its arg-max to a more
    confident node gets its best feature still free.
    """
    k, d = probs.shape
    flat = np.lexsort((np.arange(k * d), -probs.ravel()))
    chosen = np.full(k, -1, dtype=np.int64)
    taken = np.zeros(d, dtype=bool)
    for idx in flat:
        node, feat = divmod(int(idx), d)
        if chosen[node] < 0 and not taken[feat]:
            chosen[node], taken[feat] = feat, True
            if (chosen >= 0).all():
                break
    return chosen


class ConcreteSelector(_DeepBase):
    """Supervised concrete selector layer (Abid et al. 2019): exactly ``s`` distinct features.

    Importance of feature ``j`` is its selection probability mass
    ``sum_i softmax(logits_i)_j`` over the ``s`` nodes (sums to ``s``). The selected features
    are the nodes' arg-max features, made distinct by :func:`distinct_assignment` when two
    nodes converge to the same feature; they rank first (by mass), then the rest by mass.
    Prediction uses the net on the ``s`` resolved features.

    Parameters
    ----------
    n_features_to_select : int or None, default=None
        ``s`` = the number of concrete nodes; None selects half the features.
    start_temperature, end_temperature : float, default=10.0, 0.01
        The reference's exponential annealing from start to end over ``epochs``.
    task, hidden, activation, epochs, batch_size, lr, patience, validation_fraction, device,
    random_state
        As :class:`fir.baselines.deep.DFSSelector`; ``patience`` defaults to 300, the default
        ``epochs``, so that the temperature is fully annealed (the reference trains for a fixed
        number of epochs): raise it with ``epochs``.

    Attributes
    ----------
    support_, ranking_, feature_importances_ : ndarray of shape (n_features,)
    selected_features_ : ndarray of shape (s,)
        The resolved feature of each node.
    n_collisions_ : int
        How many nodes had to give up their arg-max to a more confident node.
    net_ : torch.nn.Module
    """

    method_name = "concrete"

    def __init__(
        self,
        n_features_to_select: int | None = None,
        *,
        start_temperature: float = 10.0,
        end_temperature: float = 0.01,
        task: str = "auto",
        hidden: Sequence[int] = (60, 30, 20),
        activation: str = "sigmoid",
        epochs: int = 300,
        batch_size: int = 32,
        lr: float = 1e-2,
        patience: int = 300,
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
        self.start_temperature = start_temperature
        self.end_temperature = end_temperature

    def check_params(self) -> None:
        super().check_params()
        if not self.end_temperature <= self.start_temperature:
            raise ValueError(
                f"end_temperature={self.end_temperature!r} is invalid for ConcreteSelector: it "
                f"must be <= start_temperature={self.start_temperature!r} (the reference "
                "anneals from 10 to 0.01)."
            )

    def _build_net(self, d: int, n_out: int, gen: torch.Generator) -> nn.Module:
        k = check_s(self.method_name, self.n_features_to_select, d)
        return nn.Sequential(
            ConcreteSelect(d, k, gen), mlp([k, *self.hidden, n_out], self.activation, gen)
        )

    def _on_epoch(self, epoch: int) -> None:
        ratio = self.end_temperature / self.start_temperature
        frac = epoch / max(self.epochs - 1, 1)
        self.net_[0].temperature = float(self.start_temperature * ratio**frac)

    def _finish(self, X: torch.Tensor, y: torch.Tensor, s: int) -> None:
        layer = self.net_[0]
        release_generators(self.net_)
        probs = torch.softmax(layer.logits.detach(), dim=1).cpu().numpy().astype(np.float64)
        chosen = distinct_assignment(probs)
        self.n_collisions_ = int((chosen != probs.argmax(1)).sum())
        layer.fixed = torch.as_tensor(chosen, dtype=torch.long, device=self.device_)
        self.selected_features_ = chosen
        mass = probs.sum(0)  # (d,)
        rest = np.setdiff1d(np.arange(len(mass)), chosen)
        order = np.concatenate(
            [
                chosen[np.argsort(-mass[chosen], kind="stable")],
                rest[np.argsort(-mass[rest], kind="stable")],
            ]
        )
        self._set_order(order, s, mass)
