"""The rows of an index: per-row arrays grouped by IVF list, ids, deletions and attributes.

``ListStorage`` keeps every per-row array (codes, full vectors, norms) sorted
by IVF list, so the rows of list ``l`` are the contiguous slice
``offsets[l]:offsets[l + 1]`` that the scan kernels read. It owns the ids
(user ids of the rows, int64 >= 0), the id -> row lookup, deletions
(tombstones until ``compact``), the attribute columns that filters test, and
the arrays of the index file.

A ``ListStorage`` is never changed once built: ``appended``, ``removed`` and
``compacted`` return a new one that shares the arrays it did not change. An
``Index`` swaps its ``storage`` attribute for the new one in a single
assignment, so a search that took the old one keeps a consistent view while a
writer works, and a search that starts after a write returns sees all of it.
"""

from __future__ import annotations

import copy
from typing import Any

import numpy as np

from .._io import FormatError


class ListStorage:
    """Rows grouped by IVF list (``nlist`` lists; 1 without IVF), with ids, deletions and attributes.

    Attributes
    ----------
    data : dict of str to numpy.ndarray
        Per-row arrays, first axis ``n_rows``, in list order.
    ids : numpy.ndarray
        int64 ``(n_rows,)`` id of every stored row (removed rows included until ``compact``).
    offsets : numpy.ndarray
        int64 ``(nlist + 1,)``: the rows of list ``l`` are ``offsets[l]:offsets[l + 1]``.
    deleted : numpy.ndarray
        bool ``(n_rows,)``: removed rows.
    attrs : dict of str to numpy.ndarray
        ``(n_rows,)`` attribute columns.
    next_id : int
        One more than the largest id ever added.
    version : int
        Bumped on every change (caches of derived arrays key on it).
    """

    def __init__(self, nlist: int):
        self.nlist = int(nlist)
        self.data: dict[str, np.ndarray] = {}
        self.ids = np.empty(0, np.int64)
        self.offsets = np.zeros(self.nlist + 1, np.int64)
        self.deleted = np.empty(0, bool)
        self.n_deleted = 0
        self.attrs: dict[str, np.ndarray] = {}
        self.next_id = 0
        self.version = 0
        self._sorted_ids = np.empty(0, np.int64)  # for id -> row lookups
        self._derived: dict[str, Any] = {}  # arrays computed from this snapshot's rows (e.g. fast-scan blocks)
        self._sorted_rows = np.empty(0, np.int64)

    # ------------------------------------------------------------------ reading
    @property
    def n_rows(self) -> int:
        """Stored rows, removed ones included."""
        return int(self.ids.shape[0])

    def __len__(self) -> int:
        return self.n_rows - self.n_deleted

    def live_ids(self) -> np.ndarray:
        """Ids of the rows not removed, (len(self),) int64, in storage order."""
        return self.ids[~self.deleted] if self.n_deleted else self.ids.copy()

    def allowed(self) -> np.ndarray:
        """The scan kernels' row mask: ``~deleted``, or an empty array when nothing is removed."""
        return ~self.deleted if self.n_deleted else np.empty(0, bool)

    def row_lists(self) -> np.ndarray:
        """IVF list of every stored row, (n_rows,) int64, from the offsets."""
        return np.repeat(np.arange(self.nlist, dtype=np.int64), np.diff(self.offsets))

    def live_rows_by_list(self) -> list[np.ndarray]:
        """Rows not removed of every IVF list, in storage order."""
        live, offs = ~self.deleted, self.offsets
        return [np.arange(offs[lst], offs[lst + 1])[live[offs[lst]:offs[lst + 1]]] for lst in range(self.nlist)]

    def codes(self, prefix: str) -> dict[str, np.ndarray]:
        """The per-row arrays stored under ``prefix`` ('lvq_', 'rq_' or 'pq_'), with their plain keys."""
        return {key[len(prefix):]: v for key, v in self.data.items() if key.startswith(prefix)}

    @property
    def nbytes(self) -> int:
        return int(sum(a.nbytes for a in (*self.data.values(), self.ids, self.offsets, self.deleted,
                                            *self.attrs.values())))

    def row_bytes(self) -> float:
        """Bytes of per-row arrays per stored row (what a scan reads)."""
        return sum(v.nbytes for v in self.data.values()) / max(self.n_rows, 1)

    def lookup(self, ids: np.ndarray, missing_ok: bool = False) -> np.ndarray:
        """Rows of ``ids`` (int64): -1 for absent ids, or ValueError naming them."""
        if self._sorted_ids.shape[0] == 0:
            rows = np.full(ids.shape[0], -1, np.int64)
        else:
            pos = np.minimum(np.searchsorted(self._sorted_ids, ids), self._sorted_ids.shape[0] - 1)
            rows = np.where(self._sorted_ids[pos] == ids, self._sorted_rows[pos], -1)
        if not missing_ok and np.any(rows < 0):
            raise ValueError(f"`ids` not in the index: {ids[rows < 0][:5].tolist()}")
        return rows

    def check_new_ids(self, ids: Any, n: int) -> np.ndarray:
        """Ids for ``n`` new rows: consecutive after ``next_id`` when None, else validated (int, >= 0, unique, new)."""
        if ids is None:
            return np.arange(self.next_id, self.next_id + n, dtype=np.int64)
        arr = np.asarray(ids)
        if arr.dtype.kind not in "iu" or arr.shape != (n,):
            raise ValueError(f"`ids` must be ({n},) integers, one per vector; got shape {arr.shape}, dtype {arr.dtype}")
        if arr.dtype == np.uint64 and n and arr.max() > np.iinfo(np.int64).max:
            raise ValueError(f"`ids` must be < 2**63 (ids are int64); got {int(arr.max())}")
        new = arr.astype(np.int64)
        if n and new.min() < 0:
            raise ValueError(f"`ids` must be >= 0; got {new.min()}")
        uniq = np.unique(new)
        if uniq.shape[0] != n:
            raise ValueError("`ids` must be unique; got duplicates within the call")
        present = self.lookup(uniq, missing_ok=True) >= 0
        if present.any():
            raise ValueError(f"`ids` must be new; id {uniq[present][0]} is already in the index")
        return new

    # ------------------------------------------------------------------ writing (each returns a new storage)
    def appended(self, new: dict[str, np.ndarray], ids: np.ndarray, attrs: dict[str, np.ndarray],
                 lists: np.ndarray) -> ListStorage:
        """With new rows merged in, keeping rows grouped by list (stable: old rows first within a list)."""
        if ids.shape[0] == 0:
            return self
        out = copy.copy(self)
        all_lists = np.concatenate([self.row_lists(), lists])
        order = np.argsort(all_lists, kind="stable")

        def merged(old: np.ndarray | None, add: np.ndarray) -> np.ndarray:
            return np.ascontiguousarray((add if old is None else np.concatenate([old, add]))[order])

        out.data = {k: merged(self.data.get(k), v) for k, v in new.items()}
        out.attrs = {k: merged(self.attrs.get(k), v) for k, v in attrs.items()}
        out.next_id = max(self.next_id, int(ids.max()) + 1)
        out.ids = merged(self.ids, ids)
        out.deleted = merged(self.deleted, np.zeros(ids.shape[0], bool))
        out.offsets = np.searchsorted(all_lists[order], np.arange(self.nlist + 1)).astype(np.int64)
        out._changed()
        return out

    def removed(self, ids: Any) -> tuple[ListStorage, int]:
        """Without the rows of ``ids`` (unknown ids raise ValueError), compacted past 25 % removed; and the count."""
        arr = np.asarray(ids).reshape(-1)
        if arr.dtype.kind not in "iu":
            raise ValueError(f"`ids` must be integers; got dtype {arr.dtype}")
        arr = np.unique(arr.astype(np.int64))
        rows = self.lookup(arr)
        out = copy.copy(self)
        out.deleted = self.deleted.copy()
        out.deleted[rows] = True
        out.n_deleted = self.n_deleted + rows.shape[0]
        out._changed()
        out._derived = self._derived  # same rows and lists: derived arrays (fast-scan blocks) stay valid
        if out.n_deleted > 0.25 * out.n_rows:
            out = out.compacted()
        return out, int(rows.shape[0])

    def compacted(self) -> ListStorage:
        """Without the removed rows in the arrays."""
        if not self.n_deleted:
            return self
        keep = ~self.deleted
        lists = self.row_lists()[keep]
        out = copy.copy(self)
        out.data = {k: np.ascontiguousarray(v[keep]) for k, v in self.data.items()}
        out.attrs = {k: v[keep] for k, v in self.attrs.items()}
        out.ids = self.ids[keep]
        out.deleted = np.zeros(out.ids.shape[0], bool)
        out.n_deleted = 0
        out.offsets = np.searchsorted(lists, np.arange(self.nlist + 1)).astype(np.int64)
        out._changed()
        return out

    def _changed(self) -> None:
        live = np.flatnonzero(~self.deleted)
        order = np.argsort(self.ids[live], kind="stable")
        self._sorted_ids = self.ids[live][order]
        self._sorted_rows = live[order]
        self._derived = {}
        self.version += 1

    def derived(self, key: str, make: Any) -> Any:
        """``make(self)`` computed once per snapshot and kept with it (two threads may both compute it)."""
        value = self._derived.get(key)
        if value is None:
            value = self._derived[key] = make(self)
        return value

    # ------------------------------------------------------------------ file arrays
    def arrays(self) -> dict[str, np.ndarray]:
        """The arrays of the index file (of a compacted storage)."""
        out = {f"data.{k}": v for k, v in self.data.items()}
        out.update({f"attr.{k}": v for k, v in self.attrs.items()})
        out.update(ids=self.ids, offsets=self.offsets)
        return out

    @classmethod
    def from_arrays(cls, path: Any, nlist: int, n: int, next_id: int, arrays: dict[str, np.ndarray]) -> ListStorage:
        """Rebuild from ``arrays()`` read back from ``path``; FormatError (naming the file) when they disagree."""
        out = cls(nlist)
        try:
            out.ids, out.offsets = arrays.pop("ids"), np.array(arrays.pop("offsets"))
        except KeyError as exc:
            raise FormatError(f"'{path}' is corrupted: the index file has no {exc} array") from None
        out.next_id = int(next_id)
        out.data = {k[5:]: v for k, v in arrays.items() if k.startswith("data.")}
        out.attrs = {k[5:]: v for k, v in arrays.items() if k.startswith("attr.")}
        if out.ids.shape != (n,) or any(v.shape[0] != n for v in (*out.data.values(), *out.attrs.values())):
            raise FormatError(f"'{path}' is corrupted: arrays do not all hold {n} rows")
        if out.offsets.shape != (nlist + 1,) or out.offsets[0] != 0 or out.offsets[-1] != n or \
                np.any(np.diff(out.offsets) < 0):
            raise FormatError(f"'{path}' is corrupted: bad list offsets")
        out.deleted = np.zeros(n, bool)
        out._changed()
        return out
