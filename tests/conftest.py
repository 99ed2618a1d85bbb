"""Shared fixtures: the real-data directory, the composed config, hardware gates."""

from __future__ import annotations

import importlib.util
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType

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


# A DualNetSelector small enough for unit tests (a fit takes well under a second on a CPU).
TINY_DUALNET = dict(
    operator_hidden=(8,), selector_hidden=(8,), batch_size=16, mask_batch_size=8,
    phase2_start=16, max_batches=48, patience=16, final_search_steps=2, device="cpu",
)  # fmt: skip

requires_cuda = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")


@contextmanager
def script_module(name: str) -> Iterator[ModuleType]:
    """``scripts/<name>.py`` imported as a module, for the tests of a script; the scripts set
    torch's thread count, which is restored afterwards."""
    spec = importlib.util.spec_from_file_location(name, REPO / "scripts" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    threads = torch.get_num_threads()
    try:
        spec.loader.exec_module(module)
        yield module
    finally:
        del sys.modules[name]
        torch.set_num_threads(threads)
