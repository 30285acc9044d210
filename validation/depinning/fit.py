#!/usr/bin/env python3
"""Depinning exponent from down sweeps: J_c and beta fitted jointly, Student-t interval.

Usage: python3 fit.py DIR... (fluxion output directories of depinning_seed3.toml with
different seeds; run.sh makes them and calls this script).

Model (plastic depinning, Fily et al., PRB 82, 134519 (2010)): v = A (J - J_c)^beta on the
down branch. The points fitted are those with 1e-3 < v / v_max < 0.3 (J <= 6.1e9 A/m^2,
v_max the largest velocity there). For each realization J_c and beta are fitted jointly:
for a given J_c, ln v against ln(J - J_c) is a straight line (slope beta, least squares);
J_c is the value that minimizes the residual sum of squares (profile least squares) between
the largest current at which the lattice has stopped (v < 1e-4 v_max) and the smallest
current of the fit window. The mean beta over the realizations gets a two-sided 95%
Student-t interval, mean +- t(0.975, n-1) s / sqrt(n), and is compared with 1.3 +- 0.1.
"""
import csv, math, sys

# Two-sided 95% Student-t quantiles t(0.975, df), df = 1..30 (e.g. Abramowitz & Stegun,
# Table 26.10).
T975 = [12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201,
        2.179, 2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069,
        2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042]


def load(d):
    rows = [r for r in csv.DictReader(open(d + "/iv.csv")) if r["branch"] == "down"]
    pts = sorted((float(r["j_A_m2"]), float(r["v_parallel_m_s"]), r.get("steady", "true"))
                 for r in rows)
    return [p for p in pts if p[0] <= 6.1e9]


def line(w):
    n = len(w)
    mx = sum(x for x, _ in w) / n
    my = sum(y for _, y in w) / n
    sxx = sum((x - mx) ** 2 for x, _ in w)
    sxy = sum((x - mx) * (y - my) for x, y in w)
    b = sxy / sxx
    ssr = sum((y - my - b * (x - mx)) ** 2 for x, y in w)
    return b, ssr


def joint_fit(pts):
    vmax = max(v for _, v, _ in pts)
    win = [(j, v) for j, v, _ in pts if 1e-3 * vmax < v < 0.3 * vmax]
    stopped = [j for j, v, _ in pts if v < 1e-4 * vmax]
    lo = max(stopped) if stopped else 0.0
    hi = min(j for j, _ in win)
    win = [(j, v) for j, v in win if j > lo]

    def ssr(jc):
        return line([(math.log(j - jc), math.log(v)) for j, v in win])

    # Coarse scan, then golden-section refinement of the profile residual.
    grid = [lo + (hi - lo) * k / 400 for k in range(400)]
    k = min(range(len(grid)), key=lambda i: ssr(grid[i])[1])
    a = grid[max(k - 1, 0)]
    b = grid[min(k + 1, len(grid) - 1)] if k + 1 < len(grid) else hi - 1e-6 * (hi - lo)
    g = (math.sqrt(5) - 1) / 2
    for _ in range(60):
        c, d = b - g * (b - a), a + g * (b - a)
        if ssr(c)[1] < ssr(d)[1]:
            b = d
        else:
            a = c
    jc = 0.5 * (a + b)
    beta, res = ssr(jc)
    unsteady = sum(1 for j, v, s in pts if s == "false" and (j, v) in win)
    return jc, beta, len(win), lo, unsteady


betas = []
for d in sys.argv[1:]:
    jc, beta, n, lo, uns = joint_fit(load(d))
    betas.append(beta)
    print(f"{d}: J_c = {jc:.4e} A/m^2 (lattice stopped at {lo:.4e}), beta = {beta:.3f} "
          f"({n} points, {uns} marked unsteady)")
n = len(betas)
m = sum(betas) / n
if n > 1:
    s = math.sqrt(sum((b - m) ** 2 for b in betas) / (n - 1))
    half = T975[min(n - 2, len(T975) - 1)] * s / math.sqrt(n)
    lo, hi = m - half, m + half
    print(f"beta = {m:.3f}, 95% Student-t interval [{lo:.3f}, {hi:.3f}] "
          f"(s = {s:.3f}, {n} realizations)")
    if hi >= 1.2 and lo <= 1.4:
        print("consistent with Fily et al. (2010), beta = 1.3 +- 0.1 (the intervals overlap)")
    else:
        print("NOT consistent with Fily et al. (2010), beta = 1.3 +- 0.1 (the intervals do not overlap)")
else:
    print(f"beta = {m:.3f} (one realization: no interval)")
