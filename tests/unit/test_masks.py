"""Mask sampling, perturbation and the optimal-mask search."""

import torch

from fir.masks import (
    mask_index,
    masks_from_index,
    optimal_mask,
    perturb,
    random_masks,
    score_and_importance,
)

CPU = torch.device("cpu")


def gen(seed: int = 0) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def test_random_masks_have_exactly_s_ones_and_vary():
    masks = random_masks(500, 20, 7, gen(), CPU)
    assert masks.shape == (500, 20)
    assert torch.equal(masks.sum(1), torch.full((500,), 7.0))
    assert set(masks.unique().tolist()) == {0.0, 1.0}
    # every feature is drawn sometimes, roughly uniformly (7/20 of the time)
    freq = masks.mean(0)
    assert freq.min() > 0.25 and freq.max() < 0.45


def test_random_masks_are_reproducible_from_the_generator():
    assert torch.equal(random_masks(8, 10, 3, gen(1), CPU), random_masks(8, 10, 3, gen(1), CPU))
    assert not torch.equal(random_masks(8, 10, 3, gen(1), CPU), random_masks(8, 10, 3, gen(2), CPU))


def test_mask_index_round_trips():
    masks = random_masks(16, 12, 4, gen(), CPU)
    assert torch.equal(masks_from_index(mask_index(masks, 4), 12), masks)


def test_perturb_keeps_s_and_flips_exactly_sp():
    mask = masks_from_index(torch.tensor([[0, 3, 5, 8, 9]]), 12)[0]
    copies = perturb(mask, 2, 200, gen())
    assert torch.equal(copies.sum(1), torch.full((200,), 5.0))
    switched_off = ((mask == 1) & (copies == 0)).sum(1)
    switched_on = ((mask == 0) & (copies == 1)).sum(1)
    assert torch.equal(switched_off, torch.full((200,), 2))
    assert torch.equal(switched_on, torch.full((200,), 2))


def test_perturb_clips_flips_to_what_the_mask_allows():
    mask = masks_from_index(torch.tensor([[1]]), 6)[0]  # s = 1 < sp = 2
    copies = perturb(mask, 2, 10, gen())
    assert torch.equal(copies.sum(1), torch.ones(10))
    assert (copies[:, 1] == 0).all()


def linear_selector(weights: torch.Tensor):
    """A selector that predicts loss = -w . m: importance of feature j is exactly w_j."""
    return lambda m: -(m * weights).sum(-1)


def test_importance_is_the_negative_gradient():
    w = torch.tensor([0.5, -1.0, 2.0])
    scores, imp = score_and_importance(linear_selector(w), torch.ones(2, 3))
    assert torch.allclose(imp, w.expand(2, 3))
    assert torch.allclose(scores, torch.full((2,), -1.5))


def test_search_on_a_linear_selector_returns_the_top_s():
    w = torch.tensor([0.1, 3.0, -2.0, 0.7, 5.0, 0.0])
    result = optimal_mask(linear_selector(w), 6, 3, max_steps=5, device=CPU)
    assert result.mask.nonzero().flatten().tolist() == [1, 3, 4]
    assert result.n_swaps == 0  # top-s at m0 is already optimal
    assert torch.allclose(result.importances, w)


def quadratic_selector(target: torch.Tensor):
    """Loss = |m - target|^2 with an interaction, so that the gradient at m0 misleads."""

    def score(m: torch.Tensor) -> torch.Tensor:
        return ((m - target) ** 2).sum(-1) - 3.0 * m[..., 0] * m[..., 1] + 2.5 * m[..., 0]

    return score


def sequential_search(score_fn, d, s, max_steps):
    """Algorithm 2 one candidate at a time, trying the swaps in the order of its listing
    (negative-importance features in feature order, then the smallest-importance one) and
    restarting after each accepted swap: the batched search must make the same choices."""
    _, imp0 = score_and_importance(score_fn, torch.full((1, d), 0.5))
    mask = masks_from_index(imp0.topk(s, dim=1).indices, d)[0]
    for _ in range(max_steps):
        score, imp = score_and_importance(score_fn, mask[None])
        imp = imp[0]
        sel = mask.bool()
        i_max = int(torch.where(sel, -torch.inf, imp).argmax())
        i_min = int(torch.where(sel, imp, torch.inf).argmin())
        accepted = False
        for i in [int(i) for i in torch.nonzero(sel & (imp < 0)).flatten()] + [i_min]:
            cand = mask.clone()
            cand[i], cand[i_max] = 0.0, 1.0
            if score_fn(cand[None])[0] < score[0]:
                mask, accepted = cand, True
                break
        if not accepted:
            break
    return mask


def test_batched_search_makes_the_sequential_choices_and_never_gets_worse():
    g = gen(3)
    for trial in range(20):
        d, s = 8, 3
        target = (torch.rand(d, generator=g) > 0.6).float()
        w = torch.randn(d, d, generator=g) * 0.5
        base = quadratic_selector(target)

        def score_fn(m, w=w, base=base):
            return base(m) + ((m @ w) * m).sum(-1)

        start_score, start_imp = score_and_importance(score_fn, torch.full((1, d), 0.5))
        start = masks_from_index(start_imp.topk(s, dim=1).indices, d)
        result = optimal_mask(score_fn, d, s, max_steps=12, device=CPU)
        assert torch.equal(result.mask, sequential_search(score_fn, d, s, 12)), trial
        assert result.mask.sum() == s
        assert score_fn(result.mask[None])[0] <= score_fn(start)[0] + 1e-6


def test_search_result_owns_its_mask_not_the_candidate_batch():
    # A fitted selector keeps the mask (mask_) and pickles it: it must not be a row view that
    # keeps the search's whole (n_candidates, d) batch alive.
    g, d, s = gen(3), 8, 3
    for _ in range(20):
        w = torch.randn(d, d, generator=g) * 0.5
        base = quadratic_selector((torch.rand(d, generator=g) > 0.6).float())
        result = optimal_mask(
            lambda m, w=w, base=base: base(m) + ((m @ w) * m).sum(-1), d, s, 12, device=CPU
        )
        if result.n_swaps > 0:  # the mask came from a candidate batch
            break
    assert result.n_swaps > 0
    assert result.mask.untyped_storage().nbytes() == d * result.mask.element_size()
