"""Further VSA operations (Torchhd's functional vocabulary), each taking the model first.

NumPy in, NumPy out; torch in, torch out on the same device. Random draws are
made with NumPy from ``seed`` and moved to the device, so every backend sees
the same numbers.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .._backend import is_torch, same_backend, to_device, to_numpy, torch_module
from .._validation import Seed
from ._stateful import check_model as _check_model
from ._stateful import refuse as _no
from ._stateful import vector_dtype
from .binary import BSC, pack_bits, unpack_bits
from .cleanup import cleanup_threshold
from .dense import MAP
from .fourier import FHRR, HRR
from .model import Model
from .modular import CyclicModel
from .orthogonal import MBAT
from .permutation import Permutation, n_components, random_permutation
from .vtb import VTB

__all__ = ["Permutation", "cleanup_threshold", "cross_product", "empty", "hard_quantize", "identity", "multibind",
           "multirandsel", "normalize", "random_permutation", "randsel", "soft_quantize"]


def empty(model: Model, n: int | tuple[int, ...], *, device: Any = None) -> Any:
    """Vectors neutral under bundling (the empty multiset): zeros.

    Parameters
    ----------
    model : Model
        MAP, HRR, FHRR or MBAT.
    n : int or tuple of int
        Number (or leading shape) of vectors.
    device : str, torch.device or None
        None returns NumPy, otherwise a torch tensor there.

    Returns
    -------
    numpy.ndarray or torch.Tensor
        ``(n, width)`` zeros in the model's vector dtype.

    Raises
    ------
    TypeError
        For BSC: bitwise majority has no neutral element (the collections
        keep counters instead).

    Examples
    --------
    >>> from hdvec import hdc
    >>> from hdvec.hdc import ops
    >>> ops.empty(hdc.MAP(4, seed=0), 1)
    array([[0., 0., 0., 0.]], dtype=float32)
    """
    _no(_check_model(model), (BSC,), "empty", "bitwise majority has no neutral element")
    return to_device(np.zeros(model._shape(n) + (model.width,), vector_dtype(model)), device)


def identity(model: Model, n: int | tuple[int, ...], *, device: Any = None) -> Any:
    """Vectors neutral under binding: ``bind(x, identity) == x`` (and ``bind(identity, x)``, except VTB).

    Ones for MAP and FHRR, zero words for BSC, the unit impulse ``[1, 0, ..., 0]``
    for HRR, zeros for BSBC, MCR and CGR (binding adds indices), and for VTB
    the identity matrix over ``sqrt(side)`` (``V_y = I``; VTB does not commute,
    so it is a right identity only).

    Parameters
    ----------
    model : Model
        Any model except MBAT.
    n : int or tuple of int
        Number (or leading shape) of vectors.
    device : str, torch.device or None
        None returns NumPy, otherwise a torch tensor there.

    Returns
    -------
    numpy.ndarray or torch.Tensor
        ``(n, width)`` in the model's vector dtype.

    Raises
    ------
    TypeError
        For MBAT (it binds a Role matrix with a vector; the identity role is the identity matrix).

    Examples
    --------
    >>> from hdvec import hdc
    >>> from hdvec.hdc import ops
    >>> ops.identity(hdc.HRR(4, seed=0), 1)
    array([[1., 0., 0., 0.]], dtype=float32)
    """
    _no(_check_model(model), (MBAT,), "identity", "it binds a Role with a vector")
    shape = model._shape(n) + (model.width,)
    if isinstance(model, BSC):
        out = np.zeros(shape, np.uint64)
    elif isinstance(model, CyclicModel):  # bind adds indices mod r
        out = np.zeros(shape, model.dtype)
    elif isinstance(model, HRR):
        out = np.zeros(shape, np.float32)
        out[..., 0] = 1
    elif isinstance(model, VTB):  # V_y = I needs Y = I / sqrt(s)
        out = np.zeros(shape[:-1] + (model.side, model.side), np.float32)
        out[..., np.arange(model.side), np.arange(model.side)] = 1.0 / np.sqrt(model.side)
        out = out.reshape(shape)
    else:
        out = np.ones(shape, vector_dtype(model))
    return to_device(out, device)


def normalize(model: Model, x: Any, /) -> Any:
    """Map vectors back onto the model's vector set.

    MAP: the sign, zeros taking the model's seeded ``tiebreak`` (as MAP-B
    bundles do). BSC, BSBC, MCR, CGR: a copy (their bundles are already
    vectors of the model). HRR / MBAT / VTB: unit L2 norm (a zero vector stays
    zero). FHRR: unit-modulus phasors, the phase kept (a zero component
    becomes 1).

    Parameters
    ----------
    model : Model
    x : numpy.ndarray or torch.Tensor
        ``(..., width)`` vectors of the model (MAP also takes int32 sums).

    Returns
    -------
    numpy.ndarray or torch.Tensor
        ``(..., width)``: MAP in the model's dtype, otherwise ``x``'s dtype.

    Examples
    --------
    >>> import numpy as np
    >>> from hdvec import hdc
    >>> from hdvec.hdc import ops
    >>> ops.normalize(hdc.MAP(3, seed=0), np.array([2.0, -3.0, 5.0], np.float32))
    array([ 1., -1.,  1.], dtype=float32)
    """
    _check_model(model)
    if isinstance(model, MAP):
        x = model.check(x, "x")
        return model.bundle(x[..., None, :], binarize=True)
    x = model.check(x, "x")
    if isinstance(model, (BSC, CyclicModel)):  # every valid vector is already on the model's set
        return x.clone() if is_torch(x) else x.copy()
    if is_torch(x):
        torch = torch_module()
        if isinstance(model, FHRR):
            return torch.polar(torch.ones_like(x.real), torch.angle(x))
        return torch.nn.functional.normalize(x, dim=-1)
    if isinstance(model, FHRR):
        return np.exp(1j * np.angle(x)).astype(np.complex64)
    nrm = np.linalg.norm(x.astype(np.float64), axis=-1, keepdims=True)
    return (x / np.where(nrm == 0, 1.0, nrm)).astype(np.float32)


def _real_input(model: Model, x: Any, what: str) -> Any:
    _no(_check_model(model), (BSC, FHRR, CyclicModel), what,
        "it needs real-valued components (BSC bits, FHRR phasors and BSBC/MCR/CGR indices are not)")
    return model.check(x, "x")


def soft_quantize(model: Model, x: Any, /) -> Any:
    """Elementwise ``tanh``: a differentiable stand-in for the sign (TypeError for BSC, FHRR, BSBC, MCR, CGR).

    Parameters
    ----------
    model : Model
        MAP, HRR or MBAT (real components).
    x : numpy.ndarray or torch.Tensor
        ``(..., width)``.

    Returns
    -------
    numpy.ndarray or torch.Tensor
        float32 ``(..., width)`` in (-1, 1).

    Examples
    --------
    >>> import numpy as np
    >>> from hdvec import hdc
    >>> from hdvec.hdc import ops
    >>> ops.soft_quantize(hdc.MAP(2, seed=0), np.array([0.0, 100.0], np.float32))
    array([0., 1.], dtype=float32)
    """
    x = _real_input(model, x, "soft_quantize")
    if is_torch(x):
        return torch_module().tanh(x.float())
    return np.tanh(x.astype(np.float32))


def hard_quantize(model: Model, x: Any, /) -> Any:
    """Elementwise ``+1 where x > 0 else -1`` (Torchhd's rule: zero goes to -1; TypeError for BSC, FHRR and the
    index models BSBC, MCR, CGR).

    Parameters
    ----------
    model : Model
        MAP, HRR or MBAT (real components).
    x : numpy.ndarray or torch.Tensor
        ``(..., width)``.

    Returns
    -------
    numpy.ndarray or torch.Tensor
        ``(..., width)`` of ±1: the MAP model's dtype, float32 otherwise.

    Examples
    --------
    >>> import numpy as np
    >>> from hdvec import hdc
    >>> from hdvec.hdc import ops
    >>> ops.hard_quantize(hdc.MAP(3, dtype="int8", seed=0), np.array([3, 0, -2], np.int32))
    array([ 1, -1, -1], dtype=int8)
    """
    x = _real_input(model, x, "hard_quantize")
    dt = model.dtype if isinstance(model, MAP) else "float32"
    if is_torch(x):
        torch = torch_module()
        return torch.where(x > 0, 1, -1).to(getattr(torch, dt))
    return np.where(x > 0, 1, -1).astype(dt)


def _check_p(p: Any) -> float:
    if isinstance(p, bool) or not isinstance(p, (int, float, np.floating, np.integer)) or not 0.0 <= p <= 1.0:
        raise ValueError(f"`p` must be a number in [0, 1]; got {p!r}")
    return float(p)


def randsel(model: Model, a: Any, b: Any, /, *, p: float = 0.5, seed: Seed = None) -> Any:
    """Bundle two vectors by taking each component from ``a`` with probability ``p``, else from ``b``.

    Parameters
    ----------
    model : Model
        Any model (BSC selects bits).
    a, b : numpy.ndarray or torch.Tensor
        ``(..., width)``, one backend; leading axes broadcast.
    p : float
        Probability of taking a component from ``a``, in [0, 1].
    seed : int, numpy.random.Generator or None
        Seed of the selection mask; None draws from the model's generator.

    Returns
    -------
    numpy.ndarray or torch.Tensor
        ``(..., width)``, the broadcast shape.

    Shapes
    ------
    ``(..., width), (..., width) -> (..., width)``

    Examples
    --------
    >>> from hdvec import hdc
    >>> from hdvec.hdc import ops
    >>> m = hdc.MAP(10_000, seed=0)
    >>> ab = m.random(2)
    >>> s = ops.randsel(m, ab[0], ab[1], p=0.5, seed=1)
    >>> [round(float(v), 1) for v in m.similarity(s, ab)]
    [0.5, 0.5]
    """
    a, b, use_torch = _check_model(model).check_pair(a, b)
    p = _check_p(p)
    rng = model._rng_for(seed)
    shape = np.broadcast_shapes(tuple(a.shape), tuple(b.shape))
    if isinstance(model, BSC):
        mask = pack_bits(rng.random(shape[:-1] + (model.dim,)) < p)
        if use_torch:
            m = to_device(mask.view(np.int64), a.device)
            out = (a.view(torch_module().int64) & m) | (b.view(torch_module().int64) & ~m)
            return out.view(torch_module().uint64)
        return (a & mask) | (b & ~mask)
    mask = rng.random(shape) < p
    if use_torch:
        return torch_module().where(to_device(mask, a.device), a, b)
    return np.where(mask, a, b)


def multirandsel(model: Model, x: Any, /, *, p: Any = None, seed: Seed = None) -> Any:
    """Bundle ``n`` vectors by taking each component from one of them, drawn with probabilities ``p``.

    Parameters
    ----------
    model : Model
        Any model (BSC selects bits).
    x : numpy.ndarray or torch.Tensor
        ``(..., n, width)``, ``n >= 1``.
    p : array-like, optional
        Non-negative weights ``(n,)`` or ``(..., n)`` (normalised per batch);
        default uniform.
    seed : int, numpy.random.Generator or None
        Seed of the selection; None draws from the model's generator.

    Returns
    -------
    numpy.ndarray or torch.Tensor
        ``(..., width)``.

    Raises
    ------
    ValueError
        If ``p`` has the wrong shape, a negative or non-finite entry, or sums to 0.

    Shapes
    ------
    ``(..., n, width) -> (..., width)``

    Examples
    --------
    >>> import numpy as np
    >>> from hdvec import hdc
    >>> from hdvec.hdc import ops
    >>> m = hdc.MAP(8, seed=0)
    >>> x = m.random(3)
    >>> bool((ops.multirandsel(m, x, p=[0, 1, 0], seed=0) == x[1]).all())
    True
    """
    x = _check_model(model).check_batch(x, "x")
    n = x.shape[-2]
    lead = tuple(x.shape[:-2])
    w = np.ones(n) if p is None else to_numpy(p).astype(np.float64)
    if w.ndim < 1 or w.shape[-1] != n or w.shape[:-1] not in ((), lead):
        raise ValueError(f"`p` must have shape ({n},) or {lead + (n,)}; got {w.shape}")
    total = w.sum(-1, keepdims=True)
    if not np.isfinite(w).all() or (w < 0).any() or (total <= 0).any():
        raise ValueError("`p` must hold finite non-negative weights with a positive sum per batch")
    cdf = np.broadcast_to(np.cumsum(w / total, axis=-1), lead + (n,))
    u = model._rng_for(seed).random(lead + (n_components(model),))
    idx = np.minimum((u[..., None, :] >= cdf[..., :, None]).sum(-2), n - 1)  # (..., c) chosen row per component
    if is_torch(x):
        torch = torch_module()
        ti = to_device(idx, x.device)[..., None, :]
        if isinstance(model, BSC):
            return pack_bits(torch.gather(unpack_bits(x, model.dim), -2, ti)[..., 0, :])
        return torch.gather(x, -2, ti)[..., 0, :]
    if isinstance(model, BSC):
        return pack_bits(np.take_along_axis(unpack_bits(x, model.dim), idx[..., None, :], -2)[..., 0, :])
    return np.take_along_axis(x, idx[..., None, :], -2)[..., 0, :]


def multibind(model: Model, x: Any, /) -> Any:
    """Bind all vectors along axis -2 together: ``x[0] * x[1] * ... * x[n-1]``.

    Parameters
    ----------
    model : Model
        MAP (product), BSC (XOR), HRR (circular convolution), FHRR (complex
        product), BSBC / MCR / CGR (index sum mod ``block_size``) or VTB
        (``bind(bind(x[0], x[1]), x[2])...``, left to right: not commutative).
    x : numpy.ndarray or torch.Tensor
        ``(..., n, width)``, ``n >= 1``.

    Returns
    -------
    numpy.ndarray or torch.Tensor
        ``(..., width)`` in ``x``'s dtype.

    Raises
    ------
    TypeError
        For MBAT (it binds Roles with vectors).

    Shapes
    ------
    ``(..., n, width) -> (..., width)``

    Examples
    --------
    >>> from hdvec import hdc
    >>> from hdvec.hdc import ops
    >>> m = hdc.BSC(128, seed=0)
    >>> x = m.random(3)
    >>> bool((ops.multibind(m, x) == m.bind(m.bind(x[0], x[1]), x[2])).all())
    True
    """
    _no(_check_model(model), (MBAT,), "multibind", "it binds a Role with a vector")
    x = model.check_batch(x, "x")
    if isinstance(model, CyclicModel):  # bind adds indices mod r
        r = model.block_size
        if is_torch(x):
            return torch_module().remainder(x.sum(-2, dtype=torch_module().int64), r).to(x.dtype)
        return np.remainder(x.sum(-2, dtype=np.int64), r).astype(x.dtype)
    if isinstance(model, VTB):  # not commutative: bind left to right, as the chain in the docstring
        out = x[..., 0, :]
        for i in range(1, x.shape[-2]):
            out = model.bind(out, x[..., i, :])
        if x.shape[-2] == 1:  # a new array, like the other models' products
            return out.clone() if is_torch(out) else out.copy()
        return out
    if is_torch(x):
        torch = torch_module()
        if isinstance(model, BSC):
            v = x.view(torch.int64)
            out = v[..., 0, :].clone()
            for i in range(1, x.shape[-2]):
                out ^= v[..., i, :]
            return out.view(torch.uint64)
        if isinstance(model, HRR):
            f = torch.fft.rfft(x.double(), dim=-1).prod(-2)
            return torch.fft.irfft(f, n=model.dim, dim=-1).float()
        return x.prod(-2, dtype=x.dtype)
    if isinstance(model, BSC):
        return np.bitwise_xor.reduce(x, axis=-2)
    if isinstance(model, HRR):
        return np.fft.irfft(np.fft.rfft(x.astype(np.float64), axis=-1).prod(-2), n=model.dim).astype(np.float32)
    return x.prod(-2, dtype=x.dtype)


def cross_product(model: Model, a: Any, b: Any, /) -> Any:
    """Bind the bundle of ``a`` with the bundle of ``b``: the superposition of every pair ``a_i * b_j``.

    Parameters
    ----------
    model : Model
        MAP, BSC, HRR or FHRR.
    a : numpy.ndarray or torch.Tensor
        ``(..., n, width)``.
    b : numpy.ndarray or torch.Tensor
        ``(..., m, width)``, same backend.

    Returns
    -------
    numpy.ndarray or torch.Tensor
        ``(..., width)``.

    Raises
    ------
    TypeError
        For MBAT, or if ``a`` and ``b`` mix NumPy and torch.

    Shapes
    ------
    ``(..., n, width), (..., m, width) -> (..., width)``

    Examples
    --------
    >>> from hdvec import hdc
    >>> from hdvec.hdc import ops
    >>> m = hdc.MAP(10_000, seed=0)
    >>> a, b = m.random(2), m.random(3)
    >>> round(float(m.similarity(ops.cross_product(m, a, b), m.bind(a[0], b[2]))), 1)
    0.4
    """
    _no(_check_model(model), (MBAT,), "cross_product", "it binds a Role with a vector")
    same_backend(a=a, b=b)
    a = model.check_batch(a, "a")
    b = model.check_batch(b, "b")
    return model.bind(model.bundle(a), model.bundle(b))
