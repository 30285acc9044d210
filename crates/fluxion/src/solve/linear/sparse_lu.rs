//! Sparse direct LU (faer's supernodal/simplicial LU with partial pivoting) with the
//! symbolic analysis done once per pattern.
//!
//! For a Jacobian `A` of fixed pattern the solver
//!
//! 1. at construction converts the CSR pattern to CSC (with the CSC position of every CSR
//!    entry), computes a COLAMD fill-reducing column ordering `Q`, the elimination tree and
//!    the supernodes, and sizes one workspace for factorization and solve;
//! 2. in [`LinearSolver::factor`] equilibrates, `B = D_r A D_c` with `D_r` scaling every row
//!    to unit max norm and then `D_c` every column (as [`super::BandedLu`] does, so pivoting
//!    compares like with like in PNP Jacobians whose rows differ by 20 orders of magnitude),
//!    scatters `B` into CSC order and computes `P B Q = L U` numerically;
//! 3. in [`LinearSolver::solve`] computes `x = D_c B^{-1} D_r b` in place.
//!
//! The CSR arrays of `A` are the CSC arrays of `A^T`, so factoring `A^T` and solving
//! transposed would need no conversion. Measured on the 2D 5-point Laplacian at 1e6
//! unknowns (`linear_bench orient`: faer alone, one thread, alternating, on a shared
//! 2-core machine) the numeric LU of `A` took 13.5 and 11.2 s, that of `A^T` 10.5 and
//! 11.7 s (at 512^2: 2.2 and 2.0 s against 2.2 and 1.8 s): no difference beyond the
//! spread. `A` itself is factored, so that partial pivoting chooses among equations and a
//! structurally singular pivot is reported at a column, i.e. an unknown, as in
//! [`super::BandedLu`]; the price is an `nnz`-long position map (8 bytes per entry).
//!
//! Zero pivots: a row or column of `A` without a nonzero is reported before factoring, with
//! its index. faer does not stop at a (numerically) zero pivot: elimination leaves a pivot
//! of the size of the rounding errors, `~ eps`, and the solve returns finite garbage of size
//! `1/eps`. So `factor()` (unless [`SparseLuOptions::singularity_check`] is off) solves
//! `B y = t` for a fixed vector `t` with entries in `[1, 2)`: `||y||_inf / ||t||_inf` is a
//! lower bound of `||B^{-1}||_inf` (and, for such a `t`, usually within a small factor of
//! it); when `||y||_inf` exceeds `1e13` (`B` is equilibrated, so this bounds the condition
//! number: an exactly singular matrix gives `1e15..1e16` from its rounding-size pivot, and a
//! solve at condition `1e13` keeps at most three correct digits) the matrix is reported
//! [`LinearError::Singular`] at the unknown where `|y|` is largest, i.e. where the null
//! vector lives. The check costs one solve per factorization. A non-finite solution in
//! [`LinearSolver::solve`] is reported the same way.
//!
//! Allocation: faer's numeric LU discovers the fill with the pivots, so its L and U storage
//! grows in the first `factor()`; later factorizations reuse that capacity. faer's
//! simplicial LU (chosen for small or very sparse factors) then allocates nothing; its
//! supernodal LU allocates and frees its per-supernode update buffers in every numeric
//! factorization (on a 2D 201 x 201 Laplacian: 13144 allocations, 28 MB in total, every
//! time; `tests/linear_alloc.rs`). `solve()` allocates nothing.

use super::{CsrMatrix, LinearError, LinearSolver, MatrixSink, SparsityPattern};
use faer::dyn_stack::{MemBuffer, MemStack, StackReq};
use faer::linalg::lu::partial_pivoting::factor::PartialPivLuParams;
use faer::sparse::linalg::lu::{
    factorize_symbolic_lu, LuRef, LuSymbolicParams, NumericLu, SymbolicLu,
};
use faer::sparse::linalg::LuError;
use faer::sparse::{SparseColMatRef, SymbolicSparseColMatRef};
use faer::{Conj, MatMut, Par, Spec};
use std::sync::Arc;

/// Options of [`SparseLu`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct SparseLuOptions {
    /// Threads for faer's dense kernels inside the supernodes (`1`: sequential, which is the
    /// default and keeps results bit-identical whatever the machine's core count; `0`: all
    /// of rayon's threads).
    pub threads: usize,
    /// Detect numerically singular matrices in `factor()` by one extra solve (see the module
    /// docs); default `true`.
    pub singularity_check: bool,
}

impl Default for SparseLuOptions {
    fn default() -> Self {
        SparseLuOptions {
            threads: 1,
            singularity_check: true,
        }
    }
}

/// Condition number (of the equilibrated matrix) above which `factor()` reports a singular
/// matrix.
const SINGULAR_CONDITION: f64 = 1e13;

/// Sparse LU with partial pivoting and a fill-reducing ordering computed once per pattern
/// (see the module docs).
pub struct SparseLu {
    a: CsrMatrix,
    /// CSC column pointers of `A`.
    col_ptr: Vec<usize>,
    /// CSC row indices of `A`.
    row_idx: Vec<usize>,
    /// CSC position of every CSR entry.
    csc_pos: Vec<usize>,
    /// Equilibrated values `B = D_r A D_c`, in CSC order.
    scaled: Vec<f64>,
    row_scale: Vec<f64>,
    col_scale: Vec<f64>,
    symbolic: SymbolicLu<usize>,
    numeric: NumericLu<usize, f64>,
    mem: MemBuffer,
    par: Par,
    /// Workspace of the singularity check (empty if it is off).
    probe: Vec<f64>,
    factored: bool,
}

impl std::fmt::Debug for SparseLu {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SparseLu")
            .field("n", &self.a.dim())
            .field("nnz", &self.scaled.len())
            .field("factored", &self.factored)
            .finish()
    }
}

/// The CSC arrays `(col_ptr, row_idx)` of `pattern` and the CSC position of every CSR entry
/// (the CSR arrays of `A` are the CSC arrays of `A^T`).
pub(crate) fn csc_of(pattern: &SparsityPattern) -> (Vec<usize>, Vec<usize>, Vec<usize>) {
    let n = pattern.dim();
    let mut col_ptr = vec![0usize; n + 1];
    for &j in pattern.col_idx() {
        col_ptr[j as usize + 1] += 1;
    }
    for j in 0..n {
        col_ptr[j + 1] += col_ptr[j];
    }
    let mut next = col_ptr.clone();
    let mut row_idx = vec![0usize; pattern.nnz()];
    let mut csc_pos = vec![0usize; pattern.nnz()];
    for i in 0..n {
        for k in pattern.row_ptr()[i]..pattern.row_ptr()[i + 1] {
            let j = pattern.col_idx()[k] as usize;
            row_idx[next[j]] = i;
            csc_pos[k] = next[j];
            next[j] += 1;
        }
    }
    (col_ptr, row_idx, csc_pos)
}

fn faer_failure(e: impl std::fmt::Debug, n: usize) -> LinearError {
    LinearError::Unsupported(format!(
        "faer's sparse LU failed on a matrix of order {n} ({e:?}): the factors do not fit in \
         memory or overflow the index type; use solver = \"multigrid\" for large structured grids"
    ))
}

impl SparseLu {
    /// The symbolic analysis of `pattern` (COLAMD ordering, elimination tree, supernodes) and
    /// every workspace.
    pub fn new(
        pattern: Arc<SparsityPattern>,
        options: SparseLuOptions,
    ) -> Result<Self, LinearError> {
        let n = pattern.dim();
        let (col_ptr, row_idx, csc_pos) = csc_of(&pattern);
        let par = if options.threads == 1 {
            Par::Seq
        } else {
            Par::rayon(options.threads)
        };
        // SAFETY-free: the pattern has sorted, in-range, duplicate-free rows (checked by
        // `SparsityPattern`), which is what `new_checked` verifies again.
        let sym = SymbolicSparseColMatRef::new_checked(n, n, &col_ptr, None, &row_idx);
        let symbolic = factorize_symbolic_lu(sym, LuSymbolicParams::default())
            .map_err(|e| faer_failure(e, n))?;
        let params: Spec<PartialPivLuParams, f64> = Default::default();
        let req = StackReq::any_of(&[
            symbolic.factorize_numeric_lu_scratch::<f64>(par, params),
            symbolic.solve_in_place_scratch::<f64>(1, par),
        ]);
        let mem = MemBuffer::try_new(req).map_err(|e| faer_failure(e, n))?;
        let nnz = pattern.nnz();
        Ok(SparseLu {
            a: CsrMatrix::zeros(pattern),
            col_ptr,
            row_idx,
            csc_pos,
            scaled: vec![0.0; nnz],
            row_scale: vec![1.0; n],
            col_scale: vec![1.0; n],
            symbolic,
            numeric: NumericLu::new(),
            mem,
            par,
            probe: if options.singularity_check {
                vec![0.0; n]
            } else {
                Vec::new()
            },
            factored: false,
        })
    }

    /// Row and column equilibration of the assembled values into `scaled`.
    fn equilibrate(&mut self) -> Result<(), LinearError> {
        let p = self.a.pattern().clone();
        equilibrate(
            &p,
            self.a.values(),
            &mut self.row_scale,
            &mut self.col_scale,
        )?;
        let (row_ptr, col_idx) = (p.row_ptr(), p.col_idx());
        let v = self.a.values();
        for i in 0..p.dim() {
            let r = self.row_scale[i];
            for k in row_ptr[i]..row_ptr[i + 1] {
                self.scaled[self.csc_pos[k]] = v[k] * r * self.col_scale[col_idx[k] as usize];
            }
        }
        Ok(())
    }
}

/// Row and column equilibration of the values `v` of a matrix with pattern `p`: `row_scale`
/// makes every row of `A` unit in max norm, then `col_scale` every column of `D_r A`. A row
/// or column without a nonzero (or with a non-finite entry) is reported as
/// [`LinearError::Singular`] at its index.
pub(crate) fn equilibrate(
    p: &SparsityPattern,
    v: &[f64],
    row_scale: &mut [f64],
    col_scale: &mut [f64],
) -> Result<(), LinearError> {
    let (row_ptr, col_idx) = (p.row_ptr(), p.col_idx());
    for i in 0..p.dim() {
        let m = v[row_ptr[i]..row_ptr[i + 1]]
            .iter()
            .fold(0.0f64, |m, x| m.max(x.abs()));
        if m == 0.0 || !m.is_finite() {
            return Err(LinearError::Singular(i));
        }
        row_scale[i] = 1.0 / m;
    }
    col_scale.fill(0.0);
    for i in 0..p.dim() {
        let r = row_scale[i];
        for k in row_ptr[i]..row_ptr[i + 1] {
            let s = (v[k] * r).abs();
            let c = &mut col_scale[col_idx[k] as usize];
            if s > *c {
                *c = s;
            }
        }
    }
    for (j, c) in col_scale.iter_mut().enumerate() {
        if *c == 0.0 {
            return Err(LinearError::Singular(j));
        }
        *c = 1.0 / *c;
    }
    Ok(())
}

impl LinearSolver for SparseLu {
    fn matrix(&mut self) -> &mut dyn MatrixSink {
        self.factored = false;
        &mut self.a
    }

    fn factor(&mut self) -> Result<(), LinearError> {
        self.factored = false;
        let n = self.a.dim();
        if n == 0 {
            self.factored = true;
            return Ok(());
        }
        self.equilibrate()?;
        // SAFETY-free view: the arrays were checked in `new`.
        let sym = unsafe {
            SymbolicSparseColMatRef::new_unchecked(n, n, &self.col_ptr, None, &self.row_idx)
        };
        let bt = SparseColMatRef::new(sym, &self.scaled);
        let stack = MemStack::new(&mut self.mem);
        match self.symbolic.factorize_numeric_lu(
            &mut self.numeric,
            bt,
            self.par,
            stack,
            Default::default(),
        ) {
            Ok(_) => {}
            Err(LuError::SymbolicSingular { index }) => {
                // `index` counts pivots in the fill-reducing column order.
                let (fwd, _) = self.symbolic.col_perm().arrays();
                return Err(LinearError::Singular(
                    fwd.get(index).copied().unwrap_or(index),
                ));
            }
            Err(LuError::Generic(e)) => return Err(faer_failure(e, n)),
        }
        if !self.probe.is_empty() {
            // t_i in [1, 2), aperiodic (golden-ratio sequence).
            for (i, t) in self.probe.iter_mut().enumerate() {
                *t = 1.0 + (i as f64 * 0.618_033_988_749_895).fract();
            }
            let lu = LuRef::new_unchecked(&self.symbolic, &self.numeric);
            let stack = MemStack::new(&mut self.mem);
            lu.solve_in_place_with_conj(
                Conj::No,
                MatMut::from_column_major_slice_mut(&mut self.probe, n, 1),
                self.par,
                stack,
            );
            let (mut worst, mut at) = (0.0f64, 0);
            for (i, y) in self.probe.iter().enumerate() {
                let a = if y.is_finite() {
                    y.abs()
                } else {
                    f64::INFINITY
                };
                if a > worst {
                    (worst, at) = (a, i);
                }
            }
            // ||t||_inf in [1, 2): worst / ||t|| >= worst / 2.
            if worst > SINGULAR_CONDITION {
                return Err(LinearError::Singular(at));
            }
        }
        self.factored = true;
        Ok(())
    }

    fn solve(&mut self, b: &mut [f64]) -> Result<(), LinearError> {
        let n = self.a.dim();
        assert!(self.factored, "SparseLu::solve before a successful factor");
        assert_eq!(b.len(), n, "right-hand side of the wrong length");
        if n == 0 {
            return Ok(());
        }
        for (x, r) in b.iter_mut().zip(&self.row_scale) {
            *x *= r;
        }
        let lu = LuRef::new_unchecked(&self.symbolic, &self.numeric);
        let stack = MemStack::new(&mut self.mem);
        lu.solve_in_place_with_conj(
            Conj::No,
            MatMut::from_column_major_slice_mut(b, n, 1),
            self.par,
            stack,
        );
        for (i, (x, c)) in b.iter_mut().zip(&self.col_scale).enumerate() {
            if !x.is_finite() {
                return Err(LinearError::Singular(i));
            }
            *x *= c;
        }
        Ok(())
    }

    fn memory_bytes(&self) -> usize {
        // Matrix, pattern copy, scaled values, scales and workspaces. faer does not expose
        // the size of the L and U factors, which are not included.
        self.a.memory_bytes()
            + (self.col_ptr.len() + self.row_idx.len() + self.csc_pos.len()) * 8
            + self.scaled.len() * 8
            + (self.row_scale.len() + self.col_scale.len()) * 8
            + self.mem.len()
            + self.probe.len() * 8
    }

    fn name(&self) -> &'static str {
        "sparse LU"
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::{dense_solve, load, random_sparse, residual_norm};
    use super::super::{make_solver, BandedLu, SolverChoice, Structure};
    use super::*;

    /// Random well-conditioned sparse matrices (diagonally dominant after a random row
    /// scaling over 12 decades) against a dense partial-pivoting reference and against
    /// [`BandedLu`] over the pattern's bandwidth, at sizes straddling faer's block sizes.
    #[test]
    fn matches_dense_and_banded_references_at_straddling_sizes() {
        for n in [1, 2, 3, 255, 256, 257] {
            for seed in 0..3u64 {
                let (pattern, rows) = random_sparse(n, 4, seed * 1000 + n as u64, false);
                let x: Vec<f64> = (0..n).map(|i| 1.0 + ((i * 7) % 11) as f64).collect();
                let mut b = vec![0.0; n];
                for (i, r) in rows.iter().enumerate() {
                    b[i] = r.iter().map(|&(j, v)| v * x[j]).sum();
                }
                let structure = Structure::Sparse {
                    pattern: pattern.clone(),
                    layout: None,
                };
                let mut lu = make_solver(&structure, SolverChoice::SparseLu).unwrap();
                assert_eq!(lu.name(), "sparse LU");
                load(lu.as_mut(), &rows);
                lu.factor().unwrap();
                let mut y = b.clone();
                lu.solve(&mut y).unwrap();
                let dense = dense_solve(n, &rows, &b).unwrap();
                let (kl, ku) = pattern.bandwidths();
                let mut band = BandedLu::new(n, kl, ku);
                load(&mut band, &rows);
                band.factor().unwrap();
                let mut z = b.clone();
                band.solve(&mut z).unwrap();
                for i in 0..n {
                    assert!(
                        (y[i] - x[i]).abs() < 1e-10 * x[i].abs(),
                        "n={n} {i}: {} vs {}",
                        y[i],
                        x[i]
                    );
                    assert!((y[i] - dense[i]).abs() < 1e-10 * x[i].abs());
                    assert!((y[i] - z[i]).abs() < 1e-10 * x[i].abs());
                }
                assert!(residual_norm(&rows, &y, &b) < 1e-12);
            }
        }
    }

    /// The symbolic analysis is reused: new values on the same pattern (including a row whose
    /// diagonal becomes zero, so that a different pivot row is chosen) are solved exactly.
    #[test]
    fn refactorization_with_new_values_and_zero_diagonals() {
        let n = 257;
        let (pattern, rows) = random_sparse(n, 3, 7, false);
        let (_, rows2) = random_sparse(n, 3, 7, true);
        let mut lu = SparseLu::new(pattern, SparseLuOptions::default()).unwrap();
        for rows in [&rows, &rows2, &rows] {
            let x: Vec<f64> = (0..n).map(|i| (i as f64 * 0.37).sin()).collect();
            let mut b = vec![0.0; n];
            for (i, r) in rows.iter().enumerate() {
                b[i] = r.iter().map(|&(j, v)| v * x[j]).sum();
            }
            let want = dense_solve(n, rows, &b).unwrap();
            load(&mut lu, rows);
            lu.factor().unwrap();
            lu.solve(&mut b).unwrap();
            for i in 0..n {
                assert!(
                    (b[i] - want[i]).abs() < 1e-9,
                    "{i}: {} vs {}",
                    b[i],
                    want[i]
                );
            }
        }
    }

    /// A zero row, a zero column and a numerically singular matrix (two equal rows) are
    /// reported as `Singular`, the first two at their index.
    #[test]
    fn singular_matrices_are_reported() {
        let n = 5;
        let full: Vec<Vec<usize>> = (0..n).map(|_| (0..n).collect()).collect();
        let pattern = Arc::new(SparsityPattern::from_rows(n, &full));
        let mut lu = SparseLu::new(pattern, SparseLuOptions::default()).unwrap();
        let base: Vec<Vec<(usize, f64)>> = (0..n)
            .map(|i| {
                (0..n)
                    .map(|j| {
                        (
                            j,
                            if i == j {
                                4.0
                            } else {
                                1.0 / (1 + i + j) as f64
                            },
                        )
                    })
                    .collect()
            })
            .collect();
        // Zero row 2.
        let mut rows = base.clone();
        rows[2].clear();
        load(&mut lu, &rows);
        assert_eq!(lu.factor(), Err(LinearError::Singular(2)));
        // Zero column 3.
        let rows: Vec<Vec<(usize, f64)>> = base
            .iter()
            .map(|r| r.iter().copied().filter(|&(j, _)| j != 3).collect())
            .collect();
        load(&mut lu, &rows);
        assert_eq!(lu.factor(), Err(LinearError::Singular(3)));
        // Rows 1 and 4 equal.
        let mut rows = base.clone();
        rows[4] = rows[1].clone();
        load(&mut lu, &rows);
        let r = lu.factor().and_then(|_| {
            let mut b = vec![1.0; n];
            lu.solve(&mut b)
        });
        assert!(matches!(r, Err(LinearError::Singular(_))), "{r:?}");
        // A regular matrix afterwards factors again.
        load(&mut lu, &base);
        lu.factor().unwrap();
    }
}
