//! The electroneutral and fixed-field closures of [`super::pnp::Pnp`] on general meshes.
//!
//! - Fixed field without a given potential: the Laplace solution
//!   `div(eps_r grad phi) = 0` with the patch potentials fixed and zero normal field on
//!   every other patch (in 1D with one medium: the linear profile of the 1D `fixed_field`
//!   closure).
//! - Electroneutral: the checks of the 1D model carried to patches (a fixed potential only
//!   where every charged species has a fixed concentration, no surface charges, charged
//!   species present at every node) and the row rule of each node's potential.
//! - Electroneutral gauge: when no patch fixes the potential (a junction at open circuit, a
//!   cell with imposed fluxes or blocking walls only), the potential is determined only up
//!   to a constant; one node's potential row becomes `phi = 0` ([`GAUGE`], [`gauge_node`]).

use super::electrodiffusion::terms::{FaceTable, PoissonFlux};
use super::pnp::{PnpError, PnpProblem, PotentialCondition, SpeciesCondition};
use crate::assembly::{Assembler, DofMap, FluxLaw, NodeEquation, RowRule, RowRules, Terms};
use crate::mesh::Mesh;
use crate::solve::{
    newton, MatrixSink, NewtonOptions, NewtonWorkspace, NonlinearSystem, SolverChoice, Structure,
};
use std::sync::Arc;

/// Marker in the Dirichlet table of [`super::pnp::Pnp`]: this node's potential row is the
/// gauge `phi = 0` of an electroneutral problem in which no patch fixes the potential.
pub(super) const GAUGE: u32 = u32::MAX - 1;

/// The node whose potential row becomes the gauge `phi = 0` under the electroneutral
/// closure when no patch fixes the potential: the first node whose potential row would be
/// the charge balance `sum_k z_k (balance of k) = 0` (a patch where every charged species
/// is fixed), else node 0.
///
/// Why that row: summed over the nodes, `sum_k z_k (balance of k)` is the net current
/// through the patches, so with every species' flux given or held by a charge-balance row
/// the charge-balance rows and the interior balances are linearly dependent (one of them is
/// implied by the others when the imposed fluxes carry no net current), while `phi` enters
/// only through its differences: replacing one charge-balance row by `phi = 0` removes the
/// redundancy and fixes the constant. Without such a node (fluxes and blocking walls only)
/// the dependent row of a time step includes the neutrality rows (their time derivative is
/// the charge in the domain), so node 0's neutrality row is replaced; a steady state of such
/// a problem (no patch fixing every charged species) is singular and is refused by the
/// scenario (`scenario::pnp`).
pub(super) fn gauge_node(z: &[f64], dofs: &DofMap, dirichlet: &[Option<u32>]) -> usize {
    (0..dofs.nodes())
        .find(|&i| matches!(neutral_rule(i, z, dofs, dirichlet), RowRule::Combination(_)))
        .unwrap_or(0)
}

/// The scaled Laplace potential of the patch potentials of `problem` on the scaled mesh
/// `mesh` ([`laplace_potential`] with the potential rows of the patches that fix one, the
/// first such patch face at a node; `vt` the thermal voltage, V). The fixed-field closure
/// without a given potential, computed again whenever a patch potential changes.
pub(super) fn laplace_of_patches(
    problem: &PnpProblem,
    mesh: &Arc<Mesh>,
    conductance: &[f64],
    vt: f64,
) -> Result<Vec<f64>, PnpError> {
    let m = problem.species.len();
    let nv = m + 1;
    let potential =
        |pf: usize| match problem.patches[mesh.patch_faces()[pf].patch as usize].potential {
            PotentialCondition::Potential(v) => Some(v / vt),
            _ => None,
        };
    let mut dirichlet = vec![None; mesh.nodes() * nv];
    for (i, pf) in mesh.patch_faces().iter().enumerate() {
        let d = &mut dirichlet[pf.node as usize * nv + m];
        if d.is_none() && potential(i).is_some() {
            *d = Some(i as u32);
        }
    }
    laplace_potential(
        mesh,
        conductance,
        &dirichlet,
        m,
        |pf| potential(pf).unwrap_or(0.0),
        problem.solver,
    )
}

/// The scaled potential solving `sum_faces g_f (phi_K - phi_L) = 0` at every node whose
/// potential (field `m` of `dirichlet`, `m + 1` fields per node) is not fixed by a patch
/// face, and `phi = value(patch face)` where it is (`phi = 0` at the [`GAUGE`] node).
pub(super) fn laplace_potential(
    mesh: &Arc<Mesh>,
    conductance: &[f64],
    dirichlet: &[Option<u32>],
    m: usize,
    value: impl Fn(usize) -> f64,
    solver: SolverChoice,
) -> Result<Vec<f64>, PnpError> {
    let n = mesh.nodes();
    let nv = m + 1;
    let fixed: Vec<Option<f64>> = (0..n)
        .map(|i| dirichlet[i * nv + m].map(|pf| if pf == GAUGE { 0.0 } else { value(pf as usize) }))
        .collect();
    if fixed.iter().all(|f| f.is_none()) {
        return Err(PnpError::Invalid(
            "the fixed_field closure needs a potential on at least one patch (the field is the Laplace solution between the patch potentials): give a patch potential = \"0 V\"".into(),
        ));
    }
    let dofs = DofMap::full(n, 1).map_err(|e| PnpError::Invalid(e.to_string()))?;
    let rules = RowRules::new(
        vec![vec![RowRule::Balance], vec![RowRule::Algebraic]],
        fixed.iter().map(|f| u16::from(f.is_some())).collect(),
    );
    let flux = PoissonFlux {
        conductance: FaceTable::Full(conductance),
        phi: 0,
    };
    let eq = Fixed { value: &fixed };
    let laws: [&dyn FluxLaw; 1] = [&flux];
    let terms = Terms {
        flux: &laws,
        volume: &[],
        boundary: &[],
        equation: Some(&eq),
    };
    let asm = Assembler::new(mesh.clone(), dofs, rules, &terms, false);
    let mut sys = Laplace {
        asm,
        conductance,
        fixed: &fixed,
    };
    let mut ws = NewtonWorkspace::new(&sys.structure(), solver)
        .map_err(|e| PnpError::Invalid(e.to_string()))?;
    let mut x: Vec<f64> = fixed.iter().map(|f| f.unwrap_or(0.0)).collect();
    let opts = NewtonOptions {
        max_iterations: 5,
        ..NewtonOptions::default()
    };
    newton(&mut sys, &mut x, &mut ws, &opts)
        .map_err(|e| PnpError::NotConverged(format!("Laplace solve of the fixed field: {e}")))?;
    Ok(x)
}

struct Fixed<'a> {
    value: &'a [Option<f64>],
}

impl NodeEquation for Fixed<'_> {
    fn couplings(&self) -> Vec<(usize, usize)> {
        vec![(0, 0)]
    }
    fn eval(&self, node: usize, _field: usize, u: &[f64], d: &mut [f64]) -> f64 {
        d[0] = 1.0;
        u[0] - self.value[node].expect("an algebraic row is fixed")
    }
}

struct Laplace<'a> {
    asm: Assembler,
    conductance: &'a [f64],
    fixed: &'a [Option<f64>],
}

impl Laplace<'_> {
    fn assemble(&mut self, x: &[f64], r: &mut [f64], jac: Option<&mut dyn MatrixSink>) {
        let flux = PoissonFlux {
            conductance: FaceTable::Full(self.conductance),
            phi: 0,
        };
        let eq = Fixed { value: self.fixed };
        let laws: [&dyn FluxLaw; 1] = [&flux];
        let terms = Terms {
            flux: &laws,
            volume: &[],
            boundary: &[],
            equation: Some(&eq),
        };
        self.asm.assemble(&terms, x, r, jac);
    }
}

impl NonlinearSystem for Laplace<'_> {
    fn dim(&self) -> usize {
        self.asm.dofs().len()
    }
    fn structure(&self) -> Structure {
        self.asm.structure()
    }
    fn residual(&mut self, x: &[f64], r: &mut [f64]) {
        self.assemble(x, r, None);
    }
    fn jacobian(&mut self, x: &[f64], jac: &mut dyn MatrixSink, r: &mut [f64]) {
        self.assemble(x, r, Some(jac));
    }
    fn atol(&self, _i: usize) -> f64 {
        1e-10
    }
}

/// The checks of the electroneutral closure (see the module docs), with what to change.
pub(super) fn check_electroneutral(
    problem: &PnpProblem,
    mesh: &Mesh,
    dofs: &DofMap,
) -> Result<(), PnpError> {
    let m = problem.species.len();
    let z: Vec<f64> = problem.species.iter().map(|s| s.charge).collect();
    if z.iter().all(|&z| z == 0.0) {
        return Err(PnpError::Invalid("the electroneutral closure needs charged species; for neutral solutes use closure = \"fixed_field\"".into()));
    }
    for (p, c) in problem.patches.iter().enumerate() {
        let name = &mesh.patches()[p].name;
        if let PotentialCondition::SurfaceCharge(_) = c.potential {
            return Err(PnpError::Invalid(format!("patch {name}: a surface charge needs closure = \"poisson\" (an electroneutral solution has no double layer); remove surface_charge or change the closure")));
        }
        if let PotentialCondition::Potential(_) = c.potential {
            let all = (0..m)
                .all(|k| z[k] == 0.0 || matches!(c.species[k], SpeciesCondition::Concentration(_)));
            if !all {
                return Err(PnpError::Invalid(format!("patch {name}: under the electroneutral closure a fixed potential needs fixed concentrations of all charged species on the same patch (the potential of a solution is referenced where its composition is fixed); give them a concentration or remove the potential")));
            }
            let q: f64 = (0..m)
                .filter_map(|k| match c.species[k] {
                    SpeciesCondition::Concentration(v) => Some(z[k] * v),
                    _ => None,
                })
                .sum();
            let s: f64 = (0..m)
                .filter_map(|k| match c.species[k] {
                    SpeciesCondition::Concentration(v) => Some((z[k] * v).abs()),
                    _ => None,
                })
                .sum();
            if q.abs() > 1e-9 * s.max(1e-300) {
                return Err(PnpError::Invalid(format!("patch {name}: the concentrations are not electroneutral, sum z c = {q:.6e} mol/m^3 (it must be 0 under the electroneutral closure); adjust them or use closure = \"poisson\"")));
            }
        }
    }
    for i in 0..mesh.nodes() {
        let charged = (0..m).any(|k| z[k] != 0.0 && dofs.has(i, k));
        if !charged {
            let x = mesh.position(i);
            return Err(PnpError::Invalid(format!("node {i} at {:?} m holds no charged species, so electroneutrality cannot determine the potential there: let a charged species enter that region or use closure = \"poisson\"", &x[..mesh.dim()])));
        }
    }
    Ok(())
}

/// The rule of the potential's row at `node` under electroneutrality when no patch fixes
/// the potential there: the charge balance `sum_k z_k (balance of k)` where every charged
/// species present is fixed (Dirichlet), else the algebraic neutrality row.
pub(super) fn neutral_rule(
    node: usize,
    z: &[f64],
    dofs: &DofMap,
    dirichlet: &[Option<u32>],
) -> RowRule {
    let m = z.len();
    let nv = m + 1;
    let charged: Vec<usize> = (0..m)
        .filter(|&k| z[k] != 0.0 && dofs.has(node, k))
        .collect();
    if !charged.is_empty() && charged.iter().all(|&k| dirichlet[node * nv + k].is_some()) {
        RowRule::Combination(charged.iter().map(|&k| (k, z[k])).collect())
    } else {
        RowRule::Algebraic
    }
}
