//! fluxion: transport driven by potential gradients.
//!
//! A flux is the response to the gradient of a potential, `J = -L grad(mu)`. The library is
//! layered with one-way dependencies:
//!
//! - [`constants`]: CODATA physical constants.
//! - [`laws`]: closed-form laws (Nernst, GHK, Debye, Grahame, Henderson, Cottrell, ...).
//! - [`units`]: unit strings (`"10 mM"`, `"37 degC"`) parsed to SI at the scenario boundary.
//! - [`mesh`]: the finite-volume mesh (1D grids, tensor meshes, regions).
//! - [`discretize`]: flux schemes (Scharfetter-Gummel) on those grids.
//! - [`assembly`]: the dimension-independent finite-volume assembler and its physics traits.
//! - [`solve`]: banded linear algebra, damped Newton, continuation, BDF time stepping.
//! - [`models`]: physical models built from the pieces above (Nernst-Planck electrodiffusion).
//! - [`scenario`]: scenario files (TOML) validated into models.
//! - [`output`]: CSV, JSON and plots rendered in memory; writing files is the caller's job.
#![warn(missing_docs)]
// Index loops mirror the equations (node i, species k) and are clearer than zips here.
#![allow(clippy::needless_range_loop)]

pub mod assembly;
pub mod constants;
pub mod discretize;
pub mod laws;
pub mod mesh;
pub mod models;
pub mod output;
pub mod scenario;
pub mod solve;
pub mod units;
