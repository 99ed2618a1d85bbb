"""A hand-written forward and backward pass for the MLP operator's training step.

On the paper's small nets (XOR: 20-60-30-20-4 on 32 x 32 = 1,024 rows a step) an autograd step
costs more in bookkeeping -- graph nodes, saved tensors, gradient accumulation, a temporary per
operation -- than in arithmetic. :func:`operator_step_grads` does the same arithmetic with no
graph: one forward pass keeping each layer's output, then the chain rule layer by layer, each
gradient written straight into its parameter's ``.grad`` (a slice of the
:class:`fir.optim.FlatOptimizer`'s buffer), in place wherever a temporary would be freed at once.

Activations are kept feature-major, ``(features, rows)``: with 1,024 rows and 4-60 features
the small matrix products, the reductions and the softmax over a handful of classes are all
faster along the long row axis on a CPU. An XOR operator step with its NAdam update takes
~0.69 ms on one core against ~0.91 ms through autograd; ``scripts/bench_step.py`` reports the
ratio for whole Phase II batches.

It covers the dense (not gathered) :class:`fir.nets.OperatorMLP` in float32, every activation of
:data:`fir.nets.ACTIVATIONS` and every loss of :func:`fir.training.row_losses`. Its losses and
gradients equal autograd's up to float32 rounding (tested), so a fit follows the same path to
within rounding, not bit for bit. :func:`supports` says when it applies; the training loop uses
autograd otherwise.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from fir.nets import OperatorMLP

ACTIVATIONS = ("sigmoid", "tanh", "relu", "elu")  # those with a hand-written derivative here


def supports(operator: nn.Module, gather: bool, precision: str) -> bool:
    """Whether :func:`operator_step_grads` can compute ``operator``'s training step."""
    return (
        isinstance(operator, OperatorMLP)
        and operator.config.activation in ACTIVATIONS
        and not gather
        and precision == "32"
    )


def _activate_(z: torch.Tensor, name: str) -> torch.Tensor:
    """The activation ``name`` applied to ``z`` in place."""
    if name == "sigmoid":
        return z.sigmoid_()
    if name == "tanh":
        return z.tanh_()
    if name == "relu":
        return z.relu_()
    if name == "elu":
        return F.elu_(z)
    raise ValueError(f"activation={name!r} has no hand-written derivative.")


def _activation_grad(grad: torch.Tensor, out: torch.Tensor, name: str) -> torch.Tensor:
    """``grad * f'(z)`` from the activation's output ``out = f(z)``: the ATen kernels autograd's
    own backward functions call (one fused pass each)."""
    aten = torch.ops.aten
    if name == "sigmoid":
        return aten.sigmoid_backward(grad, out)
    if name == "tanh":
        return aten.tanh_backward(grad, out)
    if name == "relu":
        return aten.threshold_backward(grad, out, 0)
    if name == "elu":  # nn.ELU's alpha = 1
        return aten.elu_backward(grad, 1.0, 1, 1, True, out)
    raise ValueError(f"activation={name!r} has no hand-written derivative.")


def _output_grad(
    out: torch.Tensor, target: torch.Tensor, kind: str
) -> tuple[torch.Tensor, torch.Tensor]:
    """Per-row losses ``(N,)`` and the gradient of their mean with respect to the outputs
    ``out`` ``(n_out, N)``; ``target`` ``(N,)`` holds each row's class index or value."""
    scale = 1.0 / out.shape[1]
    if kind == "multiclass":
        log_prob = torch.log_softmax(out, dim=0)  # over the classes
        losses = log_prob.gather(0, target[None]).neg_()[0]
        grad = log_prob.exp_()  # softmax - one-hot, scaled
        grad.scatter_add_(0, target[None], torch.full_like(losses[None], -1.0))
        return losses, grad.mul_(scale)
    if kind == "binary":
        losses = F.binary_cross_entropy_with_logits(out[0], target, reduction="none")
        return losses, torch.sigmoid(out).sub_(target).mul_(scale)
    if kind == "regression":
        diff = out - target
        return diff[0].square(), diff.mul_(2.0 * scale)
    raise ValueError(f"loss kind {kind!r} has no hand-written gradient.")


@torch.no_grad()
def operator_step_grads(
    operator: OperatorMLP, x: torch.Tensor, masks: torch.Tensor, y: torch.Tensor, kind: str
) -> torch.Tensor:
    """Per-mask mean losses ``(n_masks,)`` of ``operator`` on ``x`` ``(n, d)`` crossed with
    ``masks`` ``(n_masks, d)``, and the gradients of their mean written into every parameter's
    ``.grad`` (overwritten, not accumulated; each must exist, as a
    :class:`fir.optim.FlatOptimizer` keeps them).

    The same values, to float32 rounding, as ``per_mask = row_losses(operator(x, masks), y,
    kind).mean(0)`` followed by ``per_mask.mean().backward()`` from zeroed gradients.
    """
    first, activation = operator.first, operator.config.activation
    linears = [layer for layer in operator.rest if isinstance(layer, nn.Linear)]
    n, d = x.shape
    n_masks = masks.shape[0]
    n_rows = n * n_masks  # row b * n_masks + j: sample b under mask j
    # forward, feature-major, keeping every hidden layer's output
    xm = (x.t()[:, :, None] * masks.t()[:, None, :]).view(d, n_rows)  # x * m, (d, N)
    mask_term = torch.addmm(first.bias, masks, first.weight_m).t()  # (h0, n_masks)
    z = first.weight_x.t() @ xm  # (h0, N)
    z.view(-1, n, n_masks).add_(mask_term[:, None, :])
    hidden = [_activate_(z, activation)]
    for i, layer in enumerate(linears):
        z = torch.addmm(layer.bias[:, None], layer.weight, hidden[-1])  # (out, N)
        if i < len(linears) - 1:
            hidden.append(_activate_(z, activation))
    losses, grad = _output_grad(z, y.repeat_interleave(n_masks), kind)
    # backward: grad is d(mean loss)/d(pre-activations) of the current layer, (out, N)
    for layer, inputs in zip(reversed(linears), reversed(hidden), strict=True):
        torch.sum(grad, dim=1, out=layer.bias.grad)
        torch.mm(grad, inputs.t(), out=layer.weight.grad)
        grad = _activation_grad(layer.weight.t() @ grad, inputs, activation)
    torch.sum(grad, dim=1, out=first.bias.grad)
    torch.mm(masks.t(), grad.view(-1, n, n_masks).sum(1).t(), out=first.weight_m.grad)
    torch.mm(xm, grad.t(), out=first.weight_x.grad)
    return losses.view(n, n_masks).mean(0)
