"""Benchmark of ``ShardedIndex`` on Dask: 1 and 2 single-threaded workers against one single-threaded ``Index``.

    python benchmarks/bench_distributed.py                  # both datasets (needs ../shared/data for binary)
    python benchmarks/bench_distributed.py --datasets clustered --markdown dist.md

Datasets (``benchmarks/index_data.py``): clustered 200k x 128 float (spec ``IVF1024,LVQ8``, cell
layout, nprobe 2) and 100k BSC hypervectors of D = 10,000 bits encoded from real text (spec
``Flat``: exact Hamming, round-robin layout). Each ``ShardedIndex`` has 2 shards, placed on a
``LocalCluster`` of 1 or 2 worker processes with one thread each (``NUMBA_NUM_THREADS=1``). The
reference is one ``Index`` in this process limited to one Numba thread. For batches of 1,000 and of
10 queries it reports queries/s (median of repeats), the scaling efficiency QPS(2 workers) /
(2 x QPS(1 worker)), the per-batch overhead (sharded seconds per batch minus the single index's),
and whether the ids equal the single index's.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import index_data

ONE_THREAD = {"NUMBA_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1",
              "MKL_NUM_THREADS": "1", "OMP_WAIT_POLICY": "PASSIVE"}
CASES = {"clustered": ("IVF1024,LVQ8", 2, "cell"), "binary": ("Flat", None, "round-robin")}


def timed(fn, repeats: int) -> float:
    fn()  # warm-up
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def run_case(name: str, log) -> dict:
    from distributed import Client, LocalCluster

    from hdvec.index import Index, ShardedIndex

    ds = index_data.LOADERS[name]()
    spec, nprobe, layout = CASES[name]
    out = {"dataset": name, "n": ds.n, "dim": ds.dim, "spec": spec, "layout": layout, "nprobe": nprobe, "rows": []}
    one = Index(ds.dim, metric=ds.metric, spec=spec, seed=0)
    t = time.perf_counter()
    if one.spec.needs_training:
        one.train(ds.xb)
    one.add(ds.xb, progress=False)
    out["build_single_s"] = time.perf_counter() - t
    batches = {1000: ds.xq[:1000], 10: ds.xq[:10]}
    ref = {b: one.search(q, 10, nprobe=nprobe) for b, q in batches.items()}
    single = {b: timed(lambda q=q: one.search(q, 10, nprobe=nprobe), 5 if b == 1000 else 50)
              for b, q in batches.items()}
    log(f"[{name}] single Index, 1 thread: " + ", ".join(f"{b} q: {b / s:,.0f} QPS" for b, s in single.items()))
    out["single"] = {b: {"s": s, "qps": b / s} for b, s in single.items()}
    for workers in (1, 2):
        with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None,
                          silence_logs=40, env=ONE_THREAD) as cluster, Client(cluster) as client:
            sh = ShardedIndex(ds.dim, metric=ds.metric, spec=spec, seed=0, n_shards=2, client=client,
                              layout=layout)
            t = time.perf_counter()
            if sh.spec.needs_training:
                sh.train(ds.xb)
            sh.add(ds.xb)
            build = time.perf_counter() - t
            row = {"workers": workers, "build_s": build}
            for b, q in batches.items():
                _, i = sh.search(q, 10, nprobe=nprobe)
                same = bool(np.array_equal(i, ref[b][1]))
                s = timed(lambda q=q, sh=sh: sh.search(q, 10, nprobe=nprobe), 5 if b == 1000 else 30)
                row[b] = {"s": s, "qps": b / s, "same_ids": same, "overhead_ms": (s - single[b]) * 1e3}
            out["rows"].append(row)
            log(f"[{name}] {workers} worker(s): build {build:.1f} s; " + ", ".join(
                f"{b} q: {row[b]['qps']:,.0f} QPS (same ids: {row[b]['same_ids']})" for b in batches))
    return out


def markdown(results: list[dict]) -> str:
    lines = []
    for r in results:
        lines.append(f"#### {r['dataset']}: n={r['n']:,}, dim={r['dim']:,}, spec `{r['spec']}`, layout "
                     f"{r['layout']}, nprobe {r['nprobe'] or '-'}, 2 shards\n")
        lines.append("| setup | QPS, 1,000-query batches | QPS, 10-query batches | ms per 10-query batch | "
                     "overhead vs single, ms (1,000 / 10) | ids equal single |")
        lines.append("|---|---:|---:|---:|---:|---|")
        s = r["single"]
        lines.append(f"| one Index, 1 thread | {s[1000]['qps']:,.0f} | {s[10]['qps']:,.0f} | "
                     f"{s[10]['s'] * 1e3:.2f} | - | - |")
        for row in r["rows"]:
            lines.append(f"| ShardedIndex, {row['workers']} worker(s) | {row[1000]['qps']:,.0f} | "
                         f"{row[10]['qps']:,.0f} | {row[10]['s'] * 1e3:.2f} | {row[1000]['overhead_ms']:.1f} / "
                         f"{row[10]['overhead_ms']:.1f} | {row[1000]['same_ids'] and row[10]['same_ids']} |")
        by = {row["workers"]: row for row in r["rows"]}
        if 1 in by and 2 in by:
            e1000 = by[2][1000]["qps"] / (2 * by[1][1000]["qps"])
            e10 = by[2][10]["qps"] / (2 * by[1][10]["qps"])
            lines.append(f"\nScaling efficiency QPS(2 workers) / (2 x QPS(1 worker)): **{e1000:.2f}** for "
                         f"1,000-query batches, {e10:.2f} for 10-query batches. Build (train + add): single "
                         f"{r['build_single_s']:.1f} s; sharded " + ", ".join(
                             f"{row['workers']} worker(s) {row['build_s']:.1f} s" for row in r["rows"]) + ".\n")
    return "\n".join(lines)


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--datasets", default="clustered,binary", help="comma-separated: clustered,binary")
    ap.add_argument("--markdown", help="write the Markdown tables to this file")
    args = ap.parse_args(argv)
    os.environ.update(ONE_THREAD)  # the single Index (and the client's routing) use one thread
    import numba

    numba.set_num_threads(1)
    t0 = time.time()
    results = []
    for name in args.datasets.split(","):
        try:
            index_data.check_paths(index_data.required_paths(name))
        except index_data.MissingData as exc:
            print(f"skipping {name}: {exc}")
            continue
        results.append(run_case(name, lambda m: print(m, flush=True)))
    cores = os.cpu_count()
    text = (f"Machine: {cores} cores; load average at the end {os.getloadavg()[0]:.1f}; wall time "
            f"{(time.time() - t0) / 60:.1f} min.\n\n" + markdown(results))
    print(text)
    if args.markdown:
        Path(args.markdown).write_text(text)


if __name__ == "__main__":
    main()
