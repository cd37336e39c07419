"""Function encoding (HDFE): one vector per time series, decodable and independent of the sampling.

Encodes the weekly Mauna Loa CO2 series (1958-2001) twice: from all samples,
and from a sparse subsample that keeps few early weeks and most late ones.
Decodes both, reports the error on the weeks each encoding never saw, compares
the two encodings, and plots the result.

Run: python examples/04_function_encoding.py [--out function_encoding.png]
"""

import argparse
import sys
from datetime import date
from pathlib import Path

import numpy as np

from hdvec.encoders.functions import FunctionEncoder, similarity

DATA = Path(__file__).resolve().parent.parent.parent / "shared" / "data" / "functions"

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--out", default="function_encoding.png", help="where to save the plot")
parser.add_argument("--dim", type=int, default=16_000, help="vector dimension")
args = parser.parse_args()

path = DATA / "statsmodels_co2.csv"
if not path.is_file():
    sys.exit(f"data file not found: {path} (expected the shared data folder ../shared/data/functions next to the repo)")

# --- load: yyyymmdd,co2 with a few missing weeks -----------------------------
raw = np.genfromtxt(path, delimiter=",", skip_header=1, dtype=np.float64)
raw = raw[np.isfinite(raw).all(axis=1)]
days = [date(int(d) // 10000, int(d) // 100 % 100, int(d) % 100) for d in raw[:, 0]]
t = np.array([d.year + (d.timetuple().tm_yday - 0.5) / 365.25 for d in days])
co2 = raw[:, 1]
print(f"{path.name}: {t.size} weekly samples, {t[0]:.1f}-{t[-1]:.1f}, {co2.min():.1f}-{co2.max():.1f} ppm")

# --- one encoder, scales fixed up front so encodings are comparable ---------
# x_bandwidth 0.003 of 44 years is about 7 weeks: narrow enough for the seasonal cycle.
enc = FunctionEncoder(args.dim, x_bandwidth=0.003, y_bandwidth=0.1, x_range=(1958, 2002), y_range=(310, 380), seed=0)

rng = np.random.default_rng(0)
u = (t - t[0]) / (t[-1] - t[0])
keep = rng.random(t.size) < 0.3 + 0.7 * u**3  # 30% of the early weeks, nearly all of the late ones
full = enc.encode(t, co2)
sparse = enc.encode(t[keep], co2[keep])
plain = enc.encode(t[keep], co2[keep], sample_invariant=False)
print(f"subsample: {keep.sum()} of {t.size} samples ({keep[u < 0.5].mean():.0%} of the first half, "
      f"{keep[u >= 0.5].mean():.0%} of the second)")

# --- decode ------------------------------------------------------------------
scale = co2.std()
rmse = np.sqrt(np.mean((enc.decode(full, t) - co2) ** 2))
held_out = ~keep
dec_sparse = enc.decode(sparse, t[held_out])
rmse_sparse = np.sqrt(np.mean((dec_sparse - co2[held_out]) ** 2))
print(f"all samples : RMSE {rmse:.2f} ppm, RMSE/std {rmse / scale:.3f}")
print(f"subsample   : RMSE {rmse_sparse:.2f} ppm on the {held_out.sum()} unseen weeks, RMSE/std {rmse_sparse / scale:.3f}")
print(f"similarity(all, subsample) = {similarity(full, sparse):.4f} "
      f"(plain mean, no reweighting: {similarity(full, plain):.4f})")
# Where no sample lies within about a bandwidth, the decoded value is noise:
gaps = np.diff(t[keep])
i = int(gaps.argmax())
print(f"largest gap in the subsample: {gaps[i] * 52:.0f} weeks after {t[keep][i]:.2f} "
      f"(bandwidth {0.003 * 44 * 52:.0f} weeks): the decoded curve is unreliable there")

# --- plot ----------------------------------------------------------------------
try:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
except ImportError:
    print("matplotlib is not installed: skipping the plot (pip install matplotlib)")
    sys.exit(0)

grid = np.linspace(1958.3, 2001.9, 2000)
curves = enc.decode(np.stack([full, sparse]), grid)
fig, axes = plt.subplots(2, 1, figsize=(10, 7))
for ax, lo, hi in [(axes[0], 1958, 2002), (axes[1], 1990, 1995)]:
    m = (t >= lo) & (t <= hi)
    g = (grid >= lo) & (grid <= hi)
    ax.plot(t[m], co2[m], ".", color="0.7", ms=3, label="weekly data")
    ax.plot(t[m & keep], co2[m & keep], ".", color="C1", ms=3, label="subsample")
    ax.plot(grid[g], curves[0, g], color="C0", lw=1.2, label="decoded (all samples)")
    ax.plot(grid[g], curves[1, g], color="C3", lw=1.0, ls="--", label="decoded (subsample)")
    ax.set_xlim(lo, hi)
    ax.set_ylabel("CO2 (ppm)")
axes[0].legend(loc="upper left")
axes[0].set_title(f"HDFE, dim={args.dim}: similarity of the two encodings {similarity(full, sparse):.3f}")
axes[1].set_xlabel("year (bottom: zoom on 1990-1995)")
fig.tight_layout()
fig.savefig(args.out, dpi=120)
print(f"plot saved to {args.out}")
