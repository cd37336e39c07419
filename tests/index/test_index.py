import threading

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hdvec import hdc
from hdvec._io import FormatError
from hdvec.index import Index, IndexSpec, knn, knn_hamming, parse_spec


def clustered(n, d, n_clusters=50, nq=50, seed=0):
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((n_clusters, d)) * 3
    xb = (centres[rng.integers(n_clusters, size=n)] + rng.standard_normal((n, d))).astype(np.float32)
    xq = (centres[rng.integers(n_clusters, size=nq)] + rng.standard_normal((nq, d))).astype(np.float32)
    return xb, xq


def recall(found, truth):
    k = truth.shape[1]
    return np.mean([len(set(f[:k]) & set(t)) / k for f, t in zip(found, truth)])


XB, XQ = clustered(6000, 32)
_, TRUTH = knn(XQ, XB, 10)
BITS = hdc.BSC(256, seed=0).random(2000, seed=5)


# ----------------------------------------------------------------------------- specs
def test_parse_spec_round_trip_and_errors():
    s = parse_spec("PCA16,IVF64,LVQ4x8,Rerank")
    assert s == IndexSpec("lvq4x8", reduction="pca", reduced_dim=16, nlist=64, rerank=4)
    assert str(s) == "PCA16,IVF64,LVQ4x8,Rerank"
    assert parse_spec("rot,ivf8,rabitq,rerank10") == IndexSpec("rabitq", reduction="rotation", nlist=8, rerank=10)
    assert parse_spec(str(parse_spec("Flat"))) == IndexSpec()
    for bad, match in [("IVF,Flat", "positive number"), ("LVQ8,IVF16", "order"), ("IVF8", "must name the codes"),
                       ("IVF8,IVF8,Flat", "twice"), ("HNSW32", "unknown token"), ("", "comma-separated"),
                       ("Flat,Rerank0", "Rerank factor")]:
        with pytest.raises(ValueError, match=match):
            parse_spec(bad)
    with pytest.raises(TypeError, match="`spec` must be a str"):
        parse_spec(3)


# ----------------------------------------------------------------------------- exact modes
@pytest.mark.parametrize("metric", ["l2", "ip", "cosine"])
def test_flat_index_is_exact(metric):
    import faiss

    idx = Index(32, metric=metric, spec="Flat")
    idx.add(XB)
    d, i = idx.search(XQ, 10)
    d2, i2 = knn(XQ, XB, 10, metric=metric)
    np.testing.assert_array_equal(i, i2)
    np.testing.assert_allclose(d, d2, rtol=1e-5, atol=1e-4)
    if metric == "l2":
        f = faiss.IndexFlatL2(32)
        f.add(XB)
        fd, fi = f.search(XQ, 10)
        np.testing.assert_array_equal(i, fi)
        np.testing.assert_allclose(d, fd, rtol=1e-4, atol=1e-3)


@pytest.mark.parametrize("metric", ["l2", "ip"])
def test_ivf_flat_with_every_list_probed_is_exact(metric):
    idx = Index(32, metric=metric, spec="IVF16,Flat", seed=1)
    idx.train(XB)
    idx.add(XB)
    d, i = idx.search(XQ, 10, nprobe=16)
    d2, i2 = knn(XQ, XB, 10, metric=metric)
    np.testing.assert_array_equal(i, i2)
    np.testing.assert_allclose(d, d2, rtol=1e-5, atol=1e-3)


@pytest.mark.parametrize("metric", ["l2", "ip", "cosine"])
def test_knn_few_and_many_query_paths_agree_on_ties(metric):
    xb = np.random.default_rng(1).integers(0, 3, (3000, 8)).astype(np.float32)  # many tied distances
    few = knn(xb[:5], xb, 20, metric=metric)  # argpartition path
    many = knn(np.concatenate([xb[:5]] * 4), xb, 20, metric=metric)  # heap path
    np.testing.assert_array_equal(few[1], many[1][:5])
    np.testing.assert_allclose(few[0], many[0][:5], atol=1e-6)
    for d, i in (few, many):  # ties go to the lower row
        same = d[:, 1:] == d[:, :-1]
        assert np.all(i[:, 1:][same] > i[:, :-1][same])


def test_trained_empty_index_returns_padding():
    idx = Index(32, spec="IVF8,LVQ8", seed=0)
    idx.train(XB[:500])
    d, i = idx.search(XQ[:2], 3)
    assert (i == -1).all() and np.isinf(d).all()


def test_knn_hamming_matches_faiss_tie_aware():
    import faiss

    m = hdc.BSC(1000, seed=0)
    xb, xq = m.random(3000), m.random(20)
    d, i = knn_hamming(xq, xb, 10)
    f = faiss.IndexBinaryFlat(1024)
    pad = lambda w: np.pad(w, ((0, 0), (0, 16 - w.shape[1]))).view(np.uint8)
    f.add(pad(xb))
    fd, _ = f.search(pad(xq), 10)
    np.testing.assert_array_equal(d, fd)  # the same distances; ids may differ only among ties
    true = hdc.hamming(xq, xb)
    np.testing.assert_array_equal(np.take_along_axis(true, i, 1), d)


def test_hamming_index_flat_and_ivf():
    m = hdc.BSC(2000, seed=0)
    centres = m.random(20)
    rng = np.random.default_rng(0)
    flip = hdc.pack_bits(rng.random((4000, 2000)) < 0.2)
    xb = centres[rng.integers(20, size=4000)] ^ flip
    xq = xb[:30] ^ hdc.pack_bits(rng.random((30, 2000)) < 0.05)
    exact = Index(2000, metric="hamming")
    exact.add(xb)
    _d, i = exact.search(xq, 10)
    d2, i2 = knn_hamming(xq, xb, 10)
    np.testing.assert_array_equal(i, i2)
    ivf = Index(2000, metric="hamming", spec="IVF16,Flat", seed=0)
    ivf.train(xb)
    ivf.add(xb)
    d3, _i3 = ivf.search(xq, 10, nprobe=16)
    np.testing.assert_array_equal(d3, d2)
    d4, _i4 = ivf.search(xq, 10, nprobe=4)
    kth = d2[:, -1:]
    assert np.mean(d4 <= kth) >= 0.9  # tie-aware recall@10


# ----------------------------------------------------------------------------- approximate pipelines
PIPELINES = [("IVF32,Flat", 8, 0.95), ("IVF32,LVQ8,Rerank", 8, 0.95), ("IVF32,LVQ4,Rerank", 8, 0.95),
             ("IVF32,LVQ4x8", 8, 0.95), ("LVQ8", None, 0.9), ("IVF32,RaBitQ,Rerank10", 8, 0.9),
             ("PCA24,IVF32,LVQ8,Rerank", 8, 0.9), ("ROT,IVF32,LVQ8,Rerank", 8, 0.95)]


@pytest.mark.parametrize("spec,nprobe,bar", PIPELINES, ids=[p[0] for p in PIPELINES])
def test_pipeline_recall_against_exact(spec, nprobe, bar):
    idx = Index(32, spec=spec, seed=0)
    idx.train(XB)
    idx.add(XB)
    d, i = idx.search(XQ, 10, nprobe=nprobe)
    assert d.dtype == np.float32 and i.dtype == np.int64 and d.shape == (50, 10)
    assert np.all(np.diff(d, axis=1) >= 0)
    assert recall(i, TRUTH) >= bar, recall(i, TRUTH)


def test_default_spec_is_picked_and_fast_path_is_accurate():
    idx = Index(32, seed=0)
    idx.train(XB)
    idx.add(XB)
    assert idx.spec is not None
    _, i = idx.search(XQ, 10)
    assert recall(i, TRUTH) >= 0.95


# ----------------------------------------------------------------------------- ids, remove, filters
def test_ids_remove_and_padding():
    idx = Index(32, spec="IVF8,LVQ8,Rerank", seed=0)
    idx.train(XB)
    ids = np.arange(100_000, 100_000 + len(XB))
    idx.add(XB, ids=ids)
    _, i = idx.search(XQ, 10, nprobe=8)
    assert set(i.ravel()) <= set(ids)
    gone = np.unique(i[:, :3])
    assert idx.remove(gone) == len(gone) and len(idx) == len(XB) - len(gone)
    _, i2 = idx.search(XQ, 10, nprobe=8)
    assert not set(i2.ravel()) & set(gone)
    small = Index(32, spec="Flat")
    small.add(XB[:3])
    d, i = small.search(XQ[:2], 5)
    assert (i[:, 3:] == -1).all() and np.isinf(d[:, 3:]).all()


@pytest.mark.parametrize("exact_rows", [None, 10], ids=["default", "in-scan"])
def test_filters_return_only_allowed_ids_and_the_right_ones(exact_rows, monkeypatch):
    """Filtered recall against exact ground truth among the allowed rows, on both filtered paths.

    default: every filter here allows <= 20,000 rows (EXACT_FILTER_ROWS), so it is answered by an exact scan of
    the allowed rows. in-scan: EXACT_FILTER_ROWS = 10 sends the filters allowing >= 2 % of the rows (the 1990s,
    every 3rd id, the even mask) through the IVF scan with the widened nprobe; the two ~1 % filters stay exact.
    """
    from hdvec.index import ivf_index

    if exact_rows is not None:
        monkeypatch.setattr(ivf_index, "EXACT_FILTER_ROWS", exact_rows)
    rng = np.random.default_rng(3)
    year = rng.integers(1950, 2020, len(XB))
    genre = rng.integers(0, 100, len(XB))
    idx = Index(32, spec="IVF32,LVQ8,Rerank", seed=0)
    idx.train(XB)
    idx.add(XB, attributes={"year": year, "genre": genre})
    for flt, allowed in [({"genre": 7}, genre == 7), ({"year": (1990, 1999)}, (year >= 1990) & (year <= 1999)),
                         ({"genre": [1, 2], "year": (None, 1980)}, np.isin(genre, [1, 2]) & (year <= 1980)),
                         (np.arange(0, len(XB), 3), np.arange(len(XB)) % 3 == 0),
                         (np.arange(len(XB)) % 2 == 0, np.arange(len(XB)) % 2 == 0)]:
        _, i = idx.search(XQ, 10, filter=flt, nprobe=8)
        rows = np.flatnonzero(allowed)
        assert np.isin(i[i >= 0], rows).all()
        _, t = knn(XQ, XB[rows], 10)
        truth = rows[t]
        # measured 1.000 for every filter on both paths over 18 runs (data seeds 0-2 x attribute seeds 3-5 x index
        # seeds 0-1); in-scan still >= 0.998 at nprobe=1. The bar allows one of the 500 true neighbours to be missed
        assert recall(i, truth) >= 0.998, (flt if isinstance(flt, dict) else len(rows), recall(i, truth))
    # 1 %-selective filter: k results whenever k allowed vectors exist
    _d, i = idx.search(XQ, 10, filter={"genre": 7})
    assert (i >= 0).all() and len(np.flatnonzero(genre == 7)) >= 10


def test_boolean_filter_mask_of_the_wrong_length_raises_naming_both_lengths():
    idx = Index(32, spec="Flat")
    idx.add(XB[:50], ids=np.arange(100, 150))
    assert idx.next_id == 150
    for bad in (np.ones(50, bool), np.ones(151, bool), np.ones((150, 1), bool)):
        with pytest.raises(ValueError, match=r"length 150 \(the index's next_id\); got shape \(" + str(bad.shape[0])):
            idx.search(XQ, 3, filter=bad)
    mask = np.zeros(150, bool)
    mask[[120, 130]] = True
    assert sorted(idx.search(XQ[:1], 5, filter=mask)[1][0, :2]) == [120, 130]


# ----------------------------------------------------------------------------- persistence
@pytest.mark.parametrize("spec", ["Flat", "IVF16,LVQ4x8", "PCA16,IVF16,LVQ8,Rerank", "IVF16,RaBitQ,Rerank"])
def test_save_load_plain_and_mmap_give_identical_results(tmp_path, spec):
    idx = Index(32, spec=spec, seed=0, nprobe=4)
    if parse_spec(spec).needs_training:
        idx.train(XB)
    idx.add(XB, attributes={"a": np.arange(len(XB)) % 5})
    idx.remove([3, 4, 5])
    path = tmp_path / "x.hdvec"
    idx.save(path)
    before = idx.search(XQ, 10, filter={"a": 1})
    for mmap in (False, True):
        back = Index.load(path, mmap=mmap)
        assert len(back) == len(idx) and repr(back) == repr(idx)
        after = back.search(XQ, 10, filter={"a": 1})
        np.testing.assert_array_equal(after[1], before[1])
        np.testing.assert_array_equal(after[0], before[0])
    back = Index.load(path, mmap=True)
    back.add(XB[:10], attributes={"a": np.zeros(10, np.int64)})  # a mapped index stays usable
    back.remove([6])
    assert len(back) == len(idx) + 9


def test_truncated_and_corrupted_files_raise(tmp_path):
    idx = Index(32, spec="Flat")
    idx.add(XB[:100])
    path = tmp_path / "x.hdvec"
    idx.save(path)
    raw = path.read_bytes()
    (tmp_path / "t").write_bytes(raw[: len(raw) // 2])
    with pytest.raises(FormatError, match="truncated"):
        Index.load(tmp_path / "t")
    flipped = bytearray(raw)
    flipped[-5] ^= 0x10
    (tmp_path / "f").write_bytes(bytes(flipped))
    with pytest.raises(FormatError, match="checksum"):
        Index.load(tmp_path / "f")
    newer = bytearray(raw)
    newer[8] = 99  # version field
    (tmp_path / "v").write_bytes(bytes(newer))
    with pytest.raises(FormatError, match="newer"):
        Index.load(tmp_path / "v")


# ----------------------------------------------------------------------------- threads, bad input
def test_concurrent_searches_agree():
    idx = Index(32, spec="IVF16,LVQ8,Rerank", seed=0)
    idx.train(XB)
    idx.add(XB)
    want = idx.search(XQ, 10, nprobe=4)
    got = [None] * 4

    def run(j):
        got[j] = idx.search(XQ, 10, nprobe=4)

    threads = [threading.Thread(target=run, args=(j,)) for j in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for g in got:
        np.testing.assert_array_equal(g[1], want[1])


@pytest.mark.parametrize("spec", ["IVF16,LVQ8", "IVF16,LVQ4x8", "IVF16,Flat", "Flat", "IVF16,RaBitQ,Rerank"])
def test_serial_and_parallel_searches_agree(spec, monkeypatch):
    """Small searches run on one thread (scan.SERIAL_WORK): same answers either way."""
    import numba

    from hdvec.index import scan

    idx = Index(32, spec=spec, seed=0)
    idx.train(XB)
    idx.add(XB)
    monkeypatch.setattr(scan, "SERIAL_WORK", float("inf"))
    serial = [idx.search(XQ[:n], 10, nprobe=4) for n in (1, 3, 50)]
    assert numba.get_num_threads() == numba.config.NUMBA_NUM_THREADS  # restored after the block
    monkeypatch.setattr(scan, "SERIAL_WORK", 0.0)
    parallel = [idx.search(XQ[:n], 10, nprobe=4) for n in (1, 3, 50)]
    for (ds, i_s), (dp, i_p) in zip(serial, parallel):
        np.testing.assert_array_equal(i_s, i_p)
        np.testing.assert_array_equal(ds, dp)


def test_filtered_search_returns_k_when_the_probed_lists_hold_too_few(monkeypatch):
    """A non-selective filter whose allowed rows lie outside the probed lists still gives k results."""
    from hdvec.index import ivf_index

    monkeypatch.setattr(ivf_index, "EXACT_FILTER_ROWS", 10)  # force the in-scan filter path on small data
    rng = np.random.default_rng(3)
    centres = rng.standard_normal((16, 8)).astype(np.float32) * 10
    label = np.repeat(np.arange(16), 200)
    xb = (centres[label] + rng.standard_normal((3200, 8))).astype(np.float32)
    xq = (centres[rng.integers(0, 8, 40)] + rng.standard_normal((40, 8))).astype(np.float32)  # clusters 0-7
    idx = Index(8, spec="IVF16,Flat", seed=0)
    idx.train(xb)
    idx.add(xb, attributes={"cluster": label})
    d, i = idx.search(xq, 10, nprobe=1, filter={"cluster": (8, 15)})  # half the rows, none near the queries
    allowed = np.flatnonzero(label >= 8)
    assert np.all(i >= 0) and np.all(np.isin(i, allowed)) and np.all(np.diff(d, axis=1) >= 0)
    _, truth = knn(xq, xb[allowed], 10)
    np.testing.assert_array_equal(idx.search(xq, 10, nprobe=16, filter={"cluster": (8, 15)})[1], allowed[truth])


def test_torch_queries_give_torch_results():
    torch = pytest.importorskip("torch")

    idx = Index(32, spec="IVF8,Flat", seed=0)
    idx.train(XB)
    idx.add(XB)
    d, i = idx.search(torch.from_numpy(XQ), 5)
    assert isinstance(d, torch.Tensor) and isinstance(i, torch.Tensor) and i.dtype == torch.int64
    np.testing.assert_array_equal(i.numpy(), idx.search(XQ, 5)[1])
    _, ki = knn(torch.from_numpy(XQ), XB, 5)
    assert isinstance(ki, torch.Tensor)
    np.testing.assert_array_equal(ki.numpy(), knn(XQ, XB, 5)[1])
    words = hdc.BSC(256, seed=0).random(50, seed=1)
    _, hi = knn_hamming(torch.from_numpy(words.view(np.int64)).view(torch.uint64), words, 3)
    assert isinstance(hi, torch.Tensor)
    np.testing.assert_array_equal(hi.numpy(), knn_hamming(words, words, 3)[1])


@pytest.mark.parametrize("spec", ["IVF16,LVQ8", "IVF16,Flat", "IVF16,LVQ4x8", "IVF16,LVQ8,Rerank"])
def test_search_preassigned_equals_search_with_the_same_lists(spec):
    idx = Index(32, spec=spec, seed=0)
    idx.train(XB)
    idx.add(XB)
    idx.remove(idx.ids[:5])
    lists = idx.probes(XQ, 3)
    assert lists.shape == (50, 3)
    for got, want in zip(idx.search_preassigned(XQ, 10, lists), idx.search(XQ, 10, nprobe=3)):
        np.testing.assert_array_equal(got, want)
    with pytest.raises(ValueError, match="`lists` must be"):
        idx.search_preassigned(XQ, 10, lists + 100)


@pytest.mark.parametrize("spec", ["IVF16,LVQ8", "IVF16,Flat", "IVF16,RaBitQ,Rerank", "hamming"])
def test_search_preassigned_scans_a_repeated_list_once(spec):
    if spec == "hamming":
        idx, data, q = Index(256, metric="hamming", spec="IVF16,Flat", seed=0), BITS, BITS[:20]
    else:
        idx, data, q = Index(32, spec=spec, seed=0), XB, XQ
    idx.train(data)
    idx.add(data)
    lists = idx.probes(q, 2)
    repeated = np.concatenate([lists, lists[:, ::-1], lists[:, :1]], axis=1)  # every list three times
    d, i = idx.search_preassigned(q, 10, repeated)
    for row in i:
        assert len(set(row[row >= 0].tolist())) == (row >= 0).sum()  # no id twice
    for got, want in zip((d, i), idx.search_preassigned(q, 10, lists)):
        np.testing.assert_array_equal(got, want)


def test_automatic_spec_calibrates_nprobe_for_recall(caplog):
    import logging

    rng = np.random.default_rng(8)
    centres = rng.standard_normal((300, 16)).astype(np.float32) * 3
    xb = (centres[rng.integers(0, 300, 24_000)] + rng.standard_normal((24_000, 16))).astype(np.float32)
    xq = (centres[rng.integers(0, 300, 200)] + rng.standard_normal((200, 16))).astype(np.float32)
    idx = Index(16, seed=0)
    with caplog.at_level(logging.INFO, logger="hdvec"):
        idx.add(xb)
    assert any(r.getMessage().startswith(f"Index: nprobe={idx.nprobe} (recall@10 >= 0.95") for r in caplog.records)
    assert idx.spec.nlist == 256 and idx.nprobe < 256 // 4, idx.nprobe
    _, truth = knn(xq, xb, 10)
    assert recall(idx.search(xq, 10)[1], truth) >= 0.95  # the promise holds on queries that are not in the index
    again = Index(16, seed=0)
    again.add(xb)
    assert again.nprobe == idx.nprobe  # seeded
    fixed = Index(16, nprobe=5, seed=0)
    fixed.add(xb)
    assert fixed.nprobe == 5  # a user's nprobe is kept
    trained = Index(16, seed=0)  # train() then add(): calibrated too
    trained.train(xb)
    trained.add(xb)
    assert trained.nprobe == idx.nprobe
    strict = Index(16, seed=0, target_recall=0.99)  # LVQ8 alone tops out at 0.986 here: the re-rank is added
    strict.add(xb)
    assert str(strict.spec) == "IVF256,LVQ8,Rerank" and strict.nprobe >= idx.nprobe
    assert recall(strict.search(xq, 10)[1], truth) >= 0.99  # held-out queries, measured 0.9995
    for bad in (0, 1.5, "0.9", True):
        with pytest.raises(ValueError, match="target_recall"):
            Index(16, target_recall=bad)


def test_probes_and_assign_need_a_trained_index_and_match_search():
    idx = Index(32, spec="IVF16,Flat", seed=0)
    with pytest.raises(ValueError, match="untrained: call train"):
        idx.probes(XQ)
    with pytest.raises(ValueError, match="untrained: call train"):
        idx.assign(XB)
    idx.train(XB)
    idx.add(XB)
    np.testing.assert_array_equal(idx.assign(XB[:100]), idx.probes(XB[:100], 1)[:, 0])
    with pytest.raises(ValueError, match="`x` must have dim 32"):
        idx.assign(XB[:, :5])


def test_bad_input():
    idx = Index(32, spec="IVF16,LVQ8", seed=0)
    with pytest.raises(ValueError, match="must be trained first"):
        idx.add(XB)
    with pytest.raises(ValueError, match="untrained"):
        idx.search(XQ, 10)
    idx.train(XB)
    bad = XB[:5].copy()
    bad[1, 3] = np.nan
    with pytest.raises(ValueError, match="`x` must contain only finite"):
        idx.add(bad)
    with pytest.raises(ValueError, match="dim 32"):
        idx.add(XB[:, :10])
    idx.add(XB[:100])
    with pytest.raises(ValueError, match="`k` must be >= 1"):
        idx.search(XQ, 0)
    with pytest.raises(TypeError, match="`k` must be an int"):
        idx.search(XQ, 2.5)
    with pytest.raises(ValueError, match="already in the index"):
        idx.add(XB[:2], ids=[5, 1000])
    with pytest.raises(ValueError, match="unique"):
        idx.add(XB[:2], ids=[7000, 7000])
    with pytest.raises(ValueError, match="not in the index"):
        idx.remove([424242])
    with pytest.raises(ValueError, match="`metric` must be one of"):
        Index(8, metric="manhattan")
    with pytest.raises(TypeError, match="uint64"):
        Index(128, metric="hamming").add(np.zeros((3, 2), np.int64))
    with pytest.raises(ValueError, match="Flat"):
        Index(128, metric="hamming", spec="IVF4,LVQ8")
    with pytest.raises(ValueError, match="`attributes"):
        idx.add(XB[:3], attributes={"a": np.arange(4)})
    with pytest.raises(ValueError, match="filter` names attribute"):
        idx.search(XQ, 3, filter={"nope": 1})
    with pytest.raises(TypeError, match="`filter` must be"):
        idx.search(XQ, 3, filter="genre")
    with pytest.raises(ValueError, match="`nprobe` must be >= 1"):
        idx.search(XQ, 3, nprobe=0)


TORCH_SPECS = ["Flat", "IVF16,Flat", "IVF16,LVQ8", "IVF16,LVQ4,Rerank", "IVF16,LVQ4x8", "IVF16,RaBitQ,Rerank",
               "PCA16,IVF16,LVQ8,Rerank"]


@pytest.mark.parametrize("spec", TORCH_SPECS)
@pytest.mark.parametrize("metric", ["l2", "ip"])
def test_torch_path_agrees_with_numba_path(backend, spec, metric):
    if backend is None:
        pytest.skip("the NumPy path is the reference here")
    torch = pytest.importorskip("torch")

    idx = Index(32, metric=metric, spec=spec, seed=0, nprobe=4)
    if idx.spec.needs_training:
        idx.train(XB)
    idx.add(XB)
    idx.remove([1, 2, 3])
    d, i = idx.search(torch.from_numpy(XQ).to(backend), 10, device=backend)
    assert isinstance(d, torch.Tensor) and str(d.device).startswith(backend)
    dn, i_n = idx.search(XQ, 10)
    np.testing.assert_array_equal(i.cpu().numpy(), i_n)
    np.testing.assert_allclose(d.cpu().numpy(), dn, rtol=1e-4, atol=1e-3)
    flt = np.arange(0, len(XB), 2)  # an allow-list of ids
    np.testing.assert_array_equal(idx.search(XQ, 10, filter=flt, device=backend)[1].cpu().numpy(),
                                  idx.search(XQ, 10, filter=flt)[1])


def test_torch_path_hamming(backend):
    if backend is None:
        pytest.skip("the NumPy path is the reference here")
    m = hdc.BSC(1000, seed=0)
    xb, xq = m.random(3000), m.random(20)
    for spec in ("Flat", "IVF8,Flat"):
        idx = Index(1000, metric="hamming", spec=spec, seed=0, nprobe=3)
        if idx.spec.nlist:
            idx.train(xb)
        idx.add(xb)
        d, _ = idx.search(xq, 5, device=backend)
        dn, _ = idx.search(xq, 5)
        np.testing.assert_array_equal(d.cpu().numpy(), dn)  # ids may differ only among tied distances


def test_coarse_assignment_kernel_matches_blas_path():
    from hdvec.index.partition import _nearest_lists as nearest_lists

    rng = np.random.default_rng(4)
    cents = rng.standard_normal((100, 32)).astype(np.float32)
    x = rng.standard_normal((9000, 32)).astype(np.float32)  # > 8192 rows: BLAS blocks
    bulk = nearest_lists(x, cents, 5)
    small = np.concatenate([nearest_lists(x[a : a + 3000], cents, 5) for a in range(0, 9000, 3000)])  # Numba
    np.testing.assert_array_equal(bulk, small)
    _, truth = knn(x[:50], cents, 5)
    np.testing.assert_array_equal(small[:50], truth)


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), nprobe=st.sampled_from([1, 3, 16]), decay=st.sampled_from([0.0, 0.02]))
def test_pruned_coarse_assignment_equals_the_full_scan(seed, nprobe, decay):
    """The lower-bound pruning skips centroids but never changes the chosen lists."""
    from hdvec.index._list_kernels import nearest_centroids, nearest_centroids_pruned
    from hdvec.index.partition import _coarse_tables as coarse_tables

    rng = np.random.default_rng(seed)
    d = 256
    scale = np.exp(-decay * np.arange(d)).astype(np.float32)  # decaying spectrum: pruning bites
    cents = (rng.standard_normal((200, d)) * scale).astype(np.float32)
    x = (cents[rng.integers(0, 200, 300)] + 0.3 * rng.standard_normal((300, d)) * scale).astype(np.float32)
    csq, basis, proj_t, proj_sq = coarse_tables(cents)
    assert basis is not None and basis.shape == (32, d)
    np.testing.assert_allclose(basis @ basis.T, np.eye(32), atol=1e-5)
    plain = np.empty((300, nprobe), np.int64)
    pruned = np.empty((300, nprobe), np.int64)
    nearest_centroids(x, cents, csq, plain)
    nearest_centroids_pruned(x, cents, csq, basis, proj_t, proj_sq, pruned)
    np.testing.assert_array_equal(pruned, plain)
    _, truth = knn(x[:40], cents, nprobe)
    np.testing.assert_array_equal(pruned[:40], truth)


def test_knn_functions_reject_bad_input():
    with pytest.raises(ValueError, match="`metric` must be one of"):
        knn(XQ, XB, 3, metric="hamming")
    with pytest.raises(ValueError, match="`xq` must have dim 32"):
        knn(XQ[:, :5], XB, 3)
    with pytest.raises(TypeError, match="`xb` must hold real numbers"):
        knn(XQ, XB.astype(np.complex64), 3)
    with pytest.raises(TypeError, match="`xb` must be a numpy.ndarray"):
        knn(XQ, XB.tolist(), 3)
    bad = XQ.copy()
    bad[0, 0] = np.inf
    with pytest.raises(ValueError, match="`xq` must contain only finite"):
        knn(bad, XB, 3)
    with pytest.raises(ValueError, match="`k` must be >= 1"):
        knn(XQ, XB, 0)
    w = hdc.BSC(200, seed=0).random(10)
    with pytest.raises(TypeError, match="uint64"):
        knn_hamming(w.astype(np.int64), w, 3)
    with pytest.raises(ValueError, match="same number of words"):
        knn_hamming(w[:, :2], w, 3)


@pytest.mark.parametrize("spec", ["IVF16,RaBitQ", "IVF16,LVQ4x8", "IVF16,Flat"])
def test_selective_filter_on_codes_without_full_vectors(spec):
    # no full vectors kept: the exact scan of the allowed rows decodes the codes
    idx = Index(32, spec=spec, seed=0)
    idx.train(XB)
    idx.add(XB)
    allowed = np.arange(0, len(XB), 100)  # 60 ids
    _, i = idx.search(XQ, 10, filter=allowed)
    assert np.isin(i, allowed).all()
    _, t = knn(XQ, XB[allowed], 10)
    assert recall(i, allowed[t]) >= (0.7 if "RaBitQ" in spec else 0.95)  # RaBitQ decodes to an estimate (0.77)


def test_ids_beyond_int64_and_saving_into_a_missing_folder_say_what_is_wrong(tmp_path):
    idx = Index(32, spec="Flat")
    with pytest.raises(ValueError, match=r"must be < 2\*\*63 \(ids are int64\); got 9223372036854775808"):
        idx.add(XB[:2], ids=np.array([1, 2**63], np.uint64))
    idx.add(XB[:2], ids=np.array([1, 2**63 - 1], np.uint64))  # the largest int64 is fine
    assert idx.ids.tolist() == [1, 2**63 - 1]
    missing = tmp_path / "no" / "such" / "folder" / "x.hdvec"
    with pytest.raises(FileNotFoundError, match=f"cannot save '{missing}': the folder '{missing.parent}'"):
        idx.save(missing)


def test_package_level_methods_reject_bad_input():
    idx = Index(32, spec="IVF4,Flat", seed=0)
    with pytest.raises(ValueError, match=r"`centroids` must be \(4, 32\) float32; got float32 \(4, 16\)"):
        idx.set_partition(np.zeros((4, 16), np.float32))
    with pytest.raises(ValueError, match=r"`centroids` must be \(4, 32\)"):
        idx.set_partition(np.zeros((8, 32), np.float32))
    with pytest.raises(ValueError, match="C-contiguous"):
        idx.set_partition(np.zeros((4, 32), np.float64))
    idx.set_partition(np.ascontiguousarray(XB[:4]))
    with pytest.raises(ValueError, match=r"`lists` must be \(3,\) list numbers in \[0, 4\)"):
        idx.add_assigned(XB[:3], None, np.array([0, 1, 9]))
    with pytest.raises(ValueError, match="`x` must have dim 32"):
        idx.add_assigned(XB[:3, :8], None, np.array([0, 1, 2]))
    idx.add_assigned(XB[:3], None, np.array([0, 1, 2]))
    assert idx.search(XB[1], 1)[1].tolist() == [1]
    with pytest.raises(TypeError, match="`n` must be an int"):
        Index(32, spec="Flat").prepare(2.5)
    with pytest.raises(ValueError, match="must be trained first"):
        Index(32, spec="IVF4,Flat").prepare(10)


def test_calibration_scores_the_sample_mean_less_one_standard_error():
    from hdvec.index.calibration import recall_less_one_se

    got = np.array([[1, 2], [3, 4], [5, 6]])
    truth = np.array([[1, 2], [3, 9], [7, 8]])  # per query 1.0, 0.5, 0.0
    assert recall_less_one_se(got, truth) == pytest.approx(0.5 - np.std([1.0, 0.5, 0.0]) / np.sqrt(2))
    assert recall_less_one_se(got[:1], truth[:1]) == 1.0  # one query: no spread
