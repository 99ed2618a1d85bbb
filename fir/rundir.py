"""What a run directory holds, and how a new ``fir-run`` invocation treats it: a fresh start,
a resume of the same config (``resume=true``), or an earlier run replaced once the new run's
checks pass. ``fir.run`` decides when; this module reads and clears the directory."""

from __future__ import annotations

import json
import logging
import os
import shutil
import socket
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

try:
    import fcntl
except ImportError:  # Windows: no advisory locks; runs there are not guarded
    fcntl = None  # type: ignore[assignment]

from hydra.core.hydra_config import HydraConfig
from hydra.experimental.callback import Callback
from hydra.types import RunMode
from hydra.utils import instantiate
from omegaconf import DictConfig, OmegaConf

import fir
from fir.config import with_target_defaults
from fir.data.base import Dataset
from fir.foldstore import FOLDS_DIR, clear_folds, data_hashes
from fir.reporting import (
    FEATURES_CSV,
    FIGURES_DIR,
    FOLDS_CSV,
    IMAGE_MEANS_NPZ,
    RUN_JSON,
    SPLITS_NPZ,
    SUMMARY_JSON,
    remove_temp_files,
)

log = logging.getLogger("fir.run")  # the run's log lines, wherever they are decided

# Keys that do not change a run's results: a run may resume under different values.
RESUME_IGNORED_KEYS = ("resume", "n_jobs", "torch_threads", "verbose", "paths")
# folds/hydra: a copy of the .hydra files of the invocation that started the run
HYDRA_COPY = "hydra"
# held (flock) by the fir-run writing the directory; it names that process
LOCK_FILE = ".fir-run.lock"


@contextmanager
def run_dir_lock(out_dir: Path, hydra_dir: Path | None = None) -> Iterator[None]:
    """Hold ``out_dir`` while this process runs there. A second ``fir-run`` into it (a job
    submitted twice, a requeue while the first still runs, two resumes) is refused before it
    reads or clears anything, instead of deleting the first run's folds or mixing its own with
    them. The kernel releases the lock however the holder ends (a SIGKILL included), so a lock
    is never stale. Where the file system cannot lock (some network mounts), runs go on
    unguarded, with a warning."""
    if fcntl is None:
        yield
        return
    with open(out_dir / LOCK_FILE, "a+") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "its process id is not recorded yet"
            restore_hydra_files(out_dir / FOLDS_DIR, hydra_dir)
            raise ValueError(
                f"{out_dir} is in use by another fir-run ({holder}). Wait for it to end (then "
                f"resume=true continues or reuses its run), or start this one in another "
                f"hydra.run.dir."
            ) from None
        except OSError as exc:
            log.warning("cannot lock %s (%s): a second fir-run there would not be refused",
                        out_dir, exc.strerror)  # fmt: skip
            yield
            return
        handle.seek(0)
        handle.truncate()
        started = datetime.now(UTC).isoformat(timespec="seconds")
        handle.write(f"pid {os.getpid()} on {socket.gethostname()}, since {started}\n")
        handle.flush()
        yield  # closing the file releases the lock


def remove_leftover_temp_files(out_dir: Path) -> None:
    """Remove the temporary files that a kill during a write left in ``out_dir`` (its own, its
    folds' and its figures'); call it while holding the directory (:func:`run_dir_lock`)."""
    removed = [
        path
        for directory in (out_dir, out_dir / FOLDS_DIR, out_dir / FIGURES_DIR)
        for path in remove_temp_files(directory)
    ]
    if removed:
        log.info("removed %d temporary file(s) an interrupted write left in %s: %s",
                 len(removed), out_dir, ", ".join(p.name for p in removed))  # fmt: skip


def open_run_dir(
    cfg: DictConfig, out_dir: Path, hydra_dir: Path | None
) -> tuple[dict[str, Any] | None, Dataset | None, bool]:
    """What ``out_dir`` holds decides how a run starts: (the summary of a completed run of this
    config, when ``resume=true`` finds one: nothing to do; the data, when a resume had to read
    it to compare its files with the recorded ones; whether a fresh run would replace an
    earlier run there). A refused resume raises and leaves the directory as it was; the earlier
    run a fresh run replaces is cleared only once the fresh run's checks pass
    (:func:`replace_earlier_run`), so a refused config leaves it as it was too."""
    folds_dir = out_dir / FOLDS_DIR
    previous = _previous_run(out_dir) if cfg.resume else None
    if _ended_empty(previous, folds_dir):
        # a run that failed or stopped before its first fold ended: nothing to resume, so a
        # fixed config may start afresh there
        log.info("%s holds a run (status %s) with no completed fold: starting afresh", out_dir,
                 previous.get("status"))  # fmt: skip
        previous = None
        clear_folds(folds_dir)
        clear_results(out_dir)
    preloaded: Dataset | None = None  # the data, when a resume had to read it to compare
    if previous is not None:
        try:
            _check_same_config(previous, cfg, out_dir)
            recorded = data_hashes((previous.get("data") or {}).get("provenance"))
            if recorded:
                # The config names a data file, not its content: compare before the run's
                # record is touched, so that a refused resume leaves the run as it was.
                preloaded = instantiate(cfg.dataset, _convert_="all")
                _check_same_data(recorded, preloaded, out_dir)
        except Exception:
            restore_hydra_files(folds_dir, hydra_dir)
            raise
        if previous.get("status") == "completed" and (out_dir / SUMMARY_JSON).is_file():
            restore_hydra_files(folds_dir, hydra_dir)
            log.info("%s already holds this run, completed; nothing to do", out_dir)
            return json.loads((out_dir / SUMMARY_JSON).read_text()), None, False
    elif not cfg.resume:
        if (out_dir / RUN_JSON).is_file() and not _ended_empty(_previous_run(out_dir), folds_dir):
            # a run to keep until this one's checks pass: completed, with finished folds, still
            # running (maybe live: no way to tell), or a run.json fir did not write
            return None, None, True
        # nothing to keep (no run, or one that failed or was interrupted before its first fold
        # ended): a refused config here records its own failure in run.json, not an older one's
        clear_folds(folds_dir)
        clear_results(out_dir)
    if previous is None and hydra_dir is not None and hydra_dir.is_dir():
        _copy_yaml_files(hydra_dir, folds_dir / HYDRA_COPY)
    return None, preloaded, False


def replace_earlier_run(out_dir: Path, hydra_dir: Path | None) -> None:
    """Clear the earlier run's results in ``out_dir`` for a fresh run whose checks passed, so
    that a fresh run that fails later cannot leave an old ``summary.json`` looking like its
    result; keep this invocation's ``.hydra`` files."""
    log.warning(
        "%s holds an earlier run: its results are replaced (resume=true continues a run of the "
        "same config instead)",
        out_dir,
    )
    folds_dir = out_dir / FOLDS_DIR
    clear_folds(folds_dir)
    clear_results(out_dir)
    if hydra_dir is not None and hydra_dir.is_dir():
        _copy_yaml_files(hydra_dir, folds_dir / HYDRA_COPY)


def _copy_yaml_files(src: Path, dst: Path) -> None:
    dst.mkdir(parents=True, exist_ok=True)
    for path in src.glob("*.yaml"):
        shutil.copy2(path, dst / path.name)


def restore_hydra_files(folds_dir: Path, hydra_dir: Path | None) -> None:
    """Put the run's own ``.hydra`` files back over those Hydra just wrote for an invocation
    that did not run (runs made before the copy was kept have none to put back)."""
    kept = folds_dir / HYDRA_COPY
    if hydra_dir is not None and hydra_dir.parent == folds_dir.parent and kept.is_dir():
        _copy_yaml_files(kept, hydra_dir)


def clear_results(out_dir: Path) -> None:
    """Remove an earlier run's results from ``out_dir`` (a fresh, non-resumed run there), so
    that a new run that fails cannot leave an old ``summary.json`` looking like its result."""
    for name in (SUMMARY_JSON, FOLDS_CSV, FEATURES_CSV, IMAGE_MEANS_NPZ, SPLITS_NPZ):
        (out_dir / name).unlink(missing_ok=True)
    shutil.rmtree(out_dir / FIGURES_DIR, ignore_errors=True)


def _ended_empty(previous: dict[str, Any] | None, folds_dir: Path) -> bool:
    """Whether ``previous`` (a run.json) records a run that fir saw fail or stop before its
    first fold ended: nothing to resume or keep. Not a ``running`` one (maybe live: no way to
    tell) nor a run.json fir did not write."""
    return (
        previous is not None
        and previous.get("status") in ("failed", "interrupted")
        and not any(folds_dir.glob("fold_*.json"))
    )


def _previous_run(out_dir: Path) -> dict[str, Any] | None:
    """``out_dir``'s ``run.json`` from an earlier invocation ({} when fir did not write it), or
    None when there is none."""
    try:
        raw = (out_dir / RUN_JSON).read_bytes()
    except OSError:
        return None
    try:
        record = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError):
        return {}  # fir writes run.json atomically: an unreadable one is not fir's
    return record if isinstance(record, dict) else {}  # {}: a run.json fir did not write


def _comparable_config(config: dict[str, Any]) -> dict[str, Any]:
    config = with_target_defaults(config)
    config = {k: v for k, v in config.items() if k not in RESUME_IGNORED_KEYS}
    if isinstance(config.get("dataset"), dict):
        # where the files are read from (paths.data_dir, resolved into it), not what is read:
        # the split hashes and the data's provenance cover the content
        config["dataset"] = {k: v for k, v in config["dataset"].items() if k != "data_dir"}
    method = dict(config.get("method") or {})
    if isinstance(method.get("selector"), dict):
        method["selector"] = {k: v for k, v in method["selector"].items() if k != "verbose"}
    return {**config, "method": method}


def config_differences(a: dict[str, Any], b: dict[str, Any], prefix: str = "") -> list[str]:
    """Dotted keys whose values differ between two resolved configs."""
    keys = sorted(set(a) | set(b))
    diffs = []
    for key in keys:
        va, vb = a.get(key), b.get(key)
        if isinstance(va, dict) and isinstance(vb, dict):
            diffs += config_differences(va, vb, f"{prefix}{key}.")
        elif va != vb:
            diffs.append(f"{prefix}{key}")
    return diffs


def _new_run_advice() -> str:
    """How to start a new run instead of resuming (the directory key of this invocation)."""
    multirun = HydraConfig.initialized() and HydraConfig.get().mode == RunMode.MULTIRUN
    key = "hydra.sweep.dir" if multirun else "hydra.run.dir"
    return f"start a new run in another {key} (resume=false in this one would replace its results)"


def _check_same_config(previous: dict[str, Any], cfg: DictConfig, out_dir: Path) -> None:
    now = _comparable_config(OmegaConf.to_container(cfg, resolve=True))  # type: ignore[arg-type]
    before = _comparable_config(previous.get("config") or {})
    diffs = config_differences(before, now)
    made_by = (previous.get("versions") or {}).get("fir")
    if made_by is None:
        raise ValueError(
            f"resume=true but {out_dir}/{RUN_JSON} was not written by fir (it records no fir "
            f"version): there is no fir run to resume. Move that file away, or "
            f"{_new_run_advice()}."
        )
    if made_by != fir.__version__:
        raise ValueError(
            f"resume=true but {out_dir} holds a run made by fir {made_by}, and this is fir "
            f"{fir.__version__}, whose results may differ (README, Changes). Re-run it with "
            f"resume=false, or {_new_run_advice()}."
        )
    if diffs:
        raise ValueError(
            f"resume=true but {out_dir} holds a run with a different config ({', '.join(diffs)}"
            f" differ). Resume with the same settings, or {_new_run_advice()}."
        )


def _check_same_data(before: list[str], dataset: Dataset, out_dir: Path) -> None:
    """A resumed run must read the same data (``before``: the sha256 its run.json records):
    the config names a file, not its content."""
    now = data_hashes(dataset.provenance)
    if before != now:
        raise ValueError(
            f"resume=true but {out_dir} holds a run made on different data: its files had "
            f"sha256 {', '.join(h[:12] for h in before)}, the files read now "
            f"{', '.join(h[:12] for h in now) or 'none'} (see run.json's data.provenance). "
            f"Resume with the original files, or {_new_run_advice()}."
        )


def find_resumable(out_dir: Path, cfg: DictConfig) -> Path:
    """Where a ``resume=true`` run continues: ``out_dir`` when it already holds a run, else
    the newest sibling directory (Hydra's default run dirs differ only by time) holding a run
    of the same config, else ``out_dir``."""
    if (out_dir / RUN_JSON).is_file() or not out_dir.parent.is_dir():
        return out_dir
    now = _comparable_config(OmegaConf.to_container(cfg, resolve=True))  # type: ignore[arg-type]
    candidates = []
    for sibling in out_dir.parent.iterdir():
        previous = _previous_run(sibling) if sibling != out_dir else None
        if previous and not config_differences(
            _comparable_config(previous.get("config") or {}), now
        ):
            candidates.append((str(previous.get("started_at", "")), sibling.name, sibling))
    return max(candidates)[2] if candidates else out_dir


class OutputDirCheck(Callback):
    """Hydra callback (``hydra.callbacks.output_dir`` in ``conf/config.yaml``): checks the run's
    directory (the sweep's, for a multirun) before Hydra creates it, so that a path through a
    file, a folder one may not write or a read-only mount, or a name the file system cannot
    hold, is one line naming the key and the fix, not a traceback (or, for a path near the
    length limit, a failure after the first fold). It exits (status 1): Hydra turns a
    callback's exceptions into warnings and goes on."""

    def on_run_start(self, config: DictConfig, **kwargs: Any) -> None:
        self._check(config.hydra.run.dir, "hydra.run.dir")

    def on_multirun_start(self, config: DictConfig, **kwargs: Any) -> None:
        self._check(config.hydra.sweep.dir, "hydra.sweep.dir")

    @staticmethod
    def _check(path: Any, key: str) -> None:
        try:
            check_output_dir(Path(str(path)), key)
        except ValueError as exc:
            sys.exit(f"fir-run: error: {exc}")


# room left under a run directory for fir's own names (folds/.fold_00_history.npz.<tmp>.tmp)
PATH_ROOM = 64


def check_output_dir(path: Path, key: str) -> None:
    """Raise ValueError, naming ``key`` and the fix, when ``path`` cannot be a directory fir
    writes in; create nothing."""
    path = Path(os.path.abspath(path))
    fix = f"choose another {key}"
    existing, parts = path, []
    while True:  # the nearest part of the path that exists
        try:
            is_dir = existing.is_dir()
            if is_dir or existing.exists():
                break
        except OSError:  # a name too long, or a folder one may not search
            pass
        parts.append(existing.name)
        existing = existing.parent
    if not is_dir:
        raise ValueError(
            f"{key}={path} cannot be created: {existing} is a file, not a folder; {fix}."
        )
    if not os.access(existing, os.W_OK | os.X_OK):
        read_only = hasattr(os, "statvfs") and bool(os.statvfs(existing).f_flag & os.ST_RDONLY)
        why = "is on a read-only file system" if read_only else "is not writable by this user"
        raise ValueError(f"{key}={path}: {existing} {why}; {fix}.")
    name_max = _pathconf(existing, "PC_NAME_MAX", 255)
    too_long = [p for p in parts if len(os.fsencode(p)) > name_max]
    if too_long:
        raise ValueError(
            f"{key}: the folder name {too_long[0][:40]}... is "
            f"{len(os.fsencode(too_long[0]))} bytes long, and the file system allows "
            f"{name_max}; {fix}."
        )
    path_max = _pathconf(existing, "PC_PATH_MAX", 4096)
    if len(os.fsencode(str(path))) + PATH_ROOM > path_max:
        raise ValueError(
            f"{key} is {len(os.fsencode(str(path)))} bytes long; fir needs "
            f"{PATH_ROOM} more for its files, and the system allows {path_max}; {fix}."
        )


def _pathconf(path: Path, name: str, default: int) -> int:
    """The file system's limit ``name`` at ``path`` (``default`` where it cannot say)."""
    try:
        value = os.pathconf(path, name)
    except (AttributeError, OSError, ValueError):  # no pathconf (Windows), or no such limit
        return default
    return value if value > 0 else default
