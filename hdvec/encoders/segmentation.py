"""Unsupervised topic segmentation in hyperdimensional space (HyperSeg) and its metrics.

HyperSeg (Park, Seo & Lee, Interspeech 2023) needs no training: every token
gets a random hypervector, an utterance is the bundle of its permuted token
vectors (``TokenEncoder(mode="sequence")``), and a topic boundary goes where
the cosine between neighbouring utterances dips. Here:

* ``segment`` - boundary indices of a list of utterances (or of precomputed
  utterance vectors), by HyperSeg's valley rule (``method="hyperseg"``) or on
  bundles of ``window`` utterances either side of each gap (``"window"``).
* ``gap_scores`` / ``pick_valleys`` - the two halves of ``segment``, for
  scores computed elsewhere.
* ``pk`` / ``windowdiff`` - the Pk and WindowDiff error rates, with the inputs
  and results of ``nltk.metrics.segmentation``, computed from cumulative sums.
* ``to_mask`` / ``boundaries_from_lengths`` - conversions between boundary
  indices, 0/1 labels and segment lengths.

**Convention.** A boundary index ``j`` means a topic change between utterance
``j`` and ``j + 1`` (``0 <= j <= n - 2``). ``to_mask(boundaries, n)`` puts a 1 at
those positions of a length-``n`` label sequence; the last position is never a
boundary. Under this convention NLTK's windows ``labels[i:i+k]`` ask "are
utterances ``i`` and ``i + k`` in different segments?", which is Pk's
definition. References given as segment lengths convert with
``to_mask(boundaries_from_lengths(lengths), sum(lengths))``. Because the end
of the document is not marked, pass ``k`` explicitly (half the mean reference
segment length, ``round(n / (2 * n_segments))``): NLTK's default ``k=None``
counts boundaries, not segments.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import numpy as np

from .._backend import is_torch, to_numpy
from .._validation import Seed

__all__ = [
    "STOPWORDS_EN",
    "boundaries_from_lengths",
    "gap_scores",
    "pick_valleys",
    "pk",
    "segment",
    "to_mask",
    "windowdiff",
]

_STOPWORDS_EN_TEXT = """
    a about above after again against all also am an and any are as at be because been before being
    below between both but by can could did do does doing down during each either else even ever every
    few for from further had has have having he her here hers herself him himself his how however i if
    in into is it its itself just least less let may me might mine more most much must my myself
    neither no nor not now of off often on once one only or other others otherwise our ours ourselves
    out over own per perhaps quite rather same shall she should since so some such than that the their
    theirs them themselves then there these they this those though through thus to too under until up
    upon us very was we were what whatever when whenever where whether which while who whom whose why
    will with within without would yet you your yours yourself yourselves
    s t d ll m re ve don didn doesn isn wasn aren weren hasn haven hadn won wouldn shouldn couldn
    can't don't didn't doesn't isn't wasn't aren't weren't won't wouldn't shouldn't couldn't
    i'm i've i'll i'd you're you've you'll you'd he's she's it's we're we've we'll they're they've
    they'll that's there's what's let's
"""
#: A short English stopword list (function words: articles, pronouns, auxiliaries,
#: prepositions, conjunctions, common adverbs and contraction parts), written for
#: hdvec so that nothing has to be downloaded. NLTK's stopword *corpus* needs a
#: download; this list plays its role in HyperSeg's preprocessing.
STOPWORDS_EN: frozenset[str] = frozenset(_STOPWORDS_EN_TEXT.split())

_METHODS = ("hyperseg", "window")
_ENCODINGS = ("sequence", "bag")
_ENGLISH = "english"
_GAP_CHUNK = 256  # gaps scored per block in gap_scores


# ----------------------------------------------------------------------------- checks
def _check_int(value: Any, name: str, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"`{name}` must be an int; got {type(value).__name__}")
    if value < minimum:
        raise ValueError(f"`{name}` must be >= {minimum}; got {value}")
    return int(value)


def _check_vectors(x: Any, name: str = "utterances") -> np.ndarray:
    """Check an (n, width) array (NumPy or torch) of real, finite numbers; return it as NumPy."""
    x = to_numpy(x) if is_torch(x) else x
    if x.ndim != 2:
        raise ValueError(f"`{name}` must be a 2-D (n, width) array of utterance vectors; got shape {x.shape}")
    if x.dtype.kind not in "biuf":
        raise TypeError(f"`{name}` must hold real numbers; got dtype {x.dtype}")
    if x.shape[1] == 0:
        raise ValueError(f"`{name}` must have width >= 1; got shape {x.shape}")
    if x.dtype.kind == "f" and not np.isfinite(x).all():
        raise ValueError(f"`{name}` must contain only finite values; got NaN or inf")
    return x


def _check_texts(utterances: Any) -> list[str]:
    if isinstance(utterances, (str, bytes)):
        raise TypeError(
            f"`utterances` must be a list of strings or an (n, width) array; got a single {type(utterances).__name__}"
        )
    if not isinstance(utterances, Sequence):
        raise TypeError(
            f"`utterances` must be a list of strings or an (n, width) array; got {type(utterances).__name__}"
        )
    out = list(utterances)
    for i, u in enumerate(out):
        if not isinstance(u, str):
            raise TypeError(f"`utterances[{i}]` must be a str; got {type(u).__name__}")
    return out


def _stopword_set(stopwords: Any) -> frozenset[str] | None:
    if stopwords is None:
        return None
    if isinstance(stopwords, str):
        if stopwords == _ENGLISH:
            return STOPWORDS_EN
        raise ValueError(f"`stopwords` must be 'english', None or a collection of str; got {stopwords!r}")
    if not isinstance(stopwords, Iterable):
        raise TypeError(f"`stopwords` must be 'english', None or a collection of str; got {type(stopwords).__name__}")
    words = frozenset(stopwords)
    bad = next((w for w in words if not isinstance(w, str)), None)
    if bad is not None:
        raise TypeError(f"`stopwords` must hold str; got {type(bad).__name__} ({bad!r})")
    return words


# ----------------------------------------------------------------------------- scores and valleys
def gap_scores(vectors: Any, /, *, window: int = 1) -> np.ndarray:
    """Cosine across every gap of a sequence of utterance vectors.

    Score ``j`` compares the sum of the ``window`` vectors ending at ``j`` with
    the sum of the ``window`` vectors starting at ``j + 1`` (windows are cut at
    the ends). ``window=1`` is HyperSeg's ``cos(u_j, u_{j+1})``. A zero sum
    scores 0.

    Shapes: ``(n, width) -> (n - 1,)`` float64, for ``n >= 1``.
    """
    if not (is_torch(vectors) or isinstance(vectors, np.ndarray)):
        raise TypeError(f"`vectors` must be a numpy.ndarray or torch.Tensor; got {type(vectors).__name__}")
    x = _check_vectors(vectors, "vectors")
    window = _check_int(window, "window", 1)
    n = x.shape[0]
    out = np.zeros(max(n - 1, 0), np.float64)
    if n < 2:
        return out
    if window > 1:  # prefix sums: the sum of rows a..b-1 is c[b] - c[a]
        c = np.zeros((n + 1, x.shape[1]), np.float64)
        np.cumsum(x, axis=0, dtype=np.float64, out=c[1:])
    for start in range(0, n - 1, _GAP_CHUNK):  # float64 temporaries of at most 2 * _GAP_CHUNK rows
        stop = min(start + _GAP_CHUNK, n - 1)
        g = np.arange(start, stop)
        if window == 1:
            left, right = x[g].astype(np.float64), x[g + 1].astype(np.float64)
        else:
            left = c[g + 1] - c[np.maximum(g + 1 - window, 0)]
            right = c[np.minimum(g + 1 + window, n)] - c[g + 1]
        dots = np.einsum("ij,ij->i", left, right)
        norms = np.sqrt(np.einsum("ij,ij->i", left, left) * np.einsum("ij,ij->i", right, right))
        np.divide(dots, norms, out=out[start:stop], where=norms > 0)
    return out


def pick_valleys(
    scores: Any,
    /,
    *,
    damp: bool = False,
    n_segments: int | None = None,
    legacy_threshold: bool = False,
    min_distance: int = 1,
) -> np.ndarray:
    """HyperSeg's boundary rule on gap scores: deep strict local minima.

    Candidates are strict local minima ``s[j-1] > s[j] < s[j+1]`` (so never the
    first or last gap) with ``s[j] < tau``, ``tau = mean(s) - std(s, ddof=1)``.

    * ``damp=True``: of the ``M`` candidates keep the ``floor(ln(M) ** 2)``
      lowest (HyperSeg's damp mode; ``M <= 2`` keeps none).
    * ``n_segments=K``: ignore ``tau`` and keep the ``K - 1`` lowest strict
      local minima (fewer when there are fewer minima).
    * ``legacy_threshold=True``: keep minima with ``s[j] > tau`` instead, the
      test in HyperSeg's released code (a bug; for comparison only).
    * ``min_distance=d``: of minima closer than ``d`` gaps, keep only the
      deepest (greedy, deepest first). Windowed scores dip over about
      ``window`` gaps around a boundary, and noise splits that dip into
      several minima; ``segment(method="window")`` passes ``d = window``.

    Shapes: ``(m,) -> (b,)`` int64 gap indices, sorted. Ties between equal
    minima are broken by position (earlier first).
    """
    s = to_numpy(scores) if is_torch(scores) else np.asarray(scores)
    if s.ndim != 1 or s.dtype.kind not in "biuf":
        raise ValueError(f"`scores` must be a 1-D array of real numbers; got shape {s.shape}, dtype {s.dtype}")
    s = s.astype(np.float64)
    if not np.isfinite(s).all():
        raise ValueError("`scores` must contain only finite values; got NaN or inf")
    if not isinstance(damp, bool):
        raise TypeError(f"`damp` must be a bool; got {type(damp).__name__}")
    if not isinstance(legacy_threshold, bool):
        raise TypeError(f"`legacy_threshold` must be a bool; got {type(legacy_threshold).__name__}")
    if n_segments is not None:
        n_segments = _check_int(n_segments, "n_segments", 1)
    min_distance = _check_int(min_distance, "min_distance", 1)
    if s.shape[0] < 3:
        return np.empty(0, np.int64)
    mid = s[1:-1]
    minima = np.flatnonzero((s[:-2] > mid) & (mid < s[2:])) + 1
    if min_distance > 1:
        kept: list[int] = []
        for j in minima[np.argsort(s[minima], kind="stable")]:
            if all(abs(j - i) >= min_distance for i in kept):
                kept.append(int(j))
        minima = np.sort(np.asarray(kept, np.int64))
    if n_segments is not None:
        keep = minima[np.argsort(s[minima], kind="stable")[: n_segments - 1]]
        return np.sort(keep).astype(np.int64)
    tau = s.mean() - s.std(ddof=1)
    minima = minima[s[minima] > tau] if legacy_threshold else minima[s[minima] < tau]
    if damp:
        n_keep = int(math.log(len(minima)) ** 2) if len(minima) else 0
        minima = np.sort(minima[np.argsort(s[minima], kind="stable")[:n_keep]])
    return minima.astype(np.int64)


# ----------------------------------------------------------------------------- segment
def _encoder(
    model: Any,
    dim: Any,
    seed: Seed,
    encoding: str,
    stopwords: frozenset[str] | None,
    tokenizer: Callable[[str], list[str]] | None,
    lowercase: bool,
) -> Any:
    from ..hdc import HRR, MAP
    from .text import TokenEncoder

    if model is None:
        model = MAP(_check_int(dim, "dim", 1), seed=seed)
    elif not isinstance(model, (MAP, HRR)):
        raise TypeError(f"`model` must be an hdvec.hdc.MAP or HRR model (real vectors) or None; got {model!r}")
    if tokenizer is not None and not callable(tokenizer):
        raise TypeError(f"`tokenizer` must be a callable str -> list[str] or None; got {type(tokenizer).__name__}")
    return TokenEncoder(model, mode=encoding, tokenizer=tokenizer, lowercase=lowercase, stopwords=stopwords)


def segment(
    utterances: Any,
    /,
    *,
    method: str = "window",
    window: int = 3,
    encoding: str | None = None,
    model: Any = None,
    dim: int = 10_000,
    seed: Seed = 0,
    stopwords: Any = _ENGLISH,
    tokenizer: Callable[[str], list[str]] | None = None,
    lowercase: bool = True,
    n_segments: int | None = None,
    damp: bool = False,
    legacy_threshold: bool = False,
) -> np.ndarray:
    """Topic boundaries of a sequence of utterances (HyperSeg).

    Parameters
    ----------
    utterances : list of str, or (n, width) array
        Strings are encoded with ``TokenEncoder(model, mode=encoding, ...)``
        after lower-casing, tokenizing and dropping stopwords. An array (NumPy
        or torch, real dtype) is taken as precomputed utterance vectors.
        Needs ``n >= 2``.
    method : "window" or "hyperseg"
        "window" (default, the best measured: Pk 0.255 on Choi, 0.340 on
        DialSeg711) scores gap ``j`` by the cosine between the sums of the
        ``window`` utterances before and after the gap; "hyperseg" (the
        paper) by ``cos(u_j, u_{j+1})``. Both then apply ``pick_valleys``
        ("window" with ``min_distance=window``: one boundary per dip).
    window : int
        Utterances per side for ``method="window"`` (ignored by "hyperseg").
    encoding : "bag", "sequence" or None
        None: "bag" for ``method="window"`` and "sequence" for
        ``method="hyperseg"``, so ``method="hyperseg"`` alone is the
        paper's setting. "bag": ``u = sum_i v(t_i)``, order-free (a random
        projection of the term counts). "sequence" (HyperSeg's released
        code, Torchhd's ``bundle_sequence``): ``u = sum_i roll(v(t_i), len - 1 - i)``,
        so two utterances share a token's contribution only where it stands
        at the same distance from their ends; neighbouring utterances then
        look unrelated and it fails even on concatenated unrelated texts
        (see ``docs/benchmarks.md``).
    model : hdvec.hdc.MAP or HRR, or None
        Model of the token vectors; default ``MAP(dim, seed=seed)`` (float32).
        ``dim`` and ``seed`` are used only when ``model`` is None.
    stopwords : "english", None or collection of str
        "english" is ``STOPWORDS_EN`` (shipped with hdvec, no download);
        None keeps every token.
    tokenizer : callable str -> list[str] or None
        None: ``hdvec.encoders.text.tokenize`` (runs of letters and digits).
        HyperSeg's code splits on whitespace: pass ``str.split`` for that.
    lowercase : bool
    n_segments, damp, legacy_threshold
        See ``pick_valleys``.

    Returns
    -------
    (b,) int64, sorted: boundary ``j`` lies between utterance ``j`` and ``j + 1``.

    On real data (``docs/benchmarks.md``) the paper's setting
    (``method="hyperseg"``, ``encoding="sequence"``) scores close to "no
    boundaries"; the default ``method="window", encoding="bag"`` does best.

    Utterances without tokens (for arrays: all-zero rows) are skipped when
    scoring, as HyperSeg does; a boundary found between kept utterances
    ``a < c`` is reported right after ``a``.

    Examples
    --------
    >>> talk = ["the cat sat", "a cat ran", "the cat ran", "stocks fell", "bonds fell", "stocks rose"]
    >>> segment(talk, n_segments=2)
    array([2])
    """
    if method not in _METHODS:
        raise ValueError(f"`method` must be one of {_METHODS}; got {method!r}")
    if encoding is None:
        encoding = "sequence" if method == "hyperseg" else "bag"
    if encoding not in _ENCODINGS:
        raise ValueError(f"`encoding` must be one of {_ENCODINGS}; got {encoding!r}")
    window = _check_int(window, "window", 1)
    if not isinstance(lowercase, bool):
        raise TypeError(f"`lowercase` must be a bool; got {type(lowercase).__name__}")
    if is_torch(utterances) or isinstance(utterances, np.ndarray):
        x = _check_vectors(utterances)
        if x.shape[0] < 2:
            raise ValueError(f"`utterances` must hold at least 2 utterances; got {x.shape[0]}")
        kept = np.flatnonzero(np.any(x != 0, axis=1))
        x = x[kept]
    else:
        texts = _check_texts(utterances)
        if len(texts) < 2:
            raise ValueError(f"`utterances` must hold at least 2 utterances; got {len(texts)}")
        enc = _encoder(model, dim, seed, encoding, _stopword_set(stopwords), tokenizer, lowercase)
        kept = np.flatnonzero([len(enc.tokens(t)) > 0 for t in texts])
        x = np.asarray(enc.encode_batch([texts[i] for i in kept]))
    scores = gap_scores(x, window=1 if method == "hyperseg" else window)
    gaps = pick_valleys(scores, damp=damp, n_segments=n_segments, legacy_threshold=legacy_threshold,
                        min_distance=1 if method == "hyperseg" else window)
    return kept[gaps].astype(np.int64)


# ----------------------------------------------------------------------------- metrics
def _labels(seg: Any, boundary: Any, name: str) -> np.ndarray:
    """A sequence of labels -> bool array (True where the label equals ``boundary``).

    Strings are sequences of characters. A str label is compared with
    ``str(int(boundary))`` when ``boundary`` is a number, and a numeric label
    with ``int(boundary)`` when ``boundary`` is a digit string, so ``"0100"``,
    ``[0, 1, 0, 0]`` and ``["0", "1", "0", "0"]`` all work with ``boundary=1``.
    """
    if is_torch(seg):
        seg = to_numpy(seg)
    if isinstance(seg, str):
        arr = np.array(list(seg), dtype=str) if seg else np.empty(0, dtype=str)
    elif isinstance(seg, (np.ndarray, Sequence)) and not isinstance(seg, bytes):
        arr = np.asarray(seg)
    else:
        raise TypeError(f"`{name}` must be a str, list, tuple or 1-D array of labels; got {type(seg).__name__}")
    if arr.ndim != 1:
        raise ValueError(f"`{name}` must be 1-D; got shape {arr.shape}")
    b = boundary
    if arr.dtype.kind in "US" and not isinstance(b, str):
        b = str(int(b))
    elif arr.dtype.kind in "biuf" and isinstance(b, str) and b.strip().lstrip("+-").isdigit():
        b = int(b)
    return np.asarray(arr == b, dtype=bool).reshape(arr.shape)


def _window_counts(labels: np.ndarray, k: int) -> np.ndarray:
    """Number of boundaries in every window ``labels[i:i+k]``, i = 0..n-k: (n - k + 1,) int64."""
    c = np.zeros(labels.shape[0] + 1, np.int64)
    np.cumsum(labels, out=c[1:])
    return c[k:] - c[: c.shape[0] - k]


def _pair(reference: Any, hypothesis: Any, boundary: Any) -> tuple[np.ndarray, np.ndarray]:
    ref = _labels(reference, boundary, "reference")
    hyp = _labels(hypothesis, boundary, "hypothesis")
    if ref.shape[0] != hyp.shape[0]:
        raise ValueError(
            f"`reference` and `hypothesis` must have the same length; got {ref.shape[0]} and {hyp.shape[0]}"
        )
    if ref.shape[0] == 0:
        raise ValueError("`reference` and `hypothesis` must not be empty; got length 0")
    return ref, hyp


def _check_window(k: Any, n: int) -> int:
    k = _check_int(k, "k", 0)
    if k > n:
        raise ValueError(f"`k` must be <= the segmentation length {n}; got {k}")
    return k


def pk(reference: Any, hypothesis: Any, k: int | None = None, boundary: Any = 1) -> float:
    """Pk error (Beeferman et al. 1999): share of windows where the two disagree on "any boundary?".

    Same inputs and result as ``nltk.metrics.segmentation.pk``: windows are
    ``labels[i:i+k]`` for ``i = 0..n-k``, and ``k=None`` means
    ``round(n / (2 * max(number of reference boundaries, 1)))``. Lower is
    better; 0 is a perfect match.

    Shapes: two label sequences of length ``n >= 1`` (str, list, tuple or 1-D
    array; see ``to_mask``) -> float.
    """
    ref, hyp = _pair(reference, hypothesis, boundary)
    n = ref.shape[0]
    if k is None:
        k = round(n / (max(int(ref.sum()), 1) * 2.0))
    k = _check_window(k, n)
    disagree = (_window_counts(ref, k) > 0) != (_window_counts(hyp, k) > 0)
    return int(disagree.sum()) / (n - k + 1.0)


def windowdiff(reference: Any, hypothesis: Any, k: int, boundary: Any = 1, weighted: bool = False) -> float:
    """WindowDiff error (Pevzner & Hearst 2002): share of windows with different boundary counts.

    Same inputs and result as ``nltk.metrics.segmentation.windowdiff``
    (windows ``labels[i:i+k]``, ``i = 0..n-k``; ``weighted=True`` sums the
    absolute count differences instead). Lower is better.

    Shapes: two label sequences of length ``n >= 1`` -> float.
    """
    if not isinstance(weighted, bool):
        raise TypeError(f"`weighted` must be a bool; got {type(weighted).__name__}")
    ref, hyp = _pair(reference, hypothesis, boundary)
    n = ref.shape[0]
    k = _check_window(k, n)
    diff = np.abs(_window_counts(ref, k) - _window_counts(hyp, k))
    total = int(diff.sum()) if weighted else int(np.count_nonzero(diff))
    return total / (n - k + 1.0)


# ----------------------------------------------------------------------------- conversions
def to_mask(boundaries: Any, n: int) -> np.ndarray:
    """Boundary indices (from ``segment``) -> 0/1 labels for ``pk`` / ``windowdiff``.

    ``mask[j] = 1`` when a boundary lies between utterance ``j`` and ``j + 1``;
    ``mask[n - 1]`` is always 0. Shapes: ``(b,), n -> (n,)`` int8.
    """
    n = _check_int(n, "n", 1)
    b = to_numpy(boundaries) if is_torch(boundaries) else np.asarray(boundaries)
    if b.size == 0:
        b = b.reshape(0).astype(np.int64)
    if b.ndim != 1 or b.dtype.kind not in "iu":
        raise ValueError(f"`boundaries` must be a 1-D sequence of ints; got shape {b.shape}, dtype {b.dtype}")
    if b.size and (b.min() < 0 or b.max() > n - 2):
        raise ValueError(f"`boundaries` must lie in [0, {n - 2}] for n={n}; got values in [{b.min()}, {b.max()}]")
    mask = np.zeros(n, np.int8)
    mask[b] = 1
    return mask


def boundaries_from_lengths(lengths: Any) -> np.ndarray:
    """Segment lengths (e.g. ``[4, 6, 6]``) -> boundary indices (``[3, 9]``), int64.

    The boundary after each segment but the last: ``cumsum(lengths)[:-1] - 1``.
    """
    a = to_numpy(lengths) if is_torch(lengths) else np.asarray(lengths)
    if a.ndim != 1 or a.size == 0 or a.dtype.kind not in "iu":
        raise ValueError(f"`lengths` must be a non-empty 1-D sequence of ints; got shape {a.shape}, dtype {a.dtype}")
    if a.min() < 1:
        raise ValueError(f"`lengths` must all be >= 1; got minimum {a.min()}")
    return (np.cumsum(a, dtype=np.int64)[:-1] - 1).astype(np.int64)
