//! Linear solvers under Newton, continuation and BDF.
//!
//! The split follows diffsol's `LinearSolver`: a solver is built once for a matrix
//! [`Structure`] (the symbolic analysis: band widths, a sparsity pattern and its fill-reducing
//! ordering, a multigrid hierarchy), then for every Newton iteration
//!
//! 1. the assembler writes the Jacobian through [`LinearSolver::matrix`] (a [`MatrixSink`]
//!    that only accepts entries of the structure, after [`MatrixSink::clear`]);
//! 2. [`LinearSolver::factor`] prepares the solve for these values (numeric LU, or the
//!    preconditioner of an iterative method);
//! 3. [`LinearSolver::solve`] overwrites a right-hand side `b` with `A^{-1} b`, possibly
//!    several times with the same factors (Newton's simplified corrections).
//!
//! Every buffer is allocated when the solver is built; steps 1-3 do not allocate (except
//! inside faer's numeric factorization, which grows its L and U storage with the fill it
//! discovers while pivoting; see [`SparseLu`]).
//!
//! Implementations, selected by [`SolverChoice`]:
//! - [`BandedLu`]: LAPACK-style banded LU with partial pivoting (banded structures);
//! - [`BlockTridiagonalLu`]: block Thomas algorithm with pivoting inside the `b x b` blocks,
//!   for 1D meshes with `b` interleaved fields ([`Structure::BlockTridiagonal`]);
//! - [`MultifrontalLu`]: multifrontal LU in a symmetric minimum-degree order of the node
//!   graph with pivoting inside the supernodes (general sparse patterns, and small
//!   structured grids), falling back to [`SparseLu`] where those pivots fail;
//! - [`SparseLu`]: faer's sparse LU with partial pivoting and a fill-reducing ordering
//!   computed once per pattern (explicit choice, and the fallback);
//! - [`Multigrid`]: CG or BiCGStab preconditioned by a geometric multigrid V-cycle with
//!   Galerkin coarse operators, for large structured grids ([`TensorLayout`], one field
//!   per node).

mod block_tridiagonal;
pub mod fill;
mod multifrontal;
mod multigrid;
mod sparse;
mod sparse_lu;
#[cfg(test)]
mod testing;

pub use block_tridiagonal::BlockTridiagonalLu;
pub use multifrontal::MultifrontalLu;
pub use multigrid::{Krylov, Multigrid, MultigridOptions};
pub use sparse::{CsrMatrix, SparsityPattern};
pub use sparse_lu::{SparseLu, SparseLuOptions};

use super::banded::BandMatrix;
use std::sync::Arc;

/// Write access to a Jacobian whose structure is fixed in advance.
///
/// `add(i, j, v)` adds `v` to entry `(i, j)`; entries outside the structure are a bug of the
/// assembler (debug builds panic, release builds ignore them in sparse storage).
pub trait MatrixSink {
    /// Order of the matrix.
    fn dim(&self) -> usize;
    /// Set every stored entry to zero (keeps the allocation).
    fn clear(&mut self);
    /// Add `v` to entry `(i, j)`.
    fn add(&mut self, i: usize, j: usize, v: f64);
    /// Add `scale * block` to the `rows x cols` entries from `(i, j)` on (`block` row-major,
    /// `rows * cols` values; zeros are skipped). Storages with dense blocks override this
    /// to add a whole node block at once (the assembler's interior faces and nodes).
    fn add_block(
        &mut self,
        i: usize,
        j: usize,
        rows: usize,
        cols: usize,
        block: &[f64],
        scale: f64,
    ) {
        for r in 0..rows {
            for (c, &v) in block[r * cols..(r + 1) * cols].iter().enumerate() {
                if v != 0.0 {
                    self.add(i + r, j + c, scale * v);
                }
            }
        }
    }
    /// Set every stored entry of row `i` to zero (to replace an equation).
    fn zero_row(&mut self, i: usize);
    /// Entry `(i, j)` (zero where nothing is stored). Meant for tests and diagnostics; only
    /// meaningful before [`LinearSolver::factor`].
    fn get(&self, i: usize, j: usize) -> f64;
    /// Split the storage at row `row` for an assembly on two threads: call `f` with a sink
    /// of the rows `0..row` and one of the rows `row..dim` (each addressed by global
    /// indices, each adding only to its own rows, so the two may be filled at once) and
    /// return `true`; or return `false` without calling `f` where the storage cannot be
    /// split there (the default).
    fn split_rows(&mut self, _row: usize, _f: &mut dyn FnMut(RowPart, RowPart)) -> bool {
        false
    }
}

/// One of the two row ranges of [`MatrixSink::split_rows`], which another thread may fill.
pub type RowPart<'a> = &'a mut (dyn MatrixSink + Send);

impl MatrixSink for BandMatrix {
    fn dim(&self) -> usize {
        self.n()
    }
    fn clear(&mut self) {
        BandMatrix::clear(self)
    }
    #[inline]
    fn add(&mut self, i: usize, j: usize, v: f64) {
        BandMatrix::add(self, i, j, v)
    }
    fn zero_row(&mut self, i: usize) {
        BandMatrix::clear_row(self, i)
    }
    fn get(&self, i: usize, j: usize) -> f64 {
        BandMatrix::get(self, i, j)
    }
}

/// Tensor-product layout of the unknowns of a structured grid, for geometric multigrid:
/// `fields` unknowns per node, nodes numbered with `x` fastest, then `y`, then `z`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TensorLayout {
    /// Nodes per direction (`1` for unused directions).
    pub shape: [usize; 3],
    /// Unknowns per node, interleaved.
    pub fields: usize,
}

/// The nonzero structure of a Jacobian, known before any value.
#[derive(Clone, Debug)]
pub enum Structure {
    /// Entries within `lower` sub- and `upper` super-diagonals.
    Banded {
        /// Order.
        n: usize,
        /// Sub-diagonals.
        lower: usize,
        /// Super-diagonals.
        upper: usize,
    },
    /// A general sparsity pattern (rows sorted, diagonal present), optionally with the
    /// tensor layout of a structured grid (lets [`SolverChoice::Auto`] pick multigrid).
    Sparse {
        /// The pattern.
        pattern: Arc<SparsityPattern>,
        /// Tensor layout of the unknowns, if the mesh is structured.
        layout: Option<TensorLayout>,
    },
    /// Block tridiagonal: `blocks` nodes of `block_size` interleaved unknowns, node `k`
    /// coupled only to nodes `k - 1`, `k`, `k + 1` (1D meshes with several fields; unknown
    /// `i` belongs to node `i / block_size`).
    BlockTridiagonal {
        /// Nodes.
        blocks: usize,
        /// Unknowns per node.
        block_size: usize,
        /// Which entries `(r, c)` of the off-diagonal blocks may be nonzero
        /// (`coupling[r * block_size + c]`; the fields a flux couples across a face), `None`
        /// for dense blocks. Lets [`BlockTridiagonalLu`] store only those.
        coupling: Option<Vec<bool>>,
    },
}

impl Structure {
    /// Order of the matrix.
    pub fn dim(&self) -> usize {
        match self {
            Structure::Banded { n, .. } => *n,
            Structure::Sparse { pattern, .. } => pattern.dim(),
            Structure::BlockTridiagonal {
                blocks, block_size, ..
            } => blocks * block_size,
        }
    }
}

/// Which linear solver Newton uses.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum SolverChoice {
    /// Banded LU for banded structures, block-tridiagonal LU for block-tridiagonal ones,
    /// and for sparse ones multigrid on large structured grids (see
    /// [`auto_prefers_multigrid`]), the multifrontal LU otherwise.
    #[default]
    Auto,
    /// Banded LU (banded structures, and block-tridiagonal ones as a band of `2b - 1`
    /// diagonals on either side).
    Banded,
    /// Block-tridiagonal LU ([`BlockTridiagonalLu`]) for block-tridiagonal structures.
    BlockTridiagonal,
    /// Sparse LU with partial pivoting ([`SparseLu`], faer) for sparse structures.
    SparseLu,
    /// Multifrontal LU with a static symmetric ordering ([`MultifrontalLu`]) for sparse
    /// structures (falls back to [`SparseLu`] where its pivots fail).
    Multifrontal,
    /// Krylov with a geometric multigrid preconditioner ([`Multigrid`]) for sparse
    /// structures with a [`TensorLayout`] of one field per node.
    Multigrid,
}

/// Why a linear solve failed.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum LinearError {
    /// A zero pivot: the matrix is singular to working precision at this unknown.
    #[error("the Jacobian is singular (first zero pivot at unknown {0})")]
    Singular(usize),
    /// An iterative solver did not reach its tolerance.
    #[error("the iterative linear solver did not converge: relative residual {residual:.3e} after {iterations} iterations")]
    NotConverged {
        /// Iterations done.
        iterations: usize,
        /// Relative residual reached.
        residual: f64,
    },
    /// The requested solver cannot handle this structure.
    #[error("{0}")]
    Unsupported(String),
}

impl LinearError {
    /// The unknown at which the solve broke down, if known.
    pub fn unknown(&self) -> Option<usize> {
        match self {
            LinearError::Singular(i) => Some(*i),
            _ => None,
        }
    }
}

/// A linear solver bound to one matrix structure (see the module docs for the protocol).
pub trait LinearSolver: Send {
    /// The matrix to assemble into.
    fn matrix(&mut self) -> &mut dyn MatrixSink;
    /// Prepare solves with the current matrix values.
    fn factor(&mut self) -> Result<(), LinearError>;
    /// Overwrite `b` with `A^{-1} b` (after a successful [`Self::factor`]).
    fn solve(&mut self, b: &mut [f64]) -> Result<(), LinearError>;
    /// Bytes held by the matrix, its factors and the solver's workspace.
    fn memory_bytes(&self) -> usize;
    /// Short name for reports (`"banded LU"`, `"sparse LU"`, ...).
    fn name(&self) -> &'static str;
    /// The fill-reducing elimination order of the pattern's groups (mesh nodes) this
    /// solver computed, if it computed one ([`MultifrontalLu`]): another system on the same
    /// mesh can reuse it ([`SparsityPattern::with_group_order`]) instead of ordering again.
    fn group_order(&self) -> Option<Vec<u32>> {
        None
    }
}

/// Build the solver for `structure` (the symbolic step, done once per structure).
pub fn make_solver(
    structure: &Structure,
    choice: SolverChoice,
) -> Result<Box<dyn LinearSolver>, LinearError> {
    match (structure, choice) {
        (Structure::Banded { n, lower, upper }, SolverChoice::Auto | SolverChoice::Banded) => {
            Ok(Box::new(BandedLu::new(*n, *lower, *upper)))
        }
        (
            Structure::BlockTridiagonal {
                blocks,
                block_size,
                coupling,
            },
            SolverChoice::Auto | SolverChoice::BlockTridiagonal,
        ) => Ok(Box::new(match coupling {
            Some(c) => BlockTridiagonalLu::with_coupling(*blocks, *block_size, c)?,
            None => BlockTridiagonalLu::new(*blocks, *block_size)?,
        })),
        (
            Structure::BlockTridiagonal {
                blocks, block_size, ..
            },
            SolverChoice::Banded,
        ) => {
            let w = (2 * block_size).saturating_sub(1);
            Ok(Box::new(BandedLu::new(blocks * block_size, w, w)))
        }
        (Structure::BlockTridiagonal { .. }, _) | (_, SolverChoice::BlockTridiagonal) => {
            Err(LinearError::Unsupported(format!(
                "solver {choice:?} does not apply to a {} structure; use solver = \"auto\"",
                match structure {
                    Structure::Banded { .. } => "banded",
                    Structure::Sparse { .. } => "sparse",
                    Structure::BlockTridiagonal { .. } => "block-tridiagonal",
                }
            )))
        }
        (Structure::Sparse { .. }, SolverChoice::Banded) => Err(LinearError::Unsupported(
            "the banded LU needs a banded structure (1D grids); use solver = \"auto\"".into(),
        )),
        (Structure::Banded { .. }, SolverChoice::SparseLu | SolverChoice::Multifrontal) => {
            Err(LinearError::Unsupported(
                "the sparse LU needs a sparse structure; use solver = \"auto\" or \"banded\" \
             for banded (1D) structures"
                    .into(),
            ))
        }
        (Structure::Banded { .. }, SolverChoice::Multigrid) => Err(LinearError::Unsupported(
            "the multigrid solver needs a sparse structure with the tensor layout of a \
             structured grid; use solver = \"auto\" for banded (1D) structures"
                .into(),
        )),
        (Structure::Sparse { pattern, layout }, SolverChoice::Multigrid) => match layout {
            Some(l) => Ok(Box::new(Multigrid::new(
                pattern.clone(),
                *l,
                MultigridOptions::default(),
            )?)),
            None => Err(LinearError::Unsupported(
                "the multigrid solver needs the tensor layout of a structured grid, and this \
                 mesh has none; use solver = \"sparse-lu\""
                    .into(),
            )),
        },
        (Structure::Sparse { pattern, layout }, SolverChoice::Auto) => {
            if let Some(l) = layout.filter(|l| auto_prefers_multigrid(l, pattern.dim())) {
                if let Ok(mg) = Multigrid::new(pattern.clone(), l, MultigridOptions::default()) {
                    return Ok(Box::new(mg));
                }
            }
            Ok(Box::new(MultifrontalLu::new(pattern.clone())?))
        }
        (Structure::Sparse { pattern, .. }, SolverChoice::Multifrontal) => {
            Ok(Box::new(MultifrontalLu::new(pattern.clone())?))
        }
        (Structure::Sparse { pattern, .. }, SolverChoice::SparseLu) => Ok(Box::new(SparseLu::new(
            pattern.clone(),
            SparseLuOptions::default(),
        )?)),
    }
}

/// Unknowns from which [`SolverChoice::Auto`] prefers multigrid to sparse LU on a 3D grid.
/// Measured (`examples/linear_bench.rs`, variable-permittivity Poisson, factor + solve):
/// multigrid is faster at every size tried (16^3: 0.02 s against 0.15 s for LU; 24^3:
/// 0.07 s against 1.3 s; 40^3: 0.3 s against 20 s); below about 1e4 unknowns the LU costs
/// well under a second and is robust for every matrix, so it is kept there.
pub const AUTO_MULTIGRID_3D: usize = 10_000;
/// The same threshold on 2D grids: 2D Poisson at 128^2 took 0.04 s (multigrid) against
/// 0.1 s (LU), at 256^2 0.26 s against 0.7 s, at 1000^2 5.6 s against 35 s; LU is kept
/// below 5e4 unknowns, where it costs less than half a second.
pub const AUTO_MULTIGRID_2D: usize = 50_000;

/// Whether [`SolverChoice::Auto`] uses multigrid for `n` unknowns on `layout`: one field
/// per node and at least [`AUTO_MULTIGRID_3D`] (3D) or [`AUTO_MULTIGRID_2D`] (2D) unknowns;
/// never in 1D, where LU costs `O(n)`.
pub fn auto_prefers_multigrid(layout: &TensorLayout, n: usize) -> bool {
    let dims = layout.shape.iter().filter(|&&m| m > 1).count();
    layout.fields == 1
        && match dims {
            3 => n >= AUTO_MULTIGRID_3D,
            2 => n >= AUTO_MULTIGRID_2D,
            _ => false,
        }
}

/// Banded LU with partial pivoting ([`BandMatrix`]): `O(n kl (kl + ku))` per factorization.
#[derive(Clone, Debug)]
pub struct BandedLu {
    a: BandMatrix,
}

impl BandedLu {
    /// A solver for `n x n` matrices with `lower` sub- and `upper` super-diagonals.
    pub fn new(n: usize, lower: usize, upper: usize) -> Self {
        BandedLu {
            a: BandMatrix::zeros(n, lower, upper),
        }
    }
}

impl LinearSolver for BandedLu {
    fn matrix(&mut self) -> &mut dyn MatrixSink {
        &mut self.a
    }
    fn factor(&mut self) -> Result<(), LinearError> {
        self.a.factor().map_err(|e| LinearError::Singular(e.column))
    }
    fn solve(&mut self, b: &mut [f64]) -> Result<(), LinearError> {
        self.a.solve(b);
        Ok(())
    }
    fn memory_bytes(&self) -> usize {
        self.a.memory_bytes()
    }
    fn name(&self) -> &'static str {
        "banded LU"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The 1D Laplacian `tridiag(-1, 2, -1)`: the solve reproduces a known vector.
    fn check(structure: Structure, choice: SolverChoice) {
        let n = structure.dim();
        let mut s = make_solver(&structure, choice).unwrap();
        let m = s.matrix();
        m.clear();
        for i in 0..n {
            m.add(i, i, 2.0);
            if i > 0 {
                m.add(i, i - 1, -1.0);
            }
            if i + 1 < n {
                m.add(i, i + 1, -1.0);
            }
        }
        s.factor().unwrap();
        let x: Vec<f64> = (0..n).map(|i| (i as f64 * 0.3).sin()).collect();
        let mut b: Vec<f64> = (0..n)
            .map(|i| {
                2.0 * x[i]
                    - if i > 0 { x[i - 1] } else { 0.0 }
                    - if i + 1 < n { x[i + 1] } else { 0.0 }
            })
            .collect();
        s.solve(&mut b).unwrap();
        for i in 0..n {
            assert!((b[i] - x[i]).abs() < 1e-10, "{i}: {} vs {}", b[i], x[i]);
        }
    }

    #[test]
    fn banded_and_sparse_structures_solve_the_laplacian() {
        for n in [1, 2, 3, 255, 256, 257] {
            check(
                Structure::Banded {
                    n,
                    lower: 1,
                    upper: 1,
                },
                SolverChoice::Auto,
            );
            let rows: Vec<Vec<usize>> = (0..n)
                .map(|i| (i.saturating_sub(1)..(i + 2).min(n)).collect())
                .collect();
            let pattern = Arc::new(SparsityPattern::from_rows(n, &rows));
            check(
                Structure::Sparse {
                    pattern,
                    layout: None,
                },
                SolverChoice::Auto,
            );
        }
    }
}
