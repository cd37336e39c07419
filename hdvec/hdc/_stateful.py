"""Shared machinery of the stateful structures and the memories: devices, dtypes, a running sum. Private."""

from __future__ import annotations

from typing import Any

import numpy as np

from .._backend import is_torch, to_device, torch_module
from .binary import BSC, pack_bits, unpack_bits
from .dense import MAP
from .fourier import FHRR
from .model import Model
from .modular import MCR, CyclicModel
from .orthogonal import MBAT
from .structures import _no_hrr_order


def check_model(model: Any) -> Model:
    """``model`` must be an hdvec.hdc model (TypeError naming it otherwise)."""
    if not isinstance(model, Model):
        raise TypeError(f"`model` must be an hdvec.hdc model (BSC, MAP, HRR, FHRR, MBAT); got {type(model).__name__}")
    return model


def refuse(model: Model, kinds: tuple[type, ...], what: str, why: str) -> None:
    """TypeError when ``model`` is one of ``kinds``: ``what`` does not apply to it, because ``why``."""
    if isinstance(model, kinds):
        raise TypeError(f"{what} does not apply to {type(model).__name__}: {why}")


def check_edges(edges: Any, n_nodes: int) -> np.ndarray:
    """``edges`` as an ``(n_edges, 2)`` integer NumPy array of node indices below ``n_nodes``."""
    e = np.asarray(edges.cpu() if is_torch(edges) else edges)
    if e.ndim != 2 or e.shape[1] != 2 or e.dtype.kind not in "iu" or (e.size and (e.min() < 0 or e.max() >= n_nodes)):
        raise ValueError(f"`edges` must be an (n_edges, 2) integer array of node indices in [0, {n_nodes}); "
                         f"got shape {e.shape}, dtype {e.dtype}")
    return e


def vector_dtype(model: Model) -> np.dtype:
    """The NumPy dtype of the model's random vectors (int8/float32 MAP, uint64, float32, complex64)."""
    return np.dtype(model._draw(np.random.default_rng(0), (0,)).dtype)


def resolve_device(device: Any) -> Any:
    """None stays None; anything else becomes a ``torch.device`` (``"cuda"`` -> ``cuda:0``)."""
    if device is None:
        return None
    torch = torch_module()
    return torch.empty(0, device=device).device


def check_device(x: Any, name: str, device: Any) -> None:
    """``x`` must be NumPy when ``device`` is None, else a torch tensor on ``device`` (a resolved torch.device)."""
    if device is None:
        if is_torch(x):
            raise TypeError(f"`{name}` must be a numpy.ndarray (this object was built with device=None); "
                            f"got a torch.Tensor on {x.device}")
        return
    if not is_torch(x):
        raise TypeError(f"`{name}` must be a torch.Tensor on {device} (this object's device); got {type(x).__name__}")
    if x.device != device:
        raise ValueError(f"`{name}` must be on {device} (this object's device); got a tensor on {x.device}")



class _Structure:
    """Shared state: the model, the device, a size and a running sum (bundle form)."""

    _allow_mbat = False
    _needs_order = False  # marks position with permute inside a bind: not for HRR

    def __init__(self, model: Model, *, device: Any = None):
        if not isinstance(model, Model):
            raise TypeError(f"`model` must be an hdvec.hdc model (BSC, MAP, HRR, FHRR); got {type(model).__name__}")
        if isinstance(model, MBAT) and not self._allow_mbat:
            raise TypeError(f"{type(self).__name__} binds vector with vector; MBAT binds a Role with a vector")
        if self._needs_order:
            _no_hrr_order(model, type(self).__name__)
        self.model = model
        self.device = device
        self._device = resolve_device(device)
        self.size = 0
        self._acc: Any = None

    def __len__(self) -> int:
        return self.size

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.model!r}, size={self.size})"

    # ------------------------------------------------------------------ helpers
    def _rows(self, x: Any, name: str) -> Any:
        """Validate ``x`` as one vector ``(width,)`` or a batch ``(n, width)``; return it 2-D."""
        check_device(x, name, self._device)
        x = self.model.check(x, name)
        if x.ndim > 2:
            raise ValueError(f"`{name}` must have shape ({self.model.width},) or (n, {self.model.width}); "
                             f"got {tuple(x.shape)}")
        return x[None] if x.ndim == 1 else x

    def _zeros(self) -> Any:
        m = self.model
        if isinstance(m, CyclicModel):  # BSBC, MCR, CGR: counts of each index per component
            return to_device(np.zeros((m.width, m.block_size), np.int32), self._device)
        if isinstance(m, BSC) or isinstance(m, MAP) and m.dtype == "int8":
            z = np.zeros(m.dim, np.int32)
        else:
            z = np.zeros(m.dim, np.complex64 if isinstance(m, FHRR) else np.float32)
        return to_device(z, self._device)

    def _sum(self, x: Any) -> Any:
        """Exact sum over axis -2 of validated vectors, in the accumulator's form."""
        m = self.model
        if isinstance(m, BSC):
            bip = m.to_bipolar(x)
            return bip.sum(-2, dtype=torch_module().int32) if is_torch(bip) else bip.sum(-2, dtype=np.int32)
        if isinstance(m, MAP):
            return m.bundle(x, binarize=False)
        if isinstance(m, CyclicModel):
            return _index_counts(x, m.block_size)
        return m.bundle(x)

    def _sum1(self, x: Any) -> Any:
        """The accumulator form of one validated vector ``(width,)``."""
        return self._sum(x[None])

    def _put(self, x: Any, sign: int = 1) -> None:
        """Add (sign 1) or remove (sign -1) the validated rows of ``x`` ``(n, width)``."""
        self._add(self._sum(x), sign)
        self.size += sign * x.shape[0]

    def _add(self, s: Any, sign: int = 1) -> None:
        acc = self._zeros() if self._acc is None else self._acc
        self._acc = acc + s if sign > 0 else acc - s

    def _roll(self, v: Any, shifts: int) -> Any:
        """``permute`` of an accumulator (the component axis: -2 for the index counts of BSBC, MCR, CGR)."""
        axis = -2 if isinstance(self.model, CyclicModel) else -1
        if is_torch(v):
            return torch_module().roll(v, shifts, dims=axis)
        return np.roll(v, shifts, axis=axis)

    def _finish(self, acc: Any) -> Any:
        m = self.model
        if isinstance(m, BSC):
            tb = unpack_bits(to_device(m.tiebreak, self._device), m.dim)
            return pack_bits((acc < 0) | ((acc == 0) & tb))
        if isinstance(m, CyclicModel):
            return _counts_to_vector(m, acc)
        if isinstance(m, MAP) and m.binarize:
            return m.bundle(acc[None], binarize=True)
        return acc.clone() if is_torch(acc) else acc.copy()

    @property
    def value(self) -> Any:
        """The structure's hypervector ``(width,)`` in the model's form (a new array)."""
        return self._finish(self._zeros() if self._acc is None else self._acc)

    def clear(self) -> None:
        """Empty the structure."""
        self._acc = None
        self.size = 0

    def contains(self, x: Any) -> Any:
        """Similarity of ``x`` ``(width,)`` or ``(n, width)`` to ``value``: float32 ``()`` or ``(n,)``."""
        check_device(x, "x", self._device)
        return self.model.similarity(self.model.check(x, "x"), self.value)

    @staticmethod
    def _device_of(x: Any) -> Any:
        return x.device if is_torch(x) else None


class _SequenceBase(_Structure):
    def _index(self, index: int) -> int:
        if isinstance(index, bool) or not isinstance(index, (int, np.integer)):
            raise TypeError(f"`index` must be an int; got {type(index).__name__}")
        i = int(index) + (self.size if index < 0 else 0)
        if not 0 <= i < self.size:
            raise IndexError(f"`index` {index} is out of range for a sequence of length {self.size}")
        return i

    def _check_pop(self) -> None:
        if self.size == 0:
            raise IndexError("pop from an empty sequence")

    def _check_other(self, other: Any) -> None:
        if type(other) is not type(self) or other.model.config() != self.model.config() or \
                other._device != self._device:
            raise TypeError(f"`other` must be a {type(self).__name__} of {self.model!r} on the same device; "
                            f"got {other!r}")


# ------------------------------------------------------------------ index counts (BSBC, MCR, CGR)


def _index_counts(x: Any, r: int) -> Any:
    """Counts of each index per component over axis -2: ``(..., n, w)`` in [0, r) -> int32 ``(..., w, r)``.

    The exact running sum of the integer models: their bundle (mode or phasor
    angle) is a function of these counts, and counts can be subtracted again.
    """
    if is_torch(x):
        torch = torch_module()
        return torch.nn.functional.one_hot(x.long(), r).sum(-3, dtype=torch.int32)
    return (x[..., None] == np.arange(r, dtype=x.dtype)).sum(-3, dtype=np.int32)


def _counts_to_vector(m: CyclicModel, counts: Any) -> Any:
    """The model's bundle from index counts ``(w, r)`` -> ``(w,)`` in the model's dtype.

    CGR and BSBC: the most frequent index, ties going to the index first reached
    going up cyclically from ``tiebreak`` (as their ``bundle``). MCR: the index
    nearest the angle of the phasor sum, the rounded mean index where the sum
    has no angle, halves to even (as ``MCR.bundle``).
    """
    r, torch = m.block_size, torch_module() if is_torch(counts) else None
    c = counts.cpu().numpy() if torch else counts
    if isinstance(m, MCR):
        k = np.arange(r)
        ang = 2.0 * np.pi * k / r
        total = c.sum(-1).astype(np.float64)
        re, im = c @ np.cos(ang), c @ np.sin(ang)
        zero_tol = 1e-9 * np.maximum(total, 1.0)
        mean = np.divide(c @ k, total, out=np.zeros_like(total), where=total != 0)
        t = np.where(re * re + im * im <= zero_tol * zero_tol, mean, np.arctan2(im, re) * (r / (2.0 * np.pi)))
        f = np.floor(t)
        frac = t - f
        odd = np.remainder(f, 2) != 0
        t = np.where(np.abs(frac - 0.5) <= 1e-6, np.where(odd, f + 1, f), np.where(frac > 0.5, f + 1, f))
        out = np.remainder(t.astype(np.int64), r)
    else:
        rank = np.remainder(np.arange(r)[None, :] - m.tiebreak[:, None], r)
        out = np.where(c == c.max(-1, keepdims=True), rank, r).argmin(-1)
    out = out.astype(m.dtype)
    return to_device(out, counts.device) if torch else out
