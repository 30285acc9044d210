//! The geometry part of a scenario file, shared by every scenario type on general meshes
//! (the static fields of [`super::potential`], and Poisson-Nernst-Planck on the same meshes):
//! `[mesh]`, the `[background]` and `[[region]]` tables with their shapes, and the interface
//! patches (`[[patch]] surface_of = "region"`), parsed into a [`Mesh`] with named regions and
//! patches.
//!
//! # Entry points
//! - [`RawMesh`] and [`RawShape`]: the raw (serde) tables of `[mesh]` and of a region's
//!   `shape`, to embed in a scenario's own raw schema (`mesh: Spanned<RawMesh>`; a region
//!   table has `name: Option<Spanned<String>>` and `shape: Option<Spanned<RawShape>>` beside
//!   its own physical keys, and implements [`RegionKeys`]; a patch table has
//!   `name: Spanned<String>` and `surface_of: Option<Spanned<String>>` and implements
//!   [`PatchKeys`]).
//! - [`parse_geometry`]: validates the mesh axes and the regions, checks the memory budget
//!   *before* anything large is allocated, and builds the mesh (regions painted in order
//!   over the background, the last shape containing a point wins; cut-edge fractions at the
//!   shape boundaries). It calls back once per region (background first) where the scenario
//!   reads that region's own keys, so issues come out in file order.
//! - [`ScenarioGeometry::patch_slots`]: resolves the `name` of every `[[patch]]` to a mesh
//!   patch (unknown and repeated names reported with the list of patches); then the
//!   scenario reads its own conditions per patch.
//! - [`keyed`]: resolves the keys of a keyed table (`{ "K+" = "1 M", ... }`, keys naming
//!   species, regions or patches) against a list of names, reporting unknown keys.
//!
//! Coordinates are mesh coordinates in metres; shapes are evaluated at the embedded 3D point
//! ([`MeshKind::embed`]: `(r, z)` is `(r, 0, z)`).

mod axes;
mod delaunay;
mod shape;

use std::sync::Arc;

use serde::Deserialize;
use toml::{Spanned, Value};

use super::{show, Ctx};
use crate::mesh::{
    grid_mesh, Cover, Geometry, Grid, Interface, Mesh, RegionMap, Shape, TensorGrid,
    TriangleLocator,
};

use axes::build_axes;
pub(crate) use shape::region_shape;

// ---------------------------------------------------------------------------------------
// Raw schema
// ---------------------------------------------------------------------------------------

/// The `[mesh]` table: a kind and its axes, each `{ from, to, nodes, refine, h_min,
/// growth }`; or `kind = "delaunay"` with `coordinates`, `outer`, `h` and `h_surface`
/// (see `delaunay`).
#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawMesh {
    kind: Spanned<String>,
    x: Option<Spanned<RawAxis>>,
    y: Option<Spanned<RawAxis>>,
    z: Option<Spanned<RawAxis>>,
    r: Option<Spanned<RawAxis>>,
    coordinates: Option<Spanned<String>>,
    outer: Option<Spanned<delaunay::RawOuter>>,
    h: Option<Spanned<Value>>,
    h_surface: Option<Spanned<Value>>,
    near: Option<Vec<Spanned<delaunay::RawNear>>>,
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

/// The `shape` table of a region: `kind` (box, sphere, circle, cylinder, cone, polygon) and
/// the keys of that kind.
#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawShape {
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

/// The geometric keys of a region table (`[background]` or `[[region]]`) of any scenario
/// type; the other keys are the scenario's own.
pub(crate) trait RegionKeys {
    /// `name`.
    fn name(&self) -> Option<&Spanned<String>>;
    /// `shape` (the background has none).
    fn shape(&self) -> Option<&Spanned<RawShape>>;
}

/// The geometric keys of a `[[patch]]` table of any scenario type.
pub(crate) trait PatchKeys {
    /// `name`: a boundary patch of the mesh kind, or the name given to an interface.
    fn name(&self) -> &Spanned<String>;
    /// `surface_of`: the region whose surface this interface patch is.
    fn surface_of(&self) -> Option<&Spanned<String>>;
}

// ---------------------------------------------------------------------------------------
// Validated geometry
// ---------------------------------------------------------------------------------------

/// The kind of mesh of a scenario on a general mesh.
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

    /// Mesh coordinates to the embedded 3D point where shapes are evaluated: `(r, z)` is
    /// `(r, 0, z)`, everything else is itself.
    pub fn embed(self, p: [f64; 3]) -> [f64; 3] {
        match self {
            MeshKind::Axisymmetric => [p[0], 0.0, p[1]],
            _ => p,
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
    /// Embedded centre and radius of a sphere or circle (what a Delaunay mesh follows).
    pub round: Option<([f64; 3], f64)>,
}

/// The memory budget of a run, checked against the node count before the mesh is built.
pub(crate) struct Budget<'a> {
    /// `memory_limit_gb` as written (in the scenario's `[solver]`), if given.
    pub memory_limit_gb: Option<&'a Spanned<Value>>,
    /// The scenario's peak-memory estimate, bytes, for `(nodes, dim)`.
    pub estimate: fn(usize, usize) -> f64,
}

/// The validated geometry of a scenario: the mesh with its region and patch names.
#[derive(Clone, Debug)]
pub(crate) struct ScenarioGeometry {
    /// Mesh kind.
    pub kind: MeshKind,
    /// Node coordinates of every axis, in mesh order.
    pub axes: Vec<Vec<f64>>,
    /// The mesh. Its regions (`mesh.regions()`) are the background (index 0) and the
    /// `[[region]]` tables in file order; its patch `k` is `patch_names[k]`, of kind
    /// `mesh.patches()[k].kind` (boundary, or interface for `surface_of`).
    pub mesh: Mesh,
    /// Region shapes in painting order (`(region index, shape)`).
    pub shapes: Vec<(u16, RegionShape)>,
    /// Index of the background region (0).
    pub background: u16,
    /// Scenario names of the mesh patches, in mesh patch order: the boundary patches of
    /// the kind, then the interfaces (`surface_of`).
    pub patch_names: Vec<String>,
    /// Whether this is an `(r, z)` mesh whose `r` starts at 0: patch 0 is then the axis.
    pub r0_is_axis: bool,
    /// Whether the mesh is a Delaunay-Voronoi mesh (`kind = "delaunay"`; `axes` are then
    /// its bounding box, and it has no tensor shape).
    pub delaunay: bool,
    /// The triangles of a Delaunay-Voronoi mesh, for point location and interpolation.
    pub triangles: Option<Arc<TriangleLocator>>,
    /// The memory estimate of the budget, bytes.
    pub memory_estimate: f64,
}

/// Parse `[mesh]`, the regions and the interface patches into a [`ScenarioGeometry`].
///
/// `on_region(cx, key, table)` is called once per region where its own keys are read:
/// first the background (`key = "background"`, `table = None` when there is no
/// `[background]`), then every `[[region]]` (`key = "region[i]"`) after its name is
/// checked and before its shape. It returns whether the region's keys were valid; an
/// invalid background stops the parse at once. Issues go to `cx`; `None` when any was
/// found (the mesh is then not built).
pub(crate) fn parse_geometry<R: RegionKeys, P: PatchKeys>(
    mesh: &Spanned<RawMesh>,
    background: Option<&Spanned<R>>,
    regions: &[Spanned<R>],
    patches: &[Spanned<P>],
    budget: Budget,
    cx: &mut Ctx,
    mut on_region: impl FnMut(&mut Ctx, &str, Option<&R>) -> bool,
) -> Option<ScenarioGeometry> {
    let m = mesh.get_ref();
    let mut delaunay = None;
    let kind = match cx.choice(
        &m.kind,
        "mesh.kind",
        &[
            "planar",
            "cylindrical",
            "spherical",
            "cartesian2d",
            "axisymmetric",
            "cartesian3d",
            "delaunay",
        ],
    )? {
        "planar" => MeshKind::Planar,
        "cylindrical" => MeshKind::Cylindrical,
        "spherical" => MeshKind::Spherical,
        "cartesian2d" => MeshKind::Cartesian2d,
        "axisymmetric" => MeshKind::Axisymmetric,
        "cartesian3d" => MeshKind::Cartesian3d,
        _ => {
            let d = delaunay::parse(m, mesh, cx)?;
            let k = d.kind;
            delaunay = Some(d);
            k
        }
    };
    if delaunay.is_none() {
        for (k, v) in [
            ("coordinates", m.coordinates.as_ref().map(|v| v.span())),
            ("outer", m.outer.as_ref().map(|v| v.span())),
            ("h", m.h.as_ref().map(|v| v.span())),
            ("h_surface", m.h_surface.as_ref().map(|v| v.span())),
        ] {
            if let Some(sp) = v {
                cx.push(
                    format!("mesh.{k}"),
                    format!("`{k}` belongs to kind = \"delaunay\"; a {} mesh is given by its axes: remove it", kind.name()),
                    Some(sp),
                );
            }
        }
    }
    let limit = memory_limit(budget.memory_limit_gb, cx);
    let axes = match &delaunay {
        Some(d) => Some(d.bounds()),
        None => build_axes(m, kind, mesh, cx),
    };
    // Regions: the background, then the painted ones.
    let mut names: Vec<String> = vec![];
    let mut shapes: Vec<(u16, RegionShape)> = vec![];
    let bg_name = background
        .and_then(|b| b.get_ref().name())
        .map_or("background".to_string(), |n| n.get_ref().clone());
    names.push(bg_name);
    match background {
        None => {
            on_region(cx, "background", None);
        }
        Some(b) => {
            if let Some(s) = b.get_ref().shape() {
                cx.push(
                    "background.shape",
                    "the background fills everything the [[region]] shapes do not cover; it has no shape (move this shape into a [[region]])",
                    Some(s.span()),
                );
            }
            if !on_region(cx, "background", Some(b.get_ref())) {
                return None;
            }
        }
    }
    let mut ok = true;
    for (i, r) in regions.iter().enumerate() {
        let key = format!("region[{i}]");
        let rr = r.get_ref();
        let Some(name) = rr.name() else {
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
        ok &= on_region(cx, &key, Some(rr));
        match rr.shape() {
            None => {
                cx.push(
                    format!("{key}.shape"),
                    "a [[region]] needs a shape, e.g. shape = { kind = \"sphere\", centre = [\"0 um\", \"0 um\"], radius = \"1 um\" } (the background has none)",
                    Some(r.span()),
                );
                ok = false;
            }
            Some(s) => match region_shape(s, &format!("{key}.shape"), kind, cx) {
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
    // Memory before anything is built (a Delaunay mesh: its vertex count is capped by the
    // budget as it is refined).
    let nodes: u128 = axes.iter().map(|a| a.len() as u128).product();
    let est = (budget.estimate)(nodes.min(u64::MAX as u128) as usize, kind.dim());
    if delaunay.is_none() && (est > limit || nodes > (u32::MAX / 2) as u128) {
        let per_node = est / nodes as f64;
        cx.push(
            "mesh",
            format!(
                "a {} mesh of {} nodes would need about {} of memory (sparse LU factors included), above the limit of {}: use fewer nodes (refine = [...] puts them near the interfaces), or, if the machine has the memory, raise memory_limit_gb in [solver]; about {} nodes fit",
                kind.name(),
                axes.iter().map(|a| a.len().to_string()).collect::<Vec<_>>().join(" x "),
                bytes_text(est),
                bytes_text(limit),
                (limit / per_node).floor() as u64
            ),
            Some(mesh.span()),
        );
        return None;
    }
    if !ok || !cx.issues.is_empty() {
        return None;
    }
    let background = 0u16;
    let r0_is_axis = match &delaunay {
        Some(d) => d.r0_is_axis(),
        None => kind == MeshKind::Axisymmetric && axes[0][0] == 0.0,
    };
    // Interface patches (`surface_of`) are part of the mesh: collect them first.
    let mut interfaces = vec![];
    for (i, p) in patches.iter().enumerate() {
        let pp = p.get_ref();
        let Some(of) = pp.surface_of() else { continue };
        let region = of.get_ref();
        let shape = names
            .iter()
            .position(|n| n == region)
            .and_then(|r| shapes.iter().find(|(k, _)| *k as usize == r));
        match shape {
            Some((r, sh)) => interfaces.push((
                *r,
                Interface {
                    name: pp.name().get_ref().clone(),
                    shape: sh.shape.clone(),
                },
            )),
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
    let mut triangles = None;
    let (built, patch_names, est) = match &delaunay {
        Some(d) => {
            let per_node = (budget.estimate)(1_000_000, 2) / 1e6;
            let max_vertices = ((limit / per_node).floor() as usize).clamp(16, 50_000_000);
            let named: Vec<(u16, String)> = interfaces
                .iter()
                .map(|(r, i)| (*r, i.name.clone()))
                .collect();
            let dm = delaunay::build(d, &names, &shapes, &named, max_vertices, mesh, cx)?;
            triangles = Some(Arc::new(TriangleLocator::of(&dm)));
            let built = dm.mesh;
            let patch_names = built.patches().iter().map(|p| p.name.clone()).collect();
            let est = (budget.estimate)(built.nodes(), 2);
            (built, patch_names, est)
        }
        None => {
            let map = Painted {
                names: &names,
                shapes: &shapes,
                background,
                interfaces: interfaces.into_iter().map(|(_, i)| i).collect(),
            };
            let built = build_mesh(kind, &axes, &map, mesh, cx)?;
            let boundary = kind.boundary_names(r0_is_axis);
            let mut patch_names: Vec<String> = boundary.iter().map(|s| s.to_string()).collect();
            for p in built.patches().iter().skip(boundary.len()) {
                patch_names.push(p.name.clone());
            }
            (built, patch_names, est)
        }
    };
    Some(ScenarioGeometry {
        kind,
        axes,
        mesh: built,
        shapes,
        background,
        patch_names,
        r0_is_axis,
        delaunay: delaunay.is_some(),
        triangles,
        memory_estimate: est,
    })
}

impl ScenarioGeometry {
    /// The mesh patch of every `[[patch]]` table, in file order (`None` where the name is
    /// unknown, with the list of patches, or repeated: each reported in `cx`).
    pub fn patch_slots<P: PatchKeys>(
        &self,
        patches: &[Spanned<P>],
        cx: &mut Ctx,
    ) -> Vec<Option<usize>> {
        let mut seen = vec![false; self.patch_names.len()];
        let mut out = Vec::with_capacity(patches.len());
        for (i, p) in patches.iter().enumerate() {
            let key = format!("patch[{i}]");
            let name = p.get_ref().name();
            let Some(idx) = self.patch_names.iter().position(|n| n == name.get_ref()) else {
                cx.push(
                    format!("{key}.name"),
                    format!(
                        "no patch \"{}\" on a {} mesh; its patches are {}{}",
                        name.get_ref(),
                        self.kind.name(),
                        quoted(&self.patch_names),
                        if self.kind == MeshKind::Axisymmetric {
                            " (\"axis\" when r starts at 0, else \"rmin\")"
                        } else {
                            ""
                        }
                    ),
                    Some(name.span()),
                );
                out.push(None);
                continue;
            };
            if seen[idx] {
                cx.push(
                    format!("{key}.name"),
                    format!(
                        "patch \"{}\" has a condition already; give one [[patch]] per patch",
                        name.get_ref()
                    ),
                    Some(name.span()),
                );
                out.push(None);
                continue;
            }
            seen[idx] = true;
            out.push(Some(idx));
        }
        out
    }

    /// Total area of mesh patch `idx`, m^2 (per metre of depth in 2D Cartesian meshes).
    pub fn patch_area(&self, idx: usize) -> f64 {
        patch_area(&self.mesh, idx)
    }
}

/// Total area of patch `idx` of `mesh`.
pub(crate) fn patch_area(mesh: &Mesh, idx: usize) -> f64 {
    mesh.patch_faces()
        .iter()
        .filter(|f| f.patch as usize == idx)
        .map(|f| f.area)
        .sum()
}

/// The region of `p` for shapes painted over `background` (the last one containing the
/// embedded point wins).
pub(crate) fn region_at(
    kind: MeshKind,
    shapes: &[(u16, RegionShape)],
    background: u16,
    p: [f64; 3],
) -> u16 {
    let e = kind.embed(p);
    shapes
        .iter()
        .rev()
        .find(|(_, s)| s.shape.inside(e))
        .map_or(background, |(r, _)| *r)
}

/// `"a", "b", "c"`.
fn quoted(names: &[String]) -> String {
    names
        .iter()
        .map(|n| format!("\"{n}\""))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Resolve the keys of a keyed table (`{ "K+" = "1 M", "Cl-" = "1 M" }`, or a table keyed
/// by region or patch names) against `names`: the index of each key's name, in the table's
/// order, with its value. An unknown key is reported under `key` with the list of names (`one` and `many`: the
/// singular and plural of what they name, e.g. `("species", "species")`) and left out.
pub(crate) fn keyed<'a, V>(
    cx: &mut Ctx,
    table: impl IntoIterator<Item = (&'a Spanned<String>, &'a V)>,
    names: &[String],
    key: &str,
    (one, many): (&str, &str),
) -> Vec<(usize, &'a Spanned<String>, &'a V)> {
    let mut out = vec![];
    for (k, v) in table {
        match names.iter().position(|n| n == k.get_ref()) {
            Some(i) => out.push((i, k, v)),
            None => cx.push(
                key,
                format!(
                    "unknown {one} \"{}\"; the {many} are {}",
                    k.get_ref(),
                    quoted(names)
                ),
                Some(k.span()),
            ),
        }
    }
    out
}

/// `memory_limit_gb` in bytes (the default when absent or invalid, with an issue when
/// invalid).
pub(crate) fn memory_limit(v: Option<&Spanned<Value>>, cx: &mut Ctx) -> f64 {
    let Some(v) = v else {
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

fn bytes_text(b: f64) -> String {
    if b >= 1e9 {
        format!("{:.2} GB", b / 1e9)
    } else {
        format!("{:.1} MB", b / 1e6)
    }
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
    let mut parts = m.parts().into_owned();
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
