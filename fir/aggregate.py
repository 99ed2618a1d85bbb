"""Run directories -> one comparison table (CSV + Markdown).

Runs are found by their ``run.json`` or ``summary.json`` under a root (following symlinked
directories; a run reached twice counts once) and identified by what their ``run.json`` and
``summary.json`` say, never by directory names. A run that did not complete, or whose contract
files are missing or unreadable, is skipped and reported (with how to continue it when it was
killed or interrupted).
"""

from __future__ import annotations

import json
import logging
import os
import shlex
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from fir.config import hydra_override, shell_quote
from fir.reporting import (
    DISK_FULL_ERRNOS,
    FEATURES_CSV,
    FOLDS_CSV,
    RUN_JSON,
    SUMMARY_JSON,
    format_mean_std,
)

log = logging.getLogger(__name__)

TABLE_COLUMNS = [
    "dataset", "method", "s", "seed", "metric", "n_folds", "score_mean", "score_std",
    "relevant_found_folds", "informative_selected_folds", "fit_time_mean_s", "wall_time_s",
    "run_dir", "profile",
]  # fmt: skip
REQUIRED_FILES = (RUN_JSON, SUMMARY_JSON, FOLDS_CSV, FEATURES_CSV)
HYDRA_YAML = Path(".hydra") / "hydra.yaml"  # Hydra's record of the run: its config choices
OVERRIDES_YAML = Path(".hydra") / "overrides.yaml"  # the run's command-line overrides
RESUMABLE = ("running", "interrupted")  # statuses of a run that resume=true can continue
SORT_COLUMNS = ["dataset", "s", "method", "profile", "seed"]


@dataclass
class SkippedRun:
    """A run directory left out of the table, and why."""

    path: Path
    reason: str


@dataclass
class RunFiles:
    """A completed run's contract files, read and checked (``features.csv`` is not read)."""

    path: Path
    info: dict[str, Any]  # run.json
    summary: dict[str, Any]  # summary.json
    folds: pd.DataFrame  # folds.csv


SUMMARY_FIELDS = ("dataset", "method", "s", "seed", "metric", "n_folds", "test", "fit_time_s")
TEST_FIELDS = ("mean", "std", "per_fold")


def read_run(run_dir: Path) -> RunFiles:
    """Read a run directory's ``run.json``, ``summary.json`` and ``folds.csv``.

    Raises ValueError naming what is wrong: a missing or unreadable file, a status other than
    ``completed``, or a summary field that is absent.
    """
    run_dir = Path(run_dir)
    has_info = (run_dir / RUN_JSON).is_file()
    info = _read_json(run_dir / RUN_JSON) if has_info else {}
    if has_info and info.get("status") != "completed":
        error = f" (error: {info['error']})" if info.get("error") else ""
        raise ValueError(
            f"run.json status is {info.get('status')!r}, not 'completed'{error}"
            + _resume_advice(run_dir, info.get("status"), info.get("error"))
        )
    missing = [name for name in REQUIRED_FILES if not (run_dir / name).is_file()]
    if missing:
        raise ValueError(f"missing {', '.join(missing)}")
    summary = _read_json(run_dir / SUMMARY_JSON)
    folds = read_contract_csv(run_dir / FOLDS_CSV)
    absent = [key for key in SUMMARY_FIELDS if key not in summary]
    absent += [f"test.{key}" for key in TEST_FIELDS if key not in (summary.get("test") or {})]
    if absent:
        raise ValueError(f"{SUMMARY_JSON} lacks field(s) {', '.join(absent)}")
    return RunFiles(run_dir, info, summary, folds)


def _resume_advice(run_dir: Path, status: Any, error: Any = None) -> str:
    """How to continue a run that ``status`` says was killed or stopped, or that ``error``
    (run.json's) says a full disk stopped ("" otherwise)."""
    if status in RESUMABLE:
        state = "still running, or killed" if status == "running" else "stopped"
    elif status == "failed" and any(f"[Errno {n}]" in str(error) for n in DISK_FULL_ERRNOS):
        state = "stopped by a full disk (free space first)"
    else:
        return ""
    command = " ".join(
        ["fir-run", *_overrides(run_dir), "resume=true",
         shell_quote(hydra_override("hydra.run.dir", str(Path(run_dir).absolute())))]
    )  # fmt: skip
    return f"; {state}: continue where it stopped with `{command}`"


def _overrides(run_dir: Path) -> list[str]:
    """The run's command-line overrides from ``.hydra/overrides.yaml`` (without ``resume``
    and ``hydra.*``); ``<same overrides>`` when that file is missing or unreadable."""
    try:
        overrides = yaml.safe_load((run_dir / OVERRIDES_YAML).read_text())
    except (OSError, yaml.YAMLError):
        return ["<same overrides>"]
    if not isinstance(overrides, list):
        return ["<same overrides>"]
    keep = [str(o) for o in overrides]
    skip = ("resume=", "hydra.", "+hydra.", "~hydra.")
    return [shlex.quote(o) for o in keep if not o.startswith(skip)]


def read_contract_csv(path: Path) -> pd.DataFrame:
    """A contract CSV; ValueError when it does not parse, or when its last row is cut short
    (fir-run writes whole files, each row ending in a line break: a partial copy)."""
    with path.open("rb") as handle:
        size = handle.seek(0, os.SEEK_END)
        handle.seek(max(size - 1, 0))
        if size and handle.read(1) != b"\n":
            raise ValueError(
                f"{path.name} is cut short: its last row ends without a line break (a partial "
                "copy?); copy the run again, or re-run it"
            )
    try:
        return pd.read_csv(path)
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise ValueError(f"unreadable contract file {path.name}: {exc}") from exc


def _read_json(path: Path) -> dict[str, Any]:
    """A JSON object from ``path``; ValueError when it does not parse or is not an object."""
    try:
        payload = json.loads(path.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ValueError(f"unreadable contract file {path.name}: {exc}") from exc
    if not isinstance(payload, dict):
        raise ValueError(f"unreadable contract file {path.name}: not a JSON object")
    return payload


def method_label(summary: dict[str, Any], info: dict[str, Any]) -> str:
    """The method's name; ``dualnet+svm`` when an ``estimator=`` model scored the folds (such
    runs are not the method's own predictions: tables keep them apart)."""
    name = str(summary["method"])
    estimator = (info.get("config") or {}).get("estimator")
    if not isinstance(estimator, dict) or not estimator.get("_target_"):
        return name
    choices = info.get("choices") or {}
    label = choices.get("estimator") if isinstance(choices, dict) else None
    if label is None:
        label = str(estimator["_target_"]).rsplit(".", 1)[-1].removeprefix("make_")
    return f"{name}+{label}"


def read_profile(run_dir: Path, info: dict[str, Any], notes: list[str]) -> str | None:
    """The run's ``profile`` config choice: ``run.json``'s ``choices`` (fir-run records them),
    else ``.hydra/hydra.yaml`` (older runs), else None; a reason goes to ``notes`` when that
    file is unreadable."""
    choices = info.get("choices")
    if isinstance(choices, dict) and choices.get("profile") is not None:
        return str(choices["profile"])
    path = run_dir / HYDRA_YAML
    if not path.is_file():
        return None
    try:
        hydra = yaml.safe_load(path.read_text()) or {}
        choice = hydra["hydra"]["runtime"]["choices"].get("profile")
    except (OSError, yaml.YAMLError, KeyError, TypeError, AttributeError) as exc:
        notes.append(f"{HYDRA_YAML} unreadable ({exc}): profile unknown")
        return None
    return None if choice is None else str(choice)


def _number(value: Any) -> float:
    """A contract number; ``null`` (a diverged or missing score) is NaN."""
    return float("nan") if value is None else float(value)


def table_row(run: RunFiles) -> dict[str, Any]:
    """One row of the comparison table (columns ``TABLE_COLUMNS``) from a run's files."""
    summary, info, folds = run.summary, run.info, run.folds
    try:
        found = None
        if summary.get("informative"):
            found = int((folds["tpr"] >= 1.0).sum())
        return {
            "dataset": summary["dataset"],
            "method": method_label(summary, info),
            "s": int(summary["s"]),
            "seed": int(summary["seed"]),
            "metric": summary["metric"],
            "n_folds": int(summary["n_folds"]),
            "score_mean": _number(summary["test"]["mean"]),
            "score_std": _number(summary["test"]["std"]),
            "relevant_found_folds": found,
            "informative_selected_folds": summary.get("informative_selected_folds"),
            "fit_time_mean_s": float(summary["fit_time_s"]["mean"]),
            "wall_time_s": float(info.get("wall_time_s", summary["wall_time_s"])),
            "run_dir": str(run.path),
            "profile": read_profile(run.path, info, []),
        }
    except (KeyError, TypeError, ValueError) as exc:
        raise ValueError(f"summary.json lacks field {exc}") from exc


def load_run(run_dir: Path) -> dict[str, Any]:
    """One table row from a completed run directory; ValueError says what is wrong."""
    return table_row(read_run(run_dir))


def find_run_dirs(root: Path) -> list[Path]:
    """Every directory under ``root`` (``root`` included) holding a ``run.json`` or a
    ``summary.json``, sorted; the files, not the directory names, identify a run. Symlinked
    directories are followed; a directory reached twice (two links, or a link loop) is
    visited once, at the first path reached in sorted order. A directory that cannot be
    listed is returned too, so that reading it skips it with the reason instead of dropping it
    without a word."""
    found, seen = [], set()

    def unlisted(exc: OSError) -> None:
        found.append(Path(exc.filename))

    for path, dirs, files in os.walk(root, onerror=unlisted, followlinks=True):
        real = os.path.realpath(path)
        if real in seen:
            dirs.clear()
            continue
        seen.add(real)
        dirs.sort()
        if RUN_JSON in files or SUMMARY_JSON in files:
            found.append(Path(path))
    return sorted(found)


def collect_runs(root: Path) -> tuple[pd.DataFrame, list[SkippedRun]]:
    """Every completed run under ``root`` as a table (columns ``TABLE_COLUMNS``), and the
    runs skipped with their reasons."""
    root = Path(root)
    if not root.is_dir():
        raise FileNotFoundError(
            f"results root {root} does not exist or is not a directory; pass a fir-run output "
            "directory (e.g. outputs/multirun/<date>)."
        )
    rows, skipped = [], []
    for run_dir in find_run_dirs(root):
        try:
            rows.append(load_run(run_dir))
        except (ValueError, OSError) as exc:  # OSError: a file or folder it may not read
            skipped.append(SkippedRun(run_dir, str(exc)))
            log.warning("skipping %s: %s", run_dir, exc)
    table = pd.DataFrame(rows, columns=TABLE_COLUMNS)
    table = table.sort_values(SORT_COLUMNS, kind="stable")
    return table.reset_index(drop=True), skipped


def comparison_markdown(table: pd.DataFrame) -> str:
    """A Markdown table: one row per run, metric mean ± std, relevant features found in how
    many folds, mean fit time and wall time."""
    header = ["dataset", "method", "profile", "s", "seed", "metric", "mean ± std",
              "all relevant selected (folds)", "fit time / fold (s)", "wall time (s)"]  # fmt: skip
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for row in table.itertuples(index=False):
        found = (
            "n/a"
            if pd.isna(row.relevant_found_folds)
            else f"{int(row.relevant_found_folds)}/{row.n_folds}"
        )
        score = "n/a" if pd.isna(row.score_mean) else format_mean_std(row.score_mean, row.score_std)
        cells = [
            row.dataset, row.method, "" if pd.isna(row.profile) else str(row.profile),
            str(row.s), str(row.seed),
            row.metric, score, found,
            f"{row.fit_time_mean_s:.2f}", f"{row.wall_time_s:.1f}",
        ]  # fmt: skip
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def write_tables(table: pd.DataFrame, out_dir: Path, stem: str = "comparison") -> list[Path]:
    """Write ``<stem>.csv`` and ``<stem>.md`` into ``out_dir``; return their paths."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    csv_path, md_path = out_dir / f"{stem}.csv", out_dir / f"{stem}.md"
    flat = table.assign(
        informative_selected_folds=table["informative_selected_folds"].map(
            lambda v: json.dumps(v) if isinstance(v, dict) else ""
        )
    )
    flat.to_csv(csv_path, index=False)
    md_path.write_text(comparison_markdown(table))
    return [csv_path, md_path]
