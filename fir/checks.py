"""Input checks shared by :class:`fir.DualNetSelector` and the baselines."""

from __future__ import annotations

from sklearn.utils.validation import check_consistent_length, column_or_1d


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
