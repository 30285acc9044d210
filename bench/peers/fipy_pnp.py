"""The steady PNP benchmark cell of `devsim_pnp.py` in FiPy (cell-centred finite volumes).

Same dimensionless problem: J_i = -(c_i' + z_i c_i phi'), J_i' = 0, -lam^2 phi'' = p - n,
p = n = 1, phi = 0 at x = 0 and p = n = 0.5, phi = V at x = 1. FiPy has no steady Newton
solver for coupled nonlinear systems, so the steady state is reached by pseudo-time
stepping of the coupled equations (implicit Euler, exponential = Scharfetter-Gummel
convection, a few sweeps per step, the step growing by 1.5x up to dt_max) until the update
of one step falls below --tol or the step budget is spent. `converged` is reported true only
if, in addition, the flux J+ is conserved across the cell to 1e-6 (the iteration can stall
with a small update far from the steady state).

Usage: python fipy_pnp.py CELLS [--lam 0.01] [--volts 2] [--tol 1e-9] [--steps 5000]
Prints one JSON line: cells, converged, pseudo-time steps, seconds (the import is not
timed), the dimensionless flux J+ at the middle face and its spread over the interior faces.
"""

import argparse
import json
import sys
import time


def main():
    a = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    a.add_argument("cells", type=lambda s: int(float(s)))
    a.add_argument("--lam", type=float, default=0.01)
    a.add_argument("--volts", type=float, default=2.0)
    a.add_argument("--tol", type=float, default=1e-9)
    a.add_argument("--steps", type=int, default=5000)
    a.add_argument("--dt-max", type=float, default=1.0)
    args = a.parse_args()
    import numpy as np
    from fipy import (CellVariable, DiffusionTerm, ExponentialConvectionTerm, Grid1D,
                      ImplicitSourceTerm, TransientTerm)

    t0 = time.perf_counter()
    n_cells, v = args.cells, args.volts
    mesh = Grid1D(nx=n_cells, dx=1.0 / n_cells)
    x = mesh.cellCenters[0]
    p = CellVariable(mesh=mesh, value=1.0 - 0.5 * x, hasOld=True, name="p")
    n = CellVariable(mesh=mesh, value=1.0 - 0.5 * x, hasOld=True, name="n")
    phi = CellVariable(mesh=mesh, value=v * x, hasOld=True, name="phi")
    for c in (p, n):
        c.constrain(1.0, mesh.facesLeft)
        c.constrain(0.5, mesh.facesRight)
    phi.constrain(0.0, mesh.facesLeft)
    phi.constrain(v, mesh.facesRight)
    # dc/dt = (c' + z c phi')': diffusion plus convection with velocity z phi'.
    eq_p = TransientTerm(var=p) == DiffusionTerm(1.0, var=p) + ExponentialConvectionTerm(
        coeff=phi.faceGrad, var=p)
    eq_n = TransientTerm(var=n) == DiffusionTerm(1.0, var=n) + ExponentialConvectionTerm(
        coeff=-phi.faceGrad, var=n)
    # The charge enters implicitly (coupled in the matrix), not as an explicit source.
    eq_phi = (DiffusionTerm(args.lam ** 2, var=phi) + ImplicitSourceTerm(1.0, var=p)
              - ImplicitSourceTerm(1.0, var=n) == 0)
    system = eq_p & eq_n & eq_phi

    dt, steps, change, failure = 1e-6, 0, np.inf, None
    np.seterr(all="ignore")
    while steps < args.steps:
        for var in (p, n, phi):
            var.updateOld()
        try:
            for _ in range(4):
                system.sweep(dt=dt)
        except (RuntimeError, FloatingPointError, ArithmeticError) as e:
            # The iteration diverged (e.g. "Factor is exactly singular" after an overflow).
            failure = f"{type(e).__name__}: {e} at pseudo-time step {steps}"
            change = np.inf
            break
        steps += 1
        change = max(float(np.max(np.abs(var.value - var.old.value))) for var in (p, n, phi))
        if not np.isfinite(change):
            failure = f"non-finite update at pseudo-time step {steps}"
            break
        if change < args.tol and dt >= args.dt_max:
            break
        dt = min(1.5 * dt, args.dt_max)
    elapsed = time.perf_counter() - t0

    # Face flux J+ = -(p' + p phi') on the interior faces, in the exponential
    # (Scharfetter-Gummel) form of the scheme: J = [B(d) p_L - B(-d) p_R] / h, d = phi_R - phi_L,
    # B(x) = x / (e^x - 1).
    pv, fv, h = np.asarray(p.value), np.asarray(phi.value), 1.0 / n_cells
    d = fv[1:] - fv[:-1]
    bern = lambda x: np.where(np.abs(x) < 1e-12, 1.0 - x / 2, x / np.expm1(np.where(x == 0, 1.0, x)))
    jp = (bern(d) * pv[:-1] - bern(-d) * pv[1:]) / h
    # Steady means a conserved flux, not only a small update (the iteration can stall).
    finite = bool(np.all(np.isfinite(jp)))
    converged = bool(finite and np.isfinite(change) and change < args.tol
                     and np.ptp(jp) < 1e-6 * abs(jp[len(jp) // 2]))
    print(json.dumps({
        "tool": "fipy",
        "cells": n_cells,
        "converged": converged,
        "pseudo_time_steps": steps,
        "last_change": float(change) if np.isfinite(change) else None,
        "failure": failure,
        "total_s": elapsed,
        "j_plus": float(jp[len(jp) // 2]) if finite else None,
        "j_plus_spread": float(np.ptp(jp)) if finite else None,
    }))
    return 0 if converged else 1


if __name__ == "__main__":
    sys.exit(main())
