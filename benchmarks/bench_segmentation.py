"""Topic segmentation on real data: HyperSeg (hdvec) vs TextTiling and trivial baselines.

Mean Pk and WindowDiff (``hdvec.encoders.segmentation.pk`` / ``windowdiff``,
equal to NLTK's) over Choi (2000), DialSeg711, TIAGE and the committee
meetings, with ``k`` = half the mean reference segment length of each
document, ``round(n / (2 * n_segments))`` (at least 1). Labels follow
``to_mask``: a 1 at utterance ``j`` marks a boundary between ``j`` and ``j + 1``.

Methods:

* ``hyperseg``: ``segment(method="hyperseg")``, HyperSeg's sequence encoding
  (``sum_i roll(v(t_i), L - 1 - i)``), D = 10,000 MAP, English stopwords.
* ``hyperseg-legacy``: the same with the released code's ``s > tau`` test.
* ``hyperseg-released``: closer to the released code: whitespace tokens,
  token ids in order of first appearance with *circular* token vectors (built
  here: similarity falls linearly from 1 to about 0 at the opposite side of
  the circle, the shape of ``torchhd.circular``), ``s > tau``.
* ``hyperseg-damp``: ``hyperseg`` with damp mode.
* ``hyperseg-bag``: the same valley rule on order-free bags of token vectors.
* ``window-seq`` / ``window-bag``: ``segment(method="window", window=3)``.
* ``bow-window``: a TextTiling-style baseline without hypervectors: exact
  term-count vectors (same tokens) through ``segment(method="window", window=3)``.
* ``texttiling``: NLTK's ``TextTilingTokenizer`` (defaults w=20, k=10, and a
  setting for short texts w=10, k=3), one utterance per paragraph, with hdvec's
  stopword list passed in (NLTK's stopword corpus would need a download).
  Not run on the committee meetings: NLTK's pure-Python block comparison takes
  about 25 s per meeting there.
* ``all`` / ``none`` / ``random``: every gap a boundary, no boundary, and as
  many boundaries as the reference at random gaps (seeded).

The utterances of every document are encoded with one shared ``TokenEncoder``
per dataset (token vectors drawn once, as a long-running segmenter would do);
``segment`` then runs on the vectors. This gives the same boundaries as
``segment(list_of_strings)`` (checked on the first documents). Time per
document = encoding + segmentation.

Run: ``python benchmarks/bench_segmentation.py`` (about 5 minutes on 2 cores);
``--limit 20`` for a smoke test.
"""

from __future__ import annotations

import argparse
import datetime
import json
import statistics
import sys
import time
from pathlib import Path

import numpy as np

from hdvec import hdc
from hdvec.encoders.segmentation import (
    STOPWORDS_EN,
    boundaries_from_lengths,
    pk,
    segment,
    to_mask,
    windowdiff,
)
from hdvec.encoders.text import TokenEncoder, tokenize

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATA = ROOT.parent / "shared" / "data" / "segmentation"
DATASETS = ["choi", "dialseg711", "tiage", "committee"]
HD_METHODS = {  # name -> (encoding, segment kwargs)
    "hyperseg": ("sequence", {"method": "hyperseg"}),
    "hyperseg-legacy": ("sequence", {"method": "hyperseg", "legacy_threshold": True}),
    "hyperseg-damp": ("sequence", {"method": "hyperseg", "damp": True}),
    "hyperseg-bag": ("bag", {"method": "hyperseg"}),
    "window-seq": ("sequence", {"method": "window", "window": 3}),
    "window-bag": ("bag", {"method": "window", "window": 3}),
    "window-bag-8": ("bag", {"method": "window", "window": 8}),
}
RELEASED = {"hyperseg-released": {"method": "hyperseg", "legacy_threshold": True}}
BOW_METHODS = {"bow-window": {"method": "window", "window": 3}}
TILING = {"texttiling": (20, 10), "texttiling-short": (10, 3)}
TILING_SKIP = {"committee"}  # NLTK's pure-Python block comparison takes ~25 s per meeting there
BASELINES = ["all", "none", "random"]
LABELS = {
    "hyperseg": "HyperSeg (sequence encoding, as the paper)",
    "hyperseg-legacy": "HyperSeg, released code's threshold (s > tau)",
    "hyperseg-released": "HyperSeg as released (circular vectors, whitespace tokens, s > tau)",
    "hyperseg-damp": "HyperSeg, damp mode",
    "hyperseg-bag": "HyperSeg valley rule, bag encoding",
    "window-seq": "window w=3, sequence encoding",
    "window-bag": "window w=3, bag encoding",
    "window-bag-8": "window w=8, bag encoding",
    "bow-window": "TextTiling-style: exact term counts, window w=3",
    "texttiling": "TextTiling (NLTK, w=20, k=10)",
    "texttiling-short": "TextTiling (NLTK, w=10, k=3)",
    "all": "all boundaries",
    "none": "no boundaries",
    "random": "random (reference count)",
}


# ----------------------------------------------------------------------------- data
def load_choi(root: Path, subsets: list[str] | None) -> list[dict]:
    """Choi documents: ``*.ref`` files whose segments are separated by ``==========`` lines."""
    files = sorted((root / "choi").rglob("*.ref"))
    if subsets:
        files = [f for f in files if "/".join(f.relative_to(root / "choi").parts[:-1]) in subsets]
    docs = []
    for f in files:
        lengths, utts, cur = [], [], 0
        for line in f.read_text(encoding="utf-8", errors="replace").splitlines():
            if line.startswith("=========="):
                if cur:
                    lengths.append(cur)
                cur = 0
            elif line.strip():
                utts.append(line.strip())
                cur += 1
        if cur:
            lengths.append(cur)
        docs.append({"id": str(f.relative_to(root)), "utterances": utts, "segments": lengths})
    return docs


def load_json(path: Path, split: str) -> list[dict]:
    docs = json.loads(path.read_text(encoding="utf-8"))
    out = [d for d in docs if split == "all" or d.get("set") == split]
    for d in out:
        d["utterances"] = [u.replace("\n", " ") for u in d["utterances"]]
        if sum(d["segments"]) != len(d["utterances"]):
            raise ValueError(f"{path}: dialogue {d['dial_id']} has {len(d['utterances'])} utterances "
                             f"but segments summing to {sum(d['segments'])}")
    return out


def load(name: str, root: Path, args) -> list[dict]:
    if name == "choi":
        docs = load_choi(root, args.choi.split(",") if args.choi != "all" else None)
    else:
        file = {"dialseg711": "dialseg_711.json", "tiage": "tiage.json", "committee": "meeting_committee.json"}[name]
        docs = load_json(root / file, "all" if name == "dialseg711" else args.split)
    return docs[: args.limit] if args.limit else docs


# ----------------------------------------------------------------------------- methods
def texttiling(utts: list[str], w: int, k: int) -> tuple[np.ndarray, bool]:
    """NLTK TextTiling with one utterance per paragraph -> (boundary indices, failed)."""
    from nltk.tokenize.texttiling import TextTilingTokenizer

    text = "\n\n".join(utts)
    ends = np.cumsum([len(u) + 2 for u in utts]) - 2  # character offset just after utterance i
    try:
        segs = TextTilingTokenizer(w=w, k=k, stopwords=sorted(STOPWORDS_EN)).tokenize(text)
    except (ValueError, IndexError, ZeroDivisionError):  # texts too short for its blocks: no boundary
        return np.empty(0, np.int64), True
    cuts = np.cumsum([len(s) for s in segs])[:-1]
    b = np.searchsorted(ends, cuts, side="right") - 1  # last utterance ending at or before the cut
    return np.unique(b[(b >= 0) & (b <= len(utts) - 2)]).astype(np.int64), False


def circular_codebook(n: int, dim: int, rng: np.random.Generator) -> np.ndarray:
    """n bipolar float32 vectors on a circle: cos(i, j) = 1 - 2 * circular_distance(i / n, j / n).

    Half of the components (chosen at random) follow a square wave of period n
    with a random phase per component; the other half stay at the base vector.
    """
    base = rng.choice(np.array([-1.0, 1.0], np.float32), dim)
    phase = rng.random(dim)
    moving = rng.random(dim) < 0.5
    wave = np.where((np.arange(n)[:, None] / n + phase) % 1.0 < 0.5, 1.0, -1.0).astype(np.float32)
    return np.where(moving, base * wave, base)


def released_vectors(utts: list[str], dim: int, seed: int) -> np.ndarray:
    """Utterance vectors as HyperSeg's released code builds them (whitespace tokens, circular codebook)."""
    toks = [[t for t in u.lower().split() if t not in STOPWORDS_EN] for u in utts]
    ids: dict[str, int] = {}
    for ts in toks:
        for t in ts:
            ids.setdefault(t, len(ids))
    book = circular_codebook(max(len(ids), 1), dim, np.random.default_rng(seed))
    out = np.zeros((len(utts), dim), np.float32)
    for i, ts in enumerate(toks):
        for p, t in enumerate(ts):
            out[i] += np.roll(book[ids[t]], len(ts) - 1 - p)
    return out


def term_counts(utts: list[str]) -> np.ndarray:
    """(n, vocabulary) float32 term counts of the tokens TokenEncoder would keep."""
    toks = [[t for t in (w.lower() for w in tokenize(u)) if t not in STOPWORDS_EN] for u in utts]
    vocab = {t: i for i, t in enumerate(sorted({t for ts in toks for t in ts}))}
    x = np.zeros((len(utts), max(len(vocab), 1)), np.float32)
    for i, ts in enumerate(toks):
        np.add.at(x[i], [vocab[t] for t in ts], 1.0)
    return x


def baseline(name: str, n: int, n_ref: int, rng: np.random.Generator) -> np.ndarray:
    if name == "all":
        return np.arange(n - 1, dtype=np.int64)
    if name == "none":
        return np.empty(0, np.int64)
    return np.sort(rng.choice(n - 1, size=min(n_ref, n - 1), replace=False)).astype(np.int64)


# ----------------------------------------------------------------------------- evaluation
def score(doc: dict, boundaries: np.ndarray) -> tuple[float, float]:
    n, lengths = len(doc["utterances"]), doc["segments"]
    ref = to_mask(boundaries_from_lengths(lengths), n)
    hyp = to_mask(boundaries, n)
    k = max(1, round(n / (2 * len(lengths))))
    return pk(ref, hyp, k), windowdiff(ref, hyp, k)


def run_dataset(name: str, docs: list[dict], methods: list[str], dim: int, seed: int) -> dict:
    methods = [m for m in methods if not (m in TILING and name in TILING_SKIP)]
    res = {m: {"pk": [], "wd": [], "sec": [], "nb": [], "fail": 0} for m in methods}
    encoders = {}
    encodings = sorted({HD_METHODS[m][0] for m in methods if m in HD_METHODS})
    for enc_name in encodings:
        encoders[enc_name] = TokenEncoder(hdc.MAP(dim, seed=seed), mode=enc_name, stopwords=STOPWORDS_EN)
    for enc in encoders.values():  # warm-up: Numba compilation or cache load, not timed
        segment(np.asarray(enc.encode_batch(["warm up", "the encoder", "and the kernels", "once"])), window=2)
    rng = np.random.default_rng(seed)
    for i, doc in enumerate(docs):
        utts = doc["utterances"]
        vectors, enc_sec = {}, {}
        for enc_name, enc in encoders.items():
            t0 = time.perf_counter()
            vectors[enc_name] = np.asarray(enc.encode_batch(utts))
            enc_sec[enc_name] = time.perf_counter() - t0
        for m in methods:
            t0 = time.perf_counter()
            failed = False
            if m in HD_METHODS:
                enc_name, kw = HD_METHODS[m]
                b = segment(vectors[enc_name], **kw)
                sec = time.perf_counter() - t0 + enc_sec[enc_name]
                if i < 3:  # same boundaries as the one-call API on strings
                    direct = segment(utts, encoding=enc_name, dim=dim, seed=seed, **kw)
                    assert np.array_equal(b, direct), (m, doc.get("id", doc.get("dial_id")))
            elif m in RELEASED:
                b = segment(released_vectors(utts, dim, seed), **RELEASED[m])
                sec = time.perf_counter() - t0
            elif m in BOW_METHODS:
                b = segment(term_counts(utts), **BOW_METHODS[m])
                sec = time.perf_counter() - t0
            elif m in TILING:
                b, failed = texttiling(utts, *TILING[m])
                sec = time.perf_counter() - t0
            else:
                b = baseline(m, len(utts), len(doc["segments"]) - 1, rng)
                sec = time.perf_counter() - t0
            p, w = score(doc, b)
            r = res[m]
            r["pk"].append(p)
            r["wd"].append(w)
            r["sec"].append(sec)
            r["nb"].append(len(b))
            r["fail"] += failed
    return res


def fmt(x: float) -> str:
    return f"{x:.3f}"


def markdown(results: dict, meta: dict, methods: list[str]) -> str:
    names = list(results)
    lines = []
    head = ["method"] + [f"{n} Pk" if j == 0 else f"{n} WD" for n in names for j in (0, 1)]
    lines.append("| " + " | ".join(head) + " |")
    lines.append("| --- |" + " ---: |" * (len(head) - 1))
    for m in methods:
        row = [LABELS[m]]
        for n in names:
            r = results[n].get(m)
            row += [fmt(statistics.mean(r["pk"])), fmt(statistics.mean(r["wd"]))] if r else ["n/a", "n/a"]
        lines.append("| " + " | ".join(row) + " |")
    lines.append("")
    lines.append("Boundaries per document (mean) and time per document (ms, mean):")
    lines.append("")
    head = ["method"] + [f"{n} {c}" for n in names for c in ("bounds", "ms")]
    lines.append("| " + " | ".join(head) + " |")
    lines.append("| --- |" + " ---: |" * (len(head) - 1))
    ref_row = ["reference"] + [c for n in names for c in (f"{meta[n]['ref_bounds']:.1f}", "")]
    lines.append("| " + " | ".join(ref_row) + " |")
    for m in methods:
        row = [LABELS[m]]
        for n in names:
            r = results[n].get(m)
            row += [f"{statistics.mean(r['nb']):.1f}", f"{1000 * statistics.mean(r['sec']):.2f}"] if r else ["n/a"] * 2
        lines.append("| " + " | ".join(row) + " |")
    fails = {(n, m): r["fail"] for n in names for m, r in results[n].items() if r["fail"]}
    if fails:
        lines.append("")
        lines.append("TextTiling raised (scored as no boundary) on: " + ", ".join(
            f"{n} {m}: {c}/{meta[n]['docs']}" for (n, m), c in fails.items()) + ".")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA,
                    help=f"folder with choi/, dialseg_711.json, ... (default: {DEFAULT_DATA})")
    ap.add_argument("--datasets", default=",".join(DATASETS), help=f"comma list of {DATASETS}")
    ap.add_argument("--choi", default="3/3-11",
                    help="'all' or comma list of Choi subfolders (default 3/3-11: 300 documents, segments of 3-11 "
                         "sentences)")
    ap.add_argument("--split", default="test", choices=["test", "dev", "train", "all"],
                    help="split of TIAGE and the committee meetings (DialSeg711: always all 711)")
    ap.add_argument("--methods", default=",".join([*HD_METHODS, *RELEASED, *BOW_METHODS, *TILING, *BASELINES]))
    ap.add_argument("--limit", type=int, default=0, help="documents per dataset (0: all)")
    ap.add_argument("--dim", type=int, default=10_000)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)

    root = args.data.resolve()
    if not root.is_dir():
        print(f"error: data folder not found: {root} (pass --data PATH)", file=sys.stderr)
        return 2
    methods = args.methods.split(",")
    unknown = [m for m in methods if m not in LABELS]
    if unknown:
        ap.error(f"unknown methods {unknown}; choose from {list(LABELS)}")
    names = args.datasets.split(",")
    if any(n not in DATASETS for n in names):
        ap.error(f"--datasets must be a comma list of {DATASETS}; got {args.datasets}")

    results, meta = {}, {}
    t_all = time.perf_counter()
    for name in names:
        docs = load(name, root, args)
        t0 = time.perf_counter()
        results[name] = run_dataset(name, docs, methods, args.dim, args.seed)
        meta[name] = {"docs": len(docs), "utts": statistics.mean(len(d["utterances"]) for d in docs),
                      "ref_bounds": statistics.mean(len(d["segments"]) - 1 for d in docs)}
        print(f"# {name}: {len(docs)} documents, {meta[name]['utts']:.1f} utterances and "
              f"{meta[name]['ref_bounds']:.1f} reference boundaries each; {time.perf_counter() - t0:.1f} s",
              file=sys.stderr)
    print(f"Run of {datetime.date.today().isoformat()}, {time.perf_counter() - t_all:.0f} s in all; "
          f"dim={args.dim}, seed={args.seed}.")
    print("Documents: " + "; ".join(
        f"{n} {meta[n]['docs']} (mean {meta[n]['utts']:.1f} utterances, {meta[n]['ref_bounds']:.1f} boundaries)"
        for n in names) + ".")
    print()
    print("Mean Pk and WindowDiff (lower is better):")
    print()
    print(markdown(results, meta, methods))
    return 0


if __name__ == "__main__":
    sys.exit(main())
