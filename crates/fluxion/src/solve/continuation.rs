//! Natural-parameter continuation.
//!
//! A hard problem `F(x; 1) = 0` is embedded in a family `F(x; lambda)` whose member at
//! `lambda = 0` is easy (no applied potential, no surface charge, equal concentrations).
//! The driver walks `lambda` from 0 to 1, using each converged solution as the initial guess
//! for the next, doubling the step after easy solves and quartering it after failures.

use super::newton::{newton, NewtonError, NewtonOptions, NewtonStats, NewtonWorkspace};
use super::{NonlinearSystem, Progress};

/// A nonlinear system embedded in a one-parameter family.
pub trait Homotopy: NonlinearSystem {
    /// Set the continuation parameter (0 = easy problem, 1 = target problem).
    fn set_lambda(&mut self, lambda: f64);
}

/// Continuation settings.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ContinuationOptions {
    /// First step in `lambda`.
    pub initial_step: f64,
    /// Smallest step before giving up.
    pub min_step: f64,
    /// Largest step.
    pub max_step: f64,
    /// Newton settings for each continuation step.
    pub newton: NewtonOptions,
}

impl Default for ContinuationOptions {
    fn default() -> Self {
        ContinuationOptions {
            initial_step: 0.05,
            min_step: 1e-6,
            max_step: 0.5,
            newton: NewtonOptions {
                max_iterations: 25,
                ..NewtonOptions::default()
            },
        }
    }
}

/// Continuation stalled.
#[derive(Clone, Copy, Debug, PartialEq, thiserror::Error)]
#[error("continuation stalled at lambda = {reached:.6} (step to {attempted:.6} failed): {newton}")]
pub struct ContinuationError {
    /// Largest parameter value solved.
    pub reached: f64,
    /// Parameter value of the last failed attempt.
    pub attempted: f64,
    /// The Newton failure at the attempted value.
    pub newton: NewtonError,
}

/// Solve `F(x; 1) = 0` by continuation from `lambda = 0`; `x` is the initial guess for
/// `lambda = 0` and receives the solution. Returns the accumulated Newton statistics and the
/// number of continuation steps.
pub fn continuation<S: Homotopy + ?Sized>(
    sys: &mut S,
    x: &mut [f64],
    ws: &mut NewtonWorkspace,
    opts: &ContinuationOptions,
    progress: &mut dyn Progress,
) -> Result<(NewtonStats, usize), ContinuationError> {
    let mut total = NewtonStats::default();
    let mut saved = x.to_vec();
    let accumulate = |total: &mut NewtonStats, s: NewtonStats| {
        total.iterations += s.iterations;
        total.residual_evaluations += s.residual_evaluations;
        total.update_norm = s.update_norm;
        total.residual_norm = s.residual_norm;
    };
    sys.set_lambda(0.0);
    let s = newton(sys, x, ws, &opts.newton).map_err(|e| ContinuationError {
        reached: 0.0,
        attempted: 0.0,
        newton: e,
    })?;
    accumulate(&mut total, s);
    let (mut lambda, mut step, mut steps) = (0.0f64, opts.initial_step, 0usize);
    while lambda < 1.0 {
        let target = (lambda + step).min(1.0);
        saved.copy_from_slice(x);
        sys.set_lambda(target);
        match newton(sys, x, ws, &opts.newton) {
            Ok(s) => {
                accumulate(&mut total, s);
                steps += 1;
                lambda = target;
                progress.update(lambda, "continuation");
                if s.iterations <= 6 {
                    step = (step * 2.0).min(opts.max_step);
                }
            }
            Err(e) => {
                total.iterations += e.iterations;
                x.copy_from_slice(&saved);
                step *= 0.25;
                if step < opts.min_step {
                    sys.set_lambda(lambda);
                    return Err(ContinuationError {
                        reached: lambda,
                        attempted: target,
                        newton: e,
                    });
                }
            }
        }
    }
    Ok((total, steps))
}
