"""The alternating operator/selector optimisation (Algorithm 1) and early stopping.

One training *window* is ``selector_period`` operator batches (8 in the paper). Everything random
in a window -- the data batches, drawn with replacement, and the masks -- is drawn in one tensor
operation at the window's start; each operator step crosses its data batch with the whole mask
batch in one forward pass. At the window's end the selector takes one step on the pooled
(mask, per-mask loss) pairs, ``m_best`` is read off them, and in Phase II the optimal-mask search
gives the next ``m_opt``. Inside a window nothing leaves the device except the early-stopping
check (once every ``val_period`` batches); the search synchronises a few times per window.

With ``precision`` other than ``"32"`` the operator's and the selector's training forward passes
run under :func:`torch.autocast`; weights, optimiser state, the losses and their reductions, the
selector's targets, validation and the optimal-mask search stay in float32. ``"16-mixed"`` adds
dynamic loss scaling (the rule of ``torch.amp.GradScaler``), needed for float16 gradients.
"""

from __future__ import annotations

import contextlib
import logging
import time
from dataclasses import dataclass, field

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from fir.fused import operator_step_grads
from fir.masks import mask_index, masks_from_index, optimal_mask, perturb, random_index
from fir.optim import FlatOptimizer

log = logging.getLogger(__name__)

SELECTOR_LOSSES = ("squared", "absolute")
LOSS_KINDS = ("binary", "multiclass", "regression")
PRECISIONS = ("32", "bf16-mixed", "16-mixed")
SELECTOR_BIAS_INITS = ("zero", "target_mean")


def random_rows(mask_batch_size: int, exploit_fraction: float) -> int:
    """Random (exploration) rows of a Phase II mask batch: ``round((1 - f) |M'|)``."""
    return int(round((1.0 - exploit_fraction) * mask_batch_size))


@dataclass(frozen=True)
class TrainConfig:
    """Hyperparameters of Algorithm 1; names follow :class:`fir.DualNetSelector`."""

    s: int
    batch_size: int = 32
    mask_batch_size: int = 32
    phase2_start: int = 6000
    max_batches: int = 15000
    exploit_fraction: float = 0.5
    n_flips: int = 2
    selector_period: int = 8
    search_steps: int = 5
    val_period: int = 16
    patience: int = 600
    stop_metric: str = "loss"
    val_masks: str = "opt"
    selector_loss: str = "squared"
    selector_weights: tuple[float, float, float] = (10.0, 5.0, 1.0)
    selector_bias_init: str = "zero"
    gather: bool = False
    fused: bool = False
    lazy_first_layer: bool = False
    precision: str = "32"
    log_every: int = 0

    @property
    def n_random(self) -> int:
        """Random (exploration) rows of a Phase II mask batch, ``(1 - f) |M'|``."""
        return random_rows(self.mask_batch_size, self.exploit_fraction)


@dataclass
class History:
    """Per-step records of one fit, for learning curves (supplement Figures II-IV).

    ``operator_loss`` and ``mopt_loss`` have one entry per operator batch (``mopt_loss`` is NaN
    in Phase I); ``selector_loss`` one per selector step at ``selector_batch``; the validation
    arrays one per validation at ``val_batch`` (Phase II only). ``val_mopt_loss`` (and
    ``val_mopt_accuracy``, classification) is the m_opt column that early stopping watches;
    ``val_loss``, the mean over the whole mask batch, is NaN unless ``val_masks="all"``.
    """

    operator_loss: np.ndarray
    mopt_loss: np.ndarray
    selector_batch: np.ndarray
    selector_loss: np.ndarray
    val_batch: np.ndarray
    val_loss: np.ndarray
    val_mopt_loss: np.ndarray
    val_mopt_accuracy: np.ndarray
    phase2_start: int
    n_batches: int
    best_batch: int
    stopped_early: bool
    search_swaps: list[int] = field(default_factory=list)
    fit_time_s: float = 0.0
    finetune: FinetuneResult | None = None


@dataclass(frozen=True)
class FinetuneResult:
    """What :func:`finetune_operator` did: batches run, the batch whose weights were kept (0:
    none beat the starting weights, which were kept), and the final mask's validation loss
    before and after."""

    n_batches: int
    best_batch: int
    val_loss_start: float
    val_loss_best: float


def row_losses(out: torch.Tensor, y: torch.Tensor, kind: str) -> torch.Tensor:
    """Per-(sample, mask) loss ``(n, n_masks)`` from operator outputs ``(n, n_masks, n_out)``."""
    if kind == "binary":
        target = y[:, None].expand(-1, out.shape[1])  # (n, n_masks)
        return F.binary_cross_entropy_with_logits(out[..., 0], target, reduction="none")
    if kind == "multiclass":
        target = y[:, None].expand(-1, out.shape[1])  # (n, n_masks)
        return F.cross_entropy(out.transpose(1, 2), target, reduction="none")
    if kind == "regression":
        return (out[..., 0] - y[:, None]).square()
    raise ValueError(f"loss kind {kind!r} is not one of {LOSS_KINDS}.")


def selector_objective(
    pred: torch.Tensor, target: torch.Tensor, weights: torch.Tensor, kind: str
) -> torch.Tensor:
    """Weighted selector loss (supplement A.1): ``sum(w * err) / n`` over the pooled pairs.

    ``"squared"`` uses ``err = (pred - target)^2 / 2`` (Eq. 2b of the paper); ``"absolute"`` uses
    ``|pred - target|`` (the reference code). The sum is divided by the number of pairs, not by
    the sum of the weights, as in the reference.
    """
    diff = pred - target
    if kind == "squared":
        err = 0.5 * diff.square()
    elif kind == "absolute":
        err = diff.abs()
    else:
        raise ValueError(
            f"selector_loss={kind!r} is not supported; choose one of {SELECTOR_LOSSES}."
        )
    return (weights * err).sum() / err.numel()


def evaluate_masks(
    operator: nn.Module,
    X: torch.Tensor,
    y: torch.Tensor,
    masks: torch.Tensor,
    kind: str,
    max_elements: int = 1 << 24,
    index: torch.Tensor | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Mean loss ``(n_masks,)`` and accuracy ``(n_masks,)`` (NaN for regression) of every mask
    over all of ``X``, in chunks of at most ``max_elements`` (sample, mask, feature) values.
    ``index`` ``(n_masks, s)``, the positions of each mask's ones, selects the operator's
    gathered first layer (its cost follows s, not d)."""
    n_masks = masks.shape[0]
    chunk = max(1, max_elements // (n_masks * X.shape[1]))
    loss_sum = torch.zeros(n_masks, device=X.device)
    hits = torch.zeros(n_masks, device=X.device)
    with torch.no_grad():
        for start in range(0, X.shape[0], chunk):
            xb, yb = X[start : start + chunk], y[start : start + chunk]
            out = operator(xb, masks, index)  # (chunk, n_masks, n_out)
            loss_sum += row_losses(out, yb, kind).sum(0)
            if kind == "binary":
                hits += ((out[..., 0] > 0).float() == yb[:, None]).float().sum(0)
            elif kind == "multiclass":
                hits += (out.argmax(-1) == yb[:, None]).float().sum(0)
    accuracy = hits / X.shape[0] if kind != "regression" else torch.full_like(hits, torch.nan)
    return loss_sum / X.shape[0], accuracy


def _evaluate_eval_mode(
    operator: nn.Module,
    X: torch.Tensor,
    y: torch.Tensor,
    masks: torch.Tensor,
    kind: str,
    index: torch.Tensor | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """:func:`evaluate_masks` with the operator in eval mode, back in train mode after."""
    operator.eval()
    result = evaluate_masks(operator, X, y, masks, kind, index=index)
    operator.train()
    return result


def _operator_step(
    operator: nn.Module,
    opt: FlatOptimizer,
    amp: _Precision,
    x: torch.Tensor,
    masks: torch.Tensor,
    y: torch.Tensor,
    kind: str,
    cfg: TrainConfig,
    index: torch.Tensor | None,
    rows: torch.Tensor | None,
) -> torch.Tensor:
    """One operator update on ``x`` crossed with ``masks``; returns the per-mask mean losses
    ``(n_masks,)`` (detached). ``cfg.fused`` computes the gradients by hand
    (:mod:`fir.fused`), otherwise autograd does; ``index`` selects the gathered first layer."""
    if cfg.fused:
        per_mask = operator_step_grads(operator, x, masks, y, kind)  # writes every .grad
        opt.step(rows)
        return per_mask
    with amp.autocast():
        if index is None:
            out = operator(x, masks)
        else:
            # Sparse first-layer gradients make the gathered backward pass follow s, not d, on
            # the CPU, where a dense (d, h) gradient costs fresh pages every step; a GPU's
            # caching allocator and bandwidth make the dense one cheap, and keep its
            # deterministic accumulation.
            out = operator(x, masks, index, sparse_grad=x.device.type == "cpu")
    per_mask = row_losses(out.float(), y, kind).mean(0)  # (M,) from (B, M, n_out)
    amp.step(per_mask.mean(), opt, "operator", rows)
    return per_mask.detach()


def _lazy_rows(masks: torch.Tensor, index: torch.Tensor | None) -> torch.Tensor:
    """The features some mask of ``masks`` (n_masks, d) selects (``index``: their positions,
    when gathered): the first-layer rows a lazy step updates."""
    return masks.any(0).nonzero().squeeze(1) if index is None else index.unique()


def _validate(
    operator: nn.Module,
    X_val: torch.Tensor,
    y_val: torch.Tensor,
    masks: torch.Tensor,
    kind: str,
    cfg: TrainConfig,
    index: torch.Tensor | None = None,
) -> tuple[float, float, float]:
    """(mean loss over the mask batch, loss of m_opt, accuracy of m_opt) on the validation set.

    With ``val_masks="opt"`` only the m_opt column is evaluated (all that early stopping
    watches) and the mask-batch mean is NaN; ``"all"`` crosses the whole validation set with the
    whole mask batch, as the reference does, for learning curves. ``index`` (the masks' ones,
    when gathered) makes the operator's first layer follow s, as in training.
    """
    if cfg.val_masks == "all":
        loss, acc = _evaluate_eval_mode(operator, X_val, y_val, masks, kind, index)
        return float(loss.mean()), float(loss[cfg.n_random]), float(acc[cfg.n_random])
    opt = slice(cfg.n_random, cfg.n_random + 1)
    loss, acc = _evaluate_eval_mode(
        operator, X_val, y_val, masks[opt], kind, None if index is None else index[opt]
    )
    return float("nan"), float(loss[0]), float(acc[0])


class _EarlyStopping:
    """Watches the validation loss (or accuracy) of the m_opt column; keeps the operator's best
    weights.

    ``metric="loss"`` improves on a lower loss; ``"accuracy"`` on a higher accuracy, or an equal
    accuracy with a lower loss. ``best`` is the loss at the best batch either way.
    """

    def __init__(self, patience: int, metric: str = "loss") -> None:
        self.patience = patience
        self.metric = metric
        self.best = float("inf")
        self.best_accuracy = float("-inf")
        self.best_batch = -1
        self.first_batch: int | None = None
        self.best_state: dict[str, torch.Tensor] | None = None

    def _improves(self, loss: float, accuracy: float) -> bool:
        if not np.isfinite(loss):
            return False
        if self.metric == "accuracy":
            return accuracy > self.best_accuracy or (
                accuracy == self.best_accuracy and loss < self.best
            )
        return loss < self.best

    def update(
        self, loss: float, batch: int, operator: nn.Module, accuracy: float = float("nan")
    ) -> bool:
        """Record ``loss`` (and ``accuracy``) at ``batch``; True when patience has run out.

        Patience counts from the best batch, or from the first validation while no finite loss
        has been seen (a non-finite loss never counts as an improvement).
        """
        if self.first_batch is None:
            self.first_batch = batch
        if self._improves(loss, accuracy):
            self.best, self.best_accuracy, self.best_batch = loss, accuracy, batch
            self._snapshot(operator)
        return batch - max(self.best_batch, self.first_batch) >= self.patience

    def _snapshot(self, operator: nn.Module) -> None:
        """Copy the operator's state into ``best_state``: new tensors the first time, the same
        ones after (a fresh d-wide clone at every improvement costs new pages)."""
        state = operator.state_dict()
        if self.best_state is None:
            self.best_state = {k: v.detach().clone() for k, v in state.items()}
            return
        for key, value in state.items():
            self.best_state[key].copy_(value)

    def restore(self, operator: nn.Module) -> None:
        if self.best_state is not None:
            operator.load_state_dict(self.best_state)


class _LossScaler:
    """Dynamic loss scaling for float16 on a :class:`FlatOptimizer`'s flat gradient.

    ``torch.amp.GradScaler``'s rule (it needs a ``torch.optim.Optimizer``): gradients of
    ``loss * scale`` are checked for inf/NaN; if any, the step is skipped and the scale halved,
    otherwise they are unscaled and applied, and the scale doubles after ``growth_interval``
    clean steps in a row.
    """

    def __init__(self, init_scale: float = 2.0**16, growth_interval: int = 2000) -> None:
        self.scale = init_scale
        self.growth_interval = growth_interval
        self.clean_steps = 0
        self.skipped = 0

    def step(
        self, loss: torch.Tensor, opt: FlatOptimizer, rows: torch.Tensor | None = None
    ) -> None:
        opt.zero_grad()
        (loss * self.scale).backward()
        if not bool(torch.isfinite(opt.grad).all()):  # one synchronisation per step
            self.scale, self.clean_steps = self.scale / 2, 0
            self.skipped += 1
            return
        opt.grad.mul_(1.0 / self.scale)
        opt.step(rows)
        self.clean_steps += 1
        if self.clean_steps == self.growth_interval:
            self.scale, self.clean_steps = self.scale * 2, 0


class _Precision:
    """Autocast and optimiser steps for one fit at ``precision`` (one of :data:`PRECISIONS`)."""

    def __init__(self, precision: str, device: torch.device) -> None:
        if precision not in PRECISIONS:
            raise ValueError(
                f"precision={precision!r} is not supported; choose one of {PRECISIONS}."
            )
        self.device_type = device.type
        self.dtype = {"bf16-mixed": torch.bfloat16, "16-mixed": torch.float16}.get(precision)
        fp16 = precision == "16-mixed"
        self.scalers = {"operator": _LossScaler(), "selector": _LossScaler()} if fp16 else None

    def autocast(self) -> contextlib.AbstractContextManager:
        if self.dtype is None:
            return contextlib.nullcontext()
        return torch.autocast(self.device_type, dtype=self.dtype)

    def step(
        self, loss: torch.Tensor, opt: FlatOptimizer, net: str, rows: torch.Tensor | None = None
    ) -> None:
        """Backward pass and optimiser step of ``net`` (``"operator"`` or ``"selector"``);
        ``rows``: the lazy rows to update (:meth:`FlatOptimizer.step`)."""
        if self.scalers is not None:
            self.scalers[net].step(loss, opt, rows)
            return
        opt.zero_grad()
        loss.backward()
        opt.step(rows)


def _window_masks(
    cfg: TrainConfig,
    n_features: int,
    m_opt: torch.Tensor | None,
    m_best: torch.Tensor | None,
    gen: torch.Generator,
    device: torch.device,
) -> torch.Tensor:
    """Mask batches ``(period, mask_batch_size, d)`` for one window.

    Phase I (``m_opt is None``): all random. Phase II: rows ``[0, n_random)`` random, then
    ``m_opt``, ``m_best``, and ``Perturb(m_opt, n_flips)`` copies for the rest (the reference's
    layout).
    """
    period, size = cfg.selector_period, cfg.mask_batch_size
    if m_opt is None or m_best is None:
        index = random_index(period * size, n_features, cfg.s, gen, device)
        return masks_from_index(index, n_features).view(period, size, n_features)
    n_random = cfg.n_random
    n_perturbed = size - n_random - 2
    rand = masks_from_index(
        random_index(period * n_random, n_features, cfg.s, gen, device), n_features
    )
    fixed = torch.stack([m_opt, m_best])  # (2, d)
    pert = perturb(m_opt, cfg.n_flips, period * n_perturbed, gen)  # (period * n_perturbed, d)
    return torch.cat(
        [
            rand.view(period, n_random, n_features),
            fixed.expand(period, 2, n_features),
            pert.view(period, n_perturbed, n_features),
        ],
        dim=1,
    )  # (period, size, d)


def train_dual_net(
    operator: nn.Module,
    selector: nn.Module,
    operator_opt: FlatOptimizer,
    selector_opt: FlatOptimizer,
    data: tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor],
    kind: str,
    cfg: TrainConfig,
    gen: torch.Generator,
) -> History:
    """Run Phases I and II until early stopping or ``max_batches``; restore the best operator.

    ``data`` is ``(X, y, X_val, y_val)``, already on the operator's device.
    """
    X, y, X_val, y_val = data
    device, (n, d) = X.device, X.shape
    amp = _Precision(cfg.precision, device)
    period, size = cfg.selector_period, cfg.mask_batch_size
    n_windows = -(-cfg.max_batches // period)
    weights2 = torch.full((period, size), cfg.selector_weights[2], device=device)  # others
    weights2[:, cfg.n_random + 1] = cfg.selector_weights[0]  # m_best row
    weights2[:, cfg.n_random] = cfg.selector_weights[1]  # m_opt row
    weights1 = torch.ones(period, size, device=device)

    op_hist = torch.full((n_windows * period,), torch.nan, device=device)
    mopt_hist = torch.full((n_windows * period,), torch.nan, device=device)
    sel_hist = torch.full((n_windows,), torch.nan, device=device)
    sel_batch = np.zeros(n_windows, dtype=np.int64)
    val_rows: list[tuple[int, float, float, float]] = []
    swaps: list[int] = []
    stopper = _EarlyStopping(cfg.patience, cfg.stop_metric)
    m_opt: torch.Tensor | None = None
    m_best: torch.Tensor | None = None
    phase2_start = -1
    stopped, t = False, 0
    start_time = time.perf_counter()

    for window in range(n_windows):
        t0 = window * period
        if m_opt is None and t0 >= cfg.phase2_start and m_best is not None:
            phase2_start = t0
            result = optimal_mask(selector, d, cfg.s, cfg.search_steps, device)
            m_opt = result.mask
            swaps.append(result.n_swaps)
        masks = _window_masks(cfg, d, m_opt, m_best, gen, device)  # (period, size, d)
        index = (
            mask_index(masks.view(-1, d), cfg.s).view(period, size, cfg.s) if cfg.gather else None
        )
        rows = torch.randint(n, (period, cfg.batch_size), generator=gen, device=device)
        xw, yw = X[rows], y[rows]  # (period, B, d), (period, B)
        losses = torch.empty(period, size, device=device)
        operator.train()
        n_steps = min(period, cfg.max_batches - t0)
        n_done = n_steps
        for j in range(n_steps):
            t = t0 + j
            index_j = None if index is None else index[j]
            rows = _lazy_rows(masks[j], index_j) if cfg.lazy_first_layer else None
            per_mask = _operator_step(
                operator, operator_opt, amp, xw[j], masks[j], yw[j], kind, cfg, index_j, rows
            )  # (M,)
            losses[j] = per_mask
            if m_opt is not None and (t - phase2_start) % cfg.val_period == 0:
                row = _validate(operator, X_val, y_val, masks[j], kind, cfg, index_j)
                val_rows.append((t, *row))
                if stopper.update(row[1], t, operator, accuracy=row[2]):
                    stopped, n_done = True, j + 1
                    break
            if cfg.log_every and (t + 1) % cfg.log_every == 0:
                _log_progress(t + 1, cfg, phase2_start, float(per_mask.mean()), stopper, start_time)
        op_hist[t0 : t0 + n_done] = losses[:n_done].mean(1)
        if m_opt is not None:
            mopt_hist[t0 : t0 + n_done] = losses[:n_done, cfg.n_random]
        # Phase II-A: one selector step on the window's pooled (mask, per-mask loss) pairs.
        weights = weights1 if m_opt is None else weights2
        selector.train()
        with amp.autocast():
            pred = selector(masks[:n_done].reshape(-1, d)).float()  # (n_done * size,)
        targets = losses[:n_done].reshape(-1)
        if window == 0 and cfg.selector_bias_init == "target_mean":
            shift = targets.mean() - pred.detach().mean()
            selector.shift_output(shift)
            pred = pred + shift  # the shifted net's prediction: the bias enters additively
        sel_loss = selector_objective(
            pred, targets, weights[:n_done].reshape(-1), cfg.selector_loss
        )
        amp.step(sel_loss, selector_opt, "selector")
        sel_hist[window] = sel_loss.detach()
        sel_batch[window] = t0 + n_done - 1
        m_best = masks[:n_done].reshape(-1, d)[losses[:n_done].argmin()]
        if stopped:
            break
        if m_opt is not None and t0 + period < cfg.max_batches:
            result = optimal_mask(selector, d, cfg.s, cfg.search_steps, device)
            m_opt = result.mask
            swaps.append(result.n_swaps)

    n_batches = t + 1
    stopper.restore(operator)
    val = np.array(val_rows, dtype=float).reshape(-1, 4)
    return History(
        operator_loss=op_hist[:n_batches].cpu().numpy(),
        mopt_loss=mopt_hist[:n_batches].cpu().numpy(),
        selector_batch=sel_batch[: window + 1],
        selector_loss=sel_hist[: window + 1].cpu().numpy(),
        val_batch=val[:, 0].astype(int),
        val_loss=val[:, 1],
        val_mopt_loss=val[:, 2],
        val_mopt_accuracy=val[:, 3],
        phase2_start=phase2_start,
        n_batches=n_batches,
        best_batch=stopper.best_batch,
        stopped_early=stopped,
        search_swaps=swaps,
        fit_time_s=time.perf_counter() - start_time,
    )


def _log_progress(
    batch: int, cfg: TrainConfig, phase2_start: int, loss: float, stopper: _EarlyStopping, t0: float
) -> None:
    phase = "I" if phase2_start < 0 else "II"
    accuracy = f" (accuracy {stopper.best_accuracy:.4f})" if stopper.metric == "accuracy" else ""
    best = (
        f", best val m_opt loss {stopper.best:.4f}{accuracy} @ {stopper.best_batch}"
        if stopper.best_batch >= 0
        else ""
    )
    log.info(
        "batch %d/%d (phase %s): train loss %.4f%s, %.1f s",
        batch,
        cfg.max_batches,
        phase,
        loss,
        best,
        time.perf_counter() - t0,
    )


def finetune_operator(
    operator: nn.Module,
    operator_opt: FlatOptimizer,
    mask: torch.Tensor,
    data: tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor],
    kind: str,
    cfg: TrainConfig,
    gen: torch.Generator,
    *,
    max_batches: int,
    batch_size: int,
    patience: int,
) -> FinetuneResult:
    """Phase III (not in the paper): train the operator on the final mask ``mask`` (d,) alone.

    Phase II trains the operator on a whole mask batch, so only a share of its updates serve
    the final mask. This continues the operator's optimiser for at most ``max_batches`` batches
    of ``batch_size`` training rows (drawn with replacement) crossed with ``mask`` only,
    validating every ``cfg.val_period`` batches on that mask, and keeps the weights with the
    best validation score by ``cfg.stop_metric`` (the lowest loss, or the highest accuracy):
    the starting weights unless some batch beats them, so it can only improve that score. The
    selection and the importances do not change; only the operator's predictions do.
    """
    X, y, X_val, y_val = data
    device, n = X.device, X.shape[0]
    masks = mask[None].to(X.dtype)  # (1, d)
    index = mask_index(masks, cfg.s) if cfg.gather else None  # (1, s)
    rows = _lazy_rows(masks, index) if cfg.lazy_first_layer else None
    amp = _Precision(cfg.precision, device)
    stopper = _EarlyStopping(patience, cfg.stop_metric)
    start, start_acc = _evaluate_eval_mode(operator, X_val, y_val, masks, kind, index)
    stopper.update(float(start[0]), 0, operator, accuracy=float(start_acc[0]))
    t = 0
    for t in range(1, max_batches + 1):
        batch = torch.randint(n, (batch_size,), generator=gen, device=device)
        _operator_step(
            operator, operator_opt, amp, X[batch], masks, y[batch], kind, cfg, index, rows
        )
        if t % cfg.val_period == 0 or t == max_batches:
            val, acc = _evaluate_eval_mode(operator, X_val, y_val, masks, kind, index)
            if stopper.update(float(val[0]), t, operator, accuracy=float(acc[0])):
                break
    stopper.restore(operator)
    return FinetuneResult(
        n_batches=t,
        best_batch=stopper.best_batch,
        val_loss_start=float(start[0]),
        val_loss_best=float(stopper.best),
    )
