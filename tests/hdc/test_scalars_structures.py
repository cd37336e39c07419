import math

import numpy as np
import pytest

from hdvec import hdc


@pytest.mark.parametrize("model", [hdc.BSC(4000, seed=0), hdc.MAP(4000, seed=0), hdc.FHRR(4000, seed=0),
                                   hdc.HRR(4000, seed=0)])
def test_level_similarity_falls_linearly(model):
    lev = hdc.Level(model, 11, low=0.0, high=10.0, seed=1)
    v = lev.encode(np.arange(11.0))
    sims = np.asarray(model.similarity(v[:1], v))[0]
    expected = 1 - np.arange(11) / 10
    # no model is biased: the mean deviation per level is <= 0.001 over 300 Level seeds (D=4000); HRR's spread is
    # a little wider (Gaussian components: sum(a_i^2) and the mixed norm vary) - max |dev| measured 0.065 for HRR,
    # 0.051 for MAP over 300 seeds x 10 levels, i.e. <= 4.1/sqrt(D); this seed: <= 0.03 for all four models
    np.testing.assert_allclose(sims, expected, atol=6 / math.sqrt(model.dim))
    np.testing.assert_array_equal(lev.index([-5.0, 0.4, 0.6, 99.0]), [0, 0, 1, 10])


def test_thermometer_and_circular():
    m = hdc.MAP(1000, dtype="int8", seed=0)
    th = hdc.Thermometer(m, 5)
    cb = th.codebook
    assert np.all(cb[0] == -1) and np.all(cb[-1] == 1)
    np.testing.assert_allclose(m.similarity(cb[:1], cb)[0], [1, 0.5, 0, -0.5, -1], atol=1e-6)
    b = hdc.BSC(1000, seed=0)
    assert np.all(hdc.unpack_bits(hdc.Thermometer(b, 3).codebook[1], 1000)[:500])
    circ = hdc.Circular(b, 8, seed=0)
    s = b.similarity(circ.codebook[:1], circ.codebook)[0]
    assert s[4] < 0.15 and s[1] > 0.6 and s[7] > 0.6  # far at the opposite side, close at both neighbours
    np.testing.assert_array_equal(circ.index([0.0, 2 * np.pi, np.pi]), [0, 0, 4])


@pytest.mark.parametrize("n_levels", [8, 9])
@pytest.mark.parametrize("model", [hdc.BSC(4096, seed=0), hdc.MAP(4096, seed=0), hdc.FHRR(4096, seed=0),
                                   hdc.HRR(4096, seed=0)])
def test_circular_similarity_is_a_circle_from_every_level(model, n_levels):
    """sim(i, j) falls linearly with the distance round the circle, whatever level is the reference."""
    circ = hdc.Circular(model, n_levels, seed=2)
    sims = np.asarray(model.similarity(circ.codebook, circ.codebook))
    pos = np.arange(n_levels) / n_levels * 2.0  # circumference 2: opposite levels are 1 apart
    gap = np.abs(pos[:, None] - pos[None, :])
    expected = 1.0 - np.minimum(gap, 2.0 - gap)
    np.testing.assert_allclose(sims, expected, atol=6 / math.sqrt(model.dim))
    if n_levels % 2 == 0:  # the opposite side is quasi-orthogonal, not a mirror image
        half = n_levels // 2
        assert np.all(np.abs(sims[np.arange(n_levels), (np.arange(n_levels) + half) % n_levels]) < 0.1)
        v = circ.encode([np.pi / 2, 3 * np.pi / 2])
        assert abs(float(model.similarity(v[0], v[1]))) < 0.1


def test_scalar_embeddings_have_a_repr():
    m = hdc.MAP(64, seed=0)
    assert repr(hdc.Level(m, 5, low=-1.0, high=2.0, seed=3)) == \
        "Level(MAP(dim=64, dtype='float32', binarize=False, seed=0), n_levels=5, low=-1.0, high=2.0, seed=3)"
    assert repr(hdc.Thermometer(m, 3)).startswith("Thermometer(MAP(dim=64")
    assert "n_levels=4" in repr(hdc.Circular(m, 4, seed=0))


@pytest.mark.parametrize("model", [hdc.FHRR(4000, seed=0), hdc.HRR(4001, seed=0)])
def test_fractional_power_kernel_and_binding(model):
    fpe = hdc.FractionalPower(model, bandwidth=2.0, seed=3)
    x = np.array([0.0, 1.0, 2.0, 4.0])
    v = fpe.encode(x)
    sims = np.asarray(model.similarity(v[:1], v))[0]
    np.testing.assert_allclose(sims, np.exp(-(x**2) / (2 * 2.0**2)), atol=0.06)
    np.testing.assert_allclose(model.bind(fpe.encode([1.0]), fpe.encode([2.5])), fpe.encode([3.5]), atol=1e-4)
    multi = hdc.FractionalPower(model, n_features=2, seed=0)
    assert multi.encode(np.zeros((5, 2))).shape == (5, model.dim)
    with pytest.raises(ValueError, match="n_features"):
        multi.encode(np.zeros((5, 3)))
    with pytest.raises(TypeError, match="FHRR or HRR"):
        hdc.FractionalPower(hdc.MAP(10))


def test_sequence_ngrams_hash_table_graph():
    m = hdc.BSC(10_000, seed=0)
    x = m.random(5)
    seq = hdc.sequence(m, x)
    # element i sits at shift n-1-i: unpermuting recovers it best
    s = m.similarity(m.permute(seq, -(5 - 1 - 2))[None], x)[0]
    assert np.argmax(s) == 2
    chain = hdc.sequence(m, x, mode="bind")
    expect = x[4]
    for i in range(4):
        expect = m.bind(expect, m.permute(x[i], 4 - i))
    np.testing.assert_array_equal(chain, expect)
    ng = hdc.ngrams(m, x, n=3)
    grams = [hdc.sequence(m, x[i : i + 3], mode="bind") for i in range(3)]
    np.testing.assert_array_equal(ng, m.bundle(np.stack(grams)))
    keys, vals = m.random(3), m.random(3)
    rec = hdc.hash_table(m, keys, vals)
    mem = hdc.ItemMemory(m)
    mem.add(["a", "b", "c"], vals)
    assert mem.lookup(m.unbind(rec[None], keys[1:2])) == ["b"]
    g = hdc.graph(m, x, np.array([[0, 1], [1, 2]]))
    np.testing.assert_array_equal(g, m.bundle(m.bind(x[[0, 1]], x[[1, 2]])))
    with pytest.raises(ValueError, match="edges"):
        hdc.graph(m, x, np.array([[0, 9]]))
    np.testing.assert_array_equal(hdc.multiset(m, x), m.bundle(x))


def test_mbat_hash_table_uses_roles():
    m = hdc.MBAT(2000, seed=0)
    roles = [m.role(k) for k in ("name", "age", "city")]
    vals = m.random(3)
    rec = hdc.hash_table(m, roles, vals)
    got = m.unbind(rec, roles[1])
    sims = m.similarity(got[None], vals)[0]
    assert np.argmax(sims) == 1 and sims[1] > 0.4
    with pytest.raises(TypeError, match="Roles"):
        hdc.hash_table(m, vals, vals)
    with pytest.raises(TypeError, match="MBAT binds a Role"):
        hdc.ngrams(m, vals)


@pytest.mark.parametrize("model", [hdc.BSC(2048, seed=0), hdc.MAP(2048, seed=0), hdc.HRR(2048, seed=0)])
def test_hash_table_broadcasts_one_set_of_keys_over_a_batch_of_records(model):
    keys, values = model.random(3), model.random((5, 3))
    batch = hdc.hash_table(model, keys, values)
    assert batch.shape == (5, model.width)
    for b in range(5):
        np.testing.assert_array_equal(batch[b], hdc.hash_table(model, keys, values[b]))
    with pytest.raises(ValueError, match=r"same \(n, width\)"):
        hdc.hash_table(model, keys[:2], values)
    with pytest.raises(ValueError, match="broadcastable"):
        hdc.hash_table(model, model.random((2, 3)), values)
