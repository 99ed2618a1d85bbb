"""Downstream models the paper pairs with the baselines (SPEC section 4).

Each factory takes the dataset's ``task`` (filled in at runtime from ``task: ???`` in the method
config) and returns an unfitted scikit-learn estimator.
"""

from __future__ import annotations

from collections.abc import Sequence

from sklearn.base import BaseEstimator
from sklearn.compose import TransformedTargetRegressor
from sklearn.neural_network import MLPClassifier, MLPRegressor
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC, SVR

TASKS = ("classification", "regression")
ACTIVATIONS = ("identity", "logistic", "tanh", "relu")  # scikit-learn's MLP


def _check_task(factory: str, task: str) -> None:
    if task not in TASKS:
        raise ValueError(
            f"{factory}: task={task!r} is not one of {TASKS}; method configs leave it as "
            "'task: ???' so that fir-run fills in the dataset's task."
        )


def _check_positive(name: str, value, kind: type = float) -> None:
    """``value`` is a positive number (an integer for ``kind=int``), or a ValueError naming
    the argument; caught here, not by scikit-learn after the first fold's selector has run."""
    number = isinstance(value, int | float) and not isinstance(value, bool)
    if not number or (kind is int and not float(value).is_integer()) or not value > 0:
        wanted = "a positive integer" if kind is int else "a positive number"
        raise ValueError(f"{name}={value!r} is invalid: use {wanted}.")


def make_svm(task: str, C: float = 1.0, gamma: str | float = "scale") -> BaseEstimator:
    """RBF SVM (classification) or SVR (regression) with ``C`` and ``gamma``; the paper's
    filters use C = 1 and gamma = 1 / (n_features * var(X)), scikit-learn's ``"scale"``."""
    _check_task("make_svm", task)
    _check_positive("C", C)
    if gamma not in ("scale", "auto"):
        _check_positive("gamma", gamma)
    if task == "classification":
        return SVC(kernel="rbf", C=C, gamma=gamma)
    return standardized_target(SVR(kernel="rbf", C=C, gamma=gamma))


def make_mlp(
    task: str,
    hidden: Sequence[int] = (60, 30, 20),
    activation: str = "logistic",
    learning_rate_init: float = 1e-2,
    max_iter: int = 500,
    early_stopping: bool = True,
    n_iter_no_change: int = 50,
    random_state: int | None = 0,
) -> BaseEstimator:
    """Operator-shaped MLP (sigmoid units, Adam with lr 0.01, early stopping on a 10 %
    validation split after 50 epochs without improvement, so that it leaves the sigmoid plateau):
    the paper's downstream model for LASSO, forward selection, LIME and SAN."""
    _check_task("make_mlp", task)
    if isinstance(hidden, str | bytes) or not isinstance(hidden, Sequence) or not hidden:
        raise ValueError(f"hidden={hidden!r} is invalid: use a list of layer sizes, e.g. [60,30].")
    for size in hidden:
        _check_positive("hidden", size, int)
    if activation not in ACTIVATIONS:
        raise ValueError(f"activation={activation!r} is invalid: use one of {ACTIVATIONS}.")
    _check_positive("learning_rate_init", learning_rate_init)
    _check_positive("max_iter", max_iter, int)
    _check_positive("n_iter_no_change", n_iter_no_change, int)
    cls = MLPClassifier if task == "classification" else MLPRegressor
    model = cls(
        hidden_layer_sizes=tuple(hidden),
        activation=activation,
        solver="adam",
        learning_rate_init=learning_rate_init,
        max_iter=max_iter,
        early_stopping=early_stopping,
        n_iter_no_change=n_iter_no_change,
        random_state=random_state,
    )
    return model if task == "classification" else standardized_target(model)


def standardized_target(regressor: BaseEstimator) -> BaseEstimator:
    """``regressor`` fitted on the standardised target, its predictions in the target's units:
    an SVR's margin and C, and a sigmoid MLP's fixed learning rate, assume a target of unit
    scale (the dual-net standardises its target too)."""
    return TransformedTargetRegressor(regressor=regressor, transformer=StandardScaler())
