//! The problem statement in SI units: species, boundary conditions, closures, scales, and
//! the standard benchmark cell.

use crate::constants::{thermal_voltage, FARADAY, VACUUM_PERMITTIVITY};
use crate::discretize::Scheme;
use crate::mesh::Grid;

/// An ionic or neutral species.
#[derive(Clone, Debug, PartialEq)]
pub struct Species {
    /// Name used in outputs (e.g. `"Na+"`).
    pub name: String,
    /// Charge number `z` (e.g. +1, -2, 0).
    pub charge: f64,
    /// Diffusion coefficient `D`, m^2/s.
    pub diffusivity: f64,
}

/// How the electric potential is determined.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Closure {
    /// Poisson's equation with the space charge of all species.
    Poisson,
    /// Local electroneutrality; the potential follows from current continuity.
    Electroneutral,
    /// A constant field between the two boundary potentials.
    FixedField,
}

impl Closure {
    /// Name used in scenario files.
    pub fn name(self) -> &'static str {
        match self {
            Closure::Poisson => "poisson",
            Closure::Electroneutral => "electroneutral",
            Closure::FixedField => "fixed_field",
        }
    }
}

/// Boundary condition of one species on one side.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum SpeciesBc {
    /// Fixed concentration, mol/m^3.
    Concentration(f64),
    /// Fixed flux density along +x, mol m^-2 s^-1 (zero = blocking wall).
    Flux(f64),
}

/// Boundary condition of the potential on one side.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum PotentialBc {
    /// No condition (Poisson: zero field, i.e. no surface charge).
    Free,
    /// Fixed potential, V.
    Potential(f64),
    /// Surface charge density on the wall, C/m^2 (Poisson closure).
    SurfaceCharge(f64),
    /// Applied current density along +x, A/m^2 (electroneutral closure).
    Current(f64),
}

/// All conditions on one side of the domain.
#[derive(Clone, Debug, PartialEq)]
pub struct Boundary {
    /// One condition per species, in species order.
    pub species: Vec<SpeciesBc>,
    /// The potential condition.
    pub potential: PotentialBc,
}

/// A complete electrodiffusion problem in SI units.
#[derive(Clone, Debug)]
pub struct Problem {
    /// The grid.
    pub grid: Grid,
    /// Species.
    pub species: Vec<Species>,
    /// Temperature, K.
    pub temperature: f64,
    /// Relative permittivity of the medium.
    pub permittivity: f64,
    /// Potential closure.
    pub closure: Closure,
    /// Left (index 0) and right (index 1) boundary conditions.
    pub boundaries: [Boundary; 2],
    /// Constant advection velocity along +x, m/s.
    pub velocity: f64,
    /// Interval flux scheme.
    pub scheme: Scheme,
}

/// A problem that cannot be solved as posed. Messages say what to change.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum ModelError {
    /// A parameter is outside its physical range.
    #[error("{what} = {value} is not physical: {hint}")]
    NonPhysical {
        /// The parameter.
        what: String,
        /// Its value (SI).
        value: f64,
        /// What is allowed.
        hint: &'static str,
    },
    /// The boundary conditions do not determine the potential.
    #[error("{0}")]
    Underdetermined(String),
    /// Conditions that contradict the closure.
    #[error("{0}")]
    Inconsistent(String),
}

/// Side names for messages.
pub const SIDES: [&str; 2] = ["left", "right"];

/// Characteristic scales used to make the equations dimensionless.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Scales {
    /// Length `L`, m.
    pub length: f64,
    /// Concentration `c_0`, mol/m^3.
    pub concentration: f64,
    /// Diffusion coefficient `D_0`, m^2/s.
    pub diffusivity: f64,
    /// Thermal voltage `V_T = RT/F`, V.
    pub potential: f64,
    /// Time `L^2 / D_0`, s.
    pub time: f64,
    /// Flux `D_0 c_0 / L`, mol m^-2 s^-1.
    pub flux: f64,
    /// Reference area (largest boundary area) that normalizes areas and volumes.
    pub area: f64,
}

/// The standard steady Poisson-Nernst-Planck test cell used for benchmarks and robustness
/// checks (and by the DEVSIM/FiPy peer scripts): a 1:1 electrolyte with `D = 1e-9 m^2/s`,
/// 10 mM on the left and 5 mM on the right, `phi(0) = 0`, `phi(L) = applied_vt V_T`, and the
/// cell length chosen so that `sqrt(eps V_T / (F c_0)) / L = debye_ratio` (the dimensionless
/// `lambda` of the peer scripts, with `c_0` = 10 mM). `nodes` uniform nodes at 298.15 K in
/// water (eps_r = 78.5).
pub fn pnp_benchmark(nodes: usize, debye_ratio: f64, applied_vt: f64) -> Problem {
    let (t, eps_r, c0) = (298.15, 78.5, 10.0);
    let vt = thermal_voltage(t);
    let length = (eps_r * VACUUM_PERMITTIVITY * vt / (FARADAY * c0)).sqrt() / debye_ratio;
    let grid = Grid::new(
        crate::mesh::Geometry::Planar,
        0.0,
        length,
        nodes,
        crate::mesh::Spacing::Uniform,
    )
    .expect("valid benchmark grid");
    let sp = |name: &str, z: f64| Species {
        name: name.into(),
        charge: z,
        diffusivity: 1e-9,
    };
    let side = |c: f64, v: f64| Boundary {
        species: vec![SpeciesBc::Concentration(c), SpeciesBc::Concentration(c)],
        potential: PotentialBc::Potential(v),
    };
    Problem {
        grid,
        species: vec![sp("p", 1.0), sp("n", -1.0)],
        temperature: t,
        permittivity: eps_r,
        closure: Closure::Poisson,
        boundaries: [side(c0, 0.0), side(0.5 * c0, applied_vt * vt)],
        velocity: 0.0,
        scheme: Scheme::ScharfetterGummel,
    }
}
