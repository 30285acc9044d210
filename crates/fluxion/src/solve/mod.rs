//! Numerical solvers that know no physics: linear solvers behind one interface
//! ([`linear`]), damped Newton with an affine-invariant line search, natural-parameter
//! continuation, and variable-step BDF time stepping.
//!
//! Problems plug in through small traits: a [`NonlinearSystem`] supplies a residual and a
//! Jacobian of known [`Structure`], written through a [`MatrixSink`]; a [`Homotopy`] can also move a continuation parameter; a [`DaeSystem`]
//! supplies `F(t, x)` and a diagonal mass matrix for `M dx/dt + F(t, x) = 0`. Solvers own
//! the loops and report progress through [`Progress`]; they never print.

pub mod banded;
mod bdf;
mod continuation;
pub mod linear;
mod newton;
pub mod pages;
#[cfg(test)]
mod test_systems;

pub use banded::{BandMatrix, SingularMatrix};
pub use bdf::{BdfOptions, BdfStats, BdfStepper, DaeSystem, StepOutcome, StepTooSmall};
pub use continuation::{continuation, ContinuationError, ContinuationOptions, Homotopy};
pub use linear::{
    make_solver, CsrMatrix, LinearError, LinearSolver, MatrixSink, RowPart, SolverChoice,
    SparsityPattern, Structure, TensorLayout,
};
pub(crate) use newton::{half, PAR_LEN};
pub use newton::{
    newton, periodic_weighted_norm, weighted_norm, NewtonError, NewtonFailure, NewtonOptions,
    NewtonStats, NewtonWorkspace, NonlinearSystem,
};

/// Receives progress reports from long-running solvers (continuation, time stepping).
pub trait Progress {
    /// `fraction` of the work is done (0 to 1); `message` says what is happening.
    fn update(&mut self, _fraction: f64, _message: &str) {}
}

/// Ignores progress.
impl Progress for () {}
