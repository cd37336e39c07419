"""MBAT: binding by random orthogonal matrices (Gallant 2022).

A role is an orthogonal operator Q; ``bind(role, x) = Q @ x`` and
``unbind(c, role) = Q.T @ c``, exact to float precision, and norms never
drift however deep the nesting. Roles compose non-commutatively
(``Q_a Q_b != Q_b Q_a``), so nested JSON paths such as a.b and b.a differ.

Two kinds of operator:

* dense Haar matrices (QR of a Gaussian with the sign fix), for small dims;
* a structured transform for large dims: ``rounds`` products of a random sign
  flip, a random permutation and an orthonormal block Walsh-Hadamard transform
  (blocks from the binary decomposition of ``dim``), applied in
  O(dim log dim) with O(dim) storage: D = 10,000 needs 0.3 MB per role, not
  a 400 MB matrix.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from .._backend import is_torch
from .._validation import Seed, stable_hash
from . import _kernels as K
from .dense import DenseModel, gaussian

DENSE_MAX_DIM = 1024
_CACHE_SIZE = 256


@dataclass(frozen=True, eq=False)
class Factor:
    """One orthogonal factor: a dense matrix, or rounds of (signs, permutation, Hadamard)."""

    matrix: np.ndarray | None = None  # (D, D) float64
    signs: np.ndarray | None = None  # (rounds, D) float64, ±1
    perms: np.ndarray | None = None  # (rounds, D) int64
    transpose: bool = False

    @property
    def T(self) -> "Factor":
        return Factor(self.matrix, self.signs, self.perms, not self.transpose)


@dataclass(frozen=True, eq=False)
class Role:
    """An orthogonal operator ``Q = F_0 F_1 ... F_m`` (the last factor acts first).

    Made by ``MBAT.role(name)``; ``role.T`` is the inverse, ``MBAT.compose``
    multiplies roles. Plain NumPy arrays inside; no global state.
    """

    dim: int
    factors: tuple[Factor, ...]
    name: str = ""

    @property
    def T(self) -> "Role":
        """The transpose (= inverse) operator."""
        return Role(self.dim, tuple(f.T for f in reversed(self.factors)), f"{self.name}.T" if self.name else "")

    def __repr__(self) -> str:
        kinds = ",".join("dense" if f.matrix is not None else f"structured{f.signs.shape[0]}" for f in self.factors)
        return f"Role(name={self.name!r}, dim={self.dim}, factors=[{kinds}])"


def hadamard_blocks(dim: int) -> tuple[np.ndarray, np.ndarray]:
    """Block starts and sizes (powers of two, largest first) that tile [0, dim)."""
    sizes = [1 << b for b in range(dim.bit_length() - 1, -1, -1) if dim >> b & 1]
    starts = np.cumsum([0] + sizes[:-1])
    return starts.astype(np.int64), np.asarray(sizes, np.int64)


def haar_orthogonal(dim: int, rng: np.random.Generator) -> np.ndarray:
    """Haar-random orthogonal matrix ``(dim, dim)`` float64: QR of a Gaussian with the sign fix."""
    q, r = np.linalg.qr(rng.standard_normal((dim, dim)))
    return q * np.sign(np.diag(r))


class MBAT(DenseModel):
    """Matrix binding of additive terms with orthogonal role matrices.

    Parameters
    ----------
    dim : int
    seed : int, numpy.random.Generator or None
    structured : bool or None
        Structured O(D log D) roles; default: ``dim > 1024``.
    rounds : int
        Rounds of (sign flip, permutation, block Hadamard) per structured role.
        Two rounds already mix every input into every output; three by default.

    Vectors are float32 with i.i.d. N(0, 1/dim) components (norm about 1).
    """

    name = "MBAT"
    vector_dtypes = ("float32",)

    def __init__(self, dim: int, *, seed: Seed = None, structured: bool | None = None, rounds: int = 3):
        super().__init__(dim, seed=seed)
        if structured is not None and not isinstance(structured, bool):
            raise TypeError(f"`structured` must be a bool or None; got {type(structured).__name__}")
        if isinstance(rounds, bool) or not isinstance(rounds, (int, np.integer)) or rounds < 1:
            raise ValueError(f"`rounds` must be an int >= 1; got {rounds!r}")
        self.structured = self.dim > DENSE_MAX_DIM if structured is None else structured
        self.rounds = int(rounds)
        self.starts, self.sizes = hadamard_blocks(self.dim)
        self._roles: dict[Any, Role] = {}

    def __repr__(self) -> str:
        return f"MBAT(dim={self.dim}, seed={self.seed!r}, structured={self.structured})"

    def config(self) -> dict:
        return {**super().config(), "structured": self.structured, "rounds": self.rounds}

    # ------------------------------------------------------------------ roles
    def role(self, name: str | int | bytes) -> Role:
        """The role for ``name``: drawn from (seed, stable hash of name), cached."""
        stable_hash(name, "name")  # TypeError naming `name` for anything but str, bytes, int
        role = self._roles.get(name)
        if role is not None:
            return role
        rng = self.keyed_rng(name, stream=2)
        if self.structured:
            signs = np.where(rng.random((self.rounds, self.dim)) < 0.5, -1.0, 1.0)
            perms = np.stack([rng.permutation(self.dim) for _ in range(self.rounds)]).astype(np.int64)
            factor = Factor(signs=signs, perms=perms)
        else:
            factor = Factor(matrix=haar_orthogonal(self.dim, rng))
        role = Role(self.dim, (factor,), str(name))
        if len(self._roles) >= _CACHE_SIZE:
            self._roles.pop(next(iter(self._roles)))
        self._roles[name] = role
        return role

    def compose(self, *roles: Role) -> Role:
        """``Q = Q_1 Q_2 ... Q_n`` (the last role acts first): ``bind(compose(a, b), x) == bind(a, bind(b, x))``."""
        if not roles:
            raise ValueError("`roles` must contain at least one Role")
        for i, r in enumerate(roles):
            self._check_role(r, f"roles[{i}]")
        factors: list[Factor] = []
        for r in roles:
            for f in r.factors:
                last = factors[-1] if factors else None
                if last is not None and last.matrix is not None and f.matrix is not None:
                    a = last.matrix.T if last.transpose else last.matrix
                    b = f.matrix.T if f.transpose else f.matrix
                    factors[-1] = Factor(matrix=a @ b)
                else:
                    factors.append(f)
        return Role(self.dim, tuple(factors), "*".join(r.name for r in roles))

    def _check_role(self, role: Any, name: str) -> Role:
        if not isinstance(role, Role):
            raise TypeError(f"`{name}` must be a Role from MBAT.role(name); got {type(role).__name__}")
        if role.dim != self.dim:
            raise ValueError(f"`{name}` must have dim {self.dim}; got a Role of dim {role.dim}")
        return role

    def matrix(self, role: Role) -> np.ndarray:
        """The dense ``(dim, dim)`` float64 matrix of ``role`` (for inspection and tests)."""
        role = self._check_role(role, "role")
        eye = np.eye(self.dim, dtype=np.float64)
        out = eye
        for f in reversed(role.factors):
            out = self._apply_factor64(f, out.T).T
        return out

    # ------------------------------------------------------------------ apply
    def _apply_factor64(self, f: Factor, x: np.ndarray) -> np.ndarray:
        """Apply one factor to rows of x (n, D) float64 -> float64."""
        if f.matrix is not None:
            return x @ (f.matrix if f.transpose else f.matrix.T)
        out = np.empty((x.shape[0], self.dim), np.float32)
        K.structured_apply(
            np.ascontiguousarray(x, dtype=np.float32), f.signs, f.perms, self.starts, self.sizes, f.transpose, out
        )
        return out.astype(np.float64)

    def _apply(self, role: Role, x: Any) -> Any:
        if is_torch(x):
            from . import _torch as T

            return T.apply_role(role, x, self.starts, self.sizes)
        lead = x.shape[:-1]
        v = x.reshape(-1, self.dim)
        if len(role.factors) == 1 and role.factors[0].matrix is None:
            f = role.factors[0]
            out = np.empty_like(v)
            K.structured_apply(v, f.signs, f.perms, self.starts, self.sizes, f.transpose, out)
            return out.reshape(lead + (self.dim,))
        w = v.astype(np.float64)
        for f in reversed(role.factors):
            w = self._apply_factor64(f, w)
        return w.astype(np.float32).reshape(lead + (self.dim,))

    # ------------------------------------------------------------------ algebra
    def _draw(self, rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
        return gaussian(rng, shape, self.dim)

    def bind(self, role: Role, x: Any) -> Any:
        """``Q_role @ x`` for every vector. Shapes: ``Role, (..., D) -> (..., D)``."""
        role = self._check_role(role, "role")
        return self._apply(role, self.check(x, "x"))

    def unbind(self, c: Any, role: Role) -> Any:
        """``Q_role.T @ c``: exact inverse of ``bind``."""
        role = self._check_role(role, "role")
        return self._apply(role.T, self.check(c, "c"))

    def inverse(self, role: Role) -> Role:
        """The inverse of a role is its transpose."""
        return self._check_role(role, "role").T

    def bundle(self, x: Any, *, weights: Any = None) -> Any:
        """Sum over axis -2. Shapes: ``(..., n, D) -> (..., D)`` float32."""
        return self._bundle_sum(x, weights)
