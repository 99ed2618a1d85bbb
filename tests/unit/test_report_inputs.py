"""What the reporting tools accept and how they say what is wrong: symlinked run directories,
killed runs, a missing or empty root, an --out that is a file, --budget paper, LaTeX output."""

from __future__ import annotations

import json
import runpy
from pathlib import Path

import pandas as pd

from fir.aggregate import collect_runs, find_run_dirs
from fir.report.cli import main
from fir.report.formats import latex_escape, latex_table
from fir.report.paper import TARGETS
from tests.unit.test_report import make_run

MAKE_TABLES = Path(__file__).parents[2] / "scripts" / "make_tables.py"


def _run(root: Path, name: str, **kwargs) -> Path:
    spec = {"dataset": "xor", "method": "dualnet", "s": 2, "scores": [0.6, 0.5],
            "selected": [[0, 1], [0, 1]], "names": ["X0", "X1", "X2"], **kwargs}  # fmt: skip
    return make_run(root, name, **spec)


def test_symlinked_run_directories_are_followed_once(tmp_path):
    _run(tmp_path / "real", "sweep/a")
    links = tmp_path / "links"
    links.mkdir()
    (links / "one").symlink_to(tmp_path / "real")
    (links / "two").symlink_to(tmp_path / "real" / "sweep")  # the same run again
    (links / "loop").symlink_to(links)  # a loop
    (links / "broken").symlink_to(tmp_path / "missing")
    assert find_run_dirs(links) == [links / "one" / "sweep" / "a"]
    table, skipped = collect_runs(links)
    assert len(table) == 1 and not skipped
    assert main([str(links), "-q"]) == 0


def _status(run: Path, status: str, error: str | None = None) -> None:
    info = json.loads((run / "run.json").read_text())
    info.update(status=status, error=error)
    (run / "run.json").write_text(json.dumps(info))


def test_a_killed_or_interrupted_run_is_skipped_with_how_to_continue_it(tmp_path):
    killed = _run(tmp_path, "killed")
    _status(killed, "running")
    (killed / ".hydra").mkdir()
    (killed / ".hydra" / "overrides.yaml").write_text(
        "- dataset=table\n- dataset.exclude=[z7]\n- profile=tiny\n- resume=true\n"
    )
    stopped = _run(tmp_path, "stopped")
    _status(stopped, "interrupted", "Terminated: received SIGTERM")
    failed = _run(tmp_path, "failed")
    _status(failed, "failed", "ValueError: s=12")
    _, skipped = collect_runs(tmp_path)
    reasons = {s.path.name: s.reason for s in skipped}
    assert reasons["killed"] == (
        "run.json status is 'running', not 'completed'; still running, or killed: continue "
        "where it stopped with `fir-run dataset=table 'dataset.exclude=[z7]' profile=tiny "
        f"resume=true hydra.run.dir={killed.absolute()}`"
    )
    assert reasons["stopped"].startswith(
        "run.json status is 'interrupted', not 'completed' (error: Terminated: received "
        "SIGTERM); stopped: continue where it stopped with `fir-run <same overrides> resume=true"
    )
    assert "resume" not in reasons["failed"]


def test_the_resume_advice_quotes_a_non_ascii_run_directory_for_hydra(tmp_path):
    killed = _run(tmp_path, "josé")
    _status(killed, "running")
    ((_, reason),) = [(s.path, s.reason) for s in collect_runs(tmp_path)[1]]
    assert reason.endswith(f"resume=true \"hydra.run.dir='{killed.absolute()}'\"`")


def _make_tables(argv: list[str]) -> int:
    return runpy.run_path(str(MAKE_TABLES))["main"](argv)


def test_make_tables_errors_are_one_line_and_skips_are_logged_once(tmp_path, caplog):
    assert _make_tables([str(tmp_path / "nonexist")]) == 2
    (error,) = [r for r in caplog.records if r.levelname == "ERROR"]
    assert "nonexist does not exist" in error.getMessage() and error.exc_info is None
    caplog.clear()
    (tmp_path / "empty").mkdir()
    assert _make_tables([str(tmp_path / "empty"), "--out", str(tmp_path / "t0")]) == 1
    assert "holds no run" in caplog.text and not (tmp_path / "t0").exists()
    caplog.clear()
    runs = tmp_path / "runs"
    for name, seed, profile in (("a", 0, "tiny"), ("b", 0, "quick"), ("c", 1, "tiny")):
        run = _run(runs, name, seed=seed)
        info = json.loads((run / "run.json").read_text())
        info["choices"] = {"profile": profile}
        (run / "run.json").write_text(json.dumps(info))
    _status(_run(runs, "d"), "failed")
    assert _make_tables([str(runs), "--out", str(tmp_path / "t1")]) == 0
    assert caplog.text.count("/d:") == 1  # the skipped run, once
    table = pd.read_csv(tmp_path / "t1" / "comparison.csv")
    assert table[["profile", "seed"]].values.tolist() == [["quick", 0], ["tiny", 0], ["tiny", 1]]


def test_fir_report_out_that_is_a_file_is_a_one_line_error(tmp_path, capsys):
    _run(tmp_path / "runs", "a")
    (tmp_path / "afile.txt").write_text("mine")
    assert main([str(tmp_path / "runs"), "--out", str(tmp_path / "afile.txt")]) == 2
    err = capsys.readouterr().err
    assert "ERROR fir.report: --out" in err and "is a file, not a directory" in err
    assert "Traceback" not in err and (tmp_path / "afile.txt").read_text() == "mine"


def test_budget_paper_is_the_default_profile(tmp_path):
    _run(tmp_path / "runs", "a")
    assert main([str(tmp_path / "runs"), "--budget", "paper", "-q"]) == 0
    md = (tmp_path / "runs" / "report" / "REPRODUCTION.md").read_text()
    assert "**Budget: the paper's** (`profile=default`)" in md


def test_latex_escapes_bars_and_says_it_needs_booktabs():
    assert latex_escape("a|b <c>") == r"a\textbar{}b \textless{}c\textgreater{}"
    tex = latex_table(pd.DataFrame({"x": ["a|b"]}), "caption")
    assert tex.splitlines()[0] == r"% needs \usepackage{booktabs} (\toprule, \midrule, \bottomrule)"


def test_the_two_san_time_claims_can_be_told_apart():
    claims = [t.claim for t in TARGETS if t.key in ("time.san_aggr", "time.san_global")]
    assert len(set(claims)) == 2 and "san_aggr" in claims[0] and "san_global" in claims[1]


def test_runs_it_may_not_read_are_skipped_with_the_reason(tmp_path, monkeypatch):
    """A folder it could not list was dropped without a word (changing pooled results), and
    one run.json it could not read ended the whole report with a traceback."""
    import os

    for name in ("ok", "hidden", "unreadable"):
        _run(tmp_path, name)
    real_scandir, real_read_text = os.scandir, Path.read_text

    def scandir(path="."):  # as a folder of mode 700 owned by someone else lists for us
        if Path(path).name == "hidden":
            raise PermissionError(13, "Permission denied", os.fspath(path))
        return real_scandir(path)

    def read_text(self, *args, **kwargs):
        if "hidden" in self.parts or (self.parent.name == "unreadable" and self.name == "run.json"):
            raise PermissionError(13, "Permission denied", str(self))
        return real_read_text(self, *args, **kwargs)

    monkeypatch.setattr(os, "scandir", scandir)
    monkeypatch.setattr(Path, "read_text", read_text)
    table, skipped = collect_runs(tmp_path)
    assert len(table) == 1
    reasons = {s.path.name: s.reason for s in skipped}
    assert reasons == {
        "hidden": f"[Errno 13] Permission denied: '{tmp_path / 'hidden' / 'run.json'}'",
        "unreadable": f"[Errno 13] Permission denied: '{tmp_path / 'unreadable' / 'run.json'}'",
    }
    assert main([str(tmp_path), "--out", str(tmp_path / "report"), "-q"]) == 0
    skipped_csv = pd.read_csv(tmp_path / "report" / "skipped.csv")
    assert sorted(Path(p).name for p in skipped_csv.iloc[:, 0]) == ["hidden", "unreadable"]


def test_an_interrupted_report_says_it_is_incomplete_until_it_is_made_again(
    tmp_path, monkeypatch, caplog
):
    """Ctrl-C or a failure halfway left the previous report.md and REPRODUCTION.md beside
    half-rewritten tables: a folder that looked finished, with verdicts of other runs."""
    import fir.report.build

    _run(tmp_path / "runs", "a")
    out = tmp_path / "out"
    assert main([str(tmp_path / "runs"), "--out", str(out), "-q"]) == 0
    assert (out / "REPRODUCTION.md").is_file()
    finished = (out / "report.md").read_text()
    assert finished.startswith("# fir-report\n")

    def interrupted(*args):
        raise KeyboardInterrupt

    monkeypatch.setattr(fir.report.build, "load_runs", interrupted)  # before it writes
    assert main([str(tmp_path / "runs"), "--out", str(out), "-q"]) == 130
    assert f"interrupted before the report was written: {out} is as it was" in caplog.text
    assert (out / "report.md").read_text() == finished
    assert (out / "REPRODUCTION.md").is_file()
    monkeypatch.undo()
    monkeypatch.setattr(fir.report.build, "_draw_figures", interrupted)  # halfway
    assert main([str(tmp_path / "runs"), "--out", str(out), "-q"]) == 130
    assert f"interrupted: the report in {out} is incomplete" in caplog.text
    notice = (out / "report.md").read_text()
    assert notice.startswith("# fir-report (incomplete)\n\nfir-report began writing this folder")
    assert f"Run `fir-report {tmp_path / 'runs'} --out {out}` again." in notice
    assert not (out / "REPRODUCTION.md").exists() and not (out / "reproduction.csv").exists()
    assert (out / "tables").is_dir()  # what it wrote before the interrupt stays, marked
    monkeypatch.undo()
    assert main([str(tmp_path / "runs"), "--out", str(out), "-q"]) == 0
    assert (out / "report.md").read_text() == finished
    assert (out / "REPRODUCTION.md").is_file() and not list(out.glob(".*.tmp"))
