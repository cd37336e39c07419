"""``LeHDC``: binary prototypes trained as a one-layer binary neural network (NumPy, no torch)."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..hdc import pack_bits, unpack_bits
from ._base import check_float, check_int
from .centroid import _Trained
from .compressed import _PackedScores, offline_partial_fit

# Adam and ReduceLROnPlateau constants of torch's defaults (what Torchhd's LeHDC gets).
_BETA1, _BETA2, _EPS = 0.9, 0.999, 1e-8
_FACTOR, _THRESHOLD, _MIN_LR_STEP = 0.1, 1e-4, 1e-8


class LeHDC(_PackedScores, _Trained):
    """LeHDC (Duan et al. 2022): binary class prototypes learned by gradient descent through a sign.

    S. Duan, Y. Liu, S. Ren, X. Xu, "LeHDC: Learning-Based Hyperdimensional
    Computing Classifier", DAC 2022. As Torchhd's ``LeHDC``, a one-layer binary
    network whose weights are the prototypes:

    * logits = ``dropout(h) @ sign(W).T`` (dot product with the binary
      prototypes; inverted dropout: components zeroed with probability
      ``dropout_rate``, the rest scaled by ``1 / (1 - dropout_rate)``);
    * loss = mean cross-entropy over the batch; its gradient with respect to
      ``sign(W)`` is applied to the real-valued ``W`` (straight-through sign);
    * Adam (lr ``lr``, betas (0.9, 0.999), eps 1e-8, L2 ``weight_decay`` added to
      the gradient), as ``torch.optim.Adam``; ``W`` and ``sign(W)`` start at zero;
    * after each epoch the summed batch loss drives a ReduceLROnPlateau
      schedule (torch's defaults: the rate is divided by 10 when the loss has
      not improved by a relative 1e-4 for more than ``patience`` epochs).

    Written with NumPy and BLAS; torch is not needed. Prediction uses the packed
    signs of ``W`` (bit 1 = -1) and XOR + popcount Hamming distance, without
    dropout (Torchhd leaves its dropout module in training mode, so its
    predictions are dropped out too). Not online: no ``partial_fit``.
    Torchhd's fit has no batch size (it takes a data loader); here ``batch_size``.

    Parameters
    ----------
    encoder : transformer, "precomputed" or None
        None: ``LevelRecord(dim, levels=levels, model="bsc", seed=seed)`` (the
        signs of Torchhd's keys + levels record, packed). Dense hypervectors are
        binarized by sign (0 -> +1).
    dim, levels : int
        Dimension (bits) and level count of the default encoder.
    epochs : int
        Passes over the training data.
    lr : float
        Initial Adam learning rate.
    patience : int
        Epochs without improvement before the rate is divided by 10.
    weight_decay : float
        L2 penalty of Adam.
    dropout_rate : float
        Dropout probability on the encoded samples, in [0, 1).
    batch_size : int
        Samples per Adam step.
    shuffle : bool
        A new seeded sample order each epoch.
    seed : int or None
        Seed of the default encoder, the shuffles and the dropout masks.

    Attributes
    ----------
    classes_ : numpy.ndarray
    prototypes_ : numpy.ndarray
        (n_classes, ceil(n_bits_ / 64)) uint64: packed ``sign(weights_)``.
    weights_ : numpy.ndarray
        (n_classes, n_bits_) float32 latent real-valued weights.
    losses_ : numpy.ndarray
        (epochs,) float64: summed batch loss of each epoch.
    lr_ : float
        Learning rate at the end of training.
    n_bits_ : int

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> X, y = load_iris(return_X_y=True)
    >>> clf = LeHDC(dim=2_000, epochs=10, batch_size=16, seed=0).fit(X, y)
    >>> bool(clf.score(X, y) > 0.85), clf.prototypes_.dtype.name
    (True, 'uint64')
    """

    _online = False
    partial_fit = offline_partial_fit
    _stream = 1 << 40  # random stream (from ``seed``) of the shuffles and dropout masks

    def __init__(self, encoder: Any = None, *, dim: int = 10_000, levels: int = 100, epochs: int = 120,
                 lr: float = 0.01, patience: int = 2, weight_decay: float = 0.003, dropout_rate: float = 0.3,
                 batch_size: int = 64, shuffle: bool = True, seed: int | None = None):
        self.encoder = encoder
        self.dim = dim
        self.levels = levels
        self.epochs = epochs
        self.lr = lr
        self.patience = patience
        self.weight_decay = weight_decay
        self.dropout_rate = dropout_rate
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.seed = seed

    def _check_params(self) -> None:
        super()._check_params()
        check_int(self.patience, "patience", 0)
        check_float(self.weight_decay, "weight_decay")
        if check_float(self.dropout_rate, "dropout_rate") >= 1:
            raise ValueError(f"`dropout_rate` must be in [0, 1); got {self.dropout_rate!r}")

    def _default_encoder(self) -> Any:
        from ..encoders import LevelRecord

        return LevelRecord(self.dim, levels=self.levels, model="bsc", seed=self.seed)

    def _learn(self, h: np.ndarray, y: np.ndarray, full: bool) -> None:
        rng = self._rng(self._stream)
        h = self._training_bits(h)
        dim, n, c = self.n_bits_, h.shape[0], len(self.classes_)
        w = np.zeros((c, dim), np.float32)  # latent weights (Torchhd's grad_model)
        wb = np.zeros((c, dim), np.float32)  # binary model, zero until the first step (Torchhd's model)
        adam = _Adam(w.shape, self.lr, self.weight_decay)
        plateau = _Plateau(self.patience)
        keep = np.float32(1.0 - self.dropout_rate)
        batch = int(self.batch_size)
        losses = []
        for _ in range(self.epochs):
            order = rng.permutation(n) if self.shuffle else np.arange(n)
            total = 0.0
            for start in range(0, n, batch):
                rows = order[start:start + batch]
                hb = unpack_bits(h[rows], dim, bipolar=True).astype(np.float32)
                if self.dropout_rate > 0:
                    hb *= (rng.random(hb.shape, dtype=np.float32) < keep) / keep
                loss, grad = _cross_entropy_grad(hb, wb, y[rows])
                total += loss
                adam.step(w, grad)
                wb = np.sign(w)
            losses.append(total)
            adam.lr = plateau.step(total, adam.lr)
        self.weights_ = w
        self.losses_ = np.asarray(losses, np.float64)
        self.lr_ = float(adam.lr)
        self.prototypes_ = pack_bits(w < 0)


def _cross_entropy_grad(hb: np.ndarray, wb: np.ndarray, y: np.ndarray) -> tuple[float, np.ndarray]:
    """Mean cross-entropy of logits ``hb @ wb.T`` and its gradient with respect to ``wb`` (c, dim)."""
    logits = hb @ wb.T
    z = logits - logits.max(1, keepdims=True)
    e = np.exp(z)
    s = e.sum(1, keepdims=True)
    rows = np.arange(hb.shape[0])
    loss = float(np.mean(np.log(s[:, 0]) - z[rows, y]))
    g = e / s
    g[rows, y] -= 1
    g /= np.float32(hb.shape[0])
    return loss, (g.T @ hb).astype(np.float32)


class _Adam:
    """``torch.optim.Adam`` (no amsgrad) with L2 weight decay, on one float32 parameter in place."""

    def __init__(self, shape: tuple[int, ...], lr: float, weight_decay: float):
        self.lr, self.wd = lr, np.float32(weight_decay)
        self.m = np.zeros(shape, np.float32)
        self.v = np.zeros(shape, np.float32)
        self.t = 0

    def step(self, w: np.ndarray, grad: np.ndarray) -> None:
        self.t += 1
        if self.wd:
            grad = grad + self.wd * w
        self.m += np.float32(1 - _BETA1) * (grad - self.m)
        self.v *= np.float32(_BETA2)
        self.v += np.float32(1 - _BETA2) * grad * grad
        step = np.float32(self.lr / (1 - _BETA1 ** self.t))
        denom = np.sqrt(self.v) / np.float32(np.sqrt(1 - _BETA2 ** self.t)) + np.float32(_EPS)
        w -= step * self.m / denom


class _Plateau:
    """``torch.optim.lr_scheduler.ReduceLROnPlateau`` with its defaults (mode min, factor 0.1, rel 1e-4)."""

    def __init__(self, patience: int):
        self.patience, self.best, self.bad = patience, np.inf, 0

    def step(self, metric: float, lr: float) -> float:
        if metric < self.best * (1 - _THRESHOLD):
            self.best, self.bad = metric, 0
        else:
            self.bad += 1
        if self.bad > self.patience:
            self.bad = 0
            new = lr * _FACTOR
            if lr - new > _MIN_LR_STEP:
                return new
        return lr
