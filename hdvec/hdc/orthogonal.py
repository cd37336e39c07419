"""MBAT: binding by random orthogonal matrices (Gallant 2022).

A role is an orthogonal operator Q; ``bind(x, role) = Q @ x`` and
``unbind(c, role) = Q.T @ c`` (the role goes second in both, as the key does
in every model's ``bind`` / ``unbind``), exact to float precision, and norms never
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

import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np

from .._backend import is_torch
from .._validation import Seed, stable_hash
from . import _mbat_kernels as MK
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

    Made by [`MBAT.role`][hdvec.hdc.MBAT.role]; ``role.T`` is the inverse and
    [`MBAT.compose`][hdvec.hdc.MBAT.compose] multiplies roles. Plain NumPy
    arrays inside; no global state. Immutable.

    Attributes
    ----------
    dim : int
        Dimension of the vectors it acts on.
    factors : tuple of Factor
        Dense matrices or structured (sign flip, permutation, Hadamard) factors.
    name : str
        The role's name (``"a*b"`` for a composition, ``"a.T"`` for a transpose).
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
    """Block starts and sizes (powers of two, largest first) that tile [0, dim).

    Returns
    -------
    starts, sizes : numpy.ndarray
        int64 ``(n_blocks,)`` each; the blocks follow the binary digits of ``dim``.
    """
    sizes = [1 << b for b in range(dim.bit_length() - 1, -1, -1) if dim >> b & 1]
    starts = np.cumsum([0] + sizes[:-1])
    return starts.astype(np.int64), np.asarray(sizes, np.int64)


def haar_orthogonal(dim: int, rng: np.random.Generator) -> np.ndarray:
    """Haar-random orthogonal matrix: QR of a Gaussian with the sign fix.

    Returns
    -------
    numpy.ndarray
        float64 ``(dim, dim)``.
    """
    q, r = np.linalg.qr(rng.standard_normal((dim, dim)))
    return q * np.sign(np.diag(r))


class MBAT(DenseModel):
    """Matrix binding of additive terms (Gallant 2022) with orthogonal role matrices.

    A role is an orthogonal operator ``Q``: ``bind(x, role) = Q @ x`` and
    ``unbind(c, role) = Q.T @ c`` (the role second in both), exact to float precision, and norms never
    drift however deep the nesting. Roles compose non-commutatively, so
    nested paths such as ``a.b`` and ``b.a`` differ. bundle = sum, permute =
    cyclic shift, similarity = cosine.

    Parameters
    ----------
    dim : int
        Number of components.
    seed : int, numpy.random.Generator or None
        Seed of ``random`` and of every role (roles are drawn from the seed
        and the stable hash of their name).
    structured : bool or None
        Structured O(D log D) roles with O(D) storage; default: ``dim > 1024``.
        False uses dense Haar matrices, ``(dim, dim)`` float64 each.
    rounds : int
        Rounds of (sign flip, permutation, block Hadamard) per structured role.
        Two rounds already mix every input into every output; three by default.

    Raises
    ------
    TypeError
        If ``structured`` is not a bool or None.
    ValueError
        If ``rounds`` is not an int >= 1.

    Notes
    -----
    Vectors are float32 with i.i.d. N(0, 1/dim) components (norm about 1).
    ``bind`` takes a [`Role`][hdvec.hdc.Role] and vectors, not two vectors,
    so the vector-vector structures (``ngrams``, ``graph``,
    ``sequence(mode="bind")``) do not apply; use roles or ``permute``.

    Examples
    --------
    >>> import numpy as np
    >>> from hdvec import hdc
    >>> m = hdc.MBAT(256, seed=0)
    >>> x = m.random(1)
    >>> r = m.compose(m.role("name"), m.role("first"))
    >>> bool(np.allclose(m.unbind(m.bind(x, r), r), x, atol=1e-5))
    True
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
        """The role (orthogonal operator) for ``name``.

        Drawn from the model seed and a stable hash of ``name``, so the same
        name gives the same role in every process; the last 256 roles are cached.

        Parameters
        ----------
        name : str, bytes or int
            The role's name (``"1"`` and ``1`` are different roles).

        Returns
        -------
        Role

        Raises
        ------
        TypeError
            If ``name`` is not a str, bytes or int.
        """
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
        """The product role ``Q = Q_1 Q_2 ... Q_n`` (the last role acts first).

        ``bind(x, compose(a, b)) == bind(bind(x, b), a)``; the product does not
        commute.

        Parameters
        ----------
        *roles : Role
            One or more roles of this model's dimension.

        Returns
        -------
        Role

        Raises
        ------
        ValueError
            If no role is given, or a role has another dimension.
        TypeError
            If an argument is not a Role.
        """
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
        """The dense matrix of ``role`` (for inspection and tests).

        Returns
        -------
        numpy.ndarray
            float64 ``(dim, dim)``, orthogonal.
        """
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
        MK.structured_apply(
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
            MK.structured_apply(v, f.signs, f.perms, self.starts, self.sizes, f.transpose, out)
            return out.reshape(lead + (self.dim,))
        w = v.astype(np.float64)
        for f in reversed(role.factors):
            w = self._apply_factor64(f, w)
        return w.astype(np.float32).reshape(lead + (self.dim,))

    # ------------------------------------------------------------------ algebra
    def _draw(self, rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
        return gaussian(rng, shape, self.dim)

    def bind(self, x: Any, role: Role) -> Any:
        """Bind: apply the role, ``Q_role @ x``, to every vector.

        The role goes second, as in ``unbind(c, role)``. The older order
        ``bind(role, x)`` still works and warns (``DeprecationWarning``).

        Parameters
        ----------
        x : numpy.ndarray or torch.Tensor
            float32 vectors ``(..., D)``.
        role : Role
            From ``role(name)`` or ``compose``.

        Returns
        -------
        numpy.ndarray or torch.Tensor
            float32 ``(..., D)``, same norms as ``x``.

        Raises
        ------
        TypeError
            If ``role`` is not a Role, or ``x`` has the wrong type or dtype.
        ValueError
            If the role or ``x`` has another dimension, or ``x`` holds NaN or inf.

        Shapes
        ------
        ``(..., D), Role -> (..., D)``
        """
        if isinstance(x, Role) and not isinstance(role, Role):
            warnings.warn("MBAT.bind(role, x) is deprecated: the role goes second, as in unbind(c, role); "
                          "call bind(x, role)", DeprecationWarning, stacklevel=2)
            x, role = role, x
        role = self._check_role(role, "role")
        return self._apply(role, self.check(x, "x"))

    def unbind(self, c: Any, role: Role) -> Any:
        """Unbind: ``Q_role.T @ c``, the exact inverse of ``bind``.

        Parameters
        ----------
        c : numpy.ndarray or torch.Tensor
            float32 vectors ``(..., D)``.
        role : Role
            The role ``c`` was bound with.

        Returns
        -------
        numpy.ndarray or torch.Tensor
            float32 ``(..., D)``.

        Shapes
        ------
        ``(..., D), Role -> (..., D)``
        """
        role = self._check_role(role, "role")
        return self._apply(role.T, self.check(c, "c"))

    def inverse(self, role: Role) -> Role:
        """The inverse of a role: its transpose ``role.T``.

        Returns
        -------
        Role
        """
        return self._check_role(role, "role").T

    def bundle(self, x: Any, *, weights: Any = None) -> Any:
        """Bundle by summing along axis -2 (optionally weighted).

        Parameters
        ----------
        x : numpy.ndarray or torch.Tensor
            float32 vectors ``(..., n, D)``, ``n >= 1``.
        weights : array-like of shape (n,), optional
            Real weights of a weighted sum.

        Returns
        -------
        numpy.ndarray or torch.Tensor
            float32 ``(..., D)``.

        Shapes
        ------
        ``(..., n, D) -> (..., D)``
        """
        return self._bundle_sum(x, weights)
