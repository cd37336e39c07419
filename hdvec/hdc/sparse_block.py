"""BSBC: binary sparse block codes, stored as the index of the one active bit of each block.

A ``dim``-bit vector is cut into ``n_blocks = dim // block_size`` blocks with
exactly one bit set in each (Laiho et al. 2015). Only the positions are
stored: ``(..., n_blocks)`` int16 (``block_size <= 32767``) or int32, so a
10,000-bit code with blocks of 100 bits is 100 int16 values (200 bytes).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .._backend import is_torch
from .._validation import Seed, check_dim
from .modular import CyclicModel


class BSBC(CyclicModel):
    """Binary sparse block codes: one active bit per block, stored as block indices.

    bind = blockwise index addition mod ``block_size`` (a cyclic shift of each
    block; exact, commutative), unbind = subtraction, inverse = negation mod
    ``block_size``, bundle = per block the most frequent index (the argmax of
    the block's histogram), permute = roll of the blocks, similarity = the
    fraction of equal blocks (Torchhd's ``BSBCTensor`` cosine), distance =
    the number of unequal blocks.

    Parameters
    ----------
    dim : int
        Number of bits, a multiple of ``block_size``.
    block_size : int
        Bits per block, >= 2; random pairs share about ``1 / block_size`` of
        their blocks.
    seed : int, numpy.random.Generator or None
        Seed of ``random`` and of ``tiebreak``.

    Attributes
    ----------
    n_blocks : int
        Blocks per vector, ``dim // block_size`` (also ``width``).
    dtype : numpy.dtype
        int16 (block_size <= 32767) or int32.
    tiebreak : numpy.ndarray
        ``(n_blocks,)`` int64 in ``[0, block_size)``. Bundle ties: among the
        indices tied for the largest count in block ``j``, the one first
        reached going up cyclically from ``tiebreak[j]`` wins (deterministic,
        seeded, and unbiased over random seeds).

    Raises
    ------
    TypeError
        If ``dim`` or ``block_size`` is not an int.
    ValueError
        If ``block_size < 2`` or ``dim`` is not a multiple of ``block_size``.

    Examples
    --------
    >>> from hdvec import hdc
    >>> m = hdc.BSBC(10_000, block_size=100, seed=0)
    >>> x = m.random(3)
    >>> x.shape, x.dtype
    ((3, 100), dtype('int16'))
    >>> bool((m.unbind(m.bind(x[0], x[1]), x[1]) == x[0]).all())
    True
    >>> float(m.similarity(x[0], x[0]))
    1.0
    """

    name = "BSBC"
    _metric = 0

    def __init__(self, dim: int, *, block_size: int, seed: Seed = None):
        d = check_dim(dim, "dim")
        r = check_dim(block_size, "block_size", minimum=2)
        if d % r:
            raise ValueError(f"`dim` must be a multiple of `block_size` = {r} (one active bit per block); got "
                             f"dim={d} ({d // r} blocks and {d % r} bits over)")
        self.n_blocks = d // r
        super().__init__(d, block_size=r, seed=seed)

    @property
    def width(self) -> int:
        """Length of the last axis of a stored vector: ``n_blocks = dim // block_size``."""
        return self.n_blocks

    def bundle(self, x: Any, *, weights: Any = None) -> Any:
        """Bundle along axis -2: per block, the index with the largest (weighted) count.

        Parameters
        ----------
        x : numpy.ndarray or torch.Tensor
            Block indices ``(..., n, n_blocks)``, ``n >= 1``.
        weights : array-like of shape (n,), optional
            Real weights: an index's count is the sum of its rows' weights.

        Returns
        -------
        numpy.ndarray or torch.Tensor
            ``(..., n_blocks)`` in the model's dtype. Ties: see ``tiebreak``.

        Raises
        ------
        ValueError
            If ``x`` is an empty batch or ``weights`` is malformed.

        Shapes
        ------
        ``(..., n, n_blocks) -> (..., n_blocks)``
        """
        return self._mode_bundle(x, weights)

    def similarity(self, a: Any, b: Any) -> Any:
        """Pairwise fraction of equal blocks (the cosine of the sparse bit vectors).

        Parameters
        ----------
        a, b : numpy.ndarray or torch.Tensor
            Block indices ``(*A, n_blocks)`` and ``(*B, n_blocks)``, one backend.

        Returns
        -------
        numpy.ndarray or torch.Tensor
            float32 in [0, 1], ``(*A, *B)``; about ``1 / block_size`` for unrelated vectors.

        Shapes
        ------
        ``(*A, n_blocks), (*B, n_blocks) -> (*A, *B)``
        """
        return self._similarity_of_distance(self._pairwise(a, b))

    def _similarity_of_distance(self, d: Any) -> Any:
        """``similarity`` from ``distance`` values (unequal blocks): ``1 - d / n_blocks``; float32, same shape."""
        return self._affine(d, 1.0 / self.n_blocks)

    def distance(self, a: Any, b: Any) -> Any:
        """Pairwise number of unequal blocks as float32 (lower is better; half the Hamming distance of the bits).

        Returns
        -------
        numpy.ndarray or torch.Tensor
            float32 ``(*A, *B)``.

        Shapes
        ------
        ``(*A, n_blocks), (*B, n_blocks) -> (*A, *B)``
        """
        return super().distance(a, b)

    def to_bits(self, x: Any) -> Any:
        """Expand block indices to the sparse bit vectors (one-hot per block).

        Returns
        -------
        numpy.ndarray or torch.Tensor
            bool ``(..., dim)``: bit ``j * block_size + x[..., j]`` is set.

        Shapes
        ------
        ``(..., n_blocks) -> (..., dim)``
        """
        x = self.check(x, "x")
        if is_torch(x):
            import torch

            bits = torch.nn.functional.one_hot(x.long(), self.block_size).bool()
        else:
            bits = x[..., None] == np.arange(self.block_size, dtype=x.dtype)
        return bits.reshape(tuple(x.shape[:-1]) + (self.dim,))
