import hashlib
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from hdvec import hdc
from hdvec.encoders import NGramEncoder, TokenEncoder
from hdvec.encoders.text import count_grams, tokenize

from ..conftest import as_numpy

MODELS = [
    lambda: hdc.BSC(300, seed=1),
    lambda: hdc.MAP(256, seed=1),
    lambda: hdc.MAP(256, dtype="int8", seed=1),
    lambda: hdc.MAP(256, binarize=True, seed=1),
    lambda: hdc.FHRR(128, seed=1),
    lambda: hdc.HRR(128, seed=1),
]
MODEL_IDS = ["BSC", "MAP-f32", "MAP-int8", "MAP-B", "FHRR", "HRR"]


def reference_ngrams(model, vectors: np.ndarray, n: int) -> np.ndarray:
    """Plain NumPy: every n-gram occurrence as a bind chain of permuted vectors, then bundle."""
    grams = []
    for i in range(len(vectors) - n + 1):
        g = model.permute(vectors[i], n - 1)
        for j in range(1, n):
            g = model.bind(g, model.permute(vectors[i + j], n - 1 - j))
        grams.append(g)
    return model.bundle(np.stack(grams))


def assert_same(out, ref):
    if out.dtype.kind in "fc":
        np.testing.assert_allclose(out, ref, rtol=1e-4, atol=1e-4)
    else:
        np.testing.assert_array_equal(out, ref)


@pytest.mark.parametrize("make", MODELS, ids=MODEL_IDS)
@pytest.mark.parametrize("n", [1, 2, 3, 5])
def test_ngram_encoder_matches_numpy_reference(make, n):
    model = make()
    texts = ["hello world", "the quick brown fox jumps", "abcabcabc", "héllo wörld ✓ 😀 ünïcode", "zz"]
    if isinstance(model, hdc.HRR) and n >= 2:
        pytest.skip("HRR n-grams of 2+ symbols are refused (order-free): test_hrr_order_sensitive_modes_are_refused")
    enc = NGramEncoder(model, n=n)
    out = enc.encode_batch(texts)
    assert out.shape == (len(texts), model.width)
    for text, row in zip(texts, out):
        if len(text) < n:
            continue
        assert_same(row, reference_ngrams(model, enc.memory.get(list(text)), n))
    assert_same(enc.encode(texts[1]), out[1])


@given(st.lists(st.text(alphabet="abcde ", max_size=30), min_size=1, max_size=6), st.integers(1, 4))
def test_ngram_bsc_matches_reference_on_random_text(texts, n):
    model = hdc.BSC(200, seed=5)
    enc = NGramEncoder(model, n=n)
    out = enc.encode_batch(texts)
    for text, row in zip(texts, out):
        expected = model.tiebreak if len(text) < n else reference_ngrams(model, enc.memory.get(list(text)), n)
        np.testing.assert_array_equal(row, expected)
        assert row[-1] & ~np.uint64((1 << (200 % 64)) - 1) == 0  # tail bits stay zero


def test_short_texts_give_the_empty_bundle():
    enc = NGramEncoder(hdc.MAP(64, seed=0), n=3)
    np.testing.assert_array_equal(enc.encode_batch(["", "ab"]), np.zeros((2, 64), np.float32))
    bsc = hdc.BSC(100, seed=0)
    np.testing.assert_array_equal(NGramEncoder(bsc).encode("ab"), bsc.tiebreak)


def test_count_grams_against_python_counter():
    from collections import Counter

    rng = np.random.default_rng(0)
    docs = [rng.integers(0, 4, size=rng.integers(0, 12)) for _ in range(20)]
    ids = np.concatenate(docs).astype(np.int64)
    starts = np.concatenate([[0], np.cumsum([len(d) for d in docs])]).astype(np.int64)
    for n in (1, 2, 3):
        grams, gs, counts = count_grams(ids, starts, n, 4)
        for d, doc in enumerate(docs):
            expected = Counter(tuple(doc[i : i + n]) for i in range(len(doc) - n + 1))
            got = {tuple(g): c for g, c in zip(grams[gs[d] : gs[d + 1]], counts[gs[d] : gs[d + 1]])}
            assert got == expected
    # the wide-key path (too many symbols for one int64 key) gives the same grams
    g1, s1, c1 = count_grams(ids, starts, 3, 4)
    g2, s2, c2 = count_grams(ids, starts, 3, 2**22)
    np.testing.assert_array_equal(s1, s2)
    for a, b, ca, cb in [(g1, g2, c1, c2)]:
        assert sorted(map(tuple, np.column_stack([a, ca]))) == sorted(map(tuple, np.column_stack([b, cb])))


@pytest.mark.parametrize("make", MODELS, ids=MODEL_IDS)
def test_token_modes_match_reference(make):
    model = make()
    texts = ["The cat sat on the mat", "a dog, a cat; a bird!", "", "one"]
    seq = TokenEncoder(model, mode="sequence")
    bag = TokenEncoder(model, mode="bag")
    hrr = isinstance(model, hdc.HRR)  # HRR windows of 2+ tokens are refused (test_hrr_order_sensitive_modes_are_refused)
    win = TokenEncoder(model, mode="window", window=1 if hrr else 2)
    outs = seq.encode_batch(texts), bag.encode_batch(texts), win.encode_batch(texts)
    for i, text in enumerate(texts):
        toks = seq.tokens(text)
        if not toks:
            continue
        vecs = seq.memory.get(toks)
        assert_same(outs[0][i], hdc.sequence(model, vecs))
        assert_same(outs[1][i], model.bundle(vecs))
        if len(toks) >= win.window:
            assert_same(outs[2][i], reference_ngrams(model, vecs, win.window))


def test_hrr_order_sensitive_modes_are_refused():
    """HRR n-grams of 2+ symbols would not depend on their order: refused at construction, naming the model."""
    m = hdc.HRR(256, seed=0)
    v = m.random(2)
    assert np.allclose(m.bind(m.permute(v[0], 1), v[1]), m.bind(m.permute(v[1], 1), v[0]), atol=1e-5)  # "ab" == "ba"
    for make in (lambda: NGramEncoder(m, n=2), lambda: NGramEncoder(m), lambda: NGramEncoder(m, n=5),
                 lambda: TokenEncoder(m, mode="window"),
                 lambda: TokenEncoder(m, mode="window", window=2)):
        with pytest.raises(TypeError, match="does not apply to HRR: a cyclic shift commutes with circular convolution"):
            make()
    with pytest.raises(TypeError, match="use FHRR, MAP or BSC"):
        NGramEncoder(m, n=3)
    # no bind of permuted vectors: still fine for HRR
    texts = ["the cat sat", "a dog"]
    for enc in (NGramEncoder(m, n=1), TokenEncoder(m, mode="bag"), TokenEncoder(m, mode="sequence"),
                TokenEncoder(m, mode="window", window=1)):
        out = enc.encode_batch(texts)
        assert out.shape == (2, 256) and out.dtype == np.float32 and np.abs(out).sum() > 0
    # the order-sensitive modes still tell "ab" from "ba" for the other models
    for model in (hdc.FHRR(256, seed=0), hdc.MAP(256, seed=0), hdc.BSC(256, seed=0)):
        out = NGramEncoder(model, n=2).encode_batch(["ab", "ba"])
        assert float(model.similarity(out[0], out[1])) < 0.5
        out = TokenEncoder(model, mode="window", window=2).encode_batch(["red blue", "blue red"])
        assert float(model.similarity(out[0], out[1])) < 0.5


def test_token_encoder_options():
    model = hdc.MAP(512, seed=2)
    enc = TokenEncoder(model, mode="bag", stopwords={"the", "a"})
    assert enc.tokens("The cat, the HAT") == ["cat", "hat"]
    custom = TokenEncoder(model, tokenizer=str.split, lowercase=False)
    assert custom.tokens("A b,c") == ["A", "b,c"]
    assert tokenize("don't stop-me now") == ["don't", "stop", "me", "now"]
    # word order: bag ignores it, sequence does not
    a, b = "red green blue", "blue green red"
    np.testing.assert_allclose(enc.encode(a), enc.encode(b))
    seq = TokenEncoder(model, mode="sequence")
    assert hdc.cosine(seq.encode(a), seq.encode(b)) < 0.5
    # MBAT works for bag and sequence (no vector-vector binding)
    mb = TokenEncoder(hdc.MBAT(64, seed=0), mode="sequence").encode_batch(["x y z"])
    assert mb.shape == (1, 64) and mb.dtype == np.float32


def test_similar_texts_are_similar():
    model = hdc.BSC(10_000, seed=4)
    enc = NGramEncoder(model, n=3)
    x = enc.encode_batch(["the quick brown fox jumps over the lazy dog",
                          "the quick brown fox jumped over a lazy dog",
                          "zebras quietly munch xylophone keys"])
    d = hdc.hamming(x, x) / 10_000
    assert d[0, 1] < 0.3
    assert d[0, 2] > 0.45


def test_bad_input():
    m = hdc.BSC(64, seed=0)
    with pytest.raises(TypeError, match="`texts` must be a sequence of str"):
        NGramEncoder(m).encode_batch("abc")
    with pytest.raises(TypeError, match=r"`texts\[1\]` must be a str"):
        NGramEncoder(m).encode_batch(["a", 3])
    with pytest.raises(TypeError, match="`text` must be a str"):
        NGramEncoder(m).encode(b"abc")
    with pytest.raises(ValueError, match="`n` must be an int >= 1"):
        NGramEncoder(m, n=0)
    with pytest.raises(TypeError, match="`model` must be an hdvec.hdc model"):
        NGramEncoder("BSC")
    with pytest.raises(TypeError, match="MBAT binds roles"):
        NGramEncoder(hdc.MBAT(64))
    with pytest.raises(TypeError, match="MBAT binds roles"):
        TokenEncoder(hdc.MBAT(64), mode="window")
    with pytest.raises(ValueError, match="`mode` must be"):
        TokenEncoder(m, mode="grams")
    with pytest.raises(TypeError, match="`tokenizer` must be a callable"):
        TokenEncoder(m, tokenizer="split")
    with pytest.raises(TypeError, match="`tokenizer` must return a list of str"):
        TokenEncoder(m, tokenizer=lambda s: 3).encode("x")
    with pytest.raises(TypeError, match="`stopwords` must be an iterable"):
        TokenEncoder(m, stopwords="the")


def _symbol_digest(seed: int) -> str:
    enc = NGramEncoder(hdc.BSC(1000, seed=seed))
    tok = TokenEncoder(hdc.MAP(1000, seed=seed))
    v = enc.encode_batch(["déjà vu", "hello"]).tobytes() + tok.encode_batch(["unseen tokens here"]).tobytes()
    return hashlib.sha256(v + enc.memory.vectors.tobytes()).hexdigest()


def test_symbol_vectors_are_the_same_in_another_process():
    root = str(Path(__file__).resolve().parents[2])
    code = (f"import sys; sys.path.insert(0, {root!r}); from tests.encoders.test_text import _symbol_digest; "
            "print(_symbol_digest(11))")
    env = dict(os.environ, PYTHONHASHSEED="123")
    other = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env)
    assert other.stdout.strip() == _symbol_digest(11)
    assert _symbol_digest(12) != _symbol_digest(11)


def test_torch_device_output(backend):
    if backend is None:
        pytest.skip("NumPy output covered elsewhere")
    enc = NGramEncoder(hdc.MAP(128, seed=0))
    out = enc.encode_batch(["abcd", "efgh"], device=backend)
    assert str(out.device).startswith(backend)
    np.testing.assert_array_equal(as_numpy(out), enc.encode_batch(["abcd", "efgh"]))
