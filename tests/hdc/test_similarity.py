import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from hdvec import _kernels as H
from hdvec import hdc
from hdvec.hdc import _kernels as K
from tests import reference as ref


def test_cosine_and_dot_match_reference(rng):
    a = rng.standard_normal((7, 33)).astype(np.float32)
    b = rng.standard_normal((5, 33)).astype(np.float32)
    np.testing.assert_allclose(hdc.cosine(a, b), ref.cosine(a, b), atol=1e-5)
    np.testing.assert_allclose(hdc.dot(a, b), a.astype(np.float64) @ b.T, rtol=1e-5, atol=1e-4)
    np.testing.assert_allclose(hdc.cosine(a[:5], b, pairwise=False), np.diag(ref.cosine(a[:5], b)), atol=1e-5)
    np.testing.assert_allclose(hdc.dot(a[:5], b, pairwise=False), np.einsum("ij,ij->i", a[:5], b), rtol=1e-5)
    c = (rng.standard_normal((4, 9)) + 1j * rng.standard_normal((4, 9))).astype(np.complex64)
    np.testing.assert_allclose(hdc.cosine(c, c[:2]), ref.cosine(c, c[:2]), atol=1e-5)
    assert hdc.cosine(a[0], b).shape == (5,)
    assert hdc.cosine(a.reshape(7, 1, 33), b).shape == (7, 1, 5)


def test_zero_vector_cosine_is_zero():
    a = np.zeros((1, 8), np.float32)
    b = np.ones((2, 8), np.float32)
    np.testing.assert_array_equal(hdc.cosine(a, b), 0.0)


def test_similarity_dispatch():
    m = hdc.BSC(100, seed=0)
    x = m.random(3)
    np.testing.assert_array_equal(hdc.similarity(x, x, metric="hamming"), hdc.hamming(x, x))
    with pytest.raises(ValueError, match="metric"):
        hdc.similarity(x, x, metric="l3")


def _check_topk(d, i, dist, k):
    rd, ri = ref.topk(dist, k)
    np.testing.assert_array_equal(i, ri)
    np.testing.assert_allclose(d, rd, rtol=1e-5, atol=1e-5)


@given(seed=st.integers(0, 2**32 - 1), nq=st.integers(1, 12), n=st.integers(1, 300), k=st.integers(1, 20),
       dim=st.sampled_from([7, 64, 200]))
def test_bsc_knn_matches_bruteforce_with_ties(seed, nq, n, k, dim):
    m = hdc.BSC(dim, seed=seed)
    items = m.random(n)
    items[n // 2 :] = items[: n - n // 2]  # duplicated rows force exact ties
    q = m.random(nq)
    d, i = m.cleanup(q, items, k)
    assert d.dtype == np.float32 and i.dtype == np.int64 and d.shape == (nq, k)
    _check_topk(d, i, ref.hamming(q, items).astype(np.float64), k)


@pytest.mark.parametrize("nq", [1, 3, 64])
def test_bsc_knn_both_parallel_strategies(nq):
    m = hdc.BSC(1000, seed=nq)
    items = m.random(5000)
    q = m.random(nq)
    dist = ref.hamming(q, items).astype(np.float64)
    _check_topk(*m.cleanup(q, items, 10), dist, 10)
    # force the other strategy explicitly
    i32 = np.iinfo(np.int32).max
    hd, hi = np.full((nq, 10), i32, np.int32), np.full((nq, 10), H.EMPTY, np.int64)
    out_d, out_i = np.empty((nq, 10), np.float32), np.empty((nq, 10), np.int64)
    K.hamming_topk_by_queries(q, items, 2, hd, hi)
    H.heaps_write(hd, hi, out_d, out_i)
    _check_topk(out_d, out_i, dist, 10)
    pd, pi = np.full((5, nq, 10), i32, np.int32), np.full((5, nq, 10), H.EMPTY, np.int64)
    K.hamming_topk_by_rows(q, items, 5, pd, pi)
    hd.fill(i32)
    hi.fill(H.EMPTY)
    H.heaps_merge(pd, pi, hd, hi)
    H.heaps_write_serial(hd, hi, out_d, out_i)
    _check_topk(out_d, out_i, dist, 10)


@given(seed=st.integers(0, 2**32 - 1), nq=st.integers(1, 8), n=st.integers(1, 5000), k=st.integers(1, 12))
def test_dense_knn_matches_bruteforce(seed, nq, n, k):
    m = hdc.MAP(64, dtype="int8", seed=seed)  # integer dots: many exact ties
    items = m.random(n)
    q = m.random(nq)
    d, i = m.cleanup(q, items, k)
    dist = 1.0 - ref.cosine(q, items)
    rd, ri = ref.topk(np.round(dist, 6), k)
    np.testing.assert_array_equal(i, ri)
    np.testing.assert_allclose(d, rd, atol=1e-5)


@pytest.mark.parametrize("model", [hdc.HRR(50, seed=1), hdc.FHRR(50, seed=1), hdc.MBAT(50, seed=1),
                                   hdc.MAP(50, seed=1)])
def test_knn_other_models(model):
    items = model.random(500)
    q = model.random(6)
    d, i = model.cleanup(q, items, 7)
    _check_topk(d, i, 1.0 - ref.cosine(q, items), 7)
    d1, i1 = model.cleanup(q[0], items, 7)  # single query
    assert d1.shape == (7,)
    np.testing.assert_array_equal(i1, i[0])


def test_knn_pads_when_k_exceeds_items():
    m = hdc.BSC(64, seed=0)
    d, i = m.cleanup(m.random(2), m.random(3), 5)
    assert np.all(i[:, 3:] == -1) and np.all(np.isinf(d[:, 3:]))
    assert np.all(i[:, :3] >= 0)
    m2 = hdc.MAP(64, seed=0)
    d, i = m2.cleanup(m2.random(2), m2.random(3), 5)
    assert np.all(i[:, 3:] == -1) and np.all(np.isinf(d[:, 3:]))


def test_dense_knn_integer_kernel_and_blas_paths_agree():
    m = hdc.MAP(96, dtype="int8", seed=3)
    items = m.random(700)
    q = m.random(70)  # > 8 queries: BLAS blocks; the first 8 alone: streaming integer dots
    d_blas, i_blas = m.cleanup(q, items, 5)
    d_int, i_int = m.cleanup(q[:8], items, 5)
    np.testing.assert_array_equal(i_blas[:8], i_int)
    np.testing.assert_allclose(d_blas[:8], d_int, atol=1e-6)
    rd, ri = ref.topk(np.round(1.0 - ref.cosine(q, items), 6), 5)
    np.testing.assert_array_equal(i_blas, ri)


@pytest.mark.parametrize("shape", [(5, 33), (2, 3, 12_000)], ids=["numpy-path", "kernel-path"])
@pytest.mark.parametrize("dtype", ["float32", "int8", "complex64"])
def test_norms_kernel_matches_numpy(rng, monkeypatch, shape, dtype):
    """Small inputs take an einsum; >= 1 << 16 elements take the Numba kernel ``row_norms``: both match float64."""
    from hdvec.hdc.similarity import norms

    if dtype == "int8":
        x = rng.integers(-128, 128, shape).astype(np.int8)
    elif dtype == "complex64":
        x = (rng.standard_normal(shape) + 1j * rng.standard_normal(shape)).astype(np.complex64)
    else:
        x = rng.standard_normal(shape).astype(np.float32)
    calls = []
    kernel = K.row_norms
    monkeypatch.setattr(K, "row_norms", lambda r, out: (calls.append(r.shape), kernel(r, out)))
    got = norms(x)
    assert got.dtype == np.float32 and got.shape == shape[:-1]
    assert bool(calls) == (x.size >= 1 << 16), calls  # the path under test is the one taken
    np.testing.assert_allclose(got, np.linalg.norm(x.astype(np.complex128), axis=-1), rtol=1e-6)
