"""The paper's baselines as scikit-learn selectors yielding exactly ``s`` features.

One module per family: ``sklearn_based`` (LASSO, random forest, RFE), ``kernel`` (BAHSIC,
CCM), ``mrmr`` (MIQ), ``wrappers`` (forward selection), ``deep`` (DFS, AvGrad) and ``models``
(the downstream SVM and MLP factories). See docs/METHODS.md.
"""

from fir.baselines.deep import AvGradSelector, DFSSelector
from fir.baselines.kernel import BAHSICSelector, CCMSelector
from fir.baselines.mrmr import MRMRSelector
from fir.baselines.sklearn_based import LassoSelector, RandomForestSelector, RFESelector
from fir.baselines.wrappers import ForwardSelector

__all__ = [
    "AvGradSelector",
    "BAHSICSelector",
    "CCMSelector",
    "DFSSelector",
    "ForwardSelector",
    "LassoSelector",
    "MRMRSelector",
    "RFESelector",
    "RandomForestSelector",
]
