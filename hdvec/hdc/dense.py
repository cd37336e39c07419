"""Dense models: the shared base (``DenseModel``) and MAP (bipolar int8 or real float32).

Dense models store one number per component along the last axis and compare
by cosine. MAP binds by elementwise product; HRR and FHRR (``fourier.py``)
by circular convolution and by the complex product of unit phasors.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .._backend import is_torch, torch_module
from .._validation import Seed, check_finite
from . import _kernels as K
from .binary import n_words, tail_mask, unpack_bits
from .model import Model


def gaussian(rng: np.random.Generator, shape: tuple[int, ...], dim: int) -> np.ndarray:
    """Random vectors with i.i.d. N(0, 1/dim) components (norm about 1).

    Returns
    -------
    numpy.ndarray
        float32, ``shape + (dim,)``.
    """
    return (rng.standard_normal(shape + (dim,)) / np.sqrt(dim)).astype(np.float32)


class DenseModel(Model):
    """Shared dense behaviour (MAP, HRR, FHRR, MBAT): sum bundling, cyclic-shift permutation, cosine."""

    def _bundle_sum(self, x: Any, weights: Any) -> Any:
        """Validate ``x`` and sum it over axis -2; NaN/inf found in the (small) result.

        A NaN or inf anywhere in the input makes its column's sum non-finite,
        so one test of the output replaces a pass over the input.
        """
        x = self.check_batch(x, "x", finite=False)
        s = self._sum(x, weights)
        if not is_torch(s):
            try:
                check_finite(s, "x")
            except ValueError:
                raise ValueError("`x` must contain only finite values; got NaN or inf (or a sum overflowed)") from None
        return s

    def _sum(self, x: Any, weights: Any) -> Any:
        """Sum (or weighted sum) over axis -2 of a validated batch.

        Integer input sums to int32 (weighted: float32); floats keep their dtype.
        """
        n = x.shape[-2]
        w = None if weights is None else self.check_weights(weights, n)
        if is_torch(x):
            from . import _torch as T

            return T.sum_rows(x, w)
        if w is not None:
            out_dtype = np.float32 if x.dtype.kind in "iu" else x.dtype
            return np.einsum("...nd,n->...d", x, w.astype(np.float32), dtype=out_dtype)
        lead = x.shape[:-2]
        xs = x.reshape((-1, n, x.shape[-1]))
        if x.dtype in (np.int8, np.float32):
            out = np.empty((xs.shape[0], x.shape[-1]), np.int32 if x.dtype == np.int8 else np.float32)
            K.sum_rows(xs, K.num_threads(), out)
        else:
            out = xs.sum(axis=1, dtype=np.int32 if x.dtype.kind in "iu" else x.dtype)
        return out.reshape(lead + (x.shape[-1],))

    def permute(self, x: Any, shifts: int = 1) -> Any:
        """Cyclic shift of the components (``np.roll`` on the last axis).

        Permutation marks position: ``permute(x, i)`` is quasi-orthogonal to
        ``x`` for ``i != 0`` and ``permute(permute(x, i), -i) == x``.

        Parameters
        ----------
        x : numpy.ndarray or torch.Tensor
            Vectors ``(..., D)`` of this model.
        shifts : int
            Positions to roll by; negative rolls back.

        Returns
        -------
        numpy.ndarray or torch.Tensor
            ``(..., D)``, same dtype, backend and device as ``x``.

        Raises
        ------
        TypeError
            If ``shifts`` is not an int, or ``x`` has the wrong type or dtype.
        ValueError
            If the last axis of ``x`` is not ``D`` or ``x`` holds NaN or inf.

        Shapes
        ------
        ``(..., D) -> (..., D)``
        """
        x = self.check(x, "x")
        s = self.check_shift(shifts)
        if is_torch(x):
            return torch_module().roll(x, s, dims=-1)
        out = np.empty_like(x)
        if x.size:
            K.roll_rows(x.reshape(-1, self.dim), s % self.dim, out.reshape(-1, self.dim))
        return out

    def similarity(self, a: Any, b: Any) -> Any:
        """Pairwise cosine similarity (higher is more similar).

        Parameters
        ----------
        a, b : numpy.ndarray or torch.Tensor
            Vector batches of this model, one backend.

        Returns
        -------
        numpy.ndarray or torch.Tensor
            float32 in [-1, 1], ``(*A, *B)``; a zero vector has similarity 0.

        Raises
        ------
        TypeError
            If the inputs mix NumPy and torch, or have the wrong dtype.
        ValueError
            If a last axis is not ``D``.

        Shapes
        ------
        ``(*A, D), (*B, D) -> (*A, *B)``
        """
        from .similarity import cosine

        a, b, _ = self.check_pair(a, b)
        return cosine(a, b)


class MAP(DenseModel):
    """Multiply-Add-Permute with bipolar (±1) random vectors.

    bind = elementwise product (self-inverse for bipolar vectors), bundle =
    sum (MAP-I) or its sign (MAP-B), permute = cyclic shift, similarity =
    cosine.

    Parameters
    ----------
    dim : int
        Number of components (10,000 is customary).
    dtype : {"float32", "int8"}
        Storage of vectors. ``int8`` keeps bipolar vectors at one byte per
        component; their sums (MAP-I bundles) are int32, which every method
        also accepts (int8, int16 and int32 inputs).
    binarize : bool
        False (MAP-I): ``bundle`` keeps the sum. True (MAP-B): ``bundle``
        returns the sign of the sum, ties broken by the seeded ``tiebreak``.
    seed : int, numpy.random.Generator or None
        Seed of ``random`` and of the tie-break vector.

    Attributes
    ----------
    tiebreak : numpy.ndarray
        ``(dim,)`` random bipolar vector that decides ties of MAP-B bundles.

    Raises
    ------
    ValueError
        If ``dtype`` is not "float32" or "int8".
    TypeError
        If ``binarize`` is not a bool.

    Notes
    -----
    The same seed gives the same vectors for both dtypes and for ``BSC``
    (bit 1 is -1).

    Examples
    --------
    >>> from hdvec import hdc
    >>> m = hdc.MAP(1000, dtype="int8", seed=0)
    >>> a, b = m.random(2)
    >>> bool((m.unbind(m.bind(a, b), b) == a).all())
    True
    """

    name = "MAP"

    def __init__(self, dim: int, *, dtype: str = "float32", binarize: bool = False, seed: Seed = None):
        super().__init__(dim, seed=seed)
        if dtype not in ("float32", "int8"):
            raise ValueError(f"`dtype` must be 'float32' or 'int8'; got {dtype!r}")
        if not isinstance(binarize, bool):
            raise TypeError(f"`binarize` must be a bool; got {type(binarize).__name__}")
        self.dtype = dtype
        self.binarize = binarize
        self.vector_dtypes = ("int8", "int16", "int32") if dtype == "int8" else ("float32",)
        tb_rng = np.random.default_rng(np.random.SeedSequence([self.entropy, 1]))
        self.tiebreak = self._draw(tb_rng, ())

    def __repr__(self) -> str:
        return f"MAP(dim={self.dim}, dtype={self.dtype!r}, binarize={self.binarize}, seed={self.seed!r})"

    def config(self) -> dict:
        return {**super().config(), "dtype": self.dtype, "binarize": self.binarize}

    def _draw(self, rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
        words = rng.integers(0, 2**64, size=shape + (n_words(self.dim),), dtype=np.uint64)
        words[..., -1] &= tail_mask(self.dim)
        bip = unpack_bits(words, self.dim, bipolar=True)
        return bip if self.dtype == "int8" else bip.astype(np.float32)

    def _multiply(self, a: Any, b: Any, names: tuple[str, str]) -> Any:
        """Elementwise product with broadcasting. NumPy rows go through a Numba
        kernel on all threads; for float32 it tests the product for NaN/inf in
        the same pass (no separate validation pass over the inputs)."""
        fused = not is_torch(a) and self.dtype == "float32"
        a, b, use_torch = self.check_pair(a, b, names, finite=not fused)
        if use_torch:
            return a * b
        if a.ndim == 2 and b.ndim == 2 and b.shape[0] in (1, a.shape[0]):
            x, y = a, b
        elif a.ndim == 2 and b.ndim == 2 and a.shape[0] == 1:
            x, y = b, a
        elif b.ndim == 1:
            x, y = a.reshape(-1, self.dim), b[None]
        else:  # other broadcasts: NumPy, then the same test on the result
            out = a * b
            if fused:
                check_finite(out, f"{names[0]}` and `{names[1]}")
            return out
        out = np.empty(x.shape, np.result_type(a, b))
        if not fused:
            K.mul_rows(x, y, out)
        elif K.mul_rows_f32(x, y, out):
            raise ValueError(f"`{names[0]}` and `{names[1]}` must contain only finite values; got NaN or inf "
                             "(or their product overflowed)")
        return out.reshape(np.broadcast_shapes(a.shape, b.shape))

    def bind(self, a: Any, b: Any) -> Any:
        """Bind by elementwise product; leading axes broadcast.

        Parameters
        ----------
        a, b : numpy.ndarray or torch.Tensor
            Vectors ``(..., D)`` of this model, one backend.

        Returns
        -------
        numpy.ndarray or torch.Tensor
            ``(..., D)`` (broadcast shape), in the dtype NumPy/torch promotes
            the inputs to (int8 x int8 stays int8).

        Raises
        ------
        TypeError
            If an input has the wrong type or dtype, or NumPy and torch are mixed.
        ValueError
            If a last axis is not ``D``, or a float input or the product holds NaN or inf.

        Shapes
        ------
        ``(..., D), (..., D) -> (..., D)``
        """
        return self._multiply(a, b, ("a", "b"))

    def unbind(self, c: Any, b: Any) -> Any:
        """Undo ``bind`` by multiplying by ``b`` again: exact for bipolar ``b`` (``b * b = 1``).

        Parameters
        ----------
        c : numpy.ndarray or torch.Tensor
            Bound vectors ``(..., D)``.
        b : numpy.ndarray or torch.Tensor
            The vectors ``c`` was bound with, ``(..., D)``.

        Returns
        -------
        numpy.ndarray or torch.Tensor
            ``(..., D)``: ``unbind(bind(a, b), b) == a``.

        Raises
        ------
        TypeError
            As for ``bind``: wrong type or dtype, or NumPy mixed with torch.
        ValueError
            As for ``bind``: wrong width, or NaN / inf.

        Shapes
        ------
        ``(..., D), (..., D) -> (..., D)``
        """
        return self._multiply(c, b, ("c", "b"))

    def inverse(self, a: Any) -> Any:
        """Inverse under binding: a bipolar vector is its own inverse.

        Returns
        -------
        numpy.ndarray or torch.Tensor
            A copy of ``a``, ``(..., D)``.
        """
        a = self.check(a, "a")
        return a.clone() if is_torch(a) else a.copy()

    def bundle(self, x: Any, *, weights: Any = None, binarize: bool | None = None) -> Any:
        """Bundle (superpose) the vectors along axis -2.

        MAP-I sums them; MAP-B takes the sign of the sum, with zeros replaced
        by the seeded ``tiebreak`` vector.

        Parameters
        ----------
        x : numpy.ndarray or torch.Tensor
            Vectors ``(..., n, D)``, ``n >= 1``.
        weights : array-like of shape (n,), optional
            Real weights: a weighted sum (or the sign of one).
        binarize : bool or None
            Overrides the model's ``binarize`` for this call; None keeps it.

        Returns
        -------
        numpy.ndarray or torch.Tensor
            ``(..., D)``. Sums: int8 input gives int32 (float32 when weighted),
            float32 stays float32. Signs (MAP-B): the model's dtype.

        Raises
        ------
        TypeError
            If ``x`` has the wrong type or dtype.
        ValueError
            If ``x`` is an empty batch, the sum is not finite, or ``weights``
            is not a finite real 1-D array of length ``n``.

        Shapes
        ------
        ``(..., n, D) -> (..., D)``
        """
        s = self._bundle_sum(x, weights)
        if not (self.binarize if binarize is None else binarize):
            return s
        if is_torch(s):
            from . import _torch as T

            return T.sign_tiebreak(s, self.tiebreak, self.dtype)
        return np.where(s > 0, 1, np.where(s < 0, -1, self.tiebreak)).astype(self.dtype)
