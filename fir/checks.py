"""Input checks shared by :class:`fir.DualNetSelector` and the baselines, and the rule that a
failed ``fit`` leaves the estimator as it was."""

from __future__ import annotations

import functools
import warnings
from numbers import Integral

import numpy as np
import pandas as pd
from sklearn.utils.validation import check_consistent_length, column_or_1d, validate_data

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


def check_labels(method: str, y, name: str = "y") -> None:
    """A target of Python objects (text labels as pandas reads them) has no missing values and
    labels that can be ordered. numpy sorts labels to find the classes, and scikit-learn's checks
    fail on None, pd.NA or strings among numbers with a bare ``TypeError`` (or "Input contains
    NaN", without the row)."""
    if y is None:
        return  # validate_data says that y is required
    y = np.asarray(y)
    if y.dtype != object or y.ndim not in (1, 2) or (y.ndim == 2 and y.shape[1] != 1):
        return  # numeric NaN/inf, and y's shape, are validate_data's to name
    y = y.ravel()
    missing = pd.isna(y)
    if missing.any():
        raise ValueError(
            f"{method}: {name} has {int(missing.sum())} missing values (None, NaN or pd.NA), "
            f"the first at row {int(np.flatnonzero(missing)[0])}; drop those rows or fill "
            "them in."
        )
    try:
        np.unique(y)
    except TypeError:
        examples = {type(v).__name__: v for v in y[::-1]}  # the first of each; after the failure
        raise ValueError(
            f"{method}: {name} mixes labels of types that cannot be ordered "
            f"({', '.join(f'{t} {v!r}' for t, v in sorted(examples.items()))}); give every "
            f"label one type, e.g. {name}.astype(str)."
        ) from None


def validate_xy(estimator, method: str, X, y, **kwargs) -> tuple[np.ndarray, np.ndarray]:
    """scikit-learn's ``validate_data(estimator, X, y, **kwargs)`` for a ``fit``, after
    :func:`check_labels`."""
    check_labels(method, y)
    return validate_data(estimator, X, y, **kwargs)


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
        check_labels(method, y_val, "y_val")
        y_val = column_or_1d(y_val, warn=True)
        check_consistent_length(X_val, y_val)
    return X_val, y_val
