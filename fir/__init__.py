"""fir: dual-net deep feature importance ranking (Wojtas & Chen, NeurIPS 2020)."""

from fir.selector import DualNetSelector

__version__ = "0.2.3"  # results may differ between versions: resume and fir-report check it

__all__ = ["DualNetSelector", "__version__"]
