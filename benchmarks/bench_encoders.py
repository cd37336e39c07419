"""Benchmark of hdvec.encoders: n-gram text encoding vs Torchhd, JSON records/s, HDFE samples/s.

Needs the real data in ../shared/data (langid text, JSON records). Each peer runs in its own
subprocess (torch and Numba bring their own OpenMP runtimes), with 2 threads. Both peers get the
same character vectors (hdvec's), so their MAP outputs must agree exactly: the report says so.

    python benchmarks/bench_encoders.py [--quick] [--markdown FILE]
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
THREADS = "2"
THREAD_ENV = {"OMP_NUM_THREADS": THREADS, "NUMBA_NUM_THREADS": THREADS, "MKL_NUM_THREADS": THREADS,
              "OPENBLAS_NUM_THREADS": THREADS, "OMP_WAIT_POLICY": "PASSIVE"}
PEERS = ["hdvec", "torchhd"]
MODELS = ["MAP", "BSC"]


def median_time(fn, repeats: int, budget: float) -> float:
    """Median seconds of fn() after one warm-up call, over <= repeats runs (fewer past budget s)."""
    fn()
    times: list[float] = []
    while len(times) < repeats and (not times or sum(times) < budget):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


# ----------------------------------------------------------------------------- data
def text_data(cfg: dict, tmp: Path) -> dict:
    """One long English document (cfg['chars'] characters) and cfg['docs'] test sentences of
    several languages; code points, per-document offsets, and hdvec's character vectors."""
    from hdvec import hdc
    from hdvec.encoders import NGramEncoder

    langid = DATA / "langid"
    if not langid.is_dir():
        sys.exit(f"benchmark data not found: {langid} (see ../shared/data/README.md)")
    long_doc = (langid / "train" / "eng.txt").read_text(encoding="utf-8")[: cfg["chars"]]
    sentences: list[str] = []
    for f in sorted((langid / "test").glob("*.txt")):
        sentences += [s.strip() for s in f.read_text(encoding="utf-8").splitlines() if s.strip()][:50]
    sentences = sentences[: cfg["docs"]]
    docs = [long_doc] + sentences
    symbols = sorted(set("".join(docs)))
    for model in MODELS:  # every peer uses hdvec's character vectors
        m = hdc.BSC(cfg["dim"], seed=0) if model == "BSC" else hdc.MAP(cfg["dim"], seed=0)
        vectors = NGramEncoder(m).memory.get(symbols, add=True)
        np.save(tmp / f"vectors_{model}.npy", vectors)
    lookup = {c: i for i, c in enumerate(symbols)}
    ids = np.asarray([lookup[c] for d in docs for c in d], np.int64)
    starts = np.cumsum([0] + [len(d) for d in docs]).astype(np.int64)
    np.save(tmp / "ids.npy", ids)
    np.save(tmp / "starts.npy", starts)
    (tmp / "docs.json").write_text(json.dumps({"symbols": symbols, "docs": docs}))
    return {"long_chars": len(long_doc), "n_sentences": len(sentences),
            "sentence_bytes": sum(len(s.encode("utf-8")) for s in sentences)}


# ----------------------------------------------------------------------------- peers
def peer_hdvec(tmp: Path, cfg: dict) -> dict:
    import numba

    from hdvec import hdc
    from hdvec.encoders import NGramEncoder

    d = json.loads((tmp / "docs.json").read_text())
    docs = d["docs"]
    out: dict = {"version": f"numba {numba.__version__}"}
    for model in MODELS:
        m = hdc.BSC(cfg["dim"], seed=0) if model == "BSC" else hdc.MAP(cfg["dim"], seed=0)
        enc = NGramEncoder(m, n=cfg["n"])
        enc.memory.add(d["symbols"], np.load(tmp / f"vectors_{model}.npy"))  # same vectors as Torchhd
        long_t = median_time(lambda: enc.encode(docs[0]), cfg["repeats"], cfg["budget"])  # noqa: B023
        batch_t = median_time(lambda: enc.encode_batch(docs[1:]), cfg["repeats"], cfg["budget"])  # noqa: B023
        result = np.concatenate([enc.encode(docs[0])[None], enc.encode_batch(docs[1:4])])
        np.save(tmp / f"out_hdvec_{model}.npy", result)
        out[model] = {"long_s": long_t, "batch_s": batch_t}
    return out


def peer_torchhd(tmp: Path, cfg: dict) -> dict:
    import torch
    import torchhd

    torch.set_num_threads(int(THREADS))
    ids, starts = np.load(tmp / "ids.npy"), np.load(tmp / "starts.npy")
    out: dict = {"version": f"torchhd {getattr(torchhd, '__version__', '?')}, torch {torch.__version__}"}
    for model in MODELS:
        v = np.load(tmp / f"vectors_{model}.npy")
        if model == "BSC":  # unpack hdvec's words into Torchhd's bool BSC tensors (bit 1 = True)
            bits = np.unpackbits(v.view(np.uint8), axis=-1, count=cfg["dim"], bitorder="little").astype(bool)
            table = torchhd.BSCTensor(torch.from_numpy(bits))
        else:
            table = torchhd.MAPTensor(torch.from_numpy(v))
        docs = [torch.from_numpy(ids[a:b]) for a, b in itertools.pairwise(starts)]

        def encode(i: int, table=table, docs=docs):
            with torch.no_grad():
                return torchhd.ngrams(table[docs[i]], n=cfg["n"])

        long_t = median_time(lambda: encode(0), cfg["repeats"], cfg["budget"])
        batch_t = median_time(lambda: [encode(i) for i in range(1, len(docs))], cfg["repeats"], cfg["budget"])  # noqa: B023
        result = torch.stack([encode(i) for i in range(4)]).numpy()
        np.save(tmp / f"out_torchhd_{model}.npy", result)
        out[model] = {"long_s": long_t, "batch_s": batch_t}
    return out


def bench_json(cfg: dict) -> list[dict]:
    from hdvec.encoders import JSONEncoder

    path = DATA / "json" / "movies.json"
    if not path.is_file():
        sys.exit(f"benchmark data not found: {path}")
    movies = json.loads(path.read_text(encoding="utf-8"))[: cfg["records"]]
    wide = [{**r, "Studio": f"studio {i % 40}", "Sequel": bool(i % 5 == 0), "Rank": i % 100,
             "Tags": ["drama" if i % 2 else "comedy", f"tag{i % 9}"]} for i, r in enumerate(movies)]
    rows = []
    for name, recs in (("movies (16 fields)", movies), ("movies + 4 fields (20)", wide)):
        leaves = np.mean([len(r) + len(r.get("Tags", [])) - ("Tags" in r) for r in recs])
        for dim in cfg["json_dims"]:
            enc = JSONEncoder(dim, seed=0)
            t = median_time(lambda: enc.encode_batch(recs), cfg["repeats"], cfg["budget"])  # noqa: B023
            rows.append({"data": name, "dim": dim, "records": len(recs), "leaves": float(leaves),
                         "records_per_s": len(recs) / t})
    return rows


def bench_functions(cfg: dict) -> list[dict]:
    try:
        from hdvec.encoders import FunctionEncoder
    except ImportError:
        return []
    rng = np.random.default_rng(0)
    rows = []
    for n in cfg["hdfe_samples"]:
        x = rng.random(n)
        y = np.sin(2 * np.pi * 3 * x) * 0.4 + 0.5
        enc = FunctionEncoder(cfg["hdfe_dim"], seed=0)
        for inv in (False, True):
            t = median_time(lambda: enc.encode(x, y, sample_invariant=inv), cfg["repeats"], cfg["budget"])  # noqa: B023
            rows.append({"what": f"encode {n:,} samples, sample_invariant={inv}", "per_s": n / t, "unit": "samples/s"})
        v = enc.encode(x, y)
        q = np.linspace(0, 1, cfg["hdfe_queries"])
        t = median_time(lambda: enc.decode(v, q), cfg["repeats"], cfg["budget"])  # noqa: B023
        rows.append({"what": f"decode {len(q):,} points", "per_s": len(q) / t, "unit": "points/s"})
    return rows


# ----------------------------------------------------------------------------- driver
def child_main(args) -> None:
    cfg = json.loads((Path(args.data) / "cfg.json").read_text())
    tmp = Path(args.data)
    if args.peer == "hdvec":
        res = peer_hdvec(tmp, cfg)
        res["json"] = bench_json(cfg)
        res["functions"] = bench_functions(cfg)
    else:
        res = peer_torchhd(tmp, cfg)
    Path(args.json).write_text(json.dumps(res))


def render(cfg: dict, info: dict, res: dict, agree: dict, elapsed: float) -> str:
    lines = [f"### Encoders (`benchmarks/bench_encoders.py{' --quick' if cfg['quick'] else ''}`)", "",
             (f"{platform.machine()}, {os.cpu_count()} cores, {THREADS} threads per peer; "
             f"{res['hdvec']['version']}; {res.get('torchhd', {}).get('version', 'Torchhd not run')}. "
             f"Wall time {elapsed:.0f} s."), "",
             (f"**Character {cfg['n']}-grams, D={cfg['dim']:,}** (same character vectors in both peers; "
             "one long English document, then a batch of short sentences in 21 languages):"), "",
             "| model | workload | hdvec | Torchhd | speed-up | outputs |", "|---|---|---|---|---|---|"]
    sent_mb = info["sentence_bytes"] / 1e6
    for model in MODELS:
        h, t = res["hdvec"][model], res.get("torchhd", {}).get(model)
        for key, label, work in (("long_s", f"1 doc, {info['long_chars']:,} chars", None),
                                 ("batch_s", f"{info['n_sentences']:,} sentences, {sent_mb:.2f} MB", sent_mb)):
            def cell(s, work=work, key=key):
                if s is None:
                    return "-"
                if work is None:
                    return f"{s * 1e3:.1f} ms ({info['long_chars'] / s / 1e6:.2f} MB/s)"
                return f"{info['n_sentences'] / s:,.0f} docs/s ({work / s:.2f} MB/s)"
            ts = t[key] if t else None
            speed = f"{ts / h[key]:.1f}x" if ts else "-"
            lines.append(f"| {model} | {label} | {cell(h[key])} | {cell(ts)} | {speed} | {agree.get(model, '-')} |")
    lines += ["", "**JSON** (MBAT soft JSON, `JSONEncoder(dim)`, whole batch through `encode_batch`):", "",
              "| records | D | leaves/record | records/s |", "|---|---|---|---|"]
    for r in res["hdvec"]["json"]:
        lines.append(f"| {r['data']}, {r['records']:,} | {r['dim']:,} | {r['leaves']:.1f} | {r['records_per_s']:,.0f} |")
    if res["hdvec"]["functions"]:
        lines += ["", f"**HDFE** (`FunctionEncoder({cfg['hdfe_dim']:,})`, 1-D function):", "",
                  "| operation | rate |", "|---|---|"]
        for r in res["hdvec"]["functions"]:
            lines.append(f"| {r['what']} | {r['per_s']:,.0f} {r['unit']} |")
    return "\n".join(lines) + "\n"


def parent_main(args) -> None:
    cfg = {"dim": 10_000, "n": 3, "chars": 20_000, "docs": 1_000, "records": 3_201, "json_dims": [2_048, 10_000],
               "hdfe_dim": 8_000, "hdfe_samples": [10_000], "hdfe_queries": 1_000, "repeats": 5, "budget": 10.0}
    if args.quick:
        cfg.update(chars=2_000, docs=50, records=200, hdfe_samples=[1_000], hdfe_queries=100, repeats=2, budget=1.0)
    cfg["quick"] = args.quick
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        info = text_data(cfg, tmp)
        (tmp / "cfg.json").write_text(json.dumps(cfg))
        res = {}
        for peer in args.peers.split(","):
            out = tmp / f"{peer}.json"
            env = {**os.environ, **THREAD_ENV}
            subprocess.run([sys.executable, __file__, "--peer", peer, "--data", str(tmp), "--json", str(out)],
                           check=True, env=env)
            res[peer] = json.loads(out.read_text())
        agree = {}
        if "torchhd" in res:
            for model in MODELS:
                a, b = np.load(tmp / f"out_hdvec_{model}.npy"), np.load(tmp / f"out_torchhd_{model}.npy")
                if model == "MAP":
                    agree[model] = "identical" if np.array_equal(a, b) else f"max diff {np.abs(a - b).max():.3g}"
                else:  # Torchhd's majority breaks ties differently: report the bits that agree
                    bits = np.unpackbits(a.view(np.uint8), axis=-1, count=cfg["dim"], bitorder="little").astype(bool)
                    agree[model] = f"{np.mean(bits == b):.2%} of bits equal"
    report = render(cfg, info, res, agree, time.perf_counter() - t0)
    print(report)
    if args.markdown:
        Path(args.markdown).write_text(report)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="small sizes, for smoke testing")
    ap.add_argument("--peers", default=",".join(PEERS), help="comma-separated: " + ",".join(PEERS))
    ap.add_argument("--markdown", help="also write the Markdown report to this file")
    ap.add_argument("--peer", choices=PEERS, help=argparse.SUPPRESS)
    ap.add_argument("--data", help=argparse.SUPPRESS)
    ap.add_argument("--json", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.peer:
        child_main(args)
    else:
        parent_main(args)


if __name__ == "__main__":
    main()
