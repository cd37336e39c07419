import itertools
import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from hdvec import hdc
from hdvec.encoders import JSONEncoder
from hdvec.encoders.json import parse_path

D = 10_000


@pytest.fixture(scope="module")
def enc():
    return JSONEncoder(D, seed=0)


def cos(a, b):
    return float(np.dot(a, b) / (np.linalg.norm(a) * np.linalg.norm(b)))


def test_similarity_falls_monotonically_as_records_share_fewer_fields(enc):
    n = 12
    base = {f"field{i}": f"value number {i}" if i % 3 else i * 100 for i in range(n)}
    sims = []
    for shared in range(n, -1, -1):
        other = {k: (v if i < shared else f"changed {i * 7919}" if i % 3 else -5000 - i)
                 for i, (k, v) in enumerate(base.items())}
        sims.append(cos(enc.encode(base), enc.encode(other)))
    assert sims[0] == pytest.approx(1.0, abs=1e-6)
    assert all(a > b for a, b in itertools.pairwise(sims)), sims
    # graded: about shared / n, within noise of a few / sqrt(D)
    for shared, s in zip(range(n, -1, -1), sims):
        assert abs(s - shared / n) < 0.08, (shared, s)


def test_soft_strings_and_numbers(enc):
    jon, john, mary = (enc.encode({"name": v}) for v in ("Jon", "John", "Mary"))
    assert cos(jon, john) > cos(jon, mary) + 0.15
    assert cos(enc.encode(41), enc.encode(42)) > cos(enc.encode(41), enc.encode(900)) + 0.4
    assert abs(cos(enc.encode(41), enc.encode(42)) - math.exp(-0.5)) < 0.05  # the Gaussian kernel, scale 1
    exact = JSONEncoder(D, seed=0, strings="exact", numbers="exact")
    assert abs(cos(exact.encode("Jon"), exact.encode("John"))) < 0.05
    assert abs(cos(exact.encode(41), exact.encode(42))) < 0.05
    np.testing.assert_array_equal(exact.encode(41), exact.encode(41.0))
    scaled = JSONEncoder(D, seed=0, number_scale={"budget": 1e6})
    assert cos(scaled.encode({"budget": 41e6}), scaled.encode({"budget": 42e6})) > 0.5
    assert abs(cos(scaled.encode({"other": 41e6}), scaled.encode({"other": 42e6}))) < 0.05


def test_nesting_is_non_commutative_and_key_order_free(enc):
    a, b = enc.encode({"a": {"b": 1}}), enc.encode({"b": {"a": 1}})
    assert abs(cos(a, b)) < 4 / math.sqrt(D)
    x = enc.encode({"k1": "x", "k2": [1, 2], "k3": {"z": None, "y": True}})
    y = enc.encode({"k3": {"y": True, "z": None}, "k2": [1, 2], "k1": "x"})
    np.testing.assert_allclose(x, y, atol=1e-6)
    np.testing.assert_allclose(np.linalg.norm(x), 1.0, atol=1e-5)


def test_arrays_ordered_or_bag():
    ordered = JSONEncoder(4096, seed=1)
    bag = JSONEncoder(4096, seed=1, arrays="bag")
    assert cos(ordered.encode([1, "a", True]), ordered.encode([True, "a", 1])) < 0.4
    np.testing.assert_allclose(bag.encode([1, "a", True]), bag.encode([True, "a", 1]), atol=1e-6)
    assert cos(bag.encode({"tags": ["x", "y"]}), bag.encode({"tags": ["y", "z"]})) > 0.3


def test_query_recovers_values_from_records_of_20_fields(enc):
    rng = np.random.default_rng(7)
    words = [f"{w}{i}" for i in range(40) for w in ("alpha", "bravo")]
    numbers = list(range(0, 2000, 10))
    hits = total = 0
    for r in range(6):
        rec = {}
        for f in range(20):
            kind = f % 4
            rec[f"f{f}"] = (str(rng.choice(words)) if kind == 0 else int(rng.choice(numbers)) if kind == 1
                            else bool(rng.integers(2)) if kind == 2 else {"inner": str(rng.choice(words))})
        v = enc.encode(rec)
        for key, value in rec.items():
            if isinstance(value, dict):
                path, value, pool = f"{key}.inner", value["inner"], words
            else:
                path, pool = key, words if isinstance(value, str) else numbers if isinstance(value, int) and not \
                    isinstance(value, bool) else [True, False, None]
            sims, idx = enc.query(v, path, pool)
            assert sims.shape == (len(pool),) and np.all(np.diff(sims) <= 0)
            hits += pool[idx[0]] == value and type(pool[idx[0]]) is type(value)
            total += 1
    assert hits == total
    # a batch of vectors queries at once
    vs = enc.encode_batch([{"a": [1, {"b": "x"}]}, {"a": [2, {"b": "y"}]}])
    sims, idx = enc.query(vs, ["a", 1, "b"], ["x", "y", "z"])
    assert sims.shape == (2, 3)
    np.testing.assert_array_equal(idx[:, 0], [0, 1])


def test_encode_batch_matches_encode_and_is_deterministic():
    recs = [{"a": i, "b": f"s{i}", "c": [i, None]} for i in range(300)]  # more than one chunk
    e1, e2 = JSONEncoder(512, seed=3), JSONEncoder(512, seed=3)
    batch = e1.encode_batch(recs, progress=True)
    assert batch.shape == (300, 512) and batch.dtype == np.float32
    np.testing.assert_allclose(batch[257], e2.encode(recs[257]), atol=1e-6)
    assert e2.encode_batch(recs).tobytes() == batch.tobytes()
    assert not np.allclose(JSONEncoder(512, seed=4).encode(recs[0]), batch[0])
    model = hdc.MBAT(256, seed=2)
    assert JSONEncoder(model).encode({"x": 1}).shape == (256,)


def test_bad_input_names_the_path(enc):
    with pytest.raises(ValueError, match=r"got set at \$\.a\[1\]"):
        enc.encode({"a": [1, {2}]})
    with pytest.raises(ValueError, match=r"finite; got nan at \$\.x\.y"):
        enc.encode({"x": {"y": float("nan")}})
    with pytest.raises(ValueError, match=r"finite; got inf"):
        enc.encode([float("inf")])
    with pytest.raises(ValueError, match=r"finite"):
        enc.encode(10**400)
    with pytest.raises(ValueError, match=r"keys must be str; got int key 1 at \$\.a"):
        enc.encode({"a": {1: 2}})
    cyc: dict = {"a": []}
    cyc["a"].append(cyc)
    with pytest.raises(ValueError, match=r"cycle at \$\.a\[0\] in objs\[1\]"):
        enc.encode_batch([{}, cyc])
    deep: list = []
    node = deep
    for _ in range(5000):
        node.append([])
        node = node[0]
    with pytest.raises(ValueError, match="deeper than max_depth=64"):
        enc.encode(deep)
    # no RecursionError however deep, when the limit allows it
    assert np.isfinite(JSONEncoder(256, seed=0, max_depth=10_000).encode(deep)).all()
    shared = [1, 2]
    enc.encode({"x": shared, "y": shared})  # a shared (acyclic) value is fine
    with pytest.raises(TypeError, match="`objs` must be a sequence"):
        enc.encode_batch({"a": 1})
    with pytest.raises(TypeError, match="`model_or_dim`"):
        JSONEncoder("big")
    with pytest.raises(ValueError, match="`arrays`"):
        JSONEncoder(64, arrays="set")
    with pytest.raises(ValueError, match="`number_scale"):
        JSONEncoder(64, number_scale={"a": 0})
    with pytest.raises(ValueError, match="`candidates`"):
        enc.query(enc.encode(1), "a", [])
    with pytest.raises(ValueError, match="arrays='bag'"):
        JSONEncoder(64, arrays="bag").query(np.ones(64, np.float32), "a[0]", [1])
    with pytest.raises(ValueError, match="`vector` must have shape"):
        enc.query(np.ones((1, 1, D), np.float32), "a", [1])


def test_parse_path():
    assert parse_path("a.b[2].c") == ("a", "b", 2, "c")
    assert parse_path("$.a[0][1]") == ("a", 0, 1)
    assert parse_path(["a.b", 3]) == ("a.b", 3)
    assert parse_path("") == ()
    with pytest.raises(ValueError, match="cannot parse"):
        parse_path("a..b")
    with pytest.raises(TypeError, match="steps must be str"):
        parse_path(["a", 1.5])


def _depth(x) -> int:
    if isinstance(x, dict):
        return 1 + max((_depth(v) for v in x.values()), default=0)
    if isinstance(x, list):
        return 1 + max((_depth(v) for v in x), default=0)
    return 0


def _finite(x) -> bool:
    if isinstance(x, dict):
        return all(_finite(v) for v in x.values())
    if isinstance(x, list):
        return all(_finite(v) for v in x)
    return not isinstance(x, float) or math.isfinite(x)


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=5), children, max_size=4),
    max_leaves=20,
)
SMALL = JSONEncoder(256, seed=9, max_depth=3)


@given(JSON)
def test_arbitrary_json_encodes_or_raises_the_documented_error(value):
    ok = _finite(value) and _depth(value) <= 3
    try:
        v = SMALL.encode(value)
    except ValueError as exc:  # the documented error: non-finite number or too deep, naming the path
        assert not ok, exc
        assert "$" in str(exc)
    else:
        assert ok
        assert v.shape == (256,) and v.dtype == np.float32
        assert np.isfinite(v).all() and abs(np.linalg.norm(v) - 1) < 1e-4


def test_torch_device_output(backend):
    if backend is None:
        pytest.skip("NumPy output covered elsewhere")
    enc = JSONEncoder(256, seed=0)
    recs = [{"a": 1, "b": "x"}, {"a": [True, None]}]
    out = enc.encode_batch(recs, device=backend)
    assert str(out.device).startswith(backend)
    np.testing.assert_array_equal(out.cpu().numpy(), enc.encode_batch(recs))
    _, idx = enc.query(out[0], "b", ["y", "x"])  # query takes tensors too
    assert idx[0] == 1


def test_a_record_encodes_to_the_same_bytes_alone_or_in_any_batch():
    """Batch composition (chunk of 256, a Dask partition, one record) never changes a vector's bits."""
    records = [{"id": i, "name": f"n{i}", "tags": ["x", "y"][: i % 3], "v": {"w": i / 7}} for i in range(40)]
    enc = JSONEncoder(256, seed=0)
    batch = enc.encode_batch(records)
    fresh = JSONEncoder(256, seed=0)  # another encoder: paths first seen in another order
    for i in (39, 0, 17):
        assert fresh.encode(records[i]).tobytes() == batch[i].tobytes()
    assert JSONEncoder(256, seed=0).encode_batch(records[5:9]).tobytes() == batch[5:9].tobytes()


def test_lone_surrogates_raise_value_error_naming_the_path():
    """``json.loads('"\\ud800"')`` gives a str no encoding can represent: a ValueError names where it is."""
    import json

    from hdvec.encoders import JSONEncoder

    enc = JSONEncoder(256, seed=0)
    record = json.loads('{"a": {"s": "x\\ud800"}, "b": ["ok", "\\udc00"]}')
    with pytest.raises(ValueError, match=r"JSON string at \$\.[ab].* holds a lone surrogate"):
        enc.encode(record)
    with pytest.raises(ValueError, match=r"JSON key '\\ud800' in the object at \$\.a holds a lone surrogate"):
        enc.encode({"a": {"\ud800": 1}})
