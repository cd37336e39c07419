"""IVF coarse partition: k-means centroids (Faiss's k-means) and list assignment."""

from __future__ import annotations

import numpy as np

from .._validation import Seed, as_rng, seed_entropy
from .exact import dense_topk

POINTS_PER_CENTROID = 256  # training sample per centroid (as Faiss caps it)


def train_centroids(x: np.ndarray, nlist: int, seed: Seed = None, niter: int = 20) -> np.ndarray:
    """k-means centroids (nlist, d) float32 of ``x`` (n, d) float32, on at most 256 points per centroid."""
    import faiss

    if nlist > x.shape[0]:
        raise ValueError(f"IVF{nlist} needs at least {nlist} training vectors; got {x.shape[0]}")
    if x.shape[0] > POINTS_PER_CENTROID * nlist:
        x = x[np.sort(as_rng(seed).choice(x.shape[0], POINTS_PER_CENTROID * nlist, replace=False))]
    km = faiss.Kmeans(x.shape[1], nlist, niter=niter, seed=seed_entropy(seed) % (2**31), verbose=False,
                      max_points_per_centroid=POINTS_PER_CENTROID)
    km.train(np.ascontiguousarray(x, dtype=np.float32))
    return np.ascontiguousarray(km.centroids, dtype=np.float32)


def nearest_lists(x: np.ndarray, centroids: np.ndarray, nprobe: int, centroid_sq: np.ndarray | None = None
                  ) -> np.ndarray:
    """The ``nprobe`` nearest centroids (squared L2) of each row: (n, nprobe) int64, nearest first."""
    from ._list_kernels import nearest_centroids

    csq = np.einsum("ij,ij->i", centroids, centroids) if centroid_sq is None else centroid_sq
    if x.shape[0] > 8192:  # bulk assignment (add): BLAS blocks are faster
        out = np.empty((x.shape[0], nprobe), np.int64)
        for a in range(0, x.shape[0], 16384):
            out[a : a + 16384] = dense_topk(x[a : a + 16384], centroids, nprobe, "l2", csq)[1]
        return out
    # search: no BLAS, so the Numba scans that follow do not compete with BLAS threads still spinning
    out = np.empty((x.shape[0], min(nprobe, centroids.shape[0])), np.int64)
    nearest_centroids(np.ascontiguousarray(x, dtype=np.float32), centroids, csq.astype(np.float32), out)
    return out
