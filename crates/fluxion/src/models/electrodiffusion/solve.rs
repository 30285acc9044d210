//! Steady and transient solves, their options and results, and the solver interfaces.

use super::profiles::SeriesWork;
use super::{Electrodiffusion, ModelError, Profiles, Row, TimeSeries};
use crate::solve::{
    continuation, newton, periodic_weighted_norm, BdfOptions, BdfStepper, ContinuationError,
    ContinuationOptions, DaeSystem, Homotopy, MatrixSink, NewtonOptions, NewtonWorkspace,
    NonlinearSystem, Progress, SolverChoice, Structure,
};
use crate::solve::{half, PAR_LEN};

impl Electrodiffusion {
    /// Solve for the steady state.
    ///
    /// Tries Newton from a linear initial guess first; if that fails, continues in one
    /// parameter that scales the applied potential difference, surface charges, currents,
    /// fluxes and concentration differences together from zero to their values.
    pub fn solve_steady(
        &mut self,
        opts: &SteadyOptions,
        progress: &mut dyn Progress,
    ) -> Result<SteadySolution, SolveError> {
        let (x, stats) = self.solve_steady_state(opts, progress)?;
        let differential_capacitance = self.differential_capacitance(&x, &opts.newton);
        Ok(SteadySolution {
            profiles: self.profiles(&x, None),
            state: x,
            stats,
            differential_capacitance,
        })
    }

    /// The steady state alone (scaled, as [`SteadySolution::state`]) and the solver cost:
    /// [`Self::solve_steady`] without its post-processing (profiles, capacitance). The
    /// solver's buffers are freed before it returns.
    pub fn solve_steady_state(
        &mut self,
        opts: &SteadyOptions,
        progress: &mut dyn Progress,
    ) -> Result<(Vec<f64>, SteadyStats), SolveError> {
        for k in 0..self.m {
            if self.rows[0][k] != Row::Dirichlet && self.rows[1][k] != Row::Dirichlet {
                return Err(SolveError::Model(ModelError::Underdetermined(format!(
                    "species {} has no fixed concentration on either side, so its amount is undetermined in a steady state: fix its concentration on one side, or run mode = \"transient\"",
                    self.problem.species[k].name
                ))));
            }
        }
        let mut ws = NewtonWorkspace::new(&NonlinearSystem::structure(self), opts.solver)
            .map_err(|e| SolveError::Model(ModelError::Inconsistent(e.to_string())))?;
        self.set_bc_lambda(1.0);
        let mut x = self.initial_guess();
        let mut stats = SteadyStats::default();
        let direct = if opts.force_continuation {
            None
        } else {
            let o = NewtonOptions {
                max_iterations: opts.newton.max_iterations.min(40),
                ..opts.newton
            };
            match newton(self, &mut x, &mut ws, &o) {
                Ok(s) => Some(s),
                Err(e) => {
                    stats.newton_iterations += e.iterations;
                    None
                }
            }
        };
        let s = match direct {
            Some(s) => s,
            None => {
                stats.continuation = true;
                self.set_bc_lambda(0.0);
                x = self.initial_guess();
                let copts = ContinuationOptions {
                    newton: opts.newton,
                    ..opts.continuation
                };
                let res = continuation(self, &mut x, &mut ws, &copts, progress);
                match res {
                    Ok((s, steps)) => {
                        stats.continuation_steps = steps;
                        s
                    }
                    Err(e) => {
                        let at = self.describe_unknown(e.newton.worst_unknown);
                        return Err(SolveError::Steady {
                            reached: e.reached,
                            at,
                            source: e,
                        });
                    }
                }
            }
        };
        stats.newton_iterations += s.iterations;
        stats.update_norm = s.update_norm;
        stats.residual = s.residual_norm;
        stats.memory_bytes = ws.memory_bytes()
            + 8 * (x.len() + self.face_factor.len() + self.advection.len())
            + self.asm.as_ref().map_or(0, |a| a.memory_bytes());
        // The factors are freed here, before any post-processing allocates the profiles.
        Ok((x, stats))
    }

    /// Integrate in time from `x0` (scaled state, see [`Self::state_from_concentrations`]),
    /// recording a time series at every step and profiles at `output_times` (s).
    pub fn solve_transient(
        &mut self,
        x0: &[f64],
        opts: &TransientOptions,
        progress: &mut dyn Progress,
    ) -> Result<TransientSolution, SolveError> {
        self.set_bc_lambda(1.0);
        let ts = self.scales.time;
        let bdf = BdfOptions {
            rtol: opts.rtol,
            initial_step: opts.initial_step / ts,
            max_step: opts.max_step / ts,
            newton: opts.newton,
            ..BdfOptions::default()
        };
        let x0 = self.consistent_initial_state(x0);
        let mut stepper =
            BdfStepper::new(self, 0.0, &x0, bdf).map_err(|e| SolveError::Transient {
                t: 0.0,
                h: opts.initial_step,
                at: Some(e.to_string()),
            })?;
        let mut series = TimeSeries::new(self.m);
        let mut snapshots = Vec::new();
        let mut xdot = vec![0.0; x0.len()];
        // Per-step post-processing into buffers allocated here: no allocation per step
        // (profiles are computed only at the output times).
        let mut work = SeriesWork::new(self.nv, self.m);
        let current = self.series_point(&x0, None, &mut work);
        series.push(0.0, current, [0.0; 2], &work.flux, &work.amount);
        let mut outputs: Vec<f64> = opts.output_times.clone();
        outputs.retain(|t| *t > 0.0 && *t <= opts.end_time);
        outputs.sort_by(|a, b| a.total_cmp(b));
        outputs.dedup();
        if opts.output_times.contains(&0.0) {
            snapshots.push((0.0, self.profiles(&x0, None)));
        }
        let t_end = opts.end_time / ts;
        let mut next_out = 0;
        while stepper.time() < t_end * (1.0 - 1e-14) {
            let stop = outputs
                .get(next_out)
                .map(|t| t / ts)
                .unwrap_or(t_end)
                .min(t_end);
            let out = stepper
                .step(self, stop)
                .map_err(|e| SolveError::Transient {
                    t: e.t * ts,
                    h: e.h * ts,
                    at: e.newton.map(|n| {
                        format!(
                            "{}: {} after {} iterations, weighted update {:.2e}",
                            self.describe_unknown(n.worst_unknown),
                            n.reason,
                            n.iterations,
                            n.update_norm
                        )
                    }),
                })?;
            stepper.derivative(&mut xdot);
            let t = out.t * ts;
            let current = self.series_point(stepper.state(), Some(&xdot), &mut work);
            let disp = self.displacement_current(&xdot);
            series.push(t, current, disp, &work.flux, &work.amount);
            progress.update(t / opts.end_time, "time stepping");
            if next_out < outputs.len() && (out.t - stop).abs() <= 1e-12 * stop.max(1e-300) {
                let prof = self.profiles(stepper.state(), Some(&xdot));
                snapshots.push((outputs[next_out], prof));
                next_out += 1;
            }
        }
        let final_state = stepper.state().to_vec();
        let profiles = self.profiles(&final_state, Some(&xdot));
        Ok(TransientSolution {
            profiles,
            state: final_state,
            snapshots,
            series,
            stats: stepper.stats,
        })
    }
}

/// Steady solver settings.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SteadyOptions {
    /// Newton settings (by default with [`STEADY_JACOBIAN_REUSE`]), also those of the
    /// continuation steps.
    pub newton: NewtonOptions,
    /// Continuation settings (used when the direct solve fails).
    pub continuation: ContinuationOptions,
    /// Skip the direct attempt and always continue from the easy problem.
    pub force_continuation: bool,
    /// Linear solver (default: block-tridiagonal LU for the 1D chain).
    pub solver: SolverChoice,
}

/// The contraction below which the steady Newton iteration keeps the factors of a Jacobian
/// ([`NewtonOptions::jacobian_reuse`]): on the benchmark cell (`fluxion bench`) 5 iterations
/// with 2 factorizations instead of 3 with 3, and the solve 1.4, 1.25 and 1.1 times faster
/// at 1e3, 1e5 and 1e6 nodes (2026-12-07, two runs each), since a chord step costs a
/// residual and two triangular solves.
pub const STEADY_JACOBIAN_REUSE: f64 = 0.25;

impl Default for SteadyOptions {
    fn default() -> Self {
        SteadyOptions {
            newton: NewtonOptions {
                jacobian_reuse: STEADY_JACOBIAN_REUSE,
                ..NewtonOptions::default()
            },
            continuation: ContinuationOptions::default(),
            force_continuation: false,
            solver: SolverChoice::default(),
        }
    }
}

/// Transient solver settings (times in s).
#[derive(Clone, Debug, PartialEq)]
pub struct TransientOptions {
    /// End time, s.
    pub end_time: f64,
    /// Times at which profiles are recorded, s.
    pub output_times: Vec<f64>,
    /// Relative local error tolerance of the BDF stepper.
    pub rtol: f64,
    /// First step, s.
    pub initial_step: f64,
    /// Largest step, s.
    pub max_step: f64,
    /// Newton settings for each step.
    pub newton: NewtonOptions,
}

impl TransientOptions {
    /// Defaults for a run to `end_time`: rtol 1e-5, first step `1e-9 end_time`.
    pub fn new(end_time: f64) -> Self {
        TransientOptions {
            end_time,
            output_times: vec![end_time],
            rtol: 1e-5,
            initial_step: 1e-9 * end_time,
            max_step: end_time,
            newton: NewtonOptions {
                max_iterations: 15,
                ..NewtonOptions::default()
            },
        }
    }
}

/// Cost of a steady solve.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct SteadyStats {
    /// Newton iterations in total (direct attempt and continuation).
    pub newton_iterations: usize,
    /// Whether continuation was needed.
    pub continuation: bool,
    /// Continuation steps.
    pub continuation_steps: usize,
    /// Final weighted update norm.
    pub update_norm: f64,
    /// Max-norm of the final scaled residual.
    pub residual: f64,
    /// Bytes held by the solver buffers.
    pub memory_bytes: usize,
}

/// A steady solution.
#[derive(Clone, Debug)]
pub struct SteadySolution {
    /// Scaled state vector.
    pub state: Vec<f64>,
    /// Physical profiles.
    pub profiles: Profiles,
    /// Solver cost.
    pub stats: SteadyStats,
    /// Differential capacitance `d sigma / d psi` (F/m^2) of each double-layer wall
    /// (Poisson closure, every species blocked, potential or surface charge given, the
    /// other side at a fixed potential), by central differences of re-solved steady states;
    /// `None` elsewhere.
    pub differential_capacitance: [Option<f64>; 2],
}

/// A transient solution.
#[derive(Clone, Debug)]
pub struct TransientSolution {
    /// Scaled final state.
    pub state: Vec<f64>,
    /// Profiles at the end time.
    pub profiles: Profiles,
    /// Profiles at the requested output times.
    pub snapshots: Vec<(f64, Profiles)>,
    /// Time series at every step.
    pub series: TimeSeries,
    /// Stepper statistics.
    pub stats: crate::solve::BdfStats,
}

/// Why a solve failed, with what to try.
#[derive(Debug, thiserror::Error)]
pub enum SolveError {
    /// The problem is ill-posed.
    #[error(transparent)]
    Model(#[from] ModelError),
    /// The steady solver (Newton, then continuation) did not converge.
    #[error("the steady solver did not converge: continuation reached {:.1}% of the applied conditions; Newton stalled at {at} ({source}). Try: more nodes near the boundaries (grid = \"refined\" with a min_spacing well below the Debye length), [solver] max_iterations = 100, or approach the conditions in smaller steps with [solver] continuation_step = 0.01", 100.0 * reached)]
    Steady {
        /// Fraction of the continuation path solved.
        reached: f64,
        /// Where Newton's largest update was.
        at: String,
        /// The continuation failure.
        source: ContinuationError,
    },
    /// The transient solver could not take a step.
    #[error("the time stepper failed at t = {t:.6e} s (step {h:.3e} s){}. Try: a smaller [transient] initial_step, a looser rtol, or more nodes where the profiles are steep", at.as_ref().map(|a| format!("; Newton stalled at {a}")).unwrap_or_default())]
    Transient {
        /// Time reached, s.
        t: f64,
        /// Last step tried, s.
        h: f64,
        /// Where Newton's largest update was.
        at: Option<String>,
    },
}

impl Electrodiffusion {
    /// Whether unknown `i` is a concentration (not the potential). Called for every unknown
    /// in every norm of Newton: a 32-bit remainder (unknown counts are below 2^31, see
    /// [`crate::assembly::DofMap`]) costs a fraction of a 64-bit one.
    #[inline]
    fn is_concentration(&self, i: usize) -> bool {
        (i as u32 % self.nv as u32) < self.m as u32
    }
}

/// Absolute tolerance of a scaled concentration in the steady Newton test.
const ATOL_CONCENTRATION: f64 = 1e-14;
/// Absolute tolerance of the scaled potential in the steady Newton test.
const ATOL_POTENTIAL: f64 = 1e-10;

impl NonlinearSystem for Electrodiffusion {
    fn dim(&self) -> usize {
        self.n * self.nv
    }
    fn structure(&self) -> Structure {
        self.asm.as_ref().expect("assembler present").structure()
    }
    fn residual(&mut self, x: &[f64], r: &mut [f64]) {
        self.assemble(x, r, None);
    }
    fn jacobian(&mut self, x: &[f64], jac: &mut dyn MatrixSink, r: &mut [f64]) {
        self.assemble(x, r, Some(jac));
    }
    fn atol(&self, i: usize) -> f64 {
        if self.is_concentration(i) {
            ATOL_CONCENTRATION
        } else {
            ATOL_POTENTIAL
        }
    }
    fn update_norm(&self, x: &[f64], v: &[f64], rtol: f64) -> (f64, usize) {
        // `weighted_norm` with the tolerance of each field known from its position in the
        // node.
        let mut atol = [ATOL_POTENTIAL; 64];
        atol[..self.m].fill(ATOL_CONCENTRATION);
        periodic_weighted_norm(x, v, rtol, &atol[..self.nv])
    }
    fn limit_step(&self, x: &[f64], dx: &mut [f64]) {
        // Concentrations may fall by at most 95% per iteration (they stay positive); not
        // on the rows of fixed values, which only the two end nodes have.
        let (n, nv, m) = (self.n, self.nv, self.m);
        let limit = |x: f64, d: &mut f64| {
            if x > 0.0 && *d < -0.95 * x {
                *d = -0.95 * x;
            }
        };
        let interior = |x: &[f64], dx: &mut [f64]| {
            for (xn, dn) in x.chunks_exact(nv).zip(dx.chunks_exact_mut(nv)) {
                for k in 0..m {
                    limit(xn[k], &mut dn[k]);
                }
            }
        };
        let (xi, di) = (&x[nv..(n - 1) * nv], &mut dx[nv..(n - 1) * nv]);
        if xi.len() < PAR_LEN {
            interior(xi, di);
        } else {
            // Two threads, one half each (node-aligned).
            let h = half(xi.len(), nv);
            let ((x0, x1), (d0, d1)) = (xi.split_at(h), di.split_at_mut(h));
            rayon::join(|| interior(x0, d0), || interior(x1, d1));
        }
        for i in [0, n - 1] {
            for k in 0..m {
                if self.row_kind(i, k) != Row::Dirichlet {
                    limit(x[i * nv + k], &mut dx[i * nv + k]);
                }
            }
        }
    }
}

impl Homotopy for Electrodiffusion {
    fn set_lambda(&mut self, lambda: f64) {
        self.set_bc_lambda(lambda);
    }
}

impl DaeSystem for Electrodiffusion {
    fn dim(&self) -> usize {
        self.n * self.nv
    }
    fn structure(&self) -> Structure {
        NonlinearSystem::structure(self)
    }
    fn mass(&self, mass: &mut [f64]) {
        let m = self.m;
        self.asm
            .as_ref()
            .expect("assembler present")
            .mass(|i, a| if a < m { self.mesh.volume(i) } else { 0.0 }, mass);
    }
    fn rhs(&mut self, _t: f64, x: &[f64], f: &mut [f64]) {
        self.assemble(x, f, None);
    }
    fn rhs_jacobian(&mut self, _t: f64, x: &[f64], jac: &mut dyn MatrixSink, f: &mut [f64]) {
        self.assemble(x, f, Some(jac));
    }
    fn atol(&self, i: usize) -> f64 {
        // Under electroneutrality the potential is an index-2 variable whose Newton
        // corrections carry round-off amplified by 1/h on tiny steps; 1e-6 V_T (26 nV) is
        // far below anything observable and keeps such steps from stalling.
        if self.is_concentration(i) {
            1e-9
        } else {
            1e-6
        }
    }
    fn limit_step(&self, x: &[f64], dx: &mut [f64]) {
        NonlinearSystem::limit_step(self, x, dx)
    }
}
