//! V-cycle kernels: Gauss-Seidel sweeps, residuals, restriction and prolongation.
//!
//! The pre-smoothing sweep starts from `x = 0`, so only the strictly lower triangle of a
//! row contributes to it, and after it row `i` is satisfied exactly against the new values
//! `x_j, j < i`, and against `x_j = 0, j > i`: the residual is `r_i = -sum_{j > i} a_ij
//! x_j`, the strictly upper triangle only. One pre-smoothing sweep and its residual thus
//! cost one matrix-vector product instead of two.

use super::hierarchy::{weight, Level};
use super::stencil::{dense_sum, with_size, FULL, LOWER, UPPER};

#[inline(always)]
fn row_dot(ci: &[u32], v: &[f64], x: &[f64]) -> f64 {
    let mut s = 0.0;
    for (&j, &a) in ci.iter().zip(v) {
        s += a * x[j as usize];
    }
    s
}

/// What a row kernel does with the row sum `s` of part `P` at row `i`.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Op {
    /// `x_i = (b_i - s) / a_ii` (pre-smoothing from zero, `P` = lower).
    Start,
    /// `x_i += (b_i - s) / a_ii` (Gauss-Seidel, `P` = full).
    Relax,
    /// `r_i = b_i - s` (`P` = full) or `r_i = -s` (`P` = upper).
    Residual,
}

/// Apply `op` to rows `start..end` (backward if `rev`), dense rows with the stencil.
#[inline(always)]
fn rows<const S: usize, const P: u8>(l: &mut Level, op: Op, rev: bool, seg: (usize, usize, bool)) {
    let (start, end, dense) = seg;
    let p = l.a.pattern().clone();
    let (rp, ci, v) = (p.row_ptr(), p.col_idx(), l.a.values());
    let (vals, off) = (&l.st.vals[..], &l.st.off);
    let (x, b, r, inv, diag) = (&mut l.x, &l.b, &mut l.r, &l.inv_diag, &l.diag);
    let mut step = |i: usize| {
        let s = if dense {
            dense_sum::<S, P>(vals, off, x, i)
        } else {
            let (a, e) = match P {
                FULL => (rp[i], rp[i + 1]),
                LOWER => (rp[i], diag[i]),
                _ => (diag[i] + 1, rp[i + 1]),
            };
            row_dot(&ci[a..e], &v[a..e], x)
        };
        match op {
            Op::Start => x[i] = (b[i] - s) * inv[i],
            Op::Relax => x[i] += (b[i] - s) * inv[i],
            Op::Residual => r[i] = if P == UPPER { -s } else { b[i] - s },
        }
    };
    if rev {
        (start..end).rev().for_each(&mut step);
    } else {
        (start..end).for_each(&mut step);
    }
}

fn sweep<const S: usize, const P: u8>(l: &mut Level, op: Op, rev: bool) {
    for k in 0..l.st.segs.len() {
        let k = if rev { l.st.segs.len() - 1 - k } else { k };
        let seg = l.st.segs[k];
        rows::<S, P>(l, op, rev, seg);
    }
}

/// Forward Gauss-Seidel from `x = 0` (`sweeps >= 1` sweeps), then `r = b - A x`.
pub(super) fn presmooth(l: &mut Level, sweeps: usize) {
    let s = l.st.s;
    with_size!(s, sweep::<LOWER>, l, Op::Start, false);
    if sweeps == 1 {
        with_size!(s, sweep::<UPPER>, l, Op::Residual, false);
        return;
    }
    for _ in 1..sweeps {
        gauss_seidel(l, true);
    }
    residual(l);
}

/// One lexicographic Gauss-Seidel sweep on `A x = b` (forward or backward).
pub(super) fn gauss_seidel(l: &mut Level, forward: bool) {
    with_size!(l.st.s, sweep::<FULL>, l, Op::Relax, !forward);
}

/// `r = b - A x`.
pub(super) fn residual(l: &mut Level) {
    with_size!(l.st.s, sweep::<FULL>, l, Op::Residual, false);
}

/// `y = A x` with the level's operator (the stencil on dense rows).
pub(super) fn mul_vec(l: &Level, x: &[f64], y: &mut [f64]) {
    fn go<const S: usize, const P: u8>(l: &Level, x: &[f64], y: &mut [f64]) {
        let p = l.a.pattern();
        let (rp, ci, v) = (p.row_ptr(), p.col_idx(), l.a.values());
        for &(start, end, dense) in &l.st.segs {
            if dense {
                for (i, yi) in y.iter_mut().enumerate().take(end).skip(start) {
                    *yi = dense_sum::<S, P>(&l.st.vals, &l.st.off, x, i);
                }
            } else {
                for (i, yi) in y.iter_mut().enumerate().take(end).skip(start) {
                    let (a, e) = (rp[i], rp[i + 1]);
                    *yi = row_dot(&ci[a..e], &v[a..e], x);
                }
            }
        }
    }
    with_size!(l.st.s, go::<FULL>, l, x, y);
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
