#!/usr/bin/env python3
"""Depinning exponent from down sweeps (see docs/status.md).

Usage: for s in 3 4 5; do sed "s/^seed = 3/seed = $s/" depinning_seed3.toml > s$s.toml;
       fluxion run s$s.toml --out o$s -q; done; python3 fit.py o3 o4 o5
For each run: J_c = the largest current where the lattice has stopped on the way down
(v < 1e-4 v_max), then beta from a least-squares line of ln v against ln(J - J_c) for
1e-3 < v / v_max < 0.3 (and two other windows, to show the sensitivity).
"""
import csv, math, sys

def load(d):
    rows = [r for r in csv.DictReader(open(d + "/iv.csv")) if r["branch"] == "down"]
    return sorted((float(r["j_A_m2"]), float(r["v_parallel_m_s"])) for r in rows)

def beta(pts, jc, lo, hi):
    w = [(math.log(j - jc), math.log(v)) for j, v in pts if j > jc and lo < v < hi]
    n = len(w)
    mx = sum(x for x, _ in w) / n
    my = sum(y for _, y in w) / n
    sxx = sum((x - mx) ** 2 for x, _ in w)
    sxy = sum((x - mx) * (y - my) for x, y in w)
    return sxy / sxx, n

betas = []
for d in sys.argv[1:]:
    pts = [p for p in load(d) if p[0] <= 6.1e9]
    vmax = max(v for _, v in pts)
    jc = max(j for j, v in pts if v < 1e-4 * vmax)
    for lo, hi in ((1e-3, 0.3), (1e-3, 0.1), (1e-2, 0.3)):
        b, n = beta(pts, jc, lo * vmax, hi * vmax)
        print(f"{d}: J_c = {jc:.3e} A/m^2, window [{lo}, {hi}] v_max: beta = {b:.2f} ({n} points)")
        if (lo, hi) == (1e-3, 0.3):
            betas.append(b)
m = sum(betas) / len(betas)
sd = (sum((b - m) ** 2 for b in betas) / max(len(betas) - 1, 1)) ** 0.5
print(f"mean beta = {m:.2f} +- {sd / len(betas) ** 0.5:.2f} over {len(betas)} realizations (Fily et al. 2010: 1.3 +- 0.1)")
