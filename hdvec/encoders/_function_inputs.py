"""Input checks of ``FunctionEncoder``: sample arrays, value ranges (given or learned) and bandwidths.

Each raises ``TypeError`` / ``ValueError`` naming the argument, what was
expected and what came.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from .._backend import to_numpy
from .._validation import check_finite


def as_real(v: Any, name: str) -> np.ndarray:
    arr = to_numpy(v)
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"`{name}` must be a real numeric array; got dtype {arr.dtype}")
    arr = arr.astype(np.float64, copy=False)
    check_finite(arr, name)
    return arr


def as_ranges(r: Any, n: int, name: str) -> np.ndarray | None:
    """None, ``(low, high)`` or ``(n, 2)`` -> None or ``(n, 2)`` float64 with high > low."""
    if r is None:
        return None
    try:
        arr = np.asarray(r, dtype=np.float64)
    except (TypeError, ValueError):
        raise TypeError(f"`{name}` must be None, (low, high) or an ({n}, 2) array of floats; got {r!r}") from None
    if arr.shape == (2,):
        arr = np.tile(arr, (n, 1))
    if arr.shape != (n, 2):
        raise ValueError(f"`{name}` must be None, (low, high) or an ({n}, 2) array; got shape {arr.shape}")
    if not (np.isfinite(arr).all() and (arr[:, 1] > arr[:, 0]).all()):
        raise ValueError(f"`{name}` must be finite with high > low; got {arr.tolist()}")
    return arr


def learned_range(arrays: list[np.ndarray], name: str) -> np.ndarray:
    """``(m, 2)`` [min, max] per column over ``(n, m)`` arrays; a constant column gets [v - 0.5, v + 0.5]."""
    both = np.concatenate(arrays, axis=0)
    if both.shape[0] == 0:
        raise ValueError(f"`{name}` must hold at least one sample to learn its range from; got none")
    lo, hi = both.min(axis=0), both.max(axis=0)
    flat = hi <= lo
    return np.stack([np.where(flat, lo - 0.5, lo), np.where(flat, hi + 0.5, hi)], axis=1)


def columns(v: Any, m: int, name: str, what: str) -> np.ndarray:
    """``v`` (n,) or (n, m) -> ``(n, m)`` finite float64."""
    arr = as_real(v, name)
    if arr.ndim == 1 and m == 1:
        arr = arr[:, None]
    if arr.ndim != 2 or arr.shape[1] != m:
        want = "(n,) or (n, 1)" if m == 1 else f"(n, {m})"
        raise ValueError(f"`{name}` must have shape {want} ({what}={m}); got {arr.shape}")
    return arr


def outside(arr: np.ndarray, ranges: np.ndarray, slack: np.ndarray | float = 0.0) -> float | None:
    """The value of ``arr`` (n, m) farthest outside its column's [low, high] widened by ``slack``
    (a fraction of the width), or None when all are inside."""
    width = ranges[:, 1] - ranges[:, 0]
    excess = np.maximum(ranges[:, 0] - arr, arr - ranges[:, 1]) / width - slack
    if arr.size == 0 or excess.max() <= 0:
        return None
    return float(arr.reshape(-1)[np.argmax(excess)])


def as_bandwidth(h: Any, n: int, name: str) -> np.ndarray:
    if isinstance(h, bool) or not isinstance(h, (int, float, np.integer, np.floating, Sequence, np.ndarray)):
        raise TypeError(f"`{name}` must be a positive float or a sequence of {n}; got {type(h).__name__}")
    try:
        arr = np.asarray(h, dtype=np.float64)
    except (TypeError, ValueError):
        raise TypeError(f"`{name}` must be a positive float or a sequence of {n}; got {h!r}") from None
    if arr.ndim == 0:
        arr = np.full(n, float(arr))
    if arr.shape != (n,):
        raise ValueError(f"`{name}` must be a float or have length {n}; got shape {arr.shape}")
    if not (np.isfinite(arr).all() and (arr > 0).all()):
        raise ValueError(f"`{name}` must be positive and finite; got {h!r}")
    return arr
