"""``IntRVFL``: density-encoded random vector functional link network with a ridge-regression readout."""

from __future__ import annotations

from typing import Any

import numpy as np

from .._backend import is_torch, to_device
from ._base import HDClassifier, check_float, check_int
from .compressed import offline_partial_fit


class IntRVFL(HDClassifier):
    """intRVFL (Kleyko et al. 2020): density encoding, kappa clipping and a closed-form ridge readout.

    D. Kleyko, M. Kheffache, E. P. Frady, U. Wiklund, E. Osipov, "Density
    Encoding Enables Resource-Efficient Randomly Connected Neural Networks",
    IEEE TNNLS 2021 (arXiv 2020). As Torchhd's ``models.IntRVFL`` /
    ``classifiers.IntRVFL``: samples are density-encoded (``Density``), clipped
    to [-kappa, kappa] when ``kappa`` is given, and the readout is

        ``W = Y.T @ H @ pinv(H.T @ H + alpha * diag(var(H)))``

    with ``Y`` the one-hot labels and ``var`` the unbiased per-dimension
    variance of the encodings. Scores are dot products ``h @ W.T``.

    The solve is done in float64 (Torchhd: float32). With fewer samples than
    dimensions and a positive regularizer on every dimension, the same ``W`` is
    computed from the n x n system ``W = Y.T @ inv(H D^-1 H.T + I) @ H D^-1``
    (``D = alpha * diag(var)``, push-through identity) instead of the d x d
    pseudo-inverse; otherwise the d x d pseudo-inverse is used, as Torchhd.

    Not online (the readout is solved from the whole training set): no ``partial_fit``.

    Parameters
    ----------
    encoder : transformer, "precomputed" or None
        None: ``Density(dim, seed=seed)`` (its value range is learned in fit;
        Torchhd's is fixed to [0, 1]).
    dim : int
        Dimension of the default encoder.
    kappa : int or None
        Clipping threshold of the encodings (None: no clipping, Torchhd's default).
    alpha : float
        Ridge regularization, scaling the variance of each dimension.
    seed : int or None
        Seed of the default encoder.

    Attributes
    ----------
    classes_ : numpy.ndarray
    prototypes_ : numpy.ndarray
        (n_classes, dim) float32 readout matrix ``W``.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> X, y = load_iris(return_X_y=True)
    >>> clf = IntRVFL(dim=2_000, kappa=3, seed=0).fit(X, y)
    >>> bool(clf.score(X, y) > 0.9)
    True
    """

    _online = False
    partial_fit = offline_partial_fit

    def __init__(self, encoder: Any = None, *, dim: int = 10_000, kappa: int | None = None, alpha: float = 1.0,
                 seed: int | None = None):
        self.encoder = encoder
        self.dim = dim
        self.kappa = kappa
        self.alpha = alpha
        self.seed = seed

    def _check_params(self) -> None:
        super()._check_params()
        if self.kappa is not None:
            check_int(self.kappa, "kappa", 1)
        check_float(self.alpha, "alpha")

    def _default_encoder(self) -> Any:
        from ..encoders import Density

        return Density(self.dim, seed=self.seed)

    def _clip(self, h: Any) -> Any:
        if is_torch(h):
            h = h.float()
            return h if self.kappa is None else h.clamp(-self.kappa, self.kappa)
        h = np.asarray(h, np.float64)
        return h if self.kappa is None else np.clip(h, -self.kappa, self.kappa)

    def _learn(self, h: np.ndarray, y: np.ndarray, full: bool) -> None:
        if h.dtype == np.uint64:
            raise TypeError("IntRVFL needs dense hypervectors; the encoder gave packed binary words")
        h = self._clip(h)
        onehot = np.zeros((h.shape[0], len(self.classes_)))
        onehot[np.arange(h.shape[0]), y] = 1
        self.prototypes_ = ridge_readout(h, onehot, float(self.alpha)).astype(np.float32)

    def _scores_encoded(self, h: Any) -> Any:
        if h.shape[1] != self.prototypes_.shape[1]:
            raise ValueError(f"hypervectors have {h.shape[1]} components; the readout has "
                             f"{self.prototypes_.shape[1]}")
        if is_torch(h):
            return self._clip(h).float() @ to_device(self.prototypes_, h.device).T
        return (self._clip(h).astype(np.float32) @ self.prototypes_.T).astype(np.float32)


def ridge_readout(h: np.ndarray, targets: np.ndarray, alpha: float) -> np.ndarray:
    """``targets.T @ h @ pinv(h.T @ h + alpha * diag(var(h, ddof=1)))`` (Torchhd's ``ridge_regression``), (c, d).

    That is the minimum-norm minimizer of ``|h w - targets|^2 + sum_j alpha var_j w_j^2``. With at least as
    many samples as dimensions it is computed as written; otherwise from n x n systems: the penalized
    dimensions through ``K = h_S D^-1 h_S.T + I`` (push-through identity), the unpenalized ones (zero
    variance: constant columns, e.g. after clipping) as one unpenalized constant column, or, with
    ``alpha == 0``, as the minimum-norm least-squares solution.
    """
    n, d = h.shape
    reg = alpha * (h.var(0, ddof=1) if n > 1 else np.zeros(d))
    if n >= d:
        return targets.T @ h @ np.linalg.pinv(h.T @ h + np.diag(reg))
    pos = reg > 0
    if not pos.any():
        return np.linalg.lstsq(h, targets, rcond=None)[0].T
    hd = h[:, pos] / reg[pos]  # h_S D^-1
    gram = hd @ h[:, pos].T
    gram[np.diag_indices(n)] += 1.0
    w = np.zeros((targets.shape[1], d))
    const = h[0, ~pos]  # the zero-variance columns are constant
    norm = np.linalg.norm(const)
    if norm > 0:
        g = np.full(n, norm)  # their span: one column, unpenalized; minimum norm spreads it along `const`
        kg, ky = np.linalg.solve(gram, g), np.linalg.solve(gram, targets)
        s = (g @ ky) / (g @ kg)
        targets = targets - np.outer(g, s)
        w[:, ~pos] = np.outer(s, const / norm)
    w[:, pos] = np.linalg.solve(gram, targets).T @ hd
    return w
