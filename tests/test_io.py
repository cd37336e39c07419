"""hdvec's file format: headers whose checksum holds but whose fields are malformed raise FormatError naming the
file and the field, never a raw KeyError / TypeError / OverflowError / RecursionError."""

import hashlib
import json

import numpy as np
import pytest

from hdvec._io import _PREAMBLE, MAGIC, VERSION, FormatError, read_arrays, write_arrays


def _raw_file(path, header: bytes, tail: bytes = b"") -> None:
    path.write_bytes(_PREAMBLE.pack(MAGIC, VERSION, len(header), hashlib.sha256(header).digest()) + header + tail)


def _entry(**change):
    e = {"name": "x", "dtype": "<f4", "shape": [2], "offset": 64, "nbytes": 8, "sha256": "0" * 64}
    e.update(change)
    return e


@pytest.mark.parametrize("header, field", [
    (json.dumps({"meta": {}, "arrays": [_entry(dtype="|O")]}), "dtype"),
    (json.dumps({"meta": {}, "arrays": [_entry(dtype=7)]}), r"arrays\[0\].dtype"),
    (json.dumps({"meta": {}, "arrays": [_entry(dtype="not a dtype")]}), r"arrays\[0\].dtype"),
    (json.dumps({"meta": {}, "arrays": [_entry(shape="2")]}), r"arrays\[0\].shape"),
    (json.dumps({"meta": {}, "arrays": [_entry(shape=[-1])]}), r"arrays\[0\].shape"),
    (json.dumps({"meta": {}, "arrays": [_entry(shape=[10**30])]}), r"arrays\[0\].shape"),
    (json.dumps({"meta": {}, "arrays": [_entry(offset=10**30)]}), r"arrays\[0\].offset"),
    (json.dumps({"meta": {}, "arrays": [_entry(nbytes="8")]}), r"arrays\[0\].nbytes"),
    (json.dumps({"meta": {}, "arrays": [{"dtype": "<f4"}]}), r"arrays\[0\].name"),
    (json.dumps({"meta": {}, "arrays": ["x"]}), r"arrays\[0\].name"),
    (json.dumps({"meta": [], "arrays": []}), "'meta' / 'arrays'"),
    (json.dumps({"arrays": []}), "unreadable header"),
    ("[" * 100_000 + "]" * 100_000, "unreadable header"),
    (json.dumps({"meta": {}, "arrays": [_entry(shape=[2**40], nbytes=64)]}), "does not fit the file"),
])
def test_malformed_headers_raise_format_error_naming_the_field(tmp_path, header, field):
    path = tmp_path / "x.hdvec"
    _raw_file(path, header.encode(), b"\0" * 128)
    with pytest.raises(FormatError, match=f"'{path}' .*{field}"):
        read_arrays(path)


def test_a_directory_is_named_as_a_directory(tmp_path):
    with pytest.raises(IsADirectoryError, match="is a directory"):
        read_arrays(tmp_path)


def test_empty_arrays_round_trip(tmp_path):
    write_arrays(tmp_path / "e.hdvec", {"a": 1}, {"none": np.empty((0, 5), np.float32), "x": np.arange(3)})
    meta, arrays = read_arrays(tmp_path / "e.hdvec")
    assert meta == {"a": 1} and arrays["none"].shape == (0, 5) and arrays["x"].tolist() == [0, 1, 2]


def test_arrays_are_read_straight_into_place_without_a_second_copy(tmp_path):
    import tracemalloc

    a = np.random.default_rng(0).standard_normal((1000, 2000)).astype(np.float32)  # 8 MB
    write_arrays(tmp_path / "a.hdv", {"kind": "x"}, {"a": a})
    tracemalloc.start()
    try:
        _, arrays = read_arrays(tmp_path / "a.hdv")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    np.testing.assert_array_equal(arrays["a"], a)
    assert peak < 1.1 * a.nbytes, peak / a.nbytes  # reading whole, then copying, held 2x
