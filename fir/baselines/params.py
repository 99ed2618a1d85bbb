"""The baselines' hyperparameter checks: what each argument name must hold, checked before any
data is read (``fir-run`` calls ``check_params`` before loading the data and prefixes the key
with ``method.selector.``; every ``fit`` calls it too).

One rule per argument name, shared by every baseline that has it (a class may replace a
rule for the form its own argument takes: ``param_rules``), so that ``epochs=0`` or
``lr=-1`` is a message naming the key, the value and a valid example instead of an error from
deep inside scikit-learn or torch (or, for some, a run that silently does nothing useful).
"""

from __future__ import annotations

import inspect
import math
import numbers
from collections.abc import Callable
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator

from fir.checks import RANDOM_STATE_FORMS, is_random_state


def _int(value: Any) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def _number(value: Any) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool) and math.isfinite(value)


def _positive_int(value: Any) -> bool:
    return _int(value) and value >= 1


def _ints(value: Any, minimum: int = 1) -> bool:
    """A non-empty list, tuple or 1-D array of ints >= ``minimum``."""
    return (
        (isinstance(value, list | tuple) or (isinstance(value, np.ndarray) and value.ndim == 1))
        and len(value) > 0
        and all(_int(v) and v >= minimum for v in value)
    )


def _step(value: Any) -> bool:  # RFE: features removed per step, or a fraction of all
    return _positive_int(value) or (_number(value) and 0 < value < 1)


def _pair(value: Any) -> bool:
    return _ints(value) and len(value) == 2


def _optional(rule: Callable[[Any], bool]) -> Callable[[Any], bool]:
    return lambda value: value is None or rule(value)


Rule = tuple[Callable[[Any], bool], str]
POSITIVE_INT: Rule = (_positive_int, "a positive int")
PAIR: Rule = (_pair, "a pair of positive ints, e.g. [1000, 100]")
OPTIONAL_POSITIVE_INT: Rule = (_optional(_positive_int), "a positive int, or null")
POSITIVE_NUMBER: Rule = (lambda v: _number(v) and v > 0, "a positive number")


# argument name -> (rule, what the rule says)
RULES: dict[str, Rule] = {
    "epochs": POSITIVE_INT,
    "max_iter": POSITIVE_INT,
    "n_lambdas": POSITIVE_INT,
    "n_repeats": POSITIVE_INT,
    "n_heads": POSITIVE_INT,
    "n_instances": (_optional(_positive_int), "a positive int, or null (every row)"),
    "n_samples": POSITIVE_INT,
    "chunk": POSITIVE_INT,
    "cv": (lambda v: _int(v) and v >= 2, "an int >= 2 (folds of the inner cross-validation)"),
    "batch_size": POSITIVE_INT,
    "max_samples": (_optional(lambda v: _int(v) and v >= 2), "an int >= 2, or null (all rows)"),
    "hidden": (_ints, "a non-empty list of positive ints, e.g. [60, 30, 20]"),
    "step": (_step, "a positive int, or a fraction in (0, 1) of all features"),
    "patience": POSITIVE_INT,
    "n_iters": PAIR,
    "n_estimators_grid": (_ints, "a non-empty list of positive ints"),
    "max_depth_grid": (_ints, "a non-empty list of positive ints"),
    "lr": (lambda v: _number(v) and v > 0, "a positive number"),
    "C": (lambda v: _number(v) and v > 0, "a positive number"),
    "M": (lambda v: _number(v) and v > 0, "a positive number"),
    "sigma": (lambda v: _number(v) and v > 0, "a positive number"),
    "epsilon": (lambda v: _number(v) and v > 0, "a positive number"),
    "tol": (lambda v: _number(v) and v > 0, "a positive number"),
    "threshold": (lambda v: _number(v) and v >= 0, "a number >= 0 (in standard deviations)"),
    "start_temperature": (lambda v: _number(v) and v > 0, "a positive number"),
    "end_temperature": (lambda v: _number(v) and v > 0, "a positive number"),
    "path_multiplier": (lambda v: _number(v) and v > 1, "a number > 1"),
    "lambda_": (lambda v: _number(v) and v >= 0, "a number >= 0"),
    "lambda2": (lambda v: _number(v) and v >= 0, "a number >= 0"),
    "lam": (lambda v: _number(v) and v >= 0, "a number >= 0"),
    "alpha1": (lambda v: _number(v) and v >= 0, "a number >= 0"),
    "alpha2": (lambda v: _number(v) and v >= 0, "a number >= 0"),
    "validation_fraction": (lambda v: _number(v) and 0 < v < 1, "a fraction in (0, 1)"),
    "fraction": (lambda v: _number(v) and 0 < v < 1, "a fraction in (0, 1)"),
    "dropout": (lambda v: _number(v) and 0 <= v < 1, "a probability in [0, 1)"),
    "random_state": (is_random_state, RANDOM_STATE_FORMS),
}


def check_baseline_params(estimator: BaseEstimator) -> None:
    """Raise a ValueError naming the first argument of ``estimator`` that breaks its rule
    (``RULES``, or the class's own ``param_rules``), with the value given and the default as
    an example."""
    check_arguments(
        type(estimator), estimator.get_params(deep=False), getattr(estimator, "param_rules", {})
    )


def check_arguments(
    owner: Callable[..., Any], values: dict[str, Any], own_rules: dict[str, Rule] | None = None
) -> None:
    """Raise a ValueError naming the first of ``values`` (arguments of the class or function
    ``owner``) that breaks its rule (``RULES``, or ``own_rules`` for the forms that ``owner``'s
    arguments take), with the value given and ``owner``'s default as an example."""
    defaults = {name: p.default for name, p in inspect.signature(owner).parameters.items()}
    rules = {**RULES, **(own_rules or {})}
    for name, value in values.items():
        rule = rules.get(name)
        if rule is None or rule[0](value):
            continue
        example = defaults.get(name, inspect.Parameter.empty)
        hint = "" if example is inspect.Parameter.empty else f" (the default is {example!r})"
        raise ValueError(
            f"{name}={value!r} is invalid for {owner.__name__}: it must be {rule[1]}{hint}."
        )
