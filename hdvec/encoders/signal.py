"""Multichannel signal windows -> hypervectors (the EMG encoder of Rahimi et al. 2016).

A window is ``T`` time steps of ``channels`` values. Each time step becomes a
spatial record, the bundle over channels of ``bind(key_c, level(x_{t,c}))``;
consecutive records are joined into temporal n-grams
``bind_j permute(record_{t+j}, ngram - 1 - j)``; the window is the bundle of
its ``T - ngram + 1`` n-grams. MAP vectors are signs, BSC vectors bitwise
majorities (the paper's binary code), bit-packed.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .._backend import torch_module
from .._validation import Seed, as_rng, check_dim
from ..hdc.binary import n_words
from . import _feature_kernels as K
from .features import (
    _check_bool,
    _check_choice,
    _column_range,
    _FeatureEncoder,
    _finish_torch,
    _level_draws,
    _torch_levels,
)

_TORCH_CHUNK = 1 << 25  # windows * T * channels * dim per block of the torch path


class Signal(_FeatureEncoder):
    """Encoder of multichannel signal windows (EMG gestures, Rahimi et al. 2016).

    Parameters
    ----------
    dim : int
        Vector dimension (bits for BSC).
    channels : int
        Number of channels ``C`` (required).
    levels : int
        Size of the Level codebook the values are quantised to, >= 2.
    ngram : int
        Time steps per temporal n-gram, >= 1; a window needs ``T >= ngram``.
    model : {"map", "bsc"}
        "map": bipolar records and a float32 window ``sign(sum of n-grams)``,
        0 for a tie. "bsc": XOR binding, bitwise majority, packed uint64 words.
    clip : bool
        True: values outside a channel's learned range [``low_``, ``high_``]
        are clipped to it. False: ``transform`` raises ValueError naming the
        feature and the value.
    seed : int, numpy.random.Generator or None
        Seed of the channel keys, the codebook and the tie-break vector.

    Attributes
    ----------
    keys_ : numpy.ndarray
        (channels, dim) int8 ±1 channel keys (bit 1 of the BSC form is -1).
    codebook_ : numpy.ndarray
        (levels, dim) int8 ±1 Level codebook: level ``l`` is
        ``where(u < l / (levels - 1), b, a)``.
    tiebreak_ : numpy.ndarray
        (dim,) int8 ±1: decides the ties of the spatial records (both models)
        and of the BSC window majority.
    low_, high_ : numpy.ndarray
        (channels,) float64 range of each channel in the training data; a
        constant channel always gets level 0.
    n_steps_ : int
        Time steps ``T`` per window seen in ``fit``.
    n_features_in_ : int
        ``T * channels``.

    Notes
    -----
    Input: ``(n_windows, T * channels)``, each row ``T`` time steps of
    ``channels`` values, time-major (``x[t * channels + c]``), or
    ``(n_windows, T, channels)``. Output: ``(n_windows, dim)`` float32 (MAP) or
    ``(n_windows, ceil(dim / 64))`` uint64 (BSC). ``permute`` is the cyclic
    shift of the models (``np.roll``: component k moves to k + s).

    A spatial record of an even number of channels can tie; the tie takes the
    component of ``tiebreak_``, so records are always ±1. ``fit`` draws the
    keys, then ``a`` and ``b``, the thresholds ``u`` and the tie-break vector
    from ``numpy.random.default_rng(seed)``, the same draws for both models.

    Examples
    --------
    >>> import numpy as np
    >>> from hdvec.encoders import Signal
    >>> X = np.random.default_rng(0).random((5, 8, 4))  # 5 windows, 8 steps, 4 channels
    >>> enc = Signal(1024, channels=4, ngram=3, seed=0).fit(X)
    >>> enc.transform(X).shape, enc.n_features_in_
    ((5, 1024), 32)
    >>> Signal(1024, channels=4, model="bsc", seed=0).fit_transform(X.reshape(5, 32)).shape
    (5, 16)
    """

    _ndims = (2, 3)
    _shape_text = "2-D (n_windows, T * channels) or 3-D (n_windows, T, channels)"

    def __init__(self, dim: int = 10_000, *, channels: int, levels: int = 21, ngram: int = 4, model: str = "map",
                 clip: bool = True, seed: Seed = None):
        self.dim = dim
        self.channels = channels
        self.levels = levels
        self.ngram = ngram
        self.model = model
        self.clip = clip
        self.seed = seed
        check_dim(dim, "dim")
        check_dim(channels, "channels")
        check_dim(levels, "levels", minimum=2)
        check_dim(ngram, "ngram")
        _check_choice(model, "model", ("map", "bsc"))
        _check_bool(clip, "clip")
        as_rng(seed)

    def _rows(self, x: Any) -> Any:
        """(n, T, C) or (n, T * C) -> (n, T * C), checking the channel count."""
        if x.ndim == 3:
            if x.shape[2] != self.channels:
                raise ValueError(f"`X` must have {self.channels} channels on its last axis (channels); "
                                 f"got shape {tuple(x.shape)}")
            return x.reshape(x.shape[0], -1)
        if x.shape[1] % self.channels:
            raise ValueError(f"`X` must have T * channels features with channels={self.channels}; "
                             f"got {x.shape[1]} features")
        return x

    def _fit(self, x: Any, use_torch: bool, rng: np.random.Generator) -> None:
        n_steps = x.shape[1] // self.channels
        if n_steps < self.ngram:
            raise ValueError(f"windows must have T >= ngram = {self.ngram} time steps; got T = {n_steps} "
                             f"({x.shape[1]} features of {self.channels} channels)")
        self.low_, self.high_ = _column_range(x.reshape(-1, self.channels), use_torch)
        self.n_steps_ = n_steps
        self.keys_, _, _, _, self.tiebreak_, self.codebook_ = _level_draws(rng, self.channels, self.dim, self.levels)

    def _transform(self, x: Any, use_torch: bool) -> Any:
        self._check_range(x, use_torch, self.channels)
        low, high, span = self._kernel_range()
        x3 = x.reshape(x.shape[0], self.n_steps_, self.channels)
        binary = self.model == "bsc"
        if use_torch:
            return _finish_torch(self._torch_sums(x3, low, high, span), self.tiebreak_, binary)
        args = (x3, low, high, span, self.levels - 1, self.keys_, self.codebook_, self.tiebreak_, self.ngram)
        if binary:
            out = np.empty((x.shape[0], n_words(self.dim)), np.uint64)
            K.signal_majority(*args, out)
            return out
        out = np.empty((x.shape[0], self.dim), np.float32)
        K.signal_sign(*args, out)
        return out

    def _torch_sums(self, x3: Any, low: np.ndarray, high: np.ndarray, span: np.ndarray) -> Any:
        """Sum of the n-grams of each window, int32 (n, dim), on x3's device."""
        torch = torch_module()
        dev = x3.device
        idx = _torch_levels(x3, low, high, span, self.levels - 1)  # (n, T, C)
        keys = torch.from_numpy(self.keys_).to(dev, torch.int32)
        codebook = torch.from_numpy(self.codebook_).to(dev, torch.int32)
        tb = torch.from_numpy(self.tiebreak_).to(dev, torch.int32)
        n, n_steps, n_grams = x3.shape[0], self.n_steps_, self.n_steps_ - self.ngram + 1
        out = torch.empty((n, self.dim), dtype=torch.int32, device=dev)
        step = max(1, _TORCH_CHUNK // max(n_steps * self.channels * self.dim, 1))
        for a in range(0, n, step):
            spatial = (codebook[idx[a:a + step]] * keys).sum(2)  # (rows, T, dim)
            rec = torch.where(spatial > 0, 1, torch.where(spatial < 0, -1, tb)).to(torch.int32)
            gram = torch.ones((rec.shape[0], n_grams, self.dim), dtype=torch.int32, device=dev)
            for j in range(self.ngram):
                gram *= torch.roll(rec[:, j:j + n_grams], self.ngram - 1 - j, dims=-1)
            out[a:a + step] = gram.sum(1)
        return out
