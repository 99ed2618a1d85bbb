"""Operator and selector networks: layers and forward passes only.

No I/O, loops over samples or masks, seeding or device choice here: modules take their device
from their inputs and their randomness from the generator handed to ``reset_parameters``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

ACTIVATIONS = {"sigmoid": nn.Sigmoid, "relu": nn.ReLU, "tanh": nn.Tanh, "elu": nn.ELU}
OPERATORS = ("mlp", "cnn")  # the operator kinds build_operator knows


def make_activation(name: str) -> nn.Module:
    """The activation module called ``name``; an unknown name lists the options."""
    try:
        return ACTIVATIONS[name]()
    except KeyError:
        raise ValueError(
            f"activation={name!r} is not supported; choose one of {sorted(ACTIVATIONS)}."
        ) from None


def glorot_(weight: torch.Tensor, fan_in: int, fan_out: int, gen: torch.Generator) -> None:
    """Glorot-uniform initialisation (the reference's Keras default) from ``gen``."""
    bound = math.sqrt(6.0 / (fan_in + fan_out))
    with torch.no_grad():
        weight.uniform_(-bound, bound, generator=gen)


def _dense_stack(sizes: Sequence[int], activation: str) -> nn.Sequential:
    """Linear layers ``sizes[0] -> ... -> sizes[-1]``, activation between them, none at the end."""
    layers: list[nn.Module] = []
    for i, (fan_in, fan_out) in enumerate(zip(sizes[:-1], sizes[1:], strict=True)):
        layers.append(nn.Linear(fan_in, fan_out))
        if i < len(sizes) - 2:
            layers.append(make_activation(activation))
    return nn.Sequential(*layers)


def _reset_stack(stack: nn.Module, gen: torch.Generator) -> None:
    for layer in stack.modules():
        if isinstance(layer, nn.Linear | nn.Conv2d):
            receptive = layer.weight[0, 0].numel() if layer.weight.dim() > 2 else 1
            fan_in = layer.weight.shape[1] * receptive
            fan_out = layer.weight.shape[0] * receptive
            glorot_(layer.weight, fan_in, fan_out, gen)
            if layer.bias is not None:
                nn.init.zeros_(layer.bias)


def _rows(weight: torch.Tensor, index: torch.Tensor, sparse_grad: bool) -> torch.Tensor:
    """``weight[index]``; with ``sparse_grad`` its gradient is a sparse tensor of those rows."""
    return F.embedding(index, weight, sparse=True) if sparse_grad else weight[index]


class MaskedInput(nn.Module):
    """The operator's first dense layer on the concatenated input ``[x * m, m]``.

    The weight is stored as its two halves, ``weight_x`` for ``x * m`` and ``weight_m`` for ``m``
    (each ``(n_features, n_out)``), so that the layer never materialises the ``2d``-wide input:

    * dense: ``(x[:, None] * m[None]) @ W_x + m @ W_m`` where ``m @ W_m`` is computed once per
      mask, not once per (sample, mask) row;
    * gathered: when every mask has exactly ``s`` ones at ``index`` ``(n_masks, s)``, only those
      ``s`` rows of each half are needed: ``x[:, index] @ W_x[index] + W_m[index].sum(0)``, so
      the cost follows ``s``, not ``d``. Both give the same values and gradients (tested).

    With ``sparse_grad=True`` (gathered path only) the two halves get sparse gradients holding
    just the gathered rows. Accumulated into an existing dense ``.grad`` (as in the training
    loop, whose optimiser keeps one), they are added in place row by row, so the backward pass
    also costs ``O(s)`` rather than allocating, filling and adding a dense ``(d, n_out)``
    gradient; the accumulated values are the same bits (tested). ``torch.autograd.grad`` then
    returns sparse tensors, so it is off by default.
    """

    def __init__(self, n_features: int, n_out: int) -> None:
        super().__init__()
        self.n_features = n_features
        self.weight_x = nn.Parameter(torch.empty(n_features, n_out))
        self.weight_m = nn.Parameter(torch.empty(n_features, n_out))
        self.bias = nn.Parameter(torch.zeros(n_out))

    def reset_parameters(self, gen: torch.Generator) -> None:
        # Glorot over the full (2d, n_out) matrix, as one Keras Dense layer on [x*m, m] would be.
        n_out = self.bias.shape[0]
        glorot_(self.weight_x, 2 * self.n_features, n_out, gen)
        glorot_(self.weight_m, 2 * self.n_features, n_out, gen)
        nn.init.zeros_(self.bias)

    def forward(
        self,
        x: torch.Tensor,
        masks: torch.Tensor,
        index: torch.Tensor | None = None,
        *,
        sparse_grad: bool = False,
    ) -> torch.Tensor:
        """``x`` (n, d), ``masks`` (n_masks, d) -> pre-activations (n, n_masks, n_out)."""
        if index is None:
            if sparse_grad:
                raise ValueError("sparse_grad=True needs the gathered path (an index).")
            xm = x[:, None, :] * masks[None, :, :]  # (n, n_masks, d)
            return xm @ self.weight_x + (masks @ self.weight_m + self.bias)  # (n, n_masks, n_out)
        # index: (n_masks, s), the positions of the ones of each (binary) mask.
        xs = x[:, index].transpose(0, 1)  # (n_masks, n, s)
        wx = _rows(self.weight_x, index, sparse_grad)  # (n_masks, s, n_out)
        wm = _rows(self.weight_m, index, sparse_grad)  # (n_masks, s, n_out)
        mask_term = wm.sum(dim=1) + self.bias  # (n_masks, n_out)
        return (torch.bmm(xs, wx) + mask_term[:, None, :]).transpose(0, 1)  # (n, n_masks, n_out)


@dataclass(frozen=True)
class OperatorConfig:
    """Shape of an operator net. ``kind`` is ``"mlp"`` or ``"cnn"``."""

    n_features: int
    n_outputs: int
    hidden: tuple[int, ...] = (60, 30, 20)
    activation: str = "sigmoid"
    kind: str = "mlp"
    image_shape: tuple[int, int] | None = None
    conv_channels: tuple[int, ...] = (32, 64, 128)
    conv_kernels: tuple[int, ...] = (5, 3, 3)


class OperatorMLP(nn.Module):
    """``f_O(theta; x, m)``: an MLP on ``[x * m, m]`` crossing every sample with every mask."""

    def __init__(self, config: OperatorConfig) -> None:
        super().__init__()
        if not config.hidden:
            raise ValueError(
                "operator_hidden must name at least one hidden layer, e.g. [60, 30, 20]."
            )
        self.config = config
        self.first = MaskedInput(config.n_features, config.hidden[0])
        self.act = make_activation(config.activation)
        self.rest = _dense_stack([*config.hidden, config.n_outputs], config.activation)

    def reset_parameters(self, gen: torch.Generator) -> None:
        self.first.reset_parameters(gen)
        _reset_stack(self.rest, gen)

    def forward(
        self,
        x: torch.Tensor,
        masks: torch.Tensor,
        index: torch.Tensor | None = None,
        *,
        sparse_grad: bool = False,
    ) -> torch.Tensor:
        """``x`` (n, d), ``masks`` (n_masks, d) -> outputs (n, n_masks, n_outputs).

        ``index`` and ``sparse_grad`` select the first layer's gathered path (see
        :class:`MaskedInput`).
        """
        return self.rest(self.act(self.first(x, masks, index, sparse_grad=sparse_grad)))


class OperatorCNN(nn.Module):
    """``f_O`` for images: two input channels, ``x * m`` and ``m`` (supplement Table I, yale).

    Convolutions with ``conv_channels``/``conv_kernels`` (valid padding), each followed by 2x2
    max-pooling, then the dense ``hidden`` layers and the output layer.
    """

    def __init__(self, config: OperatorConfig) -> None:
        super().__init__()
        if config.image_shape is None:
            raise ValueError(
                "operator='cnn' needs image_shape=[height, width]: pass "
                "DualNetSelector(image_shape=(32, 32), ...) or set method.selector.image_shape "
                "in the dataset's dual-net config (e.g. image_shape: [32, 32])."
            )
        height, width = config.image_shape
        if height * width != config.n_features:
            raise ValueError(
                f"image_shape={list(config.image_shape)} has {height * width} pixels but the data "
                f"has {config.n_features} features; fix image_shape."
            )
        if len(config.conv_channels) != len(config.conv_kernels):
            raise ValueError(
                f"conv_channels={list(config.conv_channels)} and "
                f"conv_kernels={list(config.conv_kernels)} must have the same length."
            )
        self.config = config
        layers: list[nn.Module] = []
        channels, size_h, size_w = 2, height, width
        for out_channels, kernel in zip(config.conv_channels, config.conv_kernels, strict=True):
            layers += [
                nn.Conv2d(channels, out_channels, kernel),
                make_activation(config.activation),
            ]
            layers.append(nn.MaxPool2d(2))
            channels = out_channels
            size_h, size_w = (size_h - kernel + 1) // 2, (size_w - kernel + 1) // 2
            if size_h < 1 or size_w < 1:
                raise ValueError(
                    f"image_shape={list(config.image_shape)} is too small for conv_kernels="
                    f"{list(config.conv_kernels)} with 2x2 pooling; use fewer or smaller kernels."
                )
        self.features = nn.Sequential(*layers, nn.Flatten())
        sizes = [channels * size_h * size_w, *config.hidden, config.n_outputs]
        self.head = _dense_stack(sizes, config.activation)

    def reset_parameters(self, gen: torch.Generator) -> None:
        _reset_stack(self, gen)

    def forward(
        self, x: torch.Tensor, masks: torch.Tensor, index: torch.Tensor | None = None
    ) -> torch.Tensor:
        """``x`` (n, d), ``masks`` (n_masks, d) -> outputs (n, n_masks, n_outputs)."""
        n, n_masks = x.shape[0], masks.shape[0]
        height, width = self.config.image_shape  # type: ignore[misc]
        xm = x[:, None, :] * masks[None, :, :]  # (n, n_masks, d)
        image = torch.stack([xm, masks.expand_as(xm)], dim=2)  # (n, n_masks, 2, d)
        image = image.reshape(n * n_masks, 2, height, width)
        return self.head(self.features(image)).reshape(n, n_masks, -1)


def build_operator(config: OperatorConfig) -> OperatorMLP | OperatorCNN:
    """The operator net named by ``config.kind``."""
    if config.kind == "mlp":
        return OperatorMLP(config)
    if config.kind == "cnn":
        return OperatorCNN(config)
    raise ValueError(f"operator={config.kind!r} is not supported; choose 'mlp' or 'cnn'.")


class SelectorMLP(nn.Module):
    """``f_S(phi; m)``: predicts the operator's mean loss on mask ``m``."""

    def __init__(self, n_features: int, hidden: Sequence[int], activation: str = "sigmoid"):
        super().__init__()
        self.net = _dense_stack([n_features, *hidden, 1], activation)

    def reset_parameters(self, gen: torch.Generator) -> None:
        _reset_stack(self.net, gen)

    def forward(self, masks: torch.Tensor) -> torch.Tensor:
        """``masks`` (n_masks, d) -> predicted losses (n_masks,)."""
        return self.net(masks).squeeze(-1)

    @torch.no_grad()
    def shift_output(self, delta: torch.Tensor | float) -> None:
        """Add ``delta`` to every prediction (to the output unit's bias)."""
        self.net[-1].bias.add_(delta)
