//! Multifrontal sparse LU with a static symmetric ordering and pivoting inside the
//! supernodes.
//!
//! faer's sparse LU pivots across the whole matrix, so it must reserve the fill of every
//! pivot sequence (the Cholesky factor of `A^T A`, see [`super::fill`]); on the coupled
//! Poisson-Nernst-Planck Jacobians of 2D meshes that bound is 10 to 20 times the entries and
//! the operations of an LU that keeps the symmetric fill-reducing order of `A + A^T`. This
//! solver does the latter (the strategy of UMFPACK's symmetric mode, MUMPS and PARDISO):
//!
//! 1. symbolic ([`symbolic`]): the unknowns are grouped by node (consecutive rows with the
//!    same columns), the group graph of `A + A^T` is ordered by approximate minimum degree and
//!    cut into relaxed supernodes by faer's symbolic Cholesky, and the assembly tree is put in
//!    postorder;
//! 2. numeric ([`LinearSolver::factor`]): `B = D_r A D_c` is equilibrated as in
//!    [`super::SparseLu`]; for each supernode (columns `w`, pattern rows `r`) in postorder the
//!    frontal matrix `F` of order `w + r` is assembled from the entries of `B` and the update
//!    matrices of its children (extend-add), its first `w` rows are factored with partial
//!    pivoting among themselves, `P [F11 F12] = L11 [U11 U12]` (faer's dense LU), then
//!    `L21 = F21 U11^{-1}` and the update matrix `F22 - L21 U12` goes to the parent;
//! 3. solve: `P_s` and `L` forward, `U` backward, in the elimination order, then the
//!    residual `b - A x` (one product with `A`): its normwise backward error in the
//!    equilibrated system is checked, and above [`REFINE_ABOVE`] one step of iterative
//!    refinement is taken.
//!
//! Pivots are chosen only inside a supernode, whose rows are whole mesh nodes (every field
//! of a node: [`SparsityPattern::with_groups`], attached by the assembler; without it, runs
//! of identical rows), so a node whose own equations are regular never needs a pivot from
//! another node. Where that fails (a pivot below [`PIVOT_TOLERANCE`] after equilibration,
//! or a backward error above [`MAX_BACKWARD_ERROR`] after refinement) the solver falls back
//! to faer's partial-pivoting LU for the rest of its life, which is slower but decides
//! singularity (and reports it at an unknown) the same way as [`super::SparseLu`]. A
//! solution with `||D_c^{-1} x|| > 1e13 ||D_r b||` (a lower bound of the condition number
//! of the equilibrated matrix) is reported as [`LinearError::Singular`].
//!
//! Every buffer (factors, frontal matrix, update stack, faer's scratch) is allocated at
//! construction: `factor` and `solve` do not allocate (until a fallback).

mod numeric;
mod solve;
mod symbolic;
#[cfg(test)]
mod tests;

use super::sparse_lu::{csc_of, equilibrate};
use super::{
    CsrMatrix, LinearError, LinearSolver, MatrixSink, SparseLu, SparseLuOptions, SparsityPattern,
};
use std::sync::Arc;
use symbolic::Symbolic;

/// Smallest pivot magnitude accepted (the equilibrated matrix has entries of order one);
/// below it the factorization falls back to partial pivoting.
pub const PIVOT_TOLERANCE: f64 = 1e-12;
/// Normwise backward error (equilibrated system) of a solve above which one step of
/// iterative refinement is taken.
pub const REFINE_ABOVE: f64 = 1e-14;
/// Normwise backward error accepted after refinement; above it the solver falls back to
/// partial pivoting.
pub const MAX_BACKWARD_ERROR: f64 = 1e-11;
/// Condition number (of the equilibrated matrix) above which the matrix is singular; the
/// same bound as [`super::SparseLu`].
const SINGULAR_CONDITION: f64 = 1e13;

/// Multifrontal LU with static ordering and pivoting inside supernodes (see the module docs).
pub struct MultifrontalLu {
    a: CsrMatrix,
    sym: Symbolic,
    /// CSC column pointers and row indices of `A`, and for every CSC entry its CSR index.
    col_ptr: Vec<usize>,
    row_idx: Vec<usize>,
    csr_of_csc: Vec<u32>,
    row_scale: Vec<f64>,
    col_scale: Vec<f64>,
    lvals: Vec<f64>,
    uvals: Vec<f64>,
    /// Row permutation of every supernode (positions within the supernode, by new column).
    piv: Vec<usize>,
    /// Who factors which supernode, with the frontal matrices and update stacks (`None`
    /// after a fallback).
    schedule: Option<numeric::Schedule>,
    /// Solve workspace in the new order (the segments of a supernode are in the schedule).
    work: Vec<f64>,
    /// Right-hand side and residual of the refinement step, and `||B||_inf`.
    rhs: Vec<f64>,
    res: Vec<f64>,
    b_norm: f64,
    fallback: Option<Box<SparseLu>>,
    factored: bool,
}

impl std::fmt::Debug for MultifrontalLu {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MultifrontalLu")
            .field("n", &self.sym.n)
            .field("supernodes", &self.sym.supernodes())
            .field("factor_entries", &self.sym.factor_entries())
            .field("fallback", &self.fallback.is_some())
            .finish()
    }
}

/// Why the static-pivot factorization was given up (then partial pivoting takes over).
#[derive(Debug)]
struct Breakdown;

fn alloc_failure(n: usize, bytes: usize) -> LinearError {
    LinearError::Unsupported(format!(
        "the multifrontal LU of a matrix of order {n} needs {:.1} GB for its factors; use \
         solver = \"multigrid\" for large structured grids or a coarser mesh",
        bytes as f64 / 1e9
    ))
}

/// Largest factor storage the solver allocates (bytes).
const MAX_BYTES: usize = 16 << 30;

impl MultifrontalLu {
    /// The symbolic analysis of `pattern` and every buffer of the numeric phase.
    pub fn new(pattern: Arc<SparsityPattern>) -> Result<Self, LinearError> {
        Self::with_relaxation(pattern, Some(symbolic::RELAX))
    }

    /// [`Self::new`] with the given supernode relaxation (`None`: fundamental supernodes
    /// only, which the tests use to force narrow supernodes).
    pub(crate) fn with_relaxation(
        pattern: Arc<SparsityPattern>,
        relax: Option<&[(usize, f64)]>,
    ) -> Result<Self, LinearError> {
        let threads = std::thread::available_parallelism().map_or(1, |t| t.get().min(2));
        Self::with_threads(pattern, relax, threads)
    }

    /// [`Self::with_relaxation`] on at most `threads` threads (1 or 2).
    pub(crate) fn with_threads(
        pattern: Arc<SparsityPattern>,
        relax: Option<&[(usize, f64)]>,
        threads: usize,
    ) -> Result<Self, LinearError> {
        let n = pattern.dim();
        let sym = Symbolic::new(&pattern, relax)?;
        let bytes = 8 * (sym.factor_entries() + sym.max_front * sym.max_front + sym.max_stack);
        if bytes > MAX_BYTES {
            return Err(alloc_failure(n, bytes));
        }
        let (col_ptr, row_idx, csc_pos) = csc_of(&pattern);
        let mut csr_of_csc = vec![0u32; csc_pos.len()];
        for (k, &q) in csc_pos.iter().enumerate() {
            csr_of_csc[q] = k as u32;
        }
        let schedule =
            numeric::Schedule::new(&sym, threads).ok_or_else(|| alloc_failure(n, bytes))?;
        Ok(MultifrontalLu {
            a: CsrMatrix::zeros(pattern),
            lvals: vec![0.0; sym.l_ptr[sym.supernodes()]],
            uvals: vec![0.0; sym.u_ptr[sym.supernodes()]],
            piv: vec![0; n],
            schedule: Some(schedule),
            work: vec![0.0; n],
            rhs: vec![0.0; n],
            res: vec![0.0; n],
            b_norm: 0.0,
            row_scale: vec![1.0; n],
            col_scale: vec![1.0; n],
            col_ptr,
            row_idx,
            csr_of_csc,
            sym,
            fallback: None,
            factored: false,
        })
    }

    /// Floating-point operations of one numeric factorization.
    pub fn flops(&self) -> f64 {
        self.sym.flops
    }

    /// Entries of `L` and `U` (the diagonal blocks counted once).
    pub fn factor_entries(&self) -> usize {
        self.sym.factor_entries()
    }

    /// Whether the numeric factorization runs on two threads (disjoint subtrees of the
    /// assembly tree; see `numeric`).
    pub fn parallel(&self) -> bool {
        self.schedule
            .as_ref()
            .is_some_and(numeric::Schedule::parallel)
    }

    /// Whether the solver gave up static pivoting for faer's partial-pivoting LU.
    pub fn fell_back(&self) -> bool {
        self.fallback.is_some()
    }

    /// The numeric factorization with static pivots (on two threads where the schedule
    /// says so, see [`numeric`]).
    fn factor_static(&mut self) -> Result<(), Breakdown> {
        let MultifrontalLu {
            a,
            sym,
            col_ptr,
            row_idx,
            csr_of_csc,
            row_scale,
            col_scale,
            lvals,
            uvals,
            piv,
            schedule,
            ..
        } = self;
        let Some(schedule) = schedule.as_mut() else {
            return Err(Breakdown);
        };
        let p = a.pattern();
        let ctx = numeric::Ctx {
            a_ptr: p.row_ptr(),
            a_col: p.col_idx(),
            v: a.values(),
            col_ptr,
            row_idx,
            csr_of_csc,
            row_scale,
            col_scale,
            sym,
            out: numeric::Out::new(lvals, uvals, piv),
        };
        schedule.factor(&ctx)
    }

    /// `x <- A^{-1} x = D_c B^{-1} D_r x` with the static-pivot factors.
    fn solve_static(&mut self, x: &mut [f64]) {
        let sym = &self.sym;
        for (i, &u) in sym.perm.iter().enumerate() {
            let u = u as usize;
            self.work[i] = x[u] * self.row_scale[u];
        }
        let fac = solve::Factors {
            sym,
            lvals: &self.lvals,
            uvals: &self.uvals,
            piv: &self.piv,
        };
        if let Some(schedule) = self.schedule.as_mut() {
            schedule.solve(fac, &mut self.work);
        }
        for (i, &u) in sym.perm.iter().enumerate() {
            let u = u as usize;
            x[u] = self.work[i] * self.col_scale[u];
        }
    }

    /// `res = rhs - A x` and the normwise backward error of `x` in the equilibrated system,
    /// `||D_r res||_inf / (||B||_inf ||D_c^{-1} x||_inf + ||D_r rhs||_inf)`; also
    /// `||D_c^{-1} x||_inf / ||D_r rhs||_inf`, a lower bound of `||B^{-1}||_inf`.
    fn residual(&mut self, x: &[f64]) -> (f64, f64) {
        let p = self.a.pattern();
        let v = self.a.values();
        let (mut rn, mut bn, mut xn) = (0.0f64, 0.0f64, 0.0f64);
        for i in 0..p.dim() {
            let mut acc = self.rhs[i];
            for k in p.row_ptr()[i]..p.row_ptr()[i + 1] {
                acc -= v[k] * x[p.col_idx()[k] as usize];
            }
            self.res[i] = acc;
            let ri = self.row_scale[i];
            rn = rn.max((acc * ri).abs());
            bn = bn.max((self.rhs[i] * ri).abs());
            xn = xn.max((x[i] / self.col_scale[i]).abs());
        }
        let berr = rn / (self.b_norm * xn + bn).max(f64::MIN_POSITIVE);
        (berr, if bn > 0.0 { xn / bn } else { 0.0 })
    }

    /// Give up static pivoting: faer's partial-pivoting LU of the assembled values, for
    /// this and every later factorization.
    fn fall_back(&mut self) -> Result<(), LinearError> {
        let mut lu = SparseLu::new(self.a.pattern().clone(), SparseLuOptions::default())?;
        let m = lu.matrix();
        m.clear();
        let p = self.a.pattern();
        for i in 0..p.dim() {
            for k in p.row_ptr()[i]..p.row_ptr()[i + 1] {
                m.add(i, p.col_idx()[k] as usize, self.a.values()[k]);
            }
        }
        // Release the static factors.
        self.lvals = Vec::new();
        self.uvals = Vec::new();
        self.schedule = None;
        let r = lu.factor();
        self.fallback = Some(Box::new(lu));
        r
    }
}

impl LinearSolver for MultifrontalLu {
    fn matrix(&mut self) -> &mut dyn MatrixSink {
        self.factored = false;
        match &mut self.fallback {
            Some(lu) => lu.matrix(),
            None => &mut self.a,
        }
    }

    fn factor(&mut self) -> Result<(), LinearError> {
        self.factored = false;
        if let Some(lu) = &mut self.fallback {
            lu.factor()?;
            self.factored = true;
            return Ok(());
        }
        if self.sym.n == 0 {
            self.factored = true;
            return Ok(());
        }
        equilibrate(
            self.a.pattern(),
            self.a.values(),
            &mut self.row_scale,
            &mut self.col_scale,
        )?;
        // ||B||_inf for the backward errors of the solves.
        let p = self.a.pattern();
        let v = self.a.values();
        self.b_norm = (0..p.dim())
            .map(|i| {
                let ri = self.row_scale[i];
                (p.row_ptr()[i]..p.row_ptr()[i + 1])
                    .map(|k| (v[k] * ri * self.col_scale[p.col_idx()[k] as usize]).abs())
                    .sum::<f64>()
            })
            .fold(0.0, f64::max);
        if self.factor_static().is_err() {
            self.fall_back()?;
        }
        self.factored = true;
        Ok(())
    }

    fn solve(&mut self, b: &mut [f64]) -> Result<(), LinearError> {
        if !self.factored {
            return Err(LinearError::Unsupported(
                "solve() before a successful factor()".into(),
            ));
        }
        if let Some(lu) = &mut self.fallback {
            return lu.solve(b);
        }
        // Solve, check the backward error against that of partial pivoting, refine once
        // if it is larger (pivots restricted to the supernodes admit more element growth),
        // fall back to partial pivoting if refinement does not bring it down.
        self.rhs.copy_from_slice(b);
        self.solve_static(b);
        let (mut berr, inv_norm) = self.residual(b);
        if !berr.is_finite() || inv_norm > SINGULAR_CONDITION {
            return Err(LinearError::Singular(
                (0..b.len())
                    .max_by(|&i, &j| {
                        let f = |k: usize| (b[k] / self.col_scale[k]).abs();
                        f(i).total_cmp(&f(j))
                    })
                    .unwrap_or(0),
            ));
        }
        if berr > REFINE_ABOVE {
            let mut r = std::mem::take(&mut self.res);
            self.solve_static(&mut r);
            for (x, d) in b.iter_mut().zip(&r) {
                *x += d;
            }
            self.res = r;
            berr = self.residual(b).0;
        }
        if berr.is_nan() || berr > MAX_BACKWARD_ERROR {
            b.copy_from_slice(&self.rhs);
            self.fall_back()?;
            return self.fallback.as_mut().map_or(Ok(()), |lu| lu.solve(b));
        }
        Ok(())
    }

    fn memory_bytes(&self) -> usize {
        let own = 8
            * (self.lvals.len()
                + self.uvals.len()
                + self.work.len()
                + 2 * self.rhs.len()
                + self.row_scale.len()
                + self.col_scale.len()
                + self.piv.len()
                + self.col_ptr.len()
                + self.row_idx.len())
            + 4 * (self.csr_of_csc.len() + 2 * self.sym.n + self.sym.rows.len())
            + self
                .schedule
                .as_ref()
                .map_or(0, numeric::Schedule::memory_bytes)
            + self.a.memory_bytes();
        own + self.fallback.as_ref().map_or(0, |lu| lu.memory_bytes())
    }

    fn name(&self) -> &'static str {
        if self.fallback.is_some() {
            "sparse LU (after a static-pivot breakdown)"
        } else {
            "multifrontal LU"
        }
    }
    fn group_order(&self) -> Option<Vec<u32>> {
        // The order of the pattern's node groups (not of groups found from identical rows).
        self.a
            .pattern()
            .groups()
            .is_some()
            .then(|| self.sym.group_perm.clone())
    }
}
