"""Encoding on Dask workers gives byte-identical vectors to local encoding."""

import pickle

import numpy as np
import pytest

distributed = pytest.importorskip("distributed", reason="pip install 'hdvec[distributed]'")
db = pytest.importorskip("dask.bag")

from hdvec import hdc
from hdvec.encoders import FunctionEncoder, JSONEncoder, NGramEncoder, TokenEncoder
from hdvec.encoders.distributed import encode_bag

TEXTS = [f"record {i}: the quick brown fox {'jumps' * (i % 3)} over {i * 7} lazy dogs" for i in range(300)]
RECORDS = [{"id": i, "name": f"item {i}", "tags": ["a", "b"][: i % 3], "price": i * 1.5} for i in range(300)]


@pytest.fixture(scope="module")
def client():
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
                                  silence_logs=40) as cluster, distributed.Client(cluster) as c:
        yield c


@pytest.mark.parametrize("make", [lambda: NGramEncoder(hdc.BSC(1024, seed=0), n=3),
                                  lambda: NGramEncoder(hdc.MAP(512, seed=1), n=2),
                                  lambda: TokenEncoder(hdc.HRR(256, seed=2), mode="sequence"),
                                  lambda: JSONEncoder(512, seed=3)], ids=["ngram-bsc", "ngram-map", "token-hrr",
                                                                          "json"])
def test_distributed_encoding_is_byte_identical(client, make):
    items = RECORDS if "JSON" in repr(make()) else TEXTS
    local = make().encode_batch(items)
    bag = db.from_sequence(items, npartitions=7)
    arr = encode_bag(make(), bag)
    assert arr.shape == local.shape and arr.dtype == local.dtype
    remote = arr.compute()
    assert remote.tobytes() == local.tobytes()
    # the plain map_partitions form, documented for users, gives the same bytes
    enc = make()
    parts = bag.map_partitions(lambda p: [enc.encode_batch(list(p))]).compute()
    assert np.concatenate(parts).tobytes() == local.tobytes()


def test_function_encoder_pairs_and_pickling(client):
    f = FunctionEncoder(256, seed=0)
    x = np.linspace(0, 1, 20)
    pairs = [(x, np.sin(k * x)) for k in range(10)]
    local = f.encode_batch([p[0] for p in pairs], [p[1] for p in pairs])
    remote = encode_bag(f, db.from_sequence(pairs, npartitions=3)).compute()
    assert remote.tobytes() == local.tobytes()
    g = pickle.loads(pickle.dumps(NGramEncoder(hdc.BSC(512, seed=5))))
    np.testing.assert_array_equal(g.encode_batch(TEXTS[:5]), NGramEncoder(hdc.BSC(512, seed=5)).encode_batch(TEXTS[:5]))


def test_encode_bag_rejects_bad_input():
    with pytest.raises(TypeError, match="`bag` must be a dask.bag.Bag"):
        encode_bag(NGramEncoder(hdc.BSC(64, seed=0)), ["a"])
    with pytest.raises(TypeError, match="`encoder` must be an hdvec encoder"):
        encode_bag(object(), db.from_sequence(["a"]))
