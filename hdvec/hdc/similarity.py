"""Similarity and distance between hypervectors (top-k search: ``search.py``).

Pairwise functions map ``(*A, w), (*B, w) -> (*A, *B)``; with ``pairwise=False``
they compare row by row, ``(..., w), (..., w) -> (...)``. Distances used for
search are lower-is-better for every metric: ``1 - cos``, ``-dot`` and the
Hamming count (float32, exact below 2**24).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .._backend import dtype_name, is_torch, same_backend
from . import _kernels as K

_FLOATS = ("float32", "int8", "int16", "int32", "complex64")


def _check_pair(a: Any, b: Any, dtypes: tuple[str, ...], pairwise: bool) -> bool:
    use_torch = same_backend(a=a, b=b)
    for name, x in (("a", a), ("b", b)):
        if not is_torch(x) and not isinstance(x, np.ndarray):
            raise TypeError(f"`{name}` must be a numpy.ndarray or torch.Tensor; got {type(x).__name__}")
        if dtype_name(x) not in dtypes:
            raise TypeError(f"`{name}` must have dtype {' or '.join(dtypes)}; got {dtype_name(x)}")
        if x.ndim < 1:
            raise ValueError(f"`{name}` must have at least one axis; got a scalar")
    if a.shape[-1] != b.shape[-1]:
        raise ValueError(f"`a` and `b` must have the same last dimension; got {a.shape[-1]} and {b.shape[-1]}")
    if dtype_name(a) != dtype_name(b) and "complex64" in (dtype_name(a), dtype_name(b)):
        raise TypeError(f"`a` and `b` must both be complex or both real; got {dtype_name(a)} and {dtype_name(b)}")
    if not pairwise:
        try:
            np.broadcast_shapes(tuple(a.shape[:-1]), tuple(b.shape[:-1]))
        except ValueError:
            raise ValueError(
                f"row-wise comparison needs broadcastable leading shapes; got {tuple(a.shape)} and {tuple(b.shape)}"
            ) from None
    return use_torch


def _real_view(x: np.ndarray) -> np.ndarray:
    """float32 form: complex64 (.., D) -> (.., 2D) [re, im]; integers cast."""
    if x.dtype == np.complex64:
        return np.ascontiguousarray(x).view(np.float32)
    return np.ascontiguousarray(x, dtype=np.float32)


def hamming(a: Any, b: Any, *, pairwise: bool = True) -> Any:
    """Hamming distances between packed uint64 bit vectors (XOR + popcount).

    Parameters
    ----------
    a, b : numpy.ndarray or torch.Tensor
        uint64 words with the same last axis, one backend.
    pairwise : bool
        True: every row of ``a`` against every row of ``b``. False: row by
        row, with broadcasting of the leading axes.

    Returns
    -------
    numpy.ndarray or torch.Tensor
        int32 counts of differing bits.

    Raises
    ------
    TypeError
        If an input is not uint64, or NumPy and torch are mixed.
    ValueError
        If the last axes differ or (row-wise) the leading shapes do not broadcast.

    Shapes
    ------
    pairwise ``(*A, nw), (*B, nw) -> (*A, *B)``; row-wise
    ``(..., nw), (..., nw) -> (...)``.
    """
    use_torch = _check_pair(a, b, ("uint64",), pairwise)
    if use_torch:
        from . import _torch as T

        return T.hamming(a, b, pairwise)
    a = np.ascontiguousarray(a)
    b = np.ascontiguousarray(b)
    if not pairwise:
        a2, b2 = np.broadcast_arrays(a, b)
        lead = a2.shape[:-1]
        a2 = np.ascontiguousarray(a2).reshape(-1, a.shape[-1])
        b2 = np.ascontiguousarray(b2).reshape(-1, a.shape[-1])
        out = np.empty(a2.shape[0], np.int32)
        K.hamming_rowwise(a2, b2, out)
        return out.reshape(lead)
    a2 = a.reshape(-1, a.shape[-1])
    b2 = b.reshape(-1, b.shape[-1])
    out = np.empty((a2.shape[0], b2.shape[0]), np.int32)
    by_rows = a2.shape[0] < 2 * K.num_threads()
    K.hamming_pairwise(a2, b2, K.num_threads() * (4 if by_rows else 1), by_rows, out)
    return out.reshape(a.shape[:-1] + b.shape[:-1])


def dot(a: Any, b: Any, *, pairwise: bool = True) -> Any:
    """Real dot products (``Re(a · conj(b))`` for complex vectors).

    Parameters
    ----------
    a, b : numpy.ndarray or torch.Tensor
        float32, int8, int16, int32 or complex64 vectors with the same last
        axis, one backend (both complex or both real).
    pairwise : bool
        True: all pairs. False: row by row, leading axes broadcast.

    Returns
    -------
    numpy.ndarray or torch.Tensor
        float32.

    Raises
    ------
    TypeError
        For another dtype, complex mixed with real, or NumPy mixed with torch.
    ValueError
        If the last axes differ.

    Shapes
    ------
    pairwise ``(*A, D), (*B, D) -> (*A, *B)``; row-wise ``(..., D), (..., D) -> (...)``.
    """
    use_torch = _check_pair(a, b, _FLOATS, pairwise)
    if use_torch:
        from . import _torch as T

        return T.dot(a, b, pairwise)
    ra, rb = _real_view(a), _real_view(b)
    if not pairwise:
        return np.einsum("...i,...i->...", ra, rb, dtype=np.float32)
    out = ra.reshape(-1, ra.shape[-1]) @ rb.reshape(-1, rb.shape[-1]).T
    return out.reshape(a.shape[:-1] + b.shape[:-1])


def norms(x: np.ndarray) -> np.ndarray:
    """Euclidean norms over the last axis, float32 (complex: of the 2D real form).

    Shapes
    ------
    ``(..., D) -> (...)``
    """
    r = np.ascontiguousarray(x).view(np.float32) if x.dtype == np.complex64 else np.ascontiguousarray(x)
    if r.size < 1 << 16:  # a parallel kernel costs more to start than a few rows take
        return np.sqrt(np.einsum("...i,...i->...", r, r, dtype=np.float64)).astype(np.float32)
    out = np.empty(r.shape[:-1], np.float32)
    K.row_norms(r.reshape(-1, r.shape[-1]), out.reshape(-1))
    return out


def _inv(n: np.ndarray) -> np.ndarray:
    out = np.zeros_like(n)
    np.divide(1.0, n, out=out, where=n > 0)
    return out


def cosine(a: Any, b: Any, *, pairwise: bool = True) -> Any:
    """Cosine similarity in [-1, 1]; a zero vector has similarity 0 to everything.

    Parameters
    ----------
    a, b : numpy.ndarray or torch.Tensor
        float32, int8, int16, int32 or complex64 vectors with the same last
        axis, one backend. Complex vectors are compared as their real form
        ``[re, im]``.
    pairwise : bool
        True: all pairs. False: row by row, leading axes broadcast.

    Returns
    -------
    numpy.ndarray or torch.Tensor
        float32.

    Raises
    ------
    TypeError
        For another dtype, complex mixed with real, or NumPy mixed with torch.
    ValueError
        If the last axes differ.

    Shapes
    ------
    pairwise ``(*A, D), (*B, D) -> (*A, *B)``; row-wise ``(..., D), (..., D) -> (...)``.
    """
    use_torch = _check_pair(a, b, _FLOATS, pairwise)
    if use_torch:
        from . import _torch as T

        return T.cosine(a, b, pairwise)
    d = dot(a, b, pairwise=pairwise)
    ia, ib = _inv(norms(a)), _inv(norms(b))
    if not pairwise:
        return (d * ia * ib).astype(np.float32)
    return (d * ia.reshape(ia.shape + (1,) * ib.ndim) * ib).astype(np.float32)


def similarity(a: Any, b: Any, *, metric: str = "cosine", pairwise: bool = True) -> Any:
    """Similarity (or, for ``"hamming"``, distance) by metric name.

    Parameters
    ----------
    a, b : numpy.ndarray or torch.Tensor
        Vector batches, one backend.
    metric : {"cosine", "dot", "hamming"}
        Dispatches to [`cosine`][hdvec.hdc.cosine], [`dot`][hdvec.hdc.dot]
        or [`hamming`][hdvec.hdc.hamming] (packed uint64 words).
    pairwise : bool
        True: all pairs. False: row by row.

    Returns
    -------
    numpy.ndarray or torch.Tensor
        float32 (cosine, dot) or int32 Hamming counts.

    Raises
    ------
    ValueError
        If ``metric`` is unknown.
    """
    funcs = {"cosine": cosine, "dot": dot, "hamming": hamming}
    if metric not in funcs:
        raise ValueError(f"`metric` must be one of {sorted(funcs)}; got {metric!r}")
    return funcs[metric](a, b, pairwise=pairwise)
