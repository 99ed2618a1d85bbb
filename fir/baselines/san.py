"""Self-attention network feature importance (Škrlj, Džeroski, Lavrač & Petković 2020),
hand-written in PyTorch.

The net: ``k`` attention heads over the input, each ``a_h(x) = softmax(W_h x + b_h)`` over the
``d`` features; the attended input ``mean_h x * a_h(x)`` goes through a dense layer of
``hidden`` units, dropout, SELU and the output layer (the reference implementation's order).
Two importances come from the trained net:

* :class:`SANAggregateSelector` (``san_aggr``): instance-level attention ``mean_h a_h(x)``
  averaged over the training samples;
* :class:`SANGlobalSelector` (``san_global``): the global attention ``mean_h softmax(diag W_h)``
  (the weight each feature gives itself), as the reference's ``get_mean_attention_weights``.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from fir.baselines.params import POSITIVE_INT
from fir.baselines.torch_base import TorchSelector, release_generators
from fir.nets import glorot_


class GenDropout(nn.Module):
    """Inverted dropout whose masks are drawn from ``gen`` (``nn.Dropout`` would draw from the
    global torch generator)."""

    def __init__(self, p: float, gen: torch.Generator) -> None:
        super().__init__()
        self.p = p
        self.gen: torch.Generator | None = gen

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.training or self.p == 0 or self.gen is None:
            return x
        keep = torch.rand(x.shape, generator=self.gen, device=x.device) >= self.p  # (n, h)
        return x * keep / (1.0 - self.p)


class SANNet(nn.Module):
    """Attention heads ``d -> d`` (softmax over features), then ``d -> hidden -> n_out``."""

    def __init__(
        self, d: int, n_out: int, n_heads: int, hidden: int, dropout: float, gen: torch.Generator
    ) -> None:
        super().__init__()
        self.heads = nn.ModuleList(nn.Linear(d, d) for _ in range(n_heads))
        self.hidden = nn.Linear(d, hidden)
        self.dropout = GenDropout(dropout, gen)
        self.activation = nn.SELU()
        self.out = nn.Linear(hidden, n_out)
        for layer in (*self.heads, self.hidden, self.out):
            glorot_(layer.weight, layer.weight.shape[1], layer.weight.shape[0], gen)
            nn.init.zeros_(layer.bias)

    def attention(self, x: torch.Tensor) -> torch.Tensor:
        """Instance-level attention ``(n, d)``, averaged over heads."""
        return torch.stack([torch.softmax(h(x), dim=1) for h in self.heads]).mean(0)

    def global_attention(self) -> torch.Tensor:
        """Global attention ``(d,)``: softmax of each head's diagonal, averaged over heads."""
        return torch.stack([torch.softmax(torch.diag(h.weight), dim=0) for h in self.heads]).mean(0)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        attended = torch.stack([x * torch.softmax(h(x), dim=1) for h in self.heads]).mean(0)
        return self.out(self.activation(self.dropout(self.hidden(attended))))  # (n, n_out)


class _SANBase(TorchSelector):
    param_rules = {"hidden": POSITIVE_INT}  # the width of its one dense layer

    def __init__(
        self,
        n_features_to_select: int | None = None,
        *,
        task: str = "auto",
        n_heads: int = 1,
        hidden: int = 128,
        dropout: float = 0.2,
        epochs: int = 32,
        batch_size: int = 32,
        lr: float = 1e-3,
        patience: int = 32,
        validation_fraction: float = 0.2,
        device: str = "auto",
        random_state: int | np.random.Generator | None = None,
    ) -> None:
        self.n_features_to_select = n_features_to_select
        self.task = task
        self.n_heads = n_heads
        self.hidden = hidden
        self.dropout = dropout
        self.epochs = epochs
        self.batch_size = batch_size
        self.lr = lr
        self.patience = patience
        self.validation_fraction = validation_fraction
        self.device = device
        self.random_state = random_state

    def _build_net(self, d: int, n_out: int, gen: torch.Generator) -> nn.Module:
        return SANNet(d, n_out, self.n_heads, int(self.hidden), float(self.dropout), gen)

    def _finish(self, X: torch.Tensor, y: torch.Tensor, s: int) -> None:
        release_generators(self.net_)
        with torch.no_grad():
            scores = self._importance(X)
        self._set_scores(scores.cpu().numpy().astype(np.float64), s)

    def _importance(self, X: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError


class SANAggregateSelector(_SANBase):
    """SAN with instance-level attention averaged over the training samples (``san_aggr``).

    Parameters
    ----------
    n_features_to_select : int or None, default=None
        ``s``; the top ``s`` of the importance are selected. None selects half the features.
    task : {"auto", "classification", "regression"}, default="auto"
    n_heads : int, default=1
        Attention heads ``k``.
    hidden : int, default=128
        Units of the dense layer after the attention.
    dropout : float, default=0.2
    epochs, batch_size, lr, patience, validation_fraction : default=32, 32, 1e-3, 32, 0.2
        Adam budget; the best epoch on the validation loss is kept.
    device, random_state
        Device and seed (weights, batches and dropout masks).

    Attributes
    ----------
    support_, ranking_, feature_importances_ : ndarray of shape (n_features,)
    net_ : SANNet
    """

    method_name = "san_aggr"

    def _importance(self, X: torch.Tensor) -> torch.Tensor:
        return self.net_.attention(X).mean(0)  # (d,)


class SANGlobalSelector(_SANBase):
    """SAN with the global attention weights ``mean_h softmax(diag W_h)`` (``san_global``).

    Parameters and attributes as :class:`SANAggregateSelector`.
    """

    method_name = "san_global"

    def _importance(self, X: torch.Tensor) -> torch.Tensor:
        return self.net_.global_attention()  # (d,)
