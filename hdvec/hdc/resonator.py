"""Resonator networks: factor a bound product of codebook vectors.

Given ``s = bind(x_1, ..., x_F)`` with every ``x_f`` a row of a known codebook
``X_f``, a resonator network (Frady, Kent, Olshausen & Sommer 2020, "Resonator
networks, 1", Neural Computation 32(12)) recovers the rows without trying all
``M_1 * ... * M_F`` combinations. It keeps one estimate per factor, starting
from the superposition of the factor's codebook, and updates them in turn:

    x̂_f <- g(X_fᵀ X_f (s ⊘ ∏_{g≠f} x̂_g))

where ``⊘`` is the model's unbinding, ``X_fᵀ X_f v`` (rows as vectors)
projects onto the span of the codebook (a weighted superposition of its
rows, weights = similarities) and ``g`` is the model's nonlinearity. BSBC
runs the same update on the one-hot blocks, in integers (``_resonator_blocks.py``).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .._backend import is_torch, same_backend, torch_module
from .._validation import Seed, as_rng, check_count
from . import _resonator_blocks as RB
from . import _resonator_kernels as RK

__all__ = ["resonator"]

#: HRR and FHRR: an estimate counts as unchanged when ``|cos(new, old)| >= 1 - _TOL``
_TOL = 1e-6


def _kind(model: Any) -> str:
    """The algebra of ``model``: "bipolar" (MAP, BSC), "phasor" (FHRR; MCR, CGR as phasors), "hrr" (HRR) or
    "block" (BSBC)."""
    from .binary import BSC
    from .dense import MAP
    from .fourier import FHRR, HRR
    from .modular import CGR, MCR
    from .sparse_block import BSBC

    for cls, kind in ((MAP, "bipolar"), (BSC, "bipolar"), (FHRR, "phasor"), (HRR, "hrr"), (BSBC, "block"),
                      (MCR, "phasor"), (CGR, "phasor")):
        if isinstance(model, cls):
            return kind
    raise TypeError("`model` must be a MAP, BSC, FHRR, HRR, BSBC, MCR or CGR model (the models a resonator network "
                    f"can factor); got {type(model).__name__}: {model!r}")


def _codebook_list(codebooks: Any) -> list:
    if (is_torch(codebooks) or isinstance(codebooks, np.ndarray)) and codebooks.ndim == 3:
        codebooks = list(codebooks)
    if not isinstance(codebooks, (list, tuple)):
        raise TypeError("`codebooks` must be a list of F arrays of shape (M_f, width) (or one (F, M, width) "
                        f"array); got {type(codebooks).__name__}")
    if len(codebooks) < 2:
        raise ValueError(f"`codebooks` must hold F >= 2 codebooks (one per factor); got {len(codebooks)}")
    return list(codebooks)


def _to_internal(model: Any, kind: str, x: Any) -> Any:
    """Model vectors -> the arrays the iterations run on.

    MAP and BSC: float32 ±1 (BSC bits unpacked, bit 1 -> -1); FHRR: complex64;
    HRR: float32; BSBC: int64 block indices; MCR and CGR: the complex64 phasors
    ``exp(2 pi i x / r)`` (their bind, addition mod r, is the phasors' product).
    Same backend and device as ``x``.
    """
    if model.name == "BSC":
        from .binary import unpack_bits

        x = unpack_bits(x, model.dim, bipolar=True)
    if model.name in ("MCR", "CGR"):
        r = model.block_size
        if is_torch(x):
            torch = torch_module()
            angle = x.to(torch.float64) * (2.0 * np.pi / r)
            return torch.polar(torch.ones_like(angle), angle).to(torch.complex64).contiguous()
        return np.exp(1j * (2.0 * np.pi / r) * x.astype(np.float64)).astype(np.complex64)
    if is_torch(x):
        torch = torch_module()
        return x.to({"phasor": torch.complex64, "block": torch.int64}.get(kind, torch.float32)).contiguous()
    return np.ascontiguousarray(x, dtype={"phasor": np.complex64, "block": np.int64}.get(kind, np.float32))


def _tiebreak(model: Any, kind: str) -> np.ndarray:
    """float32 ±1 ``(dim,)`` that decides zero components of the sign (the model's bundle tie-break)."""
    if kind != "bipolar":
        return np.ones(model.dim, np.float32)
    if model.name == "BSC":
        from .binary import unpack_bits

        return unpack_bits(model.tiebreak, model.dim, bipolar=True).astype(np.float32)
    return np.asarray(model.tiebreak, np.float32)


# ------------------------------------------------------------------ the nonlinearity g


def _g(kind: str, y: Any, tb: Any) -> Any:
    """Apply the model's nonlinearity to ``(n, D)`` rows (both backends)."""
    if is_torch(y):
        torch = torch_module()
        if kind == "bipolar":
            one = torch.ones((), dtype=y.dtype, device=y.device)
            return torch.where(y > 0, one, torch.where(y < 0, -one, tb))
        if kind == "phasor":
            mag = y.abs()
            return torch.where(mag > 0, y / torch.where(mag > 0, mag, 1.0), torch.ones((), dtype=y.dtype, device=y.device))
        nrm = torch.linalg.vector_norm(y, dim=-1, keepdim=True)
        return y / torch.where(nrm > 0, nrm, 1.0)
    if kind == "bipolar":
        return np.where(y > 0, np.float32(1), np.where(y < 0, np.float32(-1), tb)).astype(np.float32)
    if kind == "phasor":
        mag = np.abs(y)
        return np.where(mag > 0, y / np.where(mag > 0, mag, 1), 1).astype(np.complex64)
    nrm = np.sqrt(np.einsum("ij,ij->i", y, y, dtype=np.float64)).astype(np.float32)[:, None]
    return (y / np.where(nrm > 0, nrm, 1)).astype(np.float32)


def _moved(new: Any, old: Any) -> Any:
    """(n,) bool: rows of a continuous estimate that changed by more than ``_TOL``.

    The change is ``1 - |<new, old>| / (|new| |old|)``: a global phase (FHRR)
    or sign (HRR) is not a change, since the estimates of two factors can
    trade it without changing their product.
    """
    if is_torch(new):
        torch = torch_module()
        a, b = new.to(torch.complex128), old.to(torch.complex128)
        cos = (a * b.conj()).sum(-1).abs() / (torch.linalg.vector_norm(a, dim=-1) * torch.linalg.vector_norm(b, dim=-1))
        return ~(cos >= 1.0 - _TOL)
    a, b = new.astype(np.complex128), old.astype(np.complex128)
    cos = np.abs((a * b.conj()).sum(-1)) / (np.linalg.norm(a, axis=-1) * np.linalg.norm(b, axis=-1))
    return ~(cos >= 1.0 - _TOL)


# ------------------------------------------------------------------ one sweep over the factors


def _rfft(x: Any) -> Any:
    return torch_module().fft.rfft(x) if is_torch(x) else np.fft.rfft(x)


def _irfft(x: Any, dim: int) -> Any:
    if is_torch(x):
        return torch_module().fft.irfft(x, n=dim).to(torch_module().float32)
    return np.fft.irfft(x, n=dim).astype(np.float32)


def _others(kind: str, state: dict, f: int) -> Any:
    """``s ⊘ ∏_{g≠f} x̂_g``: the composite with every other current estimate unbound."""
    est, n_factors = state["est"], len(state["est"])
    if kind == "hrr":  # circular correlation = product with the conjugate spectrum
        spec = state["s_hat"]
        for g in range(n_factors):
            if g != f:
                spec = spec * state["est_hat"][g].conj()
        return _irfft(spec, state["dim"])
    if kind == "bipolar" and not is_torch(state["s"]):
        out = np.empty_like(state["s"])
        RK.unbind_others(state["s"], est, f, out)
        return out
    v = state["s"]
    for g in range(n_factors):
        if g != f:
            v = v * (est[g].conj() if kind == "phasor" else est[g])
    return v


def _sweep(kind: str, state: dict, books: list, books_t: list, tb: Any) -> Any:
    """Update every factor once, in order, each from the newest others; return the (n,) moved flags."""
    if kind == "block":
        return RB.sweep(state, books)
    est = state["est"]
    n = est[0].shape[0]
    use_torch = is_torch(est)
    changed = torch_module().zeros(n, dtype=torch_module().bool, device=est.device) if use_torch else np.zeros(n, bool)
    for f in range(len(books)):
        v = _others(kind, state, f)
        y = (v @ books_t[f]) @ books[f]  # X_fᵀ X_f v: the similarities, then the weighted superposition
        if kind == "bipolar" and not use_torch:
            RK.sign_update(np.ascontiguousarray(y), tb, est[f], changed)
            continue
        new = _g(kind, y, tb)
        changed |= (new != est[f]).any(-1) if kind == "bipolar" else _moved(new, est[f])
        est[f] = new
        if kind == "hrr":
            state["est_hat"][f] = _rfft(new)
    return changed


# ------------------------------------------------------------------ the public function


def resonator(model: Any, composite: Any, codebooks: Any, *, max_iter: int = 100, init: Any = None,
              seed: Seed = None) -> tuple[Any, Any, Any]:
    """Factor bound products ``s = bind(x_1, ..., x_F)`` with a resonator network.

    Each ``x_f`` is a row of the known codebook ``codebooks[f]``. Every factor
    estimate starts as the superposition (sum) of its codebook and is updated
    in turn, each update using the others' newest estimates (Frady et al. 2020):

    ``x̂_f <- g(X_fᵀ X_f unbind(s, bind(x̂_g for g != f)))``

    with ``g`` the model's nonlinearity: the sign for MAP and BSC (BSC runs
    on the ±1 form of its bits, where XOR is the product; zero components
    take the model's ``tiebreak``, as in its bundle), phase normalisation
    ``z / |z|`` for FHRR (unbind = product with the conjugate), and L2
    normalisation for HRR (unbind = circular correlation, the approximate
    inverse). BSBC (int16/int32 block indices) runs the same update on the
    one-hot form of its blocks, in exact integers: unbind = blockwise index
    subtraction (circular correlation of the per-block distributions while a
    factor still holds its start), similarities = equal blocks minus the
    chance level ``n_blocks / block_size`` (the centred one-hot codes), and
    ``g`` = per block the index with the largest summed weight of the
    codebook rows holding it (winner-take-all; ties by the model's
    ``tiebreak``, as in its bundle), so estimates are hard block codes after
    their first update; the "superposition" start is each codebook's
    per-block histogram. MCR and CGR (integers mod ``r``, bound by addition)
    run as FHRR on the phasors ``exp(2 pi i x / r)``, whose product is their
    bind; the decoded rows are rows of their codebooks. A composite stops when no estimate changes during a
    full sweep (MAP, BSC, BSBC: exactly; FHRR, MCR, CGR, HRR: ``|cos(new, old)| >= 1 - 1e-6``, so a
    global phase or sign traded between factors is no change) or after
    ``max_iter`` sweeps. The decoded index of factor ``f`` is the row of
    ``X_f`` with the largest absolute similarity to ``x̂_f`` (the estimates of
    two factors may converge to ``-x_f`` and ``-x_g``, or to opposite global
    phases for FHRR, whose product is still ``s``).

    Parameters
    ----------
    model : MAP, BSC, FHRR, HRR, BSBC, MCR or CGR
        The model the composites and codebooks belong to.
    composite : numpy.ndarray or torch.Tensor
        ``(n, width)`` composites factored independently, or one ``(width,)``.
    codebooks : list of numpy.ndarray or torch.Tensor
        ``F >= 2`` codebooks ``(M_f, width)``, ``M_f >= 1``, in the model's
        vector dtype and on the composite's backend (and device); a single
        ``(F, M, width)`` array also works.
    max_iter : int
        Most sweeps per composite (>= 1). Limit cycles and slow cases stop
        here, unconverged.
    init : None, "superposition", "random" or list of arrays
        Starting estimates. None or "superposition": the sum of ``X_f``'s rows
        (BSBC: per block, the histogram of the rows' indices).
        "random": random vectors of the model drawn from ``seed``. A list of
        ``F`` model vectors ``(width,)`` or ``(n, width)``: used as given.
    seed : int, numpy.random.Generator or None
        Seed of the "random" initialisation; unused otherwise.

    Returns
    -------
    indices : numpy.ndarray or torch.Tensor
        int64 ``(n, F)``: the decoded row of every codebook.
    converged : numpy.ndarray or torch.Tensor
        bool ``(n,)``: the estimates reached a fixed point within
        ``max_iter`` sweeps (a fixed point is usually, but not always, the
        right factorisation).
    iterations : numpy.ndarray or torch.Tensor
        int64 ``(n,)``: sweeps run (including the one that found no change);
        ``max_iter`` where not converged.

    Raises
    ------
    TypeError
        If ``model`` is another model, ``max_iter`` is not an int,
        ``codebooks`` is not a list, an array has the wrong dtype, or NumPy
        and torch are mixed.
    ValueError
        If fewer than two codebooks are given, a codebook is not 2-D with at
        least one row, widths do not match the model, ``max_iter < 1``,
        ``init`` is malformed, a float input holds NaN or inf, a BSBC input
        holds an index outside ``[0, block_size)``, or (BSBC superposition
        start) ``n_blocks * block_size * prod(M_f) >= 2**62``.

    Shapes
    ------
    ``(n, width), [(M_f, width)] * F -> (n, F), (n,), (n,)``;
    ``(width,), ... -> (F,), (), ()``

    Notes
    -----
    NumPy input runs through BLAS products and (MAP, BSC, BSBC) Numba kernels;
    torch input runs with torch on the tensors' device and returns tensors
    there. Each sweep costs two ``(n, width) x (width, M_f)`` products per
    factor (BSBC: ``O(n * n_blocks * (M_f + block_size))`` integer work);
    composites that have converged leave the batch.

    Examples
    --------
    >>> from hdvec import hdc
    >>> from hdvec.hdc.resonator import resonator
    >>> m = hdc.MAP(1000, seed=0)
    >>> books = [m.random(20) for _ in range(3)]
    >>> s = m.bind(m.bind(books[0][3], books[1][7]), books[2][11])
    >>> idx, converged, iters = resonator(m, s, books)
    >>> idx.tolist(), bool(converged)
    ([3, 7, 11], True)
    >>> b = hdc.BSBC(2000, block_size=10, seed=0)
    >>> books = [b.random(20) for _ in range(3)]
    >>> s = b.bind(b.bind(books[0][3], books[1][7]), books[2][11])
    >>> idx, converged, iters = resonator(b, s, books)
    >>> idx.tolist(), bool(converged)
    ([3, 7, 11], True)
    """
    kind = _kind(model)
    max_iter = check_count(max_iter, "max_iter", minimum=1)
    books_in = _codebook_list(codebooks)
    use_torch = same_backend(composite=composite, **{f"codebooks[{f}]": b for f, b in enumerate(books_in)})
    s_in = model.check(composite, "composite")
    if s_in.ndim not in (1, 2):
        raise ValueError(f"`composite` must have shape (n, {model.width}) or ({model.width},); "
                         f"got {tuple(s_in.shape)}")
    single = s_in.ndim == 1
    n = 1 if single else s_in.shape[0]
    for f, b in enumerate(books_in):
        b = model.check(b, f"codebooks[{f}]")
        if b.ndim != 2 or b.shape[0] < 1:
            raise ValueError(f"`codebooks[{f}]` must have shape (M, {model.width}) with M >= 1; "
                             f"got {tuple(b.shape)}")
    books = [_to_internal(model, kind, b) for b in books_in]
    s = _to_internal(model, kind, s_in.reshape(n, model.width))
    est = _initial(model, kind, init, seed, books, n, use_torch, s)

    blocks = None
    if kind == "block":
        books_t, tb = books, None
        blocks = RB.setup(model, books, init is None or (isinstance(init, str) and init == "superposition"))
    elif use_torch:
        tb = torch_module().from_numpy(_tiebreak(model, kind)).to(s.device)
        books_t = [(b.conj() if kind == "phasor" else b).T.contiguous() for b in books]
    else:
        tb = _tiebreak(model, kind)
        books_t = [np.ascontiguousarray((b.conj() if kind == "phasor" else b).T) for b in books]
    final, iters, conv = _iterate(kind, s, est, books, books_t, tb, max_iter, model.dim, blocks)
    idx = RB.readout(final, books, blocks) if kind == "block" else _readout(final, books_t)
    if use_torch:
        torch = torch_module()
        dev = s.device
        idx = idx.to(dev)
        iters, conv = torch.from_numpy(iters).to(dev), torch.from_numpy(conv).to(dev)
    if single:
        return idx[0], conv[0], iters[0]
    return idx, conv, iters


def _initial(model: Any, kind: str, init: Any, seed: Seed, books: list, n: int, use_torch: bool,
             s: Any) -> Any:
    """Starting estimates ``(F, n, D)`` in the internal form."""
    n_factors = len(books)
    if kind == "block" and (init is None or (isinstance(init, str) and init == "superposition")):
        start = [s * 0] * n_factors  # unused: the soft start (codebook histograms) is in RB.setup's state
    elif init is None or (isinstance(init, str) and init == "superposition"):
        # the plain sum, not g(sum): thresholding it first adds ties and mixture states (more spurious
        # fixed points: with F = 4, M = 4, D = 256, 68 of 400 composites against 26)
        start = [(b.sum(0, keepdim=True).expand(n, -1) if use_torch else np.broadcast_to(b.sum(0), (n, b.shape[-1])))
                 for b in books]
    elif isinstance(init, str) and init == "random":
        rng = as_rng(seed)
        drawn = model.random((n_factors, n), seed=rng, device=s.device if use_torch else None)
        start = [_to_internal(model, kind, drawn[f]) for f in range(n_factors)]
        if kind == "hrr":
            start = [_g(kind, x, None) for x in start]
    elif isinstance(init, (list, tuple)):
        if len(init) != n_factors:
            raise ValueError(f"`init` must hold one starting estimate per codebook ({n_factors}); got {len(init)}")
        start = []
        for f, x in enumerate(init):
            same_backend(composite=s, **{f"init[{f}]": x})
            x = model.check(x, f"init[{f}]")
            if x.shape[:-1] not in ((), (n,)):
                raise ValueError(f"`init[{f}]` must have shape ({model.width},) or ({n}, {model.width}); "
                                 f"got {tuple(x.shape)}")
            x = _to_internal(model, kind, x.reshape(-1, model.width))
            start.append(x.expand(n, -1) if use_torch else np.broadcast_to(x, (n, x.shape[-1])))
    else:
        raise ValueError(f"`init` must be None, 'superposition', 'random' or a list of {n_factors} arrays; "
                         f"got {init!r}")
    if use_torch:
        return torch_module().stack(start).contiguous()
    return np.ascontiguousarray(np.stack(start))


def _iterate(kind: str, s: Any, est: Any, books: list, books_t: list, tb: Any, max_iter: int,
             dim: int, extra: dict | None = None) -> tuple[Any, np.ndarray, np.ndarray]:
    """Run sweeps until every composite converges or ``max_iter``; converged rows leave the batch.

    ``extra``: further state of the block (BSBC) iteration, from ``RB.setup``.
    Returns the final estimates ``(F, n, D)`` and the (n,) int64 sweeps and bool flags (NumPy).
    """
    n = s.shape[0]
    use_torch = is_torch(s)
    iters = np.full(n, max_iter, np.int64)
    conv = np.zeros(n, bool)
    final = est.clone() if use_torch else est.copy()
    active = np.arange(n)
    state = {"s": s, "est": est, "dim": dim, **(extra or {})}
    if kind == "hrr":
        state["s_hat"] = _rfft(s)
        state["est_hat"] = [_rfft(est[f]) for f in range(est.shape[0])]
    for t in range(1, max_iter + 1):
        if n == 0:
            break
        changed = _sweep(kind, state, books, books_t, tb)
        changed = changed.cpu().numpy() if use_torch else changed
        done = ~changed
        if t == max_iter or done.any():
            rows = active if t == max_iter else active[done]
            sel = np.arange(len(active)) if t == max_iter else np.flatnonzero(done)
            key = torch_module().from_numpy(sel).to(s.device) if use_torch else sel
            final[:, torch_module().from_numpy(rows).to(s.device) if use_torch else rows] = state["est"][:, key]
            iters[active[done]], conv[active[done]] = t, True
        if t == max_iter or done.all():
            break
        if done.any():
            keep = np.flatnonzero(changed)
            key = torch_module().from_numpy(keep).to(s.device) if use_torch else keep
            active = active[keep]
            state["s"] = state["s"][key]
            state["est"] = state["est"][:, key].contiguous() if use_torch else np.ascontiguousarray(state["est"][:, key])
            if kind == "hrr":
                state["s_hat"] = state["s_hat"][key]
                state["est_hat"] = [e[key] for e in state["est_hat"]]
    return final, iters, conv


def _readout(final: Any, books_t: list) -> Any:
    """(n, F) int64: per factor, the codebook row with the largest absolute similarity to the estimate."""
    if is_torch(final):
        torch = torch_module()
        return torch.stack([(final[f] @ bt).abs().argmax(-1) for f, bt in enumerate(books_t)], dim=-1).to(torch.int64)
    cols = [np.abs(final[f] @ bt).argmax(-1) for f, bt in enumerate(books_t)]
    return np.stack(cols, axis=-1).astype(np.int64) if cols[0].size else np.zeros((final.shape[1], len(books_t)), np.int64)

