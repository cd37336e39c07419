"""Shared machinery of the stateful structures and the memories: devices, dtypes, a running sum. Private."""

from __future__ import annotations

from typing import Any

import numpy as np

from .._backend import is_torch, to_device, torch_module
from .binary import BSC, pack_bits, unpack_bits
from .dense import MAP
from .fourier import FHRR, HRR
from .model import Model
from .orthogonal import MBAT


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
        if isinstance(model, HRR) and self._needs_order:
            raise TypeError(f"{type(self).__name__} does not apply to HRR: a cyclic shift commutes with circular "
                            "convolution, so permute cannot mark order inside a bind (use FHRR, MAP or BSC)")
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
        if is_torch(v):
            return torch_module().roll(v, shifts, dims=-1)
        return np.roll(v, shifts, axis=-1)

    def _finish(self, acc: Any) -> Any:
        m = self.model
        if isinstance(m, BSC):
            tb = unpack_bits(to_device(m.tiebreak, self._device), m.dim)
            return pack_bits((acc < 0) | ((acc == 0) & tb))
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
