"""Fourier-domain dense models: HRR (circular-convolution binding) and FHRR (unit phasors).

Both store one number per component and compare by cosine; HRR binds by
circular convolution (computed with the real FFT), FHRR by the elementwise
complex product, which is the same operation in the frequency domain.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .._backend import is_torch
from .dense import DenseModel, gaussian


class HRR(DenseModel):
    """Holographic reduced representations: real vectors, circular-convolution binding.

    bind = circular convolution (via the real FFT), unbind = binding with the
    (approximate or exact) inverse, bundle = sum, permute = cyclic shift,
    similarity = cosine. Vectors are float32.

    Parameters
    ----------
    dim : int
        Number of components.
    seed : int, numpy.random.Generator or None
        Seed of ``random``.

    Notes
    -----
    Random vectors have i.i.d. N(0, 1/dim) components. ``inverse`` is the
    approximate (involution) inverse by default; ``exact=True`` divides in
    the Fourier domain, which is exact but amplifies noise where a Fourier
    coefficient is small. Unbinding with the approximate inverse returns a
    noisy copy: compare it with candidates (cleanup) rather than testing
    equality.
    """

    name = "HRR"
    vector_dtypes = ("float32",)

    def _draw(self, rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
        return gaussian(rng, shape, self.dim)

    def bind(self, a: Any, b: Any) -> Any:
        """Bind by circular convolution (computed with the real FFT); leading axes broadcast.

        Parameters
        ----------
        a, b : numpy.ndarray or torch.Tensor
            float32 vectors ``(..., D)``, one backend.

        Returns
        -------
        numpy.ndarray or torch.Tensor
            float32 ``(..., D)``.

        Raises
        ------
        TypeError
            If an input has the wrong type or dtype, or NumPy and torch are mixed.
        ValueError
            If a last axis is not ``D`` or an input holds NaN or inf.

        Shapes
        ------
        ``(..., D), (..., D) -> (..., D)``
        """
        a, b, use_torch = self.check_pair(a, b)
        if use_torch:
            from . import _torch as T

            return T.circular_conv(a, b, self.dim)
        return np.fft.irfft(np.fft.rfft(a) * np.fft.rfft(b), n=self.dim).astype(np.float32)

    def inverse(self, a: Any, *, exact: bool = False) -> Any:
        """Inverse under circular convolution.

        Parameters
        ----------
        a : numpy.ndarray or torch.Tensor
            float32 vectors ``(..., D)``.
        exact : bool
            False: the involution ``a[-i mod D]`` (approximate inverse, stable).
            True: ``irfft(1 / rfft(a))`` (exact).

        Returns
        -------
        numpy.ndarray or torch.Tensor
            float32 ``(..., D)``.

        Raises
        ------
        ValueError
            With ``exact=True``, if ``a`` has a zero Fourier coefficient.
        """
        a = self.check(a, "a")
        if is_torch(a):
            from . import _torch as T

            return T.hrr_inverse(a, self.dim, exact)
        if not exact:
            return np.roll(a[..., ::-1], 1, axis=-1)
        f = np.fft.rfft(a.astype(np.float64))
        if np.any(np.abs(f) == 0):
            raise ValueError("`a` has a zero Fourier coefficient: it has no exact HRR inverse")
        return np.fft.irfft(1.0 / f, n=self.dim).astype(np.float32)

    def unbind(self, c: Any, b: Any, *, exact: bool = False) -> Any:
        """Undo ``bind``: bind ``c`` with the inverse of ``b``.

        Parameters
        ----------
        c : numpy.ndarray or torch.Tensor
            Bound vectors ``(..., D)``.
        b : numpy.ndarray or torch.Tensor
            The vectors ``c`` was bound with, ``(..., D)``.
        exact : bool
            False (default): approximate inverse, a noisy copy of the partner.
            True: Fourier division, exact up to float rounding.

        Returns
        -------
        numpy.ndarray or torch.Tensor
            float32 ``(..., D)``.

        Raises
        ------
        ValueError
            With ``exact=True``, if ``b`` has a zero Fourier coefficient.

        Shapes
        ------
        ``(..., D), (..., D) -> (..., D)``
        """
        c, b, use_torch = self.check_pair(c, b, ("c", "b"))
        if use_torch:
            from . import _torch as T

            return T.hrr_unbind(c, b, self.dim, exact)
        if not exact:
            return self.bind(c, self.inverse(b))
        fb = np.fft.rfft(b.astype(np.float64))
        if np.any(np.abs(fb) == 0):
            raise ValueError("`b` has a zero Fourier coefficient: it has no exact HRR inverse")
        return np.fft.irfft(np.fft.rfft(c.astype(np.float64)) / fb, n=self.dim).astype(np.float32)

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
            float32 ``(..., D)``.

        Raises
        ------
        ValueError
            If ``x`` is empty, the sum is not finite, or ``weights`` is malformed.

        Shapes
        ------
        ``(..., n, D) -> (..., D)``
        """
        return self._bundle_sum(x, weights)


class FHRR(DenseModel):
    """Fourier HRR: unit phasors (complex64); bind = elementwise complex product.

    bind = elementwise complex product, unbind = product with the conjugate
    (exact), bundle = complex sum, permute = cyclic shift, similarity =
    cosine of the real forms (``Re(a . conj(b)) / (|a| |b|)``).

    Parameters
    ----------
    dim : int
        Number of complex components.
    seed : int, numpy.random.Generator or None
        Seed of ``random`` (phases uniform in [-pi, pi)).
    """

    name = "FHRR"
    vector_dtypes = ("complex64",)

    def _draw(self, rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
        return np.exp(1j * rng.uniform(-np.pi, np.pi, shape + (self.dim,))).astype(np.complex64)

    def bind(self, a: Any, b: Any) -> Any:
        """Bind by elementwise complex product; leading axes broadcast.

        Parameters
        ----------
        a, b : numpy.ndarray or torch.Tensor
            complex64 vectors ``(..., D)``, one backend.

        Returns
        -------
        numpy.ndarray or torch.Tensor
            complex64 ``(..., D)``.

        Shapes
        ------
        ``(..., D), (..., D) -> (..., D)``
        """
        a, b, _ = self.check_pair(a, b)
        return a * b

    def inverse(self, a: Any) -> Any:
        """Inverse under binding: the complex conjugate (exact for unit phasors).

        Returns
        -------
        numpy.ndarray or torch.Tensor
            complex64 ``(..., D)``.
        """
        a = self.check(a, "a")
        return a.conj().resolve_conj() if is_torch(a) else np.conj(a)

    def unbind(self, c: Any, b: Any) -> Any:
        """Undo ``bind``: ``c * conj(b)``, exact for unit-phasor ``b``.

        Parameters
        ----------
        c : numpy.ndarray or torch.Tensor
            Bound vectors ``(..., D)``, complex64.
        b : numpy.ndarray or torch.Tensor
            The vectors ``c`` was bound with, ``(..., D)``.

        Returns
        -------
        numpy.ndarray or torch.Tensor
            complex64 ``(..., D)``.

        Shapes
        ------
        ``(..., D), (..., D) -> (..., D)``
        """
        c, b, _ = self.check_pair(c, b, ("c", "b"))
        return c * (b.conj().resolve_conj() if is_torch(b) else np.conj(b))

    def bundle(self, x: Any, *, weights: Any = None) -> Any:
        """Bundle by complex sum along axis -2 (optionally weighted).

        Parameters
        ----------
        x : numpy.ndarray or torch.Tensor
            complex64 vectors ``(..., n, D)``, ``n >= 1``.
        weights : array-like of shape (n,), optional
            Real weights of a weighted sum.

        Returns
        -------
        numpy.ndarray or torch.Tensor
            complex64 ``(..., D)`` (no longer unit phasors).

        Shapes
        ------
        ``(..., n, D) -> (..., D)``
        """
        return self._bundle_sum(x, weights)
