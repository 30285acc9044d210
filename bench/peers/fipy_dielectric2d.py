"""FiPy peer for `fluxion bench --fields`: a dielectric cylinder in a uniform field.

Problem: div(eps grad phi) = 0 on the square [-1, 1]^2 with N x N cells; a cylinder of
radius a = 0.3 and eps = 10 in eps = 1; on the box the exact potential of the cylinder in a
uniform field E0 = 1, phi = -E0 x (1 - K a^2 / r^2), K = (eps_i - eps_o) / (eps_i + eps_o).
Inside, the exact field is uniform, E_in = 2 eps_o / (eps_i + eps_o) E0 (Jackson, problem
4.10). The inside field is fitted as phi = c - E x over the cells with r < a/2, as
fluxion's bench does. Prints one line: N, cells, times and the relative error.

Usage: python fipy_dielectric2d.py N
"""
import sys
import time

import numpy as np
from fipy import CellVariable, DiffusionTerm, Grid2D

n = int(float(sys.argv[1]))
a, eps_in, eps_out, e0 = 0.3, 10.0, 1.0, 1.0
k = (eps_in - eps_out) / (eps_in + eps_out)

start = time.perf_counter()
mesh = Grid2D(nx=n, ny=n, dx=2.0 / n, dy=2.0 / n) + [[-1.0], [-1.0]]
xc, yc = mesh.cellCenters
eps = CellVariable(mesh=mesh, value=np.where(xc**2 + yc**2 < a**2, eps_in, eps_out))
phi = CellVariable(mesh=mesh, value=0.0)
xf, yf = mesh.faceCenters
r2 = np.maximum(xf**2 + yf**2, 1e-300)
phi.constrain(-e0 * xf * (1.0 - k * a**2 / r2), where=mesh.exteriorFaces)
built = time.perf_counter()
DiffusionTerm(coeff=eps.harmonicFaceValue).solve(var=phi)
solved = time.perf_counter()

x, y = np.asarray(xc), np.asarray(yc)
core = x**2 + y**2 < (a / 2) ** 2
design = np.column_stack([np.ones(core.sum()), x[core]])
field = -np.linalg.lstsq(design, np.asarray(phi.value)[core], rcond=None)[0][1]
exact = 2.0 * eps_out / (eps_in + eps_out) * e0
print(
    f"FIPY N={n} cells={n * n} setup={built - start:.3f}s solve={solved - built:.3f}s "
    f"total={solved - start:.3f}s Ex_inside={field:.6f} exact={exact:.6f} "
    f"rel_err={abs(field - exact) / exact:.2e}"
)
