//! The multigrid hierarchy: coarse grids, operator-dependent interpolation and the
//! Galerkin coarse operators.

use super::super::{CsrMatrix, SparsityPattern};
use super::par::{Blocks, Ptr, PAR_MIN};
use super::stencil::Stencil;

/// One fine node's coarse parents along one direction (weights in [`Level::w`]).
#[derive(Clone, Copy, Debug)]
pub(super) struct Parents {
    pub(super) idx: [u32; 2],
    pub(super) n: u8,
}

/// One level: its operator on a `shape` grid and the V-cycle vectors.
pub(super) struct Level {
    pub(super) shape: [usize; 3],
    pub(super) a: CsrMatrix,
    /// Stencil offset code `(dx+1) + 3 (dy+1) + 9 (dz+1)` of every stored entry.
    pub(super) code: Vec<u8>,
    pub(super) diag: Vec<usize>,
    pub(super) inv_diag: Vec<f64>,
    pub(super) b: Vec<f64>,
    pub(super) x: Vec<f64>,
    pub(super) r: Vec<f64>,
    /// Interpolation to this level's nodes from the next coarser level, per direction.
    pub(super) parents: [Vec<Parents>; 3],
    /// Operator-dependent weight of the lower parent, per node and direction (used where a
    /// node lies between two coarse nodes of that direction).
    pub(super) w: Vec<[f64; 3]>,
    /// Dense storage of the interior rows.
    pub(super) st: Stencil,
    /// Row blocks for the threads.
    pub(super) blocks: Blocks,
}

/// The 1D weight of parent `a` of a node with direction weights `w` along direction `d`.
#[inline]
pub(super) fn weight(p: &Parents, w: &[f64; 3], d: usize, a: usize) -> f64 {
    if p.n == 1 {
        1.0
    } else if a == 0 {
        w[d]
    } else {
        1.0 - w[d]
    }
}

fn offset(code: u8) -> [isize; 3] {
    let c = code as isize;
    [c % 3 - 1, (c / 3) % 3 - 1, c / 9 - 1]
}

/// Pattern of the full `3^d` neighbour box on a `shape` grid (clipped at the boundary), and
/// the offset codes of its entries.
pub(super) fn box_pattern(shape: [usize; 3]) -> (SparsityPattern, Vec<u8>) {
    let [nx, ny, nz] = shape;
    let n = nx * ny * nz;
    let mut row_ptr = Vec::with_capacity(n + 1);
    let mut cols = Vec::new();
    let mut codes = Vec::new();
    row_ptr.push(0);
    for iz in 0..nz {
        for iy in 0..ny {
            for ix in 0..nx {
                for dz in -1isize..=1 {
                    let jz = iz as isize + dz;
                    if jz < 0 || jz >= nz as isize {
                        continue;
                    }
                    for dy in -1isize..=1 {
                        let jy = iy as isize + dy;
                        if jy < 0 || jy >= ny as isize {
                            continue;
                        }
                        for dx in -1isize..=1 {
                            let jx = ix as isize + dx;
                            if jx < 0 || jx >= nx as isize {
                                continue;
                            }
                            let j = (jx + nx as isize * (jy + ny as isize * jz)) as usize;
                            cols.push(j as u32);
                            codes.push(((dx + 1) + 3 * (dy + 1) + 9 * (dz + 1)) as u8);
                        }
                    }
                }
                row_ptr.push(cols.len());
            }
        }
    }
    let p = SparsityPattern::from_csr(n, row_ptr, cols).expect("box pattern is valid");
    (p, codes)
}

/// 1D interpolation for `n` fine nodes: `(n_coarse, parents)`; identity if not coarsened.
pub(super) fn parents_1d(n: usize, coarsen: bool) -> (usize, Vec<Parents>) {
    let one = |i: usize| Parents {
        idx: [i as u32, 0],
        n: 1,
    };
    if !coarsen {
        return (n, (0..n).map(one).collect());
    }
    let nc = n / 2 + 1;
    let p = (0..n)
        .map(|i| {
            if i + 1 == n {
                one(nc - 1)
            } else if i % 2 == 0 {
                one(i / 2)
            } else {
                Parents {
                    idx: [((i - 1) / 2) as u32, i.div_ceil(2) as u32],
                    n: 2,
                }
            }
        })
        .collect();
    (nc, p)
}

/// Operator-dependent interpolation (Alcouffe, Brandt, Dendy and Painter, SIAM J. Sci.
/// Stat. Comput. 2, 430 (1981); de Zeeuw, J. Comput. Appl. Math. 33, 1 (1990)): a fine node
/// between two coarse nodes along direction `d` takes the weight
/// `w_- = s_- / (s_- + s_+)` of the lower one, where `s_-+` sum `|a_ij|` over the row's
/// couplings with offset `-1` / `+1` along `d` (the stencil collapsed onto that line), so
/// that the interpolated correction is continuous in flux, not in value, across a jump of
/// the coefficient; `1/2` (linear) where the coefficient is smooth. Nodes between coarse
/// nodes in several directions take the product of their 1D weights.
pub(super) fn interpolation_weights(l: &mut Level) {
    let p = l.a.pattern();
    let (rp, v) = (p.row_ptr(), l.a.values());
    for (i, w) in l.w.iter_mut().enumerate() {
        let mut sm = [0.0f64; 3];
        let mut sp = [0.0f64; 3];
        for k in rp[i]..rp[i + 1] {
            let o = offset(l.code[k]);
            for d in 0..3 {
                if o[d] < 0 {
                    sm[d] += v[k].abs();
                } else if o[d] > 0 {
                    sp[d] += v[k].abs();
                }
            }
        }
        for d in 0..3 {
            w[d] = if sm[d] + sp[d] > 0.0 {
                sm[d] / (sm[d] + sp[d])
            } else {
                0.5
            };
        }
    }
}

/// `c.a = P^T f.a P` (entries `(i, j)` with `mask[j] && !mask[i]` skipped: the Dirichlet
/// columns eliminated from the other rows).
///
/// Computed fine row by fine row: first the row `(A P)(i, .)`, whose coarse columns lie in
/// a `3 x 3 x 3` box (the parents of the neighbours of `i`), accumulated densely; then its
/// contribution `P(i, I) (A P)(i, J)` to the coarse rows `I` of the parents of `i`, each of
/// which holds every `J` of the box in its `3^d` neighbourhood. About 75 multiply-adds per
/// fine node of a 7-point operator, with no search.
pub(super) fn galerkin(f: &Level, c: &mut Level, mask: Option<&[bool]>) {
    let [_, ny, nz] = f.shape;
    // Planes (z in 3D, y in 2D) and lines per plane.
    let (np, per) = if nz > 1 { (nz, ny) } else { (ny, 1) };
    let cshape = c.shape;
    let cpat = c.a.pattern().clone();
    let cvals = c.a.values_mut();
    cvals.fill(0.0);
    let cv = Ptr(cvals.as_mut_ptr());
    let run = |p0: usize, p1: usize| {
        // SAFETY: see below; with one task, the only writer.
        unsafe { galerkin_lines(f, cshape, &cpat, mask, p0 * per, p1 * per, cv) }
    };
    if f.x.len() >= PAR_MIN && np >= 16 && rayon::current_num_threads() > 1 {
        // Four chunks of fine planes with even boundaries: chunk `[p0, p1)` writes the
        // coarse planes `p0/2 ..= p1/2` only (the parents of its planes), so chunks 0 and
        // 2, then 1 and 3, write disjoint coarse rows and run concurrently.
        let e = |p: usize| p & !1;
        let b = [0, e(np / 4), e(np / 2), e(3 * np / 4), np];
        rayon::join(|| run(b[0], b[1]), || run(b[2], b[3]));
        rayon::join(|| run(b[1], b[2]), || run(b[3], b[4]));
    } else {
        run(0, np);
    }
}

/// The part of [`galerkin`] of the fine lines `t0..t1` (line `iy + ny iz`), adding to the
/// coarse values at `cv`.
///
/// # Safety
/// `cv` points to the values of the coarse matrix (pattern `cpat`), and no concurrent task
/// writes the coarse rows of the parents of these lines.
unsafe fn galerkin_lines(
    f: &Level,
    cshape: [usize; 3],
    cpat: &SparsityPattern,
    mask: Option<&[bool]>,
    t0: usize,
    t1: usize,
    cv: Ptr,
) {
    let [nx, ny, nz] = f.shape;
    let [cx, cy, _] = cshape;
    // Position of the coarse entry (I, I + o): rank of o among the in-grid offsets of I.
    let low = |i: usize| usize::from(i > 0);
    let cnt = |i: usize, n: usize| 1 + usize::from(i > 0) + usize::from(i + 1 < n);
    let fp = f.a.pattern();
    let (frp, fci, fv) = (fp.row_ptr(), fp.col_idx(), f.a.values());
    let crp = cpat.row_ptr();
    let [px, py, pz] = &f.parents;
    // The lowest coarse index reached from the neighbours of fine index `m` of `n`.
    let lo = |p: &[Parents], m: usize| p[m.max(1) - 1].idx[0] as usize;
    let mut ap = [0.0f64; 27];
    for t in t0..t1 {
        let (iy, iz) = (t % ny, t / ny);
        let lz = lo(pz, iz);
        let mut i = t * nx;
        {
            let ly = lo(py, iy);
            for ix in 0..nx {
                let lx = lo(px, ix);
                let skip_d = mask.is_some_and(|m| !m[i]);
                ap.fill(0.0);
                // (A P)(i, .) in the box [lx, lx + 2] x [ly, ly + 2] x [lz, lz + 2].
                for k in frp[i]..frp[i + 1] {
                    let a = fv[k];
                    if a == 0.0 {
                        continue;
                    }
                    let j = fci[k] as usize;
                    if skip_d && mask.is_some_and(|m| m[j]) {
                        continue;
                    }
                    let [dx, dy, dz] = offset(f.code[k]);
                    let (jx, jy, jz) = (
                        (ix as isize + dx) as usize,
                        (iy as isize + dy) as usize,
                        (iz as isize + dz) as usize,
                    );
                    let wj = &f.w[j];
                    let (pjx, pjy, pjz) = (&px[jx], &py[jy], &pz[jz]);
                    for bz in 0..pjz.n as usize {
                        let wz = a * weight(pjz, wj, 2, bz);
                        let oz = (pjz.idx[bz] as usize - lz) * 9;
                        for by in 0..pjy.n as usize {
                            let wy = wz * weight(pjy, wj, 1, by);
                            let oy = oz + (pjy.idx[by] as usize - ly) * 3;
                            for bx in 0..pjx.n as usize {
                                ap[oy + pjx.idx[bx] as usize - lx] += wy * weight(pjx, wj, 0, bx);
                            }
                        }
                    }
                }
                // Spans of the box actually reachable (1 to 3 per direction).
                let span = |p: &[Parents], m: usize, n: usize, l: usize| {
                    let q = &p[(m + 1).min(n - 1)];
                    q.idx[q.n as usize - 1] as usize + 1 - l
                };
                let (sx, sy, sz) = (
                    span(px, ix, nx, lx),
                    span(py, iy, ny, ly),
                    span(pz, iz, nz, lz),
                );
                // P^T: scatter to the parents I of i.
                let wi = &f.w[i];
                let (pix, piy, piz) = (&px[ix], &py[iy], &pz[iz]);
                for az in 0..piz.n as usize {
                    let cz_i = piz.idx[az] as usize;
                    let wz = weight(piz, wi, 2, az);
                    for ay in 0..piy.n as usize {
                        let cy_i = piy.idx[ay] as usize;
                        let wy = wz * weight(piy, wi, 1, ay);
                        let nyc = cnt(cy_i, cy);
                        for ax in 0..pix.n as usize {
                            let cx_i = pix.idx[ax] as usize;
                            let w = wy * weight(pix, wi, 0, ax);
                            let nxc = cnt(cx_i, cx);
                            let row = cx_i + cx * (cy_i + cy * cz_i);
                            let start = crp[row];
                            for ez in 0..sz {
                                let rz = lz + ez + low(cz_i) - cz_i;
                                for ey in 0..sy {
                                    let ry = ly + ey + low(cy_i) - cy_i;
                                    let base = start + (rz * nyc + ry) * nxc + low(cx_i) + lx;
                                    let o = ez * 9 + ey * 3;
                                    for ex in 0..sx {
                                        let v = ap[o + ex];
                                        if v != 0.0 {
                                            // SAFETY: a coarse row of this task (above).
                                            unsafe { *cv.0.add(base + ex - cx_i) += w * v };
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
                i += 1;
            }
        }
    }
}
