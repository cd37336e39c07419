"""The text encoders on the block and modular models (BSBC, MCR, CGR, VTB): the generic path.

Every document must equal what the functional builders give: the bundle of
every n-gram occurrence (a bind chain of permuted symbol vectors, as
``hdc.ngrams``), ``hdc.sequence`` and the plain bundle of the token vectors.
"""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hdvec import hdc
from hdvec.encoders import NGramEncoder, TokenEncoder
from hdvec.encoders import _text_generic as G
from hdvec.encoders.text import count_grams

from ..conftest import as_numpy

# small block sizes make ties (mode) and cancelling phasors (MCR) common
MODELS = {
    "BSBC": lambda: hdc.BSBC(256, block_size=4, seed=3),
    "MCR": lambda: hdc.MCR(200, block_size=4, seed=3),
    "MCR16": lambda: hdc.MCR(200, block_size=16, seed=3),
    "CGR": lambda: hdc.CGR(200, block_size=3, seed=3),
    "VTB": lambda: hdc.VTB(256, seed=3),
}
DTYPES = {"BSBC": np.int16, "MCR": np.int16, "MCR16": np.int16, "CGR": np.int16, "VTB": np.float32}
TEXTS = ["aaaaaaa", "abcabcabcab", "hello hello world", "héllo wörld ✓ 😀 ünïcode", "ab", "", "zzzz zz"]


def occurrences(model, vectors, n):
    """Every n-gram occurrence of a sequence (L, width): bind chain of ``permute(v_j, n - 1 - j)``."""
    out = []
    for i in range(len(vectors) - n + 1):
        g = model.permute(vectors[i], n - 1)
        for j in range(1, n):
            g = model.bind(g, model.permute(vectors[i + j], n - 1 - j))
        out.append(g)
    return np.stack(out)


def reference_ngrams(model, vectors, n):
    """Plain reference: ``model.bundle`` of every occurrence (no counting, no weights)."""
    return model.bundle(occurrences(model, vectors, n))


def expected_empty(model):
    return model.tiebreak.astype(model.dtype) if isinstance(model, (hdc.BSBC, hdc.CGR)) else (
        np.zeros(model.width, np.float32 if isinstance(model, hdc.VTB) else model.dtype))


def assert_same(out, ref):
    if out.dtype.kind == "f":
        np.testing.assert_allclose(out, ref, rtol=1e-4, atol=1e-5)
    else:
        assert out.dtype == ref.dtype
        np.testing.assert_array_equal(out, ref)


@pytest.mark.parametrize("name", list(MODELS))
@pytest.mark.parametrize("n", [1, 2, 3, 4])
def test_ngram_encoder_matches_every_occurrence_reference(name, n):
    model = MODELS[name]()
    enc = NGramEncoder(model, n=n, seed=7)
    out = enc.encode_batch(TEXTS)
    assert out.shape == (len(TEXTS), model.width) and out.dtype == DTYPES[name]
    # the batch does hold repeated grams (counts > 1), so the weights matter
    points = [ord(c) for c in "".join(TEXTS)]
    starts = np.concatenate([[0], np.cumsum([len(t) for t in TEXTS])]).astype(np.int64)
    assert count_grams(np.asarray(points, np.int64), starts, n, max(points) + 1)[2].max() > 1
    for text, row in zip(TEXTS, out):
        if len(text) < n:
            assert_same(row, expected_empty(model))
            continue
        vecs = enc.memory.get(list(text))
        assert_same(row, reference_ngrams(model, vecs, n))
        assert_same(row, hdc.ngrams(model, vecs, n))
    assert_same(enc.encode(TEXTS[2]), out[2])


@settings(deadline=None, max_examples=15)
@given(st.lists(st.text(alphabet="abc d", max_size=25), min_size=1, max_size=5), st.integers(1, 3),
       st.sampled_from(list(MODELS)))
def test_ngram_random_batches_match_reference(texts, n, name):
    model = MODELS[name]()
    enc = NGramEncoder(model, n=n, seed=1)
    out = enc.encode_batch(texts)
    for text, row in zip(texts, out):
        expected = expected_empty(model) if len(text) < n else reference_ngrams(model, enc.memory.get(list(text)), n)
        assert_same(row, expected)


@pytest.mark.parametrize("name", list(MODELS))
def test_token_modes_match_reference(name):
    model = MODELS[name]()
    texts = ["the cat saw the cat and the cat saw the dog", "a b a b a b", "", "one", "one two", "!!"]
    seq = TokenEncoder(model, mode="sequence", seed=2)
    bag = TokenEncoder(model, mode="bag", seed=2)
    win = TokenEncoder(model, mode="window", window=2, seed=2)
    outs = seq.encode_batch(texts), bag.encode_batch(texts), win.encode_batch(texts)
    for out in outs:
        assert out.shape == (len(texts), model.width) and out.dtype == DTYPES[name]
    for i, text in enumerate(texts):
        toks = seq.tokens(text)
        if not toks:
            for out in outs:
                assert_same(out[i], expected_empty(model))
            continue
        vecs = seq.memory.get(toks)
        shifted = np.stack([model.permute(v, len(toks) - 1 - k) for k, v in enumerate(vecs)])
        assert_same(outs[0][i], model.bundle(shifted))
        assert_same(outs[0][i], hdc.sequence(model, vecs))
        assert_same(outs[1][i], model.bundle(vecs))
        assert_same(outs[1][i], hdc.multiset(model, vecs))
        if len(toks) >= 2:
            assert_same(outs[2][i], reference_ngrams(model, vecs, 2))
        else:
            assert_same(outs[2][i], expected_empty(model))


@pytest.mark.parametrize("name", ["BSBC", "MCR", "CGR", "VTB"])
def test_many_groups_give_the_same_vectors(name, monkeypatch):
    """Documents are built in groups bounded by _ROW_ELEMENTS; the grouping never changes a vector."""
    model = MODELS[name]()
    texts = [f"text {i} " + "ab" * (i % 5) + "cd" * (i % 3) for i in range(40)] + [""]
    big = [NGramEncoder(model, n=3, seed=4).encode_batch(texts),
           TokenEncoder(model, mode="sequence", tokenizer=list, seed=4).encode_batch(texts)]
    monkeypatch.setattr(G, "_ROW_ELEMENTS", 1)  # one document per group
    small = [NGramEncoder(model, n=3, seed=4).encode_batch(texts),
             TokenEncoder(model, mode="sequence", tokenizer=list, seed=4).encode_batch(texts)]
    for a, b in zip(big, small):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("name", ["BSBC", "MCR", "CGR", "VTB"])
def test_same_seed_same_vectors(name):
    model = MODELS[name]()
    texts = ["the quick brown fox", "jumps over", "the lazy dog"]
    a = NGramEncoder(model, n=3, seed=11).encode_batch(texts)
    b = NGramEncoder(model, n=3, seed=11).encode_batch(texts[::-1])[::-1]  # other order: other memory rows
    np.testing.assert_array_equal(a, b)
    c = NGramEncoder(model, n=3, seed=12).encode_batch(texts)
    assert not np.array_equal(a, c)
    t1 = TokenEncoder(model, mode="window", window=2, seed=11).encode_batch(texts)
    t2 = TokenEncoder(model, mode="window", window=2, seed=11).encode_batch(texts)
    np.testing.assert_array_equal(t1, t2)


@pytest.mark.parametrize("name", ["BSBC", "MCR", "CGR", "VTB"])
def test_device_output_equals_numpy(name, backend):
    model = MODELS[name]()
    texts = ["hello world", "ab", "the cat the cat"]
    for enc in (NGramEncoder(model, n=3, seed=0), TokenEncoder(model, mode="sequence", seed=0),
                TokenEncoder(model, mode="bag", seed=0)):
        ref = enc.encode_batch(texts)
        out = enc.encode_batch(texts, device=backend)
        if backend is not None:
            import torch

            assert isinstance(out, torch.Tensor) and out.device.type == backend
        got = as_numpy(out)
        assert got.dtype == ref.dtype
        np.testing.assert_array_equal(got, ref)
        np.testing.assert_array_equal(as_numpy(enc.encode(texts[0], device=backend)), ref[0])


@pytest.mark.parametrize("name", ["BSBC", "MCR", "CGR", "VTB"])
def test_empty_documents_follow_the_documented_rule(name):
    model = MODELS[name]()
    empty = expected_empty(model)
    np.testing.assert_array_equal(G.empty_bundle(model), empty)
    np.testing.assert_array_equal(NGramEncoder(model, n=3).encode_batch(["", "ab"]), np.stack([empty, empty]))
    for mode in ("bag", "sequence", "window"):
        np.testing.assert_array_equal(TokenEncoder(model, mode=mode).encode_batch(["", "..."]), np.stack([empty] * 2))
    if isinstance(model, hdc.MCR):  # zeros are what MCR.bundle gives for a total weight of zero
        np.testing.assert_array_equal(model.bundle(model.random(2, seed=0), weights=[0.0, 0.0]), empty)
    # an all-empty batch, and an empty batch
    assert NGramEncoder(model, n=2).encode_batch([]).shape == (0, model.width)


def test_hrr_and_mbat_refusals_unchanged():
    with pytest.raises(TypeError, match="does not apply to HRR"):
        NGramEncoder(hdc.HRR(64, seed=0), n=2)
    with pytest.raises(TypeError, match="MBAT binds roles"):
        NGramEncoder(hdc.MBAT(64, seed=0), n=2)
    with pytest.raises(TypeError, match="MBAT binds roles"):
        TokenEncoder(hdc.MBAT(64, seed=0), mode="window")
