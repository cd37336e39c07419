import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hdvec import hdc
from hdvec.hdc import ops

from ..conftest import as_numpy

MODELS = {
    "BSC": hdc.BSC(130, seed=0),
    "MAP": hdc.MAP(130, seed=0),
    "MAP-int8": hdc.MAP(130, dtype="int8", seed=0),
    "HRR": hdc.HRR(130, seed=0),
    "FHRR": hdc.FHRR(130, seed=0),
}
ALL = pytest.mark.parametrize("name", list(MODELS))


def dev(x, backend):
    if backend is None:
        return x
    import torch

    return torch.from_numpy(np.ascontiguousarray(x)).to(backend)


@ALL
def test_empty_and_identity_are_neutral(name, backend):
    m = MODELS[name]
    x = dev(m.random(3), backend)
    e = ops.identity(m, 3, device=backend)
    np.testing.assert_allclose(as_numpy(m.bind(e, x)), as_numpy(x), atol=1e-5)
    if isinstance(m, hdc.BSC):
        with pytest.raises(TypeError, match="no neutral element"):
            ops.empty(m, 1)
    else:  # every other model has a bundling-neutral (empty) vector
        z = ops.empty(m, (2, 3), device=backend)
        assert tuple(z.shape) == (2, 3, m.width)
        np.testing.assert_allclose(m.bundle(np.stack([as_numpy(z[0]), as_numpy(x)], axis=1)), as_numpy(x), atol=1e-6)


def test_identity_refuses_mbat():
    with pytest.raises(TypeError, match="identity does not apply to MBAT"):
        ops.identity(hdc.MBAT(16, seed=0), 1)


@ALL
def test_normalize_against_numpy(name, backend, rng):
    m = MODELS[name]
    x = m.bundle(m.random((4, 3))) if not isinstance(m, hdc.BSC) else m.random(4)
    if isinstance(m, hdc.MAP):
        x[0, :5] = 0
        ref = np.where(x > 0, 1, np.where(x < 0, -1, m.tiebreak)).astype(m.dtype)
    elif isinstance(m, hdc.BSC):
        ref = x
    elif isinstance(m, hdc.HRR):
        ref = x / np.linalg.norm(x, axis=-1, keepdims=True)
    else:
        ref = x / np.abs(x)
    out = ops.normalize(m, dev(x, backend))
    np.testing.assert_allclose(as_numpy(out), ref, atol=1e-5)
    assert as_numpy(out).dtype == ref.dtype


@pytest.mark.parametrize("name", ["MAP", "MAP-int8", "HRR"])
def test_quantizers_against_numpy(name, backend):
    m = MODELS[name]
    x = m.bundle(m.random((3, 4)))
    x[0, :3] = 0
    np.testing.assert_allclose(as_numpy(ops.soft_quantize(m, dev(x, backend))), np.tanh(x.astype(np.float32)),
                               atol=1e-6)
    hard = as_numpy(ops.hard_quantize(m, dev(x, backend)))
    np.testing.assert_array_equal(hard, np.where(x > 0, 1, -1))
    assert hard.dtype == (np.int8 if name == "MAP-int8" else np.float32)


@pytest.mark.parametrize("name", ["BSC", "FHRR", "BSBC", "MCR", "CGR"])
def test_quantizers_refuse_bits_and_phasors(name):
    m = MODELS[name] if name in MODELS else {"BSBC": hdc.BSBC(256, block_size=8, seed=0),
                                             "MCR": hdc.MCR(64, block_size=8, seed=0),
                                             "CGR": hdc.CGR(64, block_size=8, seed=0)}[name]
    with pytest.raises(TypeError, match="real-valued"):
        ops.soft_quantize(m, m.random(1))
    with pytest.raises(TypeError, match="real-valued"):
        ops.hard_quantize(m, m.random(1))


@settings(deadline=None, max_examples=20)
@given(p=st.floats(0, 1), seed=st.integers(0, 1000))
@ALL
def test_randsel_against_numpy(name, p, seed):
    m = MODELS[name]
    a, b = m.random(2), m.random(2)
    out = ops.randsel(m, a, b, p=p, seed=seed)
    if isinstance(m, hdc.BSC):
        mask = np.random.default_rng(seed).random((2, m.dim)) < p
        ref = hdc.pack_bits(np.where(mask, hdc.unpack_bits(a, m.dim), hdc.unpack_bits(b, m.dim)))
    else:
        ref = np.where(np.random.default_rng(seed).random(a.shape) < p, a, b)
    np.testing.assert_array_equal(out, ref)


def test_randsel_fraction_and_torch_parity(backend):
    m = hdc.MAP(20_000, seed=0)
    a = m.random(1)
    b = -a  # every component tells which side it came from
    out = as_numpy(ops.randsel(m, dev(a, backend), dev(b, backend), p=0.3, seed=4))
    assert abs((out == a).mean() - 0.3) < 0.02
    np.testing.assert_array_equal(out, ops.randsel(m, a, b, p=0.3, seed=4))
    bsc = MODELS["BSC"]
    x, y = bsc.random(2), bsc.random(2)
    np.testing.assert_array_equal(as_numpy(ops.randsel(bsc, dev(x, backend), dev(y, backend), seed=2)),
                                  ops.randsel(bsc, x, y, seed=2))
    with pytest.raises(ValueError, match="`p`"):
        ops.randsel(m, a, b, p=1.5)


@ALL
def test_multirandsel_picks_components_with_probabilities(name, backend):
    m = MODELS[name]
    big = type(m)(20_000, seed=0) if not isinstance(m, hdc.MAP) else hdc.MAP(20_000, dtype=m.dtype, seed=0)
    x = big.random(3)
    out = ops.multirandsel(big, x, p=[0.2, 0.3, 0.5], seed=1)
    comp = (lambda v: hdc.unpack_bits(v, big.dim)) if isinstance(big, hdc.BSC) else (lambda v: v)
    cx, co = comp(x), comp(out)
    # a component equal to several inputs counts for the first of them
    first = np.argmax(cx == co[None], axis=0)
    assert np.all((cx == co[None]).any(0))
    if not isinstance(big, (hdc.BSC, hdc.MAP)):  # continuous components: no accidental agreement
        np.testing.assert_allclose(np.bincount(first, minlength=3) / big.dim, [0.2, 0.3, 0.5], atol=0.02)
    np.testing.assert_array_equal(as_numpy(ops.multirandsel(big, dev(x, backend), p=[0.2, 0.3, 0.5], seed=1)), out)
    batch = m.random((2, 3), seed=7)
    np.testing.assert_array_equal(ops.multirandsel(m, batch, p=[0, 0, 1], seed=0), batch[:, 2])
    np.testing.assert_array_equal(ops.multirandsel(m, batch, p=[[1, 0, 0], [0, 1, 0]], seed=0), batch[[0, 1], [0, 1]])
    with pytest.raises(ValueError, match="`p`"):
        ops.multirandsel(m, batch, p=[1, -1, 1])


@settings(deadline=None, max_examples=15)
@given(n=st.integers(1, 6), seed=st.integers(0, 1000))
@pytest.mark.parametrize("name", ["BSC", "MAP", "MAP-int8", "HRR", "FHRR"])
def test_multibind_is_a_chain_of_binds(name, n, seed):
    m = MODELS[name]
    for_blocks = [hdc.BSBC(256, block_size=8, seed=0), hdc.MCR(64, block_size=8, seed=0),
                  hdc.CGR(64, block_size=5, seed=0), hdc.VTB(64, seed=0)]
    for b in for_blocks:  # bind chains of the block / modular models (regression: once a plain product)
        xb = b.random((2, n), seed=seed)
        refb = xb[:, 0]
        for i in range(1, n):
            refb = b.bind(refb, xb[:, i])
        np.testing.assert_allclose(ops.multibind(b, xb), refb, atol=1e-5)
        np.testing.assert_allclose(as_numpy(ops.multibind(b, dev(xb, "cpu"))), refb, atol=1e-5)
    x = m.random((2, n), seed=seed)
    ref = x[:, 0]
    for i in range(1, n):
        ref = m.bind(ref, x[:, i])
    np.testing.assert_allclose(ops.multibind(m, x), ref, atol=1e-4)


def test_multibind_torch_and_mbat(backend):
    for name in ("BSC", "HRR", "FHRR", "MAP"):
        m = MODELS[name]
        x = m.random((2, 4))
        np.testing.assert_allclose(as_numpy(ops.multibind(m, dev(x, backend))), ops.multibind(m, x), atol=1e-4)
    with pytest.raises(TypeError, match="multibind does not apply to MBAT"):
        ops.multibind(hdc.MBAT(16, seed=0), np.zeros((2, 16), np.float32))


@pytest.mark.parametrize("name", ["MAP", "HRR", "FHRR"])
def test_cross_product_is_the_sum_of_all_pair_bindings(name, backend):
    m = MODELS[name]
    a, b = m.random(3), m.random(4)
    ref = sum(m.bind(a[i], b[j]) for i in range(3) for j in range(4))
    np.testing.assert_allclose(as_numpy(ops.cross_product(m, dev(a, backend), dev(b, backend))), ref, atol=1e-4)
    with pytest.raises(TypeError, match="all be NumPy arrays or all torch"):
        ops.cross_product(m, a, dev(b, "cpu"))


@ALL
def test_random_permutation_is_seeded_invertible_and_not_a_rotation(name, backend):
    m = MODELS[name]
    p = ops.random_permutation(m, seed=3)
    assert np.unique((p.indices - np.arange(m.dim)) % m.dim).size > 1
    np.testing.assert_array_equal(p.indices, ops.random_permutation(m, seed=3).indices)
    np.testing.assert_array_equal(p.indices[p.inverse_indices], np.arange(m.dim))
    x = m.random(2)
    comp = (lambda v: hdc.unpack_bits(v, m.dim)) if isinstance(m, hdc.BSC) else (lambda v: v)
    np.testing.assert_array_equal(comp(p(x)), comp(x)[:, p.indices])  # numpy reference: fancy indexing
    np.testing.assert_array_equal(comp(p.apply(x, 2)), comp(x)[:, p.indices][:, p.indices])
    np.testing.assert_array_equal(p.apply(p.apply(x, 3), -3), x)
    np.testing.assert_array_equal(p.inverse()(p(x)), x)
    np.testing.assert_array_equal(as_numpy(p(dev(x, backend))), p(x))
    with pytest.raises(ValueError, match="permutation of"):
        ops.Permutation(m, np.zeros(m.dim, np.int64))
    with pytest.raises(ValueError, match="at least 3 components"):
        ops.random_permutation(hdc.MAP(2, seed=0))


@settings(deadline=None, max_examples=20)
@given(threshold=st.floats(-1, 1), seed=st.integers(0, 1000))
@pytest.mark.parametrize("name", ["BSC", "MAP", "FHRR"])
def test_cleanup_threshold_against_numpy(name, threshold, seed):
    m = MODELS[name]
    items = m.random(6, seed=seed)
    q = np.concatenate([items[:2], m.random(3, seed=seed + 1)])
    sims = np.asarray(m.similarity(q, items))
    best = sims.argmax(1)
    ref = np.where(sims.max(1) >= threshold, best, -1)
    sim, got = ops.cleanup_threshold(m, q, items, threshold=threshold, return_similarity=True)
    np.testing.assert_allclose(sim, sims.max(1), atol=1e-5)
    keep = np.abs(sims.max(1) - threshold) > 1e-5  # float rounding right at the threshold may go either way
    np.testing.assert_array_equal(got[keep], ref[keep])


def test_cleanup_threshold_item_memory_and_torch(backend):
    m = hdc.MAP(1000, seed=0)
    mem = hdc.ItemMemory(m)
    mem.add(["a", "b", "c"])
    q = np.stack([mem["b"], m.random(1, seed=9)[0]])
    assert ops.cleanup_threshold(m, q, mem, threshold=0.5) == ["b", None]
    assert ops.cleanup_threshold(m, mem["c"], mem, threshold=0.5) == "c"
    got = ops.cleanup_threshold(m, dev(q, backend), dev(mem.vectors, backend), threshold=0.5)
    np.testing.assert_array_equal(as_numpy(got), [1, -1])
    assert ops.cleanup_threshold(m, q, np.zeros((0, 1000), np.float32)).tolist() == [-1, -1]
    with pytest.raises(ValueError, match="threshold"):
        ops.cleanup_threshold(m, q, mem, threshold=float("nan"))
    with pytest.raises(ValueError, match="belongs to"):
        ops.cleanup_threshold(hdc.MAP(1000, seed=1), q, mem)
