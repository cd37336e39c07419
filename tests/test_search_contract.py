"""hdvec's search contract (``hdvec.hdc.search``), tested as a table over every search entry point.

Every entry point returns ``(distances, ids)``: float32 lower-is-better distances
sorted ascending, int64 ids, ``(nq, k)`` for ``(nq, w)`` queries and ``(k,)`` for
one ``(w,)`` query, ``(inf, -1)`` padding when ``k`` exceeds the items, NumPy in
-> NumPy out and torch in -> torch out on the queries' device. Entry points
that compute the same thing under two names agree exactly.
"""

import tracemalloc

import numpy as np
import pytest

from hdvec import hdc
from hdvec.index import GraphIndex, Index, ShardedIndex, knn, knn_hamming

N, D, BITS = 40, 16, 256
RNG = np.random.default_rng(0)
FLOATS = RNG.standard_normal((N, D)).astype(np.float32)
WORDS = hdc.BSC(BITS, seed=0).random(N, seed=1)
K = N + 3  # more than there are items: the tail is padding


def _index(spec, metric="l2"):
    data = WORDS if metric == "hamming" else FLOATS
    idx = Index(BITS if metric == "hamming" else D, metric=metric, spec=spec, seed=0)
    if idx.spec.needs_training:
        idx.train(data)
    idx.add(data)
    return idx


@pytest.fixture(scope="module")
def dask_client():
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=False, dashboard_address=None) as c, \
            distributed.Client(c) as client:
        yield client


def _sharded(client):
    sh = ShardedIndex(D, spec="IVF4,Flat", n_shards=2, client=client, seed=0)
    sh.train(FLOATS)
    sh.add(FLOATS)
    return sh


MAP = hdc.MAP(D, seed=0)
BSC = hdc.BSC(BITS, seed=0)
MEM_BSC = hdc.ItemMemory(BSC)
MEM_BSC.add(list(range(N)), WORDS)

# name -> (queries data, function(queries, k, client) -> results, number of items)
ENTRY_POINTS = {
    "hdc.knn[BSC]": (WORDS, lambda q, k, c: hdc.knn(BSC, q, _like(WORDS, q), k)),
    "hdc.knn[MAP]": (FLOATS, lambda q, k, c: hdc.knn(MAP, q, _like(FLOATS, q), k)),
    "Model.cleanup": (FLOATS, lambda q, k, c: MAP.cleanup(q, _like(FLOATS, q), k)),
    "ItemMemory.cleanup": (WORDS, lambda q, k, c: MEM_BSC.cleanup(q, k)),
    "index.knn[l2]": (FLOATS, lambda q, k, c: knn(q, FLOATS, k)),
    "index.knn[ip]": (FLOATS, lambda q, k, c: knn(q, FLOATS, k, metric="ip")),
    "index.knn[cosine]": (FLOATS, lambda q, k, c: knn(q, FLOATS, k, metric="cosine")),
    "index.knn_hamming": (WORDS, lambda q, k, c: knn_hamming(q, WORDS, k)),
    "Index.search[Flat]": (FLOATS, lambda q, k, c: _index("Flat").search(q, k)),
    "Index.search[IVF,LVQ8,Rerank]": (FLOATS, lambda q, k, c: _index("IVF4,LVQ8,Rerank").search(q, k, nprobe=4)),
    "Index.search[IVF,PQ,Rerank]": (FLOATS, lambda q, k, c: _index("IVF4,PQ,Rerank").search(q, k, nprobe=4)),
    "Index.search[cosine]": (FLOATS, lambda q, k, c: _index("Flat", "cosine").search(q, k)),
    "Index.search[hamming]": (WORDS, lambda q, k, c: _index("Flat", "hamming").search(q, k)),
    "Index.search[filter]": (FLOATS, lambda q, k, c: _index("IVF4,Flat").search(q, k, filter=np.arange(N))),
    "GraphIndex.search": (FLOATS, lambda q, k, c: _graph().search(q, k)),
    "Index.search_preassigned": (FLOATS, lambda q, k, c: _preassigned(q, k)),
    "ShardedIndex.search": (FLOATS, lambda q, k, c: _sharded(c).search(q, k, nprobe=4)),
}


def _like(items, q):
    """Items on the queries' backend."""
    if isinstance(q, np.ndarray):
        return items
    torch = pytest.importorskip("torch")

    return torch.from_numpy(items).to(q.device)


def _graph():
    idx = GraphIndex(D, degree=8, build_beam=32, seed=0)
    idx.build(FLOATS)
    return idx


def _preassigned(q, k):
    idx = _index("IVF4,Flat")
    lists = np.tile(np.arange(4), (1 if getattr(q, "ndim", 2) == 1 else q.shape[0], 1))
    return idx.search_preassigned(q, k, lists)


def _numpy(x):
    return x if isinstance(x, np.ndarray) else x.detach().cpu().numpy()


@pytest.mark.parametrize("name", list(ENTRY_POINTS))
def test_every_search_entry_point_follows_the_contract(name, backend, request):
    data, search = ENTRY_POINTS[name]
    client = request.getfixturevalue("dask_client") if name.startswith("Sharded") else None
    q2 = data[:3]
    if backend is not None:
        torch = pytest.importorskip("torch")

        q2 = torch.from_numpy(data[:3]).to(backend)
    for q, shape in ((q2, (3, K)), (q2[1], (K,))):
        d, i = search(q, K, client)
        if backend is None:
            assert isinstance(d, np.ndarray) and isinstance(i, np.ndarray), name
        else:
            assert not isinstance(d, np.ndarray) and d.device == q.device and i.device == q.device, name
        d, i = _numpy(d), _numpy(i)
        assert d.dtype == np.float32 and i.dtype == np.int64, (name, d.dtype, i.dtype)
        assert d.shape == shape and i.shape == shape, (name, d.shape, shape)
        d2, i2 = d.reshape(-1, K), i.reshape(-1, K)
        assert np.all(d2[:, 1:] >= d2[:, :-1]), name  # ascending: lower is better
        assert np.all(i2[:, N:] == -1) and np.all(np.isinf(d2[:, N:])), name  # padding
        assert np.all(i2[:, :N] >= 0) and np.all(np.isfinite(d2[:, :N])), name
        if not name.endswith("[ip]"):  # every other distance puts a stored query at the top
            first = np.arange(3) if d.ndim == 2 else np.array([1])
            np.testing.assert_array_equal(i2[:, 0], first, err_msg=name)
    one, batch = search(q2[1], K, client), search(q2, K, client)
    np.testing.assert_array_equal(_numpy(one[1]), _numpy(batch[1])[1], err_msg=name)  # 1-D = row of the batch


def test_entry_points_computing_the_same_thing_agree():
    q = FLOATS[:5] + 0.1
    for a, b in [(hdc.knn(MAP, q, FLOATS, 7), knn(q, FLOATS, 7, metric="cosine")),
                 (knn(q, FLOATS, 7), _index("Flat").search(q, 7)),
                 (knn(q, FLOATS, 7, metric="ip"), _index("Flat", "ip").search(q, 7))]:
        np.testing.assert_array_equal(a[1], b[1])
        np.testing.assert_allclose(a[0], b[0], rtol=1e-5, atol=1e-5)
    w = WORDS[:5] ^ np.uint64(1)
    runs = [hdc.knn(BSC, w, WORDS, 7), knn_hamming(w, WORDS, 7), MEM_BSC.cleanup(w, 7),
            _index("Flat", "hamming").search(w, 7), BSC.cleanup(w, WORDS, 7)]
    for other in runs[1:]:
        np.testing.assert_array_equal(runs[0][0], other[0])
        np.testing.assert_array_equal(runs[0][1], other[1])


def test_an_empty_memory_or_index_gives_padding_not_an_error():
    d, i = hdc.ItemMemory(BSC).cleanup(WORDS[:2], 3)
    assert i.tolist() == [[-1] * 3] * 2 and np.isinf(d).all()
    idx = Index(D, spec="Flat")
    idx.add(FLOATS[:1])
    idx.remove([0])
    d, i = idx.search(FLOATS[0], 2)
    assert i.tolist() == [-1, -1] and np.isinf(d).all()


@pytest.mark.parametrize("name", list(ENTRY_POINTS))
def test_a_k_far_beyond_the_items_is_refused_before_anything_is_allocated(name, request):
    data, search = ENTRY_POINTS[name]
    client = request.getfixturevalue("dask_client") if name.startswith("Sharded") else None
    search(data[:3], 8, client)  # compile and warm caches outside the measurement
    tracemalloc.start()
    try:
        with pytest.raises(ValueError, match=r"`k` = 1000000000 .* only 40 items"):
            search(data[:3], 10**9, client)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 8 << 20, (name, peak)  # padded results would be 36 GB


@pytest.mark.parametrize("name", [n for n in ENTRY_POINTS if not n.startswith("Sharded")])
def test_the_work_for_a_large_k_is_sized_by_the_items_not_by_k(name):
    data, search = ENTRY_POINTS[name]
    k = 1 << 20  # 3 x 2**20 padded results: 12 MB; any (nq, k) scratch besides them shows in the peak
    search(data[:3], 8, None)  # compile and warm caches outside the measurement
    tracemalloc.start()
    try:
        _, i = search(data[:3], k, None)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert i.shape == (3, k) and np.all(i[:, N:] == -1) and np.all(i[:, :N] >= 0), name
    assert peak < 3 * 12 * k + (2 << 20), (name, peak / 2**20)
