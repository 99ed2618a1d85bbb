"""``REPRODUCTION.md`` (and ``reproduction.csv``): the paper's numbers next to ours, with the
environment the runs were made in, the rules behind each verdict and every run used."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pandas as pd

from fir.report.formats import markdown_table
from fir.report.paper import KINDS
from fir.report.runs import RunRecord
from fir.report.verdicts import MET, NOT_MET, NOT_RUN, PAPER_BUDGET, PARTIAL, Verdict

REPRODUCTION_MD = "REPRODUCTION.md"
REPRODUCTION_CSV = "reproduction.csv"
ENV_COLUMNS = ["python", "torch", "fir", "device", "CPU count", "git commit", "runs"]
VERDICT_COLUMNS = [
    "claim (paper)", "dataset", "s", "paper", "ours (mean ± std over folds)", "difference",
    "verdict", "runs", "note", "source",
]  # fmt: skip


def environments(records: list[RunRecord]) -> pd.DataFrame:
    """The distinct environments the runs were made in (columns ``ENV_COLUMNS``), with how
    many runs each; values a ``run.json`` does not record read ``not recorded``."""
    counts = Counter(_environment(r) for r in records)
    rows = [[*env, n] for env, n in sorted(counts.items())]
    return pd.DataFrame(rows, columns=ENV_COLUMNS)


def _environment(record: RunRecord) -> tuple[str, ...]:
    info, missing = record.info, "not recorded"
    versions = info.get("versions") or {}
    git = info.get("git") or {}
    commit = str(git.get("commit"))[:10] if git.get("commit") else missing
    if git.get("dirty"):
        commit += " (dirty)"
    cpus = info.get("cpu_count")
    return (
        str(info.get("python") or missing),
        str(versions.get("torch") or missing),
        str(versions.get("fir") or missing),
        str(info.get("device") or record.summary.get("device") or missing),
        missing if cpus is None else str(cpus),
        commit,
    )


def verdict_frame(verdicts: list[Verdict]) -> pd.DataFrame:
    """The verdicts as a table (columns ``VERDICT_COLUMNS``; runs joined by ``; ``)."""
    rows = [
        [v.claim, v.dataset, v.s, v.paper, v.ours, v.difference, v.verdict, "; ".join(v.runs),
         v.note, v.source]
        for v in verdicts
    ]  # fmt: skip
    return pd.DataFrame(rows, columns=VERDICT_COLUMNS)


def write_reproduction(
    verdicts: list[Verdict],
    records: list[RunRecord],
    n_skipped: int,
    root: Path,
    out_dir: Path,
    budget: str = PAPER_BUDGET,
) -> list[Path]:
    """Write ``REPRODUCTION.md`` and ``reproduction.csv`` into ``out_dir``; return the paths."""
    frame = verdict_frame(verdicts)
    csv_path, md_path = out_dir / REPRODUCTION_CSV, out_dir / REPRODUCTION_MD
    frame.to_csv(csv_path, index=False)
    md_path.write_text(reproduction_markdown(verdicts, records, n_skipped, root, budget))
    return [md_path, csv_path]


def reproduction_markdown(
    verdicts: list[Verdict],
    records: list[RunRecord],
    n_skipped: int,
    root: Path,
    budget: str = PAPER_BUDGET,
) -> str:
    """The text of ``REPRODUCTION.md``."""
    counts = Counter(v.verdict for v in verdicts)
    other = "quick" if budget == "tiny" else "tiny"  # an example of another profile
    if budget == PAPER_BUDGET:
        budget_line = (
            "**Budget: the paper's** (`profile=default`): the verdicts test the paper's claims "
            "at its training budgets."
        )
    else:
        budget_line = (
            f"**Budget: `profile={budget}`** (reduced: see `conf/profile/{budget}.yaml` and "
            f"`conf/profile_method/{budget}_*.yaml`). The verdicts compare runs made at this "
            "budget with the paper's numbers, which were made at full budgets: a `not met` "
            "here may be a budget effect, a `met` is met at a lower cost."
        )
    lines = [
        "# Reproduction of Wojtas & Chen (NeurIPS 2020): the paper's numbers and ours",
        "",
        f"Runs read from `{root}`: {len(records)} completed, {n_skipped} skipped "
        "(see `skipped.csv`). Every number of SPEC section 5 has a row; where several runs fall "
        "in one cell (dataset × method × s: other seeds, repeated runs) their folds are pooled "
        "and every run is listed with its own mean ± std. Standard deviations are over folds "
        "(population, ddof = 0).",
        "",
        budget_line,
        "",
        f"**{counts[MET]} met, {counts[PARTIAL]} partial, {counts[NOT_MET]} not met, "
        f"{counts[NOT_RUN]} not run.**",
        "",
        "## Environment",
        "",
        markdown_table(environments(records)) if records else "No completed runs.\n",
        "## Verdicts",
        "",
        "Rules:",
        "",
        *[f"- `{kind}`: {rule}." for kind, rule in KINDS.items()],
        "- `partial`: the check passed on the runs present, but fewer methods were run than "
        "the claim names (the note says how many); not counted as met.",
        "- `not run`: the runs the check needs do not exist (the note says which).",
        f"- Runs made with a Hydra profile other than `{budget}` (e.g. `profile={other}`) are "
        "listed on the rows as `left out` and count in no verdict. Budgets changed by "
        "command-line overrides are not detected: compare the `runs` table and the runs' "
        "`run.json` configs.",
        "",
        _verdict_table(verdicts),
    ]
    return "\n".join(lines)


def _verdict_table(verdicts: list[Verdict]) -> str:
    header = ["claim (paper)", "dataset", "s", "paper", "ours", "difference", "verdict",
              "runs", "note"]  # fmt: skip
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for v in verdicts:
        verdict = v.verdict if v.verdict == NOT_RUN else f"**{v.verdict}**"
        cells = [f"{v.claim} ({v.source})", v.dataset, v.s, v.paper, v.ours, v.difference,
                 verdict, "<br>".join(f"`{r}`" for r in v.runs), v.note]  # fmt: skip
        lines.append("| " + " | ".join(c.replace("|", r"\|") for c in cells) + " |")
    return "\n".join(lines) + "\n"
