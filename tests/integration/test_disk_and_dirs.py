"""Run directories that cannot be made, full disks, and writes that a kill cuts short: one line
naming the fix, nothing that looks like a result, and a run that resume=true continues."""

import errno
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pandas as pd
import pytest
from hydra import compose, initialize_config_dir

import fir.run
from fir.aggregate import read_contract_csv, read_run
from fir.reporting import atomic_write
from fir.run import run
from fir.rundir import PATH_ROOM, check_output_dir

CONF = Path(__file__).resolve().parents[2] / "conf"


def disk_full(*args, **kwargs):
    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


def cfg(*overrides: str):
    with initialize_config_dir(config_dir=str(CONF), version_base="1.3"):
        return compose(config_name="config", overrides=["profile=tiny", "verbose=0", *overrides])


def fir_run(*args: str, cwd: Path, patch: str = "") -> subprocess.CompletedProcess:
    """``fir-run ARGS`` as a subprocess; ``patch`` is Python run first (after ``import fir.run``),
    to make a disk fill up or a Ctrl-C come at a chosen moment."""
    code = "\n".join(["import sys, fir.run", textwrap.dedent(patch),
                      "sys.argv = ['fir-run', *sys.argv[1:]]", "fir.run.main()"])  # fmt: skip
    return subprocess.run(
        [sys.executable, "-c", code, *args],
        cwd=cwd, capture_output=True, text=True, timeout=300,
    )  # fmt: skip


# --- a run directory that cannot be made ---------------------------------------------------


def test_check_output_dir_names_the_key_the_reason_and_the_fix(tmp_path, monkeypatch):
    (tmp_path / "afile").write_text("")
    through_a_file = (
        r"^hydra\.run\.dir=.*/afile/run cannot be created: .*/afile is a file, not a folder; "
        r"choose another hydra\.run\.dir\.$"
    )
    with pytest.raises(ValueError, match=through_a_file):
        check_output_dir(tmp_path / "afile" / "run", "hydra.run.dir")
    long_name = (
        r"the folder name x{40}\.\.\. is 300 bytes long, and the file system allows 255; "
        r"choose another hydra\.sweep\.dir"
    )
    with pytest.raises(ValueError, match=long_name):
        check_output_dir(tmp_path / ("x" * 300) / "run", "hydra.sweep.dir")
    deep = Path(tmp_path, *["d" * 200] * (4096 // 200))  # each name fits, the whole path not
    long_path = (
        rf"hydra\.run\.dir is \d+ bytes long; fir needs {PATH_ROOM} more for its files, and the "
        r"system allows 4096"
    )
    with pytest.raises(ValueError, match=long_path):
        check_output_dir(deep, "hydra.run.dir")
    check_output_dir(tmp_path / "new" / "run", "hydra.run.dir")  # fine, and it creates nothing
    check_output_dir(tmp_path, "hydra.run.dir")  # an existing folder is fine too
    assert sorted(p.name for p in tmp_path.iterdir()) == ["afile"]
    # root may write anywhere, so a folder one may not write in is simulated
    monkeypatch.setattr(os, "access", lambda path, mode: False)
    not_writable = (
        rf"hydra\.run\.dir={tmp_path}/new/run: {tmp_path} is not writable by this user; "
        r"choose another hydra\.run\.dir\.$"
    )
    with pytest.raises(ValueError, match=not_writable):
        check_output_dir(tmp_path / "new" / "run", "hydra.run.dir")


def test_fir_run_into_a_directory_that_cannot_be_made_is_one_line(tmp_path):
    """It was a Hydra traceback (NotADirectoryError from its mkdir), before any config check."""
    (tmp_path / "afile").write_text("")
    single = fir_run("profile=tiny", "hydra.run.dir=afile/run", cwd=tmp_path)
    assert single.returncode == 1
    assert single.stderr.strip().splitlines() == [
        f"fir-run: error: hydra.run.dir={tmp_path}/afile/run cannot be created: {tmp_path}/afile "
        "is a file, not a folder; choose another hydra.run.dir."
    ]
    sweep = fir_run("-m", "profile=tiny", "seed=0,1", "hydra.sweep.dir=afile/sweep", cwd=tmp_path)
    assert sweep.returncode == 1
    assert (
        sweep.stderr.strip()
        .splitlines()[-1]
        .startswith(f"fir-run: error: hydra.sweep.dir={tmp_path}/afile/sweep cannot be created")
    )
    assert "Traceback" not in single.stderr + sweep.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["afile"]


# --- a full disk ---------------------------------------------------------------------------


def test_a_full_disk_keeps_the_finished_folds_and_says_how_to_continue(tmp_path):
    """A full disk used to end with a traceback, and the run's files gave no hint that
    resume=true continues it. Now: one line naming the folds kept and the resume command;
    run.json says failed with the errno; fir-report's skip says the same; the resume completes."""
    out = tmp_path / "run"
    full = """
        import errno, os
        def full(*args, **kwargs):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        fir.run.write_csv_atomic = full  # the disk fills up after the last fold, at folds.csv
    """
    done = fir_run("profile=tiny", f"hydra.run.dir={out}", cwd=tmp_path, patch=full)
    assert done.returncode == 1
    assert done.stderr.strip().splitlines() == [
        f"fir-run: error: No space left on device writing {out}; the 2 completed fold(s) in "
        f"{out}/folds are kept. Free space, then continue with: fir-run profile=tiny "
        f"resume=true hydra.run.dir={out}"
    ]
    info = json.loads((out / "run.json").read_text())
    assert info["status"] == "failed"
    assert info["error"] == "OSError: [Errno 28] No space left on device"
    with pytest.raises(ValueError) as refused:
        read_run(out)
    assert str(refused.value).endswith(
        "stopped by a full disk (free space first): continue where it stopped with "
        f"`fir-run profile=tiny resume=true hydra.run.dir={out}`"
    )
    resumed = fir_run("profile=tiny", "resume=true", f"hydra.run.dir={out}", cwd=tmp_path)
    assert resumed.returncode == 0, resumed.stderr
    info = json.loads((out / "run.json").read_text())
    assert info["status"] == "completed" and info["resumed_folds"] == [0, 1]
    assert read_run(out).summary["n_folds"] == 2


def test_a_run_json_that_cannot_record_the_failure_keeps_the_runs_own_error(
    tmp_path, monkeypatch, caplog
):
    """With the disk full, writing "failed" into run.json fails too; that second error used
    to replace the first (the one that says what happened)."""
    monkeypatch.setattr(fir.run, "_write_outputs", disk_full)
    real_finish = fir.run._finish

    def finish(out_dir, info, status, *args, **kwargs):
        if status == "failed":
            raise OSError(errno.ENOSPC, "No space left on device", str(out_dir / "run.json"))
        real_finish(out_dir, info, status, *args, **kwargs)

    monkeypatch.setattr(fir.run, "_finish", finish)
    with pytest.raises(OSError) as raised:
        run(cfg("dataset=xor", "n_splits=2"), tmp_path)
    assert raised.value.filename is None  # the run's own error, not run.json's
    assert "could not record status 'failed' in" in caplog.text


def test_resume_advice_is_for_a_full_disk_not_for_other_failures(tmp_path):
    from tests.unit.test_report_inputs import _run, _status

    disk = _run(tmp_path, "disk")
    _status(disk, "failed", "OSError: [Errno 122] Disk quota exceeded: '/x/run.json'")
    other = _run(tmp_path, "other")
    _status(other, "failed", "OSError: [Errno 13] Permission denied: '/x/data.csv'")
    for path, advised in ((disk, True), (other, False)):
        with pytest.raises(ValueError) as refused:
            read_run(path)
        assert ("resume=true" in str(refused.value)) is advised


# --- writes a kill cuts short --------------------------------------------------------------


def test_the_contract_files_and_figures_are_whole_or_absent(tmp_path, monkeypatch):
    """They were written in place: a kill or a full disk left a file cut mid-row (or a broken
    PNG) under the final name, which a copied run carried into fir-report."""
    import matplotlib.figure

    def half_figure(self, fh, **kwargs):
        fh.write(b"\x89PNG half")
        disk_full()

    monkeypatch.setattr(matplotlib.figure.Figure, "savefig", half_figure)
    with pytest.raises(OSError):
        run(cfg("dataset=xor", "n_splits=2"), tmp_path / "figure")
    assert list((tmp_path / "figure" / "figures").iterdir()) == []  # no half figure, no .tmp
    for name in ("folds.csv", "features.csv"):  # written before the figures: whole
        assert len(read_contract_csv(tmp_path / "figure" / name)) > 0
    monkeypatch.undo()

    def half_csv(self, fh, **kwargs):
        fh.write(b"fold,score\n0,0.")
        disk_full()

    monkeypatch.setattr(pd.DataFrame, "to_csv", half_csv)
    with pytest.raises(OSError):
        run(cfg("dataset=xor", "n_splits=2"), tmp_path / "csv")
    assert not (tmp_path / "csv" / "folds.csv").exists()
    assert not list((tmp_path / "csv").rglob("*.tmp"))


CUT_SHORT = (
    r"is cut short: its last row ends without a line break \(a partial copy\?\); copy the run "
    r"again, or re-run it"
)


def test_fir_report_refuses_a_contract_csv_cut_mid_row(tmp_path):
    run(cfg("dataset=xor", "n_splits=2"), tmp_path)
    for name in ("folds.csv", "features.csv"):
        whole = (tmp_path / name).read_bytes()
        assert whole.endswith(b"\n") and read_contract_csv(tmp_path / name).shape[0] > 0
        (tmp_path / name).write_bytes(whole[: len(whole) - 7])  # a partial copy
        with pytest.raises(ValueError, match=rf"^{name} {CUT_SHORT}"):
            read_contract_csv(tmp_path / name)
        (tmp_path / name).write_bytes(whole)
    with pytest.raises(ValueError, match="folds.csv is cut short"):
        (tmp_path / "folds.csv").write_bytes((tmp_path / "folds.csv").read_bytes()[:-1])
        read_run(tmp_path)
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    with pytest.raises(ValueError, match="unreadable contract file empty.csv"):
        read_contract_csv(empty)


def test_temporary_files_a_kill_left_are_removed_by_the_next_run(tmp_path, caplog):
    """A SIGKILL during an atomic write leaves '.<name>.<random>.tmp' beside the file; nothing
    removed them, and they piled up over requeued jobs."""
    (tmp_path / "folds").mkdir()
    (tmp_path / "figures").mkdir()
    left = [tmp_path / ".run.json.ab12.tmp", tmp_path / "folds" / ".fold_00.json.cd34.tmp",
            tmp_path / "figures" / ".importance.png.ef56.tmp"]  # fmt: skip
    for path in left:
        path.write_text("{")
    (tmp_path / "notes.tmp").write_text("a user's file")  # not one of atomic_write's names
    (tmp_path / ".cache.tmp").mkdir()  # a folder is not a temporary file of fir's
    with caplog.at_level("INFO", logger="fir.run"):
        run(cfg("dataset=xor", "n_splits=2"), tmp_path)
    assert not any(path.exists() for path in left)
    assert (tmp_path / "notes.tmp").is_file() and (tmp_path / ".cache.tmp").is_dir()
    assert "removed 3 temporary file(s) an interrupted write left in" in caplog.text
    assert not [p for p in tmp_path.rglob("*.tmp") if p.name not in ("notes.tmp", ".cache.tmp")]


def test_atomic_write_keeps_the_old_file_when_the_write_fails(tmp_path):
    path = tmp_path / "folds.csv"
    path.write_text("fold,score\n0,0.5\n")

    def half(fh):
        fh.write(b"fold,score\n0,0.")
        disk_full()

    with pytest.raises(OSError):
        atomic_write(path, half)
    assert path.read_text() == "fold,score\n0,0.5\n" and list(tmp_path.iterdir()) == [path]
    expected = pd.DataFrame({"fold": [0], "score": [0.5]})
    pd.testing.assert_frame_equal(read_contract_csv(path), expected)


# --- interrupts at the edges of a run ------------------------------------------------------


def test_ctrl_c_before_a_run_began_says_there_is_nothing_to_resume(tmp_path):
    """It printed a resume command for a run that had written nothing."""
    early = """
        def interrupted(*args, **kwargs):
            raise KeyboardInterrupt
        fir.run.open_run_dir = interrupted
    """
    done = fir_run("profile=tiny", f"hydra.run.dir={tmp_path / 'run'}", cwd=tmp_path, patch=early)
    assert done.returncode == 130
    assert done.stderr.strip().splitlines()[-1] == (
        "fir-run: interrupted; the run had not begun: there is nothing to resume."
    )
    assert not (tmp_path / "run" / "run.json").exists()


def test_an_interrupt_while_an_earlier_run_is_cleared_records_this_run(tmp_path, monkeypatch):
    """Once the earlier run's files are being removed it is gone; an interrupt then said the
    earlier run was 'left as it was' and put its .hydra back over a half-cleared directory."""
    run(cfg("dataset=xor", "n_splits=2"), tmp_path)
    real_replace = fir.run.replace_earlier_run

    def replace_then_interrupt(*args):
        real_replace(*args)
        raise KeyboardInterrupt

    monkeypatch.setattr(fir.run, "replace_earlier_run", replace_then_interrupt)
    with pytest.raises(KeyboardInterrupt):
        run(cfg("dataset=xor", "n_splits=2", "seed=1"), tmp_path)
    info = json.loads((tmp_path / "run.json").read_text())
    assert info["status"] == "interrupted" and info["seed"] == 1
    assert not (tmp_path / "summary.json").exists() and not list(tmp_path.glob("folds/fold_*"))
