"""4-bit fast-scan codes (``hdvec.index.fastscan``): each kernel against its NumPy reference, then the
``PQ`` codes inside ``Index`` (recall, filters, removal, files)."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hdvec._io import FormatError, read_arrays, write_arrays
from hdvec.index import Index, IndexSpec, knn, parse_spec
from hdvec.index import _fastscan_kernels as FK
from hdvec.index import fastscan as F
from hdvec.index import scan as S

KERNELS = [FK.block_sums_portable] + ([FK.block_sums_avx2] if FK.HAVE_AVX2 else [])


def _unpack(blocks, block_offsets, offsets, m):
    """Test-side inverse of pack_blocks: (n, m) codes in row order."""
    nb = blocks.shape[0]
    pairs = blocks.reshape(nb, blocks.shape[1], 2, 16)
    low, high = pairs & 15, pairs >> 4  # vectors 0-15, 16-31
    per_block = np.concatenate([low, high], axis=3).transpose(0, 3, 1, 2).reshape(nb, 32, 2 * blocks.shape[1])[:, :, :m]
    rows = []
    for lst in range(offsets.shape[0] - 1):
        size = offsets[lst + 1] - offsets[lst]
        rows.append(per_block[block_offsets[lst] : block_offsets[lst + 1]].reshape(-1, m)[:size])
    return np.concatenate(rows)


@settings(deadline=None, max_examples=25)
@given(m=st.integers(1, 40), sizes=st.lists(st.integers(0, 70), min_size=1, max_size=5), seed=st.integers(0, 2**31))
def test_packing_keeps_every_code_and_the_block_kernels_match_the_reference(m, sizes, seed):
    rng = np.random.default_rng(seed)
    offsets = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
    codes = rng.integers(0, 16, (offsets[-1], m), dtype=np.uint8)
    blocks, block_offsets = F.pack_blocks(codes, offsets)
    assert blocks.shape == (block_offsets[-1], (m + 1) // 2, 32)
    np.testing.assert_array_equal(np.diff(block_offsets), -(-np.diff(offsets) // 32))
    np.testing.assert_array_equal(_unpack(blocks, block_offsets, offsets, m), codes)
    luts = rng.integers(0, min(256, 65536 // m), (3, blocks.shape[1], 32), dtype=np.uint8)
    ref = F.block_sums_reference(blocks, luts)
    out = np.empty(32, np.uint16)
    for kernel in KERNELS:
        for qi in range(3):
            for b in range(blocks.shape[0]):
                kernel(blocks, b, luts[qi], out)
                np.testing.assert_array_equal(out, ref[qi, b], err_msg=str(kernel))


def test_the_reference_sums_are_the_plain_table_lookups():
    rng = np.random.default_rng(1)
    codes = rng.integers(0, 16, (32, 6), dtype=np.uint8)
    blocks, _ = F.pack_blocks(codes, np.array([0, 32]))
    tables = rng.integers(0, 200, (1, 6, 16), dtype=np.uint8)
    luts = tables.reshape(1, 3, 32)  # pair j = tables 2j then 2j + 1
    want = tables[0, np.arange(6), codes].astype(np.int64).sum(axis=1)
    np.testing.assert_array_equal(F.block_sums_reference(blocks, luts)[0, 0], want)


@settings(deadline=None, max_examples=25)
@given(m=st.integers(1, 300), seed=st.integers(0, 2**31))
def test_quantized_tables_estimate_within_half_a_step_per_table_and_fit_16_bits(m, seed):
    rng = np.random.default_rng(seed)
    tables = (rng.standard_normal((2, m, 16)) * rng.uniform(0.01, 100)).astype(np.float32)
    q8, bias, scale = F.quantize_tables(tables)
    flat = q8.reshape(2, -1, 16)[:, :m]
    assert int(flat.astype(np.int64).max(axis=2).sum(axis=1).max()) <= 65535
    codes = rng.integers(0, 16, (50, m))
    for qi in range(2):
        true = tables[qi, np.arange(m), codes].sum(axis=1, dtype=np.float64)
        est = bias[qi] + flat[qi, np.arange(m), codes].sum(axis=1, dtype=np.float64) / scale[qi]
        assert np.all(np.abs(est - true) <= (0.5 * m + 1e-3) / scale[qi] + 1e-4 * np.abs(true).max())


def test_encode_matches_faiss_product_quantizer_codes():
    import faiss

    x = np.random.default_rng(2).standard_normal((500, 24)).astype(np.float32)
    cb = F.train_codebooks(x, 12, seed=0)
    pq = faiss.ProductQuantizer(24, 12, 4)
    faiss.copy_array_to_vector(cb.ravel(), pq.centroids)
    packed = pq.compute_codes(x)  # two 4-bit codes per byte, first sub-quantizer in the low nibble
    want = np.stack([packed & 15, packed >> 4], axis=2).reshape(500, 12)
    np.testing.assert_array_equal(F.encode(x, cb), want)
    np.testing.assert_array_equal(F.train_codebooks(x, 12, seed=0), cb)  # seeded


def _kernel_tables(q, cb, factor):
    m = cb.shape[0]
    luts = np.empty((q.shape[0], (m + 1) // 2, 32), np.uint8)
    bias, scale = np.empty(q.shape[0], np.float32), np.empty(q.shape[0], np.float32)
    for qi in range(q.shape[0]):
        bias[qi], scale[qi] = FK.query_tables(q[qi], np.ascontiguousarray(cb.transpose(0, 2, 1)), factor,
                                              F.table_cap(m), np.empty((m, 16), np.float32), luts[qi])
    return luts, bias, scale


@settings(deadline=None, max_examples=20)
@given(m=st.sampled_from([1, 3, 8, 16, 49]), dsub=st.integers(1, 3), seed=st.integers(0, 2**31))
def test_the_kernel_builds_the_reference_tables(m, dsub, seed):
    rng = np.random.default_rng(seed)
    q = rng.standard_normal((3, m * dsub)).astype(np.float32)
    cb = rng.standard_normal((m, 16, dsub)).astype(np.float32)
    for factor in (np.float32(1.0), np.float32(2.0)):
        luts, bias, scale = _kernel_tables(q, cb, factor)
        raw = -factor * np.einsum("qsd,sjd->qsj", q.reshape(3, m, dsub), cb)
        want, want_bias, want_scale = F.quantize_tables(raw)
        np.testing.assert_array_equal(scale, want_scale)
        np.testing.assert_allclose(bias, want_bias, rtol=1e-5, atol=1e-5)  # summation order differs
        np.testing.assert_array_equal(luts, want)


@pytest.mark.parametrize("metric_ip", [False, True])
@pytest.mark.parametrize("ivf", [False, True])
def test_scan_returns_the_top_estimates_of_the_probed_lists(metric_ip, ivf):
    rng = np.random.default_rng(3)
    x = rng.standard_normal((700, 16)).astype(np.float32)
    q = rng.standard_normal((4, 16)).astype(np.float32)
    offsets = np.array([0, 100, 100, 433, 700], np.int64)
    lists = np.repeat(np.arange(4), np.diff(offsets))
    centroids = rng.standard_normal((4, 16)).astype(np.float32) if ivf else None
    base = centroids[lists] if ivf else np.zeros_like(x)
    cb = F.train_codebooks(x - base, 8, seed=1)
    rows_arrays = F.encode_rows(x, base, cb)
    blocks, block_offsets = F.pack_blocks(rows_arrays["pq_codes"], offsets)
    probes = np.array([[0, 2], [3, -1], [2, 2], [1, 0]], np.int64)
    allowed = rng.random(700) < 0.8
    d, r = S._scan_pq4(q, cb, metric_ip, probes, centroids, offsets, rows_arrays["pq_sqnorm"], blocks, block_offsets,
                  allowed, 9)
    # reference: the kernel's tables (checked against quantize_tables below), summed in NumPy
    factor = np.float32(1.0 if metric_ip else 2.0)
    luts, bias, scale = _kernel_tables(q, cb, factor)
    sums = F.block_sums_reference(blocks, luts).reshape(4, -1)
    slot = block_offsets[lists] * 32 + np.arange(700) - offsets[lists]
    recon = base + F.decode(rows_arrays["pq_codes"], cb)
    for qi in range(4):
        rows = np.concatenate([np.arange(offsets[p], offsets[p + 1]) for p in np.unique(probes[qi][probes[qi] >= 0])])
        rows = rows[allowed[rows]]
        qc = (q[qi] @ centroids[lists[rows]].T).astype(np.float32) if ivf else np.zeros(rows.shape[0], np.float32)
        const = -factor * qc + (np.float32(0) if metric_ip else np.float32(q[qi] @ q[qi]))
        est = (bias[qi] + const.astype(np.float32)) + sums[qi, slot[rows]].astype(np.float32) * (
            np.float32(1.0) / scale[qi])
        if not metric_ip:
            est = est + rows_arrays["pq_sqnorm"][rows]
        order = np.lexsort((rows, est))[:9]
        np.testing.assert_array_equal(r[qi, : order.shape[0]], rows[order])
        np.testing.assert_allclose(d[qi, : order.shape[0]], est[order], rtol=1e-6, atol=1e-5)
        assert np.all(r[qi, order.shape[0] :] == -1)
        # and the estimate is the distance to the reconstruction, up to the tables' rounding
        true = -(recon[rows] @ q[qi]) if metric_ip else ((recon[rows] - q[qi]) ** 2).sum(axis=1)
        assert np.abs(est - true).max() <= 8 * 0.5 / scale[qi] * 1.01 + 1e-3  # m tables, half a step each


def test_the_public_helpers_name_bad_arguments():
    cb = np.zeros((4, 16, 2), np.float32)
    codes = np.zeros((5, 4), np.uint8)
    for call, match in [(lambda: F.encode(np.zeros((3, 7), np.float32), cb), "`x` must be a \\(n, 8\\)"),
                        (lambda: F.encode(np.zeros((3, 8), np.float32), cb[:, :8]), "`codebooks`"),
                        (lambda: F.decode(codes + 16, cb), "4-bit"),
                        (lambda: F.decode(codes[:, :3], cb), "`codes` must be a \\(n, 4\\)"),
                        (lambda: F.pack_blocks(codes, np.array([0, 3])), "`offsets`"),
                        (lambda: F.pack_blocks(codes.astype(np.int64), np.array([0, 5])), "`codes`"),
                        (lambda: F.train_codebooks(np.zeros((40, 8), np.float32), 3), "PQ3"),
                        (lambda: F.train_codebooks([[1.0] * 8] * 40, 4), "`x`")]:
        with pytest.raises(ValueError, match=match):
            call()


def _clustered(n, d, nq, seed=0):
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((60, d)).astype(np.float32) * 3
    xb = (centres[rng.integers(0, 60, n)] + rng.standard_normal((n, d))).astype(np.float32)
    xq = (centres[rng.integers(0, 60, nq)] + rng.standard_normal((nq, d))).astype(np.float32)
    return xb, xq


XB, XQ = _clustered(6000, 32, 100)


def _recall(found, truth):
    return np.mean([len(set(f) & set(t)) / truth.shape[1] for f, t in zip(found, truth)])


@pytest.mark.parametrize("metric", ["l2", "ip", "cosine"])
def test_pq_index_with_rerank_finds_the_neighbours(metric):
    idx = Index(32, metric=metric, spec="IVF32,PQ16,Rerank8", seed=0)
    idx.train(XB)
    idx.add(XB)
    _, truth = knn(XQ, XB, 10, metric=metric)
    _, got = idx.search(XQ, 10, nprobe=8)
    assert _recall(got, truth) >= {"l2": 0.99, "ip": 0.99, "cosine": 0.96}[metric]  # measured 1.000, 0.999, 0.978
    assert str(idx.spec) == "IVF32,PQ16,Rerank8" and idx.codebooks.shape == (16, 16, 2)


def test_pq_spec_tokens_round_trip_and_check_the_dimension():
    assert parse_spec("IVF64,PQ192x4fs,RFlat".replace(",RFlat", ",Rerank")) == IndexSpec("pq4", nlist=64, rerank=4,
                                                                                      pq_m=192)
    assert str(parse_spec("pq")) == "PQ" and parse_spec("PQ").pq_m is None
    assert str(parse_spec("PCA16,IVF8,PQ8,Rerank2")) == "PCA16,IVF8,PQ8,Rerank2"
    with pytest.raises(ValueError, match="dividing the working dimension 32"):
        Index(32, spec="IVF8,PQ5")
    with pytest.raises(ValueError, match="pq_m"):
        IndexSpec("lvq8", pq_m=4)
    with pytest.raises(ValueError, match="positive number"):
        parse_spec("PQ0")


def test_pq_index_filters_removal_and_files(tmp_path):
    idx = Index(32, spec="IVF32,PQ,Rerank", seed=0)
    idx.train(XB)
    idx.add(XB, attributes={"tag": np.arange(6000) % 3})
    _, i = idx.search(XQ, 10, nprobe=32, filter={"tag": 1})
    assert np.all(i % 3 == 1)
    allowed = np.flatnonzero(np.arange(6000) % 3 == 1)
    _, truth = knn(XQ, XB[allowed], 10)
    assert _recall(i, allowed[truth]) >= 0.95
    gone = idx.search(XQ[:20], 1, nprobe=32)[1][:, 0]
    idx.remove(np.unique(gone))
    assert not np.isin(idx.search(XQ, 10, nprobe=32)[1], gone).any()
    few = idx.search(XQ, 5, filter=np.arange(0, 6000, 500))[1]  # a selective filter: exact over decoded codes
    assert np.isin(few[few >= 0], np.arange(0, 6000, 500)).all()
    idx.save(tmp_path / "pq.hdvec")
    back = Index.load(tmp_path / "pq.hdvec")
    for a, b in zip(idx.search(XQ, 10, nprobe=8), back.search(XQ, 10, nprobe=8)):
        np.testing.assert_array_equal(a, b)
    meta, arrays = read_arrays(tmp_path / "pq.hdvec")
    arrays["data.pq_codes"][3, 2] = 16
    write_arrays(tmp_path / "bad.hdvec", meta, arrays)
    with pytest.raises(FormatError, match="pq_codes"):
        Index.load(tmp_path / "bad.hdvec")
    meta, arrays = read_arrays(tmp_path / "pq.hdvec")
    arrays["codebooks"] = arrays["codebooks"][:8].copy()
    write_arrays(tmp_path / "bad2.hdvec", meta, arrays)
    with pytest.raises(FormatError, match="codebooks"):
        Index.load(tmp_path / "bad2.hdvec")
