//! Differential capacitance of a double layer at a converged steady state.
//!
//! A wall is a double-layer wall when the closure is Poisson, no species crosses it (every
//! species is blocked, an ideally polarizable electrode or a charged insulator) and its
//! potential or surface charge is given, while the other side holds the potential fixed
//! (the reservoir). The differential capacitance `C_d = d sigma / d psi`, with `sigma` the
//! wall charge ([`super::Profiles::surface_charge`]) and `psi` the wall potential against the
//! reservoir, is found by central differences: the wall condition is moved by `+-delta`
//! and the steady state re-solved by Newton from the converged one. For Gouy-Chapman
//! `C_d = (eps / lambda_D) cosh(z psi / 2 V_T)`.

use super::{Closure, Electrodiffusion, PotentialBc, SpeciesBc};
use crate::solve::{newton, NewtonOptions, NewtonWorkspace};

impl Electrodiffusion {
    /// Differential capacitance (F/m^2) of each double-layer wall (see the module docs of
    /// `capacitance`) at the converged scaled state `x`; `None` for other walls or if a
    /// perturbed solve fails.
    pub(super) fn differential_capacitance(
        &mut self,
        x: &[f64],
        newton_opts: &NewtonOptions,
    ) -> [Option<f64>; 2] {
        let mut out = [None; 2];
        if self.problem.closure != Closure::Poisson {
            return out;
        }
        for (side, slot) in out.iter_mut().enumerate() {
            let other = 1 - side;
            let b = &self.problem.boundaries[side];
            let blocked = b.species.iter().all(|c| *c == SpeciesBc::Flux(0.0));
            let reservoir = matches!(
                self.problem.boundaries[other].potential,
                PotentialBc::Potential(_)
            );
            let by_potential = match b.potential {
                PotentialBc::Potential(_) => true,
                PotentialBc::SurfaceCharge(_) => false,
                _ => continue,
            };
            if !(blocked && reservoir) {
                continue;
            }
            *slot = self.capacitance_at(x, side, by_potential, newton_opts);
        }
        out
    }

    fn capacitance_at(
        &mut self,
        x: &[f64],
        side: usize,
        by_potential: bool,
        opts: &NewtonOptions,
    ) -> Option<f64> {
        let saved = self.target.clone();
        let lambda = self.lambda;
        // Scaled perturbation: 1e-3 V_T in potential, or the surface charge that a
        // Debye-Hueckel layer of the scale concentration would need for it.
        let delta = 1e-3;
        let mut ws = NewtonWorkspace::for_system(self);
        let mut values = [(0.0, 0.0); 2];
        for (j, sign) in [1.0, -1.0].into_iter().enumerate() {
            self.target = saved.clone();
            let d = if by_potential {
                delta
            } else {
                delta * self.lam2.sqrt()
            };
            self.target.potential[side] += sign * d;
            self.set_bc_lambda(1.0);
            let mut y = x.to_vec();
            let ok = newton(self, &mut y, &mut ws, opts).is_ok();
            if !ok {
                self.target = saved;
                self.set_bc_lambda(lambda);
                return None;
            }
            let p = self.profiles(&y, None);
            let sigma = p.surface_charge?[side];
            let n = p.potential.len();
            let (wall, res) = if side == 0 { (0, n - 1) } else { (n - 1, 0) };
            values[j] = (sigma, p.potential[wall] - p.potential[res]);
        }
        self.target = saved;
        self.set_bc_lambda(lambda);
        let (ds, dpsi) = (values[0].0 - values[1].0, values[0].1 - values[1].1);
        (dpsi != 0.0).then(|| ds / dpsi)
    }
}
