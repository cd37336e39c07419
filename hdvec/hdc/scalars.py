"""Scalar embeddings: level, thermometer, circular and fractional power.

Each embedding owns a small codebook and maps real values to vectors of its
model. ``encode(values)`` maps ``(*S,)`` values to ``(*S, width)`` vectors.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .._backend import is_torch, to_device, to_numpy
from .._validation import Seed, as_rng, check_count, check_finite
from .binary import BSC, pack_bits, unpack_bits
from .dense import MAP
from .fourier import FHRR, HRR
from .model import Model


def _components(model: Model, x: np.ndarray) -> np.ndarray:
    """Model vectors -> per-component form that can be mixed elementwise (bits for BSC)."""
    return unpack_bits(x, model.dim) if isinstance(model, BSC) else x


def _vectors(model: Model, comps: np.ndarray) -> np.ndarray:
    return pack_bits(comps) if isinstance(model, BSC) else comps


def _check_values(values: Any) -> tuple[np.ndarray, Any]:
    device = values.device if is_torch(values) else None
    v = np.asarray(to_numpy(values), dtype=np.float64)
    check_finite(v, "values")
    return v, device


class _Codebook:
    """Shared machinery: a codebook of ``n_levels`` vectors over [low, high]."""

    def __init__(self, model: Model, n_levels: int, low: float, high: float):
        if not isinstance(model, Model):
            raise TypeError(f"`model` must be an hdvec.hdc model; got {type(model).__name__}")
        self.model = model
        self.n_levels = check_count(n_levels, "n_levels", minimum=2)
        if not (np.isfinite(low) and np.isfinite(high) and high > low):
            raise ValueError(f"`low` and `high` must be finite with high > low; got low={low}, high={high}")
        self.low, self.high = float(low), float(high)
        self.seed: Seed = None
        self.codebook: np.ndarray

    def __repr__(self) -> str:
        seed = "" if self.seed is None else f", seed={self.seed!r}"
        return (f"{type(self).__name__}({self.model!r}, n_levels={self.n_levels}, low={self.low!r}, "
                f"high={self.high!r}{seed})")

    def index(self, values: Any) -> np.ndarray:
        """Codebook level of each value (values are clipped to [low, high]).

        Parameters
        ----------
        values : array-like or torch.Tensor
            Real, finite values of any shape ``S``.

        Returns
        -------
        numpy.ndarray
            int64 levels in ``[0, n_levels)``, shape ``S``.

        Raises
        ------
        ValueError
            If ``values`` holds NaN or inf.
        """
        v, _ = _check_values(values)
        t = (np.clip(v, self.low, self.high) - self.low) / (self.high - self.low)
        return np.rint(t * (self.n_levels - 1)).astype(np.int64)

    def encode(self, values: Any) -> Any:
        """Vectors of ``values`` (also available as calling the embedding).

        Parameters
        ----------
        values : array-like or torch.Tensor
            Real, finite values of any shape ``S``.

        Returns
        -------
        numpy.ndarray or torch.Tensor
            ``(*S, width)`` vectors of the model; torch in, torch out on the
            same device.

        Raises
        ------
        ValueError
            If ``values`` holds NaN or inf.

        Shapes
        ------
        ``(*S,) -> (*S, width)``
        """
        v, device = _check_values(values)
        return to_device(self.codebook[self.index(v)], device)

    __call__ = encode


class Level(_Codebook):
    """Level embedding: neighbours are similar, similarity falls linearly to ~0 at the ends.

    Level ``l`` takes each component from a second random vector where a
    seeded uniform threshold is below ``l / (n_levels - 1)``. Values are
    clipped to [low, high] and rounded to the nearest level.

    Parameters
    ----------
    model : Model
        Any model (BSC mixes bits, dense models mix components).
    n_levels : int
        Codebook size, >= 2.
    low, high : float
        Value range, finite, ``high > low``.
    seed : int, numpy.random.Generator or None
        Seed of the end vectors and the thresholds.
    randomness : float
        In [0, 1] (Torchhd's ``randomness``): the levels are split into spans of
        ``(1 - r) (n_levels - 1) + r`` steps, each interpolating between its own
        random end vectors. 0: one span (the default, similarity falls linearly
        across the range); 1: every level is an independent random vector.

    Attributes
    ----------
    codebook : numpy.ndarray
        ``(n_levels, width)`` vectors of the levels.

    Raises
    ------
    TypeError
        If ``model`` is not an hdvec.hdc model.
    ValueError
        If ``n_levels < 2``, the range is not finite with ``high > low``, or ``randomness`` is outside [0, 1].

    Examples
    --------
    >>> from hdvec import hdc
    >>> m = hdc.MAP(10_000, seed=0)
    >>> lv = hdc.Level(m, 11, low=0.0, high=1.0, seed=0)
    >>> v = lv.encode([0.0, 0.1, 1.0])
    >>> s = m.similarity(v[0], v)
    >>> bool(s[1] > 0.85 and abs(s[2]) < 0.05)
    True
    """

    def __init__(self, model: Model, n_levels: int, *, low: float = 0.0, high: float = 1.0, seed: Seed = None,
                 randomness: float = 0.0):
        super().__init__(model, n_levels, low, high)
        if isinstance(randomness, bool) or not isinstance(randomness, (int, float, np.integer, np.floating)):
            raise TypeError(f"`randomness` must be a number in [0, 1]; got {type(randomness).__name__}")
        if not 0.0 <= randomness <= 1.0:
            raise ValueError(f"`randomness` must be a number in [0, 1]; got {randomness!r}")
        r = float(randomness)
        self.seed, self.randomness = seed, r
        rng = as_rng(seed)
        steps = (1.0 - r) * (self.n_levels - 1) + r  # levels per span
        n_spans = int(np.ceil((self.n_levels - 1) / steps - 1e-9))
        ends = [_components(model, model._draw(rng, ())) for _ in range(2)]  # span 0: the draws of r = 0
        thresholds = [rng.random(ends[0].shape)]
        for _ in range(1, n_spans):  # each further span: one more end vector and threshold vector
            ends.append(_components(model, model._draw(rng, ())))
            thresholds.append(rng.random(ends[0].shape))
        rows = []
        for i in range(self.n_levels):
            span = min(int(i / steps + 1e-9), n_spans)
            frac = max(i / steps - span, 0.0)
            rows.append(ends[span] if span == n_spans else
                        np.where(thresholds[span] < frac, ends[span + 1], ends[span]))
        self.codebook = _vectors(model, np.stack(rows))


class Circular(_Codebook):
    """Circular embedding for periodic values: [low, high) wraps around.

    Going round the circle, the first half moves components from a random
    vector ``a`` to a second one ``b`` in a seeded order; the second half moves
    them back to ``a`` in the same order (first moved, first back). So the
    similarity of two levels falls linearly with their distance around the
    circle, from 1 to about 0 at the opposite side, and the last level is next
    to the first.

    Parameters
    ----------
    model : Model
        Any model.
    n_levels : int
        Levels around the circle, >= 2.
    low, high : float
        The period, ``[low, high)`` (default ``[0, 2 pi)``).
    seed : int, numpy.random.Generator or None
        Seed of the codebook.

    Attributes
    ----------
    codebook : numpy.ndarray
        ``(n_levels, width)`` vectors of the levels.
    """

    def __init__(self, model: Model, n_levels: int, *, low: float = 0.0, high: float = 2 * np.pi, seed: Seed = None):
        super().__init__(model, n_levels, low, high)
        self.seed = seed
        rng = as_rng(seed)
        a, b = (_components(model, model._draw(rng, ())) for _ in range(2))
        u = rng.random(a.shape)
        pos = (np.arange(self.n_levels) / self.n_levels * 2.0)[:, None]  # 0 .. 2 around the circle
        # first half: components with u < pos have moved to b; second half: those with u < pos - 1 are back on a
        on_b = np.where(pos <= 1.0, u[None, :] < pos, u[None, :] >= pos - 1.0)
        self.codebook = _vectors(model, np.where(on_b, b[None, :], a[None, :]))

    def index(self, values: Any) -> np.ndarray:
        """Level of each value, taken modulo the period: int64 in ``[0, n_levels)``, shape of ``values``."""
        v, _ = _check_values(values)
        t = np.mod(v - self.low, self.high - self.low) / (self.high - self.low)
        return np.rint(t * self.n_levels).astype(np.int64) % self.n_levels


class Thermometer(_Codebook):
    """Thermometer code: level ``l`` has its first ``l * dim / (n_levels - 1)`` components "on".

    On/off are bits 1/0 (BSC), +1/-1 (MAP), phases 0/pi (FHRR), ±1/sqrt(dim)
    (HRR, MBAT). Deterministic: no seed. The two ends are opposite vectors
    (similarity -1), unlike ``Level``.

    Parameters
    ----------
    model : Model
        Any model.
    n_levels : int
        Codebook size, >= 2.
    low, high : float
        Value range; values are clipped to it.

    Attributes
    ----------
    codebook : numpy.ndarray
        ``(n_levels, width)`` vectors of the levels.
    """

    def __init__(self, model: Model, n_levels: int, *, low: float = 0.0, high: float = 1.0):
        if getattr(model, "own_cleanup", False):
            raise TypeError(f"Thermometer codes are runs of +1/-1 components; {type(model).__name__} stores "
                            "integer indices: use Level or Circular")
        super().__init__(model, n_levels, low, high)
        d = model.dim
        on = (np.arange(d)[None, :] < np.rint(np.linspace(0, d, self.n_levels))[:, None])
        if isinstance(model, BSC):
            self.codebook = pack_bits(on)
        elif isinstance(model, MAP):
            self.codebook = np.where(on, 1, -1).astype(model.dtype)
        elif isinstance(model, FHRR):
            self.codebook = np.where(on, 1, -1).astype(np.complex64)
        else:
            self.codebook = (np.where(on, 1.0, -1.0) / np.sqrt(d)).astype(np.float32)


class FractionalPower:
    """Fractional power encoding: ``x -> exp(i * theta * x / bandwidth)`` (FHRR) or its real HRR form.

    Similarity of two encodings approximates a kernel of ``x - y``: Gaussian
    ``exp(-|x-y|^2 / (2 bandwidth^2))`` with ``kernel="gaussian"``, or
    ``sinc(|x-y| / bandwidth)`` per coordinate with ``kernel="sinc"``. Values
    may be vectors: ``(*S, n_features)`` when ``n_features > 1``. Binding two
    encodings adds their arguments: ``bind(f(x), f(y)) == f(x + y)``.

    Parameters
    ----------
    model : FHRR or HRR
        FHRR gives unit phasors; HRR the real vector with that unit-magnitude
        spectrum (norm 1).
    bandwidth : float
        Kernel width in the units of the values, > 0.
    kernel : {"gaussian", "sinc"}
        Kernel approximated by the similarity of two encodings.
    n_features : int
        Length of the last axis of vector-valued inputs (1: scalars).
    seed : int, numpy.random.Generator or None
        Seed of the frequencies.

    Raises
    ------
    TypeError
        If ``model`` is not FHRR or HRR.
    ValueError
        If ``bandwidth`` is not a positive finite float or ``kernel`` is unknown.

    Examples
    --------
    >>> import numpy as np
    >>> from hdvec import hdc
    >>> m = hdc.FHRR(4096, seed=0)
    >>> f = hdc.FractionalPower(m, bandwidth=1.0, seed=0)
    >>> bool(np.allclose(m.bind(f.encode(1.5), f.encode(2.0)), f.encode(3.5), atol=1e-3))
    True
    """

    def __init__(self, model: Model, *, bandwidth: float = 1.0, kernel: str = "gaussian", n_features: int = 1,
                 seed: Seed = None):
        if not isinstance(model, (FHRR, HRR)):
            raise TypeError(f"`model` must be FHRR or HRR for fractional power encoding; got {type(model).__name__}")
        if not (np.isfinite(bandwidth) and bandwidth > 0):
            raise ValueError(f"`bandwidth` must be a positive finite float; got {bandwidth}")
        if kernel not in ("gaussian", "sinc"):
            raise ValueError(f"`kernel` must be 'gaussian' or 'sinc'; got {kernel!r}")
        self.model, self.bandwidth, self.kernel = model, float(bandwidth), kernel
        self.n_features = check_count(n_features, "n_features", minimum=1)
        rng = as_rng(seed)
        n_freq = model.dim if isinstance(model, FHRR) else model.dim // 2 + 1
        shape = (self.n_features, n_freq)
        self.theta = rng.standard_normal(shape) if kernel == "gaussian" else rng.uniform(-np.pi, np.pi, shape)
        if isinstance(model, HRR):  # DC and Nyquist bins must stay real: phase 0
            self.theta[:, 0] = 0.0
            if model.dim % 2 == 0:
                self.theta[:, -1] = 0.0

    def encode(self, values: Any) -> Any:
        """Encode values (also available as calling the object).

        Parameters
        ----------
        values : array-like or torch.Tensor
            ``(*S,)`` scalars (``n_features == 1``) or ``(*S, n_features)``.

        Returns
        -------
        numpy.ndarray or torch.Tensor
            ``(*S, dim)``: complex64 (FHRR) or float32 (HRR); torch in, torch
            out on the same device.

        Raises
        ------
        ValueError
            If the last axis is not ``n_features``, or values are not finite.

        Shapes
        ------
        ``(*S,) -> (*S, dim)``; ``(*S, n_features) -> (*S, dim)``
        """
        v, device = _check_values(values)
        if self.n_features == 1 and (v.ndim == 0 or v.shape[-1] != 1):
            v = v[..., None]
        if v.shape[-1] != self.n_features:
            raise ValueError(f"`values` must have last axis {self.n_features} (n_features); got shape {v.shape}")
        phase = (v / self.bandwidth) @ self.theta
        if isinstance(self.model, FHRR):
            out = np.exp(1j * phase).astype(np.complex64)
        else:
            # a unit-magnitude spectrum: the real vector has norm 1 (Parseval)
            out = np.fft.irfft(np.exp(1j * phase), n=self.model.dim).astype(np.float32)
        return to_device(out, device)

    __call__ = encode
