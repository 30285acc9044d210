//! Construction: checks of the problem, the row kind of every boundary unknown, the scales
//! and the dimensionless mesh data, and the assembler.

use super::{
    nonphysical, BcData, Closure, Electrodiffusion, ModelError, PotentialBc, Problem, Row, Scales,
    SpeciesBc, SIDES,
};
use crate::assembly::{Assembler, DofMap, RowRule, RowRules};
use crate::constants::{thermal_voltage, FARADAY, VACUUM_PERMITTIVITY};
use crate::mesh::Mesh;
use crate::solve::pages::from_fn;
use std::sync::Arc;

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
        // The dimensionless mesh: lengths / L, areas / A_ref, volumes / (A_ref L).
        let mesh = Arc::new(Mesh::from_grid(grid).scaled(length, area));
        let ab = [mesh.patch_faces()[0].area, mesh.patch_faces()[1].area];
        let z: Vec<f64> = problem.species.iter().map(|s| s.charge).collect();
        let d: Vec<f64> = problem.species.iter().map(|s| s.diffusivity / d0).collect();
        let nv = m + 1;
        let vel = problem.velocity * length / d0;
        // One material: `D_k A_f/d_f` is the species' factor times the face's.
        let face_factor = from_fn(n - 1, |f| mesh.transmissibility(f, |_| Some(1.0)));
        // Without advection the drift is zero on every face and not stored.
        let advection: Vec<f64> = if vel != 0.0 {
            // v . (x_L - x_K)/|x_L - x_K| with the face direction of the mesh.
            (0..n - 1)
                .map(|f| vel * mesh.face_direction(f)[0] * mesh.face_distance(f))
                .collect()
        } else {
            Vec::new()
        };
        let inverse_diffusivity = d.iter().map(|dk| 1.0 / dk).collect();
        let target = Self::scaled_bc(&problem, &scales);
        let base = Self::base_bc(&problem, &target, &rows);
        let mut model = Electrodiffusion {
            scales,
            n,
            m,
            nv,
            mesh: mesh.clone(),
            ab,
            z,
            lam2,
            rows,
            interior_phi,
            bc: target.clone(),
            target,
            base,
            lambda: 1.0,
            diffusivity: d,
            inverse_diffusivity,
            face_factor,
            advection,
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
}
