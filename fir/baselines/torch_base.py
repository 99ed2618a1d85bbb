"""The training loop shared by the hand-written deep baselines (DFS, AvGrad, SAN, STG, concrete).

A subclass builds its net (``_build_net``), may add a penalty (``_penalty``) and turns the
trained net into scores (``_finish``). Data, device and randomness are handled here: the device
comes from ``fir.repro.resolve_device`` and every random draw from ``random_state`` through
``fir.repro.make_generators``.
"""

from __future__ import annotations

import copy
import logging
from collections.abc import Sequence

import numpy as np
import torch
import torch.nn.functional as F
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import LabelEncoder
from sklearn.utils.validation import check_is_fitted, validate_data
from torch import nn

from fir.baselines.base import BaseSelector, check_s, resolve_task, target_scale
from fir.checks import (
    check_known_labels,
    check_validation,
    restores_on_failure,
    validate_xy,
)
from fir.nets import _dense_stack, _reset_stack
from fir.repro import make_generators, resolve_device

log = logging.getLogger(__name__)


def mlp(sizes: Sequence[int], activation: str, gen: torch.Generator) -> nn.Sequential:
    """A Glorot-initialised MLP ``sizes[0] -> ... -> sizes[-1]`` (no output activation)."""
    net = _dense_stack(list(sizes), activation)
    _reset_stack(net, gen)
    return net


class TorchSelector(BaseSelector):
    """Base of the deep baselines: mini-batch Adam with early stopping on validation loss.

    Subclasses define ``__init__`` (storing their own parameters plus the ones used here:
    ``n_features_to_select, task, hidden, activation, epochs, batch_size, lr, patience,
    validation_fraction, device, random_state``), ``_build_net`` and ``_finish``.
    """

    # ---------------------------------------------------------------- hooks
    def _build_net(self, d: int, n_out: int, gen: torch.Generator) -> nn.Module:
        raise NotImplementedError

    def _penalty(self, net: nn.Module) -> torch.Tensor | float:
        return 0.0

    def _after_step(self, net: nn.Module, lr: float) -> None:
        """Hook after each optimiser step (e.g. a proximal step)."""

    def _on_epoch(self, epoch: int) -> None:
        """Per-epoch schedule hook (e.g. a temperature)."""

    def _finish(self, X: torch.Tensor, y: torch.Tensor, s: int) -> None:
        raise NotImplementedError

    # ---------------------------------------------------------------- fit
    @restores_on_failure
    def fit(self, X, y, X_val=None, y_val=None):
        """Train on ``(X, y)``; ``(X_val, y_val)`` (or a held-out ``validation_fraction``)
        drives early stopping. Sets ``support_``, ``ranking_``, ``feature_importances_``."""
        self.check_params()
        X, y = validate_xy(self, self.method_name, X, y, dtype=np.float64, y_numeric=False)
        X_val, y_val = check_validation(self.method_name, X_val, y_val)
        s = check_s(self.method_name, self.n_features_to_select, X.shape[1])
        self.task_ = resolve_task(self.method_name, self.task, y, self.supported_tasks)
        self.device_ = resolve_device(self.device)
        rng, gen = make_generators(self.random_state, self.device_)
        self._gen = gen
        y_enc = self._encode(y, fit=True)
        if X_val is None:
            strat = y_enc if self.task_ == "classification" else None
            try:
                X, X_val, y_enc, yv = train_test_split(
                    X,
                    y_enc,
                    test_size=self.validation_fraction,
                    stratify=strat,
                    random_state=int(rng.integers(2**31 - 1)),
                )
            except ValueError:  # too few samples of a class to stratify
                X, X_val, y_enc, yv = train_test_split(
                    X,
                    y_enc,
                    test_size=self.validation_fraction,
                    random_state=int(rng.integers(2**31 - 1)),
                )
        else:
            X_val = validate_data(self, X_val, reset=False, dtype=np.float64)
            yv = self._encode(np.asarray(y_val), fit=False)
        if self.task_ == "regression":  # standardised on the training rows only
            self.target_mean_, self.target_std_ = target_scale(y_enc)
            y_enc = (y_enc - self.target_mean_) / self.target_std_
            yv = (yv - self.target_mean_) / self.target_std_
        Xt, yt = self._tensors(X, y_enc)
        Xv, yvt = self._tensors(X_val, yv)
        n_out = len(self.classes_) if self.task_ == "classification" else 1
        with torch.random.fork_rng(devices=[]):  # layers draw from the global CPU generator
            # before _build_net redraws them from gen; the caller's global state is kept
            self.net_ = self._build_net(X.shape[1], n_out, gen).to(self.device_)
        self._train(Xt, yt, Xv, yvt, gen)
        self.net_.eval()
        self._finish(Xt, yt, s)
        del self._gen
        return self

    def _encode(self, y: np.ndarray, fit: bool) -> np.ndarray:
        if self.task_ == "regression":
            return np.asarray(y, dtype=np.float64)
        if fit:
            self._encoder = LabelEncoder().fit(y)
            self.classes_ = self._encoder.classes_
        else:
            check_known_labels(y, self.classes_, f"{self.method_name}: y_val")
        return self._encoder.transform(y)

    def _tensors(self, X: np.ndarray, y: np.ndarray) -> tuple[torch.Tensor, torch.Tensor]:
        Xt = torch.as_tensor(X, dtype=torch.float32, device=self.device_)
        dtype = torch.long if self.task_ == "classification" else torch.float32
        return Xt, torch.as_tensor(y, dtype=dtype, device=self.device_)

    def _loss(self, out: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        if self.task_ == "classification":
            return F.cross_entropy(out, y)
        return F.mse_loss(out[:, 0], y)

    def _train(self, Xt, yt, Xv, yv, gen: torch.Generator) -> None:
        opt = torch.optim.Adam(self.net_.parameters(), lr=self.lr)
        best, best_state, wait = np.inf, copy.deepcopy(self.net_.state_dict()), 0
        self.loss_curve_: list[float] = []
        n = len(Xt)
        for epoch in range(self.epochs):
            self._on_epoch(epoch)
            self.net_.train()
            perm = torch.randperm(n, generator=gen, device=self.device_)
            for start in range(0, n, self.batch_size):
                idx = perm[start : start + self.batch_size]
                loss = self._loss(self.net_(Xt[idx]), yt[idx]) + self._penalty(self.net_)
                opt.zero_grad()
                loss.backward()
                opt.step()
                self._after_step(self.net_, self.lr)
            self.net_.eval()
            with torch.no_grad():
                val = float(self._loss(self.net_(Xv), yv))
            self.loss_curve_.append(val)
            if val < best - 1e-6:
                best, best_state, wait = val, copy.deepcopy(self.net_.state_dict()), 0
            else:
                wait += 1
                if wait >= self.patience:
                    break
        self.n_epochs_ = epoch + 1
        self.net_.load_state_dict(best_state)
        self.best_val_loss_ = best

    # ---------------------------------------------------------------- predict
    def _output(self, X) -> torch.Tensor:
        check_is_fitted(self, "net_")
        X = validate_data(self, X, reset=False, dtype=np.float64)
        with torch.no_grad():
            return self.net_(torch.as_tensor(X, dtype=torch.float32, device=self.device_))

    def predict(self, X) -> np.ndarray:
        """Predictions of the method's own net on all features (as in the paper)."""
        out = self._output(X).cpu().numpy()
        if self.task_ == "classification":
            return self.classes_[out.argmax(1)]
        return out[:, 0].astype(np.float64) * self.target_std_ + self.target_mean_


def release_generators(net: nn.Module) -> None:
    """Drop the ``gen`` references that stochastic layers (gates, Gumbel noise, dropout) hold
    while training, so that a fitted selector holds no generator and pickles cleanly."""
    for module in net.modules():
        if hasattr(module, "gen"):
            module.gen = None
