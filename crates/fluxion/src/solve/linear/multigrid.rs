//! Krylov solvers preconditioned by a geometric multigrid V-cycle, for the matrices of
//! structured (tensor-product) grids in 1D, 2D and 3D with one unknown per node.
//!
//! # Hierarchy (built once per pattern)
//! Level 0 is the assembled matrix `A` (its pattern must couple every node only to nodes at
//! most one index away in each direction: 3-, 5-, 7-, 9- or 27-point stencils). Every
//! direction with at least 3 nodes is coarsened by keeping the even-numbered nodes and the
//! last one (`n_c = floor(n/2) + 1`), until a level has at most
//! [`MultigridOptions::coarsest_size`] unknowns. Prolongation `P` is the tensor product of
//! 1D linear interpolation in index space (weights `1/2, 1/2` at the fine nodes between two
//! coarse ones; bilinear in 2D, trilinear in 3D), restriction is `R = P^T`, and the coarse
//! operators are the Galerkin products
//!
//! `A_{l+1} = P^T A_l P`,
//!
//! computed from the assembled values in [`LinearSolver::factor`] (27-point in 3D, 9-point
//! in 2D), so variable and jumping coefficients, Dirichlet rows and the `r` weights of
//! axisymmetric grids enter the coarse levels without rediscretization. The coarsest level
//! (at most a few hundred unknowns) is solved directly by [`BandedLu`], whose factorization
//! allocates nothing, unlike faer's sparse LU.
//!
//! # Dirichlet rows
//! A row whose off-diagonal entries are all zero fixes its unknown: `x_D = b_D / a_DD`. Its
//! column is eliminated from the other rows (moved to the right-hand side), so that a
//! symmetric discretization with Dirichlet rows stays symmetric and CG applies; the
//! hierarchy is built from this reduced operator.
//!
//! # Smoother
//! Symmetric Gauss-Seidel: lexicographic forward sweeps before the coarse correction and
//! backward sweeps after it, which makes the V-cycle a symmetric preconditioner (required by
//! CG). Gauss-Seidel rather than weighted Jacobi: it needs no damping parameter, smooths
//! twice as fast per sweep and handles the strong variable coefficients (1:1000 jumps) of
//! Galerkin operators without tuning. Point smoothing with full coarsening is not robust
//! for strong anisotropy (aspect ratios above about 10 on stretched grids); the Krylov outer
//! iteration absorbs moderate anisotropy at the cost of more iterations, and
//! [`LinearError::NotConverged`] reports when it does not.
//!
//! # Krylov method
//! After every `factor()` the reduced matrix is tested for symmetry (`|a_ij - a_ji| <=
//! 1e-12 (|a_ij| + |a_ji|)`): preconditioned conjugate gradients if it is symmetric,
//! otherwise right-preconditioned BiCGStab (van der Vorst 1992). Both stop when
//! `||b - A x||_2 <= max(rtol ||r_0||_2, atol)`, with `r_0` the residual after the
//! Dirichlet values are set; otherwise [`LinearError::NotConverged`].
//!
//! Every vector and every level's matrix is allocated when the solver is built;
//! `factor()` and `solve()` do not allocate (`tests/linear_alloc.rs`).

use super::{
    BandedLu, CsrMatrix, LinearError, LinearSolver, MatrixSink, SparsityPattern, TensorLayout,
};
use std::sync::Arc;

/// Which Krylov method the multigrid preconditioner accelerates.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum Krylov {
    /// CG when the (Dirichlet-reduced) matrix is symmetric, BiCGStab otherwise.
    #[default]
    Auto,
    /// Preconditioned conjugate gradients (symmetric positive definite matrices only).
    Cg,
    /// Right-preconditioned BiCGStab (any nonsingular matrix).
    BiCgStab,
}

/// Options of [`Multigrid`], with defaults suited to Newton corrections.
#[derive(Clone, Copy, Debug, PartialEq)]
#[non_exhaustive]
pub struct MultigridOptions {
    /// Relative tolerance on the 2-norm of the residual (default `1e-10`).
    pub rtol: f64,
    /// Absolute tolerance on the 2-norm of the residual, in the units of `b` (default `0`).
    pub atol: f64,
    /// Maximum Krylov iterations (default `200`).
    pub max_iterations: usize,
    /// Gauss-Seidel sweeps before (forward) and after (backward) the coarse correction on
    /// every level (default `1`).
    pub sweeps: usize,
    /// Coarsening stops at a level with at most this many unknowns, which is then solved by
    /// banded LU (default `512`).
    pub coarsest_size: usize,
    /// Krylov method (default [`Krylov::Auto`]).
    pub krylov: Krylov,
}

impl Default for MultigridOptions {
    fn default() -> Self {
        MultigridOptions {
            rtol: 1e-10,
            atol: 0.0,
            max_iterations: 200,
            sweeps: 1,
            coarsest_size: 512,
            krylov: Krylov::Auto,
        }
    }
}

/// One fine node's coarse parents along one direction (weights in [`Level::w`]).
#[derive(Clone, Copy, Debug)]
struct Parents {
    idx: [u32; 2],
    n: u8,
}

/// One level: its operator on a `shape` grid and the V-cycle vectors.
struct Level {
    shape: [usize; 3],
    a: CsrMatrix,
    /// Stencil offset code `(dx+1) + 3 (dy+1) + 9 (dz+1)` of every stored entry.
    code: Vec<u8>,
    diag: Vec<usize>,
    inv_diag: Vec<f64>,
    b: Vec<f64>,
    x: Vec<f64>,
    r: Vec<f64>,
    /// Interpolation to this level's nodes from the next coarser level, per direction.
    parents: [Vec<Parents>; 3],
    /// Operator-dependent weight of the lower parent, per node and direction (used where a
    /// node lies between two coarse nodes of that direction).
    w: Vec<[f64; 3]>,
}

/// The 1D weight of parent `a` of a node with direction weights `w` along direction `d`.
#[inline]
fn weight(p: &Parents, w: &[f64; 3], d: usize, a: usize) -> f64 {
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
fn box_pattern(shape: [usize; 3]) -> (SparsityPattern, Vec<u8>) {
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
fn parents_1d(n: usize, coarsen: bool) -> (usize, Vec<Parents>) {
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

/// Geometric multigrid-preconditioned CG/BiCGStab (see the module docs).
pub struct Multigrid {
    levels: Vec<Level>,
    coarse: BandedLu,
    dirichlet: Vec<bool>,
    symmetric: bool,
    opts: MultigridOptions,
    // Krylov vectors.
    y: Vec<f64>,
    r: Vec<f64>,
    rhat: Vec<f64>,
    p: Vec<f64>,
    v: Vec<f64>,
    z: Vec<f64>,
    s: Vec<f64>,
    t: Vec<f64>,
    factored: bool,
    last_iterations: usize,
}

impl std::fmt::Debug for Multigrid {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Multigrid")
            .field("shapes", &self.shapes())
            .field("symmetric", &self.symmetric)
            .field("opts", &self.opts)
            .finish()
    }
}

impl Multigrid {
    /// Build the hierarchy for `pattern` on the tensor grid `layout` (one field per node).
    pub fn new(
        pattern: Arc<SparsityPattern>,
        layout: TensorLayout,
        opts: MultigridOptions,
    ) -> Result<Self, LinearError> {
        if layout.fields != 1 {
            return Err(LinearError::Unsupported(format!(
                "the multigrid solver handles one unknown per node, not {}; use solver = \
                 \"sparse-lu\"",
                layout.fields
            )));
        }
        let shape = layout.shape;
        let n = pattern.dim();
        if shape.iter().product::<usize>() != n || shape.contains(&0) {
            return Err(LinearError::Unsupported(format!(
                "tensor layout {shape:?} does not match the matrix order {n}"
            )));
        }
        let bad = |t: f64| t < 0.0 || t.is_nan();
        if bad(opts.rtol) || bad(opts.atol) || opts.max_iterations == 0 || opts.sweeps == 0 {
            return Err(LinearError::Unsupported(format!(
                "multigrid options {opts:?}: tolerances must be >= 0 and max_iterations, \
                 sweeps >= 1"
            )));
        }
        // Offset codes of the fine pattern.
        let [nx, ny, _] = shape;
        let mut code = Vec::with_capacity(pattern.nnz());
        for i in 0..n {
            let (ix, iy, iz) = (i % nx, (i / nx) % ny, i / (nx * ny));
            for &j in pattern.row(i) {
                let j = j as usize;
                let (jx, jy, jz) = (j % nx, (j / nx) % ny, j / (nx * ny));
                let d = [
                    jx as isize - ix as isize,
                    jy as isize - iy as isize,
                    jz as isize - iz as isize,
                ];
                if d.iter().any(|v| v.abs() > 1) {
                    return Err(LinearError::Unsupported(format!(
                        "entry ({i}, {j}) couples nodes that are not neighbours on the \
                         {shape:?} grid; geometric multigrid needs a nearest-neighbour \
                         stencil; use solver = \"sparse-lu\""
                    )));
                }
                code.push(((d[0] + 1) + 3 * (d[1] + 1) + 9 * (d[2] + 1)) as u8);
            }
        }
        let mut levels = vec![Self::level(shape, CsrMatrix::zeros(pattern), code)];
        loop {
            let last = levels.last_mut().expect("one level");
            let s = last.shape;
            let size: usize = s.iter().product();
            if size <= opts.coarsest_size || s.iter().all(|&m| m < 3) {
                break;
            }
            let mut cs = [1; 3];
            for d in 0..3 {
                let (nc, p) = parents_1d(s[d], s[d] >= 3);
                cs[d] = nc;
                last.parents[d] = p;
            }
            last.w = vec![[0.5; 3]; size];
            let (p, code) = box_pattern(cs);
            levels.push(Self::level(cs, CsrMatrix::zeros(Arc::new(p)), code));
        }
        let coarsest = levels.last().expect("one level").a.pattern().clone();
        let (kl, ku) = coarsest.bandwidths();
        let coarse = BandedLu::new(coarsest.dim(), kl, ku);
        Ok(Multigrid {
            levels,
            coarse,
            dirichlet: vec![false; n],
            symmetric: false,
            opts,
            y: vec![0.0; n],
            r: vec![0.0; n],
            rhat: vec![0.0; n],
            p: vec![0.0; n],
            v: vec![0.0; n],
            z: vec![0.0; n],
            s: vec![0.0; n],
            t: vec![0.0; n],
            factored: false,
            last_iterations: 0,
        })
    }

    fn level(shape: [usize; 3], a: CsrMatrix, code: Vec<u8>) -> Level {
        let n = a.dim();
        let p = a.pattern().clone();
        let diag = (0..n)
            .map(|i| p.position(i, i).expect("diagonal present"))
            .collect();
        Level {
            shape,
            a,
            code,
            diag,
            inv_diag: vec![0.0; n],
            b: vec![0.0; n],
            x: vec![0.0; n],
            r: vec![0.0; n],
            parents: [Vec::new(), Vec::new(), Vec::new()],
            w: Vec::new(),
        }
    }

    /// Grid shapes of the levels, finest first.
    pub fn shapes(&self) -> Vec<[usize; 3]> {
        self.levels.iter().map(|l| l.shape).collect()
    }

    /// Krylov iterations of the last successful or failed solve.
    pub fn last_iterations(&self) -> usize {
        self.last_iterations
    }

    /// Whether the last factored matrix was found symmetric (CG is used under
    /// [`Krylov::Auto`]).
    pub fn is_symmetric(&self) -> bool {
        self.symmetric
    }

    /// Dirichlet rows, symmetry, and the Galerkin products of all coarse levels.
    fn setup(&mut self) -> Result<(), LinearError> {
        let fine = &self.levels[0];
        let p = fine.a.pattern().clone();
        let vals = fine.a.values();
        let n = p.dim();
        for i in 0..n {
            let (a, b) = (p.row_ptr()[i], p.row_ptr()[i + 1]);
            let d = fine.diag[i];
            let off_zero = (a..b).all(|k| k == d || vals[k] == 0.0);
            if vals[d] == 0.0 {
                if off_zero {
                    return Err(LinearError::Singular(i));
                }
                return Err(LinearError::Unsupported(format!(
                    "zero diagonal entry at unknown {i}: Gauss-Seidel smoothing needs \
                     nonzero diagonals; use solver = \"sparse-lu\""
                )));
            }
            if !vals[d].is_finite() {
                return Err(LinearError::Singular(i));
            }
            self.dirichlet[i] = off_zero;
        }
        // Symmetry of the reduced matrix.
        let mut symmetric = true;
        'rows: for i in 0..n {
            if self.dirichlet[i] {
                continue;
            }
            for k in p.row_ptr()[i]..p.row_ptr()[i + 1] {
                let j = p.col_idx()[k] as usize;
                if j <= i || self.dirichlet[j] {
                    continue;
                }
                let aji = p.position(j, i).map_or(0.0, |q| vals[q]);
                let aij = vals[k];
                if (aij - aji).abs() > 1e-12 * (aij.abs() + aji.abs()) {
                    symmetric = false;
                    break 'rows;
                }
            }
        }
        self.symmetric = match self.opts.krylov {
            Krylov::Auto => symmetric,
            Krylov::Cg => true,
            Krylov::BiCgStab => false,
        };
        let nl = self.levels.len();
        for l in 0..nl {
            let lev = &mut self.levels[l];
            let v = lev.a.values();
            for (inv, &d) in lev.inv_diag.iter_mut().zip(&lev.diag) {
                *inv = 1.0 / v[d];
            }
            if l + 1 < nl {
                interpolation_weights(lev);
                let (lo, hi) = self.levels.split_at_mut(l + 1);
                let mask = if l == 0 {
                    Some(&self.dirichlet[..])
                } else {
                    None
                };
                galerkin(&lo[l], &mut hi[0], mask);
            }
        }
        let last = self.levels.last().expect("one level");
        let m = self.coarse.matrix();
        m.clear();
        let cp = last.a.pattern();
        for (i, w) in cp.row_ptr().windows(2).enumerate() {
            for k in w[0]..w[1] {
                m.add(i, cp.col_idx()[k] as usize, last.a.values()[k]);
            }
        }
        self.coarse.factor()
    }

    /// One V-cycle for `A z = levels[0].b` from `z = 0`, result in `levels[0].x`.
    fn vcycle(&mut self) -> Result<(), LinearError> {
        let nl = self.levels.len();
        let sweeps = self.opts.sweeps;
        for l in 0..nl - 1 {
            let (lo, hi) = self.levels.split_at_mut(l + 1);
            let f = &mut lo[l];
            f.x.fill(0.0);
            for _ in 0..sweeps {
                gauss_seidel(f, true);
            }
            residual(f);
            restrict(f, &mut hi[0]);
        }
        {
            let c = self.levels.last_mut().expect("one level");
            c.x.copy_from_slice(&c.b);
            self.coarse.solve(&mut c.x)?;
        }
        for l in (0..nl - 1).rev() {
            let (lo, hi) = self.levels.split_at_mut(l + 1);
            let f = &mut lo[l];
            prolong_add(&hi[0], f);
            if l == 0 {
                for (x, &d) in f.x.iter_mut().zip(&self.dirichlet) {
                    if d {
                        *x = 0.0;
                    }
                }
            }
            for _ in 0..sweeps {
                gauss_seidel(f, false);
            }
        }
        Ok(())
    }

    /// `out = M^{-1} inp` (one V-cycle; Dirichlet components zero).
    fn precondition(&mut self, which: Vec2) -> Result<(), LinearError> {
        let inp: &[f64] = match which {
            Vec2::RtoZ => &self.r,
            Vec2::PtoZ => &self.p,
            Vec2::StoT => &self.s,
        };
        let b = &mut self.levels[0].b;
        for ((b, &x), &d) in b.iter_mut().zip(inp).zip(&self.dirichlet) {
            *b = if d { 0.0 } else { x };
        }
        self.vcycle()?;
        let out = match which {
            Vec2::RtoZ | Vec2::PtoZ => &mut self.z,
            Vec2::StoT => &mut self.t,
        };
        out.copy_from_slice(&self.levels[0].x);
        Ok(())
    }

    fn converged(&self, rnorm: f64, r0: f64) -> bool {
        rnorm <= (self.opts.rtol * r0).max(self.opts.atol)
    }

    fn cg(&mut self, r0: f64) -> Result<usize, LinearError> {
        self.y.fill(0.0);
        self.precondition(Vec2::RtoZ)?;
        self.p.copy_from_slice(&self.z);
        let mut rz = dot(&self.r, &self.z);
        let mut rnorm = r0;
        for k in 1..=self.opts.max_iterations {
            self.levels[0].a.mul_vec(&self.p, &mut self.v);
            let pq = dot(&self.p, &self.v);
            if pq <= 0.0 || pq.is_nan() {
                return Err(LinearError::NotConverged {
                    iterations: k,
                    residual: rnorm / r0,
                });
            }
            let alpha = rz / pq;
            axpy(alpha, &self.p, &mut self.y);
            axpy(-alpha, &self.v, &mut self.r);
            rnorm = norm(&self.r);
            if self.converged(rnorm, r0) {
                return Ok(k);
            }
            self.precondition(Vec2::RtoZ)?;
            let rz_new = dot(&self.r, &self.z);
            let beta = rz_new / rz;
            rz = rz_new;
            for (p, z) in self.p.iter_mut().zip(&self.z) {
                *p = z + beta * *p;
            }
        }
        Err(LinearError::NotConverged {
            iterations: self.opts.max_iterations,
            residual: rnorm / r0,
        })
    }

    /// Right-preconditioned BiCGStab (van der Vorst 1992, Algorithm "BiCGSTAB" with
    /// `K = M`); `z` holds `M^{-1} p`, `t` first `M^{-1} s`, then `A M^{-1} s`.
    fn bicgstab(&mut self, r0: f64) -> Result<usize, LinearError> {
        self.y.fill(0.0);
        self.rhat.copy_from_slice(&self.r);
        self.p.fill(0.0);
        self.v.fill(0.0);
        let (mut rho, mut alpha, mut omega) = (1.0f64, 1.0f64, 1.0f64);
        let mut rnorm = r0;
        let fail = |k: usize, rnorm: f64| LinearError::NotConverged {
            iterations: k,
            residual: rnorm / r0,
        };
        for k in 1..=self.opts.max_iterations {
            let rho_new = dot(&self.rhat, &self.r);
            if rho_new == 0.0 || !rho_new.is_finite() {
                return Err(fail(k, rnorm));
            }
            let beta = (rho_new / rho) * (alpha / omega);
            rho = rho_new;
            for ((p, r), v) in self.p.iter_mut().zip(&self.r).zip(&self.v) {
                *p = r + beta * (*p - omega * v);
            }
            self.precondition(Vec2::PtoZ)?;
            self.levels[0].a.mul_vec(&self.z, &mut self.v);
            let rv = dot(&self.rhat, &self.v);
            if rv == 0.0 || !rv.is_finite() {
                return Err(fail(k, rnorm));
            }
            alpha = rho / rv;
            axpy(alpha, &self.z, &mut self.y);
            // s = r - alpha v.
            for ((s, r), v) in self.s.iter_mut().zip(&self.r).zip(&self.v) {
                *s = r - alpha * v;
            }
            let snorm = norm(&self.s);
            if self.converged(snorm, r0) {
                return Ok(k);
            }
            self.precondition(Vec2::StoT)?;
            // y += omega M^{-1} s needs M^{-1} s after omega is known: keep it in r.
            self.r.copy_from_slice(&self.t);
            self.levels[0].a.mul_vec(&self.r, &mut self.t);
            let tt = dot(&self.t, &self.t);
            omega = if tt > 0.0 {
                dot(&self.t, &self.s) / tt
            } else {
                0.0
            };
            if omega == 0.0 || !omega.is_finite() {
                return Err(fail(k, snorm));
            }
            axpy(omega, &self.r, &mut self.y);
            for ((r, s), t) in self.r.iter_mut().zip(&self.s).zip(&self.t) {
                *r = s - omega * t;
            }
            rnorm = norm(&self.r);
            if self.converged(rnorm, r0) {
                return Ok(k);
            }
        }
        Err(fail(self.opts.max_iterations, rnorm))
    }
}

#[derive(Clone, Copy)]
enum Vec2 {
    RtoZ,
    PtoZ,
    StoT,
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

fn norm(a: &[f64]) -> f64 {
    dot(a, a).sqrt()
}

fn axpy(alpha: f64, x: &[f64], y: &mut [f64]) {
    for (y, x) in y.iter_mut().zip(x) {
        *y += alpha * x;
    }
}

/// One lexicographic Gauss-Seidel sweep on `A x = b` (forward or backward).
fn gauss_seidel(l: &mut Level, forward: bool) {
    let p = l.a.pattern();
    let (rp, ci, v) = (p.row_ptr(), p.col_idx(), l.a.values());
    let n = l.x.len();
    let mut step = |i: usize| {
        let mut s = l.b[i];
        for k in rp[i]..rp[i + 1] {
            s -= v[k] * l.x[ci[k] as usize];
        }
        // The sum included the diagonal term a_ii x_i.
        l.x[i] += s * l.inv_diag[i];
    };
    if forward {
        (0..n).for_each(&mut step);
    } else {
        (0..n).rev().for_each(&mut step);
    }
}

/// `r = b - A x`.
fn residual(l: &mut Level) {
    let p = l.a.pattern();
    let (rp, ci, v) = (p.row_ptr(), p.col_idx(), l.a.values());
    for i in 0..l.r.len() {
        let mut s = l.b[i];
        for k in rp[i]..rp[i + 1] {
            s -= v[k] * l.x[ci[k] as usize];
        }
        l.r[i] = s;
    }
}

/// `c.b = P^T f.r`, `c.x = 0`.
fn restrict(f: &Level, c: &mut Level) {
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
                        for e in 0..px.n as usize {
                            c.b[oy + px.idx[e] as usize] += ry * weight(px, w, 0, e);
                        }
                    }
                }
            }
        }
    }
}

/// `f.x += P c.x`.
fn prolong_add(c: &Level, f: &mut Level) {
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
                        let oy = (oz + py.idx[b] as usize) * cx;
                        for e in 0..px.n as usize {
                            s += w * weight(px, wn, 0, e) * c.x[oy + px.idx[e] as usize];
                        }
                    }
                }
                f.x[i] += s;
                i += 1;
            }
        }
    }
}

/// Operator-dependent interpolation (Alcouffe, Brandt, Dendy and Painter, SIAM J. Sci.
/// Stat. Comput. 2, 430 (1981); de Zeeuw, J. Comput. Appl. Math. 33, 1 (1990)): a fine node
/// between two coarse nodes along direction `d` takes the weight
/// `w_- = s_- / (s_- + s_+)` of the lower one, where `s_-+` sum `|a_ij|` over the row's
/// couplings with offset `-1` / `+1` along `d` (the stencil collapsed onto that line), so
/// that the interpolated correction is continuous in flux, not in value, across a jump of
/// the coefficient; `1/2` (linear) where the coefficient is smooth. Nodes between coarse
/// nodes in several directions take the product of their 1D weights.
fn interpolation_weights(l: &mut Level) {
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
fn galerkin(f: &Level, c: &mut Level, mask: Option<&[bool]>) {
    let [nx, ny, nz] = f.shape;
    let [cx, cy, _] = c.shape;
    // Position of the coarse entry (I, I + o): rank of o among the in-grid offsets of I.
    let low = |i: usize| usize::from(i > 0);
    let cnt = |i: usize, n: usize| 1 + usize::from(i > 0) + usize::from(i + 1 < n);
    let fp = f.a.pattern();
    let (frp, fv) = (fp.row_ptr(), f.a.values());
    let cpat = c.a.pattern().clone();
    let crp = cpat.row_ptr();
    let cvals = c.a.values_mut();
    cvals.fill(0.0);
    let [px, py, pz] = &f.parents;
    let mut i = 0;
    for iz in 0..nz {
        for iy in 0..ny {
            for ix in 0..nx {
                let skip_d = mask.is_some_and(|m| !m[i]);
                for k in frp[i]..frp[i + 1] {
                    let a = fv[k];
                    if a == 0.0 {
                        continue;
                    }
                    let [dx, dy, dz] = offset(f.code[k]);
                    let (jx, jy, jz) = (
                        (ix as isize + dx) as usize,
                        (iy as isize + dy) as usize,
                        (iz as isize + dz) as usize,
                    );
                    let j = jx + nx * (jy + ny * jz);
                    if skip_d && mask.is_some_and(|m| m[j]) {
                        continue;
                    }
                    let (wi, wj) = (&f.w[i], &f.w[j]);
                    let (pix, piy, piz) = (&px[ix], &py[iy], &pz[iz]);
                    let (pjx, pjy, pjz) = (&px[jx], &py[jy], &pz[jz]);
                    for az in 0..piz.n as usize {
                        let iz_c = piz.idx[az] as usize;
                        for bz in 0..pjz.n as usize {
                            let jz_c = pjz.idx[bz] as usize;
                            let wz = a * weight(piz, wi, 2, az) * weight(pjz, wj, 2, bz);
                            let rz = jz_c + low(iz_c) - iz_c;
                            for ay in 0..piy.n as usize {
                                let iy_c = piy.idx[ay] as usize;
                                for by in 0..pjy.n as usize {
                                    let jy_c = pjy.idx[by] as usize;
                                    let wy = wz * weight(piy, wi, 1, ay) * weight(pjy, wj, 1, by);
                                    let ry = jy_c + low(iy_c) - iy_c;
                                    let nyc = cnt(iy_c, cy);
                                    for ax in 0..pix.n as usize {
                                        let ix_c = pix.idx[ax] as usize;
                                        let nxc = cnt(ix_c, cx);
                                        let row = ix_c + cx * (iy_c + cy * iz_c);
                                        let base = crp[row] + (rz * nyc + ry) * nxc;
                                        for bx in 0..pjx.n as usize {
                                            let jx_c = pjx.idx[bx] as usize;
                                            let rx = jx_c + low(ix_c) - ix_c;
                                            cvals[base + rx] += wy
                                                * weight(pix, wi, 0, ax)
                                                * weight(pjx, wj, 0, bx);
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

impl LinearSolver for Multigrid {
    fn matrix(&mut self) -> &mut dyn MatrixSink {
        self.factored = false;
        &mut self.levels[0].a
    }

    fn factor(&mut self) -> Result<(), LinearError> {
        self.factored = false;
        self.setup()?;
        self.factored = true;
        Ok(())
    }

    fn solve(&mut self, b: &mut [f64]) -> Result<(), LinearError> {
        assert!(self.factored, "Multigrid::solve before a successful factor");
        let n = self.y.len();
        assert_eq!(b.len(), n, "right-hand side of the wrong length");
        // x_D = b_D / a_DD, zero elsewhere; r = b - A x (zero in the Dirichlet rows).
        {
            let fine = &self.levels[0];
            let vals = fine.a.values();
            for i in 0..n {
                self.s[i] = if self.dirichlet[i] {
                    b[i] / vals[fine.diag[i]]
                } else {
                    0.0
                };
            }
            fine.a.mul_vec(&self.s, &mut self.r);
            for i in 0..n {
                self.r[i] = if self.dirichlet[i] {
                    0.0
                } else {
                    b[i] - self.r[i]
                };
            }
        }
        let r0 = norm(&self.r);
        self.last_iterations = 0;
        if r0 > self.opts.atol {
            let it = if self.symmetric {
                self.cg(r0)
            } else {
                self.bicgstab(r0)
            };
            match it {
                Ok(k) => self.last_iterations = k,
                Err(e) => {
                    if let LinearError::NotConverged { iterations, .. } = e {
                        self.last_iterations = iterations;
                    }
                    return Err(e);
                }
            }
        } else {
            self.y.fill(0.0);
        }
        // The Dirichlet values (in `s` before BiCGStab overwrote it) once more.
        let fine = &self.levels[0];
        let vals = fine.a.values();
        for i in 0..n {
            b[i] = if self.dirichlet[i] {
                b[i] / vals[fine.diag[i]]
            } else {
                self.y[i]
            };
        }
        Ok(())
    }

    fn memory_bytes(&self) -> usize {
        let lev: usize = self
            .levels
            .iter()
            .map(|l| {
                l.a.memory_bytes()
                    + l.code.len()
                    + l.diag.len() * 8
                    + (l.inv_diag.len() + l.b.len() + l.x.len() + l.r.len()) * 8
                    + l.parents.iter().map(|p| p.len() * 32).sum::<usize>()
            })
            .sum();
        lev + self.coarse.memory_bytes() + self.y.len() * 8 * 8 + self.dirichlet.len()
    }

    fn name(&self) -> &'static str {
        if self.symmetric {
            "multigrid CG"
        } else {
            "multigrid BiCGStab"
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::{make_solver, SolverChoice, Structure};
    use super::*;

    /// `-div(k grad u) + c du/dx = 1` on the unit square/cube with vertex-centred finite
    /// volumes on `n^d` nodes: `k = 1000` in the box `[0.3, 0.7]^d` (not aligned with any
    /// grid level) and `1` outside, harmonic face averages, Dirichlet rows `u = 0` at `x = 0`
    /// and `u = 1` at `x = 1`, zero flux elsewhere; upwind convection of speed `c`
    /// (`c = 0`: symmetric). Optional axisymmetric weights: `y` is the radius and every
    /// box and face is weighted by its `r`.
    pub(crate) fn poisson(
        shape: [usize; 3],
        c: f64,
        axisym: bool,
    ) -> (Structure, Vec<(usize, usize, f64)>, Vec<f64>) {
        let [nx, ny, nz] = shape;
        let n = nx * ny * nz;
        let h = |m: usize| if m > 1 { 1.0 / (m - 1) as f64 } else { 1.0 };
        let hs = [h(nx), h(ny), h(nz)];
        let idx = |x: usize, y: usize, z: usize| x + nx * (y + ny * z);
        let pos =
            |x: usize, y: usize, z: usize| [x as f64 * hs[0], y as f64 * hs[1], z as f64 * hs[2]];
        let dims: Vec<usize> = (0..3).filter(|&d| shape[d] > 1).collect();
        let kappa = |p: [f64; 3]| {
            if dims.iter().all(|&d| (0.3..=0.7).contains(&p[d])) {
                1000.0
            } else {
                1.0
            }
        };
        // Box half-widths: half a spacing inside, a quarter... the box of node m spans
        // [x_m - h/2, x_m + h/2] clipped to [0, 1].
        let width = |d: usize, m: usize| {
            if shape[d] == 1 {
                1.0
            } else if m == 0 || m + 1 == shape[d] {
                hs[d] / 2.0
            } else {
                hs[d]
            }
        };
        let mut entries = Vec::new();
        let mut b = vec![0.0; n];
        let mut rows: Vec<Vec<usize>> = vec![Vec::new(); n];
        for z in 0..nz {
            for y in 0..ny {
                for x in 0..nx {
                    let i = idx(x, y, z);
                    let m = [x, y, z];
                    let p = pos(x, y, z);
                    rows[i].push(i);
                    let r_w = |yy: f64| if axisym { yy.max(0.0) } else { 1.0 };
                    let vol = width(0, x) * width(1, y) * width(2, z);
                    // Axisymmetric box weight: integral of r over [y - h/2, y + h/2] / width.
                    let rv = if axisym {
                        let (lo, hi) =
                            ((p[1] - hs[1] / 2.0).max(0.0), (p[1] + hs[1] / 2.0).min(1.0));
                        (hi * hi - lo * lo) / 2.0 / (hi - lo)
                    } else {
                        1.0
                    };
                    if x == 0 || x + 1 == nx {
                        continue; // Dirichlet row, filled below
                    }
                    b[i] = vol * rv;
                    for &d in &dims {
                        for s in [-1isize, 1] {
                            let mj = m[d] as isize + s;
                            if mj < 0 || mj >= shape[d] as isize {
                                continue;
                            }
                            let mut q = m;
                            q[d] = mj as usize;
                            let j = idx(q[0], q[1], q[2]);
                            let pj = pos(q[0], q[1], q[2]);
                            let kf = 2.0 / (1.0 / kappa(p) + 1.0 / kappa(pj));
                            let mut area = 1.0;
                            for &e in &dims {
                                if e != d {
                                    area *= width(e, m[e]);
                                }
                            }
                            let rf = if d == 1 {
                                r_w((p[1] + pj[1]) / 2.0)
                            } else {
                                rv
                            };
                            let t = kf * area * rf / hs[d];
                            entries.push((i, i, t));
                            entries.push((i, j, -t));
                            rows[i].push(j);
                            if d == 0 && c != 0.0 {
                                // Upwind flux c u out of the face (c > 0: from the left).
                                let f = c * area * rf;
                                if s > 0 {
                                    entries.push((i, i, f));
                                } else {
                                    entries.push((i, j, -f));
                                }
                            }
                        }
                    }
                }
            }
        }
        for z in 0..nz {
            for y in 0..ny {
                for x in [0, nx - 1] {
                    let i = idx(x, y, z);
                    entries.push((i, i, 1.0));
                    b[i] = if x == 0 { 0.0 } else { 1.0 };
                }
            }
        }
        let pattern = Arc::new(SparsityPattern::from_rows(n, &rows));
        let layout = TensorLayout { shape, fields: 1 };
        (
            Structure::Sparse {
                pattern,
                layout: Some(layout),
            },
            entries,
            b,
        )
    }

    fn assemble(s: &mut dyn LinearSolver, entries: &[(usize, usize, f64)]) {
        let m = s.matrix();
        m.clear();
        for &(i, j, v) in entries {
            m.add(i, j, v);
        }
    }

    /// Solve with multigrid and with sparse LU; returns multigrid's iteration count.
    fn compare(shape: [usize; 3], c: f64, axisym: bool, krylov: Krylov) -> usize {
        let (structure, entries, b) = poisson(shape, c, axisym);
        let Structure::Sparse { pattern, layout } = &structure else {
            unreachable!()
        };
        let opts = MultigridOptions {
            krylov,
            coarsest_size: 64,
            ..Default::default()
        };
        let mut mg = Multigrid::new(pattern.clone(), layout.unwrap(), opts).unwrap();
        assemble(&mut mg, &entries);
        mg.factor().unwrap();
        assert_eq!(mg.is_symmetric(), c == 0.0 && krylov != Krylov::BiCgStab);
        let mut x = b.clone();
        mg.solve(&mut x).unwrap();
        // The residual of the original system against that of the Dirichlet values alone
        // (the stopping criterion: rtol = 1e-10).
        let (mut r, mut r0) = (b.clone(), b.clone());
        let dirichlet = |i: usize| i % shape[0] == 0 || i % shape[0] + 1 == shape[0];
        for &(i, j, v) in &entries {
            r[i] -= v * x[j];
            if dirichlet(j) {
                r0[i] -= v * x[j];
            }
        }
        for (i, r0) in r0.iter_mut().enumerate() {
            if dirichlet(i) {
                *r0 = 0.0;
            }
        }
        let (rn, r0n) = (norm(&r), norm(&r0));
        assert!(
            rn <= 1.001e-10 * r0n,
            "{shape:?}: residual {rn:e} of {r0n:e}"
        );
        if b.len() <= 20_000 {
            let mut lu = make_solver(&structure, SolverChoice::SparseLu).unwrap();
            assemble(lu.as_mut(), &entries);
            lu.factor().unwrap();
            let mut y = b.clone();
            lu.solve(&mut y).unwrap();
            let scale = y.iter().fold(0.0f64, |m, v| m.max(v.abs()));
            let err = x
                .iter()
                .zip(&y)
                .fold(0.0f64, |m, (p, q)| m.max((p - q).abs()));
            // rtol 1e-10 on the residual; the error is at most cond times that.
            assert!(err <= 1e-6 * scale, "{shape:?} c={c}: |mg - lu| = {err:e}");
        }
        mg.last_iterations()
    }

    /// Iteration counts of multigrid-preconditioned CG to a relative residual of 1e-10 are
    /// independent of the grid (within 3) for 2D and 3D Poisson with a 1:1000 coefficient
    /// jump and Dirichlet rows: the defining property of multigrid (Trottenberg, Oosterlee
    /// and Schuller, *Multigrid*, 2001, ch. 2), and the solutions agree with sparse LU.
    #[test]
    fn iteration_counts_are_grid_independent_with_a_coefficient_jump() {
        for (sizes, d3) in [(vec![33, 65, 129, 257], false), (vec![9, 17, 33, 65], true)] {
            let its: Vec<usize> = sizes
                .iter()
                .map(|&m| {
                    let shape = if d3 { [m, m, m] } else { [m, m, 1] };
                    compare(shape, 0.0, false, Krylov::Auto)
                })
                .collect();
            eprintln!("3d={d3}: iterations {its:?}");
            let (lo, hi) = (its.iter().min().unwrap(), its.iter().max().unwrap());
            assert!(hi - lo <= 3, "3d={d3}: {its:?}");
            assert!(*hi <= 30, "3d={d3}: {its:?}");
        }
    }

    /// Convection (nonsymmetric: BiCGStab), axisymmetric weights, 1D, odd and even sizes,
    /// and the degenerate sizes 1, 2, 3 (one level, solved by the coarse LU).
    #[test]
    fn nonsymmetric_axisymmetric_and_small_grids() {
        for shape in [
            [1, 1, 1],
            [2, 1, 1],
            [3, 1, 1],
            [255, 1, 1],
            [256, 1, 1],
            [257, 1, 1],
        ] {
            let it = compare(shape, 0.0, false, Krylov::Auto);
            assert!(it <= 12, "{shape:?}: {it}");
        }
        for shape in [[40, 37, 1], [17, 16, 9]] {
            compare(shape, 20.0, false, Krylov::Auto);
            compare(shape, 0.0, false, Krylov::BiCgStab);
            compare(shape, 0.0, true, Krylov::Auto);
        }
    }

    #[test]
    fn failures_are_reported() {
        let (structure, mut entries, b) = poisson([20, 20, 1], 0.0, false);
        let Structure::Sparse { pattern, layout } = &structure else {
            unreachable!()
        };
        // A zero row.
        entries.retain(|e| e.0 != 45);
        let mut mg = Multigrid::new(
            pattern.clone(),
            layout.unwrap(),
            MultigridOptions::default(),
        )
        .unwrap();
        assemble(&mut mg, &entries);
        assert_eq!(mg.factor(), Err(LinearError::Singular(45)));
        // Too few iterations.
        let (_, entries, _) = poisson([20, 20, 1], 0.0, false);
        let opts = MultigridOptions {
            max_iterations: 1,
            coarsest_size: 10,
            ..Default::default()
        };
        let mut mg = Multigrid::new(pattern.clone(), layout.unwrap(), opts).unwrap();
        assemble(&mut mg, &entries);
        mg.factor().unwrap();
        let mut x = b.clone();
        assert!(matches!(
            mg.solve(&mut x),
            Err(LinearError::NotConverged { iterations: 1, .. })
        ));
        // Wrong layouts and non-neighbour couplings.
        let bad = TensorLayout {
            shape: [20, 21, 1],
            fields: 1,
        };
        assert!(Multigrid::new(pattern.clone(), bad, MultigridOptions::default()).is_err());
        let two = TensorLayout {
            shape: [20, 20, 1],
            fields: 2,
        };
        assert!(Multigrid::new(pattern.clone(), two, MultigridOptions::default()).is_err());
        let far = Arc::new(SparsityPattern::from_rows(
            4,
            &[vec![3], vec![], vec![], vec![]],
        ));
        let l = TensorLayout {
            shape: [4, 1, 1],
            fields: 1,
        };
        assert!(Multigrid::new(far, l, MultigridOptions::default()).is_err());
    }
}
