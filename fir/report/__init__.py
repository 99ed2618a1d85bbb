"""``fir-report``: fir-run output directories -> tables, figures and ``REPRODUCTION.md``.

Modules, one responsibility each: ``runs`` (find and check run directories), ``cells`` (pool
runs by dataset x method x s), ``tables`` and ``formats`` (CSV/Markdown/LaTeX), ``figures``,
``maps`` and ``curves`` (the paper's figures), ``palette`` (their line colours), ``paper``
(the paper's numbers, as data), ``verdicts`` and ``reproduction`` (paper vs. ours), ``build``
(the whole report) and ``cli``.
"""

from fir.report.build import NoRunsError, Report, build_report

__all__ = ["NoRunsError", "Report", "build_report"]
