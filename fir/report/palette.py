"""Line colours of the report's figures: a fixed colour per method, and distinct styles.

Every known method (``conf/method/*.yaml``) has its own colour of matplotlib's ``tab20``, so a
method reads the same in every figure and every report (the dual-net is red). A label's
variants (``dfs [tiny]``, ``dualnet+svm``) keep their method's colour and differ by line style
and marker. Methods not listed take the colours no listed method present uses, in sorted
order; no two labels of one figure get the same colour and line style.
"""

from __future__ import annotations

from dataclasses import dataclass

TAB20 = (
    "#1f77b4", "#aec7e8", "#ff7f0e", "#ffbb78", "#2ca02c", "#98df8a", "#d62728", "#ff9896",
    "#9467bd", "#c5b0d5", "#8c564b", "#c49c94", "#e377c2", "#f7b6d2", "#7f7f7f", "#c7c7c7",
    "#bcbd22", "#dbdb8d", "#17becf", "#9edae5",
)  # fmt: skip
# the README's ten methods in tab20's dark colours, the later ones in the light colours
METHOD_COLORS = {
    "dualnet": TAB20[6], "dfs": TAB20[0], "avgrad": TAB20[2], "forward": TAB20[4],
    "lasso": TAB20[8], "random_forest": TAB20[10], "rfe": TAB20[12], "bahsic": TAB20[14],
    "mrmr": TAB20[16], "ccm": TAB20[18], "stg": TAB20[1], "concrete": TAB20[3],
    "lassonet": TAB20[5], "lime": TAB20[9], "san_aggr": TAB20[11], "san_global": TAB20[13],
}  # fmt: skip
# dark colours first: with few lines (e.g. values of s), each is easy to see
ORDERED = TAB20[0::2] + TAB20[1::2]
LINE_STYLES = ("-", "--", ":", "-.")
MARKERS = ("o", "s", "^", "D")


@dataclass(frozen=True)
class Style:
    """How one line is drawn."""

    color: str
    linestyle: str = "-"
    marker: str = "o"


def base_method(label: str) -> str:
    """The method of a label: ``dualnet+svm [tiny]`` -> ``dualnet``."""
    return label.split(" [", 1)[0].split("+", 1)[0]


def method_styles(labels: list[str]) -> dict[str, Style]:
    """A style per label: its method's fixed colour (a free one for an unknown method), and a
    line style and marker per variant of one method (labels sorted)."""
    labels = sorted(set(labels))
    bases = sorted({base_method(label) for label in labels})
    colors = {b: METHOD_COLORS[b] for b in bases if b in METHOD_COLORS}
    free = [c for c in ORDERED if c not in colors.values()]
    n_rounds: dict[str, int] = {}  # an unknown method past the free colours: next line style
    for k, base in enumerate(b for b in bases if b not in colors):
        colors[base] = free[k % len(free)] if free else ORDERED[k % len(ORDERED)]
        n_rounds[base] = k // max(len(free), 1)
    per_base = max(sum(base_method(label) == b for label in labels) for b in bases)
    styles: dict[str, Style] = {}
    seen: dict[str, int] = {}
    for label in labels:
        base = base_method(label)
        k = seen.get(base, 0) + n_rounds.get(base, 0) * per_base
        seen[base] = seen.get(base, 0) + 1
        styles[label] = Style(colors[base], LINE_STYLES[k % len(LINE_STYLES)],
                              MARKERS[k % len(MARKERS)])  # fmt: skip
    return styles


def distinct_styles(n: int) -> list[Style]:
    """``n`` styles without a repeat: the 20 colours of ``ORDERED``, then again with other
    line styles."""
    return [
        Style(ORDERED[k % len(ORDERED)], LINE_STYLES[(k // len(ORDERED)) % len(LINE_STYLES)])
        for k in range(n)
    ]
