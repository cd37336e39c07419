"""Smaller models: ``SparseHD`` (sparse prototypes), ``QuantHD`` (binary prototypes), ``CompHD`` (folded prototypes).

Also the helpers the other method modules share: packed-Hamming inference of
binary prototypes (``_PackedScores``) and the hidden ``partial_fit`` of
methods that only learn from the whole training set (``offline_partial_fit``).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.utils.metaestimators import available_if

from .._backend import is_torch, to_device
from ..hdc import pack_bits, unpack_bits
from . import _kernels as K
from . import _method_kernels as MK
from ._base import HDClassifier, check_float, check_int
from ._training import _pack_row, dense_prototypes, run_epochs
from .centroid import _Trained

# Methods that are not online: no ``partial_fit`` attribute at all (``hasattr`` is False, as scikit-learn expects).
offline_partial_fit = available_if(lambda self: self._online)(HDClassifier.partial_fit)


def bipolar_float(h: np.ndarray, dim: int) -> np.ndarray:
    """Dense float32 form of hypervectors: packed uint64 words are unpacked to ±1, others cast."""
    if h.dtype == np.uint64:
        return unpack_bits(h, dim, bipolar=True).astype(np.float32)
    return np.ascontiguousarray(h, dtype=np.float32)


class _PackedScores:
    """Binary prototypes (``prototypes_`` packed uint64, ``n_bits_`` bits) scored by packed Hamming distance.

    Dense queries are binarized first (bit 1 where a component is negative,
    hdvec's ``pack_bits`` convention) and packed; the scan is XOR + popcount on
    the words (``hdvec.hdc.hamming``), never on unpacked bits.
    """

    def _bits(self) -> int:
        return int(self.n_bits_)

    def _packed(self, h: Any) -> Any:
        if h.dtype != (np.uint64 if not is_torch(h) else _torch_uint64()):
            if h.shape[-1] != self.n_bits_:
                raise ValueError(f"hypervectors have {h.shape[-1]} components; the prototypes have {self.n_bits_}")
            return pack_bits(h < 0)
        if h.shape[-1] != -(-self.n_bits_ // 64):
            raise ValueError(f"packed hypervectors have {h.shape[-1]} words; the prototypes have "
                             f"{-(-self.n_bits_ // 64)} ({self.n_bits_} bits)")
        return h

    def _training_bits(self, h: np.ndarray) -> np.ndarray:
        """Packed training rows; sets ``n_bits_`` on the first call and checks the width afterwards."""
        if getattr(self, "n_bits_", None) is None:
            self.n_bits_ = int(HDClassifier._bits(self) if h.dtype == np.uint64 else h.shape[1])
            if h.dtype == np.uint64 and -(-self.n_bits_ // 64) != h.shape[1]:
                raise ValueError(f"packed hypervectors have {h.shape[1]} words; dim={self.n_bits_} needs "
                                 f"{-(-self.n_bits_ // 64)}")
        return np.ascontiguousarray(self._packed(h))

    def _scores_encoded(self, h: Any) -> Any:
        return super()._scores_encoded(self._packed(h))

    def _reset(self) -> None:
        super()._reset()
        for name in ("n_bits_", "weights_", "tiebreak_"):
            self.__dict__.pop(name, None)


def _torch_uint64() -> Any:
    import torch

    return torch.uint64


class SparseHD(_Trained):
    """SparseHD (Khaleghi et al. 2019): AdaptHD training with the prototypes sparsified after every epoch.

    M. Imani, S. Salamat, B. Khaleghi, M. Samragh, F. Koushanfar, T. Rosing,
    "SparseHD: Algorithm-Hardware Co-optimization for Efficient High-Dimensional
    Computing", FCCM 2019. Each epoch is one AdaptHD pass (``Centroid.add_adapt``)
    followed by ``sparsify``: with ``sparsity_type="dimension"`` the
    ``round(sparsity * dim)`` dimensions whose values vary least across the
    classes (max - min) are zeroed in every prototype; with ``"class"`` each
    prototype zeroes its own ``round(sparsity * dim)`` smallest-magnitude values.
    Prediction: cosine similarity with the sparse prototypes.

    Not online (sparsification acts on the whole model between whole epochs):
    there is no ``partial_fit``.

    Torchhd 5.8.4 differs in two places, both bugs against its own docstring
    ("the fraction of weights to be zero"): its dimension-wise step zeroes
    ``round((1 - sparsity) * dim)`` dimensions (90% with the default 0.1) and
    its class-wise step uses the out-of-place ``scatter`` and changes nothing.
    Here ``sparsity`` is the fraction zeroed, in both modes.

    Parameters
    ----------
    encoder : transformer, "precomputed" or None
        None: ``LevelRecord(dim, levels=levels, seed=seed)``.
    dim, levels : int
        Dimension and level count of the default encoder.
    epochs : int
        AdaptHD + sparsify passes.
    lr : float
        Learning rate.
    sparsity : float
        Fraction of the prototype values set to zero, in [0, 1].
    sparsity_type : {"dimension", "class"}
        Zero whole dimensions (the same in every class) or each class's smallest values.
    batch_size : int
        Samples scored together in the AdaptHD passes.
    shuffle : bool
        A new seeded sample order each epoch.
    seed : int or None
        Seed of the default encoder and of the shuffles.

    Attributes
    ----------
    classes_ : numpy.ndarray
    prototypes_ : numpy.ndarray
        (n_classes, dim) float32, ``sparsity`` of it zero.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> X, y = load_iris(return_X_y=True)
    >>> clf = SparseHD(dim=2_000, epochs=10, sparsity=0.5, seed=0).fit(X, y)
    >>> bool(clf.score(X, y) > 0.85), bool((clf.prototypes_ == 0).mean() >= 0.5)
    (True, True)
    """

    _online = False
    partial_fit = offline_partial_fit

    def __init__(self, encoder: Any = None, *, dim: int = 10_000, levels: int = 100, epochs: int = 120,
                 lr: float = 0.035, sparsity: float = 0.1, sparsity_type: str = "dimension", batch_size: int = 1,
                 shuffle: bool = True, seed: int | None = None):
        self.encoder = encoder
        self.dim = dim
        self.levels = levels
        self.epochs = epochs
        self.lr = lr
        self.sparsity = sparsity
        self.sparsity_type = sparsity_type
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.seed = seed

    def _check_params(self) -> None:
        super()._check_params()
        if check_float(self.sparsity, "sparsity") > 1:
            raise ValueError(f"`sparsity` must be in [0, 1]; got {self.sparsity!r}")
        if self.sparsity_type not in ("dimension", "class"):
            raise ValueError(f"`sparsity_type` must be 'dimension' or 'class'; got {self.sparsity_type!r}")

    def _default_encoder(self) -> Any:
        return self._level_record()

    def _learn(self, h: np.ndarray, y: np.ndarray, full: bool) -> None:
        rng = self._pass_rng()
        dense_prototypes(self, h)
        for _ in range(self.epochs):
            run_epochs(self, h, y, K.RULE_ADAPT, self.lr, 1, rng)
            sparsify(self.prototypes_, self.sparsity, self.sparsity_type)


def sparsify(w: np.ndarray, sparsity: float, kind: str) -> None:
    """Zero ``round(sparsity * dim)`` values of w (c, dim) in place: least-varying dimensions, or per class."""
    s = int(round(sparsity * w.shape[1]))
    if s == 0:
        return
    if kind == "dimension":
        variation = w.max(0) - w.min(0)
        w[:, np.argsort(variation, kind="stable")[:s]] = 0
    else:
        idx = np.argsort(np.abs(w), axis=1, kind="stable")[:, :s]
        np.put_along_axis(w, idx, 0, axis=1)


class QuantHD(_PackedScores, _Trained):
    """QuantHD (Imani et al. 2019): binary prototypes, retrained on the real-valued class counts behind them.

    M. Imani, S. Bosch, S. Datta, S. Ramakrishna, S. Salamat, J. M. Rabaey,
    T. Rosing, "QuantHD: A Quantization Framework for Hyperdimensional
    Computing", IEEE TCAD 2019. As Torchhd's ``QuantHD``: the class counts start
    as the class bundles of the bipolar samples and the prototypes are their
    signs; each of the ``epochs - 1`` retraining passes scores every sample
    against the binary prototypes of the pass start (dot product of ±1 vectors,
    i.e. fewest differing bits), adds ``lr`` times each mispredicted sample to
    its class's counts and subtracts it from the predicted class's
    (``add_quantize``), then re-binarizes. Torchhd's class has no ``epsilon``
    (the paper's similarity-margin variant); neither has this one.

    Samples and prototypes stay packed (uint64 words, bit 1 = -1); prediction
    is XOR + popcount (``hdvec.hdc.hamming``). A count of exactly 0 takes the
    bit of the seeded ``tiebreak_`` (Torchhd's ``sign`` gives 0 there, which a
    packed bit cannot hold). Dense hypervectors are binarized by sign (0 -> +1).

    ``partial_fit`` adds a batch to the class counts and re-binarizes (no
    retraining): over batches it equals ``fit`` with ``epochs=1``.

    Parameters
    ----------
    encoder : transformer, "precomputed" or None
        None: ``LevelRecord(dim, levels=levels, model="bsc", seed=seed)`` (the
        signs of Torchhd's keys + levels record, packed).
    dim, levels : int
        Dimension (bits) and level count of the default encoder.
    epochs : int
        1 bundling pass + ``epochs - 1`` quantized retraining passes (Torchhd's count).
    lr : float
        Learning rate of the count updates.
    seed : int or None
        Seed of the default encoder and of the tie-break bits.

    Attributes
    ----------
    classes_ : numpy.ndarray
    prototypes_ : numpy.ndarray
        (n_classes, ceil(n_bits_ / 64)) uint64 packed signs of ``counts_``.
    counts_ : numpy.ndarray
        (n_classes, n_bits_) float32 real-valued class counts.
    tiebreak_ : numpy.ndarray
        (ceil(n_bits_ / 64),) uint64 bits given to zero counts.
    n_bits_ : int
        Prototype dimension in bits.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> X, y = load_iris(return_X_y=True)
    >>> clf = QuantHD(dim=2_000, epochs=10, seed=0).fit(X, y)
    >>> bool(clf.score(X, y) > 0.8), clf.prototypes_.dtype.name
    (True, 'uint64')
    """

    shuffle = False

    def __init__(self, encoder: Any = None, *, dim: int = 10_000, levels: int = 100, epochs: int = 120,
                 lr: float = 0.035, seed: int | None = None):
        self.encoder = encoder
        self.dim = dim
        self.levels = levels
        self.epochs = epochs
        self.lr = lr
        self.seed = seed

    def _default_encoder(self) -> Any:
        from ..encoders import LevelRecord

        return LevelRecord(self.dim, levels=self.levels, model="bsc", seed=self.seed)

    def _learn(self, h: np.ndarray, y: np.ndarray, full: bool) -> None:
        rng = self._pass_rng()
        h = self._training_bits(h)
        if getattr(self, "counts_", None) is None:
            self.counts_ = np.zeros((len(self.classes_), self.n_bits_), np.float32)
            self.tiebreak_ = _pack_row(rng.integers(0, 2, self.n_bits_, dtype=np.uint8))
        MK.add_packed(h, np.arange(h.shape[0], dtype=np.int64), y, np.float32(1.0), self.counts_)
        self._binarize()
        for _ in range(1, self.epochs if full else 1):
            self._quantized_pass(h, y)

    def _quantized_pass(self, h: np.ndarray, y: np.ndarray) -> int:
        """One ``add_quantize`` pass against the current binary prototypes, then re-binarize; mistakes."""
        pred = np.argmin(_hamming(h, self.prototypes_), axis=1)
        wrong = np.flatnonzero(pred != y).astype(np.int64)
        lr = np.float32(self.lr)
        MK.add_packed(h, wrong, np.ascontiguousarray(y[wrong]), lr, self.counts_)
        MK.add_packed(h, wrong, np.ascontiguousarray(pred[wrong], dtype=np.int64), -lr, self.counts_)
        self._binarize()
        return int(wrong.size)

    def _binarize(self) -> None:
        tie = unpack_bits(self.tiebreak_, self.n_bits_)
        self.prototypes_ = pack_bits((self.counts_ < 0) | ((self.counts_ == 0) & tie))


def _hamming(h: np.ndarray, protos: np.ndarray) -> np.ndarray:
    from ..hdc import hamming

    return hamming(h, protos)


def hadamard_keys(chunks: int, width: int) -> np.ndarray:
    """Rows 0..chunks-1, columns 0..width-1 of the Sylvester Hadamard matrix: ``(-1)^popcount(i & j)``, float32."""
    i = np.arange(chunks, dtype=np.uint64)[:, None]
    j = np.arange(width, dtype=np.uint64)[None, :]
    return (1.0 - 2.0 * (np.bitwise_count(i & j) & 1)).astype(np.float32)


class CompHD(_Trained):
    """CompHD (Morris et al. 2019): class bundles folded into ``dim / chunks`` components by Hadamard keys.

    J. Morris, M. Imani, S. Bosch, A. Thomas, H. Shu, T. Rosing, "CompHD:
    Efficient Hyperdimensional Computing Using Model Compression", ISLPED 2019.
    As Torchhd's ``CompHD``: the prototypes are the class sums of the (bipolar)
    samples, cut into ``chunks`` pieces of ``dim / chunks`` components; piece
    ``i`` is bound (multiplied) with Hadamard key ``i`` and the pieces are summed
    (``hash_table(keys, pieces)``). Queries are compressed the same way and scored
    by cosine similarity against the compressed prototypes.

    Torchhd takes rows of ``scipy.linalg.hadamard(max(dim / chunks, chunks))``,
    which exists only for powers of two (its default ``dim=10_000, chunks=4``
    raises); here the keys are the first ``chunks`` rows and ``dim / chunks``
    columns of the Sylvester Hadamard matrix of the next power of two, the same
    keys whenever Torchhd's exist.

    ``partial_fit`` adds a batch to the class sums and recompresses: over
    batches it equals ``fit``.

    Parameters
    ----------
    encoder : transformer, "precomputed" or None
        None: ``LevelRecord(dim, levels=levels, seed=seed)`` (signs of the keys +
        levels record, as Torchhd). Packed binary hypervectors are unpacked to ±1.
    dim, levels : int
        Dimension and level count of the default encoder.
    chunks : int
        Compression factor; must divide the hypervector dimension.
    seed : int or None
        Seed of the default encoder.

    Attributes
    ----------
    classes_ : numpy.ndarray
    counts_ : numpy.ndarray
        (n_classes, dim) float32 uncompressed class sums.
    prototypes_ : numpy.ndarray
        (n_classes, dim // chunks) float32 compressed prototypes.
    chunk_keys_ : numpy.ndarray
        (chunks, dim // chunks) float32 ±1 Hadamard keys.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> X, y = load_iris(return_X_y=True)
    >>> clf = CompHD(dim=2_000, chunks=4, seed=0).fit(X, y)
    >>> clf.prototypes_.shape, bool(clf.score(X, y) > 0.75)
    ((3, 500), True)
    """

    shuffle = False

    def __init__(self, encoder: Any = None, *, dim: int = 10_000, levels: int = 100, chunks: int = 4,
                 seed: int | None = None):
        self.encoder = encoder
        self.dim = dim
        self.levels = levels
        self.chunks = chunks
        self.seed = seed

    def _check_params(self) -> None:
        super()._check_params()
        check_int(self.chunks, "chunks", 1)
        if self.encoder is None and self.dim % self.chunks:
            raise ValueError(f"`chunks` must divide `dim`; got dim={self.dim}, chunks={self.chunks}")

    def _default_encoder(self) -> Any:
        return self._level_record()

    def _bits(self) -> int:
        return int(self.counts_.shape[1])

    def _learn(self, h: np.ndarray, y: np.ndarray, full: bool) -> None:
        h = bipolar_float(h, HDClassifier._bits(self)) if h.dtype == np.uint64 else h
        if getattr(self, "counts_", None) is None:
            if h.shape[1] % self.chunks:
                raise ValueError(f"`chunks` must divide the hypervector dimension; got {h.shape[1]} components, "
                                 f"chunks={self.chunks}")
            self.counts_ = np.zeros((len(self.classes_), h.shape[1]), np.float32)
            self.chunk_keys_ = hadamard_keys(self.chunks, h.shape[1] // self.chunks)
        elif h.shape[1] != self.counts_.shape[1]:
            raise ValueError(f"hypervectors have {h.shape[1]} components; the model has {self.counts_.shape[1]}")
        onehot = np.zeros((len(self.classes_), h.shape[0]), np.float32)
        onehot[y, np.arange(h.shape[0])] = 1
        self.counts_ += onehot @ np.asarray(h, np.float32)
        self.prototypes_ = self.compress(self.counts_)

    def compress(self, h: Any) -> Any:
        """Fold hypervectors (n, dim) into (n, dim // chunks): the sum over chunks of key_i * chunk_i."""
        keys = self.chunk_keys_
        if is_torch(h):
            keys = to_device(keys, h.device)
        return (h.reshape(h.shape[0], keys.shape[0], keys.shape[1]) * keys).sum(1)

    def _scores_encoded(self, h: Any) -> Any:
        if h.dtype == (_torch_uint64() if is_torch(h) else np.uint64):
            h = unpack_bits(h, self._bits(), bipolar=True)
        h = h.float() if is_torch(h) else np.asarray(h, np.float32)
        if h.shape[1] != self.counts_.shape[1]:
            raise ValueError(f"hypervectors have {h.shape[1]} components; the model has {self.counts_.shape[1]}")
        return super()._scores_encoded(self.compress(h))
