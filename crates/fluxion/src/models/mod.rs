//! Physical models assembled from the mesh, discretization and solver layers.

pub mod electrodiffusion;
