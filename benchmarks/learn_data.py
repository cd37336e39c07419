"""Datasets for ``bench_learn.py``: fixed train / test splits of features or texts, labels 0..C-1.

Every loader reads ``../shared/data`` (override with ``HDVEC_DATA``) and never downloads; a missing
file raises :class:`MissingData` naming the path. A loader returns a :class:`Split`:

* ``kind="features"``: float32 ``x_train`` / ``x_test`` (n, f). Tabular sets (digits,
  breast-cancer, wine, Fashion-MNIST) are min-max scaled to [-1, 1] with the training range
  (test values clipped), because Torchhd's ``Level`` range is fixed at [-1, 1].
* ``kind="signal"``: EMG windows, float32 (n, T * channels), time-major, raw values (hdvec's
  ``Signal`` learns the channel ranges; Torchhd's classifiers get the same rows scaled to [-1, 1]).
* ``kind="text"``: lists of strings; each library encodes them as character-trigram hypervectors
  (``hdvec_text``, ``torch_text`` below).

The per-dataset report table of ``bench_learn.py`` (``dataset_table``) is here too, to keep files small.
"""

from __future__ import annotations

import itertools
import json
import os
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

DATA = Path(os.environ.get("HDVEC_DATA", Path(__file__).resolve().parents[2] / "shared" / "data"))
LANGID = DATA / "langid"
EMG = DATA / "emg"
FASHION = DATA / "vectors" / "fashion-mnist"
FORTUNES = DATA / "text" / "fortunes.jsonl"
LANGUAGES = ["bul", "ces", "dan", "deu", "ell", "eng", "est", "fin", "fra", "hun", "ita", "lav", "lit", "nld",
             "pol", "por", "ron", "slk", "slv", "spa", "swe"]
DATASETS = ["langid", "emg", "fashion-mnist", "digits", "breast-cancer", "wine", "fortunes"]


class MissingData(FileNotFoundError):
    """A data file the benchmark needs is not there."""


@dataclass
class Split:
    name: str
    kind: str  # "features", "signal" or "text"
    x_train: object  # float32 array, or list[str] for text
    y_train: np.ndarray  # int64 class indices 0..C-1
    x_test: object
    y_test: np.ndarray
    classes: list[str]
    description: str
    info: dict = field(default_factory=dict)

    @property
    def n_classes(self) -> int:
        return len(self.classes)


def required_paths(name: str) -> list[Path]:
    """The files dataset ``name`` reads (none for the scikit-learn sets)."""
    return {"langid": [LANGID / part / f"{lang}.txt" for part in ("train", "test") for lang in LANGUAGES],
            "emg": [EMG / "complete5.bin", EMG / "labels5.bin"],
            "fashion-mnist": [FASHION / f"{p}-{k}-idx{d}-ubyte.gz" for p in ("train", "t10k")
                              for k, d in (("images", 3), ("labels", 1))],
            "fortunes": [FORTUNES]}.get(name, [])


def missing_paths(name: str) -> list[Path]:
    return [p for p in required_paths(name) if not p.is_file()]


def minmax_pm1(train: np.ndarray, test: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Scale columns to [-1, 1] with the training range (constant columns -> 0); test values clipped."""
    lo, hi = train.min(0), train.max(0)
    span = np.where(hi > lo, hi - lo, 1.0)

    def f(x):
        return np.clip(2.0 * (x - lo) / span - 1.0, -1.0, 1.0).astype(np.float32)

    return f(train), f(test)


def _subsample(rng: np.random.Generator, n: int, k: int | None) -> np.ndarray:
    return np.arange(n) if k is None or k >= n else np.sort(rng.choice(n, k, replace=False))


# ----------------------------------------------------------------------------- text
def langid(lines_per_doc: int = 10, train_lines: int | None = 5_000, test_lines: int | None = 500,
           seed: int = 0) -> Split:
    """21-language identification (Rahimi et al. 2016 data). Training samples are documents of
    ``lines_per_doc`` consecutive lines of the first ``train_lines`` lines of each language's train
    file (Wortschatz); test samples are single sentences, ``test_lines`` drawn per language from the
    test file (Europarl)."""
    rng = np.random.default_rng(seed)
    xtr, ytr, xte, yte = [], [], [], []
    for c, lang in enumerate(LANGUAGES):
        lines = [ln.strip() for ln in (LANGID / "train" / f"{lang}.txt").read_text(encoding="utf-8").splitlines()]
        lines = [ln for ln in lines if ln][:train_lines]
        for i in range(0, len(lines), lines_per_doc):
            xtr.append(" ".join(lines[i:i + lines_per_doc]))
            ytr.append(c)
        test = [ln.strip() for ln in (LANGID / "test" / f"{lang}.txt").read_text(encoding="utf-8").splitlines()]
        test = [ln for ln in test if ln]
        for i in _subsample(rng, len(test), test_lines):
            xte.append(test[i])
            yte.append(c)
    desc = (f"21 languages; train: documents of {lines_per_doc} lines (first {train_lines or 'all'} lines per "
            f"language), test: {test_lines or 'all'} single sentences per language")
    return Split("langid", "text", xtr, np.array(ytr), xte, np.array(yte), list(LANGUAGES), desc)


def fortunes(min_count: int = 20, max_texts: int | None = None, test_size: float = 0.25, seed: int = 0) -> Split:
    """fortune(6) categories of ../shared/data/text/fortunes.jsonl (categories with >= ``min_count``
    texts), a stratified split (``random_state=seed``), optionally a stratified subsample first."""
    from sklearn.model_selection import train_test_split

    rows = [json.loads(line) for line in FORTUNES.read_text(encoding="utf-8").splitlines() if line.strip()]
    cats, counts = np.unique([r["category"] for r in rows], return_counts=True)
    keep = sorted(c for c, k in zip(cats, counts) if k >= min_count)
    index = {c: i for i, c in enumerate(keep)}
    texts = [r["text"] for r in rows if r["category"] in index]
    y = np.array([index[r["category"]] for r in rows if r["category"] in index])
    if max_texts is not None and max_texts < len(texts):
        sel, _ = train_test_split(np.arange(len(texts)), train_size=max_texts, random_state=seed, stratify=y)
        texts, y = [texts[i] for i in sorted(sel)], y[np.sort(sel)]
    itr, ite = train_test_split(np.arange(len(texts)), test_size=test_size, random_state=seed, stratify=y)
    desc = f"{len(keep)} categories with >= {min_count} texts, stratified {1 - test_size:.0%}/{test_size:.0%} split"
    return Split("fortunes", "text", [texts[i] for i in itr], y[itr], [texts[i] for i in ite], y[ite], keep, desc)


# ----------------------------------------------------------------------------- signals
def emg(window: int = 256, stride: int = 128, test_fraction: float = 0.3) -> Split:
    """EMG hand gestures, subject 5 (Rahimi et al. 2016): 4 channels, labels 1 (rest) .. 5.

    The recording is cut into runs of one label (a gesture repetition or a rest); windows of
    ``window`` samples every ``stride`` samples lie inside one run and take its label. The last
    ``test_fraction`` of each label's runs (its last repetitions) are the test set, so no window
    shares samples with a training window."""
    x = np.fromfile(EMG / "complete5.bin", dtype="<f8").reshape(-1, 4)
    lab = np.fromfile(EMG / "labels5.bin", dtype=np.uint8)
    if len(x) != len(lab):
        raise ValueError(f"{EMG}: {len(x)} samples but {len(lab)} labels")
    bounds = np.concatenate([[0], np.flatnonzero(np.diff(lab)) + 1, [len(lab)]])
    runs = [(int(lab[a]), a, b) for a, b in itertools.pairwise(bounds)]
    labels = sorted({r[0] for r in runs})
    test_runs = set()
    for c in labels:
        mine = [i for i, r in enumerate(runs) if r[0] == c]
        test_runs |= set(mine[len(mine) - max(1, round(test_fraction * len(mine))):])
    parts = {True: ([], []), False: ([], [])}
    for i, (c, a, b) in enumerate(runs):
        for s in range(a, b - window + 1, stride):
            parts[i in test_runs][0].append(x[s:s + window].reshape(-1))
            parts[i in test_runs][1].append(labels.index(c))
    xtr, ytr = np.array(parts[False][0], np.float32), np.array(parts[False][1])
    xte, yte = np.array(parts[True][0], np.float32), np.array(parts[True][1])
    desc = (f"subject 5, 4 channels, windows of {window} samples every {stride} inside one-label runs; "
            f"test = last {test_fraction:.0%} of each label's runs")
    return Split("emg", "signal", xtr, ytr, xte, yte, [f"gesture {c}" for c in labels], desc,
                 {"channels": 4, "window": window})


# ----------------------------------------------------------------------------- features
def _idx(path: Path) -> np.ndarray:
    import gzip

    with gzip.open(path, "rb") as f:
        raw = f.read()
    ndim = raw[3]
    shape = tuple(int.from_bytes(raw[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim))
    return np.frombuffer(raw, np.uint8, offset=4 + 4 * ndim).reshape(shape)


def fashion_mnist(n_train: int | None = None, n_test: int | None = None, seed: int = 0) -> Split:
    """Fashion-MNIST 60k/10k (784 pixels scaled to [-1, 1]); optional seeded subsamples of each part."""
    rng = np.random.default_rng(seed)
    xtr = _idx(FASHION / "train-images-idx3-ubyte.gz").reshape(-1, 784)
    ytr = _idx(FASHION / "train-labels-idx1-ubyte.gz").astype(np.int64)
    xte = _idx(FASHION / "t10k-images-idx3-ubyte.gz").reshape(-1, 784)
    yte = _idx(FASHION / "t10k-labels-idx1-ubyte.gz").astype(np.int64)
    itr, ite = _subsample(rng, len(xtr), n_train), _subsample(rng, len(xte), n_test)
    scale = lambda a: (a.astype(np.float32) / np.float32(127.5) - 1).astype(np.float32)
    desc = (f"{len(itr):,} of 60,000 train, {len(ite):,} of 10,000 test images"
            + (" (seeded subsample)" if len(itr) < len(xtr) or len(ite) < len(xte) else "")
            + ", pixels / 127.5 - 1")
    names = ["T-shirt", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Boot"]
    return Split("fashion-mnist", "features", scale(xtr[itr]), ytr[itr], scale(xte[ite]), yte[ite], names, desc)


def sklearn_set(name: str, test_size: float = 0.25, seed: int = 0) -> Split:
    """scikit-learn's digits / breast-cancer / wine: stratified split (random_state=seed), [-1, 1] scaled."""
    from sklearn import datasets
    from sklearn.model_selection import train_test_split

    loader = {"digits": datasets.load_digits, "breast-cancer": datasets.load_breast_cancer,
              "wine": datasets.load_wine}[name]
    bunch = loader()
    xtr, xte, ytr, yte = train_test_split(bunch.data, bunch.target, test_size=test_size, random_state=seed,
                                          stratify=bunch.target)
    xtr, xte = minmax_pm1(xtr, xte)
    desc = (f"scikit-learn {name}: {bunch.data.shape[1]} features min-max scaled to [-1, 1] (training range), "
            f"stratified {1 - test_size:.0%}/{test_size:.0%} split, random_state={seed}")
    return Split(name, "features", xtr, ytr.astype(np.int64), xte, yte.astype(np.int64),
                 [str(c) for c in bunch.target_names], desc)


def load(name: str, sizes: dict) -> Split:
    """Dataset ``name`` with the loader arguments ``sizes.get(name, {})``; MissingData if a file is absent."""
    if missing := missing_paths(name):
        raise MissingData(f"{name}: benchmark data not found: {missing[0]}"
                          + (f" (and {len(missing) - 1} more)" if len(missing) > 1 else "")
                          + " (see ../shared/data/README.md; set HDVEC_DATA to use another data folder)")
    kwargs = sizes.get(name, {})
    if name == "langid":
        return langid(**kwargs)
    if name == "fortunes":
        return fortunes(**kwargs)
    if name == "emg":
        return emg(**kwargs)
    if name == "fashion-mnist":
        return fashion_mnist(**kwargs)
    return sklearn_set(name, **kwargs)


# ----------------------------------------------------------------------------- text features per library
def timed(fn):
    t0 = time.perf_counter()
    out = fn()
    return time.perf_counter() - t0, out


def hdvec_text(d: dict, cfg: dict) -> dict:
    """Trigram hypervectors of the texts, {packed: (train, test, encode train s, encode test s)}: int8 signs
    of the trigram bundle (MAP-B; ``NGramEncoder``), and their packed bits (bit 1 = -1) for the binary rows."""
    from hdvec.encoders import NGramEncoder
    from hdvec.hdc import MAP, pack_bits

    enc = NGramEncoder(MAP(cfg["dim"], dtype="int8", binarize=True, seed=cfg["seed"]), 3)
    enc.encode_batch(d["x_train"][:4], progress=False)  # warm-up (Numba)
    pack_bits(enc.encode_batch(d["x_train"][:4], progress=False) < 0)
    t_tr, htr = timed(lambda: enc.encode_batch(d["x_train"], progress=False))
    t_te, hte = timed(lambda: enc.encode_batch(d["x_test"], progress=False))
    pt, ptr = timed(lambda: pack_bits(htr < 0))
    pe, pte = timed(lambda: pack_bits(hte < 0))
    return {False: (htr, hte, t_tr, t_te), True: (ptr, pte, t_tr + pt, t_te + pe)}


def torch_text(d: dict, cfg: dict) -> tuple:
    """Torchhd trigram hypervectors: ``sign(ngrams(Random(chars, padding_idx=0)(ids), n=3))`` in length-sorted,
    zero-padded batches (a padded gram binds a zero vector, so it adds nothing: Torchhd's language example)."""
    import torch
    import torchhd

    chars = sorted({c for t in d["x_train"] + d["x_test"] for c in t})
    index = {c: i + 1 for i, c in enumerate(chars)}
    torch.manual_seed(cfg["seed"])
    emb = torchhd.embeddings.Random(len(chars) + 1, cfg["dim"], padding_idx=0)
    budget = max(1, (1 << 25) // cfg["dim"])  # characters per batch: ~128 MB of symbol vectors

    @torch.no_grad()
    def encode(texts):
        out = torch.empty(len(texts), cfg["dim"])
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        i = 0
        while i < len(order):
            width = max(3, len(texts[order[i]]))
            j = i + 1
            while j < len(order) and (j - i + 1) * max(3, len(texts[order[j]])) <= budget:
                j += 1
            width = max(3, len(texts[order[j - 1]]))
            ids = torch.zeros(j - i, width, dtype=torch.long)
            for r, k in enumerate(order[i:j]):
                ids[r, :len(texts[k])] = torch.tensor([index[c] for c in texts[k]], dtype=torch.long)
            out[torch.tensor(order[i:j])] = torchhd.ngrams(emb(ids), n=3).sign().as_subclass(torch.Tensor)
            i = j
        return out

    encode(d["x_train"][:4])
    t_tr, htr = timed(lambda: encode(d["x_train"]))
    t_te, hte = timed(lambda: encode(d["x_test"]))
    return htr, hte, t_tr, t_te


# ----------------------------------------------------------------------------- report table
def fmt(x, digits: int = 3) -> str:
    if x is None:
        return "-"
    return f"{x:.{digits}g}" if abs(x) < 10 ** digits else f"{x:,.0f}"


def speedup(h: dict | None, t: dict | None, key: str) -> float | None:
    if not h or not t or h.get("status") != "ok" or t.get("status") != "ok" or not h[key]:
        return None
    return t[key] / h[key]


def bar_check(name: str, h: dict | None, t: dict | None, k: dict) -> tuple[str, bool | None]:
    """Whether the hdvec row meets its bar against Torchhd's (None: no comparison possible)."""
    if not h or h.get("status") != "ok":
        return f"n/a (hdvec {h.get('status') if h else 'missing'})", None
    if not t or t.get("status") != "ok":
        return f"n/a (Torchhd {t.get('status') if t else 'missing'})", None
    misses = []
    diff = 100 * (h["accuracy"] - t["accuracy"])
    if diff < -k["acc_tol"]:
        misses.append(f"acc {diff:+.1f} pts < -{k['acc_tol']}")
    for key, what in (("fit_s", "fit"), ("predict_s", "predict")):
        need = k["packed_speed"] if key == "predict_s" and name in k["packed_bar"] else k["speed"]
        s = speedup(h, t, key)
        if s is None or s < need:
            misses.append(f"{what} {fmt(s)}× < {need:g}×")
    return ("meets" if not misses else "**misses**: " + ", ".join(misses)), not misses


def dataset_table(name: str, rows: list[dict], classifiers: list[str], k: dict) -> tuple[list[str], list[bool]]:
    by = {(r["library"], r["classifier"]): r for r in rows if r["dataset"] == name}
    lines = [("| classifier | hdvec acc % | Torchhd acc % | Δ acc pts | hdvec fit s | Torchhd fit s | fit × | "
             "hdvec predict s | Torchhd predict s | predict × | bar |"),
             "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|"]
    verdicts, notes = [], []
    for c in classifiers:
        h = by.get(("hdvec", c))
        t = by.get(("torchhd", "Centroid" if c == "Centroid (BSC)" else c))
        cells = []
        for r in (h, t):
            if r is None:
                cells.append(("-", "-", "-"))
            elif r.get("status") != "ok":
                label = r["status"]
                cells.append((label, "-", "-"))
                notes.append(f"{r['library']} {c}: {r['status']}: {r.get('error', '')[:300]}")
            else:
                cells.append((f"{100 * r['accuracy']:.2f}", fmt(r["fit_s"]), fmt(r["predict_s"])))
        ok = h and t and h.get("status") == "ok" and t.get("status") == "ok"
        diff = f"{100 * (h['accuracy'] - t['accuracy']):+.2f}" if ok else "-"
        verdict, met = bar_check(c, h, t, k)
        if met is not None:
            verdicts.append(met)
        tname = " (vs Torchhd Centroid, dense)" if c == "Centroid (BSC)" else ""
        lines.append(f"| {c}{tname} | {cells[0][0]} | {cells[1][0]} | {diff} | {cells[0][1]} | {cells[1][1]} | "
                     f"{fmt(speedup(h, t, 'fit_s'))} | {cells[0][2]} | {cells[1][2]} | "
                     f"{fmt(speedup(h, t, 'predict_s'))} | {verdict} |")
    best = {}
    for lib in ("hdvec", "torchhd"):
        ok = [r for (li, _), r in by.items() if li == lib and r.get("status") == "ok"]
        best[lib] = max(ok, key=lambda r: r["accuracy"]) if ok else None
    h, t = best["hdvec"], best["torchhd"]
    if h and t:
        met = h["accuracy"] >= t["accuracy"]
        verdicts.append(met)
        lines.append(f"| **best of each** ({h['classifier']} / {t['classifier']}) | {100 * h['accuracy']:.2f} | "
                     f"{100 * t['accuracy']:.2f} | {100 * (h['accuracy'] - t['accuracy']):+.2f} | {fmt(h['fit_s'])} | "
                     f"{fmt(t['fit_s'])} | {fmt(t['fit_s'] / h['fit_s'])} | {fmt(h['predict_s'])} | "
                     f"{fmt(t['predict_s'])} | {fmt(t['predict_s'] / h['predict_s'])} | "
                     f"{'meets' if met else '**misses**'} (best hdvec ≥ best Torchhd) |")
    ref = by.get(("sklearn", k["reference"]))
    if ref:
        lines.append(f"| *{k['reference']} (scikit-learn reference)* | {100 * ref['accuracy']:.2f} | | | "
                     f"{fmt(ref['fit_s'])} | | | {fmt(ref['predict_s'])} | | | |" if ref.get("status") == "ok"
                     else f"| *{k['reference']}* | {ref['status']}: {ref.get('error', '')} | | | | | | | | | |")
    feats = {}
    for (lib, c), r in by.items():
        feats.setdefault(lib, set()).add(r.get("features", ""))
    lines += [""] + [f"- {lib} inputs: " + "; ".join(sorted(f for f in fs if f)) for lib, fs in sorted(feats.items())]
    lines += [f"- {n}" for n in notes]
    return lines + [""], verdicts
