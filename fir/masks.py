"""Masks: random sampling, perturbation and the optimal-mask search (Algorithm 2).

Pure functions over tensors. Randomness comes from the ``torch.Generator`` passed in; every
function works on a whole batch of masks at once (no Python loop over masks).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch

ScoreFn = Callable[[torch.Tensor], torch.Tensor]


def masks_from_index(index: torch.Tensor, n_features: int) -> torch.Tensor:
    """Binary float masks ``(n_masks, n_features)`` with ones at ``index`` ``(n_masks, s)``."""
    masks = torch.zeros(index.shape[0], n_features, device=index.device)
    return masks.scatter_(1, index, 1.0)


def random_index(
    n_masks: int, n_features: int, s: int, gen: torch.Generator, device: torch.device
) -> torch.Tensor:
    """``Random(M, s)`` as indices: ``(n_masks, s)`` distinct feature positions per row."""
    keys = torch.rand(n_masks, n_features, generator=gen, device=device)  # (n_masks, d)
    return keys.topk(s, dim=1).indices  # (n_masks, s)


def random_masks(
    n_masks: int, n_features: int, s: int, gen: torch.Generator, device: torch.device
) -> torch.Tensor:
    """``Random(M, s)``: ``(n_masks, n_features)`` binary masks with exactly ``s`` ones each."""
    return masks_from_index(random_index(n_masks, n_features, s, gen, device), n_features)


def mask_index(masks: torch.Tensor, s: int) -> torch.Tensor:
    """Positions of the ``s`` ones of each binary mask, ``(n_masks, s)`` (order not meaningful)."""
    return masks.topk(s, dim=1).indices


def perturb(mask: torch.Tensor, n_flips: int, n_copies: int, gen: torch.Generator) -> torch.Tensor:
    """``Perturb(m, sp)``: ``n_copies`` copies of binary ``mask`` ``(d,)``, each with ``n_flips``
    selected features switched off and ``n_flips`` unselected ones switched on, at random.

    ``n_flips`` is clipped to ``min(s, d - s)`` so that every copy keeps exactly ``s`` ones.
    """
    selected = mask.bool()  # (d,)
    s = int(selected.sum())
    flips = min(n_flips, s, mask.numel() - s)
    copies = mask.expand(n_copies, -1).clone()  # (n_copies, d)
    if flips == 0 or n_copies == 0:
        return copies
    keys = torch.rand(n_copies, mask.numel(), generator=gen, device=mask.device)  # (n_copies, d)
    off = torch.where(selected, keys, -1.0).topk(flips, dim=1).indices  # (n_copies, flips)
    on = torch.where(selected, -1.0, keys).topk(flips, dim=1).indices  # (n_copies, flips)
    copies.scatter_(1, off, 0.0)
    copies.scatter_(1, on, 1.0)
    return copies


def score_and_importance(
    score_fn: ScoreFn, masks: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor]:
    """Predicted losses ``(n,)`` and importances ``-d score / d m`` ``(n, d)`` at ``masks``.

    The selector predicts a loss, so the negative gradient is the importance: larger = more
    important (SPEC 1, "Deployment").
    """
    with torch.enable_grad():
        m = masks.detach().requires_grad_(True)
        scores = score_fn(m)  # (n,)
        (grad,) = torch.autograd.grad(scores.sum(), m)
    return scores.detach(), -grad


@dataclass
class SearchResult:
    """The optimal-mask search's answer: the mask, its importances and how many swaps it took."""

    mask: torch.Tensor  # (d,) binary
    importances: torch.Tensor  # (d,) = -grad of the selector at ``mask``
    score: float  # the selector's predicted loss at ``mask``
    n_swaps: int


def optimal_mask(
    score_fn: ScoreFn, n_features: int, s: int, max_steps: int, device: torch.device
) -> SearchResult:
    """Algorithm 2 (supplement D): the selector's optimal mask with ``s`` ones.

    Start from the top ``s`` importances at ``m0 = (1/2, ..., 1/2)``. Then, at most ``max_steps``
    times: recompute the importances at ``m_opt``; build every candidate swap of the step at once --
    (ii) each selected feature with a negative importance swapped for the unselected feature of
    largest importance, in feature order, then (iii) the selected feature of smallest importance
    swapped for that same unselected feature -- and score them in one selector call. The first
    candidate (in that order) that lowers the predicted loss is accepted, exactly as the
    sequential algorithm would; if none does, the search stops.
    """
    half = torch.full((1, n_features), 0.5, device=device)
    _, importance0 = score_and_importance(score_fn, half)
    mask = masks_from_index(importance0.topk(s, dim=1).indices, n_features)[0]  # (d,)
    score, importance = score_and_importance(score_fn, mask[None])
    n_swaps = 0
    for _ in range(max_steps):
        selected = mask.bool()
        imp = importance[0]  # (d,)
        i_max = torch.where(selected, -torch.inf, imp).argmax()  # best unselected feature
        i_min = torch.where(selected, imp, torch.inf).argmin()  # worst selected feature
        negative = torch.nonzero(selected & (imp < 0)).flatten()  # (n_neg,) in feature order
        drop = torch.cat([negative, i_min[None]])  # (n_cand,)
        candidates = mask.expand(drop.numel(), -1).clone()  # (n_cand, d)
        candidates[torch.arange(drop.numel(), device=device), drop] = 0.0
        candidates[:, i_max] = 1.0
        with torch.no_grad():
            cand_scores = score_fn(candidates)  # (n_cand,)
        better = torch.nonzero(cand_scores < score[0]).flatten()
        if better.numel() == 0:
            break
        mask = candidates[better[0]].clone()  # not a view that keeps every candidate alive
        score, importance = score_and_importance(score_fn, mask[None])
        n_swaps += 1
    return SearchResult(
        mask=mask, importances=importance[0], score=float(score[0]), n_swaps=n_swaps
    )
