"""The ``ShardedIndex`` manifest: one JSON file naming the shards, with a checksum over its own contents.

``write`` stores the fields plus ``"sha256"`` of their canonical JSON
(sorted keys), atomically. ``read`` checks that checksum and every field
(types, ranges, one owner per IVF cell, shard files that are plain names
inside the directory) and raises ``FormatError`` naming the file and the field.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import tempfile
from pathlib import Path

from .._io import FormatError

MANIFEST = "manifest.json"
KIND = "hdvec.ShardedIndex"
VERSION = 2  # 2: the manifest checksums itself
LAYOUTS = ("cell", "round-robin")
_HEX = re.compile(r"^[0-9a-f]{64}$")


def _digest(body: dict) -> str:
    return hashlib.sha256(json.dumps(body, sort_keys=True).encode("utf-8")).hexdigest()


def write(root: Path, body: dict) -> None:
    """Write ``body`` (plus kind, version and its checksum) as ``root / manifest.json``, atomically."""
    body = {**body, "kind": KIND, "version": VERSION}
    fd, tmp = tempfile.mkstemp(dir=root, prefix=".manifest-")
    try:
        with os.fdopen(fd, "w") as f:
            json.dump({**body, "sha256": _digest(body)}, f, indent=1)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, root / MANIFEST)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def read(root: Path) -> dict:
    """The validated manifest of ``root``; FileNotFoundError or FormatError naming the file and the field."""
    path = root / MANIFEST
    try:
        doc = json.loads(path.read_text())
    except FileNotFoundError:
        raise FileNotFoundError(f"'{path}' is missing: not a saved ShardedIndex") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise FormatError(f"'{path}' is corrupted: {exc}") from None

    def bad(field: str, what: str) -> FormatError:
        return FormatError(f"'{path}' is corrupted: field {field!r} {what}")

    if not isinstance(doc, dict) or doc.get("kind") != KIND:
        raise FormatError(f"'{path}' does not describe a ShardedIndex")
    version = doc.get("version")
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise bad("version", f"must be an int >= 1; got {version!r}")
    if version > VERSION:
        raise FormatError(f"'{path}' has format version {version}; this hdvec reads up to {VERSION}: upgrade hdvec")
    if version >= 2:
        body = {k: v for k, v in doc.items() if k != "sha256"}
        if doc.get("sha256") != _digest(body):
            raise bad("sha256", "does not match the manifest's contents: the file was changed after it was written")

    def integer(field: str, minimum: int) -> int:
        v = doc.get(field)
        if isinstance(v, bool) or not isinstance(v, int) or v < minimum:
            raise bad(field, f"must be an int >= {minimum}; got {v!r}")
        return v

    n_shards = integer("n_shards", 1)
    integer("next_id", 0)
    if doc.get("layout") not in LAYOUTS:
        raise bad("layout", f"must be one of {LAYOUTS}; got {doc.get('layout')!r}")
    owner = doc.get("owner")
    if not isinstance(owner, list) or not owner or not all(
            isinstance(o, int) and not isinstance(o, bool) and 0 <= o < n_shards for o in owner):
        raise bad("owner", f"must be a list of shard numbers in [0, {n_shards}); got {str(owner)[:80]}")
    if not isinstance(doc.get("template_sha256"), str) or not _HEX.match(doc["template_sha256"]):
        raise bad("template_sha256", "must be a sha256 hex digest")
    shards = doc.get("shards")
    if not isinstance(shards, list) or len(shards) != n_shards:
        raise bad("shards", f"must list {n_shards} shards; got {str(shards)[:80]}")
    for j, sh in enumerate(shards):
        name = sh.get("file") if isinstance(sh, dict) else None
        if not isinstance(name, str) or name in ("", ".", "..") or Path(name).name != name or "\\" in name \
                or (root / name).resolve().parent != root.resolve():
            raise bad(f"shards[{j}].file", f"must be a file name inside the directory; got {name!r}")
        count = sh.get("count")
        if isinstance(count, bool) or not isinstance(count, int) or count < 0:
            raise bad(f"shards[{j}].count", f"must be an int >= 0; got {count!r}")
        if not isinstance(sh.get("sha256"), str) or not _HEX.match(sh["sha256"]):
            raise bad(f"shards[{j}].sha256", "must be a sha256 hex digest")
    return doc
