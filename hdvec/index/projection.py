"""Dimension reduction before quantization: PCA (LeanVec-ID) or a random rotation.

Both are linear maps ``y = (x - mean) @ matrix`` with ``matrix`` (dim, out_dim)
float32 and orthonormal columns, fitted on training data (PCA) or drawn from
the seed (rotation). Plain arrays; the index stores ``mean`` and ``matrix``.
"""

from __future__ import annotations

import numpy as np

from .._validation import Seed, as_rng

PCA_SAMPLE = 100_000  # rows used to fit PCA (LeanVec-ID uses the first 100k)


def fit_pca(x: np.ndarray, out_dim: int, seed: Seed = None) -> np.ndarray:
    """Top ``out_dim`` principal directions of ``x``.

    Uses at most ``PCA_SAMPLE`` rows (a seeded sample) and the eigenvectors of
    the float64 covariance, so memory is O(dim^2), never O(n^2).

    Parameters
    ----------
    x : numpy.ndarray
        ``(n, dim)`` training vectors, centred by the caller.
    out_dim : int
        Number of directions, <= dim.
    seed : int, numpy.random.Generator or None
        Seed of the row sample.

    Returns
    -------
    numpy.ndarray
        float32 ``(dim, out_dim)`` with orthonormal columns, largest variance first.

    Raises
    ------
    ValueError
        If ``out_dim > dim``.
    """
    if out_dim > x.shape[1]:
        raise ValueError(f"PCA dimension must be <= dim ({x.shape[1]}); got {out_dim}")
    if x.shape[0] > PCA_SAMPLE:
        x = x[np.sort(as_rng(seed).choice(x.shape[0], PCA_SAMPLE, replace=False))]
    cov = np.zeros((x.shape[1], x.shape[1]), np.float64)
    for a in range(0, x.shape[0], 8192):
        b = x[a : a + 8192].astype(np.float64)
        cov += b.T @ b
    _, vecs = np.linalg.eigh(cov)  # ascending eigenvalues
    return np.ascontiguousarray(vecs[:, ::-1][:, :out_dim], dtype=np.float32)


def random_rotation(dim: int, seed: Seed = None) -> np.ndarray:
    """Haar-random orthogonal matrix (QR of a Gaussian with the sign fix).

    Returns
    -------
    numpy.ndarray
        float32 ``(dim, dim)``.

    Raises
    ------
    ValueError
        If ``dim > 4096`` (a dense rotation would be too large; use ``PCA<d>``).
    """
    if dim > 4096:
        raise ValueError(f"ROT builds a dense (dim, dim) rotation; dim must be <= 4096, got {dim} (use PCA<d>)")
    q, r = np.linalg.qr(as_rng(seed).standard_normal((dim, dim)))
    return np.ascontiguousarray(q * np.sign(np.diag(r)), dtype=np.float32)


def project(x: np.ndarray, mean: np.ndarray, matrix: np.ndarray | None) -> np.ndarray:
    """``(x - mean) @ matrix`` (or just ``x - mean``), float32, in row blocks.

    Shapes
    ------
    ``(n, dim), (dim,), (dim, out_dim) -> (n, out_dim)``
    """
    if matrix is None:
        return np.subtract(x, mean, dtype=np.float32)
    out = np.empty((x.shape[0], matrix.shape[1]), np.float32)
    for a in range(0, x.shape[0], 65536):
        np.matmul(x[a : a + 65536] - mean, matrix, out=out[a : a + 65536])
    return out
