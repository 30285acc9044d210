//! Static-field scenarios (`model = "electrostatics"` or `"magnetostatics"`): parsing,
//! validation, and the run with its outputs, on top of [`crate::models::potential`].
//!
//! The file describes a mesh (`[mesh]`: 1D planar/cylindrical/spherical, 2D Cartesian,
//! axisymmetric `(r, z)` or 3D, each axis `{ from, to, nodes, refine }`), material regions
//! painted in order over a background (`[background]`, `[[region]]` with a `shape`), the
//! conditions on named patches (`[[patch]]`), the linear solver (`[solver]`) and the outputs
//! (`[output]`). Every key is in `docs/scenario-fields.md`.
//!
//! # Equations
//! Electrostatics: `div(eps0 eps_r grad phi) = -(rho - div P)`, `E = -grad phi`,
//! `D = eps0 eps_r E + P`. Magnetostatics by the scalar potential, valid where the free
//! current vanishes (`curl H = J_free = 0`): `H = -grad Phi_M`, `div(mu0 (mu_r H + M)) = 0`.
//! A region with a free current density is refused: there `H` has no scalar potential.
//!
//! Validation runs before anything large is allocated: the node count of the mesh (after
//! grading) is checked against a memory estimate ([`static_memory_estimate`]).
//!
//! The mesh and regions are parsed by [`super::geometry`] (shared with the other scenario
//! types on general meshes); the materials and patch conditions are in `materials`, the
//! `[output]` table in `outputs` and the run in `run`.

mod materials;
mod outputs;
mod run;

use std::sync::Arc;

use serde::Deserialize;
use toml::{Spanned, Value};

use super::geometry::{
    parse_geometry, region_at, Budget, PatchKeys, RawMesh, RawShape, RegionKeys, ScenarioGeometry,
};
use super::{Ctx, ScenarioError};
use crate::mesh::TriangleLocator;
use crate::models::potential::{FieldKind, PatchCondition, PotentialProblem, RegionMaterial};
use crate::solve::SolverChoice;
use crate::units::Dim;
use materials::{material, patch_condition, uniform_field, UniformField};
pub(super) use outputs::build_outputs;

pub use super::geometry::{MeshKind, RegionShape};
pub use outputs::{MapLines, MapSpec, Probe, StaticOutputs};
pub use run::run_static;

/// Magnetization and magnetic field strength, A/m.
const PER_METRE_CURRENT: Dim = Dim::new(-1, 0, 0, 1, 0, 0);

/// Largest accepted free charge density, C/m^3 (the conduction-electron charge of a metal,
/// 1e29 m^-3 times e, is 1.6e10 C/m^3).
pub const MAX_CHARGE_DENSITY: f64 = 1e11;
/// Largest accepted fixed polarization, C/m^2 (ferroelectrics: up to about 1 C/m^2).
pub const MAX_POLARIZATION: f64 = 10.0;
/// Largest accepted magnetization, A/m (iron saturates at 1.7e6 A/m).
pub const MAX_MAGNETIZATION: f64 = 1e7;
/// Largest accepted relative permeability (permalloy and mu-metal reach 1e5-1e6).
pub const MAX_PERMEABILITY: f64 = 1e7;
/// Largest accepted magnetic scalar potential, A.
pub const MAX_MAGNETIC_POTENTIAL: f64 = 1e9;
/// Largest accepted total charge on a patch, C.
pub const MAX_PATCH_CHARGE: f64 = 1.0;

// ---------------------------------------------------------------------------------------
// Raw schema
// ---------------------------------------------------------------------------------------

#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
struct Raw {
    model: Spanned<String>,
    title: Option<String>,
    #[allow(dead_code)]
    description: Option<String>,
    mesh: Spanned<RawMesh>,
    background: Option<Spanned<RawRegion>>,
    #[serde(default)]
    region: Vec<Spanned<RawRegion>>,
    #[serde(default)]
    patch: Vec<Spanned<RawPatch>>,
    solver: Option<RawSolver>,
    output: Option<RawOutput>,
}

#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
pub(super) struct RawRegion {
    pub(super) name: Option<Spanned<String>>,
    pub(super) shape: Option<Spanned<RawShape>>,
    pub(super) permittivity: Option<Spanned<Value>>,
    pub(super) permeability: Option<Spanned<Value>>,
    pub(super) charge_density: Option<Spanned<Value>>,
    pub(super) polarization: Option<Spanned<Vec<Spanned<Value>>>>,
    pub(super) magnetization: Option<Spanned<Vec<Spanned<Value>>>>,
    pub(super) conductor_potential: Option<Spanned<Value>>,
    pub(super) conductor_charge: Option<Spanned<Value>>,
    pub(super) current_density: Option<Spanned<Value>>,
}

impl RegionKeys for RawRegion {
    fn name(&self) -> Option<&Spanned<String>> {
        self.name.as_ref()
    }
    fn shape(&self) -> Option<&Spanned<RawShape>> {
        self.shape.as_ref()
    }
}

impl PatchKeys for RawPatch {
    fn name(&self) -> &Spanned<String> {
        &self.name
    }
    fn surface_of(&self) -> Option<&Spanned<String>> {
        self.surface_of.as_ref()
    }
}

#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
pub(super) struct RawPatch {
    pub(super) name: Spanned<String>,
    pub(super) surface_of: Option<Spanned<String>>,
    pub(super) potential: Option<Spanned<Value>>,
    pub(super) surface_charge: Option<Spanned<Value>>,
    pub(super) charge: Option<Spanned<Value>>,
    pub(super) natural: Option<Spanned<bool>>,
    pub(super) field: Option<Spanned<Value>>,
    pub(super) inclusion: Option<Spanned<String>>,
}

#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
pub(super) struct RawSolver {
    pub(super) linear: Option<Spanned<String>>,
    pub(super) memory_limit_gb: Option<Spanned<Value>>,
}

#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
pub(super) struct RawOutput {
    pub(super) formats: Option<Vec<Spanned<String>>>,
    #[serde(default)]
    pub(super) line: Vec<Spanned<RawLine>>,
    #[serde(default)]
    pub(super) probe: Vec<Spanned<RawProbe>>,
    pub(super) vacuum_reference: Option<bool>,
    pub(super) map: Option<Spanned<RawMap>>,
}

/// `[output.map]`: how the maps are drawn.
#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
pub(super) struct RawMap {
    pub(super) lines: Option<Spanned<String>>,
    pub(super) line_count: Option<Spanned<Value>>,
    pub(super) mirror: Option<Spanned<bool>>,
    pub(super) concentration_scale: Option<Spanned<String>>,
}

#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
pub(super) struct RawLine {
    pub(super) name: Spanned<String>,
    pub(super) from: Vec<Spanned<Value>>,
    pub(super) to: Vec<Spanned<Value>>,
    pub(super) points: Option<Spanned<Value>>,
}

#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
pub(super) struct RawProbe {
    pub(super) name: Spanned<String>,
    pub(super) at: Vec<Spanned<Value>>,
}
// ---------------------------------------------------------------------------------------
// Validated scenario
// ---------------------------------------------------------------------------------------

/// A validated static-field scenario.
#[derive(Clone, Debug)]
pub struct StaticScenario {
    /// Title for the summary.
    pub title: String,
    /// Mesh kind (for a Delaunay mesh its coordinates: `Cartesian2d` or `Axisymmetric`).
    pub mesh_kind: MeshKind,
    /// Whether the mesh is a boundary-conforming Delaunay-Voronoi mesh (`kind =
    /// "delaunay"`).
    pub delaunay: bool,
    /// The triangles of a Delaunay mesh (point location for probes, line cuts and maps).
    pub triangles: Option<Arc<TriangleLocator>>,
    /// The problem the model solves (the mesh is built at validation).
    pub problem: PotentialProblem,
    /// Scenario names of the mesh patches, in mesh patch order.
    pub patch_names: Vec<String>,
    /// Region shapes in painting order (`(region index, shape)`); regions without one are
    /// the background.
    pub shapes: Vec<(u16, RegionShape)>,
    /// Index of the background region.
    pub background: u16,
    /// Outputs.
    pub outputs: StaticOutputs,
    /// Estimated peak memory of the run, bytes.
    pub memory_estimate: f64,
    /// The linear solver requested (`"auto"`, `"lu"` or `"multigrid"`).
    pub linear: String,
    /// Legal but suspicious input found by validation.
    pub warnings: Vec<String>,
}

impl StaticScenario {
    /// Region index at mesh coordinates `p` (the last painted shape containing it).
    pub fn region_at(&self, p: [f64; 3]) -> u16 {
        region_at(self.mesh_kind, &self.shapes, self.background, p)
    }
}

/// The peak memory (bytes) of a static-field run on `nodes` nodes in dimension `dim`,
/// estimated before anything is built:
///
/// ```text
/// mesh        (150, 250, 400) bytes per node in 1D, 2D, 3D (positions, region parts, faces,
///             segments, patches and the copies Mesh::new keeps)
/// matrices    2 x 12 (2 dim + 1) bytes per node (two assembled CSR patterns: the solve and
///             the post-processing balances), 12 vectors of 8 bytes
/// factors     1D: banded LU, 8 x 4 bytes per node
///             2D: fill of a sparse LU on a 5-point grid, about 16 n log2 n entries of
///                 10 bytes (George's nested-dissection bound 31/4 n log2 n per factor)
///             3D: about 10 n^(4/3) entries of 10 bytes
/// outputs     VTK text (base64) and NPY, about 60 bytes per node
/// ```
///
/// ```
/// let e = fluxion::scenario::static_memory_estimate(1_000_000, 2);
/// assert!(e > 1e9 && e < 1e10, "{e}");
/// ```
pub fn static_memory_estimate(nodes: usize, dim: usize) -> f64 {
    let n = nodes as f64;
    let d = dim.clamp(1, 3);
    let mesh = [150.0, 250.0, 400.0][d - 1] * n;
    let matrices = 24.0 * (2.0 * d as f64 + 1.0) * n + 96.0 * n;
    let factors = match d {
        1 => 32.0 * n,
        2 => 160.0 * n * n.max(2.0).log2(),
        _ => 100.0 * n.powf(4.0 / 3.0),
    };
    mesh + matrices + factors + 60.0 * n
}

// ---------------------------------------------------------------------------------------
// Parsing
// ---------------------------------------------------------------------------------------

/// Parse and validate a static-field scenario (also builds its mesh).
///
/// ```
/// let text = r#"
/// model = "electrostatics"
/// [mesh]
/// kind = "planar"
/// x = { from = "0 um", to = "1 um", nodes = 11 }
/// [[patch]]
/// name = "xmin"
/// potential = "1 V"
/// [[patch]]
/// name = "xmax"
/// potential = "0 V"
/// "#;
/// let s = fluxion::scenario::parse_static(text).unwrap();
/// assert_eq!(s.problem.mesh.nodes(), 11);
/// ```
pub fn parse_static(text: &str) -> Result<StaticScenario, ScenarioError> {
    let raw: Raw = toml::from_str(text).map_err(|e| ScenarioError {
        issues: vec![super::toml_issue_at(&e, text)],
    })?;
    let mut cx = Ctx { issues: vec![] };
    let s = build(&raw, &mut cx);
    match s {
        Some(s) if cx.issues.is_empty() => Ok(s),
        _ => Err(ScenarioError { issues: cx.issues }),
    }
}

fn build(raw: &Raw, cx: &mut Ctx) -> Option<StaticScenario> {
    let kind = match cx.choice(&raw.model, "model", &["electrostatics", "magnetostatics"])? {
        "electrostatics" => FieldKind::Electric,
        _ => FieldKind::Magnetic,
    };
    let mut warnings = vec![];
    // Mesh and regions, with each region's material read in file order.
    let mut materials: Vec<RegionMaterial> = vec![];
    let budget = Budget {
        memory_limit_gb: raw.solver.as_ref().and_then(|s| s.memory_limit_gb.as_ref()),
        estimate: static_memory_estimate,
    };
    let geometry = parse_geometry(
        &raw.mesh,
        raw.background.as_ref(),
        &raw.region,
        &raw.patch,
        budget,
        cx,
        |cx, key, r| {
            let m = match r {
                None => Some(RegionMaterial::VACUUM),
                Some(r) => material(r, key, kind, cx),
            };
            materials.push(m.unwrap_or(RegionMaterial::VACUUM));
            m.is_some()
        },
    )?;
    // Patch conditions.
    let slots = geometry.patch_slots(&raw.patch, cx);
    let mut patches = vec![PatchCondition::Natural; geometry.patch_names.len()];
    let mut node_potential = vec![];
    for (i, (p, slot)) in raw.patch.iter().zip(slots).enumerate() {
        let Some(idx) = slot else { continue };
        let key = format!("patch[{i}]");
        let c = match uniform_field(p.get_ref()) {
            Some(v) => {
                let pc = UniformField {
                    raw: p.get_ref(),
                    potential: v,
                    key: &key,
                    kind,
                    materials: &materials,
                };
                pc.apply(&geometry, idx, &mut node_potential, cx)
            }
            None => patch_condition(p.get_ref(), &key, kind, &geometry, idx, cx),
        };
        if let Some(c) = c {
            patches[idx] = c;
        }
    }
    let ScenarioGeometry {
        kind: mesh_kind,
        axes,
        mesh,
        shapes,
        background,
        patch_names,
        r0_is_axis,
        delaunay,
        triangles,
        memory_estimate: est,
    } = geometry;
    if r0_is_axis && !matches!(patches[0], PatchCondition::Natural) {
        cx.push(
            "patch",
            "the axis r = 0 of an axisymmetric mesh is a symmetry line: its condition is natural (zero flux); remove the [[patch]] for \"axis\"",
            None,
        );
    }
    // The potential must be fixed somewhere.
    let fixed = patches.iter().any(|c| {
        matches!(
            c,
            PatchCondition::Potential(_) | PatchCondition::NodePotential
        )
    }) || materials
        .iter()
        .any(|m| matches!(m, RegionMaterial::Conductor { .. }));
    let charged = materials
        .iter()
        .any(|m| matches!(m, RegionMaterial::ChargedConductor { .. }));
    if !fixed {
        cx.push(
            "patch",
            format!(
                "the potential is fixed nowhere{}, so it is determined only up to a constant: give a patch a potential (e.g. [[patch]] name = \"{}\" potential = \"0 V\") or add a region with conductor_potential",
                if charged { " (a conductor_charge region floats at the potential its charge requires relative to a fixed one)" } else { "" },
                patch_names.last().map_or("xmax", |s| s.as_str())
            ),
            None,
        );
    }
    // Solver: "auto" picks the banded LU in 1D, multigrid on large 2D/3D tensor grids and
    // the sparse LU otherwise; "lu" forces a direct solve; "multigrid" the geometric
    // multigrid (CG or BiCGStab) on the tensor grid.
    let (linear, solver) = match raw.solver.as_ref().and_then(|s| s.linear.as_ref()) {
        None => ("auto", SolverChoice::Auto),
        Some(l) => match cx.choice(l, "solver.linear", &["auto", "lu", "multigrid"])? {
            "lu" if mesh_kind.dim() == 1 => ("lu", SolverChoice::Banded),
            "lu" => ("lu", SolverChoice::SparseLu),
            "multigrid" if mesh_kind.dim() == 1 => {
                cx.push(
                    "solver.linear",
                    format!(
                        "multigrid applies to 2D and 3D meshes; a 1D {} mesh is solved directly by the banded LU in O(n): use linear = \"auto\" or \"lu\"",
                        mesh_kind.name()
                    ),
                    Some(l.span()),
                );
                return None;
            }
            "multigrid" if delaunay => {
                cx.push(
                    "solver.linear",
                    "the geometric multigrid needs a tensor grid; a delaunay mesh is solved by the sparse LU: use linear = \"auto\" or \"lu\"",
                    Some(l.span()),
                );
                return None;
            }
            "multigrid" => ("multigrid", SolverChoice::Multigrid),
            _ => ("auto", SolverChoice::Auto),
        },
    };
    // Outputs.
    let outputs = build_outputs(
        raw.output.as_ref(),
        mesh_kind,
        &axes,
        triangles.as_deref(),
        false,
        cx,
    )?;
    if outputs.vacuum_reference
        && materials
            .iter()
            .all(|m| matches!(m, RegionMaterial::Medium { relative, polarization, .. } if *relative == 1.0 && *polarization == [0.0; 3]))
    {
        warnings.push("output.vacuum_reference: every region is already vacuum, so the energy difference is zero".to_string());
    }
    let title = raw
        .title
        .clone()
        .unwrap_or_else(|| format!("fluxion {}", raw.model.get_ref()));
    if !cx.issues.is_empty() {
        return None;
    }
    Some(StaticScenario {
        title,
        mesh_kind,
        delaunay,
        triangles,
        problem: PotentialProblem {
            kind,
            mesh: Arc::new(mesh),
            materials,
            patches,
            node_potential,
            solver,
        },
        patch_names,
        shapes,
        background,
        outputs,
        memory_estimate: est,
        linear: linear.to_string(),
        warnings,
    })
}

#[cfg(test)]
#[path = "potential_tests.rs"]
mod tests;
