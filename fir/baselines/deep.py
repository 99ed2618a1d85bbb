"""The paper's deep embedded baselines, hand-written in PyTorch (supplement A.2).

* :class:`DFSSelector` -- deep feature selection (Li, Chen & Wasserman 2016): a one-to-one
  weighted input layer in front of the operator-shaped MLP, with an elastic net on it.
* :class:`AvGradSelector` -- averaged input gradient (Hechtlinger 2016) of a trained MLP.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
from torch import nn

from fir.baselines.torch_base import TorchSelector, mlp


class OneToOne(nn.Module):
    """``x -> x * w``: one weight per feature (DFS's input layer), initialised to 1."""

    def __init__(self, n_features: int) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.ones(n_features))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * self.weight  # (n, d)


class _DeepBase(TorchSelector):
    def __init__(
        self,
        n_features_to_select: int | None = None,
        *,
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
        self.n_features_to_select = n_features_to_select
        self.task = task
        self.hidden = hidden
        self.activation = activation
        self.epochs = epochs
        self.batch_size = batch_size
        self.lr = lr
        self.patience = patience
        self.validation_fraction = validation_fraction
        self.device = device
        self.random_state = random_state


class DFSSelector(_DeepBase):
    """Deep feature selection: elastic net on a one-to-one input layer (paper's DFS baseline).

    The penalty (Li et al. 2016, eq. 2) is
    ``lambda_ * ((1 - lambda2) / 2 * ||w||^2 + lambda2 * ||w||_1)`` on the input weights ``w``
    plus ``alpha1 * ((1 - alpha2) / 2 * ||W||^2 + alpha2 * ||W||_1)`` on the hidden weights.
    Importance is ``|w_j|``; the ``s`` largest are selected. Prediction uses the whole net.

    Parameters
    ----------
    n_features_to_select : int or None, default=None
        ``s``; None selects half the features.
    lambda_ : float, default=0.01
        Input-layer penalty (paper: 0.01 synthetic and MNIST, 0.008 enhancer-promoter).
    lambda2 : float, default=1.0
        L1 share of the input penalty (1 = lasso).
    alpha1 : float, default=1e-4
        Hidden-layer penalty.
    alpha2 : float, default=0.0
        L1 share of the hidden penalty (0 = ridge).
    task, hidden, activation, epochs, batch_size, lr, patience, validation_fraction, device,
    random_state
        Task (``"auto"`` infers it), operator-shaped hidden sizes, hidden activation, the Adam
        budget with early stopping on the validation loss, the device and the seed.

    Attributes
    ----------
    support_, ranking_, feature_importances_ : ndarray of shape (n_features,)
    input_weights_ : ndarray of shape (n_features,)
        The signed one-to-one weights ``w``.
    net_ : torch.nn.Module
    """

    method_name = "dfs"

    def __init__(
        self,
        n_features_to_select: int | None = None,
        *,
        lambda_: float = 0.01,
        lambda2: float = 1.0,
        alpha1: float = 1e-4,
        alpha2: float = 0.0,
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
        self.lambda_ = lambda_
        self.lambda2 = lambda2
        self.alpha1 = alpha1
        self.alpha2 = alpha2

    def __sklearn_is_fitted__(self) -> bool:
        # ``lambda_`` (the paper's name) is a parameter: its trailing underscore must not make
        # scikit-learn's check_is_fitted take an unfitted selector for a fitted one
        return hasattr(self, "support_")

    def _build_net(self, d: int, n_out: int, gen: torch.Generator) -> nn.Module:
        return nn.Sequential(OneToOne(d), mlp([d, *self.hidden, n_out], self.activation, gen))

    def _penalty(self, net: nn.Module) -> torch.Tensor:
        # The L1 part of the input penalty is applied by the proximal step in _after_step.
        w = net[0].weight
        pen = self.lambda_ * (1 - self.lambda2) / 2 * w.square().sum()
        for layer in net[1].modules():
            if isinstance(layer, nn.Linear):
                W = layer.weight
                pen = pen + self.alpha1 * (
                    (1 - self.alpha2) / 2 * W.square().sum() + self.alpha2 * W.abs().sum()
                )
        return pen

    def _after_step(self, net: nn.Module, lr: float) -> None:
        """Proximal step for ``lambda_ * lambda2 * ||w||_1``: soft-thresholding by
        ``lr * lambda_ * lambda2`` (exact zeros, unlike Adam on the L1 subgradient, whose
        normalised step shrinks every weight by about ``lr`` whatever ``lambda_`` is)."""
        w = net[0].weight
        with torch.no_grad():
            w.copy_(w.sign() * (w.abs() - lr * self.lambda_ * self.lambda2).clamp_min(0.0))

    def _finish(self, X: torch.Tensor, y: torch.Tensor, s: int) -> None:
        self.input_weights_ = self.net_[0].weight.detach().cpu().numpy().astype(np.float64)
        self._set_scores(np.abs(self.input_weights_), s)


class AvGradSelector(_DeepBase):
    """Averaged input gradient of a trained MLP (paper's AvGrad baseline).

    The operator-shaped MLP is trained on all features; the importance of feature ``j`` is
    the mean over the training samples of ``|d f(x) / d x_j|``, where ``f`` is the predicted
    probability of the true class (classification) or the prediction (regression). The ``s``
    largest are selected; prediction uses the whole net. Parameters as :class:`DFSSelector`
    without the penalties.
    """

    method_name = "avgrad"

    def _build_net(self, d: int, n_out: int, gen: torch.Generator) -> nn.Module:
        return mlp([d, *self.hidden, n_out], self.activation, gen)

    def _finish(self, X: torch.Tensor, y: torch.Tensor, s: int) -> None:
        self._set_scores(input_gradient(self.net_, X, y, self.task_), s)


def input_gradient(net: nn.Module, X: torch.Tensor, y: torch.Tensor, task: str) -> np.ndarray:
    """Mean absolute input gradient ``(d,)`` of the true-class probability or the output."""
    x = X.clone().requires_grad_(True)  # (n, d)
    out = net(x)  # (n, n_out)
    if task == "classification":
        f = torch.softmax(out, dim=1).gather(1, y[:, None])[:, 0]  # (n,)
    else:
        f = out[:, 0]
    (grad,) = torch.autograd.grad(f.sum(), x)  # (n, d)
    return grad.abs().mean(0).detach().cpu().numpy().astype(np.float64)
