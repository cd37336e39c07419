"""BSC: binary spatter codes, bit-packed into uint64 words.

A ``dim``-bit vector is stored as ``ceil(dim / 64)`` uint64 words: bit ``i`` is
bit ``i % 64`` of word ``i // 64``. The unused high bits of the last word are
always zero; every operation here keeps them zero. Eight times smaller than
one byte per bit (Torchhd's layout), and Hamming distance is XOR + popcount.
"""

from __future__ import annotations

import sys
from typing import Any

import numpy as np

from .._backend import dtype_name, is_torch, torch_module
from .._validation import Seed
from . import _kernels as K
from .model import Model


def n_words(dim: int) -> int:
    """Number of uint64 words that hold ``dim`` bits: ``ceil(dim / 64)``.

    Parameters
    ----------
    dim : int
        Number of bits.

    Returns
    -------
    int
        Words per packed vector (157 for ``dim=10_000``).
    """
    return (dim + 63) // 64


def tail_mask(dim: int) -> np.uint64:
    """Mask of the used bits of the last word."""
    r = dim % 64
    return np.uint64(0xFFFFFFFFFFFFFFFF) if r == 0 else np.uint64((1 << r) - 1)


def pack_bits(bits: Any) -> Any:
    """Pack a bool (or 0/1) array, or a bipolar ±1 array, into uint64 words.

    Bit ``i`` goes to bit ``i % 64`` of word ``i // 64``; the unused high bits
    of the last word are zero. A bipolar value of -1 becomes bit 1 and +1
    bit 0, so XOR of packed vectors matches the product of bipolar ones.

    Parameters
    ----------
    bits : numpy.ndarray or torch.Tensor
        ``(..., dim)``: bool, or integers/floats holding only 0/1 or only -1/+1.

    Returns
    -------
    numpy.ndarray or torch.Tensor
        uint64 ``(..., ceil(dim / 64))``. NumPy in, NumPy out; torch in, torch
        out on the same device.

    Raises
    ------
    TypeError
        If ``bits`` is already uint64 (packed) or has another dtype.
    ValueError
        If the last axis is empty or values are not all 0/1 or all ±1.

    Shapes
    ------
    ``(..., dim) -> (..., ceil(dim / 64))``

    Examples
    --------
    >>> import numpy as np
    >>> from hdvec import hdc
    >>> w = hdc.pack_bits(np.array([1, 0, 1], bool))
    >>> w, hdc.unpack_bits(w, 3)
    (array([5], dtype=uint64), array([ True, False,  True]))
    """
    if is_torch(bits):
        from . import _torch as T

        return T.pack_bits(_bits_bool(bits, "bits"))
    b = _bits_bool(np.asarray(bits), "bits")
    dim = b.shape[-1]
    nw = n_words(dim)
    packed = np.packbits(b, axis=-1, bitorder="little")
    pad = nw * 8 - packed.shape[-1]
    if pad:
        packed = np.concatenate([packed, np.zeros(packed.shape[:-1] + (pad,), np.uint8)], axis=-1)
    words = np.ascontiguousarray(packed).view("<u8")
    return words.astype(np.uint64, copy=False) if sys.byteorder == "little" else words.astype(np.uint64)


def _bits_bool(bits: Any, name: str) -> Any:
    dt = dtype_name(bits)
    if bits.ndim < 1 or bits.shape[-1] == 0:
        raise ValueError(f"`{name}` must have shape (..., dim) with dim >= 1; got {tuple(bits.shape)}")
    if dt == "bool":
        return bits
    if dt in ("uint64",):
        raise TypeError(f"`{name}` looks packed already (uint64); pack_bits takes bool or ±1 arrays")
    if dt.startswith(("int", "uint", "float")):
        vals = bits.unique() if is_torch(bits) else np.unique(bits)
        vals = set(float(v) for v in vals)
        if vals <= {0.0, 1.0}:
            return bits != 0
        if vals <= {-1.0, 1.0}:
            return bits < 0
        raise ValueError(f"`{name}` must hold only 0/1 or -1/+1 values; got values {sorted(vals)[:5]}")
    raise TypeError(f"`{name}` must be a bool, 0/1 or ±1 array; got dtype {dt}")


def unpack_bits(words: Any, dim: int, *, bipolar: bool = False) -> Any:
    """Unpack uint64 words into bits (the inverse of ``pack_bits``).

    Parameters
    ----------
    words : numpy.ndarray or torch.Tensor
        uint64 ``(..., ceil(dim / 64))``.
    dim : int
        Number of bits to return.
    bipolar : bool
        False: bool bits. True: int8 ±1 (bit 1 -> -1, bit 0 -> +1).

    Returns
    -------
    numpy.ndarray or torch.Tensor
        ``(..., dim)`` bool, or int8 with ``bipolar=True``; same backend and
        device as ``words``.

    Raises
    ------
    TypeError
        If ``words`` is not uint64.
    ValueError
        If the last axis is not ``ceil(dim / 64)``.

    Shapes
    ------
    ``(..., ceil(dim / 64)) -> (..., dim)``
    """
    from .._validation import check_dim

    dim = check_dim(dim, "dim")
    check_words(words, dim, "words")
    if is_torch(words):
        from . import _torch as T

        bits = T.unpack_bits(words, dim)
        return (1 - 2 * bits.to(torch_module().int8)) if bipolar else bits
    w = np.ascontiguousarray(words)
    if sys.byteorder != "little":  # pragma: no cover
        w = w.astype("<u8")
    bits = np.unpackbits(w.view(np.uint8), axis=-1, count=dim, bitorder="little").view(bool)
    return (1 - 2 * bits.view(np.int8)).astype(np.int8) if bipolar else bits


def check_words(x: Any, dim: int, name: str) -> None:
    """Packed words must be uint64 of shape (..., ceil(dim / 64))."""
    if not is_torch(x) and not isinstance(x, np.ndarray):
        raise TypeError(f"`{name}` must be a numpy.ndarray or torch.Tensor of uint64 words; got {type(x).__name__}")
    dt = dtype_name(x)
    if dt != "uint64":
        raise TypeError(
            f"`{name}` must be packed uint64 words (dtype uint64); got dtype {dt}. "
            "Use hdc.pack_bits(bool_or_bipolar_array) to pack bits"
        )
    nw = n_words(dim)
    if x.ndim < 1 or x.shape[-1] != nw:
        raise ValueError(f"`{name}` must have shape (..., {nw}) ({dim} bits in uint64 words); got {tuple(x.shape)}")


def _flat2(x: np.ndarray) -> np.ndarray:
    return x.reshape(-1, x.shape[-1])


class BSC(Model):
    """Binary spatter codes on bit-packed uint64 words.

    bind = XOR (self-inverse), bundle = bitwise majority (ties broken by a
    fixed seeded tie-break vector), permute = cyclic bit rotation, distance =
    Hamming count, similarity = ``1 - 2 * hamming / dim`` (the cosine of the
    equivalent ±1 vectors). A vector is ``ceil(dim / 64)`` uint64 words:
    1,256 bytes at ``dim=10_000``, 1/8 of one byte per bit.

    Parameters
    ----------
    dim : int
        Number of bits (any positive int; 10,000 is customary).
    seed : int, numpy.random.Generator or None
        Seed of ``random`` and of the tie-break vector.

    Attributes
    ----------
    n_words : int
        Words per vector, ``ceil(dim / 64)`` (also ``width``).
    tiebreak : numpy.ndarray
        ``(n_words,)`` uint64 random vector that decides ties of ``bundle``.

    Examples
    --------
    >>> from hdvec import hdc
    >>> m = hdc.BSC(10_000, seed=0)
    >>> x = m.random(3)
    >>> x.shape, x.dtype
    ((3, 157), dtype('uint64'))
    >>> int(m.hamming(m.unbind(m.bind(x[0], x[1]), x[1]), x[0]))
    0
    """

    name = "BSC"
    vector_dtypes = ("uint64",)

    def __init__(self, dim: int, *, seed: Seed = None):
        super().__init__(dim, seed=seed)
        self.n_words = n_words(self.dim)
        self.mask = tail_mask(self.dim)
        tb_rng = np.random.default_rng(np.random.SeedSequence([self.entropy, 1]))
        self.tiebreak = self._draw(tb_rng, ())

    @property
    def width(self) -> int:
        """Length of the last axis of a stored vector: ``n_words = ceil(dim / 64)``."""
        return self.n_words

    def check(self, x: Any, name: str, dtypes=None, finite: bool = True) -> Any:
        check_words(x, self.dim, name)
        return super().check(x, name)

    def _draw(self, rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
        x = rng.integers(0, 2**64, size=shape + (self.n_words,), dtype=np.uint64, endpoint=False)
        x[..., -1] &= self.mask
        return x

    # ------------------------------------------------------------------ algebra
    def bind(self, a: Any, b: Any) -> Any:
        """Bind by XOR; leading axes broadcast.

        Parameters
        ----------
        a, b : numpy.ndarray or torch.Tensor
            uint64 words ``(..., nw)``, ``nw = ceil(dim / 64)``, one backend.

        Returns
        -------
        numpy.ndarray or torch.Tensor
            uint64 ``(..., nw)``.

        Raises
        ------
        TypeError
            If an input is not uint64 or NumPy and torch are mixed.
        ValueError
            If the last axis is not ``nw``.

        Shapes
        ------
        ``(..., nw), (..., nw) -> (..., nw)``
        """
        a, b, use_torch = self.check_pair(a, b)
        if use_torch:
            return a ^ b
        return np.bitwise_xor(a, b)

    def unbind(self, c: Any, b: Any) -> Any:
        """Undo ``bind``: XOR is its own inverse, so ``unbind(bind(a, b), b) == a``.

        Parameters
        ----------
        c : numpy.ndarray or torch.Tensor
            Bound words ``(..., nw)``.
        b : numpy.ndarray or torch.Tensor
            The words ``c`` was bound with, ``(..., nw)``.

        Returns
        -------
        numpy.ndarray or torch.Tensor
            uint64 ``(..., nw)``.

        Shapes
        ------
        ``(..., nw), (..., nw) -> (..., nw)``
        """
        c, b, use_torch = self.check_pair(c, b, ("c", "b"))
        return c ^ b if use_torch else np.bitwise_xor(c, b)

    def inverse(self, a: Any) -> Any:
        """Inverse under XOR: the vector itself.

        Returns
        -------
        numpy.ndarray or torch.Tensor
            A copy of ``a``, uint64 ``(..., nw)``.
        """
        a = self.check(a, "a")
        return a.clone() if is_torch(a) else a.copy()

    def bundle(self, x: Any, *, weights: Any = None) -> Any:
        """Bundle by bitwise majority along axis -2; ties take the bit of ``tiebreak``.

        Parameters
        ----------
        x : numpy.ndarray or torch.Tensor
            uint64 words ``(..., n, nw)``, ``n >= 1``.
        weights : array-like of shape (n,), optional
            Real weights: a weighted majority, bit = sign(sum_i w_i * (±1)).

        Returns
        -------
        numpy.ndarray or torch.Tensor
            uint64 ``(..., nw)``.

        Raises
        ------
        ValueError
            If ``x`` is an empty batch, or ``weights`` is not a finite real
            1-D array of length ``n``.

        Shapes
        ------
        ``(..., n, nw) -> (..., nw)``
        """
        x = self.check_batch(x, "x")
        use_torch = is_torch(x)
        n = x.shape[-2]
        if weights is not None:
            w = self.check_weights(weights, n)
            if use_torch:
                from . import _torch as T

                return T.weighted_majority(x, w, self.tiebreak, self.dim)
            lead = x.shape[:-2]
            xs = x.reshape((-1, n, self.n_words))
            out = np.empty((xs.shape[0], self.n_words), np.uint64)
            for i in range(xs.shape[0]):
                K.weighted_majority_bits(xs[i], w, self.tiebreak, out[i])
            return out.reshape(lead + (self.n_words,))
        if use_torch:
            from . import _torch as T

            return T.majority(x, self.tiebreak, self.dim)
        lead = x.shape[:-2]
        xs = x.reshape((-1, n, self.n_words))
        out = np.empty((xs.shape[0], self.n_words), np.uint64)
        K.majority_bits(xs, int(n).bit_length(), self.tiebreak, out)
        return out.reshape(lead + (self.n_words,))

    def permute(self, x: Any, shifts: int = 1) -> Any:
        """Cyclic rotation of the ``dim`` bits (``np.roll`` on the unpacked bits).

        Parameters
        ----------
        x : numpy.ndarray or torch.Tensor
            uint64 words ``(..., nw)``.
        shifts : int
            Bit positions to rotate by; negative rotates back.

        Returns
        -------
        numpy.ndarray or torch.Tensor
            uint64 ``(..., nw)``, unused tail bits still zero.

        Raises
        ------
        TypeError
            If ``shifts`` is not an int.

        Shapes
        ------
        ``(..., nw) -> (..., nw)``
        """
        x = self.check(x, "x")
        s = self.check_shift(shifts) % self.dim
        if is_torch(x):
            from . import _torch as T

            return T.rotate_bits(x, self.dim, s)
        out = np.empty_like(x)
        if s == 0:
            out[...] = x
            return out
        K.rotate_bits(_flat2(x), self.dim, s, _flat2(out))
        return out

    # ------------------------------------------------------------- comparison
    def hamming(self, a: Any, b: Any) -> Any:
        """Pairwise Hamming distances (number of differing bits).

        Parameters
        ----------
        a, b : numpy.ndarray or torch.Tensor
            uint64 words ``(*A, nw)`` and ``(*B, nw)``, one backend.

        Returns
        -------
        numpy.ndarray or torch.Tensor
            int32 ``(*A, *B)``.

        Shapes
        ------
        ``(*A, nw), (*B, nw) -> (*A, *B)``
        """
        from .similarity import hamming

        a, b, _ = self.check_pair(a, b)
        return hamming(a, b)

    def similarity(self, a: Any, b: Any) -> Any:
        """Pairwise similarity ``1 - 2 * hamming / dim``: the cosine of the ±1 forms.

        Parameters
        ----------
        a, b : numpy.ndarray or torch.Tensor
            uint64 words ``(*A, nw)`` and ``(*B, nw)``, one backend.

        Returns
        -------
        numpy.ndarray or torch.Tensor
            float32 in [-1, 1], ``(*A, *B)``; about 0 for unrelated vectors.

        Shapes
        ------
        ``(*A, nw), (*B, nw) -> (*A, *B)``
        """
        h = self.hamming(a, b)
        return 1.0 - h.float() * (2.0 / self.dim) if is_torch(h) else (1.0 - h * np.float32(2.0 / self.dim)).astype(np.float32)

    def distance(self, a: Any, b: Any) -> Any:
        """Pairwise distance, lower is better: the Hamming count as float32 (exact below 2**24).

        Returns
        -------
        numpy.ndarray or torch.Tensor
            float32 ``(*A, *B)``.

        Shapes
        ------
        ``(*A, nw), (*B, nw) -> (*A, *B)``
        """
        h = self.hamming(a, b)
        return h.float() if is_torch(h) else h.astype(np.float32)

    def to_bipolar(self, x: Any) -> Any:
        """Packed words to int8 ±1 (bit 1 -> -1): the MAP form of the same vector.

        Returns
        -------
        numpy.ndarray or torch.Tensor
            int8 ``(..., dim)``.

        Shapes
        ------
        ``(..., nw) -> (..., dim)``
        """
        return unpack_bits(self.check(x, "x"), self.dim, bipolar=True)

