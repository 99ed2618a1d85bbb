"""fir: dual-net deep feature importance ranking (Wojtas & Chen, NeurIPS 2020)."""

from fir.selector import DualNetSelector

__version__ = "0.1.0"

__all__ = ["DualNetSelector", "__version__"]
