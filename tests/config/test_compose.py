"""Every dataset x method composes; selector nodes instantiate; bad overrides are clear."""

import re
import subprocess
import sys
from pathlib import Path

import pytest
from hydra import compose, initialize_config_dir
from hydra.errors import ConfigCompositionException
from hydra.utils import instantiate
from omegaconf import OmegaConf
from sklearn.base import BaseEstimator

import fir.run  # noqa: F401  (registers the run schema)
from fir.config import validate_run_config

CONF = Path(__file__).resolve().parents[2] / "conf"
DATASETS = sorted(p.stem for p in (CONF / "dataset").glob("*.yaml"))
METHODS = sorted(p.stem for p in (CONF / "method").glob("*.yaml"))


def compose_run(*overrides: str):
    with initialize_config_dir(config_dir=str(CONF), version_base="1.3"):
        return compose(config_name="config", overrides=list(overrides))


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("dataset", DATASETS)
def test_every_dataset_and_method_composes(dataset, method):
    extra = ["dataset.path=data.csv", "dataset.target=label"] if dataset == "table" else []
    cfg = compose_run(f"dataset={dataset}", f"method={method}", *extra)
    validate_run_config(cfg)
    assert cfg.method.name == method
    selector = instantiate(cfg.method.selector, _convert_="all")
    assert isinstance(selector, BaseEstimator)
    assert OmegaConf.select(cfg, "dataset._target_", default=None)


@pytest.mark.parametrize("method", METHODS)
def test_tiny_profile_composes_for_every_method(method):
    cfg = compose_run(f"method={method}", "profile=tiny")
    assert cfg.n_splits == 2
    instantiate(cfg.method.selector, _convert_="all")


def test_paper_hyperparameters_reach_the_dual_net():
    cfg = compose_run("dataset=regression")
    sel = instantiate(cfg.method.selector, _convert_="all")
    assert sel.operator_hidden == [100, 50, 25]
    assert (sel.phase2_start, sel.mask_batch_size, sel.n_flips) == (6000, 32, 2)
    assert sel.n_features_to_select == cfg.s


def test_unknown_group_options_list_the_choices():
    with pytest.raises(ConfigCompositionException, match="(?s)Available options.*xor"):
        compose_run("dataset=nope")
    with pytest.raises(ConfigCompositionException, match="(?s)Available options.*dualnet"):
        compose_run("method=nope")


def test_typos_and_wrong_types_fail_at_composition():
    with pytest.raises(ConfigCompositionException):
        compose_run("sedd=3")
    with pytest.raises(ConfigCompositionException):
        compose_run("s=five")


@pytest.mark.parametrize(
    ("override", "match"),
    [
        ("s=0", r"s=0 is invalid"),
        ("n_splits=1", r"n_splits=1"),
        ("device=tpu", r"device='tpu'"),
        ("seed=-1", r"seed=-1 is invalid: use an integer from 0 to 2\*\*32 - 1"),
    ],  # fmt: skip
)
def test_run_level_validation_names_key_value_and_fix(override, match):
    with pytest.raises(ValueError, match=match):
        validate_run_config(compose_run(override))


def test_missing_mandatory_dataset_keys_are_named():
    with pytest.raises(ValueError, match=r"dataset.path is required.*dataset.target"):
        validate_run_config(compose_run("dataset=table"))


@pytest.mark.parametrize(
    "dataset",
    ["xor", "regression", "binary", "mnist38", "enhancer_promoter", "enhancer_promoter_dfs"],
)
@pytest.mark.parametrize("method", ["dfs", "avgrad"])
def test_dfs_and_avgrad_use_the_operators_mlp(dataset, method):
    """Supplement A.2: DFS (and AvGrad on MNIST) use 'the same architecture as the operator
    net' of Table I, on every dataset the paper runs them on."""
    operator = compose_run(f"dataset={dataset}", "method=dualnet").method.selector.operator_hidden
    assert compose_run(f"dataset={dataset}", f"method={method}").method.selector.hidden == operator


def test_every_dualnet_argument_is_a_config_key():
    """``method.selector.<name>=`` reaches every DualNetSelector argument without a ``+``."""
    from fir import DualNetSelector

    keys = set(compose_run().method.selector) - {"_target_"}
    assert keys == set(DualNetSelector().get_params())


def test_sweep_point_suffix_names_the_other_overrides_in_any_order():
    from fir.config import sweep_point_suffix

    assert sweep_point_suffix(["dataset=xor", "seed=1", "s=5", "resume=true"]) == ""
    quiet = ["verbose=0", "paths.data_dir=/d", "dataset.data_dir=/e", "method.selector.verbose=0"]
    assert sweep_point_suffix(["seed=1", *quiet]) == ""  # no change in results or work
    assert sweep_point_suffix(["torch_threads=2"]) != sweep_point_suffix(["torch_threads=1"])
    assert sweep_point_suffix(["dataset.path=a.csv"]) != ""
    a = sweep_point_suffix(["seed=1", "profile=tiny", "method.selector.patience=600"])
    b = sweep_point_suffix(["method.selector.patience=600", "resume=true", "profile=tiny"])
    assert a == b and len(a) == 9 and a.startswith("_")
    assert sweep_point_suffix(["profile=tiny", "method.selector.patience=2000"]) != a


def test_fir_run_help_says_what_it_does_and_its_examples_compose():
    """fir-run --help used to open with "fir-run is powered by Hydra." and nothing on what it
    runs; its examples must stay valid configs."""
    done = subprocess.run(
        [sys.executable, "-m", "fir.run", "--help"], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    text = done.stdout
    assert text.startswith("fir-run: dual-net feature importance ranking")
    for group in ("dataset", "method", "estimator", "profile", "experiment"):
        assert f"\n{group}: " in text  # Hydra's list of the options, from conf/
    assert "$FIR_DATA_DIR" in text
    examples = [
        re.sub(r"<[^>]*>", "PLACEHOLDER", line).strip().split("    (")[0].split()
        for line in text.split("Examples:")[1].split("\n\n")[0].splitlines()
        if line.strip()
    ]
    assert len(examples) >= 5
    for words in examples:
        assert words[0] == "fir-run"
        overrides = [
            w.split(",")[0]  # a sweep's first point
            for w in words[1:]
            if w != "-m" and not w.startswith("hydra.")
        ]
        cfg = compose_run(*overrides)
        assert cfg.dataset is not None and cfg.method.selector is not None, words


@pytest.mark.parametrize(
    "value",
    ["/out/run 1", "/home/josé/run", "/a,b", "/a=b", "/a[1]", "~/run", "/a{b}", "it's",
     "a\\'b", "/a\\b", "/a\\", "x'", "123", "/a$b"],
)  # fmt: skip
def test_a_printed_override_reads_back_as_the_path(value):
    """Resume commands named a non-ASCII run directory unquoted, which Hydra's lexer refuses:
    pasted back, ``hydra.run.dir=/home/josé/...`` failed with LexerNoViableAltException."""
    import shlex

    from hydra.core.override_parser.overrides_parser import OverridesParser

    from fir.config import hydra_override, shell_quote

    override = hydra_override("hydra.run.dir", value)
    (word,) = shlex.split(shell_quote(override))  # what the shell passes on
    assert word == override
    parsed = OverridesParser.create().parse_override(word)
    assert parsed.key_or_group == "hydra.run.dir" and parsed.value() == value
    if value == "/out/run 1":
        assert override == "hydra.run.dir=/out/run 1"  # quoted only where Hydra needs it
    if value == "/home/josé/run":
        assert shell_quote(override) == "\"hydra.run.dir='/home/josé/run'\""
