"""The paper's baselines as scikit-learn selectors yielding exactly ``s`` features.

One module per family: ``sklearn_based`` (LASSO, random forest, RFE), ``kernel`` (BAHSIC,
CCM), ``mrmr`` (MIQ), ``wrappers`` (forward selection), ``deep`` (DFS, AvGrad), ``stg``
(stochastic gates), ``concrete`` (supervised concrete selector), ``san`` (self-attention,
``san_aggr`` / ``san_global``), ``lime_global`` (global LIME), ``lassonet_wrapper`` (the
``lassonet`` package) and ``models`` (the downstream SVM and MLP factories). See docs/METHODS.md.
"""

from fir.baselines.concrete import ConcreteSelector
from fir.baselines.deep import AvGradSelector, DFSSelector
from fir.baselines.kernel import BAHSICSelector, CCMSelector
from fir.baselines.lassonet_wrapper import LassoNetSelector
from fir.baselines.lime_global import LimeSelector
from fir.baselines.mrmr import MRMRSelector
from fir.baselines.san import SANAggregateSelector, SANGlobalSelector
from fir.baselines.sklearn_based import LassoSelector, RandomForestSelector, RFESelector
from fir.baselines.stg import STGSelector
from fir.baselines.wrappers import ForwardSelector

__all__ = [
    "AvGradSelector",
    "BAHSICSelector",
    "CCMSelector",
    "ConcreteSelector",
    "DFSSelector",
    "ForwardSelector",
    "LassoNetSelector",
    "LassoSelector",
    "LimeSelector",
    "MRMRSelector",
    "RFESelector",
    "RandomForestSelector",
    "SANAggregateSelector",
    "SANGlobalSelector",
    "STGSelector",
]
