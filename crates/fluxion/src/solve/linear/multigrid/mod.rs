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
//! Symmetric Gauss-Seidel: forward sweeps before the coarse correction and backward sweeps
//! after it, which makes the V-cycle a symmetric preconditioner (required by CG). On levels
//! of at least `par::PAR_MIN` unknowns the rows are ordered in blocks of whole planes
//! separated by single planes (`par.rs`): the blocks are swept concurrently, each
//! lexicographically, then the separators; the backward sweep reverses this order. This is
//! Gauss-Seidel in another ordering of the unknowns (with one thread, or on small levels,
//! the lexicographic one), so the smoothing and the iteration counts stay those of the
//! lexicographic smoother. Residuals, the prolongation and the matrix-vector product run on
//! the same blocks; the Galerkin products (four chunks of planes, two at a time) and the
//! Krylov dot products and updates (two halves) on two threads; the restriction is serial.
//! Gauss-Seidel rather than weighted Jacobi: it needs no damping parameter, smooths
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
//! # Kernels
//! The Galerkin product is formed fine row by fine row through the dense `3^d` box of
//! `(A P)(i, .)` (`hierarchy.rs`); interior rows of every level are also stored as a
//! constant stencil, so that smoothing, residuals and the Krylov matrix-vector product read
//! no column indices there (`stencil.rs`); the pre-smoothing sweep starts from zero and its
//! residual needs only the strictly upper triangle (`cycle.rs`).
//!
//! Every vector and every level's matrix is allocated when the solver is built;
//! `factor()` and `solve()` do not allocate (`tests/linear_alloc.rs`).

mod cycle;
mod hierarchy;
mod krylov;
mod par;
mod stencil;
#[cfg(test)]
mod tests;

use super::{
    BandedLu, CsrMatrix, LinearError, LinearSolver, MatrixSink, SparsityPattern, TensorLayout,
};
use cycle::{gauss_seidel, presmooth, prolong_add, restrict};
use hierarchy::{box_pattern, galerkin, interpolation_weights, parents_1d, Level};
use krylov::{norm, Vec2};
use par::Blocks;
use std::sync::Arc;
use stencil::Stencil;

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
    /// Relative tolerance on the 2-norm of the residual (default `1e-8`). The V-cycle
    /// reduces smooth and oscillating error components at similar rates, so the algebraic
    /// error falls with the residual, to far below the `O(h^2)` discretization error of
    /// the grids this solver is for (about `1e-6` relative at `1e6` unknowns); Newton
    /// corrections need less, and a caller wanting more refines or sets it.
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
            rtol: 1e-8,
            atol: 0.0,
            max_iterations: 200,
            sweeps: 1,
            coarsest_size: 512,
            krylov: Krylov::Auto,
        }
    }
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
            diag,
            inv_diag: vec![0.0; n],
            b: vec![0.0; n],
            x: vec![0.0; n],
            r: vec![0.0; n],
            parents: [Vec::new(), Vec::new(), Vec::new()],
            w: Vec::new(),
            st: Stencil::new(shape, &code),
            code,
            blocks: Blocks::new(shape, rayon::current_num_threads()),
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
            lev.st.load(&lev.a, &lev.code);
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
            presmooth(f, sweeps);
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
                    + l.st.vals.len() * 8
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
