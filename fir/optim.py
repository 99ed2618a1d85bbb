"""Adam and NAdam over one flat parameter buffer.

The nets here are small, so a step of ``torch.optim.NAdam`` costs more in per-tensor dispatch
than in arithmetic (it was ~40 % of an operator step on a 2-core CPU). :class:`FlatOptimizer`
re-points every parameter (and its ``.grad``) at a slice of one contiguous buffer and updates
that buffer with a handful of tensor operations. The update rules are those of
``torch.optim.Adam`` and ``torch.optim.NAdam`` (tested to agree with them).
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import torch

OPTIMIZERS = ("adam", "nadam", "sgd")


class FlatOptimizer:
    """``adam``, ``nadam`` or ``sgd`` on a flat view of ``params``.

    Parameters keep their identity (modules, ``state_dict`` and ``load_state_dict`` work as
    before); only their storage moves into one buffer. Gradients accumulate into a matching
    buffer, so ``zero_grad`` is one operation and never sets them to ``None``.
    """

    def __init__(
        self,
        params: Iterable[torch.nn.Parameter],
        name: str = "adam",
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-7,
        momentum_decay: float = 4e-3,
    ) -> None:
        if name not in OPTIMIZERS:
            raise ValueError(f"optimizer={name!r} is not supported; choose one of {OPTIMIZERS}.")
        if not lr > 0:
            raise ValueError(f"learning rate must be positive; got {lr!r}.")
        params = [p for p in params if p.requires_grad]
        if not params:
            raise ValueError("FlatOptimizer got no trainable parameters.")
        first = params[0]
        total = sum(p.numel() for p in params)
        self.flat = torch.empty(total, dtype=first.dtype, device=first.device)
        self.grad = torch.zeros_like(self.flat)
        self.params = params
        offset = 0
        for p in params:
            n = p.numel()
            self.flat[offset : offset + n].copy_(p.detach().flatten())
            p.data = self.flat[offset : offset + n].view_as(p)
            p.grad = self.grad[offset : offset + n].view_as(p)
            offset += n
        self.name, self.lr, self.betas, self.eps = name, lr, betas, eps
        self.momentum_decay = momentum_decay
        self.n_steps = 0
        self.mu_product = 1.0
        if name != "sgd":
            self.exp_avg = torch.zeros_like(self.flat)
            self.exp_avg_sq = torch.zeros_like(self.flat)

    def release(self) -> None:
        """Give every parameter its own storage again and drop the gradients.

        Call after training: otherwise each parameter keeps the whole flat buffer (and its
        gradient buffer) alive, and pickling a parameter would write the whole buffer.
        """
        for p in self.params:
            p.data = p.data.clone()
            p.grad = None

    def zero_grad(self) -> None:
        self.grad.zero_()

    @torch.no_grad()
    def step(self) -> None:
        """One update of every parameter from the accumulated gradients."""
        self.n_steps += 1
        lr, grad, param = self.lr, self.grad, self.flat
        if self.name == "sgd":
            param.add_(grad, alpha=-lr)
            return
        beta1, beta2 = self.betas
        t = self.n_steps
        self.exp_avg.lerp_(grad, 1 - beta1)
        self.exp_avg_sq.mul_(beta2).addcmul_(grad, grad, value=1 - beta2)
        bias2 = 1 - beta2**t
        if self.name == "adam":
            denom = (self.exp_avg_sq.sqrt() / math.sqrt(bias2)).add_(self.eps)
            param.addcdiv_(self.exp_avg, denom, value=-lr / (1 - beta1**t))
            return
        # NAdam (Dozat 2016) with torch's momentum-decay schedule.
        mu = beta1 * (1.0 - 0.5 * 0.96 ** (t * self.momentum_decay))
        mu_next = beta1 * (1.0 - 0.5 * 0.96 ** ((t + 1) * self.momentum_decay))
        self.mu_product *= mu
        denom = self.exp_avg_sq.div(bias2).sqrt_().add_(self.eps)
        param.addcdiv_(grad, denom, value=-lr * (1.0 - mu) / (1.0 - self.mu_product))
        param.addcdiv_(self.exp_avg, denom, value=-lr * mu_next / (1.0 - self.mu_product * mu_next))
