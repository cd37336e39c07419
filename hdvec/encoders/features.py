"""Numeric feature encoders (scikit-learn transformers): rows of real features -> one hypervector each.

``Projection`` (``X @ W``, or its signs as BSC bits), ``Sinusoid`` (``cos(X W + b) * sin(X W)``),
``Density`` (intRVFL's thermometer code) and ``LevelRecord`` (``bundle_f bind(key_f, level(x_f))``,
Torchhd's Vanilla encoder). ``fit`` draws the random arrays in NumPy from ``seed`` (and learns feature ranges);
NumPy input runs through BLAS or Numba kernels, torch input through torch ops with the same arrays (same vectors).
"""

from __future__ import annotations

import inspect
from typing import Any

import numpy as np

from .._backend import is_torch, torch_module
from .._validation import Seed, as_rng, check_dim, check_finite
from ..hdc.binary import n_words, pack_bits
from . import _feature_kernels as K
from ._sklearn import HAVE_SKLEARN, TransformerMixin, _sklearn_available

_CHUNK_ELEMENTS = 1 << 22  # rows * dim per block of the dense paths (bounds the float temporaries)
_TABLES = ("_base", "_table", "_lengths", "_perm")  # lookup arrays derived in fit (saved with the fitted state)


class _NotFittedError(ValueError, AttributeError):
    """Raised by ``transform`` before ``fit`` when scikit-learn (and its NotFittedError) is absent."""


def _check_bool(value: Any, name: str) -> bool:
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"`{name}` must be a bool; got {type(value).__name__}")
    return bool(value)


def _check_choice(value: Any, name: str, choices: tuple[str, ...]) -> str:
    if not isinstance(value, str) or value not in choices:
        raise ValueError(f"`{name}` must be one of {', '.join(map(repr, choices))}; got {value!r}")
    return value


def _as_data(X: Any, ndims: tuple[int, ...], shape_text: str) -> tuple[Any, bool]:
    """``X`` -> (finite float32/float64 array or tensor, is_torch); NumPy results are C-contiguous."""
    if is_torch(X):
        torch = torch_module()
        x = X.detach()
        if x.is_complex():
            raise ValueError(f"Complex data not supported: `X` must be real; got dtype {x.dtype}")
        if not x.is_floating_point() or x.dtype not in (torch.float32, torch.float64):
            x = x.to(torch.float64)
    else:
        if hasattr(X, "toarray") or type(X).__module__.startswith("scipy.sparse"):
            raise TypeError("`X` is a sparse matrix; sparse input is not supported: pass X.toarray()")
        x = np.asarray(X)
        if x.dtype.kind == "c":
            raise ValueError(f"Complex data not supported: `X` must be real; got dtype {x.dtype}")
        if x.dtype not in (np.float32, np.float64):
            x = x.astype(np.float64)
        x = np.ascontiguousarray(x)
    if x.ndim not in ndims:
        raise ValueError(f"`X` must be a {shape_text} array; got shape {tuple(x.shape)}. Reshape your data "
                         "with X.reshape(-1, 1) if it has one feature or X.reshape(1, -1) if it is one sample")
    if x.shape[-1] == 0 or (x.ndim == 3 and x.shape[1] == 0):
        raise ValueError(f"`X` has 0 feature(s) (shape={tuple(x.shape)}) while a minimum of 1 is required.")
    if is_torch(x):
        if x.numel() and not bool(torch_module().isfinite(x).all()):
            raise ValueError("`X` must contain only finite values; got NaN or inf")
    else:
        check_finite(x, "X")
    return x, is_torch(x)


def _column_range(x: Any, use_torch: bool) -> tuple[np.ndarray, np.ndarray]:
    """Per-column min and max of a 2-D array or tensor, as float64 NumPy arrays."""
    if use_torch:
        return x.amin(0).double().cpu().numpy(), x.amax(0).double().cpu().numpy()
    return x.min(0).astype(np.float64), x.max(0).astype(np.float64)


def _torch_levels(x: Any, low: np.ndarray, high: np.ndarray, span: np.ndarray, steps: int) -> Any:
    """Level indices (int64, x's device) by the kernels' formula ``rint((clip(x) - low) / span * steps)``."""
    torch = torch_module()
    lo, hi, sp = (torch.from_numpy(v).to(x.device) for v in (low, high, span))
    v = torch.minimum(torch.maximum(x.to(torch.float64), lo), hi)
    return torch.round((v - lo) / sp * steps).long().clamp_(0, steps)


def _bipolar(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    """Random int8 ±1 array: bits ``rng.integers(0, 2, shape)``, bit 1 -> -1 (hdvec's BSC convention)."""
    return (1 - 2 * rng.integers(0, 2, size=shape, dtype=np.int8)).astype(np.int8)


def _level_draws(rng: np.random.Generator, n_keys: int, dim: int, levels: int):
    """Keys, Level ends a and b, thresholds u, tie-break and codebook ``where(u < l / (levels - 1), b, a)``."""
    keys = _bipolar(rng, (n_keys, dim))
    a, b = _bipolar(rng, (2, dim))
    u = rng.random(dim)
    tiebreak = _bipolar(rng, (dim,))
    codebook = np.where(u[None, :] < np.linspace(0.0, 1.0, levels)[:, None], b[None, :], a[None, :])
    return keys, a, b, u, tiebreak, codebook.astype(np.int8)


def _sphere_columns(rng: np.random.Generator, n_features: int, dim: int) -> np.ndarray:
    """(n_features, dim) float32 with N(0, 1) entries, each column scaled to unit norm (Torchhd's weights)."""
    w = rng.standard_normal((n_features, dim))
    w /= np.maximum(np.linalg.norm(w, axis=0), np.finfo(np.float64).tiny)
    return w.astype(np.float32)


def _finish_torch(sums: Any, tiebreak: np.ndarray, binary: bool) -> Any:
    """Sums (n, D) tensor -> MAP signs (float32, 0 for ties) or packed majority words (ties from ``tiebreak``)."""
    torch = torch_module()
    if not binary:
        return torch.sign(sums).to(torch.float32)
    tb = torch.from_numpy(tiebreak).to(sums.device)
    return pack_bits((sums < 0) | ((sums == 0) & (tb < 0)))


class _FeatureEncoder(TransformerMixin):
    """Shared plumbing: fit / transform on validated input (subclasses: ``_fit``, ``_transform``), tags."""

    _ndims: tuple[int, ...] = (2,)
    _shape_text = "2-D (n_samples, n_features)"

    def _binary(self) -> bool:  # the output is packed uint64 words
        return getattr(self, "binary", False) or getattr(self, "model", "map") == "bsc"

    def __repr__(self) -> str:
        params = inspect.signature(type(self).__init__).parameters
        args = ", ".join(f"{name}={getattr(self, name)!r}" for name in params if name != "self")
        return f"{type(self).__name__}({args})"

    def __sklearn_is_fitted__(self) -> bool:
        return hasattr(self, "n_features_in_")

    def _forget(self) -> None:  # drop the fitted state (a changed argument needs a new fit)
        for name in list(vars(self)):
            if (name.endswith("_") and not name.startswith("__")) or name in _TABLES:
                delattr(self, name)

    def set_params(self, **params: Any) -> _FeatureEncoder:
        """Change constructor arguments (validated first); the encoder must then be fitted again."""
        super().set_params(**params)
        if params:
            self._forget()
        return self

    def _rows(self, x: Any) -> Any:  # validated input -> the 2-D (n, n_features) rows
        return x

    def fit(self, X: Any, y: Any = None) -> _FeatureEncoder:
        """Draw the random vectors from ``seed``; learn ``n_features_in_`` (and the ranges) from ``X``.

        ``X``: real, finite array-like or torch.Tensor, at least one sample; ``y`` is ignored. Returns self.
        """
        x, use_torch = _as_data(X, self._ndims, self._shape_text)
        if x.shape[0] == 0:
            raise ValueError(f"`X` has 0 sample(s) (shape={tuple(x.shape)}) while a minimum of 1 is required.")
        self._forget()
        rows = self._rows(x)
        self._fit(rows, use_torch, as_rng(self.seed))
        self.n_features_in_ = int(rows.shape[1])
        return self

    def transform(self, X: Any) -> Any:
        """Encode the rows of ``X`` (real, finite, with the feature count seen in ``fit``).

        Returns ``(n_samples, dim)`` float32, or ``(n_samples, ceil(dim / 64))`` uint64 words for
        binary output; a torch tensor on the input's device for a tensor input.
        """
        if not hasattr(self, "n_features_in_"):
            msg = f"This {type(self).__name__} instance is not fitted yet. Call 'fit' before using this estimator."
            if _sklearn_available():
                from sklearn.exceptions import NotFittedError

                raise NotFittedError(msg)
            raise _NotFittedError(msg)
        x, use_torch = _as_data(X, self._ndims, self._shape_text)
        rows = self._rows(x)
        if rows.shape[1] != self.n_features_in_:
            raise ValueError(f"X has {rows.shape[1]} features, but {type(self).__name__} is expecting "
                             f"{self.n_features_in_} features as input.")
        return self._transform(rows, use_torch)

    def _kernel_range(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """low_, high_ and the span high_ - low_ (1 for a constant feature, which always gets level 0)."""
        return self.low_, self.high_, np.where(self.high_ > self.low_, self.high_ - self.low_, 1.0)

    def _check_range(self, x: Any, use_torch: bool, cols: int) -> None:
        """clip=False: ValueError naming the first value outside the learned range (``x`` (n, k * cols))."""
        if self.clip or x.shape[0] == 0:
            return
        low, high = (np.tile(v, x.shape[1] // cols) for v in (self.low_, self.high_))
        if use_torch:
            lo, hi = (torch_module().from_numpy(v).to(x.device) for v in (low, high))
            bad = [int(v) for v in torch_module().nonzero(((x < lo) | (x > hi)).reshape(-1))[:1]]
        else:
            bad = np.flatnonzero(((x < low) | (x > high)).ravel())[:1].tolist()
        if bad:
            (i, j), c = divmod(bad[0], x.shape[1]), bad[0] % x.shape[1] % cols
            v = float(x[i, j])
            raise ValueError(f"`X` has value {v!r} in feature {j} (row {i}), outside the range "
                             f"[{self.low_[c]!r}, {self.high_[c]!r}] learned by fit; use clip=True to clip it")

    if HAVE_SKLEARN:

        def __sklearn_tags__(self) -> Any:
            """scikit-learn's tags: a transformer of 2-D real arrays that needs fit."""
            from sklearn.utils import InputTags, Tags, TargetTags, TransformerTags

            return Tags(estimator_type=None, target_tags=TargetTags(required=False),
                        transformer_tags=TransformerTags(preserves_dtype=[] if self._binary() else ["float32"]),
                        input_tags=InputTags(two_d_array=True, three_d_array=3 in self._ndims),
                        requires_fit=True)


class _ProjectionBase(_FeatureEncoder):
    def _fit(self, x: Any, use_torch: bool, rng: np.random.Generator) -> None:
        self.weights_ = _sphere_columns(rng, x.shape[1], self.dim)

    def _blocks(self, x: np.ndarray, out: np.ndarray, apply) -> np.ndarray:
        step = max(1, _CHUNK_ELEMENTS // max(self.dim, 1))
        for a in range(0, x.shape[0], step):
            out[a:a + step] = apply(x[a:a + step].astype(np.float32, copy=False) @ self.weights_)
        return out


class Projection(_ProjectionBase):
    """Random projection ``X @ W`` (Torchhd's ``Projection``), or its signs as BSC bits.

    Parameters
    ----------
    dim : int
        Output dimension (bits with ``binary=True``).
    binary : bool
        False: float32 ``X @ W``. True: bit 1 where ``X @ W > 0``, packed (BSC layout).
    seed : int, numpy.random.Generator or None
        Seed of ``W``, drawn in ``fit``.

    Attributes
    ----------
    weights_ : numpy.ndarray
        ``W``, (n_features, dim) float32: N(0, 1) entries, each column scaled
        to unit norm (as Torchhd's rows on the unit sphere).
    n_features_in_ : int

    Notes
    -----
    Shapes: ``(n, n_features) -> (n, dim)`` float32, or ``(n, ceil(dim / 64))`` uint64.

    Examples
    --------
    >>> import numpy as np
    >>> from hdvec.encoders import Projection
    >>> X = np.random.default_rng(0).normal(size=(4, 6))
    >>> Projection(1000, seed=0).fit_transform(X).shape
    (4, 1000)
    >>> Projection(1000, binary=True, seed=0).fit_transform(X).dtype
    dtype('uint64')
    """

    def __init__(self, dim: int = 10_000, *, binary: bool = False, seed: Seed = None):
        self.dim = dim
        self.binary = binary
        self.seed = seed
        check_dim(dim, "dim")
        _check_bool(binary, "binary")
        as_rng(seed)

    def _transform(self, x: Any, use_torch: bool) -> Any:
        if use_torch:
            torch = torch_module()
            out = x.to(torch.float32) @ torch.from_numpy(self.weights_).to(x.device)
            return pack_bits(out > 0) if self.binary else out
        if self.binary:
            out = np.empty((x.shape[0], n_words(self.dim)), np.uint64)
            return self._blocks(x, out, lambda p: pack_bits(p > 0))
        return self._blocks(x, np.empty((x.shape[0], self.dim), np.float32), lambda p: p)


class Sinusoid(_ProjectionBase):
    """Nonlinear random projection ``cos(X W + b) * sin(X W)`` (Torchhd's ``Sinusoid``, OnlineHD / NeuralHD).

    Parameters
    ----------
    dim : int
        Output dimension.
    seed : int, numpy.random.Generator or None
        Seed of ``W`` and ``b``, drawn in ``fit`` (``W`` first).

    Attributes
    ----------
    weights_ : numpy.ndarray
        ``W``, (n_features, dim) float32, unit-norm Gaussian columns.
    bias_ : numpy.ndarray
        ``b``, (dim,) float32, uniform in [0, 2 pi).
    n_features_in_ : int

    Examples
    --------
    >>> import numpy as np
    >>> from hdvec.encoders import Sinusoid
    >>> X = np.random.default_rng(0).normal(size=(4, 6))
    >>> H = Sinusoid(1000, seed=0).fit_transform(X)  # (n, n_features) -> (n, dim) float32
    >>> H.shape, bool(np.abs(H).max() <= 1)
    ((4, 1000), True)
    """

    def __init__(self, dim: int = 10_000, *, seed: Seed = None):
        self.dim = dim
        self.seed = seed
        check_dim(dim, "dim")
        as_rng(seed)

    def _fit(self, x: Any, use_torch: bool, rng: np.random.Generator) -> None:
        super()._fit(x, use_torch, rng)
        self.bias_ = rng.uniform(0.0, 2 * np.pi, self.dim).astype(np.float32)

    def _transform(self, x: Any, use_torch: bool) -> Any:
        if use_torch:
            torch = torch_module()
            p = x.to(torch.float32) @ torch.from_numpy(self.weights_).to(x.device)
            return torch.cos(p + torch.from_numpy(self.bias_).to(x.device)) * torch.sin(p)
        return self._blocks(x, np.empty((x.shape[0], self.dim), np.float32),
                            lambda p: np.cos(p + self.bias_) * np.sin(p))


class Density(_FeatureEncoder):
    """Density (thermometer) code of intRVFL (Kleyko et al. 2020; Torchhd's ``Density``).

    Output: ``sum_f key_f * thermometer(i_f)``, float32 (n, dim), with random
    bipolar keys and ``i_f = rint((x_f - low_f) / (high_f - low_f) * dim)``;
    thermometer ``i`` has its first ``i`` components +1, the rest -1. Values
    are clipped to the range [``low_``, ``high_``] learned by ``fit``; a
    constant feature always gets level 0.

    Parameters
    ----------
    dim : int
        Output dimension (the thermometer has ``dim + 1`` levels).
    seed : int, numpy.random.Generator or None
        Seed of the keys, drawn in ``fit``.

    Attributes
    ----------
    keys_ : numpy.ndarray
        (n_features, dim) int8 ±1.
    low_, high_ : numpy.ndarray
        (n_features,) float64 range of each feature in the training data.
    n_features_in_ : int

    Examples
    --------
    >>> import numpy as np
    >>> from hdvec.encoders import Density
    >>> X = np.random.default_rng(0).random((4, 6))
    >>> H = Density(1000, seed=0).fit_transform(X)
    >>> H.shape, H.dtype, bool(np.abs(H).max() <= 6)
    ((4, 1000), dtype('float32'), True)
    """

    def __init__(self, dim: int = 10_000, *, seed: Seed = None):
        self.dim = dim
        self.seed = seed
        check_dim(dim, "dim")
        as_rng(seed)

    def _fit(self, x: Any, use_torch: bool, rng: np.random.Generator) -> None:
        self.low_, self.high_ = _column_range(x, use_torch)
        self.keys_ = _bipolar(rng, (x.shape[1], self.dim))
        self._base = (-self.keys_.sum(0, dtype=np.int32)).astype(np.int32)
        self._table, self._lengths = (2 * self.keys_).astype(np.int8), np.arange(self.dim + 1, dtype=np.int64)

    def _transform(self, x: Any, use_torch: bool) -> Any:
        base, table, lengths = self._base, self._table, self._lengths
        low, high, span = self._kernel_range()
        if use_torch:
            torch = torch_module()
            idx = _torch_levels(x, low, high, span, self.dim)
            tab = torch.from_numpy(table).to(x.device, torch.float32)
            pos = torch.arange(self.dim, device=x.device)
            out = torch.from_numpy(base.astype(np.float32)).to(x.device).repeat(x.shape[0], 1)
            step = max(1, (_CHUNK_ELEMENTS * 4) // max(x.shape[1] * self.dim, 1))
            for a in range(0, x.shape[0], step):
                on = (pos < idx[a:a + step, :, None]).to(torch.float32)  # (rows, F, D) thermometer bits
                out[a:a + step] += torch.einsum("rfd,fd->rd", on, tab)
            return out
        out = np.empty((x.shape[0], self.dim), np.float32)
        K.density(x, low, high, span, self.dim, lengths, base, table, out)
        return out


class LevelRecord(_FeatureEncoder):
    """Record of the features: ``bundle_f bind(key_f, level(x_f))`` (Torchhd's Vanilla / AdaptHD encoder).

    Each feature has a random key; its value picks one of ``levels`` vectors of
    a Level codebook, ``rint((x - low_f) / (high_f - low_f) * (levels - 1))``.
    Neighbouring levels are similar, so rows with close values get similar records.

    Parameters
    ----------
    dim : int
        Vector dimension (bits for BSC).
    levels : int
        Codebook size, >= 2.
    model : {"map", "bsc"}
        "map": float32 ``sign(sum_f key_f * level(x_f))``, 0 for a tie (Torchhd's
        ``hash_table(keys, levels).sign()``). "bsc": XOR, bitwise majority, packed.
    clip : bool
        True: values outside [``low_``, ``high_``] are clipped to it. False:
        ``transform`` raises ValueError naming the feature and the value.
    seed : int, numpy.random.Generator or None
        Seed of the keys, the codebook and the tie-break vector.

    Attributes
    ----------
    keys_ : numpy.ndarray
        (n_features, dim) int8 ±1 (bit 1 of the BSC form is -1).
    codebook_ : numpy.ndarray
        (levels, dim) int8 ±1, level ``l`` = ``where(u < l / (levels - 1), b, a)`` (as ``hdc.Level``).
    tiebreak_ : numpy.ndarray
        (dim,) int8 ±1, decides BSC majority ties.
    low_, high_ : numpy.ndarray
        (n_features,) float64 training range; a constant feature always gets level 0.
    n_features_in_ : int

    Notes
    -----
    ``fit`` draws from ``numpy.random.default_rng(seed)``, in this order: the
    keys, ``a`` and ``b`` (one (2, dim) draw; bits ``rng.integers(0, 2)``, bit
    1 -> -1), the thresholds ``u = rng.random(dim)`` and ``tiebreak_``; the
    same for both models, so the BSC output is the packed ``MAP output < 0``
    with ties from ``tiebreak_``. Shapes: ``(n, n_features) -> (n, dim)``
    float32 (MAP) or ``(n, ceil(dim / 64))`` uint64 (BSC).

    Examples
    --------
    >>> import numpy as np
    >>> from hdvec.encoders import LevelRecord
    >>> X = np.random.default_rng(0).random((4, 6))
    >>> H = LevelRecord(1024, levels=10, seed=0).fit(X).transform(X)
    >>> H.shape, H.dtype
    ((4, 1024), dtype('float32'))
    >>> LevelRecord(1024, model="bsc", seed=0).fit_transform(X).shape
    (4, 16)
    """

    def __init__(self, dim: int = 10_000, *, levels: int = 100, model: str = "map", clip: bool = True,
                 seed: Seed = None):
        self.dim = dim
        self.levels = levels
        self.model = model
        self.clip = clip
        self.seed = seed
        check_dim(dim, "dim")
        check_dim(levels, "levels", minimum=2)
        _check_choice(model, "model", ("map", "bsc"))
        _check_bool(clip, "clip")
        as_rng(seed)

    def _fit(self, x: Any, use_torch: bool, rng: np.random.Generator) -> None:
        self.low_, self.high_ = _column_range(x, use_torch)
        self.keys_, a, b, u, self.tiebreak_, self.codebook_ = _level_draws(rng, x.shape[1], self.dim, self.levels)
        switch = np.searchsorted(np.linspace(0.0, 1.0, self.levels), u, side="right")  # level >= switch: from b
        perm = np.argsort(switch, kind="stable")
        lengths = np.searchsorted(switch[perm], np.arange(self.levels), side="right").astype(np.int64)
        base = (a.astype(np.int32) * self.keys_.sum(0, dtype=np.int32))[perm].astype(np.int32)
        table = np.ascontiguousarray((self.keys_.astype(np.int16) * (b - a).astype(np.int16))[:, perm]).astype(np.int8)
        self._base, self._table, self._lengths, self._perm = base, table, lengths, perm.astype(np.int64)

    def _transform(self, x: Any, use_torch: bool) -> Any:
        self._check_range(x, use_torch, x.shape[1])
        base, table, lengths, perm = self._base, self._table, self._lengths, self._perm
        low, high, span = self._kernel_range()
        steps = self.levels - 1
        binary = self.model == "bsc"
        if use_torch:
            return _finish_torch(self._torch_sums(x, low, high, span), self.tiebreak_, binary)
        if binary:
            out = np.empty((x.shape[0], n_words(self.dim)), np.uint64)
            K.record_majority(x, low, high, span, steps, lengths, base, table, perm, self.tiebreak_, out)
            return out
        out = np.empty((x.shape[0], self.dim), np.float32)
        K.record_sign(x, low, high, span, steps, lengths, base, table, perm, out)
        return out

    def _torch_sums(self, x: Any, low: np.ndarray, high: np.ndarray, span: np.ndarray) -> Any:
        """sum_f key_f * level(x_f) as float32 (n, dim) on x's device: one matrix product per level."""
        torch = torch_module()
        base, table, lengths, perm = self._base, self._table, self._lengths, self._perm
        idx = _torch_levels(x, low, high, span, self.levels - 1)
        tab = torch.from_numpy(table).to(x.device, torch.float32)
        sums = torch.from_numpy(base.astype(np.float32)).to(x.device).repeat(x.shape[0], 1)
        for lv in range(1, self.levels):  # components that switch to b at level lv: lengths[lv-1]:lengths[lv]
            j0, j1 = int(lengths[lv - 1]), int(lengths[lv])
            if j1 > j0:
                sums[:, j0:j1] += (idx >= lv).to(torch.float32) @ tab[:, j0:j1]
        out = torch.empty_like(sums)
        out[:, torch.from_numpy(perm).to(x.device)] = sums
        return out
