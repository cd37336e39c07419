"""VTB: vector-derived transformation binding (Gosmann & Eliasmith 2019).

A vector of ``dim = s * s`` components, read row-major as an ``s x s``
matrix ``Y``, defines the block-diagonal matrix ``V_y = sqrt(s) * diag(Y, ..., Y)``
(``s`` copies). Binding is ``B(x, y) = V_y x``: each length-``s`` chunk of
``x`` is multiplied by ``sqrt(s) * Y``. It is not commutative; ``V_y`` is
close to orthogonal for random unit vectors, so the transpose
``V_y^T = V_{y'}`` (``y'`` = the transposed matrix) undoes it approximately.
Both directions are one batched matrix product: ``bind`` reshapes to
``(..., s, s)`` and computes ``sqrt(s) * X @ Y.T``, ``unbind`` ``sqrt(s) * C @ Y``.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .._backend import is_torch
from .._validation import Seed, check_dim
from .dense import DenseModel


class VTB(DenseModel):
    """Vector-derived transformation binding: real unit vectors, block-matrix binding.

    bind(a, b) = ``V_b a`` (the paper's ``B(x, y) = V_y x``; Torchhd's
    ``a.bind(b)``), unbind(c, b) = ``V_b^T c`` (approximate), inverse(b) =
    the transposed matrix of ``b`` (so ``unbind(c, b) == bind(c, inverse(b))``),
    bundle = sum, permute = cyclic shift, similarity = cosine. Random vectors
    are i.i.d. normal, scaled to unit norm (Torchhd's ``VTBTensor.random``);
    float32.

    Parameters
    ----------
    dim : int
        Number of components; must be a perfect square ``s * s``.
    seed : int, numpy.random.Generator or None
        Seed of ``random``.

    Attributes
    ----------
    side : int
        ``s = sqrt(dim)``, the size of the blocks of ``V_y``.

    Raises
    ------
    TypeError
        If ``dim`` is not an int.
    ValueError
        If ``dim`` is not a perfect square.

    Notes
    -----
    Binding is not commutative (``bind(a, b) != bind(b, a)``), which is what
    makes VTB useful for ordered structure without permutations. Unbinding
    returns a noisy copy (cosine about 0.7 with the original at any ``dim``):
    compare it with candidates (``cleanup``) rather than testing equality.

    Examples
    --------
    >>> from hdvec import hdc
    >>> m = hdc.VTB(1024, seed=0)
    >>> a, b = m.random(2)
    >>> c = m.bind(a, b)
    >>> bool(m.similarity(m.unbind(c, b), a) > 0.5), bool(abs(m.similarity(c, m.bind(b, a))) < 0.2)
    (True, True)
    """

    name = "VTB"
    vector_dtypes = ("float32",)

    def __init__(self, dim: int, *, seed: Seed = None):
        d = check_dim(dim, "dim")
        side = math.isqrt(d)
        if side * side != d:
            raise ValueError(f"`dim` must be a perfect square for VTB (blocks of sqrt(dim) x sqrt(dim)); got {d} "
                             f"(nearest squares {side * side} and {(side + 1) ** 2})")
        super().__init__(d, seed=seed)
        self.side = side

    def _draw(self, rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
        x = rng.standard_normal(shape + (self.dim,))
        return (x / np.linalg.norm(x, axis=-1, keepdims=True)).astype(np.float32)

    def _product(self, a: Any, b: Any, transpose: bool, names: tuple[str, str]) -> Any:
        a, b, use_torch = self.check_pair(a, b, names)
        try:
            np.broadcast_shapes(tuple(a.shape), tuple(b.shape))
        except ValueError:
            raise ValueError(f"`{names[0]}` and `{names[1]}` must have broadcastable shapes; got "
                             f"{tuple(a.shape)} and {tuple(b.shape)}") from None
        s = self.side
        if use_torch:
            from . import _torch_blocks as TB

            return TB.vtb_product(a, b, s, transpose)
        am = a.reshape(a.shape[:-1] + (s, s))
        bm = b.reshape(b.shape[:-1] + (s, s))
        prod = np.matmul(am, bm if transpose else np.swapaxes(bm, -1, -2)) * np.float32(np.sqrt(s))
        return np.ascontiguousarray(prod, np.float32).reshape(prod.shape[:-2] + (self.dim,))

    def bind(self, a: Any, b: Any) -> Any:
        """Bind: ``V_b a``, each length-``s`` chunk of ``a`` times ``sqrt(s) * B`` (``B`` = ``b`` as ``s x s``).

        Parameters
        ----------
        a : numpy.ndarray or torch.Tensor
            float32 vectors ``(..., D)`` (the bound content).
        b : numpy.ndarray or torch.Tensor
            float32 vectors ``(..., D)`` (the binding matrix); leading axes broadcast.

        Returns
        -------
        numpy.ndarray or torch.Tensor
            float32 ``(..., D)``; ``bind(a, b) != bind(b, a)``.

        Raises
        ------
        TypeError
            If an input has the wrong type or dtype, or NumPy and torch are mixed.
        ValueError
            If a last axis is not ``D``, an input holds NaN or inf, or the
            leading axes do not broadcast.

        Shapes
        ------
        ``(..., D), (..., D) -> (..., D)``
        """
        return self._product(a, b, False, ("a", "b"))

    def unbind(self, c: Any, b: Any) -> Any:
        """Approximately undo ``bind``: ``V_b^T c`` (``sqrt(s) * C @ B`` on the ``s x s`` views).

        Parameters
        ----------
        c : numpy.ndarray or torch.Tensor
            Bound vectors ``(..., D)``.
        b : numpy.ndarray or torch.Tensor
            The vectors ``c`` was bound with (second argument of ``bind``), ``(..., D)``.

        Returns
        -------
        numpy.ndarray or torch.Tensor
            float32 ``(..., D)``: a noisy copy of the first argument of ``bind``.

        Shapes
        ------
        ``(..., D), (..., D) -> (..., D)``
        """
        return self._product(c, b, True, ("c", "b"))

    def inverse(self, a: Any) -> Any:
        """Approximate inverse under binding: the transpose of ``a`` read as an ``s x s`` matrix.

        Returns
        -------
        numpy.ndarray or torch.Tensor
            float32 ``(..., D)``, a copy; ``bind(c, inverse(b)) == unbind(c, b)``.

        Shapes
        ------
        ``(..., D) -> (..., D)``
        """
        a = self.check(a, "a")
        s = self.side
        m = a.reshape(tuple(a.shape[:-1]) + (s, s))
        if is_torch(a):
            return m.transpose(-1, -2).reshape(a.shape).contiguous()
        return np.ascontiguousarray(np.swapaxes(m, -1, -2)).reshape(a.shape)

    def bundle(self, x: Any, *, weights: Any = None) -> Any:
        """Bundle by summing along axis -2 (optionally weighted).

        Parameters
        ----------
        x : numpy.ndarray or torch.Tensor
            float32 vectors ``(..., n, D)``, ``n >= 1``.
        weights : array-like of shape (n,), optional
            Real weights of a weighted sum.

        Returns
        -------
        numpy.ndarray or torch.Tensor
            float32 ``(..., D)`` (not normalized).

        Shapes
        ------
        ``(..., n, D) -> (..., D)``
        """
        return self._bundle_sum(x, weights)
