"""Input checks shared by :class:`fir.DualNetSelector` and the baselines, and the rule that a
failed ``fit`` leaves the estimator as it was."""

from __future__ import annotations

import functools
import warnings
from numbers import Integral

import numpy as np
from sklearn.utils.validation import check_consistent_length, column_or_1d

# task='auto' warns when a numeric y has more than this many classes and this share of samples
MANY_CLASSES, MANY_CLASSES_SHARE = 20, 0.1
RANDOM_STATE_FORMS = "an int >= 0 (reproducible), a numpy Generator or RandomState, or None"


def restores_on_failure(fit):
    """Decorate an estimator's ``fit``: a fit that raises (bad input, divergence, an interrupt)
    leaves the estimator as it was before the call, unfitted or with its previous fit intact,
    instead of new input metadata (``n_features_in_``, ``feature_names_in_``) beside an old
    selection."""

    @functools.wraps(fit)
    def wrapper(self, *args, **kwargs):
        before = dict(vars(self))
        try:
            return fit(self, *args, **kwargs)
        except BaseException:
            vars(self).clear()
            vars(self).update(before)
            raise

    return wrapper


def is_random_state(value) -> bool:
    """Whether ``value`` is a ``random_state`` the estimators accept (``RANDOM_STATE_FORMS``)."""
    if isinstance(value, Integral) and not isinstance(value, bool):
        return value >= 0
    return value is None or isinstance(value, np.random.Generator | np.random.RandomState)


def warn_if_many_classes(y: np.ndarray, stacklevel: int) -> None:
    """Warn that ``task='auto'`` reads a numeric ``y`` with many distinct values (a count, a
    rounded measurement) as classes."""
    n_classes = len(np.unique(y))
    numeric = np.issubdtype(np.asarray(y).dtype, np.number)
    if numeric and n_classes > MANY_CLASSES and n_classes > MANY_CLASSES_SHARE * len(y):
        warnings.warn(
            f"task='auto' reads y as classification with {n_classes} classes in {len(y)} "
            "samples, because its values are discrete. If y is a numeric target (a count, a "
            "rounded measurement), pass task='regression'; pass task='classification' to "
            "silence this warning.",
            UserWarning,
            stacklevel=stacklevel + 1,
        )


def check_known_labels(y: np.ndarray, classes: np.ndarray, name: str) -> None:
    """Labels of ``y`` (validation labels) that the training target lacks are an error."""
    unknown = ~np.isin(y, classes)
    if unknown.any():
        raise ValueError(
            f"{name} has labels not seen in the training target: "
            f"{np.unique(np.asarray(y)[unknown]).tolist()} (known: {classes.tolist()})."
        )


def check_validation(method: str, X_val, y_val) -> tuple:
    """``(X_val, y_val)`` for a ``fit`` that takes a validation set: both or neither, and
    ``y_val`` one label per row of ``X_val`` (a column vector is flattened, as ``y`` is)."""
    if (X_val is None) != (y_val is None):
        given, missing = ("X_val", "y_val") if y_val is None else ("y_val", "X_val")
        raise ValueError(
            f"{method}: fit received {given} without {missing}; pass both or neither (without "
            "them a validation split is held out of the training data)."
        )
    if y_val is not None:
        y_val = column_or_1d(y_val, warn=True)
        check_consistent_length(X_val, y_val)
    return X_val, y_val
