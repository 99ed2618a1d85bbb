"""``DualNetSelector``: the dual-net feature importance ranking as a scikit-learn selector."""

from __future__ import annotations

import copy
import logging
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from numbers import Integral

import numpy as np
import torch
from sklearn.base import BaseEstimator
from sklearn.feature_selection import SelectorMixin
from sklearn.model_selection import train_test_split
from sklearn.utils import ClassifierTags, RegressorTags
from sklearn.utils.metaestimators import available_if
from sklearn.utils.multiclass import type_of_target
from sklearn.utils.validation import (
    check_array,
    check_consistent_length,
    check_is_fitted,
    column_or_1d,
    validate_data,
)

from fir.checks import (
    check_known_labels,
    check_validation,
    restores_on_failure,
    validate_xy,
    warn_if_many_classes,
)
from fir.fused import supports as fused_supports
from fir.masks import optimal_mask
from fir.metrics import estimator_score, rank_features
from fir.nets import OperatorCNN, OperatorConfig, OperatorMLP, SelectorMLP, build_operator
from fir.optim import FlatOptimizer
from fir.params import check_selector_params
from fir.repro import make_generators, resolve_device
from fir.training import (
    History,
    TrainConfig,
    evaluate_masks,
    finetune_operator,
    train_dual_net,
)

log = logging.getLogger(__name__)


def _is_classifier(estimator) -> bool:
    """Whether ``estimator`` classifies: its fitted task, else its ``task`` argument."""
    return getattr(estimator, "task_", estimator.task) != "regression"


class DualNetSelector(SelectorMixin, BaseEstimator):
    """Dual-net feature importance ranking (Wojtas & Chen, NeurIPS 2020).

    An *operator* net learns the supervised task on masked inputs ``[x * m, m]`` while a
    *selector* net learns to predict the operator's loss for a mask ``m``; the two are trained
    alternately (Phase I on random masks, Phase II on the selector's optimal-mask candidates).
    After training, the optimal-mask search on the selector gives exactly
    ``n_features_to_select`` features, and the negative selector gradient there scores all of
    them. Prediction goes through the operator with that mask.

    Parameters
    ----------
    n_features_to_select : int or None, default=None
        The paper's ``s``: how many features to select, ``1 <= s < n_features``. ``None``
        selects half of the features (rounded down: 3 of 7).
    task : {"auto", "classification", "regression"}, default="auto"
        ``"auto"`` infers it from ``y`` (a continuous target means regression).
    operator : {"mlp", "cnn"}, default="mlp"
        Operator architecture. ``"cnn"`` reads each sample as an ``image_shape`` image with two
        input channels, ``x * m`` and ``m``.
    operator_hidden : sequence of int, default=(60, 30, 20)
        Hidden layer sizes of the operator MLP (the dense layers after the convolutions for
        ``operator="cnn"``).
    operator_activation : str, default="sigmoid"
        Hidden activation of the operator (``"relu"`` for the paper's CNN).
    image_shape : (int, int) or None, default=None
        Height and width of an image sample, for ``operator="cnn"``.
    conv_channels, conv_kernels : sequence of int, default=(32, 64, 128) and (5, 3, 3)
        Convolution channels and kernel sizes for ``operator="cnn"``.
    selector_hidden : sequence of int, default=(100, 50, 10)
        Hidden layer sizes of the selector MLP.
    selector_activation : str, default="sigmoid"
        Hidden activation of the selector.
    batch_size : int, default=32
        Data samples per operator batch (drawn with replacement).
    mask_batch_size : int, default=32
        Masks per operator batch, ``|M'|``; each batch has ``batch_size * mask_batch_size`` rows.
    phase2_start : int, default=6000
        ``E1``: operator batches in Phase I (random masks only). Phase II starts at the first
        selector window boundary at or after ``max(phase2_start, selector_period)`` (one window
        of Phase I losses is needed for ``m_best``).
    max_batches : int, default=15000
        Budget of operator batches in Phases I and II together.
    exploit_fraction : float, default=0.5
        The paper's ``f``: share of a Phase II mask batch given to ``m_opt``, ``m_best`` and the
        perturbed copies of ``m_opt``; the rest are random masks. At least 2 rows must go to
        ``m_opt`` and ``m_best``, so ``f >= 2 / mask_batch_size``.
    n_flips : int, default=2
        The paper's ``sp``: features switched off (and on) by each perturbation, clipped to
        ``min(s, n_features - s)``.
    selector_period : int, default=8
        Operator batches per selector step.
    search_steps : int, default=5
        Most swaps of the optimal-mask search during training.
    final_search_steps : int, default=12
        Most swaps of the optimal-mask search for the final mask.
    val_period : int, default=16
        Operator batches between validations (Phase II).
    patience : int, default=600
        Operator batches without a better validation score of ``m_opt`` before stopping.
    stop_metric : {"loss", "accuracy"}, default="loss"
        What early stopping watches on the validation set with ``m_opt``, and so which weights
        are restored: its loss (the paper's rule), or, for classification, its accuracy with
        ties broken by the lower loss. Supplement C of the paper proposes accuracy where the
        validation loss rises from the start of Phase II while validation accuracy still
        improves (the paper's Yale runs: few samples, many classes).
    val_masks : {"opt", "all"}, default="opt"
        What each validation evaluates: the ``m_opt`` column only (all that early stopping
        watches), or the whole mask batch as the reference does (for learning curves; costs
        ``mask_batch_size`` times more).
    validation_fraction : float, default=0.2
        Share of the training data held out (stratified for classification) for early stopping
        when ``fit`` receives no ``X_val``.
    operator_optimizer, selector_optimizer : str, default="nadam" and "adam"
        ``"adam"``, ``"nadam"`` or ``"sgd"`` (eps 1e-7, as the reference's Keras optimizers).
    operator_lr, selector_lr : float, default=1e-3
        Learning rates.
    selector_loss : {"squared", "absolute"}, default="squared"
        Squared error (the paper) or absolute error (the reference code).
    selector_weights : (float, float, float), default=(10, 5, 1)
        Selector loss weights for ``m_best``, ``m_opt`` and every other mask in Phase II.
    selector_bias_init : {"zero", "target_mean"}, default="zero"
        The selector's output bias at the start: ``"zero"`` is the reference's (Keras)
        initialisation. ``"target_mean"`` (not in the paper) shifts it, just before the first
        selector step, so that the selector's mean prediction on that step's masks equals
        the mean of their losses. From zero, the first predictions are off by the loss's scale
        (about ln K for K classes) plus a random offset of the initial weights; when that
        offset is large (a few percent of initialisations on the XOR settings), the small
        selector saturates while chasing the mean, predicts one loss for every mask when
        Phase II begins, and early stopping can end the fit on an arbitrary mask.
    gather : {"auto", True, False}, default="auto"
        Compute the operator's first layer from the ``s`` selected columns of each mask (cost
        follows ``s``) rather than all ``d``; ``"auto"`` does so when ``4 s <= d`` (MLP only).
    fused_step : {"auto", True, False}, default="auto"
        Compute each operator training step with the hand-written forward and backward pass of
        :mod:`fir.fused` instead of autograd: the same losses and gradients to float32 rounding,
        ~25 % less time a step on the small nets of the paper. It covers the dense MLP operator
        (``gather`` off) in ``precision="32"``. ``"auto"`` uses it there on a CPU (where it was
        measured); ``True`` also on a GPU, and is an error where it does not apply; ``False``
        always uses autograd. Results differ from autograd's in the last digits (rounding
        grows over a fit), not in substance.
    lazy_first_layer : bool, default=False
        Update only the rows of the operator's first layer that the batch's masks select
        (LazyAdam, as ``torch.optim.SparseAdam`` does), so that the optimiser step, like the
        gathered forward and backward passes, costs ``O(s)`` rather than ``O(d)`` (MLP only).
        The paper's optimiser updates every row (unselected rows keep moving by their decaying
        momentum), so this changes results; it pays on wide data (``d`` in the thousands). On
        a GPU, finding a batch's rows (``unique``) synchronises once per step.
    finetune_batches : int, default=0
        Phase III, not in the paper (0, the default, is the paper's method): after the final
        optimal-mask search, train the operator on the selected mask alone for at most this many
        batches of ``finetune_batch_size`` rows, validating every ``val_period`` batches on that
        mask and keeping the weights with the best validation score by ``stop_metric`` (the
        Phase II weights unless fine-tuning beats them). In Phase II only part of each batch
        serves the final mask, so this usually improves the operator's predictions;
        ``support_``, ``feature_importances_`` and ``ranking_`` do not change.
    finetune_batch_size : int, default=256
        Training rows per fine-tuning batch (drawn with replacement).
    finetune_patience : int, default=200
        Fine-tuning batches without a better validation score (by ``stop_metric``) before it
        stops.
    precision : {"32", "bf16-mixed", "16-mixed"}, default="32"
        Arithmetic of the training forward passes. ``"bf16-mixed"`` and ``"16-mixed"`` run the
        operator's and the selector's training forward passes under ``torch.autocast`` in
        bfloat16 or float16 (with dynamic loss scaling); weights, optimiser state, losses,
        validation, the optimal-mask search and prediction stay in float32. Faster on GPUs with
        tensor cores; ``"bf16-mixed"`` also runs on CPUs (fast only with native bfloat16
        support); ``"16-mixed"`` is meant for CUDA (it runs, slowly, on a CPU). Lower precision
        can change the selection in close cases, so it is off by default.
    standardize_target : bool, default=True
        For regression, train on ``(y - mean) / std`` of the training target (predictions are
        mapped back; with an internal holdout, the rows held out do not enter mean and std).
        Keeps the operator's loss, and so the selector's targets, on a unit scale.
    device : str, default="auto"
        ``"auto"``, ``"cpu"``, ``"cuda"`` or ``"cuda:N"``.
    random_state : int, numpy Generator or RandomState, or None, default=None
        Seeds every random draw of the fit (splits, initial weights, masks, batches); the
        global torch and numpy generators are left alone.
    verbose : int, default=0
        Log progress every 1,000 batches when positive, through Python's ``logging`` (logger
        ``fir``): outside ``fir-run``, ``logging.basicConfig(level=logging.INFO)`` shows it.

    Attributes
    ----------
    support_ : ndarray of shape (n_features,)
        Boolean mask of the selected features, the optimal mask ``m*``.
    feature_importances_ : ndarray of shape (n_features,)
        ``-d f_S / d m`` at ``m*``: larger means more important.
    ranking_ : ndarray of shape (n_features,)
        1 for the most important feature; the selected features take ranks ``1..s``.
    n_features_in_ : int
    classes_ : ndarray or None
        Class labels for classification.
    task_ : str
    history_ : fir.training.History
        Per-step losses for learning curves: ``operator_loss`` and ``mopt_loss`` per batch,
        ``selector_loss`` per selector step, and per validation ``val_mopt_loss`` (the
        early-stopping curve; ``val_loss``, over the whole mask batch, is NaN unless
        ``val_masks="all"``), ``best_batch``, ``stopped_early``.
    operator_, selector_ : torch.nn.Module
        The trained nets (the operator with its best validated weights).
    device_ : torch.device

    See Also
    --------
    sklearn.feature_selection.RFE : a wrapper selector with the same interface.

    Examples
    --------
    >>> import numpy as np
    >>> from fir import DualNetSelector
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(200, 6))
    >>> y = (X[:, 0] + X[:, 1] > 0).astype(int)
    >>> sel = DualNetSelector(n_features_to_select=2, phase2_start=64, max_batches=128,
    ...                       operator_hidden=(16,), selector_hidden=(16,), device="cpu",
    ...                       random_state=0).fit(X, y)
    >>> int(sel.support_.sum())
    2
    """

    def __init__(
        self,
        n_features_to_select: int | None = None,
        *,
        task: str = "auto",
        operator: str = "mlp",
        operator_hidden: Sequence[int] = (60, 30, 20),
        operator_activation: str = "sigmoid",
        image_shape: Sequence[int] | None = None,
        conv_channels: Sequence[int] = (32, 64, 128),
        conv_kernels: Sequence[int] = (5, 3, 3),
        selector_hidden: Sequence[int] = (100, 50, 10),
        selector_activation: str = "sigmoid",
        batch_size: int = 32,
        mask_batch_size: int = 32,
        phase2_start: int = 6000,
        max_batches: int = 15000,
        exploit_fraction: float = 0.5,
        n_flips: int = 2,
        selector_period: int = 8,
        search_steps: int = 5,
        final_search_steps: int = 12,
        val_period: int = 16,
        patience: int = 600,
        stop_metric: str = "loss",
        val_masks: str = "opt",
        validation_fraction: float = 0.2,
        operator_optimizer: str = "nadam",
        operator_lr: float = 1e-3,
        selector_optimizer: str = "adam",
        selector_lr: float = 1e-3,
        selector_loss: str = "squared",
        selector_weights: Sequence[float] = (10.0, 5.0, 1.0),
        selector_bias_init: str = "zero",
        gather: bool | str = "auto",
        fused_step: bool | str = "auto",
        lazy_first_layer: bool = False,
        finetune_batches: int = 0,
        finetune_batch_size: int = 256,
        finetune_patience: int = 200,
        precision: str = "32",
        standardize_target: bool = True,
        device: str = "auto",
        random_state: int | np.random.Generator | None = None,
        verbose: int = 0,
    ) -> None:
        self.n_features_to_select = n_features_to_select
        self.task = task
        self.operator = operator
        self.operator_hidden = operator_hidden
        self.operator_activation = operator_activation
        self.image_shape = image_shape
        self.conv_channels = conv_channels
        self.conv_kernels = conv_kernels
        self.selector_hidden = selector_hidden
        self.selector_activation = selector_activation
        self.batch_size = batch_size
        self.mask_batch_size = mask_batch_size
        self.phase2_start = phase2_start
        self.max_batches = max_batches
        self.exploit_fraction = exploit_fraction
        self.n_flips = n_flips
        self.selector_period = selector_period
        self.search_steps = search_steps
        self.final_search_steps = final_search_steps
        self.val_period = val_period
        self.patience = patience
        self.stop_metric = stop_metric
        self.val_masks = val_masks
        self.validation_fraction = validation_fraction
        self.operator_optimizer = operator_optimizer
        self.operator_lr = operator_lr
        self.selector_optimizer = selector_optimizer
        self.selector_lr = selector_lr
        self.selector_loss = selector_loss
        self.selector_weights = selector_weights
        self.selector_bias_init = selector_bias_init
        self.gather = gather
        self.fused_step = fused_step
        self.lazy_first_layer = lazy_first_layer
        self.finetune_batches = finetune_batches
        self.finetune_batch_size = finetune_batch_size
        self.finetune_patience = finetune_patience
        self.precision = precision
        self.standardize_target = standardize_target
        self.device = device
        self.random_state = random_state
        self.verbose = verbose

    def __sklearn_tags__(self):
        # A classifier unless task='regression': cross_val_score and GridSearchCV then split
        # class labels with StratifiedKFold (a continuous y still gets KFold under 'auto').
        tags = super().__sklearn_tags__()
        tags.target_tags.required = True
        if self.task == "regression":
            tags.estimator_type = "regressor"
            tags.regressor_tags = RegressorTags()
        else:
            tags.estimator_type = "classifier"
            # poor_score: the check fits with the instance's own budget, and a small one
            # (a test's 16 batches) need not reach its 0.83 training accuracy
            tags.classifier_tags = ClassifierTags(poor_score=True)
        return tags

    # ----------------------------------------------------------- pickling
    def __getstate__(self):
        # The nets and mask are pickled on the CPU, so that a model fitted on a GPU loads on a
        # machine without one; ``device_`` records where they ran.
        state = dict(super().__getstate__())
        device = state.get("device_")
        if device is not None and device.type != "cpu":
            for key in ("operator_", "selector_"):
                state[key] = copy.deepcopy(state[key]).cpu()
            state["mask_"] = state["mask_"].cpu()
        return state

    def __setstate__(self, state):
        super().__setstate__(state)
        device = getattr(self, "device_", None)
        if device is None or device.type == "cpu":
            return
        try:
            device = resolve_device(str(device))
        except ValueError:
            warnings.warn(
                f"this DualNetSelector was fitted on {self.device_}, which this machine does "
                "not have; it is loaded on the CPU (predictions are the same up to float32 "
                "rounding).",
                UserWarning,
                stacklevel=2,
            )
            device = torch.device("cpu")
        self.device_ = device
        self.operator_.to(device)
        self.selector_.to(device)
        self.mask_ = self.mask_.to(device)

    # ------------------------------------------------------------------ fit
    @restores_on_failure
    def fit(self, X, y, X_val=None, y_val=None) -> DualNetSelector:
        """Train the operator and selector nets and find the optimal mask.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,)
        X_val, y_val : array-like, optional
            Validation data for early stopping. Without them, ``validation_fraction`` of ``X``
            is held out (stratified by class for classification).

        Returns
        -------
        self

        A fit that fails (bad input, divergence, or an interrupt) leaves the estimator as it
        was before the call: unfitted, or with its previous fit intact.
        """
        return self._fit(X, y, X_val, y_val)

    def _fit(self, X, y, X_val, y_val) -> DualNetSelector:
        self.check_params()
        X, y = validate_xy(self, "dualnet", X, y, dtype=np.float32, ensure_min_samples=2)
        n_features = X.shape[1]
        s = self._resolve_s(n_features)
        task = self._resolve_task(y)
        if self.stop_metric == "accuracy" and task == "regression":
            raise ValueError(
                "stop_metric='accuracy' needs a classification task, but the target is "
                "regression; use stop_metric='loss' (for regression the loss is the MSE)."
            )
        # Fitted state is set at the end (``validate_data`` sets n_features_in_ above; fit
        # restores the previous state when anything here raises).
        device = resolve_device(self.device)
        rng, gen = make_generators(self.random_state, device)
        target, data = self._training_data(X, y, X_val, y_val, task, rng, device)
        gather = 4 * s <= n_features if isinstance(self.gather, str) else bool(self.gather)
        gather = gather and self.operator == "mlp"
        fused_step = self.fused_step if isinstance(self.fused_step, str) else bool(self.fused_step)
        if fused_step is True and gather:
            raise ValueError(
                f"fused_step=True needs the dense first layer, but gather={self.gather!r} "
                f"gathers at s={s}, d={n_features} ('auto' gathers when 4 s <= d); set "
                "gather=false or fused_step='auto'."
            )
        operator, selector = self._build_nets(n_features, target.n_outputs, device, gen)
        fused = bool(
            (device.type == "cpu" if fused_step == "auto" else fused_step)
            and fused_supports(operator, gather, self.precision)
        )
        cfg = self._train_config(s, gather, fused)
        operator_opt = FlatOptimizer(
            operator.parameters(),
            self.operator_optimizer,
            self.operator_lr,
            lazy=(operator.first.weight_x, operator.first.weight_m)  # type: ignore[union-attr,arg-type]
            if self.lazy_first_layer
            else (),
        )
        selector_opt = FlatOptimizer(
            selector.parameters(), self.selector_optimizer, self.selector_lr
        )
        kind = target.kind
        history = train_dual_net(
            operator, selector, operator_opt, selector_opt, data, kind, cfg, gen
        )
        if history.best_batch < 0:
            raise ValueError(
                f"training diverged: the operator's validation loss was never finite in "
                f"{history.n_batches} batches (operator_lr={self.operator_lr}). Lower "
                "operator_lr (the paper's is 0.001), or check the scale of the data and target."
            )
        selector.eval()
        final = optimal_mask(selector, n_features, s, self.final_search_steps, device)
        if not torch.isfinite(final.importances).all():
            raise ValueError(
                f"training diverged: the selector's importances are not finite (selector_lr="
                f"{self.selector_lr}). Lower selector_lr (the paper's is 0.001)."
            )
        history.search_swaps.append(final.n_swaps)
        if self.finetune_batches:
            history.finetune = finetune_operator(
                operator,
                operator_opt,
                final.mask,
                data,
                kind,
                cfg,
                gen,
                max_batches=self.finetune_batches,
                batch_size=self.finetune_batch_size,
                patience=self.finetune_patience,
            )
        operator_opt.release()
        selector_opt.release()
        operator.eval()

        self.task_ = task
        self.target_ = target
        self.classes_ = target.classes
        self.loss_kind_ = kind
        self.device_ = device
        self.operator_ = operator
        self.selector_ = selector
        self.history_: History = history
        self.mask_ = final.mask
        self.support_ = final.mask.bool().cpu().numpy()
        self.feature_importances_ = final.importances.cpu().numpy().astype(np.float64)
        self.ranking_ = rank_features(self.support_, self.feature_importances_)
        if self.verbose:
            self._log_fit(history)
        return self

    def _training_data(self, X, y, X_val, y_val, task, rng, device):
        """(target encoding, (X, y, X_val, y_val) as tensors on ``device``): the validation
        data given, or ``validation_fraction`` of ``X`` held out (drawn from ``rng``); a
        regression target is standardised on the training rows only."""
        target = _TargetEncoding.fit(y, task, self.standardize_target)
        X_val, y_val = check_validation("dualnet", X_val, y_val)
        if X_val is None:
            stratify = target.encode(y, "y") if task == "classification" else None
            X, X_val, y, y_val = self._holdout(X, y, stratify, rng)
            if task == "regression":
                # the held-out rows judge early stopping: standardise on the rest only
                target = _TargetEncoding.fit(y, task, self.standardize_target)
        else:
            X_val = validate_data(self, X_val, reset=False, dtype=np.float32)
            if task == "regression":
                y_val = check_array(y_val, ensure_2d=False, dtype=np.float64, input_name="y_val")
        y_dtype = torch.long if target.kind == "multiclass" else torch.float32
        tensors = (
            (X, torch.float32),
            (target.encode(y, "y"), y_dtype),
            (X_val, torch.float32),
            (target.encode(y_val, "y_val"), y_dtype),
        )
        data = tuple(torch.as_tensor(a, dtype=dtype, device=device) for a, dtype in tensors)
        return target, data

    def _build_nets(
        self, n_features: int, n_outputs: int, device: torch.device, gen: torch.Generator
    ) -> tuple[OperatorMLP | OperatorCNN, SelectorMLP]:
        """(operator, selector) on ``device``, their weights drawn from ``gen``."""
        op_config = OperatorConfig(
            n_features=n_features,
            n_outputs=n_outputs,
            hidden=tuple(int(h) for h in self.operator_hidden),
            activation=self.operator_activation,
            kind=self.operator,
            image_shape=None if self.image_shape is None else tuple(self.image_shape),  # type: ignore[arg-type]
            conv_channels=tuple(self.conv_channels),
            conv_kernels=tuple(self.conv_kernels),
        )
        with torch.random.fork_rng(devices=[]):
            # torch's layer constructors draw a default init from the global generator; the
            # weights are redrawn from ``gen`` below and the global state is left as it was.
            operator = build_operator(op_config).to(device)
            selector = SelectorMLP(
                n_features, tuple(self.selector_hidden), self.selector_activation
            ).to(device)
        operator.reset_parameters(gen)
        selector.reset_parameters(gen)
        return operator, selector

    def _train_config(self, s: int, gather: bool, fused: bool) -> TrainConfig:
        return TrainConfig(
            s=s,
            batch_size=self.batch_size,
            mask_batch_size=self.mask_batch_size,
            phase2_start=self.phase2_start,
            max_batches=self.max_batches,
            exploit_fraction=self.exploit_fraction,
            n_flips=self.n_flips,
            selector_period=self.selector_period,
            search_steps=self.search_steps,
            val_period=self.val_period,
            patience=self.patience,
            stop_metric=self.stop_metric,
            val_masks=self.val_masks,
            selector_loss=self.selector_loss,
            selector_weights=tuple(float(w) for w in self.selector_weights),  # type: ignore[arg-type]
            selector_bias_init=self.selector_bias_init,
            gather=gather,
            fused=fused,
            lazy_first_layer=bool(self.lazy_first_layer),
            precision=self.precision,
            log_every=1000 if self.verbose else 0,
        )

    def _log_fit(self, history: History) -> None:
        log.info(
            "fit done: %d batches (%s), selected %s, %.1f s",
            history.n_batches,
            "early stop" if history.stopped_early else "budget",
            np.flatnonzero(self.support_).tolist(),
            history.fit_time_s,
        )
        if history.finetune is not None:
            ft = history.finetune
            log.info(
                "fine-tuned the operator on the selected mask: %d batches, validation "
                "loss %.4f -> %.4f (best at batch %d)",
                ft.n_batches,
                ft.val_loss_start,
                ft.val_loss_best,
                ft.best_batch,
            )

    def _get_support_mask(self) -> np.ndarray:
        check_is_fitted(self)
        return self.support_

    # ----------------------------------------------------------- prediction
    def _operator_output(self, X) -> torch.Tensor:
        check_is_fitted(self)
        X = validate_data(self, X, reset=False, dtype=np.float32)
        x = torch.as_tensor(X, device=self.device_)
        outs = []
        with torch.no_grad():
            for start in range(0, x.shape[0], 8192):
                outs.append(self.operator_(x[start : start + 8192], self.mask_[None])[:, 0])
        return torch.cat(outs)  # (n, n_outputs)

    def decision_function(self, X) -> np.ndarray:
        """Operator outputs with the optimal mask: logits, or predictions for regression."""
        if getattr(self, "task_", None) == "regression":
            return self.predict(X)
        out = self._operator_output(X).cpu().numpy()
        return out[:, 0] if out.shape[1] == 1 else out

    def predict(self, X) -> np.ndarray:
        """Predict with the operator on the selected features only (``f_O(theta*; x, m*)``)."""
        out = self._operator_output(X)
        if self.task_ == "regression":
            pred = out[:, 0].cpu().numpy().astype(np.float64)
            return pred * self.target_.scale + self.target_.shift
        if self.loss_kind_ == "binary":
            codes = (out[:, 0] > 0).long()
        else:
            codes = out.argmax(dim=1)
        return self.classes_[codes.cpu().numpy()]

    @available_if(_is_classifier)
    def predict_proba(self, X) -> np.ndarray:
        """Class probabilities from the operator with the optimal mask (classification only).

        Computed in float64 from the operator's outputs, so that rows sum to one."""
        out = self._operator_output(X).double()
        if self.loss_kind_ == "binary":
            p1 = torch.sigmoid(out[:, 0])
            proba = torch.stack([1 - p1, p1], dim=1)
        else:
            proba = torch.softmax(out, dim=1)
        return proba.cpu().numpy().astype(np.float64)

    def score(self, X, y, sample_weight=None) -> float:
        """Accuracy (classification) or R^2 (regression) of :meth:`predict`."""
        pred = self.predict(X)  # first: an unfitted estimator is a NotFittedError
        return estimator_score(self.task_, y, pred, sample_weight)

    def mask_losses(self, X, y, masks) -> np.ndarray:
        """Operator mean loss on ``(X, y)`` for each binary mask of ``masks`` (n_masks, d),
        in the units the operator was trained in (standardised for regression)."""
        check_is_fitted(self)
        X = validate_data(self, X, reset=False, dtype=np.float32)
        masks = np.asarray(masks, dtype=np.float32)
        if masks.ndim != 2 or masks.shape[1] != self.n_features_in_:
            raise ValueError(
                f"masks must have shape (n_masks, {self.n_features_in_}); got {masks.shape}."
            )
        if not np.isin(masks, (0.0, 1.0)).all():
            raise ValueError("masks must be binary (0/1).")
        y = column_or_1d(y, warn=True)
        check_consistent_length(X, y)
        y_enc = self.target_.encode(y, "y")
        dtype = torch.long if self.loss_kind_ == "multiclass" else torch.float32
        losses, _ = evaluate_masks(
            self.operator_,
            torch.as_tensor(X, device=self.device_),
            torch.as_tensor(y_enc, dtype=dtype, device=self.device_),
            torch.as_tensor(masks, device=self.device_),
            self.loss_kind_,
        )
        return losses.cpu().numpy()

    # -------------------------------------------------------------- helpers
    def _resolve_s(self, n_features: int) -> int:
        s = self.n_features_to_select
        if n_features < 2:
            raise ValueError(
                f"X has n_features = {n_features}; selecting a strict subset needs at least 2 "
                "features (1 <= n_features_to_select < n_features)."
            )
        if s is None:
            s = max(1, n_features // 2)
        if isinstance(s, bool) or not isinstance(s, Integral):
            raise TypeError(
                f"n_features_to_select (s) must be an integer, got {s!r} "
                f"of type {type(s).__name__}."
            )
        if s < 1:
            raise ValueError(
                f"n_features_to_select (s) must be at least 1; got s={s}. Choose s in "
                f"1..{n_features - 1} (the data has {n_features} features), or None for half."
            )
        if s >= n_features:
            raise ValueError(
                f"n_features_to_select (s) must be below n_features = {n_features}; got s={s}. "
                f"Choose a smaller s, in 1..{n_features - 1}."
            )
        return int(s)

    def check_params(self) -> None:
        """Raise the errors of bad hyperparameters that :meth:`fit` would raise, without data
        (``fir-run`` calls it before loading the dataset). ``n_features_to_select`` is checked
        against the data in :meth:`fit`."""
        check_selector_params(self)

    def _resolve_task(self, y: np.ndarray) -> str:
        if self.task == "regression":
            return self.task
        kind = type_of_target(y)
        continuous = kind in ("continuous", "continuous-multioutput")
        if self.task == "classification" and continuous:
            raise ValueError(
                f"task='classification' needs class labels, but y is continuous (Unknown label "
                f"type: {kind!r}; e.g. {np.asarray(y).ravel()[:3].tolist()}). Pass "
                "task='regression' (or 'auto'), or bin y into classes."
            )
        if continuous:
            return "regression"
        if self.task == "classification":
            return self.task
        warn_if_many_classes(y, stacklevel=5)  # _resolve_task, _fit, fit, its wrapper
        return "classification"

    def _holdout(self, X, y, stratify: np.ndarray | None, rng: np.random.Generator):
        """``X, X_val, y, y_val``: ``validation_fraction`` held out (stratified by the class
        codes ``stratify`` when given)."""
        n = len(X)
        n_val = int(np.ceil(self.validation_fraction * n))  # as train_test_split rounds
        if n_val < 1 or n - n_val < 2:
            raise ValueError(
                f"validation_fraction={self.validation_fraction} of {n} rows holds out "
                f"{n_val} for validation and leaves {n - n_val} for training (at least 2 needed); "
                "choose a smaller fraction (e.g. 0.2), or pass X_val and y_val."
            )
        try:
            return train_test_split(
                X,
                y,
                test_size=self.validation_fraction,
                stratify=stratify,
                random_state=int(rng.integers(2**31 - 1)),
            )
        except ValueError:
            # Too few samples of some class to stratify: fall back to a plain random split.
            return train_test_split(
                X, y, test_size=self.validation_fraction, random_state=int(rng.integers(2**31 - 1))
            )


@dataclass(frozen=True)
class _TargetEncoding:
    """How ``y`` maps to the operator's target: class codes, or a standardised value."""

    task: str
    kind: str  # "binary", "multiclass" or "regression"
    n_outputs: int
    classes: np.ndarray | None = None
    shift: float = 0.0
    scale: float = 1.0

    @classmethod
    def fit(cls, y: np.ndarray, task: str, standardize: bool) -> _TargetEncoding:
        if task == "regression":
            try:
                y = np.asarray(y, dtype=np.float64)
            except (TypeError, ValueError) as err:
                raise ValueError(
                    f"task='regression' needs a numeric y; y holds values such as "
                    f"{np.asarray(y).ravel()[:3].tolist()!r} ({err}). Use task='classification' "
                    "or 'auto' for class labels."
                ) from None
            with np.errstate(over="ignore"):
                std = float(y.std())
            if not np.isfinite(std):
                raise ValueError(
                    f"y's values (up to {float(np.max(np.abs(y))):.3g}) are too large to "
                    "standardise in float64; rescale y (e.g. y / 1e100)."
                )
            if standardize and std > 0:
                return cls(task, "regression", 1, shift=float(y.mean()), scale=std)
            return cls(task, "regression", 1)
        classes = np.unique(y)
        if len(classes) < 2:
            raise ValueError(
                f"y has {len(classes)} class ({classes.tolist()}); classification needs at "
                "least 2. Check the target column, or set task='regression' for a continuous "
                "target."
            )
        if len(classes) == 2:
            return cls(task, "binary", 1, classes=classes)
        return cls(task, "multiclass", len(classes), classes=classes)

    def encode(self, y: np.ndarray, name: str) -> np.ndarray:
        """``y`` as the operator's target; labels unseen in training are an error."""
        if self.classes is None:
            z = (np.asarray(y, dtype=np.float64) - self.shift) / self.scale
            if np.max(np.abs(z), initial=0.0) > np.finfo(np.float32).max:
                scaled = " after standardisation" if (self.shift, self.scale) != (0.0, 1.0) else ""
                raise ValueError(
                    f"{name} holds values (up to {float(np.max(np.abs(z))):.3g}{scaled}) beyond "
                    "float32's range, in which the operator computes; rescale it, or "
                    "standardize_target=True."
                )
            return z.astype(np.float32)
        check_known_labels(y, self.classes, name)
        codes = np.searchsorted(self.classes, y)
        return codes.astype(np.float32 if self.kind == "binary" else np.int64)
