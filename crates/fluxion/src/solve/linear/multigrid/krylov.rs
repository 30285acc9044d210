//! Preconditioned conjugate gradients and right-preconditioned BiCGStab.

use super::cycle::mul_vec;
use super::par::zip_apply;
use super::{LinearError, Multigrid};

impl Multigrid {
    fn converged(&self, rnorm: f64, r0: f64) -> bool {
        rnorm <= (self.opts.rtol * r0).max(self.opts.atol)
    }

    pub(super) fn cg(&mut self, r0: f64) -> Result<usize, LinearError> {
        self.y.fill(0.0);
        self.precondition(Vec2::RtoZ)?;
        self.p.copy_from_slice(&self.z);
        let mut rz = dot(&self.r, &self.z);
        let mut rnorm = r0;
        for k in 1..=self.opts.max_iterations {
            mul_vec(&self.levels[0], &self.p, &mut self.v);
            let pq = dot(&self.p, &self.v);
            if pq <= 0.0 || pq.is_nan() {
                return Err(LinearError::NotConverged {
                    iterations: k,
                    residual: rnorm / r0,
                });
            }
            let alpha = rz / pq;
            axpy(alpha, &self.p, &mut self.y);
            axpy(-alpha, &self.v, &mut self.r);
            rnorm = norm(&self.r);
            if self.converged(rnorm, r0) {
                return Ok(k);
            }
            self.precondition(Vec2::RtoZ)?;
            let rz_new = dot(&self.r, &self.z);
            let beta = rz_new / rz;
            rz = rz_new;
            zip_apply(&mut self.p, &self.z, |p, z| *p = z + beta * *p);
        }
        Err(LinearError::NotConverged {
            iterations: self.opts.max_iterations,
            residual: rnorm / r0,
        })
    }

    /// Right-preconditioned BiCGStab (van der Vorst 1992, Algorithm "BiCGSTAB" with
    /// `K = M`); `z` holds `M^{-1} p`, `t` first `M^{-1} s`, then `A M^{-1} s`.
    pub(super) fn bicgstab(&mut self, r0: f64) -> Result<usize, LinearError> {
        self.y.fill(0.0);
        self.rhat.copy_from_slice(&self.r);
        self.p.fill(0.0);
        self.v.fill(0.0);
        let (mut rho, mut alpha, mut omega) = (1.0f64, 1.0f64, 1.0f64);
        let mut rnorm = r0;
        let fail = |k: usize, rnorm: f64| LinearError::NotConverged {
            iterations: k,
            residual: rnorm / r0,
        };
        for k in 1..=self.opts.max_iterations {
            let rho_new = dot(&self.rhat, &self.r);
            if rho_new == 0.0 || !rho_new.is_finite() {
                return Err(fail(k, rnorm));
            }
            let beta = (rho_new / rho) * (alpha / omega);
            rho = rho_new;
            for ((p, r), v) in self.p.iter_mut().zip(&self.r).zip(&self.v) {
                *p = r + beta * (*p - omega * v);
            }
            self.precondition(Vec2::PtoZ)?;
            mul_vec(&self.levels[0], &self.z, &mut self.v);
            let rv = dot(&self.rhat, &self.v);
            if rv == 0.0 || !rv.is_finite() {
                return Err(fail(k, rnorm));
            }
            alpha = rho / rv;
            axpy(alpha, &self.z, &mut self.y);
            // s = r - alpha v.
            for ((s, r), v) in self.s.iter_mut().zip(&self.r).zip(&self.v) {
                *s = r - alpha * v;
            }
            let snorm = norm(&self.s);
            if self.converged(snorm, r0) {
                return Ok(k);
            }
            self.precondition(Vec2::StoT)?;
            // y += omega M^{-1} s needs M^{-1} s after omega is known: keep it in r.
            self.r.copy_from_slice(&self.t);
            mul_vec(&self.levels[0], &self.r, &mut self.t);
            let tt = dot(&self.t, &self.t);
            omega = if tt > 0.0 {
                dot(&self.t, &self.s) / tt
            } else {
                0.0
            };
            if omega == 0.0 || !omega.is_finite() {
                return Err(fail(k, snorm));
            }
            axpy(omega, &self.r, &mut self.y);
            for ((r, s), t) in self.r.iter_mut().zip(&self.s).zip(&self.t) {
                *r = s - omega * t;
            }
            rnorm = norm(&self.r);
            if self.converged(rnorm, r0) {
                return Ok(k);
            }
        }
        Err(fail(self.opts.max_iterations, rnorm))
    }
}

#[derive(Clone, Copy)]
pub(super) enum Vec2 {
    RtoZ,
    PtoZ,
    StoT,
}

pub(super) use super::par::dot;

pub(super) fn norm(a: &[f64]) -> f64 {
    dot(a, a).sqrt()
}

pub(super) fn axpy(alpha: f64, x: &[f64], y: &mut [f64]) {
    zip_apply(y, x, |y, x| *y += alpha * x);
}
