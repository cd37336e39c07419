"""hdvec.learn classifiers vs Torchhd's same-named classifiers: accuracy, fit time, predict time.

    python benchmarks/bench_learn.py --quick                                # smoke test, < 3 min
    python benchmarks/bench_learn.py --markdown learn.md --out learn.jsonl  # full run (~1 h on 2 cores)
    python benchmarks/bench_learn.py --datasets digits,wine --classifiers AdaptHD,OnlineHD --epochs 20

Libraries, each in its own subprocess (all datasets in one process per library) with
OMP/MKL/NUMBA/OPENBLAS_NUM_THREADS = ``--threads`` set before any import and
``torch.set_num_threads(--threads)``: hdvec (``hdvec.learn``), torchhd (``torchhd.classifiers``,
plus ``torchhd.models.Centroid`` for the Centroid row) and a scikit-learn LogisticRegression
reference. Both HDC libraries get the same dimension, epochs, batch size (Torchhd: DataLoader
batch_size; hdvec: ``batch_size=``), seed and train/test split; other parameters are each
library's defaults (the same values: lr, levels, regen_rate, ...). Datasets: benchmarks/learn_data.py.

Times: ``fit s`` = wall time of building the classifier and ``fit`` (it includes encoding the
training samples; for the text sets, whose hypervectors each library encodes once with its own
n-gram encoder, the training-set encoding time is added), ``predict s`` = predicting the whole
test set (plus its encoding time for text). Each classifier is first fitted and run once on a few
samples (Numba compilation, torch warm-up), untimed.
"""

from __future__ import annotations

import os
import sys


sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pin_threads  # noqa: E402

pin_threads.pin(sys.argv[1:])  # before numpy, torch or Numba start a thread pool

import argparse
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
import learn_data

LIBRARIES = ["hdvec", "torchhd", "sklearn"]
CLASSIFIERS = ["Centroid", "Centroid (BSC)", "Vanilla", "AdaptHD", "OnlineHD", "NeuralHD", "DistHD", "SparseHD",
               "QuantHD", "CompHD", "LeHDC", "IntRVFL"]
PACKED = {"Centroid (BSC)", "QuantHD", "LeHDC"}  # hdvec rows on packed binary hypervectors
PACKED_BAR = {"Centroid (BSC)", "QuantHD"}  # packed-binary predict bar: >= 20x
REGEN = {"NeuralHD", "DistHD"}  # redraw encoder weights: not applicable to precomputed hypervectors
HDVEC_MODULES = ["centroid", "compressed", "lehdc", "neural", "rvfl"]
REFERENCE = "LogisticRegression"
FULL = {"sizes": {"langid": {"lines_per_doc": 10, "train_lines": 2_000, "test_lines": 300},
                  "fashion-mnist": {"n_train": 1_000, "n_test": 500}, "emg": {"stride": 128},
                  "fortunes": {"max_texts": 8_000}},
        "dim": 10_000, "epochs": 10, "timeout": 4 * 3600}
QUICK = {"sizes": {"langid": {"lines_per_doc": 10, "train_lines": 50, "test_lines": 10},
                   "fashion-mnist": {"n_train": 300, "n_test": 100}, "emg": {"stride": 256},
                   "fortunes": {"max_texts": 600, "min_count": 100}},
         "dim": 1_000, "epochs": 2, "timeout": 600}
ACC_TOL = 0.5  # points: hdvec accuracy >= Torchhd's - 0.5
SPEED_BAR, PACKED_SPEED_BAR = 10.0, 20.0
CONST = {"acc_tol": ACC_TOL, "speed": SPEED_BAR, "packed_speed": PACKED_SPEED_BAR, "packed_bar": sorted(PACKED_BAR),
         "reference": REFERENCE}


def regen_freq(epochs: int) -> int:
    """NeuralHD / DistHD regeneration period: Torchhd's 20 of 120 epochs scaled to ``epochs`` (>= 1)."""
    return max(1, round(20 * epochs / 120))


# ----------------------------------------------------------------------------- child helpers
def warm_rows(y: np.ndarray, per_class: int = 2) -> np.ndarray:
    """A few rows of every class (an untimed warm-up fit needs each class)."""
    return np.sort(np.concatenate([np.flatnonzero(y == c)[:per_class] for c in np.unique(y)]))


def timed(fn):
    t0 = time.perf_counter()
    out = fn()
    return time.perf_counter() - t0, out


def load_split(tmp: Path, name: str) -> dict:
    meta = json.loads((tmp / f"{name}.json").read_text())
    if meta["kind"] == "text":
        return meta
    arrays = np.load(tmp / f"{name}.npz")
    return {**meta, **{k: arrays[k] for k in arrays.files}}


# ----------------------------------------------------------------------------- child: hdvec
def hdvec_classes() -> tuple[dict, str]:
    import importlib

    import hdvec

    found = {}
    for mod in HDVEC_MODULES:
        try:
            m = importlib.import_module(f"hdvec.learn.{mod}")
        except Exception as exc:  # noqa: BLE001 - a module being written may not import yet
            print(f"[hdvec] hdvec.learn.{mod} does not import: {exc}", file=sys.stderr)
            continue
        for name in CLASSIFIERS:
            base = name.split(" ")[0]
            if isinstance(getattr(m, base, None), type):
                found.setdefault(base, getattr(m, base))
    return found, f"hdvec {getattr(hdvec, '__version__', '?')}"


def hdvec_make(cls, name: str, d: dict, cfg: dict):
    """The hdvec estimator for one row, with the shared parameters it accepts."""
    from hdvec.encoders import LevelRecord, Signal

    dim, seed = cfg["dim"], cfg["seed"]
    encoder = None
    if d["kind"] == "text":
        encoder = "precomputed"
    elif d["kind"] == "signal" and name not in REGEN | {"IntRVFL"}:
        model = "bsc" if name in PACKED else "map"
        encoder = Signal(dim, channels=d["info"]["channels"], model=model, seed=seed)
    elif name == "Centroid (BSC)":
        encoder = LevelRecord(dim, model="bsc", seed=seed)
    want = {"dim": dim, "epochs": cfg["epochs"], "batch_size": cfg["batch_size"], "seed": seed,
            "regen_freq": regen_freq(cfg["epochs"])}
    params = cls().get_params(deep=False)
    return cls(encoder, **{k: v for k, v in want.items() if k in params})


def hdvec_features(name: str, d: dict) -> str:
    if d["kind"] == "text":
        return "packed bits of the trigram signs (uint64)" if name in PACKED else "trigram signs, int8 ±1 (MAP-B)"
    if d["kind"] == "signal":
        if name in REGEN | {"IntRVFL"}:
            return "default encoder on the windows scaled to [-1, 1] (Torchhd's rows)"
        return f"Signal(model={'bsc' if name in PACKED else 'map'}) on raw windows"
    return "LevelRecord(model='bsc') (default otherwise)" if name == "Centroid (BSC)" else "default encoder"


def run_hdvec(d: dict, cfg: dict, emit) -> None:
    from sklearn.base import clone

    classes, version = hdvec_classes()
    text = learn_data.hdvec_text(d, cfg) if d["kind"] == "text" else {}
    for name in cfg["classifiers"]:
        base = name.split(" ")[0]
        row = {"library": "hdvec", "classifier": name, "version": version, "features": hdvec_features(name, d)}
        if base not in classes:
            emit({**row, "status": "not available", "error": f"hdvec.learn has no {base} yet"})
            continue
        if d["kind"] == "text" and name in REGEN:
            emit({**row, "status": "n/a", "error": "regenerates encoder dimensions: needs raw features, "
                                                     "not precomputed hypervectors"})
            continue
        try:
            if d["kind"] == "text":
                xtr, xte, enc_tr, enc_te = text[name in PACKED]
            else:
                xtr, xte, enc_tr, enc_te = d["x_train"], d["x_test"], 0.0, 0.0
                if d["kind"] == "signal" and name in REGEN | {"IntRVFL"}:  # raw-feature encoders: Torchhd's rows
                    xtr, xte = learn_data.minmax_pm1(xtr, xte)
            ytr = np.asarray(d["y_train"])
            clf = hdvec_make(classes[base], name, d, cfg)
            w = warm_rows(ytr)
            warm = clone(clf)
            if "epochs" in warm.get_params():
                warm.set_params(epochs=1)
            warm.fit(xtr[w], ytr[w]).predict(xte[:4])
            t_fit, _ = timed(lambda: clf.fit(xtr, ytr))
            t_pred, pred = timed(lambda: clf.predict(xte))
            acc = float(np.mean(np.asarray(pred) == np.asarray(d["y_test"])))
            emit({**row, "status": "ok", "accuracy": acc, "fit_s": t_fit + enc_tr, "predict_s": t_pred + enc_te,
                  "encode_train_s": enc_tr, "encode_test_s": enc_te})
        except Exception as exc:  # noqa: BLE001 - one failing classifier must not stop the others
            traceback.print_exc()
            emit({**row, "status": "error", "error": f"{type(exc).__name__}: {exc}"})


# ----------------------------------------------------------------------------- child: torchhd
class TorchCentroid:
    """Torchhd's ``models.Centroid`` with the keys + levels record of its classifiers (``Vanilla.encoder``):
    one ``add`` pass, then ``epochs`` passes of ``add_adapt`` (lr 1.0) - what hdvec's ``Centroid(epochs=E)`` does."""

    def __init__(self, n_features: int, dim: int, n_classes: int, *, epochs: int, precomputed: bool):
        import torchhd
        from torchhd.embeddings import Level, Random

        self.epochs = epochs
        self.precomputed = precomputed
        if not precomputed:
            self.keys = Random(n_features, dim)
            self.levels = Level(100, dim, low=-1, high=1)
        self.model = torchhd.models.Centroid(dim, n_classes)

    def encoder(self, x):
        import torchhd

        return x if self.precomputed else torchhd.hash_table(self.keys.weight, self.levels(x)).sign()

    def fit(self, loader):
        for x, y in loader:
            self.model.add(self.encoder(x), y)
        for _ in range(self.epochs):
            for x, y in loader:
                self.model.add_adapt(self.encoder(x), y, lr=1.0)
        return self

    def predict(self, x):
        return self.model(self.encoder(x)).argmax(-1)


def torch_make(name: str, n_features: int, cfg: dict, n_classes: int, precomputed: bool):
    import inspect

    import torch
    import torchhd.classifiers as C

    if name == "Centroid":
        return TorchCentroid(n_features, cfg["dim"], n_classes, epochs=cfg["epochs"], precomputed=precomputed)
    cls = getattr(C, name)
    want = {"epochs": cfg["epochs"], "regen_freq": regen_freq(cfg["epochs"])}
    sig = inspect.signature(cls.__init__).parameters
    clf = cls(1 if precomputed else n_features, cfg["dim"], n_classes, **{k: v for k, v in want.items() if k in sig})
    if precomputed:  # the classifier rules on the given hypervectors: its encoder becomes the identity
        ident = torch.nn.Identity()
        if name == "IntRVFL":
            clf.model.encoding = ident
        object.__setattr__(clf, "encoder", ident)  # an instance attribute wins over the encoder method
    return clf


def run_torchhd(d: dict, cfg: dict, emit) -> None:
    import torch
    import torchhd
    from torch.utils.data import DataLoader, TensorDataset

    torch.set_num_threads(cfg["threads"])
    version = f"torchhd {torchhd.__version__}, torch {torch.__version__}"
    if d["kind"] == "text":
        xtr, xte, enc_tr, enc_te = learn_data.torch_text(d, cfg)
        features = "trigram signs ±1 float32 (ngrams + sign), classifier encoder = identity"
    else:
        x_tr, x_te = np.asarray(d["x_train"]), np.asarray(d["x_test"])
        if d["kind"] == "signal":
            x_tr, x_te = learn_data.minmax_pm1(x_tr, x_te)
        xtr, xte = torch.from_numpy(np.ascontiguousarray(x_tr)), torch.from_numpy(np.ascontiguousarray(x_te))
        enc_tr = enc_te = 0.0
        features = "raw features in [-1, 1], the classifier's own encoder"
    ytr, yte = torch.from_numpy(np.asarray(d["y_train"], np.int64)), np.asarray(d["y_test"])
    precomputed = d["kind"] == "text"
    n_features = xtr.shape[1]
    # test rows per predict call: keys + levels encoders hold (rows, n_features, dim) floats (<= 512 MB)
    pred_batch = 1024 if precomputed else int(np.clip((1 << 27) // (n_features * cfg["dim"]), 1, 1024))
    for name in cfg["classifiers"]:
        if name == "Centroid (BSC)":
            continue  # Torchhd has no packed binary Centroid; the report compares with its dense Centroid
        row = {"library": "torchhd", "classifier": name, "version": version, "features": features}
        if precomputed and name in REGEN:
            emit({**row, "status": "n/a", "error": "regenerates encoder dimensions: needs raw features, "
                                                     "not precomputed hypervectors"})
            continue
        try:
            w = torch.from_numpy(warm_rows(ytr.numpy()))
            warm = torch_make(name, n_features, {**cfg, "epochs": 1}, d["n_classes"], precomputed)
            warm.fit(DataLoader(TensorDataset(xtr[w], ytr[w]), batch_size=cfg["batch_size"]))
            with torch.no_grad():
                warm.predict(xte[:4])
            torch.manual_seed(cfg["seed"])
            loader = DataLoader(TensorDataset(xtr, ytr), batch_size=cfg["batch_size"], shuffle=True,
                                generator=torch.Generator().manual_seed(cfg["seed"]))

            def fit():  # (Torchhd's IntRVFL.fit returns None, not self)
                model = torch_make(name, n_features, cfg, d["n_classes"], precomputed)
                model.fit(loader)
                return model

            t_fit, clf = timed(fit)

            @torch.no_grad()
            def predict():
                return torch.cat([clf.predict(xte[i:i + pred_batch]) for i in range(0, len(xte), pred_batch)])

            t_pred, pred = timed(predict)
            acc = float(np.mean(pred.numpy() == yte))
            emit({**row, "status": "ok", "accuracy": acc, "fit_s": t_fit + enc_tr, "predict_s": t_pred + enc_te,
                  "encode_train_s": enc_tr, "encode_test_s": enc_te})
        except Exception as exc:  # noqa: BLE001 - Torchhd failures are results (the message is the row)
            emit({**row, "status": "error", "error": f"{type(exc).__name__}: {exc}"})


# ----------------------------------------------------------------------------- child: scikit-learn
def run_sklearn(d: dict, cfg: dict, emit) -> None:
    import sklearn
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    row = {"library": "sklearn", "classifier": REFERENCE, "version": f"scikit-learn {sklearn.__version__}"}
    if d["kind"] == "text":
        clf = make_pipeline(TfidfVectorizer(analyzer="char", ngram_range=(3, 3), sublinear_tf=True),
                            LogisticRegression(max_iter=1000))
        xtr, xte, row["features"] = d["x_train"], d["x_test"], "TF-IDF of character trigrams"
    else:
        clf = LogisticRegression(max_iter=1000)
        xtr, xte = np.asarray(d["x_train"]), np.asarray(d["x_test"])
        if d["kind"] == "signal":
            xtr, xte = learn_data.minmax_pm1(xtr, xte)
        row["features"] = "raw features in [-1, 1]"
    try:
        t_fit, _ = timed(lambda: clf.fit(xtr, d["y_train"]))
        t_pred, pred = timed(lambda: clf.predict(xte))
        emit({**row, "status": "ok", "accuracy": float(np.mean(pred == np.asarray(d["y_test"]))),
              "fit_s": t_fit, "predict_s": t_pred})
    except Exception as exc:  # noqa: BLE001
        traceback.print_exc()
        emit({**row, "status": "error", "error": f"{type(exc).__name__}: {exc}"})


def child_main(args: argparse.Namespace) -> None:
    tmp = Path(args.data)
    cfg = json.loads((tmp / "config.json").read_text())
    sys.path.insert(0, str(HERE.parent))  # the repository, for `import hdvec` without an install
    run = {"hdvec": run_hdvec, "torchhd": run_torchhd, "sklearn": run_sklearn}[args.child]
    with open(args.json, "a") as out:
        for name in cfg["datasets"]:
            d = load_split(tmp, name)

            def emit(row: dict) -> None:
                row = {"dataset": name, **row}
                msg = row.get("error") or f"acc {row['accuracy']:.4f} fit {row['fit_s']:.2f} s " \
                                           f"predict {row['predict_s']:.3f} s"
                print(f"[{name}/{args.child}] {row['classifier']}: {msg}", file=sys.stderr, flush=True)
                out.write(json.dumps(row) + "\n")
                out.flush()  # partial results survive a crash or a timeout

            try:
                run(d, cfg, emit)
            except ImportError as exc:  # the library itself is not installed
                emit({"library": args.child, "classifier": "*", "status": "not available",
                      "error": f"{type(exc).__name__}: {exc}"})
                break


# ----------------------------------------------------------------------------- parent
def save_split(tmp: Path, s: learn_data.Split) -> None:
    meta = {"name": s.name, "kind": s.kind, "n_classes": s.n_classes, "info": s.info}
    if s.kind == "text":
        meta.update(x_train=s.x_train, x_test=s.x_test, y_train=s.y_train.tolist(), y_test=s.y_test.tolist())
    else:
        np.savez(tmp / f"{s.name}.npz", x_train=s.x_train, x_test=s.x_test, y_train=s.y_train, y_test=s.y_test)
    (tmp / f"{s.name}.json").write_text(json.dumps(meta))


def run_library(lib: str, tmp: Path, args: argparse.Namespace, timeout: float) -> list[dict]:
    """One library's subprocess over every dataset; its rows (partial after a crash or a timeout)."""
    out = tmp / f"{lib}.jsonl"
    cmd = [args.python, str(Path(__file__).resolve()), "--child", lib, "--data", str(tmp), "--json", str(out),
           "--threads", str(args.threads)]
    try:
        env = {**os.environ, "TQDM_DISABLE": "1"}  # Torchhd's per-fit progress bars
        rc, why = subprocess.run(cmd, check=False, env=env, timeout=timeout, stdout=sys.stderr).returncode, ""
    except subprocess.TimeoutExpired:
        rc, why = -1, f"timed out after {timeout:.0f} s"
    rows = [json.loads(line) for line in out.read_text().splitlines()] if out.exists() else []
    if rc:
        rows.append({"dataset": "*", "library": lib, "classifier": "*", "status": "error",
                     "error": why or f"exit code {rc}; results are partial"})
    return rows


def render(results: dict, rows: list[dict], args: argparse.Namespace, cfg: dict, elapsed: float, loads, argv) -> str:
    cmd = shlex.join(["python", "benchmarks/bench_learn.py", *argv])
    versions = sorted({r["version"] for r in rows if r.get("version")})
    lines = [f"## hdvec.learn vs Torchhd classifiers (`{cmd}`)", "",
             f"{os.cpu_count()} cores, {args.threads} threads per library (own subprocess each); dim {cfg['dim']:,}, "
             f"epochs {cfg['epochs']} (Torchhd's defaults: 120), batch size {cfg['batch_size']}, seed {cfg['seed']}, "
             f"NeuralHD/DistHD regen_freq {regen_freq(cfg['epochs'])} (Torchhd's 20 of 120 epochs, scaled); load "
             f"average {loads[0]:.2f} at start, {loads[1]:.2f} at end; wall time {elapsed / 60:.1f} min"
             + (" (**--quick: tiny sizes; not for conclusions**)" if args.quick else "") + ".", "",
             "Versions: " + "; ".join(versions) + ".", "",
             (f"Bars: hdvec accuracy ≥ Torchhd's same-named classifier − {ACC_TOL} points; fit and predict ≥ "
             f"{SPEED_BAR:g}× faster (predict ≥ {PACKED_SPEED_BAR:g}× for the packed-binary rows "
             f"{', '.join(sorted(PACKED_BAR))}); best hdvec accuracy ≥ best Torchhd accuracy. × = Torchhd time / "
             "hdvec time. Fit times include building the classifier and encoding the training set; predict times "
             "cover the whole test set (with its encoding for the text sets)."), ""]
    all_verdicts = []
    for name, info in results.items():
        lines.append(f"### {name}")
        lines.append("")
        if "skipped" in info:
            lines += [f"Skipped: {info['skipped']}", ""]
            continue
        lines += [(f"{info['description']}; {info['n_train']:,} train / {info['n_test']:,} test, "
                  f"{info['n_classes']} classes."), ""]
        table, verdicts = learn_data.dataset_table(name, rows, cfg["classifiers"], CONST)
        lines += table
        all_verdicts += verdicts
    failures = [r for r in rows if r["dataset"] == "*"]
    lines += [f"- {r['library']}: {r['error']}" for r in failures]
    lines += [f"Bars met: {sum(all_verdicts)} of {len(all_verdicts)} comparable rows.", ""]
    return "\n".join(lines)


def parent_main(args: argparse.Namespace, argv: list[str]) -> None:
    base = QUICK if args.quick else FULL
    cfg = {"dim": args.dim or base["dim"], "epochs": args.epochs if args.epochs is not None else base["epochs"],
           "batch_size": args.batch_size, "seed": args.seed, "threads": args.threads,
           "classifiers": [c for c in CLASSIFIERS if c in args.classifiers.split(",")]}
    libs = [lib for lib in LIBRARIES if lib in args.libraries.split(",")]
    names = args.datasets.split(",") if args.datasets else learn_data.DATASETS
    t0, load0 = time.perf_counter(), os.getloadavg()[0]
    results, rows = {}, []
    with tempfile.TemporaryDirectory(prefix="bench_learn_") as tmp:
        kept = []
        for name in names:
            try:
                s = learn_data.load(name, base["sizes"])
            except learn_data.MissingData as exc:
                print(f"skipping {exc}", file=sys.stderr)
                results[name] = {"skipped": str(exc)}
                continue
            save_split(Path(tmp), s)
            results[name] = {"description": s.description, "n_train": len(s.y_train), "n_test": len(s.y_test),
                             "n_classes": s.n_classes}
            kept.append(name)
            print(f"[{name}] {len(s.y_train):,} train / {len(s.y_test):,} test, {s.n_classes} classes, {s.kind}",
                  file=sys.stderr, flush=True)
        (Path(tmp) / "config.json").write_text(json.dumps({**cfg, "datasets": kept}))
        for lib in libs:
            rows += run_library(lib, Path(tmp), args, base["timeout"])
    meta = {"dim": cfg["dim"], "epochs": cfg["epochs"], "batch_size": cfg["batch_size"], "threads": args.threads,
            "quick": args.quick}
    md = render(results, rows, args, cfg, time.perf_counter() - t0, (load0, os.getloadavg()[0]), argv)
    print(md)
    if args.markdown:
        Path(args.markdown).write_text(md + "\n")
    if args.out:
        with open(args.out, "w") as f:
            for r in rows:
                info = results.get(r["dataset"], {})
                f.write(json.dumps({**meta, **{k: info.get(k) for k in ("n_train", "n_test", "n_classes")}, **r})
                        + "\n")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="tiny sizes, dim 1,000, 2 epochs: a < 3 min smoke test")
    ap.add_argument("--datasets", help=f"comma-separated from {learn_data.DATASETS} (default: all)")
    ap.add_argument("--classifiers", default=",".join(CLASSIFIERS), help="comma-separated: " + ",".join(CLASSIFIERS))
    ap.add_argument("--libraries", default=",".join(LIBRARIES), help="comma-separated: " + ",".join(LIBRARIES))
    ap.add_argument("--threads", type=int, default=2, help="threads per library (environment and torch)")
    ap.add_argument("--dim", type=int, help="hypervector dimension (default 10,000; --quick 1,000)")
    ap.add_argument("--epochs", type=int, help="training epochs for both libraries (default 10; --quick 2; "
                                                "Torchhd's own default is 120)")
    ap.add_argument("--batch-size", type=int, default=32, help="training batch size for both libraries")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--markdown", help="write the Markdown report here")
    ap.add_argument("--out", help="write one JSON line per (dataset, classifier, library) here")
    ap.add_argument("--python", default=sys.executable, help="interpreter for the library subprocesses")
    ap.add_argument("--child", choices=LIBRARIES, help=argparse.SUPPRESS)
    ap.add_argument("--data", help=argparse.SUPPRESS)
    ap.add_argument("--json", help=argparse.SUPPRESS)
    args = ap.parse_args()
    for opt, given, allowed in (("--datasets", args.datasets, learn_data.DATASETS),
                                ("--classifiers", args.classifiers, CLASSIFIERS),
                                ("--libraries", args.libraries, LIBRARIES)):
        if given and (bad := set(given.split(",")) - set(allowed)):
            ap.error(f"{opt}: unknown {sorted(bad)}; choose from {allowed}")
    if args.child:
        child_main(args)
    else:
        parent_main(args, sys.argv[1:])


if __name__ == "__main__":
    main()
