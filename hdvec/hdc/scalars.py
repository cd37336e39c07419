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
from .modular import CyclicModel


def _components(model: Model, x: np.ndarray) -> np.ndarray:
    """Model vectors -> per-component form that can be mixed elementwise (bits for BSC)."""
    return unpack_bits(x, model.dim) if isinstance(model, BSC) else x


def _vectors(model: Model, comps: np.ndarray) -> np.ndarray:
    return pack_bits(comps) if isinstance(model, BSC) else comps


def _check_randomness(randomness: Any) -> float:
    """``randomness`` as a float in [0, 1]; TypeError / ValueError naming it otherwise."""
    if isinstance(randomness, bool) or not isinstance(randomness, (int, float, np.integer, np.floating)):
        raise TypeError(f"`randomness` must be a number in [0, 1]; got {type(randomness).__name__}")
    if not 0.0 <= randomness <= 1.0:
        raise ValueError(f"`randomness` must be a number in [0, 1]; got {randomness!r}")
    return float(randomness)


def _draw_spans(model: Model, rng: np.random.Generator, n_spans: int) -> tuple[np.ndarray, np.ndarray]:
    """End vectors and thresholds of ``n_spans`` spans, drawn end, end, threshold, then (end, threshold) per span.

    Returns ``ends``, ``(n_spans + 1, c)`` in component form (bits for BSC), and
    ``thresholds``, float64 ``(n_spans, c)`` uniform in [0, 1).
    """
    ends = [_components(model, model._draw(rng, ())) for _ in range(2)]  # span 0: the draws of randomness 0
    thresholds = [rng.random(ends[0].shape)]
    for _ in range(1, n_spans):  # each further span: one more end vector and threshold vector
        ends.append(_components(model, model._draw(rng, ())))
        thresholds.append(rng.random(ends[0].shape))
    return np.stack(ends), np.stack(thresholds)


def _span_of(thresholds: np.ndarray, pos: float) -> np.ndarray:
    """Which end vector each component takes at ``pos`` (in spans) along the walk: int64 ``(c,)``.

    In span ``s = floor(pos)`` a component moves from end ``s`` to end ``s + 1``
    once its threshold is below ``pos - s``; past the last span all are on the last end.
    """
    n_spans = thresholds.shape[0]
    span = min(int(pos + 1e-9), n_spans)
    if span == n_spans:
        return np.full(thresholds.shape[1], span, np.int64)
    frac = max(pos - span, 0.0)
    return span + (thresholds[span] < frac).astype(np.int64)


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
        r = _check_randomness(randomness)
        self.seed, self.randomness = seed, r
        steps = (1.0 - r) * (self.n_levels - 1) + r  # levels per span
        n_spans = int(np.ceil((self.n_levels - 1) / steps - 1e-9))
        ends, thresholds = _draw_spans(model, as_rng(seed), n_spans)
        cols = np.arange(ends.shape[1])
        self.codebook = _vectors(model, np.stack([ends[_span_of(thresholds, i / steps), cols]
                                                  for i in range(self.n_levels)]))


class Circular(_Codebook):
    """Circular embedding for periodic values: [low, high) wraps around.

    Torchhd's construction (Nunes et al. 2022) with hdvec's seeding. A walk of
    ``n_levels`` steps of half a level goes through spans of
    ``(1 - r) n_levels + 2 r`` steps, each moving the components from its random start vector to its
    random end vector in a seeded order (as ``Level`` does); levels
    ``0 .. n_levels / 2`` are the even points of that walk. The second half
    walks back: it undoes the walk's changes in the order they were made
    (binding with the inverse of each change), so the last level is next to
    the first. With ``r = 0`` (one span) the similarity of two levels falls
    linearly with their distance around the circle, from 1 to about 0 at the
    opposite side; with ``r > 0`` it falls to about 0 within a span, and the
    profile repeats around the circle; ``r = 1`` gives (nearly) independent
    random vectors.

    Parameters
    ----------
    model : Model
        Any model for ``randomness = 0``; for ``randomness > 0`` one whose
        binding is componentwise (BSC, MAP, FHRR, BSBC, MCR, CGR), since the
        walk back binds components (Torchhd refuses HRR and VTB as well).
    n_levels : int
        Levels around the circle, >= 2.
    low, high : float
        The period, ``[low, high)`` (default ``[0, 2 pi)``).
    seed : int, numpy.random.Generator or None
        Seed of the codebook.
    randomness : float
        In [0, 1] (Torchhd's ``randomness``). 0 (the default): one span, the
        similarity falls linearly to the opposite side; 1: the levels are
        (nearly) independent random vectors.

    Attributes
    ----------
    codebook : numpy.ndarray
        ``(n_levels, width)`` vectors of the levels, in the model's dtype.

    Raises
    ------
    TypeError
        If ``model`` is not an hdvec.hdc model, ``randomness`` is not a number,
        or ``randomness > 0`` with a model whose binding is not componentwise.
    ValueError
        If ``n_levels < 2``, the period is not finite with ``high > low``, or
        ``randomness`` is outside [0, 1].

    Examples
    --------
    >>> from hdvec import hdc
    >>> m = hdc.MAP(10_000, seed=0)
    >>> circ = hdc.Circular(m, 16, seed=0)
    >>> s = m.similarity(circ.codebook[0], circ.codebook)
    >>> bool(s[1] > 0.8 and s[15] > 0.8 and abs(s[8]) < 0.05)
    True
    >>> short = hdc.Circular(m, 16, seed=0, randomness=0.5).codebook  # spans of 4.5 levels
    >>> s = m.similarity(short[0], short)
    >>> bool(s[1] > 0.7 and s[15] > 0.7 and abs(s[6]) < 0.05)
    True
    """

    def __init__(self, model: Model, n_levels: int, *, low: float = 0.0, high: float = 2 * np.pi, seed: Seed = None,
                 randomness: float = 0.0):
        super().__init__(model, n_levels, low, high)
        r = _check_randomness(randomness)
        if r > 0 and not isinstance(model, (BSC, MAP, FHRR, CyclicModel)):
            raise TypeError(f"Circular(randomness > 0) walks back by binding components; {type(model).__name__} "
                            "does not bind componentwise: use randomness=0, or BSC, MAP, FHRR, BSBC, MCR or CGR")
        self.seed, self.randomness = seed, r
        n = self.n_levels
        steps = 2.0 * ((1.0 - r) * (n / 2) + r)  # Torchhd's levels_per_span, in half-level steps
        ends, thresholds = _draw_spans(model, as_rng(seed), int(np.ceil(n / steps - 1e-9)))
        cols = np.arange(ends.shape[1])
        last = _span_of(thresholds, n / steps)  # per component: its end vector half-way round
        rows = []
        for lvl in range(n):
            if 2 * lvl <= n:  # first half: point 2 lvl of the walk
                rows.append(ends[_span_of(thresholds, 2 * lvl / steps), cols])
                continue
            # second half: walk[n] * walk[0] * walk[m]^-1 with m = 2 lvl - n (the first m changes undone)
            back = _span_of(thresholds, 2 * lvl / steps - n / steps)
            row = np.where(back == last, ends[0], ends[last, cols])  # exact where the product simplifies
            mixed = (back != last) & (back != 0)
            if mixed.any():
                v = [_vectors(model, ends[i, cols]) for i in (last, back)]
                prod = model.bind(model.bind(v[0], _vectors(model, ends[0])), model.inverse(v[1]))
                row = np.where(mixed, _components(model, prod), row)
            rows.append(row)
        self.codebook = _vectors(model, np.stack(rows))

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
