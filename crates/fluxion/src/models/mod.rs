//! Physical models assembled from the mesh, discretization and solver layers.

pub mod electrodiffusion;
pub mod pnp;
mod pnp_closure;
pub mod pnp_transient;
pub mod potential;
/// Vortex (fluxon) dynamics in type-II superconductors.
pub mod vortex;
