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

use std::sync::Arc;
use std::time::Instant;

use serde::Deserialize;
use serde_json::{json, Map, Value as Json};
use toml::{Spanned, Value};

use super::{show, Ctx, RunError, RunReport, ScenarioError};
use crate::constants::{AVOGADRO, VACUUM_PERMEABILITY, VACUUM_PERMITTIVITY};
use crate::mesh::{
    graded_nodes, grid_mesh, uniform_nodes, Cover, Cuboid, Extruded, Geometry, Grid, Interface,
    Mesh, Polygon, RegionMap, Revolved, Shape, Sphere, TensorGrid,
};
use crate::models::potential::{
    solve_potential, FieldKind, PatchCondition, PotentialError, PotentialProblem,
    PotentialSolution, RegionMaterial,
};
use crate::output::{
    line_cut_csv, node_field_npy, vtk_document, Line, NodeField, OutputFile, TensorAxes,
};
use crate::solve::{Progress, SolverChoice};
use crate::units::{dims, Dim};

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
struct RawMesh {
    kind: Spanned<String>,
    x: Option<Spanned<RawAxis>>,
    y: Option<Spanned<RawAxis>>,
    z: Option<Spanned<RawAxis>>,
    r: Option<Spanned<RawAxis>>,
}

#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
struct RawAxis {
    from: Spanned<Value>,
    to: Spanned<Value>,
    nodes: Spanned<Value>,
    refine: Option<Vec<Spanned<Value>>>,
    h_min: Option<Spanned<Value>>,
    growth: Option<Spanned<Value>>,
}

#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
struct RawRegion {
    name: Option<Spanned<String>>,
    shape: Option<Spanned<RawShape>>,
    permittivity: Option<Spanned<Value>>,
    permeability: Option<Spanned<Value>>,
    charge_density: Option<Spanned<Value>>,
    polarization: Option<Spanned<Vec<Spanned<Value>>>>,
    magnetization: Option<Spanned<Vec<Spanned<Value>>>>,
    conductor_potential: Option<Spanned<Value>>,
    current_density: Option<Spanned<Value>>,
}

#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
struct RawShape {
    kind: Spanned<String>,
    lo: Option<Vec<Spanned<Value>>>,
    hi: Option<Vec<Spanned<Value>>>,
    centre: Option<Vec<Spanned<Value>>>,
    radius: Option<Spanned<Value>>,
    base: Option<Vec<Spanned<Value>>>,
    top: Option<Vec<Spanned<Value>>>,
    r_base: Option<Spanned<Value>>,
    r_top: Option<Spanned<Value>>,
    vertices: Option<Vec<Spanned<Vec<Spanned<Value>>>>>,
    z: Option<Vec<Spanned<Value>>>,
}

#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
struct RawPatch {
    name: Spanned<String>,
    surface_of: Option<Spanned<String>>,
    potential: Option<Spanned<Value>>,
    surface_charge: Option<Spanned<Value>>,
    charge: Option<Spanned<Value>>,
    natural: Option<Spanned<bool>>,
}

#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
struct RawSolver {
    linear: Option<Spanned<String>>,
    memory_limit_gb: Option<Spanned<Value>>,
}

#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
struct RawOutput {
    formats: Option<Vec<Spanned<String>>>,
    #[serde(default)]
    line: Vec<Spanned<RawLine>>,
    #[serde(default)]
    probe: Vec<Spanned<RawProbe>>,
    vacuum_reference: Option<bool>,
}

#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
struct RawLine {
    name: Spanned<String>,
    from: Vec<Spanned<Value>>,
    to: Vec<Spanned<Value>>,
    points: Option<Spanned<Value>>,
}

#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
struct RawProbe {
    name: Spanned<String>,
    at: Vec<Spanned<Value>>,
}

// ---------------------------------------------------------------------------------------
// Validated scenario
// ---------------------------------------------------------------------------------------

/// The kind of mesh of a static-field scenario.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum MeshKind {
    /// 1D slab, axis `x`; quantities per m^2 of the slab.
    Planar,
    /// 1D radial cylinder, axis `r`; quantities per metre of length.
    Cylindrical,
    /// 1D radial sphere, axis `r`.
    Spherical,
    /// 2D `(x, y)`; quantities per metre of depth.
    Cartesian2d,
    /// Axisymmetric `(r, z)`; full 3D quantities (the `2 pi r` is in the measures).
    Axisymmetric,
    /// 3D `(x, y, z)`.
    Cartesian3d,
}

impl MeshKind {
    /// Name in scenario files and `summary.json`.
    pub fn name(self) -> &'static str {
        match self {
            MeshKind::Planar => "planar",
            MeshKind::Cylindrical => "cylindrical",
            MeshKind::Spherical => "spherical",
            MeshKind::Cartesian2d => "cartesian2d",
            MeshKind::Axisymmetric => "axisymmetric",
            MeshKind::Cartesian3d => "cartesian3d",
        }
    }

    /// Spatial dimension.
    pub fn dim(self) -> usize {
        match self {
            MeshKind::Planar | MeshKind::Cylindrical | MeshKind::Spherical => 1,
            MeshKind::Cartesian2d | MeshKind::Axisymmetric => 2,
            MeshKind::Cartesian3d => 3,
        }
    }

    /// Axis keys in `[mesh]`, in mesh order.
    pub fn axes(self) -> &'static [&'static str] {
        match self {
            MeshKind::Planar => &["x"],
            MeshKind::Cylindrical | MeshKind::Spherical => &["r"],
            MeshKind::Cartesian2d => &["x", "y"],
            MeshKind::Axisymmetric => &["r", "z"],
            MeshKind::Cartesian3d => &["x", "y", "z"],
        }
    }

    /// What the extensive outputs (energy, charges) are per.
    pub fn extent(self) -> &'static str {
        match self {
            MeshKind::Planar => "per square metre of the slab",
            MeshKind::Cylindrical | MeshKind::Cartesian2d => "per metre of depth",
            _ => "total",
        }
    }

    /// Boundary patch names of this kind (the mesh builders' names, in patch order; `axis`
    /// or `rmin` first in (r, z) depending on whether `r` starts at 0).
    fn boundary_names(self, r0_is_axis: bool) -> Vec<&'static str> {
        match self {
            MeshKind::Planar => vec!["xmin", "xmax"],
            MeshKind::Cylindrical | MeshKind::Spherical => vec!["rmin", "rmax"],
            MeshKind::Cartesian2d => vec!["xmin", "xmax", "ymin", "ymax"],
            MeshKind::Axisymmetric => {
                vec![
                    if r0_is_axis { "axis" } else { "rmin" },
                    "rmax",
                    "zmin",
                    "zmax",
                ]
            }
            MeshKind::Cartesian3d => vec!["xmin", "xmax", "ymin", "ymax", "zmin", "zmax"],
        }
    }
}

/// A shape of a region, in mesh coordinates converted to metres.
#[derive(Clone, Debug)]
pub struct RegionShape {
    /// The solid (evaluated at embedded 3D points, see [`TensorGrid::embed`]).
    pub shape: Arc<dyn Shape>,
    /// Its kind as written (`"sphere"`, ...).
    pub kind: String,
}

/// A named point where the summary reports the potential and field.
#[derive(Clone, Debug, PartialEq)]
pub struct Probe {
    /// Name (a key of `summary.json` `probes`).
    pub name: String,
    /// Mesh coordinates, m (unused coordinates zero).
    pub at: [f64; 3],
}

/// What the run writes besides `summary.json`.
#[derive(Clone, Debug, PartialEq)]
pub struct StaticOutputs {
    /// `fields.vtr` / `fields.vtu`.
    pub vtk: bool,
    /// `potential.npy` (and `field.npy`).
    pub npy: bool,
    /// Line cuts, one `line_<name>.csv` each.
    pub lines: Vec<Line>,
    /// Points reported in the summary.
    pub probes: Vec<Probe>,
    /// Solve again with every medium replaced by vacuum (relative coefficient 1, no fixed
    /// polarization) and report the energy difference (the Born solvation energy of an
    /// ion: the charging work in the medium minus that in vacuum).
    pub vacuum_reference: bool,
}

/// A validated static-field scenario.
#[derive(Clone, Debug)]
pub struct StaticScenario {
    /// Title for the summary.
    pub title: String,
    /// Mesh kind.
    pub mesh_kind: MeshKind,
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
    /// The linear solver requested (`"auto"` or `"lu"`).
    pub linear: String,
    /// Legal but suspicious input found by validation.
    pub warnings: Vec<String>,
}

impl StaticScenario {
    /// Region index at mesh coordinates `p` (the last painted shape containing it).
    pub fn region_at(&self, p: [f64; 3]) -> u16 {
        let e = embed(self.mesh_kind, p);
        self.shapes
            .iter()
            .rev()
            .find(|(_, s)| s.shape.inside(e))
            .map_or(self.background, |(r, _)| *r)
    }
}

/// Mesh coordinates to the embedded 3D point where shapes are evaluated: `(r, z)` is
/// `(r, 0, z)`, everything else is itself.
fn embed(kind: MeshKind, p: [f64; 3]) -> [f64; 3] {
    match kind {
        MeshKind::Axisymmetric => [p[0], 0.0, p[1]],
        _ => p,
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

fn bytes_text(b: f64) -> String {
    if b >= 1e9 {
        format!("{:.2} GB", b / 1e9)
    } else {
        format!("{:.1} MB", b / 1e6)
    }
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

impl Ctx {
    /// A length within the accepted range.
    fn length(&mut self, v: &Spanned<Value>, key: &str) -> Option<f64> {
        let x = self.quantity(v, key, dims::LENGTH)?;
        if !x.is_finite() || x.abs() > super::MAX_LENGTH {
            self.push(
                key,
                format!(
                    "{} is not a usable coordinate: lengths are at most {:e} m in magnitude; check the unit (nm, um, mm, m)",
                    show(v),
                    super::MAX_LENGTH
                ),
                Some(v.span()),
            );
            return None;
        }
        Some(x)
    }

    /// A point of `dim` lengths (mesh coordinates), unused coordinates zero.
    fn point(
        &mut self,
        v: &[Spanned<Value>],
        key: &str,
        kind: MeshKind,
        span: Option<std::ops::Range<usize>>,
    ) -> Option<[f64; 3]> {
        let dim = kind.dim();
        if v.len() != dim {
            self.push(
                key,
                format!(
                    "a point of a {} mesh has {dim} coordinate(s) ({}), got {}; e.g. {key} = [{}]",
                    kind.name(),
                    kind.axes().join(", "),
                    v.len(),
                    vec!["\"0 um\""; dim].join(", ")
                ),
                span.or_else(|| v.first().map(|s| s.span())),
            );
            return None;
        }
        let mut p = [0.0; 3];
        let mut ok = true;
        for (c, x) in v.iter().enumerate() {
            match self.length(x, &format!("{key}[{c}]")) {
                Some(l) => p[c] = l,
                None => ok = false,
            }
        }
        ok.then_some(p)
    }

    /// A quantity whose magnitude is at most `max`.
    fn bounded(
        &mut self,
        v: &Spanned<Value>,
        key: &str,
        dim: Dim,
        max: f64,
        why: &str,
    ) -> Option<f64> {
        let x = self.quantity(v, key, dim)?;
        if !x.is_finite() || x.abs() > max {
            self.push(
                key,
                format!(
                    "{} is too large: at most {max:e} {} in magnitude ({why}); check the unit",
                    show(v),
                    crate::units::format_dim(dim)
                ),
                Some(v.span()),
            );
            return None;
        }
        Some(x)
    }
}

fn build(raw: &Raw, cx: &mut Ctx) -> Option<StaticScenario> {
    let kind = match cx.choice(&raw.model, "model", &["electrostatics", "magnetostatics"])? {
        "electrostatics" => FieldKind::Electric,
        _ => FieldKind::Magnetic,
    };
    let mut warnings = vec![];
    // Mesh kind and axes.
    let m = raw.mesh.get_ref();
    let mesh_kind = match cx.choice(
        &m.kind,
        "mesh.kind",
        &[
            "planar",
            "cylindrical",
            "spherical",
            "cartesian2d",
            "axisymmetric",
            "cartesian3d",
        ],
    )? {
        "planar" => MeshKind::Planar,
        "cylindrical" => MeshKind::Cylindrical,
        "spherical" => MeshKind::Spherical,
        "cartesian2d" => MeshKind::Cartesian2d,
        "axisymmetric" => MeshKind::Axisymmetric,
        _ => MeshKind::Cartesian3d,
    };
    let limit = memory_limit(raw.solver.as_ref(), cx);
    let axes = build_axes(m, mesh_kind, &raw.mesh, cx);
    // Regions: the background, then the painted ones.
    let mut names: Vec<String> = vec![];
    let mut materials: Vec<RegionMaterial> = vec![];
    let mut shapes: Vec<(u16, RegionShape)> = vec![];
    let bg_name = raw
        .background
        .as_ref()
        .and_then(|b| b.get_ref().name.as_ref())
        .map_or("background".to_string(), |n| n.get_ref().clone());
    names.push(bg_name);
    match &raw.background {
        None => materials.push(RegionMaterial::VACUUM),
        Some(b) => {
            if let Some(s) = &b.get_ref().shape {
                cx.push(
                    "background.shape",
                    "the background fills everything the [[region]] shapes do not cover; it has no shape (move this shape into a [[region]])",
                    Some(s.span()),
                );
            }
            materials.push(material(b.get_ref(), "background", kind, cx)?);
        }
    }
    let mut ok = true;
    for (i, r) in raw.region.iter().enumerate() {
        let key = format!("region[{i}]");
        let rr = r.get_ref();
        let Some(name) = &rr.name else {
            cx.push(
                format!("{key}.name"),
                "every [[region]] needs a name, e.g. name = \"sphere\"",
                Some(r.span()),
            );
            ok = false;
            continue;
        };
        let n = name.get_ref();
        if n.is_empty() || n.chars().any(|c| c.is_control() || c == ',' || c == '"') {
            cx.push(
                format!("{key}.name"),
                format!("region name \"{n}\" must be non-empty without commas, quotes or control characters (it names VTK arrays and summary keys)"),
                Some(name.span()),
            );
            ok = false;
        }
        if names.iter().any(|x| x == n) {
            cx.push(
                format!("{key}.name"),
                format!("region name \"{n}\" is used twice (the background is \"{}\"); give each region its own name", names[0]),
                Some(name.span()),
            );
            ok = false;
            continue;
        }
        let index = names.len() as u16;
        names.push(n.clone());
        match material(rr, &key, kind, cx) {
            Some(mat) => materials.push(mat),
            None => {
                ok = false;
                materials.push(RegionMaterial::VACUUM);
            }
        }
        match &rr.shape {
            None => {
                cx.push(
                    format!("{key}.shape"),
                    "a [[region]] needs a shape, e.g. shape = { kind = \"sphere\", centre = [\"0 um\", \"0 um\"], radius = \"1 um\" } (the background has none)",
                    Some(r.span()),
                );
                ok = false;
            }
            Some(s) => match region_shape(s, &format!("{key}.shape"), mesh_kind, cx) {
                Some(shape) => shapes.push((index, shape)),
                None => ok = false,
            },
        }
    }
    if names.len() >= u16::MAX as usize - 1 {
        cx.push("region", "too many regions (at most 65000)", None);
        return None;
    }
    let axes = axes?;
    // Memory before anything is built.
    let nodes: u128 = axes.iter().map(|a| a.len() as u128).product();
    let est = static_memory_estimate(nodes.min(u64::MAX as u128) as usize, mesh_kind.dim());
    if est > limit || nodes > (u32::MAX / 2) as u128 {
        let per_node = est / nodes as f64;
        cx.push(
            "mesh",
            format!(
                "a {} mesh of {} nodes would need about {} of memory (sparse LU factors included), above the limit of {}: use fewer nodes (refine = [...] puts them near the interfaces), or, if the machine has the memory, raise memory_limit_gb in [solver]; about {} nodes fit",
                mesh_kind.name(),
                axes.iter().map(|a| a.len().to_string()).collect::<Vec<_>>().join(" x "),
                bytes_text(est),
                bytes_text(limit),
                (limit / per_node).floor() as u64
            ),
            Some(raw.mesh.span()),
        );
        return None;
    }
    if !ok || !cx.issues.is_empty() {
        return None;
    }
    let background = 0u16;
    // The mesh.
    let r0_is_axis = mesh_kind == MeshKind::Axisymmetric && axes[0][0] == 0.0;
    // Interface patches (`surface_of`) are part of the mesh: collect them first.
    let mut interfaces = vec![];
    for (i, p) in raw.patch.iter().enumerate() {
        let pp = p.get_ref();
        let Some(of) = &pp.surface_of else { continue };
        let region = of.get_ref();
        let shape = names
            .iter()
            .position(|n| n == region)
            .and_then(|r| shapes.iter().find(|(k, _)| *k as usize == r));
        match shape {
            Some((_, sh)) => interfaces.push(Interface {
                name: pp.name.get_ref().clone(),
                shape: sh.shape.clone(),
            }),
            None => cx.push(
                format!("patch[{i}].surface_of"),
                format!(
                    "no painted region is named \"{region}\" (the background has no surface of its own); regions: {}",
                    names[1..].join(", ")
                ),
                Some(of.span()),
            ),
        }
    }
    if !cx.issues.is_empty() {
        return None;
    }
    let map = Painted {
        names: &names,
        shapes: &shapes,
        background,
        interfaces,
    };
    let mesh = build_mesh(mesh_kind, &axes, &map, &raw.mesh, cx)?;
    let boundary = mesh_kind.boundary_names(r0_is_axis);
    let mut patch_names: Vec<String> = boundary.iter().map(|s| s.to_string()).collect();
    // Interface patches of the mesh (`surface_of`).
    for p in mesh.patches().iter().skip(boundary.len()) {
        patch_names.push(p.name.clone());
    }
    // Patch conditions.
    let mut patches = vec![PatchCondition::Natural; mesh.patches().len()];
    let mut seen = vec![false; patches.len()];
    for (i, p) in raw.patch.iter().enumerate() {
        let key = format!("patch[{i}]");
        let pp = p.get_ref();
        let name = pp.name.get_ref();
        let Some(idx) = patch_names.iter().position(|n| n == name) else {
            cx.push(
                format!("{key}.name"),
                format!(
                    "no patch \"{name}\" on a {} mesh; its patches are {}{}",
                    mesh_kind.name(),
                    patch_names
                        .iter()
                        .map(|n| format!("\"{n}\""))
                        .collect::<Vec<_>>()
                        .join(", "),
                    if mesh_kind == MeshKind::Axisymmetric {
                        " (\"axis\" when r starts at 0, else \"rmin\")"
                    } else {
                        ""
                    }
                ),
                Some(pp.name.span()),
            );
            continue;
        };
        if seen[idx] {
            cx.push(
                format!("{key}.name"),
                format!("patch \"{name}\" has a condition already; give one [[patch]] per patch"),
                Some(pp.name.span()),
            );
            continue;
        }
        seen[idx] = true;
        if let Some(c) = patch_condition(pp, &key, kind, &mesh, idx, cx) {
            patches[idx] = c;
        }
    }
    if r0_is_axis && !matches!(patches[0], PatchCondition::Natural) {
        cx.push(
            "patch",
            "the axis r = 0 of an axisymmetric mesh is a symmetry line: its condition is natural (zero flux); remove the [[patch]] for \"axis\"",
            None,
        );
    }
    // The potential must be fixed somewhere.
    let fixed = patches
        .iter()
        .any(|c| matches!(c, PatchCondition::Potential(_)))
        || materials
            .iter()
            .any(|m| matches!(m, RegionMaterial::Conductor { .. }));
    if !fixed {
        cx.push(
            "patch",
            format!(
                "the potential is fixed nowhere, so it is determined only up to a constant: give a patch a potential (e.g. [[patch]] name = \"{}\" potential = \"0 V\") or add a region with conductor_potential",
                patch_names.last().map_or("xmax", |s| s.as_str())
            ),
            None,
        );
    }
    // Solver.
    let linear = match raw.solver.as_ref().and_then(|s| s.linear.as_ref()) {
        None => "auto",
        Some(l) => match cx.choice(l, "solver.linear", &["auto", "lu", "multigrid"])? {
            "multigrid" => {
                cx.push(
                    "solver.linear",
                    "the multigrid solver is not available in this build yet; use linear = \"auto\" (sparse LU in 2D and 3D, banded LU in 1D) or \"lu\"",
                    Some(l.span()),
                );
                return None;
            }
            other => other,
        },
    };
    let solver = SolverChoice::Auto;
    // Outputs.
    let outputs = build_outputs(raw.output.as_ref(), mesh_kind, &axes, cx)?;
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
        problem: PotentialProblem {
            kind,
            mesh: Arc::new(mesh),
            materials,
            patches,
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

fn memory_limit(s: Option<&RawSolver>, cx: &mut Ctx) -> f64 {
    let Some(v) = s.and_then(|s| s.memory_limit_gb.as_ref()) else {
        return super::DEFAULT_MEMORY_LIMIT;
    };
    match cx.number(v, "solver.memory_limit_gb", "memory_limit_gb = 16") {
        Some(g) if g > 0.0 && g <= 1e6 => g * 1e9,
        Some(_) => {
            cx.push(
                "solver.memory_limit_gb",
                format!(
                    "{} must be a positive number of GB (1e9 bytes) up to 1e6, e.g. memory_limit_gb = 16",
                    show(v)
                ),
                Some(v.span()),
            );
            super::DEFAULT_MEMORY_LIMIT
        }
        None => super::DEFAULT_MEMORY_LIMIT,
    }
}

/// The node coordinates of every axis of the mesh kind, in mesh order.
fn build_axes(
    m: &RawMesh,
    kind: MeshKind,
    span: &Spanned<RawMesh>,
    cx: &mut Ctx,
) -> Option<Vec<Vec<f64>>> {
    let given = [("x", &m.x), ("y", &m.y), ("z", &m.z), ("r", &m.r)];
    let wanted = kind.axes();
    for (name, a) in given {
        if let Some(a) = a {
            if !wanted.contains(&name) {
                cx.push(
                    format!("mesh.{name}"),
                    format!(
                        "a {} mesh has the axes {}; remove `{name}`",
                        kind.name(),
                        wanted.join(", ")
                    ),
                    Some(a.span()),
                );
            }
        }
    }
    let mut out = vec![];
    let mut ok = true;
    for &name in wanted {
        let a = given
            .iter()
            .find(|g| g.0 == name)
            .and_then(|g| g.1.as_ref());
        let Some(a) = a else {
            cx.push(
                format!("mesh.{name}"),
                format!(
                    "a {} mesh needs the axis `{name}`, e.g. {name} = {{ from = \"0 um\", to = \"1 um\", nodes = 101 }}",
                    kind.name()
                ),
                Some(span.span()),
            );
            ok = false;
            continue;
        };
        match axis_nodes(a, &format!("mesh.{name}"), kind, name, cx) {
            Some(x) => out.push(x),
            None => ok = false,
        }
    }
    ok.then_some(out)
}

fn axis_nodes(
    a: &Spanned<RawAxis>,
    key: &str,
    kind: MeshKind,
    name: &str,
    cx: &mut Ctx,
) -> Option<Vec<f64>> {
    let ax = a.get_ref();
    let from = cx.length(&ax.from, &format!("{key}.from"));
    let to = cx.length(&ax.to, &format!("{key}.to"));
    let nodes = cx.integer(&ax.nodes, &format!("{key}.nodes"), "nodes = 101");
    let (from, to, nodes) = (from?, to?, nodes?);
    let min_nodes = if kind.dim() == 1 { 3 } else { 2 };
    if nodes < min_nodes {
        cx.push(
            format!("{key}.nodes"),
            format!("{nodes} nodes: an axis needs at least {min_nodes}, e.g. nodes = 101"),
            Some(ax.nodes.span()),
        );
        return None;
    }
    if nodes > 100_000_000 {
        cx.push(
            format!("{key}.nodes"),
            format!("{nodes} nodes on one axis is beyond any mesh this solver can hold; use at most 1e8"),
            Some(ax.nodes.span()),
        );
        return None;
    }
    if to <= from || (to - from) < super::MIN_LENGTH {
        cx.push(
            format!("{key}.to"),
            format!(
                "the axis must run from a lower to a higher coordinate (at least {:e} m long): from = {} m, to = {} m",
                super::MIN_LENGTH, from, to
            ),
            Some(ax.to.span()),
        );
        return None;
    }
    let radial = name == "r";
    if radial && from < 0.0 {
        cx.push(
            format!("{key}.from"),
            format!(
                "a radius cannot be negative ({from} m); start at 0 (the axis or centre) or above"
            ),
            Some(ax.from.span()),
        );
        return None;
    }
    if matches!(kind, MeshKind::Cylindrical | MeshKind::Spherical) && from <= 0.0 {
        cx.push(
            format!("{key}.from"),
            "a 1D radial mesh starts at an inner radius above 0 (the centre is singular for a point charge and has no boundary face); e.g. from = \"0.3 nm\"",
            Some(ax.from.span()),
        );
        return None;
    }
    let n = nodes as usize;
    let Some(refine) = &ax.refine else {
        if let Some(h) = ax.h_min.as_ref().or(ax.growth.as_ref()) {
            cx.push(
                key,
                "h_min and growth grade the spacing towards the refine points; add refine = [\"1 um\"] or remove them",
                Some(h.span()),
            );
            return None;
        }
        return Some(uniform_nodes(from, to, n));
    };
    let mut at = vec![];
    for (i, v) in refine.iter().enumerate() {
        let p = cx.length(v, &format!("{key}.refine[{i}]"))?;
        if p < from || p > to {
            cx.push(
                format!("{key}.refine[{i}]"),
                format!("the refinement point {p:e} m lies outside the axis [{from:e}, {to:e}] m"),
                Some(v.span()),
            );
            return None;
        }
        at.push(p);
    }
    let h_max = (to - from) / (n - 1) as f64;
    let h_min = match &ax.h_min {
        None => h_max / 8.0,
        Some(v) => {
            let h = cx.positive(v, &format!("{key}.h_min"), dims::LENGTH, "h_min")?;
            if h > h_max {
                cx.push(
                    format!("{key}.h_min"),
                    format!("h_min = {h:e} m is above the spacing the node count gives, (to - from)/(nodes - 1) = {h_max:e} m; lower it or use fewer nodes"),
                    Some(v.span()),
                );
                return None;
            }
            h
        }
    };
    let growth = match &ax.growth {
        None => 1.1,
        Some(v) => cx.number(v, &format!("{key}.growth"), "growth = 1.1")?,
    };
    if (to - from) / h_min > 1e8 {
        cx.push(
            format!("{key}.h_min"),
            format!(
                "h_min = {h_min:e} m would put more than 1e8 intervals on the axis; raise h_min"
            ),
            ax.h_min.as_ref().map(|v| v.span()),
        );
        return None;
    }
    match graded_nodes(from, to, &at, h_min, h_max, growth) {
        Ok(x) => Some(x),
        Err(e) => {
            cx.push(key, e.to_string(), Some(a.span()));
            None
        }
    }
}

fn material(r: &RawRegion, key: &str, kind: FieldKind, cx: &mut Ctx) -> Option<RegionMaterial> {
    let wrong = |cx: &mut Ctx, k: &str, v: std::ops::Range<usize>, why: &str| {
        cx.push(format!("{key}.{k}"), why.to_string(), Some(v));
    };
    if let Some(j) = &r.current_density {
        let why = match kind {
            FieldKind::Magnetic => "a region carrying a free current density cannot be modelled by the magnetic scalar potential: H = -grad Phi_M requires curl H = J_free = 0 everywhere in the domain (seed 000's condition). A current needs the vector potential (div(grad A / mu) = -J), which fluxion does not solve yet. Remove current_density, or leave the current-carrying conductor outside the domain (its field enters through the boundary potential)",
            FieldKind::Electric => "electrostatics has no currents (static charges only); remove current_density",
        };
        wrong(cx, "current_density", j.span(), why);
        return None;
    }
    let (elec, mag) = (
        [
            ("permittivity", r.permittivity.as_ref().map(|v| v.span())),
            (
                "charge_density",
                r.charge_density.as_ref().map(|v| v.span()),
            ),
            ("polarization", r.polarization.as_ref().map(|v| v.span())),
        ],
        [
            ("permeability", r.permeability.as_ref().map(|v| v.span())),
            ("magnetization", r.magnetization.as_ref().map(|v| v.span())),
        ],
    );
    let mut bad = false;
    match kind {
        FieldKind::Electric => {
            for (k, s) in mag.iter().cloned() {
                if let Some(s) = s {
                    wrong(cx, k, s, &format!("`{k}` belongs to model = \"magnetostatics\"; an electrostatics region takes permittivity, charge_density, polarization or conductor_potential"));
                    bad = true;
                }
            }
        }
        FieldKind::Magnetic => {
            for (k, s) in elec.iter().cloned() {
                if let Some(s) = s {
                    wrong(cx, k, s, &format!("`{k}` belongs to model = \"electrostatics\"; a magnetostatics region takes permeability, magnetization or conductor_potential (an ideal soft-magnetic pole at a magnetic scalar potential, A)"));
                    bad = true;
                }
            }
        }
    }
    if bad {
        return None;
    }
    if let Some(v) = &r.conductor_potential {
        let others = elec
            .iter()
            .chain(mag.iter())
            .find_map(|(k, s)| s.as_ref().map(|s| (k, s.clone())));
        if let Some((k, s)) = others {
            wrong(cx, k, s, &format!("a conductor (conductor_potential) has no `{k}`: its potential is uniform and the field inside it vanishes; remove one of the two"));
            return None;
        }
        let potential = match kind {
            FieldKind::Electric => cx.bounded(
                v,
                &format!("{key}.conductor_potential"),
                dims::VOLTAGE,
                super::MAX_POTENTIAL,
                "beyond the breakdown of any insulator",
            )?,
            FieldKind::Magnetic => cx.bounded(
                v,
                &format!("{key}.conductor_potential"),
                dims::CURRENT,
                MAX_MAGNETIC_POTENTIAL,
                "a magnetic scalar potential in ampere-turns",
            )?,
        };
        return Some(RegionMaterial::Conductor { potential });
    }
    let relative = match (kind, &r.permittivity, &r.permeability) {
        (FieldKind::Electric, Some(v), _) => {
            let k = format!("{key}.permittivity");
            let e = cx.quantity(v, &k, dims::DIMENSIONLESS)?;
            if !(1.0..=super::MAX_PERMITTIVITY).contains(&e) {
                cx.push(
                    k,
                    format!("the relative permittivity must lie between 1 (vacuum: no medium polarizes less) and {:e}, got {}", super::MAX_PERMITTIVITY, show(v)),
                    Some(v.span()),
                );
                return None;
            }
            e
        }
        (FieldKind::Magnetic, _, Some(v)) => {
            let k = format!("{key}.permeability");
            let e = cx.quantity(v, &k, dims::DIMENSIONLESS)?;
            if !(e > 0.0 && e <= MAX_PERMEABILITY) {
                cx.push(
                    k,
                    format!("the relative permeability must be positive (diamagnets lie just below 1) and at most {MAX_PERMEABILITY:e} (mu-metal about 1e5), got {}", show(v)),
                    Some(v.span()),
                );
                return None;
            }
            e
        }
        _ => 1.0,
    };
    let charge_density = match &r.charge_density {
        None => 0.0,
        Some(v) => cx.bounded(
            v,
            &format!("{key}.charge_density"),
            dims::CHARGE_DENSITY,
            MAX_CHARGE_DENSITY,
            "the conduction-electron charge of a metal is 1.6e10 C/m^3",
        )?,
    };
    let vector = |cx: &mut Ctx,
                  v: &Spanned<Vec<Spanned<Value>>>,
                  k: &str,
                  dim: Dim,
                  max: f64,
                  why: &str|
     -> Option<[f64; 3]> {
        let list = v.get_ref();
        if list.is_empty() || list.len() > 3 {
            cx.push(
                format!("{key}.{k}"),
                format!("`{k}` is a vector of 1 to 3 components in mesh coordinates (x, y, z; (r, z) in axisymmetric meshes), e.g. {k} = [0, \"{}\"]", if dim == dims::SURFACE_CHARGE { "0.1 C/m^2" } else { "1e6 A/m" }),
                Some(v.span()),
            );
            return None;
        }
        let mut out = [0.0; 3];
        for (c, x) in list.iter().enumerate() {
            out[c] = cx.bounded(x, &format!("{key}.{k}[{c}]"), dim, max, why)?;
        }
        Some(out)
    };
    let polarization = match kind {
        FieldKind::Electric => match &r.polarization {
            None => [0.0; 3],
            Some(v) => vector(
                cx,
                v,
                "polarization",
                dims::SURFACE_CHARGE,
                MAX_POLARIZATION,
                "ferroelectrics reach about 1 C/m^2",
            )?,
        },
        FieldKind::Magnetic => match &r.magnetization {
            None => [0.0; 3],
            Some(v) => vector(
                cx,
                v,
                "magnetization",
                PER_METRE_CURRENT,
                MAX_MAGNETIZATION,
                "iron saturates at 1.7e6 A/m",
            )?,
        },
    };
    Some(RegionMaterial::Medium {
        relative,
        charge_density,
        polarization,
    })
}

fn region_shape(
    s: &Spanned<RawShape>,
    key: &str,
    kind: MeshKind,
    cx: &mut Ctx,
) -> Option<RegionShape> {
    let sh = s.get_ref();
    let k = cx.choice(
        &sh.kind,
        &format!("{key}.kind"),
        &["box", "sphere", "circle", "cylinder", "cone", "polygon"],
    )?;
    let span = Some(s.span());
    let need = |cx: &mut Ctx, what: &str, example: &str| {
        cx.push(
            key,
            format!("a {k} needs `{what}`, e.g. {example}"),
            span.clone(),
        );
    };
    let pt = |cx: &mut Ctx,
              v: &Option<Vec<Spanned<Value>>>,
              what: &str,
              example: &str|
     -> Option<[f64; 3]> {
        match v {
            None => {
                need(cx, what, example);
                None
            }
            Some(v) => cx.point(v, &format!("{key}.{what}"), kind, span.clone()),
        }
    };
    let len = |cx: &mut Ctx, v: &Option<Spanned<Value>>, what: &str| -> Option<f64> {
        match v {
            None => {
                need(cx, what, &format!("{what} = \"1 um\""));
                None
            }
            Some(v) => {
                let x = cx.length(v, &format!("{key}.{what}"))?;
                if x < 0.0 {
                    cx.push(
                        format!("{key}.{what}"),
                        format!("{what} cannot be negative ({})", show(v)),
                        Some(v.span()),
                    );
                    return None;
                }
                Some(x)
            }
        }
    };
    let e = |p: [f64; 3]| embed(kind, p);
    let degenerate = |cx: &mut Ctx| {
        cx.push(key, format!("this {k} is empty or degenerate: check that sizes are positive and lo < hi in every coordinate"), span.clone());
    };
    let dim = kind.dim();
    let shape: Arc<dyn Shape> = match k {
        "box" => {
            let lo = pt(cx, &sh.lo, "lo", "lo = [\"0 um\", \"0 um\"]")?;
            let hi = pt(cx, &sh.hi, "hi", "hi = [\"1 um\", \"1 um\"]")?;
            // Unused embedded axes are unbounded.
            let (mut l, mut h) = (e(lo), e(hi));
            for c in 0..3 {
                let used = match kind {
                    MeshKind::Axisymmetric => c != 1,
                    _ => c < dim,
                };
                if !used {
                    l[c] = f64::NEG_INFINITY;
                    h[c] = f64::INFINITY;
                }
            }
            if kind == MeshKind::Axisymmetric {
                // A box in (r, z) is a ring: the solid of revolution of the rectangle.
                let poly = Polygon::new(vec![
                    [lo[0], lo[1]],
                    [hi[0], lo[1]],
                    [hi[0], hi[1]],
                    [lo[0], hi[1]],
                ]);
                match poly
                    .ok()
                    .and_then(|p| Revolved::new([0.0; 3], [0.0, 0.0, 1.0], p).ok())
                {
                    Some(r) if lo[0] >= 0.0 && lo[0] < hi[0] && lo[1] < hi[1] => Arc::new(r),
                    _ => {
                        degenerate(cx);
                        return None;
                    }
                }
            } else {
                match Cuboid::new(l, h) {
                    Some(b) => Arc::new(b),
                    None => {
                        degenerate(cx);
                        return None;
                    }
                }
            }
        }
        "sphere" | "circle" => {
            if k == "circle" && kind != MeshKind::Cartesian2d {
                cx.push(format!("{key}.kind"), "a circle is a 2D Cartesian shape (an infinite cylinder along z); use a sphere, cylinder or cone on this mesh", Some(sh.kind.span()));
                return None;
            }
            if k == "sphere" && kind == MeshKind::Cartesian2d {
                cx.push(format!("{key}.kind"), "a 2D Cartesian mesh is the cross-section of objects infinite along z: a round one is a \"circle\"", Some(sh.kind.span()));
                return None;
            }
            let c = pt(cx, &sh.centre, "centre", "centre = [\"0 um\", \"0 um\"]")?;
            if kind == MeshKind::Axisymmetric && c[0] != 0.0 {
                cx.push(
                    format!("{key}.centre"),
                    "an axisymmetric sphere is centred on the axis: its r coordinate must be 0",
                    span,
                );
                return None;
            }
            let r = len(cx, &sh.radius, "radius")?;
            match Sphere::new(e(c), r) {
                Some(s) => Arc::new(s),
                None => {
                    degenerate(cx);
                    return None;
                }
            }
        }
        "cylinder" | "cone" => {
            if kind == MeshKind::Cartesian2d || dim == 1 {
                cx.push(format!("{key}.kind"), format!("a {k} needs an axisymmetric or 3D mesh (in 2D use a box, circle or polygon)"), Some(sh.kind.span()));
                return None;
            }
            let b = pt(cx, &sh.base, "base", "base = [\"0 um\", \"0 um\"]")?;
            let t = pt(cx, &sh.top, "top", "top = [\"0 um\", \"1 um\"]")?;
            if kind == MeshKind::Axisymmetric && (b[0] != 0.0 || t[0] != 0.0) {
                cx.push(key, "in an axisymmetric mesh the axis of a cylinder or cone is the z axis: base and top have r = 0", span);
                return None;
            }
            let made = if k == "cylinder" {
                let r = len(cx, &sh.radius, "radius")?;
                Revolved::cylinder(e(b), e(t), r)
            } else {
                let rb = len(cx, &sh.r_base, "r_base")?;
                let rt = len(cx, &sh.r_top, "r_top")?;
                Revolved::cone(e(b), e(t), rb, rt)
            };
            match made {
                Some(s) => Arc::new(s),
                None => {
                    degenerate(cx);
                    return None;
                }
            }
        }
        _ => {
            if dim == 1 {
                cx.push(
                    format!("{key}.kind"),
                    "a polygon needs a 2D, axisymmetric or 3D mesh; in 1D use a box",
                    Some(sh.kind.span()),
                );
                return None;
            }
            let Some(vs) = &sh.vertices else {
                need(
                    cx,
                    "vertices",
                    "vertices = [[\"0 um\", \"0 um\"], [\"1 um\", \"0 um\"], [\"0 um\", \"1 um\"]]",
                );
                return None;
            };
            let mut v2 = vec![];
            for (i, v) in vs.iter().enumerate() {
                if v.get_ref().len() != 2 {
                    cx.push(
                        format!("{key}.vertices[{i}]"),
                        "a polygon vertex has 2 coordinates (x, y; (r, z) in axisymmetric meshes)",
                        Some(v.span()),
                    );
                    return None;
                }
                let x = cx.length(&v.get_ref()[0], &format!("{key}.vertices[{i}][0]"))?;
                let y = cx.length(&v.get_ref()[1], &format!("{key}.vertices[{i}][1]"))?;
                v2.push([x, y]);
            }
            let poly = match Polygon::new(v2) {
                Ok(p) => p,
                Err(err) => {
                    cx.push(format!("{key}.vertices"), err.to_string(), span);
                    return None;
                }
            };
            match kind {
                MeshKind::Axisymmetric => match Revolved::new([0.0; 3], [0.0, 0.0, 1.0], poly) {
                    Ok(r) => Arc::new(r),
                    Err(err) => {
                        cx.push(
                            format!("{key}.vertices"),
                            format!("{err} (vertices are (r, z) with r >= 0)"),
                            span,
                        );
                        return None;
                    }
                },
                MeshKind::Cartesian3d => {
                    let Some(z) = &sh.z else {
                        need(
                            cx,
                            "z",
                            "z = [\"0 um\", \"1 um\"] (the range the polygon is extruded over)",
                        );
                        return None;
                    };
                    if z.len() != 2 {
                        cx.push(
                            format!("{key}.z"),
                            "z is the range [z0, z1] of the extrusion",
                            span,
                        );
                        return None;
                    }
                    let z0 = cx.length(&z[0], &format!("{key}.z[0]"))?;
                    let z1 = cx.length(&z[1], &format!("{key}.z[1]"))?;
                    match Extruded::new(poly, z0, z1) {
                        Some(x) => Arc::new(x),
                        None => {
                            degenerate(cx);
                            return None;
                        }
                    }
                }
                _ => Arc::new(poly),
            }
        }
    };
    // Keys that this kind does not use.
    let used: &[&str] = match k {
        "box" => &["lo", "hi"],
        "sphere" | "circle" => &["centre", "radius"],
        "cylinder" => &["base", "top", "radius"],
        "cone" => &["base", "top", "r_base", "r_top"],
        _ => &["vertices", "z"],
    };
    let present = [
        ("lo", sh.lo.is_some()),
        ("hi", sh.hi.is_some()),
        ("centre", sh.centre.is_some()),
        ("radius", sh.radius.is_some()),
        ("base", sh.base.is_some()),
        ("top", sh.top.is_some()),
        ("r_base", sh.r_base.is_some()),
        ("r_top", sh.r_top.is_some()),
        ("vertices", sh.vertices.is_some()),
        ("z", sh.z.is_some()),
    ];
    for (name, p) in present {
        if p && !used.contains(&name) {
            cx.push(
                format!("{key}.{name}"),
                format!("a {k} takes {}; remove `{name}`", used.join(", ")),
                span.clone(),
            );
            return None;
        }
    }
    Some(RegionShape {
        shape,
        kind: k.to_string(),
    })
}

fn patch_condition(
    p: &RawPatch,
    key: &str,
    kind: FieldKind,
    mesh: &Mesh,
    idx: usize,
    cx: &mut Ctx,
) -> Option<PatchCondition> {
    let given: Vec<(&str, std::ops::Range<usize>)> = [
        ("potential", p.potential.as_ref().map(|v| v.span())),
        (
            "surface_charge",
            p.surface_charge.as_ref().map(|v| v.span()),
        ),
        ("charge", p.charge.as_ref().map(|v| v.span())),
        ("natural", p.natural.as_ref().map(|v| v.span())),
    ]
    .into_iter()
    .filter_map(|(k, s)| s.map(|s| (k, s)))
    .collect();
    if given.len() != 1 {
        cx.push(
            key,
            format!(
                "give exactly one of potential, surface_charge, charge or natural = true for patch \"{}\"{}",
                p.name.get_ref(),
                if given.is_empty() { String::new() } else { format!(" (found {})", given.iter().map(|g| g.0).collect::<Vec<_>>().join(", ")) }
            ),
            Some(p.name.span()),
        );
        return None;
    }
    if kind == FieldKind::Magnetic && (p.surface_charge.is_some() || p.charge.is_some()) {
        cx.push(
            format!("{key}.{}", given[0].0),
            "magnetostatics has no free magnetic charge (div B = 0): a patch takes potential (the magnetic scalar potential, A) or natural = true",
            Some(given[0].1.clone()),
        );
        return None;
    }
    if let Some(v) = &p.potential {
        let x = match kind {
            FieldKind::Electric => cx.bounded(
                v,
                &format!("{key}.potential"),
                dims::VOLTAGE,
                super::MAX_POTENTIAL,
                "beyond the breakdown of any insulator",
            )?,
            FieldKind::Magnetic => cx.bounded(
                v,
                &format!("{key}.potential"),
                dims::CURRENT,
                MAX_MAGNETIC_POTENTIAL,
                "a magnetic scalar potential in ampere-turns",
            )?,
        };
        return Some(PatchCondition::Potential(x));
    }
    if let Some(v) = &p.surface_charge {
        let s = cx.bounded(
            v,
            &format!("{key}.surface_charge"),
            dims::SURFACE_CHARGE,
            super::MAX_SURFACE_CHARGE,
            "one charge per 0.08 nm^2, denser than any ion monolayer",
        )?;
        return Some(PatchCondition::SurfaceCharge(s));
    }
    if let Some(v) = &p.charge {
        let q = cx.bounded(
            v,
            &format!("{key}.charge"),
            dims::CHARGE,
            MAX_PATCH_CHARGE,
            "a coulomb on an isolated body is far above any breakdown",
        )?;
        let area: f64 = mesh
            .patch_faces()
            .iter()
            .filter(|f| f.patch as usize == idx)
            .map(|f| f.area)
            .sum();
        if area.is_nan() || area <= 0.0 {
            cx.push(
                format!("{key}.charge"),
                format!(
                    "patch \"{}\" has zero area (the axis?): it cannot carry a charge",
                    p.name.get_ref()
                ),
                Some(v.span()),
            );
            return None;
        }
        let sigma = q / area;
        if sigma.abs() > super::MAX_SURFACE_CHARGE {
            cx.push(format!("{key}.charge"), format!("{} spread over the {area:e} m^2 of patch \"{}\" is {sigma:e} C/m^2, above {} C/m^2 (denser than any ion monolayer); check the unit", show(v), p.name.get_ref(), super::MAX_SURFACE_CHARGE), Some(v.span()));
            return None;
        }
        return Some(PatchCondition::SurfaceCharge(sigma));
    }
    Some(PatchCondition::Natural)
}

fn build_outputs(
    o: Option<&RawOutput>,
    kind: MeshKind,
    axes: &[Vec<f64>],
    cx: &mut Ctx,
) -> Option<StaticOutputs> {
    let mut out = StaticOutputs {
        vtk: true,
        npy: true,
        lines: vec![],
        probes: vec![],
        vacuum_reference: false,
    };
    let Some(o) = o else { return Some(out) };
    let inside = |p: [f64; 3]| {
        axes.iter()
            .enumerate()
            .all(|(c, a)| p[c] >= a[0] && p[c] <= a[a.len() - 1])
    };
    let bounds = || {
        axes.iter()
            .zip(kind.axes())
            .map(|(a, n)| format!("{n} in [{:e}, {:e}] m", a[0], a[a.len() - 1]))
            .collect::<Vec<_>>()
            .join(", ")
    };
    if let Some(f) = &o.formats {
        out.vtk = false;
        out.npy = false;
        for (i, v) in f.iter().enumerate() {
            match cx.choice(v, &format!("output.formats[{i}]"), &["vtk", "npy"]) {
                Some("vtk") => out.vtk = true,
                Some(_) => out.npy = true,
                None => {}
            }
        }
    }
    out.vacuum_reference = o.vacuum_reference.unwrap_or(false);
    let mut names: Vec<String> = vec![];
    let mut name_ok = |cx: &mut Ctx, n: &Spanned<String>, key: String| -> bool {
        let s = n.get_ref();
        if s.is_empty()
            || !s
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        {
            cx.push(
                key,
                format!("\"{s}\" names a file: use letters, digits, '_' or '-'"),
                Some(n.span()),
            );
            return false;
        }
        if names.contains(s) {
            cx.push(key, format!("\"{s}\" is used twice"), Some(n.span()));
            return false;
        }
        names.push(s.clone());
        true
    };
    for (i, l) in o.line.iter().enumerate() {
        let key = format!("output.line[{i}]");
        let ll = l.get_ref();
        if !name_ok(cx, &ll.name, format!("{key}.name")) {
            continue;
        }
        let a = cx.point(&ll.from, &format!("{key}.from"), kind, Some(l.span()));
        let b = cx.point(&ll.to, &format!("{key}.to"), kind, Some(l.span()));
        let points = match &ll.points {
            None => Some(201),
            Some(v) => match cx.integer(v, &format!("{key}.points"), "points = 201") {
                Some(n) if (2..=1_000_000).contains(&n) => Some(n as usize),
                Some(n) => {
                    cx.push(
                        format!("{key}.points"),
                        format!("{n} points: use 2 to 1e6"),
                        Some(v.span()),
                    );
                    None
                }
                None => None,
            },
        };
        let (Some(a), Some(b), Some(points)) = (a, b, points) else {
            continue;
        };
        for (p, w) in [(a, "from"), (b, "to")] {
            if !inside(p) {
                cx.push(
                    format!("{key}.{w}"),
                    format!("the point {p:?} m lies outside the mesh ({})", bounds()),
                    Some(l.span()),
                );
            }
        }
        out.lines.push(Line::new(ll.name.get_ref(), a, b, points));
    }
    for (i, p) in o.probe.iter().enumerate() {
        let key = format!("output.probe[{i}]");
        let pp = p.get_ref();
        if !name_ok(cx, &pp.name, format!("{key}.name")) {
            continue;
        }
        let Some(at) = cx.point(&pp.at, &format!("{key}.at"), kind, Some(p.span())) else {
            continue;
        };
        if !inside(at) {
            cx.push(
                format!("{key}.at"),
                format!("the point {at:?} m lies outside the mesh ({})", bounds()),
                Some(p.span()),
            );
            continue;
        }
        out.probes.push(Probe {
            name: pp.name.get_ref().clone(),
            at,
        });
    }
    Some(out)
}

// ---------------------------------------------------------------------------------------
// Mesh
// ---------------------------------------------------------------------------------------

/// Shapes painted in order over a background (the last shape containing a point wins).
struct Painted<'a> {
    names: &'a [String],
    shapes: &'a [(u16, RegionShape)],
    background: u16,
    interfaces: Vec<Interface>,
}

impl RegionMap for Painted<'_> {
    fn names(&self) -> &[String] {
        self.names
    }
    fn label(&self, p: [f64; 3]) -> u16 {
        self.shapes
            .iter()
            .rev()
            .find(|(_, s)| s.shape.inside(p))
            .map_or(self.background, |(r, _)| *r)
    }
    fn breaks(&self, p0: [f64; 3], p1: [f64; 3], out: &mut Vec<f64>) {
        for (_, s) in self.shapes {
            s.shape.crossings(p0, p1, out);
        }
    }
    fn interfaces(&self) -> &[Interface] {
        &self.interfaces
    }
    fn uniform_label(&self, lo: [f64; 3], hi: [f64; 3]) -> Option<u16> {
        for (r, s) in self.shapes.iter().rev() {
            match s.shape.classify(lo, hi) {
                Cover::Inside => return Some(*r),
                Cover::Mixed => return None,
                Cover::Outside => {}
            }
        }
        Some(self.background)
    }
}

fn build_mesh(
    kind: MeshKind,
    axes: &[Vec<f64>],
    map: &Painted,
    span: &Spanned<RawMesh>,
    cx: &mut Ctx,
) -> Option<Mesh> {
    let built = match kind {
        MeshKind::Cylindrical | MeshKind::Spherical => {
            let g = if kind == MeshKind::Spherical {
                Geometry::Spherical
            } else {
                Geometry::Cylindrical
            };
            let r0 = axes[0][0];
            let x: Vec<f64> = axes[0].iter().map(|r| r - r0).collect();
            match Grid::from_nodes(g, r0, x) {
                Ok(grid) => grid_mesh(&grid, map).map(|mut m| {
                    rename_patches(&mut m);
                    m
                }),
                Err(e) => {
                    cx.push("mesh.r", e.to_string(), Some(span.span()));
                    return None;
                }
            }
        }
        MeshKind::Planar => {
            TensorGrid::area_profile(&axes[0], |_| 1.0).and_then(|g| g.mesh_with(map))
        }
        MeshKind::Cartesian2d => {
            TensorGrid::cartesian_2d(&axes[0], &axes[1]).and_then(|g| g.mesh_with(map))
        }
        MeshKind::Axisymmetric => {
            TensorGrid::axisymmetric(&axes[0], &axes[1]).and_then(|g| g.mesh_with(map))
        }
        MeshKind::Cartesian3d => {
            TensorGrid::cartesian_3d(&axes[0], &axes[1], &axes[2]).and_then(|g| g.mesh_with(map))
        }
    };
    match built {
        Ok(m) => Some(m),
        Err(e) => {
            cx.push("mesh", e.to_string(), Some(span.span()));
            None
        }
    }
}

/// 1D radial meshes name their ends `left` and `right`: the scenario calls them `rmin`
/// and `rmax` (the patch order is kept, so nothing else changes).
fn rename_patches(m: &mut Mesh) {
    let mut parts = m.parts().clone();
    for p in &mut parts.patches {
        match p.name.as_str() {
            "left" => p.name = "rmin".into(),
            "right" => p.name = "rmax".into(),
            _ => {}
        }
    }
    if let Ok(new) = Mesh::new(m.coordinates(), parts) {
        *m = new;
    }
}

// ---------------------------------------------------------------------------------------
// Run
// ---------------------------------------------------------------------------------------

impl From<PotentialError> for RunError {
    fn from(e: PotentialError) -> Self {
        RunError::Potential(e)
    }
}

/// The units of a static-field run.
struct Units {
    potential: &'static str,
    field: &'static str,
    flux: &'static str,
    density: &'static str,
}

fn units(kind: FieldKind) -> Units {
    match kind {
        FieldKind::Electric => Units {
            potential: "V",
            field: "V_m",
            flux: "C",
            density: "C_m2",
        },
        FieldKind::Magnetic => Units {
            potential: "A",
            field: "A_m",
            flux: "Wb",
            density: "T",
        },
    }
}

/// Solve a static-field scenario and render `summary.json`, `fields.vtr` (or `.vtu`),
/// `potential.npy`, `field.npy` and one `line_<name>.csv` per line cut.
pub fn run_static(s: &StaticScenario, progress: &mut dyn Progress) -> Result<RunReport, RunError> {
    let start = Instant::now();
    progress.update(0.0, "solving");
    let p = &s.problem;
    let sol = solve_potential(p)?;
    progress.update(0.7, "post-processing");
    let mesh = &*p.mesh;
    let u = units(p.kind);
    let mut files = vec![];
    let pot_name = match p.kind {
        FieldKind::Electric => "potential",
        FieldKind::Magnetic => "magnetic_potential",
    };
    let field_name = match p.kind {
        FieldKind::Electric => "E",
        FieldKind::Magnetic => "H",
    };
    let pot_unit = u.potential;
    let field_unit = if p.kind == FieldKind::Electric {
        "V/m"
    } else {
        "A/m"
    };
    let region: Vec<f64> = (0..mesh.nodes())
        .map(|i| {
            mesh.volume_parts(i)
                .iter()
                .fold((0u16, -1.0), |a, &(r, v)| if v > a.1 { (r, v) } else { a })
                .0 as f64
        })
        .collect();
    let fields = [
        NodeField::scalar(pot_name, pot_unit, &sol.potential),
        NodeField::vector(field_name, field_unit, &sol.field),
        NodeField::scalar("region", "1", &region),
    ];
    let out_err = |e: crate::output::FieldOutputError| RunError::Output(e.to_string());
    if s.outputs.vtk {
        let doc = vtk_document(mesh, &fields).map_err(out_err)?;
        files.push(OutputFile::text(
            &format!("fields.{}", doc.kind.extension()),
            doc.xml,
        ));
    }
    if s.outputs.npy {
        files.push(OutputFile {
            name: "potential.npy".into(),
            bytes: node_field_npy(mesh, &fields[0]).map_err(out_err)?,
        });
        files.push(OutputFile {
            name: "field.npy".into(),
            bytes: node_field_npy(mesh, &fields[1]).map_err(out_err)?,
        });
    }
    for l in &s.outputs.lines {
        files.push(OutputFile::text(
            &format!("line_{}.csv", l.name),
            line_cut_csv(mesh, &fields[..2], l).map_err(out_err)?,
        ));
    }
    let mut summary = summary_json(s, &sol, &u)?;
    if s.outputs.vacuum_reference {
        progress.update(0.8, "vacuum reference");
        let mut vac = p.clone();
        for m in &mut vac.materials {
            if let RegionMaterial::Medium {
                relative,
                polarization,
                ..
            } = m
            {
                *relative = 1.0;
                *polarization = [0.0; 3];
            }
        }
        let v = solve_potential(&vac)?;
        let d = sol.energy - v.energy;
        summary["vacuum_reference"] = json!({
            "energy_vacuum_J": v.energy,
            "energy_difference_J": d,
            "energy_difference_kJ_per_mol": d * AVOGADRO / 1e3,
            "note": "energy of this run minus the same run with every medium replaced by vacuum (relative coefficient 1, no fixed polarization): for an ion, the Born solvation energy",
        });
    }
    summary["wall_time_s"] = json!(start.elapsed().as_secs_f64());
    files.push(OutputFile::text(
        "summary.json",
        serde_json::to_string_pretty(&summary).expect("JSON values serialize"),
    ));
    progress.update(1.0, "done");
    Ok(RunReport { files, summary })
}

fn summary_json(s: &StaticScenario, sol: &PotentialSolution, u: &Units) -> Result<Json, RunError> {
    let p = &s.problem;
    let mesh = &*p.mesh;
    let model = match p.kind {
        FieldKind::Electric => "electrostatics",
        FieldKind::Magnetic => "magnetostatics",
    };
    // Conductors (regions) and patches.
    let mut conductors = Map::new();
    let mut terminals: Vec<(f64, f64)> = vec![]; // (potential, charge)
    for c in &sol.conductors {
        let r = mesh.region_index(&c.name).map(|r| r as usize);
        let v = match r.map(|r| p.materials[r]) {
            Some(RegionMaterial::Conductor { potential }) => potential,
            _ => f64::NAN,
        };
        conductors.insert(
            c.name.clone(),
            json!({ format!("potential_{}", u.potential): v, format!("charge_{}", u.flux): c.flux }),
        );
        terminals.push((v, c.flux));
    }
    let mut patches = Map::new();
    for (i, f) in sol.patches.iter().enumerate() {
        let name = &s.patch_names[i];
        let mut o = Map::new();
        let area: f64 = mesh
            .patch_faces()
            .iter()
            .filter(|pf| pf.patch as usize == i)
            .map(|pf| pf.area)
            .sum();
        o.insert("area_m2".into(), json!(area));
        match p.patches[i] {
            PatchCondition::Potential(v) => {
                o.insert("condition".into(), json!("potential"));
                o.insert(format!("potential_{}", u.potential), json!(v));
                // The charge on an electrode is minus the outward flux of D through the
                // domain boundary there.
                o.insert(format!("charge_{}", u.flux), json!(-f.flux));
                terminals.push((v, -f.flux));
            }
            PatchCondition::SurfaceCharge(sig) => {
                o.insert("condition".into(), json!("surface_charge"));
                o.insert("surface_charge_C_m2".into(), json!(sig));
                o.insert("charge_C".into(), json!(sig * area));
            }
            _ => {
                o.insert("condition".into(), json!("natural"));
            }
        }
        o.insert(format!("outward_flux_{}", u.flux), json!(f.flux));
        patches.insert(name.clone(), Json::Object(o));
    }
    // Capacitance: exactly two distinct terminal potentials and no fixed sources.
    let sources = p.materials.iter().any(|m| {
        matches!(m, RegionMaterial::Medium { charge_density, polarization, .. } if *charge_density != 0.0 || *polarization != [0.0; 3])
    }) || p
        .patches
        .iter()
        .any(|c| matches!(c, PatchCondition::SurfaceCharge(s) if *s != 0.0));
    let mut levels: Vec<f64> = terminals.iter().map(|t| t.0).collect();
    levels.sort_by(f64::total_cmp);
    levels.dedup();
    let capacitance = (p.kind == FieldKind::Electric && !sources && levels.len() == 2).then(|| {
        let hi = levels[1];
        let q: f64 = terminals.iter().filter(|t| t.0 == hi).map(|t| t.1).sum();
        q / (levels[1] - levels[0])
    });
    // Probes.
    let mut probes = Map::new();
    if !s.outputs.probes.is_empty() {
        let axes = TensorAxes::of(mesh, "a probe").map_err(|e| RunError::Output(e.to_string()))?;
        let dim = mesh.dim();
        for pr in &s.outputs.probes {
            let Some(at) = axes.locate(pr.at) else {
                continue;
            };
            let phi = axes.interpolate(&at, |i| sol.potential[i]);
            let f: Vec<f64> = (0..dim)
                .map(|c| axes.interpolate(&at, |i| sol.field[i][c]))
                .collect();
            let r = s.region_at(pr.at) as usize;
            let (flux_density, name) = match p.materials[r] {
                RegionMaterial::Medium {
                    relative,
                    polarization,
                    ..
                } => match p.kind {
                    FieldKind::Electric => (
                        (0..dim)
                            .map(|c| VACUUM_PERMITTIVITY * relative * f[c] + polarization[c])
                            .collect::<Vec<f64>>(),
                        "D_C_m2",
                    ),
                    FieldKind::Magnetic => (
                        (0..dim)
                            .map(|c| VACUUM_PERMEABILITY * (relative * f[c] + polarization[c]))
                            .collect(),
                        "B_T",
                    ),
                },
                RegionMaterial::Conductor { .. } => (
                    vec![0.0; dim],
                    if p.kind == FieldKind::Electric {
                        "D_C_m2"
                    } else {
                        "B_T"
                    },
                ),
                #[allow(unreachable_patterns)]
                _ => (vec![f64::NAN; dim], "flux_density"),
            };
            let _ = u.density;
            probes.insert(
                pr.name.clone(),
                json!({
                    "at_m": &pr.at[..dim],
                    "region": mesh.regions()[r],
                    format!("potential_{}", u.potential): phi,
                    format!("field_{}", u.field): f,
                    name: flux_density,
                }),
            );
        }
    }
    let shape = mesh.shape().map(|sh| sh[..mesh.dim()].to_vec());
    Ok(json!({
        "model": model,
        "title": s.title,
        "mesh": {
            "kind": s.mesh_kind.name(),
            "nodes": mesh.nodes(),
            "shape": shape,
            "faces": mesh.faces(),
            "regions": mesh.regions(),
            "extent": s.mesh_kind.extent(),
        },
        "solver": { "linear": s.linear, "used": sol.solver },
        "energy_J": sol.energy,
        "conductors": conductors,
        "patches": patches,
        "capacitance_F": capacitance,
        "probes": probes,
        "memory_estimate_bytes": s.memory_estimate,
        "warnings": s.warnings,
    }))
}

#[cfg(test)]
#[path = "potential_tests.rs"]
mod tests;
