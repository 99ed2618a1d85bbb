"""Every baseline through the runner: contract files, exactly s features, recovery (slow)."""

from __future__ import annotations

import json
from contextlib import nullcontext
from pathlib import Path

import pandas as pd
import pytest
from hydra import compose, initialize_config_dir

from fir.run import run

CONF_DIR = Path(__file__).resolve().parents[2] / "conf"
BASELINES = [
    "dfs",
    "avgrad",
    "forward",
    "lasso",
    "random_forest",
    "rfe",
    "bahsic",
    "mrmr",
    "ccm",
    "stg",
    "concrete",
    "san_aggr",
    "san_global",
    "lassonet",
    "lime",
]
# Paper, section 4.1 / Figure 2: methods that select the relevant features in all 5 folds.
CREDITED = {
    "xor": ["dfs", "random_forest", "rfe", "bahsic", "ccm"],
    "regression": ["forward", "random_forest", "rfe", "ccm"],
    "binary": ["dfs", "avgrad", "forward", "random_forest", "rfe", "bahsic", "mrmr", "ccm"],
}
IGNORE = [
    pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning"),
    pytest.mark.filterwarnings("ignore::UserWarning:hydra.*"),
]


def _run(tmp_path: Path, overrides: list[str]) -> tuple[dict, Path]:
    with initialize_config_dir(config_dir=str(CONF_DIR), version_base="1.3"):
        cfg = compose(config_name="config", overrides=[*overrides, "device=cpu", "verbose=0"])
    out = tmp_path / "run"
    return run(cfg, out), out


@pytest.mark.parametrize("method", BASELINES)
@pytest.mark.parametrize("dataset", ["xor", "regression"])
def test_tiny_run_writes_contract(tmp_path, method, dataset):
    if method == "mrmr" and dataset == "regression":
        with pytest.raises(ValueError, match="mrmr: got a regression target"):
            _run(tmp_path, [f"method={method}", f"dataset={dataset}", "profile=tiny"])
        info = json.loads((tmp_path / "run" / "run.json").read_text())
        assert info["status"] == "failed"
        return
    # a linear model sees no XOR effect: lasso says its selection is drawn among zeros
    said = (dataset, method) == ("xor", "lasso")
    with pytest.warns(UserWarning, match="lasso: only 0 of 10") if said else nullcontext():
        summary, out = _run(tmp_path, [f"method={method}", f"dataset={dataset}", "profile=tiny"])
    for name in ("run.json", "summary.json", "folds.csv", "features.csv"):
        assert (out / name).is_file()
    folds = pd.read_csv(out / "folds.csv")
    assert (folds["n_selected"] == 5).all() and len(folds) == 2
    assert summary["method"] == method


# Measured with seed 0 at the default budgets (pytest -m slow); see docs/METHODS.md.
NOT_REPRODUCED = {
    ("xor", "rfe"): "the paper credits RFE on XOR, but a linear SVM's weights cannot rank XOR "
    "features (each is uncorrelated with the label)",
    ("binary", "rfe"): "the orange-skin class depends on the squared norm of X0..X3, which a "
    "linear SVM's weights cannot see (measured: X0..X3 in 3, 3, 3, 2 of 5 folds)",
    ("binary", "dfs"): "near miss: X0 in 3 of 5 folds (X1..X3 in 4)",
    ("binary", "forward"): "near miss: X2 in 3 of 5 folds (X0, X1 in 4, X3 in 5)",
}
CASES = [
    pytest.param(d, m, marks=pytest.mark.xfail(reason=NOT_REPRODUCED[(d, m)], strict=True))
    if (d, m) in NOT_REPRODUCED
    else (d, m)
    for d, ms in CREDITED.items()
    for m in ms
]


@pytest.mark.slow
@pytest.mark.parametrize(("dataset", "method"), CASES)
def test_credited_methods_recover_relevant_features(tmp_path, dataset, method):
    summary, out = _run(tmp_path, [f"method={method}", f"dataset={dataset}", "torch_threads=1"])
    folds = pd.read_csv(out / "folds.csv")
    assert len(folds) == 5 and (folds["n_selected"] == 5).all()
    found = summary["informative_selected_folds"]
    assert min(found.values()) >= 4, f"{method} on {dataset}: {found}"


pytestmark = IGNORE
