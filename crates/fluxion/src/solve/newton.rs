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
    /// Keep the factors of a Jacobian while each iteration at them contracts the
    /// correction by this factor (the chord method, see [`newton`]); 0 factors the
    /// Jacobian at every iteration. Values in `(0, 1)`; 1/4 pays where a factorization
    /// costs several residuals and triangular solves (sparse LU in 2D and 3D).
    pub jacobian_reuse: f64,
}

impl Default for NewtonOptions {
    fn default() -> Self {
        NewtonOptions {
            max_iterations: 60,
            rtol: 1e-10,
            min_damping: 1.0 / 1024.0,
            check_residual: true,
            jacobian_reuse: 0.0,
        }
    }
}

/// Cost of a converged solve.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct NewtonStats {
    /// Iterations (each with a Jacobian factorization, or at kept factors).
    pub iterations: usize,
    /// Jacobian factorizations (equal to `iterations` without Jacobian reuse).
    pub factorizations: usize,
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
/// linear solver (which owns the Jacobian and its factors) and two vectors (the update,
/// which first holds the residual, and the simplified correction, which first holds the
/// residual at the trial point). A trial point `x + alpha dx` is formed in `x` itself and
/// taken back (`x - alpha dx`, exact up to one rounding per entry) when it is rejected, so no
/// third vector is needed.
pub struct NewtonWorkspace {
    /// The linear solver with the Jacobian and its factors.
    pub solver: Box<dyn LinearSolver>,
    dx: Vec<f64>,
    dx_bar: Vec<f64>,
    /// The solver holds the factors of a Jacobian of the system (for reuse by the next call).
    factored: bool,
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
            dx: crate::solve::pages::zeroed(n),
            dx_bar: crate::solve::pages::zeroed(n),
            factored: false,
        })
    }

    /// Buffers sized for `sys`, with the default solver for its structure.
    pub fn for_system<S: NonlinearSystem + ?Sized>(sys: &S) -> Self {
        Self::new(&sys.structure(), SolverChoice::Auto)
            .expect("the automatic solver choice accepts every structure")
    }

    /// Whether the solver holds the factors of a Jacobian from an earlier call, which a
    /// call with [`NewtonOptions::jacobian_reuse`] starts from.
    pub fn has_factors(&self) -> bool {
        self.factored
    }

    /// Forget the factors (the next call factors a Jacobian first). Call this when the
    /// system changed so much that its old Jacobian is no guide (another problem of the
    /// same size).
    pub fn forget_factors(&mut self) {
        self.factored = false;
    }

    /// Bytes held by the buffers.
    pub fn memory_bytes(&self) -> usize {
        self.solver.memory_bytes() + 8 * 2 * self.dx.len()
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

/// [`weighted_norm`] for unknowns whose absolute tolerances repeat with period
/// `atol.len()` (fields interleaved node by node, every node carrying every field): the
/// same value and index, computed chunk by chunk. Each chunk's largest weighted update is
/// taken without branches (so the divisions vectorize); only a chunk whose largest exceeds
/// the largest so far, or that holds a NaN or an infinity, is rescanned with the
/// comparisons of [`weighted_norm`] in its order.
pub fn periodic_weighted_norm(x: &[f64], v: &[f64], rtol: f64, atol: &[f64]) -> (f64, usize) {
    let p = atol.len();
    assert!(
        (1..=64).contains(&p) && x.len() % p == 0 && v.len() == x.len(),
        "{} unknowns do not repeat a period of {p} tolerances",
        x.len()
    );
    // A chunk of eight periods and its tolerances; eight independent maxima per chunk (one
    // chain of dependent maxima would cost its latency per unknown).
    let len = 8 * p;
    let mut pattern = [0.0f64; 512];
    for (i, t) in pattern[..len].iter_mut().enumerate() {
        *t = atol[i % p];
    }
    let pattern = &pattern[..len];
    if x.len() < PAR_LEN {
        return chunked_norm(x, v, rtol, pattern);
    }
    // Two halves on two threads, joined as the one pass would have found it: the first NaN,
    // else the first index of the largest value.
    let h = half(x.len(), len);
    let ((x0, x1), (v0, v1)) = (x.split_at(h), v.split_at(h));
    let (a, b) = rayon::join(
        || chunked_norm(x0, v0, rtol, pattern),
        || chunked_norm(x1, v1, rtol, pattern),
    );
    if a.0.is_nan() || !(b.0 > a.0 || b.0.is_nan()) {
        a
    } else {
        (b.0, b.1 + h)
    }
}

/// Unknowns from which the passes of Newton over its vectors (norms, negation, updates) run
/// on two threads, one half each; the results do not depend on it.
pub(crate) const PAR_LEN: usize = 1 << 17;

/// The split of `len` numbers into two halves: the middle, rounded down to a multiple of
/// `align`.
pub(crate) fn half(len: usize, align: usize) -> usize {
    len / 2 / align * align
}

/// [`periodic_weighted_norm`] on one thread, with the tolerances of one chunk in `pattern`.
fn chunked_norm(x: &[f64], v: &[f64], rtol: f64, pattern: &[f64]) -> (f64, usize) {
    let len = pattern.len();
    let mut worst = (0.0, 0);
    for (c, (xc, vc)) in x.chunks(len).zip(v.chunks(len)).enumerate() {
        let (mut m, mut bad) = ([0.0f64; 8], false);
        for ((x8, v8), t8) in xc.chunks(8).zip(vc.chunks(8)).zip(pattern.chunks(8)) {
            for (((mj, xi), vi), t) in m.iter_mut().zip(x8).zip(v8).zip(t8) {
                let w = vi.abs() / (rtol * xi.abs() + t);
                *mj = if w > *mj { w } else { *mj };
                // NaN or infinite.
                bad |= !w.is_finite();
            }
        }
        let m = m.iter().fold(0.0f64, |a, &b| if b > a { b } else { a });
        if m > worst.0 || bad {
            for (j, ((xi, vi), t)) in xc.iter().zip(vc).zip(pattern).enumerate() {
                let w = vi.abs() / (rtol * xi.abs() + t);
                if w > worst.0 || w.is_nan() {
                    worst = (w, c * len + j);
                    if w.is_nan() {
                        return worst;
                    }
                }
            }
        }
    }
    worst
}

/// Solve `F(x) = 0` from the initial guess in `x` (overwritten by the solution).
///
/// With [`NewtonOptions::jacobian_reuse`] `= theta_max > 0` the factors of a Jacobian are
/// kept for the following iterations (the chord, or simplified Newton, method) while each
/// of them contracts the correction: an iteration at factors of an earlier iterate solves
/// `J_old dx = -F(x)` and goes on at the same factors only if the simplified correction at
/// the new point, `||J_old^-1 F(x + dx)||`, is at most `theta_max ||dx||`; otherwise the
/// Jacobian is assembled and factored, at `x + dx` when the step passed the monotonicity
/// test of a full step (`<= 3/4 ||dx||`), else at `x` (the step is dropped). A full Newton
/// step starts the chord iterations when its own contraction `||J^-1 F(x + dx)|| / ||dx||`
/// (the monotonicity test's ratio) is at most `theta_max`, and a call that finds factors in
/// the workspace ([`NewtonWorkspace::has_factors`], e.g. from the previous continuation
/// step) starts with them. Convergence at factors not computed in this call is declared
/// only once a contraction by `theta_max` has been seen with them, so that factors of a
/// distant Jacobian cannot make an update look small. This follows Deuflhard's contraction
/// test (P. Deuflhard, *Newton Methods for Nonlinear Problems*, Springer 2004, ch. 2, the
/// simplified Newton method): the chord iteration converges linearly with rate about
/// `theta`, so at `theta_max = 1/4` each chord step gains at least 0.6 digits (`log10 4`)
/// for one residual and one triangular solve.
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
    let theta_max = opts.jacobian_reuse;
    let reuse = theta_max > 0.0;
    let mut last = (f64::INFINITY, 0);
    // `chord`: `ws.dx_bar` holds `-J_old^-1 F(x)` at the current `x` for factors kept from an
    // earlier iterate. `trusted`: those factors were computed in this call, or contracted by
    // `theta_max` in it.
    let (mut chord, mut trusted) = (false, false);
    if reuse && ws.factored {
        sys.residual(x, &mut ws.dx_bar);
        stats.residual_evaluations += 1;
        if negate_finite(&mut ws.dx_bar).is_some() {
            chord = ws.solver.solve(&mut ws.dx_bar).is_ok();
        }
    }
    for it in 1..=opts.max_iterations {
        stats.iterations = it;
        if chord {
            std::mem::swap(&mut ws.dx, &mut ws.dx_bar);
        } else {
            ws.factored = false;
            ws.solver.matrix().clear();
            sys.jacobian(x, ws.solver.matrix(), &mut ws.dx);
            stats.residual_evaluations += 1;
            if negate_finite(&mut ws.dx).is_none() {
                return Err(fail(NewtonFailure::NonFinite, it, last));
            }
            if let Err(e) = ws.solver.factor() {
                return Err(fail(linear_failure(e), it, last));
            }
            stats.factorizations += 1;
            ws.factored = true;
            trusted = true;
            if let Err(e) = ws.solver.solve(&mut ws.dx) {
                return Err(fail(linear_failure(e), it, last));
            }
        }
        let at_old_factors = chord;
        chord = false;
        sys.limit_step(x, &mut ws.dx);
        let (norm, worst) = sys.update_norm(x, &ws.dx, rtol);
        last = (norm, worst);
        if !norm.is_finite() {
            if at_old_factors {
                continue;
            }
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
            let Some(residual_norm) = negate_finite(&mut ws.dx_bar) else {
                return Err(fail(NewtonFailure::NonFinite, it, last));
            };
            if let Err(e) = ws.solver.solve(&mut ws.dx_bar) {
                return Err(fail(linear_failure(e), it, last));
            }
            let (check, _) = sys.update_norm(x, &ws.dx_bar, rtol);
            let believed = trusted || check <= theta_max * norm;
            if (check <= 1.0 && believed) || !opts.check_residual {
                stats.update_norm = norm;
                stats.residual_norm = residual_norm;
                return Ok(stats);
            }
            // Go on from the new iterate with the correction just computed when it contracts.
            chord = reuse && check <= theta_max * norm;
            continue;
        }
        if at_old_factors {
            // A chord step is taken whole or not at all: whole when it passes the
            // monotonicity test of a full step (`||J_old^-1 F(x + dx)|| <= 3/4 ||dx||`), and
            // the next iteration stays at these factors when it contracts by `theta_max`;
            // otherwise the Jacobian at the (new or same) `x` is factored.
            axpy(x, 1.0, &ws.dx);
            sys.residual(x, &mut ws.dx_bar);
            stats.residual_evaluations += 1;
            let mut taken = false;
            if negate_finite(&mut ws.dx_bar).is_some() && ws.solver.solve(&mut ws.dx_bar).is_ok() {
                let (bar, _) = sys.update_norm(x, &ws.dx_bar, rtol);
                if bar <= 0.75 * norm {
                    taken = true;
                    chord = bar <= theta_max * norm;
                    trusted |= chord;
                }
            }
            if !taken {
                axpy(x, -1.0, &ws.dx);
            }
            continue;
        }
        // Line search with the natural monotonicity test.
        let mut alpha = 1.0;
        loop {
            axpy(x, alpha, &ws.dx);
            sys.residual(x, &mut ws.dx_bar);
            stats.residual_evaluations += 1;
            let finite = negate_finite(&mut ws.dx_bar).is_some();
            if finite {
                if let Err(e) = ws.solver.solve(&mut ws.dx_bar) {
                    return Err(fail(linear_failure(e), it, last));
                }
                let (bar, _) = sys.update_norm(x, &ws.dx_bar, rtol);
                if bar <= (1.0 - alpha / 4.0) * norm || (alpha == 1.0 && bar < norm) {
                    // A full step that contracts by `theta_max`: `dx_bar` is the chord
                    // correction at the new iterate.
                    chord = reuse && alpha == 1.0 && bar <= theta_max * norm;
                    break;
                }
            }
            axpy(x, -alpha, &ws.dx);
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
    }
    Err(fail(
        NewtonFailure::MaxIterations,
        opts.max_iterations,
        last,
    ))
}

/// `x += a d` (two threads from [`PAR_LEN`] unknowns).
fn axpy(x: &mut [f64], a: f64, d: &[f64]) {
    let serial = |x: &mut [f64], d: &[f64]| {
        for (xi, di) in x.iter_mut().zip(d) {
            *xi += a * di;
        }
    };
    if x.len() < PAR_LEN {
        return serial(x, d);
    }
    let h = half(x.len(), 8);
    let ((x0, x1), (d0, d1)) = (x.split_at_mut(h), d.split_at(h));
    rayon::join(|| serial(x0, d0), || serial(x1, d1));
}

/// Negate the residual `v` in place (for `J dx = -F`) and return its max-norm, or `None`
/// when it holds a NaN or an infinity (`v` is then negated all the same): the finiteness
/// test, the norm and the sign in one pass over the vector instead of three (eight running
/// maxima, so that the loop vectorizes; two threads from [`PAR_LEN`] unknowns).
fn negate_finite(v: &mut [f64]) -> Option<f64> {
    if v.len() < PAR_LEN {
        return negate_finite_serial(v);
    }
    let (v0, v1) = v.split_at_mut(half(v.len(), 8));
    match rayon::join(|| negate_finite_serial(v0), || negate_finite_serial(v1)) {
        (Some(a), Some(b)) => Some(a.max(b)),
        _ => None,
    }
}

fn negate_finite_serial(v: &mut [f64]) -> Option<f64> {
    let (mut m, mut bad) = ([0.0f64; 8], false);
    for c in v.chunks_mut(8) {
        for (mj, x) in m.iter_mut().zip(c.iter_mut()) {
            let a = x.abs();
            bad |= !a.is_finite();
            *mj = if a > *mj { a } else { *mj };
            *x = -*x;
        }
    }
    (!bad).then(|| m.iter().fold(0.0f64, |a, &b| a.max(b)))
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

    /// Tolerances that repeat with period 3, as for two species and a potential.
    struct Periodic;
    impl NonlinearSystem for Periodic {
        fn dim(&self) -> usize {
            0
        }
        fn structure(&self) -> Structure {
            Structure::Banded {
                n: 0,
                lower: 0,
                upper: 0,
            }
        }
        fn residual(&mut self, _x: &[f64], _r: &mut [f64]) {}
        fn jacobian(&mut self, _x: &[f64], _j: &mut dyn MatrixSink, _r: &mut [f64]) {}
        fn atol(&self, i: usize) -> f64 {
            [1e-14, 1e-14, 1e-10][i % 3]
        }
    }

    /// The chunked norm returns the value and index of [`weighted_norm`] exactly: for
    /// growing and falling updates (a new largest in every chunk, or only in the first),
    /// ties (the first index wins), a largest in a partial last chunk, and a NaN or an
    /// infinity after a larger finite value (the first NaN is reported, an infinity is the
    /// largest); also on two threads (from [`PAR_LEN`] unknowns), with the largest, a tie or
    /// a NaN in either half.
    #[test]
    fn periodic_norm_equals_the_weighted_norm() {
        let atol = [1e-14, 1e-14, 1e-10];
        for n in [3 * 101, 3 * (PAR_LEN / 3 + 101)] {
            let x: Vec<f64> = (0..n).map(|i| (i as f64 * 0.37).sin()).collect();
            let mut cases: Vec<Vec<f64>> = vec![
                (0..n).map(|i| i as f64 * 1e-12).collect(),
                (0..n).map(|i| (n - i) as f64 * 1e-12).collect(),
                (0..n).map(|i| ((i * 7919) % 113) as f64 * 1e-13).collect(),
                vec![2e-12; n],
                vec![0.0; n],
            ];
            let mut last = vec![1e-13; n];
            last[n - 2] = 5e-9;
            cases.push(last);
            for (at, bad) in [(200, f64::NAN), (200, f64::INFINITY), (5, f64::NAN)] {
                let mut v = cases[0].clone();
                v[at] = bad;
                cases.push(v);
            }
            for (late, bad) in [
                (1e-9, f64::NAN),
                (2e-9, f64::NAN),
                (1e-9, 1e-9),
                (2e-9, 0.0),
            ] {
                // Equal (first wins) or larger values late; a NaN late, or also early.
                let mut v = vec![0.0; n];
                v[12] = 1e-9;
                v[n - 6] = late;
                v[n - 3] = bad;
                cases.push(v.clone());
                v[30] = f64::NAN;
                cases.push(v);
            }
            for (c, v) in cases.iter().enumerate() {
                for rtol in [1e-10, 0.0] {
                    let (a, ia) = weighted_norm(&Periodic, &x, v, rtol);
                    let (b, ib) = periodic_weighted_norm(&x, v, rtol, &atol);
                    assert_eq!(
                        (a.to_bits(), ia),
                        (b.to_bits(), ib),
                        "n {n}, case {c}, rtol {rtol}"
                    );
                }
            }
        }
    }

    /// One pass negates, measures and tests a residual: the max-norm is that of the
    /// three-pass code (`fold(0, f64::max)` of the magnitudes), also past a multiple of the
    /// eight lanes, and a NaN or an infinity anywhere gives `None`.
    #[test]
    fn negate_finite_negates_measures_and_tests() {
        for n in [0usize, 1, 7, 8, 9, 29, PAR_LEN + 29] {
            let v: Vec<f64> = (0..n).map(|i| ((i * 37 % 11) as f64 - 5.0) * 1.5).collect();
            let mut w = v.clone();
            let norm = negate_finite(&mut w).unwrap();
            assert_eq!(
                norm,
                v.iter().fold(0.0, |m: f64, x| m.max(x.abs())),
                "n = {n}"
            );
            assert!(v.iter().zip(&w).all(|(a, b)| *b == -*a));
            for bad in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
                for at in [0, n.saturating_sub(1)] {
                    if n > 0 {
                        let mut w = v.clone();
                        w[at] = bad;
                        assert_eq!(negate_finite(&mut w), None, "n = {n}, {bad} at {at}");
                    }
                }
            }
        }
    }

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

    /// The chord method (kept factors) reaches the Newton solution of Bratu at mu = 3
    /// (near the fold, where the Jacobian changes along the iteration) to the tolerance,
    /// with fewer factorizations than iterations.
    #[test]
    fn jacobian_reuse_reaches_the_same_root_with_fewer_factorizations() {
        let solve = |reuse: f64| {
            let mut sys = Bratu { n: 200, mu: 3.0 };
            let mut x = vec![0.0; 200];
            let mut ws = NewtonWorkspace::for_system(&sys);
            let opts = NewtonOptions {
                jacobian_reuse: reuse,
                ..Default::default()
            };
            let s = newton(&mut sys, &mut x, &mut ws, &opts).unwrap();
            (x, s)
        };
        let (a, sa) = solve(0.0);
        let (b, sb) = solve(0.25);
        assert_eq!(sa.factorizations, sa.iterations, "{sa:?}");
        assert!(sb.factorizations < sb.iterations, "{sb:?}");
        assert!(sb.factorizations <= sa.factorizations, "{sb:?} vs {sa:?}");
        for (u, v) in a.iter().zip(&b) {
            assert!((u - v).abs() <= 1e-9 * u.abs().max(1e-3), "{u} vs {v}");
        }
    }

    /// A call that finds factors in the workspace starts from them: a solve at a nearby
    /// parameter converges without a new factorization when they contract, and factors of a
    /// distant problem (which do not) are replaced instead of giving a wrong root.
    #[test]
    fn kept_factors_are_used_across_calls_only_while_they_contract() {
        let opts = NewtonOptions {
            jacobian_reuse: 0.25,
            ..Default::default()
        };
        let mut sys = Bratu { n: 100, mu: 1.0 };
        let mut x = vec![0.0; 100];
        let mut ws = NewtonWorkspace::for_system(&sys);
        newton(&mut sys, &mut x, &mut ws, &opts).unwrap();
        assert!(ws.has_factors());
        // Nearby: mu = 1.001 from the mu = 1 root, at the mu = 1 factors.
        sys.mu = 1.001;
        let s = newton(&mut sys, &mut x, &mut ws, &opts).unwrap();
        assert_eq!(s.factorizations, 0, "{s:?}");
        let reference = |mu: f64| {
            let mut sys = Bratu { n: 100, mu };
            let mut y = vec![0.0; 100];
            let mut ws = NewtonWorkspace::for_system(&sys);
            newton(&mut sys, &mut y, &mut ws, &NewtonOptions::default()).unwrap();
            y
        };
        for (u, v) in x.iter().zip(&reference(1.001)) {
            assert!((u - v).abs() <= 1e-9 * v.abs(), "{u} vs {v}");
        }
        // Distant: factors with a diagonal 1e8 times too large still in the workspace, and
        // mu = 3.4 (far along the branch). At them the first update looks converged (its
        // weighted norm is below one) but does not contract: the iteration must factor
        // again and reach the mu = 3.4 root, not stop at the mu = 1.001 one.
        ws.solver.matrix().clear();
        let mut big = Bratu { n: 100, mu: 1.0 };
        big.jacobian(&x, ws.solver.matrix(), &mut vec![0.0; 100]);
        let h2 = (101.0f64).powi(2);
        for i in 0..100 {
            let d = ws.solver.matrix().get(i, i);
            ws.solver.matrix().add(i, i, 1e8 * h2 - d);
        }
        ws.solver.factor().unwrap();
        sys.mu = 3.4;
        let s = newton(&mut sys, &mut x, &mut ws, &opts).unwrap();
        assert!(s.factorizations >= 1, "{s:?}");
        for (u, v) in x.iter().zip(&reference(3.4)) {
            assert!((u - v).abs() <= 1e-9 * v.abs(), "{u} vs {v}");
        }
        ws.forget_factors();
        assert!(!ws.has_factors());
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
