"""The record every dataset loader returns."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

TASKS = ("classification", "regression")


@dataclass(frozen=True)
class Split:
    """Row indices of one fold: training, validation (early stopping) and test."""

    train: np.ndarray
    val: np.ndarray
    test: np.ndarray


@dataclass
class Dataset:
    """A feature matrix with its target and what is known about it.

    Attributes
    ----------
    name : str
    X : ndarray (n_samples, n_features), float
    y : ndarray (n_samples,)
    task : "classification" or "regression"
    feature_names : list of str
    informative : indices of the truly relevant features, or None when unknown
    image_shape : (height, width) for image data (row-major pixels), or None
    splits : predefined folds (e.g. independent draws of a synthetic generator), or None to let
        the protocol split the rows
    test_index : rows of an official test split, scored in every fold, or None
    standardize : fit a StandardScaler on each fold's training part
    provenance : facts about the source files (paths, sha256), for ``run.json``
    """

    name: str
    X: np.ndarray
    y: np.ndarray
    task: str
    feature_names: list[str]
    informative: list[int] | None = None
    image_shape: tuple[int, int] | None = None
    splits: list[Split] | None = None
    test_index: np.ndarray | None = None
    standardize: bool = False
    provenance: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.task not in TASKS:
            raise ValueError(f"Dataset {self.name!r}: task={self.task!r} must be one of {TASKS}.")
        if self.X.ndim != 2 or self.X.shape[0] != self.y.shape[0]:
            raise ValueError(
                f"Dataset {self.name!r}: X must be (n_samples, n_features) with one y per row; "
                f"got X {self.X.shape} and y {self.y.shape}."
            )
        if len(self.feature_names) != self.X.shape[1]:
            raise ValueError(
                f"Dataset {self.name!r}: {len(self.feature_names)} feature names for "
                f"{self.X.shape[1]} features."
            )

    @property
    def n_features(self) -> int:
        return int(self.X.shape[1])

    @property
    def n_samples(self) -> int:
        return int(self.X.shape[0])
