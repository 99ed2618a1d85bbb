"""Adam and NAdam over one flat parameter buffer.

The nets here are small, so a step of ``torch.optim.NAdam`` costs more in per-tensor dispatch
than in arithmetic (it was ~40 % of an operator step on a 2-core CPU). :class:`FlatOptimizer`
re-points every parameter (and its ``.grad``) at a slice of one contiguous buffer and updates
that buffer with a handful of tensor operations. The update rules are those of
``torch.optim.Adam`` and ``torch.optim.NAdam`` (tested to agree with them).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

import torch

OPTIMIZERS = ("adam", "nadam", "sgd")


class FlatOptimizer:
    """``adam``, ``nadam`` or ``sgd`` on a flat view of ``params``.

    Parameters keep their identity (modules, ``state_dict`` and ``load_state_dict`` work as
    before); only their storage moves into one buffer. Gradients accumulate into a matching
    buffer, so ``zero_grad`` is one operation and never sets them to ``None``.

    ``lazy`` names matrices (of one row count) whose rows may be updated lazily: a step given
    ``rows`` updates only those rows of them (see :meth:`step`); the operator's first layer uses
    it so that its update, like its forward and backward passes, costs ``O(s)`` rather than
    ``O(d)``.
    """

    def __init__(
        self,
        params: Iterable[torch.nn.Parameter],
        name: str = "adam",
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-7,
        momentum_decay: float = 4e-3,
        lazy: Sequence[torch.nn.Parameter] = (),
    ) -> None:
        if name not in OPTIMIZERS:
            raise ValueError(f"optimizer={name!r} is not supported; choose one of {OPTIMIZERS}.")
        if not lr > 0:
            raise ValueError(f"learning rate must be positive; got {lr!r}.")
        params = [p for p in params if p.requires_grad]
        if not params:
            raise ValueError("FlatOptimizer got no trainable parameters.")
        lazy_ids = {id(p) for p in lazy}
        if lazy:
            if name == "sgd" or not lazy_ids <= {id(p) for p in params}:
                raise ValueError(
                    "lazy parameters need optimizer='adam' or 'nadam' and must be among the "
                    "optimised parameters."
                )
            if len({p.shape[0] for p in lazy}) != 1 or any(p.dim() != 2 for p in lazy):
                raise ValueError("lazy parameters must be matrices with the same number of rows.")
            # lazy matrices first, so that the rest of the buffer is one contiguous tail
            params = [p for p in params if id(p) in lazy_ids] + [
                p for p in params if id(p) not in lazy_ids
            ]
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
        self.lazy_shapes = [tuple(p.shape) for p in params[: len(lazy_ids)]]
        self.dense_start = sum(p.numel() for p in params[: len(lazy_ids)])
        self._lazy_grads_clean = False
        self.name, self.lr, self.betas, self.eps = name, lr, betas, eps
        self.momentum_decay = momentum_decay
        self.n_steps = 0
        self.mu_product = 1.0
        if name != "sgd":
            self.exp_avg = torch.zeros_like(self.flat)
            self.exp_avg_sq = torch.zeros_like(self.flat)
            # The denominator of each step, kept between steps: allocating a parameter-sized
            # temporary every step costs page faults that dominate a wide first layer's update
            # (NAdam at d = 20,000: 175 -> 105 ms per step); the arithmetic is unchanged.
            self._denom = torch.empty_like(self.flat)

    def release(self) -> None:
        """Give every parameter its own storage again and drop the gradients.

        Call after training: otherwise each parameter keeps the whole flat buffer (and its
        gradient buffer) alive, and pickling a parameter would write the whole buffer.
        """
        for p in self.params:
            p.data = p.data.clone()
            p.grad = None

    def zero_grad(self) -> None:
        if self._lazy_grads_clean:  # a lazy step cleared the rows it read; the rest were zero
            self.grad[self.dense_start :].zero_()
        else:
            self.grad.zero_()
        self._lazy_grads_clean = False

    def _lazy_views(self, buffer: torch.Tensor) -> list[torch.Tensor]:
        """The lazy matrices' parts of a flat ``buffer``, as ``(rows, cols)`` views."""
        views, offset = [], 0
        for rows, cols in self.lazy_shapes:
            views.append(buffer[offset : offset + rows * cols].view(rows, cols))
            offset += rows * cols
        return views

    @torch.no_grad()
    def step(self, rows: torch.Tensor | None = None) -> None:
        """One update of every parameter from the accumulated gradients.

        ``rows`` (lazy parameters only): the distinct rows of the lazy matrices that this step's
        gradient touches; every other row's gradient must be zero. Only those rows (and their
        moments) are updated, as in LazyAdam / ``torch.optim.SparseAdam``, so the cost follows
        ``len(rows)``; rows outside it keep their weights and moments (dense Adam would still
        move them by their decaying momentum). Without ``rows`` every row is updated.
        """
        self.n_steps += 1
        if self.name == "sgd":
            self.flat.add_(self.grad, alpha=-self.lr)
            return
        scales = self._scales()
        if rows is None or not self.lazy_shapes:
            self._update(self.flat, self.grad, self.exp_avg, self.exp_avg_sq, self._denom, scales)
            return
        tail = slice(self.dense_start, None)
        self._update(
            self.flat[tail],
            self.grad[tail],
            self.exp_avg[tail],
            self.exp_avg_sq[tail],
            self._denom[tail],
            scales,
        )
        views = zip(
            self._lazy_views(self.flat),
            self._lazy_views(self.grad),
            self._lazy_views(self.exp_avg),
            self._lazy_views(self.exp_avg_sq),
            strict=True,
        )
        for param, grad, exp_avg, exp_avg_sq in views:
            p, m1, m2 = param[rows], exp_avg[rows], exp_avg_sq[rows]
            self._update(p, grad[rows], m1, m2, torch.empty_like(p), scales)
            param[rows], exp_avg[rows], exp_avg_sq[rows] = p, m1, m2
            grad[rows] = 0.0
        self._lazy_grads_clean = True

    def _scales(self) -> tuple[float, ...]:
        """This step's scalar factors (bias corrections; NAdam's momentum schedule)."""
        beta1, beta2 = self.betas
        t = self.n_steps
        bias2 = 1 - beta2**t
        if self.name == "adam":
            return (bias2, -self.lr / (1 - beta1**t))
        # NAdam (Dozat 2016) with torch's momentum-decay schedule.
        mu = beta1 * (1.0 - 0.5 * 0.96 ** (t * self.momentum_decay))
        mu_next = beta1 * (1.0 - 0.5 * 0.96 ** ((t + 1) * self.momentum_decay))
        self.mu_product *= mu
        return (
            bias2,
            -self.lr * (1.0 - mu) / (1.0 - self.mu_product),
            -self.lr * mu_next / (1.0 - self.mu_product * mu_next),
        )

    def _update(
        self,
        param: torch.Tensor,
        grad: torch.Tensor,
        exp_avg: torch.Tensor,
        exp_avg_sq: torch.Tensor,
        denom: torch.Tensor,
        scales: tuple[float, ...],
    ) -> None:
        """Adam or NAdam on matching tensors, in place; ``denom`` is scratch space."""
        beta1, beta2 = self.betas
        exp_avg.lerp_(grad, 1 - beta1)
        exp_avg_sq.mul_(beta2).addcmul_(grad, grad, value=1 - beta2)
        if self.name == "adam":
            bias2, step_size = scales
            torch.sqrt(exp_avg_sq, out=denom).div_(math.sqrt(bias2)).add_(self.eps)
            param.addcdiv_(exp_avg, denom, value=step_size)
            return
        bias2, grad_size, avg_size = scales
        torch.div(exp_avg_sq, bias2, out=denom).sqrt_().add_(self.eps)
        param.addcdiv_(grad, denom, value=grad_size)
        param.addcdiv_(exp_avg, denom, value=avg_size)
