"""Torch path (CPU in CI, CUDA when present) against the NumPy path, same seeds."""

import numpy as np
import pytest

from hdvec import hdc
from tests.conftest import as_numpy

torch = pytest.importorskip("torch")

DIM = 333  # not a multiple of 64: exercises the tail word


def _models():
    return [
        hdc.BSC(DIM, seed=0),
        hdc.MAP(DIM, dtype="int8", seed=0),
        hdc.MAP(DIM, dtype="float32", binarize=True, seed=0),
        hdc.HRR(DIM, seed=0),
        hdc.FHRR(DIM, seed=0),
        hdc.MBAT(DIM, seed=0, structured=True),
        hdc.MBAT(64, seed=0),
    ]


def _close(t, n, exact):
    assert hasattr(t, "device")
    if exact:
        np.testing.assert_array_equal(as_numpy(t), n)
    else:
        np.testing.assert_allclose(as_numpy(t), n, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("model", _models(), ids=lambda m: repr(m))
def test_torch_matches_numpy(model, backend):
    if backend is None:
        pytest.skip("the NumPy backend is the reference here")
    dev = torch.device(backend)
    x = model.random(6, seed=1)
    xt = model.random(6, seed=1, device=backend)
    assert xt.device.type == dev.type
    exact = isinstance(model, hdc.BSC) or (isinstance(model, hdc.MAP) and model.dtype == "int8")
    np.testing.assert_array_equal(as_numpy(xt), x)  # same seed, same numbers
    a, b = x[:3], x[3:]
    at, bt = xt[:3], xt[3:]
    if isinstance(model, hdc.MBAT):
        r = model.compose(model.role("a"), model.role("b"))
        _close(model.bind(at, r), model.bind(a, r), False)
        _close(model.unbind(bt, r), model.unbind(b, r), False)
    else:
        _close(model.bind(at, bt), model.bind(a, b), exact)
        _close(model.unbind(at, bt), model.unbind(a, b), exact)
        _close(model.inverse(at), model.inverse(a), exact)
    _close(model.bundle(xt), model.bundle(x), exact)
    _close(model.bundle(xt, weights=np.arange(1.0, 7.0)), model.bundle(x, weights=np.arange(1.0, 7.0)),
           isinstance(model, hdc.BSC))
    for s in (-DIM - 1, -5, 0, 1, 64, 200):
        _close(model.permute(xt, s), model.permute(x, s), True)
    _close(model.similarity(at, bt), model.similarity(a, b), False)
    _close(model.distance(at, bt), model.distance(a, b), False)
    items = model.random(300, seed=2)
    items_t = torch.from_numpy(items).to(dev)
    d, i = model.cleanup(xt, items_t, 5)
    dn, i_n = model.cleanup(x, items, 5)
    _close(d, dn, False)
    _close(i, i_n, True)


@pytest.mark.parametrize("shape_b", [(), (4,)], ids=["b1d", "b2d"])
@pytest.mark.parametrize("shape_a", [(), (3,)], ids=["a1d", "a2d"])
@pytest.mark.parametrize("model", _models(), ids=lambda m: repr(m))
def test_torch_similarity_and_distance_shapes_match_numpy(model, shape_a, shape_b, backend):
    """Every model, 1-D or 2-D on either side: torch gives NumPy's numbers and shape ``(*A, *B)``."""
    if backend is None:
        pytest.skip("the NumPy backend is the reference here")
    a, b = model.random(shape_a, seed=3), model.random(shape_b, seed=4)
    at, bt = torch.from_numpy(a).to(backend), torch.from_numpy(b).to(backend)
    for op in (model.similarity, model.distance):
        got, want = op(at, bt), op(a, b)
        assert tuple(got.shape) == np.shape(want) == shape_a + shape_b
        _close(got, want, False)


def test_torch_hrr_exact_inverse(backend):
    if backend is None:
        pytest.skip("torch only")
    m = hdc.HRR(256, seed=0)
    a, b = m.random(2, device=backend), m.random(2, device=backend)
    rec = m.unbind(m.bind(a, b), b, exact=True)
    assert rec.device == a.device and rec.dtype == torch.float32
    _close(rec, as_numpy(a), False)
    _close(m.inverse(a, exact=True), m.inverse(as_numpy(a), exact=True), False)


def test_torch_bits_and_hamming(backend):
    if backend is None:
        pytest.skip("torch only")
    rng = np.random.default_rng(0)
    bits = rng.random((5, 333)) < 0.5
    words = hdc.pack_bits(torch.from_numpy(bits).to(backend))
    np.testing.assert_array_equal(as_numpy(words), hdc.pack_bits(bits))
    np.testing.assert_array_equal(as_numpy(hdc.unpack_bits(words, 333)), bits)
    w = hdc.pack_bits(bits)
    np.testing.assert_array_equal(as_numpy(hdc.hamming(words, words[:2])), hdc.hamming(w, w[:2]))
    np.testing.assert_array_equal(as_numpy(hdc.hamming(words[:2], words[3:], pairwise=False)),
                                  hdc.hamming(w[:2], w[3:], pairwise=False))


def test_torch_memory_and_scalars(backend):
    if backend is None:
        pytest.skip("torch only")
    m = hdc.BSC(500, seed=0)
    mem = hdc.ItemMemory(m)
    mem.add(range(100))
    q = mem.get([3, 50], device=backend)
    d, i = mem.cleanup(q, k=2)
    assert i.device.type == torch.device(backend).type
    np.testing.assert_array_equal(as_numpy(i[:, 0]), [3, 50])
    lev = hdc.Level(m, 10, seed=0)
    vt = lev.encode(torch.tensor([0.0, 0.5], device=backend))
    np.testing.assert_array_equal(as_numpy(vt), lev.encode(np.array([0.0, 0.5])))


def test_mixed_backends_raise_typeerror():
    m = hdc.MAP(32, seed=0)
    x = m.random(2)
    with pytest.raises(TypeError, match="NumPy arrays or all torch tensors"):
        m.bind(x, torch.from_numpy(x))
    b = hdc.BSC(64, seed=0)
    w = b.random(2)
    with pytest.raises(TypeError, match="torch"):
        hdc.hamming(torch.from_numpy(w), w)
