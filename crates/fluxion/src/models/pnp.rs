//! Poisson-Nernst-Planck on any [`Mesh`] (1D, 2D, axisymmetric, 3D) with material regions.
//!
//! # Equations
//!
//! The same as [`super::electrodiffusion`], in every dimension:
//!
//! ```text
//! J_k = -D_k (grad c_k + z_k c_k grad phi / V_T),        div J_k = 0
//! -div(eps0 eps_r grad phi) = F (sum_k z_k c_k + X)
//! ```
//!
//! with per region the relative permittivity `eps_r`, a fixed charge `X` (mol/m^3 of unit
//! charges: the charged groups of an ion-exchange membrane or a charged pore wall) and, per
//! species, whether it may enter and a factor on its diffusion coefficient (hindered
//! diffusion in a membrane). A species lives on the nodes whose control volume has a part
//! in a region it may enter; faces whose edge passes through a region it may not enter
//! carry none of it. Per patch: a fixed concentration or an outward flux per species
//! (default: blocked), and a potential, a surface charge or nothing (zero normal field).
//!
//! # Discretization
//!
//! The flux laws of the 1D model ([`NernstPlanck`] with a Scharfetter-Gummel,
//! upwind or central scheme, [`PoissonFlux`], [`SpaceCharge`]) through the general
//! [`Assembler`], unknowns scaled as in 1D (`x/L`, `c/c_0`, `phi/V_T`). Steady states by
//! damped Newton, with continuation in the applied conditions when Newton alone fails;
//! transients by the BDF stepper (`super::pnp_transient`).
//!
//! # Closures
//!
//! As in 1D ([`Closure`], chosen by [`Pnp::with_closure`]):
//!
//! ```text
//! poisson:        the equation above
//! electroneutral: sum_k z_k c_k + X = 0 at every node whose charged species are not all
//!                 fixed; where they are fixed and the potential is not, the charge balance
//!                 sum_k z_k (balance of k) = 0 (no current through that piece of patch);
//!                 phi then follows from current conservation (an index-2 variable),
//!                 up to a constant when no patch fixes it: then phi = 0 at one node
//!                 (the gauge of `pnp_closure`)
//! fixed_field:    phi given at every node: PnpProblem::fixed_potential, or else the
//!                 Laplace solution div(eps_r grad phi) = 0 with the patch potentials
//! ```

use super::electrodiffusion::terms::{FaceTable, NernstPlanck, PoissonFlux, SpaceCharge};
pub use super::electrodiffusion::Closure;
use super::electrodiffusion::Species;
use crate::assembly::{
    Assembler, BoundaryTerm, DofMap, FluxLaw, Local, NodeEquation, RowRule, RowRules, Terms,
    VolumeTerm,
};
use crate::constants::{thermal_voltage, FARADAY, VACUUM_PERMITTIVITY};
use crate::mesh::Mesh;
use crate::solve::{Homotopy, MatrixSink, NonlinearSystem, Progress, Structure};
use std::sync::Arc;

#[path = "pnp_problem.rs"]
mod pnp_problem;
pub use pnp_problem::*;

impl Scaled {
    /// The mean of each species' fixed concentrations over the patch faces that fix it, and
    /// of the fixed potentials (`None` where no face fixes one).
    fn means(&self, m: usize) -> (Vec<Option<f64>>, Option<f64>) {
        let mean = |vals: Vec<f64>| {
            (!vals.is_empty()).then(|| vals.iter().sum::<f64>() / vals.len() as f64)
        };
        let conc = (0..m)
            .map(|k| mean(self.conc.iter().filter_map(|c| c[k]).collect()))
            .collect();
        (conc, mean(self.pot.iter().flatten().copied().collect()))
    }
}

#[derive(Clone, Debug, PartialEq)]
struct Scaled {
    /// Per patch face: species condition values (scaled) and the potential value (scaled).
    conc: Vec<Vec<Option<f64>>>,
    flux: Vec<Vec<f64>>,
    pot: Vec<Option<f64>>,
    sigma: Vec<f64>,
    fixed: Vec<f64>,
}

/// The discrete system.
#[derive(Debug)]
pub struct Pnp {
    pub(super) problem: PnpProblem,
    pub(super) closure: Closure,
    pub(super) m: usize,
    pub(super) length: f64,
    pub(super) c0: f64,
    pub(super) vt: f64,
    pub(super) d0: f64,
    pub(super) area: f64,
    pub(super) z: Vec<f64>,
    transmissibility: Vec<f64>,
    pub(super) conductance: Vec<f64>,
    pub(super) volume: Vec<f64>,
    /// Fixed charge per node, scaled and volume-integrated.
    pub(super) fixed_volume_charge: Vec<f64>,
    /// Per node and field: the patch face that fixes it (Dirichlet), if any.
    pub(super) dirichlet: Vec<Option<u32>>,
    /// Scaled area of every patch face.
    patch_area: Vec<f64>,
    /// The given potential (scaled) per node, if Poisson's equation is replaced.
    phi_given: Option<Vec<f64>>,
    target: Scaled,
    base: Scaled,
    bc: Scaled,
    asm: Option<Assembler>,
}

impl Pnp {
    /// Check the problem and build the discrete system: the Poisson closure, or the fixed
    /// field of [`PnpProblem::fixed_potential`] if one is given.
    pub fn new(problem: PnpProblem) -> Result<Self, PnpError> {
        let closure = if problem.fixed_potential.is_some() {
            Closure::FixedField
        } else {
            Closure::Poisson
        };
        Self::with_closure(problem, closure)
    }

    /// Check the problem and build the discrete system with the given potential closure
    /// (see the module docs). `Closure::Poisson` with a [`PnpProblem::fixed_potential`] is
    /// refused (ambiguous); `Closure::FixedField` without one uses the Laplace solution of
    /// the patch potentials.
    pub fn with_closure(problem: PnpProblem, closure: Closure) -> Result<Self, PnpError> {
        let bad = |s: String| Err(PnpError::Invalid(s));
        let mesh = problem.mesh.clone();
        let m = problem.species.len();
        let nv = m + 1;
        if m == 0 {
            return bad("no species: add at least one".into());
        }
        if problem.media.len() != mesh.regions().len() {
            return bad(format!(
                "{} media for {} regions",
                problem.media.len(),
                mesh.regions().len()
            ));
        }
        if problem.patches.len() != mesh.patches().len() {
            return bad(format!(
                "{} patch conditions for {} patches",
                problem.patches.len(),
                mesh.patches().len()
            ));
        }
        if !(problem.temperature > 0.0 && problem.temperature.is_finite()) {
            return bad(format!(
                "temperature {} K must be positive",
                problem.temperature
            ));
        }
        for (r, md) in problem.media.iter().enumerate() {
            let name = &mesh.regions()[r];
            if !(md.permittivity > 0.0
                && md.permittivity.is_finite()
                && md.fixed_charge.is_finite())
            {
                return bad(format!("region {name}: permittivity {} must be positive and the fixed charge {} finite", md.permittivity, md.fixed_charge));
            }
            if md.diffusivity_factor.len() != m {
                return bad(format!(
                    "region {name}: {} diffusivity factors for {m} species",
                    md.diffusivity_factor.len()
                ));
            }
            if md
                .diffusivity_factor
                .iter()
                .flatten()
                .any(|f| !(*f > 0.0 && f.is_finite()))
            {
                return bad(format!(
                    "region {name}: diffusivity factors must be positive"
                ));
            }
        }
        for s in &problem.species {
            if !(s.diffusivity > 0.0 && s.diffusivity.is_finite() && s.charge.is_finite()) {
                return bad(format!(
                    "species {}: diffusivity {} must be positive",
                    s.name, s.diffusivity
                ));
            }
        }
        for (p, c) in problem.patches.iter().enumerate() {
            let name = &mesh.patches()[p].name;
            if c.species.len() != m {
                return bad(format!(
                    "patch {name}: {} species conditions for {m} species",
                    c.species.len()
                ));
            }
            for (k, sc) in c.species.iter().enumerate() {
                match *sc {
                    SpeciesCondition::Concentration(v) if !(v >= 0.0 && v.is_finite()) => {
                        return bad(format!("patch {name}: concentration of {} = {v} mol/m^3 must be zero or positive", problem.species[k].name))
                    }
                    SpeciesCondition::Flux(v) if !v.is_finite() => {
                        return bad(format!("patch {name}: flux of {} must be finite", problem.species[k].name))
                    }
                    _ => {}
                }
            }
        }
        // Scales.
        let mut lo = [f64::INFINITY; 3];
        let mut hi = [f64::NEG_INFINITY; 3];
        for i in 0..mesh.nodes() {
            let x = mesh.position(i);
            for a in 0..3 {
                lo[a] = lo[a].min(x[a]);
                hi[a] = hi[a].max(x[a]);
            }
        }
        let length = (0..3).map(|a| hi[a] - lo[a]).fold(0.0, f64::max);
        if length.is_nan() || length <= 0.0 {
            return bad("the mesh has no extent".into());
        }
        let area = mesh.total_volume() / length;
        let smesh = Arc::new(Mesh::clone(&mesh).scaled(length, area));
        let mut c0: f64 = 0.0;
        for c in &problem.patches {
            for sc in &c.species {
                if let SpeciesCondition::Concentration(v) = sc {
                    c0 = c0.max(*v);
                }
            }
        }
        for md in &problem.media {
            c0 = c0.max(md.fixed_charge.abs());
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
        let lam2 = VACUUM_PERMITTIVITY * vt / (FARADAY * c0 * length * length);
        let media = &problem.media;
        let mut transmissibility = Vec::with_capacity(smesh.faces() * m);
        for f in 0..smesh.faces() {
            for k in 0..m {
                let dk = problem.species[k].diffusivity / d0;
                transmissibility.push(smesh.transmissibility(f, |r| {
                    media[r as usize].diffusivity_factor[k].map(|fac| fac * dk)
                }));
            }
        }
        let conductance: Vec<f64> = (0..smesh.faces())
            .map(|f| lam2 * smesh.transmissibility(f, |r| Some(media[r as usize].permittivity)))
            .collect();
        let volume: Vec<f64> = (0..smesh.nodes()).map(|i| smesh.volume(i)).collect();
        let fixed_volume_charge: Vec<f64> = (0..smesh.nodes())
            .map(|i| smesh.volume_integral(i, |r| Some(media[r as usize].fixed_charge / c0)))
            .collect();
        let n = smesh.nodes();
        let present = |i: usize, a: usize| {
            a == m
                || smesh
                    .volume_parts(i)
                    .any(|(r, v)| v > 0.0 && media[r as usize].diffusivity_factor[a].is_some())
        };
        let dofs = DofMap::new(n, nv, present).map_err(|e| PnpError::Invalid(e.to_string()))?;
        // Dirichlet rows: the first patch face that fixes a field at a node.
        let mut dirichlet = vec![None; n * nv];
        for (i, pf) in smesh.patch_faces().iter().enumerate() {
            let c = &problem.patches[pf.patch as usize];
            let node = pf.node as usize;
            for (k, sc) in c.species.iter().enumerate() {
                if matches!(sc, SpeciesCondition::Concentration(_))
                    && dirichlet[node * nv + k].is_none()
                {
                    dirichlet[node * nv + k] = Some(i as u32);
                }
            }
            if matches!(c.potential, PotentialCondition::Potential(_))
                && dirichlet[node * nv + m].is_none()
            {
                dirichlet[node * nv + m] = Some(i as u32);
            }
        }
        if closure == Closure::Poisson && problem.fixed_potential.is_some() {
            return bad("a fixed_potential is given with the poisson closure: use the fixed_field closure, or drop the potential".into());
        }
        if closure == Closure::Electroneutral && problem.fixed_potential.is_some() {
            return bad("a fixed_potential is given with the electroneutral closure, where the potential is an unknown: use the fixed_field closure, or drop the potential".into());
        }
        let mut phi_given: Option<Vec<f64>> = match &problem.fixed_potential {
            Some(v) if v.len() != n => {
                return bad(format!(
                    "fixed_potential has {} values for {n} nodes",
                    v.len()
                ))
            }
            Some(v) if v.iter().any(|x| !x.is_finite()) => {
                return bad("fixed_potential must be finite everywhere".into())
            }
            Some(v) => Some(v.iter().map(|x| x / vt).collect()),
            None => None,
        };
        if closure == Closure::FixedField && phi_given.is_none() {
            phi_given = Some(super::pnp_closure::laplace_of_patches(
                &problem,
                &smesh,
                &conductance,
                vt,
            )?);
        }
        if closure == Closure::Electroneutral {
            super::pnp_closure::check_electroneutral(&problem, &smesh, &dofs)?;
            if !(0..n).any(|i| dirichlet[i * nv + m].is_some()) {
                let z: Vec<f64> = problem.species.iter().map(|s| s.charge).collect();
                let g = super::pnp_closure::gauge_node(&z, &dofs, &dirichlet);
                dirichlet[g * nv + m] = Some(super::pnp_closure::GAUGE);
            }
        }
        if phi_given.is_some() {
            for i in 0..n {
                // Marker: the potential row of every node is algebraic.
                dirichlet[i * nv + m] = Some(u32::MAX);
            }
        }
        if !(0..n).any(|i| dirichlet[i * nv + m].is_some()) {
            return bad("the potential is fixed on no patch: give one patch (a reservoir, an electrode) a potential".into());
        }
        let target = Self::scaled(&problem, &smesh, c0, vt, length);
        let base = Self::base(&target, m);
        // Row rules: one class per distinct pattern of Dirichlet fields.
        let mut classes: Vec<Vec<RowRule>> = vec![vec![RowRule::Balance; nv]];
        let mut node_class = vec![0u16; n];
        let z: Vec<f64> = problem.species.iter().map(|s| s.charge).collect();
        for i in 0..n {
            let rule: Vec<RowRule> = (0..nv)
                .map(|a| {
                    if dirichlet[i * nv + a].is_some() {
                        RowRule::Algebraic
                    } else if a == m && closure == Closure::Electroneutral {
                        super::pnp_closure::neutral_rule(i, &z, &dofs, &dirichlet)
                    } else {
                        RowRule::Balance
                    }
                })
                .collect();
            let c = match classes.iter().position(|c| *c == rule) {
                Some(c) => c,
                None => {
                    classes.push(rule);
                    classes.len() - 1
                }
            };
            node_class[i] = c as u16;
        }
        let rules = RowRules::new(classes, node_class);
        let mut model = Pnp {
            closure,
            m,
            length,
            c0,
            vt,
            d0,
            area,
            z,
            transmissibility,
            conductance,
            volume,
            fixed_volume_charge,
            dirichlet,
            patch_area: smesh.patch_faces().iter().map(|p| p.area).collect(),
            phi_given,
            bc: target.clone(),
            target,
            base,
            asm: None,
            problem,
        };
        let asm = model.with_terms(|terms| Assembler::new(smesh, dofs, rules, terms, false));
        model.asm = Some(asm);
        Ok(model)
    }

    fn scaled(p: &PnpProblem, mesh: &Mesh, c0: f64, vt: f64, length: f64) -> Scaled {
        let d0 = p.species.iter().map(|s| s.diffusivity).fold(0.0, f64::max);
        let jscale = d0 * c0 / length;
        let pf = mesh.patch_faces();
        Scaled {
            conc: pf
                .iter()
                .map(|f| {
                    p.patches[f.patch as usize]
                        .species
                        .iter()
                        .map(|s| match s {
                            SpeciesCondition::Concentration(c) => Some(c / c0),
                            _ => None,
                        })
                        .collect()
                })
                .collect(),
            flux: pf
                .iter()
                .map(|f| {
                    p.patches[f.patch as usize]
                        .species
                        .iter()
                        .map(|s| match s {
                            SpeciesCondition::Flux(j) => j / jscale,
                            _ => 0.0,
                        })
                        .collect()
                })
                .collect(),
            pot: pf
                .iter()
                .map(|f| match p.patches[f.patch as usize].potential {
                    PotentialCondition::Potential(v) => Some(v / vt),
                    _ => None,
                })
                .collect(),
            sigma: pf
                .iter()
                .map(|f| match p.patches[f.patch as usize].potential {
                    PotentialCondition::SurfaceCharge(s) => s / (FARADAY * c0 * length),
                    _ => 0.0,
                })
                .collect(),
            fixed: vec![1.0],
        }
    }

    /// The easy member of the continuation family: each species at the mean of its fixed
    /// values, no fluxes, no charges, one potential.
    fn base(t: &Scaled, m: usize) -> Scaled {
        let mut b = t.clone();
        let (conc, pot) = t.means(m);
        for (k, mean) in conc.into_iter().enumerate() {
            let Some(mean) = mean else { continue };
            for c in b.conc.iter_mut() {
                if c[k].is_some() {
                    c[k] = Some(mean);
                }
            }
        }
        if let Some(mean) = pot {
            for p in b.pot.iter_mut().flatten() {
                *p = mean;
            }
        }
        b.flux.iter_mut().for_each(|f| f.fill(0.0));
        b.sigma.fill(0.0);
        b.fixed = vec![0.0];
        b
    }

    pub(super) fn set_lambda(&mut self, lambda: f64) {
        let (b, t) = (&self.base, &self.target);
        let mix = |x: f64, y: f64| x + lambda * (y - x);
        let mut s = t.clone();
        for (i, c) in s.conc.iter_mut().enumerate() {
            for (k, v) in c.iter_mut().enumerate() {
                if let (Some(x), Some(y)) = (b.conc[i][k], t.conc[i][k]) {
                    *v = Some(mix(x, y));
                }
            }
        }
        for (i, p) in s.pot.iter_mut().enumerate() {
            if let (Some(x), Some(y)) = (b.pot[i], t.pot[i]) {
                *p = Some(mix(x, y));
            }
        }
        for (i, f) in s.flux.iter_mut().enumerate() {
            for (k, v) in f.iter_mut().enumerate() {
                *v = mix(b.flux[i][k], t.flux[i][k]);
            }
        }
        for (i, v) in s.sigma.iter_mut().enumerate() {
            *v = mix(b.sigma[i], t.sigma[i]);
        }
        s.fixed = vec![mix(b.fixed[0], t.fixed[0])];
        self.bc = s;
    }

    #[allow(clippy::type_complexity)]
    fn terms(
        &self,
    ) -> (
        NernstPlanck<'_>,
        PoissonFlux<'_>,
        SpaceCharge<'_>,
        FixedCharge<'_>,
        Conditions<'_>,
    ) {
        (
            NernstPlanck {
                transmissibility: FaceTable::Full(&self.transmissibility),
                drift: FaceTable::Zero,
                z: &self.z,
                scheme: self.problem.scheme,
            },
            PoissonFlux {
                conductance: FaceTable::Full(&self.conductance),
                phi: self.m,
            },
            SpaceCharge {
                volume: &self.volume,
                z: &self.z,
            },
            FixedCharge {
                q: &self.fixed_volume_charge,
                scale: self.bc.fixed[0],
                phi: self.m,
            },
            Conditions { model: self },
        )
    }

    pub(super) fn assemble_into(
        &mut self,
        x: &[f64],
        r: &mut [f64],
        jac: Option<&mut dyn MatrixSink>,
        raw: bool,
    ) {
        let mut asm = self.asm.take().expect("assembler present");
        self.with_terms(|terms| {
            if raw {
                let n = asm.mesh().nodes();
                let mut all = Assembler::new(
                    asm.mesh().clone(),
                    asm.dofs().clone(),
                    RowRules::balances(n, self.m + 1),
                    terms,
                    false,
                );
                all.assemble(terms, x, r, None);
            } else {
                asm.assemble(terms, x, r, jac);
            }
        });
        self.asm = Some(asm);
    }

    /// Call `f` with the assembler terms of this model (Nernst-Planck and displacement
    /// fluxes, space and fixed charge, patch conditions and Dirichlet rows).
    /// Under the electroneutral and fixed-field closures the potential has no balance: the
    /// displacement flux and the charges are left out.
    pub(super) fn with_terms<R>(&self, f: impl FnOnce(&Terms) -> R) -> R {
        let t = self.terms();
        let poisson = self.closure == Closure::Poisson;
        let flux: [&dyn FluxLaw; 2] = [&t.0, &t.1];
        let vol: [&dyn VolumeTerm; 2] = [&t.2, &t.3];
        let bnd: [&dyn BoundaryTerm; 1] = [&t.4];
        f(&Terms {
            flux: &flux[..if poisson { 2 } else { 1 }],
            volume: if poisson { &vol } else { &[] },
            boundary: &bnd,
            equation: Some(&t.4),
        })
    }

    pub(super) fn asm(&self) -> &Assembler {
        self.asm.as_ref().expect("assembler present")
    }

    /// Initial guess: each species at the mean of its fixed values, the potential at the
    /// mean of the fixed potentials, Dirichlet values in place.
    fn initial_guess(&self) -> Vec<f64> {
        let a = self.asm();
        let dofs = a.dofs();
        let nv = self.m + 1;
        let mut x = vec![0.0; dofs.len()];
        let (conc, pot) = self.bc.means(self.m);
        let means: Vec<f64> = conc
            .into_iter()
            .map(|c| c.unwrap_or(1.0))
            .chain([pot.unwrap_or(0.0)])
            .collect();
        for i in 0..dofs.nodes() {
            for a_ in 0..nv {
                if let Some(d) = dofs.dof(i, a_) {
                    x[d] = self.dirichlet_value(i, a_).unwrap_or(means[a_]);
                }
            }
        }
        x
    }

    /// The given outward flux (scaled) of species `k` through patch face `pf`.
    pub(super) fn given_flux(&self, pf: usize, k: usize) -> f64 {
        self.bc.flux[pf][k]
    }

    /// The fixed potential (scaled) of patch face `pf`, 0 where none is given.
    pub(super) fn patch_potential(&self, pf: usize) -> f64 {
        self.bc.pot[pf].unwrap_or(0.0)
    }

    pub(super) fn dirichlet_value(&self, node: usize, field: usize) -> Option<f64> {
        let nv = self.m + 1;
        self.dirichlet[node * nv + field].map(|pf| {
            if pf == u32::MAX {
                self.phi_given.as_ref().expect("a given potential")[node]
            } else if pf == super::pnp_closure::GAUGE {
                0.0
            } else if field < self.m {
                self.bc.conc[pf as usize][field].expect("a concentration condition")
            } else {
                self.bc.pot[pf as usize].expect("a potential condition")
            }
        })
    }

    /// Solve for the steady state: damped Newton from the cold guess (the flat one, or with
    /// surface or fixed charges the Poisson-Boltzmann equilibrium with the ohmic potential of
    /// the bias, `pnp_equilibrium`), then continuation in the applied conditions if Newton
    /// alone fails (see [`pnp_steady`]).
    pub fn solve_steady(&mut self, progress: &mut dyn Progress) -> Result<PnpSolution, PnpError> {
        self.solve_steady_cold(progress)
    }

    fn solution(
        &mut self,
        x: &[f64],
        newton_iterations: usize,
        continuation: bool,
        solver: &'static str,
    ) -> PnpSolution {
        let m = self.m;
        let nv = m + 1;
        let dofs = self.asm().dofs().clone();
        let n = dofs.nodes();
        let concentration: Vec<Vec<f64>> = (0..m)
            .map(|k| {
                (0..n)
                    .map(|i| dofs.dof(i, k).map_or(f64::NAN, |d| x[d] * self.c0))
                    .collect()
            })
            .collect();
        let potential: Vec<f64> = (0..n)
            .map(|i| x[dofs.dof(i, m).unwrap()] * self.vt)
            .collect();
        // Outward flows: given fluxes on flux patch faces; at Dirichlet nodes minus the raw
        // balance (what the boundary must carry away), attributed to the fixing patch face.
        let mut raw = vec![0.0; dofs.len()];
        self.assemble_into(x, &mut raw, None, true);
        let mesh = self.asm().mesh().clone();
        let flow_scale = self.d0 * self.c0 / self.length * self.area;
        let np = mesh.patches().len();
        let mut flows = vec![vec![0.0; m]; np];
        for (i, pf) in mesh.patch_faces().iter().enumerate() {
            for k in 0..m {
                let node = pf.node as usize;
                if self.dirichlet[node * nv + k] == Some(i as u32) {
                    if let Some(d) = dofs.dof(node, k) {
                        flows[pf.patch as usize][k] -= raw[d] * flow_scale;
                    }
                } else if self.dirichlet[node * nv + k].is_none() && dofs.has(node, k) {
                    flows[pf.patch as usize][k] += self.bc.flux[i][k] * pf.area * flow_scale;
                }
            }
        }
        let patches = mesh
            .patches()
            .iter()
            .zip(flows)
            .map(|(p, f)| PatchFlows {
                name: p.name.clone(),
                current: FARADAY * f.iter().zip(&self.z).map(|(a, z)| a * z).sum::<f64>(),
                species: f,
            })
            .collect();
        PnpSolution {
            concentration,
            potential,
            patches,
            newton_iterations,
            continuation,
            solver,
        }
    }
}

/// The fixed (membrane, wall) charge `-V X / c_0` in the potential's balance, scaled by the
/// continuation parameter.
struct FixedCharge<'a> {
    q: &'a [f64],
    scale: f64,
    phi: usize,
}

impl VolumeTerm for FixedCharge<'_> {
    fn couplings(&self) -> Vec<(usize, usize)> {
        Vec::new()
    }
    fn eval(&self, node: usize, _u: &[f64], out: &mut Local) {
        out.add(self.phi, -self.scale * self.q[node]);
    }
}

/// Patch conditions: given outward fluxes, surface charges, Dirichlet rows.
struct Conditions<'a> {
    model: &'a Pnp,
}

impl BoundaryTerm for Conditions<'_> {
    fn couplings(&self) -> Vec<(usize, usize)> {
        Vec::new()
    }
    fn eval(&self, i: usize, _u: &[f64], out: &mut Local) {
        let md = self.model;
        let area = md.patch_area[i];
        for k in 0..md.m {
            let j = md.bc.flux[i][k];
            if j != 0.0 {
                out.add(k, j * area);
            }
        }
        if md.bc.sigma[i] != 0.0 {
            out.add(md.m, -md.bc.sigma[i] * area);
        }
    }
}

impl NodeEquation for Conditions<'_> {
    fn couplings(&self) -> Vec<(usize, usize)> {
        let m = self.model.m;
        let neutral = self.model.closure == Closure::Electroneutral;
        (0..=m)
            .map(|a| (a, a))
            .chain((0..m).filter(move |_| neutral).map(move |k| (m, k)))
            .collect()
    }
    fn eval(&self, node: usize, field: usize, u: &[f64], d: &mut [f64]) -> f64 {
        let md = self.model;
        match md.dirichlet_value(node, field) {
            Some(v) => {
                d[field] = 1.0;
                u[field] - v
            }
            None => {
                // Electroneutrality (the only algebraic row without a Dirichlet value):
                // sum_k z_k c_k + X = 0, absent species being 0 in `u`.
                debug_assert!(field == md.m && md.closure == Closure::Electroneutral);
                let mut q = md.bc.fixed[0] * md.fixed_volume_charge[node] / md.volume[node];
                for k in 0..md.m {
                    q += md.z[k] * u[k];
                    d[k] = md.z[k];
                }
                q
            }
        }
    }
}

/// Absolute tolerances of Newton's update test: scaled concentrations (`c/c_0`) and the
/// scaled potential (`phi/V_T`).
const ATOL_CONCENTRATION: f64 = 1e-14;
const ATOL_POTENTIAL: f64 = 1e-10;

impl NonlinearSystem for Pnp {
    fn dim(&self) -> usize {
        self.asm().dofs().len()
    }
    fn structure(&self) -> Structure {
        self.asm().structure()
    }
    fn residual(&mut self, x: &[f64], r: &mut [f64]) {
        self.assemble_into(x, r, None, false);
    }
    fn jacobian(&mut self, x: &[f64], jac: &mut dyn MatrixSink, r: &mut [f64]) {
        self.assemble_into(x, r, Some(jac), false);
    }
    fn atol(&self, i: usize) -> f64 {
        let (_, a) = self.asm().dofs().locate(i);
        if a < self.m {
            ATOL_CONCENTRATION
        } else {
            ATOL_POTENTIAL
        }
    }
    fn update_norm(&self, x: &[f64], v: &[f64], rtol: f64) -> (f64, usize) {
        // `weighted_norm` node by node: the same comparisons in the same order (unknowns
        // are numbered node by node, fields in order), the tolerance known from the field.
        let dofs = self.asm().dofs();
        if dofs.is_full() {
            let mut atol = [ATOL_POTENTIAL; 64];
            atol[..self.m].fill(ATOL_CONCENTRATION);
            return crate::solve::periodic_weighted_norm(x, v, rtol, &atol[..=self.m]);
        }
        let mut worst = (0.0, 0);
        for node in 0..dofs.nodes() {
            for a in 0..=self.m {
                let Some(i) = dofs.dof(node, a) else { continue };
                let atol = if a < self.m {
                    ATOL_CONCENTRATION
                } else {
                    ATOL_POTENTIAL
                };
                let w = v[i].abs() / (rtol * x[i].abs() + atol);
                if w > worst.0 || w.is_nan() {
                    worst = (w, i);
                    if w.is_nan() {
                        return worst;
                    }
                }
            }
        }
        worst
    }
    fn limit_step(&self, x: &[f64], dx: &mut [f64]) {
        let dofs = self.asm().dofs();
        for i in 0..dofs.nodes() {
            for k in 0..self.m {
                if let Some(d) = dofs.dof(i, k) {
                    if x[d] > 0.0 && dx[d] < -0.95 * x[d] {
                        dx[d] = -0.95 * x[d];
                    }
                }
            }
        }
    }
}

impl Homotopy for Pnp {
    fn set_lambda(&mut self, lambda: f64) {
        Pnp::set_lambda(self, lambda);
    }
}

#[path = "pnp_equilibrium.rs"]
mod pnp_equilibrium;

#[path = "pnp_steady.rs"]
pub mod pnp_steady;
pub use pnp_steady::{unreferenced_charged_species, SteadySolver, SteadyStats};

#[cfg(test)]
#[path = "pnp_tests.rs"]
mod tests;
