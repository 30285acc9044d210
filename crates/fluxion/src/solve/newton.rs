//! Damped Newton method with Deuflhard's natural monotonicity test.
//!
//! Each iteration solves `J(x) dx = -F(x)` with a [`LinearSolver`] chosen for the
//! Jacobian's [`Structure`] (banded LU in 1D, sparse or iterative in 2D/3D), lets the problem restrict the
//! step (positivity, potential damping), then accepts the largest `alpha` in
//! `1, 1/2, 1/4, ...` for which the simplified Newton correction shrinks:
//! `||J(x)^{-1} F(x + alpha dx)|| <= (1 - alpha/4) ||dx||` in the weighted norm below.
//! The test is affine invariant, so badly scaled rows (a Poisson equation next to a
//! Nernst-Planck equation) do not confuse it. Convergence is declared when the weighted
//! update norm `max_i |dx_i| / (rtol |x_i| + atol_i)` falls below one and the simplified
//! correction `J^-1 F(x + dx)` at the new iterate does too (the residual check). When no
//! damping down to `min_damping` passes the test, Newton stops with
//! [`NewtonFailure::LineSearch`] instead of taking a step that does not reduce the error.

use super::linear::{make_solver, LinearError, LinearSolver, MatrixSink, SolverChoice, Structure};

/// A square nonlinear system `F(x) = 0` with a Jacobian of known structure.
pub trait NonlinearSystem {
    /// Number of unknowns.
    fn dim(&self) -> usize;
    /// Nonzero structure of the Jacobian (fixed for the life of the system).
    fn structure(&self) -> Structure;
    /// Evaluate `F(x)` into `r`.
    fn residual(&mut self, x: &[f64], r: &mut [f64]);
    /// Assemble the Jacobian `dF/dx` into `jac` (already cleared) and `F(x)` into `r`.
    fn jacobian(&mut self, x: &[f64], jac: &mut dyn MatrixSink, r: &mut [f64]);
    /// Absolute tolerance of unknown `i` for the convergence test.
    fn atol(&self, i: usize) -> f64;
    /// Restrict a Newton step in place (keep concentrations positive, damp potentials).
    /// The default accepts the step unchanged.
    fn limit_step(&self, _x: &[f64], _dx: &mut [f64]) {}
    /// The weighted max-norm [`weighted_norm`] of `v` at `x`, which Newton evaluates two or
    /// more times per iteration. Override only to compute exactly the same value and index
    /// faster (e.g. without a call of [`Self::atol`] per unknown).
    fn update_norm(&self, x: &[f64], v: &[f64], rtol: f64) -> (f64, usize) {
        weighted_norm(self, x, v, rtol)
    }
}

/// Newton settings.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct NewtonOptions {
    /// Maximum number of iterations.
    pub max_iterations: usize,
    /// Relative tolerance on the update.
    pub rtol: f64,
    /// Smallest damping factor tried by the line search.
    pub min_damping: f64,
    /// Confirm convergence with the simplified correction at the new iterate.
    pub check_residual: bool,
}

impl Default for NewtonOptions {
    fn default() -> Self {
        NewtonOptions {
            max_iterations: 60,
            rtol: 1e-10,
            min_damping: 1.0 / 1024.0,
            check_residual: true,
        }
    }
}

/// Cost of a converged solve.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct NewtonStats {
    /// Iterations (Jacobian factorizations).
    pub iterations: usize,
    /// Residual evaluations.
    pub residual_evaluations: usize,
    /// Final weighted update norm (below 1 when converged).
    pub update_norm: f64,
    /// Max-norm of the final residual.
    pub residual_norm: f64,
}

/// Why Newton stopped.
#[derive(Clone, Copy, Debug, PartialEq, thiserror::Error)]
pub enum NewtonFailure {
    /// The iteration limit was reached.
    #[error("the iteration limit was reached")]
    MaxIterations,
    /// The line search could not find a decreasing step.
    #[error("the line search found no step, down to the smallest damping, that shrinks the Newton correction")]
    LineSearch,
    /// The Jacobian is singular; the payload is the first bad column (unknown).
    #[error("the Jacobian is singular (first zero pivot at unknown {0})")]
    Singular(usize),
    /// The iterative linear solver did not reach its tolerance.
    #[error("the iterative linear solver stalled at relative residual {residual:.3e} after {iterations} iterations (try solver = \"lu\")")]
    Linear {
        /// Krylov iterations done.
        iterations: usize,
        /// Relative residual reached.
        residual: f64,
    },
    /// The residual became NaN or infinite.
    #[error("the residual became NaN or infinite")]
    NonFinite,
}

/// Newton did not converge.
#[derive(Clone, Copy, Debug, PartialEq, thiserror::Error)]
#[error("Newton's method failed after {iterations} iterations: {reason}; largest update at unknown {worst_unknown}, weighted update norm {update_norm:.3e}")]
pub struct NewtonError {
    /// What went wrong.
    pub reason: NewtonFailure,
    /// Iterations done.
    pub iterations: usize,
    /// The unknown with the largest weighted update in the last iteration.
    pub worst_unknown: usize,
    /// Weighted update norm of the last iteration.
    pub update_norm: f64,
}

/// Buffers for Newton, allocated once per problem size and reused for every solve: the
/// linear solver (which owns the Jacobian and its factors) and three vectors (the update,
/// which first holds the residual, the simplified correction, which first holds the
/// residual at the trial point, and the trial point).
pub struct NewtonWorkspace {
    /// The linear solver with the Jacobian and its factors.
    pub solver: Box<dyn LinearSolver>,
    dx: Vec<f64>,
    dx_bar: Vec<f64>,
    x_trial: Vec<f64>,
}

impl std::fmt::Debug for NewtonWorkspace {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewtonWorkspace")
            .field("solver", &self.solver.name())
            .field("unknowns", &self.dx.len())
            .finish()
    }
}

impl NewtonWorkspace {
    /// Buffers for a Jacobian of the given structure, solved by `choice`.
    pub fn new(structure: &Structure, choice: SolverChoice) -> Result<Self, LinearError> {
        let n = structure.dim();
        Ok(NewtonWorkspace {
            solver: make_solver(structure, choice)?,
            dx: vec![0.0; n],
            dx_bar: vec![0.0; n],
            x_trial: vec![0.0; n],
        })
    }

    /// Buffers sized for `sys`, with the default solver for its structure.
    pub fn for_system<S: NonlinearSystem + ?Sized>(sys: &S) -> Self {
        Self::new(&sys.structure(), SolverChoice::Auto)
            .expect("the automatic solver choice accepts every structure")
    }

    /// Bytes held by the buffers.
    pub fn memory_bytes(&self) -> usize {
        self.solver.memory_bytes() + 8 * 3 * self.dx.len()
    }
}

fn linear_failure(e: LinearError) -> NewtonFailure {
    match e {
        LinearError::NotConverged {
            iterations,
            residual,
        } => NewtonFailure::Linear {
            iterations,
            residual,
        },
        other => NewtonFailure::Singular(other.unknown().unwrap_or(0)),
    }
}

/// Weighted max-norm `max_i |v_i| / (rtol |x_i| + atol_i)` and the index where it is attained.
pub fn weighted_norm<S: NonlinearSystem + ?Sized>(
    sys: &S,
    x: &[f64],
    v: &[f64],
    rtol: f64,
) -> (f64, usize) {
    let mut worst = (0.0, 0);
    for (i, (xi, vi)) in x.iter().zip(v).enumerate() {
        let w = vi.abs() / (rtol * xi.abs() + sys.atol(i));
        if w > worst.0 || w.is_nan() {
            worst = (w, i);
            if w.is_nan() {
                break;
            }
        }
    }
    worst
}

/// Solve `F(x) = 0` from the initial guess in `x` (overwritten by the solution).
///
/// On failure `x` holds the last iterate.
pub fn newton<S: NonlinearSystem + ?Sized>(
    sys: &mut S,
    x: &mut [f64],
    ws: &mut NewtonWorkspace,
    opts: &NewtonOptions,
) -> Result<NewtonStats, NewtonError> {
    let mut stats = NewtonStats::default();
    let rtol = opts.rtol;
    let mut last = (f64::INFINITY, 0);
    for it in 1..=opts.max_iterations {
        stats.iterations = it;
        ws.solver.matrix().clear();
        sys.jacobian(x, ws.solver.matrix(), &mut ws.dx);
        stats.residual_evaluations += 1;
        if ws.dx.iter().any(|v| !v.is_finite()) {
            return Err(fail(NewtonFailure::NonFinite, it, last));
        }
        if let Err(e) = ws.solver.factor() {
            return Err(fail(linear_failure(e), it, last));
        }
        for d in ws.dx.iter_mut() {
            *d = -*d;
        }
        if let Err(e) = ws.solver.solve(&mut ws.dx) {
            return Err(fail(linear_failure(e), it, last));
        }
        sys.limit_step(x, &mut ws.dx);
        let (norm, worst) = sys.update_norm(x, &ws.dx, rtol);
        last = (norm, worst);
        if !norm.is_finite() {
            return Err(fail(NewtonFailure::NonFinite, it, last));
        }
        if norm <= 1.0 {
            for (xi, d) in x.iter_mut().zip(&ws.dx) {
                *xi += d;
            }
            sys.residual(x, &mut ws.dx_bar);
            stats.residual_evaluations += 1;
            // Check the residual at the new iterate: the simplified Newton correction
            // `J^-1 F(x)` (with the factors at hand) must also be below the tolerance, so a
            // small update caused by a stalled or limited step is not taken for convergence.
            if ws.dx_bar.iter().any(|v| !v.is_finite()) {
                return Err(fail(NewtonFailure::NonFinite, it, last));
            }
            let residual_norm = ws.dx_bar.iter().fold(0.0, |m, v| f64::max(m, v.abs()));
            for d in ws.dx_bar.iter_mut() {
                *d = -*d;
            }
            if let Err(e) = ws.solver.solve(&mut ws.dx_bar) {
                return Err(fail(linear_failure(e), it, last));
            }
            let (check, _) = sys.update_norm(x, &ws.dx_bar, rtol);
            if check <= 1.0 || !opts.check_residual {
                stats.update_norm = norm;
                stats.residual_norm = residual_norm;
                return Ok(stats);
            }
            continue;
        }
        // Line search with the natural monotonicity test.
        let mut alpha = 1.0;
        loop {
            for ((t, xi), d) in ws.x_trial.iter_mut().zip(x.iter()).zip(&ws.dx) {
                *t = xi + alpha * d;
            }
            sys.residual(&ws.x_trial, &mut ws.dx_bar);
            stats.residual_evaluations += 1;
            let finite = ws.dx_bar.iter().all(|v| v.is_finite());
            if finite {
                for v in ws.dx_bar.iter_mut() {
                    *v = -*v;
                }
                if let Err(e) = ws.solver.solve(&mut ws.dx_bar) {
                    return Err(fail(linear_failure(e), it, last));
                }
                let (bar, _) = sys.update_norm(&ws.x_trial, &ws.dx_bar, rtol);
                if bar <= (1.0 - alpha / 4.0) * norm || (alpha == 1.0 && bar < norm) {
                    break;
                }
            }
            alpha *= 0.5;
            if alpha < opts.min_damping {
                // No damped step passes the monotonicity test: report it (continuation or
                // a smaller time step then takes over) rather than take a step that does not
                // reduce the error.
                return Err(fail(
                    if finite {
                        NewtonFailure::LineSearch
                    } else {
                        NewtonFailure::NonFinite
                    },
                    it,
                    last,
                ));
            }
        }
        x.copy_from_slice(&ws.x_trial);
    }
    Err(fail(
        NewtonFailure::MaxIterations,
        opts.max_iterations,
        last,
    ))
}

fn fail(reason: NewtonFailure, iterations: usize, last: (f64, usize)) -> NewtonError {
    NewtonError {
        reason,
        iterations,
        worst_unknown: last.1,
        update_norm: last.0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::solve::test_systems::Bratu;

    #[test]
    fn converges_quadratically_on_bratu() {
        let mut sys = Bratu { n: 200, mu: 1.0 };
        let mut x = vec![0.0; 200];
        let mut ws = NewtonWorkspace::for_system(&sys);
        let stats = newton(&mut sys, &mut x, &mut ws, &NewtonOptions::default()).unwrap();
        // Lower branch of Bratu at mu = 1: max u = 0.1405 (Boyd 1986 gives u(1/2) = 0.140539).
        let umax = x.iter().cloned().fold(0.0, f64::max);
        assert!((umax - 0.140_539).abs() < 2e-5, "{umax}");
        assert!(stats.iterations <= 6, "{stats:?}");
    }

    #[test]
    fn beyond_the_fold_newton_fails_cleanly() {
        // No solution exists for mu > 3.51383 (the Bratu fold).
        let mut sys = Bratu { n: 50, mu: 4.0 };
        let mut x = vec![0.0; 50];
        let mut ws = NewtonWorkspace::for_system(&sys);
        let opts = NewtonOptions {
            max_iterations: 30,
            ..Default::default()
        };
        assert!(newton(&mut sys, &mut x, &mut ws, &opts).is_err());
    }

    /// `F(x) = x - 1` with a deliberately wrong Jacobian or a crippling step limiter.
    struct Faulty {
        wrong_sign: bool,
        shrink_steps: bool,
    }

    impl NonlinearSystem for Faulty {
        fn dim(&self) -> usize {
            1
        }
        fn structure(&self) -> Structure {
            Structure::Banded {
                n: 1,
                lower: 0,
                upper: 0,
            }
        }
        fn residual(&mut self, x: &[f64], r: &mut [f64]) {
            r[0] = x[0] - 1.0;
        }
        fn jacobian(&mut self, x: &[f64], jac: &mut dyn MatrixSink, r: &mut [f64]) {
            self.residual(x, r);
            jac.add(0, 0, if self.wrong_sign { -1.0 } else { 1.0 });
        }
        fn atol(&self, _i: usize) -> f64 {
            1e-3
        }
        fn limit_step(&self, _x: &[f64], dx: &mut [f64]) {
            if self.shrink_steps {
                dx[0] *= 1e-14;
            }
        }
    }

    /// Regression (issue #8): when no damping passed the monotonicity test, Newton took the
    /// smallest step anyway and said nothing; now it stops with `LineSearch`, in words.
    #[test]
    fn newton_reports_a_failed_line_search_instead_of_taking_the_smallest_step() {
        let mut sys = Faulty {
            wrong_sign: true,
            shrink_steps: false,
        };
        let mut x = vec![0.0];
        let mut ws = NewtonWorkspace::for_system(&sys);
        let e = newton(&mut sys, &mut x, &mut ws, &NewtonOptions::default()).unwrap_err();
        assert_eq!(e.reason, NewtonFailure::LineSearch);
        assert_eq!(e.iterations, 1);
        assert_eq!(x[0], 0.0, "no step was taken");
        let msg = e.to_string();
        assert!(msg.contains("line search found no step"), "{msg}");
        assert!(!msg.contains("LineSearch"), "Debug output in {msg}");
    }

    /// Regression (issue #8): convergence was declared from a small update alone; a step
    /// limiter that shrinks every update made Newton report success at a residual of 1.
    #[test]
    fn newton_checks_the_residual_at_convergence() {
        let mut sys = Faulty {
            wrong_sign: false,
            shrink_steps: true,
        };
        let mut x = vec![0.0];
        let mut ws = NewtonWorkspace::for_system(&sys);
        let opts = NewtonOptions {
            max_iterations: 5,
            ..Default::default()
        };
        let e = newton(&mut sys, &mut x, &mut ws, &opts).unwrap_err();
        assert_eq!(e.reason, NewtonFailure::MaxIterations);
    }
}
