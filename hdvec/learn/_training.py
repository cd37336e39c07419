"""Prototype training loops shared by the classifiers: epochs of an update rule, dense or packed binary."""

from __future__ import annotations

import numpy as np

from ..hdc.similarity import norms
from . import _kernels as K


def dense_prototypes(clf, h: np.ndarray) -> np.ndarray:
    """``clf.prototypes_`` (zeros (n_classes, dim) float32 on the first call); checks h's width."""
    if h.dtype == np.uint64:
        raise TypeError("this classifier trains dense prototypes; the encoder gave packed binary hypervectors "
                        "(use a dense encoder, or Centroid / QuantHD for binary codes)")
    w = getattr(clf, "prototypes_", None)
    if w is None:
        w = clf.prototypes_ = np.zeros((len(clf.classes_), h.shape[1]), np.float32)
    elif w.shape[1] != h.shape[1]:
        raise ValueError(f"hypervectors have {h.shape[1]} components; the prototypes have {w.shape[1]}")
    return w


def run_epochs(clf, h: np.ndarray, y: np.ndarray, rule: int, lr: float, epochs: int, rng: np.random.Generator
               ) -> list[int]:
    """``epochs`` passes of ``rule`` over (h, y) in batches of ``clf.batch_size`` (shuffled per pass when
    ``clf.shuffle``); returns the mispredicted count of each pass."""
    w = dense_prototypes(clf, h)
    if h.dtype not in (np.float32, np.int8):
        h = h.astype(np.float32)
    h = np.ascontiguousarray(h)
    hnorm = norms(h).astype(np.float32)
    wnorm = norms(w).astype(np.float32)
    batch = int(clf.batch_size)
    scores = np.empty((batch, w.shape[0]), np.float32)
    y = np.ascontiguousarray(y, np.int64)
    wrong = []
    for _ in range(epochs):
        order = rng.permutation(h.shape[0]) if clf.shuffle else np.arange(h.shape[0])
        wrong.append(int(K.train_epoch(h, hnorm, y, order.astype(np.int64), batch, float(lr), rule, w, wnorm,
                                       scores)))
    return wrong


def _binary_state(clf, h: np.ndarray, dim: int, rng: np.random.Generator) -> None:
    words = -(-dim // 64)
    if h.shape[1] != words:
        raise ValueError(f"packed hypervectors have {h.shape[1]} words; dim={dim} needs {words}")
    if getattr(clf, "counts_", None) is None:
        clf.counts_ = np.zeros((len(clf.classes_), dim), np.int32)
        clf.tiebreak_ = _pack_row(rng.integers(0, 2, dim, dtype=np.uint8))
        clf.prototypes_ = np.zeros((len(clf.classes_), words), np.uint64)


def binary_bundle(clf, h: np.ndarray, y: np.ndarray, dim: int, rng: np.random.Generator) -> None:
    """Add packed samples h (n, words) to ``clf.counts_`` (bipolar class sums, int32 (n_classes, dim)) and
    re-sign ``clf.prototypes_`` (packed uint64; zero sums take the bit of ``clf.tiebreak_``, drawn once)."""
    _binary_state(clf, h, dim, rng)
    K.bit_counts(np.ascontiguousarray(h), np.ascontiguousarray(y, np.int64), len(clf.classes_), dim, clf.counts_)
    K.pack_signs(clf.counts_, clf.tiebreak_, clf.prototypes_)


def binary_epochs(clf, h: np.ndarray, y: np.ndarray, epochs: int, dim: int, rng: np.random.Generator) -> list[int]:
    """``epochs`` retraining passes on packed samples (``_kernels.train_epoch_bits``); mispredicted counts."""
    _binary_state(clf, h, dim, rng)
    batch = int(clf.batch_size)
    dist = np.empty((batch, len(clf.classes_)), np.int64)
    h = np.ascontiguousarray(h)
    y = np.ascontiguousarray(y, np.int64)
    wrong = []
    for _ in range(epochs):
        order = rng.permutation(h.shape[0]) if clf.shuffle else np.arange(h.shape[0])
        wrong.append(int(K.train_epoch_bits(h, y, order.astype(np.int64), batch, clf.counts_, clf.tiebreak_,
                                            clf.prototypes_, dist)))
    return wrong


def _pack_row(bits: np.ndarray) -> np.ndarray:
    """uint64 words of a 0/1 vector in hdvec's bit order (bit i -> bit i % 64 of word i // 64)."""
    words = -(-bits.shape[0] // 64)
    padded = np.zeros(words * 64, np.uint8)
    padded[:bits.shape[0]] = bits
    return np.packbits(padded, bitorder="little").view("<u8").astype(np.uint64)
