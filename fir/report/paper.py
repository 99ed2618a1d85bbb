"""The paper's results to meet or beat (SPEC section 5), as data.

Every ``Target`` is one number or claim of SPEC section 5 with the place in Wojtas & Chen
(NeurIPS 2020) it comes from. Accuracies are fractions (the paper's 99.31 % is 0.9931). Dataset
and method names are ``fir-run``'s. ``fir.report.verdicts`` turns each target into rows of
``REPRODUCTION.md``; the ``kind`` says how (``KINDS``).
"""

from __future__ import annotations

from dataclasses import dataclass

KINDS = {
    "relevant_all_folds": "met when every known relevant feature is selected in every fold",
    "irrelevant_negative": "met when every irrelevant feature's mean importance is below 0",
    "best_of": "met when the method has the best mean metric of the methods present "
    "(ranked among `others`, or among all methods run when `others` is empty; the method's "
    "own selection rescored by another model, e.g. `dualnet+svm`, is not ranked) and at least "
    "as many methods were run as the claim names; `partial` when it is best but fewer were "
    "run (the note says how many of the claim's methods were run)",
    "at_least": "met when our mean >= the paper's value minus its tolerance "
    "(the paper's own fold std where it gives one)",
    "curve_reaches": "met when the best mean over the values of s run >= the paper's value "
    "(a claim about the level of a curve over s, e.g. 'glass: 90 %+')",
    "comparable": "met when our mean is not worse than the other method's mean by more than "
    "the larger of the two fold stds",
    "above": "met when our mean is better than the other method's mean",
    "time_at_most": "met when our 5-fold training time (sum of the folds' fit times) <= the "
    "paper's (the paper's hardware: GTX TITAN X GPU, i7-5930K CPU)",
}
ENHANCER_PROMOTER = ("enhancer_promoter", "enhancer_promoter_dfs")
SYNTHETIC = ("xor", "regression", "binary")


@dataclass(frozen=True)
class Target:
    """One result of the paper, and how to check ours against it.

    ``datasets``: our dataset names the claim is about (each is checked separately).
    ``s``: the values of s the claim is about; None means every s that was run.
    ``others``: the methods compared against (``best_of``, ``comparable``, ``above``).
    ``value`` / ``tolerance``: the paper's number and the slack we allow (see ``KINDS``).
    ``n_methods``: how many methods the claim ranks (``best_of``; None: ``others`` and this).
    """

    key: str
    claim: str
    source: str
    kind: str
    datasets: tuple[str, ...]
    method: str = "dualnet"
    s: tuple[int, ...] | None = None
    value: float | None = None
    tolerance: float = 0.0
    others: tuple[str, ...] = ()
    paper_text: str = ""
    n_methods: int | None = None

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(
                f"Target {self.key!r}: kind={self.kind!r} is not one of {list(KINDS)}."
            )


FIG2 = "paper section 4.1 and Figure 2"
_SYNTHETIC_TARGETS = [
    target
    for name in SYNTHETIC
    for target in (
        Target(
            f"{name}.relevant", f"{name}: the relevant features selected in all 5 folds",
            FIG2, "relevant_all_folds", (name,), s=(5,), paper_text="all 5 folds",
        ),
        Target(
            f"{name}.irrelevant_negative", f"{name}: irrelevant features get negative scores",
            FIG2, "irrelevant_negative", (name,), s=(5,), paper_text="all < 0",
        ),
    )
] + [
    Target(
        f"{name}.best", f"{name}: best {label} of 10 methods", FIG2, "best_of", (name,),
        s=(5,), paper_text="rank 1 of 10", n_methods=10,
    )
    for name, label in (("xor", "accuracy"), ("regression", "MSE"))
]  # fmt: skip

MNIST = "paper section 4.2 (MNIST 3 vs 8, s = 85; stds from the paper's text)"
_MNIST_TARGETS = [
    Target("mnist38.dualnet", "MNIST 3 vs 8: test accuracy 99.31 ± 0.08 %", MNIST, "at_least",
           ("mnist38",), s=(85,), value=0.9931, tolerance=0.0008),
    Target("mnist38.dfs", "MNIST: DFS 97.42 ± 0.30 % (the paper's DFS kept 212 features)",
           MNIST, "at_least", ("mnist38",), method="dfs", value=0.9742, tolerance=0.0030),
    Target("mnist38.avgrad", "MNIST: AvGrad 99.27 ± 0.04 % (with all 784 features)", MNIST,
           "at_least", ("mnist38",), method="avgrad", value=0.9927, tolerance=0.0004),
    Target("mnist38.random_forest", "MNIST: RF 98.84 ± 0.03 % (with all 784 features)", MNIST,
           "at_least", ("mnist38",), method="random_forest", value=0.9884, tolerance=0.0003),
]  # fmt: skip

FIG4 = "paper section 4.2, Figure 4; supplement B.2"
FILTERS = ("rfe", "bahsic", "mrmr", "ccm")
_BENCHMARK_TARGETS = [
    Target("glass.level", "glass (ID kept): 90 %+", FIG4, "curve_reaches", ("glass",),
           value=0.90, paper_text="≥ 0.90"),
    Target("glass_no_id.level", "glass without ID: 75-80 %", "supplement B.2", "curve_reaches",
           ("glass_no_id",), value=0.75, paper_text="0.75-0.80"),
    Target("vowel.best", "vowel: best of RFE, BAHSIC, mRMR, CCM by a large margin", FIG4,
           "best_of", ("vowel",), others=FILTERS, paper_text="rank 1"),
    Target("yale.best", "yale: best of RFE, BAHSIC, mRMR, CCM by a large margin", FIG4,
           "best_of", ("yale",), others=FILTERS, paper_text="rank 1"),
    Target("tox171.ccm", "TOX-171: comparable to CCM", FIG4, "comparable", ("tox171",),
           others=("ccm",), paper_text="comparable"),
]  # fmt: skip

FIG5 = "paper section 4.3, Figure 5 (s = 35)"
REF_FIG = "SPEC section 5: the reference code's figure"
_ENHANCER_TARGETS = [
    Target("ep.dfs", "enhancer-promoter: comparable to DFS", FIG5, "comparable",
           ENHANCER_PROMOTER, s=(35,), others=("dfs",), paper_text="comparable"),
    Target("ep.rf", "enhancer-promoter: above RF", FIG5, "above", ENHANCER_PROMOTER, s=(35,),
           others=("random_forest",), paper_text="above"),
    Target("ep.rfe", "enhancer-promoter: above RFE", FIG5, "above", ENHANCER_PROMOTER, s=(35,),
           others=("rfe",), paper_text="above"),
    Target("ep.level", "enhancer-promoter: about 0.948 at s = 25..45", REF_FIG, "at_least",
           ENHANCER_PROMOTER, s=(25, 30, 35, 40, 45), value=0.948, tolerance=0.005,
           paper_text="about 0.948 (we allow 0.005 for 'about')"),
    Target("rnaseq.dualnet", "RNA-seq: accuracy 0.9938 with one classifier",
           "supplement C.2, Table V", "at_least", ("rnaseq",), s=(49,), value=0.9938),
]  # fmt: skip

TIME = "supplement C.1 (5-fold training time on enhancer-promoter)"
_TIME_TARGETS = [
    Target(f"time.{method}", f"enhancer-promoter training time: {label} about {value:g} s",
           TIME, "time_at_most", ENHANCER_PROMOTER, method=method, value=value)
    for method, label, value in (
        ("dualnet", "dual-net", 1100.0), ("random_forest", "RF", 2.5),
        ("san_aggr", "SAN (aggregate, san_aggr)", 35.0),
        ("san_global", "SAN (global, san_global)", 35.0), ("dfs", "DFS", 90.0),
        ("lime", "LIME", 540.0),
        ("rfe", "RFE", 1700.0),
    )
]  # fmt: skip

TARGETS: list[Target] = (
    _SYNTHETIC_TARGETS + _MNIST_TARGETS + _BENCHMARK_TARGETS + _ENHANCER_TARGETS + _TIME_TARGETS
)

# Supplement Table V (adapted by the paper from its reference [19], Table 7): earlier results on
# the RNA-seq data. (reference, samples, features, classes, selected features, classifiers, acc.)
TABLE_V_DATASET = "rnaseq"
TABLE_V_S = 49
TABLE_V_ROWS = [
    ("[20]", 96, 4026, 9, "<60", 1, 0.9730),
    ("[21]", 62, 6000, 2, "15", 1, 0.9677),
    ("[22]", 97, 24481, 2, "7", 7, 0.9381),
    ("[22]", 102, 12600, 2, "4", 7, 0.9706),
    ("[23]", 175, 1072, 2, "-", 110, 0.9500),
    ("[24]", 215, 1047, 4, "-", 20, 0.9860),
    ("[25]", 569, 32, 2, "24", 1, 0.9877),
    ("[19]", 801, 20531, 5, "49", 5, 0.9881),
    ("the paper (dual-net)", 801, 20531, 5, "49", 1, 0.9938),
]
