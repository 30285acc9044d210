//! V-cycle kernels: Gauss-Seidel sweeps, residuals, restriction and prolongation.
//!
//! The pre-smoothing sweep starts from `x = 0`, so only the strictly lower triangle of a
//! row contributes to it, and after it row `i` is satisfied exactly against the new values
//! `x_j, j < i`, and against `x_j = 0, j > i`: the residual is `r_i = -sum_{j > i} a_ij
//! x_j`, the strictly upper triangle only. One pre-smoothing sweep and its residual thus
//! cost one matrix-vector product instead of two.

use super::hierarchy::{weight, Level};

#[inline(always)]
fn row_dot(ci: &[u32], v: &[f64], x: &[f64]) -> f64 {
    let mut s = 0.0;
    for (&j, &a) in ci.iter().zip(v) {
        s += a * x[j as usize];
    }
    s
}

/// Forward Gauss-Seidel from `x = 0` (`sweeps >= 1` sweeps), then `r = b - A x`.
pub(super) fn presmooth(l: &mut Level, sweeps: usize) {
    let p = l.a.pattern().clone();
    let (rp, ci, v) = (p.row_ptr(), p.col_idx(), l.a.values());
    let n = l.x.len();
    for i in 0..n {
        let (a, d) = (rp[i], l.diag[i]);
        let s = l.b[i] - row_dot(&ci[a..d], &v[a..d], &l.x);
        l.x[i] = s * l.inv_diag[i];
    }
    if sweeps == 1 {
        for i in 0..n {
            let (d, b) = (l.diag[i] + 1, rp[i + 1]);
            l.r[i] = -row_dot(&ci[d..b], &v[d..b], &l.x);
        }
        return;
    }
    for _ in 1..sweeps {
        gauss_seidel(l, true);
    }
    residual(l);
}

/// One lexicographic Gauss-Seidel sweep on `A x = b` (forward or backward).
pub(super) fn gauss_seidel(l: &mut Level, forward: bool) {
    let p = l.a.pattern().clone();
    let (rp, ci, v) = (p.row_ptr(), p.col_idx(), l.a.values());
    let n = l.x.len();
    let mut step = |i: usize| {
        let (a, b) = (rp[i], rp[i + 1]);
        // The sum includes the diagonal term a_ii x_i.
        let s = l.b[i] - row_dot(&ci[a..b], &v[a..b], &l.x);
        l.x[i] += s * l.inv_diag[i];
    };
    if forward {
        (0..n).for_each(&mut step);
    } else {
        (0..n).rev().for_each(&mut step);
    }
}

/// `r = b - A x`.
pub(super) fn residual(l: &mut Level) {
    let p = l.a.pattern().clone();
    let (rp, ci, v) = (p.row_ptr(), p.col_idx(), l.a.values());
    for i in 0..l.r.len() {
        let (a, b) = (rp[i], rp[i + 1]);
        l.r[i] = l.b[i] - row_dot(&ci[a..b], &v[a..b], &l.x);
    }
}

/// `c.b = P^T f.r`, `c.x = 0`.
pub(super) fn restrict(f: &Level, c: &mut Level) {
    c.b.fill(0.0);
    c.x.fill(0.0);
    let [nx, ny, nz] = f.shape;
    let [cx, cy, _] = c.shape;
    let [px, py, pz] = &f.parents;
    let mut i = 0;
    for pz in pz.iter().take(nz) {
        for py in py.iter().take(ny) {
            for px in px.iter().take(nx) {
                let r = f.r[i];
                let w = &f.w[i];
                i += 1;
                for a in 0..pz.n as usize {
                    let rz = r * weight(pz, w, 2, a);
                    let oz = pz.idx[a] as usize * cy;
                    for b in 0..py.n as usize {
                        let ry = rz * weight(py, w, 1, b);
                        let oy = (oz + py.idx[b] as usize) * cx;
                        let o0 = oy + px.idx[0] as usize;
                        if px.n == 1 {
                            c.b[o0] += ry;
                        } else {
                            c.b[o0] += ry * w[0];
                            c.b[o0 + 1] += ry * (1.0 - w[0]);
                        }
                    }
                }
            }
        }
    }
}

/// `f.x += P c.x`.
pub(super) fn prolong_add(c: &Level, f: &mut Level) {
    let [nx, ny, nz] = f.shape;
    let [cx, cy, _] = c.shape;
    let [px, py, pz] = &f.parents;
    let mut i = 0;
    for pz in pz.iter().take(nz) {
        for py in py.iter().take(ny) {
            for px in px.iter().take(nx) {
                let mut s = 0.0;
                let wn = &f.w[i];
                for a in 0..pz.n as usize {
                    let oz = pz.idx[a] as usize * cy;
                    for b in 0..py.n as usize {
                        let w = weight(pz, wn, 2, a) * weight(py, wn, 1, b);
                        let o0 = (oz + py.idx[b] as usize) * cx + px.idx[0] as usize;
                        s += w * if px.n == 1 {
                            c.x[o0]
                        } else {
                            wn[0] * c.x[o0] + (1.0 - wn[0]) * c.x[o0 + 1]
                        };
                    }
                }
                f.x[i] += s;
                i += 1;
            }
        }
    }
}
