import os

import numpy as np
import pytest

from hdvec import hdc
from hdvec._io import FormatError


def test_add_draws_deterministic_order_free_vectors():
    m = hdc.BSC(1000, seed=3)
    a, b = hdc.ItemMemory(m), hdc.ItemMemory(hdc.BSC(1000, seed=3))
    a.add(["x", "y", 7])
    b.add([7, "y"])
    b.add(["x"])
    for key in ("x", "y", 7):
        np.testing.assert_array_equal(a[key], b[key])
    assert not np.array_equal(a["x"], a["y"])
    assert "7" not in a and 7 in a
    assert len(a) == 3 and a.keys == ["x", "y", 7]
    rows = a.add(["y", "z"])  # existing key keeps its row and vector
    np.testing.assert_array_equal(rows, [1, 3])


def test_get_add_missing_and_keyerror():
    mem = hdc.ItemMemory(hdc.MAP(64, seed=0))
    with pytest.raises(KeyError, match="'nope' is not in this ItemMemory"):
        mem.get(["nope"])
    v = mem.get(["a", "b"], add=True)
    assert v.shape == (2, 64)
    np.testing.assert_array_equal(mem.get(["b"]), v[1:])


@pytest.mark.parametrize("model", [hdc.BSC(256, seed=1), hdc.MAP(256, dtype="int8", seed=1),
                                   hdc.FHRR(256, seed=1), hdc.MBAT(256, seed=1)])
def test_cleanup_finds_noisy_items(model):
    mem = hdc.ItemMemory(model)
    mem.add(range(300))
    x = mem.get([5, 17, 299])
    noise = model.random(3)
    noisy = model.bundle(np.stack([x, x, noise], axis=-2))  # two parts signal, one part noise
    d, i = mem.cleanup(noisy, k=3)
    np.testing.assert_array_equal(i[:, 0], [5, 17, 299])
    assert np.all(np.diff(d, axis=1) >= 0)
    assert mem.lookup(noisy) == [5, 17, 299]


def test_add_with_vectors_and_validation():
    m = hdc.BSC(128, seed=0)
    mem = hdc.ItemMemory(m)
    x = m.random(4)
    mem.add(["a", "b", "c", "d"], x)
    np.testing.assert_array_equal(mem.vectors, x)
    with pytest.raises(ValueError, match=r"shape \(2, 2\)"):
        mem.add(["e", "f"], x)
    with pytest.raises(TypeError, match="pack_bits"):
        mem.add(["e"], np.zeros((1, 2), np.int64))
    with pytest.raises(TypeError, match="keys"):
        mem.add("abc")
    with pytest.raises(TypeError, match="float"):
        mem.add([1.5])
    _, rows = hdc.ItemMemory(m).cleanup(x)  # an empty memory: padding, as every search
    assert (rows == -1).all()


@pytest.mark.parametrize("model", [hdc.BSC(100, seed=2), hdc.MAP(64, dtype="int8", binarize=True, seed=2),
                                   hdc.HRR(64, seed=2), hdc.FHRR(64, seed=2), hdc.MBAT(64, seed=2)])
def test_save_load_roundtrip(tmp_path, model):
    mem = hdc.ItemMemory(model)
    mem.add(["a", 1, b"raw", "1"])
    path = tmp_path / "mem.hdv"
    mem.save(path)
    back = hdc.ItemMemory.load(path)
    assert back.keys == mem.keys and type(back.model) is type(model)
    assert back.model.config() == model.config()
    np.testing.assert_array_equal(back.vectors, mem.vectors)
    back.add(["new"])
    mem.add(["new"])
    np.testing.assert_array_equal(back["new"], mem["new"])  # same seed after loading
    assert not [p for p in os.listdir(tmp_path) if p.endswith(".tmp")]


def test_load_detects_truncation_corruption_and_newer_version(tmp_path):
    mem = hdc.ItemMemory(hdc.BSC(640, seed=0))
    mem.add(range(50))
    path = tmp_path / "m.hdv"
    mem.save(path)
    raw = path.read_bytes()
    (tmp_path / "t.hdv").write_bytes(raw[: len(raw) - 100])
    with pytest.raises(FormatError, match="t.hdv.*truncated"):
        hdc.ItemMemory.load(tmp_path / "t.hdv")
    flipped = bytearray(raw)
    flipped[-10] ^= 0xFF
    (tmp_path / "c.hdv").write_bytes(bytes(flipped))
    with pytest.raises(FormatError, match="c.hdv.*checksum"):
        hdc.ItemMemory.load(tmp_path / "c.hdv")
    newer = bytearray(raw)
    newer[8] = 99  # version field
    (tmp_path / "n.hdv").write_bytes(bytes(newer))
    with pytest.raises(FormatError, match="newer"):
        hdc.ItemMemory.load(tmp_path / "n.hdv")
    (tmp_path / "x.hdv").write_bytes(b"PK\x03\x04 not ours")
    with pytest.raises(FormatError, match="not an hdvec file"):
        hdc.ItemMemory.load(tmp_path / "x.hdv")
    with pytest.raises(FileNotFoundError, match="missing.hdv"):
        hdc.ItemMemory.load(tmp_path / "missing.hdv")


def test_failed_save_keeps_old_file(tmp_path, monkeypatch):
    mem = hdc.ItemMemory(hdc.BSC(64, seed=0))
    mem.add(["a"])
    path = tmp_path / "m.hdv"
    mem.save(path)
    before = path.read_bytes()
    mem.add(["b"])

    def boom(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(os, "fsync", boom)
    with pytest.raises(OSError, match="disk full"):
        mem.save(path)
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["m.hdv"]


def test_cached_norms_follow_replaced_vectors():
    m = hdc.HRR(128, seed=0)
    mem = hdc.ItemMemory(m)
    x = m.random(20)
    mem.add(range(20), x)
    y = 3.0 * m.random(1)
    mem.add([7], y)  # replace: cached norm must follow
    d, i = mem.cleanup(y, k=2)
    assert i[0, 0] == 7 and abs(d[0, 0]) < 1e-6
    mem.add(["new"])  # growth keeps old norms
    d, i = mem.cleanup(x[:5], k=1)
    np.testing.assert_array_equal(i[:, 0], [0, 1, 2, 3, 4])
    np.testing.assert_allclose(d[:, 0], 0.0, atol=1e-6)


@pytest.mark.parametrize("model", [hdc.BSC(512, seed=0), hdc.MAP(128, dtype="int8", seed=0), hdc.HRR(64, seed=0)])
def test_cleanup_is_safe_from_several_threads(model):
    from concurrent.futures import ThreadPoolExecutor

    mem = hdc.ItemMemory(model)
    mem.add(range(2000))
    queries = [model.random(n, seed=n) for n in (1, 3, 17, 40)]
    expected = [mem.cleanup(q, k=5) for q in queries]
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(lambda q: mem.cleanup(q, k=5), queries * 5))
    for j, (d, i) in enumerate(results):
        np.testing.assert_array_equal(i, expected[j % 4][1])
        np.testing.assert_array_equal(d, expected[j % 4][0])


def _rewritten(tmp_path, change):
    from hdvec._io import read_arrays, write_arrays

    m = hdc.BSC(128, seed=0)
    mem = hdc.ItemMemory(m)
    mem.add(["a", "b", 7])
    path = tmp_path / "mem.hdvec"
    mem.save(path)
    meta, arrays = read_arrays(path)
    change(meta, arrays)
    write_arrays(path, meta, arrays)  # valid checksums: only the contents are wrong
    return path


@pytest.mark.parametrize("change, field", [
    (lambda m, a: m["model"].__setitem__("dim", 10**12), "model.dim"),  # would ask for terabytes
    (lambda m, a: m["model"].__setitem__("dim", "128"), "model.dim"),
    (lambda m, a: m.__setitem__("entropy", -1), "entropy"),
    (lambda m, a: m.__setitem__("keys", [["s", "a"], ["x", 1], ["i", 7]]), "keys"),
    (lambda m, a: m.__setitem__("keys", [["s", "a"], ["s", "a"], ["i", 7]]), "'keys' holds a key twice"),
    (lambda m, a: m.__setitem__("keys", m["keys"][:2]), "2 keys but 3 vectors"),
    (lambda m, a: a.__setitem__("vectors", a["vectors"].astype(np.int64)), "model' or array 'vectors"),
    (lambda m, a: m["model"].__setitem__("model", "XYZ"), "model"),
])
def test_item_memory_files_with_impossible_contents_raise_format_error(tmp_path, change, field):
    from hdvec._io import FormatError

    path = _rewritten(tmp_path, change)
    with pytest.raises(FormatError, match=f"'{path}' is corrupted: .*{field}"):
        hdc.ItemMemory.load(path)


def test_repeated_keys_reserve_one_row_each():
    """A batch repeating one new key a million times reserves rows for one key, not a million."""
    mem = hdc.ItemMemory(hdc.MAP(10_000, seed=0))
    rows = mem.add(["a"] * 1_000_000 + ["b"])
    assert len(mem) == 2 and mem._data.shape[0] <= 16 and rows[0] == rows[999_999] == 0 and rows[-1] == 1
