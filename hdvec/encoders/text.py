"""Text encoders: bags of character n-grams and token sequences.

Symbols (characters, tokens) get their vectors from an ``ItemMemory``: each is
drawn from the encoder's seed and a stable hash of the symbol, so there is no
fixed vocabulary, unseen symbols never fail, and the same symbol gets the same
bytes on every machine. Batches are encoded in two steps: NumPy counts the
distinct grams of every document, then a Numba kernel binds and bundles each
distinct gram once, weighted by its count. The block and modular models (BSBC,
MCR, CGR, VTB) bind and bundle differently; they take a generic path
(``_text_generic``) that builds each distinct gram with the model's
``permute`` / ``bind`` and bundles each document with ``model.bundle``,
weighted by the counts: the same vectors as bundling every occurrence.

An n-gram ``(s_0, ..., s_{n-1})`` is ``bind_j permute(v(s_j), n - 1 - j)``
(Torchhd's ``ngrams``); a document is the bundle of its n-gram occurrences.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import numpy as np

from .._backend import to_device
from .._progress import progress_bar
from .._validation import Seed
from ..hdc import BSC, FHRR, HRR, MAP, MBAT, ItemMemory, Model
from ..hdc.structures import _no_hrr_order
from . import _kernels as K
from . import _text_generic as G
from ._sklearn import TransformerMixin

log = logging.getLogger(__name__)

_TOKEN = re.compile(r"\w+(?:['’]\w+)*")
_CHUNK_SYMBOLS = 1 << 20  # symbols per kernel call: bounds the gram arrays and tables
_PROGRESS_MIN = 10_000  # texts from which progress=None shows a bar (on a terminal)


def tokenize(text: str) -> list[str]:
    """Split ``text`` into words (Unicode letters/digits, inner apostrophes kept)."""
    return _TOKEN.findall(text)


def _check_texts(texts: Any) -> list[str]:
    if isinstance(texts, str) or not isinstance(texts, Iterable):
        raise TypeError(f"`texts` must be a sequence of str; got {type(texts).__name__}")
    texts = list(texts)
    for i, t in enumerate(texts):
        if not isinstance(t, str):
            raise TypeError(f"`texts[{i}]` must be a str; got {type(t).__name__}")
    return texts


def _check_model(model: Any, what: str, allow_mbat: bool) -> Model:
    if not isinstance(model, Model):
        raise TypeError(f"`model` must be an hdvec.hdc model (BSC, MAP, HRR, FHRR, MBAT, BSBC, VTB, MCR, CGR); "
                        f"got {type(model).__name__}")
    if isinstance(model, MBAT) and not allow_mbat:
        raise TypeError(f"{what} binds vector with vector; MBAT binds roles with vectors: use BSC, MAP, FHRR, "
                        f"BSBC, VTB, MCR or CGR")
    return model


def _check_n(n: Any, name: str) -> int:
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise ValueError(f"`{name}` must be an int >= 1; got {n!r}")
    return int(n)


def count_grams(ids: np.ndarray, starts: np.ndarray, n: int, n_symbols: int):
    """Distinct n-grams of every document and how often each occurs.

    ``ids`` (M,) int64 symbol ids in ``[0, n_symbols)``, ``starts`` (N + 1,)
    document offsets. Returns ``grams`` (G, n) int64, ``gram_starts`` (N + 1,)
    int64 (document ``d`` owns ``grams[gram_starts[d]:gram_starts[d+1]]``) and
    ``counts`` (G,) int64. Documents shorter than ``n`` have no grams.
    """
    n_docs = starts.shape[0] - 1
    n_grams = np.maximum(np.diff(starts) - n + 1, 0)
    total = int(n_grams.sum())
    if total == 0:
        return np.empty((0, n), np.int64), np.zeros(n_docs + 1, np.int64), np.empty(0, np.int64)
    doc = np.repeat(np.arange(n_docs, dtype=np.int64), n_grams)
    first = np.repeat(starts[:-1] - (np.cumsum(n_grams) - n_grams), n_grams)
    windows = ids[(first + np.arange(total))[:, None] + np.arange(n)]
    base = max(n_symbols, 1)
    if n_docs * float(base) ** n < 2.0**62:  # one int64 key per (document, gram), sorted by document
        key = doc * base**n
        for j in range(n):
            key += windows[:, j] * base ** (n - 1 - j)
        _, first_seen, counts = np.unique(key, return_index=True, return_counts=True)
    else:
        _, first_seen, counts = np.unique(np.column_stack([doc, windows]), axis=0,
                                          return_index=True, return_counts=True)
    gram_starts = np.searchsorted(doc[first_seen], np.arange(n_docs + 1)).astype(np.int64)
    return windows[first_seen], gram_starts, counts.astype(np.int64)


class _SymbolEncoder(TransformerMixin):
    """Shared parts: the model, the symbol memory and batch plumbing.

    scikit-learn conventions: the constructor arguments are stored unchanged
    under their own names (what ``get_params`` returns); validated copies and
    derived state are private.
    """

    _input_tags = {"string": True, "one_d_array": True}  # a 1-D sequence of str, one text per sample

    def __init__(self, model: Model, *, seed: Seed = None):
        self.model = model
        self.seed = seed
        self._memory = ItemMemory(model, seed=seed)

    @property
    def _generic(self) -> bool:
        """BSBC, MCR, CGR, VTB: the model's operations instead of the fused kernels."""
        return G.is_generic(self.model)

    @property
    def memory(self) -> ItemMemory:
        """The symbol vectors (an ``ItemMemory`` that grows with every unseen symbol)."""
        return self._memory

    def _vectors(self, symbols: list[Any]) -> np.ndarray:
        """Vectors of ``symbols`` (U, width), adding unseen ones to the memory."""
        rows = self._memory.add(symbols) if symbols else np.empty(0, np.int64)
        return self._memory.vectors[rows]

    def _out_dtype(self) -> np.dtype:
        m = self.model
        if self._generic:
            return G.out_dtype(m)
        if isinstance(m, BSC):
            return np.dtype(np.uint64)
        if isinstance(m, MAP):
            return np.dtype(m.dtype if m.binarize else (np.int32 if m.dtype == "int8" else np.float32))
        return np.dtype(np.complex64 if isinstance(m, FHRR) else np.float32)

    def _finish(self, sums: np.ndarray) -> np.ndarray:
        """MAP-B: sign of the sums with the model's tie-break (what ``model.bundle`` returns)."""
        m = self.model
        if isinstance(m, MAP) and m.binarize:
            return np.where(sums > 0, 1, np.where(sums < 0, -1, m.tiebreak)).astype(m.dtype)
        return sums

    def _bag(self, vectors: np.ndarray, grams: np.ndarray, gram_starts: np.ndarray, counts: np.ndarray,
             n: int) -> np.ndarray:
        """Bundle of count-weighted n-grams per document -> (N, width)."""
        m = self.model
        if self._generic:
            return G.bag(m, vectors, grams, gram_starts, counts, n)
        n_docs = gram_starts.shape[0] - 1
        tables = np.stack([m.permute(vectors, n - 1 - j) if n - 1 - j else vectors for j in range(n)])
        if isinstance(m, BSC):
            out = np.empty((n_docs, m.width), np.uint64)
            K.gram_majority(tables, grams, gram_starts, counts, m.dim, m.tiebreak, out)
            return out
        if isinstance(m, HRR):  # circular convolution = product of spectra
            spectra = np.fft.rfft(tables).astype(np.complex64)
            acc = np.empty((n_docs, spectra.shape[-1]), np.complex64)
            K.gram_sum(spectra, grams, gram_starts, counts.astype(np.float32), acc)
            return np.fft.irfft(acc, n=m.dim).astype(np.float32)
        acc_dtype = np.int32 if tables.dtype == np.int8 else tables.dtype
        acc = np.empty((n_docs, m.width), acc_dtype)
        K.gram_sum(tables, grams, gram_starts, counts.astype(np.int32 if acc_dtype == np.int32 else np.float32), acc)
        return self._finish(acc)

    def _sequence(self, vectors: np.ndarray, ids: np.ndarray, starts: np.ndarray, positional: bool) -> np.ndarray:
        """Bundle of ``permute(v(s_i), L - 1 - i)`` (``positional``) or of ``v(s_i)`` per document -> (N, width)."""
        m = self.model
        n_docs = starts.shape[0] - 1
        if self._generic:  # "bag": distinct tokens weighted by their counts (one model.bundle per document)
            if positional:
                return G.sequence(m, vectors, ids, starts)
            return G.bag(m, vectors, *count_grams(ids, starts, 1, vectors.shape[0]), 1)
        if isinstance(m, BSC):
            out = np.empty((n_docs, m.width), np.uint64)
            K.shifted_majority(vectors, ids, starts, m.dim, positional, m.tiebreak, out)
            return out
        acc = np.empty((n_docs, m.width), np.int32 if vectors.dtype == np.int8 else vectors.dtype)
        K.shifted_sum(vectors, ids, starts, positional, acc)
        return self._finish(acc)

    def _run(self, texts: Any, encode_chunk: Callable[[list[str]], np.ndarray], device: Any,
             progress: bool | None) -> Any:
        texts = _check_texts(texts)
        out = np.empty((len(texts), self.model.width), self._out_dtype())
        chunks, start, size = [], 0, 0
        for i, t in enumerate(texts):
            size += len(t) + 1
            if size >= _CHUNK_SYMBOLS:
                chunks.append((start, i + 1))
                start, size = i + 1, 0
        if start < len(texts) or not chunks:
            chunks.append((start, len(texts)))
        bar = progress_bar(len(texts), type(self).__name__, "doc", progress, _PROGRESS_MIN)
        log.debug("%s: encoding %d texts in %d chunks", type(self).__name__, len(texts), len(chunks))
        for a, b in chunks:
            if b > a:
                out[a:b] = encode_chunk(texts[a:b])
            if bar is not None:
                bar.update(b - a)
        if bar is not None:
            bar.close()
        return to_device(out, device)

    def encode(self, text: str, *, device: Any = None) -> Any:
        """One text -> ``(width,)`` vector."""
        if not isinstance(text, str):
            raise TypeError(f"`text` must be a str; got {type(text).__name__}")
        return self.encode_batch([text], device=device)[0]

    __call__ = encode

    def encode_batch(self, texts: Sequence[str], *, device: Any = None, progress: bool | None = None) -> Any:
        """Many texts -> ``(len(texts), width)``; ``device`` returns a torch tensor there.

        ``progress``: a tqdm bar (None: only for 10,000+ texts on a terminal; False: never).
        """
        return self._run(texts, self._encode_chunk, device, progress)  # _encode_chunk: per subclass


class NGramEncoder(_SymbolEncoder):
    """Bag of character n-grams (the classic HDC language-recognition encoder).

    Parameters
    ----------
    model : BSC, MAP, FHRR, BSBC, VTB, MCR, CGR, or HRR for ``n = 1`` only
        HRR's cyclic shift commutes with its circular convolution, so an
        n-gram of ``n >= 2`` would not depend on the order of its characters:
        HRR with ``n >= 2`` raises TypeError. MBAT raises TypeError.
    n : int
        Gram length (3 by default). Texts shorter than ``n`` characters give
        the empty bundle: zeros for MAP, HRR, FHRR, VTB and MCR,
        ``model.tiebreak`` for BSC, BSBC and CGR (see Notes).
    lowercase : bool
        Fold case before counting.
    seed : int, numpy.random.Generator or None
        Seed of the character vectors; default: the model's seed.

    Notes
    -----
    Output per text, ``(width,)``, is what ``model.bundle`` returns for the
    stack of its n-gram vectors: packed majority words (BSC, uint64),
    int32/float32 sums or signs (MAP), float32 (HRR, VTB), complex64
    (FHRR), int16/int32 indices (BSBC, MCR, CGR; the model's ``dtype``).

    BSBC, MCR, CGR and VTB run no fused kernel: each distinct n-gram of a
    text is built with ``model.permute`` / ``model.bind`` and the text is
    ``model.bundle(grams, weights=counts)``, equal to the bundle of every
    occurrence (a weighted mode, phasor sum or sum with integer counts; same
    tie rules). It costs one ``bundle`` call per text and holds a text's
    distinct grams, ``(G, width)``, at once. The empty bundle of these
    models: BSBC, CGR give ``model.tiebreak`` (every index ties at count 0;
    BSC's empty majority is its tie-break vector too); MCR gives zeros (a
    zero phasor sum has no angle and its mean-of-indices fallback over no
    weight is index 0, as ``MCR.bundle`` with zero weights; also its bind
    identity); VTB gives zeros (the empty sum).

    Examples
    --------
    >>> from hdvec import hdc
    >>> from hdvec.encoders import NGramEncoder
    >>> m = hdc.MCR(1024, block_size=16, seed=0)
    >>> enc = NGramEncoder(m, n=3, seed=0)
    >>> x = enc.encode_batch(["hello world", "hello there", "ab"])
    >>> x.shape, x.dtype
    ((3, 1024), dtype('int16'))
    >>> bool(m.similarity(x[0], x[1]) > m.similarity(x[0], enc.encode("quiz vex jump")))
    True
    >>> bool((x[2] == 0).all())  # shorter than n: MCR's empty bundle
    True
    """

    def __init__(self, model: Model, n: int = 3, *, lowercase: bool = False, seed: Seed = None):
        super().__init__(_check_model(model, "NGramEncoder", allow_mbat=False), seed=seed)
        self.n = n
        self.lowercase = lowercase
        self._n = _check_n(n, "n")
        if self._n >= 2:
            _no_hrr_order(model, f"NGramEncoder(n={self._n})")
        self._lowercase = bool(lowercase)

    def __repr__(self) -> str:
        return f"NGramEncoder({self.model!r}, n={self._n}, lowercase={self._lowercase})"

    def _encode_chunk(self, texts: list[str]) -> np.ndarray:
        if self._lowercase:
            texts = [t.lower() for t in texts]
        lengths = np.fromiter((len(t) for t in texts), np.int64, len(texts))
        starts = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
        # one code point per character (Python's len counts code points)
        points = np.frombuffer("".join(texts).encode("utf-32-le", "surrogatepass"), np.uint32)
        uniq, ids = np.unique(points, return_inverse=True)
        vectors = self._vectors([chr(c) for c in uniq])
        grams, gram_starts, counts = count_grams(ids.astype(np.int64), starts, self._n, len(uniq))
        return self._bag(vectors, grams, gram_starts, counts, self._n)


class TokenEncoder(_SymbolEncoder):
    """Token-sequence encoder with position by permutation.

    Modes:

    * ``"bag"``: bundle of the token vectors (order-free);
    * ``"sequence"``: ``sum_i permute(v(t_i), L - 1 - i)`` (Torchhd's
      ``bundle_sequence``, HyperSeg's utterance vector);
    * ``"window"``: bundle of the sliding windows of ``window`` tokens, each a
      bind chain of permuted token vectors (token n-grams).

    Parameters
    ----------
    model : BSC, MAP, FHRR, BSBC, VTB, MCR, CGR, HRR or MBAT
        Every mode, except HRR (``bag``, ``sequence``, ``window=1``) and
        MBAT (``bag``, ``sequence``). HRR's cyclic shift commutes with its
        circular convolution, so a window of two or more tokens would not
        depend on their order: HRR with ``mode="window"`` and ``window >= 2``
        raises TypeError.
    mode : "bag", "sequence" or "window"
    window : int
        Window length for ``mode="window"``.
    tokenizer : callable str -> list of str, or None
        Default: ``tokenize`` (words of letters and digits).
    lowercase : bool
        Fold tokens to lower case (default True).
    stopwords : iterable of str or None
        Tokens to drop (after lower-casing).
    seed : int, numpy.random.Generator or None
        Seed of the token vectors; default: the model's seed.

    Notes
    -----
    A text without tokens (or shorter than ``window``) gives the empty
    bundle: zeros for MAP, HRR, FHRR, MBAT, VTB and MCR, ``model.tiebreak``
    for BSC, BSBC and CGR (``NGramEncoder``'s Notes say why). Output rows
    ``(width,)`` have the dtype ``NGramEncoder`` gives. BSBC, MCR, CGR and VTB
    bundle with ``model.bundle`` per text (``"bag"`` and ``"window"``: the
    distinct tokens / windows weighted by their counts; ``"sequence"``: the
    permuted token rows), equal to ``hdc.multiset`` / ``hdc.sequence`` /
    ``hdc.ngrams`` of the token vectors.
    """

    def __init__(self, model: Model, *, mode: str = "bag", window: int = 3,
                 tokenizer: Callable[[str], list[str]] | None = None, lowercase: bool = True,
                 stopwords: Iterable[str] | None = None, seed: Seed = None):
        if mode not in ("bag", "sequence", "window"):
            raise ValueError(f"`mode` must be 'bag', 'sequence' or 'window'; got {mode!r}")
        super().__init__(_check_model(model, "TokenEncoder(mode='window')", allow_mbat=mode != "window"), seed=seed)
        if tokenizer is not None and not callable(tokenizer):
            raise TypeError(f"`tokenizer` must be a callable str -> list of str; got {type(tokenizer).__name__}")
        if stopwords is not None and (isinstance(stopwords, str) or not isinstance(stopwords, Iterable)):
            raise TypeError(f"`stopwords` must be an iterable of str or None; got {type(stopwords).__name__}")
        self.mode = mode
        self.window = window
        self.tokenizer = tokenizer
        self.lowercase = lowercase
        self.stopwords = stopwords
        self._window = _check_n(window, "window")
        if mode == "window" and self._window >= 2:
            _no_hrr_order(model, f"TokenEncoder(mode='window', window={self._window})")
        self._tokenizer = tokenize if tokenizer is None else tokenizer
        self._lowercase = bool(lowercase)
        self._stopwords = frozenset(stopwords or ())

    def __repr__(self) -> str:
        return f"TokenEncoder({self.model!r}, mode={self.mode!r}, window={self._window})"

    def tokens(self, text: str) -> list[str]:
        """The tokens of ``text`` as the encoder sees them (tokenized, folded, stopwords dropped)."""
        toks = self._tokenizer(text)
        if not isinstance(toks, (list, tuple)) or not all(isinstance(t, str) for t in toks):
            raise TypeError("`tokenizer` must return a list of str")
        if self._lowercase:
            toks = [t.lower() for t in toks]
        return [t for t in toks if t not in self._stopwords] if self._stopwords else list(toks)

    def _encode_chunk(self, texts: list[str]) -> np.ndarray:
        local: dict[str, int] = {}
        flat: list[int] = []
        starts = [0]
        for t in texts:
            for tok in self.tokens(t):
                flat.append(local.setdefault(tok, len(local)))
            starts.append(len(flat))
        ids = np.asarray(flat, np.int64)
        starts_a = np.asarray(starts, np.int64)
        vectors = self._vectors(list(local))
        if self.mode != "window":  # token rows summed directly; counting first buys nothing here
            return self._sequence(vectors, ids, starts_a, positional=self.mode == "sequence")
        grams, gram_starts, counts = count_grams(ids, starts_a, self._window, len(local))
        return self._bag(vectors, grams, gram_starts, counts, self._window)
