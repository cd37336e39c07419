"""Approximate nearest-neighbour peers vs hdvec.index: recall@10, QPS, latency, size, build time.

    python benchmarks/bench_ann.py --quick                                  # smoke test, ~3 min
    python benchmarks/bench_ann.py --markdown ann.md --out ann.jsonl --plot ann.png   # full run (hours)
    python benchmarks/bench_ann.py --dataset minilm --peers hdvec,faiss,scann --targets 0.9 0.95

Peers (benchmarks/ann_peers.py): hdvec (``Index(dim)`` as shipped, plus ``--hdvec-specs``), Faiss,
hnswlib, usearch, ScaNN, pyglass (``glass``), voyager, pynndescent and NGT. A peer that does not
import is reported as "not installed". Datasets (benchmarks/index_data.py): clustered (200k x 128),
fashion-mnist (60k x 784), sift5k and minilm (50k sentence embeddings, 384-d unit vectors). The
parent loads a dataset, computes the exact top-10 and writes .npy files to a temporary directory;
each peer then runs in its own subprocess with OMP/NUMBA/MKL/OPENBLAS_NUM_THREADS = ``--threads``
and OMP_WAIT_POLICY=PASSIVE set before any import, and is told the same thread count wherever it
has a knob. For every configuration and knob value it measures tie-aware recall@10, QPS of the
whole query batch (median of ``--repeats`` calls after a warm-up), single-query latency p50/p99
(``--single`` queries one at a time), build time (train + add) and bytes per vector.
"""

from __future__ import annotations

import os
import sys


sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pin_threads  # noqa: E402

pin_threads.pin(sys.argv[1:])  # before numpy, torch or Numba start a thread pool

import argparse
import importlib
import json
import shlex
import subprocess
import tempfile
import time
import traceback
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import ann_peers
import bench_index
import index_data
from bench_index import best_at, fmt, fmt_qps, pareto, ratio

K = 10
PEERS = list(ann_peers.PEERS)
DATASETS = ["clustered", "fashion-mnist", "sift5k", "minilm"]
DEFAULT_SPECS = "IVF1024,LVQ8,Rerank;IVF1024,LVQ4,Rerank;IVF1024,PQ,Rerank;IVF1024,RaBitQ,Rerank"
STOP_RECALL = 0.999  # a sweep stops once a setting reaches this recall


def geometric(lo: float, hi: float, count: int, integer: bool = True) -> list:
    """``count`` values from lo to hi with a constant ratio (rounded; duplicates dropped)."""
    values = [lo * (hi / lo) ** (i / (count - 1)) for i in range(count)]
    return sorted({round(v) for v in values}) if integer else [round(v, 4) for v in values]


# sizes: index_data loader arguments; grids: knob values (ann_peers caps nprobe / leaves at nlist);
# budget: batch timing seconds per setting; max_batch_s: a sweep stops after a slower batch;
# lat_budget: seconds of single-query timing per setting (at least 20 queries).
FULL = {"sizes": {"clustered": {"n": 200_000, "d": 128, "nq": 1_000}, "fashion-mnist": {"nq": 1_000},
                  "sift5k": {"nq": 500}, "minilm": {"n": 50_000, "nq": 1_000}},
        "grids": {"nprobe": geometric(1, 512, 16), "ef": geometric(10, 800, 14), "k_factor": [2, 4, 8, 16],
                  "reorder": [20, 50, 100, 250], "eps_nnd": [0.0] + geometric(0.01, 0.4, 12, integer=False),
                  "eps_ngt": [0.0] + geometric(0.005, 0.3, 12, integer=False), "ngt_edges": [20, 40, 80]},
        "budget": 30.0, "max_batch_s": 20.0, "lat_budget": 5.0, "peer_timeout": 4 * 3600}
QUICK = {"sizes": {"clustered": {"n": 20_000, "d": 128, "nq": 100}, "fashion-mnist": {"n": 5_000, "nq": 100},
                   "sift5k": {"nq": 100}, "minilm": {"n": 5_000, "nq": 100}},
         "grids": {"nprobe": [1, 4, 16, 64], "ef": [16, 48, 128, 384], "k_factor": [4], "reorder": [100],
                   "eps_nnd": [0.0, 0.05, 0.15, 0.3], "eps_ngt": [0.0, 0.03, 0.08, 0.2], "ngt_edges": [40]},
         "budget": 1.0, "max_batch_s": 2.0, "lat_budget": 0.3, "peer_timeout": 600}


def library_of(peer: str, label: str) -> str:
    """Summary row key: the peer, with hdvec's shipped default apart from its explicit specs."""
    if peer != "hdvec":
        return peer
    return "hdvec (default)" if label.startswith("Index(dim)") else "hdvec (specs)"


# ----------------------------------------------------------------------------- child: one peer
def time_single(search1, xq: np.ndarray, count: int, budget: float) -> tuple[float, float, int]:
    """p50 and p99 milliseconds of single-query searches over queries 0, 1, ... (at most ``count``;
    no more once ``budget`` seconds are spent and at least 20 were timed), after one warm-up."""
    search1(xq[:1])
    times: list[float] = []
    for i in range(min(count, len(xq))):
        if len(times) >= 20 and sum(times) > budget:
            break
        t0 = time.perf_counter()
        search1(xq[i : i + 1])
        times.append(time.perf_counter() - t0)
    return float(np.percentile(times, 50) * 1e3), float(np.percentile(times, 99) * 1e3), len(times)


def measure(c: ann_peers.Config, obj, setting: dict, data: dict, opts: dict) -> dict:
    """One point: the setting applied, then recall@10, batch QPS and single-query latency."""
    xq = data["xq"]
    c.apply(obj, setting)
    secs, reps, ids = bench_index.time_batch(lambda: c.search(obj, xq), opts["budget"], opts["repeats"])
    recall = index_data.recall_at_k(np.asarray(ids), xq, data["xb"], data["kth"], "l2", K)
    one = c.search1 or c.search
    p50, p99, n1 = time_single(lambda q: one(obj, q), xq, opts["single"], opts["lat_budget"])
    text = ",".join(f"{k}={v}" for k, v in setting.items()) or "-"
    return {"setting": text, "knobs": setting, "recall": recall, "qps": len(xq) / secs, "batch_s": secs,
            "repeats": reps, "p50_ms": p50, "p99_ms": p99, "single_n": n1}


def run_config(c: ann_peers.Config, data: dict, opts: dict, log) -> dict:
    """Build one configuration, then sweep its knob settings (each sweep stops once recall saturates)."""
    rec = {"label": c.label, "bytes_how": c.size_how, "points": [], "notes": list(c.notes)}
    if c.skip:
        rec["skipped"] = c.skip
        return rec
    t0 = time.perf_counter()
    obj = c.build()
    rec["build_s"] = time.perf_counter() - t0
    size = c.size(obj)
    rec["bytes_per_vec"] = None if size is None else size / len(data["xb"])
    if c.describe:
        rec["notes"].append(c.describe(obj))
    log(f"built in {rec['build_s']:.1f} s, {rec['bytes_per_vec'] or 0:.1f} B/vector")
    for sweep in c.sweeps(obj):
        for setting in sweep:
            pt = measure(c, obj, setting, data, opts)
            rec["points"].append(pt)
            log(f"  {pt['setting']:28s} R@10 {pt['recall']:.4f} {pt['qps']:9.0f} QPS "
                f"p50 {pt['p50_ms']:.3f} ms p99 {pt['p99_ms']:.3f} ms")
            if pt["recall"] >= STOP_RECALL or pt["batch_s"] > opts["max_batch_s"]:
                break
    return rec


def child_main(args: argparse.Namespace) -> None:
    tmp, peer = Path(args.data), args.child
    meta = json.loads((tmp / "meta.json").read_text())
    data = {name: np.load(tmp / f"{name}.npy") for name in ("xb", "xq", "kth")}
    sys.path.insert(0, str(HERE.parent))  # the repository, for `import hdvec` without an install
    out = {"peer": peer, "version": peer, "configs": []}

    def log(msg: str) -> None:
        print(f"[{meta['name']}/{peer}] {msg}", file=sys.stderr, flush=True)

    def save() -> None:
        Path(args.json).write_text(json.dumps(out))  # after every configuration: partial results survive

    try:
        importlib.import_module(ann_peers.MODULES[peer])
    except ImportError as exc:
        out["not_installed"] = f"{type(exc).__name__}: {exc}"
        log(f"not installed ({exc})")
        save()
        return
    workdir = tmp / f"work-{peer}"
    workdir.mkdir()
    ctx = ann_peers.Ctx(data["xb"], meta["threads"], meta["grids"], meta["hdvec_specs"], meta["unit"], workdir)
    configs, out["version"] = ann_peers.PEERS[peer](ctx)
    for c in configs:
        log(c.label)
        try:
            rec = run_config(c, data, meta["opts"], log)
        except Exception as exc:  # noqa: BLE001 - one failing configuration must not stop the others
            traceback.print_exc()
            rec = {"label": c.label, "error": f"{type(exc).__name__}: {exc}", "points": []}
        out["configs"].append(rec)
        save()
    save()


# ----------------------------------------------------------------------------- parent
def load_dataset(name: str, sizes: dict, threads: int) -> index_data.Dataset:
    kwargs = dict(sizes[name], threads=threads) if name == "minilm" else sizes[name]
    return index_data.LOADERS[name](**kwargs)


def run_peer(peer: str, tmp: Path, args: argparse.Namespace, timeout: float) -> dict:
    """One peer's subprocess; its JSON (partial after a crash or a timeout, with an error row)."""
    out = tmp / f"{peer}.json"
    cmd = [args.python, str(Path(__file__).resolve()), "--child", peer, "--data", str(tmp), "--json", str(out),
           "--threads", str(args.threads)]
    try:
        # the libraries' own chatter (glass, NGT print to stdout) goes to stderr: stdout is the report
        rc, why = subprocess.run(cmd, check=False, env=dict(os.environ), timeout=timeout, stdout=sys.stderr).returncode, ""
    except subprocess.TimeoutExpired:
        rc, why = -1, f"timed out after {timeout:.0f} s"
    got = json.loads(out.read_text()) if out.exists() else {"peer": peer, "version": peer, "configs": []}
    if rc:
        got["configs"].append({"label": "(subprocess)", "points": [],
                               "error": why or f"exit code {rc}; results are partial"})
    return got


def run_dataset(name: str, cfg: dict, args: argparse.Namespace, peers: list[str]) -> dict:
    t0 = time.perf_counter()
    ds = load_dataset(name, cfg["sizes"], args.threads)
    gt, kth = index_data.ground_truth(ds, K, args.threads)
    unit = bool(np.allclose(np.linalg.norm(ds.xb[:1000], axis=1), 1.0, atol=1e-4))
    print(f"[{name}] {ds.n:,} x {ds.dim} loaded + ground truth in {time.perf_counter() - t0:.1f} s",
          file=sys.stderr, flush=True)
    entry = {"name": name, "n": ds.n, "dim": ds.dim, "nq": len(ds.xq), "description": ds.description,
             "space": "angular (unit vectors, L2)" if unit else "L2", "peers": []}
    opts = {"budget": cfg["budget"], "repeats": args.repeats, "single": args.single,
            "lat_budget": cfg["lat_budget"], "max_batch_s": cfg["max_batch_s"]}
    meta = {"name": name, "threads": args.threads, "grids": cfg["grids"], "unit": unit, "opts": opts,
            "hdvec_specs": [s.strip() for s in args.hdvec_specs.split(";") if s.strip()]}
    with tempfile.TemporaryDirectory(prefix="bench_ann_") as tmp:
        for arr, fname in ((ds.xb, "xb"), (ds.xq, "xq"), (kth, "kth"), (gt, "gt")):
            np.save(Path(tmp) / f"{fname}.npy", arr)
        (Path(tmp) / "meta.json").write_text(json.dumps(meta))
        del ds
        for peer in peers:
            entry["peers"].append(run_peer(peer, Path(tmp), args, cfg["peer_timeout"]))
    return entry


def jsonl_rows(results: list[dict], threads: int):
    """One JSON object per measured point, and one per configuration that has none (why)."""
    for r in results:
        base = {"dataset": r["name"], "n": r["n"], "dim": r["dim"], "nq": r["nq"], "threads": threads}
        for p in r["peers"]:
            if "not_installed" in p:
                yield {**base, "peer": p["peer"], "status": "not installed", "error": p["not_installed"]}
            for c in p["configs"]:
                row = {**base, "peer": p["peer"], "version": p["version"], "library": library_of(p["peer"], c["label"]),
                       "config": c["label"], "build_s": c.get("build_s"), "bytes_per_vec": c.get("bytes_per_vec"),
                       "bytes_how": c.get("bytes_how")}
                if not c["points"]:
                    why = c.get("error") or c.get("skipped") or "no points"
                    yield {**row, "status": "error" if "error" in c else "skipped", "error": why}
                for pt in c["points"]:
                    yield {**row, "status": "ok", **pt}


# ----------------------------------------------------------------------------- report
def flat_configs(r: dict) -> list[dict]:
    """The dataset's configurations that have points, each with its peer and library."""
    return [dict(c, peer=p["peer"], library=library_of(p["peer"], c["label"]))
            for p in r["peers"] for c in p["configs"] if c["points"]]


def cheapest(configs: list[dict], target: float) -> dict[str, tuple[dict, dict]]:
    """Per library: (config, point) with the highest QPS among points with recall >= target."""
    best: dict[str, tuple[dict, dict]] = {}
    for c in configs:
        p = best_at(c["points"], target)
        if p and (c["library"] not in best or p["qps"] > best[c["library"]][1]["qps"]):
            best[c["library"]] = (c, p)
    return best


def target_rows(configs: list[dict], target: float) -> list[str]:
    best = cheapest(configs, target)
    rows = []
    for lib, (c, p) in sorted(best.items(), key=lambda kv: -kv[1][1]["qps"]):
        rows.append(f"| ≥{target:g} | {lib} | {c['label']} | {p['setting']} | {p['recall']:.4f} | {fmt_qps(p['qps'])} | "
                    f"{p['p50_ms']:.3g} | {p['p99_ms']:.3g} | {fmt(c['bytes_per_vec'], 4)} | {fmt(c['build_s'], 3)} |")
    for lib in sorted({c["library"] for c in configs} - set(best)):
        top = max(p["recall"] for c in configs if c["library"] == lib for p in c["points"])
        rows.append(f"| ≥{target:g} | {lib} | not reached (max recall {top:.4f}) | | | | | | | |")
    return rows


def ratio_line(configs: list[dict], target: float) -> str:
    best = cheapest(configs, target)
    peers = {lib: cp for lib, cp in best.items() if not lib.startswith("hdvec")}
    hd = best.get("hdvec (default)")
    if not peers or not hd:
        return f"- R≥{target:g}: no ratio ({'no peer reaches it' if not peers else 'hdvec default does not reach it'})"
    lib, (c, p) = max(peers.items(), key=lambda kv: kv[1][1]["qps"])
    return (f"- R≥{target:g}: hdvec `Index(dim)` {fmt_qps(hd[1]['qps'])} QPS ({hd[1]['setting']}) / fastest peer "
            f"{lib} `{c['label']}` {fmt_qps(p['qps'])} QPS ({p['setting']}) = **{ratio(hd[1]['qps'], p['qps'])}**")


def shipped_line(configs: list[dict]) -> list[str]:
    """hdvec ``Index(dim)`` at the nprobe it calibrated itself (its first point), if it has one."""
    pts = [p for c in configs if c["library"] == "hdvec (default)" for p in c["points"][:1]]
    if not pts:
        return []
    p = pts[0]
    knob = p["setting"] if p["setting"] != "-" else "exact search, no knob"
    return [(f"- as shipped (`Index(dim)`, {knob}): recall@10 {p['recall']:.4f}, {fmt_qps(p['qps'])} QPS, "
             f"p50 {p['p50_ms']:.3g} ms, p99 {p['p99_ms']:.3g} ms")]


def config_rows(r: dict, targets: list[float]) -> list[str]:
    rows = []
    for p in r["peers"]:
        for c in p["configs"]:
            lib = library_of(p["peer"], c["label"])
            if not c["points"]:
                why = c.get("error") or c.get("skipped") or "no points"
                rows.append(f"| {lib} | {c['label']} | {why} |" + " |" * (3 + len(targets)))
                continue
            cells = [fmt_qps(best_at(c["points"], t)["qps"]) if best_at(c["points"], t) else "-" for t in targets]
            top = max(pt["recall"] for pt in c["points"])
            rows.append(f"| {lib} | {c['label']} | {fmt(c['build_s'], 3)} | {fmt(c['bytes_per_vec'], 4)} | "
                        f"{len(c['points'])} | {top:.4f} | " + " | ".join(cells) + " |")
    return rows


def render_dataset(r: dict, targets: list[float]) -> list[str]:
    configs = flat_configs(r)
    lines = [f"### {r['name']}: n={r['n']:,}, d={r['dim']}, {r['nq']:,} queries, {r['space']}", "",
             r["description"] + ".", "",
             "| target R@10 | library | config | setting | recall | QPS | p50 ms | p99 ms | bytes/vector | build s |",
             "|---|---|---|---|---:|---:|---:|---:|---:|---:|"]
    for t in targets:
        lines += target_rows(configs, t)
    lines += ["", "hdvec default vs the fastest peer at each target (QPS ratio, > 1: hdvec faster):", ""]
    lines += [ratio_line(configs, t) for t in targets] + shipped_line(configs)
    lines += ["", "All configurations (QPS at the fastest setting reaching each target):", "",
              "| library | config | build s | bytes/vector | points | max R@10 | "
              + " | ".join(f"QPS @≥{t:g}" for t in targets) + " |",
              "|---|---|---:|---:|---:|---:|" + "---:|" * len(targets)]
    lines += config_rows(r, targets)
    missing = [f"{p['peer']} ({p['not_installed']})" for p in r["peers"] if "not_installed" in p]
    if missing:
        lines += ["", "Not installed: " + "; ".join(missing) + "."]
    notes = [f"{library_of(p['peer'], c['label'])} {c['label']}: {n}"
             for p in r["peers"] for c in p["configs"] for n in c.get("notes", [])]
    if notes:
        lines += ["", "Notes: " + "; ".join(notes) + "."]
    return lines + [""]


def render(results: list[dict], args: argparse.Namespace, cfg: dict, elapsed: float, loads: tuple, argv) -> str:
    cmd = shlex.join(["python", "benchmarks/bench_ann.py", *argv])
    lines = [f"## ANN peers benchmark (`{cmd}`)", "",
             f"{bench_index.cpu_name()}, {os.cpu_count()} cores, {args.threads} threads per peer (own subprocess "
             f"each); load average {loads[0]:.2f} at start, {loads[1]:.2f} at end; wall time {elapsed / 60:.1f} min"
             + (" (**--quick: tiny sizes, 4 knob values; not for conclusions**)" if args.quick else "") + ".", ""]
    versions = sorted({p["version"] for r in results for p in r["peers"] if "not_installed" not in p})
    lines += ["Versions: " + "; ".join(versions) + ".", ""]
    for r in results:
        lines += render_dataset(r, args.targets)
    hows = sorted({f"{p['peer']}: {c['bytes_how']}" for r in results for p in r["peers"] for c in p["configs"]
                   if c.get("bytes_how")})
    grids = "; ".join(f"{k} {','.join(map(str, v))}" for k, v in cfg["grids"].items())
    lines += [("Columns: **recall** = tie-aware recall@10 (a returned id counts if its exact distance is ≤ the "
               "exact 10th-nearest distance); **QPS** = queries / second of the whole batch in one call, median of "
               f"{args.repeats} timed calls after a warm-up (a single call when the warm-up took over "
               f"{cfg['budget'] / 2:g} s); **p50 / p99 ms** = single-query latency over up to {args.single} queries "
               f"one at a time (fewer once {cfg['lat_budget']:g} s are spent, at least 20); **build s** = train + "
               f"add, wall time; the cheapest setting per library = its highest-QPS point at or above the target. "
               f"Sweeps stop once recall@10 ≥ {STOP_RECALL} or a batch takes over {cfg['max_batch_s']:g} s."), "",
              "Bytes/vector = " + "; ".join(hows) + ", divided by n.", "", f"Knob grids: {grids}.", ""]
    return "\n".join(lines)


def plot(results: list[dict], path: str, threads: int) -> None:
    """Recall@10 vs QPS (log), one line per configuration's Pareto front, one panel per dataset."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    cols = min(2, len(results))
    rows = -(-len(results) // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(8.5 * cols, 6 * rows), squeeze=False)
    for ax, r in zip(axes.flat, results):
        configs = flat_configs(r)
        colors = plt.get_cmap("tab20").colors
        for i, c in enumerate(configs):
            x, y = zip(*pareto(c["points"]))
            hd = c["peer"] == "hdvec"
            ax.plot(x, y, marker="o" if hd else ".", ms=4, lw=2.2 if hd else 1.2, ls="-" if hd else "--",
                    color=colors[i % len(colors)], label=f"{c['library']} {c['label']}")
        recalls = [p["recall"] for c in configs for p in c["points"]]
        if recalls:
            ax.set_xlim(max(0.5, min(recalls) - 0.02), 1.002)
        ax.set_yscale("log")
        ax.set_xlabel("recall@10")
        ax.set_ylabel(f"QPS ({r['nq']:,} queries per call, {threads} threads)")
        ax.set_title(f"{r['name']} (n={r['n']:,}, d={r['dim']}, {r['space']})")
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=6, loc="lower left")
    for ax in list(axes.flat)[len(results):]:
        ax.set_visible(False)
    fig.suptitle("ANN peers vs hdvec.index: recall@10 vs QPS (Pareto front of each configuration; x cut at 0.5)")
    fig.tight_layout()
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)


def parent_main(args: argparse.Namespace, argv: list[str]) -> None:
    cfg = dict(QUICK if args.quick else FULL)
    if args.budget:
        cfg["budget"] = args.budget
    peers = [p for p in PEERS if p in args.peers.split(",")]
    datasets = args.dataset.split(",") if args.dataset else (["clustered"] if args.quick else DATASETS)
    try:
        index_data.check_paths([p for d in datasets for p in index_data.required_paths(d)])
    except index_data.MissingData as exc:
        sys.exit(str(exc))
    t0, load0 = time.perf_counter(), os.getloadavg()[0]
    results = []
    for name in datasets:
        try:
            results.append(run_dataset(name, cfg, args, peers))
        except index_data.MissingData as exc:
            sys.exit(str(exc))
    md = render(results, args, cfg, time.perf_counter() - t0, (load0, os.getloadavg()[0]), argv)
    print(md)
    if args.markdown:
        Path(args.markdown).write_text(md + "\n")
    if args.out:
        with open(args.out, "w") as f:
            f.writelines(json.dumps(row) + "\n" for row in jsonl_rows(results, args.threads))
    if args.plot:
        plot(results, args.plot, args.threads)
        print(f"plot written to {args.plot}", file=sys.stderr)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="tiny sizes, 4 knob values; a ~3 min smoke test")
    ap.add_argument("--dataset", help=f"comma-separated from {DATASETS} (default: all; --quick: clustered)")
    ap.add_argument("--peers", default=",".join(PEERS), help="comma-separated: " + ",".join(PEERS))
    ap.add_argument("--threads", type=int, default=2, help="threads per peer (environment and library knobs)")
    ap.add_argument("--repeats", type=int, default=3, help="timed batch calls per setting (median), after a warm-up")
    ap.add_argument("--single", type=int, default=200, help="queries timed one at a time per setting (p50, p99)")
    ap.add_argument("--targets", type=float, nargs="+", default=[0.90, 0.95, 0.99], help="recall@10 targets")
    ap.add_argument("--hdvec-specs", default=DEFAULT_SPECS,
                    help=f"hdvec Index specs besides the default Index(dim), ';'-separated (default {DEFAULT_SPECS!r})")
    ap.add_argument("--budget", type=float, help="cap in seconds on the timed batch calls of one setting")
    ap.add_argument("--markdown", help="write the Markdown report here")
    ap.add_argument("--out", help="write every measured point here as JSON lines")
    ap.add_argument("--plot", help="write the recall/QPS plot (PNG) here")
    ap.add_argument("--python", default=sys.executable, help="interpreter for the peer subprocesses")
    ap.add_argument("--child", choices=PEERS, help=argparse.SUPPRESS)
    ap.add_argument("--data", help=argparse.SUPPRESS)
    ap.add_argument("--json", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if bad := set(args.peers.split(",")) - set(PEERS):
        ap.error(f"--peers: unknown {sorted(bad)}; choose from {PEERS}")
    if args.dataset and (bad := set(args.dataset.split(",")) - set(DATASETS)):
        ap.error(f"--dataset: unknown {sorted(bad)}; choose from {DATASETS}")
    if args.child:
        child_main(args)
    else:
        parent_main(args, sys.argv[1:])


if __name__ == "__main__":
    main()
