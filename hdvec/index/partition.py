"""IVF coarse partition: k-means centroids and list assignment, for dense and binary vectors.

Dense vectors use Faiss's k-means and squared-L2 assignment; packed binary
vectors a binary k-means (centroids are bitwise majorities of their members)
and Hamming assignment. ``Partition`` holds the centroids of one index and
answers "which lists" for vectors and queries.
"""

from __future__ import annotations

import numpy as np

from .._validation import Seed, as_rng, seed_entropy
from ..hdc.search import dense_topk, hamming_topk

POINTS_PER_CENTROID = 256  # training sample per centroid (as Faiss caps it)


def train_centroids(x: np.ndarray, nlist: int, seed: Seed = None, niter: int = 20) -> np.ndarray:
    """k-means centroids (Faiss's k-means) on at most 256 points per centroid.

    Parameters
    ----------
    x : numpy.ndarray
        float32 ``(n, d)`` training vectors.
    nlist : int
        Number of centroids, <= n.
    seed : int, numpy.random.Generator or None
        Seed of the sample and of k-means.
    niter : int
        k-means iterations.

    Returns
    -------
    numpy.ndarray
        float32 ``(nlist, d)``.

    Raises
    ------
    ValueError
        If ``nlist > n``.
    """
    import faiss

    if nlist > x.shape[0]:
        raise ValueError(f"IVF{nlist} needs at least {nlist} training vectors; got {x.shape[0]}")
    if x.shape[0] > POINTS_PER_CENTROID * nlist:
        x = x[np.sort(as_rng(seed).choice(x.shape[0], POINTS_PER_CENTROID * nlist, replace=False))]
    km = faiss.Kmeans(x.shape[1], nlist, niter=niter, seed=seed_entropy(seed) % (2**31), verbose=False,
                      max_points_per_centroid=POINTS_PER_CENTROID)
    km.train(np.ascontiguousarray(x, dtype=np.float32))
    return np.ascontiguousarray(km.centroids, dtype=np.float32)


BOUND_DIMS = 32  # directions of the centroid-pruning lower bound


def _coarse_tables(centroids: np.ndarray) -> tuple:
    """Search-time tables of dense centroids (nlist, d): ``(csq, basis, proj_t, proj_sq)``.

    csq (nlist,) float32 squared norms. When d >= 8 * BOUND_DIMS and there are at
    least 64 centroids, basis (m, d) holds the top principal directions of the
    centroids (orthonormal rows), proj_t = basis @ centroids.T (m, nlist) and
    proj_sq its squared column norms: |basis q - proj_t[:, c]|^2 is a lower
    bound of |q - centroids[c]|^2 that lets the search skip most centroids
    exactly. Otherwise the last three are None.
    """
    csq = np.einsum("ij,ij->i", centroids, centroids).astype(np.float32)
    nl, d = centroids.shape
    if d < 8 * BOUND_DIMS or nl < 64:  # below: the bound's scalar overhead outweighs what it skips
        return csq, None, None, None
    c64 = centroids.astype(np.float64)
    _, _, vt = np.linalg.svd(c64 - c64.mean(0), full_matrices=False)
    basis = np.ascontiguousarray(vt[:BOUND_DIMS], dtype=np.float32)
    basis /= np.linalg.norm(basis, axis=1, keepdims=True)  # unit rows in float32 too
    proj_t = np.ascontiguousarray(basis @ centroids.T, dtype=np.float32)
    return csq, basis, proj_t, np.einsum("ij,ij->j", proj_t, proj_t).astype(np.float32)


def _nearest_lists(x: np.ndarray, centroids: np.ndarray, nprobe: int,
                  tables: tuple | None = None) -> np.ndarray:
    """The ``nprobe`` nearest centroids (squared L2) of each row, nearest first.

    Parameters
    ----------
    x : numpy.ndarray
        float32 ``(n, d)``.
    centroids : numpy.ndarray
        float32 ``(nlist, d)``.
    nprobe : int
        Lists per row.
    tables : tuple, optional
        ``_coarse_tables(centroids)`` (computed when not given).

    Returns
    -------
    numpy.ndarray
        int64 ``(n, nprobe)`` list ids.
    """
    from ._list_kernels import nearest_centroids, nearest_centroids_pruned

    csq, basis, proj_t, proj_sq = _coarse_tables(centroids) if tables is None else tables
    if x.shape[0] > 8192:  # bulk assignment (add): BLAS blocks are faster
        out = np.empty((x.shape[0], nprobe), np.int64)
        for a in range(0, x.shape[0], 16384):
            out[a : a + 16384] = dense_topk(x[a : a + 16384], centroids, nprobe, "l2", item_sqnorms=csq)[1]
        return out
    # search: no BLAS, so the Numba scans that follow do not compete with BLAS threads still spinning
    out = np.empty((x.shape[0], min(nprobe, centroids.shape[0])), np.int64)
    x = np.ascontiguousarray(x, dtype=np.float32)
    if basis is None:
        nearest_centroids(x, centroids, csq, out)
    else:
        nearest_centroids_pruned(x, centroids, csq, basis, proj_t, proj_sq, out)
    return out


def train_binary_centroids(x: np.ndarray, nlist: int, seed: Seed = None, niter: int = 8) -> np.ndarray:
    """Binary k-means: centroids are bitwise majorities of their members (Hamming assignment).

    Parameters
    ----------
    x : numpy.ndarray
        uint64 ``(n, nw)`` packed bits.
    nlist : int
        Number of centroids, <= n.
    seed : int, numpy.random.Generator or None
        Seed of the sample and the initial centroids.
    niter : int
        Iterations.

    Returns
    -------
    numpy.ndarray
        uint64 ``(nlist, nw)``.
    """
    from ..hdc import _kernels as HK

    if nlist > x.shape[0]:
        raise ValueError(f"IVF{nlist} needs at least {nlist} training vectors; got {x.shape[0]}")
    rng = as_rng(seed)
    if x.shape[0] > POINTS_PER_CENTROID * nlist:
        x = x[np.sort(rng.choice(x.shape[0], POINTS_PER_CENTROID * nlist, replace=False))]
    cent = x[rng.choice(x.shape[0], nlist, replace=False)].copy()
    tiebreak = np.zeros(x.shape[1], np.uint64)
    for _ in range(niter):
        assign = hamming_topk(x, cent, 1)[1][:, 0]
        order = np.argsort(assign, kind="stable")
        bounds = np.searchsorted(assign[order], np.arange(nlist + 1))
        for c in range(nlist):
            members = x[order[bounds[c] : bounds[c + 1]]]
            if members.shape[0]:
                out = np.empty((1, x.shape[1]), np.uint64)
                HK.majority_bits(members[None], int(members.shape[0]).bit_length(), tiebreak, out)
                cent[c] = out[0]
    return cent


class Partition:
    """The IVF centroids of one index and list assignment against them.

    Parameters
    ----------
    centroids : numpy.ndarray
        float32 ``(nlist, d)`` (squared-L2 assignment) or uint64 ``(nlist, nw)``
        packed bits (Hamming assignment).
    """

    def __init__(self, centroids: np.ndarray):
        if not isinstance(centroids, np.ndarray) or centroids.ndim != 2 or centroids.shape[0] < 1 or \
                centroids.dtype not in (np.float32, np.uint64) or not centroids.flags.c_contiguous:
            raise ValueError("`centroids` must be a C-contiguous (nlist, d) float32 or uint64 array; got "
                             f"{getattr(centroids, 'dtype', type(centroids).__name__)} {getattr(centroids, 'shape', '')}")
        self.centroids = centroids
        self.binary = centroids.dtype == np.uint64
        self._tables: tuple | None = None

    @classmethod
    def train(cls, x: np.ndarray, nlist: int, seed: Seed = None) -> Partition:
        """k-means on ``x`` (float32 or uint64 words, by its dtype)."""
        if x.dtype == np.uint64:
            return cls(train_binary_centroids(x, nlist, seed))
        return cls(train_centroids(x, nlist, seed))

    @property
    def nlist(self) -> int:
        return int(self.centroids.shape[0])

    def assign(self, x: np.ndarray, nprobe: int = 1) -> np.ndarray:
        """The ``nprobe`` nearest lists of each validated row of ``x``, nearest first: int64 ``(n, nprobe)``."""
        if x.ndim != 2 or x.shape[1] != self.centroids.shape[1] or (x.dtype == np.uint64) != self.binary:
            raise ValueError(f"`x` must be ({x.shape[0] if x.ndim else 'n'}, {self.centroids.shape[1]}) "
                             f"{self.centroids.dtype} rows like the centroids; got {x.dtype} {x.shape}")
        nprobe = min(int(nprobe), self.nlist)
        if self.binary:
            return hamming_topk(x, self.centroids, nprobe)[1]
        if self._tables is None:
            self._tables = _coarse_tables(self.centroids)
        return _nearest_lists(x, self.centroids, nprobe, self._tables)

    def __getstate__(self) -> dict:
        """Pickling (a Dask shard moving between workers) drops the search tables."""
        return {**self.__dict__, "_tables": None}
