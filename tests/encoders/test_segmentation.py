"""HyperSeg topic segmentation and the Pk / WindowDiff metrics."""

import inspect

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from hdvec import hdc
from hdvec.encoders.segmentation import (
    STOPWORDS_EN,
    boundaries_from_lengths,
    gap_scores,
    pick_valleys,
    pk,
    segment,
    to_mask,
    windowdiff,
)

EDGES = [19, 39, 59, 79]


def blocks(n_blocks=5, per_block=20, length=30, vocab=2, seed=0):
    """Utterances of ``length`` words; block b draws its words from its own ``vocab`` words."""
    rng = np.random.default_rng(seed)
    out = []
    for b in range(n_blocks):
        words = [f"topic{b}word{i}" for i in range(vocab)]
        out += [" ".join(rng.choice(words, length)) for _ in range(per_block)]
    return out


def topic_vectors(n_blocks=5, per_block=20, dim=2000, noise=1.0, seed=0):
    """Precomputed utterance vectors: block topic vector + independent noise of the same norm."""
    rng = np.random.default_rng(seed)
    topics = rng.standard_normal((n_blocks, dim))
    x = np.repeat(topics, per_block, axis=0) + noise * rng.standard_normal((n_blocks * per_block, dim))
    return x.astype(np.float32)


# ----------------------------------------------------------------------------- metrics vs NLTK
labels = st.lists(st.sampled_from([0, 1]), min_size=1, max_size=80)


@st.composite
def label_pairs(draw):
    ref = draw(labels)
    hyp = draw(st.lists(st.sampled_from([0, 1]), min_size=len(ref), max_size=len(ref)))
    k = draw(st.integers(0, len(ref)))
    return ref, hyp, k


@given(label_pairs())
def test_pk_and_windowdiff_equal_nltk(case):
    seg = pytest.importorskip("nltk.metrics.segmentation")
    ref, hyp, k = case
    ref_s, hyp_s = "".join(map(str, ref)), "".join(map(str, hyp))
    assert pk(ref, hyp, k) == seg.pk(ref_s, hyp_s, k)
    assert pk(ref_s, hyp_s, k) == seg.pk(ref_s, hyp_s, k)
    assert pk(np.array(ref), np.array(hyp), k) == seg.pk(ref, hyp, k, boundary=1)
    assert pk(ref, hyp) == seg.pk(ref_s, hyp_s)  # k=None: NLTK's default window
    assert windowdiff(ref, hyp, k) == seg.windowdiff(ref_s, hyp_s, k)
    assert windowdiff(np.array(ref, np.int8), hyp, k) == seg.windowdiff(ref, hyp, k, boundary=1)
    assert windowdiff(ref, hyp, k, weighted=True) == seg.windowdiff(ref_s, hyp_s, k, weighted=True)


@given(label_pairs(), st.sampled_from(["x", True]))
def test_metrics_custom_boundary_label(case, mark):
    seg = pytest.importorskip("nltk.metrics.segmentation")
    ref, hyp, k = case
    if mark == "x":
        ref, hyp = ["x" if r else "o" for r in ref], ["x" if h else "o" for h in hyp]
    else:
        ref, hyp = [bool(r) for r in ref], [bool(h) for h in hyp]
    assert pk(ref, hyp, k, boundary=mark) == seg.pk(ref, hyp, k, boundary=mark)
    assert windowdiff(ref, hyp, k, boundary=mark) == seg.windowdiff(ref, hyp, k, boundary=mark)


def test_metric_known_values():
    # the worked examples of NLTK's documentation (Pevzner & Hearst style)
    s1, s2, s3 = "000100000010", "000010000100", "100000010000"
    assert windowdiff(s1, s1, 3) == 0.0
    assert round(windowdiff(s1, s2, 3), 2) == 0.30
    assert round(windowdiff(s2, s3, 3), 2) == 0.80
    assert round(pk("0100" * 100, "1" * 400, 2), 2) == 0.50
    assert round(pk("0100" * 100, "0" * 400, 2), 2) == 0.50
    assert pk("0100" * 100, "0100" * 100, 2) == 0.0


def test_metric_errors():
    with pytest.raises(ValueError, match="same length; got 4 and 3"):
        pk("0100", "010", 2)
    with pytest.raises(ValueError, match="same length; got 2 and 3"):
        windowdiff([0, 1], [0, 1, 0], 1)
    with pytest.raises(ValueError, match="`k` must be >= 0; got -1"):
        windowdiff("0100", "0100", -1)
    with pytest.raises(ValueError, match="`k` must be <= the segmentation length 4; got 5"):
        pk("0100", "0100", 5)
    with pytest.raises(TypeError, match="`k` must be an int; got float"):
        pk("0100", "0100", 2.0)
    with pytest.raises(ValueError, match="must not be empty"):
        pk("", "", 0)
    with pytest.raises(ValueError, match="`reference` must be 1-D; got shape"):
        pk(np.zeros((2, 2)), np.zeros((2, 2)), 1)
    with pytest.raises(TypeError, match="`hypothesis` must be a str, list"):
        windowdiff("01", 3, 1)


# ----------------------------------------------------------------------------- conversions
def test_to_mask_and_lengths():
    b = boundaries_from_lengths([4, 6, 6, 4, 4])
    assert b.dtype == np.int64 and b.tolist() == [3, 9, 15, 19]
    m = to_mask(b, 24)
    assert m.dtype == np.int8 and m.shape == (24,) and np.flatnonzero(m).tolist() == [3, 9, 15, 19]
    assert to_mask([], 3).tolist() == [0, 0, 0]
    assert boundaries_from_lengths([7]).tolist() == []
    with pytest.raises(ValueError, match=r"`boundaries` must lie in \[0, 2\] for n=4; got values in \[0, 3\]"):
        to_mask([0, 3], 4)
    with pytest.raises(ValueError, match="`lengths` must all be >= 1; got minimum 0"):
        boundaries_from_lengths([3, 0])
    with pytest.raises(ValueError, match="`lengths` must be a non-empty 1-D sequence of ints"):
        boundaries_from_lengths([2.5, 1.0])


# ----------------------------------------------------------------------------- valley rule
def test_pick_valleys_threshold_damp_and_n_segments():
    s = np.array([0.9, 0.2, 0.8, 0.85, 0.7, 0.9, 0.1, 0.95, 0.6, 0.9, 0.88, 0.45, 0.9])
    # strict minima at 1, 4, 6, 8, 11; tau = mean - std(ddof=1) = 0.418
    assert 0.41 < s.mean() - s.std(ddof=1) < 0.45
    assert pick_valleys(s).tolist() == [1, 6]  # the minima below tau
    assert pick_valleys(s, legacy_threshold=True).tolist() == [4, 8, 11]  # released code's `>` test
    assert pick_valleys(s, n_segments=3).tolist() == [1, 6]  # 2 lowest minima, tau ignored
    assert pick_valleys(s, n_segments=4).tolist() == [1, 6, 11]
    assert pick_valleys(s, n_segments=1).tolist() == []
    assert pick_valleys(s, n_segments=99).tolist() == [1, 4, 6, 8, 11]  # at most all minima
    assert pick_valleys(s, damp=True).tolist() == []  # ln(2)^2 < 1 keeps none
    assert pick_valleys([0.5, 0.1]).tolist() == [] and pick_valleys([]).tolist() == []
    assert pick_valleys([1.0, 0.0, 0.0, 1.0]).tolist() == []  # plateaus are not strict minima


def test_pick_valleys_damp_keeps_floor_log_squared():
    rng = np.random.default_rng(3)
    s = rng.random(400)
    minima = np.flatnonzero((s[:-2] > s[1:-1]) & (s[1:-1] < s[2:])) + 1
    cand = minima[s[minima] < s.mean() - s.std(ddof=1)]
    kept = pick_valleys(s, damp=True)
    assert len(kept) == int(np.log(len(cand)) ** 2) < len(cand)
    assert set(kept) <= set(cand)
    assert s[kept].max() <= s[np.setdiff1d(cand, kept)].min()


def test_gap_scores_window_and_zero_norm():
    x = topic_vectors(2, 5, 64)
    s1 = gap_scores(x)
    ref = [np.dot(a, b) / np.linalg.norm(a) / np.linalg.norm(b) for a, b in zip(x[:-1].astype(float), x[1:])]
    np.testing.assert_allclose(s1, ref, rtol=1e-6)
    s3 = gap_scores(x, window=3)
    left, right = x[2:5].sum(0, dtype=np.float64), x[5:8].sum(0, dtype=np.float64)
    assert s3.shape == (9,)
    assert s3[4] == pytest.approx(left @ right / np.linalg.norm(left) / np.linalg.norm(right))
    left, right = x[0:1].astype(np.float64).sum(0), x[1:4].sum(0, dtype=np.float64)  # cut at the start
    assert s3[0] == pytest.approx(left @ right / np.linalg.norm(left) / np.linalg.norm(right))
    z = np.zeros((3, 8), np.float32)
    z[0] = 1
    assert gap_scores(z).tolist() == [0.0, 0.0]
    assert gap_scores(z[:1]).shape == (0,)


@pytest.mark.parametrize("window", [1, 2, 5])
def test_gap_scores_long_sequences_match_a_direct_loop(window):
    x = np.random.default_rng(window).integers(-3, 4, size=(600, 16)).astype(np.float32)  # > one block of gaps
    got = gap_scores(x, window=window)
    for j in (0, 1, 255, 256, 257, 400, 598):
        left = x[max(0, j + 1 - window) : j + 1].astype(np.float64).sum(0)
        right = x[j + 1 : j + 1 + window].astype(np.float64).sum(0)
        assert got[j] == pytest.approx(left @ right / np.linalg.norm(left) / np.linalg.norm(right), abs=1e-12)


# ----------------------------------------------------------------------------- segment
@pytest.mark.parametrize("method", ["hyperseg", "window"])
def test_segment_finds_block_edges_precomputed(method):
    x = topic_vectors(seed=1)
    b = segment(x, method=method)
    assert b.dtype == np.int64 and b.tolist() == EDGES
    ref = to_mask(boundaries_from_lengths([20] * 5), 100)
    assert pk(ref, to_mask(b, 100), 10) == 0.0
    assert windowdiff(ref, to_mask(b, 100), 10) == 0.0


@pytest.mark.parametrize("method", ["hyperseg", "window"])
def test_segment_finds_block_edges_of_texts_bag(method):
    texts = blocks()
    b = segment(texts, method=method, encoding="bag", dim=2000, seed=0)
    assert b.tolist() == EDGES
    assert pk(to_mask(boundaries_from_lengths([20] * 5), 100), to_mask(b, 100), 10) == 0.0


def test_segment_finds_block_edges_of_texts_sequence_window():
    # HyperSeg's position-bound utterance vectors: whole windows are needed to see shared words
    b = segment(blocks(), method="window", window=3, encoding="sequence", dim=2000, seed=0)
    assert b.tolist() == EDGES


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_segment_defaults_find_edges_of_unrelated_texts_with_sparse_overlap(seed):
    # the notes' oracle: 5 blocks of 20 utterances, 8 words each from the block's own 200 words;
    # neighbouring utterances share under one word on average, so only windows see the topic
    texts = blocks(length=8, vocab=200, seed=seed)
    ref = to_mask(boundaries_from_lengths([20] * 5), 100)
    b = segment(texts, method="window", window=8, seed=seed)
    assert pk(ref, to_mask(b, 100), 10) <= 0.05, b  # edges found, at most one utterance off
    assert len(b) == 4 and np.abs(b - EDGES).max() <= 1, b
    assert segment(blocks(seed=seed)).tolist() == EDGES  # every default: window rule, bag encoding


def test_segment_defaults_to_the_best_measured_method_and_the_paper_is_one_argument_away():
    texts = blocks(length=6, vocab=30, seed=3)
    default = segment(texts, dim=2000, seed=0)
    assert np.array_equal(default, segment(texts, method="window", window=3, encoding="bag", dim=2000, seed=0))
    assert inspect.signature(segment).parameters["method"].default == "window"
    paper = segment(texts, method="hyperseg", dim=2000, seed=0)
    assert np.array_equal(paper, segment(texts, method="hyperseg", encoding="sequence", dim=2000, seed=0))


def test_sequence_encoding_matches_words_only_at_the_same_distance_from_the_end():
    s = gap_scores(np.asarray(_enc("sequence").encode_batch(["red green blue", "gold red green blue",
                                                             "red green blue gold"])))
    assert s[0] > 0.8 and abs(s[1]) < 0.1  # the same three words, shifted by one position
    s = gap_scores(np.asarray(_enc("bag").encode_batch(["red green blue", "red green blue gold"])))
    assert s[0] > 0.8


def _enc(mode):
    text = pytest.importorskip("hdvec.encoders.text")
    return text.TokenEncoder(hdc.MAP(4000, seed=0), mode=mode)


def test_segment_is_deterministic_and_seeded():
    texts = blocks(vocab=6, length=10, seed=5)
    a = segment(texts, dim=2000, seed=7)
    assert np.array_equal(a, segment(texts, dim=2000, seed=7))
    assert np.array_equal(a, segment(texts, model=hdc.MAP(2000, seed=7)))
    g = segment(texts, dim=2000, seed=np.random.default_rng(7))
    assert np.array_equal(g, segment(texts, dim=2000, seed=np.random.default_rng(7)))
    x = topic_vectors(noise=3.0, seed=2)
    assert np.array_equal(segment(x, method="window"), segment(x.copy(), method="window"))


def test_segment_skips_empty_utterances_and_maps_indices_back():
    x = topic_vectors(seed=1)
    full = segment(x, method="window")
    y = np.insert(x, [5, 20, 20, 41], 0.0, axis=0)  # empty rows at 5, 21, 22 (edge), 44
    # original utterance i now sits at i + number of rows inserted before it
    shift = np.array([0, 1, 3, 4])[np.searchsorted([5, 20, 41], np.arange(100), side="right")]
    b = segment(y, method="window")
    assert b.tolist() == [19 + 1, 39 + 3, 59 + 4, 79 + 4]  # a boundary sits right after the last kept utterance
    assert b.tolist() == (full + shift[full]).tolist()
    # the same with texts: stopword-only and blank utterances have no tokens
    texts = blocks()
    texts2 = texts[:20] + ["the of and", "   "] + texts[20:]
    b2 = segment(texts2, encoding="bag", dim=2000, seed=0)
    assert b2.tolist() == [19, 41, 61, 81]
    assert {"the", "of", "and"} <= STOPWORDS_EN


def test_segment_n_segments_and_damp():
    x = topic_vectors(noise=1.5, seed=4)
    assert segment(x, n_segments=5).tolist() == EDGES
    assert segment(x, n_segments=3, method="window").tolist() in ([19, 39], [19, 59], [19, 79], [39, 59],
                                                                   [39, 79], [59, 79])
    assert len(segment(x, damp=True)) <= len(segment(x))


def test_segment_short_and_custom_tokenizer():
    assert segment(["one topic", "another"], encoding="bag").tolist() == []
    calls = []

    def tok(s):
        calls.append(s)
        return s.split(",")

    segment(["a,b", "c,d", "e,f", "g,h"], tokenizer=tok, dim=256)
    assert "a,b" in calls


def test_segment_input_validation():
    with pytest.raises(ValueError, match="`method` must be one of .*got 'tiling'"):
        segment(["a b", "c d"], method="tiling")
    with pytest.raises(ValueError, match="`encoding` must be one of .*got 'ngrams'"):
        segment(["a b", "c d"], encoding="ngrams")
    with pytest.raises(ValueError, match="`window` must be >= 1; got 0"):
        segment(["a b", "c d"], method="window", window=0)
    with pytest.raises(TypeError, match="`window` must be an int; got float"):
        segment(["a b", "c d"], window=2.5)
    with pytest.raises(ValueError, match="at least 2 utterances; got 1"):
        segment(["only one"])
    with pytest.raises(ValueError, match="at least 2 utterances; got 1"):
        segment(np.ones((1, 8), np.float32))
    with pytest.raises(TypeError, match="got a single str"):
        segment("a b c d")
    with pytest.raises(TypeError, match=r"`utterances\[1\]` must be a str; got int"):
        segment(["a b", 3])
    with pytest.raises(TypeError, match="`utterances` must be a list of strings or an \\(n, width\\) array; got set"):
        segment({"a", "b"})
    with pytest.raises(ValueError, match=r"`utterances` must be a 2-D \(n, width\) array.*got shape \(8,\)"):
        segment(np.ones(8, np.float32))
    with pytest.raises(TypeError, match="`utterances` must hold real numbers; got dtype complex64"):
        segment(np.ones((3, 8), np.complex64))
    with pytest.raises(ValueError, match="only finite values"):
        segment(np.full((3, 8), np.nan, np.float32))
    with pytest.raises(TypeError, match="`model` must be an hdvec.hdc.MAP or HRR"):
        segment(["a b", "c d"], model=hdc.BSC(64))
    with pytest.raises(ValueError, match="`n_segments` must be >= 1; got 0"):
        segment(np.ones((4, 8), np.float32), n_segments=0)
    with pytest.raises(TypeError, match="`damp` must be a bool; got int"):
        segment(np.ones((4, 8), np.float32), damp=1)
    with pytest.raises(ValueError, match="`stopwords` must be 'english', None or a collection of str; got 'french'"):
        segment(["a b", "c d"], stopwords="french")
    with pytest.raises(TypeError, match="`stopwords` must hold str; got int"):
        segment(["a b", "c d"], stopwords=[1])
    with pytest.raises(TypeError, match="`tokenizer` must be a callable"):
        segment(["a b", "c d"], tokenizer="split")
    with pytest.raises(ValueError, match="`dim` must be >= 1; got 0"):
        segment(["a b", "c d"], dim=0)
    with pytest.raises(ValueError, match="`scores` must be a 1-D array of real numbers"):
        pick_valleys(np.zeros((2, 2)))
    with pytest.raises(TypeError, match="`vectors` must be a numpy.ndarray or torch.Tensor; got list"):
        gap_scores([[1.0, 2.0]])


def test_segment_accepts_torch_tensors():
    torch = pytest.importorskip("torch")
    x = topic_vectors(seed=1)
    assert segment(torch.from_numpy(x)).tolist() == segment(x).tolist()
