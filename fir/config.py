"""The typed top level of the run config and the checks that types cannot express."""

from __future__ import annotations

import hashlib
import inspect
import re
import shlex
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from hydra.core.config_store import ConfigStore
from hydra.core.override_parser.overrides_parser import OverridesParser
from hydra.errors import HydraException
from hydra.utils import get_object
from omegaconf import MISSING, DictConfig, OmegaConf

from fir.data.base import Dataset
from fir.repro import resolve_device

ALLOWED_TARGET_PREFIXES = ("fir.", "sklearn.", "torch.")


def conf_dir(package: Path) -> Path:
    """The Hydra config tree of the ``fir`` package at ``package``: ``conf/`` beside it in a
    checkout (and an editable install), ``fir/conf/`` in an installed wheel (pyproject maps it
    there)."""
    installed = package / "conf"
    return installed if (installed / "config.yaml").is_file() else package.parent / "conf"


# fir-run's config_path; conf/profile/ names the budgets.
CONF_DIR = conf_dir(Path(__file__).resolve().parent)


@dataclass
class PathsConfig:
    """Where data is read from. ``FIR_DATA_DIR`` overrides the default cache."""

    data_dir: str = "${oc.env:FIR_DATA_DIR,'~/.cache/fir'}"


@dataclass
class RunConfig:
    """Top-level knobs of ``fir-run``; the ``dataset`` and ``method`` groups fill the rest."""

    dataset: Any = MISSING
    method: Any = MISSING
    estimator: Any = None  # conf/estimator/: replaces method.estimator when set
    s: int = 5
    seed: int = 0
    n_splits: int = 5
    val_fraction: float = 0.2
    device: str = "auto"
    torch_threads: int | None = None
    n_jobs: int = 1
    verbose: int = 1
    resume: bool = False
    paths: PathsConfig = field(default_factory=PathsConfig)


# Overrides left out of a multirun point's directory hash: those its name already holds
# (``<dataset>/<method>/s<s>_seed<seed>``), and those that change neither the results nor the
# work (``resume``, logging, where the data files are read from), so that a re-run with them
# finds the point's directory again. ``n_jobs`` and ``torch_threads`` stay in: a sweep over
# them (a timing study) needs a directory per point.
POINT_NAMED_KEYS = ("dataset", "method", "s", "seed")
POINT_IGNORED_KEYS = ("resume", "verbose", "paths", "dataset.data_dir", "method.selector.verbose")


def _override_key(override: str) -> str:
    return override.split("=", 1)[0].lstrip("+~")


def sweep_point_suffix(overrides: Sequence[str]) -> str:
    """The end of a multirun point's directory name: empty when its overrides are only those
    the name holds (or ``POINT_IGNORED_KEYS``), else ``_`` and a short hash of the others
    (sorted), so that points that differ elsewhere get their own directory and a re-run of the
    same point, in any sweep order and with ``resume=true``, finds its directory again."""

    def kept(key: str) -> bool:
        return key not in POINT_NAMED_KEYS and not any(
            key == k or key.startswith(k + ".") for k in POINT_IGNORED_KEYS
        )

    rest = sorted(o for o in overrides if kept(_override_key(o)))
    if not rest:
        return ""
    return "_" + hashlib.sha256("\n".join(rest).encode()).hexdigest()[:8]


def hydra_override(key: str, value: str) -> str:
    """``key=value`` as a command-line override that Hydra reads back as the string ``value``:
    as it is where Hydra's grammar takes it unquoted (a path with spaces), else in Hydra's
    single quotes (non-ASCII letters, ``,``, ``=``, brackets, quotes, a leading ``~``), with a
    quote, and backslashes before a quote or at the end, escaped."""
    plain = f"{key}={value}"
    try:
        if OverridesParser.create().parse_override(plain).value() == value:
            return plain
    except HydraException:
        pass
    escaped = re.sub(r"(\\*)'", lambda m: m.group(1) * 2 + "\\'", value)
    escaped = re.sub(r"(\\+)$", lambda m: m.group(1) * 2, escaped)
    return f"{key}='{escaped}'"


def shell_quote(word: str) -> str:
    """``word`` for a shell command line: as it is when safe, else in single quotes, or in
    double quotes when it holds single quotes but nothing a shell expands there (a Hydra-quoted
    override reads ``"hydra.run.dir='/home/josé/run'"``, not ``'hydra.run.dir='"'"'...``)."""
    quoted = shlex.quote(word)
    if quoted == word or "'" not in word or re.search(r'["$`\\!]', word):
        return quoted
    return f'"{word}"'


def register_configs() -> None:
    """Store the schema as ``run_schema`` (first in ``config.yaml``'s defaults) and register
    the ``fir.point_suffix`` resolver that names multirun points (``hydra.sweep.subdir``)."""
    ConfigStore.instance().store(name="run_schema", node=RunConfig)
    if not OmegaConf.has_resolver("fir.point_suffix"):
        OmegaConf.register_new_resolver("fir.point_suffix", sweep_point_suffix)


def validate_run_config(cfg: DictConfig) -> None:
    """Checks on the composed config before any data is loaded; errors name key, value, fix."""
    if cfg.s < 1:
        raise ValueError(
            f"s={cfg.s} is invalid: s is the number of features to select and must be at least 1 "
            "(and below the number of features). Example: fir-run s=5."
        )
    if isinstance(cfg.seed, bool) or not isinstance(cfg.seed, int) or not 0 <= cfg.seed < 2**32:
        raise ValueError(
            f"seed={cfg.seed!r} is invalid: use an integer from 0 to 2**32 - 1, e.g. seed=0 "
            "(every fold, split and initial weight is drawn from it)."
        )
    if cfg.n_splits < 2:
        raise ValueError(
            f"n_splits={cfg.n_splits} is invalid: cross-validation needs at least 2 folds."
        )
    if not 0 < cfg.val_fraction < 1:
        raise ValueError(
            f"val_fraction={cfg.val_fraction} is invalid: it must lie in (0, 1), e.g. 0.2."
        )
    if cfg.torch_threads is not None and cfg.torch_threads < 1:
        raise ValueError(
            f"torch_threads={cfg.torch_threads} is invalid: use a positive count or null."
        )
    if cfg.n_jobs < 1:
        raise ValueError(f"n_jobs={cfg.n_jobs} is invalid: use 1 (folds in sequence) or more.")
    resolve_device(cfg.device)
    for group in ("dataset", "method", "estimator"):
        node = cfg.get(group) or {}
        targets = (
            [(node.get(k) or {}).get("_target_") for k in ("selector", "estimator")]
            if group == "method"
            else [node.get("_target_")]
        )
        for target in targets:
            if target is not None and not str(target).startswith(ALLOWED_TARGET_PREFIXES):
                raise ValueError(
                    f"{group} _target_={target!r} is not allowed: targets must live under "
                    f"{', '.join(ALLOWED_TARGET_PREFIXES)}"
                )
    # ``method.estimator.task`` (or ``estimator.task``) is the one runtime value a config may
    # leave as ???.
    runtime = ("method.estimator.task", "estimator.task")
    missing = sorted(k for k in OmegaConf.missing_keys(cfg) if k not in runtime)
    if missing:
        raise ValueError(
            f"{missing[0]} is required but not set ({', '.join(missing)}). Set it on the "
            "command line, e.g. fir-run dataset=table dataset.path=data.csv dataset.target=label."
        )
    if cfg.method.get("selector") is None:
        raise ValueError(
            "method.selector is missing: every method config needs a 'selector' node with a "
            "_target_ (see conf/method/dualnet.yaml)."
        )
    _check_follows_run_keys(cfg)


# selector argument -> (the run key it follows: the method configs set it to ${key}, why)
FOLLOWED_KEYS = {
    "n_features_to_select": ("s", "the run is recorded, named and reported under s"),
    "random_state": ("seed", "each fold's random_state is drawn from seed, so it is not used"),
    "device": ("device", "the run is recorded under device"),
}


def _check_follows_run_keys(cfg: DictConfig) -> None:
    """The selector's s, seed and device come from the run's ``s``, ``seed`` and ``device``,
    which the run records, names its directory by and reports under; a selector value set
    apart from them would be recorded wrongly (s, device) or not used at all (each fold's seed
    is drawn from ``seed``)."""
    selector = cfg.method.selector
    for arg, (key, why) in FOLLOWED_KEYS.items():
        if arg not in selector:
            continue
        raw = OmegaConf.to_container(selector, resolve=False)[arg]
        if raw == f"${{{key}}}" or str(selector[arg]) == str(cfg[key]):
            continue
        raise ValueError(
            f"method.selector.{arg}={selector[arg]!r} differs from {key}={cfg[key]!r}: {why}. "
            f"Set {key}={selector[arg]} instead."
        )


def validate_dataset(dataset: Dataset, s: int) -> None:
    """Checks on the loaded data before training: s in range, finite X, at least 2 classes."""
    d = dataset.n_features
    if d < 2:
        raise ValueError(
            f"dataset {dataset.name!r} has {d} feature: selecting a strict subset needs at "
            "least 2 (for a table, check dataset.features and dataset.exclude)."
        )
    if not 1 <= s < d:
        raise ValueError(
            f"s={s} is invalid for dataset {dataset.name!r} with {d} features: s must satisfy "
            f"1 <= s < {d}. Choose e.g. s={max(1, min(5, d - 1))}."
        )
    finite = np.isfinite(dataset.X)
    if not finite.all():
        rows = np.flatnonzero(~finite.all(axis=1))
        raise ValueError(
            f"dataset {dataset.name!r}: X holds {int((~finite).sum())} NaN/inf values "
            f"(first in row {int(rows[0])}); clean or impute them before running."
        )
    if dataset.task == "classification":
        classes = np.unique(dataset.y)
        if len(classes) < 2:
            raise ValueError(
                f"dataset {dataset.name!r}: the target has {len(classes)} class "
                f"({classes.tolist()}); classification needs at least 2. Check the target column "
                "or set the task to regression."
            )


def with_target_defaults(config: dict[str, Any]) -> dict[str, Any]:
    """A resolved run config whose ``method.selector`` and ``dataset`` name every argument of
    their ``_target_``: those they leave out get the callable's default (tuples as lists, as a
    resolved config holds them). Runs recorded before an argument existed, or before a config
    file spelled out a default, then compare equal to runs that leave it at its default
    (resume, and the report's config differences)."""
    config = dict(config)
    if isinstance(config.get("dataset"), dict):
        config["dataset"] = _with_target_defaults(config["dataset"])
    method = config.get("method")
    if isinstance(method, dict) and isinstance(method.get("selector"), dict):
        config["method"] = {**method, "selector": _with_target_defaults(method["selector"])}
    return config


def _with_target_defaults(node: dict[str, Any]) -> dict[str, Any]:
    """``node`` with the defaults of its ``_target_``'s arguments that it leaves out."""
    target = str(node.get("_target_", ""))
    if not target.startswith(ALLOWED_TARGET_PREFIXES):  # a run.json names it: import only ours
        return node
    try:
        params = inspect.signature(get_object(target)).parameters
    except Exception:  # a target that no longer imports: compare the config as recorded
        return node
    defaults = {
        name: list(p.default) if isinstance(p.default, tuple) else p.default
        for name, p in params.items()
        if p.default is not inspect.Parameter.empty and name not in node
    }
    return {**defaults, **node}
