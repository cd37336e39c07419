"""The base every VSA model shares: dimension, seeding and input checks."""

from __future__ import annotations

from typing import Any

import numpy as np

from .._backend import is_torch, same_backend, to_device
from .._validation import Seed, as_rng, check_dim, check_finite, keyed_rng, seed_entropy


def dtype_name(x: Any) -> str:
    """NumPy-style dtype name of an array or tensor ("int8", "uint64", ...)."""
    if is_torch(x):
        return str(x.dtype).replace("torch.", "")
    return np.asarray(x).dtype.name


class Model:
    """Shared state of a VSA model: ``dim``, ``seed`` and the seeded generators.

    Randomness: ``random(n)`` draws from the model's own generator (seeded by
    ``seed``), so two models built with the same seed draw the same vectors.
    Named things (roles, keyed atoms) come from ``(seed, stable_hash(name))``
    and do not depend on call order. Vectors are always drawn with NumPy on the
    CPU and moved to ``device``, so every backend sees the same numbers.
    """

    name = "Model"
    #: dtypes a vector of this model may have (NumPy names)
    vector_dtypes: tuple[str, ...] = ()

    def __init__(self, dim: int, *, seed: Seed = None):
        self.dim = check_dim(dim, "dim")
        self.seed = seed
        self.entropy = seed_entropy(seed)
        self._rng = np.random.default_rng(np.random.SeedSequence([self.entropy, 0]))

    # ------------------------------------------------------------- basics
    @property
    def width(self) -> int:
        """Length of the last axis of a stored vector (``dim``, or words for BSC)."""
        return self.dim

    def __repr__(self) -> str:
        return f"{type(self).__name__}(dim={self.dim}, seed={self.seed!r})"

    def config(self) -> dict:
        """JSON-able description that rebuilds an equal model via ``from_config``."""
        return {"model": type(self).__name__, "dim": self.dim, "seed": self.entropy}

    def _rng_for(self, seed: Seed) -> np.random.Generator:
        return self._rng if seed is None else as_rng(seed)

    def keyed_rng(self, key: object, stream: int = 0) -> np.random.Generator:
        """Generator determined by the model seed and ``key`` (str, bytes or int)."""
        return keyed_rng(self.entropy, key, stream)

    @staticmethod
    def _shape(n: Any, name: str = "n") -> tuple[int, ...]:
        shape = (n,) if isinstance(n, (int, np.integer)) and not isinstance(n, bool) else n
        if not isinstance(shape, tuple) or not all(
            isinstance(s, (int, np.integer)) and not isinstance(s, bool) and s >= 0 for s in shape
        ):
            raise TypeError(f"`{name}` must be a non-negative int or a tuple of them; got {n!r}")
        return tuple(int(s) for s in shape)

    def _draw(self, rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
        raise NotImplementedError

    def random(self, n: int | tuple[int, ...], *, seed: Seed = None, device: Any = None) -> Any:
        """Random vectors of this model: ``(n, width)``, or ``(*n, width)`` for a tuple ``n``.

        ``seed`` None draws from the model's own generator; an int or Generator
        draws from that instead. ``device`` (e.g. "cpu", "cuda") returns a torch
        tensor holding the same numbers as the NumPy result.
        """
        return to_device(self._draw(self._rng_for(seed), self._shape(n)), device)

    # ------------------------------------------------------------- checks
    def check(self, x: Any, name: str, dtypes: tuple[str, ...] | None = None, finite: bool = True) -> Any:
        """Validate one vector batch ``(..., width)``; return it (NumPy arrays made contiguous).

        ``finite=False`` leaves the NaN/inf test of a NumPy array to the caller,
        which then checks the result of its one pass (NaN and inf propagate
        through sums and products).
        """
        dtypes = self.vector_dtypes if dtypes is None else dtypes
        if not is_torch(x) and not isinstance(x, np.ndarray):
            raise TypeError(f"`{name}` must be a numpy.ndarray or torch.Tensor; got {type(x).__name__}")
        dt = dtype_name(x)
        if dt not in dtypes:
            raise TypeError(f"`{name}` must have dtype {' or '.join(dtypes)} for {self!r}; got {dt}")
        if x.ndim < 1 or x.shape[-1] != self.width:
            raise ValueError(
                f"`{name}` must have shape (..., {self.width}) for {self!r}; got {tuple(x.shape)}"
            )
        if is_torch(x):
            if x.dtype.is_floating_point or x.dtype.is_complex:
                import torch

                if not bool(torch.isfinite(x).all()):
                    raise ValueError(f"`{name}` must contain only finite values; got NaN or inf")
            return x.contiguous()
        x = np.ascontiguousarray(x)
        if finite:
            check_finite(x, name)
        return x

    def check_pair(self, a: Any, b: Any, names=("a", "b"), dtypes=None, finite=True) -> tuple[Any, Any, bool]:
        """Validate two batches of one backend; returns (a, b, use_torch)."""
        use_torch = same_backend(**{names[0]: a, names[1]: b})
        return self.check(a, names[0], dtypes, finite), self.check(b, names[1], dtypes, finite), use_torch

    def check_batch(self, x: Any, name: str = "x", dtypes=None, finite: bool = True) -> Any:
        """Like ``check`` and require at least one vector on axis -2 (for bundling)."""
        x = self.check(x, name, dtypes, finite)
        if x.ndim < 2:
            raise ValueError(f"`{name}` must have shape (..., n, {self.width}) with n >= 1; got {tuple(x.shape)}")
        if x.shape[-2] == 0:
            raise ValueError(f"`{name}` must not be an empty batch; got shape {tuple(x.shape)}")
        return x

    @staticmethod
    def check_shift(shifts: Any) -> int:
        if isinstance(shifts, bool) or not isinstance(shifts, (int, np.integer)):
            raise TypeError(f"`shifts` must be an int; got {type(shifts).__name__}")
        return int(shifts)

    def check_weights(self, weights: Any, n: int) -> np.ndarray:
        w = weights.detach().cpu().numpy() if is_torch(weights) else np.asarray(weights)
        if w.ndim != 1 or w.shape[0] != n or w.dtype.kind not in "biuf":
            raise ValueError(f"`weights` must be a 1-D real array of length {n}; got shape {w.shape}, dtype {w.dtype}")
        w = w.astype(np.float64)
        check_finite(w, "weights")
        return w

    # ------------------------------------------------------------- shared API
    def distance(self, a: Any, b: Any) -> Any:
        """Pairwise distance, lower is better: ``1 - similarity`` for dense models.

        Shapes: ``(*A, width), (*B, width) -> (*A, *B)`` float32.
        """
        return 1.0 - self.similarity(a, b)

    def cleanup(self, queries: Any, items: Any, k: int = 1):
        """Top-k nearest ``items`` for every query: ``(distances, indices)``, each (nq, k)."""
        from .similarity import knn

        return knn(self, queries, items, k)
