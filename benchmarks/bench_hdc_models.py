"""Benchmark of the block and modular models (BSBC, MCR, CGR, VTB): hdvec vs Torchhd's same model.

    python benchmarks/bench_hdc_models.py --markdown models.md   # ~10 min on 2 cores
    python benchmarks/bench_hdc_models.py --quick                # smoke test

The parent generates the data once (fixed seed) and runs each peer in its own subprocess with
2 threads (``--peer NAME --data DIR --json OUT``), then merges the JSON results into Markdown.
Ops per model: bind (n pairs), bundle (n -> 1), similarity (nq x n), cleanup top-k (nq x nitems,
and one query). Torchhd has no cleanup memory: its cleanup is its ``cosine_similarity`` (the
model's own) + ``torch.topk``, blocked so that its temporaries stay near 0.5 GB. Query i is item
i with a quarter of its components redrawn (integer models) or with as much Gaussian noise as
signal (VTB), so every correct cleanup returns i first; the report checks it, and checks that
both libraries' bind gives the same vector.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import subprocess
import sys
import tempfile
import time
import traceback
from pathlib import Path

import numpy as np

from bench_hdc import THREAD_ENV, THREADS, bench, bench_queries, fmt, md_table, time_ops, to_numpy

# model -> (hdvec constructor kwargs, width of a stored vector, modulus or None for VTB)
MODELS = {"BSBC": dict(dim=64_000, block_size=64, width=1_000),
          "MCR": dict(dim=10_000, block_size=16, width=10_000),
          "CGR": dict(dim=10_000, block_size=16, width=10_000),
          "VTB": dict(dim=10_000, width=10_000)}
OPS = ["bind", "bundle", "similarity", "cleanup", "cleanup1"]
PEERS = ["hdvec", "torchhd"]
FULL = dict(n=5_000, nq=200, nitems=20_000, k=10, budget=5.0, repeats=3)
QUICK = dict(n=500, nq=20, nitems=2_000, k=10, budget=0.5, repeats=2)
SEED = 2024
NOISE = 0.25


def make_data(cfg: dict, out_dir: str) -> None:
    """Items (nitems, width) and queries (nq, width) per model, saved as <model>_{items,queries}.npy."""
    rng = np.random.default_rng(SEED)
    for name, spec in MODELS.items():
        shape = (cfg["nitems"], spec["width"])
        if name == "VTB":
            items = rng.standard_normal(shape, dtype=np.float32)
            items /= np.linalg.norm(items, axis=1, keepdims=True)
            noise = rng.standard_normal((cfg["nq"], spec["width"]), dtype=np.float32)
            queries = items[: cfg["nq"]] + noise / np.linalg.norm(noise, axis=1, keepdims=True)
        else:
            items = rng.integers(0, spec["block_size"], shape, dtype=np.int16)
            redraw = rng.random((cfg["nq"], spec["width"])) < NOISE
            queries = np.where(redraw, rng.integers(0, spec["block_size"], redraw.shape, dtype=np.int16),
                               items[: cfg["nq"]])
        np.save(Path(out_dir) / f"{name}_items.npy", items)
        np.save(Path(out_dir) / f"{name}_queries.npy", queries.astype(items.dtype))
    (Path(out_dir) / "meta.json").write_text(json.dumps(cfg))


# ----------------------------------------------------------------------------- peers
# A peer returns zero-argument callables bind/bundle, callables of m (queries) similarity/cleanup,
# `bytes` per stored vector, `version` and `notes`. Untimed setup happens here.
def peer_hdvec(name: str, items: np.ndarray, queries: np.ndarray, cfg: dict) -> dict:
    import numba
    import hdvec
    from hdvec import hdc

    spec = MODELS[name]
    m = hdc.VTB(spec["dim"], seed=0) if name == "VTB" else getattr(hdc, name)(
        spec["dim"], block_size=spec["block_size"], seed=0)
    dtype = np.float32 if name == "VTB" else m.dtype
    items, queries = items.astype(dtype), queries.astype(dtype)
    a, b, k = items[: cfg["n"]], items[cfg["n"] : 2 * cfg["n"]], cfg["k"]
    mem = hdc.ItemMemory(m)
    mem.add(range(len(items)), items)
    return dict(bind=lambda: m.bind(a, b), bundle=lambda: m.bundle(a),
                similarity=lambda q: m.similarity(queries[:q], a), cleanup=lambda q: mem.cleanup(queries[:q], k=k),
                bytes=items.nbytes / len(items), notes=[],
                version=f"hdvec {getattr(hdvec, '__version__', '?')} (numba {numba.__version__})")


def peer_torchhd(name: str, items: np.ndarray, queries: np.ndarray, cfg: dict) -> dict:
    import torch
    import torchhd

    torch.set_num_threads(int(THREADS))
    spec, cls = MODELS[name], getattr(torchhd, f"{name}Tensor")

    def wrap(x: np.ndarray):
        t = torch.from_numpy(x.astype(np.float32 if name == "VTB" else np.int64)).as_subclass(cls)
        if name != "VTB":
            t.block_size = spec["block_size"]  # what cls.random sets
        return t

    items, queries = wrap(items), wrap(queries)
    a, b, k = items[: cfg["n"]], items[cfg["n"] : 2 * cfg["n"]], cfg["k"]
    # the integer models compare (q, x, width) broadcast temporaries: one query x x_block items per call
    q_block, x_block = (cfg["nq"], len(items)) if name == "VTB" else (1, max(1, 2 * 10**7 // spec["width"]))

    def sim(q, x):
        return torch.cat([torch.cat([torchhd.cosine_similarity(q[i : i + q_block], x[j : j + x_block]).as_subclass(torch.Tensor)
                                     for j in range(0, len(x), x_block)], dim=-1)
                          for i in range(0, len(q), q_block)])

    def cleanup(q):
        tops = [torch.topk(sim(queries[i : min(i + q_block, q)], items), k, dim=-1) for i in range(0, q, q_block)]
        return torch.cat([v for v, _ in tops]), torch.cat([j for _, j in tops])

    return dict(bind=lambda: torchhd.bind(a, b), bundle=lambda: torchhd.multiset(a),
                similarity=lambda q: sim(queries[:q], a), cleanup=cleanup,
                bytes=items.element_size() * items.shape[-1], notes=[],
                version=f"torch-hd {torchhd.__version__} (torch {torch.__version__})")


PEER_SETUP = {"hdvec": peer_hdvec, "torchhd": peer_torchhd}


def run_op(impl: dict, op: str, cfg: dict) -> dict:
    budget, repeats = cfg["budget"], cfg["repeats"]
    if op in ("bind", "bundle"):
        t, reps, out = bench(impl[op], repeats, budget)
        out = to_numpy(out)
        return dict(ms=t * 1e3, repeats=reps, first=out.reshape(-1, out.shape[-1])[0].astype(np.float64).tolist())
    if op == "cleanup1":
        t, reps, out = bench(lambda: impl["cleanup"](1), 3 * repeats, budget, min_repeats=3)
        m = total = 1
    else:
        t, m, reps, out = bench_queries(impl[op], cfg["nq"], budget, repeats)
        total = cfg["nq"]
    best = to_numpy(out).argmax(1) if op == "similarity" else to_numpy(out[1])[:, 0]
    return dict(ms=t * 1e3, repeats=reps, timed=m, total=total, ok=bool((best == np.arange(m)).all()),
                pairs_per_s=total * (cfg["n"] if op == "similarity" else cfg["nitems"]) / t)


def child_main(args) -> None:
    cfg = json.loads((Path(args.data) / "meta.json").read_text())
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the repository, for `import hdvec`
    records, version, ops = [], args.peer, args.only.split(",")
    for name in args.models.split(","):
        items, queries = (np.load(Path(args.data) / f"{name}_{part}.npy") for part in ("items", "queries"))
        try:
            impl = PEER_SETUP[args.peer](name, items, queries, cfg)
        except Exception as exc:
            traceback.print_exc()
            records += [dict(peer=args.peer, model=name, op=op, error=f"{type(exc).__name__}: {exc}") for op in ops]
            continue
        version = impl["version"]
        records += time_ops(args.peer, name, ops, lambda op, impl=impl: run_op(impl, op, cfg), impl["bytes"])
        del impl
        gc.collect()
    Path(args.json).write_text(json.dumps(dict(version=version, records=records,
                                               load=os.getloadavg()[0])))


# ----------------------------------------------------------------------------- report
OP_LABELS = {"bind": "bind ({n:,} pairs)", "bundle": "bundle ({n:,} -> 1)", "similarity": "similarity ({nq:,} x {n:,})",
             "cleanup": "cleanup top-{k} ({nq:,} x {nitems:,})", "cleanup1": "cleanup top-{k} (1 x {nitems:,})"}


def render(results: list, cfg: dict, versions: list, models: list, ops: list, elapsed: float, load: float) -> str:
    res = {(r["peer"], r["model"], r["op"]): r for r in results}
    notes = []
    for name in models:  # bind is exact in both libraries: the first bound vector must agree
        h, t = res.get(("hdvec", name, "bind"), {}), res.get(("torchhd", name, "bind"), {})
        if "first" in h and "first" in t:
            same = np.allclose(h["first"], t["first"], rtol=1e-4, atol=1e-5)
            notes.append(f"{name} bind: hdvec and Torchhd give {'the same' if same else 'DIFFERENT'} vectors")
    for (p, name, op), r in res.items():
        if r.get("ok") is False:
            notes.append(f"{p} {name} {op}: the best match of noisy query i is not item i")

    def cell(p, name, op):
        r = res.get((p, name, op), {})
        mark = "*" * (r.get("timed", 1) < r.get("total", 1)) + "!" * (r.get("ok") is False)
        return "-" if not r else "error" if "error" in r else fmt(r["ms"]) + mark

    def ratio(name, op):
        h, t = res.get(("hdvec", name, op), {}), res.get(("torchhd", name, op), {})
        return f"{t['ms'] / h['ms']:.1f}x" if "ms" in h and "ms" in t else "-"

    rows = [[OP_LABELS[op].format(**cfg), name, cell("hdvec", name, op), cell("torchhd", name, op), ratio(name, op)]
            for name in models for op in ops]
    sizes = "; ".join(f"{n}: " + (f"dim {s['dim']:,}" if n == "VTB" else
                                   f"dim {s['dim']:,}, block_size {s['block_size']}, width {s['width']:,}")
                      for n, s in MODELS.items() if n in models)
    nbytes = {(r["peer"], r["model"]): r["bytes"] for r in results if "bytes" in r}
    lines = [f"#### Block and modular models, {THREADS} threads, one subprocess per peer", "",
             "Versions: " + "; ".join(versions) + f". Sizes: {sizes}.", "",
             "Time in ms (median of repeats after a warm-up call); speedup = Torchhd ms / hdvec ms.", ""]
    lines += md_table(["op", "model", "hdvec", "torchhd", "speedup"], rows, 2)
    lines += ["", "Bytes per stored vector: " + "; ".join(
        f"{n} hdvec {fmt(nbytes.get(('hdvec', n)))} / Torchhd {fmt(nbytes.get(('torchhd', n)))}" for n in models) + ".",
              "", f"- n={cfg['n']:,}, {cfg['nq']:,} queries, {cfg['nitems']:,} items, k={cfg['k']}. Wall time "
              f"{elapsed / 60:.1f} min; load average at start {load:.2f} on {os.cpu_count()} cores.",
              "- `*`: extrapolated from two prefixes of the queries (too slow to run in full); `!`: wrong answer."]
    return "\n".join(lines + [f"- {n}" for n in notes])


def parent_main(args) -> None:
    cfg = dict(QUICK if args.quick else FULL)
    models, ops = args.models.split(","), [op for op in OPS if op in args.only.split(",")]
    t_start, load = time.perf_counter(), os.getloadavg()[0]
    results, versions = [], []
    with tempfile.TemporaryDirectory(prefix="bench_models_") as tmp:
        make_data(cfg, tmp)
        for peer in [p for p in PEERS if p in args.peers.split(",")]:
            out = Path(tmp) / f"{peer}.json"
            cmd = [sys.executable, str(Path(__file__).resolve()), "--peer", peer, "--data", tmp, "--json", str(out),
                   "--only", ",".join(ops), "--models", ",".join(models)]
            subprocess.run(cmd, env=dict(os.environ, **THREAD_ENV))
            if out.exists():
                got = json.loads(out.read_text())
                results += got["records"]
                versions.append(got["version"])
    md = render(results, cfg, versions, models, ops, time.perf_counter() - t_start, load)
    print(md)
    if args.markdown:
        Path(args.markdown).write_text(md + "\n")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="small sizes, for smoke testing")
    ap.add_argument("--only", default=",".join(OPS), help="comma-separated ops: " + ",".join(OPS))
    ap.add_argument("--models", default=",".join(MODELS), help="comma-separated models: " + ",".join(MODELS))
    ap.add_argument("--peers", default=",".join(PEERS), help="comma-separated peers: " + ",".join(PEERS))
    ap.add_argument("--markdown", help="also write the Markdown report to this file")
    ap.add_argument("--peer", choices=PEERS, help=argparse.SUPPRESS)  # child mode
    ap.add_argument("--data", help=argparse.SUPPRESS)
    ap.add_argument("--json", help=argparse.SUPPRESS)
    args = ap.parse_args()
    for name, allowed in [("only", OPS), ("models", list(MODELS)), ("peers", PEERS)]:
        if bad := set(getattr(args, name).split(",")) - set(allowed):
            ap.error(f"--{name}: unknown {sorted(bad)}; choose from {allowed}")
    child_main(args) if args.peer else parent_main(args)


if __name__ == "__main__":
    main()
