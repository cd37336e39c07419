"""Resonator networks: the capacity curve (accuracy vs codebook size) and speed against Torchhd.

    python benchmarks/bench_resonator.py              # capacity curve + speed (a few minutes, 2 threads)
    python benchmarks/bench_resonator.py --only speed # speed table only
    python benchmarks/bench_resonator.py --only bsbc  # BSBC accuracy against block size

Capacity: F = 3 factors, bipolar MAP, D in {1000, 1500, 2000}, M codevectors per factor from 10 up,
``--trials`` random problems per point (fixed seed), at most ``--max-iter`` sweeps. A trial counts as
correct when all three decoded indices are right. Writes ``docs/resonator_capacity.png`` and prints
a Markdown table.

BSBC: F = 3, M = 50, 10,000 bits in blocks of 10 to 100 bits, 50 problems per block size.

Speed: F = 3, M = 100, D = 1,500, the same problems for every peer, each peer in its own subprocess
with 2 threads: hdvec (NumPy), hdvec (torch CPU) and Torchhd's ``functional.resonator``, which runs
one synchronous step per call, so it is called a fixed number of times (``--torchhd-steps``).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

THREADS = "2"
THREAD_ENV = {"OMP_NUM_THREADS": THREADS, "NUMBA_NUM_THREADS": THREADS, "MKL_NUM_THREADS": THREADS,
              "OPENBLAS_NUM_THREADS": THREADS, "OMP_WAIT_POLICY": "PASSIVE"}
for _k, _v in THREAD_ENV.items():  # before NumPy starts its BLAS threads
    os.environ.setdefault(_k, _v)

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
SEED = 2020
DIMS = (1000, 1500, 2000)
SIZES = (10, 25, 50, 75, 100, 125, 150, 200, 250, 300)


def make_problem(dim: int, m: int, n: int, seed: int, n_factors: int = 3):
    """Bipolar float32 codebooks (F, m, dim), true rows (n, F) and composites (n, dim)."""
    from hdvec import hdc

    model = hdc.MAP(dim, seed=seed)
    rng = np.random.default_rng([seed, dim, m])
    books = model.random((n_factors, m), seed=rng)
    truth = rng.integers(0, m, (n, n_factors))
    s = np.prod([books[f][truth[:, f]] for f in range(n_factors)], axis=0).astype(np.float32)
    return model, books, truth, s


# ----------------------------------------------------------------------------- capacity
def bsbc(trials: int, max_iter: int, dim: int = 10_000, m: int = 50, block_sizes=(10, 20, 25, 50, 100)) -> str:
    """BSBC accuracy against block size: F = 3, ``m`` codevectors per factor, ``trials`` problems each."""
    from hdvec import hdc

    out = ["| block_size (blocks) | accuracy | converged | converged to a wrong answer | mean sweeps |",
           "|---:|---:|---:|---:|---:|"]
    for r in block_sizes:
        model = hdc.BSBC(dim, block_size=r, seed=SEED)
        rng = np.random.default_rng([SEED, dim, m, r])
        books = [model.random(m, seed=rng) for _ in range(3)]
        truth = rng.integers(0, m, (trials, 3))
        s = model.bind(model.bind(books[0][truth[:, 0]], books[1][truth[:, 1]]), books[2][truth[:, 2]])
        idx, conv, iters = hdc.resonator(model, s, books, max_iter=max_iter)
        ok = (idx == truth).all(-1)
        out.append(f"| {r} ({dim // r:,}) | {ok.mean():.2f} | {conv.mean():.2f} | {int((conv & ~ok).sum())} | "
                   f"{iters.mean():.1f} |")
        print(out[-1], file=sys.stderr)
    return "\n".join(out)


def capacity(trials: int, max_iter: int, dims=DIMS, sizes=SIZES) -> list[dict]:
    from hdvec.hdc.resonator import resonator

    rows = []
    for dim in dims:
        for m in sizes:
            model, books, truth, s = make_problem(dim, m, trials, SEED)
            t0 = time.perf_counter()
            idx, conv, iters = resonator(model, s, list(books), max_iter=max_iter)
            secs = time.perf_counter() - t0
            ok = (idx == truth).all(-1)
            rows.append({"dim": dim, "m": m, "space": m**3, "accuracy": float(ok.mean()),
                         "converged": float(conv.mean()), "mean_iters": float(iters.mean()), "seconds": secs})
            print(f"D={dim} M={m}: accuracy {ok.mean():.3f}, converged {conv.mean():.3f}, "
                  f"mean sweeps {iters.mean():.1f} ({secs:.1f} s)", file=sys.stderr)
            if ok.mean() < 0.05:  # past the drop: larger M only costs time
                break
    return rows


def plot(rows: list[dict], path: Path, trials: int, max_iter: int) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 4))
    for dim in sorted({r["dim"] for r in rows}):
        rr = [r for r in rows if r["dim"] == dim]
        ax.plot([r["m"] for r in rr], [r["accuracy"] for r in rr], "o-", label=f"D = {dim:,}")
    ax.axhline(0.99, color="grey", lw=0.8, ls="--")
    ax.set_xlabel("codevectors per factor M (search space M³)")
    ax.set_ylabel("fraction of exact factorisations")
    ax.set_title(f"hdvec resonator, bipolar MAP, F = 3 ({trials} trials/point, ≤{max_iter} sweeps)", fontsize=9)
    ax.set_ylim(-0.02, 1.02)
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=120)


def capacity_table(rows: list[dict]) -> str:
    dims = sorted({r["dim"] for r in rows})
    sizes = sorted({r["m"] for r in rows})
    acc = {(r["dim"], r["m"]): r for r in rows}
    out = ["| M | M³ | " + " | ".join(f"D = {d:,}: accuracy (mean sweeps)" for d in dims) + " |",
           "|---:|---:|" + "---:|" * len(dims)]
    for m in sizes:
        cells = [f"{acc[d, m]['accuracy']:.3f} ({acc[d, m]['mean_iters']:.1f})" if (d, m) in acc else "–"
                 for d in dims]
        out.append(f"| {m} | {m**3:,} | " + " | ".join(cells) + " |")
    return "\n".join(out)


# ----------------------------------------------------------------------------- speed (one peer per process)
def peer(name: str, n: int, max_iter: int, steps: int) -> dict:
    import torch

    torch.set_num_threads(int(THREADS))
    model, books, truth, s = make_problem(1500, 100, n, SEED + 1)
    if name.startswith("hdvec"):
        from hdvec.hdc.resonator import resonator

        args = (s, list(books))
        if name == "hdvec-torch":
            args = (torch.from_numpy(s), [torch.from_numpy(b) for b in books])
        resonator(model, args[0][:4], [b for b in args[1]], max_iter=3)  # warm-up (Numba compilation)
        t0 = time.perf_counter()
        idx, conv, iters = resonator(model, *args, max_iter=max_iter)
        secs = time.perf_counter() - t0
        idx, conv, iters = (np.asarray(x) for x in (idx, conv, iters))
        extra = {"converged": float(conv.mean()), "mean_iters": float(iters.mean())}
    elif name == "brute-force":  # exact: every (x_1, x_2) pair unbound from s, then one product with X_3
        pairs = (books[0][:, None, :] * books[1][None, :, :]).reshape(-1, books.shape[-1])  # (M^2, D), untimed
        t0 = time.perf_counter()
        idx = np.empty((n, 3), np.int64)
        for i in range(n):
            best = int(np.argmax((pairs * s[i]) @ books[2].T))  # (M^2, M) scores of all M^3 combinations
            idx[i] = (best // books.shape[1] // books.shape[1], best // books.shape[1] % books.shape[1],
                      best % books.shape[1])
        secs = time.perf_counter() - t0
        extra = {}
    else:
        import torchhd
        from torchhd import functional as thd

        domains = torchhd.MAPTensor(torch.from_numpy(books))  # (F, M, D)
        x = torchhd.MAPTensor(torch.from_numpy(s))  # (n, D)
        start = torchhd.MAPTensor(torch.from_numpy(books.sum(1)))  # superposition (multiset) per factor
        thd.resonator(x[:4], start.expand(4, -1, -1), domains)  # warm-up
        t0 = time.perf_counter()
        est = start.expand(n, -1, -1)
        for _ in range(steps):
            est = thd.resonator(x, est, domains)
        sims = torch.einsum("nfd,fmd->nfm", est.as_subclass(torch.Tensor), domains.as_subclass(torch.Tensor))
        idx = sims.abs().argmax(-1).numpy()
        secs = time.perf_counter() - t0
        extra = {"steps": steps}
    return {"peer": name, "n": n, "seconds": secs, "per_second": n / secs,
            "accuracy": float((idx == truth).all(-1).mean()), **extra}


def speed(n: int, max_iter: int, steps_list: list[int]) -> list[dict]:
    runs = [("hdvec-numpy", 0), ("hdvec-torch", 0), ("brute-force", 0)] + [("torchhd", k) for k in steps_list]
    out = []
    for name, steps in runs:
        cmd = [sys.executable, __file__, "--peer", name, "--n", str(n), "--max-iter", str(max_iter),
               "--torchhd-steps", str(steps)]
        proc = subprocess.run(cmd, env={**os.environ, **THREAD_ENV}, cwd=ROOT, capture_output=True, text=True,
                              check=False)
        if proc.returncode != 0:
            print(proc.stderr, file=sys.stderr)
            continue
        out.append(json.loads(proc.stdout.strip().splitlines()[-1]))
    return out


def speed_table(rows: list[dict], max_iter: int) -> str:
    out = ["| peer | iterations | accuracy | factorisations / s |", "|---|---|---:|---:|"]
    for r in rows:
        it = (f"until converged, ≤{max_iter} sweeps (mean {r['mean_iters']:.1f})" if "mean_iters" in r
              else f"fixed: {r['steps']} steps" if "steps" in r else "exhaustive: all M³ combinations scored")
        out.append(f"| {r['peer']} | {it} | {r['accuracy']:.3f} | {r['per_second']:,.0f} |")
    return "\n".join(out)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--only", choices=["capacity", "speed", "bsbc"], default=None)
    ap.add_argument("--trials", type=int, default=100, help="problems per (D, M) point")
    ap.add_argument("--capacity-max-iter", type=int, default=500, help="sweep cap of the capacity curve")
    ap.add_argument("--max-iter", type=int, default=100, help="sweep cap of the speed comparison")
    ap.add_argument("--n", type=int, default=500, help="problems in the speed comparison")
    ap.add_argument("--torchhd-steps", type=int, nargs="+", default=[25, 100])
    ap.add_argument("--figure", type=Path, default=ROOT / "docs" / "resonator_capacity.png")
    ap.add_argument("--peer", default=None, help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.peer:
        print(json.dumps(peer(a.peer, a.n, a.max_iter, a.torchhd_steps[0])))
        return
    if a.only in (None, "capacity"):
        rows = capacity(a.trials, a.capacity_max_iter)
        plot(rows, a.figure, a.trials, a.capacity_max_iter)
        print(f"### Capacity (F = 3, bipolar MAP, {a.trials} trials per point, <= {a.capacity_max_iter} sweeps, "
              f"seed {SEED})\n")
        print(capacity_table(rows) + "\n")
    if a.only in (None, "bsbc"):
        print(f"### BSBC (F = 3, M = 50, 10,000 bits, 50 problems per block size, <= {a.max_iter} sweeps, "
              f"seed {SEED})\n")
        print(bsbc(50, a.max_iter) + "\n")
    if a.only in (None, "speed"):
        rows = speed(a.n, a.max_iter, a.torchhd_steps)
        print(f"### Speed (F = 3, M = 100, D = 1,500, {a.n} problems, 2 threads)\n")
        print(speed_table(rows, a.max_iter))


if __name__ == "__main__":
    main()
