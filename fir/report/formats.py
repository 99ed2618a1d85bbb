"""Data frames -> CSV, Markdown and LaTeX files (no optional dependencies)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

LATEX_SPECIALS = {
    "\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#", "_": r"\_",
    "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}",
    "±": r"$\pm$", "≥": r"$\geq$", "≤": r"$\leq$", "×": r"$\times$", "−": "-",
    "|": r"\textbar{}", "<": r"\textless{}", ">": r"\textgreater{}",  # OT1 would print others
}  # fmt: skip
LATEX_PREAMBLE = "% needs \\usepackage{booktabs} (\\toprule, \\midrule, \\bottomrule)"


def cell_text(value: object) -> str:
    """A table cell: floats with 4 significant decimals, missing values as an empty cell."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    if isinstance(value, float | np.floating):
        return f"{value:.4g}"
    return str(value)


def markdown_table(frame: pd.DataFrame) -> str:
    """A GitHub Markdown table of ``frame`` (``|`` in cells escaped)."""
    header = [str(c) for c in frame.columns]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for row in frame.itertuples(index=False):
        cells = [cell_text(v).replace("|", r"\|") for v in row]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def latex_escape(text: str) -> str:
    """``text`` with LaTeX's special characters escaped."""
    return "".join(LATEX_SPECIALS.get(ch, ch) for ch in text)


def latex_table(frame: pd.DataFrame, caption: str) -> str:
    """A booktabs ``table`` environment holding ``frame``, after a comment line saying that
    it needs ``\\usepackage{booktabs}``."""
    columns = "l" * len(frame.columns)
    lines = [
        LATEX_PREAMBLE,
        r"\begin{table}[ht]",
        r"\centering",
        f"\\caption{{{latex_escape(caption)}}}",
        f"\\begin{{tabular}}{{{columns}}}",
        r"\toprule",
        " & ".join(latex_escape(str(c)) for c in frame.columns) + r" \\",
        r"\midrule",
    ]
    for row in frame.itertuples(index=False):
        lines.append(" & ".join(latex_escape(cell_text(v)) for v in row) + r" \\")
    lines += [r"\bottomrule", r"\end{tabular}", r"\end{table}"]
    return "\n".join(lines) + "\n"


def write_table(
    data: pd.DataFrame, display: pd.DataFrame, out_dir: Path, stem: str, caption: str
) -> list[Path]:
    """``<stem>.csv`` from ``data`` (machine-readable), ``<stem>.md`` and ``<stem>.tex`` from
    ``display`` (formatted for reading), with ``caption`` as the Markdown heading and the LaTeX
    caption. Returns the paths written."""
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = [out_dir / f"{stem}.{ext}" for ext in ("csv", "md", "tex")]
    data.to_csv(paths[0], index=False)
    paths[1].write_text(f"# {caption}\n\n" + markdown_table(display))
    paths[2].write_text(latex_table(display, caption))
    return paths
