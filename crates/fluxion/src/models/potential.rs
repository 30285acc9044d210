//! Electrostatics and magnetostatics by a scalar potential on any [`Mesh`].
//!
//! # Equations
//!
//! Both are `div(k grad u) = -s` for a scalar potential with a fixed "polarization" vector:
//!
//! ```text
//! electrostatics:  D = eps0 eps_r E + P,   E = -grad phi,    div D = rho        (free charge)
//! magnetostatics:  B = mu0 mu_r H + mu0 M, H = -grad Phi_M,  div B = 0          (J_free = 0)
//! ```
//!
//! with the relative permittivity `eps_r` (permeability `mu_r`), a fixed polarization `P`
//! (magnetization `M`) and the free charge density `rho` per region, surface charges `sigma`
//! on patches (boundaries and interfaces), potentials on patches and conductors (regions
//! held at a potential, or isolated conductors carrying a given charge at the potential it
//! requires, found by superposition: [`RegionMaterial::ChargedConductor`]). The magnetic scalar potential exists only where the free current
//! vanishes (`curl H = J_free`); a region carrying current cannot be modelled this way.
//!
//! # Discretization
//!
//! Two-point fluxes on the mesh's faces: on a face segment of area `a` whose edge of length
//! `d` passes through regions `r` with fractions `theta_r`, the normal flux density is
//! constant along the edge (a flux tube), so
//!
//! ```text
//! D_n / eps0 = [ (u_K - u_L)/d + sum_r theta_r P_r.n / (eps0 eps_r) ] / sum_r theta_r / eps_r
//! ```
//!
//! (harmonic along the edge, exact for a layered medium; with one region it is
//! `eps_r (u_K - u_L)/d + P.n/eps0`). The equation is scaled by `eps0` (`mu0`). Conductors
//! have `eps_r = infinity` along their part of an edge, so the potential `V` of a conductor
//! is reached where the edge enters it: a curved electrode is not a staircase.

use crate::assembly::{
    Assembler, BoundaryTerm, DofMap, FaceFlux, FluxLaw, Local, NodeEquation, RowRule, RowRules,
    Terms, VolumeTerm,
};
use crate::constants::{VACUUM_PERMEABILITY, VACUUM_PERMITTIVITY};
use crate::mesh::Mesh;
use crate::solve::{make_solver, LinearError, SolverChoice};
use std::sync::Arc;

/// Which potential.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FieldKind {
    /// Electric potential `phi` (V); coefficient `eps_r`, source `rho` (C/m^3), `P` (C/m^2).
    Electric,
    /// Magnetic scalar potential `Phi_M` (A); coefficient `mu_r`, `M` (A/m), no sources.
    Magnetic,
}

impl FieldKind {
    /// `eps0` or `mu0`.
    pub fn vacuum_constant(self) -> f64 {
        match self {
            FieldKind::Electric => VACUUM_PERMITTIVITY,
            FieldKind::Magnetic => VACUUM_PERMEABILITY,
        }
    }
}

/// What fills a region.
#[derive(Clone, Copy, Debug, PartialEq)]
#[non_exhaustive]
pub enum RegionMaterial {
    /// A linear medium.
    Medium {
        /// Relative permittivity (permeability), `>= 1` for ordinary matter.
        relative: f64,
        /// Free charge density, C/m^3 (electrostatics only).
        charge_density: f64,
        /// Fixed polarization `P` (C/m^2) or magnetization `M` (A/m).
        polarization: [f64; 3],
    },
    /// A conductor held at a potential (V; magnetostatics: a region of infinite
    /// permeability at a magnetic potential, A).
    Conductor {
        /// Its potential.
        potential: f64,
    },
    /// An isolated conductor carrying a given total charge (C; magnetostatics: a pole of
    /// infinite permeability carrying a given flux, Wb) at the uniform potential this
    /// charge requires. Solved by superposition: the problem is linear, so with
    /// `u = u_0 + sum_j V_j u_j` (`u_0`: every such conductor at 0; `u_j`: conductor `j`
    /// at 1, every other fixed potential and every source 0) the charges are
    /// `Q_k = Q0_k + sum_j C_kj V_j` with the capacitance coefficients `C_kj`, and the
    /// potentials `V` solve `C V = Q - Q0` (Jackson, Classical Electrodynamics, 3rd ed.,
    /// sec. 1.13). Needs a potential fixed elsewhere (a patch or a conductor at a
    /// potential): an isolated system's potential is otherwise undetermined.
    ChargedConductor {
        /// Its total charge.
        charge: f64,
    },
}

impl RegionMaterial {
    /// Vacuum (or air): relative coefficient 1, no sources.
    pub const VACUUM: RegionMaterial = RegionMaterial::Medium {
        relative: 1.0,
        charge_density: 0.0,
        polarization: [0.0; 3],
    };
}

/// A condition on a patch.
#[derive(Clone, Copy, Debug, PartialEq)]
#[non_exhaustive]
pub enum PatchCondition {
    /// Zero normal flux (an insulating wall, a symmetry plane, the axis).
    Natural,
    /// A fixed potential.
    Potential(f64),
    /// A surface charge density, C/m^2 (on a boundary: the charge on the wall; on an
    /// interface: a charged sheet, which makes `D_n` jump by `sigma`).
    SurfaceCharge(f64),
    /// A potential given node by node, `u_i = PotentialProblem::node_potential[i]` on every
    /// node of the patch (e.g. the exact exterior solution of an inclusion in a uniform
    /// field on a finite outer boundary); its flux is reported like that of a
    /// [`PatchCondition::Potential`] patch.
    NodePotential,
}

/// A complete static-field problem.
#[derive(Clone, Debug)]
pub struct PotentialProblem {
    /// Electric or magnetic.
    pub kind: FieldKind,
    /// The mesh.
    pub mesh: Arc<Mesh>,
    /// One material per mesh region.
    pub materials: Vec<RegionMaterial>,
    /// One condition per mesh patch.
    pub patches: Vec<PatchCondition>,
    /// The node values of [`PatchCondition::NodePotential`] patches: empty when there are
    /// none, else one value per mesh node (read only on the nodes of those patches).
    pub node_potential: Vec<f64>,
    /// Linear solver.
    pub solver: SolverChoice,
}

/// A problem that cannot be posed.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum PotentialError {
    /// Inconsistent sizes or a bad value, with what to change.
    #[error("{0}")]
    Invalid(String),
    /// The potential is not fixed anywhere and the total charge is not zero, or it is
    /// fixed nowhere at all.
    #[error("{0}")]
    Underdetermined(String),
    /// The linear solve failed.
    #[error("the linear solve failed: {0}")]
    Linear(#[from] LinearError),
}

/// Flux of a potential field through a patch or out of a conductor.
#[derive(Clone, Debug, PartialEq)]
pub struct PatchFlux {
    /// Patch or region name.
    pub name: String,
    /// For a patch: the outward flux of `D` (C) or `B` (Wb) through its faces (on a patch
    /// at a fixed potential, i.e. an electrode wall, minus the charge induced on it). For a
    /// conductor region: the charge on it (the flux of `D` out of it), C (Wb).
    pub flux: f64,
}

/// A conductor region of the solution.
#[derive(Clone, Debug, PartialEq)]
pub struct ConductorReport {
    /// Region name.
    pub name: String,
    /// Its potential, V (A): given, or solved for a [`RegionMaterial::ChargedConductor`].
    pub potential: f64,
    /// The charge on it (the flux of `D` out of it), C (Wb): solved, or given.
    pub charge: f64,
}

/// The solution.
#[derive(Clone, Debug)]
pub struct PotentialSolution {
    /// Potential at every node, V (A for the magnetic scalar potential).
    pub potential: Vec<f64>,
    /// `E = -grad phi` (V/m) or `H = -grad Phi_M` (A/m) at every node (see
    /// [`node_gradient`]).
    pub field: Vec<[f64; 3]>,
    /// Energy `(1/2) sum_faces k T (u_K - u_L)^2` times the vacuum constant, J (per metre of
    /// depth in 2D Cartesian): `(1/2) int E.D dV` of the discrete field, without fixed
    /// polarization terms.
    pub energy: f64,
    /// Potential and charge (C) or magnetic flux (Wb) of every conductor region.
    pub conductors: Vec<ConductorReport>,
    /// Outward flux through every patch (for patches at a potential: the induced charge).
    pub patches: Vec<PatchFlux>,
    /// Name of the linear solver used.
    pub solver: &'static str,
}

/// Most conductors with a given charge in one problem (each costs a solve).
const MAX_CHARGED: usize = 16;

/// Solve the small dense system `a x = b` (`a` row-major `n x n`, overwritten) by Gaussian
/// elimination with partial pivoting; `None` if it is singular to working precision.
fn solve_dense(a: &mut [f64], mut b: Vec<f64>) -> Option<Vec<f64>> {
    let n = b.len();
    let norm = a.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    for c in 0..n {
        let piv = (c..n).max_by(|&i, &j| a[i * n + c].abs().total_cmp(&a[j * n + c].abs()))?;
        if a[piv * n + c].abs() <= 1e-12 * norm || a[piv * n + c].is_nan() {
            return None;
        }
        if piv != c {
            for k in 0..n {
                a.swap(c * n + k, piv * n + k);
            }
            b.swap(c, piv);
        }
        for i in c + 1..n {
            let f = a[i * n + c] / a[c * n + c];
            for k in c..n {
                a[i * n + k] -= f * a[c * n + k];
            }
            b[i] -= f * b[c];
        }
    }
    for c in (0..n).rev() {
        let s: f64 = (c + 1..n).map(|k| a[c * n + k] * b[k]).sum();
        b[c] = (b[c] - s) / a[c * n + c];
    }
    Some(b)
}

/// Large relative coefficient standing in for a conductor (`eps_r = infinity`).
const CONDUCTOR: f64 = 1e12;

/// Segment-integrated face coefficients: `(T, S)` with the flow `T (u_K - u_L) + S`.
fn face_coefficients(
    mesh: &Mesh,
    f: usize,
    material: &[RegionMaterial],
    polarization_scale: f64,
) -> (f64, f64) {
    let d = mesh.face_distance(f);
    let n = mesh.face_direction(f);
    let (mut t, mut s) = (0.0, 0.0);
    for (a, parts) in mesh.face_segments(f) {
        let (mut resist, mut pol) = (0.0, 0.0);
        for &(r, theta) in parts {
            match material[r as usize] {
                RegionMaterial::Medium {
                    relative,
                    polarization,
                    ..
                } => {
                    resist += theta / relative;
                    let pn =
                        polarization[0] * n[0] + polarization[1] * n[1] + polarization[2] * n[2];
                    pol += theta * pn / (polarization_scale * relative);
                }
                RegionMaterial::Conductor { .. } | RegionMaterial::ChargedConductor { .. } => {
                    resist += theta / CONDUCTOR
                }
            }
        }
        if resist > 0.0 {
            t += a / (d * resist);
            // Flow from K to L: D_n along n = (x_L - x_K)/d.
            s += a * pol / resist;
        }
    }
    (t, s)
}

/// Binds `$terms` to the [`Terms`] of the potential equation: face fluxes with
/// transmissibilities `t` and sources `s`, volume charge `q`, sheet charges `sheet` and the
/// fixed values `fixed` (NaN where the potential is free). The term objects live in the
/// caller's scope (hygienic names), as long as `$terms`.
macro_rules! potential_terms {
    ($terms:ident = $t:expr, $s:expr, $q:expr, $sheet:expr, $fixed:expr) => {
        let flux = Flux { t: $t, s: $s };
        let charge = Charge { q: $q };
        let sheets = Sheets { q: $sheet };
        let eq = Fixed { value: $fixed };
        let fl: [&dyn FluxLaw; 1] = [&flux];
        let vl: [&dyn VolumeTerm; 1] = [&charge];
        let bl: [&dyn BoundaryTerm; 1] = [&sheets];
        let $terms = Terms {
            flux: &fl,
            volume: &vl,
            boundary: &bl,
            equation: Some(&eq),
        };
    };
}

struct Flux<'a> {
    t: &'a [f64],
    s: &'a [f64],
}

impl FluxLaw for Flux<'_> {
    fn couplings(&self) -> Vec<(usize, usize)> {
        vec![(0, 0)]
    }
    #[inline]
    fn flux(&self, f: usize, _n: [usize; 2], uk: &[f64], ul: &[f64], out: &mut FaceFlux) {
        out.add(0, self.t[f] * (uk[0] - ul[0]) + self.s[f]);
        out.add_dk(0, 0, self.t[f]);
        out.add_dl(0, 0, -self.t[f]);
    }
}

/// Fixed free charge `-sum_r V_r rho_r / eps0`.
struct Charge<'a> {
    q: &'a [f64],
}

impl VolumeTerm for Charge<'_> {
    fn couplings(&self) -> Vec<(usize, usize)> {
        Vec::new()
    }
    fn eval(&self, node: usize, _u: &[f64], out: &mut Local) {
        out.add(0, -self.q[node]);
    }
}

/// Surface charges `-sigma A / eps0` on patch faces.
struct Sheets<'a> {
    q: &'a [f64],
}

impl BoundaryTerm for Sheets<'_> {
    fn couplings(&self) -> Vec<(usize, usize)> {
        Vec::new()
    }
    fn eval(&self, i: usize, _u: &[f64], out: &mut Local) {
        out.add(0, -self.q[i]);
    }
}

/// `u = fixed[node]` on algebraic rows.
struct Fixed<'a> {
    value: &'a [f64],
}

impl NodeEquation for Fixed<'_> {
    fn couplings(&self) -> Vec<(usize, usize)> {
        vec![(0, 0)]
    }
    fn eval(&self, node: usize, _f: usize, u: &[f64], d: &mut [f64]) -> f64 {
        d[0] = 1.0;
        u[0] - self.value[node]
    }
}

/// Validate and solve a static-field problem (a single linear solve plus one step of
/// iterative refinement).
pub fn solve_potential(p: &PotentialProblem) -> Result<PotentialSolution, PotentialError> {
    let mesh = &*p.mesh;
    let invalid = |s: String| Err(PotentialError::Invalid(s));
    if p.materials.len() != mesh.regions().len() {
        return invalid(format!(
            "{} materials for {} mesh regions",
            p.materials.len(),
            mesh.regions().len()
        ));
    }
    if p.patches.len() != mesh.patches().len() {
        return invalid(format!(
            "{} patch conditions for {} patches",
            p.patches.len(),
            mesh.patches().len()
        ));
    }
    for (r, m) in p.materials.iter().enumerate() {
        let name = &mesh.regions()[r];
        match *m {
            RegionMaterial::Medium {
                relative,
                charge_density,
                polarization,
            } => {
                if !(relative > 0.0 && relative.is_finite()) {
                    return invalid(format!("region {name}: relative coefficient {relative} must be positive and finite"));
                }
                if !charge_density.is_finite() || polarization.iter().any(|v| !v.is_finite()) {
                    return invalid(format!(
                        "region {name}: charge density and polarization must be finite"
                    ));
                }
                if p.kind == FieldKind::Magnetic && charge_density != 0.0 {
                    return invalid(format!("region {name}: a magnetic scalar potential has no free sources (div B = 0); remove charge_density"));
                }
            }
            RegionMaterial::Conductor { potential } if !potential.is_finite() => {
                return invalid(format!(
                    "region {name}: conductor potential {potential} must be finite"
                ));
            }
            RegionMaterial::ChargedConductor { charge } if !charge.is_finite() => {
                return invalid(format!(
                    "region {name}: conductor charge {charge} must be finite"
                ));
            }
            _ => {}
        }
    }
    let scale = p.kind.vacuum_constant();
    let n = mesh.nodes();
    // Nodes with a fixed potential: conductor parts, then patches at a potential. Charged
    // conductors start at 0 (the superposition below sets their potentials).
    let mut fixed = vec![f64::NAN; n];
    let mut owner = vec![u32::MAX; n];
    for i in 0..n {
        for (r, v) in mesh.volume_parts(i) {
            let value = match p.materials[r as usize] {
                RegionMaterial::Conductor { potential } => potential,
                RegionMaterial::ChargedConductor { .. } => 0.0,
                RegionMaterial::Medium { .. } => continue,
            };
            if v > 0.0 {
                fixed[i] = value;
                owner[i] = r as u32;
            }
        }
    }
    // Charged conductors (region, given charge), at most MAX_CHARGED of them.
    let charged: Vec<(u32, f64)> = p
        .materials
        .iter()
        .enumerate()
        .filter_map(|(r, m)| match *m {
            RegionMaterial::ChargedConductor { charge } => Some((r as u32, charge)),
            _ => None,
        })
        .collect();
    if charged.len() > MAX_CHARGED {
        return invalid(format!(
            "{} conductors with a given charge: at most {MAX_CHARGED} are supported (each costs a solve)",
            charged.len()
        ));
    }
    for &(r, _) in &charged {
        if !owner.contains(&r) {
            return invalid(format!(
                "region {}: the charged conductor covers no mesh node: refine the mesh or enlarge the region",
                mesh.regions()[r as usize]
            ));
        }
    }
    let node_patch = p
        .patches
        .iter()
        .any(|c| matches!(c, PatchCondition::NodePotential));
    if node_patch && p.node_potential.len() != n {
        return invalid(format!(
            "{} node potentials for {n} nodes: a NodePotential patch needs one value per node",
            p.node_potential.len()
        ));
    }
    for pf in mesh.patch_faces() {
        if let PatchCondition::NodePotential = p.patches[pf.patch as usize] {
            let i = pf.node as usize;
            let v = p.node_potential[i];
            if !v.is_finite() {
                return invalid(format!(
                    "patch {}: node {i} has potential {v}, which must be finite",
                    mesh.patches()[pf.patch as usize].name
                ));
            }
            if fixed[i].is_nan() {
                fixed[i] = v;
            }
        }
        if let PatchCondition::Potential(v) = p.patches[pf.patch as usize] {
            if !v.is_finite() {
                return invalid(format!(
                    "patch {}: potential {v} must be finite",
                    mesh.patches()[pf.patch as usize].name
                ));
            }
            let i = pf.node as usize;
            if fixed[i].is_nan() {
                fixed[i] = v;
            }
        }
    }
    let is_charged = |i: usize| owner[i] != u32::MAX && charged.iter().any(|c| c.0 == owner[i]);
    let any_fixed = (0..n).any(|i| !fixed[i].is_nan() && !is_charged(i));
    if !any_fixed {
        return Err(PotentialError::Underdetermined(if charged.is_empty() {
            "the potential is fixed nowhere: give a patch a potential (e.g. the outer boundary at 0 V) or add a conductor".into()
        } else {
            "the potential is fixed nowhere but on conductors with a given charge, whose potentials are then undetermined: give a patch a potential (e.g. the outer boundary at 0 V) or hold a conductor at a potential".into()
        }));
    }
    let mut t = Vec::with_capacity(mesh.faces());
    let mut s = Vec::with_capacity(mesh.faces());
    for f in 0..mesh.faces() {
        // D/eps0 = eps_r E + P/eps0;  B/mu0 = mu_r H + M.
        let pscale = match p.kind {
            FieldKind::Electric => scale,
            FieldKind::Magnetic => 1.0,
        };
        let (tf, sf) = face_coefficients(mesh, f, &p.materials, pscale);
        t.push(tf);
        s.push(sf);
    }
    let q: Vec<f64> = (0..n)
        .map(|i| {
            mesh.volume_integral(i, |r| match p.materials[r as usize] {
                RegionMaterial::Medium { charge_density, .. } => Some(charge_density / scale),
                RegionMaterial::Conductor { .. } | RegionMaterial::ChargedConductor { .. } => None,
            })
        })
        .collect();
    let sheet: Vec<f64> = mesh
        .patch_faces()
        .iter()
        .map(|pf| match p.patches[pf.patch as usize] {
            PatchCondition::SurfaceCharge(sig) => sig * pf.area / scale,
            _ => 0.0,
        })
        .collect();
    if let Some(PatchCondition::SurfaceCharge(sig)) = p
        .patches
        .iter()
        .find(|c| matches!(c, PatchCondition::SurfaceCharge(v) if !v.is_finite()))
    {
        return invalid(format!("surface charge {sig} must be finite"));
    }
    potential_terms!(terms = &t, &s, &q, &sheet, &fixed);
    let class: Vec<u16> = fixed.iter().map(|v| u16::from(!v.is_nan())).collect();
    let rules = RowRules::new(
        vec![vec![RowRule::Balance], vec![RowRule::Algebraic]],
        class,
    );
    let dofs = DofMap::full(n, 1).map_err(|e| PotentialError::Invalid(e.to_string()))?;
    let banded = mesh.dim() == 1;
    let mut asm = Assembler::new(p.mesh.clone(), dofs, rules, &terms, banded);
    let mut solver = make_solver(&asm.structure(), p.solver)?;
    let mut u: Vec<f64> = fixed
        .iter()
        .map(|v| if v.is_nan() { 0.0 } else { *v })
        .collect();
    let mut r = vec![0.0; n];
    solver.matrix().clear();
    asm.assemble(&terms, &u, &mut r, Some(solver.matrix()));
    solver.factor()?;
    // The Jacobian does not depend on the fixed values or the sources: every solve below
    // reuses this factorization (a linear solve plus two steps of iterative refinement).
    // `refine` assembles the residual of `terms` at `u` first.
    let mut refine = |terms: &Terms, u: &mut [f64], r: &mut [f64]| -> Result<(), LinearError> {
        asm.assemble(terms, u, r, None);
        for _ in 0..2 {
            solver.solve(r)?;
            for (ui, ri) in u.iter_mut().zip(r.iter()) {
                *ui -= ri;
            }
            asm.assemble(terms, u, r, None);
        }
        Ok(())
    };
    refine(&terms, &mut u, &mut r)?;
    if !charged.is_empty() {
        // Superposition (see RegionMaterial::ChargedConductor): unit solves without sources.
        let bal = RowRules::balances(n, 1);
        let mut raw_asm = Assembler::new(
            p.mesh.clone(),
            DofMap::full(n, 1).expect("checked above"),
            bal,
            &terms,
            banded,
        );
        let mut raw = vec![0.0; n];
        let charge_on = |raw: &[f64], region: u32| -> f64 {
            scale
                * (0..n)
                    .filter(|&i| owner[i] == region)
                    .map(|i| raw[i])
                    .sum::<f64>()
        };
        raw_asm.assemble(&terms, &u, &mut raw, None);
        let q0: Vec<f64> = charged.iter().map(|c| charge_on(&raw, c.0)).collect();
        let zero_s = vec![0.0; s.len()];
        let zero_q = vec![0.0; n];
        let zero_sheet = vec![0.0; sheet.len()];
        let nc = charged.len();
        let mut cap = vec![0.0; nc * nc];
        let mut units = Vec::with_capacity(nc);
        for (j, &(rj, _)) in charged.iter().enumerate() {
            let unit_fixed: Vec<f64> = (0..n)
                .map(|i| match (fixed[i].is_nan(), owner[i] == rj) {
                    (true, _) => f64::NAN,
                    (false, true) => 1.0,
                    (false, false) => 0.0,
                })
                .collect();
            potential_terms!(unit_terms = &t, &zero_s, &zero_q, &zero_sheet, &unit_fixed);
            let mut uj: Vec<f64> = unit_fixed
                .iter()
                .map(|v| if v.is_nan() { 0.0 } else { *v })
                .collect();
            refine(&unit_terms, &mut uj, &mut r)?;
            raw_asm.assemble(&unit_terms, &uj, &mut raw, None);
            for (k, &(rk, _)) in charged.iter().enumerate() {
                cap[k * nc + j] = charge_on(&raw, rk);
            }
            units.push(uj);
        }
        let rhs: Vec<f64> = charged.iter().zip(&q0).map(|(c, q0)| c.1 - q0).collect();
        let v = solve_dense(&mut cap, rhs).ok_or_else(|| {
            PotentialError::Underdetermined(
                "the capacitance matrix of the conductors with a given charge is singular: a charged conductor must face a conductor or patch at a fixed potential".into(),
            )
        })?;
        let mut held = fixed.clone();
        for (j, &(rj, _)) in charged.iter().enumerate() {
            for i in 0..n {
                u[i] += v[j] * units[j][i];
                if owner[i] == rj {
                    held[i] = v[j];
                }
            }
        }
        // The final state with these potentials, refined once more with every source.
        let eq = Fixed { value: &held };
        let terms = Terms {
            equation: Some(&eq),
            ..terms
        };
        refine(&terms, &mut u, &mut r)?;
    }
    // Post-processing: raw balances (every row a balance) give the charge on fixed nodes.
    let bal = RowRules::balances(n, 1);
    let mut raw_asm = Assembler::new(
        p.mesh.clone(),
        DofMap::full(n, 1).expect("checked above"),
        bal,
        &terms,
        banded,
    );
    let mut raw = vec![0.0; n];
    raw_asm.assemble(&terms, &u, &mut raw, None);
    let conductors = mesh
        .regions()
        .iter()
        .enumerate()
        .filter(|(r, _)| {
            matches!(
                p.materials[*r],
                RegionMaterial::Conductor { .. } | RegionMaterial::ChargedConductor { .. }
            )
        })
        .map(|(r, name)| {
            let nodes = || (0..n).filter(|&i| owner[i] == r as u32);
            let count = nodes().count().max(1) as f64;
            ConductorReport {
                name: name.clone(),
                potential: nodes().map(|i| u[i]).sum::<f64>() / count,
                charge: scale * nodes().map(|i| raw[i]).sum::<f64>(),
            }
        })
        .collect();
    let mut patch_flux = vec![0.0; mesh.patches().len()];
    let mut counted = vec![false; n];
    for pf in mesh.patch_faces() {
        let i = pf.node as usize;
        match p.patches[pf.patch as usize] {
            PatchCondition::Potential(_) | PatchCondition::NodePotential
                if owner[i] == u32::MAX && !counted[i] =>
            {
                // The induced charge on the patch: the balance its nodes cannot close.
                counted[i] = true;
                patch_flux[pf.patch as usize] -= scale * raw[i];
            }
            PatchCondition::SurfaceCharge(sig) => patch_flux[pf.patch as usize] += sig * pf.area,
            _ => {}
        }
    }
    let patches = mesh
        .patches()
        .iter()
        .zip(patch_flux)
        .map(|(pt, flux)| PatchFlux {
            name: pt.name.clone(),
            flux,
        })
        .collect();
    let energy = 0.5
        * scale
        * (0..mesh.faces())
            .map(|f| {
                let [a, b] = mesh.face_nodes(f);
                t[f] * (u[a] - u[b]).powi(2)
            })
            .sum::<f64>();
    let field = node_gradient(mesh, &u)
        .into_iter()
        .map(|g| [-g[0], -g[1], -g[2]])
        .collect();
    Ok(PotentialSolution {
        potential: u,
        field,
        energy,
        conductors,
        patches,
        solver: solver.name(),
    })
}

/// Gradient of a node field: on tensor meshes central differences along each axis (one-sided
/// at the ends), elsewhere a least-squares fit over the face neighbours.
pub fn node_gradient(mesh: &Mesh, u: &[f64]) -> Vec<[f64; 3]> {
    let n = mesh.nodes();
    let mut g = vec![[0.0; 3]; n];
    for i in 0..n {
        // Least squares over neighbours: minimize sum_j w_j (u_j - u_i - g.(x_j - x_i))^2,
        // per axis when the neighbours are axis-aligned (tensor meshes): then it is the
        // (non-uniform) central difference.
        let xi = mesh.position(i);
        let mut ata = [[0.0; 3]; 3];
        let mut atb = [0.0; 3];
        for f in mesh.node_faces(i) {
            let [a, b] = mesh.face_nodes(f);
            let j = if a == i { b } else { a };
            let xj = mesh.position(j);
            let d = [xj[0] - xi[0], xj[1] - xi[1], xj[2] - xi[2]];
            let w = 1.0 / (d[0] * d[0] + d[1] * d[1] + d[2] * d[2]);
            for p in 0..3 {
                for q in 0..3 {
                    ata[p][q] += w * d[p] * d[q];
                }
                atb[p] += w * d[p] * (u[j] - u[i]);
            }
        }
        for p in 0..3 {
            if ata[p][p] == 0.0 {
                ata[p][p] = 1.0;
            }
        }
        g[i] = solve3(ata, atb);
    }
    g
}

fn solve3(a: [[f64; 3]; 3], b: [f64; 3]) -> [f64; 3] {
    let det = |m: [[f64; 3]; 3]| {
        m[0][0] * (m[1][1] * m[2][2] - m[1][2] * m[2][1])
            - m[0][1] * (m[1][0] * m[2][2] - m[1][2] * m[2][0])
            + m[0][2] * (m[1][0] * m[2][1] - m[1][1] * m[2][0])
    };
    let d = det(a);
    if d == 0.0 || !d.is_finite() {
        return [0.0; 3];
    }
    let mut out = [0.0; 3];
    for (c, o) in out.iter_mut().enumerate() {
        let mut m = a;
        for r in 0..3 {
            m[r][c] = b[r];
        }
        *o = det(m) / d;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::constants::{AVOGADRO, ELEMENTARY_CHARGE};
    use crate::mesh::{Geometry, Grid, Spacing};
    use std::f64::consts::PI;

    fn sphere_problem(a: f64, r_out: f64, n: usize, eps: f64, q: f64) -> PotentialProblem {
        let grid = Grid::new(Geometry::Spherical, a, r_out - a, n, Spacing::Uniform).unwrap();
        PotentialProblem {
            kind: FieldKind::Electric,
            mesh: Arc::new(Mesh::from_grid(&grid)),
            materials: vec![RegionMaterial::Medium {
                relative: eps,
                charge_density: 0.0,
                polarization: [0.0; 3],
            }],
            patches: vec![
                PatchCondition::SurfaceCharge(q / (4.0 * PI * a * a)),
                PatchCondition::Potential(q / (4.0 * PI * VACUUM_PERMITTIVITY * eps * r_out)),
            ],
            node_potential: vec![],
            solver: SolverChoice::Auto,
        }
    }

    /// Born solvation energy of an ion of radius 3 Angstrom at 298.15 K (eps 1 inside, 78.5
    /// outside): `dG = -(e^2 N_A / (8 pi eps0 a)) (1 - 1/eps)` = -228.6 kJ/mol (Born,
    /// Z. Phys. 1, 45 (1920); Atkins, Physical Chemistry). The field energy outside r = a of
    /// a charge e on the sphere, with the exact potential at the outer radius R and the
    /// exterior energy `e^2/(8 pi eps0 eps R)` added, in water minus in vacuum; second order
    /// under refinement.
    #[test]
    fn born_solvation_energy_of_a_3_angstrom_ion() {
        let (a, r_out, q) = (3e-10, 3e-9, ELEMENTARY_CHARGE);
        let exact = -(q * q * AVOGADRO / (8.0 * PI * VACUUM_PERMITTIVITY * a)) * (1.0 - 1.0 / 78.5);
        assert!((exact / 1e3 + 228.6).abs() < 0.05, "{exact}");
        let mut errs = vec![];
        for n in [41, 81, 161] {
            let w = |eps: f64| {
                let s = solve_potential(&sphere_problem(a, r_out, n, eps, q)).unwrap();
                // Charge on the inner patch: minus its outward flux.
                assert!((s.patches[0].flux - q).abs() < 1e-12 * q);
                s.energy + q * q / (8.0 * PI * VACUUM_PERMITTIVITY * eps * r_out)
            };
            let dg = (w(78.5) - w(1.0)) * AVOGADRO;
            errs.push(((dg - exact) / exact).abs());
        }
        assert!(errs[2] < 2e-3, "{errs:?}");
        let order = (errs[1] / errs[2]).log2();
        assert!(order > 1.8, "order {order}, {errs:?}");
    }

    /// Coulomb field of the charged sphere: `E = Q/(4 pi eps0 eps r^2)` at every node.
    #[test]
    fn coulomb_field_outside_a_charged_sphere() {
        let (a, r_out, q) = (1e-9, 1e-8, 1e-19);
        let s = solve_potential(&sphere_problem(a, r_out, 201, 2.0, q)).unwrap();
        let grid = Grid::new(Geometry::Spherical, a, r_out - a, 201, Spacing::Uniform).unwrap();
        for i in 1..200 {
            let r = grid.radius(i);
            let phi = q / (4.0 * PI * VACUUM_PERMITTIVITY * 2.0 * r);
            assert!((s.potential[i] - phi).abs() < 1e-3 * phi, "node {i}");
            let e = q / (4.0 * PI * VACUUM_PERMITTIVITY * 2.0 * r * r);
            assert!(
                (s.field[i][0] - e).abs() < 2e-3 * e,
                "node {i}: {} vs {e}",
                s.field[i][0]
            );
        }
    }

    #[test]
    fn a_potential_fixed_nowhere_is_refused() {
        let mut p = sphere_problem(1e-9, 1e-8, 11, 1.0, 1e-19);
        p.patches[1] = PatchCondition::Natural;
        let e = solve_potential(&p).unwrap_err();
        assert!(e.to_string().contains("fixed nowhere"), "{e}");
        let mut p = sphere_problem(1e-9, 1e-8, 11, 1.0, 1e-19);
        p.materials[0] = RegionMaterial::Medium {
            relative: -1.0,
            charge_density: 0.0,
            polarization: [0.0; 3],
        };
        assert!(solve_potential(&p).unwrap_err().to_string().contains("-1"));
    }
}
