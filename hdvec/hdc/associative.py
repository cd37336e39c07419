"""Associative memories: Kanerva's sparse distributed memory, the classic Hopfield network and
modern (dense, softmax) Hopfield retrieval.

NumPy input runs through the Numba kernels of ``_associative_kernels``; torch
input through torch on its device. Stateful memories keep their state on
NumPy (``device=None``) or on one torch device, and take input there.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .._backend import is_torch, to_device, to_numpy, torch_module
from .._validation import Seed, as_rng, check_count, check_dim, seed_entropy
from . import _associative_kernels as K
from ._stateful import check_device, resolve_device
from .binary import BSC, pack_bits, unpack_bits
from .dense import MAP
from .model import Model

__all__ = ["Hopfield", "SparseDistributedMemory", "binomial_radius", "modern_hopfield"]


def binomial_radius(dim: int, p: float) -> int:
    """Hamming radius that a random address falls within with probability about ``p``.

    The smallest ``r`` with ``P[Binomial(dim, 1/2) <= r] >= p`` (Torchhd's
    ``binom.ppf(p, dim, 0.5)``), computed in log space.

    Parameters
    ----------
    dim : int
        Address bits, >= 1.
    p : float
        Activation probability, in (0, 1).

    Returns
    -------
    int
        The radius, in ``[0, dim]``.

    Examples
    --------
    >>> from hdvec.hdc.associative import binomial_radius
    >>> binomial_radius(256, 0.5), binomial_radius(1000, 0.000368)
    (128, 447)
    """
    dim = check_dim(dim, "dim")
    if isinstance(p, bool) or not isinstance(p, (int, float, np.floating)) or not 0.0 < p < 1.0:
        raise ValueError(f"`p` must be a number in (0, 1); got {p!r}")
    log_half = dim * math.log(0.5)
    cdf = 0.0
    for r in range(dim + 1):
        cdf += math.exp(math.lgamma(dim + 1) - math.lgamma(r + 1) - math.lgamma(dim - r + 1) + log_half)
        if cdf >= p * (1 - 1e-12):
            return r
    return dim


def _bipolar_model(model: Any, name: str) -> Model:
    if not isinstance(model, (BSC, MAP)):
        raise TypeError(f"`{name}` must be a BSC or MAP model (bipolar vectors); got {type(model).__name__}")
    return model


def _signs(model: Model, x: Any) -> Any:
    """Validated vectors -> float32 ±1 ``(n, dim)`` (MAP: the sign, zero -> +1; BSC: bit 1 -> -1)."""
    if isinstance(model, BSC):
        b = model.to_bipolar(x)
        return b.float() if is_torch(b) else b.astype(np.float32)
    if is_torch(x):
        return torch_module().where(x < 0, -1.0, 1.0)
    return np.where(x < 0, -1.0, 1.0).astype(np.float32)


def _to_vectors(model: Model, s: Any) -> Any:
    """float32 ±1 states or sums ``(n, dim)`` -> the model's vectors (the sign, ties to the model's tiebreak)."""
    if isinstance(model, BSC):
        tb = unpack_bits(to_device(model.tiebreak, s.device) if is_torch(s) else model.tiebreak, model.dim)
        return pack_bits((s < 0) | ((s == 0) & tb))
    if model.dtype == "float32":
        return model.bundle(s[..., None, :], binarize=True)
    return _map_int_sign(model, s)


def _map_int_sign(model: MAP, s: Any) -> Any:
    if is_torch(s):
        tb = to_device(model.tiebreak, s.device).to(s.dtype)
        return torch_module().where(s > 0, 1, torch_module().where(s < 0, -1, tb)).to(torch_module().int8)
    return np.where(s > 0, 1, np.where(s < 0, -1, model.tiebreak)).astype(np.int8)


class SparseDistributedMemory:
    """Kanerva's sparse distributed memory: random hard locations, an activation radius, counters.

    A write adds the value (as ±1) to the counters of every location whose
    address lies within Hamming ``radius`` of the write address; a read sums
    the counters of the locations within ``radius`` of the query and takes
    the sign. Used auto-associatively (``write(x, x)``) it cleans up noisy
    copies of what it stored, as long as the number of stored items stays
    below its capacity (which grows with ``n_locations``).

    Parameters
    ----------
    model : BSC or MAP
        Model of the addresses (MAP addresses are compared by their signs).
    n_locations : int
        Number of hard locations, >= 1.
    value_model : BSC, MAP or None
        Model of the stored values; default ``model``.
    radius : int or None
        Activation radius in bits; default from ``p``.
    p : float
        Probability that a random address activates a given location (used
        when ``radius`` is None): ``radius = binomial_radius(dim, p)``.
        Torchhd's default is 0.000368 (Kanerva's ~1/1000 of a million locations);
        small memories need a larger ``p``.
    kappa : float or None
        Counters are clipped to [-kappa, kappa] after each write; None: never.
    seed : int, numpy.random.Generator or None
        Seed of the location addresses (drawn on first use).
    device : str, torch.device or None
        None: NumPy state and input; otherwise torch tensors on that device.

    Attributes
    ----------
    counters : numpy.ndarray or torch.Tensor
        float32 ``(n_locations, value_dim)``.
    locations : numpy.ndarray
        uint64 ``(n_locations, ceil(dim / 64))`` packed location addresses.

    Examples
    --------
    >>> from hdvec import hdc
    >>> from hdvec.hdc.associative import SparseDistributedMemory
    >>> m = hdc.BSC(256, seed=0)
    >>> x = m.random(20)
    >>> sdm = SparseDistributedMemory(m, 2000, p=0.02, seed=1)
    >>> sdm.write(x, x)
    >>> bool((sdm.read(x) == x).all())
    True
    """

    def __init__(self, model: Model, n_locations: int, *, value_model: Model | None = None, radius: int | None = None,
                 p: float = 0.000368, kappa: float | None = None, seed: Seed = None, device: Any = None):
        self.model = _bipolar_model(model, "model")
        self.value_model = _bipolar_model(model if value_model is None else value_model, "value_model")
        self.n_locations = check_count(n_locations, "n_locations", minimum=1)
        if radius is not None:
            radius = check_count(radius, "radius")
        self.radius = binomial_radius(model.dim, p) if radius is None else min(radius, model.dim)
        self.p = p
        if kappa is not None and (isinstance(kappa, bool) or not isinstance(kappa, (int, float)) or not kappa > 0):
            raise ValueError(f"`kappa` must be a positive number or None; got {kappa!r}")
        self.kappa = kappa
        self.seed = seed
        self.entropy = seed_entropy(seed)
        self.device = device
        self._device = resolve_device(device)
        self.locations: np.ndarray | None = None
        self.counters: Any = None
        self._loc_signs: Any = None

    def __repr__(self) -> str:
        return f"SparseDistributedMemory({self.model!r}, {self.n_locations}, radius={self.radius})"

    def _state(self) -> None:
        if self.locations is not None:
            return
        rng = as_rng(self.entropy)
        self.locations = BSC(self.model.dim)._draw(rng, (self.n_locations,))
        counters = np.zeros((self.n_locations, self.value_model.dim), np.float32)
        self.counters = to_device(counters, self._device)
        if self._device is not None:
            self._loc_signs = to_device(BSC(self.model.dim).to_bipolar(self.locations).astype(np.float32),
                                        self._device)

    def _addresses(self, x: Any, name: str) -> Any:
        check_device(x, name, self._device)
        x = self.model.check(x, name)
        x = x[None] if x.ndim == 1 else x
        if x.ndim != 2:
            raise ValueError(f"`{name}` must have shape (n, {self.model.width}); got {tuple(x.shape)}")
        return x

    def _active(self, addr: Any) -> Any:
        """torch: float32 (n, n_locations) activation matrix."""
        d = self.model.dim
        dots = _signs(self.model, addr) @ self._loc_signs.T
        return ((d - dots) * 0.5 <= self.radius + 0.5).float()

    def _packed(self, addr: np.ndarray) -> np.ndarray:
        return np.ascontiguousarray(addr if isinstance(self.model, BSC) else pack_bits(addr < 0))

    def write(self, addresses: Any, values: Any) -> None:
        """Store ``values`` at ``addresses`` (one pair or a batch).

        Parameters
        ----------
        addresses : numpy.ndarray or torch.Tensor
            ``(n, width)`` or ``(width,)`` vectors of ``model``.
        values : numpy.ndarray or torch.Tensor
            ``(n, value_width)`` or ``(value_width,)`` vectors of ``value_model``.

        Raises
        ------
        ValueError
            If the two batches differ in length.
        """
        self._state()
        addr = self._addresses(addresses, "addresses")
        check_device(values, "values", self._device)
        vals = self.value_model.check(values, "values")
        vals = vals[None] if vals.ndim == 1 else vals
        if vals.ndim != 2 or vals.shape[0] != addr.shape[0]:
            raise ValueError(f"`values` must have shape ({addr.shape[0]}, {self.value_model.width}) to match "
                             f"`addresses`; got {tuple(vals.shape)}")
        signed = _signs(self.value_model, vals) if isinstance(self.value_model, BSC) else (
            vals.float() if is_torch(vals) else vals.astype(np.float32))
        if self._device is not None:
            self.counters += self._active(addr).T @ signed
            if self.kappa is not None:
                self.counters.clamp_(-self.kappa, self.kappa)
            return
        K.sdm_write(self._packed(addr), self.locations, self.radius, np.ascontiguousarray(signed),
                    float(self.kappa or 0.0), self.counters)

    def read(self, queries: Any, *, binarize: bool = True, return_active: bool = False) -> Any:
        """Read the values stored near ``queries``.

        Parameters
        ----------
        queries : numpy.ndarray or torch.Tensor
            ``(n, width)`` or ``(width,)`` vectors of ``model``.
        binarize : bool
            True: the sign of the counter sums as ``value_model`` vectors
            (ties broken by its seeded tiebreak). False: the float32 sums ``(n, value_dim)``.
        return_active : bool
            Also return the number of locations each query activated, int64 ``(n,)``.

        Returns
        -------
        numpy.ndarray or torch.Tensor
            ``(n, value_width)`` (``(value_width,)`` for one query), plus the
            activation counts with ``return_active``.
        """
        self._state()
        single = getattr(queries, "ndim", 2) == 1
        q = self._addresses(queries, "queries")
        if self._device is not None:
            act = self._active(q)
            sums, n_active = act @ self.counters, act.sum(-1).long()
        else:
            sums = np.empty((q.shape[0], self.value_model.dim), np.float32)
            n_active = np.empty(q.shape[0], np.int64)
            K.sdm_read(self._packed(q), self.locations, self.radius, self.counters, sums, n_active)
        out = _to_vectors(self.value_model, sums) if binarize else sums
        out = out[0] if single else out
        return (out, n_active) if return_active else out


class Hopfield:
    """Classic Hopfield network: Hebbian outer-product storage of bipolar patterns, iterated sign recall.

    ``W = sum_p x_p x_p^T`` with a zero diagonal. Recall iterates
    ``s <- sign(W s)`` (a zero field keeps the unit's state) until a fixed
    point or ``max_iter`` sweeps: all units at once (``"sync"``; may end in
    a 2-cycle) or one at a time in a seeded random order (``"async"``; the
    energy never rises, so it always reaches a fixed point). Random patterns
    are recalled from ~10 % noise while their number stays well below
    ``0.138 * dim`` (Amit, Gutfreund and Sompolinsky 1985), and not above it.

    Parameters
    ----------
    model : BSC or MAP
        Model of the patterns (MAP patterns must hold only ±1).
    kappa : float or None
        Weights are clipped to [-kappa, kappa] after each write; None: never.
    device : str, torch.device or None
        None: NumPy state and input; otherwise torch tensors on that device
        (asynchronous recall then runs on the CPU and returns to the device).

    Attributes
    ----------
    weights : numpy.ndarray or torch.Tensor
        float32 ``(dim, dim)``, symmetric with a zero diagonal (exact integers below 2**24).
    n_patterns : int
        Patterns written.

    Examples
    --------
    >>> from hdvec import hdc
    >>> from hdvec.hdc.associative import Hopfield
    >>> m = hdc.MAP(200, dtype="int8", seed=0)
    >>> x = m.random(5)
    >>> net = Hopfield(m)
    >>> net.write(x)
    >>> noisy = x.copy(); noisy[:, :20] *= -1
    >>> bool((net.recall(noisy) == x).all())
    True
    """

    def __init__(self, model: Model, *, kappa: float | None = None, device: Any = None):
        self.model = _bipolar_model(model, "model")
        if kappa is not None and (isinstance(kappa, bool) or not isinstance(kappa, (int, float)) or not kappa > 0):
            raise ValueError(f"`kappa` must be a positive number or None; got {kappa!r}")
        self.kappa = kappa
        self.device = device
        self._device = resolve_device(device)
        self.weights: Any = None
        self.n_patterns = 0

    def __repr__(self) -> str:
        return f"Hopfield({self.model!r}, n_patterns={self.n_patterns})"

    @property
    def load(self) -> float:
        """Patterns stored per unit, ``n_patterns / dim`` (capacity about 0.138)."""
        return self.n_patterns / self.model.dim

    def _patterns(self, x: Any, name: str, strict: bool) -> Any:
        check_device(x, name, self._device)
        x = self.model.check(x, name)
        x = x[None] if x.ndim == 1 else x
        if x.ndim != 2:
            raise ValueError(f"`{name}` must have shape (n, {self.model.width}); got {tuple(x.shape)}")
        s = _signs(self.model, x)
        if strict and isinstance(self.model, MAP) and bool((s != x).any()):
            raise ValueError(f"`{name}` must hold only -1 and +1 (bipolar patterns)")
        return s

    def write(self, patterns: Any) -> None:
        """Add the outer products of ``patterns`` ``(n, width)`` (or one ``(width,)``) to the weights."""
        s = self._patterns(patterns, "patterns", strict=True)
        d = self.model.dim
        if self.weights is None:
            self.weights = to_device(np.zeros((d, d), np.float32), self._device)
        self.weights += s.T @ s
        if is_torch(self.weights):
            self.weights.fill_diagonal_(0)
            if self.kappa is not None:
                self.weights.clamp_(-self.kappa, self.kappa)
        else:
            np.fill_diagonal(self.weights, 0)
            if self.kappa is not None:
                np.clip(self.weights, -self.kappa, self.kappa, out=self.weights)
        self.n_patterns += s.shape[0]

    def energy(self, states: Any) -> Any:
        """Energy ``-s^T W s / 2`` of each state ``(n, width)``: float32 ``(n,)``."""
        s = self._patterns(states, "states", strict=False)
        w = self._weights()
        return -0.5 * ((s @ w) * s).sum(-1)

    def _weights(self) -> Any:
        if self.weights is None:
            return to_device(np.zeros((self.model.dim,) * 2, np.float32), self._device)
        return self.weights

    def recall(self, queries: Any, *, mode: str = "sync", max_iter: int = 100, seed: Seed = 0,
               return_info: bool = False) -> Any:
        """Iterate the network from ``queries`` to a fixed point (or ``max_iter`` sweeps).

        Parameters
        ----------
        queries : numpy.ndarray or torch.Tensor
            ``(n, width)`` or ``(width,)`` starting states (MAP: signs are taken).
        mode : {"sync", "async"}
            Update all units at once, or one at a time in a random order per sweep.
        max_iter : int
            Maximum number of sweeps, >= 1.
        seed : int, numpy.random.Generator or None
            Seed of the asynchronous update orders.
        return_info : bool
            Also return the sweeps run (int64 ``(n,)``) and whether each query converged (bool ``(n,)``).

        Returns
        -------
        numpy.ndarray or torch.Tensor
            ``(n, width)`` (or ``(width,)``) final states as model vectors,
            plus ``(iterations, converged)`` with ``return_info``.

        Raises
        ------
        ValueError
            If ``mode`` is unknown or ``max_iter < 1``.
        """
        if mode not in ("sync", "async"):
            raise ValueError(f"`mode` must be 'sync' or 'async'; got {mode!r}")
        max_iter = check_count(max_iter, "max_iter", minimum=1)
        single = getattr(queries, "ndim", 2) == 1
        s = self._patterns(queries, "queries", strict=False)
        w = self._weights()
        n, d = s.shape
        if mode == "async":
            orders = np.argsort(as_rng(seed).random((max_iter, d)), axis=1).astype(np.int64)
            st = np.ascontiguousarray(to_numpy(s), np.float32)
            iters, conv = np.empty(n, np.int64), np.empty(n, np.bool_)
            K.hopfield_async(np.ascontiguousarray(to_numpy(w)), st, orders, iters, conv)
            s = to_device(st, self._device) if self._device is not None else st
        else:
            iters, conv = np.full(n, max_iter, np.int64), np.zeros(n, np.bool_)
            active = np.arange(n)
            for t in range(max_iter):
                h = s[active] @ w
                cur = s[active]
                new = np.where(h > 0, 1.0, np.where(h < 0, -1.0, cur)).astype(np.float32) if not is_torch(h) \
                    else torch_module().where(h > 0, 1.0, torch_module().where(h < 0, -1.0, cur))
                same = to_numpy((new == cur).all(-1))
                s[active] = new
                done = active[same]
                iters[done], conv[done] = t + 1, True
                active = active[~same]
                if active.size == 0:
                    break
        out = _to_vectors(self.model, s)
        out = out[0] if single else out
        return (out, iters, conv) if return_info else out


def modern_hopfield(queries: Any, memory: Any, beta: float = 1.0, *, n_iter: int = 1) -> Any:
    """Modern (dense) Hopfield retrieval: ``xi <- softmax(beta * xi X^T) X`` (Ramsauer et al. 2020).

    One update already retrieves a stored pattern when ``beta`` separates
    it from the others; the capacity grows exponentially with the dimension.

    Parameters
    ----------
    queries : numpy.ndarray or torch.Tensor
        Real ``(nq, d)`` or ``(d,)`` states (int8 / int32 / float32; converted to float32).
    memory : numpy.ndarray or torch.Tensor
        Real ``(n, d)`` stored patterns, same backend.
    beta : float
        Inverse temperature, > 0.
    n_iter : int
        Number of updates, >= 1.

    Returns
    -------
    numpy.ndarray or torch.Tensor
        float32 ``(nq, d)`` (``(d,)`` for one query): convex combinations of the stored patterns.

    Raises
    ------
    TypeError
        For packed (uint64) or complex input.
    ValueError
        If shapes disagree, ``beta <= 0`` or ``n_iter < 1``.

    Shapes
    ------
    ``(nq, d), (n, d) -> (nq, d)``

    Examples
    --------
    >>> import numpy as np
    >>> from hdvec import hdc
    >>> from hdvec.hdc.associative import modern_hopfield
    >>> m = hdc.MAP(64, seed=0)
    >>> x = m.random(500)
    >>> noisy = x[:3].copy(); noisy[:, :16] *= -1
    >>> bool((np.sign(modern_hopfield(noisy, x, beta=0.5)) == x[:3]).all())
    True
    """
    from .._backend import same_backend

    use_torch = same_backend(queries=queries, memory=memory)
    if not use_torch:
        queries, memory = np.asarray(queries), np.asarray(memory)
    for name, a in (("queries", queries), ("memory", memory)):
        bad = (a.dtype.is_complex or a.dtype in (torch_module().uint64, torch_module().bool)) if use_torch \
            else a.dtype.kind not in "fi"
        if bad:
            raise TypeError(f"`{name}` must be real (float or signed int); got dtype {a.dtype}")
    if isinstance(beta, bool) or not isinstance(beta, (int, float, np.floating)) or not beta > 0:
        raise ValueError(f"`beta` must be a positive number; got {beta!r}")
    n_iter = check_count(n_iter, "n_iter", minimum=1)
    single = queries.ndim == 1
    q = queries[None] if single else queries
    if memory.ndim != 2 or q.ndim != 2 or q.shape[1] != memory.shape[1]:
        raise ValueError(f"`queries` (nq, d) and `memory` (n, d) must share d; got {tuple(queries.shape)} and "
                         f"{tuple(memory.shape)}")
    if use_torch:
        torch = torch_module()
        xm, xi = memory.float(), q.float()
        for _ in range(n_iter):
            xi = torch.softmax(beta * (xi @ xm.T), dim=-1) @ xm
    else:
        xm = np.ascontiguousarray(memory, np.float32)
        xi = np.ascontiguousarray(q, np.float32)
        if not (np.isfinite(xm).all() and np.isfinite(xi).all()):
            raise ValueError("`queries` and `memory` must contain only finite values")
        for _ in range(n_iter):
            scores = xi @ xm.T
            K.softmax_rows(scores, float(beta))
            xi = scores @ xm
    return xi[0] if single else xi
