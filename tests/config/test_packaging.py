"""The wheel: fir-run reads conf/ from inside an installed fir, not only from a checkout."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

from fir.config import CONF_DIR, conf_dir
from fir.run import _git_state

ROOT = Path(__file__).resolve().parents[2]


def test_every_config_folder_and_subpackage_is_a_listed_package():
    """setuptools ships conf/ as the packages fir.conf.*, and only the listed packages: a new
    config group or subpackage of fir must be listed."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    assert project["package-dir"] == {"fir.conf": "conf"}
    folders = {
        ".".join(("fir", *p.relative_to(ROOT).parts)) for p in (ROOT / "conf").rglob("*")
        if p.is_dir()
    } | {"fir.conf"}  # fmt: skip
    assert folders <= set(project["packages"]), sorted(folders - set(project["packages"]))
    code = {".".join(p.parent.relative_to(ROOT).parts) for p in (ROOT / "fir").rglob("__init__.py")}
    assert code <= set(project["packages"]), sorted(code - set(project["packages"]))


# Dependencies whose floors CI's minimum-versions stage does not install (.ci/min-versions.txt
# says why), and the one pin there that is not a dependency of fir's.
UNPINNED = {"torch", "ruff", "mypy", "setuptools", "wheel", "fir"}
NOT_A_DEPENDENCY = {"pyparsing"}


def _floors() -> dict[str, Version]:
    """Each dependency's lowest declared version (its ``>=``), by canonical name."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    extras = project["optional-dependencies"]
    floors = {}
    for line in [*project["dependencies"], *extras["cluster"], *extras["dev"]]:
        requirement = Requirement(line)
        name = canonicalize_name(requirement.name)
        lows = [Version(s.version) for s in requirement.specifier if s.operator == ">="]
        if name not in UNPINNED:
            assert len(lows) == 1, f"{line!r} has no single '>=' floor for CI to test"
            floors[name] = lows[0]
    return floors


def _pins(text: str) -> dict[str, Version]:
    pins = {}
    for line in text.splitlines():
        line = line.split("#")[0].strip()
        if line:
            name, _, version = line.partition("==")
            assert version, f".ci/min-versions.txt: {line!r} is not 'name==version'"
            pins[canonicalize_name(name)] = Version(version)
    return pins


def test_ci_installs_every_declared_floor():
    """.ci/min-versions.txt pins each dependency at the floor pyproject.toml declares, so a floor
    cannot change, or a dependency be added, without CI's second stage testing it."""
    floors = _floors()
    pins = _pins((ROOT / ".ci" / "min-versions.txt").read_text())
    assert {name: pins.get(name) for name in floors} == floors
    assert set(pins) - set(floors) == NOT_A_DEPENDENCY
    # What the stage reads is what _pins reads: ``==`` pins, one per line.
    assert _pins("a==1.0  # note\n\n# c\nB_c==2\n") == {"a": Version("1"), "b-c": Version("2")}


def test_the_config_tree_is_the_checkouts_or_the_installed_packages(tmp_path):
    assert CONF_DIR == ROOT / "conf"  # the tests run from a checkout
    package = tmp_path / "site-packages" / "fir"
    (package / "conf").mkdir(parents=True)
    assert conf_dir(package) == tmp_path / "site-packages" / "conf"  # no config.yaml inside
    (package / "conf" / "config.yaml").write_text("defaults: []\n")
    assert conf_dir(package) == package / "conf"


def test_git_state_is_the_checkouts_not_an_enclosing_repository(tmp_path):
    """A wheel installed in a venv inside a user's project recorded that project's commit."""
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@t", "-c", "commit.gpgsign=false"]
    subprocess.run([*git, "init", "-q", str(tmp_path)], check=True)
    (tmp_path / "a.txt").write_text("a")
    subprocess.run([*git, "-C", str(tmp_path), "add", "a.txt"], check=True)
    subprocess.run([*git, "-C", str(tmp_path), "commit", "-qm", "c"], check=True)
    site = tmp_path / "venv" / "lib"
    site.mkdir(parents=True)
    assert _git_state(site) == {"commit": None, "dirty": None}
    state = _git_state(tmp_path)
    assert len(state["commit"]) == 40 and state["dirty"] is False


@pytest.mark.skipif(
    subprocess.run([sys.executable, "-c", "import setuptools, wheel"]).returncode != 0,
    reason="building the wheel needs setuptools>=77 and wheel (the dev extra installs them)",
)
def test_fir_run_composes_its_config_from_the_built_wheel(tmp_path):
    """The wheel used to hold fir/ alone: every fir-run said 'Primary config directory not
    found', and fir-report --budget offered only 'paper'."""
    source = tmp_path / "source"  # a build writes build/ and *.egg-info into its source tree
    for name in ("fir", "conf"):
        shutil.copytree(ROOT / name, source / name, ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("pyproject.toml", "README.md", "LICENSE", "MANIFEST.in"):
        shutil.copy2(ROOT / name, source / name)
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
         "-w", str(tmp_path), str(source)],
        check=True, capture_output=True, timeout=300,
    )  # fmt: skip
    (wheel,) = tmp_path.glob("fir-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        archive.extractall(tmp_path / "site")
    configs = {f"fir/conf/{p.relative_to(ROOT / 'conf').as_posix()}"
               for p in (ROOT / "conf").rglob("*.yaml")}  # fmt: skip
    assert configs <= names, sorted(configs - names)
    assert any(n.endswith("/licenses/LICENSE") for n in names)
    env = {**os.environ, "PYTHONPATH": str(tmp_path / "site")}
    work = tmp_path / "elsewhere"
    work.mkdir()
    composed = subprocess.run(
        [sys.executable, "-m", "fir.run", "--cfg", "job", "profile=tiny", "dataset=binary"],
        cwd=work, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert composed.returncode == 0, composed.stderr
    assert "_target_: fir.data.synthetic.load_binary" in composed.stdout
    report = subprocess.run(
        [sys.executable, "-c", "import fir.config, fir.report.cli as c; print(fir.config.CONF_DIR)"
         "; c.main(['--budget', 'quick', '--help'])"],
        cwd=work, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert report.stdout.startswith(str(tmp_path / "site" / "fir" / "conf")), report.stdout
    assert "--budget PROFILE" in report.stdout, report.stderr
