"""Shared fixtures: the real-data directory, the composed config, hardware gates."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import torch

REPO = Path(__file__).resolve().parent.parent
CONF_DIR = REPO / "conf"


def shared_data_path() -> Path:
    """``FIR_DATA_DIR`` if set, else ``../shared/data`` beside the checkout."""
    env = os.environ.get("FIR_DATA_DIR")
    return Path(env).expanduser() if env else REPO.parent / "shared" / "data"


@pytest.fixture(scope="session")
def shared_data_dir() -> Path:
    """The directory of the real datasets; tests that need it skip when it is missing."""
    path = shared_data_path()
    if not path.is_dir():
        pytest.skip(f"real data not found at {path}: set FIR_DATA_DIR to the shared data directory")
    return path


requires_cuda = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
