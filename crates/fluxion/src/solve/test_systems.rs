//! Small nonlinear systems with known solutions for the solver tests.

use super::{MatrixSink, NonlinearSystem, Structure};

/// Bratu problem `u'' + mu e^u = 0`, `u(0) = u(1) = 0`, central differences on `n`
/// interior nodes. The lower branch exists up to the fold at `mu = 3.51383`; at `mu = 1`
/// `u(1/2) = 0.140539` (Boyd 1986).
pub(crate) struct Bratu {
    pub n: usize,
    pub mu: f64,
}

impl NonlinearSystem for Bratu {
    fn dim(&self) -> usize {
        self.n
    }
    fn structure(&self) -> Structure {
        Structure::Banded {
            n: self.n,
            lower: 1,
            upper: 1,
        }
    }
    fn residual(&mut self, x: &[f64], r: &mut [f64]) {
        let h = 1.0 / (self.n + 1) as f64;
        for i in 0..self.n {
            let l = if i > 0 { x[i - 1] } else { 0.0 };
            let rr = if i + 1 < self.n { x[i + 1] } else { 0.0 };
            r[i] = (l - 2.0 * x[i] + rr) / (h * h) + self.mu * x[i].exp();
        }
    }
    fn jacobian(&mut self, x: &[f64], jac: &mut dyn MatrixSink, r: &mut [f64]) {
        self.residual(x, r);
        let h = 1.0 / (self.n + 1) as f64;
        for i in 0..self.n {
            jac.add(i, i, -2.0 / (h * h) + self.mu * x[i].exp());
            if i > 0 {
                jac.add(i, i - 1, 1.0 / (h * h));
            }
            if i + 1 < self.n {
                jac.add(i, i + 1, 1.0 / (h * h));
            }
        }
    }
    fn atol(&self, _i: usize) -> f64 {
        1e-12
    }
}
