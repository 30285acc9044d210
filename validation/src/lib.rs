//! Shared helpers for the validation suite (`validation/tests/*.rs`).
//!
//! Every test file there checks fluxion against an analytic solution or a published
//! number and names its source.

use fluxion::discretize::Scheme;
use fluxion::mesh::{Geometry, Grid, Spacing};
use fluxion::models::electrodiffusion::{
    Boundary, Closure, Electrodiffusion, PotentialBc, Problem, Species, SpeciesBc,
};

/// A species with charge `z` and diffusivity `d` (m^2/s).
pub fn species(name: &str, z: f64, d: f64) -> Species {
    Species {
        name: name.into(),
        charge: z,
        diffusivity: d,
    }
}

/// Concentration boundary condition.
pub fn conc(c: f64) -> SpeciesBc {
    SpeciesBc::Concentration(c)
}

/// Zero-flux boundary condition.
pub fn blocking() -> SpeciesBc {
    SpeciesBc::Flux(0.0)
}

/// A boundary.
pub fn side(species: Vec<SpeciesBc>, potential: PotentialBc) -> Boundary {
    Boundary { species, potential }
}

/// A planar uniform grid.
pub fn uniform(length: f64, n: usize) -> Grid {
    Grid::new(Geometry::Planar, 0.0, length, n, Spacing::Uniform).unwrap()
}

/// Build a model at 298.15 K in water (eps_r = 78.5).
pub fn model(
    grid: Grid,
    species: Vec<Species>,
    closure: Closure,
    left: Boundary,
    right: Boundary,
) -> Electrodiffusion {
    Electrodiffusion::new(Problem {
        grid,
        species,
        temperature: 298.15,
        permittivity: 78.5,
        closure,
        boundaries: [left, right],
        velocity: 0.0,
        scheme: Scheme::ScharfetterGummel,
    })
    .unwrap()
}

/// Relative difference `|a - b| / |b|`.
pub fn rel(a: f64, b: f64) -> f64 {
    (a - b).abs() / b.abs()
}
