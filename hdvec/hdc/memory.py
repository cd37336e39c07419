"""ItemMemory: a growing symbol -> hypervector table with batched cleanup."""

from __future__ import annotations

import os
from collections.abc import Iterable
from typing import Any

import numpy as np

from .._backend import is_torch, to_device, to_numpy
from .._io import decode_keys, encode_keys, read_arrays, write_arrays
from .._validation import Seed, check_k, keyed_rng, seed_entropy
from .model import Model
from .search import knn
from .similarity import norms


def _as_key_list(keys: Any) -> list[Any]:
    if isinstance(keys, (str, bytes)) or not isinstance(keys, Iterable):
        raise TypeError(f"`keys` must be a list (or other iterable) of keys; got {type(keys).__name__}")
    out = list(keys)
    for k in out:
        if not isinstance(k, (str, bytes, int, np.integer)) or isinstance(k, bool):
            raise TypeError(f"`keys` must hold str, bytes or int keys; got {type(k).__name__} ({k!r})")
    return [int(k) if isinstance(k, np.integer) else k for k in out]


class ItemMemory:
    """Symbol -> vector table of one model, growing as symbols arrive.

    A symbol added without a vector gets one drawn from ``(seed, stable hash of
    the symbol)``: the same symbol gets the same vector in every process and
    in any insertion order. ``cleanup`` finds the nearest stored vectors for a
    whole batch of queries in one fused scan.

    Parameters
    ----------
    model : Model
        ``BSC``, ``MAP``, ``HRR``, ``FHRR`` or ``MBAT``.
    seed : int, numpy.random.Generator or None
        Seed of the per-symbol vectors; default: the model's seed.

    Attributes
    ----------
    model : Model
        The model the vectors belong to.
    keys : list
        The symbols (str, bytes or int) in insertion order; row ``i`` of
        ``vectors`` belongs to ``keys[i]``.

    Raises
    ------
    TypeError
        If ``model`` is not an hdvec.hdc model.

    Examples
    --------
    >>> from hdvec import hdc
    >>> m = hdc.BSC(10_000, seed=0)
    >>> mem = hdc.ItemMemory(m)
    >>> rows = mem.add(["name", "capital", "USA", "Washington"])
    >>> rec = hdc.hash_table(m, mem.get(["name", "capital"]), mem.get(["USA", "Washington"]))
    >>> mem.lookup(m.unbind(rec, mem["capital"])[None])
    ['Washington']
    """

    def __init__(self, model: Model, *, seed: Seed = None):
        if not isinstance(model, Model):
            raise TypeError(f"`model` must be an hdvec.hdc model (BSC, MAP, HRR, FHRR, MBAT); got {type(model).__name__}")
        self.model = model
        self.entropy = model.entropy if seed is None else seed_entropy(seed)
        self.keys: list[Any] = []
        self._rows: dict[Any, int] = {}
        self._data = np.empty((0, model.width), dtype=self._dtype())
        # dense models keep each row's norm, so cosine cleanup never recomputes them (BSC and the
        # index models BSBC, MCR, CGR compare by their own distance: no norms)
        no_norms = model.name == "BSC" or getattr(model, "own_cleanup", False)
        self._norms: np.ndarray | None = None if no_norms else np.empty(0, np.float32)
        self._device_cache: tuple[Any, Any] | None = None

    def _dtype(self) -> np.dtype:
        return np.dtype(self.model._draw(np.random.default_rng(0), (0,)).dtype)

    def __len__(self) -> int:
        return len(self.keys)

    def __contains__(self, key: Any) -> bool:
        return key in self._rows

    def __repr__(self) -> str:
        return f"ItemMemory({self.model!r}, n={len(self)})"

    @property
    def vectors(self) -> np.ndarray:
        """The stored vectors, ``(len(self), width)`` in the model's dtype (a view; do not modify)."""
        return self._data[: len(self.keys)]

    def _grow(self, n_new: int) -> None:
        need = len(self.keys) + n_new
        if need > self._data.shape[0]:
            cap = max(need, 2 * self._data.shape[0], 16)
            data = np.empty((cap, self.model.width), self._data.dtype)
            data[: len(self.keys)] = self.vectors
            self._data = data
            if self._norms is not None:  # grows with the data, so adding one key stays O(1) amortized
                norms_ = np.empty(cap, np.float32)
                norms_[: len(self.keys)] = self._norms[: len(self.keys)]
                self._norms = norms_

    def add(self, keys: Any, vectors: Any = None) -> np.ndarray:
        """Add symbols, with seeded vectors or given ones.

        Parameters
        ----------
        keys : iterable of str, bytes or int
            The symbols (a list, not a single string).
        vectors : numpy.ndarray or torch.Tensor, optional
            ``(n, width)`` in the memory's dtype: stored for ``keys``,
            replacing any stored for a key already present. Without it, new
            keys get seeded vectors and keys already present keep theirs.

        Returns
        -------
        numpy.ndarray
            int64 ``(n,)``: the row of each key in ``vectors`` / ``keys``.

        Raises
        ------
        TypeError
            If ``keys`` is a single str/bytes or holds other types, or
            ``vectors`` has the wrong dtype.
        ValueError
            If ``vectors`` does not have shape ``(len(keys), width)``.
        """
        keys = _as_key_list(keys)
        if vectors is not None:
            vectors = self.model.check(to_numpy(vectors) if is_torch(vectors) else vectors, "vectors")
            if vectors.ndim != 2 or vectors.shape[0] != len(keys):
                raise ValueError(
                    f"`vectors` must have shape ({len(keys)}, {self.model.width}) to match `keys`; got {vectors.shape}"
                )
            if vectors.dtype != self._data.dtype:
                raise TypeError(f"`vectors` must have dtype {self._data.dtype}; got {vectors.dtype}")
        rows = np.empty(len(keys), np.int64)
        self._grow(len({k for k in keys if k not in self._rows}))  # room for the distinct new keys only
        first_new = len(self.keys)
        for j, key in enumerate(keys):
            row = self._rows.get(key)
            if row is None:
                row = len(self.keys)
                self._rows[key] = row
                self.keys.append(key)
                if vectors is None:
                    self._data[row] = self.model._draw(keyed_rng(self.entropy, key, 3), ())
            rows[j] = row
        appended = len(self.keys) - first_new == len(rows)  # every key new and distinct: rows run first_new..
        if vectors is not None:
            if appended:  # the common case: all keys new, in order: one slice copy
                self._data[first_new : len(self.keys)] = vectors
            else:
                self._data[rows] = vectors  # a repeated key keeps its last vector
        if self._norms is not None:
            self._norms[first_new : len(self.keys)] = norms(self._data[first_new : len(self.keys)])
            if vectors is not None and not appended:
                self._norms[rows] = norms(self._data[rows])
        self._device_cache = None
        return rows

    def remove(self, keys: Any) -> int:
        """Drop stored keys and their vectors; the rows after them move up, in order. Returns how many.

        A removed key added again without vectors gets its seeded vector back.

        Raises
        ------
        KeyError
            Naming the first key that is not stored (nothing is removed).
        """
        drop = np.unique(self.index(keys))
        if not drop.shape[0]:
            return 0
        keep = np.ones(len(self.keys), bool)
        keep[drop] = False
        kept = np.flatnonzero(keep)
        self._data[: kept.shape[0]] = self._data[kept]
        if self._norms is not None:
            self._norms[: kept.shape[0]] = self._norms[kept]
        self.keys = [self.keys[r] for r in kept.tolist()]
        self._rows = {k: i for i, k in enumerate(self.keys)}
        self._device_cache = None
        return int(drop.shape[0])

    def relabel(self, mapping: dict) -> None:
        """Rename keys, ``{old: new}``, keeping their vectors and rows (swaps allowed).

        Raises
        ------
        TypeError
            If ``mapping`` is not a dict or a new key is not a str, bytes or int.
        KeyError
            Naming an old key that is not stored.
        ValueError
            If two keys would get the same name, or a new key is already stored and not renamed itself.
        """
        if not isinstance(mapping, dict):
            raise TypeError(f"`mapping` must be a dict {{old key: new key}}; got {type(mapping).__name__}")
        rows = self.index(list(mapping))
        new = _as_key_list(list(mapping.values()))
        if len(set(new)) != len(new):
            raise ValueError("`mapping` gives two keys the same new name")
        clash = [k for k in new if k in self._rows and k not in mapping]
        if clash:
            raise ValueError(f"`mapping` renames a key to {clash[0]!r}, which is already stored")
        for row, key in zip(rows.tolist(), new):
            self.keys[row] = key
        self._rows = {k: i for i, k in enumerate(self.keys)}

    def index(self, keys: Any) -> np.ndarray:
        """Rows of stored keys.

        Parameters
        ----------
        keys : iterable of str, bytes or int

        Returns
        -------
        numpy.ndarray
            int64 ``(n,)``.

        Raises
        ------
        KeyError
            Naming the first key that is not stored.
        """
        keys = _as_key_list(keys)
        try:
            return np.fromiter((self._rows[k] for k in keys), np.int64, len(keys))
        except KeyError as exc:
            raise KeyError(f"key {exc.args[0]!r} is not in this ItemMemory ({len(self)} keys)") from None

    def get(self, keys: Any, *, add: bool = False, device: Any = None) -> Any:
        """Vectors of ``keys``.

        Parameters
        ----------
        keys : iterable of str, bytes or int
        add : bool
            True first adds missing keys (with seeded vectors).
        device : str, torch.device or None
            None returns NumPy; otherwise a torch tensor on that device.

        Returns
        -------
        numpy.ndarray or torch.Tensor
            ``(n, width)``, a copy.

        Raises
        ------
        KeyError
            If a key is missing and ``add`` is False.
        """
        rows = self.add(keys) if add else self.index(keys)
        return to_device(self._data[rows], device)

    def __getitem__(self, key: Any) -> np.ndarray:
        return self._data[self.index([key])[0]]

    def cleanup(self, queries: Any, k: int = 1) -> tuple[Any, Any]:
        """Top-k stored vectors nearest to each query (exact, one fused scan).

        Parameters
        ----------
        queries : numpy.ndarray or torch.Tensor
            ``(nq, width)``, or a single query ``(width,)``. Torch queries are
            answered on their device (the stored vectors are copied there once
            and cached).
        k : int
            Neighbours per query, >= 1.

        Returns
        -------
        distances : numpy.ndarray or torch.Tensor
            float32 ``(nq, k)``, ascending: Hamming counts for BSC, ``1 - cos``
            otherwise; ``inf`` where padded.
        rows : numpy.ndarray or torch.Tensor
            int64 ``(nq, k)`` indices into ``keys``; -1 where padded
            (``k > len(self)``).

        Raises
        ------
        ValueError
            If ``k < 1`` (an empty memory gives padded results, as any search).

        Shapes
        ------
        ``(nq, width) -> (nq, k), (nq, k)``; ``(width,) -> (k,), (k,)``
        """
        check_k(k)
        items: Any = self.vectors
        if is_torch(queries):
            dev = queries.device
            if self._device_cache is None or self._device_cache[0] != dev:
                self._device_cache = (dev, to_device(self.vectors, dev))
            items = self._device_cache[1]
        item_norms = None if self._norms is None or is_torch(queries) else self._norms[: len(self)]
        return knn(self.model, queries, items, k, check_items=False, item_norms=item_norms)

    def lookup(self, queries: Any) -> list[Any]:
        """The key of the nearest stored vector for each query.

        Parameters
        ----------
        queries : numpy.ndarray or torch.Tensor
            ``(nq, width)`` or ``(width,)``.

        Returns
        -------
        list
            ``nq`` keys (one for a single query).
        """
        _, rows = self.cleanup(queries, 1)
        rows = to_numpy(rows).reshape(-1)
        return [self.keys[r] for r in rows]

    # ------------------------------------------------------------------ persistence
    def save(self, path: str | os.PathLike) -> None:
        """Write the memory (model config, keys, vectors) to one file.

        The file is written atomically (to a temporary file, then renamed),
        carries checksums, and holds no pickled objects.

        Parameters
        ----------
        path : str or os.PathLike
        """
        meta = {"kind": "ItemMemory", "model": self.model.config(), "entropy": self.entropy,
                "keys": encode_keys(self.keys)}
        write_arrays(path, meta, {"vectors": self.vectors})

    @classmethod
    def load(cls, path: str | os.PathLike) -> "ItemMemory":
        """Read a memory written by ``save``; checks format and checksums, never unpickles.

        Parameters
        ----------
        path : str or os.PathLike

        Returns
        -------
        ItemMemory
            With an equal model (rebuilt from its config), keys and vectors.

        Raises
        ------
        FileNotFoundError
            If ``path`` does not exist.
        ValueError
            ``FormatError`` (a ValueError) if the file is not an ItemMemory
            file, was written by a newer format version, or is truncated or
            corrupted.
        """
        from .._io import FormatError
        from .config import model_from_config

        meta, arrays = read_arrays(path)
        if meta.get("kind") != "ItemMemory" or "vectors" not in arrays:
            raise FormatError(f"'{path}' does not hold an ItemMemory (kind={meta.get('kind')!r})")
        vectors = arrays["vectors"]
        config, entropy, items = meta.get("model"), meta.get("entropy"), meta.get("keys")
        # everything is checked against the arrays before a model of the file's dim is built
        dim = config.get("dim") if isinstance(config, dict) else None
        if isinstance(dim, bool) or not isinstance(dim, int) or dim < 1:
            raise FormatError(f"'{path}' is corrupted: header field 'model.dim' must be an int >= 1; got {dim!r}")
        width = -(-dim // 64) if config.get("model") == "BSC" else dim
        if config.get("model") == "BSBC":
            block = config.get("block_size")
            if isinstance(block, bool) or not isinstance(block, int) or block < 2 or dim % block:
                raise FormatError(f"'{path}' is corrupted: header field 'model.block_size' must be an int >= 2 "
                                  f"dividing model.dim={dim}; got {block!r}")
            width = dim // block
        if vectors.ndim != 2 or vectors.shape[1] != width:
            raise FormatError(f"'{path}' is corrupted: array 'vectors' must have {width} columns for "
                              f"model.dim={dim}; got shape {vectors.shape}")
        if isinstance(entropy, bool) or not isinstance(entropy, int) or entropy < 0:
            raise FormatError(f"'{path}' is corrupted: header field 'entropy' must be an int >= 0; got {entropy!r}")
        try:
            keys = decode_keys(items)
        except (TypeError, ValueError, KeyError) as exc:
            raise FormatError(f"'{path}' is corrupted: header field 'keys' is not a list of keys ({exc})") from None
        if len(keys) != vectors.shape[0]:
            raise FormatError(f"'{path}' is corrupted: {len(keys)} keys but {vectors.shape[0]} vectors")
        if len(set(keys)) != len(keys):
            raise FormatError(f"'{path}' is corrupted: header field 'keys' holds a key twice")
        try:
            mem = cls(model_from_config(config), seed=entropy)
            mem.add(keys, vectors)
        except (TypeError, ValueError) as exc:
            raise FormatError(f"'{path}' is corrupted: header field 'model' or array 'vectors' ({exc})") from None
        return mem
