//! Consistent initial values for transient runs.
//!
//! A transient run starts from the user's concentrations, but the boundary conditions and
//! the algebraic equations hold from `t = 0+` on. Starting the BDF stepper from values that
//! violate them makes the first step absorb the jump: a fixed boundary concentration that
//! differs from the initial one shows up as an accumulation `V_0 dc_0/dt ~ V_0 Delta c / h`
//! in the boundary half cell (a spurious current spike), and a potential that does not
//! satisfy Poisson's equation gives a spurious displacement current `eps dE/dt`. This module
//! makes the initial state consistent before the first step:
//!
//! 1. fixed boundary concentrations and potentials take their boundary values;
//! 2. electroneutral closure: where step 1 leaves a boundary node charged, the species that
//!    are not fixed there are redistributed by a common Boltzmann factor,
//!    `c_k -> c_k exp(-z_k psi)` with `psi` the root of `sum_k z_k c_k = 0` (the local
//!    equilibrium response of the supporting ions; unique because the sum decreases
//!    monotonically in `psi`);
//! 3. Poisson and fixed-field closures: the potential solves the algebraic equations
//!    (Poisson, boundary conditions) for the initial charge, by Newton with the
//!    concentrations held fixed.

use super::{Closure, Electrodiffusion, Row};
use crate::solve::{
    newton, MatrixSink, NewtonOptions, NewtonWorkspace, NonlinearSystem, Structure,
};

impl Electrodiffusion {
    /// The consistent initial state for a transient run from the scaled state `x0`
    /// (see the module docs of `init`). Call with the boundary data at their final values.
    pub(super) fn consistent_initial_state(&mut self, x0: &[f64]) -> Vec<f64> {
        let (n, nv) = (self.n, self.nv);
        let mut x = x0.to_vec();
        for (side, node) in [(0, 0), (1, n - 1)] {
            for a in 0..nv {
                if self.rows[side][a] == Row::Dirichlet {
                    x[node * nv + a] = self.dirichlet_value(node, a);
                }
            }
            if self.problem.closure == Closure::Electroneutral {
                self.neutralize_node(&mut x, side, node);
            }
        }
        if self.problem.closure != Closure::Electroneutral {
            let mut sys = FixedConcentrations {
                model: self,
                x0: x.clone(),
            };
            let mut ws = NewtonWorkspace::for_system(&sys);
            let mut trial = x.clone();
            let opts = NewtonOptions::default();
            // On failure the stepper's first step resolves the potential (as before).
            if newton(&mut sys, &mut trial, &mut ws, &opts).is_ok() {
                x = trial;
            }
        }
        x
    }

    /// Restore `sum_k z_k c_k = 0` at a boundary node by a Boltzmann factor on the species
    /// that are not fixed there (step 2 of the module docs).
    fn neutralize_node(&self, x: &mut [f64], side: usize, node: usize) {
        let (nv, m) = (self.nv, self.m);
        let fixed = |k: usize| self.rows[side][k] == Row::Dirichlet;
        let mut q_fixed = 0.0;
        let mut scale = 0.0;
        for k in 0..m {
            let c = x[node * nv + k];
            scale += (self.z[k] * c).abs();
            if fixed(k) {
                q_fixed += self.z[k] * c;
            }
        }
        let charge = |psi: f64| {
            q_fixed
                + (0..m)
                    .filter(|&k| !fixed(k))
                    .map(|k| self.z[k] * x[node * nv + k] * (-self.z[k] * psi).exp())
                    .sum::<f64>()
        };
        let q0 = charge(0.0);
        if q0.abs() <= 1e-12 * scale.max(1e-300) {
            return;
        }
        // charge(psi) decreases monotonically; bracket the root, then bisect.
        let (mut lo, mut hi) = if q0 > 0.0 { (0.0, 1.0) } else { (-1.0, 0.0) };
        for _ in 0..60 {
            if charge(lo) > 0.0 && charge(hi) < 0.0 {
                break;
            }
            if q0 > 0.0 {
                hi *= 2.0;
            } else {
                lo *= 2.0;
            }
        }
        if !(charge(lo) > 0.0 && charge(hi) < 0.0) {
            if q_fixed.abs() <= 1e-12 * scale.max(1e-300) {
                // The root lies at |psi| = infinity: the free charged species are all of one
                // sign and vanish (e.g. the anion of a binary salt at a wall where the
                // cation is consumed).
                for k in 0..m {
                    if !fixed(k) && self.z[k] != 0.0 {
                        x[node * nv + k] = 0.0;
                    }
                }
            }
            // Otherwise no redistribution can neutralize the node: the first step projects.
            return;
        }
        for _ in 0..200 {
            let mid = 0.5 * (lo + hi);
            if charge(mid) > 0.0 {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        let psi = 0.5 * (lo + hi);
        for k in 0..m {
            if !fixed(k) {
                x[node * nv + k] *= (-self.z[k] * psi).exp();
            }
        }
    }
}

/// The steady equations with every conserved concentration held at its initial value: the
/// algebraic part of the DAE, solved for the potential.
struct FixedConcentrations<'a> {
    model: &'a mut Electrodiffusion,
    x0: Vec<f64>,
}

impl FixedConcentrations<'_> {
    fn is_differential(&self, idx: usize) -> bool {
        let (i, a) = (idx / self.model.nv, idx % self.model.nv);
        a < self.model.m && self.model.row_kind(i, a) == Row::Conserve
    }
}

impl NonlinearSystem for FixedConcentrations<'_> {
    fn dim(&self) -> usize {
        self.x0.len()
    }
    fn structure(&self) -> Structure {
        NonlinearSystem::structure(&*self.model)
    }
    fn residual(&mut self, x: &[f64], r: &mut [f64]) {
        self.model.assemble(x, r, None);
        for i in 0..r.len() {
            if self.is_differential(i) {
                r[i] = x[i] - self.x0[i];
            }
        }
    }
    fn jacobian(&mut self, x: &[f64], jac: &mut dyn MatrixSink, r: &mut [f64]) {
        self.model.assemble(x, r, Some(jac));
        for i in 0..r.len() {
            if self.is_differential(i) {
                r[i] = x[i] - self.x0[i];
                jac.zero_row(i);
                jac.add(i, i, 1.0);
            }
        }
    }
    fn atol(&self, i: usize) -> f64 {
        NonlinearSystem::atol(&*self.model, i)
    }
}
