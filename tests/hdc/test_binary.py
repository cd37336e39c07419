import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from hdvec import hdc
from hdvec.hdc import _kernels as K
from tests import reference as ref

DIMS = [1, 63, 64, 65, 130, 1000]


def tail_bits_zero(words: np.ndarray, dim: int) -> bool:
    r = dim % 64
    if r == 0:
        return True
    return not np.any(words[..., -1] >> np.uint64(r))


@pytest.mark.parametrize("dim", DIMS)
def test_random_shape_and_tail(dim):
    m = hdc.BSC(dim, seed=1)
    x = m.random(50)
    assert x.shape == (50, (dim + 63) // 64) and x.dtype == np.uint64
    assert tail_bits_zero(x, dim)
    np.testing.assert_array_equal(x, hdc.BSC(dim, seed=1).random(50))
    assert not np.array_equal(x, hdc.BSC(dim, seed=2).random(50)) or dim < 8


def test_public_shape_for_10000_bits():
    x = hdc.BSC(10_000, seed=0).random(1000)
    assert x.shape == (1000, 157) and x.dtype == np.uint64


@pytest.mark.parametrize("dim", DIMS)
def test_pack_unpack_roundtrip(dim, rng):
    bits = rng.random((7, dim)) < 0.5
    words = hdc.pack_bits(bits)
    np.testing.assert_array_equal(words, ref.pack(bits))
    assert tail_bits_zero(words, dim)
    np.testing.assert_array_equal(hdc.unpack_bits(words, dim), bits)
    np.testing.assert_array_equal(ref.unpack(words, dim), bits)
    bip = np.where(bits, -1, 1).astype(np.int8)
    np.testing.assert_array_equal(hdc.pack_bits(bip), words)
    np.testing.assert_array_equal(hdc.unpack_bits(words, dim, bipolar=True), bip)


def test_popcount_matches_bitwise_count(rng):
    words = rng.integers(0, 2**64, size=(300, 17), dtype=np.uint64)
    out = np.empty(300, np.int64)
    K.popcount_rows(words, out)
    np.testing.assert_array_equal(out, ref.popcount(words).sum(-1))
    edge = np.array([[0, 1, 2**63, 2**64 - 1]], dtype=np.uint64)
    K.popcount_rows(edge, out[:1])
    assert out[0] == 0 + 1 + 1 + 64


@pytest.mark.parametrize("dim", [64, 130, 1000])
def test_hamming_pairwise_and_rowwise(dim):
    m = hdc.BSC(dim, seed=3)
    a, b = m.random(9), m.random(11)
    h = hdc.hamming(a, b)
    assert h.dtype == np.int32 and h.shape == (9, 11)
    np.testing.assert_array_equal(h, ref.hamming(a, b))
    np.testing.assert_array_equal(hdc.hamming(b, a), ref.hamming(b, a))  # n < m path
    np.testing.assert_array_equal(hdc.hamming(a, b[:9], pairwise=False), np.diag(ref.hamming(a, b[:9])))
    np.testing.assert_array_equal(m.distance(a, b), ref.hamming(a, b).astype(np.float32))
    np.testing.assert_allclose(m.similarity(a, b), 1 - 2 * ref.hamming(a, b) / dim, atol=1e-6)


@given(seed=st.integers(0, 2**32 - 1), dim=st.integers(1, 300))
def test_bind_unbind_exact(seed, dim):
    m = hdc.BSC(dim, seed=seed)
    a, b = m.random(5), m.random(5)
    c = m.bind(a, b)
    assert tail_bits_zero(c, dim)
    np.testing.assert_array_equal(m.unbind(c, b), a)
    np.testing.assert_array_equal(m.bind(a, m.inverse(b)), c)


@given(seed=st.integers(0, 2**32 - 1), dim=st.integers(1, 200))
def test_permute_bit_exact_every_shift(seed, dim):
    m = hdc.BSC(dim, seed=seed)
    x = m.random(3)
    bits = ref.unpack(x, dim)
    for s in range(-dim, dim + 1):
        p = m.permute(x, s)
        assert tail_bits_zero(p, dim)
        np.testing.assert_array_equal(ref.unpack(p, dim), np.roll(bits, s, axis=-1), err_msg=f"shift {s}")
        np.testing.assert_array_equal(m.permute(p, -s), x)


def test_permute_10000_bits():
    m = hdc.BSC(10_000, seed=0)
    x = m.random(4)
    bits = ref.unpack(x, 10_000)
    for s in [1, 63, 64, 65, 4999, 9999, 10_000, 12_345, -7]:
        np.testing.assert_array_equal(ref.unpack(m.permute(x, s), 10_000), np.roll(bits, s, axis=-1))


@pytest.mark.parametrize("dim", [5, 64, 130])
@pytest.mark.parametrize("n", [1, 2, 3, 4, 10, 33])
def test_majority_bundle_matches_reference(dim, n):
    m = hdc.BSC(dim, seed=n)
    x = m.random(n)
    out = m.bundle(x)
    assert out.shape == (m.n_words,) and tail_bits_zero(out, dim)
    expect = ref.majority(ref.unpack(x, dim), ref.unpack(m.tiebreak, dim))
    np.testing.assert_array_equal(ref.unpack(out, dim), expect)


def test_majority_ties_use_seeded_tiebreak():
    m = hdc.BSC(256, seed=7)
    a = m.random(1)
    x = np.concatenate([a, ~a])  # a and its complement
    x[1, -1] &= m.mask
    out = m.bundle(x)  # every position ties
    np.testing.assert_array_equal(out, m.tiebreak)
    np.testing.assert_array_equal(hdc.BSC(256, seed=7).bundle(x), out)


def test_majority_batched_leading_axes():
    m = hdc.BSC(200, seed=0)
    x = m.random((3, 5, 7))
    out = m.bundle(x)
    assert out.shape == (3, 5, m.n_words)
    for i in range(3):
        for j in range(5):
            np.testing.assert_array_equal(out[i, j], m.bundle(x[i, j]))


def test_weighted_bundle_matches_reference(rng):
    m = hdc.BSC(300, seed=4)
    x = m.random(6)
    w = rng.random(6)
    out = m.bundle(x, weights=w)
    expect = ref.majority(ref.unpack(x, 300), ref.unpack(m.tiebreak, 300), w)
    np.testing.assert_array_equal(ref.unpack(out, 300), expect)
    # integer weights equal to repetition
    np.testing.assert_array_equal(m.bundle(x[:3], weights=[2, 1, 1]), m.bundle(x[[0, 0, 1, 2]]))


def test_bundle_is_similar_to_inputs():
    m = hdc.BSC(10_000, seed=0)
    x = m.random(5)
    s = m.bundle(x)
    sims = m.similarity(s[None], x)[0]
    assert np.all(sims > 0.25)  # expected 0.375 for 5 inputs
    assert abs(m.similarity(s[None], m.random(1))[0, 0]) < 0.05


def test_int_or_bool_words_raise_typeerror_pointing_to_pack_bits():
    m = hdc.BSC(128, seed=0)
    x = m.random(2)
    for bad in (x.astype(np.int64), hdc.unpack_bits(x, 128), x.view(np.int64)):
        with pytest.raises(TypeError, match="pack_bits"):
            m.bind(bad, x)
        with pytest.raises(TypeError, match="pack_bits"):
            hdc.unpack_bits(bad, 128)


def test_pack_bits_rejects_bad_values():
    with pytest.raises(ValueError, match="0/1 or -1/\\+1"):
        hdc.pack_bits(np.array([[0, 2, 1]]))
    with pytest.raises(TypeError, match="packed"):
        hdc.pack_bits(np.zeros((2, 3), np.uint64))
    with pytest.raises(ValueError, match="dim >= 1"):
        hdc.pack_bits(np.zeros((2, 0), bool))
