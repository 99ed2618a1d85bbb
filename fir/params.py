"""The hyperparameter checks of :class:`fir.DualNetSelector`, without data: each error names
the argument (``method.selector.<name>`` in ``fir-run``), its value and the fix. ``fir-run``
runs them before loading a dataset; ``fit`` runs them first."""

from __future__ import annotations

from collections.abc import Sequence
from numbers import Integral, Real
from typing import TYPE_CHECKING

import numpy as np

from fir.checks import RANDOM_STATE_FORMS, is_random_state
from fir.nets import ACTIVATIONS, OPERATORS
from fir.optim import OPTIMIZERS
from fir.repro import resolve_device
from fir.training import PRECISIONS, SELECTOR_BIAS_INITS, SELECTOR_LOSSES, random_rows

if TYPE_CHECKING:
    from fir.selector import DualNetSelector

TASKS = ("auto", "classification", "regression")
MAX_LR = 1e3  # a larger learning rate is a typo: its Adam steps overflow float32


def _is_sequence(value) -> bool:
    """A list-like of values (a list, tuple, array or OmegaConf ListConfig), not a string."""
    return isinstance(value, Sequence | np.ndarray) and not isinstance(value, str | bytes)


def _is_real(value) -> bool:
    return isinstance(value, Real) and not isinstance(value, bool)


def check_selector_params(est: DualNetSelector) -> None:
    """Raise the first error among ``est``'s hyperparameters (a DualNetSelector's)."""
    _check_choices(est)
    _check_flags_and_counts(est)
    _check_sizes(est)
    _check_combinations(est)


def _check_choices(est: DualNetSelector) -> None:
    """Names chosen from a fixed set, and the learning rates."""
    if est.operator not in OPERATORS:
        raise ValueError(f"operator={est.operator!r} is not supported; choose 'mlp' or 'cnn'.")
    for name in ("operator_activation", "selector_activation"):
        if getattr(est, name) not in ACTIVATIONS:
            raise ValueError(
                f"{name}={getattr(est, name)!r} is not supported; choose one of "
                f"{sorted(ACTIVATIONS)}."
            )
    if est.selector_loss not in SELECTOR_LOSSES:
        raise ValueError(
            f"selector_loss={est.selector_loss!r} is not supported; choose one of "
            f"{SELECTOR_LOSSES} ('squared' is the paper's)."
        )
    if est.precision not in PRECISIONS:
        raise ValueError(
            f"precision={est.precision!r} is not supported; choose one of {PRECISIONS} "
            "('32' is plain float32, the default)."
        )
    if est.stop_metric not in ("loss", "accuracy"):
        raise ValueError(
            f"stop_metric={est.stop_metric!r} is not supported; use 'loss' or 'accuracy'."
        )
    if est.selector_bias_init not in SELECTOR_BIAS_INITS:
        raise ValueError(
            f"selector_bias_init={est.selector_bias_init!r} is not supported; choose one "
            f"of {SELECTOR_BIAS_INITS} ('zero' is the reference code's)."
        )
    if est.val_masks not in ("opt", "all"):
        raise ValueError(f"val_masks={est.val_masks!r} is not supported; use 'opt' or 'all'.")
    if est.task not in TASKS:
        raise ValueError(f"task={est.task!r} is not supported; choose one of {TASKS}.")
    if not is_random_state(est.random_state):
        raise ValueError(f"random_state={est.random_state!r} is invalid: use {RANDOM_STATE_FORMS}.")
    for net in ("operator", "selector"):
        name, lr = getattr(est, f"{net}_optimizer"), getattr(est, f"{net}_lr")
        if name not in OPTIMIZERS:
            raise ValueError(
                f"{net}_optimizer={name!r} is not supported; choose one of {OPTIMIZERS}."
            )
        if isinstance(lr, bool) or not isinstance(lr, Real) or not 0 < float(lr) <= MAX_LR:
            raise ValueError(
                f"{net}_lr={lr!r} is invalid: a learning rate must be positive and at most "
                f"{MAX_LR:g} (larger steps overflow float32), e.g. 0.001 (the paper's)."
            )


def _check_flags_and_counts(est: DualNetSelector) -> None:
    """Booleans, batch counts and sizes, f and the Phase II mask batch it leaves."""
    for name in ("lazy_first_layer", "standardize_target"):
        if not isinstance(getattr(est, name), bool | np.bool_):
            raise ValueError(f"{name}={getattr(est, name)!r} is not supported; use true or false.")
    positive = {
        "batch_size": est.batch_size,
        "mask_batch_size": est.mask_batch_size,
        "max_batches": est.max_batches,
        "selector_period": est.selector_period,
        "val_period": est.val_period,
        "patience": est.patience,
        "finetune_batch_size": est.finetune_batch_size,
        "finetune_patience": est.finetune_patience,
    }
    for name, value in positive.items():
        if isinstance(value, bool) or not isinstance(value, Integral) or value < 1:
            raise ValueError(f"{name} must be a positive integer; got {value!r}.")
    for name, value in {
        "phase2_start": est.phase2_start,
        "n_flips": est.n_flips,
        "search_steps": est.search_steps,
        "final_search_steps": est.final_search_steps,
        "finetune_batches": est.finetune_batches,
    }.items():
        if isinstance(value, bool) or not isinstance(value, Integral) or value < 0:
            raise ValueError(f"{name} must be a non-negative integer; got {value!r}.")
    if not isinstance(est.exploit_fraction, Real) or not 0 <= est.exploit_fraction < 1:
        raise ValueError(f"exploit_fraction (f) must be in [0, 1); got {est.exploit_fraction!r}.")
    n_random = random_rows(est.mask_batch_size, est.exploit_fraction)
    if est.mask_batch_size - n_random < 2:
        raise ValueError(
            f"mask_batch_size={est.mask_batch_size} with exploit_fraction="
            f"{est.exploit_fraction} leaves {est.mask_batch_size - n_random} Phase II rows "
            "for m_opt and m_best (2 needed); raise mask_batch_size or exploit_fraction."
        )


def _check_sizes(est: DualNetSelector) -> None:
    """The validation share, the selector loss weights, layer sizes, the image and device."""
    vf = est.validation_fraction
    if isinstance(vf, bool) or not isinstance(vf, Real) or not 0 < vf < 1:
        raise ValueError(f"validation_fraction must be a number in (0, 1), e.g. 0.2; got {vf!r}.")
    weights = est.selector_weights
    if (
        not _is_sequence(weights)
        or len(weights) != 3
        or not all(_is_real(w) and np.isfinite(w) and w >= 0 for w in weights)
        or not sum(weights) > 0
    ):
        raise ValueError(
            "selector_weights must be three non-negative numbers, not all zero (m_best, "
            f"m_opt, others), e.g. [10, 5, 1] (the paper's); got {weights!r}."
        )
    for name in ("operator_hidden", "selector_hidden", "conv_channels", "conv_kernels"):
        sizes = getattr(est, name)
        if not _is_sequence(sizes) or not all(
            isinstance(h, Integral) and not isinstance(h, bool) and h >= 1 for h in sizes
        ):
            raise ValueError(
                f"{name} must be a list of positive integers (layer sizes), e.g. "
                f"[60, 30, 20]; got {sizes!r}."
            )
    if est.image_shape is not None and not (
        _is_sequence(est.image_shape)
        and len(est.image_shape) == 2
        and all(
            isinstance(h, Integral) and not isinstance(h, bool) and h >= 1 for h in est.image_shape
        )
    ):
        raise ValueError(
            f"image_shape must be None or [height, width] in pixels, e.g. [32, 32]; got "
            f"{est.image_shape!r}."
        )
    resolve_device(est.device)


def _check_combinations(est: DualNetSelector) -> None:
    """Arguments that are fine alone but not together."""
    if not (isinstance(est.gather, bool | np.bool_) or est.gather == "auto"):
        raise ValueError(f"gather={est.gather!r} is not supported; use 'auto', True or False.")
    gather_forced = not isinstance(est.gather, str) and bool(est.gather)  # True, np.True_
    if gather_forced and est.operator != "mlp":
        raise ValueError(
            f"gather=True needs operator='mlp' (got operator={est.operator!r}); the CNN "
            "operator reads whole images. Use gather='auto' or False."
        )
    if not (isinstance(est.fused_step, bool | np.bool_) or est.fused_step == "auto"):
        raise ValueError(
            f"fused_step={est.fused_step!r} is not supported; use 'auto', true or false."
        )
    forced = not isinstance(est.fused_step, str) and bool(est.fused_step)  # True, np.True_
    if forced and (est.operator != "mlp" or est.precision != "32"):
        raise ValueError(
            f"fused_step=True needs operator='mlp' and precision='32' (got operator="
            f"{est.operator!r}, precision={est.precision!r}); use fused_step='auto' to "
            "fall back to autograd where it does not apply."
        )
    if forced and gather_forced:
        raise ValueError(
            "fused_step=True needs the dense first layer, but gather=True; set gather=false "
            "or fused_step='auto'."
        )
    if est.lazy_first_layer and est.operator != "mlp":
        raise ValueError(
            f"lazy_first_layer=True needs operator='mlp' (got operator={est.operator!r}); "
            "the CNN operator has no per-feature first layer. Set lazy_first_layer=false."
        )
    if est.lazy_first_layer and est.operator_optimizer == "sgd":
        raise ValueError(
            "lazy_first_layer=True needs operator_optimizer='adam' or 'nadam' (got 'sgd', "
            "whose update of an untouched row is already zero). Set lazy_first_layer=false."
        )
    period = est.selector_period
    phase2 = -(-max(est.phase2_start, period) // period) * period
    if phase2 >= est.max_batches:
        raise ValueError(
            f"phase2_start={est.phase2_start} leaves no Phase II within max_batches="
            f"{est.max_batches}: Phase II starts at the first window boundary at or after "
            f"max(phase2_start, selector_period) = batch {phase2}. Raise max_batches or "
            "lower phase2_start."
        )
