"""GraphIndex (hdvec.index.graph): its Numba kernels against NumPy references, recall against brute force, the
search contract, filters, removal and repair, determinism, files and argument checks."""

import threading

import numba
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hdvec._io import FormatError, read_arrays, write_arrays
from hdvec.index import _graph_kernels as K
from hdvec.index import knn
from hdvec.index.codes import lvq_encode
from hdvec.index.graph import GraphIndex

SEEDS = st.integers(0, 2**32 - 1)


def clustered(n, d, seed, centres=50):
    """Gaussian clusters: centres N(0, 9 I), points N(centre, I); float32 (n, d)."""
    r = np.random.default_rng(seed)
    c = r.standard_normal((centres, d)) * 3
    return (c[r.integers(0, centres, n)] + r.standard_normal((n, d))).astype(np.float32)


def recall(found, truth):
    return float(np.mean([len(set(a) & set(b)) / truth.shape[1] for a, b in zip(found, truth)]))


def random_graph(n, degree, rng):
    """int32 (n, degree): distinct random neighbours (no self loops), each row cut short at random, -1 padded."""
    g = np.full((n, degree), -1, np.int32)
    for i in range(n):
        nb = rng.permutation(np.delete(np.arange(n), i))[:degree]
        cut = int(rng.integers(0, nb.shape[0] + 1))
        g[i, :cut] = nb[:cut]
    return g


# ----------------------------------------------------------------------------- NumPy references


def ref_lvq_traversal(q, codes, mean, metric):
    """float64 (nq, n) traversal distance on LVQ8 codes, from the explicit reconstruction lo + delta c.

    L2: ``|(q - mean) - x_hat|^2``; inner products: ``|q|^2 - 2 <q, x_hat>`` (the kernel's bias is 0).
    """
    x = codes["lo"][:, None].astype(np.float64) + codes["delta"][:, None] * codes["codes"].astype(np.float64)
    q = q.astype(np.float64)
    if metric == "l2":
        qc = q - mean
        return ((qc[:, None, :] - x[None]) ** 2).sum(-1)
    return (q * q).sum(1)[:, None] - 2 * q @ x.T


def ref_beam_search(dist, graph, entry, beam, pool_cap=0):
    """Greedy beam search on ``graph`` with the distances ``dist`` (n,) of one query to every row.

    The candidate list is sorted by (distance, row); the closest unexpanded candidate is expanded until none is
    left (or ``pool_cap`` expansions). Returns (rows, distances, expanded rows).
    """
    cand = [(dist[entry], entry)]
    expanded, seen = [], {entry}
    while True:
        todo = [c for c in cand if c[1] not in expanded]
        if not todo:
            break
        node = min(todo)[1]
        expanded.append(node)
        for u in graph[node]:
            if u < 0:
                break
            if u not in seen:
                seen.add(int(u))
                cand = sorted(cand + [(dist[u], int(u))])[:beam]
        if pool_cap and len(expanded) == pool_cap:
            break
    return [c[1] for c in cand], [c[0] for c in cand], expanded


def ref_prune(p, cand, alpha, x, degree):
    """RobustPrune in float64 on exact (integer-valued) data: ascending (d(p, v), v), skip v when a kept w has
    alpha * d(w, v) <= d(p, v)."""
    def d(a, b):
        return float(((x[a].astype(np.float64) - x[b]) ** 2).sum())

    pool = sorted({(d(p, v), int(v)) for v in cand if v >= 0 and v != p})
    kept = []
    for dv, v in pool:
        if all(alpha * d(w, v) > dv for w in kept):
            kept.append(v)
            if len(kept) == degree:
                break
    return kept


# ----------------------------------------------------------------------------- kernels vs references


@settings(max_examples=15, deadline=None)
@given(seed=SEEDS, d=st.integers(1, 24), metric=st.sampled_from(["l2", "ip"]))
def test_lvq_traversal_distance_matches_reference(seed, d, metric):
    rng = np.random.default_rng(seed)
    x = (rng.standard_normal((40, d)) * rng.uniform(0.1, 10)).astype(np.float32)
    q = (rng.standard_normal((5, d)) * 3).astype(np.float32)
    mean = x.mean(0).astype(np.float32)
    codes = lvq_encode(x - mean, 8)
    bias = codes["sqnorm"] if metric == "l2" else np.zeros(40, np.float32)
    qs = np.ascontiguousarray(q - mean if metric == "l2" else q)
    out = np.empty((5, 40), np.float32)
    K.distances(qs, x, np.zeros(40, np.float32), codes["codes"], codes["lo"], codes["delta"], bias, out)
    ref = ref_lvq_traversal(q, codes, mean, metric)
    scale = (np.abs(qs).sum(1)[:, None] * np.abs(x - mean).max() + (qs * qs).sum(1)[:, None] + 1) * 1e-5
    assert np.all(np.abs(out - ref) <= scale)


@settings(max_examples=15, deadline=None)
@given(seed=SEEDS, n=st.integers(2, 60), degree=st.integers(1, 8), beam=st.integers(1, 20),
       pool_cap=st.integers(0, 12), lvq=st.booleans())
def test_beam_search_matches_reference(seed, n, degree, beam, pool_cap, lvq):
    rng = np.random.default_rng(seed)
    x = rng.integers(-4, 5, (n, 6)).astype(np.float32)  # integer data: float32 distances are exact
    aug = rng.integers(0, 3, n).astype(np.float32)
    graph = random_graph(n, degree, rng)
    entry = int(rng.integers(0, n))
    q = rng.integers(-4, 5, 6).astype(np.float32)
    codes = lo = delta = bias = None
    if lvq:
        enc = lvq_encode(x, 8)
        codes, lo, delta, bias = enc["codes"], enc["lo"], enc["delta"], enc["sqnorm"]
    dist = np.empty((1, n), np.float32)
    K.distances(q[None], x, aug, codes, lo, delta, bias, dist)
    rows, dists, expanded = ref_beam_search(dist[0], graph, entry, beam, pool_cap)
    out_d, out_i = np.empty(beam, np.float32), np.empty(beam, np.int64)
    pool = np.empty(max(pool_cap, 1), np.int64)
    size, n_pool = K.beam_search_one(q, np.float32(0), x, aug, codes, lo, delta, bias, graph, entry, pool_cap,
                                     out_d, out_i, pool)
    assert out_i[:size].tolist() == rows
    assert np.array_equal(out_d[:size], np.array(dists, np.float32))
    if pool_cap:
        assert pool[:n_pool].tolist() == expanded


@settings(max_examples=20, deadline=None)
@given(seed=SEEDS, degree=st.integers(1, 6), alpha=st.sampled_from([1.0, 1.2, 2.0]), m=st.integers(0, 25))
def test_robust_prune_matches_reference(seed, degree, alpha, m):
    rng = np.random.default_rng(seed)
    x = rng.integers(-3, 4, (30, 4)).astype(np.float32)  # ties and duplicate vectors included
    cand = rng.integers(-1, 30, m).astype(np.int64)  # repeats, -1 and p itself included
    p = int(rng.integers(0, 30))
    out = np.empty(degree, np.int32)
    kept = K.prune_one(p, cand, alpha, x, np.zeros(30, np.float32), out)
    want = ref_prune(p, cand, alpha, x, degree)
    assert out[:kept].tolist() == want
    assert np.all(out[kept:] == -1)


def test_visited_stamps_survive_the_epoch_wrapping():
    x = clustered(300, 8, 0)
    idx = GraphIndex(8, codes="flat", seed=0).build(x)
    st_ = idx._state
    q = x[:3]
    want = idx.search(q, 5, beam=16)
    d, i, found = np.empty((3, 5), np.float32), np.empty((3, 5), np.int64), np.empty(3, np.int64)
    stamps = np.full((1, 300), 1, np.uint32)  # stale stamps that would read "visited" at epoch 1
    epochs = np.full(1, 0xFFFFFFFF, np.uint32)
    K.search_graph(q, q, st_.vectors, st_.aug, None, None, None, None, st_.graph, st_.entry, 16,
                   np.empty(0, bool), False, False, 1, stamps, epochs, d, i, found)
    assert epochs[0] == 3
    assert np.array_equal(i, want[1]) and np.array_equal(d, want[0])


# ----------------------------------------------------------------------------- recall and the contract

X = clustered(5000, 32, 0)
Q = clustered(200, 32, 1)


@pytest.fixture(scope="module")
def built():
    return GraphIndex(32, seed=0).build(X)


def test_recall_at_10(built):
    truth = knn(Q, X, 10, metric="l2")[1]
    # measured on these data: 0.955 at beam 64, 0.9805 at 100, 0.9875 at 128, 0.998 at 200
    assert recall(built.search(Q, 10, beam=128)[1], truth) >= 0.98
    # the default beam, max(2k, 64): 0.955 here; a CPU with other vector widths rounds the build's distances
    # differently, which moves a few edges
    assert recall(built.search(Q, 10)[1], truth) >= 0.94


@pytest.mark.parametrize("codes", ["lvq8", "flat"])
@pytest.mark.parametrize("metric", ["l2", "ip", "cosine"])
def test_recall_every_metric(metric, codes):
    x, q = clustered(2000, 16, 2), clustered(100, 16, 3)
    idx = GraphIndex(16, metric=metric, codes=codes, seed=0).build(x)
    truth_d, truth = knn(q, x, 10, metric=metric)
    d, i = idx.search(q, 10, beam=64)
    # measured: 0.98 (ip), 0.999-1.0 (l2, cosine) at beam 64
    assert recall(i, truth) >= (0.97 if metric == "ip" else 0.99)
    same = i == truth
    np.testing.assert_allclose(d[same], truth_d[same], rtol=1e-5, atol=1e-5)  # exact re-ranked distances


def test_result_contract(built):
    d, i = built.search(Q[:7], 12)
    assert d.dtype == np.float32 and i.dtype == np.int64 and d.shape == i.shape == (7, 12)
    assert np.all(np.diff(d, axis=1) >= 0)
    want = ((Q[:7, None, :].astype(np.float64) - X[i]) ** 2).sum(-1)
    np.testing.assert_allclose(d, want, rtol=1e-5)
    d1, i1 = built.search(Q[3], 12)
    assert d1.shape == i1.shape == (12,) and np.array_equal(i1, i[3]) and np.array_equal(d1, d[3])
    small = GraphIndex(32, seed=0)
    d, i = small.search(Q[:2], 3)  # empty index
    assert np.all(np.isinf(d)) and np.all(i == -1) and d.shape == (2, 3)
    small.add(X[:5], ids=np.arange(100, 105))
    d, i = small.search(Q[:2], 8)  # k > n: padded
    assert np.array_equal(np.sort(i[:, :5], axis=1), np.tile(np.arange(100, 105), (2, 1)))
    assert np.all(i[:, 5:] == -1) and np.all(np.isinf(d[:, 5:])) and np.all(np.isfinite(d[:, :5]))
    with pytest.raises(ValueError, match="k"):
        small.search(Q[:2], 10**9)


def test_torch_queries_give_torch_results(built):
    torch = pytest.importorskip("torch")
    d, i = built.search(torch.from_numpy(Q[:3]), 4)
    assert isinstance(d, torch.Tensor) and i.dtype == torch.int64
    assert np.array_equal(i.numpy(), built.search(Q[:3], 4)[1])


# ----------------------------------------------------------------------------- filters


def test_filter_inside_the_traversal(built):
    rng = np.random.default_rng(5)
    mask = rng.random(5000) < 0.3  # 1,500 allowed rows: above the exact-scan threshold
    rows = np.flatnonzero(mask)
    truth_d, truth = knn(Q, X[rows], 10, metric="l2")
    for flt in (mask, rows, rows.tolist()):
        d, i = built.search(Q, 10, filter=flt)
        assert np.all(mask[i]) and np.all(i >= 0)  # k results, all allowed
    d, i = built.search(Q, 10, beam=400, filter=mask)
    assert np.array_equal(i, rows[truth])
    np.testing.assert_allclose(d, truth_d, rtol=1e-5, atol=1e-5)


def test_small_filter_is_an_exact_scan(built):
    allowed = np.arange(7, 5000, 50)  # 100 rows
    truth_d, truth = knn(Q, X[allowed], 10, metric="l2")
    d, i = built.search(Q, 10, filter=allowed)
    assert np.array_equal(i, allowed[truth])
    np.testing.assert_allclose(d, truth_d, rtol=1e-5, atol=1e-4)
    i = built.search(Q[:2], 150, filter=allowed)[1]  # k beyond the allowed rows: padded
    assert np.all(np.isin(i[:, :100], allowed)) and np.all(i[:, 100:] == -1)


def test_filter_errors(built):
    with pytest.raises(ValueError, match="filter"):
        built.search(Q, 3, filter=np.ones(10, bool))
    with pytest.raises(TypeError, match="filter"):
        built.search(Q, 3, filter=np.ones(5000, np.float32))
    with pytest.raises(ValueError, match="attribute"):
        built.search(Q, 3, filter={"year": 1990})


# ----------------------------------------------------------------------------- remove, consolidate, add


def test_remove_consolidate_add():
    x = clustered(3000, 16, 7)
    idx = GraphIndex(16, seed=1).build(x)
    gone = np.random.default_rng(0).choice(3000, 600, replace=False)
    assert idx.remove(gone) == 600 and len(idx) == 2400 and idx.n_deleted == 600
    d, i = idx.search(x[gone], 10)  # the removed vectors themselves: they would come first
    assert not np.isin(i, gone).any() and np.all(i >= 0)
    live = np.setdiff1d(np.arange(3000), gone)
    q = clustered(100, 16, 8)
    truth = live[knn(q, x[live], 10, metric="l2")[1]]
    before = recall(idx.search(q, 10)[1], truth)
    assert idx.consolidate() == 600 and len(idx) == 2400 and idx.n_deleted == 0
    assert idx.graph.shape == (2400, 32) and idx.graph.max() < 2400
    after = recall(idx.search(q, 10)[1], truth)
    assert after >= 0.99 and after >= before - 0.01  # measured: 1.0 before and after
    assert np.array_equal(np.sort(idx.ids), live)
    with pytest.raises(ValueError, match="not in the index"):
        idx.remove(gone[:3])
    idx.add(x[gone], ids=gone)  # add after remove: the ids are free again
    d, i = idx.search(x[gone[:50]], 1)
    assert np.array_equal(i[:, 0], gone[:50]) and np.all(d[:, 0] == 0)
    assert len(idx) == 3000 and idx.next_id == 3000


def test_remove_everything_then_add():
    x = clustered(200, 8, 9)
    idx = GraphIndex(8, codes="flat", seed=0).build(x)
    idx.remove(idx.ids)
    assert np.all(idx.search(x[:2], 3)[1] == -1)
    idx.consolidate()
    assert len(idx) == 0 and idx.graph.shape == (0, 32)
    idx.add(x[:50])
    assert np.array_equal(idx.search(x[:5], 1)[1][:, 0], np.arange(200, 205))


def test_same_seed_same_graph_on_any_thread_count():
    x = clustered(1500, 16, 4)
    graphs = []
    prev = numba.get_num_threads()
    try:
        for threads in (1, prev, 1):
            numba.set_num_threads(threads)
            idx = GraphIndex(16, seed=3).build(x[:1000])
            idx.add(x[1000:])
            graphs.append(idx.graph.copy())
    finally:
        numba.set_num_threads(prev)
    assert all(np.array_equal(graphs[0], g) for g in graphs[1:])
    other = GraphIndex(16, seed=4).build(x[:1000]).graph
    assert not np.array_equal(other, graphs[0][:1000])
    deg = (graphs[0] >= 0).sum(1)
    assert deg.max() <= 32 and deg.min() >= 1


# ----------------------------------------------------------------------------- files


def test_save_load_and_mmap_give_identical_results(tmp_path):
    x, q = clustered(1000, 16, 11), clustered(50, 16, 12)
    idx = GraphIndex(16, metric="cosine", seed=2).build(x)
    idx.remove([3, 4, 5])
    idx.beam = 40
    path = tmp_path / "graph.hdvec"
    idx.save(path)
    mask = np.arange(1000) % 3 == 0
    want, want_f = idx.search(q, 10), idx.search(q, 10, filter=mask)
    for mmap in (False, True):
        back = GraphIndex.load(path, mmap=mmap)
        assert repr(back) == repr(idx) and back.beam == 40 and back.alpha == idx.alpha and back.seed == idx.seed
        assert np.array_equal(back.graph, idx.graph) and np.array_equal(back.ids, idx.ids)
        for got, exp in ((back.search(q, 10), want), (back.search(q, 10, filter=mask), want_f)):
            assert np.array_equal(got[0], exp[0]) and np.array_equal(got[1], exp[1])
    back.add(x[:10] + 1)  # the mapped arrays are read-only: writes work on copies
    back.remove([0])
    assert len(back) == len(idx) + 9


def test_flat_round_trip(tmp_path):
    x = clustered(300, 8, 13)
    idx = GraphIndex(8, metric="ip", codes="flat", degree=8, seed=0).build(x)
    idx.save(tmp_path / "flat.hdvec")
    back = GraphIndex.load(tmp_path / "flat.hdvec")
    assert np.array_equal(back.search(x[:20], 5)[1], idx.search(x[:20], 5)[1])


BAD = [
    ("graph", lambda m, a: a["graph"].__setitem__((0, 0), 40)),  # a row past n
    ("graph", lambda m, a: a["graph"].__setitem__((1, 0), -2)),
    ("graph", lambda m, a: a.__setitem__("graph", a["graph"].astype(np.int64))),
    ("graph", lambda m, a: a.__setitem__("graph", a["graph"][:, :4].copy())),
    ("ids", lambda m, a: a["ids"].__setitem__(1, a["ids"][0])),
    ("ids", lambda m, a: a["ids"].__setitem__(0, -5)),
    ("vectors", lambda m, a: a["vectors"].__setitem__((2, 3), np.nan)),
    ("vectors", lambda m, a: a.__setitem__("vectors", a["vectors"][:, :5].copy())),
    ("lvq_codes", lambda m, a: a.__setitem__("lvq_codes", a["lvq_codes"][:30].copy())),
    ("lvq_lo", lambda m, a: a["lvq_lo"].__setitem__(0, np.inf)),
    ("deleted", lambda m, a: a.__setitem__("deleted", a["deleted"].astype(np.uint8))),
    ("mean", lambda m, a: a.pop("mean")),
    ("entry", lambda m, a: m.__setitem__("entry", 40)),
    ("next_id", lambda m, a: m.__setitem__("next_id", 10)),
    ("alpha", lambda m, a: m.__setitem__("alpha", 0.5)),
    ("metric", lambda m, a: m.__setitem__("metric", "hamming")),
    ("degree", lambda m, a: m.__setitem__("degree", 0)),
]


@pytest.mark.parametrize("field, edit", BAD)
def test_crafted_files_raise_format_error_naming_the_field(tmp_path, field, edit):
    x = clustered(40, 8, 14)
    GraphIndex(8, degree=6, seed=0).build(x).save(tmp_path / "good.hdvec")
    meta, arrays = read_arrays(tmp_path / "good.hdvec")
    edit(meta, arrays)
    bad = tmp_path / "bad.hdvec"
    write_arrays(bad, meta, arrays)  # valid checksums: only the structure is wrong
    with pytest.raises(FormatError, match=field) as err:
        GraphIndex.load(bad)
    assert str(bad) in str(err.value)


def test_other_and_truncated_files(tmp_path):
    from hdvec.index import Index

    flat = Index(8, spec="Flat")
    flat.add(clustered(10, 8, 15))
    flat.save(tmp_path / "index.hdvec")
    with pytest.raises(FormatError, match="GraphIndex"):
        GraphIndex.load(tmp_path / "index.hdvec")
    GraphIndex(8, seed=0).build(clustered(30, 8, 16)).save(tmp_path / "g.hdvec")
    data = (tmp_path / "g.hdvec").read_bytes()
    (tmp_path / "cut.hdvec").write_bytes(data[: len(data) // 2])
    with pytest.raises(FormatError, match="cut.hdvec"):
        GraphIndex.load(tmp_path / "cut.hdvec")


# ----------------------------------------------------------------------------- arguments


@pytest.mark.parametrize("kwargs, exc, name", [
    ({"dim": 0}, ValueError, "dim"),
    ({"dim": 8, "metric": "hamming"}, ValueError, "metric"),
    ({"dim": 8, "degree": 0}, ValueError, "degree"),
    ({"dim": 8, "degree": 5000}, ValueError, "degree"),
    ({"dim": 8, "degree": True}, TypeError, "degree"),
    ({"dim": 8, "build_beam": 0}, ValueError, "build_beam"),
    ({"dim": 8, "alpha": 0.5}, ValueError, "alpha"),
    ({"dim": 8, "alpha": float("nan")}, ValueError, "alpha"),
    ({"dim": 8, "alpha": "1.2"}, TypeError, "alpha"),
    ({"dim": 8, "codes": "pq"}, ValueError, "codes"),
    ({"dim": 8, "seed": "x"}, TypeError, "seed"),
])
def test_constructor_errors(kwargs, exc, name):
    dim = kwargs.pop("dim")
    with pytest.raises(exc, match=name):
        GraphIndex(dim, **kwargs)


def test_method_errors():
    x = clustered(100, 8, 17)
    idx = GraphIndex(8, seed=0)
    bad_x = x.copy()
    bad_x[3, 2] = np.inf
    for args, exc, name in [((x[:, :5],), ValueError, "x"), ((bad_x,), ValueError, "x"),
                            ((x.astype(str),), TypeError, "x")]:
        with pytest.raises(exc, match=name):
            idx.build(*args)
    idx.build(x)
    for call, exc, name in [
        (lambda: idx.search(x[:2, :5], 3), ValueError, "q"),
        (lambda: idx.search(x[:2], 0), ValueError, "k"),
        (lambda: idx.search(x[:2], 2.5), TypeError, "k"),
        (lambda: idx.search(x[:2], 5, beam=0), ValueError, "beam"),
        (lambda: idx.search(x[:2], 5, beam=3), ValueError, "beam"),
        (lambda: idx.search(x[:2], 5, beam=7.5), TypeError, "beam"),
        (lambda: idx.add(x[:2], ids=[5, 500]), ValueError, "ids"),  # 5 is taken
        (lambda: idx.add(x[:2], ids=[500, 500]), ValueError, "ids"),
        (lambda: idx.add(x[:2], ids=[-1, 500]), ValueError, "ids"),
        (lambda: idx.add(x[:2], ids=[500]), ValueError, "ids"),
        (lambda: idx.remove([0.5]), TypeError, "ids"),
        (lambda: idx.remove([100]), ValueError, "ids"),
        (lambda: setattr(idx, "beam", 0), ValueError, "beam"),
    ]:
        with pytest.raises(exc, match=name):
            call()
    assert len(idx) == 100 and idx.remove([]) == 0


def test_searches_from_threads_while_another_writes():
    x = clustered(2000, 16, 18)
    idx = GraphIndex(16, seed=0).build(x[:1000])
    q = x[:40]
    want = idx.search(q, 5)
    errors, removed = [], set()

    def reader():
        try:
            for _ in range(30):
                seen = set(removed)  # removed before this search began: must not come back
                got = idx.search(q, 5)[1]
                assert not seen & set(got.ravel().tolist())
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=reader) for _ in range(2)]
    for t in threads:
        t.start()
    for j in range(5):
        idx.add(x[1000 + 200 * j : 1200 + 200 * j])
        gone = np.arange(500 + 20 * j, 520 + 20 * j)
        idx.remove(gone)
        removed.update(gone.tolist())
    for t in threads:
        t.join()
    assert not errors, errors
    assert not np.array_equal(idx.search(q, 5)[1], want)  # the writes happened
