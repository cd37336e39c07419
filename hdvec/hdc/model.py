"""The base every VSA model shares: dimension, seeding and input checks."""

from __future__ import annotations

from typing import Any

import numpy as np

from .._backend import dtype_name, is_torch, same_backend, to_device
from .._validation import Seed, as_rng, check_dim, check_finite, keyed_rng, seed_entropy
from .search import knn


class Model:
    """Base class of the VSA models: dimension, seeding and input checks.

    The concrete models are [`MAP`][hdvec.hdc.MAP], [`BSC`][hdvec.hdc.BSC],
    [`HRR`][hdvec.hdc.HRR], [`FHRR`][hdvec.hdc.FHRR] and
    [`MBAT`][hdvec.hdc.MBAT]; each adds ``bind``, ``unbind``, ``inverse``,
    ``bundle``, ``permute`` and ``similarity``.

    Parameters
    ----------
    dim : int
        Number of components of a hypervector (bits for ``BSC``); >= 1.
    seed : int, numpy.random.Generator or None
        Seed of the model's own generator and of every named (keyed) vector.
        None draws a fresh seed.

    Attributes
    ----------
    dim : int
        The dimension.
    seed : int, numpy.random.Generator or None
        The seed as given.
    entropy : int
        A non-negative integer derived from ``seed`` (the seed itself for a
        non-negative int); ``config()`` records it, so a model rebuilt from its
        config draws the same vectors.

    Raises
    ------
    TypeError
        If ``dim`` is not an int, or ``seed`` is not an int, Generator or None.
    ValueError
        If ``dim < 1`` or ``seed`` is a negative int.

    Notes
    -----
    ``random(n)`` draws from the model's own generator (seeded by ``seed``),
    so two models built with the same seed draw the same vectors in the same
    order. Named things (roles, keyed atoms) come from
    ``(seed, stable_hash(name))`` and do not depend on call order. Vectors are
    always drawn with NumPy on the CPU and then moved to ``device``, so every
    backend sees the same numbers.
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
        """Length of the last axis of a stored vector: ``dim``, or ``ceil(dim / 64)`` words for BSC."""
        return self.dim

    def __repr__(self) -> str:
        return f"{type(self).__name__}(dim={self.dim}, seed={self.seed!r})"

    def config(self) -> dict:
        """JSON-able description of the model.

        Returns
        -------
        dict
            ``{"model": <class name>, "dim": ..., "seed": <entropy>, ...}`` plus
            the model's own options; [`model_from_config`][hdvec.hdc.model_from_config]
            rebuilds an equal model from it.
        """
        return {"model": type(self).__name__, "dim": self.dim, "seed": self.entropy}

    def _rng_for(self, seed: Seed) -> np.random.Generator:
        return self._rng if seed is None else as_rng(seed)

    def keyed_rng(self, key: object, stream: int = 0) -> np.random.Generator:
        """A generator determined by the model seed, ``key`` and ``stream``.

        Parameters
        ----------
        key : str, bytes or int
            Name of the thing drawn; hashed with a stable (process-independent) hash.
        stream : int
            Separates independent draws for the same key.

        Returns
        -------
        numpy.random.Generator
            The same generator state on every machine and run.
        """
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
        """Random vectors of this model.

        Parameters
        ----------
        n : int or tuple of int
            Number of vectors, or the leading shape of the batch.
        seed : int, numpy.random.Generator or None
            None draws from the model's own generator (so successive calls
            give new vectors); an int or Generator draws from that instead.
        device : str, torch.device or None
            None returns a NumPy array; ``"cpu"``, ``"cuda"``, ... return a
            torch tensor there holding the same numbers as the NumPy result.

        Returns
        -------
        numpy.ndarray or torch.Tensor
            ``(n, width)``, or ``(*n, width)`` for a tuple ``n``, in the
            model's vector dtype (float32, int8, uint64 or complex64).

        Raises
        ------
        TypeError
            If ``n`` is not a non-negative int or a tuple of them.

        Shapes
        ------
        ``n -> (n, width)``; ``(a, b) -> (a, b, width)``.
        """
        return to_device(self._draw(self._rng_for(seed), self._shape(n)), device)

    # ------------------------------------------------------------- checks
    def check(self, x: Any, name: str, dtypes: tuple[str, ...] | None = None, finite: bool = True) -> Any:
        """Validate one batch of vectors of this model.

        Parameters
        ----------
        x : numpy.ndarray or torch.Tensor
            Vectors ``(..., width)``.
        name : str
            Argument name used in error messages.
        dtypes : tuple of str or None
            Accepted NumPy dtype names; default: the model's ``vector_dtypes``.
        finite : bool
            False leaves the NaN/inf test of a NumPy array to the caller, which
            then checks the result of its one pass (NaN and inf propagate
            through sums and products). Torch tensors are always tested.

        Returns
        -------
        numpy.ndarray or torch.Tensor
            ``x`` itself, made contiguous.

        Raises
        ------
        TypeError
            If ``x`` is not an array or tensor, or has a dtype not in ``dtypes``.
        ValueError
            If the last axis is not ``width``, or ``x`` holds NaN or inf.
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
        """Validate two batches that must share one backend (and one device).

        Returns
        -------
        tuple
            ``(a, b, use_torch)``: the checked batches and True when both are
            torch tensors.

        Raises
        ------
        TypeError
            If one is a NumPy array and the other a torch tensor, or as in ``check``.
        ValueError
            If torch tensors sit on different devices, or as in ``check``.
        """
        use_torch = same_backend(**{names[0]: a, names[1]: b})
        return self.check(a, names[0], dtypes, finite), self.check(b, names[1], dtypes, finite), use_torch

    def check_batch(self, x: Any, name: str = "x", dtypes=None, finite: bool = True) -> Any:
        """Like ``check``, and require a non-empty axis -2 ``(..., n, width)``, ``n >= 1`` (for bundling).

        Raises
        ------
        ValueError
            If ``x`` has fewer than two axes or ``n == 0``, or as in ``check``.
        """
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

        Parameters
        ----------
        a, b : numpy.ndarray or torch.Tensor
            Vector batches of this model, one backend.

        Returns
        -------
        numpy.ndarray or torch.Tensor
            float32 distances ``(*A, *B)``; the Hamming count for ``BSC``.

        Shapes
        ------
        ``(*A, width), (*B, width) -> (*A, *B)``
        """
        return 1.0 - self.similarity(a, b)

    def cleanup(self, queries: Any, items: Any, k: int = 1):
        """Top-k nearest ``items`` for every query (exact search).

        Same as [`hdvec.hdc.knn`][hdvec.hdc.knn]``(self, queries, items, k)``.

        Parameters
        ----------
        queries : numpy.ndarray or torch.Tensor
            ``(nq, width)``, or one query ``(width,)``.
        items : numpy.ndarray or torch.Tensor
            ``(n, width)``, same backend as ``queries``.
        k : int
            Neighbours per query (>= 1; results are padded when ``k > n``).

        Returns
        -------
        distances : numpy.ndarray or torch.Tensor
            ``(nq, k)`` float32, ascending (Hamming for BSC, ``1 - cos`` otherwise).
        indices : numpy.ndarray or torch.Tensor
            ``(nq, k)`` int64 rows of ``items`` (-1 where padded).
        """
        return knn(self, queries, items, k)
