"""Seeds, generators and the device: decided once, passed down explicitly."""

from __future__ import annotations

import numpy as np
import torch

DEVICE_CHOICES = ("auto", "cpu", "cuda")


def resolve_device(device: str | torch.device) -> torch.device:
    """Turn ``"auto" | "cpu" | "cuda" | "cuda:N"`` into a concrete :class:`torch.device`.

    ``"auto"`` picks CUDA when it is available and the CPU otherwise. Asking for CUDA on a
    machine without it is an error that names the fix.
    """
    if isinstance(device, torch.device):
        device = str(device)
    if not isinstance(device, str):
        raise ValueError(
            f"device={device!r} is not supported; expected one of {DEVICE_CHOICES} or 'cuda:N' "
            "('auto' uses CUDA when present)."
        )
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if device == "cpu":
        return torch.device("cpu")
    if device == "cuda" or device.startswith("cuda:"):
        if not torch.cuda.is_available():
            raise ValueError(
                f"device={device!r} was requested but CUDA is not available on this machine "
                f"(torch {torch.__version__}). Use device=auto or device=cpu."
            )
        index = device.partition(":")[2]
        count = torch.cuda.device_count()
        if index and not (index.isdigit() and int(index) < count):
            raise ValueError(
                f"device={device!r} is not a GPU of this machine, which has {count}: use "
                f"cuda:0..cuda:{count - 1}, cuda or auto."
            )
        return torch.device(device)
    raise ValueError(
        f"device={device!r} is not supported; expected one of {DEVICE_CHOICES} or 'cuda:N'."
    )


def make_generators(
    random_state: int | np.random.Generator | None, device: torch.device
) -> tuple[np.random.Generator, torch.Generator]:
    """Build the NumPy and torch generators of one fit from a single seed.

    ``random_state=None`` draws fresh entropy; an int gives reproducible generators. The torch
    generator lives on ``device`` so that random masks and batches are drawn there.
    """
    rng = (
        random_state
        if isinstance(random_state, np.random.Generator)
        else np.random.default_rng(random_state)
    )
    torch_gen = torch.Generator(device=device)
    torch_gen.manual_seed(int(rng.integers(0, 2**63 - 1)))
    return rng, torch_gen


def derive_seed(seed: int, *keys: int) -> int:
    """A child seed for (seed, key...) that does not collide across folds or repetitions."""
    return int(np.random.SeedSequence([seed, *keys]).generate_state(1, dtype=np.uint64)[0] >> 1)
