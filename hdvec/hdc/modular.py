"""Integers modulo ``r``: MCR (modular composite) and CGR (cyclic group) representations.

A vector holds one integer in ``[0, r)`` per component (``r = block_size``),
stored as int16 (``r <= 32767``) or int32. Binding adds modulo ``r``, so it
is exact, commutative and invertible (negation). ``CyclicModel`` is the
shared machinery, also used by ``BSBC`` (``sparse_block.py``), whose block
indices follow the same algebra. Definitions follow Torchhd 5.8 (``MCRTensor``,
``CGRTensor``): similarity ``mean(1 - 4 * dcirc(a, b) / r)`` with the circular
distance ``dcirc = min((a - b) mod r, (b - a) mod r)``; MCR bundles by summing
unit phasors ``exp(2 pi i x / r)`` and rounding the angle back to an index,
CGR by the per-component mode.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .._backend import is_torch
from .._kernels import heaps_merge, heaps_write
from .._validation import Seed, check_dim
from . import _block_kernels as B
from . import _kernels as K
from .model import Model
from .search import (
    empty_results,
    knn,
    pad_results,
    work_k,
)

_SERIAL = 1 << 20  # searches comparing fewer components than this run as one task
_I64_MAX = np.iinfo(np.int64).max


def index_dtype(block_size: int) -> np.dtype:
    """Storage of indices in ``[0, block_size)``: int16 up to 32767, else int32."""
    return np.dtype(np.int16 if block_size <= np.iinfo(np.int16).max else np.int32)


class CyclicModel(Model):
    """Shared behaviour of integer-index models: bind = addition mod ``block_size``.

    Subclasses set ``_metric`` (0: number of unequal components, 1: sum of
    circular distances) and may override ``bundle`` and ``similarity``.
    Not exported; use ``BSBC``, ``MCR`` or ``CGR``.
    """

    _metric = 1
    own_cleanup = True  # hdc.knn / ItemMemory.cleanup defer to cleanup (the cosine scan does not apply)

    def __init__(self, dim: int, *, block_size: int, seed: Seed = None):
        super().__init__(dim, seed=seed)
        r = check_dim(block_size, "block_size", minimum=2)
        if r > np.iinfo(np.int32).max // 2:
            raise ValueError(f"`block_size` must be <= {np.iinfo(np.int32).max // 2}; got {r}")
        self.block_size = r
        self.dtype = index_dtype(r)
        self.vector_dtypes = (self.dtype.name,)
        tb_rng = np.random.default_rng(np.random.SeedSequence([self.entropy, 1]))
        self.tiebreak = tb_rng.integers(0, r, self.width, dtype=np.int64)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(dim={self.dim}, block_size={self.block_size}, seed={self.seed!r})"

    def config(self) -> dict:
        return {**super().config(), "block_size": self.block_size}

    def _draw(self, rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
        return rng.integers(0, self.block_size, shape + (self.width,), dtype=np.int64).astype(self.dtype)

    # ------------------------------------------------------------- checks
    def check(self, x: Any, name: str, dtypes: tuple[str, ...] | None = None, finite: bool = True) -> Any:
        """Like ``Model.check``, and require every index to lie in ``[0, block_size)``.

        Raises
        ------
        TypeError
            If ``x`` is not an array or tensor of the model's index dtype.
        ValueError
            If the last axis is not ``width`` or an index is out of range.
        """
        x = super().check(x, name, dtypes, finite)
        bad = B.out_of_range(x.reshape(-1), self.block_size) if not is_torch(x) and x.size else (
            is_torch(x) and _torch().out_of_range(x, self.block_size))
        if bad:
            raise ValueError(f"`{name}` must hold indices in [0, {self.block_size}) for {self!r}; "
                             f"got values from {int(x.min())} to {int(x.max())}")
        return x

    # ------------------------------------------------------------- algebra
    def _add(self, a: Any, b: Any, sign: int, names: tuple[str, str]) -> Any:
        a, b, use_torch = self.check_pair(a, b, names)
        try:
            shape = np.broadcast_shapes(tuple(a.shape), tuple(b.shape))
        except ValueError:
            raise ValueError(f"`{names[0]}` and `{names[1]}` must have broadcastable shapes; got "
                             f"{tuple(a.shape)} and {tuple(b.shape)}") from None
        if use_torch:
            return _torch().add_mod(a, b, self.block_size, sign)
        w = self.width
        if tuple(a.shape) == shape and (tuple(b.shape) == shape or b.size == w):
            x, y = a, b
        elif sign > 0 and tuple(b.shape) == shape and a.size == w:  # addition commutes: single row second
            x, y = b, a
        else:  # other broadcasts: NumPy, in int32
            return np.remainder(a.astype(np.int32) + sign * b.astype(np.int32), self.block_size).astype(self.dtype)
        out = np.empty(shape, self.dtype)
        B.add_mod_rows(x.reshape(-1, w), y.reshape(-1, w), self.block_size, sign, out.reshape(-1, w))
        return out

    def bind(self, a: Any, b: Any) -> Any:
        """Bind by componentwise addition modulo ``block_size``; leading axes broadcast.

        Parameters
        ----------
        a, b : numpy.ndarray or torch.Tensor
            Index vectors ``(..., w)`` of this model, one backend.

        Returns
        -------
        numpy.ndarray or torch.Tensor
            ``(..., w)`` in the model's dtype: ``(a + b) mod block_size``.

        Raises
        ------
        TypeError
            If an input has the wrong type or dtype, or NumPy and torch are mixed.
        ValueError
            If a last axis is not ``w``, an index is out of range, or the
            leading axes do not broadcast.

        Shapes
        ------
        ``(..., w), (..., w) -> (..., w)``
        """
        return self._add(a, b, 1, ("a", "b"))

    def unbind(self, c: Any, b: Any) -> Any:
        """Undo ``bind`` exactly: ``(c - b) mod block_size``.

        Parameters
        ----------
        c : numpy.ndarray or torch.Tensor
            Bound vectors ``(..., w)``.
        b : numpy.ndarray or torch.Tensor
            The vectors ``c`` was bound with, ``(..., w)``.

        Returns
        -------
        numpy.ndarray or torch.Tensor
            ``(..., w)``: ``unbind(bind(a, b), b) == a``.

        Shapes
        ------
        ``(..., w), (..., w) -> (..., w)``
        """
        return self._add(c, b, -1, ("c", "b"))

    def inverse(self, a: Any) -> Any:
        """Inverse under binding: ``(-a) mod block_size``, so ``bind(a, inverse(a))`` is all zeros.

        Returns
        -------
        numpy.ndarray or torch.Tensor
            ``(..., w)`` in the model's dtype.
        """
        a = self.check(a, "a")
        if is_torch(a):
            return _torch().add_mod(a.new_zeros(a.shape), a, self.block_size, -1)
        return np.remainder(-a.astype(np.int32), self.block_size).astype(self.dtype)

    def permute(self, x: Any, shifts: int = 1) -> Any:
        """Cyclic shift of the components (blocks for BSBC): ``np.roll`` on the last axis.

        Parameters
        ----------
        x : numpy.ndarray or torch.Tensor
            Vectors ``(..., w)``.
        shifts : int
            Positions to roll by; negative rolls back.

        Returns
        -------
        numpy.ndarray or torch.Tensor
            ``(..., w)``, same dtype, backend and device.

        Shapes
        ------
        ``(..., w) -> (..., w)``
        """
        x = self.check(x, "x")
        s = self.check_shift(shifts)
        if is_torch(x):
            import torch

            return torch.roll(x, s, dims=-1)
        out = np.empty_like(x)
        if x.size:
            K.roll_rows(x.reshape(-1, self.width), s % self.width, out.reshape(-1, self.width))
        return out

    def _mode_bundle(self, x: Any, weights: Any) -> Any:
        """Per-component (weighted) mode along axis -2, ties by ``tiebreak`` (see ``bundle``)."""
        x = self.check_batch(x, "x")
        n, w = x.shape[-2], self.width
        wt = None if weights is None else self.check_weights(weights, n)
        if is_torch(x):
            return _torch().mode_bundle(x, wt, self.block_size, self.tiebreak)
        xs = x.reshape(-1, n, w)
        out = np.empty((xs.shape[0], w), self.dtype)
        B.mode_bundle(xs, np.ones(n) if wt is None else wt, self.block_size, self.tiebreak, out)
        return out.reshape(x.shape[:-2] + (w,))

    bundle = _mode_bundle

    # ------------------------------------------------------------- comparison
    def _pairwise(self, a: Any, b: Any) -> Any:
        """int64 ``(*A, *B)`` distances by the model's metric."""
        a, b, use_torch = self.check_pair(a, b)
        if use_torch:
            return _torch().pairwise(a, b, self.block_size, self._metric)
        a2, b2 = a.reshape(-1, self.width), b.reshape(-1, self.width)
        out = np.empty((a2.shape[0], b2.shape[0]), np.int64)
        B.pairwise(a2, b2, self.block_size, self._metric, out)
        return out.reshape(a.shape[:-1] + b.shape[:-1])

    def distance(self, a: Any, b: Any) -> Any:
        """Pairwise distance, lower is better: the sum of circular distances ``dcirc`` (BSBC: unequal blocks).

        Returns
        -------
        numpy.ndarray or torch.Tensor
            float32 ``(*A, *B)`` (integers, exact below 2**24).

        Shapes
        ------
        ``(*A, w), (*B, w) -> (*A, *B)``
        """
        d = self._pairwise(a, b)
        return d.float() if is_torch(d) else d.astype(np.float32)

    def similarity(self, a: Any, b: Any) -> Any:
        """Pairwise similarity ``mean(1 - 4 * dcirc / block_size)`` (Torchhd's MCR / CGR).

        Parameters
        ----------
        a, b : numpy.ndarray or torch.Tensor
            Index vectors ``(*A, w)`` and ``(*B, w)``, one backend.

        Returns
        -------
        numpy.ndarray or torch.Tensor
            float32 in [-1, 1], ``(*A, *B)``: 1 for equal vectors, about 0 for
            unrelated ones, -1 when every component is opposite.

        Shapes
        ------
        ``(*A, w), (*B, w) -> (*A, *B)``
        """
        return self._similarity_of_distance(self._pairwise(a, b))

    def _similarity_of_distance(self, d: Any) -> Any:
        """``similarity`` from ``distance`` values: ``1 - 4 d / (block_size * width)``; float32, same shape."""
        return self._affine(d, 4.0 / (self.block_size * self.width))

    @staticmethod
    def _affine(d: Any, scale: float) -> Any:
        """float32 ``1 - d * scale`` (float64 arithmetic), NumPy or torch."""
        return (1.0 - d.double() * scale).float() if is_torch(d) else (1.0 - np.asarray(d, np.float64) * scale).astype(np.float32)

    def cleanup(self, queries: Any, items: Any, k: int = 1) -> tuple[Any, Any]:
        """Top-k nearest ``items`` for every query by ``distance`` (exact scan of the indices).

        Parameters
        ----------
        queries : numpy.ndarray or torch.Tensor
            ``(nq, w)``, or one query ``(w,)``.
        items : numpy.ndarray or torch.Tensor
            ``(n, w)``, same backend as ``queries``.
        k : int
            Neighbours per query (>= 1; padded with ``(inf, -1)`` when ``k > n``).

        Returns
        -------
        distances : numpy.ndarray or torch.Tensor
            float32 ``(nq, k)``, ascending.
        indices : numpy.ndarray or torch.Tensor
            int64 ``(nq, k)`` rows of ``items``, ties to the lower row.

        Shapes
        ------
        ``(nq, w), (n, w) -> (nq, k), (nq, k)``; ``(w,), (n, w) -> (k,), (k,)``
        """
        return knn(self, queries, items, k)  # validates, then calls _topk / _topk_torch

    def _topk_torch(self, q: Any, items: Any, k: int) -> tuple[Any, Any]:
        """Torch top-k of validated ``(nq, w)`` queries over ``(n, w)`` items, on their device."""
        return _torch().knn(q, items, self.block_size, self._metric, k)

    def _topk(self, q: np.ndarray, items: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """NumPy top-k of validated ``(nq, w)`` queries over ``(n, w)`` items: ``(nq, k)`` float32, int64."""
        nq, n = q.shape[0], items.shape[0]
        kk = work_k(k, nq, n)
        if kk == 0:
            return empty_results(nq, k)
        threads = K.num_threads()
        by_rows = nq < 2 * threads and n >= 4 * threads and nq * n * self.width >= _SERIAL
        n_parts = 1 if nq * n * self.width < _SERIAL else (threads * 4 if by_rows else min(threads, nq))
        part_d = np.full((n_parts if by_rows else 1, nq, kk), _I64_MAX, np.int64)
        part_i = np.full(part_d.shape, _I64_MAX, np.int64)
        B.topk_scan(q, items, self.block_size, self._metric, n_parts, by_rows, part_d, part_i)
        hd, hi = part_d[0], part_i[0]
        if by_rows:
            hd, hi = np.full((nq, kk), _I64_MAX, np.int64), np.full((nq, kk), _I64_MAX, np.int64)
            heaps_merge(part_d, part_i, hd, hi)
        d, i = np.empty((nq, kk), np.float32), np.empty((nq, kk), np.int64)
        heaps_write(hd, hi, d, i)
        return pad_results(d, i, k)


def _torch():
    from . import _torch_blocks

    return _torch_blocks


class MCR(CyclicModel):
    """Modular composite representation (Snaider & Franklin 2014): integers mod ``block_size``.

    bind = addition mod r (exact, commutative), unbind = subtraction, inverse
    = negation, bundle = the angle of the sum of unit phasors
    ``exp(2 pi i x / r)`` rounded back to the nearest index, permute = cyclic
    shift, similarity = ``mean(1 - 4 * dcirc / r)`` (Torchhd's ``MCRTensor``).

    Parameters
    ----------
    dim : int
        Number of components.
    block_size : int
        The modulus r, >= 2 (Torchhd's name; 16 is customary).
    seed : int, numpy.random.Generator or None
        Seed of ``random`` (indices uniform in ``[0, r)``).

    Attributes
    ----------
    block_size : int
        The modulus r.
    dtype : numpy.dtype
        int16 (r <= 32767) or int32.

    Raises
    ------
    TypeError, ValueError
        If ``dim`` or ``block_size`` is not an int, or ``block_size < 2``.

    Notes
    -----
    Bundle ties: a component whose phasor sum has modulus <= 1e-9 x the total
    weight has no angle; it takes the (weighted) mean of the indices, rounded
    (Torchhd's rule). Rounding sends values within 1e-6 of a half to the even
    integer (torch.round's rule), so float noise never splits NumPy and torch.

    Examples
    --------
    >>> from hdvec import hdc
    >>> m = hdc.MCR(1000, block_size=16, seed=0)
    >>> a, b, c = m.random(3)
    >>> bool((m.unbind(m.bind(a, b), b) == a).all())
    True
    >>> s = m.similarity(m.bundle(m.random(3, seed=1)), m.random(3, seed=1))
    >>> bool(s.min() > 0.3)
    True
    """

    name = "MCR"

    def bundle(self, x: Any, *, weights: Any = None) -> Any:
        """Bundle along axis -2: sum the unit phasors, quantize the angle back to the nearest index.

        Parameters
        ----------
        x : numpy.ndarray or torch.Tensor
            Index vectors ``(..., n, w)``, ``n >= 1``.
        weights : array-like of shape (n,), optional
            Real weights of the phasor sum.

        Returns
        -------
        numpy.ndarray or torch.Tensor
            ``(..., w)`` in the model's dtype.

        Raises
        ------
        ValueError
            If ``x`` is an empty batch or ``weights`` is malformed.

        Shapes
        ------
        ``(..., n, w) -> (..., w)``
        """
        x = self.check_batch(x, "x")
        n, w, r = x.shape[-2], self.width, self.block_size
        wt = np.ones(n) if weights is None else self.check_weights(weights, n)
        ang = 2.0 * np.pi * np.arange(r) / r
        cos_t, sin_t = np.cos(ang), np.sin(ang)
        zero_tol = 1e-9 * max(float(np.abs(wt).sum()), 1.0)
        if is_torch(x):
            return _torch().phasor_bundle(x, wt, cos_t, sin_t, r, zero_tol, 1e-6)
        xs = x.reshape(-1, n, w)
        out = np.empty((xs.shape[0], w), self.dtype)
        B.phasor_bundle(xs, wt, cos_t, sin_t, r, zero_tol, 1e-6, out)
        return out.reshape(x.shape[:-2] + (w,))


class CGR(CyclicModel):
    """Cyclic group representation: integers mod ``block_size`` with a majority (mode) bundle.

    The algebra of ``MCR`` (bind = addition mod r, unbind = subtraction,
    inverse = negation, permute = cyclic shift, similarity = ``mean(1 - 4 *
    dcirc / r)``, as Torchhd's ``CGRTensor``, which shares MCR's similarity);
    bundle = the per-component mode, ties broken by the seeded ``tiebreak``
    (the tied index first reached going up cyclically from ``tiebreak[j]``).

    Parameters
    ----------
    dim : int
        Number of components.
    block_size : int
        The modulus r, >= 2.
    seed : int, numpy.random.Generator or None
        Seed of ``random`` and of ``tiebreak``.

    Attributes
    ----------
    tiebreak : numpy.ndarray
        ``(dim,)`` int64 in ``[0, r)``: where each component's tie search starts.

    Examples
    --------
    >>> from hdvec import hdc
    >>> m = hdc.CGR(1000, block_size=8, seed=0)
    >>> x = m.random(3)
    >>> b = m.bundle(x)
    >>> bool((m.similarity(b, x) > 0.3).all())
    True
    """

    name = "CGR"

    def bundle(self, x: Any, *, weights: Any = None) -> Any:
        """Bundle along axis -2 by the per-component (weighted) mode; ties go by ``tiebreak``.

        Parameters
        ----------
        x : numpy.ndarray or torch.Tensor
            Index vectors ``(..., n, w)``, ``n >= 1``.
        weights : array-like of shape (n,), optional
            Real weights: an index's count is the sum of its rows' weights.

        Returns
        -------
        numpy.ndarray or torch.Tensor
            ``(..., w)`` in the model's dtype.

        Shapes
        ------
        ``(..., n, w) -> (..., w)``
        """
        return self._mode_bundle(x, weights)
