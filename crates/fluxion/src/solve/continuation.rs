//! Natural-parameter continuation.
//!
//! A hard problem `F(x; 1) = 0` is embedded in a family `F(x; lambda)` whose member at
//! `lambda = 0` is easy (no applied potential, no surface charge, equal concentrations).
//! The driver walks `lambda` from 0 to 1, using each converged solution as the initial guess
//! for the next, doubling the step after easy solves and quartering it after failures.
//!
//! Two options make the walk cheaper ([`ContinuationOptions::predictor`],
//! [`ContinuationOptions::intermediate_rtol`]):
//!
//! - a secant predictor: the guess at `lambda_{j+1}` is the linear extrapolation
//!   `x_j + (lambda_{j+1} - lambda_j) / (lambda_j - lambda_{j-1}) (x_j - x_{j-1})` of the last
//!   two solutions (restricted by [`NonlinearSystem::limit_step`], so concentrations stay
//!   positive), which is first-order accurate in the step where the plain guess `x_j` is of
//!   order zero;
//! - intermediate members solved to a looser relative tolerance (they only serve as initial
//!   guesses), the target `lambda = 1` to that of [`ContinuationOptions::newton`].
//!
//! With either on, the step also triples (instead of doubling) after a solve of at most
//! three iterations.

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
    /// Extrapolate the last two solutions to the next `lambda` (secant predictor).
    pub predictor: bool,
    /// Relative tolerance of the members before `lambda = 1` (`None`: that of `newton`).
    pub intermediate_rtol: Option<f64>,
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
            predictor: false,
            intermediate_rtol: None,
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
    // The solution before `saved` (for the predictor) and the work vector of the predictor.
    let mut older = if opts.predictor {
        x.to_vec()
    } else {
        Vec::new()
    };
    let mut delta = if opts.predictor {
        x.to_vec()
    } else {
        Vec::new()
    };
    let accumulate = |total: &mut NewtonStats, s: NewtonStats| {
        total.iterations += s.iterations;
        total.factorizations += s.factorizations;
        total.residual_evaluations += s.residual_evaluations;
        total.update_norm = s.update_norm;
        total.residual_norm = s.residual_norm;
    };
    let loose = NewtonOptions {
        rtol: opts.intermediate_rtol.unwrap_or(opts.newton.rtol),
        ..opts.newton
    };
    let fast = opts.predictor || opts.intermediate_rtol.is_some();
    sys.set_lambda(0.0);
    let s = newton(sys, x, ws, &loose).map_err(|e| ContinuationError {
        reached: 0.0,
        attempted: 0.0,
        newton: e,
    })?;
    accumulate(&mut total, s);
    let (mut lambda, mut step, mut steps) = (0.0f64, opts.initial_step, 0usize);
    // Parameter of `older` (NaN: none yet).
    let mut lambda_older = f64::NAN;
    while lambda < 1.0 {
        let target = (lambda + step).min(1.0);
        saved.copy_from_slice(x);
        if opts.predictor && lambda_older.is_finite() {
            let ratio = (target - lambda) / (lambda - lambda_older);
            for ((d, xi), oi) in delta.iter_mut().zip(x.iter()).zip(&older) {
                *d = ratio * (xi - oi);
            }
            sys.limit_step(x, &mut delta);
            for (xi, d) in x.iter_mut().zip(&delta) {
                *xi += d;
            }
        }
        sys.set_lambda(target);
        let nopts = if target < 1.0 { &loose } else { &opts.newton };
        match newton(sys, x, ws, nopts) {
            Ok(s) => {
                accumulate(&mut total, s);
                steps += 1;
                if opts.predictor {
                    older.copy_from_slice(&saved);
                    lambda_older = lambda;
                }
                lambda = target;
                progress.update(lambda, "continuation");
                // Factorizations measure the cost of the member (with Jacobian reuse the
                // iterations at kept factors are cheap; without it the two are equal).
                if fast && s.factorizations <= 3 {
                    step = (step * 3.0).min(opts.max_step);
                } else if s.factorizations <= 6 {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::solve::test_systems::Bratu;

    /// `mu = 3.4 lambda`: the walk ends close to the fold at `mu = 3.51383` (lower branch:
    /// `u(1/2) = 1.1 ..`).
    impl Homotopy for Bratu {
        fn set_lambda(&mut self, lambda: f64) {
            self.mu = 3.4 * lambda;
        }
    }

    fn walk(opts: &ContinuationOptions) -> (Vec<f64>, NewtonStats) {
        let mut sys = Bratu { n: 99, mu: 0.0 };
        let mut x = vec![0.0; 99];
        let mut ws = NewtonWorkspace::for_system(&sys);
        let (s, _) = continuation(&mut sys, &mut x, &mut ws, opts, &mut ()).unwrap();
        (x, s)
    }

    /// The secant predictor and loose intermediate members reach the same lower-branch
    /// solution as the plain walk (to the final tolerance) in fewer Newton iterations.
    #[test]
    fn predictor_and_loose_members_reach_the_same_solution_in_fewer_iterations() {
        let plain = ContinuationOptions::default();
        let fast = ContinuationOptions {
            predictor: true,
            intermediate_rtol: Some(1e-3),
            initial_step: 0.1,
            max_step: 1.0,
            ..plain
        };
        let (a, sa) = walk(&plain);
        let (b, sb) = walk(&fast);
        for (u, v) in a.iter().zip(&b) {
            assert!((u - v).abs() < 1e-8, "{u} vs {v}");
        }
        // The lower branch, not the upper one (max u on the upper branch is > 4).
        let umax = b.iter().cloned().fold(0.0, f64::max);
        assert!(umax > 0.5 && umax < 2.0, "{umax}");
        assert!(sb.iterations < sa.iterations, "{sb:?} vs {sa:?}");
    }
}
