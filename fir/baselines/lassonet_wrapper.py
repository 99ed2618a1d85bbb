"""LassoNet (Lemhadri, Ruan, Abraham & Tibshirani, JMLR 2021) through the ``lassonet`` package.

``LassoNetClassifier`` / ``LassoNetRegressor`` trains a dense net, then follows the path of
increasing ``lambda`` until no feature is left. The package's ``feature_importances_`` is the
``lambda`` at which each feature leaves the path; we take the top ``s`` of it (features that
leave at the same ``lambda`` are ordered at random from ``random_state``).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import numpy as np
import torch
from sklearn.preprocessing import LabelEncoder
from sklearn.utils.validation import validate_data

from fir.baselines.base import BaseSelector, check_s, resolve_task, target_scale
from fir.baselines.params import OPTIONAL_POSITIVE_INT, PAIR
from fir.checks import (
    check_known_labels,
    check_validation,
    restores_on_failure,
    validate_xy,
)
from fir.repro import make_generators, resolve_device

log = logging.getLogger(__name__)


class LassoNetSelector(BaseSelector):
    """LassoNet's path-based importance, top ``s`` (``lassonet`` package).

    Parameters
    ----------
    n_features_to_select : int or None, default=None
        ``s``; None selects half the features.
    task : {"auto", "classification", "regression"}, default="auto"
    hidden : sequence of int, default=(60, 30, 20)
        ``hidden_dims`` of the LassoNet (operator-shaped; the package default is (100,)).
    M : float, default=10.0
        Hierarchy parameter.
    lambda_start : float or "auto", default="auto"
        First ``lambda`` of the path; ``"auto"`` lets the package estimate it (seconds of
        proximal steps on small data).
    path_multiplier : float, default=1.02
        ``lambda`` grows by this factor along the path (the package default).
    n_iters, patience : tuple of int, default=(1000, 100), (100, 10)
        Epochs and early-stopping patience of the dense fit and of each path step.
    batch_size : int or None, default=None
        None trains full batch (the package default).
    device, random_state
        The device (``fir.repro.resolve_device``) and the seed of the package's weight
        initialisation, batch order and validation split.

    Attributes
    ----------
    support_, ranking_, feature_importances_ : ndarray of shape (n_features,)
        ``feature_importances_`` is the ``lambda`` at which each feature leaves the path.
    model_ : lassonet.LassoNetClassifier or lassonet.LassoNetRegressor
    n_path_steps_ : int
    """

    method_name = "lassonet"
    # the package's (first fit, path) patience; batch_size null: full batch
    param_rules = {"patience": PAIR, "batch_size": OPTIONAL_POSITIVE_INT}

    def __init__(
        self,
        n_features_to_select: int | None = None,
        *,
        task: str = "auto",
        hidden: Sequence[int] = (60, 30, 20),
        M: float = 10.0,
        lambda_start: float | str = "auto",
        path_multiplier: float = 1.02,
        n_iters: Sequence[int] = (1000, 100),
        patience: Sequence[int] = (100, 10),
        batch_size: int | None = None,
        validation_fraction: float = 0.1,
        device: str = "auto",
        random_state: int | np.random.Generator | None = None,
    ) -> None:
        self.n_features_to_select = n_features_to_select
        self.task = task
        self.hidden = hidden
        self.M = M
        self.lambda_start = lambda_start
        self.path_multiplier = path_multiplier
        self.n_iters = n_iters
        self.patience = patience
        self.batch_size = batch_size
        self.validation_fraction = validation_fraction
        self.device = device
        self.random_state = random_state

    @restores_on_failure
    def fit(self, X, y, X_val=None, y_val=None):
        """Run the LassoNet path on ``(X, y)`` (``(X_val, y_val)``, or a held-out
        ``validation_fraction``, drives its early stopping) and keep the top ``s``."""
        self.check_params()
        from lassonet import LassoNetClassifier, LassoNetRegressor

        X, y = validate_xy(self, self.method_name, X, y, dtype=np.float64, y_numeric=False)
        X_val, y_val = check_validation(self.method_name, X_val, y_val)
        s = check_s(self.method_name, self.n_features_to_select, X.shape[1])
        self.task_ = resolve_task(self.method_name, self.task, y)
        self.device_ = resolve_device(self.device)
        rng, _ = make_generators(self.random_state, self.device_)
        if self.task_ == "classification":
            encoder = LabelEncoder().fit(y)
            self.classes_ = encoder.classes_
            y = encoder.transform(y)
            if y_val is not None:
                check_known_labels(y_val, encoder.classes_, f"{self.method_name}: y_val")
                y_val = encoder.transform(np.asarray(y_val))
            cls = LassoNetClassifier
        else:
            cls = LassoNetRegressor
        if X_val is not None:
            X_val = validate_data(self, X_val, reset=False, dtype=np.float64)
            y_val = np.asarray(y_val, dtype=np.float64 if self.task_ == "regression" else None)
        if self.task_ == "regression":  # its lambda path and M are in the target's units
            mean, std = target_scale(y)
            y = (y - mean) / std
            y_val = None if y_val is None else (y_val - mean) / std
        seed = int(rng.integers(2**31 - 1))
        self.model_ = cls(
            hidden_dims=tuple(int(h) for h in self.hidden),
            M=self.M,
            lambda_start=self.lambda_start,
            path_multiplier=self.path_multiplier,
            n_iters=tuple(self.n_iters),
            patience=tuple(self.patience),
            batch_size=self.batch_size,
            val_size=self.validation_fraction,
            device=self.device_,
            verbose=0,
            random_state=seed,
            torch_seed=seed,
        )
        # lassonet seeds and draws from torch's global generator (torch_seed -> manual_seed,
        # randperm, dropout); fork_rng restores the caller's global state afterwards.
        devices = [self.device_.index or 0] if self.device_.type == "cuda" else []
        with torch.random.fork_rng(devices=devices):
            path = self.model_.path(
                X.astype(np.float32), y, X_val=_f32(X_val), y_val=y_val, return_state_dicts=False
            )
        self.n_path_steps_ = len(path)
        lambdas = self.model_.feature_importances_.cpu().numpy().astype(np.float64)
        log.debug("lassonet: %d path steps, lambda range %s", len(path), lambdas)
        self._set_scores(lambdas, s)
        return self


def _f32(X: np.ndarray | None) -> np.ndarray | None:
    return None if X is None else X.astype(np.float32)
