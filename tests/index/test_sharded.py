"""ShardedIndex on a 2-worker LocalCluster: the same answers as one Index, routing, faults, persistence."""

import os
import signal
import time

import numpy as np
import pytest

distributed = pytest.importorskip("distributed", reason="pip install 'hdvec[distributed]'")
da = pytest.importorskip("dask.array")

from hdvec import hdc
from hdvec._io import FormatError
from hdvec.index import Index, ShardedIndex, knn

RNG = np.random.default_rng(5)
CENTRES = RNG.standard_normal((30, 16)).astype(np.float32) * 4
XB = (CENTRES[RNG.integers(0, 30, 4000)] + RNG.standard_normal((4000, 16))).astype(np.float32)
XQ = (CENTRES[RNG.integers(0, 30, 60)] + RNG.standard_normal((60, 16))).astype(np.float32)
YEAR = RNG.integers(1950, 2020, 4000)


@pytest.fixture(scope="module")
def client():
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
                                  silence_logs=40) as cluster, distributed.Client(cluster) as c:
        yield c


def _pair(client, spec, metric="l2", xb=XB, layout="cell", n_shards=3, attrs=False):
    one = Index(xb.shape[1] if metric != "hamming" else 512, metric=metric, spec=spec, seed=0)
    sh = ShardedIndex(one.dim, metric=metric, spec=spec, seed=0, n_shards=n_shards, client=client, layout=layout)
    if one.spec.needs_training:
        one.train(xb)
        sh.train(xb)
    a = {"year": YEAR[: len(xb)]} if attrs else None
    one.add(xb, attributes=a)
    sh.add(xb, attributes=a)
    return one, sh


@pytest.mark.parametrize("layout", ["cell", "round-robin"])
def test_exact_spec_gives_the_same_results_as_one_index(client, layout):
    one, sh = _pair(client, "IVF8,Flat", layout=layout)
    sh.nprobe = one.nprobe = 8  # every list: exact
    d1, i1 = one.search(XQ, 10)
    d2, i2 = sh.search(XQ, 10)
    np.testing.assert_array_equal(i2, i1)
    np.testing.assert_array_equal(d2, d1)
    _, truth = knn(XQ, XB, 10)
    np.testing.assert_array_equal(i2, truth)
    assert len(sh) == 4000 and sum(sh.counts) == 4000 and "n_shards=3" in repr(sh)


def test_hamming_flat_is_exact(client):
    m = hdc.BSC(512, seed=0)
    xb = m.random(3000, seed=1)
    xq = m.random(20, seed=2)
    one, sh = _pair(client, "Flat", metric="hamming", xb=xb)
    d1, i1 = one.search(xq, 10)
    d2, i2 = sh.search(xq, 10)
    np.testing.assert_array_equal(d2, d1)
    np.testing.assert_array_equal(i2, i1)  # ties: lower id = lower row for consecutive default ids


def _recall(ids, truth):
    return np.mean([len(set(a) & set(b)) / len(b) for a, b in zip(ids, truth)])


def test_approximate_spec_recall_matches_one_index(client):
    one, sh = _pair(client, "IVF16,LVQ8")
    _, truth = knn(XQ, XB, 10)
    r1 = _recall(one.search(XQ, 10, nprobe=2)[1], truth)
    r2 = _recall(sh.search(XQ, 10, nprobe=2)[1], truth)
    assert abs(r1 - r2) <= 0.01, (r1, r2)
    # recall@10 against exact knn: measured 0.993 on this data for both (index seeds 0-1, cell and round-robin
    # layouts); 0.977-0.985 on 4 other data seeds. The bar allows 8 more misses of the 600 true neighbours
    assert r2 >= 0.98 and r1 >= 0.98, (r1, r2)


def test_cell_layout_sends_queries_only_to_owning_shards(client):
    _, sh = _pair(client, "IVF16,Flat", n_shards=4)
    sh.search(XQ, 5, nprobe=1)
    owner_of_query = sh._owner[sh.template.probes(XQ, 1)[:, 0]]
    sent = np.zeros((len(XQ), 4), bool)
    for s, rows in enumerate(sh.last_routing):
        sent[rows, s] = True
    assert sent.sum(1).tolist() == [1] * len(XQ)  # one shard per query with nprobe=1
    np.testing.assert_array_equal(sent.argmax(1), owner_of_query)
    _, rr = _pair(client, "IVF16,Flat", n_shards=4, layout="round-robin")
    rr.search(XQ, 5, nprobe=1)
    assert all(len(rows) == len(XQ) for rows in rr.last_routing)


def test_filters_and_remove(client):
    one, sh = _pair(client, "IVF8,Flat", attrs=True)
    _, i = sh.search(XQ, 10, nprobe=8, filter={"year": (1990, 1990)})  # ~1.4 % of the rows
    allowed = np.flatnonzero(YEAR == 1990)
    assert len(allowed) >= 10 and np.all(np.isin(i, allowed))
    _, truth = knn(XQ, XB[allowed], 10)
    np.testing.assert_array_equal(i, allowed[truth])
    mask = YEAR == 1990  # a boolean mask over the global ids gives the same answer, on every shard
    np.testing.assert_array_equal(sh.search(XQ, 10, nprobe=8, filter=mask)[1], i)
    with pytest.raises(ValueError, match=f"length {len(XB)}"):
        sh.search(XQ, 10, filter=mask[:-1])
    gone = np.unique(one.search(XQ, 3)[1][:, 0])
    assert sh.remove(gone) == len(gone) and len(sh) == 4000 - len(gone)
    assert not np.isin(sh.search(XQ, 10, nprobe=8)[1], gone).any()
    with pytest.raises(ValueError, match="`ids` not in the index"):
        sh.remove([gone[0]])


def test_dask_array_input(client):
    one = Index(16, spec="IVF8,Flat", seed=0)
    one.train(XB)
    one.add(XB)
    sh = ShardedIndex(16, spec="IVF8,Flat", seed=0, client=client)
    sh.train(XB)
    ids = sh.add(da.from_array(XB, chunks=700))
    np.testing.assert_array_equal(ids, np.arange(4000))
    np.testing.assert_array_equal(sh.search(XQ, 10, nprobe=8)[1], one.search(XQ, 10, nprobe=8)[1])
    with pytest.raises(ValueError, match=r"`x` must have shape \(n, 16\)"):
        sh.add(da.zeros((10, 3), chunks=5))
    # ids and attributes as Dask arrays too, chunked differently from the vectors
    sh2 = ShardedIndex(16, spec="IVF8,Flat", seed=0, client=client)
    sh2.train(XB)
    ids = np.arange(4000, dtype=np.int64) * 3 + 1
    sh2.add(da.from_array(XB, chunks=900), ids=da.from_array(ids, chunks=1000),
            attributes={"year": da.from_array(YEAR, chunks=600)})
    _, i = sh2.search(XQ, 10, nprobe=8, filter={"year": (1990, 1995)})
    allowed = np.flatnonzero((YEAR >= 1990) & (YEAR <= 1995))
    _, truth = knn(XQ, XB[allowed], 10)
    np.testing.assert_array_equal(i, ids[allowed[truth]])
    assert sh2.remove(ids[:3]) == 3 and len(sh2) == 3997
    with pytest.raises(ValueError, match="`ids` must be new; id 10 is already in the index"):
        sh2.add(XB[:2], ids=np.array([10, 10**9]))
    with pytest.raises(ValueError, match="`ids` must be unique"):
        sh2.add(XB[:2], ids=np.array([7, 7]))


def test_save_load_and_damaged_shard(client, tmp_path):
    _, sh = _pair(client, "IVF8,LVQ8", attrs=True)
    want = sh.search(XQ, 10, nprobe=3)
    sh.save(tmp_path / "idx")
    back = ShardedIndex.load(tmp_path / "idx", client=client)
    got = back.search(XQ, 10, nprobe=3)
    np.testing.assert_array_equal(got[1], want[1])
    np.testing.assert_array_equal(got[0], want[0])
    mm = ShardedIndex.load(tmp_path / "idx", client=client, mmap=True)
    np.testing.assert_array_equal(mm.search(XQ, 10, nprobe=3)[1], want[1])
    shard = tmp_path / "idx" / "shard-00001.hdvec"
    raw = bytearray(shard.read_bytes())
    raw[len(raw) // 2] ^= 0xFF
    shard.write_bytes(bytes(raw))
    with pytest.raises(FormatError, match="shard-00001.hdvec"):
        ShardedIndex.load(tmp_path / "idx", client=client)
    shard.unlink()
    with pytest.raises(FileNotFoundError, match="shard-00001.hdvec"):
        ShardedIndex.load(tmp_path / "idx", client=client)
    with pytest.raises(FileNotFoundError, match="manifest.json' is missing"):
        ShardedIndex.load(tmp_path / "nothing-here", client=client)
    (tmp_path / "idx" / "manifest.json").write_text("{not json")
    with pytest.raises(FormatError, match="manifest.json' is corrupted"):
        ShardedIndex.load(tmp_path / "idx", client=client)


def _kill_worker_of(client, future):
    who = client.who_has([future])[future.key]
    addr = who[0]
    pid = client.run(os.getpid, workers=[addr])[addr]
    os.kill(pid, signal.SIGKILL)  # the worker process dies; its nanny starts a fresh, empty one
    deadline = time.time() + 30
    while addr in client.scheduler_info()["workers"] and time.time() < deadline:
        time.sleep(0.1)
    return addr


def test_worker_death_same_results_or_named_error(client, tmp_path):
    _, sh = _pair(client, "IVF8,Flat", n_shards=2)
    want = sh.search(XQ, 10, nprobe=8)
    sh.save(tmp_path / "f")
    _kill_worker_of(client, sh._shards[0])
    got = sh.search(XQ, 10, nprobe=8)  # the lost shard is reloaded from its file elsewhere
    np.testing.assert_array_equal(got[1], want[1])
    client.wait_for_workers(2, timeout=60)
    _, unsaved = _pair(client, "IVF8,Flat", n_shards=2)
    unsaved.search(XQ, 10, nprobe=8)
    _kill_worker_of(client, unsaved._shards[0])
    try:
        _, i = unsaved.search(XQ, 10, nprobe=8)
    except RuntimeError as exc:
        assert "were lost with their Dask worker and were never saved" in str(exc)
        print("unsaved shard lost: named error")
    else:  # Dask recomputed the shard from its task graph: then the answer must be complete and equal
        np.testing.assert_array_equal(i, want[1])
        print("unsaved shard lost: recomputed by Dask")
    client.wait_for_workers(2, timeout=60)


def test_no_client_and_bad_arguments(client, monkeypatch):
    def no_client():
        raise ValueError("No clients found")

    monkeypatch.setattr(distributed, "get_client", no_client)
    with pytest.raises(ValueError, match="`client` is None and there is no current Dask client"):
        ShardedIndex(16, spec="Flat")
    monkeypatch.undo()
    with pytest.raises(TypeError, match="`client` must be a dask.distributed.Client"):
        ShardedIndex(16, spec="Flat", client="tcp://x")
    with pytest.raises(ValueError, match="`spec` is required"):
        ShardedIndex(16, client=client)
    with pytest.raises(ValueError, match="`layout` must be one of"):
        ShardedIndex(16, spec="IVF4,Flat", client=client, layout="random")
    sh = ShardedIndex(16, spec="IVF4,Flat", client=client)
    with pytest.raises(ValueError, match="must be trained first"):
        sh.add(XB)
    with pytest.raises(ValueError, match="empty and untrained"):
        sh.search(XQ, 3)


def _resealed(doc):
    """The manifest with its checksum recomputed, as a tool that knows the format could write it."""
    from hdvec.index import manifest

    body = {k: v for k, v in doc.items() if k != "sha256"}
    return {**body, "sha256": manifest._digest(body)}


@pytest.mark.parametrize("change, field, reseal", [
    (lambda d: d["owner"].__setitem__(0, 1 - d["owner"][0]), "sha256", False),  # one digit: no longer silent
    (lambda d: d["owner"].__setitem__(0, 7), "owner", True),
    (lambda d: d.__setitem__("owner", d["owner"][:3]), "owner", True),
    (lambda d: d["shards"][0].__setitem__("file", "../escape.hdvec"), r"shards\[0\].file", True),
    (lambda d: d["shards"][1].__setitem__("file", "/etc/passwd"), r"shards\[1\].file", True),
    (lambda d: d.__setitem__("n_shards", "2"), "n_shards", True),
    (lambda d: d.__setitem__("layout", "diagonal"), "layout", True),
    (lambda d: d["shards"][0].__setitem__("count", -1), r"shards\[0\].count", True),
])
def test_a_changed_manifest_raises_format_error_naming_the_field(client, tmp_path, change, field, reseal):
    import json

    _, sh = _pair(client, "IVF8,Flat")
    sh.save(tmp_path / "idx")
    path = tmp_path / "idx" / "manifest.json"
    doc = json.loads(path.read_text())
    change(doc)
    path.write_text(json.dumps(_resealed(doc) if reseal else doc))
    with pytest.raises(FormatError, match=f"manifest.json' is corrupted: field '{field}'"):
        ShardedIndex.load(tmp_path / "idx", client=client)
