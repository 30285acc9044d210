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
//! Vertex-centred finite volumes (box method) on a [`Grid`], assembled by the general
//! [`Assembler`] on the grid's [`Mesh`]: every node owns the volume between the midpoints of
//! its intervals, so the discrete fluxes balance exactly and conservation holds to
//! round-off in any geometry. The physics are the flux laws and terms of `terms.rs`
//! (Nernst-Planck with a [`crate::discretize::FluxScheme`], Scharfetter-Gummel by default,
//! exact for a constant field; Poisson's displacement flux; the space charge) and the
//! boundary terms and algebraic rows of this file. The unknowns are scaled (`x/L`, `c/c_0`,
//! `phi/V_T`, `t D_0/L^2`) and interleaved node by node, so the Jacobian is banded and is
//! factorized by the banded LU in linear time.
//!
//! # Boundary conditions
//!
//! Per side and species: a fixed concentration or a fixed flux (zero = blocking). Per side
//! for the potential: a fixed potential, a surface charge (Poisson: `-eps dphi/dn = sigma`
//! with `n` the outward normal of the wall, i.e. the field points into the electrolyte for
//! `sigma > 0`), or an applied current density (electroneutral closure, where the
//! concentrations of all charged species are fixed on that side).

mod capacitance;
mod init;
pub mod terms;

use crate::assembly::{
    Assembler, BoundaryTerm, DofMap, FaceFlux, FluxLaw, Local, NodeEquation, RowRule, RowRules,
    Terms, VolumeTerm,
};
use crate::constants::{thermal_voltage, FARADAY, GAS_CONSTANT, VACUUM_PERMITTIVITY};
use crate::discretize::{sg_face_weight, Scheme};
use crate::mesh::{Grid, Mesh};
use crate::solve::{
    continuation, newton, BdfOptions, BdfStepper, ContinuationError, ContinuationOptions,
    DaeSystem, Homotopy, MatrixSink, NewtonOptions, NewtonWorkspace, NonlinearSystem, Progress,
    SolverChoice, Structure,
};
use std::sync::Arc;
use terms::{NernstPlanck, PoissonFlux, SpaceCharge};

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
    xs: Vec<f64>,
    af: Vec<f64>,
    vol: Vec<f64>,
    ab: [f64; 2],
    z: Vec<f64>,
    lam2: f64,
    rows: [Vec<Row>; 2],
    interior_phi: Row,
    target: BcData,
    base: BcData,
    bc: BcData,
    lambda: f64,
    /// `D_k A_f / d_f` (scaled) per face and species.
    transmissibility: Vec<f64>,
    /// `v d_f / D_k` (scaled) per face and species.
    drift: Vec<f64>,
    /// `lambda^2 A_f / d_f` per face (Poisson closure).
    conductance: Vec<f64>,
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
    /// Check a problem and build its discrete system.
    pub fn new(problem: Problem) -> Result<Self, ModelError> {
        let m = problem.species.len();
        if m == 0 {
            return Err(ModelError::Underdetermined(
                "no species: add at least one [[species]]".into(),
            ));
        }
        if !(problem.temperature > 0.0 && problem.temperature.is_finite()) {
            return Err(nonphysical(
                "temperature",
                problem.temperature,
                "it must be above absolute zero",
            ));
        }
        if !(problem.permittivity > 0.0 && problem.permittivity.is_finite()) {
            return Err(nonphysical(
                "permittivity",
                problem.permittivity,
                "the relative permittivity must be positive (78.5 for water at 25 degC)",
            ));
        }
        if !problem.velocity.is_finite() {
            return Err(nonphysical("velocity", problem.velocity, "must be finite"));
        }
        if problem.velocity != 0.0 && problem.grid.geometry() != crate::mesh::Geometry::Planar {
            return Err(ModelError::Inconsistent(format!(
                "a constant advection velocity ({} m/s) is not divergence-free in {} geometry (an incompressible radial flow falls off as 1/r^{}): use velocity = 0 or planar geometry",
                problem.velocity,
                problem.grid.geometry().name(),
                if problem.grid.geometry() == crate::mesh::Geometry::Cylindrical { 1 } else { 2 }
            )));
        }
        for s in &problem.species {
            if !(s.diffusivity > 0.0 && s.diffusivity.is_finite()) {
                return Err(nonphysical(
                    format!("diffusivity of {}", s.name),
                    s.diffusivity,
                    "it must be positive, e.g. 1.33e-9 m^2/s for Na+ in water",
                ));
            }
            if !s.charge.is_finite() {
                return Err(nonphysical(
                    format!("charge of {}", s.name),
                    s.charge,
                    "must be finite",
                ));
            }
        }
        for (side, b) in problem.boundaries.iter().enumerate() {
            if b.species.len() != m {
                return Err(ModelError::Inconsistent(format!(
                    "{} boundary: {} species conditions for {} species",
                    SIDES[side],
                    b.species.len(),
                    m
                )));
            }
            for (k, bc) in b.species.iter().enumerate() {
                match *bc {
                    SpeciesBc::Concentration(c) if !(c >= 0.0 && c.is_finite()) => {
                        return Err(nonphysical(
                            format!(
                                "{} boundary concentration of {}",
                                SIDES[side], problem.species[k].name
                            ),
                            c,
                            "concentrations must be zero or positive",
                        ))
                    }
                    SpeciesBc::Flux(j) if !j.is_finite() => {
                        return Err(nonphysical(
                            format!(
                                "{} boundary flux of {}",
                                SIDES[side], problem.species[k].name
                            ),
                            j,
                            "must be finite",
                        ))
                    }
                    _ => {}
                }
            }
        }
        let rows = Self::classify(&problem)?;
        let interior_phi = match problem.closure {
            Closure::Poisson => Row::Poisson,
            Closure::Electroneutral => Row::Neutral,
            Closure::FixedField => Row::Dirichlet,
        };

        // Scales.
        let grid = &problem.grid;
        let n = grid.len();
        let length = grid.length();
        let mut c0: f64 = 0.0;
        for b in &problem.boundaries {
            for bc in &b.species {
                if let SpeciesBc::Concentration(c) = bc {
                    c0 = c0.max(*c);
                }
            }
        }
        if c0 <= 0.0 {
            c0 = 1.0;
        }
        let d0 = problem
            .species
            .iter()
            .map(|s| s.diffusivity)
            .fold(0.0, f64::max);
        let vt = thermal_voltage(problem.temperature);
        let area = grid.boundary_area(0).max(grid.boundary_area(1));
        let scales = Scales {
            length,
            concentration: c0,
            diffusivity: d0,
            potential: vt,
            time: length * length / d0,
            flux: d0 * c0 / length,
            area,
        };
        let eps = problem.permittivity * VACUUM_PERMITTIVITY;
        let lam2 = eps * vt / (FARADAY * c0 * length * length);
        let xs: Vec<f64> = grid.x().iter().map(|x| x / length).collect();
        // The dimensionless mesh: lengths / L, areas / A_ref, volumes / (A_ref L).
        let mesh = Arc::new(Mesh::from_grid(grid).scaled(length, area));
        let af: Vec<f64> = (0..n - 1).map(|f| mesh.face_area(f)).collect();
        let vol: Vec<f64> = (0..n).map(|i| mesh.volume(i)).collect();
        let ab = [mesh.patch_faces()[0].area, mesh.patch_faces()[1].area];
        let z: Vec<f64> = problem.species.iter().map(|s| s.charge).collect();
        let d: Vec<f64> = problem.species.iter().map(|s| s.diffusivity / d0).collect();
        let nv = m + 1;
        let vel = problem.velocity * length / d0;
        let mut transmissibility = Vec::with_capacity((n - 1) * m);
        let mut drift = Vec::with_capacity((n - 1) * m);
        for f in 0..n - 1 {
            // v . (x_L - x_K)/|x_L - x_K| with the face direction of the mesh.
            let vn = vel * mesh.face_direction(f)[0];
            for &dk in &d {
                transmissibility.push(mesh.transmissibility(f, |_| Some(dk)));
                drift.push(vn * mesh.face_distance(f) / dk);
            }
        }
        let conductance = (0..n - 1)
            .map(|f| lam2 * mesh.transmissibility(f, |_| Some(1.0)))
            .collect();
        let target = Self::scaled_bc(&problem, &scales);
        let base = Self::base_bc(&problem, &target, &rows);
        let mut model = Electrodiffusion {
            scales,
            n,
            m,
            nv,
            xs,
            af,
            vol,
            ab,
            z,
            lam2,
            rows,
            interior_phi,
            bc: target.clone(),
            target,
            base,
            lambda: 1.0,
            transmissibility,
            drift,
            conductance,
            asm: None,
            problem,
        };
        model.check_net_current()?;
        let dofs = DofMap::full(n, nv).map_err(|e| ModelError::Inconsistent(e.to_string()))?;
        let rules = model.row_rules();
        let asm = model.with_terms(|terms| Assembler::new(mesh, dofs, rules, terms, true));
        model.asm = Some(asm);
        Ok(model)
    }

    /// Decide which equation each unknown of the two boundary nodes gets.
    fn classify(p: &Problem) -> Result<[Vec<Row>; 2], ModelError> {
        let m = p.species.len();
        let mut rows = [vec![Row::Conserve; m + 1], vec![Row::Conserve; m + 1]];
        let charged_fixed = |side: usize| {
            p.species
                .iter()
                .zip(&p.boundaries[side].species)
                .all(|(s, bc)| s.charge == 0.0 || matches!(bc, SpeciesBc::Concentration(_)))
        };
        let any_charged = p.species.iter().any(|s| s.charge != 0.0);
        for side in 0..2 {
            for k in 0..m {
                if let SpeciesBc::Concentration(_) = p.boundaries[side].species[k] {
                    rows[side][k] = Row::Dirichlet;
                }
            }
        }
        match p.closure {
            Closure::Poisson => {
                let mut has_ref = false;
                for side in 0..2 {
                    rows[side][m] = match p.boundaries[side].potential {
                        PotentialBc::Potential(_) => {
                            has_ref = true;
                            Row::Dirichlet
                        }
                        PotentialBc::Free | PotentialBc::SurfaceCharge(_) => Row::Poisson,
                        PotentialBc::Current(_) => {
                            return Err(ModelError::Inconsistent(format!(
                                "{} boundary: an applied current needs the electroneutral closure; with closure = \"poisson\" set the potential (or a surface charge) instead",
                                SIDES[side]
                            )))
                        }
                    };
                }
                if !has_ref {
                    return Err(ModelError::Underdetermined(
                        "the poisson closure needs a fixed potential on at least one side (e.g. potential = \"0 V\" on the right) to set the reference of the potential".into(),
                    ));
                }
            }
            Closure::FixedField => {
                for side in 0..2 {
                    match p.boundaries[side].potential {
                        PotentialBc::Potential(_) => rows[side][m] = Row::Dirichlet,
                        _ => {
                            return Err(ModelError::Underdetermined(format!(
                                "the fixed_field closure needs a fixed potential on both sides (missing or not a potential on the {} side); the field is (phi_left - phi_right)/L",
                                SIDES[side]
                            )))
                        }
                    }
                }
            }
            Closure::Electroneutral => {
                if !any_charged {
                    return Err(ModelError::Underdetermined(
                        "the electroneutral closure needs charged species; for neutral solutes use closure = \"fixed_field\" with equal potentials".into(),
                    ));
                }
                let mut has_ref = false;
                for side in 0..2 {
                    let fixed = charged_fixed(side);
                    if fixed {
                        // Boundary compositions must be electroneutral.
                        let (mut q, mut scale) = (0.0, 0.0);
                        for (s, bc) in p.species.iter().zip(&p.boundaries[side].species) {
                            if let SpeciesBc::Concentration(c) = bc {
                                q += s.charge * c;
                                scale += (s.charge * c).abs();
                            }
                        }
                        if q.abs() > 1e-9 * scale.max(1e-300) {
                            return Err(ModelError::Inconsistent(format!(
                                "the {} boundary concentrations are not electroneutral: sum z c = {q:.6e} mol/m^3 (it must be 0 under closure = \"electroneutral\"); adjust the concentrations or use closure = \"poisson\"",
                                SIDES[side]
                            )));
                        }
                    }
                    rows[side][m] = match p.boundaries[side].potential {
                        PotentialBc::Potential(_) if fixed => {
                            has_ref = true;
                            Row::Dirichlet
                        }
                        PotentialBc::Potential(_) => return Err(ModelError::Inconsistent(format!(
                            "{} boundary: under the electroneutral closure a fixed potential needs fixed concentrations of all charged species on the same side (the potential of a solution is referenced where its composition is fixed); remove the potential there",
                            SIDES[side]
                        ))),
                        PotentialBc::SurfaceCharge(_) => return Err(ModelError::Inconsistent(format!(
                            "{} boundary: a surface charge needs closure = \"poisson\" (an electroneutral solution has no double layer)",
                            SIDES[side]
                        ))),
                        PotentialBc::Current(_) if !fixed => return Err(ModelError::Inconsistent(format!(
                            "{} boundary: an applied current needs fixed concentrations of all charged species on that side; where species fluxes are given they already carry the current F sum z J",
                            SIDES[side]
                        ))),
                        PotentialBc::Current(_) | PotentialBc::Free if fixed => Row::CurrentBalance,
                        _ => Row::Neutral,
                    };
                }
                if !has_ref {
                    if charged_fixed(0) || charged_fixed(1) {
                        let side = if charged_fixed(0) { 0 } else { 1 };
                        return Err(ModelError::Underdetermined(format!(
                            "the electroneutral closure needs a reference potential: add potential = \"0 V\" on the {} side, where the concentrations are fixed",
                            SIDES[side]
                        )));
                    }
                    // Flux conditions on both sides: fix phi = 0 at the left node in place
                    // of one (redundant) species balance, the last charged non-Dirichlet one.
                    let k = (0..m)
                        .rev()
                        .find(|&k| p.species[k].charge != 0.0 && rows[0][k] == Row::Conserve)
                        .expect("a charged species without fixed concentration exists");
                    rows[0][k] = Row::Gauge;
                }
            }
        }
        Ok(rows)
    }

    fn scaled_bc(p: &Problem, s: &Scales) -> BcData {
        let mut species = [vec![], vec![]];
        let mut potential = [0.0; 2];
        for side in 0..2 {
            species[side] = p.boundaries[side]
                .species
                .iter()
                .map(|bc| match *bc {
                    SpeciesBc::Concentration(c) => c / s.concentration,
                    SpeciesBc::Flux(j) => j / s.flux,
                })
                .collect();
            potential[side] = match p.boundaries[side].potential {
                PotentialBc::Free => 0.0,
                PotentialBc::Potential(v) => v / s.potential,
                PotentialBc::SurfaceCharge(sig) => sig / (FARADAY * s.concentration * s.length),
                PotentialBc::Current(i) => i / (FARADAY * s.flux),
            };
        }
        BcData { species, potential }
    }

    /// The easy member of the continuation family: equal concentrations (the mean of the
    /// fixed values of each species), no fluxes, no charge, no current, equal potentials.
    fn base_bc(p: &Problem, target: &BcData, rows: &[Vec<Row>; 2]) -> BcData {
        let m = p.species.len();
        let mut base = target.clone();
        for k in 0..m {
            let fixed: Vec<f64> = (0..2)
                .filter(|&s| rows[s][k] == Row::Dirichlet)
                .map(|s| target.species[s][k])
                .collect();
            let mean = if fixed.is_empty() {
                0.0
            } else {
                fixed.iter().sum::<f64>() / fixed.len() as f64
            };
            for side in 0..2 {
                base.species[side][k] = match p.boundaries[side].species[k] {
                    SpeciesBc::Concentration(_) => mean,
                    SpeciesBc::Flux(_) => 0.0,
                };
            }
        }
        let pots: Vec<f64> = (0..2)
            .filter(|&s| matches!(p.boundaries[s].potential, PotentialBc::Potential(_)))
            .map(|s| target.potential[s])
            .collect();
        let mean_pot = if pots.is_empty() {
            0.0
        } else {
            pots.iter().sum::<f64>() / pots.len() as f64
        };
        for side in 0..2 {
            base.potential[side] = match p.boundaries[side].potential {
                PotentialBc::Potential(_) => mean_pot,
                _ => 0.0,
            };
        }
        base
    }

    fn check_net_current(&self) -> Result<(), ModelError> {
        if !self.rows[0].contains(&Row::Gauge) {
            return Ok(());
        }
        let mut net = [0.0; 2];
        let mut scale: f64 = 0.0;
        for (side, n) in net.iter_mut().enumerate() {
            for k in 0..self.m {
                if self.rows[side][k] != Row::Dirichlet {
                    let v = self.z[k] * self.target.species[side][k] * self.ab[side];
                    *n += v;
                    scale = scale.max(v.abs());
                }
            }
        }
        if (net[0] - net[1]).abs() > 1e-9 * scale.max(1e-300) {
            let f = FARADAY * self.scales.flux * self.scales.area;
            return Err(ModelError::Inconsistent(format!(
                "the boundary fluxes carry a net current into an electroneutral domain ({:.6e} in on the left, {:.6e} out on the right, in A per reference area); make F sum z J equal on both sides",
                net[0] * f,
                net[1] * f
            )));
        }
        Ok(())
    }

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
        let mut x = vec![0.0; self.n * self.nv];
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
                x[i * self.nv + k] = l + (r - l) * self.xs[i];
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
            x[i * self.nv + self.m] = l + (r - l) * self.xs[i];
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
            l + (r - l) * (self.xs[i] - self.xs[0]) / (self.xs[self.n - 1] - self.xs[0])
        }
    }

    /// The row rule of every node class: interior nodes (class 0) and the two boundary
    /// nodes (classes 1 and 2), from the row kinds of [`Self::classify`].
    fn row_rules(&self) -> RowRules {
        let (n, m, nv) = (self.n, self.m, self.nv);
        let rule = |kind: Row| match kind {
            Row::Conserve | Row::Poisson => RowRule::Balance,
            Row::Dirichlet | Row::Neutral | Row::Gauge => RowRule::Algebraic,
            // Charge balance of the node: sum_k z_k (balance of k) plus the applied current,
            // which the boundary term adds to the (otherwise empty) balance of the potential.
            Row::CurrentBalance => RowRule::Combination(
                std::iter::once((m, 1.0))
                    .chain((0..m).filter(|&k| self.z[k] != 0.0).map(|k| (k, self.z[k])))
                    .collect(),
            ),
        };
        let class = |i: usize| {
            (0..nv)
                .map(|a| rule(self.row_kind(i, a)))
                .collect::<Vec<_>>()
        };
        let mut node_class = vec![0u16; n];
        node_class[0] = 1;
        node_class[n - 1] = 2;
        RowRules::new(vec![class(1), class(0), class(n - 1)], node_class)
    }

    /// The physics of this model as assembler terms, borrowing its current data.
    fn terms(
        &self,
    ) -> (
        NernstPlanck<'_>,
        PoissonFlux<'_>,
        SpaceCharge<'_>,
        Conditions<'_>,
    ) {
        (
            NernstPlanck {
                transmissibility: &self.transmissibility,
                drift: &self.drift,
                z: &self.z,
                scheme: self.problem.scheme,
            },
            PoissonFlux {
                conductance: &self.conductance,
                phi: self.m,
            },
            SpaceCharge {
                volume: &self.vol,
                z: &self.z,
            },
            Conditions { model: self },
        )
    }

    /// Call `f` with the assembler terms of this model: Nernst-Planck fluxes, and under the
    /// Poisson closure the displacement flux and the space charge; the conditions always.
    fn with_terms<R>(&self, f: impl FnOnce(&Terms) -> R) -> R {
        let (np, po, sc, cond) = self.terms();
        let flux: [&dyn FluxLaw; 2] = [&np, &po];
        let poisson = self.problem.closure == Closure::Poisson;
        let vol: [&dyn VolumeTerm; 1] = [&sc];
        let bnd: [&dyn BoundaryTerm; 1] = [&cond];
        let terms = Terms {
            flux: &flux[..if poisson { 2 } else { 1 }],
            volume: if poisson { &vol } else { &[] },
            boundary: &bnd,
            equation: Some(&cond),
        };
        f(&terms)
    }

    /// Residual `F(x)` (steady part) and optionally its Jacobian, by the general assembler.
    fn assemble(&mut self, x: &[f64], r: &mut [f64], jac: Option<&mut dyn MatrixSink>) {
        let mut asm = self.asm.take().expect("assembler present");
        self.with_terms(|terms| asm.assemble(terms, x, r, jac));
        self.asm = Some(asm);
    }

    /// The Nernst-Planck flow (scaled, through the whole face, from node `f` to `f + 1`) of
    /// every species on every face: `flows[f * m + k]`.
    fn face_flows(&self, x: &[f64]) -> Vec<f64> {
        let (nv, m) = (self.nv, self.m);
        let (np, ..) = self.terms();
        let mut out = vec![0.0; (self.n - 1) * m];
        let (mut val, mut dk, mut dl) = (vec![0.0; nv], vec![0.0; nv * nv], vec![0.0; nv * nv]);
        for f in 0..self.n - 1 {
            val.fill(0.0);
            let mut ff = FaceFlux::new(nv, &mut val, &mut dk, &mut dl);
            np.flux(
                f,
                [f, f + 1],
                &x[f * nv..(f + 1) * nv],
                &x[(f + 1) * nv..(f + 2) * nv],
                &mut ff,
            );
            out[f * m..(f + 1) * m].copy_from_slice(&val[..m]);
        }
        out
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

    /// Solve for the steady state.
    ///
    /// Tries Newton from a linear initial guess first; if that fails, continues in one
    /// parameter that scales the applied potential difference, surface charges, currents,
    /// fluxes and concentration differences together from zero to their values.
    pub fn solve_steady(
        &mut self,
        opts: &SteadyOptions,
        progress: &mut dyn Progress,
    ) -> Result<SteadySolution, SolveError> {
        for k in 0..self.m {
            if self.rows[0][k] != Row::Dirichlet && self.rows[1][k] != Row::Dirichlet {
                return Err(SolveError::Model(ModelError::Underdetermined(format!(
                    "species {} has no fixed concentration on either side, so its amount is undetermined in a steady state: fix its concentration on one side, or run mode = \"transient\"",
                    self.problem.species[k].name
                ))));
            }
        }
        let mut ws = NewtonWorkspace::new(&NonlinearSystem::structure(self), opts.solver)
            .map_err(|e| SolveError::Model(ModelError::Inconsistent(e.to_string())))?;
        self.set_bc_lambda(1.0);
        let mut x = self.initial_guess();
        let mut stats = SteadyStats::default();
        let direct = if opts.force_continuation {
            None
        } else {
            let o = NewtonOptions {
                max_iterations: opts.newton.max_iterations.min(40),
                ..opts.newton
            };
            match newton(self, &mut x, &mut ws, &o) {
                Ok(s) => Some(s),
                Err(e) => {
                    stats.newton_iterations += e.iterations;
                    None
                }
            }
        };
        let s = match direct {
            Some(s) => s,
            None => {
                stats.continuation = true;
                self.set_bc_lambda(0.0);
                x = self.initial_guess();
                let copts = ContinuationOptions {
                    newton: opts.newton,
                    ..opts.continuation
                };
                let res = continuation(self, &mut x, &mut ws, &copts, progress);
                match res {
                    Ok((s, steps)) => {
                        stats.continuation_steps = steps;
                        s
                    }
                    Err(e) => {
                        let at = self.describe_unknown(e.newton.worst_unknown);
                        return Err(SolveError::Steady {
                            reached: e.reached,
                            at,
                            source: e,
                        });
                    }
                }
            }
        };
        stats.newton_iterations += s.iterations;
        stats.update_norm = s.update_norm;
        stats.residual = s.residual_norm;
        stats.memory_bytes = ws.memory_bytes()
            + 8 * (x.len() + 3 * self.transmissibility.len())
            + 12 * self.asm.as_ref().map_or(0, |a| a.pattern().nnz());
        let differential_capacitance = self.differential_capacitance(&x, &opts.newton);
        Ok(SteadySolution {
            profiles: self.profiles(&x, None),
            state: x,
            stats,
            differential_capacitance,
        })
    }

    /// Integrate in time from `x0` (scaled state, see [`Self::state_from_concentrations`]),
    /// recording a time series at every step and profiles at `output_times` (s).
    pub fn solve_transient(
        &mut self,
        x0: &[f64],
        opts: &TransientOptions,
        progress: &mut dyn Progress,
    ) -> Result<TransientSolution, SolveError> {
        self.set_bc_lambda(1.0);
        let ts = self.scales.time;
        let bdf = BdfOptions {
            rtol: opts.rtol,
            initial_step: opts.initial_step / ts,
            max_step: opts.max_step / ts,
            newton: opts.newton,
            ..BdfOptions::default()
        };
        let x0 = self.consistent_initial_state(x0);
        let mut stepper =
            BdfStepper::new(self, 0.0, &x0, bdf).map_err(|e| SolveError::Transient {
                t: 0.0,
                h: opts.initial_step,
                at: Some(e.to_string()),
            })?;
        let mut series = TimeSeries::new(self.m);
        let mut snapshots = Vec::new();
        let mut xdot = vec![0.0; x0.len()];
        let p0 = self.profiles(&x0, None);
        series.push(0.0, &p0, [0.0; 2]);
        let mut outputs: Vec<f64> = opts.output_times.clone();
        outputs.retain(|t| *t > 0.0 && *t <= opts.end_time);
        outputs.sort_by(|a, b| a.total_cmp(b));
        outputs.dedup();
        if opts.output_times.contains(&0.0) {
            snapshots.push((0.0, p0));
        }
        let t_end = opts.end_time / ts;
        let mut next_out = 0;
        while stepper.time() < t_end * (1.0 - 1e-14) {
            let stop = outputs
                .get(next_out)
                .map(|t| t / ts)
                .unwrap_or(t_end)
                .min(t_end);
            let out = stepper
                .step(self, stop)
                .map_err(|e| SolveError::Transient {
                    t: e.t * ts,
                    h: e.h * ts,
                    at: e.newton.map(|n| {
                        format!(
                            "{}: {} after {} iterations, weighted update {:.2e}",
                            self.describe_unknown(n.worst_unknown),
                            n.reason,
                            n.iterations,
                            n.update_norm
                        )
                    }),
                })?;
            stepper.derivative(&mut xdot);
            let t = out.t * ts;
            let prof = self.profiles(stepper.state(), Some(&xdot));
            let disp = self.displacement_current(&xdot);
            series.push(t, &prof, disp);
            progress.update(t / opts.end_time, "time stepping");
            if next_out < outputs.len() && (out.t - stop).abs() <= 1e-12 * stop.max(1e-300) {
                snapshots.push((outputs[next_out], prof));
                next_out += 1;
            }
        }
        let final_state = stepper.state().to_vec();
        let profiles = self.profiles(&final_state, Some(&xdot));
        Ok(TransientSolution {
            profiles,
            state: final_state,
            snapshots,
            series,
            stats: stepper.stats,
        })
    }

    /// Displacement current density `eps dE/dt` (A/m^2, along +x) at the two walls, from the
    /// time derivative of the Gauss-law wall field (see [`Profiles::boundary_field`]):
    /// `eps A_b dE_w/dt = eps A_f dE_f/dt -+ V_0 d(rho_0)/dt`, exact for the discrete state,
    /// so conduction plus displacement current is the same at both walls of a planar cell.
    /// Zero unless the closure is Poisson: electroneutral and fixed-field models have no
    /// space charge whose field could change (their wall field is not a Gauss-law field).
    fn displacement_current(&self, xdot: &[f64]) -> [f64; 2] {
        if self.problem.closure != Closure::Poisson {
            return [0.0; 2];
        }
        let (n, nv, m) = (self.n, self.nv, self.m);
        let s = self.scales;
        let grid = &self.problem.grid;
        let eps = self.problem.permittivity * VACUUM_PERMITTIVITY;
        let phidot = |i: usize| xdot[i * nv + m] * s.potential / s.time;
        let rhodot = |i: usize| {
            FARADAY
                * (0..m)
                    .map(|k| self.z[k] * xdot[i * nv + k] * s.concentration / s.time)
                    .sum::<f64>()
        };
        let x = grid.x();
        let efdot = |f: usize| -(phidot(f + 1) - phidot(f)) / (x[f + 1] - x[f]);
        let faces = n - 1;
        [
            (eps * efdot(0) * grid.face_area(0) - rhodot(0) * grid.volume(0))
                / grid.boundary_area(0),
            (eps * efdot(faces - 1) * grid.face_area(faces - 1)
                + rhodot(n - 1) * grid.volume(n - 1))
                / grid.boundary_area(1),
        ]
    }

    /// Physical profiles of a scaled state. `xdot` (scaled time derivative) corrects the
    /// boundary fluxes at Dirichlet boundaries for the accumulation in the half cell.
    pub fn profiles(&mut self, x: &[f64], xdot: Option<&[f64]>) -> Profiles {
        let flows = self.face_flows(x);
        let s = self.scales;
        let (n, nv, m) = (self.n, self.nv, self.m);
        let xs: Vec<f64> = self.problem.grid.x().to_vec();
        let phi: Vec<f64> = (0..n).map(|i| x[i * nv + m] * s.potential).collect();
        let conc: Vec<Vec<f64>> = (0..m)
            .map(|k| (0..n).map(|i| x[i * nv + k] * s.concentration).collect())
            .collect();
        // Face field and the exact SG split into diffusion, migration and advection.
        let faces = n - 1;
        let mut face_split = vec![[0.0f64; 4]; faces * m];
        for f in 0..faces {
            let hf = xs[f + 1] - xs[f];
            let dphi = phi[f + 1] - phi[f];
            for k in 0..m {
                let dk = self.problem.species[k].diffusivity;
                let z = self.problem.species[k].charge;
                let p = -z * dphi / s.potential + self.problem.velocity * hf / dk;
                let (ci, cj) = (conc[k][f], conc[k][f + 1]);
                let g = match self.problem.scheme {
                    Scheme::ScharfetterGummel => sg_face_weight(p),
                    Scheme::Upwind => {
                        if p >= 0.0 {
                            1.0
                        } else {
                            0.0
                        }
                    }
                    Scheme::Central => 0.5,
                };
                let cf = g * ci + (1.0 - g) * cj;
                let diff = -dk * (cj - ci) / hf;
                let mig = -dk * z * cf * dphi / (hf * s.potential);
                let adv = self.problem.velocity * cf;
                let total = flows[f * m + k] / self.af[f] * s.flux;
                face_split[f * m + k] = [total, diff, mig, adv];
            }
        }
        let mut flux = vec![FluxProfile::zeros(n); m];
        for (k, fp) in flux.iter_mut().enumerate() {
            for i in 0..n {
                let v = if i == 0 {
                    face_split[k]
                } else if i == n - 1 {
                    face_split[(faces - 1) * m + k]
                } else {
                    let (a, b) = (face_split[(i - 1) * m + k], face_split[i * m + k]);
                    [
                        0.5 * (a[0] + b[0]),
                        0.5 * (a[1] + b[1]),
                        0.5 * (a[2] + b[2]),
                        0.5 * (a[3] + b[3]),
                    ]
                };
                fp.total[i] = v[0];
                fp.diffusive[i] = v[1];
                fp.migrative[i] = v[2];
                fp.advective[i] = v[3];
            }
        }
        // Boundary fluxes from the half-cell balances.
        let mut boundary_flux = vec![[0.0; 2]; m];
        let mut boundary_split = vec![[[0.0; 4]; 2]; m];
        for k in 0..m {
            for side in 0..2 {
                let (node, face) = if side == 0 {
                    (0, 0)
                } else {
                    (n - 1, faces - 1)
                };
                let jb = if self.rows[side][k] == Row::Dirichlet {
                    let acc = xdot
                        .map(|d| self.vol[node] * d[node * nv + k])
                        .unwrap_or(0.0);
                    let fa = flows[face * m + k];
                    if side == 0 {
                        (acc + fa) / self.ab[0]
                    } else {
                        (fa - acc) / self.ab[1]
                    }
                } else {
                    self.bc.species[side][k]
                };
                boundary_flux[k][side] = jb * s.flux;
            }
        }
        let mut current = [0.0; 2];
        for (side, c) in current.iter_mut().enumerate() {
            *c = FARADAY
                * (0..m)
                    .map(|k| self.problem.species[k].charge * boundary_flux[k][side])
                    .sum::<f64>();
        }
        // Field at nodes and charge density.
        let mut field: Vec<f64> = (0..n)
            .map(|i| {
                if i == 0 {
                    -(phi[1] - phi[0]) / (xs[1] - xs[0])
                } else if i == n - 1 {
                    -(phi[n - 1] - phi[n - 2]) / (xs[n - 1] - xs[n - 2])
                } else {
                    -(phi[i + 1] - phi[i - 1]) / (xs[i + 1] - xs[i - 1])
                }
            })
            .collect();
        let charge: Vec<f64> = (0..n)
            .map(|i| {
                FARADAY
                    * (0..m)
                        .map(|k| self.problem.species[k].charge * conc[k][i])
                        .sum::<f64>()
            })
            .collect();
        // Field at the walls from Gauss's law on the boundary half cells.
        let eps = self.problem.permittivity * VACUUM_PERMITTIVITY;
        let grid = &self.problem.grid;
        let ef = |f: usize| -(phi[f + 1] - phi[f]) / (xs[f + 1] - xs[f]);
        let boundary_field = [
            (eps * ef(0) * grid.face_area(0) - charge[0] * grid.volume(0))
                / (eps * grid.boundary_area(0)),
            (eps * ef(faces - 1) * grid.face_area(faces - 1) + charge[n - 1] * grid.volume(n - 1))
                / (eps * grid.boundary_area(1)),
        ];
        let poisson = self.problem.closure == Closure::Poisson;
        if poisson {
            // The wall values of the field are the Gauss-law values (second order), not
            // one-sided differences (first order).
            field[0] = boundary_field[0];
            field[n - 1] = boundary_field[1];
        } else if n >= 3 {
            // Second-order one-sided differences on the (non-uniform) wall intervals.
            let d3 = |f0: f64, f1: f64, f2: f64, h1: f64, h2: f64| {
                -(2.0 * h1 + h2) / (h1 * (h1 + h2)) * f0 + (h1 + h2) / (h1 * h2) * f1
                    - h1 / (h2 * (h1 + h2)) * f2
            };
            field[0] = -d3(phi[0], phi[1], phi[2], xs[1] - xs[0], xs[2] - xs[1]);
            field[n - 1] = d3(
                phi[n - 1],
                phi[n - 2],
                phi[n - 3],
                xs[n - 1] - xs[n - 2],
                xs[n - 2] - xs[n - 3],
            );
        }
        let surface_charge = poisson.then(|| [eps * boundary_field[0], -eps * boundary_field[1]]);
        // Split of the boundary flux at the wall itself: migration `D z c_w (F/RT) E_w` and
        // advection `v c_w` from the wall concentration and field, diffusion the rest, so
        // the three add up to the half-cell-balance flux.
        let vt = s.potential;
        for k in 0..m {
            let dk = self.problem.species[k].diffusivity;
            let z = self.problem.species[k].charge;
            for (side, node) in [(0, 0), (1, n - 1)] {
                let cw = conc[k][node];
                let total = boundary_flux[k][side];
                let mig = dk * z * cw * field[node] / vt;
                let adv = self.problem.velocity * cw;
                let split = [total, total - mig - adv, mig, adv];
                boundary_split[k][side] = split;
                let fp = &mut flux[k];
                fp.total[node] = split[0];
                fp.diffusive[node] = split[1];
                fp.migrative[node] = split[2];
                fp.advective[node] = split[3];
            }
        }
        let rt = GAS_CONSTANT * self.problem.temperature;
        let echem = (0..m)
            .map(|k| {
                let z = self.problem.species[k].charge;
                (0..n)
                    .map(|i| rt * (conc[k][i] / 1000.0).ln() + z * FARADAY * phi[i])
                    .collect()
            })
            .collect();
        let amount = (0..m)
            .map(|k| (0..n).map(|i| grid.volume(i) * conc[k][i]).sum())
            .collect();
        Profiles {
            x: xs,
            concentration: conc,
            potential: phi,
            field,
            charge_density: charge,
            electrochemical_potential: echem,
            flux,
            boundary_flux,
            boundary_split,
            current_density: current,
            boundary_field,
            surface_charge,
            amount,
            radius: (grid.geometry() != crate::mesh::Geometry::Planar)
                .then(|| (0..n).map(|i| grid.radius(i)).collect()),
        }
    }
}

/// The boundary conditions and algebraic rows of the model, as assembler terms: outward
/// flows through the `left`/`right` patch faces (given species fluxes along +x, surface
/// charges, the applied current of a charge-balance row) and the equations of the
/// algebraic rows (Dirichlet values, the fixed-field potential, electroneutrality, the gauge).
struct Conditions<'a> {
    model: &'a Electrodiffusion,
}

impl BoundaryTerm for Conditions<'_> {
    fn couplings(&self) -> Vec<(usize, usize)> {
        Vec::new()
    }

    fn eval(&self, index: usize, _u: &[f64], out: &mut Local) {
        let md = self.model;
        let (m, side) = (md.m, index);
        let node = if side == 0 { 0 } else { md.n - 1 };
        // Outward normal along x: -1 on the left, +1 on the right.
        let nx = if side == 0 { -1.0 } else { 1.0 };
        let area = md.ab[side];
        for k in 0..m {
            if md.row_kind(node, k) == Row::Conserve {
                out.add(k, nx * area * md.bc.species[side][k]);
            }
        }
        match md.row_kind(node, m) {
            Row::Poisson => out.add(m, -area * md.bc.potential[side]),
            Row::CurrentBalance => out.add(m, nx * area * md.bc.potential[side]),
            _ => {}
        }
    }
}

impl NodeEquation for Conditions<'_> {
    fn couplings(&self) -> Vec<(usize, usize)> {
        let m = self.model.m;
        (0..=m).flat_map(|a| (0..=m).map(move |b| (a, b))).collect()
    }

    fn eval(&self, node: usize, field: usize, u: &[f64], d: &mut [f64]) -> f64 {
        let md = self.model;
        let m = md.m;
        match md.row_kind(node, field) {
            Row::Dirichlet => {
                d[field] = 1.0;
                u[field] - md.dirichlet_value(node, field)
            }
            Row::Gauge => {
                d[m] = 1.0;
                u[m]
            }
            Row::Neutral => {
                let mut q = 0.0;
                for k in 0..m {
                    q += md.z[k] * u[k];
                    d[k] = md.z[k];
                }
                q
            }
            other => unreachable!("row {other:?} is not algebraic"),
        }
    }
}

/// Steady solver settings.
#[derive(Clone, Copy, Debug, PartialEq, Default)]
pub struct SteadyOptions {
    /// Newton settings.
    pub newton: NewtonOptions,
    /// Continuation settings (used when the direct solve fails).
    pub continuation: ContinuationOptions,
    /// Skip the direct attempt and always continue from the easy problem.
    pub force_continuation: bool,
    /// Linear solver (default: block-tridiagonal LU for the 1D chain).
    pub solver: SolverChoice,
}

/// Transient solver settings (times in s).
#[derive(Clone, Debug, PartialEq)]
pub struct TransientOptions {
    /// End time, s.
    pub end_time: f64,
    /// Times at which profiles are recorded, s.
    pub output_times: Vec<f64>,
    /// Relative local error tolerance of the BDF stepper.
    pub rtol: f64,
    /// First step, s.
    pub initial_step: f64,
    /// Largest step, s.
    pub max_step: f64,
    /// Newton settings for each step.
    pub newton: NewtonOptions,
}

impl TransientOptions {
    /// Defaults for a run to `end_time`: rtol 1e-5, first step `1e-9 end_time`.
    pub fn new(end_time: f64) -> Self {
        TransientOptions {
            end_time,
            output_times: vec![end_time],
            rtol: 1e-5,
            initial_step: 1e-9 * end_time,
            max_step: end_time,
            newton: NewtonOptions {
                max_iterations: 15,
                ..NewtonOptions::default()
            },
        }
    }
}

/// Cost of a steady solve.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct SteadyStats {
    /// Newton iterations in total (direct attempt and continuation).
    pub newton_iterations: usize,
    /// Whether continuation was needed.
    pub continuation: bool,
    /// Continuation steps.
    pub continuation_steps: usize,
    /// Final weighted update norm.
    pub update_norm: f64,
    /// Max-norm of the final scaled residual.
    pub residual: f64,
    /// Bytes held by the solver buffers.
    pub memory_bytes: usize,
}

/// A steady solution.
#[derive(Clone, Debug)]
pub struct SteadySolution {
    /// Scaled state vector.
    pub state: Vec<f64>,
    /// Physical profiles.
    pub profiles: Profiles,
    /// Solver cost.
    pub stats: SteadyStats,
    /// Differential capacitance `d sigma / d psi` (F/m^2) of each double-layer wall
    /// (Poisson closure, every species blocked, potential or surface charge given, the
    /// other side at a fixed potential), by central differences of re-solved steady states;
    /// `None` elsewhere.
    pub differential_capacitance: [Option<f64>; 2],
}

/// Time series recorded at every accepted step (SI units; fluxes positive along +x).
#[derive(Clone, Debug, Default)]
pub struct TimeSeries {
    /// Times, s.
    pub time: Vec<f64>,
    /// Current density at the left and right boundaries, A/m^2: conduction plus, under the
    /// Poisson closure, the displacement current `eps dE/dt` (no other closure has one).
    pub current_density: [Vec<f64>; 2],
    /// Boundary flux per species at the left and right boundaries, mol m^-2 s^-1.
    pub flux: Vec<[Vec<f64>; 2]>,
    /// Total amount per species (mol/m^2 planar, mol/m cylindrical, mol spherical).
    pub amount: Vec<Vec<f64>>,
}

impl TimeSeries {
    fn new(m: usize) -> Self {
        TimeSeries {
            flux: vec![[vec![], vec![]]; m],
            amount: vec![vec![]; m],
            ..Default::default()
        }
    }

    fn push(&mut self, t: f64, p: &Profiles, displacement: [f64; 2]) {
        self.time.push(t);
        for side in 0..2 {
            self.current_density[side].push(p.current_density[side] + displacement[side]);
        }
        for k in 0..self.flux.len() {
            for side in 0..2 {
                self.flux[k][side].push(p.boundary_flux[k][side]);
            }
            self.amount[k].push(p.amount[k]);
        }
    }
}

/// A transient solution.
#[derive(Clone, Debug)]
pub struct TransientSolution {
    /// Scaled final state.
    pub state: Vec<f64>,
    /// Profiles at the end time.
    pub profiles: Profiles,
    /// Profiles at the requested output times.
    pub snapshots: Vec<(f64, Profiles)>,
    /// Time series at every step.
    pub series: TimeSeries,
    /// Stepper statistics.
    pub stats: crate::solve::BdfStats,
}

/// Flux density of one species at the nodes, split by mechanism (mol m^-2 s^-1, +x).
#[derive(Clone, Debug, PartialEq)]
pub struct FluxProfile {
    /// Total flux (the conservative Scharfetter-Gummel flux).
    pub total: Vec<f64>,
    /// Diffusion, `-D dc/dx`.
    pub diffusive: Vec<f64>,
    /// Migration, `-D z (F/RT) c dphi/dx`.
    pub migrative: Vec<f64>,
    /// Advection, `v c`.
    pub advective: Vec<f64>,
}

impl FluxProfile {
    fn zeros(n: usize) -> Self {
        FluxProfile {
            total: vec![0.0; n],
            diffusive: vec![0.0; n],
            migrative: vec![0.0; n],
            advective: vec![0.0; n],
        }
    }
}

/// Physical fields of a solution, SI units.
///
/// Node fluxes are averages of the two adjacent interval fluxes; at the two boundary nodes
/// they are the boundary fluxes with their split at the wall ([`Profiles::boundary_split`]).
/// On each interval the split uses the face concentration implied by the
/// Scharfetter-Gummel flux, so diffusion + migration + advection equals the total exactly.
#[derive(Clone, Debug, PartialEq)]
pub struct Profiles {
    /// Node positions, m (from the inner boundary).
    pub x: Vec<f64>,
    /// Concentrations `[species][node]`, mol/m^3.
    pub concentration: Vec<Vec<f64>>,
    /// Electric potential, V.
    pub potential: Vec<f64>,
    /// Electric field `-dphi/dx`, V/m (central differences inside; at the walls the
    /// Gauss-law value under the Poisson closure, one-sided differences otherwise).
    pub field: Vec<f64>,
    /// Space charge density `F sum z c`, C/m^3.
    pub charge_density: Vec<f64>,
    /// Electrochemical potential `RT ln(c / 1 M) + z F phi` (standard part omitted), J/mol.
    pub electrochemical_potential: Vec<Vec<f64>>,
    /// Flux profiles per species.
    pub flux: Vec<FluxProfile>,
    /// Boundary flux per species `[left, right]`, mol m^-2 s^-1, from the half-cell balance.
    pub boundary_flux: Vec<[f64; 2]>,
    /// Split `[total, diffusive, migrative, advective]` of the boundary flux at the wall,
    /// per species and side: the total from the half-cell balance, migration
    /// `D z c_w (F/RT) E_w` and advection `v c_w` from the wall values, diffusion the rest.
    pub boundary_split: Vec<[[f64; 4]; 2]>,
    /// Conduction current density `F sum z J` at `[left, right]`, A/m^2.
    pub current_density: [f64; 2],
    /// Electric field at the two walls from Gauss's law on the half cells, V/m:
    /// `eps A_b E_w = eps A_f E_f -+ rho_0 V_0` (left: minus), so the wall field equals the
    /// total charge between the walls to round-off.
    pub boundary_field: [f64; 2],
    /// Poisson closure: the surface charge density on each wall, C/m^2,
    /// `sigma = eps E . n` with `n` the unit normal pointing from the wall into the
    /// electrolyte (`[eps E_w(left), -eps E_w(right)]`); it balances the diffuse charge
    /// next to it. `None` for other closures.
    pub surface_charge: Option<[f64; 2]>,
    /// Curved geometries: the radius of each node, m (`x` is then `r - r_inner`).
    pub radius: Option<Vec<f64>>,
    /// Total amount per species (mol/m^2 planar, mol/m cylindrical, mol spherical).
    pub amount: Vec<f64>,
}

/// Why a solve failed, with what to try.
#[derive(Debug, thiserror::Error)]
pub enum SolveError {
    /// The problem is ill-posed.
    #[error(transparent)]
    Model(#[from] ModelError),
    /// The steady solver (Newton, then continuation) did not converge.
    #[error("the steady solver did not converge: continuation reached {:.1}% of the applied conditions; Newton stalled at {at} ({source}). Try: more nodes near the boundaries (grid = \"refined\" with a min_spacing well below the Debye length), [solver] max_iterations = 100, or approach the conditions in smaller steps with [solver] continuation_step = 0.01", 100.0 * reached)]
    Steady {
        /// Fraction of the continuation path solved.
        reached: f64,
        /// Where Newton's largest update was.
        at: String,
        /// The continuation failure.
        source: ContinuationError,
    },
    /// The transient solver could not take a step.
    #[error("the time stepper failed at t = {t:.6e} s (step {h:.3e} s){}. Try: a smaller [transient] initial_step, a looser rtol, or more nodes where the profiles are steep", at.as_ref().map(|a| format!("; Newton stalled at {a}")).unwrap_or_default())]
    Transient {
        /// Time reached, s.
        t: f64,
        /// Last step tried, s.
        h: f64,
        /// Where Newton's largest update was.
        at: Option<String>,
    },
}

impl NonlinearSystem for Electrodiffusion {
    fn dim(&self) -> usize {
        self.n * self.nv
    }
    fn structure(&self) -> Structure {
        self.asm.as_ref().expect("assembler present").structure()
    }
    fn residual(&mut self, x: &[f64], r: &mut [f64]) {
        self.assemble(x, r, None);
    }
    fn jacobian(&mut self, x: &[f64], jac: &mut dyn MatrixSink, r: &mut [f64]) {
        self.assemble(x, r, Some(jac));
    }
    fn atol(&self, i: usize) -> f64 {
        if i % self.nv < self.m {
            1e-14
        } else {
            1e-10
        }
    }
    fn limit_step(&self, x: &[f64], dx: &mut [f64]) {
        // Concentrations may fall by at most 95% per iteration (they stay positive).
        for i in 0..self.n {
            for k in 0..self.m {
                let idx = i * self.nv + k;
                if self.row_kind(i, k) != Row::Dirichlet && x[idx] > 0.0 {
                    let floor = -0.95 * x[idx];
                    if dx[idx] < floor {
                        dx[idx] = floor;
                    }
                }
            }
        }
    }
}

impl Homotopy for Electrodiffusion {
    fn set_lambda(&mut self, lambda: f64) {
        self.set_bc_lambda(lambda);
    }
}

impl DaeSystem for Electrodiffusion {
    fn dim(&self) -> usize {
        self.n * self.nv
    }
    fn structure(&self) -> Structure {
        NonlinearSystem::structure(self)
    }
    fn mass(&self, mass: &mut [f64]) {
        let m = self.m;
        self.asm
            .as_ref()
            .expect("assembler present")
            .mass(|i, a| if a < m { self.vol[i] } else { 0.0 }, mass);
    }
    fn rhs(&mut self, _t: f64, x: &[f64], f: &mut [f64]) {
        self.assemble(x, f, None);
    }
    fn rhs_jacobian(&mut self, _t: f64, x: &[f64], jac: &mut dyn MatrixSink, f: &mut [f64]) {
        self.assemble(x, f, Some(jac));
    }
    fn atol(&self, i: usize) -> f64 {
        // Under electroneutrality the potential is an index-2 variable whose Newton
        // corrections carry round-off amplified by 1/h on tiny steps; 1e-6 V_T (26 nV) is
        // far below anything observable and keeps such steps from stalling.
        if i % self.nv < self.m {
            1e-9
        } else {
            1e-6
        }
    }
    fn limit_step(&self, x: &[f64], dx: &mut [f64]) {
        NonlinearSystem::limit_step(self, x, dx)
    }
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mesh::{Geometry, Spacing};

    fn sp(name: &str, z: f64, d: f64) -> Species {
        Species {
            name: name.into(),
            charge: z,
            diffusivity: d,
        }
    }

    fn build(closure: Closure, geometry: Geometry, bnd: [Boundary; 2], v: f64) -> Electrodiffusion {
        Electrodiffusion::new(Problem {
            grid: Grid::new(geometry, 2e-8, 1e-7, 9, Spacing::Uniform).unwrap(),
            species: vec![
                sp("A+", 1.0, 1e-9),
                sp("B2-", -2.0, 0.7e-9),
                sp("C+", 1.0, 2e-9),
            ],
            temperature: 300.0,
            permittivity: 78.0,
            closure,
            boundaries: bnd,
            // A constant velocity is only divergence-free (and accepted) in planar geometry.
            velocity: if geometry == Geometry::Planar { v } else { 0.0 },
            scheme: Scheme::ScharfetterGummel,
        })
        .unwrap()
    }

    fn check_jacobian(mut m: Electrodiffusion, transient: bool) {
        let n = NonlinearSystem::dim(&m);
        assert!(matches!(
            NonlinearSystem::structure(&m),
            Structure::BlockTridiagonal { block_size: 4, .. }
        ));
        let pattern = m.asm.as_ref().unwrap().pattern().clone();
        // A smooth but nontrivial state.
        let x: Vec<f64> = (0..n)
            .map(|i| {
                let (node, a) = (i / 4, i % 4);
                if a < 3 {
                    0.5 + 0.3 * ((node * 7 + a * 3) as f64).sin().abs()
                } else {
                    1.5 * ((node as f64) * 0.7).cos()
                }
            })
            .collect();
        let mut jac = crate::solve::CsrMatrix::zeros(pattern.clone());
        let mut r = vec![0.0; n];
        if transient {
            DaeSystem::rhs_jacobian(&mut m, 0.0, &x, &mut jac, &mut r);
        } else {
            m.jacobian(&x, &mut jac, &mut r);
        }
        let (mut rp, mut rm) = (vec![0.0; n], vec![0.0; n]);
        for j in 0..n {
            let h = 1e-6 * (1.0 + x[j].abs());
            let mut xp = x.clone();
            xp[j] += h;
            m.residual(&xp, &mut rp);
            xp[j] -= 2.0 * h;
            m.residual(&xp, &mut rm);
            for i in 0..n {
                let fd = (rp[i] - rm[i]) / (2.0 * h);
                let an = jac.get(i, j);
                assert!(
                    (fd - an).abs() <= 1e-6 * (1.0 + fd.abs()),
                    "d r[{i}] / d x[{j}]: analytic {an}, finite difference {fd}"
                );
                if pattern.position(i, j).is_none() {
                    assert!(fd.abs() < 1e-9, "entry ({i},{j}) outside the pattern");
                }
                // Block tridiagonal: nodes couple only to their neighbours.
                if (i / 4).abs_diff(j / 4) > 1 {
                    assert!(fd.abs() < 1e-12, "entry ({i},{j}) beyond the neighbours");
                }
            }
        }
    }

    #[test]
    fn jacobian_matches_finite_differences_for_every_row_kind() {
        let c = SpeciesBc::Concentration;
        let f = SpeciesBc::Flux;
        // Poisson, surface charge, mixed species conditions, advection, spherical.
        let b = [
            Boundary {
                species: vec![f(0.0), c(2.0), f(1e-3)],
                potential: PotentialBc::SurfaceCharge(-0.01),
            },
            Boundary {
                species: vec![c(1.0), c(1.0), c(1.0)],
                potential: PotentialBc::Potential(0.02),
            },
        ];
        check_jacobian(build(Closure::Poisson, Geometry::Spherical, b, 1e-3), false);
        // Electroneutral with a current balance on the right.
        let b = [
            Boundary {
                species: vec![c(1.0), c(1.0), c(1.0)],
                potential: PotentialBc::Potential(0.0),
            },
            Boundary {
                species: vec![c(2.0), c(1.5), c(1.0)],
                potential: PotentialBc::Current(3.0),
            },
        ];
        check_jacobian(
            build(Closure::Electroneutral, Geometry::Planar, b, 0.0),
            false,
        );
        // Electroneutral with flux conditions on both sides (gauge row).
        let b = [
            Boundary {
                species: vec![f(1e-4), f(0.0), c(1.0)],
                potential: PotentialBc::Free,
            },
            Boundary {
                species: vec![f(1e-4), f(0.0), c(1.0)],
                potential: PotentialBc::Free,
            },
        ];
        check_jacobian(
            build(Closure::Electroneutral, Geometry::Planar, b, -2e-3),
            true,
        );
    }

    /// The general assembler derives the Jacobian pattern from the couplings of the terms:
    /// on the 1D chain the structure is block tridiagonal (solved by the block LU), and the
    /// pattern's band stays that of the hand-written assembly (lower bandwidth `m + 1`, or
    /// `2m + 1` with a charge-balance row, upper at most `2m + 1`), so the banded LU, when
    /// chosen, costs what it did.
    #[test]
    fn engine_keeps_the_1d_band() {
        let c = SpeciesBc::Concentration;
        let side = |p| Boundary {
            species: vec![c(1.0), c(1.0), c(1.0)],
            potential: p,
        };
        let cases = [
            (Closure::Poisson, PotentialBc::Potential(0.01), 4),
            (Closure::Electroneutral, PotentialBc::Current(1.0), 7),
        ];
        for (closure, right, lower_expected) in cases {
            let m = build(
                closure,
                Geometry::Planar,
                [side(PotentialBc::Potential(0.0)), side(right)],
                0.0,
            );
            assert!(matches!(
                NonlinearSystem::structure(&m),
                Structure::BlockTridiagonal {
                    blocks: 9,
                    block_size: 4
                }
            ));
            let (lower, upper) = m.asm.as_ref().unwrap().pattern().bandwidths();
            assert_eq!(lower, lower_expected, "{closure:?}");
            assert!(upper <= 7, "{closure:?}: upper {upper}");
        }
    }

    #[test]
    fn ill_posed_problems_are_rejected_with_advice() {
        let c = SpeciesBc::Concentration;
        let b = |p| Boundary {
            species: vec![c(1.0), c(1.0), c(1.0)],
            potential: p,
        };
        let p = |closure, bnd: [Boundary; 2]| Problem {
            grid: Grid::new(Geometry::Planar, 0.0, 1e-7, 9, Spacing::Uniform).unwrap(),
            species: vec![
                sp("A+", 1.0, 1e-9),
                sp("B2-", -2.0, 0.7e-9),
                sp("C+", 1.0, 2e-9),
            ],
            temperature: 300.0,
            permittivity: 78.0,
            closure,
            boundaries: bnd,
            velocity: 0.0,
            scheme: Scheme::ScharfetterGummel,
        };
        let e = Electrodiffusion::new(p(
            Closure::Poisson,
            [b(PotentialBc::Free), b(PotentialBc::Free)],
        ))
        .unwrap_err();
        assert!(e.to_string().contains("fixed potential"), "{e}");
        let e = Electrodiffusion::new(p(
            Closure::FixedField,
            [b(PotentialBc::Potential(0.0)), b(PotentialBc::Free)],
        ))
        .unwrap_err();
        assert!(e.to_string().contains("right"), "{e}");
        // 1 + 1 - 2 = 0 is neutral; make the right side charged.
        let mut bad = p(
            Closure::Electroneutral,
            [b(PotentialBc::Potential(0.0)), b(PotentialBc::Free)],
        );
        bad.boundaries[1].species[0] = c(2.0);
        let e = Electrodiffusion::new(bad).unwrap_err();
        assert!(e.to_string().contains("not electroneutral"), "{e}");
        let mut bad = p(
            Closure::Poisson,
            [b(PotentialBc::Potential(0.0)), b(PotentialBc::Free)],
        );
        bad.species[1].diffusivity = -1e-9;
        let e = Electrodiffusion::new(bad).unwrap_err();
        assert!(e.to_string().contains("diffusivity of B2-"), "{e}");
    }

    /// Regression (issue #8): a constant velocity in curved geometry was solved, although
    /// `div(v e_r) != 0` there, so the "advection" created and destroyed matter.
    #[test]
    fn constant_advection_in_curved_geometry_is_rejected() {
        for g in [Geometry::Cylindrical, Geometry::Spherical] {
            let e = Electrodiffusion::new(Problem {
                grid: Grid::new(g, 1e-6, 1e-6, 9, Spacing::Uniform).unwrap(),
                species: vec![sp("A", 0.0, 1e-9)],
                temperature: 300.0,
                permittivity: 78.0,
                closure: Closure::FixedField,
                boundaries: [
                    Boundary {
                        species: vec![SpeciesBc::Concentration(1.0)],
                        potential: PotentialBc::Potential(0.0),
                    },
                    Boundary {
                        species: vec![SpeciesBc::Concentration(0.0)],
                        potential: PotentialBc::Potential(0.0),
                    },
                ],
                velocity: 1e-6,
                scheme: Scheme::ScharfetterGummel,
            })
            .unwrap_err();
            assert!(e.to_string().contains("not divergence-free"), "{e}");
        }
    }
}
