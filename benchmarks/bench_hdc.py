"""Benchmark of VSA primitives at D=10,000: hdvec vs Torchhd, plain NumPy and Faiss (see README.md).

The parent generates the data once (fixed seed) into a temporary directory and runs each peer in
its own subprocess (``--peer NAME --data DIR --json OUT``): Faiss, torch and Numba each bring an
OpenMP runtime and slow each other down in one process. It merges the JSON results into Markdown.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import traceback
from pathlib import Path

import numpy as np

OPS = ["random", "bind", "bundle", "permute", "similarity", "cleanup", "cleanup1"]
MODELS = ["map-f32", "map-i8", "bsc"]
PEERS = ["hdvec", "torchhd", "numpy", "faiss"]
FULL = dict(dim=10_000, n=10_000, nq=1_000, nitems=100_000, k=10, shift=3, budget=10.0, repeats=5)
QUICK = dict(dim=10_000, n=1_000, nq=50, nitems=5_000, k=10, shift=3, budget=1.0, repeats=3)
THREADS = "2"
THREAD_ENV = {"OMP_NUM_THREADS": THREADS, "NUMBA_NUM_THREADS": THREADS, "MKL_NUM_THREADS": THREADS,
              "OPENBLAS_NUM_THREADS": THREADS, "OMP_WAIT_POLICY": "PASSIVE"}
SEED = 12345
NOISE = 0.25  # fraction of components flipped to turn item i into query i


# ----------------------------------------------------------------------------- timing
def timed(fn, *args):
    t0, out = time.perf_counter(), fn(*args)
    return time.perf_counter() - t0, out


def bench(fn, repeats, budget, warm=True, min_repeats=1, times=(), out=None):
    """Median seconds of fn() over <= `repeats` runs (fewer past `budget` s), after `times` (earlier runs)."""
    if warm:
        fn()  # warm-up: Numba compilation, allocator, thread pools
    times = list(times)
    while len(times) < repeats and (len(times) < min_repeats or sum(times) < budget):
        t, out = timed(fn)
        times.append(t)
    return statistics.median(times), len(times), out


def bench_queries(fn, nq, budget, repeats):
    """Time fn(m), the op on the first m of nq queries. Returns (seconds for nq, m, repeats, out).

    m grows 2, 8, 32, ... until a call takes over budget / 4. If the last two prefixes show a cost
    mostly per query (4x the queries take >= 2x the time, twice) and all nq would take over
    2 * budget, the time for nq is extrapolated linearly from them; otherwise the whole batch is
    timed. Cheap sizes get a warm-up call first: code paths (and Numba compilations) depend on m."""
    fn(1)  # warm-up
    points, m = [], min(nq, 2)
    while True:
        if points and 4 * points[-1][1] < budget / 10:
            fn(m)
        t, out = timed(fn, m)
        points.append((m, t))
        if m == nq or (len(points) > 1 and t > budget / 4):
            break
        m = min(nq, 4 * m)
    if m < nq:
        (m0, t0), (m1, t1) = points[-2:]
        if t1 >= 2 * t0:  # confirm with a second run: one-off costs (e.g. compiling for a new m) mislead
            t1 = min(t1, timed(fn, m1)[0])
        estimate = t1 + max(t1 - t0, 0.0) / (m1 - m0) * (nq - m1)
        if t1 >= 2 * t0 and estimate > 2 * budget:
            return estimate, m1, 1, out
        if estimate < budget / 10:
            fn(nq)
        t, out = timed(fn, nq)
    t, reps, out = bench(lambda: fn(nq), repeats, budget, warm=False, times=[t], out=out)
    return t, nq, reps, out


# ----------------------------------------------------------------------------- data
def words_to_bits(words, dim):
    """(n, W) uint64 -> (n, dim) uint8 0/1, bit i = bit i%64 of word i//64 (hdvec's layout)."""
    return np.unpackbits(words.view(np.uint8), axis=-1, count=dim, bitorder="little")


def bits_to_words(bits):
    """(n, dim) 0/1 -> (n, ceil(dim/64)) uint64, the inverse of words_to_bits."""
    out = np.zeros(bits.shape[:-1] + (-(-bits.shape[-1] // 64) * 8,), np.uint8)
    out[..., : -(-bits.shape[-1] // 8)] = np.packbits(bits, axis=-1, bitorder="little")
    return out.view(np.uint64)


def make_data(cfg, out_dir):
    """Random items and queries (item i with NOISE of its components flipped), in two encodings:
    bipolar int8 (bit 1 <-> -1) and packed uint64 words."""
    rng, dim = np.random.default_rng(SEED), cfg["dim"]
    items_w = rng.integers(0, 2**64, (cfg["nitems"], -(-dim // 64)), dtype=np.uint64)
    items_w[:, -1] &= np.uint64(2 ** (dim % 64 or 64) - 1)  # padding bits stay 0
    items_pm = 1 - 2 * words_to_bits(items_w, dim).view(np.int8)
    flip = rng.random((cfg["nq"], dim)) < NOISE
    queries_pm = np.where(flip, -items_pm[: cfg["nq"]], items_pm[: cfg["nq"]]).astype(np.int8)
    for name, arr in dict(items_pm=items_pm, items_w=items_w, queries_pm=queries_pm,
                          queries_w=bits_to_words((queries_pm < 0).view(np.uint8))).items():
        np.save(Path(out_dir) / f"{name}.npy", arr)
    (Path(out_dir) / "meta.json").write_text(json.dumps(cfg))


def topk_smallest(d, k):
    idx = np.argpartition(d, k - 1, axis=1)[:, :k]
    idx = np.take_along_axis(idx, np.argsort(np.take_along_axis(d, idx, 1), axis=1, kind="stable"), 1)
    return np.take_along_axis(d, idx, 1), idx


# ----------------------------------------------------------------------------- peers
# A peer returns a dict: zero-argument callables random/bind/bundle/permute, callables of m (the
# number of queries) similarity/cleanup, `sign` (+1: similarity is higher-is-better), `bytes`
# (bytes per stored vector), `version` and `notes`. Untimed setup happens here.
def peer_hdvec(model, data, cfg, ops):
    import numba
    import hdvec
    from hdvec import hdc
    D, n, k, s = cfg["dim"], cfg["n"], cfg["k"], cfg["shift"]
    if model == "bsc":
        m = hdc.BSC(D, seed=0)
        items, queries = data["items_w"], data["queries_w"]
    else:
        dtype = "float32" if model == "map-f32" else "int8"
        m = hdc.MAP(D, dtype=dtype, seed=0)
        items, queries = data["items_pm"].astype(dtype), data["queries_pm"].astype(dtype)
    a, b = items[:n], items[n : 2 * n]
    impl = dict(random=lambda: m.random(n), bind=lambda: m.bind(a, b), bundle=lambda: m.bundle(a),
                permute=lambda: m.permute(a, s), similarity=lambda q: m.similarity(queries[:q], a),
                sign=1, bytes=items.nbytes / len(items), notes=[],
                version=f"hdvec {getattr(hdvec, '__version__', '?')} (numba {numba.__version__})")
    if "cleanup" in ops or "cleanup1" in ops:
        t0, mem = time.perf_counter(), hdc.ItemMemory(m)
        mem.add(range(len(items)), items)
        impl["notes"].append(f"ItemMemory.add of {len(items):,} items (untimed): {time.perf_counter() - t0:.1f} s")
        impl["cleanup"] = lambda q: mem.cleanup(queries[:q], k=k)
    return impl


def peer_torchhd(model, data, cfg, ops):
    import torch
    import torchhd
    torch.set_num_threads(int(THREADS))
    D, n, k, s = cfg["dim"], cfg["n"], cfg["k"], cfg["shift"]
    if model == "bsc":
        items, queries = (torch.from_numpy(words_to_bits(data[name], D).view(bool)).as_subclass(torchhd.BSCTensor)
                          for name in ("items_w", "queries_w"))
        random = lambda: torchhd.random(n, D, "BSC")
        # hamming_similarity makes a (q, items, D) bool temporary and casts it to int64 to sum it:
        # 1 query x 10,000 items (~0.9 GB of temporaries) per call was the fastest block here.
        sim_fn, q_block, x_block = torchhd.hamming_similarity, 1, max(1, 10**8 // D)
    else:
        dtype = torch.float32 if model == "map-f32" else torch.int8
        items, queries = (torch.from_numpy(data[name]).to(dtype).as_subclass(torchhd.MAPTensor)
                          for name in ("items_pm", "queries_pm"))
        random = lambda: torchhd.random(n, D, "MAP", dtype=dtype)
        # cosine_similarity makes float32 temporaries the size of `others`: 20,000 items per call
        sim_fn, q_block, x_block = torchhd.cosine_similarity, cfg["nq"], 20_000
    a, b = items[:n], items[n : 2 * n]

    def blocked_sim(q, x):
        return torch.cat([torch.cat([sim_fn(q[i : i + q_block], x[j : j + x_block])
                                     for j in range(0, len(x), x_block)], dim=-1)
                          for i in range(0, len(q), q_block)])

    def cleanup(q):
        tops = [torch.topk(blocked_sim(queries[i : min(i + q_block, q)], items), k, dim=-1)
                for i in range(0, q, q_block)]
        return torch.cat([v for v, _ in tops]), torch.cat([j for _, j in tops])

    notes = ["multiset sums int8 in int8 (torch.sum(..., dtype=self.dtype)): overflows"] if model == "map-i8" else []
    return dict(random=random, bind=lambda: torchhd.bind(a, b), bundle=lambda: torchhd.multiset(a),
                permute=lambda: torchhd.permute(a, shifts=s), similarity=lambda q: blocked_sim(queries[:q], a),
                cleanup=cleanup, sign=1, bytes=items.element_size() * D, notes=notes,
                version=f"torch-hd {torchhd.__version__} (torch {torch.__version__})")


def np_bsc_hamming(q, x):
    """Hamming distances (len(q), len(x)) of packed uint64 words, in query chunks (~1 GiB temporaries)."""
    chunk = max(1, (1 << 30) // x.nbytes)
    return np.concatenate([np.bitwise_count(np.bitwise_xor(q[i : i + chunk, None, :], x[None])).sum(-1)
                           for i in range(0, len(q), chunk)])


def np_dot_int8(q, x, chunk=10_000):
    """q @ x.T for int8 arrays via float32 BLAS (an int8 matmul has no BLAS and overflows)."""
    q32 = q.astype(np.float32)
    return np.concatenate([q32 @ x[i : i + chunk].astype(np.float32).T for i in range(0, len(x), chunk)], axis=1)


def peer_numpy(model, data, cfg, ops):
    D, n, k, s = cfg["dim"], cfg["n"], cfg["k"], cfg["shift"]
    rng = np.random.default_rng(0)
    if model == "bsc":
        items, queries = data["items_w"], data["queries_w"]

        def random():
            x = rng.integers(0, 2**64, (n, items.shape[1]), dtype=np.uint64)
            x[:, -1] &= np.uint64(2 ** (D % 64 or 64) - 1)
            return x

        impl = dict(random=random, bind=lambda: np.bitwise_xor(a, b),
                    bundle=lambda: bits_to_words((2 * words_to_bits(a, D).sum(0, dtype=np.int32) > n).astype(np.uint8)),
                    permute=lambda: bits_to_words(np.roll(words_to_bits(a, D), s, axis=-1)),
                    similarity=lambda q: np_bsc_hamming(queries[:q], a),
                    cleanup=lambda q: topk_smallest(np_bsc_hamming(queries[:q], items), k), sign=-1)
    elif model == "map-f32":
        items, queries = data["items_pm"].astype(np.float32), data["queries_pm"].astype(np.float32)
        impl = dict(random=lambda: (2 * rng.integers(0, 2, (n, D), dtype=np.int8) - 1).astype(np.float32),
                    bind=lambda: a * b, bundle=lambda: a.sum(0), permute=lambda: np.roll(a, s, axis=-1),
                    similarity=lambda q: queries[:q] @ a.T,
                    cleanup=lambda q: topk_smallest(-(queries[:q] @ items.T), k), sign=1)
    else:
        items, queries = data["items_pm"], data["queries_pm"]
        impl = dict(random=lambda: 2 * rng.integers(0, 2, (n, D), dtype=np.int8) - 1,
                    bind=lambda: a * b, bundle=lambda: a.sum(0, dtype=np.int32),
                    permute=lambda: np.roll(a, s, axis=-1), similarity=lambda q: np_dot_int8(queries[:q], a),
                    cleanup=lambda q: topk_smallest(-np_dot_int8(queries[:q], items), k), sign=1)
    a, b = items[:n], items[n : 2 * n]
    impl.update(bytes=items.nbytes / len(items), notes=[], version=f"numpy {np.__version__}")
    return impl


def peer_faiss(model, data, cfg, ops):
    import faiss
    faiss.omp_set_num_threads(int(THREADS))
    D, k = cfg["dim"], cfg["k"]
    assert D % 8 == 0, "IndexBinaryFlat needs a whole number of bytes"
    # The bytes of the little-endian uint64 words are np.packbits(bits, bitorder="little"): hdvec's bits.
    items, queries = (np.ascontiguousarray(data[name].view(np.uint8)[:, : D // 8]) for name in ("items_w", "queries_w"))
    index = faiss.IndexBinaryFlat(D)
    index.add(items)
    return dict(cleanup=lambda q: index.search(queries[:q], k), sign=-1, bytes=index.code_size, notes=[],
                version=f"faiss-cpu {faiss.__version__}")


PEER_SETUP = {"hdvec": peer_hdvec, "torchhd": peer_torchhd, "numpy": peer_numpy, "faiss": peer_faiss}


def to_numpy(x):  # torch tensors have .numpy()
    return x.numpy() if hasattr(x, "numpy") else np.asarray(x)


def fingerprint(x, dim):
    """A number identifying the first result vector (bits for BSC), compared across peers."""
    x = to_numpy(x)
    v = words_to_bits(x.reshape(-1, x.shape[-1])[:1], dim)[0] if x.dtype == np.uint64 else x.reshape(-1, dim)[0]
    return float(v.astype(np.float64) @ (np.arange(dim) % 101 + 1))


def run_op(impl, model, op, cfg):
    """Time one op; returns the fields of its result record."""
    budget, repeats, nq = cfg["budget"], cfg["repeats"], cfg["nq"]
    if op in ("random", "bind", "bundle", "permute"):
        t, reps, out = bench(impl[op], repeats, budget)
        rec = dict(ms=t * 1e3, repeats=reps)
        if op != "random" and not (op == "bundle" and model == "bsc"):  # BSC bundle: random tie-breaks
            rec["fp"] = fingerprint(out, cfg["dim"])
        return rec
    if op == "cleanup1":  # single query: median of several repeats
        t, reps, out = bench(lambda: impl["cleanup"](1), 3 * repeats, budget, min_repeats=3)
        m = total = 1
    else:
        t, m, reps, out = bench_queries(impl[op], nq, budget, repeats)
        total = nq
    rec = dict(ms=t * 1e3, repeats=reps, timed=m, total=total,
               pairs_per_s=total * (cfg["n"] if op == "similarity" else cfg["nitems"]) / t)
    if op == "similarity":
        best = (impl["sign"] * to_numpy(out).astype(np.float64)).argmax(1)
    else:
        dist, ids = (to_numpy(o) for o in out)
        best = ids[:, 0]
        rec["dist"] = dist.tolist() if model == "bsc" else None
    rec["ok"] = bool((best == np.arange(m)).all())  # query i is a noisy copy of item i
    return rec


def time_ops(peer, model, ops, run, nbytes):
    """Records of ``run(op)`` for each op (an exception becomes the record's "error"), logged to stderr."""
    records = []
    for op in ops:
        rec = dict(peer=peer, model=model, op=op, bytes=nbytes)
        try:
            rec.update(run(op))
        except Exception as exc:
            traceback.print_exc()
            rec["error"] = f"{type(exc).__name__}: {exc}"
        print(f"[{peer}] {model:8s} {op:10s} " + (f"{rec['ms']:10.2f} ms" if "ms" in rec else rec["error"]),
              file=sys.stderr, flush=True)
        records.append(rec)
    return records


def child_main(args):
    cfg = json.loads((Path(args.data) / "meta.json").read_text())
    data = {name: np.load(Path(args.data) / f"{name}.npy") for name in ("items_pm", "items_w", "queries_pm",
                                                                          "queries_w")}
    peer = args.peer
    my_ops = [op for op in args.only.split(",") if peer != "faiss" or op.startswith("cleanup")]
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the repository, for `import hdvec`
    records, notes, version = [], [], peer
    for model in MODELS if peer != "faiss" else ["bsc"]:
        try:
            impl = PEER_SETUP[peer](model, data, cfg, my_ops)
        except Exception as exc:  # e.g. hdvec not importable
            traceback.print_exc()
            records += [dict(peer=peer, model=model, op=op, error=f"{type(exc).__name__}: {exc}") for op in my_ops]
            continue
        version = impl["version"]
        notes += [f"{peer} {model}: {note}" for note in impl["notes"]]
        records += time_ops(peer, model, my_ops, lambda op, impl=impl, model=model: run_op(impl, model, op, cfg), impl["bytes"])
        del impl
        gc.collect()
    notes.append(f"{peer}: load average at its end {os.getloadavg()[0]:.1f} (1 min; its own 2 threads give ~2)")
    Path(args.json).write_text(json.dumps(dict(version=version, records=records, notes=notes)))


# ----------------------------------------------------------------------------- report
OP_LABELS = {"random": "random ({n:,})", "bind": "bind ({n:,} pairs)", "bundle": "bundle ({n:,} -> 1)",
             "permute": "permute ({n:,}, shift {shift})", "similarity": "similarity ({nq:,} x {n:,})",
             "cleanup": "cleanup top-{k} ({nq:,} x {nitems:,})", "cleanup1": "cleanup top-{k} (1 x {nitems:,})"}


def check_results(res, cfg):
    """Mark wrong results (r['bad']) and return notes: fingerprints vs NumPy, top-1, Faiss vs hdvec."""
    notes = []
    for (peer, model, op), r in res.items():
        ref = res.get(("numpy", model, op), res.get(("hdvec", model, op), {}))
        differs = "fp" in r and "fp" in ref and not np.isclose(r["fp"], ref["fp"], rtol=1e-9)
        if r.get("ok") is False or differs:
            r["bad"] = True
            notes.append(f"{peer} {model} {op}: " + (f"result differs from {ref['peer']}'s" if differs
                                                     else "the best match of noisy query i is not item i"))
    for op in ("cleanup", "cleanup1"):
        h, f = res.get(("hdvec", "bsc", op), {}), res.get(("faiss", "bsc", op), {})
        if h.get("dist") and f.get("dist"):
            rows = min(len(h["dist"]), len(f["dist"]))
            hd, fd = np.asarray(h["dist"][:rows], np.float64), np.asarray(f["dist"][:rows], np.float64)
            same = np.array_equal(hd, fd)
            notes.append(f"{'OK' if same else 'WARNING'}: Faiss and hdvec BSC {op}: top-{cfg['k']} Hamming distances "
                         + (f"identical ({rows} queries)" if same else f"differ: {hd[0, :3]} vs {fd[0, :3]}"))
            print(notes[-1], file=sys.stderr)
    return notes


def fmt(x, per_s=False):
    if x is None:
        return "-"
    div, prefix = next(((d, p) for d, p in [(1e9, " G"), (1e6, " M"), (1e3, " k")] if per_s and x >= d), (1, ""))
    return f"{x / div:,.0f}{prefix}" if x >= 100 * div else f"{x / div:.3g}{prefix}"


def md_table(header, rows, n_text):
    return ["| " + " | ".join(r) + " |" for r in [header, ["---"] * n_text + ["---:"] * (len(header) - n_text)] + rows]


def render(results, cfg, versions, peer_notes, peers, ops, elapsed, load):
    res = {(r["peer"], r["model"], r["op"]): r for r in results}
    notes = check_results(res, cfg)
    others = [p for p in peers if p != "hdvec"]
    rows = [(op, model) for op in ops for model in MODELS if any((p, model, op) in res for p in peers)]

    def cells(op, model, key):
        out = [OP_LABELS[op].format(**cfg), model]
        for r in (res.get((p, model, op), {}) for p in peers):
            mark = "*" * (r.get("timed", 1) < r.get("total", 1)) + "!" * bool(r.get("bad"))  # see the notes
            out.append("-" if not r else "error" if "error" in r else fmt(r[key], key == "pairs_per_s") + mark)
        return out

    def ratio(p, model, op):
        r, h = res.get((p, model, op), {}), res.get(("hdvec", model, op), {})
        return f"{r['ms'] / h['ms']:.2f}x" if "ms" in r and "ms" in h else "-"

    lines = [f"### VSA primitives, D={cfg['dim']:,}, {THREADS} threads, one subprocess per peer", "",
             "Versions: " + "; ".join(versions) + ".", "", "Time in ms (median of repeats after a warm-up "
             "call); speedup = peer ms / hdvec ms (> 1: hdvec faster).", ""]
    lines += md_table(["op", "model"] + peers + [f"hdvec vs {p}" for p in others],
                      [cells(op, model, "ms") + [ratio(p, model, op) for p in others] for op, model in rows], 2)
    tput = [cells(op, model, "pairs_per_s") for op, model in rows if op in ("similarity", "cleanup", "cleanup1")]
    if tput:
        lines += ["", "Throughput in query-item pairs per second.", ""] + md_table(["op", "model"] + peers, tput, 2)
    nbytes = {(r["peer"], r["model"]): r["bytes"] for r in results if "bytes" in r}
    lines += ["", "Bytes per vector (array.nbytes / n; Faiss: code_size).", ""] + md_table(
        ["model"] + peers, [[model] + [fmt(nbytes.get((p, model))) for p in peers] for model in MODELS], 1)
    extrap = [f"{p} {model} {op}: {r['timed']:,} of {r['total']:,} queries timed"
              for (p, model, op), r in res.items() if r.get("timed", 1) < r.get("total", 1)]
    errors = [f"{p} {model} {op}: {r['error']}" for (p, model, op), r in res.items() if "error" in r]
    lines += ["", "Notes:", "",
              f"- Sizes: n={cfg['n']:,}, {cfg['nq']:,} queries, {cfg['nitems']:,} items, k={cfg['k']}; query i is "
              f"item i with {NOISE:.0%} of its components flipped; all peers load the same data. Wall time "
              f"{elapsed / 60:.1f} min; load average at start {load:.2f} on {os.cpu_count()} cores.",
              "- `*`: too slow to run in full; extrapolated linearly (fixed + per-query cost) from the times of "
              "two prefixes of the queries (m and 4m): " + ("; ".join(extrap) or "none") + ".",
              "- `!`: result check failed (see below). Similarity/cleanup: hdvec `similarity`/`ItemMemory.cleanup`; "
              "Torchhd MAP `cosine_similarity`, BSC `hamming_similarity`, + `torch.topk`; NumPy MAP dot "
              "product, BSC xor + bitwise_count; Faiss `IndexBinaryFlat`."]
    return "\n".join(lines + [f"- {n}" for n in peer_notes + notes + errors])


def parent_main(args):
    cfg = dict(QUICK if args.quick else FULL)
    cfg["budget"] = args.budget or cfg["budget"]
    peers = [p for p in PEERS if p in args.peers.split(",")]
    t_start, load = time.perf_counter(), os.getloadavg()[0]
    results, versions, notes = [], [], []
    with tempfile.TemporaryDirectory(prefix="bench_hdc_") as tmp:
        make_data(cfg, tmp)
        print(f"data generated in {time.perf_counter() - t_start:.1f} s", file=sys.stderr)
        for peer in peers:
            out = Path(tmp) / f"{peer}.json"
            cmd = [sys.executable, str(Path(__file__).resolve()), "--peer", peer, "--data", tmp,
                   "--json", str(out), "--only", args.only]
            rc = subprocess.run(cmd, env=dict(os.environ, **THREAD_ENV)).returncode
            if not out.exists():
                notes.append(f"{peer}: subprocess failed (exit code {rc}), no results")
                continue
            got = json.loads(out.read_text())
            results += got["records"]
            versions.append(got["version"])
            notes += got["notes"]
    md = render(results, cfg, versions, notes, peers, [op for op in OPS if op in args.only.split(",")],
                time.perf_counter() - t_start, load)
    print(md)
    if args.markdown:
        Path(args.markdown).write_text(md + "\n")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="small sizes, for smoke testing")
    ap.add_argument("--only", default=",".join(OPS), help="comma-separated ops: " + ",".join(OPS))
    ap.add_argument("--peers", default=",".join(PEERS), help="comma-separated peers: " + ",".join(PEERS))
    ap.add_argument("--budget", type=float, help="seconds of timed runs per op (default 10; --quick: 1)")
    ap.add_argument("--markdown", help="also write the Markdown report to this file")
    ap.add_argument("--peer", choices=PEERS, help=argparse.SUPPRESS)  # child mode
    ap.add_argument("--data", help=argparse.SUPPRESS)
    ap.add_argument("--json", help=argparse.SUPPRESS)
    args = ap.parse_args()
    for name, allowed in [("only", OPS), ("peers", PEERS)]:
        if bad := set(getattr(args, name).split(",")) - set(allowed):
            ap.error(f"--{name}: unknown {sorted(bad)}; choose from {allowed}")
    if args.peer:
        child_main(args)
    else:
        parent_main(args)


if __name__ == "__main__":
    main()
