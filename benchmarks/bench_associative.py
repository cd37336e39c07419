"""Associative memories: measured capacity next to the theory.

    python benchmarks/bench_associative.py            # full run, about 2.5 minutes on 2 cores
    python benchmarks/bench_associative.py --quick    # smoke test, well under a minute

Prints Markdown tables (and the command line and seed they came from):

Classic Hopfield (``hdvec.hdc.Hopfield``): N bipolar neurons (500 and 1,000), P = alpha N random
patterns for loads alpha on a grid from 0.02 to 0.25. For each load: the fraction of stored
patterns that are fixed points of the sign update; the fraction of trials in which all P are; and
the fraction recalled exactly (and the mean final overlap) from copies with 10 % of the bits
flipped, with synchronous and asynchronous updates. Theory: one bit of a stored pattern is
unstable with probability q = Phi(-sqrt((N - 1) / (P - 1))) (signal N - 1 against Gaussian
crosstalk of variance (P - 1)(N - 1)), so a pattern is a fixed point with probability about
(1 - q)^N and all P are with probability about (1 - q)^(NP); McEliece, Posner, Rodemich &
Venkatesh (1987) give the asymptotic capacities N / (2 ln N) (each pattern stable) and
N / (4 ln N) (all patterns stable); Amit, Gutfreund & Sompolinsky (1985) give the critical load
alpha_c ~ 0.138 above which the retrieval states vanish and recall collapses.

Sparse distributed memory (``hdvec.hdc.SparseDistributedMemory``): D = 256 address bits,
M = 3,000 hard locations, activation probability p = 0.02 (about 60 active locations per
address), T items stored auto-associatively. For each T: bit accuracy of one read from 10 % noise
next to the signal-to-noise prediction, exact recall after one read and after 5 iterated reads.
Theory: signal M p f, noise sqrt(T (M p^2 + M^2 p^4)), with f the fraction of the item's active
locations that the noisy query also activates, so SNR = f sqrt(M / (T (1 + M p^2))), the bit
error rate is Phi(-SNR) and one read is exact with probability about (1 - Phi(-SNR))^D.

Modern Hopfield (``hdvec.hdc.modern_hopfield``): D = 256, P from 0.138 D to 32 D stored patterns,
one update ``softmax(beta X xi) X`` from 10 % noise, then the sign; exact recall for three
inverse temperatures, next to the classic Hopfield network holding the same patterns. Theory
(Ramsauer et al. 2020): the capacity grows exponentially with D, so no collapse is expected at
these P once beta is large enough to separate the patterns. The estimate printed with each
measurement: the target's softmax weight exp(beta (D - 2k)) against the sum over the other
patterns, Gaussian with standard deviation sqrt(P - 1) exp(beta^2 D), per bit, independent bits.
"""

from __future__ import annotations

import argparse
import math
import os
import shlex
import sys
import time

THREADS = "2"
for _k in ("OMP_NUM_THREADS", "NUMBA_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
    os.environ.setdefault(_k, THREADS)  # before NumPy starts its BLAS threads

import numpy as np

from hdvec import hdc

AGS_ALPHA_C = 0.138
NOISE = 0.10


def phi(z: float) -> float:
    """Standard normal CDF."""
    return 0.5 * math.erfc(-z / math.sqrt(2))


def flip(x: np.ndarray, k: int, rng: np.random.Generator) -> np.ndarray:
    """Copy of bipolar rows ``x`` with exactly ``k`` random components of each row negated."""
    y = x.copy()
    idx = np.argsort(rng.random(x.shape), axis=1)[:, :k]
    np.put_along_axis(y, idx, -np.take_along_axis(y, idx, axis=1), axis=1)
    return y


def crossing(xs, ys, level: float) -> str:
    """First x at which ``ys`` falls below ``level`` (linear interpolation), as text."""
    for i, y1 in enumerate(ys):
        if y1 < level:
            if i == 0:
                return f"<= {xs[0]:.3f}"
            x0, x1, y0 = xs[i - 1], xs[i], ys[i - 1]
            return f"{x0 + (x1 - x0) * (y0 - level) / (y0 - y1):.3f}"
    return f"> {xs[-1]:.3f}"


def theory_crossing(f, level: float, lo: float = 1e-3, hi: float = 1.0) -> float:
    """The load at which the decreasing function ``f`` equals ``level`` (bisection)."""
    for _ in range(60):
        mid = 0.5 * (lo + hi)
        lo, hi = (mid, hi) if f(mid) > level else (lo, mid)
    return 0.5 * (lo + hi)


# ----------------------------------------------------------------------------- classic Hopfield
def p_bit_unstable(n: int, p: int) -> float:
    return phi(-math.sqrt((n - 1) / max(p - 1, 1e-9)))


def hopfield(n: int, loads, min_queries: int, min_trials: int, seed: int, max_iter: int = 30) -> tuple[str, str]:
    model = hdc.MAP(n, dtype="int8", seed=seed)
    rng = np.random.default_rng([seed, n])
    k = round(NOISE * n)
    rows = [("| load α = P/N | P | stable: measured | stable: theory | all P stable: measured | "
             "all P stable: theory | exact recall, sync | exact recall, async | mean overlap, async | "
             "overlap ≥ 0.9, async |"),
            "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    curve = []
    for alpha in loads:
        p = max(2, round(alpha * n))
        trials = max(min_trials, math.ceil(min_queries / p))
        stable, all_stable, ex_s, ex_a, ov_a = [], [], [], [], []
        for _ in range(trials):
            x = model.random(p, seed=rng)
            net = Hopfield(model)
            net.write(x)
            _, _, fixed = net.recall(x, max_iter=1, return_info=True)  # no unit changes in one sweep
            stable.append(fixed)
            all_stable.append(fixed.all())
            q = flip(x, k, rng)
            ex_s.append((net.recall(q, mode="sync", max_iter=max_iter) == x).all(1))
            out = net.recall(q, mode="async", max_iter=max_iter, seed=rng)
            ex_a.append((out == x).all(1))
            ov_a.append((out.astype(np.float32) * x).mean(1))
        stable, ex_s, ex_a, ov_a = (np.concatenate(v) for v in (stable, ex_s, ex_a, ov_a))
        q_bit = p_bit_unstable(n, p)
        th_stable, th_all = (1 - q_bit) ** n, (1 - q_bit) ** (n * p)
        curve.append((p / n, stable.mean(), ex_s.mean(), ex_a.mean(), (ov_a >= 0.9).mean(), ov_a.mean(),
                      float(np.mean(all_stable))))
        rows.append(f"| {p / n:.3f} | {p} | {stable.mean():.3f} | {th_stable:.3f} | {np.mean(all_stable):.2f} "
                    f"({trials}) | {th_all:.2f} | {ex_s.mean():.3f} | {ex_a.mean():.3f} | {ov_a.mean():.3f} | "
                    f"{(ov_a >= 0.9).mean():.3f} |")
        print(f"  N={n} alpha={p / n:.3f}: {trials} trials", file=sys.stderr)
    a = [c[0] for c in curve]

    def measured(label: str, ys) -> str:
        return f"| {label} (measured) | {crossing(a, ys, 0.99)} | {crossing(a, ys, 0.5)} |"

    def theory(label: str, f) -> str:
        return f"| {label} (theory) | {theory_crossing(f, 0.99):.3f} | {theory_crossing(f, 0.5):.3f} |"

    summary = [
        f"| N = {n:,}: load α at which … falls below | 99 % | 50 % |",
        "|---|---:|---:|",
        measured("exact recall from 10 % noise, sync", [c[2] for c in curve]),
        measured("exact recall from 10 % noise, async", [c[3] for c in curve]),
        measured("a stored pattern is a fixed point", [c[1] for c in curve]),
        theory("a stored pattern is a fixed point, (1 - q)^N", lambda al: (1 - phi(-1 / math.sqrt(al))) ** n),
        measured("all P patterns are fixed points", [c[6] for c in curve]),
        theory("all P patterns are fixed points, (1 - q)^(NP)",
               lambda al: (1 - phi(-1 / math.sqrt(al))) ** (n * n * al)),
        measured("recall to overlap ≥ 0.9 from 10 % noise, async", [c[4] for c in curve]),
        "",
        (f"Reference loads for N = {n:,}: McEliece et al. N / (2 ln N) = {n / (2 * math.log(n)):.1f} patterns "
         f"(α = {1 / (2 * math.log(n)):.3f}, each pattern stable), N / (4 ln N) = {n / (4 * math.log(n)):.1f} "
         f"(α = {1 / (4 * math.log(n)):.3f}, all patterns stable); Amit, Gutfreund & Sompolinsky α_c = "
         f"{AGS_ALPHA_C} (N → ∞)."),
    ]
    return "\n".join(rows), "\n".join(summary)


# ----------------------------------------------------------------------------- SDM
def sdm(sizes, min_queries: int, seed: int, dim: int = 256, n_loc: int = 3000, p: float = 0.02,
        n_reads: int = 5) -> tuple[str, dict]:
    b = hdc.BSC(dim, seed=seed)
    rng = np.random.default_rng([seed, dim, n_loc])
    k = round(NOISE * dim)
    probe = SparseDistributedMemory(b, n_loc, p=p, seed=seed)
    r = probe.radius
    p_act = sum(math.comb(dim, j) for j in range(r + 1)) / 2**dim
    both = sum(math.comb(k, i) * math.comb(dim - k, j) for i in range(k + 1) for j in range(dim - k + 1)
               if i + j <= r and k - i + j <= r) / 2**dim
    f = both / p_act
    rows = [("| items T | T / M | SNR | bits right, 1 read: measured | bits right, 1 read: theory | "
             "exact, 1 read: measured | exact, 1 read: theory | exact, 5 reads: measured |"),
            "|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for t in sizes:
        trials = max(1, math.ceil(min_queries / t))
        bits, one, five = [], [], []
        for _ in range(trials):
            x = b.random(t, seed=rng)
            mem = SparseDistributedMemory(b, n_loc, p=p, seed=rng)  # fresh hard locations per trial
            mem.write(x, x)
            q = hdc.pack_bits(flip(b.to_bipolar(x), k, rng))
            out = mem.read(q)
            err = np.diagonal(b.hamming(out, x))
            bits.append(1 - err / dim)
            one.append(err == 0)
            for _ in range(n_reads - 1):
                out = mem.read(out)
            five.append(np.diagonal(b.hamming(out, x)) == 0)
        bits, one, five = (np.concatenate(v) for v in (bits, one, five))
        snr = f * math.sqrt(n_loc / (t * (1 + n_loc * p_act**2)))
        ber = phi(-snr)
        rows.append(f"| {t} | {t / n_loc:.3f} | {snr:.2f} | {bits.mean():.4f} | {1 - ber:.4f} | {one.mean():.3f} | "
                    f"{(1 - ber) ** dim:.3f} | {five.mean():.3f} |")
        print(f"  SDM T={t}: {trials} trials", file=sys.stderr)
    info = {"dim": dim, "n_loc": n_loc, "p": p, "radius": r, "p_act": p_act, "f": f, "n_reads": n_reads}
    return "\n".join(rows), info


# ----------------------------------------------------------------------------- modern Hopfield
def modern(ratios, betas, n_queries: int, seed: int, dim: int = 256) -> str:
    model = hdc.MAP(dim, dtype="int8", seed=seed)
    rng = np.random.default_rng([seed, dim, 7])
    k = round(NOISE * dim)
    head = " | ".join(f"modern, β = 1/{1 / b:g}" for b in betas)
    rows = [f"| P | P / D | {head} | classic, sync | classic, async | classic: fixed point (theory) |",
            "|---:|---:|" + "---:|" * (len(betas) + 3)]
    for ratio in ratios:
        p = round(ratio * dim)
        x = model.random(p, seed=rng)
        nq = min(p, n_queries)
        q = flip(x[:nq], k, rng)
        cells = []
        for beta in betas:
            exact = (np.sign(modern_hopfield(q, x, beta)) == x[:nq]).all(1).mean()
            # target weight exp(beta (D - 2k)) against the other patterns' Gaussian sum, std sqrt(P - 1) exp(beta^2 D)
            snr = math.exp(beta * (dim - 2 * k) - beta**2 * dim) / math.sqrt(max(p - 1, 1))
            cells.append(f"{exact:.3f} ({(1 - phi(-snr)) ** dim:.3f})")
        net = Hopfield(model)
        net.write(x)
        cells.append(f"{(net.recall(q, mode='sync') == x[:nq]).all(1).mean():.3f}")
        cells.append(f"{(net.recall(q, mode='async', seed=rng) == x[:nq]).all(1).mean():.3f}")
        cells.append(f"{(1 - p_bit_unstable(dim, p)) ** dim:.3f}")
        rows.append(f"| {p:,} | {p / dim:.3f} | " + " | ".join(cells) + " |")
        print(f"  modern P={p}: {nq} queries", file=sys.stderr)
    return "\n".join(rows)


Hopfield, SparseDistributedMemory, modern_hopfield = hdc.Hopfield, hdc.SparseDistributedMemory, hdc.modern_hopfield


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="smaller grids and fewer trials (smoke test)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--only", choices=["hopfield", "sdm", "modern"], default=None)
    a = ap.parse_args()
    t0 = time.perf_counter()
    print(f"Command: `python {' '.join(shlex.quote(s) for s in sys.argv)}` (seed {a.seed}, "
          f"{THREADS} threads, 10 % of the bits flipped in every query)\n")
    if a.only in (None, "hopfield"):
        sizes = (500,) if a.quick else (500, 1000)
        for n in sizes:
            step = 0.02 if a.quick else 0.01
            loads = [round(x, 3) for x in np.arange(0.02, 0.2501, step)]
            table, summary = hopfield(n, loads, min_queries=100 if a.quick else (600 if n <= 500 else 300),
                                      min_trials=2 if a.quick else 4, seed=a.seed)
            print(f"### Classic Hopfield, N = {n:,}\n")
            print("Stable: fraction of the stored patterns that are fixed points; all P stable: fraction of "
                  "the trials (count in brackets) in which every stored pattern is; exact recall: final "
                  "state equal to the stored pattern; overlap: m = mean of s_i x_i over the bits (1 = exact, "
                  "0 = unrelated); theory: q = Φ(-sqrt((N - 1) / (P - 1))).\n")
            print(table + "\n")
            print(summary + "\n")
    if a.only in (None, "sdm"):
        sizes = (10, 30, 100, 300) if a.quick else (10, 20, 30, 50, 75, 100, 150, 200, 300, 500)
        table, info = sdm(sizes, min_queries=100 if a.quick else 600, seed=a.seed)
        print(f"### Sparse distributed memory, D = {info['dim']} bits, M = {info['n_loc']:,} locations, "
              f"p = {info['p']} (radius {info['radius']}, activation probability {info['p_act']:.4f}, "
              f"about {info['n_loc'] * info['p_act']:.0f} active locations; a 10 % noisy query shares "
              f"f = {info['f']:.3f} of them)\n")
        print(table + "\n")
    if a.only in (None, "modern"):
        ratios = (0.138, 0.5, 2, 8) if a.quick else (0.138, 0.25, 0.5, 1, 2, 8, 32)
        betas = (1 / 64, 1 / 16, 1 / 4)
        print("### Modern Hopfield vs classic Hopfield, D = N = 256, exact recall from 10 % noise "
              f"(one update then the sign; up to {100 if a.quick else 300} queries per row)\n")
        print("Modern: measured (Gaussian estimate (1 - Φ(-SNR))^D, SNR = exp(β (D - 2k) - β² D) / sqrt(P - 1), "
              "k = 26 flipped bits); classic: the same patterns in a Hopfield network, and the probability "
              "(1 - q)^N that a stored pattern is a fixed point.\n")
        print(modern(ratios, betas, n_queries=100 if a.quick else 300, seed=a.seed) + "\n")
    print(f"Total time: {time.perf_counter() - t0:.0f} s")


if __name__ == "__main__":
    main()
