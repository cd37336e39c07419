"""Classifiers that regenerate encoder dimensions while they train: ``NeuralHD`` and ``DistHD``.

Both redraw columns of the fitted encoder's random projection: ``weights_``
((n_features, dim) float32, read by ``Projection`` and ``Sinusoid`` at every
``transform``) and, for ``Sinusoid``, ``bias_`` ((dim,) float32). The new
values are drawn as Torchhd draws them: ``weight[dims].normal_()`` (standard
normal, not rescaled to unit norm) and ``bias[dims].uniform_(0, 2 pi)``, from a
stream of ``seed``. The training samples are then encoded again.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..hdc import cosine
from . import _kernels as K
from ._base import check_float, check_int
from ._training import run_epochs
from .centroid import _Trained
from .compressed import offline_partial_fit


class _Regenerating(_Trained):
    """Shared parameter checks, fit (keeps the raw samples for re-encoding) and dimension regeneration."""

    _online = False
    partial_fit = offline_partial_fit
    _stream = 1 << 40  # random stream (from ``seed``) of the redrawn encoder weights

    def _check_params(self) -> None:
        super()._check_params()
        check_int(self.regen_freq, "regen_freq", 1)
        if check_float(self.regen_rate, "regen_rate") > 1:
            raise ValueError(f"`regen_rate` must be in [0, 1]; got {self.regen_rate!r}")

    def fit(self, X: Any, y: Any) -> _Regenerating:
        """Fit the encoder and the prototypes on X (n, n_features) and labels y (n,), regenerating dimensions."""
        self._check_params()
        self._fit_X, _ = self._validate(X, y)
        try:
            return super().fit(X, y)
        finally:
            del self._fit_X

    def _n_regen(self, dim: int) -> int:
        n = math.ceil(self.regen_rate * dim)
        regen_epochs = [e for e in self._epoch_range() if e % self.regen_freq == self.regen_freq - 1]
        if n and regen_epochs and getattr(self.encoder_, "weights_", None) is None:
            raise TypeError(f"{type(self).__name__} regenerates dimensions by redrawing columns of the encoder's "
                            f"`weights_` (hdvec.encoders.Sinusoid or Projection); got encoder "
                            f"{self.encoder!r}. Use such an encoder, or regen_rate=0")
        return n

    def _regenerate(self, dims: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """Zero prototype components ``dims``, redraw those encoder columns; the re-encoded training samples."""
        dims = np.sort(dims)
        self.prototypes_[:, dims] = 0
        enc = self.encoder_
        enc.weights_[:, dims] = rng.standard_normal((enc.weights_.shape[0], dims.size)).astype(np.float32)
        if getattr(enc, "bias_", None) is not None:
            enc.bias_[dims] = rng.uniform(0.0, 2 * np.pi, dims.size).astype(np.float32)
        self.n_regenerated_ += int(dims.size)
        return self._encode(self._fit_X)


class NeuralHD(_Regenerating):
    """NeuralHD (Zou et al. 2021): AdaptHD training that regenerates its least useful dimensions.

    Z. Zou, Y. Kim, F. Imani, H. Alimohamadi, R. Cammarota, M. Imani,
    "Scalable Edge-Based Hyperdimensional Learning System with Brain-Like Neural
    Adaptation", SC 2021. As Torchhd's ``NeuralHD.fit``: the prototypes start as
    the class bundles (``add``); then epochs ``1 .. epochs - 1`` are AdaptHD
    passes (``add_adapt``, ``lr``), and after epoch ``e`` with ``e % regen_freq
    == regen_freq - 1`` the ``ceil(regen_rate * dim)`` dimensions with the lowest
    variance (unbiased) across the unit-normalized prototypes are regenerated:
    their prototype components are zeroed and their ``Sinusoid`` weights and
    biases redrawn (see the module notes), and the samples re-encoded.

    Not online (regeneration needs whole passes): no ``partial_fit``.

    Parameters
    ----------
    encoder : transformer, "precomputed" or None
        None: ``Sinusoid(dim, seed=seed)``. Regeneration needs an encoder with
        ``weights_`` (``Sinusoid`` or ``Projection``).
    dim : int
        Dimension of the default encoder.
    regen_freq : int
        Epochs between regenerations.
    regen_rate : float
        Fraction of the dimensions regenerated each time, in [0, 1].
    epochs : int
        Epochs counted as Torchhd counts them (bundling is the first).
    lr : float
        AdaptHD learning rate.
    batch_size : int
        Samples scored together in the AdaptHD passes.
    shuffle : bool
        A new seeded sample order each epoch.
    seed : int or None
        Seed of the encoder, the shuffles and the regenerated weights.

    Attributes
    ----------
    classes_ : numpy.ndarray
    prototypes_ : numpy.ndarray
        (n_classes, dim) float32.
    encoder_ : transformer
        The fitted encoder, with its regenerated columns.
    n_regenerated_ : int
        Dimensions regenerated in all.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> X, y = load_iris(return_X_y=True)
    >>> clf = NeuralHD(dim=2_000, epochs=10, regen_freq=3, seed=0).fit(X, y)
    >>> bool(clf.score(X, y) > 0.9), clf.n_regenerated_
    (True, 240)
    """

    def __init__(self, encoder: Any = None, *, dim: int = 10_000, regen_freq: int = 20, regen_rate: float = 0.04,
                 epochs: int = 120, lr: float = 0.37, batch_size: int = 1, shuffle: bool = True,
                 seed: int | None = None):
        self.encoder = encoder
        self.dim = dim
        self.regen_freq = regen_freq
        self.regen_rate = regen_rate
        self.epochs = epochs
        self.lr = lr
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.seed = seed

    def _default_encoder(self) -> Any:
        from ..encoders import Sinusoid

        return Sinusoid(self.dim, seed=self.seed)

    def _epoch_range(self) -> range:
        return range(1, self.epochs)

    def _learn(self, h: np.ndarray, y: np.ndarray, full: bool) -> None:
        rng, regen_rng = self._pass_rng(), self._rng(self._stream)
        self.n_regenerated_ = 0
        n_regen = self._n_regen(h.shape[1])
        run_epochs(self, h, y, K.RULE_ADD, 1.0, 1, rng)
        for epoch in self._epoch_range():
            run_epochs(self, h, y, K.RULE_ADAPT, self.lr, 1, rng)
            if n_regen and epoch % self.regen_freq == self.regen_freq - 1:
                h = self._regenerate(neural_scores(self.prototypes_, n_regen), regen_rng)


def neural_scores(w: np.ndarray, n: int) -> np.ndarray:
    """The n dimensions with the lowest unbiased variance across the unit-normalized rows of w (c, d)."""
    norms = np.maximum(np.linalg.norm(w.astype(np.float64), axis=1, keepdims=True), 1e-12)
    var = (w / norms).var(0, ddof=1)
    return np.argsort(var, kind="stable")[:n]


class DistHD(_Regenerating):
    """DistHD (Wang et al. 2023): OnlineHD training that regenerates the dimensions that mislead it.

    J. Wang, S. Huang, M. Imani, "DistHD: A Learner-Aware Dynamic Encoding
    Method for Hyperdimensional Classification", DAC 2023. As Torchhd's
    ``DistHD.fit``: ``epochs`` OnlineHD passes (``add_online``, ``lr``) on
    ``Projection`` encodings; after epoch ``e`` (from 0) with ``e % regen_freq ==
    regen_freq - 1`` each dimension gets Torchhd's ``regen_score`` summed over
    the mispredicted samples (cosine top-2 predictions p1, p2, class t,
    unit-normalized prototypes P): ``0.5 * (beta |P[p1] - h| - alpha |P[t] - h|)``
    when p2 is t, else ``beta |P[p1] - h| + theta |P[p2] - h| - alpha |P[t] - h|``;
    the ``ceil(regen_rate * dim)`` lowest-scoring dimensions are regenerated
    (prototype components zeroed, ``Projection`` weights redrawn, samples
    re-encoded). When no sample is mispredicted there is nothing to score and
    nothing is regenerated (Torchhd's ``topk`` on the integer 0 fails there).

    Not online (regeneration needs whole passes): no ``partial_fit``.

    Parameters
    ----------
    encoder : transformer, "precomputed" or None
        None: ``Projection(dim, seed=seed)``. Regeneration needs ``weights_``.
    dim : int
        Dimension of the default encoder.
    regen_freq, regen_rate
        As ``NeuralHD``.
    alpha, beta, theta : float
        Weights of the distances to the true class, the first and the second wrong prediction.
    epochs : int
        OnlineHD passes.
    lr : float
        OnlineHD learning rate.
    batch_size, shuffle, seed
        As ``NeuralHD``.

    Attributes
    ----------
    classes_ : numpy.ndarray
    prototypes_ : numpy.ndarray
        (n_classes, dim) float32.
    n_regenerated_ : int
        Dimensions regenerated in all.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> X, y = load_iris(return_X_y=True)
    >>> clf = DistHD(dim=2_000, epochs=10, regen_freq=3, seed=0).fit(X, y)
    >>> bool(clf.score(X, y) > 0.9)
    True
    """

    def __init__(self, encoder: Any = None, *, dim: int = 10_000, regen_freq: int = 20, regen_rate: float = 0.04,
                 alpha: float = 0.5, beta: float = 1.0, theta: float = 0.25, epochs: int = 120, lr: float = 0.05,
                 batch_size: int = 1, shuffle: bool = True, seed: int | None = None):
        self.encoder = encoder
        self.dim = dim
        self.regen_freq = regen_freq
        self.regen_rate = regen_rate
        self.alpha = alpha
        self.beta = beta
        self.theta = theta
        self.epochs = epochs
        self.lr = lr
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.seed = seed

    def _check_params(self) -> None:
        super()._check_params()
        for name in ("alpha", "beta", "theta"):
            check_float(getattr(self, name), name)

    def _default_encoder(self) -> Any:
        from ..encoders import Projection

        return Projection(self.dim, seed=self.seed)

    def _epoch_range(self) -> range:
        return range(self.epochs)

    def _learn(self, h: np.ndarray, y: np.ndarray, full: bool) -> None:
        rng, regen_rng = self._pass_rng(), self._rng(self._stream)
        self.n_regenerated_ = 0
        n_regen = self._n_regen(h.shape[1])
        if h.dtype == np.uint64:
            raise TypeError("DistHD trains dense prototypes; the encoder gave packed binary words")
        for epoch in self._epoch_range():
            run_epochs(self, h, y, K.RULE_ONLINE, self.lr, 1, rng)
            if n_regen and epoch % self.regen_freq == self.regen_freq - 1:
                scores = dist_scores(h, y, self.prototypes_, self.alpha, self.beta, self.theta)
                if scores is not None:
                    h = self._regenerate(np.argsort(scores, kind="stable")[:n_regen], regen_rng)


def dist_scores(h: np.ndarray, y: np.ndarray, w: np.ndarray, alpha: float, beta: float, theta: float,
                block: int = 1024) -> np.ndarray | None:
    """Torchhd's ``DistHD.regen_score`` summed over all samples: (d,) float64, or None if none is mispredicted."""
    h = np.asarray(h, np.float32)
    s = cosine(h, w)
    top2 = np.argsort(-s, axis=1, kind="stable")[:, :2]
    wrong = np.flatnonzero(top2[:, 0] != y)
    if wrong.size == 0:
        return None
    wn = w / np.maximum(np.linalg.norm(w, axis=1, keepdims=True), 1e-12)
    total = np.zeros(h.shape[1])
    for a in range(0, wrong.size, block):
        i = wrong[a:a + block]
        hi, t, p1, p2 = h[i], y[i], top2[i, 0], top2[i, 1]
        score = beta * np.abs(wn[p1] - hi) - alpha * np.abs(wn[t] - hi)
        partial = p2 == t
        score[~partial] += theta * np.abs(wn[p2[~partial]] - hi[~partial])
        score[partial] *= 0.5
        total += score.sum(0, dtype=np.float64)
    return total
