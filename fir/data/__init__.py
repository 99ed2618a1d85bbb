"""Datasets: the :class:`Dataset` record and its loaders (synthetic generators and files)."""

from fir.data.base import Dataset, Split

__all__ = ["Dataset", "Split"]
