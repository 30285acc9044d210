//! Nernst-Planck electrodiffusion in 1D, closed by Poisson, electroneutrality or a fixed field.
//!
//! # Equations
//!
//! For species `k` with charge number `z_k` and diffusion coefficient `D_k` the flux density
//! (mol m^-2 s^-1, positive along +x) is the Nernst-Planck flux plus advection,
//!
//! ```text
//! J_k = -D_k dc_k/dx - D_k z_k (F/RT) c_k dphi/dx + v c_k,     dc_k/dt + div J_k = 0,
//! ```
//!
//! i.e. `J_k = -(D_k c_k / RT) grad mu~_k + v c_k` with the electrochemical potential
//! `mu~_k = mu_k0 + RT ln c_k + z_k F phi`. The potential is closed by one of
//!
//! ```text
//! poisson:        -div(eps_r eps_0 grad phi) = F sum_k z_k c_k
//! electroneutral: sum_k z_k c_k = 0   (phi is then fixed by current continuity)
//! fixed_field:    phi linear between the boundary potentials
//! ```
//!
//! # Discretization
//!
//! Vertex-centred finite volumes (box method) on a [`Grid`](crate::mesh::Grid), assembled by the general
//! [`Assembler`] on the grid's [`Mesh`]: every node owns the volume between the midpoints of
//! its intervals, so the discrete fluxes balance exactly and conservation holds to
//! round-off in any geometry. The physics are the flux laws and terms of `terms.rs`
//! (Nernst-Planck with a [`crate::discretize::FluxScheme`], Scharfetter-Gummel by default,
//! exact for a constant field; Poisson's displacement flux; the space charge) and the
//! boundary terms and algebraic rows of this file. The unknowns are scaled (`x/L`, `c/c_0`,
//! `phi/V_T`, `t D_0/L^2`) and interleaved node by node, so the Jacobian is banded and is
//! factorized by the block-tridiagonal LU in linear time.
//!
//! # Boundary conditions
//!
//! Per side and species: a fixed concentration or a fixed flux (zero = blocking). Per side
//! for the potential: a fixed potential, a surface charge (Poisson: `-eps dphi/dn = sigma`
//! with `n` the outward normal of the wall, i.e. the field points into the electrolyte for
//! `sigma > 0`), or an applied current density (electroneutral closure, where the
//! concentrations of all charged species are fixed on that side).

mod assemble;
mod capacitance;
mod init;
mod problem;
mod profiles;
mod setup;
mod solve;
pub mod terms;

pub use problem::{
    pnp_benchmark, Boundary, Closure, ModelError, PotentialBc, Problem, Scales, Species, SpeciesBc,
    SIDES,
};
pub use profiles::{FluxProfile, Profiles, TimeSeries};
pub use solve::{
    SolveError, SteadyOptions, SteadySolution, SteadyStats, TransientOptions, TransientSolution,
    STEADY_JACOBIAN_REUSE,
};

use crate::assembly::Assembler;
use crate::constants::{FARADAY, GAS_CONSTANT, VACUUM_PERMITTIVITY};
use crate::mesh::Mesh;
use std::sync::Arc;

#[derive(Clone, Copy, Debug, PartialEq)]
enum Row {
    Conserve,
    Dirichlet,
    Poisson,
    Neutral,
    CurrentBalance,
    Gauge,
}

/// Scaled boundary data at the current continuation parameter.
#[derive(Clone, Debug, PartialEq)]
struct BcData {
    /// Dirichlet concentration (scaled) or flux (scaled) per side and species.
    species: [Vec<f64>; 2],
    /// Potential (scaled), surface charge (scaled) or current (scaled) per side.
    potential: [f64; 2],
}

/// The discrete electrodiffusion system: residual, Jacobian, mass matrix, post-processing.
#[derive(Clone, Debug)]
pub struct Electrodiffusion {
    problem: Problem,
    scales: Scales,
    n: usize,
    m: usize,
    nv: usize,
    /// The dimensionless mesh (lengths / L; also held by the assembler, which is taken out
    /// of the model while the terms borrow it).
    mesh: Arc<Mesh>,
    ab: [f64; 2],
    z: Vec<f64>,
    lam2: f64,
    rows: [Vec<Row>; 2],
    interior_phi: Row,
    target: BcData,
    base: BcData,
    bc: BcData,
    lambda: f64,
    /// Scaled diffusivities `D_k / D_0`, and their inverses.
    diffusivity: Vec<f64>,
    inverse_diffusivity: Vec<f64>,
    /// `A_f / d_f` (scaled) per face: the transmissibility of species `k` is `D_k A_f / d_f`,
    /// the Poisson conductance `lambda^2 A_f / d_f` (one material, so one factor per face).
    face_factor: Vec<f64>,
    /// `v_n d_f` (scaled) per face, empty without advection: the drift part of the Peclet
    /// number of species `k` is `v_n d_f / D_k`.
    advection: Vec<f64>,
    /// The assembler (taken out while the terms borrow the model).
    asm: Option<Assembler>,
}

fn nonphysical(what: impl Into<String>, value: f64, hint: &'static str) -> ModelError {
    ModelError::NonPhysical {
        what: what.into(),
        value,
        hint,
    }
}

impl Electrodiffusion {
    /// The problem this system was built from.
    pub fn problem(&self) -> &Problem {
        &self.problem
    }

    /// The scales of the dimensionless formulation.
    pub fn scales(&self) -> &Scales {
        &self.scales
    }

    /// Number of grid nodes.
    pub fn nodes(&self) -> usize {
        self.n
    }

    /// Number of unknowns (`nodes * (species + 1)`).
    pub fn unknowns(&self) -> usize {
        self.n * self.nv
    }

    /// Debye screening length for the given concentrations (mol/m^3) at the problem's
    /// temperature and permittivity: `sqrt(eps RT / (F^2 sum z^2 c))`.
    pub fn debye_length(&self, c: &[f64]) -> f64 {
        let eps = self.problem.permittivity * VACUUM_PERMITTIVITY;
        let s: f64 = self.z.iter().zip(c).map(|(z, c)| z * z * c).sum();
        (eps * GAS_CONSTANT * self.problem.temperature / (FARADAY * FARADAY * s)).sqrt()
    }

    /// Describe unknown `idx` (`"c(Na+) at x = 1.2e-9 m (node 13)"`) for error messages.
    pub fn describe_unknown(&self, idx: usize) -> String {
        let (i, a) = (idx / self.nv, idx % self.nv);
        let what = if a < self.m {
            format!("c({})", self.problem.species[a].name)
        } else {
            "the potential".to_string()
        };
        format!(
            "{what} at x = {:.4e} m (node {i} of {})",
            self.problem.grid.x()[i],
            self.n
        )
    }

    /// Initial guess for a steady solve at the current boundary data: concentrations and
    /// potential interpolated linearly between the fixed boundary values.
    pub fn initial_guess(&self) -> Vec<f64> {
        let mut x = crate::solve::pages::zeroed(self.n * self.nv);
        for k in 0..self.m {
            let fixed: Vec<Option<f64>> = (0..2)
                .map(|s| (self.rows[s][k] == Row::Dirichlet).then(|| self.bc.species[s][k]))
                .collect();
            let (l, r) = match (fixed[0], fixed[1]) {
                (Some(a), Some(b)) => (a, b),
                (Some(a), None) => (a, a),
                (None, Some(b)) => (b, b),
                (None, None) => (1.0, 1.0),
            };
            for i in 0..self.n {
                x[i * self.nv + k] = l + (r - l) * self.xs(i);
            }
        }
        let pots: Vec<Option<f64>> = (0..2)
            .map(|s| {
                matches!(
                    self.problem.boundaries[s].potential,
                    PotentialBc::Potential(_)
                )
                .then(|| self.bc.potential[s])
            })
            .collect();
        let (l, r) = match (pots[0], pots[1]) {
            (Some(a), Some(b)) => (a, b),
            (Some(a), None) => (a, a),
            (None, Some(b)) => (b, b),
            (None, None) => (0.0, 0.0),
        };
        for i in 0..self.n {
            x[i * self.nv + self.m] = l + (r - l) * self.xs(i);
        }
        x
    }

    /// Scaled state from physical initial concentrations (`c[k][i]`, mol/m^3); the potential
    /// starts from the linear guess.
    pub fn state_from_concentrations(&self, c: &[Vec<f64>]) -> Vec<f64> {
        let mut x = self.initial_guess();
        for (k, ck) in c.iter().enumerate() {
            for i in 0..self.n {
                x[i * self.nv + k] = ck[i] / self.scales.concentration;
            }
        }
        x
    }

    /// Scaled position `x_i / L` of node `i` (from 0 at the left end).
    #[inline]
    fn xs(&self, i: usize) -> f64 {
        self.problem.grid.x()[i] / self.scales.length
    }

    fn row_kind(&self, i: usize, a: usize) -> Row {
        if i == 0 {
            self.rows[0][a]
        } else if i == self.n - 1 {
            self.rows[1][a]
        } else if a < self.m {
            Row::Conserve
        } else {
            self.interior_phi
        }
    }

    fn dirichlet_value(&self, i: usize, a: usize) -> f64 {
        let side = if i == 0 {
            0
        } else if i == self.n - 1 {
            1
        } else {
            2
        };
        if a < self.m {
            self.bc.species[side][a]
        } else if side < 2 {
            self.bc.potential[side]
        } else {
            // Fixed field: linear potential.
            let (l, r) = (self.bc.potential[0], self.bc.potential[1]);
            l + (r - l) * (self.xs(i) - self.xs(0)) / (self.xs(self.n - 1) - self.xs(0))
        }
    }

    fn set_bc_lambda(&mut self, lambda: f64) {
        self.lambda = lambda;
        for side in 0..2 {
            for k in 0..self.m {
                let (b, t) = (self.base.species[side][k], self.target.species[side][k]);
                self.bc.species[side][k] = b + lambda * (t - b);
            }
            let (b, t) = (self.base.potential[side], self.target.potential[side]);
            self.bc.potential[side] = b + lambda * (t - b);
        }
    }
}

#[cfg(test)]
mod tests;
