"""hdvec <-> Faiss conversion: the converted index answers with the same neighbours."""

import faiss
import numpy as np
import pytest

from hdvec import hdc
from hdvec.index import Index

RNG = np.random.default_rng(11)
XB = RNG.standard_normal((3000, 24)).astype(np.float32) + 0.5
XQ = RNG.standard_normal((40, 24)).astype(np.float32) + 0.5


def _same_neighbours(d1, i1, d2, i2, rtol=1e-4):
    np.testing.assert_allclose(d1, d2, rtol=rtol, atol=1e-3)
    # ids may differ only where distances tie to float32 rounding
    diff = i1 != i2
    if diff.any():
        np.testing.assert_allclose(d1[diff], d2[diff], rtol=1e-5, atol=1e-5)


def _faiss_dist(metric, d):
    return -d if metric in ("ip",) else d  # Faiss IP returns similarities


@pytest.mark.parametrize("metric", ["l2", "ip"])
@pytest.mark.parametrize("spec", ["Flat", "IVF16,Flat"])
@pytest.mark.parametrize("custom_ids", [False, True])
def test_export_answers_like_hdvec(metric, spec, custom_ids):
    idx = Index(24, metric=metric, spec=spec, nprobe=3, seed=0)
    if spec != "Flat":
        idx.train(XB)
    ids = RNG.permutation(10**6)[: len(XB)] if custom_ids else None
    idx.add(XB, ids=ids)
    idx.remove(idx.ids[:7])  # removed rows must not be exported
    d, i = idx.search(XQ, 10)
    fx = idx.to_faiss()
    assert fx.ntotal == len(idx)
    fd, fi = fx.search(XQ, 10)
    _same_neighbours(d, i, _faiss_dist(metric, fd), fi)
    back = Index.from_faiss(fx)
    assert len(back) == len(idx) and back.metric == metric and back.nprobe == idx.nprobe
    bd, bi = back.search(XQ, 10)
    _same_neighbours(_faiss_dist(metric, fd), fi, bd, bi)


@pytest.mark.parametrize("kind", ["flat", "idmap", "ivf", "ivf_ip", "idmap_ivf"])
def test_import_answers_like_faiss(kind):
    if kind == "flat":
        fx = faiss.IndexFlatL2(24)
        fx.add(XB)
    elif kind == "idmap":
        fx = faiss.IndexIDMap2(faiss.IndexFlatL2(24))
        fx.add_with_ids(XB, np.arange(len(XB), dtype=np.int64) * 3 + 5)
    else:
        metric = faiss.METRIC_INNER_PRODUCT if kind == "ivf_ip" else faiss.METRIC_L2
        quantizer = faiss.IndexFlatL2(24)
        fx = faiss.IndexIVFFlat(quantizer, 24, 32, metric)
        fx.train(XB)
        if kind == "idmap_ivf":
            fx = faiss.IndexIDMap(fx)
            fx.add_with_ids(XB, np.arange(len(XB), dtype=np.int64)[::-1].copy() + 100)
            faiss.extract_index_ivf(fx).nprobe = 4
        else:
            fx.add(XB)
            fx.nprobe = 4
    fd, fi = fx.search(XQ, 10)
    idx = Index.from_faiss(fx)
    assert len(idx) == fx.ntotal
    d, i = idx.search(XQ, 10)
    _same_neighbours(_faiss_dist("ip" if kind == "ivf_ip" else "l2", fd), fi, d, i)


@pytest.mark.parametrize("spec", ["Flat", "IVF8,Flat"])
def test_binary_round_trip_is_exact(spec):
    m = hdc.BSC(1024, seed=0)
    xb = m.random(2000, seed=1)
    xq = m.random(30, seed=2)
    idx = Index(1024, metric="hamming", spec=spec, nprobe=3, seed=0)
    if spec != "Flat":
        idx.train(xb)
    idx.add(xb, ids=np.arange(2000) * 2)
    d, i = idx.search(xq, 10)
    fx = idx.to_faiss()
    fd, fi = fx.search(np.ascontiguousarray(xq.view(np.uint8)), 10)
    np.testing.assert_array_equal(d, fd.astype(np.float32))
    back = Index.from_faiss(fx)
    bd, bi = back.search(xq, 10)
    np.testing.assert_array_equal(bd, d)
    _same_below_kth(d, i, bd, bi)
    _same_below_kth(d, i, fd, fi)


def _same_below_kth(d1, i1, d2, i2):
    """Tie-aware: ids closer than the k-th distance match as sets (ties at the k-th may differ)."""
    np.testing.assert_array_equal(d1, d2)
    for q in range(d1.shape[0]):
        below = d1[q] < d1[q, -1]
        assert set(i1[q][below]) == set(i2[q][below])


def test_conversion_errors_name_the_problem():
    idx = Index(24, spec="IVF16,LVQ8", seed=0)
    idx.train(XB)
    idx.add(XB)
    with pytest.raises(ValueError, match="converts 'Flat' and 'IVF<n>,Flat'"):
        idx.to_faiss()
    with pytest.raises(ValueError, match="empty and untrained"):
        Index(24, spec="Flat").to_faiss()
    with pytest.raises(TypeError, match="`faiss_index` must be a Faiss index"):
        Index.from_faiss(np.zeros(3))
    with pytest.raises(ValueError, match="flat and IVF-Flat"):
        Index.from_faiss(faiss.IndexHNSWFlat(24, 8))
    with pytest.raises(ValueError, match="multiple of 8"):
        h = Index(100, metric="hamming")
        h.add(hdc.BSC(100, seed=0).random(10, seed=0))
        h.to_faiss()
