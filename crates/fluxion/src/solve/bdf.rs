//! Variable-step BDF (orders 1 and 2) for `M dx/dt + F(t, x) = 0` with a diagonal mass matrix.
//!
//! Rows with zero mass are algebraic (Poisson, electroneutrality, Dirichlet conditions).
//! The BDF formula of order `q` on the step `h = t_{n+1} - t_n` replaces `dx/dt` by
//! `alpha_0 x_{n+1} + beta`, with the variable-step coefficients (`w = h / h_{n-1}`)
//!
//! ```text
//! q = 1:  alpha_0 = 1/h,                      beta = -x_n / h
//! q = 2:  alpha_0 = (1 + 2w) / ((1 + w) h),   beta = (-(1 + w) x_n + w^2/(1 + w) x_{n-1}) / h
//! ```
//!
//! whose weights sum to zero, so `sum_i M_i x_i` is conserved exactly whenever the fluxes
//! cancel (a closed system conserves mass to round-off). The local error is estimated from
//! the distance to a polynomial predictor (Milne's device); only rows with mass enter the
//! error norm. A hand-written stepper rather than diffsol: it shares the banded Newton of
//! the steady solver (damping, positivity limits) and the model's analytic Jacobian.

use super::linear::{LinearError, MatrixSink, SolverChoice, Structure};
use super::newton::{newton, NewtonError, NewtonOptions, NewtonWorkspace, NonlinearSystem};

/// A differential-algebraic system `M dx/dt + F(t, x) = 0`, `M` diagonal.
pub trait DaeSystem {
    /// Number of unknowns.
    fn dim(&self) -> usize;
    /// Nonzero structure of `dF/dx`.
    fn structure(&self) -> Structure;
    /// Diagonal of the mass matrix.
    fn mass(&self, m: &mut [f64]);
    /// Evaluate `F(t, x)`.
    fn rhs(&mut self, t: f64, x: &[f64], f: &mut [f64]);
    /// Assemble `dF/dx` into `jac` and `F(t, x)` into `f`.
    fn rhs_jacobian(&mut self, t: f64, x: &[f64], jac: &mut dyn MatrixSink, f: &mut [f64]);
    /// Absolute tolerance of unknown `i`.
    fn atol(&self, i: usize) -> f64;
    /// Restrict a Newton step (positivity). Default: unchanged.
    fn limit_step(&self, _x: &[f64], _dx: &mut [f64]) {}
}

/// BDF settings.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct BdfOptions {
    /// Relative local error tolerance.
    pub rtol: f64,
    /// First step, in the time unit of the system.
    pub initial_step: f64,
    /// Largest step.
    pub max_step: f64,
    /// Smallest step before giving up.
    pub min_step: f64,
    /// Highest order (1 or 2).
    pub max_order: usize,
    /// Newton settings for each step.
    pub newton: NewtonOptions,
    /// Linear solver of the Newton iterations.
    pub solver: SolverChoice,
}

impl Default for BdfOptions {
    fn default() -> Self {
        BdfOptions {
            rtol: 1e-5,
            initial_step: 1e-8,
            max_step: f64::INFINITY,
            min_step: 1e-18,
            max_order: 2,
            newton: NewtonOptions {
                max_iterations: 15,
                ..NewtonOptions::default()
            },
            solver: SolverChoice::Auto,
        }
    }
}

/// Work done so far.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct BdfStats {
    /// Accepted steps.
    pub steps: usize,
    /// Steps rejected by the error test.
    pub error_test_failures: usize,
    /// Steps rejected because Newton failed.
    pub newton_failures: usize,
    /// Newton iterations in total.
    pub newton_iterations: usize,
}

/// One accepted step.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct StepOutcome {
    /// New time.
    pub t: f64,
    /// Step taken.
    pub h: f64,
    /// Order used.
    pub order: usize,
}

/// The step size fell below the minimum.
#[derive(Clone, Copy, Debug, PartialEq, thiserror::Error)]
#[error("time step fell below {h:.3e} at t = {t:.6e}{}", newton.map(|n| format!("; last Newton failure: {n}")).unwrap_or_default())]
pub struct StepTooSmall {
    /// Time reached.
    pub t: f64,
    /// Last step tried.
    pub h: f64,
    /// The Newton failure that forced the last reduction, if any.
    pub newton: Option<NewtonError>,
}

/// Adaptive BDF integrator with all buffers allocated up front.
#[derive(Debug)]
pub struct BdfStepper {
    opts: BdfOptions,
    t: [f64; 3],
    hist: [Vec<f64>; 3],
    nhist: usize,
    h: f64,
    mass: Vec<f64>,
    beta: Vec<f64>,
    pred: Vec<f64>,
    xnew: Vec<f64>,
    alpha0: f64,
    ws: NewtonWorkspace,
    /// Statistics.
    pub stats: BdfStats,
}

struct Stage<'a, S: DaeSystem + ?Sized> {
    sys: &'a mut S,
    t: f64,
    alpha0: f64,
    beta: &'a [f64],
    mass: &'a [f64],
}

impl<S: DaeSystem + ?Sized> NonlinearSystem for Stage<'_, S> {
    fn dim(&self) -> usize {
        self.sys.dim()
    }
    fn structure(&self) -> Structure {
        self.sys.structure()
    }
    fn residual(&mut self, x: &[f64], r: &mut [f64]) {
        self.sys.rhs(self.t, x, r);
        for i in 0..r.len() {
            if self.mass[i] != 0.0 {
                r[i] += self.mass[i] * (self.alpha0 * x[i] + self.beta[i]);
            }
        }
    }
    fn jacobian(&mut self, x: &[f64], jac: &mut dyn MatrixSink, r: &mut [f64]) {
        self.sys.rhs_jacobian(self.t, x, jac, r);
        for i in 0..r.len() {
            if self.mass[i] != 0.0 {
                r[i] += self.mass[i] * (self.alpha0 * x[i] + self.beta[i]);
                jac.add(i, i, self.mass[i] * self.alpha0);
            }
        }
    }
    fn atol(&self, i: usize) -> f64 {
        self.sys.atol(i)
    }
    fn limit_step(&self, x: &[f64], dx: &mut [f64]) {
        self.sys.limit_step(x, dx)
    }
}

impl BdfStepper {
    /// Start at time `t0` from state `x0`; fails only if `opts.solver` cannot handle the
    /// system's structure.
    pub fn new<S: DaeSystem + ?Sized>(
        sys: &S,
        t0: f64,
        x0: &[f64],
        opts: BdfOptions,
    ) -> Result<Self, LinearError> {
        let n = sys.dim();
        let mut mass = vec![0.0; n];
        sys.mass(&mut mass);
        Ok(BdfStepper {
            opts,
            t: [t0; 3],
            hist: [x0.to_vec(), x0.to_vec(), x0.to_vec()],
            nhist: 1,
            h: opts.initial_step,
            mass,
            beta: vec![0.0; n],
            pred: vec![0.0; n],
            xnew: vec![0.0; n],
            alpha0: 0.0,
            ws: NewtonWorkspace::new(&sys.structure(), opts.solver)?,
            stats: BdfStats::default(),
        })
    }

    /// Current time.
    pub fn time(&self) -> f64 {
        self.t[0]
    }

    /// Current state.
    pub fn state(&self) -> &[f64] {
        &self.hist[0]
    }

    /// The BDF approximation of `dx/dt` at the current time (zero before the first step).
    pub fn derivative(&self, out: &mut [f64]) {
        if self.nhist < 2 {
            out.fill(0.0);
            return;
        }
        for i in 0..out.len() {
            out[i] = self.alpha0 * self.hist[0][i] + self.beta[i];
        }
    }

    /// Diagonal mass matrix of the system.
    pub fn mass(&self) -> &[f64] {
        &self.mass
    }

    /// Take one accepted step, not beyond `t_stop`.
    pub fn step<S: DaeSystem + ?Sized>(
        &mut self,
        sys: &mut S,
        t_stop: f64,
    ) -> Result<StepOutcome, StepTooSmall> {
        let mut last_newton = None;
        loop {
            let tn = self.t[0];
            let mut h = self.h.min(self.opts.max_step).min(t_stop - tn);
            // Avoid a sliver of a step just before t_stop.
            if t_stop - tn - h < 0.1 * h {
                h = t_stop - tn;
            }
            if h < self.opts.min_step.max(1e-14 * tn.abs()) {
                return Err(StepTooSmall {
                    t: tn,
                    h,
                    newton: last_newton,
                });
            }
            let order = if self.nhist >= 2 {
                self.opts.max_order.min(2)
            } else {
                1
            };
            let tnew = tn + h;
            self.coefficients(order, h);
            self.xnew.copy_from_slice(&self.hist[0]);
            let mut stage = Stage {
                sys: &mut *sys,
                t: tnew,
                alpha0: self.alpha0,
                beta: &self.beta,
                mass: &self.mass,
            };
            // The local error test controls each step; the residual check is off because
            // under electroneutrality the potential is an index-2 variable whose simplified
            // correction amplifies round-off by 1/h on tiny steps.
            let nopts = NewtonOptions {
                check_residual: false,
                ..self.opts.newton
            };
            match newton(&mut stage, &mut self.xnew, &mut self.ws, &nopts) {
                Err(e) => {
                    self.stats.newton_iterations += e.iterations;
                    self.stats.newton_failures += 1;
                    last_newton = Some(e);
                    self.h = 0.25 * h;
                    continue;
                }
                Ok(s) => self.stats.newton_iterations += s.iterations,
            }
            // Error estimate (none on the very first step, which is kept small).
            let err = if self.nhist >= 2 {
                self.predict(order, h);
                let k = self.error_constant(order, h);
                let mut sum = 0.0;
                let mut count = 0usize;
                for i in 0..self.xnew.len() {
                    if self.mass[i] != 0.0 {
                        let e = k * (self.xnew[i] - self.pred[i]);
                        let w = self.opts.rtol * self.xnew[i].abs() + sys.atol(i);
                        sum += (e / w) * (e / w);
                        count += 1;
                    }
                }
                (sum / count.max(1) as f64).sqrt()
            } else {
                0.0
            };
            let q = order as f64 + 1.0;
            if err > 1.0 {
                self.stats.error_test_failures += 1;
                self.h = h * (0.9 * err.powf(-1.0 / q)).clamp(0.1, 0.5);
                continue;
            }
            // Accept: rotate history.
            self.hist.rotate_right(1);
            self.t.rotate_right(1);
            self.hist[0].copy_from_slice(&self.xnew);
            self.t[0] = tnew;
            self.nhist = (self.nhist + 1).min(3);
            self.stats.steps += 1;
            let grow = if err > 0.0 {
                (0.9 * err.powf(-1.0 / q)).clamp(0.2, 2.0)
            } else {
                2.0
            };
            // Keep the step ratio inside the BDF2 zero-stability bound.
            self.h = h * grow;
            return Ok(StepOutcome { t: tnew, h, order });
        }
    }

    fn coefficients(&mut self, order: usize, h: f64) {
        let x0 = &self.hist[0];
        if order == 1 {
            self.alpha0 = 1.0 / h;
            for (b, x) in self.beta.iter_mut().zip(x0) {
                *b = -x / h;
            }
        } else {
            let h1 = self.t[0] - self.t[1];
            let w = h / h1;
            self.alpha0 = (1.0 + 2.0 * w) / ((1.0 + w) * h);
            let (c0, c1) = (-(1.0 + w) / h, w * w / ((1.0 + w) * h));
            let x1 = &self.hist[1];
            for i in 0..self.beta.len() {
                self.beta[i] = c0 * x0[i] + c1 * x1[i];
            }
        }
    }

    /// Polynomial extrapolation of the history to `t_n + h` (degree = order).
    fn predict(&mut self, order: usize, h: f64) {
        let tn = self.t[0];
        let tnew = tn + h;
        if order == 1 || self.nhist < 3 {
            let h1 = tn - self.t[1];
            let (a, b) = (1.0 + h / h1, -h / h1);
            for i in 0..self.pred.len() {
                self.pred[i] = a * self.hist[0][i] + b * self.hist[1][i];
            }
        } else {
            let ts = self.t;
            let l = |j: usize| -> f64 {
                let mut p = 1.0;
                for (k, tk) in ts.iter().enumerate() {
                    if k != j {
                        p *= (tnew - tk) / (ts[j] - tk);
                    }
                }
                p
            };
            let (a, b, c) = (l(0), l(1), l(2));
            for i in 0..self.pred.len() {
                self.pred[i] = a * self.hist[0][i] + b * self.hist[1][i] + c * self.hist[2][i];
            }
        }
    }

    /// Factor `K_c / (K_c + w_p)` turning `x_corrector - x_predictor` into the local error.
    fn error_constant(&self, order: usize, h: f64) -> f64 {
        let h1 = self.t[0] - self.t[1];
        if order == 1 || self.nhist < 3 {
            let kc = 0.5 * h * h;
            let wp = 0.5 * h * (h + h1);
            kc / (kc + wp)
        } else {
            let h2 = self.t[1] - self.t[2];
            let kc = h * h * (h + h1) * (h + h1) / (6.0 * (2.0 * h + h1));
            let wp = h * (h + h1) * (h + h1 + h2) / 6.0;
            kc / (kc + wp)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// dy/dt = -k y, plus an algebraic row z = 2 y.
    struct Decay {
        k: f64,
    }

    impl DaeSystem for Decay {
        fn dim(&self) -> usize {
            2
        }
        fn structure(&self) -> Structure {
            Structure::Banded {
                n: 2,
                lower: 1,
                upper: 1,
            }
        }
        fn mass(&self, m: &mut [f64]) {
            m[0] = 1.0;
            m[1] = 0.0;
        }
        fn rhs(&mut self, _t: f64, x: &[f64], f: &mut [f64]) {
            f[0] = self.k * x[0];
            f[1] = x[1] - 2.0 * x[0];
        }
        fn rhs_jacobian(&mut self, t: f64, x: &[f64], jac: &mut dyn MatrixSink, f: &mut [f64]) {
            self.rhs(t, x, f);
            jac.add(0, 0, self.k);
            jac.add(1, 0, -2.0);
            jac.add(1, 1, 1.0);
        }
        fn atol(&self, _i: usize) -> f64 {
            1e-10
        }
    }

    #[test]
    fn exponential_decay_meets_the_tolerance_and_converges_with_rtol() {
        let mut errs = vec![];
        for rtol in [1e-4, 1e-6] {
            let mut sys = Decay { k: 1.0 };
            let opts = BdfOptions {
                rtol,
                initial_step: 1e-6,
                ..Default::default()
            };
            let mut st = BdfStepper::new(&sys, 0.0, &[1.0, 2.0], opts).unwrap();
            while st.time() < 2.0 {
                st.step(&mut sys, 2.0).unwrap();
            }
            let y = st.state();
            let exact = (-2.0f64).exp();
            assert!((y[1] - 2.0 * y[0]).abs() < 1e-12);
            errs.push(((y[0] - exact) / exact).abs());
        }
        assert!(errs[0] < 5e-3, "{errs:?}");
        assert!(errs[1] < errs[0] / 20.0, "{errs:?}");
    }
}
