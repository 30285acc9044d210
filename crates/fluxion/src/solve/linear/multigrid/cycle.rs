//! V-cycle kernels: Gauss-Seidel sweeps, residuals, restriction and prolongation.
//!
//! The pre-smoothing sweep starts from `x = 0`, so only the strictly lower triangle of a
//! row contributes to it, and after it row `i` is satisfied exactly against the new values
//! `x_j, j < i`, and against `x_j = 0, j > i`: the residual is `r_i = -sum_{j > i} a_ij
//! x_j`, the strictly upper triangle only. One pre-smoothing sweep and its residual thus
//! cost one matrix-vector product instead of two.

use super::hierarchy::{weight, Level};
use super::par::{each, Ptr};
use super::stencil::{dense_sum, with_size, FULL, LOWER, UPPER};

/// `sum_k v_k x_{ci_k}`.
///
/// # Safety
/// `x` holds at least `max(ci) + 1` values, none written concurrently.
#[inline(always)]
unsafe fn row_dot(ci: &[u32], v: &[f64], x: *const f64) -> f64 {
    let mut s = 0.0;
    for (&j, &a) in ci.iter().zip(v) {
        s += a * unsafe { *x.add(j as usize) };
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

/// A level's operator and vectors, shared by the threads of one kernel: every task writes
/// `x` (or `r`) only in its own rows, and reads `x` only in rows no concurrent task writes
/// (the block structure of `par.rs`).
struct View<'a> {
    rp: &'a [usize],
    ci: &'a [u32],
    v: &'a [f64],
    vals: &'a [f64],
    off: &'a [isize; 27],
    segs: &'a [(usize, usize, bool)],
    b: &'a [f64],
    inv: &'a [f64],
    diag: &'a [usize],
    x: Ptr,
    r: Ptr,
}

impl<'a> View<'a> {
    fn new(l: &'a mut Level) -> Self {
        let (x, r) = (Ptr(l.x.as_mut_ptr()), Ptr(l.r.as_mut_ptr()));
        let p = l.a.pattern();
        View {
            rp: p.row_ptr(),
            ci: p.col_idx(),
            v: l.a.values(),
            vals: &l.st.vals,
            off: &l.st.off,
            segs: &l.st.segs,
            b: &l.b,
            inv: &l.inv_diag,
            diag: &l.diag,
            x,
            r,
        }
    }
}

/// Apply `op` to the rows `lo..hi` (backward if `rev`), dense rows with the stencil.
fn range<const S: usize, const P: u8>(w: &View, op: Op, rev: bool, lo: usize, hi: usize) {
    let (x, r) = (w.x.0, w.r.0);
    let step = |i: usize, dense: bool| {
        // SAFETY: row `i` is in this task's rows; the entries read are in its rows or in
        // rows no concurrent task writes (see `View`); all indices are inside the level.
        unsafe {
            let s = if dense {
                dense_sum::<S, P>(w.vals, w.off, x, i)
            } else {
                let (a, e) = match P {
                    FULL => (w.rp[i], w.rp[i + 1]),
                    LOWER => (w.rp[i], w.diag[i]),
                    _ => (w.diag[i] + 1, w.rp[i + 1]),
                };
                row_dot(&w.ci[a..e], &w.v[a..e], x)
            };
            match op {
                Op::Start => *x.add(i) = (w.b[i] - s) * w.inv[i],
                Op::Relax => *x.add(i) += (w.b[i] - s) * w.inv[i],
                Op::Residual => *r.add(i) = if P == UPPER { -s } else { w.b[i] - s },
            }
        }
    };
    let first = w.segs.partition_point(|s| s.1 <= lo);
    let last = w.segs.partition_point(|s| s.0 < hi);
    let segs = &w.segs[first..last];
    let clip = |s: &(usize, usize, bool)| (s.0.max(lo), s.1.min(hi), s.2);
    if rev {
        for seg in segs.iter().rev().map(clip) {
            (seg.0..seg.1).rev().for_each(|i| step(i, seg.2));
        }
    } else {
        for seg in segs.iter().map(clip) {
            (seg.0..seg.1).for_each(|i| step(i, seg.2));
        }
    }
}

/// `op` with part `P` on every range of `ranges`, concurrently.
fn ranges<const S: usize, const P: u8>(w: &View, op: Op, rev: bool, ranges: &[(usize, usize)]) {
    each(ranges, &|lo, hi| range::<S, P>(w, op, rev, lo, hi));
}

/// Forward Gauss-Seidel from `x = 0` (`sweeps >= 1` sweeps), then `r = b - A x`.
pub(super) fn presmooth(l: &mut Level, sweeps: usize) {
    let s = l.st.s;
    let n = l.x.len();
    let bl = std::mem::take(&mut l.blocks);
    for &(lo, hi) in &bl.s {
        l.x[lo..hi].fill(0.0);
    }
    {
        let w = View::new(l);
        // Blocks from zero (the rows of the separator below a block are zero, as the upper
        // triangle is), then the separators against the new values on both sides.
        with_size!(s, ranges::<LOWER>, &w, Op::Start, false, &bl.a);
        with_size!(s, ranges::<FULL>, &w, Op::Relax, false, &bl.s);
        if sweeps == 1 {
            // Rows of a block were satisfied with their upper neighbours zero: the residual
            // is minus the upper triangle, except in the first plane of every block but the
            // first (the separator below changed after it) and in the separators.
            let plane = bl.plane;
            each(&bl.a, &|lo, hi| {
                let mid = if lo == 0 { lo } else { (lo + plane).min(hi) };
                with_size!(s, range::<FULL>, &w, Op::Residual, false, lo, mid);
                with_size!(s, range::<UPPER>, &w, Op::Residual, false, mid, hi);
            });
            with_size!(s, ranges::<FULL>, &w, Op::Residual, false, &bl.s);
        }
    }
    debug_assert_eq!(bl.a.last().map(|a| a.1), Some(n));
    l.blocks = bl;
    if sweeps > 1 {
        for _ in 1..sweeps {
            gauss_seidel(l, true);
        }
        residual(l);
    }
}

/// One Gauss-Seidel sweep on `A x = b`: forward (blocks, then separators, each
/// lexicographic) or backward (the reverse).
pub(super) fn gauss_seidel(l: &mut Level, forward: bool) {
    let s = l.st.s;
    let bl = std::mem::take(&mut l.blocks);
    {
        let w = View::new(l);
        if forward {
            with_size!(s, ranges::<FULL>, &w, Op::Relax, false, &bl.a);
            with_size!(s, ranges::<FULL>, &w, Op::Relax, false, &bl.s);
        } else {
            with_size!(s, ranges::<FULL>, &w, Op::Relax, true, &bl.s);
            with_size!(s, ranges::<FULL>, &w, Op::Relax, true, &bl.a);
        }
    }
    l.blocks = bl;
}

/// `r = b - A x`.
pub(super) fn residual(l: &mut Level) {
    let s = l.st.s;
    let bl = std::mem::take(&mut l.blocks);
    {
        let w = View::new(l);
        with_size!(s, ranges::<FULL>, &w, Op::Residual, false, &bl.rows);
    }
    l.blocks = bl;
}

/// `y = A x` with the level's operator (the stencil on dense rows).
pub(super) fn mul_vec(l: &Level, x: &[f64], y: &mut [f64]) {
    fn go<const S: usize, const P: u8>(l: &Level, x: &[f64], y: &mut [f64]) {
        let p = l.a.pattern();
        let (rp, ci, v) = (p.row_ptr(), p.col_idx(), l.a.values());
        let (xp, yp) = (x.as_ptr() as usize, Ptr(y.as_mut_ptr()));
        let segs = &l.st.segs;
        each(&l.blocks.rows, &|lo, hi| {
            let (x, y) = (xp as *const f64, yp);
            let first = segs.partition_point(|s| s.1 <= lo);
            let last = segs.partition_point(|s| s.0 < hi);
            for &(start, end, dense) in &segs[first..last] {
                for i in start.max(lo)..end.min(hi) {
                    // SAFETY: `x` is read only; `y` is written in this task's rows only.
                    unsafe {
                        *y.0.add(i) = if dense {
                            dense_sum::<S, P>(&l.st.vals, &l.st.off, x, i)
                        } else {
                            let (a, e) = (rp[i], rp[i + 1]);
                            row_dot(&ci[a..e], &v[a..e], x)
                        };
                    }
                }
            }
        });
    }
    assert!(x.len() >= l.x.len() && y.len() >= l.x.len());
    with_size!(l.st.s, go::<FULL>, l, x, y);
}

/// `c.b = P^T f.r`, `c.x = 0`.
// TODO(#9): serial; the chunks of planes of `galerkin` would run it on two threads. Not
// measured yet on an idle machine with 1 and 2 threads (docs/bench-fields.md).
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
    let (fx, wv) = (Ptr(f.x.as_mut_ptr()), &f.w);
    each(&f.blocks.rows, &|lo, hi| {
        let (mut ix, mut iy, mut iz) = (lo % nx, (lo / nx) % ny, lo / (nx * ny));
        for i in lo..hi {
            let (px, py, pz) = (&px[ix], &py[iy], &pz[iz]);
            ix += 1;
            if ix == nx {
                ix = 0;
                iy += 1;
                if iy == ny {
                    iy = 0;
                    iz += 1;
                }
            }
            let mut s = 0.0;
            let wn = &wv[i];
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
            // SAFETY: row `i` belongs to this task only.
            unsafe { *fx.get().add(i) += s };
        }
    });
    debug_assert!(nz * ny * nx == f.x.len());
}
