"""JSONEncoder resource bounds: leaf vectors built in blocks (bytes independent of the block size and of the
batch), memory that does not grow with leaves x dim, max_leaves, and shared references."""

import time
import tracemalloc

import numpy as np
import pytest

import hdvec.encoders.json as J
from hdvec.encoders import JSONEncoder

RECORDS = [
    {"a": {"b": [1, 2.5, {"c": "xyz", "d": [True, None]}]}, "e": "hello", "f": [0.25 * i for i in range(40)]},
    {"xs": list(range(700)), "z": {"q": "w", "r": []}},
    [[1, [2, [3]]], {}],
    "a string",
    -5.0,
]


@pytest.mark.parametrize("arrays", ["ordered", "bag"])
def test_a_record_gets_the_same_bytes_whatever_the_block_size_or_batch(arrays, monkeypatch):
    whole = JSONEncoder(512, seed=3, arrays=arrays).encode_batch(RECORDS)
    monkeypatch.setattr(J, "_BLOCK_BYTES", 7 * 4 * 512)  # 7 leaves per block: every record spans blocks
    enc = JSONEncoder(512, seed=3, arrays=arrays)
    np.testing.assert_array_equal(enc.encode_batch(RECORDS), whole)
    np.testing.assert_array_equal(np.stack([enc.encode(r) for r in RECORDS]), whole)
    np.testing.assert_array_equal(enc.encode_batch(RECORDS[::-1])[::-1], whole)


def _peak(enc, record):
    enc.encode({"w": [1, "x", True]})  # compile and warm outside the measurement
    tracemalloc.start()
    try:
        v = enc.encode(record)
        return tracemalloc.get_traced_memory()[1], v
    finally:
        tracemalloc.stop()


def test_a_long_list_encodes_in_blocks_with_memory_independent_of_its_length():
    dim = 1024
    small, _ = _peak(JSONEncoder(dim, seed=0, arrays="bag"), {"xs": list(range(5_000))})
    peak, v = _peak(JSONEncoder(dim, seed=0, arrays="bag"), {"xs": list(range(50_000))})
    assert np.isfinite(v).all() and abs(np.linalg.norm(v) - 1) < 1e-5
    # all 50,000 leaf vectors at once would be 205 MB; one block is 16 MB
    assert peak < 2 * J._BLOCK_BYTES + 24 * 2**20, peak / 2**20
    assert peak < small + 16 * 2**20, (small / 2**20, peak / 2**20)


def test_an_ordered_list_applies_one_role_per_position_and_shares_the_outer_roles(monkeypatch):
    monkeypatch.setattr(J, "_ROLE_CACHE_BYTES", 1 << 20)
    monkeypatch.setattr(J, "_BLOCK_BYTES", 1 << 20)
    enc = JSONEncoder(256, seed=0)
    small, _ = _peak(enc, {"xs": list(range(1_000))})
    peak, _ = _peak(enc, {"xs": list(range(10_000))})
    assert peak < small + 8 * 2**20, (small / 2**20, peak / 2**20)  # leaves x dim would be 10 MB more
    # the role product per leaf is the same as binding level by level
    x = enc.encode({"xs": [7.0]})
    m = enc.model
    inner = enc._number_features(np.array([7.0]))[0]
    expect = m.bind(m.bind(inner, m.role("[0]")), m.role("key:xs"))
    np.testing.assert_allclose(x, expect / np.linalg.norm(expect), atol=1e-6)


def test_a_megabyte_string_encodes_with_bounded_memory():
    peak, v = _peak(JSONEncoder(1024, seed=0), {"s": "a" * 10**6})
    assert np.isfinite(v).all()
    assert peak < 32 * 2**20, peak / 2**20  # measured 27 MB: 1e6 term rows and weights, not 1e6 keys


def test_max_leaves_rejects_a_record_before_its_vectors_are_computed():
    enc = JSONEncoder(256, seed=0, max_leaves=1_000)
    enc.encode({"xs": list(range(999))})
    with pytest.raises(ValueError, match=r"max_leaves=1000 .* at \$\.xs"):
        enc.encode({"xs": list(range(1_001))})
    with pytest.raises(ValueError, match=r"max_leaves=1000 .* in objs\[1\]"):
        enc.encode_batch([{"a": 1}, [[0] * 600, [1] * 600]])


def test_shared_references_count_once_per_appearance_and_an_explosion_is_refused_quickly():
    a = [1.0, "x"]
    shared = {"p": a, "q": a}
    copied = {"p": [1.0, "x"], "q": [1.0, "x"]}
    enc = JSONEncoder(512, seed=0)
    np.testing.assert_array_equal(enc.encode(shared), enc.encode(copied))
    bomb: list = [0]
    for _ in range(40):
        bomb = [bomb, bomb]  # 2**40 leaves
    start = time.perf_counter()
    with pytest.raises(ValueError, match="max_leaves=100000"):
        JSONEncoder(256, seed=0).encode(bomb)
    assert time.perf_counter() - start < 30  # refused while walking, long before 2**40 leaves


@pytest.mark.parametrize("bad", [0, -1, 2.5, True, "10"])
def test_max_leaves_must_be_a_positive_int(bad):
    with pytest.raises(ValueError, match="max_leaves"):
        JSONEncoder(64, max_leaves=bad)


def test_the_path_table_lives_for_one_batch():
    enc = JSONEncoder(256, seed=0)
    enc.encode_batch([{f"k{i}": [i, {"deep": i}]} for i in range(600)])  # 2,400 distinct paths
    assert not any(isinstance(v, dict) and len(v) > 1000 for v in vars(enc).values() if v is not enc._roles)
