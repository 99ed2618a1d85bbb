"""Stochastic gates (Yamada, Lindenbaum, Negahban & Kluger, ICML 2020), hand-written in PyTorch.

Each input feature passes through a gate ``z_j = clamp(mu_j + eps_j + 0.5, 0, 1)`` with
``eps_j ~ N(0, sigma^2)`` while training (the Gaussian relaxation of a Bernoulli gate) and
``eps_j = 0`` at evaluation; the gated input feeds an operator-shaped MLP. The loss adds
``lam * mean_j P(z_j > 0) = lam * mean_j Phi((mu_j + 0.5) / sigma)``, the regularised expected
number of open gates (the reference implementation's mean form).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import torch
from torch import nn

from fir.baselines.deep import _DeepBase
from fir.baselines.torch_base import mlp, release_generators


class GaussianGates(nn.Module):
    """``x -> x * clamp(mu + eps + 0.5, 0, 1)``; ``eps`` is drawn from ``gen`` in training."""

    def __init__(self, n_features: int, sigma: float, gen: torch.Generator) -> None:
        super().__init__()
        self.sigma = sigma
        self.gen: torch.Generator | None = gen
        mu = torch.empty(n_features)
        mu.normal_(0.0, 0.01, generator=gen)  # the reference's small random start (gates ~ 0.5)
        self.mu = nn.Parameter(mu)

    def gates(self) -> torch.Tensor:
        """Deterministic gates ``(d,)`` used at evaluation."""
        return (self.mu + 0.5).clamp(0.0, 1.0)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        z = self.mu + 0.5  # (d,)
        if self.training and self.gen is not None:
            noise = torch.randn(x.shape, generator=self.gen, device=x.device)  # (n, d)
            z = z + self.sigma * noise
        return x * z.clamp(0.0, 1.0)  # (n, d)

    def open_probability(self) -> torch.Tensor:
        """``P(z_j > 0) = Phi((mu_j + 0.5) / sigma)`` for each gate, ``(d,)``."""
        return 0.5 * (1.0 + torch.erf((self.mu + 0.5) / (self.sigma * math.sqrt(2.0))))


class STGSelector(_DeepBase):
    """Stochastic-gates feature selection (Yamada et al. 2020) on an operator-shaped MLP.

    Importance is the gate mean ``mu_j``; the ``s`` largest are selected (STG has no native
    exact ``s``: its penalty only encourages few open gates). Prediction uses the gated net.

    Parameters
    ----------
    n_features_to_select : int or None, default=None
        ``s``; None selects half the features.
    lam : float, default=0.1
        Weight of the expected-open-gates penalty (mean over features).
    sigma : float, default=0.5
        Standard deviation of the gate noise (the paper's and reference code's value).
    activation : str, default="tanh"
    lr : float, default=1e-3
        The reference implementation's activation and Adam step. With sigmoid units and lr 0.01
        (the DFS settings) the penalty closes every gate before the net leaves the sigmoid
        plateau on XOR.
    task, hidden, epochs, batch_size, patience, validation_fraction, device, random_state
        As :class:`fir.baselines.deep.DFSSelector`.

    Attributes
    ----------
    support_, ranking_, feature_importances_ : ndarray of shape (n_features,)
        ``feature_importances_`` is ``mu``.
    gates_ : ndarray of shape (n_features,)
        The deterministic gates ``clamp(mu + 0.5, 0, 1)``.
    net_ : torch.nn.Module
    """

    method_name = "stg"

    def __init__(
        self,
        n_features_to_select: int | None = None,
        *,
        lam: float = 0.1,
        sigma: float = 0.5,
        task: str = "auto",
        hidden: Sequence[int] = (60, 30, 20),
        activation: str = "tanh",
        epochs: int = 300,
        batch_size: int = 32,
        lr: float = 1e-3,
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
        self.lam = lam
        self.sigma = sigma

    def _build_net(self, d: int, n_out: int, gen: torch.Generator) -> nn.Module:
        if not self.sigma > 0:
            raise ValueError(f"stg: sigma={self.sigma!r} must be > 0 (the paper uses 0.5).")
        gates = GaussianGates(d, float(self.sigma), gen)
        return nn.Sequential(gates, mlp([d, *self.hidden, n_out], self.activation, gen))

    def _penalty(self, net: nn.Module) -> torch.Tensor:
        return self.lam * net[0].open_probability().mean()

    def _finish(self, X: torch.Tensor, y: torch.Tensor, s: int) -> None:
        release_generators(self.net_)
        gates = self.net_[0]
        self.gates_ = gates.gates().detach().cpu().numpy().astype(np.float64)
        self._set_scores(gates.mu.detach().cpu().numpy().astype(np.float64), s)
