"""LVQ / RaBitQ codes (hdvec.index.codes) and their Numba scan kernels, against NumPy references."""

import math
import threading

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from hdvec.index import _kernels as K
from hdvec.index import codes as C
from hdvec.index import scan as S

SEEDS = st.integers(0, 2**32 - 1)


# ----------------------------------------------------------------------------- references


def ivf_layout(n, nlist, rng):
    """list_offsets (nlist + 1,) int64 of a random CSR split of n rows (some lists empty)."""
    cuts = np.sort(rng.integers(0, n + 1, size=nlist - 1))
    return np.concatenate([[0], cuts, [n]]).astype(np.int64)


def random_probes(nq, nlist, nprobe, rng, holes=True):
    """(nq, nprobe) int64 list ids, with -1 holes and a repeated list now and then."""
    probes = np.stack([rng.permutation(nlist)[:nprobe] for _ in range(nq)]).astype(np.int64)
    if holes and nprobe > 1:
        probes[rng.random(probes.shape) < 0.2] = -1
        probes[0, -1] = probes[0, 0]  # a repeated list is scanned once
    return probes


def candidates(probes, offsets, allowed):
    """Rows each query may return: its distinct valid lists, filtered by ``allowed``."""
    out = []
    for prow in probes:
        lists = sorted({int(v) for v in prow if v >= 0})
        rows = np.concatenate([np.arange(offsets[v], offsets[v + 1]) for v in lists] + [np.zeros(0, np.int64)])
        if allowed.shape[0]:
            rows = rows[allowed[rows]]
        out.append(rows.astype(np.int64))
    return out


def ref_topk(dist, cands, kk):
    """Sorted (distance, row) of the kk best candidates per query, padded with inf / -1."""
    nq = dist.shape[0]
    out_d = np.full((nq, kk), np.inf, np.float32)
    out_r = np.full((nq, kk), -1, np.int64)
    for qi, rows in enumerate(cands):
        order = np.lexsort((rows, dist[qi, rows]))[:kk]
        out_d[qi, : order.shape[0]] = dist[qi, rows[order]]
        out_r[qi, : order.shape[0]] = rows[order]
    return out_d, out_r


def assert_topk(out_d, out_r, dist, cands, kk, rtol=1e-4):
    """Kernel top-kk equals the reference up to float32 rounding.

    Same count, padding inf / -1, only candidate rows, no repeats, distances
    (sorted, and per returned row) equal to the reference within rtol of the
    query's distance scale, rows outside the result no better than its last
    distance, and ties in the output ordered by row.
    """
    for qi, rows in enumerate(cands):
        m = min(kk, rows.shape[0])
        tol = rtol * max(1.0, float(np.abs(dist[qi]).max(initial=0.0)))
        assert np.all(out_r[qi, m:] == -1) and np.all(np.isinf(out_d[qi, m:])), (qi, out_r[qi], m)
        got = out_r[qi, :m]
        assert np.all(got >= 0) and np.unique(got).shape[0] == m
        assert np.isin(got, rows).all()
        np.testing.assert_allclose(out_d[qi, :m], dist[qi, got], rtol=0, atol=tol)
        np.testing.assert_allclose(out_d[qi, :m], np.sort(dist[qi, rows])[:m], rtol=0, atol=tol)
        top = out_d[qi, :m]
        assert np.all(np.diff(top) >= 0)
        same = top[1:] == top[:-1]
        assert np.all(got[1:][same] > got[:-1][same])
        if m:
            rest = np.setdiff1d(rows, got)
            assert np.all(dist[qi, rest] >= out_d[qi, m - 1] - tol)


def empty_mask():
    return np.zeros(0, bool)


def run_scan_lvq(q, probes, offsets, codes, bits, ip, allowed, kk, rows_threads=None):
    out_d = np.empty((q.shape[0], kk), np.float32)
    out_r = np.empty((q.shape[0], kk), np.int64)
    args = (q, probes, offsets, codes["codes"], codes["lo"], codes["delta"], codes["sqnorm"], bits, ip, allowed, kk,
            out_d, out_r)
    if rows_threads is None:
        K.scan_lvq(*args)
    else:
        K.scan_lvq_rows(*args, rows_threads)
    return out_d, out_r


def run_scan_rabitq(qr, probes, offsets, codes, ip, allowed, kk, rows_threads=None):
    out_d = np.empty((qr.shape[0], kk), np.float32)
    out_r = np.empty((qr.shape[0], kk), np.int64)
    args = (qr, probes, offsets, codes["words"], codes["norm"], codes["ip"], ip, allowed, kk, out_d, out_r)
    if rows_threads is None:
        K.scan_rabitq(*args)
    else:
        K.scan_rabitq_rows(*args, rows_threads)
    return out_d, out_r


def gaussian(n, d, seed, scale=1.0):
    return (np.random.default_rng(seed).standard_normal((n, d)) * scale).astype(np.float32)


# ----------------------------------------------------------------------------- LVQ encoding


@given(seed=SEEDS, n=st.integers(1, 40), d=st.integers(1, 70), bits=st.sampled_from([4, 8]),
       residual=st.booleans(), scale=st.sampled_from([1e-3, 1.0, 300.0]))
def test_lvq_error_is_at_most_half_a_step(seed, n, d, bits, residual, scale):
    rng = np.random.default_rng(seed)
    x = (rng.standard_normal((n, d)) * scale + rng.standard_normal((n, 1)) * scale).astype(np.float32)
    c = C.lvq_encode(x, bits, 8 if residual else None)
    for key, arr in c.items():
        assert arr.flags.c_contiguous and arr.shape[0] == n, key
    assert c["codes"].shape == (n, d if bits == 8 else (d + 1) // 2) and c["codes"].dtype == np.uint8
    step = c["delta"].astype(np.float64)
    if residual:
        step = (c["delta"] / np.float32(255)).astype(np.float64)
        assert c["res_codes"].shape == (n, d) and c["res_codes"].dtype == np.uint8
    xhat = C.lvq_decode(c, d, 2 if residual else 1)
    assert xhat.dtype == np.float32 and xhat.shape == (n, d)
    err = np.abs(xhat.astype(np.float64) - x)
    slack = 1e-6 * np.abs(x).max(axis=1) + 1e-3 * step  # float32 rounding of lo + delta * c
    assert np.all(err <= (step / 2 + slack)[:, None])
    np.testing.assert_allclose(c["sqnorm"], (C.lvq_decode(c, d).astype(np.float64) ** 2).sum(1), rtol=1e-5)


@pytest.mark.parametrize("bits, residual, expected", [(8, None, 0.0059), (4, None, 0.0996), (4, 8, 0.00039),
                                                      (8, 8, 0.00002)])
def test_lvq_mean_relative_error_matches_the_notes(bits, residual, expected):
    x = gaussian(1000, 128, 7)
    xhat = C.lvq_decode(C.lvq_encode(x, bits, residual), 128, 2 if residual else 1)
    rel = np.mean(np.linalg.norm(x - xhat, axis=1) / np.linalg.norm(x, axis=1))
    assert expected / 1.3 < rel < expected * 1.3


@given(seed=SEEDS, d=st.integers(1, 50), bits=st.sampled_from([4, 8]))
def test_lvq_two_level_combined_code_identity(seed, d, bits):
    """Level 2 = scale delta/255, bias lo - delta/2, code 255 c + c2 (exact in float64)."""
    x = gaussian(20, d, seed)
    c = C.lvq_encode(x, bits, 8)
    c1 = C.lvq_decode(c, d).astype(np.float64)  # lo + delta c with float32 rounding
    lo = c["lo"].astype(np.float64)[:, None]
    delta = c["delta"].astype(np.float64)[:, None]
    codes1 = np.rint((c1 - lo) / np.where(delta > 0, delta, 1))
    combined = 255 * codes1 + c["res_codes"]
    explicit = (lo - delta / 2) + (delta / 255) * combined
    np.testing.assert_allclose(C.lvq_decode(c, d, 2), explicit, rtol=0, atol=1e-5 * max(1.0, np.abs(x).max()))


@given(seed=SEEDS, d=st.integers(1, 60), bits=st.sampled_from([4, 8]))
def test_lvq_inner_product_bias_identity(seed, d, bits):
    """<q, xhat> = lo sum(q) + delta <q, c>, and the L2 expansion, match the explicit reconstruction."""
    x = gaussian(30, d, seed)
    q = gaussian(5, d, seed + 1)
    c = C.lvq_encode(x, bits)
    codes = c["codes"] if bits == 8 else C._unpack4(c["codes"], d)
    qd = q.astype(np.float64)
    formula = c["lo"][None, :] * qd.sum(1)[:, None] + c["delta"][None, :] * (qd @ codes.T.astype(np.float64))
    explicit = qd @ C.lvq_decode(c, d).astype(np.float64).T
    np.testing.assert_allclose(formula, explicit, rtol=1e-5, atol=1e-5 * np.abs(explicit).max())
    np.testing.assert_allclose(-formula, C.lvq_distances(q, c, "ip"), rtol=1e-5, atol=1e-5 * np.abs(explicit).max())
    l2 = (qd**2).sum(1)[:, None] + c["sqnorm"][None, :] - 2 * formula
    np.testing.assert_allclose(np.maximum(l2, 0), C.lvq_distances(q, c, "l2"), rtol=1e-4, atol=1e-4)


def test_lvq_4bit_layout_low_nibble_is_even_coordinate():
    x = np.array([[0, 15, 1, 14, 2], [3, 3, 3, 3, 3]], np.float32)  # lo 0, delta 1 for the first row
    c = C.lvq_encode(x, 4)
    assert c["codes"].shape == (2, 3)
    np.testing.assert_array_equal(c["codes"][0], [0 | 15 << 4, 1 | 14 << 4, 2])
    np.testing.assert_array_equal(c["codes"][1], 0)  # constant row: delta 0, codes 0, exact
    assert c["delta"][1] == 0 and c["lo"][1] == 3
    np.testing.assert_array_equal(C.lvq_decode(c, 5), x)


def test_lvq_constant_and_zero_vectors_are_exact_at_both_levels():
    x = np.zeros((3, 9), np.float32)
    x[1] = 2.5
    x[2] = -1e-30
    for bits in (4, 8):
        c = C.lvq_encode(x, bits, 8)
        np.testing.assert_array_equal(C.lvq_decode(c, 9, 1), x)
        np.testing.assert_array_equal(C.lvq_decode(c, 9, 2), x)


def test_lvq_rejects_bad_arguments():
    x = gaussian(4, 6, 0)
    with pytest.raises(ValueError, match="`bits` must be one of"):
        C.lvq_encode(x, 3)
    with pytest.raises(ValueError, match="`residual_bits`"):
        C.lvq_encode(x, 4, 4)
    with pytest.raises(ValueError, match="finite"):
        C.lvq_encode(np.full((2, 3), np.nan, np.float32), 8)
    with pytest.raises(ValueError, match=r"shape \(n, d\)"):
        C.lvq_encode(x[0], 8)
    with pytest.raises(TypeError, match="numpy.ndarray"):
        C.lvq_encode([[1.0]], 8)
    c = C.lvq_encode(x, 8)
    with pytest.raises(ValueError, match="`level` 2 needs residual"):
        C.lvq_decode(c, 6, 2)
    with pytest.raises(ValueError, match="columns for d=7"):
        C.lvq_decode(c, 7)
    with pytest.raises(ValueError, match="`metric`"):
        C.lvq_distances(x, c, "cosine")


def test_lvq_decode_rows_and_chunked_encoding():
    x = gaussian(C._CHUNK + 37, 12, 3)
    c = C.lvq_encode(x, 4, 8)
    rows = np.array([5, C._CHUNK + 36, 0])
    np.testing.assert_array_equal(C.lvq_decode_rows(c, rows, 12, 2), C.lvq_decode(c, 12, 2)[rows])
    part = C.lvq_encode(x[C._CHUNK:], 4, 8)
    for key in c:
        np.testing.assert_array_equal(c[key][C._CHUNK:], part[key])


# ----------------------------------------------------------------------------- RaBitQ encoding


def expected_ip(dim):
    """E<o_bar, o> = sqrt(D/pi) 2 Gamma(D/2) / ((D-1) Gamma((D-1)/2))."""
    return math.sqrt(dim / math.pi) * 2 * math.exp(math.lgamma(dim / 2) - math.lgamma((dim - 1) / 2)) / (dim - 1)


@pytest.mark.parametrize("d, dp", [(1, 64), (64, 64), (65, 128), (100, 128)])
def test_rabitq_rotation_is_orthogonal_and_seeded(d, dp):
    r = C.rabitq_rotation(d, 3)
    assert r.shape == (dp, dp) and r.dtype == np.float32 and r.flags.c_contiguous
    np.testing.assert_allclose(r.astype(np.float64) @ r.T, np.eye(dp), atol=1e-5)
    np.testing.assert_array_equal(r, C.rabitq_rotation(d, np.random.default_rng(3)))
    assert not np.array_equal(r, C.rabitq_rotation(d, 4))


def test_rabitq_codes_layout_and_guards():
    x = gaussian(50, 100, 1)
    x[3] = 0
    r = C.rabitq_rotation(100, 0)
    c = C.rabitq_encode(x, r)
    assert sorted(c) == ["ip", "norm", "words"]
    assert c["words"].shape == (50, 2) and c["words"].dtype == np.uint64
    rotated = np.zeros((50, 128))
    rotated[:] = x.astype(np.float64) @ r[:100].astype(np.float64)
    bits = (c["words"][:, :, None] >> np.arange(64, dtype=np.uint64)) & np.uint64(1)
    np.testing.assert_array_equal(bits.reshape(50, 128).astype(bool), rotated > 0)
    np.testing.assert_allclose(c["norm"], np.linalg.norm(x, axis=1), rtol=1e-6)
    assert c["norm"][3] == 0 and c["ip"][3] == np.float32(0.8)
    ok = np.arange(50) != 3
    ref = np.abs(rotated).sum(1) / (np.sqrt(128) * np.linalg.norm(rotated, axis=1).clip(1e-300))
    np.testing.assert_allclose(c["ip"][ok], ref[ok], rtol=1e-6)
    with pytest.raises(ValueError, match=r"`rotation` must be a \(128, 128\) array"):
        C.rabitq_encode(x, r[:64, :64])


def test_rabitq_mean_ip_matches_theory():
    x = gaussian(5000, 128, 11)
    c = C.rabitq_encode(x, C.rabitq_rotation(128, 5))
    assert abs(expected_ip(128) - 0.7994) < 1e-4
    assert abs(c["ip"].mean() - expected_ip(128)) < 0.003
    assert c["ip"].std() < 0.03  # concentrates within O(1/sqrt(D))


def test_rabitq_estimator_is_unbiased_and_distances_are_close():
    rng = np.random.default_rng(21)
    x = gaussian(4000, 128, 22)
    q = gaussian(40, 128, 23)
    r = C.rabitq_rotation(128, 24)
    c = C.rabitq_encode(x, r)
    # correlated pairs (<o, q> about 0.7): the naive <o_bar, q> would be ~20 % low
    o = x / np.linalg.norm(x, axis=1, keepdims=True)
    qc = o[:400] + 0.7 * rng.standard_normal((400, 128)).astype(np.float32) / np.sqrt(128)
    qc /= np.linalg.norm(qc, axis=1, keepdims=True)
    est = -C.rabitq_estimate(qc, c, r, "ip")[np.arange(400), np.arange(400)] / c["norm"][:400]
    true = (qc * o[:400]).sum(1)
    assert true.mean() > 0.6
    assert abs(np.mean(est - true)) < 0.01
    naive = est * c["ip"][:400]
    assert np.mean(naive - true) < -0.1
    # random pairs
    est = -C.rabitq_estimate(q, c, r, "ip") / c["norm"][None, :] / np.linalg.norm(q, axis=1)[:, None]
    true = (q / np.linalg.norm(q, axis=1, keepdims=True)) @ o.T
    assert abs(np.mean(est - true)) < 2e-3
    d2 = C.rabitq_estimate(q, c, r, "l2")
    exact = ((q[:, None, :].astype(np.float64) - x[None]) ** 2).sum(-1)
    rel = np.mean(np.abs(d2 - exact) / exact)
    assert 0.03 < rel < 0.08


def test_rabitq_decode_gives_the_estimated_inner_products():
    x = gaussian(60, 70, 2)
    q = gaussian(4, 70, 3)
    r = C.rabitq_rotation(70, 1)
    c = C.rabitq_encode(x, r)
    dec = C.rabitq_decode(c, r, 70)
    np.testing.assert_allclose(-(q @ dec.T), C.rabitq_estimate(q, c, r, "ip"), rtol=1e-4, atol=1e-3)
    np.testing.assert_array_equal(C.rabitq_decode_rows(c, [4, 1], r, 70), dec[[4, 1]])


# ----------------------------------------------------------------------------- scan kernels


@given(seed=SEEDS, n=st.integers(1, 300), d=st.sampled_from([1, 2, 8, 37, 64]), bits=st.sampled_from([4, 8]),
       metric=st.sampled_from(["l2", "ip"]), nlist=st.integers(1, 12), nq=st.integers(1, 9), kk=st.integers(1, 40),
       masked=st.booleans())
def test_scan_lvq_matches_brute_force(seed, n, d, bits, metric, nlist, nq, kk, masked):
    rng = np.random.default_rng(seed)
    x = gaussian(n, d, seed)
    q = gaussian(nq, d, seed + 1)
    codes = C.lvq_encode(x, bits)
    offsets = ivf_layout(n, nlist, rng)
    probes = random_probes(nq, nlist, int(rng.integers(1, nlist + 1)), rng)
    allowed = rng.random(n) < 0.6 if masked else empty_mask()
    ip = metric == "ip"
    dist = C.lvq_distances(q, codes, metric).astype(np.float64)
    cands = candidates(probes, offsets, allowed)
    out_d, out_r = run_scan_lvq(q, probes, offsets, codes, bits, ip, allowed, kk)
    assert_topk(out_d, out_r, dist, cands, kk)
    for threads in (1, 3):
        rd, rr = run_scan_lvq(q, probes, offsets, codes, bits, ip, allowed, kk, rows_threads=threads)
        np.testing.assert_array_equal(rr, out_r)
        np.testing.assert_array_equal(rd, out_d)


def test_scan_lvq_padding_ties_and_empty_probes():
    x = gaussian(10, 37, 0)
    x[7] = x[2]  # identical rows in different lists: tie goes to the lower row
    codes = C.lvq_encode(x, 4)
    offsets = np.array([0, 4, 4, 10], np.int64)  # list 1 is empty
    q = gaussian(3, 37, 1)
    probes = np.array([[2, 1, 0], [-1, -1, -1], [1, -1, 1]], np.int64)
    out_d, out_r = run_scan_lvq(q, probes, offsets, codes, 4, False, empty_mask(), 15)
    assert (out_r[0, :10] >= 0).all() and (out_r[0, 10:] == -1).all() and np.isinf(out_d[0, 10:]).all()
    pos2, pos7 = np.flatnonzero(out_r[0] == 2)[0], np.flatnonzero(out_r[0] == 7)[0]
    assert pos7 == pos2 + 1 and out_d[0, pos2] == out_d[0, pos7]
    assert (out_r[1:] == -1).all() and np.isinf(out_d[1:]).all()
    allowed = np.zeros(10, bool)
    allowed[[3, 7]] = True
    out_d, out_r = run_scan_lvq(q, probes, offsets, codes, 4, True, allowed, 5)
    assert sorted(out_r[0, :2]) == [3, 7] and (out_r[0, 2:] == -1).all()


@given(seed=SEEDS, n=st.integers(1, 250), d=st.sampled_from([1, 30, 64, 100]), metric=st.sampled_from(["l2", "ip"]),
       nlist=st.integers(1, 10), nq=st.integers(1, 7), kk=st.integers(1, 30), masked=st.booleans())
def test_scan_rabitq_matches_reference_estimator(seed, n, d, metric, nlist, nq, kk, masked):
    rng = np.random.default_rng(seed)
    x = gaussian(n, d, seed)
    q = gaussian(nq, d, seed + 1)
    r = C.rabitq_rotation(d, seed)
    codes = C.rabitq_encode(x, r)
    offsets = ivf_layout(n, nlist, rng)
    probes = random_probes(nq, nlist, int(rng.integers(1, nlist + 1)), rng)
    allowed = rng.random(n) < 0.6 if masked else empty_mask()
    dist = C.rabitq_estimate(q, codes, r, metric).astype(np.float64)
    cands = candidates(probes, offsets, allowed)
    qr = C.rabitq_query(q, r)
    out_d, out_r = run_scan_rabitq(qr, probes, offsets, codes, metric == "ip", allowed, kk)
    assert_topk(out_d, out_r, dist, cands, kk)
    for threads in (1, 4):
        rd, rr = run_scan_rabitq(qr, probes, offsets, codes, metric == "ip", allowed, kk, rows_threads=threads)
        np.testing.assert_array_equal(rr, out_r)
        np.testing.assert_array_equal(rd, out_d)


# ----------------------------------------------------------------------------- re-ranking


def shortlists(nq, n, kk, rng):
    rows = np.full((nq, kk), -1, np.int64)
    for qi in range(nq):
        m = int(rng.integers(0, min(kk, n) + 1))
        rows[qi, :m] = rng.choice(n, m, replace=False)
        rng.shuffle(rows[qi])
    return rows


@given(seed=SEEDS, n=st.integers(1, 200), d=st.sampled_from([1, 37, 64]), bits=st.sampled_from([4, 8]),
       metric=st.sampled_from(["l2", "ip"]), nq=st.integers(1, 6), kk=st.integers(1, 40), k=st.integers(1, 25))
def test_rerank_lvq2_matches_numpy_sort(seed, n, d, bits, metric, nq, kk, k):
    rng = np.random.default_rng(seed)
    x = gaussian(n, d, seed)
    q = gaussian(nq, d, seed + 1)
    codes = C.lvq_encode(x, bits, 8)
    rows = shortlists(nq, n, kk, rng)
    dist = C.lvq_distances(q, codes, metric, level=2).astype(np.float64)
    out_d, out_r = S._rerank_level2(q, rows, codes, metric == "ip", k)
    assert_topk(out_d, out_r, dist, [r[r >= 0] for r in rows], k)


@given(seed=SEEDS, n=st.integers(1, 200), d=st.integers(1, 40), metric=st.sampled_from(["l2", "ip"]),
       nq=st.integers(1, 6), kk=st.integers(1, 40), k=st.integers(1, 25))
def test_rerank_exact_matches_numpy_sort(seed, n, d, metric, nq, kk, k):
    rng = np.random.default_rng(seed)
    x = gaussian(n, d, seed)
    q = gaussian(nq, d, seed + 1)
    rows = shortlists(nq, n, kk, rng)
    qd, xd = q.astype(np.float64), x.astype(np.float64)
    dist = -(qd @ xd.T) if metric == "ip" else ((qd[:, None] - xd[None]) ** 2).sum(-1)
    out_d, out_r = S._rerank_full(q, rows, x, metric == "ip", k)
    assert_topk(out_d, out_r, dist, [r[r >= 0] for r in rows], k, rtol=1e-5)


def test_rerank_exact_reads_a_read_only_memmap(tmp_path):
    x = gaussian(500, 24, 4)
    path = tmp_path / "x.f32"
    x.tofile(path)
    mm = np.memmap(path, dtype=np.float32, mode="r", shape=x.shape)
    q = gaussian(8, 24, 5)
    rows = shortlists(8, 500, 50, np.random.default_rng(0))
    d1, r1 = S._rerank_full(q, rows, mm, False, 10)
    d2, r2 = S._rerank_full(q, rows, x, False, 10)
    np.testing.assert_array_equal(r1, r2)
    np.testing.assert_array_equal(d1, d2)
    ro = {key: v.copy() for key, v in C.lvq_encode(x, 8).items()}
    for v in ro.values():
        v.flags.writeable = False
    offsets = np.array([0, 200, 500], np.int64)
    probes = np.array([[0, 1]] * 8, np.int64)
    a = run_scan_lvq(q, probes, offsets, ro, 8, False, empty_mask(), 10)
    assert_topk(*a, C.lvq_distances(q, ro, "l2").astype(np.float64), candidates(probes, offsets, empty_mask()), 10)


# ----------------------------------------------------------------------------- index entry points, threads


@pytest.mark.parametrize("nq", [1, 40])
def test_index_entry_points_pick_either_kernel(nq):
    rng = np.random.default_rng(nq)
    x = gaussian(3000, 48, 1)
    q = gaussian(nq, 48, 2)
    offsets = ivf_layout(3000, 16, rng)
    probes = random_probes(nq, 16, 5, rng)
    allowed = rng.random(3000) < 0.8
    cands = candidates(probes, offsets, allowed)
    codes = C.lvq_encode(x, 4, 8)
    out_d = np.empty((nq, 30), np.float32)
    out_r = np.empty((nq, 30), np.int64)
    S._scan_lvq(q, probes, offsets, codes, 4, False, allowed, out_d, out_r)
    assert_topk(out_d, out_r, C.lvq_distances(q, codes, "l2").astype(np.float64), cands, 30)
    d2, r2 = S._rerank_level2(q, out_r, codes, False, 10)
    assert_topk(d2, r2, C.lvq_distances(q, codes, "l2", 2).astype(np.float64), [r[r >= 0] for r in out_r], 10)
    r = C.rabitq_rotation(48, 0)
    rq = C.rabitq_encode(x, r)
    S._scan_rabitq(q, probes, offsets, rq, r, True, allowed, out_d, out_r)
    assert_topk(out_d, out_r, C.rabitq_estimate(q, rq, r, "ip").astype(np.float64), cands, 30)


def test_kernels_are_safe_from_several_threads():
    rng = np.random.default_rng(9)
    x = gaussian(4000, 40, 3)
    offsets = ivf_layout(4000, 20, rng)
    codes = C.lvq_encode(x, 8)
    r = C.rabitq_rotation(40, 1)
    rq = C.rabitq_encode(x, r)
    jobs = []
    for j in range(4):
        q = gaussian(3 + 7 * j, 40, 100 + j)
        probes = random_probes(q.shape[0], 20, 6, rng)
        jobs.append((q, probes))

    def work(j):
        q, probes = jobs[j]
        a = run_scan_lvq(q, probes, offsets, codes, 8, False, empty_mask(), 25)
        b = run_scan_lvq(q, probes, offsets, codes, 8, True, empty_mask(), 25, rows_threads=2)
        c = run_scan_rabitq(C.rabitq_query(q, r), probes, offsets, rq, False, empty_mask(), 25)
        return a + b + c

    expected = [work(j) for j in range(4)]
    results = [None] * 4

    def target(j):
        for _ in range(3):
            results[j] = work(j)

    threads = [threading.Thread(target=target, args=(j,)) for j in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for j in range(4):
        for got, want in zip(results[j], expected[j]):
            np.testing.assert_array_equal(got, want)
