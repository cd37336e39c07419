"""One self-describing file of named arrays: atomic writes, checked reads, no pickle.

Layout::

    magic (8 bytes)  b"HDVEC\\x00\\x00\\x01"
    version          uint32 little-endian
    header length    uint64 little-endian
    header sha256    32 bytes
    header           UTF-8 JSON: {"meta": {...}, "arrays": [{name, dtype, shape, offset, nbytes, sha256}]}
    arrays           raw C-order bytes, each starting at a 64-byte aligned offset

Writes go to a temporary file in the same directory, are fsynced and then
renamed over the target, so a crash leaves either the old or the new file.
Reads check magic, version, both checksums and sizes, and name the file in
every error. Only plain numeric dtypes are accepted, so nothing is unpickled.
"""

from __future__ import annotations

import hashlib
import json
import os
import struct
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

MAGIC = b"HDVEC\x00\x00\x01"
VERSION = 1
ALIGN = 64
_PREAMBLE = struct.Struct("<8sIQ32s")
_READ_CHUNK = 64 << 20  # bytes read and hashed at a time
_DTYPES = {"bool", "int8", "uint8", "int16", "uint16", "int32", "uint32", "int64", "uint64", "float32", "float64",
           "complex64", "complex128"}


class FormatError(ValueError):
    """A file is not a valid hdvec file (wrong magic, newer version, truncated, corrupted)."""


def _aligned(n: int) -> int:
    return (n + ALIGN - 1) // ALIGN * ALIGN


def _raw(arr: np.ndarray) -> memoryview:
    """The bytes of a C-contiguous array without a copy (also for empty arrays, which memoryview.cast refuses)."""
    return memoryview(arr.reshape(-1).view(np.uint8))


def write_arrays(path: str | os.PathLike, meta: dict, arrays: dict[str, np.ndarray]) -> None:
    """Atomically write ``arrays`` with JSON-able ``meta`` to ``path``."""
    path = Path(path)
    entries, blobs = [], []
    for name, arr in arrays.items():
        arr = np.ascontiguousarray(arr)
        if arr.dtype.name not in _DTYPES:
            raise TypeError(f"array {name!r} has dtype {arr.dtype}, which cannot be saved; use a numeric dtype")
        entries.append({"name": name, "dtype": arr.dtype.str, "shape": list(arr.shape), "nbytes": arr.nbytes,
                        "sha256": hashlib.sha256(_raw(arr)).hexdigest()})
        blobs.append(arr)
    # offsets depend on the header size, which depends on the offsets' digits: iterate once more if needed
    offset_base = 0
    while True:  # offsets live in the header, so its length decides them: iterate to a fixed point
        pos = offset_base
        for e in entries:
            e["offset"] = pos
            pos = _aligned(pos + e["nbytes"])
        header = json.dumps({"meta": meta, "arrays": entries}, sort_keys=True).encode("utf-8")
        start = _aligned(_PREAMBLE.size + len(header))
        if start == offset_base:
            break
        offset_base = start
    pre = _PREAMBLE.pack(MAGIC, VERSION, len(header), hashlib.sha256(header).digest())
    directory = path.parent if str(path.parent) else Path(".")
    if not directory.is_dir():
        raise FileNotFoundError(f"cannot save '{path}': the folder '{directory}' does not exist")
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(pre)
            f.write(header)
            for e, arr in zip(entries, blobs):
                f.write(b"\0" * (e["offset"] - f.tell()))
                f.write(_raw(arr))
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    try:  # make the rename durable
        dfd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(dfd)
        finally:
            os.close(dfd)
    except OSError:  # pragma: no cover - some filesystems refuse directory fsync
        pass


def _entry(path: Path, j: int, e: Any, size: int) -> tuple[np.dtype, tuple[int, ...], int]:
    """Validated (dtype, shape, nbytes) of header entry ``j``; FormatError naming the file and the field."""
    def bad(field: str) -> FormatError:
        return FormatError(f"'{path}' is corrupted: header field 'arrays[{j}].{field}' is invalid")

    if not isinstance(e, dict) or not isinstance(e.get("name"), str):
        raise bad("name")
    try:
        dtype = np.dtype(e.get("dtype"))
    except (TypeError, ValueError):
        raise bad("dtype") from None
    if dtype.name not in _DTYPES or not isinstance(e.get("dtype"), str):
        raise FormatError(f"'{path}' is corrupted: array {e['name']!r} has dtype {dtype}")
    shape = e.get("shape")
    if not isinstance(shape, list) or len(shape) > 32 or not all(
            isinstance(s, int) and not isinstance(s, bool) and 0 <= s < 2**62 for s in shape):
        raise bad("shape")
    for field in ("nbytes", "offset"):
        v = e.get(field)
        if isinstance(v, bool) or not isinstance(v, int) or not 0 <= v <= size:
            raise bad(field)
    if not isinstance(e.get("sha256"), str):
        raise bad("sha256")
    nbytes = dtype.itemsize
    for s in shape:
        nbytes *= s  # Python ints: no overflow; bounded by the file size just below
        if nbytes > size:
            break
    if nbytes != e["nbytes"] or e["offset"] % ALIGN or e["offset"] + nbytes > size:
        raise FormatError(f"'{path}' is truncated or corrupted: array {e['name']!r} does not fit the file")
    return dtype, tuple(shape), nbytes


def read_arrays(path: str | os.PathLike, *, mmap: bool = False) -> tuple[dict, dict[str, np.ndarray]]:
    """Read a file written by ``write_arrays``: ``(meta, arrays)``.

    ``mmap=True`` maps the arrays read-only instead of reading them. Raises
    ``FileNotFoundError`` or ``FormatError`` (a ValueError) naming the file.
    """
    path = Path(path)
    if path.is_dir():
        raise IsADirectoryError(f"'{path}' is a directory, not an hdvec file")
    if not path.is_file():
        raise FileNotFoundError(f"no such hdvec file: '{path}'")
    size = path.stat().st_size
    with open(path, "rb") as f:
        pre = f.read(_PREAMBLE.size)
        if len(pre) < _PREAMBLE.size:
            raise FormatError(f"'{path}' is truncated or not an hdvec file ({size} bytes)")
        magic, version, hlen, hsum = _PREAMBLE.unpack(pre)
        if magic != MAGIC:
            raise FormatError(f"'{path}' is not an hdvec file (bad magic {magic!r})")
        if version > VERSION:
            raise FormatError(
                f"'{path}' has format version {version}, newer than this hdvec reads ({VERSION}); upgrade hdvec"
            )
        if _PREAMBLE.size + hlen > size:
            raise FormatError(f"'{path}' is truncated: header needs {hlen} bytes")
        header = f.read(hlen)
        if hashlib.sha256(header).digest() != hsum:
            raise FormatError(f"'{path}' is corrupted: header checksum mismatch")
        try:
            doc = json.loads(header.decode("utf-8"))
            meta, entries = doc["meta"], doc["arrays"]
        except (ValueError, KeyError, TypeError, RecursionError) as exc:
            raise FormatError(f"'{path}' is corrupted: unreadable header ({type(exc).__name__}: {exc})") from None
        if not isinstance(meta, dict) or not isinstance(entries, list):
            raise FormatError(f"'{path}' is corrupted: header fields 'meta' / 'arrays' must be an object and a list")
        arrays: dict[str, np.ndarray] = {}
        for j, e in enumerate(entries):
            dtype, shape, nbytes = _entry(path, j, e, size)
            if mmap and nbytes:
                arr = np.memmap(path, dtype=dtype, mode="r", offset=e["offset"], shape=shape)
                data = _raw(arr)
                digest = hashlib.sha256(data).hexdigest()
            else:
                arr, digest = _read_into(f, path, e["name"], e["offset"], dtype, shape, nbytes)
            if digest != e["sha256"]:
                raise FormatError(f"'{path}' is corrupted: checksum mismatch in array {e['name']!r}")
            arrays[e["name"]] = arr
    return meta, arrays


def _read_into(f: Any, path: Path, name: str, offset: int, dtype: np.dtype, shape: tuple, nbytes: int
               ) -> tuple[np.ndarray, str]:
    """Read one array straight into its destination, hashing ``_READ_CHUNK`` bytes at a time (no second copy)."""
    arr = np.empty(shape, dtype)
    view = memoryview(arr.reshape(-1).view(np.uint8))
    h = hashlib.sha256()
    f.seek(offset)
    pos = 0
    while pos < nbytes:
        got = f.readinto(view[pos : pos + _READ_CHUNK])
        if not got:
            raise FormatError(f"'{path}' is truncated: array {name!r}")
        h.update(view[pos : pos + got])
        pos += got
    return arr, h.hexdigest()


def encode_keys(keys: list[Any]) -> list[list[Any]]:
    """Typed JSON form of str / int / bytes keys (so "1" and 1 stay distinct)."""
    out = []
    for k in keys:
        if isinstance(k, str):
            out.append(["s", k])
        elif isinstance(k, (bytes, bytearray)):
            out.append(["b", bytes(k).hex()])
        elif isinstance(k, (int, np.integer)) and not isinstance(k, bool):
            out.append(["i", int(k)])
        else:
            raise TypeError(f"keys must be str, bytes or int to be saved; got {type(k).__name__}")
    return out


def decode_keys(items: list[list[Any]]) -> list[Any]:
    """Keys written by ``encode_keys``; ValueError for anything else."""
    if not isinstance(items, list):
        raise ValueError(f"expected a list of [type, value] pairs; got {type(items).__name__}")
    decoders = {"s": (str, str), "i": (int, int), "b": (str, bytes.fromhex)}
    out = []
    for item in items:
        if not (isinstance(item, list) and len(item) == 2 and item[0] in decoders
                and isinstance(item[1], decoders[item[0]][0]) and not isinstance(item[1], bool)):
            raise ValueError(f"expected a [type, value] pair; got {item!r}")
        out.append(decoders[item[0]][1](item[1]))
    return out
