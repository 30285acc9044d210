//! The data of a PNP problem on a mesh: media, patch conditions, the problem, its errors and
//! its solution (`fluxion::models::pnp` re-exports every item).

use super::Species;
use crate::discretize::Scheme;
use crate::mesh::Mesh;
use crate::solve::SolverChoice;
use std::sync::Arc;

/// The material of a region.
#[derive(Clone, Debug, PartialEq)]
pub struct Medium {
    /// Relative permittivity.
    pub permittivity: f64,
    /// Fixed charge, mol/m^3 of unit charges (negative for a cation-exchange membrane).
    pub fixed_charge: f64,
    /// Per species: `Some(f)` = may enter, with `D_k` multiplied by `f`; `None` = excluded.
    pub diffusivity_factor: Vec<Option<f64>>,
}

/// A species condition on a patch.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum SpeciesCondition {
    /// Fixed concentration, mol/m^3.
    Concentration(f64),
    /// Outward flux density, mol m^-2 s^-1 (0: blocked).
    Flux(f64),
}

/// The potential condition on a patch.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum PotentialCondition {
    /// Zero normal field (symmetry, an uncharged insulating wall).
    Natural,
    /// Fixed potential, V.
    Potential(f64),
    /// Surface charge density, C/m^2.
    SurfaceCharge(f64),
}

/// Conditions on one patch.
#[derive(Clone, Debug, PartialEq)]
pub struct PatchConditions {
    /// One per species.
    pub species: Vec<SpeciesCondition>,
    /// The potential.
    pub potential: PotentialCondition,
}

impl PatchConditions {
    /// Blocked for every species, zero normal field.
    pub fn wall(species: usize) -> Self {
        PatchConditions {
            species: vec![SpeciesCondition::Flux(0.0); species],
            potential: PotentialCondition::Natural,
        }
    }
}

/// A Poisson-Nernst-Planck problem in SI units.
#[derive(Clone, Debug)]
pub struct PnpProblem {
    /// The mesh.
    pub mesh: Arc<Mesh>,
    /// Species.
    pub species: Vec<Species>,
    /// Temperature, K.
    pub temperature: f64,
    /// One medium per mesh region.
    pub media: Vec<Medium>,
    /// One set of conditions per mesh patch.
    pub patches: Vec<PatchConditions>,
    /// Flux scheme.
    pub scheme: Scheme,
    /// Linear solver.
    pub solver: SolverChoice,
    /// A given potential at every node (V) instead of Poisson's equation: diffusion and
    /// drift in a fixed potential landscape (a Coulomb field, a membrane potential profile).
    pub fixed_potential: Option<Vec<f64>>,
}

/// A problem that cannot be solved as posed, or a failed solve.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum PnpError {
    /// Bad input, with what to change.
    #[error("{0}")]
    Invalid(String),
    /// The solver did not converge.
    #[error("the steady solver did not converge: {0}. Try: a finer mesh where the Debye layers are, smaller applied potentials first, or [solver] continuation_step = 0.01")]
    NotConverged(String),
    /// The time stepper could not take a step.
    #[error("the time stepper failed: {0}. Try: a smaller [transient] initial_step, a looser rtol, or a finer mesh where the profiles are steep")]
    TransientFailed(String),
}

/// Outward flows through one patch.
#[derive(Clone, Debug, PartialEq)]
pub struct PatchFlows {
    /// Patch name.
    pub name: String,
    /// Outward flow of every species, mol/s (2D Cartesian: per metre of depth).
    pub species: Vec<f64>,
    /// Outward current `F sum_k z_k flow_k`, A.
    pub current: f64,
}

/// A steady solution in SI units.
#[derive(Clone, Debug)]
pub struct PnpSolution {
    /// Concentrations `[species][node]`, mol/m^3 (NaN where the species is absent).
    pub concentration: Vec<Vec<f64>>,
    /// Potential per node, V.
    pub potential: Vec<f64>,
    /// Outward flows through every patch.
    pub patches: Vec<PatchFlows>,
    /// Newton iterations in total.
    pub newton_iterations: usize,
    /// Whether continuation was needed.
    pub continuation: bool,
    /// Linear solver used.
    pub solver: &'static str,
}
