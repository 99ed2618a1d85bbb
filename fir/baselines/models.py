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

from fir.baselines.params import POSITIVE_INT, POSITIVE_NUMBER, Rule, check_arguments

TASKS = ("classification", "regression")
ACTIVATIONS = ("identity", "logistic", "tanh", "relu")  # scikit-learn's MLP
# the forms of the factories' own arguments, beside fir.baselines.params.RULES (checked when a
# model is built, not by scikit-learn after the first fold's selector has run)
MODEL_RULES: dict[str, Rule] = {
    "gamma": (lambda v: v in ("scale", "auto") or POSITIVE_NUMBER[0](v),
              "'scale', 'auto' or a positive number"),
    "activation": (lambda v: v in ACTIVATIONS, f"one of {ACTIVATIONS}"),
    "learning_rate_init": POSITIVE_NUMBER,
    "n_iter_no_change": POSITIVE_INT,
}  # fmt: skip


def _check_task(factory: str, task: str) -> None:
    if task not in TASKS:
        raise ValueError(
            f"{factory}: task={task!r} is not one of {TASKS}; method configs leave it as "
            "'task: ???' so that fir-run fills in the dataset's task."
        )


def make_svm(task: str, C: float = 1.0, gamma: str | float = "scale") -> BaseEstimator:
    """RBF SVM (classification) or SVR (regression) with ``C`` and ``gamma``; the paper's
    filters use C = 1 and gamma = 1 / (n_features * var(X)), scikit-learn's ``"scale"``."""
    _check_task("make_svm", task)
    check_arguments(make_svm, {"C": C, "gamma": gamma}, MODEL_RULES)
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
    check_arguments(make_mlp, {
        "hidden": hidden, "activation": activation, "learning_rate_init": learning_rate_init,
        "max_iter": max_iter, "n_iter_no_change": n_iter_no_change,
    }, MODEL_RULES)  # fmt: skip
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
