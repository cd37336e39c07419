"""Backend dispatch: NumPy arrays go to Numba kernels, torch tensors to torch code.

Torch is imported lazily so NumPy-only users never pay for it. Output type
matches input type; mixing NumPy and torch in one call is a TypeError.
"""

from __future__ import annotations

import sys
from typing import Any

import numpy as np


def torch_module():
    """Import and return torch, with a clear error when it is not installed."""
    try:
        import torch
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError("this call needs torch: pip install 'hdvec[torch]' (torch==2.13.0)") from exc
    return torch


def is_torch(x: Any) -> bool:
    """True when ``x`` is a torch tensor (without importing torch)."""
    torch = sys.modules.get("torch")
    return torch is not None and isinstance(x, torch.Tensor)


def same_backend(**arrays: Any) -> bool:
    """Return True when all named inputs are torch tensors, False when all are NumPy-like.

    Raises TypeError naming the arguments when they mix the two, or when torch
    tensors sit on different devices.
    """
    kinds = {name: is_torch(a) for name, a in arrays.items() if a is not None}
    if not kinds:
        return False
    if len(set(kinds.values())) > 1:
        desc = ", ".join(f"`{n}` is {'a torch.Tensor' if t else type(arrays[n]).__name__}" for n, t in kinds.items())
        raise TypeError(f"inputs must all be NumPy arrays or all torch tensors; got {desc}")
    use_torch = next(iter(kinds.values()))
    if use_torch:
        devices = {name: arrays[name].device for name in kinds}
        if len(set(devices.values())) > 1:
            desc = ", ".join(f"`{n}` on {d}" for n, d in devices.items())
            raise ValueError(f"torch inputs must be on one device; got {desc}")
    return use_torch


def dtype_name(x: Any) -> str:
    """NumPy-style dtype name of an array or tensor ("int8", "uint64", ...)."""
    if is_torch(x):
        return str(x.dtype).replace("torch.", "")
    return np.asarray(x).dtype.name


def to_device(x: np.ndarray, device: Any) -> Any:
    """NumPy array -> torch tensor on ``device`` (None keeps NumPy)."""
    if device is None:
        return x
    torch = torch_module()
    return torch.from_numpy(np.ascontiguousarray(x)).to(device)


def to_numpy(x: Any) -> np.ndarray:
    """Torch tensor or array-like -> NumPy array (copies from GPU when needed)."""
    if is_torch(x):
        return x.detach().cpu().numpy()
    return np.asarray(x)
