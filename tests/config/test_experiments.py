"""Experiment presets: every sweep point composes, the grids are the paper's, budgets by profile."""

from __future__ import annotations

import itertools
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from hydra import compose, initialize_config_dir
from hydra.core.override_parser.overrides_parser import OverridesParser
from hydra.utils import instantiate
from omegaconf import DictConfig, OmegaConf, open_dict
from sklearn.base import BaseEstimator

import fir.run  # noqa: F401  (registers the run schema)
from fir.config import validate_run_config

REPO = Path(__file__).resolve().parents[2]
CONF = REPO / "conf"
SCRIPT = REPO / "scripts" / "reproduce_paper.sh"
PRESETS = sorted(p.stem for p in (CONF / "experiment").glob("*.yaml"))
METHODS = sorted(p.stem for p in (CONF / "method").glob("*.yaml"))

FIG2_METHODS = ("dualnet", "dfs", "avgrad", "forward", "lasso", "random_forest", "rfe", "bahsic")
FIG2 = {(d, m, 5) for d in ("xor", "regression", "binary") for m in (*FIG2_METHODS, "ccm")}
FIG4_GRID = {
    "glass": range(1, 10),
    "vowel": range(1, 10),
    "tox171": range(10, 101, 10),
    "yale": range(10, 91, 10),
}
FIG4_METHODS = ("dualnet", "rfe", "bahsic", "mrmr", "ccm")
SIZES = (15, 25, 35, 45, 55)
EP = "enhancer_promoter_dfs"
# Each preset's sweep as (dataset, method, s) triples: the paper's figures (SPEC sections 3-5).
EXPECTED = {
    "fig2_synthetic": FIG2,
    "fig2_synthetic_mrmr": {("xor", "mrmr", 5), ("binary", "mrmr", 5)},
    "fig3_mnist": {("mnist38", m, 85) for m in ("dualnet", "dfs", "avgrad", "random_forest")},
    "fig4_benchmarks": {
        (d, m, s) for d, grid in FIG4_GRID.items() for s in grid for m in FIG4_METHODS
    },
    "fig5_enhancer": {(EP, m, 35) for m in ("dualnet", "dfs", "random_forest", "rfe")},
    "fig5_enhancer_sizes": {
        (EP, m, s) for s in SIZES for m in ("dualnet", "rfe", "lime", "san_aggr", "san_global")
    },
    "table5_rnaseq": {("rnaseq", "dualnet", 49)},
    "learning_curves": {
        ("regression", "dualnet", 5),
        ("mnist38", "dualnet", 85),
        ("yale", "dualnet", 10),
        ("yale", "dualnet", 30),
        (EP, "dualnet", 35),
    },
}
# The directory (under outputs/experiments) of presets that complete another one's figure.
SHARED_DIR = {"fig2_synthetic_mrmr": "fig2_synthetic", "fig5_enhancer_sizes": "fig5_enhancer"}


def compose_hydra(overrides: list[str]) -> DictConfig:
    with initialize_config_dir(config_dir=str(CONF), version_base="1.3"):
        return compose(config_name="config", overrides=overrides, return_hydra_config=True)


def sweep_points(preset: str, profile: str, extra: tuple[str, ...] = ()) -> list[list[str]]:
    """The job overrides the basic sweeper makes of a preset's ``hydra.sweeper.params`` (plus
    ``extra`` sweeps given on the command line, which replace a parameter of the same key).
    Call inside ``initialize_config_dir``."""
    base = [f"+experiment={preset}", f"profile={profile}"]
    params = compose(config_name="config", overrides=base, return_hydra_config=True)
    params = params.hydra.sweeper.params or {}
    parsed = OverridesParser.create().parse_overrides(
        [f"{k}={v}" for k, v in params.items()] + list(extra)
    )
    by_key = {o.get_key_element(): o for o in parsed}  # later (command line) wins, as Hydra's
    values = [
        [f"{key}={v}" for v in (o.sweep_iterator() if o.is_sweep_override() else [o.value()])]
        for key, o in by_key.items()
    ]
    return [base + list(combo) for combo in itertools.product(*values)]


def compose_points(
    preset: str, profile: str, extra: tuple[str, ...] = (), one_s: bool = False
) -> list[tuple[tuple[str, str, int], DictConfig]]:
    """Each sweep point as ((dataset choice, method, s), the job's config without ``hydra``).
    ``one_s``: only the first s of each (data, method), for what depends on data and method
    only (the quick budgets)."""
    points = []
    with initialize_config_dir(config_dir=str(CONF), version_base="1.3"):
        seen = set()
        for overrides in sweep_points(preset, profile, extra):
            if one_s:
                data_method = tuple(o for o in overrides if not o.startswith("s="))
                data_method = tuple(re.sub(r"_s\d+$", "", o) for o in data_method)
                if data_method in seen:
                    continue
                seen.add(data_method)
            cfg = compose(config_name="config", overrides=overrides, return_hydra_config=True)
            key = (cfg.hydra.runtime.choices.dataset, cfg.method.name, int(cfg.s))
            with open_dict(cfg):
                del cfg["hydra"]
            points.append((key, cfg))
    return points


def test_every_paper_result_has_a_preset():
    assert set(PRESETS) == set(EXPECTED)


def check_point(cfg: DictConfig, n_splits: int) -> None:
    validate_run_config(cfg)
    assert cfg.resume is True
    assert cfg.n_splits == n_splits
    assert isinstance(instantiate(cfg.method.selector, _convert_="all"), BaseEstimator)
    assert cfg.method.selector.n_features_to_select == cfg.s


@pytest.mark.parametrize("preset", PRESETS)
def test_every_sweep_point_composes_to_the_papers_grid(preset):
    points = compose_points(preset, "default")
    triples = [key for key, _ in points]
    assert len(triples) == len(set(triples)), "a sweep point is repeated"
    assert set(triples) == EXPECTED[preset]
    for _, cfg in points:
        check_point(cfg, n_splits=5)


@pytest.mark.parametrize("preset", PRESETS)
def test_every_data_and_method_of_a_sweep_composes_at_profile_quick(preset):
    """The quick budgets depend on the data and the method, not on s: one s of each."""
    points = compose_points(preset, "quick", one_s=True)
    expected = {(d, m) for d, m, _ in EXPECTED[preset]}
    assert {(d, m) for (d, m, _), _ in points} == expected
    for _, cfg in points:
        check_point(cfg, n_splits=3)


@pytest.mark.parametrize("preset", PRESETS)
def test_sweep_dirs_are_stable_and_shared_per_figure(preset):
    cfg = compose_hydra([f"+experiment={preset}", "profile=quick"])
    name = SHARED_DIR.get(preset, preset)
    assert cfg.hydra.sweep.dir == f"outputs/experiments/{name}/quick"
    # no timestamp and no job number: a re-run lands in the same run directories (resume)
    subdir = OmegaConf.to_container(cfg.hydra.sweep)["subdir"]  # unresolved
    assert "${hydra:runtime.choices.dataset}/${hydra:runtime.choices.method}/s${s}" in subdir
    assert "now:" not in subdir and "job.num" not in subdir


def dualnet_selector(preset: str, profile: str, point: str) -> DictConfig:
    overrides = [f"+experiment={preset}", f"profile={profile}", "method=dualnet", point]
    with initialize_config_dir(config_dir=str(CONF), version_base="1.3"):
        return compose(config_name="config", overrides=overrides).method.selector


@pytest.mark.parametrize(
    ("preset", "point", "paper", "quick"),
    [
        ("fig2_synthetic", "dataset=xor", (6000, 15000, 32), (6000, 15000, 32)),
        ("fig3_mnist", "s=85", (10000, 25000, 32), (2000, 4000, 16)),
        ("fig4_benchmarks", "+experiment/point=glass_s3", (10000, 15000, 128), (3000, 6000, 32)),
        ("fig4_benchmarks", "+experiment/point=vowel_s3", (6000, 15000, 128), (3000, 6000, 32)),
        ("fig4_benchmarks", "+experiment/point=tox171_s30", (1500, 15000, 128), (500, 1200, 32)),
        ("fig4_benchmarks", "+experiment/point=yale_s30", (4500, 15000, 128), (1500, 3000, 32)),
        ("fig5_enhancer", "s=35", (10000, 15000, 64), (1000, 2500, 16)),
    ],
)
def test_dual_net_budgets_follow_the_profile(preset, point, paper, quick):
    """(E1, batch budget, mask batch): the paper's at profile=default, reduced at quick."""
    for profile, expected in (("default", paper), ("quick", quick)):
        sel = dualnet_selector(preset, profile, point)
        assert (sel.phase2_start, sel.max_batches, sel.mask_batch_size) == expected, profile


def test_quick_yale_replaces_the_cnn_operator_by_an_mlp():
    yale = "+experiment/point=yale_s30"
    assert dualnet_selector("fig4_benchmarks", "default", yale).operator == "cnn"
    assert dualnet_selector("fig4_benchmarks", "quick", yale).operator == "mlp"


def test_learning_curves_record_every_masks_validation_loss():
    for _, cfg in compose_points("learning_curves", "default"):
        assert cfg.method.selector.val_masks == "all"


def test_quick_profile_runs_two_points_at_a_time_on_one_thread_each():
    cfg = compose_hydra(["profile=quick"])
    assert cfg.hydra.launcher.n_jobs == 2 and cfg.torch_threads == 1
    assert "joblib" in cfg.hydra.launcher._target_


@pytest.mark.parametrize("method", METHODS)
def test_quick_profile_has_a_budget_file_for_every_method(method):
    assert (CONF / "profile_method" / f"quick_{method}.yaml").is_file()
    cfg = compose_hydra([f"method={method}", "profile=quick"])
    instantiate(cfg.method.selector, _convert_="all")


def script_table() -> dict[str, str]:
    """The script's (preset -> directory under OUT/experiments) table."""
    block = re.search(r"^presets=\((.*?)^\)", SCRIPT.read_text(), re.S | re.M)
    assert block is not None
    return dict(re.findall(r'"(\w+) (\w+)"', block.group(1)))


def test_reproduce_script_runs_every_preset_into_its_sweep_dir():
    subprocess.run(["bash", "-n", str(SCRIPT)], check=True)
    table = script_table()
    assert set(table) == set(PRESETS)
    for preset, directory in table.items():
        assert directory == SHARED_DIR.get(preset, preset)


def quick_runs(preset: str) -> list[tuple[str, ...]]:
    """The script's quick narrowing of a preset: one tuple of overrides per fir-run -m."""
    body = re.search(r"^quick_runs\(\) \{.*?^\}", SCRIPT.read_text(), re.S | re.M)
    assert body is not None
    out = subprocess.run(
        ["bash", "-c", f"{body.group(0)}\nquick_runs {preset}"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return [tuple(line.split()) for line in out.splitlines()]


@pytest.mark.parametrize("preset", PRESETS)
def test_quick_narrowing_keeps_to_the_papers_grid(preset):
    """The script's quick runs are distinct points of the preset's own sweep (whose every point
    composes: the test above)."""
    runs = quick_runs(preset)
    if runs == [()]:
        return
    with initialize_config_dir(config_dir=str(CONF), version_base="1.3"):
        full = {frozenset(p) for p in sweep_points(preset, "quick")}
        narrowed = [frozenset(p) for run in runs for p in sweep_points(preset, "quick", run)]
    assert len(narrowed) == len(set(narrowed))
    assert set(narrowed) < full
    if preset == "fig4_benchmarks":
        points = {o.split("=")[1] for p in narrowed for o in p if o.startswith("+experiment/")}
        assert {f"{d}_s{s}" for d in ("glass", "vowel") for s in range(1, 10)} <= points
        large = {
            o.split("=")[1] for p in narrowed for o in p if o.split("=")[1][:4] in ("tox1", "yale")
        }
        assert large == {f"{d}_s{s}" for d in ("tox171", "yale") for s in (10, 30, 50)}
        methods = {o for p in narrowed for o in p if o.startswith("method=")}
        assert "method=mrmr" in methods  # fast since its vectorised ordering: every method runs
    if preset == "fig5_enhancer_sizes":
        assert {o for p in narrowed for o in p if o.startswith("s=")} == {"s=15", "s=35", "s=55"}


@pytest.mark.slow
def test_reproduce_script_dry_run(shared_data_dir, tmp_path):
    """The script end to end with fir-run and fir-report replaced by echo: it checks the data,
    skips what is missing, narrows the quick grids, and reports."""
    env = {
        **os.environ,
        "FIR_DATA_DIR": str(shared_data_dir),
        "FIR_RUN": "echo",
        "FIR_REPORT": "echo",
        "PYTHON": sys.executable,
    }
    out = subprocess.run(
        ["bash", str(SCRIPT), "quick", str(tmp_path)],
        env=env,
        check=True,
        capture_output=True,
        text=True,
        timeout=600,
    ).stdout
    runs = [line for line in out.splitlines() if line.startswith("-m +experiment=")]
    assert {re.search(r"\+experiment=(\w+)", r).group(1) for r in runs} <= set(PRESETS)
    assert sum("+experiment=fig4_benchmarks" in r for r in runs) == 2
    assert all(f"hydra.sweep.dir={tmp_path}/experiments/" in r for r in runs)
    rnaseq = shared_data_dir / "rna-seq" / "TCGA-PANCAN-HiSeq-801x20531.tar.gz"
    if not rnaseq.is_file():
        assert re.search(r"table5_rnaseq: SKIPPED.*missing", out)
    assert out.rstrip().endswith(f"{tmp_path}/experiments --budget quick")


@pytest.mark.parametrize(
    "args, out, extra",
    [
        ([], "outputs", ""),
        (["paper"], "outputs", ""),
        (["paper", "/runs"], "/runs", ""),
        (["paper", "/runs", "device=cuda"], "/runs", "device=cuda"),
        (["paper", "device=cuda", "hydra.launcher.n_jobs=4"], "outputs",
         "device=cuda hydra.launcher.n_jobs=4"),
    ],
)  # fmt: skip
def test_the_script_s_output_root_may_be_left_out_before_overrides(args, out, extra):
    """``reproduce_paper.sh paper device=cuda`` used to write into a folder named device=cuda."""
    block = re.search(r"^budget=.*?^extra=\(\"\$@\"\)$", SCRIPT.read_text(), re.S | re.M)
    assert block is not None
    got = subprocess.run(
        ["bash", "-c", f'{block.group(0)}\necho "$out|${{extra[*]}}"', "script", *args],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    assert got == f"{out}|{extra}"
