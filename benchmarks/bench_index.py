"""Benchmark of hdvec.index (quantized ANN search) vs Faiss and hnswlib: recall@10, QPS, latency, memory.

    python benchmarks/bench_index.py --quick                         # smoke test, ~2 min
    python benchmarks/bench_index.py --markdown bench_index.md       # full run (long; needs a quiet machine)
    python benchmarks/bench_index.py --datasets clustered,sift5k --peers hdvec,faiss \\
        --specs "IVF1024,LVQ8,Rerank;auto" --nprobe 4,16,64

Datasets (benchmarks/index_data.py): clustered synthetic (200k x 128), Fashion-MNIST (60k x 784),
SIFT 5k (real, 128-d) and BSC hypervectors made by hdvec's NGramEncoder (100k x 10,000 bits,
Hamming). The parent loads each dataset once, computes the exact top-10 and writes .npy files to a
temporary directory; each peer (hdvec, faiss, hnswlib) then runs in its own subprocess with 2
threads (Faiss, torch and Numba each bring an OpenMP runtime). For every index and setting it
measures recall@10 (tie-aware), QPS of the whole query batch, single-query latency, bytes per
vector and build (train + add) time, and renders Markdown tables and a recall/QPS plot.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import re
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
import traceback
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import index_data

PEERS = ["hdvec", "faiss", "hnswlib"]
THREADS = "2"
THREAD_ENV = {"OMP_NUM_THREADS": THREADS, "NUMBA_NUM_THREADS": THREADS, "MKL_NUM_THREADS": THREADS,
              "OPENBLAS_NUM_THREADS": THREADS, "OMP_WAIT_POLICY": "PASSIVE"}
K = 10
DEFAULT_SPECS = "IVF1024,LVQ8;IVF1024,LVQ8,Rerank;IVF1024,LVQ4x8;IVF1024,LVQ4,Rerank;PCA64,IVF1024,LVQ8,Rerank;auto"
DEFAULT_BINARY_SPECS = "Flat;IVF256,Flat"
# sizes: arguments of the index_data loaders; budget/repeats: batch timing per setting; lat_*: single
# queries per setting; max_batch_s: a sweep stops after a batch slower than this.
FULL = {"sizes": {"clustered": {"n": 200_000, "d": 128, "nq": 1_000}, "fashion-mnist": {"nq": 1_000},
                  "sift5k": {"nq": 500}, "binary": {"n": 100_000, "dim": 10_000, "nq": 1_000}},
        "nprobe": [1, 2, 3, 4, 6, 8, 12, 16, 24, 32, 48, 64, 128], "ef": [16, 32, 64, 128, 256, 512], "k_factor": [1, 2, 4, 8],
        "hnswlib_m": [16, 32], "budget": 2.0, "repeats": 5, "lat_queries": 200, "lat_budget": 2.0,
        "max_batch_s": 30.0}
QUICK = {"sizes": {"clustered": {"n": 20_000, "d": 128, "nq": 200}, "fashion-mnist": {"n": 10_000, "nq": 200},
                   "sift5k": {"nq": 200}, "binary": {"n": 10_000, "dim": 10_000, "nq": 200}},
         "nprobe": [1, 4, 16, 64], "ef": [16, 64, 256], "k_factor": [1, 4], "hnswlib_m": [16],
         "budget": 0.2, "repeats": 3, "lat_queries": 30, "lat_budget": 0.1, "max_batch_s": 5.0}
FAISS_BYTES = "len(faiss.serialize_index(index)) / n: codes, ids, centroids, transforms, graph, refine vectors"
HNSWLIB_BYTES = "size of the file written by save_index / n: vectors, links, labels"
HDVEC_BYTES = "Index.nbytes / n (else the size of the file written by Index.save / n)"
RAW_BYTES = "array.nbytes / n (the raw base vectors)"


def nlist_cap(n: int) -> int:
    """Largest power of two <= n / 39 (Faiss wants >= 39 training points per list)."""
    return 1 << max(int(np.log2(max(n / 39, 1))), 0)


def fit_spec(spec: str, n: int) -> str:
    """IVF<N> -> IVF<min(N, nlist_cap(n))>: IVF1024 on 5k or 20k vectors would leave ~5-20 per list."""
    return re.sub(r"IVF(\d+)", lambda m: f"IVF{min(int(m.group(1)), nlist_cap(n))}", spec)


def spec_nlist(spec: str) -> int | None:
    m = re.search(r"IVF(\d+)", spec or "")
    return int(m.group(1)) if m else None


# ----------------------------------------------------------------------------- timing
def time_batch(fn, budget: float, repeats: int):
    """QPS timing of fn() (the whole query batch): the first call is a warm-up; if it took over
    budget / 2 it is the measurement, else the median of <= repeats more calls (fewer past budget).
    Returns (seconds, repeats, output of the first call)."""
    t0 = time.perf_counter()
    out = fn()
    first = time.perf_counter() - t0
    if first > budget / 2:
        return first, 1, out
    times: list[float] = []
    while len(times) < repeats and (not times or sum(times) < budget):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), len(times), out


def time_single(fn1, nq: int, max_queries: int, budget: float):
    """Median seconds of fn1(i), one query at a time, over queries 0, 1, ... (<= max_queries, and
    at least 10 but no more once `budget` seconds are spent), after one warm-up query."""
    fn1(0)
    times: list[float] = []
    for i in range(min(max_queries, nq)):
        if len(times) >= 10 and sum(times) > budget:
            break
        t0 = time.perf_counter()
        fn1(i)
        times.append(time.perf_counter() - t0)
    return statistics.median(times), len(times)


# ----------------------------------------------------------------------------- methods
# A method is a dict: label, peer, build() -> object (timed: train + add), sweeps (list of lists
# of settings; each inner list is ordered by cost and stops early once recall saturates), apply(obj,
# setting), search(obj, queries) -> ids, nbytes(obj) -> bytes of the whole index, bytes_how,
# and optional describe(obj) -> note.
def faiss_methods(ds, xb, cfg):
    import faiss

    faiss.omp_set_num_threads(int(THREADS))
    n, d, nprobe = len(xb), ds["dim"], cfg["nprobe"]
    methods = []
    if ds["metric"] == "hamming":
        nbytes = d // 8
        xb8 = np.ascontiguousarray(xb.view(np.uint8)[:, :nbytes])

        def ser(idx):
            return len(faiss.serialize_index_binary(idx))

        def build_flat():
            idx = faiss.IndexBinaryFlat(d)
            idx.add(xb8)
            return idx

        methods.append({"label": "IndexBinaryFlat", "build": build_flat, "sweeps": [[{}]], "exact": True,
                        "nbytes": ser})
        ivf_specs = [sp for sp in cfg["binary_specs"] if "IVF" in sp]  # same nlist as hdvec's binary IVF
        nl = spec_nlist(fit_spec(ivf_specs[0], n)) if ivf_specs else min(256, nlist_cap(n))

        def build_ivf(nl=nl):
            idx = faiss.IndexBinaryIVF(faiss.IndexBinaryFlat(d), d, nl)
            idx.train(xb8[train_sample(n, nl)])
            idx.add(xb8)
            return idx

        methods.append({"label": f"IndexBinaryIVF (IVF{nl})", "build": build_ivf, "nbytes": ser,
                        "sweeps": [[{"nprobe": p} for p in nprobe if p <= nl]]})
        for m in methods:
            m.update(search=lambda idx, q: idx.search(np.ascontiguousarray(q.view(np.uint8)[:, :nbytes]), K)[1],
                     bytes_how=FAISS_BYTES.replace("serialize_index", "serialize_index_binary"))
    else:
        nl = min(1024, nlist_cap(n))
        factories = [("Flat", None), (f"IVF{nl},Flat", "ivf"), (f"IVF{nl},SQ8", "ivf"),
                     (f"IVF{nl},PQ{d // 2}x4fs,RFlat", "refine"), (f"PCA{d // 2},IVF{nl},PQ{d // 4}x4fs", "ivf"),
                     ("HNSW32", "hnsw")]
        for key, kind in factories:
            def build(key=key, kind=kind):
                idx = faiss.index_factory(d, key)
                if kind == "hnsw":
                    idx.hnsw.efConstruction = 40  # Faiss's default, stated
                if not idx.is_trained:
                    idx.train(xb)
                idx.add(xb)
                return idx

            if kind is None:
                sweeps = [[{}]]
            elif kind == "ivf":
                sweeps = [[{"nprobe": p} for p in nprobe if p <= nl]]
            elif kind == "refine":
                sweeps = [[{"nprobe": p, "k_factor": f} for p in nprobe if p <= nl] for f in cfg["k_factor"]]
            else:
                sweeps = [[{"efSearch": e} for e in cfg["ef"]]]
            label = key.replace(",RFlat", " + IndexRefineFlat") + (" (efC 40)" if kind == "hnsw" else "")
            methods.append({"label": label, "build": build, "sweeps": sweeps, "exact": kind is None,
                            "nbytes": lambda idx: len(faiss.serialize_index(idx)), "bytes_how": FAISS_BYTES,
                            "search": lambda idx, q: idx.search(q, K)[1]})

    def apply(idx, s):
        if "nprobe" in s:  # IndexIVF*, IndexBinaryIVF have it; wrappers (PreTransform, Refine) hide it
            (idx if hasattr(idx, "nprobe") else faiss.extract_index_ivf(idx)).nprobe = s["nprobe"]
        if "k_factor" in s:
            idx.k_factor = s["k_factor"]
        if "efSearch" in s:
            idx.hnsw.efSearch = s["efSearch"]

    for m in methods:
        m["apply"] = apply
    return methods, f"faiss-cpu {faiss.__version__}"


def train_sample(n: int, nlist: int) -> np.ndarray:
    """Rows used to train binary IVF coarse quantizers (Faiss runs float k-means in D=10,000
    dimensions on them): 50 per list, seeded; the same rows for Faiss and hdvec."""
    m = min(n, 50 * nlist)
    return np.sort(np.random.default_rng(0).choice(n, m, replace=False))


def hnswlib_methods(ds, xb, cfg):
    import importlib.metadata

    import hnswlib

    if ds["metric"] != "l2":  # no Hamming space in hnswlib
        return [], f"hnswlib {importlib.metadata.version('hnswlib')}"
    methods = []
    for M in cfg["hnswlib_m"]:
        def build(M=M):
            idx = hnswlib.Index(space="l2", dim=ds["dim"])
            idx.init_index(max_elements=len(xb), ef_construction=200, M=M, random_seed=100)
            idx.add_items(xb, np.arange(len(xb)), num_threads=int(THREADS))
            idx.set_num_threads(int(THREADS))
            return idx

        def nbytes(idx):
            with tempfile.TemporaryDirectory() as d:
                idx.save_index(str(Path(d) / "h.bin"))
                return (Path(d) / "h.bin").stat().st_size

        def search(idx, q):
            return idx.knn_query(q, k=K, num_threads=int(THREADS) if len(q) > 1 else 1)[0].astype(np.int64)

        methods.append({"label": f"hnswlib M={M} (efC 200)", "build": build, "nbytes": nbytes,
                        "bytes_how": HNSWLIB_BYTES, "sweeps": [[{"ef": e} for e in cfg["ef"] if e >= K]],
                        "search": search, "apply": lambda idx, s: idx.set_ef(s["ef"])})
    return methods, f"hnswlib {importlib.metadata.version('hnswlib')}"


def hdvec_methods(ds, xb, cfg):
    """hdvec.index methods; a missing hdvec.index (or name in it) gives an error row instead."""
    import numba

    import hdvec

    version = f"hdvec {getattr(hdvec, '__version__', '?')} (numba {numba.__version__}, numpy {np.__version__})"
    try:
        import hdvec.index as hidx
    except Exception as exc:  # noqa: BLE001
        return [{"label": "hdvec.index", "error": f"hdvec.index not available: {type(exc).__name__}: {exc}"}], version
    n, d, methods = len(xb), ds["dim"], []
    exact_name = "knn_hamming" if ds["metric"] == "hamming" else "knn"
    missing = [name for name in ("Index", exact_name) if not hasattr(hidx, name)]
    for name in missing:
        methods.append({"label": f"hdvec.index.{name}", "error": f"hdvec.index not available: no `{name}` in it"})
    if exact_name not in missing:
        fn = getattr(hidx, exact_name)
        methods.append({"label": f"{exact_name} (exact, no index)", "build": lambda: xb, "sweeps": [[{}]],
                        "exact": True, "no_index": True,
                        "search": lambda base, q, fn=fn: np.asarray(fn(q, base, K)[1]),
                        "nbytes": lambda base: base.nbytes, "bytes_how": RAW_BYTES, "apply": lambda obj, s: None})
    if "Index" in missing:
        return methods, version
    Index = hidx.Index
    specs = cfg["binary_specs"] if ds["metric"] == "hamming" else cfg["specs"]
    for raw in specs:
        spec = None if raw.lower() in ("auto", "none") else fit_spec(raw, n)
        binary_ivf = ds["metric"] == "hamming" and spec is not None and "IVF" in spec

        def build(spec=spec, binary_ivf=binary_ivf):
            idx = Index(d, metric=ds["metric"], spec=spec, seed=0)
            parsed = getattr(idx, "spec", None)  # hdvec's IndexSpec; None: picked at train time
            if parsed is None or getattr(parsed, "needs_training", True):
                idx.train(xb[train_sample(n, spec_nlist(spec))] if binary_ivf else xb)
            idx.add(xb)
            return idx

        def sweeps(idx, spec=spec):
            nl = getattr(idx, "nlist", None) or spec_nlist(spec) or 1
            return [[{"nprobe": p} for p in cfg["nprobe"] if p <= nl]] if nl > 1 else [[{}]]

        def apply(idx, s):
            if "nprobe" in s:
                if not hasattr(idx, "nprobe"):
                    raise AttributeError("the index has no nprobe attribute")
                idx.nprobe = s["nprobe"]

        methods.append({"label": f"Index({spec!r})" if spec else "Index(spec=None)", "build": build,
                        "sweeps": sweeps, "apply": apply, "search": lambda idx, q: np.asarray(idx.search(q, K)[1]),
                        "nbytes": hdvec_nbytes, "bytes_how": HDVEC_BYTES,
                        "describe": None if spec else lambda idx: f"picked spec {getattr(idx, 'spec', '?')!r}"})
    return methods, version


def hdvec_nbytes(idx):
    nb = getattr(idx, "nbytes", None)
    if nb is not None:
        return int(nb)
    if hasattr(idx, "save"):
        with tempfile.TemporaryDirectory() as d:
            idx.save(str(Path(d) / "index"))
            return sum(p.stat().st_size for p in Path(d).rglob("*") if p.is_file())
    return None


PEER_METHODS = {"hdvec": hdvec_methods, "faiss": faiss_methods, "hnswlib": hnswlib_methods}


def run_method(m, ds, xb, xq, kth, cfg, log):
    rec = {"label": m["label"], "points": [], "notes": []}
    t0 = time.perf_counter()
    obj = m["build"]()
    rec["build_s"] = None if m.get("no_index") else time.perf_counter() - t0
    nb = m["nbytes"](obj)
    rec["bytes_per_vec"] = None if nb is None else nb / len(xb)
    rec["bytes_how"] = m["bytes_how"]
    if m.get("describe"):
        try:
            rec["notes"].append(m["describe"](obj))
        except Exception as exc:  # noqa: BLE001
            rec["notes"].append(f"describe failed: {exc}")
    log(f"built in {time.perf_counter() - t0:.1f} s, {rec['bytes_per_vec'] or 0:.1f} B/vector")
    nq, single = len(xq), False
    m["search"](obj, xq[:2])  # warm-up (Numba compilation) before timing anything
    for sweep in m["sweeps"](obj) if callable(m["sweeps"]) else m["sweeps"]:
        for s in sweep:
            try:
                m["apply"](obj, s)
            except Exception as exc:  # noqa: BLE001
                if rec["points"]:
                    rec["notes"].append(f"setting {s} not accepted ({type(exc).__name__}: {exc}); sweep stopped")
                    break
                # e.g. an auto-picked index without nprobe: measure it once as it is
                rec["notes"].append(f"no knob {', '.join(s)} ({type(exc).__name__}: {exc}): one point")
                s, single = {}, True
            t, reps, ids = time_batch(lambda: m["search"](obj, xq), cfg["budget"], cfg["repeats"])
            recall = index_data.recall_at_k(np.asarray(ids), xq, xb, kth, ds["metric"], K)
            lat, lat_n = time_single(lambda i: m["search"](obj, xq[i : i + 1]), nq,
                                     cfg["lat_queries"], cfg["lat_budget"])
            pt = {"setting": ",".join(f"{k}={v}" for k, v in s.items()) or "-", "recall": recall, "qps": nq / t,
                  "batch_s": t, "repeats": reps, "lat_ms": lat * 1e3, "lat_n": lat_n}
            rec["points"].append(pt)
            log(f"  {pt['setting']:24s} R@10 {recall:.4f} {pt['qps']:10.0f} QPS {pt['lat_ms']:8.3f} ms/query")
            if single or not s or recall >= 0.9999 or t > cfg["max_batch_s"]:
                break
        if single:
            break
    return rec


def child_main(args):
    tmp = Path(args.data)
    meta = json.loads((tmp / "meta.json").read_text())
    cfg = meta["cfg"]
    xb, xq, kth = (np.load(tmp / f"{name}.npy") for name in ("xb", "xq", "kth"))
    sys.path.insert(0, str(HERE.parent))  # the repository, for `import hdvec`
    peer = args.peer

    def log(msg):
        print(f"[{meta['name']}/{peer}] {msg}", file=sys.stderr, flush=True)

    out = {"peer": peer, "version": peer, "methods": [], "notes": []}
    try:
        methods, out["version"] = PEER_METHODS[peer](meta, xb, cfg)
    except Exception as exc:  # noqa: BLE001
        traceback.print_exc()
        methods = [{"label": peer, "error": f"{type(exc).__name__}: {exc}"}]
    for m in methods:
        if "error" in m:
            out["methods"].append({"label": m["label"], "error": m["error"]})
            log(m["error"])
        else:
            log(m["label"])
            try:
                rec = run_method(m, meta, xb, xq, kth, cfg, log)
            except Exception as exc:  # noqa: BLE001
                traceback.print_exc()
                rec = {"label": m["label"], "error": f"{type(exc).__name__}: {exc}"}
            rec["exact"], rec["no_index"] = bool(m.get("exact")), bool(m.get("no_index"))
            out["methods"].append(rec)
            gc.collect()
        Path(args.json).write_text(json.dumps(out))  # partial results survive a crash
    out["load_end"] = os.getloadavg()[0]
    Path(args.json).write_text(json.dumps(out))


# ----------------------------------------------------------------------------- report
def cpu_name():
    try:
        with open("/proc/cpuinfo") as f:
            return next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
    except (OSError, StopIteration):
        return platform.machine()


def best_at(points, target):
    ok = [p for p in points if p["recall"] >= target]
    return max(ok, key=lambda p: p["qps"]) if ok else None


def fmt_qps(x):
    return "-" if x is None else f"{x:,.0f}" if x >= 100 else f"{x:.3g}"


def fmt(x, digits=3):
    return "-" if x is None else f"{x:,.0f}" if abs(x) >= 1000 else f"{x:.{digits}g}"


def ratio(a, b):
    return f"{a / b:.2f}x" if a is not None and b else "-"


def find(methods, peer, pattern):
    return next((m for m in methods if m["peer"] == peer and re.search(pattern, m["label"]) and "points" in m), None)


def render(results, cfg, elapsed, load, quick, argv):
    lines = [f"## hdvec.index benchmark (`python benchmarks/bench_index.py {shlex.join(argv)}`)".replace(" `)", "`)"), "",
             f"{cpu_name()}, {os.cpu_count()} cores, {THREADS} threads per peer (own subprocess each); "
             f"load average at start {load:.2f}; wall time {elapsed / 60:.1f} min"
             + (" (**--quick: small sizes, few points, short budgets; not for conclusions**)" if quick else "") + ".",
             ""]
    versions = sorted({v for r in results for v in r["versions"]})
    lines += ["Versions: " + "; ".join(versions) + ".", ""]
    for r in results:
        methods = r["methods"]
        lines += [(f"### {r['name']}: n={r['n']:,}, d={r['dim']:,}, {r['nq']:,} queries, "
                  f"{'Hamming' if r['metric'] == 'hamming' else 'L2'}"), "", r["description"] + ".", "",
                  ("| peer | method | QPS @R≥0.90 (setting) | QPS @R≥0.95 (setting) | max R@10 | bytes/vector "
                  "| build s | 1-query ms |"), "|---|---|---:|---:|---:|---:|---:|---:|"]
        for m in methods:
            if "error" in m or "points" not in m:
                lines.append(f"| {m['peer']} | {m['label']} | {m.get('error', 'no result')} | | | | | |")
                continue
            b90, b95 = best_at(m["points"], 0.90), best_at(m["points"], 0.95)
            best_r = max((p["recall"] for p in m["points"]), default=None)
            lat_pt = b95 or b90 or (max(m["points"], key=lambda p: p["recall"]) if m["points"] else None)

            def cell(p):
                return "-" if p is None else f"{fmt_qps(p['qps'])} ({p['setting']})"

            lat = "-" if lat_pt is None else f"{lat_pt['lat_ms']:.3g}" + ("" if lat_pt in (b95, b90) else " †")
            lines.append(f"| {m['peer']} | {m['label']} | {cell(b90)} | {cell(b95)} | {fmt(best_r, 4)} | "
                         f"{fmt(m['bytes_per_vec'], 4)} | {fmt(m['build_s'], 3)} | {lat} |")
        lines += [""] + bars(r) + [""]
        notes = [f"{m['peer']} {m['label']}: {note}" for m in methods for note in m.get("notes", [])]
        notes += r.get("peer_notes", [])
        loads = ", ".join(f"{p} {v:.1f}" for p, v in r.get("load_end", {}).items() if v is not None)
        if loads:
            notes.append(f"1-min load average at the end of each peer's run: {loads} (its own {THREADS} threads "
                         f"give ~{THREADS}; more means another process competed)")
        if notes:
            lines += ["Notes: " + "; ".join(notes) + ".", ""]
    lines += [("Columns: **QPS @R≥x** = the highest queries/second (the whole query batch in one `search` call; "
              f"median of up to {cfg['repeats']} timed calls within {cfg['budget']:g} s, after a warm-up call) among "
              "the settings whose recall@10 is at least x, with that setting; **max R@10** = best recall@10 reached "
              "(tie-aware: a returned id counts if its exact distance is ≤ the exact 10th-nearest distance; "
              "ground truth: faiss IndexFlatL2 re-ranked in float64 / IndexBinaryFlat); **bytes/vector** = index "
              "memory / n (see below); **build s** = train + add, wall time, 2 threads; **1-query ms** = median "
              f"latency of single-query `search` calls (up to {cfg['lat_queries']} queries or "
              f"{cfg['lat_budget']:g} s) at the R≥0.95 setting (else R≥0.90; † = at the max-recall setting)."), "",
              "Bytes/vector: Faiss: " + FAISS_BYTES + "; hnswlib: " + HNSWLIB_BYTES + "; hdvec Index: " + HDVEC_BYTES
              + "; exact functions (`knn`, `knn_hamming`): " + RAW_BYTES + ".", "",
              "Sweeps: nprobe " + ",".join(map(str, cfg["nprobe"])) + "; HNSW efSearch / hnswlib ef "
              + ",".join(map(str, cfg["ef"])) + "; refine k_factor " + ",".join(map(str, cfg["k_factor"]))
              + ". A sweep stops once recall@10 ≥ 0.9999 or a batch takes over "
              f"{cfg['max_batch_s']:g} s. `IVF1024` becomes IVF<largest power of 2 ≤ n/39> on small sets "
              "(sift5k, --quick). Binary IVF coarse quantizers (Faiss trains float k-means in D dimensions) are "
              "trained on 50 vectors per list, the same rows for Faiss and hdvec.", ""]
    return "\n".join(lines)


def bars(r):
    """Ratio lines: hdvec vs Faiss IVF-SQ8 and HNSW32 (float), hdvec exact vs IndexBinaryFlat (binary)."""
    ms = r["methods"]
    hd = [m for m in ms if m["peer"] == "hdvec" and "points" in m]
    if r["metric"] == "hamming":
        flat = find(ms, "faiss", r"^IndexBinaryFlat")
        ivf = find(ms, "faiss", r"^IndexBinaryIVF")
        rows = [(f"| hdvec method | vs IndexBinaryFlat: {r['nq']:,}-query batch | single query | "
                "vs IndexBinaryIVF: QPS @R≥0.95 |"), "|---|---:|---:|---:|"]
        if not flat or not hd:
            return ["(no hdvec / IndexBinaryFlat ratio: " + ("hdvec" if not hd else "faiss") + " has no result)"]
        fp = flat["points"][0]
        for m in hd:
            p95 = best_at(m["points"], 0.95)
            ivf95 = best_at(ivf["points"], 0.95) if ivf else None
            batch = ratio(fp["batch_s"], p95["batch_s"]) if p95 else "-"
            single = ratio(fp["lat_ms"], p95["lat_ms"]) if p95 else "-"
            vs_ivf = ratio(p95["qps"], ivf95["qps"]) if p95 and ivf95 else "-"
            rows.append(f"| {m['label']} | {batch} | {single} | {vs_ivf} |")
        return [("Speed-ups (Faiss time / hdvec time, > 1: hdvec faster; each hdvec method at its fastest "
                "R≥0.95 setting):"), ""] + rows
    sq8, hnsw = find(ms, "faiss", r",SQ8$"), find(ms, "faiss", r"^HNSW32")  # the reference points
    flat = find(ms, "faiss", r"^Flat$")
    if not hd:
        return ["(no hdvec ratios: hdvec has no result)"]
    sq8_p = best_at(sq8["points"], 0.95) if sq8 else None
    hnsw_p = best_at(hnsw["points"], 0.95) if hnsw else None
    flat_q = flat["points"][0]["qps"] if flat and flat["points"] else None
    rows = ["| hdvec method | QPS @R≥0.95 | / IVF-SQ8 QPS | bytes / IVF-SQ8 bytes | / HNSW32 QPS | / Flat QPS |",
            "|---|---:|---:|---:|---:|---:|"]
    best = None
    for m in hd:
        p = best_at(m["points"], 0.95)
        q = p["qps"] if p else None
        if q and not m.get("no_index") and (best is None or q > best[1]):
            best = (m, q)
        rows.append(f"| {m['label']} | {fmt_qps(q)} | {ratio(q, sq8_p['qps'] if sq8_p else None)} | "
                    f"{ratio(m['bytes_per_vec'], sq8['bytes_per_vec'] if sq8 else None)} | "
                    f"{ratio(q, hnsw_p['qps'] if hnsw_p else None)} | {ratio(q, flat_q)} |")
    out = [("Ratios for the issue's bars (> 1: hdvec faster / larger; each at its fastest R≥0.95 setting; "
            "- where a side never reaches 0.95):"), ""] + rows
    if best:
        m, q = best
        out += ["", (f"Fastest hdvec index at R≥0.95: **{m['label']}**, {fmt_qps(q)} QPS = "
                     f"{ratio(q, sq8_p['qps'] if sq8_p else None)} Faiss IVF-SQ8, "
                     f"{ratio(q, hnsw_p['qps'] if hnsw_p else None)} Faiss HNSW32; "
                     f"{fmt(m['bytes_per_vec'], 4)} bytes/vector = "
                     f"{ratio(m['bytes_per_vec'], sq8['bytes_per_vec'] if sq8 else None)} IVF-SQ8's.")]
    return out


def pareto(points):
    """(recall, qps) of the points no other point beats on both, by recall."""
    front, best = [], -1.0
    for p in sorted(points, key=lambda p: (-p["recall"], -p["qps"])):
        if p["qps"] > best:
            front.append((p["recall"], p["qps"]))
            best = p["qps"]
    return front[::-1]


def plot(results, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    cols = min(2, len(results))
    rows_ = -(-len(results) // cols)
    fig, axes = plt.subplots(rows_, cols, figsize=(7.5 * cols, 5.2 * rows_), squeeze=False)
    styles = {"hdvec": {"ls": "-", "lw": 2.0, "marker": "o"}, "faiss": {"ls": "--", "lw": 1.3, "marker": "s"},
              "hnswlib": {"ls": ":", "lw": 1.6, "marker": "^"}}
    for ax, r in zip(axes.flat, results):
        drawn = [m for m in r["methods"] if m.get("points")]
        palette = plt.get_cmap("tab20" if len(drawn) > 10 else "tab10").colors
        for i, m in enumerate(drawn):
            front = pareto(m["points"])
            x, y = zip(*front)
            style = dict(styles.get(m["peer"], {}), color=palette[i % len(palette)], ms=4)
            if len(front) == 1:  # exact methods: one point
                style.update(marker="*", ms=11)
            ax.plot(x, y, label=f"{m['peer']} {m['label']}", **style)
        recalls = [p["recall"] for m in drawn for p in m["points"]]
        if recalls:
            ax.set_xlim(max(0.5, min(recalls) - 0.02), 1.005)
        ax.set_yscale("log")
        ax.set_xlabel("recall@10")
        ax.set_ylabel(f"QPS ({r['nq']:,} queries per call, {THREADS} threads)")
        ax.set_title(f"{r['name']} (n={r['n']:,}, d={r['dim']:,}, {'Hamming' if r['metric'] == 'hamming' else 'L2'})")
        ax.grid(True, which="both", alpha=0.3)
        ax.axvline(0.95, color="grey", lw=0.8, alpha=0.6)
        ax.legend(fontsize=7, loc="lower left")
    for ax in list(axes.flat)[len(results):]:
        ax.set_visible(False)
    fig.suptitle("hdvec.index vs Faiss / hnswlib: recall@10 vs QPS (Pareto front of each method's settings; "
                 "x axis cut at 0.5)")
    fig.tight_layout()
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)


def parent_main(args, argv):
    os.environ.update(THREAD_ENV)  # for the parent's own Numba/Faiss work (binary encoding, ground truth)
    cfg = {k: v for k, v in (QUICK if args.quick else FULL).items() if k != "sizes"}
    sizes = (QUICK if args.quick else FULL)["sizes"]
    if args.budget:
        cfg["budget"] = args.budget
    cfg["specs"] = [s.strip() for s in args.specs.split(";") if s.strip()]
    cfg["binary_specs"] = [s.strip() for s in args.binary_specs.split(";") if s.strip()]
    if args.nprobe:
        cfg["nprobe"] = [int(x) for x in args.nprobe.split(",")]
    peers = [p for p in PEERS if p in args.peers.split(",")]
    datasets = [d for d in index_data.DATASETS if d in args.datasets.split(",")]
    try:
        index_data.check_paths([p for d in datasets for p in index_data.required_paths(d)])
    except index_data.MissingData as exc:
        sys.exit(str(exc))
    t_start, load = time.perf_counter(), os.getloadavg()[0]
    results = []
    for name in datasets:
        t0 = time.perf_counter()
        try:
            ds = index_data.LOADERS[name](**sizes[name])
        except index_data.MissingData as exc:
            sys.exit(str(exc))
        gt_ids, kth = index_data.ground_truth(ds, K, int(THREADS))
        print(f"[{name}] {ds.n:,} x {ds.dim} loaded + ground truth in {time.perf_counter() - t0:.1f} s",
              file=sys.stderr, flush=True)
        entry = {"name": name, "metric": ds.metric, "dim": ds.dim, "n": ds.n, "nq": len(ds.xq),
                 "description": ds.description, "methods": [], "versions": [], "peer_notes": [], "load_end": {}, "info": ds.info}
        with tempfile.TemporaryDirectory(prefix="bench_index_") as tmp:
            for arr, fname in ((ds.xb, "xb"), (ds.xq, "xq"), (kth, "kth"), (gt_ids, "gt")):
                np.save(Path(tmp) / f"{fname}.npy", arr)
            meta = {"name": name, "metric": ds.metric, "dim": ds.dim, "cfg": cfg}
            (Path(tmp) / "meta.json").write_text(json.dumps(meta))
            del ds
            gc.collect()
            for peer in peers:
                out = Path(tmp) / f"{peer}.json"
                cmd = [sys.executable, str(Path(__file__).resolve()), "--peer", peer, "--data", tmp, "--json", str(out)]
                rc = subprocess.run(cmd, check=False, env=dict(os.environ, **THREAD_ENV)).returncode
                if not out.exists():
                    entry["methods"].append({"peer": peer, "label": peer,
                                             "error": f"subprocess failed (exit code {rc})"})
                    continue
                got = json.loads(out.read_text())
                if rc:
                    got["methods"].append({"label": "(subprocess)", "error": f"exit code {rc}; results are partial"})
                entry["methods"] += [dict(m, peer=peer) for m in got["methods"]]
                entry["versions"].append(got["version"])
                entry["peer_notes"] += [f"{peer}: {note}" for note in got["notes"]]
                entry["load_end"][peer] = got.get("load_end")
        results.append(entry)
    elapsed = time.perf_counter() - t_start
    md = render(results, cfg, elapsed, load, args.quick, argv)
    print(md)
    if args.markdown:
        Path(args.markdown).write_text(md + "\n")
    if args.results:
        Path(args.results).write_text(json.dumps({"cfg": cfg, "results": results}, indent=1))
    plot_path = args.plot or (str(Path(tempfile.gettempdir()) / "index_recall_qps_quick.png") if args.quick
                              else str(HERE.parent / "docs" / "index_recall_qps.png"))
    if plot_path.lower() != "none":
        plot(results, plot_path)
        print(f"plot written to {plot_path}", file=sys.stderr)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="small sizes and few settings, for smoke tests (~2 min)")
    ap.add_argument("--datasets", default=",".join(index_data.DATASETS),
                    help="comma-separated: " + ",".join(index_data.DATASETS))
    ap.add_argument("--peers", default=",".join(PEERS), help="comma-separated: " + ",".join(PEERS))
    ap.add_argument("--specs", default=DEFAULT_SPECS,
                    help=f"hdvec Index specs for float data, separated by ';' ('auto': spec=None); "
                         f"default {DEFAULT_SPECS!r}")
    ap.add_argument("--binary-specs", default=DEFAULT_BINARY_SPECS,
                    help=f"hdvec Index specs for the Hamming data, ';'-separated; default {DEFAULT_BINARY_SPECS!r} "
                         "(the first IVF spec's nlist is also Faiss IndexBinaryIVF's)")
    ap.add_argument("--nprobe", help="comma-separated nprobe sweep (default 1,2,...,128; --quick 1,4,16,64)")
    ap.add_argument("--budget", type=float, help="seconds of timed batch calls per setting (default 2; --quick 0.2)")
    ap.add_argument("--markdown", help="also write the Markdown report to this file")
    ap.add_argument("--results", help="also write all measured points as JSON to this file")
    ap.add_argument("--plot", help="PNG path ('none': no plot); default docs/index_recall_qps.png "
                                   "(--quick: index_recall_qps_quick.png in the temp directory)")
    ap.add_argument("--peer", choices=PEERS, help=argparse.SUPPRESS)  # child mode
    ap.add_argument("--data", help=argparse.SUPPRESS)
    ap.add_argument("--json", help=argparse.SUPPRESS)
    args = ap.parse_args()
    for name, allowed in (("peers", PEERS), ("datasets", index_data.DATASETS)):
        if bad := set(getattr(args, name).split(",")) - set(allowed):
            ap.error(f"--{name}: unknown {sorted(bad)}; choose from {allowed}")
    if args.peer:
        child_main(args)
    else:
        parent_main(args, sys.argv[1:])


if __name__ == "__main__":
    main()
