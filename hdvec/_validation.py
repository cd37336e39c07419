"""Input checks shared by the public API.

Every public function validates here, in Python, before any Numba kernel runs:
kernels do not bounds-check. Errors follow scikit-learn's shape: they name the
argument, say what was expected and what was received.
"""

from __future__ import annotations

import hashlib
from typing import Union

import numpy as np

Seed = Union[int, np.integer, np.random.Generator, None]


def as_rng(seed: Seed, name: str = "seed") -> np.random.Generator:
    """Turn ``seed`` (int, Generator or None) into a ``numpy.random.Generator``."""
    if isinstance(seed, np.random.Generator):
        return seed
    if seed is None or (isinstance(seed, (int, np.integer)) and not isinstance(seed, bool)):
        if seed is not None and seed < 0:
            raise ValueError(f"`{name}` must be a non-negative int; got {seed}")
        return np.random.default_rng(seed)
    raise TypeError(f"`{name}` must be an int, a numpy.random.Generator or None; got {type(seed).__name__}")


def seed_entropy(seed: Seed, name: str = "seed") -> int:
    """A reproducible 63-bit integer drawn from ``seed`` (int, Generator or None)."""
    if isinstance(seed, (int, np.integer)) and not isinstance(seed, bool) and seed >= 0:
        return int(seed)
    return int(as_rng(seed, name).integers(0, 2**63 - 1))


def stable_hash(key: object, name: str = "key") -> int:
    """A 64-bit hash of a str, bytes or int that is the same on every machine and run.

    Python's ``hash`` of a str changes between processes, so it is not used.
    The type is part of the hash: ``"1"`` and ``1`` differ.
    """
    if isinstance(key, str):
        data = b"s" + key.encode("utf-8")
    elif isinstance(key, (bytes, bytearray)):
        data = b"b" + bytes(key)
    elif isinstance(key, (int, np.integer)) and not isinstance(key, bool):
        data = b"i" + str(int(key)).encode("ascii")
    else:
        raise TypeError(f"`{name}` must be a str, bytes or int; got {type(key).__name__}")
    return int.from_bytes(hashlib.blake2b(data, digest_size=8).digest(), "little")


def keyed_rng(entropy: int, key: object, stream: int = 0) -> np.random.Generator:
    """A Generator determined by (``entropy``, ``stable_hash(key)``, ``stream``)."""
    return np.random.default_rng(np.random.SeedSequence([entropy, stable_hash(key), stream]))


def check_dim(dim: object, name: str = "dim", minimum: int = 1) -> int:
    if isinstance(dim, bool) or not isinstance(dim, (int, np.integer)):
        raise TypeError(f"`{name}` must be an int; got {type(dim).__name__}")
    if dim < minimum:
        raise ValueError(f"`{name}` must be >= {minimum}; got {dim}")
    return int(dim)


def check_count(n: object, name: str = "n", minimum: int = 0) -> int:
    return check_dim(n, name, minimum)


def check_fraction(value: object, name: str) -> float:
    """``value`` must be a real number in (0, 1]."""
    if isinstance(value, bool) or not isinstance(value, (int, float, np.floating)) or not 0 < value <= 1:
        raise ValueError(f"`{name}` must be a number in (0, 1]; got {value!r}")
    return float(value)


def check_k(k: object, name: str = "k") -> int:
    """``k`` must be an int >= 1; it may exceed the number of items (results are then padded)."""
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)):
        raise TypeError(f"`{name}` must be an int; got {type(k).__name__}")
    if k < 1:
        raise ValueError(f"`{name}` must be >= 1; got {k}")
    return int(k)


# float width -> (unsigned view, exponent mask, lowest exponent bit, sign bit)
_EXPONENT = {
    4: (np.uint32, np.uint32(0x7F800000), np.uint32(0x00800000), np.uint32(0x80000000)),
    8: (np.uint64, np.uint64(0x7FF0000000000000), np.uint64(0x0010000000000000), np.uint64(1 << 63)),
}


def check_finite(x: np.ndarray, name: str) -> None:
    """ValueError when a float or complex array holds NaN or inf.

    Large contiguous float32/float64 (and complex) arrays are checked by one
    parallel pass over their exponent bits, without temporaries.
    """
    if x.dtype.kind not in "fc" or not x.size:
        return
    item = x.dtype.itemsize // (2 if x.dtype.kind == "c" else 1)
    if x.size >= 1 << 16 and item in _EXPONENT and x.flags.c_contiguous:
        from ._kernels import exponent_overflow

        view, mask, inc, sign = _EXPONENT[item]
        finite = not (exponent_overflow(x.reshape(-1).view(view), mask, inc) & sign)
    else:
        finite = bool(np.isfinite(x).all())
    if not finite:
        raise ValueError(f"`{name}` must contain only finite values; got NaN or inf")
