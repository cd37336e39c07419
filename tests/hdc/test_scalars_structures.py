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
    tol = 6 / math.sqrt(model.dim) + (0.1 if isinstance(model, hdc.HRR) else 0)
    np.testing.assert_allclose(sims, expected, atol=tol)
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
